//! Fuzzing support for conduitc: the backend cross-check that reads every
//! emitted configuration back with the evaluator registered for its target
//! (`conduitc_testkit::eval`). The invariants and the structured policy
//! generator live in `conduitc_testkit` too, where the integration tests
//! replay the committed corpora with them.

pub mod backends;

pub use conduitc_testkit::{invariants, structured};
