//! Assertions (`conduitc::expect`, `conduitc test`) through the library:
//! zones and groups mean every address in them, verdicts come from set
//! algebra (a single admitted address deep inside a /16, or one missing
//! port in the middle of a range, is found), counter-examples agree with
//! the reference semantics, dates and isolation modes apply, `flow ...
//! allows` judges the flow's own rules, paths agree with `attack_paths`,
//! and bad assertion files are coded errors with a location. On generated
//! policies, the verdict agrees with `decide` on packets sampled inside the
//! box (the sample checks the algebra; the verdict itself is never sampled).

use std::net::IpAddr;

use conduitc::expect::{self, Kind, Outcome, Run};
use conduitc::lower::{lower, BuildOptions, Verdict};
use conduitc::model::{AddrSet, Date, Policy};
use conduitc::{check, CheckOptions, Code, Diagnostics, Packet, Sources};
use proptest::prelude::*;

use conduitc_testkit::gen;

const PLANT: &str = r#"
owner ops { contact "ops@example.com" }
zone corp { level 4 owner ops networks 10.10.0.0/16, 2001:db8:10::/48 host admin = 10.10.200.77 }
zone dmz { level 3.5 owner ops networks 10.35.0.0/24 host jump = 10.35.0.20 }
zone scada { level 2 owner ops networks 10.2.0.0/16, 2001:db8:2::/48
  host master = 10.2.0.10, 2001:db8:2::10
  host hmi = 10.2.0.20
  group consoles = master, hmi
}
zone plant { level 1 owner ops networks 10.1.0.0/16 host plc = 10.1.0.5 host rtu = 10.1.0.6 group field = plc, rtu }
conduit corp-dmz {
  zones corp, dmz
  owner ops
  flow admin-rdp { from corp.admin to dmz.jump service rdp reason "one admin desktop" }
}
conduit dmz-scada {
  zones dmz, scada
  owner ops
  flow eng { from dmz.jump to scada.master service rdp reason "engineering" expires 2027-01-31 }
}
conduit scada-plant {
  zones scada, plant
  owner ops
  flow poll { from scada.master to plant.field service tcp/1-499, tcp/501-65535 reason "everything but 500" }
  flow modbus { from scada.consoles to plant.plc service modbus reason "tags" log }
  flow ping { from scada.master to plant.field service ping reason "reachability" }
}
isolation island {
  sever corp, dmz
  reason "corporate compromise"
}
"#;

fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

fn plant() -> Policy {
    let checked = check(
        &Sources::from_memory("plant.conduit", PLANT),
        &CheckOptions::new(today()),
    );
    checked.policy.expect("the test policy checks")
}

fn run(tests: &str) -> Result<Run, Diagnostics> {
    expect::run(
        &plant(),
        &Sources::from_memory("plant.conduit-test", tests),
        today(),
    )
}

