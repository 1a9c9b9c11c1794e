//! `verify` of traffic addressed to the firewall itself (`manage` and
//! `control` entries) on every target. Random policies are given interface
//! addresses and one to three entries, built for their firewall and read
//! back: the build verifies clean, and after one hand edit to the part that
//! filters traffic to the device, the findings marked as traffic to the
//! firewall are exactly the packets to its own addresses on which the test
//! kit's evaluator of that target and `decide` disagree, arriving on each
//! interface of the firewall.

use std::net::IpAddr;

use conduitc::backend::{emit_string_with, EmitOptions, Target};
use conduitc::lower::Verdict;
use conduitc::lower::{lower, BuildOptions};
use conduitc::model::Platform;
use conduitc::verify::{read_fortios, read_ios, read_ruleset, verify, verify_device, Drift};
use conduitc::{decide, Packet, Policy};
use conduitc_testkit::wire::{ephemeral_port, Wire};
use conduitc_testkit::{fortios_eval, gen, ios_eval, nft_eval};
use proptest::prelude::*;

use crate::backend_ios_manage::{with_local, with_packets_to_device};

fn opts() -> BuildOptions {
    BuildOptions::new(gen::today()).firewall("fw")
}

/// The generated policy with addresses and entries, its firewall on
/// `platform` (Cisco IOS interfaces are `GigabitEthernet0/N`).
fn managed(spec: &gen::PolicySpec, seed: u64, platform: Platform) -> Policy {
    let mut p = spec.to_policy();
    with_local(&mut p, seed);
    for fw in &mut p.firewalls {
        fw.platform = platform;
        if platform == Platform::CiscoIos {
            for i in &mut fw.interfaces {
                i.name = i.name.replace("eth", "GigabitEthernet0/");
            }
        }
    }
    p
}

fn own(p: &Policy) -> Vec<IpAddr> {
    p.firewall("fw")
        .map(|fw| fw.interfaces.iter().flat_map(|i| i.addrs.clone()).collect())
        .unwrap_or_default()
}

/// The packets judged: those addressed to an own address, of one family,
/// neither neighbour discovery (left out) nor an echo reply (judged, on
/// stateless devices, as the request it answers).
fn to_device(p: &Policy, packets: Vec<Packet>) -> Vec<Packet> {
    let own = own(p);
    packets
        .into_iter()
        .filter(|x| own.contains(&x.dst))
        .filter(|x| x.src.is_ipv4() == x.dst.is_ipv4())
        .filter(|x| !((x.proto == 58 && x.src.is_ipv4()) || (x.proto == 1 && x.src.is_ipv6())))
        .filter(|x| !(x.proto == 58 && matches!(x.icmp_type, Some(133..=137))))
        .filter(|x| !matches!((x.proto, x.icmp_type), (1, Some(0)) | (58, Some(129))))
        .collect()
}

/// True when the policy admits `pkt` arriving on `iface`: `decide` allows
/// it, and it arrives on the interface facing its source's zone.
fn declared(p: &Policy, pkt: &Packet, iface: &str) -> bool {
    let d = decide(p, pkt, &opts()).unwrap();
    assert_eq!(d.to_firewall.as_deref(), Some("fw"), "{pkt:?}");
    let facing = p
        .zone_of(pkt.src)
        .and_then(|z| p.firewall("fw")?.interface_for(z))
        .map(|i| i.name.clone());
    d.decision == Verdict::Allow && facing.as_deref() == Some(iface)
}

