//! The delta `∪plus \ ∪minus` along the service line: clusters of boxes,
//! the slice at each service point kept by source, and the pieces it
//! leaves behind.

use std::collections::{BTreeMap, HashMap};

use super::boxes::{FBox, Iv, Piece, Span, Sv};
use super::plane::plane;
use crate::model::interval::{difference, map_insert, map_remove, normalise, Bound, IntervalMap};
use crate::model::ServiceSpace;

/// `∪plus \ ∪minus`, as disjoint pieces.
///
/// The boxes are split into *clusters*: boxes whose destinations meet, and
/// boxes linked by a chain of such, are in one cluster, so the clusters'
/// destinations are disjoint and each cluster's part of the delta can be
/// computed alone. The service line is swept once; at each point where a
/// box starts or ends, only the clusters in which a set of sources and
/// destinations (counted over every box that has it) appears or disappears
/// are recomputed, each with one [`plane`] computation over its own boxes.
/// [`Slices`] folds each change of a cluster into the whole slice, by
/// source, and records a piece each time the sources that see a given set
/// of destinations change.
///
/// The pieces are those of the slice-by-slice definition: at each service
/// point, the sources with the same (non-empty) set of destinations form a
/// piece's sources, and a piece's services are the points at which exactly
/// those sources see exactly those destinations.
pub(super) fn delta(plus: &[&FBox], minus: &[&FBox]) -> Vec<Piece> {
    delta_by(plus, minus, 4)
}

/// [`delta`], computing a slice afresh when folding changes in has visited
/// more than `scale` times as many runs of sources as there are classes
/// and runs, plus a little.
fn delta_by(plus: &[&FBox], minus: &[&FBox], scale: usize) -> Vec<Piece> {
    let all: Vec<&FBox> = plus.iter().chain(minus.iter()).copied().collect();
    let (cluster_of, extents) = dst_clusters(&all);
    // Boxes with the same sources and destinations form one class, counted
    // per version, so that boxes differing only in their services do not
    // cost a plane computation each.
    let mut class_ids: HashMap<(&[Span], &[Span]), usize> = HashMap::new();
    let mut class_of = Vec::with_capacity(all.len());
    let mut reps: Vec<&FBox> = Vec::new();
    let mut classes: Vec<Vec<usize>> = vec![Vec::new(); extents.len()];
    for (i, &b) in all.iter().enumerate() {
        let next = reps.len();
        let id = *class_ids
            .entry((b.src.as_slice(), b.dst.as_slice()))
            .or_insert(next);
        if id == next {
            reps.push(b);
            classes[cluster_of[i]].push(id);
        }
        class_of.push(id);
    }
    let mut events: Vec<(u32, usize, bool)> = Vec::new();
    for (i, b) in all.iter().enumerate() {
        for &(lo, hi) in &b.svc {
            events.push((lo, i, true));
            if let Some(n) = hi.succ() {
                events.push((n, i, false));
            }
        }
    }
    events.sort_unstable();
    // Boxes of each class over the current point: (plus, minus).
    let mut counts = vec![(0u32, 0u32); reps.len()];
    let mut results: Vec<Vec<(Iv, Iv)>> = vec![Vec::new(); extents.len()];
    let mut dirty: Vec<usize> = Vec::new();
    let mut marked = vec![false; extents.len()];
    let mut slices = Slices::default();
    let mut e = 0;
    let every: Vec<usize> = (0..reps.len()).collect();
    while let Some(&(at, _, _)) = events.get(e) {
        while let Some(&(x, i, open)) = events.get(e) {
            if x != at {
                break;
            }
            e += 1;
            let c = &mut counts[class_of[i]];
            let n = if i < plus.len() { &mut c.0 } else { &mut c.1 };
            let was = *n > 0;
            *n = if open { *n + 1 } else { n.saturating_sub(1) };
            let k = cluster_of[i];
            if was != (*n > 0) && !marked[k] {
                marked[k] = true;
                dirty.push(k);
            }
        }
        // Folding the clusters' changes in one by one costs the runs of
        // sources they cover; when that passes the cost of computing the
        // whole slice afresh, the slice is computed afresh.
        let budget = scale.saturating_mul(reps.len() + slices.runs.len() + 16);
        slices.work = 0;
        let mut afresh = false;
        for k in dirty.drain(..) {
            marked[k] = false;
            let now = slice(&classes[k], &counts, &reps);
            if now != results[k] {
                if !afresh {
                    slices.replace(&results[k], &now, &extents[k], at);
                    afresh = slices.work > budget;
                }
                results[k] = now;
            }
        }
        if afresh {
            slices.rebuild(&slice(&every, &counts, &reps), at);
        }
        slices.settle(at);
    }
    slices.finish()
}

