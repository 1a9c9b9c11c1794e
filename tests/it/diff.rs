//! `diff`: the access delta is exact set algebra, layout and order never
//! show, declarations are compared attribute by attribute, and approvals
//! are judged by the rules of both versions.

use conduitc::diff::{diff, ChangeKind, DeclChange, DeclKind, DiffOptions, Report, RuleVersion};
use conduitc::model::*;
use ipnet::IpNet;
use proptest::prelude::*;

use conduitc_testkit::gen::{self, Rng};

fn opts() -> DiffOptions {
    DiffOptions::new(gen::today())
}

/// Recomputes every derived address set (zone, group, endpoint, flow) from
/// what is declared, after a mutation.
fn refresh(p: &mut Policy) {
    for z in &mut p.zones {
        if let Networks::Prefixes(nets) = &z.networks {
            let mut a = AddrSet::new();
            for n in nets {
                a.insert_net(*n);
            }
            z.addrs = a;
        }
    }
    if let Some(any) = p.zones.iter().position(|z| z.networks == Networks::Any) {
        let others = AddrSet::union_all(
            p.zones
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != any)
                .map(|(_, z)| &z.addrs),
        );
        p.zones[any].addrs = others.complement();
    }
    let host_set = |h: &Host| {
        AddrSet::union_all(
            h.addrs
                .iter()
                .map(|a| AddrSet::from_addr(*a))
                .collect::<Vec<_>>()
                .iter(),
        )
    };
    for z in &mut p.zones {
        let hosts = z.hosts.clone();
        for g in &mut z.groups {
            let mut a = AddrSet::new();
            for m in &g.members {
                match m {
                    GroupMember::Host(h) => {
                        if let Some(h) = hosts.iter().find(|x| &x.name == h) {
                            a = a.union(&host_set(h));
                        }
                    }
                    GroupMember::Prefix(n) => a.insert_net(*n),
                }
            }
            g.addrs = a;
        }
    }
    let zones = p.zones.clone();
    let resolve = |e: &mut Endpoint| {
        let z = &zones[e.zone];
        e.addrs = match &e.member {
            Member::Zone => z.addrs.clone(),
            Member::Host(h) => z.host(h.as_str()).map(host_set).unwrap_or_default(),
            Member::Group(g) => z
                .group(g.as_str())
                .map(|g| g.addrs.clone())
                .unwrap_or_default(),
        };
    };
    for c in &mut p.conduits {
        for f in &mut c.flows {
            f.from.iter_mut().for_each(resolve);
            f.to.iter_mut().for_each(resolve);
            f.src = AddrSet::union_all(f.from.iter().map(|e| &e.addrs));
            f.dst = AddrSet::union_all(f.to.iter().map(|e| &e.addrs));
        }
    }
}

fn random_ports(rng: &mut Rng) -> (ServiceSet, Vec<String>) {
    let lo = *rng.pick(&[22u16, 80, 443, 502, 503, 2404, 20000]);
    let hi = lo + rng.range(0, 3) as u16;
    let mut s = ServiceSet::new();
    let written = if rng.chance(30) {
        s.udp = PortSet::from_ranges([(lo, hi)]);
        format!("udp/{lo}-{hi}")
    } else {
        s.tcp = PortSet::from_ranges([(lo, hi)]);
        format!("tcp/{lo}-{hi}")
    };
    (s, vec![written])
}

/// A copy of `p` with a few random changes that keep it valid.
fn mutate(p: &Policy, seed: u64) -> Policy {
    let mut rng = Rng::new(seed);
    let mut q = p.clone();
    for step in 0..rng.range(1, 3) {
        let nconduits = q.conduits.len();
        if nconduits == 0 {
            break;
        }
        let ci = rng.range(0, nconduits as u64 - 1) as usize;
        let nflows = q.conduits[ci].flows.len();
        let fi = if nflows == 0 {
            None
        } else {
            Some(rng.range(0, nflows as u64 - 1) as usize)
        };
        match (rng.range(0, 10), fi) {
            (0, Some(fi)) => {
                q.conduits[ci].flows.remove(fi);
            }
            (1, Some(fi)) => {
                let mut f = q.conduits[ci].flows[fi].clone();
                let (s, w) = random_ports(&mut rng);
                f.services = s;
                f.service_refs = w.into_iter().map(Into::into).collect();
                f.name = Name::new(format!("extra{step}"));
                f.full_name = format!("{}/extra{step}", q.conduits[ci].name).into();
                f.expires = None;
                q.conduits[ci].flows.push(f);
            }
            (2, Some(fi)) => {
                let (s, w) = random_ports(&mut rng);
                let f = &mut q.conduits[ci].flows[fi];
                f.services = s;
                f.service_refs = w.into_iter().map(Into::into).collect();
            }
            (3, Some(fi)) => {
                let f = &mut q.conduits[ci].flows[fi];
                let z = f.to_zone;
                f.to = vec![Endpoint {
                    zone: z,
                    member: Member::Zone,
                    addrs: AddrSet::new(),
                }];
            }
            (4, _) => {
                let c = &mut q.conduits[ci];
                c.mode = match c.mode {
                    Mode::Monitor => Mode::Enforce,
                    Mode::Enforce => Mode::Monitor,
                };
            }
            (5, Some(fi)) => {
                let f = &mut q.conduits[ci].flows[fi];
                f.expires = match f.expires {
                    Some(_) => None,
                    None => Some(gen::today().add_days(-1)),
                };
            }
            (6, Some(fi)) => {
                let full = format!("{}/renamed", q.conduits[ci].name);
                let f = &mut q.conduits[ci].flows[fi];
                f.name = Name::new("renamed");
                f.full_name = full.into();
            }
            (7, _) => {
                // Move a host within its zone's networks.
                let zi = rng.range(0, q.zones.len() as u64 - 1) as usize;
                let z = &mut q.zones[zi];
                if let (Networks::Prefixes(nets), false) = (&z.networks, z.hosts.is_empty()) {
                    let net = *rng.pick(nets);
                    let hi = rng.range(0, z.hosts.len() as u64 - 1) as usize;
                    let host_no = rng.range(0, 3);
                    let addr = match net {
                        IpNet::V4(n) => {
                            let lo = u32::from(n.network());
                            let span = u32::from(n.broadcast()) - lo;
                            std::net::IpAddr::V4((lo + (host_no as u32).min(span)).into())
                        }
                        IpNet::V6(n) => {
                            let lo = u128::from(n.network());
                            let span = u128::from(n.broadcast()) - lo;
                            std::net::IpAddr::V6((lo + (host_no as u128).min(span)).into())
                        }
                    };
                    z.hosts[hi].addrs = vec![addr];
                }
            }
            (8, _) => {
                // A zone gains a prefix no other zone uses.
                let zi = rng.range(0, q.zones.len() as u64 - 1) as usize;
                if let Networks::Prefixes(nets) = &mut q.zones[zi].networks {
                    let n: IpNet = format!("10.{}.0.0/16", 200 + zi).parse().unwrap();
                    nets.push(n);
                }
            }
            (9, Some(fi)) => {
                // Split a flow into two with the same meaning: no access change.
                let f = q.conduits[ci].flows[fi].clone();
                if f.services.tcp.is_empty() || f.services.udp.is_empty() {
                    continue;
                }
                let mut a = f.clone();
                a.services.udp = PortSet::new();
                let mut b = f;
                b.services.tcp = PortSet::new();
                b.name = Name::new("split");
                b.full_name = format!("{}/split", q.conduits[ci].name).into();
                q.conduits[ci].flows[fi] = a;
                q.conduits[ci].flows.push(b);
            }
            _ => {
                if let Some(fi) = fi {
                    q.conduits[ci].flows[fi].reason = "changed reason".into();
                }
            }
        }
    }
    refresh(&mut q);
    q
}

