//! The formats CI systems read, from the real binary: GitHub Actions
//! workflow commands (`--format github`), GitLab Code Quality reports
//! (`--format gitlab`) and what SARIF adds for code scanning
//! (fingerprints, security severity, a valid log on exit 2).

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::run::conduitc;
use super::schemas::{drift, FAILING_ASSERTIONS};

const PLANT: &str = "examples/bottling-plant.conduit";
const TODAY: &str = "2026-12-01";

/// A policy with an error (an unknown zone, with a help line) and a
/// warning, after `blank` empty lines.
fn policy(blank: usize) -> String {
    format!(
        "{}owner ops {{ contact \"ops@example.com\" }}
zone plant {{ level 1 owner ops networks 10.1.0.0/24 }}
zone office {{ level 4 owner ops networks 10.4.0.0/24 }}
conduit office-plant {{
  zones office, plant
  owner ops
  flow view {{
    from office
    to plnt
    service https
    reason \"reporting for the plant\"
  }}
}}
",
        "\n".repeat(blank)
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn check(path: &str, format: &str) -> (i32, String, String) {
    conduitc(&["check", path, "--today", TODAY, "--format", format])
}

#[test]
fn github_annotations_point_at_the_span_and_escape_what_they_must() {
    let tmp = tempfile::tempdir().unwrap();
    // `,` and `:` in a file name would end a property unescaped.
    let file = write(tmp.path(), "a,b:c.conduit", &policy(0));
    let (code, out, err) = check(&file, "github");
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines.is_empty());
    for l in &lines {
        assert!(
            l.starts_with("::error ") || l.starts_with("::warning "),
            "{l}"
        );
    }
    let e = lines
        .iter()
        .find(|l| l.contains("title=E202"))
        .unwrap_or_else(|| panic!("{out}"));
    let escaped = file.replace(',', "%2C").replace(':', "%3A");
    assert!(
        e.starts_with(&format!(
            "::error file={escaped},line=9,endLine=9,col=8,endColumn=11,title=E202::no zone named `plnt`"
        )),
        "{e}"
    );
    // The help is a second line of the message, encoded, not a new command.
    assert!(e.contains("%0Ahelp: "), "{e}");
    assert_eq!(out.matches('\n').count(), lines.len());
}

#[test]
fn github_reports_warnings_and_command_line_errors() {
    let (code, out, _) = check("tests/diagnostics/W107-monitor-mode.fail.conduit", "github");
    assert_eq!(code, 0);
    assert!(
        out.starts_with("::warning file=tests/diagnostics/W107-monitor-mode.fail.conduit,line="),
        "{out}"
    );
    assert!(out.contains(",title=W107::"), "{out}");
    // An error about the command line is no file's: no `file=`.
    let (code, out, err) = conduitc(&["check", "no/such/policy.conduit", "--format", "github"]);
    assert_eq!(code, 2);
    assert!(err.is_empty(), "{err}");
    assert!(out.starts_with("::error title=E814::"), "{out}");
    let (code, out, _) = conduitc(&[
        "check",
        PLANT,
        "--format",
        "github",
        "--today",
        "2026-02-30",
    ]);
    assert_eq!(code, 2);
    assert!(out.starts_with("::error title=E803::"), "{out}");
}

fn gitlab(path: &str) -> Vec<Value> {
    let (code, out, err) = check(path, "gitlab");
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v.as_array().unwrap().clone()
}

#[test]
fn gitlab_code_quality_has_the_fields_gitlab_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "p.conduit", &policy(0));
    let issues = gitlab(&file);
    assert!(!issues.is_empty());
    for i in &issues {
        let o = i.as_object().unwrap();
        let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "check_name",
                "description",
                "fingerprint",
                "location",
                "severity"
            ]
        );
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&i["severity"].as_str().unwrap()));
        assert_eq!(i["location"]["path"], file.as_str());
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert_eq!(i["fingerprint"].as_str().unwrap().len(), 64);
    }
    let e = issues.iter().find(|i| i["check_name"] == "E202").unwrap();
    assert_eq!(e["severity"], "critical");
    assert_eq!(e["location"]["lines"]["begin"], 9);
    assert!(e["description"]
        .as_str()
        .unwrap()
        .starts_with("no zone named `plnt`\nhelp: did you mean `plant`?"));
    // A clean policy is an empty report, still valid JSON.
    let (code, out, _) = check(PLANT, "gitlab");
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        Value::Array(vec![])
    );
    // Exit 2: an empty report on stdout, the error as text on stderr.
    let (code, out, err) = conduitc(&["check", "no/such/policy.conduit", "--format", "gitlab"]);
    assert_eq!(code, 2);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        Value::Array(vec![])
    );
    assert!(err.contains("E814"), "{err}");
}

