//! The transition script (`build --from PREVIOUS`): from what the device
//! runs to the new build, each step safe on a live device (see the module
//! docs of the backend, "Transitions").

use std::io::Write;

use super::read::{self, PREFIX};
use super::{emit_to_form, header_version, vty, Form, Lines, TARGET};
use crate::backend::guard::printable_lines;
use crate::backend::header::build_summary;
use crate::backend::EmitError;
use crate::lower::RuleSet;
use crate::model::platform::ios_interface_key;

const FAMILY_NAMES: [&str; 2] = ["IPv4", "IPv6"];

/// The binding command of a family.
fn bind_cmd(v6: bool) -> &'static str {
    if v6 {
        "ipv6 traffic-filter"
    } else {
        "ip access-group"
    }
}

/// The command that opens (or, after `no`, removes) a list.
fn list_cmd(l: &read::List) -> &'static str {
    if l.v6 {
        "ipv6 access-list"
    } else if l.standard {
        "ip access-list standard"
    } else {
        "ip access-list extended"
    }
}

/// Writes the transition from `previous` to the build of `rules` in
/// `form` (see [`crate::backend::emit_transition`]). Every refusal comes
/// before the first byte.
pub(in crate::backend) fn transition_to(
    rules: &RuleSet,
    form: Form,
    previous: &str,
    out: &mut dyn Write,
) -> Result<(), EmitError> {
    let Some(fw) = &rules.firewall else {
        return Err(EmitError::Unsupported {
            target: TARGET,
            what: "a transition without a firewall (give `--firewall NAME`: a transition binds lists to its interfaces)".into(),
        });
    };
    // The new build, read back by the same reader as PREVIOUS.
    let mut fresh = Vec::new();
    emit_to_form(rules, form, &mut fresh)?;
    let fresh = String::from_utf8(fresh).map_err(|_| super::bad("non-ASCII output".into()))?;
    let new = read::read(&fresh)?;
    let old = read::read(previous)?;
    read::check_contents(&old)?;

    let mut script: Vec<String> = Vec::new();
    let step = |script: &mut Vec<String>, title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            script.push(format!("! {title}"));
            script.extend(lines);
        }
    };

    // a. New object groups.
    let mut lines = Vec::new();
    for name in &new.group_order {
        if old.groups.contains_key(name) {
            continue;
        }
        if let Some(g) = new.groups.get(name) {
            lines.push(format!("object-group {} {name}", g.kind));
            lines.extend(g.members.iter().map(|m| format!(" {m}")));
            lines.push("exit".into());
        }
    }
    step(&mut script, "new object groups", lines);

    // b. New lists, complete before anything binds them.
    let mut lines = Vec::new();
    for name in &new.list_order {
        if old.lists.contains_key(name) {
            continue;
        }
        if let Some(l) = new.lists.get(name) {
            lines.push(format!("{} {name}", list_cmd(l)));
            lines.extend(l.body.iter().cloned());
            lines.push("exit".into());
        }
    }
    step(&mut script, "new access lists", lines);

    // c. Bindings of the firewall's interfaces: one command each swaps a
    // binding atomically.
    let mut lines = Vec::new();
    let mut governed = std::collections::BTreeSet::new();
    for (iface, _) in &fw.interfaces {
        let key = ios_interface_key(iface);
        governed.insert(key.clone());
        let mut cmds = Vec::new();
        for v6 in [false, true] {
            let Some(want) = new.inbound(&key, v6) else {
                continue;
            };
            match old.inbound(&key, v6) {
                Some(have) if have.list == want.list => {}
                Some(have) if !have.list.starts_with(PREFIX) => {
                    return Err(EmitError::Previous {
                        target: TARGET,
                        line: have.line,
                        message: format!(
                            "interface {iface} binds {} list {} inbound, which conduitc did not write; the new build would replace it. Move what it admits into the policy or the interface to another firewall, and remove the binding, then build the transition again",
                            FAMILY_NAMES[usize::from(v6)],
                            have.list
                        ),
                    });
                }
                _ => cmds.push(format!(" {} {} in", bind_cmd(v6), want.list)),
            }
        }
        if !cmds.is_empty() {
            lines.push(format!("interface {iface}"));
            lines.extend(cmds);
            lines.push("exit".into());
        }
    }
    step(&mut script, "bind the new lists", lines);

    // c2. The vty access classes, one command each.
    step(
        &mut script,
        "apply the new vty access classes",
        vty::rebind(&old, &new)?,
    );

    // d. Interfaces the new build no longer governs.
    let mut lines = Vec::new();
    for (key, i) in &old.ifaces {
        if governed.contains(key) {
            continue;
        }
        let cmds: Vec<String> = [false, true]
            .into_iter()
            .filter_map(|v6| {
                let b = i.inbound[usize::from(v6)].as_ref()?;
                b.list
                    .starts_with(PREFIX)
                    .then(|| format!(" no {} {} in", bind_cmd(v6), b.list))
            })
            .collect();
        if !cmds.is_empty() {
            lines.push(format!(
                "! {} faces no zone of firewall {}: unbound, it is no longer filtered",
                i.name, fw.name
            ));
            lines.push(format!("interface {}", i.name));
            lines.extend(cmds);
            lines.push("exit".into());
        }
    }
    step(
        &mut script,
        "unbind interfaces the build no longer governs",
        lines,
    );

    // e. Lists the new build does not use.
    let mut lines = Vec::new();
    for (name, l) in &old.lists {
        if new.lists.contains_key(name) {
            continue;
        }
        if let Some(b) = old.ifaces.values().find_map(|i| {
            i.outbound[usize::from(l.v6)]
                .as_ref()
                .filter(|b| b.list == *name)
        }) {
            return Err(EmitError::InUse {
                target: TARGET,
                line: b.line,
                message: format!(
                    "access list {name} is bound outbound, which conduitc never does, and the new build removes it (an applied list that does not exist permits everything); remove that binding, then build the transition again"
                ),
            });
        }
        lines.push(format!("no {} {name}", list_cmd(l)));
    }
    step(&mut script, "remove the lists no longer used", lines);

    // f. Groups no remaining list names.
    let mut lines = Vec::new();
    for (name, g) in &old.groups {
        if new.groups.contains_key(name) {
            continue;
        }
        if let Some(&line) = old.foreign_refs.get(name) {
            return Err(EmitError::InUse {
                target: TARGET,
                line,
                message: format!(
                    "object group {name} is named by an access list conduitc did not write, and the new build no longer uses it; make that list stop naming it, then build the transition again"
                ),
            });
        }
        lines.push(format!("no object-group {} {name}", g.kind));
    }
    step(
        &mut script,
        "remove the object groups no longer used",
        lines,
    );

    let bound = old
        .ifaces
        .values()
        .filter(|i| {
            i.inbound
                .iter()
                .flatten()
                .any(|b| b.list.starts_with(PREFIX))
        })
        .count();
    let mut text = vec![
        format!(
            "! conduitc {} cisco-ios transition ({})",
            env!("CARGO_PKG_VERSION"),
            header_version()
        ),
        format!("! {}", build_summary(rules, "no firewall")),
        format!(
            "! PREVIOUS holds {} conduitc access lists and {} object groups, bound on {} interfaces",
            old.lists.len(),
            old.groups.len(),
            bound
        ),
    ];
    if script.is_empty() {
        text.push("! no change: the device already runs this build".into());
    } else {
        text.extend(
            [
                "! Paste in global configuration mode on the device PREVIOUS describes. New",
                "! groups and lists come first, complete; then each interface moves to its",
                "! new lists in one command per family; then what no list uses is removed.",
                "!",
            ]
            .map(String::from),
        );
        text.extend(script);
    }
    // Names read from PREVIOUS reach the script: check every line before
    // the first byte.
    for l in &text {
        printable_lines(TARGET, l)?;
    }
    let mut w = Lines::new(out);
    for l in &text {
        w.line(l)?;
    }
    w.finish()
}
