//! Reading what a Cisco IOS device runs (`build --from PREVIOUS`): a
//! conduitc build of either form and either naming (the content-named
//! lists of this version, the plain `conduit-ZONE-in` / `conduit-ZONE-in6`
//! of 0.1), or the device's own `show running-config`.
//!
//! Only what conduitc owns is read strictly: access lists and object
//! groups whose names start with `conduit-`, and the inbound and outbound
//! bindings of every interface. Every other top-level command and its
//! indented children are skipped (a running configuration is full of them);
//! a multi-line `banner` is skipped up to its closing delimiter.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{body_digest, Group};
use crate::backend::guard::is_name;
use crate::backend::EmitError;
use crate::model::platform::ios_interface_key;

/// The reserved prefix: every name conduitc writes on a device starts with
/// it, and a transition touches no other.
pub(super) const PREFIX: &str = "conduit-";

/// An access list conduitc wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct List {
    pub v6: bool,
    /// `ip access-list standard` (the vty access class).
    pub standard: bool,
    /// The 1-based line that opens it.
    pub line: usize,
    /// Its body lines, as written (port names read as numbers).
    pub body: Vec<String>,
    /// The object groups its entries name.
    pub groups: BTreeSet<String>,
}

/// An object group conduitc wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ObjGroup {
    /// `network` or `service`.
    pub kind: &'static str,
    pub line: usize,
    /// Member lines without their leading space.
    pub members: Vec<String>,
}

/// A list bound to an interface, and the line that binds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Bound {
    pub list: String,
    pub line: usize,
}

/// One interface and its bindings: `[IPv4, IPv6]` inbound and outbound.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Iface {
    /// The name as PREVIOUS writes it.
    pub name: String,
    pub inbound: [Option<Bound>; 2],
    pub outbound: [Option<Bound>; 2],
}

/// What a device configuration holds, as far as conduitc is concerned.
#[derive(Clone, Debug, Default)]
pub(super) struct State {
    /// conduitc's lists, by name, and their order in the text.
    pub lists: BTreeMap<String, List>,
    pub list_order: Vec<String>,
    /// conduitc's object groups, by name, and their order.
    pub groups: BTreeMap<String, ObjGroup>,
    pub group_order: Vec<String>,
    /// Every interface, by [`ios_interface_key`].
    pub ifaces: BTreeMap<String, Iface>,
    pub iface_order: Vec<String>,
    /// conduitc's groups named by lists conduitc did not write, with the
    /// line naming each.
    pub foreign_refs: BTreeMap<String, usize>,
    /// The access classes of `line vty`, `[IPv4, IPv6]` (any line range).
    pub vty: [Option<Bound>; 2],
}

impl State {
    /// The list bound inbound on `key` in family `v6`.
    pub fn inbound(&self, key: &str, v6: bool) -> Option<&Bound> {
        self.ifaces
            .get(key)
            .and_then(|i| i.inbound[usize::from(v6)].as_ref())
    }
}

fn refuse(line: usize, message: String) -> EmitError {
    EmitError::Previous {
        target: super::TARGET,
        line,
        message,
    }
}

/// What a top-level block being read is.
enum Block {
    None,
    /// Skipped with its children.
    Other,
    List {
        name: String,
        owned: bool,
    },
    Group {
        name: String,
    },
    Iface {
        key: String,
    },
    Vty,
}

