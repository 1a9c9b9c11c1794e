//! A strict reader and evaluator of Cisco IOS / IOS-XE ACL configuration,
//! written from the device's documented behaviour (backends.md section 2),
//! independently of the emitter.
//!
//! It reads the text the way the device would and refuses anything it does
//! not understand: an unknown line is an error, not something to skip.
//!
//! [`Device`] adds apply semantics for transitions: a device state that
//! configuration text is applied to line by line (list re-entry with
//! sequence numbers, `no` forms, interface bindings, object groups in use),
//! built from nothing, from a build or from `show running-config` text,
//! and rendered back as a running configuration. It shares only the entry
//! reader above with `parse`, and nothing with the library's reader of
//! PREVIOUS.
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
    /// `ip access-list standard`: entries match the source only.
    pub standard: bool,
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
    /// The interface's own addresses (`ip address A M`, `ipv6 address
    /// A/LEN`): a packet to one of them is for the router itself.
    pub addrs: Vec<IpAddr>,
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
    /// The lists `line vty` applies with `access-class NAME in` (IPv4) and
    /// `ipv6 access-class NAME in`, per vty line 0-15 (`None`: no class).
    pub vty: Vec<Binding>,
    /// Every remark, in order.
    pub remarks: Vec<String>,
}

enum Mode {
    Global,
    NetGroup(String),
    SvcGroup(String),
    Acl(String),
    Iface(String),
    /// `line vty A B`: the lines from A to B.
    Vty(usize, usize),
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

/// The vty lines a device has: `line vty 0 15`.
pub const VTY_LINES: usize = 16;

/// `A B` of `line vty A B` (or a single line `A`).
fn vty_range(range: &str) -> Result<Mode, String> {
    let (a, b) = match range.split_once(' ') {
        Some((a, b)) => (a, b),
        None => (range, range),
    };
    let lo: usize = a.parse().map_err(|_| format!("bad vty line `{a}`"))?;
    let hi: usize = b.parse().map_err(|_| format!("bad vty line `{b}`"))?;
    if lo > hi || hi >= VTY_LINES {
        return Err(format!("bad vty range `{range}`"));
    }
    Ok(Mode::Vty(lo, hi))
}

/// `A MASK` of `ip address A MASK` (optionally `secondary`): the address.
fn parse_own_v4(rest: &str) -> Result<IpAddr, String> {
    let toks: Vec<&str> = rest.split(' ').collect();
    let (a, m) = match toks.as_slice() {
        [a, m] | [a, m, "secondary"] => (*a, *m),
        _ => return Err(format!("bad interface address `{rest}`")),
    };
    let a: Ipv4Addr = a.parse().map_err(|_| format!("bad address `{a}`"))?;
    let m: Ipv4Addr = m.parse().map_err(|_| format!("bad mask `{m}`"))?;
    let m = u32::from(m);
    if m.leading_ones() + m.trailing_zeros() != 32 {
        return Err(format!("`{rest}` has no subnet mask"));
    }
    Ok(IpAddr::V4(a))
}

/// `A/LEN` of `ipv6 address A/LEN`: the address.
fn parse_own_v6(rest: &str) -> Result<IpAddr, String> {
    let (a, l) = rest
        .split_once('/')
        .ok_or_else(|| format!("bad IPv6 interface address `{rest}`"))?;
    let a: Ipv6Addr = a.parse().map_err(|_| format!("bad IPv6 address `{a}`"))?;
    match l.parse::<u8>() {
        Ok(l) if l <= 128 => Ok(IpAddr::V6(a)),
        _ => Err(format!("bad IPv6 prefix length `{l}`")),
    }
}

/// One entry of a standard list: `permit|deny any|host A|A WILDCARD|A
/// [log]`, read as the extended entry `permit ip SRC any` it matches like.
fn parse_standard_ace(seq: u64, rest: &str, remark: Option<String>) -> Result<Ace, String> {
    let mut toks: Vec<&str> = rest.split(' ').collect();
    if toks.iter().any(|x| x.is_empty()) {
        return Err(format!("stray spaces in `{rest}`"));
    }
    let log = toks.last() == Some(&"log");
    if log {
        toks.pop();
    }
    let (action, src) = toks
        .split_first()
        .ok_or_else(|| "empty entry".to_string())?;
    let permit = match *action {
        "permit" => true,
        "deny" => false,
        a => return Err(format!("unknown action `{a}`")),
    };
    let src = match src {
        [a] if *a != "any" && *a != "host" => {
            let x: Ipv4Addr = a.parse().map_err(|_| format!("bad IPv4 host `{a}`"))?;
            Addr::V4 {
                addr: u32::from(x),
                wildcard: 0,
            }
        }
        _ => {
            let mut t = Tokens {
                toks: src.to_vec(),
                pos: 0,
            };
            let a = parse_addr(&mut t, false)?;
            if t.peek().is_some() {
                return Err(format!("unknown option in `{rest}`"));
            }
            a
        }
    };
    Ok(Ace {
        seq,
        permit,
        proto: Proto::Any,
        src,
        sport: Ports::Any,
        dst: Addr::Any,
        dport: Ports::Any,
        icmp: None,
        established: false,
        fragments: false,
        log,
        remark,
    })
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
                let (v6, standard, name) = if let Some(n) =
                    line.strip_prefix("ip access-list extended ")
                {
                    (false, false, n)
                } else if let Some(n) = line.strip_prefix("ip access-list standard ") {
                    (false, true, n)
                } else if let Some(n) = line.strip_prefix("ipv6 access-list ") {
                    (true, false, n)
                } else if let Some(range) = line.strip_prefix("line vty ") {
                    mode = vty_range(range).map_err(err)?;
                    continue;
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
                        standard,
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
                let (v6, standard) = (acl.v6, acl.standard);
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
                let aces = if standard {
                    vec![parse_standard_ace(seq, rest, remark.clone()).map_err(err)?]
                } else {
                    parse_ace(seq, rest, v6, remark.clone(), &cfg).map_err(err)?
                };
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
                } else if let Some(rest) = line.strip_prefix(" ip address ") {
                    let a = parse_own_v4(rest).map_err(err)?;
                    b.addrs.push(a);
                } else if let Some(rest) = line.strip_prefix(" ipv6 address ") {
                    let a = parse_own_v6(rest).map_err(err)?;
                    b.addrs.push(a);
                } else {
                    return Err(err("unknown interface command".into()));
                }
            }
            Mode::Vty(lo, hi) => {
                let (lo, hi) = (*lo, *hi);
                let (v6, name) = if let Some(n) = line
                    .strip_prefix(" access-class ")
                    .and_then(|r| r.strip_suffix(" in"))
                {
                    (false, n)
                } else if let Some(n) = line
                    .strip_prefix(" ipv6 access-class ")
                    .and_then(|r| r.strip_suffix(" in"))
                {
                    (true, n)
                } else {
                    return Err(err("unknown line command".into()));
                };
                if cfg.vty.len() < VTY_LINES {
                    cfg.vty.resize(VTY_LINES, Binding::default());
                }
                for b in cfg.vty.iter_mut().take(hi + 1).skip(lo) {
                    let slot = if v6 { &mut b.v6_in } else { &mut b.v4_in };
                    *slot = Some(name.to_string());
                }
            }
        }
    }
    if !matches!(mode, Mode::Global) {
        return Err("configuration ends inside a block (no `exit`)".into());
    }
    for b in &cfg.vty {
        for (name, v6) in [(&b.v4_in, false), (&b.v6_in, true)] {
            if let Some(name) = name {
                match cfg.acls.get(name) {
                    None => {
                        return Err(format!(
                            "line vty applies undefined list {name} (permits everything)"
                        ))
                    }
                    Some(acl) if acl.v6 != v6 => {
                        return Err(format!("line vty: list {name} of the wrong family"))
                    }
                    Some(_) => {}
                }
            }
        }
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

// ---------------------------------------------------------------------------
// Apply semantics: a device that configuration text is applied to.
// ---------------------------------------------------------------------------

/// One list as the device holds it: entries by sequence number, each with
/// the remark written before it and its text after the number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredList {
    pub v6: bool,
    /// `ip access-list standard`.
    pub standard: bool,
    pub entries: BTreeMap<u64, (Option<String>, String)>,
}

