//! A strict reader and evaluator of Cisco IOS / IOS-XE ACL configuration,
//! written from the device's documented behaviour (backends.md section 2),
//! independently of the emitter.
//!
//! It reads the text the way the device would and refuses anything it does
//! not understand: an unknown line is an error, not something to skip.
//!
//! Semantics modelled:
//! - entries are tried in sequence-number order, first match wins; no match
//!   is the implicit deny (IPv6: after the implicit `nd-na`/`nd-ns` permits);
//!   a list with no entry permits everything;
//! - addresses: `any`, `host A`, `A WILDCARD` (IPv4, any wildcard),
//!   `P/LEN` (IPv6);
//! - ports: `eq` (one or more), `neq`, `lt`, `gt`, `range`, for TCP/UDP, on
//!   either side; `established` = ACK or RST set;
//! - ICMP type (and optional code) by number or keyword;
//! - fragments (backends.md 16a): an entry with `fragments` matches only
//!   non-initial fragments, on addresses and protocol; an entry with only
//!   L3 fields matches every packet and fragment; an entry with L4 fields
//!   matches non-fragments and initial fragments on all its fields, and, if it
//!   is a *permit*, every non-initial fragment whose addresses and protocol
//!   match; a deny with L4 fields never matches a non-initial fragment.
//! - object groups (IPv4 lists only), read as the device expands them into
//!   its hardware table: `object-group network NAME` (`host A`, `A MASK`
//!   with a *subnet* mask, `range A B`, `any`, `group-object NAME`,
//!   `description`) and `object-group service NAME` (`tcp`/`udp`/`tcp-udp`
//!   with an optional destination-port operator, `icmp` with an optional
//!   type and code, a protocol name or number, `group-object NAME`,
//!   `description`). An entry `permit object-group SVC SRC DST` or
//!   `permit PROTO object-group SRC [PORTS] object-group DST [PORTS]`
//!   becomes one entry per combination of members, all under its sequence
//!   number, each with the fragment semantics above. A group must be
//!   defined before an entry names it; an empty group matches nothing.
//!   Source-port members of service groups, `established` or `fragments`
//!   with a service group, and groups in IPv6 lists are refused (not
//!   modelled).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::wire::Wire;

/// Protocol selector of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// `ip` / `ipv6`: every protocol.
    Any,
    /// A protocol number.
    Num(u8),
}

/// Address selector of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr {
    Any,
    V4 {
        addr: u32,
        wildcard: u32,
    },
    V6 {
        net: u128,
        len: u8,
    },
    /// `range A B` in a network group: every IPv4 address from `lo` to `hi`.
    V4Range {
        lo: u32,
        hi: u32,
    },
}

impl Addr {
    fn contains(&self, a: IpAddr) -> bool {
        match (self, a) {
            (Addr::Any, _) => true,
            (Addr::V4 { addr, wildcard }, IpAddr::V4(x)) => {
                (u32::from(x) & !wildcard) == (addr & !wildcard)
            }
            (Addr::V4Range { lo, hi }, IpAddr::V4(x)) => (*lo..=*hi).contains(&u32::from(x)),
            (Addr::V6 { net, len }, IpAddr::V6(x)) => {
                let mask = if *len == 0 {
                    0
                } else {
                    u128::MAX << (128 - *len as u32)
                };
                u128::from(x) & mask == *net
            }
            _ => false,
        }
    }
}

/// A port operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ports {
    Any,
    Eq(Vec<u16>),
    Neq(u16),
    Lt(u16),
    Gt(u16),
    Range(u16, u16),
}

impl Ports {
    fn contains(&self, p: Option<u16>) -> bool {
        match (self, p) {
            (Ports::Any, _) => true,
            (_, None) => false,
            (Ports::Eq(v), Some(p)) => v.contains(&p),
            (Ports::Neq(x), Some(p)) => p != *x,
            (Ports::Lt(x), Some(p)) => p < *x,
            (Ports::Gt(x), Some(p)) => p > *x,
            (Ports::Range(a, b), Some(p)) => *a <= p && p <= *b,
        }
    }
}

