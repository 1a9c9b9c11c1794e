//! Every declared name and every use of one, with its span: what
//! definition, references, rename and hover look up.
//!
//! Names compare ignoring ASCII case, as the language compares them. A
//! host or group is keyed by its zone and its name (`zone.host`), a flow
//! by its conduit and its name (`conduit/flow`), a `manage` or `control`
//! entry by its firewall and its name (`firewall/entry`).

use std::collections::HashMap;

use crate::source::{FileId, Span};
use crate::syntax::ast::{
    ApprovalAttr, Attr, ConduitAttr, Decl, File, FirewallAttr, FlowAttr, GroupMemberAst,
    IsolationAttr, OwnerAttr, ScopeAst, ServiceRefKind, ZoneAttr,
};

/// What a name names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// `owner`
    Owner,
    /// `service`
    Service,
    /// `zone`
    Zone,
    /// A zone's `host` or `group`.
    Member,
    /// `conduit`
    Conduit,
    /// A conduit's `flow`.
    Flow,
    /// `firewall`
    Firewall,
    /// `approval`
    Approval,
    /// `isolation`
    Isolation,
    /// A firewall's `manage` or `control` entry.
    Local,
}

impl Kind {
    /// The keyword that declares it, as messages say it.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Kind::Owner => "owner",
            Kind::Service => "service",
            Kind::Zone => "zone",
            Kind::Member => "host or group",
            Kind::Conduit => "conduit",
            Kind::Flow => "flow",
            Kind::Firewall => "firewall",
            Kind::Approval => "approval",
            Kind::Isolation => "isolation",
            Kind::Local => "manage or control entry",
        }
    }
}

/// One occurrence of a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Occurrence {
    /// What it names.
    pub(crate) kind: Kind,
    /// The lowercase key (`zone.host`, `conduit/flow`, `firewall/entry` for
    /// members, flows and entries).
    pub(crate) key: String,
    /// The name as written (the last part for members, flows and entries).
    pub(crate) span: Span,
    /// True for the declaration, false for a use.
    pub(crate) decl: bool,
}

/// The occurrences of a workspace.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    /// Per file, sorted by start.
    by_file: HashMap<FileId, Vec<Occurrence>>,
    /// Per (kind, key), every occurrence in file order.
    by_key: HashMap<(Kind, String), Vec<Occurrence>>,
}

impl Index {
    /// Indexes the parsed files.
    pub(crate) fn new(files: &[File]) -> Index {
        let mut all = Vec::new();
        for f in files {
            collect(f, &mut all);
        }
        let mut index = Index::default();
        for o in all {
            index
                .by_key
                .entry((o.kind, o.key.clone()))
                .or_default()
                .push(o.clone());
            index.by_file.entry(o.span.file).or_default().push(o);
        }
        for list in index.by_file.values_mut() {
            list.sort_by_key(|o| o.span.start);
        }
        index
    }

    /// The occurrence under byte `offset` of `file` (a cursor just past a
    /// name is still on it).
    pub(crate) fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        let list = self.by_file.get(&file)?;
        let i = list.partition_point(|o| o.span.start as usize <= offset);
        list.get(..i)?
            .iter()
            .rev()
            .find(|o| o.span.start as usize <= offset && offset <= o.span.end as usize)
    }

    /// Every occurrence of a name, declarations first.
    pub(crate) fn all(&self, kind: Kind, key: &str) -> Vec<&Occurrence> {
        let mut v: Vec<&Occurrence> = self
            .by_key
            .get(&(kind, key.to_string()))
            .map(|l| l.iter().collect())
            .unwrap_or_default();
        v.sort_by_key(|o| (!o.decl, o.span.file, o.span.start));
        v
    }

    /// The declarations of a name.
    pub(crate) fn decls(&self, kind: Kind, key: &str) -> Vec<&Occurrence> {
        self.all(kind, key).into_iter().filter(|o| o.decl).collect()
    }

    /// The first declaration of each name of a kind, by key.
    pub(crate) fn declared(&self, kind: Kind) -> Vec<&Occurrence> {
        let mut v: Vec<&Occurrence> = self
            .by_key
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .filter_map(|(_, list)| list.iter().find(|o| o.decl))
            .collect();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    }
}

