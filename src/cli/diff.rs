//! `conduitc diff OLD NEW`: what changed between two policy versions and
//! who must approve it (see [`conduitc::diff`]).
//!
//! OLD and NEW are paths, or `git:REV:PATH` read with `git` from the
//! repository in the current directory (PATH relative to the current
//! directory, a file or a directory; a directory's files are read through
//! one `git cat-file --batch`, at most [`MAX_TREE_FILES`] of them). Both versions are checked; an invalid
//! one ends the command with its diagnostics and exit 1. The report goes to
//! stdout. With `--require-approvals`, an owner the change needs who is not
//! in `--approved-by` makes the exit status 1 (the report is still printed,
//! and stderr names who is missing). I/O and git errors exit 2.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use clap::{Args, ValueEnum};

use conduitc::diff::{diff, render, DiffOptions};
use conduitc::model::Date;
use conduitc::{Code, Policy, Sources};

use super::load::{load_policy, load_policy_from_sources};
use super::output::Output;
use super::report::{quoted, Problem};
use super::ExitStatus;

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old version: a path, or git:REV:PATH.
    old: String,
    /// The new version: a path, or git:REV:PATH.
    new: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Exit 1 unless every required approver is listed in --approved-by.
    #[arg(long)]
    require_approvals: bool,
    /// Owners who have approved, comma separated.
    #[arg(long, value_delimiter = ',', value_name = "OWNER,...")]
    approved_by: Vec<String>,
    /// Judge expiry against this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    today: Option<conduitc::model::Date>,
    /// Exit 1 when the versions differ in effect, 0 when only comments,
    /// layout or order changed (like `git diff --exit-code`).
    #[arg(long)]
    exit_code: bool,
}

/// `diff --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// For terminals.
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For tools.
    Json,
}

pub fn run(out: &Output, args: DiffArgs) -> ExitStatus {
    let today = args.today.unwrap_or_else(Date::today);
    let old = match load_version(out, &args.old, today) {
        Ok(p) => p,
        Err(status) => return status,
    };
    let new = match load_version(out, &args.new, today) {
        Ok(p) => p,
        Err(status) => return status,
    };
    let opts = DiffOptions::new(today).approved_by(args.approved_by.iter().cloned());
    let report = diff(&old, &new, &opts);
    let text = match args.format {
        DiffFormat::Text => render::text(&report),
        DiffFormat::Markdown => render::markdown(&report),
        DiffFormat::Json => match render::json(&report) {
            Ok(j) => j,
            Err(e) => {
                out.fail(&Problem::new(
                    Code::Internal,
                    format!("internal error: cannot write JSON: {e}"),
                ));
                return ExitStatus::Error;
            }
        },
    };
    out.stdout(&text);
    if args.require_approvals {
        let missing: Vec<String> = report
            .missing_approvals()
            .map(|a| {
                let rules: Vec<String> = a.rules.iter().map(|r| r.to_string()).collect();
                format!("{} (approval {})", a.owner, rules.join(", "))
            })
            .collect();
        if !missing.is_empty() {
            out.fail(
                &Problem::new(
                    Code::ApprovalMissing,
                    format!("approval missing from {}", missing.join("; ")),
                )
                .at_flag("--approved-by"),
            );
            return ExitStatus::PolicyFailure;
        }
    }
    if args.exit_code && !report.no_change {
        return ExitStatus::PolicyFailure;
    }
    ExitStatus::Success
}

