//! A strict reader of the nftables ruleset as `nft list ruleset` prints it
//! (and of the files `nft -f` loads, such as conduitc's own build: `table`
//! and `delete table` commands are applied in order).
//!
//! Every statement and match it does not understand is an error naming the
//! line, never skipped: what is not read cannot be judged.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::model::{AddrSet, PortSet, ServiceSpace};

/// The configuration cannot be read: the line (1-based) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadError {
    /// 1-based line of the configuration.
    pub line: usize,
    /// Why it cannot be read.
    pub message: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ReadError {}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    Str(String),
    LBrace,
    RBrace,
    Comma,
    Semi,
    Nl,
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, ReadError> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                chars.next();
                out.push((Tok::Nl, line));
                line += 1;
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\n') | None => {
                            return Err(ReadError {
                                line,
                                message: "unterminated string".into(),
                            })
                        }
                        Some(c) => s.push(c),
                    }
                }
                out.push((Tok::Str(s), line));
            }
            '{' | '}' | ',' | ';' => {
                chars.next();
                let t = match c {
                    '{' => Tok::LBrace,
                    '}' => Tok::RBrace,
                    ',' => Tok::Comma,
                    _ => Tok::Semi,
                };
                out.push((t, line));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "{},;\"#".contains(c) {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push((Tok::Word(w), line));
            }
        }
    }
    out.push((Tok::Nl, line));
    Ok(out)
}

/// A condition on packets: every field must hold. Interfaces `None` match
/// any interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cond {
    pub(crate) src: AddrSet,
    pub(crate) dst: AddrSet,
    pub(crate) svc: ServiceSpace,
    pub(crate) iif: Option<BTreeSet<String>>,
    pub(crate) oif: Option<BTreeSet<String>>,
}

impl Cond {
    pub(crate) fn all() -> Cond {
        Cond {
            src: AddrSet::all(),
            dst: AddrSet::all(),
            svc: ServiceSpace::any(),
            iif: None,
            oif: None,
        }
    }

    pub(crate) fn and(&self, o: &Cond) -> Cond {
        let names = |a: &Option<BTreeSet<String>>, b: &Option<BTreeSet<String>>| match (a, b) {
            (None, x) | (x, None) => x.clone(),
            (Some(a), Some(b)) => Some(a.intersection(b).cloned().collect()),
        };
        Cond {
            src: self.src.intersection(&o.src),
            dst: self.dst.intersection(&o.dst),
            svc: self.svc.intersection(&o.svc),
            iif: names(&self.iif, &o.iif),
            oif: names(&self.oif, &o.oif),
        }
    }

    fn v4_only(&mut self) {
        self.src = self.src.v4_only();
        self.dst = self.dst.v4_only();
    }

    fn v6_only(&mut self) {
        self.src = self.src.v6_only();
        self.dst = self.dst.v6_only();
    }
}

/// What a rule does with the packets it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// No verdict: the packet goes on to the next rule.
    Continue,
    Accept,
    Drop,
    Jump(String),
    Goto(String),
    Return,
}

/// One rule: its line, text, condition and verdict.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) line: usize,
    /// False when the rule can match no packet opening a connection
    /// (`ct state established,related`, `ct state invalid`).
    pub(crate) live: bool,
    pub(crate) cond: Cond,
    pub(crate) verdict: Verdict,
}

/// A base chain's hook.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    pub(crate) hook: String,
    pub(crate) priority: i64,
    pub(crate) accept: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Chain {
    pub(crate) line: usize,
    pub(crate) base: Option<Base>,
    pub(crate) rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
enum SetVal {
    Addrs(AddrSet),
    Ports(PortSet),
    Names(BTreeSet<String>),
}

#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub(crate) family: String,
    pub(crate) name: String,
    sets: BTreeMap<String, SetVal>,
    pub(crate) chains: BTreeMap<String, Chain>,
}

/// A ruleset read from `nft list ruleset` text.
#[derive(Clone, Debug, Default)]
pub struct Ruleset {
    pub(crate) tables: Vec<Table>,
    /// The configuration's lines, to quote the rules found.
    pub(crate) lines: Vec<String>,
    /// For JSON input: per line of `lines`, the object (1-based) it comes
    /// from.
    pub(crate) origin: Option<Vec<usize>>,
}

