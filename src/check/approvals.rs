//! Approval rules: a scope and the owners who must approve, every name known.

use super::names::{single, NameTable};
use super::Checker;
use crate::model::{Approval, Name, Scope};
use crate::syntax::ast::{self, ApprovalAttr, ScopeAst};

impl<'a> Checker<'a> {
    pub(crate) fn approvals_stage(&mut self, decls: impl Iterator<Item = &'a ast::Decl>) {
        let mut table = NameTable::new("approval");
        for d in decls {
            let ast::Decl::Approval(b) = d else { continue };
            let what = format!("approval `{}`", b.name.text);
            if !table.declare(&b.name, self.policy.approvals.len(), &mut self.diags) {
                continue;
            }
            let scope = single(b, &what, "scope", true, &mut self.diags, |a| match a {
                ApprovalAttr::Scope(s) => Some(s),
                _ => None,
            });
            let requires = single(b, &what, "requires", true, &mut self.diags, |a| match a {
                ApprovalAttr::Requires(r) => Some(r),
                _ => None,
            });
            let scope = scope.and_then(|(s, _)| match s {
                ScopeAst::Level(op, l) => Some(Scope::Level(*op, *l)),
                ScopeAst::All => Some(Scope::All),
                ScopeAst::Zones(list) => {
                    let names: Vec<Option<Name>> = list
                        .iter()
                        .map(|z| {
                            self.zones.resolve(z, &mut self.diags)?;
                            self.zones.spelled(&z.text).map(Name::new)
                        })
                        .collect();
                    names
                        .into_iter()
                        .collect::<Option<Vec<_>>>()
                        .map(Scope::Zones)
                }
                ScopeAst::Conduits(list) => {
                    let names: Vec<Option<Name>> = list
                        .iter()
                        .map(|c| {
                            self.conduits.resolve(c, &mut self.diags)?;
                            self.conduits.spelled(&c.text).map(Name::new)
                        })
                        .collect();
                    names
                        .into_iter()
                        .collect::<Option<Vec<_>>>()
                        .map(Scope::Conduits)
                }
            });
            let requires = requires.and_then(|(list, _)| {
                let names: Vec<Option<Name>> = list.iter().map(|o| self.owner_ref(o)).collect();
                names.into_iter().collect::<Option<Vec<_>>>()
            });
            if let (Some(scope), Some(requires)) = (scope, requires) {
                self.policy.approvals.push(Approval {
                    name: Name::from(&b.name.text),
                    scope,
                    requires,
                });
            }
        }
    }
}
