//! `conduitc check`: parse and check; print diagnostics.
//!
//! Text diagnostics and a summary line go to stderr; `--format json`,
//! `sarif`, `github` and `gitlab` print their document on stdout, a usage
//! error or an unreadable path included (nothing on stderr but a failed
//! write to stdout, and for `gitlab`, which has no place for an error
//! outside a file, the error as text). Exit status: 0 when there is no error (and no warning
//! with `--deny-warnings`), 1 otherwise, 2 when a path cannot be read or
//! on an internal error.

use clap::{Args, ValueEnum};

use conduitc::check;
use conduitc::diag::render::{self, ci};

use super::load::{failure_status, summary};
use super::output::Output;
use super::report::{load_error, Problem};
use super::{ExitStatus, PolicyArgs};

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format of the diagnostics.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Exit 1 when there are warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

/// `check --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Human-readable, with source excerpts, on stderr.
    Text,
    /// `{"diagnostics": [...], "policy": ...}` on stdout.
    Json,
    /// SARIF 2.1.0 on stdout.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`) on stdout.
    Github,
    /// A GitLab Code Quality report (a JSON array) on stdout.
    Gitlab,
}

/// The error that stopped `check` (exit status 2) in a machine format: JSON
/// and GitHub as any diagnostic; SARIF as a tool execution notification of
/// an unsuccessful run; GitLab as an empty report, with the error as text
/// on stderr.
pub fn render_error(out: &Output, format: CheckFormat, problem: &Problem) {
    let (sources, diags) = problem.diagnostic();
    match format {
        CheckFormat::Text => out.fail(problem),
        CheckFormat::Json => out.stdout(&render::json(&diags, &sources, None)),
        CheckFormat::Sarif => out.stdout(&render::sarif_error(&diags, &sources)),
        CheckFormat::Github => out.stdout(&ci::github(&ci::annotations(&diags, &sources))),
        CheckFormat::Gitlab => {
            out.stdout(&ci::gitlab(&[]));
            out.fail(problem);
        }
    }
}

pub fn run(out: &Output, args: CheckArgs) -> ExitStatus {
    let sources = match super::load::read_sources(&args.policy.paths) {
        Ok(s) => s,
        Err(e) => {
            // Rendered in the format asked for, like every diagnostic.
            render_error(out, args.format, &load_error(&e));
            return ExitStatus::Error;
        }
    };
    let checked = check(&sources, &super::load::check_options(args.policy.today()));
    match args.format {
        CheckFormat::Text => {
            out.stderr(&render::text(&checked.diagnostics, &sources, out.color()));
            out.note(&summary(&checked, &sources));
        }
        CheckFormat::Json => out.stdout(&render::json(
            &checked.diagnostics,
            &sources,
            checked.policy.as_ref(),
        )),
        CheckFormat::Sarif => out.stdout(&render::sarif(&checked.diagnostics, &sources)),
        CheckFormat::Github => out.stdout(&ci::github(&ci::annotations(
            &checked.diagnostics,
            &sources,
        ))),
        CheckFormat::Gitlab => out.stdout(&ci::gitlab(&ci::annotations(
            &checked.diagnostics,
            &sources,
        ))),
    }
    let status = if checked.policy.is_none() {
        failure_status(&checked)
    } else if args.deny_warnings && checked.diagnostics.warning_count() > 0 {
        ExitStatus::PolicyFailure
    } else {
        ExitStatus::Success
    };
    super::load::release_at_exit((checked, sources));
    status
}
