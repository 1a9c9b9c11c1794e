//! The policy an editor is looking at: every `.conduit` file of the
//! workspace folders, open documents taking the place of what is on disk,
//! checked as one policy, with its names indexed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::check::{check, CheckOptions, Checked};
use crate::model::Date;
use std::io::Read as _;

use crate::limits::MAX_FILE_BYTES;
use crate::source::{FileId, LoadIssue, Sources, Span};
use crate::syntax::{self, ast::File};

use super::index::Index;
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
    /// The files that parsed.
    pub(crate) files: Vec<File>,
    /// Their names.
    pub(crate) index: Index,
    /// The check's diagnostics and, without errors, the policy.
    pub(crate) checked: Checked,
}

impl Analysis {
    /// Parses, indexes and checks `texts` (path to text, in path order),
    /// naming each file by its path relative to the first root that holds it.
    pub(crate) fn new(
        texts: &BTreeMap<PathBuf, Vec<u8>>,
        roots: &[PathBuf],
        today: Date,
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
        let lines = sources.iter().map(|(_, f)| Lines::new(f.text())).collect();
        let files: Vec<File> = sources
            .iter()
            .filter(|(_, f)| f.issue().is_none())
            .filter_map(|(id, _)| syntax::parse(&sources, id).file)
            .collect();
        let index = Index::new(&files);
        let checked = check(&sources, &CheckOptions::new(today));
        Analysis {
            sources,
            paths,
            lines,
            bom,
            files,
            index,
            checked,
        }
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
