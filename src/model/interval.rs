//! Sets of integers as sorted, disjoint, closed intervals: the one interval
//! algebra behind addresses ([`AddrSet`](super::AddrSet), `u32` and `u128`),
//! ports ([`PortSet`](super::PortSet), `u16`) and the service line
//! ([`ServiceSpace`](super::ServiceSpace), `u32`).
//!
//! [`IntervalSet`] holds a normalised list; the functions on slices
//! ([`normalise`], [`intersect`], [`difference`], ...) are the same
//! algorithms for callers that keep plain interval lists of their own (the
//! access diff's sweep keeps millions of short-lived ones).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// An integer type intervals are made of: a bounded domain with a
/// successor and a predecessor.
pub trait Bound: Copy + Ord + std::hash::Hash + std::fmt::Debug {
    /// The least value.
    const MIN: Self;
    /// The greatest value.
    const MAX: Self;
    /// `self + 1`, or `None` at [`Bound::MAX`].
    fn succ(self) -> Option<Self>;
    /// `self - 1`, or `None` at [`Bound::MIN`].
    fn pred(self) -> Option<Self>;
    /// The number of values in `lo..=hi`, saturating at `u128::MAX`.
    fn count(lo: Self, hi: Self) -> u128;
}

macro_rules! bound {
    ($($t:ty),*) => {$(
        impl Bound for $t {
            const MIN: $t = <$t>::MIN;
            const MAX: $t = <$t>::MAX;
            fn succ(self) -> Option<$t> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<$t> {
                self.checked_sub(1)
            }
            fn count(lo: $t, hi: $t) -> u128 {
                (u128::from(hi) - u128::from(lo)).saturating_add(1)
            }
        }
    )*};
}
bound!(u16, u32, u128);

/// Sorts `v` and merges overlapping and adjacent intervals. Intervals with
/// `lo > hi` must have been left out.
pub fn normalise<T: Bound>(mut v: Vec<(T, T)>) -> Vec<(T, T)> {
    v.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        if let Some(last) = out.last_mut() {
            if lo <= last.1 || last.1.succ() == Some(lo) {
                if hi > last.1 {
                    last.1 = hi;
                }
                continue;
            }
        }
        out.push((lo, hi));
    }
    out
}

/// `a ∩ b` for normalised lists.
pub fn intersect<T: Bound>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// `a \ b` for normalised lists.
pub fn difference<T: Bound>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(lo, hi) in a {
        while j < b.len() && b[j].1 < lo {
            j += 1;
        }
        let mut cur = lo;
        let mut k = j;
        loop {
            if k >= b.len() || b[k].0 > hi {
                out.push((cur, hi));
                break;
            }
            let (blo, bhi) = b[k];
            if blo > cur {
                if let Some(p) = blo.pred() {
                    out.push((cur, p));
                }
            }
            match bhi.succ() {
                Some(n) if bhi < hi => cur = n,
                _ => break,
            }
            k += 1;
        }
    }
    out
}

/// Every value of `domain` not in `a` (normalised).
pub fn complement_within<T: Bound>(a: &[(T, T)], domain: (T, T)) -> Vec<(T, T)> {
    difference(&[domain], a)
}

/// True when the normalised lists share a value.
pub fn overlaps<T: Bound>(a: &[(T, T)], b: &[(T, T)]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].0.max(b[j].0) <= a[i].1.min(b[j].1) {
            return true;
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    false
}

/// True when every interval of `small` lies inside one interval of `big`
/// (both normalised): a binary search per interval of `small`, no
/// allocation.
pub fn covers<T: Bound>(big: &[(T, T)], small: &[(T, T)]) -> bool {
    small.iter().all(|&(lo, hi)| {
        let idx = big.partition_point(|&(blo, _)| blo <= lo);
        idx > 0 && big[idx - 1].1 >= hi
    })
}

/// True when `x` lies in the normalised list `a` (binary search).
pub fn contains<T: Bound>(a: &[(T, T)], x: T) -> bool {
    let idx = a.partition_point(|&(lo, _)| lo <= x);
    idx > 0 && a[idx - 1].1 >= x
}

/// The least and greatest value of a normalised list.
pub fn hull<T: Bound>(a: &[(T, T)]) -> Option<(T, T)> {
    Some((a.first()?.0, a.last()?.1))
}

/// The number of values in a normalised list, saturating at `u128::MAX`.
pub fn count<T: Bound>(a: &[(T, T)]) -> u128 {
    a.iter()
        .fold(0u128, |n, &(lo, hi)| n.saturating_add(T::count(lo, hi)))
}

/// Normalises `v` once it has doubled since the last time (`mark` is its
/// length then), keeping a growing union's work list within a constant
/// factor of its normalised size.
fn compact<T: Bound>(v: &mut Vec<(T, T)>, mark: &mut usize) {
    if v.len() > 2 * *mark + 1024 {
        *v = normalise(std::mem::take(v));
        *mark = v.len();
    }
}

