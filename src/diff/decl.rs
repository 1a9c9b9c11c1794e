//! Declaration diff: declarations of OLD and NEW matched by kind and
//! case-insensitive name, compared attribute by attribute.
//!
//! Every attribute is reduced to a canonical value before comparison: names
//! are case-folded, lists are compared as sets (so `from a, b` equals
//! `from b, a`), and values the checker resolved (zone ids) are compared by
//! the names they refer to. What the model does not keep (comments, layout,
//! declaration order) cannot show up.
//!
//! Decisions worth knowing:
//! - A flow's `owner` is the effective owner; when a flow inherits its
//!   conduit's owner in both versions, a change of the conduit's owner is
//!   reported on the conduit only, not on every flow.
//! - `service` on a flow compares the services as written; a redefined
//!   service shows as a modified `service` declaration (and in the access
//!   delta), not on every flow that uses it.
//! - Waivers appear as `waive CODE` attributes of the conduit or flow they
//!   are recorded on.
//! - A firewall's `manage` and `control` entries are attributes of the
//!   firewall (`manage admin`, `control routing`), each compared as a whole:
//!   sources, services, owner, reason, expiry and `log`.
//! - A name whose spelling changes only in case (`PLC-1` → `plc-1`) is the
//!   same declaration, and that alone is no change.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::model::{
    Approval, Conduit, Firewall, Flow, GroupMember, Isolation, Member, Mode, Name, Networks, Owner,
    Policy, Scope, Service, Text, Waiver, Zone,
};

/// The kind of a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DeclKind {
    /// `owner`.
    Owner,
    /// `service` (user-declared).
    Service,
    /// `zone`.
    Zone,
    /// `conduit`.
    Conduit,
    /// `flow`, named `conduit/flow`.
    Flow,
    /// `firewall`.
    Firewall,
    /// `approval`.
    Approval,
    /// `isolation`.
    Isolation,
}

impl DeclKind {
    /// The keyword (`zone`, `flow`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DeclKind::Owner => "owner",
            DeclKind::Service => "service",
            DeclKind::Zone => "zone",
            DeclKind::Conduit => "conduit",
            DeclKind::Flow => "flow",
            DeclKind::Firewall => "firewall",
            DeclKind::Approval => "approval",
            DeclKind::Isolation => "isolation",
        }
    }
}

/// Added, removed or modified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ChangeKind {
    /// Only in NEW.
    Added,
    /// Only in OLD.
    Removed,
    /// In both, with at least one attribute changed.
    Modified,
}

impl ChangeKind {
    /// `added`, `removed` or `modified`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Modified => "modified",
        }
    }
}

/// One attribute of a declaration that differs (or, for an added or removed
/// declaration, that it has).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AttrChange {
    /// The attribute's keyword (`networks`, `expires`, `host jump`, ...).
    pub attribute: String,
    /// Its value in OLD, if it has one there.
    pub old: Option<String>,
    /// Its value in NEW, if it has one there.
    pub new: Option<String>,
    /// For list values: members only in NEW.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gained: Vec<String>,
    /// For list values: members only in OLD.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<String>,
}

/// A declaration added, removed or modified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeclChange {
    /// What kind of declaration.
    pub kind: DeclKind,
    /// Its declared name (a flow's full name `conduit/flow`).
    pub name: String,
    /// Added, removed or modified.
    pub change: ChangeKind,
    /// The attributes that differ (modified), or all of them (added, removed).
    pub attributes: Vec<AttrChange>,
}

impl DeclChange {
    /// `zone enterprise modified`.
    pub fn summary(&self) -> String {
        format!(
            "{} {} {}",
            self.kind.as_str(),
            self.name,
            self.change.as_str()
        )
    }
}

/// How a value is compared and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// At most one item.
    Scalar,
    /// A set of items.
    List,
    /// Present means `yes`, absent `no`.
    Flag,
}

/// A canonical attribute value: items as (comparison key, display).
#[derive(Clone, Debug)]
struct Value {
    shape: Shape,
    items: Vec<(String, String)>,
    /// The value is inherited (a flow owner equal to its conduit's).
    inherited: bool,
}

