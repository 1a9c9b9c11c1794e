//! The policy an editor is looking at: every `.conduit` file of the
//! workspace folders, open documents taking the place of what is on disk,
//! checked as one policy, with its names indexed.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::check::{check_trees, CheckOptions, Checked};
use crate::diag::Diagnostic;
use crate::model::Date;
use std::io::Read as _;

use crate::limits::MAX_FILE_BYTES;
use crate::source::{FileId, LoadIssue, Sources, Span};
use crate::syntax::{self, ast::File};

use super::index::Index;
use super::reparse::reparse;
use super::text::{Encoding, Lines};

/// One analysis of the workspace's current text.
pub(crate) struct Analysis {
    /// The files, in path order.
    pub(crate) sources: Sources,
    /// Each file's path, by file id.
    pub(crate) paths: Vec<PathBuf>,
    /// Each file's line starts, by file id.
    lines: Vec<Lines>,
    /// Each file's text begins with a byte-order mark that the sources
    /// leave out.
    bom: Vec<bool>,
    /// The files that parsed, in file order.
    pub(crate) files: Vec<File>,
    /// Each file's syntax diagnostics, by file id (empty for a file with a
    /// load issue, which is not parsed).
    pub(crate) syntax: Vec<Vec<Diagnostic>>,
    /// Their names, indexed when first asked for: an edit's diagnostics
    /// do not wait for it.
    index: OnceCell<Index>,
    /// The check's diagnostics and, without errors, the policy.
    pub(crate) checked: Checked,
    /// How many files were parsed for this analysis (the others were
    /// taken from the previous one).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests"))]
    pub(crate) parsed: usize,
    /// How many of those were parsed in part, the rest of their tree taken
    /// from the previous analysis (see [`reparse`]).
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests"))]
    pub(crate) spliced: usize,
}

impl Analysis {
    /// Parses, indexes and checks `texts` (path to text, in path order),
    /// naming each file by its path relative to the first root that holds it.
    ///
    /// A file whose path, position and text are those of a file of
    /// `previous` is not parsed again: its tree, syntax diagnostics and line
    /// starts move over from `previous`, which is left without them.
    pub(crate) fn new(
        texts: &BTreeMap<PathBuf, Vec<u8>>,
        roots: &[PathBuf],
        today: Date,
        previous: Option<&mut Analysis>,
    ) -> Analysis {
        let mut sources = Sources::new();
        let mut paths = Vec::new();
        let mut bom = Vec::new();
        for (path, bytes) in texts {
            let name = roots
                .iter()
                .find_map(|r| path.strip_prefix(r).ok())
                .map_or_else(
                    || path.display().to_string(),
                    |rel| rel.display().to_string(),
                );
            bom.push(bytes.starts_with("\u{feff}".as_bytes()));
            sources.add_bytes(name, Some(path.clone()), bytes.clone());
            paths.push(path.clone());
        }
        // What the previous analysis can give: per file id, its tree, its
        // syntax diagnostics and its line starts, when the file is the same.
        let mut old_trees: HashMap<FileId, File> = HashMap::new();
        let mut old_syntax = Vec::new();
        let mut old_lines = Vec::new();
        let mut same = vec![false; paths.len()];
        // Per file id, the previous text of a file at the same path that
        // had no load issue: an edited file is re-parsed from it.
        let mut old_texts: Vec<Option<&str>> = vec![None; paths.len()];
        if let Some(prev) = previous {
            old_trees = std::mem::take(&mut prev.files)
                .into_iter()
                .map(|f| (f.file, f))
                .collect();
            old_syntax = std::mem::take(&mut prev.syntax);
            old_lines = std::mem::take(&mut prev.lines);
            let prev: &Analysis = prev;
            for (id, f) in sources.iter() {
                let i = id.index();
                let old = prev
                    .sources
                    .get(id)
                    .filter(|p| prev.paths.get(i) == paths.get(i) && p.issue().is_none())
                    .map(|p| p.text());
                same[i] = f.issue().is_none() && old.is_some_and(|p| p == f.text());
                if let Some(t) = old_texts.get_mut(i) {
                    *t = old;
                }
            }
        }
        let mut old_syntax = old_syntax.into_iter();
        let mut old_lines = old_lines.into_iter();
        let mut files = Vec::new();
        let mut syntax = Vec::new();
        let mut lines = Vec::new();
        let mut parsed = 0;
        let mut spliced = 0;
        for (id, f) in sources.iter() {
            let i = id.index();
            let (diags, old_line) = (old_syntax.next(), old_lines.next());
            let was_clean = diags.as_ref().is_some_and(Vec::is_empty);
            if same.get(i).copied().unwrap_or(false) {
                if let (Some(diags), Some(old_line)) = (diags, old_line) {
                    if let Some(tree) = old_trees.remove(&id) {
                        files.push(tree);
                    }
                    syntax.push(diags);
                    lines.push(old_line);
                    continue;
                }
            }
            lines.push(Lines::new(f.text()));
            if f.issue().is_some() {
                syntax.push(Vec::new());
                continue;
            }
            parsed += 1;
            // An edited file that parsed cleanly before: only the
            // declarations the edit touches are parsed again.
            let old_text = old_texts.get(i).copied().flatten();
            let old_tree = old_trees.remove(&id);
            if let (Some(old_text), Some(tree), true) = (old_text, old_tree, was_clean) {
                if let Some(tree) = reparse(id, old_text, tree, f.text()) {
                    spliced += 1;
                    files.push(tree);
                    syntax.push(Vec::new());
                    continue;
                }
            }
            let p = syntax::parse_text(id, f.text());
            files.extend(p.file);
            syntax.push(p.diagnostics);
        }
        let checked = check_trees(
            &sources,
            &files,
            syntax.iter().flatten().cloned().collect(),
            &CheckOptions::new(today),
        );
        Analysis {
            sources,
            paths,
            lines,
            bom,
            files,
            syntax,
            index: OnceCell::new(),
            checked,
            parsed,
            spliced,
        }
    }

