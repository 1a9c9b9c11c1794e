//! What hovering over a name shows: the declaration's facts, and for
//! zones, services and flows what the checked policy makes of them.

use std::fmt::Write as _;

use crate::model::{catalogue, Member, Networks, Policy, Scope};
use crate::syntax::ast::{
    ApprovalAttr, ConduitAttr, Decl, File, FirewallAttr, FlowAttr, IsolationAttr, NetItem,
    OwnerAttr, ScopeAst, ZoneAttr,
};

use super::index::Kind;

/// Markdown for the name `key` of `kind`, or `None` when nothing is known.
pub(crate) fn hover(
    kind: Kind,
    key: &str,
    policy: Option<&Policy>,
    files: &[File],
) -> Option<String> {
    match kind {
        Kind::Service => service(key, policy, files),
        Kind::Zone => zone(key, policy, files),
        Kind::Member => member(key, policy),
        Kind::Flow => flow(key, policy, files),
        Kind::Owner => owner(key, files),
        Kind::Conduit => conduit(key, policy),
        Kind::Firewall => firewall(key, files),
        Kind::Approval => approval(key, policy, files),
        Kind::Isolation => isolation(key, files),
        Kind::Local => local(key, policy, files),
    }
}

const STALE: &str =
    "\n\n_The policy does not check; what it admits shows once the errors are fixed._";

fn decls(files: &[File]) -> impl Iterator<Item = &Decl> {
    files.iter().flat_map(|f| &f.decls)
}

fn service(key: &str, policy: Option<&Policy>, files: &[File]) -> Option<String> {
    if let Some(s) = policy.and_then(|p| p.services.iter().find(|s| s.name.is(key))) {
        let origin = if s.builtin {
            "built-in service"
        } else {
            "service"
        };
        let mut out = format!("**{origin}** `{}`\n\nadmits: {}", s.name, s.set);
        if !s.builtin {
            let _ = write!(out, "\n\ndeclared as: {}", s.written.join(", "));
        }
        if s.remote_access {
            out.push_str("\n\ninteractive remote access");
        }
        return Some(out);
    }
    let declared = decls(files).find_map(|d| match d {
        Decl::Service(s) if s.name.text.eq_ignore_ascii_case(key) => Some(s),
        _ => None,
    });
    if let Some(s) = declared {
        let written: Vec<&str> = s.refs.iter().map(|r| r.text.as_str()).collect();
        let mut out = format!(
            "**service** `{}`\n\ndeclared as: {}",
            s.name.text,
            written.join(", ")
        );
        if policy.is_none() {
            out.push_str(STALE);
        }
        return Some(out);
    }
    let b = catalogue::builtin(key)?;
    let mut out = format!(
        "**built-in service** `{}`: {}\n\nadmits: {}",
        b.name,
        b.description,
        b.specs.join(", ")
    );
    if b.remote_access {
        out.push_str("\n\ninteractive remote access");
    }
    Some(out)
}

fn zone(key: &str, policy: Option<&Policy>, files: &[File]) -> Option<String> {
    if let Some(p) = policy {
        let id = p.zone_id(key)?;
        let z = p.zones.get(id)?;
        let mut out = format!(
            "**zone** `{}`\n\n- level: {}\n- owner: `{}`",
            z.name, z.level, z.owner
        );
        if let Some(sl) = z.sl {
            let _ = write!(out, "\n- security level: SL {sl}");
        }
        let nets = match &z.networks {
            Networks::Any => "any".to_string(),
            Networks::Prefixes(v) => v
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        };
        let _ = write!(out, "\n- networks: {nets}");
        if !z.hosts.is_empty() || !z.groups.is_empty() {
            let _ = write!(
                out,
                "\n- hosts: {}, groups: {}",
                z.hosts.len(),
                z.groups.len()
            );
        }
        if let Some(d) = &z.description {
            let _ = write!(out, "\n\n{d}");
        }
        let touching: Vec<String> = p
            .conduits
            .iter()
            .filter(|c| c.zones.contains(&id))
            .map(|c| format!("`{}` ({} flows)", c.name, c.flows.len()))
            .collect();
        let _ = write!(
            out,
            "\n\nconduits: {}",
            if touching.is_empty() {
                "none".to_string()
            } else {
                touching.join(", ")
            }
        );
        return Some(out);
    }
    let block = decls(files).find_map(|d| match d {
        Decl::Zone(b) if b.name.text.eq_ignore_ascii_case(key) => Some(b),
        _ => None,
    })?;
    let mut out = format!("**zone** `{}`", block.name.text);
    for a in &block.attrs {
        match &a.value {
            ZoneAttr::Level(l) => {
                let _ = write!(out, "\n- level: {l}");
            }
            ZoneAttr::Owner(o) => {
                let _ = write!(out, "\n- owner: `{}`", o.text);
            }
            ZoneAttr::Networks(ns) => {
                let v: Vec<String> = ns
                    .iter()
                    .map(|n| match n {
                        NetItem::Any(_) => "any".to_string(),
                        NetItem::Prefix(p, _) => p.to_string(),
                    })
                    .collect();
                let _ = write!(out, "\n- networks: {}", v.join(", "));
            }
            _ => {}
        }
    }
    let touching: Vec<String> = decls(files)
        .filter_map(|d| match d {
            Decl::Conduit(c)
                if c.attrs.iter().any(|a| {
                    matches!(&a.value, ConduitAttr::Zones(zs) if zs.iter().any(|z| z.text.eq_ignore_ascii_case(key)))
                }) =>
            {
                Some(format!("`{}`", c.name.text))
            }
            _ => None,
        })
        .collect();
    let _ = write!(
        out,
        "\n\nconduits: {}{STALE}",
        if touching.is_empty() {
            "none".to_string()
        } else {
            touching.join(", ")
        }
    );
    Some(out)
}

