//! Quick fixes: the diagnostics whose fix is mechanical, with the edit.

use crate::diag::{Code, Diagnostic};
use crate::source::Span;

use super::index::Kind;
use super::workspace::Analysis;

/// One quick fix: a title and the edits, all in the diagnostic's file.
pub(crate) struct Fix {
    /// What the fix does.
    pub(crate) title: String,
    /// Spans to replace, with their new text (an empty span inserts).
    pub(crate) edits: Vec<(Span, String)>,
}

/// The fixes for `d`: the name its "did you mean" suggests, or the
/// required `reason`, `owner` or `contact` it says is missing.
pub(crate) fn fixes(a: &Analysis, d: &Diagnostic) -> Vec<Fix> {
    let mut out = Vec::new();
    if let Some(f) = did_you_mean(a, d) {
        out.push(f);
    }
    if d.code == Code::MissingAttribute {
        if let Some(f) = missing(a, d) {
            out.push(f);
        }
    }
    out
}

fn name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn did_you_mean(a: &Analysis, d: &Diagnostic) -> Option<Fix> {
    let help = d.help.as_deref()?;
    let (_, rest) = help.split_once("did you mean `")?;
    let (word, _) = rest.split_once('`')?;
    let text = a.text(d.primary.span.file);
    let mut span = d.primary.span;
    if span.start == span.end {
        // A point: the word that starts there.
        let len = text
            .as_bytes()
            .get(span.start as usize..)?
            .iter()
            .take_while(|c| name_char(**c))
            .count();
        span.end = span.start + u32::try_from(len).ok()?;
    }
    let old = text.get(span.range())?;
    if old.is_empty() || old.bytes().any(|c| !name_char(c)) || old == word {
        return None;
    }
    Some(Fix {
        title: format!("Replace `{old}` with `{word}`"),
        edits: vec![(span, word.to_string())],
    })
}

fn missing(a: &Analysis, d: &Diagnostic) -> Option<Fix> {
    let (_, rest) = d.message.split_once("has no `")?;
    let (keyword, _) = rest.split_once('`')?;
    let value = match keyword {
        "reason" => "\"TODO: say why this is needed\"".to_string(),
        "contact" => "\"TODO: who to call\"".to_string(),
        "owner" => a.index().declared(Kind::Owner).first().map_or_else(
            || "TODO-owner".to_string(),
            |o| a.sources.slice(o.span).to_string(),
        ),
        _ => return None,
    };
    let file = d.primary.span.file;
    let text = a.text(file);
    let after = d.primary.span.end as usize;
    let brace = after + text.get(after..)?.find('{')?;
    let line_start = text.get(..after)?.rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text
        .get(line_start..)?
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    Some(Fix {
        title: format!("Add `{keyword} {value}`"),
        edits: vec![(
            Span::point(file, brace + 1),
            format!("\n{indent}  {keyword} {value}"),
        )],
    })
}
