//! A strict reader of FortiOS configuration for `verify`: a configuration
//! backup, `show full-configuration`, or a conduitc build.
//!
//! The text is read as a tree by the same reader as `build --from`: every
//! line must be `config`, `edit`, `set`, `unset`, `next`, `end` or a
//! comment. Read: `firewall address`, `address6`, `addrgrp`, `addrgrp6`,
//! `service custom`, `service group`, `policy`, `policy6`, `local-in-policy`,
//! `local-in-policy6` (traffic to the device itself), and `system zone` (a
//! policy's interface may name a zone). A backup with VDOMs is
//! read when exactly one VDOM has firewall policies.
//!
//! Refused with the line ([`DeviceError::Unmodelled`]): what changes what
//! the device admits and is not modelled: negated addresses or services,
//! Internet services, users and groups, schedules other than `always`,
//! `ipsec` policies, address groups with `exclude`, address types other
//! than subnets and ranges, services with source ports, ICMP codes, SCTP
//! ports, an address or FQDN on a service, and any entry of `firewall
//! DoS-policy`, `DoS-policy6`, `interface-policy`, `interface-policy6`,
//! `security-policy` or `consolidated policy`.
//!
//! Skipped: every other `config` block (`system`, `log`, `router`, `vpn`,
//! `user`...), and the fields of a policy or object that do not decide
//! what it matches (`name`, `comments`, `logtraffic`, `nat`, profiles...).
//!
//! Semantics (packets that open a connection): policies are tried in table
//! order, not by ID; a policy with `status disable` is passed over; the
//! first whose interfaces (`any` for every interface), addresses of the
//! packet's family and service match decides, by its action (`deny` when
//! unset); no match is the implicit deny.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::acl::{unmodelled, unreadable, v6_prefix, Device, DeviceError};
use super::{Cond, Entry};
use crate::backend::{fortios_tree, EmitError, FortiEntry, FortiItem, FortiTree};
use crate::model::{AddrSet, PortSet, ServiceSpace};

type R<T> = Result<T, DeviceError>;

/// One object of a table, possibly edited in several places.
struct Obj<'a> {
    line: usize,
    parts: Vec<&'a FortiEntry>,
}

impl<'a> Obj<'a> {
    /// The values of the field's last `set`, with its line; `None` when
    /// unset.
    fn get(&self, field: &str) -> Option<(Vec<String>, usize)> {
        let mut found = None;
        for p in &self.parts {
            for i in &p.items {
                match i {
                    FortiItem::Set {
                        field: f,
                        values,
                        line,
                        ..
                    } if f == field => found = Some((values.clone(), *line)),
                    FortiItem::Unset { field: f, .. } if f == field => found = None,
                    _ => {}
                }
            }
        }
        found
    }

    fn one(&self, field: &str) -> Option<String> {
        self.get(field).and_then(|(v, _)| v.first().cloned())
    }

    fn enabled(&self, field: &str) -> Option<usize> {
        self.get(field)
            .filter(|(v, _)| v.first().is_some_and(|x| x == "enable"))
            .map(|(_, l)| l)
    }
}

#[derive(Default)]
struct Table<'a> {
    line: usize,
    order: Vec<String>,
    objs: BTreeMap<String, Obj<'a>>,
}

