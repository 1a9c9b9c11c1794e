//! Zone graphs: every zone and conduit appears, grouped by level.

use conduitc::graph;

use conduitc_testkit::gen;

#[test]
fn dot_and_mermaid_name_every_zone_and_conduit() {
    for seed in 0..20 {
        let p = gen::policy(seed);
        let dot = graph::to_dot(&p);
        let mermaid = graph::to_mermaid(&p);
        assert!(dot.starts_with("digraph conduits {") && dot.ends_with("}\n"));
        assert!(mermaid.starts_with("flowchart TB\n"));
        for z in &p.zones {
            assert!(
                dot.contains(&format!("[label=\"{}\\nL{}\"]", z.name, z.level)),
                "{dot}"
            );
            assert!(mermaid.contains(&format!("[\"{}\"]", z.name)));
        }
        for c in &p.conduits {
            assert!(dot.contains(&format!("label=\"{} (", c.name)));
            assert!(mermaid.contains(&format!("|\"{} (", c.name)));
            if c.mode == conduitc::model::Mode::Monitor {
                assert!(mermaid.contains("<-.->"));
            }
        }
        assert_eq!(dot, graph::to_dot(&p), "deterministic");
    }
}

#[test]
fn dot_snapshot() {
    insta::assert_snapshot!(graph::to_dot(&gen::policy(11)));
}
