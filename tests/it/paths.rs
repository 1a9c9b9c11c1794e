//! Attack paths on generated policies: every reported path is a real chain
//! of rules, and a direct rule between two zones is always reported.

use conduitc::lower::{lower, BuildOptions};
use conduitc::paths;
use proptest::prelude::*;

use crate::support::gen;

proptest! {
    #[test]
    fn paths_are_real_chains(seed in any::<u64>()) {
        let p = gen::policy(seed);
        let rules = lower(&p, &BuildOptions::new(gen::today())).unwrap();
        for a in &p.zones {
            for b in &p.zones {
                if a.name == b.name {
                    continue;
                }
                let found = paths::find(&rules, a.name.as_str(), b.name.as_str());
                for path in &found.paths {
                    prop_assert_eq!(path.zones.first().map(String::as_str), Some(a.name.as_str()));
                    prop_assert_eq!(path.zones.last().map(String::as_str), Some(b.name.as_str()));
                    // no zone twice
                    let mut z = path.zones.clone();
                    z.sort();
                    z.dedup();
                    prop_assert_eq!(z.len(), path.zones.len());
                    // every hop is a rule between the zones it names
                    for (i, h) in path.hops.iter().enumerate() {
                        prop_assert!(rules.rules.iter().any(|r| r.name == h.flow
                            && r.src_zone == h.from_zone && r.dst_zone == h.to_zone));
                        prop_assert_eq!(&h.from_zone, &path.zones[i]);
                    }
                }
                let direct = rules.rules.iter().any(|r| r.src_zone == a.name.as_str()
                    && r.dst_zone == b.name.as_str() && !r.src.intersection(&a.addrs).is_empty());
                if direct {
                    prop_assert!(found.paths.iter().any(|p| p.hops.len() == 1),
                        "a direct rule from {} to {} must be a path", a.name, b.name);
                }
            }
        }
    }
}

#[test]
fn renders_when_no_path_exists() {
    let p = gen::policy(7);
    let rules = lower(&p, &BuildOptions::new(gen::today())).unwrap();
    let none = paths::find(&rules, "zone0", "no-such-zone");
    assert!(none.paths.is_empty());
    assert_eq!(
        paths::to_text(&none),
        "no path from zone0 to no-such-zone\n"
    );
}
