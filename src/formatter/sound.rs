//! The soundness check: the formatted text must parse to the same tree as
//! the original once layout is set aside (spans erased, comments removed,
//! attributes in canonical order), and hold the same comments.
//!
//! Attribute order within a block carries no meaning (the checker takes
//! each single attribute wherever it stands, and repeated ones in their
//! relative order), so the trees are compared with each block's attributes
//! stably sorted by rank, as the layout sorts them.

use super::layout::Attribute;
use crate::source::Span;
use crate::syntax::ast::*;

/// A tree with layout removed, for comparison.
pub(super) fn normalise(mut f: File) -> File {
    let z = Span::point(f.file, 0);
    f.comments.clear();
    for d in &mut f.decls {
        d.erase(z);
    }
    f
}

/// The comments of a tree as the layout prints them (trailing blanks
/// removed), sorted.
pub(super) fn comment_texts(f: &File) -> Vec<String> {
    let mut v: Vec<String> = f
        .comments
        .iter()
        .map(|c| c.text.trim_end_matches([' ', '\t']).to_string())
        .collect();
    v.sort();
    v
}

trait Erase {
    fn erase(&mut self, z: Span);
}

impl Erase for Ident {
    fn erase(&mut self, z: Span) {
        self.span = z;
    }
}

impl Erase for Str {
    fn erase(&mut self, z: Span) {
        self.span = z;
    }
}

impl Erase for Decl {
    fn erase(&mut self, z: Span) {
        match self {
            Decl::Owner(b) => b.erase(z),
            Decl::Service(s) => {
                s.name.erase(z);
                s.span = z;
                for r in &mut s.refs {
                    r.erase(z);
                }
                if let Some(r) = &mut s.remote_access {
                    *r = z;
                }
            }
            Decl::Zone(b) => b.erase(z),
            Decl::Conduit(b) => b.erase(z),
            Decl::Firewall(b) => b.erase(z),
            Decl::Approval(b) => b.erase(z),
            Decl::Isolation(b) => b.erase(z),
        }
    }
}

impl<A: Erase + Attribute> Erase for Block<A> {
    fn erase(&mut self, z: Span) {
        self.name.erase(z);
        self.span = z;
        for a in &mut self.attrs {
            a.span = z;
            a.value.erase(z);
        }
        self.attrs.sort_by_key(|a| a.value.rank());
    }
}

impl Erase for ServiceRef {
    fn erase(&mut self, z: Span) {
        self.span = z;
    }
}

impl Erase for OwnerAttr {
    fn erase(&mut self, z: Span) {
        match self {
            OwnerAttr::Name(s) | OwnerAttr::Contact(s) => s.erase(z),
        }
    }
}

impl Erase for ZoneAttr {
    fn erase(&mut self, z: Span) {
        match self {
            ZoneAttr::Level(_) | ZoneAttr::Sl(_) | ZoneAttr::Supplier => {}
            ZoneAttr::Owner(o) => o.erase(z),
            ZoneAttr::Description(s) => s.erase(z),
            ZoneAttr::Networks(items) => {
                for i in items {
                    match i {
                        NetItem::Any(s) | NetItem::Prefix(_, s) => *s = z,
                    }
                }
            }
            ZoneAttr::Host(h) => {
                h.name.erase(z);
                for (_, s) in &mut h.addrs {
                    *s = z;
                }
            }
            ZoneAttr::Group(g) => {
                g.name.erase(z);
                for m in &mut g.members {
                    match m {
                        GroupMemberAst::Host(id) => id.erase(z),
                        GroupMemberAst::Prefix(_, s) => *s = z,
                    }
                }
            }
        }
    }
}

impl Erase for Waive {
    fn erase(&mut self, z: Span) {
        self.code.erase(z);
        self.reason.erase(z);
    }
}

impl Erase for ConduitAttr {
    fn erase(&mut self, z: Span) {
        match self {
            ConduitAttr::Zones(list) => list.iter_mut().for_each(|i| i.erase(z)),
            ConduitAttr::Owner(o) => o.erase(z),
            ConduitAttr::Sl(_) | ConduitAttr::Mode(_) => {}
            ConduitAttr::Waive(w) => w.erase(z),
            ConduitAttr::Flow(f) => f.erase(z),
        }
    }
}

impl Erase for EndpointRef {
    fn erase(&mut self, z: Span) {
        self.zone.erase(z);
        if let Some(m) = &mut self.member {
            m.erase(z);
        }
    }
}

impl Erase for FlowAttr {
    fn erase(&mut self, z: Span) {
        match self {
            FlowAttr::From(e) | FlowAttr::To(e) => e.iter_mut().for_each(|e| e.erase(z)),
            FlowAttr::Service(r) => r.iter_mut().for_each(|r| r.erase(z)),
            FlowAttr::Owner(o) => o.erase(z),
            FlowAttr::Reason(s) => s.erase(z),
            FlowAttr::Expires(_) | FlowAttr::Essential | FlowAttr::Log => {}
            FlowAttr::Waive(w) => w.erase(z),
        }
    }
}

impl Erase for FirewallAttr {
    fn erase(&mut self, z: Span) {
        match self {
            FirewallAttr::Platform(_) => {}
            FirewallAttr::AclBudget(_, s) => *s = z,
            FirewallAttr::Interface(i) => {
                i.name.erase(z);
                i.zone.erase(z);
                i.addrs.iter_mut().for_each(|(_, s)| *s = z);
            }
            FirewallAttr::Manage(b) | FirewallAttr::Control(b) => b.erase(z),
        }
    }
}

impl Erase for ApprovalAttr {
    fn erase(&mut self, z: Span) {
        match self {
            ApprovalAttr::Scope(ScopeAst::Zones(l) | ScopeAst::Conduits(l))
            | ApprovalAttr::Requires(l) => l.iter_mut().for_each(|i| i.erase(z)),
            ApprovalAttr::Scope(ScopeAst::Level(..) | ScopeAst::All) => {}
        }
    }
}

impl Erase for IsolationAttr {
    fn erase(&mut self, z: Span) {
        match self {
            IsolationAttr::Sever(l) => l.iter_mut().for_each(|i| i.erase(z)),
            IsolationAttr::Reason(s) => s.erase(z),
        }
    }
}
