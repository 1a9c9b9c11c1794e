//! `nft -j list ruleset` JSON, read by rendering each object as the text
//! `nft list ruleset` would print and reading that text strictly; errors
//! and device rules are placed by the object's position in the `nftables`
//! array (1-based), and rules are quoted with their handles.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::nft::ReadError;

/// Text lines, each with the index (1-based) of the object it comes from.
struct Out {
    lines: Vec<(String, usize)>,
}

fn bad<T>(at: usize, message: impl Into<String>) -> Result<T, ReadError> {
    Err(ReadError {
        line: at,
        message: message.into(),
    })
}

fn get<'a>(o: &'a Map<String, Value>, k: &str, at: usize) -> Result<&'a Value, ReadError> {
    o.get(k)
        .map_or_else(|| bad(at, format!("`{k}` is missing")), Ok)
}

fn string(v: &Value, at: usize) -> Result<String, ReadError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => bad(at, format!("expected a string, found {other}")),
    }
}

fn quoted(s: &str, at: usize) -> Result<String, ReadError> {
    if s.contains(['"', '\n']) {
        return bad(at, format!("unreadable name {s:?}"));
    }
    Ok(format!("\"{s}\""))
}

/// A word of nft text: no spaces, braces, quotes or separators.
fn word(s: &str, at: usize) -> Result<String, ReadError> {
    if s.is_empty() || s.contains(|c: char| c.is_whitespace() || "{},;\"#".contains(c)) {
        return bad(at, format!("unreadable value {s:?}"));
    }
    Ok(s.to_string())
}

/// A value on the right of a match, or a set element.
fn value(v: &Value, names: bool, at: usize) -> Result<String, ReadError> {
    match v {
        Value::String(s) if names && !s.starts_with('@') => quoted(s, at),
        Value::String(s) => word(s, at),
        Value::Number(n) => Ok(n.to_string()),
        Value::Array(items) => {
            let parts: Result<Vec<String>, ReadError> =
                items.iter().map(|i| value(i, names, at)).collect();
            Ok(parts?.join(","))
        }
        Value::Object(o) if o.len() == 1 => {
            let (k, x) = o
                .iter()
                .next()
                .map_or_else(|| bad(at, "empty object"), Ok)?;
            match (k.as_str(), x) {
                ("prefix", Value::Object(p)) => Ok(format!(
                    "{}/{}",
                    word(&string(get(p, "addr", at)?, at)?, at)?,
                    string(get(p, "len", at)?, at)?
                )),
                ("range", Value::Array(r)) if r.len() == 2 => Ok(format!(
                    "{}-{}",
                    value(&r[0], false, at)?,
                    value(&r[1], false, at)?
                )),
                ("set", Value::Array(items)) => {
                    let parts: Result<Vec<String>, ReadError> =
                        items.iter().map(|i| value(i, names, at)).collect();
                    Ok(format!("{{ {} }}", parts?.join(", ")))
                }
                ("set", x) => Ok(format!("{{ {} }}", value(x, names, at)?)),
                ("elem", Value::Object(e)) => value(get(e, "val", at)?, names, at),
                _ => bad(at, format!("a value `{k}` is not supported")),
            }
        }
        other => bad(at, format!("a value {other} is not supported")),
    }
}

/// The left side of a match.
fn left(v: &Value, at: usize) -> Result<(String, bool), ReadError> {
    let Value::Object(o) = v else {
        return bad(at, format!("a match on {v} is not supported"));
    };
    if let Some(Value::Object(p)) = o.get("payload") {
        let proto = string(get(p, "protocol", at)?, at)?;
        let field = string(get(p, "field", at)?, at)?;
        return Ok((
            format!("{} {}", word(&proto, at)?, word(&field, at)?),
            false,
        ));
    }
    if let Some(Value::Object(m)) = o.get("meta") {
        let key = string(get(m, "key", at)?, at)?;
        let names = key == "iifname" || key == "oifname";
        return Ok((format!("meta {}", word(&key, at)?), names));
    }
    if let Some(Value::Object(c)) = o.get("ct") {
        let key = string(get(c, "key", at)?, at)?;
        return Ok((format!("ct {}", word(&key, at)?), false));
    }
    bad(at, format!("a match on {v} is not supported"))
}

