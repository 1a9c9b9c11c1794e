//! Transitions: the script that takes a device running PREVIOUS to a new
//! build (see the module docs of `fortios`, "Transitions").

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::naming::{address_name, group_name, ID_BASE, ID_SPAN, PREFIX};
use super::plan::Svc;
use super::quote::quote;
use super::read::{read, Block, Entry, Item};
use super::{Family, TARGET};
use crate::backend::header::build_summary;
use crate::backend::EmitError;
use crate::lower::RuleSet;

/// The object tables conduitc writes, in the order new objects are
/// created (members before the groups that hold them).
const CREATE: [&str; 6] = [
    "firewall address",
    "firewall address6",
    "firewall service custom",
    "firewall addrgrp",
    "firewall addrgrp6",
    "firewall service group",
];
/// The order owned objects are deleted in: groups before their members.
const DELETE: [&str; 6] = [
    "firewall service group",
    "firewall addrgrp",
    "firewall addrgrp6",
    "firewall service custom",
    "firewall address",
    "firewall address6",
];
const POLICY: &str = "firewall policy";
/// The local-in tables (traffic to the device itself), IPv4 and IPv6.
const LOCAL_IN: [&str; 2] = ["firewall local-in-policy", "firewall local-in-policy6"];

fn owned_name(name: &str) -> bool {
    name.get(..PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX))
}

fn owned_id(id: u32) -> bool {
    (ID_BASE..ID_BASE + ID_SPAN).contains(&id)
}

fn previous(line: usize, message: String) -> EmitError {
    EmitError::Previous {
        target: TARGET,
        line,
        message,
    }
}

/// What one configuration holds, as far as transitions care.
struct State {
    /// Table -> entries in order.
    objects: BTreeMap<&'static str, Vec<Entry>>,
    /// Every policy, in table order: (ID, entry).
    policies: Vec<(u32, Entry)>,
    /// Per local-in table (as [`LOCAL_IN`]): every entry, in table order.
    local: [Vec<(u32, Entry)>; 2],
}

/// Refuses a firewall table below the top level (a multi-VDOM backup,
/// where tables sit inside `config vdom` / `edit NAME`).
fn check_nesting(items: &[Item]) -> Result<(), EmitError> {
    for i in items {
        match i {
            Item::Config(b) if b.path == POLICY || CREATE.contains(&b.path.as_str()) => {
                return Err(previous(
                    b.line,
                    format!(
                        "`config {}` inside another block (a multi-VDOM configuration?): give the configuration of one VDOM, as `show full-configuration` inside it prints it",
                        b.path
                    ),
                ))
            }
            Item::Config(b) => check_nesting(&b.items)?,
            Item::Edit(e) => check_nesting(&e.items)?,
            _ => {}
        }
    }
    Ok(())
}

impl State {
    fn of(blocks: &[Block]) -> Result<State, EmitError> {
        for b in blocks {
            check_nesting(&b.items)?;
        }
        let mut objects: BTreeMap<&'static str, Vec<Entry>> = BTreeMap::new();
        let mut policies = Vec::new();
        let mut local: [Vec<(u32, Entry)>; 2] = [Vec::new(), Vec::new()];
        for b in blocks {
            if let Some(t) = LOCAL_IN.iter().position(|t| *t == b.path) {
                for e in b.entries() {
                    let id: u32 = e.key.parse().map_err(|_| {
                        previous(e.line, format!("local-in ID `{}` is not a number", e.key))
                    })?;
                    if let Some(table) = local.get_mut(t) {
                        if table.iter().any(|(x, _)| *x == id) {
                            return Err(previous(
                                e.line,
                                format!("local-in entry {id} appears twice"),
                            ));
                        }
                        table.push((id, e.clone()));
                    }
                }
                continue;
            }
            if let Some(table) = CREATE.iter().find(|t| **t == b.path) {
                objects
                    .entry(table)
                    .or_default()
                    .extend(b.entries().cloned());
            } else if b.path == POLICY {
                for e in b.entries() {
                    let id: u32 = e.key.parse().map_err(|_| {
                        previous(e.line, format!("policy ID `{}` is not a number", e.key))
                    })?;
                    policies.push((id, e.clone()));
                }
            }
        }
        Ok(State {
            objects,
            policies,
            local,
        })
    }

    fn object(&self, table: &str, name: &str) -> Option<&Entry> {
        self.objects
            .get(table)
            .and_then(|es| es.iter().find(|e| e.key == name))
    }

