//! The `fortios` backend: FortiOS 6.4+ CLI configuration.
//!
//! # What is emitted
//!
//! In this order, so every object exists before it is referenced:
//!
//! 1. `config firewall address` / `address6`: one object per interval of
//!    the address sets the policies use, shared by every set of the same
//!    zone that holds the interval. An interval that is a prefix becomes
//!    `set type ipmask` + `set subnet` (`ipprefix` + `ip6`), any other
//!    interval `set type iprange` + `start-ip`/`end-ip`. The type is always
//!    written, so re-applying the file over an older version never leaves a
//!    stale type behind.
//! 2. `config firewall addrgrp` / `addrgrp6`: one group per address set,
//!    always (even for one member), so a policy names exactly one group per
//!    side and family and a name never moves between the address and group
//!    tables from one version to the next.
//! 3. `config firewall service custom`: one service per port range, ICMP
//!    type or protocol, named by content (`tcp-502`, `udp-20000-20010`,
//!    `icmp-8`, `icmp6-128`, `ip-47`, and `ip-any` for monitor catch-alls),
//!    so a name always means the same thing.
//! 4. `config firewall service group`: one per flow that needs more than one
//!    service, named after the flow.
//! 5. `config firewall policy`: **one accept policy per flow**, and one logged
//!    accept policy per direction of each monitor-mode conduit: flows with
//!    `log` first, then the other flows, then the catch-alls, each in rule
//!    order. A packet several flows admit thus matches a logged flow's
//!    policy when there is one (so a `log` flow logs every connection it
//!    admits), traffic of a declared flow never reaches a catch-all (whose
//!    log shows only undeclared traffic), and the policy whose counter
//!    counts a packet is the flow `query` names.
//!    Nothing else is accepted: unmatched traffic meets the implicit deny.
//!
//! # Names
//!
//! Address objects are named after the zone the addresses lie in:
//! `ZONE.v4` / `ZONE.v6` for the zone's whole address space, `ZONE.v4.K`
//! for the K-th other set of that zone and family (in rule order); the
//! address objects are `ZONE.v4-N` / `ZONE.v6-N`, the N-th interval of that
//! zone and family to be used. A `.` never occurs in a declared name, so
//! these names are unique, and at most 62 characters (limit 79). Service groups are named `CONDUIT.FLOW`; a name longer than
//! 79 characters keeps its first 70 characters and gets `-` and eight hex
//! digits of a SHA-256 of the full name. Policy names (`set name`, limit
//! 35) are the flow's full name `conduit/flow` (`conduit/monitor.DSTZONE`
//! for a catch-all, which no flow name can equal), shortened the same way to
//! 26 characters, `-` and eight hex digits. Generated names use only
//! letters, digits and `._/-`, avoiding characters the FortiOS GUI refuses
//! in names. Every name is checked for uniqueness (ignoring case); a clash
//! is refused rather than emitted.
//!
//! # Policies
//!
//! - A dual-stack flow is **one** policy with `srcaddr`/`dstaddr` and
//!   `srcaddr6`/`dstaddr6` (FortiOS 6.4 merged the IPv4 and IPv6 tables). A
//!   family with no address on one side is `unset`, so re-applying over a
//!   version that had it removes it.
//! - The flow's services are merged into that one policy. This is exact
//!   because every rule of a flow carries the same addresses, restricted to
//!   the families its protocol applies to (ICMP only IPv4, ICMPv6 only
//!   IPv6, the others both); the emitter checks this and refuses a rule set
//!   where merging would widen anything.
//! - IDs are explicit and stable: derived from a SHA-256 of the flow's full
//!   name and zones into 1000000-999999999 (clear of FortiManager's
//!   reserved range), probing upward on a clash, so re-applying a new
//!   version edits the same policies instead of duplicating them (`edit 0`
//!   is never used). The device evaluates policies in configuration order,
//!   not by ID; all policies here are accepts, so their relative order does
//!   not change what passes. New policies are appended after any existing
//!   ones: this table is meant to be the only one on the device (or at least
//!   above any broader accept).
//! - `set logtraffic all` when the flow logs (and for catch-alls), else
//!   `set logtraffic disable`: the flow did not ask for logs, and `utm`
//!   would log nothing either since no security profile is attached; saying
//!   `disable` makes that explicit to an auditor.
//! - `srcintf`/`dstintf` are the firewall's interfaces facing the two zones,
//!   or `"any"` without a firewall. Sources are addresses of the source zone
//!   only (intersected again here), so a policy never admits a spoofed
//!   source from another zone.
//! - `set comments "conduit/flow owner=OWNER from=ZONE to=ZONE"`.
//!
//! Removing a flow does not remove its policy from a device that already has
//! it: compare the device's policy IDs with this file's and delete the
//! others (`config firewall policy` / `delete ID`) before the objects they
//! reference.
//!
//! # What was not verified
//!
//! No FortiGate was available: the syntax follows the FortiOS 6.4/7.x CLI
//! reference, the vendor's Terraform schema (name and comment limits) and
//! Batfish's FortiOS grammar, and is checked here only against the strict
//! reader in the test suite. In particular an IPv6-only policy (with
//! `srcaddr`/`dstaddr` unset) and the comment-line header rely on the 6.4+
//! behaviour described there.
//!
//! # Quoting
//!
//! Every string is double-quoted with `\` and `"` escaped; control
//! characters, `?` (which the CLI reads as a request for help) and
//! non-ASCII text are refused. Object and policy names are built only from
//! declared names, which are checked against the language's name grammar.
//! Lines starting with `#` (the build header) are comments, as in FortiOS
//! configuration backups.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use sha2::{Digest, Sha256};

