//! What each platform can express: the one table that `check` (per
//! firewall of the platform) and the backends (per target) both read, so a
//! policy that checks clean for a firewall never fails to build for it.
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
//!   [`MAX_IOS_ACL_ENTRIES`](crate::limits::MAX_IOS_ACL_ENTRIES).
//!
//! Uses `model` and `limits` only; never `check`, `lower` or `backend`.

use crate::limits::{MAX_FORTIOS_INTERFACE_CHARS, MAX_INTERFACE_CHARS, MAX_NFT_INTERFACE_CHARS};
use crate::model::{AddrSet, Platform};

/// Why `platform` cannot admit exactly the IP protocol `proto` (an `ip/N`
/// service), or `None` when it can.
pub fn protocol_problem(platform: Platform, proto: u8) -> Option<&'static str> {
    match (platform, proto) {
        (Platform::CiscoIos, 0) => Some("IOS reads protocol 0 as every protocol"),
        (Platform::Fortios, 0) => Some("FortiOS reads protocol number 0 as every protocol"),
        (Platform::Fortios, 255) => Some("FortiOS protocol numbers are 0-254"),
        _ => None,
    }
}

/// The longest interface name `platform` holds, in characters.
pub fn max_interface_chars(platform: Platform) -> usize {
    match platform {
        Platform::Nftables => MAX_NFT_INTERFACE_CHARS,
        Platform::Fortios => MAX_FORTIOS_INTERFACE_CHARS,
        Platform::CiscoIos => MAX_INTERFACE_CHARS,
    }
}

/// What is wrong with `name` as an interface name on `platform`, or `None`.
///
/// Every platform: 1 to [`max_interface_chars`] characters of letters,
/// digits and `._/:-`. `nftables`: no `/` or `:` (Linux names). `cisco-ios`:
/// spaces are also allowed between the interface type (letters and `-`) and
/// its number (which starts with a digit), as in `GigabitEthernet 0/1`,
/// which IOS itself accepts.
pub fn interface_name_problem(name: &str, platform: Platform) -> Option<String> {
    let len = name.chars().count();
    let max = max_interface_chars(platform);
    let (kind, rest) = split_ios_type(name);
    let spaced = platform == Platform::CiscoIos
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
    if len == 0 {
        Some("is empty".to_string())
    } else if len > max {
        Some(format!(
            "is {len} characters long; {} interface names have at most {max}",
            platform_label(platform)
        ))
    } else if let Some(c) = bad {
        Some(format!("contains `{}`", c.escape_default()))
    } else if platform == Platform::Nftables && (name.contains('/') || name.contains(':')) {
        Some("contains `/` or `:`, which Linux interface names cannot".to_string())
    } else {
        None
    }
}

/// How a platform is named in messages about interface names.
fn platform_label(platform: Platform) -> &'static str {
    match platform {
        Platform::Nftables => "Linux",
        Platform::CiscoIos => "Cisco IOS",
        Platform::Fortios => "FortiOS",
    }
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
    match platform {
        Platform::CiscoIos => ios_interface_key(name),
        Platform::Nftables | Platform::Fortios => name.to_string(),
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
