//! The one place that writes to stdout and stderr. Commands render their
//! result into a string and hand it over only on success, or (`build
//! --target`) stream it once every refusal has been decided, so a failure
//! never leaves partial output on stdout. A closed pipe ends the program quietly.

use std::io::{IsTerminal, Write};

use super::ColorChoice;

/// Where results and diagnostics go.
pub struct Output {
    color: bool,
}

impl Output {
    /// Resolves `--color` and `NO_COLOR` once.
    pub fn new(choice: ColorChoice) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        };
        Output { color }
    }

    /// True when diagnostics on stderr should be coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Writes a finished result to stdout.
    pub fn stdout(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        if out
            .write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            // Broken pipe or closed stdout: nothing more can be said there.
            std::process::exit(0);
        }
    }

    /// Streams a result to stdout through a buffer. `write` must decide
    /// every refusal before its first byte (as `backend::emit_to` does), so a
    /// refusal leaves nothing on stdout. A closed pipe ends the program
    /// quietly, as in [`Output::stdout`].
    pub fn stdout_stream<E>(
        &self,
        write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut w = std::io::BufWriter::new(PipeEnd(std::io::stdout().lock()));
        let r = write(&mut w);
        if w.flush().is_err() {
            std::process::exit(0);
        }
        r
    }

    /// Writes a message to stderr.
    pub fn stderr(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    /// Writes `conduitc: error: MESSAGE` to stderr.
    pub fn error(&self, message: &str) {
        self.stderr(&format!("conduitc: error: {message}\n"));
    }
}

/// Stdout for [`Output::stdout_stream`]: a failed write (a broken pipe, a
/// closed stdout) ends the program quietly.
struct PipeEnd<W>(W);

impl<W: Write> Write for PipeEnd<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Ok(n) => Ok(n),
            Err(_) => std::process::exit(0),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Ok(()) => Ok(()),
            Err(_) => std::process::exit(0),
        }
    }
}
