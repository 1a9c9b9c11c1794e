//! One firewall's rule set out of the rule set lowered for every zone.
//!
//! `build --out` writes a file per firewall. Lowering the policy once
//! (without a firewall) and then selecting each firewall's rules from it
//! gives the same rule set as lowering once per firewall: the rules of a
//! firewall are the rules of the conduits whose two zones face it, in the
//! same order, with the interfaces that face their zones.

use std::collections::HashMap;

use super::{rule_set_of, select, RuleSet};
use crate::model::Policy;
use crate::semantics::{BuildOptions, LowerError};

impl RuleSet {
    /// The rule set of firewall `name`, selected from `self`, a rule set
    /// lowered from `policy` without a firewall: equal to
    /// [`lower`](super::lower) of `policy` with the same date and isolation
    /// mode and with `name` as the firewall.
    ///
    /// `self` must have been lowered from `policy` without a firewall;
    /// otherwise the rules of the firewall it was lowered for are selected
    /// from again.
    ///
    /// ```
    /// use conduitc::model::{Date, Policy};
    /// use conduitc::lower::{lower, BuildOptions};
    /// let policy = Policy::default();
    /// let today = Date::parse("2026-12-01").unwrap();
    /// let all = lower(&policy, &BuildOptions::new(today)).unwrap();
    /// assert!(all.for_firewall(&policy, "edge").is_err());
    /// ```
    pub fn for_firewall(&self, policy: &Policy, name: &str) -> Result<RuleSet, LowerError> {
        let opts = BuildOptions::new(self.today)
            .with_isolation(self.isolation.clone())
            .firewall(name.to_string());
        let sel = select(policy, &opts)?;
        let zone_of: HashMap<&str, usize> = policy
            .zones
            .iter()
            .enumerate()
            .map(|(i, z)| (z.name.as_str(), i))
            .collect();
        let conduit_zones: HashMap<&str, [usize; 2]> = policy
            .conduits
            .iter()
            .map(|c| (c.name.as_str(), c.zones))
            .collect();
        let iface = |zone: &str| {
            zone_of
                .get(zone)
                .and_then(|&i| sel.iface.get(i))
                .cloned()
                .flatten()
        };
        let rules = self
            .rules
            .iter()
            .filter(|r| {
                conduit_zones
                    .get(r.conduit.as_str())
                    .is_some_and(|&z| sel.conduit_in_scope(z))
            })
            .map(|r| {
                let mut r = r.clone();
                r.in_iface = iface(&r.src_zone);
                r.out_iface = iface(&r.dst_zone);
                r
            })
            .collect();
        Ok(rule_set_of(policy, &opts, sel, rules))
    }
}
