//! pest pairs become the typed syntax tree, and literal values are checked
//! on the way: levels, security levels, dates, addresses and prefixes,
//! strings and their escapes, name lengths and service specs. Each problem
//! is a diagnostic with its own code and the literal's span.
//!
//! A tree shape the grammar cannot produce is reported as `E999` (a bug in
//! conduitc), never a panic.

use std::net::IpAddr;

use ipnet::IpNet;
use pest::iterators::Pair;

use super::ast::*;
use super::parser::Rule;
use crate::diag::{Code, Diagnostic};
use crate::limits::{MAX_LIST_ITEMS, MAX_NAME_CHARS, MAX_STRING_CHARS, MAX_ZONE_MEMBERS};
use crate::model::service::{
    icmp_type_by_name, ICMPV6_ERROR_TYPES, ICMPV6_TYPES, ICMP_ERROR_TYPES, ICMP_TYPES,
};
use crate::model::{Date, Level, LevelOp, Mode, Platform};
use crate::source::{is_bidi_control, is_zero_width, FileId, Span};

pub(crate) struct Builder {
    file: FileId,
    pub(crate) diags: Vec<Diagnostic>,
    comments: Vec<Comment>,
}

type P<'i> = Pair<'i, Rule>;

/// The children of a pair, comments moved aside.
fn kids<'i>(p: &P<'i>) -> impl DoubleEndedIterator<Item = P<'i>> {
    p.clone()
        .into_inner()
        .filter(|c| c.as_rule() != Rule::COMMENT)
}

impl Builder {
    pub(crate) fn new(file: FileId) -> Self {
        Builder {
            file,
            diags: Vec::new(),
            comments: Vec::new(),
        }
    }

