//! `W116 no-isolation`: a conduit joins a level 4 or 5 zone to level 3.5 or
//! below, and no isolation mode severs either of its zones, so the plant has
//! no declared way to run as an island from that side.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::Level;

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let severed = |z: usize| c.policy.isolations.iter().any(|m| m.sever.contains(&z));
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        let [a, b] = conduit.zones;
        let (za, zb) = (&c.policy.zones[a], &c.policy.zones[b]);
        let (it, ot) = if za.level >= zb.level {
            (za, zb)
        } else {
            (zb, za)
        };
        if it.level < Level::L4 || ot.level > Level::L3_5 || severed(a) || severed(b) {
            continue;
        }
        let d = Diagnostic::new(
            Code::NoIsolation,
            c.conduit_decls[ci].name,
            format!(
                "conduit `{}` joins level {} zone `{}` to level {} zone `{}`, and no isolation mode severs it",
                conduit.name, it.level, it.name, ot.level, ot.name
            ),
        )
        .label("no isolation mode cuts this conduit")
        .help(format!(
            "declare `isolation NAME {{ sever {} reason \"...\" }}` for running the plant as an island, or waive W116 with the reason",
            it.name
        ));
        out.push((d, ci, None));
    }
    out
}
