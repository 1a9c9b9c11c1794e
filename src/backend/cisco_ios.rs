//! The `cisco-ios` backend: extended named ACLs for Cisco IOS and IOS-XE.
//!
//! # What is emitted
//!
//! For every zone of the rule set, two access lists meant to be applied
//! **inbound** on the interface that faces the zone:
//!
//! - `ip access-list extended conduit-ZONE-in` (IPv4) and
//! - `ipv6 access-list conduit-ZONE-in6` (IPv6),
//!
//! with `ZONE` as declared. Each list holds, in this order:
//!
//! 1. `deny ip any any fragments` (`deny ipv6 any any fragments`): every
//!    non-initial fragment is dropped. IOS lets a `permit` entry with port or
//!    ICMP fields match *any* non-initial fragment whose addresses and
//!    protocol match, whatever its ports, so without this line
//!    `permit tcp A B eq 502` would also pass TCP fragments from A to B of
//!    every other connection. Dropping them keeps the allow-list exact; the
//!    price is that flows which really fragment (large UDP datagrams) need
//!    a path MTU that avoids fragmentation, which is the norm for OT protocols.
//! 2. For every rule whose source zone is this zone, a `remark conduit/flow`
//!    followed by its `permit` entries: sources (already inside the zone, and
//!    intersected with the zone's addresses again here, so a list admits only
//!    sources of its own zone: anti-spoofing) and destinations as wildcard
//!    masks (`host A` for a single address, `any` only when the set is every
//!    address of the family), `eq`/`range` for ports, ICMP types by IOS
//!    keyword or number, protocol numbers for `ip/N`, and `log` when the flow
//!    logs. A monitor-mode catch-all becomes `permit ip SRC DST log`.
//!    Catch-alls come after every flow's entries (and replies), so traffic
//!    of declared flows matches its own entry and the catch-all's log shows
//!    only undeclared traffic.
//! 3. For every rule whose *destination* zone is this zone, the stateless
//!    replies language.md allows, under `remark conduit/flow replies`:
//!    `permit tcp DST eq P SRC established` (ACK or RST set),
//!    `permit udp DST eq P SRC` (from the service port, to any port),
//!    `echo-reply` for `echo-request`, and nothing for other ICMP types,
//!    `ip/N` or catch-alls (the reverse catch-all is its own rule). ICMP
//!    errors are not admitted either: a stateless list cannot tell one that
//!    belongs to a permitted connection from an unsolicited one, and the
//!    language admits only the former. Paths through the router should
//!    therefore not need path-MTU discovery (uniform MTU or MSS clamping).
//! 4. IPv6 only: `permit icmp any any nd-na` and `permit icmp any any nd-ns`.
//!    These are the implicit neighbour-discovery permits that an explicit
//!    final deny would otherwise hide; without them the router cannot resolve
//!    hosts of the zone. Router solicitations and advertisements are *not*
//!    permitted: the router's own advertisements are not filtered by an
//!    inbound list, hosts still learn the router from periodic
//!    advertisements, and a zone that advertises routers to the firewall is
//!    exactly what a segmentation boundary should refuse.
//! 5. `deny ip any any log` (`deny ipv6 any any log`).
//!
//! A list is never empty (an applied empty list permits everything): a zone
//! with no rule still gets the fragment deny and the final deny. Every entry
//! has an explicit sequence number (10, 20, ...), written `N permit ...` for
//! IPv4 and `sequence N permit ...` for IPv6, as IOS-XE prints them in the
//! running configuration. Remarks are unnumbered and attach to the entry
//! that follows them. Each list ends with `exit`.
//!
//! With a firewall, `interface NAME` blocks bind each zone's lists with
//! `ip access-group conduit-ZONE-in in` and
//! `ipv6 traffic-filter conduit-ZONE-in6 in`. An interface can hold one
//! inbound list per family, so a firewall that puts two zones behind one
//! interface is refused.
//!
//! # Object groups: not used
//!
//! Object groups would shorten the cross product of source and destination
//! prefixes, but they are not used, for four reasons. They exist for IPv4
//! extended lists only, so the two families would be written differently.
//! Network groups take *subnet* masks while entries take *wildcard* masks,
//! a classic source of silent widening. A group referenced by an applied
//! list can be neither emptied nor removed, which breaks the replace-by-new-
//! name procedure below. And a compiler that shares one service group
//! between the forward entry (destination ports) and the reply entry
//! (source ports) widens the allow-list as soon as either side is edited.
//! Every entry here is self-contained, so an auditor can read one line and
//! know exactly what it admits.
//!
//! # Target versions
//!
//! Classic IOS 15.x and IOS-XE 16.x/17.x routers and layer-3 switches with
//! named extended ACLs, sequence numbers and IPv6 traffic filters. ASA and
//! IOS-XR use a different syntax and are not targets.
//!
//! No IOS device or emulator was available: the syntax follows Cisco's
//! command references and Batfish's IOS grammar, and is checked here only
//! against the strict reader in the test suite. The `sequence N` prefix on
//! IPv6 entries is the running-configuration form; unnumbered remarks are
//! the form classic IOS documents.
//!
//! # Replacing a live ACL without a gap
//!
//! Pasting this file where `conduit-ZONE-in` already exists *adds* entries to
//! the old list (identical entries are ignored, numbered ones collide), so the
//! old allow-list would survive. Never `no ip access-list` a list that is
//! applied either: an applied list that does not exist permits everything.
//! Instead:
//!
//! 1. Load the new version under staging names (rewrite `conduit-ZONE-in`
//!    to `conduit-ZONE-in-next` in the `access-list`, `access-group` and
//!    `traffic-filter` lines only) and paste it. Each `ip access-group` /
//!    `ipv6 traffic-filter` command replaces the interface's previous binding
//!    in one step, so traffic is filtered by the old list until the new one
//!    takes over.
//! 2. Remove the old, now unapplied, lists (`no ip access-list extended
//!    conduit-ZONE-in`, `no ipv6 access-list conduit-ZONE-in6`).
//! 3. Paste this file unchanged: it recreates the canonical names and moves
//!    the bindings back.
//! 4. Remove the staging lists.
//!
//! Inbound lists also see traffic addressed to the router itself (routing
//! protocols, management); those must be declared as flows or the final deny
//! drops them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::text::{build_summary, check_zone_names, is_iface, is_name, printable_lines};
use super::EmitError;
use crate::lower::{Match, Rule, RuleSet, ZoneInfo};
use crate::model::{AddrSet, PortSet};

