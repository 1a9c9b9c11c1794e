//! Zones: required attributes, owners, networks (overlap `E301`, more than
//! one `networks any` `E302`, `any` mixed with prefixes `E304`), and hosts
//! and groups (one namespace per zone, addresses inside the zone `E303`).
//!
//! The addresses of a `networks any` zone are the complement of every other
//! zone's networks, in both families.

use std::net::IpAddr;

use ipnet::IpNet;

use super::names::single;
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::{AddrSet, Group, GroupMember, Host, Level, Name, Networks, Zone};
use crate::source::Span;
use crate::syntax::ast::{self, GroupMemberAst, NetItem, ZoneAttr};

impl<'a> Checker<'a> {
    pub(crate) fn zones_stage(&mut self, decls: impl Iterator<Item = &'a ast::Decl>) {
        // Prefix spans of each model zone, for overlap and containment reports.
        let mut prefix_spans: Vec<Vec<(IpNet, Span)>> = Vec::new();
        let mut any_zone: Option<(usize, Span)> = None;
        for d in decls {
            let ast::Decl::Zone(b) = d else { continue };
            let what = format!("zone `{}`", b.name.text);
            let idx = self.policy.zones.len();
            if !self.zones.declare(&b.name, idx, &mut self.diags) {
                continue;
            }
            let level = single(b, &what, "level", true, &mut self.diags, |a| match a {
                ZoneAttr::Level(l) => Some(*l),
                _ => None,
            })
            .map_or(Level::L0, |(l, _)| l);
            let owner = single(b, &what, "owner", true, &mut self.diags, |a| match a {
                ZoneAttr::Owner(o) => Some(o),
                _ => None,
            })
            .and_then(|(o, _)| self.owner_ref(o))
            .unwrap_or_else(|| Name::new(""));
            let sl = single(b, &what, "sl", false, &mut self.diags, |a| match a {
                ZoneAttr::Sl(s) => Some(*s),
                _ => None,
            })
            .map(|(s, _)| s);
            let description = single(
                b,
                &what,
                "description",
                false,
                &mut self.diags,
                |a| match a {
                    ZoneAttr::Description(s) => Some(s.value.clone()),
                    _ => None,
                },
            )
            .map(|(s, _)| s);
            let supplier = single(b, &what, "supplier", false, &mut self.diags, |a| {
                matches!(a, ZoneAttr::Supplier).then_some(())
            })
            .is_some();
            let nets = single(b, &what, "networks", true, &mut self.diags, |a| match a {
                ZoneAttr::Networks(n) => Some(n),
                _ => None,
            });
            let mut networks = Networks::Prefixes(Vec::new());
            let mut spans = Vec::new();
            if let Some((items, _)) = nets {
                let any = items.iter().find_map(|i| match i {
                    NetItem::Any(s) => Some(*s),
                    NetItem::Prefix(..) => None,
                });
                if let Some(any_span) = any {
                    if let Some(NetItem::Prefix(_, ps)) =
                        items.iter().find(|i| matches!(i, NetItem::Prefix(..)))
                    {
                        self.diags.push(
                            Diagnostic::new(
                                Code::AnyWithPrefixes,
                                *ps,
                                format!(
                                    "zone `{}` combines `networks any` with prefixes",
                                    b.name.text
                                ),
                            )
                            .with(any_span, "`any` already covers every unclaimed address")
                            .help("write either `networks any` or a list of prefixes"),
                        );
                    }
                    match any_zone {
                        Some((first, first_span)) => self.diags.push(
                            Diagnostic::new(
                                Code::MultipleAnyZones,
                                any_span,
                                format!(
                                    "zone `{}` says `networks any`, and so does zone `{}`",
                                    b.name.text, self.zone_decls[first].name.text
                                ),
                            )
                            .with(first_span, "the first `networks any`")
                            .help("only one zone can own every address no other zone claims; give this one its prefixes"),
                        ),
                        None => any_zone = Some((idx, any_span)),
                    }
                    networks = Networks::Any;
                } else {
                    let mut list = Vec::new();
                    for i in items {
                        if let NetItem::Prefix(n, s) = i {
                            list.push(*n);
                            spans.push((*n, *s));
                        }
                    }
                    networks = Networks::Prefixes(list);
                }
            }
            let addrs = AddrSet::from_nets(spans.iter().map(|(n, _)| *n));
            self.policy.zones.push(Zone {
                name: Name::from(&b.name.text),
                level,
                owner,
                sl,
                description: description.map(String::from),
                supplier,
                networks,
                addrs,
                hosts: Vec::new(),
                groups: Vec::new(),
            });
            self.zone_decls.push(b);
            self.members.push(self.zones.sibling("host or group"));
            prefix_spans.push(spans);
        }
        self.overlaps(&prefix_spans);
        if let Some((a, _)) = any_zone {
            let others = AddrSet::union_all(
                self.policy
                    .zones
                    .iter()
                    .enumerate()
                    .filter(|(i, z)| *i != a && z.networks != Networks::Any)
                    .map(|(_, z)| &z.addrs),
            );
            self.policy.zones[a].addrs = others.complement();
        }
        for zi in 0..self.policy.zones.len() {
            self.hosts_and_groups(zi);
        }
    }

