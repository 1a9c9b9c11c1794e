//! `verify` of Cisco IOS configurations. The oracle is the test kit's IOS
//! evaluator (written from the device's documented behaviour, sharing no
//! code with the library's reader) and the policy's own lowered rules: a
//! packet that opens a connection, arriving on interface I and leaving by
//! the interface facing its destination's zone, is reported admitted but
//! not declared exactly when the evaluator admits it and no rule allows it
//! on that pair, and declared but not admitted in the converse case.

use conduitc::backend::{self, EmitOptions, Target};
use conduitc::lower::{lower, BuildOptions, Packet, RuleSet};
use conduitc::model::Platform;
use conduitc::platform::ios_interface_key;
use conduitc::verify::{read_ios, verify_device, DeviceError, Drift, Finding, OTHER_INTERFACE};
use conduitc::Policy;
use conduitc_testkit::wire::{ephemeral_port, Wire};
use conduitc_testkit::{gen, ios_eval};
use proptest::prelude::*;

/// The policy with its firewall `fw` made a Cisco IOS router whose
/// interfaces are `GigabitEthernet0/N`.
fn ios_policy(mut p: Policy) -> Policy {
    for fw in &mut p.firewalls {
        fw.platform = Platform::CiscoIos;
        for i in &mut fw.interfaces {
            i.name = i.name.replace("eth", "GigabitEthernet0/");
        }
    }
    p
}

fn opts() -> BuildOptions {
    BuildOptions::new(gen::today()).firewall("fw")
}

fn build(p: &Policy, flat: bool) -> (RuleSet, String) {
    let rules = lower(p, &opts()).unwrap();
    let mut out = Vec::new();
    backend::emit_with(
        &rules,
        Target::CiscoIos,
        &EmitOptions::new().ios_flat(flat),
        &mut out,
    )
    .unwrap();
    (rules, String::from_utf8(out).unwrap())
}

