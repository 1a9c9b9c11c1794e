//! The library's public API as an embedder uses it: the paths and signatures
//! it relies on (a change to any of them fails to compile here), and the
//! behaviour of the conveniences made for embedders. What must not be public
//! is pinned by the `compile_fail` examples in the crate documentation
//! (src/lib.rs), and `examples/embed.rs` runs as a doc test there too.

use std::error::Error;
use std::io::Write;
use std::path::Path;

use conduitc::backend::{self, EmitError, Target};
use conduitc::diff::{DiffOptions, Report};
use conduitc::model::{BadDate, Date, Policy};
use conduitc::{
    BadPacket, BuildOptions, CheckFailed, CheckOptions, Checked, Code, Decision, Diagnostics,
    LoadError, LowerError, Packet, RuleSet, Sources,
};

const PLANT: &str = r#"
owner ops { contact "ops@example.com" }
zone plant { level 1 owner ops networks 10.1.0.0/16 host plc = 10.1.0.5 }
zone scada { level 2 owner ops networks 10.2.0.0/16 host master = 10.2.0.10 }
conduit scada-plant {
  zones scada, plant
  owner ops
  flow poll { from scada.master to plant.plc service modbus reason "polling" }
}
firewall fw {
  platform nftables
  interface "eth0" = scada
  interface "eth1" = plant
}
"#;

fn today() -> Date {
    "2026-12-01".parse().unwrap()
}

