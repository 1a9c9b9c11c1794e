//! `conduitc query`.

use clap::{Args, ValueEnum};

use super::output::Output;
use super::{ExitStatus, PolicyArgs};

/// Arguments of `query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// Source address.
    #[arg(long)]
    src: std::net::IpAddr,
    /// Destination address.
    #[arg(long)]
    dst: std::net::IpAddr,
    /// Protocol: tcp, udp, icmp, icmpv6 or a number 0-255.
    #[arg(long)]
    proto: String,
    /// Destination port (tcp, udp).
    #[arg(long, conflicts_with = "icmp_type")]
    port: Option<u16>,
    /// ICMP type, by number or name (icmp, icmpv6).
    #[arg(long)]
    icmp_type: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueryFormat::Text)]
    format: QueryFormat,
    /// Build as in this isolation mode.
    #[arg(long, value_name = "MODE")]
    isolation: Option<String>,
    /// Consider only the conduits crossing this firewall.
    #[arg(long, value_name = "NAME")]
    firewall: Option<String>,
}

/// `query --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// `allow conduit/flow` or `deny (no flow matches)`.
    Text,
    /// `{"decision":...,"flow":...,"owner":...,"also":[...]}`.
    Json,
}

pub fn run(out: &Output, args: QueryArgs) -> ExitStatus {
    let _ = (
        &args.policy,
        args.src,
        args.dst,
        &args.proto,
        args.port,
        &args.icmp_type,
        args.format,
        &args.isolation,
        &args.firewall,
    );
    out.error("`query` is not built yet");
    ExitStatus::Error
}