    fn span(&self, p: &P<'_>) -> Span {
        let s = p.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    /// The span of a non-atomic rule without the whitespace and comments
    /// pest skips after its last token (before a trailing repetition).
    fn tight(&self, p: &P<'_>) -> Span {
        let s = p.as_span();
        let end = kids(p).next_back().map_or(s.end(), |c| c.as_span().end());
        Span::new(self.file, s.start(), end)
    }

    fn internal(&mut self, p: &P<'_>, what: &str) {
        let span = self.span(p);
        self.diags.push(
            Diagnostic::new(
                Code::Internal,
                span,
                format!("this is a bug in conduitc: unexpected {what} in the syntax tree"),
            )
            .help("please report it with the policy text that triggers it"),
        );
    }

    fn err(&mut self, code: Code, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(code, span, message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// Builds a whole file from the `file` pair of `text`.
    pub(crate) fn file(mut self, text: &str, p: P<'_>) -> (File, Vec<Diagnostic>) {
        self.comments = comments(self.file, text);
        let mut decls = Vec::new();
        for d in kids(&p) {
            match d.as_rule() {
                Rule::decl => {
                    if let Some(decl) = self.decl(&d) {
                        decls.push(decl);
                    }
                }
                Rule::EOI => {}
                _ => self.internal(&d, "top-level item"),
            }
        }
        let file = File {
            file: self.file,
            decls,
            comments: std::mem::take(&mut self.comments),
        };
        (file, self.diags)
    }

    fn decl(&mut self, p: &P<'_>) -> Option<Decl> {
        let Some(d) = kids(p).next() else {
            self.internal(p, "empty declaration");
            return None;
        };
        Some(match d.as_rule() {
            Rule::owner_decl => Decl::Owner(self.block(&d, Self::owner_attr)?),
            Rule::service_decl => Decl::Service(self.service_decl(&d)?),
            Rule::zone_decl => {
                let zone = self.block(&d, Self::zone_attr)?;
                self.zone_limit(&zone);
                Decl::Zone(zone)
            }
            Rule::conduit_decl => Decl::Conduit(self.block(&d, Self::conduit_attr)?),
            Rule::firewall_decl => Decl::Firewall(self.block(&d, Self::firewall_attr)?),
            Rule::approval_decl => Decl::Approval(self.block(&d, Self::approval_attr)?),
            Rule::isolation_decl => Decl::Isolation(self.block(&d, Self::isolation_attr)?),
            _ => {
                self.internal(&d, "declaration");
                return None;
            }
        })
    }

    /// More than [`MAX_ZONE_MEMBERS`] hosts and groups in a zone is `E008`,
    /// reported on the first one over.
    fn zone_limit(&mut self, zone: &Block<ZoneAttr>) {
        let mut members = zone
            .attrs
            .iter()
            .filter(|a| matches!(a.value, ZoneAttr::Host(_) | ZoneAttr::Group(_)));
        let n = members.clone().count();
        if let Some(over) = members.nth(MAX_ZONE_MEMBERS) {
            let span = match &over.value {
                ZoneAttr::Host(h) => h.name.span,
                ZoneAttr::Group(g) => g.name.span,
                _ => over.span,
            };
            self.err(
                Code::ZoneTooLarge,
                span,
                format!(
                    "zone `{}` declares {n} hosts and groups, over the limit of {MAX_ZONE_MEMBERS}",
                    zone.name.text
                ),
            )
            .help = Some(
                "describe address ranges with a `group` of prefixes, or split the zone".into(),
            );
        }
    }

    /// `kw NAME { attr* }`: each `*_attr` wrapper holds one attribute whose
    /// first child is its keyword.
    fn block<A>(
        &mut self,
        p: &P<'_>,
        mut attr: impl FnMut(&mut Self, &P<'_>) -> Option<A>,
    ) -> Option<Block<A>> {
        let span = self.span(p);
        let mut name = None;
        let mut attrs = Vec::new();
        for c in kids(p) {
            match c.as_rule() {
                Rule::name if name.is_none() => name = Some(self.ident(&c)),
                Rule::owner_attr
                | Rule::zone_attr
                | Rule::conduit_attr
                | Rule::flow_attr
                | Rule::firewall_attr
                | Rule::approval_attr
                | Rule::isolation_attr => {
                    let Some(inner) = kids(&c).next() else {
                        self.internal(&c, "empty attribute");
                        continue;
                    };
                    let key = kids(&inner)
                        .next()
                        .map_or_else(|| self.span(&inner), |k| self.span(&k));
                    let aspan = self.tight(&inner);
                    if let Some(value) = attr(self, &inner) {
                        attrs.push(Attr {
                            key,
                            span: aspan,
                            value,
                        });
                    }
                }
                _ => {}
            }
        }
        let Some(name) = name else {
            self.internal(p, "block without a name");
            return None;
        };
        Some(Block { name, span, attrs })
    }

    /// The pairs after an attribute's keyword.
    fn values<'i>(&self, p: &P<'i>) -> Vec<P<'i>> {
        kids(p)
            .filter(|c| !matches!(c.as_rule(), Rule::eq | Rule::lbrace | Rule::rbrace))
            .skip(1)
            .collect()
    }

    /// The values of a list attribute, after `skip` leading ones (the name
    /// of a host or group); more than [`MAX_LIST_ITEMS`] items is `E007`.
    fn items<'i>(&mut self, p: &P<'i>, skip: usize, what: &str) -> Vec<P<'i>> {
        let vals = self.values(p);
        self.list_limit(
            what,
            vals.len().saturating_sub(skip),
            vals.get(skip + MAX_LIST_ITEMS),
        );
        vals
    }

    fn list_limit(&mut self, what: &str, n: usize, first_over: Option<&P<'_>>) {
        if n <= MAX_LIST_ITEMS {
            return;
        }
        let Some(at) = first_over else { return };
        let span = self.span(at);
        self.err(
            Code::ListTooLong,
            span,
            format!("this `{what}` list has {n} items, over the limit of {MAX_LIST_ITEMS}"),
        )
        .help = Some("summarise it with prefixes or groups, or split it".into());
    }

