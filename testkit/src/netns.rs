//! Throw-away network namespaces for tests that talk to the kernel.
//!
//! Every namespace is deleted when its guard drops, on success and on
//! panic alike. Missing privileges or tools are a test failure naming the
//! install step, never a silent pass.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const INSTALL: &str = "these tests load rulesets into the Linux kernel: run them as root \
    on Linux with nftables and iproute2 installed (`apt-get install nftables iproute2`)";

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}; {INSTALL}"))
}

/// Fails with a clear message unless we are root with `nft`, `ip` and netns support.
pub fn preflight() {
    let id = run(Command::new("id").arg("-u")).unwrap_or_else(|e| panic!("{e}"));
    let uid = String::from_utf8_lossy(&id.stdout).trim().to_string();
    assert_eq!(uid, "0", "not running as root (uid {uid}); {INSTALL}");
    for tool in [["nft", "--version"], ["ip", "-V"]] {
        let out = run(Command::new(tool[0]).arg(tool[1])).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "`{}` does not work; {INSTALL}",
            tool[0]
        );
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A network namespace, deleted on drop.
pub struct Netns {
    /// Its name (`ip netns` name).
    pub name: String,
}

impl Netns {
    /// Creates a namespace whose name is unique to this process and call.
    pub fn new(tag: &str) -> Netns {
        preflight();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("cdt{}-{tag}{n}", std::process::id());
        let out =
            run(Command::new("ip").args(["netns", "add", &name])).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "`ip netns add {name}` failed: {}; {INSTALL}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ns = Netns { name };
        ns.sh(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    /// A command run inside the namespace.
    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
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
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
