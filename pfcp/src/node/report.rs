//! Session reports (TS 29.244 §7.5.8): usage reports from the URR
//! counters, Downlink Data Reports and Error Indication Reports.

use std::net::IpAddr;
use std::num::NonZeroU64;
use std::ops::{Add, AddAssign};
use std::sync::Arc;
use std::time::{Duration, Instant};

use upf_core::compile::CompiledFar;
use upf_core::rules::{self as m, ApplyAction, ReportingTriggers as Rt};
use upf_core::usage::{Usage, UsageCounters};

use super::{Dataplane, Node, NodeEvent, OutKind};
use crate::ie::{self as p, ReportType, UsageReportTrigger as Urt};
use crate::message::{self as msg, Message};

/// A volume quota with less than this left is reported as used up: no
/// full-size packet fits any more, so forwarding has in effect stopped.
pub const QUOTA_FLOOR: u64 = 1500;

/// A point in time as the node keeps it (per URR, per cached response):
/// nanoseconds since the node started, plus one. Eight bytes where an
/// `Instant` takes 16, and `Option<Stamp>` eight too. Exact for every time from the node's start on (an earlier time
/// reads as the start, as `ntp_at` already did) for 292 years; the top bit
/// stays clear (see [`Quotas`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Stamp(NonZeroU64);

impl Stamp {
    /// Largest nanosecond count: the raw value stays below 2^63.
    const MAX_NANOS: u64 = (1 << 63) - 2;

    /// `t`, for a node started at `origin`.
    pub fn new(t: Instant, origin: Instant) -> Self {
        let ns = t.saturating_duration_since(origin).as_nanos();
        Stamp::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    fn from_nanos(ns: u64) -> Self {
        Stamp(NonZeroU64::MIN.saturating_add(ns.min(Self::MAX_NANOS)))
    }

    fn nanos(self) -> u64 {
        self.0.get() - 1
    }

    /// Time from the node's start to this one.
    pub fn since_start(self) -> Duration {
        Duration::from_nanos(self.nanos())
    }

    /// Time from `earlier` to this one (zero if `earlier` is later).
    pub fn since(self, earlier: Stamp) -> Duration {
        Duration::from_nanos(self.nanos().saturating_sub(earlier.nanos()))
    }
}

impl Add<Duration> for Stamp {
    type Output = Stamp;
    fn add(self, d: Duration) -> Stamp {
        let d = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Stamp::from_nanos(self.nanos().saturating_add(d))
    }
}

impl AddAssign<Duration> for Stamp {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

/// The quota reporting state of a URR in one word: whether its used-up
/// volume quota is reported (bit 63), and when its current time quota was
/// granted (a [`Stamp`] in the other bits; 0 once its expiry is reported).
#[derive(Debug, Clone, Copy)]
struct Quotas(u64);

impl Quotas {
    const VOLUME_REPORTED: u64 = 1 << 63;

    fn granted(at: Stamp) -> Self {
        Quotas(at.0.get())
    }

    fn volume_reported(self) -> bool {
        self.0 & Self::VOLUME_REPORTED != 0
    }

    fn set_volume_reported(&mut self, reported: bool) {
        self.0 =
            (self.0 & !Self::VOLUME_REPORTED) | if reported { Self::VOLUME_REPORTED } else { 0 };
    }

    /// When the time quota was granted; `None` once its expiry is reported.
    fn time_granted(self) -> Option<Stamp> {
        NonZeroU64::new(self.0 & !Self::VOLUME_REPORTED).map(Stamp)
    }

    fn grant_time(&mut self, at: Stamp) {
        self.0 = (self.0 & Self::VOLUME_REPORTED) | at.0.get();
    }

    fn time_reported(&mut self) {
        self.0 &= Self::VOLUME_REPORTED;
    }
}

/// Reporting state of one URR (32 bytes: a session's usual single URR
/// lives inline in the session, see [`UrrStates`]).
#[derive(Debug, Clone)]
pub(super) struct UrrState {
    pub id: u32,
    /// UR-SEQN of the next report.
    seqn: u32,
    /// Start of the current measurement (creation or last report).
    start: Stamp,
    /// Next periodic report.
    next_periodic: Option<Stamp>,
    quotas: Quotas,
}

/// The reporting state of a session's URRs: the usual single URR inline,
/// none or more than one in a vector.
#[derive(Debug, Clone)]
pub(super) enum UrrStates {
    One(UrrState),
    Many(Vec<UrrState>),
}

impl Default for UrrStates {
    fn default() -> Self {
        UrrStates::Many(Vec::new())
    }
}

impl FromIterator<UrrState> for UrrStates {
    fn from_iter<I: IntoIterator<Item = UrrState>>(iter: I) -> Self {
        let mut v: Vec<UrrState> = iter.into_iter().collect();
        match v.len() {
            1 => UrrStates::One(v.pop().expect("one")),
            _ => {
                v.shrink_to_fit();
                UrrStates::Many(v)
            }
        }
    }
}

impl UrrStates {
    pub fn as_slice(&self) -> &[UrrState] {
        match self {
            UrrStates::One(u) => std::slice::from_ref(u),
            UrrStates::Many(v) => v,
        }
    }

