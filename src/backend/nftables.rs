//! The `nftables` backend: one `nft -f` file that atomically replaces
//! `table inet conduit`.
//!
//! Input: a [`RuleSet`]. Output: nftables text, byte-for-byte deterministic.
//! Never reads syntax or the checker; the only user text it emits are names
//! (zone, conduit, flow, isolation mode, firewall, interface), and each is
//! validated against a safe subset first: anything else is an [`EmitError`],
//! never escaped (nft strings have no escapes at all).
//!
//! # Shape of the file
//!
//! ```text
//! # header comments (date, isolation mode, firewall: validated names only)
//! table inet conduit
//! delete table inet conduit
//! table inet conduit {
//!     set z_control_v4 { type ipv4_addr; flags interval; elements = { ... } }
//!     ...
//!     chain forward {
//!         type filter hook forward priority filter; policy drop;
//!         ct state established,related accept
//!         ct state invalid drop
//!         ip saddr @z_a_v4 ip daddr @z_b_v4 jump p_a_to_b      (no firewall)
//!         iifname "eth1" oifname "eth2" jump p_a_to_b          (with a firewall)
//!         limit rate 10/second burst 20 packets log prefix "conduit drop " level info
//!         counter drop comment "conduit default deny"
//!     }
//!     chain p_a_to_b {
//!         ip saddr @S ip daddr @D tcp dport { 502, 20000-20010 } ct state new counter accept comment "c/f"
//!         ...
//!     }
//! }
//! ```
//!
//! - `table` + `delete table` + body in one file is the atomic-replace idiom:
//!   `flush table` would keep stale set elements, `destroy` does not exist in
//!   nft 1.0.6. A file that fails anywhere leaves the old ruleset in place.
//! - Addresses live in named interval sets, one per address family, with the
//!   disjoint prefixes of [`AddrSet::v4_prefixes`] / [`AddrSet::v6_prefixes`].
//!   A set equal to a zone's addresses is the zone's set (`z_ZONE_v4`);
//!   any other set belongs to one flow side (`f_CONDUIT_FLOW_src_v6`) and
//!   is shared by that flow's rules only, so a set's name says whose
//!   addresses it holds. Names are lowercased; a clash (`a` + `b_c` against
//!   `a_b` + `c`) gets a numeric suffix. Ports are anonymous sets, ICMP
//!   types `icmp type { .. }` / `icmpv6 type { .. }`, other protocols
//!   `meta l4proto N`; `th dport` is never used (it has no protocol
//!   dependency).
//! - Rules are grouped into one chain per (source zone, destination zone)
//!   pair, entered by `jump` from `forward`: by interface names when the rule
//!   set was built for a firewall, else by the two zones' address sets. A
//!   `jump` returns when the pair chain ends, so the logged default drop in
//!   `forward` sees every packet no rule accepted.
//! - One lowered rule becomes one nft rule per address family it can match
//!   (IPv4 when both sides have IPv4 addresses, IPv6 likewise), so a flow with
//!   many hosts and ports stays one or two rules. Each carries
//!   `ct state new` (replies pass by `established,related` in `forward`),
//!   a `counter`, and `comment "conduit/flow"`.
//! - Within a pair chain, logged flows come first, then the other flows, then
//!   monitor-mode catch-alls: every verdict is `accept`, so the order never
//!   changes what passes, but it makes a flow with `log` log every connection
//!   it admits and the monitor catch-all log only connections no declared flow
//!   admits.
//! - The default drop is logged at most 10 times a second (burst 20), so a
//!   scan cannot flood the log; the `counter drop` after it counts every drop.
//!
//! # Kernel caveats
//!
//! Every rule admits only packets conntrack marks `new`. An ICMP message
//! conntrack cannot open a connection with is `invalid` (IPv4: anything but
//! echo, timestamp, information and address-mask requests; IPv6: anything
//! but echo request and node information query) and dropped by
//! `ct state invalid drop`, or `untracked` (IPv6 neighbour discovery and
//! MLD) and dropped by the default drop: so a flow declaring, say,
//! `icmp/echo-reply` passes nothing, and monitor catch-alls do not pass such
//! messages either. The firewall is stricter than the policy there, never
//! looser. IPv6 extension headers are skipped by `meta l4proto`, so an
//! `ip/N` flow naming an extension header never matches IPv6 traffic.

use crate::diag::quote;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::rc::Rc;

use ipnet::IpNet;

use super::guard::{interface_name, is_name, NAME_MAX};
use super::{push_decimal, EmitError};
use crate::lower::{LocalRule, Match, Rule, RuleSet, ZoneInfo};
use crate::model::platform::NFTABLES;
use crate::model::{AddrSet, Platform};

/// The table every ruleset replaces.
pub const TABLE: &str = "conduit";

const TARGET: &str = "nftables";

/// The most bytes nft accepts in a comment (the platform table).
const MAX_COMMENT: usize = NFTABLES.max_comment_chars;
/// The most bytes the kernel accepts in a log prefix.
const MAX_LOG_PREFIX: usize = 127;
/// The most bytes we allow in a generated set or chain name (nft allows
/// 255), from the platform table.
const MAX_IDENT: usize = match NFTABLES.max_object_name_chars {
    Some(n) => n,
    None => 255,
};

