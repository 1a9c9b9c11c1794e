//! Naming: every object named from its content under the reserved prefix,
//! policy names shortened with a hash to the platform's limits, policy IDs,
//! and uniqueness.

use std::borrow::Cow;
use std::collections::{btree_map, BTreeMap, BTreeSet};

use foldhash::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sha2::{Digest, Sha256};

use super::{bad, Family, OBJECT_NAME_MAX};
use crate::backend::EmitError;
use crate::model::IntervalSet;

/// The prefix of every object name conduitc writes: objects outside it are
/// the operator's, and conduitc never writes one of them.
pub(super) const PREFIX: &str = "conduit-";
/// Hex digits of a SHA-256 in a group name (64 bits).
const GROUP_HASH_HEX: usize = 16;
/// The range policy IDs are drawn from: `ID_BASE..ID_BASE + ID_SPAN`.
pub(super) const ID_BASE: u32 = 1_000_000;
pub(super) const ID_SPAN: u32 = 999_000_000;

pub(super) fn hash(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn hex(s: &str, digits: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(digits);
    for b in hash(s).iter().take(digits.div_ceil(2)) {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out.truncate(digits);
    out
}

/// `s` if it fits in `max` bytes, else its head, `-` and eight hex digits
/// of its SHA-256.
pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max - 9).collect();
    format!("{head}-{}", hex(s, 8))
}

/// The addresses of one family: an IPv4 or an IPv6 interval set.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(super) enum FamSet {
    V4(IntervalSet<u32>),
    V6(IntervalSet<u128>),
}

impl FamSet {
    pub(super) fn family(&self) -> Family {
        match self {
            FamSet::V4(_) => Family::V4,
            FamSet::V6(_) => Family::V6,
        }
    }

    /// The intervals, as `u128` pairs.
    fn intervals(&self) -> Vec<(u128, u128)> {
        match self {
            FamSet::V4(s) => s
                .iter()
                .map(|(lo, hi)| (u128::from(lo), u128::from(hi)))
                .collect(),
            FamSet::V6(s) => s.iter().collect(),
        }
    }
}

/// How one address object is written: one prefix (network, length), or a
/// range that is not one prefix.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Form {
    Prefix(IpAddr, u8),
    Range(IpAddr, IpAddr),
}

fn ip(v: u128, fam: Family) -> IpAddr {
    match fam {
        Family::V4 => IpAddr::V4(Ipv4Addr::from(u32::try_from(v).unwrap_or(u32::MAX))),
        Family::V6 => IpAddr::V6(Ipv6Addr::from(v)),
    }
}

/// The form of the interval `lo..=hi` (`lo <= hi`) of `fam`: a prefix when
/// its size is a power of two and `lo` is aligned to it.
pub(super) fn form((lo, hi): (u128, u128), fam: Family) -> Form {
    let bits: u32 = match fam {
        Family::V4 => 32,
        Family::V6 => 128,
    };
    let span = hi.wrapping_sub(lo);
    if span & span.wrapping_add(1) == 0 && lo & span == 0 {
        let len = u8::try_from(bits - span.count_ones()).unwrap_or(0);
        Form::Prefix(ip(lo, fam), len)
    } else {
        Form::Range(ip(lo, fam), ip(hi, fam))
    }
}

