//! The build summary that the line-oriented backends (`cisco-ios`,
//! `fortios`) write in their header comment.

use crate::lower::RuleSet;

/// The build a header describes: `built for DATE[, isolation MODE],
/// firewall NAME`, or `, NO_FIREWALL` for the generic build. Only checked
/// names and the date reach it.
pub(crate) fn build_summary(rules: &RuleSet, no_firewall: &str) -> String {
    let mut s = format!("built for {}", rules.today);
    if let Some(iso) = &rules.isolation {
        s.push_str(&format!(", isolation {iso}"));
    }
    match &rules.firewall {
        Some(fw) => s.push_str(&format!(", firewall {}", fw.name)),
        None => s.push_str(&format!(", {no_firewall}")),
    }
    s
}
