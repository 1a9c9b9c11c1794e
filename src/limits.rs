//! Every documented input limit, in one place.
//!
//! Input over a limit is a policy error (exit 1) with its own diagnostic
//! code, never a crash: the loader and the parser check these before doing
//! any work whose cost depends on them. `docs/language.md` lists them for
//! users.

/// Largest policy file read, in bytes (4 MiB). A larger file is `E003`.
///
/// Real policies are tens of kilobytes; the limit keeps byte offsets well
/// inside `u32` and bounds the memory and time one file can cost.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Longest name, in characters (48), so that a flow's full name
/// `conduit/flow` (97 characters) fits a Cisco ACL remark (100). Longer is `E110`.
pub const MAX_NAME_CHARS: usize = 48;

/// Longest string after unescaping, in characters (255). Longer is `E109`.
pub const MAX_STRING_CHARS: usize = 255;

/// Longest firewall interface name, in characters (64). Longer is `E601`.
pub const MAX_INTERFACE_CHARS: usize = 64;

/// Longest interface name on an `nftables` firewall (Linux `IFNAMSIZ` - 1 = 15).
pub const MAX_NFT_INTERFACE_CHARS: usize = 15;

/// How many days ahead an expiry draws the `W104` warning (30).
pub const EXPIRY_WARNING_DAYS: i64 = 30;
