//! The language as language.md states it, one behaviour per test, through
//! the library: text in, diagnostics and model out.

use conduitc::model::{Date, Level, LevelOp, Member, Mode, Name, Platform, Scope};
use conduitc::{check, CheckOptions, Checked, Code, Sources};
use proptest::prelude::*;

fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

fn run(text: &str) -> Checked {
    check(
        &Sources::from_memory("test.conduit", text),
        &CheckOptions::new(today()),
    )
}

fn codes(text: &str) -> Vec<Code> {
    run(text).diagnostics.codes()
}

const HEAD: &str = r#"
owner ops { contact "ops@example.com" }
owner it { contact "it@example.com" }
zone scada { level 2 owner ops networks 10.2.0.0/24, 2001:db8:2::/64
  host master = 10.2.0.10, 2001:db8:2::10
  host hmi = 10.2.0.20
  group hmis = hmi, 10.2.0.128/25 }
zone plant { level 1 owner ops networks 10.1.0.0/24 host plc = 10.1.0.5 group plcs = plc, 10.1.0.64/26 }
zone dmz { level 3.5 owner it networks 10.35.0.0/24 host jump = 10.35.0.20 }
zone office { level 4 owner it networks 10.100.0.0/16 host pc = 10.100.0.7 }
"#;

fn with(rest: &str) -> String {
    format!("{HEAD}{rest}")
}

#[test]
fn keywords_are_not_reserved() {
    let text = r#"
owner owner { contact "c" }
zone zone { level 1 owner owner networks 10.0.0.0/24 host host = 10.0.0.1 group group = host }
zone control { level 2 owner owner networks 10.0.1.0/24 host flow = 10.0.1.1 }
conduit conduit {
  zones zone, control
  owner owner
  flow flow { from control.flow to zone.group service modbus reason "keywords as names" }
}
"#;
    let c = run(text);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let p = c.policy.unwrap();
    assert_eq!(p.conduits[0].flows[0].full_name, "conduit/flow");
}

#[test]
fn names_ignore_case_and_output_uses_the_declared_spelling() {
    let text = with(
        r#"conduit Scada-Plant { zones SCADA, Plant owner OPS
  flow Poll { from scada.MASTER to PLANT.plcs service MODBUS reason "polling" } }"#,
    );
    let c = run(&text);
    assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
    let p = c.policy.unwrap();
    let f = &p.conduits[0].flows[0];
    assert_eq!(f.full_name, "Scada-Plant/Poll");
    assert_eq!(f.owner.as_str(), "ops");
    assert_eq!(f.from[0].member, Member::Host(Name::new("master")));
    assert_eq!(p.zones[p.conduits[0].zones[0]].name.as_str(), "scada");
    // `PLC-1` and `plc-1` clash.
    let dup = "owner o { contact \"c\" }\nzone z { level 1 owner o networks 10.0.0.0/24 host PLC-1 = 10.0.0.1 host plc-1 = 10.0.0.2 }";
    assert_eq!(codes(dup), [Code::DuplicateName]);
}

#[test]
fn a_host_and_a_group_of_one_zone_may_not_share_a_name() {
    let text = "owner o { contact \"c\" }\nzone z { level 1 owner o networks 10.0.0.0/24 host a = 10.0.0.1 group A = a }";
    assert_eq!(codes(text), [Code::DuplicateName]);
    // Across zones the same member name is fine.
    let text = "owner o { contact \"c\" }\nzone y { level 1 owner o networks 10.0.1.0/24 host a = 10.0.1.1 }\nzone z { level 1 owner o networks 10.0.0.0/24 host a = 10.0.0.1 }";
    assert_eq!(codes(text), []);
}

#[test]
fn groups_hold_hosts_and_prefixes_of_their_zone_only() {
    let text = "owner o { contact \"c\" }\nzone z { level 1 owner o networks 10.0.0.0/24 host a = 10.0.0.1 group g = a group h = g }";
    assert_eq!(codes(text), [Code::UnknownName]);
    let text = "owner o { contact \"c\" }\nzone z { level 1 owner o networks 10.0.0.0/24 group g = 10.0.1.0/28 }";
    assert_eq!(codes(text), [Code::OutsideZone]);
}

