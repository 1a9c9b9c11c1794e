//! What hovering over a name shows: the declaration's facts, and for
//! zones, services and flows what the checked policy makes of them.

use std::fmt::Write as _;

use crate::model::{catalogue, Member, Networks, Policy};
use crate::syntax::ast::{
    ConduitAttr, Decl, File, FirewallAttr, FlowAttr, IsolationAttr, NetItem, OwnerAttr, ZoneAttr,
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
        Kind::Approval => Some(format!("**approval** `{key}`")),
        Kind::Isolation => isolation(key, files),
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
    for a in &block.attrs {
        let written = |eps: &Vec<crate::syntax::ast::EndpointRef>| {
            eps.iter()
                .map(|e| match &e.member {
                    Some(m) => format!("{}.{}", e.zone.text, m.text),
                    None => e.zone.text.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
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
