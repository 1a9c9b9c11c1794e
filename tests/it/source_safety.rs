//! Hostile policy input, through the real binary: symbolic links leaving a
//! policy directory, FIFOs and devices, lone carriage returns, terminal
//! escape sequences and bidirectional controls, and one long line with
//! thousands of errors. What is asserted is what a user (or a CI log)
//! would see: exit status, and what does and does not reach stdout and
//! stderr.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const TODAY: &str = "2026-12-01";

/// A fake secret, as `/proc/self/environ` or a key file would hold one.
const SECRET: &str = "CI_TOKEN=ghp_s3cr3tT0kenValue";

/// Runs conduitc in `dir`; fails the test if it runs longer than a minute
/// (a FIFO that blocks the loader would otherwise hang the suite).
fn conduitc_in(dir: &Path, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("conduitc {args:?} did not finish within 60 s");
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn plant() -> String {
    let pass = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/diagnostics/E108-invalid-string.pass.conduit");
    fs::read_to_string(pass).unwrap()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn a_link_leaving_the_directory_is_refused_without_quoting_its_target() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(policy.join("sub")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(policy.join("plant.conduit"), plant()).unwrap();
    fs::write(outside.join("secret"), format!("{SECRET}\n")).unwrap();
    std::os::unix::fs::symlink("../outside/secret", policy.join("leak.conduit")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret"), policy.join("sub/abs.conduit")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", policy.join("env.conduit")).unwrap();
    // A link to a file inside the directory is fine, and read.
    std::os::unix::fs::symlink("../plant.conduit", policy.join("sub/same.conduit")).unwrap();

    for format in ["text", "json", "sarif"] {
        let o = conduitc_in(
            tmp.path(),
            &[
                "check", "policy", "--today", TODAY, "--format", format, "--color", "never",
            ],
        );
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        assert_eq!(o.status.code(), Some(1), "{format}: {err}{out}");
        for s in [&out, &err] {
            assert!(!s.contains("s3cr3t"), "{format}: the secret leaked:\n{s}");
            assert!(
                !s.contains("PATH="),
                "{format}: the environment leaked:\n{s}"
            );
        }
        let all = format!("{out}{err}");
        assert!(all.matches("E010").count() >= 3, "{format}: {all}");
        if format == "text" {
            assert!(
                err.contains(
                    "error[E010]: `policy/leak.conduit` is a symbolic link to `../outside/secret`, outside the directory `policy`"
                ),
                "{err}"
            );
            assert!(err.contains("`/proc/self/environ`"), "{err}");
            assert!(!err.contains("same.conduit"), "{err}");
        }
    }

    let o = conduitc_in(
        tmp.path(),
        &[
            "query",
            "policy",
            "--today",
            TODAY,
            "--src",
            "10.2.0.10",
            "--dst",
            "10.1.0.5",
            "--proto",
            "tcp",
            "--port",
            "502",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("s3cr3t"));

    // A link to a file inside the directory is read: the zones twice.
    fs::remove_file(policy.join("leak.conduit")).unwrap();
    fs::remove_file(policy.join("env.conduit")).unwrap();
    fs::remove_file(policy.join("sub/abs.conduit")).unwrap();
    let o = conduitc_in(
        tmp.path(),
        &["check", "policy", "--today", TODAY, "--color", "never"],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error[E201]") && err.contains("policy/sub/same.conduit"),
        "{err}"
    );

    // Named on the command line, a link is the user's choice and is read.
    fs::write(outside.join("plant.conduit"), plant()).unwrap();
    std::os::unix::fs::symlink(
        outside.join("plant.conduit"),
        tmp.path().join("named.conduit"),
    )
    .unwrap();
    let o = conduitc_in(tmp.path(), &["check", "named.conduit", "--today", TODAY]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn fifos_are_refused_without_being_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy");
    fs::create_dir_all(&policy).unwrap();
    fs::write(policy.join("plant.conduit"), plant()).unwrap();
    mkfifo(&policy.join("pipe.conduit"));
    mkfifo(&tmp.path().join("named.conduit"));
    // A link inside the directory to a FIFO inside it.
    std::os::unix::fs::symlink("pipe.conduit", policy.join("via-link.conduit")).unwrap();

    let o = conduitc_in(
        tmp.path(),
        &["check", "policy", "--today", TODAY, "--color", "never"],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "error[E011]: `policy/pipe.conduit` is a FIFO, not a regular file; it was not read"
        ),
        "{err}"
    );
    assert!(err.contains("`policy/via-link.conduit` is a FIFO"), "{err}");
    assert!(err.contains("(1 file read)"), "{err}");

    // Named on the command line: a usage error, exit 2, before any reading.
    for cmd in ["check", "build", "fmt"] {
        let args: Vec<&str> = match cmd {
            "fmt" => vec![cmd, "named.conduit"],
            "build" => vec![
                cmd,
                "named.conduit",
                "--today",
                TODAY,
                "--target",
                "nftables",
            ],
            _ => vec![cmd, "named.conduit", "--today", TODAY],
        };
        let o = conduitc_in(tmp.path(), &args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {err}");
        assert!(
            err.contains("`named.conduit` is a FIFO, not a regular file or a directory"),
            "{cmd}: {err}"
        );
    }
    // A device is refused the same way.
    let o = conduitc_in(tmp.path(), &["check", "/dev/null", "--today", TODAY]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("is a character device"));
}

#[test]
fn a_lone_carriage_return_cannot_hide_a_flow_behind_a_comment() {
    let tmp = tempfile::tempdir().unwrap();
    // `cat` shows the comment; the flow after the CR is what an attacker
    // wants parsed.
    let attack = plant().replace(
        "  owner ops\n  flow poll",
        "  owner ops\n  # reviewed: polling only\r  flow sneak { from plant.plc to scada.master service ssh reason \"x\" }\n  flow poll",
    );
    let query = |file: &str| {
        conduitc_in(
            tmp.path(),
            &[
                "query",
                file,
                "--today",
                TODAY,
                "--src",
                "10.1.0.5",
                "--dst",
                "10.2.0.10",
                "--proto",
                "tcp",
                "--port",
                "22",
            ],
        )
    };
    // Read as a line break, the carriage return would admit the flow.
    fs::write(
        tmp.path().join("visible.conduit"),
        attack.replace('\r', "\n"),
    )
    .unwrap();
    let o = query("visible.conduit");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("allow scada-plant/sneak"),
        "{}",
        text(&o.stdout)
    );

    fs::write(tmp.path().join("p.conduit"), &attack).unwrap();
    let o = query("p.conduit");
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(!out.contains("allow"), "{out}");
    assert!(err.contains("error[E113]"), "{err}");
    // The rendering shows the carriage return, never a raw one.
    assert!(!err.contains('\r'), "{err:?}");
    assert!(
        err.contains("# reviewed: polling only\\u{d}  flow sneak"),
        "{err}"
    );

    // The same text with CR LF line ends is a clean policy.
    fs::write(
        tmp.path().join("crlf.conduit"),
        plant().replace('\n', "\r\n"),
    )
    .unwrap();
    let o = conduitc_in(tmp.path(), &["check", "crlf.conduit", "--today", TODAY]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn escape_sequences_in_the_source_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    // A comment that, printed raw, erases the error lines above it and
    // prints a fake all-clear; then an error on the same line.
    let fake = "\u{1b}[2K\u{1b}[1A\u{1b}[2K\u{1b}[1A\u{9b}2Kconduitc: the policy checks clean (1 file read)";
    let policy = plant().replace(
        "  host plc = 10.1.0.5",
        &format!("  host plc = 10.1.0.500 # {fake}"),
    );
    fs::write(tmp.path().join("p.conduit"), &policy).unwrap();
    // An escape sequence in a file name, too.
    let dir = tmp.path().join("d");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("x\u{1b}[31m.conduit"), &policy).unwrap();
    for (path, format) in [
        ("p.conduit", "text"),
        ("p.conduit", "json"),
        ("p.conduit", "sarif"),
        ("d", "text"),
        ("d", "json"),
    ] {
        for color in ["never", "always"] {
            let o = conduitc_in(
                tmp.path(),
                &[
                    "check", path, "--today", TODAY, "--format", format, "--color", color,
                ],
            );
            assert_eq!(o.status.code(), Some(1));
            let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
            assert!(all.contains("E106"), "{all}");
            // Colour output has escape sequences of its own, but none that
            // moves the cursor or erases a line.
            assert!(
                !all.contains("\u{1b}[2K") && !all.contains("\u{1b}[1A"),
                "{path} {format}: {all:?}"
            );
            assert!(!all.contains('\u{9b}'), "{all:?}");
            if color == "never" {
                assert!(
                    !all.contains('\u{1b}'),
                    "{path} {format}: raw ESC in {all:?}"
                );
            }
        }
    }
    let o = conduitc_in(
        tmp.path(),
        &["check", "p.conduit", "--today", TODAY, "--color", "never"],
    );
    let err = text(&o.stderr);
    assert!(err.contains("# \\u{1b}[2K\\u{1b}[1A"), "{err}");
    assert!(
        err.ends_with("conduitc: the policy has 1 error (1 file read)\n"),
        "{err}"
    );
}

#[test]
fn bidi_controls_are_refused_in_names_and_strings_and_flagged_in_comments() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "E114",
            plant().replace("zone plant {", "zone plant\u{2067} {"),
        ),
        (
            "E114",
            plant().replace("zone plant {", "zone pl\u{200d}ant {"),
        ),
        (
            "E108",
            plant().replace("SCADA polls", "SCADA \u{202e}polls"),
        ),
        (
            "E108",
            plant().replace("SCADA polls", "SCADA \u{061c}polls"),
        ),
        (
            "E108",
            plant().replace("SCADA polls", "SCADA \u{feff}polls"),
        ),
        (
            "W110",
            plant().replace("zone plant {", "# \u{2066}x\u{2069}\nzone plant {"),
        ),
    ];
    for (code, policy) in cases {
        fs::write(tmp.path().join("p.conduit"), &policy).unwrap();
        let o = conduitc_in(
            tmp.path(),
            &["check", "p.conduit", "--today", TODAY, "--color", "never"],
        );
        let err = text(&o.stderr);
        let want = if code.starts_with('E') { 1 } else { 0 };
        assert_eq!(o.status.code(), Some(want), "{code}: {err}");
        assert!(err.contains(&format!("[{code}]")), "{code}: {err}");
        assert!(
            !err.chars().any(needs_escape),
            "{code}: raw invisible character on stderr: {err:?}"
        );
    }
}