const TARGET: &str = "cisco-ios";
/// IOS truncates remarks longer than this.
const REMARK_MAX: usize = 100;
/// Longest declared name the language allows.
/// Longest interface name the language allows.
const IFACE_MAX: usize = 64;
/// Highest IOS sequence number.
const SEQ_MAX: u64 = 2_147_483_647;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

/// Entries under one remark.
struct Section {
    remark: String,
    entries: Vec<String>,
}

/// One access list's body before numbering.
#[derive(Default)]
struct Body {
    sections: Vec<Section>,
}

impl Body {
    fn push(&mut self, remark: &str, entries: Vec<String>) {
        if entries.is_empty() {
            return;
        }
        match self.sections.last_mut() {
            Some(s) if s.remark == remark => s.entries.extend(entries),
            _ => self.sections.push(Section {
                remark: remark.to_string(),
                entries,
            }),
        }
    }
}

/// Emits `rules` as Cisco IOS / IOS-XE configuration (see the module docs).
///
/// Refuses (never escapes) any name that is not a plain declared name: zone,
/// flow, conduit, firewall and isolation names must match
/// `[A-Za-z][A-Za-z0-9_-]*` (at most 48 characters), interface names
/// `[A-Za-z0-9._/:-]` (1-64 characters).
pub fn emit(rules: &RuleSet) -> Result<String, EmitError> {
    validate(rules)?;
    let zones = &rules.zones;
    let zone_index = |name: &str| zones.iter().position(|z| z.name.eq_ignore_ascii_case(name));
    let mut bodies: Vec<[Body; 2]> = zones.iter().map(|_| Default::default()).collect();
    // Monitor catch-alls go last, so declared flows (and their replies)
    // match their own entries and the catch-all's log shows only undeclared
    // traffic.
    let ordered = rules
        .rules
        .iter()
        .filter(|r| !r.monitor)
        .chain(rules.rules.iter().filter(|r| r.monitor));
    for rule in ordered {
        let Some(from) = zone_index(&rule.src_zone) else {
            return Err(unknown_zone(rule, &rule.src_zone));
        };
        let Some(to) = zone_index(&rule.dst_zone) else {
            return Err(unknown_zone(rule, &rule.dst_zone));
        };
        let (Some(zf), Some(zt)) = (zones.get(from), zones.get(to)) else {
            return Err(unknown_zone(rule, &rule.src_zone));
        };
        let forward_remark = rule.name.clone();
        let reply_remark = {
            let r = format!("{} replies", rule.name);
            if r.len() <= REMARK_MAX {
                r
            } else {
                rule.name.clone()
            }
        };
        for (i, fam) in [Family::V4, Family::V6].into_iter().enumerate() {
            let fwd = forward_entries(rule, zf, fam)?;
            let rep = reply_entries(rule, zf, zt, fam);
            if let Some(b) = bodies.get_mut(from).and_then(|b| b.get_mut(i)) {
                b.push(&forward_remark, fwd);
            }
            if let Some(b) = bodies.get_mut(to).and_then(|b| b.get_mut(i)) {
                b.push(&reply_remark, rep);
            }
        }
    }

    let mut out = String::new();
    header(&mut out, rules);
    for (zone, [v4, v6]) in zones.iter().zip(&bodies) {
        write_acl(&mut out, &zone.name, Family::V4, v4)?;
        write_acl(&mut out, &zone.name, Family::V6, v6)?;
    }
    if let Some(fw) = &rules.firewall {
        for (iface, zone) in &fw.interfaces {
            let Some(z) = zone_index(zone).and_then(|i| zones.get(i)) else {
                return Err(EmitError::Unsupported {
                    target: TARGET,
                    what: format!(
                        "interface {iface} facing zone {zone}, which is not in the rule set"
                    ),
                });
            };
            let _ = writeln!(out, "interface {iface}");
            let _ = writeln!(out, " ip access-group conduit-{}-in in", z.name);
            let _ = writeln!(out, " ipv6 traffic-filter conduit-{}-in6 in", z.name);
            out.push_str("exit\n");
        }
    }
    printable_lines(TARGET, &out)?;
    Ok(out)
}

