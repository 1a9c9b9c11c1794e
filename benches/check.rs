//! Parse and check a generated 10,000-flow policy; prints the timings.
//!
//! Run with `cargo bench --bench check`.

mod common;

use std::time::{Duration, Instant};

use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

fn main() {
    let text = common::plant(200, 10_000);
    let today = Date::parse("2026-12-01").unwrap_or_else(Date::today);
    let opts = CheckOptions::new(today);
    let sources = Sources::from_memory("plant.conduit", text.as_str());

    // Once to validate the input and warm up.
    let checked = check(&sources, &opts);
    let errors = checked.diagnostics.error_count();
    let warnings = checked.diagnostics.warning_count();
    let policy = checked.policy.unwrap_or_default();
    let flows = policy.flows().count();
    assert_eq!(errors, 0, "the generated policy must check");
    assert_eq!(flows, 10_000);

    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let c = check(&sources, &opts);
        times.push(started.elapsed());
        std::hint::black_box(c);
    }
    times.sort();
    let parse_times: Vec<Duration> = (0..10)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(conduitc::syntax::parse(
                &sources,
                sources.ids().next().unwrap_or(conduitc::FileId::FIRST),
            ));
            started.elapsed()
        })
        .collect();
    let parse_min = parse_times.iter().min().copied().unwrap_or_default();
    let pest_min = (0..10)
        .map(|_| {
            use pest::Parser as _;
            let started = Instant::now();
            let pairs = conduitc::syntax::ConduitParser::parse(conduitc::syntax::Rule::file, &text);
            std::hint::black_box(pairs.is_ok());
            started.elapsed()
        })
        .min()
        .unwrap_or_default();
    println!(
        "check: {} zones, {flows} flows, {:.1} MiB of text, {warnings} warnings",
        policy.zones.len(),
        text.len() as f64 / (1024.0 * 1024.0)
    );
    println!(
        "parse+check: min {:.1} ms, median {:.1} ms, max {:.1} ms over {} runs (parse alone: min {:.1} ms, of which pest {:.1} ms)",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        times.len(),
        ms(parse_min),
        ms(pest_min)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
