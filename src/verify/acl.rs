//! Devices read as first-match lists per interface pair: Cisco IOS access
//! lists with their bindings ([`read_ios`]) and FortiOS firewall policies
//! ([`read_fortios`]), compared with the policy by [`verify_device`] through
//! the same set algebra as the nftables path.

use std::collections::BTreeMap;

use super::{
    compare, forward_allowed, judged_firewall, local_allowed, own_addrs, Cond, DeviceRule, Drift,
    Entry, Finding, VerifyError,
};
use crate::diff::access::{labelled, subtract, Cube};
use crate::lower::{lower, BuildOptions, RuleSet};
use crate::model::platform::ios_interface_key;
use crate::model::{AddrSet, Policy};
use ipnet::{IpNet, Ipv6Net};

pub use super::fortios::read_fortios;
pub use super::ios::read_ios;

/// Why a Cisco IOS or FortiOS configuration cannot be judged.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceError {
    /// Text the reader does not understand, with the line.
    Unreadable(super::ReadError),
    /// A feature that changes what the device admits and that verify does
    /// not model (a negated address, a schedule, a zone-based firewall, a
    /// time range...), with the line.
    Unmodelled(super::ReadError),
}

impl DeviceError {
    /// The line and why.
    pub fn error(&self) -> &super::ReadError {
        match self {
            DeviceError::Unreadable(e) | DeviceError::Unmodelled(e) => e,
        }
    }
}

impl std::fmt::Display for DeviceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error())
    }
}

impl std::error::Error for DeviceError {}

/// An IPv6 prefix `A/L` of a device configuration (host bits ignored); with
/// `bare_host`, an address without `/L` is the single host.
pub(crate) fn v6_prefix(p: &str, line: usize, bare_host: bool) -> Result<AddrSet, DeviceError> {
    let parsed = if bare_host && !p.contains('/') {
        p.parse::<std::net::Ipv6Addr>().map(Ipv6Net::from).ok()
    } else {
        p.parse::<Ipv6Net>().ok()
    };
    match parsed {
        Some(net) => Ok(AddrSet::from_net(IpNet::V6(net.trunc()))),
        None => unreadable(line, format!("`{p}` is not an IPv6 prefix")),
    }
}

pub(crate) fn unreadable<T>(line: usize, message: impl Into<String>) -> Result<T, DeviceError> {
    Err(DeviceError::Unreadable(super::ReadError {
        line,
        message: message.into(),
    }))
}

pub(crate) fn unmodelled<T>(line: usize, message: impl Into<String>) -> Result<T, DeviceError> {
    Err(DeviceError::Unmodelled(super::ReadError {
        line,
        message: message.into(),
    }))
}

/// A reply entry of a stateless device: it admits the replies of the
/// connections in `cube` (initiators to responders), which the policy must
/// allow on an interface pair the entry's binding is consistent with.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) cube: Cube,
    pub(crate) iif: Option<String>,
    pub(crate) oif: Option<String>,
    pub(crate) origins: Vec<usize>,
}

/// What a Cisco IOS or FortiOS device admits, read from its configuration.
#[derive(Clone, Debug)]
pub struct Device {
    /// One first-match list over every interface pair; interface names
    /// as the configuration writes them.
    pub(crate) path: Vec<Entry>,
    /// The first-match list of packets addressed to the device itself
    /// (Cisco IOS: the inbound list, then the vty access class for SSH and
    /// telnet; FortiOS: the local-in policies, then the interface's
    /// administrative access, taken as admitting).
    pub(crate) local: Vec<Entry>,
    /// The device rules that origins index.
    pub(crate) rules: Vec<DeviceRule>,
    pub(crate) replies: Vec<Reply>,
    /// A Cisco IOS router: interface names compare as IOS compares them
    /// (abbreviations, case), the interfaces are those the configuration
    /// lists (`ifaces`) and the firewall's, and a packet leaves by the
    /// interface facing its destination's zone.
    pub(crate) ios_names: bool,
    pub(crate) ifaces: Vec<String>,
}