impl Ruleset {
    /// Where line `line` of the read text comes from (the line itself, or
    /// for JSON the object's position), and its text.
    pub(crate) fn place(&self, line: usize) -> (usize, String) {
        let text = self
            .lines
            .get(line.wrapping_sub(1))
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        match &self.origin {
            Some(o) => (o.get(line.wrapping_sub(1)).copied().unwrap_or(line), text),
            None => (line, text),
        }
    }
}

struct P {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ReadError> {
    Err(ReadError {
        line,
        message: message.into(),
    })
}

impl P {
    fn line(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(1, |t| t.1)
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn next(&mut self) -> Result<Tok, ReadError> {
        match self.toks.get(self.pos) {
            Some((t, _)) => {
                self.pos += 1;
                Ok(t.clone())
            }
            None => err(self.line(), "unexpected end of the configuration"),
        }
    }
    fn word(&mut self) -> Result<String, ReadError> {
        let line = self.line();
        match self.next()? {
            Tok::Word(w) => Ok(w),
            Tok::Str(s) => Ok(s),
            t => err(line, format!("expected a name, found {}", show(&t))),
        }
    }
    fn expect(&mut self, want: Tok) -> Result<(), ReadError> {
        let line = self.line();
        let t = self.next()?;
        if t == want {
            Ok(())
        } else {
            err(
                line,
                format!("expected {}, found {}", show(&want), show(&t)),
            )
        }
    }
    fn skip_blank(&mut self) {
        while matches!(self.peek(), Some(Tok::Nl) | Some(Tok::Semi)) {
            self.pos += 1;
        }
    }
    /// The tokens up to the end of the statement line (newlines inside
    /// braces included), with their lines.
    fn statement(&mut self) -> Result<Vec<(Tok, usize)>, ReadError> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return err(self.line(), "unexpected end of the configuration"),
                Some(Tok::Nl) | Some(Tok::Semi) if depth == 0 => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(Tok::Nl) => self.pos += 1,
                Some(Tok::RBrace) if depth == 0 => return Ok(out),
                Some(t) => {
                    match t {
                        Tok::LBrace => depth += 1,
                        Tok::RBrace => depth -= 1,
                        _ => {}
                    }
                    out.push(self.toks[self.pos].clone());
                    self.pos += 1;
                }
            }
        }
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::LBrace => "`{`".into(),
        Tok::RBrace => "`}`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Semi => "`;`".into(),
        Tok::Nl => "the end of the line".into(),
    }
}

/// Reads `nft list ruleset` text, or `nft -j list ruleset` JSON (a text
/// whose first character other than white space is `{`). For JSON, a
/// [`ReadError`]'s `line` is the position (1-based) of the object at fault
/// in the `nftables` array.
pub fn read_ruleset(text: &str) -> Result<Ruleset, ReadError> {
    if text.trim_start().starts_with('{') {
        let (rendered, origin) = super::json::to_text(text)?;
        let mut rs = read_text(&rendered).map_err(|e| ReadError {
            line: origin
                .get(e.line.wrapping_sub(1))
                .copied()
                .unwrap_or(e.line),
            message: e.message,
        })?;
        rs.origin = Some(origin);
        return Ok(rs);
    }
    read_text(text)
}

