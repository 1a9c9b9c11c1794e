//! The FortiOS backend, read back by a strict model of the device
//! (`conduitc_testkit::fortios_eval`) and compared with the reference semantics.
//!
//! FortiOS is stateful: replies ride on the session the initiation opened,
//! so the policy table must accept **exactly** the packets the policy allows
//! as initiations, arriving on the interface that faces the source's zone and
//! leaving on the one facing the destination's (or on any interface when no
//! firewall is declared). A packet with the right addresses arriving on
//! another interface (a spoofed source) must meet the implicit deny.

use std::collections::BTreeSet;

use conduitc::lower::{lower, BuildOptions};
use conduitc::Policy;
use proptest::prelude::*;

use crate::backend_ios::option_sets;
use conduitc_testkit::fortios_eval::{self, Config};
use conduitc_testkit::wire::{self, Wire};
use conduitc_testkit::{eval, gen};

pub fn check_packet(
    cfg: &Config,
    p: &Policy,
    opts: &BuildOptions,
    w: &Wire,
) -> Result<(), TestCaseError> {
    if !w.same_family() {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

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
                .map(|r| (r.name.clone(), r.src_zone.clone(), r.dst_zone.clone()))
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
