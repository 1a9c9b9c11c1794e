//! `gen::to_text(&spec.to_policy())` parses and checks to the generated
//! policy: the parser and checker agree with the model the rest of the
//! compiler is tested on.
//!
//! Two legitimate differences are removed from the generated policy before
//! comparing:
//! - flows that can never match (for example an IPv6-only host to an
//!   IPv4-only host, or only ICMPv6 between IPv4 endpoints) are dropped: the
//!   checker rejects them with `E504`, which the generator does not avoid;
//! - isolation modes that sever nothing are dropped: `to_text` does not
//!   print them (the language requires at least one zone in `sever`).
//!
//! The text is checked the day before `gen::today()`, since the generator
//! also writes flows that expire on that day.

use conduitc::model::{AddrSet, Policy};
use conduitc::{check, CheckOptions, Code, Sources};
use proptest::prelude::*;

use conduitc_testkit::gen;

fn can_match(f: &conduitc::model::Flow) -> bool {
    let v4 = f.src.has_v4() && f.dst.has_v4();
    let v6 = f.src.has_v6() && f.dst.has_v6();
    let s = &f.services;
    let generic = !s.tcp.is_empty() || !s.udp.is_empty() || !s.ip.is_empty();
    (v4 && (generic || !s.icmp.is_empty())) || (v6 && (generic || !s.icmpv6.is_empty()))
}

/// The generated policy without what the language cannot express.
pub fn expressible(mut p: Policy) -> Policy {
    for c in &mut p.conduits {
        c.flows.retain(can_match);
    }
    p.isolations.retain(|i| !i.sever.is_empty());
    p
}

fn check_text(text: &str) -> conduitc::Checked {
    let sources = Sources::from_memory("generated.conduit", text);
    check(&sources, &CheckOptions::new(gen::today().add_days(-1)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn printed_policies_check_back_to_the_same_model(spec in gen::policy_spec(), marks in any::<u8>()) {
        let mut want = expressible(spec.to_policy());
        // Some zones marked `supplier` (the generator marks none).
        for (i, z) in want.zones.iter_mut().enumerate() {
            z.supplier = marks >> (i % 8) & 1 == 1;
        }
        let text = gen::to_text(&want);
        let checked = check_text(&text);
        let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
        prop_assert!(errors.is_empty(), "errors: {:#?}\n{}", errors, text);
        let got = checked.policy.expect("no errors, so a policy");
        prop_assert_eq!(&got, &want, "{}", text);
    }

    #[test]
    fn printed_entries_and_addresses_check_back_to_the_same_model(spec in gen::policy_spec()) {
        let want = expressible(spec.to_policy());
        let text = gen::to_text(&want);
        let checked = check_text(&text);
        let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
        prop_assert!(errors.is_empty(), "errors: {:#?}\n{}", errors, text);
        let got = checked.policy.expect("no errors, so a policy");
        prop_assert_eq!(&got, &want, "{}", text);
    }

    #[test]
    fn flows_that_cannot_match_are_rejected(spec in gen::policy_spec()) {
        let p = spec.to_policy();
        let dropped = p.flows().filter(|(_, f)| !can_match(f)).count();
        let mut keep = p.clone();
        keep.isolations.retain(|i| !i.sever.is_empty());
        let checked = check_text(&gen::to_text(&keep));
        let never = checked.diagnostics.iter().filter(|d| d.code == Code::FlowNeverMatches).count();
        prop_assert_eq!(never, dropped);
        prop_assert_eq!(checked.policy.is_none(), dropped > 0);
    }
}

#[test]
fn any_zone_owns_the_complement_of_the_others() {
    let text = r#"
owner o { contact "c" }
zone a { level 1 owner o networks 10.0.0.0/8, 2001:db8::/32 }
zone b { level 2 owner o networks 192.168.0.0/16 }
zone rest { level 5 owner o networks any }
"#;
    let p = check_text(text).policy.unwrap();
    let others = p.zones[0].addrs.union(&p.zones[1].addrs);
    assert_eq!(p.zones[2].addrs, others.complement());
    assert!(p.zones[2].addrs.has_v4() && p.zones[2].addrs.has_v6());
    assert_eq!(
        AddrSet::union_all(p.zones.iter().map(|z| &z.addrs)),
        AddrSet::all()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Damaged versions of valid text (a line deleted, repeated, cut short or
    /// swapped with the next) never panic or hit an internal error, and a
    /// policy comes back exactly when there is no error.
    #[test]
    fn damaged_policies_are_diagnosed_not_crashed(spec in gen::policy_spec(), at in any::<usize>(), how in 0u8..4) {
        let text = gen::to_text(&expressible(spec.to_policy()));
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let i = at % lines.len();
        match how {
            0 => { lines.remove(i); }
            1 => { let l = lines[i].clone(); lines.insert(i, l); }
            2 => { let l = &lines[i]; let cut = l.char_indices().map(|(k, _)| k).nth(l.chars().count() / 2).unwrap_or(0); lines[i] = l[..cut].to_string(); }
            _ => { if i + 1 < lines.len() { lines.swap(i, i + 1); } }
        }
        let damaged = lines.join("\n");
        let checked = check_text(&damaged);
        prop_assert!(!checked.diagnostics.contains(Code::Internal), "{}", damaged);
        prop_assert_eq!(checked.policy.is_some(), !checked.diagnostics.has_errors());
    }
}

/// Generated policies shrink: a property that fails on a flow with a UDP
/// service reduces to a policy of a few zones without hosts or groups and a
/// flow or two, each with one service.
#[test]
fn a_failing_policy_shrinks_to_a_small_one() {
    use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::with_cases(256)
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let result = runner.run(&gen::policy_spec(), |spec| {
        let p = spec.to_policy();
        prop_assert!(!p.flows().any(|(_, f)| !f.services.udp.is_empty()));
        Ok(())
    });
    let Err(TestError::Fail(_, spec)) = result else {
        panic!("the property should fail: {result:?}");
    };
    let p = spec.to_policy();
    let text = spec.render();
    assert!(p.zones.len() <= 3, "{text}");
    assert!(p.flows().count() <= 2, "{text}");
    assert!(
        p.zones
            .iter()
            .all(|z| z.hosts.is_empty() && z.groups.is_empty()),
        "{text}"
    );
    assert!(p.flows().all(|(_, f)| f.service_refs.len() == 1), "{text}");
    assert!(p.flows().any(|(_, f)| !f.services.udp.is_empty()), "{text}");
}
