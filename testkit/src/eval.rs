//! The evaluator registry: every backend target has an independent
//! evaluator that reads its output as the device would, and [`agrees`]
//! compares what that device does with `conduitc::decide`.
//!
//! A new target in `conduitc` stops this crate compiling until the target
//! is registered here with an evaluator (see [`evaluator`]).

use std::net::IpAddr;

use conduitc::backend::Target;
use conduitc::lower::{BuildOptions, Packet};
use conduitc::Policy;

use crate::wire::{self, Wire};
use crate::{fortios_eval, ios_eval, nft_eval, nft_json_eval};

/// What a device does with a packet that starts a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It passes the packet; `rule` is the flow (`conduit/flow` or
    /// `conduit/*`) the deciding rule is named after, `None` when that rule
    /// names none.
    Passed {
        /// The flow the deciding rule names.
        rule: Option<String>,
    },
    /// It drops the packet.
    Dropped,
    /// The device treats the packet by semantics `decide` does not model
    /// (conntrack refusing an ICMP type that opens no connection, a
    /// stateless list passing what could be a reply); the evaluator has
    /// checked that behaviour itself, and says which it is.
    Own(String),
}

/// A loaded configuration: one device, as the evaluator models it.
pub trait Device {
    /// What the device does with `pkt` as the first packet of a connection.
    /// `Err` describes a fault of the output that the verdict alone does
    /// not show (another interface's list admitting a spoofed source).
    fn admits(&self, pkt: &Packet) -> Result<Verdict, String>;
}

/// An independent reader of one target's output.
pub trait Evaluator {
    /// The target whose output this evaluator reads.
    fn target(&self) -> Target;
    /// Reads `text`, emitted by the target for `policy` under `opts`; `Err`
    /// when the text is not what the device accepts.
    fn load<'a>(
        &self,
        text: &str,
        policy: &'a Policy,
        opts: &'a BuildOptions,
    ) -> Result<Box<dyn Device + 'a>, String>;
}

/// The targets [`evaluator`] knows. `Target` is `#[non_exhaustive]`, so
/// this crate cannot match it without a wildcard arm; instead this constant
/// has the type of `Target::ALL`, and adding a target to `conduitc` stops
/// this crate compiling until the target is listed here and given an
/// evaluator below.
const REGISTERED: [Target; 4] = [
    Target::Nftables,
    Target::NftablesJson,
    Target::CiscoIos,
    Target::Fortios,
];
const _: [Target; 4] = Target::ALL;

/// The evaluator of `target`'s output. `Err` only for a target missing from
/// this registry, which the compile-time check above rules out for every
/// target in `Target::ALL`.
pub fn evaluator(target: Target) -> Result<Box<dyn Evaluator>, String> {
    Ok(match target {
        Target::Nftables => Box::new(Reader(Target::Nftables, load_nft)),
        Target::NftablesJson => Box::new(Reader(Target::NftablesJson, load_nft_json)),
        Target::CiscoIos => Box::new(Reader(Target::CiscoIos, load_ios)),
        Target::Fortios => Box::new(Reader(Target::Fortios, load_fortios)),
        other => {
            return Err(format!(
                "no evaluator reads {} output (registered: {REGISTERED:?})",
                other.as_str()
            ))
        }
    })
}

