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

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt as _};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::guard::printable_lines;
use super::header::build_summary;
use super::{push_decimal, EmitError};
use crate::lower::{LocalRule, Rule, RuleSet};
use crate::model::platform::FORTIOS;
use crate::model::AddrSet;
use naming::{
    form, group_name, id_slot_of_parts, policy_ids, policy_ids_by, shorten, AddrNames, FamSet,
    Form, Names,
};
use plan::{check_comments, clip, plan, Entry, Group, Svc, SvcSets};
use quote::{push_escaped, push_quoted, quote};
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
    fn has(self, set: &AddrSet) -> bool {
        match self {
            Family::V4 => set.has_v4(),
            Family::V6 => set.has_v6(),
        }
    }
}

/// Writes the same text as [`emit`] to `out`, in pieces of about
/// [`CHUNK`] bytes as it renders, so memory does not grow with the text.
/// Every refusal is decided before the first byte: planning checks every
/// string the text will hold, so writing can fail only on I/O.
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
    /// Streamed as it is written (planning has found every refusal).
    Stream(&'w mut dyn std::io::Write),
}

/// A name compared and hashed ignoring ASCII case, without a lower-case
/// copy.
#[derive(Clone, Copy)]
struct NoCase<'a>(&'a str);

impl PartialEq for NoCase<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for NoCase<'_> {}

impl std::hash::Hash for NoCase<'_> {
    /// Every byte with bit 5 set (`0x20`), eight at a time (the last few
    /// padded with zeros), then the length: names equal but for the case
    /// of letters differ only in that bit of their letters, so they hash
    /// alike (a few other names do too, which equality sorts out).
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        const FOLD: u64 = 0x2020_2020_2020_2020;
        let mut words = self.0.as_bytes().chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            h.write_u64(u64::from_le_bytes(b) | FOLD);
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            if let Some(head) = b.get_mut(..rest.len()) {
                head.copy_from_slice(rest);
            }
            h.write_u64(u64::from_le_bytes(b) | FOLD);
        }
        h.write_usize(self.0.len());
    }
}

