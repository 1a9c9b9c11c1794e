//! An evaluator of nftables text, written from the nft documentation and the
//! behaviour tested in a kernel (not from the emitter): it parses a file of
//! `table` / `delete table` / `table { set ..; chain .. }` commands and
//! decides a packet that starts a new connection the way the kernel's
//! forward hook would, or for a packet addressed to the host itself, its
//! input hook (`eval_input`; a ruleset without an `input` base chain leaves
//! the host's own traffic unfiltered).
//!
//! Anything it does not understand is an error, never skipped: an unknown
//! statement, an undefined set or chain, a set element of the wrong family,
//! overlapping interval elements (nft rejects them), a prefix with host bits
//! (nft silently clears them), a rule after a verdict, a `limit` guarding a
//! verdict (its outcome would be nondeterministic).
//!
//! Conntrack is modelled for a packet that opens a connection: `ct state`
//! is `new`, except for ICMP types conntrack cannot open a connection with,
//! which are `invalid` (IPv4 types other than echo, timestamp, information
//! and address-mask requests; IPv6 types other than echo request and node
//! information query) or `untracked` (IPv6 neighbour discovery and MLD).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use conduitc::lower::Packet;

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

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                chars.next();
                out.push(Tok::Nl);
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                while let Some(&c) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\n') | None => return Err("unterminated string".into()),
                        Some(c) => s.push(c),
                    }
                }
                out.push(Tok::Str(s));
            }
            '{' => {
                chars.next();
                out.push(Tok::LBrace);
            }
            '}' => {
                chars.next();
                out.push(Tok::RBrace);
            }
            ',' => {
                chars.next();
                out.push(Tok::Comma);
            }
            ';' => {
                chars.next();
                out.push(Tok::Semi);
            }
            '\\' | '$' | '\'' => return Err(format!("unexpected character {c:?}")),
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "{},;\"#".contains(c) {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

/// A value a match compares against.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    /// `@name`.
    SetRef(String),
    /// Inclusive numeric ranges (ports, types, protocols).
    Nums(Vec<(u32, u32)>),
    /// A literal list of prefixes.
    Nets(Vec<ipnet::IpNet>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    IpSaddr,
    IpDaddr,
    Ip6Saddr,
    Ip6Daddr,
    TcpDport,
    UdpDport,
    IcmpType,
    Icmpv6Type,
    L4proto,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Stmt {
    Match(Field, Value),
    CtState(BTreeSet<String>),
    Iifname(String),
    Oifname(String),
    Counter,
    Limit,
    Log(String),
    Accept,
    Drop,
    Jump(String),
}

/// One parsed rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NftRule {
    stmts: Vec<Stmt>,
    /// The rule's comment, if any.
    pub comment: Option<String>,
}

impl NftRule {
    /// True when the rule's final verdict is `accept`.
    pub fn accepts(&self) -> bool {
        self.stmts.last() == Some(&Stmt::Accept)
    }
    /// True when the rule logs.
    pub fn logs(&self) -> bool {
        self.stmts.iter().any(|s| matches!(s, Stmt::Log(_)))
    }
    /// The log prefix, if the rule logs.
    pub fn log_prefix(&self) -> Option<&str> {
        self.stmts.iter().find_map(|s| match s {
            Stmt::Log(p) => Some(p.as_str()),
            _ => None,
        })
    }
}

#[derive(Clone, Debug, Default)]
struct NftSet {
    v6: bool,
    interval: bool,
    elems: Vec<ipnet::IpNet>,
}

#[derive(Clone, Debug, Default)]
struct Chain {
    /// `Some(policy_accepts)` for a base chain on the forward or input hook.
    base: Option<bool>,
    /// True for a base chain on the input hook.
    input: bool,
    rules: Vec<NftRule>,
}

#[derive(Clone, Debug, Default)]
struct Table {
    sets: BTreeMap<String, NftSet>,
    chains: BTreeMap<String, Chain>,
}

/// The ruleset after applying a file.
#[derive(Clone, Debug)]
pub struct Ruleset {
    table: Table,
    base: String,
    /// The base chain on the input hook, if any.
    input: Option<String>,
}

/// The kernel's decision on one packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// True when accepted.
    pub accept: bool,
    /// Comment of the rule that gave the verdict, if it had one.
    pub rule: Option<String>,
    /// True when the deciding rule logs.
    pub logged: bool,
    /// Every log prefix emitted on the way.
    pub logs: Vec<String>,
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Result<Tok, String> {
        let t = self.toks.get(self.pos).cloned().ok_or("unexpected end")?;
        self.pos += 1;
        Ok(t)
    }
    fn word(&mut self) -> Result<String, String> {
        match self.next()? {
            Tok::Word(w) => Ok(w),
            t => Err(format!("expected a word, found {t:?}")),
        }
    }
    fn expect_word(&mut self, w: &str) -> Result<(), String> {
        let got = self.word()?;
        if got == w {
            Ok(())
        } else {
            Err(format!("expected `{w}`, found `{got}`"))
        }
    }
    fn expect(&mut self, t: Tok) -> Result<(), String> {
        let got = self.next()?;
        if got == t {
            Ok(())
        } else {
            Err(format!("expected {t:?}, found {got:?}"))
        }
    }
    fn skip_nl(&mut self) {
        while matches!(self.peek(), Some(Tok::Nl) | Some(Tok::Semi)) {
            self.pos += 1;
        }
    }
    /// Tokens up to the end of the line (newlines inside braces included).
    fn line(&mut self) -> Result<Vec<Tok>, String> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err("unexpected end in a rule".into()),
                Some(Tok::Nl) if depth == 0 => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(Tok::Nl) => {
                    self.pos += 1;
                }
                Some(Tok::RBrace) if depth == 0 => return Ok(out),
                Some(t) => {
                    match t {
                        Tok::LBrace => depth += 1,
                        Tok::RBrace => depth -= 1,
                        _ => {}
                    }
                    out.push(t.clone());
                    self.pos += 1;
                }
            }
        }
    }
}

