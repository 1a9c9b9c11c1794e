//! Firewalls: a platform and at least one interface; interface names valid
//! for the platform (`E601`), zones known, one interface per zone (`E602`)
//! and no interface declared twice (`E604`, with IOS abbreviations expanded
//! on `cisco-ios`); and every flow the firewall compiles expressible on its
//! platform (`E605`). The platform rules live in [`crate::platform`], which
//! the backends read too, so check and build agree.

use std::collections::HashMap;

use super::names::single;
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::{Firewall, Interface, Name, Platform};
use crate::platform;
use crate::source::Span;
use crate::syntax::ast::{self, FirewallAttr};

use super::names::NameTable;

impl<'a> Checker<'a> {
    pub(crate) fn firewalls_stage(&mut self, decls: impl Iterator<Item = &'a ast::Decl>) {
        let mut table = NameTable::new("firewall");
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
                    None => i.name.value.clone(),
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
                by_zone.insert(zone, interfaces.len());
                by_name.insert(key, interfaces.len());
                interfaces.push((
                    Interface {
                        name: i.name.value.clone(),
                        zone,
                    },
                    a.span,
                    i.name.span,
                ));
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
            if let (true, Some(platform)) = (ok, platform) {
                self.policy.firewalls.push(Firewall {
                    name: Name::new(&b.name.text),
                    platform,
                    interfaces: interfaces.into_iter().map(|(i, _, _)| i).collect(),
                });
                if let Some(span) = platform_span {
                    self.expressible(self.policy.firewalls.len() - 1, span);
                }
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
            let Some(&fdecl) = self.conduit_decls.get(ci).and_then(|(_, f)| f.get(fi)) else {
                continue;
            };
            let list = fdecl.attrs.iter().find_map(|a| match &a.value {
                ast::FlowAttr::Service(list) => Some(list),
                _ => None,
            });
            let mut at = fdecl.name.span;
            let mut direct = false;
            for r in list.into_iter().flatten() {
                if self.service_ref(r).is_some_and(|s| s.ip.contains(&n)) {
                    at = r.span;
                    direct = matches!(r.kind, ast::ServiceRefKind::Spec(_));
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

/// `E601` when `name` is not a valid interface name on `platform`.
fn interface_name_problem(name: &str, platform: Platform, span: Span) -> Option<Diagnostic> {
    let problem = platform::interface_name_problem(name, platform)?;
    let max = platform::max_interface_chars(platform);
    Some(
        Diagnostic::new(
            Code::InvalidInterfaceName,
            span,
            format!("interface name `{}` {problem}", name.escape_default()),
        )
        .label(format!("not a valid {} interface name", platform.as_str()))
        .help(match platform {
            Platform::Nftables => format!(
                "use the Linux interface name: 1-{max} characters of letters, digits, `.`, `_` and `-`"
            ),
            Platform::Fortios => format!(
                "use the FortiOS interface name: 1-{max} characters of letters, digits, `.`, `_`, `/`, `:` and `-`"
            ),
            Platform::CiscoIos => format!(
                "use the device's interface name: 1-{max} characters of letters, digits, `.`, `_`, `/`, `:` and `-`, and spaces between type and number"
            ),
        }),
    )
}
