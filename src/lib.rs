//! conduitc compiles a plant's zone-and-conduit segmentation policy
//! (IEC 62443, Purdue model) into firewall configuration.
//!
//! The pipeline runs one way: text → syntax tree with spans ([`syntax`]) →
//! checked model ([`check`], [`model`]) → lowered rule set ([`lower`]) →
//! target text ([`backend`]). [`decide`] is the reference semantics the
//! lowering and every backend are tested against.

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
pub mod source;
pub mod syntax;

pub use check::{check, CheckOptions, Checked};
pub use decide::decide;
pub use diag::{Code, Diagnostic, Diagnostics, Label, Severity};
pub use diff::{diff, DiffOptions, Report};
pub use lower::{lower, BuildOptions, Decision, LowerError, Packet, RuleSet};
pub use model::Policy;
pub use source::{FileId, LoadError, Sources, Span};
