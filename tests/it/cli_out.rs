//! `conduitc build --out DIR` as a file-system operation: what it refuses
//! to replace, the atomic swap, recovery after an interrupted build,
//! concurrent builds, a user's symbolic link; and results written to a full
//! disk or a closed pipe, for every command that prints one.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::run::hex_sha256;

const PLANT: &str = "examples/bottling-plant.conduit";

fn plant() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(PLANT)
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run conduitc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `conduitc build PLANT --today 2026-12-01 --out OUT EXTRA...` in `cwd`.
fn build_out(cwd: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let p = plant();
    let mut args = vec![
        "build",
        p.to_str().unwrap(),
        "--today",
        "2026-12-01",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_in(cwd, &args)
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Asserts that `dir` holds one complete build: a conduitc manifest and
/// exactly the files it lists, each with its recorded SHA-256. Returns the
/// manifest's isolation mode.
fn assert_complete_build(dir: &Path) -> serde_json::Value {
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["generator"]
        .as_str()
        .unwrap()
        .starts_with("conduitc "));
    let mut listed = vec!["manifest.json".to_string()];
    for e in manifest["files"].as_array().unwrap() {
        let file = e["file"].as_str().unwrap();
        let bytes = fs::read(dir.join(file)).unwrap();
        assert_eq!(e["sha256"], hex_sha256(&bytes).as_str(), "{file}");
        listed.push(file.to_string());
    }
    listed.sort();
    assert_eq!(names(dir), listed);
    manifest["isolation"].clone()
}

fn is_symlink(p: &Path) -> bool {
    fs::symlink_metadata(p)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false)
}

/// A web or browser-extension checkout: a `manifest.json` of its own, a
/// `.git` directory, sources. `--out` into it, or into `.` from inside it,
/// is refused with the reason, and nothing is deleted or created.
#[test]
fn out_refuses_a_directory_whose_manifest_conduitc_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("extension");
    fs::create_dir_all(project.join(".git")).unwrap();
    fs::create_dir_all(project.join("src")).unwrap();
    fs::write(project.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::write(project.join("src/app.js"), "console.log(1)\n").unwrap();
    fs::write(
        project.join("manifest.json"),
        "{\"manifest_version\": 3, \"name\": \"ext\", \"version\": \"1.0\"}\n",
    )
    .unwrap();
    let before = names(&project);
    let (code, out, err) = build_out(tmp.path(), &project, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("conduitc did not write"), "{err}");
    assert!(err.contains("refusing to replace it"), "{err}");
    assert_eq!(names(&project), before);
    assert_eq!(
        fs::read_to_string(project.join("src/app.js")).unwrap(),
        "console.log(1)\n"
    );
    assert_eq!(
        names(tmp.path()),
        ["extension"],
        "nothing created beside it"
    );

    // From inside the checkout, `.` is refused for being the current directory.
    let (code, _, err) = build_out(&project, Path::new("."), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("current directory"), "{err}");
    assert_eq!(names(&project), before);

    // A manifest that claims to be conduitc's does not make `src` and
    // `.git` part of a build.
    fs::write(
        project.join("manifest.json"),
        "{\"generator\": \"conduitc 0.1.0\", \"today\": \"2026-12-01\", \
         \"policy\": {\"sha256\": \"\", \"sources\": []}, \"files\": []}\n",
    )
    .unwrap();
    let (code, _, err) = build_out(tmp.path(), &project, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("which is not one of the files"), "{err}");
    assert_eq!(names(&project), before);
    assert!(project.join(".git/HEAD").is_file());
}