    fn one<'i>(&mut self, p: &P<'i>) -> Option<P<'i>> {
        let v = self.values(p).into_iter().next();
        if v.is_none() {
            self.internal(p, "attribute without a value");
        }
        v
    }

    fn owner_attr(&mut self, p: &P<'_>) -> Option<OwnerAttr> {
        match p.as_rule() {
            Rule::attr_name => Some(OwnerAttr::Name({
                let v = self.one(p)?;
                self.string(&v)
            })),
            Rule::attr_contact => Some(OwnerAttr::Contact({
                let v = self.one(p)?;
                self.string(&v)
            })),
            _ => {
                self.internal(p, "owner attribute");
                None
            }
        }
    }

    fn zone_attr(&mut self, p: &P<'_>) -> Option<ZoneAttr> {
        Some(match p.as_rule() {
            Rule::attr_level => ZoneAttr::Level({
                let v = self.one(p)?;
                self.level(&v)
            }?),
            Rule::attr_owner => ZoneAttr::Owner({
                let v = self.one(p)?;
                self.ident(&v)
            }),
            Rule::attr_sl => ZoneAttr::Sl({
                let v = self.one(p)?;
                self.sl(&v)
            }?),
            Rule::attr_description => ZoneAttr::Description({
                let v = self.one(p)?;
                self.string(&v)
            }),
            Rule::attr_networks => {
                let mut items = Vec::new();
                for v in self.items(p, 0, "networks") {
                    let span = self.span(&v);
                    match v.as_rule() {
                        Rule::kw_any => items.push(NetItem::Any(span)),
                        _ => {
                            if let Some(net) = self.prefix(&v) {
                                items.push(NetItem::Prefix(net, span));
                            }
                        }
                    }
                }
                ZoneAttr::Networks(items)
            }
            Rule::attr_host => {
                let vals = self.items(p, 1, "host");
                let mut it = vals.iter();
                let name = self.ident(it.next()?);
                let mut addrs = Vec::new();
                for v in it {
                    if let Some(a) = self.host_address(v) {
                        addrs.push((a, self.span(v)));
                    }
                }
                ZoneAttr::Host(HostDecl { name, addrs })
            }
            Rule::attr_group => {
                let vals = self.items(p, 1, "group");
                let mut it = vals.iter();
                let name = self.ident(it.next()?);
                let mut members = Vec::new();
                for v in it {
                    match v.as_rule() {
                        Rule::name => members.push(GroupMemberAst::Host(self.ident(v))),
                        _ => {
                            if let Some(net) = self.prefix(v) {
                                members.push(GroupMemberAst::Prefix(net, self.span(v)));
                            }
                        }
                    }
                }
                ZoneAttr::Group(GroupDecl { name, members })
            }
            _ => {
                self.internal(p, "zone attribute");
                return None;
            }
        })
    }

    fn conduit_attr(&mut self, p: &P<'_>) -> Option<ConduitAttr> {
        Some(match p.as_rule() {
            Rule::attr_zones => ConduitAttr::Zones(
                self.items(p, 0, "zones")
                    .iter()
                    .map(|v| self.ident(v))
                    .collect(),
            ),
            Rule::attr_owner => ConduitAttr::Owner({
                let v = self.one(p)?;
                self.ident(&v)
            }),
            Rule::attr_sl => ConduitAttr::Sl({
                let v = self.one(p)?;
                self.sl(&v)
            }?),
            Rule::attr_mode => ConduitAttr::Mode(match self.one(p)?.as_str() {
                "monitor" => Mode::Monitor,
                _ => Mode::Enforce,
            }),
            Rule::attr_waive => ConduitAttr::Waive(self.waive(p)?),
            Rule::flow_decl => ConduitAttr::Flow(self.block(p, Self::flow_attr)?),
            _ => {
                self.internal(p, "conduit attribute");
                return None;
            }
        })
    }

    fn flow_attr(&mut self, p: &P<'_>) -> Option<FlowAttr> {
        Some(match p.as_rule() {
            Rule::attr_from => FlowAttr::From(self.endpoints(p, "from")),
            Rule::attr_to => FlowAttr::To(self.endpoints(p, "to")),
            Rule::attr_service => {
                let mut refs = Vec::new();
                for v in self.items(p, 0, "service") {
                    if let Some(r) = self.service_ref(&v) {
                        refs.push(r);
                    }
                }
                FlowAttr::Service(refs)
            }
            Rule::attr_owner => FlowAttr::Owner({
                let v = self.one(p)?;
                self.ident(&v)
            }),
            Rule::attr_reason => FlowAttr::Reason({
                let v = self.one(p)?;
                self.string(&v)
            }),
            Rule::attr_expires => FlowAttr::Expires({
                let v = self.one(p)?;
                self.date(&v)
            }?),
            Rule::attr_essential => FlowAttr::Essential,
            Rule::attr_log => FlowAttr::Log,
            Rule::attr_waive => FlowAttr::Waive(self.waive(p)?),
            _ => {
                self.internal(p, "flow attribute");
                return None;
            }
        })
    }

    fn firewall_attr(&mut self, p: &P<'_>) -> Option<FirewallAttr> {
        Some(match p.as_rule() {
            Rule::attr_platform => {
                let v = self.one(p)?;
                match Platform::from_name(v.as_str()) {
                    Some(platform) => FirewallAttr::Platform(platform),
                    None => {
                        let names: Vec<&str> = crate::platform::names().collect();
                        let known = format!("known platforms: {}", names.join(", "));
                        let help = match did_you_mean(v.as_str(), &names) {
                            Some(d) => format!("{d} {known}"),
                            None => known,
                        };
                        let vspan = self.span(&v);
                        self.err(
                            Code::UnknownPlatform,
                            vspan,
                            format!("`{}` is not a platform", v.as_str()),
                        )
                        .help = Some(help);
                        return None;
                    }
                }
            }
            Rule::attr_interface => {
                let vals = self.values(p);
                let (Some(n), Some(z)) = (vals.first(), vals.get(1)) else {
                    self.internal(p, "interface");
                    return None;
                };
                FirewallAttr::Interface(InterfaceDecl {
                    name: self.string(n),
                    zone: self.ident(z),
                })
            }
            _ => {
                self.internal(p, "firewall attribute");
                return None;
            }
        })
    }

    fn approval_attr(&mut self, p: &P<'_>) -> Option<ApprovalAttr> {
        Some(match p.as_rule() {
            Rule::attr_scope => {
                let scope = self.one(p)?;
                let Some(s) = kids(&scope).next() else {
                    self.internal(&scope, "empty scope");
                    return None;
                };
                let vals = self.items(&s, 0, "scope");
                ApprovalAttr::Scope(match s.as_rule() {
                    Rule::scope_level => {
                        let (Some(op), Some(l)) = (vals.first(), vals.get(1)) else {
                            self.internal(&s, "level scope");
                            return None;
                        };
                        let op = match op.as_str() {
                            "<=" => LevelOp::Le,
                            "<" => LevelOp::Lt,
                            ">=" => LevelOp::Ge,
                            ">" => LevelOp::Gt,
                            _ => LevelOp::Eq,
                        };
                        ScopeAst::Level(op, self.level(l)?)
                    }
                    Rule::scope_zone => {
                        ScopeAst::Zones(vals.iter().map(|v| self.ident(v)).collect())
                    }
                    Rule::scope_conduit => {
                        ScopeAst::Conduits(vals.iter().map(|v| self.ident(v)).collect())
                    }
                    Rule::scope_all => ScopeAst::All,
                    _ => {
                        self.internal(&s, "scope");
                        return None;
                    }
                })
            }
            Rule::attr_requires => ApprovalAttr::Requires(
                self.items(p, 0, "requires")
                    .iter()
                    .map(|v| self.ident(v))
                    .collect(),
            ),
            _ => {
                self.internal(p, "approval attribute");
                return None;
            }
        })
    }

    fn isolation_attr(&mut self, p: &P<'_>) -> Option<IsolationAttr> {
        Some(match p.as_rule() {
            Rule::attr_sever => IsolationAttr::Sever(
                self.items(p, 0, "sever")
                    .iter()
                    .map(|v| self.ident(v))
                    .collect(),
            ),
            Rule::attr_reason => IsolationAttr::Reason({
                let v = self.one(p)?;
                self.string(&v)
            }),
            _ => {
                self.internal(p, "isolation attribute");
                return None;
            }
        })
    }

    fn waive(&mut self, p: &P<'_>) -> Option<Waive> {
        let vals = self.values(p);
        let (Some(c), Some(r)) = (vals.first(), vals.get(1)) else {
            self.internal(p, "waive");
            return None;
        };
        Some(Waive {
            code: Ident {
                text: c.as_str().to_string(),
                span: self.span(c),
            },
            reason: self.string(r),
        })
    }

    fn service_decl(&mut self, p: &P<'_>) -> Option<ServiceDecl> {
        let span = self.tight(p);
        let mut name = None;
        let mut refs = Vec::new();
        let mut remote_access = None;
        let parts: Vec<P<'_>> = kids(p)
            .filter(|c| matches!(c.as_rule(), Rule::name | Rule::service_spec))
            .skip(1)
            .collect();
        self.list_limit("service", parts.len(), parts.get(MAX_LIST_ITEMS));
        for c in kids(p) {
            match c.as_rule() {
                Rule::name if name.is_none() => name = Some(self.ident(&c)),
                Rule::name | Rule::service_spec => {
                    if let Some(r) = self.service_ref(&c) {
                        refs.push(r);
                    }
                }
                Rule::kw_remote_access => remote_access = Some(self.span(&c)),
                _ => {}
            }
        }
        let Some(name) = name else {
            self.internal(p, "service without a name");
            return None;
        };
        Some(ServiceDecl {
            name,
            span,
            refs,
            remote_access,
        })
    }

    fn endpoints(&mut self, p: &P<'_>, kw: &str) -> Vec<EndpointRef> {
        let mut out = Vec::new();
        for v in self.items(p, 0, kw) {
            let span = self.span(&v);
            let mut names = kids(&v);
            let Some(zone) = names.next() else {
                self.internal(&v, "empty endpoint");
                continue;
            };
            let zone = self.ident(&zone);
            let member = names.next().map(|m| self.ident(&m));
            out.push(EndpointRef { zone, member, span });
        }
        out
    }

    // -----------------------------------------------------------------
    // Literals

    fn ident(&mut self, p: &P<'_>) -> Ident {
        let span = self.span(p);
        let text = p.as_str().to_string();
        let chars = text.chars().count();
        if chars > MAX_NAME_CHARS {
            let shown: String = text.chars().take(20).collect();
            self.err(
                Code::NameTooLong,
                span,
                format!("name `{shown}…` is {chars} characters long, over the limit of {MAX_NAME_CHARS}"),
            )
            .help = Some(format!(
                "names are at most {MAX_NAME_CHARS} characters so that `conduit/flow` fits a firewall remark"
            ));
        }
        Ident { text, span }
    }

    fn string(&mut self, p: &P<'_>) -> Str {
        let span = self.span(p);
        if p.as_rule() == Rule::unterminated_string {
            self.err(
                Code::UnterminatedString,
                span,
                "this string has no closing quote",
            )
            .help = Some("strings end on the line they start; add the closing `\"`".into());
            return Str {
                value: String::new(),
                span,
            };
        }
        let Some(body) = kids(p).next() else {
            // `""`: the body rule matched nothing and left no pair.
            return Str {
                value: String::new(),
                span,
            };
        };
        let base = body.as_span().start();
        let raw = body.as_str();
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        let mut bad = false;
        while let Some((i, c)) = chars.next() {
            let c = if c == '\\' {
                match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => e,
                    Some((j, e)) => {
                        let esc = Span::new(self.file, base + i, base + j + e.len_utf8());
                        self.err(
                            Code::InvalidString,
                            esc,
                            format!("unknown escape `\\{}` in a string", e.escape_default()),
                        )
                        .help = Some("the only escapes are `\\\"` and `\\\\`".into());
                        bad = true;
                        continue;
                    }
                    None => break,
                }
            } else {
                c
            };
            if let Some(what) = forbidden_char(c) {
                let at = Span::new(self.file, base + i, base + i + c.len_utf8());
                self.err(
                    Code::InvalidString,
                    at,
                    format!("string contains {what} (U+{:04X})", c as u32),
                )
                .help = Some(
                    "strings may not hold control characters, line separators, bidirectional controls or zero-width characters; remove it".into(),
                );
                bad = true;
                continue;
            }
            value.push(c);
        }
        let n = value.chars().count();
        if !bad && n > MAX_STRING_CHARS {
            self.err(
                Code::StringTooLong,
                span,
                format!("string is {n} characters long, over the limit of {MAX_STRING_CHARS}"),
            )
            .help = Some("shorten it; refer to a ticket for the long story".into());
        }
        Str { value, span }
    }

    fn level(&mut self, p: &P<'_>) -> Option<Level> {
        let s = p.as_str();
        let l = Level::parse(s);
        if l.is_none() {
            let span = self.span(p);
            self.err(
                Code::InvalidLevel,
                span,
                format!("`{s}` is not a Purdue level"),
            )
            .help = Some("use 0, 1, 2, 3, 3.5, 4 or 5".into());
        }
        l
    }

    fn sl(&mut self, p: &P<'_>) -> Option<u8> {
        let s = p.as_str();
        match s.parse::<u8>() {
            Ok(n @ 1..=4) => Some(n),
            _ => {
                let span = self.span(p);
                self.err(
                    Code::InvalidSecurityLevel,
                    span,
                    format!("`{s}` is not a security level"),
                )
                .help = Some("IEC 62443 security levels are 1, 2, 3 and 4".into());
                None
            }
        }
    }

    fn date(&mut self, p: &P<'_>) -> Option<Date> {
        let s = p.as_str();
        let d = Date::parse(s);
        if d.is_none() {
            let span = self.span(p);
            self.err(
                Code::InvalidDate,
                span,
                format!("`{s}` is not a date of the form YYYY-MM-DD"),
            )
            .help = Some("write a real calendar date such as `2027-06-30`".into());
        }
        d
    }

    /// A prefix or bare address (a /32 or /128).
    fn prefix(&mut self, p: &P<'_>) -> Option<IpNet> {
        let s = p.as_str();
        let span = self.span(p);
        if let Some((addr, len)) = s.split_once('/') {
            let Ok(a) = addr.parse::<IpAddr>() else {
                self.bad_address(span, addr);
                return None;
            };
            let max = if a.is_ipv4() { 32 } else { 128 };
            let Ok(len) = len.parse::<u8>() else {
                self.err(
                    Code::InvalidAddress,
                    span,
                    format!("`{s}` has no valid prefix length"),
                )
                .help = Some(format!("a prefix length is a number from 0 to {max}"));
                return None;
            };
            let Ok(net) = IpNet::new(a, len) else {
                self.err(
                    Code::InvalidAddress,
                    span,
                    format!("prefix length {len} is too long for `{addr}`"),
                )
                .help = Some(format!("the prefix length is at most {max}"));
                return None;
            };
            if net.trunc() != net {
                self.err(Code::HostBitsSet, span, format!("`{s}` has host bits set"))
                    .help = Some(format!(
                    "write `{}` for the network, or `{a}` for the single address",
                    net.trunc()
                ));
                return None;
            }
            Some(net)
        } else {
            match s.parse::<IpAddr>() {
                Ok(a) => Some(IpNet::from(a)),
                Err(_) => {
                    self.bad_address(span, s);
                    None
                }
            }
        }
    }

    fn host_address(&mut self, p: &P<'_>) -> Option<IpAddr> {
        let s = p.as_str();
        let net = self.prefix(p)?;
        if net.prefix_len() != net.max_prefix_len() {
            let span = self.span(p);
            self.err(
                Code::InvalidAddress,
                span,
                format!("a host has addresses, not prefixes: `{s}`"),
            )
            .help = Some("write the host's address; use a `group` for a prefix".into());
            return None;
        }
        Some(net.addr())
    }

    fn bad_address(&mut self, span: Span, s: &str) {
        self.err(
            Code::InvalidAddress,
            span,
            format!("`{s}` is not an IPv4 or IPv6 address"),
        );
    }

    fn service_ref(&mut self, p: &P<'_>) -> Option<ServiceRef> {
        let span = self.span(p);
        let text = p.as_str().to_string();
        let kind = match p.as_rule() {
            Rule::name => ServiceRefKind::Name(self.ident(p)),
            Rule::service_spec => ServiceRefKind::Spec(self.spec(p)?),
            _ => {
                self.internal(p, "service reference");
                return None;
            }
        };
        Some(ServiceRef { kind, span, text })
    }

    fn spec(&mut self, p: &P<'_>) -> Option<Spec> {
        let span = self.span(p);
        let mut parts = kids(p);
        let (Some(proto), Some(value)) = (parts.next(), parts.next()) else {
            self.internal(p, "service spec");
            return None;
        };
        let vspan = self.span(&value);
        let v = value.as_str();
        let text = p.as_str();
        match proto.as_str().to_ascii_lowercase().as_str() {
            kw @ ("tcp" | "udp") => {
                let (lo, hi) = self.ports(vspan, text, v)?;
                Some(if kw == "tcp" {
                    Spec::Tcp(lo, hi)
                } else {
                    Spec::Udp(lo, hi)
                })
            }
            kw @ ("icmp" | "icmpv6") => {
                let v6 = kw == "icmpv6";
                let t = match v.parse::<u16>() {
                    Ok(n) if n <= 255 => n as u8,
                    Ok(_) => {
                        self.err(
                            Code::UnknownIcmpType,
                            vspan,
                            format!("`{v}` is not an ICMP type (0-255)"),
                        );
                        return None;
                    }
                    Err(_) => match icmp_type_by_name(v, v6) {
                        Some(t) => t,
                        None => {
                            let table = if v6 { ICMPV6_TYPES } else { ICMP_TYPES };
                            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
                            let help = did_you_mean(v, &names).or_else(|| {
                                Some(format!("known {kw} types: {}", names.join(", ")))
                            });
                            self.err(
                                Code::UnknownIcmpType,
                                vspan,
                                format!("`{v}` is not an {kw} type"),
                            )
                            .help = help;
                            return None;
                        }
                    },
                };
                let errors = if v6 {
                    ICMPV6_ERROR_TYPES
                } else {
                    ICMP_ERROR_TYPES
                };
                if errors.contains(&t) {
                    self.err(
                        Code::IcmpErrorType,
                        span,
                        format!("`{text}` is an ICMP error type and cannot be a service"),
                    )
                    .help = Some(
                        "errors that belong to a permitted connection are admitted with it; remove this spec".into(),
                    );
                    return None;
                }
                Some(if v6 { Spec::Icmpv6(t) } else { Spec::Icmp(t) })
            }
            "ip" => {
                let n = match v.parse::<u16>() {
                    Ok(n) if n <= 255 => n as u8,
                    _ => {
                        self.err(
                            Code::InvalidIpProtocol,
                            vspan,
                            format!("`{v}` is not an IP protocol number (0-255)"),
                        );
                        return None;
                    }
                };
                let instead = match n {
                    1 => Some("icmp/TYPE"),
                    6 => Some("tcp/1-65535"),
                    17 => Some("udp/1-65535"),
                    58 => Some("icmpv6/TYPE"),
                    _ => None,
                };
                if let Some(instead) = instead {
                    self.err(
                        Code::InvalidIpProtocol,
                        span,
                        format!("`{text}` names a protocol that has its own spec"),
                    )
                    .help = Some(format!("write `{instead}` instead"));
                    return None;
                }
                Some(Spec::Ip(n))
            }
            other => {
                let pspan = self.span(&proto);
                let help = did_you_mean(other, &["tcp", "udp", "icmp", "icmpv6", "ip"]).or_else(
                    || Some("a spec is `tcp/PORTS`, `udp/PORTS`, `icmp/TYPE`, `icmpv6/TYPE` or `ip/N`".into()),
                );
                self.err(
                    Code::UnknownProtocol,
                    pspan,
                    format!("`{}` is not a protocol", proto.as_str()),
                )
                .help = help;
                None
            }
        }
    }

    fn ports(&mut self, span: Span, text: &str, v: &str) -> Option<(u16, u16)> {
        let port = |s: &str| -> Option<u16> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            match s.parse::<u32>() {
                Ok(n @ 1..=65535) => Some(n as u16),
                _ => None,
            }
        };
        let (lo, hi) = match v.split_once('-') {
            Some((a, b)) => (port(a), port(b)),
            None => (port(v), port(v)),
        };
        let (Some(lo), Some(hi)) = (lo, hi) else {
            self.err(
                Code::InvalidPort,
                span,
                format!("`{v}` is not a port or port range in `{text}`"),
            )
            .help = Some("ports are 1-65535; a range is `A-B`".into());
            return None;
        };
        if lo > hi {
            self.err(
                Code::ReversedPortRange,
                span,
                format!("port range `{v}` starts above its end"),
            )
            .help = Some(format!("write `{hi}-{lo}`"));
            return None;
        }
        Some((lo, hi))
    }
}