fn drift(p: &Policy, text: &str) -> Drift {
    let d = read_ios(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    verify_device(p, &opts(), &d).unwrap()
}

/// The interface a packet to or from `a` uses: the one facing its zone,
/// `None` for an address in no zone the firewall faces.
fn facing(p: &Policy, a: std::net::IpAddr) -> Option<String> {
    let fw = p.firewall("fw")?;
    let zone = p.zone_of(a)?;
    fw.interface_for(zone).map(|i| i.name.clone())
}

fn holds(f: &Finding, p: &Packet, i: &str, o: &str) -> bool {
    f.packets.admits(p)
        && !f.reply
        && (f.interfaces.is_empty() || f.interfaces.iter().any(|(a, b)| a == i && b == o))
}

/// Asserts that `d` reports exactly the opening packets on which the kit
/// evaluator of `text` and the policy disagree, on every interface the
/// configuration lists.
fn exact(d: &Drift, p: &Policy, rules: &RuleSet, text: &str, packets: &[Packet]) {
    let cfg = ios_eval::Device::from_build(text)
        .and_then(|dev| dev.config())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let eph = ephemeral_port(p);
    let ifaces: Vec<String> = cfg.interfaces.keys().cloned().collect();
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
        .filter(|x| !(x.proto == 58 && matches!(x.icmp_type, Some(133..=137))))
        // Echo replies are judged as the requests they answer.
        .filter(|x| !matches!((x.proto, x.icmp_type), (1, Some(0)) | (58, Some(129))))
    {
        let w = Wire::initiation(pkt, eph);
        let out = facing(p, pkt.dst);
        let o = out.clone().unwrap_or_else(|| OTHER_INTERFACE.to_string());
        for key in &ifaces {
            // The policy's spelling of the interface when it names it, else
            // the configuration's.
            let i = p
                .firewall("fw")
                .and_then(|fw| {
                    fw.interfaces
                        .iter()
                        .find(|x| ios_interface_key(&x.name) == *key)
                })
                .map(|x| x.name.clone())
                .or_else(|| {
                    text.lines()
                        .filter_map(|l| l.strip_prefix("interface "))
                        .find(|n| ios_interface_key(n) == *key)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| key.clone());
            let device = ios_eval::admits(&cfg, key, &w).0;
            let declared = rules.rules.iter().any(|r| {
                r.admits(pkt)
                    && (r.in_iface.is_none() || r.in_iface.as_deref() == Some(i.as_str()))
                    && (r.out_iface.is_none() || r.out_iface.as_deref() == out.as_deref())
            });
            let added = d
                .admitted_not_declared
                .iter()
                .any(|f| holds(f, pkt, &i, &o));
            let removed = d
                .declared_not_admitted
                .iter()
                .any(|f| holds(f, pkt, &i, &o));
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

/// One hand edit of an IOS build.
#[derive(Clone, Debug)]
enum Edit {
    /// ` 15 permit udp any any eq PORT` at the head of the k-th IPv4 list.
    Add(usize, u16),
    /// The k-th permit entry removed.
    Remove(usize),
    /// The k-th entry ending in `eq PORT` opened to `range PORT 65535`.
    Widen(usize),
    /// The k-th interface block renamed to `GigabitEthernet0/{n}`.
    Move(usize, u8),
}

fn positions(text: &str, f: impl Fn(&str) -> bool) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| f(l))
        .map(|(i, _)| i)
        .collect()
}

fn edit(text: &str, e: &Edit) -> String {
    let mut out: Vec<String> = text.lines().map(str::to_string).collect();
    let pick = |v: &[usize], k: usize| (!v.is_empty()).then(|| v[k % v.len()]);
    match e {
        Edit::Add(k, port) => {
            let heads = positions(text, |l| l.starts_with("ip access-list extended "));
            if let Some(i) = pick(&heads, *k) {
                out.insert(i + 1, format!(" 15 permit udp any any eq {port}"));
            }
        }
        Edit::Remove(k) => {
            let permits = positions(text, |l| {
                let t = l.trim_start();
                t.split(' ').nth(1) == Some("permit") && !l.contains("nd-n")
            });
            if let Some(i) = pick(&permits, *k) {
                out.remove(i);
            }
        }
        Edit::Widen(k) => {
            let ported = positions(text, |l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.len() > 3 && w[1] == "permit" && w[w.len() - 2] == "eq"
            });
            if let Some(i) = pick(&ported, *k) {
                let l = out[i].clone();
                let (head, port) = l.rsplit_once(" eq ").unwrap();
                out[i] = format!("{head} range {port} 65535");
            }
        }
        Edit::Move(k, n) => {
            let ifaces = positions(text, |l| l.starts_with("interface "));
            if let Some(i) = pick(&ifaces, *k) {
                out[i] = format!("interface GigabitEthernet0/{n}");
            }
        }
    }
    out.join("\n") + "\n"
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0usize..8, 1u16..=65535).prop_map(|(k, p)| Edit::Add(k, p)),
        (0usize..64).prop_map(Edit::Remove),
        (0usize..64).prop_map(Edit::Widen),
        (0usize..8, 0u8..8).prop_map(|(k, n)| Edit::Move(k, n)),
    ]
}

#[test]
fn the_plants_own_build_verifies_in_both_forms_and_as_a_running_config() {
    let p = ios_policy(gen::policy(7));
    for flat in [false, true] {
        let (rules, text) = build(&p, flat);
        let d = drift(&p, &text);
        assert!(d.matches, "{d:#?}\n{text}");
        let running = ios_eval::Device::from_build(&text)
            .unwrap()
            .running_config();
        let d = drift(&p, &running);
        assert!(d.matches, "{d:#?}\n{running}");
        exact(&d, &p, &rules, &text, &gen::packets(&p, 3, 200));
    }
}

#[test]
fn a_hand_added_ssh_entry_names_its_line_and_tcp_22() {
    let p = ios_policy(gen::policy(11));
    let (rules, text) = build(&p, false);
    let head = text
        .lines()
        .position(|l| l.starts_with("ip access-list extended "))
        .unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(head + 1, " 5 permit tcp any any eq 22");
    let edited = lines.join("\n") + "\n";
    let d = drift(&p, &edited);
    assert!(!d.matches);
    assert!(!d.admitted_not_declared.is_empty());
    for f in &d.admitted_not_declared {
        assert_eq!(f.packets.services, vec!["tcp/22".to_string()], "{f:#?}");
        assert_eq!(f.device_rules[0].line, head + 2);
        assert_eq!(f.device_rules[0].text, "5 permit tcp any any eq 22");
        assert!(f.device_rules[1].text.contains("ip access-group"), "{f:#?}");
    }
    exact(&d, &p, &rules, &edited, &gen::packets(&p, 4, 300));
}

