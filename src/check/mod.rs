//! Checking: syntax trees become a [`Policy`] plus diagnostics.
//!
//! [`check`] parses every file, and if no file has a syntax or literal
//! error, resolves and checks the declarations in this order, each stage in
//! its own module: owners and services (`services`), zones (`zones`),
//! conduits and flows (`flows`), firewalls (`firewalls`), approvals
//! (`approvals`) and isolation modes (`isolation`); then the warnings
//! (`lints`) and the waivers that accept some of them (`waive`).
//!
//! Declarations that fail a check are left out of the model, so one mistake
//! does not cascade into many; the model is returned only when there is no
//! error at all. Model vectors are in declaration order (file order, then
//! position), so ids and everything downstream are deterministic.
//!
//! Uses `source`, `syntax`, `model` and `diag`; never `lower` or `backend`.

mod approvals;
mod decls;
mod expand;
mod firewalls;
mod flows;
mod isolation;
mod lints;
mod local;
mod names;
mod services;
mod waive;
mod zones;

use std::borrow::Cow;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Date, Policy};
use crate::source::{LoadIssue, Sources, Span};
use crate::syntax::{self, ast};

use names::NameTable;

/// What checking depends on besides the text.
///
/// Built with [`CheckOptions::new`] (or [`Default`]); further options may be
/// added without a breaking change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckOptions {
    /// The date expiry is judged against (`--today`, else the current date).
    pub today: Date,
    /// The most declarations and flows the policy may have
    /// ([`Limits::declarations`](crate::limits::Limits::declarations);
    /// `E006` above it). The byte limits of `limits` are the loader's: give
    /// the same value to [`Sources::with_limits`].
    pub limits: crate::limits::Limits,
}

impl CheckOptions {
    /// Options judging expiry against `today`, with the default limits.
    pub fn new(today: Date) -> Self {
        CheckOptions {
            today,
            limits: crate::limits::Limits::default(),
        }
    }

    /// These options with `limits` (of which the checker uses the
    /// declaration count).
    ///
    /// ```
    /// use conduitc::{check, limits::Limits, CheckOptions, Code, Sources, model::Date};
    ///
    /// let text = "owner o { contact \"o@example.com\" }\nzone z { level 1 owner o networks any }\n";
    /// let opts = CheckOptions::new(Date::parse("2026-12-01").unwrap())
    ///     .with_limits(Limits::default().max_declarations(1));
    /// let checked = check(&Sources::from_memory("p.conduit", text), &opts);
    /// assert_eq!(checked.diagnostics.codes(), [Code::TooManyDeclarations]);
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: crate::limits::Limits) -> Self {
        self.limits = limits;
        self
    }
}

impl Default for CheckOptions {
    /// Judges expiry against the current date (UTC).
    fn default() -> Self {
        CheckOptions::new(Date::today())
    }
}

/// The outcome of [`check`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Checked {
    /// The checked policy; `None` exactly when there is an error.
    pub policy: Option<Policy>,
    /// Every error and warning, sorted by file, position and code.
    /// Waived warnings are not here: they are in `Policy::waivers`.
    pub diagnostics: Diagnostics,
    /// The first error, located (`file:line:column`), for [`CheckFailed`].
    first_error: Option<String>,
}

impl Checked {
    /// The outcome as a `Result`: the policy and its warnings, or a
    /// [`CheckFailed`] holding every diagnostic, so a failed check can be
    /// returned with `?`.
    ///
    /// ```
    /// use conduitc::{check, CheckOptions, Sources, model::Date};
    ///
    /// let sources = Sources::from_memory("p.conduit", "zone z { level 1 owner nobody networks 10.0.0.0/8 }");
    /// let opts = CheckOptions::new("2026-12-01".parse::<Date>().unwrap());
    /// let failed = check(&sources, &opts).into_result().unwrap_err();
    /// assert_eq!(failed.diagnostics().error_count(), 1);
    /// assert!(failed.to_string().starts_with("1 error; the first: p.conduit:1:"));
    /// ```
    pub fn into_result(self) -> Result<(Policy, Diagnostics), CheckFailed> {
        match self.policy {
            Some(policy) if !self.diagnostics.has_errors() => Ok((policy, self.diagnostics)),
            _ => Err(CheckFailed {
                first: self.first_error.unwrap_or_default(),
                diagnostics: self.diagnostics,
            }),
        }
    }
}

