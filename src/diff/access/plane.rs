//! One slice of the delta: `∪(src × dst of plus) \ ∪(src × dst of
//! minus)` by a sweep over the sources and a segment tree over the
//! destinations.

use std::collections::BTreeMap;

use super::boxes::{FBox, Iv};
use crate::model::interval::Bound;

/// Cuts a line at every interval boundary of `sets`: the sorted distinct
/// starting points of the elementary intervals (each runs to the next
/// starting point minus one, the last to `last`).
fn boundaries<'a, T: Bound + 'a>(sets: impl Iterator<Item = &'a [(T, T)]>) -> Vec<T> {
    let mut b = Vec::new();
    for s in sets {
        for &(lo, hi) in s {
            b.push(lo);
            if let Some(n) = hi.succ() {
                b.push(n);
            }
        }
    }
    b.sort_unstable();
    b.dedup();
    b
}

/// For each elementary interval of `bounds`, which of `sets` cover it, as
/// open/close events: `(atom index, set index, opening)`.
fn sweep<T: Bound>(bounds: &[T], sets: &[&[(T, T)]]) -> Vec<Vec<(usize, bool)>> {
    let mut events: Vec<Vec<(usize, bool)>> = vec![Vec::new(); bounds.len() + 1];
    for (i, s) in sets.iter().enumerate() {
        for &(lo, hi) in s.iter() {
            let start = bounds.partition_point(|&b| b < lo);
            let end = match hi.succ() {
                Some(n) => bounds.partition_point(|&b| b < n),
                None => bounds.len(),
            };
            events[start].push((i, true));
            events[end].push((i, false));
        }
    }
    events
}

/// `∪(src × dst of plus) \ ∪(src × dst of minus)` as rectangles with
/// disjoint sources.
///
/// The source axis is swept once; a [`CoverTree`] over the destination
/// atoms counts, for each destination, the plus and minus boxes over the
/// current source atom, and yields that atom's destinations in time
/// proportional to their number of intervals. The cost is
/// `O((k + Σ|D|) log k)` for `k` interval bounds and `Σ|D|` the intervals of
/// the destinations of every source atom.
pub(super) fn plane(plus: &[&FBox], minus: &[&FBox]) -> Vec<(Iv, Iv)> {
    let all: Vec<&FBox> = plus.iter().chain(minus.iter()).copied().collect();
    let src_sets: Vec<&[(u128, u128)]> = all.iter().map(|b| b.src.as_slice()).collect();
    let bounds = boundaries(src_sets.iter().copied());
    let events = sweep(&bounds, &src_sets);
    let dst_bounds = boundaries(all.iter().map(|b| b.dst.as_slice()));
    // Each box's destinations as ranges of destination atoms.
    let dst_atoms: Vec<Vec<(usize, usize)>> = all
        .iter()
        .map(|b| {
            b.dst
                .iter()
                .map(|&(lo, hi)| {
                    let first = dst_bounds.partition_point(|&x| x < lo);
                    let end = match hi.succ() {
                        Some(n) => dst_bounds.partition_point(|&x| x < n),
                        None => dst_bounds.len(),
                    };
                    (first, end)
                })
                .collect()
        })
        .collect();
    let mut tree = CoverTree::new(dst_bounds.len());
    let mut plus_active = 0usize;
    // result dst -> source intervals
    let mut by_dst: BTreeMap<Iv, Iv> = BTreeMap::new();
    let mut atoms: Vec<(usize, usize)> = Vec::new();
    for (atom, &start) in bounds.iter().enumerate() {
        for &(i, open) in &events[atom] {
            let is_plus = i < plus.len();
            let delta = if open { 1 } else { -1 };
            if is_plus {
                plus_active = if open {
                    plus_active + 1
                } else {
                    plus_active.saturating_sub(1)
                };
            }
            for &(first, end) in &dst_atoms[i] {
                tree.add(first, end, is_plus, delta);
            }
        }
        if plus_active == 0 {
            continue;
        }
        atoms.clear();
        tree.collect(&mut atoms);
        if atoms.is_empty() {
            continue;
        }
        let dst: Iv = atoms
            .iter()
            .map(|&(first, end)| {
                let hi = match dst_bounds.get(end) {
                    Some(n) => n.saturating_sub(1),
                    None => u128::MAX,
                };
                (dst_bounds[first], hi)
            })
            .collect();
        let end = match bounds.get(atom + 1) {
            Some(n) => n.saturating_sub(1),
            None => u128::MAX,
        };
        let srcs = by_dst.entry(dst).or_default();
        match srcs.last_mut() {
            Some(last) if last.1.succ() == Some(start) => last.1 = end,
            _ => srcs.push((start, end)),
        }
    }
    by_dst.into_iter().map(|(dst, src)| (src, dst)).collect()
}

