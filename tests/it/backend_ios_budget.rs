//! The Cisco IOS entry budget (`E606`, `MAX_IOS_ACL_ENTRIES`) and streamed
//! output.
//!
//! A flow writes one IOS entry per source prefix, destination prefix and
//! port range, so a few kilobytes of policy can ask for millions of entries
//! (160 scattered hosts to 160 others on 20 ports is 512,000 in one list).
//! Such a build is refused, naming the list and the flows responsible,
//! before a single byte is written; one entry under the budget still
//! builds. The streamed output is byte for byte the in-memory one.

use std::fmt::Write as _;
use std::process::Command;

use conduitc::backend::{emit, emit_to, EmitError, Target};
use conduitc::limits::MAX_IOS_ACL_ENTRIES;
use conduitc::Code;
use conduitc_testkit::rules::rules_of;
use conduitc_testkit::writers::{Count, Full};

const HEAD: &str = "owner o { contact \"o@example.com\" }\n";

/// Two zones of `n` scattered hosts each (no two in one prefix), one flow
/// between the groups on `ports` separate TCP ports: about 5.6 KB for
/// n = 160 and 20 ports.
fn hosts_by_hosts(n: usize, ports: usize) -> String {
    let mut s = String::from(HEAD);
    for (zone, net) in [("a", 1), ("b", 2)] {
        let members: Vec<String> = (0..n)
            .map(|i| format!("10.{net}.{}.{}", i / 100, 1 + 2 * (i % 100)))
            .collect();
        let _ = writeln!(
            s,
            "zone {zone} {{ level 2 owner o networks 10.{net}.0.0/16\n  group g = {} }}",
            members.join(", ")
        );
    }
    let svc: Vec<String> = (0..ports)
        .map(|i| format!("tcp/{}", 1000 + 2 * i))
        .collect();
    let _ = writeln!(
        s,
        "conduit ab {{ zones a, b owner o\n  flow wide {{ from a.g to b.g service {} reason \"r\" }} }}",
        svc.join(", ")
    );
    s
}

#[test]
fn hosts_by_hosts_by_ports_is_refused_before_any_output() {
    let text = hosts_by_hosts(160, 20);
    assert!(text.len() < 6 * 1024, "{} bytes", text.len());
    let rules = rules_of(&text);
    let mut sink = Count::default();
    let e = emit_to(&rules, Target::CiscoIos, &mut sink).unwrap_err();
    assert_eq!(sink.0, 0, "nothing is written before the refusal");
    assert_eq!(e.code(), Code::IosAclTooLarge);
    let msg = e.to_string();
    for want in [
        "[E606] cisco-ios: access list conduit-a-in would hold 512002 entries",
        "over the budget of 4096",
        "ab/wide (512000 entries; largest part 160 source prefixes x 160 destination prefixes x 20 port ranges)",
        "fewer, larger address blocks",
    ] {
        assert!(msg.contains(want), "{want:?} not in {msg}");
    }
    // The other targets are not bound by it.
    assert!(emit(&rules, Target::Nftables).is_ok());
}

/// `networks any` is the complement of every other zone: with a DMZ of
/// scattered hosts it is thousands of prefixes, and every flow from it
/// multiplies them.
#[test]
fn a_networks_any_zone_times_dmz_flows_is_refused() {
    let mut s = String::from(HEAD);
    s.push_str("zone internet { level 5 owner o networks any }\n");
    // The DMZ: a /24 in each of 150 /16s, one server in each.
    let nets: Vec<String> = (0..150).map(|i| format!("10.{i}.0.0/24")).collect();
    let hosts: Vec<String> = (0..150)
        .map(|i| format!("  host h{i} = 10.{i}.0.5"))
        .collect();
    let _ = writeln!(
        s,
        "zone dmz {{ level 3.5 owner o networks {}\n{}\n}}",
        nets.join(", "),
        hosts.join("\n")
    );
    s.push_str("conduit web { zones internet, dmz owner o\n");
    for i in 0..150 {
        let _ = writeln!(
            s,
            "  flow f{i} {{ from internet to dmz.h{i} service https reason \"r\" }}"
        );
    }
    s.push_str("}\n");
    let rules = rules_of(&s);
    let mut sink = Count::default();
    let e = emit_to(&rules, Target::CiscoIos, &mut sink).unwrap_err();
    assert_eq!(sink.0, 0);
    assert!(matches!(e, EmitError::TooLarge { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("access list conduit-internet-in would hold"),
        "{msg}"
    );
    assert!(msg.contains("and 147 more"), "{msg}");
}

/// A list of exactly the budget builds; one entry more is refused.
#[test]
fn the_budget_is_exact() {
    let policy = |ports: usize| {
        let svc: Vec<String> = (0..ports).map(|i| format!("tcp/{}", 2 + 2 * i)).collect();
        format!(
            "{HEAD}zone a {{ level 2 owner o networks 10.1.0.0/24 host h = 10.1.0.5 }}\n\
             zone b {{ level 1 owner o networks 10.2.0.0/24 host h = 10.2.0.5 }}\n\
             conduit ab {{ zones a, b owner o\n  flow f {{ from a.h to b.h service {} reason \"r\" }} }}\n",
            svc.join(", ")
        )
    };
    // The fragment deny and the final deny, plus one entry per port (in
    // the flat form; the object-group form counts the same expanded entries).
    let fits = MAX_IOS_ACL_ENTRIES - 2;
    let text = conduitc::backend::emit_string_with(
        &rules_of(&policy(fits)),
        conduitc::backend::Target::CiscoIos,
        &conduitc::backend::EmitOptions::new().ios_flat(true),
    )
    .unwrap();
    let list = text
        .split("ip access-list extended conduit-a-in-")
        .nth(1)
        .and_then(|t| t.split_once('\n'))
        .and_then(|(_, t)| t.split("\nexit\n").next())
        .unwrap();
    let entries = list.lines().filter(|l| !l.starts_with(" remark")).count();
    assert_eq!(entries, MAX_IOS_ACL_ENTRIES);
    assert!(list.ends_with(&format!(
        " {} deny ip any any log",
        10 * MAX_IOS_ACL_ENTRIES
    )));

    let e = conduitc::backend::emit(
        &rules_of(&policy(fits + 1)),
        conduitc::backend::Target::CiscoIos,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("access list conduit-a-in would hold 4097 entries"),
        "{e}"
    );
}

#[test]
fn streamed_output_is_the_in_memory_output() {
    let rules = rules_of(&hosts_by_hosts(20, 3));
    for t in Target::ALL {
        let mut buf = Vec::new();
        emit_to(&rules, t, &mut buf).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            emit(&rules, t).unwrap(),
            "{t:?}"
        );
    }
}

#[test]
fn a_failing_writer_is_an_io_error() {
    let rules = rules_of(&hosts_by_hosts(20, 3));
    let e = emit_to(&rules, Target::CiscoIos, &mut Full(1000)).unwrap_err();
    assert!(matches!(e, EmitError::Io { .. }), "{e}");
    assert_eq!(e.code(), Code::OutputNotWritten);
    assert!(e.to_string().contains("disk full"), "{e}");
}

/// The command line: exit 1, nothing on stdout, the code and the flow on
/// stderr.
#[test]
fn build_refuses_an_oversized_list_with_its_code() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.conduit");
    std::fs::write(&path, hosts_by_hosts(160, 20)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(["build", path.to_str().unwrap(), "--target", "cisco-ios"])
        .args(["--today", "2026-12-01"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("[E606]") && err.contains("ab/wide"), "{err}");
}