/// Reads `text` (emitted by `target` for `policy` under `opts`) with the
/// target's evaluator and checks that the device decides every packet of
/// `packets` as `conduitc::decide` does: a passed packet is allowed, by a
/// rule named after a flow `decide` names; a dropped one is not allowed. A
/// packet `decide` allows by the fixed part of every build (neighbour
/// discovery to the firewall itself) must pass, by a rule that names no
/// flow or an entry `decide` lists. A packet the policy does not govern
/// (to a firewall that declares no entry) is not compared, but the device
/// must still read it without a fault. Returns how many packets were
/// compared (the rest the device judged by its own semantics, or the
/// policy does not govern); `Err` describes the first disagreement.
pub fn agrees(
    target: Target,
    policy: &Policy,
    opts: &BuildOptions,
    text: &str,
    packets: &[Packet],
) -> Result<usize, String> {
    let device = evaluator(target)?.load(text, policy, opts).map_err(|e| {
        format!(
            "{}: the evaluator rejects the output: {e}\n{text}",
            target.as_str()
        )
    })?;
    let mut compared = 0;
    for pkt in packets {
        let want = conduitc::decide(policy, pkt, opts).map_err(|e| format!("decide: {e}"))?;
        let fail = |what: String| {
            format!(
                "{}: {pkt:?} under {opts:?}: {what}; decide says {want:?}\n{text}",
                target.as_str()
            )
        };
        let got = device.admits(pkt).map_err(&fail)?;
        if want.decision == conduitc::lower::Verdict::NotGoverned {
            continue;
        }
        if want.fixed.is_some() {
            match got {
                Verdict::Passed { rule: None } => compared += 1,
                Verdict::Passed { rule: Some(r) } if want.also.contains(&r) => compared += 1,
                other => {
                    return Err(fail(format!(
                        "{other:?}, yet every build admits it by its fixed part"
                    )))
                }
            }
            continue;
        }
        match got {
            Verdict::Passed { rule } => {
                if !want.allowed() {
                    return Err(fail(format!("passed by {rule:?}")));
                }
                let rule = rule.unwrap_or_default();
                if want.flow.as_deref() != Some(rule.as_str()) && !want.also.contains(&rule) {
                    return Err(fail(format!(
                        "passed by {rule:?}, which decide does not name"
                    )));
                }
                compared += 1;
            }
            Verdict::Dropped => {
                if want.allowed() {
                    return Err(fail("dropped".into()));
                }
                compared += 1;
            }
            Verdict::Own(_) => {}
        }
    }
    Ok(compared)
}

/// The selected firewall's own addresses (none without a firewall).
pub fn own_addrs(policy: &Policy, opts: &BuildOptions) -> Vec<IpAddr> {
    opts.firewall
        .as_deref()
        .and_then(|f| policy.firewall(f))
        .map(|fw| {
            fw.interfaces
                .iter()
                .flat_map(|i| i.addrs.iter().copied())
                .collect()
        })
        .unwrap_or_default()
}

/// True when `pkt` is addressed to the selected firewall itself.
pub fn to_device(policy: &Policy, opts: &BuildOptions, pkt: &Packet) -> bool {
    own_addrs(policy, opts).contains(&pkt.dst)
}

/// True when the build for `opts` governs the firewall's own traffic (the
/// firewall declares `manage` or `control` entries).
fn governs_local(policy: &Policy, opts: &BuildOptions) -> bool {
    opts.firewall
        .as_deref()
        .and_then(|f| policy.firewall(f))
        .is_some_and(|fw| !fw.local.is_empty())
}

/// The option sets a policy is compiled under by the generic tests: plain,
/// the next day (so flows expire), the first isolation mode, the first
/// firewall, and the two together.
pub fn option_sets(policy: &Policy, today: conduitc::model::Date) -> Vec<BuildOptions> {
    let mut v = vec![
        BuildOptions::new(today),
        BuildOptions::new(today.add_days(1)),
    ];
    let isolation = policy.isolations.first().map(|i| i.name.to_string());
    let firewall = policy.firewalls.first().map(|f| f.name.to_string());
    if isolation.is_some() {
        v.push(BuildOptions::new(today).with_isolation(isolation.clone()));
    }
    if firewall.is_some() {
        v.push(BuildOptions::new(today).with_firewall(firewall.clone()));
        if isolation.is_some() {
            v.push(
                BuildOptions::new(today)
                    .with_firewall(firewall)
                    .with_isolation(isolation),
            );
        }
    }
    v
}

/// The interface of the selected firewall facing the zone that holds `a`.
pub fn iface_for(policy: &Policy, opts: &BuildOptions, a: IpAddr) -> Option<String> {
    let fw = policy.firewall(opts.firewall.as_ref()?)?;
    let zone = policy.zone_of(a)?;
    fw.interface_for(zone).map(|i| i.name.clone())
}

/// The interfaces an nftables host sees a routed packet arrive on and leave
/// by: those facing the zones of its addresses, or `outside0` (which the
/// firewall does not know) for an address in no zone it faces. `None`
/// without a firewall.
pub fn nft_ifaces(
    policy: &Policy,
    opts: &BuildOptions,
    pkt: &Packet,
) -> (Option<String>, Option<String>) {
    if opts
        .firewall
        .as_deref()
        .and_then(|f| policy.firewall(f))
        .is_none()
    {
        return (None, None);
    }
    let name = |a| iface_for(policy, opts, a).unwrap_or_else(|| "outside0".to_string());
    (Some(name(pkt.src)), Some(name(pkt.dst)))
}

