//! Reading PREVIOUS: FortiOS configuration text (a conduitc build, a
//! configuration backup or `show full-configuration`) as a tree, strictly.
//!
//! Every line is a comment (`#...`, including the `#config-version=...`
//! header of a backup), `config PATH`, `edit KEY`, `set FIELD VALUE...`,
//! `unset FIELD`, `next` or `end`; blocks nest (`config` inside `edit`, as
//! in `config system interface`) and must balance. Anything else (another
//! vendor's syntax, JSON, a transition script with `delete` or `move`) is
//! refused with its line. Values are words or strings in double quotes
//! (`\"` and `\\` escaped) or single quotes.

use super::TARGET;
use crate::backend::EmitError;

/// One statement inside a block.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    /// `set FIELD VALUE...` (values unquoted).
    Set {
        field: String,
        values: Vec<String>,
        line: usize,
        /// The line as written, trimmed.
        text: String,
    },
    /// `unset FIELD`.
    Unset { field: String, text: String },
    /// `edit KEY` ... `next`.
    Edit(Entry),
    /// A nested `config PATH` ... `end`.
    Config(Block),
}

/// `config PATH` ... `end`.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    /// The words after `config`, joined by one space.
    pub(crate) path: String,
    /// The line of `config`.
    pub(crate) line: usize,
    pub(crate) items: Vec<Item>,
}

/// `edit KEY` ... `next`.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) key: String,
    /// The line of `edit`.
    pub(crate) line: usize,
    pub(crate) items: Vec<Item>,
}

impl Entry {
    /// The values of the last `set FIELD` in this entry (not in nested
    /// blocks), `None` when there is none or an `unset` came after it.
    pub(crate) fn get(&self, field: &str) -> Option<&[String]> {
        let mut found = None;
        for i in &self.items {
            match i {
                Item::Set {
                    field: f, values, ..
                } if f == field => found = Some(values.as_slice()),
                Item::Unset { field: f, .. } if f == field => found = None,
                _ => {}
            }
        }
        found
    }

    /// The entries of this entry's own `set` and `unset` lines, as written.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &Item> {
        self.items
            .iter()
            .filter(|i| matches!(i, Item::Set { .. } | Item::Unset { .. }))
    }
}

impl Block {
    /// The entries of this block, in order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().filter_map(|i| match i {
            Item::Edit(e) => Some(e),
            _ => None,
        })
    }
}

fn err(line: usize, message: String) -> EmitError {
    EmitError::Previous {
        target: TARGET,
        line,
        message,
    }
}

/// Splits one line into words; quoted strings lose their quotes. `Err` is
/// the reason.
fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' || c == '\t' {
            chars.next();
            continue;
        }
        let mut s = String::new();
        if c == '"' || c == '\'' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("a string that is not closed on its line".into()),
                    Some(q) if q == c => break,
                    Some('\\') if c == '"' => match chars.next() {
                        Some(e @ ('"' | '\\' | '\'')) => s.push(e),
                        Some(e) => {
                            s.push('\\');
                            s.push(e);
                        }
                        None => return Err("a string that is not closed on its line".into()),
                    },
                    Some(x) => s.push(x),
                }
            }
            if chars.peek().is_some_and(|&x| x != ' ' && x != '\t') {
                return Err("text straight after a closing quote".into());
            }
        } else {
            while let Some(&x) = chars.peek() {
                if x == ' ' || x == '\t' {
                    break;
                }
                if x == '"' || x == '\'' {
                    return Err("a quote inside a word".into());
                }
                s.push(x);
                chars.next();
            }
        }
        out.push(s);
    }
    Ok(out)
}

enum Open {
    Config(Block),
    Edit(Entry),
}

