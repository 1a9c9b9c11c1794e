//! `conduitc build` and `conduitc query` from the command line, on the
//! bundled bottling plant.

use std::fs;
use std::path::Path;

use crate::run::{conduitc, files_of, hex_sha256};

use conduitc_testkit::netns::Netns;

const PLANT: &str = "examples/bottling-plant.conduit";
const TODAY: [&str; 2] = ["--today", "2026-12-01"];

fn build(extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["build", PLANT];
    args.extend_from_slice(&TODAY);
    args.extend_from_slice(extra);
    conduitc(&args)
}

#[test]
fn nftables_build_loads_in_nft_and_is_deterministic() {
    let ns = Netns::new("cli");
    for extra in [
        vec!["--target", "nftables"],
        vec!["--target", "nftables", "--firewall", "ot-core-fw"],
        vec!["--target", "nftables", "--isolation", "cut-corporate"],
    ] {
        let (code, text, err) = build(&extra);
        assert_eq!(code, 0, "{extra:?}: {err}");
        assert!(text.contains("table inet conduit {"));
        ns.nft_stdin(&["-c"], &text)
            .unwrap_or_else(|e| panic!("nft -c rejects build {extra:?}: {e}"));
        assert_eq!(build(&extra).1, text, "{extra:?} is not deterministic");
    }
    let (code, json, err) = build(&["--target", "nftables-json", "--firewall", "ot-core-fw"]);
    assert_eq!(code, 0, "{err}");
    ns.nft_stdin(&["-j", "-c"], &json)
        .unwrap_or_else(|e| panic!("nft -j -c rejects the JSON build: {e}"));
}

#[test]
fn firewall_build_matches_its_interfaces_and_names_every_flow() {
    let (code, text, _) = build(&["--target", "nftables", "--firewall", "ot-core-fw"]);
    assert_eq!(code, 0);
    assert!(text.contains("iifname \"idmz0\""), "{text}");
    assert!(text.contains("oifname \"eth1\"") || text.contains("oifname \"eth2\""));
    assert!(text.contains("firewall: ot-core-fw"));
    // Only conduits between the firewall's zones: control sits behind the
    // cell router, not the OT core.
    assert!(!text.contains("supervisory-control/"), "{text}");
    for line in text.lines().filter(|l| l.contains(" accept comment ")) {
        let comment = line.rsplit("comment ").next().unwrap_or_default();
        assert!(comment.contains('/'), "rule without a flow name: {line}");
    }
}

#[test]
fn monitor_mode_is_reported_on_stderr() {
    let (code, text, err) = build(&["--target", "nftables"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("conduit `supervisory-packaging` is in monitor mode"),
        "{err}"
    );
    assert!(text.contains("comment \"supervisory-packaging/*\""));
    // The OT core firewall does not face packaging: no catch-all, no warning.
    let (_, _, err) = build(&["--target", "nftables", "--firewall", "ot-core-fw"]);
    assert!(!err.contains("monitor mode"), "{err}");
}

#[test]
fn unknown_firewall_or_isolation_is_a_usage_error_with_suggestions() {
    let (code, out, err) = build(&["--target", "nftables", "--firewall", "ot-core"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("no firewall named `ot-core`"), "{err}");
    assert!(err.contains("did you mean `ot-core-fw`?"), "{err}");
    assert!(
        err.contains("plant-edge-fw, ot-core-fw, cell-router"),
        "{err}"
    );
    let (code, out, err) = build(&["--target", "nftables", "--isolation", "cut-corp"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("did you mean `cut-corporate`?"), "{err}");
    let (code, _, _) = build(&["--target", "nftables", "--out", "x"]);
    assert_eq!(code, 2, "--target and --out together");
}

#[test]
fn broken_policy_builds_nothing_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.conduit");
    fs::write(&bad, "zone a {\n  level 9\n}\n").unwrap();
    let (code, out, err) = conduitc(&[
        "build",
        bad.to_str().unwrap(),
        "--target",
        "nftables",
        "--today",
        "2026-12-01",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
}

#[test]
fn out_writes_every_firewall_and_a_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fw");
    let d = dir.to_str().unwrap();
    let (code, out, err) = build(&["--out", d]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let files = files_of(&dir);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "cell-router.ios",
            "manifest.json",
            "ot-core-fw.nft",
            "plant-edge-fw.fortios"
        ]
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["today"], "2026-12-01");
    assert_eq!(manifest["isolation"], serde_json::Value::Null);
    let source = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(PLANT)).unwrap();
    let src_hash = hex_sha256(&source);
    assert_eq!(manifest["policy"]["sources"][0]["path"], PLANT);
    assert_eq!(
        manifest["policy"]["sources"][0]["sha256"],
        src_hash.as_str()
    );
    // `sha256sum FILES | sha256sum`.
    let listing = format!("{src_hash}  {PLANT}\n");
    assert_eq!(
        manifest["policy"]["sha256"],
        hex_sha256(listing.as_bytes()).as_str()
    );
    let entries = manifest["files"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    for e in entries {
        let file = e["file"].as_str().unwrap();
        let firewall = e["firewall"].as_str().unwrap();
        let platform = e["platform"].as_str().unwrap();
        let bytes = fs::read(dir.join(file)).unwrap();
        assert_eq!(e["sha256"], hex_sha256(&bytes).as_str(), "{file}");
        assert_eq!(e["isolation"], serde_json::Value::Null);
        // Each file is exactly what --target PLATFORM --firewall NAME prints.
        let (code, single, _) = build(&["--target", platform, "--firewall", firewall]);
        assert_eq!(code, 0);
        assert_eq!(single.as_bytes(), &bytes[..], "{file}");
    }
    // Byte-for-byte deterministic: a second build replaces it identically.
    let (code, _, _) = build(&["--out", d]);
    assert_eq!(code, 0);
    assert_eq!(files_of(&dir), files);
    // Only the output link and its versions are left beside it.
    let mut left: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".fw.conduitc", "fw"]);
}

