//! `verify` of FortiOS configurations. The oracle is the test kit's FortiOS
//! evaluator (written from the documented behaviour, sharing no code with
//! the library's reader) and the policy's own lowered rules: on every pair
//! of interfaces, a packet that opens a connection is reported admitted but
//! not declared exactly when the evaluator accepts it and no rule allows
//! it, and declared but not admitted in the converse case.

use conduitc::backend::{self, Target};
use conduitc::lower::{lower, BuildOptions, Packet, RuleSet};
use conduitc::model::Platform;
use conduitc::verify::{read_fortios, verify_device, DeviceError, Drift, Finding, OTHER_INTERFACE};
use conduitc::Policy;
use conduitc_testkit::wire::{ephemeral_port, Wire};
use conduitc_testkit::{fortios_eval, gen};
use proptest::prelude::*;

/// An interface no policy names, for "any other interface".
const ELSEWHERE: &str = "port99";

/// The policy with its firewall `fw` made a FortiGate whose interfaces are
/// `portN`.
fn fgt_policy(mut p: Policy) -> Policy {
    for fw in &mut p.firewalls {
        fw.platform = Platform::Fortios;
        for i in &mut fw.interfaces {
            i.name = i.name.replace("eth", "port");
        }
    }
    p
}

fn opts() -> BuildOptions {
    BuildOptions::new(gen::today()).firewall("fw")
}

fn build(p: &Policy) -> (RuleSet, String) {
    let rules = lower(p, &opts()).unwrap();
    let text = backend::emit(&rules, Target::Fortios).unwrap();
    (rules, text)
}

