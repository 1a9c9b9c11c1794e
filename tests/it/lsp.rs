//! `conduitc lsp` driven as an editor drives it: the real binary, spoken to
//! over standard input and output with `Content-Length` framing, on a copy
//! of the bundled water-utility example. Every answer has a deadline
//! (`lsp_client::DEADLINE`), so a hang fails the test.

use std::path::{Path, PathBuf};

use conduitc_testkit::lsp_client::{uri, Client};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_conduitc");
const TODAY: &str = "2026-12-01";

/// A copy of examples/water-utility in a fresh directory.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("water-utility");
    std::fs::create_dir(&root).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/water-utility");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), root.join(e.file_name())).unwrap();
    }
    (dir, root)
}

fn start(root: &Path, utf8: bool) -> Client {
    let mut c = Client::spawn(BIN, &["lsp"]).unwrap();
    let init = c.initialize(root, TODAY, utf8).unwrap();
    let caps = &init["capabilities"];
    assert_eq!(caps["hoverProvider"], json!(true));
    assert_eq!(
        caps["positionEncoding"],
        json!(if utf8 { "utf-8" } else { "utf-16" })
    );
    c
}

fn open(c: &mut Client, path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(path), "languageId": "conduit", "version": 1, "text": text } }),
    );
    text
}

fn change(c: &mut Client, path: &Path, version: i32, text: &str) {
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri(path), "version": version },
            "contentChanges": [{ "text": text }],
        }),
    );
}

/// The (line, UTF-16 character) of the `nth` occurrence of `needle` in
/// `text`, plus `skip` bytes.
fn pos(text: &str, needle: &str, nth: usize, skip: usize) -> Value {
    let at = text.match_indices(needle).nth(nth).unwrap().0 + skip;
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let character = text[line_start..at].encode_utf16().count();
    json!({ "line": line, "character": character })
}

fn at(path: &Path, position: Value) -> Value {
    json!({ "textDocument": { "uri": uri(path) }, "position": position })
}

fn ok(c: &mut Client, method: &str, params: Value) -> Value {
    c.request(method, params)
        .unwrap()
        .unwrap_or_else(|e| panic!("{method} failed: {e}"))
}

