//! Lowering: a checked [`Policy`] becomes a [`RuleSet`] for one date, one
//! isolation mode and optionally one firewall.
//!
//! The rule set is the one intermediate representation that backends,
//! `query`, `diff` and the property tests consume: each [`Rule`] is a
//! (source address set × destination address set × protocol × ports or ICMP
//! types) box naming the flow it implements. Lowering never reads syntax.
//!
//! What lowering decides:
//! - expired flows (`expires` before `today`) are left out;
//! - flows touching a zone the isolation mode severs are left out, and so are
//!   monitor catch-alls of severed zones;
//! - with a firewall, only conduits whose two zones both face one of its
//!   interfaces are compiled, and each rule carries its interfaces;
//! - a monitor-mode conduit adds two logged catch-all rules (`conduit/*`),
//!   one per direction, after its flows;
//! - ICMP rules keep only IPv4 addresses, ICMPv6 rules only IPv6 ones, and a
//!   rule that can match no packet (no family present on both sides) is
//!   dropped.
//!
//! Rules are sorted by full flow name (byte-wise), then by protocol, so the
//! output is deterministic. Backends write them by [`Rank`] (flows with
//! `log`, other flows, monitor catch-alls), each rank in this order; the
//! first rule in that order that admits a packet is the one `query`
//! reports.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use std::net::IpAddr;

use crate::model::{
    AddrSet, Date, Level, LocalKind, Mode, Platform, Policy, PortSet, ServiceSet, ServiceSpace,
    Text,
};
pub use crate::semantics::{BuildOptions, Decision, Fixed, LowerError, Packet, Rank, Verdict};

mod select;

impl LowerError {
    /// The diagnostic code of the error (`E805`, `E804`).
    pub fn code(&self) -> crate::diag::Code {
        match self {
            LowerError::UnknownIsolation(_) => crate::diag::Code::UnknownIsolationMode,
            LowerError::UnknownFirewall(_) => crate::diag::Code::UnknownFirewall,
        }
    }
}

/// What a rule matches beyond addresses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "proto", content = "values")]
#[non_exhaustive]
pub enum Match {
    /// TCP to these destination ports.
    Tcp(PortSet),
    /// UDP to these destination ports.
    Udp(PortSet),
    /// ICMP (IPv4) of these types.
    Icmp(BTreeSet<u8>),
    /// ICMPv6 of these types.
    Icmpv6(BTreeSet<u8>),
    /// Another IP protocol, by number.
    Ip(u8),
    /// Every packet (monitor-mode catch-all only).
    Any,
}

impl Match {
    /// What the matcher admits, on the one service line.
    pub fn space(&self) -> ServiceSpace {
        match self {
            Match::Tcp(p) => ServiceSpace::ports(6, p),
            Match::Udp(p) => ServiceSpace::ports(17, p),
            Match::Icmp(t) => ServiceSpace::types(1, t),
            Match::Icmpv6(t) => ServiceSpace::types(58, t),
            Match::Ip(n) => ServiceSpace::protocol(*n),
            Match::Any => ServiceSpace::any(),
        }
    }

    /// True when a packet of protocol `proto` with destination port / ICMP
    /// type matches. ICMP matches only IPv4 packets and ICMPv6 only IPv6
    /// ones; the caller passes the packet's family.
    pub fn admits(&self, packet: &Packet) -> bool {
        match self {
            Match::Tcp(p) => packet.proto == 6 && packet.dport.is_some_and(|d| p.contains(d)),
            Match::Udp(p) => packet.proto == 17 && packet.dport.is_some_and(|d| p.contains(d)),
            Match::Icmp(t) => {
                packet.proto == 1
                    && packet.src.is_ipv4()
                    && packet.icmp_type.is_some_and(|x| t.contains(&x))
            }
            Match::Icmpv6(t) => {
                packet.proto == 58
                    && packet.src.is_ipv6()
                    && packet.icmp_type.is_some_and(|x| t.contains(&x))
            }
            Match::Ip(n) => packet.proto == *n,
            Match::Any => true,
        }
    }
}

