//! Services: user declarations are named, composed and flattened; a user
//! service with a built-in's name replaces it (`W108`); composition cycles
//! are `E406`. Flows resolve their service references through here.
//!
//! A service counts as remote access when it is marked `remote-access`,
//! replaces a remote-access built-in (`rdp`, `vnc`, `ssh`), or is composed
//! of a remote-access service.

use super::names::NameTable;
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::limits::MAX_SERVICE_DEPTH;
use crate::model::catalogue::{self, BuiltinService, CATALOGUE};
use crate::model::{Name, PortSet, Service, ServiceSet};
use crate::syntax::ast::{self, ServiceRef, ServiceRefKind, Spec};

/// User services, resolved.
pub(crate) struct Services<'a> {
    table: NameTable,
    decls: Vec<&'a ast::ServiceDecl>,
    sets: Vec<ServiceSet>,
    remote: Vec<bool>,
    /// Everything any remote-access service admits.
    pub(crate) remote_union: ServiceSet,
}

impl Default for Services<'_> {
    fn default() -> Self {
        Services {
            table: NameTable::new("service"),
            decls: Vec::new(),
            sets: Vec::new(),
            remote: Vec::new(),
            remote_union: ServiceSet::new(),
        }
    }
}

enum Dep {
    User(usize),
    Builtin(&'static BuiltinService),
    Spec(Spec),
    Unknown,
}

/// The set one inline spec admits.
pub(crate) fn spec_set(spec: Spec) -> ServiceSet {
    let mut s = ServiceSet::new();
    match spec {
        Spec::Tcp(a, b) => s.tcp = PortSet::from_ranges([(a, b)]),
        Spec::Udp(a, b) => s.udp = PortSet::from_ranges([(a, b)]),
        Spec::Icmp(t) => {
            s.icmp.insert(t);
        }
        Spec::Icmpv6(t) => {
            s.icmpv6.insert(t);
        }
        Spec::Ip(n) => {
            s.ip.insert(n);
        }
    }
    s
}

impl<'a> Checker<'a> {
    pub(crate) fn services_stage(&mut self, decls: impl Iterator<Item = &'a ast::Decl>) {
        for d in decls {
            let ast::Decl::Service(s) = d else { continue };
            let idx = self.services.decls.len();
            if !self.services.table.declare(&s.name, idx, &mut self.diags) {
                continue;
            }
            if let Some(b) = catalogue::builtin(&s.name.text) {
                self.diags.push(
                    Diagnostic::new(
                        Code::BuiltinOverridden,
                        s.name.span,
                        format!("service `{}` replaces the built-in `{}` ({})", s.name.text, b.name, b.specs.join(", ")),
                    )
                    .label("replaces a built-in service")
                    .help("every use of the name now means this declaration; rename it unless that is intended"),
                );
            }
            self.services.decls.push(s);
        }
        let n = self.services.decls.len();
        // Resolve every reference once.
        let mut deps: Vec<Vec<(Dep, &'a ServiceRef)>> = Vec::with_capacity(n);
        for i in 0..n {
            let decl = self.services.decls[i];
            let mut list = Vec::new();
            for r in &decl.refs {
                let dep = match r.kind() {
                    ServiceRefKind::Spec(s) => Dep::Spec(s),
                    ServiceRefKind::Name(id) => {
                        if let Some(j) = self.services.table.get(&id.text) {
                            Dep::User(j)
                        } else if let Some(b) = catalogue::builtin(&id.text) {
                            Dep::Builtin(b)
                        } else {
                            self.diags.push(self.unknown_service(&id));
                            Dep::Unknown
                        }
                    }
                };
                list.push((dep, r));
            }
            deps.push(list);
        }
        // Iterative depth-first search: post-order flattening, cycle reports.
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; n];
        let mut sets = vec![ServiceSet::new(); n];
        let mut remote = vec![false; n];
        // Nesting depth of each service (1: only specs and built-ins), and
        // where each open service sits on the stack.
        let mut depth = vec![0usize; n];
        let mut at = vec![0usize; n];
        for root in 0..n {
            if state[root] != NEW {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            state[root] = OPEN;
            at[root] = 0;
            while let Some(&mut (u, ref mut next)) = stack.last_mut() {
                if let Some((dep, r)) = deps[u].get(*next) {
                    *next += 1;
                    if let Dep::User(v) = dep {
                        let v = *v;
                        if state[v] == NEW {
                            state[v] = OPEN;
                            at[v] = stack.len();
                            stack.push((v, 0));
                        } else if state[v] == OPEN {
                            let from = at[v].min(stack.len());
                            let mut path: Vec<String> = stack[from..]
                                .iter()
                                .map(|&(w, _)| format!("`{}`", self.services.decls[w].name.text))
                                .collect();
                            let msg = if path.len() == 1 {
                                format!(
                                    "service `{}` refers to itself",
                                    self.services.decls[v].name.text
                                )
                            } else {
                                path.push(format!("`{}`", self.services.decls[v].name.text));
                                if path.len() > 9 {
                                    // A long cycle is shown by its ends.
                                    let hidden = path.len() - 7;
                                    path.splice(4..path.len() - 3, [format!("… {hidden} more …")]);
                                }
                                format!(
                                    "service `{}` refers to itself through {}",
                                    self.services.decls[v].name.text,
                                    path.join(" → ")
                                )
                            };
                            self.diags.push(
                                Diagnostic::new(Code::ServiceCycle, r.span, msg)
                                    .label("this reference closes the cycle")
                                    .help("list the specs in one of the services instead of naming it"),
                            );
                        }
                    }
                    continue;
                }
                // All of u's references are resolved: flatten it, normalising
                // the port ranges once.
                let mut rem = self.services.decls[u].remote_access.is_some()
                    || catalogue::builtin(&self.services.decls[u].name.text)
                        .is_some_and(|b| b.remote_access);
                let mut own = Vec::new();
                let mut deepest = 0;
                for (dep, _) in &deps[u] {
                    match dep {
                        Dep::User(v) => {
                            rem |= remote[*v];
                            deepest = deepest.max(depth[*v]);
                        }
                        Dep::Builtin(b) => {
                            own.push(b.service_set());
                            rem |= b.remote_access;
                        }
                        Dep::Spec(s) => own.push(spec_set(*s)),
                        Dep::Unknown => {}
                    }
                }
                let users = deps[u].iter().filter_map(|(dep, _)| match dep {
                    Dep::User(v) => Some(&sets[*v]),
                    _ => None,
                });
                let set = ServiceSet::union_all(users.chain(own.iter()));
                depth[u] = deepest + 1;
                if depth[u] == MAX_SERVICE_DEPTH + 1 {
                    let d = self.services.decls[u];
                    self.diags.push(
                        Diagnostic::new(
                            Code::ServiceTooDeep,
                            d.name.span,
                            format!(
                                "service `{}` is composed {} levels deep, over the limit of {MAX_SERVICE_DEPTH}",
                                d.name.text, depth[u]
                            ),
                        )
                        .label("nested too deep")
                        .help("list specs or built-in services directly instead of naming services that name services"),
                    );
                }
                sets[u] = set;
                remote[u] = rem;
                state[u] = DONE;
                stack.pop();
            }
        }
        // The remote-access ports: what the marked services and the
        // remote-access built-ins (or their replacements) admit. A service
        // composed of one counts through that one's ports, not all of its own.
        let mut remote_union = ServiceSet::new();
        for (i, decl) in self.services.decls.iter().enumerate() {
            let marked = decl.remote_access.is_some()
                || catalogue::builtin(&decl.name.text).is_some_and(|b| b.remote_access);
            if marked {
                remote_union = remote_union.union(&sets[i]);
            }
        }
        for b in CATALOGUE.iter().filter(|b| b.remote_access) {
            if self.services.table.get(b.name).is_none() {
                remote_union = remote_union.union(&b.service_set());
            }
        }
        for (i, decl) in self.services.decls.iter().enumerate() {
            self.policy.services.push(Service {
                name: Name::from(&decl.name.text),
                set: sets[i].clone(),
                written: decl.refs.iter().map(|r| r.text.to_string()).collect(),
                remote_access: remote[i],
                builtin: false,
            });
        }
        self.services.sets = sets;
        self.services.remote = remote;
        self.services.remote_union = remote_union;
    }

    fn unknown_service(&self, id: &ast::Ident) -> Diagnostic {
        let builtins: Vec<&str> = CATALOGUE.iter().map(|b| b.name).collect();
        let mut d = self.services.table.unknown(id, &builtins);
        if d.help.is_none() {
            d.help = Some("declare it with `service NAME = tcp/PORT`, or see `conduitc services` for the built-in ones".into());
        }
        d
    }

    /// What a flow's service reference admits, or `E202`.
    pub(crate) fn service_ref(&mut self, r: &ServiceRef) -> Option<ServiceSet> {
        match r.kind() {
            ServiceRefKind::Spec(s) => Some(spec_set(s)),
            ServiceRefKind::Name(id) => {
                if let Some(i) = self.services.table.get(&id.text) {
                    Some(self.services.sets[i].clone())
                } else if let Some(b) = catalogue::builtin(&id.text) {
                    Some(b.service_set())
                } else {
                    let d = self.unknown_service(&id);
                    self.diags.push(d);
                    None
                }
            }
        }
    }
}