fn hover_text(c: &mut Client, path: &Path, position: Value) -> String {
    let h = ok(c, "textDocument/hover", at(path, position));
    h["contents"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no hover: {h}"))
        .to_string()
}

#[test]
fn an_editor_session_on_the_water_utility_example() {
    let (_dir, root) = workspace();
    let mut c = start(&root, false);
    let conduits = root.join("conduits.conduit");
    let hq = root.join("hq.conduit");
    let text = open(&mut c, &conduits);
    open(&mut c, &hq);

    // Hover: a declared service, a built-in one, a zone, a flow, a host.
    let h = hover_text(&mut c, &conduits, pos(&text, "service wsus", 0, 9));
    assert!(
        h.contains("**service** `wsus`") && h.contains("tcp/8530"),
        "{h}"
    );
    let h = hover_text(&mut c, &conduits, pos(&text, "service https", 0, 9));
    assert!(
        h.contains("built-in service") && h.contains("tcp/443"),
        "{h}"
    );
    let h = hover_text(
        &mut c,
        &conduits,
        pos(&text, "zones enterprise, idmz", 0, 19),
    );
    for want in [
        "**zone** `idmz`",
        "level: 3.5",
        "owner: `it-sec`",
        "10.110.0.0/24",
        "`enterprise-idmz`",
    ] {
        assert!(h.contains(want), "zone hover lacks {want}: {h}");
    }
    let h = hover_text(&mut c, &conduits, pos(&text, "flow wsus-sync", 0, 6));
    for want in [
        "enterprise-idmz/wsus-sync",
        "10.110.0.30",
        "10.100.8.20",
        "8530",
        "owner: `it-sec`",
        "expires: never",
    ] {
        assert!(h.contains(want), "flow hover lacks {want}: {h}");
    }

    // Definition of `jump` in `to idmz.jump` is the host in hq.conduit.
    let hq_text = std::fs::read_to_string(&hq).unwrap();
    let d = ok(
        &mut c,
        "textDocument/definition",
        at(&conduits, pos(&text, "idmz.jump", 0, 6)),
    );
    assert_eq!(d[0]["uri"], json!(uri(&hq)));
    assert_eq!(d[0]["range"]["start"], pos(&hq_text, "host jump", 0, 5));

    // References of zone `idmz`: its declaration, the conduits, the firewall.
    let r = ok(
        &mut c,
        "textDocument/references",
        json!({ "textDocument": { "uri": uri(&conduits) }, "position": pos(&text, "zones enterprise, idmz", 0, 19), "context": { "includeDeclaration": true } }),
    );
    let files: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap())
        .collect();
    assert_eq!(files[0], uri(&hq), "the declaration comes first");
    assert!(files.contains(&uri(&root.join("firewalls.conduit")).as_str()));
    assert!(files.iter().filter(|f| **f == uri(&conduits)).count() >= 3);

    // Rename `wsus` across files; keywords and invalid names are refused.
    let e = ok(
        &mut c,
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri(&conduits) }, "position": pos(&text, "service wsus", 0, 9), "newName": "wsus-ports" }),
    );
    let changes = e["changes"].as_object().unwrap();
    assert_eq!(
        changes[&uri(&root.join("services.conduit"))]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(changes[&uri(&conduits)][0]["newText"], json!("wsus-ports"));
    for bad in ["zone", "1st", "a b"] {
        let r = c
            .request(
                "textDocument/rename",
                json!({ "textDocument": { "uri": uri(&conduits) }, "position": pos(&text, "service wsus", 0, 9), "newName": bad }),
            )
            .unwrap();
        assert!(r.is_err(), "renaming to `{bad}` must be refused");
    }
    let r = c
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri(&conduits) }, "position": pos(&text, "service https", 0, 9), "newName": "web" }),
        )
        .unwrap();
    assert!(r.is_err(), "a built-in service cannot be renamed");

    // Completion: members after `zone.`, and names, keywords, catalogue services.
    let edited = text.replacen("to idmz.jump", "to idmz.", 1);
    change(&mut c, &conduits, 2, &edited);
    let items = ok(
        &mut c,
        "textDocument/completion",
        at(&conduits, pos(&edited, "to idmz.", 0, 8)),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    for want in ["jump", "patch", "hist-mirror"] {
        assert!(labels.contains(&want), "{labels:?}");
    }
    assert!(!labels.contains(&"flow"));
    let items = ok(
        &mut c,
        "textDocument/completion",
        at(&conduits, pos(&edited, "service https", 0, 8)),
    );
    let all = items.as_array().unwrap();
    let find = |l: &str| all.iter().find(|i| i["label"] == json!(l)).cloned();
    assert_eq!(find("modbus").unwrap()["detail"], json!("tcp/502"));
    // After `service` only services: declared and built in, no keyword, no zone.
    assert!(find("wsus").is_some());
    assert!(
        find("flow").is_none() && find("ops-center").is_none(),
        "{labels:?}"
    );

    // An error as it is typed: diagnostics with code, range and help, and a
    // quick fix that applies the suggestion; fixing it clears the file.
    let typo = text.replacen("service wsus\n", "service wsuss\n", 1);
    change(&mut c, &conduits, 3, &typo);
    // Diagnostics of an earlier, half-typed version may still arrive first.
    let diags = c
        .wait_diagnostics(&uri(&conduits), |d| d.iter().any(|x| x["code"] == "E202"))
        .unwrap();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], json!("E202"));
    assert_eq!(diags[0]["severity"], json!(1));
    assert_eq!(diags[0]["range"]["start"], pos(&typo, "wsuss", 0, 0));
    assert_eq!(diags[0]["range"]["end"], pos(&typo, "wsuss", 0, 5));
    assert!(diags[0]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `wsus`?"));
    let actions = ok(
        &mut c,
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri(&conduits) }, "range": diags[0]["range"], "context": { "diagnostics": diags } }),
    );
    let fix = &actions[0];
    assert_eq!(fix["kind"], json!("quickfix"));
    let edit = &fix["edit"]["changes"][uri(&conduits)][0];
    assert_eq!(edit["newText"], json!("wsus"));
    assert_eq!(edit["range"], diags[0]["range"]);
    change(&mut c, &conduits, 4, &text);
    c.wait_diagnostics(&uri(&conduits), <[Value]>::is_empty)
        .unwrap();

    // A flow without `reason`: the quick fix adds one.
    let no_reason = text.replacen(
        "    reason \"DMZ WSUS replica syncs approved updates from the corporate WSUS\"\n",
        "",
        1,
    );
    change(&mut c, &conduits, 5, &no_reason);
    let diags = c
        .wait_diagnostics(&uri(&conduits), |d| !d.is_empty())
        .unwrap();
    assert_eq!(diags[0]["code"], json!("E111"));
    let actions = ok(
        &mut c,
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri(&conduits) }, "range": diags[0]["range"], "context": { "diagnostics": diags } }),
    );
    let edit = &actions[0]["edit"]["changes"][uri(&conduits)][0];
    assert!(
        edit["newText"]
            .as_str()
            .unwrap()
            .starts_with("\n    reason \""),
        "{edit}"
    );
    assert_eq!(
        edit["range"]["start"],
        pos(&no_reason, "flow wsus-sync {", 0, 16)
    );

    // An error in one file that another file causes: renaming the zone in
    // hq.conduit breaks references in the other files, which get diagnostics.
    let hq_broken = hq_text.replacen("zone idmz {", "zone dmz {", 1);
    change(&mut c, &conduits, 6, &text);
    change(&mut c, &hq, 2, &hq_broken);
    let diags = c
        .wait_diagnostics(&uri(&root.join("firewalls.conduit")), |d| !d.is_empty())
        .unwrap();
    assert!(
        diags.iter().all(|d| d["code"] == json!("E202")),
        "{diags:?}"
    );
    change(&mut c, &hq, 3, &hq_text);
    c.wait_diagnostics(&uri(&root.join("firewalls.conduit")), <[Value]>::is_empty)
        .unwrap();

    // Formatting gives the canonical layout.
    let messy = "zone   tank {level 1 owner scada-eng\nnetworks 10.9.0.0/24}\n";
    let extra = root.join("tank.conduit");
    std::fs::write(&extra, messy).unwrap();
    open(&mut c, &extra);
    let edits = ok(
        &mut c,
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri(&extra) }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(
        edits[0]["newText"],
        json!("zone tank {\n  level 1\n  owner scada-eng\n  networks 10.9.0.0/24\n}\n")
    );
    assert_eq!(
        edits[0]["range"]["end"],
        json!({ "line": 2, "character": 0 })
    );
    change(&mut c, &extra, 2, "zone tank {");
    let r = c
        .request("textDocument/formatting", json!({ "textDocument": { "uri": uri(&extra) }, "options": { "tabSize": 2, "insertSpaces": true } }))
        .unwrap();
    let err = r.unwrap_err();
    assert!(err["message"].as_str().unwrap().contains("E101"), "{err}");

    assert!(c.shutdown().unwrap().success());
}

