//! `emit_to` writes as it renders: the text of a large rule set reaches the
//! writer in many bounded pieces on every target (nftables text and JSON,
//! Cisco IOS in both forms, FortiOS), so `build` does not hold the whole
//! output in memory; the pieces are byte for byte the in-memory text; a
//! writer that fails part-way is an I/O error; and a refusal comes before
//! the first byte.

use std::fmt::Write as _;
use std::io::{self, Write};

use conduitc::backend::{
    emit, emit_string_with, emit_to, emit_with, EmitError, EmitOptions, Target,
};
use conduitc::lower::RuleSet;
use conduitc_testkit::rules::rules_of;
use conduitc_testkit::writers::Full;

/// 4,000 host-to-host flows between two zones: about a megabyte of rules.
fn many_flows() -> RuleSet {
    let mut s = String::from("owner o { contact \"o@example.com\" }\n");
    for (zone, level, net) in [("a", 2, 1), ("b", 3, 2)] {
        let _ = writeln!(
            s,
            "zone {zone} {{\n  level {level}\n  owner o\n  networks 10.{net}.0.0/16"
        );
        for i in 0..4_000 {
            let _ = writeln!(s, "  host h{i} = 10.{net}.{}.{}", i / 200, i % 200 + 1);
        }
        s.push_str("}\n");
    }
    s.push_str("conduit ab {\n  zones a, b\n  owner o\n");
    for i in 0..4_000 {
        let _ = writeln!(
            s,
            "  flow f{i} {{ from a.h{i} to b.h{i} service tcp/{} reason \"r\" }}",
            1000 + i
        );
    }
    s.push_str("}\n");
    rules_of(&s)
}

/// Records every write.
#[derive(Default)]
struct Pieces(Vec<Vec<u8>>);

impl Write for Pieces {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.push(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Every target and form, with the in-memory text of each.
fn forms() -> Vec<(Target, EmitOptions)> {
    vec![
        (Target::Nftables, EmitOptions::new()),
        (Target::NftablesJson, EmitOptions::new()),
        (Target::CiscoIos, EmitOptions::new()),
        (Target::CiscoIos, EmitOptions::new().ios_flat(true)),
        (Target::Fortios, EmitOptions::new()),
    ]
}

#[test]
fn every_target_is_written_in_bounded_pieces() {
    let rules = many_flows();
    for (target, opts) in forms() {
        let whole = emit_string_with(&rules, target, &opts).unwrap();
        assert!(whole.len() > 500_000, "{target:?}: {} bytes", whole.len());
        let mut pieces = Pieces::default();
        emit_with(&rules, target, &opts, &mut pieces).unwrap();
        assert_eq!(pieces.0.concat(), whole.as_bytes(), "{target:?} {opts:?}");
        let largest = pieces.0.iter().map(Vec::len).max().unwrap();
        assert!(
            pieces.0.len() >= 8 && largest <= 128 * 1024,
            "{target:?} {opts:?}: {} writes, the largest {largest} bytes of {}",
            pieces.0.len(),
            whole.len()
        );
    }
    // `emit` is the streamed text, collected.
    for target in Target::ALL {
        let mut streamed = Vec::new();
        emit_to(&rules, target, &mut streamed).unwrap();
        assert_eq!(
            emit(&rules, target).unwrap().as_bytes(),
            streamed,
            "{target:?}"
        );
    }
}

/// An owner that FortiOS cannot quote (`?`), on the last rule: the refusal
/// is found only where that rule's policy is written, near the end of the
/// text, and still nothing reaches the writer.
#[test]
fn a_fortios_refusal_late_in_the_text_writes_nothing() {
    let mut rules = many_flows();
    rules.rules.last_mut().unwrap().owner = "who?".into();
    let mut pieces = Pieces::default();
    let e = emit_to(&rules, Target::Fortios, &mut pieces).unwrap_err();
    assert!(matches!(e, EmitError::BadName { .. }), "{e}");
    assert!(e.to_string().contains("who?"), "{e}");
    assert!(
        pieces.0.is_empty(),
        "{} writes before the refusal",
        pieces.0.len()
    );
    assert_eq!(emit(&rules, Target::Fortios).unwrap_err(), e);
}

#[test]
fn a_writer_failing_part_way_is_an_io_error() {
    let rules = many_flows();
    for (target, opts) in forms() {
        let e = emit_with(&rules, target, &opts, &mut Full(100_000)).unwrap_err();
        assert!(matches!(e, EmitError::Io { .. }), "{target:?}: {e}");
        assert!(e.to_string().contains("disk full"), "{target:?}: {e}");
    }
}
