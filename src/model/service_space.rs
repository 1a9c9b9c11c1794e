//! The service space: every (IP protocol, destination port or ICMP type)
//! laid out as one number line, so that a set of services is one
//! [`IntervalSet`] of `u32`.
//!
//! Protocols are laid out in order of their number. TCP and UDP take 65,536
//! points each, one per port, where port 0 also stands for a packet without
//! a port ("portless"); ICMP and ICMPv6 take 257, one per type plus 256 for
//! a packet without a type ("untyped"); every other protocol takes one
//! point. The access diff, the redundancy lint, attack paths and `query`
//! read services through this one layout and render them through
//! [`ServiceSpace::summary`] and [`fmt::Display`].

use std::collections::BTreeSet;
use std::fmt;

use super::interval::{self, IntervalSet};
use super::service::{icmp_type_name, PortSet, ServiceSet};

/// How a protocol's points are told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// By destination port (TCP, UDP).
    Port,
    /// By ICMP type (ICMP, ICMPv6).
    Type,
    /// Not at all: the protocol is one point.
    None,
}

impl Axis {
    /// The axis of IP protocol `proto`.
    pub const fn of(proto: u8) -> Axis {
        match proto {
            6 | 17 => Axis::Port,
            1 | 58 => Axis::Type,
            _ => Axis::None,
        }
    }
}

/// The number of points protocol `p` takes.
const fn width(p: usize) -> u32 {
    match Axis::of(p as u8) {
        Axis::Port => 65536,
        Axis::Type => 257,
        Axis::None => 1,
    }
}

const OFFSETS: [u32; 257] = {
    let mut o = [0u32; 257];
    let mut p = 0;
    while p < 256 {
        o[p + 1] = o[p] + width(p);
        p += 1;
    }
    o
};

/// The point standing for "no type" within an ICMP protocol.
const UNTYPED: u32 = 256;

/// A set of services: points of the service line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceSpace {
    line: IntervalSet<u32>,
}

impl ServiceSpace {
    /// One past the last point of the line.
    pub const END: u32 = OFFSETS[256];

    /// The first point of protocol `proto`.
    pub fn offset(proto: u8) -> u32 {
        OFFSETS[proto as usize]
    }

    /// The points of protocol `proto`, first and last.
    pub fn span(proto: u8) -> (u32, u32) {
        let lo = Self::offset(proto);
        (lo, lo + width(proto as usize) - 1)
    }

    /// The point of a packet of protocol `proto` with destination port
    /// `port` (TCP, UDP) or ICMP type `icmp_type` (ICMP, ICMPv6); a missing
    /// port or type has a point of its own.
    pub fn point(proto: u8, port: Option<u16>, icmp_type: Option<u8>) -> u32 {
        let value = match Axis::of(proto) {
            Axis::Port => port.map_or(0, u32::from),
            Axis::Type => icmp_type.map_or(UNTYPED, u32::from),
            Axis::None => 0,
        };
        Self::offset(proto) + value
    }

    /// No service.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every service, including packets without a port or type.
    pub fn any() -> Self {
        Self::from_line(IntervalSet::range(0, Self::END - 1))
    }

    /// The services of a set of points (points from [`Self::END`] on are
    /// dropped).
    pub fn from_line(line: IntervalSet<u32>) -> Self {
        let line = match line.hull() {
            Some((_, hi)) if hi >= Self::END => {
                line.intersection(&IntervalSet::range(0, Self::END - 1))
            }
            _ => line,
        };
        ServiceSpace { line }
    }

    /// Destination ports `ports` of TCP or UDP (`proto` 6 or 17).
    pub fn ports(proto: u8, ports: &PortSet) -> Self {
        ServiceSpace {
            line: IntervalSet::from_normalised(Self::port_ranges(proto, ports).collect()),
        }
    }

