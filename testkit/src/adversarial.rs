//! Policies built to make the checker's pairwise steps crawl: flows whose
//! sets nest in each other (the redundant-flow lint, `W105`) and thousands
//! of unknown names next to thousands of declared ones ("did you mean").
//! Also `diff` of nested port ranges (`nested_ranges`). Shared by the
//! benches and the integration tests;
//! every text checks against 2026-12-01 with the findings each function
//! describes.
#![allow(dead_code, reason = "each user takes what it needs")]

use std::fmt::Write as _;

const HEAD: &str = "owner o { contact \"c\" }\n";

/// Two zones `a` and `b` and a conduit between them, left open for flows.
fn two_zones_open(hosts: usize) -> String {
    let mut s = String::from(HEAD);
    for (z, net) in [("a", 10), ("b", 11)] {
        let _ = writeln!(
            s,
            "zone {z} {{\n  level 2\n  owner o\n  networks {net}.0.0.0/8"
        );
        for i in 0..hosts {
            let _ = writeln!(s, "  host h{i} = {net}.0.{}.{}", i >> 8, i & 255);
        }
        s.push_str("}\n");
    }
    s.push_str("conduit ab {\n  zones a, b\n  owner o\n  waive W103 \"test\"\n");
    s
}

/// `n` flows from zone `a` to zone `b` whose services nest: flow `f{i}`
/// admits a TCP port range that grows with `i` and every UDP port of a
/// shared `k`-part service, so each flow is covered by the next one and
/// every comparison of two services walks `k` ranges. `W105` reports `f0`
/// to `f{n-2}`, each covered by the flow after it. About 60 bytes a flow.
pub fn nested_services(n: usize, k: usize) -> String {
    let mut s = String::from(HEAD);
    let parts: Vec<String> = (0..k).map(|j| format!("udp/{}", 2 * j + 1)).collect();
    let _ = writeln!(s, "service common = {}", parts.join(", "));
    let mut s = s + &two_zones_open(0)[HEAD.len()..];
    for i in 0..n {
        let _ = writeln!(
            s,
            "  flow f{i} {{ from a to b service common, tcp/{}-{} reason \"r\" }}",
            32768 - i,
            32768 + i
        );
    }
    s.push_str("}\n");
    s
}

/// `n` flows from zone `a` to zone `b`, each a TCP port range of the same
/// width that overlaps its neighbours' but lies inside none of them (and
/// the shared `k`-part UDP service): no flow is redundant.
pub fn sliding_services(n: usize, k: usize) -> String {
    let mut s = String::from(HEAD);
    let parts: Vec<String> = (0..k).map(|j| format!("udp/{}", 2 * j + 1)).collect();
    let _ = writeln!(s, "service common = {}", parts.join(", "));
    let mut s = s + &two_zones_open(0)[HEAD.len()..];
    for i in 0..n {
        let _ = writeln!(
            s,
            "  flow f{i} {{ from a to b service common, tcp/{}-{} reason \"r\" }}",
            1 + i,
            1 + i + n
        );
    }
    s.push_str("}\n");
    s
}

/// `n` flows between hosts of zones `a` and `b` (`n` hosts each) whose
/// sources, destinations and services all span the same hulls but of which
/// none contains another: flow `f{i}` goes from `a.h0`, `a.h{i}` and
/// `a.h{n-1}` to the same hosts of `b`, on TCP ports 1, `i + 2` and 65535.
/// No flow is redundant.
pub fn wide_hulls(n: usize) -> String {
    let mut s = two_zones_open(n);
    let last = n - 1;
    for i in 1..last {
        let _ = writeln!(
            s,
            "  flow f{i} {{ from a.h0, a.h{i}, a.h{last} to b.h0, b.h{i}, b.h{last} service tcp/1, tcp/{}, tcp/65535 reason \"r\" }}",
            i + 2
        );
    }
    s.push_str("}\n");
    s
}

/// A zone of `n` hosts named `host-000000`, ... and, for each, a reference
/// to a misspelt name (`hots-000000`, ...): `n` in a group of the zone and
/// `n` in flows (as sources and as zones). Every one is an unknown name
/// (`E202`) with a "did you mean" the same distance from thousands of
/// declared names.
pub fn unknown_names(n: usize) -> String {
    let mut s = String::from(HEAD);
    s.push_str("zone a {\n  level 2\n  owner o\n  networks 10.0.0.0/8\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "  host host-{i:06} = 10.{}.{}.{}",
            i >> 16,
            (i >> 8) & 255,
            i & 255
        );
    }
    let wrong: Vec<String> = (0..n).map(|i| format!("hots-{i:06}")).collect();
    let _ = writeln!(s, "  group typos = {}\n}}", wrong.join(", "));
    s.push_str("zone b { level 2 owner o networks 11.0.0.0/8 host m = 11.0.0.1 }\n");
    s.push_str("conduit ab {\n  zones a, b\n  owner o\n");
    for (i, w) in wrong.iter().enumerate() {
        let _ = writeln!(
            s,
            "  flow f{i} {{ from a.{w} to b.m service tcp/1 reason \"r\" }}"
        );
    }
    s.push_str("}\n");
    s
}

