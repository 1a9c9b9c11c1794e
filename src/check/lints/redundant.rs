//! `W105 redundant-flow`: a flow whose every packet another flow of the
//! same direction (same from and to zones) admits, and that stays in force
//! at least as long, logs if it logs and is essential if it is. Among flows
//! that cover each other, the first declared stays and the later ones are
//! redundant; a flow is reported with the first declared flow that makes it
//! redundant.
//!
//! Comparing every pair of flows would be quadratic, and a policy may hold
//! tens of thousands of flows between two zones. Instead, within one
//! direction:
//! 1. the distinct source sets, destination sets and service sets are
//!    numbered, and for each distinct set the distinct sets that contain it
//!    are found with an interval index on the sets' hulls (a set can only
//!    contain another if its hull contains the other's hull);
//! 2. flows with the same three sets form a class; a flow can only be
//!    covered by flows of classes whose three sets contain its own, and
//!    those are enumerated along whichever of the three dimensions offers
//!    fewer of them;
//! 3. within a class, flows are bucketed by `log` and `essential` and
//!    sorted by expiry, so the first declared flow that lasts long enough
//!    is a binary search away.
//!
//! The cost is `n log n` plus the number of (hull-)containments between
//! distinct sets, which stays small unless thousands of distinct sets
//! contain one another.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::{AddrSet, Date, ServiceSet};

/// What the judgement looks at in a flow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key<'a> {
    pub(crate) src: &'a AddrSet,
    pub(crate) dst: &'a AddrSet,
    pub(crate) services: &'a ServiceSet,
    pub(crate) expires: Option<Date>,
    pub(crate) log: bool,
    pub(crate) essential: bool,
}

/// Expiry as an ordered key: no expiry lasts longest.
type Expiry = (bool, Option<Date>);

fn expiry(k: &Key<'_>) -> Expiry {
    (k.expires.is_none(), k.expires)
}

/// True when `big` admits everything `small` does, at least as long.
#[cfg(test)]
fn covers(big: &Key<'_>, small: &Key<'_>) -> bool {
    expiry(big) >= expiry(small)
        && (big.log || !small.log)
        && (big.essential || !small.essential)
        && big.services.is_superset(small.services)
        && big.src.is_superset(small.src)
        && big.dst.is_superset(small.dst)
}

/// The first flow (by index) that makes each flow redundant, by brute force.
#[cfg(test)]
fn covering_pairwise(keys: &[Key<'_>]) -> Vec<Option<usize>> {
    (0..keys.len())
        .map(|i| {
            (0..keys.len()).find(|&j| {
                j != i && covers(&keys[j], &keys[i]) && (j < i || !covers(&keys[i], &keys[j]))
            })
        })
        .collect()
}

/// Numbers the distinct values: (id of each item, distinct values).
fn intern<'a, T: Ord>(items: impl Iterator<Item = &'a T>) -> (Vec<usize>, Vec<&'a T>) {
    let mut index: BTreeMap<&T, usize> = BTreeMap::new();
    let mut distinct = Vec::new();
    let ids = items
        .map(|t| {
            *index.entry(t).or_insert_with(|| {
                distinct.push(t);
                distinct.len() - 1
            })
        })
        .collect();
    (ids, distinct)
}