/// One lowered rule: a box of packets admitted as initiations, and the flow
/// it implements.
///
/// Its names are [`Text`] shared with the policy and with the other rules:
/// the rules of one flow share its full name, and every rule shares the
/// one text of its conduit, owner, zones and interfaces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Rule {
    /// `conduit/flow`, or `conduit/*` for a monitor catch-all.
    pub name: Text,
    /// The conduit's declared name.
    pub conduit: Text,
    /// The flow's declared name; `None` for a monitor catch-all.
    pub flow: Option<Text>,
    /// Effective owner.
    pub owner: Text,
    /// Zone the sources lie in.
    pub src_zone: Text,
    /// Zone the destinations lie in.
    pub dst_zone: Text,
    /// Source addresses.
    pub src: AddrSet,
    /// Destination addresses.
    pub dst: AddrSet,
    /// Protocol and ports or types.
    pub matcher: Match,
    /// Log each admitted connection.
    pub log: bool,
    /// True for a monitor-mode catch-all.
    pub monitor: bool,
    /// With a firewall: the interface facing the source zone.
    pub in_iface: Option<Text>,
    /// With a firewall: the interface facing the destination zone.
    pub out_iface: Option<Text>,
}

impl Rule {
    /// True when the rule admits `packet` as an initiation.
    pub fn admits(&self, packet: &Packet) -> bool {
        packet.src.is_ipv4() == packet.dst.is_ipv4()
            && self.src.contains(packet.src)
            && self.dst.contains(packet.dst)
            && self.matcher.admits(packet)
    }
}

/// A zone as backends see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ZoneInfo {
    /// Declared name.
    pub name: Text,
    /// Purdue level.
    pub level: Level,
    /// Addresses it owns (for `networks any`, the complement of the others).
    pub addrs: AddrSet,
    /// With a firewall: the interface facing this zone.
    pub iface: Option<Text>,
}

/// The firewall a rule set was built for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FirewallInfo {
    /// Declared name.
    pub name: Text,
    /// Platform.
    pub platform: Platform,
    /// Interfaces as (interface name, zone name), in declaration order.
    pub interfaces: Vec<(Text, Text)>,
    /// The firewall's own addresses per interface, as (interface name,
    /// addresses), in the order of `interfaces`; empty lists where an
    /// interface declares no `address`.
    #[serde(default)]
    pub interface_addrs: Vec<(Text, Vec<IpAddr>)>,
    /// Every own address of the firewall (the union of `interface_addrs`).
    #[serde(default)]
    pub own: AddrSet,
    /// True when the firewall declares any `manage` or `control` entry (in
    /// force or not): its local path is then filtered, and with no entry in
    /// force it admits nothing.
    #[serde(default)]
    pub local_declared: bool,
}

/// One lowered rule for traffic to the firewall itself: a box of packets
/// from a `manage` or `control` entry's sources to the firewall's own
/// addresses, admitted as initiations on the local path (nftables `input`,
/// IOS router-bound traffic, FortiOS `local-in-policy`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LocalRule {
    /// `firewall/entry`.
    pub name: Text,
    /// The entry's declared name.
    pub entry: Text,
    /// Manage or control.
    pub kind: LocalKind,
    /// The entry's owner.
    pub owner: Text,
    /// Zone the sources of this rule lie in (one rule per source zone).
    pub src_zone: Text,
    /// Source addresses (those of the entry lying in `src_zone`).
    pub src: AddrSet,
    /// The firewall's own addresses (of the matcher's family). When the
    /// firewall declares no `address`, every address (`AddrSet::all()`):
    /// on the local path that means "any address of the device".
    pub dst: AddrSet,
    /// True when the firewall declares no `address`, so `dst` is every
    /// address.
    pub any_own_address: bool,
    /// Protocol and ports or types.
    pub matcher: Match,
    /// Log each admitted connection.
    pub log: bool,
    /// The interface facing `src_zone`, where these packets arrive.
    pub in_iface: Text,
}

impl LocalRule {
    /// True when the rule admits `packet` (addressed to the firewall) as an
    /// initiation.
    pub fn admits(&self, packet: &Packet) -> bool {
        packet.src.is_ipv4() == packet.dst.is_ipv4()
            && self.src.contains(packet.src)
            && self.dst.contains(packet.dst)
            && self.matcher.admits(packet)
    }