/// One object group as the device holds it: its kind and member lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredGroup {
    /// `network` or `service`.
    pub kind: String,
    pub members: Vec<String>,
}

/// The lists an interface binds: IPv4 in, IPv6 in, IPv4 out, IPv6 out.
pub type Bindings = [Option<String>; 4];

/// Where the next line of configuration goes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum At {
    #[default]
    Global,
    List(String),
    Group(String),
    Iface(String),
    /// `line vty A B`.
    Vty(usize, usize),
}

/// The classes of one vty line: IPv4 (`access-class NAME in`) and IPv6
/// (`ipv6 access-class NAME in`).
pub type VtyClasses = [Option<String>; 2];

/// A Cisco IOS device that configuration text is applied to, line by line,
/// as in global configuration mode (Cisco's command references for
/// `ip access-list`, `ipv6 access-list`, `object-group`, `ip access-group`
/// and `ipv6 traffic-filter`):
///
/// - entering an existing list re-opens it and adds entries; an entry
///   whose sequence number the list already holds is refused (the old
///   entry stays), which `apply_line` reports as an error; an entry without
///   a number goes after the last one (+10);
/// - `no ip access-list extended NAME` / `no ipv6 access-list NAME`
///   deletes a list even while an interface binds it, and a bound list that
///   does not exist permits everything;
/// - `ip access-group NAME in` / `ipv6 traffic-filter NAME in` replaces the
///   interface's binding in one step; `no ip access-group NAME in` removes it;
/// - re-entering an object group adds members (lists naming it see them at
///   once); `no object-group KIND NAME` is refused while a list names the
///   group (modelled as refused: the conservative reading);
/// - an entry naming an undefined object group is refused;
/// - `ip access-list standard NAME` holds source-only entries;
///   `line vty A B` then `access-class NAME in` / `ipv6 access-class NAME
///   in` sets the class of lines A to B (replacing one in one step), `no
///   access-class NAME in` removes it; a class naming a list that does not
///   exist admits everything;
/// - `!` lines are comments; a line without indentation leaves the
///   sub-mode it is in.
///
/// Interface names compare by the platform's rule
/// (`conduitc::model::platform::ios_interface_key`: `Gi0/1` is
/// `GigabitEthernet0/1`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Device {
    pub lists: BTreeMap<String, StoredList>,
    pub groups: BTreeMap<String, StoredGroup>,
    /// By interface key: the name as first written, and its bindings.
    pub ifaces: BTreeMap<String, (String, Bindings)>,
    /// The access classes of vty lines 0-15.
    pub vty: [VtyClasses; VTY_LINES],
    at: At,
    remark: Option<String>,
}