fn ident_ok(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || b"_-./".contains(&c))
        && s.len() <= 255
        && ![
            "ip", "ip6", "tcp", "udp", "accept", "drop", "counter", "table", "chain", "set",
            "inet", "jump", "log", "meta", "ct",
        ]
        .contains(&s)
}

fn parse_prefix(w: &str) -> Result<ipnet::IpNet, String> {
    let net: ipnet::IpNet = if w.contains('/') {
        w.parse().map_err(|_| format!("bad prefix `{w}`"))?
    } else {
        let a: IpAddr = w.parse().map_err(|_| format!("bad address `{w}`"))?;
        ipnet::IpNet::from(a)
    };
    if net.trunc() != net {
        return Err(format!("prefix `{w}` has host bits set"));
    }
    Ok(net)
}

fn icmp_name(w: &str) -> Option<u32> {
    Some(match w {
        "echo-reply" => 0,
        "destination-unreachable" => 3,
        "source-quench" => 4,
        "redirect" => 5,
        "echo-request" => 8,
        "router-advertisement" => 9,
        "router-solicitation" => 10,
        "time-exceeded" => 11,
        "parameter-problem" => 12,
        "timestamp-request" => 13,
        "timestamp-reply" => 14,
        "info-request" => 15,
        "info-reply" => 16,
        "address-mask-request" => 17,
        "address-mask-reply" => 18,
        _ => return None,
    })
}

fn icmpv6_name(w: &str) -> Option<u32> {
    Some(match w {
        "destination-unreachable" => 1,
        "packet-too-big" => 2,
        "time-exceeded" => 3,
        "parameter-problem" => 4,
        "echo-request" => 128,
        "echo-reply" => 129,
        "mld-listener-query" => 130,
        "mld-listener-report" => 131,
        "nd-router-solicit" => 133,
        "nd-router-advert" => 134,
        "nd-neighbor-solicit" => 135,
        "nd-neighbor-advert" => 136,
        "nd-redirect" => 137,
        _ => return None,
    })
}

fn proto_name(w: &str) -> Option<u32> {
    Some(match w {
        "icmp" => 1,
        "tcp" => 6,
        "udp" => 17,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "ipv6-icmp" => 58,
        "sctp" => 132,
        _ => return None,
    })
}