fn unknown_zone(rule: &Rule, zone: &str) -> EmitError {
    EmitError::Unsupported {
        target: TARGET,
        what: format!(
            "rule {} naming zone {zone}, which is not in the rule set",
            rule.name
        ),
    }
}

fn header(out: &mut String, rules: &RuleSet) {
    let _ = writeln!(
        out,
        "! conduitc {} cisco-ios (IOS 15.x, IOS-XE 16.x/17.x)",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        out,
        "! {}",
        build_summary(
            rules,
            "no firewall: apply each list inbound facing its zone"
        )
    );
    out.push_str("! Paste in global configuration mode where these list names do not exist.\n");
    out.push_str("! To replace live lists, load them under new names first, then move the\n");
    out.push_str("! bindings; never remove a list that is applied.\n");
    out.push_str("!\n");
}

fn write_acl(out: &mut String, zone: &str, fam: Family, body: &Body) -> Result<(), EmitError> {
    let (open, seq_kw, any) = match fam {
        Family::V4 => (
            format!("ip access-list extended conduit-{zone}-in"),
            "",
            "ip",
        ),
        Family::V6 => (
            format!("ipv6 access-list conduit-{zone}-in6"),
            "sequence ",
            "ipv6",
        ),
    };
    out.push_str(&open);
    out.push('\n');
    let mut seq: u64 = 0;
    let mut entry = |out: &mut String, text: &str| -> Result<(), EmitError> {
        seq += 10;
        if seq > SEQ_MAX {
            return Err(EmitError::Unsupported {
                target: TARGET,
                what: format!("more entries than IOS sequence numbers in the list for zone {zone}"),
            });
        }
        let _ = writeln!(out, " {seq_kw}{seq} {text}");
        Ok(())
    };
    out.push_str(" remark conduitc: drop every non-initial fragment\n");
    entry(out, &format!("deny {any} any any fragments"))?;
    for s in &body.sections {
        let _ = writeln!(out, " remark {}", s.remark);
        for e in &s.entries {
            entry(out, e)?;
        }
    }
    if fam == Family::V6 {
        out.push_str(" remark conduitc: neighbour discovery\n");
        entry(out, "permit icmp any any nd-na")?;
        entry(out, "permit icmp any any nd-ns")?;
    }
    out.push_str(" remark conduitc: default deny\n");
    entry(out, &format!("deny {any} any any log"))?;
    out.push_str("exit\n");
    Ok(())
}

