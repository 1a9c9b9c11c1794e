//! Conduits and flows: exactly two distinct zones (`E501`), endpoints in
//! the conduit's zones (`E502`), all `from` in one zone and all `to` in the
//! other (`E503`), flows that can never match (`E504`), expired flows
//! (`E505`), and the resolution of endpoints, services and owners.

use std::borrow::Borrow;

use super::decls::{ConduitDecl, FlowDecl};
use super::names::{single, NameTable, What};
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::limits::MAX_EXPANDED_RANGES;
use crate::model::{AddrSet, Conduit, Date, Endpoint, Flow, Member, Mode, Name, ServiceSet, Text};
use crate::source::Span;
use crate::syntax::ast::{Attr, Block, ConduitAttr, EndpointRef, FlowAttr, Ident, ServiceRef};

impl<'a> Checker<'a> {
    /// Conduits with an error are left out of the model; the conduit name
    /// table indexes declarations (for references), not model ids.
    ///
    /// Each conduit is taken by value or by reference ([`Borrow`]): a
    /// conduit's tree given by value is dropped once it is checked, and
    /// the later stages keep only a [`ConduitDecl`] of it.
    pub(crate) fn conduits_stage<B: Borrow<Block<ConduitAttr>>>(
        &mut self,
        decls: impl Iterator<Item = B>,
    ) {
        for (i, b) in decls.enumerate() {
            let b = b.borrow();
            if self.conduits.declare(&b.name, i, &mut self.diags) {
                self.conduit(b);
            }
            if self.expanded_too_far {
                return;
            }
        }
    }

    fn conduit(&mut self, b: &Block<ConduitAttr>) {
        let cname = b.name.text.as_str();
        let what = What("conduit", cname);
        self.check_waivers(&b.attrs);
        let zones = single(b, &what, "zones", true, &mut self.diags, |a| match a {
            ConduitAttr::Zones(z) => Some(z),
            _ => None,
        });
        let mut pair: Option<[usize; 2]> = None;
        if let Some((list, attr)) = zones {
            let ids: Vec<Option<usize>> = list
                .iter()
                .map(|z| self.zones.resolve(z, &mut self.diags))
                .collect();
            if list.len() != 2 {
                self.diags.push(
                    Diagnostic::new(
                        Code::ConduitZones,
                        attr.span,
                        format!("conduit `{cname}` lists {} zones", list.len()),
                    )
                    .label("a conduit joins exactly two zones")
                    .help("declare one conduit per pair of zones: `zones a, b`"),
                );
            } else if let (Some(a), Some(z)) = (ids[0], ids[1]) {
                if a == z {
                    self.diags.push(
                        Diagnostic::new(
                            Code::ConduitZones,
                            attr.span,
                            format!("conduit `{cname}` joins zone `{}` to itself", list[0].text),
                        )
                        .label("a conduit joins two distinct zones")
                        .help(
                            "traffic inside one zone does not cross a conduit; name the other zone",
                        ),
                    );
                } else {
                    pair = Some([a, z]);
                }
            }
        }
        let owner = single(b, &what, "owner", true, &mut self.diags, |a| match a {
            ConduitAttr::Owner(o) => Some(o),
            _ => None,
        })
        .and_then(|(o, _)| self.owner_ref(o));
        let sl = single(b, &what, "sl", false, &mut self.diags, |a| match a {
            ConduitAttr::Sl(s) => Some(*s),
            _ => None,
        })
        .map(|(s, _)| s);
        let mode = single(b, &what, "mode", false, &mut self.diags, |a| match a {
            ConduitAttr::Mode(m) => Some(*m),
            _ => None,
        })
        .map_or(Mode::Enforce, |(m, _)| m);

        let mut flow_names = NameTable::new("flow");
        let declared = b
            .attrs
            .iter()
            .filter(|a| matches!(a.value, ConduitAttr::Flow(_)))
            .count();
        let mut flows = Vec::with_capacity(declared);
        let mut flow_decls = Vec::with_capacity(declared);
        for a in &b.attrs {
            let ConduitAttr::Flow(f) = &a.value else {
                continue;
            };
            if !flow_names.declare(&f.name, flows.len(), &mut self.diags) {
                continue;
            }
            if let Some(flow) = self.flow(b, f, pair, owner.as_ref()) {
                flow_decls.push(FlowDecl::of(f, !flow.services.ip.is_empty()));
                flows.push(flow);
            }
            if self.expanded_too_far {
                return;
            }
        }
        if let (Some(zones), Some(owner)) = (pair, owner) {
            flows.shrink_to_fit();
            flow_decls.shrink_to_fit();
            self.policy.conduits.push(Conduit {
                name: Name::new(cname),
                zones,
                owner,
                sl,
                mode,
                flows,
            });
            let mut decl = ConduitDecl::of(b);
            decl.flows = flow_decls;
            self.conduit_decls.push(decl);
        }
    }

