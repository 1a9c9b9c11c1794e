//! Guards on the text that reaches vendor configuration, shared by the
//! backends: declared names (zone names among them) and a last guard on
//! the whole output. The checker already enforces these; backends check
//! again so that a `RuleSet` built by other means can never smuggle text
//! into a target. (Interface names are judged by the platform table,
//! [`crate::model::platform::interface_name_error`], for check and build alike.)

use super::EmitError;
use crate::diag::{quote, quote_char};
use crate::lower::RuleSet;
use crate::model::platform::interface_name_error;
use crate::model::Platform;

/// Longest declared name (language.md).
pub(crate) const NAME_MAX: usize = crate::limits::MAX_NAME_CHARS;

/// A declared name: `[A-Za-z][A-Za-z0-9_-]*`, at most [`NAME_MAX`] bytes.
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= NAME_MAX
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// True when every byte of `text` is printable ASCII other than `?`, or a
/// newline: what [`printable_lines`] accepts, scanned in blocks of 64
/// bytes without a branch per byte.
pub(crate) fn printable(text: &str) -> bool {
    let bad = |b: u8| !(b == b'\n' || ((b' '..=b'~').contains(&b) && b != b'?'));
    let mut blocks = text.as_bytes().chunks_exact(64);
    for block in &mut blocks {
        if block.iter().fold(false, |acc, &b| acc | bad(b)) {
            return false;
        }
    }
    !blocks.remainder().iter().any(|&b| bad(b))
}

/// Defence in depth for line-oriented vendor CLIs: the output is printable
/// ASCII lines without `?` (which an interactive CLI reads as a request for
/// help when the text is pasted).
pub(crate) fn printable_lines(target: &'static str, out: &str) -> Result<(), EmitError> {
    // The common case, every byte printable ASCII or a newline, in one scan
    // of bytes; the characters are only decoded to name the offending one.
    if printable(out) {
        return Ok(());
    }
    match out
        .chars()
        .find(|&c| c != '\n' && (!(' '..='~').contains(&c) || c == '?'))
    {
        Some(c) => Err(EmitError::BadName {
            target,
            message: format!("refusing to emit character {}", quote_char(c)),
        }),
        None => Ok(()),
    }
}

/// The names of the build itself: the isolation mode and the firewall are
/// declared names, and every interface of the firewall is one `platform`
/// can hold (`E601`, the sentence `check` reports).
pub(crate) fn check_build_names(
    target: &'static str,
    platform: Platform,
    rules: &RuleSet,
) -> Result<(), EmitError> {
    let bad = |message| Err(EmitError::BadName { target, message });
    if let Some(iso) = &rules.isolation {
        if !is_name(iso) {
            return bad(format!("isolation mode name {} is not a name", quote(iso)));
        }
    }
    if let Some(fw) = &rules.firewall {
        if !is_name(&fw.name) {
            return bad(format!("firewall name {} is not a name", quote(&fw.name)));
        }
        for (iface, _) in &fw.interfaces {
            interface_name(target, platform, iface)?;
        }
    }
    Ok(())
}

/// `iface` as an interface name `platform` can hold (`E601`).
pub(crate) fn interface_name(
    target: &'static str,
    platform: Platform,
    iface: &str,
) -> Result<(), EmitError> {
    match interface_name_error(iface, platform) {
        Some(message) => Err(EmitError::InterfaceName { target, message }),
        None => Ok(()),
    }
}

/// Every zone name is a declared name (it becomes part of `used_as`, e.g.
/// "an ACL") and no two zones share one, ignoring case.
pub(crate) fn check_zone_names(
    target: &'static str,
    rules: &RuleSet,
    used_as: &str,
) -> Result<(), EmitError> {
    let mut seen = std::collections::BTreeSet::new();
    for z in &rules.zones {
        let message = if !is_name(&z.name) {
            format!("zone name {} cannot name {} (letters, digits, `_`, `-`, starting with a letter, at most {})", quote(&z.name), used_as, NAME_MAX)
        } else if !seen.insert(z.name.to_ascii_lowercase()) {
            format!("zone {} appears twice", z.name)
        } else {
            continue;
        };
        return Err(EmitError::BadName { target, message });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_name("plc-1_a"));
        assert!(!is_name("1plc") && !is_name("a b") && !is_name(&"a".repeat(49)));
    }

    #[test]
    fn guard_refuses_control_and_help_characters() {
        assert!(printable_lines("t", "permit ip any any\n").is_ok());
        for bad in ["a\tb", "a?b", "é", "a\rb"] {
            assert!(printable_lines("t", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_block_scan_accepts_what_the_guard_accepts() {
        let ok = " 10 permit tcp host 10.0.0.1 any eq 502 log\n".repeat(5);
        assert!(printable(&ok) && printable_lines("cisco-ios", &ok).is_ok());
        for bad in ['?', '\t', '\u{7f}', '\u{e9}', '\r'] {
            for at in [0, 63, 64, 100, ok.len()] {
                let mut text = ok.clone();
                text.insert(at, bad);
                assert!(!printable(&text), "{bad:?} at {at}");
                assert!(
                    printable_lines("cisco-ios", &text).is_err(),
                    "{bad:?} at {at}"
                );
            }
        }
    }
}