/// Address terms (`any`, `host A`, `A WILDCARD`, `P/LEN`) covering exactly
/// the family's part of `set`.
fn addr_terms(set: &AddrSet, fam: Family) -> Vec<String> {
    match fam {
        Family::V4 => {
            if set.is_all_v4() {
                return vec!["any".to_string()];
            }
            set.v4_prefixes()
                .into_iter()
                .map(|p| {
                    if p.prefix_len() == 32 {
                        format!("host {}", p.network())
                    } else {
                        format!("{} {}", p.network(), p.hostmask())
                    }
                })
                .collect()
        }
        Family::V6 => {
            if set.is_all_v6() {
                return vec!["any".to_string()];
            }
            set.v6_prefixes()
                .into_iter()
                .map(|p| {
                    if p.prefix_len() == 128 {
                        format!("host {}", p.network())
                    } else {
                        format!("{}/{}", p.network(), p.prefix_len())
                    }
                })
                .collect()
        }
    }
}

fn family_part(set: &AddrSet, fam: Family) -> AddrSet {
    match fam {
        Family::V4 => set.v4_only(),
        Family::V6 => set.v6_only(),
    }
}

fn port_ops(ports: &PortSet) -> Vec<String> {
    ports
        .ranges()
        .iter()
        .map(|&(lo, hi)| {
            if lo == hi {
                format!("eq {lo}")
            } else {
                format!("range {lo} {hi}")
            }
        })
        .collect()
}

/// The IOS keyword for an ICMP type, or its number.
fn icmp_keyword(t: u8, fam: Family) -> String {
    let name = match (fam, t) {
        (Family::V4, 0) => "echo-reply",
        (Family::V4, 3) => "unreachable",
        (Family::V4, 5) => "redirect",
        (Family::V4, 8) => "echo",
        (Family::V4, 9) => "router-advertisement",
        (Family::V4, 10) => "router-solicitation",
        (Family::V4, 11) => "time-exceeded",
        (Family::V4, 12) => "parameter-problem",
        (Family::V4, 13) => "timestamp-request",
        (Family::V4, 14) => "timestamp-reply",
        (Family::V6, 1) => "unreachable",
        (Family::V6, 2) => "packet-too-big",
        (Family::V6, 3) => "time-exceeded",
        (Family::V6, 4) => "parameter-problem",
        (Family::V6, 128) => "echo-request",
        (Family::V6, 129) => "echo-reply",
        (Family::V6, 133) => "router-solicitation",
        (Family::V6, 134) => "router-advertisement",
        (Family::V6, 135) => "nd-ns",
        (Family::V6, 136) => "nd-na",
        _ => return t.to_string(),
    };
    name.to_string()
}

