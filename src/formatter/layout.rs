//! From the syntax tree and the comment table to canonical text, in two
//! steps: every declaration becomes a small document (attributes with the
//! comments they own, lists with the comments between their items), then
//! the documents are printed line by line and trailing comments aligned.
//!
//! Comment placement, by position in the source:
//! - a comment on the line where an attribute, a list item or a
//!   declaration ends is its *trailing* comment and stays on that line;
//! - a comment on a line of its own *leads* the attribute, list item or
//!   declaration that follows it, and moves with it when attributes are
//!   put in canonical order;
//! - a comment after the last attribute of a block is *dangling* and stays
//!   at the end of the block; one after `{` on its line stays there;
//! - a comment between the words of one attribute or declaration header
//!   (`level # c` newline `3`) has no place of its own in the canonical
//!   layout and is moved to the lines before that attribute or declaration.

use super::comments::{next_token, Comments};
use crate::model::Mode;
use crate::source::Span;
use crate::syntax::ast::*;

/// Lines longer than this put their list one item per line.
pub(super) const MAX_WIDTH: usize = 100;
/// Spaces between code and an aligned trailing comment, at least.
const COMMENT_GAP: usize = 2;

/// What an attribute looks like before comments are attached.
pub(super) enum Shape<'a> {
    /// One line of text, no list.
    Line(String),
    /// `HEAD item, item, ... [SUFFIX]`
    List {
        head: String,
        items: Vec<(String, Span)>,
        suffix: Option<&'static str>,
    },
    /// A nested block with its keyword (`flow` in a conduit, `manage` and
    /// `control` in a firewall).
    Nested(&'static str, &'a Block<FlowAttr>),
}

/// An attribute type: its rank in the canonical order of its block, and
/// its shape.
pub(super) trait Attribute {
    /// Position in the canonical order (attributes of equal rank keep their
    /// source order).
    fn rank(&self) -> u8;
    /// The text of the attribute, without comments.
    fn shape<'a>(&'a self, text: &str) -> Shape<'a>;
}

/// A string literal with the canonical escapes (`\"` and `\\`).
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn slice(text: &str, span: Span) -> String {
    text.get(span.range()).unwrap_or_default().to_string()
}

fn idents(head: &str, list: &[Ident]) -> Shape<'static> {
    Shape::List {
        head: head.to_string(),
        items: list.iter().map(|i| (i.text.to_string(), i.span)).collect(),
        suffix: None,
    }
}

impl Attribute for OwnerAttr {
    fn rank(&self) -> u8 {
        match self {
            OwnerAttr::Name(_) => 0,
            OwnerAttr::Contact(_) => 1,
        }
    }
    fn shape<'a>(&'a self, _: &str) -> Shape<'a> {
        Shape::Line(match self {
            OwnerAttr::Name(s) => format!("name {}", quote(&s.value)),
            OwnerAttr::Contact(s) => format!("contact {}", quote(&s.value)),
        })
    }
}

impl Attribute for ZoneAttr {
    fn rank(&self) -> u8 {
        match self {
            ZoneAttr::Level(_) => 0,
            ZoneAttr::Owner(_) => 1,
            ZoneAttr::Sl(_) => 2,
            ZoneAttr::Description(_) => 3,
            ZoneAttr::Supplier => 4,
            ZoneAttr::Networks(_) => 5,
            ZoneAttr::Host(_) => 6,
            ZoneAttr::Group(_) => 7,
        }
    }
    fn shape<'a>(&'a self, text: &str) -> Shape<'a> {
        match self {
            ZoneAttr::Level(l) => Shape::Line(format!("level {l}")),
            ZoneAttr::Owner(o) => Shape::Line(format!("owner {}", o.text)),
            ZoneAttr::Sl(n) => Shape::Line(format!("sl {n}")),
            ZoneAttr::Description(s) => Shape::Line(format!("description {}", quote(&s.value))),
            ZoneAttr::Supplier => Shape::Line("supplier".into()),
            ZoneAttr::Networks(items) => Shape::List {
                head: "networks".into(),
                items: items
                    .iter()
                    .map(|i| match i {
                        NetItem::Any(s) => ("any".to_string(), *s),
                        NetItem::Prefix(_, s) => (slice(text, *s), *s),
                    })
                    .collect(),
                suffix: None,
            },
            ZoneAttr::Host(h) => Shape::List {
                head: format!("host {} =", h.name.text),
                items: h.addrs.iter().map(|(_, s)| (slice(text, *s), *s)).collect(),
                suffix: None,
            },
            ZoneAttr::Group(g) => Shape::List {
                head: format!("group {} =", g.name.text),
                items: g
                    .members
                    .iter()
                    .map(|m| match m {
                        GroupMemberAst::Host(id) => (id.text.to_string(), id.span),
                        GroupMemberAst::Prefix(_, s) => (slice(text, *s), *s),
                    })
                    .collect(),
                suffix: None,
            },
        }
    }
}

