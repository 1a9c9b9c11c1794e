//! `conduitc fmt` from the command line: in-place rewrite, `--check`
//! listing and exit codes, errors left untouched.

use std::fs;
use std::path::Path;
use std::process::Command;

fn conduitc(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .arg("--color")
        .arg("never")
        .current_dir(dir)
        .output()
        .expect("run conduitc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const TIDY: &str = "owner ops {\n  contact \"ops@example.com\"\n}\n";
const UNTIDY: &str = "owner ops { contact \"ops@example.com\" }  # the team\n";
const UNTIDY_FORMATTED: &str = "owner ops {\n  contact \"ops@example.com\"\n}  # the team\n";
const BROKEN: &str = "zone z {\n  level 1\n  owner\n}\n";

/// A policy directory: `tidy.conduit`, `sub/untidy.conduit`, `notes.txt`.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("tidy.conduit"), TIDY).unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/untidy.conduit"), UNTIDY).unwrap();
    fs::write(dir.path().join("notes.txt"), "not { a policy").unwrap();
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn check_lists_the_files_that_would_change_and_writes_nothing() {
    let dir = tree();
    let (code, out, err) = conduitc(dir.path(), &["fmt", "--check", "."]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "./sub/untidy.conduit\n");
    assert!(err.contains("would reformat 1 of 2 files"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("sub/untidy.conduit")).unwrap(),
        UNTIDY
    );
}

#[test]
fn check_passes_on_formatted_files() {
    let dir = tree();
    let (code, out, err) = conduitc(dir.path(), &["fmt", "--check", "tidy.conduit"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
}

#[test]
fn rewrites_files_in_place_and_leaves_no_temporary_file() {
    let dir = tree();
    let (code, out, err) = conduitc(dir.path(), &["fmt", "."]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert!(err.contains("1 of 2 files reformatted"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("sub/untidy.conduit")).unwrap(),
        UNTIDY_FORMATTED
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("tidy.conduit")).unwrap(),
        TIDY
    );
    assert_eq!(names(&dir.path().join("sub")), ["untidy.conduit"]);
    assert_eq!(names(dir.path()), ["notes.txt", "sub", "tidy.conduit"]);
    // Now everything is canonical.
    let (code, out, _) = conduitc(dir.path(), &["fmt", "--check", "."]);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn a_file_with_a_syntax_error_is_reported_and_left_alone() {
    let dir = tree();
    fs::write(dir.path().join("broken.conduit"), BROKEN).unwrap();
    let (code, out, err) = conduitc(dir.path(), &["fmt", "."]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("error[E101]"), "{err}");
    assert!(err.contains("broken.conduit:4:1"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("broken.conduit")).unwrap(),
        BROKEN
    );
    // The other files are still formatted.
    assert_eq!(
        fs::read_to_string(dir.path().join("sub/untidy.conduit")).unwrap(),
        UNTIDY_FORMATTED
    );
    let (code, out, err) = conduitc(dir.path(), &["fmt", "--check", "broken.conduit"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("E101"), "{err}");
}

#[test]
fn unreadable_paths_exit_2() {
    let dir = tree();
    let (code, out, err) = conduitc(dir.path(), &["fmt", "--check", "nosuch.conduit"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("nosuch.conduit"), "{err}");
}

#[test]
fn a_file_that_is_not_utf8_is_a_policy_error() {
    let dir = tree();
    fs::write(dir.path().join("latin1.conduit"), b"# caf\xe9\n").unwrap();
    let (code, _, err) = conduitc(dir.path(), &["fmt", "--check", "latin1.conduit"]);
    assert_eq!(code, 1);
    assert!(err.contains("E001"), "{err}");
}

#[test]
fn bundled_examples_pass_fmt_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = conduitc(
        root,
        &[
            "fmt",
            "--check",
            "examples/bottling-plant.conduit",
            "examples/water-utility",
            "examples/diff/v1",
        ],
    );
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    // v2 of the diff example is out of order on purpose (diff must see no
    // change in it); it is the one file `fmt --check examples` reports.
    let (code, out, _) = conduitc(root, &["fmt", "--check", "examples"]);
    assert_eq!(code, 1);
    assert_eq!(out, "examples/diff/v2/policy.conduit\n");
}

/// A policy file given as a symbolic link: the file it names gets the
/// formatted text (through a temporary file beside it) and the link stays a
/// link.
#[test]
fn a_symlinked_file_is_formatted_through_the_link() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("real")).unwrap();
    fs::create_dir(dir.path().join("work")).unwrap();
    let target = dir.path().join("real/policy.conduit");
    fs::write(&target, UNTIDY).unwrap();
    let link = dir.path().join("work/policy.conduit");
    std::os::unix::fs::symlink("../real/policy.conduit", &link).unwrap();
    let (code, out, err) = conduitc(dir.path(), &["fmt", "work/policy.conduit"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("1 of 1 file reformatted"), "{err}");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_link(&link).unwrap(),
        Path::new("../real/policy.conduit")
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), UNTIDY_FORMATTED);
    assert_eq!(names(&dir.path().join("real")), ["policy.conduit"]);
    assert_eq!(names(&dir.path().join("work")), ["policy.conduit"]);
    let (code, _, err) = conduitc(dir.path(), &["fmt", "--check", "work/policy.conduit"]);
    assert_eq!(code, 0, "{err}");
}
