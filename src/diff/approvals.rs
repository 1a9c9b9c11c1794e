//! Approvals: which owners must approve a change, and why.
//!
//! Every change (each declaration change, and the access delta per pair of
//! zones) *touches* some zones and conduits. An `approval` rule applies to a
//! change when its scope covers something the change touches
//! (language.md, "Approval scopes"):
//! - `scope level OP L`: a touched zone whose level (in OLD or NEW) satisfies
//!   the comparison;
//! - `scope zone A, B`: a touched zone named A or B;
//! - `scope conduit A, B`: a touched conduit named A or B;
//! - `scope all`: every change.
//!
//! A change that touches a conduit or one of its flows also touches the
//! conduit's two zones (in OLD and in NEW), so "a conduit with a zone in
//! scope" and "a flow of such a conduit" are covered.
//!
//! The rules of **both** OLD and NEW are applied to every change, so
//! loosening or removing a rule still needs the owners the old rule named.
//!
//! What each kind of change touches (decisions the language leaves open):
//! - a zone: the zone itself (its hosts and groups are part of it);
//! - a conduit or a flow: the conduit, hence its zones;
//! - an owner: every zone, conduit and flow that owner is accountable for,
//!   in either version;
//! - a user-declared service: every conduit with a flow that uses it,
//!   directly or through services that compose it, in either version;
//! - a firewall: the zones on its interfaces, in either version;
//! - an isolation mode: the zones it severs, in either version;
//! - an approval rule: everything its old and its new scope cover; and the
//!   rule itself always applies (in its old and new form) to its own change,
//!   so nobody can approve their own loosening;
//! - newly or no longer allowed traffic: its two zones, and the conduits of
//!   the flows responsible;
//! - newly or no longer allowed traffic to a firewall (its `manage` and
//!   `control` entries): the zone of the sources and the zones on the
//!   firewall's interfaces, in either version, never a conduit. So
//!   `scope zone Z` covers an entry whose sources lie in Z or whose
//!   firewall faces Z, and `scope conduit` never covers an entry. (An
//!   entry is an attribute of its firewall, so the declaration change
//!   touches the firewall's zones too.)

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::access::{AccessDelta, LocalDelta};
use super::decl::{scope_text, DeclChange, DeclKind};
use crate::model::{Approval, Level, Name, Policy, Scope};

/// Which version(s) a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RuleVersion {
    /// Only OLD has it in this form.
    Old,
    /// Only NEW has it in this form.
    New,
    /// Identical in both.
    Both,
}

/// An approval rule that requires an owner.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct RuleRef {
    /// The rule's declared name.
    pub name: String,
    /// The version of the rule that applies.
    pub version: RuleVersion,
}

impl std::fmt::Display for RuleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.version {
            RuleVersion::Both => write!(f, "{}", self.name),
            RuleVersion::Old => write!(f, "{} (old)", self.name),
            RuleVersion::New => write!(f, "{} (new)", self.name),
        }
    }
}

/// An owner who must approve the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RequiredApproval {
    /// The owner's declared name.
    pub owner: String,
    /// The rules that require this owner.
    pub rules: Vec<RuleRef>,
    /// The changes that trigger those rules, in report order.
    pub triggers: Vec<String>,
    /// True when the owner is among the approvers given.
    pub approved: bool,
}

/// What a change touches, by case-folded name.
#[derive(Debug, Default)]
struct Touch {
    zones: BTreeSet<String>,
    conduits: BTreeSet<String>,
    /// The approval rule the change is to.
    approval: Option<String>,
}

struct Ctx<'a> {
    old: &'a Policy,
    new: &'a Policy,
}

impl<'a> Ctx<'a> {
    fn both(&self) -> [&'a Policy; 2] {
        [self.old, self.new]
    }

    fn touch_conduit(&self, t: &mut Touch, key: &str) {
        t.conduits.insert(key.to_string());
        for p in self.both() {
            if let Some(c) = p.conduits.iter().find(|c| c.name.is(key)) {
                for &z in &c.zones {
                    if let Some(z) = p.zones.get(z) {
                        t.zones.insert(z.name.key());
                    }
                }
            }
        }
    }

    fn levels(&self, zone: &str) -> Vec<Level> {
        self.both()
            .iter()
            .filter_map(|p| p.zones.iter().find(|z| z.name.is(zone)))
            .map(|z| z.level)
            .collect()
    }