/// An IPv6 address in RFC 5952 form (lower-case hex, leading zeros
/// dropped, the first longest run of two or more zero groups compressed,
/// never an embedded IPv4 address) with `.` for `:`, which FortiOS names
/// should not hold. Distinct addresses give distinct texts.
fn v6_text(a: Ipv6Addr) -> String {
    let g = a.segments();
    let (mut best, mut best_len) = (None, 1usize);
    let mut i = 0;
    while i < g.len() {
        if g.get(i) == Some(&0) {
            let start = i;
            while g.get(i) == Some(&0) {
                i += 1;
            }
            if i - start > best_len {
                best = Some(start);
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    let groups = |r: &[u16]| {
        r.iter()
            .map(|x| format!("{x:x}"))
            .collect::<Vec<_>>()
            .join(".")
    };
    match best {
        Some(s) => format!(
            "{}..{}",
            groups(g.get(..s).unwrap_or(&[])),
            groups(g.get(s + best_len..).unwrap_or(&[]))
        ),
        None => groups(&g),
    }
}

/// An address in the text of a name: dotted quad, or [`v6_text`].
fn addr_text(a: IpAddr) -> String {
    match a {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => v6_text(a),
    }
}

/// The name of the address object for one interval, from its content:
/// `conduit-a4-ADDR` for one address, `conduit-a4-ADDRmLEN` for a prefix,
/// `conduit-a4-LO-HI` for a range (`a6` for IPv6). An IPv6 range whose
/// name would pass the limit writes each end as 32 hex digits instead.
pub(super) fn address_name(iv: (u128, u128), fam: Family) -> String {
    let tag = match fam {
        Family::V4 => "a4",
        Family::V6 => "a6",
    };
    let full = match fam {
        Family::V4 => 32,
        Family::V6 => 128,
    };
    match form(iv, fam) {
        Form::Prefix(a, len) if len == full => format!("{PREFIX}{tag}-{}", addr_text(a)),
        Form::Prefix(a, len) => format!("{PREFIX}{tag}-{}m{len}", addr_text(a)),
        Form::Range(lo, hi) => {
            let name = format!("{PREFIX}{tag}-{}-{}", addr_text(lo), addr_text(hi));
            if name.len() <= OBJECT_NAME_MAX {
                name
            } else {
                format!("{PREFIX}{tag}-{:032x}-{:032x}", iv.0, iv.1)
            }
        }
    }
}

/// The name of a group from its members' names, in their order:
/// `PREFIX` `KIND-` and 16 hex digits of a SHA-256 of the kind and the
/// members.
pub(super) fn group_name(kind: &str, members: &[String]) -> String {
    group_name_of(kind, members.iter().map(String::as_str))
}

/// [`group_name`] of members given one by one.
pub(super) fn group_name_of<'m>(kind: &str, members: impl Iterator<Item = &'m str>) -> String {
    group_name_of_hash(kind, group_hash_of(kind, members))
}

/// The 64 bits of the SHA-256 a group name shows (its first eight bytes,
/// big-endian): [`group_name_of`] writes them as 16 hex digits, so names
/// of one kind sort as these numbers do.
fn group_hash_of<'m>(kind: &str, members: impl Iterator<Item = &'m str>) -> u64 {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    for m in members {
        h.update(b"\n");
        h.update(m.as_bytes());
    }
    let d: [u8; 32] = h.finalize().into();
    let mut b = [0u8; 8];
    b.copy_from_slice(d.get(..8).unwrap_or(&[0; 8]));
    u64::from_be_bytes(b)
}

/// The group name of kind `kind` showing `hash` ([`group_hash_of`]).
fn group_name_of_hash(kind: &str, hash: u64) -> String {
    const _: () = assert!(GROUP_HASH_HEX == 16);
    format!("{PREFIX}{kind}-{hash:016x}")
}

/// Address objects and groups, named from their content: one address
/// object per interval (shared by every group that holds it), one group
/// per address set.
#[derive(Default)]
pub(super) struct AddrNames {
    /// Set -> index of its group name in `name_ends`.
    by_set: HashMap<FamSet, usize>,
    /// Group names, quoted for the CLI, in the order the sets were named,
    /// one after the other (fewer, closer allocations than a string each).
    names: String,
    /// Where each of `names` ends.
    name_ends: Vec<usize>,
    /// (family, the hash its group name shows) -> index of the name in
    /// `name_ends` and the member intervals, in address order. In name
    /// order, since within a family the hash is the only part of the name
    /// that varies.
    groups: BTreeMap<(Family, u64), GroupEntry>,
    /// (family, interval) -> object name ([`AddrNames::objects_of`] gives
    /// them in address order).
    objects: HashMap<(Family, (u128, u128)), String>,
}

/// One address group: the index of its name in `name_ends` of
/// [`AddrNames`], and its member intervals in address order.
type GroupEntry = (usize, Vec<(u128, u128)>);

impl AddrNames {
    /// Names `set` and its intervals; refuses a group name that two
    /// different sets would share.
    /// Returns the index of the quoted name ([`AddrNames::quoted`]).
    pub(super) fn name(&mut self, set: &FamSet) -> Result<usize, EmitError> {
        if let Some(&i) = self.by_set.get(set) {
            return Ok(i);
        }
        let fam = set.family();
        let ivs = set.intervals();
        let kind = match fam {
            Family::V4 => "g4",
            Family::V6 => "g6",
        };
        for &iv in &ivs {
            self.objects
                .entry((fam, iv))
                .or_insert_with(|| address_name(iv, fam));
        }
        let hash = group_hash_of(kind, ivs.iter().map(|&iv| self.object_name(fam, iv)));
        let i = match self.groups.entry((fam, hash)) {
            btree_map::Entry::Occupied(m) if m.get().1 != ivs => {
                return Err(bad(format!(
                    "address group name {} would stand for two different sets",
                    group_name_of_hash(kind, hash)
                )))
            }
            btree_map::Entry::Occupied(m) => m.get().0,
            btree_map::Entry::Vacant(v) => {
                let i = self.name_ends.len();
                let name = group_name_of_hash(kind, hash);
                super::quote::check(&name)?;
                super::quote::push_quoted(&mut self.names, &name);
                self.name_ends.push(self.names.len());
                v.insert((i, ivs));
                i
            }
        };
        self.by_set.insert(set.clone(), i);
        Ok(i)
    }

    /// The group name at `i` in `names`, without its quotes (group names
    /// hold nothing [`super::quote::quote`] escapes).
    fn group_name(&self, i: usize) -> &str {
        let q = self.quoted(i);
        q.get(1..q.len().saturating_sub(1)).unwrap_or("")
    }

    /// The name of the object of an interval [`AddrNames::name`] has named.
    fn object_name(&self, fam: Family, iv: (u128, u128)) -> &str {
        self.objects.get(&(fam, iv)).map_or("", String::as_str)
    }

    /// The quoted group name at `i`, as [`AddrNames::name`] returned it
    /// (empty for an index it did not return).
    pub(super) fn quoted(&self, i: usize) -> &str {
        let start = match i.checked_sub(1) {
            Some(before) => self.name_ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        self.name_ends
            .get(i)
            .and_then(|&end| self.names.get(start..end))
            .unwrap_or("")
    }

    /// Address objects of one family, in address order: (name, interval).
    pub(super) fn objects_of(
        &self,
        fam: Family,
    ) -> impl Iterator<Item = (&str, (u128, u128))> + '_ {
        let mut of: Vec<((u128, u128), &str)> = self
            .objects
            .iter()
            .filter(|((f, _), _)| *f == fam)
            .map(|(&(_, iv), n)| (iv, n.as_str()))
            .collect();
        of.sort_unstable_by_key(|&(iv, _)| iv);
        of.into_iter().map(|(iv, n)| (n, iv))
    }

    /// Groups of one family, by name: (name, member names).
    pub(super) fn groups_of(
        &self,
        fam: Family,
    ) -> impl Iterator<Item = (&str, impl Iterator<Item = &str> + '_)> + '_ {
        self.sorted_groups(fam).map(move |(n, m)| {
            (
                self.group_name(n),
                m.iter().map(move |&iv| self.object_name(fam, iv)),
            )
        })
    }

    /// Groups of one family in name order: (index of the name, members).
    fn sorted_groups(&self, fam: Family) -> impl Iterator<Item = (usize, &[(u128, u128)])> + '_ {
        self.groups
            .iter()
            .filter(move |((f, _), _)| *f == fam)
            .map(|(_, (n, m))| (*n, m.as_slice()))
    }

    /// How many object and group names [`AddrNames::claim_all`] claims.
    pub(super) fn len(&self) -> usize {
        self.objects.len() + self.groups.len()
    }

    /// Claims every object and group name in `names`.
    pub(super) fn claim_all<'a>(&'a self, names: &mut Names<'a>) -> Result<(), EmitError> {
        for fam in [Family::V4, Family::V6] {
            for (n, _) in self.objects_of(fam) {
                names.claim(n, "address")?;
            }
            for (n, _) in self.sorted_groups(fam) {
                names.claim(self.group_name(n), "address")?;
            }
        }
        Ok(())
    }
}

