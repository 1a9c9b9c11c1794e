//! Replays the committed fuzz corpora and regressions under plain
//! `cargo test`, with the same invariants the fuzz targets assert
//! (`fuzz/src/invariants.rs`, included here by path).

#[path = "../../fuzz/src/invariants.rs"]
#[allow(
    dead_code,
    reason = "shared with the fuzz crate; not every helper is used here"
)]
mod invariants;

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
