//! The `cisco-ios` backend: extended named ACLs for Cisco IOS and IOS-XE.
//!
//! # What is emitted
//!
//! For every zone of the rule set, two access lists meant to be applied
//! **inbound** on the interface that faces the zone:
//!
//! - `ip access-list extended conduit-ZONE-in-H` (IPv4) and
//! - `ipv6 access-list conduit-ZONE-in6-H` (IPv6),
//!
//! with `ZONE` as declared and `H` the first 8 hex digits of the SHA-256 of
//! the list's body: every line between the line that opens it and its
//! `exit`, each followed by a newline (remarks and numbered entries, and so
//! the names of the object groups they use, which are named after their
//! members). One name is one content, in every build. Each list's body
//! is rendered once into a buffer and hashed, then written after the line
//! that opens it; the buffer holds one list, which the entry budget below
//! bounds. Each list holds, in this order:
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
//!    Rules come in this order: flows with `log`, then the other flows,
//!    then the catch-alls, each in rule order. So a `log` flow logs every
//!    connection it admits, traffic of declared flows matches its own entry
//!    (the catch-all's log shows only undeclared traffic), and the entry
//!    whose hit counter counts a packet belongs to the flow `query` names.
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
//! # Size
//!
//! Entries are the cross product of a rule's source prefixes, destination
//! prefixes and port ranges (or ICMP types), so a list can grow far faster
//! than the policy. Before writing anything the backend counts every list's
//! entries from the rule set and refuses (`E606`) a list over
//! [`MAX_IOS_ACL_ENTRIES`], naming the flows that contribute most. The
//! text is then streamed list by list ([`emit_to`]), so memory does not
//! grow with the output.
//!
//! A list is never empty (an applied empty list permits everything): a zone
//! with no rule still gets the fragment deny and the final deny. Every entry
//! has an explicit sequence number (10, 20, ...), written `N permit ...` for
//! IPv4 and `sequence N permit ...` for IPv6, as IOS-XE prints them in the
//! running configuration. Remarks are unnumbered and attach to the entry
//! that follows them. Each list ends with `exit`.
//!
//! With a firewall, `interface NAME` blocks bind each zone's lists with
//! `ip access-group conduit-ZONE-in-H in` and
//! `ipv6 traffic-filter conduit-ZONE-in6-H in`. An interface can hold one
//! inbound list per family, so a firewall that puts two zones behind one
//! interface is refused.
//!
//! # Object groups (the default) and the flat form
//!
//! By default the IPv4 lists are written with object groups, which IOS
//! 15.x and IOS-XE accept in extended named lists. With
//! [`EmitOptions::ios_flat`](super::EmitOptions) (`conduitc build
//! --ios-flat`) every entry is self-contained instead, so an auditor can
//! read one line and know exactly what it admits. In the default form:
//!
//! - a source or destination set of more than one prefix becomes
//!   `object-group network conduit-n-H` (members `host A` or `A MASK`,
//!   with a *subnet* mask as network groups require, where entries take
//!   wildcard masks); one prefix or `any` stays inline;
//! - a forward match of more than one port range or ICMP type becomes
//!   `object-group service conduit-s-H` (members `tcp eq P`,
//!   `udp range A B`, `icmp echo`: destination ports only), and the entry
//!   `permit object-group conduit-s-H SRC DST [log]`;
//! - reply entries group only their addresses: the protocol, the service
//!   port (as a *source* port) and `established` stay in each entry
//!   (`permit tcp object-group R eq 502 object-group I established`), so a
//!   reply entry admits exactly the flat reply entries it replaces. A
//!   service group is never shared between a forward and a reply entry:
//!   its ports are destination ports, and a reply written with it would
//!   admit new connections from the responders.
//!
//! `H` is the first 12 hex digits of the SHA-256 of the group's member
//! lines: one content is one group, written once per file before the
//! lists, and changed content is a new name, so a transition never edits a
//! group a live list references.
//! IPv6 lists stay flat: IPv6 object groups in ACLs are not available on
//! every IOS release this backend targets.
//!
//! The device expands object groups into one hardware entry per member
//! combination, so the entry budget below counts expanded entries in both
//! forms: the object-group form shortens the text, not the table.
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
//! # Fresh builds and transitions
//!
//! A full build is for a device without an earlier conduitc configuration,
//! and its header says so. Pasted over an earlier content-named build it is
//! still gap-free (new lists under new names, then each binding moves in
//! one command) but leaves the old lists and groups behind, and the
//! bindings of interfaces that left the firewall; over a 0.1
//! build (`conduit-ZONE-in`, no content in the name) it would add entries
//! to the live lists (re-used sequence numbers are refused and the old
//! entries stay).
//!
//! A transition (`conduitc build --from PREVIOUS`,
//! [`super::emit_transition`]) takes the device from what it runs to the
//! new build. PREVIOUS is read by [`read`]: a conduitc build of either form
//! and either naming, or `show running-config`; only `conduit-` lists and
//! groups and the interfaces' bindings are read, strictly, and everything
//! else is skipped. Refused (`E816`, with the line): text that is not IOS
//! configuration, a `conduit-` name conduitc does not write, a content
//! name whose body does not hash to it (edited by hand), an inbound list
//! conduitc did not write bound on an interface the new build binds, a
//! transition script given as PREVIOUS. A `conduit-` list the new build
//! removes that an interface binds outbound, or a `conduit-` group it
//! removes that another list names, is `E817`. The script ([`transition`])
//! then writes, each step safe on a live device: the new groups, the new
//! lists (complete, each ending in `exit`), the bindings of the firewall's
//! interfaces that change (`ip access-group NEW in` replaces a binding in
//! one command), `no ip access-group OLD in` on interfaces the new build no
//! longer governs, `no ip access-list` for every `conduit-` list the new
//! build does not use, and `no object-group` for every `conduit-` group no
//! remaining list names. It touches no name outside `conduit-`. The new
//! build is rendered in memory for a transition (the reader reads it back
//! to compare it with PREVIOUS), so a transition's memory grows with the
//! build, where a full build streams.
//!
//! Inbound lists also see traffic addressed to the router itself (routing
//! protocols, management); those must be declared as flows or the final deny
//! drops them.

