//! Policy sources: bytes on disk (or in memory) become checked UTF-8 text
//! with a line index, addressed by [`FileId`] and [`Span`].
//!
//! Loading follows language.md: a path is a file, or a directory searched
//! recursively for `*.conduit` files, read in byte-wise order of their path
//! relative to that directory. Inside a directory, symbolic links to files
//! are followed only when the file they resolve to lies inside the same
//! directory; symbolic links to directories are not followed (a link cycle
//! cannot hang the loader). A `*.conduit` entry that is not a regular file
//! (a FIFO, socket or device), or a link that leaves the directory, is
//! refused without being opened.
//!
//! A path named on the command line may be a symbolic link anywhere, but
//! must resolve to a regular file or a directory; anything else is refused
//! before it is opened, so a FIFO cannot block the loader. On Unix, files
//! are also opened non-blocking and checked again through the open handle,
//! so a file swapped for a FIFO in between is refused too; a file found in a
//! directory is opened at the path it was judged by, without following a
//! link put in its place.
//!
//! What can go wrong is split in two, as cli.md's exit codes are:
//! - a path that does not exist or cannot be read is a [`LoadError`]
//!   (exit 2);
//! - a file that was read but breaks a documented limit (not UTF-8, a NUL
//!   byte, over the file size limit, or taking the whole policy over the
//!   policy size limit: [`MAX_FILE_BYTES`](crate::limits::MAX_FILE_BYTES) and [`MAX_POLICY_BYTES`](crate::limits::MAX_POLICY_BYTES) unless
//!   the set was made with other [`Limits`]), a directory
//!   without a `.conduit` file, or an entry of a directory that was refused
//!   (a link leaving it, a special file) is kept as a [`SourceFile`] with a
//!   [`LoadIssue`], which the checker reports as a policy error (exit 1).
//!
//! No more than the limits is ever read: a file is read up to one byte past
//! what the limits still allow, and once the policy is over its limit the
//! files after it are opened (so that a missing one is still reported) but
//! not read.
//!
//! Offsets are `u32` bytes; the file size limit (at most
//! [`FILE_BYTES_CEILING`](crate::limits::FILE_BYTES_CEILING)) keeps them in range. Lines
//! and columns are 1-based, and columns count Unicode scalar values. A
//! leading UTF-8 byte-order mark is dropped; line ends may be `\n` or `\r\n` (a
//! lone `\r` is refused when the text is parsed).
//!
//! This module uses nothing else from the crate but [`crate::limits`].

use std::fmt;
use std::fs;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use thiserror::Error;

use crate::limits::Limits;

/// True for the bidirectional controls, which change the order in which
/// text around them is displayed: U+202A to U+202E (embeddings and
/// overrides), U+2066 to U+2069 (isolates), U+200E and U+200F (marks) and
/// U+061C (the Arabic letter mark).
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// True for the zero-width characters that display as nothing: U+200B to
/// U+200D (space, non-joiner, joiner), U+2060 (word joiner) and U+FEFF
/// (a byte-order mark anywhere but at the very start of a file).
pub(crate) fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// A file known to a [`Sources`] set. Cheap to copy; meaningless across sets.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct FileId(u32);

impl FileId {
    /// The first file of any set.
    pub const FIRST: FileId = FileId(0);
    /// The position of the file in its [`Sources`], in load order.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A byte range `start..end` in one source file, on UTF-8 boundaries.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte (equal to `start` for a point).
    pub end: u32,
}