    /// The names of the files that parsed.
    pub(crate) fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::new(&self.files))
    }

    /// The file id of `path`.
    pub(crate) fn file(&self, path: &Path) -> Option<FileId> {
        let i = self.paths.iter().position(|p| p == path)?;
        self.sources.ids().nth(i)
    }

    /// The path of a file.
    pub(crate) fn path(&self, id: FileId) -> Option<&Path> {
        self.paths.get(id.index()).map(PathBuf::as_path)
    }

    /// The text of a file as the sources hold it.
    pub(crate) fn text(&self, id: FileId) -> &str {
        self.sources.get(id).map_or("", |f| f.text())
    }

    /// A position in the editor's terms.
    pub(crate) fn position(&self, id: FileId, offset: usize, enc: Encoding) -> (u32, u32) {
        let Some(lines) = self.lines.get(id.index()) else {
            return (0, 0);
        };
        let (line, mut col) = lines.position(self.text(id), offset, enc);
        if line == 0 && self.bom.get(id.index()).copied().unwrap_or(false) {
            col += match enc {
                Encoding::Utf8 => 3,
                Encoding::Utf16 => 1,
            };
        }
        (line, col)
    }

    /// A byte offset from the editor's position.
    pub(crate) fn offset(&self, id: FileId, line: u32, mut character: u32, enc: Encoding) -> usize {
        let Some(lines) = self.lines.get(id.index()) else {
            return 0;
        };
        if line == 0 && self.bom.get(id.index()).copied().unwrap_or(false) {
            character = character.saturating_sub(match enc {
                Encoding::Utf8 => 3,
                Encoding::Utf16 => 1,
            });
        }
        lines.offset(self.text(id), line, character, enc)
    }

    /// The range of a span in the editor's terms.
    pub(crate) fn range(&self, span: Span, enc: Encoding) -> ((u32, u32), (u32, u32)) {
        (
            self.position(span.file, span.start as usize, enc),
            self.position(span.file, span.end as usize, enc),
        )
    }
}

/// Reads every `.conduit` file under `root` as `Sources::load` finds them
/// (the same limits, links and order), as raw bytes so that a file the
/// check refuses is still reported.
pub(crate) fn read_folder(root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(sources) = Sources::load(&[root]) else {
        return;
    };
    for (_, f) in sources.iter() {
        let Some(path) = f.path() else { continue };
        if path.is_dir() {
            continue;
        }
        // Read again as bytes (a byte-order mark kept), bounded as the
        // load is; a file the load refused for what it is, not for its
        // content, stays out.
        match f.issue() {
            None
            | Some(LoadIssue::InvalidUtf8 { .. })
            | Some(LoadIssue::Nul { .. })
            | Some(LoadIssue::TooLarge { .. }) => {}
            Some(_) => continue,
        }
        let mut bytes = Vec::new();
        let read = std::fs::File::open(path)
            .and_then(|file| file.take(MAX_FILE_BYTES + 4).read_to_end(&mut bytes));
        if read.is_err() {
            continue;
        }
        out.insert(path.to_path_buf(), bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::index::Kind;

    fn texts(a: &str, b: &str) -> BTreeMap<PathBuf, Vec<u8>> {
        BTreeMap::from([
            (PathBuf::from("/ws/a.conduit"), a.as_bytes().to_vec()),
            (PathBuf::from("/ws/b.conduit"), b.as_bytes().to_vec()),
        ])
    }

    #[test]
    fn only_the_files_that_changed_are_parsed_again() {
        let roots = [PathBuf::from("/ws")];
        let today = Date::parse("2026-12-01").unwrap();
        let a = "owner ops { contact \"c\" }\nzone z { level 1 owner ops networks 10.0.0.0/16 host h = 10.0.0.1 }\n";
        let b = "zone y { level 2 owner ops networks 10.1.0.0/16 }\n";
        let mut first = Analysis::new(&texts(a, b), &roots, today, None);
        assert_eq!(first.parsed, 2);
        assert!(!first.checked.diagnostics.has_errors());
        // `b` gains an unknown owner; `a` is taken over as it was.
        let b2 = "zone y { level 2 owner nobody networks 10.1.0.0/16 }\n";
        let mut second = Analysis::new(&texts(a, b2), &roots, today, Some(&mut first));
        assert_eq!(second.parsed, 1);
        assert_eq!(second.files.len(), 2);
        assert_eq!(second.checked.diagnostics.error_count(), 1);
        assert_eq!(second.index().decls(Kind::Member, "z.h").len(), 1);
        // A syntax error in `a` is kept when only `b` changes again.
        let a3 = "zone z { level }\n";
        let mut third = Analysis::new(&texts(a3, b2), &roots, today, Some(&mut second));
        assert_eq!(third.parsed, 1);
        let fourth = Analysis::new(&texts(a3, b), &roots, today, Some(&mut third));
        assert_eq!(fourth.parsed, 1);
        assert_eq!(fourth.files.len(), 1);
        assert_eq!(
            fourth.checked.diagnostics.codes(),
            third.checked.diagnostics.codes()
        );
        assert!(fourth.checked.diagnostics.has_errors());
        // A file added before the others shifts their ids: all are parsed.
        let mut t = texts(a3, b);
        t.insert(PathBuf::from("/ws/0.conduit"), b"# nothing\n".to_vec());
        let mut fourth = fourth;
        let fifth = Analysis::new(&t, &roots, today, Some(&mut fourth));
        assert_eq!(fifth.parsed, 3);
    }
}