/// Fingerprints survive unrelated lines moving the finding, in GitLab and
/// SARIF alike, and tell findings apart.
#[test]
fn fingerprints_survive_line_shifts() {
    let tmp = tempfile::tempdir().unwrap();
    let before = write(tmp.path(), "p.conduit", &policy(0));
    let a = gitlab(&before);
    let sarif_a = sarif_results(&before);
    let after = write(tmp.path(), "p.conduit", &policy(5));
    let b = gitlab(&after);
    let sarif_b = sarif_results(&after);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["fingerprint"], y["fingerprint"]);
        assert_ne!(
            x["location"]["lines"]["begin"],
            y["location"]["lines"]["begin"]
        );
    }
    let prints: Vec<&Value> = a.iter().map(|i| &i["fingerprint"]).collect();
    let mut unique = prints.clone();
    unique.dedup();
    assert_eq!(prints.len(), unique.len());
    for ((x, y), g) in sarif_a.iter().zip(&sarif_b).zip(&a) {
        assert_eq!(x["partialFingerprints"], y["partialFingerprints"]);
        assert_eq!(x["partialFingerprints"]["conduitc/v1"], g["fingerprint"]);
    }
}

fn sarif_results(path: &str) -> Vec<Value> {
    let (_, out, _) = check(path, "sarif");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], true);
    v["runs"][0]["results"].as_array().unwrap().clone()
}

#[test]
fn sarif_rules_carry_a_security_severity_where_it_fits() {
    let (_, out, _) = check(PLANT, "sarif");
    let v: Value = serde_json::from_str(&out).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let severity = |id: &str| {
        rules.iter().find(|r| r["id"] == id).unwrap()["properties"]["security-severity"].clone()
    };
    assert_eq!(severity("W102"), "7.5");
    assert_eq!(severity("W116"), "4.0");
    assert_eq!(severity("E202"), Value::Null);
    assert_eq!(severity("W104"), Value::Null);
    for r in rules {
        if let Some(s) = r["properties"]["security-severity"].as_str() {
            let n: f64 = s.parse().unwrap();
            assert!((0.1..=10.0).contains(&n), "{r}");
            assert_eq!(r["properties"]["tags"][0], "security");
        }
    }
}