fn read_text(text: &str) -> Result<Ruleset, ReadError> {
    let mut p = P {
        toks: tokenize(text)?,
        pos: 0,
    };
    let mut rs = Ruleset {
        tables: Vec::new(),
        lines: text.lines().map(str::to_string).collect(),
        origin: None,
    };
    loop {
        p.skip_blank();
        let Some(_) = p.peek() else { break };
        let line = p.line();
        let w = p.word()?;
        match w.as_str() {
            "table" => {
                let family = p.word()?;
                if !["ip", "ip6", "inet", "arp", "bridge", "netdev"].contains(&family.as_str()) {
                    return err(line, format!("unknown table family `{family}`"));
                }
                let name = p.word()?;
                let at = rs
                    .tables
                    .iter()
                    .position(|t| t.family == family && t.name == name);
                let idx = match at {
                    Some(i) => i,
                    None => {
                        rs.tables.push(Table {
                            family,
                            name,
                            sets: BTreeMap::new(),
                            chains: BTreeMap::new(),
                        });
                        rs.tables.len() - 1
                    }
                };
                if p.peek() == Some(&Tok::LBrace) {
                    p.next()?;
                    table_body(&mut p, &mut rs.tables[idx])?;
                }
            }
            "delete" | "destroy" => {
                let line = p.line();
                let what = p.word()?;
                if what != "table" {
                    return err(line, format!("`{w} {what}` is not supported"));
                }
                let family = p.word()?;
                let name = p.word()?;
                match rs
                    .tables
                    .iter()
                    .position(|t| t.family == family && t.name == name)
                {
                    Some(i) => {
                        rs.tables.remove(i);
                    }
                    None if w == "destroy" => {}
                    None => return err(line, format!("no table {family} {name} to delete")),
                }
            }
            "flush" => {
                let what = p.word()?;
                if what != "ruleset" {
                    return err(line, format!("`flush {what}` is not supported"));
                }
                rs.tables.clear();
            }
            _ => return err(line, format!("unknown command `{w}`")),
        }
    }
    Ok(rs)
}

fn table_body(p: &mut P, t: &mut Table) -> Result<(), ReadError> {
    loop {
        p.skip_blank();
        let line = p.line();
        match p.next()? {
            Tok::RBrace => return Ok(()),
            Tok::Word(w) if w == "set" => {
                let name = p.word()?;
                p.expect(Tok::LBrace)?;
                let set = set_body(p, line)?;
                t.sets.insert(name, set);
            }
            Tok::Word(w) if w == "chain" => {
                let name = p.word()?;
                p.expect(Tok::LBrace)?;
                let chain = chain_body(p, t, line)?;
                t.chains.insert(name, chain);
            }
            Tok::Word(w) if w == "comment" => {
                p.statement()?;
            }
            Tok::Word(w) => {
                return err(
                    line,
                    format!("`{w}` in a table is not supported (only sets and chains are read)"),
                )
            }
            tok => return err(line, format!("unexpected {}", show(&tok))),
        }
    }
}

