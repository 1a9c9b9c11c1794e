//! Check and render a policy whose single 230 KB line holds 10,000 errors;
//! prints the timings and the size of each rendering.
//!
//! Run with `cargo bench --bench diagnostics`. Before the text renderer cut
//! long lines and stopped after 100 diagnostics, this input printed the whole
//! line once per error (over 2 GB). Besides wall-clock time it reports the
//! thread's CPU time (from `/proc/thread-self/schedstat` on Linux), which
//! stays meaningful on a busy machine.

mod common;

use common::timing::cpu_time;

use std::time::{Duration, Instant};

use conduitc::diag::render;
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

/// Runs `f` `n` times; prints min and median wall and CPU times, and the
/// size `f` returned (in `unit`).
fn report(what: &str, unit: &str, n: usize, mut f: impl FnMut() -> usize) {
    let (mut wall, mut cpu, mut len) = (Vec::new(), Vec::new(), 0);
    for _ in 0..n {
        let (w0, c0) = (Instant::now(), cpu_time());
        len = std::hint::black_box(f());
        wall.push(w0.elapsed());
        if let (Some(c0), Some(c1)) = (c0, cpu_time()) {
            cpu.push(c1.saturating_sub(c0));
        }
    }
    wall.sort();
    cpu.sort();
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let mut line = format!(
        "{what}: wall min {:.1} ms, median {:.1} ms",
        ms(wall.first()),
        ms(wall.get(n / 2))
    );
    if !cpu.is_empty() {
        line.push_str(&format!(
            "; cpu min {:.1} ms, median {:.1} ms",
            ms(cpu.first()),
            ms(cpu.get(n / 2))
        ));
    }
    println!("{line}; {len} {unit} ({n} runs)");
}

fn main() {
    let hosts: Vec<String> = (0..10_000)
        .map(|i| format!("host h{i} = 999.0.0.1"))
        .collect();
    let text = format!(
        "owner o {{ contact \"a@b\" }} zone z {{ level 1 owner o networks 10.0.0.0/8 {} }}\n",
        hosts.join(" ")
    );
    let today = Date::parse("2026-12-01").unwrap_or_else(Date::today);
    let sources = Sources::from_memory("long.conduit", text.clone());
    let checked = check(&sources, &CheckOptions::new(today));
    println!(
        "input: one line of {} bytes, {} diagnostics",
        text.len(),
        checked.diagnostics.len()
    );
    report("check", "diagnostics", 5, || {
        check(&sources, &CheckOptions::new(today)).diagnostics.len()
    });
    report("render text", "bytes", 5, || {
        render::text(&checked.diagnostics, &sources, false).len()
    });
    report("render text, colour", "bytes", 5, || {
        render::text(&checked.diagnostics, &sources, true).len()
    });
    report("render json", "bytes", 5, || {
        render::json(&checked.diagnostics, &sources, None).len()
    });
    report("render sarif", "bytes", 5, || {
        render::sarif(&checked.diagnostics, &sources).len()
    });
}