    /// The rule as a flow-shaped [`Rule`], for backends that write local
    /// entries with their flow machinery: its source and destination zone
    /// are `src_zone`, its destination only the firewall's own addresses,
    /// and it arrives on (and, to the device itself, ends at) `in_iface`.
    pub(crate) fn as_flow_rule(&self) -> Rule {
        Rule {
            name: self.name.clone(),
            conduit: Text::default(),
            flow: Some(self.entry.clone()),
            owner: self.owner.clone(),
            src_zone: self.src_zone.clone(),
            dst_zone: self.src_zone.clone(),
            src: self.src.clone(),
            dst: self.dst.clone(),
            matcher: self.matcher.clone(),
            log: self.log,
            monitor: false,
            in_iface: Some(self.in_iface.clone()),
            out_iface: Some(self.in_iface.clone()),
        }
    }
}

/// The lowered policy: everything a backend needs, nothing more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RuleSet {
    /// The date it was built for.
    pub today: Date,
    /// The isolation mode it was built for.
    pub isolation: Option<String>,
    /// The firewall it was built for (`None`: a generic firewall between all zones).
    pub firewall: Option<FirewallInfo>,
    /// Zones in play: all zones, or with a firewall those on its interfaces,
    /// in declaration order.
    pub zones: Vec<ZoneInfo>,
    /// Rules sorted by name, then protocol.
    pub rules: Vec<Rule>,
    /// With a firewall: its `manage` and `control` entries in force, as
    /// rules for traffic to the firewall itself, sorted by name, then source
    /// zone, then protocol. Empty without a firewall.
    #[serde(default)]
    pub local: Vec<LocalRule>,
}

impl RuleSet {
    /// Evaluates the local rules on a packet addressed to the firewall
    /// itself (an initiation). Logged entries come first, then by name, as
    /// for flows.
    pub fn decide_local(&self, packet: &Packet) -> Decision {
        let mut d = Decision::from_ranked(
            self.local
                .iter()
                .filter(|r| r.admits(packet))
                .map(|r| {
                    (
                        Rank::of(false, r.log),
                        r.name.to_string(),
                        r.owner.to_string(),
                    )
                })
                .collect(),
        );
        d.to_firewall = self.firewall.as_ref().map(|f| f.name.to_string());
        d
    }
    /// True when the rule set was built for a firewall that declares
    /// `manage` or `control` entries (in force or not), so its local path
    /// is filtered (nftables emits an `input` chain only then).
    pub fn filters_local(&self) -> bool {
        self.firewall.as_ref().is_some_and(|f| f.local_declared)
    }

    /// Evaluates the lowered rules on a packet (an initiation).
    pub fn decide(&self, packet: &Packet) -> Decision {
        Decision::from_ranked(
            self.rules
                .iter()
                .filter(|r| r.admits(packet))
                .map(|r| {
                    (
                        Rank::of(r.monitor, r.log),
                        r.name.to_string(),
                        r.owner.to_string(),
                    )
                })
                .collect(),
        )
    }
}

/// Which zones are severed and which conduits are in scope.
struct Selection {
    pub severed: Vec<bool>,
    /// Per zone: the interface facing it on the selected firewall (one
    /// text, shared by every rule and zone that names the interface).
    pub iface: Vec<Option<Text>>,
    /// Per zone: its name (the policy's text, shared).
    pub zone_name: Vec<Text>,
    pub firewall: Option<FirewallInfo>,
}

/// The severed zones of the isolation mode of `opts`.
fn severed(policy: &Policy, opts: &BuildOptions) -> Result<Vec<bool>, LowerError> {
    let mut severed = vec![false; policy.zones.len()];
    if let Some(name) = &opts.isolation {
        let iso = policy
            .isolation(name)
            .ok_or_else(|| LowerError::UnknownIsolation(name.clone()))?;
        for &z in &iso.sever {
            if let Some(s) = severed.get_mut(z) {
                *s = true;
            }
        }
    }
    Ok(severed)
}