/// `.`, `..` and any directory above the current one are refused, even
/// when they look like a build; so is a directory holding the policy.
#[test]
fn out_refuses_the_current_directory_its_parents_and_the_policy_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = tmp.path().join("a/b");
    fs::create_dir_all(&deep).unwrap();
    let a = tmp.path().join("a");
    for (cwd, out) in [
        (deep.as_path(), Path::new(".")),
        (deep.as_path(), Path::new("..")),
        (deep.as_path(), Path::new("../..")),
        (deep.as_path(), a.as_path()),
        (deep.as_path(), Path::new("../b")),
    ] {
        let (code, stdout, err) = build_out(cwd, out, &[]);
        assert_eq!(code, 2, "{}: {err}", out.display());
        assert!(stdout.is_empty());
        assert!(
            err.contains("is the current directory or one of its parents")
                && err.contains("refusing to replace it"),
            "{}: {err}",
            out.display()
        );
    }
    assert_eq!(names(tmp.path()), ["a"]);
    assert_eq!(names(&a), ["b"]);
    assert!(names(&deep).is_empty());

    // A directory that holds the policy being built.
    let policy_dir = tmp.path().join("policy");
    fs::create_dir(&policy_dir).unwrap();
    fs::copy(plant(), policy_dir.join("plant.conduit")).unwrap();
    let (code, _, err) = run_in(
        tmp.path(),
        &[
            "build",
            "policy",
            "--today",
            "2026-12-01",
            "--out",
            "policy",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds the policy source"), "{err}");
    assert_eq!(names(&policy_dir), ["plant.conduit"]);
}

/// DIR becomes a link into `.DIR.conduitc`; each build swaps it, keeps the
/// version it replaced, and removes older ones.
#[test]
fn out_is_a_link_to_the_newest_version() {
    let tmp = tempfile::tempdir().unwrap();
    let fw = tmp.path().join("fw");
    let state = tmp.path().join(".fw.conduitc");
    let (code, _, err) = build_out(tmp.path(), &fw, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(is_symlink(&fw));
    let first = fs::read_link(&fw).unwrap();
    assert_eq!(first.parent().unwrap(), Path::new(".fw.conduitc"));
    assert_complete_build(&fw);
    for _ in 0..3 {
        let (code, _, err) = build_out(tmp.path(), &fw, &["--isolation", "cut-corporate"]);
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(assert_complete_build(&fw), "cut-corporate");
    let current = fs::read_link(&fw).unwrap();
    assert_ne!(current, first);
    // The lock, the current version and the one before it.
    let left = names(&state);
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(left.contains(&"lock".to_string()));
    assert!(left.contains(&current.file_name().unwrap().to_string_lossy().into_owned()));
    assert!(!left.contains(&first.file_name().unwrap().to_string_lossy().into_owned()));
    assert_eq!(names(tmp.path()), [".fw.conduitc", "fw"]);
}

/// A real directory written by an earlier conduitc is replaced by the link
/// in one exchange, and nothing of it is left.
#[test]
fn out_replaces_a_previous_real_build_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let fw = tmp.path().join("fw");
    let (code, _, err) = build_out(tmp.path(), &tmp.path().join("first"), &[]);
    assert_eq!(code, 0, "{err}");
    // What conduitc 0.1.0 left: a real directory with the build in it.
    fs::create_dir(&fw).unwrap();
    for n in names(&tmp.path().join("first")) {
        fs::copy(tmp.path().join("first").join(&n), fw.join(&n)).unwrap();
    }
    let (code, _, err) = build_out(tmp.path(), &fw, &["--isolation", "cut-corporate"]);
    assert_eq!(code, 0, "{err}");
    assert!(is_symlink(&fw));
    assert_eq!(assert_complete_build(&fw), "cut-corporate");
    let state = names(&tmp.path().join(".fw.conduitc"));
    assert_eq!(state.len(), 2, "the lock and the new version: {state:?}");
    // An empty directory is replaced too.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let (code, _, err) = build_out(tmp.path(), &empty, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(is_symlink(&empty));
    assert_complete_build(&empty);
}

/// What an interrupted build can leave: conduitc 0.1.0 killed between its
/// two renames (no DIR, the old build in `.DIR.conduitc-old-PID`, a
/// half-written `.DIR.conduitc-new-PID`), or this version killed while
/// writing a version, before the swap, or in the fallback swap (DIR moved
/// to `displaced`). The next build restores and completes DIR and removes
/// every leftover.
#[test]
fn out_recovers_from_an_interrupted_build() {
    let tmp = tempfile::tempdir().unwrap();
    let fw = tmp.path().join("fw");
    let first = tmp.path().join("first");
    let (code, _, err) = build_out(tmp.path(), &first, &[]);
    assert_eq!(code, 0, "{err}");
    let copy_build = |to: &Path| {
        fs::create_dir(to).unwrap();
        for n in names(&first) {
            fs::copy(first.join(&n), to.join(&n)).unwrap();
        }
    };

    // conduitc 0.1.0, killed between its renames.
    copy_build(&tmp.path().join(".fw.conduitc-old-4242"));
    fs::create_dir(tmp.path().join(".fw.conduitc-new-4242")).unwrap();
    fs::write(tmp.path().join(".fw.conduitc-new-4242/manifest.json"), "{").unwrap();
    // A policy error ends the build before --out: the leftovers stay.
    let bad = tmp.path().join("bad.conduit");
    fs::write(&bad, "zone a {\n  level 9\n}\n").unwrap();
    let (code, _, _) = run_in(
        tmp.path(),
        &[
            "build",
            "bad.conduit",
            "--out",
            "fw",
            "--today",
            "2026-12-01",
        ],
    );
    assert_eq!(code, 1);
    fs::remove_file(&bad).unwrap();
    let (code, _, err) = build_out(tmp.path(), &fw, &["--isolation", "cut-corporate"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(assert_complete_build(&fw), "cut-corporate");
    assert_eq!(
        names(tmp.path()),
        [".first.conduitc", ".fw.conduitc", "first", "fw"]
    );

    // This version, killed mid-write and before the swap: a partial
    // version directory and a `next` link.
    let state = tmp.path().join(".fw.conduitc");
    fs::create_dir(state.join("00000000000000000001-77")).unwrap();
    fs::write(state.join("00000000000000000001-77/cell-router.ios"), "!").unwrap();
    symlink(".fw.conduitc/00000000000000000001-77", state.join("next")).unwrap();
    assert_eq!(
        assert_complete_build(&fw),
        "cut-corporate",
        "DIR is untouched"
    );
    let (code, _, err) = build_out(tmp.path(), &fw, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(assert_complete_build(&fw), serde_json::Value::Null);
    let left = names(&state);
    assert_eq!(left.len(), 3, "lock, current, previous: {left:?}");
    assert!(!left.contains(&"next".to_string()));
    assert!(!left.contains(&"00000000000000000001-77".to_string()));

    // Killed in the fallback swap: a real DIR moved aside, no DIR.
    let legacy = tmp.path().join("legacy");
    fs::create_dir(tmp.path().join(".legacy.conduitc")).unwrap();
    copy_build(&tmp.path().join(".legacy.conduitc/displaced"));
    let (code, _, err) = build_out(tmp.path(), &legacy, &["--isolation", "cut-corporate"]);
    assert_eq!(code, 0, "{err}");
    assert!(is_symlink(&legacy));
    assert_eq!(assert_complete_build(&legacy), "cut-corporate");
    assert_eq!(names(&tmp.path().join(".legacy.conduitc")).len(), 2);
}

/// Builds killed at arbitrary moments never leave DIR missing or mixed:
/// after each kill DIR is one complete build, and a final build cleans up.
#[test]
fn out_survives_builds_killed_at_any_moment() {
    let tmp = tempfile::tempdir().unwrap();
    let fw = tmp.path().join("fw");
    let (code, _, err) = build_out(tmp.path(), &fw, &[]);
    assert_eq!(code, 0, "{err}");
    let p = plant();
    for i in 0..30u64 {
        let iso: &[&str] = if i % 2 == 0 {
            &["--isolation", "cut-corporate"]
        } else {
            &[]
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_conduitc"))
            .args([
                "build",
                p.to_str().unwrap(),
                "--today",
                "2026-12-01",
                "--out",
            ])
            .arg(&fw)
            .args(iso)
            .current_dir(tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over the run (a build takes some milliseconds).
        std::thread::sleep(std::time::Duration::from_micros(i * 1_500));
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            fs::symlink_metadata(&fw).is_ok(),
            "kill {i}: DIR is missing"
        );
        assert_complete_build(&fw);
    }
    let (code, _, err) = build_out(tmp.path(), &fw, &[]);
    assert_eq!(code, 0, "{err}");
    assert_complete_build(&fw);
    assert_eq!(names(tmp.path()), [".fw.conduitc", "fw"]);
    assert!(names(&tmp.path().join(".fw.conduitc")).len() <= 3);
}

/// Twenty pairs of builds into one DIR at once: every build succeeds (the
/// second of a pair waits for the lock) and DIR ends as one complete build.
#[test]
fn concurrent_builds_into_one_dir_all_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let fw = tmp.path().join("fw");
    // The first pair starts from a real directory left by conduitc 0.1.0.
    let first = tmp.path().join("first");
    let (code, _, err) = build_out(tmp.path(), &first, &[]);
    assert_eq!(code, 0, "{err}");
    fs::create_dir(&fw).unwrap();
    for n in names(&first) {
        fs::copy(first.join(&n), fw.join(&n)).unwrap();
    }
    fs::remove_file(&first).unwrap();
    fs::remove_dir_all(tmp.path().join(".first.conduitc")).unwrap();
    for round in 0..20 {
        let results: Vec<(i32, String, String)> = std::thread::scope(|s| {
            let a = s.spawn(|| build_out(tmp.path(), &fw, &[]));
            let b = s.spawn(|| build_out(tmp.path(), &fw, &["--isolation", "cut-corporate"]));
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        for (code, _, err) in &results {
            assert_eq!(*code, 0, "round {round}: {err}");
        }
        assert!(is_symlink(&fw));
        assert_complete_build(&fw);
    }
    assert_eq!(names(tmp.path()), [".fw.conduitc", "fw"]);
    assert!(names(&tmp.path().join(".fw.conduitc")).len() <= 3);
}

/// A DIR that is the user's own symbolic link stays that link: the build
/// goes where it points.
#[test]
fn a_symlinked_out_dir_stays_a_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("deploy")).unwrap();
    let link = tmp.path().join("fw");
    symlink("deploy/current", &link).unwrap();
    for iso in [&[][..], &["--isolation", "cut-corporate"][..]] {
        let (code, _, err) = build_out(tmp.path(), &link, iso);
        assert_eq!(code, 0, "{err}");
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("deploy/current"));
        assert_complete_build(&link);
        assert_complete_build(&tmp.path().join("deploy/current"));
    }
    assert_eq!(assert_complete_build(&link), "cut-corporate");
    assert_eq!(names(tmp.path()), ["deploy", "fw"]);
    assert_eq!(
        names(&tmp.path().join("deploy")),
        [".current.conduitc", "current"]
    );
    // A link to a directory that is not a build is refused like the directory.
    let home = tmp.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::write(home.join("notes.txt"), "keep me").unwrap();
    let to_home = tmp.path().join("to-home");
    symlink("home", &to_home).unwrap();
    let (code, _, err) = build_out(tmp.path(), &to_home, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refusing to replace it"), "{err}");
    assert_eq!(names(&home), ["notes.txt"]);
    assert!(is_symlink(&to_home));
}

/// Runs conduitc in the repository with stdout on `/dev/full`.
fn to_dev_full(args: &[&str]) -> (i32, String) {
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(full)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every command that prints a result, run over the bundled plant.
fn printing_commands() -> Vec<Vec<&'static str>> {
    let t = ["--today", "2026-12-01"];
    let mut v = vec![
        vec!["build", PLANT, "--target", "nftables"],
        vec![
            "build",
            PLANT,
            "--target",
            "cisco-ios",
            "--firewall",
            "cell-router",
        ],
        vec!["check", PLANT, "--format", "json"],
        vec!["check", PLANT, "--format", "sarif"],
        vec![
            "query",
            PLANT,
            "--src",
            "10.10.1.5",
            "--dst",
            "10.35.0.10",
            "--proto",
            "tcp",
            "--port",
            "443",
        ],
        vec!["diff", "examples/diff/v1", "examples/diff/v2"],
        vec![
            "diff",
            "examples/diff/v1",
            "examples/diff/v2",
            "--format",
            "json",
        ],
        vec!["paths", PLANT, "--from", "enterprise", "--to", "control"],
        vec!["graph", PLANT],
        vec!["services"],
        vec!["--help"],
        vec!["--version"],
    ];
    for c in &mut v {
        if !c[0].starts_with('-') && c[0] != "services" {
            c.extend_from_slice(&t);
        }
    }
    v
}

/// A full disk is an error, never a silent success with nothing written.
#[test]
fn writing_results_to_a_full_disk_exits_2() {
    for args in printing_commands() {
        let (code, err) = to_dev_full(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("cannot write to stdout") && err.contains("No space left"),
            "{args:?}: {err}"
        );
    }
}

/// A reader that goes away (`| head`) is not an error: exit 0 and no
/// message about stdout.
#[test]
fn a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_conduitc");
    for (i, args) in printing_commands().into_iter().enumerate() {
        let err = tmp.path().join(format!("{i}.err"));
        let rc = tmp.path().join(format!("{i}.rc"));
        // The reader exits at once; conduitc starts writing later.
        let script = format!(
            "{{ sleep 0.2; '{bin}' {} 2>'{}'; echo $? >'{}'; }} | true",
            args.join(" "),
            err.display(),
            rc.display()
        );
        let status = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success());
        let err = fs::read_to_string(&err).unwrap();
        assert_eq!(
            fs::read_to_string(&rc).unwrap().trim(),
            "0",
            "{args:?}: {err}"
        );
        assert!(!err.contains("stdout"), "{args:?}: {err}");
        assert!(!err.contains("error"), "{args:?}: {err}");
    }
}

/// The manifest's hashes follow the documented recipe, run as documented:
/// `sha256sum FILE` for each source (the bytes of the file, byte-order mark
/// included) and `sha256sum FILES | sha256sum` for the policy.
#[test]
fn manifest_hashes_are_what_sha256sum_prints() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read(plant()).unwrap();
    // Cut the plant at a declaration boundary: owners and services first.
    let cut = text.windows(6).position(|w| w == b"\nzone ").unwrap() + 1;
    let mut a = b"\xef\xbb\xbf".to_vec();
    a.extend_from_slice(&text[..cut]);
    fs::create_dir(tmp.path().join("policy")).unwrap();
    fs::write(tmp.path().join("policy/a.conduit"), &a).unwrap();
    fs::write(tmp.path().join("policy/b.conduit"), &text[cut..]).unwrap();
    let (code, _, err) = run_in(
        tmp.path(),
        &["build", "policy", "--today", "2026-12-01", "--out", "fw"],
    );
    assert_eq!(code, 0, "{err}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("fw/manifest.json")).unwrap()).unwrap();
    let sh = |cmd: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd}");
        String::from_utf8(out.stdout).unwrap()
    };
    let files = "policy/a.conduit policy/b.conduit";
    let listing = sh(&format!("sha256sum {files}"));
    for (i, line) in listing.lines().enumerate() {
        let (hash, path) = line.split_once("  ").unwrap();
        assert_eq!(manifest["policy"]["sources"][i]["path"], path);
        assert_eq!(manifest["policy"]["sources"][i]["sha256"], hash, "{path}");
    }
    let whole = sh(&format!("sha256sum {files} | sha256sum"));
    assert_eq!(
        manifest["policy"]["sha256"],
        whole.split_whitespace().next().unwrap()
    );
    // And each emitted file is what `sha256sum` says of it.
    for e in manifest["files"].as_array().unwrap() {
        let file = e["file"].as_str().unwrap();
        let line = sh(&format!("sha256sum fw/{file}"));
        assert_eq!(e["sha256"], line.split_whitespace().next().unwrap());
    }
}

/// Source names that `sha256sum` would escape, or that are not UTF-8 (and
/// so could collide once made printable), cannot be listed in a manifest:
/// the build refuses them and writes nothing.
#[test]
fn out_refuses_source_names_a_manifest_cannot_list() {
    use std::os::unix::ffi::OsStrExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read(plant()).unwrap();
    for name in [&b"plant\xff.conduit"[..], b"back\\slash.conduit"] {
        let dir = tmp.path().join("p");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(std::ffi::OsStr::from_bytes(name)), &text).unwrap();
        let (code, _, err) = run_in(
            tmp.path(),
            &["build", "p", "--today", "2026-12-01", "--out", "fw"],
        );
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("is not UTF-8") || err.contains("holds a backslash"),
            "{err}"
        );
        assert!(err.contains("rename the file"), "{err}");
        assert!(fs::symlink_metadata(tmp.path().join("fw")).is_err());
    }
}