/// Parses one scalar of a numeric field: a number, a range `a-b`, or a name.
fn parse_num(w: &str, field: Field) -> Result<(u32, u32), String> {
    let max = match field {
        Field::TcpDport | Field::UdpDport => 65535,
        _ => 255,
    };
    let named = match field {
        Field::IcmpType => icmp_name(w),
        Field::Icmpv6Type => icmpv6_name(w),
        Field::L4proto => proto_name(w),
        _ => None,
    };
    if let Some(n) = named {
        return Ok((n, n));
    }
    let (lo, hi) = match w.split_once('-') {
        Some((a, b)) => (a, b),
        None => (w, w),
    };
    let lo: u32 = lo.parse().map_err(|_| format!("bad value `{w}`"))?;
    let hi: u32 = hi.parse().map_err(|_| format!("bad value `{w}`"))?;
    if lo > hi || hi > max {
        return Err(format!("bad range `{w}`"));
    }
    Ok((lo, hi))
}

fn parse_value(toks: &[Tok], i: &mut usize, field: Field) -> Result<Value, String> {
    let is_addr = matches!(
        field,
        Field::IpSaddr | Field::IpDaddr | Field::Ip6Saddr | Field::Ip6Daddr
    );
    let scalar = |w: &str| -> Result<Value, String> {
        if is_addr {
            Ok(Value::Nets(vec![parse_prefix(w)?]))
        } else {
            Ok(Value::Nums(vec![parse_num(w, field)?]))
        }
    };
    match toks.get(*i) {
        Some(Tok::Word(w)) if w.starts_with('@') => {
            *i += 1;
            Ok(Value::SetRef(w[1..].to_string()))
        }
        Some(Tok::Word(w)) => {
            *i += 1;
            scalar(w)
        }
        Some(Tok::LBrace) => {
            *i += 1;
            let mut nums = Vec::new();
            let mut nets = Vec::new();
            loop {
                match toks.get(*i) {
                    Some(Tok::Word(w)) => {
                        match scalar(w)? {
                            Value::Nums(n) => nums.extend(n),
                            Value::Nets(n) => nets.extend(n),
                            Value::SetRef(_) => unreachable!(),
                        }
                        *i += 1;
                    }
                    t => return Err(format!("expected a set element, found {t:?}")),
                }
                match toks.get(*i) {
                    Some(Tok::Comma) => *i += 1,
                    Some(Tok::RBrace) => {
                        *i += 1;
                        break;
                    }
                    t => return Err(format!("expected `,` or `}}`, found {t:?}")),
                }
            }
            Ok(if is_addr {
                Value::Nets(nets)
            } else {
                Value::Nums(nums)
            })
        }
        t => Err(format!("expected a value, found {t:?}")),
    }
}