    /// The state of URR `id`.
    pub fn get_mut(&mut self, id: u32) -> Option<&mut UrrState> {
        match self {
            UrrStates::One(u) => Some(u).filter(|u| u.id == id),
            UrrStates::Many(v) => v.iter_mut().find(|u| u.id == id),
        }
    }

    pub fn push(&mut self, u: UrrState) {
        match self {
            UrrStates::Many(v) if !v.is_empty() => v.push(u),
            UrrStates::Many(_) => *self = UrrStates::One(u),
            UrrStates::One(first) => *self = UrrStates::Many(vec![first.clone(), u]),
        }
    }

    /// Takes out the state of URR `id`.
    pub fn take(&mut self, id: u32) -> Option<UrrState> {
        let i = self.as_slice().iter().position(|u| u.id == id)?;
        let mut rest = std::mem::take(self).into_vec();
        let u = rest.remove(i);
        *self = rest.into_iter().collect();
        Some(u)
    }

    fn into_vec(self) -> Vec<UrrState> {
        match self {
            UrrStates::One(u) => vec![u],
            UrrStates::Many(v) => v,
        }
    }
}

/// What a usage report needs besides the counters.
#[derive(Debug, Clone)]
pub(super) struct UsageSeed {
    pub urr_id: u32,
    pub seqn: u32,
    pub trigger: Urt,
    pub start: Stamp,
    pub end: Stamp,
    pub volume: bool,
    pub duration: bool,
    pub packets: bool,
    pub query_urr_reference: Option<u32>,
}

/// A usage report to build when the change that ends its measurement is
/// applied (the counters are read then).
#[derive(Debug)]
pub(super) struct FinalUsage {
    pub seed: UsageSeed,
    pub counters: Arc<UsageCounters>,
}

/// Measurement Information bit 5: MNOP (count packets).
const MI_MNOP: u8 = 0x10;

impl UrrState {
    pub fn new(u: &m::Urr, now: Stamp) -> Self {
        UrrState {
            id: u.id,
            seqn: 0,
            start: now,
            next_periodic: periodic(u, now),
            quotas: Quotas::granted(now),
        }
    }

    /// An Update URR was applied: new quotas re-arm their reports (and a
    /// new grant counts even when it equals the previous one).
    pub fn updated(
        &mut self,
        u: &m::Urr,
        upd: &p::UpdateUrr,
        now: Stamp,
        counters: Option<&UsageCounters>,
    ) {
        if upd.measurement_period.is_some() || upd.reporting_triggers.is_some() {
            self.next_periodic = periodic(u, now);
        }
        if upd.volume_quota.is_some() {
            self.quotas.set_volume_reported(false);
            if let Some(c) = counters {
                c.set_volume_quota(u.volume_quota);
            }
        }
        if upd.time_quota.is_some() {
            self.quotas.grant_time(now);
            if let Some(c) = counters {
                c.set_blocked(false);
            }
        }
    }

