//! Set algebra over boxes of packets: source addresses × destination
//! addresses × services (the service line of [`ServiceSpace`]), one address
//! family at a time, since a packet's two addresses share a family, ICMP
//! travels over IPv4 only and ICMPv6 over IPv6 only.
//!
//! [`uncovered`] finds a packet of a box that no rule admits, exactly: the
//! sources are cut into classes at the bounds of the rules' sources (within
//! a class every rule either holds every source or none), each class's
//! destinations likewise, and within a (source class, destination class)
//! cell the union of the services of the rules holding the cell is
//! compared with the box's services. Classes held by the same rules are
//! judged once. [`admitted`] finds a packet of a box some rule admits: the
//! first rule whose box meets the assertion's box in all three dimensions.
//! Neither samples: each answers for every packet of the box.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::lower::Rule;
use crate::model::interval::IntervalSet;
use crate::model::service_space::Axis;
use crate::model::{AddrSet, PortSet, ServiceSpace};
use crate::semantics::Packet;

/// One address family's part of a box.
struct FamilyBox {
    v6: bool,
    src: IntervalSet<u128>,
    dst: IntervalSet<u128>,
    service: IntervalSet<u32>,
}

fn addrs(set: &AddrSet, v6: bool) -> IntervalSet<u128> {
    if v6 {
        set.v6().clone()
    } else {
        IntervalSet::from_ranges(set.v4().iter().map(|(a, b)| (u128::from(a), u128::from(b))))
    }
}

/// The services of `space` a packet of this family can have.
fn services(space: &ServiceSpace, v6: bool) -> IntervalSet<u32> {
    let (lo, hi) = ServiceSpace::span(if v6 { 1 } else { 58 });
    space.line().difference(&IntervalSet::range(lo, hi))
}

fn family(src: &AddrSet, dst: &AddrSet, service: &ServiceSpace, v6: bool) -> FamilyBox {
    FamilyBox {
        v6,
        src: addrs(src, v6),
        dst: addrs(dst, v6),
        service: services(service, v6),
    }
}

impl FamilyBox {
    fn is_empty(&self) -> bool {
        self.src.is_empty() || self.dst.is_empty() || self.service.is_empty()
    }
    fn of_rule(rule: &Rule, v6: bool) -> FamilyBox {
        family(&rule.src, &rule.dst, &rule.matcher.space(), v6)
    }
    fn meets(&self, other: &FamilyBox) -> bool {
        self.src.intersects(&other.src)
            && self.dst.intersects(&other.dst)
            && self.service.intersects(&other.service)
    }
}

fn families(src: &AddrSet, dst: &AddrSet, service: &ServiceSpace) -> Vec<FamilyBox> {
    [false, true]
        .into_iter()
        .map(|v6| family(src, dst, service, v6))
        .filter(|b| !b.is_empty())
        .collect()
}

/// True when the box holds no packet at all.
pub(crate) fn is_empty(src: &AddrSet, dst: &AddrSet, service: &ServiceSpace) -> bool {
    families(src, dst, service).is_empty()
}

/// Every protocol: TCP and UDP on ports 1-65535, every ICMP and ICMPv6
/// type, every other protocol; no packet without a port or type.
pub(crate) fn any_service() -> ServiceSpace {
    let ports = PortSet::from_ranges([(1, 65535)]);
    let types = (0..=255).collect();
    let mut s = ServiceSpace::new();
    for p in 0..=255u8 {
        let part = match Axis::of(p) {
            Axis::Port => ServiceSpace::ports(p, &ports),
            Axis::Type => ServiceSpace::types(p, &types),
            Axis::None => ServiceSpace::protocol(p),
        };
        s = s.union(&part);
    }
    s
}

