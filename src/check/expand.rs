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

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use crate::limits::MAX_EXPANDED_RANGES;
use crate::model::{AddrSet, ServiceSet};

/// One kind of interval list, each distinct list stored once.
struct Pool<T> {
    /// The stored lists, by content.
    lists: HashSet<Arc<Vec<T>>>,
    /// Where the stored lists live, so that a list already shared is
    /// recognised without hashing its content. Every address here belongs
    /// to a list in `lists`, which keeps it alive and so unique.
    known: HashSet<*const Vec<T>>,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool {
            lists: HashSet::new(),
            known: HashSet::new(),
        }
    }
}

impl<T: Eq + Hash> Pool<T> {
    /// Replaces `list` with the stored equal list, storing it first if it is
    /// new; returns the number of intervals newly stored.
    fn share(&mut self, list: &mut Arc<Vec<T>>) -> usize {
        if list.is_empty() || self.known.contains(&Arc::as_ptr(list)) {
            return 0;
        }
        if let Some(stored) = self.lists.get(&**list) {
            *list = Arc::clone(stored);
            return 0;
        }
        self.known.insert(Arc::as_ptr(list));
        self.lists.insert(Arc::clone(list));
        list.len()
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
        self.v4.lists.len() + self.v6.lists.len() + self.ports.lists.len()
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
    }
}