    fn owned_objects(&self) -> impl Iterator<Item = (&'static str, &Entry)> {
        self.objects
            .iter()
            .flat_map(|(t, es)| es.iter().map(move |e| (*t, e)))
            .filter(|(_, e)| owned_name(&e.key))
    }
}

/// The name conduitc gives the content of `e` in `table`, or why it
/// writes no such object.
fn canonical(table: &str, e: &Entry) -> Result<String, String> {
    let one = |f: &str| -> Result<Option<&str>, String> {
        match e.get(f) {
            None => Ok(None),
            Some([v]) => Ok(Some(v.as_str())),
            Some(_) => Err(format!("`{f}` with several values")),
        }
    };
    match table {
        "firewall address" | "firewall address6" => {
            let v6 = table.ends_with('6');
            let fam = if v6 { Family::V6 } else { Family::V4 };
            let kind = one("type")?.unwrap_or(if v6 { "ipprefix" } else { "ipmask" });
            let iv = match (v6, kind) {
                (false, "ipmask") => {
                    let (a, m) = match e.get("subnet") {
                        None => (Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED),
                        Some([a, m]) => (
                            a.parse().map_err(|_| format!("subnet address `{a}`"))?,
                            m.parse().map_err(|_| format!("subnet mask `{m}`"))?,
                        ),
                        Some(_) => return Err("a `subnet` conduitc does not write".into()),
                    };
                    let (a, m) = (u32::from(a), u32::from(m));
                    if m.leading_ones() + m.trailing_zeros() != 32 || a & !m != 0 {
                        return Err("a subnet that is not one prefix".into());
                    }
                    (u128::from(a), u128::from(a | !m))
                }
                (true, "ipprefix") => {
                    let p = one("ip6")?.unwrap_or("::/0");
                    let (a, l) = p.split_once('/').ok_or(format!("ip6 `{p}`"))?;
                    let a: Ipv6Addr = a.parse().map_err(|_| format!("ip6 `{p}`"))?;
                    let l: u32 = l.parse().map_err(|_| format!("ip6 `{p}`"))?;
                    let host = u128::MAX.checked_shr(l).unwrap_or(0);
                    if l > 128 || u128::from(a) & host != 0 {
                        return Err(format!("ip6 `{p}` that is not one prefix"));
                    }
                    (u128::from(a), u128::from(a) | host)
                }
                (_, "iprange") => {
                    let ip = |f: &str| -> Result<u128, String> {
                        let s = one(f)?.ok_or(format!("an iprange without `{f}`"))?;
                        match (s.parse::<IpAddr>(), v6) {
                            (Ok(IpAddr::V4(a)), false) => Ok(u128::from(u32::from(a))),
                            (Ok(IpAddr::V6(a)), true) => Ok(u128::from(a)),
                            _ => Err(format!("{f} `{s}`")),
                        }
                    };
                    let (lo, hi) = (ip("start-ip")?, ip("end-ip")?);
                    if lo > hi {
                        return Err("an iprange whose start is above its end".into());
                    }
                    (lo, hi)
                }
                (_, k) => return Err(format!("an address of type `{k}`")),
            };
            Ok(address_name(iv, fam))
        }
        "firewall addrgrp" | "firewall addrgrp6" | "firewall service group" => {
            let members = e.get("member").unwrap_or(&[]).to_vec();
            let kind = match table {
                "firewall addrgrp" => "g4",
                "firewall addrgrp6" => "g6",
                _ => "sg",
            };
            Ok(group_name(kind, &members))
        }
        "firewall service custom" => {
            let proto = one("protocol")?.unwrap_or("TCP/UDP/SCTP");
            let range = |s: &str| -> Result<(u16, u16), String> {
                let (lo, hi) = s.split_once('-').unwrap_or((s, s));
                match (lo.parse::<u16>(), hi.parse::<u16>()) {
                    (Ok(lo), Ok(hi)) if lo >= 1 && lo <= hi => Ok((lo, hi)),
                    _ => Err(format!("port range `{s}`")),
                }
            };
            let svc = match proto {
                "TCP/UDP/SCTP" => match (
                    one("tcp-portrange")?,
                    one("udp-portrange")?,
                    e.get("sctp-portrange"),
                ) {
                    (Some(t), None, None) => {
                        let (lo, hi) = range(t)?;
                        Svc::Tcp(lo, hi)
                    }
                    (None, Some(u), None) => {
                        let (lo, hi) = range(u)?;
                        Svc::Udp(lo, hi)
                    }
                    _ => return Err("ports conduitc does not write".into()),
                },
                "ICMP" | "ICMP6" => {
                    if e.get("icmpcode").is_some() {
                        return Err("an ICMP code".into());
                    }
                    let t = one("icmptype")?.ok_or("ICMP without a type")?;
                    let t: u8 = t.parse().map_err(|_| format!("icmptype `{t}`"))?;
                    if proto == "ICMP" {
                        Svc::Icmp(t)
                    } else {
                        Svc::Icmp6(t)
                    }
                }
                "IP" => {
                    let n = one("protocol-number")?.unwrap_or("0");
                    match n.parse::<u8>() {
                        Ok(0) => Svc::AnyIp,
                        Ok(n) => Svc::Ip(n),
                        Err(_) => return Err(format!("protocol-number `{n}`")),
                    }
                }
                p => return Err(format!("protocol `{p}`")),
            };
            Ok(svc.name())
        }
        _ => Err("a table conduitc does not write".into()),
    }
}