#[test]
fn hosts_of_an_any_zone_must_lie_outside_every_other_zone() {
    let text = with("zone internet { level 5 owner it networks any host dns = 10.1.0.9 }");
    assert_eq!(codes(&text), [Code::OutsideZone]);
    let text = with("zone internet { level 5 owner it networks any host dns = 192.0.2.53 }");
    assert_eq!(codes(&text), []);
}

#[test]
fn host_bits_get_the_network_form_as_help() {
    let c = run("owner o { contact \"c\" }\nzone z { level 1 owner o networks 10.0.0.1/24 }");
    let d = c.diagnostics.iter().next().unwrap();
    assert_eq!(d.code, Code::HostBitsSet);
    assert_eq!(
        d.help.as_deref(),
        Some("write `10.0.0.0/24` for the network, or `10.0.0.1` for the single address")
    );
}

#[test]
fn unknown_names_suggest_a_close_match() {
    let c = run(&with("conduit c { zones scada, plnat owner ops }"));
    let d = c.diagnostics.iter().next().unwrap();
    assert_eq!(d.code, Code::UnknownName);
    assert_eq!(d.message, "no zone named `plnat`");
    assert_eq!(d.help.as_deref(), Some("did you mean `plant`?"));
}

#[test]
fn conduits_join_exactly_two_distinct_zones() {
    assert_eq!(
        codes(&with("conduit c { zones scada owner ops }")),
        [Code::ConduitZones]
    );
    assert_eq!(
        codes(&with("conduit c { zones scada, plant, dmz owner ops }")),
        [Code::ConduitZones]
    );
    assert_eq!(
        codes(&with("conduit c { zones scada, Scada owner ops }")),
        [Code::ConduitZones]
    );
}

#[test]
fn all_from_endpoints_lie_in_one_zone_and_all_to_in_the_other() {
    let flow = |from: &str, to: &str| {
        with(&format!(
            "conduit c {{ zones scada, plant owner ops flow f {{ from {from} to {to} service modbus reason \"polling\" }} }}"
        ))
    };
    assert_eq!(
        codes(&flow("scada.master, plant.plc", "plant")),
        [Code::FlowDirection]
    );
    assert_eq!(
        codes(&flow("scada.master", "scada.hmi")),
        [Code::FlowDirection]
    );
    assert_eq!(
        codes(&flow("scada.master", "dmz.jump")),
        [Code::EndpointOutsideConduit]
    );
    // Both directions are fine, in separate flows.
    assert!(!run(&flow("plant.plc", "scada.master"))
        .diagnostics
        .has_errors());
}

