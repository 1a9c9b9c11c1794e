//! Throw-away network namespaces for tests that talk to the kernel.
//!
//! Every namespace is deleted when its guard drops, on success and on
//! panic alike. As root the namespaces are `ip netns` namespaces; as any
//! other user they are made inside one unprivileged user namespace
//! (`unshare --user --map-root-user`, where the process is root of its own
//! namespaces only) and entered with `nsenter`. Missing privileges or tools
//! are a test failure naming what to install or enable, never a silent pass.

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

const INSTALL: &str = "these tests load rulesets into the Linux kernel: run them on Linux \
    with nftables, iproute2 and util-linux installed (`apt-get install nftables iproute2 \
    util-linux`), as root or as a user who may create user namespaces";

/// What a non-root user needs from the kernel.
const USERNS: &str = "as a non-root user the tests run in an unprivileged user namespace \
    (`unshare --user --map-root-user --net`), which this kernel refuses; allow it as root \
    with `sysctl -w kernel.unprivileged_userns_clone=1` (Debian, Ubuntu kernels before 6.x), \
    `sysctl -w user.max_user_namespaces=15000` (when it is 0) or \
    `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (Ubuntu 23.10 and later), \
    or run the tests as root";

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}; {INSTALL}"))
}

/// True when the tests run as root (uid 0).
pub fn is_root() -> bool {
    let id = run(Command::new("id").arg("-u")).unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&id.stdout).trim() == "0"
}

/// Fails with a clear message unless `nft` and `ip` work and namespaces
/// can be made: as root, or in an unprivileged user namespace.
pub fn preflight() {
    let mut check: Vec<Vec<&str>> = vec![vec!["nft", "--version"], vec!["ip", "-V"]];
    if !is_root() {
        check.push(vec![
            "unshare",
            "--user",
            "--map-root-user",
            "--net",
            "true",
        ]);
    }
    for tool in check {
        let out = run(Command::new(tool[0]).args(&tool[1..])).unwrap_or_else(|e| panic!("{e}"));
        if tool[0] == "unshare" {
            assert!(
                out.status.success(),
                "`{}` failed: {}; {USERNS}",
                tool.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        } else {
            assert!(
                out.status.success(),
                "`{}` does not work; {INSTALL}",
                tool[0]
            );
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// For a non-root user: one user namespace (held open by a waiting
/// process) in which every test namespace is made, so that veth pairs can
/// join namespaces made by different calls.
struct Holder {
    child: Child,
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static HOLDER: OnceLock<Mutex<Option<Holder>>> = OnceLock::new();

/// The pid of the process holding the shared user namespace.
fn holder_pid() -> u32 {
    let slot = HOLDER.get_or_init(|| Mutex::new(None));
    let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(h) = guard.as_ref() {
        return h.child.id();
    }
    // `cat` on a pipe from this process: it ends when this process does,
    // even one that is killed.
    let child = Command::new("unshare")
        .args(["--user", "--map-root-user", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run unshare: {e}; {INSTALL}"));
    let pid = child.id();
    wait_for_namespace(pid, "user");
    *guard = Some(Holder { child });
    pid
}

/// Waits until process `pid` has left this process's `kind` namespace
/// (`unshare` has made its own and gone on to `exec`).
fn wait_for_namespace(pid: u32, kind: &str) {
    let ours = std::fs::read_link(format!("/proc/self/ns/{kind}")).ok();
    for _ in 0..500 {
        let theirs = std::fs::read_link(format!("/proc/{pid}/ns/{kind}")).ok();
        if theirs.is_some() && theirs != ours {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("process {pid} made no {kind} namespace within 5 s; {USERNS}");
}

/// How a namespace was made.
enum Kind {
    /// `ip netns add` (root).
    Named,
    /// A waiting process in the shared user namespace (non-root).
    Process(Child),
}

/// A network namespace, deleted on drop.
pub struct Netns {
    /// Its name: the `ip netns` name as root, else the pid of the process
    /// holding it. Either way `ip link ... netns NAME` finds it.
    pub name: String,
    kind: Kind,
}

impl Netns {
    /// Creates a namespace whose name is unique to this process and call.
    pub fn new(tag: &str) -> Netns {
        preflight();
        let ns = if is_root() {
            let n = COUNTER.fetch_add(1, Ordering::SeqCst);
            let name = format!("cdt{}-{tag}{n}", std::process::id());
            let out = run(Command::new("ip").args(["netns", "add", &name]))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                out.status.success(),
                "`ip netns add {name}` failed: {}; {INSTALL}",
                String::from_utf8_lossy(&out.stderr)
            );
            Netns {
                name,
                kind: Kind::Named,
            }
        } else {
            let holder = holder_pid().to_string();
            let child = Command::new("nsenter")
                .args(["--target", &holder, "--user", "--preserve-credentials"])
                .args(["unshare", "--net", "cat"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run nsenter: {e}; {INSTALL}"));
            let pid = child.id();
            wait_for_namespace(pid, "net");
            Netns {
                name: pid.to_string(),
                kind: Kind::Process(child),
            }
        };
        ns.sh(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    /// A command run inside the namespace (as root of the user namespace
    /// for a non-root user).
    pub fn cmd(&self, program: &str) -> Command {
        match self.kind {
            Kind::Named => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", &self.name, program]);
                c
            }
            Kind::Process(_) => {
                let mut c = Command::new("nsenter");
                c.args([
                    "--target",
                    &self.name,
                    "--user",
                    "--net",
                    "--preserve-credentials",
                ]);
                c.arg(program);
                c
            }
        }
    }

    /// Runs `args` in the namespace and panics with its stderr on failure.
    pub fn sh(&self, args: &[&str]) -> String {
        let out = run(self.cmd(args[0]).args(&args[1..])).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "{args:?} in {} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `nft ARGS -f -` with `input` on stdin; `Err(stderr)` on failure.
    pub fn nft_stdin(&self, args: &[&str], input: &str) -> Result<(), String> {
        let mut child = self
            .cmd("nft")
            .args(args)
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run nft: {e}; {INSTALL}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .map_err(|e| format!("writing to nft: {e}"))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("waiting for nft: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        match &mut self.kind {
            Kind::Named => {
                let _ = Command::new("ip")
                    .args(["netns", "del", &self.name])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            // The namespace goes with the last process in it.
            Kind::Process(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
