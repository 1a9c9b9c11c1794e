//! Fuzzing support for conduitc: the invariants every target asserts, and a
//! structured generator that turns fuzzer bytes into mostly valid policies.

pub mod invariants;
pub mod structured;