    /// Everything a scope covers, in either version.
    fn cover_scope(&self, t: &mut Touch, scope: &Scope) {
        match scope {
            Scope::Level(op, l) => {
                for p in self.both() {
                    for z in p.zones.iter().filter(|z| op.holds(z.level, *l)) {
                        t.zones.insert(z.name.key());
                    }
                }
            }
            Scope::Zones(names) => t.zones.extend(names.iter().map(Name::key)),
            Scope::Conduits(names) => {
                for n in names {
                    self.touch_conduit(t, &n.key());
                }
            }
            Scope::All => {
                for p in self.both() {
                    t.zones.extend(p.zones.iter().map(|z| z.name.key()));
                    for c in &p.conduits {
                        self.touch_conduit(t, &c.name.key());
                    }
                }
            }
        }
    }

    fn touch(&self, change: &DeclChange) -> Touch {
        let mut t = Touch::default();
        let key = change.name.to_ascii_lowercase();
        match change.kind {
            DeclKind::Zone => {
                t.zones.insert(key);
            }
            DeclKind::Conduit => self.touch_conduit(&mut t, &key),
            DeclKind::Flow => {
                let conduit = key.split('/').next().unwrap_or_default().to_string();
                self.touch_conduit(&mut t, &conduit);
            }
            DeclKind::Owner => {
                for p in self.both() {
                    for z in p.zones.iter().filter(|z| z.owner.is(&key)) {
                        t.zones.insert(z.name.key());
                    }
                    for c in &p.conduits {
                        if c.owner.is(&key) || c.flows.iter().any(|f| f.owner.is(&key)) {
                            self.touch_conduit(&mut t, &c.name.key());
                        }
                    }
                }
            }
            DeclKind::Service => {
                let users = self.services_using(&key);
                for p in self.both() {
                    for c in &p.conduits {
                        let uses = c.flows.iter().any(|f| {
                            f.service_refs
                                .iter()
                                .any(|r| users.contains(&r.to_ascii_lowercase()))
                        });
                        if uses {
                            self.touch_conduit(&mut t, &c.name.key());
                        }
                    }
                }
            }
            DeclKind::Firewall => {
                for p in self.both() {
                    if let Some(fw) = p.firewall(&key) {
                        for i in &fw.interfaces {
                            if let Some(z) = p.zones.get(i.zone) {
                                t.zones.insert(z.name.key());
                            }
                        }
                    }
                }
            }
            DeclKind::Isolation => {
                for p in self.both() {
                    if let Some(iso) = p.isolation(&key) {
                        for &z in &iso.sever {
                            if let Some(z) = p.zones.get(z) {
                                t.zones.insert(z.name.key());
                            }
                        }
                    }
                }
            }
            DeclKind::Approval => {
                for p in self.both() {
                    if let Some(a) = p.approvals.iter().find(|a| a.name.is(&key)) {
                        self.cover_scope(&mut t, &a.scope);
                    }
                }
                t.approval = Some(key);
            }
        }
        t
    }

