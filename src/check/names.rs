//! Name tables (case-insensitive, with "did you mean") and the helpers that
//! judge a block's attributes: required, given twice.
//!
//! A "did you mean" compares an unknown name with the declared ones, so
//! thousands of unknown names among thousands of declared ones would cost
//! millions of comparisons. A declared name one edit away is found by hash
//! lookups instead; each table remembers what it suggested for each unknown
//! name; and the work draws on a budget of [`SUGGEST_BUDGET`] steps that a
//! table shares with the tables made from it (every zone's hosts and groups
//! share the zone table's): once it is spent, unknown names are still
//! reported, without a suggestion. What counts as close is the one rule of
//! [`crate::suggest`].

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::rc::Rc;

use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::suggest::closest;
use crate::syntax::ast::{Attr, Block, Ident};

/// Steps of "did you mean" one budget allows (a lookup or a candidate
/// looked at costs its length, a distance the product of the two lengths):
/// well under a second.
pub(crate) const SUGGEST_BUDGET: u64 = 100_000_000;

/// The hasher of a table's index: foldhash, several times faster than the
/// standard one on short names, and seeded per process so that a policy
/// cannot be written to make its names collide.
type Seeded = foldhash::fast::RandomState;

/// Names of one kind, folded to lowercase, mapped to an index.
pub(crate) struct NameTable {
    kind: &'static str,
    index: HashMap<String, usize, Seeded>,
    names: Vec<(String, Span, usize)>,
    /// Steps of "did you mean" left, shared with sibling tables.
    budget: Rc<Cell<u64>>,
    /// Per unknown name (lowercased): the table's size when it was looked
    /// up, and the suggestion.
    suggested: RefCell<HashMap<String, (usize, Option<String>)>>,
    /// Every letter of the lowercased names of the first `.0` names,
    /// gathered only when a suggestion needs them (declaring a name is
    /// frequent, suggesting rare).
    letters: RefCell<(usize, BTreeSet<char>)>,
}

/// Above this many distinct letters in a table's names, looking up every
/// string one edit from an unknown name costs more than it saves.
const MAX_LETTERS: usize = 64;

impl NameTable {
    pub(crate) fn new(kind: &'static str) -> Self {
        NameTable {
            kind,
            index: HashMap::default(),
            names: Vec::new(),
            budget: Rc::new(Cell::new(SUGGEST_BUDGET)),
            suggested: RefCell::new(HashMap::new()),
            letters: RefCell::new((0, BTreeSet::new())),
        }
    }

    /// An empty table whose suggestions draw on this table's budget.
    pub(crate) fn sibling(&self, kind: &'static str) -> Self {
        NameTable {
            budget: Rc::clone(&self.budget),
            ..NameTable::new(kind)
        }
    }

    /// Every letter of the lowercased names.
    fn letters(&self) -> Ref<'_, BTreeSet<char>> {
        {
            let mut letters = self.letters.borrow_mut();
            let (done, set) = &mut *letters;
            for (name, _, _) in self.names.iter().skip(*done) {
                set.extend(name.chars().map(|c| c.to_ascii_lowercase()));
            }
            *done = self.names.len();
        }
        Ref::map(self.letters.borrow(), |l| &l.1)
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
        let found = match self.one_edit_away(word, &keep, &mut left) {
            // No other name of the table is as close; `extra` may be.
            Some(near) => closest(
                word,
                std::iter::once(near).chain(extra.iter().copied()),
                &mut left,
            ),
            None => {
                let names = self
                    .names
                    .iter()
                    .filter(|n| keep(n.2))
                    .map(|n| n.0.as_str())
                    .chain(extra.iter().copied());
                closest(word, names, &mut left)
            }
        };
        self.budget.set(left);
        found.map(|c| format!("did you mean `{c}`?"))
    }

    /// The first in string order of the names (whose index `keep` accepts)
    /// equal to `word` but for case, else one edit from it, found by looking
    /// up every string one deletion, transposition, or substitution or
    /// insertion of a letter some name uses away: `2n + 1` and `2n + 1` per
    /// letter lookups for a word of `n` letters, whatever the table's size.
    /// `None` when there is none, or the table uses too many letters.
    fn one_edit_away(
        &self,
        word: &str,
        keep: &impl Fn(usize) -> bool,
        left: &mut u64,
    ) -> Option<&str> {
        let letters = self.letters();
        if letters.len() > MAX_LETTERS {
            return None;
        }
        let w: Vec<char> = word.to_ascii_lowercase().chars().collect();
        let n = w.len();
        let cost = ((2 * n + 1) * (1 + letters.len()) * (n + 2)) as u64;
        if *left < cost {
            return None;
        }
        *left -= cost;
        let mut best: Option<(usize, &str)> = None;
        let mut look = |s: &str, d: usize| {
            if let Some(&k) = self.index.get(s) {
                let (spelled, _, idx) = &self.names[k];
                if keep(*idx) && best.is_none_or(|b| (d, spelled.as_str()) < b) {
                    best = Some((d, spelled.as_str()));
                }
            }
        };
        let at = |i: usize, mid: &[char], j: usize| -> String {
            w[..i].iter().chain(mid).chain(&w[j..]).collect()
        };
        look(&at(n, &[], n), 0);
        for i in 0..n {
            look(&at(i, &[], i + 1), 1);
            if i + 1 < n && w[i] != w[i + 1] {
                look(&at(i, &[w[i + 1], w[i]], i + 2), 1);
            }
            for &l in letters.iter().filter(|&&l| l != w[i]) {
                look(&at(i, &[l], i + 1), 1);
            }
        }
        for i in 0..=n {
            for &l in letters.iter() {
                look(&at(i, &[l], i), 1);
            }
        }
        best.map(|(_, c)| c)
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
        self.names.push((id.text.to_string(), id.span, idx));
        true
    }

    /// The index of a name, if declared.
    pub(crate) fn get(&self, text: &str) -> Option<usize> {
        self.index.get(&*folded(text)).map(|&i| self.names[i].2)
    }

    /// The declared spelling of a name.
    pub(crate) fn spelled(&self, text: &str) -> Option<&str> {
        self.index
            .get(&*folded(text))
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

/// `text` folded to lowercase, copied only when it has an uppercase letter
/// (most references are written as declared, in lowercase).
fn folded(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// A block as diagnostics name it, ``flow `c/f` ``, written only when a
/// diagnostic needs it.
pub(crate) struct What<'a>(pub &'static str, pub &'a str);

impl fmt::Display for What<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.0, self.1)
    }
}

