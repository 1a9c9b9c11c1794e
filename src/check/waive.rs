//! Waivers: `waive CODE "reason"` in a flow or conduit accepts warnings of
//! that code raised on that flow (or on any flow of that conduit, and on the
//! conduit itself). The code may be written as `W107` or `monitor-mode`,
//! in any case. Waiving an unknown code is `E701`, an error code `E702`.
//! Every valid waiver is recorded in `Policy::waivers`, whether or not it
//! suppressed anything.

use std::sync::OnceLock;

use super::Checker;
use crate::diag::{Code, Diagnostic, Severity};
use crate::model::{Text, Waiver};
use crate::syntax::ast::{ConduitAttr, FlowAttr, Waive};

/// The code a waiver names, or the diagnostic saying why it names none.
pub(crate) fn waived_code(w: &Waive) -> Result<Code, Diagnostic> {
    match lookup(&w.code.text) {
        Some(c) if c.severity() == Severity::Warning => Ok(c),
        Some(c) => Err(Diagnostic::new(
            Code::ErrorWaived,
            w.code.span,
            format!(
                "`{}` is an error ({}), which cannot be waived",
                c.as_str(),
                c.title()
            ),
        )
        .label("errors cannot be waived")
        .help("fix the error; only warnings (W...) can be waived")),
        None => {
            let mut names: Vec<&str> = Code::ALL
                .iter()
                .filter(|c| c.severity() == Severity::Warning)
                .flat_map(|c| [c.as_str(), c.slug()])
                .collect();
            names.sort_unstable();
            Err(Diagnostic::new(
                Code::UnknownWaiverCode,
                w.code.span,
                format!("`{}` is not a diagnostic code", w.code.text),
            )
            .label("unknown code")
            .maybe_help(
                crate::suggest::did_you_mean(&w.code.text, &names).or_else(|| {
                    Some("waive a warning by its code (`W107`) or name (`monitor-mode`)".into())
                }),
            ))
        }
    }
}

/// [`Code::lookup`] by binary search: every code and slug, folded to
/// lowercase and sorted, compared with `s` folded on the fly. Policies with
/// a waiver on every flow look codes up hundreds of thousands of times.
fn lookup(s: &str) -> Option<Code> {
    // Most waivers spell the code as the table does (`W102`): found in a
    // hash table of the exact spellings, without folding byte by byte.
    type Exact = std::collections::HashMap<&'static str, Code, foldhash::fast::RandomState>;
    static EXACT: OnceLock<Exact> = OnceLock::new();
    let exact = EXACT.get_or_init(|| {
        Code::ALL
            .iter()
            .flat_map(|&c| [(c.as_str(), c), (c.slug(), c)])
            .collect()
    });
    if let Some(&c) = exact.get(s) {
        return Some(c);
    }
    static TABLE: OnceLock<Vec<(String, Code)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t: Vec<(String, Code)> = Code::ALL
            .iter()
            .flat_map(|&c| {
                [
                    (c.as_str().to_ascii_lowercase(), c),
                    (c.slug().to_ascii_lowercase(), c),
                ]
            })
            .collect();
        t.sort();
        t
    });
    let folded = s.bytes().map(|b| b.to_ascii_lowercase());
    table
        .binary_search_by(|(k, _)| k.bytes().cmp(folded.clone()))
        .ok()
        .map(|i| table[i].1)
}