/// A line with a non-ASCII reason before the error: the range counts UTF-16
/// code units by default and bytes when the client asks for UTF-8.
#[test]
fn positions_after_non_ascii_text_follow_the_negotiated_encoding() {
    for utf8 in [false, true] {
        let (_dir, root) = workspace();
        let mut c = start(&root, utf8);
        let path = root.join("extra.conduit");
        let text = "conduit idmz-extra { zones idmz, ops-services owner it-sec\n  \
                    flow f { reason \"Pumpe Süd 😀\" from idmz to nowhere service https }\n}\n";
        std::fs::write(&path, text).unwrap();
        open(&mut c, &path);
        let diags = c.wait_diagnostics(&uri(&path), |d| !d.is_empty()).unwrap();
        let d = diags.iter().find(|d| d["code"] == json!("E202")).unwrap();
        let line = text.lines().nth(1).unwrap();
        let byte = line.find("nowhere").unwrap();
        let want = if utf8 {
            byte
        } else {
            line[..byte].encode_utf16().count()
        };
        assert_ne!(byte, line[..byte].encode_utf16().count());
        assert_eq!(d["range"]["start"], json!({ "line": 1, "character": want }));
        // And back: a hover at that position finds the name `idmz` after
        // `from`, counted the same way.
        let from = line.find("from idmz").unwrap() + 5;
        let ch = if utf8 {
            from
        } else {
            line[..from].encode_utf16().count()
        };
        let h = ok(
            &mut c,
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri(&path) }, "position": { "line": 1, "character": ch } }),
        );
        assert!(
            h["contents"]["value"]
                .as_str()
                .unwrap()
                .contains("**zone** `idmz`"),
            "{h}"
        );
        assert!(c.shutdown().unwrap().success());
    }
}

