//! Backends: a [`RuleSet`] becomes target text.
//!
//! Backends read only the lowered rule set (and names in it, for comments);
//! they never look at syntax or the checker. Each backend escapes or refuses
//! user text itself so nothing a user writes can break out of a comment or
//! a string in the target.

pub mod cisco_ios;
pub mod fortios;
pub mod nftables;
pub mod nftables_json;
mod text;

use serde::{Deserialize, Serialize};
use thiserror::Error;

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

/// Why a rule set could not be emitted for a target.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The target cannot express something the rule set needs.
    #[error("{target} cannot express {what}")]
    Unsupported {
        /// The target.
        target: &'static str,
        /// What it cannot express.
        what: String,
    },
    /// A name cannot be held by the target (too long, bad characters).
    #[error("{target}: {message}")]
    BadName {
        /// The target.
        target: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Emits `rules` as `target` text. Output is byte-for-byte deterministic.
pub fn emit(rules: &RuleSet, target: Target) -> Result<String, EmitError> {
    match target {
        Target::Nftables => nftables::emit(rules),
        Target::NftablesJson => nftables_json::emit(rules),
        Target::CiscoIos => cisco_ios::emit(rules),
        Target::Fortios => fortios::emit(rules),
    }
}
