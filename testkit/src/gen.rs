//! Random but valid policies and edge-biased packets for property tests,
//! as proptest strategies whose values shrink.
//!
//! [`policy_spec`] yields a [`PolicySpec`]: zones, hosts, groups, conduits,
//! flows and services as plain values, references between them held as
//! [`Index`]es that [`PolicySpec::to_policy`] resolves modulo what exists.
//! Every spec is valid by construction, shrunk or not: zones get disjoint
//! prefixes (IPv4 `10.Z.x.x`, IPv6 `2001:db8:Z::/48`), hosts and groups lie
//! inside their zone, flows join the two zones of their conduit, and at most
//! one zone is `networks any`. The firewall `fw` has interface addresses and
//! `manage`/`control` entries in some draws, none in others, so every
//! property sees traffic to the device both governed by entries and not
//! governed. A failing case shrinks to fewer zones, hosts,
//! conduits, flows and services. [`PolicySpec::render`] prints the policy in
//! the conduit language, so the parser and the checker see the same
//! policies. [`packet_specs`] yields packets the same way, resolved against
//! a policy's interval edges by [`resolve_packets`].
//!
//! [`policy`] and [`packets`] draw one value from those strategies for a
//! seed, for tests that want a fixed policy rather than a property.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use conduitc::lower::Packet;
use conduitc::model::*;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// xorshift64*: tiny, deterministic, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }
    #[allow(
        clippy::should_implement_trait,
        reason = "an endless generator, not an iterator"
    )]
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

/// Where an address lies in a prefix: an edge, or an offset into it.
#[derive(Clone, Debug)]
pub enum Pos {
    /// The first address.
    Low,
    /// The last address.
    High,
    /// An offset from the first (taken modulo the prefix's size).
    Within(u128),
}

/// An address in one of its zone's prefixes.
#[derive(Clone, Debug)]
pub struct AddrPick {
    /// Which of the zone's prefixes.
    pub net: Index,
    /// Where in it.
    pub at: Pos,
}

/// A host: one or two addresses in its zone.
#[derive(Clone, Debug)]
pub struct HostSpec {
    /// Its addresses (duplicates collapse).
    pub addrs: Vec<AddrPick>,
}

/// A group: perhaps a host of the zone, and a prefix inside one of the
/// zone's prefixes.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    /// A host of the zone, if it has any.
    pub host: Option<Index>,
    /// An address the group's prefix holds.
    pub at: AddrPick,
    /// The prefix length, chosen in the range the containing prefix allows.
    pub len: Index,
}

/// A zone.
#[derive(Clone, Debug)]
pub struct ZoneSpec {
    /// Its security level.
    pub level: Level,
    /// An IPv4 prefix in `10.Z.0.0/16`: offset and length (16 to 30).
    pub v4: (u16, u8),
    /// An IPv6 prefix in `2001:db8:Z::/48`: offset and length (48 to 126).
    pub v6: Option<(u128, u8)>,
    /// A second IPv4 prefix, in `10.(Z+100).0.0/16`.
    pub extra_v4: Option<(u16, u8)>,
    /// Its hosts.
    pub hosts: Vec<HostSpec>,
    /// Its groups.
    pub groups: Vec<GroupSpec>,
}

/// One end of a flow.
#[derive(Clone, Debug)]
pub enum EndSpec {
    /// The whole zone.
    Zone,
    /// A host of the zone (the zone when it has none).
    Host(Index),
    /// A group of the zone (the zone when it has none).
    Group(Index),
}

/// One service of a flow.
#[derive(Clone, Debug)]
pub enum ServiceSpec {
    /// TCP from one of a few interesting ports, over a span (0: one port).
    Tcp(Index, u16),
    /// UDP likewise.
    Udp(Index, u16),
    /// `icmp/echo-request`.
    IcmpEcho,
    /// `icmpv6/echo-request`.
    Icmpv6Echo,
    /// `ip/47`.
    Gre,
    /// The catalogue's `modbus`.
    Modbus,
}

