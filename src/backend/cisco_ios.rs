//! The `cisco-ios` backend.

use super::EmitError;
use crate::lower::RuleSet;

/// Emits `rules` as cisco-ios configuration.
pub fn emit(rules: &RuleSet) -> Result<String, EmitError> {
    let _ = rules;
    Err(EmitError::Unsupported {
        target: "cisco-ios",
        what: "anything yet".to_string(),
    })
}