/// Refuses an owned object whose content is not what its name says.
fn check_owned(table: &str, e: &Entry) -> Result<(), EmitError> {
    match canonical(table, e) {
        Ok(name) if name == e.key => Ok(()),
        Ok(name) => Err(previous(
            e.line,
            format!(
                "`{}` in `config {table}` holds what conduitc names `{name}`: it was changed by hand; restore it or give it a name outside the `{PREFIX}` prefix",
                e.key
            ),
        )),
        Err(why) => Err(previous(
            e.line,
            format!(
                "`{}` in `config {table}` has {why}, which is not an object conduitc writes; names starting with `{PREFIX}` are reserved for conduitc",
                e.key
            ),
        )),
    }
}

/// The same configuration after `new` is set on an entry that holds `old`:
/// every `set` of `new` already holds, every `unset` field is absent.
fn same_policy(old: &Entry, new: &Entry) -> bool {
    new.fields().all(|i| match i {
        Item::Set { field, values, .. } => old.get(field) == Some(values.as_slice()),
        Item::Unset { field, .. } => old
            .get(field)
            .is_none_or(|v| v.is_empty() || v.iter().all(String::is_empty)),
        _ => true,
    })
}

fn body(out: &mut String, key: &str, e: &Entry) {
    let _ = writeln!(out, "    edit {key}");
    for i in e.fields() {
        if let Item::Set { text, .. } | Item::Unset { text, .. } = i {
            let _ = writeln!(out, "        {text}");
        }
    }
    out.push_str("    next\n");
}

/// Where a reference to an owned object sits outside ownership.
struct Holder {
    what: String,
    line: usize,
}