/// A check that found errors (from [`Checked::into_result`]).
///
/// Displays as the number of errors and the first one with its location,
/// plainly: `2 errors; the first: plant.conduit:4:9: error[E202]: unknown
/// host ...`. Every diagnostic, warnings included, is kept for rendering
/// with [`crate::diag::render`].
#[derive(Clone, Debug)]
pub struct CheckFailed {
    diagnostics: Diagnostics,
    first: String,
}

impl CheckFailed {
    /// Every diagnostic of the check, errors and warnings, sorted.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }
    /// The diagnostics, by value.
    pub fn into_diagnostics(self) -> Diagnostics {
        self.diagnostics
    }
}

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.diagnostics.error_count();
        let plural = if n == 1 { "" } else { "s" };
        write!(f, "{n} error{plural}; the first: {}", self.first)
    }
}

impl std::error::Error for CheckFailed {}

/// Where and what the first error is, in one plain line.
fn first_error(sources: &Sources, diagnostics: &Diagnostics) -> Option<String> {
    let d = diagnostics.iter().find(|d| d.is_error())?;
    let span = d.primary.span;
    let (line, col) = sources.line_col(span.file, span.start);
    let message = crate::source::escape_control(&d.message);
    Some(format!(
        "{}:{line}:{col}: error[{}]: {message}",
        crate::source::escape_control(sources.name(span.file)),
        d.code
    ))
}

/// Parses every file of `sources` without checking the policy: the
/// diagnostics an editor can show while a file is being typed (load issues,
/// syntax and literal errors, and the warnings of the lexical pass). Names,
/// references and the rest of [`check`] are not looked at.
///
/// ```
/// use conduitc::{parse, Code, Sources};
///
/// let sources = Sources::from_memory("p.conduit", "zone z { level 1 owner nobody networks 10.0.0.0/8 }");
/// assert!(parse(&sources).is_empty()); // `nobody` is unknown, but parsing does not resolve names
/// let sources = Sources::from_memory("p.conduit", "zone z { level }");
/// assert_eq!(parse(&sources).codes(), [Code::Syntax]);
/// ```
pub fn parse(sources: &Sources) -> Diagnostics {
    let (diags, _) = parse_all(sources);
    Diagnostics::new(diags)
}

/// Load issues and syntax diagnostics of every file, and the trees of the
/// files that parsed.
fn parse_all(sources: &Sources) -> (Vec<Diagnostic>, Vec<ast::File>) {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    let mut over = false;
    for (id, f) in sources.iter() {
        if f.issue().is_some() {
            diags.extend(reported_load_issue(sources, id, &mut over));
            continue;
        }
        let parsed = syntax::parse(sources, id);
        diags.extend(parsed.diagnostics);
        if let Some(file) = parsed.file {
            files.push(file);
        }
    }
    (diags, files)
}

/// Parses and checks every file of `sources` as one policy.
///
/// ```
/// use conduitc::{check, CheckOptions, Sources, model::Date};
///
/// let text = r#"
/// owner ops { contact "ops@example.com" }
/// zone plant { level 1 owner ops networks 10.1.0.0/16 host plc = 10.1.0.5 }
/// zone scada { level 2 owner ops networks 10.2.0.0/16 host master = 10.2.0.10 }
/// conduit scada-plant {
///   zones scada, plant
///   owner ops
///   flow poll { from scada.master to plant.plc service modbus reason "polling" }
/// }
/// "#;
/// let sources = Sources::from_memory("plant.conduit", text);
/// let checked = check(&sources, &CheckOptions::new(Date::parse("2026-12-01").unwrap()));
/// assert!(checked.diagnostics.is_empty());
/// let policy = checked.policy.unwrap();
/// assert_eq!(policy.conduits[0].flows[0].full_name, "scada-plant/poll");
/// ```
pub fn check(sources: &Sources, opts: &CheckOptions) -> Checked {
    let mut checked = check_parsed(sources, opts);
    checked.first_error = first_error(sources, &checked.diagnostics);
    checked
}

/// Parses and checks, owning the trees: each conduit's tree is dropped as
/// soon as it is checked (a conduit and its flows are most of a policy).
fn check_parsed(sources: &Sources, opts: &CheckOptions) -> Checked {
    let (diags, mut files) = parse_all(sources);
    let diags = match ready(sources, diags, &files, opts) {
        Ok(diags) => diags,
        Err(checked) => return checked,
    };
    let mut conduits = Vec::new();
    for f in &mut files {
        for d in f
            .decls
            .extract_if(.., |d| matches!(d, ast::Decl::Conduit(_)))
        {
            if let ast::Decl::Conduit(b) = d {
                conduits.push(b);
            }
        }
    }
    finish(diags, Checker::run(&files, conduits, opts))
}