    fn port_ranges(proto: u8, ports: &PortSet) -> impl Iterator<Item = (u32, u32)> + '_ {
        // A protocol with ports takes 65,536 points, so every port has one.
        let o = Self::offset(proto);
        ports
            .ranges()
            .iter()
            .map(move |&(lo, hi)| (o + u32::from(lo), o + u32::from(hi)))
    }

    /// ICMP or ICMPv6 (`proto` 1 or 58) of the types `types`.
    pub fn types(proto: u8, types: &BTreeSet<u8>) -> Self {
        ServiceSpace {
            line: IntervalSet::from_normalised(Self::type_ranges(proto, types)),
        }
    }

    /// The points of `types` in order, runs of consecutive types merged.
    fn type_ranges(proto: u8, types: &BTreeSet<u8>) -> Vec<(u32, u32)> {
        let o = Self::offset(proto);
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(types.len());
        for &t in types {
            let x = o + u32::from(t);
            match out.last_mut() {
                Some(last) if last.1 + 1 == x => last.1 = x,
                _ => out.push((x, x)),
            }
        }
        out
    }

    /// Every packet of IP protocol `proto`.
    pub fn protocol(proto: u8) -> Self {
        let (lo, hi) = Self::span(proto);
        Self::from_line(IntervalSet::range(lo, hi))
    }

    /// What a flattened service set admits (its `ip` protocols never
    /// include TCP, UDP, ICMP or ICMPv6; any that do are left out).
    pub fn of_set(s: &ServiceSet) -> Self {
        let mut v: Vec<(u32, u32)> = Self::port_ranges(6, &s.tcp)
            .chain(Self::port_ranges(17, &s.udp))
            .collect();
        v.extend(Self::type_ranges(1, &s.icmp));
        v.extend(Self::type_ranges(58, &s.icmpv6));
        v.extend(
            s.ip.iter()
                .filter(|&&n| Axis::of(n) == Axis::None)
                .map(|&n| Self::span(n)),
        );
        ServiceSpace {
            line: IntervalSet::from_ranges(v),
        }
    }

    /// The points, as a set.
    pub fn line(&self) -> &IntervalSet<u32> {
        &self.line
    }

    /// The points, as a list of their own (copied only when shared).
    pub fn into_ranges(self) -> Vec<(u32, u32)> {
        self.line.into_ranges()
    }

    /// The points, as sorted disjoint intervals.
    pub fn ranges(&self) -> &[(u32, u32)] {
        self.line.ranges()
    }

    /// True when no service is in the set.
    pub fn is_empty(&self) -> bool {
        self.line.is_empty()
    }

    /// True when every service is in the set.
    pub fn is_any(&self) -> bool {
        self.line.ranges() == [(0, Self::END - 1)]
    }

    /// True when the point `x` is in the set.
    pub fn contains_point(&self, x: u32) -> bool {
        self.line.contains(x)
    }

    /// True when the set admits a packet of protocol `proto` with
    /// destination port `port` or ICMP type `icmp_type` ([`Self::point`]).
    pub fn admits(&self, proto: u8, port: Option<u16>, icmp_type: Option<u8>) -> bool {
        self.contains_point(Self::point(proto, port, icmp_type))
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &Self) -> Self {
        ServiceSpace {
            line: self.line.union(&other.line),
        }
    }

    /// `self ∩ other`.
    pub fn intersection(&self, other: &Self) -> Self {
        ServiceSpace {
            line: self.line.intersection(&other.line),
        }
    }

    /// `self \ other`.
    pub fn difference(&self, other: &Self) -> Self {
        ServiceSpace {
            line: self.line.difference(&other.line),
        }
    }

    /// True when every service of `other` is in `self`.
    pub fn is_superset(&self, other: &Self) -> bool {
        self.line.is_superset(&other.line)
    }

    /// The values protocol `proto` covers, relative to its first point.
    fn slice(&self, proto: u8) -> Vec<(u32, u32)> {
        let (lo, hi) = Self::span(proto);
        interval::intersect(self.line.ranges(), &[(lo, hi)])
            .into_iter()
            .map(|(a, b)| (a - lo, b - lo))
            .collect()
    }

    /// The other protocols (not TCP, UDP, ICMP or ICMPv6) in the set.
    fn others(&self) -> Vec<u32> {
        (0..=255u8)
            .filter(|&p| Axis::of(p) == Axis::None && self.contains_point(Self::offset(p)))
            .map(u32::from)
            .collect()
    }

    /// The set summarised for people, as `tcp/502`-style strings: `any`
    /// for everything; per protocol `tcp/any` (every port and portless
    /// packets), `tcp/any except 502` when more than half the ports are in
    /// the set with portless packets, `tcp/portless`, `icmp/untyped`, and
    /// `ip/any-other` (`except ...`) for the protocols without ports or
    /// types. These are the forms of `conduitc diff`'s access changes.
    pub fn summary(&self) -> Vec<String> {
        if self.is_any() {
            return vec!["any".into()];
        }
        let mut out = Vec::new();
        for (p, kw) in [(6u8, "tcp"), (17, "udp")] {
            let s = self.slice(p);
            let pseudo = interval::contains(&s, 0);
            let real = interval::intersect(&s, &[(1, 65535)]);
            summarise(&mut out, kw, &real, (1, 65535), pseudo, "portless", |v| {
                v.to_string()
            });
        }
        for (p, kw, v6) in [(1u8, "icmp", false), (58, "icmpv6", true)] {
            let s = self.slice(p);
            let pseudo = interval::contains(&s, UNTYPED);
            let real = interval::intersect(&s, &[(0, 255)]);
            summarise(&mut out, kw, &real, (0, 255), pseudo, "untyped", |v| {
                type_text(v, v6)
            });
        }
        let others = self.others();
        let all_others: Vec<u32> = (0..=255u8)
            .filter(|&p| Axis::of(p) == Axis::None)
            .map(u32::from)
            .collect();
        if !others.is_empty() {
            let number = |v: u32| v.to_string();
            if others.len() == all_others.len() {
                out.push("ip/any-other".into());
            } else if others.len() > all_others.len() / 2 {
                let missing = runs(all_others.iter().filter(|p| !others.contains(p)));
                out.push(format!(
                    "ip/any-other except {}",
                    join(missing.iter().map(|&(a, b)| range_text(a, b, &number)))
                ));
            } else {
                for (a, b) in runs(others.iter()) {
                    out.push(format!("ip/{}", range_text(a, b, &number)));
                }
            }
        }
        out
    }
}

