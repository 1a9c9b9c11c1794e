//! Input limits and adversarial inputs: each documented limit is enforced
//! with its code at the right place, just under it the policy is accepted,
//! and inputs built to make a quadratic algorithm crawl (a zone with
//! 100,000 hosts, 10,000 flows between two zones, thousands of overlapping
//! prefixes, services composed a thousand deep, flows whose sets nest in
//! each other, thousands of misspelt names) check and lower in a few
//! seconds at most. No timing is asserted: a regression to quadratic time
//! shows up as a test that takes minutes.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use conduitc::backend::{emit, Target};
use conduitc::limits::*;
use conduitc::model::Date;
use conduitc::{check, lower, BuildOptions, CheckOptions, Checked, Code, RuleSet, Sources};

fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

/// Every backend's text for `rules`; each must name the flow given. The
/// IOS lists of these inputs are over their entry budget: that backend
/// must refuse them with `E606`, naming the flow.
fn emit_all(rules: &RuleSet, flow: &str) {
    for t in Target::ALL {
        let start = std::time::Instant::now();
        let got = emit(rules, t);
        if t == Target::CiscoIos {
            let e = got.expect_err("the IOS list is over its budget");
            assert_eq!(e.code(), Code::IosAclTooLarge, "{e}");
            eprintln!("{t:?}: refused in {:?}", start.elapsed());
            continue;
        }
        let text = got.unwrap_or_else(|e| panic!("{t:?}: {e}"));
        eprintln!("{t:?}: {} bytes in {:?}", text.len(), start.elapsed());
        assert!(text.contains(flow), "{t:?} does not name {flow}");
    }
}

fn check_text(text: &str) -> (Sources, Checked) {
    let sources = Sources::from_memory("big.conduit", text);
    let checked = check(&sources, &CheckOptions::new(today()));
    (sources, checked)
}

/// The text of the line a diagnostic's primary span starts on.
fn line_of(sources: &Sources, checked: &Checked, code: Code) -> String {
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code}: {:?}", checked.diagnostics.codes()));
    let (line, _) = sources.line_col(d.primary.span.file, d.primary.span.start);
    let text = sources.get(d.primary.span.file).unwrap().text();
    text.lines().nth(line - 1).unwrap().to_string()
}

const HEAD: &str = "owner o { contact \"c\" }\n";

fn two_zones(hosts_per_zone: usize) -> String {
    let mut s = String::from(HEAD);
    for (z, net) in [("a", 10), ("b", 11)] {
        let _ = writeln!(
            s,
            "zone {z} {{\n  level 2\n  owner o\n  networks {net}.0.0.0/8, 2001:db8:{net}::/48"
        );
        for i in 0..hosts_per_zone {
            let _ = writeln!(s, "  host h{i} = {net}.0.{}.{}", i >> 8, i & 255);
        }
        s.push_str("}\n");
    }
    s
}

#[test]
fn a_zone_with_100000_hosts_checks_and_lowers() {
    let mut s = String::from(HEAD);
    s.push_str("zone big {\n  level 1\n  owner o\n  networks 10.0.0.0/8\n");
    for i in 0..MAX_ZONE_MEMBERS - 1 {
        let _ = writeln!(
            s,
            "  host h{i} = 10.{}.{}.{}",
            i >> 16,
            (i >> 8) & 255,
            i & 255
        );
    }
    let members: Vec<String> = (0..MAX_LIST_ITEMS).map(|i| format!("h{}", i * 9)).collect();
    let _ = writeln!(s, "  group many = {}\n}}", members.join(", "));
    s.push_str("zone scada { level 2 owner o networks 11.200.0.0/16 host m = 11.200.0.1 }\n");
    s.push_str(
        "conduit c { zones scada, big owner o\n  flow poll { from scada.m to big.many, big.h99998 service modbus reason \"polling\" } }\n",
    );
    let (_, checked) = check_text(&s);
    let policy = checked
        .policy
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics.codes()));
    assert_eq!(policy.zones[0].hosts.len(), MAX_ZONE_MEMBERS - 1);
    let rules = lower(&policy, &BuildOptions::new(today())).unwrap();
    assert!(!rules.rules.is_empty());
    emit_all(&rules, "c/poll");

    // One more host or group is over the limit, reported on that member.
    let over = s.replacen(
        "  group many",
        "  host one-too-many = 10.255.255.255\n  group many",
        1,
    );
    let (sources, checked) = check_text(&over);
    assert!(checked.policy.is_none());
    assert_eq!(checked.diagnostics.codes(), [Code::ZoneTooLarge]);
    assert!(line_of(&sources, &checked, Code::ZoneTooLarge).starts_with("  group many ="));
}

