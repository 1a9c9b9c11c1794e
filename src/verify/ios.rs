//! A strict reader of Cisco IOS / IOS-XE configuration for `verify`: the
//! device's `show running-config`, or a conduitc build of either form.
//!
//! Read: `ip access-list extended|standard NAME`, `ipv6 access-list NAME`
//! and numbered `access-list N` entries (sequence numbers, `remark`);
//! `object-group network|service NAME`; and in each `interface NAME` block,
//! `ip access-group LIST in|out` and `ipv6 traffic-filter LIST in|out`;
//! in `line vty A B` blocks, `access-class LIST in` and `ipv6 access-class
//! LIST in` (which SSH and telnet sessions to the router meet).
//!
//! Refused with the line ([`DeviceError::Unmodelled`]): what changes what
//! the device admits and is not modelled: the zone-based firewall
//! (`zone security`, `zone-pair`, `zone-member security`, inspect class
//! and policy maps, `service-policy type inspect`), `ip inspect`, entries
//! with `time-range`, `reflect`, `evaluate`, `dynamic`, TCP flag matches,
//! DSCP, precedence, TOS, TTL or length matches, ICMP codes, a deny with
//! source ports, non-contiguous wildcards. Text it cannot read is
//! [`DeviceError::Unreadable`].
//!
//! Skipped, with their indented lines: every other top-level command
//! (`hostname`, `logging`, other `line` blocks, `router`, `crypto`,
//! `banner`, `ntp`...),
//! and every other line of an interface block (addresses, descriptions,
//! `shutdown`...): none of them filters forwarded packets.
//!
//! Semantics (packets that open a connection): a packet from interface I
//! to interface O passes the list bound inbound on I for its family, then
//! the list bound outbound on O; an interface without a binding, or bound
//! to a list that does not exist, or to a list without entries, passes
//! everything; entries are tried by sequence number, first match wins,
//! and no match is the implicit deny. Entries that match no opening
//! packet are passed over: `established`, `fragments` (non-initial
//! fragments only), and the IPv6 neighbour discovery permits (`nd-na`,
//! `nd-ns`; not forwarded). A permit that matches on source ports, or a
//! permit of `echo-reply` only, admits replies: it is judged as the
//! connections it answers, which the policy must allow.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::acl::{compose, unmodelled, unreadable, v6_prefix, Device, DeviceError, Reply};
use super::{Cond, Entry};
use crate::diff::access::Cube;
use crate::model::service::icmp_type_by_name;
use crate::model::{AddrSet, PortSet, ServiceSpace};

type R<T> = Result<T, DeviceError>;

/// One entry as read.
#[derive(Clone, Debug)]
struct Ace {
    seq: u64,
    line: usize,
    text: String,
    kind: AceKind,
}

#[derive(Clone, Debug)]
enum AceKind {
    /// Matches opening packets in `cond`.
    Live { cond: Cond, accept: bool },
    /// Matches no packet that opens a connection.
    Dead,
    /// A reply entry: the connections whose replies it admits.
    Reply(Cube),
}

#[derive(Clone, Debug, Default)]
struct Acl {
    v6: bool,
    standard: bool,
    line: usize,
    aces: Vec<Ace>,
}

#[derive(Clone, Debug, Default)]
struct Group {
    service: bool,
    addrs: AddrSet,
    svc: ServiceSpace,
}

#[derive(Clone, Debug)]
struct Binding {
    iface: String,
    list: String,
    v6: bool,
    inbound: bool,
    line: usize,
    text: String,
}

enum Block {
    None,
    Skip,
    List(String),
    Group(String),
    Iface(String),
    /// `line vty A B`: the lines from A to B.
    Vty(u32, u32),
}

/// The access class a vty line applies inbound: the list's name, and the
/// line and text that bind it.
type Class = (String, usize, String);

/// The classes of the vty lines: IPv4 (`access-class NAME in`) and IPv6
/// (`ipv6 access-class NAME in`), by line number.
type VtyClasses = BTreeMap<u32, [Option<Class>; 2]>;

/// The vty lines every router has (0-15).
const VTY_LINES: u32 = 16;

const ZBF: &[&str] = &[
    "zone security",
    "zone-pair",
    "ip inspect",
    "class-map type inspect",
    "policy-map type inspect",
    "parameter-map type inspect",
];

