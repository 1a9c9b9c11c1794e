//! The one integration-test binary (one link instead of many).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is a test failure with its message"
)]

mod api;
mod backend_examples;
mod backend_fortios;
mod backend_fortios_manage;
mod backend_fortios_transition;
mod backend_golden;
mod backend_injection;
mod backend_ios;
mod backend_ios_budget;
mod backend_ios_groups;
mod backend_ios_manage;
mod backend_ios_transition;
mod backend_registry;
mod backend_streaming;
mod bad_input;
mod ci_formats;
mod cli_build;
mod cli_check;
mod cli_errors;
mod cli_exit_codes;
mod cli_out;
mod cli_reports;
mod cli_transition;
mod cli_unix;
mod ctest;
mod ctest_cli;
mod diagnostics;
mod diff;
mod diff_cli;
mod editor_grammars;
mod examples;
mod fmt_cli;
mod formats;
mod formatter;
mod fuzz_corpus;
mod graph;
mod language;
mod layers;
mod limits;
mod lints_signs;
mod lower_select;
mod lowering;
mod lsp;
mod manage;
mod manage_kernel;
mod nft_backend;
mod nft_check;
mod nft_kernel;
mod observe_cli;
mod observe_kernel;
mod oracle;
mod paths;
mod platform;
mod query_order;
mod readme;
mod readme_cli;
mod registry;
mod roundtrip;
mod run;
mod schemas;
mod ship;
mod source_safety;
mod verify;
mod verify_cli;
mod verify_fortios;
mod verify_ios;
mod verify_manage;
