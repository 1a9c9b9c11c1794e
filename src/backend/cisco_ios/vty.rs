//! The `line vty` access classes: which sources may open a remote session
//! (SSH, tcp/22, or Telnet, tcp/23) on the router itself.
//!
//! When the firewall's local entries in force admit tcp/22 or tcp/23 to
//! the router, the build ends with
//!
//! - `ip access-list standard conduit-vty-H`: per entry, a remark with its
//!   name and a `permit` for each IPv4 source prefix; `deny any log` last;
//! - `ipv6 access-list conduit-vty6-H`, when such entries have IPv6
//!   sources: `permit ipv6 SRC any` per source prefix; `deny ipv6 any any
//!   log` last;
//! - `line vty 0 15` applying them with `access-class conduit-vty-H in` and
//!   `ipv6 access-class conduit-vty6-H in`.
//!
//! `H` is the first 8 hex digits of the SHA-256 of the list's body, as for
//! the inbound lists. The class is a second gate behind the inbound lists,
//! which already admit each session service only from its own sources:
//! the class admits the union of the sources, so together they admit
//! exactly what the policy decides. Without such entries nothing about
//! `line vty` is written and the device's own vty configuration is left
//! alone.

use std::collections::BTreeMap;

use super::read::{State, PREFIX};
use super::{addr_terms, body_digest, Family, Lines, TARGET};
use crate::backend::EmitError;
use crate::lower::{Match, RuleSet};
use crate::model::AddrSet;

/// The TCP ports of remote sessions on the vty lines: SSH and Telnet.
const SESSION_PORTS: [u16; 2] = [22, 23];

/// The vty lists of a build: per family (`[IPv4, IPv6]`) the name and
/// body lines, `None` when the family gets no list.
#[derive(Debug)]
pub(super) struct Vty {
    lists: [Option<(String, Vec<String>)>; 2],
}

/// Whether `m` admits a remote session port.
fn reaches_vty(m: &Match) -> bool {
    match m {
        Match::Tcp(ports) => SESSION_PORTS.iter().any(|&p| ports.contains(p)),
        Match::Ip(6) | Match::Any => true,
        _ => false,
    }
}

/// The vty lists `rules` call for, or `None` when no local rule admits a
/// remote session.
pub(super) fn plan(rules: &RuleSet) -> Option<Vty> {
    let mut by_entry: BTreeMap<&str, AddrSet> = BTreeMap::new();
    for r in rules.local.iter().filter(|r| reaches_vty(&r.matcher)) {
        let slot = by_entry.entry(r.name.as_str()).or_default();
        *slot = slot.union(&r.src);
    }
    if by_entry.is_empty() {
        return None;
    }
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    let (mut seq4, mut seq6) = (10u64, 10u64);
    for (name, src) in &by_entry {
        let terms = addr_terms(&src.v4_only(), Family::V4);
        if !src.v4_only().is_empty() {
            v4.push(format!(" remark {name}"));
            for t in terms {
                v4.push(format!(" {seq4} permit {t}"));
                seq4 += 10;
            }
        }
        if !src.v6_only().is_empty() {
            v6.push(format!(" remark {name}"));
            for t in addr_terms(&src.v6_only(), Family::V6) {
                v6.push(format!(" sequence {seq6} permit ipv6 {t} any"));
                seq6 += 10;
            }
        }
    }
    v4.push(" remark conduitc: default deny".into());
    v4.push(format!(" {seq4} deny any log"));
    let v6 = (!v6.is_empty()).then(|| {
        v6.push(" remark conduitc: default deny".into());
        v6.push(format!(" sequence {seq6} deny ipv6 any any log"));
        (name("conduit-vty6-", &v6), v6)
    });
    Some(Vty {
        lists: [Some((name("conduit-vty-", &v4), v4)), v6],
    })
}

/// `PREFIX` and the first 8 hex digits of the digest of `body`.
fn name(prefix: &str, body: &[String]) -> String {
    let digest = body_digest(body.iter().map(String::as_str));
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

impl Vty {
    /// Writes the lists, then `line vty 0 15` applying them.
    pub(super) fn write(&self, w: &mut Lines<'_>) -> Result<(), EmitError> {
        for (v6, list) in self.lists.iter().enumerate() {
            let Some((name, body)) = list else {
                continue;
            };
            if v6 == 1 {
                w.line(&format!("ipv6 access-list {name}"))?;
            } else {
                w.line(&format!("ip access-list standard {name}"))?;
            }
            for l in body {
                w.line(l)?;
            }
            w.line("exit")?;
        }
        w.line("line vty 0 15")?;
        for (v6, list) in self.lists.iter().enumerate() {
            if let Some((name, _)) = list {
                let kw = if v6 == 1 { "ipv6 " } else { "" };
                w.line(&format!(" {kw}access-class {name} in"))?;
            }
        }
        w.line("exit")
    }
}

/// The transition of `line vty 0 15` from the classes `old` applies to
/// those `new` applies: each class that changes is replaced in one
/// command; a `conduit-` class the new build drops is removed; a class
/// conduitc did not write is refused when the new build would replace
/// it, and left alone otherwise.
pub(super) fn rebind(old: &State, new: &State) -> Result<Vec<String>, EmitError> {
    let mut cmds = Vec::new();
    for v6 in [false, true] {
        let kw = if v6 { "ipv6 " } else { "" };
        let have = old.vty[usize::from(v6)].as_ref();
        match (have, new.vty[usize::from(v6)].as_ref()) {
            (Some(h), Some(w)) if h.list == w.list => {}
            (Some(h), Some(_)) if !h.list.starts_with(PREFIX) => {
                return Err(EmitError::Previous {
                    target: TARGET,
                    line: h.line,
                    message: format!(
                        "line vty applies {}access-class {}, which conduitc did not write; the new build would replace it. Move what it admits into a `manage` entry, and remove the class, then build the transition again",
                        kw, h.list
                    ),
                });
            }
            (_, Some(w)) => cmds.push(format!(" {kw}access-class {} in", w.list)),
            (Some(h), None) if h.list.starts_with(PREFIX) => {
                cmds.push(format!(" no {kw}access-class {} in", h.list));
            }
            _ => {}
        }
    }
    if cmds.is_empty() {
        return Ok(cmds);
    }
    let mut lines = vec!["line vty 0 15".to_string()];
    lines.extend(cmds);
    lines.push("exit".into());
    Ok(lines)
}
