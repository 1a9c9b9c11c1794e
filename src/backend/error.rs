//! The error a backend returns when it cannot emit a rule set.

use thiserror::Error;

use crate::diag::Code;
use crate::source::escape_control;

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
    /// An interface name the platform cannot hold: code `E601`, with the
    /// same sentence `check` reports, from the one rule in
    /// [`crate::model::platform`].
    #[error("{target}: {message}")]
    InterfaceName {
        /// The target.
        target: &'static str,
        /// What is wrong, as `check` says it.
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
    /// The configuration a transition starts from (`build --from
    /// PREVIOUS`) cannot be read as what this target runs, or holds
    /// something conduitc must not take over (foreign syntax, an access list
    /// bound to a firewall interface under a name conduitc does not write, an
    /// object edited by hand under a conduitc name): code `E816`. Nothing is
    /// written.
    #[error("[E816] {target}: PREVIOUS line {line}: {message}")]
    Previous {
        /// The target.
        target: &'static str,
        /// The 1-based line of PREVIOUS the problem is on; 0 when it
        /// concerns the text as a whole.
        line: usize,
        /// What is wrong, and what to do.
        message: String,
    },
    /// The transition would delete an object that configuration outside
    /// conduitc's ownership still references (an operator's policy naming a
    /// `conduit-` address): code `E817`. Nothing is written.
    #[error("[E817] {target}: PREVIOUS line {line}: {message}")]
    InUse {
        /// The target.
        target: &'static str,
        /// The 1-based line of PREVIOUS holding the reference.
        line: usize,
        /// Which object, referenced by what, and what to do.
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
    /// The diagnostic code of the error: `E601`, `E605` and `E606` for what
    /// `check` also reports on firewalls, `E811`-`E813` and `E816`-`E817`
    /// for the rest.
    pub fn code(&self) -> Code {
        match self {
            EmitError::Unsupported { .. } => Code::TargetCannotExpress,
            EmitError::BadName { .. } => Code::TargetRefusesName,
            EmitError::InterfaceName { .. } => Code::InvalidInterfaceName,
            EmitError::Protocol { .. } => Code::ProtocolNotExpressible,
            EmitError::TooLarge { .. } => Code::IosAclTooLarge,
            EmitError::NotBuilt { .. } => Code::TargetCannotExpress,
            EmitError::Io { .. } => Code::OutputNotWritten,
            EmitError::Previous { .. } => Code::PreviousUnreadable,
            EmitError::InUse { .. } => Code::PreviousObjectInUse,
        }
    }

    /// The line of PREVIOUS an `E816`/`E817` error is on (1-based), when
    /// it is on one.
    pub fn previous_line(&self) -> Option<usize> {
        match self {
            EmitError::Previous { line, .. } | EmitError::InUse { line, .. } if *line > 0 => {
                Some(*line)
            }
            _ => None,
        }
    }

    /// The message without the code, for a diagnostic that carries the
    /// code itself (`error[E605]: ...`); the rule's name in backticks.
    pub fn message(&self) -> String {
        match self {
            EmitError::Protocol {
                target,
                rule,
                proto,
                why,
            } => format!(
                "{target} cannot express ip/{proto} in `{}` ({why})",
                escape_control(rule)
            ),
            EmitError::TooLarge { target, message }
            | EmitError::BadName { target, message }
            | EmitError::InterfaceName { target, message } => {
                format!("{target}: {message}")
            }
            EmitError::Unsupported { target, what } => format!("{target} cannot express {what}"),
            EmitError::NotBuilt { .. } => self.to_string(),
            EmitError::Io { target, message } => format!("writing {target} output: {message}"),
            EmitError::Previous {
                target, message, ..
            }
            | EmitError::InUse {
                target, message, ..
            } => format!("{target}: {message}"),
        }
    }
}
