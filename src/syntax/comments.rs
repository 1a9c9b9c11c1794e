//! Comments, collected for the formatter: a byte scan of the text, not a
//! walk of the tree.

use super::ast::Comment;
use crate::source::{FileId, Span};

/// Every comment of a text that parsed: a `#` outside a string runs to the
/// end of the line. (In text the grammar accepts, `#` occurs only in
/// comments and strings, and `"` only in strings and comments.) A byte scan
/// is much cheaper than walking every pair of the tree.
pub(super) fn comments(file: FileId, text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    if !bytes.contains(&b'#') {
        return out;
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'#' => {
                // To the end of the line, `\n` or `\r\n` (as the grammar
                // has it: a lone `\r` does not end a comment).
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                let end = if i > start && bytes[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                out.push(Comment {
                    span: Span::new(file, start, end),
                    text: text.get(start..end).unwrap_or_default().to_string(),
                });
            }
            _ => i += 1,
        }
    }
    out
}
