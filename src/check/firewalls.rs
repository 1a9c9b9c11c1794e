//! Firewalls: a platform and at least one interface; interface names valid
//! for the platform (`E601`), zones known, one interface per zone (`E602`)
//! and no interface declared twice (`E604`).

use std::collections::HashMap;

use super::names::single;
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::limits::{MAX_INTERFACE_CHARS, MAX_NFT_INTERFACE_CHARS};
use crate::model::{Firewall, Interface, Name, Platform};
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
            )
            .map(|(p, _)| p);
            let mut interfaces: Vec<(Interface, Span, Span)> = Vec::new();
            // Index into `interfaces` by zone and by name.
            let mut by_zone: HashMap<usize, usize> = HashMap::new();
            let mut by_name: HashMap<&str, usize> = HashMap::new();
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
                if let Some((_, _, first)) =
                    by_name.get(i.name.value.as_str()).map(|&k| &interfaces[k])
                {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateInterfaceName,
                            i.name.span,
                            format!(
                                "firewall `{}` declares interface `{}` twice",
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
                by_name.insert(&i.name.value, interfaces.len());
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
            }
        }
    }
}

/// `E601` when `name` is not a valid interface name on `platform`.
fn interface_name_problem(name: &str, platform: Platform, span: Span) -> Option<Diagnostic> {
    let len = name.chars().count();
    let bad = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._/:-".contains(*c)));
    let problem = if len == 0 {
        Some("is empty".to_string())
    } else if len > MAX_INTERFACE_CHARS {
        Some(format!(
            "is {len} characters long, over {MAX_INTERFACE_CHARS}"
        ))
    } else if let Some(c) = bad {
        Some(format!("contains `{}`", c.escape_default()))
    } else if platform == Platform::Nftables && len > MAX_NFT_INTERFACE_CHARS {
        Some(format!(
            "is {len} characters long; Linux interface names have at most {MAX_NFT_INTERFACE_CHARS}"
        ))
    } else if platform == Platform::Nftables && (name.contains('/') || name.contains(':')) {
        Some("contains `/` or `:`, which Linux interface names cannot".to_string())
    } else {
        None
    };
    problem.map(|p| {
        Diagnostic::new(
            Code::InvalidInterfaceName,
            span,
            format!("interface name `{}` {p}", name.escape_default()),
        )
        .label(format!("not a valid {} interface name", platform.as_str()))
        .help(if platform == Platform::Nftables {
            "use the Linux interface name: 1-15 characters of letters, digits, `.`, `_` and `-`"
        } else {
            "use the device's interface name: 1-64 characters of letters, digits, `.`, `_`, `/`, `:` and `-`"
        })
    })
}
