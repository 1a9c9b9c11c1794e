//! `build --out DIR`: putting a finished build in DIR's place.
//!
//! DIR is a symbolic link to a version directory beside it,
//! `.DIR.conduitc/ID`, where `.DIR.conduitc` also holds the lock file
//! `lock`. A build:
//!
//! 1. follows DIR while it is a symbolic link made by a user (not one of
//!    ours), so a user's link stays a link and the build lands where it
//!    points;
//! 2. refuses the current directory, one of its parents, a directory that
//!    holds a policy source, anything that is not a directory, and a
//!    directory that is neither empty nor a previous conduitc build (a
//!    `manifest.json` that conduitc wrote, and nothing it does not list);
//! 3. takes the lock (a second build into the same DIR waits for it);
//! 4. repairs what an interrupted build left (see [`recover`]);
//! 5. creates a new version directory and lets the caller write every
//!    file into it ([`Version::file`]: each file is streamed through a
//!    buffer to disk and hashed on the way), then syncs every file and the
//!    directory; a failure removes the version directory, so DIR and
//!    `.DIR.conduitc` are as they were;
//! 6. renames a new link over DIR in one `rename(2)`. A real directory
//!    from an earlier conduitc (before DIR became a link) is exchanged with
//!    the link in one `renameat2(RENAME_EXCHANGE)` where the system has it,
//!    else moved aside into `.DIR.conduitc/displaced` first;
//! 7. removes every version but the new one and the one it replaced.
//!
//! Nothing else in `.DIR.conduitc` is touched.
//!
//! At every instant DIR is the old build or the new one, except in the
//! fallback of step 6, where an interruption between the two renames
//! leaves the old build in `displaced` and the next build puts it back.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, ErrorKind, Write};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Component, Path, PathBuf};
use std::sync::{mpsc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// Most symbolic links followed from DIR, like the kernel's `ELOOP` bound.
const MAX_LINKS: usize = 40;
/// Largest `manifest.json` read when judging whether DIR is a build.
const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// The bytes of a file held before they are hashed and written.
const BUFFER: usize = 64 * 1024;
/// Pieces of [`BUFFER`] bytes waiting to be hashed and written.
const QUEUE: usize = 4;
/// The lock file in the state directory.
const LOCK: &str = "lock";
/// The new link before it is renamed over DIR.
const NEXT: &str = "next";
/// A real DIR moved aside where the exchange is not available.
const DISPLACED: &str = "displaced";

/// What is at DIR's place.
enum Kind {
    /// Nothing.
    Missing,
    /// Our link; the version it names.
    Managed(OsString),
    /// A real directory that is empty or a previous conduitc build.
    Real,
}

/// Why a build into DIR failed.
#[derive(Debug)]
pub enum Failure<E> {
    /// DIR was refused, or the file system failed (a full disk, a lock
    /// that cannot be taken): the message, which names DIR.
    Dir(String),
    /// The caller's writer refused to write a file (an emission error).
    Refused(E),
}

/// Why [`Version::file`] failed.
#[derive(Debug)]
pub enum FileError<E> {
    /// Creating, writing or syncing the file failed.
    Io(io::Error),
    /// The writer gave up without a write error.
    Refused(E),
}

/// The new version directory while a build writes its files.
pub struct Version {
    dir: PathBuf,
    /// The files written so far: synced together once every file is
    /// written, so a writer's memory is not held while the disk catches up.
    written: Mutex<Vec<PathBuf>>,
}

impl Version {
    /// Creates `name` in the version directory and streams `write`'s output
    /// into it in pieces of 64 KiB, which a second thread hashes and writes
    /// to the file while `write` makes the next ones; returns the SHA-256 of
    /// the bytes written. The file is synced with the others once all are
    /// written ([`write_version`]). A write error that `write` passes on as
    /// its own error is reported as [`FileError::Io`]. Files may be written
    /// from several threads at once.
    pub fn file<E>(
        &self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<[u8; 32], FileError<E>> {
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.dir.join(name))
            .map_err(FileError::Io)?;
        let (written, stored) = std::thread::scope(|s| {
            let (pieces, received) = mpsc::sync_channel::<Vec<u8>>(QUEUE);
            let (spare, reuse) = mpsc::channel::<Vec<u8>>();
            // The hash and the file take the text in large pieces, however
            // small the writes.
            let store = move || {
                let mut hashing = Hashing::new(file);
                for piece in received {
                    if hashing.write_all(&piece).is_err() {
                        // The writer learns of it when its next piece
                        // cannot be sent.
                        break;
                    }
                    let _ = spare.send(piece);
                }
                hashing.finish()
            };
            let storing = std::thread::Builder::new()
                .spawn_scoped(s, store)
                .map_err(FileError::Io)?;
            let mut w = Pieces {
                piece: Vec::with_capacity(BUFFER),
                pieces: Some(pieces),
                reuse,
            };
            let written = write(&mut w).map(|()| w.flush());
            // The last piece is sent; the storing thread ends.
            drop(w);
            let stored = storing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok((written, stored))
        })?;
        let (hash, file) = match (written, stored) {
            (_, Err(io)) => return Err(FileError::Io(io)),
            (Err(e), Ok(_)) => return Err(FileError::Refused(e)),
            (Ok(Err(io)), Ok(_)) => return Err(FileError::Io(io)),
            (Ok(Ok(())), Ok(done)) => done,
        };
        drop(file);
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(self.dir.join(name));
        Ok(hash)
    }

    /// Syncs every file written and then the directory itself.
    fn sync(&self) -> io::Result<()> {
        let written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for path in written.iter() {
            fs::File::open(path)?.sync_all()?;
        }
        fs::File::open(&self.dir)?.sync_all()
    }
}

/// A writer that hands its bytes on in pieces of [`BUFFER`] bytes to the
/// thread that stores them ([`Version::file`]), reusing the pieces that
/// thread has done with.
struct Pieces {
    piece: Vec<u8>,
    /// `None` once the storing thread has stopped.
    pieces: Option<mpsc::SyncSender<Vec<u8>>>,
    reuse: mpsc::Receiver<Vec<u8>>,
}

impl Pieces {
    /// Sends the piece being filled, if it holds anything.
    fn send(&mut self) -> io::Result<()> {
        if self.piece.is_empty() {
            return Ok(());
        }
        let mut next = self.reuse.try_recv().unwrap_or_default();
        next.clear();
        next.reserve(BUFFER);
        let full = std::mem::replace(&mut self.piece, next);
        let stopped = || io::Error::new(ErrorKind::BrokenPipe, "the file is not being written");
        let pieces = self.pieces.as_ref().ok_or_else(stopped)?;
        if pieces.send(full).is_err() {
            self.pieces = None;
            return Err(stopped());
        }
        Ok(())
    }
}

impl Write for Pieces {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.piece.len() >= BUFFER {
            self.send()?;
        }
        let n = buf.len().min(BUFFER - self.piece.len());
        self.piece.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf)?;
            buf = &buf[n..];
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// A writer that feeds a SHA-256 with the bytes its inner writer accepts
/// and keeps the first error that writer returned.
pub struct Hashing<W> {
    inner: W,
    hash: Sha256,
    error: Option<io::Error>,
}

impl<W: Write> Hashing<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Hashing {
            inner,
            hash: Sha256::new(),
            error: None,
        }
    }

    /// Flushes; returns the hash of every byte written and the inner
    /// writer, or the first error seen.
    pub fn finish(mut self) -> io::Result<([u8; 32], W)> {
        if let Err(e) = self.flush() {
            return Err(self.error.take().unwrap_or(e));
        }
        match self.error {
            Some(e) => Err(e),
            None => Ok((self.hash.finalize().into(), self.inner)),
        }
    }

    /// Keeps the first error and hands a copy of it back.
    fn keep(&mut self, e: io::Error) -> io::Error {
        if e.kind() == ErrorKind::Interrupted {
            return e;
        }
        let copy = io::Error::new(e.kind(), e.to_string());
        self.error.get_or_insert(e);
        copy
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.inner.write(buf) {
            Ok(n) => {
                self.hash.update(&buf[..n.min(buf.len())]);
                Ok(n)
            }
            Err(e) => Err(self.keep(e)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(|e| self.keep(e))
    }
}

/// Builds the new content of `dir` (see the module doc): `write` writes
/// every file into the new version directory with [`Version::file`].
/// `sources` are the policy files, which DIR must not hold. Nothing is
/// created before DIR is accepted; when `write` fails, the version
/// directory is removed and DIR is left as it was.
pub fn replace_dir<E>(
    dir: &Path,
    sources: &[PathBuf],
    write: impl FnOnce(&mut Version) -> Result<(), FileError<E>>,
) -> Result<(), Failure<E>> {
    let shown = dir.display().to_string();
    let err = |m: String| Failure::Dir(format!("--out {shown}: {m}"));
    let at = resolve(dir).map_err(err)?;
    refuse_enclosing(&at, sources).map_err(err)?;
    let (parent, name) = split(&at).map_err(err)?;
    classify(&at).map_err(err)?;
    let state = parent.join(state_name(&name));
    ensure_state_dir(&state).map_err(err)?;
    let _lock = lock(&state).map_err(err)?;
    recover(&at, &parent, &name, &state).map_err(err)?;
    // DIR may have changed while this build waited for the lock.
    let kind = classify(&at).map_err(err)?;
    let id = write_version(&state, write).map_err(|e| match e {
        FileError::Io(m) => err(m.to_string()),
        FileError::Refused(e) => Failure::Refused(e),
    })?;
    swap(&at, &state, &name, &id, &kind).map_err(err)?;
    if let Ok(f) = fs::File::open(&parent) {
        let _ = f.sync_all();
    }
    let previous = match &kind {
        Kind::Managed(v) => Some(v.clone()),
        _ => None,
    };
    prune(&state, &id, previous.as_deref());
    Ok(())
}

/// `dir` without `.` components.
fn normalize(dir: &Path) -> PathBuf {
    dir.components().collect()
}

/// `.NAME.conduitc`.
fn state_name(name: &OsStr) -> OsString {
    let mut s = OsString::from(".");
    s.push(name);
    s.push(".conduitc");
    s
}

/// The directory holding `at` and `at`'s own name.
fn split(at: &Path) -> Result<(PathBuf, OsString), String> {
    let Some(Component::Normal(name)) = at.components().next_back() else {
        return Err(
            "does not name a directory of its own (it ends in `.` or `..` or is a root); \
             refusing to replace it"
                .into(),
        );
    };
    let parent = match at.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_os_string()))
}

