//! Moving a tree's spans by a number of bytes: what an incremental
//! re-parse needs to put a tree parsed from a slice of a file, and the
//! declarations after an edit, where a parse of the whole new text would
//! have them.

use crate::source::Span;

use super::ast::*;

/// Something with spans that can move by `by` bytes within its file.
pub(crate) trait Shift {
    /// Adds `by` to every span's start and end (saturating at `0` and
    /// `u32::MAX`; a caller moves spans only where they stay in range).
    fn shift(&mut self, by: i64);
}

impl Shift for Span {
    fn shift(&mut self, by: i64) {
        let mv = |x: u32| u32::try_from((i64::from(x) + by).max(0)).unwrap_or(u32::MAX);
        self.start = mv(self.start);
        self.end = mv(self.end);
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, by: i64) {
        for x in self {
            x.shift(by);
        }
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, by: i64) {
        if let Some(x) = self {
            x.shift(by);
        }
    }
}

impl<T> Shift for (T, Span) {
    fn shift(&mut self, by: i64) {
        self.1.shift(by);
    }
}

impl Shift for Ident {
    fn shift(&mut self, by: i64) {
        self.span.shift(by);
    }
}

impl Shift for Str {
    fn shift(&mut self, by: i64) {
        self.span.shift(by);
    }
}

impl Shift for Comment {
    fn shift(&mut self, by: i64) {
        self.span.shift(by);
    }
}

impl Shift for File {
    fn shift(&mut self, by: i64) {
        self.decls.shift(by);
        self.comments.shift(by);
    }
}

impl Shift for Decl {
    fn shift(&mut self, by: i64) {
        match self {
            Decl::Owner(b) => b.shift(by),
            Decl::Service(s) => s.shift(by),
            Decl::Zone(b) => b.shift(by),
            Decl::Conduit(b) => b.shift(by),
            Decl::Firewall(b) => b.shift(by),
            Decl::Approval(b) => b.shift(by),
            Decl::Isolation(b) => b.shift(by),
        }
    }
}

impl<A: Shift> Shift for Block<A> {
    fn shift(&mut self, by: i64) {
        self.name.shift(by);
        self.span.shift(by);
        self.attrs.shift(by);
    }
}

impl<A: Shift> Shift for Attr<A> {
    fn shift(&mut self, by: i64) {
        self.span.shift(by);
        self.value.shift(by);
    }
}

impl Shift for ServiceDecl {
    fn shift(&mut self, by: i64) {
        self.name.shift(by);
        self.span.shift(by);
        self.refs.shift(by);
        self.remote_access.shift(by);
    }
}

impl Shift for ServiceRef {
    fn shift(&mut self, by: i64) {
        self.span.shift(by);
    }
}

impl Shift for OwnerAttr {
    fn shift(&mut self, by: i64) {
        match self {
            OwnerAttr::Name(s) | OwnerAttr::Contact(s) => s.shift(by),
        }
    }
}

impl Shift for NetItem {
    fn shift(&mut self, by: i64) {
        match self {
            NetItem::Any(s) | NetItem::Prefix(_, s) => s.shift(by),
        }
    }
}

impl Shift for HostDecl {
    fn shift(&mut self, by: i64) {
        self.name.shift(by);
        self.addrs.shift(by);
    }
}

impl Shift for GroupMemberAst {
    fn shift(&mut self, by: i64) {
        match self {
            GroupMemberAst::Host(n) => n.shift(by),
            GroupMemberAst::Prefix(_, s) => s.shift(by),
        }
    }
}

impl Shift for GroupDecl {
    fn shift(&mut self, by: i64) {
        self.name.shift(by);
        self.members.shift(by);
    }
}

impl Shift for ZoneAttr {
    fn shift(&mut self, by: i64) {
        match self {
            ZoneAttr::Level(_) | ZoneAttr::Sl(_) | ZoneAttr::Supplier => {}
            ZoneAttr::Owner(n) => n.shift(by),
            ZoneAttr::Description(s) => s.shift(by),
            ZoneAttr::Networks(v) => v.shift(by),
            ZoneAttr::Host(h) => h.shift(by),
            ZoneAttr::Group(g) => g.shift(by),
        }
    }
}

impl Shift for Waive {
    fn shift(&mut self, by: i64) {
        self.code.shift(by);
        self.reason.shift(by);
    }
}

impl Shift for ConduitAttr {
    fn shift(&mut self, by: i64) {
        match self {
            ConduitAttr::Sl(_) | ConduitAttr::Mode(_) => {}
            ConduitAttr::Zones(v) => v.shift(by),
            ConduitAttr::Owner(n) => n.shift(by),
            ConduitAttr::Waive(w) => w.shift(by),
            ConduitAttr::Flow(b) => b.shift(by),
        }
    }
}

impl Shift for EndpointRef {
    fn shift(&mut self, by: i64) {
        self.zone.shift(by);
        self.member.shift(by);
    }
}

impl Shift for FlowAttr {
    fn shift(&mut self, by: i64) {
        match self {
            FlowAttr::Expires(_) | FlowAttr::Essential | FlowAttr::Log => {}
            FlowAttr::From(v) | FlowAttr::To(v) => v.shift(by),
            FlowAttr::Service(v) => v.shift(by),
            FlowAttr::Owner(n) => n.shift(by),
            FlowAttr::Reason(s) => s.shift(by),
            FlowAttr::Waive(w) => w.shift(by),
        }
    }
}

impl Shift for InterfaceDecl {
    fn shift(&mut self, by: i64) {
        self.name.shift(by);
        self.zone.shift(by);
        self.addrs.shift(by);
    }
}

impl Shift for FirewallAttr {
    fn shift(&mut self, by: i64) {
        match self {
            FirewallAttr::Platform(_) => {}
            FirewallAttr::AclBudget(_, s) => s.shift(by),
            FirewallAttr::Interface(i) => i.shift(by),
            FirewallAttr::Manage(b) | FirewallAttr::Control(b) => b.shift(by),
        }
    }
}

impl Shift for ScopeAst {
    fn shift(&mut self, by: i64) {
        match self {
            ScopeAst::Level(..) | ScopeAst::All => {}
            ScopeAst::Zones(v) | ScopeAst::Conduits(v) => v.shift(by),
        }
    }
}

impl Shift for ApprovalAttr {
    fn shift(&mut self, by: i64) {
        match self {
            ApprovalAttr::Scope(s) => s.shift(by),
            ApprovalAttr::Requires(v) => v.shift(by),
        }
    }
}

impl Shift for IsolationAttr {
    fn shift(&mut self, by: i64) {
        match self {
            IsolationAttr::Sever(v) => v.shift(by),
            IsolationAttr::Reason(s) => s.shift(by),
        }
    }
}

/// The span of a whole declaration.
pub(crate) fn decl_span(d: &Decl) -> Span {
    match d {
        Decl::Owner(b) => b.span,
        Decl::Service(s) => s.span,
        Decl::Zone(b) => b.span,
        Decl::Conduit(b) => b.span,
        Decl::Firewall(b) => b.span,
        Decl::Approval(b) => b.span,
        Decl::Isolation(b) => b.span,
    }
}