/// For a packet addressed to the selected firewall itself (one of its
/// interface addresses): `Some(declares)`, where `declares` says whether the
/// firewall declares any `manage` or `control` entry. `None` for other
/// packets and without a selected firewall.
pub fn to_selected_firewall(policy: &Policy, opts: &BuildOptions, pkt: &Packet) -> Option<bool> {
    let fw = policy.firewall(opts.firewall.as_deref()?)?;
    let own = fw.interfaces.iter().any(|i| i.addrs.contains(&pkt.dst));
    own.then_some(!fw.local.is_empty())
}

/// How an evaluator reads a target's text into a device.
type Load = for<'a> fn(&str, &'a Policy, &'a BuildOptions) -> Result<Box<dyn Device + 'a>, String>;

/// An evaluator: its target and how it reads that target's text.
struct Reader(Target, Load);

impl Evaluator for Reader {
    fn target(&self) -> Target {
        self.0
    }
    fn load<'a>(
        &self,
        text: &str,
        policy: &'a Policy,
        opts: &'a BuildOptions,
    ) -> Result<Box<dyn Device + 'a>, String> {
        (self.1)(text, policy, opts)
    }
}

/// A configuration as its evaluator read it, with the policy and options
/// it was built for, and the ephemeral port its replies come from.
struct Loaded<'a, C> {
    cfg: C,
    policy: &'a Policy,
    opts: &'a BuildOptions,
    eph: u16,
}

impl<'a, C> Loaded<'a, C> {
    fn boxed(cfg: C, policy: &'a Policy, opts: &'a BuildOptions) -> Box<Self> {
        Box::new(Loaded {
            cfg,
            policy,
            opts,
            eph: wire::ephemeral_port(policy),
        })
    }
}

fn load_nft<'a>(
    text: &str,
    policy: &'a Policy,
    opts: &'a BuildOptions,
) -> Result<Box<dyn Device + 'a>, String> {
    Ok(Loaded::boxed(nft_eval::parse(text)?, policy, opts))
}

fn load_nft_json<'a>(
    text: &str,
    policy: &'a Policy,
    opts: &'a BuildOptions,
) -> Result<Box<dyn Device + 'a>, String> {
    let as_text = nft_json_eval::to_text(text)?;
    let rs = nft_eval::parse(&as_text)
        .map_err(|e| format!("{e} in the ruleset read from JSON:\n{as_text}"))?;
    Ok(Loaded::boxed(rs, policy, opts))
}

fn load_ios<'a>(
    text: &str,
    policy: &'a Policy,
    opts: &'a BuildOptions,
) -> Result<Box<dyn Device + 'a>, String> {
    Ok(Loaded::boxed(ios_eval::parse(text)?, policy, opts))
}

fn load_fortios<'a>(
    text: &str,
    policy: &'a Policy,
    opts: &'a BuildOptions,
) -> Result<Box<dyn Device + 'a>, String> {
    Ok(Loaded::boxed(fortios_eval::parse(text)?, policy, opts))
}

/// An nftables host: the ruleset, with the packet routed between the
/// interfaces facing its zones.
impl Device for Loaded<'_, nft_eval::Ruleset> {
    fn admits(&self, pkt: &Packet) -> Result<Verdict, String> {
        let (iif, oif) = nft_ifaces(self.policy, self.opts, pkt);
        let to_self = to_selected_firewall(self.policy, self.opts, pkt);
        let got = match to_self {
            Some(declared) => {
                let got = self.cfg.eval_input(pkt, iif.as_deref());
                if !declared {
                    if self.cfg.has_input() {
                        return Err(
                            "an input chain for a firewall without manage or control".into()
                        );
                    }
                    return Ok(Verdict::Own(
                        "the firewall declares no manage or control entry: its own traffic is not filtered".into(),
                    ));
                }
                if !self.cfg.has_input() {
                    return Err(
                        "no input chain for a firewall with manage or control entries".into(),
                    );
                }
                if pkt.proto == 58 && matches!(pkt.icmp_type, Some(133..=136)) {
                    // Neighbour and router discovery are untracked: the
                    // input chain's fixed rule accepts them before the
                    // entries.
                    let v6 = pkt.src.is_ipv6() && pkt.dst.is_ipv6();
                    if v6 && matches!(pkt.icmp_type, Some(135 | 136)) {
                        return Ok(if got.accept {
                            Verdict::Passed { rule: got.rule }
                        } else {
                            Verdict::Dropped
                        });
                    }
                    if got.accept && got.rule.is_none() {
                        // Router solicitation and advertisement, which
                        // `decide` leaves to the entries, and the same
                        // ICMPv6 types carried over IPv4, which `icmpv6
                        // type` matches in an inet table (the host's IPv4
                        // stack has no protocol 58 and discards them).
                        return Ok(Verdict::Own(
                            "accepted by the input chain's neighbour discovery rule".into(),
                        ));
                    }
                }
                got
            }
            None => self.cfg.eval(pkt, iif.as_deref(), oif.as_deref()),
        };
        if !nft_eval::opens_connection(pkt) {
            // Conntrack marks it invalid: stricter than `decide`, never looser.
            if got.accept {
                return Err("it cannot open a connection yet passed".into());
            }
            return Ok(Verdict::Own(
                "conntrack opens no connection with this ICMP type".into(),
            ));
        }
        Ok(if got.accept {
            Verdict::Passed { rule: got.rule }
        } else {
            Verdict::Dropped
        })
    }
}