fn parse_rule(toks: &[Tok]) -> Result<NftRule, String> {
    let mut stmts = Vec::new();
    let mut comment = None;
    let mut i = 0;
    let word = |i: &mut usize| -> Result<String, String> {
        match toks.get(*i) {
            Some(Tok::Word(w)) => {
                *i += 1;
                Ok(w.clone())
            }
            t => Err(format!("expected a word, found {t:?}")),
        }
    };
    let string = |i: &mut usize| -> Result<String, String> {
        match toks.get(*i) {
            Some(Tok::Str(s)) => {
                *i += 1;
                Ok(s.clone())
            }
            t => Err(format!("expected a string, found {t:?}")),
        }
    };
    while i < toks.len() {
        if comment.is_some() {
            return Err("tokens after the comment".into());
        }
        if matches!(
            stmts.last(),
            Some(Stmt::Accept) | Some(Stmt::Drop) | Some(Stmt::Jump(_))
        ) && !matches!(toks.get(i), Some(Tok::Word(w)) if w == "comment")
        {
            return Err("statement after a verdict".into());
        }
        let w = word(&mut i)?;
        let stmt = match w.as_str() {
            "ip" | "ip6" | "tcp" | "udp" | "icmp" | "icmpv6" | "meta" => {
                let f = word(&mut i)?;
                let field = match (w.as_str(), f.as_str()) {
                    ("ip", "saddr") => Field::IpSaddr,
                    ("ip", "daddr") => Field::IpDaddr,
                    ("ip6", "saddr") => Field::Ip6Saddr,
                    ("ip6", "daddr") => Field::Ip6Daddr,
                    ("tcp", "dport") => Field::TcpDport,
                    ("udp", "dport") => Field::UdpDport,
                    ("icmp", "type") => Field::IcmpType,
                    ("icmpv6", "type") => Field::Icmpv6Type,
                    ("meta", "l4proto") => Field::L4proto,
                    _ => return Err(format!("unknown selector `{w} {f}`")),
                };
                Stmt::Match(field, parse_value(toks, &mut i, field)?)
            }
            "ct" => {
                let k = word(&mut i)?;
                if k != "state" {
                    return Err(format!("unknown `ct {k}`"));
                }
                let mut states = BTreeSet::new();
                loop {
                    let s = word(&mut i)?;
                    if !["new", "established", "related", "invalid", "untracked"]
                        .contains(&s.as_str())
                    {
                        return Err(format!("unknown ct state `{s}`"));
                    }
                    states.insert(s);
                    if toks.get(i) == Some(&Tok::Comma) {
                        i += 1;
                    } else {
                        break;
                    }
                }
                Stmt::CtState(states)
            }
            "iifname" => Stmt::Iifname(string(&mut i)?),
            "oifname" => Stmt::Oifname(string(&mut i)?),
            "counter" => Stmt::Counter,
            "limit" => {
                if word(&mut i)? != "rate" {
                    return Err("expected `limit rate`".into());
                }
                let r = word(&mut i)?;
                let (n, unit) = r.split_once('/').ok_or("bad limit rate")?;
                n.parse::<u32>().map_err(|_| "bad limit rate")?;
                if !["second", "minute", "hour"].contains(&unit) {
                    return Err(format!("bad limit unit `{unit}`"));
                }
                if matches!(toks.get(i), Some(Tok::Word(w)) if w == "burst") {
                    i += 1;
                    word(&mut i)?.parse::<u32>().map_err(|_| "bad burst")?;
                    if word(&mut i)? != "packets" {
                        return Err("expected `packets`".into());
                    }
                }
                Stmt::Limit
            }
            "log" => {
                let mut prefix = String::new();
                while let Some(Tok::Word(w)) = toks.get(i) {
                    match w.as_str() {
                        "prefix" => {
                            i += 1;
                            prefix = string(&mut i)?;
                            if prefix.len() > 127 || prefix.contains('$') {
                                return Err(format!("bad log prefix {prefix:?}"));
                            }
                        }
                        "level" => {
                            i += 1;
                            let l = word(&mut i)?;
                            if ![
                                "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
                            ]
                            .contains(&l.as_str())
                            {
                                return Err(format!("bad log level `{l}`"));
                            }
                        }
                        _ => break,
                    }
                }
                Stmt::Log(prefix)
            }
            "accept" => Stmt::Accept,
            "drop" => Stmt::Drop,
            "jump" => Stmt::Jump(word(&mut i)?),
            "comment" => {
                let c = string(&mut i)?;
                if c.len() > 128 {
                    return Err("comment longer than 128 bytes".into());
                }
                comment = Some(c);
                continue;
            }
            other => return Err(format!("unknown statement `{other}`")),
        };
        stmts.push(stmt);
    }
    if stmts.contains(&Stmt::Limit)
        && matches!(
            stmts.last(),
            Some(Stmt::Accept) | Some(Stmt::Drop) | Some(Stmt::Jump(_))
        )
    {
        return Err("a verdict guarded by `limit` is nondeterministic".into());
    }
    if stmts.is_empty() {
        return Err("empty rule".into());
    }
    Ok(NftRule { stmts, comment })
}

fn parse_set(p: &mut Parser) -> Result<NftSet, String> {
    p.expect(Tok::LBrace)?;
    let mut set = NftSet::default();
    let mut typ = None;
    loop {
        p.skip_nl();
        match p.next()? {
            Tok::RBrace => break,
            Tok::Word(w) if w == "type" => {
                let t = p.word()?;
                typ = Some(match t.as_str() {
                    "ipv4_addr" => false,
                    "ipv6_addr" => true,
                    _ => return Err(format!("unknown set type `{t}`")),
                });
            }
            Tok::Word(w) if w == "flags" => {
                p.expect_word("interval")?;
                set.interval = true;
            }
            Tok::Word(w) if w == "elements" => {
                p.expect_word("=")?;
                p.expect(Tok::LBrace)?;
                loop {
                    p.skip_nl();
                    match p.next()? {
                        Tok::Word(e) => set.elems.push(parse_prefix(&e)?),
                        t => return Err(format!("expected an element, found {t:?}")),
                    }
                    p.skip_nl();
                    match p.next()? {
                        Tok::Comma => {}
                        Tok::RBrace => break,
                        t => return Err(format!("expected `,` or `}}`, found {t:?}")),
                    }
                }
            }
            t => return Err(format!("unknown set attribute {t:?}")),
        }
    }
    set.v6 = typ.ok_or("set without a type")?;
    for e in &set.elems {
        if e.addr().is_ipv6() != set.v6 {
            return Err(format!("element {e} of the wrong family"));
        }
        let single = e.prefix_len() == e.max_prefix_len();
        if !single && !set.interval {
            return Err(format!("prefix {e} needs `flags interval`"));
        }
    }
    if set.interval {
        for (i, a) in set.elems.iter().enumerate() {
            for b in &set.elems[i + 1..] {
                if a.contains(b) || b.contains(a) {
                    return Err(format!("conflicting intervals {a} and {b}"));
                }
            }
        }
    }
    Ok(set)
}

