//! Where a declaration is written in the sources.
//!
//! The checked model holds names without their spans; a tool that reports
//! something about a firewall or a flow after the check (a build that a
//! target refuses, an unknown `--firewall`) finds the declaration here. The
//! sources are parsed again, so this is for reporting, not for hot paths.

use crate::source::{Sources, Span};
use crate::syntax::{self, ast::ConduitAttr, ast::Decl};

/// The name of the declaration of firewall `name` (compared ignoring
/// ASCII case, as the language compares names).
pub fn firewall(sources: &Sources, name: &str) -> Option<Span> {
    declarations(sources).find_map(|d| match d {
        Decl::Firewall(b) if b.name.text.eq_ignore_ascii_case(name) => Some(b.name.span),
        _ => None,
    })
}

/// The name of the declaration of flow `flow` in conduit `conduit`.
pub fn flow(sources: &Sources, conduit: &str, flow: &str) -> Option<Span> {
    declarations(sources).find_map(|d| match d {
        Decl::Conduit(c) if c.name.text.eq_ignore_ascii_case(conduit) => {
            c.attrs.iter().find_map(|a| match &a.value {
                ConduitAttr::Flow(f) if f.name.text.eq_ignore_ascii_case(flow) => Some(f.name.span),
                _ => None,
            })
        }
        _ => None,
    })
}

fn declarations(sources: &Sources) -> impl Iterator<Item = Decl> + '_ {
    sources
        .iter()
        .filter_map(|(id, _)| syntax::parse(sources, id).file)
        .flat_map(|f| f.decls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_firewalls_and_flows_by_name_ignoring_case() {
        let text = "firewall Edge { platform nftables }\n\
                    conduit a-b { zones a, b owner o flow Poll { from a to b service modbus reason \"r\" } }\n";
        let sources = Sources::from_memory("p.conduit", text);
        let fw = firewall(&sources, "edge").map(|s| &text[s.range()]);
        assert_eq!(fw, Some("Edge"));
        let f = flow(&sources, "A-B", "poll").map(|s| &text[s.range()]);
        assert_eq!(f, Some("Poll"));
        assert_eq!(firewall(&sources, "core"), None);
        assert_eq!(flow(&sources, "a-b", "other"), None);
    }
}