/// The list an IOS device applies to traffic from `src`: the inbound list
/// of the interface facing the zone that holds `src` (by convention the
/// list named for that zone, `conduit-ZONE-in-H` / `conduit-ZONE-in6-H`,
/// when no firewall is selected).
pub fn ios_arrival<'c>(
    cfg: &'c ios_eval::Config,
    policy: &Policy,
    opts: &BuildOptions,
    src: IpAddr,
) -> Option<(String, &'c ios_eval::Acl)> {
    let zone = policy.zone_of(src)?;
    let v6 = src.is_ipv6();
    let name = match &opts.firewall {
        None => ios_list_of(cfg, &policy.zones[zone].name, v6)?,
        Some(fw) => {
            let iface = policy.firewall(fw)?.interface_for(zone)?;
            let b = cfg.interfaces.get(&iface.name)?;
            let n = if v6 { &b.v6_in } else { &b.v4_in };
            n.clone()?
        }
    };
    let acl = cfg.acls.get(&name)?;
    Some((name, acl))
}

/// The name of zone `zone`'s list of a family in `cfg`: `conduit-ZONE-in-`
/// (`-in6-` for IPv6) and 8 hex digits.
pub fn ios_list_of(
    cfg: &ios_eval::Config,
    zone: impl std::fmt::Display,
    v6: bool,
) -> Option<String> {
    let prefix = format!("conduit-{zone}-in{}-", if v6 { "6" } else { "" });
    cfg.acls
        .keys()
        .find(|n| {
            n.strip_prefix(&prefix).is_some_and(|h| {
                h.len() == 8 && h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
            })
        })
        .cloned()
}

/// A Cisco IOS router: stateless lists, one inbound list per zone and
/// family.
impl Device for Loaded<'_, ios_eval::Config> {
    fn admits(&self, pkt: &Packet) -> Result<Verdict, String> {
        let (p, opts) = (self.policy, self.opts);
        let w = Wire::initiation(pkt, self.eph);
        if !w.same_family() {
            return Ok(Verdict::Own(
                "no list filters a packet whose addresses are of two families".into(),
            ));
        }
        let nd = wire::is_neighbour_discovery(&w);
        if to_device(p, opts, pkt) {
            return ios_to_router(&self.cfg, p, opts, &w, nd);
        }
        if own_addrs(p, opts).contains(&pkt.src) {
            // The router sends it itself (an answer to a router-bound
            // packet): it leaves by an interface, no inbound list sees it.
            return Ok(Verdict::Own(
                "the router originates it; inbound lists do not see it".into(),
            ));
        }
        let reply = wire::is_reply(p, opts, &w);
        let arrival = ios_arrival(&self.cfg, p, opts, w.src);
        let arrival_name = arrival.as_ref().map(|(n, _)| n.clone());
        for (name, acl) in &self.cfg.acls {
            // A vty access class filters sessions to the router, behind
            // the inbound lists: not a zone's list.
            let vty_class = self
                .cfg
                .vty
                .iter()
                .any(|b| b.v4_in.as_ref() == Some(name) || b.v6_in.as_ref() == Some(name));
            if acl.v6 != w.src.is_ipv6() || Some(name) == arrival_name.as_ref() || vty_class {
                continue;
            }
            let v = acl.eval(&w);
            if v.permit && !nd {
                return Err(format!(
                    "{name} admits it, whose source is not in its zone ({:?})",
                    v.ace
                ));
            }
        }
        let Some((name, acl)) = arrival else {
            if reply {
                return Err("it could be a reply, but no list filters its source".into());
            }
            return Ok(Verdict::Dropped);
        };
        let v = acl.eval(&w);
        if !v.permit {
            if nd || reply {
                return Err(format!(
                    "{name} denies it by {:?}, yet a stateless list must pass {}",
                    v.ace,
                    if nd {
                        "neighbour discovery"
                    } else {
                        "what could be a reply to an allowed flow"
                    }
                ));
            }
            return Ok(Verdict::Dropped);
        }
        if nd {
            return Ok(Verdict::Own(
                "every IPv6 list passes neighbour discovery".into(),
            ));
        }
        let remark = v.ace.and_then(|a| a.remark).unwrap_or_default();
        match remark.strip_suffix(" replies") {
            Some(flow) => {
                if !wire::reply_names(p, opts, &w).iter().any(|n| n == flow) {
                    return Err(format!(
                        "{name} passes it by the replies of {flow}, which it cannot be a reply to"
                    ));
                }
                Ok(Verdict::Own(format!("passed as a reply to {flow}")))
            }
            None => Ok(Verdict::Passed { rule: Some(remark) }),
        }
    }
}

