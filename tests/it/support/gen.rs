//! Random but valid policies and edge-biased packets for property tests.
//!
//! Policies are built from a seed with a small deterministic generator, so a
//! failing case is reproduced from the seed proptest prints. They are valid
//! by construction: zones get disjoint prefixes (IPv4 `10.Z.x.x`, IPv6
//! `2001:db8:Z::/48`), hosts and groups lie inside their zone, flows join the
//! two zones of their conduit, and at most one zone is `networks any`.
//! [`to_text`] prints a policy in the conduit language, so the parser and the
//! checker are exercised on the same policies.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use conduitc::lower::Packet;
use conduitc::model::*;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// xorshift64*: tiny, deterministic, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }
}

/// The date generated policies are judged against.
pub fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

fn v4_prefix(rng: &mut Rng, zone: u8) -> Ipv4Net {
    let len = rng.range(16, 30) as u8;
    let base = u32::from(Ipv4Addr::new(10, zone, 0, 0));
    let offset = (rng.next() as u32) & 0xFFFF;
    Ipv4Net::new(Ipv4Addr::from(base | offset), len)
        .unwrap()
        .trunc()
}

fn v6_prefix(rng: &mut Rng, zone: u8) -> Ipv6Net {
    let len = rng.range(48, 126) as u8;
    let base = u128::from(Ipv6Addr::new(0x2001, 0xdb8, zone as u16, 0, 0, 0, 0, 0));
    let offset = (rng.next() as u128) << 64 | rng.next() as u128;
    let offset = offset & ((1u128 << 80) - 1);
    Ipv6Net::new(Ipv6Addr::from(base | offset), len)
        .unwrap()
        .trunc()
}

fn addr_in(rng: &mut Rng, net: &IpNet) -> IpAddr {
    match net {
        IpNet::V4(n) => {
            let lo = u32::from(n.network());
            let hi = u32::from(n.broadcast());
            let pick = match rng.range(0, 3) {
                0 => lo,
                1 => hi,
                _ => lo + (rng.next() as u32) % (hi - lo + 1).max(1),
            };
            IpAddr::V4(Ipv4Addr::from(pick))
        }
        IpNet::V6(n) => {
            let lo = u128::from(n.network());
            let hi = u128::from(n.broadcast());
            let span = hi - lo;
            let pick = match rng.range(0, 3) {
                0 => lo,
                1 => hi,
                _ => {
                    lo + if span == u128::MAX {
                        rng.next() as u128
                    } else {
                        (rng.next() as u128) % (span + 1)
                    }
                }
            };
            IpAddr::V6(Ipv6Addr::from(pick))
        }
    }
}

fn random_services(rng: &mut Rng) -> (ServiceSet, Vec<String>) {
    let mut set = ServiceSet::new();
    let mut written = Vec::new();
    for _ in 0..rng.range(1, 3) {
        match rng.range(0, 9) {
            0..=3 => {
                let lo = *rng.pick(&[1u16, 22, 80, 443, 502, 2404, 20000, 44818, 65535]);
                let hi = if rng.chance(40) {
                    lo.saturating_add(rng.range(1, 20) as u16)
                } else {
                    lo
                };
                set.tcp = set.tcp.union(&PortSet::from_ranges([(lo, hi)]));
                written.push(if lo == hi {
                    format!("tcp/{lo}")
                } else {
                    format!("tcp/{lo}-{hi}")
                });
            }
            4..=5 => {
                let lo = *rng.pick(&[53u16, 123, 161, 514, 2222, 47808]);
                let hi = if rng.chance(30) {
                    lo + rng.range(1, 5) as u16
                } else {
                    lo
                };
                set.udp = set.udp.union(&PortSet::from_ranges([(lo, hi)]));
                written.push(if lo == hi {
                    format!("udp/{lo}")
                } else {
                    format!("udp/{lo}-{hi}")
                });
            }
            6 => {
                set.icmp.insert(8);
                written.push("icmp/echo-request".into());
            }
            7 => {
                set.icmpv6.insert(128);
                written.push("icmpv6/echo-request".into());
            }
            8 => {
                set.ip.insert(47);
                written.push("ip/47".into());
            }
            _ => {
                set.tcp = set.tcp.union(&PortSet::single(502));
                written.push("modbus".into());
            }
        }
    }
    (set, written)
}

