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
//!    numbered in order of first use, and flows with the same three sets
//!    form a class (numbered the same way, so a class's number orders it by
//!    its first flow);
//! 2. each dimension's distinct sets are laid out as intervals on one line
//!    (IPv4 before IPv6; services on the service line of
//!    [`ServiceSpace`]) and stored in a segment tree, which lists the sets
//!    holding a given point in increasing order;
//! 3. a set that contains a class's set holds every point of it, so the
//!    flows that may cover a class are those whose set holds one point of
//!    the class's: the point, among the ends of up to 17 of its intervals
//!    in each dimension (the first, the last and some between), that the
//!    fewest classes hold. They are visited in order of
//!    their first flow, each checked exactly, and the visit stops as soon
//!    as no later one could be declared before the coverer already found;
//! 4. within a class, flows are bucketed by `log` and `essential` and
//!    sorted by expiry, so the first declared flow that lasts long enough
//!    is a binary search away.
//!
//! Sets that nest in a chain cost a step or two each (the next larger set
//! is found first); sets that share hulls but not points are never
//! compared. No index makes every input fast (deciding which of many sets
//! contain one another is as hard as comparing them pairwise), so the work
//! is counted and bounded by [`BUDGET`]: a policy that needs more is
//! checked exactly up to that point, and the rest of its flows are named in
//! one `W105` finding saying that they were not checked.

use std::collections::BTreeMap;
use std::hash::Hash;

use foldhash::HashMap;

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::{AddrSet, Date, ServiceSet, ServiceSpace};

