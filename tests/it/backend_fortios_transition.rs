//! FortiOS transitions (`build --from PREVIOUS`), proven on a model of the
//! device that configuration is *applied* to
//! (`conduitc_testkit::fortios_eval::DeviceState`): the device running the
//! old build, after the transition, decides every probe packet exactly as
//! a device freshly loaded with the new build; at no `end` does it admit
//! what neither build admits; and what the operator configured outside the
//! `conduit-` prefix and the reserved policy IDs is left as it was.

use std::path::Path;

use conduitc::backend::{emit, emit_transition_string, EmitError, EmitOptions, Target};
use conduitc::lower::{lower, BuildOptions, RuleSet};
use conduitc::{check, CheckOptions, Policy, Sources};
use proptest::prelude::*;

use crate::backend_ios::option_sets;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use conduitc_testkit::fortios_eval::{Address, Config, DeviceState};
use conduitc_testkit::wire::{self, Wire};
use conduitc_testkit::{gen, plant};

/// A packet and the interfaces it arrives on and leaves by.
type Probe = (Wire, Option<String>, Option<String>);

fn load(rel: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let sources = Sources::load(&[path]).unwrap();
    check(&sources, &CheckOptions::new(gen::today()))
        .policy
        .expect("the example checks")
}

fn fresh(rs: &RuleSet) -> String {
    emit(rs, Target::Fortios).unwrap()
}

fn transition(rs: &RuleSet, previous: &str) -> Result<String, EmitError> {
    emit_transition_string(rs, Target::Fortios, &EmitOptions::new(), previous)
}

/// Probe packets drawn from each policy, on every pair of the firewall's
/// interfaces (or on none without a firewall).
fn probes(policies: &[&Policy], opts: &BuildOptions, seed: u64, n: usize) -> Vec<Probe> {
    let mut ifaces: Vec<Option<String>> = Vec::new();
    if let Some(fw) = &opts.firewall {
        for p in policies {
            if let Some(f) = p.firewall(fw) {
                for i in &f.interfaces {
                    if !ifaces.contains(&Some(i.name.clone())) {
                        ifaces.push(Some(i.name.clone()));
                    }
                }
            }
        }
    } else {
        ifaces.push(None);
    }
    let mut out = Vec::new();
    for (k, p) in policies.iter().enumerate() {
        let eph = wire::ephemeral_port(p);
        for pkt in gen::packets(p, seed + k as u64, n) {
            let w = Wire::initiation(&pkt, eph);
            if !w.same_family() {
                continue;
            }
            for i in &ifaces {
                for o in &ifaces {
                    out.push((w, i.clone(), o.clone()));
                }
            }
        }
    }
    out
}

/// One packet per policy, family and service of each configuration in
/// `texts`, on the policy's own interfaces: a probe that hits every policy
/// either build holds.
fn policy_probes(texts: &[&str]) -> Vec<Probe> {
    let mut out = Vec::new();
    for text in texts {
        let cfg = DeviceState::load(text).unwrap().config().unwrap();
        for pol in &cfg.policies {
            let iface = |l: &[String]| l.first().filter(|i| *i != "any").cloned();
            let (i, o) = (iface(&pol.srcintf), iface(&pol.dstintf));
            for (v6, src, dst) in [
                (false, &pol.srcaddr, &pol.dstaddr),
                (true, &pol.srcaddr6, &pol.dstaddr6),
            ] {
                let first = |names: &[String]| -> Option<IpAddr> {
                    cfg.resolve_addrs(names, v6).first().map(|a| match a {
                        Address::V4(lo, _) => IpAddr::V4(Ipv4Addr::from(*lo)),
                        Address::V6(lo, _) => IpAddr::V6(Ipv6Addr::from(*lo)),
                    })
                };
                let (Some(src), Some(dst)) = (first(src), first(dst)) else {
                    continue;
                };
                for svc in cfg.resolve_services(&pol.service) {
                    let (proto, dport, icmp_type) = match svc.protocol.as_str() {
                        "TCP/UDP/SCTP" => match svc.ranges.first() {
                            Some(&(p, lo, _, _, _)) => (p, Some(lo), None),
                            None => continue,
                        },
                        "ICMP" if !v6 => (1, None, svc.icmptype),
                        "ICMP6" if v6 => (58, None, svc.icmptype),
                        "IP" => match svc.protocol_number.unwrap_or(0) {
                            0 => (6, Some(80), None),
                            n => (n, None, None),
                        },
                        _ => continue,
                    };
                    let pkt = conduitc::Packet {
                        src,
                        dst,
                        proto,
                        dport,
                        icmp_type,
                    };
                    out.push((Wire::initiation(&pkt, 40000), i.clone(), o.clone()));
                }
            }
        }
    }
    out
}

