//! Errors of the command itself (usage, selection, output) are coded
//! diagnostics pointing into the command line, and every warning is
//! printed once; run with the real binary.

use std::fs;
use std::path::Path;
use std::process::Command;

const PLANT: &str = "examples/bottling-plant.conduit";

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run conduitc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Asserts a usage error: exit 2, nothing on stdout, the code's header
/// first, and the command line shown with `marked` underlined.
fn assert_usage_error(args: &[&str], code: &str, message: &str, marked: &str) -> String {
    let (status, out, err) = run(args);
    assert_eq!(status, 2, "{args:?}: {err}");
    assert!(out.is_empty(), "{args:?}: {out}");
    assert!(
        err.starts_with(&format!("error[{code}]: {message}")),
        "{args:?}: {err}"
    );
    assert!(err.contains("┌─ <command line>:1:"), "{err}");
    let shown = err
        .lines()
        .find(|l| l.contains("conduitc "))
        .unwrap_or_else(|| panic!("no command line in {err}"));
    let carets = err
        .lines()
        .find(|l| l.contains('^'))
        .unwrap_or_else(|| panic!("no label in {err}"));
    let start = carets.find('^').unwrap();
    let end = carets.rfind('^').unwrap() + 1;
    assert_eq!(
        shown.get(start..end),
        Some(marked),
        "{args:?}: the label is under the wrong argument:\n{err}"
    );
    err
}

#[test]
fn command_line_errors_are_coded_and_point_at_the_argument() {
    assert_usage_error(
        &["bogus"],
        "E801",
        "unrecognized subcommand `bogus`",
        "bogus",
    );
    assert_usage_error(
        &["build", PLANT],
        "E801",
        "the required argument `--target <TARGET>` is missing",
        "build",
    );
    let err = assert_usage_error(
        &["check", "--frmat", "json", PLANT],
        "E801",
        "unexpected argument `--frmat`",
        "--frmat",
    );
    assert!(err.contains("help: did you mean `--format`?"), "{err}");
    assert_usage_error(
        &["build", PLANT, "--target", "nftables", "--out", "x"],
        "E802",
        "`--target` cannot be used with `--out`",
        "nftables",
    );
    let err = assert_usage_error(
        &["check", PLANT, "--today", "2026-13-01"],
        "E803",
        "invalid value `2026-13-01` for `--today`",
        "2026-13-01",
    );
    assert!(
        err.contains("help: `2026-13-01` is not a date of the form YYYY-MM-DD"),
        "{err}"
    );
    let err = assert_usage_error(
        &["build", PLANT, "--target=nft"],
        "E803",
        "invalid value `nft` for `--target`",
        "--target=nft",
    );
    assert!(
        err.contains("help: possible values: nftables, nftables-json, cisco-ios, fortios"),
        "{err}"
    );
}

#[test]
fn object_groups_are_refused_for_a_target_without_them() {
    assert_usage_error(
        &["build", PLANT, "--target", "fortios", "--ios-flat"],
        "E802",
        "`--ios-flat` cannot be used with `--target fortios`",
        "--ios-flat",
    );
}

#[test]
fn unknown_names_and_contradictions_are_coded() {
    let today = ["--today", "2026-12-01"];
    let mut args = vec![
        "build",
        PLANT,
        "--target",
        "nftables",
        "--firewall",
        "ot-core",
    ];
    args.extend(today);
    assert_usage_error(
        &args,
        "E804",
        "no firewall named `ot-core` (did you mean `ot-core-fw`?)",
        "ot-core",
    );
    let mut args = vec!["build", PLANT, "--target", "nftables", "--isolation", "cut"];
    args.extend(today);
    assert_usage_error(&args, "E805", "no isolation mode named `cut`", "cut");
    let mut args = vec!["paths", PLANT, "--isolation", "cut"];
    args.extend(["--from", "enterprise", "--to", "control"]);
    args.extend(today);
    let (status, _, err) = run(&args);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.starts_with("error[E805]: no isolation mode named `cut`"),
        "{err}"
    );
    let mut args = vec![
        "build",
        PLANT,
        "--target",
        "fortios",
        "--firewall",
        "ot-core-fw",
    ];
    args.extend(today);
    let err = assert_usage_error(
        &args,
        "E806",
        "`--target fortios` contradicts firewall `ot-core-fw`, which is declared `platform nftables`",
        "fortios",
    );
    assert!(
        err.contains("help: build it with --target nftables or nftables-json"),
        "{err}"
    );
    assert_usage_error(
        &["build", "no/such.conduit", "--target", "nftables"],
        "E814",
        "`no/such.conduit`: no such file or directory",
        "no/such.conduit",
    );
}