use super::text::{build_summary, check_zone_names, is_name, printable_lines};
use super::EmitError;
use crate::lower::{Match, Rule, RuleSet, ZoneInfo};
use crate::model::{AddrSet, Platform};
use crate::platform::{interface_name_error, protocol_problem, FORTIOS};

const TARGET: &str = "fortios";
/// Name and comment limits, from the platform table.
const OBJECT_NAME_MAX: usize = match FORTIOS.max_object_name_chars {
    Some(n) => n,
    None => 79,
};
const POLICY_NAME_MAX: usize = match FORTIOS.max_rule_name_chars {
    Some(n) => n,
    None => 35,
};
const COMMENTS_MAX: usize = FORTIOS.max_comment_chars;
const ID_BASE: u32 = 1_000_000;
const ID_SPAN: u32 = 999_000_000;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn tag(self) -> &'static str {
        match self {
            Family::V4 => "v4",
            Family::V6 => "v6",
        }
    }
    fn part(self, set: &AddrSet) -> AddrSet {
        match self {
            Family::V4 => set.v4_only(),
            Family::V6 => set.v6_only(),
        }
    }
    fn has(self, set: &AddrSet) -> bool {
        match self {
            Family::V4 => set.has_v4(),
            Family::V6 => set.has_v6(),
        }
    }
}

/// One custom service.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Svc {
    Tcp(u16, u16),
    Udp(u16, u16),
    Icmp(u8),
    Icmp6(u8),
    Ip(u8),
    AnyIp,
}

impl Svc {
    fn name(self) -> String {
        let range = |lo: u16, hi: u16| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }
        };
        match self {
            Svc::Tcp(lo, hi) => format!("tcp-{}", range(lo, hi)),
            Svc::Udp(lo, hi) => format!("udp-{}", range(lo, hi)),
            Svc::Icmp(t) => format!("icmp-{t}"),
            Svc::Icmp6(t) => format!("icmp6-{t}"),
            Svc::Ip(n) => format!("ip-{n}"),
            Svc::AnyIp => "ip-any".to_string(),
        }
    }

    fn body(self) -> Vec<String> {
        let range = |lo: u16, hi: u16| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }
        };
        match self {
            Svc::Tcp(lo, hi) => vec![
                "set protocol TCP/UDP/SCTP".into(),
                format!("set tcp-portrange {}", range(lo, hi)),
            ],
            Svc::Udp(lo, hi) => vec![
                "set protocol TCP/UDP/SCTP".into(),
                format!("set udp-portrange {}", range(lo, hi)),
            ],
            Svc::Icmp(t) => vec!["set protocol ICMP".into(), format!("set icmptype {t}")],
            Svc::Icmp6(t) => vec!["set protocol ICMP6".into(), format!("set icmptype {t}")],
            Svc::Ip(n) => vec!["set protocol IP".into(), format!("set protocol-number {n}")],
            Svc::AnyIp => vec!["set protocol IP".into(), "set protocol-number 0".into()],
        }
    }
}

/// The rules of one flow (or one direction of a catch-all), merged.
struct Group<'a> {
    first: &'a Rule,
    src_zone: usize,
    dst_zone: usize,
    rules: Vec<&'a Rule>,
    /// Per rule: (sources, destinations) after anti-spoofing.
    boxes: Vec<(AddrSet, AddrSet)>,
}

/// The `fortios` backend in the registry ([`super::backend`]).
#[derive(Debug, Clone, Copy)]
pub struct Fortios;

