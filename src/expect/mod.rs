//! Assertions about a policy (`conduitc test`): what must and must not be
//! reachable, kept in `*.conduit-test` files beside the policy and judged
//! by set algebra over the lowered rules, never by sampling packets.
//!
//! An assertion file holds lines such as
//!
//! ```text
//! expect allow supervisory.scada -> control.line-plcs tcp/502
//! expect deny enterprise -> control any under isolation cut-corporate
//! expect no path internet -> control
//! expect flow supervisory-control/plc-io allows supervisory.scada -> control tcp/502
//! ```
//!
//! (docs/cli.md, "test", is the user's reference). The source and the
//! destination of `allow` and `deny` each name a set of addresses (an
//! address, a prefix, a zone, `zone.host` or `zone.group`), and with the
//! service they describe a box of packets. `allow` holds when every packet
//! of the box is admitted, `deny` when none is; otherwise the assertion
//! fails with one packet of the box that breaks it, and the policy's
//! decision for that packet from [`mod@crate::decide`] (which shares no code
//! with the lowering the verdict is computed from: the two must agree, or
//! the run ends with an internal error). `path` and `no path` use the
//! notion of path of [`crate::attack_paths`]; `flow NAME allows` asks
//! whether the named flow's own rules admit the whole box.
//!
//! ```
//! use conduitc::{check, expect, CheckOptions, Sources};
//! use conduitc::model::Date;
//!
//! let policy = r#"
//! owner ops { contact "ops@example.com" }
//! zone plant { level 1 owner ops networks 10.1.0.0/16 host plc = 10.1.0.5 }
//! zone scada { level 2 owner ops networks 10.2.0.0/16 host master = 10.2.0.10 }
//! conduit scada-plant {
//!   zones scada, plant
//!   owner ops
//!   flow poll { from scada.master to plant.plc service modbus reason "polling" }
//! }
//! "#;
//! let today = Date::parse("2026-12-01").unwrap();
//! let policy = check(&Sources::from_memory("p.conduit", policy), &CheckOptions::new(today))
//!     .policy
//!     .unwrap();
//! let tests = Sources::from_memory(
//!     "p.conduit-test",
//!     "expect allow scada.master -> plant.plc tcp/502\nexpect deny scada -> plant tcp\n",
//! );
//! let run = expect::run(&policy, &tests, today).unwrap();
//! assert_eq!(run.passed(), 1);
//! let failed = &run.outcomes[1];
//! assert!(!failed.passed);
//! assert_eq!(failed.decided_by.as_deref(), Some("scada-plant/poll"));
//! ```

mod boxes;
mod parse;
pub mod render;

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::attack_paths;
use crate::diag::{quote, Code, Diagnostic, Diagnostics};
use crate::lower::{lower, BuildOptions, RuleSet};
use crate::model::{AddrSet, Date, Policy, ServiceSpace};
use crate::semantics::{Packet, Verdict};
use crate::source::{FileId, Sources, Span};
use crate::suggest::nearest;

use parse::{Written, WrittenEnd, WrittenKind, WrittenService};

/// What kind of assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Kind {
    /// `expect allow`.
    Allow,
    /// `expect deny`.
    Deny,
    /// `expect path`.
    Path,
    /// `expect no path`.
    NoPath,
    /// `expect flow NAME allows`.
    FlowAllows,
}

/// The result of one assertion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    /// The assertion file, as named on the command line.
    pub file: String,
    /// Line of the assertion's `expect` (1-based).
    pub line: usize,
    /// Column of the assertion's `expect` (1-based).
    pub column: usize,
    /// What kind of assertion.
    pub kind: Kind,
    /// The assertion as written, on one line.
    pub assertion: String,
    /// True when it holds.
    pub passed: bool,
    /// Why it holds or fails, in one line.
    pub message: String,
    /// For a failed `allow`, `deny` or `flow ... allows`: one packet of the
    /// box that breaks the assertion.
    pub counterexample: Option<Packet>,
    /// The policy's decision for the counter-example: `allow` or `deny`.
    pub decision: Option<Verdict>,
    /// The flow that decides the counter-example (`None` when it is denied).
    pub decided_by: Option<String>,
    /// The flows that admit some packet of the box, sorted.
    pub flows: Vec<String>,
    /// For `path` and `no path`: a shortest path when there is one.
    pub path: Option<attack_paths::Path>,
}

