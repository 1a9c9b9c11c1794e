//! `W101 purdue-skip`: a flow between level 4 or 5 and level 3 or below.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::Level;

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let high = |l: Level| l >= Level::L4;
    let low = |l: Level| l <= Level::L3;
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            let (zf, zt) = (&c.policy.zones[f.from_zone], &c.policy.zones[f.to_zone]);
            if (high(zf.level) && low(zt.level)) || (low(zf.level) && high(zt.level)) {
                let d = Diagnostic::new(
                    Code::PurdueSkip,
                    c.flow_decl(ci, fi).name,
                    format!(
                        "flow `{}` runs from level {} zone `{}` straight to level {} zone `{}`",
                        f.full_name, zf.level, zf.name, zt.level, zt.name
                    ),
                )
                .label("skips the level 3.5 DMZ")
                .help("terminate the connection on a host in a level 3.5 zone, or waive W101 with the reason");
                out.push((d, ci, Some(fi)));
            }
        }
    }
    out
}
