//! What a platform can express is decided at `check`, for each firewall of
//! that platform, and `build` agrees: a policy that checks clean for a
//! firewall builds for it, and one that does not is an error with a code
//! and a span, never a build failure without one or a line the device
//! rejects.
//!
//! - `ip/N`: IOS cannot express `ip/0`, FortiOS neither `ip/0` nor
//!   `ip/255` (`E605`); a generic build for those targets refuses them with
//!   the same code.
//! - FortiOS interface names: at most 15 characters at check (`E601`) and
//!   at build.
//! - IOS interface names: abbreviations name the same interface (`E604`).

use std::process::Command;

use conduitc::backend::{emit, Target};
use conduitc::lower::{lower, BuildOptions};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Checked, Code, Sources};

fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

fn check_text(text: &str) -> (Sources, Checked) {
    let sources = Sources::from_memory("p.conduit", text);
    let checked = check(&sources, &CheckOptions::new(today()));
    (sources, checked)
}

/// Two zones, one flow with `service`, and a firewall of `platform` with
/// interfaces `i0` and `i1` (no firewall when `platform` is empty).
fn policy(service: &str, platform: &str, i0: &str, i1: &str) -> String {
    let mut s = format!(
        "owner o {{ contact \"o@example.com\" }}\n\
         zone a {{ level 2 owner o networks 10.1.0.0/24 host h = 10.1.0.5 }}\n\
         zone b {{ level 1 owner o networks 10.2.0.0/24 host h = 10.2.0.5 }}\n\
         conduit ab {{ zones a, b owner o\n  flow f {{ from a.h to b.h service {service} reason \"polling\" waive W111 \"raw protocol\" }} }}\n"
    );
    if !platform.is_empty() {
        s.push_str(&format!(
            "firewall fw {{\n  platform {platform}\n  interface \"{i0}\" = a\n  interface \"{i1}\" = b\n}}\n"
        ));
    }
    s
}

fn target(platform: &str) -> Target {
    match platform {
        "nftables" => Target::Nftables,
        "cisco-ios" => Target::CiscoIos,
        _ => Target::Fortios,
    }
}

fn interfaces(platform: &str) -> (&'static str, &'static str) {
    match platform {
        "nftables" => ("eth0", "eth1"),
        "cisco-ios" => ("Gi0/0", "Gi0/1"),
        _ => ("port1", "port2"),
    }
}

/// For every protocol number and platform: check is clean exactly when the
/// firewall's build succeeds, and the ones refused are those language.md
/// lists.
#[test]
fn check_and_build_agree_on_every_protocol_number() {
    for platform in ["nftables", "cisco-ios", "fortios"] {
        let (i0, i1) = interfaces(platform);
        let mut refused = Vec::new();
        for n in (0..=255u16).filter(|n| ![1, 6, 17, 58].contains(n)) {
            let (sources, checked) = check_text(&policy(&format!("ip/{n}"), platform, i0, i1));
            let generic = {
                let (_, c) = check_text(&policy(&format!("ip/{n}"), "", "", ""));
                let rules = lower(&c.policy.unwrap(), &BuildOptions::new(today())).unwrap();
                emit(&rules, target(platform))
            };
            match checked.policy {
                Some(p) => {
                    let opts = BuildOptions::new(today()).firewall("fw");
                    let text = emit(&lower(&p, &opts).unwrap(), target(platform))
                        .unwrap_or_else(|e| panic!("{platform} ip/{n} checks but fails: {e}"));
                    assert!(text.contains("ab/f"));
                    assert!(generic.is_ok(), "{platform} ip/{n}: {generic:?}");
                }
                None => {
                    // W117: the test firewall declares no `manage` entry.
                    assert_eq!(
                        checked.diagnostics.codes(),
                        [Code::ProtocolNotExpressible, Code::NoManagement]
                    );
                    let d = checked.diagnostics.iter().next().unwrap();
                    let file = sources.get(d.primary.span.file).unwrap();
                    let at =
                        &file.text()[d.primary.span.start as usize..d.primary.span.end as usize];
                    assert_eq!(at, format!("ip/{n}"));
                    let e = generic.unwrap_err();
                    assert_eq!(e.code(), Code::ProtocolNotExpressible, "{e}");
                    refused.push(n);
                }
            }
        }
        let want: &[u16] = match platform {
            "nftables" => &[],
            "cisco-ios" => &[0],
            _ => &[0, 255],
        };
        assert_eq!(refused, want, "{platform}");
    }
}

