//! `diff` on two 100,000-flow policies that differ in 1% of their flows.
//!
//! Run with `cargo bench --bench diff`. Prints the time of each run and the
//! median. The policies are built as model values (no parsing): 40 zones of
//! 250 hosts each, 200 conduits of 500 host-to-host flows. The new version
//! removes 250 flows, adds 250, changes the ports of 250 and the reason of
//! 250 (1,000 flows, 1%).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use conduitc::diff::{diff, DiffOptions};
use conduitc::model::*;
use ipnet::{IpNet, Ipv4Net};

const ZONES: usize = 40;
const HOSTS: usize = 250;
const CONDUITS: usize = 200;
const FLOWS_PER_CONDUIT: usize = 500;

fn host_addr(zone: usize, host: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        10,
        zone as u8,
        (host / 200) as u8,
        (host % 200 + 1) as u8,
    ))
}

fn services(k: usize) -> (ServiceSet, Vec<String>) {
    let mut s = ServiceSet::new();
    let written = match k % 5 {
        0 => {
            s.tcp = PortSet::single(502);
            "modbus"
        }
        1 => {
            s.tcp = PortSet::single(44818);
            s.udp = PortSet::from_ranges([(44818, 44818), (2222, 2222)]);
            "enip"
        }
        2 => {
            s.tcp = PortSet::single(443);
            "https"
        }
        3 => {
            s.tcp = PortSet::from_ranges([(20000, 20010)]);
            "tcp/20000-20010"
        }
        _ => {
            s.udp = PortSet::single(123);
            "ntp"
        }
    };
    (s, vec![written.to_string()])
}

fn endpoint(p: &Policy, zone: usize, host: usize) -> Endpoint {
    let h = &p.zones[zone].hosts[host];
    Endpoint {
        zone,
        member: Member::Host(h.name.clone()),
        addrs: AddrSet::from_addr(h.addrs[0]),
    }
}

fn flow(p: &Policy, conduit: &str, name: String, a: usize, b: usize, j: usize) -> Flow {
    let from = endpoint(p, a, j % HOSTS);
    let to = endpoint(p, b, (j * 7 + 3 + j / HOSTS) % HOSTS);
    let (services, service_refs) = services(j);
    Flow {
        full_name: format!("{conduit}/{name}").into(),
        name: Name::new(name),
        src: from.addrs.clone(),
        dst: to.addrs.clone(),
        from: vec![from],
        to: vec![to],
        from_zone: a,
        to_zone: b,
        service_refs: service_refs.into_iter().map(Into::into).collect(),
        services,
        owner: Name::new("plant-ops"),
        reason: "bench flow".into(),
        expires: None,
        essential: false,
        log: false,
    }
}

fn policy() -> Policy {
    let mut p = Policy {
        owners: vec![Owner {
            name: Name::new("plant-ops"),
            display_name: None,
            contact: "ot@example.com".into(),
        }],
        ..Policy::default()
    };
    for z in 0..ZONES {
        let net = IpNet::V4(Ipv4Net::new(Ipv4Addr::new(10, z as u8, 0, 0), 16).unwrap_or_default());
        p.zones.push(Zone {
            name: Name::new(format!("zone{z}")),
            level: Level::ALL[z % 7],
            owner: Name::new("plant-ops"),
            sl: None,
            description: None,
            supplier: false,
            networks: Networks::Prefixes(vec![net]),
            addrs: AddrSet::from_net(net),
            hosts: (0..HOSTS)
                .map(|h| Host {
                    name: Name::new(format!("h{h}")),
                    addrs: vec![host_addr(z, h)],
                })
                .collect(),
            groups: Vec::new(),
        });
    }
    for c in 0..CONDUITS {
        let a = c % ZONES;
        let b = (a + 1 + c / ZONES) % ZONES;
        let name = format!("c{c}");
        let flows = (0..FLOWS_PER_CONDUIT)
            .map(|j| {
                let (x, y) = if j % 2 == 0 { (a, b) } else { (b, a) };
                flow(&p, &name, format!("f{j}"), x, y, j + c)
            })
            .collect();
        p.conduits.push(Conduit {
            name: Name::new(&name),
            zones: [a, b],
            owner: Name::new("plant-ops"),
            sl: None,
            mode: Mode::Enforce,
            flows,
        });
    }
    p.approvals.push(Approval {
        name: Name::new("plant-floor"),
        scope: Scope::Level(LevelOp::Le, Level::L2),
        requires: vec![Name::new("plant-ops")],
    });
    p
}

