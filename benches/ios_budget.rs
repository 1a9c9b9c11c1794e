//! The Cisco IOS entry budget against adversarial inputs: how fast a build
//! over the budget is refused, and how much memory it takes.
//!
//! Run with `cargo bench --bench ios_budget`. Inputs (policy text, checked,
//! lowered, then emitted for `cisco-ios` into a writer that discards):
//!
//! - `hosts x hosts`: two zones of 160 scattered hosts, one flow between
//!   the groups on 20 separate ports (about 4 KB of text; 512,000 entries
//!   asked for in one list);
//! - `any x dmz`: a `networks any` zone and a DMZ of 2,000 scattered /24s
//!   with one server each, a flow from the internet to every server (about
//!   half a megabyte; the internet's list would hold millions of entries);
//! - `within budget`: 400 zone pairs whose lists hold 4,000 entries each,
//!   built in full, streamed and (for comparison) collected in memory.
//!
//! Peak memory is the process's high-water resident set (`VmHWM` in
//! `/proc/self/status`, Linux only), read after lowering and after
//! emitting; the inputs run in order of increasing expected memory (the
//! streamed build first, the in-memory one last), so each figure bounds
//! its step.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::timing::peak_mb;

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Instant;

use conduitc::backend::{emit, emit_to, Target};
use conduitc::lower::{lower, BuildOptions};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

/// A writer that counts bytes and keeps none.
#[derive(Default)]
struct Count(usize);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const HEAD: &str = "owner o { contact \"o@example.com\" }\n";

fn any_by_dmz() -> String {
    const N: usize = 2_000;
    let mut s = String::from(HEAD);
    s.push_str("zone internet { level 5 owner o networks any }\n");
    let net = |i: usize| format!("10.{}.{}.0/24", i / 100, 2 * (i % 100));
    let nets: Vec<String> = (0..N).map(net).collect();
    let _ = writeln!(
        s,
        "zone dmz {{ level 3.5 owner o networks {}",
        nets.join(", ")
    );
    for i in 0..N {
        let _ = writeln!(s, "  host server-{i} = 10.{}.{}.5", i / 100, 2 * (i % 100));
    }
    s.push_str("}\nconduit web { zones internet, dmz owner o\n");
    for i in 0..N {
        let _ = writeln!(
            s,
            "  flow publish-{i} {{\n    from internet\n    to dmz.server-{i}\n    service https, http\n    reason \"public web service {i} published from the DMZ to every internet client\"\n  }}"
        );
    }
    s.push_str("}\n");
    s
}

/// 400 zone pairs, each flow 20 hosts x 20 hosts x 10 ports = 4,000
/// entries in its source zone's list (and as many replies in the other).
fn within_budget() -> String {
    let mut s = String::from(HEAD);
    for z in 0..800 {
        let (a, b) = (20 + z / 200, z % 200);
        let members: Vec<String> = (0..20)
            .map(|i| format!("{a}.{b}.0.{}", 1 + 2 * i))
            .collect();
        let _ = writeln!(
            s,
            "zone z{z} {{ level 2 owner o networks {a}.{b}.0.0/16\n  group g = {} }}",
            members.join(", ")
        );
    }
    let svc: Vec<String> = (0..10).map(|i| format!("tcp/{}", 1000 + 2 * i)).collect();
    for c in 0..400 {
        let _ = writeln!(
            s,
            "conduit c{c} {{ zones z{}, z{} owner o\n  flow f {{ from z{}.g to z{}.g service {} reason \"r\" }} }}",
            2 * c,
            2 * c + 1,
            2 * c,
            2 * c + 1,
            svc.join(", ")
        );
    }
    s
}

fn run(name: &str, text: &str, in_memory: bool) {
    let t = Instant::now();
    let sources = Sources::from_memory("bench.conduit", text);
    let today = Date::parse("2026-12-01").unwrap();
    let checked = check(&sources, &CheckOptions::new(today));
    let policy = checked.policy.expect("the bench input checks clean");
    let rules = lower(&policy, &BuildOptions::new(today)).unwrap();
    let front = t.elapsed();
    let after_lower = peak_mb();
    let t = Instant::now();
    let mut sink = Count::default();
    let got = emit_to(&rules, Target::CiscoIos, &mut sink);
    let emitted = t.elapsed();
    let outcome = match &got {
        Ok(()) => format!("{:.1} MB streamed", sink.0 as f64 / 1e6),
        Err(e) => {
            let s = e.to_string();
            format!("refused: {}", s.split(';').next().unwrap_or(&s))
        }
    };
    println!(
        "| {name} | {:.1} KB | {:.0?} | {after_lower} | {:.0?} | {outcome} | {} |",
        text.len() as f64 / 1024.0,
        front,
        emitted,
        peak_mb()
    );
    if in_memory {
        let t = Instant::now();
        let text = emit(&rules, Target::CiscoIos).unwrap();
        println!(
            "| {name}, collected in memory | | | | {:.0?} | {:.1} MB string | {} |",
            t.elapsed(),
            text.len() as f64 / 1e6,
            peak_mb()
        );
    }
}

fn main() {
    println!("| input | policy text | check + lower | peak RSS after lower | cisco-ios emit | outcome | peak RSS after emit |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let within = within_budget();
    run("within budget, streamed", &within, false);
    run(
        "hosts x hosts",
        &conduitc_testkit::adversarial::hosts_by_hosts(),
        false,
    );
    run("any x dmz", &any_by_dmz(), false);
    run("within budget", &within, true);
}
