//! The FortiOS backend, read back by a strict model of the device
//! (`conduitc_testkit::fortios_eval`) and compared with the reference semantics.
//!
//! FortiOS is stateful: replies ride on the session the initiation opened,
//! so the policy table must accept **exactly** the packets the policy allows
//! as initiations, arriving on the interface that faces the source's zone and
//! leaving on the one facing the destination's (or on any interface when no
//! firewall is declared). A packet with the right addresses arriving on
//! another interface (a spoofed source) must meet the implicit deny.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use conduitc::lower::{lower, BuildOptions};
use conduitc::model::Platform;
use conduitc::platform::FORTIOS;
use conduitc::{check, CheckOptions, Policy, Sources};
use proptest::prelude::*;

use crate::backend_ios::option_sets;
use conduitc_testkit::fortios_eval::{self, Config, DeviceState};
use conduitc_testkit::wire::{self, Wire};
use conduitc_testkit::{eval, gen};

pub fn check_packet(
    cfg: &Config,
    p: &Policy,
    opts: &BuildOptions,
    w: &Wire,
) -> Result<(), TestCaseError> {
    // A packet to the firewall itself is not forwarded: the local-in
    // tables decide it (judged by `eval::agrees`).
    if !w.same_family() || eval::to_device(p, opts, &w.packet()) {
        return Ok(());
    }
    let allowed = wire::is_allowed(p, opts, w);
    match &opts.firewall {
        None => {
            let got = cfg.decide(w, None, None);
            prop_assert_eq!(got.is_some(), allowed, "{:?} decided by {:?}", w, got);
            if let Some(pol) = got {
                prop_assert_eq!(pol.action.as_deref(), Some("accept"));
                let c = pol.comments.clone().unwrap_or_default();
                let flow = c.split(' ').next().unwrap_or("").to_string();
                let names = wire::allowed_names(p, opts, w);
                prop_assert!(
                    names.contains(&flow),
                    "policy {:?} admits {:?}; flows {:?}",
                    c,
                    w,
                    names
                );
            }
        }
        Some(fw) => {
            let (i, o) = (
                eval::iface_for(p, opts, w.src),
                eval::iface_for(p, opts, w.dst),
            );
            match (&i, &o) {
                (Some(i), Some(o)) => {
                    let got = cfg.accepts(w, Some(i), Some(o));
                    prop_assert_eq!(got, allowed, "{:?} from {} to {}", w, i, o);
                }
                _ => prop_assert!(!allowed, "{:?} allowed but not across the firewall", w),
            }
            // Arriving anywhere else, it is a spoofed source.
            for other in &p.firewall(fw).unwrap().interfaces {
                if Some(&other.name) == i.as_ref() {
                    continue;
                }
                for out in p
                    .firewall(fw)
                    .unwrap()
                    .interfaces
                    .iter()
                    .map(|x| Some(x.name.as_str()))
                {
                    prop_assert!(
                        !cfg.accepts(w, Some(&other.name), out),
                        "{:?} accepted arriving on {}",
                        w,
                        other.name
                    );
                }
            }
        }
    }
    Ok(())
}

/// What each name and policy ID stands for, over several builds of one
/// policy: a name or ID that means two different things in two builds
/// would, pasted one over the other, re-point what survives of the first.
#[derive(Default)]
pub struct Ledger {
    /// Lower-cased object name -> (table and content, build).
    objects: BTreeMap<String, (String, String)>,
    /// Policy ID -> (the policy's flow, zones and owner, build).
    ids: BTreeMap<u32, (String, String)>,
    /// The policy's flow, zones and owner -> (ID, build).
    flows: BTreeMap<String, (u32, String)>,
}

