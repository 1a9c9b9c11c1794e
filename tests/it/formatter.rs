//! The formatter: idempotent, meaning-preserving and comment-preserving on
//! every example, on generated policies (plain and with their layout
//! scrambled and comments sprinkled in), and on comments in awkward places;
//! files with errors are refused.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use conduitc::formatter::format_source;
use conduitc::{check, CheckOptions, Checked, Code, Sources};
use proptest::prelude::*;

use conduitc_testkit::gen;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Every `*.conduit` below `dir`, sorted.
fn conduit_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "conduit") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn check_texts(files: &[(String, String)]) -> Checked {
    let mut sources = Sources::new();
    for (name, text) in files {
        sources.add_memory(name.clone(), text.clone());
    }
    check(&sources, &CheckOptions::new(gen::today().add_days(-1)))
}

/// Formats once and twice; the second pass must change nothing.
fn format_idempotent(text: &str) -> String {
    let once = format_source(text).unwrap_or_else(|d| panic!("{d:#?}\n{text}"));
    let twice = format_source(&once).unwrap();
    assert_eq!(once, twice, "formatting is not idempotent:\n{once}");
    once
}

/// The same policy (or the same failure) before and after formatting.
fn assert_same_meaning(before: &[(String, String)], after: &[(String, String)]) {
    let a = check_texts(before);
    let b = check_texts(after);
    // Reordered attributes move diagnostics: compare the codes as multisets.
    let (mut ca, mut cb) = (a.diagnostics.codes(), b.diagnostics.codes());
    ca.sort();
    cb.sort();
    assert_eq!(ca, cb);
    assert_eq!(a.policy, b.policy);
}