impl Span {
    /// A span from byte offsets, clamped into `u32`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        let clamp = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Span {
            file,
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }
    /// The zero-width span at the start of `file`.
    pub fn point(file: FileId, at: usize) -> Span {
        Span::new(file, at, at)
    }
    /// The byte range.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
    /// The smallest span covering `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Why a file that was read cannot be used as policy text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadIssue {
    /// The bytes are not UTF-8; `offset` is the first bad byte. The file's
    /// text holds the valid prefix.
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The text contains a NUL byte at `offset`. The file's text holds what
    /// precedes it.
    Nul {
        /// Byte offset of the NUL.
        offset: usize,
    },
    /// The file is larger than the file size limit ([`MAX_FILE_BYTES`](crate::limits::MAX_FILE_BYTES)
    /// unless set otherwise); its text is empty.
    TooLarge {
        /// Size in bytes (at least the limit plus one).
        size: u64,
    },
    /// The file takes the policy's files together over the policy size
    /// limit ([`MAX_POLICY_BYTES`](crate::limits::MAX_POLICY_BYTES) unless set otherwise), or comes after one
    /// that did; its text is empty.
    PolicyTooLarge,
    /// A directory given on the command line holds no `*.conduit` file.
    /// The entry's path is the directory and its text is empty.
    EmptyDirectory,
    /// A symbolic link found in a directory resolves to a file outside that
    /// directory. It was not opened; its text is empty.
    LinkOutsideDirectory {
        /// What the link says (its target as written).
        target: PathBuf,
        /// The directory given on the command line.
        directory: PathBuf,
    },
    /// A `*.conduit` entry found in a directory (or the file a link there
    /// resolves to) is a FIFO, socket or device. It was not opened; its
    /// text is empty.
    SpecialFile {
        /// `a FIFO`, `a socket`, `a character device`, ...
        kind: &'static str,
    },
}

/// One loaded file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: String,
    path: Option<PathBuf>,
    text: String,
    /// Where lines and characters start, built when a position is first
    /// asked for (a policy that checks clean never needs it).
    index: OnceLock<LineIndex>,
    issue: Option<LoadIssue>,
}

/// The positions [`SourceFile::line_col`] and the renderers look up.
#[derive(Clone, Debug)]
struct LineIndex {
    /// Offset of each line's first byte.
    line_starts: Vec<u32>,
    /// Number of characters before each multiple of [`CHAR_STEP`] bytes,
    /// so that a column on a long line costs at most one step to count.
    char_marks: Vec<u32>,
}

/// Bytes between the entries of [`LineIndex::char_marks`].
const CHAR_STEP: usize = 4096;

/// True for a byte that starts a UTF-8 character.
fn starts_char(b: u8) -> bool {
    b & 0xC0 != 0x80
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(
                text.match_indices('\n')
                    .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
            )
            .collect();
        let mut char_marks = Vec::with_capacity(text.len() / CHAR_STEP + 1);
        let mut chars = 0u32;
        for block in text.as_bytes().chunks(CHAR_STEP) {
            char_marks.push(chars);
            let n = block.iter().filter(|b| starts_char(**b)).count();
            chars = chars.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        }
        LineIndex {
            line_starts,
            char_marks,
        }
    }
}

impl SourceFile {
    fn new(name: String, path: Option<PathBuf>, text: String, issue: Option<LoadIssue>) -> Self {
        SourceFile {
            name,
            path,
            text,
            index: OnceLock::new(),
            issue,
        }
    }
    /// The line index, built on first use.
    fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }
    /// Number of characters in `text[..byte]` (`byte` a char boundary).
    fn chars_before(&self, byte: usize) -> usize {
        let block = byte / CHAR_STEP;
        let base = self
            .index()
            .char_marks
            .get(block)
            .map_or(0, |&n| n as usize);
        let from = (block * CHAR_STEP).min(byte);
        base + self
            .text
            .as_bytes()
            .get(from..byte)
            .map_or(0, |b| b.iter().filter(|b| starts_char(**b)).count())
    }
    /// The name shown in diagnostics: the path as given, plus the path
    /// inside a directory (`policy/zones.conduit`), or a memory source's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The file on disk, if it came from disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
    /// The text (empty or a valid prefix when [`issue`](Self::issue) is set).
    pub fn text(&self) -> &str {
        &self.text
    }
    /// Why the file cannot be used, if it cannot.
    pub fn issue(&self) -> Option<&LoadIssue> {
        self.issue.as_ref()
    }
    /// The 0-based line index of a byte offset.
    pub(crate) fn line_index(&self, byte: usize) -> usize {
        let byte = u32::try_from(byte).unwrap_or(u32::MAX);
        self.index()
            .line_starts
            .partition_point(|&s| s <= byte)
            .saturating_sub(1)
    }
    /// The number of lines (one more than the number of `\n`).
    pub(crate) fn line_count(&self) -> usize {
        self.index().line_starts.len()
    }
    /// The byte range of a 0-based line, including its newline.
    pub(crate) fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let lines = &self.index().line_starts;
        let start = *lines.get(line)? as usize;
        let end = lines.get(line + 1).map_or(self.text.len(), |&e| e as usize);
        Some(start..end)
    }
    /// 1-based line and column (in Unicode scalar values) of a byte offset.
    /// Offsets past the end map to the end of the text.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let line = self.line_index(byte);
        let start = self
            .index()
            .line_starts
            .get(line)
            .map_or(0, |&s| s as usize);
        let col = if self.text.is_char_boundary(byte) {
            self.chars_before(byte) - self.chars_before(start)
        } else {
            byte - start
        };
        (line + 1, col + 1)
    }
}

