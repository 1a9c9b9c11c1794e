//! `paths` on inputs with more chains than could ever be listed.
//!
//! Run with `cargo bench --bench paths`. Prints wall-clock and CPU time
//! (from `/proc/thread-self/schedstat` on Linux) of parse+check+lower and of
//! the search, for:
//!
//! - a mesh: `n` zones, all but the last joined pairwise by two host-to-host
//!   flows each way; the last zone has no conduit, so it is unreachable. A
//!   search that lists chains visits more than `(n - 2)!` of them.
//! - a ladder: `n + 1` zones in a line, each joined to the next by two
//!   flows: `2^n` shortest paths, of which the first 100 are listed.

mod common;

use common::timing::{report, time};

use std::fmt::Write as _;

use conduitc::lower::{lower, BuildOptions};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

fn zone(s: &mut String, i: usize) {
    let (a, b) = (i / 256, i % 256);
    let _ = write!(
        s,
        "zone z{i} {{\n  level 2\n  owner ops\n  networks 10.{a}.{b}.0/24\n  host h = 10.{a}.{b}.1\n}}\n\n"
    );
}

fn conduit(s: &mut String, a: usize, b: usize, both_ways: bool) {
    let _ = write!(s, "conduit c{a}-{b} {{\n  zones z{a}, z{b}\n  owner ops\n");
    for (n, svc) in ["https", "ssh"].iter().enumerate() {
        let _ = write!(
            s,
            "  flow u{n} {{\n    from z{a}.h\n    to z{b}.h\n    service {svc}\n    reason \"r\"\n  }}\n"
        );
        if both_ways {
            let _ = write!(
                s,
                "  flow d{n} {{\n    from z{b}.h\n    to z{a}.h\n    service {svc}\n    reason \"r\"\n  }}\n"
            );
        }
    }
    s.push_str("}\n\n");
}

const OWNER: &str = "owner ops {\n  contact \"ops@example.com\"\n}\n\n";

fn mesh(zones: usize) -> String {
    let mut s = OWNER.to_string();
    for i in 0..zones {
        zone(&mut s, i);
    }
    for a in 0..zones - 1 {
        for b in a + 1..zones - 1 {
            conduit(&mut s, a, b, true);
        }
    }
    s
}

fn ladder(hops: usize) -> String {
    let mut s = OWNER.to_string();
    for i in 0..=hops {
        zone(&mut s, i);
    }
    for a in 0..hops {
        conduit(&mut s, a, a + 1, false);
    }
    s
}

fn run(what: &str, text: &str, from: &str, to: &str) {
    let today = Date::parse("2026-12-01").unwrap_or_else(Date::today);
    let sources = Sources::from_memory("bench.conduit", text);
    let opts = CheckOptions::new(today);
    let checked = check(&sources, &opts);
    assert_eq!(checked.diagnostics.error_count(), 0, "{what} must check");
    let policy = checked.policy.unwrap_or_default();
    let flows = policy.flows().count();
    let Ok(rules) = lower(&policy, &BuildOptions::new(today)) else {
        panic!("{what} must lower");
    };
    let found = conduitc::attack_paths::find(&rules, from, to);
    println!(
        "{what}: {} zones, {flows} flows, {:.0} KB; {} paths of {} hops{}",
        policy.zones.len(),
        text.len() as f64 / 1000.0,
        found.paths.len(),
        found.paths.first().map_or(0, |p| p.hops.len()),
        if found.truncated { ", more exist" } else { "" }
    );
    report(
        "  parse+check+lower",
        &time(3, || {
            let c = check(&sources, &opts);
            c.policy
                .map(|p| lower(&p, &BuildOptions::new(today)).is_ok())
        }),
    );
    report(
        "  paths",
        &time(5, || conduitc::attack_paths::find(&rules, from, to)),
    );
}

fn main() {
    for zones in [10, 12, 140] {
        let last = format!("z{}", zones - 1);
        run(
            &format!("mesh of {zones}, target unreachable"),
            &mesh(zones),
            "z0",
            &last,
        );
    }
    run("mesh of 140, neighbour", &mesh(140), "z0", "z138");
    for hops in [20, 2000] {
        run(
            &format!("ladder of {hops} hops"),
            &ladder(hops),
            "z0",
            &format!("z{hops}"),
        );
    }
}
