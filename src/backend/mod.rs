//! Backends: a [`RuleSet`] becomes target text.
//!
//! Backends read only the lowered rule set (and names in it, for comments);
//! they never look at syntax or the checker. Each backend escapes or refuses
//! user text itself so nothing a user writes can break out of a comment or
//! a string in the target. What a platform can express (interface names,
//! protocol numbers, name and comment lengths) is read from the platform
//! table in [`crate::platform`], which `check` reads too.
//!
//! # Adding a backend
//!
//! 1. One module here, with a unit type implementing [`Backend`] (name,
//!    description, `build --out` file extension, the platform it serves,
//!    `emit_to`). A new platform also takes a [`Platform`] variant and its
//!    row in the platform table ([`crate::platform::PLATFORMS`]); the
//!    grammar does not change, since platform names are read from the table.
//! 2. One entry in the registry: a [`Target`] variant (listed in
//!    [`Target::ALL`]) and its arm in [`backend`] (and in
//!    [`Target::for_platform`] for a new platform). The CLI's `--target`
//!    values and help, and `build --out`, follow from the registry.
//! 3. One evaluator in the test support, which reads the target's text back
//!    so the tests that compare every backend with `decide` cover it.
//!
//! [`Platform`]: crate::model::Platform

pub mod cisco_ios;
pub mod fortios;
mod guard;
mod header;
pub mod nftables;
pub mod nftables_json;
mod registry;

pub use registry::{backend, backends, Backend, UnknownTarget};

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
    /// The name used on the command line, from the registry.
    pub fn as_str(self) -> &'static str {
        backend(self).name()
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
    backend(target).emit(rules)
}

/// Emits `rules` as `target` text into `out`, through the target's
/// [`Backend`].
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
    backend(target).emit_to(rules, out)
}