/// `--target` must agree with the platform the firewall declares.
#[test]
fn a_target_that_contradicts_the_firewall_platform_is_a_usage_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let t = ["--today", "2026-12-01"];
    for (target, fw) in [
        ("cisco-ios", "ot-core-fw"),
        ("fortios", "ot-core-fw"),
        ("nftables", "cell-router"),
        ("nftables-json", "plant-edge-fw"),
    ] {
        let mut args = vec!["build", PLANT, "--target", target, "--firewall", fw];
        args.extend_from_slice(&t);
        let (code, out, err) = run_in(root, &args);
        assert_eq!(code, 2, "{target} {fw}: {err}");
        assert!(out.is_empty());
        assert!(
            err.contains(&format!(
                "error[E806]: `--target {target}` contradicts firewall `{fw}`"
            )) && err.contains("declared `platform "),
            "{err}"
        );
    }
    for (target, fw) in [
        ("nftables", "ot-core-fw"),
        ("nftables-json", "ot-core-fw"),
        ("cisco-ios", "cell-router"),
        ("fortios", "plant-edge-fw"),
    ] {
        let mut args = vec!["build", PLANT, "--target", target, "--firewall", fw];
        args.extend_from_slice(&t);
        let (code, _, err) = run_in(root, &args);
        assert_eq!(code, 0, "{target} {fw}: {err}");
    }
}

