//! Planning: the rules of one flow merged into one policy, exactly.

use std::borrow::Cow;

use foldhash::HashMap;

use super::naming::PREFIX;
use super::quote::check;
use super::{bad, unsupported, Family, COMMENTS_MAX, TARGET};
use crate::backend::EmitError;
use crate::lower::{Match, Rule, ZoneInfo};
use crate::model::interval::Bound;
use crate::model::platform::protocol_problem;
use crate::model::{AddrSet, IntervalSet, Platform, Text};

/// One custom service.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
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

/// One rule of a group, with its addresses after anti-spoofing.
pub(super) struct Entry<'a> {
    pub(super) rule: &'a Rule,
    pub(super) src: AddrSet,
    pub(super) dst: AddrSet,
    /// The next entry of the same group in `entries`, in rule order.
    pub(super) next: Option<usize>,
}

/// The rules of one flow (or one direction of a catch-all), merged: a list
/// threaded through the entries, so a group allocates nothing of its own.
pub(super) struct Group<'a> {
    pub(super) first: &'a Rule,
    pub(super) src_zone: usize,
    pub(super) dst_zone: usize,
    /// The first and last entry of the group.
    pub(super) head: usize,
    pub(super) tail: usize,
}

impl<'a> Group<'a> {
    /// A group of the entry at `i`, the last of `entries`.
    pub(super) fn new(entries: &[Entry<'a>], src_zone: usize, dst_zone: usize) -> Option<Self> {
        let i = entries.len().checked_sub(1)?;
        Some(Group {
            first: entries.get(i)?.rule,
            src_zone,
            dst_zone,
            head: i,
            tail: i,
        })
    }

    /// Threads the last of `entries` onto the group.
    pub(super) fn push(&mut self, entries: &mut [Entry<'a>]) {
        let i = entries.len().saturating_sub(1);
        if let Some(t) = entries.get_mut(self.tail) {
            t.next = Some(i);
        }
        self.tail = i;
    }

    /// The group's entries, in rule order.
    fn entries<'e>(&self, entries: &'e [Entry<'a>]) -> impl Iterator<Item = &'e Entry<'a>> {
        let mut at = Some(self.head);
        std::iter::from_fn(move || {
            let e = entries.get(at?)?;
            at = e.next;
            Some(e)
        })
    }
}

/// `set` without what lies outside `zone` (shared, not copied, when
/// nothing does).
pub(super) fn clip(set: &AddrSet, zone: &AddrSet) -> AddrSet {
    if zone.is_superset(set) {
        set.clone()
    } else {
        set.intersection(zone)
    }
}

/// The distinct sets of services policies use, each once.
#[derive(Default)]
pub(super) struct SvcSets {
    /// In order of first use.
    pub(super) sets: Vec<Vec<Svc>>,
    index: HashMap<Vec<Svc>, usize>,
}

impl SvcSets {
    fn intern(&mut self, set: &[Svc]) -> usize {
        if let Some(&i) = self.index.get(set) {
            return i;
        }
        let i = self.sets.len();
        self.sets.push(set.to_vec());
        self.index.insert(set.to_vec(), i);
        i
    }
}

/// A policy's sources and destinations of one family.
pub(super) type Sides<T> = (IntervalSet<T>, IntervalSet<T>);

/// One policy to write.
pub(super) struct Plan<'a> {
    pub(super) rule: &'a Rule,
    pub(super) src_zone: usize,
    pub(super) dst_zone: usize,
    /// IPv4 and IPv6 (sources, destinations), when both sides have some.
    pub(super) v4: Option<Sides<u32>>,
    pub(super) v6: Option<Sides<u128>>,
    /// Index of its services in [`SvcSets::sets`].
    pub(super) services: usize,
    pub(super) log: bool,
    pub(super) in_iface: &'a str,
    pub(super) out_iface: &'a str,
    pub(super) id: u32,
    pub(super) policy_name: Cow<'a, str>,
}

impl Plan<'_> {
    /// The pieces of `set comments`, in order: the text is their
    /// concatenation. Checks its length and that it can be quoted.
    pub(super) fn comments<'z>(&'z self, zones: &'z [ZoneInfo]) -> [&'z str; 8] {
        let zname = |i: usize| zones.get(i).map(|z| z.name.as_str()).unwrap_or("");
        [
            self.rule.name.as_str(),
            if self.rule.monitor {
                " monitor catch-all"
            } else {
                ""
            },
            " owner=",
            self.rule.owner.as_str(),
            " from=",
            zname(self.src_zone),
            " to=",
            zname(self.dst_zone),
        ]
    }
}

