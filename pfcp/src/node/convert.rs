//! From PFCP IEs to the upf-core rule model.
//!
//! Every function here is pure: it reads decoded IEs (and, for updates, the
//! rule being updated) and returns a model rule or the [`Failure`] the
//! response must carry (TS 29.244 §7.2.3, §7.5.2, §7.5.4): a Conditional IE
//! missing (67) with the Offending IE, or a Rule creation/modification
//! failure (73) with the Failed Rule ID. F-TEIDs and UE addresses the UP
//! function allocates (CHOOSE) are resolved by the caller and passed in.

use core::net::{Ipv4Addr, Ipv6Addr};

use upf_core::rules as m;
use upf_core::sdf::{FlowDescription, SdfFilter};

use crate::ie::outer_header::OuterHeaderCreation as Ohc;
use crate::ie::types as t;
use crate::ie::{self as p, FailedRuleId};
use crate::Cause;

/// Why a request cannot be applied: what its response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The Cause.
    pub cause: Cause,
    /// The Offending IE type, when one IE is at fault.
    pub offending_ie: Option<u16>,
    /// The rule that could not be created or modified (Cause 73).
    pub failed_rule: Option<FailedRuleId>,
}

impl Failure {
    /// A failure with just a Cause.
    pub fn cause(cause: Cause) -> Self {
        Failure {
            cause,
            offending_ie: None,
            failed_rule: None,
        }
    }

    /// Conditional IE missing (67), naming the IE.
    pub fn conditional_missing(ie_type: u16) -> Self {
        Failure {
            cause: Cause::CONDITIONAL_IE_MISSING,
            offending_ie: Some(ie_type),
            failed_rule: None,
        }
    }

    /// Mandatory IE incorrect (69), naming the IE.
    pub fn incorrect(ie_type: u16) -> Self {
        Failure {
            cause: Cause::MANDATORY_IE_INCORRECT,
            offending_ie: Some(ie_type),
            failed_rule: None,
        }
    }

    /// Rule creation/modification failure (73) for `rule`.
    pub fn rule(rule: FailedRuleId) -> Self {
        Failure {
            cause: Cause::RULE_CREATION_MODIFICATION_FAILURE,
            offending_ie: None,
            failed_rule: Some(rule),
        }
    }
}

/// The Failed Rule ID for a rule kind name of [`m::RuleError`].
fn failed_rule(kind: &str, id: u32) -> FailedRuleId {
    match kind {
        "PDR" => FailedRuleId::Pdr(id as u16),
        "FAR" => FailedRuleId::Far(id),
        "QER" => FailedRuleId::Qer(id),
        "URR" => FailedRuleId::Urr(id),
        _ => FailedRuleId::Bar(id as u8),
    }
}

/// The response for a rule model error.
pub fn rule_error(e: &m::RuleError) -> Failure {
    match e {
        m::RuleError::Duplicate { kind, id }
        | m::RuleError::Unknown { kind, id }
        | m::RuleError::Invalid { kind, id, .. } => Failure::rule(failed_rule(kind, *id)),
        m::RuleError::DanglingReference { pdr, .. } => Failure::rule(FailedRuleId::Pdr(*pdr)),
        m::RuleError::DanglingBar { far, .. } => Failure::rule(FailedRuleId::Far(*far)),
        m::RuleError::TooMany { .. } => Failure::cause(Cause::NO_RESOURCES_AVAILABLE),
    }
}

fn interface(v: u8) -> m::Interface {
    m::Interface::from(v)
}

/// UE IP Address IEs of a PDI (an IPv4 one and an IPv6 one may come
/// separately) merged into one.
pub fn ue_ip(ies: &[p::UeIpAddress]) -> Option<m::UeIpAddress> {
    let mut out: Option<m::UeIpAddress> = None;
    for ie in ies {
        let prefix = match (ie.ipv6_prefix_length, ie.ipv6_prefix_delegation_bits) {
            (Some(l), _) => l.min(128),
            (None, Some(bits)) => 64u8.saturating_sub(bits),
            (None, None) => upf_core::compile::DEFAULT_UE_V6_PREFIX,
        };
        if ie.ipv4.is_none() && ie.ipv6.is_none() {
            continue;
        }
        let o = out.get_or_insert(m::UeIpAddress {
            ipv4: None,
            ipv6: None,
            ipv6_prefix_len: prefix,
            is_destination: ie.destination,
        });
        if o.ipv4.is_none() {
            o.ipv4 = ie.ipv4;
        }
        if o.ipv6.is_none() && ie.ipv6.is_some() {
            o.ipv6 = ie.ipv6;
            o.ipv6_prefix_len = prefix;
        }
    }
    out
}