/// Emits `rules` as nftables configuration for `nft -f`.
///
/// ```
/// use conduitc::backend::{emit, Target};
/// use conduitc::lower::{lower, BuildOptions};
/// use conduitc::model::{Date, Policy};
/// let rules = lower(&Policy::default(), &BuildOptions::new(Date::parse("2026-12-01").unwrap())).unwrap();
/// let text = emit(&rules, Target::Nftables).unwrap();
/// assert!(text.contains("delete table inet conduit\n"));
/// assert!(text.contains("policy drop;"));
/// ```
pub fn emit(rules: &RuleSet) -> Result<String, EmitError> {
    let mut out = Vec::new();
    emit_to(rules, &mut out)?;
    String::from_utf8(out).map_err(|e| bad(format!("the rendered text is not UTF-8 ({e})")))
}

/// Writes the same text as [`emit`] to `out` as it is rendered, in chunks
/// of about `CHUNK` (64 KiB), so memory does not grow with the output. Every
/// refusal is decided before the first byte is written.
pub fn emit_to(rules: &RuleSet, out: &mut dyn std::io::Write) -> Result<(), EmitError> {
    let plan = plan(rules)?;
    render(&plan, out).map_err(|e| EmitError::Io {
        target: "nftables",
        message: e.to_string(),
    })
}

/// How much rendered text is held before it is written out.
const CHUNK: usize = 64 * 1024;

/// Writes `buf` to `w` and empties it once it holds [`CHUNK`] bytes.
fn spill(buf: &mut String, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    if buf.len() >= CHUNK {
        w.write_all(buf.as_bytes())?;
        buf.clear();
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The plan: what both the text and the JSON backend render.
// ---------------------------------------------------------------------------

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Family {
    V4,
    V6,
}

impl Family {
    /// `ip` or `ip6`: the payload protocol carrying the addresses.
    pub(crate) fn payload(self) -> &'static str {
        match self {
            Family::V4 => "ip",
            Family::V6 => "ip6",
        }
    }
    /// `ipv4_addr` or `ipv6_addr`.
    pub(crate) fn set_type(self) -> &'static str {
        match self {
            Family::V4 => "ipv4_addr",
            Family::V6 => "ipv6_addr",
        }
    }
    fn suffix(self) -> &'static str {
        match self {
            Family::V4 => "v4",
            Family::V6 => "v6",
        }
    }
    fn present(self, s: &AddrSet) -> bool {
        match self {
            Family::V4 => s.has_v4(),
            Family::V6 => s.has_v6(),
        }
    }
    fn prefixes(self, s: &AddrSet) -> Vec<IpNet> {
        match self {
            Family::V4 => s.v4_prefixes().into_iter().map(IpNet::V4).collect(),
            Family::V6 => s.v6_prefixes().into_iter().map(IpNet::V6).collect(),
        }
    }
}

/// A named interval set of addresses of one family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NamedSet<'a> {
    pub name: Rc<str>,
    pub family: Family,
    /// Its elements: the `family` part of these addresses.
    pub addrs: &'a AddrSet,
}

impl NamedSet<'_> {
    /// The elements: disjoint prefixes, sorted.
    pub(crate) fn prefixes(&self) -> Vec<IpNet> {
        self.family.prefixes(self.addrs)
    }
}

/// How `forward` enters a pair chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Dispatch {
    /// `iifname "IN" oifname "OUT" jump CHAIN`.
    Iface {
        iif: String,
        oif: String,
        chain: Rc<str>,
    },
    /// `ip saddr @SRC ip daddr @DST jump CHAIN` (or `ip6`); set indexes.
    Addr {
        family: Family,
        src: usize,
        dst: usize,
        chain: Rc<str>,
    },
}

/// What a planned rule matches beyond addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum L4<'a> {
    /// `tcp dport {..}`: sorted disjoint inclusive ranges.
    Tcp(&'a [(u16, u16)]),
    /// `udp dport {..}`.
    Udp(&'a [(u16, u16)]),
    /// `icmp type {..}`.
    Icmp(&'a BTreeSet<u8>),
    /// `icmpv6 type {..}`.
    Icmpv6(&'a BTreeSet<u8>),
    /// `meta l4proto N`.
    Proto(u8),
    /// Nothing beyond addresses (monitor catch-all).
    Any,
}

/// One accept rule in a pair chain or in `input`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlanRule<'a> {
    pub family: Family,
    /// `iifname "IN"` first (rules in `input` only).
    pub iif: Option<&'a str>,
    /// Index of the source set in [`Plan::sets`].
    pub src: usize,
    /// Index of the destination set in [`Plan::sets`]; `None` in `input`
    /// when the firewall declares no address (every local address).
    pub dst: Option<usize>,
    pub l4: L4<'a>,
    /// `log prefix "..." level info` before `accept`.
    pub log_prefix: Option<String>,
    /// `conduit/flow` or `conduit/*`.
    pub comment: &'a str,
}

/// A chain holding the rules of one (source zone, destination zone) pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PairChain<'a> {
    pub name: Rc<str>,
    pub rules: Vec<PlanRule<'a>>,
}

/// Everything the file holds, in output order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan<'a> {
    /// Header comment lines, without `# `; safe by construction.
    pub header: Vec<String>,
    /// Sets in creation order; rules refer to them by index.
    pub sets: Vec<NamedSet<'a>>,
    /// The order sets are declared in: zone sets by zone and family, then
    /// flow sets by first use.
    pub set_order: Vec<usize>,
    pub dispatch: Vec<Dispatch>,
    pub chains: Vec<PairChain<'a>>,
    /// The rules of the `input` chain, when the rule set has local rules
    /// (a firewall with `manage` or `control` entries in force); `None`
    /// writes no `input` chain.
    pub input: Option<Vec<PlanRule<'a>>>,
}