/// True when `target` is what our link at a place named `name` holds:
/// `.NAME.conduitc/ID`.
fn is_managed_link(name: &OsStr, target: &Path) -> bool {
    let mut c = target.components();
    match (c.next(), c.next(), c.next()) {
        (Some(Component::Normal(s)), Some(Component::Normal(_)), None) => s == state_name(name),
        _ => false,
    }
}

/// Follows `dir` through symbolic links that are not ours.
fn resolve(dir: &Path) -> Result<PathBuf, String> {
    let mut at = normalize(dir);
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                let target =
                    fs::read_link(&at).map_err(|e| format!("cannot read the link: {e}"))?;
                let (parent, name) = split(&at)?;
                if is_managed_link(&name, &target) {
                    return Ok(at);
                }
                at = normalize(&if target.is_absolute() {
                    target
                } else {
                    parent.join(target)
                });
            }
            _ => return Ok(at),
        }
    }
    Err("too many levels of symbolic links".into())
}

/// Refuses the current directory, its parents, and a directory holding a
/// policy source.
fn refuse_enclosing(at: &Path, sources: &[PathBuf]) -> Result<(), String> {
    let Ok(canon) = fs::canonicalize(at) else {
        return Ok(());
    };
    let cwd = std::env::current_dir()
        .and_then(fs::canonicalize)
        .map_err(|e| format!("cannot read the current directory: {e}"))?;
    if cwd.starts_with(&canon) {
        return Err(format!(
            "is the current directory or one of its parents ({}); refusing to replace it",
            canon.display()
        ));
    }
    for s in sources {
        if let Ok(c) = fs::canonicalize(s) {
            if c.starts_with(&canon) {
                return Err(format!(
                    "holds the policy source `{}`; refusing to replace it",
                    s.display()
                ));
            }
        }
    }
    Ok(())
}