/// Steps (sets and flows visited, intervals compared, expiry searches) the
/// lint may take for one policy. A policy of 50,000 flows whose sets barely
/// overlap takes a few million; reaching the budget takes seconds.
pub(crate) const BUDGET: u64 = 200_000_000;

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
fn intern<'a, T: Eq + Hash>(items: impl Iterator<Item = &'a T>) -> (Vec<usize>, Vec<&'a T>) {
    let mut index: HashMap<&T, usize> = HashMap::default();
    index.reserve(items.size_hint().0);
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

/// A point on one dimension's line: (part, value): (0, an IPv4 address),
/// (1, an IPv6 address) or (2, a point of the service line).
type Point = (u8, u128);

fn addr_intervals(s: &AddrSet) -> Vec<(Point, Point)> {
    let v4 = s
        .v4_ranges()
        .map(|(a, b)| ((0, u128::from(u32::from(a))), (0, u128::from(u32::from(b)))));
    let v6 = s
        .v6_ranges()
        .map(|(a, b)| ((1, u128::from(a)), (1, u128::from(b))));
    v4.chain(v6).collect()
}

fn service_intervals(s: &ServiceSet) -> Vec<(Point, Point)> {
    ServiceSpace::of_set(s)
        .ranges()
        .iter()
        .map(|&(a, b)| ((2, u128::from(a)), (2, u128::from(b))))
        .collect()
}

/// The distinct sets of one dimension, as intervals in a segment tree over
/// their ends: a set is listed at the nodes that cover its intervals, so
/// the sets holding a point are those listed on the point's path to the
/// root (each once: a set's intervals are disjoint).
struct Line {
    /// The number of leaves (the distinct interval ends, sorted), rounded
    /// up to a power of two.
    size: usize,
    /// The sets listed at each node, by number: node `n`'s are
    /// `listed[starts[n]..starts[n + 1]]` (one allocation for every node).
    starts: Vec<u32>,
    listed: Vec<u32>,
    /// Per set, the point that the fewest classes hold (`None` for the
    /// empty set) with their number.
    rarest: Vec<Option<(usize, u64)>>,
    /// Per set, its number of intervals.
    len: Vec<u64>,
}

/// How many intervals of a set are tried as the rarest point.
const SAMPLES: usize = 16;

/// Visits the nodes of a segment tree over `size` leaves that cover the
/// leaves `a..=b`, bottom up.
fn cover(size: usize, a: usize, b: usize, mut visit: impl FnMut(usize)) {
    let (mut l, mut r) = (a + size, b + size + 1);
    while l < r {
        if l & 1 == 1 {
            visit(l);
        }
        if r & 1 == 1 {
            visit(r - 1);
        }
        l = (l + 1) >> 1;
        r >>= 1;
    }
}

/// Calls `visit(x, node)` for every node of a tree of `size` leaves that
/// covers an interval of set `x`, sets and intervals in order; `leaf_of`
/// gives each interval end's leaf, two slots per interval.
fn each_cover(
    intervals: &[Vec<(Point, Point)>],
    leaf_of: &[u32],
    size: usize,
    mut visit: impl FnMut(usize, usize),
) {
    let mut slot = 0;
    for (x, set) in intervals.iter().enumerate() {
        for _ in set {
            let (a, b) = (leaf_of[slot] as usize, leaf_of[slot + 1] as usize);
            slot += 2;
            cover(size, a, b, |node| visit(x, node));
        }
    }
}

impl Line {
    fn new(intervals: &[Vec<(Point, Point)>], classes_per_set: &[u64]) -> Line {
        // Every interval end, tagged with its slot (two per interval, in
        // order of sets), sorted: the distinct ends are the leaves, and each
        // slot's leaf is known without searching. The ends of IPv4
        // addresses (part 0) and of services (part 2) fit in 32 bits: with
        // their slot, one 64-bit word sorts them; the rest (IPv6) sort
        // apart, and the two sorted runs are merged.
        let mut narrow: [Vec<u64>; 2] = Default::default();
        let mut wide: Vec<(Point, u32)> = Vec::new();
        let mut slots = 0u32;
        for &(a, b) in intervals.iter().flatten() {
            for p in [a, b] {
                match (p.0, u32::try_from(p.1)) {
                    (0 | 2, Ok(v)) => {
                        narrow[usize::from(p.0 / 2)].push(u64::from(v) << 32 | u64::from(slots));
                    }
                    _ => wide.push((p, slots)),
                }
                slots += 1;
            }
        }
        for keys in &mut narrow {
            keys.sort_unstable();
        }
        wide.sort_unstable();
        let [low, high] = &narrow;
        let mut narrow = low
            .iter()
            .map(|&key| ((0, u128::from(key >> 32)), key as u32))
            .chain(
                high.iter()
                    .map(|&key| ((2, u128::from(key >> 32)), key as u32)),
            )
            .peekable();
        let mut wide = wide.into_iter().peekable();
        let mut leaf_of = vec![0u32; slots as usize];
        let (mut leaves, mut last) = (0u32, None);
        loop {
            let next = match (narrow.peek(), wide.peek()) {
                (Some(n), Some(w)) if n.0 <= w.0 => narrow.next(),
                (_, Some(_)) => wide.next(),
                (Some(_), None) => narrow.next(),
                (None, None) => None,
            };
            let Some((p, slot)) = next else { break };
            if last != Some(p) {
                last = Some(p);
                leaves += 1;
            }
            leaf_of[slot as usize] = leaves - 1;
        }
        let size = (leaves as usize).next_power_of_two().max(1);
        // The nodes covering each interval, in order: counted first, then
        // listed, so that every node's sets lie in one shared vector.
        let mut starts = vec![0u32; 2 * size + 1];
        let mut weight = vec![0u64; 2 * size];
        each_cover(intervals, &leaf_of, size, |x, node| {
            starts[node + 1] += 1;
            weight[node] += classes_per_set[x];
        });
        for n in 0..2 * size {
            starts[n + 1] += starts[n];
        }
        let mut listed = vec![0u32; starts[2 * size] as usize];
        let mut next: Vec<u32> = starts[..2 * size].to_vec();
        each_cover(intervals, &leaf_of, size, |x, node| {
            listed[next[node] as usize] = x as u32;
            next[node] += 1;
        });
        drop(next);
        // The classes holding each leaf: the weights (per node, the classes
        // using the sets listed there) on its path to the root, summed top
        // down once for every node.
        let mut held = weight;
        for n in 2..2 * size {
            held[n] += held[n >> 1];
        }
        let mut first_slot = 0;
        let rarest = intervals
            .iter()
            .map(|set| {
                let step = set.len().div_ceil(SAMPLES).max(1);
                let base = first_slot;
                first_slot += 2 * set.len();
                (0..set.len())
                    .filter(|k| k % step == 0 || k + 1 == set.len())
                    .flat_map(|k| [leaf_of[base + 2 * k], leaf_of[base + 2 * k + 1]])
                    .map(|leaf| {
                        let leaf = leaf as usize;
                        (held[leaf + size], leaf)
                    })
                    .min()
                    .map(|(w, leaf)| (leaf, w))
            })
            .collect();
        Line {
            size,
            starts,
            listed,
            rarest,
            len: intervals.iter().map(|s| s.len() as u64).collect(),
        }
    }

    /// The lists on the path from `leaf` to the root, into `out`.
    fn path<'l>(&'l self, leaf: usize, out: &mut Vec<&'l [u32]>) {
        out.clear();
        let mut node = leaf + self.size;
        while node > 0 {
            let (a, b) = (self.starts[node] as usize, self.starts[node + 1] as usize);
            if a < b {
                out.push(&self.listed[a..b]);
            }
            node >>= 1;
        }
    }
}

