//! `emit_to` writes as it renders: the nftables text and JSON of a large
//! rule set reach the writer in many bounded pieces (so `build` does not
//! hold the whole output in memory), byte for byte the in-memory text, and
//! a writer that fails part-way is an I/O error.

use std::fmt::Write as _;
use std::io::{self, Write};

use conduitc::backend::{emit, emit_to, EmitError, Target};
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

#[test]
fn nftables_text_and_json_are_written_in_bounded_pieces() {
    let rules = many_flows();
    for target in [Target::Nftables, Target::NftablesJson] {
        let whole = emit(&rules, target).unwrap();
        assert!(whole.len() > 500_000, "{target:?}: {} bytes", whole.len());
        let mut pieces = Pieces::default();
        emit_to(&rules, target, &mut pieces).unwrap();
        assert_eq!(pieces.0.concat(), whole.as_bytes(), "{target:?}");
        let largest = pieces.0.iter().map(Vec::len).max().unwrap();
        assert!(
            pieces.0.len() >= 8 && largest <= 128 * 1024,
            "{target:?}: {} writes, the largest {largest} bytes of {}",
            pieces.0.len(),
            whole.len()
        );
    }
}

#[test]
fn a_writer_failing_part_way_is_an_io_error() {
    let rules = many_flows();
    for target in [Target::Nftables, Target::NftablesJson, Target::Fortios] {
        let e = emit_to(&rules, target, &mut Full(100_000)).unwrap_err();
        assert!(matches!(e, EmitError::Io { .. }), "{target:?}: {e}");
        assert!(e.to_string().contains("disk full"), "{target:?}: {e}");
    }
}
