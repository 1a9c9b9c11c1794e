//! `conduitc fmt`: rewrite policy files in the canonical layout.
//!
//! Each file is formatted on its own (directories are searched for
//! `*.conduit` like everywhere else). A changed file is written to a
//! temporary file in its directory, which then replaces it, so a file is
//! never left half written. A symbolic link is followed: the file it names
//! is replaced that way and the link is left as it is. With `--check` nothing is written: the files
//! that would change are listed on stdout, one path per line.
//!
//! The path `-` reads one policy file from standard input and writes its
//! formatted text to stdout (for an editor's format-on-save); with
//! `--check`, `<stdin>` is listed when it would change.
//!
//! A file with a syntax or literal error is left alone and its diagnostics
//! go to stderr; the other files are still formatted. Exit status: 1 when a
//! file has an error or, with `--check`, would change; 2 when a path cannot
//! be read or written, or on an internal error; else 0.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use conduitc::diag::render;
use conduitc::formatter::format_file;
use conduitc::source::LoadIssue;
use conduitc::Code;

use super::load::{is_stdin, read_sources};
use super::output::Output;
use super::report::{load_error, quoted, Problem};
use super::ExitStatus;

/// Arguments of `fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Policy files or directories (directories are searched for *.conduit).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Write nothing; list the files that would change and exit 1 if any.
    #[arg(long)]
    check: bool,
}

pub fn run(out: &Output, args: FmtArgs) -> ExitStatus {
    let stdin = args.paths.iter().any(|p| is_stdin(p));
    if stdin && args.paths.len() > 1 {
        let mut problem = Problem::new(
            Code::InvalidArguments,
            "`-` (standard input) must be the only path given to `fmt`",
        )
        .help("format standard input and files in separate runs");
        if let Some(extra) = args
            .paths
            .iter()
            .find(|p| !is_stdin(p))
            .or(args.paths.last())
        {
            problem = problem.at_value(extra);
        }
        out.fail(&problem);
        return ExitStatus::Error;
    }
    let sources = match read_sources(&args.paths) {
        Ok(s) => s,
        Err(e) => {
            out.fail(&load_error(&e));
            return ExitStatus::Error;
        }
    };
    let mut status = ExitStatus::Success;
    let mut worse = |s: ExitStatus| {
        status = match (status, s) {
            (ExitStatus::Error, _) | (_, ExitStatus::Error) => ExitStatus::Error,
            (ExitStatus::PolicyFailure, _) | (_, ExitStatus::PolicyFailure) => {
                ExitStatus::PolicyFailure
            }
            _ => ExitStatus::Success,
        }
    };
    let mut listed = String::new();
    let (mut files, mut changed) = (0usize, 0usize);
    let mut over_reported = false;
    for (id, file) in sources.iter() {
        match file.issue() {
            Some(LoadIssue::EmptyDirectory) => {}
            // Past the policy size limit nothing was read; the first such
            // file carries the one error.
            Some(LoadIssue::PolicyTooLarge) if over_reported => continue,
            Some(LoadIssue::PolicyTooLarge) => over_reported = true,
            _ => files += 1,
        }
        let formatted = match format_file(&sources, id) {
            Ok(text) => text,
            Err(diags) => {
                out.stderr(&render::text(&diags, &sources, out.color()));
                worse(if diags.contains(Code::Internal) {
                    ExitStatus::Error
                } else {
                    ExitStatus::PolicyFailure
                });
                continue;
            }
        };
        if stdin && !args.check {
            // `fmt -`: the formatted text, changed or not, on stdout.
            listed.push_str(&formatted);
            if formatted != file.text() {
                changed += 1;
            }
            continue;
        }
        if formatted == file.text() {
            continue;
        }
        changed += 1;
        if args.check {
            listed.push_str(file.name());
            listed.push('\n');
            worse(ExitStatus::PolicyFailure);
            continue;
        }
        let Some(path) = file.path() else { continue };
        if let Err(e) = replace(path, formatted.as_bytes()) {
            out.fail(
                &Problem::new(
                    Code::OutputNotWritten,
                    format!("{}: cannot write: {e}", quoted(&path.to_string_lossy())),
                )
                .at_value(path),
            );
            worse(ExitStatus::Error);
        }
    }
    out.stdout(&listed);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let summary = match (args.check, changed) {
        (true, 0) => format!(
            "conduitc: {files} file{} already formatted\n",
            plural(files)
        ),
        (true, n) => format!(
            "conduitc: would reformat {n} of {files} file{}\n",
            plural(files)
        ),
        (false, n) => format!(
            "conduitc: {n} of {files} file{} reformatted\n",
            plural(files)
        ),
    };
    out.note(&summary);
    status
}

/// Replaces the file at `path` with `bytes`: a temporary file in the same
/// directory, with the original's permissions, is renamed over it. A
/// symbolic link is followed to the file it names, which is replaced the
/// same way in its own directory; the link stays a link.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target;
    let path = if fs::symlink_metadata(path)?.file_type().is_symlink() {
        target = fs::canonicalize(path)?;
        target.as_path()
    } else {
        path
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let perms = fs::metadata(path)?.permissions();
    let mut attempt = 0u32;
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(".{name}.{}-{attempt}.tmp", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    };
    let written = f
        .write_all(bytes)
        .and_then(|_| f.sync_all())
        .and_then(|_| fs::set_permissions(&tmp, perms))
        .and_then(|_| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}