/// Items grouped by key (`0..keys`), each group in the order given: one
/// allocation for every group.
struct Groups {
    starts: Vec<usize>,
    items: Vec<usize>,
}

impl Groups {
    fn new(keys: usize, pairs: impl Iterator<Item = (usize, usize)> + Clone) -> Groups {
        let mut starts = vec![0usize; keys + 1];
        for (k, _) in pairs.clone() {
            starts[k + 1] += 1;
        }
        for k in 0..keys {
            starts[k + 1] += starts[k];
        }
        let mut items = vec![0usize; starts[keys]];
        let mut next = starts[..keys].to_vec();
        for (k, item) in pairs {
            items[next[k]] = item;
            next[k] += 1;
        }
        Groups { starts, items }
    }

    /// The items of group `k`.
    fn get(&self, k: usize) -> &[usize] {
        &self.items[self.starts[k]..self.starts[k + 1]]
    }

    /// The items of group `k` and of every later group.
    fn from(&self, k: usize) -> &[usize] {
        &self.items[self.starts[k]..]
    }
}

/// The sets holding one point, in increasing order: a merge of the lists
/// on its path.
struct Holders<'l> {
    lists: Vec<&'l [u32]>,
}

impl Holders<'_> {
    /// The next set, and the steps taken to find it.
    fn next(&mut self) -> Option<(usize, u64)> {
        let k = (0..self.lists.len()).min_by_key(|&k| self.lists[k].first())?;
        let (&x, rest) = self.lists[k].split_first()?;
        self.lists[k] = rest;
        if rest.is_empty() {
            self.lists.swap_remove(k);
        }
        Some((x as usize, 1 + self.lists.len() as u64))
    }
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

/// What [`covering`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Covering {
    /// For each flow, the first declared flow that makes it redundant.
    pub(crate) by: Vec<Option<usize>>,
    /// When the budget ran out, the flows not judged (their `by` is `None`).
    pub(crate) unchecked: Vec<usize>,
    /// Steps taken.
    pub(crate) steps: u64,
}

