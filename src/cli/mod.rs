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
    /// Print no summary or progress lines on stderr; diagnostics and errors still print.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Largest policy file read (E003 above it): bytes, or with KiB, MiB or GiB [default: 64MiB].
    #[arg(long, global = true, value_name = "BYTES", value_parser = parse_file_bytes)]
    max_file_bytes: Option<u64>,
    /// Largest policy, all files together (E005 above it) [default: 256MiB].
    #[arg(long, global = true, value_name = "BYTES", value_parser = parse_bytes)]
    max_policy_bytes: Option<u64>,
    /// Most declarations and flows in one policy (E006 above it) [default: 1000000].
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_declarations: Option<u64>,
}

impl Cli {
    /// The limits the policy is read and checked with.
    fn limits(&self) -> conduitc::limits::Limits {
        let mut limits = conduitc::limits::Limits::default();
        if let Some(n) = self.max_file_bytes {
            limits = limits.max_file_bytes(n);
        }
        if let Some(n) = self.max_policy_bytes {
            limits = limits.max_policy_bytes(n);
        }
        if let Some(n) = self.max_declarations {
            limits = limits.max_declarations(usize::try_from(n).unwrap_or(usize::MAX));
        }
        limits
    }
}

/// A byte count: digits, optionally followed by `KiB`, `MiB` or `GiB`; at least 1.
fn parse_bytes(s: &str) -> Result<u64, String> {
    let bad =
        || format!("`{s}` is not a byte count (digits, optionally followed by KiB, MiB or GiB)");
    let t = s.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let scale: u64 = match unit.trim() {
        "" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return Err(bad()),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let bytes = n.checked_mul(scale).ok_or_else(bad)?;
    if bytes == 0 {
        return Err("the limit must be at least 1 byte".to_string());
    }
    Ok(bytes)
}

/// [`parse_bytes`], at most [`conduitc::limits::FILE_BYTES_CEILING`].
fn parse_file_bytes(s: &str) -> Result<u64, String> {
    let bytes = parse_bytes(s)?;
    let ceiling = conduitc::limits::FILE_BYTES_CEILING;
    if bytes > ceiling {
        return Err(format!(
            "at most {ceiling} bytes (4 GiB - 1): byte offsets within a file are 32-bit"
        ));
    }
    Ok(bytes)
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
    #[command(after_help = "Examples:
  conduitc check policy/
  conduitc check policy/ --format sarif > conduitc.sarif
  cat plant.conduit | conduitc check -")]
    Check(check::CheckArgs),
    /// Check, then print or write firewall configuration.
    #[command(after_help = "Examples:
  conduitc build policy/ --target nftables --firewall ot-core-fw | nft -c -f -
  conduitc build policy/ --out build --today 2026-12-01
  conduitc build policy/ --target cisco-ios --firewall edge-fw --from running.cfg")]
    Build(build::BuildArgs),
    /// The policy's decision for one packet, and the flow that decides it.
    #[command(after_help = "Examples:
  conduitc query policy/ --src 10.20.0.10 --dst 10.1.10.9 --proto tcp --port 502
  conduitc query policy/ --src enterprise --dst control --proto tcp --port 22 --exit-code")]
    Query(query::QueryArgs),
    /// What changed between two policy versions, and who must approve it.
    #[command(after_help = "Examples:
  conduitc diff git:origin/main:policy policy --format markdown
  conduitc diff old/ new/ --require-approvals --approved-by plant-ops,it-sec")]
    Diff(diff::DiffArgs),
    /// Attack paths: chains of flows by which one zone can reach another.
    #[command(after_help = "Examples:
  conduitc paths policy/ --from enterprise --to control
  conduitc paths policy/ --from enterprise --to control --expect none")]
    Paths(paths::PathsArgs),
    /// Draw zones by Purdue level with conduits as edges.
    #[command(after_help = "Examples:
  conduitc graph policy/ | dot -Tsvg > zones.svg
  conduitc graph policy/ --format mermaid")]
    Graph(graph::GraphArgs),
    /// Rewrite policy files in the canonical layout.
    #[command(after_help = "Examples:
  conduitc fmt policy/
  conduitc fmt --check policy/
  conduitc fmt - < plant.conduit > formatted.conduit")]
    Fmt(fmt::FmtArgs),
    /// List the built-in service catalogue.
    #[command(after_help = "Example:
  conduitc services")]
    Services,
    /// Reconcile observed connections (firewall and sensor logs) with the policy.
    #[command(after_help = "Examples:
  conduitc observe policy/ --log /var/log/kern.log
  conduitc observe policy/ --log conn.log --format conduit > candidates.conduit")]
    Observe(observe::ObserveArgs),
    /// Compare what a device's configuration admits with what the policy allows.
    #[command(
        after_help = "Example (running.nft from `nft list ruleset` on the firewall):
  conduitc verify policy/ --target nftables --firewall ot-core-fw --config running.nft"
    )]
    Verify(verify::VerifyArgs),
    /// Explain a diagnostic code: what it means, an example, and the fix.
    #[command(after_help = "Example:
  conduitc explain E201")]
    Explain(explain::ExplainArgs),
    /// Run the assertion files (*.conduit-test) beside a policy.
    #[command(after_help = "Examples:
  conduitc test policy/
  conduitc test policy/ --format junit > conduitc-test.xml")]
    Test(test::TestArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell).
    #[command(after_help = "Examples:
  conduitc completions bash > ~/.local/share/bash-completion/completions/conduitc
  conduitc completions zsh > ~/.zfunc/_conduitc
  conduitc completions fish > ~/.config/fish/completions/conduitc.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) for conduitc or one of its commands.
    #[command(after_help = "Examples:
  conduitc man | man -l -
  conduitc man build > conduitc-build.1")]
    Man(ManArgs),
    /// Run the language server on standard input and output (for editors).
    #[cfg(feature = "lsp")]
    #[command(after_help = "Example (an editor starts it; see docs/editors.md):
  conduitc lsp")]
    Lsp,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