/// `n` zones named `zone-000000`, ... and `n` conduits naming each of them
/// misspelt (`zoen-000000`): `2n` unknown zones (`E202`), each a "did you
/// mean" among `n` zone names of the same length.
pub fn unknown_zones(n: usize) -> String {
    let mut s = String::from(HEAD);
    for i in 0..n {
        let _ = writeln!(
            s,
            "zone zone-{i:06} {{ level 2 owner o networks 10.{}.{}.0/24 }}",
            i >> 8,
            i & 255
        );
    }
    for i in 0..n {
        let _ = writeln!(
            s,
            "conduit c{i} {{ zones zoen-{i:06}, zone-{:06}x owner o }}",
            (i + 1) % n
        );
    }
    s
}

/// The policy of [`shared_service`] and [`diverging_services`] in two files
/// (declarations, then the conduit), as one file would be over 4 MiB: a
/// service `big` of `k` separate TCP ports (20001, 20003, ...), zone `a` with
/// `n` hosts, zone `b` with one host `s`, and `n` flows `ab/f{i}` from
/// `a.h{i}` to `b.s`, each naming `big` and the services `extra(i)` gives.
fn big_service_flows(n: usize, k: usize, extra: impl Fn(usize) -> String) -> [String; 2] {
    let mut decls = String::from(HEAD);
    let ports: Vec<String> = (0..k).map(|i| format!("tcp/{}", 20_001 + 2 * i)).collect();
    let _ = writeln!(decls, "service big = {}", ports.join(", "));
    decls.push_str("zone a {\n  level 2\n  owner o\n  networks 10.0.0.0/8\n");
    for i in 0..n {
        let _ = writeln!(
            decls,
            "  host h{i} = 10.{}.{}.{}",
            i >> 16,
            (i >> 8) & 255,
            i & 255
        );
    }
    decls.push_str("}\nzone b { level 2 owner o networks 11.0.0.0/8 host s = 11.0.0.1 }\n");
    let mut flows = String::from("conduit ab {\n  zones a, b\n  owner o\n");
    for i in 0..n {
        let _ = writeln!(
            flows,
            "  flow f{i} {{ from a.h{i} to b.s service big{} reason \"r\" }}",
            extra(i)
        );
    }
    flows.push_str("}\n");
    [decls, flows]
}

/// `n` flows, each from its own host, all naming one service of `k` TCP
/// ports and nothing else: the flows share one copy of the ports, and the
/// policy checks without findings. See [`big_service_flows`].
pub fn shared_service(n: usize, k: usize) -> [String; 2] {
    big_service_flows(n, k, |_| String::new())
}

/// As [`shared_service`], but flow `f{i}` also names port `40001 + i`, so
/// every flow's service set is distinct (`k + 1` ranges). With `k` = 10,000
/// the sets pass `MAX_EXPANDED_RANGES` at flow `f999`: `E012`. Expanded
/// without sharing or a limit, 20,000 such flows hold 200 million ranges.
pub fn diverging_services(n: usize, k: usize) -> [String; 2] {
    big_service_flows(n, k, |i| format!(", tcp/{}", 40_001 + i))
}

/// Two zones of `n` hosts; host `i` may open any TCP port on host `i` of
/// the other zone, and the whole first zone may reach host `i + shift` on
/// TCP ports `lo-(1000+i)`.
pub fn nested_ranges(n: usize, lo: u16, shift: usize) -> String {
    let mut s = String::from("owner ops {\n  contact \"ops@example.com\"\n}\n\n");
    for z in 0..2 {
        let _ = write!(
            s,
            "zone z{z} {{\n  level 2\n  owner ops\n  networks 10.{z}.0.0/16\n"
        );
        for i in 0..n {
            let _ = writeln!(s, "  host h{i} = 10.{z}.{}.{}", i / 250, i % 250 + 1);
        }
        s.push_str("}\n\n");
    }
    s.push_str("conduit c {\n  zones z0, z1\n  owner ops\n");
    for i in 0..n {
        let _ = write!(
            s,
            "  flow a{i} {{\n    from z0.h{i}\n    to z1.h{i}\n    service tcp/1-65535\n    reason \"r\"\n  }}\n"
        );
        let _ = write!(
            s,
            "  flow w{i} {{\n    from z0\n    to z1.h{}\n    service tcp/{lo}-{}\n    reason \"r\"\n  }}\n",
            (i + shift) % n,
            1000 + i
        );
    }
    s.push_str("}\n");
    s
}

/// One flow between two groups of 160 scattered hosts on 20 TCP ports:
/// 512,000 entries in an IOS list, flat or expanded from object groups,
/// far over the budget (`E606`, naming `ab/wide`).
pub fn hosts_by_hosts() -> String {
    let mut s = String::from(HEAD);
    for (zone, net) in [("a", 1), ("b", 2)] {
        let members: Vec<String> = (0..160)
            .map(|i| format!("10.{net}.{}.{}", i / 100, 1 + 2 * (i % 100)))
            .collect();
        let _ = writeln!(
            s,
            "zone {zone} {{ level 2 owner o networks 10.{net}.0.0/16\n  group g = {} }}",
            members.join(", ")
        );
    }
    let svc: Vec<String> = (0..20).map(|i| format!("tcp/{}", 1000 + 2 * i)).collect();
    let _ = writeln!(
        s,
        "conduit ab {{ zones a, b owner o\n  flow wide {{ from a.g to b.g service {} reason \"r\" }} }}",
        svc.join(", ")
    );
    s
}
