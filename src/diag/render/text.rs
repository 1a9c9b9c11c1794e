//! Human-readable diagnostics through codespan-reporting.

use codespan_reporting::diagnostic::{
    Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity,
};
use codespan_reporting::term::{self, termcolor::Buffer, Config};

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::source::Sources;

/// Renders every diagnostic, each followed by a blank line, with or without
/// ANSI colour.
pub fn text(diagnostics: &Diagnostics, sources: &Sources, color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&text_one(d, sources, color));
    }
    out
}

/// Renders one diagnostic.
pub fn text_one(d: &Diagnostic, sources: &Sources, color: bool) -> String {
    let severity = match d.severity() {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let mut labels = vec![
        CsLabel::primary(d.primary.span.file, d.primary.span.range())
            .with_message(d.primary.message.clone()),
    ];
    for l in &d.secondary {
        labels
            .push(CsLabel::secondary(l.span.file, l.span.range()).with_message(l.message.clone()));
    }
    let mut cs = CsDiagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(d.message.clone())
        .with_labels(labels);
    if let Some(h) = &d.help {
        cs = cs.with_notes(vec![format!("help: {h}")]);
    }
    let mut buf = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let config = Config::default();
    if term::emit(&mut buf, &config, sources, &cs).is_err() {
        // A span outside its file is a bug; still say what is wrong.
        return format!("{}[{}]: {}\n", d.severity(), d.code, d.message);
    }
    String::from_utf8_lossy(buf.as_slice()).into_owned()
}
