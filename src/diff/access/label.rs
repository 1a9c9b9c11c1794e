//! Labels: the zones, groups and hosts an address set is made of.

use std::collections::HashMap;

use super::boxes::{family, to_set, Iv};
use super::Side;
use crate::model::interval::{count as size, difference, normalise};
use crate::model::{AddrSet, Policy};

/// At most this many endpoint names describe one side.
const MAX_NAMES: usize = 4;

/// A zone's named parts in one family.
struct ZoneParts {
    whole: Iv,
    /// Hosts and groups with their sizes, largest first.
    named: Vec<(String, Iv, u128)>,
    /// (first address, index in `named`), by address.
    by_start: Vec<(u128, usize)>,
    exact: HashMap<Iv, String>,
}

/// Names of endpoints whose union is exactly `target`, greedily, largest
/// first. `named` is sorted by size, largest first; the search skips the
/// parts larger than `target` and stops as soon as the parts left are too
/// small to complete it within [`MAX_NAMES`] (so a set larger than four
/// hosts of a zone of hosts is given up at once, not after a walk over
/// every host).
///
/// Only the parts whose first address lies in `target` can be used, so
/// only they are visited, found by address; since the parts are visited
/// in the same order and sizes only fall, the search gives up exactly where
/// a walk over every part would.
fn cover(parts: &ZoneParts, target: &[(u128, u128)]) -> Option<Vec<String>> {
    let named = &parts.named;
    let total = size(target);
    let first = named.partition_point(|(_, _, n)| *n > total);
    match named.get(first) {
        Some((_, _, n)) if n.saturating_mul(MAX_NAMES as u128) >= total => {}
        _ => return None,
    }
    let mut candidates: Vec<usize> = Vec::new();
    for &(lo, hi) in target {
        let from = parts.by_start.partition_point(|&(a, _)| a < lo);
        candidates.extend(
            parts.by_start[from..]
                .iter()
                .take_while(|&&(a, _)| a <= hi)
                .filter(|&&(_, i)| i >= first)
                .map(|&(_, i)| i),
        );
    }
    candidates.sort_unstable();
    let mut covered: Iv = Vec::new();
    let mut covered_size = 0u128;
    let mut picked = Vec::new();
    for (name, iv, n) in candidates.into_iter().filter_map(|i| named.get(i)) {
        let left = (MAX_NAMES - picked.len()) as u128;
        if n.saturating_mul(left) < total.saturating_sub(covered_size) {
            return None;
        }
        if difference(iv, target).is_empty() && !difference(iv, &covered).is_empty() {
            covered = normalise(covered.iter().chain(iv.iter()).copied().collect());
            covered_size = size(&covered);
            picked.push(name.clone());
            if covered.as_slice() == target {
                picked.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                return Some(picked);
            }
            if picked.len() == MAX_NAMES {
                return None;
            }
        }
    }
    None
}

/// Describes address sets by the zones, groups and hosts they are made of.
pub(super) struct Labeller<'a> {
    policy: &'a Policy,
    cache: HashMap<(String, bool), ZoneParts>,
}

impl<'a> Labeller<'a> {
    pub(super) fn new(policy: &'a Policy) -> Self {
        Labeller {
            policy,
            cache: HashMap::new(),
        }
    }

    fn parts(policy: &Policy, zone: &str, v6: bool) -> ZoneParts {
        let mut parts = ZoneParts {
            whole: Vec::new(),
            named: Vec::new(),
            by_start: Vec::new(),
            exact: HashMap::new(),
        };
        let Some(z) = policy.zones.iter().find(|z| z.name.as_str() == zone) else {
            return parts;
        };
        parts.whole = family(&z.addrs, v6);
        for g in &z.groups {
            let iv = family(&g.addrs, v6);
            let n = size(&iv);
            parts.named.push((format!("{}.{}", z.name, g.name), iv, n));
        }
        for h in &z.hosts {
            let addrs = AddrSet::union_all(
                h.addrs
                    .iter()
                    .map(|a| AddrSet::from_addr(*a))
                    .collect::<Vec<_>>()
                    .iter(),
            );
            let iv = family(&addrs, v6);
            let n = size(&iv);
            parts.named.push((format!("{}.{}", z.name, h.name), iv, n));
        }
        parts.named.retain(|(_, iv, _)| !iv.is_empty());
        // Hosts after groups of equal size, so a host wins an exact match.
        for (name, iv, _) in &parts.named {
            parts.exact.insert(iv.clone(), name.clone());
        }
        parts
            .named
            .sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        parts.by_start = parts
            .named
            .iter()
            .enumerate()
            .filter_map(|(i, (_, iv, _))| Some((iv.first()?.0, i)))
            .collect();
        parts.by_start.sort_unstable();
        parts
    }

    pub(super) fn side(&mut self, zone: &str, v6: bool, set: Iv) -> Side {
        let policy = self.policy;
        let parts = self
            .cache
            .entry((zone.to_string(), v6))
            .or_insert_with(|| Self::parts(policy, zone, v6));
        let (names, except) = if set == parts.whole {
            (vec![zone.to_string()], Vec::new())
        } else if let Some(n) = parts.exact.get(&set) {
            (vec![n.clone()], Vec::new())
        } else if let Some(names) = cover(parts, &set) {
            (names, Vec::new())
        } else {
            let rest = difference(&parts.whole, &set);
            let subset = difference(&set, &parts.whole).is_empty();
            match cover(parts, &rest) {
                Some(except) if subset && !rest.is_empty() => (vec![zone.to_string()], except),
                _ => (Vec::new(), Vec::new()),
            }
        };
        Side {
            zone: zone.to_string(),
            names,
            except,
            addrs: to_set(&set, v6),
        }
    }
}