impl Value {
    fn scalar(key: impl Into<String>, display: impl Into<String>) -> Value {
        Value {
            shape: Shape::Scalar,
            items: vec![(key.into(), display.into())],
            inherited: false,
        }
    }
    /// A scalar compared exactly (free text, numbers).
    fn text(s: impl Into<String>) -> Value {
        let s = s.into();
        Value::scalar(s.clone(), s)
    }
    fn opt_text(s: Option<impl Into<String>>) -> Value {
        match s {
            Some(s) => Value::text(s),
            None => Value {
                shape: Shape::Scalar,
                items: Vec::new(),
                inherited: false,
            },
        }
    }
    /// A name compared case-insensitively.
    fn name(s: &str) -> Value {
        Value::scalar(s.to_ascii_lowercase(), s)
    }
    fn list(items: impl IntoIterator<Item = (String, String)>) -> Value {
        let mut items: Vec<(String, String)> = items.into_iter().collect();
        items.sort();
        items.dedup_by(|a, b| a.0 == b.0);
        Value {
            shape: Shape::List,
            items,
            inherited: false,
        }
    }
    fn names<'a>(names: impl IntoIterator<Item = &'a str>) -> Value {
        Value::list(
            names
                .into_iter()
                .map(|n| (n.to_ascii_lowercase(), n.to_string())),
        )
    }
    fn flag(on: bool) -> Value {
        Value {
            shape: Shape::Flag,
            items: if on {
                vec![("yes".into(), "yes".into())]
            } else {
                Vec::new()
            },
            inherited: false,
        }
    }
    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    fn same(&self, other: &Value) -> bool {
        (self.inherited && other.inherited)
            || (self.items.len() == other.items.len()
                && self.items.iter().zip(&other.items).all(|(a, b)| a.0 == b.0))
    }
    fn display(&self) -> Option<String> {
        match self.shape {
            Shape::Flag => Some(if self.items.is_empty() { "no" } else { "yes" }.into()),
            _ if self.items.is_empty() => None,
            _ => Some(
                self.items
                    .iter()
                    .map(|(_, d)| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        }
    }
}

/// Attributes in canonical order: (rank, sub-key) → (display name, value).
type Attrs = BTreeMap<(u8, String), (String, Value)>;

fn put(a: &mut Attrs, rank: u8, name: &str, v: Value) {
    a.insert((rank, String::new()), (name.to_string(), v));
}

fn put_member(a: &mut Attrs, rank: u8, kind: &str, member: &str, v: Value) {
    a.insert(
        (rank, member.to_ascii_lowercase()),
        (format!("{kind} {member}"), v),
    );
}

fn put_waivers<'a>(a: &mut Attrs, waivers: impl IntoIterator<Item = &'a Waiver>) {
    for w in waivers {
        put_member(a, 200, "waive", &w.code, Value::text(w.reason.clone()));
    }
}

/// Compares two attribute maps; `None` on a side means the declaration does
/// not exist there.
fn compare(old: Option<&Attrs>, new: Option<&Attrs>) -> Vec<AttrChange> {
    let empty = Attrs::new();
    let (o, n) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let mut keys: Vec<&(u8, String)> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let (ov, nv) = (o.get(k), n.get(k));
        let name = nv.or(ov).map(|(n, _)| n.clone()).unwrap_or_default();
        let (ov, nv) = (ov.map(|(_, v)| v), nv.map(|(_, v)| v));
        let both_present = old.is_some() && new.is_some();
        if both_present {
            if let (Some(a), Some(b)) = (ov, nv) {
                if a.same(b) {
                    continue;
                }
            }
        } else {
            // Added or removed: list what it has, leaving out empty values
            // and unset flags.
            let v = nv.or(ov);
            if v.is_none_or(|v| v.is_empty()) {
                continue;
            }
        }
        let (mut gained, mut lost) = (Vec::new(), Vec::new());
        if let (Some(a), Some(b)) = (ov, nv) {
            if a.shape == Shape::List && b.shape == Shape::List {
                gained = missing_from(&b.items, &a.items);
                lost = missing_from(&a.items, &b.items);
            }
        }
        out.push(AttrChange {
            attribute: name,
            old: ov.and_then(Value::display),
            new: nv.and_then(Value::display),
            gained,
            lost,
        });
    }
    out
}

fn missing_from(a: &[(String, String)], b: &[(String, String)]) -> Vec<String> {
    a.iter()
        .filter(|(k, _)| !b.iter().any(|(bk, _)| bk == k))
        .map(|(_, d)| d.clone())
        .collect()
}

/// A found change before sorting: (sort key, name, change, attributes).
type Found = (String, String, ChangeKind, Vec<AttrChange>);

