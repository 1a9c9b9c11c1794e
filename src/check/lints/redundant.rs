//! `W105 redundant-flow`: a flow whose every packet another flow of the
//! same direction (same from and to zones) admits, and that stays in force
//! at least as long, logs if it logs and is essential if it is.
//!
//! Only flows with the same `(from zone, to zone)` are compared, so the
//! cost is quadratic in the flows of one zone pair, not of the policy.

use std::collections::BTreeMap;

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::Flow;

/// True when `big` admits everything `small` does, at least as long.
fn covers(big: &Flow, small: &Flow) -> bool {
    let lasts = match (big.expires, small.expires) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(b), Some(s)) => b >= s,
    };
    lasts
        && (big.log || !small.log)
        && (big.essential || !small.essential)
        && big.services.is_superset(&small.services)
        && big.src.is_superset(&small.src)
        && big.dst.is_superset(&small.dst)
}

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut groups: BTreeMap<(usize, usize), Vec<(usize, usize)>> = BTreeMap::new();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            groups
                .entry((f.from_zone, f.to_zone))
                .or_default()
                .push((ci, fi));
        }
    }
    let flow = |(ci, fi): (usize, usize)| &c.policy.conduits[ci].flows[fi];
    let mut out = Vec::new();
    for members in groups.values() {
        for (i, &a) in members.iter().enumerate() {
            let fa = flow(a);
            // Among equals, the first declared stays and the later ones are redundant.
            let by = members
                .iter()
                .enumerate()
                .find(|&(j, &b)| j != i && covers(flow(b), fa) && (j < i || !covers(fa, flow(b))));
            if let Some((_, &b)) = by {
                let fb = flow(b);
                let d = Diagnostic::new(
                    Code::RedundantFlow,
                    c.flow_decl(a.0, a.1).name.span,
                    format!(
                        "flow `{}` is fully covered by flow `{}`",
                        fa.full_name, fb.full_name
                    ),
                )
                .label("adds nothing")
                .with(
                    c.flow_decl(b.0, b.1).name.span,
                    "admits everything the other flow does",
                )
                .help("remove the redundant flow, or narrow the broader one");
                out.push((d, a.0, Some(a.1)));
            }
        }
    }
    out
}