/// [`check`] with the files already parsed, for a caller that keeps the
/// trees between checks (the language server re-parses only the files
/// that changed). `trees` are the trees of the files of `sources` that
/// parsed, in file order; `syntax` the diagnostics of parsing every file
/// without a load issue, as `syntax::parse` gave them. Load issues are
/// reported here, as [`check`] reports them.
#[cfg(feature = "lsp")]
pub(crate) fn check_trees(
    sources: &Sources,
    trees: &[ast::File],
    syntax: Vec<Diagnostic>,
    opts: &CheckOptions,
) -> Checked {
    let mut diags = Vec::new();
    let mut over = false;
    for (id, _) in sources.iter() {
        diags.extend(reported_load_issue(sources, id, &mut over));
    }
    diags.extend(syntax);
    let mut checked = match ready(sources, diags, trees, opts) {
        Ok(diags) => finish(diags, Checker::run(trees, Vec::new(), opts)),
        Err(checked) => checked,
    };
    checked.first_error = first_error(sources, &checked.diagnostics);
    checked
}

/// The diagnostics so far when the policy is ready to be checked, else
/// the outcome: a syntax error, too many declarations or no zone.
#[allow(clippy::result_large_err, reason = "the outcome is returned at once")]
fn ready(
    sources: &Sources,
    mut diags: Vec<Diagnostic>,
    files: &[ast::File],
    opts: &CheckOptions,
) -> Result<Vec<Diagnostic>, Checked> {
    if diags.iter().any(|d| d.is_error()) {
        return Err(Checked {
            policy: None,
            diagnostics: Diagnostics::new(diags),
            first_error: None,
        });
    }
    if let Some(d) = too_many_declarations(files, opts.limits.declarations()) {
        diags.push(d);
        return Err(Checked {
            policy: None,
            diagnostics: Diagnostics::new(diags),
            first_error: None,
        });
    }
    let has_zone = files
        .iter()
        .flat_map(|f| &f.decls)
        .any(|d| matches!(d, ast::Decl::Zone(_)));
    if !has_zone {
        let file = sources.ids().next().unwrap_or(crate::source::FileId::FIRST);
        diags.push(
            Diagnostic::new(Code::EmptyPolicy, Span::point(file, 0), "the policy declares no zone")
                .label("no `zone` in the policy")
                .help("point conduitc at the policy's files or directory; a policy needs at least one `zone`"),
        );
        return Err(Checked {
            policy: None,
            diagnostics: Diagnostics::new(diags),
            first_error: None,
        });
    }
    Ok(diags)
}

/// The outcome of a check given the diagnostics before it and what
/// [`Checker::run`] returned.
fn finish(mut diags: Vec<Diagnostic>, (policy, more): (Policy, Vec<Diagnostic>)) -> Checked {
    diags.extend(more);
    let policy = if diags.iter().any(|d| d.is_error()) {
        None
    } else {
        Some(policy)
    };
    Checked {
        policy,
        diagnostics: Diagnostics::new(diags),
        first_error: None,
    }
}

/// `E006` on the first declaration (or flow) past `max` (by default
/// [`MAX_DECLARATIONS`](crate::limits::MAX_DECLARATIONS)).
fn too_many_declarations(files: &[ast::File], max: usize) -> Option<Diagnostic> {
    let names = files.iter().flat_map(|f| &f.decls).flat_map(|d| {
        let (name, flows): (&ast::Ident, Vec<&ast::Ident>) = match d {
            ast::Decl::Owner(b) => (&b.name, Vec::new()),
            ast::Decl::Service(s) => (&s.name, Vec::new()),
            ast::Decl::Zone(b) => (&b.name, Vec::new()),
            ast::Decl::Conduit(b) => (
                &b.name,
                b.attrs
                    .iter()
                    .filter_map(|a| match &a.value {
                        ast::ConduitAttr::Flow(f) => Some(&f.name),
                        _ => None,
                    })
                    .collect(),
            ),
            ast::Decl::Firewall(b) => (&b.name, Vec::new()),
            ast::Decl::Approval(b) => (&b.name, Vec::new()),
            ast::Decl::Isolation(b) => (&b.name, Vec::new()),
        };
        std::iter::once(name).chain(flows)
    });
    let total = names.clone().count();
    let over = names.clone().nth(max)?;
    Some(
        Diagnostic::new(
            Code::TooManyDeclarations,
            over.span,
            format!("the policy has {total} declarations and flows, over the limit of {max}"),
        )
        .label("the first one over the limit")
        .help("merge flows that share endpoints and services, or split the policy"),
    )
}