/// What is at `at`, or why it must not be replaced.
fn classify(at: &Path) -> Result<Kind, String> {
    let meta = match fs::symlink_metadata(at) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Kind::Missing),
        Err(e) => return Err(e.to_string()),
    };
    if meta.file_type().is_symlink() {
        let target = fs::read_link(at).map_err(|e| format!("cannot read the link: {e}"))?;
        let (_, name) = split(at)?;
        let version = target
            .file_name()
            .filter(|_| is_managed_link(&name, &target));
        return match version {
            Some(v) => Ok(Kind::Managed(v.to_os_string())),
            None => Err("became a different symbolic link during the build; \
                         refusing to replace it"
                .into()),
        };
    }
    if !meta.is_dir() {
        return Err("exists and is not a directory; refusing to replace it".into());
    }
    previous_build(at)?;
    Ok(Kind::Real)
}

/// Accepts an empty directory or one that a conduitc build wrote: a
/// `manifest.json` with conduitc's generator and shape, and only the files
/// it lists.
fn previous_build(dir: &Path) -> Result<(), String> {
    let mut entries = Vec::new();
    for e in fs::read_dir(dir).map_err(|e| e.to_string())? {
        let e = e.map_err(|e| e.to_string())?;
        let ft = e.file_type().map_err(|e| e.to_string())?;
        entries.push((e.file_name(), ft));
    }
    if entries.is_empty() {
        return Ok(());
    }
    let manifest = dir.join("manifest.json");
    if !entries
        .iter()
        .any(|(n, ft)| n == "manifest.json" && ft.is_file())
    {
        return Err(
            "exists, is not empty and holds no manifest.json, so it is not a \
                    previous conduitc build; refusing to replace it"
                .into(),
        );
    }
    let not_ours = |why: &str| {
        format!(
            "holds a manifest.json that conduitc did not write ({why}), so it is not a \
             previous conduitc build; refusing to replace it"
        )
    };
    let size = fs::metadata(&manifest).map_err(|e| e.to_string())?.len();
    if size > MAX_MANIFEST_BYTES {
        return Err(not_ours("it is larger than any build manifest"));
    }
    let bytes = fs::read(&manifest).map_err(|e| e.to_string())?;
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| not_ours("it is not JSON"))?;
    let generator = v["generator"].as_str().unwrap_or_default();
    if !generator.starts_with("conduitc ") {
        return Err(not_ours(&format!(
            "its generator is {}, not `conduitc VERSION`",
            v["generator"]
        )));
    }
    let shape_ok = v["today"].is_string()
        && v["policy"]["sha256"].is_string()
        && v["policy"]["sources"].is_array();
    let Some(listed) = v["files"].as_array().filter(|_| shape_ok) else {
        return Err(not_ours("it lacks the fields of a build manifest"));
    };
    let mut names = vec!["manifest.json".to_string()];
    for f in listed {
        let file = f["file"].as_str().unwrap_or_default();
        let ok = !file.is_empty()
            && !file.contains('/')
            && f["firewall"].is_string()
            && f["platform"].is_string()
            && f["sha256"].is_string();
        if !ok {
            return Err(not_ours("a `files` entry lacks the fields of a build file"));
        }
        names.push(file.to_string());
    }
    for (n, ft) in &entries {
        let listed = n.to_str().is_some_and(|n| names.iter().any(|l| l == n));
        if !listed || !ft.is_file() {
            return Err(format!(
                "holds `{}`, which is not one of the files its manifest.json lists, so it is \
                 not a previous conduitc build; refusing to replace it",
                n.to_string_lossy()
            ));
        }
    }
    Ok(())
}

