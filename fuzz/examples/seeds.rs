//! Writes the committed seed corpora of the structured targets
//! (`corpus/check/` and `corpus/compile/`): deterministic pseudo-random
//! inputs of several lengths, kept when they decode to a policy, so that
//! every run (and the `cargo test` replay) starts from small and large
//! policies alike, whatever the fuzzer has found since.
//!
//!     cargo +nightly run --example seeds -- corpus/check 80 0
//!     cargo +nightly run --example seeds -- corpus/compile 40 100000

use std::hash::{DefaultHasher, Hash, Hasher};

use arbitrary::{Arbitrary, Unstructured};
use conduitc_fuzz::structured::PolicyText;

const LENGTHS: &[usize] = &[32, 96, 256, 768, 2048, 6144];

/// Input `i`: bytes from a fixed-key hash of (i, position), so the corpus is
/// the same on every machine that runs this.
fn input(i: u64) -> Vec<u8> {
    let len = LENGTHS[(i as usize) % LENGTHS.len()];
    (0..len as u64)
        .map(|j| {
            let mut h = DefaultHasher::new();
            (i, j).hash(&mut h);
            h.finish() as u8
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(count)) = (args.next(), args.next()) else {
        eprintln!("usage: seeds DIR COUNT [FIRST]");
        std::process::exit(2);
    };
    let first = args.next().unwrap_or_else(|| "0".to_string());
    let (Ok(count), Ok(first)) = (count.parse::<u64>(), first.parse::<u64>()) else {
        eprintln!("COUNT and FIRST must be whole numbers");
        std::process::exit(2);
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{dir}: {e}");
        std::process::exit(1);
    }
    let (mut written, mut large) = (0, 0);
    let mut i = first;
    while written < count {
        let data = input(i);
        i += 1;
        let Ok(text) = PolicyText::arbitrary_take_rest(Unstructured::new(&data)) else {
            continue;
        };
        if text.0.len() > 20_000 {
            large += 1;
        }
        let path = format!("{dir}/seed-{i:06}");
        if let Err(e) = std::fs::write(&path, &data) {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
        written += 1;
    }
    eprintln!("{written} seeds in {dir}, {large} of them decode to over 20 KB");
}