/// The deciding policy (ID) and whether it accepts, per probe.
fn decisions(cfg: &Config, probes: &[Probe]) -> Vec<Option<(u32, bool)>> {
    probes
        .iter()
        .map(|(w, i, o)| {
            cfg.decide(w, i.as_deref(), o.as_deref())
                .map(|p| (p.id, p.action.as_deref() == Some("accept")))
        })
        .collect()
}

fn accepts(cfg: &Config, (w, i, o): &Probe) -> bool {
    cfg.accepts(w, i.as_deref(), o.as_deref())
}

/// Outcome of one transition on the device model.
struct Run {
    /// Probes the transitioned device decides differently from a fresh load.
    mismatches: usize,
    /// Probes the old-way paste (the full new build over the old) decides
    /// differently from a fresh load.
    paste_mismatches: usize,
    probes: usize,
}

/// Runs the transition old -> new on a device that runs `old`, checking
/// every property that does not depend on operator configuration; returns
/// the mismatch counts for the measurement.
fn run(old: &RuleSet, new: &RuleSet, random: &[Probe]) -> Result<Run, String> {
    let old_text = fresh(old);
    let new_text = fresh(new);
    let mut probes = policy_probes(&[&old_text, &new_text]);
    probes.extend_from_slice(random);
    let probes = &probes;
    let script = transition(new, &old_text).map_err(|e| format!("{e}\n{old_text}"))?;
    let mut dev = DeviceState::load(&old_text)?;
    let old_cfg = dev.config()?;
    let new_cfg = DeviceState::load(&new_text)?.config()?;
    let snapshots = dev
        .apply(&script)
        .map_err(|e| format!("applying the transition: {e}\n{script}"))?;
    // (2) Never admit what neither build admits, at any `end`.
    for (k, snap) in snapshots.iter().enumerate() {
        for pr in probes {
            if accepts(snap, pr) && !accepts(&old_cfg, pr) && !accepts(&new_cfg, pr) {
                return Err(format!(
                    "after `end` number {}, {pr:?} is admitted by neither build\n{script}",
                    k + 1
                ));
            }
        }
    }
    // (1) The result decides as a fresh load, and holds what it holds.
    let got = dev.config()?;
    let want = decisions(&new_cfg, probes);
    let mismatches = decisions(&got, probes)
        .iter()
        .zip(&want)
        .filter(|(a, b)| a != b)
        .count();
    if mismatches == 0 && got.signature() != new_cfg.signature() {
        return Err(format!(
            "the policy table differs from a fresh load\n{script}\n{}",
            dev.render()
        ));
    }
    // (3) The same transition on a device that also holds operator
    // configuration around the block.
    operator_run(&old_text, &new_text, new, probes)?;
    // (5) A second transition from the result changes nothing.
    let again = transition(new, &dev.render()).map_err(|e| e.to_string())?;
    if !again.contains("# no change: the device already runs this build\n")
        || again.lines().any(|l| !l.starts_with('#'))
    {
        return Err(format!("a second transition is not empty:\n{again}"));
    }
    // The old way: the full new build pasted over the old one. When the
    // device refuses part of it (a policy name the old build still uses),
    // every probe counts as a mismatch.
    let mut pasted = DeviceState::load(&old_text)?;
    let paste_mismatches = match pasted.apply(&new_text).and_then(|_| pasted.config()) {
        Ok(cfg) => decisions(&cfg, probes)
            .iter()
            .zip(&want)
            .filter(|(a, b)| a != b)
            .count(),
        Err(_) => probes.len(),
    };
    Ok(Run {
        mismatches,
        paste_mismatches,
        probes: probes.len(),
    })
}

