//! Re-parsing a file after an edit without parsing all of it: only the
//! top-level declarations the edit touches are parsed again, and the tree
//! of the rest is kept, its spans moved by the change in length.
//!
//! The edit is found by comparing the old and new text (their common
//! prefix and suffix). The part parsed again runs from a line start before
//! the edit to a line start after it, both outside every declaration of
//! the old tree; a `service` declaration just before it, whose list could
//! go on past its end, is taken in too. Strings and comments end at a line
//! end, so each side of such a boundary reads the same in the whole file as
//! on its own, and the slice parses as it would within the file. Whenever
//! that is not plain, the caller parses the whole file instead: the old
//! text had any diagnostic, or the slice has one (a syntax or literal error
//! or a lexical finding, which the whole-file parse reports once per file).

use crate::source::FileId;
use crate::syntax::ast::File;
use crate::syntax::shift::{decl_span, Shift};
use crate::syntax::{self, ast::Decl};

/// The tree of `new_text`, made from `old`, the tree of `old_text` (which
/// parsed without any diagnostic), when the part of `new_text` that changed
/// parses on its own without any diagnostic; `None` when the whole file
/// must be parsed.
///
/// The result equals what [`syntax::parse_text`] makes of `new_text`, spans
/// included.
pub(crate) fn reparse(id: FileId, old_text: &str, old: File, new_text: &str) -> Option<File> {
    if old.file != id {
        return None;
    }
    let (a, b) = (old_text.as_bytes(), new_text.as_bytes());
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let room = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    // Start, end and "is a service" of each declaration, in order.
    let spans: Vec<(usize, usize, bool)> = old
        .decls
        .iter()
        .map(|d| {
            let s = decl_span(d);
            (
                s.start as usize,
                s.end as usize,
                matches!(d, Decl::Service(_)),
            )
        })
        .collect();
    // The declaration that starts last before `at`, if any.
    let before = |at: usize| {
        spans
            .partition_point(|d| d.0 < at)
            .checked_sub(1)
            .and_then(|i| spans.get(i))
    };
    // From a line start at or before the edit, outside every declaration,
    // not right after a service declaration.
    let mut x = prefix;
    let start = loop {
        let l = a
            .get(..x)
            .and_then(|h| h.iter().rposition(|&c| c == b'\n'))
            .map_or(0, |i| i + 1);
        match before(l) {
            Some(&(s, e, service)) if e > l || service => x = s,
            _ => break l,
        }
    };
    // To a line start after a line end at or after the edit's end in the
    // old text (so the line end is there in the new text too), outside
    // every declaration.
    let mut y = a.len() - suffix;
    let end = loop {
        let r = a
            .get(y..)
            .and_then(|t| t.iter().position(|&c| c == b'\n'))
            .map_or(a.len(), |i| y + i + 1);
        match before(r) {
            Some(&(_, e, _)) if e > r => y = e,
            _ => break r,
        }
    };
    let delta = i64::try_from(b.len()).ok()? - i64::try_from(a.len()).ok()?;
    let new_end = usize::try_from(i64::try_from(end).ok()? + delta).ok()?;
    let slice = new_text.get(start..new_end)?;
    let parsed = syntax::parse_text(id, slice);
    if !parsed.diagnostics.is_empty() {
        return None;
    }
    let mut middle = parsed.file?;
    middle.shift(i64::try_from(start).ok()?);

    let File {
        file,
        mut decls,
        mut comments,
    } = old;
    let mut after = decls.split_off(decls.partition_point(|d| (decl_span(d).start as usize) < end));
    decls.truncate(decls.partition_point(|d| (decl_span(d).start as usize) < start));
    after.shift(delta);
    decls.append(&mut middle.decls);
    decls.append(&mut after);
    let mut after = comments.split_off(comments.partition_point(|c| (c.span.start as usize) < end));
    comments.truncate(comments.partition_point(|c| (c.span.start as usize) < start));
    after.shift(delta);
    comments.append(&mut middle.comments);
    comments.append(&mut after);
    Some(File {
        file,
        decls,
        comments,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use conduitc_testkit::gen::{policy_spec, Rng};
    use proptest::prelude::*;

    use crate::lsp::workspace::Analysis;
    use crate::model::Date;

    const PATH: &str = "/ws/p.conduit";

    fn analyse(text: &str, previous: Option<&mut Analysis>) -> Analysis {
        let texts = BTreeMap::from([(PathBuf::from(PATH), text.as_bytes().to_vec())]);
        let today = Date::parse("2026-12-01").unwrap();
        Analysis::new(&texts, &[PathBuf::from("/ws")], today, previous)
    }

    /// The analysis of `new` made from `previous` (the analysis of the text
    /// before) equals the analysis of `new` from scratch: trees with their
    /// spans, syntax diagnostics, and the check's diagnostics. Returns the
    /// analysis, whether the file was parsed in part, and whether both the
    /// text before and `new` parse without diagnostics.
    fn same_as_full(new: &str, previous: &mut Analysis) -> (Analysis, bool, bool) {
        let was_clean = previous.files.len() == 1 && previous.syntax.iter().all(Vec::is_empty);
        let from_previous = analyse(new, Some(previous));
        let full = analyse(new, None);
        assert_eq!(from_previous.files, full.files, "tree of:\n{new}");
        assert_eq!(from_previous.syntax, full.syntax, "syntax of:\n{new}");
        assert_eq!(
            from_previous.checked.diagnostics, full.checked.diagnostics,
            "diagnostics of:\n{new}"
        );
        assert_eq!(from_previous.checked.policy, full.checked.policy);
        let spliced = from_previous.spliced == 1;
        let clean = was_clean && full.files.len() == 1 && full.syntax.iter().all(Vec::is_empty);
        (from_previous, spliced, clean)
    }

    fn boundary(text: &str, mut at: usize) -> usize {
        at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at += 1;
        }
        at
    }

    fn line_starts(text: &str) -> Vec<usize> {
        std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect()
    }

    const SNIPPETS: &[&str] = &[
        "",
        "\n",
        " ",
        "}",
        "{",
        "#",
        "# a comment\n",
        "\"",
        "x",
        "7",
        ",",
        ", udp/53",
        "remote-access",
        "zone extra { level 2 owner ops networks 10.99.0.0/16 }\n",
        "service extra = tcp/8080\n",
        "conduit c9 { zones a, b }",
        "\u{200b}",
        "\u{202e}",
        "\r",
    ];

    /// One random edit: a snippet in place of a short range, a character
    /// typed in place of a letter, lines copied elsewhere, or lines removed.
    fn edit(text: &str, rng: &mut Rng) -> String {
        let len = text.len() as u64;
        let lines = line_starts(text);
        let mut out = String::new();
        match rng.range(0, 3) {
            0 => {
                let i = boundary(text, rng.range(0, len) as usize);
                let j = boundary(text, i + rng.range(0, 12) as usize);
                out.push_str(&text[..i]);
                out.push_str(rng.pick::<&str>(SNIPPETS));
                out.push_str(&text[j..]);
            }
            1 => {
                let letters: Vec<usize> = text
                    .char_indices()
                    .filter(|(_, c)| c.is_ascii_alphanumeric())
                    .map(|(i, _)| i)
                    .collect();
                if letters.is_empty() {
                    return format!("{text}x");
                }
                let i = *rng.pick(&letters);
                out.push_str(&text[..i]);
                out.push(*rng.pick(&['a', 'q', 'Z', '0', '9', '-', '.', '_']));
                out.push_str(&text[i + 1..]);
            }
            2 => {
                let from = *rng.pick(&lines);
                let to = boundary(text, from + rng.range(0, 300) as usize);
                let at = *rng.pick(&lines);
                out.push_str(&text[..at]);
                out.push_str(&text[from..to]);
                out.push_str(&text[at..]);
            }
            _ => {
                let from = *rng.pick(&lines);
                let to = lines
                    .iter()
                    .copied()
                    .find(|&l| l > from + rng.range(0, 200) as usize)
                    .unwrap_or(text.len());
                out.push_str(&text[..from]);
                out.push_str(&text[to..]);
            }
        }
        out
    }

    /// A few edits in a row on `text`, each analysed from the analysis
    /// before; returns how many edits left a text that parses cleanly after
    /// one that did, and how many edits were parsed in part.
    fn edits(text: &str, seed: u64, n: usize) -> (usize, usize) {
        let mut rng = Rng::new(seed);
        let mut previous = analyse(text, None);
        let mut text = text.to_string();
        let (mut clean, mut spliced) = (0, 0);
        for _ in 0..n {
            text = edit(&text, &mut rng);
            let (next, partial, both_clean) = same_as_full(&text, &mut previous);
            spliced += usize::from(partial);
            clean += usize::from(both_clean);
            previous = next;
        }
        (clean, spliced)
    }

    fn bundled() -> Vec<String> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        let mut dirs = vec![root.join("examples"), root.join("tests/diagnostics")];
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "conduit") {
                    let name = p.to_string_lossy().to_string();
                    if !name.contains("tests/diagnostics") || name.ends_with(".pass.conduit") {
                        out.push(std::fs::read_to_string(&p).unwrap());
                    }
                }
            }
        }
        out.sort();
        assert!(out.len() > 20, "the examples and pass files: {}", out.len());
        out
    }

    #[test]
    fn random_edits_of_the_bundled_policies_equal_a_full_parse() {
        let (mut clean, mut spliced) = (0, 0);
        for (k, text) in bundled().iter().enumerate() {
            for seed in 0..8 {
                let (c, s) = edits(text, (k as u64) << 8 | seed, 4);
                clean += c;
                spliced += s;
            }
        }
        // Of the edits from clean text to clean text, nearly all are parsed
        // in part (the others join or split declarations across the part).
        assert!(clean > 100, "{clean} edits from clean text to clean text");
        assert!(
            spliced * 10 >= clean * 9,
            "{spliced} of {clean} edits parsed in part"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn random_edits_of_generated_policies_equal_a_full_parse(
            spec in policy_spec(),
            seed in any::<u64>(),
        ) {
            edits(&spec.render(), seed, 6);
        }
    }

    #[test]
    fn edits_across_boundaries_equal_a_full_parse() {
        let base = "owner ops { contact \"c\" }\n\
                    zone a { level 1 owner ops networks 10.0.0.0/16 } zone b { level 2 owner ops networks 10.1.0.0/16 }\n\
                    service s = tcp/1\n\
                    \n\
                    # between\n\
                    conduit c { zones a, b flow f { from a to b service s } }\n";
        let cases = [
            // A comment that hides the next declaration on the same line.
            base.replacen("zone a", "# zone a", 1),
            // A service list that goes on on the next line.
            base.replacen("\n\n# between", "\n, udp/2\n# between", 1),
            base.replacen("\n\n# between", "\nremote-access\n# between", 1),
            // An unterminated string, a stray brace, a comment mark.
            base.replacen("contact \"c\"", "contact \"c", 1),
            base.replacen("# between", "} # between", 1),
            base.replacen("# between", "between", 1),
            // Text that parses on its own but not where it is.
            base.replacen("# between\n", "# between\nzone", 1),
            base.replacen("service s = tcp/1\n", "service s = tcp/1\ns", 1),
        ];
        for new in cases {
            let mut previous = analyse(base, None);
            assert!(previous.files.len() == 1 && previous.syntax[0].is_empty());
            same_as_full(&new, &mut previous);
        }
    }

    #[test]
    fn an_edit_inside_one_declaration_parses_that_declaration_only() {
        let base = "owner ops { contact \"c\" }\n\
                    zone a { level 1 owner ops networks 10.0.0.0/16 }\n\
                    zone b { level 2 owner ops networks 10.1.0.0/16 }\n";
        let mut previous = analyse(base, None);
        // Longer: everything after moves on.
        let new = base.replacen("contact \"c\"", "contact \"ops desk\"", 1);
        let (mut next, spliced, _) = same_as_full(&new, &mut previous);
        assert!(spliced);
        // A name typed wrong: the check sees it.
        let new = new.replacen("owner ops networks 10.1", "owner opx networks 10.1", 1);
        let (next, spliced, _) = same_as_full(&new, &mut next);
        assert!(spliced);
        assert_eq!(next.checked.diagnostics.error_count(), 1);
    }
}
