//! The example plants, compiled for every Cisco IOS and FortiOS firewall
//! they declare (and for a generic firewall), in every isolation mode, and
//! read back by the strict device models: the same proofs as the property
//! tests, on realistic policies.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use conduitc::lower::{lower, BuildOptions, Packet};
use conduitc::model::{AddrSet, Platform};
use conduitc::{check, CheckOptions, Policy, Sources};

use conduitc_testkit::{fortios_eval, gen, ios_eval, wire};

fn load(rel: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let sources = Sources::load(&[path]).unwrap();
    let checked = check(&sources, &CheckOptions::new(gen::today()));
    checked.policy.expect("the example checks")
}

/// Edges of a set: first and last address of its first intervals, and
/// their outside neighbours.
fn edges(set: &AddrSet) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for (lo, hi) in set.v4_ranges().take(3) {
        let (lo, hi) = (u32::from(lo), u32::from(hi));
        for x in [lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)] {
            out.push(IpAddr::V4(Ipv4Addr::from(x)));
        }
    }
    for (lo, hi) in set.v6_ranges().take(3) {
        let (lo, hi) = (u128::from(lo), u128::from(hi));
        for x in [lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)] {
            out.push(IpAddr::V6(Ipv6Addr::from(x)));
        }
    }
    out
}

/// Packets aimed at every flow: its address edges crossed with its
/// services and their neighbours.
fn flow_packets(p: &Policy) -> Vec<Packet> {
    let mut out = Vec::new();
    for (_, f) in p.flows() {
        let mut kinds: Vec<(u8, Option<u16>, Option<u8>)> = Vec::new();
        for (proto, ports) in [(6u8, &f.services.tcp), (17, &f.services.udp)] {
            for &(lo, hi) in ports.ranges() {
                for x in [lo.saturating_sub(1), lo, hi, hi.saturating_add(1)] {
                    kinds.push((proto, Some(x.max(1)), None));
                }
            }
        }
        for &t in &f.services.icmp {
            kinds.push((1, None, Some(t)));
        }
        for &t in &f.services.icmpv6 {
            kinds.push((58, None, Some(t)));
        }
        for &n in &f.services.ip {
            kinds.push((n, None, None));
        }
        kinds.push((6, Some(23), None));
        for src in edges(&f.src) {
            for dst in edges(&f.dst) {
                for &(proto, dport, icmp_type) in &kinds {
                    out.push(Packet {
                        src,
                        dst,
                        proto,
                        dport,
                        icmp_type,
                    });
                }
            }
        }
    }
    out
}

fn prove(p: &Policy) {
    let eph = wire::ephemeral_port(p);
    let isolations: Vec<Option<String>> = std::iter::once(None)
        .chain(p.isolations.iter().map(|i| Some(i.name.to_string())))
        .collect();
    let mut packets: Vec<_> = (0..4u64)
        .flat_map(|seed| gen::packets(p, seed, 1500))
        .collect();
    packets.extend(flow_packets(p));
    let mut allowed = 0usize;
    for iso in &isolations {
        let mut builds = vec![(None, true, true)];
        for fw in &p.firewalls {
            let ios = fw.platform == Platform::CiscoIos;
            let fgt = fw.platform == Platform::Fortios;
            if ios || fgt {
                builds.push((Some(fw.name.to_string()), ios, fgt));
            }
        }
        for (fw, ios, fgt) in builds {
            let opts = BuildOptions::new(gen::today())
                .with_firewall(fw.clone())
                .with_isolation(iso.clone());
            let rs = lower(p, &opts).unwrap();
            let ios_cfg = ios.then(|| {
                let text =
                    conduitc::backend::emit(&rs, conduitc::backend::Target::CiscoIos).unwrap();
                ios_eval::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
            });
            let fgt_cfg = fgt.then(|| {
                let text =
                    conduitc::backend::emit(&rs, conduitc::backend::Target::Fortios).unwrap();
                fortios_eval::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
            });
            if let Some(cfg) = &ios_cfg {
                crate::backend_ios::check_structure(cfg, p, &opts).unwrap();
            }
            for pkt in &packets {
                for w in crate::backend_ios::shapes(pkt, eph) {
                    allowed += usize::from(wire::is_allowed(p, &opts, &w));
                    if let Some(cfg) = &ios_cfg {
                        crate::backend_ios::check_packet(cfg, p, &opts, &w)
                            .unwrap_or_else(|e| panic!("{fw:?} {iso:?}: {e}"));
                    }
                    if let (Some(cfg), false) = (&fgt_cfg, w.fragment) {
                        crate::backend_fortios::check_packet(cfg, p, &opts, &w)
                            .unwrap_or_else(|e| panic!("{fw:?} {iso:?}: {e}"));
                    }
                }
            }
        }
    }
    assert!(allowed > 100, "probes reach the flows ({allowed} allowed)");
}

#[test]
fn bottling_plant_outputs_pass_the_device_proofs() {
    prove(&load("examples/bottling-plant.conduit"));
}

#[test]
fn water_utility_outputs_pass_the_device_proofs() {
    prove(&load("examples/water-utility"));
}
