//! The backend registry: each [`Target`] maps to one [`Backend`], and each
//! [`Platform`] to the target `build --out` writes for it. The CLI's
//! `--target` values, its help text and the `--out` file names are read
//! from here.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use super::{cisco_ios, fortios, nftables, nftables_json, EmitError, Target};
use crate::lower::RuleSet;
use crate::model::Platform;

/// A compilation target's backend.
pub trait Backend: Sync {
    /// The target it implements.
    fn target(&self) -> Target;
    /// The name used on the command line (`--target NAME`), also the
    /// target's serde name.
    fn name(&self) -> &'static str;
    /// What it writes, in one line (shown by `conduitc build --help`).
    fn description(&self) -> &'static str;
    /// The extension of its files in `build --out` (`nft`, `ios`).
    fn extension(&self) -> &'static str;
    /// The platform whose firewalls it configures.
    fn platform(&self) -> Platform;
    /// Writes `rules` as this target's text into `out`. Every check that
    /// can refuse the rule set runs before the first byte is written, so an
    /// error other than [`EmitError::Io`] leaves `out` untouched.
    fn emit_to(&self, rules: &RuleSet, out: &mut dyn Write) -> Result<(), EmitError>;
    /// The same text as [`Backend::emit_to`], collected in memory.
    fn emit(&self, rules: &RuleSet) -> Result<String, EmitError>;
}

/// One registered backend: what the CLI and `build --out` show of it, and
/// its module's two entry points.
struct Registered {
    target: Target,
    name: &'static str,
    description: &'static str,
    extension: &'static str,
    platform: Platform,
    emit_to: fn(&RuleSet, &mut dyn Write) -> Result<(), EmitError>,
    emit: fn(&RuleSet) -> Result<String, EmitError>,
}

impl Backend for Registered {
    fn target(&self) -> Target {
        self.target
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn description(&self) -> &'static str {
        self.description
    }
    fn extension(&self) -> &'static str {
        self.extension
    }
    fn platform(&self) -> Platform {
        self.platform
    }
    fn emit_to(&self, rules: &RuleSet, out: &mut dyn Write) -> Result<(), EmitError> {
        (self.emit_to)(rules, out)
    }
    fn emit(&self, rules: &RuleSet) -> Result<String, EmitError> {
        (self.emit)(rules)
    }
}

/// The registry: every target's backend, in [`Target::ALL`] order.
static REGISTRY: [Registered; 4] = [
    Registered {
        target: Target::Nftables,
        name: "nftables",
        description: "nftables text for `nft -f`",
        extension: "nft",
        platform: Platform::Nftables,
        emit_to: nftables::emit_to,
        emit: nftables::emit,
    },
    Registered {
        target: Target::NftablesJson,
        name: "nftables-json",
        description: NFTABLES_JSON_DESCRIPTION,
        extension: "json",
        platform: Platform::Nftables,
        emit_to: nftables_json::emit_to,
        emit: nftables_json::emit,
    },
    Registered {
        target: Target::CiscoIos,
        name: "cisco-ios",
        description: "Cisco IOS / IOS-XE extended ACLs",
        extension: "ios",
        platform: Platform::CiscoIos,
        emit_to: cisco_ios::emit_to,
        emit: cisco_ios::emit,
    },
    Registered {
        target: Target::Fortios,
        name: "fortios",
        description: "FortiOS 6.4+ CLI configuration",
        extension: "fortios",
        platform: Platform::Fortios,
        emit_to: fortios::emit_to,
        emit: fortios::emit,
    },
];

#[cfg(feature = "nftables-json")]
const NFTABLES_JSON_DESCRIPTION: &str = "libnftables JSON for `nft -j -f`";
#[cfg(not(feature = "nftables-json"))]
const NFTABLES_JSON_DESCRIPTION: &str = "libnftables JSON for `nft -j -f` (not in this build)";

/// The backend of `target`.
pub fn backend(target: Target) -> &'static dyn Backend {
    let i = match target {
        Target::Nftables => 0,
        Target::NftablesJson => 1,
        Target::CiscoIos => 2,
        Target::Fortios => 3,
    };
    &REGISTRY[i]
}

/// Every backend, in [`Target::ALL`] order.
pub fn backends() -> impl Iterator<Item = &'static dyn Backend> {
    Target::ALL.into_iter().map(backend)
}

impl Target {
    /// The target `build --out` writes for a firewall of `platform`.
    pub fn for_platform(platform: Platform) -> Target {
        match platform {
            Platform::Nftables => Target::Nftables,
            Platform::CiscoIos => Target::CiscoIos,
            Platform::Fortios => Target::Fortios,
        }
    }

    /// Every target that configures a firewall of `platform`.
    pub fn serving(platform: Platform) -> impl Iterator<Item = Target> {
        Target::ALL
            .into_iter()
            .filter(move |t| backend(*t).platform() == platform)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A target name that no backend has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTarget(pub String);

impl fmt::Display for UnknownTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
        write!(
            f,
            "no target named `{}`; targets: {}",
            self.0.escape_default(),
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownTarget {}

impl FromStr for Target {
    type Err = UnknownTarget;

    /// The target named `s` on the command line (exactly, as
    /// [`Target::as_str`] writes it).
    fn from_str(s: &str) -> Result<Target, UnknownTarget> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownTarget(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_has_its_own_backend() {
        for t in Target::ALL {
            assert_eq!(backend(t).target(), t);
            assert_eq!(backend(t).name(), t.as_str());
            assert_eq!(t.as_str().parse::<Target>(), Ok(t));
            let serde = serde_json::to_string(&t).unwrap();
            assert_eq!(serde, format!("\"{}\"", t.as_str()));
        }
        let e = "nft".parse::<Target>().unwrap_err().to_string();
        assert_eq!(
            e,
            "no target named `nft`; targets: nftables, nftables-json, cisco-ios, fortios"
        );
    }

    #[test]
    fn every_platform_is_built_by_a_backend_of_that_platform() {
        for p in Platform::ALL {
            let t = Target::for_platform(p);
            assert_eq!(backend(t).platform(), p);
            assert!(Target::serving(p).any(|s| s == t));
        }
    }
}
