//! Naming: address objects and groups named after their zone, names
//! shortened with a hash to the platform's limits, and uniqueness.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::{bad, unsupported, Family, OBJECT_NAME_MAX};
use crate::backend::EmitError;
use crate::lower::ZoneInfo;
use crate::model::AddrSet;

pub(super) fn hash(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// `s` if it fits in `max` bytes, else its head, `-` and eight hex digits
/// of its SHA-256.
pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let h = hash(s);
    let hex: String = h.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let head: String = s.chars().take(max - 9).collect();
    format!("{head}-{hex}")
}

/// The intervals of `set`'s family part, as `u128` pairs.
pub(super) fn intervals(set: &AddrSet, fam: Family) -> Vec<(u128, u128)> {
    match fam {
        Family::V4 => set
            .v4_ranges()
            .map(|(lo, hi)| (u128::from(u32::from(lo)), u128::from(u32::from(hi))))
            .collect(),
        Family::V6 => set
            .v6_ranges()
            .map(|(lo, hi)| (u128::from(lo), u128::from(hi)))
            .collect(),
    }
}

/// Address objects and groups by (zone, family), named in first-use order:
/// one address object per interval (`ZONE.v4-N`, shared by every group of
/// the zone that holds the interval), one group per address set
/// (`ZONE.v4` for the whole zone, else `ZONE.v4.K`).
#[derive(Default)]
pub(super) struct AddrNames {
    /// (zone index, family) -> [(group name, set)]
    pub(super) sets: BTreeMap<(usize, Family), Vec<(String, AddrSet)>>,
    /// (zone index, family) -> intervals, in first-use order.
    pub(super) objects: BTreeMap<(usize, Family), Vec<(u128, u128)>>,
    /// Zone names by index.
    pub(super) zone_names: BTreeMap<usize, String>,
    /// Where each set sits in `sets`, so naming and lookup cost no scan.
    pub(super) set_index: std::collections::HashMap<(usize, Family, AddrSet), usize>,
    /// How many `ZONE.v4.K` names each (zone, family) has.
    pub(super) numbered: BTreeMap<(usize, Family), usize>,
    /// Where each interval sits in `objects`.
    pub(super) object_index: std::collections::HashMap<(usize, Family, (u128, u128)), usize>,
}

impl AddrNames {
    pub(super) fn name(
        &mut self,
        zones: &[ZoneInfo],
        zone: usize,
        fam: Family,
        set: &AddrSet,
    ) -> Result<(), EmitError> {
        let Some(z) = zones.get(zone) else {
            return Err(unsupported("a zone index out of range".into()));
        };
        self.zone_names.insert(zone, z.name.clone());
        if self.set_index.contains_key(&(zone, fam, set.clone())) {
            return Ok(());
        }
        let list = self.sets.entry((zone, fam)).or_default();
        let name = if *set == fam.part(&z.addrs) {
            format!("{}.{}", z.name, fam.tag())
        } else {
            let k = self.numbered.entry((zone, fam)).or_default();
            *k += 1;
            format!("{}.{}.{k}", z.name, fam.tag())
        };
        self.set_index.insert((zone, fam, set.clone()), list.len());
        list.push((name, set.clone()));
        let objects = self.objects.entry((zone, fam)).or_default();
        for iv in intervals(set, fam) {
            if let std::collections::hash_map::Entry::Vacant(e) =
                self.object_index.entry((zone, fam, iv))
            {
                e.insert(objects.len());
                objects.push(iv);
            }
        }
        Ok(())
    }

    pub(super) fn lookup(
        &self,
        zone: usize,
        fam: Family,
        set: &AddrSet,
    ) -> Result<String, EmitError> {
        self.set_index
            .get(&(zone, fam, set.clone()))
            .and_then(|&i| self.sets.get(&(zone, fam))?.get(i))
            .map(|(n, _)| n.clone())
            .ok_or_else(|| unsupported("an address set without a name".into()))
    }

    pub(super) fn object_name(&self, zone: usize, fam: Family, index: usize) -> String {
        let z = self.zone_names.get(&zone).map(String::as_str).unwrap_or("");
        format!("{z}.{}-{}", fam.tag(), index + 1)
    }

    /// Address objects of one family, by zone: (name, interval).
    pub(super) fn objects_of(&self, fam: Family) -> Vec<(String, (u128, u128))> {
        self.objects
            .iter()
            .filter(|((_, f), _)| *f == fam)
            .flat_map(|(&(z, f), ivs)| {
                ivs.iter()
                    .enumerate()
                    .map(move |(i, iv)| (self.object_name(z, f, i), *iv))
            })
            .collect()
    }

    /// Groups of one family, by zone then first use: (name, member names).
    pub(super) fn groups_of(&self, fam: Family) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        for (&(z, f), list) in &self.sets {
            if f != fam {
                continue;
            }
            for (name, set) in list {
                let members = intervals(set, f)
                    .iter()
                    .filter_map(|iv| self.object_index.get(&(z, f, *iv)).copied())
                    .map(|i| self.object_name(z, f, i))
                    .collect();
                out.push((name.clone(), members));
            }
        }
        out
    }

    pub(super) fn all_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for fam in [Family::V4, Family::V6] {
            out.extend(self.objects_of(fam).into_iter().map(|(n, _)| n));
            out.extend(self.groups_of(fam).into_iter().map(|(n, _)| n));
        }
        out
    }
}

/// Case-insensitive uniqueness of names within one namespace.
#[derive(Default)]
pub(super) struct Names(BTreeSet<String>);

impl Names {
    pub(super) fn claim(&mut self, name: &str, what: &str) -> Result<(), EmitError> {
        if name.len() > OBJECT_NAME_MAX {
            return Err(bad(format!("{what} name {name} is too long")));
        }
        if !self.0.insert(name.to_ascii_lowercase()) {
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
}
