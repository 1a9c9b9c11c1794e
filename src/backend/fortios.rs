//! The `fortios` backend.

use super::EmitError;
use crate::lower::RuleSet;

/// Emits `rules` as fortios configuration.
pub fn emit(rules: &RuleSet) -> Result<String, EmitError> {
    let _ = rules;
    Err(EmitError::Unsupported {
        target: "fortios",
        what: "anything yet".to_string(),
    })
}