impl Device {
    /// The number of filtering entries read (access-list entries or
    /// policies, with the implicit denies).
    pub fn entries(&self) -> usize {
        self.path.len()
    }

    pub(crate) fn origin(&mut self, line: usize, text: impl Into<String>) -> usize {
        self.rules.push(DeviceRule {
            line,
            text: text.into(),
        });
        self.rules.len() - 1
    }
}

/// Composes two stages: what `first` accepts goes on to `then`.
pub(crate) fn compose(first: Vec<Entry>, then: &[Entry]) -> Vec<Entry> {
    let mut out = Vec::new();
    for e in first {
        if !e.accept {
            out.push(e);
            continue;
        }
        for f in then {
            let cond = e.cond.and(&f.cond);
            if cube_of(&cond).is_empty() || names_empty(&cond) {
                continue;
            }
            let mut origins = e.origins.clone();
            origins.extend(f.origins.iter().copied());
            out.push(Entry {
                cond,
                accept: f.accept,
                origins,
            });
        }
    }
    out
}

fn names_empty(c: &Cond) -> bool {
    c.iif.as_ref().is_some_and(|s| s.is_empty()) || c.oif.as_ref().is_some_and(|s| s.is_empty())
}

pub(crate) fn cube_of(c: &Cond) -> Cube {
    Cube {
        src: c.src.clone(),
        dst: c.dst.clone(),
        svc: c.svc.clone(),
    }
}

