//! Policy text generators shared by the benchmarks.
#![allow(dead_code, reason = "each bench uses what it needs")]

use std::fmt::Write as _;

pub mod timing;

/// The environment variable `name` as a number, or `default` when it is
/// unset or not a number.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A plant of `zones` zones (20 hosts each, dual-stack on even zones) and
/// about `flows` flows, spread over conduits between neighbouring zones,
/// host to host, with varied services, owners, expiry and logging. The text
/// checks without errors against 2026-12-01.
pub fn plant(zones: usize, flows: usize) -> String {
    let zones = zones.max(2);
    let mut s = String::with_capacity(flows * 200 + zones * 800);
    s.push_str(
        "owner plant-ops {\n  name \"Plant operations\"\n  contact \"ot@example.com\"\n}\n\n",
    );
    s.push_str("owner it-sec {\n  contact \"itsec@example.com\"\n}\n\n");
    s.push_str(
        "service historian = tcp/5450, tcp/5457\nservice vendor-range = tcp/20000-20010\n\n",
    );
    let levels = ["1", "2", "3", "3.5", "2", "1"];
    for z in 0..zones {
        let (a, b) = (10 + z / 250, z % 250);
        let _ = writeln!(s, "zone z{z} {{");
        let _ = writeln!(s, "  level {}", levels[z % levels.len()]);
        let _ = writeln!(
            s,
            "  owner {}",
            if z % 3 == 0 { "it-sec" } else { "plant-ops" }
        );
        let _ = writeln!(s, "  sl {}", 1 + z % 3);
        let _ = writeln!(s, "  description \"Generated zone {z}\"");
        if z % 2 == 0 {
            let _ = writeln!(s, "  networks {a}.{b}.0.0/16, 2001:db8:{z:x}::/48");
        } else {
            let _ = writeln!(s, "  networks {a}.{b}.0.0/16");
        }
        for h in 0..20 {
            if z % 2 == 0 {
                let _ = writeln!(
                    s,
                    "  host h{h} = {a}.{b}.{}.{}, 2001:db8:{z:x}::{:x}",
                    h / 200,
                    1 + h % 200,
                    h + 1
                );
            } else {
                let _ = writeln!(s, "  host h{h} = {a}.{b}.{}.{}", h / 200, 1 + h % 200);
            }
        }
        let _ = writeln!(s, "  group odd = h1, h3, h5, {a}.{b}.128.0/24");
        s.push_str("}\n\n");
    }
    let services = [
        "modbus",
        "opcua",
        "historian",
        "tcp/8080",
        "udp/161",
        "dnp3",
        "vendor-range",
        "https",
        "ntp",
        "syslog",
    ];
    let conduits = zones; // a ring: z_i -- z_{i+1}
    let per = flows.div_ceil(conduits);
    let mut made = 0;
    for c in 0..conduits {
        let (x, y) = (c, (c + 1) % zones);
        let _ = writeln!(
            s,
            "conduit c{c} {{\n  zones z{x}, z{y}\n  owner plant-ops\n  sl 3"
        );
        for f in 0..per {
            if made == flows {
                break;
            }
            made += 1;
            let (from, to) = if f % 2 == 0 { (x, y) } else { (y, x) };
            let svc = services[(f / 2) % services.len()];
            let _ = writeln!(s, "  flow f{f} {{");
            let _ = writeln!(s, "    from z{from}.h{}", f % 20);
            let _ = writeln!(
                s,
                "    to z{to}.h{}, z{to}.h{}",
                (f / 2) % 20,
                (f / 2 + 7) % 20
            );
            let _ = writeln!(s, "    service {svc}, tcp/{}", 30000 + f);
            let _ = writeln!(s, "    reason \"Generated flow {f} of conduit {c}\"");
            if f % 7 == 0 {
                s.push_str("    expires 2027-12-31\n");
            }
            if f % 5 == 0 {
                s.push_str("    log\n");
            }
            s.push_str("    waive W102 \"generated\"\n    waive W101 \"generated\"\n  }\n");
        }
        s.push_str("}\n\n");
    }
    s
}
