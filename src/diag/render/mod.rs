//! Renderers: diagnostics to text (for people), JSON (for tools) and SARIF
//! 2.1.0 (for code-scanning dashboards). Positions are computed here, from
//! the [`Sources`] line index, so every format counts lines and columns the
//! same way: 1-based, columns in Unicode scalar values. No format copies
//! source text per diagnostic, and none writes a raw control, bidirectional
//! or zero-width character: text escapes them as `\u{1b}`, JSON and SARIF
//! as `\u001b`.

pub mod ci;
mod json;
mod sarif;
mod text;

pub use json::json;
pub use sarif::{sarif, sarif_error};
pub use text::{text, text_one, MAX_SHOWN, SNIPPET_COLUMNS, WINDOW_COLUMNS};

use serde::Serialize;

use crate::source::{needs_escape, Sources, Span};

/// The `"format_version"` every JSON document of the command line carries
/// first (docs/schema/): a major version. Within a version, changes are
/// additive only (new fields, new values of an open enumeration); removing
/// or renaming a field, or changing its type or meaning, raises it.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Versioned<'a, T: Serialize> {
    format_version: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// A value that serialises as a JSON object, as pretty-printed JSON with
/// `"format_version"` ([`FORMAT_VERSION`]) as its first field, ending in a
/// newline, with invisible characters escaped.
pub fn versioned_json<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(&Versioned {
        format_version: FORMAT_VERSION,
        body: value,
    })?;
    s.push('\n');
    Ok(json_safe(s))
}

/// As [`versioned_json`], on one line.
pub fn versioned_json_line<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string(&Versioned {
        format_version: FORMAT_VERSION,
        body: value,
    })?;
    s.push('\n');
    Ok(json_safe(s))
}

/// Serialised JSON with every character that [`needs_escape`] names and
/// serde_json leaves as it is (DEL, C1 controls, bidirectional controls,
/// zero-width characters, U+2028 and U+2029) written as a `\uXXXX` escape:
/// the same JSON value, safe to print on a terminal. Such characters occur
/// only inside strings, since the structure is ASCII.
pub(crate) fn json_safe(s: String) -> String {
    if !s.chars().any(needs_escape) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// 1-based `(line, column)` of a span's start and end (end exclusive).
pub(crate) fn position(sources: &Sources, span: Span) -> ((usize, usize), (usize, usize)) {
    (
        sources.line_col(span.file, span.start),
        sources.line_col(span.file, span.end),
    )
}

#[cfg(test)]
mod tests {
    use super::json_safe;

    #[test]
    fn json_keeps_its_value_and_loses_raw_invisible_characters() {
        let value = "a\u{7f}b\u{9b}c\u{202e}d\u{200b}e\u{2028}f\u{1b}";
        let raw = serde_json::to_string_pretty(&serde_json::json!({ "m": value })).unwrap();
        let safe = json_safe(raw);
        assert!(!safe.chars().any(crate::source::needs_escape), "{safe:?}");
        assert!(
            safe.contains("a\\u007fb\\u009bc\\u202ed\\u200be\\u2028f\\u001b"),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["m"], value);
    }
}
