//! pest pairs become the typed syntax tree: declarations, blocks and their
//! attributes, lists and endpoints. Literal values are checked on the way
//! (in [`super::literal`]), and comments are collected beside the tree (in
//! [`super::comments`]).
//!
//! A tree shape the grammar cannot produce is reported as `E999` (a bug in
//! conduitc), never a panic.

use std::collections::HashSet;

use pest::iterators::Pair;

use super::ast::*;
use super::comments::comments;
use super::parser::Rule;
use crate::diag::{Code, Diagnostic};
use crate::limits::{MAX_LIST_ITEMS, MAX_ZONE_MEMBERS};
use crate::model::{LevelOp, Mode, Platform, Text};
use crate::source::{FileId, Span};
use crate::suggest::did_you_mean;

pub(crate) struct Builder {
    pub(super) file: FileId,
    pub(crate) diags: Vec<Diagnostic>,
    comments: Vec<Comment>,
    /// Every distinct name and string of the file so far, each held once:
    /// a policy names the same zones, hosts and services again and again.
    words: HashSet<Text, Seeded>,
}

/// The hasher of [`Builder`]'s words: foldhash, several times faster than
/// the standard one on short names, and seeded per process so that a policy
/// cannot be written to make its names collide.
type Seeded = foldhash::fast::RandomState;

pub(super) type P<'i> = Pair<'i, Rule>;

/// The children of a pair (comments are silent in the grammar: they leave
/// no pair).
pub(super) fn kids<'i>(p: &P<'i>) -> impl DoubleEndedIterator<Item = P<'i>> {
    p.clone().into_inner()
}

impl Builder {
    pub(crate) fn new(file: FileId) -> Self {
        Builder {
            file,
            diags: Vec::new(),
            comments: Vec::new(),
            words: HashSet::default(),
        }
    }

    /// `s` as text shared with every equal name and string of the file.
    pub(super) fn word(&mut self, s: &str) -> Text {
        if let Some(t) = self.words.get(s) {
            return t.clone();
        }
        let t = Text::from(s);
        self.words.insert(t.clone());
        t
    }

    pub(super) fn span(&self, p: &P<'_>) -> Span {
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

    pub(super) fn internal(&mut self, p: &P<'_>, what: &str) {
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

    pub(super) fn err(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
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
                | Rule::local_attr
                | Rule::firewall_attr
                | Rule::approval_attr
                | Rule::isolation_attr => {
                    let Some(inner) = kids(&c).next() else {
                        self.internal(&c, "empty attribute");
                        continue;
                    };
                    let aspan = self.tight(&inner);
                    if let Some(value) = attr(self, &inner) {
                        attrs.push(Attr { span: aspan, value });
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
        let v = kids(p)
            .filter(|c| !matches!(c.as_rule(), Rule::eq | Rule::lbrace | Rule::rbrace))
            .nth(1);
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
            Rule::attr_supplier => ZoneAttr::Supplier,
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
            Rule::attr_waive => ConduitAttr::Waive(Box::new(self.waive(p)?)),
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
            Rule::attr_waive => FlowAttr::Waive(Box::new(self.waive(p)?)),
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
                        let names: Vec<&str> = crate::model::platform::names().collect();
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
            Rule::attr_acl_budget => {
                let v = self.one(p)?;
                // Only digits reach here; a number too large for u64 is
                // simply over the range the checker allows.
                let n = v.as_str().parse::<u64>().unwrap_or(u64::MAX);
                FirewallAttr::AclBudget(n, self.span(&v))
            }
            Rule::attr_interface => {
                let vals = self.values(p);
                let (Some(n), Some(z)) = (vals.first(), vals.get(1)) else {
                    self.internal(p, "interface");
                    return None;
                };
                let mut addrs = Vec::new();
                for v in vals.iter().skip(2) {
                    if v.as_rule() != Rule::address {
                        continue;
                    }
                    if let Some(a) = self.host_address(v) {
                        addrs.push((a, self.span(v)));
                    }
                }
                FirewallAttr::Interface(InterfaceDecl {
                    name: self.string(n),
                    zone: self.ident(z),
                    addrs,
                })
            }
            Rule::manage_decl => FirewallAttr::Manage(self.block(p, Self::flow_attr)?),
            Rule::control_decl => FirewallAttr::Control(self.block(p, Self::flow_attr)?),
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
                text: self.word(c.as_str()),
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
            let mut names = kids(&v);
            let Some(zone) = names.next() else {
                self.internal(&v, "empty endpoint");
                continue;
            };
            let zone = self.ident(&zone);
            let member = names.next().map(|m| self.ident(&m));
            out.push(EndpointRef { zone, member });
        }
        out
    }

    fn service_ref(&mut self, p: &P<'_>) -> Option<ServiceRef> {
        let span = self.span(p);
        match p.as_rule() {
            // A name's length is checked as every name's is.
            Rule::name => Some(ServiceRef {
                span,
                text: self.ident(p).text,
                spec: None,
            }),
            Rule::service_spec => {
                let text = self.word(p.as_str());
                let spec = Some(self.spec(p)?);
                Some(ServiceRef { span, text, spec })
            }
            _ => {
                self.internal(p, "service reference");
                None
            }
        }
    }
}
