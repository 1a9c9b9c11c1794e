//! `conduitc diff OLD NEW`: what changed between two policy versions and
//! who must approve it (see [`conduitc::diff`]).
//!
//! OLD and NEW are paths, or `git:REV:PATH` read with `git` from the
//! repository in the current directory (PATH relative to the current
//! directory, a file or a directory). Both versions are checked; an invalid
//! one ends the command with its diagnostics and exit 1. The report goes to
//! stdout. With `--require-approvals`, an owner the change needs who is not
//! in `--approved-by` makes the exit status 1 (the report is still printed,
//! and stderr names who is missing). I/O and git errors exit 2.

use std::path::PathBuf;
use std::process::Command;

use clap::{Args, ValueEnum};

use conduitc::diff::{diff, render, DiffOptions};
use conduitc::model::Date;
use conduitc::{Policy, Sources};

use super::load::{load_policy, load_policy_from_sources};
use super::output::Output;
use super::ExitStatus;

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old version: a path, or git:REV:PATH.
    old: String,
    /// The new version: a path, or git:REV:PATH.
    new: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Exit 1 unless every required approver is listed in --approved-by.
    #[arg(long)]
    require_approvals: bool,
    /// Owners who have approved, comma separated.
    #[arg(long, value_delimiter = ',', value_name = "OWNER,...")]
    approved_by: Vec<String>,
    /// Judge expiry against this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    today: Option<conduitc::model::Date>,
}

/// `diff --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// For terminals.
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For tools.
    Json,
}

pub fn run(out: &Output, args: DiffArgs) -> ExitStatus {
    let today = args.today.unwrap_or_else(Date::today);
    let old = match load_version(out, &args.old, today) {
        Ok(p) => p,
        Err(status) => return status,
    };
    let new = match load_version(out, &args.new, today) {
        Ok(p) => p,
        Err(status) => return status,
    };
    let opts = DiffOptions {
        today,
        approved_by: args.approved_by.clone(),
    };
    let report = diff(&old, &new, &opts);
    let text = match args.format {
        DiffFormat::Text => render::text(&report),
        DiffFormat::Markdown => render::markdown(&report),
        DiffFormat::Json => match render::json(&report) {
            Ok(j) => j,
            Err(e) => {
                out.error(&format!("internal error: cannot write JSON: {e}"));
                return ExitStatus::Error;
            }
        },
    };
    out.stdout(&text);
    if args.require_approvals {
        let missing: Vec<String> = report
            .missing_approvals()
            .map(|a| {
                let rules: Vec<String> = a.rules.iter().map(|r| r.to_string()).collect();
                format!("{} (approval {})", a.owner, rules.join(", "))
            })
            .collect();
        if !missing.is_empty() {
            out.error(&format!("approval missing from {}", missing.join("; ")));
            return ExitStatus::PolicyFailure;
        }
    }
    ExitStatus::Success
}

/// Loads and checks one version: a path, or `git:REV:PATH`.
fn load_version(out: &Output, spec: &str, today: Date) -> Result<Policy, ExitStatus> {
    match spec.strip_prefix("git:") {
        None => load_policy(out, &[PathBuf::from(spec)], today).map(|(p, _)| p),
        Some(rest) => {
            let Some((rev, path)) = rest.split_once(':') else {
                out.error(&format!(
                    "`{spec}` is not of the form git:REV:PATH (for example git:origin/main:policy)"
                ));
                return Err(ExitStatus::Error);
            };
            match git_sources(rev, path) {
                Ok(sources) => load_policy_from_sources(out, &sources, today),
                Err(e) => {
                    out.error(&format!("cannot read `{spec}`: {e}"));
                    Err(ExitStatus::Error)
                }
            }
        }
    }
}

/// Runs `git ARGS` in the current directory and returns its stdout.
fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let err = String::from_utf8_lossy(&output.stderr);
        let err = err.trim();
        Err(if err.is_empty() {
            format!("`git {}` failed ({})", args.join(" "), output.status)
        } else {
            format!("git: {}", err.lines().next().unwrap_or(err))
        })
    }
}

/// A path as git's `REV:./PATH` syntax wants it: relative to the current
/// directory.
fn git_relative(path: &str) -> String {
    if path == "." || path == ".." {
        format!("{path}/")
    } else if path.starts_with("./") || path.starts_with("../") {
        path.to_string()
    } else {
        format!("./{path}")
    }
}

/// Reads the policy at PATH in revision REV: one file (`git show`), or every
/// `*.conduit` file below a directory (`git ls-tree`), in byte-wise order of
/// their paths, like a directory on disk.
fn git_sources(rev: &str, path: &str) -> Result<Sources, String> {
    if rev.is_empty() || path.is_empty() {
        return Err("REV and PATH must not be empty".into());
    }
    if rev.starts_with('-') {
        return Err(format!("`{rev}` is not a revision"));
    }
    let object = format!("{rev}:{}", git_relative(path));
    let kind = git(&["cat-file", "-t", &object])?;
    let mut sources = Sources::new();
    match String::from_utf8_lossy(&kind).trim() {
        "blob" => {
            let bytes = git(&["show", &object])?;
            sources.add_bytes(format!("git:{rev}:{path}"), None, bytes);
        }
        "tree" => {
            let listing = git(&["ls-tree", "-r", "-z", "--name-only", rev, "--", path])?;
            let mut files: Vec<&[u8]> = listing
                .split(|&b| b == 0)
                .filter(|f| f.ends_with(b".conduit"))
                .collect();
            files.sort();
            if files.is_empty() {
                // No file: the checker reports the empty policy against this name.
                sources.add_memory(format!("git:{rev}:{path}"), "");
            }
            for f in files {
                let f = String::from_utf8(f.to_vec())
                    .map_err(|_| "a file name in the tree is not UTF-8".to_string())?;
                let bytes = git(&["show", &format!("{rev}:{}", git_relative(&f))])?;
                sources.add_bytes(format!("git:{rev}:{f}"), None, bytes);
            }
        }
        other => return Err(format!("`{object}` is a {other}, not a file or directory")),
    }
    Ok(sources)
}