/// A random valid policy.
pub fn policy(seed: u64) -> Policy {
    let mut rng = Rng::new(seed);
    let mut p = Policy {
        owners: vec![
            Owner {
                name: Name::new("plant-ops"),
                display_name: Some("Plant operations".into()),
                contact: "ot@example.com".into(),
            },
            Owner {
                name: Name::new("it-sec"),
                display_name: None,
                contact: "itsec@example.com".into(),
            },
        ],
        ..Policy::default()
    };
    let nzones = rng.range(2, 5) as usize;
    let any_zone = if rng.chance(30) {
        Some(rng.range(0, nzones as u64 - 1) as usize)
    } else {
        None
    };
    for zi in 0..nzones {
        let zone_no = (zi + 1) as u8;
        let mut nets: Vec<IpNet> = Vec::new();
        if Some(zi) != any_zone {
            nets.push(IpNet::V4(v4_prefix(&mut rng, zone_no)));
            if rng.chance(50) {
                nets.push(IpNet::V6(v6_prefix(&mut rng, zone_no)));
            }
            if rng.chance(20) {
                nets.push(IpNet::V4(v4_prefix(&mut rng, zone_no + 100)));
            }
            // keep prefixes of one zone disjoint
            let mut kept: Vec<IpNet> = Vec::new();
            for n in nets {
                if !kept.iter().any(|k| k.contains(&n) || n.contains(k)) {
                    kept.push(n);
                }
            }
            nets = kept;
        }
        let level = *rng.pick(&Level::ALL);
        let mut zone = Zone {
            name: Name::new(format!("zone{zi}")),
            level,
            owner: Name::new(if level <= Level::L3 {
                "plant-ops"
            } else {
                "it-sec"
            }),
            sl: None,
            description: None,
            networks: if Some(zi) == any_zone {
                Networks::Any
            } else {
                Networks::Prefixes(nets.clone())
            },
            addrs: AddrSet::new(),
            hosts: Vec::new(),
            groups: Vec::new(),
        };
        for n in &nets {
            zone.addrs.insert_net(*n);
        }
        if !nets.is_empty() {
            for hi in 0..rng.range(0, 3) {
                let mut addrs = vec![addr_in(
                    &mut rng,
                    rng_pick_net(&mut Rng::new(seed + hi), &nets),
                )];
                if rng.chance(30) {
                    let net = *rng.pick(&nets);
                    let other = addr_in(&mut rng, &net);
                    if !addrs.contains(&other) {
                        addrs.push(other);
                    }
                }
                zone.hosts.push(Host {
                    name: Name::new(format!("h{hi}")),
                    addrs,
                });
            }
            for gi in 0..rng.range(0, 2) {
                let mut members = Vec::new();
                let mut addrs = AddrSet::new();
                if !zone.hosts.is_empty() && rng.chance(70) {
                    let h = rng.pick(&zone.hosts).clone();
                    for a in &h.addrs {
                        addrs = addrs.union(&AddrSet::from_addr(*a));
                    }
                    members.push(GroupMember::Host(h.name));
                }
                let base = *rng.pick(&nets);
                let sub_len = match base {
                    IpNet::V4(n) => rng.range(n.prefix_len() as u64, 32) as u8,
                    IpNet::V6(n) => rng.range(n.prefix_len() as u64, 128) as u8,
                };
                let a = addr_in(&mut rng, &base);
                let sub = IpNet::new(a, sub_len).unwrap().trunc();
                addrs.insert_net(sub);
                members.push(GroupMember::Prefix(sub));
                zone.groups.push(Group {
                    name: Name::new(format!("g{gi}")),
                    members,
                    addrs,
                });
            }
        }
        p.zones.push(zone);
    }
    if let Some(a) = any_zone {
        let others = AddrSet::union_all(
            p.zones
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != a)
                .map(|(_, z)| &z.addrs),
        );
        p.zones[a].addrs = others.complement();
    }
    let nconduits = rng.range(1, 4) as usize;
    let mut used_pairs = BTreeSet::new();
    for ci in 0..nconduits {
        let a = rng.range(0, nzones as u64 - 1) as usize;
        let mut b = rng.range(0, nzones as u64 - 1) as usize;
        if a == b {
            b = (a + 1) % nzones;
        }
        if !used_pairs.insert((a.min(b), a.max(b))) {
            continue;
        }
        let mode = if rng.chance(20) {
            Mode::Monitor
        } else {
            Mode::Enforce
        };
        let cname = format!("c{ci}");
        let mut flows = Vec::new();
        for fi in 0..rng.range(1, 4) {
            let (fz, tz) = if rng.chance(50) { (a, b) } else { (b, a) };
            let from = endpoint(&mut rng, &p, fz);
            let to = endpoint(&mut rng, &p, tz);
            let (services, service_refs) = random_services(&mut rng);
            let expires = match rng.range(0, 9) {
                0 => Some(today()),
                1 => Some(today().add_days(-1)),
                2 => Some(today().add_days(40)),
                _ => None,
            };
            let fname = format!("f{fi}");
            flows.push(Flow {
                name: Name::new(&fname),
                full_name: format!("{cname}/{fname}"),
                src: from.addrs.clone(),
                dst: to.addrs.clone(),
                from: vec![from],
                to: vec![to],
                from_zone: fz,
                to_zone: tz,
                service_refs,
                services,
                owner: Name::new(if rng.chance(50) {
                    "plant-ops"
                } else {
                    "it-sec"
                }),
                reason: format!("generated flow {fi} \"quoted\" \\ back"),
                expires,
                essential: false,
                log: rng.chance(30),
            });
        }
        p.conduits.push(Conduit {
            name: Name::new(&cname),
            zones: [a, b],
            owner: Name::new("plant-ops"),
            sl: None,
            mode,
            flows,
        });
    }
    let sever: Vec<usize> = (0..nzones).filter(|_| rng.chance(30)).collect();
    p.isolations.push(Isolation {
        name: Name::new("island"),
        sever,
        reason: "test".into(),
    });
    let mut interfaces = Vec::new();
    for zi in 0..nzones {
        if rng.chance(80) {
            interfaces.push(Interface {
                name: format!("eth{zi}"),
                zone: zi,
            });
        }
    }
    if interfaces.is_empty() {
        interfaces.push(Interface {
            name: "eth0".into(),
            zone: 0,
        });
    }
    p.firewalls.push(Firewall {
        name: Name::new("fw"),
        platform: Platform::Nftables,
        interfaces,
    });
    p
}

