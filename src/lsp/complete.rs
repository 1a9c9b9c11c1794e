//! Completion: keywords, declared names, the members of a zone after
//! `zone.`, and the catalogue's services with their ports.

use serde_json::{json, Value};

use crate::model::catalogue::CATALOGUE;
use crate::source::FileId;

use super::index::Kind;
use super::server::keywords;
use super::workspace::Analysis;

// CompletionItemKind values of the protocol.
const KEYWORD: u8 = 14;
const MODULE: u8 = 9;
const VALUE: u8 = 12;
const REFERENCE: u8 = 18;
const FIELD: u8 = 5;

fn item(label: &str, kind: u8, detail: &str) -> Value {
    json!({ "label": label, "kind": kind, "detail": detail })
}

/// The items offered at byte `offset` of `file`.
pub(crate) fn items(a: &Analysis, file: FileId, offset: usize) -> Vec<Value> {
    let text = a.text(file);
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let word_start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .map_or(0, |i| i + 1);
    let word = before.get(word_start..).unwrap_or("");
    if let Some((zone, _)) = word.split_once('.') {
        let prefix = format!("{}.", zone.to_ascii_lowercase());
        return a
            .index
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
    let mut out: Vec<Value> = keywords()
        .into_iter()
        .map(|k| item(k, KEYWORD, "keyword"))
        .collect();
    for (kind, ck) in [
        (Kind::Zone, MODULE),
        (Kind::Owner, REFERENCE),
        (Kind::Service, VALUE),
        (Kind::Conduit, MODULE),
        (Kind::Firewall, REFERENCE),
        (Kind::Isolation, REFERENCE),
    ] {
        for o in a.index.declared(kind) {
            out.push(item(a.sources.slice(o.span), ck, kind.word()));
        }
    }
    for s in CATALOGUE {
        let declared = !a.index.decls(Kind::Service, s.name).is_empty();
        if !declared {
            let mut v = item(s.name, VALUE, &s.specs.join(", "));
            v["documentation"] = json!(format!("built-in service: {}", s.description));
            out.push(v);
        }
    }
    out
}
