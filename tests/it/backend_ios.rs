//! The Cisco IOS backend, read back by a strict model of the device
//! (`conduitc_testkit::ios_eval`) and compared with the reference semantics.
//!
//! Every backend's initiations are judged in `backend_registry.rs`; here,
//! for every generated policy, under several build options, and for
//! edge-biased packets in the shapes a stateless list must also get right
//! (mid-connection packets, initiations from other source ports, every kind
//! of reply, non-initial fragments):
//! - the list applied to the packet's arrival zone (the zone holding its
//!   source) permits it **exactly** when the policy allows it as an
//!   initiation, or it is what a reply to an allowed initiation could be
//!   (language.md, "Replies on stateless targets"), or it is IPv6 neighbour
//!   discovery; non-initial fragments never pass;
//! - every other list denies it (anti-spoofing), ND aside;
//! - the entry that permits it sits under a remark naming a flow that
//!   allows it (or whose reply it is).
//!
//! All of it holds for both forms of the output, with object groups (the
//! default) and flat (`--ios-flat`): the reader expands groups as the device
//! does, so a group that widened a reply entry would fail here. Every list
//! is named for its zone and its content (`conduit-ZONE-in-H`).

use conduitc::backend::{emit_string_with, EmitOptions, Target};
use conduitc::lower::{lower, BuildOptions};
use conduitc::Policy;
use proptest::prelude::*;

use conduitc_testkit::ios_eval::{self, Addr, Config, Proto};
use conduitc_testkit::wire::{self, Wire};
use conduitc_testkit::{eval, gen};

pub fn option_sets() -> Vec<BuildOptions> {
    vec![
        BuildOptions::new(gen::today()),
        BuildOptions::new(gen::today()).isolation("island"),
        BuildOptions::new(gen::today()).firewall("fw"),
        BuildOptions::new(gen::today())
            .firewall("fw")
            .isolation("island"),
    ]
}

pub fn check_structure(cfg: &Config, p: &Policy, opts: &BuildOptions) -> Result<(), TestCaseError> {
    let zones: Vec<usize> = match &opts.firewall {
        None => (0..p.zones.len()).collect(),
        Some(fw) => p
            .firewall(fw)
            .unwrap()
            .interfaces
            .iter()
            .map(|i| i.zone)
            .collect(),
    };
    prop_assert_eq!(
        cfg.acls
            .keys()
            .filter(|n| !n.starts_with("conduit-vty"))
            .count(),
        zones.len() * 2,
        "one IPv4 and one IPv6 list per zone"
    );
    for &z in &zones {
        let name = &p.zones[z].name;
        for v6 in [false, true] {
            let acl_name = eval::ios_list_of(cfg, name, v6);
            prop_assert!(
                acl_name.is_some(),
                "missing the list of {} (v6 {})",
                name,
                v6
            );
            let acl_name = acl_name.unwrap();
            let acl = &cfg.acls[&acl_name];
            prop_assert_eq!(acl.v6, v6);
            // Never empty; fragments dropped first; explicit logged deny last.
            let first = acl.entries.first().unwrap();
            prop_assert!(!first.permit && first.fragments && first.proto == Proto::Any);
            prop_assert!(first.src == Addr::Any && first.dst == Addr::Any);
            let last = acl.entries.last().unwrap();
            prop_assert!(!last.permit && last.log && last.proto == Proto::Any && !last.fragments);
            prop_assert!(last.src == Addr::Any && last.dst == Addr::Any);
            // Catch-alls come after every flow entry, so declared traffic is
            // logged (or not) by its own flow.
            let first_catch_all = acl
                .entries
                .iter()
                .position(|e| e.permit && e.proto == Proto::Any)
                .unwrap_or(acl.entries.len());
            prop_assert!(acl.entries[first_catch_all..].iter().all(|e| !e.permit
                || e.proto == Proto::Any
                || e.remark.as_deref() == Some("conduitc: neighbour discovery")));
            // An entry naming object groups stands for several, under one
            // sequence number (the reader refuses a number written twice).
            let mut seqs: Vec<u64> = acl.entries.iter().map(|e| e.seq).collect();
            seqs.dedup();
            for (i, s) in seqs.iter().enumerate() {
                prop_assert_eq!(*s, (i as u64 + 1) * 10, "sequence numbers 10, 20, ...");
            }
            for e in &acl.entries {
                // Catch-alls log.
                if e.permit && e.proto == Proto::Any {
                    prop_assert!(e.log, "catch-all without log in {}", acl_name);
                }
                if e.permit {
                    prop_assert!(
                        e.remark.is_some(),
                        "permit without a remark in {}",
                        acl_name
                    );
                }
            }
        }
    }
    match &opts.firewall {
        None => prop_assert!(cfg.interfaces.is_empty()),
        Some(fw) => {
            let fw = p.firewall(fw).unwrap();
            prop_assert_eq!(cfg.interfaces.len(), fw.interfaces.len());
            for i in &fw.interfaces {
                let b = cfg.interfaces.get(&i.name).unwrap();
                let z = &p.zones[i.zone].name;
                prop_assert_eq!(b.v4_in.clone(), eval::ios_list_of(cfg, z, false));
                prop_assert_eq!(b.v6_in.clone(), eval::ios_list_of(cfg, z, true));
            }
        }
    }
    Ok(())
}

