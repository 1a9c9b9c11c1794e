//! The one integration-test binary (one link instead of many).

mod graph;
mod lowering;
mod paths;
mod support;