/// The entries that admit `rule`'s initiations in `fam`, for the list of its
/// source zone `zone`.
fn forward_entries(rule: &Rule, zone: &ZoneInfo, fam: Family) -> Result<Vec<String>, EmitError> {
    let applies = match rule.matcher {
        Match::Icmp(_) => fam == Family::V4,
        Match::Icmpv6(_) => fam == Family::V6,
        _ => true,
    };
    if !applies {
        return Ok(Vec::new());
    }
    // Anti-spoofing: a list only ever admits sources of its own zone.
    let src = family_part(&rule.src.intersection(&zone.addrs), fam);
    let dst = family_part(&rule.dst, fam);
    if src.is_empty() || dst.is_empty() {
        return Ok(Vec::new());
    }
    let log = if rule.log || rule.monitor { " log" } else { "" };
    let any = match fam {
        Family::V4 => "ip",
        Family::V6 => "ipv6",
    };
    let srcs = addr_terms(&src, fam);
    let dsts = addr_terms(&dst, fam);
    let mut out = Vec::new();
    for s in &srcs {
        for d in &dsts {
            match &rule.matcher {
                Match::Tcp(p) => {
                    for op in port_ops(p) {
                        out.push(format!("permit tcp {s} {d} {op}{log}"));
                    }
                }
                Match::Udp(p) => {
                    for op in port_ops(p) {
                        out.push(format!("permit udp {s} {d} {op}{log}"));
                    }
                }
                Match::Icmp(types) | Match::Icmpv6(types) => {
                    for &t in types {
                        out.push(format!("permit icmp {s} {d} {}{log}", icmp_keyword(t, fam)));
                    }
                }
                Match::Ip(0) => {
                    return Err(EmitError::Unsupported {
                        target: TARGET,
                        what: format!(
                            "ip/0 in {} (IOS reads protocol 0 as every protocol)",
                            rule.name
                        ),
                    })
                }
                Match::Ip(n) => out.push(format!("permit {n} {s} {d}{log}")),
                Match::Any => out.push(format!("permit {any} {s} {d} log")),
            }
        }
    }
    Ok(out)
}

/// The stateless reply entries for `rule` in `fam`, for the list of its
/// destination zone `to` (the responder's side).
fn reply_entries(rule: &Rule, from: &ZoneInfo, to: &ZoneInfo, fam: Family) -> Vec<String> {
    if rule.monitor {
        return Vec::new();
    }
    // The responders: destinations inside the zone the list filters.
    let resp = family_part(&rule.dst.intersection(&to.addrs), fam);
    let init = family_part(&rule.src.intersection(&from.addrs), fam);
    if resp.is_empty() || init.is_empty() {
        return Vec::new();
    }
    let resp_terms = addr_terms(&resp, fam);
    let init_terms = addr_terms(&init, fam);
    let mut out = Vec::new();
    for d in &resp_terms {
        for s in &init_terms {
            match &rule.matcher {
                Match::Tcp(p) => {
                    for op in port_ops(p) {
                        out.push(format!("permit tcp {d} {op} {s} established"));
                    }
                }
                Match::Udp(p) => {
                    for op in port_ops(p) {
                        out.push(format!("permit udp {d} {op} {s}"));
                    }
                }
                Match::Icmp(types) if fam == Family::V4 && types.contains(&8) => {
                    out.push(format!("permit icmp {d} {s} echo-reply"));
                }
                Match::Icmpv6(types) if fam == Family::V6 && types.contains(&128) => {
                    out.push(format!("permit icmp {d} {s} echo-reply"));
                }
                _ => {}
            }
        }
    }
    out
}

fn bad(message: String) -> EmitError {
    EmitError::BadName {
        target: TARGET,
        message,
    }
}