fn select(policy: &Policy, opts: &BuildOptions) -> Result<Selection, LowerError> {
    let severed = severed(policy, opts)?;
    let zone_name: Vec<Text> = policy.zones.iter().map(|z| Text::from(&z.name)).collect();
    select_firewall(policy, opts.firewall.as_deref(), severed, zone_name)
}

/// The selection of `firewall` (or of none), given the severed zones and
/// the zones' names.
fn select_firewall(
    policy: &Policy,
    firewall: Option<&str>,
    severed: Vec<bool>,
    zone_name: Vec<Text>,
) -> Result<Selection, LowerError> {
    let mut iface = vec![None; policy.zones.len()];
    let mut info = None;
    if let Some(name) = firewall {
        let fw = policy
            .firewall(name)
            .ok_or_else(|| LowerError::UnknownFirewall(name.to_string()))?;
        let names: Vec<Text> = fw
            .interfaces
            .iter()
            .map(|i| Text::from(i.name.as_str()))
            .collect();
        for (i, n) in fw.interfaces.iter().zip(&names) {
            if let Some(slot) = iface.get_mut(i.zone) {
                *slot = Some(n.clone());
            }
        }
        info = Some(FirewallInfo {
            name: Text::from(&fw.name),
            platform: fw.platform,
            interfaces: fw
                .interfaces
                .iter()
                .zip(&names)
                .map(|(i, n)| {
                    let zone = zone_name.get(i.zone).cloned();
                    (n.clone(), zone.unwrap_or_default())
                })
                .collect(),
            interface_addrs: fw
                .interfaces
                .iter()
                .zip(&names)
                .map(|(i, n)| (n.clone(), i.addrs.clone()))
                .collect(),
            own: fw.own_addrs(),
            local_declared: !fw.local.is_empty(),
        });
    }
    Ok(Selection {
        severed,
        iface,
        zone_name,
        firewall: info,
    })
}

impl Selection {
    /// The name of zone `z`, shared.
    fn zone_name(&self, z: usize) -> Text {
        self.zone_name.get(z).cloned().unwrap_or_default()
    }

    /// The interface facing zone `z` on the selected firewall, shared.
    fn iface(&self, z: usize) -> Option<Text> {
        self.iface.get(z).cloned().flatten()
    }

    /// A conduit between these zones is compiled.
    pub(crate) fn conduit_in_scope(&self, zones: [usize; 2]) -> bool {
        let live = |z: usize| !self.severed.get(z).copied().unwrap_or(true);
        live(zones[0]) && live(zones[1]) && self.faces(zones)
    }

    /// Both zones face the selected firewall (always true without one).
    fn faces(&self, zones: [usize; 2]) -> bool {
        let faces =
            |z: usize| self.firewall.is_none() || self.iface.get(z).is_some_and(|i| i.is_some());
        faces(zones[0]) && faces(zones[1])
    }
}

fn family_restricted(m: &Match, src: &AddrSet, dst: &AddrSet) -> Option<(AddrSet, AddrSet)> {
    let (s, d) = match m {
        Match::Icmp(_) => (src.v4_only(), dst.v4_only()),
        Match::Icmpv6(_) => (src.v6_only(), dst.v6_only()),
        _ => (src.clone(), dst.clone()),
    };
    let usable = (s.has_v4() && d.has_v4()) || (s.has_v6() && d.has_v6());
    usable.then_some((s, d))
}

/// Lowers a checked policy for the given date, isolation mode and firewall.
///
/// ```
/// use conduitc::model::{Date, Policy};
/// use conduitc::lower::{lower, BuildOptions};
/// let rules = lower(&Policy::default(), &BuildOptions::new(Date::parse("2026-12-01").unwrap())).unwrap();
/// assert!(rules.rules.is_empty());
/// ```
pub fn lower(policy: &Policy, opts: &BuildOptions) -> Result<RuleSet, LowerError> {
    Lowering::new(policy, opts)?.rule_set(opts.firewall.as_deref())
}