impl super::Backend for Fortios {
    fn target(&self) -> super::Target {
        super::Target::Fortios
    }
    fn name(&self) -> &'static str {
        "fortios"
    }
    fn description(&self) -> &'static str {
        "FortiOS 6.4+ CLI configuration"
    }
    fn extension(&self) -> &'static str {
        "fortios"
    }
    fn platform(&self) -> crate::model::Platform {
        crate::model::Platform::Fortios
    }
    fn emit_to(
        &self,
        rules: &RuleSet,
        out: &mut dyn std::io::Write,
    ) -> Result<(), EmitError> {
        emit_to(rules, out)
    }
    fn emit(&self, rules: &RuleSet) -> Result<String, EmitError> {
        emit(rules)
    }
}

/// Writes the same text as [`emit`] to `out`: rendered in memory (every
/// refusal decided first), then written once.
pub fn emit_to(rules: &RuleSet, out: &mut dyn std::io::Write) -> Result<(), EmitError> {
    let text = emit(rules)?;
    out.write_all(text.as_bytes()).map_err(|e| EmitError::Io {
        target: TARGET,
        message: e.to_string(),
    })
}

/// Emits `rules` as FortiOS 6.4+ configuration (see the module docs).
pub fn emit(rules: &RuleSet) -> Result<String, EmitError> {
    validate(rules)?;
    let zones = &rules.zones;
    let by_name: std::collections::HashMap<String, usize> = zones
        .iter()
        .enumerate()
        .rev()
        .map(|(i, z)| (z.name.to_ascii_lowercase(), i))
        .collect();
    let zone_index = |name: &str| by_name.get(&name.to_ascii_lowercase()).copied();

    // 1. Group rules by (flow, zones), in rule order.
    let mut groups: Vec<Group> = Vec::new();
    let mut index: BTreeMap<(String, usize, usize), usize> = BTreeMap::new();
    for rule in &rules.rules {
        let (Some(from), Some(to)) = (zone_index(&rule.src_zone), zone_index(&rule.dst_zone))
        else {
            return Err(unsupported(format!(
                "rule {} between zones {} and {}, not both in the rule set",
                rule.name, rule.src_zone, rule.dst_zone
            )));
        };
        let (Some(zf), Some(zt)) = (zones.get(from), zones.get(to)) else {
            return Err(unsupported(format!("rule {}", rule.name)));
        };
        let boxed = (
            rule.src.intersection(&zf.addrs),
            rule.dst.intersection(&zt.addrs),
        );
        let key = (rule.name.to_ascii_lowercase(), from, to);
        match index.get(&key).and_then(|&i| groups.get_mut(i)) {
            Some(g) => {
                g.rules.push(rule);
                g.boxes.push(boxed);
            }
            None => {
                index.insert(key, groups.len());
                groups.push(Group {
                    first: rule,
                    src_zone: from,
                    dst_zone: to,
                    rules: vec![rule],
                    boxes: vec![boxed],
                });
            }
        }
    }

    // 2. Merge each group into one policy's worth of addresses and services,
    //    refusing any merge that would widen a rule.
    // Logged flows first, catch-alls last (see the module docs).
    groups.sort_by_key(|g| (g.first.monitor, !g.first.log));
    let mut plans = Vec::new();
    for g in &groups {
        if let Some(p) = plan(g, rules.firewall.is_some())? {
            plans.push(p);
        }
    }

    // 3. Name address sets after their zone.
    let mut addr_names = AddrNames::default();
    for p in &plans {
        for fam in [Family::V4, Family::V6] {
            if let Some((s, d)) = p.addrs(fam) {
                addr_names.name(zones, p.src_zone, fam, &s)?;
                addr_names.name(zones, p.dst_zone, fam, &d)?;
            }
        }
    }

    // 4. Services and service groups.
    let mut services: BTreeSet<Svc> = BTreeSet::new();
    let mut svc_groups: Vec<(String, Vec<Svc>)> = Vec::new();
    let mut names = Names::default();
    for p in &mut plans {
        services.extend(p.services.iter().copied());
        if p.services.len() > 1 {
            let base = format!(
                "{}.{}",
                p.rule.conduit,
                p.rule.flow.as_deref().unwrap_or("any")
            );
            let name = shorten(&base, OBJECT_NAME_MAX);
            names.claim(&name, "service group")?;
            p.service_ref = name.clone();
            svc_groups.push((name, p.services.clone()));
        } else if let Some(s) = p.services.first() {
            p.service_ref = s.name();
        }
    }
    for s in &services {
        names.claim(&s.name(), "service")?;
    }
    for n in addr_names.all_names() {
        names.claim(&n, "address")?;
    }

    // 5. Policy IDs and names.
    let mut ids = BTreeSet::new();
    let mut policy_names = Names::default();
    for p in &mut plans {
        let key = format!(
            "conduitc-policy\n{}\n{}\n{}",
            p.rule.name, p.rule.src_zone, p.rule.dst_zone
        );
        let h = hash(&key);
        let mut id = ID_BASE + (u32::from_be_bytes([h[0], h[1], h[2], h[3]]) % ID_SPAN);
        while !ids.insert(id) {
            id = ID_BASE + ((id - ID_BASE + 1) % ID_SPAN);
        }
        p.id = id;
        let base = if p.rule.monitor {
            format!("{}/monitor.{}", p.rule.conduit, p.rule.dst_zone)
        } else {
            p.rule.name.clone()
        };
        p.policy_name = shorten(&base, POLICY_NAME_MAX);
        policy_names.claim(&p.policy_name, "policy")?;
    }

    // 6. Write.
    let mut out = String::new();
    header(&mut out, rules);
    for fam in [Family::V4, Family::V6] {
        let objects = addr_names.objects_of(fam);
        if objects.is_empty() {
            continue;
        }
        let table = match fam {
            Family::V4 => "address",
            Family::V6 => "address6",
        };
        let _ = writeln!(out, "config firewall {table}");
        for (name, (lo, hi)) in &objects {
            edit(&mut out, &quote(name)?, &address_body(*lo, *hi, fam));
        }
        out.push_str("end\n");
    }
    for fam in [Family::V4, Family::V6] {
        let groups = addr_names.groups_of(fam);
        if groups.is_empty() {
            continue;
        }
        let table = match fam {
            Family::V4 => "addrgrp",
            Family::V6 => "addrgrp6",
        };
        let _ = writeln!(out, "config firewall {table}");
        for (name, members) in &groups {
            let members = members
                .iter()
                .map(|m| quote(m))
                .collect::<Result<Vec<_>, _>>()?;
            edit(
                &mut out,
                &quote(name)?,
                &[format!("set member {}", members.join(" "))],
            );
        }
        out.push_str("end\n");
    }
    if !services.is_empty() {
        out.push_str("config firewall service custom\n");
        for s in &services {
            edit(&mut out, &quote(&s.name())?, &s.body());
        }
        out.push_str("end\n");
    }
    if !svc_groups.is_empty() {
        out.push_str("config firewall service group\n");
        for (name, members) in &svc_groups {
            let m = members
                .iter()
                .map(|s| quote(&s.name()))
                .collect::<Result<Vec<_>, _>>()?;
            edit(
                &mut out,
                &quote(name)?,
                &[format!("set member {}", m.join(" "))],
            );
        }
        out.push_str("end\n");
    }
    out.push_str("config firewall policy\n");
    for p in &plans {
        let mut lines = vec![
            format!("set name {}", quote(&p.policy_name)?),
            format!("set srcintf {}", quote(&p.in_iface)?),
            format!("set dstintf {}", quote(&p.out_iface)?),
            "set action accept".to_string(),
        ];
        for (fam, suffix) in [(Family::V4, ""), (Family::V6, "6")] {
            match p.addrs(fam) {
                Some((s, d)) => {
                    let sn = addr_names.lookup(p.src_zone, fam, &s)?;
                    let dn = addr_names.lookup(p.dst_zone, fam, &d)?;
                    lines.push(format!("set srcaddr{suffix} {}", quote(&sn)?));
                    lines.push(format!("set dstaddr{suffix} {}", quote(&dn)?));
                }
                None => {
                    lines.push(format!("unset srcaddr{suffix}"));
                    lines.push(format!("unset dstaddr{suffix}"));
                }
            }
        }
        lines.push("set schedule \"always\"".to_string());
        lines.push(format!("set service {}", quote(&p.service_ref)?));
        lines.push(format!(
            "set logtraffic {}",
            if p.log { "all" } else { "disable" }
        ));
        let comments = p.comments(zones)?;
        lines.push(format!("set comments {}", quote(&comments)?));
        edit(&mut out, &p.id.to_string(), &lines);
    }
    out.push_str("end\n");
    printable_lines(TARGET, &out)?;
    Ok(out)
}