/// For each flow, the first declared flow that makes it redundant: one that
/// covers it, and either comes before it or is not covered back by it.
/// Takes at most about `budget` steps; the flows left when it runs out are
/// listed as unchecked.
pub(crate) fn covering(keys: &[Key<'_>], budget: u64) -> Covering {
    let (src_id, srcs) = intern(keys.iter().map(|k| k.src));
    let (dst_id, dsts) = intern(keys.iter().map(|k| k.dst));
    let (svc_id, svcs) = intern(keys.iter().map(|k| k.services));

    // Classes of flows with the same three sets.
    let triples: Vec<[usize; 3]> = (0..keys.len())
        .map(|i| [src_id[i], dst_id[i], svc_id[i]])
        .collect();
    let (class_of, classes) = intern(triples.iter());
    let classes: Vec<[usize; 3]> = classes.into_iter().copied().collect();
    let members = Groups::new(
        classes.len(),
        class_of.iter().copied().enumerate().map(|(i, c)| (c, i)),
    );
    let mut buckets: Vec<[Bucket; 4]> = (0..classes.len()).map(|_| Default::default()).collect();
    for (i, k) in keys.iter().enumerate() {
        buckets[class_of[i]][bucket_of(k)]
            .by_expiry
            .push((expiry(k), i));
    }
    for b in buckets.iter_mut().flatten() {
        b.finish();
    }
    // Per dimension, the classes using each set, in order.
    let counts = [srcs.len(), dsts.len(), svcs.len()];
    let by_set: [Groups; 3] = [0, 1, 2].map(|d| {
        Groups::new(
            counts[d],
            classes.iter().enumerate().map(|(c, t)| (t[d], c)),
        )
    });
    let weights = |d: usize| -> Vec<u64> {
        (0..counts[d])
            .map(|x| by_set[d].get(x).len() as u64)
            .collect()
    };
    let lines = [
        Line::new(
            &srcs.iter().map(|s| addr_intervals(s)).collect::<Vec<_>>(),
            &weights(0),
        ),
        Line::new(
            &dsts.iter().map(|s| addr_intervals(s)).collect::<Vec<_>>(),
            &weights(1),
        ),
        Line::new(
            &svcs
                .iter()
                .map(|s| service_intervals(s))
                .collect::<Vec<_>>(),
            &weights(2),
        ),
    ];
    // Does set `big` of dimension `d` contain set `small`?
    let contains = |d: usize, big: usize, small: usize| -> bool {
        match d {
            0 => srcs[big].is_superset(srcs[small]),
            1 => dsts[big].is_superset(dsts[small]),
            _ => svcs[big].is_superset(svcs[small]),
        }
    };
    let first_of_class = |c: usize| members.get(c)[0];

    let mut steps: u64 = 0;
    let mut out = vec![None; keys.len()];
    // Reused from class to class.
    let mut best: Vec<Option<usize>> = Vec::new();
    let mut spare: Vec<&[u32]> = Vec::new();
    for (c, &t) in classes.iter().enumerate() {
        // Every class that may cover this one holds the rarest point of one
        // of its sets; without one (all three sets empty), every class may.
        let rarest = (0..3)
            .filter_map(|d| lines[d].rarest[t[d]].map(|(leaf, w)| (w, d, leaf)))
            .min();
        let mut holders = rarest.map(|(_, d, leaf)| {
            let mut lists = std::mem::take(&mut spare);
            lines[d].path(leaf, &mut lists);
            Holders { lists }
        });
        let dim = rarest.map_or(0, |r| r.1);
        let mut all_sets = 0..counts[dim];
        let mine = members.get(c);
        best.clear();
        best.resize(mine.len(), None);
        let mut bound = usize::MAX;
        'sets: loop {
            if steps > budget {
                // Cut short: this class and the later ones are not judged.
                let unchecked = members.from(c).to_vec();
                return Covering {
                    by: out,
                    unchecked,
                    steps,
                };
            }
            let x = match holders.as_mut() {
                Some(h) => match h.next() {
                    Some((x, cost)) => {
                        steps += cost;
                        x
                    }
                    None => break,
                },
                None => match all_sets.next() {
                    Some(x) => {
                        steps += 1;
                        x
                    }
                    None => break,
                },
            };
            let sharing = by_set[dim].get(x);
            for &c2 in sharing {
                steps += 1;
                if first_of_class(c2) >= bound {
                    // Later classes of this set, and every class of later
                    // sets, start later still.
                    if c2 == sharing[0] {
                        break 'sets;
                    }
                    break;
                }
                // A comparison that fails costs a step; one that holds, a
                // step per interval of the smaller set.
                let t2 = classes[c2];
                let mut holds = true;
                for d in (0..3).filter(|&d| t2[d] != t[d]) {
                    steps += 1;
                    if !contains(d, t2[d], t[d]) {
                        holds = false;
                        break;
                    }
                    steps += lines[d].len[t[d]];
                }
                if !holds {
                    continue;
                }
                for (m, &i) in mine.iter().enumerate() {
                    let k = &keys[i];
                    let e = expiry(k);
                    for (bi, b) in buckets[c2].iter().enumerate() {
                        let (log, essential) = (bi >= 2, bi % 2 == 1);
                        if (k.log && !log) || (k.essential && !essential) || b.first.is_empty() {
                            continue;
                        }
                        steps += 1;
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
                            best[m] = Some(best[m].map_or(j, |b| b.min(j)));
                        }
                    }
                }
                steps += mine.len() as u64;
                bound = best
                    .iter()
                    .map(|b| b.unwrap_or(usize::MAX))
                    .max()
                    .unwrap_or(0);
            }
        }
        for (m, &i) in mine.iter().enumerate() {
            out[i] = best[m];
        }
        if let Some(h) = holders {
            spare = h.lists;
        }
    }
    Covering {
        by: out,
        unchecked: Vec::new(),
        steps,
    }
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
    let mut left = BUDGET;
    // Flows not judged once the budget ran out, in declaration order.
    let mut unchecked: Vec<(usize, usize)> = Vec::new();
    for members in groups.values() {
        if left == 0 {
            unchecked.extend(members.iter().copied());
            continue;
        }
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
        let found = covering(&keys, left);
        left = left.saturating_sub(found.steps);
        if !found.unchecked.is_empty() {
            left = 0;
            unchecked.extend(found.unchecked.iter().map(|&i| members[i]));
        }
        for (i, by) in found.by.into_iter().enumerate() {
            let Some(j) = by else { continue };
            let (a, b) = (members[i], members[j]);
            let d = Diagnostic::new(
                Code::RedundantFlow,
                c.flow_decl(a.0, a.1).name,
                format!(
                    "flow `{}` is fully covered by flow `{}`",
                    flow(a).full_name,
                    flow(b).full_name
                ),
            )
            .label("adds nothing")
            .with(
                c.flow_decl(b.0, b.1).name,
                "admits everything the other flow does",
            )
            .help("remove the redundant flow, or narrow the broader one");
            out.push((d, a.0, Some(a.1)));
        }
    }
    unchecked.sort_unstable();
    if let Some(&first) = unchecked.first() {
        let d = Diagnostic::new(
            Code::RedundantFlow,
            c.flow_decl(first.0, first.1).name,
            format!(
                "the redundant-flow check stopped after {} million steps; {} flows were not checked, the first `{}`",
                BUDGET / 1_000_000,
                unchecked.len(),
                flow(first).full_name
            ),
        )
        .label("not checked for redundancy")
        .help("flows between the same zones overlap each other in too many ways to compare them all; merge overlapping flows into fewer, broader ones");
        out.push((d, first.0, None));
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
            let found = covering(&keys, u64::MAX);
            prop_assert!(found.unchecked.is_empty());
            prop_assert_eq!(&found.by, &covering_pairwise(&keys));

            // Cut short, every flow judged is judged exactly, and every
            // flow is either judged or listed as unchecked.
            let cut = covering(&keys, found.steps / 2);
            let exact = covering_pairwise(&keys);
            for (i, (&by, &want)) in cut.by.iter().zip(&exact).enumerate() {
                let judged = !cut.unchecked.contains(&i);
                prop_assert_eq!(by, if judged { want } else { None }, "flow {}", i);
            }
        }
    }

    fn ports(ranges: &[(u16, u16)]) -> ServiceSet {
        let mut s = ServiceSet::new();
        s.tcp = PortSet::from_ranges(ranges.iter().copied());
        s
    }

    fn keys<'a>(any: &'a AddrSet, services: &'a [ServiceSet]) -> Vec<Key<'a>> {
        services
            .iter()
            .map(|v| Key {
                src: any,
                dst: any,
                services: v,
                expires: None,
                log: false,
                essential: false,
            })
            .collect()
    }

    const N: usize = 20_000;

    #[test]
    fn a_chain_of_nested_sets_costs_a_few_steps_a_flow() {
        // Each flow's ports lie inside the next one's, with 50 more ranges
        // every flow shares: the old index compared every pair.
        let any = nets(1);
        let shared: Vec<(u16, u16)> = (0..50).map(|j| (40_000 + 2 * j, 40_000 + 2 * j)).collect();
        let services: Vec<ServiceSet> = (0..N as u16)
            .map(|i| {
                let mut r = shared.clone();
                r.push((20_000 - i, 20_000 + i));
                ports(&r)
            })
            .collect();
        let found = covering(&keys(&any, &services), u64::MAX);
        let expected: Vec<Option<usize>> = (0..N).map(|i| (i + 1 < N).then_some(i + 1)).collect();
        assert_eq!(found.by, expected);
        // Declared the other way round, each is covered by the first.
        let reversed: Vec<ServiceSet> = services.iter().rev().cloned().collect();
        let back = covering(&keys(&any, &reversed), u64::MAX);
        assert!(back.by[1..].iter().all(|&b| b == Some(0)));
        for f in [&found, &back] {
            assert!(f.steps < 200 * N as u64, "{} steps", f.steps);
        }
    }

    #[test]
    fn sets_with_one_hull_but_no_shared_points_are_not_compared() {
        let any = nets(1);
        let services: Vec<ServiceSet> = (0..N as u16)
            .map(|i| ports(&[(1, 1), (2 + i, 2 + i), (65_535, 65_535)]))
            .collect();
        let found = covering(&keys(&any, &services), u64::MAX);
        assert!(found.by.iter().all(Option::is_none));
        assert!(found.steps < 20 * N as u64, "{} steps", found.steps);
    }

    #[test]
    fn identical_flows_are_one_class() {
        let any = nets(1);
        let services = vec![ports(&[(502, 502)]); N];
        let found = covering(&keys(&any, &services), u64::MAX);
        assert_eq!(found.by[0], None);
        assert!(found.by[1..].iter().all(|&b| b == Some(0)));
        assert!(found.steps < 20 * N as u64, "{} steps", found.steps);
    }

    #[test]
    fn the_budget_stops_the_search_and_names_the_rest() {
        // Windows that overlap without nesting: many share a point with
        // each, none covers another.
        let any = nets(1);
        let services: Vec<ServiceSet> = (0..2_000u16)
            .map(|i| ports(&[(1 + i, 2_001 + i)]))
            .collect();
        let keys = keys(&any, &services);
        let full = covering(&keys, u64::MAX);
        assert!(full.unchecked.is_empty());
        let cut = covering(&keys, full.steps / 4);
        assert!(!cut.unchecked.is_empty());
        assert!(cut.steps <= full.steps / 4 + 10_000);
        // Classes are judged in order of their first flow; here each flow
        // is a class.
        assert_eq!(cut.unchecked, (cut.unchecked[0]..2_000).collect::<Vec<_>>());
    }
}
