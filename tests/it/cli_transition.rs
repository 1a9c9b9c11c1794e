//! `conduitc build --from PREVIOUS` from the command line: what PREVIOUS
//! may be, how it is found in an old build directory, and what is refused.
//! What a transition script does on a device is proven per backend
//! (`backend_ios_transition.rs`, `backend_fortios_transition.rs`).

use std::fs;
use std::path::{Path, PathBuf};

use crate::run::{conduitc, files_of, hex_sha256};

const PLANT: &str = "examples/water-utility";
const TODAY: [&str; 2] = ["--today", "2026-12-01"];

fn build(extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["build", PLANT];
    args.extend_from_slice(&TODAY);
    args.extend_from_slice(extra);
    conduitc(&args)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_transition_for_one_device_needs_its_firewall() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old.ios");
    fs::write(&old, "! nothing\n").unwrap();
    for target in ["cisco-ios", "fortios"] {
        let (code, out, err) = build(&["--target", target, "--from", s(&old)]);
        assert_eq!(code, 2, "{target}: {err}");
        assert!(out.is_empty(), "{target}: {out}");
        assert!(err.contains("error[E818]"), "{target}: {err}");
        assert!(err.contains("needs `--firewall`"), "{target}: {err}");
    }
}

#[test]
fn nftables_output_is_its_own_transition() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old.nft");
    fs::write(&old, "table inet conduit {\n}\n").unwrap();
    let plain = build(&["--target", "nftables", "--firewall", "hq-fw"]);
    assert_eq!(plain.0, 0, "{}", plain.2);
    let from = build(&[
        "--target",
        "nftables",
        "--firewall",
        "hq-fw",
        "--from",
        s(&old),
    ]);
    assert_eq!(from, plain);
    // Without a firewall too: the generic table is replaced as a whole.
    let plain = build(&["--target", "nftables"]);
    let from = build(&["--target", "nftables", "--from", s(&old)]);
    assert_eq!(from, plain);
    // PREVIOUS is still read: a path that does not exist is an error.
    let missing = tmp.path().join("missing.nft");
    let (code, out, err) = build(&["--target", "nftables", "--from", s(&missing)]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("error[E814]"), "{err}");
}

#[test]
fn previous_that_is_not_text_is_refused_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old.ios");
    fs::write(&old, b"! ok\n! ok\nip access-list extended \xff\xfe\n").unwrap();
    let (code, out, err) = build(&[
        "--target",
        "cisco-ios",
        "--firewall",
        "north-fw",
        "--from",
        s(&old),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("error[E816]"), "{err}");
    assert!(
        err.contains("line 3 holds a byte that is not UTF-8"),
        "{err}"
    );
}