/// The transition from `old_text` on a device with [`OPERATOR`]'s objects
/// and policies around the block: nothing of the operator's changes, the
/// block ends up where [`layout`] puts a fresh one, the device decides as
/// that layout does, and at no `end` admits what neither layout admits.
fn operator_run(
    old_text: &str,
    new_text: &str,
    new: &RuleSet,
    probes: &[Probe],
) -> Result<(), String> {
    let mut dev = layout(old_text, false);
    let previous = dev.render();
    let script = transition(new, &previous).map_err(|e| format!("{e}\n{previous}"))?;
    let old_cfg = dev.config()?;
    // With no conduitc policy on the device the block goes above the deny-all.
    let want_dev = layout(new_text, policy_ids(old_text).is_empty());
    let new_cfg = want_dev.config()?;
    let snapshots = dev
        .apply(&script)
        .map_err(|e| format!("applying the transition: {e}\n{script}"))?;
    for snap in &snapshots {
        for pr in probes {
            if accepts(snap, pr) && !accepts(&old_cfg, pr) && !accepts(&new_cfg, pr) {
                return Err(format!("{pr:?} admitted mid-way\n{script}"));
            }
        }
    }
    if dev.keys("firewall policy") != want_dev.keys("firewall policy") {
        return Err(format!(
            "policy order {:?}, want {:?}\n{script}",
            dev.keys("firewall policy"),
            want_dev.keys("firewall policy")
        ));
    }
    if decisions(&dev.config()?, probes) != decisions(&new_cfg, probes) {
        return Err(format!("decisions differ with operator policies\n{script}"));
    }
    let after = dev.render();
    let op = DeviceState::load(OPERATOR)?.render();
    for entry in op.split("    edit ").skip(1) {
        let entry = entry.split("    next").next().unwrap_or("");
        if !after.contains(entry) {
            return Err(format!("operator entry changed: {entry}\n{script}"));
        }
    }
    Ok(())
}

fn without(rs: &RuleSet, drop: &[bool]) -> RuleSet {
    let mut names: Vec<String> = rs.rules.iter().map(|r| r.name.to_string()).collect();
    names.dedup();
    let mut out = rs.clone();
    out.rules.retain(|r| {
        let i = names.iter().position(|n| *n == r.name).unwrap_or(0);
        !drop.get(i % drop.len().max(1)).copied().unwrap_or(false)
    });
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Two builds of one policy that differ in which flows they hold, and
    /// the isolation switch both ways, for every option set.
    #[test]
    fn fortios_transition_between_related_builds_is_exact(
        spec in gen::policy_spec(),
        a in prop::collection::vec(any::<bool>(), 1..6),
        b in prop::collection::vec(any::<bool>(), 1..6),
        seed in any::<u32>(),
    ) {
        let p = spec.to_policy();
        let sets = option_sets();
        for opts in &sets {
            let rs = lower(&p, opts).unwrap();
            let pr = probes(&[&p], opts, u64::from(seed), 60);
            for (old, new) in [(without(&rs, &a), without(&rs, &b)), (without(&rs, &b), rs.clone())] {
                let r = run(&old, &new, &pr).map_err(TestCaseError::fail)?;
                prop_assert_eq!(r.mismatches, 0);
            }
        }
        // Isolation switches: cut, then restore.
        for (normal, island) in [(&sets[0], &sets[1]), (&sets[2], &sets[3])] {
            let n = lower(&p, normal).unwrap();
            let i = lower(&p, island).unwrap();
            let pr = probes(&[&p], normal, u64::from(seed), 60);
            for (old, new) in [(&n, &i), (&i, &n)] {
                let r = run(old, new, &pr).map_err(TestCaseError::fail)?;
                prop_assert_eq!(r.mismatches, 0);
            }
        }
    }

    /// Two unrelated policies built for one firewall name: every object and
    /// policy of the old build may go, come or change.
    #[test]
    fn fortios_transition_between_random_policies_is_exact(
        one in gen::policy_spec(),
        two in gen::policy_spec(),
        seed in any::<u32>(),
    ) {
        let (p, q) = (one.to_policy(), two.to_policy());
        for opts in [&option_sets()[0], &option_sets()[2]] {
            let pr = probes(&[&p, &q], opts, u64::from(seed), 50);
            let (old, new) = (lower(&p, opts).unwrap(), lower(&q, opts).unwrap());
            let r = run(&old, &new, &pr).map_err(TestCaseError::fail)?;
            prop_assert_eq!(r.mismatches, 0);
        }
    }
}

