//! The `nftables-json` backend when the library is built without the
//! `nftables-json` feature (and so without the `nftables` crate): the target
//! still exists, and emitting it is an [`EmitError::NotBuilt`].

use crate::backend::EmitError;
use crate::lower::RuleSet;

fn absent() -> EmitError {
    EmitError::NotBuilt {
        target: "nftables-json",
    }
}

/// Refuses: this build has no `nftables-json` backend.
pub fn emit(_rules: &RuleSet) -> Result<String, EmitError> {
    Err(absent())
}

/// Refuses before writing anything: this build has no `nftables-json`
/// backend.
pub fn emit_to(_rules: &RuleSet, _out: &mut dyn std::io::Write) -> Result<(), EmitError> {
    Err(absent())
}

#[cfg(test)]
mod tests {
    use crate::backend::{emit, emit_to, Target};
    use crate::lower::{lower, BuildOptions};
    use crate::model::{Date, Policy};

    #[test]
    fn the_target_is_refused_before_anything_is_written() -> Result<(), Box<dyn std::error::Error>>
    {
        let today = Date::parse("2026-12-01").ok_or("date")?;
        let rules = lower(&Policy::default(), &BuildOptions::new(today))?;
        let want = "nftables-json: conduitc was built without the nftables-json feature";
        let e = emit(&rules, Target::NftablesJson).err().ok_or("emitted")?;
        assert_eq!(e.to_string(), want);
        let mut out = Vec::new();
        let e = emit_to(&rules, Target::NftablesJson, &mut out)
            .err()
            .ok_or("emitted")?;
        assert_eq!(e.to_string(), want);
        assert!(out.is_empty());
        // The other targets are unaffected.
        assert!(emit(&rules, Target::Nftables)?.contains("table inet conduit"));
        Ok(())
    }
}
