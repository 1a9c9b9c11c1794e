//! The fast path: a hand-written reader of the grammar that builds the tree
//! straight from the bytes, for text without errors.
//!
//! It reads exactly what `grammar/conduit.pest` accepts and builds exactly
//! the tree the pest parser and [`super::build`] build, with the same
//! spans. It gives up (`None`) at the first thing that is not plainly
//! right: a syntax error, a bad literal, a list or zone over its limit, or
//! anything else that would produce a diagnostic. The caller then parses
//! the text again with pest, which yields today's exact diagnostics. The
//! grammar stays the definition of the language; tests compare the two
//! paths on the corpus and on generated policies.
//!
//! How the grammar's rules map to this code: between any two tokens of a
//! non-atomic rule pest skips `WHITESPACE` and `COMMENT` ([`Fast::skip`]);
//! a keyword `kw_x = @{ "x" ~ !name_char }` matches where the longest run
//! of name characters is exactly `x` ([`Fast::word`]); the alternatives
//! of a statement start with distinct keywords, so the keyword picks the
//! alternative.

use super::ast::*;
use super::build::Builder;
use crate::limits::{MAX_LIST_ITEMS, MAX_ZONE_MEMBERS};
use crate::model::{Level, LevelOp, Mode, Platform};
use crate::source::Span;

/// The declarations of `text`, or `None` if the text is not plainly
/// right (then nothing is reported: the caller parses again with pest).
pub(super) fn decls(b: &mut Builder, text: &str) -> Option<Vec<Decl>> {
    let mut f = Fast {
        b,
        t: text,
        s: text.as_bytes(),
        i: 0,
        last: 0,
    };
    let decls = f.file()?;
    f.b.diags.is_empty().then_some(decls)
}

struct Fast<'b, 't> {
    b: &'b mut Builder,
    t: &'t str,
    s: &'t [u8],
    /// The read position.
    i: usize,
    /// The end of the last token read.
    last: usize,
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

impl<'t> Fast<'_, 't> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.b.file, start, end)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// `WHITESPACE` and `COMMENT`, as the grammar has them: spaces, tabs,
    /// `\n` and `\r\n`; `#` to before `\n` or `\r\n`.
    fn skip(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' => self.i += 1,
                b'\r' if self.s.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                b'#' => {
                    self.i += 1;
                    while let Some(c) = self.peek() {
                        if c == b'\n' || (c == b'\r' && self.s.get(self.i + 1) == Some(&b'\n')) {
                            break;
                        }
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// Consumes byte `c` as a token.
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            self.last = self.i;
            true
        } else {
            false
        }
    }

    /// The run of name characters at the position (not consumed).
    fn word(&self) -> &'t str {
        let end = self.s[self.i..]
            .iter()
            .position(|&c| !is_name_char(c))
            .map_or(self.s.len(), |n| self.i + n);
        self.t.get(self.i..end).unwrap_or_default()
    }

    /// Consumes `n` bytes as a token; its span.
    fn take(&mut self, n: usize) -> (usize, usize) {
        let start = self.i;
        self.i += n;
        self.last = self.i;
        (start, self.i)
    }

    /// The keyword `kw` if it is next; its span.
    fn keyword(&mut self, kw: &str) -> Option<Span> {
        if self.word() == kw {
            let (a, b) = self.take(kw.len());
            Some(self.span(a, b))
        } else {
            None
        }
    }

    /// Consumes bytes while `f` holds, at least one; their range.
    fn run(&mut self, f: impl Fn(u8) -> bool) -> Option<(usize, usize)> {
        let n = self.s[self.i..].iter().take_while(|&&c| f(c)).count();
        (n > 0).then(|| self.take(n))
    }

