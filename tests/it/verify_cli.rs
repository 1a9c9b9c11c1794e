//! `conduitc verify` run as a user runs it: the real binary, real files,
//! and on the real kernel, the ruleset `nft list ruleset` prints after a
//! build was loaded into a namespace and edited by hand with `nft`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use conduitc_testkit::netns::Netns;

const BIN: &str = env!("CARGO_BIN_EXE_conduitc");

fn conduitc(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // A command that fails before reading its input closes the pipe.
    match input.write_all(stdin.unwrap_or("").as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.unwrap(),
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Writes the sample-like plant policy into `dir` and returns its path.
fn plant(dir: &std::path::Path) -> String {
    let path = dir.join("plant.conduit");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/bottling-plant.conduit"
        ),
        &path,
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

const TODAY: &str = "2026-12-01";

fn build(policy: &str) -> String {
    let out = conduitc(
        &[
            "build",
            policy,
            "--target",
            "nftables",
            "--firewall",
            "ot-core-fw",
            "--today",
            TODAY,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn verify(policy: &str, config: &str, extra: &[&str], stdin: Option<&str>) -> Output {
    let mut args = vec![
        "verify",
        policy,
        "--target",
        "nftables",
        "--config",
        config,
        "--firewall",
        "ot-core-fw",
        "--today",
        TODAY,
    ];
    args.extend_from_slice(extra);
    conduitc(&args, stdin)
}

#[test]
fn the_build_itself_verifies_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let policy = plant(dir.path());
    let config = dir.path().join("device.nft");
    std::fs::write(&config, build(&policy)).unwrap();
    let out = verify(&policy, config.to_str().unwrap(), &[], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stdout),
        "the device admits exactly what the policy allows\n"
    );
    let out = verify(&policy, "-", &["--format", "json"], Some(&build(&policy)));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["matches"], true);
    assert_eq!(j["admitted_not_declared"].as_array().unwrap().len(), 0);
}

#[test]
fn a_removed_rule_is_declared_but_not_admitted_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let policy = plant(dir.path());
    let built = build(&policy);
    let gone = built
        .lines()
        .find(|l| l.contains("comment \"site-ops-supervisory/control-room-logs\""))
        .unwrap();
    let edited = built.replacen(&format!("{gone}\n"), "", 1);
    let out = verify(&policy, "-", &[], Some(&edited));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.starts_with("declared but not admitted (1):\n"),
        "{report}"
    );
    assert!(report.contains("  udp/514\n"), "{report}");
    assert!(
        report.contains("declared by site-ops-supervisory/control-room-logs"),
        "{report}"
    );
    assert!(report.contains("blocked by line "), "{report}");
    assert!(
        report.contains("counter drop comment \"conduit default deny\""),
        "{report}"
    );
    assert!(!report.contains("admitted but not declared"), "{report}");
}