mod read;
mod texts;
pub(crate) use read::port_number as ios_port_number;
mod transition;
mod vty;

pub(super) use transition::transition_to;

use crate::diag::{quote, quote_char};
use foldhash::{HashMap, HashMapExt as _};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use super::guard::{check_build_names, check_zone_names, is_name, printable_lines};
use super::header::build_summary;
use super::{push_decimal, EmitError};
use crate::limits::MAX_IOS_ACL_ENTRIES;
use crate::lower::{LocalRule, Match, Rule, RuleSet, ZoneInfo};
use crate::model::platform::{ios_address_terms, ios_interface_key, protocol_problem, CISCO_IOS};
use crate::model::{AddrSet, Platform, PortSet};

const TARGET: &str = "cisco-ios";
/// IOS truncates remarks longer than this (the platform table).
const REMARK_MAX: usize = CISCO_IOS.max_comment_chars;
/// Highest IOS sequence number.
const SEQ_MAX: u64 = 2_147_483_647;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

const FAMILIES: [Family; 2] = [Family::V4, Family::V6];

/// Entries every list holds whatever the rules: the fragment deny and the
/// final deny, plus the two neighbour-discovery permits in IPv6 lists.
fn fixed_entries(fam: Family) -> u64 {
    match fam {
        Family::V4 => 2,
        Family::V6 => 4,
    }
}

/// What is written, in order: each rule with the indices of its source and
/// destination zones. Built (and every refusal decided) before any text.
struct Plan<'r> {
    ordered: Vec<(&'r Rule, usize, usize)>,
    /// Per zone, the positions in `ordered` of the rules that leave or
    /// enter it, in order: the rules its lists are written from.
    by_zone: Vec<Vec<usize>>,
}

/// Emits `rules` as Cisco IOS / IOS-XE configuration (see the module docs).
///
/// Refuses (never escapes) any name that is not a plain declared name: zone,
/// flow, conduit, firewall and isolation names must match
/// `[A-Za-z][A-Za-z0-9_-]*` (at most 48 characters), interface names
/// `[A-Za-z0-9._/:-]` (1-64 characters, spaces allowed between type and
/// number). Refuses `ip/0` (`E605`) and any list over
/// [`MAX_IOS_ACL_ENTRIES`] entries (`E606`).
pub fn emit(rules: &RuleSet) -> Result<String, EmitError> {
    let mut buf = Vec::new();
    emit_to(rules, &mut buf)?;
    String::from_utf8(buf).map_err(|_| bad("refusing to emit non-ASCII text".to_string()))
}

/// Emits `rules` into `out`, one list at a time: memory stays bounded by
/// the largest list (at most [`MAX_IOS_ACL_ENTRIES`] entries), whatever
/// the size of the output. Every refusal is decided before the first byte
/// is written.
pub fn emit_to(rules: &RuleSet, out: &mut dyn Write) -> Result<(), EmitError> {
    emit_to_form(rules, Form::ObjectGroups, out)
}

/// How IPv4 entries are written: each one self-contained, or with object
/// groups (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Form {
    Flat,
    ObjectGroups,
}

/// [`emit_to`] in `form`.
pub(super) fn emit_to_form(
    rules: &RuleSet,
    form: Form,
    out: &mut dyn Write,
) -> Result<(), EmitError> {
    let build = prepare(rules, form)?;
    let mut w = Lines::new(out);
    header(&mut w, rules)?;
    build.write_body(&mut w)?;
    w.finish()
}

/// Everything decided before the first byte: the plan, the rendered
/// terms and the object groups.
pub(super) struct Prepared<'r> {
    rules: &'r RuleSet,
    plan: Plan<'r>,
    groups: Option<Groups>,
    /// The rendered address terms and service groups of every rule.
    texts: texts::Texts,
    /// The `line vty` access classes, when local entries admit sessions.
    vty: Option<vty::Vty>,
}

/// Checks `rules`, plans the lists, counts them against the entry budget
/// and renders the text pieces every list is written from. Every refusal
/// is decided here; a list's name (its content's hash) is computed as the
/// list is written.
pub(super) fn prepare(rules: &RuleSet, form: Form) -> Result<Prepared<'_>, EmitError> {
    validate(rules)?;
    let plan = plan(rules)?;
    let mut texts = texts::Texts::new(rules, &plan)?;
    budget(rules, &plan, &texts)?;
    check_local_protocols(rules)?;
    if let Some(max) = CISCO_IOS.max_object_name_chars {
        for zone in &rules.zones {
            // `conduit-ZONE-in6-` and 8 hex digits, the longer of the two.
            let len = "conduit-".len() + zone.name.len() + "-in6-".len() + 8;
            if len > max {
                return Err(bad(format!(
                    "access list names of zone {} are longer than the {max} characters the platform allows",
                    zone.name
                )));
            }
        }
    }
    let groups = texts.render(&plan, form)?;
    Ok(Prepared {
        rules,
        plan,
        groups,
        texts,
        vty: vty::plan(rules),
    })
}

/// Refuses a protocol IOS cannot express in a local entry that a list
/// writes (the entries [`router_sections`] makes), before any text.
fn check_local_protocols(rules: &RuleSet) -> Result<(), EmitError> {
    if !rules.filters_local() {
        return Ok(());
    }
    for local in &rules.local {
        let Match::Ip(n) = local.matcher else {
            continue;
        };
        if protocol_problem(Platform::CiscoIos, n).is_none() {
            continue;
        }
        let flow = local.as_flow_rule();
        for zone in rules
            .zones
            .iter()
            .filter(|z| local.src_zone.eq_ignore_ascii_case(&z.name))
        {
            for fam in FAMILIES {
                forward_entries(&flow, zone, fam)?;
            }
        }
    }
    Ok(())
}

/// `conduit-ZONE-in-H` (IPv4) or `conduit-ZONE-in6-H` (IPv6), `H` the
/// first 8 hex digits of `digest`.
fn list_name(zone: &str, fam: Family, digest: &[u8]) -> String {
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    match fam {
        Family::V4 => format!("conduit-{zone}-in-{hex}"),
        Family::V6 => format!("conduit-{zone}-in6-{hex}"),
    }
}