fn unsupported(what: String) -> EmitError {
    EmitError::Unsupported {
        target: TARGET,
        what,
    }
}

fn bad(message: String) -> EmitError {
    EmitError::BadName {
        target: TARGET,
        message,
    }
}

fn hash(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// `s` if it fits in `max` bytes, else its head, `-` and eight hex digits
/// of its SHA-256.
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let h = hash(s);
    let hex: String = h.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let head: String = s.chars().take(max - 9).collect();
    format!("{head}-{hex}")
}

/// A double-quoted FortiOS string: `\` and `"` escaped; control characters,
/// `?` and non-ASCII refused.
fn quote(s: &str) -> Result<String, EmitError> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            '?' => return Err(bad(format!("{s:?} contains `?`"))),
            ' '..='~' => out.push(c),
            _ => {
                return Err(bad(format!(
                    "{s:?} contains {c:?} (control or non-ASCII character)"
                )))
            }
        }
    }
    out.push('"');
    Ok(out)
}

fn edit(out: &mut String, key: &str, lines: &[String]) {
    let _ = writeln!(out, "    edit {key}");
    for l in lines {
        let _ = writeln!(out, "        {l}");
    }
    out.push_str("    next\n");
}

fn header(out: &mut String, rules: &RuleSet) {
    let _ = writeln!(
        out,
        "# conduitc {} fortios (FortiOS 6.4 and later)",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        out,
        "# {}",
        build_summary(rules, "no firewall: interfaces \"any\"")
    );
    out.push_str(
        "# Only the policies below accept traffic; everything else meets the implicit deny.\n",
    );
}

