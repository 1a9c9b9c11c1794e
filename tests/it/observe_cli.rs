//! `conduitc observe` from the command line: the sample logs of every
//! format under examples/logs/ against the bottling plant (golden reports),
//! the candidate flows as conduit text that `fmt` accepts and `check`
//! refuses until the placeholders are filled in, exit statuses, `--since`,
//! `--firewall`, `--isolation`, the firewall a line names, standard input,
//! malformed lines and logs that cannot be read.

use std::path::Path;
use std::process::{Command, Stdio};

use std::io::Write as _;

const PLANT: &str = "examples/bottling-plant.conduit";
const TODAY: [&str; 2] = ["--today", "2026-12-05"];

fn conduitc_stdin(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conduitc"))
        .args(args)
        .args(["--color", "never"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run conduitc");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn conduitc(args: &[&str]) -> (i32, String, String) {
    conduitc_stdin(args, "")
}

fn observe(logs: &[&str], extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["observe", PLANT];
    args.extend(TODAY);
    for l in logs {
        args.push("--log");
        args.push(l);
    }
    args.extend(extra);
    conduitc(&args)
}

const SAMPLES: [(&str, &str); 5] = [
    ("kernel", "examples/logs/ot-core-fw.kern.log"),
    ("zeek_tsv", "examples/logs/control-room.conn.log"),
    ("zeek_json", "examples/logs/control-room.conn.json"),
    ("cisco_ios", "examples/logs/cell-router.ios.log"),
    ("fortios", "examples/logs/plant-edge-fw.fortios.log"),
];

#[test]
fn each_sample_log_is_detected_and_reconciled() {
    for (name, path) in SAMPLES {
        let (code, out, err) = observe(&[path], &[]);
        assert_eq!(code, 1, "{path}: undeclared traffic is exit 1; {err}");
        let format = name.replace('_', "-");
        assert!(
            out.starts_with(&format!("{path}: {format}, ")),
            "{path}: {out}"
        );
        insta::assert_snapshot!(format!("observe_{name}"), out);
    }
}

#[test]
fn the_sample_logs_together_as_json() {
    let logs: Vec<&str> = SAMPLES.iter().map(|(_, p)| *p).collect();
    let (code, out, _) = observe(&logs, &["--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let n = |k: &str| v[k].as_u64().unwrap();
    assert_eq!(n("connections"), n("allowed") + n("undeclared"));
    let per_file: u64 = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["connections"].as_u64().unwrap())
        .sum();
    assert_eq!(per_file, n("connections"));
    let per_candidate: u64 = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["connections"].as_u64().unwrap())
        .sum();
    assert_eq!(per_candidate, n("undeclared"));
    insta::assert_snapshot!("observe_all_json", out);
}

#[test]
fn candidates_as_conduit_text_are_formatted_and_refused_until_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let logs: Vec<&str> = SAMPLES.iter().map(|(_, p)| *p).collect();
    let (code, text, err) = observe(&logs, &["--format", "conduit"]);
    assert_eq!(code, 1);
    // Malformed lines are named on stderr, since stdout is the declarations.
    assert!(
        err.contains("examples/logs/control-room.conn.log:15: 4 fields where #fields names 21"),
        "{err}"
    );
    insta::assert_snapshot!("observe_candidates_conduit", text);
    let cand = dir.path().join("candidates.conduit");
    std::fs::write(&cand, &text).unwrap();
    let cand = cand.to_str().unwrap();

    let (code, _, err) = conduitc(&["fmt", "--check", cand]);
    assert_eq!(code, 0, "fmt --check: {err}");
    assert_eq!(std::fs::read_to_string(cand).unwrap(), text);

    // Unfilled: refused, for the placeholders and nothing else.
    let mut args = vec!["check", PLANT, cand];
    args.extend(TODAY);
    let (code, _, err) = conduitc(&args);
    assert_eq!(code, 1, "{err}");
    let codes: std::collections::BTreeSet<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("error["))
        .filter_map(|l| l.get(..4))
        .collect();
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        ["E111", "E202"],
        "{err}"
    );
    assert!(err.contains("no owner named `fill-in-owner`"), "{err}");
    assert!(err.contains("has no `reason`"), "{err}");

    // Filled in: the policy and the candidates check clean, and the
    // traffic they describe is then allowed.
    let filled = text
        .replace("owner fill-in-owner", "owner plant-ops")
        .replace(
            "# reason \"why this flow is needed\"",
            "reason \"reviewed after the baseline\"",
        );
    let filled_path = dir.path().join("filled.conduit");
    std::fs::write(&filled_path, &filled).unwrap();
    let filled_path = filled_path.to_str().unwrap();
    let mut args = vec!["check", PLANT, filled_path];
    args.extend(TODAY);
    let (code, _, err) = conduitc(&args);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("error["), "{err}");
    let mut args = vec!["observe", PLANT, filled_path];
    args.extend(TODAY);
    for l in &logs {
        args.push("--log");
        args.push(l);
    }
    let (code, out, _) = conduitc(&args);
    // What is left is what a flow cannot change: SCADA reaching the
    // internet, logged at the cell router, which has no internet side (the
    // candidate text says so).
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("(1 candidate flow, 1 connection):\n       1  supervisory.scada -> internet  https  (dropped)\n"),
        "{out}"
    );
    assert!(text.contains("  # Logged at cell-router, which does not join these two zones: this flow does not change what cell-router passes.\n  flow scada-to-internet-https {"), "{text}");
    assert_eq!(text.matches("# Logged at").count(), 1, "{text}");
}