pub fn check_packet(
    cfg: &Config,
    p: &Policy,
    opts: &BuildOptions,
    w: &Wire,
) -> Result<(), TestCaseError> {
    // What the router sends itself meets no inbound list.
    if !w.same_family() || eval::own_addrs(p, opts).contains(&w.src) {
        return Ok(());
    }
    let nd = wire::is_neighbour_discovery(w);
    let allowed = wire::is_allowed(p, opts, w);
    // Traffic to the router itself, when the firewall governs it, is
    // decided by its entries alone; replies to TCP connections the router
    // opened pass.
    let to_router = eval::own_addrs(p, opts).contains(&w.dst)
        && opts
            .firewall
            .as_deref()
            .and_then(|f| p.firewall(f))
            .is_some_and(|fw| !fw.local.is_empty());
    // Traffic to a router without entries is not governed by the policy:
    // the lists admit it as the flows would, which `decide` does not say.
    let not_governed = eval::own_addrs(p, opts).contains(&w.dst)
        && opts
            .firewall
            .as_deref()
            .and_then(|f| p.firewall(f))
            .is_some_and(|fw| fw.local.is_empty());
    let reply = !to_router && wire::is_reply(p, opts, w);
    let router_reply = to_router && w.proto == 6 && (w.ack || w.rst) && !w.fragment;
    let expected = allowed || reply || nd || router_reply;
    let arrival = eval::ios_arrival(cfg, p, opts, w.src);
    match &arrival {
        _ if not_governed => {}
        Some((name, acl)) => {
            let v = acl.eval(w);
            prop_assert_eq!(
                v.permit,
                expected,
                "{} on {:?}: allowed {} reply {} nd {} by {:?}",
                name,
                w,
                allowed,
                reply,
                nd,
                v.ace
            );
            if v.permit && !nd && !router_reply {
                let ace = v.ace.unwrap();
                let remark = ace.remark.clone().unwrap_or_default();
                let flow = remark
                    .strip_suffix(" replies")
                    .unwrap_or(&remark)
                    .to_string();
                let names = wire::allowed_names(p, opts, w);
                let replies = wire::reply_names(p, opts, w);
                prop_assert!(
                    names.contains(&flow) || replies.contains(&flow),
                    "entry {:?} under remark {:?} admits {:?}, which flows {:?} / replies of {:?} explain",
                    ace,
                    remark,
                    w,
                    names,
                    replies
                );
            }
        }
        // Neighbour discovery from a zone no interface faces arrives on an
        // interface without a list, which passes it.
        None => prop_assert!(
            nd || (!allowed && !reply),
            "{:?} is allowed but no list filters its source",
            w
        ),
    }
    let arrival_name = arrival.map(|(n, _)| n);
    for (name, acl) in &cfg.acls {
        // A vty access class filters sessions to the router behind the
        // inbound lists: it is no zone's list.
        let vty_class = cfg
            .vty
            .iter()
            .any(|b| b.v4_in.as_ref() == Some(name) || b.v6_in.as_ref() == Some(name));
        if acl.v6 != w.src.is_ipv6() || Some(name) == arrival_name.as_ref() || vty_class {
            continue;
        }
        let v = acl.eval(w);
        prop_assert!(
            !v.permit || nd,
            "{} admits {:?}, whose source is not in its zone ({:?})",
            name,
            w,
            v.ace
        );
    }
    Ok(())
}