/// One access-control entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ace {
    pub seq: u64,
    pub permit: bool,
    pub proto: Proto,
    pub src: Addr,
    pub sport: Ports,
    pub dst: Addr,
    pub dport: Ports,
    pub icmp: Option<(u8, Option<u8>)>,
    pub established: bool,
    pub fragments: bool,
    pub log: bool,
    /// The remark in force: the last one written before it in its list.
    pub remark: Option<String>,
}

impl Ace {
    fn has_l4(&self) -> bool {
        self.sport != Ports::Any
            || self.dport != Ports::Any
            || self.icmp.is_some()
            || self.established
    }

    fn l3(&self, w: &Wire) -> bool {
        let proto = match self.proto {
            Proto::Any => true,
            Proto::Num(n) => w.proto == n,
        };
        proto && self.src.contains(w.src) && self.dst.contains(w.dst)
    }

    /// True when the entry matches `w`.
    pub fn matches(&self, w: &Wire) -> bool {
        if w.fragment {
            return if self.fragments || !self.has_l4() {
                self.l3(w)
            } else {
                self.permit && self.l3(w)
            };
        }
        if self.fragments || !self.l3(w) {
            return false;
        }
        if !self.sport.contains(w.sport) || !self.dport.contains(w.dport) {
            return false;
        }
        if let Some((t, code)) = self.icmp {
            if w.icmp_type != Some(t) || code.is_some_and(|c| c != w.icmp_code) {
                return false;
            }
        }
        !self.established || w.ack || w.rst
    }
}

/// A named access list.
#[derive(Clone, Debug, Default)]
pub struct Acl {
    pub v6: bool,
    /// Entries sorted by sequence number.
    pub entries: Vec<Ace>,
}

/// The verdict of a list on a packet, with the deciding entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub permit: bool,
    /// The matching entry, `None` for the implicit tail or an empty list.
    pub ace: Option<Ace>,
}

impl Acl {
    /// Evaluates the list on `w` as the device would.
    pub fn eval(&self, w: &Wire) -> Verdict {
        assert_eq!(
            self.v6,
            w.src.is_ipv6(),
            "packet family does not match the list"
        );
        if self.entries.is_empty() {
            return Verdict {
                permit: true,
                ace: None,
            };
        }
        for ace in &self.entries {
            if ace.matches(w) {
                return Verdict {
                    permit: ace.permit,
                    ace: Some(ace.clone()),
                };
            }
        }
        let nd = self.v6 && !w.fragment && w.proto == 58 && matches!(w.icmp_type, Some(135 | 136));
        Verdict {
            permit: nd,
            ace: None,
        }
    }
}

/// The ACLs bound to one interface.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Binding {
    pub v4_in: Option<String>,
    pub v6_in: Option<String>,
}

/// One member of a service object group: a protocol with its destination
/// ports or ICMP type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Svc {
    pub proto: Proto,
    pub dport: Ports,
    pub icmp: Option<(u8, Option<u8>)>,
}

/// A parsed configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub acls: BTreeMap<String, Acl>,
    /// Network object groups, by name, with nested groups expanded.
    pub network_groups: BTreeMap<String, Vec<Addr>>,
    /// Service object groups, by name, with nested groups expanded.
    pub service_groups: BTreeMap<String, Vec<Svc>>,
    pub interfaces: BTreeMap<String, Binding>,
    /// Every remark, in order.
    pub remarks: Vec<String>,
}

enum Mode {
    Global,
    NetGroup(String),
    SvcGroup(String),
    Acl(String),
    Iface(String),
}

fn port_value(tok: &str) -> Result<u16, String> {
    let named = match tok {
        "ftp-data" => Some(20),
        "ftp" => Some(21),
        "telnet" => Some(23),
        "smtp" => Some(25),
        "tacacs" => Some(49),
        "domain" => Some(53),
        "bootps" => Some(67),
        "bootpc" => Some(68),
        "tftp" => Some(69),
        "www" => Some(80),
        "ntp" => Some(123),
        "snmp" => Some(161),
        "snmptrap" => Some(162),
        "bgp" => Some(179),
        "isakmp" => Some(500),
        "syslog" => Some(514),
        _ => None,
    };
    match named {
        Some(p) => Ok(p),
        None => tok.parse::<u16>().map_err(|_| format!("bad port `{tok}`")),
    }
}

