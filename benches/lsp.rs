//! The language server on a generated 10,000-flow policy: the real binary
//! (`conduitc lsp`) spoken to over stdin and stdout by the test client, as
//! an editor would. Two workspaces: the policy in one file, and the same
//! policy in 21 files (zones in one, ten conduits in each of the others).
//! Prints the time from a `didChange` to its `publishDiagnostics`, of a
//! hover right after an edit, of hovers on a flow, a zone and a service,
//! and of a burst of ten changes followed by a hover.
//!
//! Run with `cargo bench --bench lsp`. Wall times are seen by the client,
//! so they include the JSON-RPC round trip and grow when other processes
//! share the cores; next to them is the CPU time the server process spent
//! (user and system, from `/proc/PID/stat`, in clock ticks of 10 ms),
//! which does not. The CPU figure is the mean per operation over all runs.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::timing::ms;
use conduitc_testkit::lsp_client::{uri, Client};
use serde_json::{json, Value};

const RUNS: usize = 10;

/// User plus system CPU time of process `pid`, threads that ended included.
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces), from field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    // Linux reports in USER_HZ, 100 per second on every supported target.
    Duration::from_millis(ticks * 10)
}

/// Wall times of each run and the server's CPU time over all of them.
struct Sample {
    wall: Vec<Duration>,
    cpu: Duration,
}

fn measure(pid: u32, runs: usize, mut f: impl FnMut(usize)) -> Sample {
    let mut wall = Vec::new();
    let c0 = cpu(pid);
    for run in 0..runs {
        let t = Instant::now();
        f(run);
        wall.push(t.elapsed());
    }
    Sample {
        wall,
        cpu: cpu(pid).saturating_sub(c0),
    }
}

fn summary(what: &str, s: Sample) {
    let mut v = s.wall;
    v.sort();
    let n = v.len().max(1);
    let median = v.get(v.len() / 2).copied().unwrap_or_default();
    println!(
        "  {what}: wall median {:.1} ms (min {:.1}, max {:.1}); server CPU {:.1} ms ({} runs)",
        ms(median),
        ms(v.first().copied().unwrap_or_default()),
        ms(v.last().copied().unwrap_or_default()),
        ms(s.cpu) / n as f64,
        v.len()
    );
}

fn line_col(text: &str, at: usize) -> Value {
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": col })
}

/// The file a needle is in, and where.
fn find<'a>(files: &'a [(String, String)], needle: &str, skip: usize) -> (&'a str, Value) {
    for (name, text) in files {
        if let Some(i) = text.find(needle) {
            return (name, line_col(text, i + skip));
        }
    }
    panic!("`{needle}` is in no file")
}

/// Splits the generated policy at its blank lines: owners, services and
/// zones in `zones.conduit`, ten conduits in each `conduits-NN.conduit`.
fn split(text: &str) -> Vec<(String, String)> {
    let mut zones = String::new();
    let mut conduits: Vec<String> = Vec::new();
    let mut n = 0;
    for block in text.split("\n\n") {
        if block.starts_with("conduit ") {
            if n % 10 == 0 {
                conduits.push(String::new());
            }
            n += 1;
            if let Some(last) = conduits.last_mut() {
                last.push_str(block);
                last.push_str("\n\n");
            }
        } else if !block.trim().is_empty() {
            zones.push_str(block);
            zones.push_str("\n\n");
        }
    }
    let mut out = vec![("zones.conduit".to_string(), zones)];
    for (i, c) in conduits.into_iter().enumerate() {
        out.push((format!("conduits-{i:02}.conduit"), c));
    }
    out
}

fn workspace(files: &[(String, String)]) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}"));
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text)
            .unwrap_or_else(|e| panic!("writing the policy: {e}"));
    }
    session(dir.path(), files);
}