#[test]
fn an_unreadable_configuration_exits_2_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let policy = plant(dir.path());
    let config = dir.path().join("device.nft");
    let mut built = build(&policy);
    built = built.replacen(
        "ct state invalid drop",
        "ct state invalid drop\n\t\tmeta mark 0x2a accept",
        1,
    );
    let line = built.lines().position(|l| l.contains("meta mark")).unwrap() + 1;
    std::fs::write(&config, &built).unwrap();
    let out = verify(&policy, config.to_str().unwrap(), &[], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("error[E841]"), "{err}");
    assert!(
        err.contains(&format!(
            "at line {line}: `meta` is a statement or match verify does not read"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{line} │ \t\tmeta mark 0x2a accept"))
            || err.contains("meta mark 0x2a accept"),
        "{err}"
    );

    let out = verify(
        &policy,
        dir.path().join("missing.nft").to_str().unwrap(),
        &[],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("error[E840]"),
        "{}",
        text(&out.stderr)
    );

    let out = conduitc(
        &[
            "verify", &policy, "--target", "junos", "--config", "-", "--today", TODAY,
        ],
        Some("set firewall family inet\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E842]") && err.contains("junos"),
        "{err}"
    );
}

#[test]
fn on_the_kernel_a_hand_added_ssh_accept_is_drift_naming_tcp_22() {
    let dir = tempfile::tempdir().unwrap();
    let policy = plant(dir.path());
    let ns = Netns::new("verify");
    ns.nft_stdin(&[], &build(&policy)).unwrap();
    let listed = ns.sh(&["nft", "list", "ruleset"]);
    let out = verify(&policy, "-", &[], Some(&listed));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}\n{listed}",
        text(&out.stdout),
        text(&out.stderr)
    );

    // Appended after the default deny, it is never reached.
    ns.sh(&[
        "nft", "add", "rule", "inet", "conduit", "forward", "tcp", "dport", "23", "accept",
    ]);
    let listed = ns.sh(&["nft", "list", "ruleset"]);
    assert!(listed.contains("tcp dport 23 accept"));
    let out = verify(&policy, "-", &[], Some(&listed));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // Inserted first, it admits SSH everywhere.
    ns.sh(&[
        "nft", "insert", "rule", "inet", "conduit", "forward", "tcp", "dport", "22", "accept",
    ]);
    let listed = ns.sh(&["nft", "list", "ruleset"]);
    let line = listed
        .lines()
        .position(|l| l.trim() == "tcp dport 22 accept")
        .unwrap()
        + 1;
    let out = verify(&policy, "-", &[], Some(&listed));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let report = text(&out.stdout);
    assert!(
        report.starts_with("admitted but not declared ("),
        "{report}"
    );
    assert!(
        report.lines().any(|l| l.starts_with("  tcp/22")),
        "{report}"
    );
    assert!(
        report.contains(&format!("line {line}: tcp dport 22 accept")),
        "{report}"
    );
    // Nothing declared is blocked.
    assert!(!report.contains("declared but not admitted"), "{report}");

    // The same ruleset as `nft -j list ruleset` prints it: the rule is
    // named by its object and handle.
    let json = ns.sh(&["nft", "-j", "list", "ruleset"]);
    let out = verify(&policy, "-", &["--format", "json"], Some(&json));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = j["admitted_not_declared"].as_array().unwrap();
    assert!(!found.is_empty());
    for f in found {
        assert_eq!(f["services"], serde_json::json!(["tcp/22"]), "{f}");
        let rule = f["device_rules"][0]["text"].as_str().unwrap();
        assert!(rule.starts_with("tcp dport 22 accept # handle "), "{rule}");
    }
    assert!(j["declared_not_admitted"].as_array().unwrap().is_empty());
    let broken = json.replacen("\"accept\": null", "\"queue\": null", 1);
    let out = verify(&policy, "-", &[], Some(&broken));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E841]")
            && err.contains("of its `nftables` array: statement `queue` is not supported"),
        "{err}"
    );

    // The same rule in another table, before the conduit chain, adds
    // nothing: the conduit chain still drops.
    ns.sh(&["nft", "delete", "table", "inet", "conduit"]);
    ns.nft_stdin(&[], &build(&policy)).unwrap();
    ns.nft_stdin(
        &[],
        "table ip ops {\n\tchain ops_forward {\n\t\ttype filter hook forward priority filter - 5; policy accept;\n\t\ttcp dport 22 accept\n\t}\n}\n",
    )
    .unwrap();
    let listed = ns.sh(&["nft", "list", "ruleset"]);
    let out = verify(&policy, "-", &["--format", "json"], Some(&listed));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}\n{listed}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Builds the plant's firewall `fw` for `target` (`extra`: more flags).