/// `p` with every declaration and list in reverse order and some names
/// re-spelled in capitals: the same policy in meaning.
fn reordered(p: &Policy) -> Policy {
    let n = p.zones.len();
    let map = |z: usize| n - 1 - z;
    let mut q = p.clone();
    q.owners.reverse();
    q.services.reverse();
    q.zones.reverse();
    for z in &mut q.zones {
        z.hosts.reverse();
        z.groups.reverse();
        for g in &mut z.groups {
            g.members.reverse();
        }
        if let Networks::Prefixes(nets) = &mut z.networks {
            nets.reverse();
        }
        z.name = Name::new(z.name.as_str().to_ascii_uppercase());
    }
    q.conduits.reverse();
    for c in &mut q.conduits {
        c.zones = [map(c.zones[1]), map(c.zones[0])];
        c.name = Name::new(c.name.as_str().to_ascii_uppercase());
        c.flows.reverse();
        for f in &mut c.flows {
            f.from_zone = map(f.from_zone);
            f.to_zone = map(f.to_zone);
            for e in f.from.iter_mut().chain(f.to.iter_mut()) {
                e.zone = map(e.zone);
            }
            f.from.reverse();
            f.to.reverse();
            f.service_refs.reverse();
            f.full_name = format!("{}/{}", c.name, f.name).into();
        }
    }
    for fw in &mut q.firewalls {
        fw.interfaces.reverse();
        for i in &mut fw.interfaces {
            i.zone = map(i.zone);
            i.addrs.reverse();
        }
        fw.local.reverse();
        for e in &mut fw.local {
            e.name = Name::new(e.name.as_str().to_ascii_uppercase());
            e.full_name = format!("{}/{}", fw.name, e.name);
            for x in &mut e.from {
                x.zone = map(x.zone);
            }
            e.from.reverse();
            e.service_refs.reverse();
        }
    }
    for i in &mut q.isolations {
        i.sever = i.sever.iter().rev().map(|&z| map(z)).collect();
    }
    q.approvals.reverse();
    q
}

fn assert_exact(
    old: &Policy,
    new: &Policy,
    report: &Report,
    pkts: &[gen::PacketSpec],
) -> Result<(), TestCaseError> {
    let b = conduitc::BuildOptions::new(gen::today());
    let mut packets = gen::resolve_packets(old, pkts);
    packets.extend(gen::resolve_packets(new, pkts));
    for pkt in packets {
        let was = conduitc::decide(old, &pkt, &b).unwrap().allowed();
        let is = conduitc::decide(new, &pkt, &b).unwrap().allowed();
        prop_assert_eq!(
            report.access.newly_allows(&pkt),
            is && !was,
            "newly allowed? {:?} (old {}, new {})",
            pkt,
            was,
            is
        );
        prop_assert_eq!(
            report.access.no_longer_allows(&pkt),
            was && !is,
            "no longer allowed? {:?} (old {}, new {})",
            pkt,
            was,
            is
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn access_delta_is_exactly_new_minus_old(spec in gen::policy_spec(), mseed in any::<u64>(), pkts in gen::packet_specs(150)) {
        let old = spec.to_policy();
        let new = mutate(&old, mseed);
        let forward = diff(&old, &new, &opts());
        assert_exact(&old, &new, &forward, &pkts)?;
        let backward = diff(&new, &old, &opts());
        assert_exact(&new, &old, &backward, &pkts)?;
        prop_assert_eq!(forward.access.added.len(), backward.access.removed.len());
        // Every box names the flows responsible, and no box is empty.
        for b in forward.access.added.iter().chain(&forward.access.removed) {
            prop_assert!(!b.flows.is_empty() && !b.src.addrs.is_empty() && !b.dst.addrs.is_empty());
            prop_assert!(!b.services.is_empty());
        }
    }

    #[test]
    fn a_policy_against_itself_is_no_change(spec in gen::policy_spec()) {
        let p = spec.to_policy();
        let r = diff(&p, &p, &opts());
        prop_assert!(r.no_change);
        prop_assert!(r.declarations.is_empty() && r.access.unchanged && r.approvals.is_empty());
    }

    #[test]
    fn order_and_spelling_case_are_no_change(spec in gen::policy_spec()) {
        let p = spec.to_policy();
        let q = reordered(&p);
        let r = diff(&p, &q, &opts());
        prop_assert!(r.no_change, "{:#?}", r.declarations);
        let r = diff(&q, &p, &opts());
        prop_assert!(r.no_change, "{:#?}", r.declarations);
    }
}

/// A generated policy with at least one conduit with a flow.
fn base() -> Policy {
    (0..)
        .map(gen::policy)
        .find(|p| {
            p.conduits.iter().any(|c| !c.flows.is_empty())
                && p.zones.iter().all(|z| z.networks != Networks::Any)
        })
        .unwrap()
}

fn find<'a>(r: &'a Report, kind: DeclKind, name: &str) -> &'a DeclChange {
    r.declarations
        .iter()
        .find(|d| d.kind == kind && d.name.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("no {kind:?} {name} in {:#?}", r.declarations))
}