/// An SDF Filter IE in the model; a flow description that does not parse
/// fails the PDR.
pub fn sdf_filter(f: &p::SdfFilter, pdr: u16) -> Result<SdfFilter, Failure> {
    let fail = || Failure::rule(FailedRuleId::Pdr(pdr));
    let flow = match &f.flow_description {
        Some(bytes) => {
            let text = core::str::from_utf8(bytes).map_err(|_| fail())?;
            Some(FlowDescription::parse(text).map_err(|_| fail())?)
        }
        None => None,
    };
    Ok(SdfFilter {
        flow,
        tos_traffic_class: f.tos_traffic_class.map(|v| ((v >> 8) as u8, v as u8)),
        spi: f.spi,
        flow_label: f.flow_label,
        filter_id: f.filter_id,
    })
}

/// A Framed-Route (RFC 2865: "prefix[/len] [gateway] [metrics]").
fn framed_v4(text: &[u8]) -> Option<(Ipv4Addr, u8)> {
    let text = core::str::from_utf8(text).ok()?;
    let first = text.split_whitespace().next()?;
    match first.split_once('/') {
        Some((a, l)) => {
            let len: u8 = l.parse().ok()?;
            (len <= 32).then_some(())?;
            Some((a.parse().ok()?, len))
        }
        None => Some((first.parse().ok()?, 32)),
    }
}

/// A Framed-IPv6-Route (RFC 3162: "prefix/len [gateway] [metrics]").
fn framed_v6(text: &[u8]) -> Option<(Ipv6Addr, u8)> {
    let text = core::str::from_utf8(text).ok()?;
    let first = text.split_whitespace().next()?;
    let (a, l) = first.split_once('/')?;
    let len: u8 = l.parse().ok()?;
    (len <= 128).then_some(())?;
    Some((a.parse().ok()?, len))
}

/// A PDI. `local_fteid` is the resolved local F-TEID (explicit, or what
/// the UP function chose); `ue_ip` likewise for the UE address.
pub fn pdi(
    pdi: &p::Pdi,
    pdr: u16,
    local_fteid: Option<m::FTeid>,
    ue_ip: Option<m::UeIpAddress>,
) -> Result<m::Pdi, Failure> {
    let mut out = m::Pdi::new(interface(pdi.source_interface.into()));
    out.local_fteid = local_fteid;
    out.network_instance = pdi.network_instance.as_ref().map(|n| n.0.clone());
    out.ue_ip = ue_ip;
    out.sdf_filters = pdi
        .sdf_filters
        .iter()
        .map(|f| sdf_filter(f, pdr))
        .collect::<Result<_, _>>()?;
    out.qfi = pdi.qfis.first().map(|q| q.0);
    out.application_id = pdi.application_id.as_ref().map(|a| a.0.clone());
    for r in &pdi.framed_routes {
        out.framed_routes_v4
            .push(framed_v4(&r.0).ok_or(Failure::rule(FailedRuleId::Pdr(pdr)))?);
    }
    for r in &pdi.framed_ipv6_routes {
        out.framed_routes_v6
            .push(framed_v6(&r.0).ok_or(Failure::rule(FailedRuleId::Pdr(pdr)))?);
    }
    Ok(out)
}

/// A Create PDR, with its resolved PDI.
pub fn create_pdr(c: &p::CreatePdr, pdi: m::Pdi) -> m::Pdr {
    m::Pdr {
        id: c.pdr_id.0,
        precedence: c.precedence.0,
        pdi,
        outer_header_removal: c
            .outer_header_removal
            .map(|o| m::OuterHeaderRemoval::from(u8::from(o.description))),
        far_id: c.far_id.map(|f| f.0),
        qer_ids: c.qer_ids.iter().map(|q| q.0).collect(),
        urr_ids: c.urr_ids.iter().map(|u| u.0).collect(),
    }
}