/// The intervals of `set`'s family part, as `u128` pairs.
fn intervals(set: &AddrSet, fam: Family) -> Vec<(u128, u128)> {
    match fam {
        Family::V4 => set
            .v4_ranges()
            .map(|(lo, hi)| (u128::from(u32::from(lo)), u128::from(u32::from(hi))))
            .collect(),
        Family::V6 => set
            .v6_ranges()
            .map(|(lo, hi)| (u128::from(lo), u128::from(hi)))
            .collect(),
    }
}

/// The lines after `edit` of the address object for one interval: a
/// subnet (prefix) when the interval is one, else a range.
fn address_body(lo: u128, hi: u128, fam: Family) -> Vec<String> {
    match fam {
        Family::V4 => {
            let (lo, hi) = (
                Ipv4Addr::from(u32::try_from(lo).unwrap_or(u32::MAX)),
                Ipv4Addr::from(u32::try_from(hi).unwrap_or(u32::MAX)),
            );
            let one = AddrSet::from_v4_ranges(vec![(u32::from(lo), u32::from(hi))]);
            match one.v4_prefixes().as_slice() {
                [p] => vec![
                    "set type ipmask".to_string(),
                    format!("set subnet {} {}", p.network(), p.netmask()),
                ],
                _ => vec![
                    "set type iprange".to_string(),
                    format!("set start-ip {lo}"),
                    format!("set end-ip {hi}"),
                ],
            }
        }
        Family::V6 => {
            let (lo, hi) = (Ipv6Addr::from(lo), Ipv6Addr::from(hi));
            let one = AddrSet::from_v6_ranges(vec![(u128::from(lo), u128::from(hi))]);
            match one.v6_prefixes().as_slice() {
                [p] => vec![
                    "set type ipprefix".to_string(),
                    format!("set ip6 {}/{}", p.network(), p.prefix_len()),
                ],
                _ => vec![
                    "set type iprange".to_string(),
                    format!("set start-ip {lo}"),
                    format!("set end-ip {hi}"),
                ],
            }
        }
    }
}

/// Address objects and groups by (zone, family), named in first-use order:
/// one address object per interval (`ZONE.v4-N`, shared by every group of
/// the zone that holds the interval), one group per address set
/// (`ZONE.v4` for the whole zone, else `ZONE.v4.K`).
#[derive(Default)]
struct AddrNames {
    /// (zone index, family) -> [(group name, set)]
    sets: BTreeMap<(usize, Family), Vec<(String, AddrSet)>>,
    /// (zone index, family) -> intervals, in first-use order.
    objects: BTreeMap<(usize, Family), Vec<(u128, u128)>>,
    /// Zone names by index.
    zone_names: BTreeMap<usize, String>,
    /// Where each set sits in `sets`, so naming and lookup cost no scan.
    set_index: std::collections::HashMap<(usize, Family, AddrSet), usize>,
    /// How many `ZONE.v4.K` names each (zone, family) has.
    numbered: BTreeMap<(usize, Family), usize>,
    /// Where each interval sits in `objects`.
    object_index: std::collections::HashMap<(usize, Family, (u128, u128)), usize>,
}

