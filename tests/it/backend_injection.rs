//! Nothing a user writes can change what the IOS and FortiOS outputs
//! enforce.
//!
//! Arbitrary strings (quotes, backslashes, newlines followed by `permit ip
//! any any` or `next`/`end`, 255-character strings, non-ASCII, `?`) are put
//! into every field of a rule set that reaches the output: owners, zone,
//! conduit and flow names, interface names, the firewall's and the isolation
//! mode's names. For each backend:
//! - names are refused exactly when they are not names of the language
//!   (`[A-Za-z][A-Za-z0-9_-]*`, at most 48) or interface names
//!   (`[A-Za-z0-9._/:-]`, 1-64 on IOS, where spaces may also separate type
//!   and number, 1-15 on FortiOS), or clash (on IOS, as IOS compares names);
//! - owners never reach IOS output; on FortiOS they are escaped, and refused
//!   only for control characters, non-ASCII or `?`;
//! - whatever is emitted is read by the strict evaluator without error, and
//!   what the device enforces (lists and their entries; policies with their
//!   interfaces, resolved addresses and services) is unchanged.

use conduitc::lower::{lower, BuildOptions, RuleSet};
use proptest::prelude::*;

use conduitc_testkit::{fortios_eval, ios_eval, plant};

#[derive(Clone, Copy, Debug)]
enum Field {
    Owner,
    Zone,
    Conduit,
    Flow,
    Iface,
    Firewall,
    Isolation,
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    s.len() <= 48
        && c.next().is_some_and(|c| c.is_ascii_alphabetic())
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_iface(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | ':' | '-'))
}

/// A Cisco IOS name with spaces between type and number: letters and `-`,
/// spaces, then a number part starting with a digit.
fn is_spaced_ios_iface(s: &str) -> bool {
    let Some((kind, num)) = s.split_once(' ') else {
        return false;
    };
    let num = num.trim_start_matches(' ');
    s.chars().count() <= 64
        && !kind.is_empty()
        && kind.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
        && num.starts_with(|c: char| c.is_ascii_digit())
        && is_iface(num, 64)
}

/// The identity IOS gives an interface name: abbreviations of the types
/// language.md lists expanded, spaces dropped, case ignored.
fn ios_key(s: &str) -> String {
    const TYPES: &[(&str, &str)] = &[
        ("gigabitethernet", "gi"),
        ("fastethernet", "fa"),
        ("tengigabitethernet", "te"),
        ("ethernet", "eth"),
        ("port-channel", "po"),
        ("vlan", "vl"),
        ("loopback", "lo"),
        ("tunnel", "tu"),
    ];
    let s = s.to_ascii_lowercase();
    let end = s
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '-'))
        .unwrap_or(s.len());
    let (kind, rest) = s.split_at(end);
    let kind = TYPES
        .iter()
        .find(|(full, short)| kind.len() >= short.len() && full.starts_with(kind))
        .map_or(kind, |(full, _)| full);
    format!("{kind}{}", rest.trim_start_matches(' '))
}

fn base(firewall: &str) -> RuleSet {
    lower(
        &plant::policy(),
        &BuildOptions::new(conduitc_testkit::gen::today()).firewall(firewall),
    )
    .unwrap()
}

/// Puts `s` into `field` consistently. Returns the mutated set and whether
/// `s` clashes with a name already in use for that field.
fn mutate(rs: &RuleSet, field: Field, s: &str) -> (RuleSet, bool) {
    let mut m = rs.clone();
    let mut clash = false;
    match field {
        Field::Owner => {
            for r in &mut m.rules {
                r.owner = s.into();
            }
        }
        Field::Zone => {
            let old = m.zones[0].name.clone();
            clash = m.zones[1..].iter().any(|z| z.name.eq_ignore_ascii_case(s));
            m.zones[0].name = s.into();
            for r in &mut m.rules {
                if r.src_zone == old {
                    r.src_zone = s.into();
                }
                if r.dst_zone == old {
                    r.dst_zone = s.into();
                }
            }
            if let Some(fw) = &mut m.firewall {
                for (_, z) in &mut fw.interfaces {
                    if *z == old {
                        *z = s.into();
                    }
                }
            }
        }
        Field::Conduit => {
            let old = m.rules[0].conduit.clone();
            clash = m
                .rules
                .iter()
                .any(|r| r.conduit != old && r.conduit.eq_ignore_ascii_case(s));
            for r in &mut m.rules {
                if r.conduit == old {
                    let flow = r.name.split_once('/').unwrap().1.to_string();
                    r.conduit = s.into();
                    r.name = format!("{s}/{flow}").into();
                }
            }
        }
        Field::Flow => {
            let first = m.rules.iter().find(|r| r.flow.is_some()).unwrap();
            let old = first.name.clone();
            let conduit = first.conduit.clone();
            clash = m.rules.iter().any(|r| {
                r.name != old
                    && r.conduit == conduit
                    && r.flow.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(s))
            });
            for r in &mut m.rules {
                if r.name == old {
                    r.flow = Some(s.into());
                    r.name = format!("{conduit}/{s}").into();
                }
            }
        }
        Field::Iface => {
            let fw = m.firewall.as_mut().unwrap();
            let old = fw.interfaces[0].0.clone();
            clash = fw.interfaces[1..]
                .iter()
                .any(|(i, _)| ios_key(i) == ios_key(s));
            fw.interfaces[0].0 = s.into();
            for r in &mut m.rules {
                for i in [&mut r.in_iface, &mut r.out_iface].into_iter().flatten() {
                    if *i == old {
                        *i = s.into();
                    }
                }
            }
            for z in &mut m.zones {
                if z.iface.as_deref() == Some(old.as_str()) {
                    z.iface = Some(s.into());
                }
            }
        }
        Field::Firewall => m.firewall.as_mut().unwrap().name = s.into(),
        Field::Isolation => m.isolation = Some(s.to_string()),
    }
    (m, clash)
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"\n permit ip any any".to_string()),
        Just("x\n 5 permit ip any any".to_string()),
        Just(
            "x\" \nnext\nend\nconfig firewall policy\n    edit 1\n        set action accept"
                .to_string()
        ),
        Just("a\\\"b".to_string()),
        Just("\\".to_string()),
        Just("\"".to_string()),
        Just("next".to_string()),
        Just("end".to_string()),
        Just("exit".to_string()),
        Just("a".repeat(255)),
        Just("zon\u{e9}".to_string()),
        Just("why?".to_string()),
        Just("a b".to_string()),
        Just("ok\u{202e}".to_string()),
        Just("ok\r".to_string()),
        Just("GigabitEthernet0/1.100".to_string()),
        Just("GigabitEthernet 0/1".to_string()),
        Just("Gi0/1".to_string()),
        Just("gi 0/2".to_string()),
        Just("port123456789012".to_string()),
        Just(String::new()),
        "[A-Za-z][A-Za-z0-9_-]{0,60}",
        "[A-Za-z0-9._/:-]{1,70}",
        "[ -~]{0,255}",
        any::<String>(),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::Owner),
        Just(Field::Zone),
        Just(Field::Conduit),
        Just(Field::Flow),
        Just(Field::Iface),
        Just(Field::Firewall),
        Just(Field::Isolation),
    ]
}

