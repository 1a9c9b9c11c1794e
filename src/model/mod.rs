//! The checked, immutable policy model.
//!
//! `check` builds a [`Policy`] from the syntax tree once every error has been
//! ruled out; everything downstream (lowering, backends, `query`, `diff`)
//! reads only this. It never refers back to syntax: spans stay in the
//! diagnostics. Names are stored as declared; lookups fold case.
//!
//! Identifiers such as [`ZoneId`] are indexes into the policy's vectors,
//! which are kept in declaration order (file order, then position).

pub mod addr;
pub mod catalogue;
pub mod interval;
pub mod platform;
pub mod service;
pub mod service_space;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

pub use addr::AddrSet;
pub use interval::IntervalSet;
pub use service::{PortSet, Proto, ServiceSet};
pub use service_space::ServiceSpace;

/// A user-declared name: the spelling as declared, compared case-insensitively.
///
/// The text is shared: cloning a name (as the model does for every flow
/// that names an owner, host or group) copies a pointer, not the text.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(Arc<str>);

impl Name {
    /// Wraps a declared name.
    pub fn new(s: impl Into<String>) -> Self {
        Name(Arc::from(s.into()))
    }
    /// The name as declared.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The case-folded key used for comparison.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
    /// Case-insensitive comparison with a string.
    pub fn is(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for Name {}
impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // As `self.key().hash(state)`, without building the key.
        let mut buf = [0u8; 64];
        for chunk in self.0.as_bytes().chunks(buf.len()) {
            let folded = &mut buf[..chunk.len()];
            folded.copy_from_slice(chunk);
            folded.make_ascii_lowercase();
            state.write(folded);
        }
        state.write_u8(0xff);
    }
}
impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // As `self.key().cmp(&other.key())`, without building the keys.
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(other.0.bytes().map(|b| b.to_ascii_lowercase()))
    }
}
impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text the model shares rather than copies (a waiver's code, reason and
/// scope: one policy may waive a warning on every one of its flows).
///
/// It reads as a `str` (it dereferences to one), compares with `str` and
/// `String`, and serialises as a plain string; cloning it copies a pointer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(Arc<str>);

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// True when both share one text (a clone of the other), not merely
    /// equal text.
    pub fn ptr_eq(&self, other: &Text) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Arc::from(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Arc::from(s))
    }
}

impl From<&Text> for Name {
    /// The name spelled `t`, sharing its text.
    fn from(t: &Text) -> Self {
        Name(t.0.clone())
    }
}

impl From<&Name> for Text {
    /// The text of a declared name, shared with it.
    fn from(n: &Name) -> Self {
        Text(n.0.clone())
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        *self == *other.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Purdue level: 0, 1, 2, 3, 3.5, 4 or 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    /// Level 0: process.
    #[serde(rename = "0")]
    L0,
    /// Level 1: basic control.
    #[serde(rename = "1")]
    L1,
    /// Level 2: area supervisory control.
    #[serde(rename = "2")]
    L2,
    /// Level 3: site operations.
    #[serde(rename = "3")]
    L3,
    /// Level 3.5: the IT/OT DMZ.
    #[serde(rename = "3.5")]
    L3_5,
    /// Level 4: site business / enterprise.
    #[serde(rename = "4")]
    L4,
    /// Level 5: enterprise / external.
    #[serde(rename = "5")]
    L5,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 7] = [
        Level::L0,
        Level::L1,
        Level::L2,
        Level::L3,
        Level::L3_5,
        Level::L4,
        Level::L5,
    ];
    /// Parses `0`, `1`, `2`, `3`, `3.5`, `4` or `5`.
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
    /// The level as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::L0 => "0",
            Level::L1 => "1",
            Level::L2 => "2",
            Level::L3 => "3",
            Level::L3_5 => "3.5",
            Level::L4 => "4",
            Level::L5 => "5",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar date (`YYYY-MM-DD`), serialised in that form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(time::Date);

impl Date {
    /// Parses `YYYY-MM-DD` (a real calendar date): exactly four, two and
    /// two ASCII digits, so `+202-01-01` or ` 2026-1-01` is not a date.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        let shape = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !shape {
            return None;
        }
        let y: i32 = s.get(0..4)?.parse().ok()?;
        let m: u8 = s.get(5..7)?.parse().ok()?;
        let d: u8 = s.get(8..10)?.parse().ok()?;
        let month = time::Month::try_from(m).ok()?;
        time::Date::from_calendar_date(y, month, d).ok().map(Date)
    }
    /// Today's date in UTC.
    pub fn today() -> Date {
        Date(time::OffsetDateTime::now_utc().date())
    }
    /// The date `days` later (earlier when negative), saturating at the calendar's ends.
    pub fn add_days(self, days: i64) -> Date {
        Date(
            self.0
                .checked_add(time::Duration::days(days))
                .unwrap_or(self.0),
        )
    }
    /// Whole days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        (other.0 - self.0).whole_days()
    }
}

