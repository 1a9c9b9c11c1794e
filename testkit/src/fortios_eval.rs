//! A strict reader and evaluator of FortiOS 6.4+ firewall configuration,
//! written from the documented behaviour (backends.md section 3),
//! independently of the emitter.
//!
//! It reads the `config firewall address|address6|addrgrp|addrgrp6|service
//! custom|service group|policy` tables the way the device does (double-quoted
//! strings with `\"`, `\\` and `\'` escapes; a backslash before anything else
//! stays literal; `#` lines are comments) and refuses anything else: an
//! unknown table, field or value is an error, not something to skip, and so
//! is a reference to an object that does not exist.
//!
//! Semantics modelled: an address of type `ipmask` defaults to 0.0.0.0/0
//! and `ipprefix` to ::/0 (as on the device); TCP/UDP/SCTP services match
//! only the protocols that have a port range, with the source range
//! defaulting to 1-65535; `ICMP` matches IPv4 ICMP, `ICMP6` IPv6 ICMPv6,
//! without `icmptype` any type; `IP` with `protocol-number 0` every
//! protocol; policies are tried in configuration order (not by ID), the first
//! whose interfaces, addresses (of the packet's family) and service match
//! decides, and no match is the implicit deny.
//!
//! [`DeviceState`] adds *apply* semantics: a device that configuration text
//! (a build, a backup, a transition script) is applied to, as the FortiOS
//! CLI does, reporting what it enforces at every `end`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::wire::Wire;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Tok {
    text: String,
    quoted: bool,
}

fn tokenize(line: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    None => return Err("unterminated string".into()),
                    Some('"') => break,
                    Some('\\') => match chars.peek() {
                        Some(&e @ ('"' | '\\' | '\'')) => {
                            chars.next();
                            s.push(e);
                        }
                        _ => s.push('\\'),
                    },
                    Some(x) => s.push(x),
                }
            }
            if chars.peek().is_some_and(|&x| x != ' ') {
                return Err("text straight after a closing quote".into());
            }
            out.push(Tok {
                text: s,
                quoted: true,
            });
            continue;
        }
        let mut s = String::new();
        while let Some(&x) = chars.peek() {
            if x == ' ' {
                break;
            }
            if !(x.is_ascii_alphanumeric() || matches!(x, '.' | '/' | ':' | '_' | '-')) {
                return Err(format!("character {x:?} outside quotes"));
            }
            s.push(x);
            chars.next();
        }
        out.push(Tok {
            text: s,
            quoted: false,
        });
    }
    Ok(out)
}

/// An IPv4 or IPv6 address object, as an inclusive interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    V4(u32, u32),
    V6(u128, u128),
}

/// One port-range item: (protocol number, dst lo, dst hi, src lo, src hi).
pub type PortRange = (u8, u16, u16, u16, u16);

/// A custom service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    pub protocol: String,
    pub ranges: Vec<PortRange>,
    pub icmptype: Option<u8>,
    pub icmpcode: Option<u8>,
    pub protocol_number: Option<u8>,
}

impl Service {
    fn matches(&self, w: &Wire) -> bool {
        match self.protocol.as_str() {
            "TCP/UDP/SCTP" => self.ranges.iter().any(|&(p, dlo, dhi, slo, shi)| {
                w.proto == p
                    && w.dport.is_some_and(|d| dlo <= d && d <= dhi)
                    && w.sport.is_some_and(|s| slo <= s && s <= shi)
            }),
            "ICMP" => {
                w.src.is_ipv4()
                    && w.proto == 1
                    && self.icmptype.is_none_or(|t| w.icmp_type == Some(t))
                    && self.icmpcode.is_none_or(|c| w.icmp_code == c)
            }
            "ICMP6" => {
                w.src.is_ipv6()
                    && w.proto == 58
                    && self.icmptype.is_none_or(|t| w.icmp_type == Some(t))
                    && self.icmpcode.is_none_or(|c| w.icmp_code == c)
            }
            "IP" => match self.protocol_number.unwrap_or(0) {
                0 => true,
                n => w.proto == n,
            },
            _ => false,
        }
    }
}

/// A firewall policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub id: u32,
    pub name: Option<String>,
    pub srcintf: Vec<String>,
    pub dstintf: Vec<String>,
    pub srcaddr: Vec<String>,
    pub dstaddr: Vec<String>,
    pub srcaddr6: Vec<String>,
    pub dstaddr6: Vec<String>,
    pub action: Option<String>,
    pub schedule: Option<String>,
    pub service: Vec<String>,
    pub logtraffic: Option<String>,
    pub comments: Option<String>,
    pub disabled: bool,
}

/// A local-in policy: traffic addressed to the device itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalPolicy {
    pub id: u32,
    /// The interfaces it applies to (`"any"`: every one).
    pub intf: Vec<String>,
    pub srcaddr: Vec<String>,
    pub dstaddr: Vec<String>,
    pub service: Vec<String>,
    pub action: Option<String>,
    pub schedule: Option<String>,
    pub comments: Option<String>,
    pub disabled: bool,
}