/// The result of a run, assertion by assertion in file order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Run {
    /// One outcome per assertion.
    pub outcomes: Vec<Outcome>,
}

impl Run {
    /// How many assertions hold.
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }
    /// How many fail.
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }
}

/// Parses every file of `tests` as an assertion file, resolves its names
/// in `policy` and judges each assertion; `today` is the date of
/// assertions without `on DATE`.
///
/// A file that does not parse (`E820`), a name the policy does not declare
/// (`E821`) or an assertion about no packet (`E823`) is an error for the
/// whole run: no assertion is judged. Files without assertions make an
/// empty run (the command refuses one with `E822`). A
/// disagreement between the verdict and the reference semantics is an
/// internal error (`E999`).
pub fn run(policy: &Policy, tests: &Sources, today: Date) -> Result<Run, Diagnostics> {
    let mut written: Vec<(FileId, Written)> = Vec::new();
    let mut errors = Vec::new();
    for (id, file) in tests.iter() {
        if file.issue().is_some() {
            errors.push(Diagnostic::new(
                Code::TestSyntax,
                Span::point(id, 0),
                format!("{} cannot be read as an assertion file", quote(file.name())),
            ));
            continue;
        }
        let (list, errs) = parse::parse(id, file.text());
        written.extend(list.into_iter().map(|w| (id, w)));
        errors.extend(errs);
    }
    let mut resolved = Vec::new();
    for (id, w) in &written {
        match resolve(policy, w) {
            Ok(r) => resolved.push((*id, w, r)),
            Err(d) => errors.extend(d),
        }
    }
    if !errors.is_empty() {
        return Err(Diagnostics::new(errors));
    }
    let mut cache: BTreeMap<(Option<String>, Date), RuleSet> = BTreeMap::new();
    let mut outcomes = Vec::new();
    for (id, w, r) in resolved {
        let date = w.date.unwrap_or(today);
        let opts = BuildOptions::new(date).with_isolation(r.isolation.clone());
        let key = (r.isolation.clone(), date);
        if !cache.contains_key(&key) {
            let rules = lower(policy, &opts).map_err(|e| {
                Diagnostics::new(vec![Diagnostic::new(Code::Internal, w.span, e.to_string())])
            })?;
            cache.insert(key.clone(), rules);
        }
        let Some(rules) = cache.get(&key) else {
            continue;
        };
        let (line, column) = tests.line_col(id, w.span.start);
        let mut outcome = Outcome {
            file: tests.name(id).to_string(),
            line,
            column,
            kind: Kind::Allow,
            assertion: w.text.clone(),
            passed: false,
            message: String::new(),
            counterexample: None,
            decision: None,
            decided_by: None,
            flows: Vec::new(),
            path: None,
        };
        judge(policy, rules, &opts, &r, &mut outcome)
            .map_err(|m| Diagnostics::new(vec![Diagnostic::new(Code::Internal, w.span, m)]))?;
        outcomes.push(outcome);
    }
    Ok(Run { outcomes })
}

/// An assertion with its names resolved.
struct Resolved {
    what: What,
    isolation: Option<String>,
}

enum What {
    Reach {
        allow: bool,
        src: AddrSet,
        dst: AddrSet,
        service: ServiceSpace,
    },
    Path {
        exists: bool,
        from: String,
        to: String,
    },
    Flow {
        name: String,
        src: AddrSet,
        dst: AddrSet,
        service: ServiceSpace,
    },
}