/// The packet shapes probed for one generated packet. The initiation
/// itself is judged by the evaluator registry (`backend_registry.rs`); these
/// are the shapes a stateless list must also get right.
pub fn shapes(pkt: &conduitc::Packet, eph: u16) -> Vec<Wire> {
    let init = Wire::initiation(pkt, eph);
    let mut out = vec![
        Wire {
            syn: false,
            ack: true,
            ..init
        },
        Wire::initiation(pkt, pkt.dport.unwrap_or(53)),
        Wire::initiation(pkt, 53),
        Wire {
            fragment: true,
            ..init
        },
    ];
    let replies = Wire::replies(pkt, eph);
    if let Some(r) = replies.first() {
        out.push(Wire {
            fragment: true,
            ..*r
        });
    }
    out.extend(replies);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ios_lists_admit_exactly_the_policy_and_its_replies(spec in gen::policy_spec(), pkts in gen::packet_specs(120)) {
        let p = spec.to_policy();
        let eph = wire::ephemeral_port(&p);
        for opts in option_sets() {
            let rs = lower(&p, &opts).unwrap();
            for flat in [false, true] {
                let form = EmitOptions::new().ios_flat(flat);
                let text = gen::ios_build(&rs, flat)?;
                prop_assert_eq!(&text, &emit_string_with(&rs, Target::CiscoIos, &form).unwrap(), "deterministic");
                let cfg = ios_eval::parse(&text)
                    .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                check_structure(&cfg, &p, &opts)?;
                for pkt in gen::resolve_packets(&p, &pkts) {
                    for w in shapes(&pkt, eph) {
                        check_packet(&cfg, &p, &opts, &w)?;
                    }
                }
            }
        }
    }
}

/// Every ACL is checked by the evaluator for fragments: without the first
/// entry, a port-specific permit would pass fragments of other ports.
#[test]
fn evaluator_sees_fragments_widen_a_permit_without_the_fragment_deny() {
    let text = "ip access-list extended conduit-a-in\n remark c/f\n 10 permit tcp 10.0.0.0 0.0.0.255 host 10.1.0.5 eq 502\n 20 deny ip any any log\nexit\n";
    let cfg = ios_eval::parse(text).unwrap();
    let acl = &cfg.acls["conduit-a-in"];
    let w = Wire {
        src: "10.0.0.7".parse().unwrap(),
        dst: "10.1.0.5".parse().unwrap(),
        proto: 6,
        sport: Some(40000),
        dport: Some(22),
        icmp_type: None,
        icmp_code: 0,
        syn: true,
        ack: false,
        rst: false,
        fragment: false,
    };
    assert!(!acl.eval(&w).permit);
    assert!(
        acl.eval(&Wire {
            fragment: true,
            ..w
        })
        .permit
    );
}

#[test]
fn evaluator_refuses_unknown_lines() {
    for bad in [
        "ip access-list extended a\n 10 permit ip any any\n permit ip any any\nexit\n",
        "ip access-list extended a\n 10 permit tcp any any eq 22 fragments\nexit\n",
        "ip access-list extended a\n 10 permit ip any any\nexit\ninterface g0\n ip access-group b in\nexit\n",
        "ip access-list extended a\n 10 permit ip 10.0.0.1 0.0.0.255 any\nexit\n",
        "access-list 101 permit ip any any\n",
        "ip access-list extended a\n 10 permit ip any any\n",
    ] {
        assert!(ios_eval::parse(bad).is_err(), "{bad}");
    }
}

/// A TCP SYN from `src` to `dst` port `dport`.
fn syn(src: &str, dst: &str, dport: u16) -> Wire {
    Wire {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto: 6,
        sport: Some(40000),
        dport: Some(dport),
        icmp_type: None,
        icmp_code: 0,
        syn: true,
        ack: false,
        rst: false,
        fragment: false,
    }
}