/// The names of the rules that admit some packet of the box, sorted.
pub(crate) fn touching(
    rules: &[&Rule],
    src: &AddrSet,
    dst: &AddrSet,
    service: &ServiceSpace,
) -> Vec<String> {
    let fams = families(src, dst, service);
    let mut names: Vec<String> = rules
        .iter()
        .filter(|r| fams.iter().any(|b| b.meets(&FamilyBox::of_rule(r, b.v6))))
        .map(|r| r.name.to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A packet of the box that one of `rules` admits, if any.
pub(crate) fn admitted(
    rules: &[&Rule],
    src: &AddrSet,
    dst: &AddrSet,
    service: &ServiceSpace,
) -> Option<Packet> {
    for b in families(src, dst, service) {
        for rule in rules {
            let r = FamilyBox::of_rule(rule, b.v6);
            let s = b.src.intersection(&r.src);
            let d = b.dst.intersection(&r.dst);
            let v = b.service.intersection(&r.service);
            if let (Some((s, _)), Some((d, _)), Some((v, _))) =
                (s.ranges().first(), d.ranges().first(), v.ranges().first())
            {
                return Some(packet(b.v6, *s, *d, *v));
            }
        }
    }
    None
}

/// A packet of the box that none of `rules` admits, if any.
pub(crate) fn uncovered(
    rules: &[&Rule],
    src: &AddrSet,
    dst: &AddrSet,
    service: &ServiceSpace,
) -> Option<Packet> {
    for b in families(src, dst, service) {
        let held: Vec<FamilyBox> = rules
            .iter()
            .map(|r| FamilyBox::of_rule(r, b.v6))
            .filter(|r| b.meets(r))
            .collect();
        if let Some((s, d, v)) = hole(&b, &held) {
            return Some(packet(b.v6, s, d, v));
        }
    }
    None
}

/// The first point of each class of `set` when cut at the bounds of
/// `cuts`: within a class, each of `cuts` holds every point or none.
fn class_starts<'a>(
    set: &IntervalSet<u128>,
    cuts: impl Iterator<Item = &'a IntervalSet<u128>>,
) -> Vec<u128> {
    let mut bounds: Vec<u128> = Vec::new();
    for c in cuts {
        for (lo, hi) in c.iter() {
            bounds.push(lo);
            if let Some(next) = hi.checked_add(1) {
                bounds.push(next);
            }
        }
    }
    bounds.sort_unstable();
    bounds.dedup();
    let mut starts = Vec::new();
    for (lo, hi) in set.iter() {
        starts.push(lo);
        let from = bounds.partition_point(|&b| b <= lo);
        for &b in bounds.get(from..).unwrap_or_default() {
            if b > hi {
                break;
            }
            starts.push(b);
        }
    }
    starts
}

/// A (source, destination, service point) of `b` that no box of `held`
/// contains.
fn hole(b: &FamilyBox, held: &[FamilyBox]) -> Option<(u128, u128, u32)> {
    let mut seen_src: HashSet<Vec<usize>> = HashSet::new();
    for s in class_starts(&b.src, held.iter().map(|r| &r.src)) {
        let by_src: Vec<usize> = (0..held.len())
            .filter(|&i| held.get(i).is_some_and(|r| r.src.contains(s)))
            .collect();
        if !seen_src.insert(by_src.clone()) {
            continue;
        }
        let mut seen_dst: HashSet<Vec<usize>> = HashSet::new();
        let rows: Vec<&FamilyBox> = by_src.iter().filter_map(|&i| held.get(i)).collect();
        for d in class_starts(&b.dst, rows.iter().map(|r| &r.dst)) {
            let cell: Vec<usize> = by_src
                .iter()
                .copied()
                .filter(|&i| held.get(i).is_some_and(|r| r.dst.contains(d)))
                .collect();
            if !seen_dst.insert(cell.clone()) {
                continue;
            }
            let covered = IntervalSet::union_all(
                cell.iter().filter_map(|&i| held.get(i)).map(|r| &r.service),
            );
            if let Some((v, _)) = b.service.difference(&covered).ranges().first() {
                return Some((s, d, *v));
            }
        }
    }
    None
}

/// The packet at a point of a box.
fn packet(v6: bool, src: u128, dst: u128, point: u32) -> Packet {
    let addr = |x: u128| -> IpAddr {
        if v6 {
            IpAddr::V6(Ipv6Addr::from(x))
        } else {
            IpAddr::V4(Ipv4Addr::from(u32::try_from(x).unwrap_or(u32::MAX)))
        }
    };
    let proto = (0..=255u8)
        .rev()
        .find(|&p| ServiceSpace::offset(p) <= point)
        .unwrap_or(0);
    let value = point - ServiceSpace::offset(proto);
    let (dport, icmp_type) = match Axis::of(proto) {
        Axis::Port => (u16::try_from(value).ok().filter(|&p| p > 0), None),
        Axis::Type => (None, u8::try_from(value).ok()),
        Axis::None => (None, None),
    };
    Packet {
        src: addr(src),
        dst: addr(dst),
        proto,
        dport,
        icmp_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_of_the_service_line_is_the_packet_it_stands_for() {
        for (proto, port, ty) in [
            (6u8, Some(502u16), None),
            (17, Some(65535), None),
            (1, None, Some(8u8)),
            (58, None, Some(128)),
            (47, None, None),
            (0, None, None),
            (255, None, None),
        ] {
            let point = ServiceSpace::point(proto, port, ty);
            let p = packet(false, 1, 2, point);
            assert_eq!((p.proto, p.dport, p.icmp_type), (proto, port, ty));
        }
    }

    #[test]
    fn classes_start_at_every_bound_inside_the_set() {
        let set = IntervalSet::range(10u128, 20);
        let cut = IntervalSet::from_ranges([(5u128, 12), (15, 15), (19, 30)]);
        assert_eq!(
            class_starts(&set, [&cut].into_iter()),
            vec![10, 13, 15, 16, 19]
        );
    }
}