fn tables(blocks: &[FortiTree]) -> R<BTreeMap<String, Table<'_>>> {
    let mut scopes: Vec<Vec<&FortiTree>> = vec![blocks.iter().collect()];
    let mut vdoms: Vec<Vec<&FortiTree>> = Vec::new();
    for b in blocks {
        if b.path == "vdom" {
            for e in b.entries() {
                let inner: Vec<&FortiTree> = e
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        FortiItem::Config(c) => Some(c),
                        _ => None,
                    })
                    .collect();
                vdoms.push(inner);
            }
        }
    }
    let has_policies = |s: &Vec<&FortiTree>| {
        s.iter().any(|b| {
            matches!(
                b.path.as_str(),
                "firewall policy"
                    | "firewall policy6"
                    | "firewall local-in-policy"
                    | "firewall local-in-policy6"
            ) && b.entries().next().is_some()
        })
    };
    let with: Vec<&Vec<&FortiTree>> = vdoms.iter().filter(|v| has_policies(v)).collect();
    if with.len() > 1 {
        let line = blocks
            .iter()
            .find(|b| b.path == "vdom")
            .map_or(0, |b| b.line);
        return unmodelled(
            line,
            "several VDOMs have firewall policies; give the configuration of one VDOM",
        );
    }
    if let Some(v) = with.first() {
        scopes.push((*v).clone());
    }
    let mut out: BTreeMap<String, Table<'_>> = BTreeMap::new();
    for scope in scopes {
        for b in scope {
            let t = out.entry(b.path.clone()).or_default();
            if t.line == 0 {
                t.line = b.line;
            }
            for e in b.entries() {
                match t.objs.get_mut(&e.key) {
                    Some(o) => o.parts.push(e),
                    None => {
                        t.order.push(e.key.clone());
                        t.objs.insert(
                            e.key.clone(),
                            Obj {
                                line: e.line,
                                parts: vec![e],
                            },
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}

const REFUSED_TABLES: &[&str] = &[
    "firewall DoS-policy",
    "firewall DoS-policy6",
    "firewall interface-policy",
    "firewall interface-policy6",
    "firewall security-policy",
    "firewall consolidated policy",
];

struct Resolver<'a> {
    t: &'a BTreeMap<String, Table<'a>>,
}

impl<'a> Resolver<'a> {
    fn obj(&self, table: &str, name: &str) -> Option<&'a Obj<'a>> {
        self.t.get(table).and_then(|t| t.objs.get(name))
    }

    fn addr(&self, name: &str, v6: bool, at: usize, depth: usize) -> R<AddrSet> {
        if depth > 16 {
            return unreadable(
                at,
                format!("address group `{name}` nests too deep (a loop?)"),
            );
        }
        let (table, group) = if v6 {
            ("firewall address6", "firewall addrgrp6")
        } else {
            ("firewall address", "firewall addrgrp")
        };
        let fam = |s: AddrSet| if v6 { s.v6_only() } else { s.v4_only() };
        if let Some(o) = self.obj(table, name) {
            let kind = o
                .one("type")
                .unwrap_or_else(|| if v6 { "ipprefix" } else { "ipmask" }.into());
            return match (kind.as_str(), v6) {
                ("ipmask", false) => match o.get("subnet") {
                    None => Ok(fam(AddrSet::all())),
                    Some((v, l)) => v4_subnet(&v, l),
                },
                ("ipprefix", true) => match o.one("ip6") {
                    None => Ok(fam(AddrSet::all())),
                    Some(p) => v6_prefix(&p, o.line, true),
                },
                ("iprange", _) => {
                    let start = o
                        .one("start-ip")
                        .unwrap_or_else(|| if v6 { "::" } else { "0.0.0.0" }.into());
                    let end = o.one("end-ip").unwrap_or_else(|| start.clone());
                    if v6 {
                        let (Ok(a), Ok(b)) = (start.parse::<Ipv6Addr>(), end.parse::<Ipv6Addr>())
                        else {
                            return unreadable(
                                o.line,
                                format!("address `{name}`: bad range {start}-{end}"),
                            );
                        };
                        let (a, b) = (u128::from(a), u128::from(b));
                        Ok(AddrSet::from_v6_ranges(vec![(a.min(b), a.max(b))]))
                    } else {
                        let (Ok(a), Ok(b)) = (start.parse::<Ipv4Addr>(), end.parse::<Ipv4Addr>())
                        else {
                            return unreadable(
                                o.line,
                                format!("address `{name}`: bad range {start}-{end}"),
                            );
                        };
                        let (a, b) = (u32::from(a), u32::from(b));
                        Ok(AddrSet::from_v4_ranges(vec![(a.min(b), a.max(b))]))
                    }
                }
                (k, _) => unmodelled(
                    o.line,
                    format!("address `{name}` of type {k} is not modelled by verify"),
                ),
            };
        }
        if let Some(g) = self.obj(group, name) {
            if let Some(l) = g.enabled("exclude") {
                return unmodelled(
                    l,
                    format!("address group `{name}` with `exclude` is not modelled by verify"),
                );
            }
            let mut set = AddrSet::new();
            for m in g.get("member").map(|(v, _)| v).unwrap_or_default() {
                set = set.union(&self.addr(&m, v6, g.line, depth + 1)?);
            }
            return Ok(set);
        }
        match name {
            "all" => Ok(fam(AddrSet::all())),
            "none" => Ok(AddrSet::new()),
            _ => unreadable(
                at,
                format!(
                    "no {} address or group `{name}`",
                    if v6 { "IPv6" } else { "IPv4" }
                ),
            ),
        }
    }

    fn service(&self, name: &str, at: usize, depth: usize, v6: bool) -> R<ServiceSpace> {
        if depth > 16 {
            return unreadable(
                at,
                format!("service group `{name}` nests too deep (a loop?)"),
            );
        }
        if let Some(o) = self.obj("firewall service custom", name) {
            return custom(o, name, v6);
        }
        if let Some(g) = self.obj("firewall service group", name) {
            let mut s = ServiceSpace::new();
            for m in g.get("member").map(|(v, _)| v).unwrap_or_default() {
                s = s.union(&self.service(&m, g.line, depth + 1, v6)?);
            }
            return Ok(s);
        }
        match name {
            "ALL" => Ok(ServiceSpace::any()),
            "ALL_TCP" => Ok(ServiceSpace::protocol(6)),
            "ALL_UDP" => Ok(ServiceSpace::protocol(17)),
            "ALL_ICMP" if !v6 => Ok(ServiceSpace::protocol(1)),
            "ALL_ICMP6" if v6 => Ok(ServiceSpace::protocol(58)),
            "ALL_ICMP" | "ALL_ICMP6" => Ok(ServiceSpace::new()),
            _ => unreadable(at, format!("no service or service group `{name}`")),
        }
    }
}

fn v4_subnet(v: &[String], line: usize) -> R<AddrSet> {
    let bad = || unreadable(line, format!("`{}` is not an IPv4 subnet", v.join(" ")));
    let (a, len) = match v {
        [one] => match one.split_once('/') {
            Some((a, l)) => match l.parse::<u32>() {
                Ok(l) if l <= 32 => (a.to_string(), l),
                _ => return bad(),
            },
            None => (one.clone(), 32),
        },
        [a, m] => {
            let Ok(m) = m.parse::<Ipv4Addr>() else {
                return bad();
            };
            let m = u32::from(m);
            if m.leading_ones() + m.trailing_zeros() != 32 {
                return bad();
            }
            (a.clone(), m.leading_ones())
        }
        _ => return bad(),
    };
    let Ok(a) = a.parse::<Ipv4Addr>() else {
        return bad();
    };
    let x = u32::from(a);
    let host = if len == 0 {
        u32::MAX
    } else {
        (1u32 << (32 - len)) - 1
    };
    Ok(AddrSet::from_v4_ranges(vec![(x & !host, x | host)]))
}

/// A port range field: `D`, `Dlo-Dhi`, optionally `:S` or `:Slo-Shi`.
fn portrange(v: &[String], line: usize, name: &str) -> R<PortSet> {
    let mut out = Vec::new();
    let range = |s: &str| -> Option<(u16, u16)> {
        match s.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (a.parse::<u16>().ok()?, b.parse::<u16>().ok()?);
                Some((a.min(b), a.max(b)))
            }
            None => s.parse::<u16>().ok().map(|a| (a, a)),
        }
    };
    for item in v {
        let (d, s) = match item.split_once(':') {
            Some((d, s)) => (d, Some(s)),
            None => (item.as_str(), None),
        };
        let Some(mut d) = range(d) else {
            return unreadable(
                line,
                format!("service `{name}`: `{item}` is not a port range"),
            );
        };
        if let Some(s) = s {
            match range(s) {
                Some((lo, hi)) if lo <= 1 && hi == u16::MAX => {}
                Some(_) => {
                    return unmodelled(
                        line,
                        format!(
                            "service `{name}` matches source ports; verify does not model them"
                        ),
                    )
                }
                None => {
                    return unreadable(
                        line,
                        format!("service `{name}`: `{item}` is not a port range"),
                    )
                }
            }
        }
        if d.0 == 1 && d.1 == u16::MAX {
            d.0 = 0;
        }
        out.push(d);
    }
    Ok(PortSet::from_ranges(out))
}

/// The `schedule` (only `always` is modelled) and the `action` of a policy
/// or local-in policy `what` (`policy 3 (name)`): true for `accept`, false
/// for `deny` or no action.
fn schedule_and_action(o: &Obj<'_>, what: &str) -> R<bool> {
    if let Some((v, l)) = o.get("schedule") {
        if v.first().is_some_and(|s| s != "always") {
            return unmodelled(
                l,
                format!(
                    "{what}: schedule `{}` is not modelled by verify; only `always` is",
                    v.join(" ")
                ),
            );
        }
    }
    match o.get("action") {
        None => Ok(false),
        Some((v, l)) => match v.first().map(String::as_str) {
            Some("accept") => Ok(true),
            Some("deny") => Ok(false),
            Some(other) => unmodelled(
                l,
                format!("{what}: action `{other}` is not modelled by verify"),
            ),
            None => unreadable(l, format!("{what}: `set action` without a value")),
        },
    }
}

/// The service `name` for packets of one family: `ICMP` matches IPv4
/// only, `ICMP6` IPv6 only.
fn custom(o: &Obj<'_>, name: &str, v6: bool) -> R<ServiceSpace> {
    for f in ["iprange", "fqdn"] {
        if let Some((v, l)) = o.get(f) {
            if v.iter().any(|x| !x.is_empty() && x != "0.0.0.0") {
                return unmodelled(
                    l,
                    format!("service `{name}` limits `{f}`; verify does not model it"),
                );
            }
        }
    }
    let proto = o.one("protocol").unwrap_or_else(|| "TCP/UDP/SCTP".into());
    match proto.as_str() {
        "TCP/UDP/SCTP" => {
            if let Some((v, l)) = o.get("sctp-portrange") {
                if !v.is_empty() {
                    return unmodelled(
                        l,
                        format!("service `{name}`: SCTP ports are not modelled by verify"),
                    );
                }
            }
            let mut s = ServiceSpace::new();
            for (f, n) in [("tcp-portrange", 6u8), ("udp-portrange", 17)] {
                if let Some((v, l)) = o.get(f) {
                    s = s.union(&ServiceSpace::ports(n, &portrange(&v, l, name)?));
                }
            }
            Ok(s)
        }
        "ICMP" | "ICMP6" => {
            let n = if proto == "ICMP" { 1 } else { 58 };
            if let Some((_, l)) = o.get("icmpcode") {
                return unmodelled(
                    l,
                    format!("service `{name}`: ICMP codes are not modelled by verify"),
                );
            }
            if (n == 58) != v6 {
                return Ok(ServiceSpace::new());
            }
            match o.get("icmptype") {
                None => Ok(ServiceSpace::protocol(n)),
                Some((v, l)) => match v.first().and_then(|t| t.parse::<u8>().ok()) {
                    Some(t) => Ok(ServiceSpace::types(n, &BTreeSet::from([t]))),
                    None => unreadable(l, format!("service `{name}`: bad ICMP type")),
                },
            }
        }
        "IP" => match o.one("protocol-number").map(|p| p.parse::<u8>()) {
            None | Some(Ok(0)) => Ok(ServiceSpace::any()),
            Some(Ok(p)) => Ok(ServiceSpace::protocol(p)),
            Some(Err(_)) => unreadable(o.line, format!("service `{name}`: bad protocol number")),
        },
        other => unmodelled(
            o.line,
            format!("service `{name}` of protocol {other} is not modelled by verify"),
        ),
    }
}

/// Reads FortiOS configuration text (see the module documentation).
pub fn read_fortios(text: &str) -> Result<Device, DeviceError> {
    let blocks = fortios_tree(text).map_err(|e| match e {
        EmitError::Previous { line, message, .. } => {
            DeviceError::Unreadable(super::ReadError { line, message })
        }
        other => DeviceError::Unreadable(super::ReadError {
            line: 0,
            message: other.to_string(),
        }),
    })?;
    let t = tables(&blocks)?;
    for name in REFUSED_TABLES {
        if let Some(tb) = t.get(*name) {
            if let Some(k) = tb.order.first() {
                let line = tb.objs.get(k).map_or(tb.line, |o| o.line);
                return unmodelled(
                    line,
                    format!("`config {name}` entries are not modelled by verify"),
                );
            }
        }
    }
    let zones: BTreeMap<String, Vec<String>> = t
        .get("system zone")
        .map(|z| {
            z.objs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        o.get("interface").map(|(v, _)| v).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let res = Resolver { t: &t };
    let mut dev = Device {
        path: Vec::new(),
        local: Vec::new(),
        rules: Vec::new(),
        replies: Vec::new(),
        ios_names: false,
        ifaces: Vec::new(),
    };
    let mut deny_line = 0;
    for (table, v6_only) in [("firewall policy", false), ("firewall policy6", true)] {
        let Some(tb) = t.get(table) else {
            continue;
        };
        if deny_line == 0 {
            deny_line = tb.line;
        }
        for key in &tb.order {
            let Some(o) = tb.objs.get(key) else {
                continue;
            };
            policy(&mut dev, &res, &zones, o, key, v6_only)?;
        }
    }
    let deny = dev.origin(deny_line, "implicit deny (no policy matches)");
    dev.path.push(Entry {
        cond: Cond::all(),
        accept: false,
        origins: vec![deny],
    });
    let mut open_line = 0;
    for (table, v6) in [
        ("firewall local-in-policy", false),
        ("firewall local-in-policy6", true),
    ] {
        let Some(tb) = t.get(table) else {
            continue;
        };
        if open_line == 0 {
            open_line = tb.line;
        }
        for key in &tb.order {
            let Some(o) = tb.objs.get(key) else {
                continue;
            };
            local_in(&mut dev, &res, &zones, o, key, v6)?;
        }
    }
    // No local-in policy matches: the interface's administrative access
    // (`allowaccess`), which a policy backup does not describe, decides.
    // Judged as admitting, so a missing deny-all is a finding.
    let open = dev.origin(
        open_line,
        "no local-in policy matches: the interface's administrative access decides (taken as admitting)",
    );
    dev.local.push(Entry {
        cond: Cond::all(),
        accept: true,
        origins: vec![open],
    });
    Ok(dev)
}

/// One local-in policy (traffic to the device itself) of the IPv4 table,
/// or of the IPv6 table with `v6`.
fn local_in(
    dev: &mut Device,
    res: &Resolver<'_>,
    zones: &BTreeMap<String, Vec<String>>,
    o: &Obj<'_>,
    key: &str,
    v6: bool,
) -> R<()> {
    if o.one("status").as_deref() == Some("disable") {
        return Ok(());
    }
    for f in [
        "srcaddr-negate",
        "dstaddr-negate",
        "service-negate",
        "internet-service-src",
        "ha-mgmt-intf-only",
    ] {
        if let Some(l) = o.enabled(f) {
            return unmodelled(
                l,
                format!("local-in policy {key}: `{f} enable` is not modelled by verify"),
            );
        }
    }
    let accept = schedule_and_action(o, &format!("local-in policy {key}"))?;
    let iif = match o.get("intf") {
        None => return unreadable(o.line, format!("local-in policy {key} has no `intf`")),
        Some((v, _)) if v.iter().any(|n| n == "any") => None,
        Some((v, l)) if v.is_empty() => {
            return unreadable(l, format!("local-in policy {key}: `intf` is empty"))
        }
        Some((v, _)) => {
            let mut s = BTreeSet::new();
            for n in v {
                match zones.get(&n) {
                    Some(members) => s.extend(members.iter().cloned()),
                    None => {
                        s.insert(n);
                    }
                }
            }
            Some(s)
        }
    };
    let addrs = |f: &str| -> R<AddrSet> {
        match o.get(f) {
            Some((v, l)) if !v.is_empty() => {
                let mut s = AddrSet::new();
                for n in v {
                    s = s.union(&res.addr(&n, v6, l, 0)?);
                }
                Ok(s)
            }
            _ => unreadable(o.line, format!("local-in policy {key} has no `{f}`")),
        }
    };
    let (src, dst) = (addrs("srcaddr")?, addrs("dstaddr")?);
    let Some((names, sl)) = o.get("service") else {
        return unreadable(o.line, format!("local-in policy {key} has no `service`"));
    };
    let mut svc = ServiceSpace::new();
    for n in &names {
        svc = svc.union(&res.service(n, sl, 0, v6)?);
    }
    let table = if v6 {
        "local-in-policy6"
    } else {
        "local-in-policy"
    };
    let origin = dev.origin(o.line, format!("{table} edit {key}"));
    dev.local.push(Entry {
        cond: Cond {
            src,
            dst,
            svc,
            iif,
            oif: None,
        },
        accept,
        origins: vec![origin],
    });
    Ok(())
}

fn policy(
    dev: &mut Device,
    res: &Resolver<'_>,
    zones: &BTreeMap<String, Vec<String>>,
    o: &Obj<'_>,
    key: &str,
    v6_only: bool,
) -> R<()> {
    if o.one("status").as_deref() == Some("disable") {
        return Ok(());
    }
    for f in [
        "srcaddr-negate",
        "dstaddr-negate",
        "srcaddr6-negate",
        "dstaddr6-negate",
        "service-negate",
        "internet-service",
        "internet-service-src",
        "internet-service6",
        "internet-service6-src",
    ] {
        if let Some(l) = o.enabled(f) {
            return unmodelled(
                l,
                format!("policy {key}: `{f} enable` is not modelled by verify"),
            );
        }
    }
    for f in ["users", "groups", "fsso-groups"] {
        if let Some((v, l)) = o.get(f) {
            if !v.is_empty() {
                return unmodelled(
                    l,
                    format!("policy {key}: `{f}` (authentication) is not modelled by verify"),
                );
            }
        }
    }
    let accept = schedule_and_action(o, &format!("policy {key}"))?;
    let intf = |f: &str| -> R<Option<BTreeSet<String>>> {
        let Some((v, l)) = o.get(f) else {
            return unreadable(o.line, format!("policy {key} has no `{f}`"));
        };
        if v.iter().any(|n| n == "any") {
            return Ok(None);
        }
        if v.is_empty() {
            return unreadable(l, format!("policy {key}: `{f}` is empty"));
        }
        let mut s = BTreeSet::new();
        for n in v {
            match zones.get(&n) {
                Some(members) => s.extend(members.iter().cloned()),
                None => {
                    s.insert(n);
                }
            }
        }
        Ok(Some(s))
    };
    let (iif, oif) = (intf("srcintf")?, intf("dstintf")?);
    let Some((names, sl)) = o.get("service") else {
        return unreadable(o.line, format!("policy {key} has no `service`"));
    };
    let svc = |v6: bool| -> R<ServiceSpace> {
        let mut s = ServiceSpace::new();
        for n in &names {
            s = s.union(&res.service(n, sl, 0, v6)?);
        }
        Ok(s)
    };
    let addrs = |f: &str, v6: bool| -> R<Option<AddrSet>> {
        match o.get(f) {
            None => Ok(None),
            Some((v, l)) if !v.is_empty() => {
                let mut s = AddrSet::new();
                for n in v {
                    s = s.union(&res.addr(&n, v6, l, 0)?);
                }
                Ok(Some(s))
            }
            Some(_) => Ok(None),
        }
    };
    let mut fams: Vec<(AddrSet, AddrSet)> = Vec::new();
    if v6_only {
        if let (Some(s), Some(d)) = (addrs("srcaddr", true)?, addrs("dstaddr", true)?) {
            fams.push((s, d));
        }
    } else {
        if let (Some(s), Some(d)) = (addrs("srcaddr", false)?, addrs("dstaddr", false)?) {
            fams.push((s, d));
        }
        if let (Some(s), Some(d)) = (addrs("srcaddr6", true)?, addrs("dstaddr6", true)?) {
            fams.push((s, d));
        }
    }
    let name = o.one("name").map(|n| format!(" ({n})")).unwrap_or_default();
    let origin = dev.origin(o.line, format!("edit {key}{name}"));
    for (src, dst) in fams {
        let svc = svc(src.has_v6())?;
        dev.path.push(Entry {
            cond: Cond {
                src,
                dst,
                svc,
                iif: iif.clone(),
                oif: oif.clone(),
            },
            accept,
            origins: vec![origin],
        });
    }
    Ok(())
}
