//! Quoting: every string reaches the configuration double-quoted, or is
//! refused.

use super::bad;
use crate::backend::EmitError;
use crate::diag::{self, quote_char};

/// A double-quoted FortiOS string: `\` and `"` escaped; control characters,
/// `?` and non-ASCII refused.
pub(super) fn quote(s: &str) -> Result<String, EmitError> {
    let mut out = String::with_capacity(s.len() + 2);
    if quotable(s) {
        push_quoted(&mut out, s);
        return Ok(out);
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            '?' => return Err(bad(format!("{} contains `?`", diag::quote(s)))),
            ' '..='~' => out.push(c),
            _ => {
                return Err(bad(format!(
                    "{} contains {} (control or non-ASCII character)",
                    diag::quote(s),
                    quote_char(c)
                )))
            }
        }
    }
    out.push('"');
    Ok(out)
}

/// True when [`quote`] takes `s`: printable ASCII without `?`.
fn quotable(s: &str) -> bool {
    // Every byte looked at (no early exit), which the compiler turns into
    // a wide loop: the strings are short and nearly always quotable.
    s.bytes()
        .fold(true, |ok, b| ok & (b' '..=b'~').contains(&b) & (b != b'?'))
}

/// True when `s` holds a byte [`push_escaped`] escapes (a backslash or `"`),
/// looked for eight bytes at a time.
fn needs_escape(s: &str) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Nonzero exactly when some byte of `w` is zero.
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH != 0;
    let has =
        |w: u64| has_zero(w ^ (ONES * u64::from(b'\\'))) || has_zero(w ^ (ONES * u64::from(b'"')));
    let mut words = s.as_bytes().chunks_exact(8);
    for c in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        if has(u64::from_le_bytes(b)) {
            return true;
        }
    }
    words.remainder().iter().any(|&b| b == b'\\' || b == b'"')
}

/// Refuses `s` exactly as [`quote`] would, without building the quoted
/// text, so a string checked while planning can be written later by
/// [`push_quoted`], which cannot fail.
pub(super) fn check(s: &str) -> Result<(), EmitError> {
    if quotable(s) {
        Ok(())
    } else {
        quote(s).map(|_| ())
    }
}

/// Appends `s` to `out` without the surrounding quotes, `\` and `"`
/// escaped: the text of [`quote`] between its quotes, for a string
/// [`check`] has accepted.
pub(super) fn push_escaped(out: &mut String, s: &str) {
    if !needs_escape(s) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Appends the text of [`quote`] for `s` to `out`, for a string [`check`]
/// has accepted.
pub(super) fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    push_escaped(out, s);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_and_refuses() {
        assert_eq!(quote(r#"a"b\c"#).unwrap(), r#""a\"b\\c""#);
        assert!(quote("a\nb").is_err());
        assert!(quote("why?").is_err());
        assert!(quote("caf\u{e9}").is_err());
    }

    #[test]
    fn needs_escape_finds_every_escaped_byte_anywhere() {
        for len in 0..20 {
            for at in 0..len {
                for b in 0u8..=127 {
                    let mut v = vec![b'a'; len];
                    if let Some(x) = v.get_mut(at) {
                        *x = b;
                    }
                    let s = String::from_utf8(v).unwrap();
                    assert_eq!(needs_escape(&s), b == b'\\' || b == b'"', "{s:?}");
                }
            }
        }
        assert!(!needs_escape(""));
        assert!(needs_escape("\u{e9}\"x"));
    }

    #[test]
    fn check_and_push_agree_with_quote() {
        for s in [
            r#"a"b\c"#,
            "plain",
            "",
            "a\nb",
            "why?",
            "caf\u{e9}",
            "tab\there",
        ] {
            match quote(s) {
                Ok(q) => {
                    assert!(check(s).is_ok(), "{s:?}");
                    let mut out = String::new();
                    push_quoted(&mut out, s);
                    assert_eq!(out, q);
                }
                Err(e) => assert_eq!(check(s).unwrap_err().to_string(), e.to_string()),
            }
        }
    }
}
