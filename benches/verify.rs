//! `verify` timings: reading a device configuration and comparing it with
//! the policy, for every target, on the bottling plant example and on a
//! generated policy whose firewall faces every zone.
//!
//! Run with `cargo bench --bench verify`. Each case is the policy's own
//! build (no drift) and the build with one broad rule added at its head
//! (drift on every zone pair); both are read from text each time.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::fmt::Write as _;

use common::timing::{peak_mb, report, time};
use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Policy, Sources};

const ZONES: usize = 24;
const FLOWS: usize = 2_000;

fn policy(name: &str, text: &str, today: Date) -> Policy {
    let sources = Sources::from_memory(name, text);
    let c = check(&sources, &CheckOptions::new(today));
    assert_eq!(c.diagnostics.error_count(), 0, "{name} must check");
    c.policy.unwrap()
}

/// The build with one rule admitting TCP/22 everywhere added at its head.
fn drifted(target: Target, built: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for l in built.lines() {
        out.push_str(l);
        out.push('\n');
        if done {
            continue;
        }
        match target {
            Target::Nftables if l.trim() == "ct state invalid drop" => {
                out.push_str("\t\ttcp dport 22 accept\n");
                done = true;
            }
            Target::CiscoIos if l.starts_with("ip access-list extended ") => {
                out.push_str(" 5 permit tcp any any eq 22\n");
                done = true;
            }
            _ => {}
        }
    }
    if target == Target::Fortios {
        out.push_str("config firewall service custom\n    edit \"ssh\"\n        set tcp-portrange 22\n    next\nend\n");
        out = out.replacen(
            "config firewall policy\n",
            "config firewall policy\n    edit 1\n        set srcintf \"any\"\n        set dstintf \"any\"\n        set action accept\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        set schedule \"always\"\n        set service \"ssh\"\n    next\n",
            1,
        );
    }
    out
}

fn run(what: &str, p: &Policy, opts: &BuildOptions, target: Target) {
    let rules = lower(p, opts).unwrap();
    let built = backend::emit(&rules, target).unwrap();
    let edited = drifted(target, &built);
    for (case, text) in [("own build", &built), ("one broad rule added", &edited)] {
        let once = || match target {
            Target::Nftables => {
                let rs = conduitc::verify::read_ruleset(text).unwrap();
                conduitc::verify::verify(p, opts, &rs).unwrap()
            }
            Target::CiscoIos => {
                let d = conduitc::verify::read_ios(text).unwrap();
                conduitc::verify::verify_device(p, opts, &d).unwrap()
            }
            _ => {
                let d = conduitc::verify::read_fortios(text).unwrap();
                conduitc::verify::verify_device(p, opts, &d).unwrap()
            }
        };
        let d = once();
        assert_eq!(d.matches, case == "own build", "{what} {target:?} {case}");
        println!(
            "{what}, {target:?}, {case}: {} lines, {} + {} findings",
            text.lines().count(),
            d.admitted_not_declared.len(),
            d.declared_not_admitted.len()
        );
        report("  read+verify", &time(5, once));
    }
}

fn main() {
    let today = Date::parse("2026-12-01").unwrap();
    let plant_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/bottling-plant.conduit"
    ))
    .unwrap();
    let plant = policy("bottling-plant.conduit", &plant_text, today);
    for (target, fw) in [
        (Target::Nftables, "ot-core-fw"),
        (Target::CiscoIos, "cell-router"),
        (Target::Fortios, "plant-edge-fw"),
    ] {
        run(
            "bottling plant",
            &plant,
            &BuildOptions::new(today).firewall(fw),
            target,
        );
    }
    for (target, platform, iface) in [
        (Target::Nftables, "nftables", "eth"),
        (Target::CiscoIos, "cisco-ios", "GigabitEthernet0/"),
        (Target::Fortios, "fortios", "port"),
    ] {
        let mut text = common::plant(ZONES, FLOWS);
        let _ = writeln!(text, "firewall fw {{\n  platform {platform}");
        for z in 0..ZONES {
            let _ = writeln!(text, "  interface \"{iface}{z}\" = z{z}");
        }
        text.push_str("}\n");
        let p = policy("generated.conduit", &text, today);
        run(
            &format!("generated, {ZONES} zones, {} flows", p.flows().count()),
            &p,
            &BuildOptions::new(today).firewall("fw"),
            target,
        );
    }
    println!("peak memory: {}", peak_mb());
}
