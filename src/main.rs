//! The `conduitc` command-line tool. See `conduitc --help` and the README.

mod cli;

use std::process::ExitCode;

/// mimalloc instead of the C library's allocator: parsing and checking make
/// millions of small allocations, and a large policy checks in about half
/// the CPU time with it (`cargo bench --bench scale`). Version 2, without
/// transparent huge pages: it gives freed pages back soon, and a compaction
/// of the host's memory never stalls it (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