    /// Closes the current measurement for a report with `trigger`.
    pub fn seed(&mut self, u: &m::Urr, trigger: Urt, now: Stamp) -> UsageSeed {
        let s = UsageSeed {
            urr_id: u.id,
            seqn: self.seqn,
            trigger,
            start: self.start,
            end: now,
            volume: u.measurement_method.volume,
            duration: u.measurement_method.duration,
            packets: u.measurement_information & MI_MNOP != 0,
            query_urr_reference: None,
        };
        self.seqn = self.seqn.wrapping_add(1);
        self.start = now;
        s
    }
}

fn periodic(u: &m::Urr, now: Stamp) -> Option<Stamp> {
    if !u.reporting_triggers.contains(Rt::PERIO) {
        return None;
    }
    u.measurement_period
        .filter(|p| *p > 0)
        .map(|p| now + Duration::from_secs(u64::from(p)))
}

fn reached(v: &Usage, limit: &m::Volume) -> bool {
    limit.total.is_some_and(|t| v.total_bytes() >= t)
        || limit.uplink.is_some_and(|t| v.ul_bytes >= t)
        || limit.downlink.is_some_and(|t| v.dl_bytes >= t)
}

/// Which triggers fire for a URR now; updates the URR's state.
fn evaluate(u: &m::Urr, st: &mut UrrState, c: &UsageCounters, now: Stamp) -> Urt {
    let rt = u.reporting_triggers;
    let mut fired = Urt::empty();
    if let Some(next) = st.next_periodic {
        if now >= next {
            fired.set(Urt::PERIO, true);
            let period = Duration::from_secs(u64::from(u.measurement_period.unwrap_or(1).max(1)));
            let mut n = next;
            while n <= now {
                n += period;
            }
            st.next_periodic = Some(n);
        }
    }
    if rt.contains(Rt::VOLTH) {
        if let Some(th) = &u.volume_threshold {
            if reached(&c.snapshot(), th) {
                fired.set(Urt::VOLTH, true);
            }
        }
    }
    if rt.contains(Rt::TIMTH) {
        if let Some(th) = u.time_threshold {
            if now.since(st.start) >= Duration::from_secs(u64::from(th)) {
                fired.set(Urt::TIMTH, true);
            }
        }
    }
    if u.volume_quota.is_some() && !st.quotas.volume_reported() {
        let used_up = c.quota_exhausted()
            || c.remaining_quota()
                .iter()
                .flatten()
                .any(|r| *r < QUOTA_FLOOR);
        if used_up {
            st.quotas.set_volume_reported(true);
            if rt.contains(Rt::VOLQU) {
                fired.set(Urt::VOLQU, true);
            }
        }
    }
    if let (Some(tq), Some(granted)) = (u.time_quota, st.quotas.time_granted()) {
        if now.since(granted) >= Duration::from_secs(u64::from(tq)) {
            st.quotas.time_reported();
            // The time is up: forwarding stops for this URR.
            c.set_blocked(true);
            if rt.contains(Rt::TIMQU) {
                fired.set(Urt::TIMQU, true);
            }
        }
    }
    fired
}

impl<D: Dataplane> Node<D> {
    /// A usage report from a seed and what the counters measured.
    pub(super) fn usage_report(&self, seed: &UsageSeed, usage: Usage) -> p::UsageReport {
        p::UsageReport {
            urr_id: p::UrrId(seed.urr_id),
            ur_seqn: p::UrSeqn(seed.seqn),
            usage_report_trigger: seed.trigger,
            start_time: Some(p::StartTime(self.ntp_at(seed.start))),
            end_time: Some(p::EndTime(self.ntp_at(seed.end))),
            volume_measurement: seed.volume.then(|| p::VolumeMeasurement {
                total_volume: Some(usage.total_bytes()),
                uplink_volume: Some(usage.ul_bytes),
                downlink_volume: Some(usage.dl_bytes),
                total_packets: seed.packets.then(|| usage.total_packets()),
                uplink_packets: seed.packets.then_some(usage.ul_packets),
                downlink_packets: seed.packets.then_some(usage.dl_packets),
            }),
            duration_measurement: seed
                .duration
                .then(|| p::DurationMeasurement(seed.end.since(seed.start).as_secs() as u32)),
            query_urr_reference: seed.query_urr_reference.map(p::QueryUrrReference),
            ..Default::default()
        }
    }

    /// The final report of a measurement whose change is now applied.
    pub(super) fn final_report(&self, f: &FinalUsage) -> p::UsageReport {
        let mut seed = f.seed.clone();
        seed.end = self.stamp(self.now).max(seed.end);
        self.usage_report(&seed, f.counters.take())
    }

    /// Checks the URRs of watched sessions; sends a Session Report Request
    /// (one per session) with a Usage Report for each URR with a trigger.
    pub(super) fn usage_tick(&mut self) {
        let now = self.stamp(self.now);
        let mut from = 0;
        while let Some((slot, seid)) = self.sessions.next_watched(from) {
            from = slot + 1;
            if self.outstanding.len() >= self.cfg.max_outstanding {
                // Try the rest at the next tick: counters keep counting.
                break;
            }
            let Some(s) = self.sessions.get_mut(seid) else {
                continue;
            };
            let mut ready: Vec<(UsageSeed, Usage)> = Vec::new();
            for u in s.rules.urrs.iter().map(|u| &u.rule) {
                let (Some(st), Some(c)) = (s.urrs.get_mut(u.id), s.rules.urr_counters(u.id)) else {
                    continue;
                };
                let fired = evaluate(u, st, c, now);
                if fired.octets().iter().any(|o| *o != 0) {
                    let seed = st.seed(u, fired, now);
                    ready.push((seed, c.take()));
                }
            }
            if ready.is_empty() {
                continue;
            }
            let reports = ready
                .iter()
                .map(|(seed, usage)| self.usage_report(seed, *usage))
                .collect();
            let m = msg::SessionReportRequest {
                report_type: ReportType::from_flags(&[ReportType::USAR]),
                usage_reports: reports,
                ..Default::default()
            };
            self.send_session_report(seid, m);
        }
    }