/// Asserts that the findings on traffic to the firewall are exactly the
/// packets on which `device` (arriving interface, packet) and the policy
/// disagree, on every interface of the firewall.
fn exact(
    d: &Drift,
    p: &Policy,
    packets: &[Packet],
    device: &dyn Fn(&str, &Packet) -> bool,
    text: &str,
) {
    assert!(d.to_firewall_judged, "{d:#?}");
    let ifaces: Vec<String> = p
        .firewall("fw")
        .map(|fw| fw.interfaces.iter().map(|i| i.name.clone()).collect())
        .unwrap_or_default();
    for pkt in packets {
        for i in &ifaces {
            let dev = device(i, pkt);
            let pol = declared(p, pkt, i);
            let holds = |fs: &[conduitc::verify::Finding]| {
                fs.iter().any(|f| {
                    f.to_firewall.as_deref() == Some("fw")
                        && f.packets.admits(pkt)
                        && (f.interfaces.is_empty() || f.interfaces.iter().any(|(a, _)| a == i))
                })
            };
            assert_eq!(
                holds(&d.admitted_not_declared),
                dev && !pol,
                "admitted but not declared arriving on {i}: {pkt:?}\n{d:#?}\n{text}"
            );
            assert_eq!(
                holds(&d.declared_not_admitted),
                pol && !dev,
                "declared but not admitted arriving on {i}: {pkt:?}\n{d:#?}\n{text}"
            );
        }
    }
}

/// One hand edit of the part of a build that filters traffic to the
/// device.
#[derive(Clone, Debug)]
enum Edit {
    /// An entry admitting TCP to the port from anywhere, before the
    /// declared ones, on the k-th interface (nftables, IOS) or every
    /// interface (FortiOS).
    Add(usize, u16),
    /// The k-th declared entry removed.
    Remove(usize),
    /// The k-th declared entry opened to every source.
    Widen(usize),
    /// The final deny of everything else removed.
    DenyAll,
    /// The whole local part removed (the nftables input chain, the IOS
    /// router-bound entries, the FortiOS local-in tables).
    Whole,
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0usize..8, prop_oneof![Just(22u16), Just(161), 1u16..=65535])
            .prop_map(|(k, p)| Edit::Add(k, p)),
        (0usize..32).prop_map(Edit::Remove),
        (0usize..32).prop_map(Edit::Widen),
        Just(Edit::DenyAll),
        Just(Edit::Whole),
    ]
}

fn pick(v: &[usize], k: usize) -> Option<usize> {
    (!v.is_empty()).then(|| v[k % v.len()])
}

fn lines_where(lines: &[String], f: impl Fn(&str) -> bool) -> Vec<usize> {
    (0..lines.len()).filter(|&i| f(&lines[i])).collect()
}

fn edit_nft(text: &str, e: &Edit, ifaces: &[String]) -> String {
    let mut l: Vec<String> = text.lines().map(str::to_string).collect();
    let Some(start) = l.iter().position(|x| x.trim() == "chain input {") else {
        return text.to_string();
    };
    let end = start + l[start..].iter().position(|x| x.trim() == "}").unwrap_or(0);
    let entries = lines_where(&l, |x| x.contains("comment \"fw/"));
    let entries: Vec<usize> = entries
        .into_iter()
        .filter(|&i| i > start && i < end)
        .collect();
    match e {
        Edit::Add(k, port) => {
            let lo = start
                + l[start..]
                    .iter()
                    .position(|x| x.contains("iifname \"lo\""))
                    .unwrap_or(1);
            let i = &ifaces[k % ifaces.len()];
            l.insert(
                lo + 1,
                format!("\t\tiifname \"{i}\" tcp dport {port} accept"),
            );
        }
        Edit::Remove(k) => {
            if let Some(i) = pick(&entries, *k) {
                l.remove(i);
            }
        }
        Edit::Widen(k) => {
            if let Some(i) = pick(&entries, *k) {
                let w: Vec<&str> = l[i].split(' ').collect();
                let mut out = Vec::new();
                let mut j = 0;
                while j < w.len() {
                    if (w[j].ends_with("ip") || w[j].ends_with("ip6"))
                        && w.get(j + 1) == Some(&"saddr")
                    {
                        j += 3;
                        continue;
                    }
                    out.push(w[j]);
                    j += 1;
                }
                l[i] = out.join(" ");
                if !l[i].starts_with('\t') {
                    l[i] = format!("\t\t{}", l[i]);
                }
            }
        }
        Edit::DenyAll => {
            l[start + 1] = l[start + 1].replace("policy drop", "policy accept");
            l.retain(|x| !x.contains("conduit input default deny"));
        }
        Edit::Whole => {
            l.drain(start..=end);
        }
    }
    l.join("\n") + "\n"
}

