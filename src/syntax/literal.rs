//! Literal values, checked while the tree is built: names (their length),
//! strings and their escapes, levels, security levels, dates, addresses and
//! prefixes, and service specs with their ports and ICMP types. Each problem
//! is a diagnostic with its own code and the literal's span.

use std::net::IpAddr;

use ipnet::IpNet;

use super::ast::*;
use super::build::{kids, Builder, P};
use super::parser::Rule;
use crate::diag::Code;
use crate::limits::{MAX_NAME_CHARS, MAX_STRING_CHARS};
use crate::model::service::{
    icmp_type_by_name, ICMPV6_ERROR_TYPES, ICMPV6_TYPES, ICMP_ERROR_TYPES, ICMP_TYPES,
};
use crate::model::{Date, Level, Text};
use crate::source::{is_bidi_control, is_zero_width, Span};
use crate::suggest::did_you_mean;

impl Builder {
    pub(super) fn ident(&mut self, p: &P<'_>) -> Ident {
        let span = self.span(p);
        self.ident_at(span, p.as_str())
    }

    /// A name with its span, its length checked.
    pub(super) fn ident_at(&mut self, span: Span, text: &str) -> Ident {
        // Names are ASCII (the grammar says so): bytes are characters.
        let chars = if text.is_ascii() {
            text.len()
        } else {
            text.chars().count()
        };
        if chars > MAX_NAME_CHARS {
            let shown: String = text.chars().take(20).collect();
            self.err(
                Code::NameTooLong,
                span,
                format!("name `{shown}…` is {chars} characters long, over the limit of {MAX_NAME_CHARS}"),
            )
            .help = Some(format!(
                "names are at most {MAX_NAME_CHARS} characters so that `conduit/flow` fits a firewall remark"
            ));
        }
        Ident {
            text: self.word(text),
            span,
        }
    }

    pub(super) fn string(&mut self, p: &P<'_>) -> Str {
        let span = self.span(p);
        if p.as_rule() == Rule::unterminated_string {
            self.err(
                Code::UnterminatedString,
                span,
                "this string has no closing quote",
            )
            .help = Some("strings end on the line they start; add the closing `\"`".into());
            return Str {
                value: Text::default(),
                span,
            };
        }
        let Some(body) = kids(p).next() else {
            // `""`: the body rule matched nothing and left no pair.
            return Str {
                value: Text::default(),
                span,
            };
        };
        self.string_at(span, body.as_span().start(), body.as_str())
    }

