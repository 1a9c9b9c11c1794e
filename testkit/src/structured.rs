//! Turns fuzzer bytes into mostly valid policy text, so the `check` and
//! `compile` targets get past the parser: the structure (zones, hosts,
//! conduits, flows) is drawn from the input, and names and addresses are
//! generated so references mostly resolve and prefixes mostly fit.
//!
//! One input in eight (never a short one) is *large*: up to a dozen zones,
//! hundreds of hosts per zone, groups of every host, nested prefixes and
//! nested port ranges, and dozens of flows per conduit. A few hundred input
//! bytes then decode to a policy of tens or hundreds of kilobytes with the
//! shapes that once made the checker, `paths`, `diff` and the IOS backend
//! slow (redundant-flow candidates that contain one another, unreachable
//! zones behind one-way conduits, host-by-host cross products), so the
//! fuzzers reach the sizes the input limits allow without long inputs. A
//! large policy never draws the rare invalid choices (one of hundreds of
//! flows would almost always draw one), so it gets past the checker to
//! lowering and every backend; small policies keep the error paths covered.

use std::fmt::Write;

use arbitrary::{Arbitrary, Result, Unstructured};

/// A fuzzer-chosen policy shape.
#[derive(Debug)]
pub struct PolicyText(pub String);

const SERVICES: &[&str] = &[
    "modbus",
    "opcua",
    "dnp3",
    "enip",
    "ssh",
    "rdp",
    "https",
    "ntp",
    "ping",
    "ping6",
    "tcp/502",
    "tcp/20000-20010",
    "udp/161",
    "icmp/echo-request",
    "icmpv6/echo-request",
    "ip/47",
    "tcp/1-65535",
    "udp/53",
];
/// Specs the checker refuses, drawn rarely so the error paths stay covered.
const BAD_SERVICES: &[&str] = &["icmp/destination-unreachable", "tcp/0", "ip/6", "tcp/70000"];
const LEVELS: &[&str] = &["0", "1", "2", "3", "3.5", "4", "5", "3.7"];

/// True one time in `n`. An exhausted input draws the lower bound, which
/// `ratio` reads as true; this reads it as false, so a short input yields
/// the common (valid) case rather than the rare one.
fn rare(u: &mut Unstructured<'_>, n: u32) -> Result<bool> {
    Ok(!u.ratio(n - 1, n)?)
}

