//! Timing and memory figures shared by the benchmarks.

use std::time::{Duration, Instant};

/// CPU time of this thread so far (`/proc/thread-self/schedstat` on
/// Linux): unlike wall time, it does not grow when other processes share
/// the cores.
pub fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Runs `f` `n` times; returns sorted wall times and sorted CPU times.
pub fn time<T>(n: usize, mut f: impl FnMut() -> T) -> (Vec<Duration>, Vec<Duration>) {
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let (w0, c0) = (Instant::now(), cpu_time());
        std::hint::black_box(f());
        wall.push(w0.elapsed());
        if let (Some(c0), Some(c1)) = (c0, cpu_time()) {
            cpu.push(c1.saturating_sub(c0));
        }
    }
    wall.sort();
    cpu.sort();
    (wall, cpu)
}

/// Milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints the minimum and median wall and CPU times of [`time`]'s result.
pub fn report(what: &str, (wall, cpu): &(Vec<Duration>, Vec<Duration>)) {
    let median = |v: &[Duration]| v.get(v.len() / 2).copied().unwrap_or_default();
    let mut line = format!(
        "{what}: wall min {:.1} ms, median {:.1} ms",
        ms(wall.first().copied().unwrap_or_default()),
        ms(median(wall))
    );
    if !cpu.is_empty() {
        line.push_str(&format!(
            "; cpu min {:.1} ms, median {:.1} ms",
            ms(cpu[0]),
            ms(median(cpu))
        ));
    }
    println!("{line} ({} runs)", wall.len());
}

/// The process's peak resident set so far (`VmHWM` in `/proc/self/status`).
pub fn peak_mb() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or_else(|| "n/a".to_string(), |kb| format!("{:.1} MB", kb / 1024.0))
}
