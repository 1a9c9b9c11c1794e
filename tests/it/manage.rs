//! Traffic to the firewall itself (`manage` and `control`): the checked
//! model, the lowering, the nftables `input` chain read back by the
//! independent evaluators (text and JSON) against `decide`, and `query`.

use std::net::IpAddr;

use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions, Fixed, Packet, Verdict};
use conduitc::model::{Date, LocalKind};
use conduitc::{check, CheckOptions, Policy, Sources};
use conduitc_testkit::eval;
use conduitc_testkit::nft_eval;
use proptest::prelude::*;

use crate::run::conduitc as run;

const POLICY: &str = r#"
owner ops {
  contact "ops@example.com"
}

zone sup {
  level 2
  owner ops
  networks 10.20.0.0/24, 2001:db8:20::/64
  host eng = 10.20.0.5, 2001:db8:20::5
  host hmi = 10.20.0.6
}

zone ctl {
  level 1
  owner ops
  networks 10.1.10.0/24
  host plc = 10.1.10.20
}

zone office {
  level 4
  owner ops
  networks 10.90.0.0/16
  host it = 10.90.0.9
}

conduit sup-ctl {
  zones sup, ctl
  owner ops
  flow read {
    from sup.eng
    to ctl.plc
    service modbus
    reason "The engineering workstation reads the PLC"
  }
}

isolation cut-office {
  sever office
  reason "Office compromised"
}

firewall cell-fw {
  platform nftables
  interface "eth0" = sup address 10.20.0.1, 2001:db8:20::1
  interface "eth1" = ctl address 10.1.10.1
  interface "eth2" = office address 10.90.0.1

  manage admin {
    from sup.eng
    service ssh, snmp, ping
    owner ops
    reason "Engineers administer the cell firewall"
    log
  }

  control routing {
    from ctl
    service ospf, ntp
    owner ops
    reason "OSPF and time with the cell's routers"
  }

  manage status {
    from office.it, sup.hmi
    service https
    owner ops
    reason "Status page for the asset inventory"
    expires 2026-12-01
    waive W118 "Read-only status page"
  }
}
"#;

fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

fn policy() -> Policy {
    let sources = Sources::from_memory("policy.conduit", POLICY);
    let (policy, diags) = check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap();
    assert_eq!(diags.warning_count(), 0, "{diags:?}");
    policy
}

#[test]
fn entries_reach_the_model_with_their_sources_and_addresses() {
    let p = policy();
    let fw = p.firewall("cell-fw").unwrap();
    let kinds: Vec<(&str, LocalKind)> = fw
        .local
        .iter()
        .map(|e| (e.full_name.as_str(), e.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("cell-fw/admin", LocalKind::Manage),
            ("cell-fw/routing", LocalKind::Control),
            ("cell-fw/status", LocalKind::Manage)
        ]
    );
    let own = fw.own_addrs();
    for a in ["10.20.0.1", "2001:db8:20::1", "10.1.10.1", "10.90.0.1"] {
        assert!(own.contains(a.parse().unwrap()), "{a}");
    }
    assert_eq!(
        p.firewall_of("10.1.10.1".parse().unwrap())
            .map(|f| f.name.to_string()),
        Some("cell-fw".to_string())
    );
    assert!(p
        .waivers
        .iter()
        .any(|w| w.code == "W118" && w.scope == "cell-fw/status"));
}