/// The part of lowering that does not depend on the firewall, done once
/// for a policy, a date and an isolation mode: which flows are in force and
/// which conduits are not severed, in the lowered order. Each firewall's
/// [`RuleSet`] is then made from it ([`Lowering::for_firewall`]) without
/// ordering the rules again; `build --out` lowers once this way for every
/// firewall it writes.
///
/// ```
/// use conduitc::model::{Date, Policy};
/// use conduitc::lower::{lower, BuildOptions, Lowering};
/// let policy = Policy::default();
/// let opts = BuildOptions::new(Date::parse("2026-12-01").unwrap());
/// let lowering = Lowering::new(&policy, &opts).unwrap();
/// assert_eq!(lowering.rule_set(None).unwrap(), lower(&policy, &opts).unwrap());
/// assert!(lowering.for_firewall("edge").is_err());
/// ```
pub struct Lowering<'p> {
    policy: &'p Policy,
    today: Date,
    isolation: Option<String>,
    /// Per zone: severed by the isolation mode.
    severed: Vec<bool>,
    /// Per zone: its name (the policy's text, shared).
    zone_name: Vec<Text>,
    /// The units of the conduits between zones not severed, in the lowered
    /// order.
    units: Vec<Unit>,
}

impl<'p> Lowering<'p> {
    /// Does the firewall-independent work of lowering `policy` for the date
    /// and isolation mode of `opts` (its firewall, if any, is not used:
    /// name it to [`Lowering::rule_set`]). An unknown isolation mode is
    /// refused here, as [`lower`] refuses it.
    pub fn new(policy: &'p Policy, opts: &BuildOptions) -> Result<Self, LowerError> {
        let severed = severed(policy, opts)?;
        let zone_name: Vec<Text> = policy.zones.iter().map(|z| Text::from(&z.name)).collect();
        let units = units(policy, opts.today, &severed);
        Ok(Lowering {
            policy,
            today: opts.today,
            isolation: opts.isolation.clone(),
            severed,
            zone_name,
            units,
        })
    }

    /// The rule set for firewall `name`: equal to what [`lower`] gives with
    /// this date, isolation mode and firewall. An unknown firewall is
    /// [`LowerError::UnknownFirewall`].
    pub fn for_firewall(&self, name: &str) -> Result<RuleSet, LowerError> {
        self.rule_set(Some(name))
    }

    /// The rule set for `firewall`, or with `None` for a generic firewall
    /// between all zones: equal to what [`lower`] gives with this date,
    /// isolation mode and firewall.
    pub fn rule_set(&self, firewall: Option<&str>) -> Result<RuleSet, LowerError> {
        let policy = self.policy;
        let sel = select_firewall(
            policy,
            firewall,
            self.severed.clone(),
            self.zone_name.clone(),
        )?;
        let in_scope = |u: &Unit| {
            policy
                .conduits
                .get(u.conduit as usize)
                .is_some_and(|c| sel.faces(c.zones))
        };
        let bound = rule_bound(policy, self.units.iter().filter(|u| in_scope(u)));
        let mut rules = Vec::with_capacity(bound);
        for unit in self.units.iter().filter(|u| in_scope(u)) {
            let Some(conduit) = policy.conduits.get(unit.conduit as usize) else {
                continue;
            };
            match unit.part {
                Part::Flow(f) => {
                    let Some(flow) = conduit.flows.get(f as usize) else {
                        continue;
                    };
                    let flow_name = Text::from(&flow.name);
                    let owner = Text::from(&flow.owner);
                    for m in matchers(&flow.services) {
                        let Some((src, dst)) = family_restricted(&m, &flow.src, &flow.dst) else {
                            continue;
                        };
                        rules.push(Rule {
                            name: flow.full_name.clone(),
                            conduit: Text::from(&conduit.name),
                            flow: Some(flow_name.clone()),
                            owner: owner.clone(),
                            src_zone: sel.zone_name(flow.from_zone),
                            dst_zone: sel.zone_name(flow.to_zone),
                            src,
                            dst,
                            matcher: m,
                            log: flow.log,
                            monitor: false,
                            in_iface: sel.iface(flow.from_zone),
                            out_iface: sel.iface(flow.to_zone),
                        });
                    }
                }
                Part::Monitor(reverse) => {
                    let [a, b] = conduit.zones;
                    let (from, to) = if reverse { (b, a) } else { (a, b) };
                    let (Some(zf), Some(zt)) = (policy.zones.get(from), policy.zones.get(to))
                    else {
                        continue;
                    };
                    let Some((src, dst)) = family_restricted(&Match::Any, &zf.addrs, &zt.addrs)
                    else {
                        continue;
                    };
                    rules.push(Rule {
                        name: Text::from(format!("{}/*", conduit.name)),
                        conduit: Text::from(&conduit.name),
                        flow: None,
                        owner: Text::from(&conduit.owner),
                        src_zone: sel.zone_name(from),
                        dst_zone: sel.zone_name(to),
                        src,
                        dst,
                        matcher: Match::Any,
                        log: true,
                        monitor: true,
                        in_iface: sel.iface(from),
                        out_iface: sel.iface(to),
                    });
                }
            }
        }
        let opts = BuildOptions::new(self.today)
            .with_isolation(self.isolation.clone())
            .with_firewall(firewall.map(str::to_string));
        Ok(rule_set_of(policy, &opts, sel, rules))
    }
}

