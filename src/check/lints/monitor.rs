//! `W107 monitor-mode`: a conduit in monitor mode.

use super::Finding;
use crate::check::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::Mode;

pub(super) fn run(c: &Checker<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ci, conduit) in c.policy.conduits.iter().enumerate() {
        if conduit.mode == Mode::Monitor {
            let [a, b] = conduit.zones;
            let d = Diagnostic::new(
                Code::MonitorMode,
                c.conduit_attr_span(ci, |d| d.mode),
                format!(
                    "conduit `{}` is in monitor mode: it admits and logs all traffic between `{}` and `{}`",
                    conduit.name, c.policy.zones[a].name, c.policy.zones[b].name
                ),
            )
            .label("admits more than its flows")
            .help("switch to `mode enforce` once the baseline is complete, or waive W107 with the reason and end date");
            out.push((d, ci, None));
        }
    }
    out
}
