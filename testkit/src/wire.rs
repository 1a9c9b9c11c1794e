//! Packets as a device sees them (ports, TCP flags, fragments), and the
//! reply oracle of language.md for stateless targets.
//!
//! The oracle is built on `conduitc::decide` over the *model* only: a packet
//! may pass a stateless device when the policy allows it as an initiation, or
//! when it is what a reply to an allowed initiation could be.

use std::net::IpAddr;

use conduitc::lower::{BuildOptions, Packet};
use conduitc::Policy;

/// One packet on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wire {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    /// TCP/UDP source port.
    pub sport: Option<u16>,
    /// TCP/UDP destination port.
    pub dport: Option<u16>,
    /// ICMP/ICMPv6 type.
    pub icmp_type: Option<u8>,
    /// ICMP/ICMPv6 code.
    pub icmp_code: u8,
    pub syn: bool,
    pub ack: bool,
    pub rst: bool,
    /// A non-initial fragment (offset > 0): no transport header.
    pub fragment: bool,
}

impl Wire {
    /// `p` as the first packet of a connection from source port `sport`
    /// (TCP: SYN only).
    pub fn initiation(p: &Packet, sport: u16) -> Wire {
        let ported = matches!(p.proto, 6 | 17);
        Wire {
            src: p.src,
            dst: p.dst,
            proto: p.proto,
            sport: if ported { Some(sport) } else { None },
            dport: if ported { p.dport } else { None },
            icmp_type: p.icmp_type,
            icmp_code: 0,
            syn: p.proto == 6,
            ack: false,
            rst: false,
            fragment: false,
        }
    }

    /// The packet shape `decide` reads.
    pub fn packet(&self) -> Packet {
        Packet {
            src: self.src,
            dst: self.dst,
            proto: self.proto,
            dport: self.dport,
            icmp_type: self.icmp_type,
        }
    }

    /// Same family on both sides.
    pub fn same_family(&self) -> bool {
        self.src.is_ipv4() == self.dst.is_ipv4()
    }

    /// Replies to the initiation `p` (from `p.dst` back to `p.src`, from the
    /// service port to `init_sport`): for TCP one with ACK, one with RST, one
    /// with SYN+ACK and one bare SYN; for UDP one; for ICMP echo the echo-reply
    /// and the same type again; for anything else the plain reverse packet.
    pub fn replies(p: &Packet, init_sport: u16) -> Vec<Wire> {
        let base = Wire {
            src: p.dst,
            dst: p.src,
            proto: p.proto,
            sport: None,
            dport: None,
            icmp_type: None,
            icmp_code: 0,
            syn: false,
            ack: false,
            rst: false,
            fragment: false,
        };
        match p.proto {
            6 => {
                let b = Wire {
                    sport: p.dport,
                    dport: Some(init_sport),
                    ..base
                };
                vec![
                    Wire { ack: true, ..b },
                    Wire { rst: true, ..b },
                    Wire {
                        syn: true,
                        ack: true,
                        ..b
                    },
                    Wire { syn: true, ..b },
                    b,
                ]
            }
            17 => vec![Wire {
                sport: p.dport,
                dport: Some(init_sport),
                ..base
            }],
            1 | 58 => {
                let echo_reply = if p.proto == 1 { 0 } else { 129 };
                vec![
                    Wire {
                        icmp_type: Some(echo_reply),
                        ..base
                    },
                    Wire {
                        icmp_type: p.icmp_type,
                        ..base
                    },
                ]
            }
            _ => vec![base],
        }
    }
}

/// True when `w` could be a reply to an initiation the policy allows, with
/// exactly the reply constraints of language.md ("Replies on stateless
/// targets"): TCP from the service port with ACK or RST; UDP from the service
/// port; echo-reply to an allowed echo-request. Nothing else.
pub fn is_reply(policy: &Policy, opts: &BuildOptions, w: &Wire) -> bool {
    if w.fragment || !w.same_family() {
        return false;
    }
    let reverse = |proto: u8, dport: Option<u16>, icmp_type: Option<u8>| {
        conduitc::decide(
            policy,
            &Packet {
                src: w.dst,
                dst: w.src,
                proto,
                dport,
                icmp_type,
            },
            opts,
        )
        .unwrap()
        .allowed()
    };
    match w.proto {
        6 => (w.ack || w.rst) && w.sport.is_some() && reverse(6, w.sport, None),
        17 => w.sport.is_some() && reverse(17, w.sport, None),
        1 => w.src.is_ipv4() && w.icmp_type == Some(0) && reverse(1, None, Some(8)),
        58 => w.src.is_ipv6() && w.icmp_type == Some(129) && reverse(58, None, Some(128)),
        _ => false,
    }
}

/// True when `w` initiates a connection the policy allows.
pub fn is_allowed(policy: &Policy, opts: &BuildOptions, w: &Wire) -> bool {
    !w.fragment
        && conduitc::decide(policy, &w.packet(), opts)
            .unwrap()
            .allowed()
}

/// IPv6 neighbour solicitation or advertisement (the ND permits every IPv6
/// list carries).
pub fn is_neighbour_discovery(w: &Wire) -> bool {
    !w.fragment
        && w.src.is_ipv6()
        && w.dst.is_ipv6()
        && w.proto == 58
        && matches!(w.icmp_type, Some(135 | 136))
}

/// Every flow (`conduit/flow` or `conduit/*`) that allows `w` as an
/// initiation.
pub fn allowed_names(policy: &Policy, opts: &BuildOptions, w: &Wire) -> Vec<String> {
    if w.fragment {
        return Vec::new();
    }
    let d = conduitc::decide(policy, &w.packet(), opts).unwrap();
    d.flow.into_iter().chain(d.also).collect()
}

/// Every flow whose replies `w` could be (see [`is_reply`]).
pub fn reply_names(policy: &Policy, opts: &BuildOptions, w: &Wire) -> Vec<String> {
    if !is_reply(policy, opts, w) {
        return Vec::new();
    }
    let (proto, dport, icmp_type) = match w.proto {
        1 => (1, None, Some(8)),
        58 => (58, None, Some(128)),
        p => (p, w.sport, None),
    };
    let d = conduitc::decide(
        policy,
        &Packet {
            src: w.dst,
            dst: w.src,
            proto,
            dport,
            icmp_type,
        },
        opts,
    )
    .unwrap();
    d.flow.into_iter().chain(d.also).collect()
}

/// A source port that no flow of `policy` serves (so an initiation from it
/// cannot also look like a reply), if there is one.
pub fn ephemeral_port(policy: &Policy) -> u16 {
    [49152u16, 50001, 61000, 40009, 33333, 1025]
        .into_iter()
        .find(|&p| {
            policy
                .flows()
                .all(|(_, f)| !f.services.tcp.contains(p) && !f.services.udp.contains(p))
        })
        .unwrap_or(49152)
}
