//! Using conduitc as a library: check a policy held in memory, handle its
//! errors, build it for one firewall, emit the configuration, ask the
//! policy about one packet and compare two versions.
//!
//! Run with `cargo run --example embed`.

use std::error::Error;

use conduitc::backend::{self, Target};
use conduitc::model::Date;
use conduitc::{check, decide, diff, lower, BuildOptions, CheckOptions, DiffOptions};
use conduitc::{Packet, Sources};

/// The plant as first written: SCADA polls the PLCs over Modbus, through
/// one nftables firewall.
const PLANT: &str = r#"
owner plant-ops { contact "ot@example.com" }
zone supervisory { level 2 owner plant-ops networks 10.20.0.0/24 host scada = 10.20.0.10 }
zone control { level 1 owner plant-ops networks 10.1.10.0/24 group plcs = 10.1.10.0/28 }
conduit supervisory-control {
  zones supervisory, control
  owner plant-ops
  flow poll-plcs {
    from supervisory.scada
    to control.plcs
    service modbus
    reason "SCADA polls the line PLCs"
  }
}
firewall cell-fw {
  platform nftables
  interface "eth0" = supervisory
  interface "eth1" = control
}
"#;

fn main() -> Result<(), Box<dyn Error>> {
    let today: Date = "2026-12-01".parse()?;
    let opts = CheckOptions::new(today);

    // A policy with a mistake: the check fails, and the error says where.
    let broken = Sources::from_memory("broken.conduit", PLANT.replace("owner plant-ops\n", ""));
    let failed = match check(&broken, &opts).into_result() {
        Ok(_) => return Err("the broken policy passed its check".into()),
        Err(failed) => failed,
    };
    println!("broken.conduit: {failed}");
    assert!(failed.to_string().contains("broken.conduit:"));
    // Every diagnostic is kept, for a full rendering.
    let rendered = conduitc::diag::render::text(failed.diagnostics(), &broken, false);
    assert!(rendered.contains("error[E111]"));

    // The good policy: its model and warnings, or the error with `?`.
    let sources = Sources::from_memory("plant.conduit", PLANT);
    let (policy, warnings) = check(&sources, &opts).into_result()?;
    println!("plant.conduit: checked, {} warnings", warnings.len());

    // The rules that cross one firewall, as nftables text: streamed to any
    // `std::io::Write`, or collected in a `String`.
    let rules = lower(&policy, &BuildOptions::new(today).firewall("cell-fw"))?;
    let mut bytes: Vec<u8> = Vec::new();
    backend::emit_to(&rules, Target::Nftables, &mut bytes)?;
    let text = backend::emit(&rules, Target::Nftables)?;
    assert_eq!(bytes, text.as_bytes());
    assert!(text.contains("supervisory-control/poll-plcs"));

    // What the policy decides for one packet: Modbus (TCP port 502) from
    // SCADA to a PLC.
    let packet = Packet::from_names(
        "10.20.0.10".parse()?,
        "10.1.10.3".parse()?,
        "tcp",
        Some(502),
        None,
    )?;
    let decision = decide(&policy, &packet, &BuildOptions::new(today))?;
    assert!(decision.allowed());
    println!("tcp/502 scada -> plc: {:?}", decision.decision);

    // A second version that also allows the engineering protocol S7 (TCP
    // port 102): the diff shows the access it adds.
    let widened = PLANT.replace("service modbus", "service modbus, s7");
    let new_sources = Sources::from_memory("plant.conduit", widened);
    let (new_policy, _) = check(&new_sources, &opts).into_result()?;
    let report = diff(&policy, &new_policy, &DiffOptions::new(today));
    assert!(!report.no_change);
    print!("{}", conduitc::diff::render::text(&report));
    Ok(())
}