fn waive_line(w: &Waive) -> String {
    format!("waive {} {}", w.code.text, quote(&w.reason.value))
}

impl Attribute for ConduitAttr {
    fn rank(&self) -> u8 {
        match self {
            ConduitAttr::Zones(_) => 0,
            ConduitAttr::Owner(_) => 1,
            ConduitAttr::Sl(_) => 2,
            ConduitAttr::Mode(_) => 3,
            ConduitAttr::Waive(_) => 4,
            ConduitAttr::Flow(_) => 5,
        }
    }
    fn shape<'a>(&'a self, _: &str) -> Shape<'a> {
        match self {
            ConduitAttr::Zones(z) => idents("zones", z),
            ConduitAttr::Owner(o) => Shape::Line(format!("owner {}", o.text)),
            ConduitAttr::Sl(n) => Shape::Line(format!("sl {n}")),
            ConduitAttr::Mode(m) => Shape::Line(
                match m {
                    Mode::Enforce => "mode enforce",
                    Mode::Monitor => "mode monitor",
                }
                .to_string(),
            ),
            ConduitAttr::Waive(w) => Shape::Line(waive_line(w)),
            ConduitAttr::Flow(f) => Shape::Nested("flow", f),
        }
    }
}

fn endpoints(head: &str, list: &[EndpointRef]) -> Shape<'static> {
    Shape::List {
        head: head.to_string(),
        items: list
            .iter()
            .map(|e| {
                let text = match &e.member {
                    Some(m) => format!("{}.{}", e.zone.text, m.text),
                    None => e.zone.text.to_string(),
                };
                (text, e.span())
            })
            .collect(),
        suffix: None,
    }
}

fn service_refs(head: String, refs: &[ServiceRef], suffix: Option<&'static str>) -> Shape<'static> {
    Shape::List {
        head,
        items: refs.iter().map(|r| (r.text.to_string(), r.span)).collect(),
        suffix,
    }
}

impl Attribute for FlowAttr {
    fn rank(&self) -> u8 {
        match self {
            FlowAttr::From(_) => 0,
            FlowAttr::To(_) => 1,
            FlowAttr::Service(_) => 2,
            FlowAttr::Owner(_) => 3,
            FlowAttr::Reason(_) => 4,
            FlowAttr::Expires(_) => 5,
            FlowAttr::Essential => 6,
            FlowAttr::Log => 7,
            FlowAttr::Waive(_) => 8,
        }
    }
    fn shape<'a>(&'a self, _: &str) -> Shape<'a> {
        match self {
            FlowAttr::From(e) => endpoints("from", e),
            FlowAttr::To(e) => endpoints("to", e),
            FlowAttr::Service(r) => service_refs("service".into(), r, None),
            FlowAttr::Owner(o) => Shape::Line(format!("owner {}", o.text)),
            FlowAttr::Reason(s) => Shape::Line(format!("reason {}", quote(&s.value))),
            FlowAttr::Expires(d) => Shape::Line(format!("expires {d}")),
            FlowAttr::Essential => Shape::Line("essential".into()),
            FlowAttr::Log => Shape::Line("log".into()),
            FlowAttr::Waive(w) => Shape::Line(waive_line(w)),
        }
    }
}

