//! Prints the policy text a structured (`check`/`compile`) fuzz input
//! decodes to, for turning a crash artifact into a readable regression:
//!
//!     cargo +nightly run --example decode -- artifacts/compile/crash-... \
//!         > regressions/compile/NAME.conduit

use arbitrary::{Arbitrary, Unstructured};
use conduitc_fuzz::structured::PolicyText;

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: decode FILE");
        std::process::exit(2);
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            std::process::exit(1);
        }
    };
    match PolicyText::arbitrary_take_rest(Unstructured::new(&data)) {
        Ok(p) => print!("{}", p.0),
        Err(e) => {
            eprintln!("input does not decode: {e}");
            std::process::exit(1);
        }
    }
}