/// The diagnostic of file `id`'s load issue, if it has one and it is
/// reported: of the files over the policy size limit only the first
/// (`over` records that it was seen).
fn reported_load_issue(
    sources: &Sources,
    id: crate::source::FileId,
    over: &mut bool,
) -> Option<Diagnostic> {
    let issue = sources.get(id)?.issue()?;
    if *issue == LoadIssue::PolicyTooLarge {
        if *over {
            return None;
        }
        *over = true;
    }
    Some(load_issue(sources, id, issue))
}

pub(crate) fn load_issue(
    sources: &Sources,
    id: crate::source::FileId,
    issue: &LoadIssue,
) -> Diagnostic {
    let text_len = sources.get(id).map_or(0, |f| f.text().len());
    match issue {
        LoadIssue::InvalidUtf8 { offset } => Diagnostic::new(
            Code::InvalidUtf8,
            Span::point(id, text_len),
            format!("the file is not valid UTF-8 (first bad byte at offset {offset})"),
        )
        .help("save the file as UTF-8"),
        LoadIssue::Nul { offset } => Diagnostic::new(
            Code::NulByte,
            Span::point(id, text_len),
            format!("the file contains a NUL byte at offset {offset}"),
        )
        .help("policy files are plain text; remove the NUL byte"),
        LoadIssue::TooLarge { size } => Diagnostic::new(
            Code::FileTooLarge,
            Span::point(id, 0),
            format!(
                "the file is {size} bytes, over the limit of {}",
                crate::limits::shown_bytes(sources.limits().file_bytes())
            ),
        )
        .help("split the policy into several files, or check that the path points at the policy"),
        LoadIssue::PolicyTooLarge => Diagnostic::new(
            Code::PolicyTooLarge,
            Span::point(id, 0),
            format!(
                "this file takes the policy over the limit of {} for all files together",
                crate::limits::shown_bytes(sources.limits().policy_bytes())
            ),
        )
        .help("check that the paths point at the policy only; this file and any after it were not read"),
        LoadIssue::EmptyDirectory => Diagnostic::new(
            Code::EmptyPolicy,
            Span::point(id, 0),
            format!("no `.conduit` file in directory `{}`", sources.name(id)),
        )
        .help("point conduitc at the directory that holds the policy"),
        LoadIssue::LinkOutsideDirectory { target, directory } => Diagnostic::new(
            Code::LinkOutsideDirectory,
            Span::point(id, 0),
            format!(
                "`{}` is a symbolic link to `{}`, outside the directory `{}`; it was not read",
                sources.name(id),
                target.to_string_lossy(),
                directory.to_string_lossy()
            ),
        )
        .help("replace the link with the file, or name the file on the command line if it belongs to the policy"),
        LoadIssue::SpecialFile { kind } => Diagnostic::new(
            Code::SpecialFile,
            Span::point(id, 0),
            format!("`{}` is {kind}, not a regular file; it was not read", sources.name(id)),
        )
        .help("remove it from the policy directory, or replace it with a regular file"),
    }
}

/// Everything the stages share: options, diagnostics, name tables and the
/// model as it is built.
pub(crate) struct Checker<'a> {
    pub(crate) today: Date,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) policy: Policy,
    pub(crate) owners: NameTable,
    pub(crate) services: services::Services<'a>,
    pub(crate) zones: NameTable,
    /// Per model zone: its hosts and groups (one namespace).
    pub(crate) members: Vec<NameTable>,
    /// Per model zone: its declaration.
    pub(crate) zone_decls: Vec<&'a ast::Block<ast::ZoneAttr>>,
    pub(crate) conduits: NameTable,
    /// Per model conduit: what the later stages need of its declaration
    /// and of its flows'.
    pub(crate) conduit_decls: Vec<decls::ConduitDecl>,
    /// Warnings before waivers, with the conduit (and flow) that may waive them.
    pub(crate) warnings: Vec<(Diagnostic, usize, Option<usize>)>,
    /// The flows' expanded sets, shared and counted.
    pub(crate) expansion: expand::Expansion,
    /// Set once a flow takes the expansion over its limit (`E012`).
    pub(crate) expanded_too_far: bool,
    /// The addresses of each host named by an endpoint, by (zone, host),
    /// built once and shared by every flow that names it.
    pub(crate) host_addrs: std::collections::HashMap<
        (usize, usize),
        crate::model::AddrSet,
        foldhash::fast::RandomState,
    >,
    /// Every waiver code and reason recorded so far, each text once.
    pub(crate) texts: std::collections::HashSet<crate::model::Text, foldhash::fast::RandomState>,
}