fn build_for(policy: &str, target: &str, fw: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "build",
        policy,
        "--target",
        target,
        "--firewall",
        fw,
        "--today",
        TODAY,
    ];
    args.extend_from_slice(extra);
    let out = conduitc(&args, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn verify_as(policy: &str, target: &str, fw: &str, config: &str, format: &str) -> Output {
    conduitc(
        &[
            "verify",
            policy,
            "--target",
            target,
            "--firewall",
            fw,
            "--config",
            "-",
            "--today",
            TODAY,
            "--format",
            format,
        ],
        Some(config),
    )
}

#[test]
fn an_ios_router_running_its_build_verifies_and_an_added_entry_is_drift() {
    let dir = tempfile::tempdir().unwrap();
    let policy = plant(dir.path());
    for extra in [&[][..], &["--ios-flat"][..]] {
        let built = build_for(&policy, "cisco-ios", "cell-router", extra);
        let out = verify_as(&policy, "cisco-ios", "cell-router", &built, "text");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            "the device admits exactly what the policy allows\n"
        );
    }
    let built = build_for(&policy, "cisco-ios", "cell-router", &[]);
    // An operator's entry at the head of the supervisory list, in a running
    // configuration's abbreviations and noise.
    let head = built
        .lines()
        .position(|l| l.starts_with("ip access-list extended conduit-supervisory-in-"))
        .unwrap();
    let mut lines: Vec<String> = built.lines().map(str::to_string).collect();
    lines.insert(head + 1, " 5 permit tcp any any eq 22".into());
    let edited = format!(
        "hostname cell\n!\nline vty 0 4\n transport input ssh\n!\n{}",
        lines
            .join("\n")
            .replace("interface GigabitEthernet0/0", "interface Gi0/0")
    );
    let line = head + 2 + 5;
    let out = verify_as(&policy, "cisco-ios", "cell-router", &edited, "text");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.starts_with("admitted but not declared ("),
        "{report}"
    );
    assert!(
        report.lines().any(|l| l.starts_with("  tcp/22")),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "admitted by line {line}: 5 permit tcp any any eq 22"
        )),
        "{report}"
    );
    assert!(
        report.contains("interface Gi0/0: ip access-group conduit-supervisory-in-"),
        "{report}"
    );
    assert!(!report.contains("declared but not admitted"), "{report}");
    let out = verify_as(&policy, "cisco-ios", "cell-router", &edited, "json");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["matches"], false);
    let added = json["admitted_not_declared"].as_array().unwrap();
    assert!(!added.is_empty());
    for f in added {
        assert_eq!(f["services"][0], "tcp/22");
        assert_eq!(f["device_rules"][0]["line"], line);
        assert!(f.get("reply").is_none(), "{f}");
    }
}

#[test]
fn ios_and_fortios_configurations_that_cannot_be_judged_exit_2_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let policy = plant(dir.path());
    let out = verify_as(
        &policy,
        "cisco-ios",
        "cell-router",
        "hostname r\nip access-list extended x\n 10 permit tcp any any eq 22 time-range work\n",
        "text",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E843]") && err.contains("at line 3"),
        "{err}"
    );
    assert!(err.contains("time-range"), "{err}");
    assert!(out.stdout.is_empty());
    let out = verify_as(
        &policy,
        "cisco-ios",
        "cell-router",
        "ip access-list extended x\n 10 permit tcp any any eq 22 frobnicate\n",
        "text",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E841]") && err.contains("at line 2"),
        "{err}"
    );
    let out = verify_as(
        &policy,
        "fortios",
        "plant-edge-fw",
        "config firewall policy\n    edit 1\n        set srcintf \"port1\"\n        set dstintf \"port2\"\n        set srcaddr \"all\"\n        set dstaddr \"all\"\n        set service \"ALL\"\n        set dstaddr-negate enable\n    next\nend\n",
        "text",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E843]") && err.contains("at line 8"),
        "{err}"
    );
    let out = conduitc(
        &[
            "verify",
            &policy,
            "--target",
            "cisco-ios",
            "--config",
            "-",
            "--today",
            TODAY,
        ],
        Some("hostname r\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("error[E844]"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_fortigate_backup_verifies_and_a_moved_policy_is_drift_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let policy = plant(dir.path());
    let built = build_for(&policy, "fortios", "plant-edge-fw", &[]);
    let out = verify_as(&policy, "fortios", "plant-edge-fw", &built, "text");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The first policy now comes in on the vendor tunnel.
    let first = built
        .lines()
        .position(|l| l.trim_start().starts_with("set srcintf "))
        .unwrap();
    let edit_line = (0..first)
        .rev()
        .find(|&i| {
            built
                .lines()
                .nth(i)
                .unwrap()
                .trim_start()
                .starts_with("edit ")
        })
        .unwrap()
        + 1;
    let mut lines: Vec<String> = built.lines().map(str::to_string).collect();
    lines[first] = "        set srcintf \"vendor-s2s\"".into();
    let edited = format!(
        "#config-version=FGT60F-7.2.5-FW-build1517-230606:opmode=0:vdom=0:user=admin\nconfig system global\n    set hostname \"edge\"\nend\n{}\n",
        lines.join("\n")
    );
    let edit_line = edit_line + 4;
    let out = verify_as(&policy, "fortios", "plant-edge-fw", &edited, "text");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("admitted but not declared ("), "{report}");
    assert!(report.contains("declared but not admitted ("), "{report}");
    assert!(
        report.contains(&format!("admitted by line {edit_line}: edit ")),
        "{report}"
    );
    assert!(report.contains("interfaces vendor-s2s -> "), "{report}");
    assert!(report.contains("blocked by line "), "{report}");
    assert!(
        report.contains("implicit deny (no policy matches)"),
        "{report}"
    );
}