/// The rule set of `rules`, lowered with `opts` for the selection `sel`:
/// the zones in play and the firewall's own rules beside them.
fn rule_set_of(policy: &Policy, opts: &BuildOptions, sel: Selection, rules: Vec<Rule>) -> RuleSet {
    RuleSet {
        today: opts.today,
        isolation: opts.isolation.clone(),
        zones: zone_infos(policy, &sel),
        local: local_rules(policy, opts, &sel),
        firewall: sel.firewall,
        rules,
    }
}

/// What one [`Unit`] of lowering makes rules of.
#[derive(Clone, Copy)]
enum Part {
    /// The flow at this index of the conduit: one rule per matcher.
    Flow(u32),
    /// The monitor catch-all from the conduit's first zone to its second
    /// (`false`) or back (`true`).
    Monitor(bool),
}

/// The rules of one flow, or one direction of a monitor catch-all: they
/// share a name and a source zone, and follow one another in the lowered
/// order, by matcher.
#[derive(Clone, Copy)]
struct Unit {
    /// The conduit's index.
    conduit: u32,
    part: Part,
}

/// The units of the rules of the conduits between zones not `severed`, in
/// the lowered order: by name (byte-wise), then source zone. Rules are
/// ordered by name, source zone and matcher; a unit's rules are made in
/// matcher order ([`matchers`]), and no two units share a name and a
/// source zone, so making each unit's rules in this order gives the rules
/// in order without sorting them, for any firewall (which only leaves
/// units out).
fn units(policy: &Policy, today: Date, severed: &[bool]) -> Vec<Unit> {
    let zone = |z: usize| policy.zones.get(z).map_or("", |z| z.name.as_str());
    let live = |z: usize| !severed.get(z).copied().unwrap_or(true);
    // (name, source zone, unit)
    let mut keyed: Vec<(std::borrow::Cow<'_, str>, &str, Unit)> = Vec::new();
    for (ci, conduit) in policy.conduits.iter().enumerate() {
        if !(live(conduit.zones[0]) && live(conduit.zones[1])) {
            continue;
        }
        let Ok(c) = u32::try_from(ci) else {
            continue;
        };
        for (fi, flow) in conduit.flows.iter().enumerate() {
            let Ok(f) = u32::try_from(fi) else {
                continue;
            };
            if flow.in_force_on(today) {
                keyed.push((
                    std::borrow::Cow::Borrowed(flow.full_name.as_str()),
                    zone(flow.from_zone),
                    Unit {
                        conduit: c,
                        part: Part::Flow(f),
                    },
                ));
            }
        }
        if conduit.mode == Mode::Monitor {
            let [a, b] = conduit.zones;
            for (from, reverse) in [(a, false), (b, true)] {
                keyed.push((
                    std::borrow::Cow::Owned(format!("{}/*", conduit.name)),
                    zone(from),
                    Unit {
                        conduit: c,
                        part: Part::Monitor(reverse),
                    },
                ));
            }
        }
    }
    // No two units share a name and a source zone: an unstable sort gives
    // the one order.
    keyed.sort_unstable_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.cmp(b.1))
    });
    keyed.into_iter().map(|(_, _, u)| u).collect()
}

