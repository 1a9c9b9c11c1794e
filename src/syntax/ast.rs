//! The typed syntax tree: declarations as written, with a span on every
//! node. Literal values are already checked (levels, addresses, dates,
//! strings, service specs); names are not resolved.
//!
//! Attributes of a block are kept as a list in source order, so that the
//! checker can judge missing, duplicate and misplaced attributes with proper
//! codes and spans.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{Date, Level, LevelOp, Mode, Platform, Text};
use crate::source::{FileId, Span};

/// A name as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The spelling, shared with every equal name of its file (the tree
    /// holds one copy of each distinct name and string per file).
    pub text: Text,
    /// Where.
    pub span: Span,
}

/// A string after unescaping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Str {
    /// The value, shared like an [`Ident`]'s text.
    pub value: Text,
    /// Where, quotes included.
    pub span: Span,
}

/// A comment (`# ...`), kept for the formatter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Where, from `#` to the end of the line.
    pub span: Span,
    /// The text, `#` included.
    pub text: String,
}

/// One parsed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// Which file.
    pub file: FileId,
    /// Declarations in source order.
    pub decls: Vec<Decl>,
    /// Every comment in source order.
    pub comments: Vec<Comment>,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decl {
    /// `owner NAME { ... }`
    Owner(Block<OwnerAttr>),
    /// `service NAME = ...`
    Service(ServiceDecl),
    /// `zone NAME { ... }`
    Zone(Block<ZoneAttr>),
    /// `conduit NAME { ... }`
    Conduit(Block<ConduitAttr>),
    /// `firewall NAME { ... }`
    Firewall(Block<FirewallAttr>),
    /// `approval NAME { ... }`
    Approval(Block<ApprovalAttr>),
    /// `isolation NAME { ... }`
    Isolation(Block<IsolationAttr>),
}

/// A named block of attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block<A> {
    /// The declared name.
    pub name: Ident,
    /// The whole declaration.
    pub span: Span,
    /// Attributes in source order.
    pub attrs: Vec<Attr<A>>,
}

/// One attribute of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr<A> {
    /// The whole attribute, from its keyword (the keyword's own span is
    /// not kept: nothing reads it).
    pub span: Span,
    /// Its value.
    pub value: A,
}

/// A `service` declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceDecl {
    /// The declared name.
    pub name: Ident,
    /// The whole declaration.
    pub span: Span,
    /// What it is made of.
    pub refs: Vec<ServiceRef>,
    /// The `remote-access` marker, if present.
    pub remote_access: Option<Span>,
}

/// A service named or spelled out in a service declaration or a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRef {
    /// Where.
    pub span: Span,
    /// The text as written: a service's name, or a spec.
    pub text: Text,
    /// The spec, checked, if the reference spells one out; `None` for a
    /// name (which is then [`text`](Self::text) at [`span`](Self::span)).
    pub spec: Option<Spec>,
}

impl ServiceRef {
    /// Name or spec.
    pub fn kind(&self) -> ServiceRefKind {
        match self.spec {
            Some(s) => ServiceRefKind::Spec(s),
            None => ServiceRefKind::Name(Ident {
                text: self.text.clone(),
                span: self.span,
            }),
        }
    }
}

/// What a [`ServiceRef`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceRefKind {
    /// A service name.
    Name(Ident),
    /// An inline spec.
    Spec(Spec),
}

/// An inline service spec, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spec {
    /// `tcp/A` or `tcp/A-B`.
    Tcp(u16, u16),
    /// `udp/A` or `udp/A-B`.
    Udp(u16, u16),
    /// `icmp/TYPE`.
    Icmp(u8),
    /// `icmpv6/TYPE`.
    Icmpv6(u8),
    /// `ip/N`.
    Ip(u8),
}

/// Attributes of an owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnerAttr {
    /// `name "..."`
    Name(Str),
    /// `contact "..."`
    Contact(Str),
}

/// One entry of `networks`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetItem {
    /// `any`
    Any(Span),
    /// A prefix (a bare address is a /32 or /128).
    Prefix(IpNet, Span),
}

/// `host NAME = ADDRESS, ...`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostDecl {
    /// The host's name.
    pub name: Ident,
    /// Its addresses.
    pub addrs: Vec<(IpAddr, Span)>,
}

/// One member of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupMemberAst {
    /// A host of the same zone.
    Host(Ident),
    /// A prefix or address.
    Prefix(IpNet, Span),
}

/// `group NAME = MEMBER, ...`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDecl {
    /// The group's name.
    pub name: Ident,
    /// Members as written.
    pub members: Vec<GroupMemberAst>,
}

