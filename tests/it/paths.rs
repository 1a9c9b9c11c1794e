//! Attack paths: on generated policies, `paths` finds a path exactly when a
//! naive search over the lowered rules finds a chain, reports only the
//! shortest chains, each a real chain of rules, and all of them when there
//! are no more than `MAX_PATHS`. From the command line: inputs whose chains
//! are too many to list (an unreachable target behind a mesh of zones,
//! 2^20 equally short paths) are answered at once.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use conduitc::attack_paths::{self as paths, MAX_PATHS};
use conduitc::lower::{lower, BuildOptions, Rule, RuleSet};
use conduitc::model::AddrSet;
use proptest::prelude::*;

use conduitc_testkit::gen;

/// Naive breadth-first search over rules: the length of the shortest chain
/// from zone `from` to zone `to`, if any.
fn naive_shortest(rules: &RuleSet, from: &str, to: &str) -> Option<usize> {
    let start = &rules.zones.iter().find(|z| z.name == from)?.addrs;
    let mut seen = vec![false; rules.rules.len()];
    let mut level: Vec<usize> = (0..rules.rules.len())
        .filter(|&i| {
            let r = &rules.rules[i];
            r.src_zone == from && r.src.intersects(start)
        })
        .collect();
    let mut depth = 1;
    while !level.is_empty() {
        if level.iter().any(|&i| rules.rules[i].dst_zone == to) {
            return Some(depth);
        }
        for &i in &level {
            seen[i] = true;
        }
        let mut next = Vec::new();
        for (j, s) in rules.rules.iter().enumerate() {
            if !seen[j]
                && level.iter().any(|&i| {
                    let r = &rules.rules[i];
                    r.dst_zone == s.src_zone && r.dst.intersects(&s.src)
                })
            {
                seen[j] = true;
                next.push(j);
            }
        }
        level = next;
        depth += 1;
    }
    None
}

/// Every chain of exactly `len` rules from `from` that ends in `to` (and
/// not before), as lists of rule indexes; stops after `cap` chains.
fn naive_chains(rules: &RuleSet, from: &str, to: &str, len: usize, cap: usize) -> Vec<Vec<usize>> {
    struct Walk<'a> {
        rules: &'a RuleSet,
        to: &'a str,
        len: usize,
        cap: usize,
        chain: Vec<usize>,
        out: Vec<Vec<usize>>,
    }
    impl Walk<'_> {
        fn walk(&mut self, reach: &AddrSet, zone: &str) {
            let rules = self.rules;
            for (i, r) in rules.rules.iter().enumerate() {
                if self.out.len() >= self.cap {
                    return;
                }
                if r.src_zone != zone || !r.src.intersects(reach) {
                    continue;
                }
                let last = self.chain.len() + 1 == self.len;
                if (r.dst_zone == self.to) != last {
                    continue;
                }
                self.chain.push(i);
                if last {
                    self.out.push(self.chain.clone());
                } else {
                    self.walk(&r.dst, &r.dst_zone);
                }
                self.chain.pop();
            }
        }
    }
    let start = a_addrs(rules, from);
    let mut w = Walk {
        rules,
        to,
        len,
        cap,
        chain: Vec::new(),
        out: Vec::new(),
    };
    w.walk(&start, from);
    w.out
}

/// What a hop says about its rule.
fn hop_key(r: &Rule, reach: &AddrSet) -> (String, String, String, String, String, String) {
    (
        r.name.to_string(),
        r.src_zone.to_string(),
        r.dst_zone.to_string(),
        paths::describe(&r.matcher),
        reach.intersection(&r.src).to_string(),
        r.dst.to_string(),
    )
}

type Chain = Vec<(String, String, String, String, String, String)>;

fn chain_keys(rules: &RuleSet, from: &str, chain: &[usize]) -> Chain {
    let mut reach = rules
        .zones
        .iter()
        .find(|z| z.name == from)
        .unwrap()
        .addrs
        .clone();
    chain
        .iter()
        .map(|&i| {
            let r = &rules.rules[i];
            let k = hop_key(r, &reach);
            reach = r.dst.clone();
            k
        })
        .collect()
}

