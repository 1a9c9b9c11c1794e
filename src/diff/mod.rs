//! `diff`: what changed between two checked policies, and who must approve it.
//!
//! Input: two [`Policy`] values (OLD and NEW) and a date. Output: a
//! [`Report`] with three parts, each computed from meaning, never from text,
//! so comments, layout and the order of declarations, attributes and list
//! members never show up:
//!
//! 1. **Declarations** ([`decl`]): declarations matched by kind and
//!    case-insensitive name (flows by full name `conduit/flow`), reported as
//!    added, removed or modified, attribute by attribute. A rename is a
//!    removal plus an addition.
//! 2. **Effective access** ([`access`]): the packets NEW admits and OLD does
//!    not (and the converse), from the lowered rule sets of both versions for
//!    the same date, with no isolation mode and the generic firewall. It is
//!    set algebra over (source × destination × protocol/port) boxes, so a
//!    change that only re-arranges flows shows no access change. Traffic
//!    to each firewall itself (its `manage` and `control` entries in force)
//!    is compared the same way, per firewall ([`access::local_delta`]).
//! 3. **Approvals** ([`approvals`]): every `approval` rule of OLD and of NEW
//!    whose scope a change touches, and the owners it requires, each with the
//!    changes that trigger it.
//!
//! Renderers for text, Markdown and JSON live in [`render`]. `diff` uses only
//! `model` and `lower`; it never reads syntax.
//!
//! # JSON shape
//!
//! `conduitc diff --format json` prints the [`Report`] as serialised by
//! serde, pretty-printed, after `"format_version": 1`
//! (docs/schema/diff.schema.json). A complete example (abridged lists):
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "no_change": false,
//!   "today": "2026-12-01",
//!   "declarations": [
//!     {
//!       "kind": "zone",
//!       "name": "enterprise",
//!       "change": "modified",
//!       "attributes": [
//!         {
//!           "attribute": "networks",
//!           "old": "10.10.0.0/16",
//!           "new": "10.10.0.0/16, 10.11.0.0/16",
//!           "gained": ["10.11.0.0/16"]
//!         }
//!       ]
//!     },
//!     {
//!       "kind": "flow",
//!       "name": "enterprise-dmz/recipe-drop",
//!       "change": "removed",
//!       "attributes": [
//!         { "attribute": "from", "old": "enterprise.it-admins", "new": null }
//!       ]
//!     }
//!   ],
//!   "access": {
//!     "unchanged": false,
//!     "added": [
//!       {
//!         "services": ["tcp/443"],
//!         "src": {
//!           "zone": "enterprise",
//!           "names": [],
//!           "except": [],
//!           "addrs": ["10.11.0.0/16"]
//!         },
//!         "dst": {
//!           "zone": "dmz",
//!           "names": ["dmz.hist-mirror"],
//!           "except": [],
//!           "addrs": ["10.35.0.10/32"]
//!         },
//!         "flows": ["enterprise-dmz/view-historian"]
//!       }
//!     ],
//!     "removed": [
//!       {
//!         "services": ["udp/123"],
//!         "src": {
//!           "zone": "line",
//!           "names": ["line.plcs"],
//!           "except": [],
//!           "addrs": ["10.1.10.11/32", "10.1.10.12/32"]
//!         },
//!         "dst": {
//!           "zone": "supervisory",
//!           "names": ["supervisory"],
//!           "except": ["supervisory.scada"],
//!           "addrs": ["10.20.0.0/29", "..."]
//!         },
//!         "flows": ["supervisory-line/*"]
//!       }
//!     ]
//!   },
//!   "approvals": [
//!     {
//!       "owner": "it-sec",
//!       "rules": [{ "name": "it-boundary", "version": "both" }],
//!       "triggers": ["zone enterprise modified"],
//!       "approved": false
//!     }
//!   ]
//! }
//! ```
//!
//! - `no_change` is true exactly when `declarations` and both access lists
//!   are empty; then `approvals` is empty too.
//! - `declarations[].kind` is one of `owner`, `service`, `zone`, `conduit`,
//!   `flow`, `firewall`, `approval`, `isolation`; `change` is `added`,
//!   `removed` or `modified`. `name` is the declared spelling (NEW's when the
//!   declaration exists in NEW). Added and removed declarations list every
//!   attribute they have (`old` or `new` null); modified ones list only the
//!   attributes that changed. List-valued attributes also carry `gained`
//!   and `lost` (omitted when empty). Attribute names are the language's
//!   keywords (`level`, `networks`, `from`, `service`, `expires`,
//!   `essential`, ...), plus `host NAME`, `group NAME` and `waive CODE` for
//!   members; flags read `yes` / `no`.
//! - `access.added` is traffic NEW admits and OLD does not; `access.removed`
//!   the converse. Each box is one address family, between the zones
//!   `src.zone` and `dst.zone` (of the version that admits the traffic);
//!   `addrs` are prefixes. `names` lists hosts, groups or the zone
//!   (`zone.host`, `zone.group`, `zone`) whose addresses together are
//!   exactly `addrs` in that family; when `except` is not empty, `addrs` is
//!   the whole zone minus those endpoints; both empty means no short exact
//!   description was found. `services` are
//!   `tcp/PORTS`, `udp/PORTS`, `icmp/TYPE`, `icmpv6/TYPE`, `ip/N` or `ip/N-M`
//!   (other IP protocols by number), `tcp/any` (every port), `icmp/any`,
//!   `ip/any-other` (every protocol but TCP, UDP, ICMP and ICMPv6) or `any`
//!   (every packet). `flows` are the rules of the version that admits the
//!   traffic whose box intersects it (`conduit/flow`, or `conduit/*` for a
//!   monitor-mode catch-all). `unchanged` is true when both lists are empty.
//! - `local_access` (present only when not empty) lists, per firewall whose
//!   `manage` and `control` entries in force admit other traffic to the
//!   firewall itself, `{"firewall", "added", "removed"}` with boxes shaped
//!   like `access`'s: `dst.zone` and `dst.names` name the firewall, `dst.addrs`
//!   are its own addresses (every address when it declares none), and
//!   `flows` are the entries (`firewall/entry`) of the admitting version.
//! - `approvals` holds one entry per required owner: the rules requiring it
//!   (`version` is `old`, `new` or `both`, the last when the rule is the same
//!   in both), the changes that trigger them, and whether the owner is among
//!   [`DiffOptions::approved_by`].

