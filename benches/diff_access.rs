//! The effective-access delta of `diff` on adversarial pairs of policies.
//!
//! Run with `cargo bench --bench diff_access`. Prints wall-clock and CPU
//! time (from `/proc/thread-self/schedstat` on Linux) of `diff` on two
//! versions of one conduit between two zones of `n` hosts each. Every host
//! `i` of the first zone may open any TCP port on host `i` of the second
//! (`n` flows), and the whole first zone may reach host `i` on TCP ports
//! `1-(1000+i)` (`n` nested port ranges). The new version starts those
//! ranges at port 2. Every service atom is covered by a different set of
//! rules, and every source host sees a different set of destinations; the
//! delta has `n + 1` boxes, each naming up to `n` flows.
//!
//! A second series also moves each range to the next host (`w{i}` reaches
//! host `i + 1`), so that no rule of one version has the same sources and
//! destinations as a rule of the other. A third series moves the ranges
//! but keeps their ports, so that only `n` boxes of one flow each change;
//! it runs up to `n` = 16,000 to show how the cost grows.

mod common;

use common::timing::cpu_time;
use conduitc_testkit::adversarial::nested_ranges;

use std::time::Instant;

use conduitc::diff::{diff, DiffOptions};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

fn main() {
    let today = Date::parse("2026-12-01").unwrap_or_else(Date::today);
    let check_opts = CheckOptions::new(today);
    let opts = DiffOptions::new(today);
    // (n, first port of the new ranges, shift). The first two series report
    // boxes that each name up to `n` flows (about `n²` names in all), so
    // they stop at 2,000; the third keeps the ports, reports `n` boxes of
    // one flow each and runs up to 16,000 (3.6 MB a version, near the
    // 4 MiB file limit).
    for (n, lo, shift) in [
        (200, 2, 0),
        (460, 2, 0),
        (2000, 2, 0),
        (200, 2, 1),
        (460, 2, 1),
        (2000, 2, 1),
        (2000, 1, 1),
        (8000, 1, 1),
        (16000, 1, 1),
    ] {
        // `cargo bench --bench diff_access -- kept` runs the third series only.
        if lo != 1 && std::env::args().any(|a| a == "kept") {
            continue;
        }
        let (a, b) = (nested_ranges(n, 1, 0), nested_ranges(n, lo, shift));
        let sa = Sources::from_memory("old.conduit", a.as_str());
        let sb = Sources::from_memory("new.conduit", b.as_str());
        let (ca, cb) = (check(&sa, &check_opts), check(&sb, &check_opts));
        assert_eq!(
            ca.diagnostics.error_count() + cb.diagnostics.error_count(),
            0
        );
        let (old, new) = (ca.policy.unwrap_or_default(), cb.policy.unwrap_or_default());
        let mut wall = Vec::new();
        let mut cpu = Vec::new();
        let mut summary = String::new();
        for _ in 0..3 {
            let (w0, c0) = (Instant::now(), cpu_time());
            let r = std::hint::black_box(diff(&old, &new, &opts));
            wall.push(w0.elapsed());
            if let (Some(c0), Some(c1)) = (c0, cpu_time()) {
                cpu.push(c1.saturating_sub(c0));
            }
            summary = format!(
                "{} boxes newly allowed, {} no longer allowed",
                r.access.added.len(),
                r.access.removed.len()
            );
        }
        wall.sort();
        cpu.sort();
        println!(
            "diff, n = {n}{}: {:.0} KB + {:.0} KB, {} flows each; {summary}",
            match (shift, lo) {
                (0, _) => "",
                (_, 1) => ", ranges moved, ports kept",
                _ => ", ranges moved",
            },
            a.len() as f64 / 1000.0,
            b.len() as f64 / 1000.0,
            2 * n
        );
        let mut line = format!("  wall median {:.3} s", wall[wall.len() / 2].as_secs_f64());
        if let Some(c) = cpu.get(cpu.len() / 2) {
            line.push_str(&format!(", cpu median {:.3} s", c.as_secs_f64()));
        }
        println!("{line} (3 runs)");
    }
}