/// A flow.
#[derive(Clone, Debug)]
pub struct FlowSpec {
    /// From the conduit's second zone to its first instead of the reverse.
    pub reverse: bool,
    /// Its source.
    pub from: EndSpec,
    /// Its destination.
    pub to: EndSpec,
    /// Its services (one to three).
    pub services: Vec<ServiceSpec>,
    /// Days from [`today`] it expires (`None`: never).
    pub expires: Option<i32>,
    /// Owned by `plant-ops` rather than `it-sec`.
    pub ops_owner: bool,
    /// Logged.
    pub log: bool,
}

/// A conduit; one whose zones another conduit already joins is dropped.
#[derive(Clone, Debug)]
pub struct ConduitSpec {
    /// Its two zones (the same zone twice becomes the next zone).
    pub zones: (Index, Index),
    /// `mode monitor`.
    pub monitor: bool,
    /// Its flows.
    pub flows: Vec<FlowSpec>,
}

/// A whole policy; see the module documentation.
#[derive(Clone, Debug)]
pub struct PolicySpec {
    /// Two to five zones.
    pub zones: Vec<ZoneSpec>,
    /// The zone that is `networks any`, if any.
    pub any_zone: Option<Index>,
    /// One to four conduits.
    pub conduits: Vec<ConduitSpec>,
    /// Per zone: severed by the isolation mode `island`.
    pub severed: Vec<bool>,
    /// Per zone: the firewall `fw` has an interface facing it.
    pub interfaces: Vec<bool>,
    /// Give `fw`'s interfaces addresses even without entries.
    pub addresses: bool,
    /// `fw`'s `manage` and `control` entries (zero to three), drawn from
    /// this seed (`None`: none). With entries, every interface has an
    /// address (as `cisco-ios` requires).
    pub local: Option<u64>,
}

fn chance(percent: u32) -> impl Strategy<Value = bool> {
    prop::bool::weighted(f64::from(percent) / 100.0)
}

fn maybe<S: Strategy>(percent: u32, s: S) -> impl Strategy<Value = Option<S::Value>> {
    prop::option::weighted(f64::from(percent) / 100.0, s)
}

fn pos() -> impl Strategy<Value = Pos> {
    prop_oneof![
        1 => Just(Pos::Low),
        1 => Just(Pos::High),
        2 => any::<u128>().prop_map(Pos::Within),
    ]
}

fn addr_pick() -> impl Strategy<Value = AddrPick> {
    (any::<Index>(), pos()).prop_map(|(net, at)| AddrPick { net, at })
}

fn zone_spec() -> impl Strategy<Value = ZoneSpec> {
    let host = prop::collection::vec(addr_pick(), 1..=2).prop_map(|addrs| HostSpec { addrs });
    let group = (maybe(70, any::<Index>()), addr_pick(), any::<Index>())
        .prop_map(|(host, at, len)| GroupSpec { host, at, len });
    (
        prop::sample::select(Level::ALL.to_vec()),
        (any::<u16>(), 16u8..=30),
        maybe(50, (any::<u128>(), 48u8..=126)),
        maybe(20, (any::<u16>(), 16u8..=30)),
        prop::collection::vec(host, 0..=2),
        prop::collection::vec(group, 0..=1),
    )
        .prop_map(|(level, v4, v6, extra_v4, hosts, groups)| ZoneSpec {
            level,
            v4,
            v6,
            extra_v4,
            hosts,
            groups,
        })
}

fn end_spec() -> impl Strategy<Value = EndSpec> {
    prop_oneof![
        Just(EndSpec::Zone),
        any::<Index>().prop_map(EndSpec::Host),
        any::<Index>().prop_map(EndSpec::Group),
    ]
}

fn service_spec() -> impl Strategy<Value = ServiceSpec> {
    let span = |percent, max| maybe(percent, 1..=max).prop_map(|s| s.unwrap_or(0));
    prop_oneof![
        4 => (any::<Index>(), span(40, 20u16)).prop_map(|(i, s)| ServiceSpec::Tcp(i, s)),
        2 => (any::<Index>(), span(30, 5u16)).prop_map(|(i, s)| ServiceSpec::Udp(i, s)),
        1 => Just(ServiceSpec::IcmpEcho),
        1 => Just(ServiceSpec::Icmpv6Echo),
        1 => Just(ServiceSpec::Gre),
        1 => Just(ServiceSpec::Modbus),
    ]
}

