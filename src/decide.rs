//! The reference semantics: the policy's decision for one packet, computed
//! from the checked model directly (never from the lowered rules), so that
//! the lowering, every backend and `query` can be tested against it.

use crate::lower::{select, BuildOptions, Decision, LowerError, Packet, Rank};
use crate::model::{Mode, Policy};

/// Decides whether `packet`, as the initiation of a connection, is permitted
/// by `policy` on `opts.today`, in `opts.isolation`, across `opts.firewall`.
///
/// A packet is allowed when a flow in force has its source in the flow's
/// `from`, its destination in its `to`, and its protocol and port (or ICMP
/// type) in its services; ICMP applies only to IPv4 packets and ICMPv6 only to
/// IPv6 ones. A monitor-mode conduit also admits every packet between its two
/// zones, reported as `conduit/*`.
///
/// The deciding flow is the one whose rule the firewall consults first
/// ([`Rank`]): flows with `log`, then the other flows, by full name; a
/// catch-all decides only packets no declared flow admits.
pub fn decide(
    policy: &Policy,
    packet: &Packet,
    opts: &BuildOptions,
) -> Result<Decision, LowerError> {
    let sel = select(policy, opts)?;
    let mut matches = Vec::new();
    if packet.src.is_ipv4() != packet.dst.is_ipv4() {
        return Ok(Decision::from_ranked(matches));
    }
    let icmp_family_ok = match packet.proto {
        1 => packet.src.is_ipv4(),
        58 => packet.src.is_ipv6(),
        _ => true,
    };
    for conduit in &policy.conduits {
        if !sel.conduit_in_scope(conduit.zones) {
            continue;
        }
        for flow in &conduit.flows {
            if flow.in_force_on(opts.today)
                && icmp_family_ok
                && flow.src.contains(packet.src)
                && flow.dst.contains(packet.dst)
                && flow
                    .services
                    .admits(packet.proto, packet.dport, packet.icmp_type)
            {
                matches.push((
                    Rank::of(false, flow.log),
                    flow.full_name.clone(),
                    flow.owner.to_string(),
                ));
            }
        }
        if conduit.mode == Mode::Monitor {
            let [a, b] = conduit.zones;
            let (Some(za), Some(zb)) = (policy.zones.get(a), policy.zones.get(b)) else {
                continue;
            };
            let between = (za.addrs.contains(packet.src) && zb.addrs.contains(packet.dst))
                || (zb.addrs.contains(packet.src) && za.addrs.contains(packet.dst));
            if between {
                matches.push((
                    Rank::CatchAll,
                    format!("{}/*", conduit.name),
                    conduit.owner.to_string(),
                ));
            }
        }
    }
    Ok(Decision::from_ranked(matches))
}
