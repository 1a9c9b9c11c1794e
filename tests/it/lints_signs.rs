//! The warning signs of an OT policy (W111-W116, and W101 for IT paths that
//! skip the DMZ): thresholds at their exact limits, both directions where a
//! sign is symmetric, and waivers.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use conduitc::limits::{
    BROAD_FLOW_PORTS, IOS_ACL_ENTRY_WARNING, MAX_IOS_ACL_ENTRIES, MIN_REASON_CHARS,
};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Checked, Code, Sources};

fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

fn run(text: &str) -> Checked {
    check(
        &Sources::from_memory("test.conduit", text),
        &CheckOptions::new(today()),
    )
}

/// The codes reported, without W117 (the test firewalls declare no
/// `manage` entry; that warning has its own tests).
fn codes(text: &str) -> Vec<Code> {
    let c = run(text);
    assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
    without_w117(&c)
}

/// The codes of `c` without W117 (the test firewalls declare no `manage`
/// entry; that warning has its own tests).
fn without_w117(c: &Checked) -> Vec<Code> {
    let mut codes = c.diagnostics.codes();
    codes.retain(|c| *c != Code::NoManagement);
    codes
}

/// One zone per Purdue level, with a host each, and an isolation mode that
/// severs the enterprise and the internet (so that `W116` stays quiet
/// unless a test is about it).
const HEAD: &str = r#"
owner ops { contact "ops@example.com" }
service teamviewer = tcp/5938 remote-access
zone internet { level 5 owner ops networks 198.51.100.0/24 host vendor = 198.51.100.7 }
zone office { level 4 owner ops networks 10.100.0.0/16 host pc = 10.100.0.7 }
zone dmz { level 3.5 owner ops networks 10.35.0.0/24 host jump = 10.35.0.20 }
zone ops { level 3 owner ops networks 10.30.0.0/24 host dc = 10.30.0.5 }
zone scada { level 2 owner ops networks 10.2.0.0/24 host hmi = 10.2.0.20 }
zone plant { level 1 owner ops networks 10.1.0.0/24 host plc = 10.1.0.5 }
isolation island { sever office, internet reason "Corporate network compromised" }
"#;

/// The zone and host of each level, as used by [`flow`].
fn at(level: &str) -> (&'static str, &'static str) {
    match level {
        "5" => ("internet", "vendor"),
        "4" => ("office", "pc"),
        "3.5" => ("dmz", "jump"),
        "3" => ("ops", "dc"),
        "2" => ("scada", "hmi"),
        "1" => ("plant", "plc"),
        other => panic!("no zone at level {other}"),
    }
}

/// A policy with one flow from the host at level `from` to the host at
/// level `to`, with `service` and the extra flow attributes `extra`.
fn flow(from: &str, to: &str, service: &str, extra: &str) -> String {
    let ((zf, hf), (zt, ht)) = (at(from), at(to));
    format!(
        "{HEAD}conduit c {{ zones {zf}, {zt} owner ops\n  flow f {{ from {zf}.{hf} to {zt}.{ht} service {service} reason \"Line 1 operations (CHG-1)\" {extra} }} }}\n"
    )
}

fn has(text: &str, code: Code) -> bool {
    codes(text).contains(&code)
}

// ---------------------------------------------------------------------------
// W111 broad-service

#[test]
fn broad_service_threshold_is_exact_for_tcp_and_udp() {
    assert_eq!(BROAD_FLOW_PORTS, 256);
    for proto in ["tcp", "udp"] {
        let at_limit = format!("{proto}/1000-1255");
        let over = format!("{proto}/1000-1256");
        assert!(
            !has(&flow("3", "2", &at_limit, ""), Code::BroadService),
            "{at_limit}"
        );
        assert!(
            has(&flow("3", "2", &over, ""), Code::BroadService),
            "{over}"
        );
    }
    // All services of the flow count together: 255 + 1 is at the limit, 255 + 2 over.
    assert!(!has(
        &flow("3", "2", "tcp/2000-2254, tcp/502", ""),
        Code::BroadService
    ));
    assert!(has(
        &flow("3", "2", "tcp/2000-2254, tcp/502, tcp/4840", ""),
        Code::BroadService
    ));
    // 256 TCP ports and 256 UDP ports are two protocols, each at the limit.
    assert!(!has(
        &flow("3", "2", "tcp/1000-1255, udp/1000-1255", ""),
        Code::BroadService
    ));
}