fn parse_chain(p: &mut Parser) -> Result<Chain, String> {
    p.expect(Tok::LBrace)?;
    let mut chain = Chain::default();
    p.skip_nl();
    if p.peek() == Some(&Tok::Word("type".into())) {
        p.pos += 1;
        for w in ["filter", "hook"] {
            p.expect_word(w)?;
        }
        match p.word()?.as_str() {
            "forward" => {}
            "input" => chain.input = true,
            h => return Err(format!("unsupported hook `{h}`")),
        }
        for w in ["priority", "filter"] {
            p.expect_word(w)?;
        }
        p.expect(Tok::Semi)?;
        p.expect_word("policy")?;
        let policy = p.word()?;
        p.expect(Tok::Semi)?;
        chain.base = Some(match policy.as_str() {
            "accept" => true,
            "drop" => false,
            _ => return Err(format!("bad policy `{policy}`")),
        });
    }
    loop {
        p.skip_nl();
        if p.peek() == Some(&Tok::RBrace) {
            p.pos += 1;
            return Ok(chain);
        }
        let line = p.line()?;
        chain.rules.push(parse_rule(&line)?);
    }
}

fn parse_table_ref(p: &mut Parser) -> Result<String, String> {
    p.expect_word("inet")?;
    let name = p.word()?;
    if !ident_ok(&name) {
        return Err(format!("bad table name `{name}`"));
    }
    Ok(name)
}

/// Parses and applies a whole file; the result is the table `inet conduit`.
pub fn parse(text: &str) -> Result<Ruleset, String> {
    let mut p = Parser {
        toks: tokenize(text)?,
        pos: 0,
    };
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    loop {
        p.skip_nl();
        let Some(_) = p.peek() else { break };
        let w = p.word()?;
        match w.as_str() {
            "table" => {
                let name = parse_table_ref(&mut p)?;
                let t = tables.entry(name).or_default();
                if p.peek() == Some(&Tok::LBrace) {
                    p.pos += 1;
                    loop {
                        p.skip_nl();
                        match p.next()? {
                            Tok::RBrace => break,
                            Tok::Word(k) if k == "set" || k == "chain" => {
                                let n = p.word()?;
                                if !ident_ok(&n) {
                                    return Err(format!("bad {k} name `{n}`"));
                                }
                                if k == "set" {
                                    let s = parse_set(&mut p)?;
                                    if t.sets.insert(n.clone(), s).is_some() {
                                        return Err(format!("set `{n}` declared twice"));
                                    }
                                } else {
                                    let c = parse_chain(&mut p)?;
                                    if t.chains.insert(n.clone(), c).is_some() {
                                        return Err(format!("chain `{n}` declared twice"));
                                    }
                                }
                            }
                            t => return Err(format!("unexpected {t:?} in a table")),
                        }
                    }
                }
            }
            "delete" => {
                p.expect_word("table")?;
                let name = parse_table_ref(&mut p)?;
                if tables.remove(&name).is_none() {
                    return Err(format!("delete of missing table `{name}`"));
                }
            }
            other => return Err(format!("unknown command `{other}`")),
        }
    }
    let table = tables.remove("conduit").ok_or("no table inet conduit")?;
    if !tables.is_empty() {
        return Err("tables other than inet conduit".into());
    }
    let bases: Vec<&String> = table
        .chains
        .iter()
        .filter(|(_, c)| c.base.is_some() && !c.input)
        .map(|(n, _)| n)
        .collect();
    let [base] = bases[..] else {
        return Err(format!(
            "expected one forward base chain, found {}",
            bases.len()
        ));
    };
    let inputs: Vec<&String> = table
        .chains
        .iter()
        .filter(|(_, c)| c.base.is_some() && c.input)
        .map(|(n, _)| n)
        .collect();
    if inputs.len() > 1 {
        return Err(format!(
            "expected at most one input base chain, found {}",
            inputs.len()
        ));
    }
    let rs = Ruleset {
        base: base.clone(),
        input: inputs.first().map(|n| (*n).clone()),
        table,
    };
    rs.validate()?;
    Ok(rs)
}