#[test]
fn flow_changes_are_reported_attribute_by_attribute() {
    let old = base();
    let mut new = old.clone();
    let ci = old
        .conduits
        .iter()
        .position(|c| !c.flows.is_empty())
        .unwrap();
    let other_owner = if old.conduits[ci].flows[0].owner.is("plant-ops") {
        "it-sec"
    } else {
        "plant-ops"
    };
    {
        let f = &mut new.conduits[ci].flows[0];
        f.owner = Name::new(other_owner);
        f.expires = Some(Date::parse("2027-09-30").unwrap());
        f.essential = !f.essential;
        f.reason = "a new reason".into();
    }
    let r = diff(&old, &new, &opts());
    let name = &old.conduits[ci].flows[0].full_name;
    let d = find(&r, DeclKind::Flow, name);
    assert_eq!(d.change, ChangeKind::Modified);
    let attrs: Vec<&str> = d.attributes.iter().map(|a| a.attribute.as_str()).collect();
    assert_eq!(attrs, ["owner", "reason", "expires", "essential"]);
    let owner = &d.attributes[0];
    assert_eq!(owner.new.as_deref(), Some(other_owner));
    assert_eq!(d.attributes[2].new.as_deref(), Some("2027-09-30"));
    // Nothing else is reported, and no access changed unless the expiry did.
    assert_eq!(r.declarations.len(), 1);
    assert!(!r.no_change);
}

#[test]
fn zone_gaining_a_prefix_lists_the_prefix() {
    let old = base();
    let mut new = old.clone();
    let zone = old.zones[0].name.to_string();
    if let Networks::Prefixes(n) = &mut new.zones[0].networks {
        n.push("10.250.0.0/16".parse().unwrap());
    }
    refresh(&mut new);
    let r = diff(&old, &new, &opts());
    let d = find(&r, DeclKind::Zone, &zone);
    assert_eq!(d.change, ChangeKind::Modified);
    let nets = d
        .attributes
        .iter()
        .find(|a| a.attribute == "networks")
        .unwrap();
    assert_eq!(nets.gained, ["10.250.0.0/16"]);
    assert!(nets.lost.is_empty());
}

#[test]
fn renames_show_as_removal_plus_addition_and_case_is_no_change() {
    let old = base();
    let mut new = old.clone();
    let ci = old
        .conduits
        .iter()
        .position(|c| !c.flows.is_empty())
        .unwrap();
    let c = &mut new.conduits[ci];
    c.flows[0].name = Name::new("brand-new");
    c.flows[0].full_name = format!("{}/brand-new", c.name).into();
    let c = c.clone();
    let r = diff(&old, &new, &opts());
    let old_name = &old.conduits[ci].flows[0].full_name;
    assert_eq!(
        find(&r, DeclKind::Flow, old_name).change,
        ChangeKind::Removed
    );
    let added = find(&r, DeclKind::Flow, &format!("{}/brand-new", c.name));
    assert_eq!(added.change, ChangeKind::Added);
    assert!(added
        .attributes
        .iter()
        .any(|a| a.attribute == "from" && a.old.is_none()));
    // Same boxes, other names: the effective access did not change.
    assert!(r.access.unchanged);

    let mut upper = old.clone();
    upper.zones[0].name = Name::new(old.zones[0].name.as_str().to_ascii_uppercase());
    assert!(diff(&old, &upper, &opts()).no_change);
}

#[test]
fn splitting_a_flow_is_no_change_in_effective_access() {
    let mut old = base();
    let ci = old
        .conduits
        .iter()
        .position(|c| !c.flows.is_empty())
        .unwrap();
    old.conduits[ci].mode = Mode::Enforce;
    let f = &mut old.conduits[ci].flows[0];
    f.expires = None;
    f.services = ServiceSet::new();
    f.services.tcp = PortSet::from_ranges([(502, 502), (20000, 20010)]);
    f.service_refs = vec!["tcp/502".into(), "tcp/20000-20010".into()];
    let mut new = old.clone();
    let mut a = new.conduits[ci].flows[0].clone();
    a.services.tcp = PortSet::single(502);
    a.service_refs = vec!["tcp/502".into()];
    let mut b = a.clone();
    b.name = Name::new("second-half");
    b.full_name = format!("{}/second-half", new.conduits[ci].name).into();
    b.services.tcp = PortSet::from_ranges([(20000, 20010)]);
    b.service_refs = vec!["tcp/20000-20010".into()];
    new.conduits[ci].flows[0] = a;
    new.conduits[ci].flows.push(b);
    let r = diff(&old, &new, &opts());
    assert!(!r.no_change);
    assert!(r.access.unchanged);
    let text = conduitc::diff::render::text(&r);
    assert!(text.contains("no change in effective access"), "{text}");
}