/// A write that fails part-way through the build, for real: the file size
/// limit (`ulimit -f`, with `SIGXFSZ` ignored so the write returns `EFBIG`)
/// lets the first firewall's small file through and stops the second
/// one's. The build exits 2 naming the error, DIR is the previous build,
/// and `.DIR.conduitc` holds no version beyond the previous one.
#[test]
fn a_write_error_on_the_second_file_leaves_dir_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("plant.conduit");
    let text = |service: &str| {
        format!(
            "owner ops {{\n  contact \"ops@example.com\"\n}}\n\
             zone a {{\n  level 2\n  owner ops\n  networks 10.1.0.0/24\n  host h = 10.1.0.5\n}}\n\
             zone b {{\n  level 1\n  owner ops\n  networks 10.2.0.0/24\n  host plc = 10.2.0.5\n}}\n\
             zone c {{\n  level 1\n  owner ops\n  networks 10.3.0.0/24\n  host rtu = 10.3.0.5\n}}\n\
             conduit ab {{\n  zones a, b\n  owner ops\n  flow f {{\n    from a.h\n    to b.plc\n    service modbus\n    reason \"test\"\n  }}\n}}\n\
             conduit bc {{\n  zones b, c\n  owner ops\n  flow f {{\n    from b.plc\n    to c.rtu\n    service {service}\n    reason \"test\"\n  }}\n}}\n\
             firewall afw {{\n  platform nftables\n  interface \"eth0\" = a\n  interface \"eth1\" = b\n}}\n\
             firewall zfw {{\n  platform cisco-ios\n  interface \"Gi0/0\" = b\n  interface \"Gi0/1\" = c\n}}\n"
        )
    };
    let dir = tmp.path().join("out");
    let state = tmp.path().join(".out.conduitc");
    let args = [
        "build",
        "plant.conduit",
        "--today",
        "2026-12-01",
        "--out",
        "out",
    ];
    fs::write(&policy, text("dnp3")).unwrap();
    let (code, _, err) = run_in(tmp.path(), &args);
    assert_eq!(code, 0, "{err}");
    let files = |d: &Path| -> Vec<(String, Vec<u8>)> {
        names(d)
            .into_iter()
            .map(|n| {
                let bytes = fs::read(d.join(&n)).unwrap();
                (n, bytes)
            })
            .collect()
    };
    let before = files(&dir);
    let state_before = names(&state);
    assert_eq!(state_before.len(), 2, "the lock and one version");

    // 1,000 separate ports: about 50 KB of IOS list for zfw, while afw's
    // file stays small.
    let ports: Vec<String> = (1..=1000).map(|i| format!("tcp/{}", 2 * i)).collect();
    fs::write(&policy, text(&ports.join(", "))).unwrap();
    const LIMIT_BLOCKS: u64 = 16; // of 512 bytes
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {LIMIT_BLOCKS}; exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("error[E813]: --out out: cannot write `./.out.conduitc/")
            && err.contains("File too large"),
        "{err}"
    );
    assert!(!err.contains("wrote"), "{err}");
    assert_eq!(files(&dir), before, "DIR is the previous build");
    assert_eq!(names(&state), state_before, "no version directory is left");
    assert_eq!(names(tmp.path()), [".out.conduitc", "out", "plant.conduit"]);

    // Without the limit the same build succeeds: the first file fits the
    // limit and the second does not, so the write failed on the second.
    let (code, _, err) = run_in(tmp.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert_complete_build(&dir);
    let limit = LIMIT_BLOCKS * 512;
    let size = |f: &str| fs::metadata(dir.join(f)).unwrap().len();
    assert!(size("afw.nft") < limit, "{}", size("afw.nft"));
    assert!(size("manifest.json") < limit);
    assert!(size("zfw.ios") > limit, "{}", size("zfw.ios"));
}