fn push_sorted(kind: DeclKind, mut found: Vec<Found>, out: &mut Vec<DeclChange>) {
    found.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.2.cmp(&b.2)));
    out.extend(
        found
            .into_iter()
            .map(|(_, name, change, attributes)| DeclChange {
                kind,
                name,
                change,
                attributes,
            }),
    );
}

/// Diffs one kind of declaration. `same` is a cheap test that two items
/// cannot differ in any reported attribute; `attrs` builds the attributes of
/// an item of OLD (`false`) or NEW (`true`).
fn diff_items<T>(
    kind: DeclKind,
    old: &[T],
    new: &[T],
    name: impl Fn(&T) -> &Name,
    same: impl Fn(&T, &T) -> bool,
    attrs: impl Fn(&T, bool) -> Attrs,
    out: &mut Vec<DeclChange>,
) {
    let mut old_by_key: HashMap<String, &T> = old.iter().map(|o| (name(o).key(), o)).collect();
    let mut found = Vec::new();
    for n in new {
        let key = name(n).key();
        match old_by_key.remove(&key) {
            Some(o) => {
                if same(o, n) {
                    continue;
                }
                let attributes = compare(Some(&attrs(o, false)), Some(&attrs(n, true)));
                if !attributes.is_empty() {
                    found.push((key, name(n).to_string(), ChangeKind::Modified, attributes));
                }
            }
            None => {
                let attributes = compare(None, Some(&attrs(n, true)));
                found.push((key, name(n).to_string(), ChangeKind::Added, attributes));
            }
        }
    }
    for (key, o) in old_by_key {
        let attributes = compare(Some(&attrs(o, false)), None);
        found.push((key, name(o).to_string(), ChangeKind::Removed, attributes));
    }
    push_sorted(kind, found, out);
}

fn zone_name(p: &Policy, id: usize) -> &str {
    p.zones.get(id).map(|z| z.name.as_str()).unwrap_or("?")
}

fn owner_attrs(o: &Owner) -> Attrs {
    let mut a = Attrs::new();
    put(&mut a, 0, "name", Value::opt_text(o.display_name.clone()));
    put(&mut a, 1, "contact", Value::text(o.contact.clone()));
    a
}

fn service_attrs(s: &Service) -> Attrs {
    let mut a = Attrs::new();
    put(
        &mut a,
        0,
        "definition",
        Value::names(s.written.iter().map(String::as_str)),
    );
    // What a composed service admits can change without its definition
    // changing (a service it names was redefined).
    if s.written.iter().any(|w| !w.contains('/')) {
        put(&mut a, 1, "admits", Value::text(s.set.to_string()));
    }
    put(&mut a, 2, "remote-access", Value::flag(s.remote_access));
    a
}

fn zone_attrs(z: &Zone) -> Attrs {
    let mut a = Attrs::new();
    put(&mut a, 0, "level", Value::text(z.level.as_str()));
    put(&mut a, 1, "owner", Value::name(z.owner.as_str()));
    put(
        &mut a,
        2,
        "sl",
        Value::opt_text(z.sl.map(|s| s.to_string())),
    );
    put(
        &mut a,
        3,
        "description",
        Value::opt_text(z.description.clone()),
    );
    put(&mut a, 4, "supplier", Value::flag(z.supplier));
    let nets = match &z.networks {
        Networks::Any => Value::scalar("any", "any"),
        Networks::Prefixes(n) => Value::list(n.iter().map(|n| {
            let s = n.to_string();
            (s.clone(), s)
        })),
    };
    put(&mut a, 5, "networks", nets);
    for h in &z.hosts {
        let v = Value::list(h.addrs.iter().map(|x| {
            let s = x.to_string();
            (s.clone(), s)
        }));
        put_member(&mut a, 10, "host", h.name.as_str(), v);
    }
    for g in &z.groups {
        let v = Value::list(g.members.iter().map(|m| match m {
            GroupMember::Host(h) => (h.key(), h.to_string()),
            GroupMember::Prefix(n) => (n.to_string(), n.to_string()),
        }));
        put_member(&mut a, 11, "group", g.name.as_str(), v);
    }
    a
}

/// Waivers by lower-cased scope (`conduit` or `conduit/flow`).
fn waivers_by_scope(p: &Policy) -> HashMap<String, Vec<&Waiver>> {
    let mut m: HashMap<String, Vec<&Waiver>> = HashMap::new();
    for w in &p.waivers {
        m.entry(w.scope.to_ascii_lowercase()).or_default().push(w);
    }
    m
}

