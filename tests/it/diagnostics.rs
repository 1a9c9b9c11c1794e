//! The diagnostics corpus: `tests/diagnostics/<CODE>-<slug>.fail.conduit`
//! must yield its code, `<CODE>-<slug>.pass.conduit` must not (and must have
//! no error at all); every code has a fail file; the rendered text of every
//! fail file is snapshotted; `docs/diagnostics.md` is generated from the code
//! table and the corpus and must be current.
//!
//! Every file is checked with `--today 2026-12-01`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use conduitc::diag::render;
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Checked, Code, Severity, Sources};

/// Codes that have no fail file, and why.
const NO_FAIL_FILE: &[(Code, &str)] = &[
    (
        Code::FileTooLarge,
        "needs a file over 4 MiB; bad_input.rs generates one",
    ),
    (
        Code::PolicyTooLarge,
        "needs policy files over 16 MiB in all; limits.rs generates them",
    ),
    (
        Code::TooManyDeclarations,
        "needs over 50,000 declarations; limits.rs generates them",
    ),
    (
        Code::ListTooLong,
        "needs a list of over 10,000 items; limits.rs generates one",
    ),
    (
        Code::ZoneTooLarge,
        "needs a zone of over 100,000 hosts; limits.rs generates one",
    ),
    (
        Code::LinkOutsideDirectory,
        "needs a symbolic link in a policy directory; source_safety.rs makes one",
    ),
    (
        Code::SpecialFile,
        "needs a FIFO in a policy directory; source_safety.rs makes one",
    ),
    (
        Code::PolicyExpandsTooFar,
        "needs flows expanding to over 10,000,000 ranges; limits.rs generates them",
    ),
    (
        Code::Internal,
        "no input may cause it; the fuzz and property tests assert it never occurs",
    ),
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics")
}

fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

/// Every corpus file: (code, slug, kind, path), sorted.
fn corpus() -> Vec<(String, String, String, PathBuf)> {
    let mut out = Vec::new();
    for e in fs::read_dir(corpus_dir()).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".conduit") else {
            panic!("unexpected file {name} in tests/diagnostics");
        };
        let (rest, kind) = stem.rsplit_once('.').expect("CODE-slug.fail|pass.conduit");
        let (code, slug) = rest.split_once('-').expect("CODE-slug");
        assert!(
            kind == "fail" || kind == "pass",
            "{name}: kind must be fail or pass"
        );
        out.push((code.to_string(), slug.to_string(), kind.to_string(), path));
    }
    out.sort();
    out
}

/// Checks one corpus file under its bare file name (stable in snapshots).
fn check_file(path: &Path) -> (Sources, Checked) {
    let mut sources = Sources::new();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    sources.add_bytes(name, None, fs::read(path).unwrap());
    let checked = check(&sources, &CheckOptions::new(today()));
    (sources, checked)
}