#[test]
fn ten_thousand_flows_between_two_zones_check() {
    const N: usize = 10_000;
    // Host to host, each flow its own pair: nothing is redundant.
    let mut s = two_zones(N);
    s.push_str("conduit ab {\n  zones a, b\n  owner o\n");
    for i in 0..N {
        let _ = writeln!(
            s,
            "  flow f{i} {{ from a.h{i} to b.h{i} service tcp/{} reason \"polling\" }}",
            1 + i % 1000
        );
    }
    // Zone to zone with one port each, and three that repeat earlier ones.
    s.push_str("}\nconduit ba {\n  zones b, a\n  owner o\n  waive W103 \"test\"\n");
    for i in 0..N {
        let _ = writeln!(
            s,
            "  flow g{i} {{ from b to a service udp/{} reason \"polling\" }}",
            1 + i
        );
    }
    s.push_str("  flow dup-a { from b.h1 to a.h2 service udp/1 reason \"polling\" }\n");
    s.push_str("  flow dup-b { from b to a service udp/5000 reason \"polling\" }\n");
    s.push_str("  flow dup-c { from b to a service udp/9999-10000 reason \"polling\" }\n}\n");
    let (_, checked) = check_text(&s);
    let mut redundant: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::RedundantFlow)
        .map(|d| d.message.as_str())
        .collect();
    redundant.sort_unstable();
    assert_eq!(
        redundant,
        [
            "flow `ba/dup-a` is fully covered by flow `ba/g0`",
            "flow `ba/dup-b` is fully covered by flow `ba/g4999`",
            "flow `ba/g9998` is fully covered by flow `ba/dup-c`",
            "flow `ba/g9999` is fully covered by flow `ba/dup-c`",
        ],
        "{:?}",
        checked.diagnostics.codes()
    );
    let policy = checked.policy.unwrap();
    assert_eq!(policy.flows().count(), 2 * N + 3);
    let rules = lower(&policy, &BuildOptions::new(today())).unwrap();
    assert!(rules.rules.len() >= 2 * N);
    emit_all(&rules, "ab/f9999");
}

#[test]
fn ten_thousand_identical_flows_are_all_but_one_redundant() {
    const N: usize = 10_000;
    let mut s = two_zones(1);
    s.push_str("conduit ab {\n  zones a, b\n  owner o\n");
    for i in 0..N {
        // Later ones last longer, so each is covered by the next (a chain)
        // except where the expiry repeats.
        let _ = writeln!(
            s,
            "  flow f{i} {{ from a.h0 to b.h0 service modbus reason \"polling\" expires 2027-01-{:02} }}",
            1 + i % 28
        );
    }
    s.push_str("}\n");
    let (_, checked) = check_text(&s);
    let n = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::RedundantFlow)
        .count();
    // Every flow but the first one expiring on the 28th is redundant.
    assert_eq!(n, N - 1);
    assert!(checked.policy.is_some());
}

#[test]
fn thousands_of_overlapping_prefixes_are_reported_without_crawling() {
    // 3,000 zones, each with a prefix that overlaps its neighbours' and one
    // that nests inside a shared /8; plus one zone with 5,000 overlapping
    // prefixes of its own, which is allowed.
    let mut s = String::from(HEAD);
    for z in 0..3000u32 {
        let _ = writeln!(
            s,
            "zone z{z} {{ level 1 owner o networks 10.{}.{}.0/24, 172.16.{}.0/23 }}",
            z / 256,
            z % 256,
            (z % 128) * 2
        );
    }
    let _ = writeln!(s, "zone wide {{ level 1 owner o networks 10.0.0.0/8 }}");
    let nets: Vec<String> = (0..5000u32)
        .map(|i| format!("192.168.{}.0/{}", i % 256, 24 - (i % 8)))
        .map(|n| {
            let net: ipnet::Ipv4Net = n.parse().unwrap();
            net.trunc().to_string()
        })
        .collect();
    let _ = writeln!(
        s,
        "zone own {{ level 1 owner o networks {} }}",
        nets.join(", ")
    );
    let (_, checked) = check_text(&s);
    assert!(checked.policy.is_none());
    let overlaps = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::OverlappingNetworks)
        .count();
    // Every zone overlaps `wide`, and the 172.16 prefixes repeat every 128 zones.
    assert!(overlaps >= 3000, "{overlaps}");
    assert_eq!(
        checked
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("zone `own`"))
            .count(),
        0
    );
}