impl AddrNames {
    fn name(
        &mut self,
        zones: &[ZoneInfo],
        zone: usize,
        fam: Family,
        set: &AddrSet,
    ) -> Result<(), EmitError> {
        let Some(z) = zones.get(zone) else {
            return Err(unsupported("a zone index out of range".into()));
        };
        self.zone_names.insert(zone, z.name.clone());
        if self.set_index.contains_key(&(zone, fam, set.clone())) {
            return Ok(());
        }
        let list = self.sets.entry((zone, fam)).or_default();
        let name = if *set == fam.part(&z.addrs) {
            format!("{}.{}", z.name, fam.tag())
        } else {
            let k = self.numbered.entry((zone, fam)).or_default();
            *k += 1;
            format!("{}.{}.{k}", z.name, fam.tag())
        };
        self.set_index.insert((zone, fam, set.clone()), list.len());
        list.push((name, set.clone()));
        let objects = self.objects.entry((zone, fam)).or_default();
        for iv in intervals(set, fam) {
            if let std::collections::hash_map::Entry::Vacant(e) =
                self.object_index.entry((zone, fam, iv))
            {
                e.insert(objects.len());
                objects.push(iv);
            }
        }
        Ok(())
    }

    fn lookup(&self, zone: usize, fam: Family, set: &AddrSet) -> Result<String, EmitError> {
        self.set_index
            .get(&(zone, fam, set.clone()))
            .and_then(|&i| self.sets.get(&(zone, fam))?.get(i))
            .map(|(n, _)| n.clone())
            .ok_or_else(|| unsupported("an address set without a name".into()))
    }

    fn object_name(&self, zone: usize, fam: Family, index: usize) -> String {
        let z = self.zone_names.get(&zone).map(String::as_str).unwrap_or("");
        format!("{z}.{}-{}", fam.tag(), index + 1)
    }

    /// Address objects of one family, by zone: (name, interval).
    fn objects_of(&self, fam: Family) -> Vec<(String, (u128, u128))> {
        self.objects
            .iter()
            .filter(|((_, f), _)| *f == fam)
            .flat_map(|(&(z, f), ivs)| {
                ivs.iter()
                    .enumerate()
                    .map(move |(i, iv)| (self.object_name(z, f, i), *iv))
            })
            .collect()
    }

    /// Groups of one family, by zone then first use: (name, member names).
    fn groups_of(&self, fam: Family) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        for (&(z, f), list) in &self.sets {
            if f != fam {
                continue;
            }
            for (name, set) in list {
                let members = intervals(set, f)
                    .iter()
                    .filter_map(|iv| self.object_index.get(&(z, f, *iv)).copied())
                    .map(|i| self.object_name(z, f, i))
                    .collect();
                out.push((name.clone(), members));
            }
        }
        out
    }

    fn all_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for fam in [Family::V4, Family::V6] {
            out.extend(self.objects_of(fam).into_iter().map(|(n, _)| n));
            out.extend(self.groups_of(fam).into_iter().map(|(n, _)| n));
        }
        out
    }
}

/// Case-insensitive uniqueness of names within one namespace.
#[derive(Default)]
struct Names(BTreeSet<String>);

impl Names {
    fn claim(&mut self, name: &str, what: &str) -> Result<(), EmitError> {
        if name.len() > OBJECT_NAME_MAX {
            return Err(bad(format!("{what} name {name} is too long")));
        }
        if !self.0.insert(name.to_ascii_lowercase()) {
            return Err(bad(format!("{what} name {name} would be used twice")));
        }
        Ok(())
    }
}

/// One policy to write.
struct Plan<'a> {
    rule: &'a Rule,
    src_zone: usize,
    dst_zone: usize,
    src: AddrSet,
    dst: AddrSet,
    services: Vec<Svc>,
    service_ref: String,
    log: bool,
    in_iface: String,
    out_iface: String,
    id: u32,
    policy_name: String,
}

impl Plan<'_> {
    /// The (sources, destinations) of `fam`, when both sides have some.
    fn addrs(&self, fam: Family) -> Option<(AddrSet, AddrSet)> {
        let (s, d) = (fam.part(&self.src), fam.part(&self.dst));
        (!s.is_empty() && !d.is_empty()).then_some((s, d))
    }

    fn comments(&self, zones: &[ZoneInfo]) -> Result<String, EmitError> {
        let zname = |i: usize| zones.get(i).map(|z| z.name.as_str()).unwrap_or("");
        let mut c = self.rule.name.clone();
        if self.rule.monitor {
            c.push_str(" monitor catch-all");
        }
        let _ = write!(
            c,
            " owner={} from={} to={}",
            self.rule.owner,
            zname(self.src_zone),
            zname(self.dst_zone)
        );
        if c.len() > COMMENTS_MAX {
            return Err(bad(format!(
                "comments for {} exceed {COMMENTS_MAX} characters",
                self.rule.name
            )));
        }
        Ok(c)
    }
}

/// The families a matcher applies to.
fn families(m: &Match) -> &'static [Family] {
    match m {
        Match::Icmp(_) => &[Family::V4],
        Match::Icmpv6(_) => &[Family::V6],
        _ => &[Family::V4, Family::V6],
    }
}

