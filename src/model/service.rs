//! Protocols, port sets and flattened service sets.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::interval::{IntervalSet, Union};
use super::service_space::ServiceSpace;

/// A set of TCP or UDP ports (1-65535): an [`IntervalSet`] of `u16`.
///
/// INVARIANT: ranges are sorted, inclusive, non-overlapping and non-adjacent.
///
/// The ranges are shared: cloning a set copies a pointer, so the flows that
/// name one service hold one copy of its ports. They serialise as a plain list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortSet {
    ranges: IntervalSet<u16>,
}

impl PortSet {
    /// The shared range list, for the checker to swap for an equal shared
    /// copy (it must not change its content).
    pub(crate) fn shared_mut(&mut self) -> &mut Arc<Vec<(u16, u16)>> {
        self.ranges.shared_mut()
    }

    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a set from arbitrary inclusive ranges (`lo > hi` ranges are ignored).
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u16, u16)>) -> Self {
        PortSet {
            ranges: IntervalSet::from_ranges(ranges),
        }
    }

    /// A single port.
    pub fn single(port: u16) -> Self {
        PortSet {
            ranges: IntervalSet::single(port),
        }
    }

    /// The ports as a set of integers.
    pub fn set(&self) -> &IntervalSet<u16> {
        &self.ranges
    }

    /// The sorted, disjoint inclusive ranges.
    pub fn ranges(&self) -> &[(u16, u16)] {
        self.ranges.ranges()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True when `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.ranges.contains(port)
    }

    /// The union of many sets, in one normalisation pass (see
    /// [`IntervalSet::union_all`]).
    pub fn union_all<'a>(sets: impl IntoIterator<Item = &'a PortSet>) -> PortSet {
        PortSet {
            ranges: IntervalSet::union_all(sets.into_iter().map(|s| &s.ranges)),
        }
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &PortSet) -> PortSet {
        PortSet {
            ranges: self.ranges.union(&other.ranges),
        }
    }

    /// `self ∩ other`.
    pub fn intersection(&self, other: &PortSet) -> PortSet {
        PortSet {
            ranges: self.ranges.intersection(&other.ranges),
        }
    }

    /// `self \ other`.
    pub fn difference(&self, other: &PortSet) -> PortSet {
        PortSet {
            ranges: self.ranges.difference(&other.ranges),
        }
    }

    /// True when every port of `other` is in `self`.
    pub fn is_superset(&self, other: &PortSet) -> bool {
        self.ranges.is_superset(&other.ranges)
    }

    /// Number of ports in the set.
    pub fn len(&self) -> u32 {
        // At most 65536.
        u32::try_from(self.ranges.len()).unwrap_or(u32::MAX)
    }
}

impl fmt::Display for PortSet {
    /// `502`, `20000-20010`, comma separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (lo, hi)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// A transport selector of one service spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP (protocol 6).
    Tcp,
    /// UDP (protocol 17).
    Udp,
    /// ICMP for IPv4 (protocol 1).
    Icmp,
    /// ICMPv6 (protocol 58).
    Icmpv6,
}

impl Proto {
    /// The IP protocol number.
    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
            Proto::Icmp => 1,
            Proto::Icmpv6 => 58,
        }
    }
    /// The lowercase keyword (`tcp`, `udp`, `icmp`, `icmpv6`).
    pub fn keyword(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
            Proto::Icmpv6 => "icmpv6",
        }
    }
}

/// ICMP (IPv4) type names from language.md, with their numbers.
pub const ICMP_TYPES: &[(&str, u8)] = &[
    ("echo-reply", 0),
    ("destination-unreachable", 3),
    ("redirect", 5),
    ("echo-request", 8),
    ("router-advertisement", 9),
    ("router-solicitation", 10),
    ("time-exceeded", 11),
    ("parameter-problem", 12),
    ("timestamp-request", 13),
    ("timestamp-reply", 14),
];

/// ICMPv6 type names from language.md, with their numbers.
pub const ICMPV6_TYPES: &[(&str, u8)] = &[
    ("destination-unreachable", 1),
    ("packet-too-big", 2),
    ("time-exceeded", 3),
    ("parameter-problem", 4),
    ("echo-request", 128),
    ("echo-reply", 129),
    ("router-solicitation", 133),
    ("router-advertisement", 134),
    ("neighbor-solicitation", 135),
    ("neighbor-advertisement", 136),
];

/// ICMP error types, which may not be declared as services.
pub const ICMP_ERROR_TYPES: &[u8] = &[3, 5, 11, 12];
/// ICMPv6 error types, which may not be declared as services.
pub const ICMPV6_ERROR_TYPES: &[u8] = &[1, 2, 3, 4];

/// Looks up an ICMP (`v6 == false`) or ICMPv6 type name.
pub fn icmp_type_by_name(name: &str, v6: bool) -> Option<u8> {
    let table = if v6 { ICMPV6_TYPES } else { ICMP_TYPES };
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, t)| t)
}

/// The name of an ICMP or ICMPv6 type, when it has one.
pub fn icmp_type_name(t: u8, v6: bool) -> Option<&'static str> {
    let table = if v6 { ICMPV6_TYPES } else { ICMP_TYPES };
    table.iter().find(|&&(_, n)| n == t).map(|&(name, _)| name)
}

/// A flattened set of services: what a flow admits, by protocol.
///
/// `ip` holds raw IP protocol numbers (never 1, 6, 17 or 58).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServiceSet {
    /// Destination TCP ports.
    pub tcp: PortSet,
    /// Destination UDP ports.
    pub udp: PortSet,
    /// ICMP (IPv4) types.
    pub icmp: BTreeSet<u8>,
    /// ICMPv6 types.
    pub icmpv6: BTreeSet<u8>,
    /// Other IP protocols by number.
    pub ip: BTreeSet<u8>,
}

impl ServiceSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The union of many sets, port ranges normalised once.
    ///
    /// When one set holds all the others (one service named twice, say), the
    /// result shares that set's ports. The port work lists are compacted
    /// whenever they have doubled since the last compaction, so they stay
    /// small however often a service is repeated.
    pub fn union_all<'a>(sets: impl IntoIterator<Item = &'a ServiceSet>) -> ServiceSet {
        let (mut tcp, mut udp) = (Union::new(), Union::new());
        let mut out = ServiceSet::new();
        for s in sets {
            tcp.push(&s.tcp.ranges);
            udp.push(&s.udp.ranges);
            out.icmp.extend(s.icmp.iter().copied());
            out.icmpv6.extend(s.icmpv6.iter().copied());
            out.ip.extend(s.ip.iter().copied());
        }
        out.tcp = PortSet {
            ranges: tcp.finish(),
        };
        out.udp = PortSet {
            ranges: udp.finish(),
        };
        out
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &ServiceSet) -> ServiceSet {
        ServiceSet {
            tcp: self.tcp.union(&other.tcp),
            udp: self.udp.union(&other.udp),
            icmp: self.icmp.union(&other.icmp).copied().collect(),
            icmpv6: self.icmpv6.union(&other.icmpv6).copied().collect(),
            ip: self.ip.union(&other.ip).copied().collect(),
        }
    }

    /// True when the set admits nothing.
    pub fn is_empty(&self) -> bool {
        self.tcp.is_empty()
            && self.udp.is_empty()
            && self.icmp.is_empty()
            && self.icmpv6.is_empty()
            && self.ip.is_empty()
    }

    /// True when every service of `other` is in `self`.
    pub fn is_superset(&self, other: &ServiceSet) -> bool {
        self.tcp.is_superset(&other.tcp)
            && self.udp.is_superset(&other.udp)
            && self.icmp.is_superset(&other.icmp)
            && self.icmpv6.is_superset(&other.icmpv6)
            && self.ip.is_superset(&other.ip)
    }

    /// True when the set admits a packet of IP protocol `proto` with
    /// destination port `port` (TCP/UDP) or ICMP type `icmp_type`.
    pub fn admits(&self, proto: u8, port: Option<u16>, icmp_type: Option<u8>) -> bool {
        match proto {
            6 => port.is_some_and(|p| self.tcp.contains(p)),
            17 => port.is_some_and(|p| self.udp.contains(p)),
            1 => icmp_type.is_some_and(|t| self.icmp.contains(&t)),
            58 => icmp_type.is_some_and(|t| self.icmpv6.contains(&t)),
            n => self.ip.contains(&n),
        }
    }
}

impl fmt::Display for ServiceSet {
    /// `tcp/502, tcp/20000-20010, udp/53, icmp/echo-request, ip/47` (see
    /// [`ServiceSpace`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&ServiceSpace::of_set(self), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn merges_and_displays() {
        let p = PortSet::from_ranges([(502, 502), (500, 510), (511, 520), (1, 1)]);
        assert_eq!(p.to_string(), "1, 500-520");
        assert!(p.contains(520) && !p.contains(521));
    }

    proptest! {
        #[test]
        fn union_all_agrees_with_pairwise_union(
            a in proptest::collection::vec((1u16.., 1u16..), 0..5),
            b in proptest::collection::vec((1u16.., 1u16..), 0..5),
        ) {
            let x = PortSet::from_ranges(a.iter().map(|&(p, q)| (p.min(q), p.max(q))));
            let y = PortSet::from_ranges(b.iter().map(|&(p, q)| (p.min(q), p.max(q))));
            let sx = ServiceSet { tcp: x.clone(), udp: y.clone(), ..ServiceSet::new() };
            let sy = ServiceSet { tcp: y.clone(), icmp: [8u8].into(), ..ServiceSet::new() };
            prop_assert_eq!(ServiceSet::union_all([&sx, &sy]), sx.union(&sy));
        }
    }
}