fn one(line: &str) -> Outcome {
    let run = run(line).unwrap_or_else(|d| panic!("{line}: {:?}", d.codes()));
    assert_eq!(run.outcomes.len(), 1);
    run.outcomes.into_iter().next().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn a_zone_wide_deny_fails_on_the_one_admitted_address_inside_a_slash_16() {
    let o = one("expect deny corp -> dmz tcp");
    assert!(!o.passed);
    assert_eq!(o.kind, Kind::Deny);
    let p = o.counterexample.unwrap();
    // One address of 65,536 plus 2^80 IPv6 ones: a sample would miss it.
    assert_eq!(
        (p.src, p.dst, p.proto, p.dport),
        (ip("10.10.200.77"), ip("10.35.0.20"), 6, Some(3389))
    );
    assert_eq!(o.decided_by.as_deref(), Some("corp-dmz/admin-rdp"));
    assert_eq!(o.decision, Some(Verdict::Allow));
    // Every other source of the zone is denied: the verdict on the rest holds.
    assert!(one("expect deny corp -> dmz udp").passed);
    assert!(one("expect deny corp.admin -> dmz.jump tcp/3388").passed);
}

#[test]
fn an_allow_fails_on_the_one_port_missing_from_the_middle_of_a_range() {
    let o = one("expect allow scada.master -> plant.rtu tcp");
    assert!(!o.passed);
    let p = o.counterexample.unwrap();
    assert_eq!(
        (p.src, p.dst, p.proto, p.dport),
        (ip("10.2.0.10"), ip("10.1.0.6"), 6, Some(500))
    );
    assert_eq!(o.decision, Some(Verdict::Deny));
    assert_eq!(o.decided_by, None);
    assert!(one("expect allow scada.master -> plant.rtu tcp/1-499").passed);
    assert!(one("expect allow scada.master -> plant.field tcp/501-65535").passed);
}

#[test]
fn an_allow_holds_when_several_flows_cover_the_box_between_them() {
    // Port 500 to the PLC is open to no one: a range around it fails there.
    let o = one("expect allow scada.master -> plant.plc tcp/495-505");
    assert!(!o.passed);
    assert_eq!(o.counterexample.unwrap().dport, Some(500));
    // The HMI reaches the PLC on 502 through `modbus` only, the master
    // through `modbus` and `poll`: together they cover the group, and both
    // are named.
    let o = one("expect allow scada.consoles -> plant.plc tcp/502");
    assert!(o.passed, "{}", o.message);
    assert_eq!(o.flows, vec!["scada-plant/modbus", "scada-plant/poll"]);
    let o = one("expect allow scada.hmi -> plant.plc tcp/502");
    assert_eq!(o.flows, vec!["scada-plant/modbus"]);
}

#[test]
fn a_group_means_every_address_in_it_and_a_counter_example_lies_in_it() {
    let o = one("expect allow scada.consoles -> plant.rtu tcp/502");
    assert!(!o.passed);
    // The master reaches the RTU on 502 through `poll`; the HMI does not.
    assert_eq!(o.counterexample.unwrap().src, ip("10.2.0.20"));
}

#[test]
fn an_ipv6_source_counts_and_icmp_goes_by_family() {
    // The master has an IPv6 address, the plant none: IPv6 packets from it
    // have no destination, so the box is IPv4 only and the flow covers it.
    assert!(one("expect allow scada.master -> plant.field icmp echo-request").passed);
    // The whole scada zone, IPv6 included, to the PLC on 502: the IPv6 part
    // of the box is empty (no IPv6 destination), the IPv4 part fails.
    let o = one("expect allow scada -> plant.plc tcp/502");
    assert!(!o.passed);
    assert!(o.counterexample.unwrap().src.is_ipv4());
}

#[test]
fn dates_and_isolation_modes_change_the_verdict() {
    assert!(one("expect allow dmz.jump -> scada.master tcp/3389").passed);
    assert!(one("expect allow dmz.jump -> scada.master tcp/3389 on 2027-01-31").passed);
    let o = one("expect allow dmz.jump -> scada.master tcp/3389 on 2027-02-01");
    assert!(!o.passed);
    assert!(o.message.contains("2027-02-01"), "{}", o.message);
    assert!(one("expect deny dmz -> scada any on 2027-02-01").passed);
    assert!(!one("expect deny dmz -> scada any").passed);
    assert!(one("expect deny dmz -> scada any under isolation island").passed);
    assert!(one("expect allow scada.master -> plant.plc tcp/502 under isolation island").passed);
    // Both qualifiers, in either order.
    assert!(one("expect deny corp -> dmz any on 2026-12-02 under isolation island").passed);
}

#[test]
fn a_flow_assertion_judges_that_flow_alone() {
    assert!(
        one("expect flow scada-plant/modbus allows scada.consoles -> plant.plc tcp/502").passed
    );
    // The policy admits master -> rtu on 502, but through `poll`: the
    // assertion about `modbus` fails, and the deciding flow is named.
    let o = one("expect flow scada-plant/modbus allows scada.master -> plant.rtu tcp/502");
    assert!(!o.passed);
    assert_eq!(o.kind, Kind::FlowAllows);
    assert_eq!(o.decided_by.as_deref(), Some("scada-plant/poll"));
    assert_eq!(o.decision, Some(Verdict::Allow));
    // A flow that has expired admits nothing, and the message says why.
    let o = one("expect flow dmz-scada/eng allows dmz.jump -> scada.master tcp/3389 on 2027-02-01");
    assert!(!o.passed);
    assert!(o.message.contains("expired"), "{}", o.message);
    let o = one(
        "expect flow dmz-scada/eng allows dmz.jump -> scada.master tcp/3389 under isolation island",
    );
    assert!(!o.passed);
    assert!(o.message.contains("island"), "{}", o.message);
}

#[test]
fn paths_are_the_paths_of_attack_paths() {
    let o = one("expect path corp -> plant");
    assert!(o.passed);
    let rules = lower(&plant(), &BuildOptions::new(today())).unwrap();
    let found = conduitc::attack_paths::find(&rules, "corp", "plant");
    assert_eq!(o.path.as_ref(), found.paths.first());
    let o = one("expect no path corp -> plant");
    assert!(!o.passed);
    assert!(
        o.message
            .contains("corp-dmz/admin-rdp -> dmz-scada/eng -> scada-plant/"),
        "{}",
        o.message
    );
    assert!(one("expect no path corp -> plant under isolation island").passed);
    assert!(one("expect no path corp -> plant on 2027-02-01").passed);
    assert!(one("expect no path plant -> corp").passed);
    assert!(!one("expect path plant -> corp").passed);
}

#[test]
fn addresses_and_prefixes_are_endpoints_too() {
    assert!(one("expect allow 10.2.0.10 -> 10.1.0.5/32 icmp 8").passed);
    assert!(one("expect deny 10.2.0.0/24 -> 10.1.0.5 udp/161").passed);
    assert!(!one("expect deny 10.2.0.10 -> 10.1.0.6 tcp/1000-2000").passed);
    assert!(!one("expect allow 10.2.0.10 -> 10.1.0.0/29 icmp 8").passed);
}

#[test]
fn outcomes_carry_file_line_and_the_assertion_without_comments() {
    let run = run("# header\n\n  expect deny corp -> plant any   # trailing\nexpect   allow\n scada.master -> plant.plc\n tcp/502\n").unwrap();
    let o = &run.outcomes;
    assert_eq!(
        (o[0].file.as_str(), o[0].line, o[0].column),
        ("plant.conduit-test", 3, 3)
    );
    assert_eq!(o[0].assertion, "expect deny corp -> plant any");
    assert_eq!(o[1].line, 4);
    assert_eq!(
        o[1].assertion,
        "expect allow scada.master -> plant.plc tcp/502"
    );
    assert_eq!((run.passed(), run.failed()), (2, 0));
}

/// A diagnostic as the tests compare it: code, message, help, line and column.
type Found = (Code, String, Option<String>, (usize, usize));

fn errors(tests: &str) -> Vec<Found> {
    let sources = Sources::from_memory("t.conduit-test", tests);
    let d = expect::run(&plant(), &sources, today()).expect_err("an error");
    d.iter()
        .map(|d| {
            let id = d.primary.span.file;
            (
                d.code,
                d.message.clone(),
                d.help.clone(),
                sources.line_col(id, d.primary.span.start),
            )
        })
        .collect()
}

#[test]
fn unknown_names_are_e821_at_the_name_with_the_nearest_declared_one() {
    let e = errors("expect deny corp -> plnt any\nexpect deny scada.mastr -> plant any\nexpect flow scada-plant/modbs allows scada -> plant tcp/502\nexpect no path corp -> plant under isolation islnd\nexpect path nowhere -> plant\n");
    type Shown<'a> = (Code, &'a str, Option<&'a str>, (usize, usize));
    let got: Vec<Shown<'_>> = e
        .iter()
        .map(|(c, m, h, at)| (*c, m.as_str(), h.as_deref(), *at))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Code::TestUnknownName,
                "the policy declares no zone `plnt`",
                Some("did you mean `plant`?"),
                (1, 21)
            ),
            (
                Code::TestUnknownName,
                "the policy declares no host or group `scada.mastr`",
                Some("did you mean `scada.master`?"),
                (2, 13)
            ),
            (
                Code::TestUnknownName,
                "the policy declares no flow `scada-plant/modbs`",
                Some("did you mean `scada-plant/modbus`?"),
                (3, 13)
            ),
            (
                Code::TestUnknownName,
                "the policy declares no isolation mode `islnd`",
                Some("did you mean `island`?"),
                (4, 46)
            ),
            (
                Code::TestUnknownName,
                "the policy declares no zone `nowhere`",
                None,
                (5, 13)
            ),
        ]
    );
}