/// Traffic to the router itself: the interface's own addresses are read
/// from a running configuration, the inbound list of the ingress interface
/// decides, and SSH then meets the vty access class.
#[test]
fn evaluator_models_traffic_to_the_router_itself() {
    let text = "ip access-list extended edge\n remark conduit/admin\n 10 permit tcp host 10.0.0.7 host 10.0.0.1 eq 22\n 20 permit tcp host 10.0.0.8 host 10.0.0.1 eq 22\n 30 deny ip any any log\nexit\nip access-list standard vty\n 10 permit host 10.0.0.7\n 20 deny any log\nexit\ninterface Gi0/0\n ip address 10.0.0.1 255.255.255.0\n ipv6 address 2001:db8::1/64\n ip access-group edge in\nexit\nline vty 0 15\n access-class vty in\nexit\n";
    let cfg = ios_eval::parse(text).unwrap();
    assert!(ios_eval::is_own(&cfg, &[], "10.0.0.1".parse().unwrap()));
    assert!(ios_eval::is_own(&cfg, &[], "2001:db8::1".parse().unwrap()));
    assert!(!ios_eval::is_own(&cfg, &[], "10.0.0.2".parse().unwrap()));
    // The interface list and the vty class both admit it.
    let ok = ios_eval::admits_local(&cfg, "Gi0/0", &syn("10.0.0.7", "10.0.0.1", 22));
    assert_eq!(ok, (true, Some("conduit/admin".to_string())));
    // The interface list admits it, the vty class does not.
    assert!(!ios_eval::admits_local(&cfg, "Gi0/0", &syn("10.0.0.8", "10.0.0.1", 22)).0);
    // The interface list drops it before the vty class is asked.
    assert!(!ios_eval::admits_local(&cfg, "Gi0/0", &syn("10.0.0.9", "10.0.0.1", 22)).0);
    // A vty class that covers only some lines leaves the others open.
    let partial = text.replace("line vty 0 15", "line vty 0 4");
    let cfg = ios_eval::parse(&partial).unwrap();
    assert!(ios_eval::admits_local(&cfg, "Gi0/0", &syn("10.0.0.8", "10.0.0.1", 22)).0);
    for bad in [
        "line vty 0 15\n access-class nope in\nexit\n",
        "ip access-list standard v\n 10 permit tcp any any\nexit\n",
        "ipv6 access-list v\n sequence 10 permit ipv6 any any\nexit\nline vty 0 15\n access-class v in\nexit\n",
        "line vty 0 16\nexit\n",
        "interface Gi0/0\n ip address 10.0.0.1 255.0.255.0\nexit\n",
    ] {
        assert!(ios_eval::parse(bad).is_err(), "{bad}");
    }
}

/// The applied device keeps vty classes: a class moves in one command, and
/// `show running-config` output reads back to the same classes.
#[test]
fn device_model_keeps_vty_access_classes() {
    let mut d = ios_eval::Device::new();
    d.apply("ip access-list standard conduit-vty-a\n 10 permit host 10.0.0.7\nexit\nip access-list standard conduit-vty-b\n 10 permit host 10.0.0.8\nexit\nline vty 0 15\n access-class conduit-vty-a in\nexit\n").unwrap();
    let w = syn("10.0.0.7", "10.0.0.1", 22);
    assert!(ios_eval::vty_admits(&d.config().unwrap(), &w));
    d.apply("line vty 0 15\n access-class conduit-vty-b in\nexit\n")
        .unwrap();
    assert!(!ios_eval::vty_admits(&d.config().unwrap(), &w));
    let back = ios_eval::Device::from_running_config(&d.running_config()).unwrap();
    assert_eq!(back.vty, d.vty);
    assert_eq!(back.lists, d.lists);
    assert!(d
        .apply("line vty 0 15\n no access-class conduit-vty-a in\n")
        .is_err());
    d.apply("line vty 0 15\n no access-class conduit-vty-b in\n")
        .unwrap();
    assert!(ios_eval::vty_admits(&d.config().unwrap(), &w));
}