/// Reads `text` as IOS configuration (see the module docs). `Err` is
/// [`EmitError::Previous`] with the line it concerns.
pub(super) fn read(text: &str) -> Result<State, EmitError> {
    let mut st = State::default();
    let mut block = Block::None;
    let mut seen_ios = false;
    let mut lines = text.split('\n').enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        let no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(c) = line.chars().find(|&c| c != '\t' && c.is_control()) {
            return Err(refuse(
                no,
                format!(
                    "character U+{:04X} is not IOS configuration text; give the running configuration or the previous build's file",
                    u32::from(c)
                ),
            ));
        }
        if line.trim().is_empty() {
            continue;
        }
        if let Some(child) = line.strip_prefix(' ') {
            match &block {
                Block::None => {
                    return Err(refuse(
                        no,
                        "an indented line outside any block; this is not IOS configuration".into(),
                    ))
                }
                Block::Other => {}
                Block::List { name, owned } => {
                    let (name, owned) = (name.clone(), *owned);
                    list_child(&mut st, &name, owned, child, no)?;
                }
                Block::Group { name } => {
                    let name = name.clone();
                    group_child(&mut st, &name, child, no)?;
                }
                Block::Iface { key } => {
                    let key = key.clone();
                    iface_child(&mut st, &key, child, no)?;
                }
                Block::Vty => vty_child(&mut st, child, no),
            }
            continue;
        }
        block = Block::None;
        if line.starts_with('!') {
            seen_ios = true;
            continue;
        }
        foreign_syntax(text, line, no)?;
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["end"] | ["exit"] => {
                seen_ios = true;
            }
            ["ip", "access-list", "extended", name] => {
                seen_ios = true;
                block = open_list(&mut st, name, false, no)?;
            }
            ["ip", "access-list", "standard", name] if name.starts_with(PREFIX) => {
                seen_ios = true;
                block = open_list(&mut st, name, false, no)?;
                if let Some(l) = st.lists.get_mut(*name) {
                    l.standard = true;
                }
            }
            ["line", "vty", ..] => {
                seen_ios = true;
                block = Block::Vty;
            }
            ["ipv6", "access-list", name] => {
                seen_ios = true;
                block = open_list(&mut st, name, true, no)?;
            }
            ["ip", "access-list", _, name, ..] | ["ipv6", "access-list", name, ..]
                if name.starts_with(PREFIX) =>
            {
                return Err(refuse(
                    no,
                    format!("`{line}` is not an access list conduitc writes"),
                ))
            }
            ["object-group", kind, name] if name.starts_with(PREFIX) => {
                seen_ios = true;
                block = open_group(&mut st, kind, name, no)?;
            }
            ["object-group", _, name, ..] if name.starts_with(PREFIX) => {
                return Err(refuse(
                    no,
                    format!("`{line}` is not an object group conduitc writes"),
                ))
            }
            ["interface", ..] => {
                seen_ios = true;
                let name = line.trim_start_matches("interface").trim();
                let key = ios_interface_key(name);
                if !st.ifaces.contains_key(&key) {
                    st.iface_order.push(key.clone());
                    st.ifaces.insert(
                        key.clone(),
                        Iface {
                            name: name.to_string(),
                            ..Iface::default()
                        },
                    );
                }
                block = Block::Iface { key };
            }
            ["banner", ..] => {
                seen_ios = true;
                skip_banner(line, no, &mut lines)?;
            }
            ["no", ..] if line.contains(PREFIX) => {
                return Err(refuse(
                    no,
                    "PREVIOUS removes conduitc objects, so it is a transition script, not a configuration; give the device's running configuration or the build the device runs".into(),
                ))
            }
            [first, ..] => {
                if matches!(
                    *first,
                    "version" | "hostname" | "service" | "boot-start-marker" | "ip" | "ipv6"
                ) {
                    seen_ios = true;
                }
                // Another list may name conduitc's groups: remember where.
                block = if matches!(*first, "ip" | "ipv6") && words.get(1) == Some(&"access-list")
                {
                    Block::List {
                        name: String::new(),
                        owned: false,
                    }
                } else {
                    Block::Other
                };
            }
            [] => {}
        }
    }
    if !seen_ios {
        return Err(refuse(
            0,
            "PREVIOUS holds no IOS configuration (no access list, interface, `!` line or `end`); give the running configuration or the previous build's file".into(),
        ));
    }
    Ok(st)
}