/// Loads and checks one version: a path, or `git:REV:PATH`.
fn load_version(out: &Output, spec: &str, today: Date) -> Result<Policy, ExitStatus> {
    match spec.strip_prefix("git:") {
        None => load_policy(out, &[PathBuf::from(spec)], today).map(|(p, _)| p),
        Some(rest) => {
            let Some((rev, path)) = rest.split_once(':') else {
                out.fail(
                    &Problem::new(
                        Code::InvalidArgumentValue,
                        format!("{} is not of the form git:REV:PATH", quoted(spec)),
                    )
                    .at_value(spec)
                    .help("for example git:origin/main:policy"),
                );
                return Err(ExitStatus::Error);
            };
            match git_sources(rev, path) {
                Ok(sources) => load_policy_from_sources(out, &sources, today),
                Err(e) => {
                    out.fail(
                        &Problem::new(
                            Code::PathNotReadable,
                            format!("cannot read {}: {e}", quoted(spec)),
                        )
                        .at_value(spec),
                    );
                    Err(ExitStatus::Error)
                }
            }
        }
    }
}

/// Runs `git ARGS` in the current directory and returns its stdout.
fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let err = String::from_utf8_lossy(&output.stderr);
        let err = err.trim();
        Err(if err.is_empty() {
            format!("`git {}` failed ({})", args.join(" "), output.status)
        } else {
            format!("git: {}", err.lines().next().unwrap_or(err))
        })
    }
}

/// A path as git's `REV:./PATH` syntax wants it: relative to the current
/// directory.
fn git_relative(path: &str) -> String {
    if path == "." || path == ".." {
        format!("{path}/")
    } else if path.starts_with("./") || path.starts_with("../") {
        path.to_string()
    } else {
        format!("./{path}")
    }
}

/// Most `*.conduit` files read from one git tree.
pub const MAX_TREE_FILES: usize = 10_000;

/// One blob to read: its name in diagnostics, object id and size.
struct Blob {
    name: String,
    oid: String,
    size: u64,
}

/// Reads the policy at PATH in revision REV: one file, or every
/// `*.conduit` file below a directory, in byte-wise order of their paths,
/// like a directory on disk. The tree is listed with one `git ls-tree` and
/// every file is read through one `git cat-file --batch`, whatever their
/// number. More than [`MAX_TREE_FILES`] files, a file over
/// [`MAX_FILE_BYTES`] or a symbolic link is an error; files past the
/// policy size limit are not read and are reported like on disk (`E005`).
fn git_sources(rev: &str, path: &str) -> Result<Sources, String> {
    if rev.is_empty() || path.is_empty() {
        return Err("REV and PATH must not be empty".into());
    }
    if rev.starts_with('-') {
        return Err(format!("`{rev}` is not a revision"));
    }
    if rev.contains(['\n', '\r']) || path.contains(['\n', '\r']) {
        return Err("REV and PATH must not hold a line break".into());
    }
    let object = format!("{rev}:{}", git_relative(path));
    let kind = git(&["cat-file", "-t", &object])?;
    let mut blobs = Vec::new();
    match String::from_utf8_lossy(&kind).trim() {
        "blob" => {
            let size = git(&["cat-file", "-s", &object])?;
            let size = String::from_utf8_lossy(&size)
                .trim()
                .parse()
                .unwrap_or(u64::MAX);
            blobs.push(Blob {
                name: format!("git:{rev}:{path}"),
                oid: object.clone(),
                size,
            });
        }
        "tree" => {
            let listing = git(&["ls-tree", "-r", "-z", "--long", rev, "--", path])?;
            let mut entries: Vec<(String, Blob)> = parse_ls_tree(&listing)?
                .into_iter()
                .filter(|(_, b)| b.name.ends_with(".conduit"))
                .collect();
            entries.sort_by(|a, b| a.1.name.as_bytes().cmp(b.1.name.as_bytes()));
            if entries.len() > MAX_TREE_FILES {
                return Err(format!(
                    "`{object}` holds {} *.conduit files, over the limit of {MAX_TREE_FILES}",
                    entries.len()
                ));
            }
            for (mode, blob) in entries {
                if mode == "120000" {
                    return Err(format!(
                        "`git:{rev}:{}` is a symbolic link; only regular files are read",
                        blob.name
                    ));
                }
                blobs.push(Blob {
                    name: format!("git:{rev}:{}", blob.name),
                    ..blob
                });
            }
        }
        other => return Err(format!("`{object}` is a {other}, not a file or directory")),
    }
    let limits = super::load::limits();
    let mut sources = Sources::with_limits(limits);
    if blobs.is_empty() {
        // No file: the checker reports the empty policy against this name.
        sources.add_memory(format!("git:{rev}:{path}"), "");
        return Ok(sources);
    }
    if let Some(b) = blobs.iter().find(|b| b.size > limits.file_bytes()) {
        return Err(format!(
            "`{}` is {} bytes, over the limit of {} bytes for a policy file",
            b.name,
            b.size,
            limits.file_bytes()
        ));
    }
    // Files up to the one that crosses the policy size limit are read; the
    // rest are added empty, and the loader marks them over the limit.
    let mut total = 0u64;
    let wanted = blobs
        .iter()
        .take_while(|b| {
            let within = total <= limits.policy_bytes();
            total += b.size;
            within
        })
        .count();
    let contents = cat_file_batch(
        blobs.iter().take(wanted).map(|b| b.oid.clone()).collect(),
        limits.file_bytes(),
    )?;
    let mut contents = contents.into_iter();
    for b in blobs {
        sources.add_bytes(b.name, None, contents.next().unwrap_or_default());
    }
    Ok(sources)
}

