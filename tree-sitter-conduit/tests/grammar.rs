//! The grammar against its corpus and the repository's policy files: the
//! parser generated from `grammar.js` is compiled by the build script and
//! run here, so `cargo test` tests it (no `tree-sitter` command needed).

use std::path::{Path, PathBuf};

use tree_sitter::{Language, Node, Parser, Query};

fn language() -> Language {
    tree_sitter_conduit::LANGUAGE.into()
}

fn parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&language())
        .unwrap_or_else(|e| panic!("loading the conduit grammar: {e}"));
    parser
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One test of a corpus file: `===` header lines around the name, the
/// source, a line of `---`, the expected tree as an S-expression.
struct Case {
    name: String,
    source: String,
    expected: String,
}

fn is_rule(line: &str, c: char) -> bool {
    line.len() >= 3 && line.trim_end().chars().all(|x| x == c)
}

fn cases(text: &str) -> Vec<Case> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !is_rule(lines[i], '=') {
            i += 1;
            continue;
        }
        let name = lines
            .get(i + 1)
            .copied()
            .unwrap_or_default()
            .trim()
            .to_string();
        assert!(
            lines.get(i + 2).is_some_and(|l| is_rule(l, '=')),
            "corpus test `{name}`: a line of `=` after the name"
        );
        i += 3;
        let start = i;
        while i < lines.len() && !is_rule(lines[i], '-') {
            i += 1;
        }
        let source = lines[start..i].join("\n");
        i += 1;
        let start = i;
        while i < lines.len() && !is_rule(lines[i], '=') {
            i += 1;
        }
        let expected = lines[start.min(i)..i].join("\n");
        out.push(Case {
            name,
            source: source.trim_matches('\n').to_string() + "\n",
            expected,
        });
    }
    out
}

/// An S-expression with its whitespace made single spaces, none inside
/// parentheses.
fn normalize(sexp: &str) -> String {
    sexp.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = manifest().join("test/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_corpus_parses_to_its_expected_trees() {
    let mut parser = parser();
    let mut count = 0;
    for file in corpus_files() {
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in cases(&text) {
            let tree = parser
                .parse(&case.source, None)
                .unwrap_or_else(|| panic!("no tree for `{}`", case.name));
            assert_eq!(
                normalize(&tree.root_node().to_sexp()),
                normalize(&case.expected),
                "{}: `{}`",
                file.display(),
                case.name
            );
            count += 1;
        }
    }
    assert!(count >= 5, "{count} corpus tests");
}

#[test]
fn a_broken_policy_has_error_nodes() {
    let tree = parser()
        .parse("zone a { level }\nconduit { }\n", None)
        .unwrap_or_else(|| panic!("no tree"));
    assert!(tree.root_node().has_error());
}

/// The first node under `node` that is an error or was inserted by the
/// parser's recovery.
fn first_error(node: Node<'_>) -> Option<Node<'_>> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    if !node.has_error() {
        return None;
    }
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_error)
}

fn policy_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap_or_else(|e| panic!("{e}")).path();
        if p.is_dir() {
            policy_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "conduit") {
            out.push(p);
        }
    }
}

#[test]
fn every_bundled_policy_parses_without_errors() {
    let root = manifest().join("..");
    let mut files = Vec::new();
    policy_files(&root.join("examples"), &mut files);
    let mut pass = Vec::new();
    policy_files(&root.join("tests/diagnostics"), &mut pass);
    files.extend(
        pass.into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".pass.conduit")),
    );
    files.sort();
    assert!(files.len() > 50, "{} policy files", files.len());
    let mut parser = parser();
    for file in files {
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let tree = parser
            .parse(&text, None)
            .unwrap_or_else(|| panic!("no tree for {}", file.display()));
        if let Some(e) = first_error(tree.root_node()) {
            let p = e.start_position();
            panic!(
                "{}:{}:{}: {} node `{}`",
                file.display(),
                p.row + 1,
                p.column + 1,
                if e.is_missing() { "MISSING" } else { "ERROR" },
                e.utf8_text(text.as_bytes()).unwrap_or_default()
            );
        }
    }
}

#[test]
fn the_highlight_queries_compile() {
    let query = Query::new(&language(), tree_sitter_conduit::HIGHLIGHTS_QUERY)
        .unwrap_or_else(|e| panic!("queries/highlights.scm: {e}"));
    assert!(query.capture_names().contains(&"keyword"));
    assert!(query.pattern_count() > 10);
}

#[test]
fn node_types_name_the_declarations() {
    for kind in [
        "owner_declaration",
        "service_declaration",
        "zone_declaration",
        "conduit_declaration",
        "firewall_declaration",
        "approval_declaration",
        "isolation_declaration",
    ] {
        assert!(
            tree_sitter_conduit::NODE_TYPES.contains(&format!("\"{kind}\"")),
            "{kind}"
        );
        assert!(language().id_for_node_kind(kind, true) != 0, "{kind}");
    }
}
