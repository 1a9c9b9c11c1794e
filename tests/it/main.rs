//! The one integration-test binary (one link instead of many).

mod backend_fortios;
mod backend_golden;
mod backend_injection;
mod backend_ios;
mod lowering;
mod paths;
mod support;