/// Merges a group into one policy, or `None` when it admits nothing.
fn plan<'a>(g: &Group<'a>, with_firewall: bool) -> Result<Option<Plan<'a>>, EmitError> {
    let first = g.first;
    // Restrict every rule to the families its protocol applies to and that
    // it has on both sides; the union is what the policy will match.
    let mut restricted = Vec::new();
    for (r, (s, d)) in g.rules.iter().zip(&g.boxes) {
        if r.log != first.log
            || r.monitor != first.monitor
            || r.owner != first.owner
            || r.in_iface != first.in_iface
            || r.out_iface != first.out_iface
        {
            return Err(unsupported(format!(
                "rules of {} that differ in logging, owner or interfaces",
                first.name
            )));
        }
        let mut rs = AddrSet::new();
        let mut rd = AddrSet::new();
        for &fam in families(&r.matcher) {
            if fam.has(s) && fam.has(d) {
                rs = rs.union(&fam.part(s));
                rd = rd.union(&fam.part(d));
            }
        }
        restricted.push((*r, rs, rd));
    }
    let src = AddrSet::union_all(restricted.iter().map(|(_, s, _)| s));
    let dst = AddrSet::union_all(restricted.iter().map(|(_, _, d)| d));
    // The merged policy admits src_f x dst_f x every service applying to f.
    // That is exact only when each rule, for each family its protocol
    // applies to, has exactly the merged sets (or the merge has none).
    for (r, rs, rd) in &restricted {
        for &fam in families(&r.matcher) {
            let merged_usable = fam.has(&src) && fam.has(&dst);
            if merged_usable && (fam.part(rs) != fam.part(&src) || fam.part(rd) != fam.part(&dst)) {
                return Err(unsupported(format!(
                    "flow {} whose rules carry different addresses (one policy would widen them)",
                    first.name
                )));
            }
        }
    }
    if src.is_empty() || dst.is_empty() {
        return Ok(None);
    }
    let mut services = BTreeSet::new();
    for (r, rs, _) in &restricted {
        if rs.is_empty() {
            continue;
        }
        match &r.matcher {
            Match::Tcp(p) | Match::Udp(p) => {
                for &(lo, hi) in p.ranges() {
                    if lo == 0 {
                        return Err(unsupported(format!(
                            "port 0 in {} (FortiOS ports are 1-65535)",
                            r.name
                        )));
                    }
                    services.insert(match r.matcher {
                        Match::Tcp(_) => Svc::Tcp(lo, hi),
                        _ => Svc::Udp(lo, hi),
                    });
                }
            }
            Match::Icmp(t) => services.extend(t.iter().map(|&t| Svc::Icmp(t))),
            Match::Icmpv6(t) => services.extend(t.iter().map(|&t| Svc::Icmp6(t))),
            Match::Ip(n) => {
                if let Some(why) = protocol_problem(Platform::Fortios, *n) {
                    return Err(EmitError::Protocol {
                        target: TARGET,
                        rule: r.name.clone(),
                        proto: *n,
                        why,
                    });
                }
                services.insert(Svc::Ip(*n));
            }
            Match::Any => {
                services.insert(Svc::AnyIp);
            }
        }
    }
    if services.is_empty() {
        return Ok(None);
    }
    let iface = |i: &Option<String>| -> Result<String, EmitError> {
        match (i, with_firewall) {
            (Some(i), true) => Ok(i.clone()),
            (None, false) => Ok("any".to_string()),
            _ => Err(unsupported(format!(
                "rule {} whose interfaces do not match the firewall",
                first.name
            ))),
        }
    };
    Ok(Some(Plan {
        rule: first,
        src_zone: g.src_zone,
        dst_zone: g.dst_zone,
        src,
        dst,
        services: services.into_iter().collect(),
        service_ref: String::new(),
        log: first.log || first.monitor,
        in_iface: iface(&first.in_iface)?,
        out_iface: iface(&first.out_iface)?,
        id: 0,
        policy_name: String::new(),
    }))
}

