//! Backends: a [`RuleSet`](crate::lower::RuleSet) becomes target text.
//! Backends never look at syntax or the checker.