/// Exit 2 still writes a valid SARIF log: no results, the error as a
/// notification of an unsuccessful invocation.
#[test]
fn sarif_on_exit_2_is_a_log_with_the_error_as_a_notification() {
    for args in [
        &["check", "no/such/policy.conduit", "--format", "sarif"][..],
        &["check", PLANT, "--format=sarif", "--deny"][..],
    ] {
        let (code, out, err) = conduitc(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.is_empty(), "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["results"], Value::Array(vec![]));
        let inv = &run["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        let n = &inv["toolExecutionNotifications"][0];
        assert_eq!(n["level"], "error");
        assert!(n["message"]["text"].as_str().unwrap().len() > 10);
        let id = n["descriptor"]["id"].as_str().unwrap();
        assert!(id == "E814" || id == "E801", "{n}");
        let index = n["descriptor"]["index"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], id);
    }
}

#[test]
fn test_failures_become_annotations_and_issues() {
    let tmp = tempfile::tempdir().unwrap();
    let failing = write(tmp.path(), "failing.conduit-test", FAILING_ASSERTIONS);
    let args = |format| {
        conduitc(&[
            "test", PLANT, &failing, "--today", TODAY, "--format", format,
        ])
    };
    let (code, out, err) = args("github");
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[0].starts_with(&format!(
            "::error file={},line=1,endLine=1,col=1,endColumn=58,title=assertion-failed::expect deny supervisory.scada -> control.line-plcs tcp/502: ",
            failing.replace(':', "%3A").replace(',', "%2C")
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("%0Acounter-example: tcp "),
        "{}",
        lines[0]
    );
    let (code, out, _) = args("gitlab");
    assert_eq!(code, 1);
    let issues: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(issues.len(), 5);
    let lines: Vec<u64> = issues
        .iter()
        .map(|i| i["location"]["lines"]["begin"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 3, 4, 5]);
    assert!(issues.iter().all(
        |i| i["check_name"] == "assertion-failed" && i["location"]["path"] == failing.as_str()
    ));
    // An error that stops the run leaves a valid, empty report.
    let (code, out, err) = conduitc(&[
        "test",
        PLANT,
        "no/such/file.conduit-test",
        "--today",
        TODAY,
        "--format",
        "gitlab",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("E814"), "{err}");
    assert_eq!(out, "[]\n");
    // So does a usage error.
    let (code, out, err) = conduitc(&["test", PLANT, "--today", "2026-02-30", "--format=gitlab"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("E803"), "{err}");
    assert_eq!(out, "[]\n");
    // Passing assertions are no annotation.
    let (code, out, _) = conduitc(&["test", PLANT, "--today", TODAY, "--format", "github"]);
    assert_eq!(code, 0);
    assert_eq!(out, "");
}

#[test]
fn verify_drift_becomes_annotations_at_the_device_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let (code, _, err) = conduitc(&[
        "build",
        PLANT,
        "--today",
        TODAY,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let nft = fs::read_to_string(out_dir.join("ot-core-fw.nft")).unwrap();
    let config = write(tmp.path(), "device.nft", &drift(&nft));
    let added = config_line(&config, "tcp dport 22 accept");
    let run = |format| {
        conduitc(&[
            "verify",
            PLANT,
            "--today",
            TODAY,
            "--target",
            "nftables",
            "--firewall",
            "ot-core-fw",
            "--config",
            &config,
            "--format",
            format,
        ])
    };
    let (code, out, err) = run("github");
    assert_eq!(code, 1, "{err}");
    let admitted: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("title=admitted-not-declared"))
        .collect();
    assert!(!admitted.is_empty(), "{out}");
    for l in &admitted {
        assert!(
            l.starts_with(&format!(
                "::error file={config},line={added},endLine={added},title=admitted-not-declared::admitted but not declared: tcp/22%0Afrom 10.10.0.0/16 (enterprise)"
            )),
            "{l}"
        );
    }
    assert!(out.contains("title=declared-not-admitted::declared but not admitted: "));
    let (code, out, _) = run("gitlab");
    assert_eq!(code, 1);
    let issues: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(issues.len(), out_lines_of(&run("github").1));
    let first = &issues[0];
    assert_eq!(first["check_name"], "admitted-not-declared");
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["location"]["lines"]["begin"], added);
    let mut prints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), issues.len());
    // The same device as the policy: nothing to report.
    let (code, out, _) = conduitc(&[
        "verify",
        PLANT,
        "--today",
        TODAY,
        "--target",
        "nftables",
        "--firewall",
        "ot-core-fw",
        "--config",
        out_dir.join("ot-core-fw.nft").to_str().unwrap(),
        "--format",
        "gitlab",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "[]");
    // A configuration that cannot be read: exit 2, still a valid report.
    let (code, out, err) = conduitc(&[
        "verify",
        PLANT,
        "--today",
        TODAY,
        "--target",
        "nftables",
        "--firewall",
        "ot-core-fw",
        "--config",
        tmp.path().join("missing.nft").to_str().unwrap(),
        "--format",
        "gitlab",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("E840"), "{err}");
    assert_eq!(out, "[]\n");
}

fn out_lines_of(s: &str) -> usize {
    s.lines().count()
}

/// The 1-based line of `config` that contains `needle`.
fn config_line(config: &str, needle: &str) -> usize {
    fs::read_to_string(config)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap()
        + 1
}

/// A policy on standard input keeps its findings in both CI formats, at
/// `<stdin>` with their lines, instead of an empty report.
#[test]
fn a_policy_on_stdin_is_reported_at_stdin() {
    use super::cli_unix::with_stdin;
    let text = policy(0);
    let (code, out, _) = with_stdin(
        &["check", "-", "--today", TODAY, "--format", "gitlab"],
        &text,
    );
    assert_eq!(code, 1);
    let issues: Vec<Value> = serde_json::from_str(&out).unwrap();
    let e = issues.iter().find(|i| i["check_name"] == "E202").unwrap();
    assert_eq!(e["location"]["path"], "<stdin>");
    assert_eq!(e["location"]["lines"]["begin"], 9);
    let (code, out, _) = with_stdin(
        &["check", "-", "--today", TODAY, "--format", "github"],
        &text,
    );
    assert_eq!(code, 1);
    assert!(out.contains("::error file=<stdin>,line=9,"), "{out}");
}