fn service_chain(depth: usize) -> String {
    let mut s = String::from(HEAD);
    s.push_str("zone a { level 1 owner o networks 10.0.0.0/8 }\nzone b { level 3 owner o networks 11.0.0.0/8 }\n");
    s.push_str("service svc1 = tcp/101\n");
    for i in 2..=depth {
        let _ = writeln!(s, "service svc{i} = svc{}, tcp/{}", i - 1, 100 + i);
    }
    let _ = writeln!(
        s,
        "conduit ab {{ zones a, b owner o flow f {{ from a to b service svc{depth} reason \"polling\" waive W103 \"test\" }} }}"
    );
    s
}

#[test]
fn services_composed_a_thousand_deep_are_one_clear_error() {
    let (sources, checked) = check_text(&service_chain(1000));
    assert_eq!(checked.diagnostics.codes(), [Code::ServiceTooDeep]);
    assert!(line_of(&sources, &checked, Code::ServiceTooDeep)
        .starts_with(&format!("service svc{} =", MAX_SERVICE_DEPTH + 1)));
    // At the limit, the composition is flattened.
    let (_, checked) = check_text(&service_chain(MAX_SERVICE_DEPTH));
    let policy = checked.policy.unwrap();
    let flow = policy.flows().next().unwrap().1;
    assert_eq!(
        flow.services.tcp.to_string(),
        format!("101-{}", 100 + MAX_SERVICE_DEPTH)
    );
}

#[test]
fn a_service_cycle_a_thousand_long_is_reported_briefly() {
    let mut s = service_chain(10);
    for i in 11..=1000 {
        let _ = writeln!(s, "service svc{i} = svc{}", i - 1);
    }
    s = s.replace("service svc1 = tcp/101", "service svc1 = svc1000");
    let (_, checked) = check_text(&s);
    let cycle: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::ServiceCycle)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(cycle.len(), 1, "{cycle:?}");
    assert!(cycle[0].contains("… 994 more …"), "{}", cycle[0]);
    assert!(cycle[0].len() < 200, "{}", cycle[0]);
}

#[test]
fn lists_over_the_limit_are_reported_at_the_first_item_too_many() {
    let nets = |n: usize| -> String {
        (0..n)
            .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
            .collect::<Vec<_>>()
            .join(",\n  ")
    };
    let at_limit = format!(
        "{HEAD}zone z {{ level 1 owner o networks {} }}\n",
        nets(MAX_LIST_ITEMS)
    );
    let (_, checked) = check_text(&at_limit);
    assert!(
        checked.policy.is_some(),
        "{:?}",
        checked.diagnostics.codes()
    );
    let over = format!(
        "{HEAD}zone z {{ level 1 owner o networks {} }}\n",
        nets(MAX_LIST_ITEMS + 1)
    );
    let (sources, checked) = check_text(&over);
    assert_eq!(checked.diagnostics.codes(), [Code::ListTooLong]);
    assert_eq!(
        line_of(&sources, &checked, Code::ListTooLong).trim(),
        format!(
            "10.{}.{}.0/24 }}",
            MAX_LIST_ITEMS / 256,
            MAX_LIST_ITEMS % 256
        )
    );
    // The same for a service declaration's parts.
    let parts: Vec<String> = (1..=MAX_LIST_ITEMS + 1)
        .map(|p| format!("tcp/{p}"))
        .collect();
    let svc = format!(
        "{HEAD}zone z {{ level 1 owner o networks any }}\nservice s = {}\n",
        parts.join(", ")
    );
    let (_, checked) = check_text(&svc);
    assert_eq!(checked.diagnostics.codes(), [Code::ListTooLong]);
}

