//! The object-group form of the Cisco IOS backend (the default; the flat
//! form is `--ios-flat`, `EmitOptions::ios_flat`).
//!
//! The form changes how the lists are written, never what they admit: read
//! by the device model (which expands groups as the device does into its
//! hardware table), every list holds exactly the entries of the flat form.
//! Reply entries keep their protocol, service port and `established` in the
//! entry, so a group cannot widen them; a reply written with a service group
//! is caught. The entry budget counts expanded entries in both forms.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use conduitc::backend::{emit_string_with, emit_with, EmitOptions, Target};
use conduitc::lower::{lower, BuildOptions};
use conduitc::{check, CheckOptions, Code, Policy, Sources};
use conduitc_testkit::ios_eval::{self, Config};
use conduitc_testkit::writers::Count;
use conduitc_testkit::{eval, gen, sample};

fn groups() -> EmitOptions {
    EmitOptions::new()
}

fn flat() -> EmitOptions {
    EmitOptions::new().ios_flat(true)
}

/// A list's name without its content hash: `conduit-ZONE-in` or
/// `conduit-ZONE-in6`, the same in both forms.
fn unhashed(name: &str) -> String {
    name.rsplit_once('-')
        .map_or(name, |(head, _)| head)
        .to_string()
}

fn policy_of(text: &str) -> Policy {
    let sources = Sources::from_memory("p.conduit", text);
    let checked = check(&sources, &CheckOptions::new(gen::today()));
    checked
        .policy
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics.codes()))
}

/// Every list's entries as the device holds them (sequence numbers and
/// remarks aside), sorted.
fn expanded(cfg: &Config) -> BTreeMap<String, Vec<String>> {
    cfg.acls
        .iter()
        .map(|(name, acl)| {
            let mut v: Vec<String> = acl
                .entries
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    a.seq = 0;
                    a.remark = None;
                    format!("{a:?}")
                })
                .collect();
            v.sort();
            (unhashed(name), v)
        })
        .collect()
}

/// Lines that are list entries (sequence-numbered), in either family.
fn entry_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let l = l.trim_start_matches(' ').trim_start_matches("sequence ");
            l.split(' ')
                .next()
                .is_some_and(|t| t.parse::<u64>().is_ok())
        })
        .count()
}

const HEAD: &str = "owner o { contact \"o@example.com\" }\n";

/// `hmis` scattered HMIs in zone `ops` reaching `plcs` scattered PLCs in
/// zone `cell` on Modbus, EtherNet/IP and a UDP port range.
fn hmis_to_plcs(hmis: usize, plcs: usize) -> String {
    let mut s = String::from(HEAD);
    for (zone, net, n) in [("ops", 1, hmis), ("cell", 2, plcs)] {
        let members: Vec<String> = (0..n)
            .map(|i| format!("10.{net}.{}.{}", i / 100, 1 + 2 * (i % 100)))
            .collect();
        let _ = writeln!(
            s,
            "zone {zone} {{ level 2 owner o networks 10.{net}.0.0/16\n  group g = {} }}",
            members.join(", ")
        );
    }
    s.push_str(
        "conduit oc { zones ops, cell owner o\n  flow hmi { from ops.g to cell.g service tcp/502, tcp/44818, udp/2222-2224 reason \"r\" } }\n",
    );
    s
}