impl Ledger {
    /// Records the objects and policies of one build, checking each against
    /// the builds recorded before and against the name rules.
    pub fn record(&mut self, build: &str, cfg: &fortios_eval::Config) -> Result<(), String> {
        let mut entries: Vec<(&str, &String, String)> = Vec::new();
        for (n, a) in &cfg.address {
            entries.push(("address", n, format!("{a:?}")));
        }
        for (n, a) in &cfg.address6 {
            entries.push(("address6", n, format!("{a:?}")));
        }
        for n in cfg.addrgrp.keys() {
            let set = cfg.resolve_addrs(std::slice::from_ref(n), false);
            entries.push(("addrgrp", n, format!("{set:?}")));
        }
        for n in cfg.addrgrp6.keys() {
            let set = cfg.resolve_addrs(std::slice::from_ref(n), true);
            entries.push(("addrgrp6", n, format!("{set:?}")));
        }
        for (n, svc) in &cfg.services {
            entries.push(("service custom", n, format!("{svc:?}")));
        }
        for n in cfg.service_groups.keys() {
            let set = cfg.resolve_services(std::slice::from_ref(n));
            entries.push(("service group", n, format!("{set:?}")));
        }
        let limit = FORTIOS.max_object_name_chars.unwrap();
        for (table, name, content) in entries {
            if !name.starts_with("conduit-") || name.len() > limit {
                return Err(format!(
                    "{build}: {table} {name:?} is outside `conduit-` or over {limit} characters"
                ));
            }
            let what = format!("{table} {content}");
            match self.objects.get(&name.to_ascii_lowercase()) {
                Some((old, first)) if *old != what => {
                    return Err(format!(
                        "{name:?} is {old} in {first} but {what} in {build}"
                    ))
                }
                Some(_) => {}
                None => {
                    self.objects
                        .insert(name.to_ascii_lowercase(), (what, build.to_string()));
                }
            }
        }
        let name_limit = FORTIOS.max_rule_name_chars.unwrap();
        for pol in &cfg.policies {
            let name = pol.name.clone().unwrap_or_default();
            if name.is_empty() || name.len() > name_limit {
                return Err(format!("{build}: policy name {name:?}"));
            }
            if !(1_000_000..1_000_000_000).contains(&pol.id) {
                return Err(format!("{build}: policy ID {} outside the range", pol.id));
            }
            let flow = pol.comments.clone().unwrap_or_default();
            match self.ids.get(&pol.id) {
                Some((old, first)) if *old != flow => {
                    return Err(format!(
                        "policy {} is {old:?} in {first} but {flow:?} in {build}",
                        pol.id
                    ))
                }
                Some(_) => {}
                None => {
                    self.ids.insert(pol.id, (flow.clone(), build.to_string()));
                }
            }
            match self.flows.get(&flow) {
                Some((id, first)) if *id != pol.id => {
                    return Err(format!(
                        "{flow:?} is policy {id} in {first} but {} in {build}",
                        pol.id
                    ))
                }
                Some(_) => {}
                None => {
                    self.flows.insert(flow, (pol.id, build.to_string()));
                }
            }
        }
        Ok(())
    }
}