/// A set of values kept as merged intervals in a map from start to end,
/// for sets changed one interval at a time.
pub type IntervalMap<T> = std::collections::BTreeMap<T, T>;

/// Adds `lo..=hi` to `set`, merging it with the intervals it meets or
/// touches.
pub fn map_insert<T: Bound>(set: &mut IntervalMap<T>, mut lo: T, mut hi: T) {
    if let Some((&s, &e)) = set.range(..=lo).next_back() {
        if e >= lo || e.succ() == Some(lo) {
            lo = s;
            hi = hi.max(e);
            set.remove(&s);
        }
    }
    while let Some((&s, &e)) = set.range(lo..).next() {
        if s <= hi || hi.succ() == Some(s) {
            hi = hi.max(e);
            set.remove(&s);
        } else {
            break;
        }
    }
    set.insert(lo, hi);
}

/// Takes `lo..=hi` out of `set`.
pub fn map_remove<T: Bound>(set: &mut IntervalMap<T>, lo: T, hi: T) {
    if let Some((&s, &e)) = set.range(..lo).next_back() {
        if e >= lo {
            // s < lo, so lo has a predecessor.
            if let Some(p) = lo.pred() {
                set.insert(s, p);
            }
            if e > hi {
                // e > hi, so hi has a successor.
                if let Some(n) = hi.succ() {
                    set.insert(n, e);
                }
                return;
            }
        }
    }
    let starts: Vec<T> = set.range(lo..=hi).map(|(&s, _)| s).collect();
    for s in starts {
        if let Some(e) = set.remove(&s) {
            if e > hi {
                if let Some(n) = hi.succ() {
                    set.insert(n, e);
                }
            }
        }
    }
}

/// A set of values of `T` as sorted, disjoint, non-adjacent closed
/// intervals.
///
/// INVARIANT: the list is normalised (see [`normalise`]), so two equal sets
/// have equal lists and `==` is set equality.
///
/// The list is shared: cloning a set copies a pointer, so the many flows
/// that name one group or service hold one copy of it. It serialises as a
/// plain list of `[lo, hi]` pairs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IntervalSet<T> {
    ranges: Arc<Vec<(T, T)>>,
}

impl<T> Default for IntervalSet<T> {
    fn default() -> Self {
        IntervalSet {
            ranges: Arc::default(),
        }
    }
}

impl<T: Ord> PartialOrd for IntervalSet<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> Ord for IntervalSet<T> {
    /// By intervals; a shared copy compares equal without reading them.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.ranges, &other.ranges) {
            return std::cmp::Ordering::Equal;
        }
        self.ranges.cmp(&other.ranges)
    }
}

impl<T: Bound> IntervalSet<T> {
    fn wrap(v: Vec<(T, T)>) -> Self {
        IntervalSet {
            ranges: Arc::new(v),
        }
    }

    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every value of `T`.
    pub fn full() -> Self {
        Self::wrap(vec![(T::MIN, T::MAX)])
    }

    /// The set `lo..=hi` (empty when `lo > hi`).
    pub fn range(lo: T, hi: T) -> Self {
        Self::from_ranges([(lo, hi)])
    }

    /// The set holding one value.
    pub fn single(x: T) -> Self {
        Self::wrap(vec![(x, x)])
    }