fn icmp_value(tok: &str, v6: bool) -> Option<u8> {
    let named = if v6 {
        match tok {
            "unreachable" => Some(1),
            "packet-too-big" => Some(2),
            "time-exceeded" => Some(3),
            "parameter-problem" => Some(4),
            "echo-request" => Some(128),
            "echo-reply" => Some(129),
            "router-solicitation" => Some(133),
            "router-advertisement" => Some(134),
            "nd-ns" => Some(135),
            "nd-na" => Some(136),
            _ => None,
        }
    } else {
        match tok {
            "echo-reply" => Some(0),
            "unreachable" => Some(3),
            "redirect" => Some(5),
            "echo" => Some(8),
            "router-advertisement" => Some(9),
            "router-solicitation" => Some(10),
            "time-exceeded" => Some(11),
            "parameter-problem" => Some(12),
            "timestamp-request" => Some(13),
            "timestamp-reply" => Some(14),
            _ => None,
        }
    };
    named.or_else(|| tok.parse::<u8>().ok())
}

struct Tokens<'a> {
    toks: Vec<&'a str>,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.toks.get(self.pos).copied()
    }
    fn next(&mut self) -> Result<&'a str, String> {
        let t = self
            .peek()
            .ok_or_else(|| "unexpected end of entry".to_string())?;
        self.pos += 1;
        Ok(t)
    }
}

fn parse_addr(t: &mut Tokens, v6: bool) -> Result<Addr, String> {
    let tok = t.next()?;
    if tok == "any" {
        return Ok(Addr::Any);
    }
    if tok == "host" {
        let a = t.next()?;
        return if v6 {
            let x: Ipv6Addr = a.parse().map_err(|_| format!("bad IPv6 host `{a}`"))?;
            Ok(Addr::V6 {
                net: u128::from(x),
                len: 128,
            })
        } else {
            let x: Ipv4Addr = a.parse().map_err(|_| format!("bad IPv4 host `{a}`"))?;
            Ok(Addr::V4 {
                addr: u32::from(x),
                wildcard: 0,
            })
        };
    }
    if v6 {
        let (a, l) = tok
            .split_once('/')
            .ok_or_else(|| format!("bad IPv6 prefix `{tok}`"))?;
        let a: Ipv6Addr = a.parse().map_err(|_| format!("bad IPv6 prefix `{tok}`"))?;
        let len: u8 = l.parse().map_err(|_| format!("bad length `{tok}`"))?;
        if len > 128 {
            return Err(format!("bad length `{tok}`"));
        }
        let net = u128::from(a);
        let host = if len == 128 {
            0
        } else {
            u128::MAX >> len as u32
        };
        if net & host != 0 {
            return Err(format!("host bits set in `{tok}`"));
        }
        Ok(Addr::V6 { net, len })
    } else {
        let a: Ipv4Addr = tok
            .parse()
            .map_err(|_| format!("bad IPv4 address `{tok}`"))?;
        let w = t.next()?;
        let w: Ipv4Addr = w.parse().map_err(|_| format!("bad wildcard `{w}`"))?;
        let (addr, wildcard) = (u32::from(a), u32::from(w));
        if addr & wildcard != 0 {
            return Err(format!("address {a} has bits under wildcard {w}"));
        }
        Ok(Addr::V4 { addr, wildcard })
    }
}

fn parse_ports(t: &mut Tokens) -> Result<Ports, String> {
    let op = match t.peek() {
        Some(op @ ("eq" | "neq" | "lt" | "gt" | "range")) => op,
        _ => return Ok(Ports::Any),
    };
    t.next()?;
    Ok(match op {
        "eq" => {
            let mut v = vec![port_value(t.next()?)?];
            while let Some(p) = t.peek().and_then(|x| port_value(x).ok()) {
                v.push(p);
                t.next()?;
            }
            Ports::Eq(v)
        }
        "neq" => Ports::Neq(port_value(t.next()?)?),
        "lt" => Ports::Lt(port_value(t.next()?)?),
        "gt" => Ports::Gt(port_value(t.next()?)?),
        _ => {
            let a = port_value(t.next()?)?;
            let b = port_value(t.next()?)?;
            if a > b {
                return Err(format!("range {a} {b} is empty"));
            }
            Ports::Range(a, b)
        }
    })
}

