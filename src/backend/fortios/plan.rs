//! Planning: the rules of one flow merged into one policy, exactly.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::naming::PREFIX;
use super::{bad, unsupported, Family, COMMENTS_MAX, TARGET};
use crate::backend::EmitError;
use crate::lower::{Match, Rule, ZoneInfo};
use crate::model::platform::protocol_problem;
use crate::model::{AddrSet, Platform};

/// One custom service.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Svc {
    Tcp(u16, u16),
    Udp(u16, u16),
    Icmp(u8),
    Icmp6(u8),
    Ip(u8),
    AnyIp,
}

impl Svc {
    /// `conduit-` and what the service matches: `tcp-443`,
    /// `udp-20000-20010`, `icmp-8`, `icmp6-128`, `ip-47`, `ip-any`.
    pub(super) fn name(self) -> String {
        let range = |lo: u16, hi: u16| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }
        };
        let what = match self {
            Svc::Tcp(lo, hi) => format!("tcp-{}", range(lo, hi)),
            Svc::Udp(lo, hi) => format!("udp-{}", range(lo, hi)),
            Svc::Icmp(t) => format!("icmp-{t}"),
            Svc::Icmp6(t) => format!("icmp6-{t}"),
            Svc::Ip(n) => format!("ip-{n}"),
            Svc::AnyIp => "ip-any".to_string(),
        };
        format!("{PREFIX}{what}")
    }

    pub(super) fn body(self) -> Vec<String> {
        let range = |lo: u16, hi: u16| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }
        };
        match self {
            Svc::Tcp(lo, hi) => vec![
                "set protocol TCP/UDP/SCTP".into(),
                format!("set tcp-portrange {}", range(lo, hi)),
            ],
            Svc::Udp(lo, hi) => vec![
                "set protocol TCP/UDP/SCTP".into(),
                format!("set udp-portrange {}", range(lo, hi)),
            ],
            Svc::Icmp(t) => vec!["set protocol ICMP".into(), format!("set icmptype {t}")],
            Svc::Icmp6(t) => vec!["set protocol ICMP6".into(), format!("set icmptype {t}")],
            Svc::Ip(n) => vec!["set protocol IP".into(), format!("set protocol-number {n}")],
            Svc::AnyIp => vec!["set protocol IP".into(), "set protocol-number 0".into()],
        }
    }
}

/// The rules of one flow (or one direction of a catch-all), merged.
pub(super) struct Group<'a> {
    pub(super) first: &'a Rule,
    pub(super) src_zone: usize,
    pub(super) dst_zone: usize,
    pub(super) rules: Vec<&'a Rule>,
    /// Per rule: (sources, destinations) after anti-spoofing.
    pub(super) boxes: Vec<(AddrSet, AddrSet)>,
}

/// One policy to write.
pub(super) struct Plan<'a> {
    pub(super) rule: &'a Rule,
    pub(super) src_zone: usize,
    pub(super) dst_zone: usize,
    pub(super) src: AddrSet,
    pub(super) dst: AddrSet,
    pub(super) services: Vec<Svc>,
    pub(super) service_ref: String,
    pub(super) log: bool,
    pub(super) in_iface: String,
    pub(super) out_iface: String,
    pub(super) id: u32,
    pub(super) policy_name: String,
}

impl Plan<'_> {
    /// The (sources, destinations) of `fam`, when both sides have some.
    pub(super) fn addrs(&self, fam: Family) -> Option<(AddrSet, AddrSet)> {
        let (s, d) = (fam.part(&self.src), fam.part(&self.dst));
        (!s.is_empty() && !d.is_empty()).then_some((s, d))
    }

    pub(super) fn comments(&self, zones: &[ZoneInfo]) -> Result<String, EmitError> {
        let zname = |i: usize| zones.get(i).map(|z| z.name.as_str()).unwrap_or("");
        let mut c = self.rule.name.clone();
        if self.rule.monitor {
            c.push_str(" monitor catch-all");
        }
        let _ = write!(
            c,
            " owner={} from={} to={}",
            self.rule.owner,
            zname(self.src_zone),
            zname(self.dst_zone)
        );
        if c.len() > COMMENTS_MAX {
            return Err(bad(format!(
                "comments for {} exceed {COMMENTS_MAX} characters",
                self.rule.name
            )));
        }
        Ok(c)
    }
}

