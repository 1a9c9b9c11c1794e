//! The vocabulary of the semantics: what to build for ([`BuildOptions`]),
//! a packet, the order that decides it ([`Rank`]) and the verdict
//! ([`Decision`]).
//!
//! These types belong to the reference semantics ([`mod@crate::decide`]); the
//! lowering ([`mod@crate::lower`]) speaks them too, and re-exports them under
//! its own path. This module depends on the model alone, never on the
//! lowering, so that `decide` can judge the lowering without sharing any of
//! its code.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::Date;

/// What to build for.
///
/// Built with [`BuildOptions::new`] and the setters, so further options can
/// be added without a breaking change:
///
/// ```
/// use conduitc::{model::Date, BuildOptions};
///
/// let today: Date = "2026-12-01".parse().unwrap();
/// let opts = BuildOptions::new(today).firewall("plant-fw").isolation("cut-dmz");
/// assert_eq!(opts.firewall.as_deref(), Some("plant-fw"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BuildOptions {
    /// The date expiry is judged against.
    pub today: Date,
    /// An isolation mode's name, if building one.
    pub isolation: Option<String>,
    /// A firewall's name, to compile only what crosses it.
    pub firewall: Option<String>,
}

impl BuildOptions {
    /// Options for `today` with no isolation mode and no firewall.
    pub fn new(today: Date) -> Self {
        BuildOptions {
            today,
            isolation: None,
            firewall: None,
        }
    }
    /// Builds only what crosses the firewall `name`.
    pub fn firewall(self, name: impl Into<String>) -> Self {
        self.with_firewall(Some(name.into()))
    }
    /// Builds for the isolation mode `name`.
    pub fn isolation(self, name: impl Into<String>) -> Self {
        self.with_isolation(Some(name.into()))
    }
    /// Sets or clears the firewall (see [`BuildOptions::firewall`]).
    pub fn with_firewall(mut self, name: Option<String>) -> Self {
        self.firewall = name;
        self
    }
    /// Sets or clears the isolation mode (see [`BuildOptions::isolation`]).
    pub fn with_isolation(mut self, name: Option<String>) -> Self {
        self.isolation = name;
        self
    }
}

/// Why a rule set could not be built.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LowerError {
    /// `--isolation NAME` names no isolation mode (e.g. `--isolation nosuch`).
    #[error("no isolation mode named `{}`", .0.escape_default())]
    UnknownIsolation(String),
    /// `--firewall NAME` names no firewall (e.g. `--firewall nosuch`).
    #[error("no firewall named `{}`", .0.escape_default())]
    UnknownFirewall(String),
}

/// A packet for `query` and the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Packet {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...).
    pub proto: u8,
    /// Destination port for TCP and UDP.
    pub dport: Option<u16>,
    /// Type for ICMP and ICMPv6.
    pub icmp_type: Option<u8>,
}

impl Packet {
    /// The packet that opens a connection, described as on `conduitc query`:
    /// a protocol by name (`tcp`, `udp`, `icmp`, `icmpv6`, any case) or
    /// number (0-255), a destination port for TCP and UDP, and an ICMP or
    /// ICMPv6 type by name (`echo-request`) or number.
    ///
    /// ```
    /// use conduitc::Packet;
    ///
    /// let p = Packet::from_names("10.2.0.10".parse().unwrap(), "10.1.0.5".parse().unwrap(), "tcp", Some(502), None).unwrap();
    /// assert_eq!((p.proto, p.dport), (6, Some(502)));
    /// let e = Packet::from_names("10.2.0.10".parse().unwrap(), "10.1.0.5".parse().unwrap(), "tcp", None, None).unwrap_err();
    /// assert_eq!(e.to_string(), "a port is required with tcp and udp");
    /// ```
    pub fn from_names(
        src: IpAddr,
        dst: IpAddr,
        proto: &str,
        port: Option<u16>,
        icmp_type: Option<&str>,
    ) -> Result<Packet, BadPacket> {
        let bad = |m: String| BadPacket(m);
        let number = protocol_number(proto).ok_or_else(|| {
            bad(format!(
                "protocol `{}`: expected tcp, udp, icmp, icmpv6 or a number 0-255",
                crate::source::escape_control(proto)
            ))
        })?;
        let mut pkt = Packet {
            src,
            dst,
            proto: number,
            dport: None,
            icmp_type: None,
        };
        match number {
            6 | 17 => {
                let port = port.ok_or_else(|| bad("a port is required with tcp and udp".into()))?;
                if port == 0 {
                    return Err(bad("a port must be 1-65535".into()));
                }
                pkt.dport = Some(port);
            }
            1 | 58 => {
                let v6 = number == 58;
                let family = if v6 { "ICMPv6" } else { "ICMP" };
                let t = icmp_type
                    .ok_or_else(|| bad(format!("an {family} type is required with {family}")))?;
                let t = t
                    .parse::<u8>()
                    .ok()
                    .or_else(|| crate::model::service::icmp_type_by_name(t, v6))
                    .ok_or_else(|| {
                        bad(format!(
                            "`{}` is not an {family} type name or a number 0-255",
                            crate::source::escape_control(t)
                        ))
                    })?;
                pkt.icmp_type = Some(t);
            }
            _ => {}
        }
        if pkt.dport.is_none() && port.is_some() {
            return Err(bad("a port applies only to tcp and udp".into()));
        }
        if pkt.icmp_type.is_none() && icmp_type.is_some() {
            return Err(bad("an ICMP type applies only to icmp and icmpv6".into()));
        }
        Ok(pkt)
    }
}

