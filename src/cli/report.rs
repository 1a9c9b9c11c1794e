//! Errors of the command itself (usage, targets, output) as coded
//! diagnostics. Their location is the command line: it is rendered as a
//! one-line source named `<command line>`, with the argument at fault
//! underlined, so these errors print like every other diagnostic
//! (`error[E804]: ...`) in text, JSON and SARIF.

use std::ffi::{OsStr, OsString};

use conduitc::backend::EmitError;
use conduitc::diag::{render, Code, Diagnostic, Diagnostics};
use conduitc::lower::LowerError;
use conduitc::source::{LoadError, Span};
use conduitc::Sources;

/// The name of the source that holds the command line.
pub const COMMAND_LINE: &str = "<command line>";

/// Where on the command line an error points.
#[derive(Clone, Debug)]
enum At {
    /// The subcommand (or the whole line when there is none).
    Command,
    /// The value of this option (or the option itself when it has none).
    Flag(String),
    /// The first argument equal to this.
    Value(OsString),
}

/// An error of the command, with its code.
#[derive(Clone, Debug)]
pub struct Problem {
    code: Code,
    message: String,
    at: At,
    help: Option<String>,
    /// The policy's sources, when a label points into them.
    policy: Option<Sources>,
    /// Labels in the policy's sources.
    labels: Vec<(Span, String)>,
}

impl Problem {
    /// A problem located at the subcommand.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Problem {
            code,
            message: message.into(),
            at: At::Command,
            help: None,
            policy: None,
            labels: Vec::new(),
        }
    }
    /// Adds a secondary label at `span` of the policy's `sources` (the
    /// declaration a name refers to).
    pub fn with(mut self, sources: &Sources, span: Span, message: impl Into<String>) -> Self {
        if self.policy.is_none() {
            self.policy = Some(sources.clone());
        }
        self.labels.push((span, message.into()));
        self
    }
    /// Points at the value of `flag` (`--firewall`).
    pub fn at_flag(mut self, flag: &str) -> Self {
        self.at = At::Flag(flag.to_string());
        self
    }
    /// Points at the argument equal to `value` (a path).
    pub fn at_value(mut self, value: impl AsRef<OsStr>) -> Self {
        self.at = At::Value(value.as_ref().to_os_string());
        self
    }
    /// Sets the help text.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// The diagnostic and the one source (the command line) it points into,
    /// for the arguments of this process.
    pub fn diagnostic(&self) -> (Sources, Diagnostics) {
        self.diagnostic_for(&CommandLine::of_process())
    }

    fn diagnostic_for(&self, line: &CommandLine) -> (Sources, Diagnostics) {
        // The command line is added to the policy's files, so that labels
        // in both can be shown together.
        let mut sources = self.policy.clone().unwrap_or_default();
        let file = sources.add_memory(COMMAND_LINE, line.text.clone());
        let (start, end) = line.locate(&self.at);
        let span = Span::new(file, start, end);
        let mut d = Diagnostic::new(self.code, span, self.message.clone());
        d.help = self.help.clone();
        for (span, message) in &self.labels {
            d = d.with(*span, message.clone());
        }
        (sources, Diagnostics::new(vec![d]))
    }

    /// The diagnostic as text, as `check` renders diagnostics.
    pub fn text(&self, color: bool) -> String {
        let (sources, diags) = self.diagnostic();
        render::text(&diags, &sources, color)
    }
}

/// The arguments as one line of text, with where each argument sits.
struct CommandLine {
    text: String,
    /// Each argument (the program name excluded) and its byte range.
    args: Vec<(OsString, usize, usize)>,
}

impl CommandLine {
    fn of_process() -> Self {
        CommandLine::new(std::env::args_os().skip(1))
    }

    fn new(args: impl IntoIterator<Item = OsString>) -> Self {
        let mut text = String::from("conduitc");
        let mut list = Vec::new();
        for a in args {
            text.push(' ');
            let start = text.len();
            text.push_str(&shell_quote(&a.to_string_lossy()));
            list.push((a, start, text.len()));
        }
        CommandLine { text, args: list }
    }

