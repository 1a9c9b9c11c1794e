//! Attack paths between zones (`conduitc paths`).
//!
//! A path is a chain of rules in force `r1, r2, ... rn` where `r1` starts in
//! the attacker's zone, `rn` ends in the target zone, and each hop can be
//! taken from a foothold the previous one reached: the destinations of
//! `r(i)` intersect the sources of `r(i+1)` (an attacker who compromises a
//! host reached by one flow uses it to initiate the next). Monitor-mode
//! catch-alls count as hops (they admit everything between their zones).
//! Paths are computed on the lowered rule set, so expiry, `--today` and
//! isolation modes apply as they do in `build`.
//!
//! Only the shortest paths are reported, at most [`MAX_PATHS`] of them. They
//! are found by a breadth-first search over addresses rather than by listing
//! chains: the addresses of every zone are cut into classes at the bounds of
//! the rules' sources, each class is reached once, and each rule fires once,
//! at the first step at which one of its sources is reached. A second pass,
//! backwards from the target, keeps the rules that lie on some shortest
//! path, so listing the paths never follows a dead end. The cost is
//! `O(m log m)` in the number `m` of address intervals of the rules, plus
//! `O(MAX_PATHS · m log m)` to list the paths, whatever the number of chains.
//!
//! A shortest path never returns to the attacker's zone and never passes
//! through the target zone before its last hop; it can pass through another
//! zone twice when it needs footholds on two different hosts there.

use serde::Serialize;

use crate::lower::{Match, RuleSet};
use crate::model::AddrSet;

/// Most paths reported; when more shortest paths exist, the answer says so
/// ([`Paths::truncated`]).
pub const MAX_PATHS: usize = 100;

/// One hop of a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// `conduit/flow` or `conduit/*`.
    pub flow: String,
    /// Zone of the sources.
    pub from_zone: String,
    /// Zone of the destinations.
    pub to_zone: String,
    /// Footholds this hop can start from (sources ∩ previous reach).
    pub from: String,
    /// Addresses this hop reaches.
    pub to: String,
    /// What it admits (`tcp/3389`, `any` for a monitor catch-all).
    pub service: String,
}

/// One path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Path {
    /// Zones in order, first the attacker's.
    pub zones: Vec<String>,
    /// The hops.
    pub hops: Vec<Hop>,
}

/// The answer to `paths --from A --to B`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Paths {
    /// Attacker's zone.
    pub from: String,
    /// Target zone.
    pub to: String,
    /// The shortest paths (all with the same number of hops), by flow names.
    pub paths: Vec<Path>,
    /// True when more than [`MAX_PATHS`] shortest paths exist.
    pub truncated: bool,
}

/// Describes what a rule admits: its services listed (see
/// [`ServiceSpace`](crate::model::ServiceSpace)'s `Display`), `any` for a monitor catch-all.
pub fn describe(m: &Match) -> String {
    m.space().to_string()
}

/// Finds the shortest attack paths from zone `from` to zone `to` (names
/// compared case-insensitively; the caller checks they exist). No path
/// leads from a zone to itself.
pub fn find(rules: &RuleSet, from: &str, to: &str) -> Paths {
    let start = rules
        .zones
        .iter()
        .position(|z| z.name.eq_ignore_ascii_case(from));
    let target = rules
        .zones
        .iter()
        .position(|z| z.name.eq_ignore_ascii_case(to));
    let mut out = Paths {
        from: start.map_or_else(|| from.to_string(), |i| rules.zones[i].name.clone()),
        to: target.map_or_else(|| to.to_string(), |i| rules.zones[i].name.clone()),
        paths: Vec::new(),
        truncated: false,
    };
    let (Some(start), Some(target)) = (start, target) else {
        return out;
    };
    if start == target {
        return out;
    }
    let graph = Graph::new(rules);
    let levels = graph.levels(start, target);
    let good = graph.on_shortest_paths(levels, target);
    let (chains, truncated) = graph.chains(&good, MAX_PATHS);
    let start_addrs = &rules.zones[start].addrs;
    for chain in chains {
        let mut zones = vec![rules.zones[start].name.clone()];
        let mut hops = Vec::with_capacity(chain.len());
        let mut reach = start_addrs;
        for &i in &chain {
            let r = &rules.rules[i];
            zones.push(r.dst_zone.clone());
            hops.push(Hop {
                flow: r.name.clone(),
                from_zone: r.src_zone.clone(),
                to_zone: r.dst_zone.clone(),
                from: reach.intersection(&r.src).to_string(),
                to: r.dst.to_string(),
                service: describe(&r.matcher),
            });
            reach = &r.dst;
        }
        out.paths.push(Path { zones, hops });
    }
    out.truncated = truncated;
    out
}

/// A point of the search line: (zone index × 2 + address family, address).
/// Zones are kept apart on the line even where their addresses overlap.
type Key = (u64, u128);
/// An inclusive interval of keys, within one zone and family.
type Span = (Key, Key);