#[test]
fn a_widened_flow_reports_the_new_traffic_with_its_zones_and_flow() {
    let mut old = base();
    let ci = old
        .conduits
        .iter()
        .position(|c| !c.flows.is_empty())
        .unwrap();
    old.conduits[ci].mode = Mode::Enforce;
    old.conduits[ci].flows.truncate(1);
    let f = &mut old.conduits[ci].flows[0];
    f.expires = None;
    f.services = ServiceSet::new();
    f.services.tcp = PortSet::single(502);
    f.service_refs = vec!["modbus".into()];
    let mut new = old.clone();
    new.conduits[ci].flows[0].services.tcp = PortSet::from_ranges([(502, 503)]);
    let r = diff(&old, &new, &opts());
    assert!(r.access.removed.is_empty());
    assert!(!r.access.added.is_empty());
    let f = &new.conduits[ci].flows[0];
    for b in &r.access.added {
        assert_eq!(b.services, ["tcp/503"]);
        assert_eq!(b.flows, std::slice::from_ref(&f.full_name));
        assert_eq!(b.src.zone, new.zones[f.from_zone].name.to_string());
        assert_eq!(b.dst.zone, new.zones[f.to_zone].name.to_string());
    }
}

fn approval(name: &str, scope: Scope, requires: &[&str]) -> Approval {
    Approval {
        name: Name::new(name),
        scope,
        requires: requires.iter().map(|r| Name::new(*r)).collect(),
    }
}

/// A base policy whose zones are all at `level`, with one changed reason.
fn with_reason_change(level: Level) -> (Policy, Policy, String) {
    let mut old = base();
    for z in &mut old.zones {
        z.level = level;
    }
    let mut new = old.clone();
    let ci = old
        .conduits
        .iter()
        .position(|c| !c.flows.is_empty())
        .unwrap();
    new.conduits[ci].flows[0].reason = "reworded".into();
    let trigger = format!("flow {} modified", new.conduits[ci].flows[0].full_name);
    (old, new, trigger)
}

#[test]
fn loosening_an_approval_rule_still_needs_the_old_approvers() {
    let (mut old, mut new, trigger) = with_reason_change(Level::L2);
    old.approvals = vec![approval(
        "plant-floor",
        Scope::Level(LevelOp::Le, Level::L2),
        &["plant-ops"],
    )];
    new.approvals = vec![approval(
        "plant-floor",
        Scope::Level(LevelOp::Le, Level::L1),
        &["plant-ops"],
    )];
    let r = diff(&old, &new, &opts());
    assert_eq!(r.approvals.len(), 1);
    let a = &r.approvals[0];
    assert_eq!(a.owner, "plant-ops");
    assert!(a
        .rules
        .iter()
        .any(|x| x.name == "plant-floor" && x.version == RuleVersion::Old));
    assert!(a.triggers.contains(&trigger), "{:?}", a.triggers);
    assert!(a
        .triggers
        .contains(&"approval plant-floor modified".to_string()));

    // Removing the rule altogether needs its owners too.
    new.approvals.clear();
    let r = diff(&old, &new, &opts());
    assert_eq!(r.approvals[0].owner, "plant-ops");
    assert!(r.approvals[0]
        .triggers
        .contains(&"approval plant-floor removed".to_string()));

    // Under NEW's rule alone (and no rule change) the level-2 change needs
    // nobody: it is OLD's rule that asked for plant-ops.
    let loose = vec![approval(
        "plant-floor",
        Scope::Level(LevelOp::Le, Level::L1),
        &["plant-ops"],
    )];
    old.approvals = loose.clone();
    new.approvals = loose;
    assert!(diff(&old, &new, &opts()).approvals.is_empty());
}

#[test]
fn approval_scopes_by_zone_conduit_and_all() {
    let (mut old, mut new, trigger) = with_reason_change(Level::L3);
    let ci = old
        .conduits
        .iter()
        .position(|c| !c.flows.is_empty())
        .unwrap();
    let conduit = old.conduits[ci].name.to_string();
    let zone = old.zones[old.conduits[ci].zones[0]].name.to_string();
    let unrelated_zone = old.zones.iter().map(|z| z.name.to_string()).find(|z| {
        !old.conduits[ci]
            .zones
            .iter()
            .any(|&i| old.zones[i].name.is(z))
    });
    let mut rules = vec![
        approval(
            "by-zone",
            Scope::Zones(vec![Name::new(&zone)]),
            &["zone-owner"],
        ),
        approval(
            "by-conduit",
            Scope::Conduits(vec![Name::new(conduit.to_ascii_uppercase())]),
            &["conduit-owner"],
        ),
        approval("everything", Scope::All, &["auditor"]),
        approval("high", Scope::Level(LevelOp::Ge, Level::L4), &["nobody"]),
    ];
    if let Some(z) = &unrelated_zone {
        rules.push(approval(
            "elsewhere",
            Scope::Zones(vec![Name::new(z)]),
            &["nobody"],
        ));
    }
    old.approvals = rules.clone();
    new.approvals = rules;
    let r = diff(&old, &new, &opts());
    let owners: Vec<&str> = r.approvals.iter().map(|a| a.owner.as_str()).collect();
    assert_eq!(owners, ["auditor", "conduit-owner", "zone-owner"]);
    for a in &r.approvals {
        assert_eq!(a.triggers, std::slice::from_ref(&trigger));
        assert_eq!(a.rules[0].version, RuleVersion::Both);
        assert!(!a.approved);
    }
    let given = opts().approved_by(["AUDITOR", "zone-owner"]);
    let r = diff(&old, &new, &given);
    let missing: Vec<&str> = r.missing_approvals().map(|a| a.owner.as_str()).collect();
    assert_eq!(missing, ["conduit-owner"]);
}