#[test]
fn bad_values_and_syntax_are_e820_at_the_token() {
    for (text, message, at) in [
        (
            "expect allow corp -> dmz tcp/0",
            "`0` is not a port (1-65535) or a range LO-HI",
            (1, 30),
        ),
        (
            "expect allow corp -> dmz tcp/9-3",
            "`9-3` is not a port (1-65535) or a range LO-HI",
            (1, 30),
        ),
        (
            "expect allow corp -> dmz gre",
            "`gre` is not a protocol",
            (1, 26),
        ),
        (
            "expect allow corp -> dmz udp/53 on 2026-02-30",
            "`2026-02-30` is not a date",
            (1, 36),
        ),
        (
            "expect allow corp -> dmz icmp bogus",
            "`bogus` is not an ICMP type name or a number 0-255",
            (1, 31),
        ),
        (
            "expect allow corp -> dmz 47/5",
            "a port applies only to tcp and udp",
            (1, 29),
        ),
        (
            "expect allow corp -> dmz tcp on 2027-01-01 on 2027-01-02",
            "`on` is given twice",
            (1, 44),
        ),
        (
            "expect allow 10.0.0.1/8 -> dmz tcp",
            "`10.0.0.1/8` has host bits set",
            (1, 14),
        ),
        (
            "expect allow corp => dmz tcp",
            "expected `->`, found `=`",
            (1, 19),
        ),
        (
            "expect allow corp -> dmz",
            "expected a service (`tcp/502`, `udp`, `icmp echo-request`, `any`), found end of file",
            (1, 25),
        ),
        (
            "expect maybe corp -> dmz tcp",
            "expected `allow`, `deny`, `path`, `no path` or `flow`, found `maybe`",
            (1, 8),
        ),
        (
            "allow corp -> dmz tcp",
            "expected `expect`, found `allow`",
            (1, 1),
        ),
    ] {
        let e = errors(text);
        assert_eq!(e.len(), 1, "{text}: {e:?}");
        assert_eq!(
            (e[0].0, e[0].1.as_str(), e[0].3),
            (Code::TestSyntax, message, at),
            "{text}"
        );
    }
}

