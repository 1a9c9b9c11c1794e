//! The one place that writes to stdout and stderr. Commands render their
//! result into a string and hand it over only on success, or (`build
//! --target`) stream it once every refusal has been decided, so a failure
//! never leaves partial output on stdout. A closed pipe (the reader went
//! away, as with `| head`) ends the program quietly with status 0; any other
//! write error on stdout (a full disk, an I/O error) is reported on stderr
//! and ends the program with status 2, so a pipeline never takes an empty or
//! cut-off result for a good one.

use std::io::{ErrorKind, IsTerminal, Write};

use conduitc::Code;

use super::report::Problem;
use super::ColorChoice;

/// Where results and diagnostics go.
pub struct Output {
    color: bool,
    quiet: bool,
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
        Output {
            color,
            quiet: false,
        }
    }

    /// With `--quiet`: [`Output::note`] writes nothing.
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    /// True when diagnostics on stderr should be coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Writes a finished result to stdout. On a write error the program
    /// ends here: quietly with status 0 for a broken pipe, else with a
    /// message and status 2.
    pub fn stdout(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            Ok(()) => {}
            // The reader has gone: nothing more can be said there.
            Err(e) if e.kind() == ErrorKind::BrokenPipe => std::process::exit(0),
            Err(e) => {
                self.write_failed(&e);
                std::process::exit(2);
            }
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
        let mut w = std::io::BufWriter::new(PipeEnd {
            out: std::io::stdout().lock(),
            output: self,
        });
        let r = write(&mut w);
        if let Err(e) = w.flush() {
            self.stdout_failed(&e);
        }
        r
    }

    /// Ends the program after a failed write to stdout: quietly with
    /// status 0 for a broken pipe, else with a message and status 2.
    fn stdout_failed(&self, e: &std::io::Error) -> ! {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        self.write_failed(e);
        std::process::exit(2);
    }

    /// Reports a failed write to stdout (`E813`).
    pub fn write_failed(&self, e: &std::io::Error) {
        self.fail(&Problem::new(
            Code::OutputNotWritten,
            format!("cannot write to stdout: {e}"),
        ));
    }

    /// Writes a message to stderr.
    pub fn stderr(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    /// Writes a message that is not needed to understand the result (a
    /// summary line, `wrote ...`) to stderr, unless `--quiet` was given.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            self.stderr(text);
        }
    }

    /// Writes an error of the command to stderr as a coded diagnostic
    /// (`error[E804]: MESSAGE`, pointing into the command line).
    pub fn fail(&self, problem: &Problem) {
        self.stderr(&problem.text(self.color));
    }
}

/// Stdout for [`Output::stdout_stream`]: a failed write ends the program
/// as [`Output::stdout`] does.
struct PipeEnd<'o, W> {
    out: W,
    output: &'o Output,
}

impl<W: Write> Write for PipeEnd<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.out.write(buf) {
            Ok(n) => Ok(n),
            Err(e) => self.output.stdout_failed(&e),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.out.flush() {
            Ok(()) => Ok(()),
            Err(e) => self.output.stdout_failed(&e),
        }
    }
}