#[test]
fn broad_service_counts_whole_protocols_and_only_into_level_2_or_below() {
    let gre = flow("3", "1", "ip/47", "");
    let c = run(&gre);
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == Code::BroadService)
        .expect("W111 for GRE into level 1");
    assert!(d.message.contains("all of ip/47"), "{}", d.message);
    // The same flows into level 3 or the DMZ draw no W111.
    assert!(!has(
        &flow("2", "3", "ip/47, tcp/1-65535", ""),
        Code::BroadService
    ));
    assert!(!has(
        &flow("3", "3.5", "tcp/1-65535", ""),
        Code::BroadService
    ));
    // ICMP types are not ports.
    assert!(!has(
        &flow("3", "2", "icmp/echo-request, icmp/timestamp-request", ""),
        Code::BroadService
    ));
}

/// The first report of the issue: a jump host given every TCP and UDP port
/// and GRE into the whole level 2 zone, with reason "temp" and no expiry.
#[test]
fn the_jump_host_with_everything_is_no_longer_clean() {
    let text = format!(
        "{HEAD}conduit c {{ zones dmz, scada owner ops\n  flow f {{ from dmz.jump to scada service tcp/1-65535, udp/1-65535, ip/47 reason \"temp\" }} }}\n"
    );
    let c = run(&text);
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == Code::BroadService)
        .expect("W111");
    assert_eq!(
        d.message,
        "flow `c/f` admits 65535 TCP ports, 65535 UDP ports and all of ip/47 into level 2 zone `scada`"
    );
    let got = without_w117(&c);
    assert!(got.contains(&Code::PlaceholderReason), "{got:?}");
    // Every port includes the directory ports, from the DMZ into level 2.
    assert!(got.contains(&Code::DirectoryAcrossBoundary), "{got:?}");
}

// ---------------------------------------------------------------------------
// W112 remote-access-no-expiry

#[test]
fn supplier_remote_access_without_expiry_is_reported() {
    for service in [
        "rdp",
        "ssh",
        "vnc",
        "tcp/3389",
        "teamviewer",
        "https, tcp/1-65535",
    ] {
        for to in ["3.5", "3", "2", "1"] {
            assert!(
                has(&flow("5", to, service, ""), Code::RemoteAccessNoExpiry),
                "{service} from level 5 into level {to}"
            );
            assert!(
                !has(
                    &flow("5", to, service, "expires 2027-06-30"),
                    Code::RemoteAccessNoExpiry
                ),
                "{service} with expires into level {to}"
            );
        }
    }
}

#[test]
fn remote_access_from_the_enterprise_or_into_it_needs_no_expiry() {
    // Employees' sessions from the corporate network to the jump host.
    assert!(!has(
        &flow("4", "3.5", "rdp", ""),
        Code::RemoteAccessNoExpiry
    ));
    // From level 5 into level 4 is not the plant.
    assert!(!has(&flow("5", "4", "rdp", ""), Code::RemoteAccessNoExpiry));
    // From the jump host onward.
    assert!(!has(
        &flow("3.5", "2", "rdp", ""),
        Code::RemoteAccessNoExpiry
    ));
    // No remote-access service.
    assert!(!has(
        &flow("5", "3.5", "https", ""),
        Code::RemoteAccessNoExpiry
    ));
}

/// `text` with the zone `zone` marked `supplier`.
fn supplier(text: &str, zone: &str) -> String {
    let head = format!("zone {zone} {{ level ");
    assert!(text.contains(&head), "no zone {zone}");
    text.replacen(&head, &format!("zone {zone} {{ supplier level "), 1)
}