/// Reads Cisco IOS configuration text (see the module documentation).
pub fn read_ios(text: &str) -> Result<Device, DeviceError> {
    let mut lists: BTreeMap<String, Acl> = BTreeMap::new();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut bindings: Vec<Binding> = Vec::new();
    let mut ifaces: Vec<String> = Vec::new();
    let mut vty: VtyClasses = BTreeMap::new();
    let mut block = Block::None;
    let mut banner: Option<String> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(end) = &banner {
            if line.contains(end.as_str()) {
                banner = None;
            }
            continue;
        }
        if let Some(c) = line.chars().find(|&c| c != '\t' && c.is_control()) {
            return unreadable(
                no,
                format!(
                    "character U+{:04X} is not IOS configuration text",
                    u32::from(c)
                ),
            );
        }
        let t = line.trim();
        if t.is_empty() || t.starts_with('!') {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            match &block {
                Block::None => {
                    return unreadable(no, "an indented line outside any block");
                }
                Block::Skip => {}
                Block::List(name) => {
                    let name = name.clone();
                    list_line(&mut lists, &groups, &name, t, no, true)?;
                }
                Block::Group(name) => {
                    let name = name.clone();
                    group_line(&mut groups, &name, t, no)?;
                }
                Block::Iface(name) => {
                    if let Some(b) = iface_line(name, t, no)? {
                        bindings.push(b);
                    }
                }
                Block::Vty(lo, hi) => {
                    let words: Vec<&str> = t.split_whitespace().collect();
                    let class = match words.as_slice() {
                        ["access-class", list, "in", rest @ ..]
                            if rest.iter().all(|w| *w == "vrf-also") =>
                        {
                            Some((0, *list))
                        }
                        ["ipv6", "access-class", list, "in"] => Some((1, *list)),
                        ["access-class" | "ipv6", ..] if words.contains(&"in") => {
                            return unreadable(
                                no,
                                format!("`{t}` is not an access class verify reads"),
                            );
                        }
                        _ => None,
                    };
                    if let Some((fam, list)) = class {
                        for n in *lo..=*hi {
                            vty.entry(n).or_default()[fam] =
                                Some((list.to_string(), no, t.to_string()));
                        }
                    }
                }
            }
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        block = Block::Skip;
        match words.as_slice() {
            ["exit"] | ["end"] => block = Block::None,
            ["ip", "access-list", kind @ ("extended" | "standard"), name] => {
                let standard = *kind == "standard";
                let e = lists.entry((*name).to_string()).or_insert_with(|| Acl {
                    v6: false,
                    standard,
                    line: no,
                    aces: Vec::new(),
                });
                if e.v6 || e.standard != standard {
                    return unreadable(no, format!("`{name}` is a list of another kind"));
                }
                block = Block::List((*name).to_string());
            }
            ["ipv6", "access-list", name] => {
                let e = lists.entry((*name).to_string()).or_insert_with(|| Acl {
                    v6: true,
                    standard: false,
                    line: no,
                    aces: Vec::new(),
                });
                if !e.v6 {
                    return unreadable(no, format!("`{name}` is an IPv4 list"));
                }
                block = Block::List((*name).to_string());
            }
            ["ip", "access-list", ..] | ["ipv6", "access-list", ..] => {
                return unreadable(no, format!("`{t}` is not an access list verify reads"));
            }
            ["access-list", num, rest @ ..] => {
                let n: u32 = num.parse().map_err(|_| {
                    DeviceError::Unreadable(super::ReadError {
                        line: no,
                        message: format!("`{num}` is not an access list number"),
                    })
                })?;
                let standard = matches!(n, 1..=99 | 1300..=1999);
                let extended = matches!(n, 100..=199 | 2000..=2699);
                if !standard && !extended {
                    return unreadable(
                        no,
                        format!("access list {n} is neither standard nor extended IP"),
                    );
                }
                let key = n.to_string();
                lists.entry(key.clone()).or_insert_with(|| Acl {
                    v6: false,
                    standard,
                    line: no,
                    aces: Vec::new(),
                });
                list_line(&mut lists, &groups, &key, &rest.join(" "), no, false)?;
                block = Block::None;
            }
            ["object-group", kind @ ("network" | "service"), name] => {
                groups.insert(
                    (*name).to_string(),
                    Group {
                        service: *kind == "service",
                        ..Group::default()
                    },
                );
                block = Block::Group((*name).to_string());
            }
            ["interface", name] => {
                if !ifaces.iter().any(|n| n == name) {
                    ifaces.push((*name).to_string());
                }
                block = Block::Iface((*name).to_string());
            }
            ["interface", ..] => {
                return unreadable(no, format!("`{t}`: one interface name expected"));
            }
            ["line", "vty", range @ ..] => {
                let nums: Vec<u32> = range.iter().filter_map(|w| w.parse().ok()).collect();
                let (lo, hi) = match nums.as_slice() {
                    [a] if range.len() == 1 => (*a, *a),
                    [a, b] if range.len() == 2 && a <= b => (*a, *b),
                    _ => return unreadable(no, format!("`{t}`: bad vty line range")),
                };
                for n in lo..=hi {
                    vty.entry(n).or_default();
                }
                block = Block::Vty(lo, hi);
            }
            ["no", "ip" | "ipv6", "access-list", ..]
            | ["no", "access-list" | "object-group", ..] => {
                return unreadable(
                    no,
                    "a `no` command: this is a script, not a configuration; give `show running-config` or a build",
                );
            }
            ["banner", _, delim, ..] => {
                let d: String = if delim.starts_with("^C") {
                    "^C".into()
                } else {
                    delim.chars().take(1).collect()
                };
                let after = t.splitn(3, ' ').nth(2).unwrap_or("");
                let tail = &after[d.len().min(after.len())..];
                if !tail.contains(d.as_str()) {
                    banner = Some(d);
                }
            }
            _ if ZBF.iter().any(|z| t.starts_with(z)) => {
                return unmodelled(
                    no,
                    format!(
                        "`{t}`: the zone-based firewall and inspection are not modelled by verify"
                    ),
                );
            }
            _ => {}
        }
    }
    let mut dev = assemble(lists, bindings, &vty)?;
    dev.ifaces = ifaces;
    Ok(dev)
}

