//! `conduitc check`.

use clap::{Args, ValueEnum};

use super::output::Output;
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
    /// Human-readable, with source excerpts.
    Text,
    /// One JSON object per diagnostic, in an array.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

pub fn run(out: &Output, args: CheckArgs) -> ExitStatus {
    let _ = (&args.policy, args.format, args.deny_warnings);
    out.error("`check` is not built yet");
    ExitStatus::Error
}
