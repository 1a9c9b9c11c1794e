//! Firewalls: a platform and at least one interface; interface names valid
//! for the platform (`E601`), zones known, one interface per zone (`E602`)
//! and no interface declared twice (`E604`, with IOS abbreviations expanded
//! on `cisco-ios`); every flow the firewall compiles expressible on its
//! platform (`E605`); and on `cisco-ios`, every list within its entry budget
//! (`E606`) and under its warning budget, `acl-budget` or 4,000 (`W115`;
//! a budget out of range or on another platform is `E607`). The platform
//! rules live in [`crate::model::platform`], which
//! the backends read too, so check and build agree.

use std::collections::HashMap;

use super::names::single;
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::limits::{IOS_ACL_ENTRY_WARNING, MAX_IOS_ACL_ENTRIES};
use crate::model::platform;
use crate::model::{Firewall, Interface, Name, Platform};
use crate::source::Span;
use crate::syntax::ast::{self, FirewallAttr};

use super::names::NameTable;

impl<'a> Checker<'a> {
    pub(crate) fn firewalls_stage(&mut self, decls: impl Iterator<Item = &'a ast::Decl>) {
        let mut table = NameTable::new("firewall");
        let mut seen_addrs = HashMap::new();
        for d in decls {
            let ast::Decl::Firewall(b) = d else { continue };
            if !table.declare(&b.name, self.policy.firewalls.len(), &mut self.diags) {
                continue;
            }
            let platform = single(
                b,
                &format!("firewall `{}`", b.name.text),
                "platform",
                true,
                &mut self.diags,
                |a| match a {
                    FirewallAttr::Platform(p) => Some(*p),
                    _ => None,
                },
            );
            let platform_span = platform.map(|(_, a)| a.span);
            let platform = platform.map(|(p, _)| p);
            let budget = single(
                b,
                &format!("firewall `{}`", b.name.text),
                "acl-budget",
                false,
                &mut self.diags,
                |a| match a {
                    FirewallAttr::AclBudget(n, s) => Some((*n, *s)),
                    _ => None,
                },
            );
            let acl_budget = match budget {
                Some(((n, vspan), a)) => {
                    self.acl_budget(&b.name.text, n, vspan, a.span, platform, platform_span)
                }
                None => None,
            };
            let budget_span = budget.map(|(_, a)| a.span);
            let mut interfaces: Vec<(Interface, Span, Span)> = Vec::new();
            // Index into `interfaces` by zone and by name.
            let mut by_zone: HashMap<usize, usize> = HashMap::new();
            let mut by_name: HashMap<String, usize> = HashMap::new();
            let mut ok = platform.is_some();
            for a in &b.attrs {
                let FirewallAttr::Interface(i) = &a.value else {
                    continue;
                };
                if let Some(p) = platform {
                    if let Some(d) = interface_name_problem(&i.name.value, p, i.name.span) {
                        self.diags.push(d);
                        ok = false;
                    }
                }
                let Some(zone) = self.zones.resolve(&i.zone, &mut self.diags) else {
                    ok = false;
                    continue;
                };
                if let Some((_, first, _)) = by_zone.get(&zone).map(|&k| &interfaces[k]) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateInterfaceZone,
                            a.span,
                            format!(
                                "firewall `{}` has two interfaces for zone `{}`",
                                b.name.text, i.zone.text
                            ),
                        )
                        .label("second interface for the zone")
                        .with(*first, "first interface for the zone")
                        .help("a zone faces a firewall on one interface"),
                    );
                    ok = false;
                    continue;
                }
                let key = match platform {
                    Some(p) => platform::interface_key(p, &i.name.value),
                    None => i.name.value.to_string(),
                };
                if let Some((first_iface, _, first)) = by_name.get(&key).map(|&k| &interfaces[k]) {
                    let same = if first_iface.name == i.name.value {
                        String::new()
                    } else {
                        format!(" (as `{}`)", first_iface.name)
                    };
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateInterfaceName,
                            i.name.span,
                            format!(
                                "firewall `{}` declares interface `{}` twice{same}",
                                b.name.text, i.name.value
                            ),
                        )
                        .label("declared again")
                        .with(*first, "first declared here")
                        .help("an interface faces one zone; remove one of them"),
                    );
                    ok = false;
                    continue;
                }
                let iface = Interface {
                    name: i.name.value.to_string(),
                    zone,
                    addrs: i.addrs.iter().map(|(a, _)| *a).collect(),
                };
                ok &= self.interface_addrs(&b.name.text, &iface, &i.addrs, &mut seen_addrs);
                by_zone.insert(zone, interfaces.len());
                by_name.insert(key, interfaces.len());
                interfaces.push((iface, a.span, i.name.span));
            }
            if !b
                .attrs
                .iter()
                .any(|a| matches!(a.value, FirewallAttr::Interface(_)))
            {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingAttribute,
                        b.name.span,
                        format!("firewall `{}` has no `interface`", b.name.text),
                    )
                    .label("at least one `interface` is required")
                    .help("add `interface \"NAME\" = zone` for each zone the firewall faces"),
                );
                ok = false;
            }
            let local = self.local_entries(b, platform, &interfaces);
            if let (true, Some(platform), Some(local)) = (ok, platform, local) {
                self.policy.firewalls.push(Firewall {
                    name: Name::from(&b.name.text),
                    platform,
                    interfaces: interfaces.into_iter().map(|(i, _, _)| i).collect(),
                    acl_budget,
                    local,
                });
                let fw = self.policy.firewalls.len() - 1;
                self.no_management(fw, b.name.span);
                if let Some(span) = platform_span {
                    self.expressible(fw, span);
                }
                if platform::spec(platform).max_list_entries.is_some() {
                    self.ios_budget(fw, b.name.span, budget_span);
                }
            }
        }
    }

    /// The firewall's `acl-budget`, or `E607` (and `None`) when it is out of
    /// range or the platform is not `cisco-ios`.
    fn acl_budget(
        &mut self,
        fw_name: &str,
        n: u64,
        vspan: Span,
        aspan: Span,
        platform: Option<Platform>,
        platform_span: Option<Span>,
    ) -> Option<usize> {
        if let (Some(p), Some(ps)) = (platform, platform_span) {
            if platform::spec(p).max_list_entries.is_none() {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidAclBudget,
                        aspan,
                        format!(
                            "firewall `{fw_name}` is {}, which has no access list budget",
                            p.as_str()
                        ),
                    )
                    .label("`acl-budget` applies to `cisco-ios` firewalls only")
                    .with(ps, format!("the platform is {}", p.as_str()))
                    .help("remove `acl-budget`, or make the firewall `platform cisco-ios`"),
                );
                return None;
            }
        }
        match usize::try_from(n) {
            Ok(v) if (1..=MAX_IOS_ACL_ENTRIES).contains(&v) => Some(v),
            _ => {
                let shown = if n == u64::MAX {
                    "this number".to_string()
                } else {
                    format!("`{n}`")
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidAclBudget,
                        vspan,
                        format!(
                            "{shown} is not an access list budget: firewall `{fw_name}` takes 1 to {MAX_IOS_ACL_ENTRIES} entries"
                        ),
                    )
                    .label(format!("not between 1 and {MAX_IOS_ACL_ENTRIES}"))
                    .help(format!(
                        "give the entries per list the device's tables hold, at most {MAX_IOS_ACL_ENTRIES} (longer lists are refused by E606)"
                    )),
                );
                None
            }
        }
    }

    /// `E605` for every `ip/N` that a flow compiled by firewall `fw` uses
    /// and the firewall's platform cannot express, at the service that
    /// brings it in.
    fn expressible(&mut self, fw: usize, platform_span: Span) {
        let Some(firewall) = self.policy.firewalls.get(fw) else {
            return;
        };
        let platform = firewall.platform;
        let fw_name = firewall.name.to_string();
        let faces = |z: usize| firewall.interface_for(z).is_some();
        let mut found = Vec::new();
        for (ci, c) in self.policy.conduits.iter().enumerate() {
            if !(faces(c.zones[0]) && faces(c.zones[1])) {
                continue;
            }
            for (fi, f) in c.flows.iter().enumerate() {
                for &n in &f.services.ip {
                    if let Some(why) = platform::protocol_problem(platform, n) {
                        found.push((ci, fi, f.full_name.clone(), n, why));
                    }
                }
            }
        }
        for (ci, fi, full_name, n, why) in found {
            let Some(fdecl) = self.conduit_decls.get(ci).and_then(|c| c.flows.get(fi)) else {
                continue;
            };
            let (mut at, services) = (fdecl.name, fdecl.services.clone());
            let mut direct = false;
            for r in services.iter() {
                if self.service_ref(r).is_some_and(|s| s.ip.contains(&n)) {
                    at = r.span;
                    direct = r.spec.is_some();
                    break;
                }
            }
            self.diags.push(
                Diagnostic::new(
                    Code::ProtocolNotExpressible,
                    at,
                    format!(
                        "flow `{full_name}` uses ip/{n}, which firewall `{fw_name}` ({}) cannot express: {why}",
                        platform.as_str()
                    ),
                )
                .label(if direct {
                    format!("ip/{n} here")
                } else {
                    format!("brings in ip/{n}")
                })
                .with(platform_span, format!("firewall `{fw_name}` is {}", platform.as_str()))
                .help(format!(
                    "remove ip/{n} from the flow, or carry the flow through a firewall whose platform expresses it (nftables expresses every protocol number)"
                )),
            );
        }
    }
}