struct ManArgs {
    /// A command (`build`, `check`, ...): its page instead of the overview.
    #[arg(value_name = "COMMAND")]
    command: Option<String>,
}

/// `conduitc completions SHELL`: the script on stdout.
fn completions(out: &output::Output, args: &CompletionsArgs) -> ExitStatus {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "conduitc", &mut buf);
    out.stdout(&String::from_utf8_lossy(&buf));
    ExitStatus::Success
}

/// `conduitc man [COMMAND]`: a roff page on stdout.
fn man(out: &output::Output, args: &ManArgs) -> ExitStatus {
    let root = <Cli as clap::CommandFactory>::command();
    let cmd = match &args.command {
        None => root,
        Some(name) => {
            let found = root
                .get_subcommands()
                .find(|c| c.get_name() == name)
                .cloned();
            match found {
                Some(c) => {
                    let full = format!("conduitc-{name}");
                    c.display_name(full.clone())
                        .bin_name(full.replace('-', " "))
                        .version(env!("CARGO_PKG_VERSION"))
                }
                None => {
                    let names: Vec<&str> = root.get_subcommands().map(|c| c.get_name()).collect();
                    out.fail(
                        &report::Problem::new(
                            conduitc::Code::InvalidArguments,
                            format!("no command named {}", report::quoted(name)),
                        )
                        .at_value(name)
                        .help(format!("the commands are: {}", names.join(", "))),
                    );
                    return ExitStatus::Error;
                }
            }
        }
    };
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut buf) {
        out.write_failed(&e);
        return ExitStatus::Error;
    }
    out.stdout(&String::from_utf8_lossy(&buf));
    ExitStatus::Success
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

/// `--format json`, `sarif`, `github` or `gitlab` of `check`, as given, for
/// an error found while parsing the rest.
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
        Some("github") => Some(check::CheckFormat::Github),
        Some("gitlab") => Some(check::CheckFormat::Gitlab),
        _ => None,
    }
}

/// True when the command line asks `test` or `verify` for `--format gitlab`,
/// for an error found while parsing the rest: the report is then `[]`.
fn gitlab_report_of_args() -> bool {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let command = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str);
    if !matches!(command, Some("test" | "verify")) {
        return false;
    }
    args.iter().enumerate().any(|(i, a)| {
        a == "--format=gitlab"
            || (a == "--format" && args.get(i + 1).map(String::as_str) == Some("gitlab"))
    })
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() {
                // A usage error: a coded diagnostic, exit 2; on stdout as
                // the document `check --format json|sarif|github|gitlab` was
                // asked for.
                let out = output::Output::new(color_of_args());
                let problem = report::from_clap(&e);
                match check_format_of_args() {
                    Some(format) => check::render_error(&out, format, &problem),
                    None => {
                        out.fail(&problem);
                        if gitlab_report_of_args() {
                            out.stdout(&conduitc::diag::render::ci::gitlab(&[]));
                        }
                    }
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
    let out = output::Output::new(cli.color).quiet(cli.quiet);
    load::set_limits(cli.limits());
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
        Command::Completions(a) => completions(&out, &a),
        Command::Man(a) => man(&out, &a),
        #[cfg(feature = "lsp")]
        Command::Lsp => lsp::run(&out),
    };
    status.into()
}