/// What `text` is, when it is one of the other languages conduitc writes
/// (or JSON): named in the refusal of its first line that is not IOS.
fn sniff(text: &str) -> &'static str {
    let starts = |p: &str| text.lines().any(|l| l.starts_with(p));
    if starts("config firewall") || starts("config system") {
        "FortiOS configuration"
    } else if starts("table inet") || starts("table ip") || starts("flush ruleset") {
        "nftables text"
    } else if text.trim_start().starts_with(['{', '[']) {
        "JSON"
    } else {
        "a configuration language other than IOS"
    }
}

/// Refuses a top-level line no IOS configuration holds: the syntax of
/// FortiOS, nftables and JSON, and `#` comments.
fn foreign_syntax(text: &str, line: &str, no: usize) -> Result<(), EmitError> {
    let first = line.split_whitespace().next().unwrap_or("");
    let foreign = matches!(
        first,
        "config"
            | "edit"
            | "set"
            | "next"
            | "unset"
            | "table"
            | "flush"
            | "define"
            | "include"
            | "chain"
    ) || line.trim_end().ends_with('{')
        || line.starts_with(['{', '[', '"', '#'])
        || line.contains('}');
    if foreign {
        return Err(refuse(
            no,
            format!(
                "this is {}, not Cisco IOS configuration; give the device's running configuration or the previous cisco-ios build",
                sniff(text)
            ),
        ));
    }
    Ok(())
}

/// Skips a `banner KIND <delim>text<delim>` that may span lines; the
/// delimiter is the first character after the kind (`^C` as two
/// characters, as a running configuration prints it).
fn skip_banner<'a>(
    line: &str,
    no: usize,
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
) -> Result<(), EmitError> {
    let rest = line
        .trim_start_matches("banner")
        .trim_start()
        .split_once(' ')
        .map(|(_, r)| r)
        .unwrap_or("");
    let delim: String = if rest.starts_with("^C") {
        "^C".to_string()
    } else {
        match rest.chars().next() {
            Some(c) => c.to_string(),
            None => return Ok(()),
        }
    };
    if rest[delim.len()..].contains(delim.as_str()) {
        return Ok(());
    }
    for (_, l) in lines.by_ref() {
        if l.contains(delim.as_str()) {
            return Ok(());
        }
    }
    Err(refuse(
        no,
        format!("the banner is not closed by its delimiter `{delim}`"),
    ))
}

/// What a `conduit-` list name says: its zone and whether it carries a
/// content hash (`None` for the plain names of 0.1). `Err` when conduitc
/// does not write the name for this family.
fn list_name_parts(name: &str, v6: bool) -> Option<Option<&str>> {
    let rest = name.strip_prefix(PREFIX)?;
    let hex8 = |h: &str| h.len() == 8 && h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
    let vty = if v6 { "vty6-" } else { "vty-" };
    if let Some(h) = rest.strip_prefix(vty).filter(|h| hex8(h)) {
        return Some(Some(h));
    }
    let suffix = if v6 { "-in6" } else { "-in" };
    if let Some((head, h)) = rest.rsplit_once('-') {
        if hex8(h) {
            let zone = head.strip_suffix(suffix)?;
            return is_name(zone).then_some(Some(h));
        }
    }
    let zone = rest.strip_suffix(suffix)?;
    is_name(zone).then_some(None)
}

fn open_list(st: &mut State, name: &str, v6: bool, no: usize) -> Result<Block, EmitError> {
    if !name.starts_with(PREFIX) {
        return Ok(Block::List {
            name: name.to_string(),
            owned: false,
        });
    }
    if list_name_parts(name, v6).is_none() {
        let want = if v6 {
            "conduit-ZONE-in6-HASH"
        } else {
            "conduit-ZONE-in-HASH"
        };
        return Err(refuse(
            no,
            format!("access list {name} uses the reserved prefix `conduit-` but is not a name conduitc writes ({want}); rename it"),
        ));
    }
    if st.lists.contains_key(name) {
        return Err(refuse(
            no,
            format!("access list {name} is defined twice (on a device the entries would merge)"),
        ));
    }
    st.list_order.push(name.to_string());
    st.lists.insert(
        name.to_string(),
        List {
            v6,
            standard: false,
            line: no,
            body: Vec::new(),
            groups: BTreeSet::new(),
        },
    );
    Ok(Block::List {
        name: name.to_string(),
        owned: true,
    })
}