/// A plant in the shape of the `check` bench's generated policy: `zones`
/// zones of 20 hosts in a ring of conduits, `flows` host-to-host flows in
/// all, in one file.
fn ring_plant(zones: usize, flows: usize) -> String {
    let mut s = String::from("owner ops {\n  contact \"ot@example.com\"\n}\n\n");
    for z in 0..zones {
        let _ = writeln!(
            s,
            "zone z{z} {{\n  level {}\n  owner ops\n  description \"Generated zone {z}\"\n  networks 10.{}.{}.0/24",
            1 + z % 3,
            z / 250,
            z % 250
        );
        for h in 0..20 {
            let _ = writeln!(s, "  host h{h} = 10.{}.{}.{}", z / 250, z % 250, h + 1);
        }
        s.push_str("}\n\n");
    }
    let per = flows.div_ceil(zones);
    let mut made = 0;
    for c in 0..zones {
        let (x, y) = (c, (c + 1) % zones);
        let _ = writeln!(s, "conduit c{c} {{\n  zones z{x}, z{y}\n  owner ops");
        for f in 0..per.min(flows - made) {
            made += 1;
            let _ = writeln!(
                s,
                "  flow f{f} {{\n    from z{x}.h{}\n    to z{y}.h{}\n    service tcp/{}\n    reason \"generated flow {f}\"\n  }}",
                f % 20,
                (f / 20) % 20,
                1000 + f
            );
        }
        s.push_str("}\n\n");
    }
    s
}

/// Declarations and flows of a [`ring_plant`]: the owner, the zones, the
/// conduits and the flows.
fn ring_plant_declarations(zones: usize, flows: usize) -> usize {
    1 + 2 * zones + flows
}

#[test]
fn the_default_limits_hold_a_policy_of_100000_flows_in_one_file() {
    // Measured on 2,000 flows over 20 zones, scaled to 100,000 flows over
    // 1,000 zones (the shape of `ZONES=1000 FLOWS=100000 cargo bench
    // --bench check`, 17.5 MiB in one file), with room for twice the text.
    let (zones, flows) = (20, 2_000);
    let small = ring_plant(zones, flows);
    let (_, checked) = check_text(&small);
    assert!(
        checked.diagnostics.is_empty(),
        "{:?}",
        checked.diagnostics.codes()
    );
    assert_eq!(checked.policy.unwrap().flows().count(), flows);
    let scaled = small.len() as u64 * 50;
    assert!(scaled > 8 * 1024 * 1024, "{scaled} bytes");
    assert!(2 * scaled < MAX_FILE_BYTES, "{scaled} bytes");
    assert!(2 * scaled < MAX_POLICY_BYTES, "{scaled} bytes");
    assert!(ring_plant_declarations(1_000, 100_000) < MAX_DECLARATIONS);
    let d = Limits::default();
    assert_eq!(
        (d.file_bytes(), d.policy_bytes(), d.declarations()),
        (MAX_FILE_BYTES, MAX_POLICY_BYTES, MAX_DECLARATIONS)
    );
}