#[test]
fn a_supplier_zone_at_level_4_needs_expires_on_every_flow_into_the_plant() {
    // The office (level 4) holds an integrator: any flow from it into level
    // 3.5 or below, remote access or not, is reported without `expires`.
    for (to, service) in [
        ("3.5", "https"),
        ("3.5", "rdp"),
        ("3", "tcp/4840"),
        ("1", "modbus"),
    ] {
        let open = supplier(&flow("4", to, service, ""), "office");
        assert!(
            has(&open, Code::RemoteAccessNoExpiry),
            "{service} from supplier zone at level 4 into level {to}"
        );
        let boxed = supplier(&flow("4", to, service, "expires 2027-06-30"), "office");
        assert!(
            !has(&boxed, Code::RemoteAccessNoExpiry),
            "{service} with expires into level {to}"
        );
        // The same flows from the office unmarked are employees' and pass.
        assert!(
            !has(&flow("4", to, service, ""), Code::RemoteAccessNoExpiry),
            "{service} from an ordinary level 4 zone into level {to}"
        );
    }
    let c = run(&supplier(&flow("4", "3.5", "https", ""), "office"));
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == Code::RemoteAccessNoExpiry)
        .unwrap();
    assert_eq!(
        d.message,
        "flow `c/f` gives supplier zone `office` access into level 3.5 zone `dmz` and never expires"
    );
    // The second label points at the mark.
    let text = supplier(&flow("4", "3.5", "https", ""), "office");
    let marks: Vec<&str> = d
        .secondary
        .iter()
        .map(|l| &text[l.span.start as usize..l.span.end as usize])
        .collect();
    assert_eq!(marks, ["supplier"]);
}

#[test]
fn a_supplier_zone_needs_expires_on_remote_access_at_any_level() {
    // Remote access from a supplier zone into level 4 (not the plant) is
    // reported; from an unmarked level 5 zone it is not.
    let rdp = flow("5", "4", "rdp", "");
    assert!(!has(&rdp, Code::RemoteAccessNoExpiry));
    assert!(has(&supplier(&rdp, "internet"), Code::RemoteAccessNoExpiry));
    let c = run(&supplier(&rdp, "internet"));
    assert_eq!(
        c.diagnostics.iter().next().unwrap().message,
        "flow `c/f` gives remote access from supplier zone `internet` into level 4 zone `office` and never expires"
    );
    assert!(!has(
        &supplier(&flow("5", "4", "rdp", "expires 2027-06-30"), "internet"),
        Code::RemoteAccessNoExpiry
    ));
    // Other services into level 4 are not the plant.
    assert!(!has(
        &supplier(&flow("5", "4", "https", ""), "internet"),
        Code::RemoteAccessNoExpiry
    ));
    // Only flows from the supplier zone: into it is not its access.
    assert!(!has(
        &supplier(&flow("3.5", "2", "https", ""), "scada"),
        Code::RemoteAccessNoExpiry
    ));
}

#[test]
fn supplier_is_given_once_and_recorded_in_the_model() {
    let text = supplier(&flow("4", "3.5", "https", "expires 2027-06-30"), "office");
    let c = run(&text);
    let p = c.policy.expect("a policy");
    let marked: Vec<&str> = p
        .zones
        .iter()
        .filter(|z| z.supplier)
        .map(|z| z.name.as_str())
        .collect();
    assert_eq!(marked, ["office"]);
    let twice = text.replacen("{ supplier level", "{ supplier supplier level", 1);
    assert_eq!(without_w117(&run(&twice)), [Code::DuplicateAttribute]);
}

// ---------------------------------------------------------------------------
// W113 directory-across-boundary

