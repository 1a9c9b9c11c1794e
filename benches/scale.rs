//! CPU time and peak memory of whole `conduitc` processes on a large policy.
//!
//! Run with `cargo bench --bench scale`. The policy is the generated plant
//! of `common::plant` (1,000 zones and 100,000 flows by default; `ZONES`
//! and `FLOWS` change the size, for example `FLOWS=1000000 ZONES=10000`)
//! with three firewalls, one per platform (`nftables`, `cisco-ios`,
//! `fortios`), each with an interface in every zone, so each firewall's
//! file holds the whole policy. The text is written into a temporary
//! directory in files of about 2 MB (a file may hold 4 MiB).
//!
//! Each command runs as its own process under `/usr/bin/time -f "%U %S
//! %M"`: `check`, `build --out` (every firewall), and `build --target T
//! --firewall F` for each platform's firewall. The table gives the median
//! CPU time (user + system) of `RUNS` runs (default 3), the median peak
//! resident set, and that peak as a multiple of the policy's size.
//!
//! The million-flow plant has 1,020,007 declarations and flows, over the
//! default limit: `MAX_DECLARATIONS=1100000` passes `--max-declarations` to
//! every command.
//!
//! The binary is the one `cargo bench` builds (the `bench` profile, which is
//! the release profile with line tables). Set `CONDUITC_BIN` to measure
//! another binary, for a before/after comparison, and `KEEP_POLICY=DIR` to
//! keep a copy of the policy in `DIR` (which must not exist yet).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::env_or;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// The firewalls: one per platform, each facing every zone.
const FIREWALLS: [(&str, &str); 3] = [
    ("fw-nft", "nftables"),
    ("fw-ios", "cisco-ios"),
    ("fw-forti", "fortios"),
];

/// The plant with three firewalls that each see every zone.
fn policy(zones: usize, flows: usize) -> String {
    let mut s = common::plant(zones, flows);
    for (name, platform) in FIREWALLS {
        let _ = writeln!(s, "firewall {name} {{\n  platform {platform}");
        for z in 0..zones {
            let port = match platform {
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

/// Writes `text` into `dir` split at top-level declarations into files of
/// about 2 MB.
fn write_split(dir: &Path, text: &str) {
    std::fs::create_dir(dir).unwrap();
    let mut part = String::new();
    let mut parts = 0;
    for decl in text.split_inclusive("}\n\n") {
        part.push_str(decl);
        if part.len() > 2_000_000 {
            std::fs::write(dir.join(format!("part{parts:04}.conduit")), &part).unwrap();
            parts += 1;
            part.clear();
        }
    }
    std::fs::write(dir.join(format!("part{parts:04}.conduit")), &part).unwrap();
}

/// One run: CPU seconds (user + system) and peak resident set in bytes.
fn run(bin: &str, args: &[&str], out: &Path) -> (f64, f64) {
    let _ = std::fs::remove_file(out);
    let o = Command::new("/usr/bin/time")
        .args(["-f", "%U %S %M"])
        .arg(bin)
        .args(args)
        .args(["--today", "2026-12-01"])
        .args(max_declarations())
        .stdout(std::fs::File::create(out).unwrap())
        .output()
        .expect("run /usr/bin/time");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{args:?}: {err}");
    let last: Vec<f64> = err
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    assert_eq!(last.len(), 3, "no figures from /usr/bin/time: {err}");
    (last[0] + last[1], last[2] * 1024.0)
}

/// `--max-declarations N` when `MAX_DECLARATIONS` is set: the million-flow
/// plant has a little over the default of 1,000,000 declarations and flows.
fn max_declarations() -> Vec<String> {
    match std::env::var("MAX_DECLARATIONS") {
        Ok(n) if !n.is_empty() => vec!["--max-declarations".into(), n],
        _ => Vec::new(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let (zones, flows) = (env_or("ZONES", 1_000), env_or("FLOWS", 100_000));
    let runs = env_or("RUNS", 3).max(1);
    let bin = std::env::var("CONDUITC_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_conduitc").to_string());
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("policy");
    let text = policy(zones, flows);
    write_split(&src, &text);
    if let Some(keep) = std::env::var_os("KEEP_POLICY") {
        // A copy of the policy for profiling by hand.
        write_split(Path::new(&keep), &text);
    }
    let input = text.len() as f64;
    drop(text);
    let src_s = src.to_str().unwrap().to_string();
    let out_dir = tmp.path().join("out");
    let out_s = out_dir.to_str().unwrap().to_string();
    let stdout = tmp.path().join("stdout");
    let mut cases: Vec<(String, Vec<String>)> = vec![
        ("check".into(), vec!["check".into(), src_s.clone()]),
        (
            "build --out (3 firewalls)".into(),
            vec!["build".into(), src_s.clone(), "--out".into(), out_s],
        ),
    ];
    for (fw, target) in FIREWALLS {
        cases.push((
            format!("build --target {target} --firewall {fw}"),
            vec![
                "build".into(),
                src_s.clone(),
                "--target".into(),
                target.into(),
                "--firewall".into(),
                fw.into(),
            ],
        ));
    }
    let mib = |b: f64| b / (1024.0 * 1024.0);
    println!(
        "{bin}: {zones} zones, {flows} flows, 3 firewalls; policy {:.1} MiB; median of {runs} runs",
        mib(input)
    );
    println!("| command | CPU s | peak RSS MiB | peak / input |");
    println!("| --- | --- | --- | --- |");
    let mut total = 0.0;
    for (label, args) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (mut cpu, mut rss) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let (c, r) = run(&bin, &args, &stdout);
            cpu.push(c);
            rss.push(r);
        }
        let (c, r) = (median(cpu), median(rss));
        if label.starts_with("build --target") || label == "check" {
            total += c;
        }
        println!("| {label} | {c:.2} | {:.0} | {:.1}x |", mib(r), r / input);
    }
    println!("check plus one build per target: {total:.2} s CPU");
}