#[test]
fn a_client_that_breaks_the_protocol_gets_e870_and_exit_status_2() {
    let mut c = Client::spawn(BIN, &["lsp"]).unwrap();
    c.notify("textDocument/didOpen", json!({}));
    let status = c.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    let err = c.stderr();
    assert!(err.contains("E870"), "{err}");
}

#[test]
fn a_client_that_goes_away_without_shutdown_gets_e870() {
    let (_dir, root) = workspace();
    let mut c = start(&root, false);
    let status = c.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    let err = c.stderr();
    assert!(
        err.contains("E870") && err.contains("without `shutdown`"),
        "{err}"
    );
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

fn complete(c: &mut Client, path: &Path, position: Value) -> Vec<String> {
    labels(&ok(c, "textDocument/completion", at(path, position)))
}

#[test]
fn manage_and_control_entries_approvals_and_completion_by_context() {
    let (_dir, root) = workspace();
    let mut c = start(&root, false);
    let fws = root.join("firewalls.conduit");
    let original = open(&mut c, &fws);
    // A control entry beside hq-fw's manage entry.
    let text = original.replacen(
        "  manage admin {",
        "  control routing {\n    from north-hmi\n    service ospf\n    owner it-sec\n    reason \"OSPF from the North Hill router\"\n    expires 2027-06-30\n  }\n\n  manage admin {",
        1,
    );
    change(&mut c, &fws, 2, &text);
    let diags = c.wait_diagnostics(&uri(&fws), |_| true).unwrap();
    assert!(diags.iter().all(|d| d["severity"] != json!(1)), "{diags:?}");

    // Hover on an entry: sources, services, the firewall's own addresses
    // facing the sources, owner, expiry.
    let h = hover_text(&mut c, &fws, pos(&text, "manage admin", 1, 7));
    for want in [
        "**manage entry** `north-fw/admin`",
        "ops-center.eng-ws",
        "10.121.0.30",
        "10.121.0.211",
        "GigabitEthernet0/0.121",
        "tcp/22",
        "owner: `north-ops`",
        "expires: never",
        "Engineers administer the North Hill router from HQ",
    ] {
        assert!(h.contains(want), "entry hover lacks {want}: {h}");
    }
    assert!(
        !h.contains("10.201.1.1"),
        "only the interfaces facing the sources: {h}"
    );
    let h = hover_text(&mut c, &fws, pos(&text, "control routing", 0, 8));
    for want in [
        "**control entry** `hq-fw/routing`",
        "ip/89",
        "expires: 2027-06-30",
    ] {
        assert!(h.contains(want), "entry hover lacks {want}: {h}");
    }

    // Definition of a host named in an entry; references of an owner
    // include the entry's `owner`.
    let hq = root.join("hq.conduit");
    let hq_text = std::fs::read_to_string(&hq).unwrap();
    let d = ok(
        &mut c,
        "textDocument/definition",
        at(&fws, pos(&text, "ops-center.eng-ws", 0, 11)),
    );
    assert_eq!(d[0]["uri"], json!(uri(&hq)));
    assert_eq!(d[0]["range"]["start"], pos(&hq_text, "host eng-ws", 0, 5));
    let r = ok(
        &mut c,
        "textDocument/references",
        json!({ "textDocument": { "uri": uri(&fws) }, "position": pos(&text, "owner north-ops", 0, 6), "context": { "includeDeclaration": false } }),
    );
    let in_fws: Vec<&Value> = r
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["uri"] == json!(uri(&fws)))
        .collect();
    assert_eq!(in_fws.len(), 1, "{r}");
    assert_eq!(
        in_fws[0]["range"]["start"],
        pos(&text, "owner north-ops", 0, 6)
    );
    let d = ok(
        &mut c,
        "textDocument/definition",
        at(&fws, pos(&text, "service ospf", 0, 9)),
    );
    assert!(d.is_null(), "a built-in service has no declaration: {d}");

    // Rename one firewall's entry: the other firewalls' `admin` stay.
    let e = ok(
        &mut c,
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri(&fws) }, "position": pos(&text, "manage admin", 1, 7), "newName": "router-admin" }),
    );
    let edits = e["changes"][uri(&fws)].as_array().unwrap();
    assert_eq!(edits.len(), 1, "{e}");
    assert_eq!(edits[0]["range"]["start"], pos(&text, "manage admin", 1, 7));
    let r = c
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri(&fws) }, "position": pos(&text, "manage admin", 1, 7), "newName": "router-admin" }),
        )
        .unwrap();
    assert!(r.is_ok());
    // The name of another entry of the same firewall is taken.
    let r = c
        .request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": uri(&fws) }, "position": pos(&text, "manage admin", 0, 7), "newName": "routing" }),
        )
        .unwrap();
    assert!(r.is_err(), "`routing` is hq-fw's control entry");

    // Approvals: scope and what they require.
    let ap = root.join("approvals.conduit");
    let ap_text = open(&mut c, &ap);
    let h = hover_text(&mut c, &ap, pos(&ap_text, "approval control-systems", 0, 9));
    for want in [
        "**approval** `control-systems`",
        "scope: zones of level <= 3:",
        "`north-control`",
        "requires: `scada-eng`",
    ] {
        assert!(h.contains(want), "approval hover lacks {want}: {h}");
    }
    assert!(
        !h.contains("`enterprise`"),
        "enterprise is above level 3: {h}"
    );
    let h = hover_text(
        &mut c,
        &ap,
        pos(&ap_text, "approval remote-engineering", 0, 9),
    );
    for want in [
        "scope: conduits `idmz-ops-center`, `idmz-north-hmi`, `idmz-south-hmi`",
        "requires: `scada-eng`, `it-sec`",
    ] {
        assert!(h.contains(want), "approval hover lacks {want}: {h}");
    }

    // Completion by context.
    let zones = ["enterprise", "idmz", "ops-center", "north-hmi"];
    let typed = text.replacen(
        "    from ops-center.eng-ws\n    service ssh, snmp",
        "    from \n    service ssh, snmp",
        1,
    );
    change(&mut c, &fws, 3, &typed);
    let l = complete(&mut c, &fws, pos(&typed, "    from \n", 0, 9));
    for want in zones {
        assert!(l.contains(&want.to_string()), "{l:?}");
    }
    assert!(
        !l.iter().any(|x| x == "ssh" || x == "from" || x == "it-sec"),
        "{l:?}"
    );
    let typed = text.replacen("    service ssh, snmp", "    service ssh, ", 1);
    change(&mut c, &fws, 4, &typed);
    let l = complete(&mut c, &fws, pos(&typed, "    service ssh, ", 0, 17));
    assert!(
        l.contains(&"snmp".to_string()) && l.contains(&"wsus".to_string()),
        "{l:?}"
    );
    assert!(!l.iter().any(|x| x == "idmz" || x == "reason"), "{l:?}");
    // At the head of a statement in an entry: the entry's keywords only.
    let typed = text.replacen("    owner north-ops\n", "    owner north-ops\n    \n", 1);
    change(&mut c, &fws, 5, &typed);
    let mut l = complete(
        &mut c,
        &fws,
        pos(&typed, "    owner north-ops\n    \n", 0, 24),
    );
    l.sort();
    assert_eq!(
        l,
        ["expires", "from", "log", "owner", "reason", "service", "waive"]
    );
    let l = complete(&mut c, &fws, pos(&typed, "owner north-ops", 0, 6));
    assert!(
        l.contains(&"north-ops".to_string()) && l.contains(&"it-sec".to_string()),
        "{l:?}"
    );
    assert!(!l.iter().any(|x| x == "idmz" || x == "ssh"), "{l:?}");
    let mut l = complete(&mut c, &fws, pos(&typed, "platform cisco-ios", 0, 9));
    l.sort();
    assert_eq!(l, ["cisco-ios", "fortios", "nftables"]);
    // A firewall's statements, and the top level's declarations.
    let mut l = complete(&mut c, &fws, pos(&typed, "  platform cisco-ios", 0, 2));
    l.sort();
    assert_eq!(
        l,
        ["acl-budget", "control", "interface", "manage", "platform"]
    );
    let mut l = complete(&mut c, &fws, pos(&typed, "firewall north-fw", 0, 0));
    l.sort();
    assert_eq!(
        l,
        [
            "approval",
            "conduit",
            "firewall",
            "isolation",
            "owner",
            "service",
            "zone"
        ]
    );
    let l = complete(&mut c, &fws, pos(&typed, "= north-hmi address", 0, 2));
    assert!(
        l.contains(&"north-hmi".to_string()) && !l.contains(&"admin".to_string()),
        "{l:?}"
    );
    let l = complete(&mut c, &ap, pos(&ap_text, "requires north-ops", 0, 9));
    assert!(
        l.contains(&"north-ops".to_string()) && !l.contains(&"north-hmi".to_string()),
        "{l:?}"
    );
    let l = complete(
        &mut c,
        &ap,
        pos(&ap_text, "idmz-north-hmi, idmz-south-hmi", 0, 16),
    );
    assert!(
        l.contains(&"idmz-south-hmi".to_string()) && !l.contains(&"idmz".to_string()),
        "{l:?}"
    );

    assert!(c.shutdown().unwrap().success());
}