/// Creates `.DIR.conduitc` unless it exists; it must be a real directory.
fn ensure_state_dir(state: &Path) -> Result<(), String> {
    match fs::create_dir(state) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => match fs::symlink_metadata(state) {
            Ok(m) if m.is_dir() => Ok(()),
            _ => Err(format!(
                "`{}` exists and is not a directory; remove it",
                state.display()
            )),
        },
        Err(e) => Err(format!("cannot create `{}`: {e}", state.display())),
    }
}

/// Takes the exclusive lock on `.DIR.conduitc/lock`, waiting for another
/// build to finish. The lock is released when the file is closed.
fn lock(state: &Path) -> Result<fs::File, String> {
    let path = state.join(LOCK);
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
    loop {
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive) {
            Ok(()) => return Ok(file),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(format!("cannot lock `{}`: {e}", path.display())),
        }
    }
}

/// Repairs what an interrupted build left, under the lock: a DIR moved
/// aside in the fallback of the swap is put back, and so is one left by
/// conduitc 0.1.0 (`.DIR.conduitc-old-PID`), if DIR is missing; that
/// version's other leftovers (`.DIR.conduitc-new-PID`) are removed.
/// Unused versions and links in `.DIR.conduitc` go with the pruning after
/// the swap.
fn recover(at: &Path, parent: &Path, name: &OsStr, state: &Path) -> Result<(), String> {
    let missing = || matches!(fs::symlink_metadata(at), Err(e) if e.kind() == ErrorKind::NotFound);
    let displaced = state.join(DISPLACED);
    if fs::symlink_metadata(&displaced).is_ok() {
        if missing() {
            fs::rename(&displaced, at)
                .map_err(|e| format!("cannot restore `{}`: {e}", displaced.display()))?;
        } else {
            remove_any(&displaced);
        }
    }
    let mut new_prefix = state_name(name).as_bytes().to_vec();
    new_prefix.extend_from_slice(b"-new-");
    let mut old_prefix = state_name(name).as_bytes().to_vec();
    old_prefix.extend_from_slice(b"-old-");
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    let mut leftovers: Vec<(bool, PathBuf)> = Vec::new();
    for e in entries.flatten() {
        let n = e.file_name();
        let n = n.as_bytes();
        let pid = |prefix: &[u8]| {
            n.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && rest.iter().all(u8::is_ascii_digit))
        };
        if pid(&old_prefix) {
            leftovers.push((true, e.path()));
        } else if pid(&new_prefix) {
            leftovers.push((false, e.path()));
        }
    }
    leftovers.sort();
    for (old, path) in leftovers.iter().rev() {
        if *old && missing() && previous_build(path).is_ok() {
            fs::rename(path, at)
                .map_err(|e| format!("cannot restore `{}`: {e}", path.display()))?;
        } else {
            remove_any(path);
        }
    }
    Ok(())
}