#[test]
fn service_and_owner_changes_reach_the_conduits_that_depend_on_them() {
    let (mut old, _, _) = with_reason_change(Level::L3);
    let ci = old
        .conduits
        .iter()
        .position(|c| !c.flows.is_empty())
        .unwrap();
    let conduit = old.conduits[ci].name.to_string();
    let mut set = ServiceSet::new();
    set.tcp = PortSet::single(5450);
    old.services.push(Service {
        name: Name::new("pi-repl"),
        set: set.clone(),
        written: vec!["tcp/5450".into()],
        remote_access: false,
        builtin: false,
    });
    old.conduits[ci].flows[0].service_refs = vec!["PI-REPL".into()];
    old.conduits[ci].flows[0].services = set;
    old.approvals = vec![approval(
        "by-conduit",
        Scope::Conduits(vec![Name::new(&conduit)]),
        &["plant-ops"],
    )];
    let mut new = old.clone();
    new.services[0].written.push("tcp/5457".into());
    new.services[0].set.tcp = PortSet::from_ranges([(5450, 5450), (5457, 5457)]);
    let r = diff(&old, &new, &opts());
    let d = find(&r, DeclKind::Service, "pi-repl");
    assert_eq!(d.attributes[0].attribute, "definition");
    assert_eq!(d.attributes[0].gained, ["tcp/5457"]);
    assert!(r.approvals[0]
        .triggers
        .contains(&"service pi-repl modified".to_string()));

    // An owner's contact change touches what that owner is accountable for.
    let mut new = old.clone();
    let owner = old.conduits[ci].owner.to_string();
    new.owners
        .iter_mut()
        .find(|o| o.name.is(&owner))
        .unwrap()
        .contact = "new@example.com".into();
    let r = diff(&old, &new, &opts());
    assert_eq!(r.approvals[0].triggers, [format!("owner {owner} modified")]);
}

/// Guards the property test against vacuity: over fixed seeds, mutations do
/// produce packets in both lists, and the exactness check covers them.
#[test]
fn mutations_produce_packets_on_both_sides_of_the_delta() {
    let (mut newly, mut no_longer, mut monitor_boxes) = (0, 0, 0);
    let b = conduitc::BuildOptions::new(gen::today());
    for seed in 0..150u64 {
        let old = gen::policy(seed);
        let new = mutate(&old, seed.wrapping_mul(7919));
        let r = diff(&old, &new, &opts());
        monitor_boxes += r
            .access
            .added
            .iter()
            .chain(&r.access.removed)
            .filter(|x| x.flows.iter().any(|f| f.ends_with("/*")))
            .count();
        for pkt in gen::packets(&new, seed, 100) {
            let was = conduitc::decide(&old, &pkt, &b).unwrap().allowed();
            let is = conduitc::decide(&new, &pkt, &b).unwrap().allowed();
            assert_eq!(
                r.access.newly_allows(&pkt),
                is && !was,
                "seed {seed} {pkt:?}"
            );
            assert_eq!(
                r.access.no_longer_allows(&pkt),
                was && !is,
                "seed {seed} {pkt:?}"
            );
            newly += usize::from(is && !was);
            no_longer += usize::from(was && !is);
        }
    }
    assert!(
        newly > 50 && no_longer > 50 && monitor_boxes > 5,
        "{newly} {no_longer} {monitor_boxes}"
    );
}

/// Comments, blank lines and a different order everywhere, through the
/// parser and the checker: no change.
fn relaid(text: &str) -> String {
    let mut out = String::from("# re-laid out\n\n");
    for line in text.lines() {
        let t = line.trim_start();
        let block = [
            "zone ",
            "flow ",
            "conduit ",
            "firewall ",
            "manage ",
            "control ",
        ];
        if block.iter().any(|b| t.starts_with(b)) {
            out.push_str("\n# a comment about the next block\n");
        }
        out.push_str("    ");
        out.push_str(t);
        if t.ends_with('{') || t.is_empty() {
            out.push('\n');
        } else {
            out.push_str("   # trailing comment\n");
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn relaid_and_reordered_text_is_no_change(spec in gen::policy_spec()) {
        let p = crate::roundtrip::expressible(spec.to_policy());
        let day = gen::today().add_days(-1);
        let load = |text: String| {
            let sources = conduitc::Sources::from_memory("p.conduit", text);
            conduitc::check(&sources, &conduitc::CheckOptions::new(day)).policy
        };
        let a = load(gen::to_text(&p)).unwrap();
        let b = load(relaid(&gen::to_text(&reordered(&p))));
        let b = b.unwrap_or_else(|| panic!("{}", relaid(&gen::to_text(&reordered(&p)))));
        let r = diff(&a, &b, &DiffOptions::new(day));
        prop_assert!(r.no_change, "{:#?}", r);
    }
}

/// The cells of a Markdown table row, split at unescaped `|`.
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().unwrap().push_str("\\|");
                chars.next();
            }
            '|' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out.iter().map(|c| c.trim().to_string()).collect()
}

/// The text of a cell that is one code span, as GFM reads it; `None` when
/// the cell is anything else.
fn code_span(cell: &str) -> Option<String> {
    let n = cell.chars().take_while(|&c| c == '`').count();
    let fence = "`".repeat(n);
    if n == 0 || cell.len() < 2 * n || !cell.ends_with(&fence) {
        return None;
    }
    let inner = &cell[n..cell.len() - n];
    // No run of exactly n backticks inside, or the span would close early.
    let runs_ok = inner
        .split(|c| c != '`')
        .all(|run| run.is_empty() || run.len() != n);
    if !runs_ok || inner.ends_with('`') {
        return None;
    }
    let inner = if inner.len() >= 2
        && inner.starts_with(' ')
        && inner.ends_with(' ')
        && inner.chars().any(|c| c != ' ')
    {
        &inner[1..inner.len() - 1]
    } else {
        inner
    };
    Some(inner.replace("\\|", "|"))
}

fn reason_row(reason: &str) -> (String, String) {
    let (old, mut new, _) = with_reason_change(Level::L3);
    let ci = new
        .conduits
        .iter()
        .position(|c| !c.flows.is_empty())
        .unwrap();
    new.conduits[ci].flows[0].reason = reason.into();
    let md = conduitc::diff::render::markdown(&diff(&old, &new, &opts()));
    let line = md
        .lines()
        .find(|l| l.contains("| reason |"))
        .expect("a reason row")
        .to_string();
    (line, md)
}

#[test]
fn markdown_escapes_user_text() {
    let reason = "ping @plant-team | <img src=x> `rm` [link](http://x) *bold*";
    let (line, _) = reason_row(reason);
    // Seven unescaped `|`: six cells, the new reason one code span.
    let c = cells(&line);
    assert_eq!(c.len(), 8, "{line}");
    assert_eq!(c[1], "modified", "{line}");
    assert_eq!(code_span(&c[6]).as_deref(), Some(reason), "{line}");
    assert!(
        line.contains(r"``ping @plant-team \| <img src=x> `rm` [link](http://x) *bold*``"),
        "{line}"
    );
}

