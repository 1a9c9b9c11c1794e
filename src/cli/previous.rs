//! `build --from PREVIOUS`: reading what a device runs now.
//!
//! PREVIOUS is a file (an earlier build of the same target, or the
//! device's own configuration text) or a directory written by `build
//! --out`, whose `manifest.json` names each firewall's file. Only reading
//! happens here; what the text means is the backend's business
//! ([`conduitc::backend::emit_transition`]).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use conduitc::backend::{EmitError, Target};
use conduitc::diag::Code;
use conduitc::model::Platform;
use conduitc::source::Span;
use conduitc::Sources;

use super::report::{quoted, Problem};

use conduitc::limits::MAX_PREVIOUS_BYTES;

/// Largest `manifest.json` read from an old build directory.
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// What a device runs now, as read from PREVIOUS.
#[derive(Clone, Debug)]
pub struct Previous {
    /// The file the text was read from.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

/// One firewall's file in an old build directory, from its manifest.
#[derive(Clone, Debug)]
pub struct OldFile {
    /// The firewall's name, as the manifest gives it.
    pub firewall: String,
    /// Its platform's name (`cisco-ios`).
    pub platform: String,
    /// The file, inside the old directory.
    pub path: PathBuf,
}

/// The files of an old build directory, by firewall.
#[derive(Clone, Debug)]
pub struct OldBuild {
    /// The directory.
    pub dir: PathBuf,
    /// Its full configuration files (transitions it holds are not starting
    /// points: they are scripts, not states).
    pub files: Vec<OldFile>,
}

impl OldBuild {
    /// The full file of firewall `name` (names compare case-insensitively,
    /// as the policy compares them).
    pub fn file_of(&self, name: &str) -> Option<&OldFile> {
        self.files
            .iter()
            .find(|f| f.firewall.eq_ignore_ascii_case(name))
    }
}

/// A problem with PREVIOUS that concerns the path as a whole (`E816`,
/// or `E814` when it cannot be read at all), pointing at `--from`.
fn refuse(code: Code, message: String) -> Box<Problem> {
    Box::new(Problem::new(code, message).at_flag("--from"))
}

/// Reads the text of a file given to `--from`.
pub fn read_text(path: &Path) -> Result<String, Box<Problem>> {
    let meta = fs::metadata(path).map_err(|e| {
        refuse(
            Code::PathNotReadable,
            format!("`--from {}`: {e}", path.display()),
        )
    })?;
    if !meta.is_file() {
        return Err(refuse(
            Code::PathNotReadable,
            format!(
                "`--from {}` is neither a regular file nor a build directory",
                path.display()
            ),
        ));
    }
    if meta.len() > MAX_PREVIOUS_BYTES {
        return Err(refuse(
            Code::PreviousUnreadable,
            format!(
                "`--from {}` is {} bytes, more than the {} a device configuration may have",
                path.display(),
                meta.len(),
                MAX_PREVIOUS_BYTES
            ),
        ));
    }
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(MAX_PREVIOUS_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| {
            refuse(
                Code::PathNotReadable,
                format!("`--from {}`: {e}", path.display()),
            )
        })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
            Err(refuse(
                Code::PreviousUnreadable,
                format!(
                    "`--from {}` is not text: line {line} holds a byte that is not UTF-8, \
                     so it is not a configuration conduitc can read",
                    path.display()
                ),
            ))
        }
    }
}