/// 1% of flows changed: every 100th flow, in four kinds of change.
fn changed(old: &Policy) -> Policy {
    let mut p = old.clone();
    let mut n = 0usize;
    for ci in 0..p.conduits.len() {
        let [a, b] = p.conduits[ci].zones;
        let cname = p.conduits[ci].name.to_string();
        let mut fi = 0;
        while fi < p.conduits[ci].flows.len() {
            if (n + fi).is_multiple_of(100) {
                match (n / 100 + fi / 100) % 4 {
                    0 => {
                        p.conduits[ci].flows.remove(fi);
                        n += 1;
                        continue;
                    }
                    1 => {
                        let f = flow(&p, &cname, format!("new{fi}"), a, b, fi * 13 + 1);
                        p.conduits[ci].flows.push(f);
                    }
                    2 => {
                        let (s, w) = services(fi + 1);
                        let f = &mut p.conduits[ci].flows[fi];
                        f.services = s;
                        f.service_refs = w.into_iter().map(Into::into).collect();
                    }
                    _ => p.conduits[ci].flows[fi].reason = "reworded".into(),
                }
            }
            fi += 1;
        }
        n += FLOWS_PER_CONDUIT;
    }
    p
}

/// Time this thread has spent on a CPU, when the kernel says
/// (`/proc/thread-self/schedstat`): unlike wall time, it does not grow when
/// other processes compete for the cores.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn main() {
    let old = policy();
    let new = changed(&old);
    let flows_old: usize = old.conduits.iter().map(|c| c.flows.len()).sum();
    let flows_new: usize = new.conduits.iter().map(|c| c.flows.len()).sum();
    let opts = DiffOptions::new(Date::parse("2026-12-01").unwrap_or_else(Date::today));
    let mut times: Vec<Duration> = Vec::new();
    let mut cpu: Vec<Duration> = Vec::new();
    let mut summary = String::new();
    for _ in 0..5 {
        let c = cpu_time();
        let t = Instant::now();
        let r = black_box(diff(black_box(&old), black_box(&new), &opts));
        times.push(t.elapsed());
        if let (Some(a), Some(b)) = (c, cpu_time()) {
            cpu.push(b.saturating_sub(a));
        }
        summary = format!(
            "{} declaration changes, {} boxes newly allowed, {} no longer allowed, {} approvals",
            r.declarations.len(),
            r.access.added.len(),
            r.access.removed.len(),
            r.approvals.len()
        );
    }
    let mut sorted = times.clone();
    sorted.sort();
    println!("diff: {flows_old} flows -> {flows_new} flows; {summary}");
    for (i, t) in times.iter().enumerate() {
        match cpu.get(i) {
            Some(c) => println!(
                "  run: {:.3} s wall, {:.3} s on CPU",
                t.as_secs_f64(),
                c.as_secs_f64()
            ),
            None => println!("  run: {:.3} s wall", t.as_secs_f64()),
        }
    }
    println!(
        "  median wall: {:.3} s",
        sorted[sorted.len() / 2].as_secs_f64()
    );
    cpu.sort();
    if let Some(c) = cpu.get(cpu.len() / 2) {
        println!("  median on CPU: {:.3} s", c.as_secs_f64());
    }
}
