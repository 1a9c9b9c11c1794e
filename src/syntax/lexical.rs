//! A pass over the characters of a file before the grammar sees it, for
//! text that would read differently to a person than to the parser:
//!
//! - a carriage return not followed by a line feed, anywhere (`E113`): a
//!   terminal returns to the start of the line, so text after it covers
//!   the text before it, and a `#` comment could hide policy;
//! - a bidirectional control or zero-width character outside strings and
//!   comments (`E114`): names and keywords are ASCII, and such a character
//!   makes the text display differently from what is parsed;
//! - a bidirectional control in a comment (`W110`).
//!
//! Strings are left to the tree builder, which refuses the same characters
//! inside them with `E108`. Each kind is reported once per file, at its
//! first occurrence, with the number of further ones: a file full of them
//! costs one diagnostic, not one per character.

use crate::diag::{Code, Diagnostic};
use crate::source::{is_bidi_control, is_zero_width, FileId, Span};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    Str,
    Comment,
}

/// The first occurrence of one kind, and how many there are.
#[derive(Default)]
struct Seen {
    first: Option<(usize, char)>,
    count: usize,
}

impl Seen {
    fn add(&mut self, at: usize, c: char) {
        if self.first.is_none() {
            self.first = Some((at, c));
        }
        self.count += 1;
    }
}

/// True for a byte that may start a character the pass looks at outside
/// strings: `"`, `#`, `\r`, and the lead bytes of U+061C (`D8`), of U+200B
/// to U+206F (`E2`) and of U+FEFF (`EF`).
fn stops_code(b: u8) -> bool {
    matches!(b, b'"' | b'#' | b'\r' | 0xD8 | 0xE2 | 0xEF)
}

/// [`stops_code`] inside a string: its end, an escape, or a carriage return.
fn stops_str(b: u8) -> bool {
    matches!(b, b'"' | b'\n' | b'\\' | b'\r')
}

/// [`stops_code`] inside a comment: its end, a carriage return, or the lead
/// byte of a bidirectional control.
fn stops_comment(b: u8) -> bool {
    matches!(b, b'\n' | b'\r' | 0xD8 | 0xE2)
}

/// The lexical findings of `text`, in order of code.
///
/// A byte scan: between the bytes that can matter in the current state
/// (see [`stops_code`]), nothing is decoded.
pub(crate) fn scan(file: FileId, text: &str) -> Vec<Diagnostic> {
    // Every finding is a carriage return or a character outside ASCII:
    // two fast passes clear most files.
    if text.is_ascii() && !text.as_bytes().contains(&b'\r') {
        return Vec::new();
    }
    let mut cr = Seen::default();
    let mut invisible = Seen::default();
    let mut comment_bidi = Seen::default();
    let mut state = State::Code;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let mut rest = bytes.get(i..).unwrap_or_default().iter();
        let next = match state {
            State::Code => rest.position(|&b| stops_code(b)),
            State::Str => rest.position(|&b| stops_str(b)),
            State::Comment => rest.position(|&b| stops_comment(b)),
        };
        match next {
            Some(n) => i += n,
            None => break,
        }
        let b = bytes[i];
        if b == b'\r' {
            if bytes.get(i + 1) != Some(&b'\n') {
                cr.add(i, '\r');
            }
            i += 1;
            continue;
        }
        if b >= 0x80 {
            // A lead byte (the text is UTF-8 and `i` is at a character).
            let c = text.get(i..).and_then(|t| t.chars().next()).unwrap_or('\0');
            match state {
                State::Code if is_bidi_control(c) || is_zero_width(c) => invisible.add(i, c),
                State::Comment if is_bidi_control(c) => comment_bidi.add(i, c),
                _ => {}
            }
            i += c.len_utf8();
            continue;
        }
        match (state, b) {
            (State::Code, b'"') => state = State::Str,
            (State::Code, b'#') => state = State::Comment,
            (State::Str, b'"' | b'\n') | (State::Comment, b'\n') => state = State::Code,
            // An escape takes the next character, unless it ends the line.
            (State::Str, b'\\') if bytes.get(i + 1).is_some_and(|&n| n != b'\n' && n != b'\r') => {
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    let more = |n: usize, what: &str| match n {
        0 | 1 => String::new(),
        2 => format!(" (and 1 more {what} in this file)"),
        n => format!(" (and {} more {what}s in this file)", n - 1),
    };
    let mut out = Vec::new();
    if let Some((at, _)) = cr.first {
        out.push(
            Diagnostic::new(
                Code::LoneCarriageReturn,
                Span::new(file, at, at + 1),
                format!(
                    "carriage return (U+000D) not followed by a line feed{}",
                    more(cr.count, "carriage return")
                ),
            )
            .label("lone carriage return")
            .help("a terminal shows the text after it over the text before it; remove it, or end the line with `\\n`"),
        );
    }
    if let Some((at, c)) = invisible.first {
        out.push(
            Diagnostic::new(
                Code::InvisibleCharacter,
                Span::new(file, at, at + c.len_utf8()),
                format!(
                    "{} U+{:04X} outside a string or comment{}",
                    kind(c),
                    c as u32,
                    more(invisible.count, "such character")
                ),
            )
            .label("invisible character")
            .help("names and keywords are plain ASCII; delete the character"),
        );
    }
    if let Some((at, c)) = comment_bidi.first {
        out.push(
            Diagnostic::new(
                Code::BidiInComment,
                Span::new(file, at, at + c.len_utf8()),
                format!(
                    "comment holds the bidirectional control U+{:04X}{}",
                    c as u32,
                    more(comment_bidi.count, "bidirectional control")
                ),
            )
            .label("changes how the text around it is displayed")
            .help("remove it unless the comment needs right-to-left text"),
        );
    }
    out
}

fn kind(c: char) -> &'static str {
    if is_bidi_control(c) {
        "bidirectional control"
    } else {
        "zero-width character"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<Code> {
        scan(FileId::FIRST, text).iter().map(|d| d.code).collect()
    }

    #[test]
    fn crlf_is_a_line_end_and_a_lone_cr_is_not() {
        assert!(codes("zone a {\r\n}\r\n# c\r\n").is_empty());
        assert_eq!(codes("# note\rzone a {}\n"), [Code::LoneCarriageReturn]);
        assert_eq!(codes("x\r"), [Code::LoneCarriageReturn]);
        assert_eq!(codes("\"a\rb\"\n"), [Code::LoneCarriageReturn]);
    }

    #[test]
    fn invisible_characters_by_place() {
        assert_eq!(codes("zone a\u{200B}b {}"), [Code::InvisibleCharacter]);
        assert_eq!(codes("zone a\u{202E} {}"), [Code::InvisibleCharacter]);
        // In a string: the builder's E108.
        assert!(codes("reason \"a\u{202E}b\"").is_empty());
        assert!(codes("reason \"a\\\"\u{202E}\"").is_empty());
        // In a comment: bidi warns, zero-width is allowed.
        assert_eq!(codes("# a\u{2067}b\nzone a {}"), [Code::BidiInComment]);
        assert!(codes("# a\u{200B}b\n").is_empty());
        // A comment ends at its line; the next line is code again.
        assert_eq!(codes("# a\n\u{200F}"), [Code::InvisibleCharacter]);
    }

    #[test]
    fn each_kind_is_reported_once_with_a_count() {
        let d = scan(FileId::FIRST, "a\rb\rc\rd");
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains("and 2 more carriage returns"),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].primary.span.range(), 1..2);
    }
}
