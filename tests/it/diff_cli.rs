//! `conduitc diff` from the command line: the example pair in all three
//! formats (golden outputs), exit codes, `--require-approvals`, invalid and
//! unreadable inputs, and `git:REV:PATH`.

use std::path::Path;
use std::process::Command;

fn conduitc_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .args(["--color", "never"])
        .current_dir(dir)
        .output()
        .expect("run conduitc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn conduitc(args: &[&str]) -> (i32, String, String) {
    conduitc_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

const V1: &str = "examples/diff/v1";
const V2: &str = "examples/diff/v2";
const TODAY: [&str; 2] = ["--today", "2026-12-01"];

fn example(format: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["diff", V1, V2, "--format", format];
    args.extend(TODAY);
    args.extend(extra);
    conduitc(&args)
}

#[test]
fn example_pair_as_text() {
    let (code, out, _) = example("text", &[]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn example_pair_as_markdown() {
    let (code, out, _) = example("markdown", &[]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn example_pair_as_json() {
    let (code, out, _) = example("json", &[]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["no_change"], false);
    insta::assert_snapshot!(out);
}

/// Every change the example's README lists is reported, and nothing that
/// only moved.
#[test]
fn example_reports_every_listed_change_and_nothing_else() {
    let (_, out, _) = example("json", &[]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut got: Vec<String> = v["declarations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let attrs: Vec<&str> = d["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["attribute"].as_str().unwrap())
                .collect();
            let change = d["change"].as_str().unwrap();
            let detail = if change == "modified" {
                attrs.join(",")
            } else {
                String::new()
            };
            format!(
                "{} {} {change} {detail}",
                d["kind"].as_str().unwrap(),
                d["name"].as_str().unwrap()
            )
        })
        .collect();
    got.sort();
    let want = [
        "approval plant-floor modified scope",
        "conduit supervisory-line modified mode,waive W107",
        "firewall cell-fw modified interfaces",
        "flow dmz-supervisory/firmware-pull added ",
        "flow dmz-supervisory/jump-rdp modified log",
        "flow enterprise-dmz/contractor-rdp modified expires",
        "flow enterprise-dmz/recipe-drop removed ",
        "flow enterprise-dmz/view-historian modified owner",
        "flow supervisory-line/line-time modified essential",
        "isolation cut-corporate modified sever",
        "service pi-repl modified definition",
        "zone dmz modified host jump",
        "zone enterprise modified networks",
        "zone palletizer added ",
    ];
    assert_eq!(got, want);
}

#[test]
fn require_approvals_fails_until_every_owner_approved() {
    let (code, out, err) = example(
        "markdown",
        &["--require-approvals", "--approved-by", "it-sec"],
    );
    assert_eq!(code, 1);
    let message = err
        .lines()
        .find(|l| l.starts_with("error["))
        .unwrap_or_default();
    assert!(
        message.starts_with("error[E815]: approval missing from plant-ops"),
        "{err}"
    );
    assert!(!message.contains("it-sec"), "{err}");
    assert!(out.contains("- [x] it-sec (approval it-boundary)"), "{out}");
    assert!(
        out.contains("- [ ] plant-ops (approval plant-floor (old), plant-floor (new))"),
        "{out}"
    );

    let (code, _, err) = example(
        "text",
        &["--require-approvals", "--approved-by", "plant-ops"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("approval missing from it-sec"), "{err}");

    let (code, out, err) = example(
        "text",
        &["--require-approvals", "--approved-by", "Plant-Ops,it-sec"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("[x] plant-ops") && out.contains("[x] it-sec"),
        "{out}"
    );

    // Without --require-approvals, missing approvals do not fail.
    let (code, _, _) = example("text", &[]);
    assert_eq!(code, 0);
}

#[test]
fn a_version_against_itself_is_no_change() {
    let mut args = vec!["diff", V2, V2];
    args.extend(TODAY);
    args.extend(["--require-approvals"]);
    let (code, out, _) = conduitc(&args);
    assert_eq!(code, 0);
    assert_eq!(out, "no change\n");
    let (code, out, _) = conduitc(&[
        "diff",
        V1,
        V1,
        "--format",
        "markdown",
        "--today",
        "2026-12-01",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, "**conduitc diff**: no change\n");
}

#[test]
fn an_invalid_version_exits_1_with_its_diagnostics_and_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.conduit");
    std::fs::write(&bad, "zone z { level 9 }\n").unwrap();
    let bad = bad.to_str().unwrap();
    let (code, out, err) = conduitc(&["diff", V1, bad, "--today", "2026-12-01"]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("bad.conduit"), "{err}");
    // An unreadable path is an I/O error.
    let missing = dir.path().join("missing");
    let (code, out, err) = conduitc(&["diff", missing.to_str().unwrap(), V2]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(err.contains("missing"), "{err}");
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(status.status.success(), "git {args:?}: {status:?}");
}

#[test]
fn git_revisions_are_read_from_the_repository_in_the_current_directory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    std::fs::create_dir(dir.join("policy")).unwrap();
    let v1 = std::fs::read_to_string(root.join(V1).join("policy.conduit")).unwrap();
    let v2 = std::fs::read_to_string(root.join(V2).join("policy.conduit")).unwrap();
    // Version 1 split over two files (and a non-policy file), to read a tree.
    let cut = v1.find("zone enterprise").unwrap();
    std::fs::write(dir.join("policy/a-owners.conduit"), &v1[..cut]).unwrap();
    std::fs::write(dir.join("policy/b-rest.conduit"), &v1[cut..]).unwrap();
    std::fs::write(dir.join("policy/README.md"), "not a policy\n").unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "v1"]);
    std::fs::remove_file(dir.join("policy/a-owners.conduit")).unwrap();
    std::fs::remove_file(dir.join("policy/b-rest.conduit")).unwrap();
    std::fs::write(dir.join("policy/plant.conduit"), &v2).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "v2"]);

    let (_, want, _) = example("text", &[]);
    let (code, out, err) = conduitc_in(
        dir,
        &[
            "diff",
            "git:HEAD~1:policy",
            "policy",
            "--today",
            "2026-12-01",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, want);
    // A single file, both sides from git.
    let (code, out, err) = conduitc_in(
        dir,
        &[
            "diff",
            "git:HEAD~1:policy",
            "git:HEAD:policy/plant.conduit",
            "--today",
            "2026-12-01",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, want);
    // From a subdirectory, PATH is relative to it, as for a path on disk.
    let (code, out, err) = conduitc_in(
        &dir.join("policy"),
        &[
            "diff",
            "git:HEAD~1:.",
            "plant.conduit",
            "--today",
            "2026-12-01",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, want);

    for (spec, says) in [
        (
            "git:no-such-rev:policy",
            "cannot read `git:no-such-rev:policy`",
        ),
        (
            "git:HEAD:no/such/path",
            "cannot read `git:HEAD:no/such/path`",
        ),
        ("git:HEAD", "not of the form git:REV:PATH"),
    ] {
        let (code, out, err) = conduitc_in(dir, &["diff", spec, "policy"]);
        assert_eq!(code, 2, "{spec}: {err}");
        assert_eq!(out, "");
        assert!(err.contains(says), "{spec}: {err}");
    }
    // A revision whose directory holds no policy file is an invalid policy.
    let (code, _, err) = conduitc_in(dir, &["diff", "git:HEAD:policy/README.md", "policy"]);
    assert_eq!(code, 1, "{err}");

    // Outside a repository, git's own complaint is passed on.
    let plain = tempfile::tempdir().unwrap();
    let (code, _, err) = conduitc_in(plain.path(), &["diff", "git:HEAD:policy", "policy"]);
    assert_eq!(code, 2);
    assert!(err.contains("git"), "{err}");
}

/// Runs conduitc in `dir` with a `git` first on PATH that logs each of its
/// invocations to `log` and runs the real git.
fn conduitc_logging_git(dir: &Path, log: &Path, args: &[&str]) -> (i32, String, String) {
    let real = Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_string();
    let bin = log.with_extension("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("git");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{real}' \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .args(["--color", "never"])
        .env("PATH", path)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A tree of many files is read with a fixed number of git processes (one
/// `cat-file --batch` for all the files), and a tree with more files than
/// the limit is refused before any is read.
#[test]
fn git_trees_are_read_in_one_batch_and_the_file_count_is_bounded() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    std::fs::create_dir(dir.join("policy")).unwrap();
    std::fs::write(
        dir.join("policy/000-owner.conduit"),
        "owner ops {\n  contact \"ops@example.com\"\n}\n",
    )
    .unwrap();
    for i in 1..200 {
        std::fs::write(
            dir.join(format!("policy/{i:03}-zone.conduit")),
            format!(
                "zone z{i} {{\n  level 2\n  owner ops\n  networks 10.{}.{}.0/24\n}}\n",
                i / 256,
                i % 256
            ),
        )
        .unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "v1"]);
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("git.log");
    let (code, out, err) = conduitc_logging_git(
        dir,
        &log,
        &["diff", "git:HEAD:policy", "policy", "--today", "2026-12-01"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no change"), "{out}");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls.lines().count(),
        3,
        "cat-file -t, ls-tree, cat-file --batch:\n{calls}"
    );
    assert_eq!(calls.matches("cat-file --batch").count(), 1, "{calls}");

    // One file more than the limit: an empty blob under 10,001 names, put
    // in a tree without touching the work tree.
    let limit = 10_000;
    let blob = Command::new("git")
        .args(["hash-object", "-w", "--stdin"])
        .current_dir(dir)
        .output()
        .unwrap();
    let blob = String::from_utf8(blob.stdout).unwrap().trim().to_string();
    let listing: String = (0..=limit)
        .map(|i| format!("100644 blob {blob}\tf{i:05}.conduit\n"))
        .collect();
    let mut mktree = Command::new("git")
        .arg("mktree")
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    mktree
        .stdin
        .take()
        .unwrap()
        .write_all(listing.as_bytes())
        .unwrap();
    let tree = mktree.wait_with_output().unwrap();
    let tree = String::from_utf8(tree.stdout).unwrap().trim().to_string();
    std::fs::remove_file(&log).unwrap();
    let (code, out, err) =
        conduitc_logging_git(dir, &log, &["diff", &format!("git:{tree}:."), "policy"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("holds 10001 *.conduit files, over the limit of 10000"),
        "{err}"
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(!calls.contains("--batch"), "{calls}");
}