/// For each distinct set, the distinct sets that contain it (itself
/// included). `hull` is `None` exactly for the empty set.
fn supersets<T, H: Ord + Copy>(
    sets: &[&T],
    hull: impl Fn(&T) -> Option<(H, H)>,
    contains: impl Fn(&T, &T) -> bool,
) -> Vec<Vec<usize>> {
    let hulls: Vec<Option<(H, H)>> = sets.iter().map(|s| hull(s)).collect();
    // Sets with a hull, by lowest element; a max tree over their highest.
    let mut order: Vec<usize> = (0..sets.len()).filter(|&i| hulls[i].is_some()).collect();
    order.sort_by_key(|&i| hulls[i].map(|h| h.0));
    let los: Vec<Option<H>> = order.iter().map(|&i| hulls[i].map(|h| h.0)).collect();
    let size = order.len().next_power_of_two().max(1);
    let mut tree: Vec<Option<H>> = vec![None; 2 * size];
    for (k, &i) in order.iter().enumerate() {
        tree[size + k] = hulls[i].map(|h| h.1);
    }
    for n in (1..size).rev() {
        tree[n] = tree[2 * n].max(tree[2 * n + 1]);
    }
    let mut out = Vec::with_capacity(sets.len());
    for (x, h) in hulls.iter().enumerate() {
        let Some((lo, hi)) = *h else {
            // The empty set is inside every set.
            out.push((0..sets.len()).collect());
            continue;
        };
        // Candidates: lowest element <= lo (a prefix of `order`) and
        // highest element >= hi (found by descending the max tree).
        let prefix = los.partition_point(|l| *l <= Some(lo));
        let mut found = Vec::new();
        let mut stack = vec![(1usize, 0usize, size)];
        while let Some((node, l, r)) = stack.pop() {
            if l >= prefix || tree[node] < Some(hi) {
                continue;
            }
            if r - l == 1 {
                let y = order[l];
                if contains(sets[y], sets[x]) {
                    found.push(y);
                }
                continue;
            }
            let mid = (l + r) / 2;
            stack.push((2 * node + 1, mid, r));
            stack.push((2 * node, l, mid));
        }
        out.push(found);
    }
    out
}

fn addr_hull(s: &AddrSet) -> Option<(IpAddr, IpAddr)> {
    s.hull()
}

/// Services laid out on one line: TCP ports, then UDP ports, ICMP types,
/// ICMPv6 types and IP protocol numbers.
fn service_hull(s: &ServiceSet) -> Option<(u32, u32)> {
    let parts: [(u32, Option<(u32, u32)>); 5] = [
        (
            0,
            s.tcp
                .ranges()
                .first()
                .zip(s.tcp.ranges().last())
                .map(|(a, b)| (u32::from(a.0), u32::from(b.1))),
        ),
        (
            1 << 16,
            s.udp
                .ranges()
                .first()
                .zip(s.udp.ranges().last())
                .map(|(a, b)| (u32::from(a.0), u32::from(b.1))),
        ),
        (
            2 << 16,
            s.icmp
                .first()
                .zip(s.icmp.last())
                .map(|(a, b)| (u32::from(*a), u32::from(*b))),
        ),
        (
            (2 << 16) + 256,
            s.icmpv6
                .first()
                .zip(s.icmpv6.last())
                .map(|(a, b)| (u32::from(*a), u32::from(*b))),
        ),
        (
            (2 << 16) + 512,
            s.ip.first()
                .zip(s.ip.last())
                .map(|(a, b)| (u32::from(*a), u32::from(*b))),
        ),
    ];
    let mut present = parts
        .iter()
        .filter_map(|(base, h)| h.map(|(lo, hi)| (base + lo, base + hi)));
    let lo = present.clone().next()?.0;
    let hi = present.next_back()?.1;
    Some((lo, hi))
}

/// The flows of one class with the same `log` and `essential`, by expiry,
/// longest first (ties by index); with the smallest index of every prefix.
#[derive(Default)]
struct Bucket {
    by_expiry: Vec<(Expiry, usize)>,
    first: Vec<usize>,
}

impl Bucket {
    fn finish(&mut self) {
        self.by_expiry
            .sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut min = usize::MAX;
        self.first = self
            .by_expiry
            .iter()
            .map(|&(_, i)| {
                min = min.min(i);
                min
            })
            .collect();
    }
    /// The first declared flow lasting at least `e`.
    fn first_lasting(&self, e: Expiry) -> Option<usize> {
        let p = self.by_expiry.partition_point(|x| x.0 >= e);
        p.checked_sub(1).map(|k| self.first[k])
    }
    /// The first declared flow lasting longer than `e`.
    fn first_outlasting(&self, e: Expiry) -> Option<usize> {
        let p = self.by_expiry.partition_point(|x| x.0 > e);
        p.checked_sub(1).map(|k| self.first[k])
    }
    /// The first declared flow lasting exactly `e`.
    fn first_equal(&self, e: Expiry) -> Option<usize> {
        let p = self.by_expiry.partition_point(|x| x.0 > e);
        self.by_expiry.get(p).filter(|x| x.0 == e).map(|&(_, i)| i)
    }
}

