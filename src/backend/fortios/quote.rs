//! Quoting: every string reaches the configuration double-quoted, or is
//! refused.

use super::bad;
use crate::backend::EmitError;
use crate::diag::{self, quote_char};

/// A double-quoted FortiOS string: `\` and `"` escaped; control characters,
/// `?` and non-ASCII refused.
pub(super) fn quote(s: &str) -> Result<String, EmitError> {
    let mut out = String::with_capacity(s.len() + 2);
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
}
