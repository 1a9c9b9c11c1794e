//! `conduitc build`: check, lower, emit.
//!
//! With `--target`, one configuration goes to stdout. With `--out DIR`, every
//! declared firewall's configuration is written as `DIR/NAME.nft`,
//! `DIR/NAME.ios` or `DIR/NAME.fortios` (the extension of the backend that
//! builds its platform, from the backend registry), with
//! `DIR/manifest.json`:
//!
//! ```json
//! {
//!   "generator": "conduitc 0.1.0",
//!   "today": "2026-12-01",
//!   "isolation": null,
//!   "policy": {
//!     "sha256": "…",
//!     "sources": [{ "path": "plant.conduit", "sha256": "…" }]
//!   },
//!   "files": [
//!     { "file": "ot-core-fw.nft", "firewall": "ot-core-fw", "platform": "nftables",
//!       "isolation": null, "sha256": "…" }
//!   ]
//! }
//! ```
//!
//! Each source's `sha256` is that of the file's bytes as they are on disk
//! (a byte-order mark included), so `sha256sum FILE` prints it;
//! `policy.sha256` is the SHA-256 of the lines `HASH  PATH\n`, one per
//! source in the order read: exactly what `sha256sum FILES | sha256sum`
//! prints for the same paths. A source name that is not UTF-8, or that
//! `sha256sum` would print escaped (a backslash or line break), is refused.
//! Every refusal that does not need the rules or the text (check, unknown
//! names, firewall and source names) is decided before anything is
//! created; then the policy is lowered once ([`conduitc::lower::Lowering`])
//! and each firewall's rules are made from that, and the firewalls' files
//! are streamed to disk one firewall at a time (a second thread hashing
//! and writing each file as its text is made) in a new version
//! directory (hashed on the way) by [`super::outdir`], which puts the
//! directory in DIR's place atomically, so a failed build, even one that
//! fails while writing, leaves the previous DIR as it was. The files are
//! the same bytes whatever the number of threads, and a failure is
//! reported for the first failing firewall in declaration order.
//!
//! With `--target` and `--firewall`, the target must be the firewall's
//! declared platform (`nftables` or `nftables-json` for `platform
//! nftables`); another is a usage error (exit 2).
//!
//! `--from PREVIOUS` writes transitions instead of (with `--target`) or
//! beside (with `--out`, as `NAME.transition.EXT`) the full files: scripts
//! that take a device from what it runs now to the new build
//! ([`conduitc::backend::emit_transition`]; PREVIOUS is read by
//! [`super::previous`]). Every refusal of PREVIOUS (`E816`, `E817`, `E818`)
//! exits 2 with nothing written.
//!
//! An unknown `--firewall` or `--isolation` name is a usage error (exit 2)
//! (`E804`, `E805`) that lists the declared names and suggests the closest.
//! A monitor-mode conduit is reported once: by the check as `W107`, or, when
//! its `W107` is waived, by one note on stderr, since it admits more than the
//! allow-list.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::Args;
use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions, Lowering, RuleSet};
use conduitc::model::{Date, Firewall};
use conduitc::{Code, Policy, Sources};
use serde::Serialize;
use sha2::{Digest, Sha256};

#[cfg(unix)]
use super::load::release_at_exit;
#[cfg(unix)]
use super::outdir::{replace_dir, Failure, FileError, Version};
use super::output::Output;
use super::previous::{self, Previous};
use super::report::{
    declared_firewall, emit_error, load_error, lower_error, one_line, quoted, Problem,
};
use super::{ExitStatus, PolicyArgs};

/// Arguments of `build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// The target to compile for (prints one configuration on stdout).
    #[arg(
        long,
        value_parser = target_parser(),
        required_unless_present = "out",
        conflicts_with = "out"
    )]
    target: Option<Target>,
    /// Compile only the conduits that cross this firewall, matching its interfaces.
    #[arg(long, value_name = "NAME", conflicts_with = "out")]
    firewall: Option<String>,
    /// Write every declared firewall's configuration and manifest.json into DIR.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Build the policy as it stands in this isolation mode.
    #[arg(long, value_name = "MODE")]
    isolation: Option<String>,
    /// Write cisco-ios lists with flat entries instead of object groups.
    #[arg(long)]
    ios_flat: bool,
    /// Write the transition from what the device runs now: an earlier build's
    /// file or the device's configuration (with --target), or an earlier
    /// --out directory (with --out).
    #[arg(long, value_name = "PREVIOUS")]
    from: Option<PathBuf>,
}