fn flow_spec() -> impl Strategy<Value = FlowSpec> {
    let expires = prop_oneof![
        7 => Just(None),
        1 => Just(Some(0)),
        1 => Just(Some(-1)),
        1 => Just(Some(40)),
    ];
    (
        any::<bool>(),
        end_spec(),
        end_spec(),
        prop::collection::vec(service_spec(), 1..=3),
        expires,
        any::<bool>(),
        chance(30),
    )
        .prop_map(
            |(reverse, from, to, services, expires, ops_owner, log)| FlowSpec {
                reverse,
                from,
                to,
                services,
                expires,
                ops_owner,
                log,
            },
        )
}

fn conduit_spec() -> impl Strategy<Value = ConduitSpec> {
    (
        (any::<Index>(), any::<Index>()),
        chance(20),
        prop::collection::vec(flow_spec(), 1..=3),
    )
        .prop_map(|(zones, monitor, flows)| ConduitSpec {
            zones,
            monitor,
            flows,
        })
}

/// Random valid policies (see the module documentation) whose firewall
/// `fw` has interface addresses in 30 % of draws without entries, and zero
/// to three `manage`/`control` entries in half of them (every interface then
/// has an address): traffic to the device itself, governed by its entries,
/// or not governed when it declares none.
pub fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    (
        prop::collection::vec(zone_spec(), 2..=5),
        maybe(30, any::<Index>()),
        prop::collection::vec(conduit_spec(), 1..=4),
        prop::collection::vec(chance(30), 5),
        prop::collection::vec(chance(80), 5),
        chance(30),
        maybe(50, any::<u64>()),
    )
        .prop_map(
            |(zones, any_zone, conduits, severed, interfaces, addresses, local)| PolicySpec {
                zones,
                any_zone,
                conduits,
                severed,
                interfaces,
                addresses,
                local,
            },
        )
}

/// One address of `set` of a family: the first prefix's network plus one
/// (the network itself for a host prefix).
pub fn first_host(set: &AddrSet, v6: bool) -> Option<IpAddr> {
    if v6 {
        let p = set.v6_prefixes().into_iter().next()?;
        let n = u128::from(p.network());
        let a = if p.prefix_len() < 127 { n + 1 } else { n };
        Some(IpAddr::V6(a.into()))
    } else {
        let p = set.v4_prefixes().into_iter().next()?;
        let n = u32::from(p.network());
        let a = if p.prefix_len() < 31 { n + 1 } else { n };
        Some(IpAddr::V4(a.into()))
    }
}

/// Gives every interface of `fw` an IPv4 address and, where its zone has
/// IPv6, an IPv6 address, inside the zone it faces (zones are disjoint, so
/// the addresses are unique).
fn give_addresses(p: &Policy, fw: &mut Firewall) {
    for i in &mut fw.interfaces {
        let set = &p.zones[i.zone].addrs;
        for v6 in [false, true] {
            if let Some(a) = first_host(set, v6).filter(|a| !i.addrs.contains(a)) {
                i.addrs.push(a);
            }
        }
    }
}

/// The services entries draw from, as written and as a set: SSH, SNMP,
/// BGP, OSPF, NTP, ping (both families), SSH with telnet.
fn local_service(i: u64) -> (Vec<&'static str>, ServiceSet) {
    let mut s = ServiceSet::new();
    let written = match i {
        0 => {
            s.tcp = PortSet::single(22);
            vec!["ssh"]
        }
        1 => {
            s.udp = PortSet::single(161);
            vec!["snmp"]
        }
        2 => {
            s.tcp = PortSet::single(179);
            vec!["bgp"]
        }
        3 => {
            s.ip.insert(89);
            vec!["ospf"]
        }
        4 => {
            s.udp = PortSet::single(123);
            vec!["ntp"]
        }
        5 => {
            s.icmp.insert(8);
            s.icmpv6.insert(128);
            vec!["icmp/echo-request", "icmpv6/echo-request"]
        }
        _ => {
            s.tcp = PortSet::from_ranges([(22, 23)]);
            vec!["tcp/22-23"]
        }
    };
    (written, s)
}

