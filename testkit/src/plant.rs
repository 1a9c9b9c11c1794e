//! A small hand-built plant policy for golden files and injection tests:
//! four zones (enterprise, supervisory, control, dmz), an enforced conduit
//! with Modbus polling and ping, a historian push, a dual-stack update flow,
//! a monitor-mode conduit, and two firewalls (one Cisco IOS, one FortiOS)
//! facing all four zones.

use std::net::IpAddr;

use conduitc::model::*;
use ipnet::IpNet;

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn set_of(items: &[&str]) -> AddrSet {
    let mut s = AddrSet::new();
    for i in items {
        if i.contains('/') {
            s.insert_net(net(i));
        } else {
            s = s.union(&AddrSet::from_addr(addr(i)));
        }
    }
    s
}

fn zone(name: &str, level: Level, nets: &[&str]) -> Zone {
    let nets: Vec<IpNet> = nets.iter().map(|n| net(n)).collect();
    let mut addrs = AddrSet::new();
    for n in &nets {
        addrs.insert_net(*n);
    }
    Zone {
        name: Name::new(name),
        level,
        owner: Name::new("plant-ops"),
        sl: None,
        description: None,
        supplier: false,
        networks: Networks::Prefixes(nets),
        addrs,
        hosts: Vec::new(),
        groups: Vec::new(),
    }
}

fn endpoint(zone: usize, member: Member, addrs: &[&str]) -> Endpoint {
    Endpoint {
        zone,
        member,
        addrs: set_of(addrs),
    }
}

#[allow(clippy::too_many_arguments)]
fn flow(
    conduit: &str,
    name: &str,
    from: Endpoint,
    to: Endpoint,
    services: ServiceSet,
    refs: &[&str],
    log: bool,
) -> Flow {
    Flow {
        name: Name::new(name),
        full_name: format!("{conduit}/{name}").into(),
        src: from.addrs.clone(),
        dst: to.addrs.clone(),
        from_zone: from.zone,
        to_zone: to.zone,
        from: vec![from],
        to: vec![to],
        service_refs: refs.iter().map(|&s| Text::from(s)).collect(),
        services,
        owner: Name::new("plant-ops"),
        reason: "plant operations".into(),
        expires: None,
        essential: false,
        log,
    }
}