fn list_line(
    lists: &mut BTreeMap<String, Acl>,
    groups: &BTreeMap<String, Group>,
    name: &str,
    t: &str,
    no: usize,
    named: bool,
) -> R<()> {
    let Some(acl) = lists.get_mut(name) else {
        return unreadable(no, format!("no list `{name}`"));
    };
    let standard = acl.standard;
    let v6 = acl.v6;
    let mut words: Vec<&str> = t.split_whitespace().collect();
    let mut seq = None;
    if named {
        if words.first() == Some(&"sequence") {
            words.remove(0);
            if words.is_empty() {
                return unreadable(no, "`sequence` without a number");
            }
        }
        if let Some(n) = words.first().and_then(|w| w.parse::<u64>().ok()) {
            seq = Some(n);
            words.remove(0);
        }
        // IOS prints an IPv6 entry's number last: `permit ... sequence N`.
        if let [.., "sequence", n] = words.as_slice() {
            if let (None, Ok(n)) = (seq, n.parse::<u64>()) {
                seq = Some(n);
                words.truncate(words.len() - 2);
            }
        }
    }
    match words.first() {
        Some(&"remark") => return Ok(()),
        Some(&("permit" | "deny")) => {}
        Some(&"dynamic") => {
            return unmodelled(
                no,
                "a dynamic (lock-and-key) entry is not modelled by verify",
            );
        }
        Some(&"evaluate") => {
            return unmodelled(no, "`evaluate` (reflexive lists) is not modelled by verify");
        }
        _ => return unreadable(no, format!("`{t}` is not an access-list entry")),
    }
    let seq = match seq {
        Some(n) => n,
        None => acl.aces.iter().map(|a| a.seq).max().unwrap_or(0) + 10,
    };
    if acl.aces.iter().any(|a| a.seq == seq) {
        return unreadable(
            no,
            format!("sequence number {seq} is used twice in the list"),
        );
    }
    let accept = words[0] == "permit";
    let kind = if standard {
        standard_entry(&words[1..], no, accept)?
    } else {
        extended_entry(&words[1..], groups, v6, no, accept)?
    };
    acl.aces.push(Ace {
        seq,
        line: no,
        text: t.to_string(),
        kind,
    });
    Ok(())
}

