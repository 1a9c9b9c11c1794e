//! `W113 directory-across-boundary`: directory and credential services
//! (Kerberos, LDAP, LDAPS, the global catalogue, MSRPC, SMB and the NetBIOS
//! ports of Netlogon) between level 4 or 5 and level 3 or below, or between
//! the level 3.5 DMZ and level 2 or below, in either direction.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::service::PortSet;
use crate::model::{Level, ServiceSet};

/// The ports of Active Directory and other directory services.
pub(crate) fn directory_services() -> ServiceSet {
    let tcp = [
        (88, 88),     // kerberos
        (135, 135),   // msrpc endpoint mapper
        (139, 139),   // netbios session (netlogon over SMB 1)
        (389, 389),   // ldap
        (445, 445),   // smb
        (464, 464),   // kerberos password change
        (636, 636),   // ldaps
        (3268, 3269), // global catalogue, plain and TLS
    ];
    let udp = [
        (88, 88),   // kerberos
        (137, 138), // netbios name and datagram (netlogon)
        (389, 389), // cldap (domain controller locator)
        (464, 464), // kerberos password change
    ];
    ServiceSet {
        tcp: PortSet::from_ranges(tcp),
        udp: PortSet::from_ranges(udp),
        ..ServiceSet::new()
    }
}

/// True when a flow between these levels crosses the IT/OT identity boundary.
fn crosses(a: Level, b: Level) -> bool {
    let one_way = |it: Level, ot: Level| {
        (it >= Level::L4 && ot <= Level::L3) || (it == Level::L3_5 && ot <= Level::L2)
    };
    one_way(a, b) || one_way(b, a)
}

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let dir = directory_services();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            let (zf, zt) = (&c.policy.zones[f.from_zone], &c.policy.zones[f.to_zone]);
            if !crosses(zf.level, zt.level) {
                continue;
            }
            let s = &f.services;
            let hit = ServiceSet {
                tcp: s.tcp.intersection(&dir.tcp),
                udp: s.udp.intersection(&dir.udp),
                ..ServiceSet::new()
            };
            if hit.tcp.is_empty() && hit.udp.is_empty() {
                continue;
            }
            let d = Diagnostic::new(
                Code::DirectoryAcrossBoundary,
                c.flow_attr_span(ci, fi, |d| d.service),
                format!(
                    "flow `{}` carries directory services ({hit}) from level {} zone `{}` to level {} zone `{}`",
                    f.full_name, zf.level, zf.name, zt.level, zt.name
                ),
            )
            .label("directory or credential service across the IT/OT boundary")
            .help("give the plant a directory of its own at level 3, without trust to the corporate one, or waive W113 with the reason");
            out.push((d, ci, Some(fi)));
        }
    }
    out
}
