//! Shared test support: generators and evaluators.
#![allow(dead_code)]

pub mod gen;