/// The part of the delta's slice made by `classes` at their current
/// counts, as rectangles with disjoint sources. A plus class that is also a
/// minus class adds nothing.
fn slice(classes: &[usize], counts: &[(u32, u32)], reps: &[&FBox]) -> Vec<(Iv, Iv)> {
    let (mut pr, mut mr) = (Vec::new(), Vec::new());
    for &cl in classes {
        match counts[cl] {
            (_, m) if m > 0 => mr.push(reps[cl]),
            (p, _) if p > 0 => pr.push(reps[cl]),
            _ => {}
        }
    }
    if pr.is_empty() {
        Vec::new()
    } else {
        plane(&pr, &mr)
    }
}

/// Splits boxes into clusters by their destinations: two boxes whose
/// destinations meet are in the same cluster. Returns each box's cluster
/// and each cluster's destinations (sorted, disjoint across clusters).
fn dst_clusters(all: &[&FBox]) -> (Vec<usize>, Vec<Iv>) {
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut ivs: Vec<(u128, u128, usize)> = all
        .iter()
        .enumerate()
        .flat_map(|(i, b)| b.dst.iter().map(move |&(lo, hi)| (lo, hi, i)))
        .collect();
    ivs.sort_unstable();
    let mut parent: Vec<usize> = (0..all.len()).collect();
    // Runs of meeting intervals: (lo, hi, first box).
    let mut runs: Vec<(u128, u128, usize)> = Vec::new();
    for (lo, hi, i) in ivs {
        match runs.last_mut() {
            Some(last) if lo <= last.1 => {
                last.1 = last.1.max(hi);
                let (a, b) = (find(&mut parent, last.2), find(&mut parent, i));
                parent[a] = b;
            }
            _ => runs.push((lo, hi, i)),
        }
    }
    let mut dense = vec![0usize; all.len()];
    let mut numbered = vec![false; all.len()];
    let mut extents: Vec<Iv> = Vec::new();
    for &(lo, hi, i) in &runs {
        let r = find(&mut parent, i);
        if !numbered[r] {
            numbered[r] = true;
            dense[r] = extents.len();
            extents.push(Vec::new());
        }
        extents[dense[r]].push((lo, hi));
    }
    // INVARIANT: every box has destinations (see `fbox`), so its root
    // was numbered above.
    let cluster_of = (0..all.len())
        .map(|i| dense[find(&mut parent, i)])
        .collect();
    (cluster_of, extents)
}

/// The sources that see one set of destinations.
struct Fibre {
    srcs: IntervalMap<u128>,
    /// The service point from which `srcs` has been what it is.
    since: u32,
    /// `srcs` before the changes at the current point, once changed.
    before: Option<Iv>,
}

/// The delta's slice at the current service point, and the pieces so far.
#[derive(Default)]
struct Slices {
    /// Maximal-or-finer runs of sources with the same non-empty
    /// destinations: start -> (end, destinations).
    runs: BTreeMap<u128, (u128, Iv)>,
    /// Destinations -> the sources that see exactly them.
    fibres: HashMap<Iv, Fibre>,
    /// Fibres changed at the current point.
    touched: Vec<Iv>,
    /// (sources, destinations) -> service intervals.
    pieces: BTreeMap<(Iv, Iv), Sv>,
    /// Segments of sources visited since last reset.
    work: usize,
}