/// Checks every piece of text that reaches the output.
fn validate(rules: &RuleSet) -> Result<(), EmitError> {
    check_zone_names(TARGET, rules, "an ACL")?;
    for r in &rules.rules {
        let ok = match r.name.split_once('/') {
            Some((c, f)) => is_name(c) && (is_name(f) || (r.monitor && f == "*")),
            None => false,
        };
        if !ok || r.name.len() > REMARK_MAX {
            return Err(bad(format!(
                "rule name {:?} is not a flow name `conduit/flow`",
                r.name
            )));
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
        let mut ifaces = BTreeSet::new();
        for (iface, zone) in &fw.interfaces {
            if !is_iface(iface, IFACE_MAX) {
                return Err(bad(format!(
                    "interface name {iface:?} (letters, digits and `._/:-`, 1-{IFACE_MAX} characters)"
                )));
            }
            if !is_name(zone) {
                return Err(bad(format!("zone name {zone:?} is not a name")));
            }
            if !ifaces.insert(iface.to_ascii_lowercase()) {
                return Err(EmitError::Unsupported {
                    target: TARGET,
                    what: format!(
                        "two zones behind interface {iface} (an interface holds one inbound list per family)"
                    ),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::{FirewallInfo, ZoneInfo};
    use crate::model::{Date, Level, Platform};

    fn zone(name: &str, net: &str) -> ZoneInfo {
        ZoneInfo {
            name: name.into(),
            level: Level::L2,
            addrs: AddrSet::from_net(net.parse().unwrap()),
            iface: None,
        }
    }

    fn rule(name: &str, from: &str, to: &str, src: &str, dst: &str, m: Match) -> Rule {
        Rule {
            name: name.into(),
            conduit: name.split('/').next().unwrap().into(),
            flow: Some(name.split('/').nth(1).unwrap().into()),
            owner: "ops".into(),
            src_zone: from.into(),
            dst_zone: to.into(),
            src: AddrSet::from_net(src.parse().unwrap()),
            dst: AddrSet::from_net(dst.parse().unwrap()),
            matcher: m,
            log: false,
            monitor: false,
            in_iface: None,
            out_iface: None,
        }
    }

    fn set(zones: Vec<ZoneInfo>, rules: Vec<Rule>) -> RuleSet {
        RuleSet {
            today: Date::parse("2026-12-01").unwrap(),
            isolation: None,
            firewall: None,
            zones,
            rules,
        }
    }

    #[test]
    fn empty_zone_still_gets_a_closed_list() {
        let out = emit(&set(vec![zone("a", "10.0.0.0/24")], vec![])).unwrap();
        assert!(out.contains(
            "ip access-list extended conduit-a-in\n remark conduitc: drop every non-initial fragment\n 10 deny ip any any fragments\n remark conduitc: default deny\n 20 deny ip any any log\nexit\n"
        ));
        assert!(out.contains(" sequence 40 deny ipv6 any any log\n"));
    }

    #[test]
    fn wildcards_hosts_ports_and_replies() {
        let out = emit(&set(
            vec![zone("a", "10.1.0.0/16"), zone("b", "10.2.0.0/16")],
            vec![rule(
                "c/f",
                "a",
                "b",
                "10.1.2.0/24",
                "10.2.0.5/32",
                Match::Tcp(PortSet::from_ranges([(502, 502), (20000, 20010)])),
            )],
        ))
        .unwrap();
        assert!(out.contains(" remark c/f\n 20 permit tcp 10.1.2.0 0.0.0.255 host 10.2.0.5 eq 502\n 30 permit tcp 10.1.2.0 0.0.0.255 host 10.2.0.5 range 20000 20010\n"), "{out}");
        assert!(out.contains(" remark c/f replies\n 20 permit tcp host 10.2.0.5 eq 502 10.1.2.0 0.0.0.255 established\n"), "{out}");
    }

    #[test]
    fn ip_zero_is_refused() {
        let r = rule("c/f", "a", "b", "10.1.0.0/16", "10.2.0.0/16", Match::Ip(0));
        let e = emit(&set(
            vec![zone("a", "10.1.0.0/16"), zone("b", "10.2.0.0/16")],
            vec![r],
        ));
        assert!(matches!(e, Err(EmitError::Unsupported { .. })));
    }

    #[test]
    fn one_interface_for_two_zones_is_refused() {
        let mut rs = set(
            vec![zone("a", "10.1.0.0/16"), zone("b", "10.2.0.0/16")],
            vec![],
        );
        rs.firewall = Some(FirewallInfo {
            name: "fw".into(),
            platform: Platform::CiscoIos,
            interfaces: vec![("Gi0/1".into(), "a".into()), ("gi0/1".into(), "b".into())],
        });
        assert!(matches!(emit(&rs), Err(EmitError::Unsupported { .. })));
    }

    #[test]
    fn hostile_zone_name_is_refused() {
        let rs = set(vec![zone("a\n permit ip any any", "10.1.0.0/16")], vec![]);
        assert!(matches!(emit(&rs), Err(EmitError::BadName { .. })));
    }
}