/// Log prefix of the `input` default drop.
pub(crate) const INPUT_DROP_LOG_PREFIX: &str = "conduit input drop ";
/// Comment of the `input` default drop.
pub(crate) const INPUT_DROP_COMMENT: &str = "conduit input default deny";
/// ICMPv6 neighbour discovery the host needs (router and neighbour
/// solicitation and advertisement), which conntrack leaves untracked:
/// accepted in `input` before the declared rules.
pub(crate) const ND_TYPES: [u8; 4] = [133, 134, 135, 136];

/// Log prefix of the default drop.
pub(crate) const DROP_LOG_PREFIX: &str = "conduit drop ";
/// Comment of the default drop.
pub(crate) const DROP_COMMENT: &str = "conduit default deny";
/// Rate of the drop log, per second.
pub(crate) const DROP_LOG_RATE: u32 = 10;
/// Burst of the drop log, in packets.
pub(crate) const DROP_LOG_BURST: u32 = 20;

fn bad(message: String) -> EmitError {
    EmitError::BadName {
        target: TARGET,
        message,
    }
}

/// A declared name as `check` judges it: `[A-Za-z][A-Za-z0-9_-]*`, at most
/// [`NAME_MAX`] characters (the language's limit, shared by every backend).
fn check_name(kind: &str, s: &str) -> Result<(), EmitError> {
    if is_name(s) {
        Ok(())
    } else {
        Err(bad(format!(
            "{} name {} is not of the form [A-Za-z][A-Za-z0-9_-]* (at most {} characters)",
            kind,
            quote(s),
            NAME_MAX
        )))
    }
}

/// A Linux interface name, as `check` judges it (`E601`): the platform
/// table's rule for `nftables`.
fn check_iface(s: &str) -> Result<(), EmitError> {
    interface_name(TARGET, Platform::Nftables, s)
}

/// Text safe inside an nft double-quoted string: printable ASCII without
/// `"`, `\` and `$`, at most `max` bytes.
pub(crate) fn check_quoted(what: &str, s: &str, max: usize) -> Result<(), EmitError> {
    let ok = s.len() <= max
        && s.bytes()
            .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'$'));
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "{} {} is not at most {} bytes of printable ASCII without '\"', '\\' and '$'",
            what,
            quote(s),
            max
        )))
    }
}

/// A rule's full name: `conduit/flow` or `conduit/*`, matching its parts.
fn check_rule_name(r: &Rule) -> Result<(), EmitError> {
    check_name("conduit", &r.conduit)?;
    let flow = match &r.flow {
        Some(f) => {
            check_name("flow", f)?;
            f.as_str()
        }
        None => "*",
    };
    let joined = r
        .name
        .strip_prefix(r.conduit.as_str())
        .and_then(|rest| rest.strip_prefix('/'))
        == Some(flow);
    if !joined || r.monitor != r.flow.is_none() {
        return Err(bad(format!(
            "rule name {} does not match its conduit and flow",
            quote(&r.name)
        )));
    }
    check_quoted("rule comment", &r.name, MAX_COMMENT)
}

/// Allocates unique identifiers: a taken base gets `_2`, `_3`, ...
/// Each name is held once, shared by the table of names taken and by the
/// plan.
#[derive(Default)]
struct Names {
    used: HashSet<Rc<str>>,
}

impl Names {
    /// Room for `n` names.
    fn with_capacity(n: usize) -> Names {
        Names {
            used: HashSet::with_capacity(n),
        }
    }

    /// Takes a fixed name, so that no generated name can be it.
    fn reserve(&mut self, name: &str) {
        self.used.insert(Rc::from(name));
    }

    fn alloc(&mut self, base: &str) -> Result<Rc<str>, EmitError> {
        let too_long = |name: &str| bad(format!("generated name {} is too long", quote(name)));
        // A name taken was short enough, and a suffix only lengthens it: a
        // base too long is refused as it is.
        if base.len() > MAX_IDENT {
            return Err(too_long(base));
        }
        let name: Rc<str> = Rc::from(base);
        if self.used.insert(Rc::clone(&name)) {
            return Ok(name);
        }
        let mut n = 2u32;
        loop {
            let candidate = format!("{base}_{n}");
            n += 1;
            if self.used.contains(candidate.as_str()) {
                continue;
            }
            if candidate.len() > MAX_IDENT {
                return Err(too_long(&candidate));
            }
            let name: Rc<str> = Rc::from(candidate);
            self.used.insert(Rc::clone(&name));
            return Ok(name);
        }
    }
}

/// Writes into `buf` (emptied first) the identifier made of `parts`, in
/// ASCII lowercase: `ident(buf, &["z_", zone, "_v4"])`.
fn ident(buf: &mut String, parts: &[&str]) {
    buf.clear();
    for p in parts {
        buf.extend(p.chars().map(|c| c.to_ascii_lowercase()));
    }
}

/// Named address sets. A set equal to its zone's addresses is the zone's
/// set and shared; any other set belongs to one flow side and is shared only
/// by that flow's rules, so a name always says whose addresses it holds.
struct SetTable<'a> {
    /// (zone index, family) → index into `sets`.
    zone_sets: HashMap<(usize, Family), usize>,
    /// The flow whose rules are being planned (a flow's rules are
    /// contiguous), and the sets made for it so far: (family, is source,
    /// index into `sets`). A flow seen again later gets fresh sets, which is
    /// correct, merely less compact.
    current: Option<&'a str>,
    current_sets: Vec<(Family, bool, usize)>,
    sets: Vec<NamedSet<'a>>,
    /// Sort key per set: zone sets by zone index and family, others after
    /// them by first use.
    order: Vec<(usize, usize, Family)>,
    /// The name being made.
    buf: String,
}

