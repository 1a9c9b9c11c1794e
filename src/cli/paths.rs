//! `conduitc paths`.

use clap::{Args, ValueEnum};

use super::output::Output;
use super::{ExitStatus, PolicyArgs};

/// Arguments of `paths`.
#[derive(Debug, Args)]
pub struct PathsArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// The zone an attacker starts in.
    #[arg(long = "from", value_name = "ZONE")]
    from_zone: String,
    /// The zone to reach.
    #[arg(long = "to", value_name = "ZONE")]
    to_zone: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PathsFormat::Text)]
    format: PathsFormat,
}

/// `paths --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PathsFormat {
    /// One path per line.
    Text,
    /// JSON.
    Json,
}

pub fn run(out: &Output, args: PathsArgs) -> ExitStatus {
    let _ = (&args.policy, &args.from_zone, &args.to_zone, args.format);
    out.error("`paths` is not built yet");
    ExitStatus::Error
}