fn parse_proto(tok: &str, v6: bool) -> Result<Proto, String> {
    let p = match (tok, v6) {
        ("ip", false) | ("ipv6", true) => Proto::Any,
        ("tcp", _) => Proto::Num(6),
        ("udp", _) => Proto::Num(17),
        ("icmp", false) => Proto::Num(1),
        ("icmp", true) => Proto::Num(58),
        ("gre", _) => Proto::Num(47),
        ("esp", _) => Proto::Num(50),
        ("ahp", _) => Proto::Num(51),
        ("sctp", _) => Proto::Num(132),
        ("igmp", false) => Proto::Num(2),
        ("ipinip", false) => Proto::Num(4),
        ("eigrp", false) => Proto::Num(88),
        ("ospf", false) => Proto::Num(89),
        ("pim", false) => Proto::Num(103),
        (n, _) => {
            let n: u8 = n.parse().map_err(|_| format!("unknown protocol `{tok}`"))?;
            if n == 0 {
                return Err("protocol 0 is ambiguous on IOS".into());
            }
            Proto::Num(n)
        }
    };
    Ok(p)
}

/// An address field: one selector, or the members of a network group.
fn parse_addrs(t: &mut Tokens, v6: bool, cfg: &Config) -> Result<Vec<Addr>, String> {
    if t.peek() == Some("object-group") {
        t.next()?;
        let name = t.next()?;
        if v6 {
            return Err(format!(
                "object group `{name}` in an IPv6 list (not modelled)"
            ));
        }
        return cfg
            .network_groups
            .get(name)
            .cloned()
            .ok_or_else(|| format!("undefined network object group `{name}`"));
    }
    Ok(vec![parse_addr(t, v6)?])
}

/// One entry; an entry naming object groups becomes one entry per
/// combination of their members, all with sequence number `seq`.
fn parse_ace(
    seq: u64,
    rest: &str,
    v6: bool,
    remark: Option<String>,
    cfg: &Config,
) -> Result<Vec<Ace>, String> {
    let mut t = Tokens {
        toks: rest.split(' ').collect(),
        pos: 0,
    };
    if t.toks.iter().any(|x| x.is_empty()) {
        return Err(format!("stray spaces in `{rest}`"));
    }
    let permit = match t.next()? {
        "permit" => true,
        "deny" => false,
        a => return Err(format!("unknown action `{a}`")),
    };
    let proto_tok = t.next()?;
    let service = if proto_tok == "object-group" {
        let name = t.next()?;
        if v6 {
            return Err(format!(
                "object group `{name}` in an IPv6 list (not modelled)"
            ));
        }
        Some(
            cfg.service_groups
                .get(name)
                .cloned()
                .ok_or_else(|| format!("undefined service object group `{name}`"))?,
        )
    } else {
        None
    };
    let proto = match service {
        Some(_) => Proto::Any,
        None => parse_proto(proto_tok, v6)?,
    };
    let ported = service.is_none() && matches!(proto, Proto::Num(6 | 17));
    let srcs = parse_addrs(&mut t, v6, cfg)?;
    let sport = if ported {
        parse_ports(&mut t)?
    } else {
        Ports::Any
    };
    let dsts = parse_addrs(&mut t, v6, cfg)?;
    let dport = if ported {
        parse_ports(&mut t)?
    } else {
        Ports::Any
    };
    let mut icmp = None;
    let is_icmp = service.is_none() && proto == Proto::Num(if v6 { 58 } else { 1 });
    if is_icmp {
        if let Some(ty) = t.peek().and_then(|x| icmp_value(x, v6)) {
            t.next()?;
            let code = match t.peek().and_then(|x| x.parse::<u8>().ok()) {
                Some(c) => {
                    t.next()?;
                    Some(c)
                }
                None => None,
            };
            icmp = Some((ty, code));
        }
    }
    let (mut established, mut fragments, mut log) = (false, false, false);
    while let Some(tok) = t.peek() {
        t.next()?;
        match tok {
            "established" if proto == Proto::Num(6) && !established => established = true,
            "fragments" if service.is_none() && !fragments => fragments = true,
            "log" | "log-input" if !log => log = true,
            _ => return Err(format!("unknown option `{tok}` in `{rest}`")),
        }
    }
    let template = Ace {
        seq,
        permit,
        proto,
        src: Addr::Any,
        sport,
        dst: Addr::Any,
        dport,
        icmp,
        established,
        fragments,
        log,
        remark,
    };
    if template.fragments && template.has_l4() {
        return Err(format!("`fragments` with L4 fields in `{rest}`"));
    }
    let services = service.unwrap_or_else(|| {
        vec![Svc {
            proto: template.proto,
            dport: template.dport.clone(),
            icmp: template.icmp,
        }]
    });
    let mut out = Vec::new();
    for svc in &services {
        for src in &srcs {
            for dst in &dsts {
                out.push(Ace {
                    proto: svc.proto,
                    src: *src,
                    dst: *dst,
                    dport: svc.dport.clone(),
                    icmp: svc.icmp,
                    ..template.clone()
                });
            }
        }
    }
    Ok(out)
}

