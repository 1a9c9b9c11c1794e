//! The real kernel: the emitted ruleset, loaded with `nft -f` (text) or
//! `nft -j -f` (JSON) into a router namespace, passes exactly the
//! connections `decide` allows, replies included, and drops the rest.
//!
//! Topology (all throw-away, deleted on drop even when a test fails): one
//! router namespace with one veth per zone of the sample policy, named as
//! the policy's firewall names them (`r-sup`, `r-ctl`, `r-dmz`), forwarding
//! on; one namespace per zone holding its hosts' addresses
//! (`10.71.N.x/24`, `fd00:71:N::x/64`). Probes are real TCP connections
//! (a payload echoed back), UDP datagrams (a reply expected) and ICMP or
//! ICMPv6 echo requests (an echo reply expected), run in parallel from the
//! zones' namespaces by small Python programs. Needs root, `nft`, `ip` and
//! `python3`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::process::{Child, Stdio};

use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions, Packet};
use conduitc::Policy;
use nftables::schema::{NfListObject, NfObject, Nftables};
use nftables::stmt::{Counter, Statement};

use conduitc_testkit::netns::Netns;
use conduitc_testkit::{nft_eval, sample};

const TCP_PORTS: &str = "22,443,502,503,5450,8080,20005";
const UDP_PORTS: &str = "514,515,9999";

const SERVER: &str = r#"
import selectors, socket, sys
tcp = [int(p) for p in sys.argv[1].split(",")]
udp = [int(p) for p in sys.argv[2].split(",")]
sel = selectors.DefaultSelector()
for fam, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    for kind, ports in (("tcp", tcp), ("udp", udp)):
        for p in ports:
            s = socket.socket(fam, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((any_addr, p))
            if kind == "tcp":
                s.listen(32)
            sel.register(s, selectors.EVENT_READ, kind)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if key.data == "tcp":
            c, _ = s.accept()
            c.settimeout(2)
            try:
                c.sendall(b"ok:" + c.recv(64))
            except OSError:
                pass
            c.close()
        else:
            d, a = s.recvfrom(64)
            s.sendto(b"ok:" + d, a)
"#;

const CLIENT: &str = r#"
import json, os, socket, struct, sys, threading, time
T = 1.5
probes = json.loads(sys.argv[1])
out = {}

def fam(a):
    return socket.AF_INET6 if ":" in a else socket.AF_INET

def tcp(src, dst, port):
    s = socket.socket(fam(dst), socket.SOCK_STREAM)
    s.settimeout(T)
    s.bind((src, 0))
    try:
        s.connect((dst, port))
        s.sendall(b"hi")
        return "open" if s.recv(64) == b"ok:hi" else "bad reply"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"
    finally:
        s.close()

def udp(src, dst, port):
    s = socket.socket(fam(dst), socket.SOCK_DGRAM)
    s.settimeout(T)
    s.bind((src, 0))
    try:
        s.connect((dst, port))
        s.send(b"hi")
        return "open" if s.recv(64) == b"ok:hi" else "bad reply"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"
    finally:
        s.close()

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF

def ping(src, dst, typ):
    v6 = ":" in dst
    ident = (os.getpid() * 31 + hash((src, dst))) & 0xFFFF
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        pkt = struct.pack("!BBHHH", typ, 0, 0, ident, 1) + b"conduit"
        reply = {128: 129}.get(typ)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        body = struct.pack("!BBHHH", typ, 0, 0, ident, 1) + b"conduit"
        pkt = body[:2] + struct.pack("!H", csum(body)) + body[4:]
        reply = {8: 0, 13: 14}.get(typ)
    s.bind((src, 0))
    s.sendto(pkt, (dst, 0))
    if reply is None:
        s.close()
        return "sent"
    deadline = time.time() + T
    try:
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                data, addr = s.recvfrom(2048)
            except (socket.timeout, TimeoutError):
                break
            if not v6:
                data = data[(data[0] & 15) * 4:]
            if addr[0] == dst and data[0] == reply and struct.unpack("!H", data[4:6])[0] == ident:
                return "open"
        return "timeout"
    finally:
        s.close()

def run(pid, proto, src, dst, arg):
    try:
        out[pid] = {"tcp": tcp, "udp": udp, "icmp": ping}[proto](src, dst, arg)
    except OSError as e:
        out[pid] = "error: %s" % e

threads = [threading.Thread(target=run, args=p) for p in probes]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(out))
"#;

