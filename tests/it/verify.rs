//! `verify`'s library half: the nftables reader and the comparison of a
//! ruleset's forward path with the policy. The oracle is the test kit's
//! nftables evaluator (written from the nft documentation, not from
//! `verify`) and the policy's own lowered rules: a packet is reported
//! admitted but not declared exactly when the evaluator admits it and the
//! policy does not allow it, and declared but not admitted in the converse
//! case.

use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions, Packet, RuleSet};
use conduitc::verify::{read_ruleset, verify, Drift};
use conduitc::Policy;
use conduitc_testkit::{gen, nft_eval, sample};
use proptest::prelude::*;

fn build(p: &Policy, opts: &BuildOptions) -> (RuleSet, String) {
    let rules = lower(p, opts).unwrap();
    let text = backend::emit(&rules, Target::Nftables).unwrap();
    (rules, text)
}

fn drift(p: &Policy, opts: &BuildOptions, text: &str) -> Drift {
    let rs = read_ruleset(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    verify(p, opts, &rs).unwrap()
}

/// Asserts that `d` reports exactly the packets on which the evaluator of
/// `text` and the policy's rules disagree, for packets that open a
/// connection (the only ones verify judges).
fn exact(
    d: &Drift,
    rules: &RuleSet,
    text: &str,
    packets: &[Packet],
    iif: Option<&str>,
    oif: Option<&str>,
) {
    let eval = nft_eval::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let holds = |f: &conduitc::verify::Finding, p: &Packet| {
        f.packets.admits(p)
            && (f.interfaces.is_empty()
                || f.interfaces.iter().any(|(i, o)| {
                    let side = |n: &str, x: Option<&str>| match x {
                        Some(x) => n == x,
                        None => n == conduitc::verify::OTHER_INTERFACE,
                    };
                    side(i, iif) && side(o, oif)
                }))
    };
    for p in packets
        .iter()
        .filter(|p| p.src.is_ipv4() == p.dst.is_ipv4() && nft_eval::opens_connection(p))
        // The forward comparison leaves out the firewall's own addresses.
        .filter(|p| {
            !rules
                .firewall
                .as_ref()
                .is_some_and(|f| f.own.contains(p.dst))
        })
    {
        let device = eval.eval(p, iif, oif).accept;
        let declared = rules.rules.iter().any(|r| {
            r.admits(p)
                && (r.in_iface.is_none() || r.in_iface.as_deref() == iif)
                && (r.out_iface.is_none() || r.out_iface.as_deref() == oif)
        });
        let added = d.admitted_not_declared.iter().any(|f| holds(f, p));
        let removed = d.declared_not_admitted.iter().any(|f| holds(f, p));
        assert_eq!(
            added,
            device && !declared,
            "admitted but not declared: {p:?}\n{d:#?}"
        );
        assert_eq!(
            removed,
            declared && !device,
            "declared but not admitted: {p:?}\n{d:#?}"
        );
    }
}

/// The indices of the lines of the build's accepting flow rules.
fn accept_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().ends_with('"') && l.contains(" accept comment "))
        .map(|(i, _)| i)
        .collect()
}

