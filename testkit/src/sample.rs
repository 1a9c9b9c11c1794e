//! A small hand-built plant policy, used where a readable fixed policy
//! beats a generated one: golden output and the real-kernel test.
//!
//! Three zones with IPv4 and IPv6 networks, hosts, an enforce conduit with a
//! logged TCP flow and ICMP/ICMPv6 ping, a conduit with TCP and UDP, a
//! monitor-mode conduit, an isolation mode and an nftables firewall whose
//! interfaces are named as the kernel test's router names its veths.

use std::net::IpAddr;

use conduitc::model::*;
use ipnet::IpNet;

/// Zone names, their router-side interface, and their IPv4/IPv6 subnets
/// (`10.71.N.0/24`, `fd00:71:N::/64`).
pub const ZONES: [(&str, Level, &str, u8); 3] = [
    ("Supervisory", Level::L2, "r-sup", 1),
    ("control", Level::L1, "r-ctl", 2),
    ("ot-dmz", Level::L3_5, "r-dmz", 3),
];

/// Hosts: (zone index, name, IPv4 last octet, also IPv6).
pub const HOSTS: [(usize, &str, u8, bool); 5] = [
    (0, "scada", 10, true),
    (0, "eng-ws", 20, false),
    (1, "plc1", 10, true),
    (1, "plc2", 20, false),
    (2, "hist", 10, true),
];

/// The IPv4 address of a host (`10.71.ZONE.OCTET`).
pub fn v4(zone: u8, octet: u8) -> IpAddr {
    format!("10.71.{zone}.{octet}").parse().unwrap()
}

/// The IPv6 address of a host (`fd00:71:ZONE::OCTET` in hex digits as written).
pub fn v6(zone: u8, octet: u8) -> IpAddr {
    format!("fd00:71:{zone}::{octet}").parse().unwrap()
}

fn endpoint(p: &Policy, zone: usize, host: Option<&str>) -> Endpoint {
    let z = &p.zones[zone];
    match host {
        None => Endpoint {
            zone,
            member: Member::Zone,
            addrs: z.addrs.clone(),
        },
        Some(h) => {
            let host = z.host(h).unwrap();
            let mut addrs = AddrSet::new();
            for a in &host.addrs {
                addrs = addrs.union(&AddrSet::from_addr(*a));
            }
            Endpoint {
                zone,
                member: Member::Host(host.name.clone()),
                addrs,
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn flow(
    p: &Policy,
    conduit: &str,
    name: &str,
    from: (usize, Option<&str>),
    to: (usize, Option<&str>),
    services: ServiceSet,
    written: &[&str],
    log: bool,
) -> Flow {
    let from = endpoint(p, from.0, from.1);
    let to = endpoint(p, to.0, to.1);
    Flow {
        name: Name::new(name),
        full_name: format!("{conduit}/{name}").into(),
        from_zone: from.zone,
        to_zone: to.zone,
        src: from.addrs.clone(),
        dst: to.addrs.clone(),
        from: vec![from],
        to: vec![to],
        service_refs: written.iter().map(|&s| Text::from(s)).collect(),
        services,
        owner: Name::new("plant-ops"),
        reason: "sample \"flow\" with a $ and a \\".into(),
        expires: None,
        essential: false,
        log,
    }
}

fn tcp(ranges: &[(u16, u16)]) -> ServiceSet {
    ServiceSet {
        tcp: PortSet::from_ranges(ranges.iter().copied()),
        ..ServiceSet::new()
    }
}

/// The sample policy.
pub fn policy() -> Policy {
    let mut p = Policy {
        owners: vec![Owner {
            name: Name::new("plant-ops"),
            display_name: Some("Plant operations".into()),
            contact: "ot@example.com".into(),
        }],
        ..Policy::default()
    };
    for (zi, &(name, level, _, n)) in ZONES.iter().enumerate() {
        let nets: Vec<IpNet> = vec![
            format!("10.71.{n}.0/24").parse().unwrap(),
            format!("fd00:71:{n}::/64").parse().unwrap(),
        ];
        let mut addrs = AddrSet::new();
        for net in &nets {
            addrs.insert_net(*net);
        }
        let hosts = HOSTS
            .iter()
            .filter(|h| h.0 == zi)
            .map(|&(_, h, octet, six)| {
                let mut a = vec![v4(n, octet)];
                if six {
                    a.push(v6(n, octet));
                }
                Host {
                    name: Name::new(h),
                    addrs: a,
                }
            })
            .collect();
        p.zones.push(Zone {
            name: Name::new(name),
            level,
            owner: Name::new("plant-ops"),
            sl: Some(2),
            description: Some("zone \"quoted\" description".into()),
            supplier: false,
            networks: Networks::Prefixes(nets),
            addrs,
            hosts,
            groups: Vec::new(),
        });
    }
    let mut ping = ServiceSet::new();
    ping.icmp.insert(8);
    ping.icmpv6.insert(128);
    let syslog = ServiceSet {
        udp: PortSet::single(514),
        ..ServiceSet::new()
    };
    let sc = vec![
        flow(
            &p,
            "supervisory-control",
            "poll-plcs",
            (0, Some("scada")),
            (1, Some("plc1")),
            tcp(&[(502, 502), (20000, 20010)]),
            &["modbus", "tcp/20000-20010"],
            true,
        ),
        flow(
            &p,
            "supervisory-control",
            "ping-plcs",
            (0, Some("scada")),
            (1, None),
            ping,
            &["ping", "ping6"],
            false,
        ),
    ];
    let hist = vec![
        flow(
            &p,
            "historian",
            "push",
            (1, Some("plc1")),
            (2, Some("hist")),
            tcp(&[(5450, 5450)]),
            &["pi"],
            false,
        ),
        flow(
            &p,
            "historian",
            "syslog",
            (1, None),
            (2, Some("hist")),
            syslog,
            &["syslog"],
            false,
        ),
    ];
    let dmz = vec![flow(
        &p,
        "dmz-view",
        "hist-web",
        (0, Some("eng-ws")),
        (2, Some("hist")),
        tcp(&[(443, 443)]),
        &["https"],
        false,
    )];
    for (name, zones, mode, flows) in [
        ("supervisory-control", [0, 1], Mode::Enforce, sc),
        ("historian", [1, 2], Mode::Enforce, hist),
        ("dmz-view", [2, 0], Mode::Monitor, dmz),
    ] {
        p.conduits.push(Conduit {
            name: Name::new(name),
            zones,
            owner: Name::new("plant-ops"),
            sl: Some(2),
            mode,
            flows,
        });
    }
    p.firewalls.push(Firewall {
        name: Name::new("plant-fw"),
        platform: Platform::Nftables,
        interfaces: ZONES
            .iter()
            .enumerate()
            .map(|(zi, z)| Interface {
                name: z.2.to_string(),
                zone: zi,
                addrs: Vec::new(),
            })
            .collect(),
        acl_budget: None,
        local: Vec::new(),
    });
    p.isolations.push(Isolation {
        name: Name::new("cut-dmz"),
        sever: vec![2],
        reason: "DMZ compromised".into(),
    });
    p
}

/// The date the sample is built for.
pub fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}