fn build(p: &Policy, opts: &BuildOptions) -> fortios_eval::Config {
    let rs = lower(p, opts).unwrap();
    let text = conduitc::backend::emit(&rs, conduitc::backend::Target::Fortios).unwrap();
    fortios_eval::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn load(rel: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let sources = Sources::load(&[path]).unwrap();
    check(&sources, &CheckOptions::new(gen::today()))
        .policy
        .expect("the example checks")
}

/// Every build of an example for each of its FortiOS firewalls (and
/// without a firewall), in every isolation mode, recorded in one ledger.
fn example_ledger(rel: &str) -> Ledger {
    let p = load(rel);
    let mut firewalls: Vec<Option<String>> = p
        .firewalls
        .iter()
        .filter(|f| f.platform == Platform::Fortios)
        .map(|f| Some(f.name.to_string()))
        .collect();
    assert!(!firewalls.is_empty(), "{rel} has a FortiOS firewall");
    firewalls.push(None);
    let isolations: Vec<Option<String>> = std::iter::once(None)
        .chain(p.isolations.iter().map(|i| Some(i.name.to_string())))
        .collect();
    assert!(isolations.len() > 1, "{rel} has an isolation mode");
    let mut ledger = Ledger::default();
    for fw in &firewalls {
        for iso in &isolations {
            let opts = BuildOptions::new(gen::today())
                .with_firewall(fw.clone())
                .with_isolation(iso.clone());
            let cfg = build(&p, &opts);
            ledger
                .record(&format!("{rel} {fw:?} {iso:?}"), &cfg)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    ledger
}

#[test]
fn water_utility_names_mean_one_thing_in_every_build() {
    let ledger = example_ledger("examples/water-utility");
    // The hosts that used to share a positional name now have one each.
    for host in ["conduit-a4-10.120.0.10", "conduit-a4-10.120.0.40"] {
        assert!(ledger.objects.contains_key(host), "{host}");
    }
}

#[test]
fn bottling_plant_names_mean_one_thing_in_every_build() {
    let ledger = example_ledger("examples/bottling-plant.conduit");
    assert!(ledger.flows.len() > 5);
}

#[test]
fn ledger_catches_a_name_that_moves() {
    // Two builds in the old positional style: `z.v4-1` is another host in each.
    let cfg = |ip: &str| {
        fortios_eval::parse(&format!(
            "config firewall address\n    edit \"conduit-z.v4-1\"\n        set subnet {ip} 255.255.255.255\n    next\nend\n"
        ))
        .unwrap()
    };
    let mut ledger = Ledger::default();
    ledger.record("normal", &cfg("10.120.0.10")).unwrap();
    ledger.record("again", &cfg("10.120.0.10")).unwrap();
    let e = ledger.record("island", &cfg("10.120.0.40")).unwrap_err();
    assert!(e.contains("conduit-z.v4-1"), "{e}");
    let mut ledger = Ledger::default();
    let outside = fortios_eval::parse(
        "config firewall address\n    edit \"z.v4-1\"\n        set subnet 10.0.0.1 255.255.255.255\n    next\nend\n",
    )
    .unwrap();
    assert!(ledger.record("normal", &outside).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fortios_names_and_ids_mean_one_thing_in_every_build(spec in gen::policy_spec()) {
        let p = spec.to_policy();
        let mut ledger = Ledger::default();
        for opts in option_sets() {
            let cfg = build(&p, &opts);
            ledger
                .record(&format!("{:?} {:?}", opts.firewall, opts.isolation), &cfg)
                .map_err(TestCaseError::fail)?;
        }
    }

    #[test]
    fn fortios_policies_accept_exactly_the_policy(spec in gen::policy_spec(), pkts in gen::packet_specs(120)) {
        let p = spec.to_policy();
        let eph = wire::ephemeral_port(&p);
        for opts in option_sets() {
            let rs = lower(&p, &opts).unwrap();
            let text = conduitc::backend::emit(&rs, conduitc::backend::Target::Fortios).unwrap();
            prop_assert_eq!(&text, &conduitc::backend::emit(&rs, conduitc::backend::Target::Fortios).unwrap(), "deterministic");
            let cfg = fortios_eval::parse(&text)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            // One accept policy per flow and per catch-all direction, nothing else.
            let groups: BTreeSet<(String, String, String)> = rs
                .rules
                .iter()
                .map(|r| (r.name.to_string(), r.src_zone.to_string(), r.dst_zone.to_string()))
                .collect();
            prop_assert_eq!(cfg.policies.len(), groups.len());
            let monitor: Vec<bool> = cfg
                .policies
                .iter()
                .map(|p| p.comments.as_deref().unwrap_or("").contains(" monitor catch-all "))
                .collect();
            prop_assert!(monitor.windows(2).all(|w| w[0] <= w[1]), "catch-alls last");
            for pol in &cfg.policies {
                prop_assert_eq!(pol.action.as_deref(), Some("accept"));
                let c = pol.comments.clone().unwrap_or_default();
                let name = c.split(' ').next().unwrap_or("");
                let rule = rs.rules.iter().find(|r| r.name == name);
                prop_assert!(rule.is_some(), "comments {:?} name no flow", c);
                let rule = rule.unwrap();
                let want = if rule.log || rule.monitor { "all" } else { "disable" };
                prop_assert_eq!(pol.logtraffic.as_deref(), Some(want));
                if opts.firewall.is_none() {
                    prop_assert_eq!(&pol.srcintf, &vec!["any".to_string()]);
                    prop_assert_eq!(&pol.dstintf, &vec!["any".to_string()]);
                }
            }
            for pkt in gen::resolve_packets(&p, &pkts) {
                let init = Wire::initiation(&pkt, eph);
                // The initiation itself is judged in `backend_registry.rs`.
                let mut shapes = vec![
                    Wire { syn: false, ack: true, ..init },
                    Wire::initiation(&pkt, 1),
                    Wire::initiation(&pkt, 65535),
                ];
                shapes.extend(Wire::replies(&pkt, eph));
                for w in shapes {
                    check_packet(&cfg, &p, &opts, &w)?;
                }
            }
        }
    }

    #[test]
    fn fortios_policy_ids_are_stable_when_other_flows_change(spec in gen::policy_spec()) {
        let p = spec.to_policy();
        let opts = BuildOptions::new(gen::today());
        let rs = lower(&p, &opts).unwrap();
        let full = fortios_eval::parse(&conduitc::backend::emit(&rs, conduitc::backend::Target::Fortios).unwrap()).unwrap();
        // Drop the last flow: every remaining policy keeps its ID.
        let Some(last) = rs.rules.last().map(|r| r.name.clone()) else { return Ok(()) };
        let mut fewer = rs.clone();
        fewer.rules.retain(|r| r.name != last);
        let part = fortios_eval::parse(&conduitc::backend::emit(&fewer, conduitc::backend::Target::Fortios).unwrap()).unwrap();
        for pol in &part.policies {
            let same = full.policies.iter().find(|q| q.comments == pol.comments);
            prop_assert!(same.is_some());
            prop_assert_eq!(same.unwrap().id, pol.id);
        }
    }
}

#[test]
fn evaluator_refuses_unknown_lines_and_dangling_references() {
    for bad in [
        "config firewall policy\n    edit 0\n        set action accept\n    next\nend\n",
        "config firewall address\n    edit \"a\"\n        set subnet 10.0.0.0 255.255.255.0\n        set colour red\n    next\nend\n",
        "config firewall addrgrp\n    edit \"g\"\n        set member \"nope\"\n    next\nend\n",
        "config firewall address\n    edit \"a\"\n    next\n",
        "config system interface\nend\n",
        "config firewall address\n    edit \"a\"\n        set comment \"x\"y\n    next\nend\n",
    ] {
        assert!(fortios_eval::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn evaluator_reads_the_device_defaults() {
    // An ipmask address without a subnet is 0.0.0.0/0 on the device: the
    // evaluator must not treat it as empty.
    let text = "config firewall address\n    edit \"a\"\n    next\nend\nconfig firewall service custom\n    edit \"s\"\n        set tcp-portrange 22\n    next\nend\nconfig firewall policy\n    edit 7\n        set srcintf \"any\"\n        set dstintf \"any\"\n        set srcaddr \"a\"\n        set dstaddr \"a\"\n        set action accept\n        set schedule \"always\"\n        set service \"s\"\n    next\nend\n";
    let cfg = fortios_eval::parse(text).unwrap();
    let w = Wire {
        src: "192.0.2.1".parse().unwrap(),
        dst: "198.51.100.1".parse().unwrap(),
        proto: 6,
        sport: Some(40000),
        dport: Some(22),
        icmp_type: None,
        icmp_code: 0,
        syn: true,
        ack: false,
        rst: false,
        fragment: false,
    };
    assert!(cfg.accepts(&w, None, None));
    assert!(!cfg.accepts(
        &Wire {
            sport: Some(0),
            ..w
        },
        None,
        None
    ));
    assert!(!cfg.accepts(&Wire { proto: 17, ..w }, None, None));
}

/// A TCP SYN from `src` to `dst` port `dport`.
fn syn(src: &str, dst: &str, dport: u16) -> Wire {
    Wire {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto: 6,
        sport: Some(40000),
        dport: Some(dport),
        icmp_type: None,
        icmp_code: 0,
        syn: true,
        ack: false,
        rst: false,
        fragment: false,
    }
}

/// Local-in policies: first match in table order per family, interfaces
/// and the predefined `all`/`ALL`; a disabled entry is skipped; an entry
/// naming an object that does not exist is refused.
#[test]
fn evaluator_reads_local_in_policies() {
    let text = "config firewall address\n    edit \"eng\"\n        set subnet 10.0.0.7 255.255.255.255\n    next\n    edit \"me\"\n        set subnet 10.0.0.1 255.255.255.255\n    next\nend\nconfig firewall service custom\n    edit \"ssh\"\n        set tcp-portrange 22\n    next\nend\nconfig firewall local-in-policy\n    edit 3\n        set intf \"port1\"\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        set service \"ALL\"\n        set action deny\n        set schedule \"always\"\n        set status disable\n    next\n    edit 1\n        set intf \"port1\"\n        set srcaddr \"eng\"\n        set dstaddr \"me\"\n        set service \"ssh\"\n        set action accept\n        set schedule \"always\"\n        set comments \"conduit/fw.admin\"\n    next\n    edit 2\n        set intf \"any\"\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        set service \"ALL\"\n        set action deny\n        set schedule \"always\"\n    next\nend\n";
    let cfg = fortios_eval::parse(text).unwrap();
    let ok = cfg.local_decide(&syn("10.0.0.7", "10.0.0.1", 22), Some("port1"));
    assert_eq!(ok.map(|p| p.id), Some(1));
    assert_eq!(
        ok.and_then(|p| p.comments.as_deref()),
        Some("conduit/fw.admin")
    );
    // Another interface, another source, another port: the final deny.
    for (w, intf) in [
        (syn("10.0.0.7", "10.0.0.1", 22), "port2"),
        (syn("10.0.0.8", "10.0.0.1", 22), "port1"),
        (syn("10.0.0.7", "10.0.0.1", 443), "port1"),
    ] {
        assert_eq!(cfg.local_decide(&w, Some(intf)).map(|p| p.id), Some(2));
    }
    // IPv6 is its own table, empty here: nothing decides.
    assert!(cfg
        .local_decide(&syn("2001:db8::7", "2001:db8::1", 22), Some("port1"))
        .is_none());
    for bad in [
        text.replace("set srcaddr \"eng\"", "set srcaddr \"nope\""),
        text.replace(
            "set service \"ssh\"\n        set action accept",
            "set action accept",
        ),
        text.replace("set intf \"any\"\n", ""),
        text.replace("edit 2\n", "edit 1\n"),
    ] {
        assert!(fortios_eval::parse(&bad).is_err(), "{bad}");
    }
}

/// The applied device keeps local-in tables: `edit`, `move` and `delete`,
/// and an address a local-in entry uses cannot be deleted.
#[test]
fn device_model_applies_local_in_policies() {
    let base = "config firewall address\n    edit \"eng\"\n        set subnet 10.0.0.7 255.255.255.255\n    next\nend\nconfig firewall local-in-policy\n    edit 1\n        set intf \"any\"\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        set service \"ALL\"\n        set action deny\n        set schedule \"always\"\n    next\n    edit 2\n        set intf \"any\"\n        set srcaddr \"eng\"\n        set dstaddr \"all\"\n        set service \"ALL\"\n        set action accept\n        set schedule \"always\"\n    next\nend\n";
    let mut d = DeviceState::load(base).unwrap();
    let w = syn("10.0.0.7", "10.0.0.1", 22);
    let first = |d: &DeviceState| {
        d.config()
            .unwrap()
            .local_decide(&w, Some("port1"))
            .map(|p| p.id)
    };
    assert_eq!(first(&d), Some(1));
    d.apply("config firewall local-in-policy\n    move 2 before 1\nend\n")
        .unwrap();
    assert_eq!(first(&d), Some(2));
    assert_eq!(d.keys("firewall local-in-policy"), ["2", "1"]);
    assert!(d
        .apply("config firewall address\n    delete \"eng\"\nend\n")
        .is_err());
    d.apply("config firewall local-in-policy\n    delete 2\nend\nconfig firewall address\n    delete \"eng\"\nend\n")
        .unwrap();
    assert_eq!(first(&d), Some(1));
    assert_eq!(DeviceState::load(&d.render()).unwrap().config(), d.config());
}
