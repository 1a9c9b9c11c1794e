//! Exit codes that carry the answer, for scripts: `query --exit-code`,
//! `paths --expect none|some`, `diff --exit-code`. Without the flags the
//! commands exit 0 whatever the answer, as before.

use std::fs;

const PLANT: &str = "examples/bottling-plant.conduit";

/// `conduitc ARGS --today 2026-12-01`.
fn conduitc(args: &[&str]) -> (i32, String, String) {
    crate::run::conduitc(&[args, &["--today", "2026-12-01"]].concat())
}

const ALLOWED: [&str; 8] = [
    "--src",
    "10.20.0.20",
    "--dst",
    "10.1.10.11",
    "--proto",
    "tcp",
    "--port",
    "502",
];
const DENIED: [&str; 8] = [
    "--src",
    "10.10.50.1",
    "--dst",
    "10.1.10.11",
    "--proto",
    "tcp",
    "--port",
    "502",
];

#[test]
fn query_exit_code_is_0_for_allow_and_1_for_deny() {
    let run = |packet: &[&str], flag: bool| {
        let mut args = vec!["query", PLANT];
        args.extend_from_slice(packet);
        if flag {
            args.push("--exit-code");
        }
        conduitc(&args)
    };
    let (code, out, err) = run(&ALLOWED, true);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("allow supervisory-control/plc-io"), "{out}");
    let (code, out, err) = run(&DENIED, true);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "deny (no flow matches)\n");
    // The answer is printed either way, and without the flag a deny is 0.
    let (code, out, _) = run(&DENIED, false);
    assert_eq!((code, out.as_str()), (0, "deny (no flow matches)\n"));
    // A usage error stays 2, not a deny.
    let (code, _, err) = conduitc(&[
        "query",
        PLANT,
        "--src",
        "10.0.0.1",
        "--dst",
        "10.0.0.2",
        "--proto",
        "tcp",
        "--exit-code",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn paths_expect_fails_when_the_answer_is_not_the_expected_one() {
    let run = |extra: &[&str]| {
        let mut args = vec!["paths", PLANT, "--from", "enterprise", "--to", "control"];
        args.extend_from_slice(extra);
        conduitc(&args)
    };
    let (code, out, err) = run(&["--expect", "none"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("2 paths from enterprise to control"),
        "{out}"
    );
    assert!(
        err.contains("expected no path from `enterprise` to `control`, found 2"),
        "{err}"
    );
    let (code, _, err) = run(&["--expect", "some"]);
    assert_eq!(code, 0, "{err}");
    // Islanded, the plant has no path from the enterprise.
    let island = ["--isolation", "cut-corporate"];
    let (code, out, err) = run(&[&island[..], &["--expect", "none"]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "no path from enterprise to control\n");
    let (code, _, err) = run(&[&island[..], &["--expect", "some"]].concat());
    assert_eq!(code, 1);
    assert!(err.contains("expected a path"), "{err}");
    assert!(err.contains("found none"), "{err}");
    let (code, _, err) = run(&["--expect", "maybe"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("E803"), "{err}");
}

#[test]
fn diff_exit_code_is_1_only_for_a_change_in_effect() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = "examples/diff/v1/policy.conduit";
    let v2 = "examples/diff/v2/policy.conduit";
    let (code, out, err) = conduitc(&["diff", v1, v2, "--exit-code"]);
    assert_eq!(code, 1, "{err}");
    assert!(!out.is_empty());
    assert_eq!(conduitc(&["diff", v1, v2]).0, 0);
    // The same policy with a comment and another layout: no change in effect.
    let root = env!("CARGO_MANIFEST_DIR");
    let text = fs::read_to_string(format!("{root}/{v1}")).unwrap();
    let relaid = tmp.path().join("policy.conduit");
    fs::write(&relaid, format!("# reviewed\n\n{text}\n\n")).unwrap();
    let (code, _, err) = conduitc(&["diff", v1, relaid.to_str().unwrap(), "--exit-code"]);
    assert_eq!(code, 0, "{err}");
}
