//! Effective access diff: the packets NEW admits and OLD does not, and the
//! converse, by set algebra over the lowered rule sets.
//!
//! Both policies are lowered for the same date with no isolation mode and the
//! generic firewall. Every rule is a box: source addresses × destination
//! addresses × a set of points in a *service line*, one dimension on which
//! every (protocol, port or ICMP type) has a place (see [`svc_point`]). The
//! newly allowed traffic is `∪NEW \ ∪OLD`, computed exactly:
//!
//! 1. Rules with identical boxes in both versions cancel (they are
//!    "unchanged"). Only the remaining *changed* rules can contribute, since
//!    `(U ∪ Cn) \ (U ∪ Co) = Cn \ (U ∪ Co)`.
//! 2. Changed rules are grouped by their (source zone, destination zone) in
//!    their own version and by address family. Zones of one policy are
//!    disjoint and every rule lies inside its two zones, so only the
//!    unchanged rules of the same zone pair can overlap a group; they are
//!    filtered further by overlap and subtracted together with the changed
//!    rules of the other version whose addresses meet the same two zones.
//! 3. Within a group, rules whose destinations meet (directly or through
//!    others) form a *cluster*; clusters have disjoint destinations, so
//!    each adds its own destinations to a source's. The service line is
//!    swept once. Where a rule starts or ends, only the clusters in which a
//!    rectangle (sources × destinations, counted over the rules that have
//!    it) appears or disappears are recomputed, each by one 2-D computation
//!    over its own rules: the source axis is swept while a segment tree
//!    over the destinations counts the rules of each version, so that each
//!    source atom's destinations, `new \ old`, are read off in time
//!    proportional to their intervals. The change is folded into the slice
//!    kept by source, or, when that would visit more runs of sources than
//!    computing the whole slice costs, the slice is computed afresh.
//! 4. At each service point the sources that see the same destinations
//!    form one box; a box's services are the points at which exactly those
//!    sources see exactly those destinations. So the boxes depend only on
//!    the packets in the delta, not on how the rules were written or
//!    cut. The rules that admit a box are looked up among the rules whose
//!    destinations share a run of meeting ranges with the box's. The cost is
//!    in `docs/limits.md`.
//!
//! INVARIANT (from the checker): zones of one policy do not overlap and every
//! lowered rule's sources lie in its `src_zone` and destinations in its
//! `dst_zone`. Monitor catch-alls (`Match::Any`) take part like any rule.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Serialize, Serializer};

use crate::lower::{lower, BuildOptions, Match, Packet, Rule};
use crate::model::addr::intersect;
use crate::model::service::icmp_type_name;
use crate::model::{AddrSet, Date, Policy};

/// The change in effective access.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccessDelta {
    /// True when both lists are empty: no change in effective access.
    pub unchanged: bool,
    /// Traffic NEW admits and OLD does not.
    pub added: Vec<AccessBox>,
    /// Traffic OLD admits and NEW does not.
    pub removed: Vec<AccessBox>,
}

/// A box of traffic: one address family, sources × destinations × services,
/// between two zones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessBox {
    /// The protocols and ports or types, e.g. `tcp/502`, `icmp/echo-request`
    /// (see the module documentation of [`crate::diff`](mod@crate::diff) for every form).
    pub services: Vec<String>,
    /// The sources.
    pub src: Side,
    /// The destinations.
    pub dst: Side,
    /// Full names of the rules (`conduit/flow`, `conduit/*`) of the admitting
    /// version whose box intersects this one, sorted.
    pub flows: Vec<String>,
    /// The exact service-line intervals.
    #[serde(skip)]
    svc: Vec<(u32, u32)>,
}

/// One side (sources or destinations) of an [`AccessBox`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The zone the addresses lie in.
    pub zone: String,
    /// Named endpoints (`zone`, `zone.host`, `zone.group`) whose addresses,
    /// together, are exactly `addrs` in this family; empty when no such
    /// names were found (see `except`).
    pub names: Vec<String>,
    /// When not empty, `addrs` is exactly the zone's addresses in this
    /// family minus these endpoints' (and `names` is the zone).
    pub except: Vec<String>,
    /// The addresses, as prefixes.
    #[serde(serialize_with = "as_prefixes")]
    pub addrs: AddrSet,
}

