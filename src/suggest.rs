//! "Did you mean": the one fuzzy matcher behind every suggestion conduitc
//! makes, for keywords in syntax errors, ICMP type and protocol names,
//! waiver codes, declared names (`E202`) and the names given on the command
//! line (`--firewall`, `--isolation`).
//!
//! The rule, the same everywhere:
//!
//! - A candidate is **close** to a word when their Damerau-Levenshtein
//!   distance, ignoring ASCII case, is at most a third of the candidate's
//!   length in bytes, and at least 1 (`reach`). The closest candidate is
//!   suggested; among equally close ones, the first in string order.
//! - Failing that, a candidate that **begins with** the word (ignoring ASCII
//!   case), the word being at least half as long as the candidate, is
//!   suggested (`cut-corp` for `cut-corporate`); among several, the first in
//!   string order.
//! - Otherwise there is no suggestion.
//!
//! Callers decide what the candidates are (and so leave out a keyword equal
//! to the word itself).

/// How many edits a candidate may be from a word and still be suggested: a
/// third of its length in bytes, at least 1.
pub(crate) fn reach(candidate: &str) -> usize {
    (candidate.len() / 3).max(1)
}

/// True when `candidate` begins with `word` (ignoring ASCII case) and the
/// word is at least half as long: an abbreviation close enough to suggest.
pub(crate) fn abbreviates(word: &str, candidate: &str) -> bool {
    !word.is_empty()
        && 2 * word.len() >= candidate.len()
        && candidate
            .as_bytes()
            .get(..word.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(word.as_bytes()))
}

/// "did you mean `x`?" for the candidate [`nearest`] finds.
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> Option<String> {
    nearest(word, candidates.iter().copied()).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate to suggest for `word`, by the rule above, comparing every
/// candidate.
pub fn nearest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let mut unbounded = u64::MAX;
    closest(word, candidates, &mut unbounded)
}

/// Letter counts of a lowercased name, some letters sharing a count.
fn letter_counts(s: &str) -> [i16; 64] {
    let mut h = [0i16; 64];
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        let k = match c {
            'a'..='z' => c as usize - 'a' as usize,
            '0'..='9' => 26 + c as usize - '0' as usize,
            '-' => 36,
            '_' => 37,
            _ => 38 + c as usize % 26,
        };
        h[k] = h[k].saturating_add(1);
    }
    h
}

/// The candidate to suggest for `word` by the rule above, within a budget.
///
/// Candidates are ruled out by lower bounds of the distance (the difference
/// in length, and half the difference in letter counts) before it is
/// computed, and once one is found, only those that could beat it are
/// computed. Each candidate looked at costs its length and each distance
/// computed the product of the two lengths, taken from `budget`; `None`
/// when the budget runs out.
pub(crate) fn closest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    budget: &mut u64,
) -> Option<&'c str> {
    let w = word.to_ascii_lowercase();
    let wn = w.chars().count();
    let wh = letter_counts(&w);
    let mut best: Option<(usize, &'c str)> = None;
    let mut abbreviated: Option<&'c str> = None;
    for c in candidates {
        let cn = c.chars().count();
        let cost = 1 + cn as u64;
        if *budget < cost {
            *budget = 0;
            return None;
        }
        *budget -= cost;
        if best.is_none() && abbreviated.is_none_or(|a| c < a) && abbreviates(word, c) {
            abbreviated = Some(c);
        }
        let limit = reach(c);
        let ch = letter_counts(c);
        let apart: usize = wh
            .iter()
            .zip(&ch)
            .map(|(a, b)| usize::from(a.abs_diff(*b)))
            .sum();
        let low = wn.abs_diff(cn).max(apart.div_ceil(2));
        let beaten = |b: &Option<(usize, &str)>| {
            b.is_some_and(|(bd, bc)| low > bd || (low == bd && c >= bc))
        };
        if low > limit || beaten(&best) {
            continue;
        }
        let cost = ((wn + 1) * (cn + 1)) as u64;
        if *budget < cost {
            *budget = 0;
            return None;
        }
        *budget -= cost;
        let d = strsim::damerau_levenshtein(&w, &c.to_ascii_lowercase());
        if d <= limit && best.is_none_or(|b| (d, c) < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c).or(abbreviated)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule as stated, comparing every candidate.
    pub(crate) fn by_the_rule<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
        let w = word.to_ascii_lowercase();
        candidates
            .iter()
            .map(|c| (strsim::damerau_levenshtein(&w, &c.to_ascii_lowercase()), *c))
            .filter(|(d, c)| *d <= (c.len() / 3).max(1))
            .min()
            .map(|(_, c)| c)
            .or_else(|| {
                candidates
                    .iter()
                    .copied()
                    .filter(|c| {
                        !word.is_empty()
                            && word.len() * 2 >= c.len()
                            && c.to_ascii_lowercase()
                                .starts_with(&word.to_ascii_lowercase())
                    })
                    .min()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn the_pruned_search_follows_the_rule(
            names in proptest::collection::vec("[a-dA-D0-]{1,12}", 0..16),
            word in "[a-dA-D0-]{0,10}",
        ) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            prop_assert_eq!(nearest(&word, names.iter().copied()), by_the_rule(&word, &names));
        }
    }

    #[test]
    fn typos_within_a_third_of_the_length_are_suggested() {
        let zones = ["control", "supervisory", "safety"];
        assert_eq!(nearest("contrl", zones), Some("control"));
        assert_eq!(nearest("CONTROL", zones), Some("control"));
        assert_eq!(nearest("supervsiory", zones), Some("supervisory"));
        // Two edits from a seven-letter name is within reach, three is not.
        assert_eq!(nearest("cntrl", zones), Some("control"));
        assert_eq!(nearest("cntr", zones), None);
        // A short candidate still allows one edit.
        assert_eq!(nearest("tpc", ["tcp", "udp", "ip"]), Some("tcp"));
        assert_eq!(nearest("xyz", ["tcp", "udp", "ip"]), None);
    }

    #[test]
    fn equally_close_candidates_go_by_string_order() {
        assert_eq!(nearest("plcx", ["plcz", "plcy"]), Some("plcy"));
        assert_eq!(
            did_you_mean("hots", &["host", "hosts"]).as_deref(),
            Some("did you mean `host`?")
        );
    }

    #[test]
    fn an_abbreviation_of_half_the_name_is_suggested_when_no_typo_is() {
        let modes = ["cut-corporate", "cut-vendor"];
        assert_eq!(nearest("cut-corp", modes), Some("cut-corporate"));
        assert_eq!(nearest("CUT-CORP", modes), Some("cut-corporate"));
        // Shorter than half the name: too vague.
        assert_eq!(nearest("cut", ["cut-corporate"]), None);
        // A typo wins over an abbreviation.
        assert_eq!(
            nearest("cut-vendr", ["cut-vendor-2", "cut-vendor"]),
            Some("cut-vendor")
        );
        assert!(!abbreviates("", "x"));
    }

    #[test]
    fn a_spent_budget_suggests_nothing() {
        let mut budget = 5;
        assert_eq!(closest("control", ["control"], &mut budget), None);
        assert_eq!(budget, 0);
    }
}
