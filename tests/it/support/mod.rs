//! Shared test support: generators and evaluators.
#![allow(dead_code)]

pub mod fortios_eval;
pub mod gen;
pub mod ios_eval;
pub mod plant;
pub mod wire;
