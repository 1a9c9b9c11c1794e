//! Mostly valid, structured policies through the checker and the formatter.
#![no_main]

use conduitc_fuzz::structured::PolicyText;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: PolicyText| {
    let _ = conduitc_fuzz::invariants::check_bytes(input.0.as_bytes());
    conduitc_fuzz::invariants::format_bytes(input.0.as_bytes());
});
