//! What the stages after `conduits` keep of each conduit and flow
//! declaration that made it into the model: the spans their diagnostics
//! point at, the waivers, and (for the rare flow that admits IP protocols by
//! number) the services as written. Flows are by far the bulk of a large
//! policy; keeping this instead of their syntax trees lets [`check`] free
//! each conduit's tree once it is checked.
//!
//! [`check`]: super::check

use crate::diag::Code;
use crate::model::Text;
use crate::source::Span;
use crate::syntax::ast::{Block, ConduitAttr, FlowAttr, ServiceRef, Waive};

use super::waive::waived_code;

/// A checked conduit's declaration, as the later stages need it.
pub(crate) struct ConduitDecl {
    /// The conduit's name.
    pub(crate) name: Span,
    /// Its first `sl` attribute.
    pub(crate) sl: Option<Span>,
    /// Its first `mode` attribute.
    pub(crate) mode: Option<Span>,
    /// Its valid waivers: the code and the reason, in source order.
    pub(crate) waives: Box<[(Code, Text)]>,
    /// Its flows in the model, in model order.
    pub(crate) flows: Vec<FlowDecl>,
}

/// A flow's declaration, as the later stages need it.
pub(crate) struct FlowDecl {
    /// The flow's name.
    pub(crate) name: Span,
    /// Its first `service` attribute.
    pub(crate) service: Option<Span>,
    /// Its first `reason` attribute.
    pub(crate) reason: Option<Span>,
    /// Its first `expires` attribute.
    pub(crate) expires: Option<Span>,
    /// Its first `essential` attribute.
    pub(crate) essential: Option<Span>,
    /// The services as written: only for a flow that admits IP protocols
    /// by number (the firewalls stage points at the one that names it).
    pub(crate) services: Box<[ServiceRef]>,
    /// Its valid waivers: the code and the reason, in source order.
    pub(crate) waives: Box<[(Code, Text)]>,
}

impl ConduitDecl {
    /// The summary of conduit `b` (its flows are added as they check).
    pub(crate) fn of(b: &Block<ConduitAttr>) -> Self {
        let first = |pick: fn(&ConduitAttr) -> bool| {
            b.attrs.iter().find(|a| pick(&a.value)).map(|a| a.span)
        };
        ConduitDecl {
            name: b.name.span,
            sl: first(|a| matches!(a, ConduitAttr::Sl(_))),
            mode: first(|a| matches!(a, ConduitAttr::Mode(_))),
            waives: valid(b.attrs.iter().filter_map(|a| match &a.value {
                ConduitAttr::Waive(w) => Some(&**w),
                _ => None,
            })),
            flows: Vec::new(),
        }
    }

    /// True when the conduit waives `code` for itself and all its flows.
    pub(crate) fn waives(&self, code: Code) -> bool {
        self.waives.iter().any(|(c, _)| *c == code)
    }
}

impl FlowDecl {
    /// The summary of flow `f`; `with_services` keeps its services.
    pub(crate) fn of(f: &Block<FlowAttr>, with_services: bool) -> Self {
        let first =
            |pick: fn(&FlowAttr) -> bool| f.attrs.iter().find(|a| pick(&a.value)).map(|a| a.span);
        let services = if with_services {
            f.attrs
                .iter()
                .find_map(|a| match &a.value {
                    FlowAttr::Service(list) => Some(list.as_slice()),
                    _ => None,
                })
                .unwrap_or_default()
                .into()
        } else {
            Box::default()
        };
        FlowDecl {
            name: f.name.span,
            service: first(|a| matches!(a, FlowAttr::Service(_))),
            reason: first(|a| matches!(a, FlowAttr::Reason(_))),
            expires: first(|a| matches!(a, FlowAttr::Expires(_))),
            essential: first(|a| matches!(a, FlowAttr::Essential)),
            services,
            waives: valid(f.attrs.iter().filter_map(|a| match &a.value {
                FlowAttr::Waive(w) => Some(&**w),
                _ => None,
            })),
        }
    }

    /// True when the flow itself waives `code`.
    pub(crate) fn waives(&self, code: Code) -> bool {
        self.waives.iter().any(|(c, _)| *c == code)
    }
}

/// The waivers among `ws` that name a warning (the others are reported by
/// `check_waivers`), with their reasons.
fn valid<'w>(ws: impl Iterator<Item = &'w Waive>) -> Box<[(Code, Text)]> {
    ws.filter_map(|w| Some((waived_code(w).ok()?, w.reason.value.clone())))
        .collect()
}