    /// Builds a set from arbitrary (possibly overlapping, unsorted)
    /// inclusive intervals; intervals with `lo > hi` are ignored.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (T, T)>) -> Self {
        Self::wrap(normalise(
            ranges.into_iter().filter(|(a, b)| a <= b).collect(),
        ))
    }

    /// Builds a set from a list known to be normalised.
    pub(crate) fn from_normalised(v: Vec<(T, T)>) -> Self {
        debug_assert!(v
            .windows(2)
            .all(|w| w[0].1 < w[1].0 && w[0].1.succ() != Some(w[1].0)));
        Self::wrap(v)
    }

    /// The shared list, for the checker to swap for an equal shared copy
    /// (it must not change its content).
    pub(crate) fn shared_mut(&mut self) -> &mut Arc<Vec<(T, T)>> {
        &mut self.ranges
    }

    /// The intervals as a list of their own (copied only when shared).
    pub fn into_ranges(self) -> Vec<(T, T)> {
        Arc::unwrap_or_clone(self.ranges)
    }

    /// The sorted, disjoint, non-adjacent inclusive intervals.
    pub fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    /// The intervals, in order.
    pub fn iter(&self) -> impl Iterator<Item = (T, T)> + '_ {
        self.ranges.iter().copied()
    }

    /// True when the set holds no value.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True when the set is every value of `T`.
    pub fn is_full(&self) -> bool {
        *self.ranges == [(T::MIN, T::MAX)]
    }

    /// The number of intervals.
    pub fn interval_count(&self) -> usize {
        self.ranges.len()
    }

    /// The number of values, saturating at `u128::MAX`.
    pub fn len(&self) -> u128 {
        count(&self.ranges)
    }

    /// The least and greatest value (`None` when empty).
    pub fn hull(&self) -> Option<(T, T)> {
        hull(&self.ranges)
    }

    /// True when `x` is in the set.
    pub fn contains(&self, x: T) -> bool {
        contains(&self.ranges, x)
    }

    /// The union of many sets, in one normalisation pass.
    ///
    /// When one set holds all the others (the same group named twice, say),
    /// the result shares that set's intervals. The work list is compacted
    /// whenever it has doubled since the last compaction, so it stays within
    /// about twice the result plus the largest input, however often a set
    /// is repeated.
    pub fn union_all<'a>(sets: impl IntoIterator<Item = &'a Self>) -> Self
    where
        T: 'a,
    {
        let mut u = Union::new();
        for s in sets {
            u.push(s);
        }
        u.finish()
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &Self) -> Self {
        Self::union_all([self, other])
    }

    /// `self ∩ other`.
    pub fn intersection(&self, other: &Self) -> Self {
        Self::wrap(intersect(&self.ranges, &other.ranges))
    }

    /// `self \ other`.
    pub fn difference(&self, other: &Self) -> Self {
        Self::wrap(difference(&self.ranges, &other.ranges))
    }

    /// Every value of `T` not in `self`.
    pub fn complement(&self) -> Self {
        self.complement_within((T::MIN, T::MAX))
    }

    /// Every value of `lo..=hi` not in `self`.
    pub fn complement_within(&self, (lo, hi): (T, T)) -> Self {
        if lo > hi {
            return Self::new();
        }
        Self::wrap(complement_within(&self.ranges, (lo, hi)))
    }

    /// True when every value of `other` is in `self`.
    pub fn is_superset(&self, other: &Self) -> bool {
        covers(&self.ranges, &other.ranges)
    }

    /// True when every value of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        other.is_superset(self)
    }

    /// True when the two sets share a value.
    pub fn intersects(&self, other: &Self) -> bool {
        overlaps(&self.ranges, &other.ranges)
    }
}

/// A union of sets being gathered, for callers that unite several kinds
/// of sets in one pass (see [`IntervalSet::union_all`]).
pub(crate) struct Union<'a, T> {
    work: Vec<(T, T)>,
    mark: usize,
    first: Option<&'a IntervalSet<T>>,
    only_first: bool,
}

impl<'a, T: Bound> Union<'a, T> {
    pub(crate) fn new() -> Self {
        Union {
            work: Vec::new(),
            mark: 0,
            first: None,
            only_first: true,
        }
    }

    pub(crate) fn push(&mut self, s: &'a IntervalSet<T>) {
        match self.first {
            None => self.first = Some(s),
            Some(f) => self.only_first &= f == s || s.is_empty(),
        }
        self.work.extend_from_slice(&s.ranges);
        compact(&mut self.work, &mut self.mark);
    }

