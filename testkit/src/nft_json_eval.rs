//! Reads libnftables JSON (`nft -j -f`) as nftables would apply it, and
//! writes the resulting table as nftables text for [`crate::nft_eval`].
//!
//! The reader is strict: a command, object, statement or expression outside
//! the subset the backend is meant to use is an error, not skipped, so a
//! JSON document that says something the text form does not is caught when
//! the evaluator reads it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

#[derive(Default)]
struct Table {
    sets: Vec<(String, String)>,
    chains: Vec<(String, Chain)>,
}

#[derive(Default)]
struct Chain {
    header: Option<String>,
    rules: Vec<String>,
}

/// The table the JSON document leaves behind, written as an nftables text
/// file (the commands applied in order: tables added and deleted, sets,
/// chains and rules added to them).
pub fn to_text(json: &str) -> Result<String, String> {
    let doc: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let cmds = object(&doc)?
        .get("nftables")
        .and_then(Value::as_array)
        .ok_or("no `nftables` array")?;
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for cmd in cmds {
        let (verb, body) = single(cmd)?;
        match verb {
            "metainfo" => continue,
            "add" | "delete" => {}
            other => return Err(format!("unknown command `{other}`")),
        }
        let (kind, obj) = single(body)?;
        let obj = object(obj)?;
        let family = text(obj, "family")?;
        if family != "inet" {
            return Err(format!("family `{family}`"));
        }
        let table_name = match kind {
            "table" => text(obj, "name")?,
            _ => text(obj, "table")?,
        };
        if verb == "delete" {
            if kind != "table" {
                return Err(format!("delete of a {kind}"));
            }
            tables
                .remove(table_name)
                .ok_or(format!("delete of missing table `{table_name}`"))?;
            continue;
        }
        if kind == "table" {
            only(obj, &["family", "name"])?;
            tables.entry(table_name.to_string()).or_default();
            continue;
        }
        let table = tables
            .get_mut(table_name)
            .ok_or(format!("{kind} in missing table `{table_name}`"))?;
        match kind {
            "set" => {
                let name = text(obj, "name")?.to_string();
                table.sets.push((name, set_body(obj)?));
            }
            "chain" => {
                let name = text(obj, "name")?.to_string();
                table.chains.push((
                    name,
                    Chain {
                        header: chain_header(obj)?,
                        rules: Vec::new(),
                    },
                ));
            }
            "rule" => {
                only(obj, &["family", "table", "chain", "expr", "comment"])?;
                let chain = text(obj, "chain")?;
                let mut line = rule(obj.get("expr").ok_or("rule without `expr`")?)?;
                if let Some(c) = obj.get("comment") {
                    let c = c.as_str().ok_or("comment is not a string")?;
                    let _ = write!(line, " comment {}", quoted(c)?);
                }
                table
                    .chains
                    .iter_mut()
                    .find(|(n, _)| n == chain)
                    .ok_or(format!("rule in missing chain `{chain}`"))?
                    .1
                    .rules
                    .push(line);
            }
            other => return Err(format!("unknown object `{other}`")),
        }
    }
    let mut out = String::new();
    for (name, t) in &tables {
        let _ = writeln!(out, "table inet {name} {{");
        for (set, body) in &t.sets {
            let _ = writeln!(out, "\tset {set} {{\n{body}\t}}");
        }
        for (chain, c) in &t.chains {
            let _ = writeln!(out, "\tchain {chain} {{");
            if let Some(h) = &c.header {
                let _ = writeln!(out, "\t\t{h}");
            }
            for r in &c.rules {
                let _ = writeln!(out, "\t\t{r}");
            }
            let _ = writeln!(out, "\t}}");
        }
        let _ = writeln!(out, "}}");
    }
    Ok(out)
}

fn object(v: &Value) -> Result<&Map<String, Value>, String> {
    v.as_object()
        .ok_or(format!("expected an object, found {v}"))
}

/// The one key of a single-key object, and its value.
fn single(v: &Value) -> Result<(&str, &Value), String> {
    let o = object(v)?;
    let mut it = o.iter();
    match (it.next(), it.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        _ => Err(format!("expected one key in {v}")),
    }
}

fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    o.get(key)
        .and_then(Value::as_str)
        .ok_or(format!("`{key}` missing or not a string"))
}

fn only(o: &Map<String, Value>, keys: &[&str]) -> Result<(), String> {
    match o.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(format!("unexpected key `{k}`")),
        None => Ok(()),
    }
}

/// A string as an nftables quoted string; a quote or backslash in it is an
/// error (nftables has no escape for them).
fn quoted(s: &str) -> Result<String, String> {
    if s.contains(['"', '\\', '\n']) {
        return Err(format!("string {s:?} cannot be quoted"));
    }
    Ok(format!("\"{s}\""))
}

fn set_body(o: &Map<String, Value>) -> Result<String, String> {
    only(o, &["family", "table", "name", "type", "flags", "elem"])?;
    let mut body = format!("\t\ttype {}\n", text(o, "type")?);
    let interval = match o.get("flags") {
        None => false,
        Some(Value::Array(f)) if f.iter().all(|x| x.as_str() == Some("interval")) => !f.is_empty(),
        Some(Value::String(f)) if f == "interval" => true,
        Some(f) => return Err(format!("set flags {f}")),
    };
    if interval {
        body.push_str("\t\tflags interval\n");
    }
    if let Some(elems) = o.get("elem") {
        let elems = elems.as_array().ok_or("`elem` is not an array")?;
        let list: Vec<String> = elems.iter().map(value).collect::<Result<_, _>>()?;
        if !list.is_empty() {
            let _ = writeln!(body, "\t\telements = {{ {} }}", list.join(", "));
        }
    }
    Ok(body)
}

