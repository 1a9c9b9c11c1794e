//! A language client for tests and benchmarks: speaks JSON-RPC with
//! `Content-Length` framing to a server process over its standard input and
//! output, as an editor does. Every wait has a deadline, so a server that
//! hangs fails the caller instead of blocking it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long any one answer may take.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A running server and what it said that nobody asked for yet.
pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    next_id: i64,
    /// The last `publishDiagnostics` per URI.
    pub diagnostics: HashMap<String, Vec<Value>>,
    /// Every notification received, in order (method, params).
    pub notifications: Vec<(String, Value)>,
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The `file:` URI of a path (ASCII paths, as tests make).
pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl Client {
    /// Starts `program args` with piped standard input and output.
    pub fn spawn(program: &str, args: &[&str]) -> std::io::Result<Client> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        let stdin = child.stdin.take();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_message(&mut r) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Ok(Client {
            child,
            stdin,
            rx,
            next_id: 0,
            diagnostics: HashMap::new(),
            notifications: Vec::new(),
        })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes raw bytes to the server.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(bytes);
            let _ = stdin.flush();
        }
    }

    fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.send_raw(framed.as_bytes());
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn next(&mut self, until: Instant) -> Result<Value, String> {
        let left = until.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(v) => {
                if let Some(method) = v.get("method").and_then(Value::as_str) {
                    if v.get("id").is_none() {
                        let params = v.get("params").cloned().unwrap_or(Value::Null);
                        if method == "textDocument/publishDiagnostics" {
                            let u = params["uri"].as_str().unwrap_or("").to_string();
                            let d = params["diagnostics"]
                                .as_array()
                                .cloned()
                                .unwrap_or_default();
                            self.diagnostics.insert(u, d);
                        }
                        self.notifications.push((method.to_string(), params));
                    }
                }
                Ok(v)
            }
            Err(RecvTimeoutError::Timeout) => Err("the server did not answer in time".into()),
            Err(RecvTimeoutError::Disconnected) => Err("the server closed its output".into()),
        }
    }

    /// Sends a request and waits for its response: `Ok(result)` or
    /// `Err(error object)`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Result<Value, Value>, String> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let until = Instant::now() + DEADLINE;
        loop {
            let v = self.next(until)?;
            if v.get("id") == Some(&json!(id)) && v.get("method").is_none() {
                return Ok(match v.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
                });
            }
        }
    }

    /// Waits until the server publishes diagnostics for `uri` that satisfy
    /// `ok`, and returns them.
    pub fn wait_diagnostics(
        &mut self,
        uri: &str,
        ok: impl Fn(&[Value]) -> bool,
    ) -> Result<Vec<Value>, String> {
        let until = Instant::now() + DEADLINE;
        self.diagnostics.remove(uri);
        loop {
            if let Some(d) = self.diagnostics.get(uri) {
                if ok(d) {
                    return Ok(d.clone());
                }
                self.diagnostics.remove(uri);
            }
            self.next(until)?;
        }
    }

    /// `initialize` with `root` as the workspace folder, then `initialized`;
    /// returns the server's capabilities. `utf8` offers UTF-8 positions.
    pub fn initialize(&mut self, root: &Path, today: &str, utf8: bool) -> Result<Value, String> {
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let result = self
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": uri(root),
                    "workspaceFolders": [{ "uri": uri(root), "name": "policy" }],
                    "capabilities": { "general": { "positionEncodings": encodings } },
                    "initializationOptions": { "today": today },
                }),
            )?
            .map_err(|e| format!("initialize failed: {e}"))?;
        self.notify("initialized", json!({}));
        Ok(result)
    }

    /// `shutdown` then `exit`; the server's exit status.
    pub fn shutdown(&mut self) -> Result<ExitStatus, String> {
        self.request("shutdown", Value::Null)?
            .map_err(|e| format!("shutdown failed: {e}"))?;
        self.notify("exit", Value::Null);
        self.stdin = None;
        self.wait()
    }

    /// Closes the server's input and waits (with the deadline) for it to end.
    pub fn wait(&mut self) -> Result<ExitStatus, String> {
        self.stdin = None;
        let until = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Ok(status);
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                return Err("the server did not exit".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the server wrote to standard error (after it ended).
    pub fn stderr(&mut self) -> String {
        let mut s = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
