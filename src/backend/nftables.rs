//! The `nftables` backend.

use super::EmitError;
use crate::lower::RuleSet;

/// Emits `rules` as nftables configuration.
pub fn emit(rules: &RuleSet) -> Result<String, EmitError> {
    let _ = rules;
    Err(EmitError::Unsupported {
        target: "nftables",
        what: "anything yet".to_string(),
    })
}
