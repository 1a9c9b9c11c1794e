//! Positions and file names as the protocol speaks them: lines and
//! characters (UTF-16 code units unless the client accepts UTF-8), and
//! `file:` URIs.

use std::path::{Path, PathBuf};

/// How characters within a line are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Bytes of UTF-8 (`positionEncoding` `utf-8`).
    Utf8,
    /// UTF-16 code units, the protocol's default.
    Utf16,
}

/// The starts of a text's lines, to convert byte offsets to positions and
/// back.
#[derive(Clone, Debug)]
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    /// The line starts of `text` (a line ends at `\n`).
    pub(crate) fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    /// The position of byte `offset` of `text` (clamped to the text and to
    /// a character boundary).
    pub(crate) fn position(&self, text: &str, offset: usize, enc: Encoding) -> (u32, u32) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let piece = text.get(start..offset).unwrap_or("");
        let col = match enc {
            Encoding::Utf8 => piece.len(),
            Encoding::Utf16 => piece.encode_utf16().count(),
        };
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(col).unwrap_or(u32::MAX),
        )
    }

    /// The byte offset of a position in `text`; a position past the end of
    /// its line is the line's end, a line past the last is the text's end.
    pub(crate) fn offset(&self, text: &str, line: u32, character: u32, enc: Encoding) -> usize {
        let Some(&start) = self.starts.get(line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(line as usize + 1)
            .map_or(text.len(), |&s| s - 1);
        let line_text = text.get(start..end).unwrap_or("");
        let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
        let mut units = 0u32;
        for (i, c) in line_text.char_indices() {
            if units >= character {
                return start + i;
            }
            units += match enc {
                Encoding::Utf8 => c.len_utf8() as u32,
                Encoding::Utf16 => c.len_utf16() as u32,
            };
        }
        start + line_text.len()
    }
}

/// The `file:` URI of an absolute path, percent-encoding what a URI path
/// may not hold.
pub(crate) fn path_to_uri(path: &Path) -> String {
    let mut out = String::from("file://");
    let s = path.to_string_lossy();
    if !s.starts_with('/') {
        out.push('/');
    }
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path of a `file:` URI, or `None` for another scheme.
pub(crate) fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file://host/path`: only the local host (empty or `localhost`).
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => {
                let digits = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(digits, 16).ok()?);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(out)))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(out).ok().map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let text = "a \"é😀\" b\nzone";
        let lines = Lines::new(text);
        let b = text.find(" b").unwrap_or(0) + 1;
        assert_eq!(lines.position(text, b, Encoding::Utf16), (0, 8));
        assert_eq!(lines.position(text, b, Encoding::Utf8), (0, 11));
        assert_eq!(lines.offset(text, 0, 8, Encoding::Utf16), b);
        assert_eq!(lines.offset(text, 0, 11, Encoding::Utf8), b);
        assert_eq!(lines.position(text, text.len(), Encoding::Utf16), (1, 4));
        assert_eq!(lines.offset(text, 1, 99, Encoding::Utf16), text.len());
        assert_eq!(lines.offset(text, 7, 0, Encoding::Utf16), text.len());
    }

    #[test]
    fn file_uris_round_trip_with_escapes() {
        let p = Path::new("/tmp/a plant/ü#.conduit");
        let uri = path_to_uri(p);
        assert_eq!(uri, "file:///tmp/a%20plant/%C3%BC%23.conduit");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(p));
        assert_eq!(uri_to_path("untitled:1"), None);
    }
}