#[test]
fn out_with_isolation_records_it_and_a_failed_build_keeps_the_old_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fw");
    let d = dir.to_str().unwrap();
    let (code, _, err) = build(&["--out", d, "--isolation", "cut-corporate"]);
    assert_eq!(code, 0, "{err}");
    let before = files_of(&dir);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["isolation"], "cut-corporate");
    assert_eq!(manifest["files"][1]["isolation"], "cut-corporate");
    let (code, _, _) = build(&["--out", d, "--isolation", "nosuch"]);
    assert_eq!(code, 2);
    assert_eq!(files_of(&dir), before);
    let bad = tmp.path().join("bad.conduit");
    fs::write(&bad, "zone a {\n  level 9\n}\n").unwrap();
    let (code, _, _) = conduitc(&["build", bad.to_str().unwrap(), "--out", d]);
    assert_eq!(code, 1);
    assert_eq!(files_of(&dir), before);
}

#[test]
fn out_refuses_to_replace_a_directory_that_is_not_a_build() {
    let tmp = tempfile::tempdir().unwrap();
    let precious = tmp.path().join("home");
    fs::create_dir(&precious).unwrap();
    fs::write(precious.join("notes.txt"), "keep me").unwrap();
    let (code, out, err) = build(&["--out", precious.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("refusing to replace it"), "{err}");
    assert_eq!(
        fs::read_to_string(precious.join("notes.txt")).unwrap(),
        "keep me"
    );
}

fn query(extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["query", PLANT];
    args.extend_from_slice(&TODAY);
    args.extend_from_slice(extra);
    conduitc(&args)
}

#[test]
fn query_names_the_deciding_flow() {
    let (code, out, _) = query(&[
        "--src",
        "10.10.1.5",
        "--dst",
        "10.35.0.10",
        "--proto",
        "tcp",
        "--port",
        "443",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, "allow enterprise-idmz/view-historian\n");
    let (code, out, _) = query(&[
        "--src",
        "10.10.1.5",
        "--dst",
        "10.35.0.10",
        "--proto",
        "tcp",
        "--port",
        "443",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"format_version\":1,\"decision\":\"allow\",\"flow\":\"enterprise-idmz/view-historian\",\"owner\":\"it-sec\",\"also\":[]}\n"
    );
    // The reverse direction is not a flow.
    let (code, out, _) = query(&[
        "--src",
        "10.35.0.10",
        "--dst",
        "10.10.1.5",
        "--proto",
        "tcp",
        "--port",
        "443",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, "deny (no flow matches)\n");
    let (_, out, _) = query(&[
        "--src",
        "10.35.0.10",
        "--dst",
        "10.10.1.5",
        "--proto",
        "6",
        "--port",
        "443",
        "--format",
        "json",
    ]);
    assert_eq!(
        out,
        "{\"format_version\":1,\"decision\":\"deny\",\"flow\":null,\"owner\":null,\"also\":[]}\n"
    );
}

#[test]
fn query_takes_icmp_types_by_name_or_number_and_the_build_options() {
    let ping = |t: &str, extra: &[&str]| {
        let mut a = vec![
            "--src",
            "10.20.0.10",
            "--dst",
            "10.1.10.11",
            "--proto",
            "icmp",
            "--icmp-type",
            t,
        ];
        a.extend_from_slice(extra);
        query(&a)
    };
    let by_name = ping("echo-request", &[]);
    assert_eq!(by_name.0, 0);
    assert!(by_name.1.starts_with("allow "), "{}", by_name.1);
    assert_eq!(ping("8", &[]).1, by_name.1);
    assert_eq!(ping("echo-reply", &[]).1, "deny (no flow matches)\n");
    // Across the cell router, yes; across the OT core firewall, no.
    assert_eq!(ping("8", &["--firewall", "cell-router"]).1, by_name.1);
    assert_eq!(
        ping("8", &["--firewall", "ot-core-fw"]).1,
        "deny (no flow matches)\n"
    );
    let (code, _, err) = ping("bogus", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--icmp-type `bogus`"), "{err}");
    let (code, _, err) = ping("8", &["--isolation", "nosuch"]);
    assert_eq!(code, 2);
    assert!(err.contains("no isolation mode named `nosuch`"), "{err}");
    let (code, _, err) = query(&[
        "--src",
        "10.20.0.10",
        "--dst",
        "10.1.10.11",
        "--proto",
        "tcp",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--port is required"), "{err}");
}

#[test]
fn query_reports_the_monitor_catch_all() {
    let (code, out, _) = query(&[
        "--src",
        "10.1.20.11",
        "--dst",
        "10.20.0.10",
        "--proto",
        "udp",
        "--port",
        "9999",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, "allow supervisory-packaging/*\n");
}

#[test]
fn every_example_builds_for_nftables_and_nft_accepts_it() {
    let ns = Netns::new("ex");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut examples: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "conduit")
                || (p.is_dir()
                    && fs::read_dir(p).unwrap().any(|f| {
                        f.unwrap()
                            .path()
                            .extension()
                            .is_some_and(|x| x == "conduit")
                    }))
        })
        .map(|p| format!("examples/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    examples.sort();
    assert!(examples.len() >= 2, "{examples:?}");
    for ex in &examples {
        for target in ["nftables", "nftables-json"] {
            let (code, text, err) =
                conduitc(&["build", ex, "--today", "2026-12-01", "--target", target]);
            assert_eq!(code, 0, "{ex} {target}: {err}");
            let args: &[&str] = if target == "nftables" {
                &["-c"]
            } else {
                &["-j", "-c"]
            };
            ns.nft_stdin(args, &text)
                .unwrap_or_else(|e| panic!("nft rejects {ex} as {target}: {e}"));
        }
        // Every nftables firewall's file from --out loads too.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let (code, _, err) = conduitc(&[
            "build",
            ex,
            "--today",
            "2026-12-01",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{ex} --out: {err}");
        for (name, bytes) in files_of(&dir) {
            if name.ends_with(".nft") {
                ns.nft_stdin(&["-c"], &String::from_utf8(bytes).unwrap())
                    .unwrap_or_else(|e| panic!("nft rejects {ex} {name}: {e}"));
            }
        }
    }
}

/// A policy that one firewall's platform cannot hold: the nftables file
/// would be fine, the IOS one is refused. The build fails with exit 1, and
/// the directory from the previous build is left exactly as it was.
#[test]
fn an_emission_error_mid_build_leaves_the_previous_output_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("plant.conduit");
    let text = |service: &str| {
        format!(
            "owner ops {{\n  contact \"ops@example.com\"\n}}\n\
             zone a {{\n  level 2\n  owner ops\n  networks 10.1.0.0/24\n  host h = 10.1.0.5\n}}\n\
             zone b {{\n  level 1\n  owner ops\n  networks 10.2.0.0/24\n  host plc = 10.2.0.5\n}}\n\
             conduit ab {{\n  zones a, b\n  owner ops\n  flow f {{\n    from a.h\n    to b.plc\n    service {service}\n    reason \"test\"\n  }}\n}}\n\
             firewall afw {{\n  platform nftables\n  interface \"eth0\" = a\n  interface \"eth1\" = b\n}}\n\
             firewall zfw {{\n  platform cisco-ios\n  interface \"Gi0/0\" = a\n  interface \"Gi0/1\" = b\n}}\n"
        )
    };
    let dir = tmp.path().join("out");
    let (p, d) = (policy.to_str().unwrap(), dir.to_str().unwrap());
    fs::write(&policy, text("modbus")).unwrap();
    let (code, _, err) = conduitc(&["build", p, "--out", d, "--today", "2026-12-01"]);
    assert_eq!(code, 0, "{err}");
    let before = files_of(&dir);
    assert_eq!(before.len(), 3, "afw.nft, zfw.ios and manifest.json");

    // 4,100 separate ports fit nftables, but would take the IOS list past
    // its entry budget: `check` refuses it for the IOS firewall.
    let ports: Vec<String> = (1..=4100).map(|i| format!("tcp/{}", 2 * i)).collect();
    fs::write(&policy, text(&ports.join(", "))).unwrap();
    let (code, out, err) = conduitc(&["build", p, "--out", d, "--today", "2026-12-01"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("error[E606]: firewall `zfw` (cisco-ios): access list conduit-a-in would hold 4102 entries"),
        "{err}"
    );
    assert_eq!(files_of(&dir), before, "the previous build must survive");
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "out" && n != ".out.conduitc" && n != "plant.conduit")
        .collect();
    assert!(
        leftovers.is_empty(),
        "no half-written directory is left behind: {leftovers:?}"
    );
}