/// One contribution to an IOS list: `entries` = `a` x `b` x `k`.
struct Part {
    /// The zone whose list it lands in, and the family (0 IPv4, 1 IPv6).
    zone: usize,
    fam: usize,
    entries: u64,
    a: u64,
    b: u64,
    k: u64,
    reply: bool,
    /// The flow (conduit, flow index), or `None` for a monitor catch-all.
    conduit: usize,
    flow: Option<usize>,
}

impl Checker<'_> {
    /// `E606` when a list of the `cisco-ios` firewall `fw` would hold more
    /// than its platform's `max_list_entries` ([`MAX_IOS_ACL_ENTRIES`]) entries. Counts what the backend writes
    /// for every flow in force today (a later date or an isolation mode only
    /// removes flows, so a firewall that passes here builds for them all).
    /// Else `W115` when a list holds more than the firewall's `acl-budget`
    /// (at `budget_span`) or [`IOS_ACL_ENTRY_WARNING`] entries.
    fn ios_budget(&mut self, fw: usize, fw_span: Span, budget_span: Option<Span>) {
        let Some(firewall) = self.policy.firewalls.get(fw) else {
            return;
        };
        let zones = &self.policy.zones;
        let faces = |z: usize| firewall.interface_for(z).is_some();
        // Totals per list (zone, family): the fixed entries, then every
        // part. The parts themselves are gathered again only for the one
        // list a diagnostic names.
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let fixed = [2u64, 4u64];
        let mut totals: Vec<Option<u64>> = vec![None; 2 * zones.len()];
        self.ios_parts(firewall, |p| {
            if let Some(t) = totals.get_mut(2 * p.zone + p.fam) {
                let t = t.get_or_insert(fixed[p.fam]);
                *t = t.saturating_add(p.entries);
            }
        });
        let max = platform::spec(firewall.platform)
            .max_list_entries
            .unwrap_or(MAX_IOS_ACL_ENTRIES);
        // The first list over `limit`, in zone order, as the build writes them.
        let first_over = |limit: usize| {
            let limit = count(limit);
            (0..zones.len()).filter(|&z| faces(z)).find_map(|z| {
                [0, 1].into_iter().find_map(|fam| {
                    totals
                        .get(2 * z + fam)
                        .copied()
                        .flatten()
                        .filter(|&t| t > limit)
                        .map(|t| (z, fam, t))
                })
            })
        };
        // Over the hard budget: `E606`. Else over the warning budget (when it
        // is the lower one): `W115`, waivable in the conduit of the flow that
        // contributes most.
        let warn = firewall.acl_budget.unwrap_or(IOS_ACL_ENTRY_WARNING);
        let (code, budget, over) = match first_over(max) {
            Some(o) => (Code::IosAclTooLarge, max, o),
            None if warn < max => match first_over(warn) {
                Some(o) => (Code::IosAclOverBudget, warn, o),
                None => return,
            },
            None => return,
        };
        let (zone, fam, total) = over;
        let fw_name = firewall.name.to_string();
        let zone_name = zones
            .get(zone)
            .map(|z| z.name.to_string())
            .unwrap_or_default();
        let list = format!("conduit-{zone_name}-in{}", if fam == 1 { "6" } else { "" });
        let mut mine: Vec<Part> = Vec::new();
        self.ios_parts(firewall, |p| {
            if p.zone == zone && p.fam == fam {
                mine.push(p);
            }
        });
        mine.sort_by_key(|p| std::cmp::Reverse(p.entries));
        let mut d = if code == Code::IosAclTooLarge {
            Diagnostic::new(
                code,
                fw_span,
                format!(
                    "firewall `{fw_name}` (cisco-ios): access list {list} would hold {total} entries, over the budget of {max} per list"
                ),
            )
            .label(format!("its list {list} is too long"))
        } else {
            Diagnostic::new(
                code,
                fw_span,
                format!(
                    "firewall `{fw_name}` (cisco-ios): access list {list} would hold {total} entries, over the warning budget of {budget} per list (the limit is {max})"
                ),
            )
            .label(if firewall.acl_budget.is_some() {
                format!("its list {list} is over the budget the device holds")
            } else {
                format!("its list {list} is close to the limit")
            })
        };
        if let (Code::IosAclOverBudget, Some(s), Some(_)) = (code, budget_span, firewall.acl_budget)
        {
            d = d.with(s, "the warning budget, set by `acl-budget`");
        }
        for p in mine.iter().take(3) {
            let decl = self.conduit_decls.get(p.conduit);
            let span = match (decl, p.flow) {
                (Some(c), Some(fi)) => c.flows.get(fi).map(|f| f.name),
                (Some(c), None) => Some(c.name),
                _ => None,
            };
            let Some(span) = span else { continue };
            let (sa, sb) = if p.reply {
                ("responder", "initiator")
            } else {
                ("source", "destination")
            };
            let what = if p.flow.is_none() {
                "monitor catch-all: "
            } else if p.reply {
                "replies: "
            } else {
                ""
            };
            d = d.with(
                span,
                format!(
                    "{what}{} entries = {} {sa} prefixes x {} {sb} prefixes x {} services (port ranges, ICMP types, protocols)",
                    p.entries, p.a, p.b, p.k
                ),
            );
        }
        let fewer = "each entry is one source prefix, one destination prefix and one port range: give these flows fewer, larger address blocks (hosts in one prefix, a group of prefixes), fewer port ranges, or split them over zones";
        let d = if code == Code::IosAclTooLarge {
            d.help(fewer)
        } else {
            d.help(format!(
                "{fewer}; or, when the device holds the list, set the firewall's `acl-budget` to what it holds, or waive W115 in the conduit of the first flow named"
            ))
        };
        match (code, mine.first()) {
            (Code::IosAclOverBudget, Some(top)) => {
                self.warnings.push((d, top.conduit, top.flow));
            }
            (Code::IosAclOverBudget, None) => {}
            _ => self.diags.push(d),
        }
    }

    /// Every part of the lists of the `cisco-ios` firewall `firewall`: per
    /// flow in force (and monitor catch-all), family and direction, the
    /// entries it adds to one list, in the order the build writes them.
    fn ios_parts(&self, firewall: &Firewall, mut each: impl FnMut(Part)) {
        let zones = &self.policy.zones;
        let faces = |z: usize| firewall.interface_for(z).is_some();
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        for (ci, c) in self.policy.conduits.iter().enumerate() {
            if !(faces(c.zones[0]) && faces(c.zones[1])) {
                continue;
            }
            for (fi, f) in c.flows.iter().enumerate() {
                let (Some(zf), Some(zt)) = (zones.get(f.from_zone), zones.get(f.to_zone)) else {
                    continue;
                };
                let s = &f.services;
                let ports = count(s.tcp.ranges().len()).saturating_add(count(s.udp.ranges().len()));
                let src = f.src.intersection(&zf.addrs);
                let resp = f.dst.intersection(&zt.addrs);
                for (fam, v6) in [(0, false), (1, true)] {
                    let (icmp, echo) = if v6 {
                        (count(s.icmpv6.len()), s.icmpv6.contains(&128))
                    } else {
                        (count(s.icmp.len()), s.icmp.contains(&8))
                    };
                    let a = platform::ios_address_terms(&src, v6);
                    let k = ports.saturating_add(icmp).saturating_add(count(s.ip.len()));
                    let b = platform::ios_address_terms(&f.dst, v6);
                    let kr = ports.saturating_add(u64::from(echo));
                    let r = platform::ios_address_terms(&resp, v6);
                    for (zone, a, b, k, reply) in
                        [(f.from_zone, a, b, k, false), (f.to_zone, r, a, kr, true)]
                    {
                        let entries = a.saturating_mul(b).saturating_mul(k);
                        if entries > 0 {
                            each(Part {
                                zone,
                                fam,
                                entries,
                                a,
                                b,
                                k,
                                reply,
                                conduit: ci,
                                flow: Some(fi),
                            });
                        }
                    }
                }
            }
            if c.mode == crate::model::Mode::Monitor {
                let [x, y] = c.zones;
                for (from, to) in [(x, y), (y, x)] {
                    let (Some(zf), Some(zt)) = (zones.get(from), zones.get(to)) else {
                        continue;
                    };
                    for (fam, v6) in [(0, false), (1, true)] {
                        let a = platform::ios_address_terms(&zf.addrs, v6);
                        let b = platform::ios_address_terms(&zt.addrs, v6);
                        let entries = a.saturating_mul(b);
                        if entries > 0 {
                            each(Part {
                                zone: from,
                                fam,
                                entries,
                                a,
                                b,
                                k: 1,
                                reply: false,
                                conduit: ci,
                                flow: None,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// `E601` when `name` is not a valid interface name on `platform`.
fn interface_name_problem(name: &str, platform: Platform, span: Span) -> Option<Diagnostic> {
    let message = platform::interface_name_error(name, platform)?;
    Some(
        Diagnostic::new(Code::InvalidInterfaceName, span, message)
            .label(format!("not a valid {} interface name", platform.as_str()))
            .help(platform::interface_name_help(platform)),
    )
}