/// The policy ID a key would take without a clash: a SHA-256 of the key
/// reduced into the range.
fn id_slot(key: &str) -> u32 {
    slot_of(hash(key))
}

fn slot_of(h: [u8; 32]) -> u32 {
    ID_BASE + (u32::from_be_bytes([h[0], h[1], h[2], h[3]]) % ID_SPAN)
}

/// [`id_slot`] of the key made of `parts` joined by newlines, without
/// building it.
pub(super) fn id_slot_of_parts(parts: &[&str]) -> u32 {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b"\n");
        }
        h.update(p.as_bytes());
    }
    slot_of(h.finalize().into())
}

/// Policy IDs for `keys` (one per policy, in the same order): each key's
/// slot; on a clash the keys are served in byte order of the key, and a
/// later one moves up to the next free ID (wrapping within the range). The
/// result depends on the set of keys, never on their order.
pub(super) fn policy_ids(keys: &[String]) -> Vec<u32> {
    let slots: Vec<u32> = keys.iter().map(|k| id_slot(k)).collect();
    policy_ids_by(&slots, |i| keys.get(i).cloned().unwrap_or_default())
}

/// [`policy_ids`] for keys given by their slots and, only where slots
/// clash, their text (`key(i)` for the key at `i`).
///
/// Serving keys in key order and moving each up to the next free ID is
/// linear probing, so the IDs taken form runs that do not depend on the
/// order: a run holds exactly the keys whose slots lie in it. Keys alone in
/// their run keep their slot; only the keys of a run of several are sorted
/// by their text and served in that order. A run that would wrap past the
/// top of the range sends every key through the plain algorithm.
pub(super) fn policy_ids_by(slots: &[u32], key: impl Fn(usize) -> String) -> Vec<u32> {
    let mut order: Vec<(u32, usize)> = slots.iter().copied().zip(0..).collect();
    order.sort_unstable();
    let mut out = slots.to_vec();
    let top = u64::from(ID_BASE) + u64::from(ID_SPAN);
    let mut start = 0;
    while start < order.len() {
        // The run from `order[start]`: keys join while their slot lies
        // below the first free ID.
        let mut end = start;
        let mut next_free = 0u64;
        while let Some(&(slot, _)) = order.get(end) {
            if end > start && u64::from(slot) >= next_free {
                break;
            }
            next_free = next_free.max(u64::from(slot)) + 1;
            end += 1;
        }
        if next_free > top {
            return assign_ids(slots.iter().zip(0..).map(|(&s, i)| (s, key(i))).collect());
        }
        if end - start > 1 {
            let run: Vec<(u32, usize)> = order.get(start..end).unwrap_or(&[]).to_vec();
            let ids = assign_ids(run.iter().map(|&(s, i)| (s, key(i))).collect());
            for (&(_, i), id) in run.iter().zip(ids) {
                if let Some(o) = out.get_mut(i) {
                    *o = id;
                }
            }
        }
        start = end;
    }
    out
}