fn statement(s: &Value, at: usize) -> Result<String, ReadError> {
    let Value::Object(o) = s else {
        return bad(at, format!("statement {s} is not supported"));
    };
    let Some((k, x)) = o.iter().next().filter(|_| o.len() == 1) else {
        return bad(at, format!("statement {s} is not supported"));
    };
    Ok(match (k.as_str(), x) {
        ("match", Value::Object(m)) => {
            let (l, names) = left(get(m, "left", at)?, at)?;
            let op = match string(get(m, "op", at)?, at)?.as_str() {
                "==" | "in" => "",
                "!=" => "!= ",
                other => return bad(at, format!("the operator `{other}` is not supported")),
            };
            format!("{l} {op}{}", value(get(m, "right", at)?, names, at)?)
        }
        ("counter", _) => "counter".into(),
        ("accept", Value::Null) => "accept".into(),
        ("drop", Value::Null) => "drop".into(),
        ("return", Value::Null) => "return".into(),
        ("reject", _) => "reject".into(),
        ("jump" | "goto", Value::Object(t)) => {
            format!("{k} {}", word(&string(get(t, "target", at)?, at)?, at)?)
        }
        ("log", Value::Object(l)) => {
            let mut out = "log".to_string();
            for (key, v) in l {
                match key.as_str() {
                    "prefix" => out += &format!(" prefix {}", quoted(&string(v, at)?, at)?),
                    "level" | "group" | "snaplen" | "queue-threshold" => {
                        out += &format!(" {key} {}", word(&string(v, at)?, at)?)
                    }
                    "flags" => {}
                    other => return bad(at, format!("log `{other}` is not supported")),
                }
            }
            out
        }
        ("log", Value::Null) => "log".into(),
        ("limit", Value::Object(l)) => {
            let over = if l.get("inv") == Some(&Value::Bool(true)) {
                "over "
            } else {
                ""
            };
            format!(
                "limit rate {over}{}/{}",
                string(get(l, "rate", at)?, at)?,
                word(&string(get(l, "per", at)?, at)?, at)?
            )
        }
        _ => return bad(at, format!("statement `{k}` is not supported")),
    })
}

/// Lines of text, each with its object.
type Lines = Vec<(String, usize)>;

#[derive(Default)]
struct Table {
    at: usize,
    sets: Vec<Lines>,
    /// By name: (object, `type ...; policy ...;` line or empty, rules).
    chains: BTreeMap<String, (usize, String, Lines)>,
    order: Vec<String>,
}

