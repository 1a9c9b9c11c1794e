//! Replays the committed fuzz corpora and regressions under plain
//! `cargo test`, with the same invariants the fuzz targets assert
//! (`conduitc_testkit::invariants`).

use conduitc_testkit::{invariants, structured};
use std::path::Path;

fn inputs(dir: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&root) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_file()
            && !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn parse_corpus_and_regressions_hold_the_invariants() {
    let mut n = 0;
    let mut compiled = 0;
    for dir in [
        "corpus/parse",
        "regressions/parse",
        "regressions/check",
        "regressions/compile",
    ] {
        for (name, data) in inputs(dir) {
            n += 1;
            let result = std::panic::catch_unwind(|| {
                invariants::format_bytes(&data);
                invariants::check_bytes(&data).map(|p| invariants::compile(&p).len())
            });
            match result {
                Ok(Some(_)) => compiled += 1,
                Ok(None) => {}
                Err(_) => panic!("fuzz input {name} breaks an invariant"),
            }
        }
    }
    assert!(n >= 50, "the seed corpus is missing ({n} inputs)");
    assert!(
        compiled >= 3,
        "the corpus should hold valid policies that compile ({compiled})"
    );
}

/// The structured corpora of the `check` and `compile` targets: each input
/// decodes (as the fuzzer decodes it) to policy text that must hold the
/// same invariants; the `compile` corpus is also lowered and emitted.
#[test]
fn structured_corpora_hold_the_invariants() {
    use arbitrary::{Arbitrary, Unstructured};
    let mut largest = 0;
    for (dir, compile) in [("corpus/check", false), ("corpus/compile", true)] {
        let inputs = inputs(dir);
        assert!(
            inputs.len() >= 20,
            "the {dir} seed corpus is missing ({} inputs)",
            inputs.len()
        );
        let mut valid = 0;
        for (name, data) in inputs {
            let Ok(text) = structured::PolicyText::arbitrary_take_rest(Unstructured::new(&data))
            else {
                continue;
            };
            largest = largest.max(text.0.len());
            let result = std::panic::catch_unwind(|| {
                invariants::format_bytes(text.0.as_bytes());
                let policy = invariants::check_bytes(text.0.as_bytes());
                if compile {
                    if let Some(p) = &policy {
                        invariants::compile(p);
                    }
                }
                policy.is_some()
            });
            match result {
                Ok(true) => valid += 1,
                Ok(false) => {}
                Err(_) => panic!("fuzz input {name} breaks an invariant"),
            }
        }
        assert!(valid >= 10, "{dir} should hold valid policies ({valid})");
    }
    assert!(
        largest >= 20_000,
        "the structured corpora should reach large policies (largest {largest} bytes)"
    );
}