    fn send_session_report(&mut self, seid: u64, m: msg::SessionReportRequest) -> bool {
        let Some(s) = self.sessions.get(seid) else {
            return false;
        };
        let cp_seid = s.cp_seid;
        let Some(dst) = self.association(s.peer).map(|a| a.addr) else {
            self.stats.reports_dropped += 1;
            return false;
        };
        let report_type = m.report_type.octets().first().copied().unwrap_or(0);
        let message: Message = m.into();
        if self.send_request(dst, message, Some(cp_seid), OutKind::SessionReport { seid }) {
            self.push_event(NodeEvent::ReportSent { seid, report_type });
            true
        } else {
            self.stats.reports_dropped += 1;
            tracing::warn!(
                seid,
                "session report dropped: too many outstanding requests"
            );
            false
        }
    }

    /// The dataplane buffered a downlink packet for PDR `pdr_id` of session
    /// `seid`. Sends a Downlink Data Report when the PDR's FAR buffers with
    /// NOCP, once per buffering episode (it ends when the FAR stops
    /// buffering). Returns whether a report was sent.
    pub fn report_downlink_data(&mut self, now: Instant, seid: u64, pdr_id: u16) -> bool {
        self.now = now;
        let Some(s) = self.sessions.get_mut(seid) else {
            return false;
        };
        let Some(pdr) = s.rules.pdr(pdr_id) else {
            return false;
        };
        let qfi = pdr.qfi;
        let Some(far) = s.rules.fars.get(usize::from(pdr.far)) else {
            return false;
        };
        let (far, a) = (far.id, far.apply_action);
        if !a.contains(ApplyAction::BUFF) || !a.contains(ApplyAction::NOCP) {
            return false;
        }
        if s.dl_episodes().contains(&far) {
            return false;
        }
        s.start_dl_episode(far);
        let m = msg::SessionReportRequest {
            report_type: ReportType::from_flags(&[ReportType::DLDR]),
            downlink_data_report: Some(p::DownlinkDataReport {
                pdr_ids: vec![p::PdrId(pdr_id)],
                downlink_data_service_information: qfi
                    .map(|q| p::DownlinkDataServiceInformation {
                        ppi: None,
                        qfi: Some(q),
                    })
                    .into_iter()
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.send_session_report(seid, m)
    }

    /// A GTP-U Error Indication arrived for a tunnel of session `seid`:
    /// sends an Error Indication Report with the remote F-TEID.
    pub fn report_error_indication(&mut self, now: Instant, seid: u64, remote: m::FTeid) -> bool {
        self.now = now;
        if self.sessions.get(seid).is_none() {
            return false;
        }
        let m = msg::SessionReportRequest {
            report_type: ReportType::from_flags(&[ReportType::ERIR]),
            error_indication_report: Some(p::ErrorIndicationReport {
                remote_f_teids: vec![p::FTeid::Explicit {
                    teid: remote.teid,
                    ipv4: remote.ipv4,
                    ipv6: remote.ipv6,
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        self.send_session_report(seid, m)
    }

    /// The session owning a remote tunnel, to attribute an Error
    /// Indication (the FAR whose Outer Header Creation targets it).
    pub fn session_for_remote_tunnel(&self, teid: u32, peer: IpAddr) -> Option<u64> {
        self.sessions.iter().find_map(|(seid, s)| {
            s.rules
                .fars
                .iter()
                .filter_map(CompiledFar::outer_header_creation)
                .any(|o| {
                    o.teid == teid
                        && (o.ipv4.map(IpAddr::V4) == Some(peer)
                            || o.ipv6.map(IpAddr::V6) == Some(peer))
                })
                .then_some(seid)
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn stamps_are_exact_from_the_start_on() {
        let t0 = Instant::now();
        let t = t0 + Duration::new(3, 7);
        let s = Stamp::new(t, t0);
        assert_eq!(s.since_start(), Duration::new(3, 7));
        assert_eq!(Stamp::new(t0, t), Stamp::new(t0, t0));
        assert_eq!(
            (s + Duration::from_secs(1)).since(s),
            Duration::from_secs(1)
        );
        assert_eq!(Stamp::new(t0, t0).since(s), Duration::ZERO);
        assert_eq!(size_of::<Option<Stamp>>(), 8);
    }

    #[test]
    fn quota_flags_are_independent() {
        let t0 = Instant::now();
        let at = Stamp::new(t0 + Duration::from_secs(5), t0);
        let mut q = Quotas::granted(at);
        assert!(!q.volume_reported());
        q.set_volume_reported(true);
        assert_eq!((q.volume_reported(), q.time_granted()), (true, Some(at)));
        q.time_reported();
        assert_eq!((q.volume_reported(), q.time_granted()), (true, None));
        q.grant_time(at + Duration::from_secs(1));
        q.set_volume_reported(false);
        let later = Some(at + Duration::from_secs(1));
        assert_eq!((q.volume_reported(), q.time_granted()), (false, later));
    }
}