    /// A terminated string at `span` whose body `raw` starts at `base`.
    pub(super) fn string_at(&mut self, span: Span, base: usize, raw: &str) -> Str {
        // Printable ASCII without escapes, the common case, is its own value.
        if raw.len() <= MAX_STRING_CHARS
            && raw.bytes().all(|b| matches!(b, b' '..=b'~') && b != b'\\')
        {
            return Str {
                value: self.word(raw),
                span,
            };
        }
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        let mut bad = false;
        while let Some((i, c)) = chars.next() {
            let c = if c == '\\' {
                match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => e,
                    Some((j, e)) => {
                        let esc = Span::new(self.file, base + i, base + j + e.len_utf8());
                        self.err(
                            Code::InvalidString,
                            esc,
                            format!("unknown escape `\\{}` in a string", e.escape_default()),
                        )
                        .help = Some("the only escapes are `\\\"` and `\\\\`".into());
                        bad = true;
                        continue;
                    }
                    None => break,
                }
            } else {
                c
            };
            if let Some(what) = forbidden_char(c) {
                let at = Span::new(self.file, base + i, base + i + c.len_utf8());
                self.err(
                    Code::InvalidString,
                    at,
                    format!("string contains {what} (U+{:04X})", c as u32),
                )
                .help = Some(
                    "strings may not hold control characters, line separators, bidirectional controls or zero-width characters; remove it".into(),
                );
                bad = true;
                continue;
            }
            value.push(c);
        }
        let n = value.chars().count();
        if !bad && n > MAX_STRING_CHARS {
            self.err(
                Code::StringTooLong,
                span,
                format!("string is {n} characters long, over the limit of {MAX_STRING_CHARS}"),
            )
            .help = Some("shorten it; refer to a ticket for the long story".into());
        }
        Str {
            value: self.word(&value),
            span,
        }
    }

    pub(super) fn level(&mut self, p: &P<'_>) -> Option<Level> {
        let span = self.span(p);
        self.level_at(span, p.as_str())
    }

    pub(super) fn level_at(&mut self, span: Span, s: &str) -> Option<Level> {
        let l = Level::parse(s);
        if l.is_none() {
            self.err(
                Code::InvalidLevel,
                span,
                format!("`{s}` is not a Purdue level"),
            )
            .help = Some("use 0, 1, 2, 3, 3.5, 4 or 5".into());
        }
        l
    }

    pub(super) fn sl(&mut self, p: &P<'_>) -> Option<u8> {
        let span = self.span(p);
        self.sl_at(span, p.as_str())
    }

    pub(super) fn sl_at(&mut self, span: Span, s: &str) -> Option<u8> {
        match s.parse::<u8>() {
            Ok(n @ 1..=4) => Some(n),
            _ => {
                self.err(
                    Code::InvalidSecurityLevel,
                    span,
                    format!("`{s}` is not a security level"),
                )
                .help = Some("IEC 62443 security levels are 1, 2, 3 and 4".into());
                None
            }
        }
    }

    pub(super) fn date(&mut self, p: &P<'_>) -> Option<Date> {
        let span = self.span(p);
        self.date_at(span, p.as_str())
    }

    pub(super) fn date_at(&mut self, span: Span, s: &str) -> Option<Date> {
        let d = Date::parse(s);
        if d.is_none() {
            self.err(
                Code::InvalidDate,
                span,
                format!("`{s}` is not a date of the form YYYY-MM-DD"),
            )
            .help = Some("write a real calendar date such as `2027-06-30`".into());
        }
        d
    }

    /// A prefix or bare address (a /32 or /128).
    pub(super) fn prefix(&mut self, p: &P<'_>) -> Option<IpNet> {
        let span = self.span(p);
        self.prefix_at(span, p.as_str())
    }

    pub(super) fn prefix_at(&mut self, span: Span, s: &str) -> Option<IpNet> {
        if let Some((addr, len)) = s.split_once('/') {
            let Ok(a) = addr.parse::<IpAddr>() else {
                self.bad_address(span, addr);
                return None;
            };
            let max = if a.is_ipv4() { 32 } else { 128 };
            let Ok(len) = len.parse::<u8>() else {
                self.err(
                    Code::InvalidAddress,
                    span,
                    format!("`{s}` has no valid prefix length"),
                )
                .help = Some(format!("a prefix length is a number from 0 to {max}"));
                return None;
            };
            let Ok(net) = IpNet::new(a, len) else {
                self.err(
                    Code::InvalidAddress,
                    span,
                    format!("prefix length {len} is too long for `{addr}`"),
                )
                .help = Some(format!("the prefix length is at most {max}"));
                return None;
            };
            if net.trunc() != net {
                self.err(Code::HostBitsSet, span, format!("`{s}` has host bits set"))
                    .help = Some(format!(
                    "write `{}` for the network, or `{a}` for the single address",
                    net.trunc()
                ));
                return None;
            }
            Some(net)
        } else {
            match s.parse::<IpAddr>() {
                Ok(a) => Some(IpNet::from(a)),
                Err(_) => {
                    self.bad_address(span, s);
                    None
                }
            }
        }
    }

    pub(super) fn host_address(&mut self, p: &P<'_>) -> Option<IpAddr> {
        let span = self.span(p);
        self.host_address_at(span, p.as_str())
    }

    pub(super) fn host_address_at(&mut self, span: Span, s: &str) -> Option<IpAddr> {
        let net = self.prefix_at(span, s)?;
        if net.prefix_len() != net.max_prefix_len() {
            self.err(
                Code::InvalidAddress,
                span,
                format!("a host has addresses, not prefixes: `{s}`"),
            )
            .help = Some("write the host's address; use a `group` for a prefix".into());
            return None;
        }
        Some(net.addr())
    }

    fn bad_address(&mut self, span: Span, s: &str) {
        self.err(
            Code::InvalidAddress,
            span,
            format!("`{s}` is not an IPv4 or IPv6 address"),
        );
    }

    pub(super) fn spec(&mut self, p: &P<'_>) -> Option<Spec> {
        let span = self.span(p);
        let mut parts = kids(p);
        let (Some(proto), Some(value)) = (parts.next(), parts.next()) else {
            self.internal(p, "service spec");
            return None;
        };
        let (pspan, vspan) = (self.span(&proto), self.span(&value));
        self.spec_at(
            span,
            p.as_str(),
            pspan,
            proto.as_str(),
            vspan,
            value.as_str(),
        )
    }

    /// A service spec `text` at `span`: the protocol `proto` at `pspan`,
    /// then `/` and the value `v` at `vspan`.
    pub(super) fn spec_at(
        &mut self,
        span: Span,
        text: &str,
        pspan: Span,
        proto: &str,
        vspan: Span,
        v: &str,
    ) -> Option<Spec> {
        match proto.to_ascii_lowercase().as_str() {
            kw @ ("tcp" | "udp") => {
                let (lo, hi) = self.ports(vspan, text, v)?;
                Some(if kw == "tcp" {
                    Spec::Tcp(lo, hi)
                } else {
                    Spec::Udp(lo, hi)
                })
            }
            kw @ ("icmp" | "icmpv6") => {
                let v6 = kw == "icmpv6";
                let t = match v.parse::<u16>() {
                    Ok(n) if n <= 255 => n as u8,
                    Ok(_) => {
                        self.err(
                            Code::UnknownIcmpType,
                            vspan,
                            format!("`{v}` is not an ICMP type (0-255)"),
                        );
                        return None;
                    }
                    Err(_) => match icmp_type_by_name(v, v6) {
                        Some(t) => t,
                        None => {
                            let table = if v6 { ICMPV6_TYPES } else { ICMP_TYPES };
                            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
                            let help = did_you_mean(v, &names).or_else(|| {
                                Some(format!("known {kw} types: {}", names.join(", ")))
                            });
                            self.err(
                                Code::UnknownIcmpType,
                                vspan,
                                format!("`{v}` is not an {kw} type"),
                            )
                            .help = help;
                            return None;
                        }
                    },
                };
                let errors = if v6 {
                    ICMPV6_ERROR_TYPES
                } else {
                    ICMP_ERROR_TYPES
                };
                if errors.contains(&t) {
                    self.err(
                        Code::IcmpErrorType,
                        span,
                        format!("`{text}` is an ICMP error type and cannot be a service"),
                    )
                    .help = Some(
                        "errors that belong to a permitted connection are admitted with it; remove this spec".into(),
                    );
                    return None;
                }
                Some(if v6 { Spec::Icmpv6(t) } else { Spec::Icmp(t) })
            }
            "ip" => {
                let n = match v.parse::<u16>() {
                    Ok(n) if n <= 255 => n as u8,
                    _ => {
                        self.err(
                            Code::InvalidIpProtocol,
                            vspan,
                            format!("`{v}` is not an IP protocol number (0-255)"),
                        );
                        return None;
                    }
                };
                let instead = match n {
                    1 => Some("icmp/TYPE"),
                    6 => Some("tcp/1-65535"),
                    17 => Some("udp/1-65535"),
                    58 => Some("icmpv6/TYPE"),
                    _ => None,
                };
                if let Some(instead) = instead {
                    self.err(
                        Code::InvalidIpProtocol,
                        span,
                        format!("`{text}` names a protocol that has its own spec"),
                    )
                    .help = Some(format!("write `{instead}` instead"));
                    return None;
                }
                Some(Spec::Ip(n))
            }
            other => {
                let help = did_you_mean(other, &["tcp", "udp", "icmp", "icmpv6", "ip"]).or_else(
                    || Some("a spec is `tcp/PORTS`, `udp/PORTS`, `icmp/TYPE`, `icmpv6/TYPE` or `ip/N`".into()),
                );
                self.err(
                    Code::UnknownProtocol,
                    pspan,
                    format!("`{proto}` is not a protocol"),
                )
                .help = help;
                None
            }
        }
    }

    fn ports(&mut self, span: Span, text: &str, v: &str) -> Option<(u16, u16)> {
        let port = |s: &str| -> Option<u16> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            match s.parse::<u32>() {
                Ok(n @ 1..=65535) => Some(n as u16),
                _ => None,
            }
        };
        let (lo, hi) = match v.split_once('-') {
            Some((a, b)) => (port(a), port(b)),
            None => (port(v), port(v)),
        };
        let (Some(lo), Some(hi)) = (lo, hi) else {
            self.err(
                Code::InvalidPort,
                span,
                format!("`{v}` is not a port or port range in `{text}`"),
            )
            .help = Some("ports are 1-65535; a range is `A-B`".into());
            return None;
        };
        if lo > hi {
            self.err(
                Code::ReversedPortRange,
                span,
                format!("port range `{v}` starts above its end"),
            )
            .help = Some(format!("write `{hi}-{lo}`"));
            return None;
        }
        Some((lo, hi))
    }
}

/// What is wrong with a character in a string, if anything.
fn forbidden_char(c: char) -> Option<&'static str> {
    match c {
        '\t' => Some("a tab"),
        '\u{2028}' => Some("a line separator"),
        '\u{2029}' => Some("a paragraph separator"),
        c if is_bidi_control(c) => Some("a bidirectional control character"),
        c if is_zero_width(c) => Some("a zero-width character"),
        c if c.is_control() => Some("a control character"),
        _ => None,
    }
}