#[test]
fn lowering_gives_one_rule_per_source_zone_and_protocol_and_drops_what_expired() {
    let p = policy();
    let rs = lower(&p, &BuildOptions::new(today()).firewall("cell-fw")).unwrap();
    let names: Vec<(&str, &str, &str)> = rs
        .local
        .iter()
        .map(|r| (r.name.as_str(), r.src_zone.as_str(), r.in_iface.as_str()))
        .collect();
    // admin: tcp, udp, icmp; routing: udp, ip/89; status: tcp from two zones.
    assert_eq!(names.len(), 3 + 2 + 2, "{names:?}");
    assert!(names.contains(&("cell-fw/status", "office", "eth2")));
    let tomorrow = lower(
        &p,
        &BuildOptions::new(today().add_days(1)).firewall("cell-fw"),
    )
    .unwrap();
    assert!(tomorrow.local.iter().all(|r| r.name != "cell-fw/status"));
    let island = lower(
        &p,
        &BuildOptions::new(today())
            .firewall("cell-fw")
            .isolation("cut-office"),
    )
    .unwrap();
    assert!(island.local.iter().all(|r| r.src_zone != "office"));
    // Without a firewall there is no local path.
    assert!(lower(&p, &BuildOptions::new(today()))
        .unwrap()
        .local
        .is_empty());
}

/// Packets from every host and one unlisted address of each zone to each
/// own address, on the services in play and a few others.
fn packets() -> Vec<Packet> {
    let srcs = [
        "10.20.0.5",
        "10.20.0.6",
        "10.20.0.77",
        "2001:db8:20::5",
        "2001:db8:20::9",
        "10.1.10.20",
        "10.1.10.99",
        "10.90.0.9",
        "10.90.3.3",
    ];
    let dsts = [
        "10.20.0.1",
        "2001:db8:20::1",
        "10.1.10.1",
        "10.90.0.1",
        "10.1.10.20",
    ];
    let mut out = Vec::new();
    for s in srcs {
        for d in dsts {
            let (src, dst): (IpAddr, IpAddr) = (s.parse().unwrap(), d.parse().unwrap());
            if src.is_ipv4() != dst.is_ipv4() {
                continue;
            }
            for (proto, port) in [(6, 22), (6, 443), (6, 502), (17, 161), (17, 123), (17, 514)] {
                out.push(Packet {
                    src,
                    dst,
                    proto,
                    dport: Some(port),
                    icmp_type: None,
                });
            }
            out.push(Packet {
                src,
                dst,
                proto: 89,
                dport: None,
                icmp_type: None,
            });
            let (icmp, echo) = if src.is_ipv4() { (1, 8) } else { (58, 128) };
            out.push(Packet {
                src,
                dst,
                proto: icmp,
                dport: None,
                icmp_type: Some(echo),
            });
        }
    }
    out
}

#[test]
fn the_input_chain_decides_traffic_to_the_firewall_as_decide_does() {
    let p = policy();
    let pkts = packets();
    for opts in [
        BuildOptions::new(today()).firewall("cell-fw"),
        BuildOptions::new(today().add_days(1)).firewall("cell-fw"),
        BuildOptions::new(today())
            .firewall("cell-fw")
            .isolation("cut-office"),
    ] {
        let rs = lower(&p, &opts).unwrap();
        for target in [Target::Nftables, Target::NftablesJson] {
            let text = backend::emit(&rs, target).unwrap();
            let compared = eval::agrees(target, &p, &opts, &text, &pkts).unwrap();
            assert!(compared > pkts.len() / 2, "{compared} of {}", pkts.len());
        }
    }
    // The verdicts a user would notice.
    let rs = lower(&p, &BuildOptions::new(today()).firewall("cell-fw")).unwrap();
    let text = backend::emit(&rs, Target::Nftables).unwrap();
    let nft = nft_eval::parse(&text).unwrap();
    let pkt = |s: &str, d: &str, proto: u8, port: Option<u16>| Packet {
        src: s.parse().unwrap(),
        dst: d.parse().unwrap(),
        proto,
        dport: port,
        icmp_type: None,
    };
    let ssh = nft.eval_input(&pkt("10.20.0.5", "10.1.10.1", 6, Some(22)), Some("eth0"));
    assert!(ssh.accept && ssh.logged, "{ssh:?}");
    assert_eq!(ssh.rule.as_deref(), Some("cell-fw/admin"));
    let hmi = nft.eval_input(&pkt("10.20.0.6", "10.20.0.1", 6, Some(22)), Some("eth0"));
    assert!(!hmi.accept, "{hmi:?}");
    let ospf = nft.eval_input(&pkt("10.1.10.20", "10.1.10.1", 89, None), Some("eth1"));
    assert!(ospf.accept, "{ospf:?}");
    // Loopback and neighbour discovery pass; output is not filtered.
    let lo = nft.eval_input(&pkt("10.20.0.1", "10.20.0.1", 6, Some(8080)), Some("lo"));
    assert!(lo.accept);
    let nd = Packet {
        src: "fe80::2".parse().unwrap(),
        dst: "fe80::1".parse().unwrap(),
        proto: 58,
        dport: None,
        icmp_type: Some(135),
    };
    assert!(nft.eval_input(&nd, Some("eth0")).accept);
    assert!(!text.contains("hook output"));
}

