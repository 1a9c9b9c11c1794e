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
//!
//! Management counts as an attack edge ([`management`], [`find_with`]): an
//! attacker who reaches a firewall's management service controls what the
//! firewall forwards. A `manage` entry in force leads from its sources (in
//! zones not severed) to the firewall (hop kind [`HopKind::Manage`]), and the
//! firewall leads to every zone it has an interface for, except severed
//! ones ([`HopKind::Firewall`]). `control` entries are not edges: a routing
//! or relay protocol does not hand over the rule set.

use serde::Serialize;

use crate::lower::{Match, RuleSet};
use crate::model::{AddrSet, LocalKind, Policy};

/// Most paths reported; when more shortest paths exist, the answer says so
/// ([`Paths::truncated`]).
pub const MAX_PATHS: usize = 100;

/// What a hop crosses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HopKind {
    /// A flow (or a monitor catch-all) between two zones.
    Flow,
    /// A `manage` entry: from its sources to the firewall itself.
    Manage,
    /// A firewall whose management was reached: on to a zone it faces.
    Firewall,
}

/// One hop of a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// What the hop crosses.
    pub kind: HopKind,
    /// `conduit/flow` or `conduit/*`; `firewall/entry` for a manage hop;
    /// the firewall's name for a firewall hop.
    pub flow: String,
    /// Zone of the sources (the firewall's name for a firewall hop).
    pub from_zone: String,
    /// Zone of the destinations (the firewall's name for a manage hop).
    pub to_zone: String,
    /// Footholds this hop can start from (sources ∩ previous reach).
    pub from: String,
    /// Addresses this hop reaches (a manage hop: the firewall's own
    /// addresses, `any` when it declares none).
    pub to: String,
    /// What it admits (`tcp/3389`, `any` for a monitor catch-all and for a
    /// firewall hop).
    pub service: String,
}

/// One path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Path {
    /// Zones in order, first the attacker's; firewalls passed through
    /// are not listed (see the hops).
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

/// A `manage` entry in force, one per source zone, as an edge of the search:
/// from its sources to the firewall, which then reaches the zones it faces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Management {
    /// The firewall's name.
    pub firewall: String,
    /// `firewall/entry`.
    pub entry: String,
    /// Zone of the sources.
    pub src_zone: String,
    /// The entry's sources in `src_zone`.
    pub src: AddrSet,
    /// The services, as written in the rule set's terms (`tcp/22`).
    pub service: String,
    /// The firewall's own addresses (empty when it declares none).
    pub own: AddrSet,
    /// The zones the firewall has an interface for, not severed.
    pub faces: Vec<String>,
}

/// The `manage` entries of `policy` in force on the rule set's date, with
/// sources in zones its isolation mode does not sever, in firewall then
/// entry declaration order. `control` entries are left out.
pub fn management(policy: &Policy, rules: &RuleSet) -> Vec<Management> {
    let mut severed = vec![false; policy.zones.len()];
    if let Some(iso) = rules.isolation.as_deref().and_then(|m| policy.isolation(m)) {
        for &z in &iso.sever {
            if let Some(s) = severed.get_mut(z) {
                *s = true;
            }
        }
    }
    let live = |z: usize| !severed.get(z).copied().unwrap_or(true);
    let zone_name = |z: usize| policy.zones.get(z).map(|z| z.name.to_string());
    let mut out = Vec::new();
    for fw in &policy.firewalls {
        let faces: Vec<String> = fw
            .interfaces
            .iter()
            .filter(|i| live(i.zone))
            .filter_map(|i| zone_name(i.zone))
            .collect();
        let own = fw.own_addrs();
        for entry in &fw.local {
            if entry.kind != LocalKind::Manage || !entry.in_force_on(rules.today) {
                continue;
            }
            for zone in entry.from_zones() {
                if !live(zone) || fw.interface_for(zone).is_none() {
                    continue;
                }
                let Some(src_zone) = zone_name(zone) else {
                    continue;
                };
                let src = entry.sources_in(zone);
                out.push(Management {
                    firewall: fw.name.to_string(),
                    entry: entry.full_name.clone(),
                    src_zone,
                    src,
                    service: entry.services.to_string(),
                    own: own.clone(),
                    faces: faces.clone(),
                });
            }
        }
    }
    out
}

/// Finds the shortest attack paths from zone `from` to zone `to` by flows
/// alone (names compared case-insensitively; the caller checks they
/// exist). No path leads from a zone to itself.
pub fn find(rules: &RuleSet, from: &str, to: &str) -> Paths {
    find_with(rules, &[], from, to)
}

