//! The properties the fuzz targets assert, on the public API of `conduitc`
//! alone; the integration tests replay the committed corpora with them under
//! plain `cargo test`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use conduitc::backend::{emit, EmitError, Target};
use conduitc::diag::render;
use conduitc::formatter::format_file;
use conduitc::lower::{lower, BuildOptions, Packet};
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Code, FileId, Policy, Sources};

/// The date every fuzz run judges expiry against, so runs are reproducible.
pub fn fuzz_today() -> Date {
    Date::parse("2026-12-01").unwrap_or_else(Date::today)
}

/// Parsing and checking arbitrary bytes never panics, never reports an
/// internal error, labels only spans inside their file, and every renderer
/// copes with the result. Returns the policy when the input checks.
pub fn check_bytes(data: &[u8]) -> Option<Policy> {
    let mut sources = Sources::new();
    sources.add_bytes("fuzz.conduit", None, data.to_vec());
    let checked = check(&sources, &CheckOptions::new(fuzz_today()));
    assert!(
        !checked.diagnostics.contains(Code::Internal),
        "internal error: {}",
        render::text(&checked.diagnostics, &sources, false)
    );
    for d in checked.diagnostics.iter() {
        for span in std::iter::once(&d.primary.span).chain(d.secondary.iter().map(|l| &l.span)) {
            let text = sources.get(span.file).map(|f| f.text()).unwrap_or_default();
            let range = span.range();
            assert!(
                range.start <= range.end && range.end <= text.len(),
                "span {range:?} outside a file of {} bytes",
                text.len()
            );
            assert!(
                text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
                "span {range:?} splits a character"
            );
        }
    }
    let _ = render::text(&checked.diagnostics, &sources, false);
    let _ = render::json(&checked.diagnostics, &sources, checked.policy.as_ref());
    let _ = render::sarif(&checked.diagnostics, &sources);
    assert_eq!(checked.policy.is_some(), !checked.diagnostics.has_errors());
    checked.policy
}

/// Formatting arbitrary bytes never panics and never reports an internal
/// error (the formatter's own soundness check included); what it formats,
/// formatting again leaves unchanged, and a policy that checks formats to a
/// text that checks to the same policy.
pub fn format_bytes(data: &[u8]) {
    let mut sources = Sources::new();
    sources.add_bytes("fuzz.conduit", None, data.to_vec());
    let out = match format_file(&sources, FileId::FIRST) {
        Ok(out) => out,
        Err(diags) => {
            assert!(
                !diags.contains(Code::Internal),
                "internal error: {}",
                render::text(&diags, &sources, false)
            );
            return;
        }
    };
    let again = Sources::from_memory("formatted.conduit", out.clone());
    assert_eq!(
        format_file(&again, FileId::FIRST).ok().as_deref(),
        Some(out.as_str()),
        "formatting is not idempotent"
    );
    let opts = CheckOptions::new(fuzz_today());
    let before = check(&sources, &opts);
    let after = check(&again, &opts);
    assert_eq!(before.policy, after.policy, "formatting changed the policy");
    // Reordered attributes move diagnostics, so compare the codes as multisets.
    let mut codes_before = before.diagnostics.codes();
    let mut codes_after = after.diagnostics.codes();
    codes_before.sort();
    codes_after.sort();
    assert_eq!(
        codes_before, codes_after,
        "formatting changed the diagnostics"
    );
}