/// The digest of a list's body: every line between the line that opens
/// the list and its `exit`, each as written (leading space included) and
/// followed by a newline.
pub(super) fn body_digest<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut h = Sha256::new();
    for l in lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    h.finalize().to_vec()
}

impl Prepared<'_> {
    /// Everything after the header: groups, lists, bindings.
    ///
    /// Each list's body is written once, into one reused buffer; its hash
    /// names the list, and the opening line, the body and `exit` go out
    /// together. The buffer holds one list, which the entry budget bounds.
    fn write_body(&self, w: &mut Lines<'_>) -> Result<(), EmitError> {
        if let Some(g) = &self.groups {
            g.write(w)?;
        }
        let mut names = Vec::with_capacity(self.rules.zones.len());
        let mut buf = String::new();
        for (zi, zone) in self.rules.zones.iter().enumerate() {
            let mut pair = [String::new(), String::new()];
            for (slot, fam) in pair.iter_mut().zip(FAMILIES) {
                buf.clear();
                let mut body = Body {
                    buf: &mut buf,
                    seq_kw: match fam {
                        Family::V4 => "",
                        Family::V6 => "sequence ",
                    },
                    seq: 0,
                    zone: &zone.name,
                };
                write_acl_body(&mut body, self.rules, &self.plan, &self.texts, zi, fam)?;
                // The pieces were checked as they were rendered; this is the
                // last guard, over the whole body at once.
                printable_lines(TARGET, &buf)?;
                *slot = list_name(&zone.name, fam, &Sha256::digest(buf.as_bytes()));
                match fam {
                    Family::V4 => w.parts(&["ip access-list extended ", slot])?,
                    Family::V6 => w.parts(&["ipv6 access-list ", slot])?,
                }
                w.raw(buf.as_bytes())?;
                w.line("exit")?;
            }
            names.push(pair);
        }
        for (iface, [v4, v6]) in self.bindings(&names) {
            w.parts(&["interface ", iface])?;
            w.parts(&[" ip access-group ", v4, " in"])?;
            w.parts(&[" ipv6 traffic-filter ", v6, " in"])?;
            w.line("exit")?;
        }
        self.vty.as_ref().map_or(Ok(()), |v| v.write(w))
    }

    /// Per firewall interface, in firewall order, the IPv4 and IPv6 lists
    /// it binds inbound (`names` per zone).
    fn bindings<'n>(&self, names: &'n [[String; 2]]) -> Vec<(&str, &'n [String; 2])> {
        let Some(fw) = &self.rules.firewall else {
            return Vec::new();
        };
        // `zone_index` by name: the first zone of each name.
        let mut index: HashMap<String, usize> = HashMap::with_capacity(self.rules.zones.len());
        for (i, z) in self.rules.zones.iter().enumerate() {
            index.entry(z.name.to_ascii_lowercase()).or_insert(i);
        }
        fw.interfaces
            .iter()
            // INVARIANT: `plan` checked every interface's zone.
            .filter_map(|(iface, zone)| {
                let i = *index.get(&zone.to_ascii_lowercase())?;
                Some((iface.as_str(), names.get(i)?))
            })
            .collect()
    }
}

/// A line-oriented writer with a last guard: printable ASCII without `?`
/// (which an interactive CLI reads as a request for help when pasted).
/// `validate` already refused every name that could break it. Lines are
/// gathered in a buffer and handed to the sink in blocks.
struct Lines<'w> {
    out: &'w mut dyn Write,
    buf: Vec<u8>,
}

/// How much [`Lines`] gathers before handing it to the sink.
const BLOCK: usize = 64 * 1024;

