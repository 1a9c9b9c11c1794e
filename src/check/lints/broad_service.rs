//! `W111 broad-service`: a flow into level 2 or below that admits more than
//! [`BROAD_FLOW_PORTS`] destination ports of TCP or of UDP, or a whole IP
//! protocol (`ip/N`, which no port narrows).

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::limits::BROAD_FLOW_PORTS;
use crate::model::Level;

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            let zt = &c.policy.zones[f.to_zone];
            if zt.level > Level::L2 {
                continue;
            }
            let s = &f.services;
            let mut broad: Vec<String> = Vec::new();
            for (proto, ports) in [("TCP", &s.tcp), ("UDP", &s.udp)] {
                let n = ports.len();
                if n > BROAD_FLOW_PORTS {
                    broad.push(format!("{n} {proto} ports"));
                }
            }
            let wide_ports = !broad.is_empty();
            broad.extend(s.ip.iter().map(|n| format!("all of ip/{n}")));
            if broad.is_empty() {
                continue;
            }
            let label = match (wide_ports, !s.ip.is_empty()) {
                (true, true) => {
                    format!(
                        "more than {BROAD_FLOW_PORTS} ports of a protocol, and a whole IP protocol"
                    )
                }
                (true, false) => format!("more than {BROAD_FLOW_PORTS} ports of a protocol"),
                _ => "a whole IP protocol, which no port narrows".to_string(),
            };
            let d = Diagnostic::new(
                Code::BroadService,
                c.flow_attr_span(ci, fi, |d| d.service),
                format!(
                    "flow `{}` admits {} into level {} zone `{}`",
                    f.full_name,
                    match broad.split_last() {
                        Some((last, [])) => last.clone(),
                        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                        None => String::new(),
                    },
                    zt.level,
                    zt.name
                ),
            )
            .label(label)
            .help("list the ports the application uses, or waive W111 with the reason");
            out.push((d, ci, Some(fi)));
        }
    }
    out
}