/// A parsed configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub address: BTreeMap<String, Address>,
    pub address6: BTreeMap<String, Address>,
    pub addrgrp: BTreeMap<String, Vec<String>>,
    pub addrgrp6: BTreeMap<String, Vec<String>>,
    pub services: BTreeMap<String, Service>,
    pub service_groups: BTreeMap<String, Vec<String>>,
    /// In configuration order.
    pub policies: Vec<Policy>,
    /// `config firewall local-in-policy` (IPv4), in configuration order.
    pub local_in: Vec<LocalPolicy>,
    /// `config firewall local-in-policy6` (IPv6), in configuration order.
    pub local_in6: Vec<LocalPolicy>,
}

#[derive(Default)]
struct AddrDraft {
    kind: Option<String>,
    subnet: Option<(u32, u32)>,
    ip6: Option<(u128, u8)>,
    start: Option<IpAddr>,
    end: Option<IpAddr>,
}

enum Table {
    Address,
    Address6,
    Addrgrp,
    Addrgrp6,
    Custom,
    Group,
    Policy,
    LocalIn,
    LocalIn6,
}

enum Entry {
    Addr(String, AddrDraft),
    Group(String, Option<Vec<String>>),
    Svc(String, Service),
    Pol(Policy),
    Local(LocalPolicy),
}

fn strings(toks: &[Tok]) -> Result<Vec<String>, String> {
    if toks.is_empty() {
        return Err("empty list".into());
    }
    toks.iter()
        .map(|t| {
            if t.quoted {
                Ok(t.text.clone())
            } else {
                Err(format!("unquoted name `{}`", t.text))
            }
        })
        .collect()
}

fn one(toks: &[Tok]) -> Result<&Tok, String> {
    match toks {
        [t] => Ok(t),
        _ => Err("expected one value".into()),
    }
}

fn word(toks: &[Tok]) -> Result<&str, String> {
    let t = one(toks)?;
    if t.quoted {
        return Err("expected a keyword".into());
    }
    Ok(&t.text)
}

fn quoted(toks: &[Tok]) -> Result<&str, String> {
    let t = one(toks)?;
    if !t.quoted {
        return Err("expected a quoted string".into());
    }
    Ok(&t.text)
}

fn parse_range(s: &str) -> Result<(u16, u16), String> {
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (a, b),
        None => (s, s),
    };
    let lo: u16 = lo.parse().map_err(|_| format!("bad port `{s}`"))?;
    let hi: u16 = hi.parse().map_err(|_| format!("bad port `{s}`"))?;
    if lo == 0 || lo > hi {
        return Err(format!("bad port range `{s}`"));
    }
    Ok((lo, hi))
}

fn portrange(proto: u8, toks: &[Tok]) -> Result<Vec<PortRange>, String> {
    if toks.is_empty() {
        return Err("empty port range".into());
    }
    toks.iter()
        .map(|t| {
            if t.quoted {
                return Err("quoted port range".into());
            }
            let (dst, src) = match t.text.split_once(':') {
                Some((d, s)) => (d, Some(s)),
                None => (t.text.as_str(), None),
            };
            let (dlo, dhi) = parse_range(dst)?;
            let (slo, shi) = match src {
                Some(s) => parse_range(s)?,
                None => (1, 65535),
            };
            Ok((proto, dlo, dhi, slo, shi))
        })
        .collect()
}

fn mask_len(mask: u32) -> Option<u32> {
    let len = mask.leading_ones();
    (mask.checked_shl(len).unwrap_or(0) == 0).then_some(len)
}