/// A service spec: almost always one the checker accepts.
fn service(u: &mut Unstructured<'_>) -> Result<&'static str> {
    if rare(u, 32)? {
        u.choose(BAD_SERVICES).copied()
    } else {
        u.choose(SERVICES).copied()
    }
}

/// How large a generated policy may grow.
struct Scale {
    zones: usize,
    hosts: usize,
    conduits: usize,
    flows: usize,
}

const SMALL: Scale = Scale {
    zones: 5,
    hosts: 3,
    conduits: 4,
    flows: 3,
};
const LARGE: Scale = Scale {
    zones: 12,
    hosts: 400,
    conduits: 24,
    flows: 48,
};

/// A service for a large policy: mostly port ranges nested in one another
/// (`tcp/1000-1999` inside `tcp/999-2000` ...), which the redundant-flow
/// lint must compare.
fn large_service(u: &mut Unstructured<'_>) -> Result<String> {
    // Hosts of large zones are IPv4 only: no IPv6-only service, which a
    // flow between two hosts could never match (E504).
    const V4: &[&str] = &[
        "modbus", "opcua", "enip", "ssh", "https", "ntp", "ping", "ip/47",
    ];
    if u.ratio(1, 3)? {
        return Ok(u.choose(V4)?.to_string());
    }
    let k: u16 = u.int_in_range(0..=499)?;
    let proto = if u.ratio(1, 4)? { "udp" } else { "tcp" };
    Ok(format!("{proto}/{}-{}", 1000 - k, 2000 + k))
}

impl<'a> Arbitrary<'a> for PolicyText {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let large = rare(u, 8)?;
        let scale = if large { &LARGE } else { &SMALL };
        let mut s = String::new();
        let _ = writeln!(s, "owner ops {{\n  contact \"ops@example.com\"\n}}");
        if u.ratio(1, 4)? {
            let _ = writeln!(s, "service custom = {}, {}", service(u)?, service(u)?);
        }
        let nzones = u.int_in_range(2..=scale.zones)?;
        let mut hosts: Vec<Vec<String>> = Vec::new();
        let any_zone = if u.ratio(1, 4)? {
            Some(u.int_in_range(0..=nzones - 1)?)
        } else {
            None
        };
        for z in 0..nzones {
            let _ = writeln!(
                s,
                "zone z{z} {{\n  level {}\n  owner ops",
                if large {
                    u.choose(&LEVELS[..LEVELS.len() - 1])?
                } else {
                    u.choose(LEVELS)?
                }
            );
            if u.ratio(1, 3)? {
                let _ = writeln!(s, "  sl {}", u.int_in_range(1..=4u8)?);
            }
            if rare(u, 8)? {
                s.push_str("  supplier\n");
            }
            if Some(z) == any_zone {
                s.push_str("  networks any\n");
                hosts.push(Vec::new());
            } else {
                let len = if large {
                    16
                } else {
                    u.int_in_range(16..=28u8)?
                };
                let overlap = !large && rare(u, 10)?;
                let second = if overlap { 0 } else { z };
                let _ = writeln!(
                    s,
                    "  networks 10.{second}.0.0/{len}, 2001:db8:{z}::/{}",
                    u.int_in_range(48..=124u8)?
                );
                let mut names = Vec::new();
                let nhosts = u.int_in_range(0..=scale.hosts)?;
                if large {
                    for h in 0..nhosts {
                        let _ = writeln!(s, "  host h{h} = 10.{z}.{}.{}", h / 200, h % 200 + 1);
                        names.push(format!("h{h}"));
                    }
                    if nhosts > 0 {
                        let members = names.join(", ");
                        let _ = writeln!(s, "  group all = {members}");
                        for (i, len) in [20u8, 22, 24, 26, 28].into_iter().enumerate() {
                            let _ = writeln!(s, "  group n{i} = 10.{z}.0.0/{len}");
                            names.push(format!("n{i}"));
                        }
                        names.push("all".to_string());
                    }
                }
                for h in 0..if large { 0 } else { nhosts } {
                    let v6 = u.ratio(1, 3)?;
                    let host_byte: u8 = u.arbitrary()?;
                    if v6 {
                        let _ = writeln!(s, "  host h{h} = 2001:db8:{z}::{host_byte:x}");
                    } else {
                        let _ = writeln!(s, "  host h{h} = 10.{z}.0.{host_byte}");
                    }
                    names.push(format!("h{h}"));
                }
                if !names.is_empty() && u.ratio(1, 2)? {
                    let _ = writeln!(
                        s,
                        "  group g = {}, 10.{z}.0.0/{}",
                        names[0],
                        u.int_in_range(24..=32u8)?
                    );
                    names.push("g".to_string());
                }
                hosts.push(names);
            }
            s.push_str("}\n");
        }
        for c in 0..u.int_in_range(0..=scale.conduits)? {
            let a = u.int_in_range(0..=nzones - 1)?;
            // A conduit joining a zone to itself is refused (E501): rare.
            let b = if !large && rare(u, 16)? {
                a
            } else {
                (a + 1 + u.int_in_range(0..=nzones - 2)?) % nzones
            };
            let _ = writeln!(s, "conduit c{c} {{\n  zones z{a}, z{b}\n  owner ops");
            if u.ratio(1, 4)? {
                s.push_str("  mode monitor\n");
            }
            for f in 0..u.int_in_range(0..=scale.flows)? {
                let (from, to) = if u.ratio(1, 2)? { (a, b) } else { (b, a) };
                let ep = |u: &mut Unstructured<'a>, z: usize| -> Result<String> {
                    match hosts.get(z) {
                        Some(h) if !h.is_empty() && u.ratio(2, 3)? => {
                            Ok(format!("z{z}.{}", u.choose(h)?))
                        }
                        _ => Ok(format!("z{z}")),
                    }
                };
                let from_ep = ep(u, from)?;
                let to_ep = ep(u, to)?;
                let svc = if large {
                    large_service(u)?
                } else {
                    service(u)?.to_string()
                };
                let _ = writeln!(
                    s,
                    "  flow f{f} {{\n    from {from_ep}\n    to {to_ep}\n    service {svc}"
                );
                let _ = writeln!(s, "    reason \"fuzz {f}\"");
                if u.ratio(1, 4)? {
                    let _ = writeln!(s, "    expires 2026-12-{:02}", u.int_in_range(1..=28u8)?);
                }
                if u.ratio(1, 4)? {
                    s.push_str("    log\n");
                }
                if !large && u.ratio(1, 8)? {
                    s.push_str("    essential\n");
                }
                s.push_str("  }\n");
            }
            s.push_str("}\n");
        }
        if u.ratio(1, 2)? {
            let platform = u.choose(&["nftables", "cisco-ios", "fortios"])?;
            let _ = writeln!(s, "firewall fw {{\n  platform {platform}");
            if *platform == "cisco-ios" && u.ratio(1, 3)? {
                let _ = writeln!(s, "  acl-budget {}", u.int_in_range(1..=4096u16)?);
            }
            for z in 0..nzones {
                if u.ratio(3, 4)? {
                    let _ = writeln!(s, "  interface \"eth{z}\" = z{z}");
                }
            }
            s.push_str("}\n");
        }
        if u.ratio(1, 2)? {
            let z = u.int_in_range(0..=nzones - 1)?;
            let _ = writeln!(s, "isolation cut {{\n  sever z{z}\n  reason \"fuzz\"\n}}");
        }
        if u.ratio(1, 3)? {
            let _ = writeln!(s, "approval a {{\n  scope level <= 2\n  requires ops\n}}");
        }
        Ok(PolicyText(s))
    }
}