/// Checks every declared name that reaches the output (free text such as
/// owners goes through [`quote`]).
fn validate(rules: &RuleSet) -> Result<(), EmitError> {
    check_zone_names(TARGET, rules, "FortiOS objects")?;
    for r in &rules.rules {
        let ok = match r.name.split_once('/') {
            Some((c, f)) => {
                is_name(c)
                    && c == r.conduit
                    && match &r.flow {
                        Some(flow) => !r.monitor && is_name(f) && f == flow,
                        None => r.monitor && f == "*",
                    }
            }
            None => false,
        };
        if !ok {
            return Err(bad(format!(
                "rule name {:?} is not a flow name `conduit/flow` matching its conduit and flow",
                r.name
            )));
        }
        for i in [&r.in_iface, &r.out_iface].into_iter().flatten() {
            if let Some(message) = interface_name_error(i, Platform::Fortios) {
                return Err(bad(message));
            }
        }
    }
    if let Some(iso) = &rules.isolation {
        if !is_name(iso) {
            return Err(bad(format!("isolation mode name {iso:?} is not a name")));
        }
    }
    if let Some(fw) = &rules.firewall {
        if !is_name(&fw.name) {
            return Err(bad(format!("firewall name {:?} is not a name", fw.name)));
        }
        for (iface, _) in &fw.interfaces {
            if let Some(message) = interface_name_error(iface, Platform::Fortios) {
                return Err(bad(message));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Date, Level, PortSet};

    fn zone(name: &str, net: &str) -> ZoneInfo {
        ZoneInfo {
            name: name.into(),
            level: Level::L2,
            addrs: AddrSet::from_net(net.parse().unwrap()),
            iface: None,
        }
    }

    fn rule(name: &str, src: &str, dst: &str, m: Match) -> Rule {
        let (c, f) = name.split_once('/').unwrap();
        Rule {
            name: name.into(),
            conduit: c.into(),
            flow: Some(f.into()),
            owner: "ops".into(),
            src_zone: "a".into(),
            dst_zone: "b".into(),
            src: AddrSet::from_net(src.parse().unwrap()),
            dst: AddrSet::from_net(dst.parse().unwrap()),
            matcher: m,
            log: true,
            monitor: false,
            in_iface: None,
            out_iface: None,
        }
    }

    fn set(rules: Vec<Rule>) -> RuleSet {
        RuleSet {
            today: Date::parse("2026-12-01").unwrap(),
            isolation: None,
            firewall: None,
            zones: vec![zone("a", "10.1.0.0/16"), zone("b", "10.2.0.0/16")],
            rules,
        }
    }

    #[test]
    fn quote_escapes_and_refuses() {
        assert_eq!(quote(r#"a"b\c"#).unwrap(), r#""a\"b\\c""#);
        assert!(quote("a\nb").is_err());
        assert!(quote("why?").is_err());
        assert!(quote("caf\u{e9}").is_err());
    }

    #[test]
    fn shorten_is_deterministic_and_bounded() {
        let long = "a".repeat(97);
        let s = shorten(&long, 35);
        assert_eq!(s.len(), 35);
        assert_eq!(s, shorten(&long, 35));
        assert_ne!(s, shorten(&"a".repeat(96), 35));
        assert_eq!(shorten("c/f", 35), "c/f");
    }

    #[test]
    fn one_policy_per_flow_with_merged_services() {
        let out = emit(&set(vec![
            rule(
                "c/f",
                "10.1.0.0/24",
                "10.2.0.5/32",
                Match::Tcp(PortSet::single(502)),
            ),
            rule(
                "c/f",
                "10.1.0.0/24",
                "10.2.0.5/32",
                Match::Udp(PortSet::single(2222)),
            ),
        ]))
        .unwrap();
        assert_eq!(out.matches("set action accept").count(), 1, "{out}");
        assert!(out.contains("        set service \"c.f\"\n"), "{out}");
        assert!(
            out.contains("        set member \"tcp-502\" \"udp-2222\"\n"),
            "{out}"
        );
        assert!(
            out.contains("        set subnet 10.1.0.0 255.255.255.0\n"),
            "{out}"
        );
        assert!(out.contains("        unset srcaddr6\n"), "{out}");
        assert!(!out.contains("edit 0\n"));
    }

    #[test]
    fn widening_merge_is_refused() {
        let e = emit(&set(vec![
            rule(
                "c/f",
                "10.1.0.0/24",
                "10.2.0.5/32",
                Match::Tcp(PortSet::single(502)),
            ),
            rule(
                "c/f",
                "10.1.1.0/24",
                "10.2.0.5/32",
                Match::Udp(PortSet::single(2222)),
            ),
        ]));
        assert!(matches!(e, Err(EmitError::Unsupported { .. })), "{e:?}");
    }

    #[test]
    fn owner_with_quotes_is_escaped() {
        let mut r = rule(
            "c/f",
            "10.1.0.0/24",
            "10.2.0.5/32",
            Match::Tcp(PortSet::single(502)),
        );
        r.owner = "x\" \nnext".into();
        assert!(emit(&set(vec![r.clone()])).is_err());
        r.owner = "x\"\\ end".into();
        let out = emit(&set(vec![r])).unwrap();
        assert!(out.contains(r#"owner=x\"\\ end from=a to=b""#), "{out}");
    }
}