/// What an IOS router does with `w`, addressed to one of its own
/// addresses: it arrives on the interface facing its source's zone, whose
/// inbound list (and for SSH or telnet the vty access class) decides; the
/// list of any other interface must not admit it (a spoofed source).
fn ios_to_router(
    cfg: &ios_eval::Config,
    p: &Policy,
    opts: &BuildOptions,
    w: &Wire,
    nd: bool,
) -> Result<Verdict, String> {
    let Some(fw) = opts.firewall.as_deref().and_then(|f| p.firewall(f)) else {
        return Ok(Verdict::Dropped);
    };
    if !governs_local(p, opts) {
        return Ok(Verdict::Own(
            "the build does not govern traffic to the router".into(),
        ));
    }
    let arrival = iface_for(p, opts, w.src);
    for other in &fw.interfaces {
        if Some(&other.name) == arrival.as_ref() {
            continue;
        }
        let (permit, remark) = ios_eval::admits_local(cfg, &other.name, w);
        if permit && !nd {
            return Err(format!(
                "{} admits it to the router, whose source is not in its zone ({remark:?})",
                other.name
            ));
        }
    }
    let Some(iface) = arrival else {
        // From a zone no interface faces: it arrives on an interface the
        // build binds no list to, which passes it. Neighbour discovery is
        // admitted by the fixed part there as everywhere; anything else
        // is a spoofed source.
        return Ok(if nd {
            Verdict::Passed { rule: None }
        } else {
            Verdict::Dropped
        });
    };
    let (permit, remark) = ios_eval::admits_local(cfg, &iface, w);
    if nd {
        // The `nd-na` and `nd-ns` permits at the head of every IPv6 list,
        // before the router's own block: the fixed part of the build.
        return if permit {
            Ok(Verdict::Passed { rule: None })
        } else {
            Err(format!("{iface} denies neighbour discovery to the router"))
        };
    }
    Ok(if permit {
        Verdict::Passed { rule: remark }
    } else {
        Verdict::Dropped
    })
}

/// A FortiGate: a stateful, first-match policy table between interfaces.
impl Device for Loaded<'_, fortios_eval::Config> {
    fn admits(&self, pkt: &Packet) -> Result<Verdict, String> {
        let (p, opts) = (self.policy, self.opts);
        let w = Wire::initiation(pkt, self.eph);
        if !w.same_family() {
            return Ok(Verdict::Own(
                "no address object holds both families at once".into(),
            ));
        }
        let verdict = |pol: Option<&fortios_eval::Policy>| match pol {
            Some(pol) if pol.action.as_deref() == Some("accept") => {
                let c = pol.comments.clone().unwrap_or_default();
                Verdict::Passed {
                    rule: c.split(' ').next().map(str::to_string),
                }
            }
            _ => Verdict::Dropped,
        };
        let Some(fw) = opts.firewall.as_ref().and_then(|f| p.firewall(f)) else {
            return Ok(verdict(self.cfg.decide(&w, None, None)));
        };
        if to_device(p, opts, pkt) {
            return fortigate_to_device(&self.cfg, p, opts, fw, &w);
        }
        let (i, o) = (iface_for(p, opts, w.src), iface_for(p, opts, w.dst));
        // Arriving on any interface but the source zone's, it is a spoofed
        // source.
        for other in &fw.interfaces {
            if Some(&other.name) == i.as_ref() {
                continue;
            }
            for out in &fw.interfaces {
                if self.cfg.accepts(&w, Some(&other.name), Some(&out.name)) {
                    return Err(format!(
                        "accepted arriving on {} and leaving by {}",
                        other.name, out.name
                    ));
                }
            }
        }
        Ok(match (&i, &o) {
            (Some(i), Some(o)) => verdict(self.cfg.decide(&w, Some(i), Some(o))),
            _ => Verdict::Dropped,
        })
    }
}