impl fmt::Display for ServiceSpace {
    /// Every part listed: `tcp/502, tcp/20000-20010, udp/53,
    /// icmp/echo-request, ip/47`; `any` for everything. Ports are numbers
    /// (0 for portless packets), each ICMP type is named where it has a
    /// name, `icmp/untyped` stands for ICMP without a type, and each other
    /// protocol is listed by number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            return f.write_str("any");
        }
        let mut parts: Vec<String> = Vec::new();
        for (p, kw) in [(6u8, "tcp"), (17, "udp")] {
            for (lo, hi) in self.slice(p) {
                parts.push(format!("{kw}/{}", range_text(lo, hi, &|v| v.to_string())));
            }
        }
        for (p, kw, v6) in [(1u8, "icmp", false), (58, "icmpv6", true)] {
            for (lo, hi) in self.slice(p) {
                for t in lo..=hi {
                    if t == UNTYPED {
                        parts.push(format!("{kw}/untyped"));
                    } else {
                        parts.push(format!("{kw}/{}", type_text(t, v6)));
                    }
                }
            }
        }
        for n in self.others() {
            parts.push(format!("ip/{n}"));
        }
        f.write_str(&join(parts.into_iter()))
    }
}

fn type_text(t: u32, v6: bool) -> String {
    u8::try_from(t)
        .ok()
        .and_then(|t| icmp_type_name(t, v6))
        .map_or_else(|| t.to_string(), str::to_string)
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

/// Maximal runs of consecutive values (given in increasing order).
fn runs<'a>(values: impl Iterator<Item = &'a u32>) -> Vec<(u32, u32)> {
    interval::normalise(values.map(|&v| (v, v)).collect())
}

fn range_text(a: u32, b: u32, name: &dyn Fn(u32) -> String) -> String {
    if a == b {
        name(a)
    } else {
        format!("{a}-{b}")
    }
}

