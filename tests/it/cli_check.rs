//! `conduitc check` as a user runs it: exit codes, which stream gets what,
//! output formats and colour.

use std::path::Path;
use std::process::{Command, Output};

fn conduitc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const TODAY: &str = "2026-12-01";

fn corpus(name: &str) -> String {
    format!("tests/diagnostics/{name}")
}

#[test]
fn clean_policy_exits_zero_with_a_summary_on_stderr_only() {
    let o = conduitc(&[
        "check",
        "examples/bottling-plant.conduit",
        "--today",
        TODAY,
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    assert_eq!(
        text(&o.stderr),
        "conduitc: the policy checks clean (1 file read)\n"
    );
}

#[test]
fn warnings_exit_zero_unless_denied() {
    let file = corpus("W107-monitor-mode.fail.conduit");
    let o = conduitc(&["check", &file, "--today", TODAY, "--color", "never"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    let err = text(&o.stderr);
    assert!(err.contains("warning[W107]"), "{err}");
    assert!(
        err.ends_with("conduitc: the policy checks with 1 warning (1 file read)\n"),
        "{err}"
    );

    let o = conduitc(&[
        "check",
        &file,
        "--today",
        TODAY,
        "--deny-warnings",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
}

#[test]
fn errors_exit_one_with_nothing_on_stdout() {
    let o = conduitc(&[
        "check",
        &corpus("E202-unknown-name.fail.conduit"),
        "--today",
        TODAY,
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = text(&o.stderr);
    assert!(
        err.contains("error[E202]: zone `plant` has no host or group named `plcc`"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `plc`?"), "{err}");
    assert!(
        err.ends_with("conduitc: the policy has 1 error (1 file read)\n"),
        "{err}"
    );
}

#[test]
fn expiry_is_judged_against_today() {
    let v1 = "examples/diff/v1";
    let o = conduitc(&["check", v1, "--today", "2027-03-31", "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("warning[W104]"));
    let o = conduitc(&["check", v1, "--today", "2027-04-01", "--color", "never"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr)
        .contains("error[E505]: flow `enterprise-dmz/contractor-rdp` expired on 2027-03-31"));
}

#[test]
fn json_goes_to_stdout_with_the_policy_when_it_checks() {
    let o = conduitc(&[
        "check",
        "examples/diff/v2",
        "--today",
        TODAY,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["diagnostics"], serde_json::json!([]));
    let policy: conduitc::Policy = serde_json::from_value(v["policy"].clone()).unwrap();
    assert!(policy.zone_id("palletizer").is_some());

    let o = conduitc(&[
        "check",
        &corpus("E303-address-outside-zone.fail.conduit"),
        "--today",
        TODAY,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stderr.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["policy"], serde_json::Value::Null);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "E303");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        d["file"],
        "tests/diagnostics/E303-address-outside-zone.fail.conduit"
    );
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(17), Some(14))
    );
    assert_eq!(
        (d["end"]["line"].as_u64(), d["end"]["column"].as_u64()),
        (Some(17), Some(22))
    );
    assert!(d["help"].is_string());
}

#[test]
fn sarif_goes_to_stdout() {
    let o = conduitc(&[
        "check",
        &corpus("W101-purdue-skip.fail.conduit"),
        "--today",
        TODAY,
        "--format",
        "sarif",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let r = &v["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "W101");
    assert_eq!(r["level"], "warning");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "tests/diagnostics/W101-purdue-skip.fail.conduit"
    );
}

#[test]
fn unreadable_paths_exit_two() {
    let o = conduitc(&["check", "no/such/policy.conduit"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = text(&o.stderr);
    assert!(
        err.starts_with(
            "error[E814]: `no/such/policy.conduit`: no such file or directory\n  \
             ┌─ <command line>:1:16\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("conduitc check no/such/policy.conduit\n"),
        "{err}"
    );
    // With --format json and sarif the error is the document on stdout.
    let o = conduitc(&["check", "no/such/policy.conduit", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "E814");
    assert_eq!(d["file"], "<command line>");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(16))
    );
    assert_eq!(v["policy"], serde_json::Value::Null);
    let o = conduitc(&["check", "no/such/policy.conduit", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let invocation = &v["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["descriptor"]["id"],
        "E814"
    );
}

#[test]
fn bad_today_is_a_usage_error() {
    let o = conduitc(&["check", "examples/diff/v1", "--today", "2027-02-30"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(text(&o.stderr).contains("is not a date of the form YYYY-MM-DD"));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let file = corpus("E201-duplicate-name.fail.conduit");
    let o = conduitc(&["check", &file, "--color", "always"]);
    assert!(text(&o.stderr).contains("\u{1b}["), "expected ANSI escapes");
    let o = conduitc(&["check", &file, "--color", "never"]);
    assert!(!text(&o.stderr).contains('\u{1b}'));
    let o = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(["check", &file])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!text(&o.stderr).contains('\u{1b}'));
}

#[test]
fn a_directory_is_one_policy_across_files() {
    let o = conduitc(&[
        "check",
        "examples/water-utility",
        "--today",
        TODAY,
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stderr),
        "conduitc: the policy checks clean (8 files read)\n"
    );
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/water-utility")
        .is_dir());
}

#[test]
fn commands_that_need_a_policy_stop_on_its_errors() {
    // `graph` loads through the shared helper: diagnostics on stderr, exit 1,
    // nothing on stdout.
    let o = conduitc(&[
        "graph",
        &corpus("E301-overlapping-networks.fail.conduit"),
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = text(&o.stderr);
    assert!(err.contains("error[E301]"), "{err}");
    assert!(
        err.ends_with("conduitc: the policy has 1 error (1 file read)\n"),
        "{err}"
    );
    // Warnings are shown, and the command goes on.
    let o = conduitc(&[
        "graph",
        &corpus("W107-monitor-mode.fail.conduit"),
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!o.stdout.is_empty());
    assert!(text(&o.stderr).contains("warning[W107]"));
    let o = conduitc(&["graph", "no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}
