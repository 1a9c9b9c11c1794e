//! The formats CI systems read: GitHub Actions workflow commands
//! (`--format github`) and GitLab Code Quality JSON (`--format gitlab`).
//!
//! Every command that has these formats (`check`, `test`, `verify`) turns its
//! findings into [`Annotation`]s; the two renderers here write them. Each
//! annotation carries a location-independent `key` (for a diagnostic, its
//! message), from which [`fingerprints`] derives an identifier that stays
//! the same when unrelated lines move: the SHA-256 of the code, the file,
//! the key and the occurrence number among findings that share all three.
//! GitLab's `fingerprint` and SARIF's `partialFingerprints` are that value.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostics, Severity};
use crate::source::{escape_control, Sources};

/// How serious an annotation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Fails the check: a policy error, a failed assertion, drift.
    Error,
    /// Deserves a look: a warning.
    Warning,
    /// Information only.
    Notice,
}

/// A span in a file, 1-based; `end_column` is exclusive, as in the JSON
/// output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First line.
    pub line: usize,
    /// First column (Unicode scalar values).
    pub column: usize,
    /// Last line.
    pub end_line: usize,
    /// The column just past the end.
    pub end_column: usize,
}

/// One finding as CI systems show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// Error, warning or notice.
    pub level: Level,
    /// The diagnostic code or finding kind (the title, GitLab's `check_name`).
    pub code: String,
    /// What is wrong; may hold several lines.
    pub message: String,
    /// The file, as named in diagnostics; `None` when the finding is about
    /// no file (the command line).
    pub file: Option<String>,
    /// Where in the file; `None` for the whole file.
    pub region: Option<Region>,
    /// What identifies the finding apart from its position.
    pub key: String,
    /// GitLab severity: `info`, `minor`, `major`, `critical` or `blocker`.
    pub gitlab_severity: &'static str,
}

/// The GitLab severity of a code: `critical` for an error, `major` for a
/// warning whose SARIF `security-severity` is 7.0 or more, else `minor`.
pub fn gitlab_severity(code: Code) -> &'static str {
    match code.severity() {
        Severity::Error => "critical",
        Severity::Warning if security_severity(code).is_some_and(|s| s >= 7.0) => "major",
        Severity::Warning => "minor",
    }
}

/// The SARIF `security-severity` of a code (0.1-10.0, as GitHub code
/// scanning reads it: 7.0 and above high, 4.0 to 6.9 medium), for the codes
/// that report a weakness in what the policy lets through; `None` for the
/// rest. docs/cli.md lists the mapping.
pub fn security_severity(code: Code) -> Option<f64> {
    Some(match code {
        Code::PurdueSkip | Code::RemoteAccess => 7.5,
        Code::MonitorMode => 7.0,
        Code::DirectoryAcrossBoundary => 6.5,
        Code::ConduitSlBelowZone | Code::RemoteAccessNoExpiry => 6.0,
        Code::ZoneToZone | Code::BroadService | Code::BidiInComment | Code::InvisibleCharacter => {
            5.0
        }
        Code::NoIsolation => 4.0,
        _ => return None,
    })
}

/// True for a source name that is no input at all (`<command line>`).
/// Standard input (`<stdin>`) is an input: its findings keep their lines.
fn is_pseudo_file(name: &str) -> bool {
    name.starts_with('<') && name.ends_with('>') && name != "<stdin>"
}

/// Diagnostics as annotations: the message with the help on a second
/// line, keyed by the message.
pub fn annotations(diagnostics: &Diagnostics, sources: &Sources) -> Vec<Annotation> {
    diagnostics
        .iter()
        .map(|d| {
            let name = sources.name(d.primary.span.file);
            let ((line, column), (end_line, end_column)) = super::position(sources, d.primary.span);
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                let _ = write!(message, "\nhelp: {h}");
            }
            let file = (!is_pseudo_file(name)).then(|| name.to_string());
            Annotation {
                level: match d.severity() {
                    Severity::Error => Level::Error,
                    Severity::Warning => Level::Warning,
                },
                code: d.code.as_str().to_string(),
                message,
                region: file.as_ref().map(|_| Region {
                    line,
                    column,
                    end_line,
                    end_column,
                }),
                file,
                key: d.message.clone(),
                gitlab_severity: gitlab_severity(d.code),
            }
        })
        .collect()
}