/// A flow the firewall does not compile (its conduit does not cross it) is
/// not judged by the firewall's platform.
#[test]
fn only_flows_the_firewall_compiles_are_judged() {
    let text =
        policy("ip/0", "cisco-ios", "Gi0/0", "Gi0/1").replace("  interface \"Gi0/1\" = b\n", "");
    let (_, checked) = check_text(&text);
    assert!(
        checked.policy.is_some(),
        "{:?}",
        checked.diagnostics.codes()
    );
}

#[test]
fn fortios_interface_names_check_and_build_agree() {
    for len in 1..=40 {
        let name = format!("p{}", "1".repeat(len - 1));
        let (_, checked) = check_text(&policy("modbus", "fortios", &name, "port2"));
        let built = checked.policy.as_ref().map(|p| {
            let opts = BuildOptions::new(today()).firewall("fw");
            emit(&lower(p, &opts).unwrap(), Target::Fortios)
        });
        match built {
            Some(r) => {
                assert!(len <= 15, "{len} characters checked clean");
                r.unwrap_or_else(|e| panic!("{name} checks clean but fails to build: {e}"));
            }
            None => {
                assert!(len > 15, "{len}: {:?}", checked.diagnostics.codes());
                assert_eq!(checked.diagnostics.codes(), [Code::InvalidInterfaceName]);
                let msg = &checked.diagnostics.iter().next().unwrap().message;
                assert!(
                    msg.contains("FortiOS interface names have at most 15"),
                    "{msg}"
                );
            }
        }
    }
}

#[test]
fn ios_abbreviations_name_one_interface() {
    for (first, second) in [
        ("Gi0/1", "GigabitEthernet0/1"),
        ("gi 0/1", "GigabitEthernet0/1"),
        ("Fa0/1", "fastethernet 0/1"),
        ("Te1/0/1", "TenGig1/0/1"),
        ("Po1", "Port-channel1"),
        ("Vl10", "VLAN10"),
    ] {
        let (sources, checked) = check_text(&policy("modbus", "cisco-ios", first, second));
        assert_eq!(
            checked.diagnostics.codes(),
            [Code::DuplicateInterfaceName],
            "{first} {second}"
        );
        let d = checked.diagnostics.iter().next().unwrap();
        assert!(
            d.message.contains(&format!("(as `{first}`)")),
            "{}",
            d.message
        );
        let file = sources.get(d.primary.span.file).unwrap();
        let at = &file.text()[d.primary.span.start as usize..d.primary.span.end as usize];
        assert_eq!(at, format!("\"{second}\""));
    }
    // Different interfaces, and other platforms compare names as written.
    for (platform, a, b) in [
        ("cisco-ios", "Gi0/1", "Gi0/2"),
        ("cisco-ios", "Gi0/1", "Fa0/1"),
        ("nftables", "eth0", "ETH0"),
    ] {
        let (_, checked) = check_text(&policy("modbus", platform, a, b));
        assert!(checked.policy.is_some(), "{platform} {a} {b}");
    }
}

/// `GigabitEthernet 0/1` (a space between type and number) checks and
/// reaches the IOS output as written.
#[test]
fn an_ios_name_with_a_space_builds() {
    let (_, checked) = check_text(&policy(
        "modbus",
        "cisco-ios",
        "GigabitEthernet 0/0",
        "Gi0/1",
    ));
    let p = checked.policy.unwrap();
    let opts = BuildOptions::new(today()).firewall("fw");
    let text = emit(&lower(&p, &opts).unwrap(), Target::CiscoIos).unwrap();
    assert!(text.contains("\ninterface GigabitEthernet 0/0\n ip access-group conduit-a-in-"));
}

