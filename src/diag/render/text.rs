//! Human-readable diagnostics through codespan-reporting.
//!
//! What reaches the terminal is made safe and bounded here:
//!
//! - Every character that could change the terminal's state, or hide or
//!   reorder text, is shown escaped as `\u{1b}` (Rust's notation, lowercase
//!   hex): C0 controls but tab and line feed, DEL, C1 controls, the
//!   bidirectional controls, the zero-width characters and the line and
//!   paragraph separators. This holds for source excerpts, messages, labels,
//!   help and file names alike, so policy text cannot move the cursor,
//!   erase lines or recolour the output.
//! - A source line wider than [`SNIPPET_COLUMNS`] is cut to a window of
//!   [`WINDOW_COLUMNS`] around each label end in it; `…` marks the text left
//!   out. Line and column numbers stay those of the file.
//! - [`text`] renders at most [`MAX_SHOWN`] diagnostics and closes with one
//!   note that counts the rest, so a single line with thousands of errors
//!   costs kilobytes of output, not gigabytes.
//!
//! The excerpt codespan-reporting draws comes from a small per-diagnostic
//! view of the file ([`View`]): the lines the labels need, escaped and cut,
//! with the file's own line numbers and columns.

use std::collections::BTreeMap;
use std::ops::Range;

use codespan_reporting::diagnostic::{
    Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity,
};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor::Buffer, Config};

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::source::{escape_control, needs_escape, push_escaped, FileId, SourceFile, Sources};

/// At most this many diagnostics are rendered by [`text`]; a closing note
/// counts the others (`--format json` and `sarif` list them all).
pub const MAX_SHOWN: usize = 100;

/// A source line is shown whole when its escaped text is at most this many
/// characters wide.
pub const SNIPPET_COLUMNS: usize = 160;

/// Around each label end in a longer line, this many characters of the
/// line are shown (half before, half after).
pub const WINDOW_COLUMNS: usize = 80;

