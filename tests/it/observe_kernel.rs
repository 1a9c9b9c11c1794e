//! `observe` on real kernel log lines: a monitor-mode build loaded into a
//! router namespace, real packets through it, declared and undeclared, the
//! kernel's own log lines collected from the ring buffer, and `observe`
//! must report exactly the undeclared connections as candidates and the
//! logged declared flow as seen.
//!
//! Logging from a non-initial network namespace needs
//! `net.netfilter.nf_log_all_netns = 1` (the kernel drops such log lines
//! otherwise); the test sets it. The ring buffer is shared, so only lines
//! that appear during the test and carry its addresses (10.83.0.0/16) are
//! kept. Needs `nft`, `ip`, `dmesg` and `python3`, and root, or a user
//! namespace (testkit's `netns`) after root has run `sysctl -w
//! net.netfilter.nf_log_all_netns=1 kernel.dmesg_restrict=0`.

use std::collections::{BTreeSet, HashSet};
use std::process::Command;

use conduitc_testkit::netns::Netns;

const POLICY: &str = r#"
owner ops { contact "ops@example.com" }

zone hmi {
  level 2
  owner ops
  networks 10.83.1.0/24
  host panel = 10.83.1.10
  host eng = 10.83.1.20
}

zone line {
  level 1
  owner ops
  networks 10.83.2.0/24
  host plc = 10.83.2.11
  host drive = 10.83.2.12
}

zone office {
  level 4
  owner ops
  networks 10.83.3.0/24
  host desk = 10.83.3.5
}

conduit hmi-line {
  zones hmi, line
  owner ops
  mode monitor
  waive W107 "baseline of the new line"

  flow plc-poll {
    from hmi.panel
    to line.plc
    service modbus
    reason "panel polls the PLC"
  }

  flow plc-ping {
    from hmi.panel
    to line.plc
    service ping
    reason "panel watchdog"
    log
  }
}

firewall obs-fw {
  platform nftables
  interface "o-hmi" = hmi
  interface "o-line" = line
  interface "o-off" = office
}
"#;

/// Sends one TCP SYN, UDP datagram or ICMP echo request; a refusal or no
/// answer is fine, the firewall has seen the packet either way.
const SEND: &str = r#"
import socket, struct, sys
proto, src, dst, arg = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if proto == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    s.bind((src, 0))
    try:
        s.connect((dst, arg))
    except OSError:
        pass
