//! The one integration-test binary (one link instead of many).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod graph;
mod lowering;
mod nft_backend;
mod nft_check;
mod nft_kernel;
mod paths;
mod support;