fn same_in(fam: Family, a: &AddrSet, b: &AddrSet) -> bool {
    match fam {
        Family::V4 => a.v4_ranges().eq(b.v4_ranges()),
        Family::V6 => a.v6_ranges().eq(b.v6_ranges()),
    }
}

impl<'a> SetTable<'a> {
    fn new() -> Self {
        SetTable {
            zone_sets: HashMap::new(),
            current: None,
            current_sets: Vec::new(),
            sets: Vec::new(),
            order: Vec::new(),
            buf: String::new(),
        }
    }

    /// A new set named `parts` (see [`ident`]) and the family's suffix.
    fn push(
        &mut self,
        names: &mut Names,
        order: (usize, usize, Family),
        parts: &[&str],
        fam: Family,
        addrs: &'a AddrSet,
    ) -> Result<usize, EmitError> {
        ident(&mut self.buf, parts);
        self.buf.push('_');
        self.buf.push_str(fam.suffix());
        let name = names.alloc(&self.buf)?;
        self.sets.push(NamedSet {
            name,
            family: fam,
            addrs,
        });
        self.order.push(order);
        Ok(self.sets.len() - 1)
    }

    /// The set of zone `zi`'s addresses in `fam` (present).
    fn zone(
        &mut self,
        names: &mut Names,
        fam: Family,
        zi: usize,
        zone: &'a ZoneInfo,
    ) -> Result<usize, EmitError> {
        if let Some(&i) = self.zone_sets.get(&(zi, fam)) {
            return Ok(i);
        }
        let parts = ["z_", zone.name.as_str()];
        let i = self.push(names, (0, zi, fam), &parts, fam, &zone.addrs)?;
        self.zone_sets.insert((zi, fam), i);
        Ok(i)
    }

    /// The set of one side of rule `r` in `fam` (present): its zone's set
    /// when the side is the whole zone, else the flow side's own set.
    fn side(
        &mut self,
        names: &mut Names,
        fam: Family,
        r: &'a Rule,
        source: bool,
        zi: usize,
        zone: &'a ZoneInfo,
    ) -> Result<usize, EmitError> {
        let addrs = if source { &r.src } else { &r.dst };
        if same_in(fam, addrs, &zone.addrs) {
            return self.zone(names, fam, zi, zone);
        }
        if self.current != Some(r.name.as_str()) {
            self.current = Some(r.name.as_str());
            self.current_sets.clear();
        }
        if let Some(&(_, _, found)) = self
            .current_sets
            .iter()
            .find(|&&(f, s, i)| f == fam && s == source && same_in(fam, self.sets[i].addrs, addrs))
        {
            return Ok(found);
        }
        let parts = [
            "f_",
            r.conduit.as_str(),
            "_",
            r.flow.as_deref().unwrap_or("all"),
            if source { "_src" } else { "_dst" },
        ];
        let i = self.push(names, (1, self.sets.len(), fam), &parts, fam, addrs)?;
        self.current_sets.push((fam, source, i));
        Ok(i)
    }

    /// The sets and the order to declare them in.
    fn finish(self) -> (Vec<NamedSet<'a>>, Vec<usize>) {
        // Flow sets are already in creation order; only zone sets sort.
        let (mut order, flows): (Vec<usize>, Vec<usize>) =
            (0..self.sets.len()).partition(|&i| self.order[i].0 == 0);
        order.sort_unstable_by_key(|&i| self.order[i]);
        order.extend(flows);
        (self.sets, order)
    }
}

