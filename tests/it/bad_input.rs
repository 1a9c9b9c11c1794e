//! Hostile and broken input, through the binary: the right exit status and
//! message, nothing on stdout, never a panic.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Case {
    what: &'static str,
    /// Builds the input in the temporary directory and returns the path to check.
    make: fn(&Path) -> PathBuf,
    exit: i32,
    stderr_has: &'static str,
    /// Options given before the path.
    args: &'static [&'static str],
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

const VALID_HEAD: &str = "owner ops { contact \"ops@example.com\" }\n";

fn cases() -> Vec<Case> {
    vec![
        Case {
            what: "empty file",
            make: |d| write(d, "empty.conduit", ""),
            exit: 1,
            stderr_has: "error[E004]: the policy declares no zone",
            args: &[],
        },
        Case {
            what: "comments only",
            make: |d| write(d, "comments.conduit", "# nothing here\n# at all\n"),
            exit: 1,
            stderr_has: "error[E004]",
            args: &[],
        },
        Case {
            what: "non-UTF-8",
            make: |d| write(d, "latin1.conduit", b"zone caf\xe9 {}\n"),
            exit: 1,
            stderr_has: "error[E001]: the file is not valid UTF-8 (first bad byte at offset 8)",
            args: &[],
        },
        Case {
            what: "NUL byte",
            make: |d| write(d, "nul.conduit", b"zone a\0 {}\n"),
            exit: 1,
            stderr_has: "error[E002]: the file contains a NUL byte at offset 6",
            args: &[],
        },
        Case {
            what: "5 MB file",
            make: |d| {
                let mut s = String::from(VALID_HEAD);
                while s.len() < 5_000_000 {
                    s.push_str(
                        "# padding padding padding padding padding padding padding padding\n",
                    );
                }
                write(d, "huge.conduit", s)
            },
            exit: 1,
            stderr_has: "over the limit of 4194304 bytes (4 MiB)",
            args: &["--max-file-bytes", "4MiB"],
        },
        Case {
            what: "10k-character name",
            make: |d| {
                write(
                    d,
                    "name.conduit",
                    format!("zone {} {{ level 1 }}\n", "a".repeat(10_000)),
                )
            },
            exit: 1,
            stderr_has: "error[E110]: name `aaaaaaaaaaaaaaaaaaaa…` is 10000 characters long",
            args: &[],
        },
        Case {
            what: "100k-character string",
            make: |d| {
                write(
                    d,
                    "string.conduit",
                    format!("owner o {{ contact \"{}\" }}\n", "x".repeat(100_000)),
                )
            },
            exit: 1,
            stderr_has: "error[E109]: string is 100000 characters long",
            args: &[],
        },
        Case {
            what: "100k unbalanced `{` at top level",
            make: |d| write(d, "braces.conduit", "{".repeat(100_000)),
            exit: 1,
            stderr_has: "error[E101]: expected a declaration",
            args: &[],
        },
        Case {
            what: "100k unbalanced `{` inside a block",
            make: |d| {
                write(
                    d,
                    "nested.conduit",
                    format!("zone a {{{}", "{".repeat(100_000)),
                )
            },
            exit: 1,
            stderr_has: "error[E101]: expected `}` or a zone attribute",
            args: &[],
        },
        Case {
            what: "100k `flow {` openings",
            make: |d| {
                write(
                    d,
                    "flows.conduit",
                    format!("conduit c {{{}", "flow f {".repeat(100_000)),
                )
            },
            exit: 1,
            stderr_has: "error[E101]",
            args: &[],
        },
        Case {
            what: "bidirectional control in a string",
            make: |d| write(d, "bidi.conduit", "owner o { contact \"a\u{202E}b\" }\n"),
            exit: 1,
            stderr_has: "error[E108]: string contains a bidirectional control character (U+202E)",
            args: &[],
        },
        Case {
            what: "directory without .conduit files",
            make: |d| {
                let e = d.join("empty-dir");
                fs::create_dir(&e).unwrap();
                fs::write(e.join("README.md"), "not a policy").unwrap();
                e
            },
            exit: 1,
            stderr_has: "error[E004]: no `.conduit` file in directory",
            args: &[],
        },
        Case {
            what: "missing path",
            make: |d| d.join("missing.conduit"),
            exit: 2,
            stderr_has: "no such file or directory",
            args: &[],
        },
        Case {
            what: "unreadable path (a symbolic link loop)",
            make: |d| {
                let p = d.join("loop.conduit");
                std::os::unix::fs::symlink(&p, &p).unwrap();
                p
            },
            exit: 2,
            stderr_has: "cannot read",
            args: &[],
        },
    ]
}

#[test]
fn bad_input_gets_the_right_exit_status_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in cases() {
        let path = (case.make)(dir.path());
        let started = Instant::now();
        let o = Command::new(env!("CARGO_BIN_EXE_conduitc"))
            .args(["check", "--color", "never", "--today", "2026-12-01"])
            .args(case.args)
            .arg(&path)
            .output()
            .unwrap();
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&o.stderr);
        let mut problems = Vec::new();
        if o.status.code() != Some(case.exit) {
            problems.push(format!("exit {:?}, want {}", o.status.code(), case.exit));
        }
        if !o.stdout.is_empty() {
            problems.push("wrote to stdout".to_string());
        }
        if !stderr.contains(case.stderr_has) {
            problems.push(format!("stderr lacks {:?}", case.stderr_has));
        }
        if stderr.contains("panicked") || stderr.contains("E999") {
            problems.push("panicked or internal error".to_string());
        }
        if took > Duration::from_secs(10) {
            problems.push(format!("took {took:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n{}",
                case.what,
                problems.join("; "),
                &stderr[..stderr.len().min(2000)]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn json_output_of_bad_input_is_still_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "braces.conduit", "{".repeat(100_000));
    let o = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(["check", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stderr.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "E101");
    assert_eq!(v["policy"], serde_json::Value::Null);
}
