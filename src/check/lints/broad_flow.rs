//! `W103 zone-to-zone`: a flow from a whole zone to a whole zone.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::Member;

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            let whole =
                |eps: &[crate::model::Endpoint]| eps.iter().any(|e| e.member == Member::Zone);
            if whole(&f.from) && whole(&f.to) {
                let d = Diagnostic::new(
                    Code::ZoneToZone,
                    c.flow_decl(ci, fi).name,
                    format!(
                        "flow `{}` runs from the whole of zone `{}` to the whole of zone `{}`",
                        f.full_name,
                        c.policy.zones[f.from_zone].name,
                        c.policy.zones[f.to_zone].name
                    ),
                )
                .label("whole zone to whole zone")
                .help(
                    "name the hosts or groups that need the access, or waive W103 with the reason",
                );
                out.push((d, ci, Some(fi)));
            }
        }
    }
    out
}