#[test]
fn the_entry_points_an_embedder_uses_keep_their_paths_and_signatures() {
    let _: fn(&str, &str) -> Sources = |n, t| Sources::from_memory(n, t);
    let _: fn(&[&'static Path]) -> Result<Sources, LoadError> = Sources::load::<&Path>;
    let _: fn(Date) -> CheckOptions = CheckOptions::new;
    let _: fn(&Sources, &CheckOptions) -> Checked = conduitc::check;
    let _: fn(&[&'static Path], &CheckOptions) -> Result<Checked, LoadError> =
        conduitc::load_and_check::<&Path>;
    let _: fn(&Sources) -> Diagnostics = conduitc::parse;
    let _: fn(Checked) -> Result<(Policy, Diagnostics), CheckFailed> = Checked::into_result;
    let _: fn(&CheckFailed) -> &Diagnostics = CheckFailed::diagnostics;
    let _: fn(Date) -> BuildOptions = BuildOptions::new;
    let _: fn(BuildOptions, &str) -> BuildOptions = |o, n| o.firewall(n).isolation(n);
    let _: fn(BuildOptions, Option<String>) -> BuildOptions =
        |o, n| o.with_firewall(n.clone()).with_isolation(n);
    let _: fn(&Policy, &BuildOptions) -> Result<RuleSet, LowerError> = conduitc::lower;
    let _: fn(&RuleSet, Target) -> Result<String, EmitError> = backend::emit;
    let _: fn(&RuleSet, Target, &mut dyn Write) -> Result<(), EmitError> = backend::emit_to;
    type Transition =
        fn(&RuleSet, Target, &backend::EmitOptions, &str, &mut dyn Write) -> Result<(), EmitError>;
    let _: Transition = backend::emit_transition;
    let _: fn(&RuleSet, Target, &backend::EmitOptions, &str) -> Result<String, EmitError> =
        backend::emit_transition_string;
    let _: fn(&Policy, &Packet, &BuildOptions) -> Result<Decision, LowerError> = conduitc::decide;
    let _: fn(&str) -> Option<u8> = conduitc::protocol_number;
    let _: fn(Date) -> DiffOptions = DiffOptions::new;
    let _: fn(&Policy, &Policy, &DiffOptions) -> Report = conduitc::diff;
    let _: fn(&Diagnostics, &Sources, bool) -> String = conduitc::diag::render::text;
    let _: fn(&Diagnostics, &Sources, Option<&Policy>) -> String = conduitc::diag::render::json;
    let _: fn(&Diagnostics, &Sources) -> String = conduitc::diag::render::sarif;
    let _: fn(&Diagnostics, &Sources) -> String = conduitc::diag::render::sarif_error;
    let _: fn(&Diagnostics, &Sources) -> Vec<conduitc::diag::render::ci::Annotation> =
        conduitc::diag::render::ci::annotations;
    let _: fn(&[conduitc::diag::render::ci::Annotation]) -> String =
        conduitc::diag::render::ci::github;
    let _: fn(&[conduitc::diag::render::ci::Annotation]) -> String =
        conduitc::diag::render::ci::gitlab;
    let _: u32 = conduitc::diag::render::FORMAT_VERSION;
    let _: fn(&str) -> Result<String, Diagnostics> = conduitc::formatter::format_source;
    let _: fn(&Policy) -> String = conduitc::graph::to_dot;
    let _: fn(&Report) -> String = conduitc::diff::render::text;
    let _: fn(&Policy, &Sources, Date) -> Result<conduitc::expect::Run, Diagnostics> =
        conduitc::expect::run;
    let _: fn(&conduitc::expect::Run) -> String = conduitc::expect::render::text;
    let _: fn(&conduitc::expect::Run) -> String = conduitc::expect::render::json;
    let _: fn(&conduitc::expect::Run) -> String = conduitc::expect::render::junit;
    let _: fn(&conduitc::expect::Run) -> Vec<conduitc::diag::render::ci::Annotation> =
        conduitc::expect::render::annotations;
    fn is_error<E: Error + Send + Sync + 'static>() {}
    is_error::<CheckFailed>();
    is_error::<BadDate>();
    is_error::<BadPacket>();
    is_error::<LoadError>();
    is_error::<LowerError>();
    is_error::<EmitError>();
}

#[test]
fn a_failed_check_is_an_error_that_names_the_count_and_the_first_error_with_its_place() {
    // Two errors: an unknown owner on line 2, an unknown host on line 4.
    let text = "owner ops { contact \"c\" }\nzone z { level 1 owner nobody networks 10.0.0.0/8 }\n\
                zone y { level 2 owner ops networks 11.0.0.0/8 }\n\
                conduit c { zones z, y owner ops flow f { from z.ghost to y service ssh reason \"r\" } }\n";
    let sources = Sources::from_memory("plant.conduit", text);
    let failed = conduitc::check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap_err();
    assert_eq!(failed.diagnostics().error_count(), 2);
    let shown = failed.to_string();
    assert!(
        shown.starts_with("2 errors; the first: plant.conduit:2:"),
        "{shown}"
    );
    assert!(shown.contains("error[E"), "{shown}");
    assert!(shown.contains("`nobody`"), "{shown}");
    assert!(!shown.contains('\n'), "one line: {shown}");
    // `?` turns it into any boxed error.
    fn run(sources: &Sources) -> Result<Policy, Box<dyn Error>> {
        let (policy, _) = conduitc::check(sources, &CheckOptions::new(today())).into_result()?;
        Ok(policy)
    }
    assert_eq!(run(&sources).unwrap_err().to_string(), shown);
    // Every diagnostic is kept for rendering.
    let rendered = conduitc::diag::render::text(failed.diagnostics(), &sources, false);
    assert_eq!(rendered.matches("error[").count(), 2, "{rendered}");
}

#[test]
fn a_passed_check_gives_the_policy_and_its_warnings() {
    let text = PLANT.replace(
        "reason \"polling\"",
        "reason \"polling\" expires 2026-12-20",
    );
    let sources = Sources::from_memory("plant.conduit", text);
    let (policy, warnings) = conduitc::check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap();
    assert_eq!(policy.conduits[0].flows[0].full_name, "scada-plant/poll");
    // The plant's firewall declares no `manage` entry (W117).
    assert_eq!(warnings.codes(), [Code::ExpiringSoon, Code::NoManagement]);
    assert!(!warnings.has_errors());
}

#[test]
fn an_error_in_a_file_names_the_file_even_when_its_name_has_control_characters() {
    let sources = Sources::from_memory("bad\u{1b}[31m.conduit", "zone {");
    let failed = conduitc::check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap_err();
    let shown = failed.to_string();
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    assert!(shown.contains("bad\\u{1b}[31m.conduit:1:"), "{shown}");
}

#[test]
fn dates_parse_from_iso_text_and_refuse_anything_else_plainly() {
    let d: Date = "2024-02-29".parse().unwrap();
    assert_eq!(d.to_string(), "2024-02-29");
    assert_eq!(d, Date::parse("2024-02-29").unwrap());
    for bad in [
        "2025-02-29",
        "2026-1-01",
        "26-01-01",
        "2026-13-01",
        "",
        " 2026-01-01",
    ] {
        let e = bad.parse::<Date>().unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("`{bad}` is not a date: expected YYYY-MM-DD, a real calendar date")
        );
    }
    let e = "2026-01-0\u{202e}1".parse::<Date>().unwrap_err();
    assert!(!e.to_string().contains('\u{202e}'), "{e}");
}

#[test]
fn parse_alone_reports_syntax_errors_and_no_check_errors() {
    let fine_syntax = Sources::from_memory(
        "a.conduit",
        "zone z { level 1 owner nobody networks 10.0.0.0/8 }",
    );
    assert!(conduitc::parse(&fine_syntax).is_empty());
    let checked = conduitc::check(&fine_syntax, &CheckOptions::new(today()));
    assert!(checked.diagnostics.has_errors(), "check resolves `nobody`");

    let mut two = Sources::new();
    two.add_memory("a.conduit", "zone z { level }");
    two.add_memory("b.conduit", "owner o { contact \"c\" }\nzone y {");
    let d = conduitc::parse(&two);
    assert_eq!(d.codes(), [Code::Syntax, Code::Syntax]);
    let files: Vec<&str> = d.iter().map(|d| two.name(d.primary.span.file)).collect();
    assert_eq!(files, ["a.conduit", "b.conduit"]);
}

#[test]
fn packets_are_described_by_protocol_and_icmp_type_names() {
    let (a, b) = ("10.2.0.10".parse().unwrap(), "10.1.0.5".parse().unwrap());
    let p = Packet::from_names(a, b, "TCP", Some(502), None).unwrap();
    assert_eq!((p.proto, p.dport, p.icmp_type), (6, Some(502), None));
    let p = Packet::from_names(a, b, "udp", Some(161), None).unwrap();
    assert_eq!(p.proto, 17);
    let p = Packet::from_names(a, b, "icmp", None, Some("echo-request")).unwrap();
    assert_eq!((p.proto, p.icmp_type), (1, Some(8)));
    let p = Packet::from_names(a, b, "47", None, None).unwrap();
    assert_eq!((p.proto, p.dport), (47, None));
    let refused = [
        (
            "sctp",
            Some(1),
            None,
            "protocol `sctp`: expected tcp, udp, icmp, icmpv6 or a number 0-255",
        ),
        ("tcp", None, None, "a port is required with tcp and udp"),
        ("tcp", Some(0), None, "a port must be 1-65535"),
        ("icmp", None, None, "an ICMP type is required with ICMP"),
        (
            "icmp",
            None,
            Some("nosuch"),
            "`nosuch` is not an ICMP type name or a number 0-255",
        ),
        ("47", Some(1), None, "a port applies only to tcp and udp"),
        (
            "tcp",
            Some(22),
            Some("8"),
            "an ICMP type applies only to icmp and icmpv6",
        ),
    ];
    for (proto, port, icmp, want) in refused {
        let e = Packet::from_names(a, b, proto, port, icmp).unwrap_err();
        assert_eq!(e.to_string(), want, "{proto} {port:?} {icmp:?}");
    }
    // The packet decides as `conduitc query` would.
    let sources = Sources::from_memory("plant.conduit", PLANT);
    let (policy, _) = conduitc::check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap();
    let modbus = Packet::from_names(a, b, "tcp", Some(502), None).unwrap();
    let d = conduitc::decide(&policy, &modbus, &BuildOptions::new(today())).unwrap();
    assert_eq!(d.flow.as_deref(), Some("scada-plant/poll"));
    let ssh = Packet::from_names(a, b, "tcp", Some(22), None).unwrap();
    assert!(
        !conduitc::decide(&policy, &ssh, &BuildOptions::new(today()))
            .unwrap()
            .allowed()
    );
}

#[test]
fn option_setters_choose_what_is_built() {
    let sources = Sources::from_memory("plant.conduit", PLANT);
    let (policy, _) = conduitc::check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap();
    let fw = conduitc::lower(&policy, &BuildOptions::new(today()).firewall("fw")).unwrap();
    assert_eq!(fw.firewall.as_ref().map(|f| f.name.as_str()), Some("fw"));
    let everywhere = conduitc::lower(&policy, &BuildOptions::new(today())).unwrap();
    assert!(everywhere.firewall.is_none());
    assert_eq!(
        conduitc::lower(&policy, &BuildOptions::new(today()).firewall("nosuch")).unwrap_err(),
        LowerError::UnknownFirewall("nosuch".into())
    );
    assert_eq!(
        conduitc::lower(&policy, &BuildOptions::new(today()).isolation("nosuch")).unwrap_err(),
        LowerError::UnknownIsolation("nosuch".into())
    );
    let cleared = BuildOptions::new(today())
        .firewall("nosuch")
        .with_firewall(None);
    assert_eq!(conduitc::lower(&policy, &cleared).unwrap(), everywhere);
}

#[test]
fn emitting_to_a_writer_gives_the_same_bytes_as_emitting_to_a_string() {
    let sources = Sources::from_memory("plant.conduit", PLANT);
    let (policy, _) = conduitc::check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap();
    let rules = conduitc::lower(&policy, &BuildOptions::new(today()).firewall("fw")).unwrap();
    for target in Target::ALL {
        let mut bytes = Vec::new();
        match backend::emit_to(&rules, target, &mut bytes) {
            Ok(()) => assert_eq!(bytes, backend::emit(&rules, target).unwrap().as_bytes()),
            Err(e) => assert_eq!(backend::emit(&rules, target).unwrap_err(), e),
        }
    }
    let text = backend::emit(&rules, Target::NftablesJson);
    if cfg!(feature = "nftables-json") {
        assert!(text.unwrap().starts_with("{\"nftables\": ["));
    } else {
        assert_eq!(
            text.unwrap_err().to_string(),
            "nftables-json: conduitc was built without the nftables-json feature"
        );
    }
}

#[test]
fn observe_reads_a_log_from_any_reader_and_reports_what_the_policy_does_not_allow() {
    use conduitc::observe::{self, ObserveOptions, Observer, ReadError};
    let _: fn(Date) -> ObserveOptions = ObserveOptions::new;
    let _: fn(ObserveOptions, Option<String>) -> ObserveOptions =
        |o, n| o.with_firewall(n.clone()).with_isolation(n);
    let _: fn(&observe::Report, &Policy) -> String = observe::to_conduit;
    fn is_error<E: Error + Send + Sync + 'static>() {}
    is_error::<ReadError>();

    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/bottling-plant.conduit"
    ))
    .unwrap();
    let sources = Sources::from_memory("plant.conduit", text.as_str());
    let (policy, _) = conduitc::check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap();
    let mut obs = Observer::new(&policy, ObserveOptions::new(today())).unwrap();
    let log = "[12.5] conduit drop IN=eth2 OUT=eth1 SRC=10.20.0.33 DST=10.30.0.10 LEN=52 PROTO=TCP SPT=60213 DPT=5450 SYN\n\
               [12.6] conduit idmz-supervisory/eng-rdp IN=idmz0 OUT=eth2 SRC=10.35.0.20 DST=10.20.0.20 LEN=52 PROTO=TCP SPT=1 DPT=3389 SYN\n";
    let summary = obs.read("kern.log", log.as_bytes()).unwrap();
    assert_eq!(summary.format, Some(observe::LogFormat::Kernel));
    assert!(matches!(
        obs.read("notes.txt", &b"not a log\n"[..]),
        Err(ReadError::Unrecognized)
    ));
    // One connection given directly: SCADA polling a PLC, allowed across
    // the whole policy, undeclared when logged at the plant edge, which does
    // not carry that conduit.
    let poll = Packet::from_names(
        "10.20.0.10".parse().unwrap(),
        "10.1.10.11".parse().unwrap(),
        "tcp",
        Some(502),
        None,
    )
    .unwrap();
    obs.observe(&observe::Connection::from_packet(&poll));
    obs.observe(&observe::Connection::from_packet(&poll).with_device(Some("plant-edge-fw".into())));
    let report = obs.finish();
    assert_eq!(
        (report.connections, report.allowed, report.undeclared),
        (4, 2, 2)
    );
    let c = &report.candidates[0];
    assert_eq!(
        (c.from.label(), c.to.label(), c.service.as_str()),
        (
            "supervisory.hmi-3".to_string(),
            "site-ops.historian".to_string(),
            "pi"
        )
    );
    assert!(observe::to_conduit(&report, &policy).contains("flow hmi-3-to-historian-pi {"));
}

#[test]
fn verify_reads_a_ruleset_and_reports_drift_by_device_line() {
    use conduitc::verify::{self, Drift, ReadError, Ruleset, VerifyError};
    let _: fn(&str) -> Result<Ruleset, ReadError> = verify::read_ruleset;
    let _: fn(&Policy, &BuildOptions, &Ruleset) -> Result<Drift, VerifyError> = verify::verify;
    fn is_error<E: Error + Send + Sync + 'static>() {}
    is_error::<ReadError>();
    is_error::<VerifyError>();

    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/bottling-plant.conduit"
    ))
    .unwrap();
    let sources = Sources::from_memory("plant.conduit", text.as_str());
    let (policy, _) = conduitc::check(&sources, &CheckOptions::new(today()))
        .into_result()
        .unwrap();
    let opts = BuildOptions::new(today()).firewall("ot-core-fw");
    let built = backend::emit(&conduitc::lower(&policy, &opts).unwrap(), Target::Nftables).unwrap();
    let device = built.replacen(
        "ct state invalid drop\n",
        "ct state invalid drop\n\t\tudp dport 161 accept\n",
        1,
    );
    let line = device
        .lines()
        .position(|l| l.trim() == "udp dport 161 accept")
        .unwrap()
        + 1;
    let drift = verify::verify(&policy, &opts, &verify::read_ruleset(&device).unwrap()).unwrap();
    assert!(!drift.matches);
    assert!(drift.declared_not_admitted.is_empty());
    for f in &drift.admitted_not_declared {
        assert_eq!(f.packets.services, ["udp/161"]);
        assert_eq!(f.device_rules[0].line, line);
    }
    let e = verify::read_ruleset("table inet t {\n\tchain c {\n\t\tct mark 1 accept\n\t}\n}\n")
        .unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.to_string(), "line 3: `ct mark` is not supported");

    // Cisco IOS and FortiOS devices: read, then compared the same way.
    use verify::{Device, DeviceError};
    let _: fn(&str) -> Result<Device, DeviceError> = verify::read_ios;
    let _: fn(&str) -> Result<Device, DeviceError> = verify::read_fortios;
    let _: fn(&Policy, &BuildOptions, &Device) -> Result<Drift, VerifyError> =
        verify::verify_device;
    is_error::<DeviceError>();
    let opts = BuildOptions::new(today()).firewall("cell-router");
    let built = backend::emit(&conduitc::lower(&policy, &opts).unwrap(), Target::CiscoIos).unwrap();
    let device = verify::read_ios(&built).unwrap();
    assert!(
        verify::verify_device(&policy, &opts, &device)
            .unwrap()
            .matches
    );
    match verify::read_fortios(
        "config firewall policy\n    edit 1\n        set srcaddr-negate enable\n    next\nend\n",
    ) {
        Err(DeviceError::Unmodelled(e)) => assert_eq!(e.line, 3),
        other => panic!("{other:?}"),
    }
}