#[test]
fn markdown_user_text_forms_no_links_or_mentions() {
    // Bare URLs, www. links, e-mail addresses and mentions are autolinked by
    // GitHub and GitLab in plain text, never inside a code span.
    for reason in [
        "see https://evil.example/login and www.evil.example",
        "mail boss@evil.example or ping @someone",
        "``fenced`` twice ```",
        "` leading backtick",
        " spaced out ",
        "trailing \\",
        "a | b || c",
    ] {
        let (line, md) = reason_row(reason);
        let c = cells(&line);
        assert_eq!(c.len(), 8, "{reason:?}: {line}");
        assert_eq!(
            code_span(&c[6]).as_deref(),
            Some(reason),
            "{reason:?}: {line}"
        );
        // Nowhere else does the text appear outside a code span.
        let outside: String = md
            .lines()
            .filter(|l| *l != line)
            .collect::<Vec<_>>()
            .join("\n");
        for word in ["https://evil", "www.evil", "@someone", "boss@evil"] {
            assert!(!outside.contains(word), "{word} in {outside}");
        }
    }
    // Names cannot hold `:`, `/` or `@`; a dotted name after `www` is escaped.
    assert_eq!(conduitc::diff::render::md("www.evil"), r"www\.evil");
    assert_eq!(conduitc::diff::render::md("WWW.x.www.y"), r"WWW\.x.www\.y");
}

#[test]
fn a_service_change_reaches_flows_through_composed_services() {
    let (mut old, _, _) = with_reason_change(Level::L3);
    let ci = old
        .conduits
        .iter()
        .position(|c| !c.flows.is_empty())
        .unwrap();
    let conduit = old.conduits[ci].name.to_string();
    let mut set = ServiceSet::new();
    set.tcp = PortSet::single(5450);
    for (name, written) in [("pi-repl", "tcp/5450"), ("scada-set", "PI-REPL")] {
        old.services.push(Service {
            name: Name::new(name),
            set: set.clone(),
            written: vec![written.into()],
            remote_access: false,
            builtin: false,
        });
    }
    old.conduits[ci].flows[0].service_refs = vec!["scada-set".into()];
    old.conduits[ci].flows[0].services = set;
    old.approvals = vec![approval(
        "by-conduit",
        Scope::Conduits(vec![Name::new(&conduit)]),
        &["plant-ops"],
    )];
    let mut new = old.clone();
    new.services[0].written = vec!["tcp/5451".into()];
    new.services[0].set.tcp = PortSet::single(5451);
    new.services[1].set.tcp = PortSet::single(5451);
    new.conduits[ci].flows[0].services.tcp = PortSet::single(5451);
    let r = diff(&old, &new, &opts());
    // The composed service reports what it now admits.
    let d = find(&r, DeclKind::Service, "scada-set");
    assert_eq!(d.attributes[0].attribute, "admits");
    assert_eq!(r.approvals.len(), 1);
    assert!(r.approvals[0]
        .triggers
        .contains(&"service pi-repl modified".to_string()));
}

// ---------------------------------------------------------------------------
// Cost: a pair whose every service atom is covered by a different set of
// rules (nested port ranges) and whose every source host sees different
// destinations. The former delta was cubic on it: about 15 s for this
// 90 KB pair, 138 s at 200 KB.

use crate::limits::adversarial::nested_ranges;

/// The diff of two policy texts (each must check clean), computed on a
/// thread that must answer within 60 s.
fn diff_within_a_minute(old_text: &str, new_text: &str) -> Report {
    let parse = |text: &str| {
        let sources = conduitc::Sources::from_memory("p.conduit", text);
        let checked = conduitc::check(&sources, &conduitc::CheckOptions::new(gen::today()));
        assert_eq!(checked.diagnostics.error_count(), 0);
        checked.policy.unwrap()
    };
    let (old, new) = (parse(old_text), parse(new_text));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(diff(&old, &new, &opts()));
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the delta within 60 s")
}

#[test]
fn nested_port_ranges_diff_quickly_and_exactly() {
    use conduitc::lower::Packet;
    use std::net::{IpAddr, Ipv4Addr};

    const N: usize = 200;
    let (old_text, new_text) = (nested_ranges(N, 1, 0), nested_ranges(N, 2, 0));
    assert!(old_text.len() + new_text.len() > 85_000);
    let report = diff_within_a_minute(&old_text, &new_text);
    let access = &report.access;
    // Only TCP port 1 is lost, from every source but host j itself to host j.
    assert!(access.added.is_empty());
    assert_eq!(access.removed.len(), N + 1);
    assert!(access.removed.iter().all(|b| b.services == ["tcp/1"]));
    let host =
        |z: u8, i: usize| IpAddr::V4(Ipv4Addr::new(10, z, (i / 250) as u8, (i % 250 + 1) as u8));
    let other = IpAddr::V4(Ipv4Addr::new(10, 0, 9, 9));
    for j in (0..N).step_by(7) {
        for (src, own) in [
            (host(0, j), true),
            (host(0, (j + 3) % N), false),
            (other, false),
        ] {
            for port in [1u16, 2, 999, 1000 + j as u16, 1001 + j as u16, 65535] {
                let p = Packet {
                    src,
                    dst: host(1, j),
                    proto: 6,
                    dport: Some(port),
                    icmp_type: None,
                };
                assert!(!access.newly_allows(&p));
                assert_eq!(access.no_longer_allows(&p), port == 1 && !own, "{p:?}");
            }
        }
    }
}