    pub(crate) fn finish(self) -> IntervalSet<T> {
        match self.first {
            Some(f) if self.only_first => f.clone(),
            _ => IntervalSet::wrap(normalise(self.work)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// The values of a set over a small domain, one by one.
    fn values<T: Bound + Into<u128>>(s: &IntervalSet<T>) -> BTreeSet<u128> {
        s.iter().flat_map(|(a, b)| a.into()..=b.into()).collect()
    }

    fn model(ranges: &[(u8, u8)]) -> BTreeSet<u128> {
        ranges
            .iter()
            .flat_map(|&(a, b)| u128::from(a)..=u128::from(b))
            .collect()
    }

    /// Ranges over 0..=63, so that the naive model stays small.
    fn small() -> impl Strategy<Value = Vec<(u8, u8)>> {
        proptest::collection::vec((0u8..64, 0u8..64), 0..6)
    }

    fn build<T: Bound + From<u8>>(r: &[(u8, u8)]) -> IntervalSet<T> {
        IntervalSet::from_ranges(r.iter().map(|&(a, b)| (T::from(a), T::from(b))))
    }

    fn normalised<T: Bound>(s: &IntervalSet<T>) -> bool {
        s.ranges()
            .windows(2)
            .all(|w| w[0].1.succ().is_some_and(|n| n < w[1].0))
            && s.iter().all(|(a, b)| a <= b)
    }

    /// Checks every operation of `IntervalSet<T>` against the naive model.
    fn agrees<T: Bound + From<u8> + Into<u128>>(
        a: &[(u8, u8)],
        b: &[(u8, u8)],
        probe: u8,
    ) -> Result<(), TestCaseError> {
        let (x, y) = (build::<T>(a), build::<T>(b));
        let (mx, my) = (model(a), model(b));
        let domain: BTreeSet<u128> = (0..64).collect();
        prop_assert_eq!(values(&x), mx.clone());
        for s in [
            x.union(&y),
            x.intersection(&y),
            x.difference(&y),
            x.complement_within((T::from(0), T::from(63))),
            IntervalSet::union_all([&x, &y, &x]),
        ] {
            prop_assert!(normalised(&s));
        }
        prop_assert_eq!(values(&x.union(&y)), &mx | &my);
        prop_assert_eq!(values(&IntervalSet::union_all([&x, &y, &x])), &mx | &my);
        prop_assert_eq!(values(&x.intersection(&y)), &mx & &my);
        prop_assert_eq!(values(&x.difference(&y)), &mx - &my);
        prop_assert_eq!(
            values(&x.complement_within((T::from(0), T::from(63)))),
            &domain - &mx
        );
        prop_assert_eq!(x.is_superset(&y), my.is_subset(&mx));
        prop_assert_eq!(x.is_subset(&y), mx.is_subset(&my));
        prop_assert_eq!(x.intersects(&y), !mx.is_disjoint(&my));
        prop_assert_eq!(x.contains(T::from(probe)), mx.contains(&u128::from(probe)));
        prop_assert_eq!(x.len(), mx.len() as u128);
        prop_assert_eq!(
            x.hull().map(|(a, b)| (a.into(), b.into())),
            mx.first().copied().zip(mx.last().copied())
        );
        // Equal sets are equal however they were written.
        let rebuilt =
            IntervalSet::<T>::from_ranges(mx.iter().map(|&v| (T::from(v as u8), T::from(v as u8))));
        prop_assert_eq!(rebuilt, x.clone());
        // The complement over the whole type round-trips.
        prop_assert_eq!(x.complement().complement(), x);
        Ok(())
    }

    proptest! {
        #[test]
        fn u16_sets_agree_with_a_naive_model(a in small(), b in small(), probe in 0u8..64) {
            agrees::<u16>(&a, &b, probe)?;
        }

        #[test]
        fn u32_sets_agree_with_a_naive_model(a in small(), b in small(), probe in 0u8..64) {
            agrees::<u32>(&a, &b, probe)?;
        }

        #[test]
        fn u128_sets_agree_with_a_naive_model(a in small(), b in small(), probe in 0u8..64) {
            agrees::<u128>(&a, &b, probe)?;
        }
    }

    proptest! {
        #[test]
        fn interval_maps_agree_with_a_naive_model(
            ops in proptest::collection::vec((any::<bool>(), 0u8..64, 0u8..64), 0..12),
        ) {
            let mut map: IntervalMap<u16> = IntervalMap::new();
            let mut want: BTreeSet<u128> = BTreeSet::new();
            for (add, a, b) in ops {
                let (lo, hi) = (a.min(b), a.max(b));
                if add {
                    map_insert(&mut map, u16::from(lo), u16::from(hi));
                    want.extend(u128::from(lo)..=u128::from(hi));
                } else {
                    map_remove(&mut map, u16::from(lo), u16::from(hi));
                    for v in lo..=hi {
                        want.remove(&u128::from(v));
                    }
                }
                let set = IntervalSet::from_normalised(map.iter().map(|(&a, &b)| (a, b)).collect());
                prop_assert!(normalised(&set));
                prop_assert_eq!(values(&set), want.clone());
            }
        }
    }

    #[test]
    fn edges_of_the_domain() {
        let full = IntervalSet::<u128>::full();
        assert!(full.is_full());
        assert!(full.complement().is_empty());
        assert_eq!(IntervalSet::<u128>::new().complement(), full);
        assert_eq!(
            full.difference(&IntervalSet::range(1, u128::MAX - 1))
                .ranges(),
            [(0, 0), (u128::MAX, u128::MAX)]
        );
        assert_eq!(full.len(), u128::MAX);
        let a = IntervalSet::<u16>::from_ranges([(0, 10), (20, 30)]);
        let b = IntervalSet::<u16>::from_ranges([(0, 2), (5, 5), (10, 21), (30, 40)]);
        assert_eq!(a.difference(&b).ranges(), [(3, 4), (6, 9), (22, 29)]);
        assert_eq!(
            IntervalSet::<u16>::from_ranges([(u16::MAX, u16::MAX), (0, u16::MAX - 1)]),
            IntervalSet::full()
        );
        assert_eq!(
            serde_json::to_string(&IntervalSet::<u16>::from_ranges([(1, 2), (4, 4)])).unwrap(),
            "[[1,2],[4,4]]"
        );
    }
}