fn set_field(entry: &mut Entry, field: &str, v: &[Tok]) -> Result<(), String> {
    match entry {
        Entry::Addr(_, d) => match field {
            "type" => d.kind = Some(word(v)?.to_string()),
            "subnet" => {
                let [a, m] = v else {
                    return Err("subnet takes address and mask".into());
                };
                if a.quoted || m.quoted {
                    return Err("quoted subnet".into());
                }
                let a: Ipv4Addr = a.text.parse().map_err(|_| "bad subnet address")?;
                let m: Ipv4Addr = m.text.parse().map_err(|_| "bad subnet mask")?;
                let (a, m) = (u32::from(a), u32::from(m));
                mask_len(m).ok_or("non-contiguous mask")?;
                if a & !m != 0 {
                    return Err("host bits set in subnet".into());
                }
                d.subnet = Some((a, m));
            }
            "ip6" => {
                let p = word(v)?;
                let (a, l) = p.split_once('/').ok_or("bad ip6")?;
                let a: Ipv6Addr = a.parse().map_err(|_| "bad ip6 address")?;
                let l: u8 = l.parse().map_err(|_| "bad ip6 length")?;
                if l > 128 {
                    return Err("bad ip6 length".into());
                }
                let host = if l == 128 { 0 } else { u128::MAX >> l };
                if u128::from(a) & host != 0 {
                    return Err("host bits set in ip6".into());
                }
                d.ip6 = Some((u128::from(a), l));
            }
            "start-ip" => d.start = Some(word(v)?.parse().map_err(|_| "bad start-ip")?),
            "end-ip" => d.end = Some(word(v)?.parse().map_err(|_| "bad end-ip")?),
            "comment" => {
                if quoted(v)?.len() > 255 {
                    return Err("comment too long".into());
                }
            }
            _ => return Err(format!("unknown address field `{field}`")),
        },
        Entry::Group(_, members) => match field {
            "member" => *members = Some(strings(v)?),
            "comment" => {
                quoted(v)?;
            }
            _ => return Err(format!("unknown group field `{field}`")),
        },
        Entry::Svc(_, s) => match field {
            "protocol" => {
                let p = word(v)?;
                if !matches!(p, "TCP/UDP/SCTP" | "ICMP" | "ICMP6" | "IP") {
                    return Err(format!("unknown protocol `{p}`"));
                }
                s.protocol = p.to_string();
            }
            "tcp-portrange" => s.ranges.extend(portrange(6, v)?),
            "udp-portrange" => s.ranges.extend(portrange(17, v)?),
            "sctp-portrange" => s.ranges.extend(portrange(132, v)?),
            "icmptype" => s.icmptype = Some(word(v)?.parse().map_err(|_| "bad icmptype")?),
            "icmpcode" => s.icmpcode = Some(word(v)?.parse().map_err(|_| "bad icmpcode")?),
            "protocol-number" => {
                s.protocol_number = Some(word(v)?.parse().map_err(|_| "bad protocol-number")?)
            }
            "comment" => {
                quoted(v)?;
            }
            _ => return Err(format!("unknown service field `{field}`")),
        },
        Entry::Pol(p) => match field {
            "name" => {
                let n = quoted(v)?;
                if n.len() > 35 {
                    return Err("policy name longer than 35".into());
                }
                p.name = Some(n.to_string());
            }
            "srcintf" => p.srcintf = strings(v)?,
            "dstintf" => p.dstintf = strings(v)?,
            "srcaddr" => p.srcaddr = strings(v)?,
            "dstaddr" => p.dstaddr = strings(v)?,
            "srcaddr6" => p.srcaddr6 = strings(v)?,
            "dstaddr6" => p.dstaddr6 = strings(v)?,
            "service" => p.service = strings(v)?,
            "schedule" => p.schedule = Some(quoted(v)?.to_string()),
            "action" => {
                let a = word(v)?;
                if !matches!(a, "accept" | "deny") {
                    return Err(format!("unknown action `{a}`"));
                }
                p.action = Some(a.to_string());
            }
            "logtraffic" => {
                let l = word(v)?;
                if !matches!(l, "all" | "utm" | "disable") {
                    return Err(format!("unknown logtraffic `{l}`"));
                }
                p.logtraffic = Some(l.to_string());
            }
            "comments" => {
                let c = quoted(v)?;
                if c.len() > 1023 {
                    return Err("comments longer than 1023".into());
                }
                p.comments = Some(c.to_string());
            }
            "status" => p.disabled = word(v)? == "disable",
            "nat" => {
                if word(v)? != "disable" {
                    return Err("NAT is not modelled".into());
                }
            }
            _ => return Err(format!("unknown policy field `{field}`")),
        },
        Entry::Local(p) => match field {
            "intf" => p.intf = strings(v)?,
            "srcaddr" => p.srcaddr = strings(v)?,
            "dstaddr" => p.dstaddr = strings(v)?,
            "service" => p.service = strings(v)?,
            "schedule" => p.schedule = Some(quoted(v)?.to_string()),
            "action" => {
                let a = word(v)?;
                if !matches!(a, "accept" | "deny") {
                    return Err(format!("unknown action `{a}`"));
                }
                p.action = Some(a.to_string());
            }
            "comments" => {
                let c = quoted(v)?;
                if c.len() > 1023 {
                    return Err("comments longer than 1023".into());
                }
                p.comments = Some(c.to_string());
            }
            "status" => match word(v)? {
                "enable" => p.disabled = false,
                "disable" => p.disabled = true,
                x => return Err(format!("unknown status `{x}`")),
            },
            _ => return Err(format!("unknown local-in policy field `{field}`")),
        },
    }
    Ok(())
}

fn unset_field(entry: &mut Entry, field: &str) -> Result<(), String> {
    match entry {
        Entry::Pol(p) => match field {
            "srcaddr" => p.srcaddr.clear(),
            "dstaddr" => p.dstaddr.clear(),
            "srcaddr6" => p.srcaddr6.clear(),
            "dstaddr6" => p.dstaddr6.clear(),
            "comments" => p.comments = None,
            _ => return Err(format!("unset of `{field}` not modelled")),
        },
        Entry::Local(p) => match field {
            "comments" => p.comments = None,
            "status" => p.disabled = false,
            _ => return Err(format!("unset of `{field}` not modelled")),
        },
        _ => return Err(format!("unset of `{field}` not modelled")),
    }
    Ok(())
}

