//! Completion by context: what may be written where the cursor is.
//!
//! The text before the cursor is read as tokens (comments and strings
//! skipped) to find the block the cursor is in and the statement it
//! continues. After `service`, services (declared, and the catalogue's with
//! their ports); after `from`, `to`, `zones`, `sever` and `scope zone`,
//! zones, and after `zone.` that zone's hosts and groups; after `owner` and
//! `requires`, owners; after `scope conduit`, conduits; after `platform`,
//! the platforms; after `mode`, the modes. Where a statement begins, the
//! keywords that may begin one in that block, read from the grammar's rules.

use serde_json::{json, Value};

use crate::model::catalogue::CATALOGUE;
use crate::model::platform::PLATFORMS;
use crate::source::FileId;

use super::index::Kind;
use super::workspace::Analysis;

// CompletionItemKind values of the protocol.
const KEYWORD: u8 = 14;
const MODULE: u8 = 9;
const VALUE: u8 = 12;
const REFERENCE: u8 = 18;
const FIELD: u8 = 5;
const ENUM_MEMBER: u8 = 20;

const GRAMMAR: &str = include_str!("../../grammar/conduit.pest");

fn item(label: &str, kind: u8, detail: &str) -> Value {
    json!({ "label": label, "kind": kind, "detail": detail })
}

/// The body of the grammar rule `name` (between its braces), if any.
fn rule(name: &str) -> Option<&'static str> {
    let head = format!("{name} = ");
    let line = GRAMMAR.lines().find(|l| l.starts_with(&head))?;
    let body = line.get(head.len()..)?;
    let body = body.trim_start_matches(['@', '_', '$']).trim();
    Some(body.trim_start_matches('{').trim_end_matches('}').trim())
}

/// The keyword of a `kw_*` rule.
fn keyword_of(kw_rule: &str) -> Option<&'static str> {
    rule(kw_rule)?.split('"').nth(1)
}

/// The keywords that may begin a statement in the block whose attributes
/// the grammar rule `attr_rule` lists (`decl` for the top level): the
/// first keyword of each alternative.
pub(crate) fn statement_keywords(attr_rule: &str) -> Vec<&'static str> {
    let Some(body) = rule(attr_rule) else {
        return Vec::new();
    };
    let mut out: Vec<&'static str> = body
        .split('|')
        .filter_map(|alt| {
            let first = rule(alt.trim())?
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .find(|t| t.starts_with("kw_"))?;
            keyword_of(first)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The attribute rule of the block a keyword opens.
fn block_rule(opener: &str) -> &'static str {
    match opener {
        "owner" => "owner_attr",
        "zone" => "zone_attr",
        "conduit" => "conduit_attr",
        "flow" => "flow_attr",
        "firewall" => "firewall_attr",
        "manage" | "control" => "local_attr",
        "approval" => "approval_attr",
        "isolation" => "isolation_attr",
        _ => "decl",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Word(&'a str),
    Open,
    Close,
    Comma,
    Eq,
    Str,
}

/// The tokens of `text`, comments left out and each string one token.
fn tokens(text: &str) -> Vec<Tok<'_>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push(Tok::Str);
            }
            b'{' => {
                out.push(Tok::Open);
                i += 1;
            }
            b'}' => {
                out.push(Tok::Close);
                i += 1;
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b'=' => {
                out.push(Tok::Eq);
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while i < b.len()
                    && !b[i].is_ascii_whitespace()
                    && !matches!(b[i], b'#' | b'"' | b'{' | b'}' | b',' | b'=')
                {
                    i += 1;
                }
                out.push(Tok::Word(text.get(start..i).unwrap_or("")));
            }
        }
    }
    out
}

/// What may come at the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// A keyword that begins a statement in the block of this rule.
    Statement(&'static str),
    Services,
    Zones,
    Owners,
    Conduits,
    Platforms,
    Modes,
    ScopeKinds,
    /// A name being declared, a number, a date, a string: nothing to offer.
    Nothing,
}

