//! Renderers for a [`Report`]: text for terminals, Markdown for a
//! pull-request comment, JSON for tools. All three are deterministic: the
//! report is already sorted, and nothing here iterates a hash map.
//!
//! Markdown escapes every piece of user text, so nothing a policy says can
//! form links, mentions, HTML or break a table: names are escaped character
//! by character, and attribute values (which hold free text: reasons,
//! descriptions, contacts) are code spans, inside which neither GitHub nor
//! GitLab turns a bare URL, an e-mail address or an `@mention` into a link.

use std::fmt::Write as _;

use super::access::{AccessBox, Side};
use super::decl::{AttrChange, ChangeKind, DeclChange};
use super::{Report, RequiredApproval};
use crate::model::AddrSet;

/// Prefixes shown per address set in text and Markdown before "and N more"
/// (JSON always lists all of them).
const MAX_PREFIXES: usize = 8;

/// The one-line summary: `no change`, or counts and the owners needed.
pub fn summary(r: &Report) -> String {
    if r.no_change {
        return "no change".into();
    }
    let mut s = String::new();
    let n = r.declarations.len();
    let _ = write!(
        s,
        "{n} declaration {}",
        if n == 1 { "change" } else { "changes" }
    );
    if r.access.unchanged {
        s.push_str("; no change in effective access");
    } else {
        let _ = write!(
            s,
            "; access: {} newly allowed, {} no longer allowed",
            r.access.added.len(),
            r.access.removed.len()
        );
    }
    if !r.local_access.is_empty() {
        let (a, d) = r
            .local_access
            .iter()
            .fold((0, 0), |(a, d), l| (a + l.added.len(), d + l.removed.len()));
        let _ = write!(
            s,
            "; to firewalls: {a} newly allowed, {d} no longer allowed"
        );
    }
    if r.approvals.is_empty() {
        s.push_str("; no approval required");
    } else {
        let owners: Vec<&str> = r.approvals.iter().map(|a| a.owner.as_str()).collect();
        let _ = write!(s, "; approval required from {}", owners.join(", "));
        let missing = r.missing_approvals().count();
        if missing == 0 {
            s.push_str(" (all given)");
        } else if missing < r.approvals.len() {
            let _ = write!(s, " ({missing} missing)");
        }
    }
    s
}

fn addrs(set: &AddrSet) -> String {
    let text = set.to_string();
    let parts: Vec<&str> = text.split(", ").collect();
    if parts.len() <= MAX_PREFIXES {
        return text;
    }
    format!(
        "{} and {} more",
        parts[..MAX_PREFIXES].join(", "),
        parts.len() - MAX_PREFIXES
    )
}

/// `dmz.jump (10.35.0.25)`, `part of enterprise (10.11.0.0/16)`, or
/// `line except line.plcs` (exact, and its address list would be long).
fn endpoint(side: &Side) -> String {
    if side.except.is_empty() {
        format!("{} ({})", side.label(), addrs(&side.addrs))
    } else {
        side.label()
    }
}

fn attr_line(a: &AttrChange, change: ChangeKind) -> String {
    let none = "(none)";
    match change {
        ChangeKind::Added => format!("{}: {}", a.attribute, a.new.as_deref().unwrap_or(none)),
        ChangeKind::Removed => format!("{}: {}", a.attribute, a.old.as_deref().unwrap_or(none)),
        ChangeKind::Modified => {
            let mut s = format!(
                "{}: {} -> {}",
                a.attribute,
                a.old.as_deref().unwrap_or(none),
                a.new.as_deref().unwrap_or(none)
            );
            let mut notes = Vec::new();
            if !a.gained.is_empty() {
                notes.push(format!("gained {}", a.gained.join(", ")));
            }
            if !a.lost.is_empty() {
                notes.push(format!("lost {}", a.lost.join(", ")));
            }
            if !notes.is_empty() {
                let _ = write!(s, " ({})", notes.join("; "));
            }
            s
        }
    }
}