fn member(key: &str, policy: Option<&Policy>) -> Option<String> {
    let (zone, name) = key.split_once('.')?;
    let Some(p) = policy else {
        return Some(format!(
            "**host or group** `{name}` of zone `{zone}`{STALE}"
        ));
    };
    let z = p.zones.get(p.zone_id(zone)?)?;
    if let Some(h) = z.host(name) {
        let addrs: Vec<String> = h.addrs.iter().map(|a| a.to_string()).collect();
        return Some(format!(
            "**host** `{}.{}`\n\naddresses: {}",
            z.name,
            h.name,
            addrs.join(", ")
        ));
    }
    let g = z.group(name)?;
    Some(format!(
        "**group** `{}.{}`\n\naddresses: {}",
        z.name, g.name, g.addrs
    ))
}

fn endpoint_name(p: &Policy, zone: usize, member: &Member) -> String {
    let z = p.zones.get(zone).map_or("?", |z| z.name.as_str());
    match member {
        Member::Zone => z.to_string(),
        Member::Host(n) | Member::Group(n) => format!("{z}.{n}"),
    }
}

fn flow(key: &str, policy: Option<&Policy>, files: &[File]) -> Option<String> {
    let (conduit, name) = key.split_once('/')?;
    if let Some(p) = policy {
        let (_, f) = p
            .flows()
            .find(|(c, f)| c.name.is(conduit) && f.name.is(name))?;
        let from: Vec<String> = f
            .from
            .iter()
            .map(|e| endpoint_name(p, e.zone, &e.member))
            .collect();
        let to: Vec<String> =
            f.to.iter()
                .map(|e| endpoint_name(p, e.zone, &e.member))
                .collect();
        let mut out = format!(
            "**flow** `{}`\n\n- from: {} ({})\n- to: {} ({})\n- services: {} ({})\n- owner: `{}`\n- expires: {}",
            f.full_name,
            from.join(", "),
            f.src,
            to.join(", "),
            f.dst,
            f.service_refs.join(", "),
            f.services,
            f.owner,
            f.expires.map_or("never".to_string(), |d| d.to_string()),
        );
        if f.essential {
            out.push_str("\n- essential");
        }
        if f.log {
            out.push_str("\n- logged");
        }
        let _ = write!(out, "\n\n{}", f.reason);
        return Some(out);
    }
    let block = decls(files).find_map(|d| match d {
        Decl::Conduit(c) if c.name.text.eq_ignore_ascii_case(conduit) => {
            c.attrs.iter().find_map(|a| match &a.value {
                ConduitAttr::Flow(f) if f.name.text.eq_ignore_ascii_case(name) => Some(f),
                _ => None,
            })
        }
        _ => None,
    })?;
    let mut out = format!("**flow** `{conduit}/{}`", block.name.text);
    written_attrs(&block.attrs, &mut out);
    out.push_str(STALE);
    Some(out)
}