#[test]
fn a_directory_that_is_not_a_build_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("old");
    fs::create_dir(&dir).unwrap();
    let (code, out, err) = build(&[
        "--target",
        "fortios",
        "--firewall",
        "south-fw",
        "--from",
        s(&dir),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("error[E816]"), "{err}");
    assert!(err.contains("holds no manifest.json"), "{err}");
    fs::write(dir.join("manifest.json"), r#"{"generator": "other 1.0"}"#).unwrap();
    let (code, _, err) = build(&[
        "--target",
        "fortios",
        "--firewall",
        "south-fw",
        "--from",
        s(&dir),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("was not written by conduitc"), "{err}");
}

#[test]
fn out_from_takes_a_directory_and_a_refusal_leaves_dir_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("build");
    let (code, _, err) = build(&["--out", s(&dir)]);
    assert_eq!(code, 0, "{err}");
    let before = files_of(&dir);

    // A file is not an old build directory.
    let file = dir.join("north-fw.ios");
    let (code, _, err) = build(&["--out", s(&dir), "--from", s(&file)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[E816]"), "{err}");
    assert!(
        err.contains("takes the directory of an earlier build"),
        "{err}"
    );
    assert_eq!(files_of(&dir), before);

    // An old build in which a firewall had another platform.
    let old = tmp.path().join("old");
    fs::create_dir(&old).unwrap();
    let manifest = fs::read_to_string(dir.join("manifest.json")).unwrap();
    let swapped = manifest.replace("\"platform\": \"fortios\"", "\"platform\": \"cisco-ios\"");
    assert_ne!(swapped, manifest);
    fs::write(old.join("manifest.json"), swapped).unwrap();
    for (name, bytes) in &before {
        if name != "manifest.json" {
            fs::write(old.join(name), bytes).unwrap();
        }
    }
    let (code, _, err) = build(&["--out", s(&dir), "--from", s(&old)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[E816]"), "{err}");
    assert!(
        err.contains("a transition cannot take a device from one platform to another"),
        "{err}"
    );
    assert_eq!(files_of(&dir), before);
}

#[test]
fn out_from_writes_no_transition_for_nftables_or_a_new_firewall() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old");
    fs::create_dir(&old).unwrap();
    // An old build that knew only the nftables firewall.
    let (code, text, err) = build(&["--target", "nftables", "--firewall", "hq-fw"]);
    assert_eq!(code, 0, "{err}");
    fs::write(old.join("hq-fw.nft"), &text).unwrap();
    let manifest = serde_json::json!({
        "generator": "conduitc 0.1.0",
        "today": "2026-12-01",
        "isolation": null,
        "policy": { "sha256": "0", "sources": [] },
        "files": [{
            "file": "hq-fw.nft", "firewall": "hq-fw", "platform": "nftables",
            "isolation": null, "sha256": hex_sha256(text.as_bytes())
        }]
    });
    fs::write(old.join("manifest.json"), manifest.to_string()).unwrap();
    let dir = tmp.path().join("build");
    let (code, _, err) = build(&["--out", s(&dir), "--from", s(&old)]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = files_of(&dir).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "hq-fw.nft",
            "manifest.json",
            "north-fw.ios",
            "south-fw.fortios"
        ]
    );
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    for f in m["files"].as_array().unwrap() {
        assert!(f.get("from_sha256").is_none(), "{f}");
    }
}

/// `build --out BASE/NAME EXTRA...`, which must succeed; returns the directory.
fn build_dir(base: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let dir = base.join(name);
    let (code, _, err) = build(&[&["--out", s(&dir)], extra].concat());
    assert_eq!(code, 0, "{err}");
    dir
}

/// The manifest entry of `file` in `dir`.
fn manifest_entry(dir: &Path, file: &str) -> serde_json::Value {
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == file)
        .unwrap_or_else(|| panic!("{file} is not in the manifest: {m}"))
        .clone()
}

/// Applies `dir`'s transitions to devices that run `old`'s full files and
/// checks that each device then holds exactly what a fresh load of `dir`'s
/// full file holds.
fn apply_transitions(old: &Path, dir: &Path) {
    use conduitc_testkit::fortios_eval::DeviceState;
    use conduitc_testkit::ios_eval::Device;

    let read = |p: &Path| fs::read_to_string(p).unwrap();
    // cisco-ios: north-fw
    let script = read(&dir.join("north-fw.transition.ios"));
    let mut device = Device::from_build(&read(&old.join("north-fw.ios"))).unwrap();
    device
        .apply(&script)
        .unwrap_or_else(|e| panic!("the IOS device refuses the transition: {e}\n{script}"));
    let fresh = Device::from_build(&read(&dir.join("north-fw.ios"))).unwrap();
    assert_eq!(
        device.part("conduit-", true),
        fresh.part("conduit-", true),
        "{script}"
    );
    // fortios: south-fw
    let script = read(&dir.join("south-fw.transition.fortios"));
    let mut device = DeviceState::load(&read(&old.join("south-fw.fortios"))).unwrap();
    device
        .apply(&script)
        .unwrap_or_else(|e| panic!("the FortiOS device refuses the transition: {e}\n{script}"));
    let fresh = DeviceState::load(&read(&dir.join("south-fw.fortios"))).unwrap();
    assert_eq!(
        device.config().unwrap(),
        fresh.config().unwrap(),
        "{script}"
    );
}

/// The README's island procedure, as an operator runs it: build the normal
/// state, build the island switch from it, apply; then restore.
#[test]
fn the_island_switch_and_its_restore_through_the_command() {
    let tmp = tempfile::tempdir().unwrap();
    let normal = tmp.path().join("normal");
    let island = tmp.path().join("island");
    let restore = tmp.path().join("restore");
    let (code, _, err) = build(&["--out", s(&normal)]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = build(&[
        "--out",
        s(&island),
        "--isolation",
        "island-sites",
        "--from",
        s(&normal),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("north-fw.transition.ios") && err.contains("south-fw.transition.fortios"),
        "{err}"
    );
    assert!(!island.join("hq-fw.transition.nft").exists());
    for (file, old) in [
        ("north-fw.transition.ios", "north-fw.ios"),
        ("south-fw.transition.fortios", "south-fw.fortios"),
    ] {
        let entry = manifest_entry(&island, file);
        let old_bytes = fs::read(normal.join(old)).unwrap();
        assert_eq!(entry["from_sha256"], hex_sha256(&old_bytes), "{entry}");
        assert_eq!(entry["isolation"], "island-sites", "{entry}");
        let bytes = fs::read(island.join(file)).unwrap();
        assert_eq!(entry["sha256"], hex_sha256(&bytes), "{entry}");
    }
    // The cut removes what island mode severs: the FortiOS script deletes
    // policies, the IOS one replaces lists.
    let forti = fs::read_to_string(island.join("south-fw.transition.fortios")).unwrap();
    assert!(forti.contains("\n    delete "), "{forti}");
    apply_transitions(&normal, &island);

    // Restore: the normal build from the island state.
    let (code, _, err) = build(&["--out", s(&restore), "--from", s(&island)]);
    assert_eq!(code, 0, "{err}");
    apply_transitions(&island, &restore);
    // The restored full files are the normal ones.
    for f in ["north-fw.ios", "south-fw.fortios"] {
        assert_eq!(
            fs::read(restore.join(f)).unwrap(),
            fs::read(normal.join(f)).unwrap(),
            "{f}"
        );
    }

    // A transition to what the device already runs says so and does nothing.
    let again = tmp.path().join("again");
    let (code, _, err) = build(&["--out", s(&again), "--from", s(&restore)]);
    assert_eq!(code, 0, "{err}");
    let ios = fs::read_to_string(again.join("north-fw.transition.ios")).unwrap();
    assert!(
        ios.contains("! no change: the device already runs this build"),
        "{ios}"
    );
    let forti = fs::read_to_string(again.join("south-fw.transition.fortios")).unwrap();
    assert!(
        forti.contains("# no change: the device already runs this build"),
        "{forti}"
    );
    // --out DIR --from DIR: the old build is read before DIR is replaced.
    let (code, _, err) = build(&[
        "--out",
        s(&again),
        "--isolation",
        "island-sites",
        "--from",
        s(&again),
    ]);
    assert_eq!(code, 0, "{err}");
    apply_transitions(&restore, &again);
}

#[test]
fn one_firewall_from_a_file_or_a_directory_prints_the_same_script() {
    let tmp = tempfile::tempdir().unwrap();
    let normal = build_dir(tmp.path(), "normal", &[]);
    for (target, fw, file) in [
        ("cisco-ios", "north-fw", "north-fw.ios"),
        ("fortios", "south-fw", "south-fw.fortios"),
    ] {
        let island = [
            "--isolation",
            "island-sites",
            "--target",
            target,
            "--firewall",
            fw,
        ];
        let from_dir = build(&[&island[..], &["--from", s(&normal)]].concat());
        assert_eq!(from_dir.0, 0, "{}", from_dir.2);
        let path = normal.join(file);
        let from_file = build(&[&island[..], &["--from", s(&path)]].concat());
        assert_eq!(from_dir, from_file);
        assert!(from_dir.1.contains("transition"), "{}", from_dir.1);
        let plain = build(&island);
        assert_ne!(plain.1, from_dir.1);
    }
}

#[test]
fn foreign_previous_is_refused_at_its_line_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let normal = build_dir(tmp.path(), "normal", &[]);
    // A FortiOS file given for the IOS firewall, and the other way round.
    for (target, fw, foreign) in [
        ("cisco-ios", "north-fw", "south-fw.fortios"),
        ("fortios", "south-fw", "north-fw.ios"),
    ] {
        let path = normal.join(foreign);
        let (code, out, err) = build(&["--target", target, "--firewall", fw, "--from", s(&path)]);
        assert_eq!(code, 2, "{target}: {err}");
        assert!(out.is_empty(), "{target}: {out}");
        assert!(err.contains("error[E816]"), "{target}: {err}");
        // The label shows the file of PREVIOUS.
        assert!(err.contains(foreign), "{target}: {err}");
    }
    // In --out mode, a hand-edited old file refuses the whole build.
    let dir = tmp.path().join("build");
    let (code, _, err) = build(&["--out", s(&dir)]);
    assert_eq!(code, 0, "{err}");
    let before = files_of(&dir);
    let old = tmp.path().join("old");
    fs::create_dir(&old).unwrap();
    for (name, bytes) in files_of(&normal) {
        fs::write(old.join(&name), bytes).unwrap();
    }
    let ios = fs::read_to_string(old.join("north-fw.ios")).unwrap();
    let edited = ios.replacen(" permit tcp ", " permit ip ", 1);
    assert_ne!(edited, ios);
    fs::write(old.join("north-fw.ios"), edited).unwrap();
    let (code, _, err) = build(&["--out", s(&dir), "--from", s(&old)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error[E816]"), "{err}");
    assert!(err.contains("north-fw.ios"), "{err}");
    assert_eq!(files_of(&dir), before);
}