fn sign(change: ChangeKind) -> char {
    match change {
        ChangeKind::Added => '+',
        ChangeKind::Removed => '-',
        ChangeKind::Modified => '~',
    }
}

fn approval_rules(a: &RequiredApproval) -> String {
    a.rules
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Plain text for terminals.
pub fn text(r: &Report) -> String {
    let mut s = summary(r);
    s.push('\n');
    if r.no_change {
        return s;
    }
    if !r.declarations.is_empty() {
        s.push_str("\nDeclarations\n");
        for d in &r.declarations {
            let _ = writeln!(s, "  {} {} {}", sign(d.change), d.kind.as_str(), d.name);
            for a in &d.attributes {
                let _ = writeln!(s, "      {}", attr_line(a, d.change));
            }
        }
    }
    let _ = writeln!(s, "\nEffective access on {}", r.today);
    if r.access.unchanged {
        s.push_str("  no change in effective access\n");
    }
    for (title, sign, boxes) in [
        ("Newly allowed", '+', &r.access.added),
        ("No longer allowed", '-', &r.access.removed),
    ] {
        if boxes.is_empty() {
            continue;
        }
        let _ = writeln!(s, "  {title}");
        for b in boxes.iter() {
            let _ = writeln!(s, "    {sign} {}", box_line(b));
            let _ = writeln!(s, "        by {}", b.flows.join(", "));
        }
    }
    if !r.local_access.is_empty() {
        let _ = writeln!(s, "\nAccess to firewalls on {}", r.today);
    }
    for l in &r.local_access {
        let _ = writeln!(s, "  {}", l.firewall);
        for (sign, boxes) in [('+', &l.added), ('-', &l.removed)] {
            for b in boxes.iter() {
                let _ = writeln!(s, "    {sign} {}", local_box_line(b));
                let _ = writeln!(s, "        by {}", b.flows.join(", "));
            }
        }
    }
    s.push_str("\nApprovals\n");
    if r.approvals.is_empty() {
        s.push_str("  none required\n");
    }
    for a in &r.approvals {
        let _ = writeln!(
            s,
            "  [{}] {} (approval {})",
            if a.approved { 'x' } else { ' ' },
            a.owner,
            approval_rules(a)
        );
        for t in &a.triggers {
            let _ = writeln!(s, "        {t}");
        }
    }
    s
}

/// `cell-fw (10.1.20.1)`, or `edge-fw (any address)` for a firewall that
/// declares no address.
fn firewall_endpoint(side: &Side) -> String {
    let all = AddrSet::all();
    if side.addrs == all.v4_only() || side.addrs == all.v6_only() {
        format!("{} (any address)", side.label())
    } else {
        endpoint(side)
    }
}

fn local_box_line(b: &AccessBox) -> String {
    format!(
        "{}: {} -> {}",
        b.services.join(", "),
        endpoint(&b.src),
        firewall_endpoint(&b.dst)
    )
}

fn box_line(b: &AccessBox) -> String {
    format!(
        "{}: {} -> {}",
        b.services.join(", "),
        endpoint(&b.src),
        endpoint(&b.dst)
    )
}

/// Escapes text for Markdown (inline and table cells): punctuation that
/// could start emphasis, code, links, HTML, mentions or a cell boundary.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '@' | '#' | '!' | '{'
            | '}' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            // `www.` starts a link on GitHub; an escaped dot does not.
            '.' if out.len() >= 3
                && out.as_bytes()[out.len() - 3..].eq_ignore_ascii_case(b"www") =>
            {
                out.push_str("\\.");
            }
            c => out.push(c),
        }
    }
    out
}

