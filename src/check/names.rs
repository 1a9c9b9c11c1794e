//! Name tables (case-insensitive, with "did you mean") and the helpers that
//! judge a block's attributes: required, given twice.
//!
//! A "did you mean" compares an unknown name with every declared one, so
//! thousands of unknown names among thousands of declared ones would cost
//! millions of comparisons. Each table remembers what it suggested for each
//! unknown name, and the comparisons draw on a budget of [`SUGGEST_BUDGET`]
//! steps (see [`crate::syntax::closest`]) that a table shares with the
//! tables made from it (every zone's hosts and groups share the zone
//! table's): once it is spent, unknown names are still reported, without a
//! suggestion.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{Attr, Block, Ident};
use crate::syntax::closest;

/// Steps of "did you mean" one budget allows: about a million comparisons
/// of short names, a fraction of a second.
pub(crate) const SUGGEST_BUDGET: u64 = 30_000_000;

/// Names of one kind, folded to lowercase, mapped to an index.
pub(crate) struct NameTable {
    kind: &'static str,
    index: HashMap<String, usize>,
    names: Vec<(String, Span, usize)>,
    /// Steps of "did you mean" left, shared with sibling tables.
    budget: Rc<Cell<u64>>,
    /// Per unknown name (lowercased): the table's size when it was looked
    /// up, and the suggestion.
    suggested: RefCell<HashMap<String, (usize, Option<String>)>>,
}

impl NameTable {
    pub(crate) fn new(kind: &'static str) -> Self {
        NameTable {
            kind,
            index: HashMap::new(),
            names: Vec::new(),
            budget: Rc::new(Cell::new(SUGGEST_BUDGET)),
            suggested: RefCell::new(HashMap::new()),
        }
    }

    /// An empty table whose suggestions draw on this table's budget.
    pub(crate) fn sibling(&self, kind: &'static str) -> Self {
        NameTable {
            budget: Rc::clone(&self.budget),
            ..NameTable::new(kind)
        }
    }

    /// The closest name to `word` among those whose index `keep` accepts
    /// and `extra`, within the budget.
    fn closest_of(
        &self,
        word: &str,
        extra: &[&str],
        keep: impl Fn(usize) -> bool,
    ) -> Option<String> {
        let mut left = self.budget.get();
        let names = self
            .names
            .iter()
            .filter(|n| keep(n.2))
            .map(|n| n.0.as_str())
            .chain(extra.iter().copied());
        let found = closest(word, names, &mut left).map(|c| format!("did you mean `{c}`?"));
        self.budget.set(left);
        found
    }

    /// "did you mean" for an unknown `word`, among this table's names and
    /// `extra` (the same for every lookup in one table); once per name.
    pub(crate) fn suggest(&self, word: &str, extra: &[&str]) -> Option<String> {
        let key = word.to_ascii_lowercase();
        if let Some((size, s)) = self.suggested.borrow().get(&key) {
            if *size == self.names.len() {
                return s.clone();
            }
        }
        let s = self.closest_of(word, extra, |_| true);
        self.suggested
            .borrow_mut()
            .insert(key, (self.names.len(), s.clone()));
        s
    }

    /// "did you mean" for an unknown `word`, among the names whose index
    /// `keep` accepts.
    pub(crate) fn suggest_among(&self, word: &str, keep: impl Fn(usize) -> bool) -> Option<String> {
        self.closest_of(word, &[], keep)
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
        Diagnostic::new(
            Code::UnknownName,
            id.span,
            format!("no {} named `{}`", self.kind, id.text),
        )
        .label(format!("unknown {}", self.kind))
        .maybe_help(self.suggest(&id.text, extra))
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