#[test]
fn an_assertion_about_no_packet_is_e823_not_a_pass() {
    for text in [
        "expect deny scada.master -> plant icmpv6",
        "expect allow 2001:db8:2::10 -> plant tcp/502",
        "expect deny 2001:db8:2::10 -> 10.1.0.5 any",
    ] {
        let e = errors(text);
        assert_eq!(
            e.iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![Code::TestEmptyBox],
            "{text}"
        );
    }
}

#[test]
fn an_assertion_file_of_comments_alone_is_an_empty_run() {
    let run = run("# nothing yet\n").unwrap();
    assert!(run.outcomes.is_empty());
}

#[test]
fn every_error_of_every_file_is_reported_and_nothing_is_judged() {
    let mut sources = Sources::new();
    sources.add_memory(
        "a.conduit-test",
        "expect deny corp -> plant any\nexpect deny crp -> plant any\n",
    );
    sources.add_memory(
        "b.conduit-test",
        "expect allow corp -> dmz tcp/70000\nexpect allow corp -> dmz.jmp tcp\n",
    );
    let d = expect::run(&plant(), &sources, today()).unwrap_err();
    assert_eq!(
        d.codes(),
        vec![
            Code::TestUnknownName,
            Code::TestSyntax,
            Code::TestUnknownName
        ]
    );
}