#[test]
fn directory_services_across_it_and_ot_are_reported_in_both_directions() {
    let pairs = [
        ("4", "3"),
        ("4", "1"),
        ("5", "2"),
        ("3.5", "2"),
        ("3.5", "1"),
    ];
    for service in [
        "kerberos",
        "ldap",
        "ldaps",
        "smb",
        "tcp/135",
        "udp/137",
        "tcp/3268",
        "tcp/1-65535",
    ] {
        for (a, b) in pairs {
            assert!(
                has(&flow(a, b, service, ""), Code::DirectoryAcrossBoundary),
                "{service} from level {a} to level {b}"
            );
            assert!(
                has(&flow(b, a, service, ""), Code::DirectoryAcrossBoundary),
                "{service} from level {b} to level {a}"
            );
        }
    }
}

#[test]
fn directory_services_on_one_side_of_the_boundary_are_not_reported() {
    for (a, b) in [
        ("3", "2"),
        ("3", "3.5"),
        ("4", "3.5"),
        ("5", "4"),
        ("2", "1"),
    ] {
        assert!(
            !has(
                &flow(a, b, "kerberos, ldap, smb", ""),
                Code::DirectoryAcrossBoundary
            ),
            "{a} to {b}"
        );
        assert!(
            !has(
                &flow(b, a, "kerberos, ldap, smb", ""),
                Code::DirectoryAcrossBoundary
            ),
            "{b} to {a}"
        );
    }
    // Across the boundary, other services are not directory services.
    assert!(!has(
        &flow("4", "3", "https, tcp/1000-2000", ""),
        Code::DirectoryAcrossBoundary
    ));
}

#[test]
fn directory_message_names_the_ports_it_found() {
    let c = run(&flow("2", "3.5", "kerberos, ldap, smb, https", ""));
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == Code::DirectoryAcrossBoundary)
        .expect("W113");
    assert_eq!(
        d.message,
        "flow `c/f` carries directory services (tcp/88, tcp/389, tcp/445, udp/88) from level 2 zone `scada` to level 3.5 zone `dmz`"
    );
}

// ---------------------------------------------------------------------------
// W101 for IT patching and historian paths

/// IT pushing patches to, or pulling history from, level 2 or below without
/// a DMZ host is a Purdue skip: `W101` reports it, in both directions, and
/// no other code does.
#[test]
fn it_patching_and_historian_paths_that_skip_the_dmz_are_w101() {
    for (a, b) in [("4", "2"), ("2", "4"), ("5", "1"), ("4", "1")] {
        let got = codes(&flow(a, b, "tcp/8530, tcp/5450", ""));
        assert_eq!(got, [Code::PurdueSkip], "{a} to {b}");
    }
    // Through the DMZ, neither leg is reported.
    assert!(codes(&flow("4", "3.5", "tcp/8530", "")).is_empty());
    assert!(codes(&flow("3.5", "2", "tcp/8530", "")).is_empty());
}

// ---------------------------------------------------------------------------
// W114 placeholder-reason

fn reason(r: &str) -> String {
    format!(
        "{HEAD}conduit c {{ zones scada, plant owner ops\n  flow f {{ from scada.hmi to plant.plc service modbus reason \"{r}\" }} }}\n"
    )
}

#[test]
fn placeholder_reasons_are_reported() {
    for r in [
        "temp",
        "TBD",
        "tbd.",
        "  Todo! ",
        "Temporary",
        "n/a",
        "placeholder",
        "Change me",
        "testing",
    ] {
        assert!(has(&reason(r), Code::PlaceholderReason), "{r:?}");
    }
    // A real reason that merely starts with one of those words is fine.
    assert!(!has(
        &reason("Temporary commissioning access for line 3 (CHG-17)"),
        Code::PlaceholderReason
    ));
}

#[test]
fn reasons_shorter_than_the_minimum_are_reported_at_the_exact_length() {
    assert_eq!(MIN_REASON_CHARS, 6);
    assert!(has(&reason("abcde"), Code::PlaceholderReason));
    assert!(has(&reason("   abcde   "), Code::PlaceholderReason));
    assert!(!has(&reason("island"), Code::PlaceholderReason));
    // Characters, not bytes.
    assert!(has(&reason("ééééé"), Code::PlaceholderReason));
    assert!(!has(&reason("éééééé"), Code::PlaceholderReason));
}