/// The IP protocol number of `name`: `tcp` 6, `udp` 17, `icmp` 1, `icmpv6`
/// (or `ipv6-icmp`) 58, in any case, or a decimal number 0-255.
pub fn protocol_number(name: &str) -> Option<u8> {
    match name.to_ascii_lowercase().as_str() {
        "tcp" => Some(6),
        "udp" => Some(17),
        "icmp" => Some(1),
        "icmpv6" | "ipv6-icmp" => Some(58),
        n => n.parse().ok(),
    }
}

/// Why [`Packet::from_names`] could not build a packet.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct BadPacket(String);

/// How early a rule that admits a packet is consulted: the order every
/// backend writes rules in, and so the one that decides a packet several
/// rules admit. Within a rank, rules go by full name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rank {
    /// A declared flow with `log`: first, so it logs every connection it
    /// admits.
    LoggedFlow,
    /// A declared flow without `log`.
    Flow,
    /// A monitor-mode catch-all (`conduit/*`): last, so it decides only
    /// what no declared flow admits.
    CatchAll,
}

impl Rank {
    /// The rank of a flow (`monitor` false) or a catch-all (`monitor` true).
    pub(crate) fn of(monitor: bool, log: bool) -> Rank {
        match (monitor, log) {
            (true, _) => Rank::CatchAll,
            (false, true) => Rank::LoggedFlow,
            (false, false) => Rank::Flow,
        }
    }
}

/// The verdict on one packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Decision {
    /// `allow` or `deny`.
    pub decision: Verdict,
    /// The deciding flow, `None` on deny: the first admitting rule in the
    /// order the backends write rules ([`Rank`], then full name). A
    /// monitor catch-all decides only packets no declared flow admits.
    pub flow: Option<String>,
    /// The deciding flow's owner.
    pub owner: Option<String>,
    /// Other flows that admit the packet, sorted.
    pub also: Vec<String>,
    /// When the packet is addressed to a firewall itself (one of its own
    /// addresses): that firewall. `flow` and `also` then name its `manage`
    /// and `control` entries (`firewall/entry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_firewall: Option<String>,
    /// When the packet is allowed by the fixed part of every build rather
    /// than by a flow or entry: which part. `flow` and `owner` are then
    /// `None`; `also` lists the entries that admit the packet too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Fixed>,
}

/// A part of every build that admits packets whatever the policy declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Fixed {
    /// IPv6 neighbour solicitation and advertisement (ICMPv6 types 135 and
    /// 136) to a firewall's own IPv6 address, when the build filters traffic
    /// to the firewall (it declares `manage` or `control` entries): the
    /// nftables `input` chain accepts them before the entries, every Cisco
    /// IOS IPv6 list permits `nd-ns` and `nd-na` before the router's own
    /// block, and FortiOS answers them in its IPv6 stack, before the
    /// local-in tables.
    NeighbourDiscovery,
}

impl Fixed {
    /// The ICMPv6 types of neighbour discovery that every build admits to
    /// the firewall itself: neighbour solicitation and advertisement.
    pub const NEIGHBOUR_DISCOVERY_TYPES: [u8; 2] = [135, 136];

    /// How `query` names it: `neighbour discovery`.
    pub fn describe(self) -> &'static str {
        match self {
            Fixed::NeighbourDiscovery => "neighbour discovery",
        }
    }
}

/// Allow, deny, or not governed by the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Verdict {
    /// Permitted.
    Allow,
    /// Dropped.
    Deny,
    /// Not decided by the policy: a packet to a firewall's own address when
    /// the firewall declares no `manage` or `control` entry. No build
    /// filters such traffic on the firewall's behalf (nftables writes no
    /// `input` chain, Cisco IOS no router-bound block, FortiOS no local-in
    /// table), so the device's own settings, or the forwarding lists it
    /// happens to meet, decide it.
    NotGoverned,
}

impl Decision {
    /// Builds a decision from (rank, name, owner) triples of every admitting
    /// rule: the first by rank, then name, decides; the others are listed
    /// in `also`, sorted by name.
    pub(crate) fn from_ranked(mut matches: Vec<(Rank, String, String)>) -> Decision {
        matches.sort();
        let mut seen = BTreeSet::new();
        matches.retain(|(_, n, _)| seen.insert(n.clone()));
        let mut it = matches.into_iter();
        match it.next() {
            None => Decision {
                decision: Verdict::Deny,
                flow: None,
                owner: None,
                also: Vec::new(),
                to_firewall: None,
                fixed: None,
            },
            Some((_, name, owner)) => {
                let mut also: Vec<String> = it.map(|(_, n, _)| n).collect();
                also.sort();
                Decision {
                    decision: Verdict::Allow,
                    flow: Some(name),
                    owner: Some(owner),
                    also,
                    to_firewall: None,
                    fixed: None,
                }
            }
        }
    }

    /// True when allowed (not when denied or not governed).
    pub fn allowed(&self) -> bool {
        self.decision == Verdict::Allow
    }
}