fn bucket_of(k: &Key<'_>) -> usize {
    usize::from(k.log) * 2 + usize::from(k.essential)
}

/// For each flow, the first declared flow that makes it redundant: one that
/// covers it, and either comes before it or is not covered back by it.
pub(crate) fn covering(keys: &[Key<'_>]) -> Vec<Option<usize>> {
    let (src_id, srcs) = intern(keys.iter().map(|k| k.src));
    let (dst_id, dsts) = intern(keys.iter().map(|k| k.dst));
    let (svc_id, svcs) = intern(keys.iter().map(|k| k.services));
    let src_sup = supersets(&srcs, addr_hull, |a, b| a.is_superset(b));
    let dst_sup = supersets(&dsts, addr_hull, |a, b| a.is_superset(b));
    let svc_sup = supersets(&svcs, service_hull, |a, b| a.is_superset(b));

    // Classes of flows with the same three sets.
    let triples: Vec<(usize, usize, usize)> = (0..keys.len())
        .map(|i| (src_id[i], dst_id[i], svc_id[i]))
        .collect();
    let (class_of, classes) = intern(triples.iter());
    let classes: Vec<(usize, usize, usize)> = classes.into_iter().copied().collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); classes.len()];
    let mut buckets: Vec<[Bucket; 4]> = (0..classes.len()).map(|_| Default::default()).collect();
    for (i, k) in keys.iter().enumerate() {
        members[class_of[i]].push(i);
        buckets[class_of[i]][bucket_of(k)]
            .by_expiry
            .push((expiry(k), i));
    }
    for b in buckets.iter_mut().flatten() {
        b.finish();
    }
    let mut by_src: Vec<Vec<usize>> = vec![Vec::new(); srcs.len()];
    let mut by_dst: Vec<Vec<usize>> = vec![Vec::new(); dsts.len()];
    let mut by_svc: Vec<Vec<usize>> = vec![Vec::new(); svcs.len()];
    for (c, &(s, d, v)) in classes.iter().enumerate() {
        by_src[s].push(c);
        by_dst[d].push(c);
        by_svc[v].push(c);
    }

    let mut out = vec![None; keys.len()];
    for (c, &(s, d, v)) in classes.iter().enumerate() {
        // Classes whose three sets contain this class's, along the cheapest
        // dimension.
        let cost =
            |sup: &[usize], by: &[Vec<usize>]| -> usize { sup.iter().map(|&x| by[x].len()).sum() };
        let options = [
            (cost(&src_sup[s], &by_src), &src_sup[s], &by_src),
            (cost(&dst_sup[d], &by_dst), &dst_sup[d], &by_dst),
            (cost(&svc_sup[v], &by_svc), &svc_sup[v], &by_svc),
        ];
        let Some((_, sup, by)) = options.iter().min_by_key(|o| o.0) else {
            continue;
        };
        let candidates: Vec<usize> = sup
            .iter()
            .flat_map(|&x| by[x].iter().copied())
            .filter(|&c2| {
                let (s2, d2, v2) = classes[c2];
                (s2 == s || srcs[s2].is_superset(srcs[s]))
                    && (d2 == d || dsts[d2].is_superset(dsts[d]))
                    && (v2 == v || svcs[v2].is_superset(svcs[v]))
            })
            .collect();
        for &i in &members[c] {
            let k = &keys[i];
            let e = expiry(k);
            let mut best: Option<usize> = None;
            for &c2 in &candidates {
                for (bi, b) in buckets[c2].iter().enumerate() {
                    let (log, essential) = (bi >= 2, bi % 2 == 1);
                    if (k.log && !log) || (k.essential && !essential) {
                        continue;
                    }
                    let found = if c2 == c && bi == bucket_of(k) {
                        // Equals: only an earlier one makes this one redundant.
                        let earlier = b.first_equal(e).filter(|&j| j < i);
                        match (b.first_outlasting(e), earlier) {
                            (Some(x), Some(y)) => Some(x.min(y)),
                            (x, y) => x.or(y),
                        }
                    } else {
                        b.first_lasting(e)
                    };
                    if let Some(j) = found {
                        best = Some(best.map_or(j, |b| b.min(j)));
                    }
                }
            }
            out[i] = best;
        }
    }
    out
}

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, usize), Vec<(usize, usize)>> = BTreeMap::new();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            groups
                .entry((f.from_zone, f.to_zone))
                .or_default()
                .push((ci, fi));
        }
    }
    let flow = |(ci, fi): (usize, usize)| &c.policy.conduits[ci].flows[fi];
    let mut out = Vec::new();
    for members in groups.values() {
        let keys: Vec<Key<'_>> = members
            .iter()
            .map(|&m| {
                let f = flow(m);
                Key {
                    src: &f.src,
                    dst: &f.dst,
                    services: &f.services,
                    expires: f.expires,
                    log: f.log,
                    essential: f.essential,
                }
            })
            .collect();
        for (i, by) in covering(&keys).into_iter().enumerate() {
            let Some(j) = by else { continue };
            let (a, b) = (members[i], members[j]);
            let d = Diagnostic::new(
                Code::RedundantFlow,
                c.flow_decl(a.0, a.1).name.span,
                format!(
                    "flow `{}` is fully covered by flow `{}`",
                    flow(a).full_name,
                    flow(b).full_name
                ),
            )
            .label("adds nothing")
            .with(
                c.flow_decl(b.0, b.1).name.span,
                "admits everything the other flow does",
            )
            .help("remove the redundant flow, or narrow the broader one");
            out.push((d, a.0, Some(a.1)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PortSet;
    use proptest::prelude::*;

    fn nets(bits: u8) -> AddrSet {
        // Four /26 blocks of 10.0.0.0/24 and one IPv6 prefix, by bit.
        let mut list = Vec::new();
        for k in 0..4u8 {
            if bits & (1 << k) != 0 {
                list.push(format!("10.0.0.{}/26", 64 * k).parse().unwrap());
            }
        }
        if bits & 16 != 0 {
            list.push("2001:db8::/64".parse().unwrap());
        }
        AddrSet::from_nets(list)
    }

    fn services(bits: u8) -> ServiceSet {
        let mut s = ServiceSet::new();
        let ports: Vec<(u16, u16)> = (0..3u8)
            .filter(|k| bits & (1 << k) != 0)
            .map(|k| (100 * u16::from(k) + 1, 100 * u16::from(k) + 50))
            .collect();
        s.tcp = PortSet::from_ranges(ports);
        if bits & 8 != 0 {
            s.icmp.insert(8);
        }
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn indexed_search_agrees_with_pairwise(
            flows in proptest::collection::vec(
                (0u8..32, 0u8..32, 0u8..16, 0u8..4, any::<bool>(), any::<bool>()),
                0..24,
            )
        ) {
            let data: Vec<(AddrSet, AddrSet, ServiceSet, Option<Date>, bool, bool)> = flows
                .iter()
                .map(|&(s, d, v, e, log, ess)| {
                    let expires = match e {
                        0 => None,
                        n => Date::parse(&format!("2027-0{n}-01")),
                    };
                    (nets(s), nets(d), services(v), expires, log, ess)
                })
                .collect();
            let keys: Vec<Key<'_>> = data
                .iter()
                .map(|(src, dst, services, expires, log, essential)| Key {
                    src,
                    dst,
                    services,
                    expires: *expires,
                    log: *log,
                    essential: *essential,
                })
                .collect();
            prop_assert_eq!(covering(&keys), covering_pairwise(&keys));
        }
    }
}