// ---------------------------------------------------------------------------
// W116 no-isolation

fn without_island(text: &str) -> String {
    text.replace(
        "isolation island { sever office, internet reason \"Corporate network compromised\" }",
        "",
    )
}

#[test]
fn conduits_to_it_need_an_isolation_mode() {
    for it in ["4", "5"] {
        for plant in ["3.5", "3", "1"] {
            let text = flow(
                it,
                plant,
                "https",
                "waive W101 \"reviewed\" waive W113 \"reviewed\"",
            );
            assert!(!has(&text, Code::NoIsolation), "{it} - {plant} severed");
            assert!(
                has(&without_island(&text), Code::NoIsolation),
                "{it} - {plant}"
            );
        }
    }
    // Severing the plant side of the conduit counts too.
    let dmz_severed = without_island(&flow("4", "3.5", "https", ""))
        + "isolation cut-dmz { sever dmz reason \"DMZ compromised\" }\n";
    assert!(!has(&dmz_severed, Code::NoIsolation));
    // Conduits inside the plant, or between IT zones, need none.
    assert!(!has(
        &without_island(&flow("3.5", "2", "https", "")),
        Code::NoIsolation
    ));
    assert!(!has(
        &without_island(&flow("5", "4", "https", "")),
        Code::NoIsolation
    ));
}

// ---------------------------------------------------------------------------
// W115 ios-acl-over-budget

/// A `cisco-ios` (or `platform`) firewall between `scada` and `plant`, with
/// one flow from one host to `plcs` scattered PLCs on `ports` scattered
/// ports: the scada zone's list holds `plcs * ports + 2` entries.
fn ios(plcs: usize, ports: usize, platform: &str, waive: &str) -> String {
    let mut group = String::new();
    for i in 0..plcs {
        let n = 2 * i + 1;
        let _ = write!(
            group,
            "{}10.1.{}.{}",
            if i > 0 { ", " } else { "" },
            n / 256,
            n % 256
        );
    }
    let mut service = String::new();
    for i in 0..ports {
        let _ = write!(
            service,
            "{}tcp/{}",
            if i > 0 { ", " } else { "" },
            2 * i + 1
        );
    }
    let (i0, i1) = if platform == "cisco-ios" {
        ("Gi0/0", "Gi0/1")
    } else {
        ("eth0", "eth1")
    };
    format!(
        r#"owner ops {{ contact "ops@example.com" }}
zone scada {{ level 2 owner ops networks 10.2.0.0/24 host hmi = 10.2.0.20 }}
zone plant {{ level 1 owner ops networks 10.1.0.0/16 group plcs = {group} }}
conduit c {{ zones scada, plant owner ops {waive}
  flow f {{ from scada.hmi to plant.plcs service {service} reason "Line 1 operations (CHG-1)" }} }}
firewall fw {{ platform {platform} interface "{i0}" = scada interface "{i1}" = plant }}
"#
    )
}

#[test]
fn ios_budget_warning_is_exact_and_gives_way_to_e606() {
    assert_eq!((IOS_ACL_ENTRY_WARNING, MAX_IOS_ACL_ENTRIES), (4000, 4096));
    // 3,998 PLCs x 1 port + 2 = 4,000 entries: at the budget.
    assert!(codes(&ios(3998, 1, "cisco-ios", "")).is_empty());
    // 3 x 1333 + 2 = 4,001: over it.
    let c = run(&ios(
        3,
        1333,
        "cisco-ios",
        "waive W111 \"documented range\"",
    ));
    assert_eq!(without_w117(&c), [Code::IosAclOverBudget]);
    let d = c.diagnostics.iter().next().unwrap();
    assert_eq!(
        d.message,
        "firewall `fw` (cisco-ios): access list conduit-scada-in would hold 4001 entries, over the warning budget of 4000 per list (the limit is 4096)"
    );
    // 4,094 x 1 + 2 = 4,096 entries: the last count that only warns.
    assert_eq!(
        codes(&ios(4094, 1, "cisco-ios", "")),
        [Code::IosAclOverBudget]
    );
    // One more entry is the error, alone.
    let over = run(&ios(4095, 1, "cisco-ios", ""));
    assert_eq!(without_w117(&over), [Code::IosAclTooLarge]);
    assert!(over.policy.is_none());
    // Other platforms have no list budget.
    assert!(codes(&ios(3999, 1, "nftables", "")).is_empty());
}