/// The value a keyword takes, as completion can offer it.
fn value_of(kw: &str, block: &str) -> Want {
    match (kw, block) {
        ("service", "decl") => Want::Nothing, // `service NAME = ...`: a new name
        ("service", _) => Want::Services,
        ("from" | "to" | "zones" | "sever", _) => Want::Zones,
        ("owner", "decl") => Want::Nothing,
        ("owner" | "requires", _) => Want::Owners,
        ("platform", _) => Want::Platforms,
        ("mode", _) => Want::Modes,
        ("scope", _) => Want::ScopeKinds,
        _ => Want::Nothing,
    }
}

/// Keywords whose value is a list, continued after a comma.
fn is_list(kw: &str) -> bool {
    matches!(
        kw,
        "from" | "to" | "service" | "zones" | "sever" | "requires" | "networks" | "host" | "group"
    )
}

/// What may be written after the tokens `toks` (the text before the word
/// under the cursor).
fn context(toks: &[Tok<'_>]) -> Want {
    // The blocks the cursor is in: the keyword that opened each.
    let mut stack: Vec<&str> = Vec::new();
    let mut block_start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Open => {
                // Every block is `KEYWORD NAME {`.
                let opener = match i.checked_sub(2).and_then(|j| toks.get(j)) {
                    Some(Tok::Word(w)) => *w,
                    _ => "",
                };
                stack.push(opener);
                block_start = i + 1;
            }
            Tok::Close => {
                stack.pop();
                block_start = i + 1;
            }
            _ => {}
        }
    }
    let block = block_rule(stack.last().copied().unwrap_or(""));
    let heads = statement_keywords(block);
    let stmt = toks.get(block_start..).unwrap_or(&[]);
    let Some(last) = stmt.last() else {
        return Want::Statement(block);
    };
    // The head of the statement the cursor is in: walk forward, a word in
    // head position that is a keyword of the block begins a statement.
    let mut head: Option<&str> = None;
    let mut expect_value = false;
    let mut prev: Option<Tok<'_>> = None;
    for t in stmt {
        if let Tok::Word(w) = t {
            let at_head = !expect_value
                && !matches!(prev, Some(Tok::Comma) | Some(Tok::Eq))
                && heads.contains(w);
            if at_head {
                head = Some(w);
                expect_value = !matches!(*w, "log" | "essential" | "supplier");
            } else if head == Some("scope") && matches!(*w, "zone" | "conduit" | "level") {
                head = Some(if *w == "zone" {
                    "scope-zone"
                } else if *w == "conduit" {
                    "scope-conduit"
                } else {
                    "scope-level"
                });
                expect_value = true;
            } else {
                expect_value = false;
            }
        }
        prev = Some(*t);
    }
    let Some(head) = head else {
        return Want::Statement(block);
    };
    let wants = |kw: &str| match kw {
        "scope-zone" => Want::Zones,
        "scope-conduit" => Want::Conduits,
        "scope-level" => Want::Nothing,
        "interface" => Want::Zones,
        _ => value_of(kw, block),
    };
    match last {
        Tok::Word(w) if *w == head || (head.starts_with("scope-") && expect_value) => {
            if expect_value {
                wants(head)
            } else {
                Want::Statement(block)
            }
        }
        Tok::Comma if head == "service" => Want::Services,
        Tok::Comma if is_list(head) || head.starts_with("scope-") => wants(head),
        // `service NAME = ...` at the top level; `interface "X" = zone`.
        Tok::Eq if head == "service" && block == "decl" => Want::Services,
        Tok::Eq if head == "interface" => Want::Zones,
        Tok::Eq | Tok::Comma => Want::Nothing,
        Tok::Str if head == "interface" => Want::Nothing,
        _ => Want::Statement(block),
    }
}

