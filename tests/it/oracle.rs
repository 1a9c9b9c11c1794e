//! The reference semantics stands on its own: `decide` shares no code with
//! the lowering it judges, decides selection, expiry, monitor mode and
//! precedence as the language says, and fails as `lower` does.

use std::fs;
use std::net::IpAddr;
use std::path::Path;

use conduitc::lower::{lower, BuildOptions, LowerError, Packet, Verdict};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Policy, Sources};

use conduitc_testkit::{eval, gen};
use proptest::prelude::*;

/// The words of `source` outside comments, string literals aside: every
/// identifier-like token on a line that is not a comment.
fn code_tokens(source: &str) -> Vec<String> {
    source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .flat_map(|l| {
            l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The places in `source` (outside comments) that name the `lower` module.
fn mentions_of_lower(source: &str) -> Vec<String> {
    source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .filter(|l| code_tokens(l).iter().any(|t| t == "lower"))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn the_scan_would_see_an_import_of_the_lowering() {
    for bad in [
        "use crate::lower::{select, Rank};",
        "use crate::{lower, model::Policy};",
        "    let sel = crate::lower::select(policy, opts)?;",
        "use super::lower::Selection;",
    ] {
        assert_eq!(mentions_of_lower(bad).len(), 1, "{bad}");
    }
    assert!(
        mentions_of_lower("/// Same as [`crate::lower::lower`].\nlet lowercase = 1;").is_empty()
    );
}

#[test]
fn decide_and_its_types_import_nothing_from_the_lowering() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["src/decide.rs", "src/semantics.rs"] {
        let source = fs::read_to_string(root.join(file)).unwrap();
        assert!(source.contains("fn "), "{file} is not the source expected");
        assert_eq!(
            mentions_of_lower(&source),
            Vec::<String>::new(),
            "{file} must not use the lowering it is the reference for"
        );
    }
}

const TODAY: &str = "2026-12-01";

/// Three zones in a row: a-b enforced (one flow expiring today, one logged
/// flow whose name sorts after an unlogged one admitting the same packets),
/// b-c in monitor mode with one flow; a firewall facing a and b only; an
/// isolation mode severing c.
const POLICY: &str = r#"
owner ops { contact "ops@example.com" }
zone a { level 3 owner ops networks 10.1.0.0/24, 2001:db8:1::/64 host h = 10.1.0.10 }
zone b { level 2 owner ops networks 10.2.0.0/24, 2001:db8:2::/64 host h = 10.2.0.10 }
zone c { level 1 owner ops networks 10.3.0.0/24 host h = 10.3.0.10 }
owner cell { contact "cell@example.com" }
conduit a-b {
  zones a, b
  owner ops
  flow web {
    from a.h
    to b.h
    service tcp/443
    reason "dashboards"
  }
  flow zz-web-logged {
    from a
    to b
    service tcp/443
    reason "audited access"
    log
  }
  flow ssh {
    from a.h
    to b.h
    service tcp/22
    reason "maintenance window"
    expires 2026-12-01
  }
  flow ping6 {
    from a
    to b
    service icmpv6/echo-request
    reason "reachability"
  }
}
conduit b-c {
  zones b, c
  owner cell
  mode monitor
  flow poll {
    from b.h
    to c.h
    service modbus
    reason "polling"
  }
}
firewall fw {
  platform nftables
  interface "eth0" = a
  interface "eth1" = b
}
isolation island {
  sever c
  reason "cell compromised"
}
"#;

fn today() -> Date {
    Date::parse(TODAY).unwrap()
}

fn policy() -> Policy {
    let sources = Sources::from_memory("oracle.conduit", POLICY);
    let checked = check(&sources, &CheckOptions::new(today()));
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    checked.policy.unwrap()
}

fn tcp(src: &str, dst: &str, port: u16) -> Packet {
    Packet {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto: 6,
        dport: Some(port),
        icmp_type: None,
    }
}

fn icmp(proto: u8, src: &str, dst: &str, kind: u8) -> Packet {
    Packet {
        src: src.parse::<IpAddr>().unwrap(),
        dst: dst.parse().unwrap(),
        proto,
        dport: None,
        icmp_type: Some(kind),
    }
}

/// `decide`'s deciding flow (`None` on deny) and `also`, after checking
/// that the lowered rules say exactly the same.
fn decided(p: &Policy, pkt: &Packet, opts: &BuildOptions) -> (Option<String>, Vec<String>) {
    let d = conduitc::decide(p, pkt, opts).unwrap();
    assert_eq!(lower(p, opts).unwrap().decide(pkt), d, "{pkt:?} {opts:?}");
    assert_eq!(d.decision == Verdict::Allow, d.flow.is_some());
    (d.flow, d.also)
}

fn flow(name: &str) -> Option<String> {
    Some(name.to_string())
}

#[test]
fn a_logged_flow_decides_before_an_earlier_name_and_a_catch_all_comes_last() {
    let p = policy();
    let opts = BuildOptions::new(today());
    assert_eq!(
        decided(&p, &tcp("10.1.0.10", "10.2.0.10", 443), &opts),
        (flow("a-b/zz-web-logged"), vec!["a-b/web".to_string()])
    );
    // The monitor conduit's own flow decides; its catch-all is listed.
    assert_eq!(
        decided(&p, &tcp("10.2.0.10", "10.3.0.10", 502), &opts),
        (flow("b-c/poll"), vec!["b-c/*".to_string()])
    );
    // Anything else between b and c, either way, is the catch-all's.
    assert_eq!(
        decided(&p, &tcp("10.3.0.99", "10.2.0.7", 8080), &opts),
        (flow("b-c/*"), vec![])
    );
    let d = conduitc::decide(&p, &tcp("10.3.0.99", "10.2.0.7", 8080), &opts).unwrap();
    assert_eq!(d.owner.as_deref(), Some("cell"));
    // Not between a and c: no conduit.
    assert_eq!(
        decided(&p, &tcp("10.1.0.10", "10.3.0.10", 502), &opts),
        (None, vec![])
    );
}

#[test]
fn a_flow_is_in_force_through_its_expiry_day() {
    let p = policy();
    let ssh = tcp("10.1.0.10", "10.2.0.10", 22);
    assert_eq!(
        decided(&p, &ssh, &BuildOptions::new(today())).0,
        flow("a-b/ssh")
    );
    assert_eq!(
        decided(&p, &ssh, &BuildOptions::new(today().add_days(1))).0,
        None
    );
    assert_eq!(
        decided(&p, &ssh, &BuildOptions::new(today().add_days(-400))).0,
        flow("a-b/ssh")
    );
}

#[test]
fn a_firewall_sees_only_conduits_between_zones_it_faces() {
    let p = policy();
    let fw = BuildOptions::new(today()).firewall("FW");
    assert_eq!(
        decided(&p, &tcp("10.1.0.10", "10.2.0.10", 22), &fw).0,
        flow("a-b/ssh")
    );
    // b-c crosses another device: neither its flow nor its catch-all.
    assert_eq!(
        decided(&p, &tcp("10.2.0.10", "10.3.0.10", 502), &fw),
        (None, vec![])
    );
}

#[test]
fn an_isolation_mode_cuts_every_conduit_of_a_severed_zone() {
    let p = policy();
    let island = BuildOptions::new(today()).isolation("Island");
    assert_eq!(
        decided(&p, &tcp("10.2.0.10", "10.3.0.10", 502), &island),
        (None, vec![])
    );
    assert_eq!(
        decided(&p, &tcp("10.3.0.10", "10.2.0.10", 1), &island),
        (None, vec![])
    );
    assert_eq!(
        decided(&p, &tcp("10.1.0.10", "10.2.0.10", 443), &island).0,
        flow("a-b/zz-web-logged")
    );
}

#[test]
fn icmp_follows_its_family_and_families_do_not_mix() {
    let p = policy();
    let opts = BuildOptions::new(today());
    let v6 = icmp(58, "2001:db8:1::5", "2001:db8:2::5", 128);
    assert_eq!(decided(&p, &v6, &opts).0, flow("a-b/ping6"));
    // ICMPv6 numbers carried over IPv4 are not ICMPv6.
    assert_eq!(
        decided(&p, &icmp(58, "10.1.0.10", "10.2.0.10", 128), &opts).0,
        None
    );
    assert_eq!(
        decided(&p, &tcp("10.1.0.10", "2001:db8:2::5", 443), &opts).0,
        None
    );
}

#[test]
fn unknown_names_fail_as_lower_fails() {
    let p = policy();
    let pkt = tcp("10.1.0.10", "10.2.0.10", 443);
    for opts in [
        BuildOptions::new(today()).firewall("nosuch"),
        BuildOptions::new(today()).isolation("nosuch"),
        BuildOptions::new(today())
            .isolation("nosuch-island")
            .firewall("nosuch-fw"),
    ] {
        let want = lower(&p, &opts).unwrap_err();
        assert_eq!(conduitc::decide(&p, &pkt, &opts).unwrap_err(), want);
    }
    let opts = BuildOptions::new(today()).firewall("nosuch");
    assert_eq!(
        conduitc::decide(&p, &pkt, &opts).unwrap_err(),
        LowerError::UnknownFirewall("nosuch".into())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn generated_policies_agree_under_every_firewall_and_isolation_mode(
        spec in gen::policy_spec(),
        pkts in gen::packet_specs(100),
    ) {
        let p = spec.to_policy();
        let mut options = vec![BuildOptions::new(gen::today())];
        for f in &p.firewalls {
            options.push(BuildOptions::new(gen::today()).firewall(f.name.to_string()));
            for i in &p.isolations {
                options.push(
                    BuildOptions::new(gen::today().add_days(1))
                        .firewall(f.name.to_string())
                        .isolation(i.name.to_string()),
                );
            }
        }
        for opts in &options {
            let rules = lower(&p, opts).unwrap();
            for pkt in gen::resolve_packets(&p, &pkts) {
                let want = conduitc::decide(&p, &pkt, opts).unwrap();
                eval::lowered_agrees(&rules, &p, opts, &pkt, &want).map_err(TestCaseError::fail)?;
            }
        }
    }
}