fn rng_pick_net<'a>(rng: &mut Rng, nets: &'a [IpNet]) -> &'a IpNet {
    rng.pick(nets)
}

fn endpoint(rng: &mut Rng, p: &Policy, z: usize) -> Endpoint {
    let zone = &p.zones[z];
    match rng.range(0, 2) {
        0 if !zone.hosts.is_empty() => {
            let h = rng.pick(&zone.hosts);
            let addrs = AddrSet::union_all(
                h.addrs
                    .iter()
                    .map(|a| AddrSet::from_addr(*a))
                    .collect::<Vec<_>>()
                    .iter(),
            );
            Endpoint {
                zone: z,
                member: Member::Host(h.name.clone()),
                addrs,
            }
        }
        1 if !zone.groups.is_empty() => {
            let g = rng.pick(&zone.groups);
            Endpoint {
                zone: z,
                member: Member::Group(g.name.clone()),
                addrs: g.addrs.clone(),
            }
        }
        _ => Endpoint {
            zone: z,
            member: Member::Zone,
            addrs: zone.addrs.clone(),
        },
    }
}

/// Addresses worth probing: interval edges and their neighbours, per zone and flow.
pub fn interesting_addrs(p: &Policy) -> Vec<IpAddr> {
    let mut sets: Vec<&AddrSet> = p.zones.iter().map(|z| &z.addrs).collect();
    for (_, f) in p.flows() {
        sets.push(&f.src);
        sets.push(&f.dst);
    }
    let mut out = BTreeSet::new();
    for s in sets {
        for (lo, hi) in s.v4_ranges().take(8) {
            let (lo, hi) = (u32::from(lo), u32::from(hi));
            for x in [
                lo.wrapping_sub(1),
                lo,
                lo.wrapping_add(1),
                hi.wrapping_sub(1),
                hi,
                hi.wrapping_add(1),
            ] {
                out.insert(IpAddr::V4(Ipv4Addr::from(x)));
            }
        }
        for (lo, hi) in s.v6_ranges().take(8) {
            let (lo, hi) = (u128::from(lo), u128::from(hi));
            for x in [lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)] {
                out.insert(IpAddr::V6(Ipv6Addr::from(x)));
            }
        }
    }
    out.into_iter().collect()
}