fn unknown(span: Span, what: &str, name: &str, suggestion: Option<&str>) -> Diagnostic {
    Diagnostic::new(
        Code::TestUnknownName,
        span,
        format!("the policy declares no {what} {}", quote(name)),
    )
    .label(format!("unknown {what}"))
    .maybe_help(suggestion.map(|s| format!("did you mean `{s}`?")))
}

fn resolve(policy: &Policy, w: &Written) -> Result<Resolved, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let isolation = match &w.isolation {
        None => None,
        Some(m) => match policy.isolation(&m.text) {
            Some(iso) => Some(iso.name.to_string()),
            None => {
                let names: Vec<&str> = policy.isolations.iter().map(|i| i.name.as_str()).collect();
                errors.push(unknown(
                    m.span,
                    "isolation mode",
                    &m.text,
                    nearest(&m.text, names.iter().copied()),
                ));
                None
            }
        },
    };
    let mut ends = |e: &WrittenEnd| match endpoint(policy, e) {
        Ok(a) => Some(a),
        Err(d) => {
            errors.push(d);
            None
        }
    };
    let what = match &w.kind {
        WrittenKind::Reach {
            allow,
            src,
            dst,
            service,
        } => {
            let (s, d) = (ends(src), ends(dst));
            match (s, d) {
                (Some(src), Some(dst)) => Some(What::Reach {
                    allow: *allow,
                    src,
                    dst,
                    service: space(service),
                }),
                _ => None,
            }
        }
        WrittenKind::Flow {
            name,
            src,
            dst,
            service,
        } => {
            let (s, d) = (ends(src), ends(dst));
            let full = flow_name(policy, name).map_err(|d| errors.push(d)).ok();
            match (full, s, d) {
                (Some(name), Some(src), Some(dst)) => Some(What::Flow {
                    name,
                    src,
                    dst,
                    service: space(service),
                }),
                _ => None,
            }
        }
        WrittenKind::Path { exists, from, to } => {
            let mut zone = |e: &WrittenEnd| match policy.zone_id(&e.text) {
                Some(z) => policy.zones.get(z).map(|z| z.name.to_string()),
                None => {
                    let names: Vec<&str> = policy.zones.iter().map(|z| z.name.as_str()).collect();
                    errors.push(unknown(
                        e.span,
                        "zone",
                        &e.text,
                        nearest(&e.text, names.iter().copied()),
                    ));
                    None
                }
            };
            let (f, t) = (zone(from), zone(to));
            match (f, t) {
                (Some(from), Some(to)) => Some(What::Path {
                    exists: *exists,
                    from,
                    to,
                }),
                _ => None,
            }
        }
    };
    if let Some(
        What::Reach {
            src, dst, service, ..
        }
        | What::Flow {
            src, dst, service, ..
        },
    ) = &what
    {
        if boxes::is_empty(src, dst, service) {
            errors.push(
                Diagnostic::new(
                    Code::TestEmptyBox,
                    w.span,
                    "the assertion is about no packet: its source, destination and service have no packet in common",
                )
                .help("ICMP needs IPv4 endpoints and ICMPv6 IPv6 ones; the source and the destination need an address family in common"),
            );
        }
    }
    match what {
        Some(what) if errors.is_empty() => Ok(Resolved { what, isolation }),
        _ => Err(errors),
    }
}

