//! Address sets: normalised unions of IPv4 and IPv6 intervals.
//!
//! `AddrSet` is the one representation of "which addresses" used from the
//! checked model down to the backends. Backends turn it into prefixes
//! ([`AddrSet::to_prefixes`]) or ranges; the property tests reason about it
//! with plain set algebra.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use super::interval::{IntervalSet, Union};

/// A set of IPv4 and IPv6 addresses: one [`IntervalSet`] per family.
///
/// INVARIANT: both interval lists are normalised (sorted, non-overlapping
/// and non-adjacent), so two equal sets have equal representations and
/// `==` is set equality.
///
/// The interval lists are shared: cloning a set copies two pointers, not
/// its intervals, so the many flows that name one group or zone hold one
/// copy of its addresses. They serialise as plain lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AddrSet {
    v4: IntervalSet<u32>,
    v6: IntervalSet<u128>,
}

/// The two shared interval lists of an [`AddrSet`], IPv4 then IPv6.
pub(crate) type SharedMut<'a> = (&'a mut Arc<Vec<(u32, u32)>>, &'a mut Arc<Vec<(u128, u128)>>);

/// Largest CIDR blocks covering exactly `[lo, hi]`.
fn range_to_cidrs(mut lo: u128, hi: u128, bits: u32) -> Vec<(u128, u8)> {
    let mut out = Vec::new();
    loop {
        // largest block aligned at lo that does not pass hi
        let mut size = if lo == 0 {
            bits
        } else {
            lo.trailing_zeros().min(bits)
        };
        while size > 0 {
            let span_minus_one: u128 = if size >= 128 {
                u128::MAX
            } else {
                (1u128 << size) - 1
            };
            if lo.checked_add(span_minus_one).is_some_and(|end| end <= hi) {
                break;
            }
            size -= 1;
        }
        let span_minus_one: u128 = if size >= 128 {
            u128::MAX
        } else {
            (1u128 << size) - 1
        };
        out.push((lo, (bits - size) as u8));
        let end = lo + span_minus_one;
        if end >= hi {
            break;
        }
        lo = end + 1;
    }
    out
}

