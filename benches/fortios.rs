//! FortiOS emission of a 100,000-flow policy for one firewall that faces
//! every zone, the `fw-forti` firewall of the `scale` bench.
//!
//! Run with `cargo bench --bench fortios`. The policy is the generated
//! plant of `common::plant` (1,000 zones and 100,000 flows by default;
//! `ZONES` and `FLOWS` change the size) with one FortiOS firewall holding an
//! interface in every zone. It is checked and lowered once, outside the
//! timing; then the rule set is emitted `RUNS` times (default 5) into a
//! writer that only counts bytes, as `build --out` streams into a file. The
//! figures are wall and thread CPU time, minimum and median.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::env_or;
use common::timing::{report, time};

use std::fmt::Write as _;

use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

/// A writer that counts bytes and keeps nothing.
#[derive(Default)]
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let (zones, flows) = (env_or("ZONES", 1_000), env_or("FLOWS", 100_000));
    let runs = env_or("RUNS", 5);
    let mut text = common::plant(zones, flows);
    let _ = writeln!(text, "firewall fw-forti {{\n  platform fortios");
    for z in 0..zones {
        let _ = writeln!(text, "  interface \"port{z}\" = z{z}");
    }
    text.push_str("}\n");
    let today = Date::parse("2026-12-01").unwrap();
    let sources = Sources::from_memory("plant.conduit", text.as_str());
    let (policy, _) = check(&sources, &CheckOptions::new(today))
        .into_result()
        .expect("the generated policy must check");
    let rules = lower(&policy, &BuildOptions::new(today).firewall("fw-forti")).unwrap();
    drop(policy);
    drop(sources);
    println!(
        "policy: {zones} zones, {flows} flows, {:.1} MiB of text; {} rules for fw-forti",
        text.len() as f64 / (1024.0 * 1024.0),
        rules.rules.len()
    );
    drop(text);

    report(
        "fortios emit_to",
        &time(runs, || {
            let mut sink = Counter::default();
            backend::emit_to(&rules, Target::Fortios, &mut sink).map(|()| sink.0)
        }),
    );
    let mut sink = Counter::default();
    backend::emit_to(&rules, Target::Fortios, &mut sink).unwrap();
    println!("output: {:.1} MB", sink.0 as f64 / 1e6);
}