/// Zero to three `manage`/`control` entries for `fw`, from zones it faces
/// or their hosts, some logged, some expiring on or the day before
/// [`today`], drawn from `seed`.
fn add_local(p: &Policy, fw: &mut Firewall, seed: u64) {
    let mut rng = Rng::new(seed);
    let faced: Vec<usize> = fw.interfaces.iter().map(|i| i.zone).collect();
    for e in 0..rng.range(0, 3) {
        let mut from: Vec<Endpoint> = Vec::new();
        for _ in 0..rng.range(1, 2) {
            let z = *rng.pick(&faced);
            let zone = &p.zones[z];
            let ep = if !zone.hosts.is_empty() && rng.chance(60) {
                let h = rng.pick(&zone.hosts);
                Endpoint {
                    zone: z,
                    member: Member::Host(h.name.clone()),
                    addrs: AddrSet::from_addrs(h.addrs.iter().copied()),
                }
            } else {
                Endpoint {
                    zone: z,
                    member: Member::Zone,
                    addrs: zone.addrs.clone(),
                }
            };
            if !from.contains(&ep) {
                from.push(ep);
            }
        }
        let (mut written, mut services) = local_service(rng.range(0, 6));
        if rng.chance(30) {
            let (w, more) = local_service(rng.range(0, 6));
            for x in w {
                if !written.contains(&x) {
                    written.push(x);
                }
            }
            services = services.union(&more);
        }
        let kind = if rng.chance(50) {
            LocalKind::Manage
        } else {
            LocalKind::Control
        };
        let name = format!(
            "{}-{e}",
            if kind == LocalKind::Manage {
                "admin"
            } else {
                "ctl"
            }
        );
        let expires = match rng.range(0, 9) {
            0 => Some(today()),
            1 => Some(today().add_days(-1)),
            2 => Some(today().add_days(40)),
            _ => None,
        };
        fw.local.push(LocalAccess {
            full_name: format!("{}/{name}", fw.name),
            name: Name::new(&name),
            kind,
            src: AddrSet::union_all(from.iter().map(|e| &e.addrs)),
            from,
            service_refs: written.into_iter().map(Text::from).collect(),
            services,
            owner: Name::new(if rng.chance(50) {
                "plant-ops"
            } else {
                "it-sec"
            }),
            reason: "generated entry".into(),
            expires,
            log: rng.chance(30),
        });
    }
}

/// A runner whose random values follow from `seed` alone.
fn seeded_runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// One value of `strategy`, fixed by `seed`.
pub fn draw<S: Strategy>(strategy: S, seed: u64) -> S::Value {
    match strategy.new_tree(&mut seeded_runner(seed)) {
        Ok(tree) => tree.current(),
        Err(e) => panic!("cannot draw a value: {e}"),
    }
}

/// The policy of [`policy_spec`] drawn for `seed`.
pub fn policy(seed: u64) -> Policy {
    draw(policy_spec(), seed).to_policy()
}

fn v4_prefix((offset, len): (u16, u8), zone: u8) -> Ipv4Net {
    let base = u32::from(Ipv4Addr::new(10, zone, 0, 0));
    Ipv4Net::new(Ipv4Addr::from(base | u32::from(offset)), len.clamp(16, 30))
        .unwrap()
        .trunc()
}

fn v6_prefix((offset, len): (u128, u8), zone: u8) -> Ipv6Net {
    let base = u128::from(Ipv6Addr::new(0x2001, 0xdb8, u16::from(zone), 0, 0, 0, 0, 0));
    let offset = offset & ((1u128 << 80) - 1);
    Ipv6Net::new(Ipv6Addr::from(base | offset), len.clamp(48, 126))
        .unwrap()
        .trunc()
}

fn addr_in(net: &IpNet, at: &Pos) -> IpAddr {
    let (lo, hi) = match net {
        IpNet::V4(n) => (
            u128::from(u32::from(n.network())),
            u128::from(u32::from(n.broadcast())),
        ),
        IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
    };
    let pick = match at {
        Pos::Low => lo,
        Pos::High => hi,
        Pos::Within(x) => {
            let span = hi - lo;
            lo + if span == u128::MAX {
                *x
            } else {
                x % (span + 1)
            }
        }
    };
    match net {
        IpNet::V4(_) => IpAddr::V4(Ipv4Addr::from(pick as u32)),
        IpNet::V6(_) => IpAddr::V6(Ipv6Addr::from(pick)),
    }
}

