//! The `fortios` backend: FortiOS 6.4+ CLI configuration.
//!
//! # What is emitted
//!
//! In this order, so every object exists before it is referenced:
//!
//! 1. `config firewall address` / `address6`: one object per interval of
//!    the address sets the policies use, shared by every set that holds
//!    the interval. An interval that is a prefix becomes
//!    `set type ipmask` + `set subnet` (`ipprefix` + `ip6`), any other
//!    interval `set type iprange` + `start-ip`/`end-ip`. The type is always
//!    written, so re-applying the file over an older version never leaves a
//!    stale type behind.
//! 2. `config firewall addrgrp` / `addrgrp6`: one group per address set,
//!    always (even for one member), so a policy names exactly one group per
//!    side and family.
//! 3. `config firewall service custom`: one service per port range, ICMP
//!    type or protocol.
//! 4. `config firewall service group`: one per set of more than one service
//!    that a flow needs, shared by the flows that need the same set.
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
//! Every object lives under the reserved prefix `conduit-` and is named
//! from its content, never from its position, so one name means the same
//! thing in every build, every isolation mode and every version: pasting
//! one build over another never re-points a policy that survives from the
//! old one, and never overwrites an object of the operator's (whose names
//! must not start with `conduit-`).
//!
//! - Address objects: `conduit-a4-ADDR` for one address,
//!   `conduit-a4-ADDRmLEN` for a prefix (`conduit-a4-10.120.0.0m24`),
//!   `conduit-a4-LO-HI` for a range that is not one prefix; `conduit-a6-`
//!   likewise, the IPv6 address written as RFC 5952 text (lower-case hex,
//!   the first longest run of zero groups compressed, never a dotted IPv4
//!   tail) with `.` for `:` (`conduit-a6-2001.db8.10..m48`). An IPv6 range
//!   whose name would pass the limit writes each end as 32 hex digits.
//! - Address groups: `conduit-g4-` / `conduit-g6-` and 16 hex digits of a
//!   SHA-256 of the kind and the member names in address order.
//! - Services: `conduit-tcp-502`, `conduit-udp-20000-20010`,
//!   `conduit-icmp-8`, `conduit-icmp6-128`, `conduit-ip-47`, and
//!   `conduit-ip-any` for monitor catch-alls.
//! - Service groups: `conduit-sg-` and 16 hex digits of a SHA-256 of the
//!   member names in the order above.
//!
//! Every object name fits the limit of 79 characters (from the platform
//! table). Two sets
//! whose group names would clash within one build are refused, not
//! emitted. Policy names (`set name`, limit 35) are the flow's full name
//! `conduit/flow` (`conduit/monitor.DSTZONE` for a catch-all, which no
//! flow name can equal); a longer name keeps its first 26 characters and
//! gets `-` and eight hex digits of a SHA-256 of the full name. Generated
//! names use only letters, digits and `._/-`, avoiding characters the
//! FortiOS GUI refuses in names. Every name is checked for uniqueness
//! (ignoring case); a clash is refused rather than emitted.
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
//!   reserved range), so re-applying a new version edits the same policies
//!   instead of duplicating them (`edit 0` is never used). When two
//!   policies of one build hash to the same ID, the one whose key (full
//!   name, source zone, destination zone) sorts first keeps it and the
//!   other takes the next free ID above (wrapping within the range): the
//!   IDs depend on which flows the build holds, never on their order. The device evaluates policies in configuration order,
//!   not by ID; all policies here are accepts, so their relative order does
//!   not change what passes. Pasted onto a device, new policies are
//!   appended after any existing ones: a plain build is for a device
//!   without an earlier conduitc configuration (its header says so); a
//!   device that runs one takes a transition (below).
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
//! # Transitions
//!
//! [`transition_to`] writes the script that takes a device from PREVIOUS
//! (an earlier build, or the device's configuration backup / `show
//! full-configuration`) to this build (`transition` in this directory;
//! `read` reads PREVIOUS).
//!
//! - **Reading.** PREVIOUS is read whole as a tree of `config`/`edit`/
//!   `set`/`unset`/`next`/`end` (comments, `#config-version=` headers,
//!   every table, nested blocks, quoted strings); an unbalanced block or any
//!   other statement form is `E816` with its line, so text from another
//!   vendor, nftables, JSON or binary is refused, and so is a change script
//!   (`delete`, `move`). Only `firewall address`, `address6`, `addrgrp`,
//!   `addrgrp6`, `service custom`, `service group` and `policy` are
//!   interpreted; every table is searched for references.
//! - **Ownership.** conduitc owns objects named `conduit-...` (any case)
//!   and policies with IDs in 1000000-999999999. An owned object must hold
//!   what its name says (the content-derived name is recomputed); one
//!   edited by hand, or a `conduit-` name conduitc never writes, is `E816`
//!   with the line of its `edit`. So is an operator policy carrying the
//!   name of a policy of the new build (FortiOS refuses two policies under
//!   one name), and a firewall table nested in another block (a multi-VDOM
//!   backup: one VDOM's configuration is needed). Nothing outside
//!   ownership is written.
//! - **The script.** A header (`# conduitc VERSION fortios transition`,
//!   what PREVIOUS held, the build summary, the counts of changes), then:
//!   1. new address and address6 objects, new services, then new groups;
//!      an object already on the device under the same name is not
//!      repeated (same name, same content);
//!   2. one `config firewall policy`: `delete ID` for owned policies the
//!      build lacks, `edit ID` with every `set` (and the `unset` of an
//!      address family the policy no longer has) for new and changed
//!      policies, unchanged ones left alone, then `move` so the conduitc
//!      policies form one contiguous block in build order: the block starts
//!      where the first conduitc policy was (after the operator policy that
//!      preceded it, or at the top); with no conduitc policy on the device,
//!      directly above the deny policies at the bottom of the table (the
//!      customary deny-all), or at the end when the table does not end in
//!      one. A new policy, which FortiOS appends at the bottom, is moved up
//!      into the block. Only moves that change the order are written;
//!   3. deletion of the owned objects the build no longer uses: service
//!      and address groups first, then services and addresses. When
//!      configuration outside ownership (an operator policy or group, any
//!      other table) refers to one of them, the transition is refused with
//!      `E817`, naming the object and what refers to it (policy ID and
//!      name) with its line.
//!
//!   Between one `end` and the next the device therefore admits what the
//!   old build admits (objects only appear or disappear unused) or what
//!   the new one does: never what neither admits.
//! - **No change.** When the device already runs the build, the script is
//!   the header and `# no change: the device already runs this build`.
//!
//! Every refusal comes before the first byte is written.
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
//!
//! # Layout
//!
//! This file renders; `validate` refuses names
//! before anything is planned, `plan` merges each flow's rules into one
//! policy, `naming` names objects, groups and policies within the limits of
//! the platform table ([`crate::model::platform::FORTIOS`]), `quote` quotes
//! every string, `read` reads PREVIOUS and `transition` writes transitions.