/// Moving every range to the next host, ports kept, leaves no rule of one
/// version with the sources and destinations of a rule of the other, so
/// nothing cancels before the sweep, while only one port per host changes
/// hands; at 2,000 hosts a side (449 KB a version) the former delta spent
/// seconds on it in a release build.
#[test]
fn moved_nested_ranges_diff_quickly_and_exactly() {
    use conduitc::lower::Packet;
    use std::net::{IpAddr, Ipv4Addr};

    const N: usize = 2000;
    let (old_text, new_text) = (nested_ranges(N, 1, 0), nested_ranges(N, 1, 1));
    assert!(old_text.len() + new_text.len() > 890_000);
    let report = diff_within_a_minute(&old_text, &new_text);
    let access = &report.access;
    // Newly allowed: host 0 on the ports of w1999 that no old range to host
    // 0 covers, from every source but host 0 itself.
    assert_eq!(access.added.len(), 1);
    assert_eq!(access.added[0].services, ["tcp/1001-2999"]);
    assert_eq!(access.added[0].flows, ["c/w1999"]);
    assert_eq!(access.added[0].dst.names, ["z1.h0"]);
    // No longer allowed: port 1000 + j to host j, j > 0, by w{j} alone.
    assert_eq!(access.removed.len(), N - 1);
    for (j, b) in (1..N).zip(&access.removed) {
        assert_eq!(b.services, [format!("tcp/{}", 1000 + j)]);
        assert_eq!(b.flows, [format!("c/w{j}")]);
        assert_eq!(b.src.label(), format!("z0 except z0.h{j}"));
        assert_eq!(b.dst.names, [format!("z1.h{j}")]);
    }
    let host =
        |z: u8, i: usize| IpAddr::V4(Ipv4Addr::new(10, z, (i / 250) as u8, (i % 250 + 1) as u8));
    let other = IpAddr::V4(Ipv4Addr::new(10, 0, 9, 9));
    for j in (0..N).step_by(37) {
        for (src, own) in [
            (host(0, j), true),
            (host(0, (j + 3) % N), false),
            (other, false),
        ] {
            for port in [1u16, 2, 1000, 1000 + j as u16, 1001 + j as u16, 3000] {
                let p = Packet {
                    src,
                    dst: host(1, j),
                    proto: 6,
                    dport: Some(port),
                    icmp_type: None,
                };
                let added = j == 0 && !own && (1001..=2999).contains(&port);
                let removed = !own && j > 0 && port == 1000 + j as u16;
                assert_eq!(access.newly_allows(&p), added, "{p:?}");
                assert_eq!(access.no_longer_allows(&p), removed, "{p:?}");
            }
        }
    }
}

/// A policy from one source text, checked clean.
fn compiled(text: &str) -> Policy {
    let c = conduitc::check(
        &conduitc::Sources::from_memory("p.conduit", text),
        &conduitc::CheckOptions::new(gen::today()),
    );
    c.policy
        .unwrap_or_else(|| panic!("{:?}", c.diagnostics.codes()))
}

#[test]
fn a_zone_marked_supplier_and_a_new_acl_budget_are_declaration_changes() {
    let text = include_str!("../diagnostics/E607-invalid-acl-budget.pass.conduit");
    let old = compiled(text);
    let marked = text.replacen("  level 2\n", "  level 2\n  supplier\n", 1);
    let budget = marked.replace("acl-budget 1000", "acl-budget 2000");
    let new = compiled(&budget);
    let r = diff(&old, &new, &opts());
    let kinds: Vec<(DeclKind, &str)> = r
        .declarations
        .iter()
        .map(|d| (d.kind, d.name.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (DeclKind::Zone, "scada"),
            (DeclKind::Firewall, "cell-router")
        ]
    );
    let zone = find(&r, DeclKind::Zone, "scada");
    assert_eq!(zone.change, ChangeKind::Modified);
    let attrs: Vec<(&str, Option<&str>, Option<&str>)> = zone
        .attributes
        .iter()
        .map(|a| (a.attribute.as_str(), a.old.as_deref(), a.new.as_deref()))
        .collect();
    assert_eq!(attrs, [("supplier", Some("no"), Some("yes"))]);
    let fw = find(&r, DeclKind::Firewall, "cell-router");
    let attrs: Vec<(&str, Option<&str>, Option<&str>)> = fw
        .attributes
        .iter()
        .map(|a| (a.attribute.as_str(), a.old.as_deref(), a.new.as_deref()))
        .collect();
    assert_eq!(attrs, [("acl-budget", Some("1000"), Some("2000"))]);
    // Neither changes what is allowed.
    assert!(r.access.unchanged);
    assert!(!r.no_change);
    // Back to the default: the budget is gone, and so is the mark.
    let r = diff(
        &new,
        &compiled(&text.replace("  acl-budget 1000\n", "")),
        &opts(),
    );
    let changes: Vec<(&str, Option<&str>, Option<&str>)> = r
        .declarations
        .iter()
        .flat_map(|d| &d.attributes)
        .map(|a| (a.attribute.as_str(), a.old.as_deref(), a.new.as_deref()))
        .collect();
    assert_eq!(
        changes,
        [
            ("supplier", Some("yes"), Some("no")),
            ("acl-budget", Some("2000"), None)
        ]
    );
}

// ---------------------------------------------------------------------------
// Traffic to the firewall itself: the access delta per firewall, and the
// approvals it needs.

fn managed(services: &str, extra: &str) -> String {
    format!(
        "owner ops {{\n  contact \"ops@example.com\"\n}}\n\nowner plant {{\n  contact \"plant@example.com\"\n}}\n\n\
         zone office {{\n  level 3\n  owner ops\n  networks 10.40.0.0/16\n  host it-admin = 10.40.0.9\n}}\n\n\
         zone control {{\n  level 1\n  owner plant\n  networks 10.1.0.0/24\n  host plc = 10.1.0.5\n}}\n\n\
         zone dmz {{\n  level 3\n  owner ops\n  networks 10.50.0.0/24\n}}\n\n\
         conduit office-dmz {{\n  zones office, dmz\n  owner ops\n  flow web {{\n    from office\n    to dmz\n    \
         service https\n    reason \"r\"\n  }}\n}}\n\n\
         approval control-side {{\n  scope zone control\n  requires plant\n}}\n\n\
         approval dmz-side {{\n  scope zone dmz\n  requires ops\n}}\n\n\
         approval by-conduit {{\n  scope conduit office-dmz\n  requires ops\n}}\n\n\
         firewall cell-fw {{\n  platform nftables\n  interface \"eth0\" = office address 10.40.0.1\n  \
         interface \"eth1\" = control address 10.1.0.1\n\n  manage admin {{\n    from office.it-admin\n    \
         service {services}\n    owner ops\n    reason \"IT administers the cell firewall\"\n  }}\n{extra}}}\n"
    )
}

