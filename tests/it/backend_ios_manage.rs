//! Traffic to the firewall itself (`manage` and `control`) on Cisco IOS:
//! random policies are given interface addresses and local entries, built
//! for their firewall, read by the kit's evaluator (router-bound packets
//! decided by the ingress interface's inbound list) and compared with the
//! local rules' decision, on packets to the router's own addresses and
//! still on transit packets.

use std::net::IpAddr;

use conduitc::backend::Target;
use conduitc::lower::{lower, BuildOptions, Match};
use conduitc::model::{
    AddrSet, Endpoint, LocalAccess, LocalKind, Member, Name, PortSet, ServiceSet,
};
use conduitc::{Packet, Policy};
use proptest::prelude::*;

use conduitc_testkit::ios_eval;
use conduitc_testkit::{eval, gen};

/// The services local entries draw from: SSH, SNMP, BGP, OSPF, NTP,
/// ping (both families) and SSH with telnet.
fn service(i: u64) -> ServiceSet {
    let mut s = ServiceSet::new();
    match i {
        0 => s.tcp = PortSet::single(22),
        1 => s.udp = PortSet::single(161),
        2 => s.tcp = PortSet::single(179),
        3 => {
            s.ip.insert(89);
        }
        4 => s.udp = PortSet::single(123),
        5 => {
            s.icmp.insert(8);
            s.icmpv6.insert(128);
        }
        _ => s.tcp = PortSet::from_ranges([(22, 23)]),
    }
    s
}

/// A zone's index, addresses and hosts (name, addresses).
type ZoneParts = (usize, AddrSet, Vec<(Name, Vec<IpAddr>)>);

/// Gives the first firewall of `p` (a generated policy) an IPv4 and an
/// IPv6 address on each interface, inside the zone it faces, and one to
/// three `manage`/`control` entries from zones or hosts it faces, some
/// logged, some expired, drawn from `seed`.
pub fn with_local(p: &mut Policy, seed: u64) {
    let mut rng = gen::Rng::new(seed);
    let zones: Vec<ZoneParts> = p
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| {
            (
                i,
                z.addrs.clone(),
                z.hosts
                    .iter()
                    .map(|h| (h.name.clone(), h.addrs.clone()))
                    .collect(),
            )
        })
        .collect();
    let Some(fw) = p.firewalls.first_mut() else {
        return;
    };
    // Addresses the generator gave are kept.
    let mut taken: Vec<IpAddr> = fw.interfaces.iter().flat_map(|i| i.addrs.clone()).collect();
    for i in &mut fw.interfaces {
        if !i.addrs.is_empty() {
            continue;
        }
        let set = &zones[i.zone].1;
        for v6 in [false, true] {
            if let Some(a) = gen::first_host(set, v6).filter(|a| !taken.contains(a)) {
                taken.push(a);
                i.addrs.push(a);
            }
        }
    }
    let faced: Vec<usize> = fw.interfaces.iter().map(|i| i.zone).collect();
    let n = rng.range(1, 3);
    for e in 0..n {
        let mut from = Vec::new();
        for _ in 0..rng.range(1, 2) {
            let z = *rng.pick(&faced);
            let (_, addrs, hosts) = &zones[z];
            let ep = if !hosts.is_empty() && rng.chance(60) {
                let (name, ha) = rng.pick(hosts);
                Endpoint {
                    zone: z,
                    member: Member::Host(name.clone()),
                    addrs: AddrSet::from_addrs(ha.iter().copied()),
                }
            } else {
                Endpoint {
                    zone: z,
                    member: Member::Zone,
                    addrs: addrs.clone(),
                }
            };
            from.push(ep);
        }
        let mut services = service(rng.range(0, 6));
        if rng.chance(30) {
            let more = service(rng.range(0, 6));
            services.tcp = services.tcp.union(&more.tcp);
            services.udp = services.udp.union(&more.udp);
            services.icmp.extend(more.icmp);
            services.icmpv6.extend(more.icmpv6);
            services.ip.extend(more.ip);
        }
        let kind = if rng.chance(50) {
            LocalKind::Manage
        } else {
            LocalKind::Control
        };
        let name = format!("{}{e}", kind.as_str());
        fw.local.push(LocalAccess {
            full_name: format!("{}/{name}", fw.name),
            name: Name::new(&name),
            kind,
            src: AddrSet::union_all(from.iter().map(|e| &e.addrs)),
            from,
            service_refs: Vec::new(),
            services,
            owner: Name::new("plant-ops"),
            reason: "generated".into(),
            expires: rng.chance(15).then(|| gen::today().add_days(-1)),
            log: rng.chance(30),
        });
    }
}

/// The generated packets, and each of them again addressed to every own
/// address of its family, with its own port and with the ports the
/// entries declare.
pub fn with_packets_to_device(p: &Policy, base: Vec<Packet>) -> Vec<Packet> {
    let own: Vec<IpAddr> = p
        .firewalls
        .first()
        .map(|fw| fw.interfaces.iter().flat_map(|i| i.addrs.clone()).collect())
        .unwrap_or_default();
    let mut out = base.clone();
    for pkt in &base {
        for &a in own.iter().filter(|a| a.is_ipv4() == pkt.src.is_ipv4()) {
            for port in [
                pkt.dport,
                Some(22),
                Some(23),
                Some(161),
                Some(179),
                Some(123),
            ] {
                out.push(Packet {
                    dst: a,
                    dport: pkt.dport.and(port),
                    ..*pkt
                });
            }
        }
    }
    out
}

fn firewall_options() -> Vec<BuildOptions> {
    vec![
        BuildOptions::new(gen::today()).firewall("fw"),
        BuildOptions::new(gen::today())
            .firewall("fw")
            .isolation("island"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn ios_router_bound_entries_admit_exactly_the_local_entries(
        spec in gen::policy_spec(),
        pkts in gen::packet_specs(60),
        seed in any::<u64>(),
    ) {
        let mut p = spec.to_policy();
        with_local(&mut p, seed);
        let packets = with_packets_to_device(&p, gen::resolve_packets(&p, &pkts));
        for opts in firewall_options() {
            let rs = lower(&p, &opts).unwrap();
            for flat in [false, true] {
                let text = gen::ios_build(&rs, flat)?;
                let n = eval::agrees(Target::CiscoIos, &p, &opts, &text, &packets)
                    .map_err(TestCaseError::fail)?;
                prop_assert!(n > 0);
                if rs.filters_local() {
                    let cfg = ios_eval::parse(&text).unwrap();
                    prop_assert!(text.contains("conduitc: nothing else to the router itself"));
                    let _ = cfg;
                }
                // The vty lines get a class exactly when an entry admits
                // SSH or Telnet; the agreement above holds with it.
                let sessions = rs.local.iter().any(|r| {
                    matches!(&r.matcher, Match::Tcp(p) if p.contains(22) || p.contains(23))
                });
                prop_assert_eq!(text.contains("\nline vty 0 15\n access-class conduit-vty-"), sessions);
                prop_assert_eq!(text.contains("ip access-list standard conduit-vty-"), sessions);
            }
        }
    }
}
