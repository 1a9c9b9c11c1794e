//! `conduitc paths` and `conduitc graph` from the command line, on the
//! bundled bottling plant.

use std::process::Command;

fn conduitc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run conduitc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const PLANT: &str = "examples/bottling-plant.conduit";

#[test]
fn vendor_reaches_supervisory_only_through_the_jump_host() {
    let (code, out, _) = conduitc(&[
        "paths",
        PLANT,
        "--from",
        "vendor",
        "--to",
        "supervisory",
        "--today",
        "2026-12-01",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("1 path from vendor to supervisory\n"),
        "{out}"
    );
    assert!(out.contains("1. vendor -> idmz -> supervisory"), "{out}");
    assert!(
        out.contains("vendor-idmz/oem-remote-support (tcp/443)"),
        "{out}"
    );
}

#[test]
fn isolation_mode_cuts_the_vendor_paths() {
    let (code, out, _) = conduitc(&[
        "paths",
        PLANT,
        "--from",
        "vendor",
        "--to",
        "supervisory",
        "--today",
        "2026-12-01",
        "--isolation",
        "cut-corporate",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, "no path from vendor to supervisory\n");
}

#[test]
fn paths_json_lists_hops() {
    let (code, out, _) = conduitc(&[
        "paths",
        PLANT,
        "--from",
        "vendor",
        "--to",
        "supervisory",
        "--today",
        "2026-12-01",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["paths"][0]["zones"],
        serde_json::json!(["vendor", "idmz", "supervisory"])
    );
    assert_eq!(v["paths"][0]["hops"][1]["flow"], "idmz-supervisory/eng-rdp");
    assert_eq!(v["truncated"], false);
}

#[test]
fn unknown_zone_is_a_usage_error() {
    let (code, out, err) = conduitc(&[
        "paths",
        PLANT,
        "--from",
        "nowhere",
        "--to",
        "control",
        "--today",
        "2026-12-01",
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("no zone named `nowhere`"), "{err}");
}

#[test]
fn graph_draws_levels_and_conduits() {
    let (code, out, _) = conduitc(&["graph", PLANT, "--today", "2026-12-01"]);
    assert_eq!(code, 0);
    assert!(out.contains("label=\"Level 3.5\""), "{out}");
    assert!(
        out.contains("style=dashed"),
        "the monitor-mode conduit is dashed: {out}"
    );
    let (code, out, _) = conduitc(&[
        "graph",
        PLANT,
        "--today",
        "2026-12-01",
        "--format",
        "mermaid",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("flowchart TB\n"));
}

#[test]
fn graph_of_a_broken_policy_prints_nothing_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.conduit");
    std::fs::write(&f, "zone a { level 7 }\n").unwrap();
    let (code, out, err) = conduitc(&["graph", f.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("error"), "{err}");
}