/// `--target`: the registered backends' names (with their descriptions in
/// `--help`), parsed with [`Target`]'s `FromStr`.
fn target_parser() -> impl TypedValueParser<Value = Target> {
    PossibleValuesParser::new(
        backend::backends().map(|b| PossibleValue::new(b.name()).help(b.description())),
    )
    .try_map(|s| s.parse::<Target>())
}

/// The file `build --out` writes for a firewall: `NAME.EXT`, the extension
/// of its platform's backend.
fn out_file_name(fw: &Firewall) -> String {
    let target = Target::for_platform(fw.platform);
    format!(
        "{}.{}",
        fw.name.as_str(),
        backend::backend(target).extension()
    )
}

/// `no KIND named `X` (did you mean `Y`?); KINDs: a, b` for an unknown name.
pub fn unknown_name(kind: &str, plural: &str, name: &str, known: &[&str]) -> String {
    let mut msg = format!("no {kind} named `{name}`");
    if let Some(k) = conduitc::suggest::nearest(name, known.iter().copied()) {
        msg.push_str(&format!(" (did you mean `{k}`?)"));
    }
    if known.is_empty() {
        msg.push_str(&format!("; the policy declares no {kind}"));
    } else {
        msg.push_str(&format!("; {plural}: {}", known.join(", ")));
    }
    msg
}

/// Checks `--isolation` and `--firewall` against the policy; prints a usage
/// error and returns `false` for an unknown name.
pub fn check_selection(
    out: &Output,
    policy: &Policy,
    isolation: Option<&str>,
    firewall: Option<&str>,
) -> bool {
    if let Some(i) = isolation {
        if policy.isolation(i).is_none() {
            let known: Vec<&str> = policy.isolations.iter().map(|i| i.name.as_str()).collect();
            out.fail(
                &Problem::new(
                    Code::UnknownIsolationMode,
                    unknown_name("isolation mode", "isolation modes", &one_line(i), &known),
                )
                .at_flag("--isolation"),
            );
            return false;
        }
    }
    if let Some(f) = firewall {
        if policy.firewall(f).is_none() {
            let known: Vec<&str> = policy.firewalls.iter().map(|f| f.name.as_str()).collect();
            out.fail(
                &Problem::new(
                    Code::UnknownFirewall,
                    unknown_name("firewall", "firewalls", &one_line(f), &known),
                )
                .at_flag("--firewall"),
            );
            return false;
        }
    }
    true
}

/// A monitor-mode conduit's catch-all in a rule set: (conduit, source
/// zone, destination zone).
type Monitor = (String, String, String);

/// The monitor-mode catch-alls of `rules`, in rule order.
fn monitors_of(rules: &RuleSet) -> Vec<Monitor> {
    rules
        .rules
        .iter()
        .filter(|r| r.monitor)
        .map(|r| {
            (
                r.conduit.to_string(),
                r.src_zone.to_string(),
                r.dst_zone.to_string(),
            )
        })
        .collect()
}