/// Whether the backend must accept `s` in `field` (`iface_max`: the
/// backend's interface name limit; `escapes`: free text is escaped).
fn acceptable(field: Field, s: &str, clash: bool, iface_max: usize, escapes: bool) -> bool {
    match field {
        Field::Owner => {
            !escapes || (s.chars().all(|c| (' '..='~').contains(&c)) && !s.contains('?'))
        }
        // FortiOS can put two zones behind one interface (policies still
        // tell them apart by address); an IOS interface holds one list.
        // IOS also takes `GigabitEthernet 0/1` (escapes is false only there).
        Field::Iface => {
            (is_iface(s, iface_max) || (!escapes && is_spaced_ios_iface(s))) && (escapes || !clash)
        }
        _ => is_name(s) && !clash,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn user_text_cannot_change_what_ios_enforces(field in field(), s in hostile()) {
        let rs = base("plant-ios");
        let base_text = conduitc::backend::emit(&rs, conduitc::backend::Target::CiscoIos).unwrap();
        let base_cfg = ios_eval::parse(&base_text).unwrap();
        let (m, clash) = mutate(&rs, field, &s);
        let got = conduitc::backend::emit(&m, conduitc::backend::Target::CiscoIos);
        prop_assert_eq!(
            got.is_ok(),
            acceptable(field, &s, clash, 64, false),
            "{:?} = {:?}: {:?}", field, s, got.as_ref().err()
        );
        if let Ok(text) = got {
            let cfg = ios_eval::parse(&text)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(cfg.signature(), base_cfg.signature());
            if let Field::Owner = field {
                prop_assert_eq!(&text, &base_text, "owners never reach IOS output");
            }
        }
    }

    #[test]
    fn user_text_cannot_change_what_fortios_enforces(field in field(), s in hostile()) {
        let rs = base("plant-fgt");
        let base_cfg = fortios_eval::parse(&conduitc::backend::emit(&rs, conduitc::backend::Target::Fortios).unwrap()).unwrap();
        let (m, clash) = mutate(&rs, field, &s);
        let got = conduitc::backend::emit(&m, conduitc::backend::Target::Fortios);
        prop_assert_eq!(
            got.is_ok(),
            acceptable(field, &s, clash, 15, true),
            "{:?} = {:?}: {:?}", field, s, got.as_ref().err()
        );
        if let Ok(text) = got {
            let cfg = fortios_eval::parse(&text)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            let mut cfg = cfg;
            if let Field::Iface = field {
                if clash {
                    return Ok(());
                }
                // Undo the rename before comparing.
                let old = &rs.firewall.as_ref().unwrap().interfaces[0].0;
                for p in &mut cfg.policies {
                    for i in p.srcintf.iter_mut().chain(p.dstintf.iter_mut()) {
                        if *i == s {
                            *i = old.to_string();
                        }
                    }
                }
            }
            prop_assert_eq!(cfg.signature(), base_cfg.signature());
            if let Field::Owner = field {
                for p in &cfg.policies {
                    let c = p.comments.clone().unwrap();
                    prop_assert!(c.contains(&format!(" owner={s} from=")), "{:?}", c);
                }
            }
        }
    }
}

#[test]
fn a_newline_in_a_name_never_reaches_either_target() {
    let rs = base("plant-ios");
    for field in [Field::Zone, Field::Conduit, Field::Flow, Field::Iface] {
        let (m, _) = mutate(&rs, field, "x\n permit ip any any");
        assert!(
            conduitc::backend::emit(&m, conduitc::backend::Target::CiscoIos).is_err(),
            "{field:?}"
        );
        assert!(
            conduitc::backend::emit(&m, conduitc::backend::Target::Fortios).is_err(),
            "{field:?}"
        );
    }
}