fn standard_entry(w: &[&str], no: usize, accept: bool) -> R<AceKind> {
    let mut it = Toks { w, i: 0, no };
    let src = match it.next()? {
        "any" => AddrSet::all().v4_only(),
        "host" => v4_host(it.next()?, no)?,
        a => {
            let wc = match it.peek() {
                Some(x) if x.parse::<Ipv4Addr>().is_ok() => it.next()?,
                _ => "0.0.0.0",
            };
            v4_wild(a, wc, no)?
        }
    };
    while let Some(x) = it.peek() {
        it.i += 1;
        if x != "log" {
            return unreadable(no, format!("`{x}` is not understood in a standard entry"));
        }
    }
    let mut cond = Cond::all();
    cond.src = src;
    cond.dst = AddrSet::all().v4_only();
    Ok(AceKind::Live { cond, accept })
}

struct Toks<'a> {
    w: &'a [&'a str],
    i: usize,
    no: usize,
}

impl<'a> Toks<'a> {
    fn next(&mut self) -> R<&'a str> {
        match self.w.get(self.i) {
            Some(x) => {
                self.i += 1;
                Ok(x)
            }
            None => unreadable(self.no, "the entry ends too early"),
        }
    }
    fn peek(&self) -> Option<&'a str> {
        self.w.get(self.i).copied()
    }
}

fn v4(a: &str, no: usize) -> R<u32> {
    match a.parse::<Ipv4Addr>() {
        Ok(x) => Ok(u32::from(x)),
        Err(_) => unreadable(no, format!("`{a}` is not an IPv4 address")),
    }
}

fn v4_host(a: &str, no: usize) -> R<AddrSet> {
    let x = v4(a, no)?;
    Ok(AddrSet::from_v4_ranges(vec![(x, x)]))
}

fn v4_wild(a: &str, w: &str, no: usize) -> R<AddrSet> {
    let (x, m) = (v4(a, no)?, v4(w, no)?);
    if m.checked_add(1).is_some_and(|n| n & m != 0) {
        return unmodelled(
            no,
            format!("the wildcard `{w}` is not contiguous; verify models prefix wildcards only"),
        );
    }
    Ok(AddrSet::from_v4_ranges(vec![(x & !m, x | m)]))
}

fn v4_mask(a: &str, m: &str, no: usize) -> R<AddrSet> {
    let mask = v4(m, no)?;
    if mask.leading_ones() + mask.trailing_zeros() != 32 {
        return unreadable(no, format!("`{m}` is not a subnet mask"));
    }
    v4_wild(a, &Ipv4Addr::from(!mask).to_string(), no)
}

fn address(it: &mut Toks<'_>, groups: &BTreeMap<String, Group>, v6: bool) -> R<AddrSet> {
    let no = it.no;
    let fam = |s: AddrSet| if v6 { s.v6_only() } else { s.v4_only() };
    match it.next()? {
        "any" => Ok(fam(AddrSet::all())),
        "host" => {
            let a = it.next()?;
            if v6 {
                match a.parse::<Ipv6Addr>() {
                    Ok(x) => Ok(AddrSet::from_v6_ranges(vec![(
                        u128::from(x),
                        u128::from(x),
                    )])),
                    Err(_) => unreadable(no, format!("`{a}` is not an IPv6 address")),
                }
            } else {
                v4_host(a, no)
            }
        }
        "object-group" | "addrgroup" => {
            let n = it.next()?;
            match groups.get(n) {
                Some(g) if !g.service => Ok(fam(g.addrs.clone())),
                Some(_) => unreadable(no, format!("`{n}` is a service group")),
                None => unreadable(
                    no,
                    format!("no network object group `{n}` is defined before this line"),
                ),
            }
        }
        a if v6 => v6_prefix(a, no, false),
        a => {
            let w = it.next()?;
            v4_wild(a, w, no)
        }
    }
}