fn finish(cfg: &mut Config, table: &Table, entry: Entry) -> Result<(), String> {
    match (table, entry) {
        (Table::Address | Table::Address6, Entry::Addr(name, d)) => {
            let v6 = matches!(table, Table::Address6);
            let kind = d
                .kind
                .unwrap_or_else(|| if v6 { "ipprefix" } else { "ipmask" }.into());
            let addr = match (v6, kind.as_str()) {
                (false, "ipmask") => {
                    if d.ip6.is_some() || d.start.is_some() || d.end.is_some() {
                        return Err(format!("{name}: fields of another type"));
                    }
                    let (a, m) = d.subnet.unwrap_or((0, 0));
                    Address::V4(a, a | !m)
                }
                (true, "ipprefix") => {
                    if d.subnet.is_some() || d.start.is_some() || d.end.is_some() {
                        return Err(format!("{name}: fields of another type"));
                    }
                    let (a, l) = d.ip6.unwrap_or((0, 0));
                    let host = if l == 128 { 0 } else { u128::MAX >> l };
                    Address::V6(a, a | host)
                }
                (_, "iprange") => {
                    if d.subnet.is_some() || d.ip6.is_some() {
                        return Err(format!("{name}: fields of another type"));
                    }
                    match (d.start, d.end) {
                        (Some(IpAddr::V4(s)), Some(IpAddr::V4(e))) if !v6 && s <= e => {
                            Address::V4(u32::from(s), u32::from(e))
                        }
                        (Some(IpAddr::V6(s)), Some(IpAddr::V6(e))) if v6 && s <= e => {
                            Address::V6(u128::from(s), u128::from(e))
                        }
                        _ => return Err(format!("{name}: bad iprange")),
                    }
                }
                (_, k) => return Err(format!("{name}: unknown address type `{k}`")),
            };
            let t = if v6 {
                &mut cfg.address6
            } else {
                &mut cfg.address
            };
            t.insert(name, addr);
        }
        (Table::Addrgrp | Table::Addrgrp6, Entry::Group(name, members)) => {
            let members = members.ok_or(format!("group {name} without members"))?;
            let t = if matches!(table, Table::Addrgrp6) {
                &mut cfg.addrgrp6
            } else {
                &mut cfg.addrgrp
            };
            t.insert(name, members);
        }
        (Table::Group, Entry::Group(name, members)) => {
            let members = members.ok_or(format!("group {name} without members"))?;
            cfg.service_groups.insert(name, members);
        }
        (Table::Custom, Entry::Svc(name, mut s)) => {
            if s.protocol.is_empty() {
                s.protocol = "TCP/UDP/SCTP".into();
            }
            let ok = match s.protocol.as_str() {
                "TCP/UDP/SCTP" => {
                    !s.ranges.is_empty()
                        && s.icmptype.is_none()
                        && s.icmpcode.is_none()
                        && s.protocol_number.is_none()
                }
                "ICMP" | "ICMP6" => s.ranges.is_empty() && s.protocol_number.is_none(),
                _ => s.ranges.is_empty() && s.icmptype.is_none() && s.icmpcode.is_none(),
            };
            if !ok {
                return Err(format!("service {name}: fields of another protocol"));
            }
            cfg.services.insert(name, s);
        }
        (Table::Policy, Entry::Pol(p)) => {
            if cfg.policies.iter().any(|q| q.id == p.id) {
                return Err(format!("policy {} edited twice", p.id));
            }
            if p.name.is_some()
                && cfg.policies.iter().any(|q| {
                    q.name.as_ref().map(|n| n.to_ascii_lowercase())
                        == p.name.as_ref().map(|n| n.to_ascii_lowercase())
                })
            {
                return Err(format!("policy name {:?} used twice", p.name));
            }
            cfg.policies.push(p);
        }
        (Table::LocalIn | Table::LocalIn6, Entry::Local(p)) => {
            let t = if matches!(table, Table::LocalIn6) {
                &mut cfg.local_in6
            } else {
                &mut cfg.local_in
            };
            if t.iter().any(|q| q.id == p.id) {
                return Err(format!("local-in policy {} edited twice", p.id));
            }
            t.push(p);
        }
        _ => return Err("entry of the wrong table".into()),
    }
    Ok(())
}

/// The predefined address object every FortiGate has: every address of
/// the family.
pub const BUILTIN_ADDRESS_ALL: &str = "all";
/// The predefined service every FortiGate has: every protocol.
pub const BUILTIN_SERVICE_ALL: &str = "ALL";