impl Slices {
    /// Replaces one cluster's part of the slice, `old` by `new` (both as
    /// rectangles with disjoint sources), where `extent` holds the
    /// cluster's destinations.
    fn replace(&mut self, old: &[(Iv, Iv)], new: &[(Iv, Iv)], extent: &[Span], at: u32) {
        let area = normalise(
            old.iter()
                .chain(new)
                .flat_map(|(s, _)| s.iter().copied())
                .collect(),
        );
        let mut fresh: Vec<(u128, u128, &Iv)> = new
            .iter()
            .flat_map(|(s, d)| s.iter().map(move |&(lo, hi)| (lo, hi, d)))
            .collect();
        fresh.sort_unstable_by_key(|p| p.0);
        let mut k = 0;
        for &(lo, hi) in &area {
            // Take out the runs that meet [lo, hi], keeping their parts
            // outside it.
            let first = match self.runs.range(..lo).next_back() {
                Some((&s, &(e, _))) if e >= lo => s,
                _ => lo,
            };
            let starts: Vec<u128> = self.runs.range(first..=hi).map(|(&s, _)| s).collect();
            let mut olds: Vec<(u128, u128, Iv)> = Vec::with_capacity(starts.len());
            for s in starts {
                if let Some((e, d)) = self.runs.remove(&s) {
                    if s < lo {
                        self.runs.insert(s, (lo - 1, d.clone()));
                    }
                    if e > hi {
                        self.runs.insert(hi + 1, (e, d.clone()));
                    }
                    olds.push((s.max(lo), e.min(hi), d));
                }
            }
            // Walk [lo, hi] in segments over which both the old run and the
            // cluster's new destinations are constant.
            let mut made: Vec<(u128, u128, Iv)> = Vec::new();
            let mut oi = 0;
            let mut x = lo;
            loop {
                while olds.get(oi).is_some_and(|o| o.1 < x) {
                    oi += 1;
                }
                while fresh.get(k).is_some_and(|p| p.1 < x) {
                    k += 1;
                }
                let mut y = hi;
                let before: &[Span] = match olds.get(oi) {
                    Some(o) if o.0 <= x => {
                        y = y.min(o.1);
                        &o.2
                    }
                    Some(o) => {
                        y = y.min(o.0 - 1);
                        &[]
                    }
                    None => &[],
                };
                let added: &[Span] = match fresh.get(k) {
                    Some(p) if p.0 <= x => {
                        y = y.min(p.1);
                        p.2
                    }
                    Some(p) => {
                        y = y.min(p.0 - 1);
                        &[]
                    }
                    None => &[],
                };
                let mut now = difference(before, extent);
                if !added.is_empty() {
                    now = normalise(now.into_iter().chain(added.iter().copied()).collect());
                }
                if now.as_slice() != before {
                    if !before.is_empty() {
                        self.take(before, x, y);
                    }
                    if !now.is_empty() {
                        self.give(&now, x, y, at);
                    }
                }
                self.work += 1;
                if !now.is_empty() {
                    match made.last_mut() {
                        Some(last) if last.1.succ() == Some(x) && last.2 == now => last.1 = y,
                        _ => made.push((x, y, now)),
                    }
                }
                match y.succ() {
                    Some(n) if y < hi => x = n,
                    _ => break,
                }
            }
            for (s, e, d) in made {
                self.runs.insert(s, (e, d));
            }
        }
    }

    /// Replaces the whole slice by `whole` (rectangles with disjoint
    /// sources).
    fn rebuild(&mut self, whole: &[(Iv, Iv)], at: u32) {
        self.runs.clear();
        for (d, f) in self.fibres.iter_mut() {
            Self::mark(&mut self.touched, d, f);
            f.srcs.clear();
        }
        for (srcs, d) in whole {
            for &(lo, hi) in srcs {
                self.give(d, lo, hi, at);
                self.runs.insert(lo, (hi, d.clone()));
            }
        }
    }

    fn mark(touched: &mut Vec<Iv>, d: &[Span], f: &mut Fibre) {
        if f.before.is_none() {
            f.before = Some(f.srcs.iter().map(|(&s, &e)| (s, e)).collect());
            touched.push(d.to_vec());
        }
    }

    fn take(&mut self, d: &[Span], lo: u128, hi: u128) {
        if let Some(f) = self.fibres.get_mut(d) {
            Self::mark(&mut self.touched, d, f);
            map_remove(&mut f.srcs, lo, hi);
        }
    }

    fn give(&mut self, d: &[Span], lo: u128, hi: u128, at: u32) {
        if !self.fibres.contains_key(d) {
            let f = Fibre {
                srcs: IntervalMap::new(),
                since: at,
                before: None,
            };
            self.fibres.insert(d.to_vec(), f);
        }
        let Some(f) = self.fibres.get_mut(d) else {
            return;
        };
        Self::mark(&mut self.touched, d, f);
        map_insert(&mut f.srcs, lo, hi);
    }