/// A port operator and its ports, if one follows.
fn ports(it: &mut Toks<'_>) -> R<Option<PortSet>> {
    let no = it.no;
    let op = match it.peek() {
        Some(op @ ("eq" | "neq" | "lt" | "gt" | "range")) => op,
        _ => return Ok(None),
    };
    it.i += 1;
    let port = |it: &mut Toks<'_>| -> R<u16> {
        let p = it.next()?;
        match crate::backend::ios_port_number(p) {
            Some(n) => Ok(n),
            None => unreadable(no, format!("port `{p}` is not understood")),
        }
    };
    let set = match op {
        "eq" => {
            let mut v = vec![port(it)?];
            while let Some(n) = it.peek().and_then(crate::backend::ios_port_number) {
                it.i += 1;
                v.push(n);
            }
            PortSet::from_ranges(v.into_iter().map(|n| (n, n)))
        }
        "neq" => {
            let n = port(it)?;
            let mut r = Vec::new();
            if n > 0 {
                r.push((0, n - 1));
            }
            if n < u16::MAX {
                r.push((n + 1, u16::MAX));
            }
            PortSet::from_ranges(r)
        }
        "lt" => {
            let n = port(it)?;
            if n == 0 {
                PortSet::new()
            } else {
                PortSet::from_ranges([(0, n - 1)])
            }
        }
        "gt" => {
            let n = port(it)?;
            if n == u16::MAX {
                PortSet::new()
            } else {
                PortSet::from_ranges([(n + 1, u16::MAX)])
            }
        }
        _ => {
            let a = port(it)?;
            let b = port(it)?;
            PortSet::from_ranges([(a.min(b), a.max(b))])
        }
    };
    Ok(Some(set))
}

fn protocol(p: &str, v6: bool, no: usize) -> R<Option<u8>> {
    let n = match p {
        "ip" if !v6 => return Ok(None),
        "ipv6" if v6 => return Ok(None),
        "tcp" => 6,
        "udp" => 17,
        "icmp" => {
            if v6 {
                58
            } else {
                1
            }
        }
        "igmp" => 2,
        "gre" => 47,
        "esp" => 50,
        "ahp" => 51,
        "eigrp" => 88,
        "ospf" => 89,
        "pim" => 103,
        "sctp" => 132,
        "ipinip" => 4,
        n => match n.parse::<u8>() {
            Ok(x) => x,
            Err(_) => return unreadable(no, format!("protocol `{n}` is not understood")),
        },
    };
    Ok(Some(n))
}

fn extended_entry(
    w: &[&str],
    groups: &BTreeMap<String, Group>,
    v6: bool,
    no: usize,
    accept: bool,
) -> R<AceKind> {
    let mut it = Toks { w, i: 0, no };
    let p = it.next()?;
    let (proto, svc_group) = if p == "object-group" {
        let n = it.next()?;
        match groups.get(n) {
            Some(g) if g.service && !v6 => (None, Some(g.svc.clone())),
            Some(_) => return unreadable(no, format!("`{n}` is not a service group usable here")),
            None => {
                return unreadable(
                    no,
                    format!("no service object group `{n}` is defined before this line"),
                )
            }
        }
    } else {
        (protocol(p, v6, no)?, None)
    };
    let src = address(&mut it, groups, v6)?;
    let ported = matches!(proto, Some(6 | 17));
    let sport = if ported { ports(&mut it)? } else { None };
    let dst = address(&mut it, groups, v6)?;
    let dport = if ported { ports(&mut it)? } else { None };
    let mut icmp: Option<u8> = None;
    if matches!(proto, Some(1 | 58)) {
        if let Some(x) = it.peek() {
            let named = match x {
                "echo" => Some(8u8),
                "nd-na" if v6 => Some(136),
                "nd-ns" if v6 => Some(135),
                "unreachable" if !v6 => Some(3),
                "unreachable" => Some(1),
                "echo-request" if v6 => Some(128),
                _ => icmp_type_by_name(x, v6),
            };
            if let Some(t) = named.or_else(|| x.parse::<u8>().ok()) {
                it.i += 1;
                icmp = Some(t);
                if it.peek().is_some_and(|c| c.parse::<u8>().is_ok()) {
                    return unmodelled(no, "an ICMP code is not modelled by verify");
                }
            }
        }
    }
    let (mut established, mut fragments) = (false, false);
    while let Some(x) = it.peek() {
        it.i += 1;
        match x {
            "log" | "log-input" => {}
            "established" if proto == Some(6) => established = true,
            "fragments" => fragments = true,
            "time-range" | "reflect" | "dscp" | "precedence" | "tos" | "ttl" | "option"
            | "match-all" | "match-any" | "ack" | "syn" | "fin" | "psh" | "rst" | "urg"
            | "flow-label" | "routing" | "sequence" | "dest-option" | "hbh" | "mobility" => {
                return unmodelled(
                    no,
                    format!("`{x}` in an access-list entry is not modelled by verify"),
                );
            }
            other => {
                return unreadable(
                    no,
                    format!("`{other}` is not understood in an access-list entry"),
                );
            }
        }
    }
    if established || fragments {
        return Ok(AceKind::Dead);
    }
    let svc = match (proto, svc_group) {
        (_, Some(s)) => s,
        (None, None) => ServiceSpace::any(),
        (Some(n @ (6 | 17)), _) => match &dport {
            Some(ps) => ServiceSpace::ports(n, ps),
            None => ServiceSpace::protocol(n),
        },
        (Some(n @ (1 | 58)), _) => match icmp {
            Some(t) => ServiceSpace::types(n, &BTreeSet::from([t])),
            None => ServiceSpace::protocol(n),
        },
        (Some(n), _) => ServiceSpace::protocol(n),
    };
    let fam = |s: AddrSet| if v6 { s.v6_only() } else { s.v4_only() };
    let (src, dst) = (fam(src), fam(dst));
    if v6 && proto == Some(58) && matches!(icmp, Some(135 | 136)) {
        return Ok(AceKind::Dead);
    }
    if let Some(sp) = sport {
        if !accept {
            return unmodelled(no, "a deny entry on source ports is not modelled by verify");
        }
        let n = proto.unwrap_or(6);
        return Ok(AceKind::Reply(Cube {
            src: dst,
            dst: src,
            svc: ServiceSpace::ports(n, &sp),
        }));
    }
    if accept && icmp == Some(if v6 { 129 } else { 0 }) {
        let req = if v6 { 128 } else { 8 };
        return Ok(AceKind::Reply(Cube {
            src: dst,
            dst: src,
            svc: ServiceSpace::types(proto.unwrap_or(1), &BTreeSet::from([req])),
        }));
    }
    let mut cond = Cond::all();
    cond.src = src;
    cond.dst = dst;
    cond.svc = svc;
    Ok(AceKind::Live { cond, accept })
}

