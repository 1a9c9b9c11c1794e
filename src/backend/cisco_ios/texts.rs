//! The text pieces of the lists, rendered once per file.
//!
//! Every list is written twice (a first pass hashes its body for the list's
//! name), and each rule appears in two lists (its forward entries in the
//! list of its source zone, its replies in that of its destination zone).
//! Rather than intersect, split and render a rule's address sets four times
//! over, [`Texts::new`] does it once per rule and family, and renders each
//! distinct address set once: most rules name the same zones, hosts and
//! groups, so the rendered terms are shared through an index. It also
//! collects the object groups those terms and the service groups name.

use std::collections::HashMap;

use super::{
    add, addr_terms, bad, family_part, network_group, service_group, EmitError, Family, Form,
    Groups, Plan, FAMILIES,
};
use crate::lower::{Match, RuleSet};
use crate::model::AddrSet;

/// No terms: the side writes nothing.
const NONE: u32 = u32::MAX;

/// The two address sides of one rule's entries in one family: source and
/// destination terms (forward) or responder and initiator terms (reply),
/// as indices into [`Texts::terms`]; [`NONE`] when the side writes nothing.
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

/// The rendered pieces of every planned rule.
pub(super) struct Texts {
    /// Distinct address term lists.
    terms: Vec<Box<[String]>>,
    /// Distinct service group names.
    services: Vec<String>,
    /// Per rule of `Plan::ordered`, in its order.
    rules: Vec<RuleText>,
}

/// Renders each distinct address set of one family once.
struct Interner<'t> {
    terms: &'t mut Vec<Box<[String]>>,
    seen: [HashMap<AddrSet, u32>; 2],
}

impl Interner<'_> {
    /// The terms of `set` (already the family's part): an object group for
    /// several IPv4 prefixes when `groups` is given (and the group added to
    /// it), the flat terms otherwise.
    fn intern(
        &mut self,
        set: AddrSet,
        fam: Family,
        groups: Option<&mut Groups>,
    ) -> Result<u32, EmitError> {
        let slot = usize::from(fam == Family::V6);
        if let Some(&i) = self.seen.get(slot).and_then(|m| m.get(&set)) {
            return Ok(i);
        }
        let rendered: Vec<String> = match groups {
            Some(groups) => match network_group(&set, fam) {
                Some(g) => {
                    let term = format!("object-group {}", g.name());
                    add(&mut groups.network, g)?;
                    vec![term]
                }
                None => addr_terms(&set, fam),
            },
            None => addr_terms(&set, fam),
        };
        let i = u32::try_from(self.terms.len())
            .map_err(|_| bad("too many distinct address sets".to_string()))?;
        self.terms.push(rendered.into_boxed_slice());
        if let Some(m) = self.seen.get_mut(slot) {
            m.insert(set, i);
        }
        Ok(i)
    }
}

impl Texts {
    /// Renders every rule of `plan` in `form`, and collects the object
    /// groups the IPv4 entries name (none in the flat form).
    pub(super) fn new(
        rules: &RuleSet,
        plan: &Plan<'_>,
        form: Form,
    ) -> Result<(Texts, Option<Groups>), EmitError> {
        let mut groups = match form {
            Form::Flat => None,
            Form::ObjectGroups => Some(Groups {
                network: Default::default(),
                service: Default::default(),
            }),
        };
        let mut terms = Vec::new();
        let mut services: Vec<String> = Vec::new();
        let mut service_index: HashMap<Match, u32> = HashMap::new();
        let mut out = Vec::with_capacity(plan.ordered.len());
        {
            let mut interner = Interner {
                terms: &mut terms,
                seen: [HashMap::new(), HashMap::new()],
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
                let src_in = rule.src.intersection(&zf.addrs);
                let resp_in = if rule.monitor {
                    AddrSet::new()
                } else {
                    rule.dst.intersection(&zt.addrs)
                };
                for (i, fam) in FAMILIES.into_iter().enumerate() {
                    let mut grouping = match fam {
                        Family::V4 => groups.as_mut(),
                        Family::V6 => None,
                    };
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
                    let src = family_part(&src_in, fam);
                    if src.is_empty() {
                        continue;
                    }
                    if applies {
                        let dst = family_part(&rule.dst, fam);
                        if !dst.is_empty() {
                            let a = interner.intern(src.clone(), fam, grouping.as_deref_mut())?;
                            let b = interner.intern(dst, fam, grouping.as_deref_mut())?;
                            if let Some(side) = text.forward.get_mut(i) {
                                *side = Side { a, b };
                            }
                            if let Some(g) = grouping.as_deref_mut() {
                                if let Some(&k) = service_index.get(&rule.matcher) {
                                    text.service = k;
                                } else if let Some(sg) = service_group(&rule.matcher, fam) {
                                    let k = u32::try_from(services.len()).map_err(|_| {
                                        bad("too many distinct services".to_string())
                                    })?;
                                    services.push(sg.name().to_string());
                                    add(&mut g.service, sg)?;
                                    service_index.insert(rule.matcher.clone(), k);
                                    text.service = k;
                                }
                            }
                        }
                    }
                    if replies {
                        let resp = family_part(&resp_in, fam);
                        if !resp.is_empty() {
                            let a = interner.intern(resp, fam, grouping.as_deref_mut())?;
                            let b = interner.intern(src, fam, grouping)?;
                            if let Some(side) = text.reply.get_mut(i) {
                                *side = Side { a, b };
                            }
                        }
                    }
                }
                out.push(text);
            }
        }
        Ok((
            Texts {
                terms,
                services,
                rules: out,
            },
            groups,
        ))
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