fn owner(key: &str, files: &[File]) -> Option<String> {
    let block = decls(files).find_map(|d| match d {
        Decl::Owner(b) if b.name.text.eq_ignore_ascii_case(key) => Some(b),
        _ => None,
    })?;
    let mut out = format!("**owner** `{}`", block.name.text);
    for a in &block.attrs {
        match &a.value {
            OwnerAttr::Name(s) => {
                let _ = write!(out, "\n- name: {}", s.value);
            }
            OwnerAttr::Contact(s) => {
                let _ = write!(out, "\n- contact: {}", s.value);
            }
        }
    }
    Some(out)
}

fn conduit(key: &str, policy: Option<&Policy>) -> Option<String> {
    let Some(p) = policy else {
        return Some(format!("**conduit** `{key}`{STALE}"));
    };
    let c = p.conduits.get(p.conduit_id(key)?)?;
    let zones: Vec<&str> = c
        .zones
        .iter()
        .filter_map(|z| p.zones.get(*z))
        .map(|z| z.name.as_str())
        .collect();
    Some(format!(
        "**conduit** `{}`\n\n- zones: {}\n- owner: `{}`\n- mode: {}\n- flows: {}",
        c.name,
        zones.join(", "),
        c.owner,
        match c.mode {
            crate::model::Mode::Enforce => "enforce",
            crate::model::Mode::Monitor => "monitor",
        },
        c.flows.len()
    ))
}

fn firewall(key: &str, files: &[File]) -> Option<String> {
    let block = decls(files).find_map(|d| match d {
        Decl::Firewall(b) if b.name.text.eq_ignore_ascii_case(key) => Some(b),
        _ => None,
    })?;
    let mut out = format!("**firewall** `{}`", block.name.text);
    for a in &block.attrs {
        match &a.value {
            FirewallAttr::Platform(p) => {
                let _ = write!(out, "\n- platform: {}", p.as_str());
            }
            FirewallAttr::Interface(i) => {
                let _ = write!(
                    out,
                    "\n- interface \"{}\" faces zone `{}`",
                    i.name.value, i.zone.text
                );
            }
            _ => {}
        }
    }
    Some(out)
}

fn isolation(key: &str, files: &[File]) -> Option<String> {
    let block = decls(files).find_map(|d| match d {
        Decl::Isolation(b) if b.name.text.eq_ignore_ascii_case(key) => Some(b),
        _ => None,
    })?;
    let mut out = format!("**isolation** `{}`", block.name.text);
    for a in &block.attrs {
        match &a.value {
            IsolationAttr::Sever(zs) => {
                let v: Vec<&str> = zs.iter().map(|z| z.text.as_str()).collect();
                let _ = write!(out, "\n- severs: {}", v.join(", "));
            }
            IsolationAttr::Reason(r) => {
                let _ = write!(out, "\n\n{}", r.value);
            }
        }
    }
    Some(out)
}

