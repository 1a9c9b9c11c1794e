//! `query`'s deciding flow is the rule the device consults first.
//!
//! When several flows (or a monitor-mode catch-all) admit a packet, `query`
//! names one of them; the device's counter (nftables rule counter, IOS hit
//! count, FortiOS policy counter) counts the packet on the first matching
//! rule. For generated policies with monitor conduits, every initiation an
//! emitted configuration accepts is accepted by the rule of exactly the
//! flow `decide` names, in nftables, IOS and FortiOS output alike (on IOS,
//! packets that could also be stateless replies are left out). A catch-all
//! decides only packets no declared flow admits.

use conduitc::lower::{lower, BuildOptions, Packet, Verdict};
use conduitc::model::{Mode, Policy};
use conduitc::Sources;
use proptest::prelude::*;

use conduitc_testkit::wire::{self, Wire};
use conduitc_testkit::{eval, fortios_eval, gen, ios_eval, nft_eval};

fn option_sets(p: &Policy) -> Vec<BuildOptions> {
    let mut v = vec![BuildOptions::new(gen::today())];
    if let Some(f) = p.firewalls.first() {
        v.push(BuildOptions::new(gen::today()).firewall(f.name.to_string()));
    }
    v
}

/// The interface facing the zone that holds `a` on the selected firewall.
fn iface(p: &Policy, opts: &BuildOptions, a: std::net::IpAddr) -> Option<String> {
    let fw = p.firewall(opts.firewall.as_deref()?)?;
    let z = p.zone_of(a)?;
    fw.interface_for(z).map(|i| i.name.clone())
}

fn check_order(p: &Policy, pkts: &[gen::PacketSpec]) -> Result<usize, TestCaseError> {
    let eph = wire::ephemeral_port(p);
    let mut compared = 0;
    for opts in option_sets(p) {
        let rules = lower(p, &opts).unwrap();
        let nft = nft_eval::parse(
            &conduitc::backend::emit(&rules, conduitc::backend::Target::Nftables).unwrap(),
        )
        .unwrap();
        // A generated zone may split into more prefixes than an IOS list
        // holds: the emitter refuses it (E606), and the case is rejected.
        let ios = ios_eval::parse(&gen::ios_build(&rules, false)?).unwrap();
        let fgt = fortios_eval::parse(
            &conduitc::backend::emit(&rules, conduitc::backend::Target::Fortios).unwrap(),
        )
        .unwrap();
        for pkt in gen::resolve_packets(p, pkts) {
            let want = conduitc::decide(p, &pkt, &opts).unwrap();
            eval::lowered_agrees(&rules, p, &opts, &pkt, &want).map_err(TestCaseError::fail)?;
            if !want.allowed() || eval::to_device(p, &opts, &pkt) {
                continue;
            }
            let flow = want.flow.clone().unwrap();
            // A catch-all decides only what no declared flow admits.
            if flow.ends_with("/*") {
                prop_assert!(
                    want.also.iter().all(|a| a.ends_with("/*")),
                    "catch-all {flow} decides {:?} although {:?} admit it",
                    pkt,
                    want.also
                );
            }
            let (iif, oif) = (iface(p, &opts, pkt.src), iface(p, &opts, pkt.dst));
            if nft_eval::opens_connection(&pkt) {
                let got = nft.eval(&pkt, iif.as_deref(), oif.as_deref());
                prop_assert!(got.accept, "nftables drops {:?}", pkt);
                prop_assert_eq!(
                    got.rule.as_deref(),
                    Some(flow.as_str()),
                    "nftables, {:?}",
                    pkt
                );
                compared += 1;
            }
            let w = Wire::initiation(&pkt, eph);
            // A stateless IOS list also permits what could be a reply to an
            // allowed initiation (an echo-reply, a UDP datagram from a
            // service port); such a packet may hit a flow's reply entry
            // first, which is no initiation to attribute.
            let reply_shaped = wire::is_reply(p, &opts, &w);
            // When the firewall declares entries, every IPv6 list begins with
            // the neighbour discovery permits (before the router's own block),
            // so they count neighbour discovery that a flow allows too.
            let unattributed = rules.filters_local() && wire::is_neighbour_discovery(&w);
            // What the router sends from its own address meets no inbound list.
            let unattributed = unattributed || eval::own_addrs(p, &opts).contains(&pkt.src);
            if let Some(acl) =
                ios_acl(&ios, p, &opts, &pkt).filter(|_| !reply_shaped && !unattributed)
            {
                let v = acl.eval(&w);
                prop_assert!(v.permit, "IOS denies {:?}", pkt);
                let remark = v.ace.and_then(|a| a.remark);
                prop_assert_eq!(remark.as_deref(), Some(flow.as_str()), "IOS, {:?}", pkt);
            }
            if opts.firewall.is_none() {
                let pol = fgt.decide(&w, None, None);
                let comment = pol.and_then(|p| p.comments.clone()).unwrap_or_default();
                let named = comment.split(' ').next().unwrap_or("");
                prop_assert_eq!(named, flow.as_str(), "FortiOS, {:?}", pkt);
            }
        }
    }
    Ok(compared)
}