#[test]
fn icmp_applies_only_to_ipv4_pairs_and_icmpv6_only_to_ipv6_pairs() {
    let flow = |from: &str, to: &str, svc: &str| {
        with(&format!(
            "zone lab {{ level 2 owner ops networks 10.3.0.0/24, 2001:db8:3::/64 host v6 = 2001:db8:3::1 host v4 = 10.3.0.1 }}
conduit c {{ zones scada, lab owner ops flow f {{ from {from} to {to} service {svc} reason \"polling\" }} }}"
        ))
    };
    assert_eq!(
        codes(&flow("scada.hmi", "lab.v6", "tcp/22")),
        [Code::FlowNeverMatches]
    );
    assert_eq!(
        codes(&flow("scada.hmi", "lab.v4", "ping6")),
        [Code::FlowNeverMatches]
    );
    assert_eq!(
        codes(&flow("scada.master", "lab.v6", "ping")),
        [Code::FlowNeverMatches]
    );
    assert_eq!(codes(&flow("scada.master", "lab.v6", "ping6")), []);
    // One applicable service is enough.
    assert_eq!(codes(&flow("scada.hmi", "lab.v4", "ping6, ping")), []);
}

#[test]
fn expiry_is_in_force_through_its_date() {
    let flow = |date: &str| {
        with(&format!(
            "conduit c {{ zones scada, plant owner ops flow f {{ from scada.master to plant.plc service modbus reason \"polling\" expires {date} }} }}"
        ))
    };
    assert_eq!(codes(&flow("2026-12-01")), [Code::ExpiringSoon]);
    assert_eq!(codes(&flow("2026-11-30")), [Code::ExpiredFlow]);
    assert_eq!(codes(&flow("2026-12-31")), [Code::ExpiringSoon]);
    assert_eq!(codes(&flow("2027-01-01")), []);
    let c = run(&flow("2026-12-01"));
    assert!(c
        .diagnostics
        .iter()
        .next()
        .unwrap()
        .message
        .ends_with("today"));
}

#[test]
fn waivers_accept_warnings_and_are_recorded() {
    let text = with(
        r#"conduit c { zones scada, plant owner ops mode monitor waive W107 "baseline until CHG-9"
  flow f { from scada to plant service modbus reason "polling" waive zone-to-zone "every PLC is polled" }
  flow g { from scada to plant service opcua reason "polling" } }"#,
    );
    let c = run(&text);
    // g's W103 is not waived (the waiver is in f).
    assert_eq!(c.diagnostics.codes(), [Code::ZoneToZone]);
    let p = c.policy.unwrap();
    let w: Vec<(&str, &str, &str)> = p
        .waivers
        .iter()
        .map(|w| (w.code.as_str(), w.scope.as_str(), w.reason.as_str()))
        .collect();
    assert_eq!(
        w,
        [
            ("W107", "c", "baseline until CHG-9"),
            ("W103", "c/f", "every PLC is polled")
        ]
    );
    // A conduit-level waiver covers every flow of the conduit.
    let text = with(
        r#"conduit c { zones scada, plant owner ops waive W103 "cell network"
  flow f { from scada to plant service modbus reason "polling" }
  flow g { from scada to plant service opcua reason "polling" } }"#,
    );
    assert_eq!(codes(&text), []);
}

#[test]
fn errors_and_unknown_codes_cannot_be_waived() {
    let text = with(
        r#"conduit c { zones scada, plant owner ops waive E301 "no" waive W000 "no" waive monitor-mod "no" }"#,
    );
    let c = run(&text);
    assert_eq!(
        c.diagnostics.codes(),
        [
            Code::ErrorWaived,
            Code::UnknownWaiverCode,
            Code::UnknownWaiverCode
        ]
    );
    let last = c.diagnostics.iter().last().unwrap();
    assert_eq!(last.help.as_deref(), Some("did you mean `monitor-mode`?"));
}

#[test]
fn purdue_skip_needs_a_level_3_5_end() {
    let flow = |z: &str, from: &str| {
        with(&format!(
            "conduit c {{ zones {z}, plant owner ops flow f {{ from {from} to plant.plc service modbus reason \"polling\" }} }}\nisolation island {{ sever office reason \"office compromised\" }}"
        ))
    };
    assert_eq!(codes(&flow("office", "office.pc")), [Code::PurdueSkip]);
    assert_eq!(codes(&flow("dmz", "dmz.jump")), []);
    assert_eq!(codes(&flow("scada", "scada.master")), []);
}

#[test]
fn remote_access_lint_covers_builtins_markers_and_composition() {
    let flow = |svc: &str, from: &str| {
        let z = from.split('.').next().unwrap();
        with(&format!(
            "service teamviewer = tcp/5938 remote-access\nservice admin = ssh, https\nservice web = https\n\
             conduit c {{ zones {z}, plant owner ops flow f {{ from {from} to plant.plc service {svc} reason \"polling\" waive W111 \"every port\" waive W113 \"every port\" }} }}"
        ))
    };
    for svc in [
        "rdp",
        "vnc",
        "ssh",
        "teamviewer",
        "admin",
        "tcp/3389",
        "tcp/1-65535",
    ] {
        assert_eq!(
            codes(&flow(svc, "scada.master")),
            [Code::RemoteAccess],
            "{svc}"
        );
        assert_eq!(codes(&flow(svc, "dmz.jump")), [], "{svc} from the DMZ");
    }
    assert_eq!(codes(&flow("web", "scada.master")), []);
    let p = run(&flow("web", "scada.master")).policy.unwrap();
    let remote: Vec<(&str, bool)> = p
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.remote_access))
        .collect();
    assert_eq!(
        remote,
        [("teamviewer", true), ("admin", true), ("web", false)]
    );
}