fn insert_after_invalid(text: &str, rule: &str) -> String {
    let mut out = String::new();
    for l in text.lines() {
        out.push_str(l);
        out.push('\n');
        if l.trim() == "ct state invalid drop" {
            out.push_str("\t\t");
            out.push_str(rule);
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_sample_policys_own_build_matches_on_every_interface_pair() {
    let p = sample::policy();
    let opts = BuildOptions::new(sample::today()).firewall("plant-fw");
    let (rules, text) = build(&p, &opts);
    let d = drift(&p, &opts, &text);
    assert!(d.matches, "{d:#?}");
    assert!(d.admitted_not_declared.is_empty() && d.declared_not_admitted.is_empty());
    let packets = gen::packets(&p, 7, 300);
    for (i, o) in [
        (Some("r-sup"), Some("r-ctl")),
        (Some("r-ctl"), Some("r-sup")),
        (None, None),
    ] {
        exact(&d, &rules, &text, &packets, i, o);
    }
}

#[test]
fn a_hand_added_ssh_accept_is_admitted_but_not_declared_and_names_its_line() {
    let p = sample::policy();
    let opts = BuildOptions::new(sample::today()).firewall("plant-fw");
    let (rules, text) = build(&p, &opts);
    let edited = insert_after_invalid(&text, "tcp dport 22 accept");
    let line = edited
        .lines()
        .position(|l| l.trim() == "tcp dport 22 accept")
        .unwrap()
        + 1;
    let d = drift(&p, &opts, &edited);
    assert!(!d.matches);
    assert!(!d.admitted_not_declared.is_empty());
    for f in &d.admitted_not_declared {
        assert_eq!(f.packets.services, vec!["tcp/22".to_string()], "{f:#?}");
        assert_eq!(f.device_rules.len(), 1);
        assert_eq!(f.device_rules[0].line, line);
        assert_eq!(f.device_rules[0].text, "tcp dport 22 accept");
    }
    let packets = gen::packets(&p, 11, 300);
    for (i, o) in [
        (Some("r-sup"), Some("r-ctl")),
        (Some("r-dmz"), Some("r-sup")),
        (None, Some("r-ctl")),
    ] {
        exact(&d, &rules, &edited, &packets, i, o);
    }
}

#[test]
fn a_binding_moved_to_another_interface_is_drift_both_ways() {
    let p = sample::policy();
    let opts = BuildOptions::new(sample::today()).firewall("plant-fw");
    let (rules, text) = build(&p, &opts);
    // The first zone pair's jump now comes in on the DMZ's interface.
    let jump = text
        .lines()
        .find(|l| l.contains("iifname \"r-sup\"") && l.contains(" jump "))
        .unwrap();
    let edited = text.replacen(jump, &jump.replace("\"r-sup\"", "\"r-dmz\""), 1);
    let d = drift(&p, &opts, &edited);
    assert!(!d.admitted_not_declared.is_empty(), "{d:#?}");
    assert!(!d.declared_not_admitted.is_empty(), "{d:#?}");
    assert!(d
        .admitted_not_declared
        .iter()
        .all(|f| f.interfaces.iter().all(|(i, _)| i == "r-dmz")));
    assert!(d
        .declared_not_admitted
        .iter()
        .all(|f| f.interfaces.iter().all(|(i, _)| i == "r-sup")));
    let packets = gen::packets(&p, 5, 300);
    for (i, o) in [
        (Some("r-sup"), Some("r-ctl")),
        (Some("r-dmz"), Some("r-ctl")),
        (Some("r-sup"), Some("r-dmz")),
        (Some("r-dmz"), Some("r-sup")),
    ] {
        exact(&d, &rules, &edited, &packets, i, o);
    }
}

#[test]
fn a_rule_in_another_table_is_judged_with_the_kernels_priorities() {
    let p = sample::policy();
    let opts = BuildOptions::new(sample::today()).firewall("plant-fw");
    let (_, text) = build(&p, &opts);
    // A table that accepts everything does not widen access: the conduit
    // chain still has to accept.
    let open = format!("{text}table ip extra {{\n\tchain ops_forward {{\n\t\ttype filter hook forward priority filter - 10; policy accept;\n\t\ttcp dport 22 accept\n\t}}\n}}\n");
    assert!(drift(&p, &opts, &open).matches);
    // A drop before the conduit chain blocks declared flows.
    let closed = format!("{text}table ip extra {{\n\tchain ops_forward {{\n\t\ttype filter hook forward priority -10; policy accept;\n\t\tip daddr 0.0.0.0/0 tcp dport 0-65535 drop\n\t}}\n}}\n");
    let d = drift(&p, &opts, &closed);
    assert!(d.admitted_not_declared.is_empty());
    assert!(!d.declared_not_admitted.is_empty());
    for f in &d.declared_not_admitted {
        assert!(f.packets.src.addrs.has_v4() && !f.packets.src.addrs.has_v6());
        assert!(
            f.packets.services.iter().all(|s| s.starts_with("tcp/")),
            "{f:#?}"
        );
        assert!(f.device_rules[0].text.ends_with("drop"), "{f:#?}");
    }
}

#[test]
fn what_the_reader_does_not_model_is_an_error_with_its_line() {
    let cases = [
        ("table inet t {\n\tchain c {\n\t\tmeta mark 0x1 accept\n\t}\n}\n", 3),
        ("table inet t {\n\tchain c {\n\t\ttype filter hook forward priority 0; policy drop;\n\t\tiifname \"eth*\" accept\n\t}\n}\n", 4),
        ("table inet t {\n\tchain c {\n\t\tlimit rate 1/second accept\n\t}\n}\n", 3),
        ("table inet t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 10.0.0.1/8 }\n\t}\n}\n", 4),
        ("table inet t {\n\tflowtable f {\n\t}\n}\n", 2),
        ("tabel inet t {\n}\n", 1),
        ("table inet t {\n\tchain c {\n\t\tip saddr @nowhere accept\n\t}\n}\n", 3),
    ];
    for (text, line) in cases {
        let e = read_ruleset(text).expect_err(text);
        assert_eq!(e.line, line, "{text}: {e}");
        assert!(!e.message.is_empty());
    }
    // A construct read but not judged (a `goto`) is refused by verify.
    let p = sample::policy();
    let rs = read_ruleset("table inet t {\n\tchain c {\n\t\ttype filter hook forward priority 0; policy drop;\n\t\ttcp dport 1 goto d\n\t}\n\tchain d {\n\t}\n}\n").unwrap();
    match verify(&p, &BuildOptions::new(sample::today()), &rs) {
        Err(conduitc::verify::VerifyError::Read(e)) => assert_eq!(e.line, 4),
        other => panic!("{other:?}"),
    }
}

#[test]
fn json_is_read_like_text_and_errors_name_the_object() {
    let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
      {"table": {"family": "ip", "name": "t", "handle": 1}},
      {"set": {"family": "ip", "name": "s", "table": "t", "type": "ipv4_addr", "handle": 2, "flags": ["interval"], "elem": [{"prefix": {"addr": "10.0.0.0", "len": 8}}, {"range": ["192.168.0.1", "192.168.0.9"]}]}},
      {"chain": {"family": "ip", "table": "t", "name": "c", "handle": 3, "type": "filter", "hook": "forward", "prio": -10, "policy": "drop"}},
      {"rule": {"family": "ip", "table": "t", "chain": "c", "handle": 4, "expr": [{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}}, {"accept": null}]}},
      {"rule": {"family": "ip", "table": "t", "chain": "c", "handle": 5, "comment": "web", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@s"}}, {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [80, {"range": [8080, 8081]}]}}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}}
    ]}"#;
    let p = sample::policy();
    let opts = BuildOptions::new(sample::today());
    let rs = read_ruleset(json).unwrap();
    let d = verify(&p, &opts, &rs).unwrap();
    assert!(!d.admitted_not_declared.is_empty());
    // An `ip` table leaves IPv6 alone: with no other table, it is all
    // forwarded, decided by no rule.
    let (v4, v6): (Vec<_>, Vec<_>) = d
        .admitted_not_declared
        .iter()
        .partition(|f| f.packets.src.addrs.has_v4());
    assert!(!v6.is_empty() && v6.iter().all(|f| f.device_rules.is_empty()));
    for f in v4 {
        assert_eq!(f.packets.services, ["tcp/80", "tcp/8080-8081"]);
        assert_eq!(f.device_rules[0].line, 6);
        assert_eq!(
            f.device_rules[0].text,
            "ip daddr @s meta iifname \"eth0\" tcp dport { 80, 8080-8081 } counter accept comment \"web\" # handle 5"
        );
        assert!(f.interfaces.iter().all(|(i, _)| i == "eth0"), "{f:?}");
    }
    let covered = |a: &str| {
        let a = a.parse().unwrap();
        d.admitted_not_declared
            .iter()
            .any(|f| f.packets.dst.addrs.contains(a))
    };
    assert!(covered("192.168.0.9") && covered("10.1.2.3") && covered("10.71.1.1"));
    assert!(!covered("192.168.0.10") && !covered("11.0.0.1"));
    let bad = json.replace(
        r#"{"counter": {"packets": 0, "bytes": 0}}"#,
        r#"{"quota": {"val": 1}}"#,
    );
    let e = read_ruleset(&bad).unwrap_err();
    assert_eq!(
        (e.line, e.message.as_str()),
        (6, "statement `quota` is not supported")
    );
    let e = read_ruleset("{\"nftables\": [").unwrap_err();
    assert!(e.message.starts_with("not JSON"), "{e}");
}

#[test]
fn no_forward_chain_admits_everything() {
    let p = sample::policy();
    let opts = BuildOptions::new(sample::today());
    let d = drift(&p, &opts, "");
    assert!(d.declared_not_admitted.is_empty());
    assert!(!d.admitted_not_declared.is_empty());
    assert!(d
        .admitted_not_declared
        .iter()
        .all(|f| f.device_rules.is_empty()));
}

/// One hand edit of a build: a rule added, a rule removed, a port widened.
#[derive(Clone, Debug)]
enum Edit {
    Add(u16),
    Remove(usize),
    Widen(usize),
    /// A jump's input interface changed to `eth{n}` (firewall builds).
    Move(usize, u8),
}

fn edit(text: &str, e: &Edit) -> String {
    let accepts = accept_lines(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match e {
        Edit::Add(port) => return insert_after_invalid(text, &format!("udp dport {port} accept")),
        Edit::Move(k, n) => {
            let jumps: Vec<usize> = (0..out.len())
                .filter(|&i| out[i].contains("iifname \"") && out[i].contains(" jump "))
                .collect();
            if let Some(&i) = jumps.get(k % jumps.len().max(1)) {
                let l = &out[i];
                let start = l.find("iifname \"").unwrap() + 9;
                let end = start + l[start..].find('"').unwrap();
                out[i] = format!("{}eth{n}{}", &l[..start], &l[end..]);
            }
        }
        Edit::Remove(k) if !accepts.is_empty() => {
            out.remove(accepts[k % accepts.len()]);
        }
        Edit::Widen(k) if !accepts.is_empty() => {
            let i = accepts[k % accepts.len()];
            let l = &out[i];
            // Every destination of the rule's family.
            let wide = if l.contains("ip daddr @") {
                let start = l.find("ip daddr @").unwrap();
                let end = l[start + 10..]
                    .find(' ')
                    .map_or(l.len(), |e| start + 10 + e);
                format!("{}ip daddr 0.0.0.0/0{}", &l[..start], &l[end..])
            } else if l.contains("ip6 daddr @") {
                let start = l.find("ip6 daddr @").unwrap();
                let end = l[start + 11..]
                    .find(' ')
                    .map_or(l.len(), |e| start + 11 + e);
                format!("{}ip6 daddr ::/0{}", &l[..start], &l[end..])
            } else {
                l.clone()
            };
            out[i] = wide;
        }
        _ => {}
    }
    out.join("\n") + "\n"
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (1u16..=65535).prop_map(Edit::Add),
        (0usize..64).prop_map(Edit::Remove),
        (0usize..64).prop_map(Edit::Widen),
        (0usize..64, 0u8..6).prop_map(|(k, n)| Edit::Move(k, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_policys_own_build_verifies_and_one_hand_edit_is_exactly_the_drift(
        spec in gen::policy_spec(),
        e in edit_strategy(),
        seed in 0u64..1000,
    ) {
        let p = spec.to_policy();
        // Across the firewall when the edit moves a binding, else generic.
        let firewall = matches!(e, Edit::Move(..));
        let opts = if firewall {
            BuildOptions::new(gen::today()).firewall("fw")
        } else {
            BuildOptions::new(gen::today())
        };
        let (rules, text) = build(&p, &opts);
        let clean = drift(&p, &opts, &text);
        prop_assert!(clean.matches, "{:#?}", clean);
        let edited = edit(&text, &e);
        prop_assert!(
            edited != text || firewall || accept_lines(&text).is_empty(),
            "the edit changed nothing"
        );
        let d = drift(&p, &opts, &edited);
        let mut packets = gen::packets(&p, seed, 200);
        // Packets of the added port between addresses worth probing.
        if let Edit::Add(port) = e {
            let addrs = gen::interesting_addrs(&p);
            for (k, &src) in addrs.iter().enumerate().take(24) {
                for &dst in addrs.iter().skip(k % 3).step_by(5).take(8) {
                    packets.push(Packet { src, dst, proto: 17, dport: Some(port), icmp_type: None });
                }
            }
        }
        if firewall {
            let mut names: Vec<Option<String>> = (0..6).map(|n| Some(format!("eth{n}"))).collect();
            names.push(None);
            for i in &names {
                for o in &names {
                    exact(&d, &rules, &edited, &packets, i.as_deref(), o.as_deref());
                }
            }
        } else {
            exact(&d, &rules, &edited, &packets, None, None);
        }
        if edited == text {
            prop_assert!(d.matches);
        }
    }
}
