//! The JSON output of `conduitc check --format json`.
//!
//! A stable contract (changes are noted in CHANGELOG.md):
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "diagnostics": [
//!     {
//!       "code": "E202",
//!       "severity": "error",
//!       "message": "no zone named `contrl`",
//!       "file": "policy/conduits.conduit",
//!       "line": 12,
//!       "column": 10,
//!       "end": { "line": 12, "column": 16 },
//!       "help": "did you mean `control`?",
//!       "labels": [
//!         {
//!           "file": "policy/zones.conduit",
//!           "line": 3,
//!           "column": 6,
//!           "end": { "line": 3, "column": 13 },
//!           "message": "zone `control` is declared here"
//!         }
//!       ]
//!     }
//!   ],
//!   "policy": null
//! }
//! ```
//!
//! Lines and columns are 1-based; columns count Unicode scalar values; `end`
//! is the position just past the span. `help` is `null` when there is none.
//! `labels` are the related places (SARIF's `relatedLocations`), in order,
//! each with its position and message (possibly empty); `[]` when there is
//! none.
//! `format_version` is [`FORMAT_VERSION`](super::FORMAT_VERSION);
//! docs/schema/check.schema.json is the schema.
//! `policy` is the checked model when there are no errors, else `null`.

use serde::Serialize;

use crate::diag::Diagnostics;
use crate::model::Policy;
use crate::source::Sources;

#[derive(Serialize)]
struct Report<'a> {
    format_version: u32,
    diagnostics: Vec<Wire<'a>>,
    policy: Option<&'a Policy>,
}

#[derive(Serialize)]
struct Wire<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end: Pos,
    help: Option<&'a str>,
    labels: Vec<WireLabel<'a>>,
}

#[derive(Serialize)]
struct WireLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end: Pos,
    message: &'a str,
}

#[derive(Serialize)]
struct Pos {
    line: usize,
    column: usize,
}

/// Renders diagnostics and the policy (if any) as one pretty-printed JSON
/// object, ending in a newline.
pub fn json(diagnostics: &Diagnostics, sources: &Sources, policy: Option<&Policy>) -> String {
    let report = Report {
        format_version: super::FORMAT_VERSION,
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let ((line, column), (el, ec)) = super::position(sources, d.primary.span);
                Wire {
                    code: d.code.as_str(),
                    severity: d.severity().as_str(),
                    message: &d.message,
                    file: sources.name(d.primary.span.file),
                    line,
                    column,
                    end: Pos {
                        line: el,
                        column: ec,
                    },
                    help: d.help.as_deref(),
                    labels: d
                        .secondary
                        .iter()
                        .map(|l| {
                            let ((line, column), (el, ec)) = super::position(sources, l.span);
                            WireLabel {
                                file: sources.name(l.span.file),
                                line,
                                column,
                                end: Pos {
                                    line: el,
                                    column: ec,
                                },
                                message: &l.message,
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
        policy,
    };
    let mut s = serde_json::to_string_pretty(&report)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise: {e}\"}}"));
    s.push('\n');
    super::json_safe(s)
}