#[test]
fn user_services_replace_builtins_with_a_warning() {
    let text = with(
        "service modbus = tcp/5020\nconduit c { zones scada, plant owner ops flow f { from scada.master to plant.plc service modbus reason \"polling\" } }",
    );
    let c = run(&text);
    assert_eq!(c.diagnostics.codes(), [Code::BuiltinOverridden]);
    let p = c.policy.unwrap();
    assert_eq!(p.conduits[0].flows[0].services.to_string(), "tcp/5020");
}

#[test]
fn services_compose_and_cycles_are_errors() {
    let text = with(
        "service a = b, tcp/1\nservice b = c\nservice c = udp/2, ping\nconduit x { zones scada, plant owner ops flow f { from scada.master to plant.plc service a, tcp/5 reason \"polling\" } }",
    );
    let c = run(&text);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let p = c.policy.unwrap();
    assert_eq!(
        p.services[0].set.to_string(),
        "tcp/1, udp/2, icmp/echo-request"
    );
    assert_eq!(
        p.conduits[0].flows[0].services.to_string(),
        "tcp/1, tcp/5, udp/2, icmp/echo-request"
    );
    assert_eq!(p.conduits[0].flows[0].service_refs, ["a", "tcp/5"]);
    assert_eq!(codes(&with("service a = a")), [Code::ServiceCycle]);
    assert_eq!(
        codes(&with("service a = b\nservice b = c\nservice c = a")),
        [Code::ServiceCycle]
    );
}

#[test]
fn service_specs_are_checked() {
    let svc = |s: &str| codes(&with(&format!("service x = {s}")));
    assert_eq!(svc("tcp/65535"), []);
    assert_eq!(svc("tcp/65536"), [Code::InvalidPort]);
    assert_eq!(svc("udp/0-10"), [Code::InvalidPort]);
    assert_eq!(svc("udp/10-1"), [Code::ReversedPortRange]);
    assert_eq!(svc("icmp/13"), []);
    assert_eq!(svc("icmp/256"), [Code::UnknownIcmpType]);
    assert_eq!(svc("icmpv6/echo-request"), []);
    assert_eq!(svc("icmpv6/redirect"), [Code::UnknownIcmpType]);
    for e in [
        "icmp/3",
        "icmp/redirect",
        "icmp/time-exceeded",
        "icmp/parameter-problem",
        "icmpv6/packet-too-big",
        "icmpv6/1",
    ] {
        assert_eq!(svc(e), [Code::IcmpErrorType], "{e}");
    }
    for n in [1, 6, 17, 58] {
        assert_eq!(svc(&format!("ip/{n}")), [Code::InvalidIpProtocol], "ip/{n}");
    }
    assert_eq!(svc("ip/0"), []);
    assert_eq!(svc("ip/255"), []);
    assert_eq!(svc("ip/256"), [Code::InvalidIpProtocol]);
    assert_eq!(svc("gre/1"), [Code::UnknownProtocol]);
}

#[test]
fn literal_values_are_checked() {
    let z = |attrs: &str| {
        codes(&format!(
            "owner o {{ contact \"c\" }}\nzone z {{ owner o networks 10.0.0.0/24 {attrs} }}"
        ))
    };
    assert_eq!(z("level 3.5"), []);
    assert_eq!(z("level 6"), [Code::InvalidLevel]);
    assert_eq!(z("level 1 sl 0"), [Code::InvalidSecurityLevel]);
    assert_eq!(
        z("level 1 description \"tab\\there\""),
        [Code::InvalidString]
    );
    assert_eq!(
        z("level 1 description \"quote \\\" and backslash \\\\\""),
        []
    );
    assert_eq!(
        z("level 1 description \"line\u{2028}sep\""),
        [Code::InvalidString]
    );
    assert_eq!(z("level 1 host h = 10.0.0.0/30"), [Code::InvalidAddress]);
    assert_eq!(z("level 1 host h = 10.0.0.300"), [Code::InvalidAddress]);
    assert_eq!(z("level 1 group g = 10.0.0.0/33"), [Code::InvalidAddress]);
}

