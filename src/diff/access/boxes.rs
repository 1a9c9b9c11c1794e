//! Rules as boxes: one address family's sources × destinations × points
//! of the service line, each axis a normalised interval list.

use crate::lower::Rule;
use crate::model::AddrSet;

/// A rule restricted to one address family, as intervals.
#[derive(Clone, Debug)]
pub(super) struct FBox {
    /// Index of the rule in its rule list.
    pub(super) rule: usize,
    pub(super) src: Vec<(u128, u128)>,
    pub(super) dst: Vec<(u128, u128)>,
    pub(super) svc: Vec<(u32, u32)>,
}

pub(super) fn family(set: &AddrSet, v6: bool) -> Vec<(u128, u128)> {
    if v6 {
        set.v6_ranges()
            .map(|(a, b)| (u128::from(a), u128::from(b)))
            .collect()
    } else {
        set.v4_ranges()
            .map(|(a, b)| (u32::from(a) as u128, u32::from(b) as u128))
            .collect()
    }
}

/// True when the family part of `set` meets `iv` (no allocation).
pub(super) fn set_overlaps(set: &AddrSet, v6: bool, iv: &[(u128, u128)]) -> bool {
    fn walk(ranges: impl Iterator<Item = (u128, u128)>, iv: &[(u128, u128)]) -> bool {
        let mut j = 0;
        for (lo, hi) in ranges {
            while j < iv.len() && iv[j].1 < lo {
                j += 1;
            }
            match iv.get(j) {
                None => return false,
                Some(&(a, _)) if a <= hi => return true,
                Some(_) => {}
            }
        }
        false
    }
    if v6 {
        walk(
            set.v6_ranges().map(|(a, b)| (u128::from(a), u128::from(b))),
            iv,
        )
    } else {
        walk(
            set.v4_ranges()
                .map(|(a, b)| (u32::from(a) as u128, u32::from(b) as u128)),
            iv,
        )
    }
}

pub(super) fn to_set(iv: &[(u128, u128)], v6: bool) -> AddrSet {
    if v6 {
        AddrSet::from_v6_ranges(iv.to_vec())
    } else {
        AddrSet::from_v4_ranges(
            iv.iter()
                .map(|&(a, b)| (clamp_v4(a), clamp_v4(b)))
                .collect(),
        )
    }
}

fn clamp_v4(x: u128) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

pub(super) fn fbox(rule: usize, r: &Rule, v6: bool) -> Option<FBox> {
    let src = family(&r.src, v6);
    let dst = family(&r.dst, v6);
    if src.is_empty() || dst.is_empty() {
        return None;
    }
    Some(FBox {
        rule,
        src,
        dst,
        svc: r.matcher.space().into_ranges(),
    })
}

/// An interval of addresses of one family (IPv4 widened to `u128`).
pub(super) type Span = (u128, u128);
/// Address intervals of one family.
pub(super) type Iv = Vec<Span>;
/// Service-line intervals.
pub(super) type Sv = Vec<(u32, u32)>;
/// A result box: service intervals × sources × destinations.
pub(super) type Piece = (Sv, Iv, Iv);
