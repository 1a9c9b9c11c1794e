//! The text pieces of the lists, rendered once per file.
//!
//! Each rule appears in two lists (its forward entries in the list of its
//! source zone, its replies in that of its destination zone). Rather than
//! intersect, split and render a rule's address sets for each of them,
//! [`Texts::new`] does it once per rule and family and keeps each distinct
//! address set once, with the number of flat terms it expands to: most
//! rules name the same zones, hosts and groups, so the sets are shared
//! through an index. The entry budget is counted from those numbers
//! ([`Texts::list_sizes`]) before anything is rendered; only then does
//! [`Texts::render`] render each distinct set once and collect the object
//! groups those terms and the service groups name.

use foldhash::{HashMap, HashMapExt as _};

use super::{
    add, addr_terms, bad, family_part, network_group, service_group, term_count, EmitError, Family,
    Form, Groups, Plan, FAMILIES,
};
use crate::backend::guard::printable_lines;
use crate::lower::{Match, Rule, RuleSet};
use crate::model::{AddrSet, IntervalSet};

/// No terms: the side writes nothing.
const NONE: u32 = u32::MAX;

/// The two address sides of one rule's entries in one family: source and
/// destination terms (forward) or responder and initiator terms (reply),
/// as indices into [`Texts::sets`]; [`NONE`] when the side writes nothing.
#[derive(Clone, Copy)]
pub(super) struct Side {
    pub(super) a: u32,
    pub(super) b: u32,
}

impl Side {
    const EMPTY: Side = Side { a: NONE, b: NONE };
    fn is_empty(self) -> bool {
        self.a == NONE
    }
}

/// One planned rule's sides, per family (IPv4, IPv6).
#[derive(Clone, Copy)]
struct RuleText {
    forward: [Side; 2],
    reply: [Side; 2],
    /// The IPv4 service group the forward entries name, an index into
    /// [`Texts::services`].
    service: u32,
}

/// One distinct address set of one family.
struct Set {
    set: AddrSet,
    fam: Family,
    /// The flat terms it expands to (what the entry budget counts).
    count: u64,
}

/// The address sides of every planned rule and, once rendered, their text.
pub(super) struct Texts {
    /// Distinct address sets, per family.
    sets: Vec<Set>,
    /// The rendered terms of each of `sets` (empty until [`Texts::render`]).
    terms: Vec<Box<[String]>>,
    /// Distinct service group names.
    services: Vec<String>,
    /// Per rule of `Plan::ordered`, in its order.
    rules: Vec<RuleText>,
}

/// Keeps each distinct address set of one family once, keyed by the
/// family's part (so a set is found without making its part).
struct Interner<'t> {
    sets: &'t mut Vec<Set>,
    seen4: HashMap<IntervalSet<u32>, u32>,
    seen6: HashMap<IntervalSet<u128>, u32>,
}

impl Interner<'_> {
    /// The index of the family's part of `set`.
    fn intern(&mut self, set: &AddrSet, fam: Family) -> Result<u32, EmitError> {
        let found = match fam {
            Family::V4 => self.seen4.get(set.v4()),
            Family::V6 => self.seen6.get(set.v6()),
        };
        if let Some(&i) = found {
            return Ok(i);
        }
        let i = u32::try_from(self.sets.len())
            .ok()
            .filter(|&i| i != NONE)
            .ok_or_else(|| bad("too many distinct address sets".to_string()))?;
        let part = family_part(set, fam);
        self.sets.push(Set {
            count: term_count(&part, fam),
            set: part,
            fam,
        });
        match fam {
            Family::V4 => self.seen4.insert(set.v4().clone(), i),
            Family::V6 => self.seen6.insert(set.v6().clone(), i),
        };
        Ok(i)
    }
}

/// True when `set` holds no address of `fam`.
fn lacks(set: &AddrSet, fam: Family) -> bool {
    match fam {
        Family::V4 => !set.has_v4(),
        Family::V6 => !set.has_v6(),
    }
}

/// `set ∩ within`, sharing `set` when it already lies within (lowering
/// puts most sources inside their zone).
fn within(set: &AddrSet, within: &AddrSet) -> AddrSet {
    if within.is_superset(set) {
        set.clone()
    } else {
        set.intersection(within)
    }
}