#[test]
fn the_implicit_deny_names_the_list_when_an_entry_is_removed() {
    let p = ios_policy(gen::policy(5));
    let (rules, text) = build(&p, true);
    let permit = text.lines().position(|l| {
        l.split_whitespace().nth(1) == Some("permit")
            && l.contains(" eq ")
            && !l.contains("established")
    });
    let Some(i) = permit else {
        return;
    };
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(i);
    let edited = lines.join("\n") + "\n";
    let d = drift(&p, &edited);
    assert!(!d.declared_not_admitted.is_empty(), "{d:#?}");
    for f in &d.declared_not_admitted {
        assert!(!f.packets.flows.is_empty());
        assert!(
            f.device_rules[0]
                .text
                .starts_with("implicit deny at the end of access list ")
                || f.device_rules[0].text.contains(" deny "),
            "{f:#?}"
        );
    }
    exact(&d, &p, &rules, &edited, &gen::packets(&p, 9, 300));
}

#[test]
fn what_ios_verify_does_not_model_is_refused_with_its_line() {
    let unmodelled = [
        (
            "ip access-list extended a\n 10 permit tcp any any eq 22 time-range work\n",
            2,
        ),
        ("zone security inside\n", 1),
        ("interface Gi0/1\n zone-member security inside\n", 2),
        (
            "ip access-list extended a\n 10 permit ip 10.0.0.0 0.0.255.0 any\n",
            2,
        ),
        ("ip access-list extended a\n 10 deny udp any eq 53 any\n", 2),
        ("ip access-list extended a\n 10 evaluate mirror\n", 2),
        (
            "ip access-list extended a\n 10 permit tcp any any reflect mirror\n",
            2,
        ),
    ];
    for (text, line) in unmodelled {
        match read_ios(text) {
            Err(DeviceError::Unmodelled(e)) => assert_eq!(e.line, line, "{text}: {e}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    let unreadable = [
        (
            "ip access-list extended a\n 10 permit tcp any any eq nosuchport\n",
            2,
        ),
        (
            "ip access-list extended a\n 10 permit ip object-group nope any\n",
            2,
        ),
        (" 10 permit ip any any\n", 1),
        ("interface Gi0/1\n ip access-group a sideways\n", 2),
        ("no ip access-list extended a\n", 1),
        (
            "ip access-list extended a\n 10 permit ip any any\n 10 deny ip any any\n",
            3,
        ),
    ];
    for (text, line) in unreadable {
        match read_ios(text) {
            Err(DeviceError::Unreadable(e)) => assert_eq!(e.line, line, "{text}: {e}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    // Sections that filter nothing are skipped, banners included.
    let skipped = "hostname r1\nbanner motd ^C\nip access-list extended x\n^C\nrouter ospf 1\n network 10.0.0.0 0.0.0.255 area 0\nline vty 0 4\n transport input ssh\n";
    let d = read_ios(skipped).unwrap();
    assert_eq!(d.entries(), 1, "{d:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_policys_own_ios_build_verifies_and_one_hand_edit_is_exactly_the_drift(
        spec in gen::policy_spec(),
        e in edit_strategy(),
        flat in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let p = ios_policy(spec.to_policy());
        let (rules, text) = build(&p, flat);
        let clean = drift(&p, &text);
        prop_assert!(clean.matches, "{:#?}\n{}", clean, text);
        let running = ios_eval::Device::from_build(&text).unwrap().running_config();
        let again = drift(&p, &running);
        prop_assert!(again.matches, "{:#?}\n{}", again, running);
        let edited = edit(&text, &e);
        let d = drift(&p, &edited);
        let mut packets = gen::packets(&p, seed, 200);
        if let Edit::Add(_, port) = e {
            let addrs = gen::interesting_addrs(&p);
            for (k, &src) in addrs.iter().enumerate().take(24) {
                for &dst in addrs.iter().skip(k % 3).step_by(5).take(8) {
                    packets.push(Packet { src, dst, proto: 17, dport: Some(port), icmp_type: None });
                }
            }
        }
        exact(&d, &p, &rules, &edited, &packets);
        if edited == text {
            prop_assert!(d.matches);
        }
    }
}