fn l4_of(m: &Match) -> Option<L4<'_>> {
    let l4 = match m {
        Match::Tcp(p) => L4::Tcp(p.ranges()),
        Match::Udp(p) => L4::Udp(p.ranges()),
        Match::Icmp(t) => L4::Icmp(t),
        Match::Icmpv6(t) => L4::Icmpv6(t),
        Match::Ip(n) => L4::Proto(*n),
        Match::Any => L4::Any,
    };
    let empty = match l4 {
        L4::Tcp(v) | L4::Udp(v) => v.is_empty(),
        L4::Icmp(v) | L4::Icmpv6(v) => v.is_empty(),
        L4::Proto(_) | L4::Any => false,
    };
    (!empty).then_some(l4)
}
/// Plans the file: sets, dispatch rules and pair chains, all names
/// validated and allocated. Shared by the text and JSON backends.
pub(crate) fn plan(rules: &RuleSet) -> Result<Plan<'_>, EmitError> {
    let mut header = vec![
        "Generated by conduitc. Load with `nft -f FILE`: it replaces table inet conduit atomically."
            .to_string(),
    ];
    let iso = match &rules.isolation {
        Some(i) => {
            check_name("isolation mode", i)?;
            i.as_str()
        }
        None => "none",
    };
    let fw = match &rules.firewall {
        Some(f) => {
            check_name("firewall", &f.name)?;
            for (ifname, zone) in &f.interfaces {
                check_iface(ifname)?;
                check_name("zone", zone)?;
            }
            format!("{} (zones matched by interface and address)", f.name)
        }
        None => "none (zones matched by address)".to_string(),
    };
    header.push(format!(
        "Built for {}; isolation mode: {iso}; firewall: {fw}.",
        rules.today
    ));

    // Zones by case-folded name, and by name as declared (what rules
    // carry, looked up without folding).
    let mut zone_idx: HashMap<String, usize> = HashMap::with_capacity(rules.zones.len());
    let mut declared: HashMap<&str, usize> = HashMap::with_capacity(rules.zones.len());
    for (i, z) in rules.zones.iter().enumerate() {
        check_name("zone", &z.name)?;
        if let Some(iface) = &z.iface {
            check_iface(iface)?;
        }
        if zone_idx.insert(z.name.to_ascii_lowercase(), i).is_some() {
            return Err(bad(format!("zone {} appears twice", quote(&z.name))));
        }
        declared.insert(z.name.as_str(), i);
    }
    // The zones of the rule before, which the next rule mostly shares.
    let mut last: [Option<(&str, usize)>; 2] = [None, None];

    // Group rules by zone pair, in zone order; inside, logged flows, then
    // other flows, then monitor catch-alls, each in lowered order.
    let mut pairs: BTreeMap<(usize, usize), [Vec<&Rule>; 3]> = BTreeMap::new();
    for r in &rules.rules {
        check_rule_name(r)?;
        let lookup = (&declared, &zone_idx);
        let s = zone_index(&mut last[0], lookup, r, &r.src_zone)?;
        let d = zone_index(&mut last[1], lookup, r, &r.dst_zone)?;
        let (zs, zd) = (&rules.zones[s], &rules.zones[d]);
        if !zs.addrs.is_superset(&r.src) || !zd.addrs.is_superset(&r.dst) {
            return Err(bad(format!(
                "rule {} has addresses outside its zones",
                r.name
            )));
        }
        let group = if r.monitor {
            if !r.log {
                return Err(bad(format!(
                    "monitor catch-all {} does not log: refusing to admit unlogged traffic",
                    r.name
                )));
            }
            2
        } else if r.log {
            0
        } else {
            1
        };
        pairs.entry((s, d)).or_default()[group].push(r);
    }

    // About two sets per rule (source and destination) and a chain per pair.
    let mut names =
        Names::with_capacity(2 * rules.rules.len() + pairs.len() + 2 * rules.zones.len());
    // Fixed names first so no generated name can take them.
    names.reserve("forward");
    let mut sets = SetTable::new();
    let mut dispatch = Vec::new();
    let mut chains = Vec::new();

    for ((s, d), groups) in &pairs {
        let (zs, zd) = (&rules.zones[*s], &rules.zones[*d]);
        ident(
            &mut sets.buf,
            &["p_", zs.name.as_str(), "_to_", zd.name.as_str()],
        );
        let chain = names.alloc(&sets.buf)?;
        let mut planned = Vec::new();
        let mut families = BTreeSet::new();
        for r in groups.iter().flatten() {
            let Some(l4) = l4_of(&r.matcher) else {
                continue;
            };
            for fam in [Family::V4, Family::V6] {
                if !(fam.present(&r.src) && fam.present(&r.dst)) {
                    continue;
                }
                // ICMP matches IPv4 only, ICMPv6 IPv6 only.
                match (l4, fam) {
                    (L4::Icmp(_), Family::V6) | (L4::Icmpv6(_), Family::V4) => continue,
                    _ => {}
                }
                let src = sets.side(&mut names, fam, r, true, *s, zs)?;
                let dst = sets.side(&mut names, fam, r, false, *d, zd)?;
                let log_prefix = if r.log {
                    let p = if r.monitor {
                        format!("conduit monitor {} ", r.name)
                    } else {
                        format!("conduit {} ", r.name)
                    };
                    check_quoted("log prefix", &p, MAX_LOG_PREFIX)?;
                    Some(p)
                } else {
                    None
                };
                families.insert(fam);
                planned.push(PlanRule {
                    family: fam,
                    iif: None,
                    src,
                    dst: Some(dst),
                    l4,
                    log_prefix,
                    comment: &r.name,
                });
            }
        }
        if planned.is_empty() {
            continue;
        }
        match &rules.firewall {
            Some(_) => {
                let (Some(iif), Some(oif)) = (&zs.iface, &zd.iface) else {
                    return Err(bad(format!(
                        "zones {} and {} do not both face the firewall",
                        zs.name, zd.name
                    )));
                };
                for r in groups.iter().flatten() {
                    if r.in_iface.as_ref() != Some(iif) || r.out_iface.as_ref() != Some(oif) {
                        return Err(bad(format!(
                            "rule {} disagrees with its zones' interfaces",
                            r.name
                        )));
                    }
                }
                dispatch.push(Dispatch::Iface {
                    iif: iif.to_string(),
                    oif: oif.to_string(),
                    chain: chain.clone(),
                });
            }
            None => {
                for fam in families {
                    let src = sets.zone(&mut names, fam, *s, zs)?;
                    let dst = sets.zone(&mut names, fam, *d, zd)?;
                    dispatch.push(Dispatch::Addr {
                        family: fam,
                        src,
                        dst,
                        chain: chain.clone(),
                    });
                }
            }
        }
        chains.push(PairChain {
            name: chain,
            rules: planned,
        });
    }
    let input = plan_input(rules, &zone_idx, &mut names, &mut sets)?;
    if input.is_some() {
        header.push(
            "Traffic to the firewall itself is filtered by chain input (its manage and control entries); output is not filtered."
                .to_string(),
        );
    }
    let (sets, set_order) = sets.finish();
    Ok(Plan {
        header,
        sets,
        set_order,
        dispatch,
        chains,
        input,
    })
}

/// The index of zone `name` of rule `r`: `last` (the zone the rule before
/// named on the same side) when it is the same, else by the name as
/// declared, else case-folded.
fn zone_index<'r>(
    last: &mut Option<(&'r str, usize)>,
    (declared, folded): (&HashMap<&str, usize>, &HashMap<String, usize>),
    r: &Rule,
    name: &'r str,
) -> Result<usize, EmitError> {
    if let Some((n, i)) = *last {
        if n == name {
            return Ok(i);
        }
    }
    let found = declared
        .get(name)
        .or_else(|| folded.get(&name.to_ascii_lowercase()))
        .copied()
        .ok_or_else(|| {
            bad(format!(
                "rule {} names unknown zone {}",
                r.name,
                quote(name)
            ))
        })?;
    *last = Some((name, found));
    Ok(found)
}