impl Checker<'_> {
    /// Reports bad waivers in every conduit and flow, including those left
    /// out of the model.
    pub(crate) fn check_waivers(&mut self, attrs: &[crate::syntax::ast::Attr<ConduitAttr>]) {
        for a in attrs {
            match &a.value {
                ConduitAttr::Waive(w) => {
                    if let Err(d) = waived_code(w) {
                        self.diags.push(d);
                    }
                }
                ConduitAttr::Flow(f) => {
                    for fa in &f.attrs {
                        if let FlowAttr::Waive(w) = &fa.value {
                            if let Err(d) = waived_code(w) {
                                self.diags.push(d);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    pub(crate) fn waive_stage(&mut self) {
        let decls = std::mem::take(&mut self.conduit_decls);
        // After the waivers of firewall entries, recorded by their stage;
        // room for exactly these (a policy may waive on every flow).
        let n: usize = decls
            .iter()
            .map(|c| c.waives.len() + c.flows.iter().map(|f| f.waives.len()).sum::<usize>())
            .sum();
        let mut waivers = std::mem::take(&mut self.policy.waivers);
        waivers.reserve_exact(n);
        for (ci, cdecl) in decls.iter().enumerate() {
            let mut scope: Option<Text> = None;
            for (code, reason) in &cdecl.waives {
                let name = &self.policy.conduits[ci].name;
                let scope = scope.get_or_insert_with(|| name.as_str().into()).clone();
                waivers.push(Waiver {
                    code: self.text(code.as_str()),
                    reason: self.text(reason),
                    scope,
                });
            }
            for (fi, f) in cdecl.flows.iter().enumerate() {
                // One copy of the flow's name for all its waivers.
                let mut scope: Option<Text> = None;
                for (code, reason) in &f.waives {
                    let name = &self.policy.conduits[ci].flows[fi].full_name;
                    let scope = scope.get_or_insert_with(|| name.as_str().into()).clone();
                    waivers.push(Waiver {
                        code: self.text(code.as_str()),
                        reason: self.text(reason),
                        scope,
                    });
                }
            }
        }
        self.conduit_decls = decls;
        waivers.shrink_to_fit();
        self.policy.waivers = waivers;
        // Each warning is looked up in the waivers of its conduit and flow
        // (a few each), so no per-flow set is built.
        for (d, ci, fi) in std::mem::take(&mut self.warnings) {
            let Some(cdecl) = self.conduit_decls.get(ci) else {
                self.diags.push(d);
                continue;
            };
            let by_conduit = cdecl.waives(d.code);
            let by_flow = fi
                .and_then(|fi| cdecl.flows.get(fi))
                .is_some_and(|f| f.waives(d.code));
            if !by_conduit && !by_flow {
                self.diags.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waivers_and_names_share_their_text() {
        let text = r#"
owner ops { contact "ops@example.com" }
zone dmz { level 3.5 owner ops networks 10.35.0.0/24 host jump = 10.35.0.20 }
zone plant { level 1 owner ops networks 10.1.0.0/24 host plc = 10.1.0.5 }
conduit dmz-plant {
  zones dmz, plant
  owner ops
  waive W107 "reviewed"
  flow poll {
    from dmz.jump
    to plant.plc
    service modbus
    reason "SCADA polls the PLC"
    waive W101 "accepted"
    waive purdue-skip "accepted"
  }
  flow read {
    from dmz.jump
    to plant.plc
    service tcp/502
    reason "SCADA reads the PLC"
    waive W101 "accepted"
  }
}
"#;
        let sources = crate::source::Sources::from_memory("p.conduit", text);
        let opts =
            crate::check::CheckOptions::new(crate::model::Date::parse("2026-12-01").unwrap());
        let policy = crate::check::check(&sources, &opts).policy.unwrap();
        let w = &policy.waivers;
        let seen: Vec<(&str, &str, &str)> = w
            .iter()
            .map(|w| (w.code.as_str(), w.reason.as_str(), w.scope.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("W107", "reviewed", "dmz-plant"),
                ("W101", "accepted", "dmz-plant/poll"),
                ("W101", "accepted", "dmz-plant/poll"),
                ("W101", "accepted", "dmz-plant/read"),
            ]
        );
        let same = |a: &str, b: &str| std::ptr::eq(a.as_ptr(), b.as_ptr());
        // One copy of each code, reason and flow scope.
        assert!(same(&w[1].code, &w[3].code));
        assert!(same(&w[1].reason, &w[3].reason));
        assert!(same(&w[1].scope, &w[2].scope));
        // Flows hold the declared owner's and host's names, not copies.
        let (owner, jump) = (&policy.owners[0].name, &policy.zones[0].hosts[0].name);
        for f in &policy.conduits[0].flows {
            assert!(same(f.owner.as_str(), owner.as_str()));
            let crate::model::Member::Host(h) = &f.from[0].member else {
                panic!("a host endpoint")
            };
            assert!(same(h.as_str(), jump.as_str()));
        }
    }

    #[test]
    fn lookup_agrees_with_the_code_table() {
        let mut words: Vec<String> = Vec::new();
        for c in Code::ALL {
            for w in [c.as_str(), c.slug()] {
                words.push(w.to_string());
                words.push(w.to_ascii_lowercase());
                words.push(w.to_ascii_uppercase());
                words.push(format!("{w}x"));
                words.push(w[..w.len() - 1].to_string());
            }
        }
        words.extend(["", "W", "W999", "monitor", "monitor-mode-", "é"].map(String::from));
        for w in &words {
            assert_eq!(lookup(w), Code::lookup(w), "{w:?}");
        }
        assert_eq!(lookup("Monitor-MODE"), Some(Code::MonitorMode));
    }
}
