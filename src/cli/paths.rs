//! `conduitc paths`.

use clap::{Args, ValueEnum};
use conduitc::diag::render::versioned_json;
use conduitc::lower::{lower, BuildOptions};
use conduitc::Code;

use super::output::Output;
use super::report::{lower_error, quoted, Problem};
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
    /// Exit 1 unless the paths found are as expected: `none` (no path
    /// exists) or `some` (at least one does).
    #[arg(long, value_enum, value_name = "none|some")]
    expect: Option<Expect>,
}

/// `paths --expect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Expect {
    /// No path from the zone to the other.
    None,
    /// At least one path.
    Some,
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
            out.fail(
                &Problem::new(
                    Code::InvalidArgumentValue,
                    format!(
                        "no zone named {} (zones: {})",
                        quoted(zone),
                        known.join(", ")
                    ),
                )
                .at_value(zone),
            );
            return ExitStatus::Error;
        }
    }
    let opts = BuildOptions::new(today).with_isolation(args.isolation.clone());
    let rules = match lower(&policy, &opts) {
        Ok(r) => r,
        Err(e) => {
            out.fail(&lower_error(&e));
            return ExitStatus::Error;
        }
    };
    let manage = conduitc::attack_paths::management(&policy, &rules);
    let found = conduitc::attack_paths::find_with(&rules, &manage, &args.from_zone, &args.to_zone);
    let text = match args.format {
        PathsFormat::Text => conduitc::attack_paths::to_text(&found),
        PathsFormat::Json => match versioned_json(&found) {
            Ok(j) => j,
            Err(e) => {
                out.fail(&Problem::new(
                    Code::Internal,
                    format!("internal error: {e}"),
                ));
                return ExitStatus::Error;
            }
        },
    };
    out.stdout(&text);
    let met = match args.expect {
        None => true,
        Some(Expect::None) => found.paths.is_empty(),
        Some(Expect::Some) => !found.paths.is_empty(),
    };
    if !met {
        out.stderr(&format!(
            "conduitc: expected {} from {} to {}, found {}\n",
            if args.expect == Some(Expect::None) {
                "no path"
            } else {
                "a path"
            },
            quoted(&args.from_zone),
            quoted(&args.to_zone),
            match found.paths.len() {
                0 => "none".to_string(),
                n => n.to_string(),
            }
        ));
        return ExitStatus::PolicyFailure;
    }
    ExitStatus::Success
}