/// The text of a flow's (or entry's) attributes as written, one line each.
fn written_attrs(attrs: &[crate::syntax::ast::Attr<FlowAttr>], out: &mut String) {
    let written = |eps: &Vec<crate::syntax::ast::EndpointRef>| {
        eps.iter()
            .map(|e| match &e.member {
                Some(m) => format!("{}.{}", e.zone.text, m.text),
                None => e.zone.text.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    for a in attrs {
        match &a.value {
            FlowAttr::From(eps) => {
                let _ = write!(out, "\n- from: {}", written(eps));
            }
            FlowAttr::To(eps) => {
                let _ = write!(out, "\n- to: {}", written(eps));
            }
            FlowAttr::Service(refs) => {
                let v: Vec<&str> = refs.iter().map(|r| r.text.as_str()).collect();
                let _ = write!(out, "\n- services: {}", v.join(", "));
            }
            FlowAttr::Owner(o) => {
                let _ = write!(out, "\n- owner: `{}`", o.text);
            }
            FlowAttr::Expires(d) => {
                let _ = write!(out, "\n- expires: {d}");
            }
            _ => {}
        }
    }
}

/// A firewall's `manage` or `control` entry: what it admits to the
/// firewall itself.
fn local(key: &str, policy: Option<&Policy>, files: &[File]) -> Option<String> {
    let (firewall, name) = key.split_once('/')?;
    if let Some(p) = policy {
        let fw = p.firewalls.iter().find(|f| f.name.is(firewall))?;
        let e = fw.local.iter().find(|e| e.name.is(name))?;
        let from: Vec<String> = e
            .from
            .iter()
            .map(|x| endpoint_name(p, x.zone, &x.member))
            .collect();
        // The firewall's own addresses on the interfaces facing the sources.
        let own: Vec<String> = e
            .from_zones()
            .into_iter()
            .filter_map(|z| fw.interface_for(z))
            .flat_map(|i| i.addrs.iter().map(|a| format!("{a} (\"{}\")", i.name)))
            .collect();
        let mut out = format!(
            "**{} entry** `{}`: traffic to the firewall itself\n\n- from: {} ({})\n- to the firewall's own addresses: {}\n- services: {} ({})\n- owner: `{}`\n- expires: {}",
            e.kind,
            e.full_name,
            from.join(", "),
            e.src,
            if own.is_empty() {
                "none declared on the interfaces facing the sources".to_string()
            } else {
                own.join(", ")
            },
            e.service_refs.join(", "),
            e.services,
            e.owner,
            e.expires.map_or("never".to_string(), |d| d.to_string()),
        );
        if e.log {
            out.push_str("\n- logged");
        }
        let _ = write!(out, "\n\n{}", e.reason);
        return Some(out);
    }
    let (word, block) = decls(files).find_map(|d| match d {
        Decl::Firewall(f) if f.name.text.eq_ignore_ascii_case(firewall) => {
            f.attrs.iter().find_map(|a| match &a.value {
                FirewallAttr::Manage(e) if e.name.text.eq_ignore_ascii_case(name) => {
                    Some(("manage", e))
                }
                FirewallAttr::Control(e) if e.name.text.eq_ignore_ascii_case(name) => {
                    Some(("control", e))
                }
                _ => None,
            })
        }
        _ => None,
    })?;
    let mut out = format!(
        "**{word} entry** `{firewall}/{}`: traffic to the firewall itself",
        block.name.text
    );
    written_attrs(&block.attrs, &mut out);
    out.push_str(STALE);
    Some(out)
}

/// An approval rule: what it covers and whose approval it requires.
fn approval(key: &str, policy: Option<&Policy>, files: &[File]) -> Option<String> {
    if let Some(p) = policy {
        let a = p.approvals.iter().find(|a| a.name.is(key))?;
        let scope = match &a.scope {
            Scope::Level(op, l) => {
                let zones: Vec<String> = p
                    .zones
                    .iter()
                    .filter(|z| op.holds(z.level, *l))
                    .map(|z| format!("`{}`", z.name))
                    .collect();
                format!(
                    "zones of level {} {l}: {}",
                    op.as_str(),
                    if zones.is_empty() {
                        "none".to_string()
                    } else {
                        zones.join(", ")
                    }
                )
            }
            Scope::Zones(zs) => format!(
                "zones {}",
                zs.iter()
                    .map(|z| format!("`{z}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Scope::Conduits(cs) => format!(
                "conduits {}",
                cs.iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Scope::All => "every zone and conduit".to_string(),
        };
        let requires: Vec<String> = a.requires.iter().map(|o| format!("`{o}`")).collect();
        return Some(format!(
            "**approval** `{}`\n\n- scope: {scope}\n- requires: {}\n\nA change to what it covers needs the approval of every owner it requires.",
            a.name,
            requires.join(", ")
        ));
    }
    let block = decls(files).find_map(|d| match d {
        Decl::Approval(b) if b.name.text.eq_ignore_ascii_case(key) => Some(b),
        _ => None,
    })?;
    let mut out = format!("**approval** `{}`", block.name.text);
    for a in &block.attrs {
        match &a.value {
            ApprovalAttr::Scope(ScopeAst::Level(op, l)) => {
                let _ = write!(out, "\n- scope: zones of level {} {l}", op.as_str());
            }
            ApprovalAttr::Scope(ScopeAst::Zones(zs)) => {
                let v: Vec<String> = zs.iter().map(|z| format!("`{}`", z.text)).collect();
                let _ = write!(out, "\n- scope: zones {}", v.join(", "));
            }
            ApprovalAttr::Scope(ScopeAst::Conduits(cs)) => {
                let v: Vec<String> = cs.iter().map(|c| format!("`{}`", c.text)).collect();
                let _ = write!(out, "\n- scope: conduits {}", v.join(", "));
            }
            ApprovalAttr::Scope(ScopeAst::All) => {
                out.push_str("\n- scope: every zone and conduit");
            }
            ApprovalAttr::Requires(os) => {
                let v: Vec<String> = os.iter().map(|o| format!("`{}`", o.text)).collect();
                let _ = write!(out, "\n- requires: {}", v.join(", "));
            }
        }
    }
    out.push_str(STALE);
    Some(out)
}