#[test]
fn traffic_that_is_all_declared_exits_zero_and_since_skips_older_lines() {
    let zeek =
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n\
        1796371201.0\tC1\t10.20.0.10\t49201\t10.1.10.11\t502\ttcp\n\
        1796371202.0\tC2\t10.20.0.10\t8\t10.1.10.14\t0\ticmp\n";
    let mut args = vec!["observe", PLANT, "--log", "-"];
    args.extend(TODAY);
    let (code, out, err) = conduitc_stdin(&args, zeek);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2 connections: 2 allowed by a declared flow, 0 not"),
        "{out}"
    );
    assert!(out.contains("1  supervisory-control/plc-io\n"), "{out}");
    assert!(out.contains("1  supervisory-control/plc-ping\n"), "{out}");

    // Every FortiOS line is dated 2026-12-04: --since the day after skips them all.
    let (code, out, _) = observe(
        &["examples/logs/plant-edge-fw.fortios.log"],
        &["--since", "2026-12-05"],
    );
    assert_eq!(code, 0);
    assert!(out.contains("0 connections, 9 before --since"), "{out}");
    let (code, _, _) = observe(
        &["examples/logs/plant-edge-fw.fortios.log"],
        &["--since", "2026-12-04"],
    );
    assert_eq!(code, 1);
}

#[test]
fn a_connection_is_judged_at_the_firewall_that_logged_it() {
    // SCADA polling a PLC is declared (supervisory-control/plc-io), but the
    // conduit does not cross the plant edge: logged there, it is not a flow
    // of that firewall.
    let line = |dev: &str| {
        format!("date=2026-12-04 time=08:00:00 {dev}type=\"traffic\" srcip=10.20.0.10 srcport=40000 dstip=10.1.10.11 dstport=502 proto=6 action=\"accept\"\n")
    };
    let mut args = vec!["observe", PLANT, "--log", "-"];
    args.extend(TODAY);
    let (code, out, _) = conduitc_stdin(&args, &line(""));
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = conduitc_stdin(&args, &line("devname=\"cell-router\" "));
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = conduitc_stdin(&args, &line("devname=\"plant-edge-fw\" "));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("supervisory.scada -> control.filler-plc  modbus  (dropped)"),
        "{out}"
    );
    // --firewall applies to lines that name no declared firewall.
    let mut fw = args.clone();
    fw.extend(["--firewall", "plant-edge-fw"]);
    let (code, _, _) = conduitc_stdin(&fw, &line(""));
    assert_eq!(code, 1);
    let (code, _, _) = conduitc_stdin(&fw, &line("devname=\"cell-router\" "));
    assert_eq!(code, 0);
    // --isolation: cutting the corporate side makes office access undeclared.
    let office =
        "date=2026-12-04 type=\"traffic\" srcip=10.10.31.77 dstip=10.35.0.10 dstport=443 proto=6\n";
    let (code, _, _) = conduitc_stdin(&args, office);
    assert_eq!(code, 0);
    let mut iso = args.clone();
    iso.extend(["--isolation", "cut-corporate"]);
    let (code, out, _) = conduitc_stdin(&iso, office);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("enterprise -> idmz.hist-mirror  https  (dropped)"),
        "{out}"
    );
}

#[test]
fn malformed_lines_are_counted_and_listed_with_their_numbers() {
    let mut log = String::from(
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n",
    );
    for i in 0..12 {
        log.push_str(&format!(
            "1796371201.0\tC{i}\t10.20.0.x\t1\t10.1.10.11\t502\ttcp\n"
        ));
    }
    log.push_str(&"x".repeat(70_000));
    log.push('\n');
    log.push_str("1796371201.0\tC1\t10.20.0.10\t49201\t10.1.10.11\t502\ttcp\n");
    let mut args = vec!["observe", PLANT, "--log", "-"];
    args.extend(TODAY);
    let (code, out, _) = conduitc_stdin(&args, &log);
    assert_eq!(code, 0, "the one good line is declared: {out}");
    assert!(
        out.contains("-: zeek-tsv, 16 lines, 1 connection, 13 malformed lines"),
        "{out}"
    );
    assert!(
        out.contains("  -:3: id.orig_h `10.20.0.x` is not an address\n"),
        "{out}"
    );
    assert!(out.contains("  -:12: id.orig_h"), "{out}");
    assert!(
        !out.contains("  -:13:"),
        "only the first 10 are listed: {out}"
    );
    assert!(out.contains("  ... and 3 more\n"), "{out}");
    let (_, json, _) = conduitc_stdin(&[args.as_slice(), &["--format", "json"]].concat(), &log);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["files"][0]["malformed"], 13);
    assert_eq!(v["files"][0]["malformed_lines"][0]["line"], 3);
}

#[test]
fn logs_that_cannot_be_read_are_coded_errors_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.log");
    let missing = missing.to_str().unwrap();
    let (code, out, err) = observe(&[missing], &[]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("error[E830]") && err.contains(missing),
        "{err}"
    );

    let (code, _, err) = observe(&[dir.path().to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("error[E830]") && err.contains("is a directory"),
        "{err}"
    );

    let prose = dir.path().join("notes.txt");
    std::fs::write(&prose, "Shift notes: filler jammed at 08:10.\nNo alarms.\n").unwrap();
    let (code, out, err) = observe(&[prose.to_str().unwrap()], &[]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("error[E831]") && err.contains("notes.txt"),
        "{err}"
    );

    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let (code, out, _) = observe(&[empty.to_str().unwrap()], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("empty.log: empty, 0 lines, 0 connections"),
        "{out}"
    );
    assert!(Path::new(PLANT).is_relative());
}