// ---------------------------------------------------------------------------
// The algebra against the reference semantics, on generated policies.

/// An endpoint of `p` as an assertion names it, and its addresses.
fn endpoints(p: &Policy) -> Vec<(String, AddrSet)> {
    let mut out = Vec::new();
    for z in &p.zones {
        out.push((z.name.to_string(), z.addrs.clone()));
        for h in &z.hosts {
            out.push((
                format!("{}.{}", z.name, h.name),
                AddrSet::from_addrs(h.addrs.iter().copied()),
            ));
        }
        for g in &z.groups {
            out.push((format!("{}.{}", z.name, g.name), g.addrs.clone()));
        }
    }
    out
}

/// Services as an assertion writes them, with the (proto, port, type)
/// triples to probe inside each.
/// A packet's protocol, destination port and ICMP type.
type Probe = (u8, Option<u16>, Option<u8>);

fn services() -> Vec<(&'static str, Vec<Probe>)> {
    let tcp = |ports: &[u16]| {
        ports
            .iter()
            .map(|&p| (6u8, Some(p), None))
            .collect::<Vec<_>>()
    };
    vec![
        (
            "tcp",
            tcp(&[1, 22, 80, 443, 502, 503, 1024, 3389, 20000, 65535]),
        ),
        ("tcp/502", tcp(&[502])),
        (
            "tcp/400-600",
            tcp(&[400, 443, 499, 500, 501, 502, 503, 600]),
        ),
        (
            "udp",
            vec![
                (17, Some(53), None),
                (17, Some(161), None),
                (17, Some(20000), None),
                (17, Some(1), None),
            ],
        ),
        ("icmp echo-request", vec![(1, None, Some(8))]),
        (
            "icmpv6",
            vec![
                (58, None, Some(128)),
                (58, None, Some(0)),
                (58, None, Some(255)),
            ],
        ),
        ("47", vec![(47, None, None)]),
        (
            "any",
            vec![
                (6, Some(502), None),
                (6, Some(443), None),
                (17, Some(53), None),
                (1, None, Some(8)),
                (58, None, Some(128)),
                (47, None, None),
                (50, None, None),
            ],
        ),
    ]
}

fn in_family(pkt: &Packet) -> bool {
    pkt.src.is_ipv4() == pkt.dst.is_ipv4()
        && match pkt.proto {
            1 => pkt.src.is_ipv4(),
            58 => pkt.src.is_ipv6(),
            _ => true,
        }
}

