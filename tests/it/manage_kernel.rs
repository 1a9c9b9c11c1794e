//! The real kernel and traffic to the firewall itself: the nftables build of
//! a firewall with a `manage` entry, loaded into a router namespace whose
//! host runs an SSH-like TCP listener, lets the declared management host
//! connect to the firewall and drops the same connection from another zone,
//! while forwarding between the zones stays as declared. Needs root, `nft`,
//! `ip` and `python3`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

use conduitc_testkit::netns::Netns;

const POLICY: &str = r#"
owner ops {
  contact "ops@example.com"
}

zone eng {
  level 2
  owner ops
  networks 10.72.1.0/24
  host ws = 10.72.1.10
}

zone cell {
  level 1
  owner ops
  networks 10.72.2.0/24
  host plc = 10.72.2.10
}

conduit eng-cell {
  zones eng, cell
  owner ops
  flow program {
    from eng.ws
    to cell.plc
    service tcp/2222
    reason "The engineering workstation programs the PLC"
  }
}

firewall fw {
  platform nftables
  interface "r-eng" = eng address 10.72.1.1
  interface "r-cell" = cell address 10.72.2.1

  manage admin {
    from eng.ws
    service tcp/2222
    owner ops
    reason "The engineering workstation administers the firewall"
  }
}
"#;

/// Listens on tcp/2222 on every address of its namespace and echoes.
const LISTENER: &str = r#"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 2222))
s.listen(8)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        c.sendall(b"ok:" + c.recv(64))
    except OSError:
        pass
    c.close()
"#;

/// Connects to ARGV[1]:2222 and prints `open`, `refused` or `timeout`.
const CLIENT: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(1.5)
try:
    s.connect((sys.argv[1], 2222))
    s.sendall(b"hi")
    print("open" if s.recv(64) == b"ok:hi" else "bad reply")
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, TimeoutError):
    print("timeout")
"#;

struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn listen(ns: &Netns, procs: &mut Procs) {
    let mut child = ns
        .cmd("python3")
        .args(["-c", LISTENER])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start python3 ({e}): apt-get install python3"));
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    procs.0.push(child);
    assert_eq!(
        line.trim(),
        "ready",
        "listener in {} did not start",
        ns.name
    );
}

fn connect(ns: &Netns, dst: &str) -> String {
    ns.sh(&["python3", "-c", CLIENT, dst]).trim().to_string()
}

#[test]
fn management_host_reaches_the_firewall_and_another_zone_does_not() {
    let sources = Sources::from_memory("policy.conduit", POLICY);
    let today = Date::parse("2026-12-01").expect("date");
    let policy = check(&sources, &CheckOptions::new(today))
        .into_result()
        .expect("the policy checks")
        .0;
    let rules = lower(&policy, &BuildOptions::new(today).firewall("fw")).expect("lowers");
    let text = backend::emit(&rules, Target::Nftables).expect("emits");
    assert!(text.contains("hook input"), "{text}");

    let router = Netns::new("mrt");
    let eng = Netns::new("meng");
    let cell = Netns::new("mcell");
    for (ns, ifname, n, host) in [(&eng, "r-eng", 1, "10"), (&cell, "r-cell", 2, "10")] {
        router.sh(&[
            "ip", "link", "add", ifname, "type", "veth", "peer", "name", "eth0", "netns", &ns.name,
        ]);
        router.sh(&[
            "ip",
            "addr",
            "add",
            &format!("10.72.{n}.1/24"),
            "dev",
            ifname,
        ]);
        router.sh(&["ip", "link", "set", ifname, "up"]);
        ns.sh(&[
            "ip",
            "addr",
            "add",
            &format!("10.72.{n}.{host}/24"),
            "dev",
            "eth0",
        ]);
        ns.sh(&["ip", "link", "set", "eth0", "up"]);
        ns.sh(&[
            "ip",
            "route",
            "add",
            "default",
            "via",
            &format!("10.72.{n}.1"),
        ]);
    }
    router.sh(&["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
    let mut procs = Procs(Vec::new());
    listen(&router, &mut procs);
    listen(&cell, &mut procs);

    // Before the ruleset: the firewall's listener answers everyone.
    assert_eq!(connect(&cell, "10.72.2.1"), "open");

    router
        .nft_stdin(&[], &text)
        .unwrap_or_else(|e| panic!("nft -f refused the ruleset: {e}\n{text}"));

    // The declared management host reaches the firewall on both of its
    // addresses (the far one too: it is the firewall's own address).
    assert_eq!(connect(&eng, "10.72.1.1"), "open");
    assert_eq!(connect(&eng, "10.72.2.1"), "open");
    // Another zone is dropped on the input hook, on either address.
    assert_eq!(connect(&cell, "10.72.2.1"), "timeout");
    assert_eq!(connect(&cell, "10.72.1.1"), "timeout");
    // Forwarding is unchanged: the declared flow passes.
    assert_eq!(connect(&eng, "10.72.2.10"), "open");

    let counters = router.sh(&["nft", "list", "chain", "inet", "conduit", "input"]);
    assert!(
        counters.contains("comment \"fw/admin\""),
        "the input chain names the entry: {counters}"
    );
    drop(procs);
}
