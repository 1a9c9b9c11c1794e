//! The backend registry and the platform table are wired everywhere: the
//! grammar names no platform, every target's name parses back, every
//! platform has a backend, and every platform limit in the table is
//! enforced by `check` and by `build` alike (one character over each limit
//! is refused by both, with the same sentence or code; at the limit both
//! accept).

use std::process::Command;

use conduitc::backend::{self, backends, emit, Target};
use conduitc::lower::{lower, BuildOptions, RuleSet};
use conduitc::model::{Date, Platform, Text};
use conduitc::platform::{self, PLATFORMS};
use conduitc::{check, CheckOptions, Checked, Code, Sources};

fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

fn check_text(text: &str) -> Checked {
    check(
        &Sources::from_memory("p.conduit", text),
        &CheckOptions::new(today()),
    )
}

/// Two zones, one flow with `service`, and a firewall `fw` of `platform`
/// with interfaces `i0` and `i1` (no firewall when `platform` is empty).
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

fn for_fw() -> BuildOptions {
    BuildOptions::new(today()).firewall("fw")
}

/// The rule set of `fw` on `platform` with interfaces `p1` and `p2`, then
/// `p1` renamed `name` everywhere a backend reads it, as a rule set built
/// by other means than `check` could hold.
fn rules_with_interface(platform: Platform, name: &str) -> RuleSet {
    let checked = check_text(&policy("modbus", platform.as_str(), "p1", "p2"));
    let p = checked
        .policy
        .unwrap_or_else(|| panic!("{platform:?}: {:?}", checked.diagnostics.codes()));
    let mut rules = lower(&p, &for_fw()).unwrap();
    let rename = |s: &mut Text| {
        if *s == "p1" {
            *s = name.into();
        }
    };
    if let Some(fw) = &mut rules.firewall {
        for (i, _) in &mut fw.interfaces {
            rename(i);
        }
    }
    for z in &mut rules.zones {
        z.iface.iter_mut().for_each(rename);
    }
    for r in &mut rules.rules {
        r.in_iface.iter_mut().for_each(rename);
        r.out_iface.iter_mut().for_each(rename);
    }
    rules
}

#[test]
fn the_grammar_names_no_platform_or_target() {
    let grammar =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/conduit.pest"))
            .unwrap();
    let words = PLATFORMS
        .iter()
        .map(|s| s.name)
        .chain(Target::ALL.iter().map(|t| t.as_str()));
    for word in words {
        assert!(
            !grammar.contains(&format!("\"{word}\"")),
            "the grammar lists `{word}`; platform names belong in src/model/platform.rs"
        );
    }
}

#[test]
fn every_target_name_parses_back() {
    let mut names: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
    for t in Target::ALL {
        assert_eq!(t.as_str().parse::<Target>(), Ok(t));
        assert_eq!(backend::backend(t).target(), t);
        assert_eq!(t.to_string(), t.as_str());
    }
    assert_eq!(backends().count(), Target::ALL.len());
    let err = "fortigate".parse::<Target>().unwrap_err().to_string();
    for name in &names {
        assert!(err.contains(name), "{err}");
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Target::ALL.len(), "two targets share a name");
}

/// Every platform in the table is read by the parser, has a backend that
/// builds it, and each backend serves a platform of the table.
#[test]
fn every_platform_is_wired() {
    assert_eq!(PLATFORMS.len(), Platform::ALL.len());
    for (spec, p) in PLATFORMS.iter().zip(Platform::ALL) {
        assert_eq!(spec.platform, p);
        assert_eq!(platform::spec(p), *spec);
        assert_eq!(Platform::from_name(spec.name), Some(p));
        assert_eq!(p.as_str(), spec.name);
        let target = Target::for_platform(p);
        assert_eq!(backend::backend(target).platform(), p);
        // A policy naming the platform checks and builds for it.
        let checked = check_text(&policy("modbus", spec.name, "p1", "p2"));
        let policy = checked
            .policy
            .unwrap_or_else(|| panic!("{}: {:?}", spec.name, checked.diagnostics.codes()));
        assert_eq!(policy.firewalls[0].platform, p);
        for t in Target::serving(p) {
            let text = emit(&lower(&policy, &for_fw()).unwrap(), t).unwrap();
            assert!(text.contains("ab/f"), "{t}");
        }
        // The platform code's explanation names every platform.
        assert!(
            Code::UnknownPlatform
                .explain()
                .contains(&format!("`{}`", spec.name)),
            "E115's explanation does not name {}",
            spec.name
        );
    }
    for b in backends() {
        assert!(Platform::ALL.contains(&b.platform()), "{}", b.name());
    }
}

