//! `conduitc graph`.

use clap::{Args, ValueEnum};

use super::output::Output;
use super::{ExitStatus, PolicyArgs};

/// Arguments of `graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
}

/// `graph --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz.
    Dot,
    /// Mermaid.
    Mermaid,
}

pub fn run(out: &Output, args: GraphArgs) -> ExitStatus {
    let policy = match super::load::load_policy(out, &args.policy.paths, args.policy.today()) {
        Ok((p, _)) => p,
        Err(status) => return status,
    };
    let text = match args.format {
        GraphFormat::Dot => conduitc::graph::to_dot(&policy),
        GraphFormat::Mermaid => conduitc::graph::to_mermaid(&policy),
    };
    out.stdout(&text);
    ExitStatus::Success
}