/// The JSON report of `verify` on `config` for firewall `fw`.
fn json_of(policy: &str, target: &str, fw: &str, config: &str) -> (i32, serde_json::Value) {
    let out = verify_as(policy, target, fw, config, "json");
    let code = out.status.code().unwrap_or(-1);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    (code, doc)
}

fn all_to(doc: &serde_json::Value, list: &str, fw: &str) -> bool {
    let found = doc[list].as_array().unwrap();
    !found.is_empty() && found.iter().all(|f| f["to_firewall"] == fw)
}

#[test]
fn management_drift_is_judged_and_marked_as_traffic_to_the_firewall_on_every_target() {
    let dir = tempfile::tempdir().unwrap();
    let policy = plant(dir.path());

    // nftables: the input chain opened to everything.
    let built = build(&policy);
    let opened = built
        .replace(
            "hook input priority filter; policy drop;",
            "hook input priority filter; policy accept;",
        )
        .replace("counter drop comment \"conduit input default deny\"", "");
    let out = verify(&policy, "-", &[], Some(&opened));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.starts_with("admitted but not declared ("),
        "{report}"
    );
    assert!(
        report.contains("    addressed to the firewall ot-core-fw itself\n"),
        "{report}"
    );
    assert!(!report.contains("declared but not admitted"), "{report}");
    let (code, doc) = json_of(&policy, "nftables", "ot-core-fw", &opened);
    assert_eq!(code, 1);
    assert_eq!(doc["to_firewall_judged"], true);
    assert!(all_to(&doc, "admitted_not_declared", "ot-core-fw"), "{doc}");

    // Cisco IOS: BGP to the router from anywhere at the head of a list
    // (SSH from anywhere would still meet the vty access class).
    let built = build_for(&policy, "cisco-ios", "cell-router", &[]);
    let head = built
        .lines()
        .position(|l| l.starts_with("ip access-list extended conduit-supervisory-in-"))
        .unwrap();
    let mut lines: Vec<&str> = built.lines().collect();
    lines.insert(head + 1, " 5 permit tcp any host 10.20.0.2 eq 179");
    let edited = lines.join("\n") + "\n";
    let (code, doc) = json_of(&policy, "cisco-ios", "cell-router", &edited);
    assert_eq!(code, 1, "{doc}");
    assert!(
        all_to(&doc, "admitted_not_declared", "cell-router"),
        "{doc}"
    );
    for f in doc["admitted_not_declared"].as_array().unwrap() {
        assert_eq!(f["services"], serde_json::json!(["tcp/179"]), "{f}");
        assert_eq!(
            f["dst"]["addrs"],
            serde_json::json!(["10.20.0.2/32"]),
            "{f}"
        );
        assert_eq!(f["device_rules"][0]["line"], head + 2);
        assert_eq!(f["interfaces"][0][0], "GigabitEthernet0/0");
        assert_eq!(f["interfaces"][0][1], "*");
    }
    assert!(doc["declared_not_admitted"].as_array().unwrap().is_empty());

    // FortiOS: the deny of everything else removed from both local-in
    // tables; what no local-in policy matches is taken as admitted.
    let built = build_for(&policy, "fortios", "plant-edge-fw", &[]);
    let without_deny = drop_edits(
        &built,
        "set comments \"conduitc: nothing else to the device itself\"",
    );
    let (code, doc) = json_of(&policy, "fortios", "plant-edge-fw", &without_deny);
    assert_eq!(code, 1, "{doc}");
    assert!(
        all_to(&doc, "admitted_not_declared", "plant-edge-fw"),
        "{doc}"
    );
    for f in doc["admitted_not_declared"].as_array().unwrap() {
        let rule = f["device_rules"][0]["text"].as_str().unwrap();
        assert!(rule.starts_with("no local-in policy matches"), "{f}");
    }

    // FortiOS: the declared administration removed: a lockout, declared by
    // the entry and blocked by the deny-all.
    let locked = drop_edits(&built, "set comments \"plant-edge-fw/admin");
    let (code, doc) = json_of(&policy, "fortios", "plant-edge-fw", &locked);
    assert_eq!(code, 1, "{doc}");
    assert!(
        doc["admitted_not_declared"].as_array().unwrap().is_empty(),
        "{doc}"
    );
    assert!(
        all_to(&doc, "declared_not_admitted", "plant-edge-fw"),
        "{doc}"
    );
    for f in doc["declared_not_admitted"].as_array().unwrap() {
        assert_eq!(
            f["flows"],
            serde_json::json!(["plant-edge-fw/admin"]),
            "{f}"
        );
        let rule = f["device_rules"][0]["text"].as_str().unwrap();
        assert!(rule.starts_with("local-in-policy"), "{f}");
        assert!(rule.contains(" edit "), "{f}");
    }
    let out = verify_as(&policy, "fortios", "plant-edge-fw", &locked, "text");
    let report = text(&out.stdout);
    assert!(
        report.contains("    declared by plant-edge-fw/admin\n"),
        "{report}"
    );
    assert!(report.contains("    arriving on port2\n"), "{report}");
}