fn open_group(st: &mut State, kind: &str, name: &str, no: usize) -> Result<Block, EmitError> {
    let hex12 = |h: &str| h.len() == 12 && h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
    let kind: &'static str = match (kind, name.strip_prefix("conduit-n-"), name.strip_prefix("conduit-s-")) {
        ("network", Some(h), _) if hex12(h) => "network",
        ("service", _, Some(h)) if hex12(h) => "service",
        _ => {
            return Err(refuse(
                no,
                format!("object group {name} uses the reserved prefix `conduit-` but is not a {kind} group conduitc writes; rename it"),
            ))
        }
    };
    if st.groups.contains_key(name) {
        return Err(refuse(
            no,
            format!("object group {name} is defined twice (on a device the members would merge)"),
        ));
    }
    st.group_order.push(name.to_string());
    st.groups.insert(
        name.to_string(),
        ObjGroup {
            kind,
            line: no,
            members: Vec::new(),
        },
    );
    Ok(Block::Group {
        name: name.to_string(),
    })
}

/// Named ports a running configuration may print instead of numbers.
pub(crate) fn port_number(tok: &str) -> Option<u16> {
    let n = match tok {
        "ftp-data" => 20,
        "ftp" => 21,
        "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "tacacs" => 49,
        "domain" => 53,
        "bootps" => 67,
        "bootpc" => 68,
        "tftp" => 69,
        "www" => 80,
        "pop3" => 110,
        "ntp" => 123,
        "snmp" => 161,
        "snmptrap" => 162,
        "bgp" => 179,
        "isakmp" => 500,
        "syslog" => 514,
        _ => return tok.parse().ok(),
    };
    Some(n)
}

/// `text` with port names after `eq`, `neq`, `lt`, `gt` and `range` as
/// numbers; `Err` names a port that is neither.
fn numeric_ports(text: &str) -> Result<String, String> {
    let mut out: Vec<String> = Vec::new();
    let mut ports_left = 0;
    for tok in text.split(' ') {
        if ports_left > 0 {
            ports_left -= 1;
            match port_number(tok) {
                Some(n) => out.push(n.to_string()),
                None => return Err(format!("port `{tok}` is not understood")),
            }
            continue;
        }
        ports_left = match tok {
            "eq" | "neq" | "lt" | "gt" => 1,
            "range" => 2,
            _ => 0,
        };
        out.push(tok.to_string());
    }
    Ok(out.join(" "))
}

/// Words an entry conduitc writes may hold besides addresses, numbers and
/// group names.
const KEYWORDS: &[&str] = &[
    "permit",
    "deny",
    "ip",
    "ipv6",
    "tcp",
    "udp",
    "icmp",
    "any",
    "host",
    "eq",
    "range",
    "established",
    "log",
    "fragments",
    "object-group",
    "echo",
    "echo-reply",
    "echo-request",
    "unreachable",
    "redirect",
    "router-advertisement",
    "router-solicitation",
    "time-exceeded",
    "parameter-problem",
    "timestamp-request",
    "timestamp-reply",
    "packet-too-big",
    "nd-na",
    "nd-ns",
];

