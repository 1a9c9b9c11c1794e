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

/// Largest policy file read, in bytes, by default (64 MiB). A larger file
/// is `E003`; [`Limits::max_file_bytes`] sets another value.
///
/// A file is parsed as a whole, so this bounds the memory one file costs
/// while it is parsed (the parser's token stream is several times the text).
/// 64 MiB holds a 100,000-flow policy of 1,000 zones (17.5 MiB) in one file
/// with room to spare, and stays far inside the `u32` byte offsets of
/// [`Span`](crate::source::Span).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Largest policy, all files together, in bytes, by default (256 MiB). The
/// file that crosses the limit is `E005` and is not read further, nor are
/// the files after it; [`Limits::max_policy_bytes`] sets another value.
pub const MAX_POLICY_BYTES: u64 = 256 * 1024 * 1024;

/// Most declarations in one policy, by default (1,000,000): top-level
/// declarations (owners, services, zones, conduits, firewalls, approvals,
/// isolation modes) and flows together. More is `E006`, and the policy is
/// not checked further; [`Limits::max_declarations`] sets another value.
pub const MAX_DECLARATIONS: usize = 1_000_000;

/// The largest value [`Limits::max_file_bytes`] accepts (4 GiB - 1): byte
/// offsets within a file are `u32`.
pub const FILE_BYTES_CEILING: u64 = u32::MAX as u64;

/// The limits that bound what one policy may cost and that a user may
/// change: file size, policy size and declaration count. The
/// [`Default`] is [`MAX_FILE_BYTES`], [`MAX_POLICY_BYTES`] and
/// [`MAX_DECLARATIONS`]. Every other limit of this module is fixed.
///
/// The loader applies the byte limits
/// ([`Sources::with_limits`](crate::Sources::with_limits)), the checker the
/// declaration count
/// ([`CheckOptions::with_limits`](crate::CheckOptions::with_limits)).
///
/// ```
/// use conduitc::limits::Limits;
///
/// let limits = Limits::default().max_file_bytes(1 << 20).max_declarations(5_000);
/// assert_eq!(limits.file_bytes(), 1 << 20);
/// assert_eq!(limits.policy_bytes(), conduitc::limits::MAX_POLICY_BYTES);
/// assert_eq!(limits.declarations(), 5_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    file_bytes: u64,
    policy_bytes: u64,
    declarations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: MAX_FILE_BYTES,
            policy_bytes: MAX_POLICY_BYTES,
            declarations: MAX_DECLARATIONS,
        }
    }
}

impl Limits {
    /// These limits with the largest file set to `bytes`, at most
    /// [`FILE_BYTES_CEILING`] (a larger value is taken as the ceiling).
    #[must_use]
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.file_bytes = bytes.min(FILE_BYTES_CEILING);
        self
    }
    /// These limits with the largest policy (all files together) set to `bytes`.
    #[must_use]
    pub fn max_policy_bytes(mut self, bytes: u64) -> Self {
        self.policy_bytes = bytes;
        self
    }
    /// These limits with the most declarations and flows set to `n`.
    #[must_use]
    pub fn max_declarations(mut self, n: usize) -> Self {
        self.declarations = n;
        self
    }
    /// Largest file, in bytes (`E003` above it).
    pub fn file_bytes(&self) -> u64 {
        self.file_bytes
    }
    /// Largest policy, all files together, in bytes (`E005` above it).
    pub fn policy_bytes(&self) -> u64 {
        self.policy_bytes
    }
    /// Most top-level declarations and flows (`E006` above it).
    pub fn declarations(&self) -> usize {
        self.declarations
    }
}

/// A byte count for messages: `4194304 bytes (4 MiB)`, `1500 bytes`.
pub(crate) fn shown_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * 1024 * 1024;
    let unit = [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")]
        .into_iter()
        .find(|(u, _)| bytes >= *u && bytes.is_multiple_of(*u));
    match unit {
        Some((u, name)) => format!("{bytes} bytes ({} {name})", bytes / u),
        None => format!("{bytes} bytes"),
    }
}

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