/// Why a policy path could not be read at all (exit status 2).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The path does not exist (`conduitc check nosuch.conduit`).
    #[error("`{}`: no such file or directory", shown(path))]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The path exists but reading it failed (no permission, ...).
    #[error("`{}`: cannot read: {source}", shown(path))]
    Unreadable {
        /// The path that failed.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The path names a FIFO, socket or device (also through a symbolic
    /// link): refused without opening it.
    #[error(
        "`{}` is {kind}, not a regular file or a directory; policy files must be regular files",
        shown(path)
    )]
    NotRegularFile {
        /// The path as given.
        path: PathBuf,
        /// `a FIFO`, `a socket`, `a character device`, ...
        kind: &'static str,
    },
}

/// A path for a message, control characters escaped (a file name could
/// otherwise write escape sequences to the terminal).
fn shown(path: &Path) -> String {
    escape_control(&path.to_string_lossy())
}

/// `text` with every character that could change a terminal's state or
/// hide or reorder text written as `\u{..}`: C0 controls but tab and line
/// feed, DEL, C1 controls, bidirectional controls, zero-width characters,
/// and the line and paragraph separators. A backslash stays as it is.
pub(crate) fn escape_control(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// True for the characters [`escape_control`] escapes.
pub(crate) fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || is_bidi_control(c)
        || is_zero_width(c)
        || c == '\u{2028}'
        || c == '\u{2029}'
}

/// Appends `c`, escaped as `\u{1b}` when [`needs_escape`] says so.
pub(crate) fn push_escaped(out: &mut String, c: char) {
    if needs_escape(c) {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    } else {
        out.push(c);
    }
}

/// The set of files that make up one policy, in load order.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
    /// Bytes of usable text so far (files without an issue).
    bytes: u64,
    /// The policy went over its size limit.
    over: bool,
    /// The size limits files are read with.
    limits: Limits,
}