fn edit_ios(text: &str, e: &Edit, own: &[IpAddr]) -> String {
    let mut l: Vec<String> = text.lines().map(str::to_string).collect();
    // An entry whose destination (not its source: a flow may come from a
    // host that shares an address with the firewall) is one of its own.
    let to_own = |x: &str| {
        let w: Vec<&str> = x.split_whitespace().collect();
        let Some(p) = w.iter().position(|t| *t == "permit" || *t == "deny") else {
            return false;
        };
        // The protocol, then the source: `any`, an IPv6 prefix, or two words
        // (`host A`, `object-group N`, an address and its wildcard).
        let mut i = p + 2;
        i += match w.get(i) {
            Some(&"any") => 1,
            Some(t) if t.contains('/') => 1,
            Some(_) => 2,
            None => return false,
        };
        match w.get(i) {
            Some(&("eq" | "gt" | "lt" | "neq")) => i += 2,
            Some(&"range") => i += 3,
            _ => {}
        }
        w.get(i) == Some(&"host")
            && w.get(i + 1)
                .is_some_and(|a| own.iter().any(|o| o.to_string() == *a))
    };
    // Entries of the extended and IPv6 lists only: a standard list (the vty
    // class) names sources alone, and a managing host may have the same
    // address as one of the firewall's own.
    let mut standard = false;
    let in_standard: Vec<bool> = l
        .iter()
        .map(|x| {
            if !x.starts_with(' ') {
                standard = x.starts_with("ip access-list standard ");
            }
            standard
        })
        .collect();
    let bound: Vec<usize> = lines_where(&l, |x| {
        let w: Vec<&str> = x.split_whitespace().collect();
        w.get(1) == Some(&"permit")
            && to_own(x)
            && !x.contains("established")
            && !x.contains("nd-n")
    })
    .into_iter()
    .filter(|&i| !in_standard[i])
    .collect();
    match e {
        Edit::Add(k, port) => {
            let heads = lines_where(&l, |x| {
                x.starts_with("ip access-list extended ") || x.starts_with("ipv6 access-list ")
            });
            if let Some(i) = pick(&heads, *k) {
                let v6 = l[i].starts_with("ipv6");
                let entry = if v6 {
                    format!(" sequence 1 permit tcp any any eq {port}")
                } else {
                    format!(" 1 permit tcp any any eq {port}")
                };
                l.insert(i + 1, entry);
            }
        }
        Edit::Remove(k) => {
            if let Some(i) = pick(&bound, *k) {
                l.remove(i);
            }
        }
        Edit::Widen(k) => {
            if let Some(i) = pick(&bound, *k) {
                let w: Vec<&str> = l[i].split(' ').collect();
                // ` N permit PROTO SRC... host OWN ...`: the source becomes
                // `any`.
                let at = w.iter().position(|x| *x == "permit").unwrap_or(0) + 2;
                let host = w.iter().rposition(|x| *x == "host").unwrap_or(at);
                let mut out: Vec<&str> = w[..at].to_vec();
                out.push("any");
                out.extend_from_slice(&w[host..]);
                l[i] = out.join(" ");
            }
        }
        Edit::DenyAll => {
            l.retain(|x| !(x.contains(" deny ") && to_own(x)));
        }
        Edit::Whole => {
            l.retain(|x| !to_own(x));
        }
    }
    l.join("\n") + "\n"
}