fn iface_key(name: &str) -> String {
    conduitc::model::platform::ios_interface_key(name)
}

impl Device {
    /// A device with no configuration.
    pub fn new() -> Device {
        Device::default()
    }

    /// A device that `text` (a build) was pasted into, every line accepted.
    pub fn from_build(text: &str) -> Result<Device, String> {
        let mut d = Device::new();
        d.apply(text)?;
        Ok(d)
    }

    /// Applies every line of `text`; the first refused line is an error.
    pub fn apply(&mut self, text: &str) -> Result<(), String> {
        for (i, line) in text.lines().enumerate() {
            self.apply_line(line)
                .map_err(|e| format!("line {}: {e}: `{line}`", i + 1))?;
        }
        Ok(())
    }

    /// Applies `text` as a paste into a terminal: a refused line is
    /// reported and the device goes on with the next one. Returns the
    /// refusals.
    pub fn paste(&mut self, text: &str) -> Vec<String> {
        text.lines()
            .filter_map(|line| self.apply_line(line).err())
            .collect()
    }

    /// Applies one line (see the type's documentation).
    pub fn apply_line(&mut self, line: &str) -> Result<(), String> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.trim_start().starts_with('!') {
            return Ok(());
        }
        match line.strip_prefix(' ') {
            Some(sub) if self.at != At::Global => self.sub_command(sub),
            Some(_) => Err("a sub-command outside any mode".into()),
            None => {
                self.at = At::Global;
                self.remark = None;
                self.global(line)
            }
        }
    }

    fn global(&mut self, line: &str) -> Result<(), String> {
        let w: Vec<&str> = line.split(' ').collect();
        match w.as_slice() {
            ["exit"] | ["end"] => Ok(()),
            ["ip", "access-list", "extended", name] => self.enter_list(name, false, false),
            ["ip", "access-list", "standard", name] => self.enter_list(name, false, true),
            ["ipv6", "access-list", name] => self.enter_list(name, true, false),
            ["no", "ip", "access-list", "extended", name] => self.remove_list(name, false, false),
            ["no", "ip", "access-list", "standard", name] => self.remove_list(name, false, true),
            ["no", "ipv6", "access-list", name] => self.remove_list(name, true, false),
            ["line", "vty", ..] => {
                let Mode::Vty(lo, hi) = vty_range(&line["line vty ".len()..])? else {
                    return Err("bad vty range".into());
                };
                self.at = At::Vty(lo, hi);
                Ok(())
            }
            ["object-group", kind @ ("network" | "service"), name] => {
                match self.groups.get(*name) {
                    Some(g) if g.kind != *kind => {
                        return Err(format!("{name} is a {} group", g.kind))
                    }
                    Some(_) => {}
                    None => {
                        self.groups.insert(
                            name.to_string(),
                            StoredGroup {
                                kind: kind.to_string(),
                                members: Vec::new(),
                            },
                        );
                    }
                }
                self.at = At::Group(name.to_string());
                Ok(())
            }
            ["no", "object-group", kind @ ("network" | "service"), name] => {
                match self.groups.get(*name) {
                    None => return Err(format!("no object group {name}")),
                    Some(g) if g.kind != *kind => {
                        return Err(format!("{name} is a {} group", g.kind))
                    }
                    Some(_) => {}
                }
                if let Some(user) = self.lists.iter().find(|(_, l)| {
                    l.entries.values().any(|(_, e)| {
                        e.split(' ')
                            .collect::<Vec<_>>()
                            .windows(2)
                            .any(|p| p[0] == "object-group" && p[1] == *name)
                    })
                }) {
                    return Err(format!("object-group {name} is in use by {}", user.0));
                }
                self.groups.remove(*name);
                Ok(())
            }
            ["interface", ..] => {
                let name = line["interface ".len()..].trim();
                if name.is_empty() {
                    return Err("interface without a name".into());
                }
                let key = iface_key(name);
                self.ifaces
                    .entry(key.clone())
                    .or_insert_with(|| (name.to_string(), Bindings::default()));
                self.at = At::Iface(key);
                Ok(())
            }
            _ => Err("unknown global command".into()),
        }
    }

    fn enter_list(&mut self, name: &str, v6: bool, standard: bool) -> Result<(), String> {
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err("bad list name".into());
        }
        match self.lists.get(name) {
            Some(l) if l.v6 != v6 => return Err(format!("{name} is a list of the other family")),
            Some(l) if l.standard != standard => {
                return Err(format!("{name} is a list of the other kind"))
            }
            Some(_) => {}
            None => {
                self.lists.insert(
                    name.to_string(),
                    StoredList {
                        v6,
                        standard,
                        entries: BTreeMap::new(),
                    },
                );
            }
        }
        self.at = At::List(name.to_string());
        Ok(())
    }

    fn remove_list(&mut self, name: &str, v6: bool, standard: bool) -> Result<(), String> {
        match self.lists.get(name) {
            Some(l) if l.v6 == v6 && l.standard == standard => {
                self.lists.remove(name);
                Ok(())
            }
            Some(_) => Err(format!("{name} is a list of the other family")),
            None => Err(format!("no access list {name}")),
        }
    }

    fn sub_command(&mut self, sub: &str) -> Result<(), String> {
        match self.at.clone() {
            At::Global => Err("a sub-command outside any mode".into()),
            At::List(name) => self.list_command(&name, sub),
            At::Group(name) => {
                let kind = self
                    .groups
                    .get(&name)
                    .map(|g| g.kind.clone())
                    .ok_or("the group was removed")?;
                let cfg = self.group_config()?;
                if kind == "network" {
                    parse_net_member(sub, &cfg)?;
                } else {
                    parse_svc_member(sub, &cfg)?;
                }
                if let Some(g) = self.groups.get_mut(&name) {
                    g.members.push(sub.to_string());
                }
                Ok(())
            }
            At::Vty(lo, hi) => {
                let w: Vec<&str> = sub.split(' ').collect();
                let (no, w) = match w.split_first() {
                    Some((&"no", rest)) => (true, rest),
                    _ => (false, w.as_slice()),
                };
                let (slot, list) = match w {
                    ["access-class", list, "in"] => (0, *list),
                    ["ipv6", "access-class", list, "in"] => (1, *list),
                    _ => return Err("unknown line command".into()),
                };
                for line in self.vty.iter_mut().take(hi + 1).skip(lo) {
                    if no {
                        if line[slot].as_deref() != Some(list) {
                            return Err(format!("{list} is not the class there"));
                        }
                        line[slot] = None;
                    } else {
                        line[slot] = Some(list.to_string());
                    }
                }
                Ok(())
            }
            At::Iface(key) => {
                let w: Vec<&str> = sub.split(' ').collect();
                let (no, w) = match w.split_first() {
                    Some((&"no", rest)) => (true, rest),
                    _ => (false, w.as_slice()),
                };
                let (slot, list) = match w {
                    ["ip", "access-group", list, "in"] => (0, *list),
                    ["ipv6", "traffic-filter", list, "in"] => (1, *list),
                    ["ip", "access-group", list, "out"] => (2, *list),
                    ["ipv6", "traffic-filter", list, "out"] => (3, *list),
                    _ => return Err("unknown interface command".into()),
                };
                let b = &mut self.ifaces.get_mut(&key).ok_or("the interface is gone")?.1[slot];
                if no {
                    if b.as_deref() != Some(list) {
                        return Err(format!("{list} is not bound there"));
                    }
                    *b = None;
                } else {
                    *b = Some(list.to_string());
                }
                Ok(())
            }
        }
    }

    fn list_command(&mut self, name: &str, sub: &str) -> Result<(), String> {
        let held = self.lists.get(name).ok_or("the list was removed")?;
        let (v6, standard) = (held.v6, held.standard);
        if let Some(text) = sub.strip_prefix("remark ") {
            self.remark = Some(text.to_string());
            return Ok(());
        }
        let body = if v6 {
            sub.strip_prefix("sequence ").unwrap_or(sub)
        } else {
            sub
        };
        let (seq, text) = match body.split_once(' ') {
            Some((n, rest)) if n.parse::<u64>().is_ok() => (n.parse::<u64>().ok(), rest),
            _ => (None, body),
        };
        let list = self.lists.get(name).ok_or("the list was removed")?;
        let seq = match seq {
            Some(s) => s,
            None => list.entries.keys().next_back().map_or(10, |l| l + 10),
        };
        if seq == 0 || seq > 2_147_483_647 {
            return Err("sequence number out of range".into());
        }
        if list.entries.contains_key(&seq) {
            return Err(format!(
                "duplicate sequence number {seq} in {name}: refused, the old entry stays"
            ));
        }
        if standard {
            parse_standard_ace(seq, text, None)?;
        } else {
            let cfg = self.group_config()?;
            parse_ace(seq, text, v6, None, &cfg)?;
        }
        let remark = self.remark.take();
        if let Some(l) = self.lists.get_mut(name) {
            l.entries.insert(seq, (remark, text.to_string()));
        }
        Ok(())
    }

    /// The object groups, expanded, for reading entries that name them.
    fn group_config(&self) -> Result<Config, String> {
        let mut cfg = Config::default();
        for (name, g) in &self.groups {
            if g.kind == "network" {
                let mut v = Vec::new();
                for m in &g.members {
                    v.extend(parse_net_member(m, &cfg)?);
                }
                cfg.network_groups.insert(name.clone(), v);
            } else {
                let mut v = Vec::new();
                for m in &g.members {
                    v.extend(parse_svc_member(m, &cfg)?);
                }
                cfg.service_groups.insert(name.clone(), v);
            }
        }
        Ok(cfg)
    }

    /// What the device enforces now: every list read with the groups as
    /// they are, and every interface's inbound bindings.
    pub fn config(&self) -> Result<Config, String> {
        let mut cfg = self.group_config()?;
        for (name, l) in &self.lists {
            let mut acl = Acl {
                v6: l.v6,
                standard: l.standard,
                entries: Vec::new(),
            };
            for (&seq, (remark, text)) in &l.entries {
                if l.standard {
                    acl.entries
                        .push(parse_standard_ace(seq, text, remark.clone())?);
                } else {
                    acl.entries
                        .extend(parse_ace(seq, text, l.v6, remark.clone(), &cfg)?);
                }
            }
            cfg.acls.insert(name.clone(), acl);
        }
        for (key, (_, b)) in &self.ifaces {
            cfg.interfaces.insert(
                key.clone(),
                Binding {
                    v4_in: b[0].clone(),
                    v6_in: b[1].clone(),
                    addrs: Vec::new(),
                },
            );
        }
        if self.vty.iter().any(|l| l.iter().any(Option::is_some)) {
            cfg.vty = self
                .vty
                .iter()
                .map(|[v4, v6]| Binding {
                    v4_in: v4.clone(),
                    v6_in: v6.clone(),
                    addrs: Vec::new(),
                })
                .collect();
        }
        Ok(cfg)
    }

    /// The interfaces the device knows, by key.
    pub fn iface_keys(&self) -> Vec<String> {
        self.ifaces.keys().cloned().collect()
    }

    /// This device restricted to names starting with `prefix` (lists,
    /// groups, and bindings naming such lists), or to every other name.
    pub fn part(&self, prefix: &str, owned: bool) -> Device {
        let keep = |n: &str| n.starts_with(prefix) == owned;
        Device {
            lists: self
                .lists
                .iter()
                .filter(|(n, _)| keep(n))
                .map(|(n, l)| (n.clone(), l.clone()))
                .collect(),
            groups: self
                .groups
                .iter()
                .filter(|(n, _)| keep(n))
                .map(|(n, g)| (n.clone(), g.clone()))
                .collect(),
            ifaces: self
                .ifaces
                .iter()
                .map(|(k, (name, b))| {
                    let b = b.clone().map(|x| x.filter(|n| keep(n)));
                    (k.clone(), (name.clone(), b))
                })
                .filter(|(_, (_, b))| b.iter().any(Option::is_some))
                .collect(),
            vty: self.vty.clone().map(|l| l.map(|x| x.filter(|n| keep(n)))),
            at: At::Global,
            remark: None,
        }
    }

    /// A device whose running configuration is `text` (`show
    /// running-config`): lists, object groups and interface bindings are
    /// applied as configuration; every other top-level command and its
    /// indented lines (and a multi-line banner) are skipped.
    pub fn from_running_config(text: &str) -> Result<Device, String> {
        let mut d = Device::new();
        let mut skipping = false;
        let mut banner: Option<String> = None;
        for (i, line) in text.lines().enumerate() {
            let fail = |e: String| format!("line {}: {e}: `{line}`", i + 1);
            if let Some(delim) = &banner {
                if line.contains(delim.as_str()) {
                    banner = None;
                }
                continue;
            }
            if let Some(sub) = line.strip_prefix(' ') {
                if skipping {
                    continue;
                }
                if let At::Iface(_) = d.at {
                    let t = sub.trim_start();
                    if !(t.starts_with("ip access-group ") || t.starts_with("ipv6 traffic-filter "))
                    {
                        continue;
                    }
                }
                if let At::Vty(..) = d.at {
                    let t = sub.trim_start();
                    if !(t.starts_with("access-class ") || t.starts_with("ipv6 access-class ")) {
                        continue;
                    }
                }
                // IOS prints IPv6 entries `permit ... sequence N`.
                let sub = match sub.rsplit_once(" sequence ") {
                    Some((t, n)) if n.parse::<u64>().is_ok() => format!(" sequence {n} {t}"),
                    _ => format!(" {sub}"),
                };
                d.apply_line(&sub).map_err(fail)?;
                continue;
            }
            skipping = false;
            let known = [
                "ip access-list extended ",
                "ip access-list standard ",
                "ipv6 access-list ",
                "line vty ",
                "object-group ",
                "interface ",
            ]
            .iter()
            .any(|p| line.starts_with(p));
            if known {
                d.apply_line(line).map_err(fail)?;
            } else if let Some(rest) = line.strip_prefix("banner ") {
                let body = rest.split_once(' ').map_or("", |(_, b)| b);
                let delim = if body.starts_with("^C") {
                    "^C".to_string()
                } else {
                    body.chars().next().map(String::from).unwrap_or_default()
                };
                if !delim.is_empty() && !body[delim.len()..].contains(delim.as_str()) {
                    banner = Some(delim);
                }
                d.at = At::Global;
            } else {
                d.at = At::Global;
                skipping = true;
            }
        }
        d.at = At::Global;
        Ok(d)
    }

    /// This state as `show running-config` would print it, with the noise
    /// of a real device around it: hostname, version, a multi-line banner,
    /// interface addresses and descriptions, a routing process, vty lines,
    /// `!` separators and `end`. IPv6 entries are printed `permit ...
    /// sequence N` and well-known ports by name, as IOS does.
    pub fn running_config(&self) -> String {
        let mut s = String::from(
            "!\n! Last configuration change at 10:01:12 UTC Fri Dec 4 2026\n!\nversion 17.3\nservice timestamps debug datetime msec\nhostname plant-router\n!\nboot-start-marker\nboot-end-marker\n!\nbanner motd ^C\nAuthorised access only.\n  Disconnect now if you are not.\n^C\n!\nno aaa new-model\nip domain name plant.example\n!\n",
        );
        let named = |t: &str| -> String {
            let mut out = Vec::new();
            let mut after_op = 0;
            for tok in t.split(' ') {
                if after_op > 0 {
                    after_op -= 1;
                    out.push(match tok {
                        "80" => "www",
                        "22" => "22",
                        "53" => "domain",
                        "123" => "ntp",
                        "23" => "telnet",
                        other => other,
                    });
                    continue;
                }
                after_op = match tok {
                    "eq" | "neq" | "lt" | "gt" => 1,
                    "range" => 2,
                    _ => 0,
                };
                out.push(tok);
            }
            out.join(" ")
        };
        for (name, g) in &self.groups {
            s.push_str(&format!("object-group {} {name}\n", g.kind));
            for m in &g.members {
                s.push_str(&format!(" {}\n", named(m)));
            }
            s.push_str("!\n");
        }
        for (key, (name, b)) in &self.ifaces {
            let _ = key;
            s.push_str(&format!(
                "interface {name}\n description uplink {name}\n ip address 192.0.2.1 255.255.255.0\n"
            ));
            for (slot, cmd) in [
                (0, "ip access-group {} in"),
                (2, "ip access-group {} out"),
                (1, "ipv6 traffic-filter {} in"),
                (3, "ipv6 traffic-filter {} out"),
            ] {
                if let Some(l) = &b[slot] {
                    s.push_str(&format!(" {}\n", cmd.replace("{}", l)));
                }
            }
            s.push_str(" negotiation auto\n!\n");
        }
        s.push_str("router ospf 1\n network 10.0.0.0 0.255.255.255 area 0\n!\nip forward-protocol nd\nip http server\n!\n");
        for (name, l) in &self.lists {
            if l.v6 {
                s.push_str(&format!("ipv6 access-list {name}\n"));
            } else if l.standard {
                s.push_str(&format!("ip access-list standard {name}\n"));
            } else {
                s.push_str(&format!("ip access-list extended {name}\n"));
            }
            for (seq, (remark, text)) in &l.entries {
                if let Some(r) = remark {
                    s.push_str(&format!(" remark {r}\n"));
                }
                if l.v6 {
                    s.push_str(&format!(" {} sequence {seq}\n", named(text)));
                } else {
                    s.push_str(&format!(" {seq} {}\n", named(text)));
                }
            }
            s.push_str("!\n");
        }
        s.push_str("line con 0\n stopbits 1\n");
        // As IOS prints them: lines 0-4 and 5-15, each with its classes.
        for (lo, hi) in [(0, 4), (5, VTY_LINES - 1)] {
            let mut at = lo;
            while at <= hi {
                let mut end = at;
                while end < hi && self.vty[end + 1] == self.vty[at] {
                    end += 1;
                }
                s.push_str(&format!("line vty {at} {end}\n"));
                if let Some(n) = &self.vty[at][0] {
                    s.push_str(&format!(" access-class {n} in\n"));
                }
                if let Some(n) = &self.vty[at][1] {
                    s.push_str(&format!(" ipv6 access-class {n} in\n"));
                }
                s.push_str(" login\n transport input ssh\n");
                at = end + 1;
            }
        }
        s.push_str("!\nend\n");
        s
    }
}