/// The fingerprint of each annotation, in order: the SHA-256 (hex) of its
/// code, file, key and occurrence number among the annotations before it
/// with the same three.
pub fn fingerprints(annotations: &[Annotation]) -> Vec<String> {
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    annotations
        .iter()
        .map(|a| {
            let file = a.file.as_deref().unwrap_or("");
            let n = seen.entry((&a.code, file, &a.key)).or_insert(0);
            *n += 1;
            let mut h = Sha256::new();
            for part in [a.code.as_str(), file, a.key.as_str(), &n.to_string()] {
                h.update(part.as_bytes());
                h.update([0u8]);
            }
            h.finalize().iter().fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
        })
        .collect()
}

/// A workflow command's message: `%`, CR and LF percent-encoded, other
/// invisible characters escaped.
fn escape_data(s: &str) -> String {
    escape_control(
        &s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A"),
    )
}

/// A workflow command's property value: as a message, and `:` and `,`
/// percent-encoded too.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one line each:
/// `::error file=F,line=L,endLine=L,col=C,endColumn=C,title=CODE::message`
/// (`warning` and `notice` by level). The columns are given only for a
/// non-empty span on one line; `endColumn` is the last column of the span.
pub fn github(annotations: &[Annotation]) -> String {
    let mut s = String::new();
    for a in annotations {
        let command = match a.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        };
        let mut props: Vec<String> = Vec::new();
        if let Some(f) = &a.file {
            props.push(format!("file={}", escape_property(f)));
            if let Some(r) = a.region {
                props.push(format!("line={}", r.line));
                props.push(format!("endLine={}", r.end_line.max(r.line)));
                if r.end_line == r.line && r.end_column > r.column {
                    props.push(format!("col={}", r.column));
                    props.push(format!("endColumn={}", r.end_column - 1));
                }
            }
        }
        props.push(format!("title={}", escape_property(&a.code)));
        let _ = writeln!(
            s,
            "::{command} {}::{}",
            props.join(","),
            escape_data(&a.message)
        );
    }
    s
}

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'a str,
    fingerprint: &'a str,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// A GitLab Code Quality report: a JSON array of issues, each with
/// `description`, `check_name`, `fingerprint`, `severity` and
/// `location` (`path`, `lines.begin`, `lines.end`). Annotations about no
/// file are left out (GitLab shows issues in files only).
pub fn gitlab(annotations: &[Annotation]) -> String {
    let prints = fingerprints(annotations);
    let issues: Vec<Issue<'_>> = annotations
        .iter()
        .zip(&prints)
        .filter_map(|(a, fingerprint)| {
            let path = a.file.as_deref()?;
            let (begin, end) = a
                .region
                .map_or((1, 1), |r| (r.line, r.end_line.max(r.line)));
            Some(Issue {
                description: &a.message,
                check_name: &a.code,
                fingerprint,
                severity: a.gitlab_severity,
                location: Location {
                    path: path.strip_prefix("./").unwrap_or(path),
                    lines: Lines { begin, end },
                },
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string());
    s.push('\n');
    super::json_safe(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(message: &str, file: &str) -> Annotation {
        Annotation {
            level: Level::Error,
            code: "E202".into(),
            message: message.into(),
            file: Some(file.into()),
            region: Some(Region {
                line: 3,
                column: 5,
                end_line: 3,
                end_column: 9,
            }),
            key: message.into(),
            gitlab_severity: "critical",
        }
    }

    #[test]
    fn github_escapes_what_would_end_a_command() {
        let a = one("50% bad\nnext line: `x`, y\r", "dir/a,b:c.conduit");
        assert_eq!(
            github(&[a]),
            "::error file=dir/a%2Cb%3Ac.conduit,line=3,endLine=3,col=5,endColumn=8,title=E202::50%25 bad%0Anext line: `x`, y%0D\n"
        );
    }

    #[test]
    fn fingerprints_ignore_position_and_count_repeats() {
        let a = one("no zone named `x`", "p.conduit");
        let mut moved = a.clone();
        moved.region = None;
        let f = fingerprints(&[a.clone(), moved.clone(), one("other", "p.conduit")]);
        assert_eq!(fingerprints(&[moved])[0], f[0]);
        assert_ne!(f[0], f[1], "a repeat gets its own fingerprint");
        assert_ne!(f[0], f[2]);
        assert_eq!(f[0].len(), 64);
    }
}
