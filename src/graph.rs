//! `conduitc graph`: zones drawn by Purdue level, conduits as edges.
//!
//! Output is Graphviz `dot` or Mermaid `flowchart`. Zones are grouped by
//! level, highest (enterprise, 5) at the top; each conduit is one edge
//! labelled with its name and flow count; monitor-mode conduits are dashed.
//! Only declared names (`[A-Za-z][A-Za-z0-9_-]*`) and numbers reach the
//! output, always quoted, so no user text can break the syntax.

use std::fmt::Write;

use crate::model::{Level, Mode, Policy, Zone};

/// Zones grouped by level, highest level first; levels without zones are
/// left out. Zones keep their index, which names their node.
fn by_level(policy: &Policy) -> Vec<(Level, Vec<(usize, &Zone)>)> {
    Level::ALL
        .iter()
        .rev()
        .map(|&level| {
            let zones: Vec<(usize, &Zone)> = policy
                .zones
                .iter()
                .enumerate()
                .filter(|(_, z)| z.level == level)
                .collect();
            (level, zones)
        })
        .filter(|(_, zones)| !zones.is_empty())
        .collect()
}

/// Renders the policy as a Graphviz digraph.
pub fn to_dot(policy: &Policy) -> String {
    let mut s =
        String::from("digraph conduits {\n  rankdir=TB;\n  node [shape=box, style=rounded];\n");
    for (level, zones) in by_level(policy) {
        let _ = writeln!(
            s,
            "  subgraph \"cluster_level_{}\" {{\n    label=\"Level {}\";\n    rank=same;",
            level.as_str().replace('.', "_"),
            level
        );
        for (i, z) in zones {
            let _ = writeln!(s, "    z{i} [label=\"{}\\nL{}\"];", z.name, z.level);
        }
        s.push_str("  }\n");
    }
    for c in &policy.conduits {
        let [a, b] = c.zones;
        let style = if c.mode == Mode::Monitor {
            ", style=dashed"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  z{a} -> z{b} [dir=both, label=\"{} ({} flow{})\"{}];",
            c.name,
            c.flows.len(),
            if c.flows.len() == 1 { "" } else { "s" },
            style
        );
    }
    s.push_str("}\n");
    s
}

/// Renders the policy as a Mermaid flowchart.
pub fn to_mermaid(policy: &Policy) -> String {
    let mut s = String::from("flowchart TB\n");
    for (level, zones) in by_level(policy) {
        let _ = writeln!(
            s,
            "  subgraph L{}[\"Level {}\"]",
            level.as_str().replace('.', "_"),
            level
        );
        for (i, z) in zones {
            let _ = writeln!(s, "    z{i}[\"{}\"]", z.name);
        }
        s.push_str("  end\n");
    }
    for c in &policy.conduits {
        let [a, b] = c.zones;
        let arrow = if c.mode == Mode::Monitor {
            "<-.->"
        } else {
            "<-->"
        };
        let _ = writeln!(s, "  z{a} {arrow}|\"{} ({})\"| z{b}", c.name, c.flows.len());
    }
    s
}
