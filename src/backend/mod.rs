//! Backends: a [`RuleSet`] becomes target text.
//!
//! Backends read only the lowered rule set (and names in it, for comments);
//! they never look at syntax or the checker. Each backend escapes or refuses
//! user text itself so nothing a user writes can break out of a comment or
//! a string in the target.

mod cisco_ios;
mod fortios;
mod nftables;
#[cfg(feature = "nftables-json")]
mod nftables_json;
#[cfg(not(feature = "nftables-json"))]
#[path = "nftables_json_absent.rs"]
mod nftables_json;
mod text;

use std::io::Write;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::diag::Code;
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
    /// A rule admits an IP protocol number the target cannot express
    /// exactly (`ip/0` on `cisco-ios`, `ip/255` on `fortios`): code `E605`.
    #[error("[E605] {target} cannot express ip/{proto} in {rule} ({why})")]
    Protocol {
        /// The target.
        target: &'static str,
        /// The rule's full name.
        rule: String,
        /// The protocol number.
        proto: u8,
        /// Why the target cannot express it.
        why: &'static str,
    },
    /// A Cisco IOS access list would hold more than
    /// [`MAX_IOS_ACL_ENTRIES`](crate::limits::MAX_IOS_ACL_ENTRIES) entries
    /// (a flow between 100 scattered hosts and 100 others on one port):
    /// code `E606`. Detected before any text is produced.
    #[error("[E606] {target}: {message}")]
    TooLarge {
        /// The target.
        target: &'static str,
        /// Which list, how large, the flows responsible and what to change.
        message: String,
    },
    /// The target's backend was left out of this build of the library
    /// (`nftables-json` without the `nftables-json` feature).
    #[error("{target}: conduitc was built without the {target} feature")]
    NotBuilt {
        /// The target.
        target: &'static str,
    },
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("writing {target} output: {message}")]
    Io {
        /// The target.
        target: &'static str,
        /// The I/O error.
        message: String,
    },
}

impl EmitError {
    /// The diagnostic code of the error, for errors that a policy causes
    /// and that have one (`E605`, `E606`).
    pub fn code(&self) -> Option<Code> {
        match self {
            EmitError::Protocol { .. } => Some(Code::ProtocolNotExpressible),
            EmitError::TooLarge { .. } => Some(Code::IosAclTooLarge),
            _ => None,
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