#[test]
fn an_unknown_platform_is_e115_with_a_suggestion() {
    let checked = check_text(&policy("modbus", "cisco_ios", "Gi0/0", "Gi0/1"));
    assert_eq!(checked.diagnostics.codes(), [Code::UnknownPlatform]);
    let d = checked.diagnostics.iter().next().unwrap();
    assert_eq!(d.message, "`cisco_ios` is not a platform");
    let help = d.help.as_deref().unwrap_or_default();
    assert!(help.starts_with("did you mean `cisco-ios`?"), "{help}");
    for spec in PLATFORMS {
        assert!(help.contains(spec.name), "{help}");
    }
}

/// For every platform, interface names one character over the platform's
/// limit (and with each character it refuses) are refused by `check`
/// (`E601`) and by every backend of the platform with the same sentence;
/// names at the limit pass both.
#[test]
fn interface_limits_are_enforced_by_check_and_build_alike() {
    for spec in PLATFORMS {
        let max = spec.max_interface_chars;
        let mut names = vec![
            (format!("p{}", "1".repeat(max - 1)), true),
            (format!("p{}", "1".repeat(max)), false),
        ];
        for c in "._/:-".chars() {
            names.push((format!("p{c}1"), spec.interface_punctuation.contains(c)));
        }
        names.push(("p 1".to_string(), spec.interface_spaces));
        for (name, valid) in names {
            let checked = check_text(&policy("modbus", spec.name, &name, "p2"));
            let check_message = checked
                .diagnostics
                .iter()
                .find(|d| d.code == Code::InvalidInterfaceName)
                .map(|d| d.message.clone());
            assert_eq!(
                checked.policy.is_some(),
                valid,
                "{} {name:?}: {:?}",
                spec.name,
                checked.diagnostics.codes()
            );
            let rules = rules_with_interface(spec.platform, &name);
            for t in Target::serving(spec.platform) {
                let built = emit(&rules, t);
                match (&check_message, built) {
                    (None, Ok(_)) => {}
                    (Some(m), Err(e)) => {
                        assert!(
                            e.to_string().ends_with(m.as_str()),
                            "{t} {name:?}: check says {m:?}, build says {e}"
                        );
                        // The build's refusal carries check's code.
                        assert_eq!(e.code(), Code::InvalidInterfaceName, "{t}: {e}");
                    }
                    (m, b) => panic!("{t} {name:?}: check {m:?}, build {:?}", b.err()),
                }
            }
        }
    }
}

/// Every protocol number the table says a platform cannot express is
/// `E605` at check and at build, with the table's reason.
#[test]
fn protocol_limits_are_enforced_by_check_and_build_alike() {
    for spec in PLATFORMS {
        for &(n, why) in spec.unexpressible_protocols {
            let service = format!("ip/{n}");
            let checked = check_text(&policy(&service, spec.name, "p1", "p2"));
            // W117: the test firewall declares no `manage` entry.
            assert_eq!(
                checked.diagnostics.codes(),
                [Code::ProtocolNotExpressible, Code::NoManagement]
            );
            assert!(checked
                .diagnostics
                .iter()
                .next()
                .unwrap()
                .message
                .contains(why));
            let generic = check_text(&policy(&service, "", "", "")).policy.unwrap();
            let rules = lower(&generic, &BuildOptions::new(today())).unwrap();
            for t in Target::serving(spec.platform) {
                let e = emit(&rules, t).unwrap_err();
                assert_eq!(e.code(), Code::ProtocolNotExpressible, "{t}: {e}");
                assert!(e.to_string().contains(why), "{e}");
            }
        }
    }
}

