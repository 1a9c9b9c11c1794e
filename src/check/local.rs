//! Traffic to a firewall itself: the interfaces' own `address`es (inside
//! the zone each faces, `E610`; never given twice, `E611`), and the
//! `manage` and `control` entries: names unique within the firewall across
//! both kinds, sources resolved like a flow's and lying in zones the
//! firewall faces (`E608`), services resolved, `reason` and `owner`
//! required, expiry judged as for flows (`E505`); on `cisco-ios`, every
//! interface needs an `address` once any entry is declared (`E609`).
//! Warnings: no `manage` entry at all (`W117`), administration from level
//! 4 or above (`W118`, waivable in the entry).

use std::collections::HashMap;
use std::net::IpAddr;

use super::names::{single, NameTable};
use super::waive::waived_code;
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::{
    AddrSet, Interface, Level, LocalAccess, LocalKind, Name, Platform, ServiceSet, Waiver,
};
use crate::source::Span;
use crate::syntax::ast::{Block, FirewallAttr, FlowAttr};

impl<'a> Checker<'a> {
    /// `E610` and `E611` for the interfaces' addresses; `seen` holds every
    /// address given so far, across firewalls.
    pub(crate) fn interface_addrs(
        &mut self,
        fw_name: &str,
        iface: &Interface,
        addrs: &[(IpAddr, Span)],
        seen: &mut HashMap<IpAddr, Span>,
    ) -> bool {
        let mut ok = true;
        for &(a, span) in addrs {
            if let Some(&first) = seen.get(&a) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateLocalAddress,
                        span,
                        format!("address {a} is given to two firewall interfaces"),
                    )
                    .label("given again")
                    .with(first, "first given here")
                    .help("an own address belongs to one interface of one firewall"),
                );
                ok = false;
                continue;
            }
            seen.insert(a, span);
            let Some(zone) = self.policy.zones.get(iface.zone) else {
                continue;
            };
            if !zone.addrs.contains(a) {
                self.diags.push(
                    Diagnostic::new(
                        Code::LocalAddressOutsideZone,
                        span,
                        format!(
                            "address {a} of firewall `{fw_name}` on `{}` lies outside the networks of zone `{}`",
                            iface.name, zone.name
                        ),
                    )
                    .label(format!("not in zone `{}`", zone.name))
                    .help("the interface's own address lies in the zone it faces; correct the address or the zone's `networks`"),
                );
                ok = false;
            }
        }
        ok
    }

    /// The firewall's `manage` and `control` entries, checked; `None` when
    /// any has an error (the firewall then stays out of the model).
    pub(crate) fn local_entries(
        &mut self,
        b: &'a Block<FirewallAttr>,
        platform: Option<Platform>,
        interfaces: &[(Interface, Span, Span)],
    ) -> Option<Vec<LocalAccess>> {
        let fw_name = b.name.text.as_str();
        let mut names = NameTable::new("manage or control entry");
        let mut out = Vec::new();
        let mut ok = true;
        for a in &b.attrs {
            let (kind, e) = match &a.value {
                FirewallAttr::Manage(e) => (LocalKind::Manage, e),
                FirewallAttr::Control(e) => (LocalKind::Control, e),
                _ => continue,
            };
            for fa in &e.attrs {
                if let FlowAttr::Waive(w) = &fa.value {
                    if let Err(d) = waived_code(w) {
                        self.diags.push(d);
                        ok = false;
                    }
                }
            }
            if !names.declare(&e.name, out.len(), &mut self.diags) {
                ok = false;
                continue;
            }
            match self.local_entry(fw_name, kind, e, interfaces) {
                Some(entry) => out.push(entry),
                None => ok = false,
            }
        }
        if !out.is_empty() && platform == Some(Platform::CiscoIos) {
            for (iface, aspan, _) in interfaces {
                if iface.addrs.is_empty() {
                    self.diags.push(
                        Diagnostic::new(
                            Code::LocalAddressRequired,
                            *aspan,
                            format!(
                                "interface `{}` of cisco-ios firewall `{fw_name}` has no `address`",
                                iface.name
                            ),
                        )
                        .label("the router's own address on this interface is needed")
                        .help("add `address A, ...`: router-bound permits name the router's own addresses so that they cannot admit transit traffic"),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// `W117` for firewall `fw` of the model when it declares no `manage`
    /// entry.
    pub(crate) fn no_management(&mut self, fw: usize, name_span: Span) {
        let Some(f) = self.policy.firewalls.get(fw) else {
            return;
        };
        if f.declares_management() {
            return;
        }
        let fw_name = f.name.to_string();
        let platform_note = if f.platform == Platform::CiscoIos {
            "its inbound lists drop SSH and SNMP to the router itself, which locks the operators out"
        } else {
            "its own services stay unfiltered by the policy, reachable from every zone it faces"
        };
        self.diags.push(
            Diagnostic::new(
                Code::NoManagement,
                name_span,
                format!("firewall `{fw_name}` declares no `manage` entry"),
            )
            .label(format!("nothing admits administration: {platform_note}"))
            .help("declare who administers it: `manage NAME { from ZONE.HOST service ssh reason \"...\" owner OWNER }`"),
        );
    }

    fn local_entry(
        &mut self,
        fw_name: &str,
        kind: LocalKind,
        e: &'a Block<FlowAttr>,
        interfaces: &[(Interface, Span, Span)],
    ) -> Option<LocalAccess> {
        let full_name = format!("{fw_name}/{}", e.name.text);
        let what = format!("{kind} `{full_name}`");
        let from = single(e, &what, "from", true, &mut self.diags, |a| match a {
            FlowAttr::From(x) => Some(x),
            _ => None,
        });
        let service = single(e, &what, "service", true, &mut self.diags, |a| match a {
            FlowAttr::Service(x) => Some(x),
            _ => None,
        });
        let owner = single(e, &what, "owner", true, &mut self.diags, |a| match a {
            FlowAttr::Owner(o) => Some(o),
            _ => None,
        });
        let reason = single(e, &what, "reason", true, &mut self.diags, |a| match a {
            FlowAttr::Reason(r) => Some(r.value.clone()),
            _ => None,
        });
        let expires = single(e, &what, "expires", false, &mut self.diags, |a| match a {
            FlowAttr::Expires(d) => Some(*d),
            _ => None,
        });
        let log = single(e, &what, "log", false, &mut self.diags, |a| {
            matches!(a, FlowAttr::Log).then_some(())
        })
        .is_some();
        let owner = owner.and_then(|(o, _)| self.owner_ref(o));
        let mut ok = owner.is_some() && reason.is_some() && service.is_some();
        let mut sets = Vec::new();
        let mut refs = Vec::new();
        if let Some((list, _)) = service {
            for r in list {
                refs.push(r.text.clone());
                match self.service_ref(r) {
                    Some(s) => sets.push(s),
                    None => ok = false,
                }
            }
        }
        let from = match from {
            Some((list, _)) => {
                let eps = self.endpoints(list, None, fw_name);
                if let Some(eps) = &eps {
                    for (ep, r) in eps.iter().zip(list.iter()) {
                        if !interfaces.iter().any(|(i, _, _)| i.zone == ep.zone) {
                            let zname = self
                                .policy
                                .zones
                                .get(ep.zone)
                                .map(|z| z.name.to_string())
                                .unwrap_or_default();
                            self.diags.push(
                                Diagnostic::new(
                                    Code::LocalSourceNotFaced,
                                    r.span(),
                                    format!(
                                        "firewall `{fw_name}` has no interface for zone `{zname}`"
                                    ),
                                )
                                .label(format!("a source of {what}"))
                                .help("traffic to the firewall is filtered on the interface facing its source; add the interface or name a zone the firewall faces"),
                            );
                            ok = false;
                        }
                    }
                }
                eps
            }
            None => None,
        };
        if let Some((date, attr)) = expires {
            if date < self.today {
                ok = false;
                self.diags.push(
                    Diagnostic::new(
                        Code::ExpiredFlow,
                        attr.span,
                        format!("{what} expired on {date}"),
                    )
                    .label(format!("in force through {date}; today is {}", self.today))
                    .help("renew it with a later `expires` date and a fresh justification, or remove the entry"),
                );
            }
        }
        let from = from?;
        if !ok {
            return None;
        }
        if kind == LocalKind::Manage {
            self.management_level(e, &full_name, &from);
        }
        let mut scope: Option<crate::model::Text> = None;
        for a in &e.attrs {
            if let FlowAttr::Waive(w) = &a.value {
                if let Ok(code) = waived_code(w) {
                    let waiver = Waiver {
                        code: self.text(code.as_str()),
                        reason: self.text(&w.reason.value),
                        scope: scope
                            .get_or_insert_with(|| full_name.as_str().into())
                            .clone(),
                    };
                    self.policy.waivers.push(waiver);
                }
            }
        }
        let src = AddrSet::union_all(from.iter().map(|x| &x.addrs));
        Some(LocalAccess {
            name: Name::from(&e.name.text),
            full_name,
            kind,
            from,
            src,
            service_refs: refs,
            services: ServiceSet::union_all(&sets),
            owner: owner?,
            reason: reason?.0,
            expires: expires.map(|(d, _)| d),
            log,
        })
    }

    /// `W118` when a source of a `manage` entry lies at level 4 or above,
    /// unless the entry waives it (the waiver is then recorded).
    fn management_level(
        &mut self,
        e: &Block<FlowAttr>,
        full_name: &str,
        from: &[crate::model::Endpoint],
    ) {
        let high: Vec<(String, Level)> = from
            .iter()
            .filter_map(|ep| self.policy.zones.get(ep.zone))
            .filter(|z| z.level >= Level::L4)
            .map(|z| (z.name.to_string(), z.level))
            .collect();
        let Some((zname, level)) = high.first().cloned() else {
            return;
        };
        let waiver = e.attrs.iter().find_map(|a| match &a.value {
            FlowAttr::Waive(w) => {
                matches!(waived_code(w), Ok(Code::ManagementFromEnterprise)).then_some(())
            }
            _ => None,
        });
        if waiver.is_some() {
            return;
        }
        let span = e
            .attrs
            .iter()
            .find(|a| matches!(a.value, FlowAttr::From(_)))
            .map_or(e.name.span, |a| a.span);
        self.diags.push(
            Diagnostic::new(
                Code::ManagementFromEnterprise,
                span,
                format!("manage `{full_name}` admits administration from zone `{zname}` at level {level}"),
            )
            .label("a source at level 4 or above")
            .help("administer the firewall from a zone at level 3.5 or below (a jump host in the DMZ), or waive W118 in the entry with the reason"),
        );
    }
}
