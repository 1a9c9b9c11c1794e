//! The driver: cancels the rules both versions share, groups the rest by
//! zone pair and family, and turns the delta's pieces into boxes.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::boxes::{family, fbox, set_overlaps, FBox, Span};
use super::label::Labeller;
use super::sweep::delta;
use super::{AccessBox, AccessDelta};
use crate::lower::{lower, BuildOptions, Match, Rule};
use crate::model::interval::{hull, normalise, overlaps, IntervalSet};
use crate::model::{AddrSet, Date, Policy, ServiceSpace};

type Key<'a> = (&'a AddrSet, &'a AddrSet, &'a Match);

/// The order `lower` sorts rules in.
fn join_order(a: &Rule, b: &Rule) -> Ordering {
    a.name
        .as_bytes()
        .cmp(b.name.as_bytes())
        .then_with(|| a.src_zone.cmp(&b.src_zone))
        .then_with(|| a.matcher.cmp(&b.matcher))
}

/// Computes the access delta between OLD and NEW for `today`.
pub fn access_delta(old: &Policy, new: &Policy, today: Date) -> AccessDelta {
    let opts = BuildOptions::new(today);
    // INVARIANT: lowering fails only for an unknown isolation mode or
    // firewall, and neither is asked for here.
    let old_rules = lower(old, &opts).map(|r| r.rules).unwrap_or_default();
    let new_rules = lower(new, &opts).map(|r| r.rules).unwrap_or_default();

    // Cancel identical boxes. First a merge-join in the order `lower`
    // sorts by (full name, source zone, matcher): an unchanged flow lines up
    // with itself. Then a multiset match among what is left, for identical
    // boxes under other names (renamed or re-arranged flows). Neither step
    // relies on the order for correctness: a rule not cancelled is merely
    // treated as changed.
    let mut unchanged_old = Vec::new();
    let mut unchanged_new = Vec::new();
    let mut left_old = Vec::new();
    let mut left_new = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old_rules.len() && j < new_rules.len() {
        let (a, b) = (&old_rules[i], &new_rules[j]);
        match join_order(a, b) {
            Ordering::Less => {
                left_old.push(i);
                i += 1;
            }
            Ordering::Greater => {
                left_new.push(j);
                j += 1;
            }
            Ordering::Equal => {
                if a.src == b.src && a.dst == b.dst {
                    unchanged_old.push(i);
                    unchanged_new.push(j);
                } else {
                    left_old.push(i);
                    left_new.push(j);
                }
                i += 1;
                j += 1;
            }
        }
    }
    left_old.extend(i..old_rules.len());
    left_new.extend(j..new_rules.len());
    let mut pool: HashMap<Key, Vec<usize>> = HashMap::new();
    for &i in left_old.iter().rev() {
        let r = &old_rules[i];
        pool.entry((&r.src, &r.dst, &r.matcher))
            .or_default()
            .push(i);
    }
    let mut changed_new = Vec::new();
    for &i in &left_new {
        let r = &new_rules[i];
        match pool
            .get_mut(&(&r.src, &r.dst, &r.matcher))
            .and_then(|v| v.pop())
        {
            Some(j) => {
                unchanged_old.push(j);
                unchanged_new.push(i);
            }
            None => changed_new.push(i),
        }
    }
    let mut changed_old: Vec<usize> = pool.into_values().flatten().collect();
    changed_old.sort_unstable();
    if changed_new.is_empty() && changed_old.is_empty() {
        return AccessDelta {
            unchanged: true,
            ..AccessDelta::default()
        };
    }
    let added = one_side(
        new,
        &new_rules,
        &changed_new,
        &unchanged_new,
        &old_rules,
        &changed_old,
    );
    let removed = one_side(
        old,
        &old_rules,
        &changed_old,
        &unchanged_old,
        &new_rules,
        &changed_new,
    );
    AccessDelta {
        unchanged: added.is_empty() && removed.is_empty(),
        added,
        removed,
    }
}