fn edit_fortios(text: &str, e: &Edit) -> String {
    let mut l: Vec<String> = text.lines().map(str::to_string).collect();
    // The local-in edits: (first line, last line, is the deny-all).
    let mut edits: Vec<(usize, usize, bool)> = Vec::new();
    let mut inside = false;
    let mut start = 0;
    for (i, x) in l.iter().enumerate() {
        if x.starts_with("config firewall local-in-policy") {
            inside = true;
        } else if inside && x == "end" {
            inside = false;
        } else if inside && x.trim_start().starts_with("edit ") {
            start = i;
        } else if inside && x.trim() == "next" {
            let deny = l[start..i].iter().any(|y| y.trim() == "set action deny");
            edits.push((start, i, deny));
        }
    }
    let declared: Vec<usize> = (0..edits.len()).filter(|&k| !edits[k].2).collect();
    match e {
        Edit::Add(_, port) => {
            // A custom service and an accept-all head in both tables.
            let heads = lines_where(&l, |x| x.starts_with("config firewall local-in-policy"));
            for &h in heads.iter().rev() {
                for (k, x) in [
                    "    edit 7",
                    "        set intf \"any\"",
                    "        set srcaddr \"all\"",
                    "        set dstaddr \"all\"",
                    "        set action accept",
                    "        set service \"hand-added\"",
                    "        set schedule \"always\"",
                    "    next",
                ]
                .iter()
                .enumerate()
                {
                    l.insert(h + 1 + k, x.to_string());
                }
            }
            if !heads.is_empty() {
                let svc = [
                    "config firewall service custom".to_string(),
                    "    edit \"hand-added\"".to_string(),
                    format!("        set tcp-portrange {port}"),
                    "    next".to_string(),
                    "end".to_string(),
                ];
                let at = heads[0];
                for (k, x) in svc.into_iter().enumerate() {
                    l.insert(at + k, x);
                }
            }
        }
        Edit::Remove(k) => {
            if let Some(j) = pick(&declared, *k) {
                let (a, b, _) = edits[j];
                l.drain(a..=b);
            }
        }
        Edit::Widen(k) => {
            if let Some(j) = pick(&declared, *k) {
                let (a, b, _) = edits[j];
                for x in &mut l[a..=b] {
                    if x.trim_start().starts_with("set srcaddr ") {
                        *x = "        set srcaddr \"all\"".into();
                    }
                }
            }
        }
        Edit::DenyAll => {
            for &(a, b, deny) in edits.iter().rev() {
                if deny {
                    l.drain(a..=b);
                }
            }
        }
        Edit::Whole => {
            for &(a, b, _) in edits.iter().rev() {
                l.drain(a..=b);
            }
        }
    }
    l.join("\n") + "\n"
}

fn build(p: &Policy, target: Target, flat: bool) -> String {
    let rs = lower(p, &opts()).unwrap();
    emit_string_with(&rs, target, &EmitOptions::new().ios_flat(flat)).unwrap()
}

fn check_nft(p: &Policy, e: &Edit, packets: &[Packet]) -> Result<(), TestCaseError> {
    let text = build(p, Target::Nftables, false);
    let clean = verify(p, &opts(), &read_ruleset(&text).unwrap()).unwrap();
    prop_assert!(clean.matches, "{:#?}\n{}", clean, text);
    let ifaces: Vec<String> = p
        .firewall("fw")
        .unwrap()
        .interfaces
        .iter()
        .map(|i| i.name.clone())
        .collect();
    let edited = edit_nft(&text, e, &ifaces);
    let rs = read_ruleset(&edited).unwrap_or_else(|x| panic!("{x}\n{edited}"));
    let d = verify(p, &opts(), &rs).unwrap();
    let kit = nft_eval::parse(&edited).unwrap_or_else(|x| panic!("{x}\n{edited}"));
    exact(
        &d,
        p,
        packets,
        &|i, pkt| kit.eval_input(pkt, Some(i)).accept,
        &edited,
    );
    if edited == text {
        prop_assert!(d.matches);
    }
    Ok(())
}