fn conduitc(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .current_dir(dir)
        .args(args)
        .args(["--today", "2026-12-01"])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The CLI's `--target` values and `--out` file names come from the
/// registry.
#[test]
fn the_cli_reads_the_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = policy("modbus", "", "", "");
    for (i, spec) in PLATFORMS.iter().enumerate() {
        text.push_str(&format!(
            "firewall fw{i} {{\n  platform {}\n  interface \"p1\" = a\n  interface \"p2\" = b\n}}\n",
            spec.name
        ));
    }
    std::fs::write(tmp.path().join("p.conduit"), text).unwrap();

    let (code, err) = conduitc(tmp.path(), &["build", "p.conduit", "--target", "nft"]);
    assert_eq!(code, Some(2), "{err}");
    for t in Target::ALL {
        assert!(err.contains(t.as_str()), "{err}");
    }
    let (code, err) = conduitc(tmp.path(), &["build", "--help"]);
    assert_eq!(code, Some(0), "{err}");

    let (code, err) = conduitc(tmp.path(), &["build", "p.conduit", "--out", "out"]);
    assert_eq!(code, Some(0), "{err}");
    let mut files: Vec<String> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut want: Vec<String> = PLATFORMS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let b = backend::backend(Target::for_platform(s.platform));
            format!("fw{i}.{}", b.extension())
        })
        .collect();
    want.push("manifest.json".into());
    want.sort();
    assert_eq!(files, want);

    // `--target` for a firewall of another platform names the ones that fit.
    for (i, spec) in PLATFORMS.iter().enumerate() {
        for t in Target::ALL {
            let fw = format!("fw{i}");
            let args = [
                "build",
                "p.conduit",
                "--target",
                t.as_str(),
                "--firewall",
                &fw,
            ];
            let (code, err) = conduitc(tmp.path(), &args);
            if backend::backend(t).platform() == spec.platform {
                assert_eq!(code, Some(0), "{t} {fw}: {err}");
            } else {
                assert_eq!(code, Some(2), "{t} {fw}: {err}");
                let fits: Vec<&str> = Target::serving(spec.platform).map(Target::as_str).collect();
                assert!(
                    err.contains(&format!("build it with --target {}", fits.join(" or "))),
                    "{err}"
                );
            }
        }
    }
}

/// Declared names: at the language's limit every backend builds them; one
/// character over, `check` reports `E110` and every backend refuses them.
#[test]
fn declared_name_limits_are_enforced_by_check_and_build_alike() {
    let max = conduitc::limits::MAX_NAME_CHARS;
    for spec in PLATFORMS {
        for (len, valid) in [(max, true), (max + 1, false)] {
            let name = format!("f{}", "w".repeat(len - 1));
            let text = policy("modbus", spec.name, "p1", "p2")
                .replace("firewall fw {", &format!("firewall {name} {{"));
            let checked = check_text(&text);
            if valid {
                assert!(
                    checked.policy.is_some(),
                    "{:?}",
                    checked.diagnostics.codes()
                );
            } else {
                assert_eq!(checked.diagnostics.codes(), [Code::NameTooLong]);
            }
            let mut rules = rules_with_interface(spec.platform, "p1");
            if let Some(fw) = &mut rules.firewall {
                fw.name = name.as_str().into();
            }
            for t in Target::serving(spec.platform) {
                let built = emit(&rules, t);
                assert_eq!(built.is_ok(), valid, "{t} {len}: {:?}", built.err());
            }
        }
    }
}