/// Parses a configuration, refusing anything it does not understand.
pub fn parse(text: &str) -> Result<Config, String> {
    let mut cfg = Config::default();
    let mut table: Option<Table> = None;
    let mut entry: Option<Entry> = None;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (no, line) in text.lines().enumerate() {
        let err = |m: String| format!("line {}: {m}: `{line}`", no + 1);
        if let Some(c) = line
            .chars()
            .find(|&c| !(' '..='~').contains(&c) || c == '?')
        {
            return Err(err(format!("character {c:?}")));
        }
        if line.trim_start().starts_with('#') {
            if table.is_some() {
                return Err(err("comment inside a table".into()));
            }
            continue;
        }
        let toks = tokenize(line).map_err(err)?;
        let Some((head, rest)) = toks.split_first() else {
            return Err(err("empty line".into()));
        };
        if head.quoted {
            return Err(err("line starts with a string".into()));
        }
        match (head.text.as_str(), &table, &mut entry) {
            ("config", None, _) => {
                let path: Vec<&str> = rest.iter().map(|t| t.text.as_str()).collect();
                if rest.iter().any(|t| t.quoted) {
                    return Err(err("quoted table path".into()));
                }
                table = Some(match path.as_slice() {
                    ["firewall", "address"] => Table::Address,
                    ["firewall", "address6"] => Table::Address6,
                    ["firewall", "addrgrp"] => Table::Addrgrp,
                    ["firewall", "addrgrp6"] => Table::Addrgrp6,
                    ["firewall", "service", "custom"] => Table::Custom,
                    ["firewall", "service", "group"] => Table::Group,
                    ["firewall", "policy"] => Table::Policy,
                    ["firewall", "local-in-policy"] => Table::LocalIn,
                    ["firewall", "local-in-policy6"] => Table::LocalIn6,
                    _ => return Err(err("unknown table".into())),
                });
            }
            ("edit", Some(t), e @ None) => {
                let key = one(rest).map_err(err)?;
                *e = Some(match t {
                    Table::LocalIn | Table::LocalIn6 => {
                        if key.quoted {
                            return Err(err("quoted policy ID".into()));
                        }
                        let id: u32 = key.text.parse().map_err(|_| err("bad policy ID".into()))?;
                        if id == 0 {
                            return Err(err("`edit 0` lets the device pick the ID".into()));
                        }
                        Entry::Local(LocalPolicy {
                            id,
                            ..LocalPolicy::default()
                        })
                    }
                    Table::Policy => {
                        if key.quoted {
                            return Err(err("quoted policy ID".into()));
                        }
                        let id: u32 = key.text.parse().map_err(|_| err("bad policy ID".into()))?;
                        if id == 0 {
                            return Err(err("`edit 0` lets the device pick the ID".into()));
                        }
                        Entry::Pol(Policy {
                            id,
                            ..Policy::default()
                        })
                    }
                    _ => {
                        if !key.quoted {
                            return Err(err("unquoted object name".into()));
                        }
                        let name = key.text.clone();
                        if name.is_empty() || name.len() > 79 {
                            return Err(err("object name length".into()));
                        }
                        let ns = match t {
                            Table::Address | Table::Addrgrp => "a4",
                            Table::Address6 | Table::Addrgrp6 => "a6",
                            Table::Custom | Table::Group => "s",
                            Table::Policy | Table::LocalIn | Table::LocalIn6 => "p",
                        };
                        if !seen.insert(format!("{ns}:{}", name.to_ascii_lowercase())) {
                            return Err(err("object defined twice".into()));
                        }
                        match t {
                            Table::Address | Table::Address6 => {
                                Entry::Addr(name, AddrDraft::default())
                            }
                            Table::Custom => Entry::Svc(name, Service::default()),
                            _ => Entry::Group(name, None),
                        }
                    }
                });
            }
            ("set", Some(_), Some(e)) => {
                let (field, values) = rest.split_first().ok_or_else(|| err("bare set".into()))?;
                if field.quoted {
                    return Err(err("quoted field".into()));
                }
                set_field(e, &field.text, values).map_err(err)?;
            }
            ("unset", Some(_), Some(e)) => {
                let field = word(rest).map_err(err)?;
                unset_field(e, field).map_err(err)?;
            }
            ("next", Some(t), e @ Some(_)) => {
                if !rest.is_empty() {
                    return Err(err("text after next".into()));
                }
                if let Some(done) = e.take() {
                    finish(&mut cfg, t, done).map_err(err)?;
                }
            }
            ("end", Some(_), None) => {
                if !rest.is_empty() {
                    return Err(err("text after end".into()));
                }
                table = None;
            }
            _ => return Err(err("unexpected command here".into())),
        }
    }
    if table.is_some() || entry.is_some() {
        return Err("configuration ends inside a table".into());
    }
    cfg.check_references()?;
    Ok(cfg)
}

impl Config {
    fn check_references(&self) -> Result<(), String> {
        for (v6, table) in [(false, &self.local_in), (true, &self.local_in6)] {
            for p in table {
                let id = p.id;
                if p.intf.is_empty() {
                    return Err(format!("local-in policy {id}: no interface"));
                }
                if p.schedule.as_deref() != Some("always") {
                    return Err(format!(
                        "local-in policy {id}: schedule other than \"always\""
                    ));
                }
                if p.action.is_none() || p.service.is_empty() {
                    return Err(format!("local-in policy {id}: no action or no service"));
                }
                if p.srcaddr.is_empty() || p.dstaddr.is_empty() {
                    return Err(format!("local-in policy {id}: no source or destination"));
                }
                for a in p.srcaddr.iter().chain(&p.dstaddr) {
                    if !self.addr_known(a, v6) {
                        return Err(format!("local-in policy {id}: unknown address {a}"));
                    }
                }
                for s in &p.service {
                    if s != BUILTIN_SERVICE_ALL
                        && !self.services.contains_key(s)
                        && !self.service_groups.contains_key(s)
                    {
                        return Err(format!("local-in policy {id}: unknown service {s}"));
                    }
                }
            }
        }
        for (name, members) in &self.addrgrp {
            for m in members {
                if !self.address.contains_key(m) && !self.addrgrp.contains_key(m) {
                    return Err(format!("addrgrp {name}: unknown member {m}"));
                }
            }
        }
        for (name, members) in &self.addrgrp6 {
            for m in members {
                if !self.address6.contains_key(m) && !self.addrgrp6.contains_key(m) {
                    return Err(format!("addrgrp6 {name}: unknown member {m}"));
                }
            }
        }
        for (name, members) in &self.service_groups {
            for m in members {
                if !self.services.contains_key(m) && !self.service_groups.contains_key(m) {
                    return Err(format!("service group {name}: unknown member {m}"));
                }
            }
        }
        for p in &self.policies {
            let id = p.id;
            if p.srcintf.is_empty() || p.dstintf.is_empty() {
                return Err(format!("policy {id}: no interfaces"));
            }
            if p.schedule.as_deref() != Some("always") {
                return Err(format!("policy {id}: schedule other than \"always\""));
            }
            if p.action.is_none() {
                return Err(format!("policy {id}: no action"));
            }
            if p.service.is_empty() {
                return Err(format!("policy {id}: no service"));
            }
            let v4 = !p.srcaddr.is_empty() || !p.dstaddr.is_empty();
            let v6 = !p.srcaddr6.is_empty() || !p.dstaddr6.is_empty();
            if (v4 && (p.srcaddr.is_empty() || p.dstaddr.is_empty()))
                || (v6 && (p.srcaddr6.is_empty() || p.dstaddr6.is_empty()))
                || (!v4 && !v6)
            {
                return Err(format!(
                    "policy {id}: source and destination do not pair up"
                ));
            }
            for a in p.srcaddr.iter().chain(&p.dstaddr) {
                if !self.address.contains_key(a) && !self.addrgrp.contains_key(a) {
                    return Err(format!("policy {id}: unknown address {a}"));
                }
            }
            for a in p.srcaddr6.iter().chain(&p.dstaddr6) {
                if !self.address6.contains_key(a) && !self.addrgrp6.contains_key(a) {
                    return Err(format!("policy {id}: unknown address6 {a}"));
                }
            }
            for s in &p.service {
                if !self.services.contains_key(s) && !self.service_groups.contains_key(s) {
                    return Err(format!("policy {id}: unknown service {s}"));
                }
            }
        }
        Ok(())
    }