/// A local rule's full name: `firewall/entry`, matching its parts.
fn check_local_name(fw: &str, r: &LocalRule) -> Result<(), EmitError> {
    check_name("manage or control entry", &r.entry)?;
    if r.name != format!("{fw}/{}", r.entry) {
        return Err(bad(format!(
            "local rule name {} does not match its firewall and entry",
            quote(&r.name)
        )));
    }
    check_quoted("rule comment", &r.name, MAX_COMMENT)
}

/// The rules of the `input` chain: the local rules, logged ones first, one
/// per address family each can match, entered by the interface facing the
/// source zone.
fn plan_input<'a>(
    rules: &'a RuleSet,
    zone_idx: &HashMap<String, usize>,
    names: &mut Names,
    sets: &mut SetTable<'a>,
) -> Result<Option<Vec<PlanRule<'a>>>, EmitError> {
    let Some(fw) = rules.firewall.as_ref().filter(|f| f.local_declared) else {
        if rules.local.is_empty() {
            return Ok(None);
        }
        return Err(bad(
            "local rules without a firewall that declares them".to_string()
        ));
    };
    names.reserve("input");
    let mut own: HashMap<Family, usize> = HashMap::new();
    // (rule name, family, index) of local source sets made so far.
    let mut made: Vec<(&'a str, Family, usize)> = Vec::new();
    let mut planned = Vec::new();
    let ordered = rules
        .local
        .iter()
        .filter(|r| r.log)
        .chain(rules.local.iter().filter(|r| !r.log));
    for r in ordered {
        check_local_name(&fw.name, r)?;
        check_iface(&r.in_iface)?;
        let Some(&zi) = zone_idx.get(&r.src_zone.to_ascii_lowercase()) else {
            return Err(bad(format!(
                "local rule {} names unknown zone {}",
                r.name,
                quote(&r.src_zone)
            )));
        };
        let zone = &rules.zones[zi];
        if zone.iface.as_deref() != Some(r.in_iface.as_str()) || !zone.addrs.is_superset(&r.src) {
            return Err(bad(format!(
                "local rule {} disagrees with its zone",
                r.name
            )));
        }
        let Some(l4) = l4_of(&r.matcher) else {
            continue;
        };
        for fam in [Family::V4, Family::V6] {
            if !(fam.present(&r.src) && fam.present(&r.dst)) {
                continue;
            }
            match (l4, fam) {
                (L4::Icmp(_), Family::V6) | (L4::Icmpv6(_), Family::V4) => continue,
                _ => {}
            }
            let src = if same_in(fam, &r.src, &zone.addrs) {
                sets.zone(names, fam, zi, zone)?
            } else if let Some(&(_, _, i)) = made.iter().find(|&&(n, f, i)| {
                n == r.name.as_str() && f == fam && same_in(fam, sets.sets[i].addrs, &r.src)
            }) {
                i
            } else {
                let parts = ["l_", fw.name.as_str(), "_", r.entry.as_str(), "_src"];
                let i = sets.push(names, (1, sets.sets.len(), fam), &parts, fam, &r.src)?;
                made.push((r.name.as_str(), fam, i));
                i
            };
            let dst = if r.any_own_address {
                None
            } else if let Some(&i) = own.get(&fam) {
                Some(i)
            } else {
                let parts = ["own_", fw.name.as_str()];
                let i = sets.push(names, (1, sets.sets.len(), fam), &parts, fam, &fw.own)?;
                own.insert(fam, i);
                Some(i)
            };
            let log_prefix = if r.log {
                let p = format!("conduit {} ", r.name);
                check_quoted("log prefix", &p, MAX_LOG_PREFIX)?;
                Some(p)
            } else {
                None
            };
            planned.push(PlanRule {
                family: fam,
                iif: Some(r.in_iface.as_str()),
                src,
                dst,
                l4,
                log_prefix,
                comment: &r.name,
            });
        }
    }
    Ok(Some(planned))
}

// ---------------------------------------------------------------------------
// Text rendering.
// ---------------------------------------------------------------------------

/// nft's name for an ICMP type, when it has one nft 1.0.6 accepts.
pub(crate) fn icmp_type_keyword(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "echo-reply",
        3 => "destination-unreachable",
        4 => "source-quench",
        5 => "redirect",
        8 => "echo-request",
        9 => "router-advertisement",
        10 => "router-solicitation",
        11 => "time-exceeded",
        12 => "parameter-problem",
        13 => "timestamp-request",
        14 => "timestamp-reply",
        15 => "info-request",
        16 => "info-reply",
        17 => "address-mask-request",
        18 => "address-mask-reply",
        _ => return None,
    })
}

/// nft's name for an ICMPv6 type, when it has one nft 1.0.6 accepts.
pub(crate) fn icmpv6_type_keyword(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "destination-unreachable",
        2 => "packet-too-big",
        3 => "time-exceeded",
        4 => "parameter-problem",
        128 => "echo-request",
        129 => "echo-reply",
        130 => "mld-listener-query",
        131 => "mld-listener-report",
        133 => "nd-router-solicit",
        134 => "nd-router-advert",
        135 => "nd-neighbor-solicit",
        136 => "nd-neighbor-advert",
        137 => "nd-redirect",
        _ => return None,
    })
}

