//! The access delta for traffic to the firewalls themselves: per firewall,
//! what its `manage` and `control` entries in force admit in NEW and not in
//! OLD, and the converse.
//!
//! Each entry is a box per source zone: the entry's sources there × the
//! firewall's own addresses (every address when it declares none, as on
//! the local path) × its services. Firewalls are matched by name
//! (case-insensitive); one only in OLD or only in NEW contributes all its
//! entries as removed or added. The delta is exact ([`subtract`]).

use serde::Serialize;

use super::boxes::family;
use super::label::Labeller;
use super::space::{subtract, Cube};
use super::{AccessBox, Side};
use crate::model::{AddrSet, Date, Firewall, Policy, ServiceSpace};

/// The change in what one firewall admits to itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalDelta {
    /// The firewall's name (NEW's spelling when it exists in NEW).
    pub firewall: String,
    /// Traffic to the firewall NEW admits and OLD does not. `dst.zone` and
    /// `dst.names` name the firewall; `flows` are its entries
    /// (`firewall/entry`) in NEW whose box meets this one.
    pub added: Vec<AccessBox>,
    /// Traffic to the firewall OLD admits and NEW does not (entries of OLD).
    pub removed: Vec<AccessBox>,
}

/// The entries of `fw` in force on `today` as boxes, with their full names.
fn cubes(policy: &Policy, fw: &Firewall, today: Date) -> Vec<(Cube, String)> {
    let own = fw.own_addrs();
    let dst = if own.is_empty() { AddrSet::all() } else { own };
    let mut out = Vec::new();
    for entry in fw.local.iter().filter(|e| e.in_force_on(today)) {
        let svc = ServiceSpace::of_set(&entry.services);
        for zone in entry.from_zones() {
            if policy.zones.get(zone).is_none() {
                continue;
            }
            let src = entry.sources_in(zone);
            let cube = Cube {
                src,
                dst: dst.clone(),
                svc: svc.clone(),
            };
            if !cube.is_empty() {
                out.push((cube, entry.full_name.clone()));
            }
        }
    }
    out
}

/// `plus \ minus`, labelled: sources by the zones of `policy`, the
/// destination as the firewall `name`; `flows` the entries of `plus` whose
/// box meets the result.
fn one_side(
    policy: &Policy,
    name: &str,
    plus: &[(Cube, String)],
    minus: &[(Cube, String)],
) -> Vec<AccessBox> {
    let p: Vec<Cube> = plus.iter().map(|(c, _)| c.clone()).collect();
    let m: Vec<Cube> = minus.iter().map(|(c, _)| c.clone()).collect();
    let mut labels = Labeller::new(policy);
    let mut out = Vec::new();
    for cube in subtract(&p, &m) {
        let mut flows: Vec<String> = plus
            .iter()
            .filter(|(c, _)| c.meet(&cube).is_some())
            .map(|(_, n)| n.clone())
            .collect();
        flows.sort();
        flows.dedup();
        for v6 in [false, true] {
            let fam = |s: &AddrSet| if v6 { s.v6_only() } else { s.v4_only() };
            let (src, dst) = (fam(&cube.src), fam(&cube.dst));
            if src.is_empty() || dst.is_empty() {
                continue;
            }
            let mut rest = src;
            for z in &policy.zones {
                let part = rest.intersection(&z.addrs);
                if part.is_empty() {
                    continue;
                }
                rest = rest.difference(&part);
                out.push(AccessBox {
                    services: cube.svc.summary(),
                    src: labels.side(z.name.as_str(), v6, family(&part, v6)),
                    dst: Side {
                        zone: name.to_string(),
                        names: vec![name.to_string()],
                        except: Vec::new(),
                        addrs: dst.clone(),
                    },
                    flows: flows.clone(),
                    svc: cube.svc.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.src.zone.as_str(), a.src.addrs.to_prefixes(), &a.services).cmp(&(
            b.src.zone.as_str(),
            b.src.addrs.to_prefixes(),
            &b.services,
        ))
    });
    out
}

/// The change in traffic to each firewall between OLD and NEW on `today`,
/// for the firewalls where it changed, by name.
pub fn local_delta(old: &Policy, new: &Policy, today: Date) -> Vec<LocalDelta> {
    let mut names: Vec<(String, String)> = new
        .firewalls
        .iter()
        .chain(&old.firewalls)
        .map(|f| (f.name.key(), f.name.to_string()))
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    names.dedup_by(|a, b| a.0 == b.0);
    let mut out = Vec::new();
    for (key, name) in names {
        let o = old
            .firewall(&key)
            .map(|f| cubes(old, f, today))
            .unwrap_or_default();
        let n = new
            .firewall(&key)
            .map(|f| cubes(new, f, today))
            .unwrap_or_default();
        let added = one_side(new, &name, &n, &o);
        let removed = one_side(old, &name, &o, &n);
        if !added.is_empty() || !removed.is_empty() {
            out.push(LocalDelta {
                firewall: name,
                added,
                removed,
            });
        }
    }
    out
}
