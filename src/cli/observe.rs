//! `conduitc observe`: reads firewall and sensor logs and reconciles the
//! connections in them with the policy: hits per declared flow, declared
//! flows never seen, and the connections no declared flow allows, grouped
//! into candidate flows (`--format conduit` writes them as declarations to
//! review).
//!
//! Exit status: 0 when every connection read is allowed by a declared
//! flow; 1 when some are not (enforcement would drop them); 2 when a log
//! cannot be read or is in no known format, or on a usage error.

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use conduitc::diag::render::versioned_json;
use conduitc::model::Date;
use conduitc::observe::{self, ObserveOptions, Observer, ReadError, Report};
use conduitc::Code;

use super::output::Output;
use super::report::{lower_error, Problem};
use super::{parse_date, ExitStatus, PolicyArgs};

/// Arguments of `observe`.
#[derive(Debug, Args)]
pub struct ObserveArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// A log to read (`-` for standard input); repeat for several.
    #[arg(long = "log", value_name = "FILE", required = true)]
    logs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ObserveFormat::Text)]
    format: ObserveFormat,
    /// Skip lines dated before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    since: Option<Date>,
    /// Judge as built in this isolation mode.
    #[arg(long, value_name = "MODE")]
    isolation: Option<String>,
    /// Judge across this firewall the lines that name no declared firewall.
    #[arg(long, value_name = "NAME")]
    firewall: Option<String>,
}

/// `observe --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ObserveFormat {
    /// A report for people.
    Text,
    /// The report as one JSON document.
    Json,
    /// The candidate flows as conduit declarations to review.
    Conduit,
}

/// Runs `conduitc observe`.
pub fn run(out: &Output, args: ObserveArgs) -> ExitStatus {
    let today = args.policy.today();
    let selection = (args.isolation.as_deref(), args.firewall.as_deref());
    let policy = match super::load::load_selected(out, &args.policy.paths, today, selection) {
        Ok(p) => p,
        Err(status) => return status,
    };
    let opts = ObserveOptions::new(today)
        .with_isolation(args.isolation.clone())
        .with_firewall(args.firewall.clone())
        .with_since(args.since);
    let mut observer = match Observer::new(&policy, opts) {
        Ok(o) => o,
        Err(e) => {
            out.fail(&lower_error(&e));
            return ExitStatus::Error;
        }
    };
    for path in &args.logs {
        let shown = path.display().to_string();
        let result = if shown == "-" {
            observer.read("-", std::io::stdin().lock())
        } else {
            if path.is_dir() {
                out.fail(
                    &Problem::new(
                        Code::LogUnreadable,
                        format!("cannot read log `{shown}`: it is a directory"),
                    )
                    .at_value(path),
                );
                return ExitStatus::Error;
            }
            match File::open(path) {
                Ok(f) => observer.read(&shown, BufReader::with_capacity(1 << 16, f)),
                Err(e) => {
                    out.fail(
                        &Problem::new(
                            Code::LogUnreadable,
                            format!("cannot read log `{shown}`: {e}"),
                        )
                        .at_value(path),
                    );
                    return ExitStatus::Error;
                }
            }
        };
        match result {
            Ok(_) => {}
            Err(ReadError::Unrecognized) => {
                out.fail(
                    &Problem::new(
                        Code::LogFormatUnknown,
                        format!("log `{shown}` is in no format observe reads"),
                    )
                    .at_value(path)
                    .help("observe reads the kernel log lines of conduitc's nftables rules, Zeek conn.log (TSV or JSON), Cisco IOS access-list log messages and FortiOS traffic logs"),
                );
                return ExitStatus::Error;
            }
            Err(e) => {
                out.fail(
                    &Problem::new(
                        Code::LogUnreadable,
                        format!("cannot read log `{shown}`: {e}"),
                    )
                    .at_value(path),
                );
                return ExitStatus::Error;
            }
        }
    }
    let report = observer.finish();
    let text = match args.format {
        ObserveFormat::Text => text(&report),
        ObserveFormat::Json => match versioned_json(&report) {
            Ok(j) => j,
            Err(e) => {
                out.fail(&Problem::new(
                    Code::Internal,
                    format!("internal error: {e}"),
                ));
                return ExitStatus::Error;
            }
        },
        ObserveFormat::Conduit => {
            // Malformed lines are never dropped silently: outside the text
            // report, they are named on stderr.
            for f in report.files.iter().filter(|f| f.malformed > 0) {
                out.stderr(&malformed_text(f));
            }
            observe::to_conduit(&report, &policy)
        }
    };
    out.stdout(&text);
    if report.undeclared > 0 {
        ExitStatus::PolicyFailure
    } else {
        ExitStatus::Success
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn malformed_text(f: &observe::FileSummary) -> String {
    let mut s = format!(
        "{}: {}\n",
        f.path,
        plural(f.malformed, "malformed line", "malformed lines")
    );
    for m in &f.malformed_lines {
        let _ = writeln!(s, "  {}:{}: {}", f.path, m.line, m.reason);
    }
    if f.malformed > f.malformed_lines.len() as u64 {
        let _ = writeln!(
            s,
            "  ... and {} more",
            f.malformed - f.malformed_lines.len() as u64
        );
    }
    s
}

/// The report for people.
fn text(r: &Report) -> String {
    let mut s = String::new();
    for f in &r.files {
        let _ = write!(
            s,
            "{}: {}, {}, {}",
            f.path,
            f.format.map_or("empty", |f| f.as_str()),
            plural(f.lines, "line", "lines"),
            plural(f.connections, "connection", "connections"),
        );
        if f.before_since > 0 {
            let _ = write!(s, ", {} before --since", f.before_since);
        }
        if f.malformed > 0 {
            let _ = write!(
                s,
                ", {}",
                plural(f.malformed, "malformed line", "malformed lines")
            );
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "\n{}: {} allowed by a declared flow, {} not",
        plural(r.connections, "connection", "connections"),
        r.allowed,
        r.undeclared
    );
    let _ = writeln!(s, "\nconnections per declared flow:");
    for f in r.flows.iter().filter(|f| f.connections > 0) {
        let _ = writeln!(s, "  {:>6}  {}", f.connections, f.flow);
    }
    if r.allowed == 0 {
        s.push_str("  (none)\n");
    }
    let _ = writeln!(
        s,
        "\ndeclared flows never seen ({}): candidates for recertification or removal",
        r.unseen.len()
    );
    for f in &r.unseen {
        let owner = r
            .flows
            .iter()
            .find(|h| &h.flow == f)
            .map(|h| h.owner.as_str())
            .unwrap_or("");
        let _ = writeln!(s, "  {f} (owner {owner})");
    }
    let _ = writeln!(
        s,
        "\nnot allowed by any declared flow ({}, {}):",
        plural(
            r.candidates.len() as u64,
            "candidate flow",
            "candidate flows"
        ),
        plural(r.undeclared, "connection", "connections"),
    );
    for c in &r.candidates {
        let _ = write!(
            s,
            "  {:>6}  {} -> {}  {}",
            c.connections,
            c.from.label(),
            c.to.label(),
            c.service
        );
        match &c.monitored_by {
            Some(m) => {
                let _ = write!(s, "  (admitted by {m})");
            }
            None => s.push_str("  (dropped)"),
        }
        s.push('\n');
    }
    for f in r.files.iter().filter(|f| f.malformed > 0) {
        s.push('\n');
        s.push_str(&malformed_text(f));
    }
    s
}