/// An Update PDR applied to `old`; `pdi` is the resolved new PDI, if the
/// update carries one (it replaces the old PDI as a whole).
pub fn update_pdr(old: &m::Pdr, u: &p::UpdatePdr, pdi: Option<m::Pdi>) -> m::Pdr {
    let mut n = old.clone();
    if let Some(pdi) = pdi {
        n.pdi = pdi;
    }
    if let Some(o) = u.outer_header_removal {
        n.outer_header_removal = Some(m::OuterHeaderRemoval::from(u8::from(o.description)));
    }
    if let Some(p) = u.precedence {
        n.precedence = p.0;
    }
    if let Some(f) = u.far_id {
        n.far_id = Some(f.0);
    }
    // URR and QER IDs in an Update PDR replace the previous lists.
    if !u.urr_ids.is_empty() {
        n.urr_ids = u.urr_ids.iter().map(|x| x.0).collect();
    }
    if !u.qer_ids.is_empty() {
        n.qer_ids = u.qer_ids.iter().map(|x| x.0).collect();
    }
    n
}

fn apply_action(a: &p::ApplyAction) -> m::ApplyAction {
    let o = a.octets();
    let lo = u16::from(o.first().copied().unwrap_or(0));
    let hi = u16::from(o.get(1).copied().unwrap_or(0));
    m::ApplyAction(lo | hi << 8)
}

/// Outer Header Creation in the model; a description this UP function
/// cannot build (only tags, say) fails the FAR.
pub fn outer_header_creation(o: &Ohc, far: u32) -> Result<m::OuterHeaderCreation, Failure> {
    use m::OuterHeaderCreationKind as K;
    let d = o.description;
    let kind = if d & Ohc::GTPU_UDP_IPV4 != 0 && o.ipv4.is_some() {
        K::GtpuUdpIpv4
    } else if d & Ohc::GTPU_UDP_IPV6 != 0 && o.ipv6.is_some() {
        K::GtpuUdpIpv6
    } else if d & Ohc::UDP_IPV4 != 0 {
        K::UdpIpv4
    } else if d & Ohc::UDP_IPV6 != 0 {
        K::UdpIpv6
    } else if d & Ohc::IPV4 != 0 {
        K::Ipv4
    } else if d & Ohc::IPV6 != 0 {
        K::Ipv6
    } else {
        return Err(Failure::rule(FailedRuleId::Far(far)));
    };
    let gtpu = matches!(kind, K::GtpuUdpIpv4 | K::GtpuUdpIpv6);
    Ok(m::OuterHeaderCreation {
        kind,
        teid: if gtpu { o.teid.unwrap_or(0) } else { 0 },
        ipv4: if matches!(kind, K::GtpuUdpIpv4 | K::UdpIpv4 | K::Ipv4) {
            o.ipv4
        } else {
            None
        },
        ipv6: if matches!(kind, K::GtpuUdpIpv6 | K::UdpIpv6 | K::Ipv6) {
            o.ipv6
        } else {
            None
        },
        port: o.port,
    })
}

fn marking(t: p::TransportLevelMarking) -> m::TransportLevelMarking {
    m::TransportLevelMarking {
        tos: (t.0 >> 8) as u8,
        mask: t.0 as u8,
    }
}

fn forwarding(f: &p::ForwardingParameters, far: u32) -> Result<m::ForwardingParameters, Failure> {
    Ok(m::ForwardingParameters {
        destination_interface: interface(f.destination_interface.into()),
        network_instance: f.network_instance.as_ref().map(|n| n.0.clone()),
        outer_header_creation: f
            .outer_header_creation
            .as_ref()
            .map(|o| outer_header_creation(o, far))
            .transpose()?,
        transport_level_marking: f.transport_level_marking.map(marking),
        forwarding_policy: f.forwarding_policy.as_ref().map(|p| p.0.clone()),
    })
}

fn duplicating(d: &p::DuplicatingParameters, far: u32) -> Result<m::ForwardingParameters, Failure> {
    Ok(m::ForwardingParameters {
        destination_interface: interface(d.destination_interface.into()),
        network_instance: None,
        outer_header_creation: d
            .outer_header_creation
            .as_ref()
            .map(|o| outer_header_creation(o, far))
            .transpose()?,
        transport_level_marking: d.transport_level_marking.map(marking),
        forwarding_policy: d.forwarding_policy.as_ref().map(|p| p.0.clone()),
    })
}