/// Edge-biased packets for a policy, drawn from `seed`.
pub fn packets(p: &Policy, seed: u64, n: usize) -> Vec<Packet> {
    let mut rng = Rng::new(seed);
    let addrs = interesting_addrs(p);
    let v4: Vec<IpAddr> = addrs.iter().copied().filter(|a| a.is_ipv4()).collect();
    let v6: Vec<IpAddr> = addrs.iter().copied().filter(|a| a.is_ipv6()).collect();
    let mut ports: BTreeSet<u16> = [1u16, 22, 502, 65535].into_iter().collect();
    for (_, f) in p.flows() {
        for &(lo, hi) in f
            .services
            .tcp
            .ranges()
            .iter()
            .chain(f.services.udp.ranges())
        {
            for x in [lo.saturating_sub(1), lo, hi, hi.saturating_add(1)] {
                if x > 0 {
                    ports.insert(x);
                }
            }
        }
    }
    let ports: Vec<u16> = ports.into_iter().collect();
    let mut out = Vec::new();
    for _ in 0..n {
        let pool = if v6.len() >= 2 && rng.chance(35) {
            &v6
        } else {
            &v4
        };
        if pool.is_empty() {
            break;
        }
        let src = *rng.pick(pool);
        let mismatch = rng.chance(5);
        let dst = if mismatch && !v6.is_empty() && !v4.is_empty() {
            if src.is_ipv4() {
                *rng.pick(&v6)
            } else {
                *rng.pick(&v4)
            }
        } else {
            *rng.pick(pool)
        };
        let proto = *rng.pick(&[6u8, 6, 6, 17, 17, 1, 58, 47, 50]);
        let (dport, icmp_type) = match proto {
            6 | 17 => (Some(*rng.pick(&ports)), None),
            1 => (None, Some(*rng.pick(&[8u8, 0, 13]))),
            58 => (None, Some(*rng.pick(&[128u8, 129, 135]))),
            _ => (None, None),
        };
        out.push(Packet {
            src,
            dst,
            proto,
            dport,
            icmp_type,
        });
    }
    out
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn endpoint_text(p: &Policy, e: &Endpoint) -> String {
    let z = &p.zones[e.zone].name;
    match &e.member {
        Member::Zone => z.to_string(),
        Member::Host(h) | Member::Group(h) => format!("{z}.{h}"),
    }
}

/// Prints a policy in the conduit language.
pub fn to_text(p: &Policy) -> String {
    let mut s = String::new();
    for o in &p.owners {
        s.push_str(&format!("owner {} {{\n", o.name));
        if let Some(n) = &o.display_name {
            s.push_str(&format!("  name {}\n", quote(n)));
        }
        s.push_str(&format!("  contact {}\n}}\n\n", quote(&o.contact)));
    }
    for sv in &p.services {
        s.push_str(&format!(
            "service {} = {}\n",
            sv.name,
            sv.written.join(", ")
        ));
    }
    for z in &p.zones {
        s.push_str(&format!(
            "zone {} {{\n  level {}\n  owner {}\n",
            z.name, z.level, z.owner
        ));
        if let Some(sl) = z.sl {
            s.push_str(&format!("  sl {sl}\n"));
        }
        if let Some(d) = &z.description {
            s.push_str(&format!("  description {}\n", quote(d)));
        }
        match &z.networks {
            Networks::Any => s.push_str("  networks any\n"),
            Networks::Prefixes(n) => {
                let list: Vec<String> = n.iter().map(|n| n.to_string()).collect();
                s.push_str(&format!("  networks {}\n", list.join(", ")));
            }
        }
        for h in &z.hosts {
            let list: Vec<String> = h.addrs.iter().map(|a| a.to_string()).collect();
            s.push_str(&format!("  host {} = {}\n", h.name, list.join(", ")));
        }
        for g in &z.groups {
            let list: Vec<String> = g
                .members
                .iter()
                .map(|m| match m {
                    GroupMember::Host(h) => h.to_string(),
                    GroupMember::Prefix(n) => n.to_string(),
                })
                .collect();
            s.push_str(&format!("  group {} = {}\n", g.name, list.join(", ")));
        }
        s.push_str("}\n\n");
    }
    for c in &p.conduits {
        let [a, b] = c.zones;
        s.push_str(&format!(
            "conduit {} {{\n  zones {}, {}\n  owner {}\n",
            c.name, p.zones[a].name, p.zones[b].name, c.owner
        ));
        if let Some(sl) = c.sl {
            s.push_str(&format!("  sl {sl}\n"));
        }
        if c.mode == Mode::Monitor {
            s.push_str("  mode monitor\n");
        }
        for f in &c.flows {
            let from: Vec<String> = f.from.iter().map(|e| endpoint_text(p, e)).collect();
            let to: Vec<String> = f.to.iter().map(|e| endpoint_text(p, e)).collect();
            s.push_str(&format!(
                "  flow {} {{\n    from {}\n    to {}\n    service {}\n    owner {}\n    reason {}\n",
                f.name,
                from.join(", "),
                to.join(", "),
                f.service_refs.join(", "),
                f.owner,
                quote(&f.reason)
            ));
            if let Some(e) = f.expires {
                s.push_str(&format!("    expires {e}\n"));
            }
            if f.essential {
                s.push_str("    essential\n");
            }
            if f.log {
                s.push_str("    log\n");
            }
            s.push_str("  }\n");
        }
        s.push_str("}\n\n");
    }
    for fw in &p.firewalls {
        s.push_str(&format!(
            "firewall {} {{\n  platform {}\n",
            fw.name,
            fw.platform.as_str()
        ));
        for i in &fw.interfaces {
            s.push_str(&format!(
                "  interface {} = {}\n",
                quote(&i.name),
                p.zones[i.zone].name
            ));
        }
        s.push_str("}\n\n");
    }
    for a in &p.approvals {
        let scope = match &a.scope {
            Scope::Level(op, l) => format!("level {} {}", op.as_str(), l),
            Scope::Zones(z) => format!(
                "zone {}",
                z.iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Scope::Conduits(c) => format!(
                "conduit {}",
                c.iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Scope::All => "all".to_string(),
        };
        let req: Vec<String> = a.requires.iter().map(|n| n.to_string()).collect();
        s.push_str(&format!(
            "approval {} {{\n  scope {}\n  requires {}\n}}\n\n",
            a.name,
            scope,
            req.join(", ")
        ));
    }
    for i in &p.isolations {
        if i.sever.is_empty() {
            continue;
        }
        let z: Vec<String> = i
            .sever
            .iter()
            .map(|&z| p.zones[z].name.to_string())
            .collect();
        s.push_str(&format!(
            "isolation {} {{\n  sever {}\n  reason {}\n}}\n\n",
            i.name,
            z.join(", "),
            quote(&i.reason)
        ));
    }
    s
}