fn group_line(groups: &mut BTreeMap<String, Group>, name: &str, t: &str, no: usize) -> R<()> {
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.first() == Some(&"description") {
        return Ok(());
    }
    let Some(g) = groups.get(name).cloned() else {
        return unreadable(no, format!("no group `{name}`"));
    };
    let mut g = g;
    if let ["group-object", other] = words.as_slice() {
        let Some(o) = groups.get(*other) else {
            return unreadable(
                no,
                format!("no object group `{other}` is defined before this line"),
            );
        };
        if o.service != g.service {
            return unreadable(no, format!("`{other}` is a group of another kind"));
        }
        g.addrs = g.addrs.union(&o.addrs);
        g.svc = g.svc.union(&o.svc);
    } else if !g.service {
        let set = match words.as_slice() {
            ["any"] => AddrSet::all().v4_only(),
            ["host", a] => v4_host(a, no)?,
            ["range", a, b] => {
                let (x, y) = (v4(a, no)?, v4(b, no)?);
                AddrSet::from_v4_ranges(vec![(x.min(y), x.max(y))])
            }
            [a, m] => v4_mask(a, m, no)?,
            _ => return unreadable(no, format!("`{t}` is not a network group member")),
        };
        g.addrs = g.addrs.union(&set);
    } else {
        let mut it = Toks {
            w: &words,
            i: 0,
            no,
        };
        let p = it.next()?;
        let svc = match p {
            "tcp" | "udp" | "tcp-udp" => {
                if it.peek() == Some("source") {
                    return unmodelled(
                        no,
                        "a source-port service member is not modelled by verify",
                    );
                }
                let ps = ports(&mut it)?;
                let protos: &[u8] = match p {
                    "tcp" => &[6],
                    "udp" => &[17],
                    _ => &[6, 17],
                };
                let mut s = ServiceSpace::new();
                for &n in protos {
                    s = s.union(&match &ps {
                        Some(ps) => ServiceSpace::ports(n, ps),
                        None => ServiceSpace::protocol(n),
                    });
                }
                s
            }
            "icmp" => match it.peek() {
                Some(x) => {
                    it.i += 1;
                    let t = match x {
                        "echo" => Some(8),
                        "unreachable" => Some(3),
                        _ => icmp_type_by_name(x, false).or_else(|| x.parse().ok()),
                    };
                    match t {
                        Some(t) => ServiceSpace::types(1, &BTreeSet::from([t])),
                        None => {
                            return unreadable(no, format!("ICMP type `{x}` is not understood"))
                        }
                    }
                }
                None => ServiceSpace::protocol(1),
            },
            other => match protocol(other, false, no)? {
                Some(n) => ServiceSpace::protocol(n),
                None => ServiceSpace::any(),
            },
        };
        if let Some(x) = it.peek() {
            return unreadable(
                no,
                format!("`{x}` is not understood in a service group member"),
            );
        }
        g.svc = g.svc.union(&svc);
    }
    groups.insert(name.to_string(), g);
    Ok(())
}

