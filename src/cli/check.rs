//! `conduitc check`: parse and check; print diagnostics.
//!
//! Text diagnostics and a summary line go to stderr; `--format json` and
//! `--format sarif` print their document on stdout, a usage error or an
//! unreadable path included (nothing on stderr but a failed write to
//! stdout). Exit status: 0 when there is no error (and no warning
//! with `--deny-warnings`), 1 otherwise, 2 when a path cannot be read or
//! on an internal error.

use clap::{Args, ValueEnum};

use conduitc::diag::render;
use conduitc::{check, CheckOptions};

use super::load::{failure_status, summary};
use super::output::Output;
use super::report::load_error;
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
}

pub fn run(out: &Output, args: CheckArgs) -> ExitStatus {
    let sources = match super::load::read_sources(&args.policy.paths) {
        Ok(s) => s,
        Err(e) => {
            // Rendered in the format asked for, like every diagnostic.
            let problem = load_error(&e);
            match args.format {
                CheckFormat::Text => out.fail(&problem),
                CheckFormat::Json => {
                    let (sources, diags) = problem.diagnostic();
                    out.stdout(&render::json(&diags, &sources, None));
                }
                CheckFormat::Sarif => {
                    let (sources, diags) = problem.diagnostic();
                    out.stdout(&render::sarif(&diags, &sources));
                }
            }
            return ExitStatus::Error;
        }
    };
    let checked = check(&sources, &CheckOptions::new(args.policy.today()));
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
    }
    if checked.policy.is_none() {
        failure_status(&checked)
    } else if args.deny_warnings && checked.diagnostics.warning_count() > 0 {
        ExitStatus::PolicyFailure
    } else {
        ExitStatus::Success
    }
}
