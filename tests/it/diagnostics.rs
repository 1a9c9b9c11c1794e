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

// Codes that have no fail file, and why: the library's list, which
// `conduitc explain` prints too.
use conduitc::diag::render;
use conduitc::explain::{self, NO_EXAMPLE as NO_FAIL_FILE};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Checked, Code, Severity, Sources};

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
    s.push_str(
        "`E8xx` are errors of the command itself (its arguments, a target that cannot hold \
         the rules, output that cannot be written); each command reports them with the \
         command line as their source (docs/cli.md). `conduitc explain CODE` prints a \
         code's section of this page.\n\n",
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
        s.push('\n');
        s.push_str(&explain::section(*c));
    }
    s
}

/// The examples `conduitc explain` carries are the corpus's fail files,
/// byte for byte, and no code both has one and a reason for having none.
#[test]
fn explain_carries_every_fail_file() {
    let corpus: Vec<(String, Vec<u8>)> = corpus()
        .into_iter()
        .filter(|(_, _, kind, _)| kind == "fail")
        .map(|(_, _, _, path)| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).unwrap())
        })
        .collect();
    let carried: Vec<(String, Vec<u8>)> = explain::examples()
        .map(|(c, name, bytes)| {
            assert!(name.starts_with(c.as_str()), "{name}");
            assert!(explain::no_example(c).is_none(), "{c} has an example");
            (name.to_string(), bytes.to_vec())
        })
        .collect();
    assert_eq!(
        carried.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        corpus.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "add the file to EXAMPLES in src/explain.rs"
    );
    assert_eq!(carried, corpus);
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