impl<'w> Lines<'w> {
    fn new(out: &'w mut dyn Write) -> Lines<'w> {
        Lines {
            out,
            buf: Vec::with_capacity(BLOCK),
        }
    }

    fn line(&mut self, text: &str) -> Result<(), EmitError> {
        self.parts(&[text])
    }

    /// One line made of `parts`, each checked.
    fn parts(&mut self, parts: &[&str]) -> Result<(), EmitError> {
        for p in parts {
            if p.bytes().any(|b| !(b' '..=b'~').contains(&b) || b == b'?') {
                if let Some(c) = p.chars().find(|&c| !(' '..='~').contains(&c) || c == '?') {
                    return Err(bad(format!("refusing to emit character {}", quote_char(c))));
                }
            }
        }
        for p in parts {
            self.buf.extend_from_slice(p.as_bytes());
        }
        self.buf.push(b'\n');
        self.spill()
    }

    /// Lines already checked (`printable_lines`), each ending in a newline.
    /// Handed on in blocks of at most [`BLOCK`] bytes, however long.
    fn raw(&mut self, mut lines: &[u8]) -> Result<(), EmitError> {
        while !lines.is_empty() {
            let room = BLOCK.saturating_sub(self.buf.len()).max(1);
            let (now, rest) = lines.split_at(room.min(lines.len()));
            self.buf.extend_from_slice(now);
            lines = rest;
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), EmitError> {
        if self.buf.len() >= BLOCK {
            self.out.write_all(&self.buf).map_err(io_error)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Hands the rest to the sink and flushes it.
    fn finish(mut self) -> Result<(), EmitError> {
        self.out.write_all(&self.buf).map_err(io_error)?;
        self.buf.clear();
        self.out.flush().map_err(io_error)
    }
}

fn io_error(e: std::io::Error) -> EmitError {
    EmitError::Io {
        target: TARGET,
        message: e.to_string(),
    }
}

/// Orders the rules (flows with `log`, then other flows, then monitor
/// catch-alls, each in rule order), resolves their zones, refuses protocols
/// IOS cannot express and checks every list against the entry budget.
fn plan(rules: &RuleSet) -> Result<Plan<'_>, EmitError> {
    let rank = |r: &Rule| match (r.monitor, r.log) {
        (false, true) => 0,
        (false, false) => 1,
        (true, _) => 2,
    };
    // `zone_index` by name: the first zone of each name.
    let mut index: HashMap<String, usize> = HashMap::with_capacity(rules.zones.len());
    for (i, z) in rules.zones.iter().enumerate() {
        index.entry(z.name.to_ascii_lowercase()).or_insert(i);
    }
    let find = |name: &str| index.get(&name.to_ascii_lowercase()).copied();
    let mut ordered = Vec::with_capacity(rules.rules.len());
    for want in 0..3 {
        for rule in rules.rules.iter().filter(|r| rank(r) == want) {
            let Some(from) = find(&rule.src_zone) else {
                return Err(unknown_zone(rule, &rule.src_zone));
            };
            let Some(to) = find(&rule.dst_zone) else {
                return Err(unknown_zone(rule, &rule.dst_zone));
            };
            if let Match::Ip(n) = rule.matcher {
                if let Some(why) = protocol_problem(Platform::CiscoIos, n) {
                    return Err(EmitError::Protocol {
                        target: TARGET,
                        rule: rule.name.to_string(),
                        proto: n,
                        why,
                    });
                }
            }
            ordered.push((rule, from, to));
        }
    }
    if let Some(fw) = &rules.firewall {
        for (iface, zone) in &fw.interfaces {
            if find(zone).is_none() {
                return Err(EmitError::Unsupported {
                    target: TARGET,
                    what: format!(
                        "interface {iface} facing zone {zone}, which is not in the rule set"
                    ),
                });
            }
        }
    }
    let mut by_zone = vec![Vec::new(); rules.zones.len()];
    for (i, &(_, from, to)) in ordered.iter().enumerate() {
        if let Some(v) = by_zone.get_mut(from) {
            v.push(i);
        }
        if to != from {
            if let Some(v) = by_zone.get_mut(to) {
                v.push(i);
            }
        }
    }
    Ok(Plan { ordered, by_zone })
}

/// How many entries one rule adds to one list, and the factors.
#[derive(Clone, Copy)]
struct Count {
    /// Source (forward) or responder (reply) address terms.
    a: u64,
    /// Destination (forward) or initiator (reply) address terms.
    b: u64,
    /// Port ranges, ICMP types or protocols per address pair.
    k: u64,
}

impl Count {
    fn entries(self) -> u64 {
        self.a.saturating_mul(self.b).saturating_mul(self.k)
    }
}

/// Address terms [`addr_terms`] would write, counted without writing them.
fn term_count(set: &AddrSet, fam: Family) -> u64 {
    ios_address_terms(set, fam == Family::V6)
}

/// The count of the forward entries of `rule` in `fam`, in the flat form.
fn forward_count(rule: &Rule, zone: &ZoneInfo, fam: Family) -> Count {
    let k = texts::forward_k(&rule.matcher, fam);
    if k == 0 {
        return Count { a: 0, b: 0, k };
    }
    let src = family_part(&rule.src.intersection(&zone.addrs), fam);
    let dst = family_part(&rule.dst, fam);
    Count {
        a: term_count(&src, fam),
        b: term_count(&dst, fam),
        k,
    }
}

/// The count of the reply entries of `rule` in `fam`, in the flat form.
fn reply_count(rule: &Rule, from: &ZoneInfo, to: &ZoneInfo, fam: Family) -> Count {
    let k = texts::reply_k(rule, fam);
    if k == 0 {
        return Count { a: 0, b: 0, k };
    }
    let resp = family_part(&rule.dst.intersection(&to.addrs), fam);
    let init = family_part(&rule.src.intersection(&from.addrs), fam);
    Count {
        a: term_count(&resp, fam),
        b: term_count(&init, fam),
        k,
    }
}

/// Refuses (`E606`) the first list that would exceed
/// [`MAX_IOS_ACL_ENTRIES`], naming the flows that contribute most. The
/// rules' entries are counted from the sets `texts` keeps (the same
/// factors as [`forward_count`] and [`reply_count`]), each set's terms
/// counted once.
fn budget(rules: &RuleSet, plan: &Plan<'_>, texts: &texts::Texts) -> Result<(), EmitError> {
    let limit = u64::try_from(MAX_IOS_ACL_ENTRIES).unwrap_or(u64::MAX);
    let zones = &rules.zones;
    let mut totals = texts.list_sizes(plan, zones.len());
    for (zi, t) in totals.iter_mut().enumerate() {
        for (i, fam) in FAMILIES.into_iter().enumerate() {
            if let (Some(slot), Some(zone)) = (t.get_mut(i), zones.get(zi)) {
                *slot = slot
                    .saturating_add(fixed_entries(fam))
                    .saturating_add(router_count(rules, zone, fam));
            }
        }
    }
    for (zi, t) in totals.iter().enumerate() {
        for (i, fam) in FAMILIES.into_iter().enumerate() {
            let total = t.get(i).copied().unwrap_or(0);
            if total > limit {
                return Err(over_budget(rules, plan, zi, fam, total));
            }
        }
    }
    Ok(())
}

/// The `E606` error for list (`zone`, `fam`): its size, the largest
/// contributors with their factors, and what to change.
fn over_budget(
    rules: &RuleSet,
    plan: &Plan<'_>,
    zone: usize,
    fam: Family,
    total: u64,
) -> EmitError {
    let zones = &rules.zones;
    // Per flow: its entries in this list, and its largest single term.
    let mut by_flow: BTreeMap<&str, (u64, Count, &Match, bool)> = BTreeMap::new();
    let touching = plan.by_zone.get(zone).map_or(&[][..], Vec::as_slice);
    for &(rule, from, to) in touching.iter().filter_map(|&i| plan.ordered.get(i)) {
        let (Some(zf), Some(zt)) = (zones.get(from), zones.get(to)) else {
            continue;
        };
        let mut add = |c: Count, reply: bool| {
            let n = c.entries();
            if n == 0 {
                return;
            }
            let e = by_flow
                .entry(rule.name.as_str())
                .or_insert((0, c, &rule.matcher, reply));
            e.0 = e.0.saturating_add(n);
            if n > e.1.entries() {
                e.1 = c;
                e.2 = &rule.matcher;
                e.3 = reply;
            }
        };
        if from == zone {
            add(forward_count(rule, zf, fam), false);
        }
        if to == zone {
            add(reply_count(rule, zf, zt, fam), true);
        }
    }
    let mut flows: Vec<_> = by_flow.into_iter().collect();
    flows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(b.0)));
    let shown: Vec<String> = flows
        .iter()
        .take(3)
        .map(|(name, (n, c, m, reply))| {
            let what = match m {
                Match::Tcp(_) | Match::Udp(_) => "port ranges",
                Match::Icmp(_) | Match::Icmpv6(_) => "ICMP types",
                Match::Ip(_) | Match::Any => "protocols",
            };
            let (a, b) = if *reply {
                ("responder", "initiator")
            } else {
                ("source", "destination")
            };
            format!(
                "{name} ({n} entries; largest part {} {a} prefixes x {} {b} prefixes x {} {what}{})",
                c.a,
                c.b,
                c.k,
                if *reply { ", replies" } else { "" }
            )
        })
        .collect();
    let more = flows.len().saturating_sub(shown.len());
    let list = match fam {
        Family::V4 => format!("conduit-{}-in", zones.get(zone).map_or("", |z| &z.name)),
        Family::V6 => format!("conduit-{}-in6", zones.get(zone).map_or("", |z| &z.name)),
    };
    EmitError::TooLarge {
        target: TARGET,
        message: format!(
            "access list {list} would hold {total} entries, over the budget of {MAX_IOS_ACL_ENTRIES} per list; largest contributors: {}{}. \
             Each entry is one source prefix, one destination prefix and one port range: give these flows fewer, larger address blocks \
             (hosts in one prefix, a group of prefixes), fewer port ranges, or split them over zones so each list stays under the budget",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ),
    }
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

/// The releases the output is written for, as the headers name them.
fn header_version() -> &'static str {
    "IOS 15.x, IOS-XE 16.x/17.x"
}

fn header(w: &mut Lines<'_>, rules: &RuleSet) -> Result<(), EmitError> {
    w.line(&format!(
        "! conduitc {} cisco-ios ({})",
        env!("CARGO_PKG_VERSION"),
        header_version()
    ))?;
    w.line(&format!(
        "! {}",
        build_summary(
            rules,
            "no firewall: apply each list inbound facing its zone"
        )
    ))?;
    w.line("! For a device without an earlier conduitc configuration: paste in global")?;
    w.line("! configuration mode. For a device that runs an earlier build or was")?;
    w.line("! configured by hand, build a transition instead: conduitc build --from")?;
    w.line("! PREVIOUS (the running configuration or the previous build's file).")?;
    w.line("!")
}

/// The body of one list: for every rule in plan order, its forward entries
/// when it leaves this zone and its reply entries when it enters it, each
/// under the rule's remark (consecutive sections with one remark share it).
fn write_acl_body(
    e: &mut Body<'_>,
    rules: &RuleSet,
    plan: &Plan<'_>,
    texts: &texts::Texts,
    zone: usize,
    fam: Family,
) -> Result<(), EmitError> {
    let any = match fam {
        Family::V4 => "ip",
        Family::V6 => "ipv6",
    };
    e.remark(&["conduitc: drop every non-initial fragment"]);
    e.entry(&["deny ", any, " any any fragments"])?;
    let zones = &rules.zones;
    let local = rules.filters_local();
    if local && fam == Family::V6 {
        // Before the router's own addresses are denied below: neighbour
        // discovery to them (unreachability detection) must pass.
        e.remark(&["conduitc: neighbour discovery"]);
        e.entry(&["permit icmp any any nd-na"])?;
        e.entry(&["permit icmp any any nd-ns"])?;
    }
    if let Some(zone_info) = zones.get(zone).filter(|_| local) {
        for (remark, entries) in router_sections(rules, zone_info, fam)? {
            if entries.is_empty() {
                continue;
            }
            e.remark(&[&remark]);
            for x in &entries {
                e.entry(&[x])?;
            }
        }
    }
    // The last remark written, as (rule name, " replies" appended): names
    // hold no space, so two of these are equal exactly when their texts are.
    let mut last_remark: Option<(&str, bool)> = None;
    let touching = plan.by_zone.get(zone).map_or(&[][..], Vec::as_slice);
    for &at in touching {
        let Some(&(rule, from, to)) = plan.ordered.get(at) else {
            continue;
        };
        let log = if rule.log || rule.monitor { " log" } else { "" };
        if from == zone {
            if let Some((srcs, dsts)) = texts.forward(at, fam) {
                let service = match fam {
                    Family::V4 => texts.service(at),
                    Family::V6 => None,
                };
                let per_pair = match (service, &rule.matcher) {
                    (Some(_), _) => 1,
                    (None, Match::Tcp(p) | Match::Udp(p)) => p.ranges().len(),
                    (None, Match::Icmp(t) | Match::Icmpv6(t)) => t.len(),
                    (None, Match::Ip(_) | Match::Any) => 1,
                };
                if per_pair > 0 && !srcs.is_empty() && !dsts.is_empty() {
                    let remark = (rule.name.as_str(), false);
                    if last_remark != Some(remark) {
                        e.remark(&[&rule.name]);
                        last_remark = Some(remark);
                    }
                    for s in srcs {
                        for d in dsts {
                            if let Some(svc) = service {
                                e.entry(&["permit object-group ", svc, " ", s, " ", d, log])?;
                                continue;
                            }
                            match &rule.matcher {
                                Match::Tcp(p) | Match::Udp(p) => {
                                    let proto = match rule.matcher {
                                        Match::Tcp(_) => "permit tcp ",
                                        _ => "permit udp ",
                                    };
                                    for &(lo, hi) in p.ranges().iter() {
                                        e.open()?;
                                        e.push(&[proto, s, " ", d, " "]);
                                        e.port_op(lo, hi);
                                        e.push(&[log]);
                                        e.close();
                                    }
                                }
                                Match::Icmp(types) | Match::Icmpv6(types) => {
                                    for &t in types {
                                        e.open()?;
                                        e.push(&["permit icmp ", s, " ", d, " "]);
                                        match icmp_name(t, fam) {
                                            Some(kw) => e.push(&[kw]),
                                            None => e.number(u64::from(t)),
                                        }
                                        e.push(&[log]);
                                        e.close();
                                    }
                                }
                                Match::Ip(n) => {
                                    e.open()?;
                                    e.push(&["permit "]);
                                    e.number(u64::from(*n));
                                    e.push(&[" ", s, " ", d, log]);
                                    e.close();
                                }
                                Match::Any => e.entry(&["permit ", any, " ", s, " ", d, " log"])?,
                            }
                        }
                    }
                }
            }
        }
        if to == zone {
            if let Some((resps, inits)) = texts.reply(at, fam) {
                let per_pair = match &rule.matcher {
                    Match::Tcp(p) | Match::Udp(p) => p.ranges().len(),
                    _ => 1,
                };
                if per_pair > 0 && !resps.is_empty() && !inits.is_empty() {
                    let long = rule.name.len() + " replies".len() > REMARK_MAX;
                    let remark = (rule.name.as_str(), !long);
                    if last_remark != Some(remark) {
                        if long {
                            e.remark(&[&rule.name]);
                        } else {
                            e.remark(&[&rule.name, " replies"]);
                        }
                        last_remark = Some(remark);
                    }
                    for d in resps {
                        for s in inits {
                            match &rule.matcher {
                                Match::Tcp(p) | Match::Udp(p) => {
                                    let (proto, est) = match rule.matcher {
                                        Match::Tcp(_) => ("permit tcp ", " established"),
                                        _ => ("permit udp ", ""),
                                    };
                                    for &(lo, hi) in p.ranges().iter() {
                                        e.open()?;
                                        e.push(&[proto, d, " "]);
                                        e.port_op(lo, hi);
                                        e.push(&[" ", s, est]);
                                        e.close();
                                    }
                                }
                                _ => e.entry(&["permit icmp ", d, " ", s, " echo-reply"])?,
                            }
                        }
                    }
                }
            }
        }
    }
    if fam == Family::V6 && !local {
        e.remark(&["conduitc: neighbour discovery"]);
        e.entry(&["permit icmp any any nd-na"])?;
        e.entry(&["permit icmp any any nd-ns"])?;
    }
    e.remark(&["conduitc: default deny"]);
    e.entry(&["deny ", any, " any any log"])
}

/// The lines of one list body, written straight into one buffer: remarks
/// and numbered entries, each piece already rendered and checked.
struct Body<'a> {
    buf: &'a mut String,
    seq_kw: &'static str,
    seq: u64,
    zone: &'a str,
}