/// What `cfg` admits arriving on interface `key`: the inbound list of the
/// packet's family decides; no list, or a bound list that does not exist,
/// admits everything. Returns the decision and the remark of the entry
/// that decided it.
pub fn admits(cfg: &Config, key: &str, w: &Wire) -> (bool, Option<String>) {
    let b = cfg.interfaces.get(key);
    let name = b.and_then(|b| if w.src.is_ipv6() { &b.v6_in } else { &b.v4_in }.as_ref());
    match name.and_then(|n| cfg.acls.get(n)) {
        Some(acl) if acl.v6 == w.src.is_ipv6() => {
            let v = acl.eval(w);
            (v.permit, v.ace.and_then(|a| a.remark))
        }
        _ => (true, None),
    }
}

/// True when `a` is one of the router's own addresses: an address of one
/// of `cfg`'s interfaces (`ip address`, `ipv6 address`) or of `own` (the
/// addresses the policy declares, which a build does not configure).
pub fn is_own(cfg: &Config, own: &[IpAddr], a: IpAddr) -> bool {
    own.contains(&a) || cfg.interfaces.values().any(|b| b.addrs.contains(&a))
}

/// The TCP ports `line vty` serves: SSH and telnet.
pub const VTY_PORTS: [u16; 2] = [22, 23];