    fn flow(
        &mut self,
        c: &Block<ConduitAttr>,
        f: &Block<FlowAttr>,
        pair: Option<[usize; 2]>,
        conduit_owner: Option<&Name>,
    ) -> Option<Flow> {
        let full_name = format!("{}/{}", c.name.text, f.name.text);
        let what = What("flow", &full_name);
        let FlowAttrs {
            from,
            to,
            service,
            owner,
            reason,
            expires,
            essential,
            log,
        } = match FlowAttrs::of(f) {
            Some(attrs) => attrs,
            None => self.flow_attrs_reported(f, &what),
        };

        let owner = match owner {
            Some((o, _)) => self.owner_ref(o),
            None => conduit_owner.cloned(),
        };
        let cname = c.name.text.as_str();
        let from_eps = from.map(|(list, attr)| (self.endpoints(list, pair, cname), attr.span));
        let to_eps = to.map(|(list, attr)| (self.endpoints(list, pair, cname), attr.span));
        let n = service.map_or(0, |(list, _)| list.len());
        let (mut sets, mut refs) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut services_ok = true;
        if let Some((list, _)) = service {
            for r in list {
                refs.push(r.text.clone());
                match self.service_ref(r) {
                    Some(s) => sets.push(s),
                    None => services_ok = false,
                }
            }
        }
        // One service (the usual case) is its own union.
        let services = match sets.len() {
            1 => sets.pop().unwrap_or_default(),
            _ => ServiceSet::union_all(&sets),
        };
        let ((Some(from), from_span), (Some(to), to_span)) = (from_eps?, to_eps?) else {
            return None;
        };
        let from_zone = self.one_zone(&from, from_span, "from", &full_name)?;
        let to_zone = self.one_zone(&to, to_span, "to", &full_name)?;
        if from_zone == to_zone {
            self.diags.push(
                Diagnostic::new(
                    Code::FlowDirection,
                    f.name.span,
                    format!(
                        "`from` and `to` of flow `{full_name}` both lie in zone `{}`",
                        self.policy.zones[from_zone].name
                    ),
                )
                .with(from_span, "from here")
                .with(to_span, "to the same zone")
                .help("a flow runs from one of the conduit's zones to the other"),
            );
            return None;
        }
        let src = union_of(&from);
        let dst = union_of(&to);
        // A flow with an error stays out of the model, so no warning is
        // raised about it.
        let mut ok = true;
        if services_ok && service.is_some() {
            ok &= !self.never_matches(f, &full_name, &src, &dst, &services, from_span, to_span);
        }
        if let Some((date, attr)) = expires {
            if date < self.today {
                ok = false;
                self.diags.push(
                    Diagnostic::new(
                        Code::ExpiredFlow,
                        attr.span,
                        format!("flow `{full_name}` expired on {date}"),
                    )
                    .label(format!("in force through {date}; today is {}", self.today))
                    .help("renew it with a later `expires` date and a fresh justification, or remove the flow"),
                );
            }
        }
        if !ok || !services_ok || service.is_none() {
            return None;
        }
        let (mut from, mut to, mut src, mut dst, mut services) = (from, to, src, dst, services);
        if !self.share_expansion(&mut from, &mut to, &mut src, &mut dst, &mut services) {
            self.expanded_too_far = true;
            self.diags.push(
                Diagnostic::new(
                    Code::PolicyExpandsTooFar,
                    f.name.span,
                    format!(
                        "flow `{full_name}` takes the policy's expanded address and port ranges past the limit of {}",
                        thousands(MAX_EXPANDED_RANGES)
                    ),
                )
                .label("the flow that crosses the limit; the policy is not checked further")
                .help("let flows name the same services and groups instead of each adding its own ports or addresses to a large one, or use broader prefixes and port ranges"),
            );
            return None;
        }
        Some(Flow {
            name: Name::from(&f.name.text),
            full_name: full_name.into(),
            from,
            to,
            from_zone,
            to_zone,
            src,
            dst,
            service_refs: refs,
            services,
            owner: owner?,
            reason: reason?.0,
            expires: expires.map(|(d, _)| d),
            essential,
            log,
        })
    }