proptest! {
    #[test]
    fn paths_are_the_shortest_real_chains(spec in gen::policy_spec()) {
        let p = spec.to_policy();
        let rules = lower(&p, &BuildOptions::new(gen::today())).unwrap();
        for a in &p.zones {
            for b in &p.zones {
                if a.name == b.name {
                    continue;
                }
                let (a, b) = (a.name.as_str(), b.name.as_str());
                let found = paths::find(&rules, a, b);
                let shortest = naive_shortest(&rules, a, b);
                prop_assert_eq!(!found.paths.is_empty(), shortest.is_some(),
                    "{} to {}: reachable exactly when a naive search finds a chain", a, b);
                let Some(len) = shortest else {
                    prop_assert!(!found.truncated);
                    continue;
                };
                // Every reported path is a real chain of the shortest length:
                // each hop a rule of the set, starting from a foothold the
                // previous hop reached.
                let mut reported = BTreeSet::new();
                for path in &found.paths {
                    prop_assert_eq!(path.hops.len(), len);
                    prop_assert_eq!(path.zones.len(), len + 1);
                    prop_assert_eq!(path.zones.first().map(String::as_str), Some(a));
                    prop_assert_eq!(path.zones.last().map(String::as_str), Some(b));
                    prop_assert!(!path.zones[1..].iter().any(|z| z == a), "back to the start");
                    prop_assert!(!path.zones[..len].iter().any(|z| z == b), "through the target");
                    let mut reach = a_addrs(&rules, a);
                    let mut keys = Vec::new();
                    for (i, h) in path.hops.iter().enumerate() {
                        prop_assert_eq!(&h.from_zone, &path.zones[i]);
                        prop_assert_eq!(&h.to_zone, &path.zones[i + 1]);
                        let key = (h.flow.clone(), h.from_zone.clone(), h.to_zone.clone(),
                            h.service.clone(), h.from.clone(), h.to.clone());
                        let rule = rules.rules.iter().find(|r| {
                            r.src.intersects(&reach) && hop_key(r, &reach) == key
                        });
                        prop_assert!(rule.is_some(), "hop {:?} is no rule from the foothold", key);
                        reach = rule.unwrap().dst.clone();
                        keys.push(key);
                    }
                    prop_assert!(reported.insert(keys), "a path is listed twice");
                }
                // All shortest chains are listed, unless there are too many.
                let all = naive_chains(&rules, a, b, len, MAX_PATHS + 1);
                let all: BTreeSet<Chain> = all.iter().map(|c| chain_keys(&rules, a, c)).collect();
                if all.len() <= MAX_PATHS {
                    prop_assert!(!found.truncated);
                    prop_assert_eq!(&reported, &all);
                } else {
                    prop_assert!(found.truncated);
                    prop_assert_eq!(found.paths.len(), MAX_PATHS);
                }
            }
        }
    }
}

fn a_addrs(rules: &RuleSet, zone: &str) -> AddrSet {
    rules
        .zones
        .iter()
        .find(|z| z.name == zone)
        .unwrap()
        .addrs
        .clone()
}

#[test]
fn renders_when_no_path_exists() {
    let p = gen::policy(7);
    let rules = lower(&p, &BuildOptions::new(gen::today())).unwrap();
    let none = paths::find(&rules, "zone0", "no-such-zone");
    assert!(none.paths.is_empty());
    assert_eq!(
        paths::to_text(&none),
        "no path from zone0 to no-such-zone\n"
    );
}

// ---------------------------------------------------------------------------
// From the command line, on inputs with more chains than can be listed.

fn zone(s: &mut String, i: usize) {
    s.push_str(&format!(
        "zone z{i} {{\n  level 2\n  owner ops\n  networks 10.{}.{}.0/24\n  host h = 10.{}.{}.1\n}}\n\n",
        i / 256,
        i % 256,
        i / 256,
        i % 256
    ));
}

fn conduit(s: &mut String, a: usize, b: usize, both_ways: bool, services: &[&str]) {
    s.push_str(&format!(
        "conduit c{a}-{b} {{\n  zones z{a}, z{b}\n  owner ops\n"
    ));
    for (n, svc) in services.iter().enumerate() {
        s.push_str(&format!(
            "  flow u{n} {{\n    from z{a}.h\n    to z{b}.h\n    service {svc}\n    reason \"r\"\n  }}\n"
        ));
        if both_ways {
            s.push_str(&format!(
                "  flow d{n} {{\n    from z{b}.h\n    to z{a}.h\n    service {svc}\n    reason \"r\"\n  }}\n"
            ));
        }
    }
    s.push_str("}\n\n");
}

