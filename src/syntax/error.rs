//! pest errors become diagnostics in the user's words: "expected a Purdue
//! level (0, 1, 2, 3, 3.5, 4 or 5), found `two`", never rule names.
//!
//! [`rule_phrase`] is exhaustive on purpose (no `_` arm): a new grammar rule
//! does not compile until it has a phrase.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::parser::Rule;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// Converts a pest error into an `E101` diagnostic at the offending token.
pub(crate) fn from_pest(err: &Error<Rule>, file: FileId, text: &str) -> Diagnostic {
    let at = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let at = at.min(text.len());
    let (found, len) = found_token(text, at);
    let span = Span::new(file, at, at + len);
    match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let wanted = expected_phrase(positives);
            let word = text.get(at..at + len).unwrap_or_default();
            let help = help_for(positives, word);
            let message = match wanted {
                Some(w) => format!("expected {w}, found {found}"),
                None => format!("unexpected {found}"),
            };
            let mut d = Diagnostic::new(Code::Syntax, span, message).maybe_help(help);
            if let Some((at, what)) = enclosing_block(text, at, file) {
                d = d.with(at, format!("in {what}"));
            }
            d
        }
        ErrorVariant::CustomError { message } => {
            Diagnostic::new(Code::Syntax, span, message.clone())
        }
    }
}

/// The token at `at` in words, and its length in bytes.
fn found_token(text: &str, at: usize) -> (String, usize) {
    let rest = text.get(at..).unwrap_or_default();
    let Some(c) = rest.chars().next() else {
        return ("end of file".into(), 0);
    };
    if c == '\n' || c == '\r' {
        return ("end of line".into(), 0);
    }
    let is_word = |c: char| c.is_ascii_alphanumeric() || "-_.:/".contains(c);
    let len = if is_word(c) {
        rest.char_indices()
            .find(|&(_, c)| !is_word(c))
            .map_or(rest.len(), |(i, _)| i)
    } else {
        c.len_utf8()
    };
    let token = rest.get(..len).unwrap_or_default();
    let shown: String = if token.chars().count() > 30 {
        let mut s: String = token.chars().take(30).collect();
        s.push('…');
        s
    } else if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        token.to_string()
    };
    let shown = if c.is_control() && !is_word(c) {
        format!("the control character {shown}")
    } else {
        format!("`{shown}`")
    };
    (shown, len)
}

