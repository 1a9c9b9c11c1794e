//! The comment table as the layout sees it: each comment with its byte
//! range, its text without trailing blanks, and whether it sits on a line of
//! its own. Comments are handed out by byte range, each exactly once, so
//! that the layout can claim the comments inside an attribute before it
//! sorts out the ones between attributes.

use crate::syntax::ast;

/// One comment of the file.
pub(super) struct Note {
    /// First byte (`#`).
    pub(super) start: usize,
    /// The text from `#`, trailing spaces and tabs removed.
    pub(super) text: String,
    /// Nothing but blanks precedes it on its line.
    pub(super) own_line: bool,
    /// Claimed by some place in the layout.
    taken: bool,
}

/// Every comment of one file, in source order.
pub(super) struct Comments<'t> {
    text: &'t str,
    notes: Vec<Note>,
}

impl<'t> Comments<'t> {
    pub(super) fn new(text: &'t str, comments: &[ast::Comment]) -> Self {
        let mut notes: Vec<Note> = comments
            .iter()
            .map(|c| {
                let start = c.span.start as usize;
                Note {
                    start,
                    text: c.text.trim_end_matches([' ', '\t']).to_string(),
                    own_line: own_line(text, start),
                    taken: false,
                }
            })
            .collect();
        notes.sort_by_key(|n| n.start);
        Comments { text, notes }
    }

    /// The comment with this index.
    pub(super) fn get(&self, i: usize) -> &Note {
        &self.notes[i]
    }

    /// Claims every comment not yet claimed that starts in `lo..hi`, in
    /// source order.
    pub(super) fn take(&mut self, lo: usize, hi: usize) -> Vec<usize> {
        let first = self.notes.partition_point(|n| n.start < lo);
        let mut out = Vec::new();
        for (i, n) in self.notes.iter_mut().enumerate().skip(first) {
            if n.start >= hi {
                break;
            }
            if !n.taken {
                n.taken = true;
                out.push(i);
            }
        }
        out
    }

    /// True when a blank line separates `pos` from whatever precedes it.
    pub(super) fn blank_before(&self, pos: usize) -> bool {
        blank_before(self.text, pos)
    }

    /// True when every comment has been claimed.
    pub(super) fn all_taken(&self) -> bool {
        self.notes.iter().all(|n| n.taken)
    }
}

/// True when only spaces and tabs precede `pos` on its line.
fn own_line(text: &str, pos: usize) -> bool {
    let before = text.get(..pos).unwrap_or_default();
    for c in before.chars().rev() {
        match c {
            ' ' | '\t' => continue,
            '\n' | '\r' => return true,
            _ => return false,
        }
    }
    true
}

/// True when the whitespace right before `pos` holds two or more line ends
/// (`\n`, `\r\n` or a lone `\r` each count once), that is a blank line.
pub(super) fn blank_before(text: &str, pos: usize) -> bool {
    let before = text.get(..pos).unwrap_or_default();
    let mut breaks = 0;
    let mut after_is_lf = false;
    for c in before.chars().rev() {
        match c {
            ' ' | '\t' => after_is_lf = false,
            '\n' => {
                breaks += 1;
                after_is_lf = true;
            }
            '\r' => {
                if !after_is_lf {
                    breaks += 1;
                }
                after_is_lf = false;
            }
            _ => break,
        }
        if breaks >= 2 {
            return true;
        }
    }
    false
}

/// The position of the next token at or after `pos`: blanks, line ends and
/// comments skipped.
pub(super) fn next_token(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(pos) {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => pos += 1,
            b'#' => {
                while let Some(&b) = bytes.get(pos) {
                    if b == b'\n' || b == b'\r' {
                        break;
                    }
                    pos += 1;
                }
            }
            _ => break,
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_count_every_line_ending_style() {
        assert!(!blank_before("a\nb", 2));
        assert!(blank_before("a\n\nb", 3));
        assert!(blank_before("a\n  \n  b", 7));
        assert!(!blank_before("a\r\nb", 3));
        assert!(blank_before("a\r\n\r\nb", 5));
        assert!(blank_before("a\r\rb", 3));
    }

    #[test]
    fn own_line_and_next_token() {
        assert!(own_line("  # x", 2));
        assert!(!own_line("a # x", 2));
        assert!(own_line("a\n\t# x", 3));
        assert_eq!(next_token("a # c\n  {", 1), 8);
        assert_eq!(next_token("  ", 0), 2);
    }
}
