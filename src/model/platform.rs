//! What each platform can express: the one table ([`PLATFORMS`], one
//! [`PlatformSpec`] per platform) that the parser (platform names), `check`
//! (per firewall of the platform) and the backends (per target) all read,
//! so a policy that checks clean for a firewall never fails to build for it.
//! A platform is added here, as a variant of [`Platform`], and as a backend
//! in [`crate::backend`] that serves it.
//!
//! - Protocol numbers: IOS reads `ip/0` as every protocol; FortiOS reads
//!   `protocol-number 0` as every protocol and accepts 0-254 only. Neither
//!   can admit exactly `ip/0`, and FortiOS cannot admit `ip/255`.
//! - Interface names: how long they may be and which characters they may
//!   hold, per platform.
//! - Interface identity: on Cisco IOS, `Gi0/1`, `gi 0/1` and
//!   `GigabitEthernet0/1` name the same interface ([`ios_interface_key`]).
//! - IOS list sizes: how many address terms an address set takes in an IOS
//!   entry ([`ios_address_terms`]), from which `check` and the backend
//!   count every list against
//!   [`MAX_IOS_ACL_ENTRIES`].
//!
//! Part of `model` (and re-exported as `conduitc::platform`): uses the rest
//! of `model` and `limits` only; never `check`, `lower` or `backend`.

use crate::limits::{
    MAX_FORTIOS_INTERFACE_CHARS, MAX_INTERFACE_CHARS, MAX_IOS_ACL_ENTRIES, MAX_NFT_INTERFACE_CHARS,
};
use crate::model::{AddrSet, Platform};

/// What one platform can express, as `check` and the backends read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlatformSpec {
    /// The platform.
    pub platform: Platform,
    /// The name written after `platform` in a policy (`nftables`).
    pub name: &'static str,
    /// How the platform is named in messages (`Linux`, `Cisco IOS`).
    pub label: &'static str,
    /// The interface name a diagnostic asks for (`the Linux interface name`).
    pub interface_noun: &'static str,
    /// The longest interface name, in characters.
    pub max_interface_chars: usize,
    /// The punctuation an interface name may hold besides ASCII letters and
    /// digits, in the order messages list it.
    pub interface_punctuation: &'static str,
    /// Whether spaces may separate an interface type from its number
    /// (`GigabitEthernet 0/1`).
    pub interface_spaces: bool,
    /// Whether interface names compare as the device compares them, with
    /// abbreviations expanded and case ignored ([`ios_interface_key`]),
    /// rather than as written.
    pub interface_abbreviations: bool,
    /// The IP protocol numbers that an `ip/N` service cannot be expressed
    /// as exactly, with why.
    pub unexpressible_protocols: &'static [(u8, &'static str)],
    /// The longest name of a generated object (a set, a list, an address
    /// or service object), in characters, or `None` when the target sets no
    /// limit below what declared names can produce.
    pub max_object_name_chars: Option<usize>,
    /// The longest name of one rule or policy entry (FortiOS `set name`),
    /// or `None` when entries are not named.
    pub max_rule_name_chars: Option<usize>,
    /// The longest comment or remark the target keeps, in bytes.
    pub max_comment_chars: usize,
    /// The most entries one access list may hold (the budget `E606`
    /// enforces), or `None` when the target has no such lists.
    pub max_list_entries: Option<usize>,
    /// Whether addresses are written as named sets or address groups that
    /// rules refer to (`false`: written into each entry).
    pub named_address_sets: bool,
    /// Whether the platform tracks connections, so replies need no rules of
    /// their own (`false`: stateless lists, replies are separate entries).
    pub stateful: bool,
    /// What starts a comment line in the configuration.
    pub comment_prefix: &'static str,
}

/// Linux nftables.
pub const NFTABLES: PlatformSpec = PlatformSpec {
    platform: Platform::Nftables,
    name: "nftables",
    label: "Linux",
    interface_noun: "the Linux interface name",
    max_interface_chars: MAX_NFT_INTERFACE_CHARS,
    interface_punctuation: "._-",
    interface_spaces: false,
    interface_abbreviations: false,
    unexpressible_protocols: &[],
    // nft allows 255; generated names stay well below.
    max_object_name_chars: Some(200),
    max_rule_name_chars: None,
    max_comment_chars: 128,
    max_list_entries: None,
    named_address_sets: true,
    stateful: true,
    comment_prefix: "#",
};

