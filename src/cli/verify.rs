//! `conduitc verify`: reads what a device runs now and compares what it
//! admits with what the policy allows through that firewall.
//!
//! Exit status: 0 when the device admits exactly what the policy allows; 1
//! on drift; 2 when the configuration cannot be read (with the line and
//! why), on a usage error, or for an unknown target.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use conduitc::diag::render::{ci, versioned_json};
use conduitc::verify::{self, DeviceError, Drift, Finding, VerifyError, OTHER_INTERFACE};
use conduitc::{BuildOptions, Code, Sources, Span};

use super::output::Output;
use super::report::{lower_error, Problem};
use super::{ExitStatus, PolicyArgs};

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// The device's platform: nftables (`nft list ruleset` text or JSON),
    /// cisco-ios (`show running-config`) or fortios (a configuration
    /// backup).
    #[arg(long, value_name = "TARGET")]
    target: String,
    /// The device's configuration (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The firewall the device is, as declared in the policy.
    #[arg(long, value_name = "NAME")]
    firewall: Option<String>,
    /// Judge the policy as built in this isolation mode.
    #[arg(long, value_name = "MODE")]
    isolation: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    format: VerifyFormat,
}

/// `verify --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// A report for people.
    Text,
    /// The report as one JSON document.
    Json,
    /// GitHub Actions workflow commands: an `::error` per finding, at the
    /// device rule that decides it.
    Github,
    /// A GitLab Code Quality report: an issue per finding.
    Gitlab,
}

/// Runs `conduitc verify`.
pub fn run(out: &Output, args: VerifyArgs) -> ExitStatus {
    let gitlab = args.format == VerifyFormat::Gitlab;
    let status = run_verify(out, args);
    // A Code Quality report is still valid JSON when the command stops on
    // an error (reported on stderr), so the artifact parses.
    if gitlab && status == ExitStatus::Error {
        out.stdout(&ci::gitlab(&[]));
    }
    status
}

