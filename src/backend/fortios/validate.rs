//! Validation: every declared name and interface name that reaches the
//! output, checked before anything is planned.

use super::{bad, TARGET};
use crate::backend::guard::{check_zone_names, is_name};
use crate::backend::EmitError;
use crate::diag::quote;
use crate::lower::RuleSet;
use crate::model::platform::interface_name_error;
use crate::model::Platform;

/// Checks every declared name that reaches the output (free text such as
/// owners goes through [`quote`]).
pub(super) fn validate(rules: &RuleSet) -> Result<(), EmitError> {
    check_zone_names(TARGET, rules, "FortiOS objects")?;
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
        for i in [&r.in_iface, &r.out_iface].into_iter().flatten() {
            if let Some(message) = interface_name_error(i, Platform::Fortios) {
                return Err(EmitError::InterfaceName {
                    target: TARGET,
                    message,
                });
            }
        }
    }
    if let Some(iso) = &rules.isolation {
        if !is_name(iso) {
            return Err(bad(format!(
                "isolation mode name {} is not a name",
                quote(iso)
            )));
        }
    }
    if let Some(fw) = &rules.firewall {
        if !is_name(&fw.name) {
            return Err(bad(format!(
                "firewall name {} is not a name",
                quote(&fw.name)
            )));
        }
        for (iface, _) in &fw.interfaces {
            if let Some(message) = interface_name_error(iface, Platform::Fortios) {
                return Err(EmitError::InterfaceName {
                    target: TARGET,
                    message,
                });
            }
        }
    }
    Ok(())
}