fn open(c: &mut Client, path: &Path, text: &str) -> Vec<Value> {
    let u = uri(path);
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": u, "languageId": "conduit", "version": 1, "text": text } }),
    );
    c.wait_diagnostics(&u, |_| true)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn session(root: &Path, files: &[(String, String)]) {
    let start = Instant::now();
    let mut c = Client::spawn(env!("CARGO_BIN_EXE_conduitc"), &["lsp"])
        .unwrap_or_else(|e| panic!("starting conduitc lsp: {e}"));
    c.initialize(root, "2026-12-01", false)
        .unwrap_or_else(|e| panic!("{e}"));
    // The edited file is the one with the first zone's description; hovers
    // go to a flow and a service in the last file and a zone in the first.
    let (edited_name, edited) = files
        .iter()
        .find(|(_, t)| t.contains("Generated zone 0\""))
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .unwrap_or_else(|| panic!("no zone 0"));
    let (hovered_name, hovered) = files
        .last()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .unwrap_or_else(|| panic!("no file"));
    let edited_path = root.join(edited_name);
    let hovered_path = root.join(hovered_name);
    let first = open(&mut c, &edited_path, edited);
    assert!(
        first.iter().all(|d| d["severity"] != json!(1)),
        "the generated policy must check: {first:?}"
    );
    if hovered_name != edited_name {
        open(&mut c, &hovered_path, hovered);
    }
    println!(
        "  start, read and check the workspace, open the files: {:.1} ms (server CPU {:.1} ms)",
        ms(start.elapsed()),
        ms(cpu(c.pid()))
    );
    let hovered_files = [(hovered_name.to_string(), hovered.to_string())];
    let flow_at = find(&hovered_files, "  flow ", 7).1;
    let service_at = find(&hovered_files, "service modbus", 9).1;
    let (zone_file, zone_at) = find(files, "zone z7 ", 5);
    let zone_path = root.join(zone_file);

    let eu = uri(&edited_path);
    let pid = c.pid();
    let mut version = 1;
    let mut edit = |c: &mut Client, tag: &str| {
        // An edit inside one declaration: the text of one description
        // changes (and its length, so that what follows moves).
        version += 1;
        let text = edited.replacen("Generated zone 0\"", &format!("Edited zone {tag}\""), 1);
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": eu, "version": version }, "contentChanges": [{ "text": text }] }),
        );
        version
    };
    let hover = |c: &mut Client, path: &Path, at: &Value| {
        let h = c
            .request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": uri(path) }, "position": at }),
            )
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("hover failed: {e}"));
        assert!(h["contents"]["value"].is_string(), "a hover answer: {h}");
    };

    let s = measure(pid, RUNS, |run| {
        edit(&mut c, &format!("{run:02}"));
        c.wait_diagnostics(&eu, |_| true)
            .unwrap_or_else(|e| panic!("{e}"));
    });
    summary("didChange to publishDiagnostics", s);
    let s = measure(pid, RUNS, |run| {
        edit(&mut c, &format!("again {run:02}"));
        hover(&mut c, &hovered_path, &flow_at);
    });
    summary("didChange then hover, to the hover answer", s);
    // Let the last edit's diagnostics arrive before the hovers alone.
    let _ = c.wait_diagnostics(&eu, |_| true);
    let s = measure(pid, RUNS, |_| hover(&mut c, &hovered_path, &flow_at));
    summary("hover on a flow", s);
    let s = measure(pid, RUNS, |_| hover(&mut c, &zone_path, &zone_at));
    summary("hover on a zone", s);
    let s = measure(pid, RUNS, |_| hover(&mut c, &hovered_path, &service_at));
    summary("hover on a service", s);
    // Few runs: before changes were taken together, each cost a full check.
    let s = measure(pid, 3, |run| {
        for k in 0..10 {
            edit(&mut c, &format!("burst {run:02} {k}"));
        }
        // The answer comes after every change before it is applied.
        hover(&mut c, &hovered_path, &flow_at);
    });
    summary("ten didChange at once, then hover, to the hover answer", s);
    let status = c.shutdown().unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
}

fn main() {
    let text = common::plant(200, 10_000);
    println!(
        "policy: 200 zones, 10000 flows, {:.1} MiB",
        text.len() as f64 / (1024.0 * 1024.0)
    );
    println!("one file:");
    workspace(&[("plant.conduit".to_string(), text.clone())]);
    let files = split(&text);
    println!("{} files:", files.len());
    workspace(&files);
}