/// Port ranges, ICMP types or protocols per address pair of the forward
/// entries of a rule with matcher `m` in `fam`, in the flat form.
pub(super) fn forward_k(m: &Match, fam: Family) -> u64 {
    let k = match (m, fam) {
        (Match::Tcp(p) | Match::Udp(p), _) => p.ranges().len(),
        (Match::Icmp(t), Family::V4) | (Match::Icmpv6(t), Family::V6) => t.len(),
        (Match::Icmp(_), Family::V6) | (Match::Icmpv6(_), Family::V4) => 0,
        (Match::Ip(_) | Match::Any, _) => 1,
    };
    u64::try_from(k).unwrap_or(u64::MAX)
}

/// Reply entries per address pair of `rule` in `fam`.
pub(super) fn reply_k(rule: &Rule, fam: Family) -> u64 {
    let k = match (&rule.matcher, fam) {
        _ if rule.monitor => 0,
        (Match::Tcp(p) | Match::Udp(p), _) => p.ranges().len(),
        (Match::Icmp(t), Family::V4) if t.contains(&8) => 1,
        (Match::Icmpv6(t), Family::V6) if t.contains(&128) => 1,
        _ => 0,
    };
    u64::try_from(k).unwrap_or(u64::MAX)
}

impl Texts {
    /// The address sides of every rule of `plan`, each distinct set kept
    /// once and not yet rendered.
    pub(super) fn new(rules: &RuleSet, plan: &Plan<'_>) -> Result<Texts, EmitError> {
        let mut sets = Vec::new();
        let mut out = Vec::with_capacity(plan.ordered.len());
        {
            let mut interner = Interner {
                sets: &mut sets,
                seen4: HashMap::new(),
                seen6: HashMap::new(),
            };
            for &(rule, from, to) in &plan.ordered {
                let mut text = RuleText {
                    forward: [Side::EMPTY; 2],
                    reply: [Side::EMPTY; 2],
                    service: NONE,
                };
                let (Some(zf), Some(zt)) = (rules.zones.get(from), rules.zones.get(to)) else {
                    out.push(text);
                    continue;
                };
                // Anti-spoofing: a list only ever admits sources of its own
                // zone; replies only come from responders in theirs.
                let src_in = within(&rule.src, &zf.addrs);
                let resp_in = if rule.monitor {
                    AddrSet::new()
                } else {
                    within(&rule.dst, &zt.addrs)
                };
                for (i, fam) in FAMILIES.into_iter().enumerate() {
                    let applies = match rule.matcher {
                        Match::Icmp(_) => fam == Family::V4,
                        Match::Icmpv6(_) => fam == Family::V6,
                        _ => true,
                    };
                    let replies = !rule.monitor
                        && match (&rule.matcher, fam) {
                            (Match::Tcp(_) | Match::Udp(_), _) => true,
                            (Match::Icmp(t), Family::V4) => t.contains(&8),
                            (Match::Icmpv6(t), Family::V6) => t.contains(&128),
                            _ => false,
                        };
                    if !applies && !replies {
                        continue;
                    }
                    if lacks(&src_in, fam) {
                        continue;
                    }
                    if applies && !lacks(&rule.dst, fam) {
                        let a = interner.intern(&src_in, fam)?;
                        let b = interner.intern(&rule.dst, fam)?;
                        if let Some(side) = text.forward.get_mut(i) {
                            *side = Side { a, b };
                        }
                    }
                    if replies && !lacks(&resp_in, fam) {
                        let a = interner.intern(&resp_in, fam)?;
                        let b = interner.intern(&src_in, fam)?;
                        if let Some(side) = text.reply.get_mut(i) {
                            *side = Side { a, b };
                        }
                    }
                }
                out.push(text);
            }
        }
        Ok(Texts {
            sets,
            terms: Vec::new(),
            services: Vec::new(),
            rules: out,
        })
    }