/// The generated policies give the property below verdicts of every kind:
/// zone-to-zone `allow` and `deny` assertions that hold and that fail.
#[test]
fn generated_policies_give_passes_and_failures_of_both_kinds() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let policy = gen::policy(seed);
        let zones: Vec<String> = policy.zones.iter().map(|z| z.name.to_string()).collect();
        let mut text = String::new();
        for a in &zones {
            for b in &zones {
                for verdict in ["allow", "deny"] {
                    for svc in ["tcp/502", "any"] {
                        text.push_str(&format!("expect {verdict} {a} -> {b} {svc}\n"));
                    }
                }
            }
        }
        let sources = Sources::from_memory("g.conduit-test", text);
        let Ok(run) = expect::run(&policy, &sources, gen::today()) else {
            continue;
        };
        for o in run.outcomes {
            seen.insert((o.kind == Kind::Allow, o.passed));
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_verdict_agrees_with_decide_on_every_sampled_packet_of_the_box(
        spec in gen::policy_spec(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<bool>()), 6),
    ) {
        let policy = spec.to_policy();
        let today = gen::today();
        let ends = endpoints(&policy);
        let svcs = services();
        let addrs = gen::interesting_addrs(&policy);
        let island = policy.isolation("island").is_some();
        for (a, b, s, cut) in picks {
            let (src_name, src) = a.get(&ends);
            let (dst_name, dst) = b.get(&ends);
            let (svc, probes) = s.get(&svcs);
            let under = if cut && island { " under isolation island" } else { "" };
            let opts = BuildOptions::new(today)
                .with_isolation((cut && island).then(|| "island".to_string()));
            let box_packets: Vec<Packet> = addrs.iter().filter(|a| src.contains(**a)).flat_map(|&s| {
                addrs.iter().filter(|a| dst.contains(**a)).flat_map(move |&d| {
                    probes.iter().map(move |&(proto, dport, icmp_type)| Packet { src: s, dst: d, proto, dport, icmp_type })
                })
            }).filter(in_family).collect();
            for verdict in ["allow", "deny"] {
                let text = format!("expect {verdict} {src_name} -> {dst_name} {svc}{under}\n");
                let sources = Sources::from_memory("g.conduit-test", text.clone());
                let outcome = match expect::run(&policy, &sources, today) {
                    Ok(run) => run.outcomes.into_iter().next().unwrap(),
                    Err(d) => {
                        // Only an empty box is refused, and then no packet is in it.
                        prop_assert_eq!(d.codes(), vec![Code::TestEmptyBox], "{}", text);
                        prop_assert!(box_packets.is_empty(), "{}", text);
                        continue;
                    }
                };
                let allow = verdict == "allow";
                if outcome.passed {
                    for pkt in &box_packets {
                        let d = conduitc::decide(&policy, pkt, &opts).unwrap();
                        prop_assert_eq!(d.allowed(), allow, "{} holds, but {:?}", text, pkt);
                    }
                } else {
                    let pkt = outcome.counterexample.unwrap();
                    prop_assert!(src.contains(pkt.src) && dst.contains(pkt.dst) && in_family(&pkt), "{}: {:?}", text, pkt);
                    let d = conduitc::decide(&policy, &pkt, &opts).unwrap();
                    prop_assert_eq!(d.allowed(), !allow, "{}: {:?}", text, pkt);
                    prop_assert_eq!(d.flow, outcome.decided_by);
                }
            }
        }
    }
}

/// Words, partial words and stray characters of the assertion language.
const TOKENS: &[&str] = &[
    "expect",
    "allow",
    "deny",
    "no",
    "path",
    "flow",
    "allows",
    "->",
    "-",
    ">",
    "corp",
    "dmz.jump",
    "scada.consoles",
    "plant",
    "scada-plant/poll",
    "scada-plant/",
    "/",
    "tcp",
    "tcp/",
    "udp/53",
    "502",
    "0-1",
    "65536",
    "icmp",
    "icmpv6",
    "echo-request",
    "any",
    "47",
    "under",
    "isolation",
    "island",
    "on",
    "2026-12-01",
    "2026-13-01",
    "#",
    "\n",
    " ",
    "\t",
    "10.0.0.0/8",
    "10.1.0.5",
    "::1",
    "2001:db8:2::/48",
    "é",
    "\u{202e}",
    "\r\n",
    "\"",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any text is judged or refused with E820-E823 at a place in the file,
    /// never a panic and never another code.
    #[test]
    fn any_text_is_judged_or_refused_with_a_located_code(
        words in prop::collection::vec(prop::sample::select(TOKENS), 0..24),
    ) {
        let text: String = words.join(" ");
        let sources = Sources::from_memory("t.conduit-test", text.clone());
        match expect::run(&plant(), &sources, today()) {
            Ok(run) => {
                for o in &run.outcomes {
                    prop_assert!(o.line >= 1 && o.column >= 1);
                }
            }
            Err(d) => {
                prop_assert!(!d.is_empty());
                for diag in &d {
                    prop_assert!(
                        [Code::TestSyntax, Code::TestUnknownName, Code::TestEmptyBox].contains(&diag.code),
                        "{:?}: {:?}", text, diag
                    );
                    prop_assert!(diag.primary.span.end as usize <= text.len());
                }
            }
        }
    }
}
