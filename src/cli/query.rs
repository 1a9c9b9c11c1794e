//! `conduitc query`: the policy's decision for one packet that opens a
//! connection, and the flow that decides it.
//!
//! Text output is `allow CONDUIT/FLOW` (and `also: ...` when other flows
//! admit the packet too) or `deny (no flow matches)`. JSON output is one
//! line: `{"format_version":1,"decision":"allow","flow":"c/f","owner":"o","also":[]}`, with
//! `"flow":null` and `"owner":null` on deny. A deny is an answer, not a
//! failure: exit 0.
//!
//! A packet addressed to a firewall's own address (an interface `address`)
//! is decided by that firewall's `manage` and `control` entries instead:
//! `allow FIREWALL/ENTRY (to firewall FIREWALL)` or `deny (to firewall
//! FIREWALL: no manage or control entry matches)`, and in JSON
//! `"to_firewall":"FIREWALL"`. IPv6 neighbour solicitation and
//! advertisement to it are allowed by every build's fixed part: `allow (to
//! firewall FIREWALL: neighbour discovery, admitted by every build)`, and in
//! JSON `"flow":null` and `"fixed":"neighbour-discovery"`. A firewall that
//! declares no entry leaves traffic to itself ungoverned: `not governed (to
//! firewall FIREWALL: ...)`, `"decision":"not-governed"` in JSON, exit 1
//! with `--exit-code` (only allow exits 0). Without `--firewall`, the
//! firewall owning the destination address is selected; with `--firewall`
//! naming another firewall, the packet is transit traffic for it and
//! decided by flows.
//!
//! The deciding flow is the first admitting rule in the order every backend
//! writes rules ([`conduitc::lower::Rank`]): flows with `log`, then the
//! other flows, by full name, and a monitor catch-all (`conduit/*`) only
//! when no declared flow admits the packet. It is the rule whose counter
//! counts the packet on the device.

use std::net::IpAddr;

use clap::{Args, ValueEnum};
use conduitc::diag::render::versioned_json_line;
use conduitc::lower::{BuildOptions, Decision, Packet, Verdict};
use conduitc::model::service::icmp_type_by_name;
use conduitc::model::service_space::Axis;
use conduitc::Code;

use super::output::Output;
use super::report::{lower_error, Problem};
use super::{ExitStatus, PolicyArgs};

/// Arguments of `query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// Source address.
    #[arg(long)]
    src: IpAddr,
    /// Destination address.
    #[arg(long)]
    dst: IpAddr,
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
    /// Exit 0 when the packet is allowed and 1 when it is denied or not
    /// governed by the policy.
    #[arg(long)]
    exit_code: bool,
}

/// `query --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// `allow conduit/flow` or `deny (no flow matches)`.
    Text,
    /// `{"format_version":1,"decision":...,"flow":...,"owner":...,"also":[...]}`.
    Json,
}

/// The packet the arguments describe, or a usage error.
fn packet(args: &QueryArgs) -> Result<Packet, String> {
    let proto: u8 = match args.proto.to_ascii_lowercase().as_str() {
        "tcp" => 6,
        "udp" => 17,
        "icmp" => 1,
        "icmpv6" | "ipv6-icmp" => 58,
        n => n.parse().map_err(|_| {
            format!(
                "--proto `{}`: expected tcp, udp, icmp, icmpv6 or a number 0-255",
                args.proto
            )
        })?,
    };
    let mut dport = None;
    let mut icmp_type = None;
    match Axis::of(proto) {
        Axis::Port => {
            let port = args
                .port
                .ok_or_else(|| "--port is required with --proto tcp or udp".to_string())?;
            if port == 0 {
                return Err("--port must be 1-65535".into());
            }
            dport = Some(port);
        }
        Axis::Type => {
            let v6 = proto == 58;
            let t = args.icmp_type.as_deref().ok_or_else(|| {
                format!(
                    "--icmp-type is required with --proto {}",
                    if v6 { "icmpv6" } else { "icmp" }
                )
            })?;
            icmp_type = Some(match t.parse::<u8>() {
                Ok(n) => n,
                Err(_) => icmp_type_by_name(t, v6).ok_or_else(|| {
                    format!(
                        "--icmp-type `{t}` is not an {} type name or a number 0-255",
                        if v6 { "ICMPv6" } else { "ICMP" }
                    )
                })?,
            });
        }
        Axis::None => {}
    }
    if dport.is_none() && args.port.is_some() {
        return Err("--port applies only to tcp and udp".into());
    }
    if icmp_type.is_none() && args.icmp_type.is_some() {
        return Err("--icmp-type applies only to icmp and icmpv6".into());
    }
    Ok(Packet {
        src: args.src,
        dst: args.dst,
        proto,
        dport,
        icmp_type,
    })
}