/// The IOS list applied to `pkt` as it arrives: the one of the zone that
/// holds its source.
fn ios_acl<'a>(
    cfg: &'a ios_eval::Config,
    p: &Policy,
    opts: &BuildOptions,
    pkt: &Packet,
) -> Option<&'a ios_eval::Acl> {
    let v6 = pkt.src.is_ipv6();
    match &opts.firewall {
        Some(_) => cfg.bound(&iface(p, opts, pkt.src)?, v6),
        None => {
            let zone = &p.zones[p.zone_of(pkt.src)?].name;
            cfg.acls
                .get(&conduitc_testkit::eval::ios_list_of(cfg, zone, v6)?)
        }
    }
}

/// Generated policies with at least one monitor conduit.
fn monitored_policy(spec: &gen::PolicySpec) -> Option<Policy> {
    let p = spec.to_policy();
    p.conduits
        .iter()
        .any(|c| c.mode == Mode::Monitor)
        .then_some(p)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_deciding_flow_is_the_first_rule_the_device_consults(spec in gen::policy_spec(), pkts in gen::packet_specs(150)) {
        let p = monitored_policy(&spec);
        prop_assume!(p.is_some(), "no monitor conduit");
        if let Some(p) = p {
            check_order(&p, &pkts)?;
        }
    }
}

/// The report's case, by hand: a monitor conduit `a-mon` between the same
/// zones as an enforcing conduit whose flow admits the packet. `a-mon/*`
/// sorts before `b/poll` and the flow's own conduit `a-mon/poll` sorts
/// after its catch-all, yet the declared flows decide; the catch-all decides
/// only the packet no flow admits. `query` agrees.
#[test]
fn a_catch_all_never_decides_what_a_flow_admits() {
    let text = "owner ops { contact \"ops@example.com\" }\n\
        zone a { level 2 owner ops networks 10.1.0.0/24 host h = 10.1.0.5 }\n\
        zone b { level 1 owner ops networks 10.2.0.0/24 host plc = 10.2.0.5 }\n\
        zone c { level 1 owner ops networks 10.3.0.0/24 host plc = 10.3.0.5 }\n\
        conduit a-mon { zones a, b owner ops mode monitor waive W107 \"baseline\"\n\
          flow poll { from a.h to b.plc service modbus reason \"r\" } }\n\
        conduit b { zones a, c owner ops mode monitor waive W107 \"baseline\"\n\
          flow poll { from a.h to c.plc service modbus reason \"r\" }\n\
          flow log-poll { from a.h to c.plc service modbus, s7 reason \"r\" log } }\n";
    let sources = Sources::from_memory("p.conduit", text);
    let checked = conduitc::check(&sources, &conduitc::CheckOptions::new(gen::today()));
    let p = checked
        .policy
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics.codes()));
    let opts = BuildOptions::new(gen::today());
    let pkt = |dst: &str, port: u16| Packet {
        src: "10.1.0.5".parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto: 6,
        dport: Some(port),
        icmp_type: None,
    };
    let d = conduitc::decide(&p, &pkt("10.2.0.5", 502), &opts).unwrap();
    assert_eq!(d.flow.as_deref(), Some("a-mon/poll"));
    assert_eq!(d.also, ["a-mon/*"]);
    // The logged flow is consulted first, then the plain one, then `b/*`.
    let d = conduitc::decide(&p, &pkt("10.3.0.5", 502), &opts).unwrap();
    assert_eq!(d.flow.as_deref(), Some("b/log-poll"));
    assert_eq!(d.also, ["b/*", "b/poll"]);
    // Nothing declared admits port 503: the catch-all decides.
    let d = conduitc::decide(&p, &pkt("10.2.0.5", 503), &opts).unwrap();
    assert_eq!(d.decision, Verdict::Allow);
    assert_eq!(d.flow.as_deref(), Some("a-mon/*"));
    assert!(d.also.is_empty());
    // And the emitted outputs agree packet by packet.
    let n = check_order(&p, &gen::draw(gen::packet_specs(150), 7)).unwrap();
    assert!(n > 0);
}
