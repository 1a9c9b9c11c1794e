//! `conduitc diff`.

use clap::{Args, ValueEnum};

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
    let _ = (
        &args.old,
        &args.new,
        args.format,
        args.require_approvals,
        &args.approved_by,
        args.today,
    );
    out.error("`diff` is not built yet");
    ExitStatus::Error
}