fn drift(p: &Policy, text: &str) -> Drift {
    let d = read_fortios(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    verify_device(p, &opts(), &d).unwrap()
}

/// A configuration backup of what `build` configures, with the noise of a
/// real device around it.
fn backup(build: &str) -> String {
    let state = fortios_eval::DeviceState::load(build).unwrap();
    format!(
        "#config-version=FGT60F-7.2.5-FW-build1517-230606:opmode=0:vdom=0:user=admin\n#conf_file_ver=1\n#buildno=1517\nconfig system global\n    set hostname \"fgt\"\n    set timezone 04\nend\nconfig system interface\n    edit \"port1\"\n        set ip 192.0.2.1 255.255.255.0\n        set allowaccess ping https ssh\n    next\nend\n{}config log syslogd setting\n    set status enable\nend\n",
        state.render()
    )
}

fn holds(f: &Finding, p: &Packet, i: &str, o: &str) -> bool {
    f.packets.admits(p)
        && (f.interfaces.is_empty() || f.interfaces.iter().any(|(a, b)| a == i && b == o))
}

fn exact(d: &Drift, p: &Policy, rules: &RuleSet, text: &str, packets: &[Packet], extra: &[String]) {
    let cfg = fortios_eval::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let eph = ephemeral_port(p);
    let mut names: Vec<String> = p
        .firewall("fw")
        .map(|fw| fw.interfaces.iter().map(|i| i.name.clone()).collect())
        .unwrap_or_default();
    names.extend(extra.iter().cloned());
    names.push(ELSEWHERE.to_string());
    // An interface that neither the rules nor the configuration name is
    // "any other interface".
    let mut known: Vec<String> = rules
        .rules
        .iter()
        .flat_map(|r| [r.in_iface.clone(), r.out_iface.clone()])
        .flatten()
        .map(String::from)
        .collect();
    for l in text.lines().map(str::trim) {
        if let Some(v) = l
            .strip_prefix("set srcintf ")
            .or_else(|| l.strip_prefix("set dstintf "))
        {
            known.extend(
                v.split_whitespace()
                    .map(|x| x.trim_matches('"').to_string()),
            );
        }
    }
    let shown = |n: &str| {
        if known.iter().any(|k| k == n) {
            n.to_string()
        } else {
            OTHER_INTERFACE.to_string()
        }
    };
    for pkt in packets
        .iter()
        .filter(|x| x.src.is_ipv4() == x.dst.is_ipv4())
        // The forward comparison leaves out the firewall's own addresses.
        .filter(|x| {
            !rules
                .firewall
                .as_ref()
                .is_some_and(|f| f.own.contains(x.dst))
        })
    {
        let w = Wire::initiation(pkt, eph);
        for i in &names {
            for o in &names {
                let device = cfg.accepts(&w, Some(i), Some(o));
                let declared = rules.rules.iter().any(|r| {
                    r.admits(pkt)
                        && (r.in_iface.is_none() || r.in_iface.as_deref() == Some(i.as_str()))
                        && (r.out_iface.is_none() || r.out_iface.as_deref() == Some(o.as_str()))
                });
                let (si, so) = (shown(i), shown(o));
                let added = d
                    .admitted_not_declared
                    .iter()
                    .any(|f| holds(f, pkt, &si, &so));
                let removed = d
                    .declared_not_admitted
                    .iter()
                    .any(|f| holds(f, pkt, &si, &so));
                assert_eq!(
                    added,
                    device && !declared,
                    "admitted but not declared on {i} -> {o}: {pkt:?}\n{d:#?}\n{text}"
                );
                assert_eq!(
                    removed,
                    declared && !device,
                    "declared but not admitted on {i} -> {o}: {pkt:?}\n{d:#?}\n{text}"
                );
            }
        }
    }
}

/// One hand edit of a FortiOS build.
#[derive(Clone, Debug)]
enum Edit {
    /// A policy accepting UDP/PORT between any addresses, first in the table.
    Add(u16),
    /// The k-th policy deleted.
    Remove(usize),
    /// The k-th policy's source opened to `all`.
    Widen(usize),
    /// The k-th policy's input interface changed to `port{n}`.
    Move(usize, u8),
    /// The k-th policy disabled.
    Disable(usize),
}

fn policy_edits(text: &str) -> Vec<(usize, usize)> {
    // (edit line, next line) of each policy.
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut inside = false;
    let mut start = None;
    for (i, l) in lines.iter().enumerate() {
        match l.trim() {
            "config firewall policy" => inside = true,
            "end" => inside = false,
            t if inside && t.starts_with("edit ") => start = Some(i),
            "next" if inside => {
                if let Some(s) = start.take() {
                    out.push((s, i));
                }
            }
            _ => {}
        }
    }
    out
}

fn edit(text: &str, e: &Edit) -> String {
    let mut out: Vec<String> = text.lines().map(str::to_string).collect();
    let policies = policy_edits(text);
    let pick = |k: usize| (!policies.is_empty()).then(|| policies[k % policies.len()]);
    let field = |out: &mut Vec<String>, (s, n): (usize, usize), f: &str, v: &str| {
        for l in out.iter_mut().take(n).skip(s) {
            if l.trim_start().starts_with(&format!("set {f} ")) {
                *l = format!("        set {f} {v}");
            }
        }
    };
    match e {
        Edit::Add(port) => {
            let at = out
                .iter()
                .position(|l| l == "config firewall policy")
                .unwrap_or(out.len());
            let added = format!("config firewall address\n    edit \"all\"\n    next\nend\nconfig firewall service custom\n    edit \"x-udp\"\n        set udp-portrange {port}\n    next\nend\nconfig firewall policy\n    edit 7\n        set srcintf \"any\"\n        set dstintf \"any\"\n        set action accept\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        set schedule \"always\"\n        set service \"x-udp\"\n    next");
            if at < out.len() {
                out.remove(at);
            } else {
                out.push("end".into());
            }
            for (k, l) in added.lines().enumerate() {
                out.insert(at + k, l.to_string());
            }
        }
        Edit::Remove(k) => {
            if let Some((s, n)) = pick(*k) {
                out.drain(s..=n);
            }
        }
        Edit::Widen(k) => {
            if let Some(r) = pick(*k) {
                field(&mut out, r, "srcaddr", "\"any-source\"");
                out.insert(0, "config firewall address\n    edit \"any-source\"\n        set subnet 0.0.0.0 0.0.0.0\n    next\nend".into());
            }
        }
        Edit::Move(k, n) => {
            if let Some(r) = pick(*k) {
                field(&mut out, r, "srcintf", &format!("\"port{n}\""));
            }
        }
        Edit::Disable(k) => {
            if let Some((s, _)) = pick(*k) {
                out.insert(s + 1, "        set status disable".into());
            }
        }
    }
    out.join("\n") + "\n"
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (1u16..=65535).prop_map(Edit::Add),
        (0usize..64).prop_map(Edit::Remove),
        (0usize..64).prop_map(Edit::Widen),
        (0usize..64, 0u8..8).prop_map(|(k, n)| Edit::Move(k, n)),
        (0usize..64).prop_map(Edit::Disable),
    ]
}