/// A member line of `object-group network`.
fn parse_net_member(body: &str, cfg: &Config) -> Result<Vec<Addr>, String> {
    let toks: Vec<&str> = body.split(' ').collect();
    let v4 = |x: &str| {
        x.parse::<Ipv4Addr>()
            .map(u32::from)
            .map_err(|_| format!("bad IPv4 address `{x}`"))
    };
    match toks.as_slice() {
        ["any"] => Ok(vec![Addr::Any]),
        ["host", a] => Ok(vec![Addr::V4 {
            addr: v4(a)?,
            wildcard: 0,
        }]),
        ["range", a, b] => {
            let (lo, hi) = (v4(a)?, v4(b)?);
            if lo > hi {
                return Err(format!("empty range `{body}`"));
            }
            Ok(vec![Addr::V4Range { lo, hi }])
        }
        ["group-object", name] => cfg
            .network_groups
            .get(*name)
            .cloned()
            .ok_or_else(|| format!("undefined network object group `{name}`")),
        [a, m] => {
            // A subnet mask, not a wildcard: contiguous ones from the top.
            let (addr, mask) = (v4(a)?, v4(m)?);
            if mask.leading_ones() + mask.trailing_zeros() != 32 {
                return Err(format!("`{m}` is not a subnet mask"));
            }
            if addr & !mask != 0 {
                return Err(format!("address {a} has host bits under mask {m}"));
            }
            Ok(vec![Addr::V4 {
                addr,
                wildcard: !mask,
            }])
        }
        _ => Err(format!("unknown network group member `{body}`")),
    }
}

/// A member line of `object-group service`.
fn parse_svc_member(body: &str, cfg: &Config) -> Result<Vec<Svc>, String> {
    let mut t = Tokens {
        toks: body.split(' ').collect(),
        pos: 0,
    };
    if t.toks.iter().any(|x| x.is_empty()) {
        return Err(format!("stray spaces in `{body}`"));
    }
    let first = t.next()?;
    if first == "group-object" {
        let name = t.next()?;
        if t.peek().is_some() {
            return Err(format!("unknown service group member `{body}`"));
        }
        return cfg
            .service_groups
            .get(name)
            .cloned()
            .ok_or_else(|| format!("undefined service object group `{name}`"));
    }
    let protos: Vec<Proto> = match first {
        "tcp-udp" => vec![Proto::Num(6), Proto::Num(17)],
        p => vec![parse_proto(p, false)?],
    };
    let mut dport = Ports::Any;
    let mut icmp = None;
    if matches!(protos.as_slice(), [Proto::Num(6 | 17), ..]) {
        if t.peek() == Some("source") {
            return Err(format!(
                "source ports in a service group (not modelled): `{body}`"
            ));
        }
        dport = parse_ports(&mut t)?;
    } else if protos == [Proto::Num(1)] {
        if let Some(tok) = t.peek() {
            let ty = icmp_value(tok, false).ok_or_else(|| format!("bad ICMP type `{tok}`"))?;
            t.next()?;
            let code = match t.peek() {
                Some(c) => {
                    let c = c
                        .parse::<u8>()
                        .map_err(|_| format!("bad ICMP code `{c}`"))?;
                    t.next()?;
                    Some(c)
                }
                None => None,
            };
            icmp = Some((ty, code));
        }
    }
    if t.peek().is_some() {
        return Err(format!("unknown service group member `{body}`"));
    }
    Ok(protos
        .into_iter()
        .map(|proto| Svc {
            proto,
            dport: dport.clone(),
            icmp,
        })
        .collect())
}

