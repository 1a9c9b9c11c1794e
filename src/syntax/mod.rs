//! Syntax: text becomes a typed tree with spans ([`ast`]); no name
//! resolution, no semantics.
//!
//! Before the grammar, a lexical pass refuses a lone carriage return
//! (`E113`) and bidirectional controls or zero-width characters outside
//! strings and comments (`E114`), and warns about bidirectional controls in
//! comments (`W110`); a file with such an error is not parsed.
//!
//! The grammar is `grammar/conduit.pest`. pest does not recover from a
//! syntax error, so a file with one yields that single diagnostic (`E101`
//! or `E102`) and no tree. Literal values are checked while the tree is
//! built, and each bad literal is reported with its own code, so one file
//! can yield several of those. The checker does not run on a policy any of
//! whose files has a syntax or literal error: a half-read policy would cause
//! misleading follow-on errors.
//!
//! Text without errors takes a fast path (`fast`): a hand-written reader
//! of the same grammar that builds the same tree directly. At the first
//! thing it does not accept it gives up, and the text is parsed again by
//! pest and the tree builder, which word the diagnostics.
//!
//! Tree building is in `build`, the checks of literal values in `literal`,
//! the collection of comments in `comments`, and the wording of pest's
//! errors in `error`.
//!
//! Uses [`crate::source`], [`crate::diag`], [`crate::suggest`] and the
//! model's plain value types (`Level`, `Date`, `Mode`, `Platform`,
//! `LevelOp`); nothing from `check`, `lower` or `backend`.

pub mod ast;
mod build;
mod comments;
mod error;
mod fast;
mod lexical;
mod literal;
mod parser;
#[cfg(feature = "lsp")]
pub(crate) mod shift;

pub use parser::{ConduitParser, Rule};

use pest::Parser as _;

use crate::diag::Diagnostic;
use crate::source::{FileId, Sources};

/// The result of parsing one file.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The tree, unless the file has a syntax error.
    pub file: Option<ast::File>,
    /// Syntax and literal errors.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one file of `sources`. A file id not in `sources` parses as empty.
pub fn parse(sources: &Sources, id: FileId) -> Parsed {
    let text = sources.get(id).map_or("", |f| f.text());
    parse_text(id, text)
}

/// Parses `text` as the file `id`.
pub fn parse_text(id: FileId, text: &str) -> Parsed {
    let lexical = lexical::scan(id, text);
    if lexical.iter().any(Diagnostic::is_error) {
        return Parsed {
            file: None,
            diagnostics: lexical,
        };
    }
    let mut parsed = parse_grammar(id, text);
    parsed.diagnostics.extend(lexical);
    parsed
}

fn parse_grammar(id: FileId, text: &str) -> Parsed {
    let mut builder = build::Builder::new(id);
    if let Some(decls) = fast::decls(&mut builder, text) {
        return Parsed {
            file: Some(ast::File {
                file: id,
                decls,
                comments: comments::comments(id, text),
            }),
            diagnostics: Vec::new(),
        };
    }
    parse_pest(id, text)
}

/// The fast reader against pest on `text`, for the `parse_fast` fuzz
/// target: `Ok(true)` when the fast path took the text (and pest gives the
/// same tree and comments without a diagnostic), `Ok(false)` when it gave
/// up on text pest does not accept cleanly, `Err` naming the disagreement.
#[cfg(fuzzing)]
pub fn fast_reader_agrees(text: &str) -> Result<bool, String> {
    let id = FileId::FIRST;
    let fast = fast::decls(&mut build::Builder::new(id), text);
    let slow = parse_pest(id, text);
    let clean = slow.diagnostics.is_empty();
    match (fast, slow.file) {
        (Some(decls), Some(file)) if clean => {
            if decls != file.decls {
                return Err("the trees differ".to_string());
            }
            if comments::comments(id, text) != file.comments {
                return Err("the comments differ".to_string());
            }
            Ok(true)
        }
        (Some(_), _) => Err("the fast path accepts what pest does not".to_string()),
        (None, Some(_)) if clean => Err("the fast path gives up on clean text".to_string()),
        (None, _) => Ok(false),
    }
}

/// The grammar run by pest and the tree built from its pairs: the path for
/// text the fast path gives up on, and the one that words syntax errors.
fn parse_pest(id: FileId, text: &str) -> Parsed {
    match ConduitParser::parse(Rule::file, text) {
        Ok(mut pairs) => match pairs.next() {
            Some(file) => {
                let (file, diagnostics) = build::Builder::new(id).file(text, file);
                Parsed {
                    file: Some(file),
                    diagnostics,
                }
            }
            None => Parsed {
                file: Some(ast::File {
                    file: id,
                    decls: Vec::new(),
                    comments: Vec::new(),
                }),
                diagnostics: Vec::new(),
            },
        },
        Err(e) => Parsed {
            file: None,
            diagnostics: vec![error::from_pest(&e, id, text)],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal names and strings of a file share one copy of their text, and
    /// lists hold no spare room, on both paths (the fast reader and pest).
    #[test]
    fn a_file_holds_each_name_and_string_once() {
        let text = "zone plant { level 1 owner ops networks 10.1.0.0/16 host plc = 10.1.0.5 }\n\
                    conduit c { zones plant, dmz owner ops\n\
                    flow f { from dmz.plc to plant.plc service modbus reason \"why\" waive W101 \"why\" } }\n";
        let fast = parse_text(FileId::FIRST, text);
        let slow = parse_pest(FileId::FIRST, text);
        assert!(fast.diagnostics.is_empty() && slow.diagnostics.is_empty());
        for file in [fast.file, slow.file] {
            let file = file.unwrap_or_else(|| unreachable!());
            let ast::Decl::Conduit(c) = &file.decls[1] else {
                unreachable!()
            };
            let ast::ConduitAttr::Flow(f) = &c.attrs[2].value else {
                unreachable!()
            };
            let (ast::FlowAttr::From(from), ast::FlowAttr::To(to)) =
                (&f.attrs[0].value, &f.attrs[1].value)
            else {
                unreachable!()
            };
            let ast::Decl::Zone(z) = &file.decls[0] else {
                unreachable!()
            };
            let same = |a: &str, b: &str| std::ptr::eq(a.as_ptr(), b.as_ptr());
            assert!(same(&z.name.text, &to[0].zone.text));
            assert!(same(
                &from[0]
                    .member
                    .as_ref()
                    .unwrap_or_else(|| unreachable!())
                    .text,
                &to[0].member.as_ref().unwrap_or_else(|| unreachable!()).text
            ));
            let (ast::FlowAttr::Reason(r), ast::FlowAttr::Waive(w)) =
                (&f.attrs[3].value, &f.attrs[4].value)
            else {
                unreachable!()
            };
            assert!(same(&r.value, &w.reason.value));
        }
        let file = parse_text(FileId::FIRST, text)
            .file
            .unwrap_or_else(|| unreachable!());
        let ast::Decl::Conduit(c) = &file.decls[1] else {
            unreachable!()
        };
        let ast::ConduitAttr::Flow(f) = &c.attrs[2].value else {
            unreachable!()
        };
        let ast::FlowAttr::From(from) = &f.attrs[0].value else {
            unreachable!()
        };
        assert_eq!(from.capacity(), 1, "a one-item list holds no spare room");
        assert_eq!(f.attrs.capacity(), f.attrs.len());
    }
}