/// The addresses an endpoint names.
fn endpoint(policy: &Policy, e: &WrittenEnd) -> Result<AddrSet, Diagnostic> {
    let text = e.text.as_str();
    if let Ok(a) = text.parse::<IpAddr>() {
        return Ok(AddrSet::from_addr(a));
    }
    if let Ok(n) = text.parse::<IpNet>() {
        if n.trunc() != n {
            return Err(Diagnostic::new(
                Code::TestSyntax,
                e.span,
                format!("{} has host bits set", quote(text)),
            )
            .help(format!("write the network as `{}`", n.trunc())));
        }
        return Ok(AddrSet::from_net(n));
    }
    let starts_like_name = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_like_name || text.contains(':') || text.contains('/') {
        return Err(Diagnostic::new(
            Code::TestSyntax,
            e.span,
            format!(
                "{} is neither an address, a prefix, a zone nor `zone.host`",
                quote(text)
            ),
        ));
    }
    let (zone_name, member) = match text.split_once('.') {
        Some((z, m)) => (z, Some(m)),
        None => (text, None),
    };
    let Some(zone) = policy.zone_id(zone_name).and_then(|z| policy.zones.get(z)) else {
        let mut names: Vec<String> = policy.zones.iter().map(|z| z.name.to_string()).collect();
        if member.is_some() {
            names = policy
                .zones
                .iter()
                .flat_map(|z| {
                    z.hosts
                        .iter()
                        .map(|h| h.name.as_str())
                        .chain(z.groups.iter().map(|g| g.name.as_str()))
                        .map(move |m| format!("{}.{m}", z.name))
                })
                .collect();
        }
        let s = nearest(text, names.iter().map(String::as_str)).map(str::to_string);
        return Err(unknown(e.span, "zone", zone_name, s.as_deref()));
    };
    let Some(member) = member else {
        return Ok(zone.addrs.clone());
    };
    if let Some(h) = zone.host(member) {
        return Ok(AddrSet::from_addrs(h.addrs.iter().copied()));
    }
    if let Some(g) = zone.group(member) {
        return Ok(g.addrs.clone());
    }
    let names: Vec<&str> = zone
        .hosts
        .iter()
        .map(|h| h.name.as_str())
        .chain(zone.groups.iter().map(|g| g.name.as_str()))
        .collect();
    let s = nearest(member, names.iter().copied()).map(|m| format!("{}.{m}", zone.name));
    Err(unknown(e.span, "host or group", text, s.as_deref()))
}

/// The declared full name of flow `conduit/flow`.
fn flow_name(policy: &Policy, e: &WrittenEnd) -> Result<String, Diagnostic> {
    let (c, f) = e.text.split_once('/').unwrap_or((e.text.as_str(), ""));
    if let Some((_, flow)) = policy
        .flows()
        .find(|(conduit, flow)| conduit.name.is(c) && flow.name.is(f))
    {
        return Ok(flow.full_name.to_string());
    }
    let names: Vec<&str> = policy.flows().map(|(_, f)| f.full_name.as_str()).collect();
    Err(unknown(
        e.span,
        "flow",
        &e.text,
        nearest(&e.text, names.iter().copied()),
    ))
}

/// The service line of a written service.
fn space(s: &WrittenService) -> ServiceSpace {
    match s {
        WrittenService::Any => boxes::any_service(),
        WrittenService::Ports(p, ports) => ServiceSpace::ports(*p, ports),
        WrittenService::Types(p, None) => ServiceSpace::types(*p, &(0..=255).collect()),
        WrittenService::Types(p, Some(t)) => ServiceSpace::types(*p, &[*t].into_iter().collect()),
        WrittenService::Protocol(p) => ServiceSpace::protocol(*p),
    }
}