/// What the router does with `w`, addressed to one of its own addresses
/// and arriving on interface `key`: the inbound list of the ingress
/// interface decides as for transit traffic ([`admits`]); no outbound list
/// applies, since the packet does not leave. An SSH or telnet connection
/// (TCP 22 or 23, not a fragment) the interface admits then meets the vty
/// access class of its family: it is admitted when the class of some vty
/// line admits it (a session may land on any free line), and a line with
/// no class admits everything. Returns the decision and the remark of the
/// interface entry that decided it.
pub fn admits_local(cfg: &Config, key: &str, w: &Wire) -> (bool, Option<String>) {
    let (permit, remark) = admits(cfg, key, w);
    if !permit || !vty_bound(w) {
        return (permit, remark);
    }
    (vty_admits(cfg, w), remark)
}

/// True when `w` opens a session on a vty line.
fn vty_bound(w: &Wire) -> bool {
    w.proto == 6 && !w.fragment && w.dport.is_some_and(|p| VTY_PORTS.contains(&p))
}

/// The vty access classes on `w`: true when some line admits it.
pub fn vty_admits(cfg: &Config, w: &Wire) -> bool {
    if cfg.vty.len() < VTY_LINES {
        // A line no `line vty` configured has no class.
        return true;
    }
    cfg.vty.iter().any(|b| {
        let name = if w.src.is_ipv6() { &b.v6_in } else { &b.v4_in };
        match name.as_ref().and_then(|n| cfg.acls.get(n)) {
            Some(acl) if acl.v6 == w.src.is_ipv6() => acl.eval(w).permit,
            Some(_) => false,
            None => true,
        }
    })
}