    /// The byte range that `at` points at.
    fn locate(&self, at: &At) -> (usize, usize) {
        let command = || {
            self.args
                .iter()
                .find(|(a, _, _)| !a.to_string_lossy().starts_with('-'))
                .map(|(_, s, e)| (*s, *e))
                .unwrap_or((0, self.text.len()))
        };
        match at {
            At::Command => command(),
            At::Flag(flag) => {
                let eq = format!("{flag}=");
                let found = self
                    .args
                    .iter()
                    .enumerate()
                    .rev()
                    .find_map(|(i, (a, s, e))| {
                        let a = a.to_string_lossy();
                        if a == flag.as_str() {
                            Some(self.args.get(i + 1).map_or((*s, *e), |(_, s, e)| (*s, *e)))
                        } else if a.starts_with(&eq) {
                            Some((*s, *e))
                        } else {
                            None
                        }
                    });
                found.unwrap_or_else(command)
            }
            // The argument itself, else the directory argument it is in.
            At::Value(v) => self
                .args
                .iter()
                .find(|(a, _, _)| a == v)
                .or_else(|| {
                    self.args
                        .iter()
                        .find(|(a, _, _)| !a.is_empty() && std::path::Path::new(v).starts_with(a))
                })
                .map(|(_, s, e)| (*s, *e))
                .unwrap_or_else(command),
        }
    }
}

/// A policy path that cannot be read (`E814`), pointing at its argument.
pub fn load_error(e: &LoadError) -> Problem {
    let p = Problem::new(Code::PathNotReadable, e.to_string());
    match e {
        LoadError::NotFound { path }
        | LoadError::Unreadable { path, .. }
        | LoadError::NotRegularFile { path, .. } => p.at_value(path),
        _ => p,
    }
}

/// A lowering error (`E804`, `E805`), pointing at its option.
pub fn lower_error(e: &LowerError) -> Problem {
    let flag = match e {
        LowerError::UnknownFirewall(_) => "--firewall",
        _ => "--isolation",
    };
    let message = match e {
        LowerError::UnknownFirewall(name) => format!("no firewall named {}", quoted(name)),
        LowerError::UnknownIsolation(name) => format!("no isolation mode named {}", quoted(name)),
        _ => e.to_string(),
    };
    Problem::new(e.code(), message).at_flag(flag)
}

/// An emission error, pointing at `flag` (`--target` or `--out`), with
/// the declaration of the flow it concerns when it names one.
pub fn emit_error(e: &EmitError, flag: &str, sources: &Sources) -> Problem {
    let p = Problem::new(e.code(), e.message()).at_flag(flag);
    if let EmitError::Protocol { rule, .. } = e {
        if let Some((conduit, flow)) = rule.split_once('/') {
            if let Some(span) = declared_flow(sources, conduit, flow) {
                return p.with(
                    sources,
                    span,
                    format!("flow {} is declared here", quoted(rule)),
                );
            }
        }
    }
    p
}

/// The name of the declaration of firewall `name` in `sources`.
pub fn declared_firewall(sources: &Sources, name: &str) -> Option<Span> {
    conduitc::locate::firewall(sources, name)
}

/// The name of the declaration of flow `conduit/flow` in `sources`.
pub fn declared_flow(sources: &Sources, conduit: &str, flow: &str) -> Option<Span> {
    conduitc::locate::flow(sources, conduit, flow)
}

/// `name` in backticks, with line breaks written `\n` and `\r` (the
/// renderers escape the other control characters).
pub fn quoted(name: &str) -> String {
    format!("`{}`", one_line(name))
}

/// `text` with line breaks written `\\n` and `\\r`.
pub fn one_line(text: &str) -> String {
    text.replace('\n', "\\n").replace('\r', "\\r")
}