fn iface_line(iface: &str, t: &str, no: usize) -> R<Option<Binding>> {
    let words: Vec<&str> = t.split_whitespace().collect();
    let bind = |list: &str, v6: bool, dir: &str| -> R<Option<Binding>> {
        let inbound = match dir {
            "in" => true,
            "out" => false,
            _ => return unreadable(no, format!("`{dir}`: `in` or `out` expected")),
        };
        Ok(Some(Binding {
            iface: iface.to_string(),
            list: list.to_string(),
            v6,
            inbound,
            line: no,
            text: t.to_string(),
        }))
    };
    match words.as_slice() {
        ["ip", "access-group", list, dir] => bind(list, false, dir),
        ["ipv6", "traffic-filter", list, dir] => bind(list, true, dir),
        ["ip", "access-group", ..] | ["ipv6", "traffic-filter", ..] => {
            unreadable(no, format!("`{t}` is not a binding verify reads"))
        }
        ["no", "ip", "access-group", ..] | ["no", "ipv6", "traffic-filter", ..] => unreadable(
            no,
            "a `no` command: this is a script, not a configuration; give `show running-config` or a build",
        ),
        ["zone-member", ..] | ["ip", "inspect", ..] | ["service-policy", "type", "inspect", ..] => {
            unmodelled(no, format!("`{t}`: the zone-based firewall and inspection are not modelled by verify"))
        }
        _ => Ok(None),
    }
}

/// One stage (inbound or outbound) as a first-match list: each binding's
/// entries on its interface, then everything else passes.
fn stage(
    dev: &mut Device,
    lists: &BTreeMap<String, Acl>,
    bindings: &[Binding],
    inbound: bool,
) -> Vec<Entry> {
    let mut out = Vec::new();
    // The last binding of an interface, family and direction wins.
    let mut last: BTreeMap<(String, bool), &Binding> = BTreeMap::new();
    for b in bindings.iter().filter(|b| b.inbound == inbound) {
        last.insert(
            (crate::model::platform::ios_interface_key(&b.iface), b.v6),
            b,
        );
    }
    for b in last.values() {
        let Some(acl) = lists.get(&b.list).filter(|a| a.v6 == b.v6) else {
            continue;
        };
        if acl.aces.is_empty() {
            continue;
        }
        let bind = dev.origin(b.line, format!("interface {}: {}", b.iface, b.text));
        let mut fam = Cond::all();
        if b.v6 {
            fam.src = fam.src.v6_only();
            fam.dst = fam.dst.v6_only();
        } else {
            fam.src = fam.src.v4_only();
            fam.dst = fam.dst.v4_only();
        }
        let names = Some(BTreeSet::from([b.iface.clone()]));
        if inbound {
            fam.iif = names;
        } else {
            fam.oif = names;
        }
        let mut aces = acl.aces.clone();
        aces.sort_by_key(|a| a.seq);
        for a in &aces {
            match &a.kind {
                AceKind::Dead => {}
                AceKind::Reply(c) => {
                    let o = dev.origin(a.line, a.text.clone());
                    let (iif, oif) = if inbound {
                        (None, Some(b.iface.clone()))
                    } else {
                        (Some(b.iface.clone()), None)
                    };
                    dev.replies.push(Reply {
                        cube: c.clone(),
                        iif,
                        oif,
                        origins: vec![o, bind],
                    });
                }
                AceKind::Live { cond, accept } => {
                    let o = dev.origin(a.line, a.text.clone());
                    out.push(Entry {
                        cond: cond.and(&fam),
                        accept: *accept,
                        origins: vec![o, bind],
                    });
                }
            }
        }
        let deny = dev.origin(
            acl.line,
            format!("implicit deny at the end of access list {}", b.list),
        );
        out.push(Entry {
            cond: fam,
            accept: false,
            origins: vec![deny, bind],
        });
    }
    out.push(Entry {
        cond: Cond::all(),
        accept: true,
        origins: Vec::new(),
    });
    out
}