    /// True when `name` is an address or group of the family, or the
    /// predefined `all`.
    fn addr_known(&self, name: &str, v6: bool) -> bool {
        let (table, groups) = if v6 {
            (&self.address6, &self.addrgrp6)
        } else {
            (&self.address, &self.addrgrp)
        };
        name == BUILTIN_ADDRESS_ALL || table.contains_key(name) || groups.contains_key(name)
    }

    fn addr_contains(&self, name: &str, a: IpAddr, depth: usize) -> bool {
        assert!(depth < 16, "address group cycle at {name}");
        if name == BUILTIN_ADDRESS_ALL
            && !self.address.contains_key(name)
            && !self.address6.contains_key(name)
        {
            return true;
        }
        let (table, groups) = if a.is_ipv4() {
            (&self.address, &self.addrgrp)
        } else {
            (&self.address6, &self.addrgrp6)
        };
        if let Some(obj) = table.get(name) {
            return match (obj, a) {
                (Address::V4(lo, hi), IpAddr::V4(x)) => *lo <= u32::from(x) && u32::from(x) <= *hi,
                (Address::V6(lo, hi), IpAddr::V6(x)) => {
                    *lo <= u128::from(x) && u128::from(x) <= *hi
                }
                _ => false,
            };
        }
        groups
            .get(name)
            .is_some_and(|m| m.iter().any(|n| self.addr_contains(n, a, depth + 1)))
    }

    fn service_matches(&self, name: &str, w: &Wire, depth: usize) -> bool {
        assert!(depth < 16, "service group cycle at {name}");
        if let Some(s) = self.services.get(name) {
            return s.matches(w);
        }
        if name == BUILTIN_SERVICE_ALL && !self.service_groups.contains_key(name) {
            return true;
        }
        self.service_groups
            .get(name)
            .is_some_and(|m| m.iter().any(|n| self.service_matches(n, w, depth + 1)))
    }

    /// True when policy `p` matches `w` arriving on `in_iface` and leaving
    /// on `out_iface` (`None`: an interface no policy names specifically).
    pub fn policy_matches(
        &self,
        p: &Policy,
        w: &Wire,
        in_iface: Option<&str>,
        out_iface: Option<&str>,
    ) -> bool {
        let intf = |list: &[String], i: Option<&str>| {
            list.iter().any(|x| x == "any" || Some(x.as_str()) == i)
        };
        if p.disabled || !intf(&p.srcintf, in_iface) || !intf(&p.dstintf, out_iface) {
            return false;
        }
        if !w.same_family() {
            return false;
        }
        let (src, dst) = if w.src.is_ipv4() {
            (&p.srcaddr, &p.dstaddr)
        } else {
            (&p.srcaddr6, &p.dstaddr6)
        };
        src.iter().any(|n| self.addr_contains(n, w.src, 0))
            && dst.iter().any(|n| self.addr_contains(n, w.dst, 0))
            && p.service.iter().any(|n| self.service_matches(n, w, 0))
    }

    /// The policy that decides `w` (first match in configuration order), or
    /// `None` for the implicit deny.
    pub fn decide(
        &self,
        w: &Wire,
        in_iface: Option<&str>,
        out_iface: Option<&str>,
    ) -> Option<&Policy> {
        self.policies
            .iter()
            .find(|p| self.policy_matches(p, w, in_iface, out_iface))
    }

    /// The local-in policy that decides `w`, addressed to the device
    /// itself and arriving on `in_iface`: the first enabled entry of the
    /// family's table (`local-in-policy` for IPv4, `local-in-policy6` for
    /// IPv6), in configuration order, whose interface, addresses and
    /// service match. `None`: no entry matches, and what the device does
    /// then is the interface's `allowaccess`, which is not modelled (a
    /// build that governs the device's own traffic ends its tables with a
    /// deny, so it never gets there).
    pub fn local_decide(&self, w: &Wire, in_iface: Option<&str>) -> Option<&LocalPolicy> {
        if !w.same_family() {
            return None;
        }
        let table = if w.src.is_ipv6() {
            &self.local_in6
        } else {
            &self.local_in
        };
        table.iter().find(|p| {
            !p.disabled
                && p.intf
                    .iter()
                    .any(|x| x == "any" || Some(x.as_str()) == in_iface)
                && p.srcaddr.iter().any(|n| self.addr_contains(n, w.src, 0))
                && p.dstaddr.iter().any(|n| self.addr_contains(n, w.dst, 0))
                && p.service.iter().any(|n| self.service_matches(n, w, 0))
        })
    }