/// Cisco IOS / IOS-XE extended access lists.
pub const CISCO_IOS: PlatformSpec = PlatformSpec {
    platform: Platform::CiscoIos,
    name: "cisco-ios",
    label: "Cisco IOS",
    interface_noun: "the device's interface name",
    max_interface_chars: MAX_INTERFACE_CHARS,
    interface_punctuation: "._/:-",
    interface_spaces: true,
    interface_abbreviations: true,
    unexpressible_protocols: &[(0, "IOS reads protocol 0 as every protocol")],
    max_object_name_chars: None,
    max_rule_name_chars: None,
    // IOS truncates longer remarks.
    max_comment_chars: 100,
    max_list_entries: Some(MAX_IOS_ACL_ENTRIES),
    named_address_sets: false,
    stateful: false,
    comment_prefix: "!",
};

/// Fortinet FortiOS 6.4+.
pub const FORTIOS: PlatformSpec = PlatformSpec {
    platform: Platform::Fortios,
    name: "fortios",
    label: "FortiOS",
    interface_noun: "the FortiOS interface name",
    max_interface_chars: MAX_FORTIOS_INTERFACE_CHARS,
    interface_punctuation: "._/:-",
    interface_spaces: false,
    interface_abbreviations: false,
    unexpressible_protocols: &[
        (0, "FortiOS reads protocol number 0 as every protocol"),
        (255, "FortiOS protocol numbers are 0-254"),
    ],
    max_object_name_chars: Some(79),
    max_rule_name_chars: Some(35),
    max_comment_chars: 1023,
    max_list_entries: None,
    named_address_sets: true,
    stateful: true,
    comment_prefix: "#",
};

/// Every platform, in [`Platform::ALL`] order.
pub const PLATFORMS: [&PlatformSpec; 3] = [&NFTABLES, &CISCO_IOS, &FORTIOS];

/// The table entry of `platform`.
pub const fn spec(platform: Platform) -> &'static PlatformSpec {
    match platform {
        Platform::Nftables => &NFTABLES,
        Platform::CiscoIos => &CISCO_IOS,
        Platform::Fortios => &FORTIOS,
    }
}

/// The platform written `name` in a policy (exactly, case included).
pub fn by_name(name: &str) -> Option<Platform> {
    PLATFORMS
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.platform)
}

/// Every platform name, in table order.
pub fn names() -> impl Iterator<Item = &'static str> {
    PLATFORMS.iter().map(|s| s.name)
}

/// Why `platform` cannot admit exactly the IP protocol `proto` (an `ip/N`
/// service), or `None` when it can.
pub fn protocol_problem(platform: Platform, proto: u8) -> Option<&'static str> {
    spec(platform)
        .unexpressible_protocols
        .iter()
        .find(|(n, _)| *n == proto)
        .map(|(_, why)| *why)
}

/// The longest interface name `platform` holds, in characters.
pub fn max_interface_chars(platform: Platform) -> usize {
    spec(platform).max_interface_chars
}

/// What is wrong with `name` as an interface name on `platform`, or `None`.
/// `check` (`E601`) and every backend call this one function.
///
/// Every platform: 1 to [`max_interface_chars`] characters of letters,
/// digits and `._/:-`, less the punctuation the platform does not allow
/// (`nftables`: no `/` or `:`, as Linux names). Where the table allows it
/// (`cisco-ios`), spaces are also allowed between the interface type
/// (letters and `-`) and its number (which starts with a digit), as in
/// `GigabitEthernet 0/1`, which IOS itself accepts.
pub fn interface_name_problem(name: &str, platform: Platform) -> Option<String> {
    let spec = spec(platform);
    let len = name.chars().count();
    let max = spec.max_interface_chars;
    let (kind, rest) = split_ios_type(name);
    let spaced = spec.interface_spaces
        && !kind.is_empty()
        && rest.starts_with(' ')
        && rest
            .trim_start_matches(' ')
            .starts_with(|c: char| c.is_ascii_digit());
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "._/:-".contains(c);
    let bad = if spaced {
        kind.chars()
            .chain(rest.trim_start_matches(' ').chars())
            .find(|&c| !ok_char(c))
    } else {
        name.chars().find(|&c| !ok_char(c))
    };
    let refused: Vec<char> = "/:"
        .chars()
        .filter(|&c| !spec.interface_punctuation.contains(c))
        .collect();
    if len == 0 {
        Some("is empty".to_string())
    } else if len > max {
        Some(format!(
            "is {len} characters long; {} interface names have at most {max}",
            spec.label
        ))
    } else if let Some(c) = bad {
        Some(format!("contains `{}`", c.escape_default()))
    } else if name.contains(refused.as_slice()) {
        Some(format!(
            "contains {}, which {} interface names cannot",
            or_list(&refused),
            spec.label
        ))
    } else {
        None
    }
}

