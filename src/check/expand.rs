//! Sharing and bounding the sets flows expand to (`E012`).
//!
//! A flow stores its services and its source and destination addresses
//! expanded into interval sets. Many flows name the same service or group,
//! so the checker keeps one copy of each distinct interval list and makes
//! every flow share it: a service of 10,000 ports named by 50,000 flows is
//! stored once. The intervals of the distinct lists are counted as flows are
//! checked, and the flow whose sets take the count past
//! [`MAX_EXPANDED_RANGES`] is `E012`; the policy is not checked further, so
//! the stored sets never exceed the limit by more than one flow's.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use crate::limits::MAX_EXPANDED_RANGES;
use crate::model::{AddrSet, ServiceSet};

/// Hashes a key that is already a hash, or an address: one multiplication
/// spreads it over all 64 bits. Neither kind of key comes from the input,
/// so it cannot be chosen to collide.
#[derive(Default)]
struct Mix(u64);

impl Hasher for Mix {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type Mixed = BuildHasherDefault<Mix>;

/// One kind of interval list, each distinct list stored once.
struct Pool<T> {
    /// Hashes the content of a list (foldhash, seeded per process, so input
    /// cannot make lists collide).
    state: foldhash::fast::RandomState,
    /// The stored lists, by the hash of their content: each list is hashed
    /// once, and the table grows without hashing any list again.
    lists: HashMap<u64, Vec<Arc<Vec<T>>>, Mixed>,
    /// Where the stored lists live, so that a list already shared is
    /// recognised without hashing its content. Every address here belongs
    /// to a list in `lists`, which keeps it alive and so unique.
    known: HashSet<*const Vec<T>, Mixed>,
    /// The one empty list every empty set is made to share (an empty set
    /// allocates its own otherwise: many flows have no UDP ports or no
    /// IPv6 addresses).
    empty: Arc<Vec<T>>,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool {
            state: foldhash::fast::RandomState::default(),
            lists: HashMap::default(),
            known: HashSet::default(),
            empty: Arc::new(Vec::new()),
        }
    }
}

impl<T: Eq + Hash> Pool<T> {
    /// The stored list equal to `list`, if any, and the hash of its content.
    fn stored(&self, list: &Vec<T>) -> (Option<&Arc<Vec<T>>>, u64) {
        let hash = self.state.hash_one(list);
        let found = self
            .lists
            .get(&hash)
            .and_then(|l| l.iter().find(|s| ***s == *list));
        (found, hash)
    }

    /// Replaces `list` with the stored equal list, storing it first if it is
    /// new; returns the number of intervals newly stored.
    fn share(&mut self, list: &mut Arc<Vec<T>>) -> usize {
        if list.is_empty() {
            *list = Arc::clone(&self.empty);
            return 0;
        }
        if self.known.contains(&Arc::as_ptr(list)) {
            return 0;
        }
        let (found, hash) = self.stored(list);
        if let Some(stored) = found {
            *list = Arc::clone(stored);
            return 0;
        }
        self.known.insert(Arc::as_ptr(list));
        self.lists.entry(hash).or_default().push(Arc::clone(list));
        list.len()
    }

    /// Replaces `list` with the stored equal list, if there is one; stores
    /// and counts nothing.
    fn canonical(&self, list: &mut Arc<Vec<T>>) {
        if list.is_empty() {
            *list = Arc::clone(&self.empty);
            return;
        }
        if self.known.contains(&Arc::as_ptr(list)) {
            return;
        }
        if let (Some(stored), _) = self.stored(list) {
            *list = Arc::clone(stored);
        }
    }

    /// Distinct lists stored.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lists.values().map(Vec::len).sum()
    }
}

/// The distinct interval lists of every flow checked so far.
#[derive(Default)]
pub(crate) struct Expansion {
    v4: Pool<(u32, u32)>,
    v6: Pool<(u128, u128)>,
    ports: Pool<(u16, u16)>,
    /// Intervals stored in the pools, all kinds together.
    total: usize,
}

impl Expansion {
    /// Makes `set` share stored lists; false once the total is over the limit.
    pub(crate) fn share_addrs(&mut self, set: &mut AddrSet) -> bool {
        let (v4, v6) = set.shared_mut();
        self.total += self.v4.share(v4) + self.v6.share(v6);
        self.total <= MAX_EXPANDED_RANGES
    }

    /// Makes `set` share the stored lists equal to its own, where there are
    /// some; stores and counts nothing. A set kept for many flows (a host's
    /// addresses) is made canonical once, so that sharing it again is a
    /// pointer lookup.
    pub(crate) fn canonical_addrs(&self, set: &mut AddrSet) {
        let (v4, v6) = set.shared_mut();
        self.v4.canonical(v4);
        self.v6.canonical(v6);
    }

    /// Makes `set` share stored lists; false once the total is over the limit.
    pub(crate) fn share_services(&mut self, set: &mut ServiceSet) -> bool {
        self.total += self.ports.share(set.tcp.shared_mut());
        self.total += self.ports.share(set.udp.shared_mut());
        self.total <= MAX_EXPANDED_RANGES
    }

    /// Intervals stored so far.
    #[cfg(test)]
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// Distinct interval lists stored so far.
    #[cfg(test)]
    pub(crate) fn lists(&self) -> usize {
        self.v4.len() + self.v6.len() + self.ports.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PortSet;

    #[test]
    fn equal_sets_are_stored_once_and_counted_once() {
        let mut e = Expansion::default();
        let mut a = ServiceSet::new();
        a.tcp = PortSet::from_ranges((1..=100).map(|p| (p * 2, p * 2)));
        let mut b = ServiceSet::new();
        b.tcp = PortSet::from_ranges((1..=100).map(|p| (p * 2, p * 2)));
        assert!(e.share_services(&mut a));
        assert!(e.share_services(&mut b));
        assert!(e.share_services(&mut a.clone()));
        assert_eq!(e.total(), 100);
        assert_eq!(e.lists(), 1);
        assert!(std::ptr::eq(a.tcp.ranges(), b.tcp.ranges()));
        // Empty lists are shared too, and not counted.
        assert!(Arc::ptr_eq(a.udp.shared_mut(), b.udp.shared_mut()));
    }
}
