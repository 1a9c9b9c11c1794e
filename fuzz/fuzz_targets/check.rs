//! Mostly valid, structured policies through the checker.
#![no_main]

use conduitc_fuzz::structured::PolicyText;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: PolicyText| {
    let _ = conduitc_fuzz::invariants::check_bytes(input.0.as_bytes());
});
