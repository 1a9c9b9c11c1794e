//! Renderers: diagnostics to text (for people), JSON (for tools) and SARIF
//! 2.1.0 (for code-scanning dashboards). Positions are computed here, from
//! the [`Sources`] line index, so every format counts lines and columns the
//! same way: 1-based, columns in Unicode scalar values.

mod json;
mod sarif;
mod text;

pub use json::json;
pub use sarif::sarif;
pub use text::{text, text_one};

use crate::source::{Sources, Span};

/// 1-based `(line, column)` of a span's start and end (end exclusive).
pub(crate) fn position(sources: &Sources, span: Span) -> ((usize, usize), (usize, usize)) {
    (
        sources.line_col(span.file, span.start),
        sources.line_col(span.file, span.end),
    )
}