/// Every reference to `name` outside conduitc's ownership in `blocks`.
fn holders(blocks: &[Block], name: &str) -> Vec<Holder> {
    fn walk_items(
        items: &[Item],
        path: &str,
        owner: Option<&Entry>,
        name: &str,
        out: &mut Vec<Holder>,
    ) {
        for i in items {
            match i {
                Item::Set { values, line, .. } if values.iter().any(|v| v == name) => {
                    let what = match owner {
                        Some(e) if path == POLICY || path == "firewall policy6" => {
                            let pname = e
                                .get("name")
                                .and_then(|v| v.first())
                                .map(|n| format!(" \"{n}\""))
                                .unwrap_or_default();
                            format!("policy {}{pname} in `config {path}`", e.key)
                        }
                        Some(e) => format!("`{}` in `config {path}`", e.key),
                        None => format!("`config {path}`"),
                    };
                    out.push(Holder { what, line: *line });
                }
                Item::Edit(e) => {
                    let owned = match path {
                        p if p == POLICY || LOCAL_IN.contains(&p) => {
                            e.key.parse().is_ok_and(owned_id)
                        }
                        p if CREATE.contains(&p) => owned_name(&e.key),
                        _ => false,
                    };
                    if !owned {
                        walk_items(&e.items, path, Some(e), name, out);
                    }
                }
                Item::Config(b) => walk_items(&b.items, path, owner, name, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for b in blocks {
        walk_items(&b.items, &b.path, None, name, &mut out);
    }
    out
}

/// The transition from `previous_text` to `new_text` (the build of
/// `rules`).
pub(super) fn transition(
    rules: &RuleSet,
    new_text: &str,
    previous_text: &str,
) -> Result<String, EmitError> {
    let old_blocks = read(previous_text)?;
    let old = State::of(&old_blocks)?;
    let new_blocks = read(new_text).map_err(|e| EmitError::Unsupported {
        target: TARGET,
        what: format!("its own build ({e})"),
    })?;
    let new = State::of(&new_blocks)?;

    // What PREVIOUS holds that conduitc owns, checked.
    let mut owned_objects = 0usize;
    for (table, e) in old.owned_objects() {
        check_owned(table, e)?;
        owned_objects += 1;
    }
    let other_objects = old.objects.values().map(Vec::len).sum::<usize>() - owned_objects;
    let old_owned: Vec<&(u32, Entry)> = old
        .policies
        .iter()
        .filter(|(id, _)| owned_id(*id))
        .collect();
    let mut seen = BTreeSet::new();
    for (id, e) in &old.policies {
        if !seen.insert(*id) {
            return Err(previous(e.line, format!("policy {id} appears twice")));
        }
    }
    let new_ids: BTreeSet<u32> = new.policies.iter().map(|(id, _)| *id).collect();
    // FortiOS refuses two policies under one name: an operator policy must
    // not hold the name of a conduitc policy.
    let policy_name = |e: &Entry| {
        e.get("name")
            .and_then(|v| v.first())
            .map(|n| n.to_ascii_lowercase())
    };
    for (id, e) in old.policies.iter().filter(|(id, _)| !owned_id(*id)) {
        if let Some(n) = policy_name(e) {
            if new
                .policies
                .iter()
                .any(|(_, ne)| policy_name(ne).as_deref() == Some(n.as_str()))
            {
                return Err(previous(
                    e.line,
                    format!(
                        "policy {id} is named \"{}\", the name of a conduitc policy in the new build; rename it",
                        e.get("name").and_then(|v| v.first()).map_or("", String::as_str)
                    ),
                ));
            }
        }
    }

    // a. New objects.
    let mut script = String::new();
    let mut created = 0usize;
    for table in CREATE {
        let mut part = String::new();
        for e in new.objects.get(table).into_iter().flatten() {
            if old.object(table, &e.key).is_none() {
                body(&mut part, &quote(&e.key)?, e);
                created += 1;
            }
        }
        if !part.is_empty() {
            let _ = writeln!(script, "config {table}");
            script.push_str(&part);
            script.push_str("end\n");
        }
    }

    // b. Policies: deletions, edits, then moves into one block.
    let mut part = String::new();
    let mut order: Vec<u32> = old.policies.iter().map(|(id, _)| *id).collect();
    let (mut deleted, mut changed, mut added) = (0usize, 0usize, 0usize);
    for (id, _) in &old_owned {
        if !new_ids.contains(id) {
            let _ = writeln!(part, "    delete {id}");
            order.retain(|x| x != id);
            deleted += 1;
        }
    }
    for (id, e) in &new.policies {
        match old_owned.iter().find(|(o, _)| o == id) {
            Some((_, o)) if same_policy(o, e) => {}
            Some(_) => {
                body(&mut part, &id.to_string(), e);
                changed += 1;
            }
            None => {
                body(&mut part, &id.to_string(), e);
                order.push(*id);
                added += 1;
            }
        }
    }
    // The block starts after the operator policy that preceded the first
    // conduitc policy on the device, or at the top. Without a conduitc
    // policy on the device it goes directly above the deny policies at the
    // bottom of the table (the customary deny-all), else at the end.
    let anchor: Option<u32> = match old.policies.iter().position(|(id, _)| owned_id(*id)) {
        Some(i) => old
            .policies
            .get(..i)
            .and_then(|before| before.iter().rev().find(|(id, _)| !owned_id(*id)))
            .map(|(id, _)| *id),
        None => old
            .policies
            .iter()
            .rev()
            .find(|(_, e)| e.get("action").is_none_or(|a| a != ["deny"]))
            .map(|(id, _)| *id),
    };
    let mut prev = anchor;
    let mut moved = 0usize;
    for (id, _) in &new.policies {
        let Some(pos) = order.iter().position(|x| x == id) else {
            continue;
        };
        let in_place = match prev {
            Some(p) => pos > 0 && order.get(pos - 1) == Some(&p),
            None => pos == 0,
        };
        if !in_place {
            order.remove(pos);
            match prev {
                Some(p) => {
                    let at = order
                        .iter()
                        .position(|x| *x == p)
                        .map_or(order.len(), |i| i + 1);
                    order.insert(at, *id);
                    let _ = writeln!(part, "    move {id} after {p}");
                }
                None => {
                    if let Some(&first) = order.first() {
                        let _ = writeln!(part, "    move {id} before {first}");
                    }
                    order.insert(0, *id);
                }
            }
            moved += 1;
        }
        prev = Some(*id);
    }
    if !part.is_empty() {
        let _ = writeln!(script, "config {POLICY}");
        script.push_str(&part);
        script.push_str("end\n");
    }

    // b2. Local-in tables: deletions, edits, then moves so the conduitc
    //     entries form one block in build order after the operator's (the
    //     build's last entry denies everything else, so nothing after it
    //     would ever match). A new entry is appended after that deny,
    //     where it matches nothing until it is moved into place.
    let mut local_changes = 0usize;
    for (t, table) in LOCAL_IN.iter().enumerate() {
        let (Some(old_t), Some(new_t)) = (old.local.get(t), new.local.get(t)) else {
            continue;
        };
        let mut part = String::new();
        let mut order: Vec<u32> = old_t.iter().map(|(id, _)| *id).collect();
        let new_ids: BTreeSet<u32> = new_t.iter().map(|(id, _)| *id).collect();
        for (id, _) in old_t.iter().filter(|(id, _)| owned_id(*id)) {
            if !new_ids.contains(id) {
                let _ = writeln!(part, "    delete {id}");
                order.retain(|x| x != id);
                local_changes += 1;
            }
        }
        for (id, e) in new_t {
            match old_t.iter().find(|(o, _)| o == id) {
                Some((_, o)) if same_policy(o, e) => {}
                Some(_) => {
                    body(&mut part, &id.to_string(), e);
                    local_changes += 1;
                }
                None => {
                    body(&mut part, &id.to_string(), e);
                    order.push(*id);
                    local_changes += 1;
                }
            }
        }
        // The block follows the last operator entry, or starts the table.
        let mut prev: Option<u32> = order.iter().rev().find(|id| !owned_id(**id)).copied();
        for (id, _) in new_t {
            let Some(pos) = order.iter().position(|x| x == id) else {
                continue;
            };
            let in_place = match prev {
                Some(p) => pos > 0 && order.get(pos - 1) == Some(&p),
                None => pos == 0,
            };
            if !in_place {
                order.remove(pos);
                match prev {
                    Some(p) => {
                        let at = order
                            .iter()
                            .position(|x| *x == p)
                            .map_or(order.len(), |i| i + 1);
                        order.insert(at, *id);
                        let _ = writeln!(part, "    move {id} after {p}");
                    }
                    None => {
                        if let Some(&first) = order.first() {
                            let _ = writeln!(part, "    move {id} before {first}");
                        }
                        order.insert(0, *id);
                    }
                }
            }
            prev = Some(*id);
        }
        if !part.is_empty() {
            let _ = writeln!(script, "config {table}");
            script.push_str(&part);
            script.push_str("end\n");
        }
    }

    // c. Owned objects the new build no longer has: groups first.
    let mut removed = 0usize;
    for table in DELETE {
        let mut part = String::new();
        for e in old.objects.get(table).into_iter().flatten() {
            if !owned_name(&e.key) || new.object(table, &e.key).is_some() {
                continue;
            }
            if let Some(h) = holders(&old_blocks, &e.key).first() {
                return Err(EmitError::InUse {
                    target: TARGET,
                    line: h.line,
                    message: format!(
                        "`{}` (config {table}) is not in the new build, but {} refers to it; remove that reference first, or keep the object under a name outside the `{PREFIX}` prefix",
                        e.key, h.what
                    ),
                });
            }
            let _ = writeln!(part, "    delete {}", quote(&e.key)?);
            removed += 1;
        }
        if !part.is_empty() {
            let _ = writeln!(script, "config {table}");
            script.push_str(&part);
            script.push_str("end\n");
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# conduitc {} fortios transition (FortiOS 6.4 and later)",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        out,
        "# PREVIOUS: {} conduitc policies and {owned_objects} conduitc objects; {} other policies and {other_objects} other objects, left as they are",
        old_owned.len(),
        old.policies.len() - old_owned.len()
    );
    let _ = writeln!(
        out,
        "# {}",
        build_summary(rules, "no firewall: interfaces \"any\"")
    );
    if script.is_empty() {
        out.push_str("# no change: the device already runs this build\n");
        return Ok(out);
    }
    let _ = writeln!(
        out,
        "# policies: {added} new, {changed} changed, {deleted} deleted, {moved} moved; objects: {created} new, {removed} deleted"
    );
    if local_changes > 0 {
        let _ = writeln!(
            out,
            "# local-in entries (traffic to the device itself): {local_changes} new, changed or deleted"
        );
    }
    out.push_str(&script);
    Ok(out)
}