/// `arg` as a POSIX shell would need it written: as it is when it holds
/// only safe characters, else in single quotes.
fn shell_quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe {
        arg.to_string()
    } else if arg.contains(['\n', '\r']) {
        // Kept on one line, as bash's `$'...'` writes it.
        let escaped = arg.replace('\\', "\\\\").replace('\'', "\\'");
        format!("$'{}'", one_line(&escaped))
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// A clap parse error as a coded problem: `E802` for options that exclude
/// each other, `E803` for a value an option does not accept, `E801` for the
/// rest. Names are quoted with backticks.
pub fn from_clap(e: &clap::Error) -> Problem {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let get = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        _ => None,
    };
    // `--today <DATE>` -> `--today`.
    let flag = |s: String| s.split(' ').next().unwrap_or_default().to_string();
    let usage_help = "`conduitc --help` and `conduitc COMMAND --help` list the options";
    match e.kind() {
        ErrorKind::ArgumentConflict => {
            let arg = get(ContextKind::InvalidArg).map(flag).unwrap_or_default();
            let prior = get(ContextKind::PriorArg).map(flag);
            let message = match &prior {
                Some(p) => format!("`{arg}` cannot be used with `{p}`"),
                None => format!("`{arg}` cannot be used with one of the other arguments"),
            };
            Problem::new(Code::ConflictingArguments, message)
                .at_flag(&arg)
                .help("give one of them")
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let arg = get(ContextKind::InvalidArg).map(flag).unwrap_or_default();
            let value = get(ContextKind::InvalidValue).unwrap_or_default();
            let message = format!("invalid value `{value}` for `{arg}`");
            let help = match (e.kind(), get(ContextKind::ValidValue)) {
                (ErrorKind::InvalidValue, Some(valid)) => format!("possible values: {valid}"),
                _ => std::error::Error::source(e)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| usage_help.to_string()),
            };
            Problem::new(Code::InvalidArgumentValue, message)
                .at_flag(&arg)
                .help(help)
        }
        ErrorKind::MissingRequiredArgument => {
            let missing: Vec<String> = match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::Strings(v)) => v.iter().map(|a| format!("`{a}`")).collect(),
                Some(ContextValue::String(a)) => vec![format!("`{a}`")],
                _ => Vec::new(),
            };
            let message = match missing.as_slice() {
                [] => "a required argument is missing".to_string(),
                [one] => format!("the required argument {one} is missing"),
                many => format!("the required arguments {} are missing", many.join(", ")),
            };
            Problem::new(Code::InvalidArguments, message).help(usage_help)
        }
        ErrorKind::UnknownArgument => {
            let arg = get(ContextKind::InvalidArg).unwrap_or_default();
            let help = match get(ContextKind::SuggestedArg) {
                Some(s) => format!("did you mean `{s}`?"),
                None => usage_help.to_string(),
            };
            Problem::new(
                Code::InvalidArguments,
                format!("unexpected argument {}", quoted(&arg)),
            )
            .at_value(&arg)
            .help(help)
        }
        _ => {
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or_default();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let mut p = Problem::new(Code::InvalidArguments, backticks(first)).help(usage_help);
            if let Some(arg) = get(ContextKind::InvalidArg) {
                p = p.at_flag(&flag(arg));
            }
            p
        }
    }
}

/// Clap's `'x'` quotes as the house's backticks.
fn backticks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut open = false;
    for c in s.chars() {
        if c == '\'' {
            out.push('`');
            open = !open;
        } else {
            out.push(c);
        }
    }
    if open {
        // An apostrophe, not a quote: give the text back as it was.
        return s.to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> CommandLine {
        CommandLine::new(args.iter().map(OsString::from))
    }

    #[test]
    fn arguments_are_located_and_quoted() {
        let l = line(&[
            "build",
            "--firewall",
            "ot fw",
            "--today=2026-13-01",
            "p.conduit",
        ]);
        assert_eq!(
            l.text,
            "conduitc build --firewall 'ot fw' --today=2026-13-01 p.conduit"
        );
        let at = |a: At| {
            let (s, e) = l.locate(&a);
            l.text[s..e].to_string()
        };
        assert_eq!(at(At::Command), "build");
        assert_eq!(at(At::Flag("--firewall".into())), "'ot fw'");
        assert_eq!(at(At::Flag("--today".into())), "--today=2026-13-01");
        assert_eq!(at(At::Value("p.conduit".into())), "p.conduit");
        assert_eq!(at(At::Flag("--out".into())), "build");
        let l = line(&["build", "--firewall", "a\nb'c"]);
        assert_eq!(l.text, "conduitc build --firewall $'a\\nb\\'c'");
    }

    #[test]
    fn a_problem_renders_with_its_code_and_the_argument() {
        let l = line(&["build", "--firewall", "nosuch"]);
        let p = Problem::new(Code::UnknownFirewall, "no firewall named `nosuch`")
            .at_flag("--firewall")
            .help("declared firewalls: a, b");
        let (sources, diags) = p.diagnostic_for(&l);
        let text = render::text(&diags, &sources, false);
        assert!(
            text.starts_with("error[E804]: no firewall named `nosuch`"),
            "{text}"
        );
        assert!(text.contains("<command line>:1:27"), "{text}");
        assert!(text.contains("^^^^^^"), "{text}");
        assert!(text.contains("= help: declared firewalls: a, b"), "{text}");
    }

    #[test]
    fn clap_quotes_become_backticks() {
        assert_eq!(
            backticks("unexpected argument '--foo' found"),
            "unexpected argument `--foo` found"
        );
        assert_eq!(backticks("it's"), "it's");
    }
}