fn mode_text(m: Mode) -> &'static str {
    match m {
        Mode::Enforce => "enforce",
        Mode::Monitor => "monitor",
    }
}

fn conduit_attrs(p: &Policy, c: &Conduit, waivers: &HashMap<String, Vec<&Waiver>>) -> Attrs {
    let mut a = Attrs::new();
    put(
        &mut a,
        0,
        "zones",
        Value::names(c.zones.iter().map(|&z| zone_name(p, z))),
    );
    put(&mut a, 1, "owner", Value::name(c.owner.as_str()));
    put(
        &mut a,
        2,
        "sl",
        Value::opt_text(c.sl.map(|s| s.to_string())),
    );
    put(&mut a, 3, "mode", Value::text(mode_text(c.mode)));
    put_waivers(
        &mut a,
        waivers.get(&c.name.key()).into_iter().flatten().copied(),
    );
    a
}

fn endpoint_text(p: &Policy, e: &crate::model::Endpoint) -> String {
    let z = zone_name(p, e.zone);
    match &e.member {
        Member::Zone => z.to_string(),
        Member::Host(n) | Member::Group(n) => format!("{z}.{n}"),
    }
}

fn flow_attrs(
    p: &Policy,
    c: &Conduit,
    f: &Flow,
    waivers: &HashMap<String, Vec<&Waiver>>,
    key: &str,
) -> Attrs {
    let mut a = Attrs::new();
    let ends = |list: &[crate::model::Endpoint]| {
        Value::list(list.iter().map(|e| {
            let s = endpoint_text(p, e);
            (s.to_ascii_lowercase(), s)
        }))
    };
    put(&mut a, 0, "from", ends(&f.from));
    put(&mut a, 1, "to", ends(&f.to));
    put(
        &mut a,
        2,
        "service",
        Value::names(f.service_refs.iter().map(Text::as_str)),
    );
    let mut owner = Value::name(f.owner.as_str());
    owner.inherited = f.owner == c.owner;
    put(&mut a, 3, "owner", owner);
    put(&mut a, 4, "reason", Value::text(f.reason.clone()));
    put(
        &mut a,
        5,
        "expires",
        Value::opt_text(f.expires.map(|d| d.to_string())),
    );
    put(&mut a, 6, "essential", Value::flag(f.essential));
    put(&mut a, 7, "log", Value::flag(f.log));
    put_waivers(&mut a, waivers.get(key).into_iter().flatten().copied());
    a
}

fn flow_key(c: &Conduit, f: &Flow) -> String {
    format!("{}/{}", c.name.key(), f.name.key())
}

/// Both versions, their waivers and whether zone ids mean the same zones.
struct Sides<'a> {
    old: &'a Policy,
    new: &'a Policy,
    old_waivers: HashMap<String, Vec<&'a Waiver>>,
    new_waivers: HashMap<String, Vec<&'a Waiver>>,
    same_zone_ids: bool,
}

impl<'a> Sides<'a> {
    fn new(old: &'a Policy, new: &'a Policy) -> Self {
        Sides {
            old,
            new,
            old_waivers: waivers_by_scope(old),
            new_waivers: waivers_by_scope(new),
            same_zone_ids: old.zones.len() == new.zones.len()
                && old
                    .zones
                    .iter()
                    .zip(&new.zones)
                    .all(|(a, b)| a.name == b.name),
        }
    }

    /// Compares a flow present in both versions.
    fn flow_pair(
        &self,
        (oc, of): (&Conduit, &Flow),
        (nc, nf): (&Conduit, &Flow),
        found: &mut Vec<Found>,
    ) {
        // Equal flows whose zone ids name the same zones, and with no
        // waivers to compare, have equal attributes (the effective owner is
        // part of the flow).
        let no_waivers = self.old_waivers.is_empty() && self.new_waivers.is_empty();
        if self.same_zone_ids && no_waivers && of == nf {
            return;
        }
        let key = flow_key(nc, nf);
        if self.same_zone_ids
            && of == nf
            && !self.old_waivers.contains_key(&key)
            && !self.new_waivers.contains_key(&key)
        {
            return;
        }
        let oa = flow_attrs(self.old, oc, of, &self.old_waivers, &key);
        let na = flow_attrs(self.new, nc, nf, &self.new_waivers, &key);
        let attributes = compare(Some(&oa), Some(&na));
        if !attributes.is_empty() {
            found.push((
                key,
                nf.full_name.to_string(),
                ChangeKind::Modified,
                attributes,
            ));
        }
    }