    /// True when the device accepts `w`.
    pub fn accepts(&self, w: &Wire, in_iface: Option<&str>, out_iface: Option<&str>) -> bool {
        self.decide(w, in_iface, out_iface)
            .is_some_and(|p| p.action.as_deref() == Some("accept"))
    }
}

impl Config {
    /// The address objects `names` stand for, groups flattened, sorted.
    pub fn resolve_addrs(&self, names: &[String], v6: bool) -> Vec<Address> {
        let (table, groups) = if v6 {
            (&self.address6, &self.addrgrp6)
        } else {
            (&self.address, &self.addrgrp)
        };
        let mut out = Vec::new();
        let mut todo: Vec<&String> = names.iter().collect();
        while let Some(n) = todo.pop() {
            if let Some(a) = table.get(n) {
                out.push(a.clone());
            } else if let Some(m) = groups.get(n) {
                todo.extend(m);
            }
        }
        out.sort_by_key(|a| format!("{a:?}"));
        out.dedup();
        out
    }

    /// The custom services `names` stand for, groups flattened, sorted.
    pub fn resolve_services(&self, names: &[String]) -> Vec<Service> {
        let mut out = Vec::new();
        let mut todo: Vec<&String> = names.iter().collect();
        while let Some(n) = todo.pop() {
            if let Some(s) = self.services.get(n) {
                out.push(s.clone());
            } else if let Some(m) = self.service_groups.get(n) {
                todo.extend(m);
            }
        }
        out.sort_by_key(|s| format!("{s:?}"));
        out.dedup();
        out
    }

    /// What the device enforces, without names, IDs or comments: per policy
    /// in order, its interfaces, resolved addresses and services, action and
    /// logging.
    pub fn signature(&self) -> Vec<String> {
        self.policies
            .iter()
            .map(|p| {
                format!(
                    "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {}",
                    p.srcintf,
                    p.dstintf,
                    self.resolve_addrs(&p.srcaddr, false),
                    self.resolve_addrs(&p.dstaddr, false),
                    self.resolve_addrs(&p.srcaddr6, true),
                    self.resolve_addrs(&p.dstaddr6, true),
                    self.resolve_services(&p.service),
                    p.action,
                    p.logtraffic,
                    p.disabled
                )
            })
            .collect()
    }
}

/// The tables [`DeviceState`] models, in the order it renders them.
const MODELLED: [&str; 9] = [
    "firewall address",
    "firewall address6",
    "firewall addrgrp",
    "firewall addrgrp6",
    "firewall service custom",
    "firewall service group",
    "firewall policy",
    "firewall local-in-policy",
    "firewall local-in-policy6",
];

/// The tables whose entries are numbered policies.
fn numbered(table: &str) -> bool {
    matches!(
        table,
        "firewall policy" | "firewall local-in-policy" | "firewall local-in-policy6"
    )
}

/// One entry of a table: its key and its fields in the order first set.
type Fields = Vec<(String, Vec<Tok>)>;

/// A FortiOS device that configuration text is *applied* to, as the CLI
/// does: tables keep their entries in order; `edit` of an existing entry
/// opens it, of a new one appends it at the end of the table (on `next`);
/// `set` replaces the field's whole value; `unset` resets it to the
/// default; `delete` of a missing entry, or of one that another entry
/// refers to ("entry in use"), is an error; `move A before|after B`
/// reorders the policy table. Tables outside the firewall tables modelled
/// here (`config system global`, nested blocks) are read structurally and
/// left aside; `set uuid` is kept by the device and not modelled.
///
/// After every `end` of a modelled table the device's configuration is
/// read back with [`parse`], so a policy whose address or service is
/// missing is an apply error, and [`DeviceState::apply`] reports what the
/// device enforces at that point.
#[derive(Clone, Debug, Default)]
pub struct DeviceState {
    tables: BTreeMap<&'static str, Vec<(String, Fields)>>,
}