/// One entry's text after its sequence number, or why it is not one
/// conduitc writes.
fn entry_understood(text: &str, v6: bool) -> Result<(), String> {
    let mut toks = text.split(' ');
    if !matches!(toks.next(), Some("permit" | "deny")) {
        return Err("not a permit or deny entry".into());
    }
    for t in toks {
        let ok = KEYWORDS.contains(&t)
            || t.parse::<u32>().is_ok()
            || (!v6 && t.parse::<Ipv4Addr>().is_ok())
            || (v6
                && (t.parse::<Ipv6Addr>().is_ok()
                    || t.split_once('/').is_some_and(|(a, l)| {
                        a.parse::<Ipv6Addr>().is_ok() && l.parse::<u8>().is_ok()
                    })))
            || (t.starts_with(PREFIX) && is_name(t));
        if !ok {
            return Err(format!("`{t}` is not understood"));
        }
    }
    Ok(())
}

fn list_child(
    st: &mut State,
    name: &str,
    owned: bool,
    child: &str,
    no: usize,
) -> Result<(), EmitError> {
    if !owned {
        // A list conduitc did not write: only its references to
        // conduitc's groups matter.
        let mut toks = child.split_whitespace().peekable();
        while let Some(t) = toks.next() {
            if t == "object-group" {
                if let Some(g) = toks.peek().filter(|g| g.starts_with(PREFIX)) {
                    st.foreign_refs.entry((*g).to_string()).or_insert(no);
                }
            }
        }
        return Ok(());
    }
    let Some(list) = st.lists.get_mut(name) else {
        return Ok(());
    };
    let v6 = list.v6;
    let bad = |why: String| {
        refuse(
            no,
            format!(
                "access list {name}: {why}; conduitc does not write `{}`",
                child.trim()
            ),
        )
    };
    if child.trim() != child || child.contains("  ") {
        return Err(bad("stray spaces".into()));
    }
    // ` remark TEXT`, optionally numbered as IOS-XE may print it.
    let unnumbered = child
        .split_once(' ')
        .filter(|(n, _)| n.parse::<u32>().is_ok())
        .map_or(child, |(_, r)| r);
    if let Some(text) = unnumbered.strip_prefix("remark ") {
        list.body.push(format!(" remark {text}"));
        return Ok(());
    }
    // ` N permit ...`; IPv6 ` sequence N permit ...` or ` permit ... sequence N`.
    let (seq, text) = if v6 {
        if let Some(r) = child.strip_prefix("sequence ") {
            r.split_once(' ').unwrap_or((r, ""))
        } else if let Some((t, n)) = child.rsplit_once(" sequence ") {
            (n, t)
        } else {
            return Err(bad("an IPv6 entry without a sequence number".into()));
        }
    } else {
        child.split_once(' ').unwrap_or((child, ""))
    };
    let seq: u32 = seq
        .parse()
        .map_err(|_| bad("an entry without a sequence number".into()))?;
    let text = numeric_ports(text).map_err(bad)?;
    entry_understood(&text, v6).map_err(bad)?;
    let mut toks = text.split(' ').peekable();
    while let Some(t) = toks.next() {
        if t == "object-group" {
            if let Some(g) = toks.peek() {
                list.groups.insert((*g).to_string());
            }
        }
    }
    let kw = if v6 { "sequence " } else { "" };
    list.body.push(format!(" {kw}{seq} {text}"));
    Ok(())
}

fn group_child(st: &mut State, name: &str, child: &str, no: usize) -> Result<(), EmitError> {
    let Some(g) = st.groups.get_mut(name) else {
        return Ok(());
    };
    let bad = |why: &str| {
        refuse(
            no,
            format!(
                "object group {name}: {why}; conduitc does not write `{}`",
                child.trim()
            ),
        )
    };
    if child.trim() != child || child.contains("  ") {
        return Err(bad("stray spaces"));
    }
    let text = numeric_ports(child).map_err(|e| bad(&e))?;
    let toks: Vec<&str> = text.split(' ').collect();
    let v4 = |t: &str| t.parse::<Ipv4Addr>().is_ok();
    let ok = match (g.kind, toks.as_slice()) {
        ("network", ["host", a]) => v4(a),
        ("network", [a, m]) => v4(a) && v4(m),
        ("service", ["tcp" | "udp", "eq", p]) => p.parse::<u16>().is_ok(),
        ("service", ["tcp" | "udp", "range", a, b]) => {
            a.parse::<u16>().is_ok() && b.parse::<u16>().is_ok()
        }
        ("service", ["icmp", t]) => KEYWORDS.contains(t) || t.parse::<u8>().is_ok(),
        _ => false,
    };
    if !ok {
        return Err(bad("a member conduitc does not write"));
    }
    g.members.push(text);
    Ok(())
}

