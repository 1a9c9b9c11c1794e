//! Flows that expand one large service: how long `check` takes and how much
//! memory it holds when the flows share one copy of the service, and when
//! every flow's set differs and the expansion limit (`E012`) stops it.
//!
//! Run with `cargo bench --bench expand`. Inputs (two files, checked
//! against 2026-12-01), from `testkit/src/adversarial.rs`:
//!
//! - `diverging`: 20,000 flows, each naming a service of 10,000 separate
//!   TCP ports and one port of its own (200 million ranges if each flow
//!   held its own copy): `E012` at the 1,000th flow;
//! - `shared`: 49,995 flows (the declaration limit, less the other
//!   declarations), each from its own host and naming only that service
//!   (500 million ranges if each flow held its own copy).
//!
//! Peak memory is the process's high-water resident set (`VmHWM` in
//! `/proc/self/status`, Linux only) after each input; the inputs run in
//! order of increasing expected memory, so each figure bounds its input.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

mod common;

use common::timing::peak_mb;

fn main() {
    use conduitc_testkit::adversarial::{diverging_services, shared_service};
    let opts = CheckOptions::new(Date::parse("2026-12-01").unwrap());
    let inputs = [
        ("diverging", diverging_services(20_000, 10_000)),
        ("shared", shared_service(49_995, 10_000)),
    ];
    println!("| input | policy text | check | outcome | peak RSS |");
    println!("| --- | --- | --- | --- | --- |");
    for (what, [decls, flows]) in inputs {
        let size = decls.len() + flows.len();
        let mut sources = Sources::new();
        sources.add_memory("decls.conduit", decls);
        sources.add_memory("flows.conduit", flows);
        let start = Instant::now();
        let checked = check(&sources, &opts);
        let took = start.elapsed();
        let outcome = match checked.policy {
            Some(p) => format!(
                "{} flows, {} findings",
                p.flows().count(),
                checked.diagnostics.iter().count()
            ),
            None => format!("{:?}", checked.diagnostics.codes()),
        };
        println!(
            "| {what} | {:.0} KB | {:.0} ms | {outcome} | {} |",
            size as f64 / 1024.0,
            took.as_secs_f64() * 1000.0,
            peak_mb()
        );
    }
}