/// Parses a configuration, refusing any line it does not understand.
pub fn parse(text: &str) -> Result<Config, String> {
    let mut cfg = Config::default();
    let mut mode = Mode::Global;
    // The remark in force (IOS readers take a remark to describe the entries
    // after it, up to the next remark) and whether an entry followed it.
    let mut remark: Option<String> = None;
    let mut remark_used = true;
    for (no, line) in text.lines().enumerate() {
        let err = |m: String| format!("line {}: {m}: `{line}`", no + 1);
        if let Some(c) = line
            .chars()
            .find(|&c| !(' '..='~').contains(&c) || c == '?')
        {
            return Err(err(format!("character {c:?}")));
        }
        if line.starts_with('!') {
            continue;
        }
        if line == "exit" {
            if matches!(mode, Mode::Acl(_)) && !remark_used {
                return Err(err("remark without an entry".into()));
            }
            remark = None;
            remark_used = true;
            mode = Mode::Global;
            continue;
        }
        match &mode {
            Mode::Global => {
                let (v6, name) = if let Some(n) = line.strip_prefix("ip access-list extended ") {
                    (false, n)
                } else if let Some(n) = line.strip_prefix("ipv6 access-list ") {
                    (true, n)
                } else if let Some(rest) = line.strip_prefix("object-group ") {
                    let (kind, n) = rest
                        .split_once(' ')
                        .ok_or_else(|| err("bad object group".into()))?;
                    if n.is_empty()
                        || n.contains(' ')
                        || !n.starts_with(|c: char| c.is_ascii_alphabetic())
                    {
                        return Err(err("bad object group name".into()));
                    }
                    if cfg.network_groups.contains_key(n) || cfg.service_groups.contains_key(n) {
                        return Err(err(
                            "object group defined twice (members would merge)".into()
                        ));
                    }
                    match kind {
                        "network" => {
                            cfg.network_groups.insert(n.to_string(), Vec::new());
                            mode = Mode::NetGroup(n.to_string());
                        }
                        "service" => {
                            cfg.service_groups.insert(n.to_string(), Vec::new());
                            mode = Mode::SvcGroup(n.to_string());
                        }
                        _ => return Err(err("unknown object group type".into())),
                    }
                    continue;
                } else if let Some(n) = line.strip_prefix("interface ") {
                    if n.is_empty() || n.contains(' ') || cfg.interfaces.contains_key(n) {
                        return Err(err("bad or repeated interface".into()));
                    }
                    cfg.interfaces.insert(n.to_string(), Binding::default());
                    mode = Mode::Iface(n.to_string());
                    continue;
                } else {
                    return Err(err("unknown global command".into()));
                };
                if name.is_empty()
                    || name.contains(' ')
                    || name.contains('"')
                    || !name.starts_with(|c: char| c.is_ascii_alphabetic())
                {
                    return Err(err("bad list name".into()));
                }
                if cfg.acls.contains_key(name) {
                    return Err(err("list defined twice (entries would merge)".into()));
                }
                cfg.acls.insert(
                    name.to_string(),
                    Acl {
                        v6,
                        entries: Vec::new(),
                    },
                );
                mode = Mode::Acl(name.to_string());
            }
            Mode::NetGroup(name) | Mode::SvcGroup(name) => {
                let body = line
                    .strip_prefix(' ')
                    .ok_or_else(|| err("not a group member".into()))?;
                if let Some(text) = body.strip_prefix("description ") {
                    if text.is_empty() || text.len() > 200 {
                        return Err(err("bad description".into()));
                    }
                    continue;
                }
                if matches!(mode, Mode::NetGroup(_)) {
                    let members = parse_net_member(body, &cfg).map_err(err)?;
                    cfg.network_groups
                        .get_mut(name)
                        .ok_or_else(|| err("no group".into()))?
                        .extend(members);
                } else {
                    let members = parse_svc_member(body, &cfg).map_err(err)?;
                    cfg.service_groups
                        .get_mut(name)
                        .ok_or_else(|| err("no group".into()))?
                        .extend(members);
                }
            }
            Mode::Acl(name) => {
                let acl = cfg
                    .acls
                    .get_mut(name)
                    .ok_or_else(|| err("no list".into()))?;
                let body = line
                    .strip_prefix(' ')
                    .ok_or_else(|| err("not an entry".into()))?;
                if let Some(text) = body.strip_prefix("remark ") {
                    if text.len() > 100 || text.is_empty() || text.trim() != text {
                        return Err(err("bad remark".into()));
                    }
                    if !remark_used {
                        return Err(err("two remarks in a row".into()));
                    }
                    cfg.remarks.push(text.to_string());
                    remark = Some(text.to_string());
                    remark_used = false;
                    continue;
                }
                let v6 = acl.v6;
                let body = if v6 {
                    body.strip_prefix("sequence ")
                        .ok_or_else(|| err("IPv6 entry without `sequence`".into()))?
                } else {
                    body
                };
                let (seq, rest) = body
                    .split_once(' ')
                    .ok_or_else(|| err("entry without a sequence number".into()))?;
                let seq: u64 = seq.parse().map_err(|_| err("bad sequence number".into()))?;
                if seq == 0 || seq > 2_147_483_647 {
                    return Err(err("sequence number out of range".into()));
                }
                if acl.entries.iter().any(|a| a.seq == seq) {
                    return Err(err("duplicate sequence number".into()));
                }
                let aces = parse_ace(seq, rest, v6, remark.clone(), &cfg).map_err(err)?;
                remark_used = true;
                let acl = cfg
                    .acls
                    .get_mut(name)
                    .ok_or_else(|| err("no list".into()))?;
                acl.entries.extend(aces);
                acl.entries.sort_by_key(|a| a.seq);
            }
            Mode::Iface(name) => {
                let b = cfg
                    .interfaces
                    .get_mut(name)
                    .ok_or_else(|| err("no interface".into()))?;
                if let Some(acl) = line
                    .strip_prefix(" ip access-group ")
                    .and_then(|r| r.strip_suffix(" in"))
                {
                    if b.v4_in.replace(acl.to_string()).is_some() {
                        return Err(err("second inbound IPv4 list replaces the first".into()));
                    }
                } else if let Some(acl) = line
                    .strip_prefix(" ipv6 traffic-filter ")
                    .and_then(|r| r.strip_suffix(" in"))
                {
                    if b.v6_in.replace(acl.to_string()).is_some() {
                        return Err(err("second inbound IPv6 list replaces the first".into()));
                    }
                } else {
                    return Err(err("unknown interface command".into()));
                }
            }
        }
    }
    if !matches!(mode, Mode::Global) {
        return Err("configuration ends inside a block (no `exit`)".into());
    }
    for (iface, b) in &cfg.interfaces {
        for (name, v6) in [(&b.v4_in, false), (&b.v6_in, true)] {
            if let Some(name) = name {
                match cfg.acls.get(name) {
                    None => {
                        return Err(format!(
                            "interface {iface} applies undefined list {name} (permits everything)"
                        ))
                    }
                    Some(acl) if acl.v6 != v6 => {
                        return Err(format!(
                            "interface {iface}: list {name} of the wrong family"
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(cfg)
}

impl Config {
    /// The list the device applies to packets arriving on `iface`.
    pub fn bound(&self, iface: &str, v6: bool) -> Option<&Acl> {
        let b = self.interfaces.get(iface)?;
        let name = if v6 { &b.v6_in } else { &b.v4_in };
        self.acls.get(name.as_ref()?)
    }
}

impl Config {
    /// What the device enforces, without names or remarks: every list's
    /// entries (sorted, since list names order the map), and per interface
    /// the entries of the lists it applies.
    pub fn signature(&self) -> (Vec<String>, Vec<String>) {
        let body = |acl: &Acl| {
            let entries: Vec<Ace> = acl
                .entries
                .iter()
                .map(|a| Ace {
                    remark: None,
                    ..a.clone()
                })
                .collect();
            format!("{} {:?}", acl.v6, entries)
        };
        let mut lists: Vec<String> = self.acls.values().map(body).collect();
        lists.sort();
        let mut bound: Vec<String> = self
            .interfaces
            .values()
            .map(|b| {
                let get = |n: &Option<String>| n.as_ref().and_then(|n| self.acls.get(n)).map(body);
                format!("{:?} {:?}", get(&b.v4_in), get(&b.v6_in))
            })
            .collect();
        bound.sort();
        (lists, bound)
    }
}