/// The plants the measurement runs on: (name, policy, firewall, isolation).
fn realistic() -> Vec<(String, Policy, Option<String>, String)> {
    let water = load("examples/water-utility");
    let bottling = load("examples/bottling-plant.conduit");
    vec![
        (
            "water-utility south-fw".into(),
            water,
            Some("south-fw".into()),
            "island-sites".into(),
        ),
        (
            "bottling-plant plant-edge-fw".into(),
            bottling,
            Some("plant-edge-fw".into()),
            "cut-corporate".into(),
        ),
        (
            "test-kit plant plant-fgt".into(),
            plant::policy(),
            Some("plant-fgt".into()),
            "island".into(),
        ),
    ]
}

/// The measurement: normal to island and back on each realistic
/// plant, and version to version on `examples/diff` (both ways). Pasting the
/// full build over the previous one mismatches; the transition mismatches
/// nowhere.
#[test]
fn fortios_transitions_on_realistic_plants_mismatch_nowhere() {
    let mut cases: Vec<(String, RuleSet, RuleSet, Vec<Probe>)> = Vec::new();
    for (name, p, fw, iso) in realistic() {
        let normal = BuildOptions::new(gen::today()).with_firewall(fw.clone());
        let island = normal.clone().isolation(iso.clone());
        let n = lower(&p, &normal).unwrap();
        let i = lower(&p, &island).unwrap();
        let pr = probes(&[&p], &normal, 7, 300);
        cases.push((
            format!("{name}: normal to {iso}"),
            n.clone(),
            i.clone(),
            pr.clone(),
        ));
        cases.push((format!("{name}: {iso} to normal"), i, n, pr));
    }
    let v1 = load("examples/diff/v1");
    let v2 = load("examples/diff/v2");
    let opts = BuildOptions::new(gen::today());
    let (r1, r2) = (lower(&v1, &opts).unwrap(), lower(&v2, &opts).unwrap());
    let pr = probes(&[&v1, &v2], &opts, 11, 300);
    cases.push(("diff v1 to v2".into(), r1.clone(), r2.clone(), pr.clone()));
    cases.push(("diff v2 to v1".into(), r2, r1, pr));

    let (mut bad, mut pasted_bad, mut total) = (0, 0, 0);
    let mut report = String::new();
    for (k, (name, old, new, pr)) in cases.iter().enumerate() {
        let r = run(old, new, pr).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The case: on the water utility's south-fw, pasting the
        // island build over the normal one leaves in force what island
        // mode cuts.
        if k == 0 {
            assert!(r.paste_mismatches > 0, "{name}: pasting over isolates");
        }
        bad += r.mismatches;
        pasted_bad += r.paste_mismatches;
        total += r.probes;
        report.push_str(&format!(
            "{name}: transition {} / paste-over {} of {}\n",
            r.mismatches, r.paste_mismatches, r.probes
        ));
    }
    println!("{report}");
    assert_eq!(
        bad,
        0,
        "{bad} mismatching packets in {total} across {} transitions\n{report}",
        cases.len()
    );
    // The old way really fails here, so the measurement measures something.
    assert!(
        pasted_bad > 0,
        "pasting over mismatches nowhere: the probes miss the difference\n{report}"
    );
}

/// Operator configuration around the conduit block: objects outside the
/// prefix, a policy above the block, one below, a deny-all at the bottom.
const OPERATOR: &str = "config firewall address
    edit \"all\"
    next
    edit \"jump-host\"
        set subnet 192.0.2.10 255.255.255.255
    next
end
config firewall service custom
    edit \"ALL\"
        set protocol IP
        set protocol-number 0
    next
    edit \"ssh\"
        set tcp-portrange 22
    next