/// The families a matcher applies to.
pub(super) fn families(m: &Match) -> &'static [Family] {
    match m {
        Match::Icmp(_) => &[Family::V4],
        Match::Icmpv6(_) => &[Family::V6],
        _ => &[Family::V4, Family::V6],
    }
}

/// Merges a group into one policy, or `None` when it admits nothing.
pub(super) fn plan<'a>(g: &Group<'a>, with_firewall: bool) -> Result<Option<Plan<'a>>, EmitError> {
    let first = g.first;
    // Restrict every rule to the families its protocol applies to and that
    // it has on both sides; the union is what the policy will match.
    let mut restricted = Vec::new();
    for (r, (s, d)) in g.rules.iter().zip(&g.boxes) {
        if r.log != first.log
            || r.monitor != first.monitor
            || r.owner != first.owner
            || r.in_iface != first.in_iface
            || r.out_iface != first.out_iface
        {
            return Err(unsupported(format!(
                "rules of {} that differ in logging, owner or interfaces",
                first.name
            )));
        }
        let mut rs = AddrSet::new();
        let mut rd = AddrSet::new();
        for &fam in families(&r.matcher) {
            if fam.has(s) && fam.has(d) {
                rs = rs.union(&fam.part(s));
                rd = rd.union(&fam.part(d));
            }
        }
        restricted.push((*r, rs, rd));
    }
    let src = AddrSet::union_all(restricted.iter().map(|(_, s, _)| s));
    let dst = AddrSet::union_all(restricted.iter().map(|(_, _, d)| d));
    // The merged policy admits src_f x dst_f x every service applying to f.
    // That is exact only when each rule, for each family its protocol
    // applies to, has exactly the merged sets (or the merge has none).
    for (r, rs, rd) in &restricted {
        for &fam in families(&r.matcher) {
            let merged_usable = fam.has(&src) && fam.has(&dst);
            if merged_usable && (fam.part(rs) != fam.part(&src) || fam.part(rd) != fam.part(&dst)) {
                return Err(unsupported(format!(
                    "flow {} whose rules carry different addresses (one policy would widen them)",
                    first.name
                )));
            }
        }
    }
    if src.is_empty() || dst.is_empty() {
        return Ok(None);
    }
    let mut services = BTreeSet::new();
    for (r, rs, _) in &restricted {
        if rs.is_empty() {
            continue;
        }
        match &r.matcher {
            Match::Tcp(p) | Match::Udp(p) => {
                for &(lo, hi) in p.ranges() {
                    if lo == 0 {
                        return Err(unsupported(format!(
                            "port 0 in {} (FortiOS ports are 1-65535)",
                            r.name
                        )));
                    }
                    services.insert(match r.matcher {
                        Match::Tcp(_) => Svc::Tcp(lo, hi),
                        _ => Svc::Udp(lo, hi),
                    });
                }
            }
            Match::Icmp(t) => services.extend(t.iter().map(|&t| Svc::Icmp(t))),
            Match::Icmpv6(t) => services.extend(t.iter().map(|&t| Svc::Icmp6(t))),
            Match::Ip(n) => {
                if let Some(why) = protocol_problem(Platform::Fortios, *n) {
                    return Err(EmitError::Protocol {
                        target: TARGET,
                        rule: r.name.clone(),
                        proto: *n,
                        why,
                    });
                }
                services.insert(Svc::Ip(*n));
            }
            Match::Any => {
                services.insert(Svc::AnyIp);
            }
        }
    }
    if services.is_empty() {
        return Ok(None);
    }
    let iface = |i: &Option<String>| -> Result<String, EmitError> {
        match (i, with_firewall) {
            (Some(i), true) => Ok(i.clone()),
            (None, false) => Ok("any".to_string()),
            _ => Err(unsupported(format!(
                "rule {} whose interfaces do not match the firewall",
                first.name
            ))),
        }
    };
    Ok(Some(Plan {
        rule: first,
        src_zone: g.src_zone,
        dst_zone: g.dst_zone,
        src,
        dst,
        services: services.into_iter().collect(),
        service_ref: String::new(),
        log: first.log || first.monitor,
        in_iface: iface(&first.in_iface)?,
        out_iface: iface(&first.out_iface)?,
        id: 0,
        policy_name: String::new(),
    }))
}