    /// The service `key` and every service (in either version) that names
    /// it, directly or through others, case-folded.
    fn services_using(&self, key: &str) -> BTreeSet<String> {
        let mut set: BTreeSet<String> = BTreeSet::from([key.to_string()]);
        loop {
            let before = set.len();
            for p in self.both() {
                for s in &p.services {
                    if s.written
                        .iter()
                        .any(|w| set.contains(&w.to_ascii_lowercase()))
                    {
                        set.insert(s.name.key());
                    }
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }

    /// True when `rule` applies to a change touching `t`.
    fn applies(&self, rule: &Approval, t: &Touch) -> bool {
        if t.approval.as_deref() == Some(rule.name.key().as_str()) {
            return true;
        }
        match &rule.scope {
            Scope::All => true,
            Scope::Level(op, l) => t
                .zones
                .iter()
                .any(|z| self.levels(z).into_iter().any(|lv| op.holds(lv, *l))),
            Scope::Zones(names) => names.iter().any(|n| t.zones.contains(&n.key())),
            Scope::Conduits(names) => names.iter().any(|n| t.conduits.contains(&n.key())),
        }
    }
}

/// The rules of OLD and NEW, each with the version it comes from.
fn rules<'a>(old: &'a Policy, new: &'a Policy) -> Vec<(&'a Approval, RuleVersion)> {
    let same = |a: &Approval, b: &Approval| {
        let keys = |r: &Approval| {
            let mut k: Vec<String> = r.requires.iter().map(Name::key).collect();
            k.sort();
            k.dedup();
            k
        };
        scope_text(&a.scope).1 == scope_text(&b.scope).1 && keys(a) == keys(b)
    };
    let mut out = Vec::new();
    for a in &old.approvals {
        match new.approvals.iter().find(|b| b.name == a.name) {
            Some(b) if same(a, b) => out.push((b, RuleVersion::Both)),
            _ => out.push((a, RuleVersion::Old)),
        }
    }
    for b in &new.approvals {
        let in_both = old.approvals.iter().any(|a| a.name == b.name && same(a, b));
        if !in_both {
            out.push((b, RuleVersion::New));
        }
    }
    out
}

/// The owners the changes need, by owner name.
pub fn required(
    old: &Policy,
    new: &Policy,
    declarations: &[DeclChange],
    access: &AccessDelta,
    local: &[LocalDelta],
    approved_by: &[String],
) -> Vec<RequiredApproval> {
    let ctx = Ctx { old, new };
    let mut changes: Vec<(String, Touch)> = declarations
        .iter()
        .map(|d| (d.summary(), ctx.touch(d)))
        .collect();
    for (word, boxes) in [
        ("newly allowed", &access.added),
        ("no longer allowed", &access.removed),
    ] {
        let mut pairs: BTreeMap<(&str, &str), Touch> = BTreeMap::new();
        for b in boxes.iter() {
            let t = pairs
                .entry((b.src.zone.as_str(), b.dst.zone.as_str()))
                .or_default();
            t.zones.insert(b.src.zone.to_ascii_lowercase());
            t.zones.insert(b.dst.zone.to_ascii_lowercase());
            for f in &b.flows {
                let conduit = f.split('/').next().unwrap_or_default();
                t.conduits.insert(conduit.to_ascii_lowercase());
            }
        }
        for ((src, dst), mut t) in pairs {
            let conduits: Vec<String> = t.conduits.iter().cloned().collect();
            for c in conduits {
                ctx.touch_conduit(&mut t, &c);
            }
            changes.push((format!("access {word} from {src} to {dst}"), t));
        }
    }
    for d in local {
        for (word, boxes) in [
            ("newly allowed", &d.added),
            ("no longer allowed", &d.removed),
        ] {
            let mut zones: BTreeSet<&str> = BTreeSet::new();
            for b in boxes.iter() {
                zones.insert(b.src.zone.as_str());
            }
            for src in zones {
                let mut t = Touch::default();
                t.zones.insert(src.to_ascii_lowercase());
                for p in ctx.both() {
                    if let Some(fw) = p.firewall(&d.firewall) {
                        for i in &fw.interfaces {
                            if let Some(z) = p.zones.get(i.zone) {
                                t.zones.insert(z.name.key());
                            }
                        }
                    }
                }
                changes.push((
                    format!("access {word} from {src} to firewall {}", d.firewall),
                    t,
                ));
            }
        }
    }

    // owner key -> (rules, indexes of triggering changes)
    let mut need: BTreeMap<String, (Vec<RuleRef>, BTreeSet<usize>)> = BTreeMap::new();
    for (rule, version) in rules(old, new) {
        let triggers: Vec<usize> = changes
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| ctx.applies(rule, t))
            .map(|(i, _)| i)
            .collect();
        if triggers.is_empty() {
            continue;
        }
        for owner in &rule.requires {
            let entry = need.entry(owner.key()).or_default();
            let r = RuleRef {
                name: rule.name.to_string(),
                version,
            };
            if !entry.0.contains(&r) {
                entry.0.push(r);
            }
            entry.1.extend(triggers.iter().copied());
        }
    }
    need.into_iter()
        .map(|(key, (mut rules, triggers))| {
            rules.sort_by(|a, b| {
                a.name
                    .to_ascii_lowercase()
                    .cmp(&b.name.to_ascii_lowercase())
                    .then(a.version.cmp(&b.version))
            });
            let triggers = triggers
                .into_iter()
                .filter_map(|i| changes.get(i).map(|(s, _)| s.clone()))
                .collect();
            let owner = new
                .owner(&key)
                .or_else(|| old.owner(&key))
                .map(|o| o.name.to_string())
                .or_else(|| {
                    old.approvals
                        .iter()
                        .chain(&new.approvals)
                        .flat_map(|a| &a.requires)
                        .find(|n| n.is(&key))
                        .map(|n| n.to_string())
                })
                .unwrap_or_else(|| key.clone());
            let approved = approved_by
                .iter()
                .any(|a| a.trim().eq_ignore_ascii_case(&key));
            RequiredApproval {
                owner,
                rules,
                triggers,
                approved,
            }
        })
        .collect()
}