fn set_body(p: &mut P, line: usize) -> Result<SetVal, ReadError> {
    let mut kind: Option<String> = None;
    let mut elems: Vec<(Tok, usize)> = Vec::new();
    loop {
        p.skip_blank();
        if p.peek() == Some(&Tok::RBrace) {
            p.next()?;
            break;
        }
        let at = p.line();
        let st = p.statement()?;
        let Some((Tok::Word(w), _)) = st.first() else {
            return err(at, "expected a set property");
        };
        match w.as_str() {
            "type" => match st.get(1) {
                Some((Tok::Word(k), _)) if st.len() == 2 => kind = Some(k.clone()),
                _ => return err(at, "a set type other than a single type is not supported"),
            },
            "flags" => {
                for (t, l) in &st[1..] {
                    match t {
                        Tok::Word(f) if f == "interval" || f == "constant" => {}
                        Tok::Comma => {}
                        t => return err(*l, format!("set flag {} is not supported", show(t))),
                    }
                }
            }
            "auto-merge" | "comment" | "size" => {}
            "elements" => {
                if st.get(1).map(|t| &t.0) != Some(&Tok::Word("=".into())) {
                    return err(at, "expected `elements = { ... }`");
                }
                elems = st[2..].to_vec();
            }
            other => return err(at, format!("set property `{other}` is not supported")),
        }
    }
    let Some(kind) = kind else {
        return err(line, "the set has no type");
    };
    let field = match kind.as_str() {
        "ipv4_addr" => Field::Addr(false),
        "ipv6_addr" => Field::Addr(true),
        "inet_service" => Field::Port,
        "ifname" => Field::Name,
        k => return err(line, format!("sets of type `{k}` are not supported")),
    };
    if elems.is_empty() {
        return Ok(match field {
            Field::Addr(_) => SetVal::Addrs(AddrSet::new()),
            Field::Port => SetVal::Ports(PortSet::new()),
            _ => SetVal::Names(BTreeSet::new()),
        });
    }
    let mut i = 0;
    match value(&elems, &mut i, field, line)? {
        Val::Set(v) if i == elems.len() => Ok(v),
        _ => err(line, "malformed set elements"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Addr(bool),
    Port,
    Name,
    /// A number 0-255 (protocols, ICMP types), with names for `Num(kind)`.
    Num(NumKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumKind {
    Proto,
    Icmp,
    Icmpv6,
}

enum Val {
    Set(SetVal),
    Nums(BTreeSet<u8>),
}

fn icmp_name(w: &str, v6: bool) -> Option<u8> {
    Some(match (w, v6) {
        ("destination-unreachable", false) => 3,
        ("source-quench", false) => 4,
        ("redirect", false) => 5,
        ("echo-reply", false) => 0,
        ("echo-request", false) => 8,
        ("router-advertisement", false) => 9,
        ("router-solicitation", false) => 10,
        ("time-exceeded", false) => 11,
        ("parameter-problem", false) => 12,
        ("timestamp-request", false) => 13,
        ("timestamp-reply", false) => 14,
        ("info-request", false) => 15,
        ("info-reply", false) => 16,
        ("address-mask-request", false) => 17,
        ("address-mask-reply", false) => 18,
        ("destination-unreachable", true) => 1,
        ("packet-too-big", true) => 2,
        ("time-exceeded", true) => 3,
        ("parameter-problem", true) => 4,
        ("echo-request", true) => 128,
        ("echo-reply", true) => 129,
        ("mld-listener-query", true) => 130,
        ("mld-listener-report", true) => 131,
        ("mld-listener-done", true) => 132,
        ("nd-router-solicit", true) => 133,
        ("nd-router-advert", true) => 134,
        ("nd-neighbor-solicit", true) => 135,
        ("nd-neighbor-advert", true) => 136,
        ("nd-redirect", true) => 137,
        _ => return None,
    })
}

fn proto_name(w: &str) -> Option<u8> {
    Some(match w {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "ipv6-icmp" | "icmpv6" => 58,
        "sctp" => 132,
        _ => return None,
    })
}

/// A value: `@set`, a scalar, or `{ a, b, ... }`.
fn value(
    toks: &[(Tok, usize)],
    i: &mut usize,
    field: Field,
    line: usize,
) -> Result<Val, ReadError> {
    let mut addrs = AddrSet::new();
    let mut ports: Vec<(u16, u16)> = Vec::new();
    let mut names = BTreeSet::new();
    let mut nums = BTreeSet::new();
    let mut one = |t: &Tok, l: usize| -> Result<(), ReadError> {
        let w = match t {
            Tok::Word(w) => w.as_str(),
            Tok::Str(s) if field == Field::Name => s.as_str(),
            t => return err(l, format!("expected a value, found {}", show(t))),
        };
        match field {
            Field::Addr(v6) => {
                let set = if let Some((a, b)) = w.split_once('-') {
                    match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
                        (Ok(IpAddr::V4(a)), Ok(IpAddr::V4(b))) if !v6 && a <= b => {
                            AddrSet::from_v4_ranges(vec![(u32::from(a), u32::from(b))])
                        }
                        (Ok(IpAddr::V6(a)), Ok(IpAddr::V6(b))) if v6 && a <= b => {
                            AddrSet::from_v6_ranges(vec![(u128::from(a), u128::from(b))])
                        }
                        _ => return err(l, format!("bad address range `{w}`")),
                    }
                } else if w.contains('/') {
                    let n: ipnet::IpNet =
                        w.parse().or_else(|_| err(l, format!("bad prefix `{w}`")))?;
                    if n.trunc() != n {
                        return err(l, format!("prefix `{w}` has host bits set"));
                    }
                    AddrSet::from_net(n)
                } else {
                    let a: IpAddr = w
                        .parse()
                        .or_else(|_| err(l, format!("bad address `{w}`")))?;
                    AddrSet::from_addr(a)
                };
                if (v6 && set.has_v4()) || (!v6 && set.has_v6()) {
                    return err(
                        l,
                        format!("`{w}` is not an IPv{} address", if v6 { 6 } else { 4 }),
                    );
                }
                addrs = addrs.union(&set);
            }
            Field::Port => {
                let (a, b) = w.split_once('-').unwrap_or((w, w));
                match (a.parse::<u16>(), b.parse::<u16>()) {
                    (Ok(a), Ok(b)) if a <= b => ports.push((a, b)),
                    _ => return err(l, format!("bad port `{w}`")),
                }
            }
            Field::Name => {
                if w.contains('*') {
                    return err(l, format!("interface wildcard `{w}` is not supported"));
                }
                names.insert(w.to_string());
            }
            Field::Num(kind) => {
                let named = match kind {
                    NumKind::Proto => proto_name(w),
                    NumKind::Icmp => icmp_name(w, false),
                    NumKind::Icmpv6 => icmp_name(w, true),
                };
                let (lo, hi) = match named {
                    Some(n) => (n, n),
                    None => {
                        let (a, b) = w.split_once('-').unwrap_or((w, w));
                        match (a.parse::<u8>(), b.parse::<u8>()) {
                            (Ok(a), Ok(b)) if a <= b => (a, b),
                            _ => return err(l, format!("unknown value `{w}`")),
                        }
                    }
                };
                nums.extend(lo..=hi);
            }
        }
        Ok(())
    };
    match toks.get(*i) {
        Some((Tok::LBrace, _)) => {
            *i += 1;
            loop {
                match toks.get(*i) {
                    Some((Tok::RBrace, _)) => {
                        *i += 1;
                        break;
                    }
                    Some((Tok::Comma, _)) => *i += 1,
                    Some((t, l)) => {
                        one(t, *l)?;
                        *i += 1;
                    }
                    None => return err(line, "unterminated `{`"),
                }
            }
        }
        Some((t, l)) => {
            one(t, *l)?;
            *i += 1;
        }
        None => return err(line, "a value is missing"),
    }
    Ok(match field {
        Field::Addr(_) => Val::Set(SetVal::Addrs(addrs)),
        Field::Port => Val::Set(SetVal::Ports(PortSet::from_ranges(ports))),
        Field::Name => Val::Set(SetVal::Names(names)),
        Field::Num(_) => Val::Nums(nums),
    })
}

fn priority(st: &[(Tok, usize)], line: usize) -> Result<i64, ReadError> {
    let words: Vec<&str> = st
        .iter()
        .filter_map(|(t, _)| match t {
            Tok::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    let named = |w: &str| -> Option<i64> {
        Some(match w {
            "raw" => -300,
            "mangle" => -150,
            "dstnat" => -100,
            "filter" => 0,
            "security" => 50,
            "srcnat" => 100,
            _ => return None,
        })
    };
    let base = |w: &str| named(w).or_else(|| w.parse::<i64>().ok());
    match words.as_slice() {
        [w] => base(w),
        [w, "+", n] => base(w).zip(n.parse::<i64>().ok()).map(|(a, b)| a + b),
        [w, "-", n] => base(w).zip(n.parse::<i64>().ok()).map(|(a, b)| a - b),
        _ => None,
    }
    .map_or_else(|| err(line, "unreadable chain priority"), Ok)
}

fn chain_body(p: &mut P, t: &Table, line: usize) -> Result<Chain, ReadError> {
    let mut chain = Chain {
        line,
        base: None,
        rules: Vec::new(),
    };
    loop {
        p.skip_blank();
        if p.peek() == Some(&Tok::RBrace) {
            p.next()?;
            return Ok(chain);
        }
        let at = p.line();
        let st = p.statement()?;
        match st.first() {
            Some((Tok::Word(w), _)) if w == "type" => {
                // `type filter hook forward priority filter; policy drop;`
                // (the semicolons end statements).
                let words: Vec<String> = st
                    .iter()
                    .map(|(t, _)| match t {
                        Tok::Word(w) => w.clone(),
                        t => show(t),
                    })
                    .collect();
                if words.len() < 6 || words[2] != "hook" || words[4] != "priority" {
                    return err(at, "expected `type TYPE hook HOOK priority PRIORITY`");
                }
                if !["filter", "route", "nat"].contains(&words[1].as_str()) {
                    return err(at, format!("chain type `{}` is not supported", words[1]));
                }
                chain.base = Some(Base {
                    hook: words[3].clone(),
                    priority: priority(&st[5..], at)?,
                    accept: true,
                });
            }
            Some((Tok::Word(w), _)) if w == "policy" => {
                let accept = match st.get(1) {
                    Some((Tok::Word(v), _)) if v == "accept" => true,
                    Some((Tok::Word(v), _)) if v == "drop" => false,
                    _ => return err(at, "expected `policy accept` or `policy drop`"),
                };
                match chain.base.as_mut() {
                    Some(b) => b.accept = accept,
                    None => return err(at, "a policy in a chain without a hook"),
                }
            }
            Some((Tok::Word(w), _)) if w == "comment" => {}
            Some((Tok::Word(w), _)) if w == "devices" || w == "device" => {
                return err(at, "chains bound to devices are not supported");
            }
            _ => chain.rules.push(rule(&st, t, at)?),
        }
    }
}

fn rule(st: &[(Tok, usize)], t: &Table, line: usize) -> Result<Rule, ReadError> {
    let mut cond = Cond::all();
    match t.family.as_str() {
        "ip" => cond.v4_only(),
        "ip6" => cond.v6_only(),
        _ => {}
    }
    let mut live = true;
    let mut verdict: Option<Verdict> = None;
    let mut limited = false;
    let mut i = 0;
    let word = |i: usize| -> Option<&str> {
        match st.get(i) {
            Some((Tok::Word(w), _)) => Some(w.as_str()),
            _ => None,
        }
    };
    let lookup = |name: &str, l: usize| -> Result<SetVal, ReadError> {
        t.sets.get(name).cloned().map_or_else(
            || {
                err(
                    l,
                    format!("no set `{name}` in table {} {}", t.family, t.name),
                )
            },
            Ok,
        )
    };
    while i < st.len() {
        let l = st[i].1;
        let Some(w) = word(i) else {
            return err(l, format!("unexpected {}", show(&st[i].0)));
        };
        if verdict.is_some() && w != "comment" {
            return err(l, format!("`{w}` after the rule's verdict"));
        }
        i += 1;
        // A match: `KEYWORD FIELD [!=] VALUE`.
        let key = match (w, word(i)) {
            ("ip" | "ip6", Some(f @ ("saddr" | "daddr" | "protocol" | "nexthdr"))) => {
                i += 1;
                Some(format!("{w} {f}"))
            }
            ("tcp" | "udp" | "th", Some("dport")) => {
                i += 1;
                Some(format!("{w} dport"))
            }
            ("icmp" | "icmpv6", Some("type")) => {
                i += 1;
                Some(format!("{w} type"))
            }
            ("meta", Some(f @ ("l4proto" | "nfproto" | "iifname" | "oifname"))) => {
                i += 1;
                Some(f.to_string())
            }
            ("iifname" | "oifname" | "ct", _) => {
                if w == "ct" {
                    if word(i) != Some("state") {
                        return err(
                            l,
                            format!("`ct {}` is not supported", word(i).unwrap_or("")),
                        );
                    }
                    i += 1;
                    Some("ct state".to_string())
                } else {
                    Some(w.to_string())
                }
            }
            _ => None,
        };
        if let Some(key) = key {
            let negated = word(i) == Some("!=");
            if negated || word(i) == Some("==") {
                i += 1;
            }
            if negated && key == "ct state" {
                return err(l, "a negated `ct state` is not supported");
            }
            let field = match key.as_str() {
                "ip saddr" | "ip daddr" => Field::Addr(false),
                "ip6 saddr" | "ip6 daddr" => Field::Addr(true),
                "tcp dport" | "udp dport" | "th dport" => Field::Port,
                "iifname" | "oifname" => Field::Name,
                "icmp type" => Field::Num(NumKind::Icmp),
                "icmpv6 type" => Field::Num(NumKind::Icmpv6),
                "ct state" => {
                    // States: a list `a,b` (one word) or a set.
                    let mut states = BTreeSet::new();
                    let mut take = |w: &str| {
                        for s in w.split(',').filter(|s| !s.is_empty()) {
                            states.insert(s.to_string());
                        }
                    };
                    match st.get(i) {
                        Some((Tok::LBrace, _)) => {
                            i += 1;
                            loop {
                                match st.get(i) {
                                    Some((Tok::RBrace, _)) => {
                                        i += 1;
                                        break;
                                    }
                                    Some((Tok::Comma, _)) => i += 1,
                                    Some((Tok::Word(w), _)) => {
                                        take(w);
                                        i += 1;
                                    }
                                    _ => return err(l, "malformed `ct state`"),
                                }
                            }
                        }
                        Some((Tok::Word(w), _)) => {
                            take(w);
                            i += 1;
                            // `established, related` as printed with spaces.
                            while matches!(st.get(i), Some((Tok::Comma, _))) {
                                match st.get(i + 1) {
                                    Some((Tok::Word(w), _)) => {
                                        take(w);
                                        i += 2;
                                    }
                                    _ => return err(l, "malformed `ct state`"),
                                }
                            }
                        }
                        _ => return err(l, "malformed `ct state`"),
                    }
                    for s in &states {
                        if !["new", "established", "related", "invalid", "untracked"]
                            .contains(&s.as_str())
                        {
                            return err(l, format!("unknown connection state `{s}`"));
                        }
                    }
                    // Verify judges packets that open a connection.
                    if !states.contains("new") {
                        live = false;
                    }
                    continue;
                }
                _ => Field::Num(NumKind::Proto),
            };
            if key == "meta nfproto" || key == "nfproto" {
                let v = word(i).unwrap_or("");
                i += 1;
                match (v, negated) {
                    ("ipv4", false) | ("ipv6", true) => cond.v4_only(),
                    ("ipv6", false) | ("ipv4", true) => cond.v6_only(),
                    _ => return err(l, format!("unknown `meta nfproto` value `{v}`")),
                }
                continue;
            }
            let val = match st.get(i) {
                Some((Tok::Word(w), wl)) if w.starts_with('@') => {
                    i += 1;
                    let set = lookup(&w[1..], *wl)?;
                    match (set, field) {
                        (s @ SetVal::Addrs(_), Field::Addr(_))
                        | (s @ SetVal::Ports(_), Field::Port)
                        | (s @ SetVal::Names(_), Field::Name) => Val::Set(s),
                        _ => {
                            return err(
                                *wl,
                                format!("set `{}` is of the wrong type for `{key}`", &w[1..]),
                            )
                        }
                    }
                }
                _ => value(st, &mut i, field, l)?,
            };
            apply(&mut cond, &key, val, negated, l)?;
            continue;
        }
        match w {
            "counter" => {
                if word(i) == Some("packets") {
                    i += 4;
                }
            }
            "log" => {
                while let Some(k) = word(i) {
                    if [
                        "prefix",
                        "level",
                        "flags",
                        "group",
                        "snaplen",
                        "queue-threshold",
                    ]
                    .contains(&k)
                    {
                        i += 2;
                    } else {
                        break;
                    }
                }
                if let Some((Tok::Str(_), _)) = st.get(i) {
                    return err(l, "malformed `log`");
                }
            }
            "limit" => {
                limited = true;
                if word(i) != Some("rate") {
                    return err(l, "expected `limit rate`");
                }
                i += 1;
                if word(i) == Some("over") {
                    i += 1;
                }
                i += 1;
                if word(i) == Some("burst") {
                    i += 3;
                }
            }
            "comment" => i += 1,
            "accept" => verdict = Some(Verdict::Accept),
            "drop" => verdict = Some(Verdict::Drop),
            "reject" => {
                verdict = Some(Verdict::Drop);
                i = st.len();
            }
            "return" => verdict = Some(Verdict::Return),
            "jump" | "goto" => {
                let Some(target) = word(i) else {
                    return err(l, format!("`{w}` needs a chain"));
                };
                verdict = Some(if w == "jump" {
                    Verdict::Jump(target.to_string())
                } else {
                    Verdict::Goto(target.to_string())
                });
                i += 1;
            }
            _ => {
                return err(
                    l,
                    format!("`{w}` is a statement or match verify does not read"),
                )
            }
        }
    }
    let verdict = verdict.unwrap_or(Verdict::Continue);
    if limited && verdict != Verdict::Continue {
        return err(
            line,
            "a `limit` guards the verdict: its outcome depends on the traffic rate",
        );
    }
    if cond.iif.as_ref().is_some_and(|s| s.is_empty())
        || cond.oif.as_ref().is_some_and(|s| s.is_empty())
    {
        live = false;
    }
    Ok(Rule {
        line,
        live,
        cond,
        verdict,
    })
}

/// Narrows `cond` by one match.
fn apply(cond: &mut Cond, key: &str, val: Val, negated: bool, l: usize) -> Result<(), ReadError> {
    let v4all = AddrSet::all().v4_only();
    let v6all = AddrSet::all().v6_only();
    match (key, val) {
        ("ip saddr" | "ip daddr" | "ip6 saddr" | "ip6 daddr", Val::Set(SetVal::Addrs(a))) => {
            let fam = if key.starts_with("ip6") {
                &v6all
            } else {
                &v4all
            };
            let set = if negated { fam.difference(&a) } else { a };
            if key.ends_with("saddr") {
                cond.src = cond.src.intersection(&set);
                cond.dst = cond.dst.intersection(fam);
            } else {
                cond.dst = cond.dst.intersection(&set);
                cond.src = cond.src.intersection(fam);
            }
        }
        ("tcp dport" | "udp dport" | "th dport", Val::Set(SetVal::Ports(p))) => {
            let protos: &[u8] = match key {
                "tcp dport" => &[6],
                "udp dport" => &[17],
                _ => {
                    // Other transports with ports (SCTP, DCCP, UDP-Lite)
                    // have no ports on the service line.
                    for other in [33u8, 132, 136] {
                        if !cond
                            .svc
                            .intersection(&ServiceSpace::protocol(other))
                            .is_empty()
                        {
                            return err(l, "`th dport` is read only after `meta l4proto` limits the packet to TCP and UDP");
                        }
                    }
                    &[6, 17]
                }
            };
            let mut space = ServiceSpace::new();
            for &proto in protos {
                let s = if negated {
                    ServiceSpace::protocol(proto).difference(&ServiceSpace::ports(proto, &p))
                } else {
                    ServiceSpace::ports(proto, &p)
                };
                space = space.union(&s);
            }
            cond.svc = cond.svc.intersection(&space);
        }
        ("iifname" | "oifname", Val::Set(SetVal::Names(n))) => {
            if negated {
                return err(l, format!("a negated `{key}` is not supported"));
            }
            let slot = if key == "iifname" {
                &mut cond.iif
            } else {
                &mut cond.oif
            };
            *slot = Some(match slot.take() {
                Some(old) => old.intersection(&n).cloned().collect(),
                None => n,
            });
        }
        ("icmp type" | "icmpv6 type", Val::Nums(t)) => {
            let v6 = key == "icmpv6 type";
            let proto = if v6 { 58 } else { 1 };
            let space = if negated {
                ServiceSpace::protocol(proto).difference(&ServiceSpace::types(proto, &t))
            } else {
                ServiceSpace::types(proto, &t)
            };
            cond.svc = cond.svc.intersection(&space);
            if v6 {
                cond.v6_only();
            } else {
                cond.v4_only();
            }
        }
        (k @ ("ip protocol" | "ip6 nexthdr" | "l4proto"), Val::Nums(n)) => {
            let mut space = ServiceSpace::new();
            for p in &n {
                space = space.union(&ServiceSpace::protocol(*p));
            }
            if negated {
                space = ServiceSpace::any().difference(&space);
            }
            cond.svc = cond.svc.intersection(&space);
            if k == "ip protocol" {
                cond.v4_only();
            } else if k == "ip6 nexthdr" {
                cond.v6_only();
            }
        }
        _ => return err(l, format!("unreadable `{key}` match")),
    }
    Ok(())
}