end
config firewall policy
    edit 10
        set name \"ops-jump\"
        set srcintf \"any\"
        set dstintf \"any\"
        set srcaddr \"jump-host\"
        set dstaddr \"all\"
        set action accept
        set schedule \"always\"
        set service \"ssh\"
    next
    edit 20
        set name \"ops-below\"
        set srcintf \"any\"
        set dstintf \"any\"
        set srcaddr \"all\"
        set dstaddr \"jump-host\"
        set action accept
        set schedule \"always\"
        set service \"ssh\"
    next
    edit 30
        set name \"deny-all\"
        set srcintf \"any\"
        set dstintf \"any\"
        set srcaddr \"all\"
        set dstaddr \"all\"
        set action deny
        set schedule \"always\"
        set service \"ALL\"
    next
end
";

/// A device running `build` between operator policies: 10 above the
/// block, 20 and the deny-all 30 below it (20 above it too when
/// `twenty_above`).
fn layout(build: &str, twenty_above: bool) -> DeviceState {
    let mut dev = DeviceState::default();
    dev.apply(OPERATOR).unwrap();
    dev.apply(build).unwrap();
    let ids = dev.keys("firewall policy");
    let mut moves = String::from("config firewall policy\n");
    // The build's policies were appended after 30: bring 30 (and 20)
    // below them.
    if let Some(last) = ids.last().filter(|l| *l != "30") {
        if twenty_above {
            moves.push_str(&format!("    move 30 after {last}\n"));
        } else {
            moves.push_str(&format!("    move 20 after {last}\n    move 30 after 20\n"));
        }
    }
    moves.push_str("end\n");
    dev.apply(&moves).unwrap();
    dev
}

fn with_operator(build: &str) -> DeviceState {
    layout(build, false)
}

fn policy_ids(text: &str) -> Vec<String> {
    DeviceState::load(text).unwrap().keys("firewall policy")
}

#[test]
fn fortios_transition_keeps_operator_configuration_and_block_position() {
    for (name, p, fw, iso) in realistic() {
        let normal = BuildOptions::new(gen::today()).with_firewall(fw.clone());
        let island = normal.clone().isolation(iso);
        let n = lower(&p, &normal).unwrap();
        let i = lower(&p, &island).unwrap();
        for (old, new) in [(&n, &i), (&i, &n)] {
            let mut dev = with_operator(&fresh(old));
            let before = dev.render();
            let script = transition(new, &before).unwrap_or_else(|e| panic!("{name}: {e}"));
            dev.apply(&script)
                .unwrap_or_else(|e| panic!("{name}: {e}\n{script}"));
            // Operator objects and policies unchanged, in their places.
            let after = dev.render();
            let op = DeviceState::load(OPERATOR).unwrap().render();
            for entry in op.split("    edit ").skip(1) {
                let entry = entry.split("    next").next().unwrap();
                assert!(
                    after.contains(entry),
                    "{name}: operator entry changed or gone: {entry}\n{script}"
                );
            }
            // Without a conduitc policy on the device (island mode cut them
            // all) the block goes directly above the bottom deny-all.
            let empty_block = policy_ids(&fresh(old)).is_empty();
            let mut want = vec!["10".to_string()];
            if empty_block {
                want.push("20".into());
            }
            want.extend(policy_ids(&fresh(new)));
            if !empty_block {
                want.push("20".into());
            }
            want.push("30".into());
            assert_eq!(dev.keys("firewall policy"), want, "{name}\n{script}");
            // And the device decides as the operator's table with a fresh
            // block in the same place.
            let expected = layout(&fresh(new), empty_block).config().unwrap();
            let pr = probes(&[&p], &normal, 3, 150);
            assert_eq!(
                decisions(&dev.config().unwrap(), &pr),
                decisions(&expected, &pr),
                "{name}\n{script}"
            );
            let again = transition(new, &dev.render()).unwrap();
            assert!(
                again.ends_with("# no change: the device already runs this build\n"),
                "{again}"
            );
        }
    }
}