pub mod access;
pub mod approvals;
pub mod decl;
pub mod render;

use serde::Serialize;

use crate::model::{Date, Policy};

pub use access::{AccessBox, AccessDelta, LocalDelta, Side};
pub use approvals::{RequiredApproval, RuleRef, RuleVersion};
pub use decl::{AttrChange, ChangeKind, DeclChange, DeclKind};

/// What to compare with: [`DiffOptions::new`], then the setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffOptions {
    /// The date both versions are lowered for (expiry).
    pub today: Date,
    /// Owners who have approved the change (case-insensitive), to tick off
    /// in [`RequiredApproval::approved`].
    pub approved_by: Vec<String>,
}

impl DiffOptions {
    /// Options for `today`, with no approvals given.
    pub fn new(today: Date) -> Self {
        DiffOptions {
            today,
            approved_by: Vec::new(),
        }
    }
    /// Owners who have approved the change (see [`DiffOptions::approved_by`]).
    pub fn approved_by<S: Into<String>>(mut self, owners: impl IntoIterator<Item = S>) -> Self {
        self.approved_by = owners.into_iter().map(Into::into).collect();
        self
    }
}

/// The difference between two policy versions. See the [module
/// documentation](self) for its JSON form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// True when nothing changed in effect: no declaration changed and no
    /// access changed (only comments, layout or order did).
    pub no_change: bool,
    /// The date both versions were lowered for.
    pub today: Date,
    /// Declarations added, removed or modified, by kind, then name.
    pub declarations: Vec<DeclChange>,
    /// The change in effective access.
    pub access: AccessDelta,
    /// The change in traffic to the firewalls themselves (`manage` and
    /// `control` entries), per firewall where it changed, by name; omitted
    /// from JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub local_access: Vec<LocalDelta>,
    /// Owners whose approval the change needs, by owner name.
    pub approvals: Vec<RequiredApproval>,
}

impl Report {
    /// The required approvals whose owner has not approved.
    pub fn missing_approvals(&self) -> impl Iterator<Item = &RequiredApproval> {
        self.approvals.iter().filter(|a| !a.approved)
    }
}

/// Compares OLD with NEW.
///
/// ```
/// use conduitc::diff::{diff, DiffOptions};
/// use conduitc::model::{Date, Policy};
/// let p = Policy::default();
/// let report = diff(&p, &p, &DiffOptions::new(Date::parse("2026-12-01").unwrap()));
/// assert!(report.no_change);
/// assert!(report.approvals.is_empty());
/// ```
pub fn diff(old: &Policy, new: &Policy, opts: &DiffOptions) -> Report {
    let declarations = decl::declarations(old, new);
    let access = access::access_delta(old, new, opts.today);
    let local_access = access::local_delta(old, new, opts.today);
    let no_change = declarations.is_empty() && access.unchanged && local_access.is_empty();
    let approvals = if no_change {
        Vec::new()
    } else {
        approvals::required(
            old,
            new,
            &declarations,
            &access,
            &local_access,
            &opts.approved_by,
        )
    };
    Report {
        no_change,
        today: opts.today,
        declarations,
        access,
        local_access,
        approvals,
    }
}