/// `text` with the firewall's `acl-budget` set to `n` (as written).
fn budget(text: &str, n: &str) -> String {
    text.replacen(
        "firewall fw { platform cisco-ios",
        &format!("firewall fw {{ platform cisco-ios acl-budget {n}"),
        1,
    )
}

#[test]
fn acl_budget_moves_the_warning_exactly() {
    // 1,998 PLCs x 1 port + 2 = 2,000 entries: at a budget of 2,000.
    assert!(codes(&budget(&ios(1998, 1, "cisco-ios", ""), "2000")).is_empty());
    // 2,001 entries: over it.
    let text = budget(&ios(1999, 1, "cisco-ios", ""), "2000");
    let c = run(&text);
    assert_eq!(without_w117(&c), [Code::IosAclOverBudget]);
    let d = c.diagnostics.iter().next().unwrap();
    assert_eq!(
        d.message,
        "firewall `fw` (cisco-ios): access list conduit-scada-in would hold 2001 entries, over the warning budget of 2000 per list (the limit is 4096)"
    );
    let at: Vec<&str> = d
        .secondary
        .iter()
        .map(|l| &text[l.span.start as usize..l.span.end as usize])
        .collect();
    assert!(at.contains(&"acl-budget 2000"), "{at:?}");
    // The same list under the default budget is clean.
    assert!(codes(&ios(1999, 1, "cisco-ios", "")).is_empty());
    // A budget above the default warns later: 4,001 entries pass under 4,050.
    assert!(codes(&budget(&ios(3999, 1, "cisco-ios", ""), "4050")).is_empty());
    assert_eq!(
        codes(&budget(&ios(4049, 1, "cisco-ios", ""), "4050")),
        [Code::IosAclOverBudget]
    );
    // At 4,096 the warning is off: the last count that builds is clean, and
    // one more is still the error.
    assert!(codes(&budget(&ios(4094, 1, "cisco-ios", ""), "4096")).is_empty());
    let over = run(&budget(&ios(4095, 1, "cisco-ios", ""), "4096"));
    assert_eq!(without_w117(&over), [Code::IosAclTooLarge]);
    // Recorded in the model; the default is `None`.
    let p = run(&budget(&ios(1, 1, "cisco-ios", ""), "2000"))
        .policy
        .expect("a policy");
    assert_eq!(p.firewalls[0].acl_budget, Some(2000));
    let p = run(&ios(1, 1, "cisco-ios", "")).policy.expect("a policy");
    assert_eq!(p.firewalls[0].acl_budget, None);
}

