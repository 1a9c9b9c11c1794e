//! The message loop and the state between messages.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lt;
use serde_json::{json, Value};

use crate::diag::Severity;
use crate::model::Date;
use crate::source::{FileId, Span};

use super::index::{Kind, Occurrence};
use super::text::{path_to_uri, uri_to_path, Encoding};
use super::workspace::{read_folder, Analysis};
use super::{actions, complete, hover, ServerError};

/// Everything the server remembers between messages.
pub(crate) struct Server {
    enc: Encoding,
    today: Date,
    /// Workspace folders (or, without any, the folders of open documents).
    roots: Vec<PathBuf>,
    /// The workspace's files as on disk.
    disk: BTreeMap<PathBuf, Vec<u8>>,
    /// Open documents, as the editor holds them, with their versions.
    open: BTreeMap<PathBuf, (String, Option<i64>)>,
    /// What was last published for each file: the document's version and
    /// the diagnostics. A file is published again only when either changes.
    published: BTreeMap<PathBuf, (Option<i64>, Vec<Value>)>,
    /// The analysis of the text as it was when last analysed.
    analysis: Analysis,
    /// The text changed since the last analysis.
    dirty: bool,
    /// The last analysis is not published yet.
    unpublished: bool,
    /// Set when the folders were given by the client.
    fixed_roots: bool,
}

fn proto(e: impl std::fmt::Display) -> ServerError {
    ServerError(format!("protocol error: {e}"))
}

