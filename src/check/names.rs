//! Name tables (case-insensitive, with "did you mean") and the helpers that
//! judge a block's attributes: required, given twice.

use std::collections::HashMap;

use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{Attr, Block, Ident};
use crate::syntax::did_you_mean;

/// Names of one kind, folded to lowercase, mapped to an index.
pub(crate) struct NameTable {
    kind: &'static str,
    index: HashMap<String, usize>,
    names: Vec<(String, Span, usize)>,
}

impl NameTable {
    pub(crate) fn new(kind: &'static str) -> Self {
        NameTable {
            kind,
            index: HashMap::new(),
            names: Vec::new(),
        }
    }

    /// Declares `id` as index `idx`; a clash is `E201` and returns false.
    pub(crate) fn declare(&mut self, id: &Ident, idx: usize, diags: &mut Vec<Diagnostic>) -> bool {
        let key = id.text.to_ascii_lowercase();
        if let Some(&first) = self.index.get(&key) {
            let (spelled, span, _) = &self.names[first];
            let same = if *spelled == id.text {
                String::new()
            } else {
                format!(" (as `{spelled}`; names ignore case)")
            };
            diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    id.span,
                    format!("{} `{}` is declared twice{same}", self.kind, id.text),
                )
                .label("declared again here")
                .with(*span, "first declared here"),
            );
            return false;
        }
        self.index.insert(key, self.names.len());
        self.names.push((id.text.clone(), id.span, idx));
        true
    }

    /// The index of a name, if declared.
    pub(crate) fn get(&self, text: &str) -> Option<usize> {
        self.index
            .get(&text.to_ascii_lowercase())
            .map(|&i| self.names[i].2)
    }

    /// The declared spelling of a name.
    pub(crate) fn spelled(&self, text: &str) -> Option<&str> {
        self.index
            .get(&text.to_ascii_lowercase())
            .map(|&i| self.names[i].0.as_str())
    }

    /// Every declared spelling.
    pub(crate) fn all(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|(n, _, _)| n.as_str())
    }

    /// Resolves a reference, or reports `E202` with a suggestion.
    pub(crate) fn resolve(&self, id: &Ident, diags: &mut Vec<Diagnostic>) -> Option<usize> {
        if let Some(i) = self.get(&id.text) {
            return Some(i);
        }
        diags.push(self.unknown(id, &[]));
        None
    }

    /// The `E202` diagnostic for `id`, suggesting among this table's names
    /// and `extra`.
    pub(crate) fn unknown(&self, id: &Ident, extra: &[&str]) -> Diagnostic {
        let mut candidates: Vec<&str> = self.all().collect();
        candidates.extend_from_slice(extra);
        Diagnostic::new(
            Code::UnknownName,
            id.span,
            format!("no {} named `{}`", self.kind, id.text),
        )
        .label(format!("unknown {}", self.kind))
        .maybe_help(did_you_mean(&id.text, &candidates))
    }
}

/// The one value of an attribute that may appear at most once in `block`
/// (described as `what`, e.g. ``zone `plant` ``), reporting
/// duplicates (`E112`) and, when `required`, absence (`E111`).
pub(crate) fn single<'a, A, T>(
    block: &'a Block<A>,
    what: &str,
    keyword: &str,
    required: bool,
    diags: &mut Vec<Diagnostic>,
    pick: impl Fn(&'a A) -> Option<T>,
) -> Option<(T, &'a Attr<A>)> {
    let mut found: Option<(T, &Attr<A>)> = None;
    for a in &block.attrs {
        if let Some(v) = pick(&a.value) {
            match &found {
                Some((_, first)) => diags.push(
                    Diagnostic::new(
                        Code::DuplicateAttribute,
                        a.span,
                        format!("`{keyword}` is given twice in {what}"),
                    )
                    .label("given again here")
                    .with(first.span, "first given here")
                    .help(
                        if matches!(
                            keyword,
                            "from" | "to" | "service" | "networks" | "zones" | "requires" | "sever"
                        ) {
                            format!("list every value in one `{keyword}`, separated by commas")
                        } else {
                            format!("keep one `{keyword}`")
                        },
                    ),
                ),
                None => found = Some((v, a)),
            }
        }
    }
    if found.is_none() && required {
        diags.push(
            Diagnostic::new(
                Code::MissingAttribute,
                block.name.span,
                format!("{what} has no `{keyword}`"),
            )
            .label(format!("`{keyword}` is required"))
            .help(format!("add `{keyword} ...` to the block")),
        );
    }
    found
}