/// Every grammar rule in words; `None` for rules never worth naming.
fn rule_phrase(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::COMMENT | Rule::WHITESPACE | Rule::name_char => return None,
        Rule::string_value => "a string in double quotes",
        Rule::service_ref => "a service name or spec (such as `modbus`, `tcp/502`, `udp/53`, `icmp/echo-request` or `ip/47`)",
        Rule::network => "an address, a prefix or `any`",
        Rule::group_member => "a host name, an address or a prefix",
        Rule::decl
        | Rule::file
        | Rule::owner_decl
        | Rule::service_decl
        | Rule::zone_decl
        | Rule::conduit_decl
        | Rule::firewall_decl
        | Rule::approval_decl
        | Rule::isolation_decl => {
            "a declaration (`owner`, `service`, `zone`, `conduit`, `firewall`, `approval` or `isolation`)"
        }
        Rule::name => "a name",
        Rule::string | Rule::string_body | Rule::unterminated_string => {
            "a string in double quotes"
        }
        Rule::address => "an address or prefix",
        Rule::purdue_level => "a Purdue level (0, 1, 2, 3, 3.5, 4 or 5)",
        Rule::security_level => "a security level (1, 2, 3 or 4)",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::entry_count => "a number of access list entries (1 to 4096)",
        Rule::endpoint => "a zone, `zone.host` or `zone.group`",
        Rule::service_spec | Rule::protocol => {
            "a service name or spec (such as `modbus`, `tcp/502`, `udp/53`, `icmp/echo-request` or `ip/47`)"
        }
        Rule::spec_value => "a port, port range, ICMP type or protocol number",
        Rule::diag_code => "a diagnostic code (such as `W107`)",
        Rule::level_op => "a comparison (`<=`, `<`, `>=`, `>` or `=`)",
        Rule::mode_value => "a mode (`enforce` or `monitor`)",
        Rule::platform_value => "a platform name (such as `nftables`)",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::eq => "`=`",
        Rule::owner_attr => "an owner attribute (`name` or `contact`)",
        Rule::zone_attr => {
            "a zone attribute (`level`, `owner`, `sl`, `description`, `supplier`, `networks`, `host` or `group`)"
        }
        Rule::conduit_attr => {
            "a conduit attribute (`zones`, `owner`, `sl`, `mode` or `waive`) or a `flow`"
        }
        Rule::flow_decl => "a `flow`",
        Rule::flow_attr => {
            "a flow attribute (`from`, `to`, `service`, `owner`, `reason`, `expires`, `essential`, `log` or `waive`)"
        }
        Rule::firewall_attr => {
            "a firewall attribute (`platform`, `acl-budget` or `interface`), a `manage` or a `control`"
        }
        Rule::manage_decl => "a `manage` entry",
        Rule::control_decl => "a `control` entry",
        Rule::local_attr => {
            "a `manage` or `control` attribute (`from`, `service`, `reason`, `owner`, `expires`, `log` or `waive`)"
        }
        Rule::approval_attr => "an approval attribute (`scope` or `requires`)",
        Rule::isolation_attr => "an isolation attribute (`sever` or `reason`)",
        Rule::scope | Rule::scope_level | Rule::scope_zone | Rule::scope_conduit | Rule::scope_all => {
            "a scope (`level OP L`, `zone A, B`, `conduit A, B` or `all`)"
        }
        Rule::kw_any => "`any`",
        Rule::kw_remote_access => "`remote-access`",
        Rule::kw_owner | Rule::attr_owner => "`owner`",
        Rule::kw_service | Rule::attr_service => "`service`",
        Rule::kw_zone => "`zone`",
        Rule::kw_conduit => "`conduit`",
        Rule::kw_flow => "`flow`",
        Rule::kw_firewall => "`firewall`",
        Rule::kw_approval => "`approval`",
        Rule::kw_isolation => "`isolation`",
        Rule::kw_name | Rule::attr_name => "`name`",
        Rule::kw_contact | Rule::attr_contact => "`contact`",
        Rule::kw_level | Rule::attr_level => "`level`",
        Rule::kw_sl | Rule::attr_sl => "`sl`",
        Rule::kw_description | Rule::attr_description => "`description`",
        Rule::kw_networks | Rule::attr_networks => "`networks`",
        Rule::kw_host | Rule::attr_host => "`host`",
        Rule::kw_group | Rule::attr_group => "`group`",
        Rule::kw_zones | Rule::attr_zones => "`zones`",
        Rule::kw_mode | Rule::attr_mode => "`mode`",
        Rule::kw_waive | Rule::attr_waive => "`waive`",
        Rule::kw_from | Rule::attr_from => "`from`",
        Rule::kw_to | Rule::attr_to => "`to`",
        Rule::kw_reason | Rule::attr_reason => "`reason`",
        Rule::kw_expires | Rule::attr_expires => "`expires`",
        Rule::kw_essential | Rule::attr_essential => "`essential`",
        Rule::kw_log | Rule::attr_log => "`log`",
        Rule::kw_platform | Rule::attr_platform => "`platform`",
        Rule::kw_supplier | Rule::attr_supplier => "`supplier`",
        Rule::kw_acl_budget | Rule::attr_acl_budget => "`acl-budget`",
        Rule::kw_interface | Rule::attr_interface => "`interface`",
        Rule::kw_address => "`address`",
        Rule::kw_manage => "`manage`",
        Rule::kw_control => "`control`",
        Rule::kw_scope | Rule::attr_scope => "`scope`",
        Rule::kw_all => "`all`",
        Rule::kw_requires | Rule::attr_requires => "`requires`",
        Rule::kw_sever | Rule::attr_sever => "`sever`",
    })
}

/// The expected set in words: mapped, collapsed, deduplicated, joined.
fn expected_phrase(positives: &[Rule]) -> Option<String> {
    let mut rules: Vec<Rule> = positives.to_vec();
    let has = |rules: &[Rule], r: Rule| rules.contains(&r);
    // A declaration may always be followed by more declarations or the end.
    if has(&rules, Rule::decl) || has(&rules, Rule::file) {
        rules.retain(|r| *r != Rule::EOI);
    }
    // Where a service is expected, "a name" is part of the service phrase.
    if has(&rules, Rule::protocol) || has(&rules, Rule::service_spec) {
        rules.retain(|r| *r != Rule::name);
    }
    if has(&rules, Rule::address) && has(&rules, Rule::name) {
        rules.retain(|r| *r != Rule::address && *r != Rule::name);
        rules.insert(0, Rule::name);
        let mut phrases = vec!["a host name, an address or a prefix".to_string()];
        phrases.extend(phrases_of(&rules[1..]));
        return Some(join(phrases));
    }
    let phrases = phrases_of(&rules);
    if phrases.is_empty() {
        None
    } else {
        Some(join(phrases))
    }
}

fn phrases_of(rules: &[Rule]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rules {
        if let Some(p) = rule_phrase(*r) {
            if !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        }
    }
    out
}

fn join(mut parts: Vec<String>) -> String {
    match parts.len() {
        0 => String::new(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} or {}", parts.join(", "), last)
        }
    }
}