/// Runs the server on `connection` until `exit`.
pub(crate) fn run(connection: &Connection) -> Result<(), ServerError> {
    let (id, params) = connection.initialize_start().map_err(proto)?;
    let mut server = Server::new(&params);
    let result = json!({
        "capabilities": server.capabilities(),
        "serverInfo": { "name": "conduitc", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result).map_err(proto)?;
    server.unpublished = true;
    // The connection hands messages over one at a time (a rendezvous
    // channel), so a thread moves them into a queue that can be looked at.
    let (tx, queue) = std::sync::mpsc::channel::<Message>();
    let incoming = connection.receiver.clone();
    std::thread::spawn(move || {
        for msg in incoming {
            if tx.send(msg).is_err() {
                break;
            }
        }
    });
    // Changes only mark the text as changed. The policy is checked again
    // when a request needs the analysis, or once every message that came
    // in meanwhile has been read: a burst of changes costs one check, of
    // the last text. Diagnostics go out when nothing is waiting, so they
    // are always those of the latest text.
    let mut next: Option<Message> = None;
    loop {
        let msg = match next.take() {
            Some(m) => m,
            None => match queue.recv() {
                Ok(m) => m,
                Err(_) => break,
            },
        };
        match msg {
            Message::Request(req) => {
                if req.method == "shutdown" {
                    send(
                        connection,
                        Message::Response(Response::new_ok(req.id.clone(), Value::Null)),
                    );
                    return match queue.recv_timeout(std::time::Duration::from_secs(30)) {
                        Ok(Message::Notification(n)) if n.method == "exit" => Ok(()),
                        Ok(m) => Err(proto(format!("unexpected message during shutdown: {m:?}"))),
                        Err(_) => Err(proto("no `exit` after `shutdown`")),
                    };
                }
                server.refresh();
                let resp = server.request(req);
                send(connection, Message::Response(resp));
            }
            Message::Notification(n) => server.notification(n),
            Message::Response(_) => {}
        }
        match queue.try_recv() {
            Ok(m) => next = Some(m),
            Err(_) => {
                server.refresh();
                match queue.try_recv() {
                    Ok(m) => next = Some(m),
                    Err(_) => server.publish(connection),
                }
            }
        }
    }
    Err(ServerError(
        "the client closed the connection without `shutdown` and `exit`".to_string(),
    ))
}

fn send(connection: &Connection, msg: Message) {
    // A closed channel means the client went away; the loop ends on its own.
    let _ = connection.sender.send(msg);
}

fn uri(path: &Path) -> Option<lt::Uri> {
    lt::Uri::from_str(&path_to_uri(path)).ok()
}

fn param_path(params: &Value) -> Option<PathBuf> {
    uri_to_path(params.get("textDocument")?.get("uri")?.as_str()?)
}

fn param_pos(params: &Value) -> Option<(u32, u32)> {
    let p = params.get("position")?;
    Some((
        u32::try_from(p.get("line")?.as_u64()?).ok()?,
        u32::try_from(p.get("character")?.as_u64()?).ok()?,
    ))
}

/// The keywords of the language: every `kw_*` rule of the grammar.
pub(crate) fn keywords() -> Vec<&'static str> {
    const GRAMMAR: &str = include_str!("../../grammar/conduit.pest");
    let mut v: Vec<&'static str> = GRAMMAR
        .lines()
        .filter(|l| l.starts_with("kw_"))
        .filter_map(|l| l.split('"').nth(1))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A name as the language accepts it: a letter, then letters, digits, `_`, `-`.
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Server {
    fn new(params: &Value) -> Server {
        let offers_utf8 = params
            .pointer("/capabilities/general/positionEncodings")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|e| e.as_str() == Some("utf-8")));
        let enc = if offers_utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        let today = params
            .pointer("/initializationOptions/today")
            .and_then(Value::as_str)
            .and_then(Date::parse)
            .unwrap_or_else(Date::today);
        let mut roots: Vec<PathBuf> = params
            .get("workspaceFolders")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| uri_to_path(f.get("uri")?.as_str()?))
                    .collect()
            })
            .unwrap_or_default();
        if roots.is_empty() {
            if let Some(p) = params
                .get("rootUri")
                .and_then(Value::as_str)
                .and_then(uri_to_path)
            {
                roots.push(p);
            }
        }
        let fixed_roots = !roots.is_empty();
        let mut disk = BTreeMap::new();
        for r in &roots {
            read_folder(r, &mut disk);
        }
        let analysis = Analysis::new(&disk, &roots, today, None);
        Server {
            enc,
            today,
            roots,
            disk,
            open: BTreeMap::new(),
            published: BTreeMap::new(),
            analysis,
            dirty: false,
            unpublished: false,
            fixed_roots,
        }
    }

    fn capabilities(&self) -> Value {
        json!({
            "positionEncoding": match self.enc { Encoding::Utf8 => "utf-8", Encoding::Utf16 => "utf-16" },
            "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
            "hoverProvider": true,
            "definitionProvider": true,
            "referencesProvider": true,
            "renameProvider": { "prepareProvider": true },
            "completionProvider": { "triggerCharacters": ["."] },
            "documentFormattingProvider": true,
            "codeActionProvider": { "codeActionKinds": ["quickfix"] },
        })
    }

    /// Checks the current text again if it changed since the last
    /// check. Only the files whose text changed are parsed again.
    pub(crate) fn refresh(&mut self) {
        if !self.dirty {
            return;
        }
        let mut texts = self.disk.clone();
        for (p, (t, _)) in &self.open {
            texts.insert(p.clone(), t.clone().into_bytes());
        }
        self.analysis = Analysis::new(&texts, &self.roots, self.today, Some(&mut self.analysis));
        self.dirty = false;
        self.unpublished = true;
    }

    /// Publishes the diagnostics of the last analysis: for each file whose
    /// diagnostics or document version changed since it was last published
    /// (an empty list for a file that no longer has any).
    pub(crate) fn publish(&mut self, connection: &Connection) {
        if !self.unpublished {
            return;
        }
        self.unpublished = false;
        let mut per_file: BTreeMap<PathBuf, Vec<Value>> = BTreeMap::new();
        for d in self.analysis.checked.diagnostics.iter() {
            let Some(path) = self.analysis.path(d.primary.span.file) else {
                continue;
            };
            per_file
                .entry(path.to_path_buf())
                .or_default()
                .push(self.diagnostic(d));
        }
        // Open documents always hear back, with an empty list when clean.
        for p in self.open.keys() {
            per_file.entry(p.clone()).or_default();
        }
        let cleared: Vec<PathBuf> = self
            .published
            .iter()
            .filter(|(p, (_, v))| !v.is_empty() && !per_file.contains_key(*p))
            .map(|(p, _)| p.clone())
            .collect();
        for p in cleared {
            per_file.insert(p, Vec::new());
        }
        for (path, diags) in per_file {
            let version = self.open.get(&path).and_then(|(_, v)| *v);
            let entry = (version, diags);
            if self.published.get(&path) == Some(&entry) {
                continue;
            }
            let Some(u) = uri(&path) else { continue };
            let mut params = json!({ "uri": u, "diagnostics": entry.1 });
            if let Some(v) = version {
                params["version"] = json!(v);
            }
            send(
                connection,
                Message::Notification(Notification::new(
                    "textDocument/publishDiagnostics".into(),
                    params,
                )),
            );
            self.published.insert(path, entry);
        }
    }

    fn range(&self, span: Span) -> Value {
        let ((l0, c0), (l1, c1)) = self.analysis.range(span, self.enc);
        json!({ "start": { "line": l0, "character": c0 }, "end": { "line": l1, "character": c1 } })
    }

    fn location(&self, span: Span) -> Option<Value> {
        let path = self.analysis.path(span.file)?;
        Some(json!({ "uri": uri(path)?, "range": self.range(span) }))
    }

    fn diagnostic(&self, d: &crate::diag::Diagnostic) -> Value {
        let mut message = d.message.clone();
        if !d.primary.message.is_empty() {
            message.push_str(&format!(" ({})", d.primary.message));
        }
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        let related: Vec<Value> = d
            .secondary
            .iter()
            .filter_map(|l| {
                Some(json!({
                    "location": self.location(l.span)?,
                    "message": if l.message.is_empty() { "here".to_string() } else { l.message.clone() },
                }))
            })
            .collect();
        json!({
            "range": self.range(d.primary.span),
            "severity": match d.severity() { Severity::Error => 1, Severity::Warning => 2 },
            "code": d.code.as_str(),
            "source": "conduitc",
            "message": message,
            "relatedInformation": related,
            "data": { "help": d.help, "slug": d.code.slug() },
        })
    }

    fn notification(&mut self, n: Notification) {
        let params = n.params;
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Some(path) = param_path(&params) else {
                    return;
                };
                let text = params
                    .pointer("/textDocument/text")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if !self.fixed_roots {
                    if let Some(dir) = path.parent() {
                        if !self.roots.iter().any(|r| path.starts_with(r)) {
                            self.roots.push(dir.to_path_buf());
                            read_folder(dir, &mut self.disk);
                        }
                    }
                }
                let version = params
                    .pointer("/textDocument/version")
                    .and_then(Value::as_i64);
                self.open.insert(path, (text.to_string(), version));
                self.dirty = true;
            }
            "textDocument/didChange" => {
                let Some(path) = param_path(&params) else {
                    return;
                };
                // Full-document sync: the last change holds the whole text.
                let Some(text) = params
                    .get("contentChanges")
                    .and_then(Value::as_array)
                    .and_then(|a| a.last())
                    .and_then(|c| c.get("text"))
                    .and_then(Value::as_str)
                else {
                    return;
                };
                let version = params
                    .pointer("/textDocument/version")
                    .and_then(Value::as_i64);
                self.open.insert(path, (text.to_string(), version));
                self.dirty = true;
            }
            "textDocument/didClose" => {
                let Some(path) = param_path(&params) else {
                    return;
                };
                self.open.remove(&path);
                self.reload_disk();
                self.dirty = true;
            }
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => {
                self.reload_disk();
                self.dirty = true;
            }
            _ => {}
        }
    }

    fn reload_disk(&mut self) {
        self.disk.clear();
        for r in &self.roots {
            read_folder(r, &mut self.disk);
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            "textDocument/hover" => Ok(self.hover(&req.params)),
            "textDocument/definition" => Ok(self.definition(&req.params)),
            "textDocument/references" => Ok(self.references(&req.params)),
            "textDocument/prepareRename" => self.prepare_rename(&req.params),
            "textDocument/rename" => self.rename(&req.params),
            "textDocument/completion" => Ok(self.completion(&req.params)),
            "textDocument/formatting" => self.formatting(&req.params),
            "textDocument/codeAction" => Ok(self.code_actions(&req.params)),
            other => Err((
                ErrorCode::MethodNotFound,
                format!("`{other}` is not supported"),
            )),
        };
        match result {
            Ok(v) => Response::new_ok(id, v),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    /// The file and byte offset a request points at.
    fn at(&self, params: &Value) -> Option<(FileId, usize)> {
        let path = param_path(params)?;
        let file = self.analysis.file(&path)?;
        let (line, character) = param_pos(params)?;
        Some((file, self.analysis.offset(file, line, character, self.enc)))
    }

    fn occurrence(&self, params: &Value) -> Option<&Occurrence> {
        let (file, offset) = self.at(params)?;
        self.analysis.index().at(file, offset)
    }

    fn hover(&self, params: &Value) -> Value {
        let Some(o) = self.occurrence(params) else {
            return Value::Null;
        };
        let policy = self.analysis.checked.policy.as_ref();
        match hover::hover(o.kind, &o.key, policy, &self.analysis.files) {
            Some(text) => json!({
                "contents": { "kind": "markdown", "value": text },
                "range": self.range(o.span),
            }),
            None => Value::Null,
        }
    }

    fn definition(&self, params: &Value) -> Value {
        let Some(o) = self.occurrence(params) else {
            return Value::Null;
        };
        let locs: Vec<Value> = self
            .analysis
            .index()
            .decls(o.kind, &o.key)
            .iter()
            .filter_map(|d| self.location(d.span))
            .collect();
        if locs.is_empty() {
            Value::Null
        } else {
            Value::Array(locs)
        }
    }

    fn references(&self, params: &Value) -> Value {
        let Some(o) = self.occurrence(params) else {
            return Value::Null;
        };
        let with_decl = params
            .pointer("/context/includeDeclaration")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        Value::Array(
            self.analysis
                .index()
                .all(o.kind, &o.key)
                .iter()
                .filter(|r| with_decl || !r.decl)
                .filter_map(|r| self.location(r.span))
                .collect(),
        )
    }

    fn prepare_rename(&self, params: &Value) -> Result<Value, (ErrorCode, String)> {
        let Some(o) = self.occurrence(params) else {
            return Ok(Value::Null);
        };
        if self.analysis.index().decls(o.kind, &o.key).is_empty() {
            return Err((
                ErrorCode::RequestFailed,
                format!(
                    "`{}` is not declared in the workspace (a built-in name cannot be renamed)",
                    self.analysis.sources.slice(o.span)
                ),
            ));
        }
        Ok(
            json!({ "range": self.range(o.span), "placeholder": self.analysis.sources.slice(o.span) }),
        )
    }

    fn rename(&self, params: &Value) -> Result<Value, (ErrorCode, String)> {
        let Some(o) = self.occurrence(params) else {
            return Err((
                ErrorCode::RequestFailed,
                "there is no name to rename here".to_string(),
            ));
        };
        let new = params.get("newName").and_then(Value::as_str).unwrap_or("");
        if !is_name(new) {
            return Err((
                ErrorCode::InvalidParams,
                format!(
                    "`{new}` is not a name: a name is a letter, then letters, digits, `_` and `-`"
                ),
            ));
        }
        if keywords().contains(&new) {
            return Err((
                ErrorCode::InvalidParams,
                format!("`{new}` is a keyword of the language; choose another name"),
            ));
        }
        if self.analysis.index().decls(o.kind, &o.key).is_empty() {
            return Err((
                ErrorCode::RequestFailed,
                format!(
                    "`{}` is not declared in the workspace (a built-in name cannot be renamed)",
                    self.analysis.sources.slice(o.span)
                ),
            ));
        }
        let new_key = match o.kind {
            Kind::Member => format!(
                "{}.{}",
                o.key.split('.').next().unwrap_or(""),
                new.to_ascii_lowercase()
            ),
            Kind::Flow | Kind::Local => format!(
                "{}/{}",
                o.key.split('/').next().unwrap_or(""),
                new.to_ascii_lowercase()
            ),
            _ => new.to_ascii_lowercase(),
        };
        if new_key != o.key && !self.analysis.index().decls(o.kind, &new_key).is_empty() {
            return Err((
                ErrorCode::RequestFailed,
                format!("a {} named `{new}` is already declared", o.kind.word()),
            ));
        }
        let mut changes: HashMap<String, Vec<Value>> = HashMap::new();
        for r in self.analysis.index().all(o.kind, &o.key) {
            let Some(path) = self.analysis.path(r.span.file) else {
                continue;
            };
            changes
                .entry(path_to_uri(path))
                .or_default()
                .push(json!({ "range": self.range(r.span), "newText": new }));
        }
        Ok(json!({ "changes": changes }))
    }

    fn completion(&self, params: &Value) -> Value {
        let Some((file, offset)) = self.at(params) else {
            return Value::Null;
        };
        Value::Array(complete::items(&self.analysis, file, offset))
    }

    fn formatting(&self, params: &Value) -> Result<Value, (ErrorCode, String)> {
        let Some(path) = param_path(params) else {
            return Ok(Value::Null);
        };
        let Some(file) = self.analysis.file(&path) else {
            return Ok(Value::Null);
        };
        let text = self.analysis.text(file);
        match crate::formatter::format_source(text) {
            Ok(formatted) if formatted == text => Ok(json!([])),
            Ok(formatted) => {
                let end = self.analysis.position(file, text.len(), self.enc);
                let start = self.analysis.position(file, 0, self.enc);
                Ok(json!([{
                    "range": { "start": { "line": start.0, "character": start.1 }, "end": { "line": end.0, "character": end.1 } },
                    "newText": formatted,
                }]))
            }
            Err(diags) => {
                let first = diags
                    .iter()
                    .find(|d| d.is_error())
                    .map_or_else(String::new, |d| {
                        let (line, col) =
                            self.analysis.sources.line_col(file, d.primary.span.start);
                        format!(": {line}:{col}: error[{}]: {}", d.code, d.message)
                    });
                Err((
                    ErrorCode::RequestFailed,
                    format!("the file does not parse, so it is not formatted{first}"),
                ))
            }
        }
    }

    fn code_actions(&self, params: &Value) -> Value {
        let Some(path) = param_path(params) else {
            return Value::Null;
        };
        let Some(file) = self.analysis.file(&path) else {
            return Value::Null;
        };
        let pos = |p: &str| -> Option<usize> {
            let v = params.pointer(p)?;
            let line = u32::try_from(v.get("line")?.as_u64()?).ok()?;
            let ch = u32::try_from(v.get("character")?.as_u64()?).ok()?;
            Some(self.analysis.offset(file, line, ch, self.enc))
        };
        let (Some(start), Some(end)) = (pos("/range/start"), pos("/range/end")) else {
            return Value::Null;
        };
        let mut out = Vec::new();
        for d in self.analysis.checked.diagnostics.iter() {
            let s = d.primary.span;
            if s.file != file || (s.end as usize) < start || s.start as usize > end {
                continue;
            }
            for fix in actions::fixes(&self.analysis, d) {
                let Some(u) = uri(&path) else { continue };
                let edits: Vec<Value> = fix
                    .edits
                    .iter()
                    .map(|(span, text)| json!({ "range": self.range(*span), "newText": text }))
                    .collect();
                let mut changes = serde_json::Map::new();
                changes.insert(u.as_str().to_string(), Value::Array(edits));
                out.push(json!({
                    "title": fix.title,
                    "kind": "quickfix",
                    "diagnostics": [self.diagnostic(d)],
                    "isPreferred": true,
                    "edit": { "changes": changes },
                }));
            }
        }
        Value::Array(out)
    }
}
