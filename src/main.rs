//! The `conduitc` command-line tool. See `conduitc --help` and the README.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
