//! Golden files: what an operator pastes for the hand-built plant
//! (`conduitc_testkit::plant`), for Cisco IOS and FortiOS, and the same proofs as the
//! property tests run on it with many packets.

use conduitc::lower::{lower, BuildOptions};

use conduitc_testkit::{fortios_eval, gen, ios_eval, plant, wire};

fn opts(firewall: Option<&str>, isolation: Option<&str>) -> BuildOptions {
    BuildOptions::new(gen::today())
        .with_firewall(firewall.map(str::to_string))
        .with_isolation(isolation.map(str::to_string))
}

#[test]
fn cisco_ios_plant() {
    let rs = lower(&plant::policy(), &opts(Some("plant-ios"), None)).unwrap();
    insta::assert_snapshot!(
        conduitc::backend::emit(&rs, conduitc::backend::Target::CiscoIos).unwrap()
    );
}

#[test]
fn cisco_ios_plant_island() {
    let rs = lower(&plant::policy(), &opts(Some("plant-ios"), Some("island"))).unwrap();
    insta::assert_snapshot!(
        conduitc::backend::emit(&rs, conduitc::backend::Target::CiscoIos).unwrap()
    );
}

#[test]
fn fortios_plant() {
    let rs = lower(&plant::policy(), &opts(Some("plant-fgt"), None)).unwrap();
    insta::assert_snapshot!(
        conduitc::backend::emit(&rs, conduitc::backend::Target::Fortios).unwrap()
    );
}

#[test]
fn fortios_plant_without_firewall() {
    let rs = lower(&plant::policy(), &opts(None, None)).unwrap();
    insta::assert_snapshot!(
        conduitc::backend::emit(&rs, conduitc::backend::Target::Fortios).unwrap()
    );
}

#[test]
fn plant_outputs_pass_the_device_proofs() {
    let p = plant::policy();
    let eph = wire::ephemeral_port(&p);
    let mut allowed = 0;
    for seed in 0..8u64 {
        for pkt in gen::packets(&p, seed, 400) {
            let init = wire::Wire::initiation(&pkt, eph);
            allowed += usize::from(wire::is_allowed(&p, &opts(None, None), &init));
        }
    }
    assert!(
        allowed > 50,
        "the probe packets exercise the flows ({allowed} allowed)"
    );
    for (fw, iso) in [
        (Some("plant-ios"), None),
        (Some("plant-ios"), Some("island")),
        (None, None),
    ] {
        let o = opts(fw, iso);
        let rs = lower(&p, &o).unwrap();
        let ios = ios_eval::parse(
            &conduitc::backend::emit(&rs, conduitc::backend::Target::CiscoIos).unwrap(),
        )
        .unwrap();
        let o_fgt = opts(fw.map(|_| "plant-fgt"), iso);
        let rs_fgt = lower(&p, &o_fgt).unwrap();
        let fgt = fortios_eval::parse(
            &conduitc::backend::emit(&rs_fgt, conduitc::backend::Target::Fortios).unwrap(),
        )
        .unwrap();
        for seed in 0..8u64 {
            for pkt in gen::packets(&p, seed, 400) {
                for w in crate::backend_ios::shapes(&pkt, eph) {
                    crate::backend_ios::check_packet(&ios, &p, &o, &w).unwrap();
                    if !w.fragment {
                        crate::backend_fortios::check_packet(&fgt, &p, &o_fgt, &w).unwrap();
                    }
                }
            }
        }
    }
}
