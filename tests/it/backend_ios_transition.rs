//! Cisco IOS transitions (`build --from PREVIOUS`,
//! `backend::emit_transition`), proven on a model of the device that
//! configuration is applied to (`conduitc_testkit::ios_eval::Device`: list
//! re-entry with sequence numbers, `no` forms, interface bindings, groups
//! in use), independently of the library's reader of PREVIOUS.
//!
//! For random pairs of policies that share a firewall, for isolation
//! switches and version changes on the realistic plants, in both forms and
//! across a change of form:
//! 1. the device that ran the old build, after the transition, decides
//!    every probe packet (initiations, replies, fragments) on every
//!    interface of either build exactly as a device loaded fresh with the
//!    new build, and holds exactly its lists, groups and bindings;
//! 2. after every single line of the transition, what each interface admits
//!    is within what the old or the new build admits;
//! 3. operator lists, groups and bindings survive byte for byte;
//! 4. PREVIOUS as the device's running configuration (with its noise)
//!    gives the same result as the build file;
//! 5. a second transition from the result is a no-change script.
//!
//! Pasting each full build over the previous one, as 0.1 required, leaves
//! mismatching packets; the transitions leave none.
//!
//! The random policies (`gen::policy_spec`) give the firewall
//! interface addresses and `manage`/`control` entries about half the time, so old and new builds
//! carry router-bound blocks (or not), and the probes include packets to
//! every own address of either policy.

use std::path::Path;

use conduitc::backend::{
    self, emit_string_with, emit_transition_string, EmitError, EmitOptions, Target,
};
use conduitc::lower::{lower, BuildOptions, RuleSet};
use conduitc::{check, CheckOptions, Code, Policy, Sources};
use proptest::prelude::*;

use conduitc_testkit::gen;
use conduitc_testkit::ios_eval::{admits, Config, Device};
use conduitc_testkit::wire::{self, Wire};
use conduitc_testkit::writers::Count;

use crate::backend_ios::shapes;
use crate::backend_ios_manage::with_packets_to_device;

fn form(flat: bool) -> EmitOptions {
    EmitOptions::new().ios_flat(flat)
}

fn build(rs: &RuleSet, flat: bool) -> String {
    emit_string_with(rs, Target::CiscoIos, &form(flat)).unwrap()
}

fn transition(rs: &RuleSet, flat: bool, previous: &str) -> Result<String, EmitError> {
    emit_transition_string(rs, Target::CiscoIos, &form(flat), previous)
}

fn load(rel: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let sources = Sources::load(&[path]).unwrap();
    let checked = check(&sources, &CheckOptions::new(gen::today()));
    checked.policy.expect("the example checks")
}

/// Every probe: for each packet, its initiation and the shapes a stateless
/// list must also get right (replies, mid-connection packets, fragments).
fn probes(p: &Policy, packets: &[conduitc::Packet]) -> Vec<Wire> {
    let eph = wire::ephemeral_port(p);
    let mut out = Vec::new();
    for pkt in packets {
        out.push(Wire::initiation(pkt, eph));
        out.extend(shapes(pkt, eph));
    }
    out.retain(Wire::same_family);
    out
}

/// What each interface of `keys` decides on each probe.
fn decisions(cfg: &Config, keys: &[String], probes: &[Wire]) -> Vec<(bool, Option<String>)> {
    keys.iter()
        .flat_map(|k| probes.iter().map(move |w| admits(cfg, k, w)))
        .collect()
}

/// The lists the interfaces of `keys` apply, entry by entry: what decides
/// their packets.
fn bound_signature(cfg: &Config, keys: &[String]) -> String {
    let mut s = String::new();
    for k in keys {
        let b = cfg.interfaces.get(k);
        for name in b.iter().flat_map(|b| [&b.v4_in, &b.v6_in]) {
            match name.as_ref().and_then(|n| cfg.acls.get(n)) {
                Some(acl) => s.push_str(&format!("{:?};", acl.entries)),
                None => s.push_str("none;"),
            }
        }
        s.push('|');
    }
    s
}

