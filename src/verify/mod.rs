//! `conduitc verify`: what a device admits, read from its configuration,
//! compared with what the policy allows through that firewall.
//!
//! For nftables the reader ([`read_ruleset`]) takes the whole ruleset as
//! `nft list ruleset` prints it, every table. The forward path is judged as
//! the kernel judges it: every base chain on the `forward` hook of an
//! `ip`, `ip6` or `inet` table, in priority order; a packet is admitted when
//! every one of them accepts it (an accept ends one base chain and the
//! packet goes on to the next; a drop ends all). Jumps are followed; verify
//! judges packets that open a connection, so a rule limited to
//! `ct state established,related` or `invalid` matches none of them.
//!
//! The comparison is exact. The rules of each base chain are flattened
//! (jumps inlined) into a first-match list that ends with the chain's
//! policy, the chains are composed into one such list, and, for each
//! interface pair in play, set algebra over boxes gives:
//! - *admitted but not declared*: for each accepting entry, its packets that
//!   no earlier entry decides and no lowered rule of the policy allows;
//! - *declared but not admitted*: for each dropping entry (the chain
//!   policies included), the packets the policy allows that it decides.
//!
//! Packets addressed to the selected firewall's own addresses are never
//! forwarded. When the policy declares `manage` or `control` entries for
//! that firewall, they are judged the same way on the device's local path
//! (nftables: the `input` hook; Cisco IOS: the ingress interface's inbound
//! list, then the vty access class; FortiOS: the local-in policies)
//! against the lowered entries, and the findings carry the firewall's name.
//!
//! Each finding names the device rules (by line) that decide it, and the
//! flows of the policy that allow it. Interfaces: the policy's rules carry
//! the firewall's interfaces; every interface named by either side, and
//! "any other interface", is judged separately, and findings equal on
//! every pair are merged.

mod acl;
mod fortios;
mod ios;
mod json;
mod nft;

use serde::Serialize;

use crate::diff::access::{labelled, subtract, Cube};
use crate::diff::AccessBox;
use crate::lower::{lower, BuildOptions, FirewallInfo, LowerError, RuleSet};
use crate::model::{AddrSet, Policy, ServiceSpace};
pub use acl::{read_fortios, read_ios, verify_device, Device, DeviceError};
pub use nft::{read_ruleset, ReadError, Ruleset};
use nft::{Cond, Verdict};

/// An interface that neither side names.
pub const OTHER_INTERFACE: &str = "*";

/// A rule of the device configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeviceRule {
    /// 1-based line of the configuration (for JSON, the position of the
    /// rule's object in the `nftables` array).
    pub line: usize,
    /// The line's text, trimmed (for JSON, the rule as nft text with its
    /// handle).
    pub text: String,
}

/// A class of packets on which the device and the policy disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The packets, labelled with the policy's zones; its `flows` are the
    /// policy's flows that allow some of them (none for admitted but not
    /// declared).
    #[serde(flatten)]
    pub packets: AccessBox,
    /// The (input, output) interface pairs on which it holds; empty for
    /// every pair. [`OTHER_INTERFACE`] stands for any interface neither side
    /// names.
    pub interfaces: Vec<(String, String)>,
    /// The device rules that decide these packets: for a jump, the jump
    /// and the rule it leads to; with several base chains, the rule of
    /// each; a chain's policy is given by the chain's line. For Cisco IOS,
    /// the entry and the interface binding of each list on the path; for
    /// FortiOS, the policy's `edit` line.
    pub device_rules: Vec<DeviceRule>,
    /// True for a Cisco IOS reply entry (one that matches on source ports,
    /// or an `echo-reply`): `packets` are then the connections whose
    /// replies it admits, and no declared flow has them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reply: bool,
    /// For packets addressed to the firewall itself (its `manage` and
    /// `control` entries), the firewall's name; their `flows` are then the
    /// entries (`firewall/entry`), and the output interface of each pair
    /// is [`OTHER_INTERFACE`] (they leave by none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_firewall: Option<String>,
}

