//! Lowering agrees with the reference semantics on generated policies.

use conduitc::lower::{lower, BuildOptions};
use proptest::prelude::*;

use conduitc_testkit::{eval, gen};

fn option_sets(p: &conduitc::Policy) -> Vec<BuildOptions> {
    let mut v = vec![BuildOptions::new(gen::today())];
    v.push(BuildOptions::new(gen::today()).isolation("island"));
    v.push(BuildOptions::new(gen::today()).firewall("fw"));
    v.push(BuildOptions::new(gen::today().add_days(1)));
    let _ = p;
    v
}

proptest! {
    #[test]
    fn lowered_rules_agree_with_decide(spec in gen::policy_spec(), pkts in gen::packet_specs(200)) {
        let p = spec.to_policy();
        for opts in option_sets(&p) {
            let rules = lower(&p, &opts).unwrap();
            for pkt in gen::resolve_packets(&p, &pkts) {
                let want = conduitc::decide(&p, &pkt, &opts).unwrap();
                eval::lowered_agrees(&rules, &p, &opts, &pkt, &want).map_err(TestCaseError::fail)?;
                if eval::to_device(&p, &opts, &pkt) {
                    continue;
                }
                // No single rule admits more than the policy: every admitting
                // rule's flow is among the flows decide names.
                for r in rules.rules.iter().filter(|r| r.admits(&pkt)) {
                    prop_assert!(want.flow.as_deref() == Some(r.name.as_str()) || want.also.iter().any(|a| *a == r.name));
                    if r.monitor {
                        prop_assert!(r.log, "monitor catch-all {} must log", r.name);
                    }
                }
            }
        }
    }

    #[test]
    fn model_round_trips_through_json(spec in gen::policy_spec()) {
        let p = spec.to_policy();
        let json = serde_json::to_string(&p).unwrap();
        let back: conduitc::Policy = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, p);
    }
}
