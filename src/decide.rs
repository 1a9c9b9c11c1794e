//! The reference semantics: the policy's decision for one packet, computed
//! from the checked model directly, so that the lowering, every backend and
//! `query` can be tested against it.
//!
//! Nothing here comes from [`mod@crate::lower`]: which flows are in force, which
//! conduits a firewall or an isolation mode leaves in play, the monitor-mode
//! catch-alls and the order that picks the deciding flow are all worked out
//! again below, one flow at a time, in the plainest way. A mistake in the
//! lowering's selection or ordering therefore shows up as a disagreement in
//! the differential tests instead of being repeated on both sides. Only the
//! types of packets and decisions ([`Packet`], [`Decision`]) are shared.

use crate::model::{Conduit, Firewall, Flow, LocalAccess, Mode, Policy, ZoneId};
pub use crate::semantics::{BuildOptions, Decision, Fixed, LowerError, Packet, Rank, Verdict};

/// Decides whether `packet`, as the initiation of a connection, is permitted
/// by `policy` on `opts.today`, in `opts.isolation`, across `opts.firewall`.
///
/// A packet is allowed when a flow in force has its source in the flow's
/// `from`, its destination in its `to`, and its protocol and port (or ICMP
/// type) in its services; ICMP applies only to IPv4 packets and ICMPv6 only to
/// IPv6 ones. A monitor-mode conduit also admits every packet between its two
/// zones, reported as `conduit/*`.
///
/// A flow is in force until the end of its `expires` day. An isolation mode
/// cuts every conduit touching a zone it severs, catch-all included. With a
/// firewall, only conduits whose two zones both face one of its interfaces
/// are in play.
///
/// The deciding flow is the one whose rule the firewall consults first
/// ([`Rank`]): flows with `log`, then the other flows, by full name; a
/// catch-all decides only packets no declared flow admits.
///
/// Built for a firewall, a packet to one of its own addresses is traffic to
/// the firewall itself ([`Decision::to_firewall`]). When the firewall
/// declares `manage` or `control` entries, IPv6 neighbour solicitation and
/// advertisement are allowed by the fixed part of every build
/// ([`Fixed::NeighbourDiscovery`]) and its entries decide everything else;
/// when it declares none, the policy does not govern such traffic
/// ([`Verdict::NotGoverned`]).
///
/// An isolation mode or firewall the policy does not declare is the same
/// [`LowerError`] [`crate::lower::lower`] returns.
pub fn decide(
    policy: &Policy,
    packet: &Packet,
    opts: &BuildOptions,
) -> Result<Decision, LowerError> {
    let severed: Vec<ZoneId> = match &opts.isolation {
        None => Vec::new(),
        Some(name) => match policy.isolation(name) {
            Some(iso) => iso.sever.clone(),
            None => return Err(LowerError::UnknownIsolation(name.clone())),
        },
    };
    let faced: Option<Vec<ZoneId>> = match &opts.firewall {
        None => None,
        Some(name) => match policy.firewall(name) {
            Some(fw) => Some(fw.interfaces.iter().map(|i| i.zone).collect()),
            None => return Err(LowerError::UnknownFirewall(name.clone())),
        },
    };
    // Built for a firewall, a packet to one of its own addresses is decided
    // by its `manage` and `control` entries (for another firewall, or
    // without one, it is traffic between zones like any other).
    if let Some(fw) = policy.firewall_of(packet.dst) {
        if opts.firewall.as_deref().is_some_and(|n| fw.name.is(n)) {
            return Ok(decide_to_firewall(fw, packet, opts, &severed));
        }
    }
    let in_play = |conduit: &Conduit| {
        conduit
            .zones
            .iter()
            .all(|z| !severed.contains(z) && faced.as_ref().is_none_or(|faced| faced.contains(z)))
    };

    // Every (rank, full name, owner) that admits the packet.
    let mut admitting: Vec<(Rank, String, String)> = Vec::new();
    for conduit in policy.conduits.iter().filter(|c| in_play(c)) {
        for flow in &conduit.flows {
            if in_force(flow, opts) && flow_admits(flow, packet) {
                let rank = if flow.log {
                    Rank::LoggedFlow
                } else {
                    Rank::Flow
                };
                admitting.push((rank, flow.full_name.to_string(), flow.owner.to_string()));
            }
        }
        if conduit.mode == Mode::Monitor && between(policy, conduit, packet) {
            admitting.push((
                Rank::CatchAll,
                format!("{}/*", conduit.name),
                conduit.owner.to_string(),
            ));
        }
    }
    Ok(verdict(admitting))
}