/// True when conntrack lets `p` open a connection (`ct state new`); false
/// for ICMP messages it marks invalid or leaves untracked.
pub fn opens_connection(p: &Packet) -> bool {
    ct_state(p) == "new"
}

/// What conntrack says about a packet that opens a connection.
fn ct_state(p: &Packet) -> &'static str {
    match (p.proto, p.src.is_ipv4()) {
        (1, true) => match p.icmp_type {
            Some(8 | 13 | 15 | 17) => "new",
            _ => "invalid",
        },
        (58, false) => match p.icmp_type {
            Some(128 | 139) => "new",
            Some(130..=136 | 143) => "untracked",
            _ => "invalid",
        },
        _ => "new",
    }
}

impl Ruleset {
    fn validate(&self) -> Result<(), String> {
        for (cn, c) in &self.table.chains {
            for r in &c.rules {
                for s in &r.stmts {
                    match s {
                        Stmt::Jump(t) => {
                            let target = self
                                .table
                                .chains
                                .get(t)
                                .ok_or(format!("jump to missing chain `{t}` in `{cn}`"))?;
                            if target.base.is_some() {
                                return Err(format!("jump to base chain `{t}`"));
                            }
                        }
                        Stmt::Match(f, Value::SetRef(n)) => {
                            let set = self.table.sets.get(n).ok_or(format!("missing set `{n}`"))?;
                            let want_v6 = matches!(f, Field::Ip6Saddr | Field::Ip6Daddr);
                            let is_addr = matches!(
                                f,
                                Field::IpSaddr | Field::IpDaddr | Field::Ip6Saddr | Field::Ip6Daddr
                            );
                            if !is_addr || set.v6 != want_v6 {
                                return Err(format!("set `{n}` of the wrong type for {f:?}"));
                            }
                        }
                        Stmt::Match(f, Value::Nets(nets)) => {
                            let want_v6 = matches!(f, Field::Ip6Saddr | Field::Ip6Daddr);
                            if nets.iter().any(|n| n.addr().is_ipv6() != want_v6) {
                                return Err(format!("address of the wrong family for {f:?}"));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    /// Every rule of every chain, with its chain's name.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &NftRule)> {
        self.table
            .chains
            .iter()
            .flat_map(|(n, c)| c.rules.iter().map(move |r| (n.as_str(), r)))
    }

    /// Set names with their element count.
    pub fn set_sizes(&self) -> BTreeMap<String, usize> {
        self.table
            .sets
            .iter()
            .map(|(n, s)| (n.clone(), s.elems.len()))
            .collect()
    }

    fn in_set(&self, name: &str, a: IpAddr) -> bool {
        self.table
            .sets
            .get(name)
            .is_some_and(|s| s.elems.iter().any(|n| n.contains(&a)))
    }

    fn value_has_addr(&self, v: &Value, a: IpAddr) -> bool {
        match v {
            Value::SetRef(n) => self.in_set(n, a),
            Value::Nets(n) => n.iter().any(|n| n.contains(&a)),
            Value::Nums(_) => false,
        }
    }

    /// True when every match of `rule` holds for the packet (statements
    /// other than matches are ignored).
    pub fn rule_matches(
        &self,
        rule: &NftRule,
        p: &Packet,
        iif: Option<&str>,
        oif: Option<&str>,
    ) -> bool {
        rule.stmts.iter().all(|s| self.stmt_matches(s, p, iif, oif))
    }

    fn stmt_matches(&self, s: &Stmt, p: &Packet, iif: Option<&str>, oif: Option<&str>) -> bool {
        let v4 = p.src.is_ipv4() && p.dst.is_ipv4();
        let v6 = p.src.is_ipv6() && p.dst.is_ipv6();
        match s {
            Stmt::Match(f, v) => {
                let num = |x: Option<u32>| match (x, v) {
                    (Some(x), Value::Nums(r)) => r.iter().any(|&(lo, hi)| lo <= x && x <= hi),
                    _ => false,
                };
                match f {
                    Field::IpSaddr => v4 && self.value_has_addr(v, p.src),
                    Field::IpDaddr => v4 && self.value_has_addr(v, p.dst),
                    Field::Ip6Saddr => v6 && self.value_has_addr(v, p.src),
                    Field::Ip6Daddr => v6 && self.value_has_addr(v, p.dst),
                    Field::TcpDport => p.proto == 6 && num(p.dport.map(u32::from)),
                    Field::UdpDport => p.proto == 17 && num(p.dport.map(u32::from)),
                    Field::IcmpType => p.proto == 1 && num(p.icmp_type.map(u32::from)),
                    Field::Icmpv6Type => p.proto == 58 && num(p.icmp_type.map(u32::from)),
                    Field::L4proto => num(Some(u32::from(p.proto))),
                }
            }
            Stmt::CtState(states) => states.contains(ct_state(p)),
            Stmt::Iifname(n) => iif == Some(n.as_str()),
            Stmt::Oifname(n) => oif == Some(n.as_str()),
            Stmt::Counter | Stmt::Limit | Stmt::Log(_) => true,
            Stmt::Accept | Stmt::Drop | Stmt::Jump(_) => true,
        }
    }

    /// Decides a packet that opens a connection, arriving on `iif` and
    /// leaving on `oif` (`None`: no interface name matches).
    pub fn eval(&self, p: &Packet, iif: Option<&str>, oif: Option<&str>) -> Outcome {
        let mut logs = Vec::new();
        let base = &self.table.chains[&self.base];
        match self.run_chain(&self.base, p, iif, oif, &mut logs, 0) {
            Some((accept, rule, logged)) => Outcome {
                accept,
                rule,
                logged,
                logs,
            },
            None => Outcome {
                accept: base.base == Some(true),
                rule: None,
                logged: false,
                logs,
            },
        }
    }

    /// True when the ruleset filters traffic to the host (an `input` base
    /// chain).
    pub fn has_input(&self) -> bool {
        self.input.is_some()
    }

    /// Decides a packet addressed to the host itself that opens a
    /// connection, arriving on `iif`: the input hook. Without an input base
    /// chain the packet is accepted (the host is not filtered).
    pub fn eval_input(&self, p: &Packet, iif: Option<&str>) -> Outcome {
        let mut logs = Vec::new();
        let Some(input) = &self.input else {
            return Outcome {
                accept: true,
                rule: None,
                logged: false,
                logs,
            };
        };
        let base = &self.table.chains[input];
        match self.run_chain(input, p, iif, None, &mut logs, 0) {
            Some((accept, rule, logged)) => Outcome {
                accept,
                rule,
                logged,
                logs,
            },
            None => Outcome {
                accept: base.base == Some(true),
                rule: None,
                logged: false,
                logs,
            },
        }
    }

    /// Runs a chain; `Some((accept, comment, logged))` on a verdict, `None`
    /// when it falls off the end.
    #[allow(clippy::type_complexity)]
    fn run_chain(
        &self,
        name: &str,
        p: &Packet,
        iif: Option<&str>,
        oif: Option<&str>,
        logs: &mut Vec<String>,
        depth: usize,
    ) -> Option<(bool, Option<String>, bool)> {
        assert!(depth < 16, "jump loop through `{name}`");
        let chain = &self.table.chains[name];
        'rules: for rule in &chain.rules {
            let mut logged = false;
            for s in &rule.stmts {
                match s {
                    Stmt::Log(prefix) => {
                        logs.push(prefix.clone());
                        logged = true;
                    }
                    Stmt::Accept => return Some((true, rule.comment.clone(), logged)),
                    Stmt::Drop => return Some((false, rule.comment.clone(), logged)),
                    Stmt::Jump(t) => {
                        if let Some(v) = self.run_chain(t, p, iif, oif, logs, depth + 1) {
                            return Some(v);
                        }
                        continue 'rules;
                    }
                    s => {
                        if !self.stmt_matches(s, p, iif, oif) {
                            continue 'rules;
                        }
                    }
                }
            }
        }
        None
    }
}
