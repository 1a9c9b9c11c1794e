//! `conduitc explain CODE`: a code's title, severity, explanation, failing
//! example (with what `check` reports for it) and fix, the same text as its
//! section of docs/diagnostics.md. The code is read case-insensitively, and
//! a slug (`monitor-mode`) works too; an unknown code is a usage error
//! (`E803`, exit 2) that suggests the closest.

use clap::{Args, ValueEnum};
use serde::Serialize;

use conduitc::diag::render::versioned_json;
use conduitc::explain;
use conduitc::Code;

use super::output::Output;
use super::report::{quoted, Problem};
use super::ExitStatus;

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A diagnostic code (`E605`, `w107`) or its name (`monitor-mode`).
    #[arg(value_name = "CODE")]
    code: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
}

/// `explain --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// The section of docs/diagnostics.md (markdown).
    Text,
    /// One JSON object.
    Json,
}

#[derive(Serialize)]
struct Explanation<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    title: &'a str,
    explanation: &'a str,
    example: Option<Example>,
    no_example: Option<&'a str>,
    fix: &'a str,
}

#[derive(Serialize)]
struct Example {
    file: String,
    /// The file's text; `null` when it is not valid UTF-8.
    text: Option<String>,
    /// What `check` reports for the code on it (text, without colour).
    reports: Option<String>,
}

pub fn run(out: &Output, args: ExplainArgs) -> ExitStatus {
    let Some(code) = Code::lookup(args.code.trim()) else {
        out.fail(&unknown(&args.code));
        return ExitStatus::Error;
    };
    match args.format {
        ExplainFormat::Text => out.stdout(&explain::section(code)),
        ExplainFormat::Json => {
            let example = explain::example(code).map(|(file, bytes)| Example {
                file: file.to_string(),
                text: std::str::from_utf8(bytes).ok().map(str::to_string),
                reports: explain::example_report(code),
            });
            let e = Explanation {
                code: code.as_str(),
                name: code.slug(),
                severity: code.severity().as_str(),
                title: code.title(),
                explanation: code.explain(),
                example,
                no_example: explain::no_example(code),
                fix: code.fix(),
            };
            match versioned_json(&e) {
                Ok(s) => {
                    out.stdout(&s);
                }
                Err(e) => {
                    out.fail(&Problem::new(
                        Code::Internal,
                        format!("internal error: cannot write JSON: {e}"),
                    ));
                    return ExitStatus::Error;
                }
            }
        }
    }
    ExitStatus::Success
}

/// `no diagnostic code `X``, with the closest code or name.
fn unknown(given: &str) -> Problem {
    let lower = given.trim().to_ascii_lowercase();
    let distance = |k: &str| strsim::damerau_levenshtein(&lower, &k.to_ascii_lowercase());
    let best = Code::ALL
        .iter()
        .map(|c| (distance(c.as_str()).min(distance(c.slug())), *c))
        .filter(|(d, c)| *d <= 2.max(c.slug().len() / 3))
        .min();
    let mut message = format!("no diagnostic code {}", quoted(given));
    if let Some((_, c)) = best {
        message.push_str(&format!(
            " (did you mean `{}`, `{}`?)",
            c.as_str(),
            c.slug()
        ));
    }
    Problem::new(Code::InvalidArgumentValue, message)
        .at_value(given)
        .help("codes are a letter and three digits, such as E605 or W107; docs/diagnostics.md lists them all")
}
