//! `W102 remote-access`: RDP, VNC, SSH or a user `remote-access` service
//! into level 2 or below, from anywhere but a level 3.5 zone.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::{Level, ServiceSet};

/// True when the two sets share any service.
pub(super) fn overlaps(a: &ServiceSet, b: &ServiceSet) -> bool {
    !a.tcp.intersection(&b.tcp).is_empty()
        || !a.udp.intersection(&b.udp).is_empty()
        || a.icmp.intersection(&b.icmp).next().is_some()
        || a.icmpv6.intersection(&b.icmpv6).next().is_some()
        || a.ip.intersection(&b.ip).next().is_some()
}

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let remote = &c.services.remote_union;
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            let (zf, zt) = (&c.policy.zones[f.from_zone], &c.policy.zones[f.to_zone]);
            if zt.level <= Level::L2 && zf.level != Level::L3_5 && overlaps(&f.services, remote) {
                let d = Diagnostic::new(
                    Code::RemoteAccess,
                    c.flow_attr_span(ci, fi, |d| d.service),
                    format!(
                        "flow `{}` gives remote access into level {} zone `{}` from level {} zone `{}`",
                        f.full_name, zt.level, zt.name, zf.level, zf.name
                    ),
                )
                .label("remote access service")
                .help("start remote sessions on a jump host in a level 3.5 zone, or waive W102 with the reason");
                out.push((d, ci, Some(fi)));
            }
        }
    }
    out
}
