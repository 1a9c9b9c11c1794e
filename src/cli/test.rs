//! `conduitc test`: run the assertion files (`*.conduit-test`) that sit
//! beside a policy.
//!
//! Each PATH is a policy file, a directory, or an assertion file. A
//! directory contributes its `*.conduit` files to the policy (as on every
//! command) and its `*.conduit-test` files, at any depth, to the
//! assertions; a policy file `X.conduit` brings `X.conduit-test` beside it
//! when there is one; a `*.conduit-test` file is an assertion file. Every
//! assertion is judged against the one policy the policy paths make.
//!
//! Exit status: 0 when every assertion holds, 1 when one fails (or the
//! policy has errors), 2 when an assertion file cannot be read or used
//! (E814, E820-E823) or on an internal error.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use conduitc::diag::render::{self, ci};
use conduitc::expect;
use conduitc::model::Date;
use conduitc::{Code, Sources};

use super::output::Output;
use super::report::{load_error, Problem};
use super::ExitStatus;

/// The extension of assertion files.
const TEST_EXTENSION: &str = "conduit-test";

/// Arguments of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Policy files, directories (searched for *.conduit and *.conduit-test) and
    /// assertion files (*.conduit-test).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Judge assertions without `on DATE` on this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    today: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    format: TestFormat,
}

/// `test --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// `PASS`/`FAIL` per assertion, then `N passed, M failed`.
    Text,
    /// `{"format_version":1,"passed":N,"failed":M,"tests":[...]}`.
    Json,
    /// JUnit XML, one testsuite per assertion file.
    Junit,
    /// GitHub Actions workflow commands: an `::error` per failed assertion.
    Github,
    /// A GitLab Code Quality report: an issue per failed assertion.
    Gitlab,
}

fn is_test_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == TEST_EXTENSION)
}

/// Every `*.conduit-test` file below `dir`, in byte-wise order of path;
/// links to directories are not followed.
fn tests_below(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    for path in entries {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            tests_below(&path, found)?;
        } else if is_test_file(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// Splits the paths into policy paths and assertion files.
fn discover(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Box<Problem>> {
    let mut policy = Vec::new();
    let mut tests: Vec<PathBuf> = Vec::new();
    let add = |p: PathBuf, tests: &mut Vec<PathBuf>| {
        if !tests.contains(&p) {
            tests.push(p);
        }
    };
    for path in paths {
        if is_test_file(path) {
            add(path.clone(), &mut tests);
        } else if path.is_dir() {
            policy.push(path.clone());
            let mut found = Vec::new();
            tests_below(path, &mut found).map_err(|e| {
                Box::new(
                    Problem::new(
                        Code::PathNotReadable,
                        format!("cannot read {}: {e}", path.display()),
                    )
                    .at_value(path),
                )
            })?;
            for f in found {
                add(f, &mut tests);
            }
        } else {
            policy.push(path.clone());
            let beside = path.with_extension(TEST_EXTENSION);
            if beside.is_file() {
                add(beside, &mut tests);
            }
        }
    }
    Ok((policy, tests))
}

/// Runs `conduitc test`.
pub fn run(out: &Output, args: TestArgs) -> ExitStatus {
    let gitlab = args.format == TestFormat::Gitlab;
    let status = run_tests(out, args);
    // A Code Quality report is still valid JSON when the run stops on an
    // error (reported on stderr), so the artifact parses.
    if gitlab && status == ExitStatus::Error {
        out.stdout(&ci::gitlab(&[]));
    }
    status
}

fn run_tests(out: &Output, args: TestArgs) -> ExitStatus {
    let (policy_paths, test_paths) = match discover(&args.paths) {
        Ok(x) => x,
        Err(p) => {
            out.fail(&p);
            return ExitStatus::Error;
        }
    };
    if policy_paths.is_empty() {
        let mut problem = Problem::new(
            Code::InvalidArguments,
            "no policy among the paths: give the policy files or their directory besides the assertion files",
        );
        if let Some(first) = args.paths.first() {
            problem = problem.at_value(first);
        }
        out.fail(&problem);
        return ExitStatus::Error;
    }
    let no_assertions = || {
        Problem::new(
            Code::TestNoAssertions,
            "no assertion to run: the paths hold no `*.conduit-test` file with an assertion",
        )
        .help("give the assertion files, or the directory that holds them, on the command line")
    };
    if test_paths.is_empty() {
        out.fail(&no_assertions());
        return ExitStatus::Error;
    }
    let today = args.today.unwrap_or_else(Date::today);
    let policy = match super::load::load_policy(out, &policy_paths, today) {
        Ok((p, _)) => p,
        Err(status) => return status,
    };
    let tests = match Sources::load_with_limits(&test_paths, super::load::limits()) {
        Ok(s) => s,
        Err(e) => {
            out.fail(&load_error(&e));
            return ExitStatus::Error;
        }
    };
    let result = match expect::run(&policy, &tests, today) {
        Ok(r) => r,
        Err(diags) => {
            out.stderr(&render::text(&diags, &tests, out.color()));
            return ExitStatus::Error;
        }
    };
    if result.outcomes.is_empty() {
        out.fail(&no_assertions());
        return ExitStatus::Error;
    }
    let text = match args.format {
        TestFormat::Text => expect::render::text(&result),
        TestFormat::Json => expect::render::json(&result),
        TestFormat::Junit => expect::render::junit(&result),
        TestFormat::Github => ci::github(&expect::render::annotations(&result)),
        TestFormat::Gitlab => ci::gitlab(&expect::render::annotations(&result)),
    };
    out.stdout(&text);
    if result.failed() > 0 {
        ExitStatus::PolicyFailure
    } else {
        ExitStatus::Success
    }
}