    /// The flat entries each list gets from the rules, per zone `[IPv4,
    /// IPv6]`: for every rule, the product of its address terms and its
    /// port ranges (or ICMP types, or protocols), forward in its source
    /// zone's list, replies in its destination zone's.
    pub(super) fn list_sizes(&self, plan: &Plan<'_>, zones: usize) -> Vec<[u64; 2]> {
        let mut totals = vec![[0u64; 2]; zones];
        let count = |i: u32| {
            usize::try_from(i)
                .ok()
                .and_then(|i| self.sets.get(i))
                .map_or(0, |s| s.count)
        };
        for (&(rule, from, to), text) in plan.ordered.iter().zip(&self.rules) {
            for (i, fam) in FAMILIES.into_iter().enumerate() {
                let (Some(&f), Some(&r)) = (text.forward.get(i), text.reply.get(i)) else {
                    continue;
                };
                if !f.is_empty() {
                    let n = count(f.a)
                        .saturating_mul(count(f.b))
                        .saturating_mul(forward_k(&rule.matcher, fam));
                    if let Some(t) = totals.get_mut(from).and_then(|t| t.get_mut(i)) {
                        *t = t.saturating_add(n);
                    }
                }
                if !r.is_empty() {
                    let n = count(r.a)
                        .saturating_mul(count(r.b))
                        .saturating_mul(reply_k(rule, fam));
                    if let Some(t) = totals.get_mut(to).and_then(|t| t.get_mut(i)) {
                        *t = t.saturating_add(n);
                    }
                }
            }
        }
        totals
    }

    /// Renders every distinct set in `form` (each checked as text that may
    /// reach the output), and collects the object groups the IPv4 entries
    /// name (none in the flat form).
    pub(super) fn render(
        &mut self,
        plan: &Plan<'_>,
        form: Form,
    ) -> Result<Option<Groups>, EmitError> {
        let mut groups = match form {
            Form::Flat => None,
            Form::ObjectGroups => Some(Groups {
                network: Default::default(),
                service: Default::default(),
            }),
        };
        let mut terms = Vec::with_capacity(self.sets.len());
        for s in &self.sets {
            let grouped = match (s.fam, groups.as_mut()) {
                (Family::V4, Some(g)) => match network_group(&s.set, s.fam) {
                    Some(group) => {
                        let term = format!("object-group {}", group.name());
                        add(&mut g.network, group)?;
                        Some(vec![term])
                    }
                    None => None,
                },
                _ => None,
            };
            let rendered = grouped.unwrap_or_else(|| addr_terms(&s.set, s.fam));
            for t in &rendered {
                printable_lines(super::TARGET, t)?;
            }
            terms.push(rendered.into_boxed_slice());
        }
        self.terms = terms;
        let Some(g) = groups.as_mut() else {
            return Ok(groups);
        };
        let mut index: HashMap<&Match, u32> = HashMap::new();
        for (&(rule, _, _), text) in plan.ordered.iter().zip(self.rules.iter_mut()) {
            if text.forward.first().is_none_or(|s| s.is_empty()) {
                continue;
            }
            if let Some(&k) = index.get(&rule.matcher) {
                text.service = k;
            } else if let Some(sg) = service_group(&rule.matcher, Family::V4) {
                let k = u32::try_from(self.services.len())
                    .map_err(|_| bad("too many distinct services".to_string()))?;
                self.services.push(sg.name().to_string());
                add(&mut g.service, sg)?;
                index.insert(&rule.matcher, k);
                text.service = k;
            }
        }
        Ok(groups)
    }

    fn side(&self, at: usize, fam: Family, reply: bool) -> Option<(&[String], &[String])> {
        let r = self.rules.get(at)?;
        let i = usize::from(fam == Family::V6);
        let side = *if reply {
            r.reply.get(i)?
        } else {
            r.forward.get(i)?
        };
        if side.is_empty() {
            return None;
        }
        let a = self.terms.get(usize::try_from(side.a).ok()?)?;
        let b = self.terms.get(usize::try_from(side.b).ok()?)?;
        Some((a, b))
    }

    /// Source and destination terms of the forward entries of the rule at
    /// `at` in `fam`, when it has any.
    pub(super) fn forward(&self, at: usize, fam: Family) -> Option<(&[String], &[String])> {
        self.side(at, fam, false)
    }

    /// Responder and initiator terms of the reply entries of the rule at
    /// `at` in `fam`, when it has any.
    pub(super) fn reply(&self, at: usize, fam: Family) -> Option<(&[String], &[String])> {
        self.side(at, fam, true)
    }

    /// The IPv4 service group the forward entries of the rule at `at` name.
    pub(super) fn service(&self, at: usize) -> Option<&str> {
        let r = self.rules.get(at)?;
        self.services
            .get(usize::try_from(r.service).ok()?)
            .map(String::as_str)
    }
}
