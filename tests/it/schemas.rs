//! Every JSON document the command line writes carries `"format_version"`
//! and matches its JSON Schema in `docs/schema/`: checked here on real
//! outputs of the binary, run on the bundled examples, the diagnostics
//! corpus and real build directories. A command that gains a JSON format
//! without a schema fails `every_json_output_has_a_schema_and_a_test`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::Value;

use super::run::conduitc;

const PLANT: &str = "examples/bottling-plant.conduit";
const WATER: &str = "examples/water-utility";
const TODAY: &str = "2026-12-01";

/// The commands whose JSON output `validated_output` checks, with the
/// schema each one's document must match.
const COVERED: &[(&str, &str)] = &[
    ("check", "check"),
    ("query", "query"),
    ("diff", "diff"),
    ("paths", "paths"),
    ("observe", "observe"),
    ("verify", "verify"),
    ("test", "test"),
    ("explain", "explain"),
];

fn schema_path(name: &str) -> String {
    format!(
        "{}/docs/schema/{name}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Validates `doc` against `docs/schema/NAME.schema.json` (the schema is
/// itself checked against the draft 2020-12 meta-schema as it compiles).
fn validate(name: &str, doc: &Value) {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let index = compiler
        .compile(&schema_path(name), &mut schemas)
        .unwrap_or_else(|e| panic!("schema {name}: {e:#}"));
    if let Err(e) = schemas.validate(doc, index) {
        panic!("output does not match {name}.schema.json: {e:#}\n{doc:#}");
    }
    assert_eq!(doc["format_version"], 1, "{doc:#}");
}

/// Runs the binary, expects `status`, and validates stdout against the
/// schema `name`.
fn validated_output(name: &str, args: &[&str], status: i32) -> Value {
    let (code, out, err) = conduitc(args);
    assert_eq!(code, status, "conduitc {}\n{out}\n{err}", args.join(" "));
    let doc: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("conduitc {}: not JSON: {e}\n{out}", args.join(" ")));
    validate(name, &doc);
    doc
}

#[test]
fn check_outputs_match_their_schema() {
    let doc = validated_output(
        "check",
        &["check", PLANT, "--today", TODAY, "--format", "json"],
        0,
    );
    assert!(doc["policy"].is_object());
    validated_output(
        "check",
        &["check", WATER, "--today", TODAY, "--format", "json"],
        0,
    );
    // Every failing policy of the corpus, with its labels and help.
    let mut failing = 0;
    for entry in fs::read_dir("tests/diagnostics").unwrap() {
        let path = entry.unwrap().path();
        let name = path.to_string_lossy().into_owned();
        if !name.ends_with(".fail.conduit") {
            continue;
        }
        let (code, out, _) = conduitc(&["check", &name, "--today", TODAY, "--format", "json"]);
        let doc: Value = serde_json::from_str(&out).unwrap();
        validate("check", &doc);
        assert!(code == 0 || code == 1, "{name}: {code}");
        failing += 1;
    }
    assert!(failing > 50, "{failing}");
    // A usage error and an unreadable path, exit 2.
    validated_output(
        "check",
        &["check", PLANT, "--format", "json", "--today", "2026-02-30"],
        2,
    );
    validated_output(
        "check",
        &["check", "no/such/policy.conduit", "--format", "json"],
        2,
    );
}

#[test]
fn query_outputs_match_their_schema() {
    let base = ["query", PLANT, "--today", TODAY, "--format", "json"];
    let allow = validated_output(
        "query",
        &[
            &base[..],
            &["--src", "10.20.0.20", "--dst", "10.1.10.11"],
            &["--proto", "tcp", "--port", "502"],
        ]
        .concat(),
        0,
    );
    assert_eq!(allow["decision"], "allow");
    let deny = validated_output(
        "query",
        &[
            &base[..],
            &["--src", "10.35.0.20", "--dst", "10.20.1.10"],
            &["--proto", "udp", "--port", "502"],
        ]
        .concat(),
        0,
    );
    assert_eq!(deny["decision"], "deny");
    // To the cell router itself: decided by its `manage` entry.
    let own = validated_output(
        "query",
        &[
            &base[..],
            &["--src", "10.20.0.20", "--dst", "10.20.0.2"],
            &["--proto", "tcp", "--port", "22"],
        ]
        .concat(),
        0,
    );
    assert_eq!(own["decision"], "allow");
    assert_eq!(own["to_firewall"], "cell-router");
    assert_eq!(own["flow"], "cell-router/admin");
    // Neighbour discovery to it: the fixed part of every build.
    let nd = validated_output(
        "query",
        &[
            &base[..],
            &["--src", "2001:db8:20::99", "--dst", "2001:db8:20::2"],
            &["--proto", "icmpv6", "--icmp-type", "136"],
        ]
        .concat(),
        0,
    );
    assert_eq!(nd["decision"], "allow");
    assert_eq!(nd["fixed"], "neighbour-discovery");
    assert_eq!(nd["flow"], Value::Null);
    // To a firewall without entries: not governed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.conduit");
    fs::write(
        &path,
        "owner ops {\n  contact \"ops@example.com\"\n}\n\
         zone a {\n  level 2\n  owner ops\n  networks 10.2.0.0/24\n}\n\
         zone b {\n  level 1\n  owner ops\n  networks 10.1.0.0/24\n}\n\
         firewall fw {\n  platform nftables\n  interface \"eth0\" = a address 10.2.0.1\n  \
         interface \"eth1\" = b address 10.1.0.1\n}\n",
    )
    .unwrap();
    let free = validated_output(
        "query",
        &[
            "query",
            path.to_str().unwrap(),
            "--today",
            TODAY,
            "--format",
            "json",
            "--src",
            "10.2.0.9",
            "--dst",
            "10.1.0.1",
            "--proto",
            "tcp",
            "--port",
            "22",
        ],
        0,
    );
    assert_eq!(free["decision"], "not-governed");
    assert_eq!(free["to_firewall"], "fw");
}

#[test]
fn diff_outputs_match_their_schema() {
    let doc = validated_output(
        "diff",
        &[
            "diff",
            "examples/diff/v1",
            "examples/diff/v2",
            "--today",
            TODAY,
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(doc["no_change"], false);
    validated_output(
        "diff",
        &[
            "diff",
            "examples/diff/v1",
            "examples/diff/v2",
            "--today",
            TODAY,
            "--format",
            "json",
            "--require-approvals",
            "--approved-by",
            "it-sec",
        ],
        1,
    );
    let same = validated_output(
        "diff",
        &[
            "diff",
            "examples/diff/v1",
            "examples/diff/v1",
            "--today",
            TODAY,
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(same["no_change"], true);
}

#[test]
fn paths_outputs_match_their_schema() {
    let some = validated_output(
        "paths",
        &[
            "paths", PLANT, "--from", "vendor", "--to", "control", "--today", TODAY, "--format",
            "json",
        ],
        0,
    );
    assert!(!some["paths"].as_array().unwrap().is_empty());
    validated_output(
        "paths",
        &[
            "paths",
            WATER,
            "--from",
            "enterprise",
            "--to",
            "south-control",
            "--today",
            TODAY,
            "--format",
            "json",
        ],
        0,
    );
}

#[test]
fn observe_outputs_match_their_schema() {
    let mut args = vec!["observe", PLANT, "--today", TODAY, "--format", "json"];
    let logs: Vec<String> = fs::read_dir("examples/logs")
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    for log in &logs {
        args.extend(["--log", log.as_str()]);
    }
    let doc = validated_output("observe", &args, 1);
    assert_eq!(doc["files"].as_array().unwrap().len(), logs.len());
    assert!(!doc["candidates"].as_array().unwrap().is_empty());
}

#[test]
fn verify_and_manifest_outputs_match_their_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let (code, _, err) = conduitc(&["build", PLANT, "--today", TODAY, "--out", &s(&out)]);
    assert_eq!(code, 0, "{err}");
    let manifest: Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    validate("manifest", &manifest);
    // A second build from the first: transitions carry `from_sha256`.
    let next = tmp.path().join("next");
    let (code, _, err) = conduitc(&[
        "build",
        PLANT,
        "--today",
        TODAY,
        "--out",
        &s(&next),
        "--from",
        &s(&out),
        "--isolation",
        "cut-corporate",
    ]);
    assert_eq!(code, 0, "{err}");
    let manifest: Value =
        serde_json::from_slice(&fs::read(next.join("manifest.json")).unwrap()).unwrap();
    validate("manifest", &manifest);
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["from_sha256"].is_string()),
        "{manifest:#}"
    );
    assert_eq!(manifest["isolation"], "cut-corporate");
    // A manifest of a later format version is not read as this one.
    let later = fs::read_to_string(next.join("manifest.json"))
        .unwrap()
        .replacen("\"format_version\": 1", "\"format_version\": 2", 1);
    fs::write(next.join("manifest.json"), later).unwrap();
    let (code, _, err) = conduitc(&[
        "build",
        PLANT,
        "--today",
        TODAY,
        "--out",
        &s(&tmp.path().join("third")),
        "--from",
        &s(&next),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("its manifest.json has format_version 2; this conduitc reads version 1"),
        "{err}"
    );

    let nft = out.join("ot-core-fw.nft");
    let args = |config: &str| {
        [
            "verify",
            PLANT,
            "--today",
            TODAY,
            "--target",
            "nftables",
            "--firewall",
            "ot-core-fw",
            "--format",
            "json",
            "--config",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([config.to_string()])
        .collect::<Vec<_>>()
    };
    let run = |a: &[String], status| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        validated_output("verify", &a, status)
    };
    let same = run(&args(&s(&nft)), 0);
    assert_eq!(same["matches"], true);
    let drifted = tmp.path().join("drifted.nft");
    fs::write(&drifted, drift(&fs::read_to_string(&nft).unwrap())).unwrap();
    let doc = run(&args(&s(&drifted)), 1);
    assert!(!doc["admitted_not_declared"].as_array().unwrap().is_empty());
    assert!(!doc["declared_not_admitted"].as_array().unwrap().is_empty());
    assert_eq!(doc["to_firewall_judged"], true);
    // The input chain opened to everything: findings on traffic to the
    // firewall itself.
    let open = fs::read_to_string(&nft)
        .unwrap()
        .replace(
            "hook input priority filter; policy drop;",
            "hook input priority filter; policy accept;",
        )
        .replace("counter drop comment \"conduit input default deny\"", "");
    let opened = tmp.path().join("opened.nft");
    fs::write(&opened, open).unwrap();
    let doc = run(&args(&s(&opened)), 1);
    let found = doc["admitted_not_declared"].as_array().unwrap();
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|f| f["to_firewall"] == "ot-core-fw"),
        "{doc}"
    );
}

/// The ruleset with a hand-added rule (ssh from the enterprise network)
/// in the forward chain and without the jump that carries
/// supervisory-to-site-ops traffic.
pub fn drift(nft: &str) -> String {
    let mut out = String::new();
    let mut added = false;
    for line in nft.lines() {
        if line.contains("jump p_supervisory_to_site-ops") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.trim() == "ct state invalid drop" && !added {
            out.push_str("\t\tip saddr 10.10.0.0/16 tcp dport 22 accept\n");
            added = true;
        }
    }
    assert_ne!(out, nft, "the ruleset changed shape");
    out
}

#[test]
fn test_outputs_match_their_schema() {
    validated_output(
        "test",
        &["test", PLANT, "--today", TODAY, "--format", "json"],
        0,
    );
    validated_output(
        "test",
        &["test", WATER, "--today", TODAY, "--format", "json"],
        0,
    );
    let tmp = tempfile::tempdir().unwrap();
    let failing = tmp.path().join("failing.conduit-test");
    fs::write(&failing, FAILING_ASSERTIONS).unwrap();
    let doc = validated_output(
        "test",
        &[
            "test",
            PLANT,
            failing.to_str().unwrap(),
            "--today",
            TODAY,
            "--format",
            "json",
        ],
        1,
    );
    let failed: Vec<&Value> = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["passed"] == false)
        .collect();
    assert_eq!(failed.len(), 5, "{doc:#}");
    assert!(failed.iter().any(|t| t["counterexample"].is_object()));
    assert!(failed.iter().any(|t| t["path"].is_object()));
}

