//! `conduitc build`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::output::Output;
use super::{ExitStatus, PolicyArgs};

/// Arguments of `build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// The target to compile for (prints one configuration on stdout).
    #[arg(
        long,
        value_enum,
        required_unless_present = "out",
        conflicts_with = "out"
    )]
    target: Option<TargetArg>,
    /// Compile only the conduits that cross this firewall, matching its interfaces.
    #[arg(long, value_name = "NAME")]
    firewall: Option<String>,
    /// Write every declared firewall's configuration and manifest.json into DIR.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Build the policy as it stands in this isolation mode.
    #[arg(long, value_name = "MODE")]
    isolation: Option<String>,
}

/// `build --target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// nftables text for `nft -f`.
    Nftables,
    /// libnftables JSON for `nft -j -f`.
    NftablesJson,
    /// Cisco IOS / IOS-XE extended ACLs.
    CiscoIos,
    /// FortiOS 6.4+ CLI configuration.
    Fortios,
}

pub fn run(out: &Output, args: BuildArgs) -> ExitStatus {
    let _ = (
        &args.policy,
        args.target,
        &args.firewall,
        &args.out,
        &args.isolation,
    );
    out.error("`build` is not built yet");
    ExitStatus::Error
}
