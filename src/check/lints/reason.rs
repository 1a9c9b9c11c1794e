//! `W114 placeholder-reason`: a flow whose `reason` is a placeholder
//! (`tbd`, `temp`, `todo`, ...) or shorter than [`MIN_REASON_CHARS`]
//! characters.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::limits::MIN_REASON_CHARS;

/// Reasons that stand for a reason not yet written, compared without case,
/// surrounding spaces and trailing `.`, `!` or `?`.
const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change me",
    "fixme",
    "n/a",
    "none",
    "pending",
    "placeholder",
    "reason",
    "tba",
    "tbc",
    "tbd",
    "temp",
    "temporary",
    "test",
    "testing",
    "to do",
    "todo",
    "unknown",
    "xxx",
];

/// Why `reason` is a placeholder, if it is one.
pub(crate) fn placeholder(reason: &str) -> Option<&'static str> {
    let r = reason.trim();
    let word = r
        .trim_end_matches(['.', '!', '?'])
        .trim()
        .to_ascii_lowercase();
    if PLACEHOLDERS.contains(&word.as_str()) {
        Some("a placeholder")
    } else if r.chars().count() < MIN_REASON_CHARS {
        Some("too short to say why")
    } else {
        None
    }
}

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        for (fi, f) in conduit.flows.iter().enumerate() {
            let Some(why) = placeholder(&f.reason) else {
                continue;
            };
            let d = Diagnostic::new(
                Code::PlaceholderReason,
                c.flow_attr_span(ci, fi, |d| d.reason),
                format!(
                    "flow `{}` gives the reason \"{}\", which is {why}",
                    f.full_name, f.reason
                ),
            )
            .label("placeholder reason")
            .help("say what the flow is for and who needs it (a change ticket helps), or waive W114 with the reason");
            out.push((d, ci, Some(fi)));
        }
    }
    out
}