    fn text(&self, (a, b): (usize, usize)) -> &'t str {
        self.t.get(a..b).unwrap_or_default()
    }

    /// `name = @{ ASCII_ALPHA ~ (ASCII_ALPHANUMERIC | "_" | "-")* }`
    fn name_range(&mut self) -> Option<(usize, usize)> {
        if !self.peek()?.is_ascii_alphabetic() {
            return None;
        }
        self.run(is_name_char)
    }

    fn ident(&mut self) -> Option<Ident> {
        let r = self.name_range()?;
        let span = self.span(r.0, r.1);
        Some(self.b.ident_at(span, self.text(r)))
    }

    /// `ASCII_DIGIT+`
    fn digits(&mut self) -> Option<(usize, usize)> {
        self.run(|c| c.is_ascii_digit())
    }

    /// `purdue_level = @{ ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)? }`
    fn purdue_level(&mut self) -> Option<Level> {
        let (a, mut b) = self.digits()?;
        if self.peek() == Some(b'.') && self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
            b = self.digits()?.1;
        }
        let span = self.span(a, b);
        self.b.level_at(span, self.text((a, b)))
    }

    /// `address`: hex digits, `.`, `:` and `/`, with a `.` or `:` after
    /// the leading hex digits.
    fn address(&mut self) -> Option<(usize, usize)> {
        let hex = self.s[self.i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if !matches!(self.s.get(self.i + hex), Some(b'.' | b':')) {
            return None;
        }
        self.run(|c| c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b'/'))
    }

    fn is_address(&self) -> bool {
        let hex = self.s[self.i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        matches!(self.s.get(self.i + hex), Some(b'.' | b':'))
    }

    /// `string_value`, terminated and with nothing wrong in it.
    fn string(&mut self) -> Option<Str> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.i;
        let mut j = start + 1;
        loop {
            match *self.s.get(j)? {
                b'"' => break,
                b'\n' | b'\r' => return None,
                b'\\' => match *self.s.get(j + 1)? {
                    b'\n' | b'\r' => return None,
                    _ => j += 2,
                },
                _ => j += 1,
            }
        }
        let (body, end) = (self.text((start + 1, j)), j + 1);
        self.i = end;
        self.last = end;
        let span = self.span(start, end);
        Some(self.b.string_at(span, start + 1, body))
    }

    /// `a ~ ("," ~ a)*` after the keyword; at most [`MAX_LIST_ITEMS`]
    /// items (more is `E007`, left to the pest path). The list holds no
    /// spare room: most lists have one or two items, and a growing `Vec`
    /// starts with room for four.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.skip();
        let first = item(self)?;
        self.skip();
        if !self.eat(b',') {
            return Some(vec![first]);
        }
        let mut out = vec![first];
        loop {
            self.skip();
            out.push(item(self)?);
            self.skip();
            if !self.eat(b',') {
                break;
            }
        }
        out.shrink_to_fit();
        (out.len() <= MAX_LIST_ITEMS).then_some(out)
    }

    fn file(&mut self) -> Option<Vec<Decl>> {
        let mut decls = Vec::new();
        loop {
            self.skip();
            if self.i == self.s.len() {
                return Some(decls);
            }
            let start = self.i;
            let decl = match self.word() {
                "owner" => Decl::Owner(self.block(Self::owner_attr)?),
                "service" => Decl::Service(self.service_decl()?),
                "zone" => {
                    let zone = self.block(Self::zone_attr)?;
                    let members = zone
                        .attrs
                        .iter()
                        .filter(|a| matches!(a.value, ZoneAttr::Host(_) | ZoneAttr::Group(_)))
                        .count();
                    if members > MAX_ZONE_MEMBERS {
                        return None;
                    }
                    Decl::Zone(zone)
                }
                "conduit" => Decl::Conduit(self.block(Self::conduit_attr)?),
                "firewall" => Decl::Firewall(self.block(Self::firewall_attr)?),
                "approval" => Decl::Approval(self.block(Self::approval_attr)?),
                "isolation" => Decl::Isolation(self.block(Self::isolation_attr)?),
                _ => return None,
            };
            debug_assert!(self.i > start);
            decls.push(decl);
        }
    }

    /// `kw NAME { attr* }` at the keyword. `attr` reads one attribute
    /// from its keyword (given, not yet consumed).
    fn block<A>(
        &mut self,
        mut attr: impl FnMut(&mut Self, &'t str) -> Option<A>,
    ) -> Option<Block<A>> {
        let start = self.i;
        let kw = self.word();
        self.take(kw.len());
        self.skip();
        let name = self.ident()?;
        self.skip();
        if !self.eat(b'{') {
            return None;
        }
        // Room for a flow's attributes at once, then no more than needed.
        let mut attrs = Vec::with_capacity(8);
        loop {
            self.skip();
            if self.eat(b'}') {
                attrs.shrink_to_fit();
                break;
            }
            let k = self.i;
            let word = self.word();
            if word.is_empty() {
                return None;
            }
            let value = attr(self, word)?;
            attrs.push(Attr {
                span: self.span(k, self.last),
                value,
            });
        }
        let span = self.span(start, self.i);
        Some(Block { name, span, attrs })
    }

    /// Consumes the keyword `kw` (known to be next) and the trivia after it.
    fn after(&mut self, kw: &str) {
        self.take(kw.len());
        self.skip();
    }

    fn owner_attr(&mut self, kw: &str) -> Option<OwnerAttr> {
        Some(match kw {
            "name" => {
                self.after(kw);
                OwnerAttr::Name(self.string()?)
            }
            "contact" => {
                self.after(kw);
                OwnerAttr::Contact(self.string()?)
            }
            _ => return None,
        })
    }

    fn zone_attr(&mut self, kw: &str) -> Option<ZoneAttr> {
        Some(match kw {
            "host" => {
                self.after(kw);
                let name = self.ident()?;
                self.skip();
                if !self.eat(b'=') {
                    return None;
                }
                let addrs = self.list(|f| {
                    let r = f.address()?;
                    let span = f.span(r.0, r.1);
                    Some((f.b.host_address_at(span, f.text(r))?, span))
                })?;
                ZoneAttr::Host(HostDecl { name, addrs })
            }
            "group" => {
                self.after(kw);
                let name = self.ident()?;
                self.skip();
                if !self.eat(b'=') {
                    return None;
                }
                let members = self.list(|f| {
                    if f.is_address() {
                        let r = f.address()?;
                        let span = f.span(r.0, r.1);
                        Some(GroupMemberAst::Prefix(
                            f.b.prefix_at(span, f.text(r))?,
                            span,
                        ))
                    } else {
                        Some(GroupMemberAst::Host(f.ident()?))
                    }
                })?;
                ZoneAttr::Group(GroupDecl { name, members })
            }
            "networks" => {
                self.after(kw);
                ZoneAttr::Networks(self.list(|f| {
                    if let Some(span) = f.keyword("any") {
                        return Some(NetItem::Any(span));
                    }
                    let r = f.address()?;
                    let span = f.span(r.0, r.1);
                    Some(NetItem::Prefix(f.b.prefix_at(span, f.text(r))?, span))
                })?)
            }
            "level" => {
                self.after(kw);
                ZoneAttr::Level(self.purdue_level()?)
            }
            "owner" => {
                self.after(kw);
                ZoneAttr::Owner(self.ident()?)
            }
            "sl" => {
                self.after(kw);
                ZoneAttr::Sl(self.sl()?)
            }
            "description" => {
                self.after(kw);
                ZoneAttr::Description(self.string()?)
            }
            "supplier" => {
                self.take(kw.len());
                ZoneAttr::Supplier
            }
            _ => return None,
        })
    }

    fn sl(&mut self) -> Option<u8> {
        let r = self.digits()?;
        let span = self.span(r.0, r.1);
        self.b.sl_at(span, self.text(r))
    }

    fn conduit_attr(&mut self, kw: &str) -> Option<ConduitAttr> {
        Some(match kw {
            "flow" => ConduitAttr::Flow(self.block(Self::flow_attr)?),
            "zones" => {
                self.after(kw);
                ConduitAttr::Zones(self.list(Self::ident)?)
            }
            "owner" => {
                self.after(kw);
                ConduitAttr::Owner(self.ident()?)
            }
            "sl" => {
                self.after(kw);
                ConduitAttr::Sl(self.sl()?)
            }
            "mode" => {
                self.after(kw);
                match self.word() {
                    m @ "enforce" => {
                        self.take(m.len());
                        ConduitAttr::Mode(Mode::Enforce)
                    }
                    m @ "monitor" => {
                        self.take(m.len());
                        ConduitAttr::Mode(Mode::Monitor)
                    }
                    _ => return None,
                }
            }
            "waive" => ConduitAttr::Waive(Box::new(self.waive()?)),
            _ => return None,
        })
    }

    /// `waive CODE "reason"` at the keyword.
    fn waive(&mut self) -> Option<Waive> {
        self.after("waive");
        // `diag_code = @{ ASCII_ALPHA ~ name_char* }`: a name, not checked
        // for length.
        let r = self.name_range()?;
        let code = Ident {
            text: self.b.word(self.text(r)),
            span: self.span(r.0, r.1),
        };
        self.skip();
        let reason = self.string()?;
        Some(Waive { code, reason })
    }

    fn flow_attr(&mut self, kw: &str) -> Option<FlowAttr> {
        Some(match kw {
            "to" => {
                self.after(kw);
                FlowAttr::To(self.list(Self::endpoint)?)
            }
            "essential" => {
                self.take(kw.len());
                FlowAttr::Essential
            }
            _ => return self.local_attr(kw),
        })
    }

    /// The attributes of `manage` and `control` entries (`local_attr`),
    /// all of them flow attributes too.
    fn local_attr(&mut self, kw: &str) -> Option<FlowAttr> {
        Some(match kw {
            "from" => {
                self.after(kw);
                FlowAttr::From(self.list(Self::endpoint)?)
            }
            "service" => {
                self.after(kw);
                FlowAttr::Service(self.list(Self::service_ref)?)
            }
            "owner" => {
                self.after(kw);
                FlowAttr::Owner(self.ident()?)
            }
            "reason" => {
                self.after(kw);
                FlowAttr::Reason(self.string()?)
            }
            "expires" => {
                self.after(kw);
                // `date = @{ ASCII_DIGIT+ ~ ("-" ~ ASCII_DIGIT+)* }`
                let (a, mut b) = self.digits()?;
                while self.peek() == Some(b'-')
                    && self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit)
                {
                    self.i += 1;
                    b = self.digits()?.1;
                }
                let span = self.span(a, b);
                FlowAttr::Expires(self.b.date_at(span, self.text((a, b)))?)
            }
            "log" => {
                self.take(kw.len());
                FlowAttr::Log
            }
            "waive" => FlowAttr::Waive(Box::new(self.waive()?)),
            _ => return None,
        })
    }

    /// `endpoint = ${ name ~ ("." ~ name)? }`
    fn endpoint(&mut self) -> Option<EndpointRef> {
        let zone = self.ident()?;
        let member = if self.peek() == Some(b'.')
            && self.s.get(self.i + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            self.i += 1;
            Some(self.ident()?)
        } else {
            None
        };
        Some(EndpointRef { zone, member })
    }

    /// `service_ref = _{ service_spec | name }`, where
    /// `service_spec = ${ protocol ~ "/" ~ spec_value }`.
    fn service_ref(&mut self) -> Option<ServiceRef> {
        let start = self.i;
        if !self.peek()?.is_ascii_alphabetic() {
            return None;
        }
        let proto = self.s[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let value = if self.s.get(start + proto) == Some(&b'/') {
            self.s[start + proto + 1..]
                .iter()
                .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'-')
                .count()
        } else {
            0
        };
        if value > 0 {
            let end = start + proto + 1 + value;
            self.i = end;
            self.last = end;
            let span = self.span(start, end);
            let vspan = self.span(start + proto + 1, end);
            let spec = self.b.spec_at(
                span,
                self.text((start, end)),
                self.span(start, start + proto),
                self.text((start, start + proto)),
                vspan,
                self.text((start + proto + 1, end)),
            )?;
            Some(ServiceRef {
                span,
                text: self.b.word(self.text((start, end))),
                spec: Some(spec),
            })
        } else {
            let name = self.ident()?;
            Some(ServiceRef {
                span: name.span,
                text: name.text,
                spec: None,
            })
        }
    }

    /// `service NAME = SPEC-OR-NAME, ... [remote-access]` at the keyword.
    fn service_decl(&mut self) -> Option<ServiceDecl> {
        let start = self.i;
        self.after("service");
        let name = self.ident()?;
        self.skip();
        if !self.eat(b'=') {
            return None;
        }
        let refs = self.list(Self::service_ref)?;
        // `list` has skipped the trivia after the last item.
        let remote_access = self.keyword("remote-access");
        Some(ServiceDecl {
            name,
            span: self.span(start, self.last),
            refs,
            remote_access,
        })
    }

    fn firewall_attr(&mut self, kw: &str) -> Option<FirewallAttr> {
        Some(match kw {
            "platform" => {
                self.after(kw);
                // `platform_value = @{ ASCII_ALPHA ~ name_char* }`
                let r = self.name_range()?;
                FirewallAttr::Platform(Platform::from_name(self.text(r))?)
            }
            "acl-budget" => {
                self.after(kw);
                let r = self.digits()?;
                let n = self.text(r).parse::<u64>().unwrap_or(u64::MAX);
                FirewallAttr::AclBudget(n, self.span(r.0, r.1))
            }
            "interface" => {
                self.after(kw);
                let name = self.string()?;
                self.skip();
                if !self.eat(b'=') {
                    return None;
                }
                self.skip();
                let zone = self.ident()?;
                self.skip();
                let mut addrs = Vec::new();
                if self.keyword("address").is_some() {
                    let host = |f: &mut Self| {
                        let r = f.address()?;
                        let span = f.span(r.0, r.1);
                        Some((f.b.host_address_at(span, f.text(r))?, span))
                    };
                    loop {
                        self.skip();
                        addrs.push(host(self)?);
                        self.skip();
                        if !self.eat(b',') {
                            break;
                        }
                    }
                }
                FirewallAttr::Interface(InterfaceDecl { name, zone, addrs })
            }
            "manage" => FirewallAttr::Manage(self.block(Self::local_attr)?),
            "control" => FirewallAttr::Control(self.block(Self::local_attr)?),
            _ => return None,
        })
    }

    fn approval_attr(&mut self, kw: &str) -> Option<ApprovalAttr> {
        Some(match kw {
            "scope" => {
                self.after(kw);
                ApprovalAttr::Scope(match self.word() {
                    w @ "level" => {
                        self.after(w);
                        let op = if self.s[self.i..].starts_with(b"<=") {
                            self.take(2);
                            LevelOp::Le
                        } else if self.s[self.i..].starts_with(b">=") {
                            self.take(2);
                            LevelOp::Ge
                        } else if self.eat(b'<') {
                            LevelOp::Lt
                        } else if self.eat(b'>') {
                            LevelOp::Gt
                        } else if self.eat(b'=') {
                            LevelOp::Eq
                        } else {
                            return None;
                        };
                        self.skip();
                        ScopeAst::Level(op, self.purdue_level()?)
                    }
                    w @ ("zone" | "conduit") => {
                        self.after(w);
                        let names = self.scope_names()?;
                        if w == "zone" {
                            ScopeAst::Zones(names)
                        } else {
                            ScopeAst::Conduits(names)
                        }
                    }
                    w @ "all" => {
                        self.take(w.len());
                        ScopeAst::All
                    }
                    _ => return None,
                })
            }
            "requires" => {
                self.after(kw);
                ApprovalAttr::Requires(self.list(Self::ident)?)
            }
            _ => return None,
        })
    }

    /// The names of `scope zone` and `scope conduit`. pest ends a
    /// one-name scope after the trivia that follows the name (it skips
    /// before trying the `("," ~ name)*` repetition, which matches
    /// nothing), so the attribute's span does too.
    fn scope_names(&mut self) -> Option<Vec<Ident>> {
        let names = self.list(Self::ident)?;
        if names.len() == 1 {
            self.last = self.i;
        }
        Some(names)
    }

    fn isolation_attr(&mut self, kw: &str) -> Option<IsolationAttr> {
        Some(match kw {
            "sever" => {
                self.after(kw);
                IsolationAttr::Sever(self.list(Self::ident)?)
            }
            "reason" => {
                self.after(kw);
                IsolationAttr::Reason(self.string()?)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    //! The fast path against pest: wherever the fast path gives a tree,
    //! pest gives the same tree and no diagnostic; wherever pest gives a
    //! tree without diagnostics, the fast path gives one too (so it is
    //! taken). Inputs: every policy of the repository (tests, examples,
    //! fuzz corpus), single-byte edits of the small ones, and generated
    //! policies.

    use std::path::{Path, PathBuf};

    use super::super::{build::Builder, comments::comments, lexical::scan, parse_pest};
    use crate::diag::Diagnostic;
    use crate::source::FileId;

    /// Compares both paths on `text`; whether the fast path took it.
    fn agree(what: &str, text: &str) -> bool {
        let id = FileId::FIRST;
        let mut b = Builder::new(id);
        let fast = super::decls(&mut b, text);
        let slow = parse_pest(id, text);
        let clean = slow.file.is_some() && slow.diagnostics.is_empty();
        match fast {
            Some(decls) => {
                assert!(clean, "{what}: the fast path accepts what pest does not");
                let slow = slow.file.unwrap_or_else(|| unreachable!());
                assert_eq!(decls, slow.decls, "{what}: the trees differ");
                assert_eq!(comments(id, text), slow.comments, "{what}: comments");
                true
            }
            None => {
                assert!(!clean, "{what}: the fast path gives up on clean text");
                false
            }
        }
    }

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }

    fn corpus(sub: &str, conduit_only: bool) -> Vec<(String, String)> {
        let mut paths = Vec::new();
        files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(sub), &mut paths);
        paths.sort();
        paths
            .into_iter()
            .filter(|p| !conduit_only || p.extension().is_some_and(|e| e == "conduit"))
            .filter_map(|p| {
                let text = String::from_utf8(std::fs::read(&p).ok()?).ok()?;
                Some((p.display().to_string(), text))
            })
            .collect()
    }

    #[test]
    fn both_paths_agree_on_the_repository_policies() {
        let mut policies = corpus("tests/diagnostics", true);
        policies.extend(corpus("examples", true));
        let n = policies.len();
        let fast = policies.iter().filter(|(p, t)| agree(p, t)).count();
        assert!(n > 100, "the policies are missing ({n})");
        // The pass files are clean, so the fast path takes them.
        assert!(fast > n / 3, "the fast path took only {fast} of {n}");
        let mut fuzz = corpus("fuzz/corpus/parse", false);
        fuzz.extend(corpus("fuzz/regressions", false));
        assert!(fuzz.len() > 50);
        let taken = fuzz.iter().filter(|(p, t)| agree(p, t)).count();
        assert!(taken > 0);
    }

    #[test]
    fn both_paths_agree_on_edited_policies() {
        let inserts = [
            ",", ".", "\"", "#", " ", "\n", "\r\n", "}", "{", "=", "-", "/", "a", "1", ":", "\\",
            "é",
        ];
        let mut policies = corpus("tests/diagnostics", true);
        policies.extend(corpus("examples", true));
        let (mut n, mut taken) = (0, 0);
        for (path, text) in policies.iter().filter(|(_, t)| t.len() <= 3000) {
            let cuts: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            let step = (cuts.len() / 40).max(1);
            for (k, &at) in cuts.iter().enumerate().step_by(step) {
                let mut variants = Vec::new();
                if let Some(&next) = cuts.get(k + 1) {
                    variants.push(format!("{}{}", &text[..at], &text[next..]));
                }
                for ins in inserts.iter().skip(k % 3).step_by(3) {
                    variants.push(format!("{}{ins}{}", &text[..at], &text[at..]));
                }
                for v in variants {
                    n += 1;
                    // Only text the lexical pass lets through reaches the grammar.
                    if scan(FileId::FIRST, &v).iter().any(Diagnostic::is_error) {
                        continue;
                    }
                    if agree(&format!("{path} edited at {at}"), &v) {
                        taken += 1;
                    }
                }
            }
        }
        assert!(n > 5000, "too few edits ({n})");
        assert!(taken > n / 10, "the fast path took only {taken} of {n}");
    }

    #[test]
    fn both_paths_agree_on_generated_policies() {
        use conduitc_testkit::gen;
        for seed in 0..150 {
            let text = gen::draw(gen::policy_spec(), seed).render();
            assert!(
                agree(&format!("seed {seed}"), &text),
                "seed {seed}: the fast path gave up on a generated policy:\n{text}"
            );
        }
    }
}
