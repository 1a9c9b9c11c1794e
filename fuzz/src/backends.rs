//! Every emitted configuration, read back by the evaluator the integration
//! tests use for its target, must decide the derived packets as
//! `conduitc::decide` does. Mirrors `tests/it/nft_backend.rs`,
//! `backend_ios.rs` and `backend_fortios.rs`, on initiations only.

use std::net::IpAddr;

use conduitc::backend::Target;
use conduitc::lower::{BuildOptions, Packet};
use conduitc::Policy;

use crate::wire::{self, Wire};
use crate::{fortios_eval, invariants, ios_eval, nft_eval};

/// Compiles `policy` under every option set through every backend (see
/// `invariants::compile`) and checks each output against `decide`.
pub fn check_all(policy: &Policy) {
    let packets = invariants::probe_packets(policy);
    let eph = wire::ephemeral_port(policy);
    for (opts, texts) in invariants::compile(policy) {
        for (target, text) in texts {
            match target {
                Target::Nftables => nftables(policy, &opts, &text, &packets),
                Target::CiscoIos => ios(policy, &opts, &text, &packets, eph),
                Target::Fortios => fortios(policy, &opts, &text, &packets, eph),
                // No independent evaluator reads the JSON form; the tests
                // compare it with the text form through `nft -j`.
                _ => {}
            }
        }
    }
}

/// The firewall interface facing the zone that holds `a`.
fn iface_for(p: &Policy, opts: &BuildOptions, a: IpAddr) -> Option<String> {
    let fw = p.firewall(opts.firewall.as_ref()?)?;
    let zone = p.zone_of(a)?;
    fw.interface_for(zone).map(|i| i.name.clone())
}

fn nftables(p: &Policy, opts: &BuildOptions, text: &str, packets: &[Packet]) {
    let rs = nft_eval::parse(text)
        .unwrap_or_else(|e| panic!("nft evaluator rejects output: {e}\n{text}"));
    let fw = opts.firewall.is_some();
    for pkt in packets {
        let want = conduitc::decide(p, pkt, opts).unwrap_or_else(|e| panic!("decide: {e}"));
        let name = |a| iface_for(p, opts, a).unwrap_or_else(|| "outside0".to_string());
        let (iif, oif) = if fw {
            (Some(name(pkt.src)), Some(name(pkt.dst)))
        } else {
            (None, None)
        };
        let got = rs.eval(pkt, iif.as_deref(), oif.as_deref());
        if !nft_eval::opens_connection(pkt) {
            // Conntrack marks it invalid: stricter than `decide`, never looser.
            assert!(
                !got.accept,
                "{pkt:?} cannot open a connection yet passed\n{text}"
            );
            continue;
        }
        assert_eq!(
            got.accept,
            want.allowed(),
            "nftables: {pkt:?} under {opts:?}: decide {want:?}, evaluator {got:?}\n{text}"
        );
        if got.accept {
            let rule = got.rule.as_deref().unwrap_or("(no comment)");
            assert!(
                want.flow.as_deref() == Some(rule) || want.also.iter().any(|a| a == rule),
                "nftables: {pkt:?} accepted by {rule}, decide {want:?}\n{text}"
            );
        }
    }
}

fn ios(p: &Policy, opts: &BuildOptions, text: &str, packets: &[Packet], eph: u16) {
    let cfg = ios_eval::parse(text)
        .unwrap_or_else(|e| panic!("IOS evaluator rejects output: {e}\n{text}"));
    for pkt in packets {
        let w = Wire::initiation(pkt, eph);
        if !w.same_family() {
            continue;
        }
        let nd = wire::is_neighbour_discovery(&w);
        let allowed = wire::is_allowed(p, opts, &w);
        let reply = wire::is_reply(p, opts, &w);
        let expected = allowed || reply || nd;
        let arrival = arrival(&cfg, p, opts, w.src);
        match &arrival {
            Some((name, acl)) => {
                let v = acl.eval(&w);
                assert_eq!(
                    v.permit, expected,
                    "IOS {name} on {w:?} under {opts:?}: allowed {allowed} reply {reply} by {:?}\n{text}",
                    v.ace
                );
            }
            None => assert!(
                !allowed && !reply,
                "IOS: {w:?} is allowed under {opts:?} but no list filters its source\n{text}"
            ),
        }
        let arrival_name = arrival.map(|(n, _)| n);
        for (name, acl) in &cfg.acls {
            if acl.v6 != w.src.is_ipv6() || Some(name) == arrival_name.as_ref() {
                continue;
            }
            let v = acl.eval(&w);
            assert!(
                !v.permit || nd,
                "IOS {name} admits {w:?}, whose source is not in its zone ({:?})\n{text}",
                v.ace
            );
        }
    }
}

/// The list the device applies to `src`'s traffic (as `backend_ios.rs`).
fn arrival<'a>(
    cfg: &'a ios_eval::Config,
    p: &Policy,
    opts: &BuildOptions,
    src: IpAddr,
) -> Option<(String, &'a ios_eval::Acl)> {
    let zone = p.zone_of(src)?;
    let v6 = src.is_ipv6();
    let name = match &opts.firewall {
        None => format!(
            "conduit-{}-in{}",
            p.zones[zone].name,
            if v6 { "6" } else { "" }
        ),
        Some(fw) => {
            let iface = p.firewall(fw)?.interface_for(zone)?;
            let b = cfg.interfaces.get(&iface.name)?;
            let n = if v6 { &b.v6_in } else { &b.v4_in };
            n.clone()?
        }
    };
    let acl = cfg.acls.get(&name)?;
    Some((name, acl))
}

fn fortios(p: &Policy, opts: &BuildOptions, text: &str, packets: &[Packet], eph: u16) {
    let cfg = fortios_eval::parse(text)
        .unwrap_or_else(|e| panic!("FortiOS evaluator rejects output: {e}\n{text}"));
    for pkt in packets {
        let w = Wire::initiation(pkt, eph);
        if !w.same_family() {
            continue;
        }
        let allowed = wire::is_allowed(p, opts, &w);
        match opts.firewall.as_ref().and_then(|f| p.firewall(f)) {
            None => {
                let got = cfg.decide(&w, None, None);
                assert_eq!(
                    got.is_some(),
                    allowed,
                    "FortiOS: {w:?} under {opts:?} decided by {got:?}\n{text}"
                );
            }
            Some(fw) => {
                let (i, o) = (iface_for(p, opts, w.src), iface_for(p, opts, w.dst));
                match (&i, &o) {
                    (Some(i), Some(o)) => assert_eq!(
                        cfg.accepts(&w, Some(i), Some(o)),
                        allowed,
                        "FortiOS: {w:?} from {i} to {o} under {opts:?}\n{text}"
                    ),
                    _ => assert!(
                        !allowed,
                        "FortiOS: {w:?} allowed but not across the firewall"
                    ),
                }
                for other in &fw.interfaces {
                    if Some(&other.name) == i.as_ref() {
                        continue;
                    }
                    for out in &fw.interfaces {
                        assert!(
                            !cfg.accepts(&w, Some(&other.name), Some(&out.name)),
                            "FortiOS: {w:?} accepted arriving on {}\n{text}",
                            other.name
                        );
                    }
                }
            }
        }
    }
}