/// Judges one resolved assertion into `out`; `Err` is an internal error
/// (the verdict and the reference semantics disagree).
fn judge(
    policy: &Policy,
    rules: &RuleSet,
    opts: &BuildOptions,
    r: &Resolved,
    out: &mut Outcome,
) -> Result<(), String> {
    let under = match (&r.isolation, opts.today) {
        (Some(m), d) => format!(" under isolation `{m}` on {d}"),
        (None, d) => format!(" on {d}"),
    };
    match &r.what {
        What::Path { exists, from, to } => {
            out.kind = if *exists { Kind::Path } else { Kind::NoPath };
            let manage = attack_paths::management(policy, rules);
            let found = attack_paths::find_with(rules, &manage, from, to);
            let first = found.paths.first().cloned();
            out.passed = first.is_some() == *exists;
            out.message = match &first {
                Some(p) => format!(
                    "a path of {} hop{} leads from `{from}` to `{to}`{under}: {}",
                    p.hops.len(),
                    if p.hops.len() == 1 { "" } else { "s" },
                    p.hops
                        .iter()
                        .map(|h| h.flow.as_str())
                        .collect::<Vec<_>>()
                        .join(" -> ")
                ),
                None => format!("no path leads from `{from}` to `{to}`{under}"),
            };
            out.path = first;
        }
        What::Reach {
            allow,
            src,
            dst,
            service,
        } => {
            out.kind = if *allow { Kind::Allow } else { Kind::Deny };
            let all: Vec<&crate::lower::Rule> = rules.rules.iter().collect();
            out.flows = boxes::touching(&all, src, dst, service);
            let broken = if *allow {
                boxes::uncovered(&all, src, dst, service)
            } else {
                boxes::admitted(&all, src, dst, service)
            };
            match broken {
                None => {
                    out.passed = true;
                    out.message = if *allow {
                        format!(
                            "every packet is admitted{under}, by {}",
                            out.flows.join(", ")
                        )
                    } else {
                        format!("no packet is admitted{under}")
                    };
                }
                Some(pkt) => {
                    let d = crate::decide::decide(policy, &pkt, opts).map_err(|e| e.to_string())?;
                    let lowered = rules.decide(&pkt);
                    if d.allowed() == *allow || lowered.allowed() != d.allowed() {
                        return Err(format!(
                            "the verdict on {} disagrees with the reference semantics",
                            render::packet_text(&pkt)
                        ));
                    }
                    out.message = if *allow {
                        format!(
                            "{} is denied{under}: no flow admits it",
                            render::packet_text(&pkt)
                        )
                    } else {
                        format!(
                            "{} is allowed{under} by `{}`",
                            render::packet_text(&pkt),
                            d.flow.as_deref().unwrap_or_default()
                        )
                    };
                    out.decision = Some(d.decision);
                    out.decided_by = d.flow;
                    out.counterexample = Some(pkt);
                }
            }
        }
        What::Flow {
            name,
            src,
            dst,
            service,
        } => {
            out.kind = Kind::FlowAllows;
            let own: Vec<&crate::lower::Rule> = rules
                .rules
                .iter()
                .filter(|r| !r.monitor && r.name == *name)
                .collect();
            let all: Vec<&crate::lower::Rule> = rules.rules.iter().collect();
            out.flows = boxes::touching(&all, src, dst, service);
            match boxes::uncovered(&own, src, dst, service) {
                None => {
                    out.passed = true;
                    out.message = format!("`{name}` admits every packet{under}");
                }
                Some(pkt) => {
                    let d = crate::decide::decide(policy, &pkt, opts).map_err(|e| e.to_string())?;
                    let by_flow = d.flow.as_deref() == Some(name.as_str())
                        || d.also.iter().any(|a| a == name);
                    if by_flow {
                        return Err(format!(
                            "the verdict on {} disagrees with the reference semantics",
                            render::packet_text(&pkt)
                        ));
                    }
                    let why = if own.is_empty() {
                        let flow = policy.flows().find(|(_, f)| f.full_name == *name);
                        match (flow, &r.isolation) {
                            (Some((_, f)), _) if !f.in_force_on(opts.today) => {
                                " (the flow has expired)".to_string()
                            }
                            (_, Some(m)) => format!(" (isolation mode `{m}` cuts its conduit)"),
                            _ => String::new(),
                        }
                    } else {
                        String::new()
                    };
                    let decided = match &d.flow {
                        Some(f) => format!("; the policy allows it by `{f}`"),
                        None => "; the policy denies it".to_string(),
                    };
                    out.message = format!(
                        "`{name}` does not admit {}{under}{why}{decided}",
                        render::packet_text(&pkt)
                    );
                    out.decision = Some(d.decision);
                    out.decided_by = d.flow;
                    out.counterexample = Some(pkt);
                }
            }
        }
    }
    Ok(())
}