fn succ(k: Key) -> Key {
    match k.1.checked_add(1) {
        Some(n) => (k.0, n),
        None => (k.0 + 1, 0),
    }
}

/// The spans of `set` in zone `zone`, sorted.
fn spans(zone: usize, set: &AddrSet) -> Vec<Span> {
    let z = zone as u64 * 2;
    set.v4_ranges()
        .map(|(a, b)| ((z, u128::from(u32::from(a))), (z, u128::from(u32::from(b)))))
        .chain(
            set.v6_ranges()
                .map(|(a, b)| ((z + 1, u128::from(a)), (z + 1, u128::from(b)))),
        )
        .collect()
}

/// True when some span of `few` meets a span of `sorted` (sorted and
/// disjoint): `O(|few| log |sorted|)`.
fn meets(few: &[Span], sorted: &[Span]) -> bool {
    few.iter().any(|&(lo, hi)| {
        let i = sorted.partition_point(|s| s.1 < lo);
        sorted.get(i).is_some_and(|s| s.0 <= hi)
    })
}

/// Sorts spans and merges overlapping ones.
fn merged(mut v: Vec<Span>) -> Vec<Span> {
    v.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        match out.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// The rules as edges between address classes.
struct Graph<'a> {
    rules: &'a RuleSet,
    /// Per rule: source and destination zone indexes (`None`: a zone not in
    /// play, so the rule never fires).
    zones: Vec<Option<(usize, usize)>>,
    src: Vec<Vec<Span>>,
    dst: Vec<Vec<Span>>,
}

impl<'a> Graph<'a> {
    fn new(rules: &'a RuleSet) -> Self {
        let index: std::collections::HashMap<String, usize> = rules
            .zones
            .iter()
            .enumerate()
            .map(|(i, z)| (z.name.to_ascii_lowercase(), i))
            .collect();
        let zone = |name: &str| index.get(&name.to_ascii_lowercase()).copied();
        let mut g = Graph {
            rules,
            zones: Vec::with_capacity(rules.rules.len()),
            src: Vec::with_capacity(rules.rules.len()),
            dst: Vec::with_capacity(rules.rules.len()),
        };
        for r in &rules.rules {
            match (zone(&r.src_zone), zone(&r.dst_zone)) {
                (Some(a), Some(b)) => {
                    g.zones.push(Some((a, b)));
                    g.src.push(spans(a, &r.src));
                    g.dst.push(spans(b, &r.dst));
                }
                _ => {
                    g.zones.push(None);
                    g.src.push(Vec::new());
                    g.dst.push(Vec::new());
                }
            }
        }
        g
    }

    /// Orders rules by name, then by position.
    fn by_name(&self, v: &mut [usize]) {
        let rules = &self.rules.rules;
        v.sort_by(|&a, &b| {
            rules[a]
                .name
                .as_bytes()
                .cmp(rules[b].name.as_bytes())
                .then(a.cmp(&b))
        });
    }

    /// Breadth-first search from the addresses of zone `start`: the rules
    /// that fire at step 1, 2, ..., up to the first step at which a rule
    /// reaches zone `target` (empty when none ever does).
    fn levels(&self, start: usize, target: usize) -> Vec<Vec<usize>> {
        // Address classes: the line cut at every bound of every source.
        let mut bounds: Vec<Key> = self
            .src
            .iter()
            .flatten()
            .flat_map(|&(lo, hi)| [lo, succ(hi)])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        let classes = bounds.len();
        let mut stab = Stabber::new(classes);
        for (i, src) in self.src.iter().enumerate() {
            for &(lo, hi) in src {
                let a = bounds.partition_point(|&b| b < lo);
                let b = bounds.partition_point(|&b| b < succ(hi));
                if a < b {
                    stab.insert(a, b - 1, i);
                }
            }
        }
        // next[c]: the first class at or after c not yet reached.
        let mut next: Vec<usize> = (0..=classes).collect();
        let mut fired = vec![false; self.src.len()];
        let mut levels: Vec<Vec<usize>> = Vec::new();
        let mut frontier = spans(start, &self.rules.zones[start].addrs);
        let mut hit = Vec::new();
        while !frontier.is_empty() {
            let mut now = Vec::new();
            for &(lo, hi) in &frontier {
                let last = bounds.partition_point(|&b| b <= hi);
                if last == 0 {
                    continue;
                }
                let mut c = find_next(
                    &mut next,
                    bounds.partition_point(|&b| b <= lo).saturating_sub(1),
                );
                while c < last {
                    next[c] = c + 1;
                    stab.take(c, &mut hit);
                    for i in hit.drain(..) {
                        if !fired[i] {
                            fired[i] = true;
                            now.push(i);
                        }
                    }
                    c = find_next(&mut next, c + 1);
                }
            }
            if now.is_empty() {
                return Vec::new();
            }
            let done = now
                .iter()
                .any(|&i| self.zones[i].is_some_and(|(_, b)| b == target));
            frontier = merged(
                now.iter()
                    .flat_map(|&i| self.dst[i].iter().copied())
                    .collect(),
            );
            levels.push(now);
            if done {
                return levels;
            }
        }
        Vec::new()
    }

