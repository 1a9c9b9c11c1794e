//! A [`Run`] as `conduitc test` prints it: text like a test runner, JSON,
//! JUnit XML, or annotations for CI systems (docs/cli.md, "test", describes each).

use std::fmt::Write as _;

use serde::Serialize;

use super::{Kind, Outcome, Run};
use crate::diag::render::ci::{Annotation, Level, Region};
use crate::diag::render::versioned_json;
use crate::model::service::icmp_type_name;
use crate::semantics::Packet;
use crate::source::escape_control;

/// A packet in words: `tcp 10.0.0.1 -> 10.1.0.5 port 502`,
/// `icmp 10.0.0.1 -> 10.1.0.5 type echo-request`, `proto 47 10.0.0.1 -> 10.1.0.5`.
pub fn packet_text(p: &Packet) -> String {
    let proto = match p.proto {
        6 => "tcp".to_string(),
        17 => "udp".to_string(),
        1 => "icmp".to_string(),
        58 => "icmpv6".to_string(),
        n => format!("proto {n}"),
    };
    let mut s = format!("{proto} {} -> {}", p.src, p.dst);
    if let Some(port) = p.dport {
        let _ = write!(s, " port {port}");
    }
    if let Some(t) = p.icmp_type {
        match icmp_type_name(t, p.proto == 58) {
            Some(name) => {
                let _ = write!(s, " type {name}");
            }
            None => {
                let _ = write!(s, " type {t}");
            }
        }
    }
    s
}

fn location(o: &Outcome) -> String {
    format!("{}:{}:{}", escape_control(&o.file), o.line, o.column)
}

/// One line per assertion (`PASS file:line:col  expect ...`); under a
/// passed `allow` the flows that admit the packets, under a failed
/// assertion its reason, counter-example and deciding flow; then
/// `N passed, M failed`.
pub fn text(run: &Run) -> String {
    let mut s = String::new();
    for o in &run.outcomes {
        let _ = writeln!(
            s,
            "{} {}  {}",
            if o.passed { "PASS" } else { "FAIL" },
            location(o),
            escape_control(&o.assertion)
        );
        if o.passed {
            if o.kind == Kind::Allow {
                let _ = writeln!(
                    s,
                    "     admitted by: {}",
                    escape_control(&o.flows.join(", "))
                );
            }
            continue;
        }
        let _ = writeln!(s, "     {}", escape_control(&o.message));
        if let Some(p) = &o.counterexample {
            let _ = writeln!(s, "     counter-example: {}", packet_text(p));
            match &o.decided_by {
                Some(f) => {
                    let _ = writeln!(s, "     decided by: allow {f}");
                }
                None => {
                    let _ = writeln!(s, "     decided by: deny (no flow matches)");
                }
            }
        }
    }
    let _ = writeln!(s, "{} passed, {} failed", run.passed(), run.failed());
    s
}

#[derive(Serialize)]
struct JsonRun<'a> {
    passed: usize,
    failed: usize,
    tests: &'a [Outcome],
}

/// `{"format_version":1,"passed":N,"failed":M,"tests":[...]}`,
/// pretty-printed, with one object per assertion (the fields of
/// [`Outcome`]).
pub fn json(run: &Run) -> String {
    let doc = JsonRun {
        passed: run.passed(),
        failed: run.failed(),
        tests: &run.outcomes,
    };
    match versioned_json(&doc) {
        Ok(j) => j,
        // Serialising plain strings, numbers and lists cannot fail.
        Err(e) => format!("{{\"error\":{:?}}}\n", e.to_string()),
    }
}

/// The failed assertions as annotations for `--format github` and
/// `gitlab`: an error at the assertion, titled `assertion-failed`, with the
/// reason, counter-example and deciding flow; keyed by the assertion's
/// text, so its fingerprint survives unrelated line shifts.
pub fn annotations(run: &Run) -> Vec<Annotation> {
    run.outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| {
            let mut message = format!("{}: {}", o.assertion, o.message);
            if let Some(p) = &o.counterexample {
                let _ = write!(message, "\ncounter-example: {}", packet_text(p));
                let _ = write!(
                    message,
                    "\ndecided by: {}",
                    o.decided_by
                        .as_deref()
                        .map_or("deny (no flow matches)".to_string(), |f| format!(
                            "allow {f}"
                        ))
                );
            }
            Annotation {
                level: Level::Error,
                code: "assertion-failed".to_string(),
                message,
                file: Some(o.file.clone()),
                region: Some(Region {
                    line: o.line,
                    column: o.column,
                    end_line: o.line,
                    end_column: o.column + o.assertion.chars().count(),
                }),
                key: o.assertion.clone(),
                gitlab_severity: "critical",
            }
        })
        .collect()
}

/// Text for an XML attribute or element: `&`, `<`, `>`, `"` and `'`
/// escaped, and characters XML 1.0 cannot hold (control characters other
/// than tab and line ends) written out as `U+XXXX`.
pub fn xml_escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            '\t' | '\n' | '\r' => s.push(c),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(s, "U+{:04X}", c as u32);
            }
            c => s.push(c),
        }
    }
    s
}

/// JUnit XML: one `<testsuite>` per assertion file, one `<testcase>` per
/// assertion (named `line N: expect ...`), a failed one holding a
/// `<failure>` with the reason, counter-example and deciding flow.
pub fn junit(run: &Run) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"conduitc test\" tests=\"{}\" failures=\"{}\">",
        run.outcomes.len(),
        run.failed()
    );
    let mut files: Vec<&str> = Vec::new();
    for o in &run.outcomes {
        if !files.contains(&o.file.as_str()) {
            files.push(&o.file);
        }
    }
    for file in files {
        let cases: Vec<&Outcome> = run.outcomes.iter().filter(|o| o.file == file).collect();
        let failed = cases.iter().filter(|o| !o.passed).count();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
            xml_escape(file),
            cases.len()
        );
        for o in cases {
            let _ = write!(
                s,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
                xml_escape(&format!("line {}: {}", o.line, o.assertion)),
                xml_escape(file),
                xml_escape(file),
                o.line
            );
            if o.passed {
                s.push_str("/>\n");
                continue;
            }
            s.push_str(">\n");
            let mut body = format!("{}: {}\n{}\n", location(o), o.assertion, o.message);
            if let Some(p) = &o.counterexample {
                let _ = writeln!(body, "counter-example: {}", packet_text(p));
                let _ = writeln!(
                    body,
                    "decided by: {}",
                    o.decided_by
                        .as_deref()
                        .map_or("deny (no flow matches)".to_string(), |f| format!(
                            "allow {f}"
                        ))
                );
            }
            let _ = writeln!(
                s,
                "      <failure message=\"{}\" type=\"assertion\">{}</failure>",
                xml_escape(&o.message),
                xml_escape(&body)
            );
            s.push_str("    </testcase>\n");
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}