/// The one value of an attribute that may appear at most once in `block`
/// (described as `what`, e.g. ``zone `plant` ``), reporting
/// duplicates (`E112`) and, when `required`, absence (`E111`).
pub(crate) fn single<'a, A, T>(
    block: &'a Block<A>,
    what: &dyn fmt::Display,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use proptest::prelude::*;

    /// The suggestion as the rule of [`crate::suggest`] states it, without
    /// any bound: every candidate's distance, the closest within a third of
    /// its length, first in string order among equals; failing that, the
    /// first candidate the word abbreviates to at least half its length.
    fn reference(word: &str, candidates: &[&str]) -> Option<String> {
        crate::suggest::tests::by_the_rule(word, candidates).map(|c| format!("did you mean `{c}`?"))
    }

    fn table(names: &[String]) -> NameTable {
        let mut t = NameTable::new("thing");
        for (i, n) in names.iter().enumerate() {
            let id = Ident {
                text: n.as_str().into(),
                span: Span::new(FileId::FIRST, 0, 0),
            };
            t.declare(&id, i, &mut Vec::new());
        }
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn suggestions_agree_with_comparing_every_name(
            names in proptest::collection::vec("[a-dA-D0-]{1,9}", 0..24),
            word in "[a-dA-D0-]{0,10}",
            extra in proptest::collection::vec("[a-d]{1,5}", 0..3),
        ) {
            let t = table(&names);
            let declared: Vec<&str> = t.names.iter().map(|n| n.0.as_str()).collect();
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            let mut all = declared.clone();
            all.extend(&extra);
            prop_assert_eq!(t.suggest(&word, &extra), reference(&word, &all));
            // Asked again, from the table's memory.
            prop_assert_eq!(t.suggest(&word, &extra), reference(&word, &all));
            let even: Vec<&str> = t.names.iter().filter(|n| n.2 % 2 == 0).map(|n| n.0.as_str()).collect();
            prop_assert_eq!(t.suggest_among(&word, |i| i % 2 == 0), reference(&word, &even));
        }
    }

    #[test]
    fn a_spent_budget_stops_suggestions_and_a_table_shares_it() {
        let names: Vec<String> = (0..2_000).map(|i| format!("host-{i:06}")).collect();
        let t = table(&names);
        assert_eq!(
            t.suggest("hots-000007", &[]).as_deref(),
            Some("did you mean `host-000007`?")
        );
        let members = t.sibling("host");
        members.budget.set(0);
        assert_eq!(t.suggest("hots-000008", &[]), None);
        // What was found before is remembered.
        assert_eq!(
            t.suggest("hots-000007", &[]).as_deref(),
            Some("did you mean `host-000007`?")
        );
    }

    #[test]
    fn a_name_one_edit_away_is_found_without_a_scan() {
        // 50,000 names of one length: a scan would cost millions of steps.
        let names: Vec<String> = (0..50_000).map(|i| format!("zone-{i:06}")).collect();
        let t = table(&names);
        for i in (0..50_000).step_by(997) {
            let before = t.budget.get();
            assert_eq!(
                t.suggest(&format!("zoen-{i:06}"), &[]),
                Some(format!("did you mean `zone-{i:06}`?"))
            );
            assert!(before - t.budget.get() < 10_000);
        }
    }
}
