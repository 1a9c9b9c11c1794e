//! The examples check clean, and their models survive a JSON round trip
//! and lower without error.

use conduitc::model::Date;
use conduitc::{load_and_check, lower, BuildOptions, CheckOptions, Policy};

const EXAMPLES: &[&str] = &[
    "examples/bottling-plant.conduit",
    "examples/water-utility",
    "examples/diff/v1",
    "examples/diff/v2",
];

fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

fn load(path: &str) -> Policy {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let checked = load_and_check(&[full], &CheckOptions::new(today())).unwrap();
    assert!(
        checked.diagnostics.is_empty(),
        "{path}: {:#?}",
        checked.diagnostics
    );
    checked.policy.unwrap()
}

#[test]
fn examples_check_clean() {
    for path in EXAMPLES {
        let p = load(path);
        assert!(!p.zones.is_empty() && !p.conduits.is_empty(), "{path}");
    }
}

#[test]
fn example_models_round_trip_through_json() {
    for path in EXAMPLES {
        let p = load(path);
        let json = serde_json::to_string(&p).unwrap();
        let back: Policy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p, "{path}");
    }
}

#[test]
fn examples_lower_for_every_firewall_and_isolation_mode() {
    for path in EXAMPLES {
        let p = load(path);
        let rules = lower(&p, &BuildOptions::new(today())).unwrap();
        for (_, f) in p.flows() {
            assert!(
                rules.rules.iter().any(|r| r.name == f.full_name),
                "{path}: {} not lowered",
                f.full_name
            );
        }
        for fw in &p.firewalls {
            let opts = BuildOptions::new(today()).firewall(fw.name.to_string());
            lower(&p, &opts).unwrap();
        }
        for i in &p.isolations {
            let opts = BuildOptions::new(today()).isolation(i.name.to_string());
            lower(&p, &opts).unwrap();
        }
    }
}

#[test]
fn the_bottling_plant_waives_its_monitor_mode_conduit() {
    let p = load("examples/bottling-plant.conduit");
    assert_eq!(p.waivers.len(), 1);
    assert_eq!(p.waivers[0].code, "W107");
    assert_eq!(p.waivers[0].scope, "supervisory-packaging");
}
