//! Valid policies through lowering and every backend, each output read back
//! by an independent evaluator and compared with `decide`.
#![no_main]

use conduitc_fuzz::structured::PolicyText;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: PolicyText| {
    if let Some(policy) = conduitc_fuzz::invariants::check_bytes(input.0.as_bytes()) {
        conduitc_fuzz::backends::check_all(&policy);
    }
});