#[test]
fn no_input_chain_without_entries_and_an_empty_one_when_all_expired() {
    let without = POLICY
        .split("\n  manage admin {")
        .next()
        .unwrap()
        .to_string()
        + "}\n";
    let sources = Sources::from_memory("p.conduit", &without);
    let checked = check(&sources, &CheckOptions::new(today()));
    let shown = format!("{:?}", checked.diagnostics);
    assert!(shown.contains("NoManagement"), "{shown}");
    let (p, _) = checked.into_result().unwrap();
    let rs = lower(&p, &BuildOptions::new(today()).firewall("cell-fw")).unwrap();
    let text = backend::emit(&rs, Target::Nftables).unwrap();
    assert!(!text.contains("chain input"), "{text}");

    let only_status = POLICY.replace("service ssh, snmp, ping", "service ssh");
    let sources = Sources::from_memory("p.conduit", &only_status);
    let (p, _) = check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap();
    let later = BuildOptions::new(Date::parse("2027-01-01").unwrap()).firewall("cell-fw");
    let rs = lower(&p, &later).unwrap();
    let text = backend::emit(&rs, Target::Nftables).unwrap();
    assert!(text.contains("chain input"), "{text}");
    assert!(!text.contains("cell-fw/status"), "{text}");
}

#[test]
fn query_answers_for_the_firewall_that_owns_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.conduit");
    std::fs::write(&path, POLICY).unwrap();
    let path = path.to_str().unwrap();
    let q = |src: &str, dst: &str, proto: &str, port: &str, extra: &[&str]| -> String {
        let mut args = vec![
            "query",
            "--today",
            "2026-12-01",
            "--src",
            src,
            "--dst",
            dst,
            "--proto",
            proto,
            "--port",
            port,
        ];
        args.extend_from_slice(extra);
        args.push(path);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        out
    };
    assert_eq!(
        q("10.20.0.5", "10.20.0.1", "tcp", "22", &[]),
        "allow cell-fw/admin (to firewall cell-fw)\n"
    );
    assert_eq!(
        q("10.20.0.6", "10.20.0.1", "tcp", "22", &[]),
        "deny (to firewall cell-fw: no manage or control entry matches)\n"
    );
    let json = q(
        "10.20.0.5",
        "10.1.10.1",
        "udp",
        "161",
        &["--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["flow"], "cell-fw/admin");
    assert_eq!(v["to_firewall"], "cell-fw");
    // An ordinary host is still decided by flows.
    assert_eq!(
        q("10.20.0.5", "10.1.10.20", "tcp", "502", &[]),
        "allow sup-ctl/read\n"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any source, any own address, any TCP or UDP port: the nftables input
    /// chain and `decide` agree.
    #[test]
    fn random_packets_to_the_firewall_agree_with_decide(
        src_host in 0u8..=255,
        src_zone in 0usize..3,
        dst in 0usize..4,
        tcp in any::<bool>(),
        port in prop_oneof![Just(22u16), Just(161), Just(123), Just(443), 1u16..],
    ) {
        let p = policy();
        let src: IpAddr = match src_zone {
            0 => format!("10.20.0.{src_host}"),
            1 => format!("10.1.10.{src_host}"),
            _ => format!("10.90.{src_host}.9"),
        }
        .parse()
        .unwrap();
        let dst: IpAddr = ["10.20.0.1", "10.1.10.1", "10.90.0.1", "10.20.0.1"][dst]
            .parse()
            .unwrap();
        let pkt = Packet { src, dst, proto: if tcp { 6 } else { 17 }, dport: Some(port), icmp_type: None };
        let opts = BuildOptions::new(today()).firewall("cell-fw");
        let rs = lower(&p, &opts).unwrap();
        let text = backend::emit(&rs, Target::Nftables).unwrap();
        prop_assert_eq!(eval::agrees(Target::Nftables, &p, &opts, &text, &[pkt]), Ok(1));
    }
}

/// The policy without its `manage` and `control` entries: its interface
/// addresses stay (W117 warns that it declares no management access).
fn without_entries() -> String {
    POLICY
        .split("\n  manage admin {")
        .next()
        .unwrap()
        .to_string()
        + "}\n"
}

fn nd(src: &str, dst: &str, t: u8) -> Packet {
    Packet {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto: 58,
        dport: None,
        icmp_type: Some(t),
    }
}

#[test]
fn decide_allows_neighbour_discovery_to_a_firewall_with_entries_by_the_fixed_part() {
    let p = policy();
    let opts = BuildOptions::new(today()).firewall("cell-fw");
    for t in [135, 136] {
        // From a source no entry admits, in and out of every zone.
        for src in ["2001:db8:20::9", "fe80::2", "2001:db8:99::1"] {
            let d = conduitc::decide(&p, &nd(src, "2001:db8:20::1", t), &opts).unwrap();
            assert_eq!(d.decision, Verdict::Allow, "{src} type {t}: {d:?}");
            assert_eq!(d.fixed, Some(Fixed::NeighbourDiscovery));
            assert_eq!(d.to_firewall.as_deref(), Some("cell-fw"));
            assert_eq!((d.flow, d.owner), (None, None));
            assert!(d.also.is_empty());
        }
    }
    // Under an isolation mode and after every entry expired, still allowed:
    // the fixed part does not depend on the entries in force.
    for opts in [
        BuildOptions::new(today())
            .firewall("cell-fw")
            .isolation("cut-office"),
        BuildOptions::new(Date::parse("2030-01-01").unwrap()).firewall("cell-fw"),
    ] {
        let d = conduitc::decide(&p, &nd("2001:db8:20::9", "2001:db8:20::1", 135), &opts).unwrap();
        assert_eq!(d.fixed, Some(Fixed::NeighbourDiscovery), "{opts:?}");
    }
    // Other ICMPv6 types to the firewall are the entries' to decide.
    for t in [128, 133, 134, 137] {
        let d = conduitc::decide(&p, &nd("2001:db8:20::9", "2001:db8:20::1", t), &opts).unwrap();
        assert_eq!(d.decision, Verdict::Deny, "type {t}: {d:?}");
        assert_eq!(d.fixed, None);
    }
    // To a host behind the firewall, neighbour discovery is transit like any
    // other packet: no flow admits it.
    let d = conduitc::decide(&p, &nd("2001:db8:20::9", "2001:db8:20::5", 135), &opts).unwrap();
    assert_eq!(
        (d.decision, d.fixed, d.to_firewall),
        (Verdict::Deny, None, None)
    );
}

#[test]
fn decide_says_traffic_to_a_firewall_without_entries_is_not_governed() {
    let sources = Sources::from_memory("p.conduit", without_entries());
    let (p, _) = check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap();
    let opts = BuildOptions::new(today()).firewall("cell-fw");
    let ssh = Packet {
        src: "10.20.0.5".parse().unwrap(),
        dst: "10.20.0.1".parse().unwrap(),
        proto: 6,
        dport: Some(22),
        icmp_type: None,
    };
    for pkt in [ssh, nd("2001:db8:20::9", "2001:db8:20::1", 135)] {
        let d = conduitc::decide(&p, &pkt, &opts).unwrap();
        assert_eq!(d.decision, Verdict::NotGoverned, "{pkt:?}: {d:?}");
        assert!(!d.allowed());
        assert_eq!(d.to_firewall.as_deref(), Some("cell-fw"));
        assert_eq!((d.flow, d.fixed), (None, None));
    }
    // Without a firewall selected, the address is a host like any other.
    let d = conduitc::decide(&p, &ssh, &BuildOptions::new(today())).unwrap();
    assert_eq!((d.decision, d.to_firewall), (Verdict::Deny, None));
    // A firewall with entries still denies what they do not admit.
    let d = conduitc::decide(
        &policy(),
        &Packet {
            dport: Some(23),
            ..ssh
        },
        &opts,
    )
    .unwrap();
    assert_eq!(d.decision, Verdict::Deny);
}

/// Every target admits neighbour discovery to the firewall's own IPv6
/// address when the firewall declares entries, and the kit's evaluators say
/// so, as `decide` does.
#[test]
fn every_target_admits_neighbour_discovery_to_the_firewall_as_decide_says() {
    let p = policy();
    let opts = BuildOptions::new(today()).firewall("cell-fw");
    let pkts: Vec<Packet> = ["2001:db8:20::5", "2001:db8:20::9"]
        .into_iter()
        .flat_map(|s| [135, 136].map(|t| nd(s, "2001:db8:20::1", t)))
        .collect();
    let rs = lower(&p, &opts).unwrap();
    for target in Target::ALL {
        let text = backend::emit(&rs, target).unwrap();
        let compared = eval::agrees(target, &p, &opts, &text, &pkts).unwrap();
        assert_eq!(compared, pkts.len(), "{}", target.as_str());
    }
}

#[test]
fn query_prints_neighbour_discovery_and_not_governed_traffic_to_the_firewall() {
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("with.conduit");
    let without = dir.path().join("without.conduit");
    std::fs::write(&with, POLICY).unwrap();
    std::fs::write(&without, without_entries()).unwrap();
    let q = |path: &std::path::Path, args: &[&str]| -> (i32, String) {
        let mut all = vec!["query", "--today", "2026-12-01"];
        all.extend_from_slice(args);
        all.push(path.to_str().unwrap());
        let (code, out, err) = run(&all);
        assert!(code == 0 || code == 1, "{code}: {err}");
        (code, out)
    };
    let nd_args = [
        "--src",
        "2001:db8:20::9",
        "--dst",
        "2001:db8:20::1",
        "--proto",
        "icmpv6",
        "--icmp-type",
        "neighbor-solicitation",
    ];
    assert_eq!(
        q(&with, &nd_args),
        (
            0,
            "allow (to firewall cell-fw: neighbour discovery, admitted by every build)\n".into()
        )
    );
    let (code, json) = q(
        &with,
        &[&nd_args[..], &["--format", "json", "--exit-code"]].concat(),
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["flow"], serde_json::Value::Null);
    assert_eq!(v["fixed"], "neighbour-discovery");
    assert_eq!(v["to_firewall"], "cell-fw");

    let ssh = [
        "--src",
        "10.20.0.5",
        "--dst",
        "10.20.0.1",
        "--proto",
        "tcp",
        "--port",
        "22",
    ];
    let not_governed = "not governed (to firewall cell-fw: it declares no manage or control entry, so no build filters traffic to it)\n";
    assert_eq!(q(&without, &ssh), (0, not_governed.to_string()));
    assert_eq!(q(&without, &nd_args), (0, not_governed.to_string()));
    // Only an allow exits 0 with --exit-code.
    assert_eq!(
        q(&without, &[&ssh[..], &["--exit-code"]].concat()),
        (1, not_governed.to_string())
    );
    let (code, json) = q(&without, &[&ssh[..], &["--format", "json"]].concat());
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["decision"], "not-governed");
    assert_eq!(v["flow"], serde_json::Value::Null);
    assert_eq!(v["to_firewall"], "cell-fw");
    assert!(v.get("fixed").is_none(), "{v}");
}
