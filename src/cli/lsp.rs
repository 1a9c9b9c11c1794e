//! `conduitc lsp`: the language server on standard input and output.

use conduitc::Code;

use super::output::Output;
use super::report::Problem;
use super::ExitStatus;

pub fn run(out: &Output) -> ExitStatus {
    match conduitc::lsp::run_stdio() {
        Ok(()) => ExitStatus::Success,
        Err(e) => {
            out.fail(
                &Problem::new(
                    Code::LspProtocol,
                    format!("the language server stopped: {e}"),
                )
                .help("start `conduitc lsp` from an editor's language client (docs/editors.md)"),
            );
            ExitStatus::Error
        }
    }
}