fn run_verify(out: &Output, args: VerifyArgs) -> ExitStatus {
    let target = match args.target.as_str() {
        t @ ("nftables" | "cisco-ios" | "fortios") => t.to_string(),
        other => {
            out.fail(
                &Problem::new(
                    Code::VerifyTargetUnsupported,
                    format!("unknown target `{}`", super::report::one_line(other)),
                )
                .at_flag("--target")
                .help("the targets are nftables, cisco-ios and fortios"),
            );
            return ExitStatus::Error;
        }
    };
    let today = args.policy.today();
    let policy = match super::load::load_policy(out, &args.policy.paths, today) {
        Ok((p, _)) => p,
        Err(status) => return status,
    };
    if !super::build::check_selection(
        out,
        &policy,
        args.isolation.as_deref(),
        args.firewall.as_deref(),
    ) {
        return ExitStatus::Error;
    }
    let shown = args.config.display().to_string();
    let unreadable = |why: String| {
        Problem::new(
            Code::ConfigUnreadable,
            format!("cannot read configuration `{shown}`: {why}"),
        )
        .at_value(&args.config)
    };
    let mut bytes = Vec::new();
    let read = if shown == "-" {
        std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else if args.config.is_dir() {
        out.fail(&unreadable("it is a directory".into()));
        return ExitStatus::Error;
    } else {
        std::fs::File::open(&args.config).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    if let Err(e) = read {
        out.fail(&unreadable(e.to_string()));
        return ExitStatus::Error;
    }
    let Ok(text) = String::from_utf8(bytes) else {
        out.fail(&unreadable("it is not UTF-8 text".into()));
        return ExitStatus::Error;
    };
    let json = target == "nftables" && text.trim_start().starts_with('{');
    let invalid_as = |code: Code, e: &verify::ReadError| {
        if json {
            return Problem::new(
                code,
                format!(
                    "cannot read configuration `{shown}` at object {} of its `nftables` array: {}",
                    e.line, e.message
                ),
            )
            .at_value(&args.config);
        }
        let what = if code == Code::ConfigUnmodelled {
            "cannot judge"
        } else {
            "cannot read"
        };
        if e.line == 0 {
            return Problem::new(
                code,
                format!("{what} configuration `{shown}`: {}", e.message),
            )
            .at_value(&args.config);
        }
        let mut sources = Sources::new();
        let file = sources.add_memory(shown.clone(), text.clone());
        let (start, end) = line_span(&text, e.line);
        Problem::new(
            code,
            format!(
                "{what} configuration `{shown}` at line {}: {}",
                e.line, e.message
            ),
        )
        .at_value(&args.config)
        .with(&sources, Span::new(file, start, end), e.message.clone())
    };
    let invalid = |e: &verify::ReadError| invalid_as(Code::ConfigInvalid, e);
    let opts = BuildOptions::new(today)
        .with_isolation(args.isolation.clone())
        .with_firewall(args.firewall.clone());
    let result = if target == "nftables" {
        let ruleset = match verify::read_ruleset(&text) {
            Ok(r) => r,
            Err(e) => {
                out.fail(&invalid(&e));
                return ExitStatus::Error;
            }
        };
        verify::verify(&policy, &opts, &ruleset)
    } else {
        let device = if target == "cisco-ios" {
            verify::read_ios(&text)
        } else {
            verify::read_fortios(&text)
        };
        match device {
            Ok(d) => verify::verify_device(&policy, &opts, &d),
            Err(e) => {
                let code = match e {
                    DeviceError::Unmodelled(_) => Code::ConfigUnmodelled,
                    _ => Code::ConfigInvalid,
                };
                out.fail(&invalid_as(code, e.error()));
                return ExitStatus::Error;
            }
        }
    };
    let drift = match result {
        Ok(d) => d,
        Err(VerifyError::Lower(e)) => {
            out.fail(&lower_error(&e));
            return ExitStatus::Error;
        }
        Err(VerifyError::Read(e)) => {
            out.fail(&invalid(&e));
            return ExitStatus::Error;
        }
        Err(e @ VerifyError::FirewallRequired) => {
            out.fail(
                &Problem::new(Code::VerifyFirewallRequired, e.to_string())
                    .at_flag("--target")
                    .help("name the firewall of the policy the router is: --firewall NAME"),
            );
            return ExitStatus::Error;
        }
        Err(e) => {
            out.fail(&Problem::new(
                Code::Internal,
                format!("internal error: {e}"),
            ));
            return ExitStatus::Error;
        }
    };
    let rendered = match args.format {
        VerifyFormat::Text => text_report(&drift, &target, args.firewall.as_deref()),
        VerifyFormat::Github => ci::github(&annotations(&drift, &shown, json, &target)),
        VerifyFormat::Gitlab => ci::gitlab(&annotations(&drift, &shown, json, &target)),
        VerifyFormat::Json => match versioned_json(&drift) {
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
    out.stdout(&rendered);
    if drift.matches {
        ExitStatus::Success
    } else {
        ExitStatus::PolicyFailure
    }
}

/// The findings as annotations for `--format github` and `gitlab`: an
/// error in the configuration file at the first device rule that decides
/// the packets (the whole file for JSON, whose rules have no line, or when
/// no rule decides them), titled `admitted-not-declared` or
/// `declared-not-admitted`, keyed by the packets and interfaces.
fn annotations(d: &Drift, config: &str, json: bool, target: &str) -> Vec<ci::Annotation> {
    let file = (config != "-").then(|| config.to_string());
    let mut found = Vec::new();
    for (admitted, list) in [
        (true, &d.admitted_not_declared),
        (false, &d.declared_not_admitted),
    ] {
        for f in list {
            let mut body = String::new();
            finding(&mut body, &[f], admitted, target);
            let lines: Vec<&str> = body.lines().map(str::trim).collect();
            let key = lines
                .iter()
                .take_while(|l| {
                    !["admitted by", "blocked by", "declared by"]
                        .iter()
                        .any(|p| l.starts_with(p))
                })
                .copied()
                .collect::<Vec<_>>()
                .join("\n");
            let (code, what, severity) = if admitted {
                (
                    "admitted-not-declared",
                    "admitted but not declared",
                    "critical",
                )
            } else {
                (
                    "declared-not-admitted",
                    "declared but not admitted",
                    "major",
                )
            };
            let region = match (json, f.device_rules.first(), &file) {
                (false, Some(r), Some(_)) if r.line > 0 => Some(ci::Region {
                    line: r.line,
                    column: 1,
                    end_line: r.line,
                    end_column: 1,
                }),
                _ => None,
            };
            found.push(ci::Annotation {
                level: ci::Level::Error,
                code: code.to_string(),
                message: format!("{what}: {}", lines.join("\n")),
                file: file.clone(),
                region,
                key,
                gitlab_severity: severity,
            });
        }
    }
    found
}

/// The byte range of line `line` (1-based) of `text`, without its newline.
fn line_span(text: &str, line: usize) -> (usize, usize) {
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (start, start + l.trim_end_matches(['\n', '\r']).len());
        }
        start += l.len();
    }
    (text.len(), text.len())
}

fn side(s: &conduitc::diff::Side) -> String {
    let prefixes: Vec<String> = s
        .addrs
        .to_prefixes()
        .iter()
        .map(|p| p.to_string())
        .collect();
    let shown = if prefixes.len() > 4 {
        format!(
            "{}, ... ({} prefixes)",
            prefixes[..4].join(", "),
            prefixes.len()
        )
    } else {
        prefixes.join(", ")
    };
    if s.zone.is_empty() {
        format!("{shown} (in no zone)")
    } else {
        format!("{shown} ({})", s.label())
    }
}

/// How many zone pairs of one merged group the text report lists.
const SHOWN_PAIRS: usize = 8;

fn finding(s: &mut String, group: &[&Finding], admitted: bool, target: &str) {
    let Some(f) = group.first() else {
        return;
    };
    let b = &f.packets;
    if group.len() == 1 {
        let _ = writeln!(s, "  {}", b.services.join(", "));
        let _ = writeln!(s, "    from {}", side(&b.src));
        let _ = writeln!(s, "    to   {}", side(&b.dst));
    } else {
        let _ = writeln!(
            s,
            "  {} ({} source and destination classes)",
            b.services.join(", "),
            group.len()
        );
        for g in group.iter().take(SHOWN_PAIRS) {
            let _ = writeln!(
                s,
                "    from {}\n      to {}",
                side(&g.packets.src),
                side(&g.packets.dst)
            );
        }
        if group.len() > SHOWN_PAIRS {
            let _ = writeln!(
                s,
                "    ... and {} more (all are in --format json)",
                group.len() - SHOWN_PAIRS
            );
        }
    }
    if f.reply {
        let _ = writeln!(
            s,
            "    replies to these connections, which no flow declares"
        );
    }
    if let Some(fw) = &f.to_firewall {
        let _ = writeln!(s, "    addressed to the firewall {fw} itself");
        if !f.interfaces.is_empty() {
            let ins: Vec<&str> = f
                .interfaces
                .iter()
                .map(|(i, _)| {
                    if i == OTHER_INTERFACE {
                        "any other interface"
                    } else {
                        i.as_str()
                    }
                })
                .collect();
            let _ = writeln!(s, "    arriving on {}", ins.join("; "));
        }
    } else if !f.interfaces.is_empty() {
        let pairs: Vec<String> = f
            .interfaces
            .iter()
            .map(|(i, o)| {
                let n = |x: &str| {
                    if x == OTHER_INTERFACE {
                        "any other interface".to_string()
                    } else {
                        x.to_string()
                    }
                };
                format!("{} -> {}", n(i), n(o))
            })
            .collect();
        let _ = writeln!(s, "    interfaces {}", pairs.join("; "));
    }
    if !admitted {
        let _ = writeln!(s, "    declared by {}", b.flows.join(", "));
    }
    let verb = if admitted {
        "admitted by"
    } else {
        "blocked by"
    };
    for (k, r) in f.device_rules.iter().enumerate() {
        let lead = if k == 0 { verb } else { "  via" };
        let _ = writeln!(s, "    {lead} line {}: {}", r.line, r.text);
    }
    if f.device_rules.is_empty() {
        let why = match (target, f.to_firewall.is_some()) {
            ("nftables", false) => "no forward base chain of its family",
            ("nftables", true) => "no input base chain of its family",
            _ => "no access list is bound on this path",
        };
        let _ = writeln!(s, "    admitted by no rule: {why}");
    }
}

/// Findings that differ only in their source and destination classes,
/// in order of their first appearance.
fn merged(fs: &[Finding]) -> Vec<Vec<&Finding>> {
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in fs {
        let same = |g: &Finding| {
            g.device_rules == f.device_rules
                && g.interfaces == f.interfaces
                && g.reply == f.reply
                && g.to_firewall == f.to_firewall
                && g.packets.services == f.packets.services
                && g.packets.flows == f.packets.flows
        };
        match groups
            .iter_mut()
            .find(|g| g.first().is_some_and(|g| same(g)))
        {
            Some(g) => g.push(f),
            None => groups.push(vec![f]),
        }
    }
    groups
}

/// The report for people. Findings of one device rule that differ only in
/// their zones are shown together.
/// The note of a report that leaves traffic to the firewall itself out.
fn not_judged(d: &Drift, firewall: Option<&str>) -> Option<String> {
    if d.to_firewall_judged {
        return None;
    }
    Some(match firewall {
        Some(fw) => format!(
            "note: traffic to the firewall itself is not governed by the policy and not compared: it declares no manage or control entry for {fw}\n"
        ),
        None => "note: traffic to the firewall itself is not compared: no --firewall names the firewall the device is\n".to_string(),
    })
}

fn text_report(d: &Drift, target: &str, firewall: Option<&str>) -> String {
    let note = not_judged(d, firewall).unwrap_or_default();
    if d.matches {
        return format!("the device admits exactly what the policy allows\n{note}");
    }
    let mut s = String::new();
    if !d.admitted_not_declared.is_empty() {
        let _ = writeln!(
            s,
            "admitted but not declared ({}):",
            d.admitted_not_declared.len()
        );
        for g in merged(&d.admitted_not_declared) {
            finding(&mut s, &g, true, target);
        }
    }
    if !d.declared_not_admitted.is_empty() {
        let _ = writeln!(
            s,
            "declared but not admitted ({}):",
            d.declared_not_admitted.len()
        );
        for g in merged(&d.declared_not_admitted) {
            finding(&mut s, &g, false, target);
        }
    }
    s.push_str(&note);
    s
}
