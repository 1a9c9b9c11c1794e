//! `conduitc paths`: attack paths between zones.
//!
//! A path is a chain of rules in force `r1, r2, ... rn` where `r1` starts in
//! the attacker's zone, `rn` ends in the target zone, and each hop can be
//! taken from a foothold the previous one reached: the destinations of
//! `r(i)` intersect the sources of `r(i+1)` (an attacker who compromises a
//! host reached by one flow uses it to initiate the next). No zone is
//! visited twice. Monitor-mode catch-alls count as hops (they admit
//! everything between their zones). Paths are computed on the lowered rule
//! set, so expiry, `--today` and isolation modes apply as they do in `build`.

use serde::Serialize;

use crate::lower::{Match, RuleSet};
use crate::model::AddrSet;

/// Most paths reported; more are counted as truncated.
pub const MAX_PATHS: usize = 100;

/// One hop of a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// `conduit/flow` or `conduit/*`.
    pub flow: String,
    /// Zone of the sources.
    pub from_zone: String,
    /// Zone of the destinations.
    pub to_zone: String,
    /// Footholds this hop can start from (sources ∩ previous reach).
    pub from: String,
    /// Addresses this hop reaches.
    pub to: String,
    /// What it admits (`tcp/3389`, `any` for a monitor catch-all).
    pub service: String,
}

/// One path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Path {
    /// Zones in order, first the attacker's.
    pub zones: Vec<String>,
    /// The hops.
    pub hops: Vec<Hop>,
}

/// The answer to `paths --from A --to B`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Paths {
    /// Attacker's zone.
    pub from: String,
    /// Target zone.
    pub to: String,
    /// Paths, shortest first, then by flow names.
    pub paths: Vec<Path>,
    /// True when more than [`MAX_PATHS`] paths exist.
    pub truncated: bool,
}

/// Describes what a rule admits.
pub fn describe(m: &Match) -> String {
    use crate::model::service::icmp_type_name;
    let ports = |kw: &str, p: &crate::model::PortSet| {
        p.ranges()
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    format!("{kw}/{a}")
                } else {
                    format!("{kw}/{a}-{b}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let types = |kw: &str, t: &std::collections::BTreeSet<u8>, v6: bool| {
        t.iter()
            .map(|&x| match icmp_type_name(x, v6) {
                Some(n) => format!("{kw}/{n}"),
                None => format!("{kw}/{x}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match m {
        Match::Tcp(p) => ports("tcp", p),
        Match::Udp(p) => ports("udp", p),
        Match::Icmp(t) => types("icmp", t, false),
        Match::Icmpv6(t) => types("icmpv6", t, true),
        Match::Ip(n) => format!("ip/{n}"),
        Match::Any => "any".to_string(),
    }
}

/// Finds attack paths from zone `from` to zone `to` (names compared
/// case-insensitively; the caller checks they exist).
pub fn find(rules: &RuleSet, from: &str, to: &str) -> Paths {
    let start = rules
        .zones
        .iter()
        .find(|z| z.name.eq_ignore_ascii_case(from))
        .map(|z| (z.name.clone(), z.addrs.clone()));
    let target = rules
        .zones
        .iter()
        .find(|z| z.name.eq_ignore_ascii_case(to))
        .map(|z| z.name.clone());
    let mut out = Paths {
        from: start
            .as_ref()
            .map(|s| s.0.clone())
            .unwrap_or_else(|| from.to_string()),
        to: target.clone().unwrap_or_else(|| to.to_string()),
        paths: Vec::new(),
        truncated: false,
    };
    let (Some((start_name, start_addrs)), Some(target)) = (start, target) else {
        return out;
    };
    let mut stack = Vec::new();
    let mut visited = vec![start_name.to_ascii_lowercase()];
    search(
        rules,
        &start_addrs,
        &start_name,
        &target,
        &mut visited,
        &mut stack,
        &mut out,
    );
    out.paths.sort_by(|a, b| {
        a.hops.len().cmp(&b.hops.len()).then_with(|| {
            let an: Vec<&str> = a.hops.iter().map(|h| h.flow.as_str()).collect();
            let bn: Vec<&str> = b.hops.iter().map(|h| h.flow.as_str()).collect();
            an.cmp(&bn)
        })
    });
    out
}

fn search(
    rules: &RuleSet,
    reach: &AddrSet,
    zone: &str,
    target: &str,
    visited: &mut Vec<String>,
    stack: &mut Vec<Hop>,
    out: &mut Paths,
) {
    for r in &rules.rules {
        if !r.src_zone.eq_ignore_ascii_case(zone) {
            continue;
        }
        let next = r.dst_zone.to_ascii_lowercase();
        if visited.contains(&next) {
            continue;
        }
        let foothold = reach.intersection(&r.src);
        if foothold.is_empty() {
            continue;
        }
        stack.push(Hop {
            flow: r.name.clone(),
            from_zone: r.src_zone.clone(),
            to_zone: r.dst_zone.clone(),
            from: foothold.to_string(),
            to: r.dst.to_string(),
            service: describe(&r.matcher),
        });
        if r.dst_zone.eq_ignore_ascii_case(target) {
            if out.paths.len() >= MAX_PATHS {
                out.truncated = true;
            } else {
                let mut zones = vec![stack[0].from_zone.clone()];
                zones.extend(stack.iter().map(|h| h.to_zone.clone()));
                out.paths.push(Path {
                    zones,
                    hops: stack.clone(),
                });
            }
        } else if !out.truncated {
            visited.push(next);
            search(rules, &r.dst, &r.dst_zone, target, visited, stack, out);
            visited.pop();
        }
        stack.pop();
    }
}

/// Renders paths for a terminal.
pub fn to_text(p: &Paths) -> String {
    let mut s = String::new();
    if p.paths.is_empty() {
        s.push_str(&format!("no path from {} to {}\n", p.from, p.to));
        return s;
    }
    s.push_str(&format!(
        "{}{} path{} from {} to {}\n",
        p.paths.len(),
        if p.truncated { "+" } else { "" },
        if p.paths.len() == 1 { "" } else { "s" },
        p.from,
        p.to
    ));
    for (i, path) in p.paths.iter().enumerate() {
        s.push_str(&format!("\n{}. {}\n", i + 1, path.zones.join(" -> ")));
        for h in &path.hops {
            s.push_str(&format!(
                "   {} ({}): {} -> {}\n",
                h.flow, h.service, h.from, h.to
            ));
        }
    }
    if p.truncated {
        s.push_str(&format!(
            "\n(only the first {MAX_PATHS} paths are listed)\n"
        ));
    }
    s
}