    /// Closes, as pieces ending before `at`, the fibres whose sources
    /// changed at `at`.
    fn settle(&mut self, at: u32) {
        for d in std::mem::take(&mut self.touched) {
            let Some(f) = self.fibres.get_mut(&d) else {
                continue;
            };
            let Some(before) = f.before.take() else {
                continue;
            };
            let empty = f.srcs.is_empty();
            if !before
                .iter()
                .copied()
                .eq(f.srcs.iter().map(|(&s, &e)| (s, e)))
            {
                if !before.is_empty() && f.since < at {
                    self.pieces
                        .entry((before, d.clone()))
                        .or_default()
                        .push((f.since, at - 1));
                }
                f.since = at;
            }
            if empty {
                self.fibres.remove(&d);
            }
        }
    }

    fn finish(mut self) -> Vec<Piece> {
        for (d, f) in std::mem::take(&mut self.fibres) {
            let srcs: Iv = f.srcs.into_iter().collect();
            if !srcs.is_empty() {
                self.pieces
                    .entry((srcs, d))
                    .or_default()
                    .push((f.since, ServiceSpace::END - 1));
            }
        }
        self.pieces
            .into_iter()
            .map(|((src, dst), svc)| (normalise(svc), src, dst))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of `∪plus \ ∪minus` by their definition, point by point
    /// on a small grid.
    fn pieces_by_points(plus: &[&FBox], minus: &[&FBox], side: u32) -> Vec<Piece> {
        let within = |iv: &[Span], v: u128| iv.iter().any(|&(a, b)| a <= v && v <= b);
        let within32 = |sv: &[(u32, u32)], v: u32| sv.iter().any(|&(a, b)| a <= v && v <= b);
        let mut pieces: BTreeMap<(Iv, Iv), Sv> = BTreeMap::new();
        for x in 0..side {
            let mut fibres: BTreeMap<Iv, Iv> = BTreeMap::new();
            for s in 0..side as u128 {
                let dst: Iv = (0..side as u128)
                    .filter(|&d| {
                        let has = |b: &&FBox| {
                            within32(&b.svc, x) && within(&b.src, s) && within(&b.dst, d)
                        };
                        plus.iter().any(has) && !minus.iter().any(has)
                    })
                    .map(|d| (d, d))
                    .collect();
                let dst = normalise(dst);
                if !dst.is_empty() {
                    fibres.entry(dst).or_default().push((s, s));
                }
            }
            for (dst, src) in fibres {
                pieces
                    .entry((normalise(src), dst))
                    .or_default()
                    .push((x, x));
            }
        }
        pieces
            .into_iter()
            .map(|((src, dst), svc)| (normalise(svc), src, dst))
            .collect()
    }

    #[test]
    fn delta_pieces_match_their_definition() {
        const SIDE: u32 = 8;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: u32| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) % u64::from(m)) as u32
        };
        for case in 0..400 {
            let mut boxes = Vec::new();
            let count = 1 + next(7) as usize;
            for rule in 0..count {
                let axis = |next: &mut dyn FnMut(u32) -> u32| {
                    let n = 1 + next(2);
                    let v: Vec<(u32, u32)> = (0..n)
                        .map(|_| {
                            let a = next(SIDE);
                            (a, a + next(SIDE - a))
                        })
                        .collect();
                    normalise(v)
                };
                let wide = |v: Vec<(u32, u32)>| -> Iv {
                    v.into_iter().map(|(a, b)| (a as u128, b as u128)).collect()
                };
                let (src, dst, svc) = (axis(&mut next), axis(&mut next), axis(&mut next));
                boxes.push(FBox {
                    rule,
                    src: wide(src),
                    dst: wide(dst),
                    svc,
                });
            }
            let split = next(count as u32 + 1) as usize;
            let refs: Vec<&FBox> = boxes.iter().collect();
            let (plus, minus) = refs.split_at(split);
            let want = pieces_by_points(plus, minus, SIDE);
            assert_eq!(delta(plus, minus), want, "case {case}: {boxes:?}");
            // Always and never computing slices afresh.
            assert_eq!(delta_by(plus, minus, 0), want, "case {case}: {boxes:?}");
            assert_eq!(delta_by(plus, minus, usize::MAX), want, "case {case}");
        }
    }
}