    /// Keeps, at each step, the rules that lie on a shortest path: at the
    /// last step those that reach the target, before it those whose
    /// destinations meet the sources of a rule kept at the next step. Each
    /// step is sorted by source zone, then name.
    fn on_shortest_paths(&self, mut levels: Vec<Vec<usize>>, target: usize) -> Vec<Vec<usize>> {
        let mut below: Option<Vec<Span>> = None;
        for level in levels.iter_mut().rev() {
            match &below {
                None => level.retain(|&i| self.zones[i].is_some_and(|(_, b)| b == target)),
                Some(q) => level.retain(|&i| meets(&self.dst[i], q)),
            }
            below = Some(merged(
                level
                    .iter()
                    .flat_map(|&i| self.src[i].iter().copied())
                    .collect(),
            ));
            self.by_name(level);
            level.sort_by_key(|&i| self.zones[i].map_or(0, |(a, _)| a));
        }
        levels
    }

    /// Up to `limit` chains through `good` (one rule per step, each meeting
    /// the next), in order of their names; true when more exist. Every rule
    /// in `good` continues to the target, so the search never backtracks
    /// from a dead end and stops at the `limit + 1`th chain.
    fn chains(&self, good: &[Vec<usize>], limit: usize) -> (Vec<Vec<usize>>, bool) {
        let mut out = Vec::new();
        let Some(first) = good.first() else {
            return (out, false);
        };
        // One frame per step: the candidates and the next one to try.
        let mut stack: Vec<(Vec<usize>, usize)> = vec![(first.clone(), 0)];
        let mut chain: Vec<usize> = Vec::new();
        while let Some((cands, pos)) = stack.last_mut() {
            let Some(&r) = cands.get(*pos) else {
                stack.pop();
                chain.pop();
                continue;
            };
            *pos += 1;
            chain.push(r);
            let step = chain.len();
            if step == good.len() {
                if out.len() == limit {
                    return (out, true);
                }
                out.push(chain.clone());
                chain.pop();
                continue;
            }
            let zone = self.zones[r].map_or(usize::MAX, |(_, b)| b);
            let next = &good[step];
            let from = next.partition_point(|&i| self.zones[i].map_or(0, |(a, _)| a) < zone);
            let to = next.partition_point(|&i| self.zones[i].map_or(0, |(a, _)| a) <= zone);
            let cands: Vec<usize> = next[from..to]
                .iter()
                .copied()
                .filter(|&i| meets(&self.src[i], &self.dst[r]))
                .collect();
            stack.push((cands, 0));
        }
        (out, false)
    }
}

/// The first class at or after `c` not yet reached (with path halving).
fn find_next(next: &mut [usize], mut c: usize) -> usize {
    while next[c] != c {
        next[c] = next[next[c]];
        c = next[c];
    }
    c
}

/// Rules indexed by the classes their sources cover: a segment tree whose
/// nodes hold the rules covering their whole range. Taking the rules over
/// one class empties the nodes on its way to the root, so each entry is
/// handed out once.
struct Stabber {
    size: usize,
    nodes: Vec<Vec<usize>>,
}

impl Stabber {
    fn new(n: usize) -> Self {
        let size = n.max(1).next_power_of_two();
        Stabber {
            size,
            nodes: vec![Vec::new(); 2 * size],
        }
    }

    /// Adds `id` over classes `lo..=hi`.
    fn insert(&mut self, lo: usize, hi: usize, id: usize) {
        let (mut l, mut r) = (lo + self.size, hi + self.size + 1);
        while l < r {
            if l & 1 == 1 {
                self.nodes[l].push(id);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                self.nodes[r].push(id);
            }
            l /= 2;
            r /= 2;
        }
    }

    /// Moves the ids still held over class `c` into `out`.
    fn take(&mut self, c: usize, out: &mut Vec<usize>) {
        let mut i = c + self.size;
        while i >= 1 {
            out.append(&mut self.nodes[i]);
            i /= 2;
        }
    }
}

/// Renders paths for a terminal.
pub fn to_text(p: &Paths) -> String {
    let mut s = String::new();
    if p.paths.is_empty() {
        s.push_str(&format!("no path from {} to {}\n", p.from, p.to));
        return s;
    }
    s.push_str(&format!(
        "{}{} path{} from {} to {}\n",
        p.paths.len(),
        if p.truncated { "+" } else { "" },
        if p.paths.len() == 1 { "" } else { "s" },
        p.from,
        p.to
    ));
    for (i, path) in p.paths.iter().enumerate() {
        s.push_str(&format!("\n{}. {}\n", i + 1, path.zones.join(" -> ")));
        for h in &path.hops {
            s.push_str(&format!(
                "   {} ({}): {} -> {}\n",
                h.flow, h.service, h.from, h.to
            ));
        }
    }
    if p.truncated {
        s.push_str(&format!(
            "\n(more shortest paths exist; only the first {MAX_PATHS} are listed)\n"
        ));
    }
    s
}