fn check_ios(p: &Policy, e: &Edit, packets: &[Packet], flat: bool) -> Result<(), TestCaseError> {
    let text = gen::ios_build(&lower(p, &opts()).unwrap(), flat)?;
    let clean = verify_device(p, &opts(), &read_ios(&text).unwrap()).unwrap();
    prop_assert!(clean.matches, "{:#?}\n{}", clean, text);
    let edited = edit_ios(&text, e, &own(p));
    let dev = read_ios(&edited).unwrap_or_else(|x| panic!("{x}\n{edited}"));
    let d = verify_device(p, &opts(), &dev).unwrap();
    exact_ios(p, &d, &edited, packets);
    // SSH and telnet sessions then meet the vty access class: one that
    // admits a single IPv4 source.
    let src = p.firewall("fw").unwrap().local[0]
        .src
        .v4_prefixes()
        .into_iter()
        .next()
        .map_or_else(|| "10.0.0.1".to_string(), |n| n.network().to_string());
    let with_vty = format!(
        "{edited}ip access-list standard conduit-vty\n 10 permit host {src}\nline vty 0 4\n access-class conduit-vty in\nline vty 5 15\n access-class conduit-vty in\n"
    );
    let dev = read_ios(&with_vty).unwrap_or_else(|x| panic!("{x}\n{with_vty}"));
    let d = verify_device(p, &opts(), &dev).unwrap();
    exact_ios(p, &d, &with_vty, packets);
    Ok(())
}

fn exact_ios(p: &Policy, d: &Drift, text: &str, packets: &[Packet]) {
    let cfg = ios_eval::Device::from_build(text)
        .and_then(|x| x.config())
        .unwrap_or_else(|x| panic!("{x}\n{text}"));
    let eph = ephemeral_port(p);
    let key = |i: &str| conduitc::platform::ios_interface_key(i);
    exact(
        d,
        p,
        packets,
        &|i, pkt| ios_eval::admits_local(&cfg, &key(i), &Wire::initiation(pkt, eph)).0,
        text,
    );
}

fn check_fortios(p: &Policy, e: &Edit, packets: &[Packet]) -> Result<(), TestCaseError> {
    let text = build(p, Target::Fortios, false);
    let clean = verify_device(p, &opts(), &read_fortios(&text).unwrap()).unwrap();
    prop_assert!(clean.matches, "{:#?}\n{}", clean, text);
    let edited = edit_fortios(&text, e);
    let dev = read_fortios(&edited).unwrap_or_else(|x| panic!("{x}\n{edited}"));
    let d = verify_device(p, &opts(), &dev).unwrap();
    let cfg = fortios_eval::parse(&edited).unwrap_or_else(|x| panic!("{x}\n{edited}"));
    let eph = ephemeral_port(p);
    // No local-in policy matching: the interface's administrative access
    // decides, which verify takes as admitting.
    exact(
        &d,
        p,
        packets,
        &|i, pkt| {
            cfg.local_decide(&Wire::initiation(pkt, eph), Some(i))
                .is_none_or(|l| l.action.as_deref() == Some("accept"))
        },
        &edited,
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn the_own_build_verifies_and_one_edit_to_the_local_part_is_exactly_the_drift(
        spec in gen::policy_spec(),
        seed in any::<u64>(),
        e in edit_strategy(),
        flat in any::<bool>(),
        pseed in 0u64..1000,
    ) {
        let p = managed(&spec, seed, Platform::Nftables);
        let packets = to_device(&p, with_packets_to_device(&p, gen::packets(&p, pseed, 60)));
        check_nft(&p, &e, &packets)?;
        let p = managed(&spec, seed, Platform::Fortios);
        check_fortios(&p, &e, &packets)?;
        let p = managed(&spec, seed, Platform::CiscoIos);
        check_ios(&p, &e, &packets, flat)?;
    }
}