impl AddrSet {
    /// The shared interval lists, for the checker to swap each for an equal
    /// shared copy (it must not change their content).
    pub(crate) fn shared_mut(&mut self) -> SharedMut<'_> {
        (self.v4.shared_mut(), self.v6.shared_mut())
    }

    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every IPv4 and every IPv6 address.
    pub fn all() -> Self {
        AddrSet {
            v4: IntervalSet::full(),
            v6: IntervalSet::full(),
        }
    }

    /// The set holding one prefix.
    pub fn from_net(net: IpNet) -> Self {
        Self::from_nets([net])
    }

    /// The set holding one address.
    pub fn from_addr(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => Self::from_v4(IntervalSet::single(u32::from(a))),
            IpAddr::V6(a) => Self::from_v6(IntervalSet::single(u128::from(a))),
        }
    }

    /// The set of these IPv4 addresses.
    pub fn from_v4(v4: IntervalSet<u32>) -> Self {
        AddrSet {
            v4,
            v6: IntervalSet::new(),
        }
    }

    /// The set of these IPv6 addresses.
    pub fn from_v6(v6: IntervalSet<u128>) -> Self {
        AddrSet {
            v4: IntervalSet::new(),
            v6,
        }
    }

    /// Builds a set from arbitrary (possibly overlapping, unsorted) IPv4 intervals.
    pub fn from_v4_ranges(v4: Vec<(u32, u32)>) -> Self {
        Self::from_v4(IntervalSet::from_ranges(v4))
    }

    /// Builds a set from arbitrary (possibly overlapping, unsorted) IPv6 intervals.
    pub fn from_v6_ranges(v6: Vec<(u128, u128)>) -> Self {
        Self::from_v6(IntervalSet::from_ranges(v6))
    }

    /// Adds a prefix.
    pub fn insert_net(&mut self, net: IpNet) {
        *self = self.union(&Self::from_net(net));
    }

    /// The set holding every prefix of `nets`, in one normalisation pass.
    pub fn from_nets(nets: impl IntoIterator<Item = IpNet>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for net in nets {
            match net {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        AddrSet {
            v4: IntervalSet::from_ranges(v4),
            v6: IntervalSet::from_ranges(v6),
        }
    }

    /// The set holding every address of `addrs`, in one normalisation pass.
    pub fn from_addrs(addrs: impl IntoIterator<Item = IpAddr>) -> Self {
        Self::from_nets(addrs.into_iter().map(IpNet::from))
    }

    /// The IPv4 addresses as a set of integers.
    pub fn v4(&self) -> &IntervalSet<u32> {
        &self.v4
    }

    /// The IPv6 addresses as a set of integers.
    pub fn v6(&self) -> &IntervalSet<u128> {
        &self.v6
    }

    /// The smallest and largest address, IPv4 before IPv6 (`None` when
    /// empty). A superset's hull contains the subset's.
    pub fn hull(&self) -> Option<(IpAddr, IpAddr)> {
        let (h4, h6) = (self.v4.hull(), self.v6.hull());
        let lo = match (h4, h6) {
            (Some((a, _)), _) => IpAddr::V4(Ipv4Addr::from(a)),
            (None, Some((a, _))) => IpAddr::V6(Ipv6Addr::from(a)),
            (None, None) => return None,
        };
        let hi = match (h6, h4) {
            (Some((_, b)), _) => IpAddr::V6(Ipv6Addr::from(b)),
            (None, Some((_, b))) => IpAddr::V4(Ipv4Addr::from(b)),
            (None, None) => return None,
        };
        Some((lo, hi))
    }

    /// The union of many sets, in one normalisation pass per family.
    ///
    /// When one set holds all the others (the same group named twice, say),
    /// the result shares that set's intervals. The work lists are compacted
    /// whenever they have doubled since the last compaction (see
    /// [`IntervalSet::union_all`]).
    pub fn union_all<'a>(sets: impl IntoIterator<Item = &'a AddrSet>) -> AddrSet {
        let (mut v4, mut v6) = (Union::new(), Union::new());
        for s in sets {
            v4.push(&s.v4);
            v6.push(&s.v6);
        }
        AddrSet {
            v4: v4.finish(),
            v6: v6.finish(),
        }
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &AddrSet) -> AddrSet {
        Self::union_all([self, other])
    }

    /// `self ∩ other`.
    pub fn intersection(&self, other: &AddrSet) -> AddrSet {
        AddrSet {
            v4: self.v4.intersection(&other.v4),
            v6: self.v6.intersection(&other.v6),
        }
    }

    /// Every address not in `self` (both families).
    pub fn complement(&self) -> AddrSet {
        AddrSet {
            v4: self.v4.complement(),
            v6: self.v6.complement(),
        }
    }

    /// `self \ other`.
    pub fn difference(&self, other: &AddrSet) -> AddrSet {
        AddrSet {
            v4: self.v4.difference(&other.v4),
            v6: self.v6.difference(&other.v6),
        }
    }

    /// True when the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// True when `addr` is in the set.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(u128::from(a)),
        }
    }

    /// True when every address of `other` is in `self`.
    pub fn is_superset(&self, other: &AddrSet) -> bool {
        self.v4.is_superset(&other.v4) && self.v6.is_superset(&other.v6)
    }

    /// True when the two sets share an address.
    pub fn intersects(&self, other: &AddrSet) -> bool {
        self.v4.intersects(&other.v4) || self.v6.intersects(&other.v6)
    }

    /// The IPv4 part only.
    pub fn v4_only(&self) -> AddrSet {
        Self::from_v4(self.v4.clone())
    }

    /// The IPv6 part only.
    pub fn v6_only(&self) -> AddrSet {
        Self::from_v6(self.v6.clone())
    }

    /// True when the set holds at least one IPv4 address.
    pub fn has_v4(&self) -> bool {
        !self.v4.is_empty()
    }

    /// True when the set holds at least one IPv6 address.
    pub fn has_v6(&self) -> bool {
        !self.v6.is_empty()
    }

    /// The IPv4 intervals, sorted and disjoint, as inclusive address pairs.
    pub fn v4_ranges(&self) -> impl Iterator<Item = (Ipv4Addr, Ipv4Addr)> + '_ {
        self.v4
            .iter()
            .map(|(a, b)| (Ipv4Addr::from(a), Ipv4Addr::from(b)))
    }

    /// The IPv6 intervals, sorted and disjoint, as inclusive address pairs.
    pub fn v6_ranges(&self) -> impl Iterator<Item = (Ipv6Addr, Ipv6Addr)> + '_ {
        self.v6
            .iter()
            .map(|(a, b)| (Ipv6Addr::from(a), Ipv6Addr::from(b)))
    }

    /// The fewest disjoint IPv4 prefixes whose union is exactly the IPv4 part.
    pub fn v4_prefixes(&self) -> Vec<Ipv4Net> {
        let mut out = Vec::new();
        for (lo, hi) in self.v4.iter() {
            for (start, len) in range_to_cidrs(lo as u128, hi as u128, 32) {
                if let Ok(n) = Ipv4Net::new(Ipv4Addr::from(start as u32), len) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// The fewest disjoint IPv6 prefixes whose union is exactly the IPv6 part.
    pub fn v6_prefixes(&self) -> Vec<Ipv6Net> {
        let mut out = Vec::new();
        for (lo, hi) in self.v6.iter() {
            for (start, len) in range_to_cidrs(lo, hi, 128) {
                if let Ok(n) = Ipv6Net::new(Ipv6Addr::from(start), len) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// All prefixes, IPv4 first, each family sorted.
    pub fn to_prefixes(&self) -> Vec<IpNet> {
        self.v4_prefixes()
            .into_iter()
            .map(IpNet::V4)
            .chain(self.v6_prefixes().into_iter().map(IpNet::V6))
            .collect()
    }

    /// Number of IPv4 intervals plus IPv6 intervals.
    pub fn interval_count(&self) -> usize {
        self.v4.interval_count() + self.v6.interval_count()
    }

    /// True when the set is every IPv4 address (and nothing of IPv6 is asked).
    pub fn is_all_v4(&self) -> bool {
        self.v4.is_full()
    }

    /// True when the set is every IPv6 address.
    pub fn is_all_v6(&self) -> bool {
        self.v6.is_full()
    }
}

impl fmt::Display for AddrSet {
    /// Prefixes separated by `, `, or `(none)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.to_prefixes();
        if p.is_empty() {
            return f.write_str("(none)");
        }
        for (i, n) in p.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match n {
                IpNet::V4(n) if n.prefix_len() == 32 => write!(f, "{}", n.addr())?,
                IpNet::V6(n) if n.prefix_len() == 128 => write!(f, "{}", n.addr())?,
                n => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn merges_adjacent_and_overlapping() {
        let mut s = AddrSet::new();
        s.insert_net(net("10.0.0.0/25"));
        s.insert_net(net("10.0.0.128/25"));
        s.insert_net(net("10.0.0.5/32"));
        assert_eq!(s.to_prefixes(), vec![net("10.0.0.0/24")]);
    }

    #[test]
    fn complement_of_all_is_empty() {
        assert!(AddrSet::all().complement().is_empty());
        assert_eq!(AddrSet::new().complement(), AddrSet::all());
        let s = AddrSet::from_net(net("0.0.0.0/1"));
        assert_eq!(
            s.complement().to_prefixes(),
            vec![net("128.0.0.0/1"), net("::/0")]
        );
    }

    #[test]
    fn prefixes_of_odd_range() {
        let s = AddrSet::from_v4_ranges(vec![(
            u32::from(Ipv4Addr::new(10, 0, 0, 1)),
            u32::from(Ipv4Addr::new(10, 0, 0, 6)),
        )]);
        let got: Vec<String> = s.to_prefixes().iter().map(|n| n.to_string()).collect();
        assert_eq!(
            got,
            ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]
        );
    }

    proptest! {
        #[test]
        fn prefixes_cover_exactly(ranges in proptest::collection::vec((any::<u32>(), any::<u32>()), 0..6), probe in any::<u32>()) {
            let s = AddrSet::from_v4_ranges(ranges.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect());
            let mut back = AddrSet::new();
            for p in s.to_prefixes() { back.insert_net(p); }
            prop_assert_eq!(&back, &s);
            let a = IpAddr::V4(Ipv4Addr::from(probe));
            let in_ranges = ranges.iter().any(|&(x, y)| x.min(y) <= probe && probe <= x.max(y));
            prop_assert_eq!(s.contains(a), in_ranges);
            prop_assert_eq!(s.complement().contains(a), !in_ranges);
        }

        #[test]
        fn superset_and_hull_agree_with_set_algebra(
            a in proptest::collection::vec((any::<u32>(), any::<u32>()), 0..6),
            b in proptest::collection::vec((any::<u32>(), any::<u32>()), 0..6),
            v6 in any::<bool>(),
        ) {
            let mk = |r: &Vec<(u32, u32)>| {
                let v: Vec<(u32, u32)> = r.iter().map(|&(x, y)| (x.min(y) >> 4, x.max(y) >> 4)).collect();
                let mut s = AddrSet::from_v4_ranges(v.clone());
                if v6 {
                    s = s.union(&AddrSet::from_v6_ranges(v.iter().map(|&(x, y)| (x as u128, y as u128)).collect()));
                }
                s
            };
            let (x, y) = (mk(&a), mk(&b));
            for (big, small) in [(&x, &y), (&y, &x), (&x, &x.union(&y)), (&x.union(&y), &y)] {
                prop_assert_eq!(big.is_superset(small), small.difference(big).is_empty());
                prop_assert_eq!(big.intersects(small), !big.intersection(small).is_empty());
                if big.is_superset(small) {
                    if let (Some((bl, bh)), Some((sl, sh))) = (big.hull(), small.hull()) {
                        prop_assert!(bl <= sl && sh <= bh);
                    }
                }
            }
            prop_assert_eq!(AddrSet::from_nets(x.to_prefixes()), x);
        }
    }
}