/// A Create FAR.
pub fn create_far(c: &p::CreateFar) -> Result<m::Far, Failure> {
    let id = c.far_id.0;
    let action = apply_action(&c.apply_action);
    if action.contains(m::ApplyAction::FORW) && c.forwarding_parameters.is_none() {
        return Err(Failure::conditional_missing(t::FORWARDING_PARAMETERS));
    }
    if action.contains(m::ApplyAction::DUPL) && c.duplicating_parameters.is_empty() {
        return Err(Failure::conditional_missing(t::DUPLICATING_PARAMETERS));
    }
    Ok(m::Far {
        id,
        apply_action: action,
        forwarding: c
            .forwarding_parameters
            .as_ref()
            .map(|f| forwarding(f, id))
            .transpose()?,
        duplicating: c
            .duplicating_parameters
            .iter()
            .map(|d| duplicating(d, id))
            .collect::<Result<_, _>>()?,
        bar_id: c.bar_id.map(|b| b.0),
    })
}

/// An end marker the UP function must send before switching a tunnel
/// (PFCPSMReq-Flags SNDEM in Update Forwarding Parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndMarker {
    /// The old peer address.
    pub peer: core::net::IpAddr,
    /// The old peer TEID.
    pub teid: u32,
    /// Where the old tunnel leads (Access: N3, Core: N9).
    pub destination: m::Interface,
}

/// An Update FAR applied to `old`; also returns the end marker to send for
/// the old tunnel, when SNDEM asks for one and the tunnel changes.
pub fn update_far(old: &m::Far, u: &p::UpdateFar) -> Result<(m::Far, Option<EndMarker>), Failure> {
    let id = old.id;
    let mut n = old.clone();
    let mut end_marker = None;
    if let Some(a) = &u.apply_action {
        n.apply_action = apply_action(a);
    }
    if let Some(f) = &u.update_forwarding_parameters {
        let mut fw = match (n.forwarding.take(), f.destination_interface) {
            (Some(fw), _) => fw,
            (None, Some(d)) => m::ForwardingParameters::to(interface(d.into())),
            (None, None) => return Err(Failure::conditional_missing(t::DESTINATION_INTERFACE)),
        };
        if let Some(d) = f.destination_interface {
            fw.destination_interface = interface(d.into());
        }
        if let Some(ni) = &f.network_instance {
            fw.network_instance = Some(ni.0.clone());
        }
        if let Some(o) = &f.outer_header_creation {
            let new = outer_header_creation(o, id)?;
            let sndem = f
                .pfcpsmreq_flags
                .is_some_and(|fl| fl.has(p::PfcpSmReqFlags::SNDEM));
            if let Some(old) = fw.outer_header_creation {
                let gtpu = matches!(
                    old.kind,
                    m::OuterHeaderCreationKind::GtpuUdpIpv4
                        | m::OuterHeaderCreationKind::GtpuUdpIpv6
                );
                if sndem && gtpu && old != new {
                    let peer = old
                        .ipv4
                        .map(core::net::IpAddr::V4)
                        .or(old.ipv6.map(core::net::IpAddr::V6));
                    if let Some(peer) = peer {
                        end_marker = Some(EndMarker {
                            peer,
                            teid: old.teid,
                            destination: fw.destination_interface,
                        });
                    }
                }
            }
            fw.outer_header_creation = Some(new);
        }
        if let Some(m) = f.transport_level_marking {
            fw.transport_level_marking = Some(marking(m));
        }
        if let Some(p) = &f.forwarding_policy {
            fw.forwarding_policy = Some(p.0.clone());
        }
        n.forwarding = Some(fw);
    }
    for d in &u.update_duplicating_parameters {
        // One set of duplicating parameters per destination interface.
        let Some(dest) = d.destination_interface.map(|d| interface(d.into())) else {
            return Err(Failure::conditional_missing(t::DESTINATION_INTERFACE));
        };
        let slot = match n
            .duplicating
            .iter_mut()
            .find(|x| x.destination_interface == dest)
        {
            Some(s) => s,
            None => {
                n.duplicating.push(m::ForwardingParameters::to(dest));
                n.duplicating.last_mut().expect("just pushed")
            }
        };
        if let Some(o) = &d.outer_header_creation {
            slot.outer_header_creation = Some(outer_header_creation(o, id)?);
        }
        if let Some(m) = d.transport_level_marking {
            slot.transport_level_marking = Some(marking(m));
        }
        if let Some(p) = &d.forwarding_policy {
            slot.forwarding_policy = Some(p.0.clone());
        }
    }
    if let Some(b) = u.bar_id {
        n.bar_id = Some(b.0);
    }
    if n.apply_action.contains(m::ApplyAction::FORW) && n.forwarding.is_none() {
        return Err(Failure::conditional_missing(
            t::UPDATE_FORWARDING_PARAMETERS,
        ));
    }
    Ok((n, end_marker))
}