/// Five firewalls of the three platforms, some facing every zone and some
/// two, a monitor-mode conduit whose `W107` is waived, and an isolation
/// mode: the files `build --out` writes (the firewalls in parallel, from
/// one lowering) are byte for byte what `build --target --firewall` prints
/// for each firewall, and the monitor note is printed once.
#[test]
fn out_files_are_what_each_firewall_builds_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("owner ops {\n  contact \"ops@example.com\"\n}\n");
    for (z, level) in [(0, 1), (1, 2), (2, 3), (3, 2)] {
        text.push_str(&format!(
            "zone z{z} {{\n  level {level}\n  owner ops\n  networks 10.{z}.0.0/24, fd00:{z}::/64\n  \
             host h = 10.{z}.0.5, fd00:{z}::5\n}}\n"
        ));
    }
    for (a, b) in [(0, 1), (1, 2), (2, 3)] {
        text.push_str(&format!(
            "conduit c{a}{b} {{\n  zones z{a}, z{b}\n  owner ops\n  \
             flow f {{\n    from z{a}.h\n    to z{b}.h\n    service modbus, tcp/{}\n    reason \"test\"\n  }}\n  \
             flow g {{\n    from z{b}.h\n    to z{a}\n    service icmp/echo-request, udp/161\n    reason \"test\"\n  }}\n}}\n",
            4000 + a
        ));
    }
    text.push_str(
        "conduit c30 {\n  zones z3, z0\n  owner ops\n  mode monitor\n  waive W107 \"baseline\"\n}\n\
         isolation cut {\n  sever z3\n  reason \"test\"\n}\n",
    );
    let ports = |platform: &str, z: usize| match platform {
        "nftables" => format!("eth{z}"),
        "cisco-ios" => format!("Gi0/{z}"),
        _ => format!("port{z}"),
    };
    let firewalls = [
        ("na", "nftables", vec![0, 1, 2, 3]),
        ("ia", "cisco-ios", vec![0, 1]),
        ("fa", "fortios", vec![0, 1, 2, 3]),
        ("nb", "nftables", vec![1, 2]),
        ("ib", "cisco-ios", vec![0, 1, 2, 3]),
    ];
    for (name, platform, zones) in &firewalls {
        text.push_str(&format!("firewall {name} {{\n  platform {platform}\n"));
        for z in zones {
            text.push_str(&format!("  interface \"{}\" = z{z}\n", ports(platform, *z)));
        }
        text.push_str("}\n");
    }
    fs::write(tmp.path().join("p.conduit"), &text).unwrap();
    for extra in [&[][..], &["--isolation", "cut"][..]] {
        let mut args = vec![
            "build",
            "p.conduit",
            "--today",
            "2026-12-01",
            "--out",
            "out",
        ];
        args.extend_from_slice(extra);
        let (code, _, err) = run_in(tmp.path(), &args);
        assert_eq!(code, 0, "{err}");
        let notes = err.matches("conduit `c30` is in monitor mode").count();
        assert_eq!(notes, usize::from(extra.is_empty()), "{err}");
        assert_complete_build(&tmp.path().join("out"));
        for (name, platform, _) in &firewalls {
            let ext = match *platform {
                "nftables" => "nft",
                "cisco-ios" => "ios",
                _ => "fortios",
            };
            let mut args = vec!["build", "p.conduit", "--today", "2026-12-01"];
            args.extend_from_slice(&["--target", platform, "--firewall", name]);
            args.extend_from_slice(extra);
            let (code, alone, err) = run_in(tmp.path(), &args);
            assert_eq!(code, 0, "{err}");
            let written = fs::read_to_string(tmp.path().join(format!("out/{name}.{ext}"))).unwrap();
            assert!(written.contains("10.1.0.5"), "{name}");
            assert_eq!(written, alone, "{name} {extra:?}");
        }
    }
}