#[test]
fn twenty_hmis_to_forty_plcs_is_a_few_lines_holding_the_same_entries() {
    let p = policy_of(&hmis_to_plcs(20, 40));
    let opts = BuildOptions::new(gen::today());
    let rules = lower(&p, &opts).unwrap();
    let flat = emit_string_with(&rules, Target::CiscoIos, &flat()).unwrap();
    let grouped = emit_string_with(&rules, Target::CiscoIos, &groups()).unwrap();
    // Flat: 20 x 40 x 3 forward entries and as many replies, plus the
    // fixed entries of four lists.
    assert_eq!(entry_lines(&flat), 2 * 2400 + 2 + 2 + 4 + 4, "{flat}");
    // Grouped: a TCP entry naming a service group of its two ports, a UDP
    // entry with its one range, one reply entry per port range; the IPv6
    // lists are unchanged.
    assert_eq!(entry_lines(&grouped), 2 + 3 + 2 + 2 + 4 + 4, "{grouped}");
    assert!(
        grouped.contains(" permit object-group conduit-s-"),
        "{grouped}"
    );
    assert!(
        grouped.contains(
            " range 2222 2224
"
        ),
        "{grouped}"
    );
    assert!(
        grouped.contains(" eq 502 object-group conduit-n-"),
        "{grouped}"
    );
    assert!(grouped.contains(" established\n"), "{grouped}");
    // Each group is defined once, before the lists, and referenced by both.
    for kind in ["network", "service"] {
        let heads: Vec<&str> = grouped
            .lines()
            .filter(|l| l.starts_with(&format!("object-group {kind} ")))
            .collect();
        let mut unique = heads.clone();
        unique.dedup();
        assert_eq!(heads, unique, "a {kind} group written twice");
        assert_eq!(heads.len(), if kind == "network" { 2 } else { 1 });
    }
    assert!(
        grouped.find("object-group network").unwrap() < grouped.find("ip access-list").unwrap()
    );
    // Network members carry subnet masks or `host`; the 20 and 40 hosts.
    assert_eq!(
        grouped
            .lines()
            .filter(|l| l.starts_with(" host 10.1."))
            .count(),
        20
    );
    assert_eq!(
        grouped
            .lines()
            .filter(|l| l.starts_with(" host 10.2."))
            .count(),
        40
    );
    // Read as the device expands it, it is the flat configuration.
    let (f, g) = (
        ios_eval::parse(&flat).unwrap(),
        ios_eval::parse(&grouped).unwrap(),
    );
    assert_eq!(expanded(&f), expanded(&g));
    let list = |zone: &str| &g.acls[&eval::ios_list_of(&g, zone, false).unwrap()];
    assert_eq!(list("ops").entries.len(), 2400 + 2);
    assert_eq!(list("cell").entries.len(), 2400 + 2);
    let packets = gen::packets(&p, 3, 400);
    assert!(eval::agrees(Target::CiscoIos, &p, &opts, &grouped, &packets).unwrap() > 0);
}