impl<'a> Checker<'a> {
    /// Checks the declarations of `files` and the conduits `owned` (taken
    /// out of the files, in declaration order, and dropped one by one as
    /// they are checked); the conduits are those of `files` when `owned`
    /// is empty.
    fn run(
        files: &'a [ast::File],
        owned: Vec<ast::Block<ast::ConduitAttr>>,
        opts: &CheckOptions,
    ) -> (Policy, Vec<Diagnostic>) {
        let mut c = Checker {
            today: opts.today,
            diags: Vec::new(),
            policy: Policy::default(),
            owners: NameTable::new("owner"),
            services: services::Services::default(),
            zones: NameTable::new("zone"),
            members: Vec::new(),
            zone_decls: Vec::new(),
            conduits: NameTable::new("conduit"),
            conduit_decls: Vec::new(),
            warnings: Vec::new(),
            expansion: expand::Expansion::default(),
            expanded_too_far: false,
            host_addrs: std::collections::HashMap::default(),
            texts: std::collections::HashSet::default(),
        };
        let decls: Vec<&'a ast::Decl> = files.iter().flat_map(|f| &f.decls).collect();
        let of = |want: fn(&'a ast::Decl) -> bool| decls.iter().copied().filter(move |d| want(d));
        c.owners_stage(of(|d| matches!(d, ast::Decl::Owner(_))));
        c.services_stage(of(|d| matches!(d, ast::Decl::Service(_))));
        c.zones_stage(of(|d| matches!(d, ast::Decl::Zone(_))));
        let in_files = decls.iter().filter_map(|d| match d {
            ast::Decl::Conduit(b) => Some(Cow::Borrowed(b)),
            _ => None,
        });
        c.conduits_stage(in_files.chain(owned.into_iter().map(Cow::Owned)));
        if c.expanded_too_far {
            return (c.policy, c.diags);
        }
        c.firewalls_stage(of(|d| matches!(d, ast::Decl::Firewall(_))));
        c.approvals_stage(of(|d| matches!(d, ast::Decl::Approval(_))));
        c.isolations_stage(of(|d| matches!(d, ast::Decl::Isolation(_))));
        c.lints_stage();
        c.waive_stage();
        (c.policy, c.diags)
    }

    fn owners_stage(&mut self, decls: impl Iterator<Item = &'a ast::Decl>) {
        for d in decls {
            let ast::Decl::Owner(b) = d else { continue };
            let what = format!("owner `{}`", b.name.text);
            let idx = self.policy.owners.len();
            if !self.owners.declare(&b.name, idx, &mut self.diags) {
                continue;
            }
            let display_name =
                names::single(b, &what, "name", false, &mut self.diags, |a| match a {
                    ast::OwnerAttr::Name(s) => Some(s.value.clone()),
                    _ => None,
                })
                .map(|(v, _)| v);
            let contact = names::single(b, &what, "contact", true, &mut self.diags, |a| match a {
                ast::OwnerAttr::Contact(s) => Some(s.value.clone()),
                _ => None,
            })
            .map(|(v, _)| v)
            .unwrap_or_default();
            self.policy.owners.push(crate::model::Owner {
                name: crate::model::Name::from(&b.name.text),
                display_name: display_name.map(String::from),
                contact: contact.to_string(),
            });
        }
    }

    /// `s` as shared text: the same [`Text`](crate::model::Text) for every
    /// equal string (waiver codes and reasons repeat across flows).
    pub(crate) fn text(&mut self, s: &str) -> crate::model::Text {
        if let Some(t) = self.texts.get(s) {
            return t.clone();
        }
        let t = crate::model::Text::from(s);
        self.texts.insert(t.clone());
        t
    }

    /// Resolves an owner reference to its declared spelling.
    pub(crate) fn owner_ref(&mut self, id: &ast::Ident) -> Option<crate::model::Name> {
        let idx = self.owners.resolve(id, &mut self.diags)?;
        // The owner's model name, shared rather than copied.
        match self.policy.owners.get(idx) {
            Some(o) if o.name.is(&id.text) => Some(o.name.clone()),
            _ => self.owners.spelled(&id.text).map(crate::model::Name::new),
        }
    }
}
