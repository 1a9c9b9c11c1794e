//! The canonical layout (`conduitc fmt`): a file's syntax tree and comment
//! table become text in one fixed layout, keeping every comment.
//!
//! The layout:
//! - two spaces of indentation per block level; one attribute per line;
//!   `kw NAME {` on the declaration's first line and `}` alone on its last;
//!   an empty block is `kw NAME {}`;
//! - declarations stay in source order; attributes within a block are put
//!   in a canonical order, repeated attributes (hosts, groups, flows,
//!   interfaces, waivers) keeping their relative order:
//!   - owner: `name`, `contact`;
//!   - zone: `level`, `owner`, `sl`, `description`, `networks`, `host`...,
//!     `group`...;
//!   - conduit: `zones`, `owner`, `sl`, `mode`, `waive`..., `flow`...;
//!   - flow: `from`, `to`, `service`, `owner`, `reason`, `expires`,
//!     `essential`, `log`, `waive`...;
//!   - firewall: `platform`, `interface`...;
//!   - approval: `scope`, `requires`; isolation: `sever`, `reason`;
//! - blank lines: one after every block declaration and between a
//!   declaration and a block declaration that follows it; elsewhere at the
//!   top level (around comments, between `service` lines) one blank line
//!   where the source had one or more, none where it had none. Inside a
//!   block, no blank lines except one before each flow that is not the
//!   first thing in its conduit (and after the last flow, before comments
//!   that end the conduit), and single blank lines kept between comments;
//! - a list (`networks`, `host`, `group`, `zones`, `from`, `to`, `service`,
//!   `scope zone`, `scope conduit`, `requires`, `sever`, and a `service`
//!   declaration) is written on one line as `a, b, c`; when that line would
//!   be longer than 100 columns, or comments sit between its items, it is
//!   written one item per line, each item under the first;
//! - trailing comments on consecutive lines of one block are aligned two
//!   columns after the longest of those lines;
//! - strings are written with the only two escapes, `\"` and `\\`; levels,
//!   security levels, dates, modes and platforms in their one spelling;
//!   names, addresses, service specs and waiver codes as written;
//! - comments keep their text (trailing blanks removed); where each one
//!   goes is described in `layout.rs`. Lines end in `\n`, the file with one.
//!
//! A file with a syntax or literal error is never formatted: its
//! diagnostics are returned instead. After formatting, the output is parsed
//! again and compared with the input, spans and attribute order aside, and
//! its comments with the input's; if anything differs the formatter refuses
//! with an internal error (`E999`) rather than change the meaning of a file.
//!
//! Uses `syntax` (and `source`, `diag`); `model` only through the value
//! types the syntax tree holds.

mod comments;
mod layout;
mod sound;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Sources, Span};
use crate::syntax;

/// Formats the text of one policy file.
///
/// ```
/// let messy = "zone plant {networks 10.1.0.0/16   # the cell\n owner ops level 1}\n";
/// let tidy = conduitc::formatter::format_source(messy).unwrap();
/// assert_eq!(
///     tidy,
///     "zone plant {\n  level 1\n  owner ops\n  networks 10.1.0.0/16  # the cell\n}\n"
/// );
/// ```
///
/// # Errors
///
/// The diagnostics of a file that does not parse (syntax and literal
/// errors, or a file over a size limit), or an internal error when the
/// formatted text would not mean the same as the input.
pub fn format_source(text: &str) -> Result<String, Diagnostics> {
    format_file(&Sources::from_memory("<input>", text), FileId::FIRST)
}

/// Formats file `id` of `sources`; diagnostics point into `sources`.
///
/// # Errors
///
/// As [`format_source`].
pub fn format_file(sources: &Sources, id: FileId) -> Result<String, Diagnostics> {
    let Some(file) = sources.get(id) else {
        return Err(internal(id, "a file that was never loaded"));
    };
    if let Some(issue) = file.issue() {
        return Err(Diagnostics::new(vec![crate::check::load_issue(
            sources, id, issue,
        )]));
    }
    let text = file.text();
    let parsed = syntax::parse_text(id, text);
    if parsed.diagnostics.iter().any(Diagnostic::is_error) || parsed.file.is_none() {
        return Err(Diagnostics::new(parsed.diagnostics));
    }
    let Some(tree) = parsed.file else {
        return Err(Diagnostics::new(parsed.diagnostics));
    };
    let (out, all_placed) = layout::Printer::new(text, &tree).run(&tree);
    if !all_placed {
        return Err(internal(id, "a comment that found no place"));
    }
    verify(id, tree, &out)?;
    Ok(out)
}

/// The soundness check: `out` parses, holds the same comments as `tree`,
/// and has the same tree once layout is set aside.
fn verify(id: FileId, tree: syntax::ast::File, out: &str) -> Result<(), Diagnostics> {
    let again = syntax::parse_text(id, out);
    // Warnings (a bidirectional control in a comment, W110) carry over.
    let clean = !again.diagnostics.iter().any(Diagnostic::is_error);
    let Some(new_tree) = again.file.filter(|_| clean) else {
        return Err(internal(id, "text that does not parse back"));
    };
    if sound::comment_texts(&new_tree) != sound::comment_texts(&tree) {
        return Err(internal(id, "text that loses or repeats a comment"));
    }
    if sound::normalise(new_tree) != sound::normalise(tree) {
        return Err(internal(id, "text that means something else"));
    }
    Ok(())
}

fn internal(id: FileId, what: &str) -> Diagnostics {
    Diagnostics::new(vec![Diagnostic::new(
        Code::Internal,
        Span::point(id, 0),
        format!("this is a bug in conduitc: formatting produced {what}; the file is left as it is"),
    )
    .help("please report it with the file that triggers it")])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "zone z {\n  level 1  # one\n  owner o\n  networks 10.0.0.0/8\n}\n";

    fn tree() -> syntax::ast::File {
        syntax::parse_text(FileId::FIRST, TEXT).file.unwrap()
    }

    #[test]
    fn the_soundness_check_accepts_layout_changes_only() {
        let reordered = "zone z { owner o networks 10.0.0.0/8\n level 1 # one\n}";
        assert!(verify(FileId::FIRST, tree(), reordered).is_ok());
        for bad in [
            "zone z {\n  level 2  # one\n  owner o\n  networks 10.0.0.0/8\n}\n",
            "zone z {\n  level 1\n  owner o\n  networks 10.0.0.0/8\n}\n",
            "zone z {\n  level 1  # one\n  owner o\n  networks 10.0.0.0/8\n}\n# one\n",
            "zone z {\n  level 1  # one\n  owner o\n}\n",
            "zone z {\n  level 1  # one\n  owner o\n  networks 10.0.0.0/8\n",
        ] {
            let err = verify(FileId::FIRST, tree(), bad).unwrap_err();
            assert_eq!(err.codes(), [Code::Internal], "{bad}");
        }
    }
}