mod naming;
mod plan;
mod quote;
mod read;
pub(crate) use read::{read as read_tree, Block as Tree, Entry as TreeEntry, Item as TreeItem};
mod transition;
mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::guard::printable_lines;
use super::header::build_summary;
use super::EmitError;
use crate::lower::{LocalRule, Rule, RuleSet};
use crate::model::platform::FORTIOS;
use crate::model::AddrSet;
use naming::{form, group_name, policy_ids, shorten, AddrNames, Form, Names};
use plan::{plan, Group, Svc};
use quote::quote;
use validate::validate;

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

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
enum Family {
    V4,
    V6,
}

impl Family {
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

/// Writes the same text as [`emit`] to `out`, in pieces of about
/// [`CHUNK`] bytes as it renders, so memory does not grow with the text.
/// Every refusal is decided before the first byte: the text is rendered
/// once into a sink that checks and discards it, then again into `out`.
pub fn emit_to(rules: &RuleSet, out: &mut dyn std::io::Write) -> Result<(), EmitError> {
    render(rules, Sink::Stream(out))
}

/// Writes the transition from `previous` to the build of `rules` (see
/// [`super::emit_transition`]).
pub fn transition_to(
    rules: &RuleSet,
    previous: &str,
    out: &mut dyn std::io::Write,
) -> Result<(), EmitError> {
    let new = emit(rules)?;
    let text = transition::transition(rules, &new, previous)?;
    printable_lines(TARGET, &text)?;
    out.write_all(text.as_bytes()).map_err(|e| EmitError::Io {
        target: TARGET,
        message: e.to_string(),
    })
}

/// Emits `rules` as FortiOS 6.4+ configuration (see the module docs).
pub fn emit(rules: &RuleSet) -> Result<String, EmitError> {
    let mut text = String::new();
    render(rules, Sink::Memory(&mut text))?;
    Ok(text)
}

/// Pieces of about this many bytes reach a streamed writer.
const CHUNK: usize = 64 * 1024;

/// Where [`render`] puts the text.
enum Sink<'w> {
    /// Collected whole (refusals found while rendering leave it unused).
    Memory(&'w mut String),
    /// Streamed, after a first pass that finds every refusal.
    Stream(&'w mut dyn std::io::Write),
}

/// Plans `rules` and writes the text into `sink`.
fn render(rules: &RuleSet, sink: Sink<'_>) -> Result<(), EmitError> {
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

    // 2b. Traffic to the device itself: one local-in entry per entry and
    //     source zone, planned like a flow (see the module docs).
    let local_rules: Vec<Rule> = rules.local.iter().map(LocalRule::as_flow_rule).collect();
    let mut local_groups: Vec<Group> = Vec::new();
    for rule in &local_rules {
        let Some(from) = zone_index(&rule.src_zone) else {
            return Err(unsupported(format!(
                "local rule {} from zone {}, not in the rule set",
                rule.name, rule.src_zone
            )));
        };
        let boxed = (rule.src.intersection(&zones[from].addrs), rule.dst.clone());
        match local_groups
            .iter_mut()
            .find(|g| g.src_zone == from && g.first.name.eq_ignore_ascii_case(&rule.name))
        {
            Some(g) => {
                g.rules.push(rule);
                g.boxes.push(boxed);
            }
            None => local_groups.push(Group {
                first: rule,
                src_zone: from,
                dst_zone: from,
                rules: vec![rule],
                boxes: vec![boxed],
            }),
        }
    }
    // Logged entries first, then by name (the lowering's order).
    local_groups.sort_by_key(|g| !g.first.log);
    let mut local_plans = Vec::new();
    for g in &local_groups {
        if let Some(p) = plan(g, true)? {
            local_plans.push(p);
        }
    }

    // 3. Name address sets and their intervals from their content.
    //    Per policy and family, the names its source and destination take
    //    (indices into `addr_names`), so writing does not look them up.
    let mut addr_names = AddrNames::default();
    let mut refs: Vec<AddrRefs> = Vec::with_capacity(plans.len() + local_plans.len());
    for p in plans.iter().chain(&local_plans) {
        let mut r: AddrRefs = [None; 2];
        for (slot, fam) in r.iter_mut().zip([Family::V4, Family::V6]) {
            if let Some((s, d)) = p.addrs(fam) {
                let si = addr_names.name(fam, &s)?;
                let di = addr_names.name(fam, &d)?;
                *slot = Some((si, di));
            }
        }
        refs.push(r);
    }
    let local_refs = refs.split_off(plans.len());

    // 4. Services and service groups, named from their content.
    let mut services: BTreeSet<Svc> = BTreeSet::new();
    let mut svc_groups: BTreeMap<String, Vec<Svc>> = BTreeMap::new();
    let mut names = Names::default();
    for p in plans.iter_mut().chain(local_plans.iter_mut()) {
        services.extend(p.services.iter().copied());
        if p.services.len() > 1 {
            let members: Vec<String> = p.services.iter().map(|s| s.name()).collect();
            let name = group_name("sg", &members);
            match svc_groups.get(&name) {
                Some(m) if *m != p.services => {
                    return Err(bad(format!(
                        "service group name {name} would stand for two different sets"
                    )))
                }
                Some(_) => {}
                None => {
                    names.claim(&name, "service group")?;
                    svc_groups.insert(name.clone(), p.services.clone());
                }
            }
            p.service_ref = name;
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
    let keys: Vec<String> = plans
        .iter()
        .map(|p| {
            format!(
                "conduitc-policy\n{}\n{}\n{}",
                p.rule.name, p.rule.src_zone, p.rule.dst_zone
            )
        })
        .collect();
    let mut policy_names = Names::default();
    for (p, id) in plans.iter_mut().zip(policy_ids(&keys)) {
        p.id = id;
        let base = if p.rule.monitor {
            format!("{}/monitor.{}", p.rule.conduit, p.rule.dst_zone)
        } else {
            p.rule.name.clone()
        };
        p.policy_name = shorten(&base, POLICY_NAME_MAX);
        policy_names.claim(&p.policy_name, "policy")?;
    }

    // 5b. Local-in IDs: from the entry's name and source zone, and one for
    //     the final deny, in the same range as policy IDs.
    let local_keys: Vec<String> = local_plans
        .iter()
        .map(|p| format!("conduitc-local-in\n{}\n{}", p.rule.name, p.rule.src_zone))
        .chain([LOCAL_DENY_KEY.to_string()])
        .collect();
    let mut local_ids = policy_ids(&local_keys);
    let deny_id = local_ids.pop().unwrap_or(LOCAL_DENY_FALLBACK_ID);
    for (p, id) in local_plans.iter_mut().zip(local_ids) {
        p.id = id;
    }

    // 6. Write.
    let parts = Parts {
        rules,
        addr_names: &addr_names,
        services: &services,
        svc_groups: &svc_groups,
        plans: &plans,
        local_plans: &local_plans,
        refs: &refs,
        local_refs: &local_refs,
        deny_id,
    };
    match sink {
        Sink::Memory(text) => write_text(&parts, &mut |piece: &str| {
            printable_lines(TARGET, piece)?;
            text.push_str(piece);
            Ok(())
        }),
        Sink::Stream(out) => {
            write_text(&parts, &mut |piece: &str| printable_lines(TARGET, piece))?;
            write_text(&parts, &mut |piece: &str| {
                out.write_all(piece.as_bytes()).map_err(io_error)
            })?;
            out.flush().map_err(io_error)
        }
    }
}

fn io_error(e: std::io::Error) -> EmitError {
    EmitError::Io {
        target: TARGET,
        message: e.to_string(),
    }
}

/// What step 6 of [`render`] writes from.
struct Parts<'p, 'r> {
    rules: &'r RuleSet,
    addr_names: &'p AddrNames,
    services: &'p BTreeSet<Svc>,
    svc_groups: &'p BTreeMap<String, Vec<Svc>>,
    plans: &'p [plan::Plan<'r>],
    local_plans: &'p [plan::Plan<'p>],
    /// Per plan, the names of its addresses.
    refs: &'p [AddrRefs],
    /// Per local plan, the names of its addresses.
    local_refs: &'p [AddrRefs],
    deny_id: u32,
}

/// Per family (IPv4, IPv6), the indices of a policy's source and
/// destination names in [`AddrNames`], when it has addresses of the family.
type AddrRefs = [Option<(usize, usize)>; 2];

/// Hands `out` to `put` once it holds [`CHUNK`] bytes (or, with `all`,
/// whatever it holds), and empties it.
fn spill(
    out: &mut String,
    put: &mut dyn FnMut(&str) -> Result<(), EmitError>,
    all: bool,
) -> Result<(), EmitError> {
    if out.len() >= CHUNK || (all && !out.is_empty()) {
        put(out)?;
        out.clear();
    }
    Ok(())
}

/// Writes the text of planned `parts`, in pieces, into `put`.
fn write_text(
    parts: &Parts<'_, '_>,
    put: &mut dyn FnMut(&str) -> Result<(), EmitError>,
) -> Result<(), EmitError> {
    let Parts {
        rules,
        addr_names,
        services,
        svc_groups,
        plans,
        local_plans,
        refs,
        local_refs,
        deny_id,
    } = *parts;
    let zones = &rules.zones;
    let mut out = String::with_capacity(CHUNK + 4096);
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
        for (name, iv) in &objects {
            edit(&mut out, &quote(name)?, &address_body(*iv, fam));
            spill(&mut out, put, false)?;
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
            spill(&mut out, put, false)?;
        }
        out.push_str("end\n");
    }
    if !services.is_empty() {
        out.push_str("config firewall service custom\n");
        for s in services {
            edit(&mut out, &quote(&s.name())?, &s.body());
            spill(&mut out, put, false)?;
        }
        out.push_str("end\n");
    }
    if !svc_groups.is_empty() {
        out.push_str("config firewall service group\n");
        for (name, members) in svc_groups {
            let m = members
                .iter()
                .map(|s| quote(&s.name()))
                .collect::<Result<Vec<_>, _>>()?;
            edit(
                &mut out,
                &quote(name)?,
                &[format!("set member {}", m.join(" "))],
            );
            spill(&mut out, put, false)?;
        }
        out.push_str("end\n");
    }
    out.push_str("config firewall policy\n");
    for (p, r) in plans.iter().zip(refs) {
        let mut lines = vec![
            format!("set name {}", quote(&p.policy_name)?),
            format!("set srcintf {}", quote(&p.in_iface)?),
            format!("set dstintf {}", quote(&p.out_iface)?),
            "set action accept".to_string(),
        ];
        for (names, suffix) in r.iter().zip(["", "6"]) {
            match *names {
                Some((s, d)) => {
                    let sn = addr_names.quoted(s)?;
                    let dn = addr_names.quoted(d)?;
                    lines.push(format!("set srcaddr{suffix} {sn}"));
                    lines.push(format!("set dstaddr{suffix} {dn}"));
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
        spill(&mut out, put, false)?;
    }
    out.push_str("end\n");
    if rules.filters_local() {
        for (fi, table) in [(0, "local-in-policy"), (1, "local-in-policy6")] {
            let _ = writeln!(out, "config firewall {table}");
            for (p, r) in local_plans.iter().zip(local_refs) {
                let Some((s, d)) = r.get(fi).copied().flatten() else {
                    continue;
                };
                let comments = local_comments(p.rule, zones.get(p.src_zone))?;
                let lines = vec![
                    format!("set intf {}", quote(&p.in_iface)?),
                    format!("set srcaddr {}", addr_names.quoted(s)?),
                    format!("set dstaddr {}", addr_names.quoted(d)?),
                    "set action accept".to_string(),
                    format!("set service {}", quote(&p.service_ref)?),
                    "set schedule \"always\"".to_string(),
                    format!("set comments {}", quote(&comments)?),
                ];
                edit(&mut out, &p.id.to_string(), &lines);
                spill(&mut out, put, false)?;
            }
            let deny = [
                "set intf \"any\"".to_string(),
                "set srcaddr \"all\"".to_string(),
                "set dstaddr \"all\"".to_string(),
                "set action deny".to_string(),
                "set service \"ALL\"".to_string(),
                "set schedule \"always\"".to_string(),
                format!("set comments {}", quote(LOCAL_DENY_COMMENT)?),
            ];
            edit(&mut out, &deny_id.to_string(), &deny);
            out.push_str("end\n");
        }
    }
    spill(&mut out, put, true)
}

/// The key the ID of the final local-in deny is derived from.
const LOCAL_DENY_KEY: &str = "conduitc-local-in-deny";
/// Never used: `policy_ids` returns one ID per key.
const LOCAL_DENY_FALLBACK_ID: u32 = 1_000_000;
/// The comments of the final local-in deny.
pub(super) const LOCAL_DENY_COMMENT: &str = "conduitc: nothing else to the device itself";

/// `FIREWALL/ENTRY owner=OWNER from=ZONE`: the entry first, as for flows.
fn local_comments(rule: &Rule, zone: Option<&crate::lower::ZoneInfo>) -> Result<String, EmitError> {
    let c = format!(
        "{} owner={} from={}",
        rule.name,
        rule.owner,
        zone.map_or("", |z| z.name.as_str())
    );
    if c.len() > COMMENTS_MAX {
        return Err(bad(format!(
            "comments for {} exceed {COMMENTS_MAX} characters",
            rule.name
        )));
    }
    Ok(c)
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
        "# For a device without an earlier conduitc configuration. On a device that runs an\n\
         # earlier build, apply the transition `conduitc build --from PREVIOUS` writes instead\n\
         # (PREVIOUS: the earlier build's file, or the device's configuration backup).\n\
         # Only the policies below accept traffic; everything else meets the implicit deny.\n",
    );
}

/// The lines after `edit` of the address object for one interval: a
/// subnet (prefix) when the interval is one, else a range.
fn address_body(iv: (u128, u128), fam: Family) -> Vec<String> {
    match (form(iv, fam), fam) {
        (Form::Prefix(a, len), Family::V4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            vec![
                "set type ipmask".to_string(),
                format!("set subnet {a} {}", Ipv4Addr::from(mask)),
            ]
        }
        (Form::Prefix(a, len), Family::V6) => vec![
            "set type ipprefix".to_string(),
            format!("set ip6 {a}/{len}"),
        ],
        (Form::Range(lo, hi), _) => vec![
            "set type iprange".to_string(),
            format!("set start-ip {lo}"),
            format!("set end-ip {hi}"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::{Match, Rule, ZoneInfo};
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
            local: Vec::new(),
        }
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
        let group = naming::group_name(
            "sg",
            &[
                "conduit-tcp-502".to_string(),
                "conduit-udp-2222".to_string(),
            ],
        );
        assert!(
            out.contains(&format!("        set service \"{group}\"\n")),
            "{out}"
        );
        assert!(
            out.contains("        set member \"conduit-tcp-502\" \"conduit-udp-2222\"\n"),
            "{out}"
        );
        assert!(
            out.contains("    edit \"conduit-a4-10.1.0.0m24\"\n"),
            "{out}"
        );
        assert!(out.contains("    edit \"conduit-a4-10.2.0.5\"\n"), "{out}");
        assert!(
            out.contains("        set subnet 10.1.0.0 255.255.255.0\n"),
            "{out}"
        );
        assert!(out.contains("        unset srcaddr6\n"), "{out}");
        assert!(!out.contains("edit 0\n"));
    }

    /// The IDs of the policies in `out`, by policy name.
    fn ids(out: &str) -> Vec<(String, u32)> {
        let mut res = Vec::new();
        let mut id = None;
        for l in out.lines() {
            if let Some(n) = l.strip_prefix("    edit ") {
                id = n.parse().ok();
            } else if let (Some(n), Some(i)) = (l.strip_prefix("        set name "), id) {
                res.push((n.trim_matches('"').to_string(), i));
            }
        }
        res.sort();
        res
    }

    #[test]
    fn clashing_policy_ids_do_not_depend_on_flow_order() {
        // These two flows between `a` and `b` hash to the same ID.
        let r = |n| {
            rule(
                n,
                "10.1.0.0/24",
                "10.2.0.5/32",
                Match::Tcp(PortSet::single(502)),
            )
        };
        let want = vec![
            ("c/f13600".to_string(), 412_068_364),
            ("c/f5010".to_string(), 412_068_365),
        ];
        let one = emit(&set(vec![r("c/f5010"), r("c/f13600")])).unwrap();
        let other = emit(&set(vec![r("c/f13600"), r("c/f5010")])).unwrap();
        assert_eq!(ids(&one), want, "{one}");
        assert_eq!(ids(&other), want, "{other}");
        // Alone, the flow that moved up takes its own slot.
        let alone = emit(&set(vec![r("c/f5010")])).unwrap();
        assert_eq!(ids(&alone), [("c/f5010".to_string(), 412_068_364)]);
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
