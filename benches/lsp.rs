//! The language server on a generated 10,000-flow policy: the real binary
//! (`conduitc lsp`) spoken to over stdin and stdout by the test client, as
//! an editor would. Prints the time from a `didChange` of the policy file to
//! its `publishDiagnostics`, and of a hover on a flow, a zone and a service
//! after an edit.
//!
//! Run with `cargo bench --bench lsp`. The times are wall-clock times seen
//! by the client, so they include the JSON-RPC round trip and grow when
//! other processes share the cores.

mod common;

use std::time::{Duration, Instant};

use common::timing::ms;
use conduitc_testkit::lsp_client::{uri, Client};
use serde_json::json;

const RUNS: usize = 10;

fn summary(what: &str, mut v: Vec<Duration>) {
    v.sort();
    let median = v.get(v.len() / 2).copied().unwrap_or_default();
    let max = v.last().copied().unwrap_or_default();
    println!(
        "{what}: min {:.1} ms, median {:.1} ms, max {:.1} ms ({} runs)",
        ms(v.first().copied().unwrap_or_default()),
        ms(median),
        ms(max),
        v.len()
    );
}

fn main() {
    let text = common::plant(200, 10_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}"));
    let path = dir.path().join("plant.conduit");
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("writing the policy: {e}"));
    println!(
        "policy: 200 zones, 10000 flows, {:.1} MiB in one file",
        text.len() as f64 / (1024.0 * 1024.0)
    );

    let start = Instant::now();
    let mut c = Client::spawn(env!("CARGO_BIN_EXE_conduitc"), &["lsp"])
        .unwrap_or_else(|e| panic!("starting conduitc lsp: {e}"));
    c.initialize(dir.path(), "2026-12-01", false)
        .unwrap_or_else(|e| panic!("{e}"));
    let u = uri(&path);
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": u, "languageId": "conduit", "version": 1, "text": text } }),
    );
    let first = c
        .wait_diagnostics(&u, |_| true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        first.iter().all(|d| d["severity"] != json!(1)),
        "the generated policy must check"
    );
    println!(
        "start, read and check the workspace, open the file: {:.1} ms",
        ms(start.elapsed())
    );

    // Find a flow, a zone and a service to hover.
    let flow_at = text.find("  flow ").unwrap_or(0) + 7;
    let line_col = |at: usize| {
        let line = text[..at].matches('\n').count();
        let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
        json!({ "line": line, "character": col })
    };
    let zone_at = text.find("zone z7 ").unwrap_or(0) + 5;
    let service_at = text.find("service modbus").unwrap_or(0) + 9;

    let (mut change, mut hover_flow, mut hover_zone, mut hover_service) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        // An edit that keeps offsets: the text of one description changes.
        let edited = text.replacen("Generated zone 0\"", &format!("Edited zone {run:02}\""), 1);
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": u, "version": run + 2 }, "contentChanges": [{ "text": edited }] }),
        );
        c.wait_diagnostics(&u, |_| true)
            .unwrap_or_else(|e| panic!("{e}"));
        change.push(t.elapsed());
        for (at, out) in [
            (flow_at, &mut hover_flow),
            (zone_at, &mut hover_zone),
            (service_at, &mut hover_service),
        ] {
            let t = Instant::now();
            let h = c
                .request(
                    "textDocument/hover",
                    json!({ "textDocument": { "uri": u }, "position": line_col(at) }),
                )
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("hover failed: {e}"));
            out.push(t.elapsed());
            assert!(h["contents"]["value"].is_string(), "a hover answer: {h}");
        }
    }
    // An edit and, at once, a hover: the answer waits for the new analysis.
    let mut change_hover = Vec::new();
    for run in 0..RUNS {
        let edited = text.replacen("Generated zone 0\"", &format!("Again zone {run:02}\""), 1);
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": u, "version": RUNS + run + 2 }, "contentChanges": [{ "text": edited }] }),
        );
        c.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": u }, "position": line_col(flow_at) }),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("hover failed: {e}"));
        change_hover.push(t.elapsed());
    }
    summary(
        "didChange to publishDiagnostics (whole policy re-checked)",
        change,
    );
    summary("didChange then hover, to the hover answer", change_hover);
    summary("hover on a flow after an edit", hover_flow);
    summary("hover on a zone after an edit", hover_zone);
    summary("hover on a service after an edit", hover_service);
    let status = c.shutdown().unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
}