/// The sentence `check` (`E601`) and the backends both report for an
/// invalid interface name: ``interface name `NAME` PROBLEM``, or `None`
/// when `name` is valid on `platform` ([`interface_name_problem`]).
pub fn interface_name_error(name: &str, platform: Platform) -> Option<String> {
    interface_name_problem(name, platform)
        .map(|problem| format!("interface name `{}` {problem}", name.escape_default()))
}

/// What `check` suggests for an invalid interface name on `platform`.
pub fn interface_name_help(platform: Platform) -> String {
    let spec = spec(platform);
    let mut items = vec!["letters".to_string(), "digits".to_string()];
    items.extend(spec.interface_punctuation.chars().map(|c| format!("`{c}`")));
    let mut text = format!(
        "use {}: 1-{} characters of {}",
        spec.interface_noun,
        spec.max_interface_chars,
        join(&items, "and")
    );
    if spec.interface_spaces {
        text.push_str(", and spaces between type and number");
    }
    text
}

/// `a, b and c`.
fn join(items: &[String], last: &str) -> String {
    match items.split_last() {
        Some((tail, init)) if !init.is_empty() => format!("{} {last} {tail}", init.join(", ")),
        Some((tail, _)) => tail.clone(),
        None => String::new(),
    }
}

/// `` `a` or `b` ``.
fn or_list(chars: &[char]) -> String {
    let items: Vec<String> = chars.iter().map(|c| format!("`{c}`")).collect();
    join(&items, "or")
}

/// The IOS interface types whose abbreviations name the same interface:
/// (full name, shortest abbreviation). Any prefix of the full name at least
/// as long as the abbreviation is the same type (`Gi`, `Gig`, `Giga`, ...).
pub const IOS_INTERFACE_TYPES: &[(&str, &str)] = &[
    ("GigabitEthernet", "Gi"),
    ("FastEthernet", "Fa"),
    ("TenGigabitEthernet", "Te"),
    ("Ethernet", "Eth"),
    ("Port-channel", "Po"),
    ("Vlan", "Vl"),
    ("Loopback", "Lo"),
    ("Tunnel", "Tu"),
];

/// Splits `name` into its leading type (letters and `-`) and the rest.
fn split_ios_type(name: &str) -> (&str, &str) {
    let end = name
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '-'))
        .unwrap_or(name.len());
    name.split_at(end)
}

/// The identity of a Cisco IOS interface name: the type expanded from its
/// abbreviation ([`IOS_INTERFACE_TYPES`]), spaces between type and number
/// removed, lowercased. `Gi0/1`, `gi 0/1` and `GigabitEthernet0/1` share one
/// key; a type not in the table is kept as written (lowercased).
pub fn ios_interface_key(name: &str) -> String {
    let (kind, rest) = split_ios_type(name);
    let lower = kind.to_ascii_lowercase();
    let full = IOS_INTERFACE_TYPES
        .iter()
        .find(|(full, short)| {
            let f = full.to_ascii_lowercase();
            lower.len() >= short.len() && f.starts_with(&lower)
        })
        .map_or(lower, |(full, _)| full.to_ascii_lowercase());
    format!(
        "{full}{}",
        rest.trim_start_matches(' ').to_ascii_lowercase()
    )
}

/// The identity of an interface name on `platform`: [`ios_interface_key`]
/// on Cisco IOS, the name itself elsewhere (Linux and FortiOS names are
/// case-sensitive).
pub fn interface_key(platform: Platform, name: &str) -> String {
    if spec(platform).interface_abbreviations {
        ios_interface_key(name)
    } else {
        name.to_string()
    }
}

/// How many address terms (`any`, `host A`, `A WILDCARD`, `P/LEN`) the
/// IPv4 (`v6` false) or IPv6 part of `set` takes in Cisco IOS entries: one
/// for the whole family (`any`), else one per CIDR prefix, counted without
/// building the prefixes.
pub fn ios_address_terms(set: &AddrSet, v6: bool) -> u64 {
    if v6 {
        if set.is_all_v6() {
            return 1;
        }
        set.v6_ranges()
            .map(|(lo, hi)| prefix_count(u128::from(lo), u128::from(hi), 128))
            .fold(0, u64::saturating_add)
    } else {
        if set.is_all_v4() {
            return 1;
        }
        set.v4_ranges()
            .map(|(lo, hi)| prefix_count(u128::from(u32::from(lo)), u128::from(u32::from(hi)), 32))
            .fold(0, u64::saturating_add)
    }
}

