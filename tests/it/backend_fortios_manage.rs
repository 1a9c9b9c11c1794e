//! Traffic to the firewall itself (`manage` and `control`) on FortiOS:
//! random policies with interface addresses and local entries are built
//! for their firewall, read by the kit's evaluator (device-bound packets
//! decided by the local-in tables) and compared with the local rules'
//! decision, on packets to the device's own addresses and still on transit
//! packets.

use conduitc::backend::{emit, Target};
use conduitc::lower::{lower, BuildOptions};
use proptest::prelude::*;

use conduitc_testkit::fortios_eval::{self, DeviceState};
use conduitc_testkit::wire::{self, Wire};
use conduitc_testkit::{eval, gen};

use crate::backend_ios_manage::{with_local, with_packets_to_device};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn fortios_local_in_admits_exactly_the_local_entries(
        spec in gen::policy_spec(),
        pkts in gen::packet_specs(60),
        seed in any::<u64>(),
    ) {
        let mut p = spec.to_policy();
        with_local(&mut p, seed);
        let packets = with_packets_to_device(&p, gen::resolve_packets(&p, &pkts));
        for opts in [
            BuildOptions::new(gen::today()).firewall("fw"),
            BuildOptions::new(gen::today()).firewall("fw").isolation("island"),
        ] {
            let rs = lower(&p, &opts).unwrap();
            let text = emit(&rs, Target::Fortios).unwrap();
            prop_assert_eq!(&text, &emit(&rs, Target::Fortios).unwrap(), "deterministic");
            let n = eval::agrees(Target::Fortios, &p, &opts, &text, &packets)
                .map_err(TestCaseError::fail)?;
            prop_assert!(n > 0);
            let cfg = fortios_eval::parse(&text).unwrap();
            // The tables exist exactly when the build governs the device,
            // and each ends in the deny of everything else.
            prop_assert_eq!(!cfg.local_in.is_empty(), rs.filters_local());
            for table in [&cfg.local_in, &cfg.local_in6] {
                if let Some(last) = table.last() {
                    prop_assert_eq!(last.action.as_deref(), Some("deny"));
                    prop_assert_eq!(&last.srcaddr, &vec!["all".to_string()]);
                }
            }
        }
    }
}

/// What a configuration accepts to the device itself: per interface and
/// probe, accepted or not.
fn local_accepts(cfg: &fortios_eval::Config, ifaces: &[String], probes: &[Wire]) -> Vec<bool> {
    ifaces
        .iter()
        .flat_map(|i| {
            probes.iter().map(move |w| {
                cfg.local_decide(w, Some(i))
                    .is_some_and(|p| p.action.as_deref() == Some("accept"))
            })
        })
        .collect()
}

/// The local-in tables as the device enforces them, without IDs or
/// comments: per table, in order, interfaces, resolved addresses and
/// services, action.
fn local_signature(cfg: &fortios_eval::Config) -> Vec<String> {
    [(&cfg.local_in, false), (&cfg.local_in6, true)]
        .into_iter()
        .flat_map(|(t, v6)| {
            t.iter().map(move |p| {
                format!(
                    "{v6} {:?} {:?} {:?} {:?} {:?} {}",
                    p.intf,
                    cfg.resolve_addrs(&p.srcaddr, v6),
                    cfg.resolve_addrs(&p.dstaddr, v6),
                    cfg.resolve_services(&p.service),
                    p.action,
                    p.disabled
                )
            })
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A transition between two sets of local entries (and to and from
    /// none) leaves the device's local-in tables as a fresh load of the new
    /// build, never accepts to the device what neither build accepts after
    /// any `end`, and a second transition is a no-change script.
    #[test]
    fn fortios_transitions_carry_local_in_entries(
        spec in gen::policy_spec(),
        pkts in gen::packet_specs(40),
        seeds in (any::<u64>(), any::<u64>()),
        none in 0u8..4,
    ) {
        let base = spec.to_policy();
        let mut old_p = base.clone();
        let mut new_p = base.clone();
        if none != 1 {
            with_local(&mut old_p, seeds.0);
        }
        if none != 2 {
            with_local(&mut new_p, seeds.1);
        }
        let opts = BuildOptions::new(gen::today()).firewall("fw");
        let old_text = emit(&lower(&old_p, &opts).unwrap(), Target::Fortios).unwrap();
        let new_rs = lower(&new_p, &opts).unwrap();
        let new_text = emit(&new_rs, Target::Fortios).unwrap();
        let script = conduitc::backend::emit_transition_string(
            &new_rs,
            Target::Fortios,
            &conduitc::backend::EmitOptions::new(),
            &old_text,
        )
        .unwrap();
        let eph = wire::ephemeral_port(&new_p);
        let mut probes: Vec<Wire> = with_packets_to_device(&new_p, gen::resolve_packets(&new_p, &pkts))
            .into_iter()
            .chain(with_packets_to_device(&old_p, gen::resolve_packets(&old_p, &pkts)))
            .map(|p| Wire::initiation(&p, eph))
            .filter(Wire::same_family)
            .collect();
        probes.dedup();
        let ifaces: Vec<String> = new_p.firewalls[0].interfaces.iter().map(|i| i.name.clone()).collect();
        let old_cfg = fortios_eval::parse(&old_text).unwrap();
        let new_cfg = fortios_eval::parse(&new_text).unwrap();
        let before = local_accepts(&old_cfg, &ifaces, &probes);
        let want = local_accepts(&new_cfg, &ifaces, &probes);
        let mut dev = DeviceState::load(&old_text).unwrap();
        let snapshots = dev.apply(&script).map_err(|e| TestCaseError::fail(format!("{e}\n{script}")))?;
        for snap in &snapshots {
            for (i, now) in local_accepts(snap, &ifaces, &probes).into_iter().enumerate() {
                prop_assert!(!now || before[i] || want[i], "an intermediate state accepts what neither build does\n{}", script);
            }
        }
        let after = dev.config().unwrap();
        prop_assert_eq!(local_signature(&after), local_signature(&new_cfg), "{}", script);
        prop_assert_eq!(local_accepts(&after, &ifaces, &probes), want);
        let again = conduitc::backend::emit_transition_string(
            &new_rs,
            Target::Fortios,
            &conduitc::backend::EmitOptions::new(),
            &dev.render(),
        )
        .unwrap();
        prop_assert!(again.contains("# no change"), "{}", again);
    }
}