impl Sources {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set whose files are read with `limits` (file and policy
    /// size; the declaration count is the checker's, see
    /// [`CheckOptions::with_limits`](crate::CheckOptions::with_limits)).
    ///
    /// ```
    /// use conduitc::{limits::Limits, source::LoadIssue, Sources};
    ///
    /// let mut sources = Sources::with_limits(Limits::default().max_file_bytes(16));
    /// let id = sources.add_memory("big.conduit", "# more than sixteen bytes\n");
    /// assert_eq!(sources.get(id).unwrap().issue(), Some(&LoadIssue::TooLarge { size: 26 }));
    /// ```
    pub fn with_limits(limits: Limits) -> Self {
        Sources {
            limits,
            ..Sources::default()
        }
    }

    /// The size limits files are read with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A set holding one in-memory file.
    ///
    /// ```
    /// let sources = conduitc::Sources::from_memory("plant.conduit", "# nothing yet\n");
    /// assert_eq!(sources.len(), 1);
    /// ```
    pub fn from_memory(name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut s = Sources::new();
        s.add_memory(name, text);
        s
    }

    /// Loads every path: a file, or a directory searched recursively for
    /// `*.conduit` files in byte-wise order of their relative path.
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Sources, LoadError> {
        Sources::load_with_limits(paths, Limits::default())
    }

    /// [`load`](Self::load), with the file and policy size limits of `limits`.
    pub fn load_with_limits<P: AsRef<Path>>(
        paths: &[P],
        limits: Limits,
    ) -> Result<Sources, LoadError> {
        let mut s = Sources::with_limits(limits);
        for p in paths {
            s.add_path(p.as_ref())?;
        }
        Ok(s)
    }

    /// Adds an in-memory text.
    pub fn add_memory(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let text: String = text.into();
        self.add_bytes(name, None, text.into_bytes())
    }

    /// Adds raw bytes (from disk, git or memory), applying the same checks
    /// as loading a file: size, UTF-8 and NUL.
    pub fn add_bytes(
        &mut self,
        name: impl Into<String>,
        path: Option<PathBuf>,
        bytes: Vec<u8>,
    ) -> FileId {
        let size = bytes.len() as u64;
        let (text, issue) = if size > self.limits.file_bytes() {
            (String::new(), Some(LoadIssue::TooLarge { size }))
        } else if self.over || self.bytes + size > self.limits.policy_bytes() {
            self.over = true;
            (String::new(), Some(LoadIssue::PolicyTooLarge))
        } else {
            match String::from_utf8(bytes) {
                Ok(mut text) => {
                    // A leading byte-order mark (as some Windows editors
                    // write) is not part of the policy; spans count from
                    // after it, reported byte offsets from the file's start.
                    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
                    text.drain(..bom);
                    match text.find('\0') {
                        Some(at) => (
                            text.get(..at).unwrap_or_default().to_string(),
                            Some(LoadIssue::Nul { offset: at + bom }),
                        ),
                        None => (text, None),
                    }
                }
                Err(e) => {
                    let offset = e.utf8_error().valid_up_to();
                    let bytes = e.into_bytes();
                    let prefix = String::from_utf8_lossy(bytes.get(..offset).unwrap_or_default());
                    (prefix.into_owned(), Some(LoadIssue::InvalidUtf8 { offset }))
                }
            }
        };
        self.push(SourceFile::new(name.into(), path, text, issue))
    }

    fn push(&mut self, file: SourceFile) -> FileId {
        if file.issue.is_none() {
            self.bytes += file.text.len() as u64;
        }
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    /// Adds a file, or every `*.conduit` file below a directory. A path
    /// that is (or links to) a FIFO, socket or device is refused unopened.
    pub fn add_path(&mut self, path: &Path) -> Result<(), LoadError> {
        let meta = fs::metadata(path).map_err(|e| io_error(path, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            collect_dir(path, &mut found)?;
            // Byte-wise order of the path relative to the directory given.
            found.sort_by(|a, b| a.0.cmp(&b.0));
            if found.is_empty() {
                self.push(SourceFile::new(
                    display_path(path),
                    Some(path.to_path_buf()),
                    String::new(),
                    Some(LoadIssue::EmptyDirectory),
                ));
            }
            for (_, file, entry) in found {
                match entry {
                    Entry::Read(from) => self.add_file(&file, &from, Follow::No)?,
                    Entry::Refused(issue) => {
                        self.push(SourceFile::new(
                            display_path(&file),
                            Some(file),
                            String::new(),
                            Some(issue),
                        ));
                    }
                }
            }
            Ok(())
        } else if meta.is_file() {
            self.add_file(path, path, Follow::Yes)
        } else {
            Err(LoadError::NotRegularFile {
                path: path.to_path_buf(),
                kind: file_kind(&meta),
            })
        }
    }

    /// Reads the file shown as `path` from `from` (the same path, or for a
    /// link found in a directory the file it resolves to).
    fn add_file(&mut self, path: &Path, from: &Path, follow: Follow) -> Result<(), LoadError> {
        let file = open_regular(from, follow).map_err(|e| match e {
            LoadError::NotRegularFile { kind, .. } => LoadError::NotRegularFile {
                path: path.to_path_buf(),
                kind,
            },
            LoadError::Unreadable { source, .. } => LoadError::Unreadable {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })?;
        let name = display_path(path);
        if self.over {
            self.push(SourceFile::new(
                name,
                Some(path.to_path_buf()),
                String::new(),
                Some(LoadIssue::PolicyTooLarge),
            ));
            return Ok(());
        }
        let mut bytes = Vec::new();
        // Read at most one byte past the limits: a huge file costs nothing.
        let max_file = self.limits.file_bytes();
        let allowed = max_file.min(self.limits.policy_bytes().saturating_sub(self.bytes));
        file.take(allowed.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(path, e))?;
        if bytes.len() as u64 > max_file {
            let size = fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
            self.push(SourceFile::new(
                name,
                Some(path.to_path_buf()),
                String::new(),
                Some(LoadIssue::TooLarge {
                    size: size.max(max_file.saturating_add(1)),
                }),
            ));
            return Ok(());
        }
        self.add_bytes(name, Some(path.to_path_buf()), bytes);
        Ok(())
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }
    /// True when no file was loaded.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
    /// Every file id, in load order.
    pub fn ids(&self) -> impl Iterator<Item = FileId> + '_ {
        (0..self.files.len()).map(|i| FileId(i as u32))
    }
    /// The file with this id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.index())
    }
    /// Every file with its id, in load order.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> + '_ {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
    /// The text a span covers (empty when out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or_default()
    }
    /// The file name shown for a span.
    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("<unknown>", |f| f.name())
    }
    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, id: FileId, byte: u32) -> (usize, usize) {
        self.get(id).map_or((1, 1), |f| f.line_col(byte as usize))
    }
    /// Paths of the files read from disk, in load order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|f| {
                !matches!(
                    f.issue,
                    Some(
                        LoadIssue::EmptyDirectory
                            | LoadIssue::LinkOutsideDirectory { .. }
                            | LoadIssue::SpecialFile { .. }
                    )
                )
            })
            .filter_map(|f| f.path.clone())
            .collect()
    }
}