/// A policy of two zones and `flows` flows between them.
fn big_policy(flows: usize) -> String {
    let mut s = String::from(
        "owner ops { contact \"ops@example.com\" }\n\
         zone a { level 2 owner ops networks 10.1.0.0/16 host h = 10.1.0.1 }\n\
         zone b { level 1 owner ops networks 10.2.0.0/16 host h = 10.2.0.1 }\n\
         conduit a-b {\n  zones a, b\n  owner ops\n",
    );
    for f in 0..flows {
        s.push_str(&format!(
            "  flow f{f} {{\n    from a.h\n    to b.h\n    service tcp/{}\n    reason \"flow {f}\"\n  }}\n",
            10000 + f % 50000,
        ));
    }
    s.push_str("}\n");
    s
}

fn small(owner: &str) -> String {
    format!("zone c {{\n  level 3\n  owner {owner}\n  networks 10.3.0.0/16\n}}\n")
}

/// Notifications framed and written to the server at once.
fn notify_all(c: &mut Client, messages: &[(&str, Value)]) {
    let mut out = Vec::new();
    for (method, params) in messages {
        let body = json!({ "jsonrpc": "2.0", "method": method, "params": params }).to_string();
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }
    c.send_raw(&out);
}

fn change_params(path: &Path, version: i32, text: &str) -> Value {
    json!({
        "textDocument": { "uri": uri(path), "version": version },
        "contentChanges": [{ "text": text }],
    })
}