/// `old` as a configuration backup would show it: version header, system
/// tables with nested blocks, a `uuid` on every firewall entry.
fn as_backup(build: &str) -> String {
    let mut out = String::from(
        "#config-version=FGT60F-7.2.5-FW-build1517-230606:opmode=0:vdom=0:user=admin\n#conf_file_ver=1234567890\n#buildno=1517\n#global_vdom=1\nconfig system global\n    set admintimeout 30\n    set hostname \"south-fw\"\n    set timezone 04\nend\nconfig system interface\n    edit \"port1\"\n        set vdom \"root\"\n        set ip 10.0.0.1 255.255.255.0\n        set allowaccess ping https ssh\n        config ipv6\n            set ip6-mode static\n        end\n    next\nend\n",
    );
    let mut n = 0;
    for line in build.lines() {
        if line.starts_with('#') {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with("    edit ") {
            n += 1;
            out.push_str(&format!(
                "        set uuid 5e8c{n:04x}-2f1a-51ee-8c3e-0a1b2c3d4e5f\n"
            ));
        }
    }
    out.push_str("config router static\n    edit 1\n        set gateway 10.0.0.254\n        set device \"port1\"\n    next\nend\n");
    out
}

#[test]
fn fortios_transition_from_a_backup_is_the_one_from_the_build_file() {
    for (name, p, fw, iso) in realistic() {
        let normal = BuildOptions::new(gen::today()).with_firewall(fw.clone());
        let island = normal.clone().isolation(iso);
        let n = lower(&p, &normal).unwrap();
        let i = lower(&p, &island).unwrap();
        let from_file = transition(&i, &fresh(&n)).unwrap();
        let backup = as_backup(&fresh(&n));
        let from_backup = transition(&i, &backup).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(from_backup, from_file, "{name}");
        // The device model reads the backup too, and the script applies.
        let mut dev = DeviceState::load(&backup).unwrap();
        dev.apply(&from_backup).unwrap();
        assert_eq!(
            dev.config().unwrap().signature(),
            DeviceState::load(&fresh(&i))
                .unwrap()
                .config()
                .unwrap()
                .signature(),
            "{name}"
        );
    }
}

fn water() -> (RuleSet, RuleSet) {
    let p = load("examples/water-utility");
    let normal = BuildOptions::new(gen::today()).firewall("south-fw");
    let island = normal.clone().isolation("island-sites");
    (lower(&p, &normal).unwrap(), lower(&p, &island).unwrap())
}

#[test]
fn fortios_island_switch_deletes_what_island_mode_cuts() {
    let (n, i) = water();
    let script = transition(&i, &fresh(&n)).unwrap();
    let gone: Vec<String> = policy_ids(&fresh(&n))
        .into_iter()
        .filter(|id| !policy_ids(&fresh(&i)).contains(id))
        .collect();
    assert!(!gone.is_empty());
    for id in &gone {
        assert!(
            script.contains(&format!("    delete {id}\n")),
            "{id}\n{script}"
        );
    }
    // Policies go before the objects they referenced.
    let first_policy_delete = script.find("config firewall policy").unwrap();
    for table in ["addrgrp", "address", "service custom", "service group"] {
        if let Some(at) = script.find(&format!("config firewall {table}\n    delete")) {
            assert!(at > first_policy_delete, "{script}");
        }
    }
    assert!(script.starts_with(&format!(
        "# conduitc {} fortios transition",
        env!("CARGO_PKG_VERSION")
    )));
}

#[test]
fn fortios_operator_reference_to_a_deleted_object_is_refused() {
    let (n, i) = water();
    let old = fresh(&n);
    let new = fresh(&i);
    // An object the island build drops.
    let old_dev = DeviceState::load(&old).unwrap();
    let new_dev = DeviceState::load(&new).unwrap();
    let old_cfg = old_dev.config().unwrap();
    let new_cfg = new_dev.config().unwrap();
    let dropped = old_cfg
        .addrgrp
        .keys()
        .find(|k| !new_cfg.addrgrp.contains_key(*k))
        .expect("island mode drops an address group")
        .clone();
    let mut dev = with_operator(&old);
    dev.apply(&format!(
        "config firewall policy\n    edit 40\n        set name \"ops-uses-conduit\"\n        set srcintf \"any\"\n        set dstintf \"any\"\n        set srcaddr \"{dropped}\"\n        set dstaddr \"all\"\n        set action accept\n        set schedule \"always\"\n        set service \"ssh\"\n    next\nend\n"
    ))
    .unwrap();
    let previous = dev.render();
    let e = transition(&i, &previous).unwrap_err();
    let edit40 = previous.lines().position(|l| l == "    edit 40").unwrap();
    let line = previous
        .lines()
        .skip(edit40)
        .position(|l| l.trim() == format!("set srcaddr \"{dropped}\""))
        .unwrap()
        + edit40
        + 1;
    assert_eq!(e.code().as_str(), "E817", "{e}");
    assert_eq!(e.previous_line(), Some(line), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&dropped) && msg.contains("policy 40") && msg.contains("ops-uses-conduit"),
        "{msg}"
    );
    // Nothing is written on refusal.
    let mut out = Vec::new();
    assert!(conduitc::backend::emit_transition(
        &i,
        Target::Fortios,
        &EmitOptions::new(),
        &previous,
        &mut out
    )
    .is_err());
    assert!(out.is_empty());
}