const OWNER: &str = "owner ops {\n  contact \"ops@example.com\"\n}\n\n";

/// `zones` zones, all but the last joined pairwise by two flows each way;
/// the last zone has no conduit. A listing of chains visits every chain
/// through the mesh: more than `(zones - 2)!` of them.
fn unreachable_mesh(zones: usize) -> String {
    let mut s = OWNER.to_string();
    for i in 0..zones {
        zone(&mut s, i);
    }
    for a in 0..zones - 1 {
        for b in a + 1..zones - 1 {
            conduit(&mut s, a, b, true, &["https", "ssh"]);
        }
    }
    s
}

/// A line of `hops + 1` zones, each joined to the next by two flows: 2^hops
/// shortest paths from the first to the last.
fn ladder(hops: usize) -> String {
    let mut s = OWNER.to_string();
    for i in 0..=hops {
        zone(&mut s, i);
    }
    for a in 0..hops {
        conduit(&mut s, a, a + 1, false, &["https", "ssh"]);
    }
    s
}

/// Runs `conduitc paths` on `text`; fails if it runs longer than `limit`
/// (the former search took longer than the age of the universe on these).
fn paths_cli(text: &str, from: &str, to: &str, extra: &[&str], limit: Duration) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.conduit");
    std::fs::write(&file, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .arg("paths")
        .arg(&file)
        .args(["--from", from, "--to", to, "--today", "2026-12-01"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`conduitc paths` ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code().unwrap_or(-1), reader.join().unwrap())
}

#[test]
fn an_unreachable_zone_behind_a_mesh_is_answered_at_once() {
    // 30 zones: 406 conduits, 1,624 flows, about 200 KB.
    let text = unreachable_mesh(30);
    let (code, out) = paths_cli(&text, "z0", "z29", &[], Duration::from_secs(60));
    assert_eq!(code, 0);
    assert_eq!(out, "no path from z0 to z29\n");
    // Across the mesh: one hop, two flows.
    let (code, out) = paths_cli(&text, "z0", "z28", &[], Duration::from_secs(60));
    assert_eq!(code, 0);
    assert!(
        out.starts_with("2 paths from z0 to z28\n\n1. z0 -> z28\n"),
        "{out}"
    );
}

#[test]
fn equally_short_paths_beyond_the_bound_are_cut_and_said_to_be() {
    // 2^20 paths of 20 hops each.
    let text = ladder(20);
    let (code, out) = paths_cli(&text, "z0", "z20", &[], Duration::from_secs(60));
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!("{MAX_PATHS}+ paths from z0 to z20\n")),
        "{out}"
    );
    assert!(out.ends_with(&format!(
        "\n(more shortest paths exist; only the first {MAX_PATHS} are listed)\n"
    )));
    // In order of flow names: the first takes `u0` all the way.
    let first: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("1. "))
        .skip(1)
        .take(20)
        .collect();
    for (i, line) in first.iter().enumerate() {
        assert!(
            line.starts_with(&format!("   c{i}-{}/u0 (tcp/443): ", i + 1)),
            "{line}"
        );
    }
    let (code, json) = paths_cli(
        &text,
        "z0",
        "z20",
        &["--format", "json"],
        Duration::from_secs(60),
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["truncated"], true);
    let listed = v["paths"].as_array().unwrap();
    assert_eq!(listed.len(), MAX_PATHS);
    let distinct: BTreeSet<String> = listed.iter().map(|p| p["hops"].to_string()).collect();
    assert_eq!(distinct.len(), MAX_PATHS);
    assert!(listed
        .iter()
        .all(|p| p["hops"].as_array().unwrap().len() == 20));
}

#[test]
fn only_the_shortest_paths_are_listed() {
    // z0 -> z1 -> z2 -> z3, and a shortcut z0 -> z4 -> z3.
    let mut text = ladder(3);
    zone(&mut text, 4);
    conduit(&mut text, 0, 4, false, &["https"]);
    conduit(&mut text, 4, 3, false, &["https"]);
    let (code, out) = paths_cli(&text, "z0", "z3", &[], Duration::from_secs(60));
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "1 path from z0 to z3\n\n1. z0 -> z4 -> z3\n   \
         c0-4/u0 (tcp/443): 10.0.0.1 -> 10.0.4.1\n   \
         c4-3/u0 (tcp/443): 10.0.4.1 -> 10.0.3.1\n"
    );
}