/// Pushes `kw/...` strings for one protocol's covered real values (within
/// `space`) and whether its pseudo value (no port, no type) is covered.
fn summarise(
    out: &mut Vec<String>,
    kw: &str,
    real: &[(u32, u32)],
    space: (u32, u32),
    pseudo: bool,
    pseudo_word: &str,
    name: impl Fn(u32) -> String,
) {
    let size = space.1 - space.0 + 1;
    let count = interval::count(real);
    if count == 0 {
        if pseudo {
            out.push(format!("{kw}/{pseudo_word}"));
        }
        return;
    }
    if count == u128::from(size) {
        out.push(if pseudo {
            format!("{kw}/any")
        } else {
            format!("{kw}/{}-{}", space.0, space.1)
        });
        return;
    }
    if pseudo && count > u128::from(size / 2) {
        let missing = interval::complement_within(real, space);
        out.push(format!(
            "{kw}/any except {}",
            join(missing.iter().map(|&(a, b)| range_text(a, b, &name)))
        ));
        return;
    }
    for &(a, b) in real {
        out.push(format!("{kw}/{}", range_text(a, b, &name)));
    }
    if pseudo {
        out.push(format!("{kw}/{pseudo_word}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_line_places_every_packet() {
        let tcp502 = ServiceSpace::ports(6, &PortSet::single(502));
        assert!(tcp502.admits(6, Some(502), None));
        assert!(!tcp502.admits(17, Some(502), None));
        assert!(!tcp502.admits(6, None, None));
        assert!(ServiceSpace::any().admits(6, Some(502), None));
        assert_eq!(ServiceSpace::point(255, None, None), ServiceSpace::END - 1);
        assert!(ServiceSpace::protocol(58).admits(58, None, None));
        assert!(!ServiceSpace::types(58, &[128].into()).admits(58, None, None));
    }

    #[test]
    fn summaries_read_plainly() {
        let any = ServiceSpace::any();
        assert_eq!(any.summary(), ["any"]);
        assert_eq!(any.to_string(), "any");
        let minus = any.difference(&ServiceSpace::ports(6, &PortSet::single(502)));
        assert_eq!(
            minus.summary(),
            [
                "tcp/any except 502",
                "udp/any",
                "icmp/any",
                "icmpv6/any",
                "ip/any-other"
            ]
        );
        let ping = ServiceSpace::types(1, &[8u8].into());
        assert_eq!(ping.summary(), ["icmp/echo-request"]);
        let ports = ServiceSpace::ports(17, &PortSet::from_ranges([(53, 53), (2222, 2230)]));
        assert_eq!(ports.summary(), ["udp/53", "udp/2222-2230"]);
        assert_eq!(ports.to_string(), "udp/53, udp/2222-2230");
        assert_eq!(ServiceSpace::protocol(47).summary(), ["ip/47"]);
        let no_gre = (0..=255u8)
            .filter(|&p| Axis::of(p) == Axis::None && p != 47 && p != 50)
            .fold(ServiceSpace::new(), |s, p| {
                s.union(&ServiceSpace::protocol(p))
            });
        assert_eq!(no_gre.summary(), ["ip/any-other except 47, 50"]);
        assert_eq!(ServiceSpace::protocol(1).summary(), ["icmp/any"]);
        assert_eq!(
            ServiceSpace::types(1, &(0..=255).collect()).summary(),
            ["icmp/0-255"]
        );
        let timestamps = ServiceSpace::types(1, &[13u8, 14].into());
        assert_eq!(timestamps.summary(), ["icmp/13-14"]);
        assert_eq!(
            timestamps.to_string(),
            "icmp/timestamp-request, icmp/timestamp-reply"
        );
    }

    #[test]
    fn a_service_set_lists_as_before() {
        let s = ServiceSet {
            tcp: PortSet::from_ranges([(502, 502), (20000, 20010)]),
            udp: PortSet::single(53),
            icmp: [8u8, 200].into(),
            icmpv6: [128u8].into(),
            ip: [47u8, 50].into(),
        };
        assert_eq!(
            s.to_string(),
            "tcp/502, tcp/20000-20010, udp/53, icmp/echo-request, icmp/200, \
             icmpv6/echo-request, ip/47, ip/50"
        );
    }

    proptest! {
        /// The set of a service set admits exactly the packets the service
        /// set does, and set algebra on the line is set algebra on services.
        #[test]
        fn the_line_agrees_with_service_sets(
            a in proptest::collection::vec((1u16.., 1u16..), 0..4),
            b in proptest::collection::vec((1u16.., 1u16..), 0..4),
            types in proptest::collection::btree_set(any::<u8>(), 0..4),
            ip in proptest::collection::btree_set(any::<u8>(), 0..4),
            proto in prop_oneof![Just(1u8), Just(6), Just(17), Just(58), any::<u8>()],
            port in any::<u16>(),
            icmp_type in any::<u8>(),
        ) {
            let norm = |v: Vec<(u16, u16)>| PortSet::from_ranges(v.into_iter().map(|(x, y)| (x.min(y), x.max(y))));
            let ip: BTreeSet<u8> = ip.into_iter().filter(|&n| Axis::of(n) == Axis::None).collect();
            let x = ServiceSet { tcp: norm(a.clone()), udp: norm(b.clone()), icmp: types.clone(), ip, ..ServiceSet::new() };
            let y = ServiceSet { tcp: norm(b), icmpv6: types, ..ServiceSet::new() };
            let (sx, sy) = (ServiceSpace::of_set(&x), ServiceSpace::of_set(&y));
            let (port, icmp_type) = match Axis::of(proto) {
                Axis::Port => (Some(port), None),
                Axis::Type => (None, Some(icmp_type)),
                Axis::None => (None, None),
            };
            prop_assert_eq!(sx.admits(proto, port, icmp_type), x.admits(proto, port, icmp_type));
            prop_assert_eq!(sx.union(&sy), ServiceSpace::of_set(&x.union(&y)));
            prop_assert_eq!(sx.is_superset(&sy), x.is_superset(&y));
        }
    }
}