impl Attribute for FirewallAttr {
    fn rank(&self) -> u8 {
        match self {
            FirewallAttr::Platform(_) => 0,
            FirewallAttr::AclBudget(..) => 1,
            FirewallAttr::Interface(_) => 2,
            FirewallAttr::Manage(_) => 3,
            FirewallAttr::Control(_) => 3,
        }
    }
    fn shape<'a>(&'a self, text: &str) -> Shape<'a> {
        Shape::Line(match self {
            FirewallAttr::Manage(b) => return Shape::Nested("manage", b),
            FirewallAttr::Control(b) => return Shape::Nested("control", b),
            FirewallAttr::Interface(i) if !i.addrs.is_empty() => {
                return Shape::List {
                    head: format!(
                        "interface {} = {} address",
                        quote(&i.name.value),
                        i.zone.text
                    ),
                    items: i.addrs.iter().map(|(_, s)| (slice(text, *s), *s)).collect(),
                    suffix: None,
                }
            }
            FirewallAttr::Platform(p) => format!("platform {}", p.as_str()),
            // One spelling (no leading zeros), except for a number too long
            // to read, which is kept as written (it is an error to `check`).
            FirewallAttr::AclBudget(n, s) if *n == u64::MAX => {
                format!("acl-budget {}", slice(text, *s))
            }
            FirewallAttr::AclBudget(n, _) => format!("acl-budget {n}"),
            FirewallAttr::Interface(i) => {
                format!("interface {} = {}", quote(&i.name.value), i.zone.text)
            }
        })
    }
}

impl Attribute for ApprovalAttr {
    fn rank(&self) -> u8 {
        match self {
            ApprovalAttr::Scope(_) => 0,
            ApprovalAttr::Requires(_) => 1,
        }
    }
    fn shape<'a>(&'a self, _: &str) -> Shape<'a> {
        match self {
            ApprovalAttr::Scope(ScopeAst::Level(op, l)) => {
                Shape::Line(format!("scope level {} {l}", op.as_str()))
            }
            ApprovalAttr::Scope(ScopeAst::Zones(z)) => idents("scope zone", z),
            ApprovalAttr::Scope(ScopeAst::Conduits(c)) => idents("scope conduit", c),
            ApprovalAttr::Scope(ScopeAst::All) => Shape::Line("scope all".into()),
            ApprovalAttr::Requires(r) => idents("requires", r),
        }
    }
}

impl Attribute for IsolationAttr {
    fn rank(&self) -> u8 {
        match self {
            IsolationAttr::Sever(_) => 0,
            IsolationAttr::Reason(_) => 1,
        }
    }
    fn shape<'a>(&'a self, _: &str) -> Shape<'a> {
        match self {
            IsolationAttr::Sever(s) => idents("sever", s),
            IsolationAttr::Reason(r) => Shape::Line(format!("reason {}", quote(&r.value))),
        }
    }
}

// ---------------------------------------------------------------------------
// Documents

/// A list item and its comments.
struct Item {
    text: String,
    /// Own-line comments right before it.
    leading: Vec<usize>,
    /// The comment on its line.
    trailing: Option<usize>,
}

/// What an attribute or declaration prints as.
enum Body {
    Line(String),
    List {
        head: String,
        items: Vec<Item>,
        suffix: Option<&'static str>,
    },
    Block(BlockDoc),
}

/// A `kw NAME { ... }` block.
struct BlockDoc {
    header: String,
    header_trailing: Option<usize>,
    attrs: Vec<AttrDoc>,
    dangling: Vec<usize>,
}

/// An attribute with its comments.
struct AttrDoc {
    rank: u8,
    /// Own-line comments before it, in source order.
    leading: Vec<usize>,
    /// Comments from inside it, moved before it.
    hoisted: Vec<usize>,
    body: Body,
    trailing: Option<usize>,
    /// Source span, for placing the comments between attributes.
    span: Span,
}

/// A top-level item: a declaration or a comment on its own.
enum Top {
    Comment(usize),
    Decl {
        start: usize,
        hoisted: Vec<usize>,
        body: Body,
        trailing: Option<usize>,
        block: bool,
    },
}