    /// `E301` for prefixes of different zones that share addresses.
    fn overlaps(&mut self, prefix_spans: &[Vec<(IpNet, Span)>]) {
        // Sweep each family in order of first address, remembering the entry
        // that reaches furthest so far.
        for v6 in [false, true] {
            let mut items: Vec<(u128, u128, usize, IpNet, Span)> = Vec::new();
            for (zi, list) in prefix_spans.iter().enumerate() {
                for (n, s) in list {
                    let (lo, hi) = match n {
                        IpNet::V4(n) if !v6 => (
                            u32::from(n.network()) as u128,
                            u32::from(n.broadcast()) as u128,
                        ),
                        IpNet::V6(n) if v6 => (u128::from(n.network()), u128::from(n.broadcast())),
                        _ => continue,
                    };
                    items.push((lo, hi, zi, *n, *s));
                }
            }
            items.sort_by_key(|i| (i.0, std::cmp::Reverse(i.1)));
            let mut reach: Option<(u128, usize, IpNet, Span)> = None;
            let mut reported = std::collections::BTreeSet::new();
            for (lo, hi, zi, n, s) in items {
                if let Some((rhi, rz, rn, rs)) = reach {
                    if lo <= rhi && rz != zi && reported.insert((rz.min(zi), rz.max(zi))) {
                        let (za, zb) = (
                            &self.zone_decls[zi].name.text,
                            &self.zone_decls[rz].name.text,
                        );
                        self.diags.push(
                            Diagnostic::new(
                                Code::OverlappingNetworks,
                                s,
                                format!("`{n}` of zone `{za}` overlaps `{rn}` of zone `{zb}`"),
                            )
                            .label("overlaps another zone")
                            .with(rs, format!("`{rn}` belongs to zone `{zb}`"))
                            .help("every address may belong to one zone only; split the prefixes"),
                        );
                    }
                }
                if reach.is_none_or(|r| hi > r.0) {
                    reach = Some((hi, zi, n, s));
                }
            }
        }
    }

    fn hosts_and_groups(&mut self, zi: usize) {
        let b = self.zone_decls[zi];
        let zname = b.name.text.clone();
        let zone_addrs = self.policy.zones[zi].addrs.clone();
        let is_any = self.policy.zones[zi].networks == Networks::Any;
        let outside = |what: String, span: Span| {
            Diagnostic::new(
                Code::OutsideZone,
                span,
                format!("{what} lies outside the networks of zone `{zname}`"),
            )
            .label("not in this zone")
            .help(if is_any {
                "a `networks any` zone owns only the addresses no other zone claims".to_string()
            } else {
                "correct the address, or add its prefix to the zone's `networks`".to_string()
            })
        };
        let mut hosts: Vec<Host> = Vec::new();
        for a in &b.attrs {
            let ZoneAttr::Host(h) = &a.value else {
                continue;
            };
            if !self.members[zi].declare(&h.name, hosts.len(), &mut self.diags) {
                continue;
            }
            let mut addrs: Vec<IpAddr> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for (addr, span) in &h.addrs {
                if !zone_addrs.contains(*addr) {
                    self.diags.push(outside(
                        format!("address `{addr}` of host `{}`", h.name.text),
                        *span,
                    ));
                }
                if seen.insert(*addr) {
                    addrs.push(*addr);
                }
            }
            hosts.push(Host {
                name: Name::from(&h.name.text),
                addrs,
            });
        }
        let host_count = hosts.len();
        let mut groups: Vec<Group> = Vec::new();
        for a in &b.attrs {
            let ZoneAttr::Group(g) = &a.value else {
                continue;
            };
            if !self.members[zi].declare(&g.name, host_count + groups.len(), &mut self.diags) {
                continue;
            }
            let mut members = Vec::new();
            // Collected, then normalised once: linear in the group's size.
            let mut nets: Vec<IpNet> = Vec::new();
            for m in &g.members {
                match m {
                    GroupMemberAst::Host(id) => match self.members[zi].get(&id.text) {
                        Some(i) if i < host_count => {
                            let h = &hosts[i];
                            nets.extend(h.addrs.iter().map(|a| IpNet::from(*a)));
                            members.push(GroupMember::Host(h.name.clone()));
                        }
                        Some(_) => self.diags.push(
                            Diagnostic::new(
                                Code::UnknownName,
                                id.span,
                                format!(
                                    "`{}` is a group; a group holds hosts and prefixes",
                                    id.text
                                ),
                            )
                            .label("a group, not a host")
                            .help("list that group's hosts here instead"),
                        ),
                        None => {
                            let d = Diagnostic::new(
                                Code::UnknownName,
                                id.span,
                                format!("zone `{zname}` has no host named `{}`", id.text),
                            )
                            .label("unknown host")
                            .maybe_help(
                                self.members[zi].suggest_among(&id.text, |i| i < host_count),
                            );
                            self.diags.push(d);
                        }
                    },
                    GroupMemberAst::Prefix(n, span) => {
                        let set = AddrSet::from_net(*n);
                        if !zone_addrs.is_superset(&set) {
                            self.diags
                                .push(outside(format!("`{n}` of group `{}`", g.name.text), *span));
                        }
                        nets.push(*n);
                        members.push(GroupMember::Prefix(*n));
                    }
                }
            }
            groups.push(Group {
                name: Name::from(&g.name.text),
                members,
                addrs: AddrSet::from_nets(nets),
            });
        }
        let z = &mut self.policy.zones[zi];
        z.hosts = hosts;
        z.groups = groups;
    }
}
