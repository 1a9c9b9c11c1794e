//! Fuzzing support for conduitc: the invariants every target asserts, a
//! structured generator that turns fuzzer bytes into mostly valid policies,
//! and the backend cross-check that reads every emitted configuration back
//! with the evaluators of the integration tests.

pub mod backends;
pub mod invariants;
pub mod structured;

// The evaluators the integration tests use, included by path so the fuzzer
// judges the emitted text exactly as `cargo test` does. They sit at the
// crate root so their `super::wire` resolves.
#[path = "../../tests/it/support/fortios_eval.rs"]
#[allow(dead_code)]
pub mod fortios_eval;
#[path = "../../tests/it/support/ios_eval.rs"]
#[allow(dead_code)]
pub mod ios_eval;
#[path = "../../tests/it/support/nft_eval.rs"]
#[allow(dead_code)]
pub mod nft_eval;
#[path = "../../tests/it/support/wire.rs"]
#[allow(dead_code)]
pub mod wire;