/// The result of a verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Drift {
    /// True when the device admits exactly what the policy allows.
    pub matches: bool,
    /// Packets the device admits and the policy does not allow.
    pub admitted_not_declared: Vec<Finding>,
    /// Packets the policy allows and the device does not admit.
    pub declared_not_admitted: Vec<Finding>,
    /// True when traffic addressed to the firewall itself was compared: a
    /// firewall is selected and the policy declares `manage` or `control`
    /// entries for it. Otherwise the policy does not govern that traffic
    /// and the comparison leaves it out.
    pub to_firewall_judged: bool,
}

/// One entry of a first-match list: packets matching `cond` and no earlier
/// entry are accepted or dropped; `origins` are the deciding lines.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) cond: Cond,
    pub(crate) accept: bool,
    pub(crate) origins: Vec<usize>,
}

const MAX_DEPTH: usize = 16;

fn flatten(table: &nft::Table, chain: &nft::Chain, depth: usize) -> Result<Vec<Entry>, ReadError> {
    let mut out = Vec::new();
    let n = chain.rules.len();
    for (k, r) in chain.rules.iter().enumerate() {
        if !r.live {
            continue;
        }
        match &r.verdict {
            Verdict::Continue => {}
            Verdict::Accept | Verdict::Drop => out.push(Entry {
                cond: r.cond.clone(),
                accept: r.verdict == Verdict::Accept,
                origins: vec![r.line],
            }),
            Verdict::Return if k + 1 == n && r.cond == Cond::all() => {}
            Verdict::Return | Verdict::Goto(_) => {
                return Err(ReadError {
                    line: r.line,
                    message: "`return` and `goto` are not supported by verify except an unconditional `return` at a chain's end".into(),
                })
            }
            Verdict::Jump(target) => {
                let Some(sub) = table.chains.get(target) else {
                    return Err(ReadError {
                        line: r.line,
                        message: format!("no chain `{target}` in table {} {}", table.family, table.name),
                    });
                };
                if depth >= MAX_DEPTH {
                    return Err(ReadError {
                        line: r.line,
                        message: "jumps nest too deep (a loop?)".into(),
                    });
                }
                for e in flatten(table, sub, depth + 1)? {
                    let mut origins = vec![r.line];
                    origins.extend(e.origins);
                    out.push(Entry {
                        cond: r.cond.and(&e.cond),
                        accept: e.accept,
                        origins,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The path of the ruleset at `hook` (`forward`, or `input` for packets
/// addressed to the host) as one first-match list (ending with an entry
/// that matches every packet).
fn base_path(rs: &Ruleset, hook: &str) -> Result<Vec<Entry>, ReadError> {
    let mut bases: Vec<(i64, usize, &nft::Table, &nft::Chain)> = Vec::new();
    for t in &rs.tables {
        if !["ip", "ip6", "inet"].contains(&t.family.as_str()) {
            continue;
        }
        for c in t.chains.values() {
            if let Some(b) = &c.base {
                if b.hook == hook {
                    bases.push((b.priority, c.line, t, c));
                }
            }
        }
    }
    bases.sort_by_key(|b| (b.0, b.1));
    let mut path = vec![Entry {
        cond: Cond::all(),
        accept: true,
        origins: Vec::new(),
    }];
    for (_, _, table, chain) in bases.into_iter().rev() {
        let mut list = flatten(table, chain, 0)?;
        let mut fam = Cond::all();
        match table.family.as_str() {
            "ip" => fam.src = fam.src.v4_only(),
            "ip6" => fam.src = fam.src.v6_only(),
            _ => {}
        }
        list.push(Entry {
            cond: fam,
            accept: chain.base.as_ref().is_some_and(|b| b.accept),
            origins: vec![chain.line],
        });
        if table.family != "inet" {
            // Packets of the other family pass this chain untouched.
            list.push(Entry {
                cond: Cond::all(),
                accept: true,
                origins: Vec::new(),
            });
        }
        // Whatever this chain accepts goes on to the chains after it.
        let mut composed = Vec::new();
        for e in list {
            if !e.accept {
                composed.push(e);
                continue;
            }
            for f in &path {
                let mut origins = e.origins.clone();
                origins.extend(f.origins.iter().copied());
                composed.push(Entry {
                    cond: e.cond.and(&f.cond),
                    accept: f.accept,
                    origins,
                });
            }
        }
        path = composed;
    }
    Ok(path)
}

fn in_slice(names: &Option<std::collections::BTreeSet<String>>, name: &Option<String>) -> bool {
    match (names, name) {
        (None, _) => true,
        (Some(s), Some(n)) => s.contains(n),
        (Some(_), None) => false,
    }
}

fn cube(c: &Cond) -> Cube {
    Cube {
        src: c.src.clone(),
        dst: c.dst.clone(),
        svc: c.svc.clone(),
    }
}

/// Compares what the ruleset admits with what the policy allows, lowered
/// for `opts` (its date, isolation mode and firewall): the forward path,
/// and, when the policy declares `manage` or `control` entries for the
/// selected firewall, the input path (packets addressed to the firewall's
/// own addresses).
pub fn verify(policy: &Policy, opts: &BuildOptions, rs: &Ruleset) -> Result<Drift, VerifyError> {
    let lowered = lower(policy, opts).map_err(VerifyError::Lower)?;
    let located = |e: ReadError| {
        VerifyError::Read(ReadError {
            line: rs.place(e.line).0,
            message: e.message,
        })
    };
    let path = base_path(rs, "forward").map_err(located)?;
    let place = |line: usize| {
        let (line, text) = rs.place(line);
        DeviceRule { line, text }
    };
    let own = own_addrs(&lowered);
    // Packets to the host's own addresses are never forwarded.
    let routed = (!own.is_empty()).then(|| own.complement());
    let mut drift = compare(
        policy,
        &forward_allowed(&lowered),
        &path,
        &place,
        &|_, _| Some(routed.clone()),
        None,
    );
    if let Some(fw) = judged_firewall(&lowered) {
        let input = base_path(rs, "input").map_err(located)?;
        let to = (!own.is_empty()).then(|| own.clone());
        let local = compare(
            policy,
            &local_allowed(&lowered),
            &input,
            &place,
            &|iif, oif| {
                // The host's own traffic on loopback is not judged.
                if oif.is_some() || iif.as_deref() == Some("lo") {
                    return None;
                }
                Some(to.clone())
            },
            Some(fw),
        );
        drift.absorb(local);
    }
    Ok(drift)
}

impl Drift {
    /// Adds the findings on traffic to the firewall itself.
    pub(crate) fn absorb(&mut self, local: Drift) {
        self.admitted_not_declared
            .extend(local.admitted_not_declared);
        self.declared_not_admitted
            .extend(local.declared_not_admitted);
        self.to_firewall_judged = true;
        self.matches =
            self.admitted_not_declared.is_empty() && self.declared_not_admitted.is_empty();
    }
}

/// The firewall's own addresses (none without a selected firewall).
pub(crate) fn own_addrs(lowered: &RuleSet) -> AddrSet {
    lowered
        .firewall
        .as_ref()
        .map(|f| f.own.clone())
        .unwrap_or_default()
}

/// The firewall whose own traffic is judged: the selected one, when the
/// policy declares `manage` or `control` entries for it.
pub(crate) fn judged_firewall(lowered: &RuleSet) -> Option<&FirewallInfo> {
    lowered.firewall.as_ref().filter(|f| f.local_declared)
}

/// A box of packets the policy allows, on the interfaces it names.
pub(crate) struct Allowed {
    pub(crate) in_iface: Option<String>,
    pub(crate) out_iface: Option<String>,
    pub(crate) cube: Cube,
    /// The flow (`conduit/flow`) or entry (`firewall/entry`).
    pub(crate) name: String,
}

/// What the policy allows through the firewall.
pub(crate) fn forward_allowed(lowered: &RuleSet) -> Vec<Allowed> {
    lowered
        .rules
        .iter()
        .map(|r| Allowed {
            in_iface: r.in_iface.as_deref().map(str::to_string),
            out_iface: r.out_iface.as_deref().map(str::to_string),
            cube: Cube {
                src: r.src.clone(),
                dst: r.dst.clone(),
                svc: r.matcher.space(),
            },
            name: r.name.to_string(),
        })
        .collect()
}

/// What the policy allows to the firewall itself: its entries in force,
/// each arriving on the interface facing its sources.
pub(crate) fn local_allowed(lowered: &RuleSet) -> Vec<Allowed> {
    lowered
        .local
        .iter()
        .map(|r| Allowed {
            in_iface: Some(r.in_iface.to_string()),
            out_iface: None,
            cube: Cube {
                src: r.src.clone(),
                dst: r.dst.clone(),
                svc: r.matcher.space(),
            },
            name: r.name.to_string(),
        })
        .collect()
}

/// IPv6 neighbour discovery (ICMPv6 types 133-137): every target admits it
/// to the device itself, and the comparison leaves it out.
fn without_nd(svc: &ServiceSpace) -> ServiceSpace {
    svc.difference(&ServiceSpace::types(58, &(133u8..=137).collect()))
}

/// Why verification could not be done.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The policy cannot be lowered as asked.
    Lower(LowerError),
    /// The configuration cannot be judged (a construct verify does not
    /// model), with the line.
    Read(ReadError),
    /// A Cisco IOS configuration is compared with one firewall of the
    /// policy, whose interfaces say which zone each faces: none was given.
    FirewallRequired,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::Lower(e) => write!(f, "{e}"),
            VerifyError::Read(e) => write!(f, "{e}"),
            VerifyError::FirewallRequired => write!(
                f,
                "a Cisco IOS configuration is compared with one firewall of the policy; give --firewall"
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

type Raw = (
    Cube,
    Vec<usize>,
    Vec<String>,
    (Option<String>, Option<String>),
);

type Place<'a> = &'a dyn Fn(usize) -> DeviceRule;

/// Which interface pairs are judged, and on each, the destinations that
/// leave by its output interface (`None`: every destination).
type Scope<'a> = &'a dyn Fn(&Option<String>, &Option<String>) -> Option<Option<AddrSet>>;

/// Compares a device path with what the policy allows. With `local`
/// (the firewall's name), the packets are addressed to the firewall itself:
/// only pairs without an output interface are judged, and neighbour
/// discovery is left out; every interface of the firewall is then in play.
fn compare(
    policy: &Policy,
    allowed: &[Allowed],
    path: &[Entry],
    place: Place<'_>,
    scope: Scope<'_>,
    local: Option<&FirewallInfo>,
) -> Drift {
    // The interfaces in play.
    let mut names = std::collections::BTreeSet::new();
    if let Some(fw) = local {
        names.extend(fw.interfaces.iter().map(|(i, _)| i.to_string()));
    }
    for e in path {
        for s in [&e.cond.iif, &e.cond.oif].into_iter().flatten() {
            names.extend(s.iter().cloned());
        }
    }
    for r in allowed {
        names.extend(r.in_iface.iter().cloned());
        names.extend(r.out_iface.iter().cloned());
    }
    let ifaces: Vec<Option<String>> = if names.is_empty() {
        vec![None]
    } else {
        names.into_iter().map(Some).chain([None]).collect()
    };
    let mut slices = Vec::new();
    for i in &ifaces {
        for o in &ifaces {
            slices.push((i.clone(), o.clone()));
        }
    }
    let mut added: Vec<Raw> = Vec::new();
    let mut removed: Vec<Raw> = Vec::new();
    let mut judged = 0;
    for slice in &slices {
        let (iif, oif) = slice;
        let Some(route) = scope(iif, oif) else {
            continue;
        };
        judged += 1;
        let routed = |mut c: Cube| {
            if let Some(r) = &route {
                c.dst = c.dst.intersection(r);
            }
            if local.is_some() {
                c.svc = without_nd(&c.svc);
            }
            c
        };
        let entries: Vec<(Cube, &Entry)> = path
            .iter()
            .filter(|e| in_slice(&e.cond.iif, iif) && in_slice(&e.cond.oif, oif))
            .map(|e| (routed(cube(&e.cond)), e))
            .filter(|(c, _)| !c.is_empty())
            .collect();
        let rules: Vec<(Cube, &Allowed)> = allowed
            .iter()
            .filter(|r| {
                (r.in_iface.is_none() || r.in_iface == *iif)
                    && (r.out_iface.is_none() || r.out_iface == *oif)
            })
            .map(|r| (routed(r.cube.clone()), r))
            .filter(|(c, _)| !c.is_empty())
            .collect();
        let allowed: Vec<Cube> = rules.iter().map(|(c, _)| c.clone()).collect();
        for (k, (c, e)) in entries.iter().enumerate() {
            let earlier = entries[..k].iter().map(|(c, _)| c.clone());
            if e.accept {
                let minus: Vec<Cube> = earlier.chain(allowed.iter().cloned()).collect();
                for piece in subtract(std::slice::from_ref(c), &minus) {
                    added.push((piece, e.origins.clone(), Vec::new(), slice.clone()));
                }
            } else {
                let plus: Vec<Cube> = allowed.iter().filter_map(|a| a.meet(c)).collect();
                if plus.is_empty() {
                    continue;
                }
                let minus: Vec<Cube> = earlier.collect();
                for piece in subtract(&plus, &minus) {
                    let mut flows: Vec<String> = rules
                        .iter()
                        .filter(|(a, _)| a.meet(&piece).is_some())
                        .map(|(_, r)| r.name.clone())
                        .collect();
                    flows.sort();
                    flows.dedup();
                    removed.push((piece, e.origins.clone(), flows, slice.clone()));
                }
            }
        }
    }
    let mut admitted_not_declared = findings(policy, place, added, judged);
    let mut declared_not_admitted = findings(policy, place, removed, judged);
    for f in admitted_not_declared
        .iter_mut()
        .chain(declared_not_admitted.iter_mut())
    {
        f.to_firewall = local.map(|fw| fw.name.to_string());
    }
    Drift {
        matches: admitted_not_declared.is_empty() && declared_not_admitted.is_empty(),
        admitted_not_declared,
        declared_not_admitted,
        to_firewall_judged: false,
    }
}

type Merged = (Cube, Vec<usize>, Vec<String>, Vec<(String, String)>);

/// Merges the findings equal on several interface pairs and labels them.
fn findings(policy: &Policy, place: Place<'_>, raw: Vec<Raw>, slices: usize) -> Vec<Finding> {
    let mut merged: Vec<Merged> = Vec::new();
    let show = |n: &Option<String>| n.clone().unwrap_or_else(|| OTHER_INTERFACE.to_string());
    for (c, origins, flows, (i, o)) in raw {
        let pair = (show(&i), show(&o));
        match merged
            .iter_mut()
            .find(|m| m.0 == c && m.1 == origins && m.2 == flows)
        {
            Some(m) => m.3.push(pair),
            None => merged.push((c, origins, flows, vec![pair])),
        }
    }
    let mut out = Vec::new();
    for (c, origins, flows, mut pairs) in merged {
        if pairs.len() == slices {
            pairs.clear();
        }
        let device_rules: Vec<DeviceRule> = origins.iter().map(|&line| place(line)).collect();
        for b in labelled(policy, &c, &flows) {
            out.push(Finding {
                packets: b,
                interfaces: pairs.clone(),
                device_rules: device_rules.clone(),
                reply: false,
                to_firewall: None,
            });
        }
    }
    out
}