/// One output line.
struct Line {
    /// Block depth (alignment groups never cross depths).
    depth: usize,
    /// The text, indentation included, without the trailing comment.
    text: String,
    /// The trailing comment.
    comment: Option<String>,
}

pub(super) struct Printer<'t> {
    text: &'t str,
    comments: Comments<'t>,
    lines: Vec<Line>,
}

impl<'t> Printer<'t> {
    pub(super) fn new(text: &'t str, file: &File) -> Self {
        Printer {
            text,
            comments: Comments::new(text, &file.comments),
            lines: Vec::new(),
        }
    }

    /// The canonical text of `file`, and whether every comment found a place.
    pub(super) fn run(mut self, file: &File) -> (String, bool) {
        let items = self.file(file);
        self.print_top(&items);
        let ok = self.comments.all_taken();
        (self.finish(), ok)
    }

    // -----------------------------------------------------------------
    // Documents from the tree

    fn file(&mut self, f: &File) -> Vec<Top> {
        let mut decls: Vec<(usize, Top)> = Vec::new();
        for d in &f.decls {
            let (span, hoisted, body, block) = match d {
                Decl::Owner(b) => self.decl_block("owner", b),
                Decl::Zone(b) => self.decl_block("zone", b),
                Decl::Conduit(b) => self.decl_block("conduit", b),
                Decl::Firewall(b) => self.decl_block("firewall", b),
                Decl::Approval(b) => self.decl_block("approval", b),
                Decl::Isolation(b) => self.decl_block("isolation", b),
                Decl::Service(s) => {
                    let shape = service_refs(
                        format!("service {} =", s.name.text),
                        &s.refs,
                        s.remote_access.map(|_| "remote-access"),
                    );
                    let (hoisted, body) = self.shaped(shape, s.span);
                    (s.span, hoisted, body, false)
                }
            };
            decls.push((
                span.start as usize,
                Top::Decl {
                    start: span.start as usize,
                    hoisted,
                    body,
                    trailing: None,
                    block,
                },
            ));
        }
        // What is left lies between declarations: on a line of its own it
        // stands alone, else it trails the declaration that ends there.
        let rest = self.comments.take(0, self.text.len() + 1);
        let mut items: Vec<Top> = Vec::new();
        let mut decls = decls.into_iter().peekable();
        for ci in rest {
            let (at, own) = {
                let n = self.comments.get(ci);
                (n.start, n.own_line)
            };
            while let Some((_, top)) = decls.next_if(|(start, _)| *start < at) {
                items.push(top);
            }
            match items.last_mut() {
                Some(Top::Decl { trailing, .. }) if !own && trailing.is_none() => {
                    *trailing = Some(ci);
                }
                _ => items.push(Top::Comment(ci)),
            }
        }
        items.extend(decls.map(|(_, t)| t));
        items
    }

    fn decl_block<A: Attribute>(
        &mut self,
        kw: &str,
        b: &Block<A>,
    ) -> (Span, Vec<usize>, Body, bool) {
        let (hoisted, doc) = self.block(kw, b);
        (b.span, hoisted, Body::Block(doc), true)
    }

    /// A block: comments before `{` are hoisted; the body's comments go to
    /// its attributes or stay dangling at its end.
    fn block<A: Attribute>(&mut self, kw: &str, b: &Block<A>) -> (Vec<usize>, BlockDoc) {
        let start = b.span.start as usize;
        let end = b.span.end as usize;
        let lbrace = next_token(self.text, b.name.span.end as usize);
        let rbrace = end.saturating_sub(1);
        let hoisted = self.comments.take(start, lbrace);
        let mut attrs: Vec<AttrDoc> = b.attrs.iter().map(|a| self.attr(a)).collect();
        let mut header_trailing = None;
        let mut dangling = Vec::new();
        for ci in self.comments.take(lbrace + 1, rbrace) {
            let (at, own) = {
                let n = self.comments.get(ci);
                (n.start, n.own_line)
            };
            // Attributes are in source order here.
            let next = attrs.partition_point(|a| (a.span.start as usize) < at);
            if !own {
                match next.checked_sub(1).and_then(|p| attrs.get_mut(p)) {
                    Some(prev) if prev.trailing.is_none() => prev.trailing = Some(ci),
                    Some(_) => dangling.push(ci),
                    None if header_trailing.is_none() => header_trailing = Some(ci),
                    None => dangling.push(ci),
                }
            } else if let Some(a) = attrs.get_mut(next) {
                a.leading.push(ci);
            } else {
                dangling.push(ci);
            }
        }
        attrs.sort_by_key(|a| a.rank);
        (
            hoisted,
            BlockDoc {
                header: format!("{kw} {}", b.name.text),
                header_trailing,
                attrs,
                dangling,
            },
        )
    }