/// The interfaces either build binds.
fn build_keys(builds: &[&Device]) -> Vec<String> {
    let mut keys: Vec<String> = builds.iter().flat_map(|d| d.iface_keys()).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// What applying `script` to `old` did: the packets (probe x interface)
/// decided unlike a fresh load of `new_text`, out of how many, and the
/// device afterwards.
struct Outcome {
    mismatches: usize,
    compared: usize,
    after: Device,
}

/// Applies the transition `script` to `old` (which ran `old_text`, maybe
/// with operator configuration around it) and checks points 1-3 of the
/// module docs; `Err` describes the first failure.
fn run_transition(
    old: &Device,
    old_text: &str,
    new_text: &str,
    script: &str,
    probes: &[Wire],
) -> Result<Outcome, String> {
    let new = Device::from_build(new_text)?;
    let keys = build_keys(&[&Device::from_build(old_text)?, &new]);
    let before = decisions(&old.config()?, &keys, probes);
    let want = decisions(&new.config()?, &keys, probes);
    let mut dev = old.clone();
    let mut last = bound_signature(&dev.config()?, &keys);
    for (i, line) in script.lines().enumerate() {
        dev.apply_line(line)
            .map_err(|e| format!("the device refuses line {} `{line}`: {e}\n{script}", i + 1))?;
        let cfg = dev.config()?;
        let sig = bound_signature(&cfg, &keys);
        if sig == last {
            continue;
        }
        last = sig;
        let now = decisions(&cfg, &keys, probes);
        for (j, d) in now.iter().enumerate() {
            if d.0 && !before[j].0 && !want[j].0 {
                let (k, w) = (&keys[j / probes.len()], &probes[j % probes.len()]);
                return Err(format!(
                    "after line {} `{line}`, {k} admits {w:?}, which neither the old nor the new build admits\n{script}",
                    i + 1
                ));
            }
        }
    }
    let got = decisions(&dev.config()?, &keys, probes);
    let mismatches = got.iter().zip(&want).filter(|(g, w)| g != w).count();
    let owned = |d: &Device| d.part("conduit-", true);
    let others = |d: &Device| d.part("conduit-", false);
    if mismatches == 0 && owned(&dev) != owned(&new) {
        return Err(format!(
            "the device does not hold exactly the new build's objects:\n{:#?}\nwant\n{:#?}\n{script}",
            owned(&dev),
            owned(&new)
        ));
    }
    if others(&dev) != others(old) {
        return Err(format!(
            "the transition touched operator configuration\n{script}"
        ));
    }
    Ok(Outcome {
        mismatches,
        compared: got.len(),
        after: dev,
    })
}

/// The old way: paste the full new build over the old one, the terminal
/// going on after each refused line; returns the mismatching packets and
/// the packets compared.
fn paste_over(old_text: &str, new_text: &str, probes: &[Wire]) -> (usize, usize) {
    let mut dev = Device::from_build(old_text).unwrap();
    let new = Device::from_build(new_text).unwrap();
    let keys = build_keys(&[&dev, &new]);
    dev.paste(new_text);
    let got = decisions(&dev.config().unwrap(), &keys, probes);
    let want = decisions(&new.config().unwrap(), &keys, probes);
    let n = got.iter().zip(&want).filter(|(g, w)| g != w).count();
    (n, got.len())
}

/// `text` as 0.1 wrote it: list names without their content hash.
fn unversioned(text: &str) -> String {
    let strip = |t: &str| -> String {
        if let Some((head, h)) = t.rsplit_once('-') {
            if t.starts_with("conduit-")
                && (head.ends_with("-in") || head.ends_with("-in6"))
                && h.len() == 8
                && h.chars().all(|c| c.is_ascii_hexdigit())
            {
                return head.to_string();
            }
        }
        t.to_string()
    };
    text.lines()
        .map(|l| l.split(' ').map(strip).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Configuration an operator keeps beside conduitc's: a management list on
/// an interface of no firewall, an egress list on a firewall interface,
/// an object group and an IPv6 list.
fn operator_config(fw_iface: &str) -> String {
    format!(
        "object-group network MGMT-HOSTS\n host 192.0.2.10\n 192.0.2.128 255.255.255.192\nexit\n\
         ip access-list extended MGMT-IN\n remark management\n 10 permit tcp object-group MGMT-HOSTS any eq 22\n 20 deny ip any any log\nexit\n\
         ip access-list extended EGRESS\n 10 permit ip any any\nexit\n\
         ipv6 access-list MGMT6\n sequence 10 permit ipv6 any any\nexit\n\
         interface GigabitEthernet9/9\n ip access-group MGMT-IN in\n ipv6 traffic-filter MGMT6 in\nexit\n\
         interface {fw_iface}\n ip access-group EGRESS out\nexit\n"
    )
}

/// The script holds configuration lines (not only comments).
fn changes(script: &str) -> usize {
    script.lines().filter(|l| !l.starts_with('!')).count()
}

/// Proves the transition from `old_text` (what the device `old` runs) to
/// the build of `new_rs` (`new_text`, in form `flat`), from the build file
/// and from the running configuration, and that a second transition
/// changes nothing. Returns the mismatching packets and the packets
/// compared.
fn prove(
    old: &Device,
    previous: &str,
    old_text: &str,
    new_rs: &RuleSet,
    flat: bool,
    probes: &[Wire],
) -> Result<(usize, usize), String> {
    let new_text = build(new_rs, flat);
    let script = transition(new_rs, flat, previous).map_err(|e| e.to_string())?;
    let out = run_transition(old, old_text, &new_text, &script, probes)?;
    // The same from the device's running configuration, with its noise.
    let running = old.running_config();
    let from_running = Device::from_running_config(&running)?;
    if from_running.config()?.signature() != old.config()?.signature() {
        return Err("the running configuration does not render the device".into());
    }
    let script2 = transition(new_rs, flat, &running).map_err(|e| format!("{e}\n{running}"))?;
    if script2 != script {
        return Err(format!(
            "from the running configuration:\n{script2}\nfrom the build file:\n{script}"
        ));
    }
    // Again from the result: nothing to do.
    let again = transition(new_rs, flat, &out.after.running_config()).map_err(|e| e.to_string())?;
    if changes(&again) != 0
        || !again.contains("\n! no change: the device already runs this build\n")
    {
        return Err(format!("a second transition is not empty:\n{again}"));
    }
    Ok((out.mismatches, out.compared))
}

fn opts(firewall: &str, isolation: Option<&str>) -> BuildOptions {
    BuildOptions::new(gen::today())
        .firewall(firewall)
        .with_isolation(isolation.map(str::to_string))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn transitions_between_random_policies_are_exact_and_never_widen(
        a in gen::policy_spec(),
        b in gen::policy_spec(),
        pkts in gen::packet_specs(24),
        iso in (any::<bool>(), any::<bool>()),
        flat in (any::<bool>(), any::<bool>()),
        operator in any::<bool>(),
    ) {
        let (pa, pb) = (a.to_policy(), b.to_policy());
        let iso_of = |on: bool| if on { Some("island") } else { None };
        let ra = lower(&pa, &opts("fw", iso_of(iso.0))).unwrap();
        let rb = lower(&pb, &opts("fw", iso_of(iso.1))).unwrap();
        let old_text = gen::ios_build(&ra, flat.0)?;
        gen::ios_build(&rb, flat.1)?;
        let mut old = Device::from_build(&old_text).unwrap();
        let previous = if operator {
            old.apply(&operator_config("eth0")).unwrap();
            old.running_config()
        } else {
            old_text.clone()
        };
        let to_device = |p: &Policy| with_packets_to_device(p, gen::resolve_packets(p, &pkts));
        let mut probe = probes(&pa, &to_device(&pa));
        probe.extend(probes(&pb, &to_device(&pb)));
        // Own addresses of the other policy too: a router-bound block that
        // goes away must stop deciding them.
        probe.extend(probes(&pa, &with_packets_to_device(&pb, gen::resolve_packets(&pa, &pkts))));
        let (n, _) = prove(&old, &previous, &old_text, &rb, flat.1, &probe)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(n, 0, "mismatching packets after the transition");
    }
}

/// One transition on a realistic plant.
struct Case {
    what: String,
    old: (Policy, BuildOptions),
    new: (Policy, BuildOptions),
}

fn plant_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut switch = |name: &str, p: Policy, fw: &str, iso: &str| {
        for (from, to) in [(None, Some(iso)), (Some(iso), None)] {
            cases.push(Case {
                what: format!("{name} {fw} {from:?} -> {to:?}"),
                old: (p.clone(), opts(fw, from)),
                new: (p.clone(), opts(fw, to)),
            });
        }
    };
    switch(
        "kit plant",
        conduitc_testkit::plant::policy(),
        "plant-ios",
        "island",
    );
    switch(
        "water utility",
        load("examples/water-utility"),
        "north-fw",
        "island-sites",
    );
    switch(
        "bottling plant",
        load("examples/bottling-plant.conduit"),
        "cell-router",
        "cut-corporate",
    );
    let (v1, v2) = (load("examples/diff/v1"), load("examples/diff/v2"));
    switch("diff v2", v2.clone(), "cell-fw", "cut-corporate");
    for iso in [None, Some("cut-corporate")] {
        for (a, b, what) in [(&v1, &v2, "v1 -> v2"), (&v2, &v1, "v2 -> v1")] {
            cases.push(Case {
                what: format!("diff {what} cell-fw {iso:?}"),
                old: (a.clone(), opts("cell-fw", iso)),
                new: (b.clone(), opts("cell-fw", iso)),
            });
        }
    }
    cases
}

fn plant_probes(case: &Case) -> Vec<Wire> {
    let mut out = Vec::new();
    for (p, _) in [&case.old, &case.new] {
        for seed in 0..3 {
            out.extend(probes(p, &gen::packets(p, seed, 150)));
        }
    }
    out
}

/// The measurement of the issue, reproduced: pasting each full build over
/// the previous one (0.1's names, flat form) mismatches; the transitions,
/// from the 0.1 build and from this version's builds in both forms and
/// across a change of form, mismatch none.
#[test]
fn plant_transitions_mismatch_no_packet_where_pasting_did() {
    let cases = plant_cases();
    let (mut pasted, mut trans, mut total_pasted, mut total_trans) = (0, 0, 0, 0);
    for case in &cases {
        let old_rs = lower(&case.old.0, &case.old.1).unwrap();
        let new_rs = lower(&case.new.0, &case.new.1).unwrap();
        let probe = plant_probes(case);
        // The old way.
        let (n, m) = paste_over(
            &unversioned(&build(&old_rs, true)),
            &unversioned(&build(&new_rs, true)),
            &probe,
        );
        pasted += n;
        total_pasted += m;
        // Transitions: from the 0.1 build, and from this version's builds.
        let v01 = unversioned(&build(&old_rs, true));
        let starts = [
            (v01.clone(), false),
            (build(&old_rs, false), false),
            (build(&old_rs, true), true),
            (build(&old_rs, false), true),
        ];
        for (old_text, flat) in starts {
            let old = Device::from_build(&old_text).unwrap();
            let (n, m) = prove(&old, &old_text, &old_text, &new_rs, flat, &probe)
                .unwrap_or_else(|e| panic!("{}: {e}", case.what));
            trans += n;
            total_trans += m;
        }
    }
    let k = cases.len();
    eprintln!("pasting the full build: {pasted} mismatching packets in {total_pasted} across {k} transitions");
    eprintln!(
        "transitions: {trans} mismatching packets in {total_trans} across {} transitions",
        4 * k
    );
    assert!(
        pasted > 0,
        "pasting over the old build should mismatch: {pasted} mismatching packets in {total_pasted} across {k} transitions"
    );
    assert_eq!(
        trans,
        0,
        "{trans} mismatching packets in {total_trans} across {} transitions",
        4 * k
    );
}

/// The emergency switch on the water utility's North Hill router: cut to
/// the island and restore, each a script in the documented order.
#[test]
fn the_island_switch_is_a_transition_in_the_documented_order() {
    let p = load("examples/water-utility");
    let normal = lower(&p, &opts("north-fw", None)).unwrap();
    let island = lower(&p, &opts("north-fw", Some("island-sites"))).unwrap();
    let cut = transition(&island, false, &build(&normal, false)).unwrap();
    assert!(cut.starts_with(&format!(
        "! conduitc {} cisco-ios transition",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(cut.contains("isolation island-sites"), "{cut}");
    let pos = |needle: &str| cut.find(needle);
    let order = [
        pos("\nip access-list extended conduit-"),
        pos("\ninterface "),
        pos("\nno ip access-list extended conduit-"),
    ];
    assert!(order.iter().all(Option::is_some), "{cut}");
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{cut}");
    // Every list comes complete, ending in its default deny, before `exit`.
    for block in cut.split("\nip access-list extended ").skip(1) {
        let body = block.split("\nexit\n").next().unwrap();
        assert!(body.ends_with(" deny ip any any log"), "{body}");
    }
    // Nothing outside the reserved prefix is named.
    for l in cut.lines() {
        let toks: Vec<&str> = l.trim_start().split(' ').collect();
        let toks = match toks.split_first() {
            Some((&"no", rest)) => rest,
            _ => toks.as_slice(),
        };
        let named = match toks {
            ["ip", "access-list", "extended", n]
            | ["ipv6", "access-list", n]
            | ["object-group", _, n]
            | ["ip", "access-group", n, _]
            | ["ipv6", "traffic-filter", n, _] => Some(*n),
            _ => None,
        };
        if let Some(n) = named {
            assert!(n.starts_with("conduit-"), "{l}");
        }
    }
    let restore = transition(&normal, false, &build(&island, false)).unwrap();
    let back = Device::from_build(&build(&island, false)).unwrap();
    let mut dev = back.clone();
    dev.apply(&cut)
        .expect_err("the cut script applies to the normal build, not the island");
    dev = Device::from_build(&build(&island, false)).unwrap();
    dev.apply(&restore).unwrap();
    assert_eq!(
        dev.part("conduit-", true),
        Device::from_build(&build(&normal, false))
            .unwrap()
            .part("conduit-", true)
    );
}

/// A transition to the build the device already runs says so and changes
/// nothing.
#[test]
fn no_change_is_said_and_nothing_else() {
    let rs = lower(&conduitc_testkit::plant::policy(), &opts("plant-ios", None)).unwrap();
    let text = build(&rs, false);
    let script = transition(&rs, false, &text).unwrap();
    assert_eq!(changes(&script), 0, "{script}");
    assert!(
        script.ends_with("! no change: the device already runs this build\n"),
        "{script}"
    );
}

/// An interface the new build no longer governs is unbound (the new build
/// does not filter it either) and its lists removed; the other zones move.
#[test]
fn an_interface_leaving_the_firewall_is_unbound_with_a_remark() {
    let p = load("examples/diff/v2");
    let v1 = load("examples/diff/v1");
    let old = lower(&p, &opts("cell-fw", None)).unwrap();
    let new = lower(&v1, &opts("cell-fw", None)).unwrap();
    let script = transition(&new, false, &build(&old, false)).unwrap();
    assert!(script.contains("no longer filtered"), "{script}");
    assert!(
        script.contains("\n no ip access-group conduit-"),
        "{script}"
    );
    let probe = probes(&p, &gen::packets(&p, 1, 200));
    let old_text = build(&old, false);
    let dev = Device::from_build(&old_text).unwrap();
    let out = run_transition(&dev, &old_text, &build(&new, false), &script, &probe).unwrap();
    assert_eq!(out.mismatches, 0);
}

fn previous_error(rs: &RuleSet, previous: &str) -> EmitError {
    let mut sink = Count::default();
    let e = backend::emit_transition(rs, Target::CiscoIos, &form(false), previous, &mut sink)
        .expect_err("PREVIOUS is refused");
    assert_eq!(sink.0, 0, "nothing is written before the refusal");
    e
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.starts_with(needle)).unwrap() + 1
}

/// PREVIOUS that is not what the device runs, or holds what conduitc must
/// not take over, is refused (`E816`) with its line, before any output.
#[test]
fn foreign_or_edited_previous_is_refused_with_its_line() {
    let p = conduitc_testkit::plant::policy();
    let rs = lower(&p, &opts("plant-ios", None)).unwrap();
    let fgt = backend::emit(
        &lower(&p, &opts("plant-fgt", None)).unwrap(),
        Target::Fortios,
    )
    .unwrap();
    let nft = backend::emit(
        &lower(&p, &BuildOptions::new(gen::today())).unwrap(),
        Target::Nftables,
    )
    .unwrap();
    let edited = build(&rs, true).replacen(" eq 502", " eq 503", 1);
    let list_line = edited[..edited.find(" eq 503").unwrap()]
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("ip access-list extended "))
        .last()
        .unwrap()
        .0
        + 1;
    let foreign_bound = "hostname r1\n!\ninterface GigabitEthernet0/1\n description plc cell\n ip access-group OPS-IN in\n!\nip access-list extended OPS-IN\n 10 permit ip any any\n!\nend\n";
    let cases: Vec<(&str, String, usize, &str)> = vec![
        ("FortiOS", fgt.clone(), 1, "FortiOS configuration"),
        ("nftables", nft.clone(), 1, "nftables text"),
        ("JSON", "{\"nftables\": []}\n".into(), 1, "JSON"),
        (
            "binary",
            "\u{0}\u{7f}ELF\u{1}\n".into(),
            1,
            "not IOS configuration text",
        ),
        ("empty", String::new(), 0, "holds no IOS configuration"),
        (
            "prose",
            "hello there\nthis is a note\n".into(),
            0,
            "holds no IOS configuration",
        ),
        (
            "foreign list bound",
            foreign_bound.into(),
            5,
            "conduitc did not write",
        ),
        ("hand-edited list", edited, list_line, "edited by hand"),
        (
            "reserved name",
            "ip access-list extended conduit-mine\n 10 permit ip any any\n!\n".into(),
            1,
            "not a name conduitc writes",
        ),
        (
            "transition script",
            "!\nno ip access-list extended conduit-a-in\n".to_string(),
            2,
            "transition script",
        ),
        (
            "open banner",
            "hostname r\nbanner motd ^C\nno end\n".into(),
            2,
            "banner is not closed",
        ),
    ];
    for (what, previous, line, says) in cases {
        let e = previous_error(&rs, &previous);
        assert_eq!(e.code(), Code::PreviousUnreadable, "{what}: {e}");
        assert!(
            matches!(e, EmitError::Previous { line: l, .. } if l == line),
            "{what}: {e:?}"
        );
        assert!(e.to_string().contains(says), "{what}: {e}");
    }
    assert_eq!(line_of(foreign_bound, " ip access-group OPS-IN"), 5);
}

/// A hand-edited object group under a conduitc name is refused too.
#[test]
fn an_edited_object_group_is_refused() {
    let rs = lower(&conduitc_testkit::plant::policy(), &opts("plant-ios", None)).unwrap();
    let old = build(&rs, false);
    let group = line_of(&old, "object-group service conduit-s-");
    let edited = old.replacen(" tcp eq 502\n", " tcp eq 502\n tcp eq 22\n", 1);
    let e = previous_error(&rs, &edited);
    assert!(
        matches!(e, EmitError::Previous { line, .. } if line == group),
        "{e:?}"
    );
}

/// A conduitc list that an operator bound outbound would be deleted under
/// the binding (and then permit everything): refused as in use (`E817`).
#[test]
fn a_conduit_list_bound_outbound_is_in_use() {
    let p = conduitc_testkit::plant::policy();
    let old = lower(&p, &opts("plant-ios", None)).unwrap();
    let new = lower(&p, &opts("plant-ios", Some("island"))).unwrap();
    let text = build(&old, false);
    let list = text
        .lines()
        .find_map(|l| l.strip_prefix("ip access-list extended conduit-enterprise-in-"))
        .unwrap();
    let mut dev = Device::from_build(&text).unwrap();
    dev.apply(&format!(
        "interface Vlan99\n ip access-group conduit-enterprise-in-{list} out\nexit\n"
    ))
    .unwrap();
    let running = dev.running_config();
    let e = previous_error(&new, &running);
    assert_eq!(e.code(), Code::PreviousObjectInUse, "{e}");
    assert_eq!(
        e.previous_line(),
        Some(line_of(
            &running,
            &format!(" ip access-group conduit-enterprise-in-{list} out")
        ))
    );
}

/// The device model refuses what a device refuses, so a script that relies
/// on it fails the proofs above.
#[test]
fn the_device_model_refuses_reused_sequence_numbers_and_groups_in_use() {
    let mut d = Device::new();
    d.apply("object-group network G\n host 10.0.0.1\n host 10.0.0.2\nexit\nip access-list extended L\n 10 permit ip object-group G any\nexit\n")
        .unwrap();
    assert!(d
        .apply("ip access-list extended L\n 10 deny ip any any\nexit\n")
        .is_err());
    assert!(d.apply("no object-group network G\n").is_err());
    // A bound list that is deleted permits everything.
    d.apply("interface Gi0/1\n ip access-group L in\nexit\nno ip access-list extended L\n")
        .unwrap();
    let w = Wire {
        src: "10.9.9.9".parse().unwrap(),
        dst: "10.0.0.1".parse().unwrap(),
        proto: 6,
        sport: Some(40000),
        dport: Some(22),
        icmp_type: None,
        icmp_code: 0,
        syn: true,
        ack: false,
        rst: false,
        fragment: false,
    };
    let cfg = d.config().unwrap();
    assert!(
        admits(
            &cfg,
            &conduitc::model::platform::ios_interface_key("GigabitEthernet0/1"),
            &w
        )
        .0
    );
    d.apply("no object-group network G\n").unwrap();
}

/// The proofs fail on a wrong script: removals before the bindings move,
/// bindings before their lists exist, leftovers kept, a list edited in
/// place, a group removed while a list names it.
#[test]
fn the_proofs_fail_on_wrong_scripts() {
    let p = load("examples/water-utility");
    let normal = lower(&p, &opts("north-fw", None)).unwrap();
    let island = lower(&p, &opts("north-fw", Some("island-sites"))).unwrap();
    let (old_text, new_text) = (build(&normal, false), build(&island, false));
    let script = transition(&island, false, &old_text).unwrap();
    let probe = probes(&p, &gen::packets(&p, 7, 300));
    let old = Device::from_build(&old_text).unwrap();
    assert_eq!(
        run_transition(&old, &old_text, &new_text, &script, &probe)
            .unwrap()
            .mismatches,
        0
    );
    // The script's steps, each under its `! title` line.
    let mut steps: Vec<(String, String)> = Vec::new();
    for l in script.lines() {
        if let Some(t) = l.strip_prefix("! ").filter(|t| {
            ["new ", "bind ", "unbind ", "remove "]
                .iter()
                .any(|p| t.starts_with(p))
        }) {
            steps.push((t.to_string(), String::new()));
        } else if let Some((_, body)) = steps.last_mut() {
            body.push_str(l);
            body.push('\n');
        }
    }
    let step = |title: &str| {
        steps
            .iter()
            .find(|(t, _)| t.starts_with(title))
            .map(|(_, b)| b.clone())
            .unwrap_or_default()
    };
    let (groups, lists, bind, remove, remove_groups) = (
        step("new object groups"),
        step("new access lists"),
        step("bind "),
        step("remove the lists"),
        step("remove the object groups"),
    );
    assert!(
        !lists.is_empty() && !bind.is_empty() && !remove.is_empty() && !remove_groups.is_empty(),
        "{script}"
    );
    let wrong = [
        ("removals first", format!("{groups}{lists}{remove}{bind}")),
        ("bindings first", format!("{groups}{bind}{lists}{remove}")),
        ("leftovers kept", format!("{groups}{lists}{bind}")),
        ("the old 0.1 procedure without staging", new_text.clone()),
    ];
    for (what, bad) in wrong {
        let r = run_transition(&old, &old_text, &new_text, &bad, &probe);
        assert!(
            !matches!(r, Ok(Outcome { mismatches: 0, .. })),
            "{what} passed the proofs:\n{bad}"
        );
    }
    // Editing a bound list in place: the re-used sequence numbers are
    // refused by the device model.
    let v01 = unversioned(&build(&normal, true));
    let dev = Device::from_build(&v01).unwrap();
    let in_place = unversioned(&build(&island, true));
    assert!(run_transition(&dev, &v01, &in_place, &in_place, &probe).is_err());
    // A group removed while a list still names it is refused.
    let early = format!("{groups}{lists}{bind}{remove_groups}{remove}");
    assert!(run_transition(&old, &old_text, &new_text, &early, &probe).is_err());
}

/// A full build pasted over an earlier content-named build, as the header
/// of a plain build allows only for a fresh device, is still gap-free:
/// after every line each interface admits within old and new, and at the
/// end it decides as the new build; only the old lists and groups remain,
/// which the transition removes (and the bindings of an interface that
/// left the firewall).
#[test]
fn a_full_build_pasted_over_a_content_named_build_is_gap_free_but_leaves_leftovers() {
    for case in plant_cases() {
        let old_rs = lower(&case.old.0, &case.old.1).unwrap();
        let new_rs = lower(&case.new.0, &case.new.1).unwrap();
        let (old_text, new_text) = (build(&old_rs, false), build(&new_rs, false));
        let probe: Vec<Wire> = plant_probes(&case).into_iter().step_by(3).collect();
        let new = Device::from_build(&new_text).unwrap();
        let mut dev = Device::from_build(&old_text).unwrap();
        let keys = build_keys(&[&dev, &new]);
        let before = decisions(&dev.config().unwrap(), &keys, &probe);
        let want = decisions(&new.config().unwrap(), &keys, &probe);
        for line in new_text.lines() {
            // Re-entering a list or group that did not change repeats its
            // lines; the device refuses the numbers it holds, which changes
            // nothing.
            let _ = dev.apply_line(line);
            let now = decisions(&dev.config().unwrap(), &keys, &probe);
            for (j, d) in now.iter().enumerate() {
                assert!(
                    !d.0 || before[j].0 || want[j].0,
                    "{}: after `{line}` an interface admits what neither build admits",
                    case.what
                );
            }
        }
        // On the interfaces the new build binds it decides as the new build
        // (an interface that left the firewall keeps its old binding).
        let bound = new.iface_keys();
        let got = decisions(&dev.config().unwrap(), &bound, &probe);
        let want = decisions(&new.config().unwrap(), &bound, &probe);
        let wrong = got.iter().zip(&want).filter(|(g, w)| g != w).count();
        assert_eq!(wrong, 0, "{}: {wrong} mismatching packets", case.what);
        let leftovers =
            dev.part("conduit-", true).lists.len() - new.part("conduit-", true).lists.len();
        let script = transition(&new_rs, false, &old_text).unwrap();
        assert_eq!(
            script
                .lines()
                .filter(|l| l.starts_with("no ip") && l.contains("access-list"))
                .count(),
            leftovers,
            "{}: {script}",
            case.what
        );
    }
}

/// A transition is for one device: without a firewall it is refused
/// cleanly, before any output.
#[test]
fn a_transition_without_a_firewall_is_refused() {
    let p = conduitc_testkit::plant::policy();
    let rs = lower(&p, &BuildOptions::new(gen::today())).unwrap();
    let mut sink = Count::default();
    let e = backend::emit_transition(&rs, Target::CiscoIos, &form(false), "!\nend\n", &mut sink)
        .unwrap_err();
    assert_eq!(sink.0, 0);
    assert!(e.to_string().contains("firewall"), "{e}");
}