/// Why a string is not a [`Date`] (from [`str::parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadDate(String);

impl fmt::Display for BadDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a date: expected YYYY-MM-DD, a real calendar date",
            crate::source::escape_control(&self.0)
        )
    }
}

impl std::error::Error for BadDate {}

impl std::str::FromStr for Date {
    type Err = BadDate;
    /// Parses `YYYY-MM-DD` as [`Date::parse`] does.
    ///
    /// ```
    /// use conduitc::model::Date;
    ///
    /// let d: Date = "2026-12-01".parse().unwrap();
    /// assert_eq!(d.to_string(), "2026-12-01");
    /// let e = "2026-02-30".parse::<Date>().unwrap_err();
    /// assert_eq!(e.to_string(), "`2026-02-30` is not a date: expected YYYY-MM-DD, a real calendar date");
    /// ```
    fn from_str(s: &str) -> Result<Date, BadDate> {
        Date::parse(s).ok_or_else(|| BadDate(s.to_string()))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("invalid date `{s}`")))
    }
}

/// Index of a zone in [`Policy::zones`].
pub type ZoneId = usize;
/// Index of a conduit in [`Policy::conduits`].
pub type ConduitId = usize;

/// An accountable owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// Declared name.
    pub name: Name,
    /// Display name (`name "Plant operations"`).
    pub display_name: Option<String>,
    /// Contact (required).
    pub contact: String,
}

/// A named service, user-declared or built in, flattened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Declared name.
    pub name: Name,
    /// Everything it admits, with composition resolved.
    pub set: ServiceSet,
    /// The specs and service names as written, for reports.
    pub written: Vec<String>,
    /// Counts as interactive remote access for the remote-access lint.
    pub remote_access: bool,
    /// True for a catalogue entry, false for a user declaration.
    pub builtin: bool,
}

/// What a zone's `networks` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Networks {
    /// Explicit prefixes.
    Prefixes(Vec<IpNet>),
    /// `networks any`: everything no other zone claims.
    Any,
}

/// A host of a zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// Declared name (unique within its zone).
    pub name: Name,
    /// Its addresses (IPv4 and/or IPv6).
    pub addrs: Vec<IpAddr>,
}

/// A member of a group as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupMember {
    /// A host of the same zone.
    Host(Name),
    /// A prefix (or single address as a /32 or /128).
    Prefix(IpNet),
}

/// A group of a zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Declared name (unique within its zone, distinct from its hosts).
    pub name: Name,
    /// Members as written.
    pub members: Vec<GroupMember>,
    /// The resolved addresses.
    pub addrs: AddrSet,
}

/// A zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    /// Declared name.
    pub name: Name,
    /// Purdue level.
    pub level: Level,
    /// Accountable owner (an owner's name).
    pub owner: Name,
    /// Target security level 1-4.
    pub sl: Option<u8>,
    /// Free text.
    pub description: Option<String>,
    /// `supplier`: the zone holds parties outside the plant's organisation
    /// (suppliers, integrators, vendor support, third-party remote access),
    /// whose access is temporary by nature (W112).
    #[serde(default)]
    pub supplier: bool,
    /// `networks` as written.
    pub networks: Networks,
    /// The addresses the zone owns: its prefixes, or for `networks any`
    /// the complement of every other zone's prefixes (both families).
    pub addrs: AddrSet,
    /// Hosts, in declaration order.
    pub hosts: Vec<Host>,
    /// Groups, in declaration order.
    pub groups: Vec<Group>,
}

impl Zone {
    /// Finds a host by name (case-insensitive).
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name.is(name))
    }
    /// Finds a group by name (case-insensitive).
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name.is(name))
    }
}

/// Enforcement mode of a conduit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Only declared flows pass (the default).
    Enforce,
    /// Declared flows pass, and every other packet between the two zones is
    /// admitted and logged.
    Monitor,
}