#[test]
fn a_generated_policys_build_and_its_backup_verify() {
    let p = fgt_policy(gen::policy(7));
    let (rules, text) = build(&p);
    let d = drift(&p, &text);
    assert!(d.matches, "{d:#?}\n{text}");
    let b = backup(&text);
    let d = drift(&p, &b);
    assert!(d.matches, "{d:#?}\n{b}");
    exact(&d, &p, &rules, &text, &gen::packets(&p, 3, 200), &[]);
}

#[test]
fn an_added_policy_names_its_edit_line_and_the_port() {
    let p = fgt_policy(gen::policy(11));
    let (rules, text) = build(&p);
    let edited = edit(&text, &Edit::Add(22));
    let line = edited.lines().position(|l| l.trim() == "edit 7").unwrap() + 1;
    let d = drift(&p, &edited);
    assert!(!d.matches);
    for f in &d.admitted_not_declared {
        assert_eq!(f.packets.services, vec!["udp/22".to_string()], "{f:#?}");
        assert_eq!(f.device_rules[0].line, line);
        assert_eq!(f.device_rules[0].text, "edit 7");
    }
    exact(&d, &p, &rules, &edited, &gen::packets(&p, 4, 200), &[]);
}

#[test]
fn what_fortios_verify_does_not_model_is_refused_with_its_line() {
    let pol = |extra: &str| {
        format!("config firewall policy\n    edit 1\n        set srcintf \"port1\"\n        set dstintf \"port2\"\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        set action accept\n        set service \"ALL\"\n{extra}    next\nend\n")
    };
    for (extra, line) in [
        ("        set srcaddr-negate enable\n", 9),
        ("        set schedule \"weekdays\"\n", 9),
        ("        set groups \"staff\"\n", 9),
        ("        set internet-service enable\n", 9),
    ] {
        match read_fortios(&pol(extra)) {
            Err(DeviceError::Unmodelled(e)) => assert_eq!(e.line, line, "{extra}: {e}"),
            other => panic!("{extra}: {other:?}"),
        }
    }
    let fqdn = format!("config firewall address\n    edit \"web\"\n        set type fqdn\n        set fqdn \"example.com\"\n    next\nend\n{}", pol("").replace("set dstaddr \"all\"", "set dstaddr \"web\""));
    match read_fortios(&fqdn) {
        Err(DeviceError::Unmodelled(e)) => assert_eq!(e.line, 2, "{e}"),
        other => panic!("{other:?}"),
    }
    let dos =
        "config firewall DoS-policy\n    edit 1\n        set interface \"port1\"\n    next\nend\n";
    match read_fortios(dos) {
        Err(DeviceError::Unmodelled(e)) => assert_eq!(e.line, 2, "{e}"),
        other => panic!("{other:?}"),
    }
    for (text, line) in [
        (pol("").replace("\"ALL\"", "\"NOPE\""), 8),
        (
            pol("").replace("set dstaddr \"all\"", "set dstaddr \"nowhere\""),
            6,
        ),
        ("access-list 101 permit ip any any\n".to_string(), 1),
    ] {
        match read_fortios(&text) {
            Err(DeviceError::Unreadable(e)) => assert_eq!(e.line, line, "{text}: {e}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_policys_own_fortios_build_verifies_and_one_hand_edit_is_exactly_the_drift(
        spec in gen::policy_spec(),
        e in edit_strategy(),
        seed in 0u64..1000,
    ) {
        let p = fgt_policy(spec.to_policy());
        let (rules, text) = build(&p);
        let clean = drift(&p, &text);
        prop_assert!(clean.matches, "{:#?}\n{}", clean, text);
        let again = drift(&p, &backup(&text));
        prop_assert!(again.matches, "{:#?}", again);
        let edited = edit(&text, &e);
        let d = drift(&p, &edited);
        let mut packets = gen::packets(&p, seed, 120);
        if let Edit::Add(port) = e {
            let addrs = gen::interesting_addrs(&p);
            for (k, &src) in addrs.iter().enumerate().take(16) {
                for &dst in addrs.iter().skip(k % 3).step_by(5).take(6) {
                    packets.push(Packet { src, dst, proto: 17, dport: Some(port), icmp_type: None });
                }
            }
        }
        let extra: Vec<String> = match e {
            Edit::Move(_, n) => vec![format!("port{n}")],
            _ => Vec::new(),
        };
        exact(&d, &p, &rules, &edited, &packets, &extra);
        if edited == text {
            prop_assert!(d.matches);
        }
    }
}