#[test]
fn a_long_line_with_thousands_of_errors_gives_bounded_output() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts: Vec<String> = (0..10_000)
        .map(|i| format!("host h{i} = 999.0.0.1"))
        .collect();
    let line = format!(
        "owner o {{ contact \"a@b\" }} zone z {{ level 1 owner o networks 10.0.0.0/8 {} }}\n",
        hosts.join(" ")
    );
    assert!(line.len() > 200_000);
    fs::write(tmp.path().join("long.conduit"), &line).unwrap();
    let o = conduitc_in(
        tmp.path(),
        &[
            "check",
            "long.conduit",
            "--today",
            TODAY,
            "--color",
            "never",
        ],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.len() < 100_000, "{} bytes of diagnostics", err.len());
    assert_eq!(err.matches("error[E106]").count(), 100, "{err}");
    assert!(
        err.contains(
            "note: 9900 errors more not shown (at most 100 diagnostics are, errors first)"
        ),
        "{err}"
    );
    assert!(err.ends_with("conduitc: the policy has 10000 errors (1 file read)\n"));
    // Every shown excerpt is cut: no line of the output is near the source's.
    assert!(
        err.lines().all(|l| l.chars().count() < 200),
        "a long line was copied"
    );
    // The columns are the file's.
    let col = line.find("host h9 ").unwrap() + "host h9 = ".len() + 1;
    assert!(err.contains(&format!("long.conduit:1:{col}")), "{err}");

    // JSON keeps every diagnostic but copies no source text.
    let o = conduitc_in(
        tmp.path(),
        &[
            "check",
            "long.conduit",
            "--today",
            TODAY,
            "--format",
            "json",
        ],
    );
    let out = text(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 10_000);
    assert!(out.len() < 10_000 * 400, "{} bytes", out.len());
}

