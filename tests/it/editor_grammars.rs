//! The highlighting grammars cannot drift from the language: the keywords
//! of `grammar/conduit.pest` (its `kw_*` rules), read here at test time,
//! must be exactly the keywords of the tree-sitter grammar
//! (`tree-sitter-conduit/grammar.js`, its generated `src/grammar.json` and
//! `queries/highlights.scm`) and of the TextMate grammar
//! (`editors/vscode/syntaxes/conduit.tmLanguage.json`). A keyword added to
//! the language fails this test until every editor grammar knows it.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The string of every `kw_NAME = @{ "word" ~ !name_char }` rule.
fn pest_keywords() -> BTreeSet<String> {
    let pest = read("grammar/conduit.pest");
    let set: BTreeSet<String> = pest
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("kw_") && l.contains('='))
        .map(|l| {
            let word = l
                .split('"')
                .nth(1)
                .unwrap_or_else(|| panic!("a keyword rule without a string: {l}"));
            word.to_string()
        })
        .collect();
    assert!(
        set.len() >= 30 && set.contains("zone") && set.contains("acl-budget"),
        "{set:?}"
    );
    set
}

fn quoted_in(text: &str, quote: char) -> BTreeSet<String> {
    text.split(quote)
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn assert_same(what: &str, found: &BTreeSet<String>, want: &BTreeSet<String>) {
    let missing: Vec<&String> = want.difference(found).collect();
    let extra: Vec<&String> = found.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what} differs from the keywords of grammar/conduit.pest: missing {missing:?}, not keywords {extra:?}"
    );
}

#[test]
fn tree_sitter_grammar_has_exactly_the_pest_keywords() {
    let want = pest_keywords();
    let js = read("tree-sitter-conduit/grammar.js");
    let list = js
        .split_once("const KEYWORDS = [")
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(list, _)| list)
        .expect("grammar.js has `const KEYWORDS = [...];`");
    assert_same("KEYWORDS in grammar.js", &quoted_in(list, '\''), &want);

    // The generated grammar uses each keyword as a string token; the
    // parser (src/parser.c) is generated from it.
    let generated: Value =
        serde_json::from_str(&read("tree-sitter-conduit/src/grammar.json")).unwrap();
    let mut strings = BTreeSet::new();
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if m.get("type") == Some(&Value::from("STRING")) {
                    if let Some(s) = m.get("value").and_then(Value::as_str) {
                        out.insert(s.to_string());
                    }
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(&generated, &mut strings);
    let missing: Vec<&String> = want.difference(&strings).collect();
    assert!(
        missing.is_empty(),
        "src/grammar.json lacks keywords {missing:?}: run `tree-sitter generate`"
    );
    // src/parser.c is generated from src/grammar.json: it has a symbol for
    // every rule.
    let parser = read("tree-sitter-conduit/src/parser.c");
    let rules = generated["rules"]
        .as_object()
        .expect("grammar.json has rules");
    for name in rules.keys() {
        assert!(
            parser.contains(&format!("sym_{name}")),
            "src/parser.c has no rule `{name}`: run `tree-sitter generate`"
        );
    }

    // Highlighting: a keyword is an anonymous node in the `[...] @keyword`
    // list, or, when a rule is the keyword alone (`log_attribute`), that
    // rule's node is highlighted as @keyword.
    let scm = read("tree-sitter-conduit/queries/highlights.scm");
    let keyword_block = scm
        .split_once("[\n")
        .and_then(|(_, rest)| rest.split_once("] @keyword"))
        .map(|(list, _)| list)
        .expect("highlights.scm has a `[ ... ] @keyword` list");
    let listed = quoted_in(keyword_block, '"');
    let extra: Vec<&String> = listed.difference(&want).collect();
    assert!(
        extra.is_empty(),
        "the @keyword list of highlights.scm has non-keywords {extra:?}"
    );
    for k in &want {
        let alone = rules.iter().find_map(|(name, r)| {
            (r["type"] == "STRING" && r["value"] == k.as_str()).then_some(name)
        });
        let ok = match alone {
            Some(node) => {
                scm.contains(&format!("({node}) @keyword"))
                    || scm.contains(&format!("({node}) @constant"))
            }
            None => listed.contains(k),
        };
        assert!(ok, "highlights.scm does not highlight keyword `{k}`");
    }
}

#[test]
fn textmate_grammar_has_exactly_the_pest_keywords_and_the_platforms() {
    let want = pest_keywords();
    let tm: Value =
        serde_json::from_str(&read("editors/vscode/syntaxes/conduit.tmLanguage.json")).unwrap();
    let pattern = tm["repository"]["keyword"]["match"]
        .as_str()
        .expect("a keyword pattern");
    let alternatives = pattern
        .split_once("(?:")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(alts, _)| alts)
        .expect("the keyword pattern is `...(?:a|b|...)...`");
    let found: BTreeSet<String> = alternatives.split('|').map(str::to_string).collect();
    assert_same("the TextMate keyword pattern", &found, &want);

    let constants = tm["repository"]["constant"]["match"].as_str().unwrap();
    for p in conduitc::platform::names() {
        assert!(
            constants.contains(&format!("|{p}|")) || constants.contains(&format!(":{p}|")),
            "the TextMate grammar lacks platform `{p}`"
        );
    }

    // The VS Code extension points at this grammar for `.conduit` files.
    let pkg: Value = serde_json::from_str(&read("editors/vscode/package.json")).unwrap();
    assert_eq!(
        pkg["contributes"]["grammars"][0]["path"],
        "./syntaxes/conduit.tmLanguage.json"
    );
    assert_eq!(
        pkg["contributes"]["grammars"][0]["scopeName"],
        tm["scopeName"]
    );
    assert_eq!(
        pkg["contributes"]["languages"][0]["extensions"][0],
        ".conduit"
    );
    let config: Value =
        serde_json::from_str(&read("editors/vscode/language-configuration.json")).unwrap();
    assert_eq!(config["comments"]["lineComment"], "#");
}