/// Reads `text` as FortiOS configuration: its top-level `config` blocks.
pub(crate) fn read(text: &str) -> Result<Vec<Block>, EmitError> {
    let mut top: Vec<Block> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(c) = line.chars().find(|&c| c.is_control() && c != '\t') {
            return Err(err(
                no,
                format!(
                    "a control character ({:?}): this is not FortiOS configuration text",
                    c
                ),
            ));
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = tokenize(trimmed).map_err(|m| err(no, m))?;
        let Some((head, rest)) = words.split_first() else {
            continue;
        };
        let foreign = || {
            err(
                no,
                format!(
                    "`{}` is not a FortiOS configuration statement (expected config, edit, set, unset, next or end)",
                    shorten(trimmed)
                ),
            )
        };
        if trimmed.starts_with('"') || trimmed.starts_with('\'') {
            return Err(foreign());
        }
        match head.as_str() {
            "config" => {
                if rest.is_empty() {
                    return Err(foreign());
                }
                stack.push(Open::Config(Block {
                    line: no,
                    path: rest.join(" "),
                    items: Vec::new(),
                }));
            }
            "edit" => {
                let [key] = rest else {
                    return Err(err(no, "`edit` takes one name or ID".into()));
                };
                if !matches!(stack.last(), Some(Open::Config(_))) {
                    return Err(err(no, "`edit` outside a `config` block".into()));
                }
                stack.push(Open::Edit(Entry {
                    key: key.clone(),
                    line: no,
                    items: Vec::new(),
                }));
            }
            "set" | "unset" => {
                let Some((field, values)) = rest.split_first() else {
                    return Err(err(no, format!("`{head}` without a field")));
                };
                let item = if head == "set" {
                    Item::Set {
                        field: field.clone(),
                        values: values.to_vec(),
                        line: no,
                        text: trimmed.to_string(),
                    }
                } else {
                    if !values.is_empty() {
                        return Err(err(no, "`unset` takes one field".into()));
                    }
                    Item::Unset {
                        field: field.clone(),
                        text: trimmed.to_string(),
                    }
                };
                match stack.last_mut() {
                    Some(Open::Config(b)) => b.items.push(item),
                    Some(Open::Edit(e)) => e.items.push(item),
                    None => return Err(foreign()),
                }
            }
            "next" => {
                if !rest.is_empty() {
                    return Err(err(no, "text after `next`".into()));
                }
                let Some(Open::Edit(e)) = stack.pop() else {
                    return Err(err(no, "`next` without `edit`".into()));
                };
                match stack.last_mut() {
                    Some(Open::Config(b)) => b.items.push(Item::Edit(e)),
                    _ => return Err(err(no, "`next` without `edit`".into())),
                }
            }
            "end" => {
                if !rest.is_empty() {
                    return Err(err(no, "text after `end`".into()));
                }
                let Some(Open::Config(b)) = stack.pop() else {
                    return Err(err(
                        no,
                        "`end` without `config` (or inside an `edit` that lacks `next`)".into(),
                    ));
                };
                match stack.last_mut() {
                    None => top.push(b),
                    Some(Open::Config(p)) => p.items.push(Item::Config(b)),
                    Some(Open::Edit(e)) => e.items.push(Item::Config(b)),
                }
            }
            "delete" | "move" | "purge" | "rename" | "clone" => {
                return Err(err(
                    no,
                    format!("`{head}`: this is a script of changes, not a configuration; give the configuration the device runs (a backup, `show full-configuration`, or a build file)"),
                ))
            }
            _ => return Err(foreign()),
        }
    }
    if let Some(open) = stack.last() {
        let what = match open {
            Open::Config(b) => format!("`config {}`", b.path),
            Open::Edit(e) => format!("`edit {}`", e.key),
        };
        return Err(err(0, format!("the text ends inside {what}")));
    }
    if top.is_empty() {
        return Err(err(
            0,
            "no `config` block: this is not FortiOS configuration".into(),
        ));
    }
    Ok(top)
}

fn shorten(s: &str) -> String {
    let mut t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        t.push_str("...");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_blocks_and_quotes() {
        let text = "#config-version=FGT60F-7.2.5\nconfig system interface\n    edit \"port1\"\n        set ip 10.0.0.1 255.255.255.0\n        config ipv6\n            set ip6-address ::/0\n        end\n    next\nend\nconfig firewall address\n    edit \"a \\\"b\\\"\"\n        set comment ''\n    next\nend\n";
        let t = read(text).unwrap();
        assert_eq!(t.len(), 2);
        let e = t[1].entries().next().unwrap();
        assert_eq!(e.key, "a \"b\"");
        assert_eq!(e.get("comment"), Some(&[String::new()][..]));
    }

    #[test]
    fn refuses_foreign_text_with_the_line() {
        for (text, line) in [
            ("ip access-list extended x\n permit ip any any\n", 1),
            ("table inet conduit {\n}\n", 1),
            ("{\"nftables\": []}\n", 1),
            ("config firewall policy\n    edit 1\n    next\n", 0),
            ("config firewall policy\n    edit 1\nend\n", 3),
            ("config firewall policy\n    delete 1\nend\n", 2),
            ("# only a comment\n", 0),
            ("config firewall address\n\u{1}\nend\n", 2),
        ] {
            match read(text) {
                Err(EmitError::Previous { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