#[test]
fn fmt_keeps_a_bidi_comment_and_leaves_a_lone_carriage_return_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let bidi = plant().replace("zone plant {", "# \u{202e}x\nzone   plant {");
    fs::write(tmp.path().join("bidi.conduit"), &bidi).unwrap();
    let o = conduitc_in(tmp.path(), &["fmt", "bidi.conduit", "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let formatted = fs::read_to_string(tmp.path().join("bidi.conduit")).unwrap();
    assert!(
        formatted.contains("# \u{202e}x\nzone plant {"),
        "{formatted}"
    );

    let cr = plant().replace("  owner ops\n  flow", "  owner ops\n  # x\r  flow");
    fs::write(tmp.path().join("cr.conduit"), &cr).unwrap();
    let o = conduitc_in(tmp.path(), &["fmt", "cr.conduit", "--color", "never"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("error[E113]"), "{err}");
    assert_eq!(
        fs::read_to_string(tmp.path().join("cr.conduit")).unwrap(),
        cr
    );
}

#[test]
fn today_and_expiry_dates_are_exactly_four_two_and_two_digits() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("p.conduit"), plant()).unwrap();
    for bad in ["+202-01-01", "202-01-01", "2026-1-01", "02026-01-01"] {
        let o = conduitc_in(tmp.path(), &["check", "p.conduit", "--today", bad]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains("is not a date of the form YYYY-MM-DD"),
            "{bad}: {err}"
        );
    }
    let policy = plant().replace(
        "    service modbus\n",
        "    service modbus\n    expires 02027-01-01\n",
    );
    fs::write(tmp.path().join("p.conduit"), policy).unwrap();
    let o = conduitc_in(
        tmp.path(),
        &["check", "p.conduit", "--today", TODAY, "--color", "never"],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error[E105]: `02027-01-01` is not a date"),
        "{err}"
    );
}