fn gate(g: p::Gate) -> m::GateStatus {
    m::GateStatus::from(u8::from(g))
}

fn bitrate(ul_kbps: u64, dl_kbps: u64) -> m::BitRate {
    m::BitRate { ul_kbps, dl_kbps }
}

/// A Create QER.
pub fn create_qer(c: &p::CreateQer) -> m::Qer {
    m::Qer {
        id: c.qer_id.0,
        correlation_id: c.qer_correlation_id.map(|x| x.0),
        gate_ul: gate(c.gate_status.ul),
        gate_dl: gate(c.gate_status.dl),
        mbr: c.mbr.map(|b| bitrate(b.ul_kbps, b.dl_kbps)),
        gbr: c.gbr.map(|b| bitrate(b.ul_kbps, b.dl_kbps)),
        qfi: c.qfi.map(|q| q.0),
        rqi: c.rqi.is_some_and(|r| r.has(p::Rqi::RQI)),
        ppi: c.paging_policy_indicator.map(|x| x.0),
        averaging_window_ms: c.averaging_window.map(|x| x.0),
    }
}

/// An Update QER applied to `old`.
pub fn update_qer(old: &m::Qer, u: &p::UpdateQer) -> m::Qer {
    let mut n = old.clone();
    if let Some(c) = u.qer_correlation_id {
        n.correlation_id = Some(c.0);
    }
    if let Some(g) = u.gate_status {
        n.gate_ul = gate(g.ul);
        n.gate_dl = gate(g.dl);
    }
    if let Some(b) = u.mbr {
        n.mbr = Some(bitrate(b.ul_kbps, b.dl_kbps));
    }
    if let Some(b) = u.gbr {
        n.gbr = Some(bitrate(b.ul_kbps, b.dl_kbps));
    }
    if let Some(q) = u.qfi {
        n.qfi = Some(q.0);
    }
    if let Some(r) = u.rqi {
        n.rqi = r.has(p::Rqi::RQI);
    }
    if let Some(x) = u.paging_policy_indicator {
        n.ppi = Some(x.0);
    }
    if let Some(x) = u.averaging_window {
        n.averaging_window_ms = Some(x.0);
    }
    n
}

fn method(mm: &p::MeasurementMethod) -> m::MeasurementMethod {
    m::MeasurementMethod {
        duration: mm.has(p::MeasurementMethod::DURAT),
        volume: mm.has(p::MeasurementMethod::VOLUM),
        event: mm.has(p::MeasurementMethod::EVENT),
    }
}

fn triggers(rt: &p::ReportingTriggers) -> m::ReportingTriggers {
    let o = rt.octets();
    let b = |i: usize| u32::from(o.get(i).copied().unwrap_or(0));
    m::ReportingTriggers(b(0) | b(1) << 8 | b(2) << 16)
}

fn volume(total: Option<u64>, uplink: Option<u64>, downlink: Option<u64>) -> m::Volume {
    m::Volume {
        total,
        uplink,
        downlink,
    }
}

/// The conditional IEs a URR's triggers require.
fn check_urr(u: &m::Urr) -> Result<(), Failure> {
    let rt = u.reporting_triggers;
    if rt.contains(m::ReportingTriggers::PERIO) && u.measurement_period.is_none_or(|p| p == 0) {
        return Err(Failure::conditional_missing(t::MEASUREMENT_PERIOD));
    }
    if rt.contains(m::ReportingTriggers::VOLTH) && u.volume_threshold.is_none() {
        return Err(Failure::conditional_missing(t::VOLUME_THRESHOLD));
    }
    if rt.contains(m::ReportingTriggers::TIMTH) && u.time_threshold.is_none() {
        return Err(Failure::conditional_missing(t::TIME_THRESHOLD));
    }
    Ok(())
}

/// A Create URR.
pub fn create_urr(c: &p::CreateUrr) -> Result<m::Urr, Failure> {
    let u = m::Urr {
        id: c.urr_id.0,
        measurement_method: method(&c.measurement_method),
        reporting_triggers: triggers(&c.reporting_triggers),
        measurement_period: c.measurement_period.map(|x| x.0),
        volume_threshold: c
            .volume_threshold
            .map(|v| volume(v.total, v.uplink, v.downlink)),
        volume_quota: c
            .volume_quota
            .map(|v| volume(v.total, v.uplink, v.downlink)),
        time_threshold: c.time_threshold.map(|x| x.0),
        time_quota: c.time_quota.map(|x| x.0),
        quota_holding_time: c.quota_holding_time.map(|x| x.0),
        inactivity_detection_time: c.inactivity_detection_time.map(|x| x.0),
        measurement_information: c
            .measurement_information
            .map_or(0, |m| m.octets().first().copied().unwrap_or(0)),
    };
    check_urr(&u)?;
    Ok(u)
}