/// Runs `conduitc query`.
pub fn run(out: &Output, args: QueryArgs) -> ExitStatus {
    let pkt = match packet(&args) {
        Ok(p) => p,
        Err(e) => {
            out.fail(&Problem::new(Code::InvalidArgumentValue, e));
            return ExitStatus::Error;
        }
    };
    let today = args.policy.today();
    let selection = (args.isolation.as_deref(), args.firewall.as_deref());
    let policy = match super::load::load_selected(out, &args.policy.paths, today, selection) {
        Ok(p) => p,
        Err(status) => return status,
    };
    // A packet to a firewall's own address is a question about that
    // firewall: decide it there unless `--firewall` says otherwise.
    let firewall = args
        .firewall
        .clone()
        .or_else(|| policy.firewall_of(pkt.dst).map(|f| f.name.to_string()));
    let opts = BuildOptions::new(today)
        .with_isolation(args.isolation.clone())
        .with_firewall(firewall);
    let decision = match conduitc::decide(&policy, &pkt, &opts) {
        Ok(d) => d,
        Err(e) => {
            out.fail(&lower_error(&e));
            return ExitStatus::Error;
        }
    };
    let text = match args.format {
        QueryFormat::Json => match versioned_json_line(&decision) {
            Ok(j) => j,
            Err(e) => {
                out.fail(&Problem::new(
                    Code::Internal,
                    format!("internal error: {e}"),
                ));
                return ExitStatus::Error;
            }
        },
        QueryFormat::Text => text(&decision),
    };
    out.stdout(&text);
    if args.exit_code && decision.decision != Verdict::Allow {
        return ExitStatus::PolicyFailure;
    }
    ExitStatus::Success
}

/// The text answer: the verdict, what decided it, and the other flows or
/// entries that admit the packet.
fn text(decision: &Decision) -> String {
    let also = if decision.also.is_empty() {
        String::new()
    } else {
        format!("also: {}\n", decision.also.join(", "))
    };
    let flow = decision.flow.as_deref();
    match (decision.to_firewall.as_deref(), decision.decision) {
        (Some(fw), Verdict::NotGoverned) => format!(
            "not governed (to firewall {fw}: it declares no manage or control entry, \
             so no build filters traffic to it)\n"
        ),
        (Some(fw), Verdict::Allow) => match (decision.fixed, flow) {
            (Some(fixed), _) => format!(
                "allow (to firewall {fw}: {}, admitted by every build)\n{also}",
                fixed.describe()
            ),
            (None, Some(flow)) => format!("allow {flow} (to firewall {fw})\n{also}"),
            (None, None) => format!("allow (to firewall {fw})\n{also}"),
        },
        (Some(fw), _) => {
            format!("deny (to firewall {fw}: no manage or control entry matches)\n")
        }
        (None, Verdict::Allow) => format!("allow {}\n{also}", flow.unwrap_or_default()),
        (None, _) => "deny (no flow matches)\n".to_string(),
    }
}
