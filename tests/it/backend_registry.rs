//! One property over every registered backend: for generated policies,
//! under every option set, each target's output, read back by the evaluator
//! the registry gives it (`conduitc_testkit::eval`), decides every sampled
//! packet exactly as `conduitc::decide` does. Backend-specific properties
//! (stateless replies, logging, the shape of each file) live in each
//! backend's own tests. The `cisco-ios` target is compared in both its
//! forms, flat and with object groups, through the same evaluator.

use conduitc::backend::{self, Target};
use conduitc::lower::lower;
use conduitc::Policy;
use proptest::prelude::*;

use conduitc_testkit::{eval, gen, nft_eval, nft_json_eval, sample};

/// Every target's output under every option set agrees with `decide` on
/// `packets`; returns how many verdicts were compared per target, in
/// `Target::ALL` order, then for `cisco-ios` in its flat form.
fn every_backend_agrees(p: &Policy, packets: &[conduitc::Packet]) -> Result<[usize; 5], String> {
    let mut compared = [0; 5];
    for opts in eval::option_sets(p, gen::today()) {
        let rules = lower(p, &opts).map_err(|e| e.to_string())?;
        for (i, target) in Target::ALL.into_iter().enumerate() {
            let text =
                backend::emit(&rules, target).map_err(|e| format!("{}: {e}", target.as_str()))?;
            compared[i] += eval::agrees(target, p, &opts, &text, packets)?;
        }
        let flat = backend::EmitOptions::new().ios_flat(true);
        let text = backend::emit_string_with(&rules, Target::CiscoIos, &flat)
            .map_err(|e| format!("cisco-ios flat: {e}"))?;
        compared[4] += eval::agrees(Target::CiscoIos, p, &opts, &text, packets)
            .map_err(|e| format!("cisco-ios flat: {e}"))?;
    }
    Ok(compared)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_backend_decides_as_decide(spec in gen::policy_spec(), pkts in gen::packet_specs(150)) {
        let p = spec.to_policy();
        every_backend_agrees(&p, &gen::resolve_packets(&p, &pkts)).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn every_target_has_an_evaluator() {
    for target in Target::ALL {
        let e = eval::evaluator(target).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.target(), target);
    }
}

#[test]
fn the_sample_policy_is_compared_on_every_backend() {
    let p = sample::policy();
    let packets: Vec<_> = (0..4).flat_map(|s| gen::packets(&p, s, 300)).collect();
    let compared = every_backend_agrees(&p, &packets).unwrap();
    // Each evaluator compares most packets with `decide` rather than judging
    // them by its own semantics.
    let names = Target::ALL
        .iter()
        .map(|t| t.as_str())
        .chain(["cisco-ios flat"]);
    for (target, n) in names.zip(compared) {
        assert!(n > packets.len(), "{target} compared only {n} verdicts");
    }
}

/// A wrong verdict is caught: the nftables output (text or JSON) with its
/// drops turned into accepts passes what the policy does not allow.
#[test]
fn a_looser_output_is_caught() {
    let p = sample::policy();
    let opts = conduitc::BuildOptions::new(sample::today());
    let text = backend::emit(&lower(&p, &opts).unwrap(), Target::Nftables).unwrap();
    let packets = gen::packets(&p, 1, 300);
    assert!(eval::agrees(Target::Nftables, &p, &opts, &text, &packets).is_ok());
    let loose = text.replace("counter drop comment", "counter accept comment");
    assert_ne!(loose, text);
    let err = eval::agrees(Target::Nftables, &p, &opts, &loose, &packets).unwrap_err();
    assert!(err.contains("passed by"), "{err}");
    // The same for the JSON form, through its own reader.
    let json = backend::emit(&lower(&p, &opts).unwrap(), Target::NftablesJson).unwrap();
    assert!(eval::agrees(Target::NftablesJson, &p, &opts, &json, &packets).is_ok());
    let loose = json.replace("\"drop\":null", "\"accept\":null");
    assert_ne!(loose, json);
    let err = eval::agrees(Target::NftablesJson, &p, &opts, &loose, &packets).unwrap_err();
    assert!(err.contains("passed by"), "{err}");
}

/// The JSON form, read as nftables applies it, is the same ruleset as the
/// text form: the same sets, chains and rules in the same order.
#[test]
fn the_json_form_reads_as_the_text_form() {
    let p = sample::policy();
    for opts in eval::option_sets(&p, sample::today()) {
        let rules = lower(&p, &opts).unwrap();
        let text = backend::emit(&rules, Target::Nftables).unwrap();
        let json = backend::emit(&rules, Target::NftablesJson).unwrap();
        let from_json = nft_json_eval::to_text(&json).unwrap();
        let (a, b) = (
            nft_eval::parse(&text).unwrap(),
            nft_eval::parse(&from_json).unwrap(),
        );
        let rules_of = |rs: &nft_eval::Ruleset| {
            rs.rules()
                .map(|(c, r)| format!("{c}: {r:?}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(rules_of(&a), rules_of(&b), "{from_json}");
        assert_eq!(a.set_sizes(), b.set_sizes());
    }
}

#[test]
fn the_json_reader_refuses_what_it_does_not_know() {
    let p = sample::policy();
    let opts = conduitc::BuildOptions::new(sample::today());
    let json = backend::emit(&lower(&p, &opts).unwrap(), Target::NftablesJson).unwrap();
    for (from, to) in [
        ("\"accept\":null", "\"queue\":null"),
        ("\"op\":\"==\"", "\"op\":\"!=\""),
        ("\"family\":\"inet\"", "\"family\":\"ip\""),
        ("\"delete\"", "\"flush\""),
        ("\"saddr\"", "\"sport\""),
    ] {
        assert!(json.contains(from), "{from} not in the JSON");
        let bad = json.replacen(from, to, 1);
        let read = nft_json_eval::to_text(&bad).and_then(|t| nft_eval::parse(&t));
        assert!(read.is_err(), "{from} -> {to} was read");
    }
}