/// Every comment line of `text` (from `#` on), sorted.
fn comments_of(text: &str) -> Vec<String> {
    // The test inputs have no `#` inside strings.
    let mut v: Vec<String> = text
        .lines()
        .filter_map(|l| l.find('#').map(|i| l[i..].trim_end().to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn examples_format_idempotently_and_keep_their_model() {
    // Policies as the examples define them: a file or a directory.
    let dir = examples_dir();
    let mut policies: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for f in conduit_files(&dir) {
        let parent = f.parent().unwrap().to_path_buf();
        let key = if parent == dir { f.clone() } else { parent };
        policies.entry(key).or_default().push(f);
    }
    assert!(policies.len() >= 4, "{policies:?}");
    for files in policies.values() {
        let before: Vec<(String, String)> = files
            .iter()
            .map(|f| (f.display().to_string(), fs::read_to_string(f).unwrap()))
            .collect();
        let after: Vec<(String, String)> = before
            .iter()
            .map(|(n, t)| (n.clone(), format_idempotent(t)))
            .collect();
        for ((name, b), (_, a)) in before.iter().zip(&after) {
            assert_eq!(comments_of(b), comments_of(a), "{name}");
        }
        let checked = check_texts(&before);
        assert!(checked.policy.is_some(), "{files:?} should check clean");
        assert_same_meaning(&before, &after);
    }
}

#[test]
fn bundled_examples_are_canonical_except_the_reordered_diff_version() {
    for f in conduit_files(&examples_dir()) {
        let text = fs::read_to_string(&f).unwrap();
        let formatted = format_source(&text).unwrap();
        // v2 of the diff example declares attributes out of order on purpose:
        // `conduitc diff` must report no change for it.
        if f.ends_with("diff/v2/policy.conduit") {
            assert_ne!(formatted, text);
        } else {
            assert_eq!(formatted, text, "{} is not canonical", f.display());
        }
    }
}

/// Scrambles the layout of `text` (which has no comments and no line breaks
/// inside strings): every line break and its indentation becomes other
/// whitespace, and comments are sprinkled at line ends and on lines of
/// their own. Returns the text and the comments added.
fn scramble(text: &str, seed: u64) -> (String, Vec<String>) {
    scramble_layout(text, seed, true)
}

fn scramble_layout(text: &str, seed: u64, comments: bool) -> (String, Vec<String>) {
    let mut rng = gen::Rng::new(seed);
    let mut out = String::new();
    let mut added = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('\n') {
        out.push_str(&rest[..i]);
        rest = rest[i + 1..].trim_start_matches(' ');
        if comments && rng.chance(15) {
            let c = format!("# c{} trailing", added.len());
            out.push_str(&format!("   {c}"));
            added.push(c);
        }
        let ws = *rng.pick(&[" ", "\n", "\n\n\n", "\t", " \n    ", "\r\n", "\n"]);
        let ws = if added.last().is_some_and(|c| out.ends_with(c.as_str())) && !ws.contains('\n') {
            "\n"
        } else {
            ws
        };
        out.push_str(ws);
        if comments && ws.contains('\n') && rng.chance(10) {
            let c = format!("# c{} own line", added.len());
            out.push_str(&format!("{c}\n"));
            added.push(c);
        }
    }
    out.push_str(rest);
    (out, added)
}

fn policy_text(spec: &gen::PolicySpec) -> String {
    let mut p = spec.to_policy();
    p.isolations.retain(|i| !i.sever.is_empty());
    gen::to_text(&p)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_policies_format_idempotently_to_the_same_model(spec in gen::policy_spec()) {
        let text = policy_text(&spec);
        let formatted = format_idempotent(&text);
        assert_same_meaning(
            &[("p.conduit".into(), text)],
            &[("p.conduit".into(), formatted)],
        );
    }

    #[test]
    fn scrambled_policies_with_comments_format_back(spec in gen::policy_spec(), layout in any::<u64>()) {
        let text = policy_text(&spec);
        let (messy, added) = scramble(&text, layout);
        let formatted = format_idempotent(&messy);
        for c in &added {
            prop_assert_eq!(formatted.matches(c.as_str()).count(), 1, "{}\n{}", c, formatted);
        }
        prop_assert_eq!(comments_of(&formatted), comments_of(&messy));
        assert_same_meaning(
            &[("p.conduit".into(), messy)],
            &[("p.conduit".into(), formatted.clone())],
        );
        // Layout is the formatter's, not the input's: the scrambled text
        // without comments formats like the generator's text, up to the
        // blank lines kept between `service` lines.
        let (bare, none) = scramble_layout(&text, layout, false);
        prop_assert!(none.is_empty());
        let strip = |s: String| s.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
        prop_assert_eq!(
            strip(format_source(&bare).unwrap()),
            strip(format_source(&text).unwrap())
        );
    }
}

/// A valid policy with a numbered comment in every kind of place.
const AWKWARD: &str = r#"# c1 file header
# c2 second line

# c3 after a blank line
owner # c4 between keyword and name
  ops # c5 between name and brace
{ # c6 after the brace
  # c7 before contact
  contact "ops@example.com" # c8 after contact
  # c9 before name
  name "Ops" # c10 after name
  # c11 dangling at the end of the owner
} # c12 after the owner
service pair = # c13 after the equals sign
  tcp/1, # c14 after the first item
  # c15 before the second item
  udp/2 # c16 after the service
service marked = tcp/3 # c17 before the marker
  remote-access # c18 after the marker
zone plant {
  host plc = # c19 before the address
    10.1.0.5
  networks 10.1.0.0/16, # c20 inside networks
    2001:db8::/64 # c21 after networks
  owner ops
  level # c22 between level and its value
    1 # c23 after level
  group g = plc, # c24 inside the group
    10.1.0.128/25
}
zone scada { level 2 owner ops networks 10.2.0.0/16 host m = 10.2.0.10 } # c25 one-liner
conduit scada-plant {
  flow poll { # c27 after the flow brace
    reason "polling" # c28 after reason
    service modbus
    to plant.plc
    from scada.m # c29 after from
    # c30 dangling in the flow
  } # c31 after the flow
  # c32 before the second flow
  flow ping {
    from scada
    to plant.g, # c33 between endpoints
       plant.plc
    service icmp/echo-request
    reason "watchdog"
  }
  zones scada, plant # c34 after zones
  owner ops
  waive W103 # c35 between code and reason
    "both zone-wide on purpose"
  # c36 last in the conduit
}
firewall fw {
  interface "eth0" # c37 between name and equals
    = plant
  platform nftables
  interface "eth1" = scada
}
approval plant-floor { requires ops # c38 after requires
  scope level <= 1 }
isolation island { sever scada # c26 inside a one-liner
  reason "cut" }
# c39 end of file"#;

#[test]
fn every_comment_survives_exactly_once_in_awkward_places() {
    let formatted = format_idempotent(AWKWARD);
    for n in 1..=39 {
        let tag = format!("# c{n} ");
        assert_eq!(
            formatted.matches(&tag).count(),
            1,
            "comment {n} must appear once:\n{formatted}"
        );
    }
    assert_eq!(comments_of(&formatted), comments_of(AWKWARD));
    let before = check_texts(&[("a.conduit".into(), AWKWARD.into())]);
    assert!(before.policy.is_some(), "{:?}", before.diagnostics.codes());
    assert_same_meaning(
        &[("a.conduit".into(), AWKWARD.into())],
        &[("a.conduit".into(), formatted.clone())],
    );
    insta::assert_snapshot!("awkward_comments", formatted);
}

/// Everything out of order and on the wrong lines.
const MESSY: &str = "   # Messy but valid.   \n\n\n\
owner   ops{contact \"ops@example.com\"   name \"Ops \\\"A\\\" team\"}\n\
service  ws= tcp/8530,tcp/8531\n\
zone plant{networks 10.1.0.0/16 host plc-1=10.1.0.11 owner ops level 1 sl 2\n\
host plc-2 = 10.1.0.12 description \"Line 1\"  group plcs=plc-1,plc-2}\n\
zone scada {owner ops\n\tlevel 2 networks 10.2.0.0/16,2001:db8:2::/64 host master=10.2.0.10,2001:db8:2::10}\n\
zone office { level 4 owner ops networks 10.4.0.0/16, 10.5.0.0/16, 10.6.0.0/16, 10.7.0.0/16, 10.8.0.0/16, 10.9.0.0/16, 10.10.0.0/16, 10.11.0.0/16 }\n\
conduit scada-plant{flow poll{log essential reason \"SCADA polls the PLCs\" service modbus,enip from scada.master to plant.plcs expires 2027-01-31}\n\
owner ops zones scada,plant sl 2   mode enforce}\n\
firewall fw{interface \"eth1\"=scada platform nftables interface \"eth0\"=plant}\n\
approval a{requires ops scope level<=2}\n\
isolation i{reason \"island\" sever office}\n";

#[test]
fn messy_file_formats_as_snapshotted() {
    let formatted = format_idempotent(MESSY);
    assert_same_meaning(
        &[("m.conduit".into(), MESSY.into())],
        &[("m.conduit".into(), formatted.clone())],
    );
    insta::assert_snapshot!("messy", formatted);
}

#[test]
fn long_lists_go_one_item_per_line_under_the_first() {
    let hosts: Vec<String> = (1..=20).map(|i| format!("h{i}")).collect();
    let mut text = String::from("zone z {\n  level 1\n  owner o\n  networks 10.0.0.0/8\n");
    for h in &hosts {
        text.push_str(&format!("  host {h} = 10.0.0.{}\n", h.len()));
    }
    text.push_str(&format!("  group all = {}\n}}\n", hosts.join(", ")));
    let formatted = format_idempotent(&text);
    assert!(
        formatted.contains("  group all = h1,\n              h2,\n"),
        "{formatted}"
    );
    assert!(formatted.contains("              h20\n}\n"), "{formatted}");
    assert!(formatted.lines().all(|l| l.chars().count() <= 100));
    // Short enough: one line.
    let short = "zone z {\n  level 1\n  owner o\n  networks 10.0.0.0/8, 10.1.0.0/16\n}\n";
    assert_eq!(format_idempotent(short), short);
}

#[test]
fn trailing_comments_align_over_consecutive_lines() {
    let text = "zone z {\n  level 1 # a\n  owner operations # b\n  sl 2\n  networks any # c\n}\n";
    assert_eq!(
        format_idempotent(text),
        "zone z {\n  level 1           # a\n  owner operations  # b\n  sl 2\n  networks any  # c\n}\n"
    );
}

#[test]
fn comments_in_empty_blocks_stay_inside() {
    let dangling = "zone z {\n  # nothing yet\n\n  # or here\n}\n";
    assert_eq!(format_idempotent(dangling), dangling);
    assert_eq!(
        format_idempotent("zone z { # soon\n}\nzone y {   }"),
        "zone z {  # soon\n}\n\nzone y {}\n"
    );
}

#[test]
fn strings_are_reescaped_and_line_ends_normalised() {
    let text = "owner o {\r\n  name \"say \\\"hi\\\" \\\\ bye\"\r\n  contact \"c\"\r\n}\r\n";
    assert_eq!(
        format_idempotent(text),
        "owner o {\n  name \"say \\\"hi\\\" \\\\ bye\"\n  contact \"c\"\n}\n"
    );
    assert_eq!(format_idempotent(""), "");
    assert_eq!(format_idempotent("\n\n  # only\n\n"), "# only\n");
}

#[test]
fn files_with_errors_are_refused_with_their_diagnostics() {
    let syntax = format_source("zone z {\n  level 1\n  owner\n}\n").unwrap_err();
    assert_eq!(syntax.codes(), [Code::Syntax]);
    let literal = format_source("zone z { level 7 owner o networks 10.0.0.1/8 }\n").unwrap_err();
    assert_eq!(literal.codes(), [Code::InvalidLevel, Code::HostBitsSet]);
    let unterminated = format_source("owner o {\n  contact \"abc\n}\n").unwrap_err();
    assert_eq!(unterminated.codes(), [Code::UnterminatedString]);
    // Semantic errors are no reason not to format.
    let unknown = "zone z {\n  level 1\n  owner nobody\n  networks any\n}\n";
    assert_eq!(format_idempotent(unknown), unknown);
}

#[test]
fn examples_in_the_formatting_docs_are_canonical() {
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/formatting.md"))
        .unwrap();
    let mut blocks = 0;
    for part in doc.split("```conduit\n").skip(1) {
        let code: String = part
            .split("```")
            .next()
            .unwrap()
            .lines()
            .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
            .collect();
        let code = format!("{}\n", code.trim_end());
        assert_eq!(format_source(&code).unwrap(), code);
        blocks += 1;
    }
    assert!(blocks >= 1);
}

/// A canonical policy with every kind of attribute.
const EVERY_KIND: &str = r#"owner ops {
  name "Ops"
  contact "ops@example.com"
}

service pair = tcp/1, udp/2 remote-access
service single = tcp/3

zone plant {
  level 1
  owner ops
  sl 2
  description "Line 1"
  networks 10.1.0.0/16
  host plc = 10.1.0.5
  group g = plc, 10.1.1.0/24
}

zone scada {
  level 2
  owner ops
  networks 10.2.0.0/16
  host m = 10.2.0.10
}

zone office {
  level 4
  owner ops
  networks any
}

conduit scada-plant {
  zones scada, plant
  owner ops
  sl 2
  mode monitor
  waive W107 "baseline"

  flow poll {
    from scada.m
    to plant.g
    service modbus, tcp/20000
    owner ops
    reason "polling"
    expires 2027-06-30
    essential
    log
    waive W105 "kept on purpose"
  }
}

firewall fw {
  platform nftables
  interface "eth0" = plant
  interface "eth1" = scada
}

approval a {
  scope level <= 2
  requires ops
}

approval b {
  scope zone plant, scada
  requires ops
}

isolation i {
  sever office
  reason "cut"
}
"#;

#[test]
fn comments_before_and_after_every_kind_of_line_survive() {
    assert_eq!(format_idempotent(EVERY_KIND), EVERY_KIND);
    let mut text = String::new();
    let mut n = 0;
    for line in EVERY_KIND.lines() {
        if line.is_empty() {
            text.push('\n');
            continue;
        }
        n += 1;
        let indent = &line[..line.len() - line.trim_start().len()];
        text.push_str(&format!("{indent}# before-{n}\n{line} # after-{n}\n"));
    }
    let formatted = format_idempotent(&text);
    for k in 1..=n {
        for tag in [format!("# before-{k}\n"), format!("# after-{k}\n")] {
            assert_eq!(formatted.matches(&tag).count(), 1, "{tag}{formatted}");
        }
    }
    assert_same_meaning(
        &[("k.conduit".into(), EVERY_KIND.into())],
        &[("k.conduit".into(), formatted.clone())],
    );
    // Without its comments, the output is the canonical text again, but for
    // the blank line that separates comments closing a conduit from its
    // last flow.
    let bare: String = formatted
        .lines()
        .filter(|l| !l.trim_start().starts_with("# before-"))
        .map(|l| match l.find("  # after-") {
            Some(i) => format!("{}\n", l[..i].trim_end()),
            None => format!("{l}\n"),
        })
        .collect();
    assert_eq!(bare.replace("  }\n\n}", "  }\n}"), EVERY_KIND);
}

#[test]
fn supplier_and_acl_budget_take_their_canonical_places() {
    let messy = "owner ops { contact \"ops@example.com\" }\n\
zone vendor { networks 198.51.100.0/26 supplier description \"OEM support\" owner ops level 5 }\n\
zone scada { level 2 owner ops networks 10.2.0.0/24 }\n\
firewall edge { interface \"GigabitEthernet0/0\" = vendor acl-budget 02000 interface \"GigabitEthernet0/1\" = scada platform cisco-ios }\n";
    let formatted = format_idempotent(messy);
    assert_eq!(
        formatted,
        "owner ops {\n  contact \"ops@example.com\"\n}\n\n\
zone vendor {\n  level 5\n  owner ops\n  description \"OEM support\"\n  supplier\n  networks 198.51.100.0/26\n}\n\n\
zone scada {\n  level 2\n  owner ops\n  networks 10.2.0.0/24\n}\n\n\
firewall edge {\n  platform cisco-ios\n  acl-budget 2000\n  interface \"GigabitEthernet0/0\" = vendor\n  interface \"GigabitEthernet0/1\" = scada\n}\n"
    );
    assert_same_meaning(
        &[("s.conduit".into(), messy.into())],
        &[("s.conduit".into(), formatted.clone())],
    );
    let p = check_texts(&[("s.conduit".into(), formatted)])
        .policy
        .expect("a policy");
    assert!(p.zones[0].supplier && !p.zones[1].supplier);
    assert_eq!(p.firewalls[0].acl_budget, Some(2000));
}
