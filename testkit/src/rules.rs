//! Policy text to lowered rules, for tests that start from text.

use conduitc::lower::{lower, BuildOptions, RuleSet};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Sources};

/// The date these tests judge expiry against.
pub fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

/// Checks `text` (which must check clean) and lowers it for `today()`.
pub fn rules_of(text: &str) -> RuleSet {
    let sources = Sources::from_memory("p.conduit", text);
    let checked = check(&sources, &CheckOptions::new(today()));
    let policy = checked
        .policy
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics.codes()));
    lower(&policy, &BuildOptions::new(today())).unwrap()
}