#[test]
fn fortios_unreadable_previous_is_refused_with_its_line() {
    let (n, i) = water();
    let build = fresh(&n);
    let edited = build.replacen(
        "set subnet 10.120.0.10 255.255.255.255",
        "set subnet 10.120.0.11 255.255.255.255",
        1,
    );
    assert_ne!(edited, build);
    let edited_line = edited
        .lines()
        .position(|l| l.contains("edit \"conduit-a4-10.120.0.10\""))
        .unwrap()
        + 1;
    let mine = build.replacen(
        "config firewall address\n",
        "config firewall address\n    edit \"conduit-mine\"\n        set subnet 10.9.9.0 255.255.255.0\n    next\n",
        1,
    );
    let mine_line = mine
        .lines()
        .position(|l| l.contains("conduit-mine"))
        .unwrap()
        + 1;
    for (what, text, line) in [
        (
            "cisco ios",
            "!\nip access-list extended conduit-ot-in\n permit tcp any any eq 502\n".to_string(),
            1,
        ),
        ("nftables", "table inet conduit {\n}\n".to_string(), 1),
        ("json", "{\"nftables\": []}\n".to_string(), 1),
        (
            "binary",
            "config firewall address\n\u{0}\u{7f}\u{1}\nend\n".to_string(),
            2,
        ),
        (
            "unbalanced",
            "config firewall policy\n    edit 1000001\nend\n".to_string(),
            3,
        ),
        ("unterminated", "config firewall policy\n".to_string(), 0),
        (
            "multi-VDOM",
            "config vdom\n    edit \"root\"\n        config firewall policy\n        end\n    next\nend\n".to_string(),
            3,
        ),
        ("edited by hand", edited, edited_line),
        ("a name conduitc never writes", mine, mine_line),
    ] {
        let mut out = Vec::new();
        let e = conduitc::backend::emit_transition(
            &i,
            Target::Fortios,
            &EmitOptions::new(),
            &text,
            &mut out,
        )
        .expect_err(what);
        assert!(out.is_empty(), "{what}");
        assert_eq!(e.code().as_str(), "E816", "{what}: {e}");
        assert_eq!(e.previous_line().unwrap_or(0), line, "{what}: {e}");
    }
}

#[test]
fn fortios_plain_build_says_it_is_for_a_fresh_device() {
    let (n, _) = water();
    let text = fresh(&n);
    let header: String = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        header.contains("For a device without an earlier conduitc configuration"),
        "{header}"
    );
    assert!(
        header.contains("conduitc build --from PREVIOUS"),
        "{header}"
    );
}