/// Whether a predicate holds on none, all or some of a node's atoms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cover {
    None,
    All,
    Some,
}

impl Cover {
    fn join(a: Cover, b: Cover) -> Cover {
        if a == b {
            a
        } else {
            Cover::Some
        }
    }
}

/// A segment tree over atoms `0..n` counting two kinds of intervals, plus
/// and minus, that answers which atoms lie under a plus and under no
/// minus. Counts stay at the nodes an interval is split into (they are
/// never pushed down), so adding and removing an interval cost `O(log n)`.
struct CoverTree {
    n: usize,
    /// Plus and minus intervals whose split includes the node.
    plus: Vec<u32>,
    minus: Vec<u32>,
    /// Over the node's atoms, counting only intervals at the node and
    /// below: "no minus", and "a plus and no minus".
    free: Vec<Cover>,
    kept: Vec<Cover>,
}

impl CoverTree {
    fn new(n: usize) -> Self {
        let len = 4 * n.max(1);
        let mut t = CoverTree {
            n,
            plus: vec![0; len],
            minus: vec![0; len],
            free: vec![Cover::All; len],
            kept: vec![Cover::None; len],
        };
        if n == 0 {
            t.free[1] = Cover::None;
        }
        t
    }

    /// Adds `delta` to the plus or minus count of atoms `first..end`.
    fn add(&mut self, first: usize, end: usize, plus: bool, delta: i32) {
        if first < end {
            self.update(1, 0, self.n, first, end, plus, delta);
        }
    }

    #[allow(clippy::too_many_arguments, reason = "a recursive segment-tree walk")]
    fn update(
        &mut self,
        node: usize,
        lo: usize,
        hi: usize,
        first: usize,
        end: usize,
        plus: bool,
        delta: i32,
    ) {
        if end <= lo || hi <= first {
            return;
        }
        if first <= lo && hi <= end {
            let c = if plus {
                &mut self.plus[node]
            } else {
                &mut self.minus[node]
            };
            *c = c.saturating_add_signed(delta);
        } else {
            let mid = lo + (hi - lo) / 2;
            self.update(2 * node, lo, mid, first, end, plus, delta);
            self.update(2 * node + 1, mid, hi, first, end, plus, delta);
        }
        self.pull(node, hi - lo == 1);
    }

    fn pull(&mut self, node: usize, leaf: bool) {
        self.free[node] = if self.minus[node] > 0 {
            Cover::None
        } else if leaf {
            Cover::All
        } else {
            Cover::join(self.free[2 * node], self.free[2 * node + 1])
        };
        self.kept[node] = if self.minus[node] > 0 {
            Cover::None
        } else if self.plus[node] > 0 {
            self.free[node]
        } else if leaf {
            Cover::None
        } else {
            Cover::join(self.kept[2 * node], self.kept[2 * node + 1])
        };
    }

    /// Appends the maximal runs `first..end` of atoms under a plus and no
    /// minus, in order.
    fn collect(&self, out: &mut Vec<(usize, usize)>) {
        if self.n > 0 {
            self.walk(1, 0, self.n, false, out);
        }
    }

    fn walk(
        &self,
        node: usize,
        lo: usize,
        hi: usize,
        under_plus: bool,
        out: &mut Vec<(usize, usize)>,
    ) {
        if self.minus[node] > 0 {
            return;
        }
        let under_plus = under_plus || self.plus[node] > 0;
        let cover = if under_plus {
            self.free[node]
        } else {
            self.kept[node]
        };
        match cover {
            Cover::None => {}
            Cover::All => match out.last_mut() {
                Some(last) if last.1 == lo => last.1 = hi,
                _ => out.push((lo, hi)),
            },
            Cover::Some => {
                let mid = lo + (hi - lo) / 2;
                self.walk(2 * node, lo, mid, under_plus, out);
                self.walk(2 * node + 1, mid, hi, under_plus, out);
            }
        }
    }
}
