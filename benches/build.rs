//! Build throughput: lowering and emission of a 100,000-flow policy over
//! 1,000 zones, for every target.
//!
//! Run with `cargo bench --bench build` (add `-- nftables` to time only
//! that target). The policy is built directly as a
//! model (no parsing): 1,000 zones with IPv4 and IPv6 networks and ten hosts
//! each, 10,000 conduits between nearby zones (one in fifty in monitor
//! mode), ten flows per conduit from hosts, a group-like host pair or the
//! whole zone, with TCP, UDP and ICMP services.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions};
use conduitc::model::*;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

const ZONES: usize = 1_000;
const NEIGHBOURS: usize = 10;
const FLOWS_PER_CONDUIT: usize = 10;
const HOSTS: usize = 10;

fn v4(zone: usize, host: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, (zone >> 8) as u8, (zone & 0xff) as u8, host)
}

fn v6(zone: usize, host: u16) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, zone as u16, 0, 0, 0, 0, host)
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
        let nets = vec![
            IpNet::V4(Ipv4Net::new(v4(z, 0), 24).unwrap()),
            IpNet::V6(Ipv6Net::new(v6(z, 0), 48).unwrap()),
        ];
        let mut addrs = AddrSet::new();
        for n in &nets {
            addrs.insert_net(*n);
        }
        let hosts = (0..HOSTS)
            .map(|h| Host {
                name: Name::new(format!("h{h}")),
                addrs: vec![
                    IpAddr::V4(v4(z, 10 + h as u8)),
                    IpAddr::V6(v6(z, 10 + h as u16)),
                ],
            })
            .collect();
        p.zones.push(Zone {
            name: Name::new(format!("zone-{z}")),
            level: Level::ALL[z % 7],
            owner: Name::new("plant-ops"),
            sl: None,
            description: None,
            supplier: false,
            networks: Networks::Prefixes(nets),
            addrs,
            hosts,
            groups: Vec::new(),
        });
    }
    let host_set = |z: usize, h: usize| {
        AddrSet::from_addr(IpAddr::V4(v4(z, 10 + h as u8)))
            .union(&AddrSet::from_addr(IpAddr::V6(v6(z, 10 + h as u16))))
    };
    let endpoint = |p: &Policy, z: usize, pick: usize| -> Endpoint {
        match pick % 3 {
            0 => Endpoint {
                zone: z,
                member: Member::Zone,
                addrs: p.zones[z].addrs.clone(),
            },
            1 => Endpoint {
                zone: z,
                member: Member::Host(Name::new(format!("h{}", pick % HOSTS))),
                addrs: host_set(z, pick % HOSTS),
            },
            _ => Endpoint {
                zone: z,
                member: Member::Host(Name::new(format!("h{}", (pick + 1) % HOSTS))),
                addrs: host_set(z, (pick + 1) % HOSTS).union(&host_set(z, (pick + 2) % HOSTS)),
            },
        }
    };
    let mut n = 0usize;
    for a in 0..ZONES {
        for k in 1..=NEIGHBOURS {
            let b = (a + k) % ZONES;
            let cname = format!("c-{a}-{b}");
            let mut flows = Vec::new();
            for f in 0..FLOWS_PER_CONDUIT {
                n += 1;
                let (fz, tz) = if f % 2 == 0 { (a, b) } else { (b, a) };
                let from = endpoint(&p, fz, n);
                let to = endpoint(&p, tz, n / 3 + 1);
                let mut services = ServiceSet::new();
                match n % 4 {
                    0 => services.tcp = PortSet::single(502),
                    1 => {
                        services.tcp = PortSet::from_ranges([(20000, 20010), (44818, 44818)]);
                        services.udp = PortSet::single(2222);
                    }
                    2 => {
                        services.udp = PortSet::single(161);
                        services.icmp.insert(8);
                    }
                    _ => {
                        services.tcp = PortSet::single(4840);
                        services.icmpv6.insert(128);
                    }
                }
                let fname = format!("f{f}");
                flows.push(Flow {
                    name: Name::new(&fname),
                    full_name: format!("{cname}/{fname}").into(),
                    from_zone: fz,
                    to_zone: tz,
                    src: from.addrs.clone(),
                    dst: to.addrs.clone(),
                    from: vec![from],
                    to: vec![to],
                    service_refs: Vec::new(),
                    services,
                    owner: Name::new("plant-ops"),
                    reason: "bench".into(),
                    expires: None,
                    essential: false,
                    log: n.is_multiple_of(10),
                });
            }
            p.conduits.push(Conduit {
                name: Name::new(cname),
                zones: [a, b],
                owner: Name::new("plant-ops"),
                sl: None,
                mode: if (a + k) % 50 == 0 {
                    Mode::Monitor
                } else {
                    Mode::Enforce
                },
                flows,
            });
        }
    }
    p
}

/// A writer that counts bytes and lines and keeps nothing.
#[derive(Default)]
struct Counter {
    bytes: usize,
    lines: usize,
}

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len();
        self.lines += buf.iter().filter(|&&b| b == b'\n').count();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

/// CPU time of this process (user + system), from /proc on Linux: unlike
/// wall time it does not grow when other processes share the cores.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line, in clock ticks (100 per second).
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Wall and CPU time of the fastest of `runs` runs of `f`, and its last result.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> ((Duration, Option<Duration>), T) {
    let mut best = (Duration::MAX, None);
    let mut last = None;
    for _ in 0..runs {
        let c = cpu_time();
        let t = Instant::now();
        let r = f();
        let wall = t.elapsed();
        let cpu = c.zip(cpu_time()).map(|(a, b)| b.saturating_sub(a));
        if wall < best.0 {
            best = (wall, cpu);
        }
        last = Some(r);
    }
    (best, last.unwrap())
}

fn both((wall, cpu): (Duration, Option<Duration>)) -> String {
    match cpu {
        Some(c) => format!("{} wall, {} cpu", ms(wall), ms(c)),
        None => format!("{} wall", ms(wall)),
    }
}

fn main() {
    let t = Instant::now();
    let p = policy();
    let flows = p.conduits.iter().map(|c| c.flows.len()).sum::<usize>();
    println!(
        "policy: {} zones, {} conduits, {flows} flows (built in {})",
        p.zones.len(),
        p.conduits.len(),
        ms(t.elapsed())
    );
    let opts = BuildOptions::new(Date::parse("2026-12-01").unwrap());
    let (lower_time, rules) = time(3, || lower(&p, &opts).unwrap());
    println!("lower: {} ({} rules)", both(lower_time), rules.rules.len());
    println!();
    println!("| target | lower | emit | output |");
    println!("| --- | --- | --- | --- |");
    // `cargo bench --bench build -- nftables` times only the named targets.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for target in Target::ALL {
        if !only.is_empty() && !only.iter().any(|o| o == target.as_str()) {
            continue;
        }
        // Streamed into a sink that only counts, as `build --out` streams
        // into a file: the time is the emitter's, not that of growing a
        // string of the whole output.
        let (emit_time, out) = time(3, || {
            let mut sink = Counter::default();
            backend::emit_to(&rules, target, &mut sink).map(|()| sink)
        });
        match out {
            Ok(sink) => println!(
                "| {} | {} | {} | {:.1} MB, {} lines |",
                target.as_str(),
                both(lower_time),
                both(emit_time),
                sink.bytes as f64 / 1e6,
                sink.lines
            ),
            Err(e) => println!(
                "| {} | {} | not available ({e}) | - |",
                target.as_str(),
                both(lower_time)
            ),
        }
    }
}
