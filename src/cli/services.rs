//! `conduitc services`: the built-in catalogue.

use conduitc::model::catalogue::CATALOGUE;

use super::output::Output;
use super::ExitStatus;

pub fn run(out: &Output) -> ExitStatus {
    let width = CATALOGUE.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let spec_width = CATALOGUE
        .iter()
        .map(|s| s.specs.join(", ").len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for s in CATALOGUE {
        let specs = s.specs.join(", ");
        let remote = if s.remote_access {
            " [remote access]"
        } else {
            ""
        };
        text.push_str(&format!(
            "{:width$}  {:spec_width$}  {}{}\n",
            s.name, specs, s.description, remote
        ));
    }
    out.stdout(&text);
    ExitStatus::Success
}
