//! `W109 icmp-never-new`: a flow admits an ICMP or ICMPv6 type that
//! connection tracking never treats as the start of a connection, so a
//! stateful target (nftables) drops it although the policy's meaning allows
//! it. Linux conntrack opens ICMP connections only for echo (8), timestamp
//! (13), information (15) and address-mask (17) requests, and ICMPv6 ones
//! only for echo (128) and node-information (139) queries.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::service::icmp_type_name;

const ICMP_NEW: &[u8] = &[8, 13, 15, 17];
const ICMPV6_NEW: &[u8] = &[128, 139];

fn describe(kw: &str, t: u8, v6: bool) -> String {
    match icmp_type_name(t, v6) {
        Some(n) => format!("{kw}/{n}"),
        None => format!("{kw}/{t}"),
    }
}

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, flow) in conduit.flows.iter().enumerate() {
            let s = &flow.services;
            let odd: Vec<String> = s
                .icmp
                .iter()
                .filter(|t| !ICMP_NEW.contains(t))
                .map(|&t| describe("icmp", t, false))
                .chain(
                    s.icmpv6
                        .iter()
                        .filter(|t| !ICMPV6_NEW.contains(t))
                        .map(|&t| describe("icmpv6", t, true)),
                )
                .collect();
            if odd.is_empty() {
                continue;
            }
            let d = Diagnostic::new(
                Code::IcmpNeverNew,
                c.flow_attr_span(ci, fi, |d| d.service),
                format!(
                    "flow `{}` admits {}, which a stateful firewall never sees as a new connection",
                    flow.full_name,
                    odd.join(", ")
                ),
            )
            .label("dropped by nftables unless it answers a tracked request")
            .help("replies to a permitted request pass with its connection: remove the type, or declare the request in the other direction");
            out.push((d, ci, Some(fi)));
        }
    }
    out
}