/// The sample policy and generated ones: the grouped form, expanded, holds
/// the flat form's entries in every list, under every option set.
#[test]
fn the_grouped_form_expands_to_the_flat_form() {
    let mut policies = vec![sample::policy()];
    policies.extend((0..40).map(|seed| gen::draw(gen::policy_spec(), seed).to_policy()));
    let mut with_groups = 0;
    for p in &policies {
        for opts in eval::option_sets(p, gen::today()) {
            let Ok(rules) = lower(p, &opts) else { continue };
            let flat = emit_string_with(&rules, Target::CiscoIos, &flat()).unwrap();
            let grouped = emit_string_with(&rules, Target::CiscoIos, &groups()).unwrap();
            let (f, g) = (
                ios_eval::parse(&flat).unwrap(),
                ios_eval::parse(&grouped).unwrap(),
            );
            assert_eq!(expanded(&f), expanded(&g), "{grouped}");
            let bound = |c: &Config| {
                c.interfaces
                    .iter()
                    .map(|(i, b)| {
                        let n = |x: &Option<String>| x.as_deref().map(unhashed);
                        (i.clone(), n(&b.v4_in), n(&b.v6_in))
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(bound(&f), bound(&g));
            if grouped.contains("object-group network") {
                with_groups += 1;
            }
        }
    }
    assert!(with_groups > 10, "only {with_groups} builds used a group");
}

/// A reply entry that names the forward flow's service group admits new
/// connections from the responders, which the flat form never did: the
/// device model sees it.
#[test]
fn a_reply_through_a_service_group_is_caught() {
    let p = policy_of(&hmis_to_plcs(3, 4));
    let opts = BuildOptions::new(gen::today());
    let rules = lower(&p, &opts).unwrap();
    let grouped = emit_string_with(&rules, Target::CiscoIos, &groups()).unwrap();
    let svc = grouped
        .lines()
        .find_map(|l| l.strip_prefix("object-group service "))
        .unwrap()
        .to_string();
    let reply = grouped
        .lines()
        .find(|l| l.contains(" eq 502 object-group") && l.ends_with(" established"))
        .unwrap()
        .to_string();
    let mut parts = reply.split(' ').filter(|t| !t.is_empty());
    let seq = parts.next().unwrap();
    let toks: Vec<&str> = parts.collect();
    // permit tcp object-group R eq 502 object-group I established
    let wide = format!(
        " {seq} permit object-group {svc} object-group {} object-group {}",
        toks[3], toks[7]
    );
    let loose = grouped.replace(&reply, &wide);
    assert_ne!(loose, grouped);
    // A PLC opening a connection to an HMI on 502.
    let packets: Vec<conduitc::Packet> = (0..6).flat_map(|s| gen::packets(&p, s, 400)).collect();
    assert!(eval::agrees(Target::CiscoIos, &p, &opts, &grouped, &packets).is_ok());
    let cfg = ios_eval::parse(&loose).unwrap();
    let w = conduitc_testkit::wire::Wire {
        src: "10.2.0.1".parse().unwrap(),
        dst: "10.1.0.1".parse().unwrap(),
        proto: 6,
        sport: Some(40000),
        dport: Some(502),
        syn: true,
        ack: false,
        rst: false,
        fragment: false,
        icmp_type: None,
        icmp_code: 0,
    };
    let cell = eval::ios_list_of(&cfg, "cell", false).unwrap();
    assert!(cfg.acls[&cell].eval(&w).permit, "the loose form admits it");
    let strict = ios_eval::parse(&grouped).unwrap();
    let cell = eval::ios_list_of(&strict, "cell", false).unwrap();
    assert!(!strict.acls[&cell].eval(&w).permit);
}

/// A network group member widened from a host to its /24 is caught by the
/// comparison with `decide`.
#[test]
fn a_widened_network_group_is_caught() {
    let p = policy_of(&hmis_to_plcs(3, 4));
    let opts = BuildOptions::new(gen::today());
    let rules = lower(&p, &opts).unwrap();
    let grouped = emit_string_with(&rules, Target::CiscoIos, &groups()).unwrap();
    let loose = grouped.replacen(" host 10.1.0.1\n", " 10.1.0.0 255.255.255.0\n", 1);
    assert_ne!(loose, grouped);
    let packets: Vec<conduitc::Packet> = (0..6).flat_map(|s| gen::packets(&p, s, 400)).collect();
    assert!(eval::agrees(Target::CiscoIos, &p, &opts, &grouped, &packets).is_ok());
    let err = eval::agrees(Target::CiscoIos, &p, &opts, &loose, &packets).unwrap_err();
    assert!(err.contains("passed by"), "{err}");
}

#[test]
fn the_reader_refuses_group_syntax_it_does_not_model() {
    let list = "ip access-list extended l\n 10 permit ip object-group g any\nexit\n";
    for (text, want) in [
        (list.to_string(), "undefined network object group `g`"),
        (
            format!("object-group network g\n 10.0.0.0 0.0.0.255\nexit\n{list}"),
            "is not a subnet mask",
        ),
        (
            format!("object-group network g\n 10.0.0.1 255.255.255.0\nexit\n{list}"),
            "host bits",
        ),
        (
            format!("object-group network g\n host 10.0.0.1\nexit\nobject-group network g\n host 10.0.0.2\nexit\n{list}"),
            "defined twice",
        ),
        (
            "object-group service s\n tcp source eq 502\nexit\n".to_string(),
            "source ports",
        ),
        (
            "object-group service s\n tcp eq 502 log\nexit\n".to_string(),
            "unknown service group member",
        ),
        (
            "object-group network g\n host 10.0.0.1\nexit\nipv6 access-list l\n sequence 10 permit ipv6 object-group g any\nexit\n".to_string(),
            "IPv6 list",
        ),
        (
            "object-group service s\n tcp eq 502\nexit\nip access-list extended l\n 10 permit object-group s any any established\nexit\n".to_string(),
            "unknown option `established`",
        ),
        (
            "object-group widget w\nexit\n".to_string(),
            "unknown object group type",
        ),
    ] {
        let e = ios_eval::parse(&text).unwrap_err();
        assert!(e.contains(want), "{want:?} not in {e}");
    }
    // What it models: nested groups, ranges, tcp-udp, ICMP types.
    let text = "object-group network a\n host 10.0.0.1\nexit\nobject-group network b\n description d\n group-object a\n range 10.0.1.5 10.0.1.7\nexit\nobject-group service s\n tcp-udp eq 53\n icmp echo\nexit\nip access-list extended l\n 10 permit object-group s object-group b any\nexit\n";
    let cfg = ios_eval::parse(text).unwrap();
    assert_eq!(cfg.acls["l"].entries.len(), 3 * 2);
    let mut w = conduitc_testkit::wire::Wire {
        src: "10.0.1.6".parse().unwrap(),
        dst: "10.9.9.9".parse().unwrap(),
        proto: 17,
        sport: Some(40000),
        dport: Some(53),
        syn: false,
        ack: false,
        rst: false,
        fragment: false,
        icmp_type: None,
        icmp_code: 0,
    };
    assert!(cfg.acls["l"].eval(&w).permit);
    w.src = "10.0.1.8".parse().unwrap();
    assert!(!cfg.acls["l"].eval(&w).permit);
}

/// 160 hosts to 160 hosts on 20 ports: a handful of lines with groups, but
/// the device still expands them to 512,000 entries, so the build is refused
/// with the same error as the flat form, before any output.
#[test]
fn the_budget_counts_expanded_entries_with_groups_too() {
    let s = conduitc_testkit::adversarial::hosts_by_hosts();
    let p = policy_of(&s);
    let rules = lower(&p, &BuildOptions::new(gen::today())).unwrap();
    let mut sink = Count::default();
    let e = emit_with(&rules, Target::CiscoIos, &groups(), &mut sink).unwrap_err();
    assert_eq!(sink.0, 0, "nothing is written before the refusal");
    assert_eq!(e.code(), Code::IosAclTooLarge);
    let flat = emit_string_with(&rules, Target::CiscoIos, &flat()).unwrap_err();
    assert_eq!(e.to_string(), flat.to_string());
    assert!(e.to_string().contains("ab/wide (512000 entries"), "{e}");
}

fn conduitc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn build_writes_the_grouped_form_unless_asked_for_flat() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.conduit");
    std::fs::write(&file, hmis_to_plcs(20, 40)).unwrap();
    let f = file.to_str().unwrap();
    let base = ["build", "--today", "2026-12-01", "--target", "cisco-ios", f];
    let (code, grouped, err) = conduitc(&base);
    assert_eq!(code, 0, "{err}");
    let mut args = base.to_vec();
    args.push("--ios-flat");
    let (code, flat, err) = conduitc(&args);
    assert_eq!(code, 0, "{err}");
    assert!(!flat.contains("object-group"));
    assert!(grouped.contains("object-group network conduit-n-"));
    assert!(
        grouped.len() * 20 < flat.len(),
        "{} vs {}",
        grouped.len(),
        flat.len()
    );
    let (fc, gc) = (
        ios_eval::parse(&flat).unwrap(),
        ios_eval::parse(&grouped).unwrap(),
    );
    assert_eq!(expanded(&fc), expanded(&gc));
    // Another target refuses it rather than ignoring it.
    let nft = [
        "build",
        "--today",
        "2026-12-01",
        "--target",
        "nftables",
        f,
        "--ios-flat",
    ];
    let (code, out, err) = conduitc(&nft);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty() && err.contains("error[E802]"), "{err}");
}
