//! Loading and checking a policy for commands that need a checked model
//! (`build`, `query`, `diff`, `paths`, `graph`): diagnostics go to stderr,
//! and a policy with errors ends the command with exit status 1 (2 for I/O
//! and internal errors).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use conduitc::diag::render;
use std::sync::OnceLock;

use conduitc::limits::Limits;
use conduitc::model::Date;
use conduitc::source::LoadError;
use conduitc::{check, CheckOptions, Checked, Code, Policy, Sources};

use super::output::Output;
use super::report::load_error;
use super::ExitStatus;

/// The limits of the command line (`--max-file-bytes`, `--max-policy-bytes`,
/// `--max-declarations`), set once before the command runs.
static LIMITS: OnceLock<Limits> = OnceLock::new();

/// Sets the limits every policy of this run is read and checked with.
pub fn set_limits(limits: Limits) {
    let _ = LIMITS.set(limits);
}

/// The limits every policy of this run is read and checked with (the
/// defaults unless the command line set others).
pub fn limits() -> Limits {
    LIMITS.get().copied().unwrap_or_default()
}

/// Check options for `today` with the command line's limits.
pub fn check_options(today: Date) -> CheckOptions {
    CheckOptions::new(today).with_limits(limits())
}

/// Loads `paths`, checks them against `today`, prints every diagnostic
/// (text, with colour as chosen) to stderr, and returns the policy and the
/// files read, or the exit status to end with.
#[allow(
    dead_code,
    reason = "used by the commands that build on a checked policy"
)]
pub fn load_policy(
    out: &Output,
    paths: &[PathBuf],
    today: Date,
) -> Result<(Policy, Vec<PathBuf>), ExitStatus> {
    let sources = match read_sources(paths) {
        Ok(s) => s,
        Err(e) => {
            out.fail(&load_error(&e));
            return Err(ExitStatus::Error);
        }
    };
    let files = sources.paths();
    let policy = load_policy_from_sources(out, &sources, today)?;
    Ok((policy, files))
}

/// [`load_policy`] for a command that works on one firewall and isolation
/// mode (`query`, `observe`): an unknown `--isolation` or `--firewall`
/// name is refused as [`super::build::check_selection`] refuses it.
pub fn load_selected(
    out: &Output,
    paths: &[PathBuf],
    today: Date,
    (isolation, firewall): (Option<&str>, Option<&str>),
) -> Result<Policy, ExitStatus> {
    let (policy, _) = load_policy(out, paths, today)?;
    if !super::build::check_selection(out, &policy, isolation, firewall) {
        return Err(ExitStatus::Error);
    }
    Ok(policy)
}

/// The name diagnostics give the policy read from standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// True for the path `-`, which means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// [`Sources::load`], except that the path `-` reads the policy text from
/// standard input, named `<stdin>` in diagnostics (at most once).
pub fn read_sources(paths: &[PathBuf]) -> Result<Sources, LoadError> {
    let mut sources = Sources::with_limits(limits());
    let mut stdin_read = false;
    for path in paths {
        if !is_stdin(path) {
            sources.add_path(path)?;
            continue;
        }
        if stdin_read {
            return Err(LoadError::Unreadable {
                path: path.clone(),
                source: std::io::Error::other("standard input can be read only once"),
            });
        }
        stdin_read = true;
        sources.add_bytes(STDIN_NAME, None, read_stdin(path)?);
    }
    Ok(sources)
}

/// Standard input, read up to one byte past the file size limit (the
/// loader reports a larger input as too large without holding it all).
pub fn read_stdin(path: &Path) -> Result<Vec<u8>, LoadError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limits().file_bytes().saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(bytes)
}

/// Leaves `value` (a checked policy, its sources) to the operating system,
/// which takes a process's memory back at once when it exits, instead of
/// freeing it allocation by allocation (for a policy of 100,000 flows, a
/// twentieth of `check`'s time). Only for values held until the command
/// ends that own nothing but memory (no file, no buffered output).
pub fn release_at_exit<T>(value: T) {
    std::mem::forget(value);
}

/// Checks in-memory sources (for example a version read from git) like
/// [`load_policy`].
pub fn load_policy_from_sources(
    out: &Output,
    sources: &Sources,
    today: Date,
) -> Result<Policy, ExitStatus> {
    let checked = check(sources, &check_options(today));
    out.stderr(&render::text(&checked.diagnostics, sources, out.color()));
    match checked.policy {
        Some(p) => Ok(p),
        None => {
            out.note(&summary(&checked, sources));
            Err(failure_status(&checked))
        }
    }
}

/// Exit status for a check with errors: 2 for an internal error, else 1.
pub fn failure_status(checked: &Checked) -> ExitStatus {
    if checked.diagnostics.contains(Code::Internal) {
        ExitStatus::Error
    } else {
        ExitStatus::PolicyFailure
    }
}

/// The closing line: `checked 3 files: 2 errors, 1 warning`.
pub fn summary(checked: &Checked, sources: &Sources) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let read = sources
        .iter()
        .filter(|(_, f)| {
            !matches!(
                f.issue(),
                Some(
                    conduitc::source::LoadIssue::EmptyDirectory
                        | conduitc::source::LoadIssue::PolicyTooLarge
                        | conduitc::source::LoadIssue::LinkOutsideDirectory { .. }
                        | conduitc::source::LoadIssue::SpecialFile { .. }
                )
            )
        })
        .count();
    let files = plural(read, "file");
    let (e, w) = (
        checked.diagnostics.error_count(),
        checked.diagnostics.warning_count(),
    );
    if e > 0 && w > 0 {
        format!(
            "conduitc: the policy has {} and {} ({files} read)\n",
            plural(e, "error"),
            plural(w, "warning")
        )
    } else if e > 0 {
        format!(
            "conduitc: the policy has {} ({files} read)\n",
            plural(e, "error")
        )
    } else if w > 0 {
        format!(
            "conduitc: the policy checks with {} ({files} read)\n",
            plural(w, "warning")
        )
    } else {
        format!("conduitc: the policy checks clean ({files} read)\n")
    }
}