/// Every comment of a text that parsed: a `#` outside a string runs to the
/// end of the line. (In text the grammar accepts, `#` occurs only in
/// comments and strings, and `"` only in strings and comments.) A byte scan
/// is much cheaper than walking every pair of the tree.
fn comments(file: FileId, text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'#' => {
                // To the end of the line, `\n` or `\r\n` (as the grammar
                // has it: a lone `\r` does not end a comment).
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                let end = if i > start && bytes[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                out.push(Comment {
                    span: Span::new(file, start, end),
                    text: text.get(start..end).unwrap_or_default().to_string(),
                });
            }
            _ => i += 1,
        }
    }
    out
}

/// What is wrong with a character in a string, if anything.
fn forbidden_char(c: char) -> Option<&'static str> {
    match c {
        '\t' => Some("a tab"),
        '\u{2028}' => Some("a line separator"),
        '\u{2029}' => Some("a paragraph separator"),
        c if is_bidi_control(c) => Some("a bidirectional control character"),
        c if is_zero_width(c) => Some("a zero-width character"),
        c if c.is_control() => Some("a control character"),
        _ => None,
    }
}

/// "did you mean `x`?" for the closest candidate within a small edit distance.
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> Option<String> {
    let mut unbounded = u64::MAX;
    closest(word, candidates.iter().copied(), &mut unbounded)
        .map(|c| format!("did you mean `{c}`?"))
}