/// Compares what the device admits with what the policy allows, lowered
/// for `opts` (its date, isolation mode and firewall). Interfaces are
/// judged per pair, as for nftables; for Cisco IOS, a configuration's
/// interface name and the policy's name the same interface when IOS would
/// (`Gi0/1` and `GigabitEthernet0/1`).
pub fn verify_device(
    policy: &Policy,
    opts: &BuildOptions,
    device: &Device,
) -> Result<Drift, VerifyError> {
    let lowered = lower(policy, opts).map_err(VerifyError::Lower)?;
    let rename = renamer(device, &lowered);
    // Interfaces the configuration lists are judged even when no list is
    // bound on them: an entry that matches nothing names them.
    let prepare = |entries: &[Entry]| -> Vec<Entry> {
        let listed = device.ifaces.iter().map(|n| {
            let mut cond = Cond::all();
            cond.svc = crate::model::ServiceSpace::new();
            cond.iif = Some(std::collections::BTreeSet::from([n.clone()]));
            Entry {
                cond,
                accept: false,
                origins: Vec::new(),
            }
        });
        listed
            .chain(entries.iter().cloned())
            .map(|mut e| {
                for side in [&mut e.cond.iif, &mut e.cond.oif] {
                    if let Some(s) = side.as_mut() {
                        *s = s.iter().map(|n| rename(n)).collect();
                    }
                }
                e
            })
            .collect()
    };
    let path = prepare(&device.path);
    let place = |i: usize| {
        device.rules.get(i).cloned().unwrap_or(DeviceRule {
            line: 0,
            text: String::new(),
        })
    };
    // Packets addressed to the firewall itself are not forwarded: they are
    // judged on the device's local path, or left out when the policy
    // declares no entry for the firewall.
    let own = own_addrs(&lowered);
    let forward = forward_allowed(&lowered);
    let local_fw = judged_firewall(&lowered);
    let local_path = prepare(&device.local);
    let local = local_allowed(&lowered);
    let mut drift = if device.ios_names {
        let Some(fw) = &lowered.firewall else {
            return Err(VerifyError::FirewallRequired);
        };
        let mut faced: BTreeMap<String, AddrSet> = BTreeMap::new();
        for (iface, zone) in &fw.interfaces {
            if let Some(z) = policy.zones.iter().find(|z| z.name.as_str() == zone) {
                let e = faced.entry(iface.to_string()).or_default();
                *e = e.union(&z.addrs);
            }
        }
        let elsewhere = AddrSet::union_all(faced.values()).complement();
        let scope = |iif: &Option<String>, oif: &Option<String>| {
            iif.as_ref()?;
            Some(Some(
                match oif.as_ref().and_then(|o| faced.get(o)) {
                    Some(a) => a.clone(),
                    None => elsewhere.clone(),
                }
                .difference(&own),
            ))
        };
        let mut drift = compare(policy, &forward, &path, &place, &scope, None);
        if let Some(name) = local_fw {
            // Router-bound packets meet the ingress interface's inbound
            // list and leave by no outbound list.
            let to_router = |iif: &Option<String>, oif: &Option<String>| {
                iif.as_ref()?;
                oif.is_none().then(|| Some(own.clone()))
            };
            drift.absorb(compare(
                policy,
                &local,
                &local_path,
                &place,
                &to_router,
                Some(name),
            ));
        }
        drift
    } else {
        let routed = (!own.is_empty()).then(|| own.complement());
        let mut drift = compare(
            policy,
            &forward,
            &path,
            &place,
            &|_, _| Some(routed.clone()),
            None,
        );
        if let Some(name) = local_fw {
            let to = (!own.is_empty()).then(|| own.clone());
            drift.absorb(compare(
                policy,
                &local,
                &local_path,
                &place,
                &|_, oif| oif.is_none().then(|| to.clone()),
                Some(name),
            ));
        }
        drift
    };
    for r in &device.replies {
        let iif = r.iif.as_deref().map(&rename);
        let oif = r.oif.as_deref().map(&rename);
        let allowed: Vec<Cube> = lowered
            .rules
            .iter()
            .filter(|x| {
                (iif.is_none() || x.in_iface.is_none() || x.in_iface.as_deref() == iif.as_deref())
                    && (oif.is_none()
                        || x.out_iface.is_none()
                        || x.out_iface.as_deref() == oif.as_deref())
            })
            .map(|x| Cube {
                src: x.src.clone(),
                dst: x.dst.clone(),
                svc: x.matcher.space(),
            })
            .collect();
        let device_rules: Vec<DeviceRule> = r.origins.iter().map(|&i| place(i)).collect();
        let mut cube = r.cube.clone();
        // Replies to connections the firewall opens itself are not
        // governed by the policy; those to its own addresses are judged on
        // its local path.
        cube.dst = cube.dst.difference(&own);
        cube.src = cube.src.difference(&own);
        if cube.dst.is_empty() || cube.src.is_empty() {
            continue;
        }
        for piece in subtract(std::slice::from_ref(&cube), &allowed) {
            for b in labelled(policy, &piece, &[]) {
                let f = Finding {
                    packets: b,
                    interfaces: Vec::new(),
                    device_rules: device_rules.clone(),
                    reply: true,
                    to_firewall: None,
                };
                if !drift.admitted_not_declared.contains(&f) {
                    drift.admitted_not_declared.push(f);
                }
            }
        }
    }
    drift.matches =
        drift.admitted_not_declared.is_empty() && drift.declared_not_admitted.is_empty();
    Ok(drift)
}

/// Maps the configuration's interface names to the policy's.
fn renamer<'a>(device: &Device, lowered: &'a RuleSet) -> impl Fn(&str) -> String + 'a {
    let ios = device.ios_names;
    let mut by_key: BTreeMap<String, String> = BTreeMap::new();
    if ios {
        for r in &lowered.rules {
            for n in [&r.in_iface, &r.out_iface].into_iter().flatten() {
                by_key.insert(ios_interface_key(n), n.to_string());
            }
        }
        for r in &lowered.local {
            by_key.insert(ios_interface_key(&r.in_iface), r.in_iface.to_string());
        }
    }
    move |name: &str| {
        if ios {
            by_key
                .get(&ios_interface_key(name))
                .cloned()
                .unwrap_or_else(|| name.to_string())
        } else {
            name.to_string()
        }
    }
}
