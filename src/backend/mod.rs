//! Backends: a [`RuleSet`] becomes target text.
//!
//! Backends read only the lowered rule set (and names in it, for comments);
//! they never look at syntax or the checker. Each backend escapes or refuses
//! user text itself so nothing a user writes can break out of a comment or
//! a string in the target.

pub mod cisco_ios;
mod error;
pub mod fortios;
pub mod nftables;
pub mod nftables_json;
mod text;

pub use error::EmitError;

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::lower::RuleSet;

/// A compilation target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Target {
    /// nftables text for `nft -f`.
    Nftables,
    /// libnftables JSON for `nft -j -f`.
    NftablesJson,
    /// Cisco IOS / IOS-XE extended ACLs.
    CiscoIos,
    /// FortiOS 6.4+ CLI configuration.
    Fortios,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 4] = [
        Target::Nftables,
        Target::NftablesJson,
        Target::CiscoIos,
        Target::Fortios,
    ];
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Nftables => "nftables",
            Target::NftablesJson => "nftables-json",
            Target::CiscoIos => "cisco-ios",
            Target::Fortios => "fortios",
        }
    }
}

/// Emits `rules` as `target` text. Output is byte-for-byte deterministic.
///
/// A wrapper around [`emit_to`] that collects the text in memory.
pub fn emit(rules: &RuleSet, target: Target) -> Result<String, EmitError> {
    match target {
        Target::Nftables => nftables::emit(rules),
        Target::NftablesJson => nftables_json::emit(rules),
        Target::CiscoIos => cisco_ios::emit(rules),
        Target::Fortios => fortios::emit(rules),
    }
}

/// Emits `rules` as `target` text into `out`.
///
/// Every check that can refuse the rule set (names, protocols the target
/// cannot express, the IOS list budget) runs before the first byte is
/// written, so an error other than [`EmitError::Io`] leaves `out`
/// untouched. The `cisco-ios` and `nftables` backends write their text in
/// chunks as they render it, so their memory does not grow with the output;
/// `nftables-json` serialises its objects one at a time from the document
/// (the `nftables` crate's types, held in memory); `fortios` renders in
/// memory and writes once.
pub fn emit_to(rules: &RuleSet, target: Target, out: &mut dyn Write) -> Result<(), EmitError> {
    let text = match target {
        Target::CiscoIos => return cisco_ios::emit_to(rules, out),
        Target::Nftables => return nftables::emit_to(rules, out),
        Target::NftablesJson => return nftables_json::emit_to(rules, out),
        Target::Fortios => fortios::emit(rules)?,
    };
    out.write_all(text.as_bytes()).map_err(|e| EmitError::Io {
        target: target.as_str(),
        message: e.to_string(),
    })
}
