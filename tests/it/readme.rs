//! The README's library example, as written there (cargo runs tests from
//! the package root, so the relative paths resolve as in the README).

use std::error::Error;

use conduitc::backend::{emit, Target};
use conduitc::model::Date;
use conduitc::{check, lower, BuildOptions, CheckOptions, Sources};

#[test]
fn readme_library_example_runs() -> Result<(), Box<dyn Error>> {
    let today: Date = "2026-12-01".parse()?;
    let sources = Sources::load(&["examples/bottling-plant.conduit"])?;
    // A failed check is an error that names the first problem and its location.
    let (policy, _warnings) = check(&sources, &CheckOptions::new(today)).into_result()?;
    let rules = lower(&policy, &BuildOptions::new(today))?;
    let nft = emit(&rules, Target::Nftables)?;
    assert!(nft.contains("comment \"supervisory-control/plc-io\""));
    // The README quotes this example: keep the two in step.
    let readme = std::fs::read_to_string("README.md")?;
    for line in [
        "let (policy, _warnings) = check(&sources, &CheckOptions::new(today)).into_result()?;",
        "let nft = emit(&rules, Target::Nftables)?;",
    ] {
        assert!(readme.contains(line), "{line}");
    }
    Ok(())
}