const TCP_PORTS: [u16; 9] = [1, 22, 80, 443, 502, 2404, 20000, 44818, 65535];
const UDP_PORTS: [u16; 6] = [53, 123, 161, 514, 2222, 47808];

fn services(specs: &[ServiceSpec]) -> (ServiceSet, Vec<String>) {
    let mut set = ServiceSet::new();
    let mut written = Vec::new();
    let range = |lo: u16, hi: u16, proto: &str| {
        if lo == hi {
            format!("{proto}/{lo}")
        } else {
            format!("{proto}/{lo}-{hi}")
        }
    };
    for s in specs {
        match s {
            ServiceSpec::Tcp(i, span) => {
                let lo = *i.get(&TCP_PORTS);
                let hi = lo.saturating_add(*span);
                set.tcp = set.tcp.union(&PortSet::from_ranges([(lo, hi)]));
                written.push(range(lo, hi, "tcp"));
            }
            ServiceSpec::Udp(i, span) => {
                let lo = *i.get(&UDP_PORTS);
                let hi = lo.saturating_add(*span);
                set.udp = set.udp.union(&PortSet::from_ranges([(lo, hi)]));
                written.push(range(lo, hi, "udp"));
            }
            ServiceSpec::IcmpEcho => {
                set.icmp.insert(8);
                written.push("icmp/echo-request".into());
            }
            ServiceSpec::Icmpv6Echo => {
                set.icmpv6.insert(128);
                written.push("icmpv6/echo-request".into());
            }
            ServiceSpec::Gre => {
                set.ip.insert(47);
                written.push("ip/47".into());
            }
            ServiceSpec::Modbus => {
                set.tcp = set.tcp.union(&PortSet::single(502));
                written.push("modbus".into());
            }
        }
    }
    (set, written)
}

