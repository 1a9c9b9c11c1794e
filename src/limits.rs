//! Every documented input limit, in one place.
//!
//! Input over a limit is a policy error (exit 1) with its own diagnostic
//! code, never a crash: the loader, the parser and the checker check these
//! before doing any work whose cost depends on them. `docs/limits.md` lists
//! them for users, with what happens when one is exceeded; a test keeps it
//! in step with this file.
//!
//! Within these limits every stage is linear or `n log n` in the size of
//! the input, except where the output itself is larger (every pair of
//! overlapping zones is reported, for example).

/// Largest policy file read, in bytes (4 MiB). A larger file is `E003`.
///
/// Real policies are tens of kilobytes; the limit keeps byte offsets well
/// inside `u32` and bounds the memory and time one file can cost.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Largest policy, all files together, in bytes (16 MiB). The file that
/// crosses the limit is `E005` and is not read further, nor are the files
/// after it.
pub const MAX_POLICY_BYTES: u64 = 16 * 1024 * 1024;

/// Most declarations in one policy (50,000): top-level declarations
/// (owners, services, zones, conduits, firewalls, approvals, isolation
/// modes) and flows together. More is `E006`, and the policy is not checked
/// further.
pub const MAX_DECLARATIONS: usize = 50_000;

/// Most items in one comma-separated list (10,000): `networks`, the
/// addresses of a `host`, the members of a `group`, `zones`, `from`, `to`,
/// `service`, `scope zone`, `scope conduit`, `requires`, `sever` and the
/// parts of a `service` declaration. More is `E007`.
pub const MAX_LIST_ITEMS: usize = 10_000;

/// Most hosts and groups in one zone, together (100,000). More is `E008`.
pub const MAX_ZONE_MEMBERS: usize = 100_000;

/// Deepest composition of services (32): a service made only of specs and
/// built-in services has depth 1, one that names it depth 2, and so on.
/// Deeper is `E009`.
pub const MAX_SERVICE_DEPTH: usize = 32;

/// Most intervals (address ranges and port ranges) that the flows of one
/// policy may expand to (10,000,000), counting each distinct set once: the
/// flows that name one service, group or zone share a single copy. The
/// flow that crosses the limit is `E012`, and the policy is not checked
/// further. Real policies stay below a million; the limit bounds the memory
/// the expanded sets take (at most 320 MB, for IPv6 ranges).
pub const MAX_EXPANDED_RANGES: usize = 10_000_000;

/// Longest name, in characters (48), so that a flow's full name
/// `conduit/flow` (97 characters) fits a Cisco ACL remark (100). Longer is `E110`.
pub const MAX_NAME_CHARS: usize = 48;

/// Longest string after unescaping, in characters (255). Longer is `E109`.
pub const MAX_STRING_CHARS: usize = 255;

/// Longest firewall interface name, in characters (64). Longer is `E601`.
pub const MAX_INTERFACE_CHARS: usize = 64;

/// Longest interface name on an `nftables` firewall (Linux `IFNAMSIZ` - 1 = 15).
pub const MAX_NFT_INTERFACE_CHARS: usize = 15;

/// Longest interface name on a `fortios` firewall (15, FortiOS's limit for
/// `config system interface` names). Longer is `E601`.
pub const MAX_FORTIOS_INTERFACE_CHARS: usize = 15;

/// Most entries in one Cisco IOS access list (4,096), counting the fixed
/// entries (fragment deny, neighbour discovery, final deny). A list is the
/// cross product of a flow's source prefixes, destination prefixes and
/// ports (and the replies), so a few hundred addresses can make millions of
/// entries; the budget keeps each list within reach of devices that hold
/// lists in hardware tables of a few thousand entries. A longer list is
/// `E606`: at check on each `cisco-ios` firewall, and at build (for a
/// generic `cisco-ios` target) before any text is produced, naming the
/// flows that contribute most.
pub const MAX_IOS_ACL_ENTRIES: usize = 4096;

/// Bytes of the configuration a transition starts from (`build --from
/// PREVIOUS`): a FortiOS configuration backup of a large device runs to
/// tens of megabytes. A larger file is `E816`, refused before it is read.
pub const MAX_PREVIOUS_BYTES: u64 = 64 * 1024 * 1024;

/// How many days ahead an expiry draws the `W104` warning (30).
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Most destination ports of one protocol (TCP, UDP) that a flow into level
/// 2 or below may admit before it draws the `W111` warning (256), counting
/// every range of the flow's services together. `tcp/1-65535` admits
/// 65,535; a vendor's dynamic range of a hundred ports stays below it.
pub const BROAD_FLOW_PORTS: u32 = 256;

/// Shortest flow `reason`, in characters after trimming spaces, that does
/// not draw the `W114` placeholder-reason warning (6): `temp`, `tbd`,
/// `n/a` and single letters fall below it.
pub const MIN_REASON_CHARS: usize = 6;

/// Entries one Cisco IOS access list may hold before it draws the `W115`
/// warning (4,000), counted as for [`MAX_IOS_ACL_ENTRIES`]: the early
/// notice that a list is close to the hard budget and to the hardware
/// (TCAM) tables of smaller devices. This is the default; a `cisco-ios`
/// firewall's `acl-budget N` (1 to [`MAX_IOS_ACL_ENTRIES`]) replaces it.
pub const IOS_ACL_ENTRY_WARNING: usize = 4000;