/// The FortiOS configuration without the `edit` blocks whose body has a
/// line starting with `marker` (after indentation).
fn drop_edits(text: &str, marker: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_start().starts_with("edit ") {
            let end = i + lines[i..].iter().position(|l| l.trim() == "next").unwrap();
            if lines[i..end]
                .iter()
                .any(|l| l.trim_start().starts_with(marker))
            {
                i = end + 1;
                continue;
            }
        }
        out.push(lines[i]);
        i += 1;
    }
    assert_ne!(out.len(), lines.len(), "no edit with {marker}");
    out.join("\n") + "\n"
}

#[test]
fn without_entries_traffic_to_the_firewall_is_left_out_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let policy = plant(dir.path());
    // The OT core firewall without its manage and control entries.
    let source = std::fs::read_to_string(&policy).unwrap();
    let start = source.find("firewall ot-core-fw {").unwrap();
    let from = start + source[start..].find("  manage admin {").unwrap();
    let end = start + source[start..].find("\n}\n").unwrap();
    let stripped = format!("{}{}", &source[..from], &source[end + 1..]);
    std::fs::write(&policy, stripped).unwrap();
    let built = build(&policy);
    assert!(!built.contains("hook input"), "{built}");
    // An input chain that admits everything is not drift: the policy does
    // not govern traffic to the device.
    let with_input = built.replacen(
        "table inet conduit {\n",
        "table inet conduit {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n",
        1,
    );
    for config in [&built, &with_input] {
        let out = verify(&policy, "-", &[], Some(config));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            "the device admits exactly what the policy allows\nnote: traffic to the firewall itself is not governed by the policy and not compared: it declares no manage or control entry for ot-core-fw\n"
        );
        let out = verify(&policy, "-", &["--format", "json"], Some(config));
        assert_eq!(out.status.code(), Some(0));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["to_firewall_judged"], false);
        assert_eq!(doc["matches"], true);
    }
}