/// Keywords that could have been meant where `rule` was expected.
fn keywords_of(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::decl
        | Rule::file
        | Rule::owner_decl
        | Rule::service_decl
        | Rule::zone_decl
        | Rule::conduit_decl
        | Rule::firewall_decl
        | Rule::approval_decl
        | Rule::isolation_decl => &[
            "owner",
            "service",
            "zone",
            "conduit",
            "firewall",
            "approval",
            "isolation",
        ],
        Rule::owner_attr => &["name", "contact"],
        Rule::zone_attr => &[
            "level",
            "owner",
            "sl",
            "description",
            "networks",
            "host",
            "group",
        ],
        Rule::conduit_attr => &["zones", "owner", "sl", "mode", "waive", "flow"],
        Rule::flow_attr => &[
            "from",
            "to",
            "service",
            "owner",
            "reason",
            "expires",
            "essential",
            "log",
            "waive",
        ],
        Rule::firewall_attr => &["platform", "interface", "manage", "control"],
        Rule::local_attr => &[
            "from", "service", "reason", "owner", "expires", "log", "waive",
        ],
        Rule::approval_attr => &["scope", "requires"],
        Rule::isolation_attr => &["sever", "reason"],
        Rule::mode_value => &["enforce", "monitor"],
        _ => &[],
    }
}

const DECL_KEYWORDS: &[&str] = &[
    "owner",
    "service",
    "zone",
    "conduit",
    "firewall",
    "approval",
    "isolation",
];

fn help_for(positives: &[Rule], word: &str) -> Option<String> {
    if word == ";" {
        return Some("attributes end at the end of the line; remove the `;`".into());
    }
    if word == "}" && (positives.contains(&Rule::decl) || positives.contains(&Rule::file)) {
        return Some("this `}` closes no block; remove it or check the braces above".into());
    }
    if positives.contains(&Rule::rbrace) && DECL_KEYWORDS.contains(&word) {
        let in_block = positives.iter().any(|r| !keywords_of(*r).is_empty());
        if in_block {
            return Some(format!(
                "is the `}}` of the block above missing? `{word}` starts a new declaration"
            ));
        }
    }
    if word.is_empty() {
        return None;
    }
    let candidates = positives
        .iter()
        .flat_map(|r| keywords_of(*r).iter().copied())
        .filter(|k| *k != word);
    if let Some(k) = crate::suggest::nearest(word, candidates) {
        return Some(format!("did you mean `{k}`?"));
    }
    if word == "{" && positives.contains(&Rule::eq) {
        return Some("a host or group is declared with `=`, not a block".into());
    }
    None
}

/// The innermost block open at byte `at`, found by scanning the text before
/// it (comments and strings skipped, braces counted): the span of its name
/// and a description such as ``flow `line/poll` ``.
fn enclosing_block(text: &str, at: usize, file: FileId) -> Option<(Span, String)> {
    let before = text.get(..at)?;
    // Open blocks: (keyword, name, name span).
    let mut open: Vec<(&str, &str, (usize, usize))> = Vec::new();
    // The last two words seen: (text, start).
    let mut words: [(&str, usize); 2] = [("", 0), ("", 0)];
    let bytes = before.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                words = [("", 0), ("", 0)];
                continue;
            }
            b'{' => {
                let (kw, name) = (words[0], words[1]);
                if !kw.0.is_empty() && !name.0.is_empty() {
                    open.push((kw.0, name.0, (name.1, name.1 + name.0.len())));
                } else {
                    open.push(("", "", (i, i)));
                }
                words = [("", 0), ("", 0)];
            }
            b'}' => {
                open.pop();
                words = [("", 0), ("", 0)];
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-')
                {
                    i += 1;
                }
                words = [words[1], (before.get(start..i).unwrap_or_default(), start)];
                continue;
            }
            c if c.is_ascii_whitespace() => {}
            _ => words = [("", 0), ("", 0)],
        }
        i += 1;
    }
    let (kw, name, (s, e)) = *open.last()?;
    let kinds = [
        "owner",
        "zone",
        "conduit",
        "flow",
        "firewall",
        "approval",
        "isolation",
    ];
    if !kinds.contains(&kw) {
        return None;
    }
    let shown = match (kw, open.len()) {
        ("flow", n) if n >= 2 && open[n - 2].0 == "conduit" => {
            format!("{}/{}", open[n - 2].1, name)
        }
        _ => name.to_string(),
    };
    Some((Span::new(file, s, e), format!("{kw} `{shown}`")))
}

#[cfg(test)]
mod tests {
    use crate::source::FileId;
    use crate::syntax::parse_text;

    /// The help of the syntax error in `text`.
    fn help(text: &str) -> Option<String> {
        let parsed = parse_text(FileId::FIRST, text);
        assert!(parsed.file.is_none(), "{text:?} parsed");
        parsed.diagnostics.first().and_then(|d| d.help.clone())
    }

    #[test]
    fn a_misspelt_keyword_gets_the_closest_keyword_expected_there() {
        assert_eq!(
            help("zoen plant { level 1 }").as_deref(),
            Some("did you mean `zone`?")
        );
        assert_eq!(
            help("conduit c { mdoe monitor }").as_deref(),
            Some("did you mean `mode`?")
        );
        assert_eq!(
            help("conduit c { mode monitr }").as_deref(),
            Some("did you mean `monitor`?")
        );
        // Keywords are lowercase; the capitalised one is pointed at.
        assert_eq!(
            help("Zone plant { level 1 }").as_deref(),
            Some("did you mean `zone`?")
        );
    }

    #[test]
    fn a_word_far_from_every_keyword_gets_no_suggestion() {
        assert_eq!(help("gateway plant { level 1 }"), None);
    }
}