/// Parses `git ls-tree -z --long`: `MODE TYPE OID SIZE\tPATH` per entry;
/// returns the blobs with their modes.
fn parse_ls_tree(listing: &[u8]) -> Result<Vec<(String, Blob)>, String> {
    let mut out = Vec::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8(entry.to_vec())
            .map_err(|_| "a file name in the tree is not UTF-8".to_string())?;
        let bad = || format!("unexpected `git ls-tree` output: {}", quoted(&entry));
        let (meta, name) = entry.split_once('\t').ok_or_else(bad)?;
        let mut f = meta.split_whitespace();
        let (Some(mode), Some(kind), Some(oid), Some(size)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(bad());
        };
        if kind != "blob" {
            continue;
        }
        out.push((
            mode.to_string(),
            Blob {
                name: name.to_string(),
                oid: oid.to_string(),
                size: size.parse().map_err(|_| bad())?,
            },
        ));
    }
    Ok(out)
}

/// Reads blobs (object ids or `REV:PATH` names) with one
/// `git cat-file --batch`, in the order given.
fn cat_file_batch(oids: Vec<String>, max_bytes: u64) -> Result<Vec<Vec<u8>>, String> {
    if oids.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err("cannot talk to `git cat-file`".into());
    };
    let requests: String = oids.iter().map(|o| format!("{o}\n")).collect();
    // Written from a thread, so that git never blocks on a full stdout
    // while this side is still writing.
    let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
    let mut reader = BufReader::new(stdout);
    let read = (|| -> Result<Vec<Vec<u8>>, String> {
        let mut blobs = Vec::with_capacity(oids.len());
        for oid in &oids {
            let mut header = String::new();
            reader
                .read_line(&mut header)
                .map_err(|e| format!("reading `git cat-file`: {e}"))?;
            let mut f = header.split_whitespace();
            let (Some(got), Some("blob"), Some(size)) = (f.next(), f.next(), f.next()) else {
                return Err(format!("git cannot read object {oid}: {}", header.trim()));
            };
            let size: usize = size
                .parse()
                .map_err(|_| format!("unexpected `git cat-file` header: {}", header.trim()))?;
            if got.is_empty() || size as u64 > max_bytes {
                return Err(format!(
                    "unexpected `git cat-file` header: {}",
                    header.trim()
                ));
            }
            let mut bytes = vec![0; size + 1];
            reader
                .read_exact(&mut bytes)
                .map_err(|e| format!("reading `git cat-file`: {e}"))?;
            bytes.pop();
            blobs.push(bytes);
        }
        Ok(blobs)
    })();
    drop(reader);
    let _ = writer.join();
    let _ = child.wait();
    read
}