fn chain_header(o: &Map<String, Value>) -> Result<Option<String>, String> {
    only(
        o,
        &["family", "table", "name", "type", "hook", "prio", "policy"],
    )?;
    if o.get("type").is_none() && o.get("hook").is_none() {
        if o.get("prio").is_some() || o.get("policy").is_some() {
            return Err("a regular chain with a priority or policy".into());
        }
        return Ok(None);
    }
    let prio = match o.get("prio").and_then(Value::as_i64) {
        Some(0) => "filter",
        p => return Err(format!("chain priority {p:?}")),
    };
    Ok(Some(format!(
        "type {} hook {} priority {prio}; policy {};",
        text(o, "type")?,
        text(o, "hook")?,
        text(o, "policy")?
    )))
}

fn rule(expr: &Value) -> Result<String, String> {
    let stmts = expr.as_array().ok_or("`expr` is not an array")?;
    let words: Vec<String> = stmts.iter().map(statement).collect::<Result<_, _>>()?;
    Ok(words.join(" "))
}

fn statement(s: &Value) -> Result<String, String> {
    let (kind, body) = single(s)?;
    Ok(match kind {
        "accept" | "drop" if body.is_null() => kind.to_string(),
        "jump" => format!("jump {}", text(object(body)?, "target")?),
        "counter" => {
            let o = object(body)?;
            only(o, &["packets", "bytes"])?;
            "counter".into()
        }
        "log" => {
            let o = object(body)?;
            only(o, &["prefix", "level"])?;
            let mut out = "log".to_string();
            if o.contains_key("prefix") {
                let _ = write!(out, " prefix {}", quoted(text(o, "prefix")?)?);
            }
            if o.contains_key("level") {
                let _ = write!(out, " level {}", text(o, "level")?);
            }
            out
        }
        "limit" => {
            let o = object(body)?;
            only(o, &["rate", "per", "burst"])?;
            let rate = o.get("rate").and_then(Value::as_u64).ok_or("limit rate")?;
            let mut out = format!("limit rate {rate}/{}", text(o, "per")?);
            if let Some(b) = o.get("burst") {
                let _ = write!(out, " burst {} packets", b.as_u64().ok_or("limit burst")?);
            }
            out
        }
        "match" => {
            let o = object(body)?;
            only(o, &["op", "left", "right"])?;
            let op = text(o, "op")?;
            let left = o.get("left").ok_or("match without `left`")?;
            let right = o.get("right").ok_or("match without `right`")?;
            let (lk, lb) = single(left)?;
            let lb = object(lb)?;
            match (lk, op) {
                ("payload", "==") => format!(
                    "{} {} {}",
                    text(lb, "protocol")?,
                    text(lb, "field")?,
                    value(right)?
                ),
                ("meta", "==") => {
                    let key = text(lb, "key")?;
                    match key {
                        "iifname" | "oifname" => {
                            let name = right.as_str().ok_or("interface name")?;
                            format!("{key} {}", quoted(name)?)
                        }
                        _ => format!("meta {key} {}", value(right)?),
                    }
                }
                ("ct", "in" | "==") => {
                    if text(lb, "key")? != "state" {
                        return Err(format!("ct {lb:?}"));
                    }
                    let states: Vec<&str> = match right {
                        Value::String(s) => vec![s.as_str()],
                        Value::Array(a) => a
                            .iter()
                            .map(|x| x.as_str().ok_or("ct state"))
                            .collect::<Result<_, _>>()?,
                        _ => return Err(format!("ct state {right}")),
                    };
                    format!("ct state {}", states.join(","))
                }
                _ => return Err(format!("match `{lk}` with `{op}`")),
            }
        }
        other => return Err(format!("unknown statement `{other}`")),
    })
}

/// A value: a number, a word or `@set`, an address or prefix, a range, or
/// an anonymous set of those.
fn value(v: &Value) -> Result<String, String> {
    Ok(match v {
        Value::Number(n) => n.as_u64().ok_or(format!("number {n}"))?.to_string(),
        Value::String(s) => {
            if s.is_empty() || s.contains(|c: char| c.is_whitespace() || "\"{},;".contains(c)) {
                return Err(format!("value {s:?}"));
            }
            s.clone()
        }
        Value::Object(_) => {
            let (k, b) = single(v)?;
            match k {
                "prefix" => {
                    let o = object(b)?;
                    only(o, &["addr", "len"])?;
                    let len = o.get("len").and_then(Value::as_u64).ok_or("prefix len")?;
                    format!("{}/{len}", text(o, "addr")?)
                }
                "range" => match b.as_array().map(Vec::as_slice) {
                    Some([lo, hi]) => format!("{}-{}", value(lo)?, value(hi)?),
                    _ => return Err(format!("range {b}")),
                },
                "set" => {
                    let items = b.as_array().ok_or("set is not an array")?;
                    let items: Vec<String> = items.iter().map(value).collect::<Result<_, _>>()?;
                    format!("{{ {} }}", items.join(", "))
                }
                _ => return Err(format!("unknown value `{k}`")),
            }
        }
        _ => return Err(format!("value {v}")),
    })
}