/// The traffic `side` admits and `other` does not, where `changed` are the
/// side's rules without an identical box in `other`, `unchanged` the side's
/// rules with one, and `other_changed` the other's rules without one.
fn one_side(
    policy: &Policy,
    rules: &[Rule],
    changed: &[usize],
    unchanged: &[usize],
    other_rules: &[Rule],
    other_changed: &[usize],
) -> Vec<AccessBox> {
    let mut groups: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for &i in changed {
        let r = &rules[i];
        groups
            .entry((r.src_zone.as_str(), r.dst_zone.as_str()))
            .or_default()
            .push(i);
    }
    if groups.is_empty() {
        return Vec::new();
    }
    let wanted: HashSet<(&str, &str)> = groups.keys().copied().collect();
    let mut same_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for &i in unchanged {
        let r = &rules[i];
        let key = (r.src_zone.as_str(), r.dst_zone.as_str());
        if wanted.contains(&key) {
            same_pair.entry(key).or_default().push(i);
        }
    }
    let mut labels = Labeller::new(policy);
    let mut out = Vec::new();
    for v6 in [false, true] {
        // The other version's changed rules, in this family, with hulls.
        let others: Vec<(FBox, Hulls)> = other_changed
            .iter()
            .filter_map(|&i| fbox(i, &other_rules[i], v6))
            .map(|b| {
                let h = Hulls::of(&b);
                (b, h)
            })
            .collect();
        // Each of them can only meet the groups of the zone pairs its
        // sources and destinations meet in this version.
        let mut zone_ivs: Vec<(u128, u128, &str)> = policy
            .zones
            .iter()
            .flat_map(|z| {
                family(&z.addrs, v6)
                    .into_iter()
                    .map(move |(lo, hi)| (lo, hi, z.name.as_str()))
            })
            .collect();
        zone_ivs.sort_unstable();
        let zones_met = |iv: &[Span]| -> Vec<&str> {
            let mut met: Vec<&str> = Vec::new();
            for &(lo, hi) in iv {
                let from = zone_ivs.partition_point(|z| z.1 < lo);
                met.extend(
                    zone_ivs[from..]
                        .iter()
                        .take_while(|z| z.0 <= hi)
                        .map(|z| z.2),
                );
            }
            met.sort_unstable();
            met.dedup();
            met
        };
        let mut near: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (k, (b, _)) in others.iter().enumerate() {
            let (srcs, dsts) = (zones_met(&b.src), zones_met(&b.dst));
            if srcs.len().saturating_mul(dsts.len()) <= wanted.len() {
                for &sz in &srcs {
                    for &dz in &dsts {
                        if wanted.contains(&(sz, dz)) {
                            near.entry((sz, dz)).or_default().push(k);
                        }
                    }
                }
            } else {
                for &(sz, dz) in &wanted {
                    if srcs.binary_search(&sz).is_ok() && dsts.binary_search(&dz).is_ok() {
                        near.entry((sz, dz)).or_default().push(k);
                    }
                }
            }
        }
        for (&(src_zone, dst_zone), members) in &groups {
            let plus: Vec<FBox> = members
                .iter()
                .filter_map(|&i| fbox(i, &rules[i], v6))
                .collect();
            if plus.is_empty() {
                continue;
            }
            let reach = Reach::of(&plus);
            let same: Vec<FBox> = same_pair
                .get(&(src_zone, dst_zone))
                .into_iter()
                .flatten()
                .filter(|&&i| {
                    set_overlaps(&rules[i].src, v6, &reach.src)
                        && set_overlaps(&rules[i].dst, v6, &reach.dst)
                })
                .filter_map(|&i| fbox(i, &rules[i], v6))
                .filter(|b| reach.meets(b, &Hulls::of(b)))
                .collect();
            let minus: Vec<&FBox> = same
                .iter()
                .chain(
                    near.get(&(src_zone, dst_zone))
                        .into_iter()
                        .flatten()
                        .map(|&k| &others[k])
                        .filter(|(b, h)| reach.meets(b, h))
                        .map(|(b, _)| b),
                )
                .collect();
            let plus_refs: Vec<&FBox> = plus.iter().collect();
            let index = FlowIndex::new(&plus);
            let mut seen = vec![usize::MAX; plus.len()];
            for (stamp, (svc, src, dst)) in delta(&plus_refs, &minus).into_iter().enumerate() {
                let mut flows: Vec<String> = index
                    .meeting(&plus, (&svc, &src, &dst), &mut seen, stamp)
                    .into_iter()
                    .map(|i| rules[plus[i].rule].name.to_string())
                    .collect();
                flows.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                flows.dedup();
                let svc = ServiceSpace::from_line(IntervalSet::from_normalised(svc));
                out.push(AccessBox {
                    services: svc.summary(),
                    src: labels.side(src_zone, v6, src),
                    dst: labels.side(dst_zone, v6, dst),
                    flows,
                    svc,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.src.zone.as_bytes(), a.dst.zone.as_bytes())
            .cmp(&(b.src.zone.as_bytes(), b.dst.zone.as_bytes()))
            .then_with(|| a.src.addrs.has_v6().cmp(&b.src.addrs.has_v6()))
            .then_with(|| a.svc.cmp(&b.svc))
            .then_with(|| a.src.addrs.cmp(&b.src.addrs))
            .then_with(|| a.dst.addrs.cmp(&b.dst.addrs))
    });
    out
}

/// The boxes of one version in runs of meeting destinations, to find the
/// boxes that meet a reported box among those whose destinations share a
/// run with it, not among all.
struct FlowIndex {
    /// (first, last destination, boxes with destinations in the run).
    runs: Vec<(u128, u128, Vec<usize>)>,
}

impl FlowIndex {
    fn new(boxes: &[FBox]) -> Self {
        let mut ivs: Vec<(u128, u128, usize)> = boxes
            .iter()
            .enumerate()
            .flat_map(|(i, b)| b.dst.iter().map(move |&(lo, hi)| (lo, hi, i)))
            .collect();
        ivs.sort_unstable();
        let mut runs: Vec<(u128, u128, Vec<usize>)> = Vec::new();
        for (lo, hi, i) in ivs {
            match runs.last_mut() {
                Some(run) if lo <= run.1 => {
                    run.1 = run.1.max(hi);
                    run.2.push(i);
                }
                _ => runs.push((lo, hi, vec![i])),
            }
        }
        FlowIndex { runs }
    }

    /// The boxes that meet `svc × src × dst`, each once; `seen` holds, per
    /// box, the last `stamp` it was looked at under.
    fn meeting(
        &self,
        boxes: &[FBox],
        (svc, src, dst): (&[(u32, u32)], &[Span], &[Span]),
        seen: &mut [usize],
        stamp: usize,
    ) -> Vec<usize> {
        let mut out = Vec::new();
        for &(lo, hi) in dst {
            let first = self.runs.partition_point(|r| r.1 < lo);
            for run in self.runs[first..].iter().take_while(|r| r.0 <= hi) {
                for &i in &run.2 {
                    if seen[i] == stamp {
                        continue;
                    }
                    seen[i] = stamp;
                    let b = &boxes[i];
                    if overlaps(&b.svc, svc) && overlaps(&b.src, src) && overlaps(&b.dst, dst) {
                        out.push(i);
                    }
                }
            }
        }
        out
    }
}

/// The extent of a box along each axis.
struct Hulls {
    src: Option<(u128, u128)>,
    dst: Option<(u128, u128)>,
    svc: Option<(u32, u32)>,
}

impl Hulls {
    fn of(b: &FBox) -> Hulls {
        Hulls {
            src: hull(&b.src),
            dst: hull(&b.dst),
            svc: hull(&b.svc),
        }
    }
}

/// What a group of boxes covers along each axis (a superset of the union
/// of the boxes), to filter candidates cheaply and then exactly per axis.
struct Reach {
    hulls: Hulls,
    src: Vec<(u128, u128)>,
    dst: Vec<(u128, u128)>,
    svc: Vec<(u32, u32)>,
}

impl Reach {
    fn of(boxes: &[FBox]) -> Reach {
        let src = normalise(boxes.iter().flat_map(|b| b.src.iter().copied()).collect());
        let dst = normalise(boxes.iter().flat_map(|b| b.dst.iter().copied()).collect());
        let svc = normalise(boxes.iter().flat_map(|b| b.svc.iter().copied()).collect());
        Reach {
            hulls: Hulls {
                src: hull(&src),
                dst: hull(&dst),
                svc: hull(&svc),
            },
            src,
            dst,
            svc,
        }
    }

    fn meets(&self, b: &FBox, h: &Hulls) -> bool {
        hulls_meet(self.hulls.src, h.src)
            && hulls_meet(self.hulls.dst, h.dst)
            && hulls_meet(self.hulls.svc, h.svc)
            && overlaps(&self.svc, &b.svc)
            && overlaps(&self.src, &b.src)
            && overlaps(&self.dst, &b.dst)
    }
}

fn hulls_meet<T: Ord + Copy>(a: Option<(T, T)>, b: Option<(T, T)>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.0 <= b.1 && b.0 <= a.1,
        _ => false,
    }
}