/// Removes a file, link or directory tree, best effort.
fn remove_any(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// Creates a new version directory, lets `write` fill it, and syncs it;
/// returns its name. On failure the directory is removed; an I/O error is
/// returned as the message `cannot write `VERSION`: ERROR`.
fn write_version<E>(
    state: &Path,
    write: impl FnOnce(&mut Version) -> Result<(), FileError<E>>,
) -> Result<OsString, FileError<E>> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let id = OsString::from(format!("{nanos:020}-{}", std::process::id()));
    let ver = state.join(&id);
    let mut version = Version {
        dir: ver.clone(),
        written: Mutex::new(Vec::new()),
    };
    let written = fs::create_dir(&ver)
        .map_err(FileError::Io)
        .and_then(|()| write(&mut version))
        .and_then(|()| version.sync().map_err(FileError::Io));
    match written {
        Ok(()) => Ok(id),
        Err(e) => {
            let _ = fs::remove_dir_all(&ver);
            Err(match e {
                FileError::Io(e) => FileError::Io(io::Error::new(
                    e.kind(),
                    format!("cannot write `{}`: {e}", ver.display()),
                )),
                refused => refused,
            })
        }
    }
}

/// Puts a link to version `id` at `at` in one rename.
fn swap(at: &Path, state: &Path, name: &OsStr, id: &OsStr, kind: &Kind) -> Result<(), String> {
    let next = state.join(NEXT);
    remove_any(&next);
    let target = Path::new(&state_name(name)).join(id);
    std::os::unix::fs::symlink(&target, &next)
        .map_err(|e| format!("cannot create the link `{}`: {e}", next.display()))?;
    let moved = |e: std::io::Error| format!("cannot rename `{}` to DIR: {e}", next.display());
    match kind {
        Kind::Missing | Kind::Managed(_) => fs::rename(&next, at).map_err(moved),
        Kind::Real => match exchange(&next, at) {
            // The old directory is now at `next`.
            Ok(true) => {
                let _ = fs::remove_dir_all(&next);
                Ok(())
            }
            Ok(false) => {
                let displaced = state.join(DISPLACED);
                fs::rename(at, &displaced)
                    .map_err(|e| format!("cannot move the previous build aside: {e}"))?;
                if let Err(e) = fs::rename(&next, at) {
                    let _ = fs::rename(&displaced, at);
                    return Err(moved(e));
                }
                let _ = fs::remove_dir_all(&displaced);
                Ok(())
            }
            Err(e) => Err(moved(e)),
        },
    }
}