fn render_tok(t: &Tok) -> String {
    if t.quoted {
        let mut s = String::from("\"");
        for c in t.text.chars() {
            if c == '"' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('"');
        s
    } else {
        t.text.clone()
    }
}

fn refers_to(fields: &Fields, name: &str) -> bool {
    fields
        .iter()
        .any(|(f, v)| f != "name" && f != "comments" && v.iter().any(|t| t.text == name))
}

impl DeviceState {
    /// A device that holds what `text` configures (a build or a backup),
    /// applied to an empty device.
    pub fn load(text: &str) -> Result<DeviceState, String> {
        let mut d = DeviceState::default();
        d.apply(text)?;
        Ok(d)
    }

    /// The device's configuration as text in the form [`parse`] reads.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for table in MODELLED {
            // A backup always shows the policy table, even empty.
            let entries = match self.tables.get(table) {
                Some(e) => e.as_slice(),
                None if table == "firewall policy" => &[],
                None => continue,
            };
            out.push_str(&format!("config {table}\n"));
            for (key, fields) in entries {
                if numbered(table) {
                    out.push_str(&format!("    edit {key}\n"));
                } else {
                    out.push_str(&format!(
                        "    edit {}\n",
                        render_tok(&Tok {
                            text: key.clone(),
                            quoted: true
                        })
                    ));
                }
                for (f, v) in fields {
                    let vals: Vec<String> = v.iter().map(render_tok).collect();
                    out.push_str(&format!("        set {f} {}\n", vals.join(" ")));
                }
                out.push_str("    next\n");
            }
            out.push_str("end\n");
        }
        out
    }

    /// What the device enforces now.
    pub fn config(&self) -> Result<Config, String> {
        parse(&self.render())
    }

    /// The keys of one table, in order (`"firewall policy"`: the IDs).
    pub fn keys(&self, table: &str) -> Vec<String> {
        self.tables
            .get(table)
            .map(|es| es.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }

    /// Applies `text` line by line; returns what the device enforces after
    /// each `end` of a modelled table. On `Err` the device is left as the
    /// lines before the failing one made it.
    pub fn apply(&mut self, text: &str) -> Result<Vec<Config>, String> {
        let mut snapshots = Vec::new();
        let mut table: Option<&'static str> = None;
        // Depth of `config` blocks being skipped.
        let mut skip = 0usize;
        let mut open: Option<(String, Fields)> = None;
        for (no, line) in text.lines().enumerate() {
            let err = |m: String| format!("line {}: {m}: `{line}`", no + 1);
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let toks = tokenize(trimmed).map_err(err)?;
            let Some((head, rest)) = toks.split_first() else {
                continue;
            };
            if skip > 0 {
                match head.text.as_str() {
                    "config" => skip += 1,
                    "end" => skip -= 1,
                    _ => {}
                }
                continue;
            }
            match (head.text.as_str(), table, open.is_some()) {
                ("config", None, _) => {
                    let path: Vec<&str> = rest.iter().map(|t| t.text.as_str()).collect();
                    let path = path.join(" ");
                    match MODELLED.iter().find(|t| **t == path) {
                        Some(t) => table = Some(t),
                        None => skip = 1,
                    }
                }
                ("config", Some(_), _) => {
                    return Err(err("nested block in a firewall table".into()))
                }
                ("edit", Some(t), false) => {
                    let key = one(rest).map_err(err)?.text.clone();
                    if numbered(t) && key.parse::<u32>().map_or(true, |id| id == 0) {
                        return Err(err("policy IDs here are explicit numbers".into()));
                    }
                    let fields = self
                        .tables
                        .get(t)
                        .and_then(|es| es.iter().find(|(k, _)| *k == key))
                        .map(|(_, f)| f.clone())
                        .unwrap_or_default();
                    open = Some((key, fields));
                }
                ("set", Some(_), true) => {
                    let (field, values) =
                        rest.split_first().ok_or_else(|| err("bare set".into()))?;
                    if field.text == "uuid" {
                        continue;
                    }
                    if let Some((_, fields)) = open.as_mut() {
                        match fields.iter_mut().find(|(f, _)| *f == field.text) {
                            Some((_, v)) => *v = values.to_vec(),
                            None => fields.push((field.text.clone(), values.to_vec())),
                        }
                    }
                }
                ("unset", Some(_), true) => {
                    let field = word(rest).map_err(err)?.to_string();
                    if let Some((_, fields)) = open.as_mut() {
                        fields.retain(|(f, _)| *f != field);
                    }
                }
                ("next", Some(t), true) => {
                    if let Some((key, fields)) = open.take() {
                        let entries = self.tables.entry(t).or_default();
                        match entries.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, f)) => *f = fields,
                            None => entries.push((key, fields)),
                        }
                    }
                }
                ("delete", Some(t), false) => {
                    let key = one(rest).map_err(err)?.text.clone();
                    let exists = self
                        .tables
                        .get(t)
                        .is_some_and(|es| es.iter().any(|(k, _)| *k == key));
                    if !exists {
                        return Err(err(format!("entry not found: {key}")));
                    }
                    if !numbered(t) {
                        for (other, es) in &self.tables {
                            if let Some((k, _)) = es.iter().find(|(_, f)| refers_to(f, &key)) {
                                return Err(err(format!(
                                    "entry in use: {key} is used by {other} {k}"
                                )));
                            }
                        }
                    }
                    if let Some(es) = self.tables.get_mut(t) {
                        es.retain(|(k, _)| *k != key);
                    }
                }
                ("move", Some(t), false) if numbered(t) => {
                    let [a, how, b] = rest else {
                        return Err(err("move takes `A before|after B`".into()));
                    };
                    let es = self.tables.entry(t).or_default();
                    let from = es
                        .iter()
                        .position(|(k, _)| *k == a.text)
                        .ok_or_else(|| err(format!("entry not found: {}", a.text)))?;
                    let moving = es.remove(from);
                    let to = es
                        .iter()
                        .position(|(k, _)| *k == b.text)
                        .ok_or_else(|| err(format!("entry not found: {}", b.text)))?;
                    match how.text.as_str() {
                        "before" => es.insert(to, moving),
                        "after" => es.insert(to + 1, moving),
                        _ => return Err(err("move takes `before` or `after`".into())),
                    }
                }
                ("end", Some(_), false) => {
                    if !rest.is_empty() {
                        return Err(err("text after end".into()));
                    }
                    table = None;
                    snapshots.push(self.config().map_err(err)?);
                }
                _ => return Err(err("unexpected command here".into())),
            }
        }
        if table.is_some() || skip > 0 {
            return Err("text ends inside a block".into());
        }
        Ok(snapshots)
    }
}
