//! `W112 remote-access-no-expiry`: a remote-access service from a level 5
//! zone (outside the enterprise: the internet, a supplier's network) into
//! level 3.5 or below, without `expires`.

use super::remote_access::overlaps;
use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::Level;

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let remote = &c.services.remote_union;
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            let (zf, zt) = (&c.policy.zones[f.from_zone], &c.policy.zones[f.to_zone]);
            if f.expires.is_some()
                || zf.level != Level::L5
                || zt.level > Level::L3_5
                || !overlaps(&f.services, remote)
            {
                continue;
            }
            let d = Diagnostic::new(
                Code::RemoteAccessNoExpiry,
                c.flow_decl(ci, fi).name.span,
                format!(
                    "flow `{}` gives remote access from level 5 zone `{}` into level {} zone `{}` and never expires",
                    f.full_name, zf.name, zt.level, zt.name
                ),
            )
            .label("remote access without `expires`")
            .help("add `expires YYYY-MM-DD` for the end of the contract or the job, or waive W112 with the reason");
            out.push((d, ci, Some(fi)));
        }
    }
    out
}