/// Renders the diagnostics, each followed by a blank line, with or without
/// ANSI colour: the first [`MAX_SHOWN`], then a note counting the others.
pub fn text(diagnostics: &Diagnostics, sources: &Sources, color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics.iter().take(MAX_SHOWN) {
        out.push_str(&text_one(d, sources, color));
    }
    let hidden: Vec<&Diagnostic> = diagnostics.iter().skip(MAX_SHOWN).collect();
    if !hidden.is_empty() {
        let errors = hidden.iter().filter(|d| d.is_error()).count();
        let warnings = hidden.len() - errors;
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let what = match (errors, warnings) {
            (e, 0) => plural(e, "error"),
            (0, w) => plural(w, "warning"),
            (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
        };
        out.push_str(&format!(
            "note: {what} more not shown (the first {MAX_SHOWN} diagnostics are); `conduitc check --format json` lists them all\n\n"
        ));
    }
    out
}

/// Renders one diagnostic.
pub fn text_one(d: &Diagnostic, sources: &Sources, color: bool) -> String {
    let severity = match d.severity() {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let config = Config::default();
    let all = std::iter::once(&d.primary).chain(&d.secondary);
    let spans: Option<Vec<(FileId, usize, usize)>> =
        all.clone().map(|l| clamp(sources, l.span)).collect();
    let Some(view) = spans
        .as_deref()
        .and_then(|spans| View::build(spans, sources, &config))
    else {
        // A span outside its files is a bug; still say what is wrong.
        return format!(
            "{}[{}]: {}\n",
            d.severity(),
            d.code,
            escape_control(&d.message)
        );
    };
    let labels: Vec<CsLabel<usize>> = all
        .zip(spans.unwrap_or_default())
        .enumerate()
        .filter_map(|(i, (l, (id, s, e)))| {
            let (file, range) = view.map(id, s..e)?;
            let label = if i == 0 {
                CsLabel::primary(file, range)
            } else {
                CsLabel::secondary(file, range)
            };
            Some(label.with_message(escape_control(&l.message)))
        })
        .collect();
    let mut cs = CsDiagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(escape_control(&d.message))
        .with_labels(labels);
    if let Some(h) = &d.help {
        cs = cs.with_notes(vec![format!("help: {}", escape_control(h))]);
    }
    let mut buf = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    if term::emit(&mut buf, &config, &view, &cs).is_err() {
        return format!(
            "{}[{}]: {}\n",
            d.severity(),
            d.code,
            escape_control(&d.message)
        );
    }
    String::from_utf8_lossy(buf.as_slice()).into_owned()
}

/// The excerpt of one file that one diagnostic shows.
struct ViewFile {
    id: FileId,
    /// The file name, escaped.
    name: String,
    /// The shown lines, escaped and cut, each ending in `\n`.
    text: String,
    /// Real 0-based line index to its range in `text`.
    lines: BTreeMap<usize, Range<usize>>,
    /// Number of lines of the real file.
    line_count: usize,
    /// Offset in `text` of each label end, with its real column (1-based).
    points: BTreeMap<usize, usize>,
    /// Real byte offset of each label end to its offset in `text`.
    mapped: BTreeMap<usize, usize>,
}

/// A per-diagnostic stand-in for [`Sources`] that codespan-reporting reads.
struct View {
    files: Vec<ViewFile>,
}

impl View {
    /// The excerpts for labels at `spans` (from [`clamp`]); `None` if a
    /// span's file is unknown.
    fn build(spans: &[(FileId, usize, usize)], sources: &Sources, config: &Config) -> Option<View> {
        // Per file: the label ends (real byte offsets).
        let mut ends: Vec<(FileId, Vec<usize>)> = Vec::new();
        for &(file, s, e) in spans {
            match ends.iter_mut().find(|(id, _)| *id == file) {
                Some((_, v)) => v.extend([s, e]),
                None => ends.push((file, vec![s, e])),
            }
        }
        let mut files = Vec::new();
        for (id, points) in ends {
            let file = sources.get(id)?;
            files.push(ViewFile::build(id, file, &points, config));
        }
        Some(View { files })
    }

    /// The view file and range for a real span.
    fn map(&self, id: FileId, range: Range<usize>) -> Option<(usize, Range<usize>)> {
        let index = self.files.iter().position(|f| f.id == id)?;
        let f = &self.files[index];
        let start = *f.mapped.get(&range.start)?;
        let end = f
            .mapped
            .get(&range.end)
            .copied()
            .unwrap_or(start)
            .max(start);
        Some((index, start..end))
    }

    fn file(&self, id: usize) -> Result<&ViewFile, FilesError> {
        self.files.get(id).ok_or(FilesError::FileMissing)
    }
}

impl ViewFile {
    fn build(id: FileId, file: &SourceFile, ends: &[usize], config: &Config) -> ViewFile {
        let text = file.text();
        let last = file.line_count().saturating_sub(1);
        // Real lines to show, with the label ends on each.
        let mut wanted: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for pair in ends.chunks(2) {
            let (s, e) = (pair[0], pair.get(1).copied().unwrap_or(pair[0]));
            let (ls, le) = (file.line_index(s), file.line_index(e));
            wanted.entry(ls).or_default().push(s);
            wanted.entry(le).or_default().push(e);
            if le > ls {
                // The context codespan-reporting draws inside a multi-line label.
                let top = (ls + config.start_context_lines + 1).min(le);
                let bottom = le.saturating_sub(config.end_context_lines + 1).max(ls);
                for l in (ls + 1..=top).chain(bottom..le) {
                    wanted.entry(l).or_default();
                }
            }
        }
        // A single line between two shown ones is drawn rather than elided.
        let fillers: Vec<usize> = wanted
            .keys()
            .map(|l| l + 1)
            .filter(|l| *l <= last)
            .collect();
        for l in fillers {
            wanted.entry(l).or_default();
        }
        let mut out = ViewFile {
            id,
            name: escape_control(file.name()),
            text: String::new(),
            lines: BTreeMap::new(),
            line_count: file.line_count(),
            points: BTreeMap::new(),
            mapped: BTreeMap::new(),
        };
        for (line, mut points) in wanted {
            let Some(range) = file.line_range(line) else {
                continue;
            };
            let raw = text.get(range.clone()).unwrap_or_default();
            let content = match raw.strip_suffix('\n') {
                Some(c) => c.strip_suffix('\r').unwrap_or(c),
                None => raw,
            };
            points.sort_unstable();
            points.dedup();
            let rel: Vec<usize> = points
                .iter()
                .map(|p| p.saturating_sub(range.start).min(content.len()))
                .collect();
            let start = out.text.len();
            let shown = cut_line(content, &rel);
            out.text.push_str(&shown.text);
            out.text.push('\n');
            out.lines.insert(line, start..out.text.len());
            for (real, (_, at)) in points.iter().zip(shown.points) {
                let (_, col) = file.line_col(*real);
                out.points.insert(start + at, col);
                out.mapped.insert(*real, start + at);
            }
        }
        out
    }
}

/// A line as shown, and where each requested point landed in it.
struct Shown {
    text: String,
    /// (byte offset in the line, offset in `text`), in order.
    points: Vec<(usize, usize)>,
}

/// How many characters `c` takes once escaped.
fn cost(c: char) -> usize {
    if needs_escape(c) {
        format!("{:x}", c as u32).len() + 4
    } else {
        1
    }
}

/// `line` escaped; when wider than [`SNIPPET_COLUMNS`], only windows of
/// [`WINDOW_COLUMNS`] around each point (byte offsets, sorted, on char
/// boundaries), joined by `…`. With no point, the start of the line.
fn cut_line(line: &str, points: &[usize]) -> Shown {
    let mut width = 0;
    let fits = line.chars().all(|c| {
        width += cost(c);
        width <= SNIPPET_COLUMNS
    });
    // Kept byte ranges of `line`, in order, not overlapping.
    let mut keep: Vec<Range<usize>> = Vec::new();
    if fits {
        keep.push(0..line.len());
    } else {
        let half = WINDOW_COLUMNS / 2;
        let anchors: Vec<usize> = if points.is_empty() {
            vec![0]
        } else {
            points.to_vec()
        };
        for p in anchors {
            let before = line.get(..p).unwrap_or_default();
            let mut used = 0;
            let mut from = p;
            for (i, c) in before.char_indices().rev() {
                used += cost(c);
                if used > half {
                    break;
                }
                from = i;
            }
            let after = line.get(p..).unwrap_or_default();
            let mut used = 0;
            let mut to = p;
            for (i, c) in after.char_indices() {
                used += cost(c);
                if used > half + if points.is_empty() { half } else { 0 } {
                    break;
                }
                to = p + i + c.len_utf8();
            }
            match keep.last_mut() {
                Some(last) if from <= last.end => last.end = last.end.max(to),
                _ => keep.push(from..to),
            }
        }
    }
    let mut text = String::new();
    let mut shown_points = Vec::new();
    let mut pending = points.iter().copied().peekable();
    let mut at = 0;
    for r in &keep {
        if r.start > at {
            text.push('…');
        }
        for (i, c) in line.get(r.clone()).unwrap_or_default().char_indices() {
            while pending.peek().is_some_and(|p| *p <= r.start + i) {
                if let Some(p) = pending.next() {
                    shown_points.push((p, text.len()));
                }
            }
            push_escaped(&mut text, c);
        }
        while pending.peek().is_some_and(|p| *p <= r.end) {
            if let Some(p) = pending.next() {
                shown_points.push((p, text.len()));
            }
        }
        at = r.end;
    }
    if at < line.len() {
        text.push('…');
    }
    for p in pending {
        shown_points.push((p, text.len()));
    }
    Shown {
        text,
        points: shown_points,
    }
}

/// A span's file and byte range, inside its text and on char boundaries;
/// `None` if the file is unknown.
fn clamp(sources: &Sources, span: crate::source::Span) -> Option<(FileId, usize, usize)> {
    let text = sources.get(span.file)?.text();
    let s = floor_boundary(text, span.start as usize);
    let e = floor_boundary(text, span.end as usize).max(s);
    Some((span.file, s, e))
}

/// The largest char boundary of `text` at or before `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl<'a> Files<'a> for View {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(self.file(id)?.name.as_str())
    }

    fn source(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(self.file(id)?.text.as_str())
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        let f = self.file(id)?;
        let found = f
            .lines
            .iter()
            .find(|(_, r)| byte_index < r.end)
            .or_else(|| f.lines.iter().next_back());
        Ok(found.map_or(0, |(l, _)| *l))
    }

    fn column_number(
        &'a self,
        id: usize,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let f = self.file(id)?;
        if let Some(col) = f.points.get(&byte_index) {
            return Ok(*col);
        }
        let range = self.line_range(id, line_index)?;
        Ok(codespan_reporting::files::column_index(&f.text, range, byte_index) + 1)
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        let f = self.file(id)?;
        match f.lines.get(&line_index) {
            Some(r) => Ok(r.clone()),
            // A line inside a multi-line label that is never drawn.
            None if line_index < f.line_count => Ok(0..0),
            None => Err(FilesError::LineTooLarge {
                given: line_index,
                max: f.line_count.saturating_sub(1),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_whole_and_escaped() {
        let s = cut_line("a\u{1b}[2Kb", &[0, 2]);
        assert_eq!(s.text, "a\\u{1b}[2Kb");
        assert_eq!(s.points, [(0, 0), (2, 7)]);
    }

    #[test]
    fn long_lines_are_cut_around_points() {
        let line = "x".repeat(10_000);
        let s = cut_line(&line, &[5_000, 5_003]);
        // Half a window before the first point, half after the second, the
        // three characters between them, and a `…` at each end.
        assert_eq!(s.text.chars().count(), WINDOW_COLUMNS + 3 + 2, "{}", s.text);
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        let (_, a) = s.points[0];
        let (_, b) = s.points[1];
        assert_eq!(b - a, 3);
        let s = cut_line(&line, &[]);
        assert!(s.text.starts_with('x') && s.text.ends_with('…'));
        let s = cut_line(&line, &[10_000]);
        assert!(s.text.starts_with('…'));
        assert_eq!(s.points, [(10_000, s.text.len())]);
    }
}