fn to_fw(src: &str, dst: &str, proto: u8, dport: u16) -> conduitc::lower::Packet {
    conduitc::lower::Packet {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto,
        dport: Some(dport),
        icmp_type: None,
    }
}

#[test]
fn entries_changed_show_traffic_to_the_firewall_newly_and_no_longer_allowed() {
    let old = compiled(&managed("ssh, snmp", ""));
    let control = "  control time {\n    from control.plc\n    service ntp\n    owner plant\n    \
                   reason \"The PLC asks the firewall for the time\"\n  }\n";
    let new = compiled(&managed("ssh, https", control));
    let r = diff(&old, &new, &opts());
    assert!(!r.no_change);
    // Nothing changed between zones.
    assert!(r.access.unchanged);
    assert_eq!(r.local_access.len(), 1);
    let l = &r.local_access[0];
    assert_eq!(l.firewall, "cell-fw");
    let added: Vec<(String, String, String, Vec<String>)> = l
        .added
        .iter()
        .map(|b| {
            (
                b.services.join(", "),
                b.src.label(),
                b.dst.label(),
                b.flows.clone(),
            )
        })
        .collect();
    assert_eq!(
        added,
        vec![
            (
                "udp/123".to_string(),
                "control.plc".to_string(),
                "cell-fw".to_string(),
                vec!["cell-fw/time".to_string()]
            ),
            (
                "tcp/443".to_string(),
                "office.it-admin".to_string(),
                "cell-fw".to_string(),
                vec!["cell-fw/admin".to_string()]
            ),
        ]
    );
    assert_eq!(l.removed.len(), 1);
    assert_eq!(l.removed[0].services, vec!["udp/161"]);
    assert_eq!(l.removed[0].flows, vec!["cell-fw/admin"]);
    // The boxes hold exactly the packets to the firewall that changed.
    let admits = |boxes: &[conduitc::diff::AccessBox], p| boxes.iter().any(|b| b.admits(&p));
    assert!(admits(&l.added, to_fw("10.40.0.9", "10.1.0.1", 6, 443)));
    assert!(admits(&l.added, to_fw("10.40.0.9", "10.40.0.1", 6, 443)));
    assert!(!admits(&l.added, to_fw("10.40.0.9", "10.1.0.5", 6, 443)));
    assert!(!admits(&l.added, to_fw("10.40.0.9", "10.1.0.1", 6, 22)));
    assert!(!admits(&l.added, to_fw("10.40.0.8", "10.1.0.1", 6, 443)));
    assert!(admits(&l.removed, to_fw("10.40.0.9", "10.1.0.1", 17, 161)));
    // Reversed, added and removed swap.
    let back = diff(&new, &old, &opts());
    assert_eq!(back.local_access[0].removed.len(), 2);
    assert_eq!(back.local_access[0].added.len(), 1);

    let text = conduitc::diff::render::text(&r);
    assert!(
        text.contains(
            "\nAccess to firewalls on 2026-12-01\n  cell-fw\n    \
             + udp/123: control.plc (10.1.0.5) -> cell-fw (10.1.0.1, 10.40.0.1)\n        \
             by cell-fw/time\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("; to firewalls: 2 newly allowed, 1 no longer allowed"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&conduitc::diff::render::json(&r).unwrap()).unwrap();
    assert_eq!(json["local_access"][0]["firewall"], "cell-fw");
    assert_eq!(
        json["local_access"][0]["removed"][0]["flows"][0],
        "cell-fw/admin"
    );
    // Without a change to entries, the JSON has no `local_access`.
    let same = diff(&old, &old, &opts());
    assert!(same.local_access.is_empty());
    let json: serde_json::Value =
        serde_json::from_str(&conduitc::diff::render::json(&same).unwrap()).unwrap();
    assert!(json.get("local_access").is_none());
}

#[test]
fn entries_are_in_scope_of_zones_they_come_from_or_face_never_of_conduits() {
    let old = compiled(&managed("ssh", ""));
    let new = compiled(&managed("ssh, https", ""));
    let r = diff(&old, &new, &opts());
    let owners: Vec<&str> = r.approvals.iter().map(|a| a.owner.as_str()).collect();
    // control-side: the firewall faces control. dmz-side and by-conduit:
    // neither the sources nor the firewall touch dmz or the conduit.
    assert_eq!(owners, vec!["plant"]);
    let a = &r.approvals[0];
    assert_eq!(a.rules.len(), 1);
    assert_eq!(a.rules[0].name, "control-side");
    assert_eq!(
        a.triggers,
        vec![
            "firewall cell-fw modified".to_string(),
            "access newly allowed from office to firewall cell-fw".to_string()
        ]
    );
}

/// Regression: entries and interface addresses once compared in written
/// order and spelling case, so a reordered firewall showed as modified.
#[test]
fn reordered_entries_and_addresses_are_no_change() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = gen::policy_spec();
    let mut seen = 0;
    for _ in 0..64 {
        let spec = strategy.new_tree(&mut runner).unwrap().current();
        let p = spec.to_policy();
        let fw_has = |p: &Policy| {
            p.firewalls
                .iter()
                .any(|f| !f.local.is_empty() && f.interfaces.iter().any(|i| !i.addrs.is_empty()))
        };
        if !fw_has(&p) {
            continue;
        }
        seen += 1;
        let q = reordered(&p);
        assert!(diff(&p, &q, &opts()).no_change, "{}", gen::to_text(&p));
        assert!(diff(&q, &p, &opts()).no_change, "{}", gen::to_text(&p));
    }
    assert!(seen > 5, "{seen}");
}