#[test]
fn a_policy_at_its_configured_limits_checks_and_one_over_is_refused() {
    let (zones, flows) = (10, 1_000);
    let text = ring_plant(zones, flows);
    let size = text.len() as u64;
    let decls = ring_plant_declarations(zones, flows);
    let at = Limits::default()
        .max_file_bytes(size)
        .max_policy_bytes(size)
        .max_declarations(decls);
    let load = |limits: Limits| {
        let mut sources = Sources::with_limits(limits);
        sources.add_memory("plant.conduit", text.as_str());
        let checked = check(&sources, &CheckOptions::new(today()).with_limits(limits));
        (sources, checked)
    };
    let (_, checked) = load(at);
    assert!(
        checked.diagnostics.is_empty(),
        "{:?}",
        checked.diagnostics.codes()
    );
    assert_eq!(checked.policy.unwrap().flows().count(), flows);

    // One byte less for the file: E003 on the file, which is not parsed.
    let (sources, checked) = load(at.max_file_bytes(size - 1));
    assert_eq!(checked.diagnostics.codes(), [Code::FileTooLarge]);
    let d = checked.diagnostics.iter().next().unwrap();
    assert_eq!(sources.name(d.primary.span.file), "plant.conduit");
    assert_eq!((d.primary.span.start, d.primary.span.end), (0, 0));
    assert_eq!(
        d.message,
        format!(
            "the file is {size} bytes, over the limit of {} bytes",
            size - 1
        )
    );
    // One byte less for the policy: E005.
    let (_, checked) = load(at.max_policy_bytes(size - 1));
    assert_eq!(checked.diagnostics.codes(), [Code::PolicyTooLarge]);
    // One declaration less: E006 on the last flow of the last conduit.
    let (sources, checked) = load(at.max_declarations(decls - 1));
    assert_eq!(checked.diagnostics.codes(), [Code::TooManyDeclarations]);
    assert_eq!(
        line_of(&sources, &checked, Code::TooManyDeclarations).trim(),
        "flow f99 {"
    );
    let d = checked.diagnostics.iter().next().unwrap();
    assert_eq!(
        d.message,
        format!(
            "the policy has {decls} declarations and flows, over the limit of {}",
            decls - 1
        )
    );
    // A limit in whole KiB is also shown in KiB.
    let (_, checked) = load(at.max_policy_bytes(16 * 1024));
    let d = checked.diagnostics.iter().next().unwrap();
    assert!(
        d.message
            .ends_with("over the limit of 16384 bytes (16 KiB) for all files together"),
        "{}",
        d.message
    );
}

#[test]
fn more_declarations_than_the_limit_stop_the_check() {
    // Under a limit of 5,000 declarations, counted as the default is.
    const LIMIT: usize = 5_000;
    let opts = CheckOptions::new(today()).with_limits(Limits::default().max_declarations(LIMIT));
    let mut s = String::from(HEAD);
    s.push_str("zone z { level 1 owner o networks any }\n");
    // The owner and the zone count too.
    for i in 0..LIMIT - 2 {
        let _ = writeln!(s, "service s{i} = tcp/{}", 1 + i % 60000);
    }
    let sources = Sources::from_memory("big.conduit", s.as_str());
    let checked = check(&sources, &opts);
    assert!(
        !checked.diagnostics.contains(Code::TooManyDeclarations),
        "{:?}",
        checked.diagnostics.codes()
    );
    s.push_str("service one-too-many = tcp/1\n");
    let sources = Sources::from_memory("big.conduit", s.as_str());
    let checked = check(&sources, &opts);
    assert_eq!(checked.diagnostics.codes(), [Code::TooManyDeclarations]);
    assert_eq!(
        line_of(&sources, &checked, Code::TooManyDeclarations),
        "service one-too-many = tcp/1"
    );
    // Under the default limit, the same policy checks.
    let (_, checked) = check_text(&s);
    assert!(!checked.diagnostics.contains(Code::TooManyDeclarations));
}

#[test]
fn a_policy_over_the_total_size_limit_is_not_read_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    // Files of 300,000 bytes of comments under a limit of 1,600,000 bytes:
    // the sixth crosses it, and the seventh is not read at all.
    const LIMIT: u64 = 1_600_000;
    let line = format!("# {}\n", "x".repeat(97));
    let file = line.repeat(3_000);
    for i in 1..=7 {
        fs::write(dir.path().join(format!("p{i}.conduit")), &file).unwrap();
    }
    fs::write(
        dir.path().join("p0.conduit"),
        "zone z { level 1 owner o networks any }\n",
    )
    .unwrap();
    let limits = Limits::default().max_policy_bytes(LIMIT);
    let sources = Sources::load_with_limits(&[dir.path()], limits).unwrap();
    let read: u64 = sources.iter().map(|(_, f)| f.text().len() as u64).sum();
    assert!(read <= LIMIT);
    let checked = check(&sources, &CheckOptions::new(today()).with_limits(limits));
    assert_eq!(checked.diagnostics.codes(), [Code::PolicyTooLarge]);
    let d = checked.diagnostics.iter().next().unwrap();
    assert!(sources.name(d.primary.span.file).ends_with("p6.conduit"));
    assert_eq!(
        d.message,
        "this file takes the policy over the limit of 1600000 bytes for all files together"
    );
    let last = sources.iter().last().unwrap().1;
    assert!(last.name().ends_with("p7.conduit") && last.text().is_empty());
    // Under the default limit, every file is read.
    let sources = Sources::load(&[dir.path()]).unwrap();
    assert!(sources.iter().all(|(_, f)| f.issue().is_none()));
}