impl Side {
    /// `enterprise.it-admins, enterprise.contractor-vpn`, `line except
    /// line.plcs`, or `part of supervisory`.
    pub fn label(&self) -> String {
        if !self.except.is_empty() {
            format!("{} except {}", self.zone, self.except.join(", "))
        } else if !self.names.is_empty() {
            self.names.join(", ")
        } else {
            format!("part of {}", self.zone)
        }
    }
}

fn as_prefixes<S: Serializer>(set: &AddrSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.to_prefixes().iter().map(|p| p.to_string()))
}

impl AccessBox {
    /// True when `packet` (as an initiation) lies in the box.
    pub fn admits(&self, packet: &Packet) -> bool {
        packet.src.is_ipv4() == packet.dst.is_ipv4()
            && self.src.addrs.contains(packet.src)
            && self.dst.addrs.contains(packet.dst)
            && svc_contains(&self.svc, svc_point(packet))
    }
}

impl AccessDelta {
    /// True when `packet` is newly allowed.
    pub fn newly_allows(&self, packet: &Packet) -> bool {
        self.added.iter().any(|b| b.admits(packet))
    }
    /// True when `packet` is no longer allowed.
    pub fn no_longer_allows(&self, packet: &Packet) -> bool {
        self.removed.iter().any(|b| b.admits(packet))
    }
}

// ---------------------------------------------------------------------------
// The service line.

/// Points a protocol occupies: every port 0-65535 for TCP and UDP (0 also
/// stands for a packet without a port), every type 0-255 plus 256 ("no
/// type") for ICMP and ICMPv6, one point for any other protocol.
const fn svc_size(p: usize) -> u32 {
    match p {
        6 | 17 => 65536,
        1 | 58 => 257,
        _ => 1,
    }
}

const OFFSETS: [u32; 257] = {
    let mut o = [0u32; 257];
    let mut p = 0;
    while p < 256 {
        o[p + 1] = o[p] + svc_size(p);
        p += 1;
    }
    o
};

/// One past the last point of the service line.
const SVC_END: u32 = OFFSETS[256];

fn offset(p: u8) -> u32 {
    OFFSETS[p as usize]
}

/// A packet's place on the service line.
pub fn svc_point(packet: &Packet) -> u32 {
    let value = match packet.proto {
        6 | 17 => packet.dport.map_or(0, u32::from),
        1 | 58 => packet.icmp_type.map_or(256, u32::from),
        _ => 0,
    };
    offset(packet.proto) + value
}

fn svc_contains(svc: &[(u32, u32)], x: u32) -> bool {
    let i = svc.partition_point(|&(lo, _)| lo <= x);
    i > 0 && svc[i - 1].1 >= x
}

/// The service-line intervals a rule matches.
fn matcher_svc(m: &Match) -> Vec<(u32, u32)> {
    let ports = |p: u8, set: &crate::model::PortSet| -> Vec<(u32, u32)> {
        set.ranges()
            .iter()
            .map(|&(lo, hi)| (offset(p) + lo as u32, offset(p) + hi as u32))
            .collect()
    };
    let types = |p: u8, set: &BTreeSet<u8>| -> Vec<(u32, u32)> {
        normalise(
            set.iter()
                .map(|&t| (offset(p) + t as u32, offset(p) + t as u32))
                .collect(),
        )
    };
    match m {
        Match::Tcp(s) => ports(6, s),
        Match::Udp(s) => ports(17, s),
        Match::Icmp(t) => types(1, t),
        Match::Icmpv6(t) => types(58, t),
        Match::Ip(n) => vec![(offset(*n), offset(*n) + svc_size(*n as usize) - 1)],
        Match::Any => vec![(0, SVC_END - 1)],
    }
}