#[test]
fn fail_files_yield_their_code_and_pass_files_do_not() {
    let mut failures = Vec::new();
    for (code, slug, kind, path) in corpus() {
        let c = Code::lookup(&code).unwrap_or_else(|| panic!("{}: unknown code", path.display()));
        assert_eq!(
            c.slug(),
            slug,
            "{}: the slug of {code} is {}",
            path.display(),
            c.slug()
        );
        let (sources, checked) = check_file(&path);
        let shown = || render::text(&checked.diagnostics, &sources, false);
        match kind.as_str() {
            "fail" => {
                if !checked.diagnostics.contains(c) {
                    failures.push(format!(
                        "{}: expected {code}, got:\n{}",
                        path.display(),
                        shown()
                    ));
                }
                if c.severity() == Severity::Error && checked.policy.is_some() {
                    failures.push(format!("{}: an error must leave no policy", path.display()));
                }
            }
            _ => {
                if checked.diagnostics.contains(c) || checked.diagnostics.has_errors() {
                    failures.push(format!(
                        "{}: expected neither {code} nor any error, got:\n{}",
                        path.display(),
                        shown()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_has_a_fail_and_a_pass_file() {
    let files = corpus();
    for c in Code::ALL {
        if NO_FAIL_FILE.iter().any(|(x, _)| x == c) {
            continue;
        }
        for kind in ["fail", "pass"] {
            assert!(
                files
                    .iter()
                    .any(|(code, _, k, _)| code == c.as_str() && k == kind),
                "no tests/diagnostics/{}-{}.{kind}.conduit",
                c.as_str(),
                c.slug()
            );
        }
    }
}

#[test]
fn fail_files_render_as_snapshotted() {
    insta::glob!("../diagnostics", "*.fail.conduit", |path| {
        let (sources, checked) = check_file(path);
        insta::assert_snapshot!(render::text(&checked.diagnostics, &sources, false));
    });
}

/// `docs/diagnostics.md`, generated from the code table and the corpus.
fn diagnostics_md() -> String {
    let files = corpus();
    let mut s = String::new();
    s.push_str("# Diagnostics\n\n");
    s.push_str(
        "<!-- Generated from src/diag/code.rs and tests/diagnostics/ by\n     \
         `UPDATE_DOCS=1 cargo test --test it docs_are_current`. Do not edit by hand. -->\n\n",
    );
    s.push_str(
        "Every finding of `conduitc check` has a stable code. Errors (`E...`) reject the \
         policy; warnings (`W...`) do not, and each can be accepted inside the flow or \
         conduit it concerns with `waive CODE \"reason\"` (the code or its name, such as \
         `W107` or `monitor-mode`). A waiver is recorded in the checked policy. `W108` \
         concerns a service declaration and `W110` a file's comments, so neither can be \
         waived. Codes are never reused or renumbered.\n\n",
    );
    s.push_str("| code | name | severity | meaning |\n| --- | --- | --- | --- |\n");
    for c in Code::ALL {
        let _ = writeln!(
            s,
            "| [{0}](#{1}) | `{2}` | {3} | {4} |",
            c.as_str(),
            format!("{}-{}", c.as_str(), c.slug()).to_lowercase(),
            c.slug(),
            c.severity(),
            c.title()
        );
    }
    for c in Code::ALL {
        let _ = write!(
            s,
            "\n## {} {}\n\n**{}**: {}.\n\n{}\n",
            c.as_str(),
            c.slug(),
            c.severity(),
            c.title(),
            c.explain()
        );
        let fail = files
            .iter()
            .find(|(code, _, kind, _)| code == c.as_str() && kind == "fail");
        match fail {
            Some((_, _, _, path)) => {
                let bytes = fs::read(path).unwrap();
                match String::from_utf8(bytes) {
                    Ok(text) if !text.contains('\0') && !hides_text(&text) => {
                        let _ =
                            write!(s, "\n### Example\n\n```conduit\n{}\n```\n", text.trim_end());
                    }
                    Ok(text) if !text.contains('\0') => {
                        let _ = write!(
                            s,
                            "\n### Example\n\nSee `tests/diagnostics/{}` (not shown: it holds characters that would hide or reorder text here).\n",
                            path.file_name().unwrap().to_string_lossy()
                        );
                    }
                    _ => {
                        let _ = write!(
                            s,
                            "\n### Example\n\nSee `tests/diagnostics/{}` (not shown: it is not valid text).\n",
                            path.file_name().unwrap().to_string_lossy()
                        );
                    }
                }
                let (sources, checked) = check_file(path);
                let shown: Vec<_> = checked
                    .diagnostics
                    .iter()
                    .filter(|d| d.code == *c)
                    .collect();
                if let Some(d) = shown.first() {
                    let _ = write!(
                        s,
                        "\nreports\n\n```text\n{}```\n",
                        render::text_one(d, &sources, false)
                    );
                }
            }
            None => {
                if let Some((_, why)) = NO_FAIL_FILE.iter().find(|(x, _)| x == c) {
                    let _ = write!(s, "\n*No example: {why}.*\n");
                }
            }
        }
        let _ = write!(s, "\n### How to fix\n\n{}\n", c.fix());
    }
    s
}

/// True when `text` holds a lone carriage return or a character the
/// renderer escapes (other than tab and line ends): shown verbatim in the
/// docs, it would hide or reorder text there.
fn hides_text(text: &str) -> bool {
    text.replace("\r\n", "\n")
        .chars()
        .any(crate::source_safety::needs_escape)
}

#[test]
fn docs_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
    let want = diagnostics_md();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        fs::write(&path, &want).unwrap();
        return;
    }
    let have = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/diagnostics.md is stale; regenerate it with\n\n    UPDATE_DOCS=1 cargo test --test it docs_are_current\n"
    );
}
