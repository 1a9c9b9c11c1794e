//! The nftables text backend against the reference semantics, beyond the
//! verdicts every backend is checked on (`backend_registry.rs`): logging,
//! single rules that admit no more than the policy, interfaces, the file's
//! shape and the names it refuses.

use conduitc::backend::{self, EmitError, Target};
use conduitc::lower::{lower, BuildOptions, Packet, RuleSet};
use conduitc::model::{AddrSet, Name, Policy, PortSet};
use proptest::prelude::*;

use conduitc_testkit::{eval, gen, nft_eval, sample};

fn emit_text(rules: &RuleSet) -> String {
    backend::emit(rules, Target::Nftables).unwrap()
}

/// The evaluated text decides every packet as `decide` does (the generic
/// check of `backend_registry.rs`), and beyond that: a monitor catch-all
/// that accepts logs, a logged flow that admits a packet logs it, no single
/// accept rule admits more than `decide` allows, and a packet arriving on
/// the wrong interface is never admitted when the policy does not allow it.
fn check_policy(p: &Policy, packets: &[Packet]) -> Result<(), TestCaseError> {
    for opts in eval::option_sets(p, gen::today()) {
        let rules = lower(p, &opts).unwrap();
        let text = emit_text(&rules);
        eval::agrees(Target::Nftables, p, &opts, &text, packets).map_err(TestCaseError::fail)?;
        let rs = nft_eval::parse(&text).unwrap();
        for pkt in packets {
            let want = conduitc::decide(p, pkt, &opts).unwrap();
            let (iif, oif) = eval::nft_ifaces(p, &opts, pkt);
            let admitted_by = |name: &str| {
                want.flow.as_deref() == Some(name) || want.also.iter().any(|a| a == name)
            };
            // A packet to the firewall itself meets the input chain only,
            // any other packet the forward chains only.
            let to_device = eval::to_device(p, &opts, pkt);
            if nft_eval::opens_connection(pkt) && !to_device {
                let got = rs.eval(pkt, iif.as_deref(), oif.as_deref());
                if got.accept {
                    let rule = got.rule.as_deref().unwrap_or("(no comment)");
                    if rule.ends_with("/*") {
                        prop_assert!(
                            got.logged,
                            "monitor catch-all {rule} accepted without logging"
                        );
                    }
                }
                // A declared flow with `log` that admits the packet logs it.
                if rules
                    .rules
                    .iter()
                    .any(|r| r.log && !r.monitor && r.admits(pkt))
                {
                    prop_assert!(got.logged, "logged flow admitted {:?} silently", pkt);
                }
            }
            // Every single accept rule admits only what decide allows (the
            // input chain's fixed rules, which name no entry, are the
            // `agrees` check's: loopback and neighbour discovery).
            for (chain, r) in rs.rules() {
                if (chain == "input") != to_device || (to_device && r.comment.is_none()) {
                    continue;
                }
                if !r.accepts() || !rs.rule_matches(r, pkt, iif.as_deref(), oif.as_deref()) {
                    continue;
                }
                let c = r.comment.as_deref().unwrap_or("");
                prop_assert!(
                    want.allowed() && admitted_by(c),
                    "rule {:?} in {} admits {:?}, decide {:?}",
                    c,
                    chain,
                    pkt,
                    want
                );
                if c.ends_with("/*") {
                    prop_assert!(r.logs(), "monitor catch-all {c} does not log");
                }
            }
            // Arriving on the wrong interface never admits more.
            if let (Some(i), Some(o), false) = (&iif, &oif, to_device) {
                for (wi, wo) in [(o.as_str(), i.as_str()), ("bogus0", o.as_str())] {
                    if rs.eval(pkt, Some(wi), Some(wo)).accept {
                        prop_assert!(want.allowed(), "{:?} via {wi}->{wo} admitted", pkt);
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn logging_and_single_rules_agree_with_decide(
        spec in gen::policy_spec(),
        pkts in gen::packet_specs(150),
    ) {
        let p = spec.to_policy();
        check_policy(&p, &gen::resolve_packets(&p, &pkts))?;
    }
}

#[test]
fn sample_policy_agrees_with_decide_on_many_packets() {
    let p = sample::policy();
    for seed in 0..8 {
        check_policy(&p, &gen::packets(&p, seed, 300)).unwrap();
    }
}

#[test]
fn output_is_deterministic() {
    for seed in [1u64, 7, 42, 1234] {
        let p = gen::policy(seed);
        for opts in eval::option_sets(&p, gen::today()) {
            let a = emit_text(&lower(&p, &opts).unwrap());
            let p2: Policy = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
            let b = emit_text(&lower(&p2, &opts).unwrap());
            assert_eq!(a, b);
        }
    }
}

#[test]
fn sample_policy_golden_output() {
    let p = sample::policy();
    let plain = emit_text(&lower(&p, &BuildOptions::new(sample::today())).unwrap());
    insta::assert_snapshot!("nft_sample_plain", plain);
    let fw = emit_text(
        &lower(
            &p,
            &BuildOptions::new(sample::today())
                .firewall("plant-fw")
                .isolation("cut-dmz"),
        )
        .unwrap(),
    );
    insta::assert_snapshot!("nft_sample_firewall_isolated", fw);
}

#[test]
fn file_replaces_the_table_atomically_and_drops_by_default() {
    let text = emit_text(&lower(&sample::policy(), &BuildOptions::new(sample::today())).unwrap());
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        &body[..3],
        [
            "table inet conduit",
            "delete table inet conduit",
            "table inet conduit {"
        ]
    );
    assert!(!text.contains("flush"));
    assert!(!text.contains("destroy"));
    assert!(!text.contains("th dport"));
    let fwd = text.find("chain forward {").unwrap();
    let after: Vec<&str> = text[fwd..].lines().skip(1).take(3).map(str::trim).collect();
    assert_eq!(
        after,
        [
            "type filter hook forward priority filter; policy drop;",
            "ct state established,related accept",
            "ct state invalid drop"
        ]
    );
    // Every accept rule outside `forward` (whose only accept is for
    // established connections) names its flow.
    let rs = nft_eval::parse(&text).unwrap();
    let mut n = 0;
    for (chain, r) in rs.rules() {
        if r.accepts() && chain != "forward" {
            let c = r.comment.as_deref().unwrap_or_default();
            assert!(c.contains('/'), "accept rule without a flow name: {r:?}");
            n += 1;
        }
    }
    assert!(n >= 6);
}

#[test]
fn user_text_never_reaches_the_output() {
    let p = sample::policy();
    let text = emit_text(&lower(&p, &BuildOptions::new(sample::today())).unwrap());
    assert!(!text.contains("quoted"), "descriptions leak");
    assert!(!text.contains("sample"), "reasons leak");
    assert!(!text.contains('$'));
    assert!(!text.contains('\\'));
}

#[test]
fn many_hosts_and_ports_stay_a_handful_of_rules() {
    let mut p = sample::policy();
    // 40 hosts in Supervisory, 30 scattered ports: one flow, one rule per family.
    let mut src = AddrSet::new();
    for i in 0..40u8 {
        src = src.union(&AddrSet::from_addr(sample::v4(1, 100 + i * 3)));
    }
    let ports: Vec<(u16, u16)> = (0..30u16).map(|i| (1000 + i * 7, 1000 + i * 7)).collect();
    let f = &mut p.conduits[0].flows[0];
    f.src = src;
    f.services.tcp = PortSet::from_ranges(ports);
    let text = emit_text(&lower(&p, &BuildOptions::new(sample::today())).unwrap());
    let rs = nft_eval::parse(&text).unwrap();
    let n = rs
        .rules()
        .filter(|(_, r)| r.comment.as_deref() == Some("supervisory-control/poll-plcs"))
        .count();
    assert_eq!(n, 1, "{text}");
    assert!(
        rs.set_sizes().values().any(|&n| n >= 10),
        "hosts live in a set"
    );
}

fn refused(rules: &RuleSet) -> bool {
    matches!(
        backend::emit(rules, Target::Nftables),
        Err(EmitError::BadName { .. } | EmitError::InterfaceName { .. })
    )
}

#[test]
fn unsafe_names_are_refused_not_escaped() {
    let p = sample::policy();
    let opts = BuildOptions::new(sample::today()).firewall("plant-fw");
    let base = lower(&p, &opts).unwrap();
    assert!(!refused(&base));
    type Mutation = Box<dyn Fn(&mut RuleSet)>;
    let cases: Vec<Mutation> = vec![
        Box::new(|r| r.rules[0].name = "a\"b/c".into()),
        Box::new(|r| r.rules[0].name = "x/y".into()),
        Box::new(|r| r.rules[0].conduit = "has space".into()),
        Box::new(|r| r.rules[0].flow = Some("f$x".into())),
        Box::new(|r| r.zones[0].name = "zone\n# evil".into()),
        Box::new(|r| r.zones[0].iface = Some("eth*".into())),
        Box::new(|r| r.zones[1].iface = Some("abcdefghijklmnop".into())),
        Box::new(|r| r.isolation = Some("x\ny".into())),
        Box::new(|r| {
            if let Some(f) = &mut r.firewall {
                f.name = "fw\"".into();
            }
        }),
        Box::new(|r| r.rules[0].in_iface = Some("r-other".into())),
        Box::new(|r| {
            let mut wide = r.rules[0].dst.clone();
            wide.insert_net("192.0.2.0/24".parse().unwrap());
            r.rules[0].dst = wide;
        }),
        Box::new(|r| {
            if let Some(m) = r.rules.iter_mut().find(|r| r.monitor) {
                m.log = false;
            }
        }),
    ];
    for (i, mutate) in cases.iter().enumerate() {
        let mut r = base.clone();
        mutate(&mut r);
        assert!(refused(&r), "case {i} was emitted");
        assert!(
            matches!(
                backend::emit(&r, Target::NftablesJson),
                Err(EmitError::BadName { .. } | EmitError::InterfaceName { .. })
            ),
            "case {i} was emitted as JSON"
        );
    }
}

#[test]
fn generated_identifiers_stay_unique() {
    // `a` + `b_c` and `a_b` + `c` both lowercase to `a_b_c`: the sets they
    // need must still get distinct names.
    let mut p = sample::policy();
    for (ci, conduit, flow) in [(1, "a", "b_c"), (2, "A_b", "c")] {
        p.conduits[ci].name = Name::new(conduit);
        p.conduits[ci].flows[0].name = Name::new(flow);
        for f in &mut p.conduits[ci].flows {
            f.full_name = format!("{conduit}/{}", f.name).into();
        }
    }
    let text = emit_text(&lower(&p, &BuildOptions::new(sample::today())).unwrap());
    assert!(text.contains("set f_a_b_c_src_v4 {"), "{text}");
    assert!(text.contains("set f_a_b_c_src_v4_2 {"), "{text}");
    nft_eval::parse(&text).unwrap();
    check_policy(&p, &gen::packets(&p, 3, 300)).unwrap();
}