/// Exchanges `a` and `b` atomically; `Ok(false)` where the system or file
/// system cannot.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Exchanges `a` and `b` atomically; `Ok(false)` where the system or file
/// system cannot.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// True for a version directory's name: `DIGITS-DIGITS`.
fn is_version(name: &OsStr) -> bool {
    let b = name.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    b.iter()
        .position(|&c| c == b'-')
        .is_some_and(|i| digits(&b[..i]) && digits(&b[i + 1..]))
}

/// Removes from `.DIR.conduitc` every version but the new one and the one
/// it replaced (a reader that resolved DIR just before the swap can still
/// finish), and a stale `next` link or `displaced` directory; anything
/// else there is not conduitc's and is left alone. Best effort: the build
/// has already succeeded.
fn prune(state: &Path, id: &OsStr, previous: Option<&OsStr>) {
    let Ok(entries) = fs::read_dir(state) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name();
        if n == id || Some(n.as_os_str()) == previous {
            continue;
        }
        if is_version(&n) || n == NEXT || n == DISPLACED {
            remove_any(&e.path());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Accepts `room` bytes, then fails like a full disk.
    struct Full {
        kept: Vec<u8>,
        room: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.kept.len() >= self.room {
                return Err(io::Error::new(ErrorKind::StorageFull, "disk full"));
            }
            let n = buf.len().min(self.room - self.kept.len());
            self.kept.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn hashing_hashes_what_it_passes_on() {
        let mut w = Hashing::new(Vec::new());
        w.write_all(b"table inet ").unwrap();
        writeln!(w, "conduitc {{}}").unwrap();
        let (hash, inner) = w.finish().unwrap();
        assert_eq!(inner, b"table inet conduitc {}\n");
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(&inner)));
    }

    /// A write error reaches the caller and is kept, so a writer that turns
    /// it into its own error (as `emit_to` does) is still reported as I/O.
    #[test]
    fn hashing_keeps_the_first_write_error() {
        let mut w = Hashing::new(Full {
            kept: Vec::new(),
            room: 5,
        });
        let e = w.write_all(b"0123456789").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::StorageFull);
        assert_eq!(w.inner.kept, b"01234");
        let kept = w.finish().map(|_| ()).unwrap_err();
        assert_eq!(kept.kind(), ErrorKind::StorageFull);
        assert_eq!(kept.to_string(), "disk full");
    }

    #[test]
    fn a_file_that_cannot_be_created_is_io_a_writer_error_a_refusal() {
        let tmp = tempfile::tempdir().unwrap();
        let v = Version {
            dir: tmp.path().to_path_buf(),
            written: Mutex::new(Vec::new()),
        };
        // A file that cannot be created is an I/O error; a writer that
        // gives up without a write error is a refusal.
        v.file("a", |w| w.write_all(b"x").map_err(|_| "refused"))
            .unwrap();
        match v.file("a", |w| w.write_all(b"x").map_err(|_| "refused")) {
            Err(FileError::Io(e)) => assert_eq!(e.kind(), ErrorKind::AlreadyExists),
            other => panic!("{other:?}"),
        }
        match v.file("b", |_| Err("refused")) {
            Err(FileError::Refused(r)) => assert_eq!(r, "refused"),
            other => panic!("{other:?}"),
        }
        assert_eq!(fs::read(tmp.path().join("a")).unwrap(), b"x");
    }

    /// A file of many pieces, written in writes of every size, holds the
    /// bytes in order, and its hash is theirs.
    #[test]
    fn a_file_of_many_pieces_is_stored_and_hashed_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let v = Version {
            dir: tmp.path().to_path_buf(),
            written: Mutex::new(Vec::new()),
        };
        let text: Vec<u8> = (0..BUFFER * (QUEUE + 7) + 123)
            .map(|i| (i % 251) as u8)
            .collect();
        let hash = v
            .file("big", |w| {
                let mut rest = &text[..];
                let mut size = 1;
                while !rest.is_empty() {
                    let n = size.min(rest.len());
                    w.write_all(&rest[..n])?;
                    rest = &rest[n..];
                    size = size * 7 % (3 * BUFFER) + 1;
                }
                Ok::<(), io::Error>(())
            })
            .unwrap();
        assert_eq!(fs::read(tmp.path().join("big")).unwrap(), text);
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(&text)));
    }

    fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut v = Vec::new();
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                v.push((
                    p.clone(),
                    fs::read_link(&p).unwrap().as_os_str().as_bytes().to_vec(),
                ));
            } else if m.is_dir() {
                v.push((p.clone(), Vec::new()));
                v.extend(tree(&p));
            } else {
                v.push((p.clone(), fs::read(&p).unwrap()));
            }
        }
        v.sort();
        v
    }

    fn manifest(files: &[&str]) -> String {
        let listed: Vec<String> = files
            .iter()
            .map(|f| {
                format!(
                    "{{\"file\": \"{f}\", \"firewall\": \"fw\", \"platform\": \"nftables\", \
                     \"sha256\": \"\"}}"
                )
            })
            .collect();
        format!(
            "{{\"generator\": \"conduitc 0.1.0\", \"today\": \"2026-12-01\", \
             \"policy\": {{\"sha256\": \"\", \"sources\": []}}, \"files\": [{}]}}",
            listed.join(", ")
        )
    }

    /// A failure while writing the second of several files, either a
    /// refusal by the writer or an I/O error, leaves DIR and its state
    /// directory exactly as they were.
    #[test]
    fn a_failure_on_the_second_file_leaves_dir_as_it_was() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        // `second` says how writing `b.nft` ends after its first bytes:
        // completed, refused by the writer, or failed with an I/O error.
        let build = |second: &'static str| {
            replace_dir(&dir, &[], move |v: &mut Version| {
                v.file("a.nft", |w| w.write_all(b"first\n"))?;
                v.file("b.nft", |w| {
                    w.write_all(b"second, half")?;
                    match second {
                        "refuse" => Err(io::Error::other("refused")),
                        "io" => Err(io::Error::new(
                            ErrorKind::StorageFull,
                            "No space left on device",
                        )),
                        _ => w.write_all(b" and the rest\n"),
                    }
                })
                .map_err(|e| match e {
                    FileError::Refused(r) if second == "io" => FileError::Io(r),
                    e => e,
                })?;
                let m = manifest(&["a.nft", "b.nft"]);
                v.file("manifest.json", |w| w.write_all(m.as_bytes()))?;
                Ok(())
            })
        };
        build("ok").unwrap();
        let before = tree(tmp.path());
        assert_eq!(
            fs::read(dir.join("b.nft")).unwrap(),
            b"second, half and the rest\n"
        );

        match build("refuse") {
            Err(Failure::Refused(e)) => assert_eq!(e.to_string(), "refused"),
            other => panic!("{other:?}"),
        }
        assert_eq!(tree(tmp.path()), before);

        match build("io") {
            Err(Failure::Dir(m)) => {
                assert!(
                    m.starts_with(&format!("--out {}: cannot write `", dir.display())),
                    "{m}"
                );
                assert!(m.ends_with("`: No space left on device"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(tree(tmp.path()), before);

        // A refusal on a first build creates no DIR and no version.
        let fresh = tmp.path().join("fresh");
        let r = replace_dir(&fresh, &[], |v: &mut Version| {
            v.file("a.nft", |w| {
                w.write_all(b"first\n").map_err(|_| "unwritten")
            })?;
            v.file("b.nft", |_| Err("refused"))?;
            Ok(())
        });
        assert!(matches!(r, Err(Failure::Refused("refused"))));
        assert!(!fresh.exists());
        assert_eq!(names(&tmp.path().join(".fresh.conduitc")), ["lock"]);
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}
