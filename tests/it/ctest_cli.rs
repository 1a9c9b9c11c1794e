//! `conduitc test` through the binary: how it finds assertion files beside
//! the policy, the text, JSON and JUnit outputs (pinned), and the exit
//! statuses (0 all hold, 1 one fails or the policy has errors, 2 bad or
//! missing assertion files). The examples' assertion files hold.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const POLICY: &str = r#"owner ops { contact "ops@example.com" }
zone corp { level 4 owner ops networks 10.10.0.0/16 host admin = 10.10.200.77 }
zone dmz { level 3.5 owner ops networks 10.35.0.0/24 host jump = 10.35.0.20 }
conduit corp-dmz {
  zones corp, dmz
  owner ops
  flow admin-rdp { from corp.admin to dmz.jump service rdp reason "one admin desktop" }
}
isolation island {
  sever corp
  reason "corporate compromise"
}
"#;

const TESTS: &str = "# The corporate side reaches the DMZ by RDP from one desktop.
expect allow corp.admin -> dmz.jump tcp/3389
expect deny corp -> dmz tcp
expect deny corp -> dmz any under isolation island
expect no path corp -> dmz
";

fn conduitc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A directory with `site.conduit` and `site.conduit-test`.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("site.conduit"), POLICY).unwrap();
    fs::write(dir.path().join("site.conduit-test"), TESTS).unwrap();
    dir
}

const TODAY: [&str; 2] = ["--today", "2026-12-01"];

#[test]
fn text_output_lists_each_assertion_and_explains_each_failure() {
    let dir = site();
    let o = conduitc(&["test", "site.conduit", TODAY[0], TODAY[1]], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "PASS site.conduit-test:2:1  expect allow corp.admin -> dmz.jump tcp/3389
     admitted by: corp-dmz/admin-rdp
FAIL site.conduit-test:3:1  expect deny corp -> dmz tcp
     tcp 10.10.200.77 -> 10.35.0.20 port 3389 is allowed on 2026-12-01 by `corp-dmz/admin-rdp`
     counter-example: tcp 10.10.200.77 -> 10.35.0.20 port 3389
     decided by: allow corp-dmz/admin-rdp
PASS site.conduit-test:4:1  expect deny corp -> dmz any under isolation island
FAIL site.conduit-test:5:1  expect no path corp -> dmz
     a path of 1 hop leads from `corp` to `dmz` on 2026-12-01: corp-dmz/admin-rdp
2 passed, 2 failed
"
    );
    assert_eq!(stderr(&o), "");
}

#[test]
fn all_holding_exits_0_and_the_directory_finds_policy_and_assertions() {
    let dir = site();
    fs::write(
        dir.path().join("site.conduit-test"),
        "expect allow corp.admin -> dmz.jump tcp/3389\n",
    )
    .unwrap();
    fs::create_dir(dir.path().join("more")).unwrap();
    fs::write(
        dir.path().join("more/island.conduit-test"),
        "expect deny corp -> dmz any under isolation island\n",
    )
    .unwrap();
    let o = conduitc(&["test", ".", TODAY[0], TODAY[1]], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "PASS ./more/island.conduit-test:1:1  expect deny corp -> dmz any under isolation island
PASS ./site.conduit-test:1:1  expect allow corp.admin -> dmz.jump tcp/3389
     admitted by: corp-dmz/admin-rdp
2 passed, 0 failed
"
    );
}