/// Appends an IPv4 prefix as [`write_prefix`] does (`a.b.c.d`, or
/// `a.b.c.d/len` below 32 bits), without the formatting machinery.
fn write_v4_prefix(out: &mut String, (addr, len): (u32, u8)) {
    for (i, octet) in addr.to_be_bytes().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_decimal(out, octet);
    }
    if len < 32 {
        out.push('/');
        push_decimal(out, len);
    }
}

/// The fewest disjoint IPv4 prefixes covering exactly the IPv4 part of
/// `addrs`, in order, into `out` (emptied first): the prefixes of
/// [`AddrSet::v4_prefixes`], as (address, length).
fn v4_prefixes_into(out: &mut Vec<(u32, u8)>, addrs: &AddrSet) {
    out.clear();
    for (lo, hi) in addrs.v4_ranges() {
        let (mut lo, hi) = (u64::from(u32::from(lo)), u64::from(u32::from(hi)));
        loop {
            // The largest block aligned at `lo` that does not pass `hi`.
            let mut size = if lo == 0 {
                32
            } else {
                lo.trailing_zeros().min(32)
            };
            while size > 0 && lo + (1u64 << size) - 1 > hi {
                size -= 1;
            }
            let end = lo + (1u64 << size) - 1;
            out.push((lo as u32, (32 - size) as u8));
            if end >= hi {
                break;
            }
            lo = end + 1;
        }
    }
}

fn write_prefix(out: &mut String, n: &IpNet) {
    let _ = match n {
        IpNet::V4(n) if n.prefix_len() == 32 => write!(out, "{}", n.addr()),
        IpNet::V6(n) if n.prefix_len() == 128 => write!(out, "{}", n.addr()),
        n => write!(out, "{n}"),
    };
}

/// One item bare, several as `{ a, b }`.
fn write_list<T>(
    out: &mut String,
    items: impl ExactSizeIterator<Item = T>,
    mut each: impl FnMut(&mut String, T),
) {
    let braces = items.len() != 1;
    if braces {
        out.push_str("{ ");
    }
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        each(out, item);
    }
    if braces {
        out.push_str(" }");
    }
}

fn write_ports(out: &mut String, ranges: &[(u16, u16)]) {
    write_list(out, ranges.iter(), |out, &(lo, hi)| {
        let _ = if lo == hi {
            write!(out, "{lo}")
        } else {
            write!(out, "{lo}-{hi}")
        };
    });
}

fn write_types(out: &mut String, types: &BTreeSet<u8>, name: fn(u8) -> Option<&'static str>) {
    write_list(out, types.iter(), |out, &t| match name(t) {
        Some(n) => out.push_str(n),
        None => {
            let _ = write!(out, "{t}");
        }
    });
}

fn render_rule(out: &mut String, sets: &[NamedSet], r: &PlanRule) {
    let p = r.family.payload();
    out.push_str("\t\t");
    if let Some(iif) = r.iif {
        let _ = write!(out, "iifname \"{iif}\" ");
    }
    let _ = write!(out, "{p} saddr @{}", sets[r.src].name);
    if let Some(dst) = r.dst {
        let _ = write!(out, " {p} daddr @{}", sets[dst].name);
    }
    out.push(' ');
    match r.l4 {
        L4::Tcp(ports) => {
            out.push_str("tcp dport ");
            write_ports(out, ports);
            out.push(' ');
        }
        L4::Udp(ports) => {
            out.push_str("udp dport ");
            write_ports(out, ports);
            out.push(' ');
        }
        L4::Icmp(t) => {
            out.push_str("icmp type ");
            write_types(out, t, icmp_type_keyword);
            out.push(' ');
        }
        L4::Icmpv6(t) => {
            out.push_str("icmpv6 type ");
            write_types(out, t, icmpv6_type_keyword);
            out.push(' ');
        }
        L4::Proto(n) => {
            let _ = write!(out, "meta l4proto {n} ");
        }
        L4::Any => {}
    }
    out.push_str("ct state new counter ");
    if let Some(prefix) = &r.log_prefix {
        out.push_str("log prefix \"");
        out.push_str(prefix);
        out.push_str("\" level info ");
    }
    out.push_str("accept comment \"");
    out.push_str(r.comment);
    out.push_str("\"\n");
}

/// Writes a set's elements: one as `elements = { e }`, several one per
/// line.
fn write_elements<T: Copy>(
    out: &mut String,
    w: &mut dyn std::io::Write,
    elems: &[T],
    write: impl Fn(&mut String, T),
) -> std::io::Result<()> {
    if let [one] = elems {
        out.push_str("\t\telements = { ");
        write(out, *one);
        out.push_str(" }\n");
    } else {
        out.push_str("\t\telements = {\n");
        for (i, e) in elems.iter().enumerate() {
            out.push_str("\t\t\t");
            write(out, *e);
            out.push_str(if i + 1 < elems.len() { ",\n" } else { "\n" });
            spill(out, w)?;
        }
        out.push_str("\t\t}\n");
    }
    Ok(())
}