fn assign_ids<K: Ord>(slots: Vec<(u32, K)>) -> Vec<u32> {
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by(|&a, &b| slots.get(a).map(|s| &s.1).cmp(&slots.get(b).map(|s| &s.1)));
    let mut taken = BTreeSet::new();
    let mut out = vec![0; slots.len()];
    for i in order {
        let (Some(mut id), Some(slot)) = (slots.get(i).map(|s| s.0), out.get_mut(i)) else {
            continue;
        };
        while !taken.insert(id) {
            id = ID_BASE + ((id - ID_BASE + 1) % ID_SPAN);
        }
        *slot = id;
    }
    out
}

/// Case-insensitive uniqueness of names within one namespace. A name
/// without upper-case letters is kept borrowed.
#[derive(Default)]
pub(super) struct Names<'a>(HashSet<Cow<'a, str>>);

impl<'a> Names<'a> {
    /// Room for `n` more names without growing.
    pub(super) fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }

    /// Room for `n` names without growing.
    pub(super) fn with_capacity(n: usize) -> Self {
        Names(HashSet::with_capacity_and_hasher(n, Default::default()))
    }

    pub(super) fn claim(&mut self, name: &'a str, what: &str) -> Result<(), EmitError> {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.claim_owned(name.to_string(), what)
        } else {
            self.insert(Cow::Borrowed(name), name, what)
        }
    }

    pub(super) fn claim_owned(&mut self, name: String, what: &str) -> Result<(), EmitError> {
        let key = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            name.to_ascii_lowercase()
        } else {
            name.clone()
        };
        self.insert(Cow::Owned(key), &name, what)
    }

    fn insert(&mut self, key: Cow<'a, str>, name: &str, what: &str) -> Result<(), EmitError> {
        if name.len() > OBJECT_NAME_MAX {
            return Err(bad(format!("{what} name {name} is too long")));
        }
        if !self.0.insert(key) {
            return Err(bad(format!("{what} name {name} would be used twice")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_is_deterministic_and_bounded() {
        let long = "a".repeat(97);
        let s = shorten(&long, 35);
        assert_eq!(s.len(), 35);
        assert_eq!(s, shorten(&long, 35));
        assert_ne!(s, shorten(&"a".repeat(96), 35));
        assert_eq!(shorten("c/f", 35), "c/f");
    }

    fn v4(a: &str) -> u128 {
        u128::from(u32::from(a.parse::<Ipv4Addr>().unwrap()))
    }

    fn v6(a: &str) -> u128 {
        u128::from(a.parse::<Ipv6Addr>().unwrap())
    }

    #[test]
    fn address_names_say_what_the_object_holds() {
        let n4 = |lo, hi| address_name((v4(lo), v4(hi)), Family::V4);
        assert_eq!(n4("10.120.0.10", "10.120.0.10"), "conduit-a4-10.120.0.10");
        assert_eq!(n4("10.120.0.0", "10.120.0.255"), "conduit-a4-10.120.0.0m24");
        assert_eq!(n4("0.0.0.0", "255.255.255.255"), "conduit-a4-0.0.0.0m0");
        assert_eq!(
            n4("10.0.0.5", "10.0.0.9"),
            "conduit-a4-10.0.0.5-10.0.0.9",
            "not one prefix"
        );
        assert_eq!(n4("10.0.0.2", "10.0.0.5"), "conduit-a4-10.0.0.2-10.0.0.5");
        let n6 = |lo, hi| address_name((v6(lo), v6(hi)), Family::V6);
        assert_eq!(
            n6("2001:db8:30::10", "2001:db8:30::10"),
            "conduit-a6-2001.db8.30..10"
        );
        assert_eq!(
            n6("2001:db8:10::", "2001:db8:10:ffff:ffff:ffff:ffff:ffff"),
            "conduit-a6-2001.db8.10..m48"
        );
        assert_eq!(
            n6("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            "conduit-a6-..m0"
        );
        // Rust writes these two with a dotted IPv4 tail; the name must not.
        assert_eq!(
            n6("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            "conduit-a6-..ffff.102.304"
        );
        assert_eq!(
            n6("::ffff:1:2:3:4", "::ffff:1:2:3:4"),
            "conduit-a6-..ffff.1.2.3.4"
        );
        // The first of two equal runs is compressed; a single zero group is not.
        assert_eq!(
            n6("1:0:0:2:0:0:3:4", "1:0:0:2:0:0:3:4"),
            "conduit-a6-1..2.0.0.3.4"
        );
        assert_eq!(
            n6("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
            "conduit-a6-1.0.2.3.4.5.6.7"
        );
        let long = n6(
            "2001:db8:1111:2222:3333:4444:5555:6661",
            "2001:db8:1111:2222:3333:4444:5555:6667",
        );
        assert_eq!(
            long,
            "conduit-a6-20010db8111122223333444455556661-20010db8111122223333444455556667"
        );
        assert!(long.len() <= OBJECT_NAME_MAX);
    }

    #[test]
    fn group_names_hash_their_members() {
        let a = vec!["conduit-a4-10.0.0.1".to_string()];
        let b = vec!["conduit-a4-10.0.0.2".to_string()];
        let g = group_name("g4", &a);
        assert!(g.starts_with("conduit-g4-"), "{g}");
        assert_eq!(g.len(), "conduit-g4-".len() + 16);
        assert!(g["conduit-g4-".len()..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(g, group_name("g4", &a));
        assert_ne!(g, group_name("g4", &b));
        assert_ne!(
            group_name("g4", &a)["conduit-g4-".len()..],
            group_name("g6", &a)["conduit-g6-".len()..]
        );
    }

    #[test]
    fn clashing_ids_move_up_in_key_order_and_wrap() {
        let top = ID_BASE + ID_SPAN - 1;
        // Served by key: "a" keeps the slot whatever the input order.
        assert_eq!(
            assign_ids(vec![(7_000_000, "b"), (7_000_000, "a")]),
            [7_000_001, 7_000_000]
        );
        assert_eq!(
            assign_ids(vec![(7_000_000, "a"), (7_000_000, "b")]),
            [7_000_000, 7_000_001]
        );
        // A moved ID skips one already taken, and wraps at the top of the range.
        assert_eq!(
            assign_ids(vec![
                (top, "a"),
                (top, "b"),
                (ID_BASE, "0"),
                (5_000_000, "c")
            ]),
            [top, ID_BASE + 1, ID_BASE, 5_000_000]
        );
        // Real keys whose slots clash.
        let k = |f: &str| format!("conduitc-policy\nc/{f}\na\nb");
        assert_eq!(id_slot(&k("f5010")), 412_068_364);
        assert_eq!(id_slot(&k("f13600")), 412_068_364);
        assert_eq!(
            policy_ids(&[k("f5010"), k("f13600")]),
            [412_068_365, 412_068_364]
        );
        assert_eq!(
            policy_ids(&[k("f13600"), k("f5010")]),
            [412_068_364, 412_068_365]
        );
        assert_eq!(policy_ids(&[k("f5010")]), [412_068_364]);
    }

    /// Serving only the runs of clashing slots in key order gives the IDs
    /// of serving every key in key order, wrapping runs included.
    #[test]
    fn runs_of_clashing_slots_give_the_ids_of_the_plain_algorithm() {
        let top = ID_BASE + ID_SPAN - 1;
        // A small linear congruential sequence: slots crowded into a few
        // narrow windows (one at the top of the range) so runs form, merge
        // and wrap; keys in an order unrelated to the slots.
        let mut x: u64 = 12345;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        for case in 0..200 {
            let n = 1 + usize::try_from(next() % 40).unwrap();
            let slots: Vec<u32> = (0..n)
                .map(|_| {
                    let off = u32::try_from(next() % 30).unwrap();
                    match next() % 3 {
                        0 => ID_BASE + off,
                        1 => 7_000_000 + off,
                        _ if case % 2 == 0 => top - off,
                        _ => 9_000_000 + off * 1000,
                    }
                })
                .collect();
            // Distinct keys, as policies' keys are.
            let keys: Vec<String> = (0..n).map(|i| format!("k{}-{i}", next() % 50)).collect();
            let plain = assign_ids(slots.iter().copied().zip(keys.iter().cloned()).collect());
            let runs = policy_ids_by(&slots, |i| keys[i].clone());
            assert_eq!(runs, plain, "case {case}: {slots:?} {keys:?}");
        }
    }
}