// ---------------------------------------------------------------------------
// Management as an attack edge.

/// Office has no flow to control, but an office host manages the cell
/// firewall, which faces control. `expires` and `kind` vary the entry.
fn managed_cell(kind: &str, expires: &str) -> String {
    format!(
        "{OWNER}zone office {{\n  level 3\n  owner ops\n  networks 10.40.0.0/16\n  host it-admin = 10.40.0.9\n}}\n\n\
         zone control {{\n  level 1\n  owner ops\n  networks 10.1.0.0/24\n  host plc = 10.1.0.5\n}}\n\n\
         isolation island {{\n  sever office\n  reason \"Office compromised\"\n}}\n\n\
         firewall cell-fw {{\n  platform nftables\n  interface \"eth0\" = office address 10.40.0.1\n  \
         interface \"eth1\" = control address 10.1.0.1\n\n  {kind} admin {{\n    from office.it-admin\n    \
         service ssh\n    owner ops\n    reason \"IT administers the cell firewall\"\n    expires {expires}\n  }}\n}}\n"
    )
}

#[test]
fn a_path_leads_through_a_firewall_whose_management_is_reached() {
    let text = managed_cell("manage", "2027-06-30");
    let limit = Duration::from_secs(60);
    let (code, out) = paths_cli(&text, "office", "control", &[], limit);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "1 path from office to control\n\n1. office -> firewall cell-fw -> control\n   \
         manage cell-fw/admin (tcp/22): 10.40.0.9 -> firewall cell-fw (10.1.0.1, 10.40.0.1)\n   \
         via firewall cell-fw: forwards anything to control (10.1.0.0/24)\n"
    );
    let (code, _) = paths_cli(&text, "office", "control", &["--expect", "none"], limit);
    assert_eq!(code, 1, "--expect none fails on a path through management");

    let (code, json) = paths_cli(&text, "office", "control", &["--format", "json"], limit);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let path = &v["paths"][0];
    assert_eq!(path["zones"], serde_json::json!(["office", "control"]));
    let hops = path["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[0]["kind"], "manage");
    assert_eq!(hops[0]["flow"], "cell-fw/admin");
    assert_eq!(hops[0]["from_zone"], "office");
    assert_eq!(hops[0]["to_zone"], "cell-fw");
    assert_eq!(hops[0]["service"], "tcp/22");
    assert_eq!(hops[1]["kind"], "firewall");
    assert_eq!(hops[1]["flow"], "cell-fw");
    assert_eq!(hops[1]["to_zone"], "control");
}

#[test]
fn no_path_through_expired_severed_or_control_entries() {
    let limit = Duration::from_secs(60);
    let none = "no path from office to control\n";
    // Expired: `check` rejects an expired entry (E505), so the rule set is
    // built for a date after the expiry of a policy checked before it.
    let text = managed_cell("manage", "2027-06-30");
    let sources = conduitc::Sources::from_memory("policy.conduit", &text);
    let today = conduitc::model::Date::parse("2026-12-01").unwrap();
    let (policy, _) = conduitc::check(&sources, &conduitc::CheckOptions::new(today))
        .into_result()
        .unwrap();
    for (date, found) in [("2027-06-30", 1), ("2027-07-01", 0)] {
        let date = conduitc::model::Date::parse(date).unwrap();
        let rules = lower(&policy, &BuildOptions::new(date)).unwrap();
        let manage = paths::management(&policy, &rules);
        assert_eq!(manage.len(), found);
        let p = paths::find_with(&rules, &manage, "office", "control");
        assert_eq!(p.paths.len(), found, "on {date}");
    }
    // The office is severed: its host no longer counts as a source.
    let live = managed_cell("manage", "2027-06-30");
    let island = ["--isolation", "island", "--expect", "none"];
    let (code, out) = paths_cli(&live, "office", "control", &island, limit);
    assert_eq!((code, out.as_str()), (0, none));
    // A routing protocol does not hand over the rule set.
    let control = managed_cell("control", "2027-06-30");
    let (code, out) = paths_cli(&control, "office", "control", &["--expect", "none"], limit);
    assert_eq!((code, out.as_str()), (0, none));
}
