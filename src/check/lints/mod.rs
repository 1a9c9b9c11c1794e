//! Warnings: one module per code family. Each returns its findings with the
//! conduit (and flow) whose `waive` may accept them; `check::waive`
//! applies the waivers.

mod broad_flow;
mod broad_service;
mod directory;
mod expiry;
mod icmp_new;
mod island;
mod monitor;
mod purdue;
mod reason;
mod redundant;
mod remote_access;
mod remote_expiry;
mod sl;

use super::decls::{ConduitDecl, FlowDecl};
use super::Checker;
use crate::diag::Diagnostic;
use crate::source::Span;

/// A warning and the conduit (and flow) that may waive it.
pub(crate) type Finding = (Diagnostic, usize, Option<usize>);

impl Checker<'_> {
    pub(crate) fn lints_stage(&mut self) {
        let mut found: Vec<Finding> = Vec::new();
        found.extend(purdue::run(self));
        found.extend(remote_access::run(self));
        found.extend(broad_flow::run(self));
        found.extend(expiry::run(self));
        found.extend(redundant::run(self));
        found.extend(sl::run(self));
        found.extend(monitor::run(self));
        found.extend(icmp_new::run(self));
        found.extend(broad_service::run(self));
        found.extend(remote_expiry::run(self));
        found.extend(directory::run(self));
        found.extend(reason::run(self));
        found.extend(island::run(self));
        self.warnings.extend(found);
    }

    /// What is kept of the declaration of flow `fi` of conduit `ci`.
    pub(crate) fn flow_decl(&self, ci: usize, fi: usize) -> &FlowDecl {
        &self.conduit_decls[ci].flows[fi]
    }

    /// The span `pick` gives for a flow (an attribute's), else its name's.
    pub(crate) fn flow_attr_span(
        &self,
        ci: usize,
        fi: usize,
        pick: fn(&FlowDecl) -> Option<Span>,
    ) -> Span {
        let f = self.flow_decl(ci, fi);
        pick(f).unwrap_or(f.name)
    }

    /// The span `pick` gives for a conduit (an attribute's), else its name's.
    pub(crate) fn conduit_attr_span(
        &self,
        ci: usize,
        pick: fn(&ConduitDecl) -> Option<Span>,
    ) -> Span {
        let c = &self.conduit_decls[ci];
        pick(c).unwrap_or(c.name)
    }
}
