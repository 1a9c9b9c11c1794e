//! Arbitrary bytes through the loader, parser, checker and formatter.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = conduitc_fuzz::invariants::check_bytes(data);
    conduitc_fuzz::invariants::format_bytes(data);
});
