//! Isolation modes: the zones they sever, and `E603` for an essential flow
//! that a mode would cut.

use super::names::{single, NameTable};
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::{Isolation, Name};
use crate::syntax::ast::{self, IsolationAttr};

impl<'a> Checker<'a> {
    pub(crate) fn isolations_stage(&mut self, decls: impl Iterator<Item = &'a ast::Decl>) {
        let mut table = NameTable::new("isolation mode");
        // Essential flows by the zones they touch, so that each isolation
        // mode costs its `sever` list and the flows it cuts, not every flow.
        let mut essential: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.policy.zones.len()];
        for (ci, c) in self.policy.conduits.iter().enumerate() {
            for (fi, f) in c.flows.iter().enumerate() {
                if f.essential {
                    for z in [f.from_zone, f.to_zone] {
                        if let Some(list) = essential.get_mut(z) {
                            list.push((ci, fi));
                        }
                    }
                }
            }
        }
        let mut severed = vec![false; self.policy.zones.len()];
        let mut reported: std::collections::HashSet<(usize, usize)> = Default::default();
        for d in decls {
            let ast::Decl::Isolation(b) = d else { continue };
            let what = format!("isolation mode `{}`", b.name.text);
            if !table.declare(&b.name, self.policy.isolations.len(), &mut self.diags) {
                continue;
            }
            let sever = single(b, &what, "sever", true, &mut self.diags, |a| match a {
                IsolationAttr::Sever(z) => Some(z),
                _ => None,
            });
            let reason = single(b, &what, "reason", true, &mut self.diags, |a| match a {
                IsolationAttr::Reason(r) => Some(r.value.clone()),
                _ => None,
            });
            let mut zones = Vec::new();
            let mut ok = true;
            if let Some((list, _)) = sever {
                for z in list {
                    match self.zones.resolve(z, &mut self.diags) {
                        Some(id) => {
                            if !severed[id] {
                                severed[id] = true;
                                zones.push((id, z.span));
                            }
                        }
                        None => ok = false,
                    }
                }
            }
            // Essential flows touching a severed zone.
            // Each essential flow once, with the first severed zone it touches.
            reported.clear();
            for &(zone, zspan) in &zones {
                for &(ci, fi) in &essential[zone] {
                    if !reported.insert((ci, fi)) {
                        continue;
                    }
                    let f = &self.policy.conduits[ci].flows[fi];
                    let fdecl = &self.conduit_decls[ci].flows[fi];
                    let at = fdecl.essential.unwrap_or(fdecl.name);
                    self.diags.push(
                        Diagnostic::new(
                            Code::EssentialFlowSevered,
                            at,
                            format!(
                                "essential flow `{}` is cut by isolation mode `{}`, which severs zone `{}`",
                                f.full_name, b.name.text, self.policy.zones[zone].name
                            ),
                        )
                        .label("safe operation depends on this flow")
                        .with(zspan, "severed here")
                        .help("keep the zone out of `sever`, or reconsider whether the flow is essential"),
                    );
                }
            }
            for &(z, _) in &zones {
                severed[z] = false;
            }
            if let (true, Some((reason, _)), Some(_)) = (ok, reason, sever) {
                self.policy.isolations.push(Isolation {
                    name: Name::from(&b.name.text),
                    sever: zones.into_iter().map(|(z, _)| z).collect(),
                    reason: reason.to_string(),
                });
            }
        }
    }
}
