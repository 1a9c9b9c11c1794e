//! conduitc compiles a plant's zone-and-conduit segmentation policy
//! (IEC 62443, Purdue model) into firewall configuration.
//!
//! The pipeline runs one way: text → syntax tree with spans ([`syntax`]) →
//! checked model ([`mod@check`], [`model`]) → lowered rule set ([`mod@lower`]) →
//! target text ([`backend`]). [`mod@decide`] is the reference semantics the
//! lowering and every backend are tested against: it reads the checked model
//! alone and shares no code with the lowering, only the types of
//! [`semantics`].
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

#![forbid(unsafe_code)]

pub mod backend;
pub mod check;
pub mod decide;
pub mod diag;
pub mod diff;
pub mod formatter;
pub mod graph;
pub mod limits;
pub mod lower;
pub mod model;
pub mod paths;
pub mod platform;
mod semantics;
pub mod source;
pub mod suggest;
mod syntax;

pub use check::{check, CheckOptions, Checked};
pub use decide::decide;
pub use diag::{Code, Diagnostic, Diagnostics, Label, Severity};
pub use diff::{diff, DiffOptions, Report};
pub use lower::{lower, RuleSet};
pub use model::Policy;
pub use semantics::{BuildOptions, Decision, LowerError, Packet};
pub use source::{FileId, LoadError, Sources, Span};

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