/// What a flow endpoint names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "name")]
pub enum Member {
    /// The whole zone.
    Zone,
    /// One host of the zone.
    Host(Name),
    /// One group of the zone.
    Group(Name),
}

/// One resolved endpoint of a flow (`zone`, `zone.host` or `zone.group`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The zone it lies in.
    pub zone: ZoneId,
    /// What within the zone.
    pub member: Member,
    /// Its addresses.
    pub addrs: AddrSet,
}

/// A waiver recorded in the model: a warning that was accepted on purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Waiver {
    /// The diagnostic code waived (e.g. `W301`).
    pub code: Text,
    /// Why it is accepted.
    pub reason: Text,
    /// Where: `conduit` or `conduit/flow`.
    pub scope: Text,
}

/// A permitted flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// Declared name (unique within its conduit).
    pub name: Name,
    /// `conduit/flow`, with declared spellings; shared with the rules
    /// lowering makes of the flow.
    pub full_name: Text,
    /// Sources, all in `from_zone`.
    pub from: Vec<Endpoint>,
    /// Destinations, all in `to_zone`.
    pub to: Vec<Endpoint>,
    /// The zone of every source.
    pub from_zone: ZoneId,
    /// The zone of every destination.
    pub to_zone: ZoneId,
    /// Union of the sources' addresses.
    pub src: AddrSet,
    /// Union of the destinations' addresses.
    pub dst: AddrSet,
    /// Services as written (names and inline specs), for reports; the
    /// text is shared with every equal spelling.
    pub service_refs: Vec<Text>,
    /// What the flow admits, flattened.
    pub services: ServiceSet,
    /// Effective owner (the flow's own, else the conduit's).
    pub owner: Name,
    /// Business justification.
    pub reason: Text,
    /// Last day in force.
    pub expires: Option<Date>,
    /// Safe operation depends on it.
    pub essential: bool,
    /// Log every new connection it admits.
    pub log: bool,
}

impl Flow {
    /// True when the flow is in force on `today` (not expired).
    pub fn in_force_on(&self, today: Date) -> bool {
        self.expires.is_none_or(|e| today <= e)
    }
}

/// A conduit between exactly two zones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conduit {
    /// Declared name.
    pub name: Name,
    /// The two zones, as declared.
    pub zones: [ZoneId; 2],
    /// Accountable owner.
    pub owner: Name,
    /// Target security level.
    pub sl: Option<u8>,
    /// Enforce or monitor.
    pub mode: Mode,
    /// Flows, in declaration order.
    pub flows: Vec<Flow>,
}

/// Target platform of a firewall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// Linux nftables.
    Nftables,
    /// Cisco IOS / IOS-XE extended ACLs.
    CiscoIos,
    /// Fortinet FortiOS 6.4+.
    Fortios,
}

impl Platform {
    /// Every platform, in the order of the platform table
    /// ([`crate::model::platform::PLATFORMS`]).
    pub const ALL: [Platform; 3] = [Platform::Nftables, Platform::CiscoIos, Platform::Fortios];

    /// The name as written in policies, from the platform table.
    pub fn as_str(self) -> &'static str {
        crate::model::platform::spec(self).name
    }

    /// The platform a policy names `name` (exactly), from the platform table.
    pub fn from_name(name: &str) -> Option<Platform> {
        crate::model::platform::by_name(name)
    }
}

/// A firewall interface facing one zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    /// Interface name on the device (validated for the platform).
    pub name: String,
    /// The zone it faces.
    pub zone: ZoneId,
    /// The firewall's own addresses on this interface (`address ...`), in
    /// the order written; each lies in the zone's networks.
    #[serde(default)]
    pub addrs: Vec<IpAddr>,
}

/// What a firewall's local access entry is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocalKind {
    /// `manage`: administration of the firewall (SSH, SNMP, HTTPS ...).
    Manage,
    /// `control`: control-plane traffic the firewall needs (routing
    /// protocols, DHCP relay, NTP ...).
    Control,
}

impl LocalKind {
    /// The keyword: `manage` or `control`.
    pub fn as_str(self) -> &'static str {
        match self {
            LocalKind::Manage => "manage",
            LocalKind::Control => "control",
        }
    }
}