    fn attr<A: Attribute>(&mut self, a: &Attr<A>) -> AttrDoc {
        let (hoisted, body) = match a.value.shape(self.text) {
            Shape::Nested(kw, f) => {
                let (hoisted, doc) = self.block(kw, f);
                (hoisted, Body::Block(doc))
            }
            shape => self.shaped(shape, a.span),
        };
        AttrDoc {
            rank: a.value.rank(),
            leading: Vec::new(),
            hoisted,
            body,
            trailing: None,
            span: a.span,
        }
    }

    /// A line or list spanning `span`, with the comments inside it placed.
    fn shaped(&mut self, shape: Shape<'_>, span: Span) -> (Vec<usize>, Body) {
        let (lo, hi) = (span.start as usize, span.end as usize);
        match shape {
            Shape::List {
                head,
                items: spanned,
                suffix,
            } if !spanned.is_empty() => {
                let first = spanned.first().map_or(hi, |(_, s)| s.start as usize);
                let mut hoisted = self.comments.take(lo, first);
                let mut items: Vec<Item> = spanned
                    .iter()
                    .map(|(t, _)| Item {
                        text: t.clone(),
                        leading: Vec::new(),
                        trailing: None,
                    })
                    .collect();
                for i in 1..spanned.len() {
                    let from = spanned[i - 1].1.end as usize;
                    let to = spanned[i].1.start as usize;
                    for ci in self.comments.take(from, to) {
                        if !self.comments.get(ci).own_line && items[i - 1].trailing.is_none() {
                            items[i - 1].trailing = Some(ci);
                        } else {
                            items[i].leading.push(ci);
                        }
                    }
                }
                let last = spanned.last().map_or(lo, |(_, s)| s.end as usize);
                hoisted.extend(self.comments.take(last, hi));
                (
                    hoisted,
                    Body::List {
                        head,
                        items,
                        suffix,
                    },
                )
            }
            Shape::List { head, .. } => (self.comments.take(lo, hi), Body::Line(head)),
            Shape::Line(s) => (self.comments.take(lo, hi), Body::Line(s)),
            Shape::Nested(..) => (Vec::new(), Body::Line(String::new())),
        }
    }

    // -----------------------------------------------------------------
    // Printing

    fn note(&self, ci: Option<usize>) -> Option<String> {
        ci.map(|i| self.comments.get(i).text.clone())
    }

    fn push(&mut self, depth: usize, text: String, comment: Option<usize>) {
        let comment = self.note(comment);
        self.lines.push(Line {
            depth,
            text,
            comment,
        });
    }

    fn blank(&mut self) {
        self.lines.push(Line {
            depth: 0,
            text: String::new(),
            comment: None,
        });
    }

    fn comment_line(&mut self, depth: usize, col: usize, ci: usize) {
        let text = format!("{}{}", " ".repeat(col), self.comments.get(ci).text);
        self.lines.push(Line {
            depth,
            text,
            comment: None,
        });
    }

    /// Own-line comments, keeping a blank line where the source had one
    /// between two of them.
    fn comment_lines(&mut self, depth: usize, list: &[usize]) {
        for (k, &ci) in list.iter().enumerate() {
            if k > 0 && self.comments.blank_before(self.comments.get(ci).start) {
                self.blank();
            }
            self.comment_line(depth, 2 * depth, ci);
        }
    }