#[test]
fn a_burst_of_changes_is_checked_once_and_published_for_the_last_version() {
    // A large file and a small one, both open.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.conduit");
    let big_text = big_policy(5000);
    std::fs::write(&big, &big_text).unwrap();
    let path = dir.path().join("small.conduit");
    std::fs::write(&path, small("ops")).unwrap();
    let mut c = start(dir.path(), false);
    for (p, t) in [(&big, &big_text), (&path, &small("ops"))] {
        c.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri(p), "languageId": "conduit", "version": 1, "text": t } }),
        );
    }
    let diags = c.wait_diagnostics(&uri(&path), |_| true).unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    // At once: an edit of the big file, which takes a while to parse and
    // check, then twenty edits of the small one, each naming an unknown
    // owner of its own. They arrive while the first is checked, and are
    // checked together: only the last text's diagnostics go out.
    let seen = c.notifications.len();
    let big_edited = format!("{big_text}# edited\n");
    let mut burst = vec![(
        "textDocument/didChange",
        change_params(&big, 2, &big_edited),
    )];
    for v in 2..=21 {
        burst.push((
            "textDocument/didChange",
            change_params(&path, v, &small(&format!("nobody{v}"))),
        ));
    }
    notify_all(&mut c, &burst);
    let diags = c
        .wait_diagnostics(&uri(&path), |d| {
            d.iter()
                .any(|d| d["message"].as_str().unwrap_or("").contains("nobody21"))
        })
        .unwrap();
    assert_eq!(diags.len(), 1, "{diags:?}");
    let published: Vec<(String, Value)> = c.notifications[seen..]
        .iter()
        .filter(|(m, _)| m == "textDocument/publishDiagnostics")
        .map(|(_, p)| (p["uri"].as_str().unwrap().to_string(), p["version"].clone()))
        .collect();
    // Each open document once, for its last version.
    assert_eq!(
        published,
        [(uri(&big), json!(2)), (uri(&path), json!(21))],
        "only the last versions are published"
    );
    // A hover right after a change answers on the changed text.
    change(&mut c, &path, 22, &small("OPS"));
    let h = hover_text(&mut c, &path, pos(&small("OPS"), "OPS", 0, 1));
    assert!(h.contains("**owner** `ops`"), "{h}");
    let diags = c.wait_diagnostics(&uri(&path), |_| true).unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    assert!(c.shutdown().unwrap().success());
}