elif proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.sendto(b"hi", (dst, arg))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((src, 0))
    body = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + b"conduit"
    padded = body + b"\0" * (len(body) % 2)
    t = sum(struct.unpack("!%dH" % (len(padded) // 2), padded))
    t = (t >> 16) + (t & 0xFFFF); t += t >> 16
    s.sendto(body[:2] + struct.pack("!H", ~t & 0xFFFF) + body[4:], (dst, 0))
"#;

fn dmesg() -> Vec<String> {
    let out = Command::new("dmesg")
        .output()
        .unwrap_or_else(|e| panic!("cannot run dmesg ({e}); apt-get install util-linux"));
    assert!(
        out.status.success(),
        "dmesg failed (a non-root user needs `sysctl -w kernel.dmesg_restrict=0`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn observe_reports_exactly_the_undeclared_connections_the_kernel_logged() {
    // Router with one veth per zone, one namespace per zone.
    let router = Netns::new("obsr");
    let zones = [
        ("o-hmi", 1u8, &["10.83.1.10", "10.83.1.20"][..]),
        ("o-line", 2, &["10.83.2.11", "10.83.2.12"][..]),
        ("o-off", 3, &["10.83.3.5"][..]),
    ];
    let mut spaces = Vec::new();
    for (ifname, n, hosts) in zones {
        let ns = Netns::new(&format!("obs{n}-"));
        router.sh(&[
            "ip", "link", "add", ifname, "type", "veth", "peer", "name", "eth0", "netns", &ns.name,
        ]);
        router.sh(&[
            "ip",
            "addr",
            "add",
            &format!("10.83.{n}.1/24"),
            "dev",
            ifname,
        ]);
        router.sh(&["ip", "link", "set", ifname, "up"]);
        for h in hosts {
            ns.sh(&["ip", "addr", "add", &format!("{h}/24"), "dev", "eth0"]);
        }
        ns.sh(&["ip", "link", "set", "eth0", "up"]);
        ns.sh(&[
            "ip",
            "route",
            "add",
            "default",
            "via",
            &format!("10.83.{n}.1"),
        ]);
        spaces.push(ns);
    }
    router.sh(&["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
    // Log lines from namespaces other than the initial one reach the ring
    // buffer only with this set (a global switch, left on).
    // Set as root beforehand, it lets a non-root user run this test (with
    // `kernel.dmesg_restrict = 0` for reading the ring buffer).
    let key = "/proc/sys/net/netfilter/nf_log_all_netns";
    if std::fs::read_to_string(key).ok().as_deref().map(str::trim) != Some("1") {
        std::fs::write(key, "1").expect(
            "set net.netfilter.nf_log_all_netns = 1: run as root, or have root run \
             `sysctl -w net.netfilter.nf_log_all_netns=1 kernel.dmesg_restrict=0` first",
        );
    }

    // The monitor-mode build, loaded into the router.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("line.conduit");
    std::fs::write(&policy, POLICY).unwrap();
    let policy = policy.to_str().unwrap();
    let today = ["--today", "2026-12-01"];
    let build = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args([
            "build",
            policy,
            "--firewall",
            "obs-fw",
            "--target",
            "nftables",
        ])
        .args(today)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let ruleset = String::from_utf8(build.stdout).unwrap();
    assert!(
        ruleset.contains("log prefix \"conduit monitor hmi-line/* \""),
        "{ruleset}"
    );
    router.nft_stdin(&[], &ruleset).unwrap();

    let before: HashSet<String> = dmesg().into_iter().collect();
    let send = |zone: usize, proto: &str, src: &str, dst: &str, arg: u16| {
        spaces[zone].sh(&["python3", "-c", SEND, proto, src, dst, &arg.to_string()]);
    };
    // Declared: modbus polling (a flow without `log`: never logged) and
    // the watchdog ping (a flow with `log`).
    send(0, "tcp", "10.83.1.10", "10.83.2.11", 502);
    send(0, "icmp", "10.83.1.10", "10.83.2.11", 8);
    // Undeclared, admitted by the monitor catch-all: another port, another
    // host, the other direction.
    send(0, "tcp", "10.83.1.10", "10.83.2.11", 8080);
    send(0, "tcp", "10.83.1.20", "10.83.2.12", 502);
    send(1, "udp", "10.83.2.11", "10.83.1.10", 9999);
    // Undeclared, no conduit: dropped.
    send(2, "tcp", "10.83.3.5", "10.83.2.11", 502);

    // The kernel writes asynchronously; wait until the drop line is there.
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = dmesg()
            .into_iter()
            .filter(|l| !before.contains(l) && l.contains("SRC=10.83."))
            .collect();
        if lines.iter().any(|l| l.contains("conduit drop ")) && lines.len() >= 5 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        !lines.is_empty(),
        "the kernel logged nothing for this test's addresses"
    );
    let log = dir.path().join("kern.log");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args([
            "observe",
            policy,
            "--log",
            log.to_str().unwrap(),
            "--firewall",
            "obs-fw",
            "--format",
            "json",
        ])
        .args(today)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "undeclared traffic was seen: {stdout}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["files"][0]["format"], "kernel");
    assert_eq!(
        v["files"][0]["malformed"],
        0,
        "{stdout}\n{}",
        lines.join("\n")
    );
    let got: BTreeSet<(String, String, String, bool)> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let end = |e: &serde_json::Value| {
                format!(
                    "{}.{}",
                    e["zone"].as_str().unwrap(),
                    e["host"].as_str().unwrap()
                )
            };
            (
                end(&c["from"]),
                end(&c["to"]),
                c["service"].as_str().unwrap().to_string(),
                c["monitored_by"].is_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String, bool)> = [
        ("hmi.panel", "line.plc", "tcp/8080", true),
        ("hmi.eng", "line.drive", "modbus", true),
        ("line.plc", "hmi.panel", "udp/9999", true),
        ("office.desk", "line.plc", "modbus", false),
    ]
    .into_iter()
    .map(|(a, b, s, m)| (a.to_string(), b.to_string(), s.to_string(), m))
    .collect();
    assert_eq!(got, want, "kernel lines:\n{}", lines.join("\n"));
    // The logged declared flow is seen; the unlogged one cannot be.
    let hits = |name: &str| {
        v["flows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["flow"] == name)
            .map(|f| f["connections"].as_u64().unwrap())
    };
    assert_eq!(hits("hmi-line/plc-ping"), Some(1), "{stdout}");
    assert_eq!(hits("hmi-line/plc-poll"), Some(0), "{stdout}");
    assert_eq!(v["unseen"], serde_json::json!(["hmi-line/plc-poll"]));
}