/// Renders `nft -j list ruleset` as text; each line with its object.
pub(super) fn to_text(json: &str) -> Result<(String, Vec<usize>), ReadError> {
    let doc: Value = serde_json::from_str(json).map_err(|e| ReadError {
        line: e.line(),
        message: format!("not JSON: {e}"),
    })?;
    let Some(Value::Array(objects)) = doc.get("nftables") else {
        return bad(1, "expected an object with an `nftables` array");
    };
    let mut tables: Vec<((String, String), Table)> = Vec::new();
    let find = |tables: &mut Vec<((String, String), Table)>,
                key: (String, String),
                at: usize|
     -> Result<usize, ReadError> {
        tables
            .iter()
            .position(|(k, _)| *k == key)
            .map_or_else(|| bad(at, format!("no table {} {}", key.0, key.1)), Ok)
    };
    for (i, obj) in objects.iter().enumerate() {
        let at = i + 1;
        let Value::Object(o) = obj else {
            return bad(at, "expected an object");
        };
        let Some((kind, Value::Object(body))) = o.iter().next().filter(|_| o.len() == 1) else {
            return bad(at, "expected one named object");
        };
        let key = || -> Result<(String, String), ReadError> {
            let fam = string(get(body, "family", at)?, at)?;
            let t = if kind == "table" { "name" } else { "table" };
            Ok((word(&fam, at)?, word(&string(get(body, t, at)?, at)?, at)?))
        };
        match kind.as_str() {
            "metainfo" => {}
            "table" => {
                let k = key()?;
                tables.push((
                    k,
                    Table {
                        at,
                        ..Table::default()
                    },
                ));
            }
            "set" => {
                let t = find(&mut tables, key()?, at)?;
                let name = word(&string(get(body, "name", at)?, at)?, at)?;
                let mut lines = vec![(format!("\tset {name} {{"), at)];
                let ty = match get(body, "type", at)? {
                    Value::String(s) => word(s, at)?,
                    _ => return bad(at, "a set type other than a single type is not supported"),
                };
                lines.push((format!("\t\ttype {ty}"), at));
                if let Some(Value::Array(flags)) = body.get("flags") {
                    let f: Result<Vec<String>, ReadError> =
                        flags.iter().map(|f| word(&string(f, at)?, at)).collect();
                    lines.push((format!("\t\tflags {}", f?.join(",")), at));
                }
                if let Some(elems) = body.get("elem") {
                    let Value::Array(items) = elems else {
                        return bad(at, "expected the set's elements as an array");
                    };
                    let names = ty == "ifname";
                    let e: Result<Vec<String>, ReadError> =
                        items.iter().map(|x| value(x, names, at)).collect();
                    lines.push((format!("\t\telements = {{ {} }}", e?.join(", ")), at));
                }
                for k in body.keys() {
                    if ![
                        "family",
                        "name",
                        "table",
                        "type",
                        "handle",
                        "flags",
                        "elem",
                        "comment",
                        "size",
                        "auto-merge",
                    ]
                    .contains(&k.as_str())
                    {
                        return bad(at, format!("set property `{k}` is not supported"));
                    }
                }
                lines.push(("\t}".into(), at));
                tables[t].1.sets.push(lines);
            }
            "chain" => {
                let t = find(&mut tables, key()?, at)?;
                let name = word(&string(get(body, "name", at)?, at)?, at)?;
                let mut head = String::new();
                if let Some(hook) = body.get("hook") {
                    let ty = string(get(body, "type", at)?, at)?;
                    let prio = string(get(body, "prio", at)?, at)?;
                    let policy = body
                        .get("policy")
                        .map_or(Ok("accept".to_string()), |p| string(p, at))?;
                    head = format!(
                        "\t\ttype {} hook {} priority {}; policy {};",
                        word(&ty, at)?,
                        word(&string(hook, at)?, at)?,
                        word(&prio, at)?,
                        word(&policy, at)?
                    );
                }
                if body.contains_key("dev") {
                    return bad(at, "chains bound to devices are not supported");
                }
                tables[t].1.order.push(name.clone());
                tables[t].1.chains.insert(name, (at, head, Vec::new()));
            }
            "rule" => {
                let t = find(&mut tables, key()?, at)?;
                let chain = string(get(body, "chain", at)?, at)?;
                let Value::Array(expr) = get(body, "expr", at)? else {
                    return bad(at, "expected the rule's `expr` array");
                };
                let mut parts = Vec::new();
                for s in expr {
                    parts.push(statement(s, at)?);
                }
                if let Some(c) = body.get("comment") {
                    parts.push(format!("comment {}", quoted(&string(c, at)?, at)?));
                }
                if let Some(h) = body.get("handle") {
                    parts.push(format!("# handle {}", string(h, at)?));
                }
                let Some(c) = tables[t].1.chains.get_mut(&chain) else {
                    return bad(at, format!("no chain `{chain}` for the rule"));
                };
                c.2.push((format!("\t\t{}", parts.join(" ")), at));
            }
            other => return bad(at, format!("`{other}` objects are not supported")),
        }
    }
    let mut lines: Vec<(String, usize)> = Vec::new();
    for ((fam, name), t) in tables {
        lines.push((format!("table {fam} {name} {{"), t.at));
        for s in t.sets {
            lines.extend(s);
        }
        for c in &t.order {
            if let Some((at, head, rules)) = t.chains.get(c) {
                lines.push((format!("\tchain {c} {{"), *at));
                if !head.is_empty() {
                    lines.push((head.clone(), *at));
                }
                lines.extend(rules.iter().cloned());
                lines.push(("\t}".into(), *at));
            }
        }
        lines.push(("}".into(), t.at));
    }
    let out = Out { lines };
    let text = out
        .lines
        .iter()
        .map(|(l, _)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    Ok((text, out.lines.into_iter().map(|(_, a)| a).collect()))
}
