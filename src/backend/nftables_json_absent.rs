//! The `nftables-json` backend when the library is built without the
//! `nftables-json` feature (and so without the `nftables` crate): the target
//! still exists, and emitting it is an [`EmitError::NotBuilt`].

use crate::backend::EmitError;
use crate::lower::RuleSet;

fn absent() -> EmitError {
    EmitError::NotBuilt {
        target: "nftables-json",
    }
}

/// Refuses: this build has no `nftables-json` backend.
pub fn emit(_rules: &RuleSet) -> Result<String, EmitError> {
    Err(absent())
}

/// Refuses before writing anything: this build has no `nftables-json`
/// backend.
pub fn emit_to(_rules: &RuleSet, _out: &mut dyn std::io::Write) -> Result<(), EmitError> {
    Err(absent())
}