#[test]
fn out_without_a_firewall_is_coded_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("p.conduit"),
        "owner ot { contact \"ot@example.com\" }\n\
         zone a { level 2 owner ot networks 10.0.0.0/24 }\n",
    )
    .unwrap();
    let (status, out, err) = run_in(tmp.path(), &["build", "p.conduit", "--out", "fw"]);
    assert_eq!(status, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.starts_with(
            "error[E807]: the policy declares no firewall, so `--out` has nothing to write"
        ),
        "{err}"
    );
    assert!(fs::symlink_metadata(tmp.path().join("fw")).is_err());
}

/// A policy with one monitor-mode conduit whose `W107` is not waived,
/// crossing two firewalls.
const MONITORED: &str = r#"owner ot { contact "ot@example.com" }
zone a { level 2 owner ot networks 10.0.0.0/24 }
zone b { level 2 owner ot networks 10.0.1.0/24 }
conduit ab {
  zones a, b
  owner ot
  mode monitor
  flow web {
    from a
    to b
    service tcp/80
    reason "HMI web pages"
    waive W103 "every host serves it"
  }
}
firewall one {
  platform nftables
  interface "eth0" = a
  interface "eth1" = b
  manage admin { from a service ssh owner ot reason "Operators administer the firewall" }
}
firewall two {
  platform nftables
  interface "eth0" = a
  interface "eth1" = b
  manage admin { from a service ssh owner ot reason "Operators administer the firewall" }
}
"#;

#[test]
fn build_prints_each_warning_once() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("p.conduit"), MONITORED).unwrap();
    let today = ["--today", "2026-12-01"];
    let count = |err: &str| err.matches("monitor mode").count();
    for extra in [
        &["--target", "nftables"][..],
        &["--target", "nftables", "--firewall", "one"],
        &["--out", "fw"],
    ] {
        let mut args = vec!["build", "p.conduit"];
        args.extend(today);
        args.extend(extra);
        let (status, _, err) = run_in(tmp.path(), &args);
        assert_eq!(status, 0, "{extra:?}: {err}");
        assert_eq!(err.matches("warning[W107]").count(), 1, "{extra:?}: {err}");
        assert_eq!(count(&err), 1, "{extra:?}: {err}");
        assert_eq!(err.matches("warning").count(), 1, "{extra:?}: {err}");
    }
    // JSON lists it once too.
    let (status, out, err) = run_in(
        tmp.path(),
        &[
            "check",
            "p.conduit",
            "--today",
            "2026-12-01",
            "--format",
            "json",
        ],
    );
    assert_eq!(status, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["W107"], "{out}");
}

