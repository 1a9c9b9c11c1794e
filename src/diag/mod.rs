//! Diagnostics as data: what is wrong, where, and how to fix it.
//!
//! The checker builds each [`Diagnostic`] completely where it finds the
//! problem (code, message, labels, help); [`render`] turns a list of them
//! into text (codespan-reporting), JSON or SARIF at the edge. Severity comes
//! from the [`Code`] table, so errors and warnings share one type and one
//! sorted list.
//!
//! Message style: one line, lowercase, no final period, user input in
//! backticks; further sentences go into `help`.

mod code;
pub mod render;

pub use code::{Code, Severity};

use crate::source::{escape_control, Span};

/// A span with a short message (`first declared here`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What about it (may be empty).
    pub message: String,
}

impl Label {
    /// A label.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// One finding about a policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Stable code; severity, slug and explanation come from it.
    pub code: Code,
    /// One line: lowercase, no final period, user input in backticks.
    pub message: String,
    /// The offending span.
    pub primary: Label,
    /// Related places ("first declared here").
    pub secondary: Vec<Label>,
    /// The fix, when one is obvious.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with an unlabelled primary span.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            primary: Label::new(span, ""),
            secondary: Vec::new(),
            help: None,
        }
    }
    /// Sets the primary label's message.
    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }
    /// Adds a secondary label.
    pub fn with(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, message));
        self
    }
    /// Sets the help text.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// Sets the help text when there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }
    /// Error or warning, from the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
    /// True for an error.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// A sorted, deduplicated list of diagnostics: by file, start offset, then code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Sorts and deduplicates.
    pub fn new(mut list: Vec<Diagnostic>) -> Self {
        list.sort_by(|a, b| {
            (
                a.primary.span.file,
                a.primary.span.start,
                a.code,
                &a.message,
            )
                .cmp(&(
                    b.primary.span.file,
                    b.primary.span.start,
                    b.code,
                    &b.message,
                ))
        });
        list.dedup();
        Diagnostics(list)
    }
    /// Every diagnostic, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }
    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.is_error())
    }
    /// True when some diagnostic has this code.
    pub fn contains(&self, code: Code) -> bool {
        self.0.iter().any(|d| d.code == code)
    }
    /// The codes, in order (handy in tests).
    pub fn codes(&self) -> Vec<Code> {
        self.0.iter().map(|d| d.code).collect()
    }
    /// The list.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A user's name or text as every message quotes it: in backticks, on one
/// line (`\n` and `\r` written out), other control, bidirectional and
/// zero-width characters escaped; never Rust's `{:?}` form.
pub fn quote(name: &str) -> String {
    format!(
        "`{}`",
        escape_control(&name.replace('\n', "\\n").replace('\r', "\\r"))
    )
}

/// A character as messages quote it: in backticks, escaped when it is not
/// printable ASCII.
pub fn quote_char(c: char) -> String {
    format!("`{}`", c.escape_default())
}
