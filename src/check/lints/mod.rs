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

use super::Checker;
use crate::diag::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::{Block, ConduitAttr, FlowAttr};

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

    /// The declaration of flow `fi` of conduit `ci`.
    pub(crate) fn flow_decl(&self, ci: usize, fi: usize) -> &Block<FlowAttr> {
        self.conduit_decls[ci].1[fi]
    }

    /// The span of the first attribute of a flow matching `pick`, else its name.
    pub(crate) fn flow_attr_span(&self, ci: usize, fi: usize, pick: fn(&FlowAttr) -> bool) -> Span {
        let f = self.flow_decl(ci, fi);
        f.attrs
            .iter()
            .find(|a| pick(&a.value))
            .map_or(f.name.span, |a| a.span)
    }

    /// The span of the first attribute of a conduit matching `pick`, else its name.
    pub(crate) fn conduit_attr_span(&self, ci: usize, pick: fn(&ConduitAttr) -> bool) -> Span {
        let c = self.conduit_decls[ci].0;
        c.attrs
            .iter()
            .find(|a| pick(&a.value))
            .map_or(c.name.span, |a| a.span)
    }
}
