//! SARIF 2.1.0 output of `conduitc check --format sarif`, as GitHub code
//! scanning and other SARIF viewers accept it.
//!
//! One run; `tool.driver.rules` lists every code of the table (id = code,
//! name = slug, descriptions and help from the table), so a viewer can show
//! the explanation of any result. Each result carries `ruleId`, `ruleIndex`,
//! `level` (`error` or `warning`), `message.text` (with the help appended),
//! one physical location, the secondary labels as `relatedLocations`, and
//! `partialFingerprints` with one key, `conduitc/v1`: the fingerprint of
//! [`ci::fingerprints`], which survives unrelated line shifts. Rules for
//! codes that report a weakness in what a policy lets through carry
//! `properties.security-severity` ([`ci::security_severity`]). The run has
//! one invocation: `executionSuccessful` is false when the command stopped
//! on an error (exit status 2), which is then a
//! `toolExecutionNotifications` entry, not a result.
//! Columns count Unicode code points (`"columnKind": "unicodeCodePoints"`);
//! `endColumn` is exclusive, as SARIF defines it. Artifact URIs are the file
//! paths as given on the command line, with `/` separators and
//! percent-encoding; absolute paths become `file://` URIs.
//!
//! A minimal result:
//!
//! ```json
//! {
//!   "ruleId": "W107", "ruleIndex": 48, "level": "warning",
//!   "message": { "text": "conduit `line` is in monitor mode" },
//!   "locations": [{ "physicalLocation": {
//!     "artifactLocation": { "uri": "policy/conduits.conduit" },
//!     "region": { "startLine": 9, "startColumn": 3, "endLine": 9, "endColumn": 15 } } }]
//! }
//! ```

use serde_json::{json, Value};

use super::ci;
use crate::diag::{Code, Diagnostic, Diagnostics, Label, Severity};
use crate::source::Sources;

/// Where the SARIF `informationUri` points: the package's registry page.
pub const INFORMATION_URI: &str = "https://crates.io/crates/conduitc";

/// Renders diagnostics as a SARIF 2.1.0 log (pretty-printed, newline-terminated).
/// An internal error (E999) among them is a tool execution notification,
/// not a result, and marks the invocation unsuccessful.
pub fn sarif(diagnostics: &Diagnostics, sources: &Sources) -> String {
    let (failures, findings): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
        diagnostics.iter().partition(|d| d.code == Code::Internal);
    log(&findings, &failures, sources)
}

/// Renders the error that stopped a command (a usage error, a path that
/// cannot be read: exit status 2) as a SARIF 2.1.0 log with no results: the
/// invocation is marked unsuccessful and each diagnostic is a tool
/// execution notification, so a code-scanning upload still gets a valid log.
pub fn sarif_error(diagnostics: &Diagnostics, sources: &Sources) -> String {
    let failures: Vec<&Diagnostic> = diagnostics.iter().collect();
    log(&[], &failures, sources)
}

fn log(findings: &[&Diagnostic], failures: &[&Diagnostic], sources: &Sources) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            let mut rule = json!({
                "id": c.as_str(),
                "name": c.slug(),
                "shortDescription": { "text": c.title() },
                "fullDescription": { "text": c.explain() },
                "help": {
                    "text": c.fix(),
                    "markdown": format!("{}\n\n**How to fix:** {}", c.explain(), c.fix()),
                },
                "defaultConfiguration": { "level": level(c.severity()) },
            });
            if let (Some(sev), Some(o)) = (ci::security_severity(*c), rule.as_object_mut()) {
                o.insert(
                    "properties".into(),
                    json!({ "security-severity": format!("{sev:.1}"), "tags": ["security"] }),
                );
            }
            rule
        })
        .collect();
    let owned = Diagnostics::new(findings.iter().map(|d| (*d).clone()).collect());
    let prints = ci::fingerprints(&ci::annotations(&owned, sources));
    let results: Vec<Value> = owned
        .iter()
        .zip(&prints)
        .map(|(d, print)| {
            let related: Vec<Value> = d
                .secondary
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut loc = location(sources, l);
                    if let Some(o) = loc.as_object_mut() {
                        o.insert("id".into(), json!(i + 1));
                        o.insert("message".into(), json!({ "text": l.message }));
                    }
                    loc
                })
                .collect();
            let mut r = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rule_index(d.code),
                "level": level(d.severity()),
                "message": { "text": text(d) },
                "locations": [location(sources, &d.primary)],
                "partialFingerprints": { (FINGERPRINT): print },
            });
            if !related.is_empty() {
                if let Some(o) = r.as_object_mut() {
                    o.insert("relatedLocations".into(), Value::Array(related));
                }
            }
            r
        })
        .collect();
    let notifications: Vec<Value> = failures
        .iter()
        .map(|d| {
            let mut n = json!({
                "level": "error",
                "message": { "text": text(d) },
                "descriptor": { "id": d.code.as_str(), "index": rule_index(d.code) },
            });
            if !sources.name(d.primary.span.file).starts_with('<') {
                if let Some(o) = n.as_object_mut() {
                    o.insert("locations".into(), json!([location(sources, &d.primary)]));
                }
            }
            n
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "conduitc",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": failures.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    super::json_safe(s)
}

/// The key of conduitc's fingerprint in `partialFingerprints`.
const FINGERPRINT: &str = "conduitc/v1";

fn rule_index(code: Code) -> usize {
    Code::ALL.iter().position(|c| *c == code).unwrap_or(0)
}

/// The message with the help appended.
fn text(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(h) = &d.help {
        text.push_str(&format!(" (help: {h})"));
    }
    text
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn location(sources: &Sources, label: &Label) -> Value {
    let ((sl, sc), (el, ec)) = super::position(sources, label.span);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(sources.name(label.span.file)) },
            "region": { "startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec },
        }
    })
}

/// A relative URI reference for a path (`/` separators, percent-encoded).
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let (prefix, rest) = if path.starts_with('/') {
        ("file://", path.as_str())
    } else if path.as_bytes().get(1) == Some(&b':') {
        // A Windows drive path: `C:/x` becomes `file:///C:/x`.
        ("file:///", path.as_str())
    } else {
        ("", path.strip_prefix("./").unwrap_or(&path))
    };
    let mut out = String::from(prefix);
    for b in rest.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || (b == b':' && !prefix.is_empty()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(uri("policy/a b.conduit"), "policy/a%20b.conduit");
        assert_eq!(uri("./x.conduit"), "x.conduit");
        assert_eq!(uri("/srv/p/x.conduit"), "file:///srv/p/x.conduit");
    }
}
