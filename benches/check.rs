//! Parse and check a generated 10,000-flow policy, and the adversarial
//! policies of `conduitc_testkit::adversarial`; prints the timings.
//!
//! Run with `cargo bench --bench check`. Besides wall-clock time it reports
//! the thread's CPU time (from `/proc/thread-self/schedstat` on Linux), which
//! stays meaningful on a busy machine.
//!
//! `ZONES=1000 FLOWS=100000 cargo bench --bench check` measures another
//! size (the adversarial inputs are then left out).

mod common;

use common::env_or;

use common::timing::{report, time};

use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

fn main() {
    let (zones, flows) = (env_or("ZONES", 200), env_or("FLOWS", 10_000));
    let sized = std::env::var_os("ZONES").is_some() || std::env::var_os("FLOWS").is_some();
    let text = common::plant(zones, flows);
    let today = Date::parse("2026-12-01").unwrap_or_else(Date::today);
    let opts = CheckOptions::new(today);
    let sources = Sources::from_memory("plant.conduit", text.as_str());

    // Once to validate the input and warm up.
    let checked = check(&sources, &opts);
    let errors = checked.diagnostics.error_count();
    let warnings = checked.diagnostics.warning_count();
    let policy = checked.policy.unwrap_or_default();
    assert_eq!(errors, 0, "the generated policy must check");
    assert_eq!(policy.flows().count(), flows);
    println!(
        "policy: {} zones, {flows} flows, peak so far {}, {:.1} MiB of text, {warnings} warnings",
        policy.zones.len(),
        common::timing::peak_mb(),
        text.len() as f64 / (1024.0 * 1024.0)
    );

    report("parse+check", &time(10, || check(&sources, &opts)));
    report(
        "parse only (lexical pass, grammar, tree)",
        &time(10, || conduitc::parse(&sources)),
    );
    if sized {
        return;
    }
    // Worst case for the redundant-flow lint: every flow between one pair of zones.
    let dense = common::plant(2, 10_000);
    let dense_sources = Sources::from_memory("dense.conduit", dense.as_str());
    let c = check(&dense_sources, &opts);
    assert_eq!(c.diagnostics.error_count(), 0);
    report(
        "parse+check, 10000 flows between 2 zones",
        &time(3, || check(&dense_sources, &opts)),
    );
    // Inputs built against the redundant-flow lint and "did you mean".
    let adversarial = [
        (
            "W105: 1000 nested services of 1000 ranges",
            conduitc_testkit::adversarial::nested_services(1_000, 1_000),
        ),
        (
            "W105: 2000 nested services of 2000 ranges",
            conduitc_testkit::adversarial::nested_services(2_000, 2_000),
        ),
        (
            "W105: 5000 flows, one hull, no shared points",
            conduitc_testkit::adversarial::wide_hulls(5_000),
        ),
        (
            "W105: 3000 overlapping port ranges",
            conduitc_testkit::adversarial::sliding_services(3_000, 100),
        ),
        (
            "W105: 12000 overlapping port ranges (budget)",
            conduitc_testkit::adversarial::sliding_services(12_000, 1),
        ),
        (
            "E202: 10000 unknown hosts among 5000",
            conduitc_testkit::adversarial::unknown_names(5_000),
        ),
        (
            "E202: 6000 unknown zones among 3000",
            conduitc_testkit::adversarial::unknown_zones(3_000),
        ),
    ];
    for (what, text) in &adversarial {
        let sources = Sources::from_memory("adversarial.conduit", text.as_str());
        let c = check(&sources, &opts);
        println!(
            "{what}: {:.0} KB, {} diagnostics",
            text.len() as f64 / 1024.0,
            c.diagnostics.iter().count()
        );
        report(what, &time(3, || check(&sources, &opts)));
    }
}