/// Reads an old build directory's `manifest.json`.
pub fn read_old_build(dir: &Path) -> Result<OldBuild, Box<Problem>> {
    let manifest = dir.join("manifest.json");
    let not_build = |why: String| {
        Box::new(
            Problem::new(
                Code::PreviousUnreadable,
                format!(
                    "`--from {}` is a directory but not a conduitc build: {why}",
                    dir.display()
                ),
            )
            .at_flag("--from")
            .help("give the directory `build --out` wrote, or the file the device runs"),
        )
    };
    let meta =
        fs::metadata(&manifest).map_err(|_| not_build("it holds no manifest.json".to_string()))?;
    if !meta.is_file() || meta.len() > MAX_MANIFEST_BYTES {
        return Err(not_build(
            "its manifest.json is not a build manifest".to_string(),
        ));
    }
    let bytes = fs::read(&manifest).map_err(|e| {
        refuse(
            Code::PathNotReadable,
            format!("`{}`: {e}", manifest.display()),
        )
    })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| not_build(format!("its manifest.json is not JSON ({e})")))?;
    let generator = value.get("generator").and_then(|g| g.as_str());
    if !generator.is_some_and(|g| g.starts_with("conduitc ")) {
        return Err(not_build(
            "its manifest.json was not written by conduitc".to_string(),
        ));
    }
    // A manifest without `format_version` predates it and reads as version 1.
    let version = conduitc::diag::render::FORMAT_VERSION;
    if let Some(v) = value.get("format_version") {
        if v.as_u64() != Some(u64::from(version)) {
            return Err(not_build(format!(
                "its manifest.json has format_version {v}; this conduitc reads version {version}"
            )));
        }
    }
    let Some(entries) = value.get("files").and_then(|f| f.as_array()) else {
        return Err(not_build("its manifest.json lists no files".to_string()));
    };
    let mut files = Vec::new();
    for e in entries {
        let field = |k: &str| e.get(k).and_then(|v| v.as_str());
        let (Some(file), Some(firewall), Some(platform)) =
            (field("file"), field("firewall"), field("platform"))
        else {
            return Err(not_build(
                "an entry of its manifest.json lacks `file`, `firewall` or `platform`".to_string(),
            ));
        };
        if field("from_sha256").is_some() {
            continue;
        }
        // The manifest names files inside the directory only.
        if file.contains(['/', '\\']) || file.starts_with('.') {
            return Err(not_build(format!(
                "its manifest.json names the file {}, outside the directory",
                quoted(file)
            )));
        }
        files.push(OldFile {
            firewall: firewall.to_string(),
            platform: platform.to_string(),
            path: dir.join(file),
        });
    }
    Ok(OldBuild {
        dir: dir.to_path_buf(),
        files,
    })
}

/// What `--from PATH` gives for firewall `firewall` of `platform`: the
/// file itself, or the firewall's file in a build directory.
pub fn read_for(path: &Path, firewall: &str, platform: Platform) -> Result<Previous, Box<Problem>> {
    if !path.is_dir() {
        return Ok(Previous {
            path: path.to_path_buf(),
            text: read_text(path)?,
        });
    }
    let old = read_old_build(path)?;
    let file = old_file(&old, firewall, platform)?.ok_or_else(|| {
        Box::new(
            Problem::new(
                Code::PreviousUnreadable,
                format!(
                    "the build in `{}` has no file for firewall {}",
                    path.display(),
                    quoted(firewall)
                ),
            )
            .at_flag("--from")
            .help(
                "a firewall new to the policy gets its full file; give `--from` only for a \
                 device that runs an earlier build",
            ),
        )
    })?;
    Ok(Previous {
        text: read_text(&file.path)?,
        path: file.path.clone(),
    })
}

/// The file of `firewall` in `old`, checked to be of `platform`.
pub fn old_file<'a>(
    old: &'a OldBuild,
    firewall: &str,
    platform: Platform,
) -> Result<Option<&'a OldFile>, Box<Problem>> {
    let Some(file) = old.file_of(firewall) else {
        return Ok(None);
    };
    if file.platform != platform.as_str() {
        return Err(refuse(
            Code::PreviousUnreadable,
            format!(
                "firewall {} is `platform {}` in the build in `{}` and `platform {}` now; \
                 a transition cannot take a device from one platform to another",
                quoted(firewall),
                file.platform,
                old.dir.display(),
                platform.as_str()
            ),
        ));
    }
    Ok(Some(file))
}

/// An `E816`/`E817` error of a transition as a problem: at `--from` on the
/// command line, with the line of PREVIOUS it concerns.
pub fn transition_error(e: &EmitError, previous: &Previous) -> Problem {
    let p = Problem::new(e.code(), e.message()).at_flag("--from");
    let Some(line) = e.previous_line() else {
        return p;
    };
    let text = &previous.text;
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        .min(text.len());
    let end = text[start..]
        .find('\n')
        .map_or(text.len(), |n| start + n)
        .max(start);
    let mut sources = Sources::default();
    let file = sources.add_memory(previous.path.display().to_string(), text.clone());
    p.with(
        &sources,
        Span::new(file, start, end),
        format!("line {line} of PREVIOUS"),
    )
}

/// Whether a transition is a different text from the full build for
/// `target`: only the line-oriented devices that keep state between
/// loads need one.
pub fn needs_transition(target: Target) -> bool {
    matches!(target, Target::CiscoIos | Target::Fortios)
}