/// What a FortiGate does with `w`, addressed to one of its own addresses:
/// the local-in table of the family decides, first match in order, for
/// the interface facing the source's zone; no entry for another interface
/// may accept it (a spoofed source).
fn fortigate_to_device(
    cfg: &fortios_eval::Config,
    p: &Policy,
    opts: &BuildOptions,
    fw: &conduitc::model::Firewall,
    w: &Wire,
) -> Result<Verdict, String> {
    if !governs_local(p, opts) {
        return Ok(Verdict::Own(
            "the build does not govern traffic to the device (allowaccess decides)".into(),
        ));
    }
    if wire::is_neighbour_discovery(w) {
        // FortiOS answers neighbour solicitation and advertisement in its
        // IPv6 stack: the local-in tables do not see them.
        return Ok(Verdict::Passed { rule: None });
    }
    let arrival = iface_for(p, opts, w.src);
    for other in &fw.interfaces {
        if Some(&other.name) == arrival.as_ref() {
            continue;
        }
        if let Some(l) = cfg.local_decide(w, Some(&other.name)) {
            if l.action.as_deref() == Some("accept") {
                return Err(format!(
                    "local-in {} accepts it arriving on {}",
                    l.id, other.name
                ));
            }
        }
    }
    let Some(iface) = arrival else {
        return Ok(Verdict::Dropped);
    };
    match cfg.local_decide(w, Some(&iface)) {
        Some(l) if l.action.as_deref() == Some("accept") => Ok(Verdict::Passed {
            rule: l
                .comments
                .as_deref()
                .and_then(|c| c.split(' ').next())
                .map(str::to_string),
        }),
        Some(_) => Ok(Verdict::Dropped),
        None => Err("no local-in entry decides it: the interface's allowaccess would".into()),
    }
}

/// Checks the lowered rule set `rs` (built for `policy` under `opts`)
/// against `want`, `decide`'s answer on `pkt`: a packet to the selected
/// firewall itself is the local rules' to decide ([`RuleSet::decide_local`])
/// when the firewall declares entries; neighbour discovery to it is the
/// fixed part of every build (which the rule set leaves to the backends),
/// and without entries it is not governed (nor filtered by the rule set's
/// local part). Every other packet is the forward rules' to decide
/// ([`RuleSet::decide`]).
///
/// [`RuleSet::decide_local`]: conduitc::lower::RuleSet::decide_local
/// [`RuleSet::decide`]: conduitc::lower::RuleSet::decide
pub fn lowered_agrees(
    rs: &conduitc::lower::RuleSet,
    policy: &Policy,
    opts: &BuildOptions,
    pkt: &Packet,
    want: &conduitc::Decision,
) -> Result<(), String> {
    let fail = |got: &conduitc::Decision| {
        Err(format!(
            "the lowered rules decide {pkt:?} under {opts:?} as {got:?}; decide says {want:?}"
        ))
    };
    if !to_device(policy, opts, pkt) {
        let got = rs.decide(pkt);
        return if &got == want { Ok(()) } else { fail(&got) };
    }
    if want.decision == conduitc::lower::Verdict::NotGoverned {
        return if rs.filters_local() || !rs.local.is_empty() {
            Err(format!(
                "decide says {pkt:?} is not governed, yet the rule set filters traffic to the firewall"
            ))
        } else {
            Ok(())
        };
    }
    if !rs.filters_local() {
        return Err(format!(
            "decide says {want:?} on {pkt:?}, yet the rule set does not filter traffic to the firewall"
        ));
    }
    if want.fixed.is_some() {
        let got = rs.decide_local(pkt);
        let mut named: Vec<String> = got.flow.iter().chain(&got.also).cloned().collect();
        named.sort();
        return if named == want.also {
            Ok(())
        } else {
            fail(&got)
        };
    }
    let got = rs.decide_local(pkt);
    if &got == want {
        Ok(())
    } else {
        fail(&got)
    }
}