#[test]
fn required_attributes_and_duplicates() {
    let c = run("owner o { }\nzone z { level 1 }");
    assert_eq!(
        c.diagnostics.codes(),
        [
            Code::MissingAttribute,
            Code::MissingAttribute,
            Code::MissingAttribute
        ]
    );
    let msgs: Vec<&str> = c.diagnostics.iter().map(|d| d.message.as_str()).collect();
    // Same span: ordered by code, then message.
    assert_eq!(
        msgs,
        [
            "owner `o` has no `contact`",
            "zone `z` has no `networks`",
            "zone `z` has no `owner`"
        ]
    );
    assert_eq!(
        codes(&with("firewall fw { platform nftables }")),
        [Code::MissingAttribute]
    );
    assert_eq!(
        codes(&with("firewall fw { interface \"eth0\" = scada }")),
        [Code::MissingAttribute]
    );
    assert_eq!(
        codes(&with("approval a { scope all }")),
        [Code::MissingAttribute]
    );
    assert_eq!(
        codes(&with("isolation i { sever office }")),
        [Code::MissingAttribute]
    );
    assert_eq!(
        codes(&with("conduit c { zones scada, plant owner ops flow f { from scada.master from scada.hmi to plant service modbus reason \"polling\" } }")),
        [Code::DuplicateAttribute]
    );
    assert_eq!(
        codes(&with("conduit c { zones scada, plant owner ops flow f { from scada.master to plant.plc service modbus reason \"polling\" log log } }")),
        [Code::DuplicateAttribute]
    );
}

#[test]
fn interface_names_are_checked_for_the_platform() {
    // The firewalls declare no `manage` entry; W117 is not what this is about.
    let fw = |platform: &str, name: &str| {
        let mut c = codes(&with(&format!(
            "firewall fw {{ platform {platform} interface \"{name}\" = scada }}"
        )));
        c.retain(|c| *c != Code::NoManagement);
        c
    };
    assert_eq!(fw("nftables", "eth0.100"), []);
    assert_eq!(
        fw("nftables", "enp0s31f6-vlan10"),
        [Code::InvalidInterfaceName]
    );
    assert_eq!(fw("nftables", "wan:1"), [Code::InvalidInterfaceName]);
    assert_eq!(fw("cisco-ios", "GigabitEthernet0/0/1.100"), []);
    assert_eq!(fw("fortios", "port 1"), [Code::InvalidInterfaceName]);
    assert_eq!(fw("fortios", ""), [Code::InvalidInterfaceName]);
    assert_eq!(fw("fortios", &"a".repeat(65)), [Code::InvalidInterfaceName]);
    assert_eq!(fw("fortios", "x\\\"y"), [Code::InvalidInterfaceName]);
    assert_eq!(
        codes(&with(
            "firewall fw { platform fortios interface \"p1\" = nosuch }"
        )),
        [Code::UnknownName]
    );
}

#[test]
fn firewalls_approvals_and_isolation_reach_the_model() {
    let text = with(
        r#"conduit sp { zones scada, plant owner ops flow f { from scada.master to plant.plc service modbus reason "polling" essential } }
firewall fw { platform cisco-ios interface "Gi0/0" = scada interface "Gi0/1" = plant }
approval a1 { scope level <= 2 requires ops }
approval a2 { scope level > 3.5 requires ops, it }
approval a3 { scope zone scada, dmz requires it }
approval a4 { scope conduit sp requires ops }
approval a5 { scope all requires it }
isolation cut { sever office, dmz reason "office compromised" }"#,
    );
    let c = run(&text);
    assert_eq!(
        c.diagnostics.codes(),
        [Code::NoManagement],
        "{:?}",
        c.diagnostics
    );
    let p = c.policy.unwrap();
    assert_eq!(p.firewalls[0].platform, Platform::CiscoIos);
    assert_eq!(
        p.firewalls[0].interfaces[1].zone,
        p.zone_id("plant").unwrap()
    );
    let scopes: Vec<&Scope> = p.approvals.iter().map(|a| &a.scope).collect();
    assert_eq!(scopes[0], &Scope::Level(LevelOp::Le, Level::L2));
    assert_eq!(scopes[1], &Scope::Level(LevelOp::Gt, Level::L3_5));
    assert_eq!(
        scopes[2],
        &Scope::Zones(vec![Name::new("scada"), Name::new("dmz")])
    );
    assert_eq!(scopes[3], &Scope::Conduits(vec![Name::new("sp")]));
    assert_eq!(scopes[4], &Scope::All);
    assert_eq!(p.approvals[1].requires.len(), 2);
    assert_eq!(
        p.isolations[0].sever,
        [p.zone_id("office").unwrap(), p.zone_id("dmz").unwrap()]
    );
    assert_eq!(p.conduits[0].mode, Mode::Enforce);
    // Unknown names in approvals and isolation modes.
    assert_eq!(
        codes(&with("approval a { scope all requires nobody }")),
        [Code::UnknownName]
    );
    assert_eq!(
        codes(&with("approval a { scope conduit nosuch requires ops }")),
        [Code::UnknownName]
    );
    assert_eq!(
        codes(&with("isolation i { sever nowhere reason \"polling\" }")),
        [Code::UnknownName]
    );
}