#[test]
fn acl_budget_out_of_range_or_off_cisco_ios_is_an_error_at_the_value() {
    for n in ["0", "4097", "65536", "99999999999999999999999999"] {
        let text = budget(&ios(1, 1, "cisco-ios", ""), n);
        let c = run(&text);
        assert_eq!(without_w117(&c), [Code::InvalidAclBudget], "{n}");
        assert!(c.policy.is_none(), "{n}");
        let d = c
            .diagnostics
            .iter()
            .find(|d| d.code == Code::InvalidAclBudget)
            .unwrap();
        assert_eq!(
            &text[d.primary.span.start as usize..d.primary.span.end as usize],
            n
        );
    }
    let d = run(&budget(&ios(1, 1, "cisco-ios", ""), "4097"));
    assert_eq!(
        d.diagnostics
            .iter()
            .find(|x| x.code == Code::InvalidAclBudget)
            .unwrap()
            .message,
        "`4097` is not an access list budget: firewall `fw` takes 1 to 4096 entries"
    );
    // The bounds themselves are accepted.
    for n in ["1", "4096"] {
        let c = run(&budget(&ios(1, 1, "cisco-ios", ""), n));
        assert!(!c.diagnostics.has_errors(), "{n}: {:?}", c.diagnostics);
    }
    // Other platforms have no lists to budget.
    for platform in ["nftables", "fortios"] {
        let text = ios(1, 1, platform, "").replacen(
            &format!("platform {platform}"),
            &format!("platform {platform} acl-budget 2000"),
            1,
        );
        let c = run(&text);
        assert_eq!(without_w117(&c), [Code::InvalidAclBudget], "{platform}");
        let d = c
            .diagnostics
            .iter()
            .find(|d| d.code == Code::InvalidAclBudget)
            .unwrap();
        assert_eq!(
            &text[d.primary.span.start as usize..d.primary.span.end as usize],
            "acl-budget 2000"
        );
        assert_eq!(
            d.message,
            format!("firewall `fw` is {platform}, which has no access list budget")
        );
    }
    // Given twice.
    let twice = budget(&budget(&ios(1, 1, "cisco-ios", ""), "2000"), "3000");
    assert_eq!(without_w117(&run(&twice)), [Code::DuplicateAttribute]);
}

// ---------------------------------------------------------------------------
// Waivers

#[test]
fn every_new_sign_can_be_waived_by_code_or_name() {
    let cases: [(Code, String); 8] = [
        (Code::BroadService, flow("3", "2", "tcp/1-1000", "WAIVE")),
        (Code::RemoteAccessNoExpiry, flow("5", "3.5", "rdp", "WAIVE")),
        (
            Code::RemoteAccessNoExpiry,
            supplier(&flow("4", "3", "https", "WAIVE"), "office"),
        ),
        (
            Code::DirectoryAcrossBoundary,
            flow("3.5", "2", "ldap", "WAIVE"),
        ),
        (
            Code::PlaceholderReason,
            reason("tbd").replace("\"tbd\"", "\"tbd\" WAIVE"),
        ),
        (Code::IosAclOverBudget, ios(3999, 1, "cisco-ios", "WAIVE")),
        (
            Code::IosAclOverBudget,
            budget(&ios(999, 1, "cisco-ios", "WAIVE"), "1000"),
        ),
        (
            Code::NoIsolation,
            without_island(&flow("4", "3.5", "https", ""))
                .replace("owner ops\n", "owner ops WAIVE\n"),
        ),
    ];
    for (code, text) in cases {
        assert!(
            text.contains("WAIVE"),
            "{code}: the test text has a place for the waiver"
        );
        assert!(
            has(&text.replace("WAIVE", ""), code),
            "{code} without a waiver"
        );
        for name in [code.as_str(), code.slug()] {
            let waived = text.replace(
                "WAIVE",
                &format!("waive {name} \"the device holds it (RISK-9)\""),
            );
            let c = run(&waived);
            assert!(
                !c.diagnostics.contains(code),
                "{code} waived as {name}: {:?}",
                c.diagnostics
            );
            let p = c.policy.expect("a policy");
            assert!(
                p.waivers.iter().any(|w| w.code == code.as_str()),
                "{code}: the waiver is recorded"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Documentation

#[test]
fn limits_md_lists_the_warning_thresholds() {
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/limits.md")).unwrap();
    for (name, value, code) in [
        ("BROAD_FLOW_PORTS", BROAD_FLOW_PORTS.to_string(), "W111"),
        ("MIN_REASON_CHARS", MIN_REASON_CHARS.to_string(), "W114"),
        ("IOS_ACL_ENTRY_WARNING", "4,000".to_string(), "W115"),
    ] {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("docs/limits.md has no row for {name}"));
        assert!(row.contains(&format!("| {value} |")), "{row}");
        assert!(row.contains(code), "{row}");
    }
}