/// The decision on a packet addressed to firewall `fw` itself. Without any
/// `manage` or `control` entry (in force or not) the build does not filter
/// traffic to the firewall: not governed. Otherwise neighbour solicitation
/// and advertisement over IPv6 are allowed by the build's fixed part, before
/// any entry; anything else is admitted when an entry in force has the
/// source (in a zone not severed) and the service; logged entries first,
/// then by name, as for flows.
fn decide_to_firewall(
    fw: &Firewall,
    packet: &Packet,
    opts: &BuildOptions,
    severed: &[ZoneId],
) -> Decision {
    let admits = |e: &LocalAccess| {
        e.expires.is_none_or(|last| opts.today <= last)
            && family_fits(packet)
            && e.from
                .iter()
                .any(|ep| !severed.contains(&ep.zone) && ep.addrs.contains(packet.src))
            && e.services
                .admits(packet.proto, packet.dport, packet.icmp_type)
    };
    if fw.local.is_empty() {
        return Decision {
            decision: Verdict::NotGoverned,
            flow: None,
            owner: None,
            also: Vec::new(),
            to_firewall: Some(fw.name.to_string()),
            fixed: None,
        };
    }
    let admitting: Vec<(Rank, String, String)> = fw
        .local
        .iter()
        .filter(|e| admits(e))
        .map(|e| {
            let rank = if e.log { Rank::LoggedFlow } else { Rank::Flow };
            (rank, e.full_name.clone(), e.owner.to_string())
        })
        .collect();
    if neighbour_discovery(packet) {
        let mut also: Vec<String> = admitting.into_iter().map(|(_, n, _)| n).collect();
        also.sort();
        also.dedup();
        return Decision {
            decision: Verdict::Allow,
            flow: None,
            owner: None,
            also,
            to_firewall: Some(fw.name.to_string()),
            fixed: Some(Fixed::NeighbourDiscovery),
        };
    }
    let mut d = verdict(admitting);
    d.to_firewall = Some(fw.name.to_string());
    d
}

/// IPv6 neighbour solicitation or advertisement (both addresses IPv6).
fn neighbour_discovery(packet: &Packet) -> bool {
    packet.src.is_ipv6()
        && packet.dst.is_ipv6()
        && packet.proto == 58
        && packet
            .icmp_type
            .is_some_and(|t| Fixed::NEIGHBOUR_DISCOVERY_TYPES.contains(&t))
}

/// A flow is in force on every day up to and including its `expires`.
fn in_force(flow: &Flow, opts: &BuildOptions) -> bool {
    match flow.expires {
        None => true,
        Some(last) => opts.today <= last,
    }
}

/// Both addresses of one family; ICMP only over IPv4 and ICMPv6 only over
/// IPv6.
fn family_fits(packet: &Packet) -> bool {
    let v4 = packet.src.is_ipv4();
    if v4 != packet.dst.is_ipv4() {
        return false;
    }
    match packet.proto {
        1 => v4,
        58 => !v4,
        _ => true,
    }
}

fn flow_admits(flow: &Flow, packet: &Packet) -> bool {
    family_fits(packet)
        && flow.src.contains(packet.src)
        && flow.dst.contains(packet.dst)
        && flow
            .services
            .admits(packet.proto, packet.dport, packet.icmp_type)
}

/// The packet goes from one of the conduit's zones to the other, in either
/// direction.
fn between(policy: &Policy, conduit: &Conduit, packet: &Packet) -> bool {
    if packet.src.is_ipv4() != packet.dst.is_ipv4() {
        return false;
    }
    let [a, b] = conduit.zones;
    let (Some(a), Some(b)) = (policy.zones.get(a), policy.zones.get(b)) else {
        return false;
    };
    (a.addrs.contains(packet.src) && b.addrs.contains(packet.dst))
        || (b.addrs.contains(packet.src) && a.addrs.contains(packet.dst))
}

/// The first admitting flow by rank, then by full name (byte-wise), decides;
/// every other admitting name is listed in `also`, sorted.
fn verdict(admitting: Vec<(Rank, String, String)>) -> Decision {
    let mut first: Option<&(Rank, String, String)> = None;
    for candidate in &admitting {
        let earlier = match first {
            None => true,
            Some(best) => {
                (candidate.0, candidate.1.as_bytes(), &candidate.2)
                    < (best.0, best.1.as_bytes(), &best.2)
            }
        };
        if earlier {
            first = Some(candidate);
        }
    }
    let Some((_, name, owner)) = first else {
        return Decision {
            decision: Verdict::Deny,
            flow: None,
            owner: None,
            also: Vec::new(),
            to_firewall: None,
            fixed: None,
        };
    };
    let mut also: Vec<String> = admitting
        .iter()
        .filter(|(_, n, _)| n != name)
        .map(|(_, n, _)| n.clone())
        .collect();
    also.sort();
    also.dedup();
    Decision {
        decision: Verdict::Allow,
        flow: Some(name.clone()),
        owner: Some(owner.clone()),
        also,
        to_firewall: None,
        fixed: None,
    }
}