/// A generic `--target` build of `ip/0` for IOS names the code; the
/// policy itself checks clean (no IOS firewall is declared).
#[test]
fn a_generic_build_names_the_code() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.conduit");
    std::fs::write(&path, policy("ip/0, modbus", "", "", "")).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
            .args(args)
            .arg(&path)
            .args(["--today", "2026-12-01"])
            .output()
            .unwrap();
        (
            out.status.code(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = run(&["check"]);
    assert_eq!(code, Some(0), "{err}");
    for (t, why) in [
        ("cisco-ios", "IOS reads protocol 0 as every protocol"),
        (
            "fortios",
            "FortiOS reads protocol number 0 as every protocol",
        ),
    ] {
        let (code, out, err) = run(&["build", "--target", t]);
        assert_eq!(code, Some(1), "{err}");
        assert!(out.is_empty());
        assert!(
            err.contains(&format!(
                "error[E605]: {t} cannot express ip/0 in `ab/f` ({why})"
            )),
            "{err}"
        );
    }
    let (code, out, err) = run(&["build", "--target", "nftables"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(String::from_utf8_lossy(&out).contains("meta l4proto 0"));
}

/// `check` counts a `cisco-ios` firewall's lists as the backend writes them:
/// near the budget, check is clean exactly when the firewall's build
/// succeeds, for flows with ports, ICMP echo (and its replies), protocols,
/// IPv6, and monitor catch-alls from a `networks any` zone.
#[test]
fn check_and_build_agree_on_the_ios_budget() {
    let shape = |na: usize, nb: usize, ports: usize, extra: &str, monitor: bool| {
        let hosts = |net: u8, n: usize| -> String {
            (0..n)
                .map(|i| format!("10.{net}.{}.{}", i / 100, 1 + 2 * (i % 100)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let svc: Vec<String> = (0..ports).map(|i| format!("tcp/{}", 2 + 2 * i)).collect();
        let svc = format!("{}{extra}", svc.join(", "));
        format!(
            "owner o {{ contact \"o@example.com\" }}\n\
             zone a {{ level 2 owner o networks 10.1.0.0/16, 2001:db8:1::/48\n  host h = 10.1.200.1\n  group g = {}, 2001:db8:1::5 }}\n\
             zone b {{ level 1 owner o networks 10.2.0.0/16, 2001:db8:2::/48\n  group g = {}, 2001:db8:2::5 }}\n\
             zone w {{ level 5 owner o networks any }}\n\
             conduit ab {{ zones a, b owner o{}\n  flow f {{ from a.g to b.g service {svc} reason \"polling\" waive W103 \"t\" }} }}\n\
             conduit wa {{ zones w, a owner o{}\n  flow f {{ from w to a.h service https reason \"polling\" waive W103 \"t\" waive W101 \"t\" }} }}\n\
             firewall fw {{\n  platform cisco-ios\n  interface \"Gi0/0\" = a\n  interface \"Gi0/1\" = b\n  interface \"Gi0/2\" = w\n}}\n",
            hosts(1, na),
            hosts(2, nb),
            if monitor { " mode monitor waive W107 \"t\"" } else { "" },
            if monitor { " mode monitor waive W107 \"t\"" } else { "" },
        )
    };
    let opts = BuildOptions::new(today()).firewall("fw");
    let mut both = [0, 0];
    for (na, nb, ports, extra, monitor) in [
        (60, 60, 1, ", icmp/echo-request", false),
        (60, 60, 1, "", false),
        (61, 66, 1, "", false),
        (64, 64, 1, "", false),
        (30, 45, 3, ", ip/47", false),
        (45, 45, 2, ", icmp/echo-request", true),
        (20, 20, 10, ", icmpv6/echo-request", true),
        (1, 1, 4090, "", false),
        (1, 1, 4093, "", true),
        (1, 1, 4094, "", false),
        (1, 1, 4095, "", false),
    ] {
        let text = shape(na, nb, ports, extra, monitor);
        let (_, checked) = check_text(&text);
        let codes: Vec<Code> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code)
            .collect();
        assert!(
            codes.iter().all(|c| *c == Code::IosAclTooLarge),
            "{na} {nb} {ports} {extra}: {codes:?}"
        );
        let clean = checked.policy.is_some();
        // Build the same policy regardless of the check's verdict.
        let (_, unchecked) = check_text(
            &text
                .replace("platform cisco-ios", "platform nftables")
                .replace("Gi0/", "eth"),
        );
        let p = unchecked
            .policy
            .unwrap_or_else(|| panic!("{:?}", unchecked.diagnostics.codes()));
        let built = emit(&lower(&p, &opts).unwrap(), Target::CiscoIos);
        assert_eq!(
            clean,
            built.is_ok(),
            "{na} x {nb} x {ports}{extra} monitor {monitor}: check {codes:?}, build {:?}",
            built.err()
        );
        both[usize::from(clean)] += 1;
    }
    assert!(both[0] > 0 && both[1] > 0, "{both:?}");
}