/// A Markdown code span holding `s` verbatim (for a table cell): the fence
/// is one backtick longer than the longest run of backticks in `s`, a space
/// pads content that starts or ends with a backtick or a space, line breaks
/// become spaces and `|` is escaped (a GFM table splits cells before it
/// reads code spans). Empty text gives an empty cell.
pub(crate) fn md_code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let text: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let (mut run, mut longest) = (0usize, 0usize);
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && text.chars().any(|c| c != ' '));
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('|', "\\|"))
}

fn md_decl_rows(s: &mut String, d: &DeclChange) {
    let head = format!(
        "| {} | {} | {} |",
        d.change.as_str(),
        d.kind.as_str(),
        md(&d.name)
    );
    let cell = |v: &Option<String>| v.as_deref().map(md_code).unwrap_or_default();
    if d.attributes.is_empty() {
        let _ = writeln!(s, "{head} | | |");
        return;
    }
    for (i, a) in d.attributes.iter().enumerate() {
        let lead = if i == 0 {
            head.clone()
        } else {
            "| | | |".into()
        };
        let _ = writeln!(
            s,
            "{lead} {} | {} | {} |",
            md(&a.attribute),
            cell(&a.old),
            cell(&a.new)
        );
    }
}

/// Markdown for a pull-request comment: a summary line, a table of
/// declaration changes, the access delta, and an approvals checklist.
pub fn markdown(r: &Report) -> String {
    let mut s = format!("**conduitc diff**: {}\n", md(&summary(r)));
    if r.no_change {
        return s;
    }
    if !r.declarations.is_empty() {
        s.push_str("\n### Declarations\n\n");
        s.push_str("| Change | Kind | Name | Attribute | Old | New |\n");
        s.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for d in &r.declarations {
            md_decl_rows(&mut s, d);
        }
    }
    let _ = writeln!(s, "\n### Effective access on {}\n", r.today);
    if r.access.unchanged {
        s.push_str("No change in effective access.\n");
    }
    for (title, boxes) in [
        ("Newly allowed", &r.access.added),
        ("No longer allowed", &r.access.removed),
    ] {
        if boxes.is_empty() {
            continue;
        }
        let _ = writeln!(s, "**{title}**\n");
        s.push_str("| Services | From | To | Flows |\n| --- | --- | --- | --- |\n");
        for b in boxes.iter() {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                md(&b.services.join(", ")),
                md(&endpoint(&b.src)),
                md(&endpoint(&b.dst)),
                md(&b.flows.join(", "))
            );
        }
        s.push('\n');
    }
    if !r.local_access.is_empty() {
        let _ = writeln!(s, "### Access to firewalls on {}\n", r.today);
        s.push_str("| Firewall | Change | Services | From | To | Entries |\n");
        s.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for l in &r.local_access {
            for (word, boxes) in [
                ("newly allowed", &l.added),
                ("no longer allowed", &l.removed),
            ] {
                for b in boxes.iter() {
                    let _ = writeln!(
                        s,
                        "| {} | {word} | {} | {} | {} | {} |",
                        md(&l.firewall),
                        md(&b.services.join(", ")),
                        md(&endpoint(&b.src)),
                        md(&firewall_endpoint(&b.dst)),
                        md(&b.flows.join(", "))
                    );
                }
            }
        }
        s.push('\n');
    }
    if !s.ends_with("\n\n") {
        s.push('\n');
    }
    s.push_str("### Approvals\n\n");
    if r.approvals.is_empty() {
        s.push_str("No approval required.\n");
    }
    for a in &r.approvals {
        let _ = writeln!(
            s,
            "- [{}] {} (approval {}): {}",
            if a.approved { 'x' } else { ' ' },
            md(&a.owner),
            md(&approval_rules(a)),
            md(&a.triggers.join("; "))
        );
    }
    s
}

/// The report as pretty-printed JSON (see [`crate::diff`](mod@crate::diff) for the shape),
/// ending in a newline.
pub fn json(r: &Report) -> Result<String, serde_json::Error> {
    crate::diag::render::versioned_json(r)
}
