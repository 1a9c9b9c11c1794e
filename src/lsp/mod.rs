//! The language server (`conduitc lsp`): diagnostics as you type, hover,
//! go to definition, references, rename, completion, formatting and quick
//! fixes, over the Language Server Protocol on standard input and output.
//!
//! The workspace folders' `.conduit` files are one policy, as `conduitc
//! check DIR` reads them; an open document takes the place of its file on
//! disk. A change (full-document sync) re-parses only the files whose text
//! changed, and within such a file only the declarations the edit touches
//! (`reparse`), and checks the whole policy again from the kept trees; changes
//! queued meanwhile are taken together, and diagnostics are published for
//! the latest text only. `benches/lsp.rs` measures what that costs on a
//! policy of 10,000 flows.
//!
//! Built on the library alone (`check`, `formatter`, the syntax tree, the
//! catalogue); docs/editors.md says how to start it from an editor.

mod actions;
mod complete;
mod hover;
mod index;
mod reparse;
mod server;
mod text;
mod workspace;

/// Why the server stopped without a proper `shutdown` and `exit`.
#[derive(Debug)]
pub struct ServerError(String);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServerError {}

/// Serves one client on standard input and output until it says `exit`.
///
/// # Errors
///
/// The connection broke or the client broke the protocol (for example,
/// no `initialize` first).
pub fn run_stdio() -> Result<(), ServerError> {
    let (connection, io) = lsp_server::Connection::stdio();
    server::run(&connection)?;
    drop(connection);
    io.join()
        .map_err(|e| ServerError(format!("the connection failed: {e}")))
}