/// The items offered at byte `offset` of `file`.
pub(crate) fn items(a: &Analysis, file: FileId, offset: usize) -> Vec<Value> {
    let text = a.text(file);
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let word_start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .map_or(0, |i| i + 1);
    let word = before.get(word_start..).unwrap_or("");
    let want = context(&tokens(before.get(..word_start).unwrap_or("")));
    if let Some((zone, _)) = word.split_once('.') {
        if want != Want::Zones {
            return Vec::new();
        }
        let prefix = format!("{}.", zone.to_ascii_lowercase());
        return a
            .index()
            .declared(Kind::Member)
            .into_iter()
            .filter(|o| o.key.starts_with(&prefix))
            .map(|o| {
                item(
                    a.sources.slice(o.span),
                    FIELD,
                    &format!("host or group of zone `{zone}`"),
                )
            })
            .collect();
    }
    let names = |kind: Kind, ck: u8| -> Vec<Value> {
        a.index()
            .declared(kind)
            .into_iter()
            .map(|o| item(a.sources.slice(o.span), ck, kind.word()))
            .collect()
    };
    match want {
        Want::Statement(rule) => statement_keywords(rule)
            .into_iter()
            .map(|k| item(k, KEYWORD, "keyword"))
            .collect(),
        Want::Services => {
            let mut out = names(Kind::Service, VALUE);
            for s in CATALOGUE {
                if a.index().decls(Kind::Service, s.name).is_empty() {
                    let mut v = item(s.name, VALUE, &s.specs.join(", "));
                    v["documentation"] = json!(format!("built-in service: {}", s.description));
                    out.push(v);
                }
            }
            out
        }
        Want::Zones => names(Kind::Zone, MODULE),
        Want::Owners => names(Kind::Owner, REFERENCE),
        Want::Conduits => names(Kind::Conduit, MODULE),
        Want::Platforms => PLATFORMS
            .iter()
            .map(|p| item(p.name, ENUM_MEMBER, p.label))
            .collect(),
        Want::Modes => ["enforce", "monitor"]
            .into_iter()
            .map(|m| item(m, ENUM_MEMBER, "mode"))
            .collect(),
        Want::ScopeKinds => ["all", "conduit", "level", "zone"]
            .into_iter()
            .map(|k| item(k, KEYWORD, "scope"))
            .collect(),
        Want::Nothing => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Want {
        context(&tokens(text))
    }

    #[test]
    fn statement_keywords_come_from_the_grammar() {
        assert_eq!(
            statement_keywords("decl"),
            [
                "approval",
                "conduit",
                "firewall",
                "isolation",
                "owner",
                "service",
                "zone"
            ]
        );
        assert_eq!(
            statement_keywords("local_attr"),
            ["expires", "from", "log", "owner", "reason", "service", "waive"]
        );
        assert_eq!(
            statement_keywords("firewall_attr"),
            ["acl-budget", "control", "interface", "manage", "platform"]
        );
    }

    #[test]
    fn the_context_follows_blocks_and_statements() {
        assert_eq!(at(""), Want::Statement("decl"));
        assert_eq!(at("zone a { level 1 "), Want::Statement("zone_attr"));
        assert_eq!(at("zone a { level 1 owner "), Want::Owners);
        assert_eq!(at("conduit c { zones a, "), Want::Zones);
        assert_eq!(
            at("conduit c { flow f { from a.h to b service modbus, "),
            Want::Services
        );
        assert_eq!(at("conduit c { flow f { from a.h to "), Want::Zones);
        assert_eq!(
            at("conduit c { flow f { reason \"x { y\" # a } comment\n "),
            Want::Statement("flow_attr")
        );
        assert_eq!(
            at("conduit c { flow f { } "),
            Want::Statement("conduit_attr")
        );
        assert_eq!(at("firewall f { platform "), Want::Platforms);
        assert_eq!(at("firewall f { interface \"eth0\" = "), Want::Zones);
        assert_eq!(at("firewall f { manage ssh { from "), Want::Zones);
        assert_eq!(at("firewall f { manage "), Want::Nothing);
        assert_eq!(at("approval a { scope conduit x, "), Want::Conduits);
        assert_eq!(at("approval a { requires "), Want::Owners);
        assert_eq!(at("service x = "), Want::Services);
        assert_eq!(at("service x = tcp/1, "), Want::Services);
        assert_eq!(
            at("conduit c { zones a, b flow f { from a to b } flow g { "),
            Want::Statement("flow_attr")
        );
        assert_eq!(at("zone "), Want::Nothing);
        assert_eq!(at("zone z { log "), Want::Statement("zone_attr"));
    }
}