impl Body<'_> {
    /// ` remark PARTS`.
    fn remark(&mut self, parts: &[&str]) {
        self.buf.push_str(" remark ");
        self.push(parts);
        self.close();
    }

    /// An entry made of `parts`: ` [sequence ]SEQ PARTS`.
    fn entry(&mut self, parts: &[&str]) -> Result<(), EmitError> {
        self.open()?;
        self.push(parts);
        self.close();
        Ok(())
    }

    /// Starts the next entry: ` [sequence ]SEQ `.
    fn open(&mut self) -> Result<(), EmitError> {
        self.seq += 10;
        if self.seq > SEQ_MAX {
            return Err(EmitError::Unsupported {
                target: TARGET,
                what: format!(
                    "more entries than IOS sequence numbers in the list for zone {}",
                    self.zone
                ),
            });
        }
        self.buf.push(' ');
        self.buf.push_str(self.seq_kw);
        self.number(self.seq);
        self.buf.push(' ');
        Ok(())
    }

    fn push(&mut self, parts: &[&str]) {
        for p in parts {
            self.buf.push_str(p);
        }
    }

    /// `n` in decimal.
    fn number(&mut self, n: u64) {
        push_decimal(self.buf, n);
    }

    /// A port match as IOS writes it: `eq P` or `range LO HI`.
    fn port_op(&mut self, lo: u16, hi: u16) {
        if lo == hi {
            self.buf.push_str("eq ");
            self.number(u64::from(lo));
        } else {
            self.buf.push_str("range ");
            self.number(u64::from(lo));
            self.buf.push(' ');
            self.number(u64::from(hi));
        }
    }

    /// Ends the line.
    fn close(&mut self) {
        self.buf.push('\n');
    }
}

