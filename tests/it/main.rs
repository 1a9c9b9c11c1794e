//! The one integration-test binary (one link instead of many).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is a test failure with its message"
)]

mod cli_reports;
mod diagnostics;
mod fmt_cli;
mod formatter;
mod graph;
mod limits;
mod lowering;
mod paths;
mod roundtrip;
mod support;