/// Plans `rules` and writes the text into `sink`. Every refusal comes
/// from planning: writing can fail only on I/O.
fn render(rules: &RuleSet, sink: Sink<'_>) -> Result<(), EmitError> {
    validate(rules)?;
    let zones = &rules.zones;
    let by_name: HashMap<NoCase<'_>, usize> = zones
        .iter()
        .enumerate()
        .rev()
        .map(|(i, z)| (NoCase(&z.name), i))
        .collect();
    let zone_index = |name: &str| by_name.get(&NoCase(name)).copied();

    // 1. Group rules by (flow, zones), in rule order.
    let mut entries: Vec<Entry> = Vec::with_capacity(rules.rules.len());
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(NoCase<'_>, usize, usize), usize> = HashMap::new();
    // The group of the rule before: lowering writes a flow's rules one
    // after the other, so most rules join it without a look-up.
    let mut last: Option<(&Rule, usize, usize, usize)> = None;
    for rule in &rules.rules {
        let zones_of_last = last.and_then(|(r, f, t, _)| {
            (r.src_zone == rule.src_zone && r.dst_zone == rule.dst_zone).then_some((f, t))
        });
        let (Some(from), Some(to)) = zones_of_last.map_or_else(
            || (zone_index(&rule.src_zone), zone_index(&rule.dst_zone)),
            |(f, t)| (Some(f), Some(t)),
        ) else {
            return Err(unsupported(format!(
                "rule {} between zones {} and {}, not both in the rule set",
                rule.name, rule.src_zone, rule.dst_zone
            )));
        };
        let (Some(zf), Some(zt)) = (zones.get(from), zones.get(to)) else {
            return Err(unsupported(format!("rule {}", rule.name)));
        };
        entries.push(Entry {
            rule,
            src: clip(&rule.src, &zf.addrs),
            dst: clip(&rule.dst, &zt.addrs),
            next: None,
        });
        let same = last.and_then(|(r, f, t, i)| {
            (f == from && t == to && r.name.eq_ignore_ascii_case(&rule.name)).then_some(i)
        });
        let key = (NoCase(&rule.name), from, to);
        let at = match same.or_else(|| index.get(&key).copied()) {
            Some(i) => {
                if let Some(g) = groups.get_mut(i) {
                    g.push(&mut entries);
                }
                i
            }
            None => {
                index.insert(key, groups.len());
                groups.extend(Group::new(&entries, from, to));
                groups.len().saturating_sub(1)
            }
        };
        last = Some((rule, from, to, at));
    }
    drop(index);

    // 2. Merge each group into one policy's worth of addresses and services,
    //    refusing any merge that would widen a rule.
    // Logged flows first, catch-alls last (see the module docs).
    groups.sort_by_key(|g| (g.first.monitor, !g.first.log));
    let with_firewall = rules.firewall.is_some();
    let mut svc_sets = SvcSets::default();
    let mut scratch = Vec::new();
    let mut plans = Vec::with_capacity(groups.len());
    for g in &groups {
        if let Some(p) = plan(g, &entries, with_firewall, &mut scratch, &mut svc_sets)? {
            plans.push(p);
        }
    }
    drop(groups);
    drop(entries);

    // 2b. Traffic to the device itself: one local-in entry per entry and
    //     source zone, planned like a flow (see the module docs).
    let local_rules: Vec<Rule> = rules.local.iter().map(LocalRule::as_flow_rule).collect();
    let mut local_entries: Vec<Entry> = Vec::new();
    let mut local_groups: Vec<Group> = Vec::new();
    for rule in &local_rules {
        let Some(from) = zone_index(&rule.src_zone) else {
            return Err(unsupported(format!(
                "local rule {} from zone {}, not in the rule set",
                rule.name, rule.src_zone
            )));
        };
        let Some(zf) = zones.get(from) else {
            return Err(unsupported(format!("local rule {}", rule.name)));
        };
        local_entries.push(Entry {
            rule,
            src: clip(&rule.src, &zf.addrs),
            dst: rule.dst.clone(),
            next: None,
        });
        match local_groups
            .iter_mut()
            .find(|g| g.src_zone == from && g.first.name.eq_ignore_ascii_case(&rule.name))
        {
            Some(g) => g.push(&mut local_entries),
            None => local_groups.extend(Group::new(&local_entries, from, from)),
        }
    }
    // Logged entries first, then by name (the lowering's order).
    local_groups.sort_by_key(|g| !g.first.log);
    let mut local_plans = Vec::new();
    for g in &local_groups {
        if let Some(p) = plan(g, &local_entries, true, &mut scratch, &mut svc_sets)? {
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
        if let Some((s, d)) = &p.v4 {
            r[0] = Some((
                addr_names.name(&FamSet::V4(s.clone()))?,
                addr_names.name(&FamSet::V4(d.clone()))?,
            ));
        }
        if let Some((s, d)) = &p.v6 {
            r[1] = Some((
                addr_names.name(&FamSet::V6(s.clone()))?,
                addr_names.name(&FamSet::V6(d.clone()))?,
            ));
        }
        refs.push(r);
    }
    let local_refs = refs.split_off(plans.len());

    // 4. Services and service groups, named from their content, each set
    //    of services once (in order of first use); per set, the quoted
    //    name a policy refers to.
    let mut services: BTreeSet<Svc> = BTreeSet::new();
    let mut svc_groups: BTreeMap<String, Vec<Svc>> = BTreeMap::new();
    let mut svc_refs: Vec<Option<String>> = vec![None; svc_sets.sets.len()];
    let mut names = Names::default();
    for p in plans.iter().chain(&local_plans) {
        let (Some(set), Some(slot)) = (svc_sets.sets.get(p.services), svc_refs.get_mut(p.services))
        else {
            continue;
        };
        if slot.is_some() {
            continue;
        }
        services.extend(set.iter().copied());
        let name = if set.len() > 1 {
            let members: Vec<String> = set.iter().map(|s| s.name()).collect();
            let name = group_name("sg", &members);
            match svc_groups.get(&name) {
                Some(m) if m != set => {
                    return Err(bad(format!(
                        "service group name {name} would stand for two different sets"
                    )))
                }
                Some(_) => {}
                None => {
                    names.claim_owned(name.clone(), "service group")?;
                    svc_groups.insert(name.clone(), set.clone());
                }
            }
            name
        } else {
            set.first().map(|s| s.name()).unwrap_or_default()
        };
        *slot = Some(quote(&name)?);
    }
    for s in &services {
        names.claim_owned(s.name(), "service")?;
    }
    names.reserve(addr_names.len());
    addr_names.claim_all(&mut names)?;
    drop(names);

    // 5. Policy IDs and names.
    let slots: Vec<u32> = plans
        .iter()
        .map(|p| {
            id_slot_of_parts(&[
                "conduitc-policy",
                &p.rule.name,
                &p.rule.src_zone,
                &p.rule.dst_zone,
            ])
        })
        .collect();
    let ids = policy_ids_by(&slots, |i| {
        plans.get(i).map_or_else(String::new, |p| {
            format!(
                "conduitc-policy\n{}\n{}\n{}",
                p.rule.name, p.rule.src_zone, p.rule.dst_zone
            )
        })
    });
    drop(slots);
    for (p, id) in plans.iter_mut().zip(ids) {
        p.id = id;
        p.policy_name = if p.rule.monitor {
            Cow::Owned(shorten(
                &format!("{}/monitor.{}", p.rule.conduit, p.rule.dst_zone),
                POLICY_NAME_MAX,
            ))
        } else if p.rule.name.len() <= POLICY_NAME_MAX {
            Cow::Borrowed(p.rule.name.as_str())
        } else {
            Cow::Owned(shorten(&p.rule.name, POLICY_NAME_MAX))
        };
    }
    let mut policy_names = Names::with_capacity(plans.len());
    for p in &plans {
        policy_names.claim(&p.policy_name, "policy")?;
    }
    drop(policy_names);

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

    // 5c. Every string the text holds, checked in the order it is written,
    //     so that writing cannot refuse: interfaces quoted once each (a
    //     policy refers to them by index), policy names and comments
    //     checked where they are written unquoted-then-escaped.
    let mut head = String::new();
    header(&mut head, rules);
    printable_lines(TARGET, &head)?;
    let mut ifaces: Vec<String> = Vec::new();
    let mut iface_index: HashMap<&str, usize> = HashMap::new();
    let mut plan_ifaces: Vec<(usize, usize)> = Vec::with_capacity(plans.len());
    for p in &plans {
        quote::check(&p.policy_name)?;
        let i = (
            intern_quoted(&mut ifaces, &mut iface_index, p.in_iface)?,
            intern_quoted(&mut ifaces, &mut iface_index, p.out_iface)?,
        );
        check_comments(&p.comments(zones), p.rule)?;
        plan_ifaces.push(i);
    }
    let mut local_ifaces: Vec<usize> = Vec::with_capacity(local_plans.len());
    if rules.filters_local() {
        for p in &local_plans {
            check_local_comments(p.rule, zones.get(p.src_zone))?;
            local_ifaces.push(intern_quoted(&mut ifaces, &mut iface_index, p.in_iface)?);
        }
    }

    // 6. Write.
    let parts = Parts {
        rules,
        head: &head,
        addr_names: &addr_names,
        services: &services,
        svc_groups: &svc_groups,
        svc_refs: &svc_refs,
        ifaces: &ifaces,
        plans: &plans,
        plan_ifaces: &plan_ifaces,
        local_plans: &local_plans,
        local_ifaces: &local_ifaces,
        refs: &refs,
        local_refs: &local_refs,
        deny_id,
    };
    // The last guard, on every piece: the checks above make it hold.
    match sink {
        Sink::Memory(text) => write_text(&parts, &mut |piece: &str| {
            printable_lines(TARGET, piece)?;
            text.push_str(piece);
            Ok(())
        }),
        Sink::Stream(out) => {
            write_text(&parts, &mut |piece: &str| {
                printable_lines(TARGET, piece)?;
                out.write_all(piece.as_bytes()).map_err(io_error)
            })?;
            out.flush().map_err(io_error)
        }
    }
}

/// The index of `name` quoted in `quoted`, added when new.
fn intern_quoted<'s>(
    quoted: &mut Vec<String>,
    index: &mut HashMap<&'s str, usize>,
    name: &'s str,
) -> Result<usize, EmitError> {
    if let Some(&i) = index.get(name) {
        return Ok(i);
    }
    quoted.push(quote(name)?);
    index.insert(name, quoted.len() - 1);
    Ok(quoted.len() - 1)
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
    /// The header, checked.
    head: &'p str,
    addr_names: &'p AddrNames,
    services: &'p BTreeSet<Svc>,
    svc_groups: &'p BTreeMap<String, Vec<Svc>>,
    /// Per set of services, the quoted name a policy refers to.
    svc_refs: &'p [Option<String>],
    /// Quoted interface names.
    ifaces: &'p [String],
    plans: &'p [plan::Plan<'r>],
    /// Per plan, its interfaces (indices into `ifaces`).
    plan_ifaces: &'p [(usize, usize)],
    local_plans: &'p [plan::Plan<'p>],
    /// Per local plan, its interface (an index into `ifaces`).
    local_ifaces: &'p [usize],
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

