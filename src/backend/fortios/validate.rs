//! Validation: every declared name and interface name that reaches the
//! output, checked before anything is planned.

use foldhash::HashSet;

use super::{bad, TARGET};
use crate::backend::guard::{check_build_names, check_zone_names, interface_name, is_name};
use crate::backend::EmitError;
use crate::diag::quote;
use crate::lower::RuleSet;
use crate::model::Platform;

/// Checks every declared name that reaches the output (free text such as
/// owners goes through [`quote`]).
pub(super) fn validate(rules: &RuleSet) -> Result<(), EmitError> {
    check_zone_names(TARGET, rules, "FortiOS objects")?;
    // The interfaces of the rule before, already checked: rules name the
    // same interfaces again and again; `known` holds every one checked.
    let mut checked: [Option<&str>; 2] = [None, None];
    let mut known: HashSet<&str> = HashSet::default();
    for r in &rules.rules {
        let ok = match r.name.split_once('/') {
            Some((c, f)) => {
                is_name(c)
                    && c == r.conduit
                    && match &r.flow {
                        Some(flow) => !r.monitor && is_name(f) && f == flow,
                        None => r.monitor && f == "*",
                    }
            }
            None => false,
        };
        if !ok {
            return Err(bad(format!(
                "rule name {} is not a flow name `conduit/flow` matching its conduit and flow",
                quote(&r.name)
            )));
        }
        for (i, seen) in [&r.in_iface, &r.out_iface].into_iter().zip(&mut checked) {
            let Some(i) = i.as_deref() else {
                continue;
            };
            if *seen != Some(i) {
                if known.insert(i) {
                    interface_name(TARGET, Platform::Fortios, i)?;
                }
                *seen = Some(i);
            }
        }
    }
    check_build_names(TARGET, Platform::Fortios, rules)
}
