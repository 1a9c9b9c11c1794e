//! Effective access diff: the packets NEW admits and OLD does not, and the
//! converse, by set algebra over the lowered rule sets.
//!
//! Both policies are lowered for the same date with no isolation mode and the
//! generic firewall. Every rule is a box: source addresses × destination
//! addresses × a set of points in a *service line*, one dimension on which
//! every (protocol, port or ICMP type) has a place (see
//! [`ServiceSpace`]). The newly allowed traffic
//! is `∪NEW \ ∪OLD`, computed exactly:
//!
//! 1. Rules with identical boxes in both versions cancel (they are
//!    "unchanged"). Only the remaining *changed* rules can contribute, since
//!    `(U ∪ Cn) \ (U ∪ Co) = Cn \ (U ∪ Co)`.
//! 2. Changed rules are grouped by their (source zone, destination zone) in
//!    their own version and by address family. Zones of one policy are
//!    disjoint and every rule lies inside its two zones, so only the
//!    unchanged rules of the same zone pair can overlap a group; they are
//!    filtered further by overlap and subtracted together with the changed
//!    rules of the other version whose addresses meet the same two zones.
//! 3. Within a group, rules whose destinations meet (directly or through
//!    others) form a *cluster*; clusters have disjoint destinations, so
//!    each adds its own destinations to a source's. The service line is
//!    swept once. Where a rule starts or ends, only the clusters in which a
//!    rectangle (sources × destinations, counted over the rules that have
//!    it) appears or disappears are recomputed, each by one 2-D computation
//!    over its own rules: the source axis is swept while a segment tree
//!    over the destinations counts the rules of each version, so that each
//!    source atom's destinations, `new \ old`, are read off in time
//!    proportional to their intervals. The change is folded into the slice
//!    kept by source, or, when that would visit more runs of sources than
//!    computing the whole slice costs, the slice is computed afresh.
//! 4. At each service point the sources that see the same destinations
//!    form one box; a box's services are the points at which exactly those
//!    sources see exactly those destinations. So the boxes depend only on
//!    the packets in the delta, not on how the rules were written or
//!    cut. The rules that admit a box are looked up among the rules whose
//!    destinations share a run of meeting ranges with the box's. The cost is
//!    in `docs/limits.md`.
//!
//! INVARIANT (from the checker): zones of one policy do not overlap and every
//! lowered rule's sources lie in its `src_zone` and destinations in its
//! `dst_zone`. Monitor catch-alls (`Match::Any`) take part like any rule.
//!
//! The work is split by job: `boxes` turns rules into boxes of intervals,
//! `sweep` computes the delta along the service line, `plane` the sources ×
//! destinations part of one slice, `label` names the addresses of a result,
//! and `driver` cancels unchanged rules, groups the rest and assembles the
//! boxes.

mod boxes;
mod driver;
mod label;
mod local;
mod plane;
mod space;
mod sweep;

use serde::{Serialize, Serializer};

use crate::lower::Packet;
use crate::model::{AddrSet, ServiceSpace};

pub use driver::access_delta;
pub use local::{local_delta, LocalDelta};
pub(crate) use space::{labelled, subtract, Cube};

/// The change in effective access.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccessDelta {
    /// True when both lists are empty: no change in effective access.
    pub unchanged: bool,
    /// Traffic NEW admits and OLD does not.
    pub added: Vec<AccessBox>,
    /// Traffic OLD admits and NEW does not.
    pub removed: Vec<AccessBox>,
}

/// A box of traffic: one address family, sources × destinations × services,
/// between two zones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessBox {
    /// The protocols and ports or types, e.g. `tcp/502`, `icmp/echo-request`
    /// (see the module documentation of [`crate::diff`](mod@crate::diff) for every form).
    pub services: Vec<String>,
    /// The sources.
    pub src: Side,
    /// The destinations.
    pub dst: Side,
    /// Full names of the rules (`conduit/flow`, `conduit/*`) of the admitting
    /// version whose box intersects this one, sorted.
    pub flows: Vec<String>,
    /// The exact services.
    #[serde(skip)]
    svc: ServiceSpace,
}

/// One side (sources or destinations) of an [`AccessBox`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The zone the addresses lie in.
    pub zone: String,
    /// Named endpoints (`zone`, `zone.host`, `zone.group`) whose addresses,
    /// together, are exactly `addrs` in this family; empty when no such
    /// names were found (see `except`).
    pub names: Vec<String>,
    /// When not empty, `addrs` is exactly the zone's addresses in this
    /// family minus these endpoints' (and `names` is the zone).
    pub except: Vec<String>,
    /// The addresses, as prefixes.
    #[serde(serialize_with = "as_prefixes")]
    pub addrs: AddrSet,
}

impl Side {
    /// `enterprise.it-admins, enterprise.contractor-vpn`, `line except
    /// line.plcs`, or `part of supervisory`.
    pub fn label(&self) -> String {
        if !self.except.is_empty() {
            format!("{} except {}", self.zone, self.except.join(", "))
        } else if !self.names.is_empty() {
            self.names.join(", ")
        } else {
            format!("part of {}", self.zone)
        }
    }
}

fn as_prefixes<S: Serializer>(set: &AddrSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.to_prefixes().iter().map(|p| p.to_string()))
}

impl AccessBox {
    /// True when `packet` (as an initiation) lies in the box.
    pub fn admits(&self, packet: &Packet) -> bool {
        packet.src.is_ipv4() == packet.dst.is_ipv4()
            && self.src.addrs.contains(packet.src)
            && self.dst.addrs.contains(packet.dst)
            && self
                .svc
                .admits(packet.proto, packet.dport, packet.icmp_type)
    }
}

impl AccessDelta {
    /// True when `packet` is newly allowed.
    pub fn newly_allows(&self, packet: &Packet) -> bool {
        self.added.iter().any(|b| b.admits(packet))
    }
    /// True when `packet` is no longer allowed.
    pub fn no_longer_allows(&self, packet: &Packet) -> bool {
        self.removed.iter().any(|b| b.admits(packet))
    }
}
