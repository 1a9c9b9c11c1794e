//! Shared test support: generators and evaluators.
#![allow(dead_code)]

pub mod gen;
pub mod netns;
pub mod nft_eval;
pub mod sample;