/// How many CIDR prefixes exactly cover `lo..=hi` in a `bits`-bit address
/// space (the greedy split [`AddrSet::v4_prefixes`] makes), counted.
fn prefix_count(mut lo: u128, hi: u128, bits: u32) -> u64 {
    let mut n: u64 = 0;
    loop {
        // The block is limited by the alignment of `lo` and by what is left.
        let align = if lo == 0 {
            bits
        } else {
            lo.trailing_zeros().min(bits)
        };
        let left = match (hi - lo).checked_add(1) {
            Some(r) => 127 - r.leading_zeros(),
            None => 128,
        };
        let k = align.min(left);
        n = n.saturating_add(1);
        if k >= 128 {
            return n;
        }
        let end = lo + ((1u128 << k) - 1);
        if end >= hi {
            return n;
        }
        lo = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_counts_match_the_prefixes() {
        for (lo, hi) in [
            ("10.0.0.0", "10.0.0.0"),
            ("10.0.0.1", "10.0.0.254"),
            ("0.0.0.0", "255.255.255.255"),
            ("0.0.0.1", "255.255.255.254"),
            ("10.0.3.7", "10.9.200.3"),
        ] {
            let (lo, hi): (std::net::Ipv4Addr, std::net::Ipv4Addr) =
                (lo.parse().unwrap(), hi.parse().unwrap());
            let set = AddrSet::from_v4_ranges(vec![(u32::from(lo), u32::from(hi))]);
            assert_eq!(
                prefix_count(u128::from(u32::from(lo)), u128::from(u32::from(hi)), 32),
                set.v4_prefixes().len() as u64,
                "{lo}-{hi}"
            );
        }
        assert_eq!(prefix_count(0, u128::MAX, 128), 1);
        assert_eq!(prefix_count(1, u128::MAX, 128), 128);
        assert_eq!(prefix_count(0, u128::MAX - 1, 128), 128);
    }

    #[test]
    fn ios_abbreviations_name_one_interface() {
        for (a, b) in [
            ("Gi0/1", "GigabitEthernet0/1"),
            ("gi 0/1", "GigabitEthernet0/1"),
            ("Gig0/1", "gigabitethernet0/1"),
            ("Fa0/0", "FastEthernet0/0"),
            ("Te1/0/1", "TenGigabitEthernet1/0/1"),
            ("Eth1", "Ethernet1"),
            ("Po1", "Port-channel1"),
            ("Vl10", "Vlan10"),
            ("Lo0", "Loopback0"),
            ("Tu5", "Tunnel5"),
            ("GigabitEthernet0/1.110", "Gi0/1.110"),
        ] {
            assert_eq!(ios_interface_key(a), ios_interface_key(b), "{a} {b}");
        }
        for (a, b) in [
            ("Gi0/1", "Gi0/2"),
            ("Gi0/1", "Fa0/1"),
            ("Te0/1", "Tu0/1"),
            ("G0/1", "GigabitEthernet0/1"),
            ("Pos0/1", "Port-channel0/1"),
        ] {
            assert_ne!(ios_interface_key(a), ios_interface_key(b), "{a} {b}");
        }
    }

    #[test]
    fn interface_names_per_platform() {
        assert!(interface_name_problem("GigabitEthernet 0/1", Platform::CiscoIos).is_none());
        assert!(interface_name_problem("Gi0/1", Platform::CiscoIos).is_none());
        assert!(interface_name_problem("Gi 0/1", Platform::Fortios).is_some());
        assert!(interface_name_problem("Gi0/1 x", Platform::CiscoIos).is_some());
        assert!(interface_name_problem("0 1", Platform::CiscoIos).is_some());
        assert!(interface_name_problem("a b", Platform::CiscoIos).is_some());
        assert!(interface_name_problem("port1", Platform::Fortios).is_none());
        assert!(interface_name_problem(&"p".repeat(16), Platform::Fortios).is_some());
        assert!(interface_name_problem(&"p".repeat(15), Platform::Fortios).is_none());
        assert!(interface_name_problem("eth0/1", Platform::Nftables).is_some());
    }

    #[test]
    fn protocols_per_platform() {
        assert!(protocol_problem(Platform::CiscoIos, 0).is_some());
        assert!(protocol_problem(Platform::CiscoIos, 255).is_none());
        assert!(protocol_problem(Platform::Fortios, 0).is_some());
        assert!(protocol_problem(Platform::Fortios, 255).is_some());
        assert!(protocol_problem(Platform::Fortios, 254).is_none());
        assert!(protocol_problem(Platform::Nftables, 0).is_none());
    }
}