fn iface_child(st: &mut State, key: &str, child: &str, no: usize) -> Result<(), EmitError> {
    let words: Vec<&str> = child.split_whitespace().collect();
    let (v6, list, dir) = match words.as_slice() {
        ["ip", "access-group", list, dir @ ("in" | "out")] => (false, *list, *dir),
        ["ipv6", "traffic-filter", list, dir @ ("in" | "out")] => (true, *list, *dir),
        _ => return Ok(()),
    };
    let Some(iface) = st.ifaces.get_mut(key) else {
        return Ok(());
    };
    let slot = if dir == "in" {
        &mut iface.inbound
    } else {
        &mut iface.outbound
    };
    slot[usize::from(v6)] = Some(Bound {
        list: list.to_string(),
        line: no,
    });
    Ok(())
}

/// An access class under `line vty`; other commands there are not
/// conduitc's.
fn vty_child(st: &mut State, child: &str, no: usize) {
    let words: Vec<&str> = child.split_whitespace().collect();
    let (v6, list) = match words.as_slice() {
        ["access-class", list, "in"] => (false, *list),
        ["ipv6", "access-class", list, "in"] => (true, *list),
        _ => return,
    };
    st.vty[usize::from(v6)] = Some(Bound {
        list: list.to_string(),
        line: no,
    });
}

/// Checks that every content-named list and group holds what its name
/// says: an edit by hand under a conduitc name is refused, with the line
/// that opens it.
pub(super) fn check_contents(st: &State) -> Result<(), EmitError> {
    for (name, list) in &st.lists {
        let Some(Some(h)) = list_name_parts(name, list.v6) else {
            continue;
        };
        let digest = body_digest(list.body.iter().map(String::as_str));
        let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        if hex != h {
            return Err(refuse(
                list.line,
                format!("access list {name} does not hold what its name says (it was edited by hand); restore it from the build that wrote it, or remove it and its bindings from the device, then build the transition again"),
            ));
        }
    }
    for (name, g) in &st.groups {
        let prefix = if g.kind == "network" {
            "conduit-n-"
        } else {
            "conduit-s-"
        };
        if Group::new(prefix, g.members.clone()).name() != name {
            return Err(refuse(
                g.line,
                format!("object group {name} does not hold what its name says (it was edited by hand); restore it from the build that wrote it, then build the transition again"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names_conduitc_writes() {
        assert_eq!(list_name_parts("conduit-a-in", false), Some(None));
        assert_eq!(list_name_parts("conduit-a-in6", true), Some(None));
        assert_eq!(
            list_name_parts("conduit-a-in-0123abcd", false),
            Some(Some("0123abcd"))
        );
        assert_eq!(
            list_name_parts("conduit-a-b-in6-0123abcd", true),
            Some(Some("0123abcd"))
        );
        assert_eq!(list_name_parts("conduit-a-in6-0123abcd", false), None);
        assert_eq!(list_name_parts("conduit-a-out", false), None);
        assert_eq!(list_name_parts("conduit-1-in", false), None);
        assert_eq!(list_name_parts("conduit-n-0123456789ab", false), None);
    }

    #[test]
    fn port_names_read_as_numbers() {
        assert_eq!(
            numeric_ports("permit tcp any host 10.0.0.1 eq www").as_deref(),
            Ok("permit tcp any host 10.0.0.1 eq 80")
        );
        assert!(numeric_ports("permit tcp any any eq gopher").is_err());
    }
}