fn key(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn push(out: &mut Vec<Occurrence>, kind: Kind, key: String, span: Span, decl: bool) {
    out.push(Occurrence {
        kind,
        key,
        span,
        decl,
    });
}

fn collect(file: &File, out: &mut Vec<Occurrence>) {
    for d in &file.decls {
        match d {
            Decl::Owner(b) => {
                push(out, Kind::Owner, key(&b.name.text), b.name.span, true);
                for a in &b.attrs {
                    match &a.value {
                        OwnerAttr::Name(_) | OwnerAttr::Contact(_) => {}
                    }
                }
            }
            Decl::Service(s) => {
                push(out, Kind::Service, key(&s.name.text), s.name.span, true);
                for r in &s.refs {
                    if let ServiceRefKind::Name(n) = r.kind() {
                        push(out, Kind::Service, key(&n.text), n.span, false);
                    }
                }
            }
            Decl::Zone(b) => {
                let zone = key(&b.name.text);
                push(out, Kind::Zone, zone.clone(), b.name.span, true);
                for a in &b.attrs {
                    match &a.value {
                        ZoneAttr::Owner(o) => push(out, Kind::Owner, key(&o.text), o.span, false),
                        ZoneAttr::Host(h) => push(
                            out,
                            Kind::Member,
                            format!("{zone}.{}", key(&h.name.text)),
                            h.name.span,
                            true,
                        ),
                        ZoneAttr::Group(g) => {
                            push(
                                out,
                                Kind::Member,
                                format!("{zone}.{}", key(&g.name.text)),
                                g.name.span,
                                true,
                            );
                            for m in &g.members {
                                if let GroupMemberAst::Host(h) = m {
                                    push(
                                        out,
                                        Kind::Member,
                                        format!("{zone}.{}", key(&h.text)),
                                        h.span,
                                        false,
                                    );
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Decl::Conduit(b) => {
                let conduit = key(&b.name.text);
                push(out, Kind::Conduit, conduit.clone(), b.name.span, true);
                for a in &b.attrs {
                    match &a.value {
                        ConduitAttr::Zones(zs) => {
                            for z in zs {
                                push(out, Kind::Zone, key(&z.text), z.span, false);
                            }
                        }
                        ConduitAttr::Owner(o) => {
                            push(out, Kind::Owner, key(&o.text), o.span, false)
                        }
                        ConduitAttr::Flow(f) => {
                            push(
                                out,
                                Kind::Flow,
                                format!("{conduit}/{}", key(&f.name.text)),
                                f.name.span,
                                true,
                            );
                            flow_attrs(&f.attrs, out);
                        }
                        _ => {}
                    }
                }
            }
            Decl::Firewall(b) => {
                let firewall = key(&b.name.text);
                push(out, Kind::Firewall, firewall.clone(), b.name.span, true);
                for a in &b.attrs {
                    match &a.value {
                        FirewallAttr::Interface(i) => {
                            push(out, Kind::Zone, key(&i.zone.text), i.zone.span, false);
                        }
                        FirewallAttr::Manage(e) | FirewallAttr::Control(e) => {
                            push(
                                out,
                                Kind::Local,
                                format!("{firewall}/{}", key(&e.name.text)),
                                e.name.span,
                                true,
                            );
                            flow_attrs(&e.attrs, out);
                        }
                        FirewallAttr::Platform(_) | FirewallAttr::AclBudget(..) => {}
                    }
                }
            }
            Decl::Approval(b) => {
                push(out, Kind::Approval, key(&b.name.text), b.name.span, true);
                for a in &b.attrs {
                    match &a.value {
                        ApprovalAttr::Scope(ScopeAst::Zones(zs)) => {
                            for z in zs {
                                push(out, Kind::Zone, key(&z.text), z.span, false);
                            }
                        }
                        ApprovalAttr::Scope(ScopeAst::Conduits(cs)) => {
                            for c in cs {
                                push(out, Kind::Conduit, key(&c.text), c.span, false);
                            }
                        }
                        ApprovalAttr::Requires(os) => {
                            for o in os {
                                push(out, Kind::Owner, key(&o.text), o.span, false);
                            }
                        }
                        ApprovalAttr::Scope(_) => {}
                    }
                }
            }
            Decl::Isolation(b) => {
                push(out, Kind::Isolation, key(&b.name.text), b.name.span, true);
                for a in &b.attrs {
                    if let IsolationAttr::Sever(zs) = &a.value {
                        for z in zs {
                            push(out, Kind::Zone, key(&z.text), z.span, false);
                        }
                    }
                }
            }
        }
    }
}

/// The names a flow, or a `manage` or `control` entry, refers to.
fn flow_attrs(attrs: &[Attr<FlowAttr>], out: &mut Vec<Occurrence>) {
    for fa in attrs {
        match &fa.value {
            FlowAttr::From(eps) | FlowAttr::To(eps) => {
                for e in eps {
                    let z = key(&e.zone.text);
                    push(out, Kind::Zone, z.clone(), e.zone.span, false);
                    if let Some(m) = &e.member {
                        push(
                            out,
                            Kind::Member,
                            format!("{z}.{}", key(&m.text)),
                            m.span,
                            false,
                        );
                    }
                }
            }
            FlowAttr::Service(refs) => {
                for r in refs {
                    if let ServiceRefKind::Name(n) = r.kind() {
                        push(out, Kind::Service, key(&n.text), n.span, false);
                    }
                }
            }
            FlowAttr::Owner(o) => push(out, Kind::Owner, key(&o.text), o.span, false),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    #[test]
    fn finds_declarations_and_uses_ignoring_case() {
        let text = "owner ops { contact \"c\" }\n\
                    zone a { level 1 owner OPS networks 10.0.0.0/8 host h = 10.0.0.1 group g = h }\n\
                    zone b { level 2 owner ops networks 10.1.0.0/16 }\n\
                    conduit a-b { zones a, B owner ops flow f { from a.H to b service modbus reason \"r\" } }\n";
        let sources = Sources::from_memory("p.conduit", text);
        let files: Vec<File> = sources
            .ids()
            .filter_map(|id| crate::syntax::parse(&sources, id).file)
            .collect();
        let index = Index::new(&files);
        let owner = index.all(Kind::Owner, "ops");
        assert_eq!(owner.len(), 4);
        assert!(owner[0].decl);
        let h = index.all(Kind::Member, "a.h");
        let spelled: Vec<&str> = h.iter().map(|o| &text[o.span.range()]).collect();
        assert_eq!(spelled, ["h", "h", "H"]);
        let at = text.find("B owner").unwrap_or(0);
        let o = index.at(FileId::FIRST, at + 1);
        assert_eq!(o.map(|o| (o.kind, o.key.as_str())), Some((Kind::Zone, "b")));
        assert_eq!(index.decls(Kind::Flow, "a-b/f").len(), 1);
        let zones: Vec<&str> = index
            .declared(Kind::Zone)
            .iter()
            .map(|o| o.key.as_str())
            .collect();
        assert_eq!(zones, ["a", "b"]);
    }
}
