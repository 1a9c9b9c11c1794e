//! Traffic to the firewall itself (`manage` and `control`) on FortiOS:
//! random policies with interface addresses and local entries are built
//! for their firewall, read by the kit's evaluator (device-bound packets
//! decided by the local-in tables) and compared with the local rules'
//! decision, on packets to the device's own addresses and still on transit
//! packets.

use conduitc::backend::{emit, Target};
use conduitc::lower::{lower, BuildOptions};
use proptest::prelude::*;

use conduitc_testkit::fortios_eval;
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