/// Refuses comments made of `pieces` (see [`Plan::comments`]) that are
/// longer than the limit or cannot be quoted, with the message the whole
/// text would get.
pub(super) fn check_comments(pieces: &[&str], rule: &Rule) -> Result<(), EmitError> {
    if pieces.iter().map(|p| p.len()).sum::<usize>() > COMMENTS_MAX {
        return Err(bad(format!(
            "comments for {} exceed {COMMENTS_MAX} characters",
            rule.name
        )));
    }
    if pieces.iter().all(|p| check(p).is_ok()) {
        return Ok(());
    }
    check(&pieces.concat())
}

/// The families a matcher applies to.
pub(super) fn families(m: &Match) -> &'static [Family] {
    match m {
        Match::Icmp(_) => &[Family::V4],
        Match::Icmpv6(_) => &[Family::V6],
        _ => &[Family::V4, Family::V6],
    }
}

/// Whether an entry takes part in family `fam`: its protocol applies to
/// the family and both sides have addresses of it.
fn takes_part(e: &Entry<'_>, fam: Family) -> bool {
    families(&e.rule.matcher).contains(&fam) && fam.has(&e.src) && fam.has(&e.dst)
}

/// The merged (sources, destinations) of family `fam` of `members`, when
/// one takes part in it. Exact only when every member that takes part
/// holds the same sets, and every member whose protocol applies to the
/// family takes part: otherwise one policy would widen a rule, and the
/// merge is refused.
fn merge<T: Bound>(
    members: &[&Entry<'_>],
    fam: Family,
    part: impl Fn(&AddrSet) -> &IntervalSet<T>,
    name: &str,
) -> Result<Option<Sides<T>>, EmitError> {
    let widen = || {
        unsupported(format!(
            "flow {name} whose rules carry different addresses (one policy would widen them)"
        ))
    };
    let mut merged: Option<(&IntervalSet<T>, &IntervalSet<T>)> = None;
    for e in members.iter().filter(|e| takes_part(e, fam)) {
        let (s, d) = (part(&e.src), part(&e.dst));
        match merged {
            None => merged = Some((s, d)),
            Some((ms, md)) if ms == s && md == d => {}
            Some(_) => return Err(widen()),
        }
    }
    let Some((s, d)) = merged else {
        return Ok(None);
    };
    if members
        .iter()
        .any(|e| families(&e.rule.matcher).contains(&fam) && !takes_part(e, fam))
    {
        return Err(widen());
    }
    Ok(Some((s.clone(), d.clone())))
}

/// Merges a group into one policy, or `None` when it admits nothing.
/// `services` is scratch space, kept between calls.
pub(super) fn plan<'a>(
    g: &Group<'a>,
    entries: &[Entry<'a>],
    with_firewall: bool,
    services: &mut Vec<Svc>,
    svc_sets: &mut SvcSets,
) -> Result<Option<Plan<'a>>, EmitError> {
    let first = g.first;
    let members: Vec<&Entry<'a>> = g.entries(entries).collect();
    for e in &members {
        let r = e.rule;
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
    }
    // Restricted to the families its protocol applies to and that it has
    // on both sides, every rule must hold exactly the merged sets.
    let v4 = merge(&members, Family::V4, AddrSet::v4, &first.name)?;
    let v6 = merge(&members, Family::V6, AddrSet::v6, &first.name)?;
    if v4.is_none() && v6.is_none() {
        return Ok(None);
    }
    services.clear();
    for e in &members {
        let r = e.rule;
        if !takes_part(e, Family::V4) && !takes_part(e, Family::V6) {
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
                    services.push(match r.matcher {
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
                        rule: r.name.to_string(),
                        proto: *n,
                        why,
                    });
                }
                services.push(Svc::Ip(*n));
            }
            Match::Any => services.push(Svc::AnyIp),
        }
    }
    if services.is_empty() {
        return Ok(None);
    }
    services.sort_unstable();
    services.dedup();
    let iface = |i: &'a Option<Text>| -> Result<&'a str, EmitError> {
        match (i, with_firewall) {
            (Some(i), true) => Ok(i.as_str()),
            (None, false) => Ok("any"),
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
        v4,
        v6,
        services: svc_sets.intern(services),
        log: first.log || first.monitor,
        in_iface: iface(&first.in_iface)?,
        out_iface: iface(&first.out_iface)?,
        id: 0,
        policy_name: Cow::Borrowed(""),
    }))
}
