//! Unix habits: `-` for standard input, `fmt -` for editors, `--quiet`,
//! shell completions, the manual page and examples in `--help`.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::run::conduitc;

/// Runs `conduitc ARGS` from the package root with `input` on stdin.
pub(crate) fn with_stdin(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run conduitc");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn plant() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/bottling-plant.conduit"
    ))
    .unwrap()
}

const BROKEN: &str = "zone z {\n  level 1\n  owner nobody\n}\n";

#[test]
fn check_reads_standard_input_and_names_it_stdin() {
    let (code, _, err) = with_stdin(&["check", "-", "--today", "2026-12-01"], &plant());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("checks clean (1 file read)"), "{err}");

    let (code, _, err) = with_stdin(&["check", "-"], BROKEN);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("┌─ <stdin>:3:9"), "{err}");
}

#[test]
fn build_from_standard_input_matches_build_from_the_file() {
    let args = [
        "--target",
        "nftables",
        "--firewall",
        "ot-core-fw",
        "--today",
        "2026-12-01",
    ];
    let mut from_file = vec!["build", "examples/bottling-plant.conduit"];
    from_file.extend(args);
    let (code, file_out, err) = conduitc(&from_file);
    assert_eq!(code, 0, "{err}");
    let mut from_stdin = vec!["build", "-"];
    from_stdin.extend(args);
    let (code, stdin_out, err) = with_stdin(&from_stdin, &plant());
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdin_out, file_out);
}

#[test]
fn standard_input_can_be_named_once() {
    let (code, out, err) = with_stdin(&["check", "-", "-"], &plant());
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("error[E"), "{err}");
    assert!(
        err.contains("standard input can be read only once"),
        "{err}"
    );
}

#[test]
fn standard_input_joins_files_of_the_policy() {
    // The zone's owner is declared in the file, the zone on stdin.
    let dir = tempfile::tempdir().unwrap();
    let owners = dir.path().join("owners.conduit");
    std::fs::write(&owners, "owner nobody {\n  contact \"n@example.com\"\n}\n").unwrap();
    let zone = "zone z {\n  level 1\n  owner nobody\n  networks 10.0.0.0/24\n}\n";
    let (code, _, err) = with_stdin(&["check", owners.to_str().unwrap(), "-"], zone);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("(2 files read)"), "{err}");
}

#[test]
fn fmt_dash_writes_the_formatted_text_to_stdout() {
    let untidy = "owner ops { contact \"ops@example.com\" }  # the team\n";
    let (code, out, err) = with_stdin(&["fmt", "-"], untidy);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "owner ops {\n  contact \"ops@example.com\"\n}  # the team\n"
    );
    // Already formatted: the same text comes back, for format-on-save.
    let (code, again, _) = with_stdin(&["fmt", "-"], &out);
    assert_eq!(code, 0);
    assert_eq!(again, out);

    let (code, listed, err) = with_stdin(&["fmt", "--check", "-"], untidy);
    assert_eq!(code, 1);
    assert_eq!(listed, "<stdin>\n");
    assert!(err.contains("would reformat 1 of 1 file"), "{err}");
    let (code, listed, err) = with_stdin(&["fmt", "--check", "-"], &out);
    assert_eq!(code, 0, "{err}");
    assert!(listed.is_empty());
    assert!(err.contains("1 file already formatted"), "{err}");

    // A syntax error: diagnostics on stderr, nothing on stdout.
    let (code, out, err) = with_stdin(&["fmt", "-"], "zone z {\n");
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("<stdin>:"), "{err}");
}

#[test]
fn fmt_dash_refuses_other_paths_beside_it() {
    let (code, out, err) = with_stdin(&["fmt", "-", "examples/bottling-plant.conduit"], "");
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("must be the only path"), "{err}");
}

#[test]
fn quiet_drops_summaries_but_not_diagnostics() {
    let (code, _, err) = conduitc(&[
        "check",
        "examples/bottling-plant.conduit",
        "--today",
        "2026-12-01",
        "--quiet",
    ]);
    assert_eq!(code, 0);
    assert_eq!(err, "");
    let (code, _, err) = with_stdin(&["-q", "check", "-"], BROKEN);
    assert_eq!(code, 1);
    assert!(err.contains("error[E"), "{err}");
    assert!(!err.contains("the policy has"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("build");
    let (code, _, err) = conduitc(&[
        "build",
        "examples/bottling-plant.conduit",
        "--out",
        out.to_str().unwrap(),
        "--today",
        "2026-12-01",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "");
    assert!(out.join("manifest.json").is_file());
    // Without --quiet the same build says what it wrote.
    let (_, _, err) = conduitc(&[
        "build",
        "examples/bottling-plant.conduit",
        "--out",
        out.to_str().unwrap(),
        "--today",
        "2026-12-01",
    ]);
    assert!(err.contains("conduitc: wrote"), "{err}");
}

/// The subcommands `conduitc --help` lists.
fn subcommands() -> Vec<String> {
    let (code, help, _) = conduitc(&["--help"]);
    assert_eq!(code, 0);
    let list = help
        .split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap();
    let names: Vec<String> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 12, "{names:?}");
    names
}

#[test]
fn completions_name_every_subcommand() {
    let names = subcommands();
    for shell in ["bash", "zsh", "fish"] {
        let (code, script, err) = conduitc(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell}: {name} missing");
        }
        // Options too (fish writes them as `-l today`).
        assert!(
            script.contains("--today") || script.contains("-l today"),
            "{shell}"
        );
    }
    let (code, _, err) = conduitc(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(err.contains("error[E803]: invalid value `tcsh`"), "{err}");
}

#[test]
fn bash_completion_script_is_valid_bash() {
    let (_, script, _) = conduitc(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("conduitc.bash");
    std::fs::write(&file, script).unwrap();
    let out = Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn man_page_documents_the_commands_and_their_options() {
    let (code, page, err) = conduitc(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.contains(".TH conduitc 1"), "{page}");
    for name in subcommands() {
        assert!(page.contains(&name), "{name} missing from the man page");
    }
    let (code, page, _) = conduitc(&["man", "build"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH conduitc-build 1"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
    assert!(page.contains("\\-\\-firewall"), "{page}");
    let (code, _, err) = conduitc(&["man", "nosuch"]);
    assert_eq!(code, 2);
    assert!(err.contains("no command named `nosuch`"), "{err}");
}

#[test]
fn every_subcommand_help_has_examples() {
    for name in subcommands() {
        let (code, help, _) = conduitc(&[name.as_str(), "--help"]);
        assert_eq!(code, 0);
        assert!(
            help.contains("\n  conduitc ") && help.contains("Example"),
            "`conduitc {name} --help` has no example:\n{help}"
        );
    }
}