/// A port match as IOS writes it: `eq P` or `range LO HI`.
struct PortOp(u16, u16);

impl std::fmt::Display for PortOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            PortOp(lo, hi) if lo == hi => write!(f, "eq {lo}"),
            PortOp(lo, hi) => write!(f, "range {lo} {hi}"),
        }
    }
}

/// An ICMP type as IOS writes it: its keyword, or its number.
struct IcmpKeyword(u8, Family);

impl std::fmt::Display for IcmpKeyword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match icmp_name(self.0, self.1) {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The local rules whose sources arrive from `zone`, in the order the
/// router must consult them: logged entries first, then by name (the
/// order `RuleSet::decide_local` ranks them in).
fn local_rules_of<'r>(rules: &'r RuleSet, zone: &ZoneInfo) -> Vec<&'r LocalRule> {
    let mut out: Vec<&LocalRule> = rules
        .local
        .iter()
        .filter(|r| r.src_zone.eq_ignore_ascii_case(&zone.name))
        .collect();
    // A stable sort keeps the lowering's order (name, then protocol).
    out.sort_by_key(|r| !r.log);
    out
}

/// The router's own addresses of `fam`, as address terms.
fn own_terms(rules: &RuleSet, fam: Family) -> Vec<String> {
    match &rules.firewall {
        Some(fw) => {
            let own = family_part(&fw.own, fam);
            if own.is_empty() {
                Vec::new()
            } else {
                addr_terms(&own, fam)
            }
        }
        None => Vec::new(),
    }
}

/// The router-bound block of the list of `zone` (see the module docs,
/// "Traffic to the router"): per local rule from the zone, its remark and
/// permits to the router's own addresses; then replies to connections the
/// router opened; then the deny of everything else to its own addresses.
fn router_sections(
    rules: &RuleSet,
    zone: &ZoneInfo,
    fam: Family,
) -> Result<Vec<(String, Vec<String>)>, EmitError> {
    let mut out = Vec::new();
    for local in local_rules_of(rules, zone) {
        out.push((
            local.name.to_string(),
            forward_entries(&local.as_flow_rule(), zone, fam)?,
        ));
    }
    let any = match fam {
        Family::V4 => "ip",
        Family::V6 => "ipv6",
    };
    let own = own_terms(rules, fam);
    // Replies come from the zone's own addresses only (anti-spoofing).
    let zone_addrs = family_part(&zone.addrs, fam);
    let srcs = if zone_addrs.is_empty() {
        Vec::new()
    } else {
        addr_terms(&zone_addrs, fam)
    };
    out.push((
        "conduitc: replies to connections the router opened".to_string(),
        srcs.iter()
            .flat_map(|s| {
                own.iter()
                    .map(move |o| format!("permit tcp {s} {o} established"))
            })
            .collect(),
    ));
    out.push((
        "conduitc: nothing else to the router itself".to_string(),
        own.iter()
            .map(|o| format!("deny {any} any {o} log"))
            .collect(),
    ));
    Ok(out)
}

