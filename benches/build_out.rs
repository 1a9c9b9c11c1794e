//! Peak memory of `conduitc build --out DIR` on a large policy.
//!
//! Run with `cargo bench --bench build_out`. The policy is the generated
//! plant of `common::plant` (400 zones, 40,000 flows; about 10 MB of
//! text, in files of about 2 MB) with six firewalls, two per platform (`nftables`, `cisco-ios`,
//! `fortios`), each with an interface in every zone, so each firewall's
//! file holds the whole policy. The release binary is run under
//! `/usr/bin/time -f %M`, which reports the child's peak resident set; the
//! bench prints it beside the total size of the files written, which is
//! what a build that renders every file in memory before writing holds at
//! once.
//!
//! Set `CONDUITC_BIN` to measure another binary (an earlier build, for a
//! before/after comparison) and `ZONES` / `FLOWS` to change the size.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::env_or;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The plant with six firewalls that each see every zone.
fn policy(zones: usize, flows: usize) -> String {
    let mut s = common::plant(zones, flows);
    for (i, platform) in ["nftables", "cisco-ios", "fortios"]
        .iter()
        .cycle()
        .take(6)
        .enumerate()
    {
        let _ = writeln!(s, "firewall fw{i} {{\n  platform {platform}");
        for z in 0..zones {
            let port = match *platform {
                "nftables" => format!("eth{z}"),
                "cisco-ios" => format!("GigabitEthernet0/{z}"),
                _ => format!("port{z}"),
            };
            let _ = writeln!(s, "  interface \"{port}\" = z{z}");
        }
        s.push_str("}\n\n");
    }
    s
}

fn size_of(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

fn main() {
    let (zones, flows) = (env_or("ZONES", 400), env_or("FLOWS", 40_000));
    let bin = std::env::var("CONDUITC_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_conduitc").to_string());
    let tmp = tempfile::tempdir().unwrap();
    // A source file may hold 4 MiB: the policy is split at top-level
    // declarations into files of about 2 MB in one directory.
    let src = tmp.path().join("plant");
    std::fs::create_dir(&src).unwrap();
    let text = policy(zones, flows);
    let mut part = String::new();
    let mut parts = 0;
    for decl in text.split_inclusive("}\n\n") {
        part.push_str(decl);
        if part.len() > 2_000_000 {
            std::fs::write(src.join(format!("part{parts:03}.conduit")), &part).unwrap();
            parts += 1;
            part.clear();
        }
    }
    std::fs::write(src.join(format!("part{parts:03}.conduit")), &part).unwrap();
    let out = tmp.path().join("out");
    let t = Instant::now();
    let run = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(&bin)
        .arg("build")
        .arg(&src)
        .args(["--today", "2026-12-01", "--out"])
        .arg(&out)
        .output()
        .expect("run /usr/bin/time");
    let wall = t.elapsed();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    let peak_kb: f64 = err
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("a peak RSS from /usr/bin/time");
    let mb = |b: f64| b / (1024.0 * 1024.0);
    println!("| binary | policy text | files written (total) | largest file | wall | peak RSS |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let largest = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .max()
        .unwrap_or(0);
    println!(
        "| {bin} | {:.1} MB ({zones} zones, {flows} flows, 6 firewalls) | {:.1} MB | {:.1} MB | {:.1} s | {:.1} MB |",
        mb(text.len() as f64),
        mb(size_of(&out) as f64),
        mb(largest as f64),
        wall.as_secs_f64(),
        peak_kb / 1024.0
    );
}