/// Attributes of a zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneAttr {
    /// `level L`
    Level(Level),
    /// `owner NAME`
    Owner(Ident),
    /// `sl N`
    Sl(u8),
    /// `description "..."`
    Description(Str),
    /// `supplier`: the zone holds parties outside the organisation.
    Supplier,
    /// `networks ...`
    Networks(Vec<NetItem>),
    /// `host ...`
    Host(HostDecl),
    /// `group ...`
    Group(GroupDecl),
}

/// `waive CODE "reason"`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waive {
    /// The code or slug as written.
    pub code: Ident,
    /// Why.
    pub reason: Str,
}

/// Attributes of a conduit, flows included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConduitAttr {
    /// `zones a, b`
    Zones(Vec<Ident>),
    /// `owner NAME`
    Owner(Ident),
    /// `sl N`
    Sl(u8),
    /// `mode enforce|monitor`
    Mode(Mode),
    /// `waive CODE "reason"` (boxed: the other attributes are smaller)
    Waive(Box<Waive>),
    /// `flow NAME { ... }`
    Flow(Block<FlowAttr>),
}

/// A flow endpoint: `zone` or `zone.member`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointRef {
    /// The zone.
    pub zone: Ident,
    /// The host or group, if any.
    pub member: Option<Ident>,
}

impl EndpointRef {
    /// The whole endpoint, from the zone to the member (written without
    /// spaces, so not stored).
    pub fn span(&self) -> Span {
        let end = self
            .member
            .as_ref()
            .map_or(self.zone.span.end, |m| m.span.end);
        Span {
            end,
            ..self.zone.span
        }
    }
}

/// Attributes of a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowAttr {
    /// `from ...`
    From(Vec<EndpointRef>),
    /// `to ...`
    To(Vec<EndpointRef>),
    /// `service ...`
    Service(Vec<ServiceRef>),
    /// `owner NAME`
    Owner(Ident),
    /// `reason "..."`
    Reason(Str),
    /// `expires YYYY-MM-DD`
    Expires(Date),
    /// `essential`
    Essential,
    /// `log`
    Log,
    /// `waive CODE "reason"` (boxed: the other attributes are smaller)
    Waive(Box<Waive>),
}

/// `interface "NAME" = zone [address A, ...]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceDecl {
    /// The device's interface name.
    pub name: Str,
    /// The zone it faces.
    pub zone: Ident,
    /// The firewall's own addresses on this interface, as written.
    pub addrs: Vec<(IpAddr, Span)>,
}

/// Attributes of a firewall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FirewallAttr {
    /// `platform P`
    Platform(Platform),
    /// `acl-budget N`: the number as written (saturating at `u64::MAX`)
    /// and its span; the checker judges its range.
    AclBudget(u64, Span),
    /// `interface "NAME" = zone [address ...]`
    Interface(InterfaceDecl),
    /// `manage NAME { ... }`: administration of the firewall itself. The
    /// grammar admits only `from`, `service`, `reason`, `owner`, `expires`,
    /// `log` and `waive` here.
    Manage(Block<FlowAttr>),
    /// `control NAME { ... }`: control-plane traffic to the firewall itself,
    /// with the attributes of `manage`.
    Control(Block<FlowAttr>),
}

/// What an approval covers, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeAst {
    /// `level OP L`
    Level(LevelOp, Level),
    /// `zone a, b`
    Zones(Vec<Ident>),
    /// `conduit a, b`
    Conduits(Vec<Ident>),
    /// `all`
    All,
}

/// Attributes of an approval rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApprovalAttr {
    /// `scope ...`
    Scope(ScopeAst),
    /// `requires a, b`
    Requires(Vec<Ident>),
}

/// Attributes of an isolation mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IsolationAttr {
    /// `sever a, b`
    Sever(Vec<Ident>),
    /// `reason "..."`
    Reason(Str),
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;

    /// A large policy is mostly flows, and a flow is mostly attributes:
    /// the tree of 100,000 flows must stay well under the memory budget of
    /// `check` (docs/performance.md). A `waive` is boxed so that it does
    /// not make every attribute as large as itself; spans that follow from
    /// others (an attribute's keyword, an endpoint, a service name's) are
    /// not stored.
    #[test]
    fn tree_nodes_stay_small() {
        use std::mem::size_of;
        assert!(size_of::<Ident>() <= 32, "{}", size_of::<Ident>());
        assert!(size_of::<Str>() <= 32, "{}", size_of::<Str>());
        assert!(
            size_of::<Attr<FlowAttr>>() <= 56,
            "{}",
            size_of::<Attr<FlowAttr>>()
        );
        assert!(
            size_of::<Attr<ConduitAttr>>() <= 88,
            "{}",
            size_of::<Attr<ConduitAttr>>()
        );
        assert!(
            size_of::<EndpointRef>() <= 64,
            "{}",
            size_of::<EndpointRef>()
        );
        assert!(size_of::<ServiceRef>() <= 40, "{}", size_of::<ServiceRef>());
    }
}
