//! `RuleSet::for_firewall`: selecting a firewall's rules from the rule set
//! lowered for every zone gives what lowering for that firewall gives, on
//! generated policies and on the examples; and so does `Lowering`, the
//! firewall-independent part of lowering done once (which `build --out`
//! relies on).

use conduitc::lower::{lower, BuildOptions, LowerError, Lowering};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};
use proptest::prelude::*;

use conduitc_testkit::gen;

fn options(today: Date, isolation: Option<&str>) -> BuildOptions {
    BuildOptions::new(today).with_isolation(isolation.map(str::to_string))
}

proptest! {
    #[test]
    fn selected_rules_are_the_rules_lowered_for_the_firewall(spec in gen::policy_spec()) {
        let p = spec.to_policy();
        for today in [gen::today(), gen::today().add_days(1)] {
            for isolation in [None, Some("island")] {
                let opts = options(today, isolation);
                let all = lower(&p, &opts).unwrap();
                let lowering = Lowering::new(&p, &opts).unwrap();
                prop_assert_eq!(&lowering.rule_set(None).unwrap(), &all);
                for fw in &p.firewalls {
                    let name = fw.name.as_str();
                    let want = lower(&p, &opts.clone().firewall(name)).unwrap();
                    prop_assert_eq!(&lowering.for_firewall(name).unwrap(), &want);
                    prop_assert_eq!(all.for_firewall(&p, name).unwrap(), want);
                }
            }
        }
    }
}

/// The bottling plant and the water utility (its files together).
fn examples() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let plant = std::fs::read_to_string(format!("{dir}/bottling-plant.conduit")).unwrap();
    let mut utility = String::new();
    let mut files: Vec<_> = std::fs::read_dir(format!("{dir}/water-utility"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conduit"))
        .collect();
    files.sort();
    for f in files {
        utility.push_str(&std::fs::read_to_string(f).unwrap());
        utility.push('\n');
    }
    vec![plant, utility]
}

#[test]
fn selected_rules_match_on_every_example_firewall_and_isolation_mode() {
    let today = Date::parse("2026-12-01").unwrap();
    let mut firewalls = 0;
    for text in examples() {
        let sources = Sources::from_memory("p.conduit", &text);
        let checked = check(&sources, &CheckOptions::new(today));
        let p = checked.policy.expect("the example checks");
        let modes = std::iter::once(None).chain(p.isolations.iter().map(|i| Some(i.name.as_str())));
        for isolation in modes {
            let opts = options(today, isolation);
            let all = lower(&p, &opts).unwrap();
            let lowering = Lowering::new(&p, &opts).unwrap();
            assert_eq!(lowering.rule_set(None).unwrap(), all, "{isolation:?}");
            for fw in &p.firewalls {
                let name = fw.name.as_str();
                let want = lower(&p, &opts.clone().firewall(name)).unwrap();
                assert_eq!(
                    lowering.for_firewall(name).unwrap(),
                    want,
                    "shared lowering: {name} {isolation:?}"
                );
                assert_eq!(
                    all.for_firewall(&p, name).unwrap(),
                    want,
                    "{name} {isolation:?}"
                );
                firewalls += 1;
            }
        }
    }
    assert!(firewalls >= 6, "{firewalls} firewalls seen");
}

#[test]
fn an_unknown_firewall_is_refused_as_lowering_refuses_it() {
    let p = gen::policy(7);
    let all = lower(&p, &BuildOptions::new(gen::today())).unwrap();
    assert_eq!(
        all.for_firewall(&p, "no-such-fw").unwrap_err(),
        LowerError::UnknownFirewall("no-such-fw".into())
    );
    let lowering = Lowering::new(&p, &BuildOptions::new(gen::today())).unwrap();
    assert_eq!(
        lowering.for_firewall("no-such-fw").unwrap_err(),
        LowerError::UnknownFirewall("no-such-fw".into())
    );
}

#[test]
fn an_unknown_isolation_mode_is_refused_by_the_shared_lowering_as_by_lower() {
    let p = gen::policy(7);
    let opts = BuildOptions::new(gen::today()).isolation("no-such-mode");
    let want = lower(&p, &opts).unwrap_err();
    assert_eq!(want, LowerError::UnknownIsolation("no-such-mode".into()));
    assert_eq!(Lowering::new(&p, &opts).err(), Some(want));
}