fn assemble(lists: BTreeMap<String, Acl>, bindings: Vec<Binding>, vty: &VtyClasses) -> R<Device> {
    let mut dev = Device {
        path: Vec::new(),
        local: Vec::new(),
        rules: Vec::new(),
        replies: Vec::new(),
        ios_names: true,
        ifaces: Vec::new(),
    };
    let inbound = stage(&mut dev, &lists, &bindings, true);
    let outbound = stage(&mut dev, &lists, &bindings, false);
    let sessions = vty_stage(&mut dev, &lists, vty)?;
    dev.local = compose(inbound.clone(), &sessions);
    dev.path = compose(inbound, &outbound);
    Ok(dev)
}

/// The vty stage of router-bound packets: an SSH or telnet connection (TCP
/// 22 or 23) meets the access class of its family, and is admitted when
/// the class of some vty line admits it; a line without a class (lines
/// 0-15 exist on every router), or a class naming a list that does not
/// exist or has no entries, admits everything. Lines with different
/// classes of one family are not modelled.
fn vty_stage(dev: &mut Device, lists: &BTreeMap<String, Acl>, vty: &VtyClasses) -> R<Vec<Entry>> {
    let mut out = Vec::new();
    let sessions = ServiceSpace::ports(6, &PortSet::from_ranges([(22, 23)]));
    for (fam, v6) in [(0usize, false), (1, true)] {
        let mut classes: Vec<&Class> = Vec::new();
        let mut open = false;
        for n in 0..VTY_LINES.max(vty.keys().max().map_or(0, |m| m + 1)) {
            match vty.get(&n).and_then(|c| c[fam].as_ref()) {
                Some(c) => classes.push(c),
                None => open = true,
            }
        }
        let Some(first) = classes.first() else {
            continue;
        };
        if open {
            continue;
        }
        if let Some(other) = classes.iter().find(|c| c.0 != first.0) {
            return unmodelled(
                other.1,
                "vty lines with different access classes are not modelled by verify",
            );
        }
        let Some(acl) = lists.get(&first.0) else {
            continue;
        };
        if acl.v6 != v6 {
            return unreadable(
                first.1,
                format!("`{}` is not an IPv{} list", first.0, if v6 { 6 } else { 4 }),
            );
        }
        if acl.aces.is_empty() {
            continue;
        }
        let bind = dev.origin(first.1, format!("line vty: {}", first.2));
        let mut fam_cond = Cond::all();
        fam_cond.svc = sessions.clone();
        if v6 {
            fam_cond.src = fam_cond.src.v6_only();
            fam_cond.dst = fam_cond.dst.v6_only();
        } else {
            fam_cond.src = fam_cond.src.v4_only();
            fam_cond.dst = fam_cond.dst.v4_only();
        }
        let mut aces = acl.aces.clone();
        aces.sort_by_key(|a| a.seq);
        for a in &aces {
            match &a.kind {
                AceKind::Dead => {}
                AceKind::Reply(_) => {
                    return unmodelled(
                        a.line,
                        "a reply entry in a vty access class is not modelled by verify",
                    );
                }
                AceKind::Live { cond, accept } => {
                    let o = dev.origin(a.line, a.text.clone());
                    out.push(Entry {
                        cond: cond.and(&fam_cond),
                        accept: *accept,
                        origins: vec![o, bind],
                    });
                }
            }
        }
        let deny = dev.origin(
            acl.line,
            format!("implicit deny at the end of access list {}", first.0),
        );
        out.push(Entry {
            cond: fam_cond,
            accept: false,
            origins: vec![deny, bind],
        });
    }
    out.push(Entry {
        cond: Cond::all(),
        accept: true,
        origins: Vec::new(),
    });
    Ok(out)
}
