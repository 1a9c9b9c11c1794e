//! `conduitc fmt`.

use std::path::PathBuf;

use clap::Args;

use super::output::Output;
use super::ExitStatus;

/// Arguments of `fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Policy files or directories.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Only report files that would change (exit 1 if any).
    #[arg(long)]
    check: bool,
}

pub fn run(out: &Output, args: FmtArgs) -> ExitStatus {
    let _ = (&args.paths, args.check);
    out.error("`fmt` is not built yet");
    ExitStatus::Error
}
