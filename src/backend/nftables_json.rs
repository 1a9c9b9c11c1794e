//! The `nftables-json` backend.

use super::EmitError;
use crate::lower::RuleSet;

/// Emits `rules` as nftables-json configuration.
pub fn emit(rules: &RuleSet) -> Result<String, EmitError> {
    let _ = rules;
    Err(EmitError::Unsupported {
        target: "nftables-json",
        what: "anything yet".to_string(),
    })
}