/// An Update URR applied to `old`.
pub fn update_urr(old: &m::Urr, u: &p::UpdateUrr) -> Result<m::Urr, Failure> {
    let mut n = old.clone();
    if let Some(mm) = &u.measurement_method {
        n.measurement_method = method(mm);
    }
    if let Some(rt) = &u.reporting_triggers {
        n.reporting_triggers = triggers(rt);
    }
    if let Some(x) = u.measurement_period {
        n.measurement_period = Some(x.0);
    }
    if let Some(v) = u.volume_threshold {
        n.volume_threshold = Some(volume(v.total, v.uplink, v.downlink));
    }
    if let Some(v) = u.volume_quota {
        n.volume_quota = Some(volume(v.total, v.uplink, v.downlink));
    }
    if let Some(x) = u.time_threshold {
        n.time_threshold = Some(x.0);
    }
    if let Some(x) = u.time_quota {
        n.time_quota = Some(x.0);
    }
    if let Some(x) = u.quota_holding_time {
        n.quota_holding_time = Some(x.0);
    }
    if let Some(x) = u.inactivity_detection_time {
        n.inactivity_detection_time = Some(x.0);
    }
    if let Some(mi) = &u.measurement_information {
        n.measurement_information = mi.octets().first().copied().unwrap_or(0);
    }
    check_urr(&n)?;
    Ok(n)
}

/// A Create BAR.
pub fn create_bar(c: &p::CreateBar) -> m::Bar {
    m::Bar {
        id: c.bar_id.0,
        // The delay is carried in units of 50 ms.
        dl_data_notification_delay_ms: c
            .downlink_data_notification_delay
            .map(|d| u32::from(d.0) * 50),
        suggested_buffering_packets: c.suggested_buffering_packets_count.map(|c| u16::from(c.0)),
    }
}

/// An Update BAR applied to `old`.
pub fn update_bar(old: &m::Bar, u: &p::UpdateBar) -> m::Bar {
    let mut n = *old;
    if let Some(d) = u.downlink_data_notification_delay {
        n.dl_data_notification_delay_ms = Some(u32::from(d.0) * 50);
    }
    if let Some(c) = u.suggested_buffering_packets_count {
        n.suggested_buffering_packets = Some(u16::from(c.0));
    }
    n
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn framed_routes() {
        assert_eq!(
            framed_v4(b"10.1.0.0/16 0.0.0.0 1"),
            Some((Ipv4Addr::new(10, 1, 0, 0), 16))
        );
        assert_eq!(
            framed_v4(b"10.1.0.9"),
            Some((Ipv4Addr::new(10, 1, 0, 9), 32))
        );
        assert_eq!(framed_v4(b"10.1.0.0/33"), None);
        assert_eq!(framed_v6(b"2001:db8::/48 :: 1").map(|r| r.1), Some(48));
        assert_eq!(framed_v6(b"junk"), None);
    }

    #[test]
    fn sdf_parse_failure_names_the_pdr() {
        let f = p::SdfFilter::flow("permit out 17 from nowhere to assigned");
        assert_eq!(
            sdf_filter(&f, 7).unwrap_err(),
            Failure::rule(FailedRuleId::Pdr(7))
        );
        let ok = p::SdfFilter::flow("permit out 58 from ff02::2/128 to assigned");
        assert!(sdf_filter(&ok, 7).unwrap().flow.is_some());
    }

    #[test]
    fn urr_conditions() {
        let mut c = p::CreateUrr {
            urr_id: p::UrrId(1),
            reporting_triggers: p::ReportingTriggers::from_flags(&[p::ReportingTriggers::PERIO]),
            ..Default::default()
        };
        assert_eq!(
            create_urr(&c).unwrap_err(),
            Failure::conditional_missing(t::MEASUREMENT_PERIOD)
        );
        c.measurement_period = Some(p::MeasurementPeriod(60));
        assert_eq!(create_urr(&c).unwrap().measurement_period, Some(60));
    }
}