/// Finds the shortest attack paths from zone `from` to zone `to` by flows
/// and through the firewalls whose management `manage` reaches (see
/// [`management`]). A path through a firewall takes two hops: the manage
/// entry, then the firewall.
pub fn find_with(rules: &RuleSet, manage: &[Management], from: &str, to: &str) -> Paths {
    let start = rules
        .zones
        .iter()
        .position(|z| z.name.eq_ignore_ascii_case(from));
    let target = rules
        .zones
        .iter()
        .position(|z| z.name.eq_ignore_ascii_case(to));
    let mut out = Paths {
        from: start.map_or_else(|| from.to_string(), |i| rules.zones[i].name.to_string()),
        to: target.map_or_else(|| to.to_string(), |i| rules.zones[i].name.to_string()),
        paths: Vec::new(),
        truncated: false,
    };
    let (Some(start), Some(target)) = (start, target) else {
        return out;
    };
    if start == target {
        return out;
    }
    let graph = Graph::new(rules, manage);
    let levels = graph.levels(start, &rules.zones[start].addrs, target);
    let good = graph.on_shortest_paths(levels, target);
    let (chains, truncated) = graph.chains(&good, MAX_PATHS);
    let start_addrs = &rules.zones[start].addrs;
    let all = AddrSet::all();
    for chain in chains {
        let mut zones = vec![rules.zones[start].name.to_string()];
        let mut hops = Vec::with_capacity(chain.len());
        let mut reach = start_addrs;
        for &i in &chain {
            let e = &graph.edges[i];
            let (src, dst) = match e.what {
                What::Rule(r) => (&rules.rules[r].src, &rules.rules[r].dst),
                What::Manage(m) => (&manage[m].src, &manage[m].own),
                What::Firewall(m, z) => (&manage[m].own, &rules.zones[z].addrs),
            };
            let (from, to) = match e.what {
                What::Rule(_) => (reach.intersection(src).to_string(), dst.to_string()),
                What::Manage(_) if dst.is_empty() => {
                    (reach.intersection(src).to_string(), "any".to_string())
                }
                What::Manage(_) => (reach.intersection(src).to_string(), dst.to_string()),
                What::Firewall(..) if src.is_empty() => ("any".to_string(), dst.to_string()),
                What::Firewall(..) => (src.to_string(), dst.to_string()),
            };
            let (kind, flow, from_zone, to_zone, service) = match e.what {
                What::Rule(r) => {
                    let r = &rules.rules[r];
                    zones.push(r.dst_zone.to_string());
                    (
                        HopKind::Flow,
                        r.name.to_string(),
                        r.src_zone.to_string(),
                        r.dst_zone.to_string(),
                        describe(&r.matcher),
                    )
                }
                What::Manage(m) => {
                    let m = &manage[m];
                    (
                        HopKind::Manage,
                        m.entry.clone(),
                        m.src_zone.clone(),
                        m.firewall.clone(),
                        m.service.clone(),
                    )
                }
                What::Firewall(m, z) => {
                    let zone = rules.zones[z].name.to_string();
                    zones.push(zone.clone());
                    (
                        HopKind::Firewall,
                        manage[m].firewall.clone(),
                        manage[m].firewall.clone(),
                        zone,
                        "any".to_string(),
                    )
                }
            };
            hops.push(Hop {
                kind,
                flow,
                from_zone,
                to_zone,
                from,
                to,
                service,
            });
            reach = match e.what {
                What::Manage(_) => &all,
                _ => dst,
            };
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

/// Where an edge of the search comes from.
#[derive(Clone, Copy)]
enum What {
    /// `rules.rules[i]`.
    Rule(usize),
    /// `manage[i]`: its sources to the firewall.
    Manage(usize),
    /// The firewall of `manage[i]` on to zone `z` (index in `rules.zones`).
    Firewall(usize, usize),
}

/// One edge: its name (for ordering) and origin.
struct Edge {
    name: String,
    what: What,
}

/// The rules as edges between address classes. Each firewall whose
/// management is an edge gets a point of its own on the search line, after
/// the zones: manage edges lead to it, firewall edges lead from it.
struct Graph {
    edges: Vec<Edge>,
    /// Per edge: source and destination zone indexes (`None`: a zone not in
    /// play, so the edge never fires). Firewalls count as zones numbered
    /// after the real ones.
    zones: Vec<Option<(usize, usize)>>,
    src: Vec<Vec<Span>>,
    dst: Vec<Vec<Span>>,
}

impl Graph {
    fn new(rules: &RuleSet, manage: &[Management]) -> Self {
        let index: std::collections::HashMap<String, usize> = rules
            .zones
            .iter()
            .enumerate()
            .map(|(i, z)| (z.name.to_ascii_lowercase(), i))
            .collect();
        let zone = |name: &str| index.get(&name.to_ascii_lowercase()).copied();
        let n = rules.rules.len() + manage.len();
        let mut g = Graph {
            edges: Vec::with_capacity(n),
            zones: Vec::with_capacity(n),
            src: Vec::with_capacity(n),
            dst: Vec::with_capacity(n),
        };
        let push = |g: &mut Graph, name: String, what, ends: Option<(usize, usize)>, s, d| {
            g.edges.push(Edge { name, what });
            g.zones.push(ends);
            g.src.push(if ends.is_some() { s } else { Vec::new() });
            g.dst.push(if ends.is_some() { d } else { Vec::new() });
        };
        for (i, r) in rules.rules.iter().enumerate() {
            let ends = zone(&r.src_zone).zip(zone(&r.dst_zone));
            let (s, d) = ends.map_or((Vec::new(), Vec::new()), |(a, b)| {
                (spans(a, &r.src), spans(b, &r.dst))
            });
            push(&mut g, r.name.to_string(), What::Rule(i), ends, s, d);
        }
        // One point per firewall, numbered after the zones.
        let mut firewalls: Vec<&str> = Vec::new();
        for (i, m) in manage.iter().enumerate() {
            let (f, first) = match firewalls.iter().position(|f| *f == m.firewall) {
                Some(f) => (f, false),
                None => {
                    firewalls.push(&m.firewall);
                    (firewalls.len() - 1, true)
                }
            };
            let fz = rules.zones.len() + f;
            let point = vec![((fz as u64 * 2, 0), (fz as u64 * 2, 0))];
            let ends = zone(&m.src_zone).map(|a| (a, fz));
            let s = ends.map_or(Vec::new(), |(a, _)| spans(a, &m.src));
            push(
                &mut g,
                m.entry.clone(),
                What::Manage(i),
                ends,
                s,
                point.clone(),
            );
            if !first {
                continue;
            }
            // The firewall's own edges, once per firewall.
            for face in &m.faces {
                if let Some(z) = zone(face) {
                    let d = spans(z, &rules.zones[z].addrs);
                    let name = m.firewall.clone();
                    push(
                        &mut g,
                        name,
                        What::Firewall(i, z),
                        Some((fz, z)),
                        point.clone(),
                        d,
                    );
                }
            }
        }
        g
    }

    /// Orders edges by name, then by position.
    fn by_name(&self, v: &mut [usize]) {
        let edges = &self.edges;
        v.sort_by(|&a, &b| {
            edges[a]
                .name
                .as_bytes()
                .cmp(edges[b].name.as_bytes())
                .then(a.cmp(&b))
        });
    }

    /// Breadth-first search from the addresses of zone `start`: the rules
    /// that fire at step 1, 2, ..., up to the first step at which a rule
    /// reaches zone `target` (empty when none ever does).
    fn levels(&self, start: usize, start_addrs: &AddrSet, target: usize) -> Vec<Vec<usize>> {
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
        let mut frontier = spans(start, start_addrs);
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
        let mut line: Vec<String> = path.zones.first().cloned().into_iter().collect();
        for h in &path.hops {
            line.push(match h.kind {
                HopKind::Manage => format!("firewall {}", h.to_zone),
                _ => h.to_zone.clone(),
            });
        }
        s.push_str(&format!("\n{}. {}\n", i + 1, line.join(" -> ")));
        for h in &path.hops {
            s.push_str(&match h.kind {
                HopKind::Flow => format!("   {} ({}): {} -> {}\n", h.flow, h.service, h.from, h.to),
                HopKind::Manage => format!(
                    "   manage {} ({}): {} -> firewall {} ({})\n",
                    h.flow, h.service, h.from, h.to_zone, h.to
                ),
                HopKind::Firewall => format!(
                    "   via firewall {}: forwards anything to {} ({})\n",
                    h.flow, h.to_zone, h.to
                ),
            });
        }
    }
    if p.truncated {
        s.push_str(&format!(
            "\n(more shortest paths exist; only the first {MAX_PATHS} are listed)\n"
        ));
    }
    s
}