/// Writes the text of planned `parts`, in pieces, into `put`. Everything
/// it writes was checked while planning: only `put` can fail.
fn write_text(
    parts: &Parts<'_, '_>,
    put: &mut dyn FnMut(&str) -> Result<(), EmitError>,
) -> Result<(), EmitError> {
    let Parts {
        rules,
        head,
        addr_names,
        services,
        svc_groups,
        svc_refs,
        ifaces,
        plans,
        plan_ifaces,
        local_plans,
        local_ifaces,
        refs,
        local_refs,
        deny_id,
    } = *parts;
    let zones = &rules.zones;
    let iface = |i: usize| ifaces.get(i).map_or("", String::as_str);
    let svc_ref = |i: usize| svc_refs.get(i).and_then(Option::as_deref).unwrap_or("");
    let mut out = String::with_capacity(CHUNK + 4096);
    out.push_str(head);
    for fam in [Family::V4, Family::V6] {
        let mut objects = addr_names.objects_of(fam).peekable();
        if objects.peek().is_none() {
            continue;
        }
        out.push_str(match fam {
            Family::V4 => "config firewall address\n",
            Family::V6 => "config firewall address6\n",
        });
        for (name, iv) in objects {
            out.push_str("    edit ");
            push_quoted(&mut out, name);
            out.push('\n');
            address_body(&mut out, iv, fam);
            out.push_str("    next\n");
            spill(&mut out, put, false)?;
        }
        out.push_str("end\n");
    }
    for fam in [Family::V4, Family::V6] {
        let mut groups = addr_names.groups_of(fam).peekable();
        if groups.peek().is_none() {
            continue;
        }
        out.push_str(match fam {
            Family::V4 => "config firewall addrgrp\n",
            Family::V6 => "config firewall addrgrp6\n",
        });
        for (name, members) in groups {
            out.push_str("    edit ");
            push_quoted(&mut out, name);
            out.push_str("\n        set member");
            for m in members {
                out.push(' ');
                push_quoted(&mut out, m);
            }
            out.push_str("\n    next\n");
            spill(&mut out, put, false)?;
        }
        out.push_str("end\n");
    }
    if !services.is_empty() {
        out.push_str("config firewall service custom\n");
        for s in services {
            out.push_str("    edit ");
            push_quoted(&mut out, &s.name());
            out.push('\n');
            for l in s.body() {
                out.push_str("        ");
                out.push_str(&l);
                out.push('\n');
            }
            out.push_str("    next\n");
            spill(&mut out, put, false)?;
        }
        out.push_str("end\n");
    }
    if !svc_groups.is_empty() {
        out.push_str("config firewall service group\n");
        for (name, members) in svc_groups {
            out.push_str("    edit ");
            push_quoted(&mut out, name);
            out.push_str("\n        set member");
            for s in members {
                out.push(' ');
                push_quoted(&mut out, &s.name());
            }
            out.push_str("\n    next\n");
            spill(&mut out, put, false)?;
        }
        out.push_str("end\n");
    }
    out.push_str("config firewall policy\n");
    for ((p, r), &(i_in, i_out)) in plans.iter().zip(refs).zip(plan_ifaces) {
        out.push_str("    edit ");
        push_decimal(&mut out, p.id);
        out.push_str("\n        set name ");
        push_quoted(&mut out, &p.policy_name);
        out.push_str("\n        set srcintf ");
        out.push_str(iface(i_in));
        out.push_str("\n        set dstintf ");
        out.push_str(iface(i_out));
        out.push_str("\n        set action accept\n");
        for (names, suffix) in r.iter().zip(["", "6"]) {
            match *names {
                Some((s, d)) => {
                    out.push_str("        set srcaddr");
                    out.push_str(suffix);
                    out.push(' ');
                    out.push_str(addr_names.quoted(s));
                    out.push_str("\n        set dstaddr");
                    out.push_str(suffix);
                    out.push(' ');
                    out.push_str(addr_names.quoted(d));
                    out.push('\n');
                }
                None => {
                    out.push_str("        unset srcaddr");
                    out.push_str(suffix);
                    out.push_str("\n        unset dstaddr");
                    out.push_str(suffix);
                    out.push('\n');
                }
            }
        }
        out.push_str("        set schedule \"always\"\n        set service ");
        out.push_str(svc_ref(p.services));
        out.push_str(if p.log {
            "\n        set logtraffic all\n        set comments \""
        } else {
            "\n        set logtraffic disable\n        set comments \""
        });
        for piece in p.comments(zones) {
            push_escaped(&mut out, piece);
        }
        out.push_str("\"\n    next\n");
        spill(&mut out, put, false)?;
    }
    out.push_str("end\n");
    if rules.filters_local() {
        for (fi, table) in [(0, "local-in-policy"), (1, "local-in-policy6")] {
            let _ = writeln!(out, "config firewall {table}");
            for ((p, r), &i_in) in local_plans.iter().zip(local_refs).zip(local_ifaces) {
                let Some((s, d)) = r.get(fi).copied().flatten() else {
                    continue;
                };
                out.push_str("    edit ");
                push_decimal(&mut out, p.id);
                out.push_str("\n        set intf ");
                out.push_str(iface(i_in));
                out.push_str("\n        set srcaddr ");
                out.push_str(addr_names.quoted(s));
                out.push_str("\n        set dstaddr ");
                out.push_str(addr_names.quoted(d));
                out.push_str("\n        set action accept\n        set service ");
                out.push_str(svc_ref(p.services));
                out.push_str("\n        set schedule \"always\"\n        set comments \"");
                for piece in local_comments(p.rule, zones.get(p.src_zone)) {
                    push_escaped(&mut out, piece);
                }
                out.push_str("\"\n    next\n");
                spill(&mut out, put, false)?;
            }
            out.push_str("    edit ");
            push_decimal(&mut out, deny_id);
            out.push_str(
                "\n        set intf \"any\"\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        set action deny\n        set service \"ALL\"\n        set schedule \"always\"\n        set comments ",
            );
            push_quoted(&mut out, LOCAL_DENY_COMMENT);
            out.push_str("\n    next\nend\n");
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
/// The pieces, in order: the text is their concatenation.
fn local_comments<'r>(rule: &'r Rule, zone: Option<&'r crate::lower::ZoneInfo>) -> [&'r str; 5] {
    [
        rule.name.as_str(),
        " owner=",
        rule.owner.as_str(),
        " from=",
        zone.map_or("", |z| z.name.as_str()),
    ]
}

/// Refuses the comments of a local-in entry that are too long or cannot
/// be quoted.
fn check_local_comments(
    rule: &Rule,
    zone: Option<&crate::lower::ZoneInfo>,
) -> Result<(), EmitError> {
    check_comments(&local_comments(rule, zone), rule)
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
fn address_body(out: &mut String, iv: (u128, u128), fam: Family) {
    let _ = match (form(iv, fam), fam) {
        (Form::Prefix(a, len), Family::V4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            write!(
                out,
                "        set type ipmask\n        set subnet {a} {}\n",
                Ipv4Addr::from(mask)
            )
        }
        (Form::Prefix(a, len), Family::V6) => write!(
            out,
            "        set type ipprefix\n        set ip6 {a}/{len}\n"
        ),
        (Form::Range(lo, hi), _) => write!(
            out,
            "        set type iprange\n        set start-ip {lo}\n        set end-ip {hi}\n"
        ),
    };
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
    fn a_flow_is_one_policy_whether_its_rules_are_adjacent_or_not() {
        let r = |n, m| rule(n, "10.1.0.0/24", "10.2.0.5/32", m);
        let tcp = || Match::Tcp(PortSet::single(502));
        let udp = || Match::Udp(PortSet::single(2222));
        let apart = emit(&set(vec![
            r("c/f", tcp()),
            r("c/g", Match::Tcp(PortSet::single(80))),
            r("C/F", udp()),
        ]))
        .unwrap();
        let together = emit(&set(vec![
            r("c/f", tcp()),
            r("C/F", udp()),
            r("c/g", Match::Tcp(PortSet::single(80))),
        ]))
        .unwrap();
        assert_eq!(apart.matches("set action accept").count(), 2, "{apart}");
        assert_eq!(apart, together);
        assert!(
            apart.contains("        set member \"conduit-tcp-502\" \"conduit-udp-2222\"\n"),
            "{apart}"
        );
    }

    #[test]
    fn names_equal_but_for_case_hash_alike() {
        use std::hash::BuildHasher as _;
        let state = foldhash::fast::RandomState::default();
        for (a, b) in [
            ("c/f", "C/F"),
            ("conduit-With-A-Long/Name_0", "CONDUIT-with-a-long/name_0"),
        ] {
            assert!(NoCase(a) == NoCase(b));
            assert_eq!(state.hash_one(NoCase(a)), state.hash_one(NoCase(b)));
        }
        assert!(NoCase("c/f") != NoCase("c/g"));
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
