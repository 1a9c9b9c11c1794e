//! The `conduitc` command-line tool. See `conduitc --help` and the README.

mod cli;

use std::process::ExitCode;

/// mimalloc instead of the C library's allocator: parsing and checking make
/// millions of small allocations, and a large policy checks in about half
/// the CPU time with it (`cargo bench --bench scale`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