fn render(plan: &Plan, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut out = String::with_capacity(CHUNK + 4096);
    let mut v4 = Vec::new();
    for line in &plan.header {
        let _ = writeln!(out, "# {line}");
    }
    let _ = writeln!(out, "table inet {TABLE}");
    let _ = writeln!(out, "delete table inet {TABLE}");
    let _ = writeln!(out, "table inet {TABLE} {{");
    for &i in &plan.set_order {
        let s = &plan.sets[i];
        out.push_str("\tset ");
        out.push_str(&s.name);
        out.push_str(" {\n\t\ttype ");
        out.push_str(s.family.set_type());
        out.push_str("\n\t\tflags interval\n");
        match s.family {
            Family::V4 => {
                v4_prefixes_into(&mut v4, s.addrs);
                write_elements(&mut out, w, &v4, write_v4_prefix)?;
            }
            Family::V6 => {
                let elems = s.prefixes();
                write_elements(&mut out, w, &elems, |out, e| write_prefix(out, &e))?;
            }
        }
        out.push_str("\t}\n\n");
        spill(&mut out, w)?;
    }
    out.push_str("\tchain forward {\n");
    out.push_str("\t\ttype filter hook forward priority filter; policy drop;\n");
    out.push_str("\t\tct state established,related accept\n");
    out.push_str("\t\tct state invalid drop\n");
    for d in &plan.dispatch {
        match d {
            Dispatch::Iface { iif, oif, chain } => {
                let _ = writeln!(out, "\t\tiifname \"{iif}\" oifname \"{oif}\" jump {chain}");
            }
            Dispatch::Addr {
                family,
                src,
                dst,
                chain,
            } => {
                let p = family.payload();
                let (src, dst) = (&plan.sets[*src].name, &plan.sets[*dst].name);
                let _ = writeln!(out, "\t\t{p} saddr @{src} {p} daddr @{dst} jump {chain}");
            }
        }
        spill(&mut out, w)?;
    }
    let _ = writeln!(
        out,
        "\t\tlimit rate {DROP_LOG_RATE}/second burst {DROP_LOG_BURST} packets log prefix \"{DROP_LOG_PREFIX}\" level info"
    );
    let _ = writeln!(out, "\t\tcounter drop comment \"{DROP_COMMENT}\"");
    out.push_str("\t}\n");
    if let Some(input) = &plan.input {
        out.push_str("\n\tchain input {\n");
        out.push_str("\t\ttype filter hook input priority filter; policy drop;\n");
        out.push_str("\t\tct state established,related accept\n");
        out.push_str("\t\tct state invalid drop\n");
        out.push_str("\t\tiifname \"lo\" accept\n");
        out.push_str("\t\ticmpv6 type ");
        write_types(
            &mut out,
            &ND_TYPES.into_iter().collect(),
            icmpv6_type_keyword,
        );
        out.push_str(" accept\n");
        for r in input {
            render_rule(&mut out, &plan.sets, r);
            spill(&mut out, w)?;
        }
        let _ = writeln!(
            out,
            "\t\tlimit rate {DROP_LOG_RATE}/second burst {DROP_LOG_BURST} packets log prefix \"{INPUT_DROP_LOG_PREFIX}\" level info"
        );
        let _ = writeln!(out, "\t\tcounter drop comment \"{INPUT_DROP_COMMENT}\"");
        out.push_str("\t}\n");
    }
    for c in &plan.chains {
        let _ = writeln!(out, "\n\tchain {} {{", c.name);
        for r in &c.rules {
            render_rule(&mut out, &plan.sets, r);
            spill(&mut out, w)?;
        }
        out.push_str("\t}\n");
    }
    out.push_str("}\n");
    w.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_refuses_breakouts() {
        for bad in ["a\"b", "a\\b", "a$b", "a\nb", "é", &"x".repeat(129)] {
            assert!(check_quoted("t", bad, MAX_COMMENT).is_err(), "{bad:?}");
        }
        assert!(check_quoted("t", "plant-ops/poll_plcs *", MAX_COMMENT).is_ok());
    }

    #[test]
    fn names_and_interfaces_are_validated() {
        assert!(check_name("zone", "Control-1_a").is_ok());
        for bad in ["", "1a", "a b", "a/b", "a\"", "é"] {
            assert!(check_name("zone", bad).is_err(), "{bad:?}");
        }
        assert!(check_iface("eth0.100").is_ok());
        for bad in ["", "eth*", "abcdefghijklmnop", "a b", "a\"b", "a/b"] {
            assert!(check_iface(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ipv4_elements_are_written_as_the_model_splits_them() {
        let sets = [
            vec!["10.0.0.1/32"],
            vec!["0.0.0.0/0"],
            vec!["10.0.0.0/24", "10.0.1.0/32", "10.0.1.2/31"],
            vec!["255.255.255.255/32", "0.0.0.0/32", "192.168.7.9/32"],
            vec!["10.0.0.3/32", "10.0.0.4/30", "10.0.0.8/32", "172.16.0.0/12"],
        ];
        let mut buf = Vec::new();
        for nets in sets {
            let addrs = AddrSet::from_nets(nets.iter().map(|n| n.parse::<IpNet>().unwrap()));
            let want: Vec<String> = addrs
                .v4_prefixes()
                .into_iter()
                .map(|n| {
                    let mut s = String::new();
                    write_prefix(&mut s, &IpNet::V4(n));
                    s
                })
                .collect();
            v4_prefixes_into(&mut buf, &addrs);
            let got: Vec<String> = buf
                .iter()
                .map(|&p| {
                    let mut s = String::new();
                    write_v4_prefix(&mut s, p);
                    s
                })
                .collect();
            assert_eq!(got, want, "{nets:?}");
        }
    }

    #[test]
    fn name_allocation_is_unique() {
        let mut n = Names::default();
        assert_eq!(&*n.alloc("a_b").unwrap(), "a_b");
        assert_eq!(&*n.alloc("a_b").unwrap(), "a_b_2");
        assert_eq!(&*n.alloc("a_b_2").unwrap(), "a_b_2_2");
        assert_eq!(&*n.alloc("a_b").unwrap(), "a_b_3");
        assert!(n.alloc(&"x".repeat(MAX_IDENT + 1)).is_err());
    }
}