/// Letter counts of a lowercased name, some letters sharing a count.
fn letter_counts(s: &str) -> [i16; 64] {
    let mut h = [0i16; 64];
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        let k = match c {
            'a'..='z' => c as usize - 'a' as usize,
            '0'..='9' => 26 + c as usize - '0' as usize,
            '-' => 36,
            '_' => 37,
            _ => 38 + c as usize % 26,
        };
        h[k] = h[k].saturating_add(1);
    }
    h
}

/// The candidate closest to `word` (Damerau-Levenshtein distance, ignoring
/// ASCII case) within a third of the candidate's length (at least 1); the
/// first in string order among equals. Candidates are ruled out by lower
/// bounds of the distance (the difference in length, and half the
/// difference in letter counts) before it is computed, and once one is
/// found, only those that could beat it are computed. Each candidate looked
/// at costs its length and each distance computed the product of the two
/// lengths, taken from `budget`; `None` when the budget runs out.
pub(crate) fn closest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    budget: &mut u64,
) -> Option<&'c str> {
    let w = word.to_ascii_lowercase();
    let wn = w.chars().count();
    let wh = letter_counts(&w);
    let mut best: Option<(usize, &'c str)> = None;
    for c in candidates {
        let cn = c.chars().count();
        let cost = 1 + cn as u64;
        if *budget < cost {
            *budget = 0;
            return None;
        }
        *budget -= cost;
        let limit = (c.len() / 3).max(1);
        let ch = letter_counts(c);
        let apart: usize = wh
            .iter()
            .zip(&ch)
            .map(|(a, b)| usize::from(a.abs_diff(*b)))
            .sum();
        let low = wn.abs_diff(cn).max(apart.div_ceil(2));
        let beaten = |b: &Option<(usize, &str)>| {
            b.is_some_and(|(bd, bc)| low > bd || (low == bd && c >= bc))
        };
        if low > limit || beaten(&best) {
            continue;
        }
        let cost = ((wn + 1) * (cn + 1)) as u64;
        if *budget < cost {
            *budget = 0;
            return None;
        }
        *budget -= cost;
        let d = strsim::damerau_levenshtein(&w, &c.to_ascii_lowercase());
        if d <= limit && best.is_none_or(|b| (d, c) < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}
