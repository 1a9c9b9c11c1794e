//! The README's library example, as written there (cargo runs tests from
//! the package root, so the relative paths resolve as in the README).

use conduitc::backend::{emit, Target};
use conduitc::lower::{lower, BuildOptions};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

#[test]
fn readme_library_example_runs() {
    let today = Date::parse("2026-12-01").unwrap();
    let sources = Sources::load(&["examples/bottling-plant.conduit"]).unwrap();
    let checked = check(&sources, &CheckOptions::new(today));
    let policy = checked.policy.expect("the example checks clean");
    let rules = lower(&policy, &BuildOptions::new(today)).unwrap();
    let nft = emit(&rules, Target::Nftables).unwrap();
    assert!(nft.contains("comment \"supervisory-control/plc-io\""));
    // The README quotes this example: keep the two in step.
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.contains("let nft = emit(&rules, Target::Nftables).unwrap();"));
}
