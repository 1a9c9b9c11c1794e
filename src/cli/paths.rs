//! `conduitc paths`.

use clap::{Args, ValueEnum};
use conduitc::lower::{lower, BuildOptions};

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
    /// Find paths as they stand in this isolation mode.
    #[arg(long, value_name = "MODE")]
    isolation: Option<String>,
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
    let today = args.policy.today();
    let policy = match super::load::load_policy(out, &args.policy.paths, today) {
        Ok((p, _)) => p,
        Err(status) => return status,
    };
    for zone in [&args.from_zone, &args.to_zone] {
        if policy.zone_id(zone).is_none() {
            let known: Vec<&str> = policy.zones.iter().map(|z| z.name.as_str()).collect();
            out.error(&format!(
                "no zone named `{zone}` (zones: {})",
                known.join(", ")
            ));
            return ExitStatus::Error;
        }
    }
    let opts = BuildOptions::new(today).with_isolation(args.isolation.clone());
    let rules = match lower(&policy, &opts) {
        Ok(r) => r,
        Err(e) => {
            out.error(&e.to_string());
            return ExitStatus::Error;
        }
    };
    let found = conduitc::paths::find(&rules, &args.from_zone, &args.to_zone);
    let text = match args.format {
        PathsFormat::Text => conduitc::paths::to_text(&found),
        PathsFormat::Json => match serde_json::to_string_pretty(&found) {
            Ok(j) => j + "\n",
            Err(e) => {
                out.error(&format!("internal error: {e}"));
                return ExitStatus::Error;
            }
        },
    };
    out.stdout(&text);
    ExitStatus::Success
}