/// A note, once per monitor-mode conduit in `monitors` whose `W107` is
/// waived: the check has already printed `W107` for every other one, and
/// each warning is printed once.
fn warn_monitor(
    out: &Output,
    policy: &Policy,
    monitors: &[Monitor],
    warned: &mut BTreeSet<String>,
) {
    let waived = |conduit: &str| {
        policy.waivers.iter().any(|w| {
            w.scope.eq_ignore_ascii_case(conduit)
                && Code::lookup(&w.code) == Some(Code::MonitorMode)
        })
    };
    for (conduit, from, to) in monitors {
        if waived(conduit) && warned.insert(conduit.clone()) {
            out.note(&format!(
                "conduitc: note: conduit {} is in monitor mode (W107 waived): this build admits \
                 and logs all traffic between {} and {}, beyond its declared flows\n",
                quoted(conduit),
                quoted(from),
                quoted(to)
            ));
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

#[derive(Serialize)]
struct Manifest {
    format_version: u32,
    generator: String,
    today: String,
    isolation: Option<String>,
    policy: PolicyHash,
    files: Vec<ManifestFile>,
}

#[derive(Serialize)]
struct PolicyHash {
    sha256: String,
    sources: Vec<SourceHash>,
}

#[derive(Serialize)]
struct SourceHash {
    path: String,
    sha256: String,
}

#[derive(Serialize)]
struct ManifestFile {
    file: String,
    firewall: String,
    platform: &'static str,
    isolation: Option<String>,
    sha256: String,
    /// A transition's starting point: the SHA-256 of the previous build's
    /// file it takes the device from. Absent for full configurations.
    #[serde(skip_serializing_if = "Option::is_none")]
    from_sha256: Option<String>,
}

/// Hashes of every source and of the whole policy (see the module doc).
/// A source is hashed as the bytes of its file, byte-order mark included;
/// a name that `sha256sum` would print escaped, or that is not UTF-8, is
/// refused, so that the listing is exactly `sha256sum`'s.
fn policy_hash(sources: &Sources) -> Result<PolicyHash, (Code, String)> {
    let mut listing = String::new();
    let mut list = Vec::new();
    for (_, f) in sources.iter() {
        if f.issue().is_some() {
            continue;
        }
        let name = f.name();
        if let Some(path) = f.path() {
            if path.to_str().is_none() {
                return Err((
                    Code::SourceNameNotListable,
                    format!(
                        "the policy file name {} is not UTF-8, so manifest.json cannot name \
                         it unambiguously; rename the file",
                        quoted(name)
                    ),
                ));
            }
        }
        if name.contains(['\\', '\n', '\r']) {
            return Err((
                Code::SourceNameNotListable,
                format!(
                    "the policy file name {} holds a backslash or line break, which \
                     `sha256sum` prints escaped, so manifest.json cannot list it as \
                     `sha256sum` does; rename the file",
                    quoted(name)
                ),
            ));
        }
        let bytes = match f.path() {
            Some(path) => {
                let bytes = fs::read(path)
                    .map_err(|e| (Code::PathNotReadable, format!("{}: {e}", quoted(name))))?;
                let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
                if body != f.text().as_bytes() {
                    return Err((
                        Code::SourceChanged,
                        format!(
                            "{} changed while it was being built; build again",
                            quoted(name)
                        ),
                    ));
                }
                bytes
            }
            None => f.text().as_bytes().to_vec(),
        };
        let h = sha256(&bytes);
        listing.push_str(&format!("{h}  {name}\n"));
        list.push(SourceHash {
            path: name.to_string(),
            sha256: h,
        });
    }
    Ok(PolicyHash {
        sha256: sha256(listing.as_bytes()),
        sources: list,
    })
}

/// The transition `build --out --from` writes beside a firewall's file:
/// `NAME.transition.EXT`.
fn transition_file_name(fw: &Firewall) -> String {
    let target = Target::for_platform(fw.platform);
    format!(
        "{}.transition.{}",
        fw.name.as_str(),
        backend::backend(target).extension()
    )
}

/// `build --out DIR --from OLD_DIR`: for each firewall of the policy (in
/// order), the previous configuration its transition starts from, read
/// before anything is written (OLD_DIR may be DIR itself). `None` for a
/// firewall new to the policy and for `nftables`, whose file is its own
/// transition.
fn read_old_files(policy: &Policy, from: &Path) -> Result<Vec<Option<Previous>>, Box<Problem>> {
    if !from.is_dir() {
        return Err(Box::new(Problem::new(
            Code::PreviousUnreadable,
            format!(
                "with `--out`, `--from` takes the directory of an earlier build; `{}` is not a directory",
                from.display()
            ),
        )
        .at_flag("--from")
        .help("give the directory an earlier `build --out` wrote, or build one firewall with `--target --firewall --from FILE`")));
    }
    let old = previous::read_old_build(from)?;
    let mut list = Vec::new();
    for fw in &policy.firewalls {
        let target = Target::for_platform(fw.platform);
        let file = if previous::needs_transition(target) {
            previous::old_file(&old, fw.name.as_str(), fw.platform)?
        } else {
            None
        };
        list.push(match file {
            Some(f) => Some(Previous {
                text: previous::read_text(&f.path)?,
                path: f.path.clone(),
            }),
            None => None,
        });
    }
    Ok(list)
}

/// Refuses `--target` for a firewall whose declared platform is another.
fn check_platform(
    out: &Output,
    (policy, sources): (&Policy, &Sources),
    target: Target,
    firewall: &str,
) -> bool {
    let Some(fw) = policy.firewall(firewall) else {
        return true;
    };
    let fits = backend::backend(target).platform() == fw.platform;
    if !fits {
        let serving: Vec<&str> = Target::serving(fw.platform).map(Target::as_str).collect();
        let mut problem = Problem::new(
            Code::TargetContradictsPlatform,
            format!(
                "`--target {target}` contradicts firewall {}, which is declared \
                     `platform {}`",
                quoted(firewall),
                fw.platform.as_str(),
            ),
        )
        .at_flag("--target")
        .help(format!("build it with --target {}", serving.join(" or ")));
        if let Some(span) = declared_firewall(sources, firewall) {
            problem = problem.with(
                sources,
                span,
                format!("declared here, `platform {}`", fw.platform.as_str()),
            );
        }
        out.fail(&problem);
    }
    fits
}

/// Runs `conduitc build`.
pub fn run(out: &Output, args: BuildArgs) -> ExitStatus {
    let today = args.policy.today();
    let sources = match super::load::read_sources(&args.policy.paths) {
        Ok(s) => s,
        Err(e) => {
            out.fail(&load_error(&e));
            return ExitStatus::Error;
        }
    };
    let policy = match super::load::load_policy_from_sources(out, &sources, today) {
        // The checked policy lives until the process ends: it is not taken
        // apart piece by piece first (a tenth of a second at 100,000 flows).
        Ok(p) => std::mem::ManuallyDrop::new(p),
        Err(status) => return status,
    };
    if !check_selection(
        out,
        &policy,
        args.isolation.as_deref(),
        args.firewall.as_deref(),
    ) {
        return ExitStatus::Error;
    }
    match (&args.out, args.target) {
        (Some(dir), _) => write_all(out, &policy, sources, today, &args, dir),
        (None, Some(target)) => {
            if args.ios_flat && target != Target::CiscoIos {
                out.fail(
                    &Problem::new(
                        Code::ConflictingArguments,
                        format!("`--ios-flat` cannot be used with `--target {target}`"),
                    )
                    .at_flag("--ios-flat")
                    .help("the flat form is a form of `cisco-ios` output; drop the flag"),
                );
                return ExitStatus::Error;
            }
            if let Some(f) = &args.firewall {
                if !check_platform(out, (&policy, &sources), target, f) {
                    return ExitStatus::Error;
                }
            }
            let previous = match &args.from {
                None => None,
                Some(path) => match read_previous(&policy, &args, target, path) {
                    Ok(p) => Some(p),
                    Err(problem) => {
                        out.fail(&problem);
                        return ExitStatus::Error;
                    }
                },
            };
            let opts = BuildOptions::new(today)
                .with_isolation(args.isolation.clone())
                .with_firewall(args.firewall.clone());
            let emit = backend::EmitOptions::new().ios_flat(args.ios_flat);
            stream_one(
                out,
                (&policy, &sources),
                (&opts, &emit),
                target,
                previous.as_ref(),
            )
        }
        (None, None) => {
            out.fail(
                &Problem::new(Code::InvalidArguments, "give `--target` or `--out`")
                    .help("`conduitc build --help` lists the options"),
            );
            ExitStatus::Error
        }
    }
}

/// `--from PATH` for `--target`: the firewall's previous configuration.
/// A transition is for one device, so `cisco-ios` and `fortios` need
/// `--firewall` (`E818`); `nftables` output replaces its table whatever
/// it held, so PREVIOUS is only checked to be readable there.
fn read_previous(
    policy: &Policy,
    args: &BuildArgs,
    target: Target,
    path: &Path,
) -> Result<Previous, Box<Problem>> {
    let firewall = args.firewall.as_deref().and_then(|f| policy.firewall(f));
    match firewall {
        Some(fw) => previous::read_for(path, fw.name.as_str(), fw.platform),
        None if previous::needs_transition(target) => Err(Box::new(
            Problem::new(
                Code::TransitionNeedsFirewall,
                format!("`--from` with `--target {target}` needs `--firewall`"),
            )
            .at_flag("--from")
            .help(
                "a transition binds lists and places policies on one device's interfaces; \
                 name the firewall, or use `build --out DIR --from OLD_DIR`",
            ),
        )),
        None if path.is_dir() => {
            previous::read_old_build(path)?;
            Ok(Previous {
                path: path.to_path_buf(),
                text: String::new(),
            })
        }
        None => Ok(Previous {
            path: path.to_path_buf(),
            text: previous::read_text(path)?,
        }),
    }
}

/// `build --target` to stdout: every refusal is decided before the first
/// byte, then the text is streamed (IOS lists line by line). With
/// `previous`, the text is the transition from it.
fn stream_one(
    out: &Output,
    (policy, sources): (&Policy, &Sources),
    (opts, emit): (&BuildOptions, &backend::EmitOptions),
    target: Target,
    previous: Option<&Previous>,
) -> ExitStatus {
    let rules = match lower(policy, opts) {
        Ok(r) => r,
        Err(e) => {
            out.fail(&lower_error(&e));
            return ExitStatus::Error;
        }
    };
    let written = out.stdout_stream(|w| match previous {
        Some(p) => backend::emit_transition(&rules, target, emit, &p.text, w),
        None => backend::emit_with(&rules, target, emit, w),
    });
    match written {
        Ok(()) => {
            warn_monitor(out, policy, &monitors_of(&rules), &mut BTreeSet::new());
            ExitStatus::Success
        }
        // PREVIOUS cannot be read, or its owner would notice: exit 2.
        Err(e @ (backend::EmitError::Previous { .. } | backend::EmitError::InUse { .. })) => {
            if let Some(p) = previous {
                out.fail(&previous::transition_error(&e, p));
            }
            ExitStatus::Error
        }
        // This build of conduitc lacks the target: not the policy's fault.
        Err(e @ backend::EmitError::NotBuilt { .. }) => {
            out.fail(&emit_error(&e, "--target", sources));
            ExitStatus::Error
        }
        // The policy checks, but this target cannot hold it: exit 1.
        Err(e) => {
            out.fail(&emit_error(&e, "--target", sources));
            ExitStatus::PolicyFailure
        }
    }
}

/// Why a file of `--out` was not written, besides I/O.
#[cfg(unix)]
enum Refusal {
    /// Lowering failed (exit 2). It fails only for an unknown firewall or
    /// isolation name, which [`check_selection`] and the policy's own
    /// firewall names rule out before anything is created.
    Lower(conduitc::lower::LowerError),
    /// The firewall's platform cannot hold its rules (exit 1).
    Emit(backend::EmitError),
    /// The manifest could not be serialized (exit 2).
    Internal(String),
    /// The previous configuration of the firewall at this index cannot be
    /// taken over (exit 2).
    Transition(backend::EmitError, usize),
}

/// `build --out`: every refusal that does not need the rules or the text
/// (firewall names, source names) is decided before anything is created;
/// then the policy is lowered once, and each firewall's rules are made
/// from that and its file streamed into the new version directory, a
/// firewall at a time, each firewall's rules dropped once its files are
/// written. Memory holds the rules of one firewall, and not the sources'
/// text; no output is held whole.
#[cfg(unix)]
fn write_all(
    out: &Output,
    policy: &Policy,
    sources: Sources,
    today: Date,
    args: &BuildArgs,
    dir: &Path,
) -> ExitStatus {
    if policy.firewalls.is_empty() {
        out.fail(
            &Problem::new(
                Code::NoFirewallToWrite,
                "the policy declares no firewall, so `--out` has nothing to write",
            )
            .at_flag("--out")
            .help("declare the firewalls, or build one configuration with `--target`"),
        );
        return ExitStatus::Error;
    }
    for fw in &policy.firewalls {
        let name = fw.name.as_str();
        let safe = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
        if !safe {
            let mut problem = Problem::new(
                Code::FirewallNameNotFileName,
                format!("firewall name {} cannot be a file name", quoted(name)),
            )
            .at_flag("--out");
            if let Some(span) = declared_firewall(&sources, name) {
                problem = problem.with(&sources, span, "declared here");
            }
            out.fail(&problem);
            return ExitStatus::Error;
        }
    }
    let policy_hash = match policy_hash(&sources) {
        Ok(h) => h,
        Err((code, e)) => {
            out.fail(&Problem::new(code, e).at_flag("--out"));
            return ExitStatus::Error;
        }
    };
    let previous = match &args.from {
        Some(from) => match read_old_files(policy, from) {
            Ok(p) => p,
            Err(problem) => {
                out.fail(&problem);
                return ExitStatus::Error;
            }
        },
        None => vec![None; policy.firewalls.len()],
    };
    let mut names: Vec<String> = Vec::new();
    for (fw, prev) in policy.firewalls.iter().zip(&previous) {
        names.push(out_file_name(fw));
        if prev.is_some() {
            names.push(transition_file_name(fw));
        }
    }
    names.push("manifest.json".to_string());
    let mut warned = BTreeSet::new();
    let emit = backend::EmitOptions::new().ios_flat(args.ios_flat);
    let paths = sources.paths();
    // The sources' text is not needed to write the files: it is freed
    // before any rules are made (a tenth of the peak memory at 100,000
    // flows) and read again only to show where a refused flow is declared.
    // Text that cannot be read again (standard input) is kept.
    let unreadable = sources.iter().any(|(_, f)| f.path().is_none());
    let kept = unreadable.then_some(sources);
    let sources = || match &kept {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(
            super::load::read_sources(&args.policy.paths).unwrap_or_default(),
        ),
    };
    let written = replace_dir(dir, &paths, |version| {
        // The policy is lowered once; each firewall's rules are made from
        // that in the thread that writes its files, and dropped once they
        // are written: no rule set of every zone is held beside them.
        let version = &*version;
        let lowering = Lowering::new(
            policy,
            &BuildOptions::new(today).with_isolation(args.isolation.clone()),
        )
        .map_err(|e| FileError::Refused(Refusal::Lower(e)))?;
        // One firewall at a time: the rules and the emitter's state of one
        // firewall are as much memory as the checked policy, and two of
        // them at once took the build's peak to more than ten times the
        // policy's text at 100,000 flows. The second core hashes and
        // writes the text as it is made (`Version::file`).
        let built = in_parallel(1, policy.firewalls.len(), |i| {
            let fw = policy.firewalls.get(i).ok_or_else(|| {
                FileError::Refused(Refusal::Internal(format!("no firewall at {i}")))
            })?;
            let job = Job {
                lowering: &lowering,
                fw,
                index: i,
                previous: previous.get(i).and_then(Option::as_ref),
                emit: &emit,
                isolation: args.isolation.as_deref(),
            };
            write_firewall(version, &job)
        });
        let mut entries = Vec::new();
        for b in built {
            let b = b?;
            warn_monitor(out, policy, &b.monitors, &mut warned);
            entries.extend(b.entries);
        }
        let manifest = Manifest {
            format_version: conduitc::diag::render::FORMAT_VERSION,
            generator: format!("conduitc {}", env!("CARGO_PKG_VERSION")),
            today: today.to_string(),
            isolation: args.isolation.clone(),
            policy: policy_hash,
            files: entries,
        };
        version.file("manifest.json", |w| {
            serde_json::to_writer_pretty(&mut *w, &manifest)
                .map_err(|e| Refusal::Internal(e.to_string()))?;
            w.write_all(b"\n")
                .map_err(|e| Refusal::Internal(e.to_string()))
        })?;
        Ok(())
    });
    match written {
        Ok(()) => {
            out.note(&format!(
                "conduitc: wrote {} into {}\n",
                names.join(", "),
                dir.display()
            ));
            ExitStatus::Success
        }
        Err(Failure::Dir(e)) => {
            out.fail(&Problem::new(Code::OutputNotWritten, e).at_flag("--out"));
            ExitStatus::Error
        }
        // The policy checks, but a firewall's platform cannot hold it
        // (for example `ip/0` on IOS): a policy failure, exit 1.
        Err(Failure::Refused(Refusal::Emit(e))) => {
            out.fail(&emit_error(&e, "--out", &sources()));
            ExitStatus::PolicyFailure
        }
        Err(Failure::Refused(Refusal::Lower(e))) => {
            out.fail(&lower_error(&e));
            ExitStatus::Error
        }
        Err(Failure::Refused(Refusal::Transition(e, i))) => {
            match previous.get(i) {
                Some(Some(p)) => out.fail(&previous::transition_error(&e, p)),
                _ => out.fail(&emit_error(&e, "--from", &sources())),
            }
            ExitStatus::Error
        }
        Err(Failure::Refused(Refusal::Internal(e))) => {
            out.fail(
                &Problem::new(Code::Internal, format!("internal error: {e}")).at_flag("--out"),
            );
            ExitStatus::Error
        }
    }
}

/// What one firewall's files of `build --out` are written from.
#[cfg(unix)]
struct Job<'a> {
    /// The policy lowered for the date and isolation mode.
    lowering: &'a Lowering<'a>,
    fw: &'a Firewall,
    /// The firewall's position in the policy.
    index: usize,
    /// The configuration its transition starts from, with `--from`.
    previous: Option<&'a Previous>,
    emit: &'a backend::EmitOptions,
    isolation: Option<&'a str>,
}

/// One firewall's files, once written.
#[cfg(unix)]
struct Built {
    entries: Vec<ManifestFile>,
    monitors: Vec<Monitor>,
}

/// Makes a firewall's rules and writes its file (and its transition,
/// with `--from`) into the version directory; returns what was written and
/// the rules, which the caller drops or leaves to the operating system.
#[cfg(unix)]
fn write_firewall(
    version: &Version,
    job: &Job<'_>,
) -> Result<(Built, RuleSet), FileError<Refusal>> {
    let Job {
        lowering,
        fw,
        index,
        previous,
        emit,
        isolation,
    } = *job;
    let rules = lowering
        .for_firewall(fw.name.as_str())
        .map_err(|e| FileError::Refused(Refusal::Lower(e)))?;
    let file = out_file_name(fw);
    let target = Target::for_platform(fw.platform);
    let hash = version.file(&file, |w| {
        backend::emit_with(&rules, target, emit, w).map_err(Refusal::Emit)
    })?;
    let mut entries = vec![ManifestFile {
        file,
        firewall: fw.name.to_string(),
        platform: fw.platform.as_str(),
        isolation: isolation.map(str::to_string),
        sha256: hex(&hash),
        from_sha256: None,
    }];
    if let Some(prev) = previous {
        let file = transition_file_name(fw);
        let hash = version.file(&file, |w| {
            backend::emit_transition(&rules, target, emit, &prev.text, w)
                .map_err(|e| Refusal::Transition(e, index))
        })?;
        entries.push(ManifestFile {
            file,
            firewall: fw.name.to_string(),
            platform: fw.platform.as_str(),
            isolation: isolation.map(str::to_string),
            sha256: hex(&hash),
            from_sha256: Some(sha256(prev.text.as_bytes())),
        });
    }
    let built = Built {
        entries,
        monitors: monitors_of(&rules),
    };
    Ok((built, rules))
}

/// Runs `job(0)`, ..., `job(n - 1)` on `threads` threads (at most `n`),
/// each thread taking the next index in turn; returns
/// the results in index order, so what is reported does not depend on
/// which thread finished first. After a failure no further job starts.
///
/// A job returns its result and what it leaves behind (memory only, such
/// as the rules it wrote from): dropped when the thread goes on to another
/// job, so that the next job can reuse the memory, and left to the
/// operating system after a thread's last job ([`release_at_exit`]).
#[cfg(unix)]
fn in_parallel<T: Send, L, E: Send>(
    threads: usize,
    n: usize,
    job: impl Fn(usize) -> Result<(T, L), E> + Sync,
) -> Vec<Result<T, E>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;
    let threads = threads.min(n).max(1);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<T, E>>>> = Mutex::new((0..n).map(|_| None).collect());
    let work = || {
        let mut i = next.fetch_add(1, Ordering::Relaxed);
        loop {
            if failed.load(Ordering::Relaxed) || i >= n {
                return;
            }
            let r = job(i);
            if r.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            let following = next.fetch_add(1, Ordering::Relaxed);
            let r = r.map(|(result, rest)| {
                if following < n && !failed.load(Ordering::Relaxed) {
                    drop(rest);
                } else {
                    release_at_exit(rest);
                }
                result
            });
            if let Ok(mut slots) = results.lock() {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(r);
                }
            }
            i = following;
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
    let slots = results.into_inner().unwrap_or_else(|e| e.into_inner());
    // Jobs after a failure did not run: everything up to the first failure is kept.
    slots.into_iter().map_while(|r| r).collect()
}

/// `--out` needs symbolic links and file locks as Unix systems have them.
#[cfg(not(unix))]
fn write_all(
    out: &Output,
    _: &Policy,
    _: Sources,
    _: Date,
    _: &BuildArgs,
    dir: &Path,
) -> ExitStatus {
    out.fail(
        &Problem::new(
            Code::InvalidArguments,
            format!(
                "`--out {}`: writing a build directory is supported on Unix systems only; use --target",
                dir.display()
            ),
        )
        .at_flag("--out"),
    );
    ExitStatus::Error
}