#[test]
fn fortios_new_policies_land_inside_the_block_above_the_deny_all() {
    // From a build without the last flow to the full build: the new
    // policy must end up in the block, not below the operator's deny-all.
    let (n, _) = water();
    let mut fewer = n.clone();
    let last = fewer.rules.last().unwrap().name.clone();
    fewer.rules.retain(|r| r.name != last);
    let mut dev = with_operator(&fresh(&fewer));
    let script = transition(&n, &dev.render()).unwrap();
    assert!(script.contains("    move "), "{script}");
    dev.apply(&script).unwrap();
    let mut want = vec!["10".to_string()];
    want.extend(policy_ids(&fresh(&n)));
    want.extend(["20".to_string(), "30".to_string()]);
    assert_eq!(dev.keys("firewall policy"), want, "{script}");
}

#[test]
fn fortios_operator_policy_under_a_conduit_name_is_refused() {
    let (n, _) = water();
    let build = fresh(&n);
    let taken = build
        .lines()
        .find_map(|l| l.trim().strip_prefix("set name "))
        .unwrap()
        .to_string();
    let mut dev = DeviceState::load(OPERATOR).unwrap();
    dev.apply(&format!(
        "config firewall policy\n    edit 10\n        set name {taken}\n    next\nend\n"
    ))
    .unwrap();
    let previous = dev.render();
    let e = transition(&n, &previous).unwrap_err();
    let line = previous.lines().position(|l| l == "    edit 10").unwrap() + 1;
    assert_eq!(e.code().as_str(), "E816", "{e}");
    assert_eq!(e.previous_line(), Some(line), "{e}");
    assert!(e.to_string().contains("policy 10"), "{e}");
}

/// The device model itself: what the proofs above rely on.
#[test]
fn fortios_device_model_applies_as_the_cli_does() {
    let mut dev = DeviceState::load(OPERATOR).unwrap();
    assert_eq!(dev.keys("firewall policy"), ["10", "20", "30"]);
    // A new policy is appended at the end; `move` reorders.
    let new = "config firewall policy\n    edit 5\n        set name \"p5\"\n        set srcintf \"any\"\n        set dstintf \"any\"\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        set action accept\n        set schedule \"always\"\n        set service \"ssh\"\n    next\nend\n";
    dev.apply(new).unwrap();
    assert_eq!(dev.keys("firewall policy"), ["10", "20", "30", "5"]);
    dev.apply("config firewall policy\n    move 5 before 20\nend\n")
        .unwrap();
    assert_eq!(dev.keys("firewall policy"), ["10", "5", "20", "30"]);
    // `edit` of an existing entry keeps what is not set again; `set`
    // replaces a whole value; `unset` resets to the default.
    dev.apply("config firewall policy\n    edit 5\n        set srcaddr \"jump-host\" \"all\"\n        set srcaddr \"jump-host\"\n    next\nend\n")
        .unwrap();
    let cfg = dev.config().unwrap();
    let p5 = cfg.policies.iter().find(|p| p.id == 5).unwrap();
    assert_eq!(p5.srcaddr, ["jump-host"]);
    assert_eq!(p5.name.as_deref(), Some("p5"));
    // Deleting what a policy uses, or what is not there, is an error.
    let in_use = dev
        .clone()
        .apply("config firewall address\n    delete \"jump-host\"\nend\n");
    assert!(in_use.unwrap_err().contains("entry in use"));
    let missing = dev
        .clone()
        .apply("config firewall policy\n    delete 99\nend\n");
    assert!(missing.unwrap_err().contains("entry not found"));
    // A policy left without an object it names is an apply error at `end`.
    let dangling = dev
        .clone()
        .apply("config firewall policy\n    edit 5\n        set service \"nope\"\n    next\nend\n");
    assert!(dangling.is_err());
    // Unsetting a required field surfaces at `end` too.
    let unset = dev
        .clone()
        .apply("config firewall policy\n    edit 5\n        unset service\n    next\nend\n");
    assert!(unset.is_err());
    // One snapshot per `end`, each what the device enforces there.
    let snaps = dev
        .clone()
        .apply("config firewall policy\n    delete 5\nend\nconfig firewall address\n    delete \"jump-host\"\nend\n");
    assert!(snaps.is_err(), "10 and 20 still use jump-host");
    let snaps = dev
        .apply("config system global\n    set hostname \"x\"\nend\nconfig firewall policy\n    delete 5\nend\n")
        .unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].policies.len(), 3);
}