/// How many entries [`router_sections`] writes in the list of `zone`.
fn router_count(rules: &RuleSet, zone: &ZoneInfo, fam: Family) -> u64 {
    if !rules.filters_local() {
        return 0;
    }
    let own = rules
        .firewall
        .as_ref()
        .map_or(0, |fw| term_count(&family_part(&fw.own, fam), fam));
    let zone_terms = term_count(&family_part(&zone.addrs, fam), fam);
    let mut n = own.saturating_add(own.saturating_mul(zone_terms));
    for local in local_rules_of(rules, zone) {
        n = n.saturating_add(forward_count(&local.as_flow_rule(), zone, fam).entries());
    }
    n
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
                    let mut t = String::with_capacity(31);
                    if p.prefix_len() == 32 {
                        t.push_str("host ");
                        push_ipv4(&mut t, p.network());
                    } else {
                        push_ipv4(&mut t, p.network());
                        t.push(' ');
                        push_ipv4(&mut t, p.hostmask());
                    }
                    t
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

/// Appends `a` in dotted-quad form (what `Display` writes), without the
/// formatting machinery.
fn push_ipv4(out: &mut String, a: std::net::Ipv4Addr) {
    let [b0, b1, b2, b3] = a.octets();
    push_decimal(out, b0);
    out.push('.');
    push_decimal(out, b1);
    out.push('.');
    push_decimal(out, b2);
    out.push('.');
    push_decimal(out, b3);
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
        .map(|&(lo, hi)| PortOp(lo, hi).to_string())
        .collect()
}

/// The IOS keyword for an ICMP type, or its number.
fn icmp_keyword(t: u8, fam: Family) -> String {
    IcmpKeyword(t, fam).to_string()
}

/// The IOS keyword for an ICMP type, when it has one.
fn icmp_name(t: u8, fam: Family) -> Option<&'static str> {
    Some(match (fam, t) {
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
        _ => return None,
    })
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
    let (srcs, dsts) = (addr_terms(&src, fam), addr_terms(&dst, fam));
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
                Match::Ip(n) => {
                    if let Some(why) = protocol_problem(Platform::CiscoIos, *n) {
                        return Err(EmitError::Protocol {
                            target: TARGET,
                            rule: rule.name.to_string(),
                            proto: *n,
                            why,
                        });
                    }
                    out.push(format!("permit {n} {s} {d}{log}"))
                }
                Match::Any => out.push(format!("permit {any} {s} {d} log")),
            }
        }
    }
    Ok(out)
}

/// A content-named object group: its name is `PREFIX` and the first 12 hex
/// digits of the SHA-256 of its lines, so one content is one group in a
/// file, and changed content is a new group rather than an edit of a group
/// a live list references.
struct Group {
    name: String,
    lines: Vec<String>,
}

impl Group {
    fn new(prefix: &str, lines: Vec<String>) -> Group {
        // The SHA-256 of the lines joined by newlines, without joining them.
        let mut h = Sha256::new();
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                h.update(b"\n");
            }
            h.update(l.as_bytes());
        }
        let digest = h.finalize();
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut name = String::with_capacity(prefix.len() + 12);
        name.push_str(prefix);
        for &b in digest.iter().take(6) {
            name.push(char::from(DIGITS[usize::from(b >> 4)]));
            name.push(char::from(DIGITS[usize::from(b & 0xf)]));
        }
        Group { name, lines }
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// The object groups of one file, each written once, before the lists.
pub(super) struct Groups {
    network: GroupMap,
    service: GroupMap,
}

/// Object groups of one kind: name -> lines (written in name order).
type GroupMap = HashMap<String, Vec<String>>;

impl Groups {
    fn write(&self, w: &mut Lines<'_>) -> Result<(), EmitError> {
        for (kind, map) in [("network", &self.network), ("service", &self.service)] {
            let mut by_name: Vec<(&String, &Vec<String>)> = map.iter().collect();
            by_name.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (name, lines) in by_name {
                w.parts(&["object-group ", kind, " ", name])?;
                for l in lines {
                    w.parts(&[" ", l])?;
                }
                w.line("exit")?;
            }
        }
        Ok(())
    }
}

/// The network group of an IPv4 address set of more than one prefix (none
/// for one prefix or every address, which stay inline). Group members take
/// subnet masks, entries wildcard masks.
fn network_group(set: &AddrSet, fam: Family) -> Option<Group> {
    if fam != Family::V4 || set.is_all_v4() {
        return None;
    }
    let prefixes = set.v4_prefixes();
    if prefixes.len() < 2 {
        return None;
    }
    let lines = prefixes
        .into_iter()
        .map(|p| {
            let mut t = String::with_capacity(31);
            if p.prefix_len() == 32 {
                t.push_str("host ");
                push_ipv4(&mut t, p.network());
            } else {
                push_ipv4(&mut t, p.network());
                t.push(' ');
                push_ipv4(&mut t, p.netmask());
            }
            t
        })
        .collect();
    Some(Group::new("conduit-n-", lines))
}

/// The service group of a forward IPv4 match with more than one port range
/// or ICMP type: destination ports only (`tcp eq P`, `tcp range A B`) or
/// ICMP types. Reply entries never use one.
fn service_group(m: &Match, fam: Family) -> Option<Group> {
    if fam != Family::V4 {
        return None;
    }
    let lines: Vec<String> = match m {
        Match::Tcp(p) => port_ops(p)
            .into_iter()
            .map(|o| format!("tcp {o}"))
            .collect(),
        Match::Udp(p) => port_ops(p)
            .into_iter()
            .map(|o| format!("udp {o}"))
            .collect(),
        Match::Icmp(types) => types
            .iter()
            .map(|&t| format!("icmp {}", icmp_keyword(t, fam)))
            .collect(),
        Match::Icmpv6(_) | Match::Ip(_) | Match::Any => return None,
    };
    (lines.len() >= 2).then(|| Group::new("conduit-s-", lines))
}