/// The most rules [`lower`] makes of `units`: one per matcher of each flow,
/// one per monitor catch-all (the rule list is allocated once, at this
/// size, instead of growing by copies).
fn rule_bound<'u>(policy: &Policy, units: impl Iterator<Item = &'u Unit>) -> usize {
    units
        .map(|u| match u.part {
            Part::Flow(f) => policy
                .conduits
                .get(u.conduit as usize)
                .and_then(|c| c.flows.get(f as usize))
                .map_or(0, |flow| {
                    let s = &flow.services;
                    usize::from(!s.tcp.is_empty())
                        + usize::from(!s.udp.is_empty())
                        + usize::from(!s.icmp.is_empty())
                        + usize::from(!s.icmpv6.is_empty())
                        + s.ip.len()
                }),
            Part::Monitor(..) => 1,
        })
        .sum()
}

/// The zones in play: all zones, or with a firewall those on its
/// interfaces, in declaration order.
fn zone_infos(policy: &Policy, sel: &Selection) -> Vec<ZoneInfo> {
    policy
        .zones
        .iter()
        .enumerate()
        .filter(|(i, _)| sel.firewall.is_none() || sel.iface.get(*i).is_some_and(|x| x.is_some()))
        .map(|(i, z)| ZoneInfo {
            name: sel.zone_name(i),
            level: z.level,
            addrs: z.addrs.clone(),
            iface: sel.iface(i),
        })
        .collect()
}

/// The matchers of a service set, in protocol order, which is [`Match`]'s
/// order (`ip` protocols ascending).
fn matchers(s: &ServiceSet) -> impl Iterator<Item = Match> + '_ {
    let tcp = (!s.tcp.is_empty()).then(|| Match::Tcp(s.tcp.clone()));
    let udp = (!s.udp.is_empty()).then(|| Match::Udp(s.udp.clone()));
    let icmp = (!s.icmp.is_empty()).then(|| Match::Icmp(s.icmp.clone()));
    let icmpv6 = (!s.icmpv6.is_empty()).then(|| Match::Icmpv6(s.icmpv6.clone()));
    tcp.into_iter()
        .chain(udp)
        .chain(icmp)
        .chain(icmpv6)
        .chain(s.ip.iter().map(|&n| Match::Ip(n)))
}

