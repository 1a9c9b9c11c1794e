//! The box algebra for other clients than the access diff: the exact
//! difference of two unions of boxes, and boxes labelled by the zones of a
//! policy. `verify` compares what a device admits with what a policy allows
//! through these.

use super::boxes::{family, to_set, FBox};
use super::label::Labeller;
use super::sweep::delta;
use super::AccessBox;
use crate::model::interval::IntervalSet;
use crate::model::{AddrSet, Policy, ServiceSpace};

/// A box of packets: sources × destinations × services (packets whose
/// source and destination are of one family).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cube {
    pub(crate) src: AddrSet,
    pub(crate) dst: AddrSet,
    pub(crate) svc: ServiceSpace,
}

impl Cube {
    /// The box common to both, if any packet lies in it.
    pub(crate) fn meet(&self, other: &Cube) -> Option<Cube> {
        let c = Cube {
            src: self.src.intersection(&other.src),
            dst: self.dst.intersection(&other.dst),
            svc: self.svc.intersection(&other.svc),
        };
        (!c.is_empty()).then_some(c)
    }

    /// True when no packet lies in the box.
    pub(crate) fn is_empty(&self) -> bool {
        self.svc.is_empty()
            || !((self.src.has_v4() && self.dst.has_v4())
                || (self.src.has_v6() && self.dst.has_v6()))
    }
}

fn fboxes(cubes: &[Cube], v6: bool) -> Vec<FBox> {
    cubes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let src = family(&c.src, v6);
            let dst = family(&c.dst, v6);
            let svc = c.svc.ranges().to_vec();
            (!src.is_empty() && !dst.is_empty() && !svc.is_empty()).then_some(FBox {
                rule: i,
                src,
                dst,
                svc,
            })
        })
        .collect()
}

/// `∪plus \ ∪minus`, exactly, as disjoint boxes of one family each.
pub(crate) fn subtract(plus: &[Cube], minus: &[Cube]) -> Vec<Cube> {
    let mut out = Vec::new();
    for v6 in [false, true] {
        let p = fboxes(plus, v6);
        if p.is_empty() {
            continue;
        }
        let m = fboxes(minus, v6);
        let pr: Vec<&FBox> = p.iter().collect();
        let mr: Vec<&FBox> = m.iter().collect();
        for (svc, src, dst) in delta(&pr, &mr) {
            out.push(Cube {
                src: to_set(&src, v6),
                dst: to_set(&dst, v6),
                svc: ServiceSpace::from_line(IntervalSet::from_normalised(svc)),
            });
        }
    }
    out
}

/// The box cut along the zones of `policy` and labelled, one
/// [`AccessBox`] per (source zone, destination zone) it meets; addresses in
/// no zone are labelled with the zone `""` and no names. `flows` is copied
/// to every part.
pub(crate) fn labelled(policy: &Policy, cube: &Cube, flows: &[String]) -> Vec<AccessBox> {
    let mut labels = Labeller::new(policy);
    let mut out = Vec::new();
    for v6 in [false, true] {
        let fam = |s: &AddrSet| if v6 { s.v6_only() } else { s.v4_only() };
        let (src, dst) = (fam(&cube.src), fam(&cube.dst));
        if src.is_empty() || dst.is_empty() {
            continue;
        }
        let cut = |set: &AddrSet| -> Vec<(String, AddrSet)> {
            let mut parts = Vec::new();
            let mut rest = set.clone();
            for z in &policy.zones {
                let part = rest.intersection(&z.addrs);
                if !part.is_empty() {
                    rest = rest.difference(&part);
                    parts.push((z.name.as_str().to_string(), part));
                }
            }
            if !rest.is_empty() {
                parts.push((String::new(), rest));
            }
            parts
        };
        let (srcs, dsts) = (cut(&src), cut(&dst));
        for (sz, s) in &srcs {
            for (dz, d) in &dsts {
                let mut side = |zone: &str, set: &AddrSet| {
                    if zone.is_empty() {
                        super::Side {
                            zone: String::new(),
                            names: Vec::new(),
                            except: Vec::new(),
                            addrs: set.clone(),
                        }
                    } else {
                        labels.side(zone, v6, family(set, v6))
                    }
                };
                let src = side(sz, s);
                let dst = side(dz, d);
                out.push(AccessBox {
                    services: cube.svc.summary(),
                    src,
                    dst,
                    flows: flows.to_vec(),
                    svc: cube.svc.clone(),
                });
            }
        }
    }
    out
}