/// Adds `g` to `map`, refusing two contents under one name (a truncated
/// hash collision would otherwise give one set the other's members).
fn add(map: &mut GroupMap, g: Group) -> Result<(), EmitError> {
    match map.get(&g.name) {
        Some(lines) if *lines != g.lines => Err(EmitError::Unsupported {
            target: TARGET,
            what: format!("two object groups named {} with different members", g.name),
        }),
        Some(_) => Ok(()),
        None => {
            map.insert(g.name, g.lines);
            Ok(())
        }
    }
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
                "rule name {} is not a flow name `conduit/flow`",
                quote(&r.name)
            )));
        }
    }
    check_build_names(TARGET, Platform::CiscoIos, rules)?;
    for r in &rules.local {
        let ok = match r.name.split_once('/') {
            Some((f, e)) => is_name(f) && is_name(e),
            None => false,
        };
        if !ok || r.name.len() > REMARK_MAX {
            return Err(bad(format!(
                "local rule name {} is not `firewall/entry`",
                quote(&r.name)
            )));
        }
        if r.any_own_address {
            return Err(EmitError::Unsupported {
                target: TARGET,
                what: format!(
                    "{} {} without an interface address (IOS writes router-bound entries for the router's own addresses: declare `address` on the firewall's interfaces)",
                    r.kind, r.name
                ),
            });
        }
    }
    if let Some(fw) = &rules.firewall {
        let mut ifaces = BTreeSet::new();
        for (iface, zone) in &fw.interfaces {
            if !is_name(zone) {
                return Err(bad(format!("zone name {} is not a name", quote(zone))));
            }
            // `Gi0/1` and `GigabitEthernet0/1` are one interface.
            if !ifaces.insert(ios_interface_key(iface)) {
                return Err(EmitError::Unsupported {
                    target: TARGET,
                    what: format!(
                        "two zones behind interface {} (an interface holds one inbound list per family)",
                        quote(iface)
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
            local: Vec::new(),
        }
    }

    fn flat(rs: &RuleSet) -> String {
        let mut buf = Vec::new();
        emit_to_form(rs, Form::Flat, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn empty_zone_still_gets_a_closed_list() {
        let out = emit(&set(vec![zone("a", "10.0.0.0/24")], vec![])).unwrap();
        let body = " remark conduitc: drop every non-initial fragment\n 10 deny ip any any fragments\n remark conduitc: default deny\n 20 deny ip any any log\n";
        // The name carries the body's content.
        let digest = body_digest(body.lines());
        let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        assert!(
            out.contains(&format!(
                "ip access-list extended conduit-a-in-{hex}\n{body}exit\n"
            )),
            "{out}"
        );
        assert!(out.contains(" sequence 40 deny ipv6 any any log\n"));
    }

    #[test]
    fn list_names_follow_content() {
        let a = set(vec![zone("a", "10.0.0.0/24")], vec![]);
        let out = emit(&a).unwrap();
        let mut b = set(
            vec![zone("a", "10.0.0.0/24"), zone("b", "10.1.0.0/24")],
            vec![],
        );
        b.rules.push(rule(
            "c/f",
            "a",
            "b",
            "10.0.0.0/24",
            "10.1.0.5/32",
            Match::Tcp(PortSet::from_ranges([(502, 502)])),
        ));
        let other = emit(&b).unwrap();
        let name = |t: &str| {
            t.lines()
                .find_map(|l| l.strip_prefix("ip access-list extended conduit-a-in-"))
                .unwrap()
                .to_string()
        };
        assert_ne!(name(&out), name(&other));
        assert_eq!(name(&out), name(&emit(&a).unwrap()));
        // The IPv6 list of `a` did not change, nor its name.
        let v6 = |t: &str| {
            t.lines()
                .find(|l| l.starts_with("ipv6 access-list conduit-a-in6-"))
                .unwrap()
                .to_string()
        };
        assert_eq!(v6(&out), v6(&other));
    }

    #[test]
    fn wildcards_hosts_ports_and_replies() {
        let out = flat(&set(
            vec![zone("a", "10.1.0.0/16"), zone("b", "10.2.0.0/16")],
            vec![rule(
                "c/f",
                "a",
                "b",
                "10.1.2.0/24",
                "10.2.0.5/32",
                Match::Tcp(PortSet::from_ranges([(502, 502), (20000, 20010)])),
            )],
        ));
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
        assert!(matches!(e, Err(EmitError::Protocol { proto: 0, .. })));
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
            interface_addrs: Vec::new(),
            own: Default::default(),
            local_declared: false,
        });
        assert!(matches!(emit(&rs), Err(EmitError::Unsupported { .. })));
        // An abbreviation names the same interface as the full name.
        if let Some(fw) = rs.firewall.as_mut() {
            fw.interfaces[1].0 = "GigabitEthernet 0/1".into();
        }
        assert!(matches!(emit(&rs), Err(EmitError::Unsupported { .. })));
    }

    #[test]
    fn group_names_follow_content_and_a_collision_is_refused() {
        let g = Group::new("conduit-n-", vec!["host 10.0.0.1".into()]);
        let same = Group::new("conduit-n-", vec!["host 10.0.0.1".into()]);
        let other = Group::new("conduit-n-", vec!["host 10.0.0.2".into()]);
        assert_eq!(g.name, same.name);
        assert_ne!(g.name, other.name);
        let hex = g.name.strip_prefix("conduit-n-").unwrap();
        assert!(hex.len() == 12 && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
        let mut map = GroupMap::default();
        let name = g.name.clone();
        assert!(add(&mut map, g).is_ok());
        assert!(add(&mut map, same).is_ok());
        assert_eq!(map.len(), 1);
        let forged = Group {
            name,
            lines: other.lines,
        };
        assert!(matches!(
            add(&mut map, forged),
            Err(EmitError::Unsupported { .. })
        ));
    }

    #[test]
    fn hostile_zone_name_is_refused() {
        let rs = set(vec![zone("a\n permit ip any any", "10.1.0.0/16")], vec![]);
        assert!(matches!(emit(&rs), Err(EmitError::BadName { .. })));
    }
}