#[test]
fn an_error_after_a_hundred_warnings_is_still_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let mut policy = String::from(
        "owner o { contact \"a@b\" }\n\
         zone a { level 2 owner o networks 10.1.0.0/16 }\n\
         zone b { level 2 owner o networks 10.2.0.0/16 }\n\
         conduit ab {\n  zones a, b\n  owner o\n",
    );
    for i in 0..150 {
        policy.push_str(&format!(
            "  flow f{i} {{ from a to b service rdp reason \"r\" }}\n"
        ));
    }
    policy.push_str("  flow late { from a to b service no-such-service reason \"r\" }\n}\n");
    fs::write(tmp.path().join("p.conduit"), &policy).unwrap();
    let o = conduitc_in(
        tmp.path(),
        &["check", "p.conduit", "--today", TODAY, "--color", "never"],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("error[E202]"), "{err}");
    // The error takes one of the 100 places; warnings fill the others.
    let warnings = err.lines().filter(|l| l.starts_with("warning[")).count();
    assert_eq!(warnings, 99, "{err}");
    assert!(
        err.contains("warnings more not shown (at most 100 diagnostics are, errors first)"),
        "{err}"
    );
}

/// The characters conduitc must never print raw: controls other than tab and
/// newline, bidirectional controls, zero-width characters and the Unicode
/// line and paragraph separators.
pub(crate) fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'
                | '\u{FEFF}'
                | '\u{2028}'
                | '\u{2029}'
        )
}
