//! `conduitc observe` on long logs: time and peak memory for 100,000,
//! 500,000 and 1,000,000 generated lines, as kernel log lines and as Zeek `conn.log`,
//! against the bottling plant.
//!
//! Run with `cargo bench --bench observe`. The release binary is run under
//! `/usr/bin/time -f %M`, which reports the child's peak resident set, so
//! the two lengths show whether memory grows with the log. The lines mix
//! declared connections, undeclared ones across many addresses and ports
//! (hundreds of thousands of distinct packets, about 4,000 candidates,
//! all of them met within the first 100,000 lines), and lines of other
//! kernel messages. Memory grows with the distinct candidates and up to
//! the fixed size of the decision memo (65,536 packets), not with the
//! lines. Set `CONDUITC_BIN` to measure another binary and
//! `LINES` to change the long length.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const PLANT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/bottling-plant.conduit"
);

/// A small linear congruential generator: the same log on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// One connection: (source, destination, protocol, port or ICMP type).
fn connection(r: &mut Lcg) -> (String, String, &'static str, u64) {
    match r.next(10) {
        // Declared: SCADA polls the line PLCs, office users read the mirror.
        0..=3 => (
            "10.20.0.10".into(),
            format!("10.1.10.{}", 11 + r.next(4)),
            "TCP",
            502,
        ),
        4 | 5 => (
            format!("10.10.{}.{}", r.next(256), 1 + r.next(254)),
            "10.35.0.10".into(),
            "TCP",
            443,
        ),
        6 => ("10.20.0.10".into(), "10.1.10.12".into(), "ICMP", 8),
        // Undeclared: the control room scanning the packaging line and the
        // office reaching into the DMZ on many ports.
        7 | 8 => (
            format!("10.20.0.{}", 30 + r.next(4)),
            format!("10.1.20.{}", [11, 12, 100][r.next(3) as usize]),
            "TCP",
            1 + r.next(256),
        ),
        _ => (
            format!("10.10.{}.{}", r.next(256), 1 + r.next(254)),
            format!("10.35.0.{}", [10, 20, 30, 40][r.next(4) as usize]),
            "UDP",
            1 + r.next(256),
        ),
    }
}

fn kernel_log(path: &Path, lines: usize) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut r = Lcg(42);
    for i in 0..lines {
        let (h, m, s) = (i / 3_600_000 % 24, i / 60_000 % 60, i / 1000 % 60);
        // A host name that is no declared firewall: judged across the whole policy.
        let head = format!("Dec  4 {h:02}:{m:02}:{s:02} plant-fw kernel:");
        if i % 50 == 0 {
            writeln!(
                w,
                "{head} e1000e 0000:00:1f.6 eth2: NIC Link is Up 1000 Mbps Full Duplex"
            )
            .unwrap();
            continue;
        }
        let (src, dst, proto, arg) = connection(&mut r);
        let tail = match proto {
            "ICMP" => format!("PROTO=ICMP TYPE={arg} CODE=0 ID=7 SEQ=1"),
            p => format!(
                "PROTO={p} SPT={} DPT={arg} WINDOW=64240 RES=0x00 SYN URGP=0",
                30_000 + r.next(30_000)
            ),
        };
        writeln!(
            w,
            "{head} conduit drop IN=eth2 OUT=eth1 MAC=00:1b:21:3a:4f:12:00:0c:29:5e:31:33:08:00 SRC={src} DST={dst} LEN=52 TOS=0x00 PREC=0x00 TTL=127 ID={i} DF {tail} "
        )
        .unwrap();
    }
}

fn zeek_log(path: &Path, lines: usize) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut r = Lcg(7);
    writeln!(w, "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state").unwrap();
    for i in 0..lines {
        let (src, dst, proto, arg) = connection(&mut r);
        let ts = 1_796_371_200.0 + i as f64 * 0.01;
        let (op, rp) = if proto == "ICMP" {
            (arg, 0)
        } else {
            (30_000 + r.next(30_000), arg)
        };
        writeln!(
            w,
            "{ts:.6}\tC{i:x}\t{src}\t{op}\t{dst}\t{rp}\t{}\t-\t0.004\t120\t240\tSF",
            proto.to_ascii_lowercase()
        )
        .unwrap();
    }
}

fn run(bin: &str, log: &Path) -> (f64, f64, String) {
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(bin)
        .args([
            "observe",
            PLANT,
            "--today",
            "2026-12-05",
            "--format",
            "json",
            "--log",
        ])
        .arg(log)
        .output()
        .expect("run /usr/bin/time");
    let wall = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "undeclared traffic is exit 1: {err}"
    );
    let peak_kb: f64 = err
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("a peak RSS from /usr/bin/time");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let summary = format!(
        "{} connections, {} undeclared in {} candidates",
        v["connections"],
        v["undeclared"],
        v["candidates"].as_array().map_or(0, Vec::len)
    );
    (wall, peak_kb / 1024.0, summary)
}

fn main() {
    let long: usize = std::env::var("LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let bin = std::env::var("CONDUITC_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_conduitc").to_string());
    let tmp = tempfile::tempdir().unwrap();
    println!("| log | lines | size | wall | peak RSS | result |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (name, write) in [
        ("kernel", kernel_log as fn(&Path, usize)),
        ("zeek-tsv", zeek_log as fn(&Path, usize)),
    ] {
        for lines in [long / 10, long / 2, long] {
            let path = tmp.path().join(format!("{name}-{lines}.log"));
            write(&path, lines);
            let size = std::fs::metadata(&path).unwrap().len() as f64 / (1024.0 * 1024.0);
            let (wall, peak, summary) = run(&bin, &path);
            println!(
                "| {name} | {lines} | {size:.0} MB | {wall:.2} s | {peak:.1} MB | {summary} |"
            );
            std::fs::remove_file(&path).unwrap();
        }
    }
}
