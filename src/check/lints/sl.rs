//! `W106 conduit-sl-below-zone`: a conduit's `sl` below one of its zones'.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::ZoneAttr;

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        let Some(csl) = conduit.sl else { continue };
        for z in conduit.zones {
            let zone = &c.policy.zones[z];
            let Some(zsl) = zone.sl else { continue };
            if csl < zsl {
                let zspan = c.zone_decls[z]
                    .attrs
                    .iter()
                    .find(|a| matches!(a.value, ZoneAttr::Sl(_)))
                    .map_or(c.zone_decls[z].name.span, |a| a.span);
                let d = Diagnostic::new(
                    Code::ConduitSlBelowZone,
                    c.conduit_attr_span(ci, |d| d.sl),
                    format!(
                        "conduit `{}` has security level {csl}, below the {zsl} of zone `{}`",
                        conduit.name, zone.name
                    ),
                )
                .label(format!("sl {csl}"))
                .with(zspan, format!("zone `{}` is sl {zsl}", zone.name))
                .help(format!(
                    "raise the conduit to `sl {zsl}`, or waive W106 with the compensating measure"
                ));
                out.push((d, ci, None));
            }
        }
    }
    out
}