    fn print_top(&mut self, items: &[Top]) {
        // (is a declaration, is a block declaration) of the item before.
        let mut prev: Option<(bool, bool)> = None;
        for item in items {
            let (start, decl, block) = match item {
                Top::Comment(ci) => (self.comments.get(*ci).start, false, false),
                Top::Decl { start, block, .. } => (*start, true, *block),
            };
            if let Some((pdecl, pblock)) = prev {
                let gap = pblock || (pdecl && block) || self.comments.blank_before(start);
                if gap {
                    self.blank();
                }
            }
            match item {
                Top::Comment(ci) => self.comment_line(0, 0, *ci),
                Top::Decl {
                    hoisted,
                    body,
                    trailing,
                    ..
                } => {
                    for &ci in hoisted {
                        self.comment_line(0, 0, ci);
                    }
                    self.body(0, body, *trailing);
                }
            }
            prev = Some((decl, block));
        }
    }

    fn body(&mut self, depth: usize, body: &Body, trailing: Option<usize>) {
        let indent = 2 * depth;
        match body {
            Body::Line(s) => self.push(depth, format!("{}{s}", " ".repeat(indent)), trailing),
            Body::List {
                head,
                items,
                suffix,
            } => {
                let suffix = suffix.map(|s| format!(" {s}")).unwrap_or_default();
                let joined: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
                let inline = format!("{head} {}{suffix}", joined.join(", "));
                let commented = items
                    .iter()
                    .any(|i| i.trailing.is_some() || !i.leading.is_empty());
                if items.len() < 2 || (!commented && indent + inline.chars().count() <= MAX_WIDTH) {
                    self.push(depth, format!("{}{inline}", " ".repeat(indent)), trailing);
                    return;
                }
                let col = indent + head.chars().count() + 1;
                let n = items.len();
                for (k, item) in items.iter().enumerate() {
                    for &ci in &item.leading {
                        self.comment_line(depth, col, ci);
                    }
                    let last = k + 1 == n;
                    let text = if k == 0 {
                        format!("{}{head} {},", " ".repeat(indent), item.text)
                    } else if last {
                        format!("{}{}{suffix}", " ".repeat(col), item.text)
                    } else {
                        format!("{}{},", " ".repeat(col), item.text)
                    };
                    self.push(depth, text, if last { trailing } else { item.trailing });
                }
            }
            Body::Block(b) => {
                let pad = " ".repeat(indent);
                if b.attrs.is_empty() && b.dangling.is_empty() && b.header_trailing.is_none() {
                    self.push(depth, format!("{pad}{} {{}}", b.header), trailing);
                    return;
                }
                self.push(depth, format!("{pad}{} {{", b.header), b.header_trailing);
                let inner = depth + 1;
                let mut prev_flow: Option<bool> = None;
                for a in &b.attrs {
                    let flow = matches!(a.body, Body::Block(_));
                    if flow && prev_flow.is_some() {
                        self.blank();
                    }
                    self.comment_lines(inner, &a.leading);
                    for &ci in &a.hoisted {
                        self.comment_line(inner, 2 * inner, ci);
                    }
                    self.body(inner, &a.body, a.trailing);
                    prev_flow = Some(flow);
                }
                if !b.dangling.is_empty() && prev_flow == Some(true) {
                    self.blank();
                }
                self.comment_lines(inner, &b.dangling);
                self.push(depth, format!("{pad}}}"), trailing);
            }
        }
    }

    /// Aligns trailing comments over runs of consecutive lines of one depth
    /// that all carry one, and joins the lines.
    fn finish(self) -> String {
        let lines = self.lines;
        let mut out = String::new();
        let mut i = 0;
        while i < lines.len() {
            let mut j = i;
            if lines[i].comment.is_some() {
                while j + 1 < lines.len()
                    && lines[j + 1].comment.is_some()
                    && lines[j + 1].depth == lines[i].depth
                {
                    j += 1;
                }
            }
            let col = lines[i..=j]
                .iter()
                .map(|l| l.text.chars().count())
                .max()
                .unwrap_or(0)
                + COMMENT_GAP;
            for l in &lines[i..=j] {
                out.push_str(&l.text);
                if let Some(c) = &l.comment {
                    let pad = col - l.text.chars().count();
                    out.push_str(&" ".repeat(pad));
                    out.push_str(c);
                }
                out.push('\n');
            }
            i = j + 1;
        }
        out
    }
}