    fn flow_alone(&self, c: &Conduit, f: &Flow, added: bool, found: &mut Vec<Found>) {
        let key = flow_key(c, f);
        let (p, w) = if added {
            (self.new, &self.new_waivers)
        } else {
            (self.old, &self.old_waivers)
        };
        let a = flow_attrs(p, c, f, w, &key);
        let (change, attributes) = if added {
            (ChangeKind::Added, compare(None, Some(&a)))
        } else {
            (ChangeKind::Removed, compare(Some(&a), None))
        };
        found.push((key, f.full_name.to_string(), change, attributes));
    }

    /// Flows matched by full name: conduits by name, then flows within a
    /// conduit, position first (the usual case: nothing moved), then by name.
    fn flows(&self, out: &mut Vec<DeclChange>) {
        let mut found = Vec::new();
        let mut old_conduits: HashMap<String, &Conduit> = self
            .old
            .conduits
            .iter()
            .map(|c| (c.name.key(), c))
            .collect();
        for nc in &self.new.conduits {
            let Some(oc) = old_conduits.remove(&nc.name.key()) else {
                for f in &nc.flows {
                    self.flow_alone(nc, f, true, &mut found);
                }
                continue;
            };
            let mut left_old: HashMap<String, &Flow> = HashMap::new();
            let mut left_new: Vec<&Flow> = Vec::new();
            for i in 0..oc.flows.len().max(nc.flows.len()) {
                match (oc.flows.get(i), nc.flows.get(i)) {
                    (Some(of), Some(nf)) if of.name == nf.name => {
                        self.flow_pair((oc, of), (nc, nf), &mut found)
                    }
                    (o, n) => {
                        if let Some(of) = o {
                            left_old.insert(of.name.key(), of);
                        }
                        left_new.extend(n);
                    }
                }
            }
            for nf in left_new {
                match left_old.remove(&nf.name.key()) {
                    Some(of) => self.flow_pair((oc, of), (nc, nf), &mut found),
                    None => self.flow_alone(nc, nf, true, &mut found),
                }
            }
            for of in left_old.into_values() {
                self.flow_alone(oc, of, false, &mut found);
            }
        }
        for oc in old_conduits.into_values() {
            for f in &oc.flows {
                self.flow_alone(oc, f, false, &mut found);
            }
        }
        push_sorted(DeclKind::Flow, found, out);
    }
}

fn firewall_attrs(p: &Policy, fw: &Firewall) -> Attrs {
    let mut a = Attrs::new();
    put(&mut a, 0, "platform", Value::text(fw.platform.as_str()));
    put(
        &mut a,
        1,
        "acl-budget",
        Value::opt_text(fw.acl_budget.map(|n| n.to_string())),
    );
    put(
        &mut a,
        2,
        "interfaces",
        Value::list(fw.interfaces.iter().map(|i| {
            let z = zone_name(p, i.zone);
            // Addresses are a set: compared and shown in address order.
            let addrs = if i.addrs.is_empty() {
                String::new()
            } else {
                let mut sorted = i.addrs.clone();
                sorted.sort();
                sorted.dedup();
                let list: Vec<String> = sorted.iter().map(|a| a.to_string()).collect();
                format!(" address {}", list.join(", "))
            };
            (
                format!("{}={}{addrs}", i.name, z.to_ascii_lowercase()),
                format!("\"{}\" = {}{addrs}", i.name.escape_default(), z),
            )
        })),
    );
    // Each `manage` and `control` entry is one attribute of its firewall,
    // compared as a whole (sources and services as sets).
    for e in &fw.local {
        let mut from: Vec<String> = e.from.iter().map(|x| endpoint_text(p, x)).collect();
        from.sort_by_key(|x| x.to_ascii_lowercase());
        let mut services = e.service_refs.clone();
        services.sort_by_key(|x| x.to_ascii_lowercase());
        let mut text = format!(
            "from {} service {} owner {} reason \"{}\"",
            from.join(", "),
            services.join(", "),
            e.owner,
            e.reason.escape_default()
        );
        // The comparison key ignores the case of names (zones, members,
        // services, owner); the reason is compared exactly.
        let mut key = format!(
            "from {} service {} owner {} reason \"{}\"",
            from.join(", ").to_ascii_lowercase(),
            services.join(", ").to_ascii_lowercase(),
            e.owner.as_str().to_ascii_lowercase(),
            e.reason.escape_default()
        );
        if let Some(d) = e.expires {
            text.push_str(&format!(" expires {d}"));
            key.push_str(&format!(" expires {d}"));
        }
        if e.log {
            text.push_str(" log");
            key.push_str(" log");
        }
        put_member(
            &mut a,
            10,
            e.kind.as_str(),
            e.name.as_str(),
            Value::scalar(key, text),
        );
    }
    a
}

