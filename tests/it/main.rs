//! The one integration-test binary (one link instead of many).

mod lowering;
mod paths;
mod support;
