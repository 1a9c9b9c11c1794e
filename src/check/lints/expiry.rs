//! `W104 expiring-soon`: a flow that expires within 30 days of `--today`.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::limits::EXPIRY_WARNING_DAYS;

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            let Some(e) = f.expires else { continue };
            let days = c.today.days_until(e);
            if (0..=EXPIRY_WARNING_DAYS).contains(&days) {
                let when = match days {
                    0 => "today".to_string(),
                    1 => "tomorrow".to_string(),
                    n => format!("in {n} days"),
                };
                let d = Diagnostic::new(
                    Code::ExpiringSoon,
                    c.flow_attr_span(ci, fi, |d| d.expires),
                    format!("flow `{}` expires on {e}, {when}", f.full_name),
                )
                .label("expires soon")
                .help("renew it with a later `expires` date, or plan its removal; after that date the build fails");
                out.push((d, ci, Some(fi)));
            }
        }
    }
    out
}
