//! The command-line interface: argument parsing and dispatch. Each command
//! lives in its own file; only `output` writes to stdout and stderr.
//! This module belongs to the binary, never to the library API.

mod build;
mod check;
mod diff;
mod explain;
mod fmt;
mod graph;
mod load;
#[cfg(feature = "lsp")]
mod lsp;
mod observe;
#[cfg(unix)]
mod outdir;
mod output;
mod paths;
mod previous;
mod query;
mod report;
mod services;
mod test;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use conduitc::model::Date;

/// Compile IEC 62443 zone-and-conduit policies into firewall configuration.
#[derive(Debug, Parser)]
#[command(name = "conduitc", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour diagnostics: auto (a terminal and no NO_COLOR), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Policy paths and the date, shared by every command that reads a policy.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Policy files or directories (directories are searched for *.conduit).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Judge expiry against this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub today: Option<Date>,
}

impl PolicyArgs {
    /// The date to judge expiry against.
    pub fn today(&self) -> Date {
        self.today.unwrap_or_else(Date::today)
    }
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date of the form YYYY-MM-DD"))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and check a policy; print diagnostics.
    Check(check::CheckArgs),
    /// Check, then print or write firewall configuration.
    Build(build::BuildArgs),
    /// The policy's decision for one packet, and the flow that decides it.
    Query(query::QueryArgs),
    /// What changed between two policy versions, and who must approve it.
    Diff(diff::DiffArgs),
    /// Attack paths: chains of flows by which one zone can reach another.
    Paths(paths::PathsArgs),
    /// Draw zones by Purdue level with conduits as edges.
    Graph(graph::GraphArgs),
    /// Rewrite policy files in the canonical layout.
    Fmt(fmt::FmtArgs),
    /// List the built-in service catalogue.
    Services,
    /// Reconcile observed connections (firewall and sensor logs) with the policy.
    Observe(observe::ObserveArgs),
    /// Compare what a device's configuration admits with what the policy allows.
    Verify(verify::VerifyArgs),
    /// Explain a diagnostic code: what it means, an example, and the fix.
    Explain(explain::ExplainArgs),
    /// Run the assertion files (*.conduit-test) beside a policy.
    Test(test::TestArgs),
    /// Run the language server on standard input and output (for editors).
    #[cfg(feature = "lsp")]
    Lsp,
}

/// How a command ended: exit status 0, 1 or 2 (cli.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success.
    Success,
    /// 1: the policy has errors, approvals are missing, or files are unformatted.
    PolicyFailure,
    /// 2: usage, I/O or internal error.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        match s {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::PolicyFailure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

/// `--color` as given, for an error found while parsing the rest.
fn color_of_args() -> ColorChoice {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let value = args.iter().enumerate().find_map(|(i, a)| {
        if a == "--color" {
            args.get(i + 1).cloned()
        } else {
            a.strip_prefix("--color=").map(str::to_string)
        }
    });
    match value.as_deref() {
        Some("always") => ColorChoice::Always,
        Some("never") => ColorChoice::Never,
        _ => ColorChoice::Auto,
    }
}

/// `--format json` or `--format sarif` of `check`, as given, for an error
/// found while parsing the rest.
fn check_format_of_args() -> Option<check::CheckFormat> {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str)
        != Some("check")
    {
        return None;
    }
    let value = args.iter().enumerate().find_map(|(i, a)| {
        if a == "--format" {
            args.get(i + 1).cloned()
        } else {
            a.strip_prefix("--format=").map(str::to_string)
        }
    });
    match value.as_deref() {
        Some("json") => Some(check::CheckFormat::Json),
        Some("sarif") => Some(check::CheckFormat::Sarif),
        _ => None,
    }
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() {
                // A usage error: a coded diagnostic, exit 2; on stdout as
                // the document `check --format json|sarif` was asked for.
                let out = output::Output::new(color_of_args());
                let problem = report::from_clap(&e);
                match check_format_of_args() {
                    Some(format) => {
                        let (sources, diags) = problem.diagnostic();
                        out.stdout(&match format {
                            check::CheckFormat::Sarif => {
                                conduitc::diag::render::sarif(&diags, &sources)
                            }
                            _ => conduitc::diag::render::json(&diags, &sources, None),
                        });
                    }
                    None => out.fail(&problem),
                }
                return ExitCode::from(2);
            }
            // `--help` and `--version` go to stdout, where a write error other
            // than a closed pipe is an error like any other (output.rs).
            return match e.print() {
                Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
                    output::Output::new(ColorChoice::Never).write_failed(&err);
                    ExitCode::from(2)
                }
                _ => ExitCode::SUCCESS,
            };
        }
    };
    let out = output::Output::new(cli.color);
    let status = match cli.command {
        Command::Check(a) => check::run(&out, a),
        Command::Build(a) => build::run(&out, a),
        Command::Query(a) => query::run(&out, a),
        Command::Diff(a) => diff::run(&out, a),
        Command::Paths(a) => paths::run(&out, a),
        Command::Graph(a) => graph::run(&out, a),
        Command::Fmt(a) => fmt::run(&out, a),
        Command::Services => services::run(&out),
        Command::Explain(a) => explain::run(&out, a),
        Command::Test(a) => test::run(&out, a),
        Command::Observe(a) => observe::run(&out, a),
        Command::Verify(a) => verify::run(&out, a),
        #[cfg(feature = "lsp")]
        Command::Lsp => lsp::run(&out),
    };
    status.into()
}