/// The plant.
pub fn policy() -> Policy {
    const ENT: usize = 0;
    const SUP: usize = 1;
    const CTL: usize = 2;
    const DMZ: usize = 3;
    let mut zones = vec![
        zone(
            "enterprise",
            Level::L4,
            &["10.10.0.0/16", "2001:db8:10::/48"],
        ),
        zone(
            "supervisory",
            Level::L2,
            &["10.30.0.0/24", "2001:db8:30::/64"],
        ),
        zone("control", Level::L1, &["10.40.0.0/24"]),
        zone("dmz", Level::L3_5, &["10.35.0.0/24"]),
    ];
    zones[SUP].hosts.push(Host {
        name: Name::new("scada"),
        addrs: vec![addr("10.30.0.10"), addr("2001:db8:30::10")],
    });
    zones[SUP].groups.push(Group {
        name: Name::new("operators"),
        members: vec![GroupMember::Prefix(net("10.30.0.128/25"))],
        addrs: set_of(&["10.30.0.128/25"]),
    });
    zones[CTL].groups.push(Group {
        name: Name::new("plcs"),
        members: vec![GroupMember::Prefix(net("10.40.0.16/28"))],
        addrs: set_of(&["10.40.0.16/28"]),
    });
    zones[DMZ].hosts.push(Host {
        name: Name::new("historian"),
        addrs: vec![addr("10.35.0.5")],
    });

    let scada = || {
        endpoint(
            SUP,
            Member::Host(Name::new("scada")),
            &["10.30.0.10", "2001:db8:30::10"],
        )
    };
    let plcs = || endpoint(CTL, Member::Group(Name::new("plcs")), &["10.40.0.16/28"]);
    let historian = || endpoint(DMZ, Member::Host(Name::new("historian")), &["10.35.0.5"]);

    let mut modbus = ServiceSet::new();
    modbus.tcp = PortSet::from_ranges([(502, 502), (20000, 20010)]);
    let mut ping = ServiceSet::new();
    ping.icmp.insert(8);
    let mut push = ServiceSet::new();
    push.udp = PortSet::single(2222);
    push.tcp = PortSet::single(5450);
    let mut updates = ServiceSet::new();
    updates.tcp = PortSet::single(443);
    updates.icmpv6.insert(128);
    let mut gre = ServiceSet::new();
    gre.ip.insert(47);

    let conduits = vec![
        Conduit {
            name: Name::new("supervisory-control"),
            zones: [SUP, CTL],
            owner: Name::new("plant-ops"),
            sl: None,
            mode: Mode::Enforce,
            flows: vec![
                flow(
                    "supervisory-control",
                    "poll-plcs",
                    scada(),
                    plcs(),
                    modbus,
                    &["modbus", "tcp/20000-20010"],
                    true,
                ),
                flow(
                    "supervisory-control",
                    "ping-plcs",
                    endpoint(
                        SUP,
                        Member::Group(Name::new("operators")),
                        &["10.30.0.128/25"],
                    ),
                    plcs(),
                    ping,
                    &["ping"],
                    false,
                ),
            ],
        },
        Conduit {
            name: Name::new("historian"),
            zones: [CTL, DMZ],
            owner: Name::new("plant-ops"),
            sl: None,
            mode: Mode::Enforce,
            flows: vec![flow(
                "historian",
                "push",
                plcs(),
                historian(),
                push,
                &["udp/2222", "pi"],
                false,
            )],
        },
        Conduit {
            name: Name::new("sup-corp"),
            zones: [SUP, ENT],
            owner: Name::new("plant-ops"),
            sl: None,
            mode: Mode::Enforce,
            flows: vec![flow(
                "sup-corp",
                "updates",
                scada(),
                endpoint(ENT, Member::Zone, &["10.10.0.0/16", "2001:db8:10::/48"]),
                updates,
                &["https", "ping6"],
                true,
            )],
        },
        Conduit {
            name: Name::new("corp-dmz"),
            zones: [ENT, DMZ],
            owner: Name::new("plant-ops"),
            sl: None,
            mode: Mode::Monitor,
            flows: vec![flow(
                "corp-dmz",
                "tunnel",
                endpoint(ENT, Member::Zone, &["10.10.0.0/16", "2001:db8:10::/48"]),
                historian(),
                gre,
                &["ip/47"],
                false,
            )],
        },
    ];
    let ifaces = |names: [&str; 4]| {
        names
            .iter()
            .enumerate()
            .map(|(z, n)| Interface {
                name: n.to_string(),
                zone: z,
                addrs: Vec::new(),
            })
            .collect::<Vec<_>>()
    };
    Policy {
        owners: vec![Owner {
            name: Name::new("plant-ops"),
            display_name: Some("Plant operations".into()),
            contact: "ot@example.com".into(),
        }],
        zones,
        conduits,
        firewalls: vec![
            Firewall {
                name: Name::new("plant-ios"),
                platform: Platform::CiscoIos,
                interfaces: ifaces([
                    "GigabitEthernet0/0",
                    "GigabitEthernet0/1",
                    "GigabitEthernet0/2",
                    "GigabitEthernet0/3",
                ]),
                acl_budget: None,
                local: Vec::new(),
            },
            Firewall {
                name: Name::new("plant-fgt"),
                platform: Platform::Fortios,
                interfaces: ifaces(["port1", "port2", "port3", "port4"]),
                acl_budget: None,
                local: Vec::new(),
            },
        ],
        isolations: vec![Isolation {
            name: Name::new("island"),
            sever: vec![ENT],
            reason: "corporate network compromised".into(),
        }],
        ..Policy::default()
    }
}