    /// A flow's attributes through [`single`], which reports every
    /// attribute given twice and every required one missing (the slow path
    /// of [`FlowAttrs::of`], in the order the diagnostics have always had).
    fn flow_attrs_reported<'f>(
        &mut self,
        f: &'f Block<FlowAttr>,
        what: &What<'_>,
    ) -> FlowAttrs<'f> {
        let from = single(f, what, "from", true, &mut self.diags, |a| match a {
            FlowAttr::From(e) => Some(e),
            _ => None,
        });
        let to = single(f, what, "to", true, &mut self.diags, |a| match a {
            FlowAttr::To(e) => Some(e),
            _ => None,
        });
        let service = single(f, what, "service", true, &mut self.diags, |a| match a {
            FlowAttr::Service(s) => Some(s),
            _ => None,
        });
        let owner = single(f, what, "owner", false, &mut self.diags, |a| match a {
            FlowAttr::Owner(o) => Some(o),
            _ => None,
        });
        let reason = single(f, what, "reason", true, &mut self.diags, |a| match a {
            FlowAttr::Reason(r) => Some(r.value.clone()),
            _ => None,
        });
        let expires = single(f, what, "expires", false, &mut self.diags, |a| match a {
            FlowAttr::Expires(d) => Some(*d),
            _ => None,
        });
        let essential = single(f, what, "essential", false, &mut self.diags, |a| {
            matches!(a, FlowAttr::Essential).then_some(())
        })
        .is_some();
        let log = single(f, what, "log", false, &mut self.diags, |a| {
            matches!(a, FlowAttr::Log).then_some(())
        })
        .is_some();
        FlowAttrs {
            from,
            to,
            service,
            owner,
            reason,
            expires,
            essential,
            log,
        }
    }

    /// Makes a flow's sets share the stored copies of equal sets; false when
    /// they take the total over [`MAX_EXPANDED_RANGES`].
    fn share_expansion(
        &mut self,
        from: &mut [Endpoint],
        to: &mut [Endpoint],
        src: &mut AddrSet,
        dst: &mut AddrSet,
        services: &mut ServiceSet,
    ) -> bool {
        let e = &mut self.expansion;
        from.iter_mut()
            .chain(to.iter_mut())
            .all(|ep| e.share_addrs(&mut ep.addrs))
            && e.share_addrs(src)
            && e.share_addrs(dst)
            && e.share_services(services)
    }

    /// Every endpoint resolved, or `None` after reporting.
    pub(crate) fn endpoints(
        &mut self,
        list: &[EndpointRef],
        pair: Option<[usize; 2]>,
        cname: &str,
    ) -> Option<Vec<Endpoint>> {
        let mut out = Vec::with_capacity(list.len());
        let mut ok = true;
        for e in list {
            match self.endpoint(e, pair, cname) {
                Some(ep) => out.push(ep),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// One endpoint resolved; with `pair`, it must lie in one of the two
    /// zones of conduit `cname` (`E502`).
    fn endpoint(
        &mut self,
        e: &EndpointRef,
        pair: Option<[usize; 2]>,
        cname: &str,
    ) -> Option<Endpoint> {
        let zone = self.zones.resolve(&e.zone, &mut self.diags)?;
        if let Some([a, b]) = pair {
            if zone != a && zone != b {
                let (za, zb) = (&self.policy.zones[a].name, &self.policy.zones[b].name);
                self.diags.push(
                    Diagnostic::new(
                        Code::EndpointOutsideConduit,
                        e.zone.span,
                        format!(
                            "zone `{}` is not joined by conduit `{}`, which joins `{za}` and `{zb}`",
                            e.zone.text, cname
                        ),
                    )
                    .label("not one of the conduit's zones")
                    .help("move the flow to the conduit between the right zones, or correct the endpoint"),
                );
                return None;
            }
        }
        let z = &self.policy.zones[zone];
        let Some(m) = &e.member else {
            return Some(Endpoint {
                zone,
                member: Member::Zone,
                addrs: z.addrs.clone(),
            });
        };
        match self.members[zone].get(&m.text) {
            Some(i) if i < z.hosts.len() => {
                let h = &z.hosts[i];
                let expansion = &self.expansion;
                let addrs = self
                    .host_addrs
                    .entry((zone, i))
                    .or_insert_with(|| {
                        let mut s = AddrSet::from_addrs(h.addrs.iter().copied());
                        expansion.canonical_addrs(&mut s);
                        s
                    })
                    .clone();
                Some(Endpoint {
                    zone,
                    member: Member::Host(h.name.clone()),
                    addrs,
                })
            }
            Some(i) => {
                let g = z.groups.get(i - z.hosts.len())?;
                Some(Endpoint {
                    zone,
                    member: Member::Group(g.name.clone()),
                    addrs: g.addrs.clone(),
                })
            }
            None => {
                let d = Diagnostic::new(
                    Code::UnknownName,
                    m.span,
                    format!("zone `{}` has no host or group named `{}`", z.name, m.text),
                )
                .label("unknown host or group")
                .maybe_help(self.members[zone].suggest(&m.text, &[]));
                self.diags.push(d);
                None
            }
        }
    }

    /// The one zone all endpoints lie in, or `E503`.
    fn one_zone(
        &mut self,
        eps: &[Endpoint],
        span: Span,
        key: &str,
        full_name: &str,
    ) -> Option<usize> {
        let first = eps.first()?.zone;
        if eps.iter().all(|e| e.zone == first) {
            return Some(first);
        }
        self.diags.push(
            Diagnostic::new(
                Code::FlowDirection,
                span,
                format!("the `{key}` endpoints of flow `{full_name}` lie in both of the conduit's zones"),
            )
            .label("endpoints in two zones")
            .help("all `from` endpoints lie in one zone and all `to` endpoints in the other; split the flow by direction"),
        );
        None
    }

    #[allow(clippy::too_many_arguments, reason = "one report needs every piece")]
    fn never_matches(
        &mut self,
        f: &Block<FlowAttr>,
        full_name: &str,
        src: &AddrSet,
        dst: &AddrSet,
        services: &ServiceSet,
        from_span: Span,
        to_span: Span,
    ) -> bool {
        let v4 = src.has_v4() && dst.has_v4();
        let v6 = src.has_v6() && dst.has_v6();
        let generic =
            !services.tcp.is_empty() || !services.udp.is_empty() || !services.ip.is_empty();
        if (v4 && (generic || !services.icmp.is_empty()))
            || (v6 && (generic || !services.icmpv6.is_empty()))
        {
            return false;
        }
        let fam = |s: &AddrSet| match (s.has_v4(), s.has_v6()) {
            (true, false) => "IPv4 only",
            (false, true) => "IPv6 only",
            (true, true) => "dual-stack",
            (false, false) => "empty",
        };
        let (message, help) = if src.is_empty() || dst.is_empty() {
            (
                format!(
                    "flow `{full_name}` can never match: its {} no address",
                    if src.is_empty() { "sources have" } else { "destinations have" }
                ),
                "a `networks any` zone owns only what no other zone claims; check the other zones' networks",
            )
        } else if !v4 && !v6 {
            (
                format!(
                    "flow `{full_name}` can never match: its sources are {} and its destinations {}",
                    fam(src),
                    fam(dst)
                ),
                "a packet's source and destination have one address family; give both sides an address of the same family",
            )
        } else if v4 {
            (
                format!("flow `{full_name}` can never match: its only services are ICMPv6, but its endpoints share only IPv4"),
                "use `icmp/...` between IPv4 endpoints",
            )
        } else {
            (
                format!("flow `{full_name}` can never match: its only services are ICMP for IPv4, but its endpoints share only IPv6"),
                "use `icmpv6/...` between IPv6 endpoints",
            )
        };
        self.diags.push(
            Diagnostic::new(Code::FlowNeverMatches, f.name.span, message)
                .label("admits no packet")
                .with(from_span, format!("sources: {}", fam(src)))
                .with(to_span, format!("destinations: {}", fam(dst)))
                .help(help),
        );
        true
    }
}

/// `10000000` as `10,000,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The addresses of all the endpoints: one endpoint's own set (shared, as
/// [`AddrSet::union_all`] would share it) without a union.
fn union_of(eps: &[Endpoint]) -> AddrSet {
    match eps {
        [one] => one.addrs.clone(),
        _ => AddrSet::union_all(eps.iter().map(|e| &e.addrs)),
    }
}

/// The attributes of one flow, each with the attribute that gave it.
struct FlowAttrs<'f> {
    from: Option<(&'f Vec<EndpointRef>, &'f Attr<FlowAttr>)>,
    to: Option<(&'f Vec<EndpointRef>, &'f Attr<FlowAttr>)>,
    service: Option<(&'f Vec<ServiceRef>, &'f Attr<FlowAttr>)>,
    owner: Option<(&'f Ident, &'f Attr<FlowAttr>)>,
    reason: Option<(Text, &'f Attr<FlowAttr>)>,
    expires: Option<(Date, &'f Attr<FlowAttr>)>,
    essential: bool,
    log: bool,
}

impl<'f> FlowAttrs<'f> {
    /// The attributes in one pass over the block, or `None` when one is
    /// given twice or a required one (`from`, `to`, `service`, `reason`)
    /// is missing: those are reported through [`single`], the same as
    /// [`Checker::flow_attrs_reported`] takes every flow.
    fn of(f: &'f Block<FlowAttr>) -> Option<FlowAttrs<'f>> {
        fn once<T>(slot: &mut Option<T>, v: T) -> Option<()> {
            match slot {
                Some(_) => None,
                None => {
                    *slot = Some(v);
                    Some(())
                }
            }
        }
        let (mut from, mut to, mut service, mut owner) = (None, None, None, None);
        let (mut reason, mut expires, mut essential, mut log) = (None, None, None, None);
        for a in &f.attrs {
            match &a.value {
                FlowAttr::From(e) => once(&mut from, (e, a))?,
                FlowAttr::To(e) => once(&mut to, (e, a))?,
                FlowAttr::Service(s) => once(&mut service, (s, a))?,
                FlowAttr::Owner(o) => once(&mut owner, (o, a))?,
                FlowAttr::Reason(r) => once(&mut reason, (&r.value, a))?,
                FlowAttr::Expires(d) => once(&mut expires, (*d, a))?,
                FlowAttr::Essential => once(&mut essential, ())?,
                FlowAttr::Log => once(&mut log, ())?,
                FlowAttr::Waive(_) => {}
            }
        }
        if from.is_none() || to.is_none() || service.is_none() || reason.is_none() {
            return None;
        }
        Some(FlowAttrs {
            from,
            to,
            service,
            owner,
            reason: reason.map(|(r, a): (&Text, _)| (r.clone(), a)),
            expires,
            essential: essential.is_some(),
            log: log.is_some(),
        })
    }
}