#[test]
fn a_waived_monitor_warning_leaves_one_note() {
    let tmp = tempfile::tempdir().unwrap();
    let waived = MONITORED.replace(
        "  mode monitor\n",
        "  mode monitor\n  waive W107 \"baseline until the shutdown\"\n",
    );
    fs::write(tmp.path().join("p.conduit"), waived).unwrap();
    let (status, _, err) = run_in(
        tmp.path(),
        &["build", "p.conduit", "--today", "2026-12-01", "--out", "fw"],
    );
    assert_eq!(status, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(
        err.matches("conduitc: note: conduit `ab` is in monitor mode (W107 waived)")
            .count(),
        1,
        "{err}"
    );
}

/// The section of docs/diagnostics.md for `code`, from its heading to the
/// next.
fn docs_section(code: &str) -> String {
    let docs =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md"))
            .unwrap();
    let start = docs
        .find(&format!("\n## {code} "))
        .unwrap_or_else(|| panic!("no section for {code}"))
        + 1;
    let end = docs[start..]
        .find("\n## ")
        .map_or(docs.len(), |e| start + e);
    docs[start..end].to_string()
}

#[test]
fn explain_prints_the_docs_section_of_a_code() {
    for (given, code) in [
        ("E605", "E605"),
        ("e605", "E605"),
        ("monitor-mode", "W107"),
        ("E001", "E001"),
        ("E804", "E804"),
    ] {
        let (status, out, err) = run(&["explain", given]);
        assert_eq!(status, 0, "{given}: {err}");
        assert!(err.is_empty(), "{given}: {err}");
        assert_eq!(out, docs_section(code), "{given}");
    }
    let (_, out, _) = run(&["explain", "e605"]);
    assert!(out.starts_with("## E605 protocol-not-expressible\n\n**error**: a flow crossing"));
    assert!(out.contains("\n### Example\n\n```conduit\n"), "{out}");
    assert!(out.contains("\nreports\n\n```text\nerror[E605]: "), "{out}");
    assert!(
        out.contains("\n### How to fix\n\nRemove the protocol"),
        "{out}"
    );
    let (_, out, _) = run(&["explain", "E804"]);
    assert!(out.contains("*No example: "), "{out}");
}

#[test]
fn explain_json_has_every_part() {
    let (status, out, err) = run(&["explain", "w107", "--format", "json"]);
    assert_eq!(status, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["code"], "W107");
    assert_eq!(v["name"], "monitor-mode");
    assert_eq!(v["severity"], "warning");
    assert_eq!(v["title"], "a conduit is in monitor mode");
    assert!(v["explanation"].as_str().unwrap().contains("allow-list"));
    assert!(v["fix"]
        .as_str()
        .unwrap()
        .starts_with("Switch to `mode enforce`"));
    assert_eq!(v["example"]["file"], "W107-monitor-mode.fail.conduit");
    let text = v["example"]["text"].as_str().unwrap();
    assert!(text.contains("mode monitor"), "{text}");
    let reports = v["example"]["reports"].as_str().unwrap();
    assert!(reports.starts_with("warning[W107]: "), "{reports}");
    assert_eq!(v["no_example"], serde_json::Value::Null);
}

#[test]
fn explain_refuses_an_unknown_code_with_a_suggestion() {
    let err = assert_usage_error(
        &["explain", "W17"],
        "E803",
        "no diagnostic code `W17` (did you mean `W107`, `monitor-mode`?)",
        "W17",
    );
    assert!(
        err.contains("help: codes are a letter and three digits"),
        "{err}"
    );
    let (status, out, err) = run(&["explain", "E9999"]);
    assert_eq!(status, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.starts_with("error[E803]: no diagnostic code `E9999`"),
        "{err}"
    );
}

/// `check --format json|sarif` writes a usage error as its document (SARIF:
/// as a notification of an unsuccessful run).
#[test]
fn check_writes_a_usage_error_in_the_format_asked_for() {
    let (status, out, err) = run(&["check", PLANT, "--format", "json", "--today", "2026-02-30"]);
    assert_eq!(status, 2, "{err}");
    assert!(err.is_empty(), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "E803");
    assert_eq!(d["message"], "invalid value `2026-02-30` for `--today`");
    assert_eq!(d["file"], "<command line>");
    let before = format!("conduitc check {PLANT} --format json --today ");
    assert_eq!(d["column"], before.chars().count() + 1);
    assert_eq!(v["policy"], serde_json::Value::Null);
    let (status, out, _) = run(&["check", PLANT, "--format=sarif", "--deny"]);
    assert_eq!(status, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let invocation = &v["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["descriptor"]["id"],
        "E801"
    );
}

/// An error about a declared name shows its declaration beside the
/// argument at fault.
#[test]
fn errors_about_a_declared_name_show_its_declaration() {
    let (status, _, err) = run(&[
        "build",
        PLANT,
        "--target",
        "cisco-ios",
        "--firewall",
        "ot-core-fw",
        "--today",
        "2026-12-01",
    ]);
    assert_eq!(status, 2, "{err}");
    assert!(err.starts_with("error[E806]: "), "{err}");
    assert!(err.contains("┌─ examples/bottling-plant.conduit:"), "{err}");
    assert!(err.contains("firewall ot-core-fw {"), "{err}");
    assert!(
        err.contains("---------- declared here, `platform nftables`"),
        "{err}"
    );

    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("p.conduit"),
        "owner ot { contact \"ot@example.com\" }\n\
         zone a { level 2 owner ot networks 10.0.0.0/24 host h = 10.0.0.1 }\n\
         zone b { level 2 owner ot networks 10.0.1.0/24 host g = 10.0.1.1 }\n\
         conduit ab {\n  zones a, b\n  owner ot\n  \
         flow raw { from a.h to b.g service ip/0 reason \"vendor\" waive W111 \"vendor protocol\" }\n}\n",
    )
    .unwrap();
    let (status, out, err) = run_in(
        tmp.path(),
        &[
            "build",
            "p.conduit",
            "--target",
            "cisco-ios",
            "--today",
            "2026-12-01",
        ],
    );
    assert_eq!(status, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.starts_with("error[E605]: cisco-ios cannot express ip/0 in `ab/raw`"),
        "{err}"
    );
    assert!(err.contains("┌─ p.conduit:7:8"), "{err}");
    assert!(err.contains("flow `ab/raw` is declared here"), "{err}");
}