#[test]
fn redundancy_respects_expiry_and_logging() {
    let flows = |a: &str, b: &str| {
        codes(&with(&format!(
            "conduit c {{ zones scada, plant owner ops
  flow wide {{ from scada.master to plant.plcs service modbus, opcua reason \"polling\" {a} }}
  flow narrow {{ from scada.master to plant.plc service modbus reason \"polling\" {b} }} }}"
        )))
    };
    assert_eq!(flows("", ""), [Code::RedundantFlow]);
    // The wide flow ends sooner: the narrow one still matters afterwards.
    assert_eq!(flows("expires 2027-06-30", ""), []);
    assert_eq!(
        flows("expires 2027-06-30", "expires 2027-03-31"),
        [Code::RedundantFlow]
    );
    // The narrow flow logs and the wide one does not.
    assert_eq!(flows("", "log"), []);
}

#[test]
fn conduit_security_level_below_a_zone() {
    let text = |csl: u8| {
        format!("owner o {{ contact \"c\" }}\nzone a {{ level 1 owner o sl 3 networks 10.0.0.0/24 }}\nzone b {{ level 2 owner o sl 2 networks 10.0.1.0/24 }}\nconduit c {{ zones a, b owner o sl {csl} }}")
    };
    assert_eq!(codes(&text(2)), [Code::ConduitSlBelowZone]);
    assert_eq!(
        codes(&text(1)),
        [Code::ConduitSlBelowZone, Code::ConduitSlBelowZone]
    );
    assert_eq!(codes(&text(3)), []);
}

#[test]
fn overlapping_zones_are_reported_once_per_pair() {
    let text = "owner o { contact \"c\" }\nzone a { level 1 owner o networks 10.0.0.0/8, 2001:db8::/32 }\nzone b { level 1 owner o networks 10.1.0.0/16, 10.2.0.0/16, 2001:db8:1::/48 }\nzone c { level 1 owner o networks 11.0.0.0/8 }";
    // One report per zone pair and family.
    assert_eq!(
        codes(text),
        [Code::OverlappingNetworks, Code::OverlappingNetworks]
    );
}

#[test]
fn comments_are_kept_for_the_formatter() {
    let text = "# head\nowner o { # trailing\n contact \"#not a comment\" }\n";
    let formatted = conduitc::formatter::format_source(text).unwrap();
    assert!(formatted.starts_with("# head\n"), "{formatted}");
    assert!(formatted.contains("# trailing"), "{formatted}");
    // A `#` inside a string is not a comment: it stays in its string, once.
    assert_eq!(formatted.matches('#').count(), 3, "{formatted}");
    assert!(formatted.contains("\"#not a comment\""), "{formatted}");
}

#[test]
fn files_of_a_directory_are_read_in_bytewise_order_of_their_relative_path() {
    let dir = tempfile::tempdir().unwrap();
    let head = "owner o { contact \"c\" }\n";
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::write(
        dir.path().join("a/z.conduit"),
        "zone third { level 1 owner o networks 10.3.0.0/24 }",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a-b.conduit"),
        "zone second { level 1 owner o networks 10.2.0.0/24 }",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("A.conduit"),
        format!("{head}zone first {{ level 1 owner o networks 10.1.0.0/24 }}"),
    )
    .unwrap();
    let c = conduitc::load_and_check(&[dir.path()], &CheckOptions::new(today())).unwrap();
    let p = c.policy.unwrap();
    let names: Vec<&str> = p.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(names, ["first", "second", "third"]);
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("zone".to_string()),
        Just("conduit".to_string()),
        Just("flow".to_string()),
        Just("owner".to_string()),
        Just("service".to_string()),
        Just("firewall".to_string()),
        Just("approval".to_string()),
        Just("isolation".to_string()),
        Just("level".to_string()),
        Just("networks".to_string()),
        Just("any".to_string()),
        Just("host".to_string()),
        Just("group".to_string()),
        Just("from".to_string()),
        Just("to".to_string()),
        Just("reason".to_string()),
        Just("waive".to_string()),
        Just("scope".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("=".to_string()),
        Just(",".to_string()),
        Just("\"".to_string()),
        Just("\"text\"".to_string()),
        Just("\n".to_string()),
        Just("#".to_string()),
        Just("10.0.0.0/24".to_string()),
        Just("3.5".to_string()),
        Just("tcp/502".to_string()),
        Just("icmp/echo-request".to_string()),
        Just("a.b".to_string()),
        Just("<=".to_string()),
        "[a-z][a-z0-9-]{0,8}",
        "[0-9./:a-f]{1,12}",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(s in any::<String>()) {
        let c = run(&s);
        prop_assert!(!c.diagnostics.contains(Code::Internal));
    }

    #[test]
    fn checking_token_soup_never_panics(tokens in proptest::collection::vec(token(), 0..80)) {
        let text = tokens.join(" ");
        let sources = Sources::from_memory("test.conduit", text.as_str());
        let c = check(&sources, &CheckOptions::new(today()));
        prop_assert!(!c.diagnostics.contains(Code::Internal), "{}", text);
        prop_assert_eq!(c.policy.is_none(), c.diagnostics.has_errors());
        // Every span lies inside the text as loaded (a leading byte-order
        // mark is dropped on load), on character boundaries.
        let text = sources.iter().next().map(|(_, f)| f.text().to_string()).unwrap_or_default();
        for d in &c.diagnostics {
            for l in std::iter::once(&d.primary).chain(&d.secondary) {
                prop_assert!(l.span.end as usize <= text.len());
                prop_assert!(text.is_char_boundary(l.span.start as usize) && text.is_char_boundary(l.span.end as usize));
            }
        }
    }

    #[test]
    fn valid_policies_with_garbage_after_never_panic(tail in proptest::collection::vec(token(), 0..20)) {
        let text = format!("{HEAD}{}", tail.join(" "));
        let c = run(&text);
        prop_assert!(!c.diagnostics.contains(Code::Internal), "{}", text);
    }
}

#[test]
fn an_any_zone_that_owns_nothing_cannot_be_an_endpoint() {
    let text = "owner o { contact \"c\" }
zone all { level 1 owner o networks 0.0.0.0/0, ::/0 host h = 10.0.0.1 }
zone rest { level 5 owner o networks any }
conduit c { zones rest, all owner o flow f { from rest to all.h service https reason \"polling\" } }
isolation island { sever rest reason \"internet compromised\" }";
    let c = run(text);
    assert_eq!(c.diagnostics.codes(), [Code::FlowNeverMatches]);
    assert!(c
        .diagnostics
        .iter()
        .next()
        .unwrap()
        .message
        .ends_with("its sources have no address"));
}

#[test]
fn checking_is_deterministic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/water-utility");
    let render = || {
        let sources = Sources::load(&[&dir]).unwrap();
        let c = check(&sources, &CheckOptions::new(today()));
        conduitc::diag::render::json(&c.diagnostics, &sources, c.policy.as_ref())
    };
    assert_eq!(render(), render());
}

#[test]
fn windows_line_ends_and_a_byte_order_mark_are_fine() {
    let text = format!("\u{feff}{}", with("conduit c { zones scada, plant owner ops # comment\n flow f { from scada.master to plant.plc service modbus reason \"polling\" } }").replace('\n', "\r\n"));
    let c = run(&text);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    // Positions still count lines and characters of what the user sees.
    let bad = "\u{feff}owner o {\r\n  contact \"c\"\r\n}\r\nzone z {\r\n  level 9\r\n}\r\n";
    let sources = Sources::from_memory("t.conduit", bad);
    let c = check(&sources, &CheckOptions::new(today()));
    let d = c.diagnostics.iter().next().unwrap();
    assert_eq!(d.code, Code::InvalidLevel);
    assert_eq!(
        sources.line_col(d.primary.span.file, d.primary.span.start),
        (5, 9)
    );
}