/// The binary with `--max-file-bytes`, `--max-policy-bytes` and
/// `--max-declarations`: each refuses a policy over it with its code and
/// location, on every command that reads a policy.
#[test]
fn the_command_line_sets_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let text = ring_plant(4, 40);
    let path = dir.path().join("plant.conduit");
    fs::write(&path, &text).unwrap();
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_conduitc"))
            .args(args)
            .args(["--color", "never"])
            .arg(&path)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let size = text.len().to_string();
    let (code, err) = run(&[
        "check",
        "--today",
        "2026-12-01",
        "--max-file-bytes",
        &size,
        "--max-policy-bytes",
        &size,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run(&["check", "--today", "2026-12-01", "--max-declarations", "49"]);
    assert_eq!(code, Some(0), "{err}");

    let small = (text.len() - 1).to_string();
    let (code, err) = run(&["check", "--max-file-bytes", &small]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error[E003]: the file is {} bytes, over the limit of {small} bytes",
            text.len()
        )),
        "{err}"
    );
    assert!(err.contains("plant.conduit:1:1"), "{err}");
    let (code, err) = run(&[
        "build",
        "--target",
        "nftables",
        "--max-policy-bytes",
        "1KiB",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(
            "error[E005]: this file takes the policy over the limit of 1024 bytes (1 KiB)"
        ),
        "{err}"
    );
    let (code, err) = run(&["graph", "--max-declarations", "48"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("error[E006]: the policy has 49 declarations and flows, over the limit of 48"),
        "{err}"
    );
    // The global options may come before the command too.
    let (code, err) = run(&["--max-file-bytes", "100", "fmt", "--check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("error[E003]"), "{err}");

    // Values that are not limits are usage errors.
    for bad in [
        ["--max-file-bytes", "0"],
        ["--max-file-bytes", "5GiB"],
        ["--max-policy-bytes", "12 parsecs"],
        ["--max-declarations", "0"],
    ] {
        let (code, err) = run(&["check", bad[0], bad[1]]);
        assert_eq!(code, Some(2), "{bad:?}: {err}");
        assert!(err.contains(bad[0]), "{bad:?}: {err}");
    }
}

/// Every limit, its code, and how `docs/limits.md` must mention it.
const LIMITS: &[(&str, &str, &str)] = &[
    ("MAX_FILE_BYTES", "64 MiB", "E003"),
    ("MAX_POLICY_BYTES", "256 MiB", "E005"),
    ("MAX_DECLARATIONS", "1,000,000", "E006"),
    ("MAX_LIST_ITEMS", "10,000", "E007"),
    ("MAX_ZONE_MEMBERS", "100,000", "E008"),
    ("MAX_SERVICE_DEPTH", "32", "E009"),
    ("MAX_STRING_CHARS", "255", "E109"),
    ("MAX_NAME_CHARS", "48", "E110"),
    ("MAX_INTERFACE_CHARS", "64", "E601"),
    ("MAX_NFT_INTERFACE_CHARS", "15", "E601"),
    ("MAX_FORTIOS_INTERFACE_CHARS", "15", "E601"),
    ("MAX_IOS_ACL_ENTRIES", "4,096", "E606"),
    ("MAX_EXPANDED_RANGES", "10,000,000", "E012"),
    ("MAX_PREVIOUS_BYTES", "64 MiB", "E816"),
];

#[test]
fn docs_list_every_limit_with_its_value_and_code() {
    let values = [
        MAX_FILE_BYTES as usize,
        MAX_POLICY_BYTES as usize,
        MAX_DECLARATIONS,
        MAX_LIST_ITEMS,
        MAX_ZONE_MEMBERS,
        MAX_SERVICE_DEPTH,
        MAX_STRING_CHARS,
        MAX_NAME_CHARS,
        MAX_INTERFACE_CHARS,
        MAX_NFT_INTERFACE_CHARS,
        MAX_FORTIOS_INTERFACE_CHARS,
        MAX_IOS_ACL_ENTRIES,
        MAX_EXPANDED_RANGES,
        MAX_PREVIOUS_BYTES as usize,
    ];
    let shown = |v: usize| -> String {
        if v.is_multiple_of(1024 * 1024) {
            return format!("{} MiB", v / (1024 * 1024));
        }
        let digits = v.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/limits.md")).unwrap();
    for ((name, value, code), v) in LIMITS.iter().zip(values) {
        assert_eq!(shown(v), *value, "{name}");
        let row = doc
            .lines()
            .find(|l| l.contains(&format!("`{name}`")))
            .unwrap_or_else(|| panic!("docs/limits.md does not mention `{name}`"));
        assert!(row.contains(value), "{name}: {row}");
        assert!(row.contains(code), "{name}: {row}");
    }
    let src =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/limits.rs")).unwrap();
    let declared = src.matches("pub const MAX_").count();
    assert_eq!(declared, LIMITS.len(), "a limit is missing from this table");
}

pub(crate) use conduitc_testkit::adversarial;

/// Runs `f` on its own thread; fails if it is not done within `secs`
/// seconds (each input below took minutes before its step was rewritten).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let start = std::time::Instant::now();
        let out = f();
        eprintln!("done in {:?}", start.elapsed());
        let _ = tx.send(out);
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .unwrap_or_else(|e| panic!("not done within {secs} s: {e}"))
}

/// The message and help of every diagnostic with `code`, in order.
fn findings(text: &str, code: Code) -> Vec<(String, Option<String>)> {
    let (_, checked) = check_text(text);
    checked
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| (d.message.clone(), d.help.clone()))
        .collect()
}

#[test]
fn flows_whose_services_nest_are_each_covered_by_the_next() {
    // 2,000 nested port ranges, each with the same 2,000 UDP ports: 170 KB
    // that took minutes when every pair of nested sets was compared.
    const N: usize = 2_000;
    let mut got = within(60, || {
        findings(&adversarial::nested_services(N, 2_000), Code::RedundantFlow)
    });
    got.sort();
    let mut want: Vec<(String, Option<String>)> = (0..N - 1)
        .map(|i| {
            (
                format!("flow `ab/f{i}` is fully covered by flow `ab/f{}`", i + 1),
                Some("remove the redundant flow, or narrow the broader one".to_string()),
            )
        })
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn flows_that_overlap_without_nesting_are_not_redundant() {
    let wide = within(60, || {
        findings(&adversarial::wide_hulls(5_000), Code::RedundantFlow)
    });
    assert_eq!(wide, []);
    let sliding = within(60, || {
        findings(
            &adversarial::sliding_services(3_000, 100),
            Code::RedundantFlow,
        )
    });
    assert_eq!(sliding, []);
}

#[test]
fn a_redundancy_check_too_costly_to_finish_says_so() {
    // 12,000 port ranges that each overlap thousands of others: checked
    // exactly until the lint's budget runs out, then one warning names
    // the flows left unchecked.
    let got = within(60, || {
        findings(
            &adversarial::sliding_services(12_000, 1),
            Code::RedundantFlow,
        )
    });
    assert_eq!(got.len(), 1, "{got:?}");
    let (message, help) = &got[0];
    assert!(
        message.starts_with("the redundant-flow check stopped after 200 million steps; ")
            && message.contains(" flows were not checked, the first `ab/f"),
        "{message}"
    );
    assert!(help
        .as_deref()
        .unwrap_or_default()
        .contains("fewer, broader"));

    // `conduitc check` reports it like any warning. Text output shows the
    // first 100 of the 12,000 warnings (the other warnings come first) and
    // says how many more there are; JSON lists every one.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("windows.conduit");
    fs::write(&file, adversarial::sliding_services(12_000, 1)).unwrap();
    let out = within(60, move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_conduitc"))
            .args(["check", "--today", "2026-12-01", "--format", "json"])
            .arg(&file)
            .output()
            .unwrap()
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let cut_short: Vec<_> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["code"] == "W105"
                && d["message"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("the redundant-flow check stopped after")
        })
        .collect();
    assert_eq!(cut_short.len(), 1, "{cut_short:?}");
}

#[test]
fn thousands_of_unknown_names_are_reported_with_correct_suggestions() {
    // 5,000 hosts and 10,000 misspelt references to them (in a group and
    // in flows), and 3,000 zones misspelt 6,000 times: every lookup used to
    // compare the name with every declared one. Each is one edit from the
    // name meant, which is found by lookups, not a scan, so every one gets
    // its suggestion within the budget.
    const N: usize = 5_000;
    let members = within(60, || {
        findings(&adversarial::unknown_names(N), Code::UnknownName)
    });
    assert_eq!(members.len(), 2 * N);
    for (k, (message, help)) in members.iter().enumerate() {
        let i = k % N;
        assert!(message.contains(&format!("`hots-{i:06}`")), "{message}");
        assert_eq!(
            help.as_deref(),
            Some(format!("did you mean `host-{i:06}`?").as_str())
        );
    }

    const Z: usize = 3_000;
    let zones = within(60, || {
        findings(&adversarial::unknown_zones(Z), Code::UnknownName)
    });
    assert_eq!(zones.len(), 2 * Z);
    for (message, help) in &zones {
        let wrong = message
            .trim_start_matches("no zone named `")
            .trim_end_matches('`');
        let right = wrong
            .replace("zoen", "zone")
            .trim_end_matches('x')
            .to_string();
        assert_eq!(
            help.as_deref(),
            Some(format!("did you mean `{right}`?").as_str())
        );
    }
}

/// Checks the two files of an `adversarial::big_service_flows` policy.
fn check_files([decls, flows]: [String; 2]) -> Checked {
    let mut sources = Sources::new();
    sources.add_memory("decls.conduit", decls);
    sources.add_memory("flows.conduit", flows);
    check(&sources, &CheckOptions::new(today()))
}

#[test]
fn flows_naming_one_large_service_share_one_copy_of_it() {
    // 49,995 flows, each naming a service of 10,000 separate ports:
    // 500 million port ranges if every flow held its own copy.
    let n = 49_995;
    let checked = within(60, move || {
        check_files(adversarial::shared_service(n, MAX_LIST_ITEMS))
    });
    // 10,000 ports into level 2 draw W111, and the reason `r` W114; nothing else.
    let codes: Vec<Code> = checked
        .diagnostics
        .codes()
        .into_iter()
        .filter(|c| ![Code::BroadService, Code::PlaceholderReason].contains(c))
        .collect();
    assert!(codes.is_empty(), "{:?}", &codes[..codes.len().min(5)]);
    let policy = checked.policy.unwrap();
    let service = &policy.services[0].set.tcp;
    assert_eq!(service.ranges().len(), MAX_LIST_ITEMS);
    assert_eq!(policy.flows().count(), n);
    for (_, f) in policy.flows() {
        assert_eq!(f.services.tcp, *service);
        assert!(
            std::ptr::eq(f.services.tcp.ranges(), service.ranges()),
            "{} holds its own copy of the service's ports",
            f.full_name
        );
    }
}

#[test]
fn flows_expanding_past_the_limit_stop_the_check_at_the_flow_that_crosses_it() {
    // 20,000 flows, each naming the 10,000-port service and one port of its
    // own, so no two service sets are equal: 200 million port ranges if
    // expanded in full. Each flow adds 10,002 ranges (its services and its
    // source host); the 1,000th takes the total past 10,000,000.
    let checked = within(60, || {
        check_files(adversarial::diverging_services(20_000, MAX_LIST_ITEMS))
    });
    assert!(checked.policy.is_none());
    assert_eq!(checked.diagnostics.codes(), [Code::PolicyExpandsTooFar]);
    let d = checked.diagnostics.iter().next().unwrap();
    assert_eq!(
        d.message,
        "flow `ab/f999` takes the policy's expanded address and port ranges past the limit of 10,000,000"
    );
    assert!(d.help.as_deref().unwrap().contains("broader prefixes"));

    // Just under the limit, the same policy checks.
    let checked = check_files(adversarial::diverging_services(999, MAX_LIST_ITEMS));
    assert_eq!(checked.diagnostics.error_count(), 0);
    assert_eq!(checked.policy.unwrap().flows().count(), 999);
}