impl fmt::Display for LocalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Traffic to the firewall itself (`manage NAME { ... }` or
/// `control NAME { ... }` inside a firewall): from its sources to the
/// firewall's own addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalAccess {
    /// Declared name (unique within its firewall, across both kinds).
    pub name: Name,
    /// `firewall/entry`, with declared spellings.
    pub full_name: String,
    /// Manage or control.
    pub kind: LocalKind,
    /// Sources; each lies in a zone the firewall has an interface for.
    pub from: Vec<Endpoint>,
    /// Union of the sources' addresses.
    pub src: AddrSet,
    /// Services as written, for reports (shared text).
    pub service_refs: Vec<Text>,
    /// What the entry admits, flattened.
    pub services: ServiceSet,
    /// Accountable owner (required).
    pub owner: Name,
    /// Justification.
    pub reason: Text,
    /// Last day in force.
    pub expires: Option<Date>,
    /// Log every new connection it admits.
    pub log: bool,
}

impl LocalAccess {
    /// True when the entry is in force on `today` (not expired).
    pub fn in_force_on(&self, today: Date) -> bool {
        self.expires.is_none_or(|e| today <= e)
    }
    /// The zones of the sources, each once, in order of first appearance.
    pub fn from_zones(&self) -> Vec<ZoneId> {
        let mut out: Vec<ZoneId> = Vec::new();
        for e in &self.from {
            if !out.contains(&e.zone) {
                out.push(e.zone);
            }
        }
        out
    }
    /// The addresses of its sources that lie in `zone`.
    pub fn sources_in(&self, zone: ZoneId) -> AddrSet {
        AddrSet::union_all(
            self.from
                .iter()
                .filter(|e| e.zone == zone)
                .map(|e| &e.addrs),
        )
    }
}

/// A firewall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firewall {
    /// Declared name.
    pub name: Name,
    /// Platform.
    pub platform: Platform,
    /// Interfaces, one per zone, in declaration order.
    pub interfaces: Vec<Interface>,
    /// `acl-budget N` (`cisco-ios` only, 1 to
    /// [`MAX_IOS_ACL_ENTRIES`](crate::limits::MAX_IOS_ACL_ENTRIES)): the
    /// entries per access list above which W115 warns; `None` for the
    /// default, [`IOS_ACL_ENTRY_WARNING`](crate::limits::IOS_ACL_ENTRY_WARNING).
    #[serde(default)]
    pub acl_budget: Option<usize>,
    /// `manage` and `control` entries, in declaration order.
    #[serde(default)]
    pub local: Vec<LocalAccess>,
}

impl Firewall {
    /// The interface facing `zone`, if any.
    pub fn interface_for(&self, zone: ZoneId) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.zone == zone)
    }
    /// The firewall's own addresses: every `address` of every interface.
    /// Empty when none is declared (allowed on nftables and FortiOS, where
    /// the local path needs no address).
    pub fn own_addrs(&self) -> AddrSet {
        AddrSet::from_addrs(self.interfaces.iter().flat_map(|i| i.addrs.iter().copied()))
    }
    /// True when the firewall declares at least one `manage` entry.
    pub fn declares_management(&self) -> bool {
        self.local.iter().any(|l| l.kind == LocalKind::Manage)
    }
}

/// Comparison operator of `scope level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LevelOp {
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `=`
    #[serde(rename = "=")]
    Eq,
}

impl LevelOp {
    /// True when `level OP bound`.
    pub fn holds(self, level: Level, bound: Level) -> bool {
        match self {
            LevelOp::Le => level <= bound,
            LevelOp::Lt => level < bound,
            LevelOp::Ge => level >= bound,
            LevelOp::Gt => level > bound,
            LevelOp::Eq => level == bound,
        }
    }
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            LevelOp::Le => "<=",
            LevelOp::Lt => "<",
            LevelOp::Ge => ">=",
            LevelOp::Gt => ">",
            LevelOp::Eq => "=",
        }
    }
}

/// What an approval rule covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Zones whose level satisfies the comparison.
    Level(LevelOp, Level),
    /// Named zones.
    Zones(Vec<Name>),
    /// Named conduits.
    Conduits(Vec<Name>),
    /// Everything.
    All,
}

/// A change-approval rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Declared name.
    pub name: Name,
    /// What it covers.
    pub scope: Scope,
    /// Owners who must all approve.
    pub requires: Vec<Name>,
}

/// An isolation (island) mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Isolation {
    /// Declared name.
    pub name: Name,
    /// Zones cut off in this mode.
    pub sever: Vec<ZoneId>,
    /// Why the mode exists.
    pub reason: String,
}

