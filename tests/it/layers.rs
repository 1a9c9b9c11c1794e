//! The library's modules import one way, down a declared table of layers,
//! so there are no cycles between them. The test reads every `src/**/*.rs`
//! (the command in `src/cli/` and `src/main.rs` sit above the library and
//! are not part of it), finds each `crate::<module>` in code (comments,
//! doc comments and string literals do not count; `super::` stays inside a
//! module), and checks that a module names only modules of lower layers.
//! docs/library.md describes the same table.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may use the modules of lower layers
/// only: not its own layer's other modules, never a higher layer's.
const LAYERS: &[(&str, &[&str])] = &[
    // The documented input and output limits.
    ("limits", &["limits"]),
    // Source text and spans (reading is bounded by the limits); the
    // "did you mean" matcher.
    ("text", &["source", "suggest"]),
    // The checked policy's value types, the platform table among them.
    ("model", &["model"]),
    // Diagnostics as data and their renderings (the JSON rendering carries
    // the model); the packet and decision types shared by the reference
    // semantics and the lowering.
    ("vocabulary", &["diag", "semantics"]),
    // The parser and the syntax tree.
    ("syntax", &["syntax"]),
    // Checking the syntax tree into the model; locating declarations in it.
    ("front end", &["check", "locate"]),
    // The reference semantics and the lowering to a rule set, both read the
    // checked model.
    ("semantics", &["decide", "lower"]),
    // Everything built on a checked model or a rule set: the targets, the
    // policy diff, attack paths, the graph, the formatter, a code's
    // explanation (which checks its example), logs reconciled with the
    // policy.
    (
        "consumers",
        &[
            "backend",
            "diff",
            "attack_paths",
            "graph",
            "formatter",
            "explain",
            "observe",
        ],
    ),
    // Assertions about a policy (`conduitc test`), judged on the rule set
    // with the reference semantics, attack paths and the lowering.
    ("assertions", &["expect"]),
    // A device's configuration compared with the policy, with the box
    // algebra of the access diff.
    ("device comparison", &["verify"]),
    // The language server: diagnostics, navigation, completion and
    // formatting for editors, on the check, the syntax tree and the
    // formatter.
    ("editor", &["lsp"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

/// The source with comments and the contents of string and character
/// literals blanked out (newlines kept, so lines still count).
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let prev_ident = i > 0 && ident(c[i - 1]);
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            // Block comments nest.
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if !prev_ident && (c[i] == 'r' || (c[i] == 'b' && c.get(i + 1) == Some(&'r'))) {
            // A raw string `r#"…"#` (or `br…`), else an identifier.
            let mut j = i + if c[i] == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            for &ch in &c[i..=j] {
                out.push(ch);
            }
            i = j + 1;
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    break;
                }
                blank(&mut out, c[i]);
                i += 1;
            }
            for &ch in c.iter().skip(i).take(1 + hashes) {
                out.push(ch);
            }
            i += 1 + hashes;
        } else if c[i] == '"' {
            out.push('"');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            if i < c.len() {
                out.push('"');
                i += 1;
            }
        } else if c[i] == '\'' {
            // A character literal ('x', '\n', '\u{..}'), else a lifetime.
            let end = if c.get(i + 1) == Some(&'\\') {
                (i + 2..c.len()).find(|&k| c[k] == '\'')
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.push('\'');
                    for &ch in &c[i + 1..end] {
                        blank(&mut out, ch);
                    }
                    out.push('\'');
                    i = end + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Every `crate::<name>` the code names, with its line: `crate::x::…`,
/// `use crate::x`, and each first name of `use crate::{x::…, y}`.
fn crate_refs(src: &str) -> Vec<(String, usize)> {
    let code: Vec<char> = code_only(src).chars().collect();
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let word = |from: usize| -> (String, usize) {
        let mut j = from;
        while j < code.len() && code[j].is_whitespace() {
            j += 1;
        }
        let start = j;
        while j < code.len() && ident(code[j]) {
            j += 1;
        }
        (code[start..j].iter().collect(), j)
    };
    let line = |at: usize| 1 + code[..at].iter().filter(|&&ch| ch == '\n').count();
    let mut refs = Vec::new();
    let needle: Vec<char> = "crate::".chars().collect();
    let mut i = 0;
    while i + needle.len() <= code.len() {
        if code[i..i + needle.len()] != needle[..] || (i > 0 && ident(code[i - 1])) {
            i += 1;
            continue;
        }
        let mut j = i + needle.len();
        while j < code.len() && code[j].is_whitespace() {
            j += 1;
        }
        if code.get(j) == Some(&'{') {
            // A group: the first name of each item at depth one.
            let mut depth = 0;
            let mut item_start = true;
            while j < code.len() {
                match code[j] {
                    '{' => {
                        depth += 1;
                        if depth == 1 {
                            item_start = true;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    ch if depth == 1 && item_start && ident(ch) => {
                        let (name, end) = word(j);
                        refs.push((name, line(j)));
                        item_start = false;
                        j = end;
                        continue;
                    }
                    _ => {}
                }
                j += 1;
            }
        } else {
            let (name, _) = word(j);
            refs.push((name, line(j)));
        }
        i = j.max(i + 1);
    }
    refs
}

/// The problems with one file of module `module`: each name that is not a
/// module in the table, and each import that is not of a lower layer.
fn violations(module: &str, file: &str, src: &str) -> Vec<String> {
    let Some(own) = layer_of(module) else {
        return vec![format!("{file}: module `{module}` is in no layer")];
    };
    let mut out = Vec::new();
    for (name, line) in crate_refs(src) {
        if name == module {
            continue;
        }
        match layer_of(&name) {
            None => out.push(format!(
                "{file}:{line}: `crate::{name}` is not a module of the layer table; \
                 name the module that defines it"
            )),
            Some(l) if l >= own => out.push(format!(
                "{file}:{line}: `{module}` (layer {own}, {}) uses `{name}` (layer {l}, {}); \
                 a module may use lower layers only",
                LAYERS[own].0, LAYERS[l].0
            )),
            Some(_) => {}
        }
    }
    out
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The library's files with their top-level module (`src/diag/render/json.rs`
/// is `diag`), without the crate root, `src/main.rs` and `src/cli/`.
fn library_files() -> Vec<(String, PathBuf)> {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let module = first.strip_suffix(".rs").unwrap_or(first).to_string();
        if matches!(module.as_str(), "lib" | "main" | "cli") {
            continue;
        }
        out.push((module, path));
    }
    out
}

#[test]
fn imports_run_down_the_layers() {
    let files = library_files();
    assert!(files.len() > 50, "found only {} files", files.len());
    let mut problems = Vec::new();
    let mut edges = BTreeSet::new();
    for (module, path) in &files {
        let src = std::fs::read_to_string(path).unwrap();
        let file = path.strip_prefix(src_dir()).unwrap().display().to_string();
        problems.extend(violations(module, &format!("src/{file}"), &src));
        for (name, _) in crate_refs(&src) {
            if name != *module {
                edges.insert((module.clone(), name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The scan sees the imports that hold the pipeline together.
    for (from, to) in [
        ("check", "syntax"),
        ("lower", "model"),
        ("backend", "lower"),
        ("diag", "source"),
        ("explain", "check"),
    ] {
        assert!(
            edges.contains(&(from.to_string(), to.to_string())),
            "{from} -> {to} not seen in {edges:?}"
        );
    }
}

/// A new top-level module must be placed in the table, and the table
/// names only modules that exist.
#[test]
fn every_module_has_a_layer() {
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).unwrap();
    let declared: BTreeSet<String> = code_only(&lib)
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect();
    let placed: BTreeSet<String> = LAYERS
        .iter()
        .flat_map(|(_, ms)| ms.iter().map(|m| m.to_string()))
        .collect();
    assert_eq!(declared, placed, "src/lib.rs modules vs the layer table");
    let in_files: BTreeSet<String> = library_files().into_iter().map(|(m, _)| m).collect();
    assert_eq!(in_files, placed, "modules under src/ vs the layer table");
}

#[test]
fn the_scanner_sees_an_upward_import() {
    let src = r##"
//! Mentions `crate::backend` in a module comment.
use std::fmt;
use crate::source::Span;
use crate::{
    limits::MAX_LIST_ITEMS,
    check::{check, CheckOptions},
};
/// Links [`crate::lower::RuleSet`] in a doc comment.
fn f(s: Span) -> &'static str {
    /* crate::diff:: in a block /* nested crate::graph */ comment */
    let _c = '"';
    let _ = crate::decide::decide;
    let _ = r#"crate::formatter:: in a raw "string""#;
    "crate::explain:: in a string \" crate::attack_paths"
}
type T = crate::Unplaced;
"##;
    let names: Vec<String> = crate_refs(src).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["source", "limits", "check", "decide", "Unplaced"],
        "{}",
        code_only(src)
    );
    let found = violations("model", "src/model/x.rs", src);
    assert_eq!(found.len(), 3, "{found:#?}");
    let model = layer_of("model").unwrap();
    let check = layer_of("check").unwrap();
    assert!(
        found[0].starts_with(&format!(
            "src/model/x.rs:7: `model` (layer {model}, model) uses `check` (layer {check}, front end)"
        )),
        "{found:#?}"
    );
    assert!(
        found[1].starts_with("src/model/x.rs:13: `model` (layer")
            && found[1].contains("uses `decide`"),
        "{found:#?}"
    );
    assert!(found[2].contains("`crate::Unplaced` is not a module"));
    // Downward and own-module imports are fine; a sibling is not.
    assert!(violations("backend", "b.rs", "use crate::lower::RuleSet;").is_empty());
    assert!(violations("diag", "d.rs", "use crate::diag::Code;").is_empty());
    assert_eq!(violations("diff", "d.rs", "use crate::graph::x;").len(), 1);
    assert_eq!(violations("nowhere", "n.rs", "").len(), 1);
}