/// Packets derived from the policy: the edges of every zone and flow address
/// range, every flow's port bounds, echo requests, and a raw protocol.
pub fn probe_packets(policy: &Policy) -> Vec<Packet> {
    let mut addrs: Vec<IpAddr> = Vec::new();
    let sets = policy
        .zones
        .iter()
        .map(|z| &z.addrs)
        .chain(policy.flows().flat_map(|(_, f)| [&f.src, &f.dst]));
    for s in sets {
        for (lo, hi) in s.v4_ranges().take(4) {
            addrs.push(IpAddr::V4(lo));
            addrs.push(IpAddr::V4(hi));
            addrs.push(IpAddr::V4(Ipv4Addr::from(u32::from(hi).wrapping_add(1))));
        }
        for (lo, hi) in s.v6_ranges().take(4) {
            addrs.push(IpAddr::V6(lo));
            addrs.push(IpAddr::V6(hi));
            addrs.push(IpAddr::V6(Ipv6Addr::from(u128::from(hi).wrapping_add(1))));
        }
    }
    // Every packet is judged by every evaluator against every rule, so a
    // policy with many flows gets fewer probes, spread over the whole range
    // (a large fuzz input must still run in well under the fuzzer's timeout).
    let large = policy.flows().count() > 32;
    let (max_addrs, max_ports) = if large { (10, 5) } else { (24, 12) };
    addrs.sort();
    addrs.dedup();
    let addrs = spread(addrs, max_addrs);
    let mut ports = vec![1u16, 502, 65535];
    for (_, f) in policy.flows() {
        for &(lo, hi) in f
            .services
            .tcp
            .ranges()
            .iter()
            .chain(f.services.udp.ranges())
        {
            ports.extend([lo, hi, hi.saturating_add(1)]);
        }
    }
    ports.sort_unstable();
    ports.dedup();
    let ports = spread(ports, max_ports);
    let mut out = Vec::new();
    for &src in &addrs {
        for &dst in &addrs {
            if src == dst || src.is_ipv4() != dst.is_ipv4() {
                continue;
            }
            for &p in &ports {
                out.push(Packet {
                    src,
                    dst,
                    proto: 6,
                    dport: Some(p),
                    icmp_type: None,
                });
                out.push(Packet {
                    src,
                    dst,
                    proto: 17,
                    dport: Some(p),
                    icmp_type: None,
                });
            }
            let (proto, echo) = if src.is_ipv4() { (1, 8) } else { (58, 128) };
            out.push(Packet {
                src,
                dst,
                proto,
                dport: None,
                icmp_type: Some(echo),
            });
            out.push(Packet {
                src,
                dst,
                proto: 47,
                dport: None,
                icmp_type: None,
            });
        }
    }
    out
}

/// At most `max` of `items`, evenly spread from the first to the last.
fn spread<T: Copy>(items: Vec<T>, max: usize) -> Vec<T> {
    if items.len() <= max || max < 2 {
        return items.into_iter().take(max).collect();
    }
    (0..max)
        .map(|i| items[i * (items.len() - 1) / (max - 1)])
        .collect()
}

/// The build options a checked policy is compiled under: plain, every
/// isolation mode, and every firewall.
pub fn build_options(policy: &Policy) -> Vec<BuildOptions> {
    let today = fuzz_today();
    let mut v = vec![BuildOptions::new(today)];
    for i in &policy.isolations {
        v.push(BuildOptions::new(today).isolation(i.name.to_string()));
    }
    for f in &policy.firewalls {
        v.push(BuildOptions::new(today).firewall(f.name.to_string()));
    }
    v
}

/// What every target emitted for one rule set, or the error it refused with.
pub type Outputs = Vec<(Target, Result<String, EmitError>)>;

/// Lowering agrees with the reference semantics on derived packets, and
/// every backend either emits or refuses with an error — never panics — and
/// emits the same bytes twice. Returns what every target emitted (or the
/// error it refused with) per option set, for callers that evaluate the
/// output further.
pub fn compile(policy: &Policy) -> Vec<(BuildOptions, Outputs)> {
    let packets = probe_packets(policy);
    let mut out = Vec::new();
    for opts in build_options(policy) {
        let rules = lower(policy, &opts)
            .unwrap_or_else(|e| panic!("lowering a checked policy failed: {e}"));
        for p in &packets {
            let want =
                conduitc::decide(policy, p, &opts).unwrap_or_else(|e| panic!("decide failed: {e}"));
            assert_eq!(
                rules.decide(p),
                want,
                "lowered rules disagree with decide on {p:?} under {opts:?}"
            );
        }
        let mut texts = Vec::new();
        for target in Target::ALL {
            let first = emit(&rules, target);
            assert_eq!(
                emit(&rules, target),
                first,
                "{target:?} output is not deterministic"
            );
            texts.push((target, first));
        }
        out.push((opts, texts));
    }
    out
}
