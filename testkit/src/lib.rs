//! Test support for conduitc, shared by the integration tests, the fuzz
//! targets and the benches:
//!
//! - independent evaluators of every emitted configuration (`nft_eval`,
//!   `ios_eval`, `fortios_eval`, over the packets of `wire`), and the
//!   registry that maps each target to its evaluator (`eval`);
//! - policy generators as proptest strategies (`gen`), the fuzzers'
//!   structured policies (`structured`), fixed policies (`sample`, `plant`)
//!   and adversarial inputs (`adversarial`);
//! - the invariants every fuzz target asserts (`invariants`);
//! - helpers for network namespaces, lowering text and failing writers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a panic is a test failure with its message"
)]

pub mod adversarial;
pub mod eval;
pub mod fortios_eval;
pub mod gen;
pub mod invariants;
pub mod ios_eval;
pub mod lsp_client;
pub mod netns;
pub mod nft_eval;
pub mod nft_json_eval;
pub mod plant;
pub mod rules;
pub mod sample;
pub mod structured;
pub mod wire;
pub mod writers;