fn io_error(path: &Path, e: std::io::Error) -> LoadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        LoadError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        LoadError::Unreadable {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

fn display_path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// What kind of non-regular file `meta` describes, for messages.
fn file_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// Whether opening a file may follow a symbolic link in its last component.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Follow {
    /// A path named on the command line.
    Yes,
    /// A file found in a directory, already resolved: a link put in its
    /// place meanwhile is not followed.
    No,
}

/// Opens a file for reading that was found to be a regular file, and checks
/// again through the handle. On Unix the file is opened non-blocking, so
/// that a FIFO put in its place meanwhile cannot block the open, and with
/// [`Follow::No`] a link put in its place is not followed.
fn open_regular(path: &Path, follow: Follow) -> Result<fs::File, LoadError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if follow == Follow::No {
            libc::O_NOFOLLOW
        } else {
            0
        };
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow);
    }
    #[cfg(not(unix))]
    let _ = follow;
    let file = options.open(path).map_err(|e| io_error(path, e))?;
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    if meta.is_file() {
        Ok(file)
    } else {
        Err(LoadError::NotRegularFile {
            path: path.to_path_buf(),
            kind: file_kind(&meta),
        })
    }
}

/// What to do with a `*.conduit` entry found below a directory.
enum Entry {
    /// Read it from this path (the entry, or the file a link resolves to).
    Read(PathBuf),
    /// Refuse it, unopened.
    Refused(LoadIssue),
}

/// One `*.conduit` entry found below a directory: its path relative to the
/// directory (bytes, for ordering), its full path, and what to do with it.
type Found = (Vec<u8>, PathBuf, Entry);