/// A checked policy. Every reference in it resolves; every invariant the
/// checker enforces holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Owners, in declaration order.
    pub owners: Vec<Owner>,
    /// User-declared services (flattened), in declaration order.
    pub services: Vec<Service>,
    /// Zones, in declaration order.
    pub zones: Vec<Zone>,
    /// Conduits, in declaration order.
    pub conduits: Vec<Conduit>,
    /// Firewalls, in declaration order.
    pub firewalls: Vec<Firewall>,
    /// Approval rules, in declaration order.
    pub approvals: Vec<Approval>,
    /// Isolation modes, in declaration order.
    pub isolations: Vec<Isolation>,
    /// Accepted warnings.
    pub waivers: Vec<Waiver>,
}

impl Policy {
    /// Finds a zone by name (case-insensitive).
    pub fn zone_id(&self, name: &str) -> Option<ZoneId> {
        self.zones.iter().position(|z| z.name.is(name))
    }
    /// Finds a conduit by name (case-insensitive).
    pub fn conduit_id(&self, name: &str) -> Option<ConduitId> {
        self.conduits.iter().position(|c| c.name.is(name))
    }
    /// Finds a firewall by name (case-insensitive).
    pub fn firewall(&self, name: &str) -> Option<&Firewall> {
        self.firewalls.iter().find(|f| f.name.is(name))
    }
    /// Finds an isolation mode by name (case-insensitive).
    pub fn isolation(&self, name: &str) -> Option<&Isolation> {
        self.isolations.iter().find(|i| i.name.is(name))
    }
    /// Finds an owner by name (case-insensitive).
    pub fn owner(&self, name: &str) -> Option<&Owner> {
        self.owners.iter().find(|o| o.name.is(name))
    }
    /// Every flow with its conduit, in declaration order.
    pub fn flows(&self) -> impl Iterator<Item = (&Conduit, &Flow)> {
        self.conduits
            .iter()
            .flat_map(|c| c.flows.iter().map(move |f| (c, f)))
    }
    /// The firewall that owns `addr` as one of its interface addresses.
    pub fn firewall_of(&self, addr: IpAddr) -> Option<&Firewall> {
        self.firewalls
            .iter()
            .find(|f| f.interfaces.iter().any(|i| i.addrs.contains(&addr)))
    }
    /// The zone that owns `addr`, if any.
    pub fn zone_of(&self, addr: IpAddr) -> Option<ZoneId> {
        self.zones.iter().position(|z| z.addrs.contains(addr))
    }
}

#[cfg(test)]
mod tests {
    use super::{Date, Name};
    use std::hash::{BuildHasher, Hash, Hasher};

    #[test]
    fn names_compare_and_hash_as_their_folded_keys() {
        let names = [
            "Plant", "plant", "PLANT-2", "plant-1", "a", "", "Zone_9", "zone_10",
        ];
        let long = "X".repeat(150);
        let state = std::collections::hash_map::RandomState::new();
        let hash = |h: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
            let mut s = state.build_hasher();
            h(&mut s);
            s.finish()
        };
        for a in names.iter().copied().chain([long.as_str()]) {
            let na = Name::new(a);
            assert_eq!(hash(&|s| na.hash(s)), hash(&|s| na.key().hash(s)), "{a:?}");
            for b in names {
                let nb = Name::new(b);
                assert_eq!(na.cmp(&nb), na.key().cmp(&nb.key()), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn text_reads_compares_and_serialises_as_a_string() {
        let t = super::Text::from("W101");
        let owned = String::from("W101");
        assert_eq!(t, "W101");
        assert_eq!("W101", t);
        assert_eq!(t, *"W101");
        assert_eq!(t, owned);
        assert_eq!(owned, t);
        assert_ne!(t, super::Text::from("w101"));
        assert_eq!(t.len(), 4);
        assert_eq!(String::from(t.clone()), "W101");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"W101\"");
        let back: super::Text = serde_json::from_str("\"W101\"").unwrap();
        assert_eq!(back, t);
        assert_eq!(t.to_string(), "W101");
    }

    #[test]
    fn dates_are_exactly_four_two_and_two_ascii_digits() {
        assert_eq!(
            Date::parse("2026-12-01").map(|d| d.to_string()),
            Some("2026-12-01".to_string())
        );
        for bad in [
            "+202-01-01",
            "-202-01-01",
            " 202-01-01",
            "2026-+1-01",
            "2026-01-+1",
            "2026-1-01 ",
            "２０２６-01-01",
            "2026-02-30",
            "2026/01/01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
    }
}