/// Renders service-line intervals as `tcp/502`-style strings.
fn services_text(svc: &[(u32, u32)]) -> Vec<String> {
    if svc == [(0, SVC_END - 1)] {
        return vec!["any".into()];
    }
    let mut out = Vec::new();
    // Covered values of protocol p, relative to its offset.
    let slice = |p: u8| -> Vec<(u32, u32)> {
        let (lo, hi) = (offset(p), offset(p) + svc_size(p as usize) - 1);
        svc.iter()
            .filter(|&&(a, b)| b >= lo && a <= hi)
            .map(|&(a, b)| (a.max(lo) - lo, b.min(hi) - lo))
            .collect()
    };
    for (p, kw) in [(6u8, "tcp"), (17, "udp")] {
        let s = slice(p);
        let pseudo = svc_contains(&s, 0);
        let real = intersect(&s, &[(1, 65535)]);
        render_dimension(&mut out, kw, &real, (1, 65535), pseudo, "portless", |v| {
            v.to_string()
        });
    }
    for (p, kw, v6) in [(1u8, "icmp", false), (58, "icmpv6", true)] {
        let s = slice(p);
        let pseudo = svc_contains(&s, 256);
        let real = intersect(&s, &[(0, 255)]);
        render_dimension(&mut out, kw, &real, (0, 255), pseudo, "untyped", |v| {
            icmp_type_name(v as u8, v6)
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        });
    }
    // Other protocols: one point each.
    let mut others = Vec::new();
    let mut all_others = 0u32;
    for p in 0..=255u8 {
        if matches!(p, 1 | 6 | 17 | 58) {
            continue;
        }
        all_others += 1;
        if svc_contains(svc, offset(p)) {
            others.push(p as u32);
        }
    }
    if !others.is_empty() {
        if others.len() as u32 == all_others {
            out.push("ip/any-other".into());
        } else if others.len() as u32 > all_others / 2 {
            let missing: Vec<(u32, u32)> = runs(
                &(0..=255u32)
                    .filter(|p| !matches!(p, 1 | 6 | 17 | 58) && !others.contains(p))
                    .collect::<Vec<_>>(),
            );
            out.push(format!(
                "ip/any-other except {}",
                missing
                    .iter()
                    .map(|&(a, b)| range_text(a, b, &|v| v.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else {
            for (a, b) in runs(&others) {
                out.push(format!("ip/{}", range_text(a, b, &|v| v.to_string())));
            }
        }
    }
    out
}

fn runs(values: &[u32]) -> Vec<(u32, u32)> {
    normalise(values.iter().map(|&v| (v, v)).collect())
}

fn range_text(a: u32, b: u32, name: &dyn Fn(u32) -> String) -> String {
    if a == b {
        name(a)
    } else {
        format!("{a}-{b}")
    }
}

/// Pushes `kw/...` strings for one protocol's covered real values (within
/// `space`) and whether its pseudo value (no port, no type) is covered.
fn render_dimension(
    out: &mut Vec<String>,
    kw: &str,
    real: &[(u32, u32)],
    space: (u32, u32),
    pseudo: bool,
    pseudo_word: &str,
    name: impl Fn(u32) -> String,
) {
    let size = space.1 - space.0 + 1;
    let count: u32 = real.iter().map(|&(a, b)| b - a + 1).sum();
    if count == 0 {
        if pseudo {
            out.push(format!("{kw}/{pseudo_word}"));
        }
        return;
    }
    if count == size {
        out.push(if pseudo {
            format!("{kw}/any")
        } else {
            format!("{kw}/{}-{}", space.0, space.1)
        });
        return;
    }
    if pseudo && count > size / 2 {
        let missing = difference32(&[space], real);
        out.push(format!(
            "{kw}/any except {}",
            missing
                .iter()
                .map(|&(a, b)| range_text(a, b, &name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return;
    }
    for &(a, b) in real {
        out.push(format!("{kw}/{}", range_text(a, b, &name)));
    }
    if pseudo {
        out.push(format!("{kw}/{pseudo_word}"));
    }
}

// ---------------------------------------------------------------------------
// Interval algebra on sorted, disjoint, merged interval lists.

trait Point: Copy + Ord + std::hash::Hash + std::fmt::Debug {
    fn succ(self) -> Option<Self>;
    /// The predecessor; saturates at zero (callers never ask for it).
    fn pred(self) -> Self;
}
impl Point for u32 {
    fn succ(self) -> Option<u32> {
        self.checked_add(1)
    }
    fn pred(self) -> u32 {
        self.saturating_sub(1)
    }
}
impl Point for u128 {
    fn succ(self) -> Option<u128> {
        self.checked_add(1)
    }
    fn pred(self) -> u128 {
        self.saturating_sub(1)
    }
}

fn normalise<T: Point>(mut v: Vec<(T, T)>) -> Vec<(T, T)> {
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

fn overlaps<T: Point>(a: &[(T, T)], b: &[(T, T)]) -> bool {
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

/// `a \ b`.
fn difference<T: Point>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
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
                // blo > cur, so blo - 1 >= cur.
                out.push((cur, blo.pred()));
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

fn difference32(a: &[(u32, u32)], b: &[(u32, u32)]) -> Vec<(u32, u32)> {
    difference(a, b)
}

fn hull<T: Point>(a: &[(T, T)]) -> Option<(T, T)> {
    Some((a.first()?.0, a.last()?.1))
}

fn hulls_meet<T: Point>(a: Option<(T, T)>, b: Option<(T, T)>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.0 <= b.1 && b.0 <= a.1,
        _ => false,
    }
}

/// Cuts a line at every interval boundary of `sets`: the sorted distinct
/// starting points of the elementary intervals (each runs to the next
/// starting point minus one, the last to `last`).
fn boundaries<'a, T: Point + 'a>(sets: impl Iterator<Item = &'a [(T, T)]>) -> Vec<T> {
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
fn sweep<T: Point>(bounds: &[T], sets: &[&[(T, T)]]) -> Vec<Vec<(usize, bool)>> {
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

// ---------------------------------------------------------------------------
// Boxes and the delta computation.

/// A rule restricted to one address family, as intervals.
#[derive(Clone, Debug)]
struct FBox {
    /// Index of the rule in its rule list.
    rule: usize,
    src: Vec<(u128, u128)>,
    dst: Vec<(u128, u128)>,
    svc: Vec<(u32, u32)>,
}

fn family(set: &AddrSet, v6: bool) -> Vec<(u128, u128)> {
    if v6 {
        set.v6_ranges()
            .map(|(a, b)| (u128::from(a), u128::from(b)))
            .collect()
    } else {
        set.v4_ranges()
            .map(|(a, b)| (u32::from(a) as u128, u32::from(b) as u128))
            .collect()
    }
}

/// True when the family part of `set` meets `iv` (no allocation).
fn set_overlaps(set: &AddrSet, v6: bool, iv: &[(u128, u128)]) -> bool {
    fn walk(ranges: impl Iterator<Item = (u128, u128)>, iv: &[(u128, u128)]) -> bool {
        let mut j = 0;
        for (lo, hi) in ranges {
            while j < iv.len() && iv[j].1 < lo {
                j += 1;
            }
            match iv.get(j) {
                None => return false,
                Some(&(a, _)) if a <= hi => return true,
                Some(_) => {}
            }
        }
        false
    }
    if v6 {
        walk(
            set.v6_ranges().map(|(a, b)| (u128::from(a), u128::from(b))),
            iv,
        )
    } else {
        walk(
            set.v4_ranges()
                .map(|(a, b)| (u32::from(a) as u128, u32::from(b) as u128)),
            iv,
        )
    }
}

fn to_set(iv: &[(u128, u128)], v6: bool) -> AddrSet {
    if v6 {
        AddrSet::from_v6_ranges(iv.to_vec())
    } else {
        AddrSet::from_v4_ranges(
            iv.iter()
                .map(|&(a, b)| (clamp_v4(a), clamp_v4(b)))
                .collect(),
        )
    }
}

fn clamp_v4(x: u128) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

fn fbox(rule: usize, r: &Rule, v6: bool) -> Option<FBox> {
    let src = family(&r.src, v6);
    let dst = family(&r.dst, v6);
    if src.is_empty() || dst.is_empty() {
        return None;
    }
    Some(FBox {
        rule,
        src,
        dst,
        svc: matcher_svc(&r.matcher),
    })
}

/// An interval of addresses of one family (IPv4 widened to `u128`).
type Span = (u128, u128);
/// Address intervals of one family.
type Iv = Vec<Span>;
/// Service-line intervals.
type Sv = Vec<(u32, u32)>;
/// A result box: service intervals × sources × destinations.
type Piece = (Sv, Iv, Iv);

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
fn delta(plus: &[&FBox], minus: &[&FBox]) -> Vec<Piece> {
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

/// A set of intervals kept merged in a map from start to end.
type IntervalMap = BTreeMap<u128, u128>;

fn map_insert(set: &mut IntervalMap, mut lo: u128, mut hi: u128) {
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

fn map_remove(set: &mut IntervalMap, lo: u128, hi: u128) {
    if let Some((&s, &e)) = set.range(..lo).next_back() {
        if e >= lo {
            // s < lo, so lo - 1 does not wrap; e > hi, so hi + 1 does not.
            set.insert(s, lo - 1);
            if e > hi {
                set.insert(hi + 1, e);
                return;
            }
        }
    }
    let starts: Vec<u128> = set.range(lo..=hi).map(|(&s, _)| s).collect();
    for s in starts {
        if let Some(e) = set.remove(&s) {
            if e > hi {
                set.insert(hi + 1, e);
            }
        }
    }
}

/// The sources that see one set of destinations.
struct Fibre {
    srcs: IntervalMap,
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
                    .push((f.since, SVC_END - 1));
            }
        }
        self.pieces
            .into_iter()
            .map(|((src, dst), svc)| (normalise(svc), src, dst))
            .collect()
    }
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
fn plane(plus: &[&FBox], minus: &[&FBox]) -> Vec<(Iv, Iv)> {
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
                    Some(n) => n.pred(),
                    None => u128::MAX,
                };
                (dst_bounds[first], hi)
            })
            .collect();
        let end = match bounds.get(atom + 1) {
            Some(n) => n.pred(),
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

// ---------------------------------------------------------------------------
// Labels.

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

fn size(iv: &[(u128, u128)]) -> u128 {
    iv.iter().fold(0u128, |n, &(a, b)| {
        n.saturating_add(b - a).saturating_add(1)
    })
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
struct Labeller<'a> {
    policy: &'a Policy,
    cache: HashMap<(String, bool), ZoneParts>,
}

impl<'a> Labeller<'a> {
    fn new(policy: &'a Policy) -> Self {
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

    fn side(&mut self, zone: &str, v6: bool, set: Iv) -> Side {
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

// ---------------------------------------------------------------------------
// The driver.

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
                    .map(|i| rules[plus[i].rule].name.clone())
                    .collect();
                flows.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                flows.dedup();
                out.push(AccessBox {
                    services: services_text(&svc),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    #[test]
    fn difference_handles_edges() {
        let a = vec![(0u32, 10), (20, 30)];
        let b = vec![(0u32, 2), (5, 5), (10, 21), (30, 40)];
        assert_eq!(difference(&a, &b), vec![(3, 4), (6, 9), (22, 29)]);
        let full = vec![(0u128, u128::MAX)];
        assert_eq!(
            difference(&full, &[(1u128, u128::MAX - 1)]),
            vec![(0, 0), (u128::MAX, u128::MAX)]
        );
        assert!(difference(&full, &full).is_empty());
    }

    #[test]
    fn service_line_round_trips_packets() {
        let p = Packet {
            src: IpAddr::V4(Ipv4Addr::LOCALHOST),
            dst: IpAddr::V4(Ipv4Addr::LOCALHOST),
            proto: 6,
            dport: Some(502),
            icmp_type: None,
        };
        let tcp502 = matcher_svc(&Match::Tcp(crate::model::PortSet::single(502)));
        assert!(svc_contains(&tcp502, svc_point(&p)));
        assert!(svc_contains(&matcher_svc(&Match::Any), svc_point(&p)));
        let v6 = Packet {
            src: IpAddr::V6(Ipv6Addr::LOCALHOST),
            dst: IpAddr::V6(Ipv6Addr::LOCALHOST),
            proto: 255,
            dport: None,
            icmp_type: None,
        };
        assert_eq!(svc_point(&v6), SVC_END - 1);
        assert!(!svc_contains(&tcp502, svc_point(&v6)));
    }

    #[test]
    fn services_render_readably() {
        let any = matcher_svc(&Match::Any);
        assert_eq!(services_text(&any), ["any"]);
        let minus = difference(
            &any,
            &matcher_svc(&Match::Tcp(crate::model::PortSet::single(502))),
        );
        assert_eq!(
            services_text(&minus),
            [
                "tcp/any except 502",
                "udp/any",
                "icmp/any",
                "icmpv6/any",
                "ip/any-other"
            ]
        );
        let ping = matcher_svc(&Match::Icmp([8u8].into_iter().collect()));
        assert_eq!(services_text(&ping), ["icmp/echo-request"]);
        let ports = matcher_svc(&Match::Udp(crate::model::PortSet::from_ranges([
            (53, 53),
            (2222, 2230),
        ])));
        assert_eq!(services_text(&ports), ["udp/53", "udp/2222-2230"]);
        assert_eq!(services_text(&matcher_svc(&Match::Ip(47))), ["ip/47"]);
    }

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