/// Collects every `*.conduit` entry below `root`, walking with an explicit
/// stack. Regular files are kept; symbolic links are kept when they resolve
/// to a regular file inside `root`, refused when they resolve outside it,
/// and skipped when they resolve to a directory or nothing; FIFOs, sockets
/// and devices are refused. Nothing is opened here.
fn collect_dir(root: &Path, found: &mut Vec<Found>) -> Result<(), LoadError> {
    let canonical_root = fs::canonicalize(root).map_err(|e| io_error(root, e))?;
    let mut stack: Vec<(PathBuf, Vec<u8>)> = vec![(root.to_path_buf(), Vec::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| io_error(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&dir, e))?;
            let path = entry.path();
            let file_type = entry.file_type().map_err(|e| io_error(&path, e))?;
            let mut child_rel = rel.clone();
            if !child_rel.is_empty() {
                child_rel.push(b'/');
            }
            child_rel.extend_from_slice(entry.file_name().as_encoded_bytes());
            if file_type.is_dir() {
                stack.push((path, child_rel));
                continue;
            }
            if path.extension().is_none_or(|e| e != "conduit") {
                continue;
            }
            if file_type.is_file() {
                let from = path.clone();
                found.push((child_rel, path, Entry::Read(from)));
                continue;
            }
            if !file_type.is_symlink() {
                let kind = entry.metadata().map_or("a special file", |m| file_kind(&m));
                found.push((
                    child_rel,
                    path,
                    Entry::Refused(LoadIssue::SpecialFile { kind }),
                ));
                continue;
            }
            // A link: judged by where it resolves to, never by its content.
            let Ok(target) = fs::canonicalize(&path) else {
                // Dangling, or a loop: there is nothing to read.
                continue;
            };
            if !target.starts_with(&canonical_root) {
                let written = fs::read_link(&path).unwrap_or(target);
                found.push((
                    child_rel,
                    path,
                    Entry::Refused(LoadIssue::LinkOutsideDirectory {
                        target: written,
                        directory: root.to_path_buf(),
                    }),
                ));
                continue;
            }
            match fs::metadata(&target) {
                Ok(m) if m.is_file() => found.push((child_rel, path, Entry::Read(target))),
                Ok(m) if m.is_dir() => {}
                Ok(m) => found.push((
                    child_rel,
                    path,
                    Entry::Refused(LoadIssue::SpecialFile {
                        kind: file_kind(&m),
                    }),
                )),
                Err(_) => {}
            }
        }
    }
    Ok(())
}

impl<'a> codespan_reporting::files::Files<'a> for Sources {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id)
            .map(|f| f.name.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id)
            .map(|f| f.text.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        self.get(id)
            .map(|f| f.line_index(byte_index))
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<Range<usize>, codespan_reporting::files::Error> {
        let f = self
            .get(id)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        f.line_range(line_index)
            .ok_or(codespan_reporting::files::Error::LineTooLarge {
                given: line_index,
                max: f.line_count().saturating_sub(1),
            })
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_scalar_values() {
        let s = Sources::from_memory("t", "ab\nçd é\n");
        let id = FileId(0);
        assert_eq!(s.line_col(id, 0), (1, 1));
        assert_eq!(s.line_col(id, 3), (2, 1));
        // `é` starts at byte 3 + 2 (ç) + 1 (d) + 1 (space) = 7: column 4.
        assert_eq!(s.line_col(id, 7), (2, 4));
        assert_eq!(s.line_col(id, 100), (3, 1));
    }

    #[test]
    fn columns_on_long_lines_count_characters_across_steps() {
        let line = "é".repeat(5000) + "x" + &"ü".repeat(3000);
        let text = format!("a\n{line}\n");
        let s = Sources::from_memory("t", text.clone());
        let x = text.find('x').unwrap();
        assert_eq!(s.line_col(FileId(0), x as u32), (2, 5001));
        let end = text.len() - 1;
        assert_eq!(s.line_col(FileId(0), end as u32), (2, 8002));
    }

    #[test]
    fn flags_nul_and_invalid_utf8_with_offsets() {
        let mut s = Sources::new();
        let a = s.add_bytes("a", None, b"zone\0x".to_vec());
        let b = s.add_bytes("b", None, b"ok \xff rest".to_vec());
        assert_eq!(
            s.get(a).unwrap().issue(),
            Some(&LoadIssue::Nul { offset: 4 })
        );
        assert_eq!(s.get(a).unwrap().text(), "zone");
        assert_eq!(
            s.get(b).unwrap().issue(),
            Some(&LoadIssue::InvalidUtf8 { offset: 3 })
        );
        assert_eq!(s.get(b).unwrap().text(), "ok ");
    }

    #[test]
    fn directory_is_read_in_bytewise_relative_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a")).unwrap();
        fs::create_dir_all(root.join("a-b")).unwrap();
        fs::write(root.join("a/x.conduit"), "").unwrap();
        fs::write(root.join("a-b/x.conduit"), "").unwrap();
        fs::write(root.join("B.conduit"), "").unwrap();
        fs::write(root.join("notes.txt"), "").unwrap();
        let s = Sources::load(&[root]).unwrap();
        let names: Vec<String> = s
            .iter()
            .map(|(_, f)| {
                f.path()
                    .unwrap()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        assert_eq!(names, ["B.conduit", "a-b/x.conduit", "a/x.conduit"]);
    }
}
