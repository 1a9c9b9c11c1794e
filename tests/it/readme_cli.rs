//! The README and docs/cli.md against the binary: their command tables
//! list exactly the options `--help` has, the README's sample policy is in
//! `fmt` layout, its build excerpts name the firewall they were built for,
//! and its first commands work on a fresh checkout.

use std::collections::BTreeSet;

use crate::run::conduitc;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(rel: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(ROOT).join(rel)).unwrap()
}

/// The subcommands `conduitc --help` lists (without `help`).
fn subcommands() -> Vec<String> {
    let (_, help, _) = conduitc(&["--help"]);
    help.split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect()
}

/// `--long` options words in `text`.
fn long_options(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in text.match_indices("--") {
        let name: String = text[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '-')
            .collect();
        if name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
            found.insert(format!("--{name}"));
        }
    }
    found
}

/// The options of `conduitc NAME --help`, without the global ones
/// (`--color`, `--quiet`, the limits `--max-*`) and `--help`.
fn help_options(name: &str) -> BTreeSet<String> {
    let (code, help, _) = conduitc(&[name, "--help"]);
    assert_eq!(code, 0);
    let options = help.split("Options:\n").nth(1).unwrap();
    let mut found = BTreeSet::new();
    for line in options.lines() {
        let t = line.trim_start();
        let t = t
            .strip_prefix('-')
            .and_then(|r| r.split_once(", "))
            .map_or(t, |(_, r)| r);
        if let Some(rest) = t.strip_prefix("--") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            found.insert(format!("--{name}"));
        }
    }
    for global in [
        "--help",
        "--color",
        "--quiet",
        "--version",
        "--max-file-bytes",
        "--max-policy-bytes",
        "--max-declarations",
    ] {
        found.remove(global);
    }
    found
}

/// The options in the synopsis cells of `doc`'s command table for `name`
/// (one or more rows starting with `conduitc NAME`).
fn table_options(doc: &str, name: &str) -> Option<BTreeSet<String>> {
    let prefix = format!("| `conduitc {name}");
    let rows: Vec<&str> = doc
        .lines()
        .filter(|l| {
            l.strip_prefix(&prefix)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('`'))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let synopses: Vec<&str> = rows
        .iter()
        .map(|r| r.split("` |").next().unwrap_or_default())
        .collect();
    Some(long_options(&synopses.join(" ")))
}

#[test]
fn command_tables_list_the_options_help_lists() {
    let names = subcommands();
    assert!(names.len() >= 14, "{names:?}");
    for doc_name in ["README.md", "docs/cli.md"] {
        let doc = read(doc_name);
        for name in &names {
            let table = table_options(&doc, name)
                .unwrap_or_else(|| panic!("{doc_name}: no row for `conduitc {name}`"));
            let help = help_options(name);
            assert_eq!(
                table, help,
                "{doc_name}: the options of `conduitc {name}` differ from its --help"
            );
        }
    }
}

#[test]
fn readme_sample_policy_is_in_fmt_layout() {
    let readme = read("README.md");
    let sample = readme
        .split("```conduit\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows a policy");
    let formatted = conduitc::formatter::format_source(sample).expect("the sample parses");
    assert_eq!(
        formatted, sample,
        "the README's sample is not in fmt layout"
    );
    // And it checks.
    let sources = conduitc::Sources::from_memory("readme.conduit", sample);
    let today = conduitc::model::Date::parse("2026-12-01").unwrap();
    let checked = conduitc::check(&sources, &conduitc::CheckOptions::new(today));
    assert!(checked.policy.is_some(), "{:?}", checked.diagnostics);
}

/// A single-target build needs `--firewall` for interface names and
/// platform; every build command the README shows for one target names it.
#[test]
fn readme_target_builds_name_their_firewall() {
    let readme = read("README.md");
    let joined = readme.replace('\n', " ");
    let mut seen = 0;
    for (i, _) in joined.match_indices("conduitc build ") {
        let command: String = joined[i..]
            .split(['`', '|'])
            .next()
            .unwrap_or_default()
            .to_string();
        if command.contains("--target ") && command.contains("examples/") {
            seen += 1;
            assert!(command.contains("--firewall "), "{command}");
        }
    }
    assert!(seen >= 3, "{seen} single-target builds in the README");
}

#[test]
fn readme_first_commands_are_the_ones_a_fresh_checkout_needs() {
    let readme = read("README.md");
    let two = readme
        .split("## Two commands")
        .nth(1)
        .and_then(|r| r.split("\n## ").next())
        .unwrap();
    // The demo builds in the profile `cargo test` uses, so the test run
    // reuses its compiled dependencies.
    assert!(
        two.contains(
            "cargo run -- build examples/bottling-plant.conduit --out build --today 2026-12-01"
        ),
        "{two}"
    );
    assert!(!two.contains("--release"), "{two}");
    assert!(two.contains("\ncargo test\n"), "{two}");
    assert!(two.contains("python3"), "{two}");
    assert!(readme.contains("cargo install --locked --path ."));
    // The demo command itself, as the README gives it (without cargo).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("build");
    let (code, _, err) = conduitc(&[
        "build",
        "examples/bottling-plant.conduit",
        "--out",
        out.to_str().unwrap(),
        "--today",
        "2026-12-01",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("manifest.json").is_file());
}

/// `cargo run` (dev) and `cargo test` build the dependencies with the
/// same settings, so the second command reuses what the first compiled:
/// the test profile differs from dev in nothing.
#[test]
fn dev_and_test_profiles_share_their_settings() {
    let manifest = read("Cargo.toml");
    let section = |name: &str| -> Vec<String> {
        manifest
            .split(&format!("[profile.{name}]\n"))
            .nth(1)
            .map(|rest| {
                rest.lines()
                    .take_while(|l| !l.starts_with('['))
                    .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let test = section("test");
    let dev = section("dev");
    for line in &test {
        assert!(
            dev.contains(line),
            "[profile.test] sets `{line}`, which [profile.dev] does not: `cargo test` \
             would rebuild what `cargo run` compiled"
        );
    }
    // The release profile ships no debug info.
    let release = section("release");
    assert!(release.contains(&"debug = 0".to_string()), "{release:?}");
}