/// Records the ICMP messages a namespace receives for two seconds and prints
/// them as `[[source, type], ...]`.
const SNIFFER: &str = r#"
import json, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
print("ready", flush=True)
seen = []
deadline = time.time() + 2.0
while time.time() < deadline:
    s.settimeout(max(0.01, deadline - time.time()))
    try:
        data, addr = s.recvfrom(2048)
    except (socket.timeout, TimeoutError):
        break
    seen.append([addr[0], data[(data[0] & 15) * 4]])
print(json.dumps(seen))
"#;

/// Child processes killed (and reaped) on drop.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Router plus one namespace per zone; `procs` drops (killing servers)
/// before the namespaces are deleted.
struct Topology {
    _procs: Procs,
    router: Netns,
    zones: Vec<Netns>,
}

/// No duplicate address detection: addresses (link-local ones included)
/// are usable at once, so neighbour discovery does not delay first packets.
fn no_dad(ns: &Netns) {
    set_sysctls(
        ns,
        &[
            "net/ipv6/conf/all/accept_dad",
            "net/ipv6/conf/default/accept_dad",
        ],
        "0",
    );
}

/// Writes `value` to each `/proc/sys` key inside `ns` (through `sh`, which
/// every system has, rather than `sysctl`, which minimal images lack).
fn set_sysctls(ns: &Netns, keys: &[&str], value: &str) {
    for key in keys {
        ns.sh(&["sh", "-c", &format!("echo {value} > /proc/sys/{key}")]);
    }
}

