//! conduitc compiles a plant's zone-and-conduit segmentation policy
//! (IEC 62443, Purdue model) into firewall configuration.
//!
//! The pipeline runs one way: text ([`Sources`]) → checked model
//! ([`mod@check`], [`model`]) → lowered rule set ([`mod@lower`]) → target
//! text ([`backend`]). [`mod@decide`] is the reference semantics the
//! lowering and every backend are tested against: it reads the checked model
//! alone and shares no code with the lowering, only the packet and decision
//! types.
//!
//! The whole front end in memory, from text to a lowered rule set:
//!
//! ```
//! use conduitc::{check, lower, BuildOptions, CheckOptions, Sources};
//! use conduitc::model::Date;
//!
//! let text = r#"
//! owner plant-ops { contact "ot@example.com" }
//! zone supervisory { level 2 owner plant-ops networks 10.20.0.0/24 host scada = 10.20.0.10 }
//! zone control { level 1 owner plant-ops networks 10.1.10.0/24 group plcs = 10.1.10.0/28 }
//! conduit supervisory-control {
//!   zones supervisory, control
//!   owner plant-ops
//!   flow poll-plcs {
//!     from supervisory.scada
//!     to control.plcs
//!     service modbus
//!     reason "SCADA polls the line PLCs"
//!   }
//! }
//! "#;
//! let today = Date::parse("2026-12-01").unwrap();
//! let sources = Sources::from_memory("plant.conduit", text);
//! let checked = check(&sources, &CheckOptions::new(today));
//! assert!(checked.diagnostics.is_empty());
//! let policy = checked.policy.expect("no errors");
//! let rules = lower(&policy, &BuildOptions::new(today)).unwrap();
//! assert!(rules.rules.iter().any(|r| r.name == "supervisory-control/poll-plcs"));
//! ```
//!
//! # The public API
//!
//! The `conduitc` command is built on this API alone. What is public, by
//! module:
//!
//! - [`source`]: [`Sources`], the policy text, read from files and
//!   directories ([`Sources::load`]) or held in memory
//!   ([`Sources::from_memory`]); [`Span`]s into it.
//! - [`mod@check`]: [`check()`] a policy into a [`Checked`] (the model and
//!   its [`Diagnostics`]); [`Checked::into_result`] turns a failed check
//!   into a [`CheckFailed`] error. [`parse`] reports the syntax errors
//!   only, for editors.
//! - [`diag`]: diagnostics as data ([`Diagnostic`], [`Code`], [`Severity`])
//!   and their renderings (`diag::render`: text, JSON, SARIF).
//! - [`model`]: the checked policy ([`Policy`]) and its value types, among
//!   them [`model::Date`] (which parses from `YYYY-MM-DD`).
//! - [`mod@lower`]: [`lower()`] a policy into a [`RuleSet`] for one
//!   firewall or isolation mode ([`BuildOptions`]).
//! - [`backend`]: emit a rule set as a [`backend::Target`]'s text, to a
//!   `String` ([`backend::emit`]) or to any `std::io::Write`
//!   ([`backend::emit_to`]).
//! - [`mod@decide`]: the policy's decision for one [`Packet`]
//!   ([`Packet::from_names`] takes protocol and ICMP type names).
//! - [`mod@diff`]: what changed between two versions of a policy, in access
//!   and in declarations, and whose approval that needs.
//! - [`formatter`], [`graph`], [`attack_paths`]: `conduitc fmt`, `graph` and
//!   `paths` as functions.
//! - [`observe`]: firewall and sensor logs reconciled with the policy, as
//!   `conduitc observe` ([`observe::Observer`]).
//! - [`verify`]: what a device's nftables ruleset admits compared with what
//!   the policy allows, as `conduitc verify` ([`verify::verify`]).
//! - [`explain`]: a code's explanation, as `conduitc explain` prints it.
//! - [`expect`]: assertions about what must and must not be reachable
//!   (`conduitc test`), judged by set algebra over the lowered rules.
//! - [`locate`]: where a firewall or a flow is declared, for messages about
//!   a name after the check.
//! - `lsp` (feature `lsp`): the language server, as `conduitc lsp`
//!   (`lsp::run_stdio`).
//! - [`platform`]: what each firewall platform can express; [`limits`]: the
//!   documented input and output limits; [`suggest`]: the "did you mean"
//!   matcher.
//!
//! The syntax tree, the parser and the internals of checking, lowering and
//! the backends are private: they change without notice, and a new release
//! of the parser generator is not a breaking change of this crate. None of
//! these compiles:
//!
//! ```compile_fail,E0603
//! use conduitc::syntax::ast::File;
//! ```
//! ```compile_fail,E0603
//! use conduitc::syntax::Rule;
//! ```
//! ```compile_fail,E0603
//! use conduitc::backend::cisco_ios;
//! ```
//! ```compile_fail,E0603
//! use conduitc::source::needs_escape;
//! ```
//!
//! Option structs and result types are `#[non_exhaustive]`, so a new field
//! is not a breaking change: build options with their constructors and
//! setters (`CheckOptions::new(today)`,
//! `BuildOptions::new(today).firewall("fw")`) and read results by field.
//! docs/library.md has the details.
//!
//! # Features
//!
//! - `cli` (default): the `conduitc` command's dependencies.
//! - `lsp` (default): the language server (`conduitc lsp`), built on the
//!   `lsp-server` and `lsp-types` crates.
//! - `nftables-json` (default): the `nftables-json` target, built on the
//!   `nftables` crate. Without it the target still exists, and emitting it
//!   is [`backend::EmitError::NotBuilt`].
//!
//! The minimum supported Rust version is 1.88.
//!
//! # An embedder's program, start to end
//!
//! ```
#![doc = include_str!("../examples/embed.rs")]
//! ```

#![forbid(unsafe_code)]

pub mod attack_paths;
pub mod backend;
pub mod check;
pub mod decide;
pub mod diag;
pub mod diff;
pub mod expect;
pub mod explain;
pub mod formatter;
pub mod graph;
pub mod limits;
pub mod locate;
pub mod lower;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod model;
pub mod observe;
mod semantics;
pub mod source;
pub mod suggest;
mod syntax;
pub mod verify;

pub use check::{check, parse, CheckFailed, CheckOptions, Checked};
pub use decide::decide;
pub use diag::{Code, Diagnostic, Diagnostics, Label, Severity};
pub use diff::{diff, DiffOptions, Report};
pub use lower::{lower, RuleSet};
pub use model::{platform, Policy};
pub use semantics::{protocol_number, BadPacket, BuildOptions, Decision, LowerError, Packet};
pub use source::{FileId, LoadError, Sources, Span};
/// The fast reader of the grammar against pest on `text`, for the
/// `parse_fast` fuzz target (built with `--cfg fuzzing` only).
#[cfg(fuzzing)]
pub use syntax::fast_reader_agrees;

/// Loads `paths` (files, or directories searched for `*.conduit`) and
/// checks them as one policy.
///
/// A path that cannot be read is a [`LoadError`]; everything wrong with the
/// policy itself, limits included, is in the returned diagnostics.
pub fn load_and_check<P: AsRef<std::path::Path>>(
    paths: &[P],
    opts: &CheckOptions,
) -> Result<Checked, LoadError> {
    let sources = Sources::load(paths)?;
    Ok(check(&sources, opts))
}
