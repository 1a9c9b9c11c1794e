//! Backends: a [`RuleSet`] becomes target text.
//!
//! Backends read only the lowered rule set (and names in it, for comments);
//! they never look at syntax or the checker. Each backend escapes or refuses
//! user text itself so nothing a user writes can break out of a comment or
//! a string in the target. What a platform can express (interface names,
//! protocol numbers, name and comment lengths) is read from the platform
//! table in [`crate::model::platform`], which `check` reads too.
//!
//! # Adding a backend
//!
//! 1. One module here with two functions, `emit(&RuleSet) -> Result<String,
//!    EmitError>` and `emit_to(&RuleSet, &mut dyn Write)`, that refuse
//!    before writing. A new platform also takes a [`Platform`] variant and
//!    its row in the platform table ([`crate::model::platform::PLATFORMS`]); the
//!    grammar does not change, since platform names are read from the table.
//! 2. One entry in the registry (`registry.rs`): a [`Target`] variant (listed
//!    in [`Target::ALL`]) and its row (name, description, `build --out` file
//!    extension, platform, the two functions), which makes it a [`Backend`];
//!    plus its arm in [`Target::for_platform`] for a new platform. The CLI's
//!    `--target` values and help, and `build --out`, follow from the registry.
//! 3. One evaluator in the test support, which reads the target's text back
//!    so the tests that compare every backend with `decide` cover it.
//!
//! [`Platform`]: crate::model::Platform

mod cisco_ios;
mod error;
mod fortios;
mod guard;
mod header;
mod nftables;
#[cfg(feature = "nftables-json")]
mod nftables_json;
#[cfg(not(feature = "nftables-json"))]
#[path = "nftables_json_absent.rs"]
mod nftables_json;
mod registry;

pub use registry::{backend, backends, Backend, UnknownTarget};

pub(crate) use cisco_ios::ios_port_number;
pub use error::EmitError;
pub(crate) use fortios::{
    read_tree as fortios_tree, Tree as FortiTree, TreeEntry as FortiEntry, TreeItem as FortiItem,
};

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::lower::RuleSet;

/// Appends `n` in decimal to `out`, without the formatting machinery (the
/// emitters write millions of numbers).
fn push_decimal(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

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
/// untouched. Every backend writes its text in chunks as it renders it, so
/// its memory does not grow with the output (`cisco-ios` and `fortios`
/// render twice: a first pass that names lists or finds every refusal
/// without keeping the text); `nftables-json` makes each object (the
/// `nftables` crate's types) and serialises it before making the next.
pub fn emit_to(rules: &RuleSet, target: Target, out: &mut dyn Write) -> Result<(), EmitError> {
    backend(target).emit_to(rules, out)
}

/// Choices of form that do not change what a target admits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EmitOptions {
    /// `cisco-ios`: write every entry self-contained (one entry per
    /// source, destination and port) instead of the default form, where
    /// IPv4 lists name object groups (`object-group network` for sets of
    /// several prefixes, `object-group service` for several destination
    /// ports or ICMP types). IPv6 lists are flat in both forms. Off by
    /// default.
    pub ios_flat: bool,
}

impl EmitOptions {
    /// The defaults: every target in its default form (object groups on
    /// `cisco-ios`).
    pub fn new() -> EmitOptions {
        EmitOptions::default()
    }
    /// Sets [`EmitOptions::ios_flat`].
    pub fn ios_flat(mut self, on: bool) -> EmitOptions {
        self.ios_flat = on;
        self
    }
    /// The form of `cisco-ios` lists these options ask for.
    fn ios_form(&self) -> cisco_ios::Form {
        if self.ios_flat {
            cisco_ios::Form::Flat
        } else {
            cisco_ios::Form::ObjectGroups
        }
    }
}

/// [`emit_to`] with `opts`; options that do not concern `target` are
/// ignored. Refuses as [`emit_to`] does, before the first byte.
pub fn emit_with(
    rules: &RuleSet,
    target: Target,
    opts: &EmitOptions,
    out: &mut dyn Write,
) -> Result<(), EmitError> {
    if target == Target::CiscoIos {
        return cisco_ios::emit_to_form(rules, opts.ios_form(), out);
    }
    emit_to(rules, target, out)
}

/// Writes the *transition* that takes a device running `previous` to the
/// build of `rules` for `target` (`conduitc build --from PREVIOUS`).
///
/// `previous` is what the device runs now: the text of an earlier build of
/// the same target, or the device's own configuration (`show
/// running-config` on Cisco IOS; a configuration backup or `show
/// full-configuration` on FortiOS). The script never admits, at any point,
/// what neither the old nor the new configuration admits, and touches
/// nothing conduitc does not own on the device (see each backend's module
/// documentation and `docs/cli.md`).
///
/// On `nftables` and `nftables-json` the full build *is* the transition:
/// it replaces `table inet conduit` in one transaction whatever the table
/// held, so `previous` is not read and the output is what [`emit_with`]
/// writes.
///
/// PREVIOUS that cannot be read is [`EmitError::Previous`] (`E816`); a
/// deletion that configuration outside conduitc's ownership would notice
/// is [`EmitError::InUse`] (`E817`). Both, like every other refusal, come
/// before the first byte is written.
pub fn emit_transition(
    rules: &RuleSet,
    target: Target,
    opts: &EmitOptions,
    previous: &str,
    out: &mut dyn Write,
) -> Result<(), EmitError> {
    match target {
        Target::CiscoIos => cisco_ios::transition_to(rules, opts.ios_form(), previous, out),
        Target::Fortios => fortios::transition_to(rules, previous, out),
        Target::Nftables | Target::NftablesJson => emit_with(rules, target, opts, out),
    }
}

/// [`emit_transition`], collected in memory.
pub fn emit_transition_string(
    rules: &RuleSet,
    target: Target,
    opts: &EmitOptions,
    previous: &str,
) -> Result<String, EmitError> {
    let mut buf = Vec::new();
    emit_transition(rules, target, opts, previous, &mut buf)?;
    String::from_utf8(buf).map_err(|_| EmitError::BadName {
        target: target.as_str(),
        message: "refusing to emit non-ASCII text".to_string(),
    })
}

/// [`emit_with`], collected in memory.
pub fn emit_string_with(
    rules: &RuleSet,
    target: Target,
    opts: &EmitOptions,
) -> Result<String, EmitError> {
    let mut buf = Vec::new();
    emit_with(rules, target, opts, &mut buf)?;
    String::from_utf8(buf).map_err(|_| EmitError::BadName {
        target: target.as_str(),
        message: "refusing to emit non-ASCII text".to_string(),
    })
}
