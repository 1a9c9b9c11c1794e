//! `W112 remote-access-no-expiry`: access for parties outside the
//! organisation without `expires`. Reported for a flow without `expires`
//! that is
//! - a remote-access service from a level 5 zone (outside the enterprise:
//!   the internet, an outside network) into level 3.5 or below;
//! - a remote-access service from a zone marked `supplier`, whatever the
//!   levels;
//! - any flow from a zone marked `supplier` into level 3.5 or below (a
//!   supplier's access is temporary by nature).

use super::remote_access::overlaps;
use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::Level;

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let remote = &c.services.remote_union;
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            if f.expires.is_some() {
                continue;
            }
            let (zf, zt) = (&c.policy.zones[f.from_zone], &c.policy.zones[f.to_zone]);
            let inside = zt.level <= Level::L3_5;
            let remote_access = overlaps(&f.services, remote);
            let (message, label) = if zf.supplier && remote_access {
                (
                    format!(
                        "flow `{}` gives remote access from supplier zone `{}` into level {} zone `{}` and never expires",
                        f.full_name, zf.name, zt.level, zt.name
                    ),
                    "remote access without `expires`",
                )
            } else if zf.supplier && inside {
                (
                    format!(
                        "flow `{}` gives supplier zone `{}` access into level {} zone `{}` and never expires",
                        f.full_name, zf.name, zt.level, zt.name
                    ),
                    "a supplier's access without `expires`",
                )
            } else if zf.level == Level::L5 && inside && remote_access {
                (
                    format!(
                        "flow `{}` gives remote access from level 5 zone `{}` into level {} zone `{}` and never expires",
                        f.full_name, zf.name, zt.level, zt.name
                    ),
                    "remote access without `expires`",
                )
            } else {
                continue;
            };
            let mut d = Diagnostic::new(
                Code::RemoteAccessNoExpiry,
                c.flow_decl(ci, fi).name,
                message,
            )
            .label(label);
            if zf.supplier {
                if let Some(at) = supplier_span(c, f.from_zone) {
                    d = d.with(at, format!("zone `{}` is marked `supplier`", zf.name));
                }
            }
            let d = d.help("add `expires YYYY-MM-DD` for the end of the contract or the job, or waive W112 with the reason");
            out.push((d, ci, Some(fi)));
        }
    }
    out
}

/// Where zone `z` says `supplier`.
fn supplier_span(c: &Checker<'_>, z: usize) -> Option<crate::source::Span> {
    c.zone_decls.get(z).and_then(|b| {
        b.attrs
            .iter()
            .find(|a| matches!(a.value, crate::syntax::ast::ZoneAttr::Supplier))
            .map(|a| a.span)
    })
}
