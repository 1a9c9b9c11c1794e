//! The one integration-test binary (one link instead of many).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod diff;
mod lowering;
mod support;