/// The selected firewall's `manage` and `control` entries in force, one
/// rule per (entry, source zone, matcher). Sources in a severed zone are
/// left out, as flows touching it are.
fn local_rules(policy: &Policy, opts: &BuildOptions, sel: &Selection) -> Vec<LocalRule> {
    let Some(name) = &opts.firewall else {
        return Vec::new();
    };
    let Some(fw) = policy.firewall(name) else {
        return Vec::new();
    };
    let own = fw.own_addrs();
    let any_own = own.is_empty();
    let dst_all = if any_own { AddrSet::all() } else { own };
    let mut out = Vec::new();
    for entry in &fw.local {
        if !entry.in_force_on(opts.today) {
            continue;
        }
        let name = Text::from(entry.full_name.as_str());
        let entry_name = Text::from(&entry.name);
        let owner = Text::from(&entry.owner);
        for zone in entry.from_zones() {
            if sel.severed.get(zone).copied().unwrap_or(true) {
                continue;
            }
            let Some(iface) = sel.iface(zone) else {
                continue;
            };
            let src = entry.sources_in(zone);
            for m in matchers(&entry.services) {
                let Some((src, dst)) = family_restricted(&m, &src, &dst_all) else {
                    continue;
                };
                out.push(LocalRule {
                    name: name.clone(),
                    entry: entry_name.clone(),
                    kind: entry.kind,
                    owner: owner.clone(),
                    src_zone: sel.zone_name(zone),
                    src,
                    dst,
                    any_own_address: any_own,
                    matcher: m,
                    log: entry.log,
                    in_iface: iface.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.name
            .as_bytes()
            .cmp(b.name.as_bytes())
            .then_with(|| a.src_zone.cmp(&b.src_zone))
            .then_with(|| a.matcher.cmp(&b.matcher))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check, CheckOptions};
    use crate::source::Sources;

    #[test]
    fn rules_stay_small() {
        // Eight shared names (16 bytes each), two address sets, a matcher
        // and two flags: a rule's names cost no allocation of their own.
        use std::mem::size_of;
        assert!(size_of::<Rule>() <= 200, "{}", size_of::<Rule>());
        assert!(size_of::<LocalRule>() <= 168, "{}", size_of::<LocalRule>());
    }

    fn policy() -> Policy {
        let text = "owner o { contact \"o@example.com\" }\n\
             zone a { level 2 owner o networks 10.1.0.0/24, 2001:db8:1::/64 host h = 10.1.0.5 }\n\
             zone b { level 1 owner o networks 10.2.0.0/24, 2001:db8:2::/64 host h = 10.2.0.5 }\n\
             conduit ab { zones a, b owner o mode monitor\n\
               flow f { from a to b service dnp3, icmp/8 reason \"polling\" }\n\
               flow g { from b.h to a.h service snmp reason \"polling\" } }\n\
             firewall fw {\n  platform nftables\n  interface \"p1\" = a\n  interface \"p2\" = b\n}\n";
        let today = Date::parse("2026-12-01").unwrap();
        let checked = check(
            &Sources::from_memory("p.conduit", text),
            &CheckOptions::new(today),
        );
        checked
            .policy
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics.codes()))
    }

    #[test]
    fn rules_share_their_names_with_the_policy_and_each_other() {
        let p = policy();
        let today = Date::parse("2026-12-01").unwrap();
        let generic = lower(&p, &BuildOptions::new(today)).unwrap();
        let selected = generic.for_firewall(&p, "fw").unwrap();
        let direct = lower(&p, &BuildOptions::new(today).firewall("fw")).unwrap();
        assert_eq!(selected, direct);
        let flow = &p.conduits[0].flows[0];
        for rs in [&generic, &selected, &direct] {
            // dnp3 (tcp, udp) and icmp/8: three rules of one flow, then g
            // (udp) and the two catch-alls.
            let names: Vec<&str> = rs.rules.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(names, ["ab/*", "ab/*", "ab/f", "ab/f", "ab/f", "ab/g"]);
            let of_f: Vec<&Rule> = rs.rules.iter().filter(|r| r.name == "ab/f").collect();
            for r in &of_f {
                assert!(r.name.ptr_eq(&flow.full_name), "{}", r.name);
                assert!(r.name.ptr_eq(&of_f[0].name));
                assert!(r.src_zone.ptr_eq(&of_f[0].src_zone));
                assert!(r.owner.ptr_eq(&of_f[0].owner));
                assert!(r
                    .flow
                    .as_ref()
                    .is_some_and(|f| f.ptr_eq(of_f[0].flow.as_ref().unwrap())));
            }
            // One text per conduit and per zone, across flows and catch-alls.
            let first = &rs.rules[0];
            for r in &rs.rules {
                assert!(r.conduit.ptr_eq(&first.conduit));
                let zone = |name: &Text| rs.zones.iter().find(|z| z.name == *name).cloned();
                for z in [&r.src_zone, &r.dst_zone] {
                    let info = zone(z).unwrap_or_else(|| panic!("zone {z}"));
                    assert!(z.ptr_eq(&info.name), "{z}");
                }
            }
        }
        // With a firewall, one text per interface: in the rules, the zones
        // and the firewall's interface list.
        for rs in [&selected, &direct] {
            let fw = rs.firewall.as_ref().unwrap();
            for r in &rs.rules {
                for i in [&r.in_iface, &r.out_iface] {
                    let i = i
                        .as_ref()
                        .unwrap_or_else(|| panic!("{}: no interface", r.name));
                    let (declared, _) = fw
                        .interfaces
                        .iter()
                        .find(|(n, _)| n == i)
                        .unwrap_or_else(|| panic!("{i}"));
                    assert!(i.ptr_eq(declared), "{i}");
                }
            }
            for z in &rs.zones {
                let i = z.iface.as_ref().unwrap_or_else(|| panic!("{}", z.name));
                assert!(fw.interfaces.iter().any(|(n, _)| n.ptr_eq(i)), "{i}");
            }
        }
    }
}