fn setup() -> Topology {
    let router = Netns::new("rtr");
    no_dad(&router);
    let mut zones = Vec::new();
    for (zi, &(_, _, ifname, n)) in sample::ZONES.iter().enumerate() {
        let ns = Netns::new(&format!("z{zi}-"));
        no_dad(&ns);
        router.sh(&[
            "ip", "link", "add", ifname, "type", "veth", "peer", "name", "eth0", "netns", &ns.name,
        ]);
        router.sh(&[
            "ip",
            "addr",
            "add",
            &format!("10.71.{n}.1/24"),
            "dev",
            ifname,
        ]);
        router.sh(&[
            "ip",
            "addr",
            "add",
            &format!("fd00:71:{n}::1/64"),
            "dev",
            ifname,
            "nodad",
        ]);
        router.sh(&["ip", "link", "set", ifname, "up"]);
        for &(hz, _, octet, six) in &sample::HOSTS {
            if hz != zi {
                continue;
            }
            ns.sh(&[
                "ip",
                "addr",
                "add",
                &format!("{}/24", sample::v4(n, octet)),
                "dev",
                "eth0",
            ]);
            if six {
                ns.sh(&[
                    "ip",
                    "addr",
                    "add",
                    &format!("{}/64", sample::v6(n, octet)),
                    "dev",
                    "eth0",
                    "nodad",
                ]);
            }
        }
        ns.sh(&["ip", "link", "set", "eth0", "up"]);
        ns.sh(&[
            "ip",
            "route",
            "add",
            "default",
            "via",
            &format!("10.71.{n}.1"),
        ]);
        ns.sh(&[
            "ip",
            "-6",
            "route",
            "add",
            "default",
            "via",
            &format!("fd00:71:{n}::1"),
        ]);
        zones.push(ns);
    }
    set_sysctls(
        &router,
        &["net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding"],
        "1",
    );
    let mut procs = Procs(Vec::new());
    for ns in &zones {
        let mut child = ns
            .cmd("python3")
            .args(["-c", SERVER, TCP_PORTS, UDP_PORTS])
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
    let t = Topology {
        _procs: procs,
        router,
        zones,
    };
    // Resolve neighbours both ways before any probe: the router pings every
    // host (its own traffic, which the forward hook never sees).
    let warm: Vec<serde_json::Value> = sample::HOSTS
        .iter()
        .flat_map(|&(z, _, octet, six)| {
            let n = sample::ZONES[z].3;
            let mut v = vec![(sample::v4(n, octet), format!("10.71.{n}.1"), 8)];
            if six {
                v.push((sample::v6(n, octet), format!("fd00:71:{n}::1"), 128));
            }
            v
        })
        .enumerate()
        .map(|(i, (dst, src, ty))| {
            serde_json::json!([i.to_string(), "icmp", src, dst.to_string(), ty])
        })
        .collect();
    let results = run_client(&t.router, &warm);
    assert!(
        results.values().all(|r| r == "open"),
        "router cannot reach the hosts: {results:?}"
    );
    t
}

/// One probe: protocol, source and destination, port or ICMP type.
#[derive(Clone, Debug)]
struct Probe {
    proto: &'static str,
    src: IpAddr,
    dst: IpAddr,
    arg: u16,
}

impl Probe {
    fn packet(&self) -> Packet {
        let (proto, dport, icmp_type) = match (self.proto, self.dst.is_ipv6()) {
            ("tcp", _) => (6, Some(self.arg), None),
            ("udp", _) => (17, Some(self.arg), None),
            (_, false) => (1, None, Some(self.arg as u8)),
            (_, true) => (58, None, Some(self.arg as u8)),
        };
        Packet {
            src: self.src,
            dst: self.dst,
            proto,
            dport,
            icmp_type,
        }
    }
}

fn host(name: &str, six: bool) -> IpAddr {
    let &(z, _, octet, _) = sample::HOSTS.iter().find(|h| h.1 == name).unwrap();
    let n = sample::ZONES[z].3;
    if six {
        sample::v6(n, octet)
    } else {
        sample::v4(n, octet)
    }
}

/// Declared flows, wrong ports, wrong directions, wrong hosts, other zone
/// pairs and the monitor-mode conduit, in both families where hosts have both.
fn probes() -> Vec<Probe> {
    let p = |proto, src: &str, dst: &str, six, arg| Probe {
        proto,
        src: host(src, six),
        dst: host(dst, six),
        arg,
    };
    vec![
        p("tcp", "scada", "plc1", false, 502),
        p("tcp", "scada", "plc1", true, 502),
        p("tcp", "scada", "plc1", false, 20005),
        p("tcp", "scada", "plc1", false, 503),
        p("tcp", "scada", "plc1", true, 503),
        p("tcp", "plc1", "scada", false, 502),
        p("tcp", "plc1", "scada", true, 502),
        p("tcp", "eng-ws", "plc1", false, 502),
        p("tcp", "scada", "plc2", false, 502),
        p("icmp", "scada", "plc2", false, 8),
        p("icmp", "scada", "plc1", true, 128),
        p("icmp", "plc1", "scada", false, 8),
        p("icmp", "plc1", "scada", true, 128),
        p("icmp", "eng-ws", "plc1", false, 8),
        p("tcp", "plc1", "hist", false, 5450),
        p("tcp", "plc1", "hist", true, 5450),
        p("tcp", "plc2", "hist", false, 5450),
        p("tcp", "hist", "plc1", false, 5450),
        p("udp", "plc2", "hist", false, 514),
        p("udp", "plc1", "hist", true, 514),
        p("udp", "plc1", "hist", false, 515),
        p("udp", "hist", "plc1", false, 514),
        p("tcp", "eng-ws", "hist", false, 443),
        p("tcp", "hist", "scada", false, 22),
        p("tcp", "scada", "hist", true, 8080),
        p("udp", "scada", "hist", false, 9999),
        p("icmp", "hist", "eng-ws", false, 8),
        p("tcp", "plc1", "scada", false, 22),
        p("udp", "plc2", "scada", false, 9999),
    ]
}

fn zone_ns(t: &Topology, a: IpAddr) -> &Netns {
    let n = match a {
        IpAddr::V4(v) => v.octets()[2],
        IpAddr::V6(v) => v.segments()[2] as u8,
    };
    let zi = sample::ZONES.iter().position(|z| z.3 == n).unwrap();
    &t.zones[zi]
}

/// Runs every probe (in parallel) and returns "open", "timeout", ... per probe.
fn run_probes(t: &Topology, probes: &[Probe]) -> Vec<String> {
    let mut by_ns: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for (i, pr) in probes.iter().enumerate() {
        by_ns
            .entry(zone_ns(t, pr.src).name.clone())
            .or_default()
            .push(serde_json::json!([
                i.to_string(),
                pr.proto,
                pr.src.to_string(),
                pr.dst.to_string(),
                pr.arg
            ]));
    }
    let mut results = vec![String::new(); probes.len()];
    std::thread::scope(|scope| {
        let running: Vec<_> = by_ns
            .iter()
            .map(|(ns, list)| {
                let ns = t.zones.iter().find(|z| &z.name == ns).unwrap();
                scope.spawn(move || run_client(ns, list))
            })
            .collect();
        for handle in running {
            for (k, v) in handle.join().unwrap() {
                results[k.parse::<usize>().unwrap()] = v;
            }
        }
    });
    results
}

/// Runs the probe client in `ns` on `[id, proto, src, dst, port-or-type]` lists.
fn run_client(ns: &Netns, list: &[serde_json::Value]) -> BTreeMap<String, String> {
    let out = ns
        .cmd("python3")
        .args([
            "-c",
            CLIENT,
            &serde_json::Value::from(list.to_vec()).to_string(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot start python3 ({e}): apt-get install python3"));
    assert!(
        out.status.success(),
        "probe client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Loads, probes, reads back; panics with every mismatch.
fn exercise(t: &Topology, p: &Policy, opts: &BuildOptions, target: Target) {
    let rules = lower(p, opts).unwrap();
    let config = backend::emit(&rules, target).unwrap();
    let args: &[&str] = match target {
        Target::NftablesJson => &["-j"],
        _ => &[],
    };
    t.router
        .nft_stdin(args, &config)
        .unwrap_or_else(|e| panic!("nft rejects the {target:?} ruleset: {e}\n{config}"));

    // Which rule admits each probe, by the independent evaluator of the
    // text (the JSON is the same ruleset: see nft_check).
    let text = backend::emit(&rules, Target::Nftables).unwrap();
    let eval = nft_eval::parse(&text).unwrap();
    let fw = rules.firewall.as_ref();
    let iface = |a: IpAddr| {
        fw.and_then(|_| p.zone_of(a))
            .and_then(|z| rules.zones.iter().find(|zi| p.zones[z].name.is(&zi.name)))
            .and_then(|zi| zi.iface.clone())
    };

    let probes = probes();
    let got = run_probes(t, &probes);
    let mut failures = Vec::new();
    let mut allowed = 0u64;
    let mut attributed: BTreeMap<String, u64> = BTreeMap::new();
    for (pr, got) in probes.iter().zip(&got) {
        let want = conduitc::decide(p, &pr.packet(), opts).unwrap();
        let expect = if want.allowed() { "open" } else { "timeout" };
        let (iif, oif) = (iface(pr.src), iface(pr.dst));
        let verdict = eval.eval(&pr.packet(), iif.as_deref(), oif.as_deref());
        assert_eq!(verdict.accept, want.allowed(), "evaluator on {pr:?}");
        if want.allowed() {
            allowed += 1;
            *attributed.entry(verdict.rule.unwrap()).or_default() += 1;
        }
        if got != expect {
            failures.push(format!(
                "{} {} -> {} {}: expected {expect} ({:?}), got {got}",
                pr.proto, pr.src, pr.dst, pr.arg, want.flow
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{target:?} {opts:?}: kernel disagrees with the policy:\n{}\n{config}",
        failures.join("\n")
    );
    assert!(allowed >= 3 && allowed < probes.len() as u64);

    // The kernel's view, read back through the nftables crate's types.
    let listing = t.router.sh(&["nft", "-j", "list", "ruleset"]);
    let doc: Nftables = serde_json::from_str(&listing)
        .unwrap_or_else(|e| panic!("nftables crate cannot read the listing: {e}\n{listing}"));
    let mut tables = 0;
    let mut counted: BTreeMap<String, u64> = BTreeMap::new();
    let mut drop_count = 0u64;
    for obj in doc.objects.iter() {
        let NfObject::ListObject(obj) = obj else {
            continue;
        };
        match obj {
            NfListObject::Table(tb) if tb.name == "conduit" => tables += 1,
            NfListObject::Rule(r) => {
                let packets: u64 = r
                    .expr
                    .iter()
                    .filter_map(|s| match s {
                        Statement::Counter(Counter::Anonymous(Some(c))) => {
                            c.packets.map(|n| n as u64)
                        }
                        _ => None,
                    })
                    .sum();
                let comment = r.comment.as_deref().unwrap_or("");
                if comment.ends_with("/*") {
                    assert!(
                        r.expr.iter().any(|s| matches!(s, Statement::Log(Some(_)))),
                        "monitor catch-all {comment} does not log in the kernel"
                    );
                }
                if comment == "conduit default deny" {
                    drop_count += packets;
                } else if comment.contains('/') {
                    *counted.entry(comment.to_string()).or_default() += packets;
                }
            }
            _ => {}
        }
    }
    assert_eq!(tables, 1, "table inet conduit missing from the listing");
    for r in &rules.rules {
        assert!(
            counted.contains_key(r.name.as_str()),
            "rule {} missing from the kernel",
            r.name
        );
    }
    // Each admitted connection's first packet is counted by the rule that
    // admitted it (a retransmitted SYN is still `new`, so at least once);
    // replies pass as established and are not counted; a rule that should
    // have admitted nothing counted nothing.
    for (rule, n) in &counted {
        let want = attributed.get(rule).copied().unwrap_or(0);
        assert!(
            (*n >= want) && ((*n == 0) == (want == 0)),
            "{target:?} {opts:?}: rule {rule} counted {n}, admitted {want} probes; {counted:?}"
        );
    }
    assert!(drop_count >= probes.len() as u64 - allowed);
}

#[test]
fn kernel_passes_exactly_the_declared_flows() {
    let t = setup();
    let p = sample::policy();
    let today = sample::today();
    let fw = BuildOptions::new(today).firewall("plant-fw");
    exercise(&t, &p, &BuildOptions::new(today), Target::Nftables);
    exercise(&t, &p, &fw, Target::Nftables);
    exercise(&t, &p, &fw, Target::NftablesJson);
    let island = fw.clone().isolation("cut-dmz");
    exercise(&t, &p, &island, Target::NftablesJson);
}

#[test]
fn a_rejected_file_leaves_the_previous_ruleset_in_place() {
    let ns = Netns::new("keep");
    let p = sample::policy();
    let rules = lower(&p, &BuildOptions::new(sample::today())).unwrap();
    let good = backend::emit(&rules, Target::Nftables).unwrap();
    ns.nft_stdin(&[], &good).unwrap();
    let before = ns.sh(&["nft", "list", "ruleset"]);
    let bad = good.replacen("tcp dport 5450", "tcp dport 70000", 1);
    assert_ne!(bad, good);
    assert!(ns.nft_stdin(&[], &bad).is_err());
    assert_eq!(ns.sh(&["nft", "list", "ruleset"]), before);
}

#[test]
fn conntrack_passes_only_icmp_that_opens_a_connection() {
    // A flow declaring an ICMP timestamp request and an echo reply: the
    // request opens a connection and is answered; an unsolicited echo reply
    // is `ct state invalid` and never reaches the host, though `decide`
    // (which judges addresses and types only) allows it. The evaluator's
    // conntrack model must agree with the kernel on both.
    let t = setup();
    let mut p = sample::policy();
    let flow = &mut p.conduits[0].flows[1];
    assert_eq!(flow.full_name, "supervisory-control/ping-plcs");
    flow.services.icmp = [0u8, 13].into_iter().collect();
    let opts = BuildOptions::new(sample::today());
    let rules = lower(&p, &opts).unwrap();
    let text = backend::emit(&rules, Target::Nftables).unwrap();
    t.router.nft_stdin(&[], &text).unwrap();
    let eval = nft_eval::parse(&text).unwrap();

    let (scada, plc2) = (host("scada", false), host("plc2", false));
    let dst_ns = zone_ns(&t, plc2);
    let mut sniffer = Procs(vec![dst_ns
        .cmd("python3")
        .args(["-c", SNIFFER])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()]);
    let mut reader = BufReader::new(sniffer.0[0].stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");

    let probe = |ty: u16| Probe {
        proto: "icmp",
        src: scada,
        dst: plc2,
        arg: ty,
    };
    let results = run_probes(&t, &[probe(13), probe(0)]);
    assert_eq!(results, ["open", "sent"]);
    line.clear();
    reader.read_line(&mut line).unwrap();
    let seen: Vec<(String, u8)> = serde_json::from_str(&line).unwrap();
    let from_scada: Vec<u8> = seen
        .iter()
        .filter(|(a, _)| *a == scada.to_string())
        .map(|&(_, ty)| ty)
        .collect();
    assert!(from_scada.contains(&13), "{seen:?}");
    assert!(
        !from_scada.contains(&0),
        "unsolicited echo reply passed: {seen:?}"
    );

    for (ty, kernel_passes) in [(13u16, true), (0, false)] {
        let pkt = probe(ty).packet();
        assert!(conduitc::decide(&p, &pkt, &opts).unwrap().allowed());
        assert_eq!(
            eval.eval(&pkt, None, None).accept,
            kernel_passes,
            "type {ty}"
        );
        assert_eq!(nft_eval::opens_connection(&pkt), kernel_passes, "type {ty}");
    }
}