/// `level <= 2`, `zone a, b`, `conduit c`, `all`: the display, and a key
/// that ignores case and list order.
pub(crate) fn scope_text(scope: &Scope) -> (String, String) {
    let list = |kw: &str, names: &[Name]| {
        let shown: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
        let mut keys: Vec<String> = names.iter().map(|n| n.key()).collect();
        keys.sort();
        keys.dedup();
        (
            format!("{kw} {}", shown.join(", ")),
            format!("{kw} {}", keys.join(",")),
        )
    };
    match scope {
        Scope::Level(op, l) => {
            let s = format!("level {} {}", op.as_str(), l);
            (s.clone(), s)
        }
        Scope::Zones(z) => list("zone", z),
        Scope::Conduits(c) => list("conduit", c),
        Scope::All => ("all".into(), "all".into()),
    }
}

fn approval_attrs(ap: &Approval) -> Attrs {
    let mut a = Attrs::new();
    let (shown, key) = scope_text(&ap.scope);
    put(&mut a, 0, "scope", Value::scalar(key, shown));
    put(
        &mut a,
        1,
        "requires",
        Value::names(ap.requires.iter().map(|n| n.as_str())),
    );
    a
}

fn isolation_attrs(p: &Policy, i: &Isolation) -> Attrs {
    let mut a = Attrs::new();
    put(
        &mut a,
        0,
        "sever",
        Value::names(i.sever.iter().map(|&z| zone_name(p, z))),
    );
    put(&mut a, 1, "reason", Value::text(i.reason.clone()));
    a
}

/// Every declaration change from OLD to NEW, by kind (owners, services,
/// zones, conduits, flows, firewalls, approvals, isolation modes), then by
/// case-folded name.
pub fn declarations(old: &Policy, new: &Policy) -> Vec<DeclChange> {
    let sides = Sides::new(old, new);
    let pick = |is_new: bool| if is_new { new } else { old };
    let ids = sides.same_zone_ids;
    let mut out = Vec::new();
    diff_items(
        DeclKind::Owner,
        &old.owners,
        &new.owners,
        |o| &o.name,
        |a, b| a == b,
        |o, _| owner_attrs(o),
        &mut out,
    );
    diff_items(
        DeclKind::Service,
        &old.services,
        &new.services,
        |s| &s.name,
        |a, b| a == b,
        |s, _| service_attrs(s),
        &mut out,
    );
    diff_items(
        DeclKind::Zone,
        &old.zones,
        &new.zones,
        |z| &z.name,
        |a, b| a == b,
        |z, _| zone_attrs(z),
        &mut out,
    );
    diff_items(
        DeclKind::Conduit,
        &old.conduits,
        &new.conduits,
        |c| &c.name,
        |a, b| {
            ids && a.zones == b.zones
                && a.owner == b.owner
                && a.sl == b.sl
                && a.mode == b.mode
                && sides.old_waivers.is_empty()
                && sides.new_waivers.is_empty()
        },
        |c, is_new| {
            let w = if is_new {
                &sides.new_waivers
            } else {
                &sides.old_waivers
            };
            conduit_attrs(pick(is_new), c, w)
        },
        &mut out,
    );
    sides.flows(&mut out);
    diff_items(
        DeclKind::Firewall,
        &old.firewalls,
        &new.firewalls,
        |f| &f.name,
        |a, b| ids && a == b,
        |f, is_new| firewall_attrs(pick(is_new), f),
        &mut out,
    );
    diff_items(
        DeclKind::Approval,
        &old.approvals,
        &new.approvals,
        |a| &a.name,
        |a, b| a == b,
        |a, _| approval_attrs(a),
        &mut out,
    );
    diff_items(
        DeclKind::Isolation,
        &old.isolations,
        &new.isolations,
        |i| &i.name,
        |a, b| ids && a == b,
        |i, is_new| isolation_attrs(pick(is_new), i),
        &mut out,
    );
    out
}