#[test]
fn an_assertion_file_given_explicitly_runs_against_the_policy_given() {
    let dir = site();
    fs::rename(
        dir.path().join("site.conduit-test"),
        dir.path().join("elsewhere.conduit-test"),
    )
    .unwrap();
    // Beside-the-policy discovery no longer finds it: nothing to run.
    let o = conduitc(&["test", "site.conduit", TODAY[0], TODAY[1]], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[E822]"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let o = conduitc(
        &[
            "test",
            "site.conduit",
            "elsewhere.conduit-test",
            TODAY[0],
            TODAY[1],
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).ends_with("2 passed, 2 failed\n"));
    // Assertion files alone name no policy.
    let o = conduitc(&["test", "elsewhere.conduit-test"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[E801]"), "{}", stderr(&o));
}

#[test]
fn a_file_of_comments_alone_is_no_assertion_and_fails_the_run() {
    let dir = site();
    fs::write(dir.path().join("site.conduit-test"), "# to do\n").unwrap();
    let o = conduitc(&["test", "site.conduit"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error[E822]: no assertion to run"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn a_bad_assertion_file_is_a_located_error_exit_2_and_nothing_on_stdout() {
    let dir = site();
    fs::write(
        dir.path().join("site.conduit-test"),
        "expect allow corp.admin -> dmz.jump tcp/3389\nexpect deny crop -> dmz tcp\n",
    )
    .unwrap();
    for format in ["text", "json", "junit"] {
        let o = conduitc(
            &[
                "test",
                "site.conduit",
                "--format",
                format,
                TODAY[0],
                TODAY[1],
            ],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(stdout(&o), "", "{format}");
        let err = stderr(&o);
        assert!(
            err.contains("error[E821]: the policy declares no zone `crop`"),
            "{err}"
        );
        assert!(err.contains("site.conduit-test:2:13"), "{err}");
        assert!(err.contains("did you mean `corp`?"), "{err}");
    }
}

#[test]
fn a_policy_with_errors_exits_1_before_any_assertion() {
    let dir = site();
    fs::write(dir.path().join("site.conduit"), "zone broken {").unwrap();
    let o = conduitc(&["test", "site.conduit"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("error[E101]"), "{}", stderr(&o));
}

#[test]
fn a_missing_assertion_file_is_e814() {
    let dir = site();
    let o = conduitc(&["test", "site.conduit", "gone.conduit-test"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[E814]"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn json_output_is_one_document_with_every_outcome() {
    let dir = site();
    let o = conduitc(
        &[
            "test",
            "site.conduit",
            "--format",
            "json",
            TODAY[0],
            TODAY[1],
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["passed"], 2);
    assert_eq!(doc["failed"], 2);
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 4);
    assert_eq!(
        tests[1],
        serde_json::json!({
            "file": "site.conduit-test",
            "line": 3,
            "column": 1,
            "kind": "deny",
            "assertion": "expect deny corp -> dmz tcp",
            "passed": false,
            "message": "tcp 10.10.200.77 -> 10.35.0.20 port 3389 is allowed on 2026-12-01 by `corp-dmz/admin-rdp`",
            "counterexample": {"src": "10.10.200.77", "dst": "10.35.0.20", "proto": 6, "dport": 3389, "icmp_type": null},
            "decision": "allow",
            "decided_by": "corp-dmz/admin-rdp",
            "flows": ["corp-dmz/admin-rdp"],
            "path": null
        })
    );
    assert_eq!(tests[0]["kind"], "allow");
    assert_eq!(tests[0]["passed"], true);
    assert_eq!(tests[2]["kind"], "deny");
    assert_eq!(tests[3]["kind"], "no-path");
    assert_eq!(
        tests[3]["path"]["zones"],
        serde_json::json!(["corp", "dmz"])
    );
    assert_eq!(tests[3]["path"]["hops"][0]["flow"], "corp-dmz/admin-rdp");
}

#[test]
fn junit_output_is_pinned_and_escapes_user_text() {
    let dir = site();
    // A file name full of XML's special characters.
    let name = "a&b<c>\"d'.conduit-test";
    fs::write(dir.path().join(name), TESTS).unwrap();
    let o = conduitc(
        &[
            "test",
            "site.conduit",
            name,
            "--format",
            "junit",
            TODAY[0],
            TODAY[1],
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let xml = stdout(&o);
    let esc = "a&amp;b&lt;c&gt;&quot;d&apos;.conduit-test";
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"conduitc test\" tests=\"8\" failures=\"4\">\n  <testsuite name=\"site.conduit-test\" tests=\"4\" failures=\"2\" errors=\"0\">\n    <testcase name=\"line 2: expect allow corp.admin -&gt; dmz.jump tcp/3389\" classname=\"site.conduit-test\" file=\"site.conduit-test\" line=\"2\"/>\n    <testcase name=\"line 3: expect deny corp -&gt; dmz tcp\" classname=\"site.conduit-test\" file=\"site.conduit-test\" line=\"3\">\n      <failure message=\"tcp 10.10.200.77 -&gt; 10.35.0.20 port 3389 is allowed on 2026-12-01 by `corp-dmz/admin-rdp`\" type=\"assertion\">site.conduit-test:3:1: expect deny corp -&gt; dmz tcp\ntcp 10.10.200.77 -&gt; 10.35.0.20 port 3389 is allowed on 2026-12-01 by `corp-dmz/admin-rdp`\ncounter-example: tcp 10.10.200.77 -&gt; 10.35.0.20 port 3389\ndecided by: allow corp-dmz/admin-rdp\n</failure>\n    </testcase>\n"
    ), "{xml}");
    assert!(
        xml.contains(&format!(
            "<testsuite name=\"{esc}\" tests=\"4\" failures=\"2\" errors=\"0\">"
        )),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("classname=\"{esc}\" file=\"{esc}\" line=\"5\">")),
        "{xml}"
    );
    assert!(!xml.contains(name));
    assert!(xml.ends_with("  </testsuite>\n</testsuites>\n"));
    // Well-formed as far as tags go: every opened element is closed.
    let opened = xml.matches("<testcase ").count();
    let closed = xml.matches("</testcase>").count() + xml.matches("\"/>\n").count();
    assert_eq!(opened, closed);
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
}

#[test]
fn the_examples_assertions_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for args in [
        &["test", "examples/bottling-plant.conduit"][..],
        &["test", "examples/water-utility"][..],
    ] {
        let o = conduitc(&[args, &TODAY[..]].concat(), root);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let out = stdout(&o);
        let last = out.lines().last().unwrap();
        let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
        assert!(passed >= 20, "{args:?}: {last}");
        assert!(last.ends_with(" passed, 0 failed"), "{last}");
        assert!(!out.contains("FAIL"), "{out}");
    }
}

#[test]
fn the_ci_templates_run_the_assertions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let gh = fs::read_to_string(root.join("examples/ci/github-actions.yml")).unwrap();
    assert!(gh.contains("run: conduitc test policy/"), "{gh}");
    let gl = fs::read_to_string(root.join("examples/ci/gitlab-ci.yml")).unwrap();
    assert!(
        gl.contains("conduitc test policy/") && gl.contains("junit: conduitc-test.xml"),
        "{gl}"
    );
}