/// One failing assertion of every kind, against the bottling plant.
pub const FAILING_ASSERTIONS: &str = "\
expect deny supervisory.scada -> control.line-plcs tcp/502
expect allow enterprise -> control any
expect no path vendor -> control
expect flow supervisory-control/plc-io allows idmz.jump -> control.filler-plc tcp/502
expect path internet -> control
";

#[test]
fn explain_outputs_match_their_schema() {
    for code in conduitc::Code::ALL {
        validated_output(
            "explain",
            &["explain", code.as_str(), "--format", "json"],
            0,
        );
    }
}

/// The subcommands whose `--format` offers `json`, from `--help`.
fn json_commands() -> BTreeSet<String> {
    let (_, help, _) = conduitc(&["--help"]);
    let commands: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 10, "{help}");
    commands
        .into_iter()
        .filter(|c| {
            let (_, help, _) = conduitc(&[c, "--help"]);
            help.lines().any(|l| l.trim_start().starts_with("- json:"))
        })
        .collect()
}

#[test]
fn every_json_output_has_a_schema_and_a_test() {
    let covered: BTreeSet<String> = COVERED.iter().map(|(c, _)| c.to_string()).collect();
    assert_eq!(json_commands(), covered, "a JSON format without a schema");
    // Every schema is used, and nothing else is in docs/schema but its README.
    let mut used: BTreeSet<String> = COVERED.iter().map(|(_, s)| s.to_string()).collect();
    used.insert("manifest".into());
    let present: BTreeSet<String> = fs::read_dir("docs/schema")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .map(|n| {
            n.strip_suffix(".schema.json")
                .unwrap_or_else(|| panic!("docs/schema/{n}: not a schema"))
                .to_string()
        })
        .collect();
    assert_eq!(present, used);
    // Each names the JSON Schema draft and closes its top-level object.
    for name in &present {
        let v: Value =
            serde_json::from_str(&fs::read_to_string(schema_path(name)).unwrap()).unwrap();
        assert_eq!(
            v["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert_eq!(v["additionalProperties"], false, "{name}");
        assert_eq!(v["properties"]["format_version"]["const"], 1, "{name}");
    }
}

/// The schemas are strict: a field the schema does not know, a missing
/// field or a wrong version is caught, so drift in an output fails the
/// tests above.
#[test]
fn schemas_reject_drift() {
    let (_, out, _) = conduitc(&[
        "query",
        PLANT,
        "--today",
        TODAY,
        "--format",
        "json",
        "--src",
        "10.20.0.20",
        "--dst",
        "10.1.10.11",
        "--proto",
        "tcp",
        "--port",
        "502",
    ]);
    let good: Value = serde_json::from_str(&out).unwrap();
    validate("query", &good);
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let index = compiler
        .compile(&schema_path("query"), &mut schemas)
        .unwrap();
    let mut extra = good.clone();
    extra["verdict"] = "allow".into();
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("also");
    let mut version = good.clone();
    version["format_version"] = 2.into();
    for bad in [extra, missing, version] {
        assert!(schemas.validate(&bad, index).is_err(), "{bad}");
    }
}
