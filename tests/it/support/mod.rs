//! Shared test support: generators and evaluators.
#![allow(dead_code)]

pub mod fortios_eval;
pub mod gen;
pub mod ios_eval;
pub mod netns;
pub mod nft_eval;
pub mod plant;
pub mod rules;
pub mod sample;
pub mod wire;
pub mod writers;