fn endpoint(spec: &EndSpec, p: &Policy, z: usize) -> Endpoint {
    let zone = &p.zones[z];
    match spec {
        EndSpec::Host(i) if !zone.hosts.is_empty() => {
            let h = i.get(&zone.hosts);
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
        EndSpec::Group(i) if !zone.groups.is_empty() => {
            let g = i.get(&zone.groups);
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

impl PolicySpec {
    /// The policy this spec describes, as the checker would build it from
    /// [`PolicySpec::render`]'s text.
    pub fn to_policy(&self) -> Policy {
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
        let nzones = self.zones.len();
        let any_zone = self.any_zone.as_ref().map(|i| i.index(nzones));
        for (zi, zs) in self.zones.iter().enumerate() {
            let zone_no = (zi + 1) as u8;
            let mut nets: Vec<IpNet> = Vec::new();
            if Some(zi) != any_zone {
                nets.push(IpNet::V4(v4_prefix(zs.v4, zone_no)));
                if let Some(v6) = zs.v6 {
                    nets.push(IpNet::V6(v6_prefix(v6, zone_no)));
                }
                if let Some(extra) = zs.extra_v4 {
                    nets.push(IpNet::V4(v4_prefix(extra, zone_no + 100)));
                }
            }
            let level = zs.level;
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
                supplier: false,
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
                for (hi, hs) in zs.hosts.iter().enumerate() {
                    let mut addrs = Vec::new();
                    for a in &hs.addrs {
                        let addr = addr_in(a.net.get(&nets), &a.at);
                        if !addrs.contains(&addr) {
                            addrs.push(addr);
                        }
                    }
                    zone.hosts.push(Host {
                        name: Name::new(format!("h{hi}")),
                        addrs,
                    });
                }
                for (gi, gs) in zs.groups.iter().enumerate() {
                    let mut members = Vec::new();
                    let mut addrs = AddrSet::new();
                    if let (Some(i), false) = (&gs.host, zone.hosts.is_empty()) {
                        let h = i.get(&zone.hosts).clone();
                        for a in &h.addrs {
                            addrs = addrs.union(&AddrSet::from_addr(*a));
                        }
                        members.push(GroupMember::Host(h.name));
                    }
                    let base = *gs.at.net.get(&nets);
                    let sub_len = base.prefix_len()
                        + gs.len
                            .index(usize::from(base.max_prefix_len() - base.prefix_len()) + 1)
                            as u8;
                    let sub = IpNet::new(addr_in(&base, &gs.at.at), sub_len)
                        .unwrap()
                        .trunc();
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
        let mut used_pairs = BTreeSet::new();
        for (ci, cs) in self.conduits.iter().enumerate() {
            let a = cs.zones.0.index(nzones);
            let mut b = cs.zones.1.index(nzones);
            if a == b {
                b = (a + 1) % nzones;
            }
            if !used_pairs.insert((a.min(b), a.max(b))) {
                continue;
            }
            let cname = format!("c{ci}");
            let mut flows = Vec::new();
            for (fi, fs) in cs.flows.iter().enumerate() {
                let (fz, tz) = if fs.reverse { (b, a) } else { (a, b) };
                let from = endpoint(&fs.from, &p, fz);
                let to = endpoint(&fs.to, &p, tz);
                let (services, service_refs) = services(&fs.services);
                let fname = format!("f{fi}");
                flows.push(Flow {
                    name: Name::new(&fname),
                    full_name: format!("{cname}/{fname}").into(),
                    src: from.addrs.clone(),
                    dst: to.addrs.clone(),
                    from: vec![from],
                    to: vec![to],
                    from_zone: fz,
                    to_zone: tz,
                    service_refs: service_refs.into_iter().map(Text::from).collect(),
                    services,
                    owner: Name::new(if fs.ops_owner { "plant-ops" } else { "it-sec" }),
                    reason: format!("generated flow {fi} \"quoted\" \\ back").into(),
                    expires: fs.expires.map(|d| today().add_days(d.into())),
                    essential: false,
                    log: fs.log,
                });
            }
            p.conduits.push(Conduit {
                name: Name::new(&cname),
                zones: [a, b],
                owner: Name::new("plant-ops"),
                sl: None,
                mode: if cs.monitor {
                    Mode::Monitor
                } else {
                    Mode::Enforce
                },
                flows,
            });
        }
        let flag = |v: &[bool], i: usize| v.get(i).copied().unwrap_or(false);
        p.isolations.push(Isolation {
            name: Name::new("island"),
            sever: (0..nzones).filter(|&z| flag(&self.severed, z)).collect(),
            reason: "test".into(),
        });
        let mut interfaces: Vec<Interface> = (0..nzones)
            .filter(|&z| flag(&self.interfaces, z))
            .map(|zi| Interface {
                name: format!("eth{zi}"),
                zone: zi,
                addrs: Vec::new(),
            })
            .collect();
        if interfaces.is_empty() {
            interfaces.push(Interface {
                name: "eth0".into(),
                zone: 0,
                addrs: Vec::new(),
            });
        }
        let mut fw = Firewall {
            name: Name::new("fw"),
            platform: Platform::Nftables,
            interfaces,
            acl_budget: None,
            local: Vec::new(),
        };
        if self.addresses || self.local.is_some() {
            give_addresses(&p, &mut fw);
        }
        if let Some(seed) = self.local {
            add_local(&p, &mut fw, seed);
        }
        p.firewalls.push(fw);
        p
    }

    /// The policy in the conduit language.
    pub fn render(&self) -> String {
        to_text(&self.to_policy())
    }
}

/// One packet, resolved against a policy by [`resolve_packets`]: addresses
/// are picked among the policy's interval edges, ports among its flows'
/// port bounds.
#[derive(Clone, Debug)]
pub struct PacketSpec {
    /// IPv6 rather than IPv4 (when the policy has IPv6 edges).
    pub v6: bool,
    /// The source among the edges.
    pub src: Index,
    /// The destination among the edges.
    pub dst: Index,
    /// The destination from the other family (a packet no device routes).
    pub mismatch: bool,
    /// The protocol, among TCP, UDP, ICMP, ICMPv6, GRE and ESP.
    pub proto: Index,
    /// The destination port among the interesting ones (TCP and UDP).
    pub port: Index,
    /// The ICMP type among a few.
    pub icmp: Index,
}

/// `n` packets (see [`PacketSpec`]).
pub fn packet_specs(n: usize) -> impl Strategy<Value = Vec<PacketSpec>> {
    let one = (
        chance(35),
        any::<Index>(),
        any::<Index>(),
        chance(5),
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
    )
        .prop_map(|(v6, src, dst, mismatch, proto, port, icmp)| PacketSpec {
            v6,
            src,
            dst,
            mismatch,
            proto,
            port,
            icmp,
        });
    prop::collection::vec(one, n)
}

/// The packets `specs` stand for in `p`.
pub fn resolve_packets(p: &Policy, specs: &[PacketSpec]) -> Vec<Packet> {
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
    for s in specs {
        let (pool, other) = if s.v6 && v6.len() >= 2 {
            (&v6, &v4)
        } else {
            (&v4, &v6)
        };
        if pool.is_empty() {
            break;
        }
        let src = *s.src.get(pool);
        let dst = if s.mismatch && !other.is_empty() {
            *s.dst.get(other)
        } else {
            *s.dst.get(pool)
        };
        let proto = *s.proto.get(&[6u8, 6, 6, 17, 17, 1, 58, 47, 50]);
        let (dport, icmp_type) = match proto {
            6 | 17 => (Some(*s.port.get(&ports)), None),
            1 => (None, Some(*s.icmp.get(&[8u8, 0, 13]))),
            58 => (None, Some(*s.icmp.get(&[128u8, 129, 135]))),
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

/// `n` packets of [`packet_specs`] drawn for `seed`, resolved against `p`.
pub fn packets(p: &Policy, seed: u64, n: usize) -> Vec<Packet> {
    resolve_packets(p, &draw(packet_specs(n), seed))
}

/// Addresses worth probing: interval edges and their neighbours, per zone
/// and flow, and every firewall's own addresses (traffic to the device).
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
    for fw in &p.firewalls {
        for i in &fw.interfaces {
            out.extend(i.addrs.iter().copied());
        }
    }
    out.into_iter().collect()
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
        if z.supplier {
            s.push_str("  supplier\n");
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
        if let Some(n) = fw.acl_budget {
            s.push_str(&format!("  acl-budget {n}\n"));
        }
        for i in &fw.interfaces {
            s.push_str(&format!(
                "  interface {} = {}",
                quote(&i.name),
                p.zones[i.zone].name
            ));
            if !i.addrs.is_empty() {
                let list: Vec<String> = i.addrs.iter().map(|a| a.to_string()).collect();
                s.push_str(&format!(" address {}", list.join(", ")));
            }
            s.push('\n');
        }
        for e in &fw.local {
            let from: Vec<String> = e.from.iter().map(|x| endpoint_text(p, x)).collect();
            s.push_str(&format!(
                "  {} {} {{\n    from {}\n    service {}\n    owner {}\n    reason {}\n",
                e.kind.as_str(),
                e.name,
                from.join(", "),
                e.service_refs.join(", "),
                e.owner,
                quote(&e.reason)
            ));
            if let Some(d) = e.expires {
                s.push_str(&format!("    expires {d}\n"));
            }
            if e.log {
                s.push_str("    log\n");
            }
            s.push_str("  }\n");
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

/// The Cisco IOS build of `rs` (`flat` or with object groups), or the test
/// case rejected when the backend refuses it for a list over the IOS entry
/// budget (`E606`): a refusal the budget tests cover on purpose, which a
/// random policy meets rarely (a zone whose addresses split into hundreds of
/// prefixes). Any other error fails the case.
pub fn ios_build(
    rs: &conduitc::RuleSet,
    flat: bool,
) -> Result<String, proptest::test_runner::TestCaseError> {
    use conduitc::backend::{emit_string_with, EmitError, EmitOptions, Target};
    use proptest::test_runner::TestCaseError;
    match emit_string_with(rs, Target::CiscoIos, &EmitOptions::new().ios_flat(flat)) {
        Ok(text) => Ok(text),
        Err(EmitError::TooLarge { .. }) => Err(TestCaseError::reject(
            "an IOS list over its entry budget (refused with E606)",
        )),
        Err(e) => Err(TestCaseError::fail(e.to_string())),
    }
}
