//! The seam between the UPF's running parts and what observes them.
//!
//! The gRPC management API ([`crate::grpc`]) and the metrics/health endpoint
//! ([`crate::http`], [`crate::metrics`]) read everything through
//! [`UpfState`]; they never reach into the dataplane or the PFCP node.
//!
//! Plugging in the real UPF: the dataplane and the N4 node implement
//! `UpfState` over what they already keep — sessions from
//! `upf_core::rules::Session` (with [`SessionDetail::from_rules`] and the
//! URR usage counters), associations from the PFCP node, port statistics from
//! ethdev, worker counters from each worker's `upf_core::counters::WorkerCounters`
//! (summed with [`Statistics::add_worker`]) — or push snapshots into an
//! [`InMemoryState`] from a periodic task. Either way `run::serve` takes an
//! `Arc<dyn UpfState>`. Every method is a cheap snapshot, called from the
//! control thread's tokio runtime, never from a worker.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{PoisonError, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use upf_core::compile::{FarAction, SessionRules};
use upf_core::counters::{DropReason, Stat, WorkerCounters};
use upf_core::rules::{
    ApplyAction, GateStatus, Interface, OuterHeaderCreationKind, OuterHeaderRemoval, Session, UrrId,
};
use upf_core::usage::Usage;

use crate::config::{Config, OffloadMode};

/// What the management API and metrics read.
pub trait UpfState: Send + Sync + 'static {
    /// Every session, summarized.
    fn sessions(&self) -> Vec<SessionSummary>;
    /// One session's rules and usage.
    fn session(&self, seid: u64) -> Option<SessionDetail>;
    /// PFCP associations.
    fn associations(&self) -> Vec<AssociationInfo>;
    /// Counters: ports, workers, drops, stages, PFCP messages.
    fn statistics(&self) -> Statistics;
    /// rte_flow offload state.
    fn offload(&self) -> OffloadState;
    /// Whether the UPF can take traffic and PFCP.
    fn readiness(&self) -> Readiness;
}

/// A session in one line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSummary {
    /// Local (UP) SEID.
    pub seid: u64,
    /// The SMF's SEID.
    pub cp_seid: u64,
    /// The SMF's node ID.
    pub peer_node_id: String,
    /// UE addresses (from the PDRs' UE IP Address).
    pub ue_addresses: Vec<IpAddr>,
    /// Rule counts.
    pub pdrs: u32,
    /// FARs.
    pub fars: u32,
    /// QERs.
    pub qers: u32,
    /// URRs.
    pub urrs: u32,
    /// Uplink bytes over all URRs of the session.
    pub ul_bytes: u64,
    /// Downlink bytes over all URRs.
    pub dl_bytes: u64,
    /// Establishment time, Unix ms.
    pub created_ms: u64,
}

/// A PDR, flattened for display.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdrInfo {
    /// PDR ID.
    pub id: u16,
    /// Precedence (lower first).
    pub precedence: u32,
    /// Source interface name.
    pub source_interface: String,
    /// Local F-TEID, `teid=0x.. addr`.
    pub local_fteid: Option<String>,
    /// UE IP address.
    pub ue_ip: Option<String>,
    /// SDF filters, as written.
    pub sdf_filters: Vec<String>,
    /// QFI match.
    pub qfi: Option<u8>,
    /// Network instance.
    pub network_instance: Option<String>,
    /// Outer header removal.
    pub outer_header_removal: Option<String>,
    /// FAR.
    pub far_id: Option<u32>,
    /// QERs.
    pub qer_ids: Vec<u32>,
    /// URRs.
    pub urr_ids: Vec<u32>,
}

/// A FAR, flattened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FarInfo {
    /// FAR ID.
    pub id: u32,
    /// Apply action flags by name.
    pub actions: Vec<&'static str>,
    /// Destination interface.
    pub destination_interface: Option<String>,
    /// Outer header creation.
    pub outer_header_creation: Option<String>,
    /// Network instance.
    pub network_instance: Option<String>,
    /// BAR.
    pub bar_id: Option<u8>,
}

/// A QER, flattened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QerInfo {
    /// QER ID.
    pub id: u32,
    /// Uplink gate open.
    pub gate_ul_open: bool,
    /// Downlink gate open.
    pub gate_dl_open: bool,
    /// MBR (kbps) uplink / downlink, 0: none.
    pub mbr_ul_kbps: u64,
    /// MBR downlink.
    pub mbr_dl_kbps: u64,
    /// GBR uplink.
    pub gbr_ul_kbps: u64,
    /// GBR downlink.
    pub gbr_dl_kbps: u64,
    /// QFI.
    pub qfi: Option<u8>,
}

/// A URR with its usage so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrrInfo {
    /// URR ID.
    pub id: u32,
    /// Measurement methods.
    pub methods: Vec<&'static str>,
    /// Usage.
    pub usage: Usage,
}

/// One session in full.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionDetail {
    /// Summary line.
    pub summary: SessionSummary,
    /// PDRs, by precedence.
    pub pdrs: Vec<PdrInfo>,
    /// FARs.
    pub fars: Vec<FarInfo>,
    /// QERs.
    pub qers: Vec<QerInfo>,
    /// URRs.
    pub urrs: Vec<UrrInfo>,
}

/// What the PFCP side knows of a session beyond its rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionMeta {
    /// The SMF's SEID.
    pub cp_seid: u64,
    /// The SMF's node ID.
    pub peer_node_id: String,
    /// Establishment time, Unix ms.
    pub created_ms: u64,
}

fn iface_name(i: Interface) -> String {
    match i {
        Interface::Access => "access".into(),
        Interface::Core => "core".into(),
        Interface::SgiLan => "sgi-lan".into(),
        Interface::CpFunction => "cp-function".into(),
        Interface::LiFunction => "li-function".into(),
        Interface::VnInternal => "5g-vn-internal".into(),
        Interface::Unknown(x) => format!("unknown({x})"),
    }
}

const ACTIONS: &[(ApplyAction, &str)] = &[
    (ApplyAction::DROP, "DROP"),
    (ApplyAction::FORW, "FORW"),
    (ApplyAction::BUFF, "BUFF"),
    (ApplyAction::NOCP, "NOCP"),
    (ApplyAction::DUPL, "DUPL"),
    (ApplyAction::IPMA, "IPMA"),
    (ApplyAction::IPMD, "IPMD"),
    (ApplyAction::DFRT, "DFRT"),
    (ApplyAction::EDRT, "EDRT"),
    (ApplyAction::BDPN, "BDPN"),
    (ApplyAction::DDPN, "DDPN"),
];

fn sdf_text(f: &upf_core::sdf::SdfFilter) -> String {
    let mut parts = Vec::new();
    if let Some(fd) = &f.flow {
        parts.push(fd.to_string());
    }
    if let Some((tos, mask)) = f.tos_traffic_class {
        parts.push(format!("tos={tos:#04x}/{mask:#04x}"));
    }
    if let Some(spi) = f.spi {
        parts.push(format!("spi={spi:#x}"));
    }
    if let Some(l) = f.flow_label {
        parts.push(format!("flow-label={l:#x}"));
    }
    if let Some(id) = f.filter_id {
        parts.push(format!("id={id}"));
    }
    parts.join(" ")
}

fn bytes_name(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fteid_text(f: &upf_core::rules::FTeid) -> String {
    let mut t = format!("teid={:#x}", f.teid);
    for a in f
        .ipv4
        .map(IpAddr::from)
        .into_iter()
        .chain(f.ipv6.map(IpAddr::from))
    {
        t.push_str(&format!(" {a}"));
    }
    t
}

fn ue_ip_text(u: &upf_core::rules::UeIpAddress) -> String {
    let mut t: Vec<String> = Vec::new();
    if let Some(a) = u.ipv4 {
        t.push(a.to_string());
    }
    if let Some(a) = u.ipv6 {
        t.push(format!("{a}/{}", u.ipv6_prefix_len));
    }
    if u.is_destination {
        t.push("(dst)".into());
    }
    t.join(" ")
}

fn ohr_text(o: OuterHeaderRemoval) -> String {
    match o {
        OuterHeaderRemoval::GtpuUdpIpv4 => "gtpu-udp-ipv4".into(),
        OuterHeaderRemoval::GtpuUdpIpv6 => "gtpu-udp-ipv6".into(),
        OuterHeaderRemoval::GtpuUdpIp => "gtpu-udp-ip".into(),
        OuterHeaderRemoval::UdpIpv4 => "udp-ipv4".into(),
        OuterHeaderRemoval::UdpIpv6 => "udp-ipv6".into(),
        OuterHeaderRemoval::Ipv4 => "ipv4".into(),
        OuterHeaderRemoval::Ipv6 => "ipv6".into(),
        other => format!("{}", u8::from(other)),
    }
}

fn ohc_text(o: &upf_core::rules::OuterHeaderCreation) -> String {
    let kind = match o.kind {
        OuterHeaderCreationKind::GtpuUdpIpv4 | OuterHeaderCreationKind::GtpuUdpIpv6 => "gtpu",
        OuterHeaderCreationKind::UdpIpv4 | OuterHeaderCreationKind::UdpIpv6 => "udp",
        OuterHeaderCreationKind::Ipv4 | OuterHeaderCreationKind::Ipv6 => "ip",
    };
    let mut t = format!("{kind} teid={:#x}", o.teid);
    for a in o
        .ipv4
        .map(IpAddr::from)
        .into_iter()
        .chain(o.ipv6.map(IpAddr::from))
    {
        t.push_str(&format!(" {a}"));
    }
    t
}

fn methods(m: upf_core::rules::MeasurementMethod) -> Vec<&'static str> {
    [
        (m.volume, "volume"),
        (m.duration, "duration"),
        (m.event, "event"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| n)
    .collect()
}

fn summarize(
    seid: u64,
    meta: &SessionMeta,
    pdrs: &[PdrInfo],
    fars: usize,
    qers: usize,
    urrs: &[UrrInfo],
    mut ue_addresses: Vec<IpAddr>,
) -> SessionSummary {
    ue_addresses.sort_unstable();
    ue_addresses.dedup();
    SessionSummary {
        seid,
        cp_seid: meta.cp_seid,
        peer_node_id: meta.peer_node_id.clone(),
        ue_addresses,
        pdrs: pdrs.len() as u32,
        fars: fars as u32,
        qers: qers as u32,
        urrs: urrs.len() as u32,
        ul_bytes: urrs.iter().map(|u| u.usage.ul_bytes).sum(),
        dl_bytes: urrs.iter().map(|u| u.usage.dl_bytes).sum(),
        created_ms: meta.created_ms,
    }
}

impl SessionDetail {
    /// Builds the display form of a session from the rule model, reading
    /// each URR's usage through `usage`.
    pub fn from_rules(
        s: &Session,
        meta: &SessionMeta,
        usage: impl Fn(UrrId) -> Usage,
    ) -> SessionDetail {
        let mut pdrs: Vec<PdrInfo> = s
            .pdrs
            .iter()
            .map(|p| PdrInfo {
                id: p.id,
                precedence: p.precedence,
                source_interface: iface_name(p.pdi.source_interface),
                local_fteid: p.pdi.local_fteid.as_ref().map(fteid_text),
                ue_ip: p.pdi.ue_ip.as_ref().map(ue_ip_text),
                sdf_filters: p.pdi.sdf_filters.iter().map(sdf_text).collect(),
                qfi: p.pdi.qfi,
                network_instance: p.pdi.network_instance.as_deref().map(bytes_name),
                outer_header_removal: p.outer_header_removal.map(ohr_text),
                far_id: p.far_id,
                qer_ids: p.qer_ids.clone(),
                urr_ids: p.urr_ids.clone(),
            })
            .collect();
        pdrs.sort_by_key(|p| (p.precedence, p.id));
        let fars = s
            .fars
            .iter()
            .map(|f| FarInfo {
                id: f.id,
                actions: ACTIONS
                    .iter()
                    .filter(|(a, _)| f.apply_action.contains(*a))
                    .map(|(_, n)| *n)
                    .collect(),
                destination_interface: f
                    .forwarding
                    .as_ref()
                    .map(|p| iface_name(p.destination_interface)),
                outer_header_creation: f
                    .forwarding
                    .as_ref()
                    .and_then(|p| p.outer_header_creation)
                    .as_ref()
                    .map(ohc_text),
                network_instance: f
                    .forwarding
                    .as_ref()
                    .and_then(|p| p.network_instance.as_deref())
                    .map(bytes_name),
                bar_id: f.bar_id,
            })
            .collect();
        let qers: Vec<QerInfo> = s
            .qers
            .iter()
            .map(|q| QerInfo {
                id: q.id,
                gate_ul_open: q.gate_ul == GateStatus::Open,
                gate_dl_open: q.gate_dl == GateStatus::Open,
                mbr_ul_kbps: q.mbr.map_or(0, |b| b.ul_kbps),
                mbr_dl_kbps: q.mbr.map_or(0, |b| b.dl_kbps),
                gbr_ul_kbps: q.gbr.map_or(0, |b| b.ul_kbps),
                gbr_dl_kbps: q.gbr.map_or(0, |b| b.dl_kbps),
                qfi: q.qfi,
            })
            .collect();
        let urrs: Vec<UrrInfo> = s
            .urrs
            .iter()
            .map(|u| UrrInfo {
                id: u.id,
                methods: methods(u.measurement_method),
                usage: usage(u.id),
            })
            .collect();
        let ue_addresses: Vec<IpAddr> = s
            .pdrs
            .iter()
            .filter_map(|p| p.pdi.ue_ip)
            .flat_map(|u| {
                u.ipv4
                    .map(IpAddr::from)
                    .into_iter()
                    .chain(u.ipv6.map(IpAddr::from))
            })
            .collect();
        let summary = summarize(
            s.seid,
            meta,
            &pdrs,
            s.fars.len(),
            qers.len(),
            &urrs,
            ue_addresses,
        );
        SessionDetail {
            summary,
            pdrs,
            fars,
            qers,
            urrs,
        }
    }

    /// Builds the display form of a session from the compiled rules the
    /// workers run, with each URR's live usage counters. Network instances
    /// are not kept in compiled rules and show as absent.
    pub fn from_compiled(r: &SessionRules, meta: &SessionMeta) -> SessionDetail {
        let qer_id = |i: &u8| r.qers.get(usize::from(*i)).map(|q| q.id);
        let urr_id = |i: &u8| r.urrs.get(usize::from(*i)).map(|u| u.rule.id);
        let mut pdrs: Vec<PdrInfo> = r
            .pdrs
            .iter()
            .map(|p| PdrInfo {
                id: p.id,
                precedence: p.precedence,
                source_interface: iface_name(p.source_interface),
                local_fteid: r.fteid(p).as_ref().map(fteid_text),
                ue_ip: p.ue_ip.as_ref().map(ue_ip_text),
                sdf_filters: p.pdi.sdf.iter().map(sdf_text).collect(),
                qfi: p.qfi,
                network_instance: None,
                outer_header_removal: p.outer_header_removal.map(ohr_text),
                far_id: p.action.is_some().then_some(p.far_id),
                qer_ids: p.qers.iter().filter_map(qer_id).collect(),
                urr_ids: p.urrs.iter().filter_map(urr_id).collect(),
            })
            .collect();
        pdrs.sort_by_key(|p| (p.precedence, p.id));
        let fars = r
            .fars
            .iter()
            .map(|f| {
                let mut info = FarInfo {
                    id: f.id,
                    ..FarInfo::default()
                };
                match &f.action {
                    FarAction::Drop => info.actions.push("DROP"),
                    FarAction::Forward(fw) => {
                        info.actions.push("FORW");
                        info.destination_interface = Some(iface_name(fw.destination));
                        info.outer_header_creation =
                            fw.outer_header_creation.as_ref().map(ohc_text);
                    }
                    FarAction::Buffer { notify, bar } => {
                        info.actions.push("BUFF");
                        if *notify {
                            info.actions.push("NOCP");
                        }
                        info.bar_id = bar.as_ref().map(|b| b.id);
                    }
                }
                if f.duplicate {
                    info.actions.push("DUPL");
                }
                info
            })
            .collect();
        let qers: Vec<QerInfo> = r
            .qers
            .iter()
            .map(|q| QerInfo {
                id: q.id,
                gate_ul_open: !q.ul_closed,
                gate_dl_open: !q.dl_closed,
                mbr_ul_kbps: q.mbr().map_or(0, |b| b.ul_kbps),
                mbr_dl_kbps: q.mbr().map_or(0, |b| b.dl_kbps),
                gbr_ul_kbps: q.gbr().map_or(0, |b| b.ul_kbps),
                gbr_dl_kbps: q.gbr().map_or(0, |b| b.dl_kbps),
                qfi: q.qfi,
            })
            .collect();
        let urrs: Vec<UrrInfo> = r
            .urrs
            .iter()
            .map(|u| UrrInfo {
                id: u.rule.id,
                methods: methods(u.rule.measurement_method),
                usage: u.counters.snapshot(),
            })
            .collect();
        let ue_addresses = r
            .pdrs
            .iter()
            .filter_map(|p| p.ue_ip)
            .flat_map(|u| {
                u.ipv4
                    .map(IpAddr::from)
                    .into_iter()
                    .chain(u.ipv6.map(IpAddr::from))
            })
            .collect();
        let summary = summarize(
            r.seid,
            meta,
            &pdrs,
            r.fars.len(),
            qers.len(),
            &urrs,
            ue_addresses,
        );
        SessionDetail {
            summary,
            pdrs,
            fars,
            qers,
            urrs,
        }
    }
}

/// State of a PFCP association.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssociationState {
    /// Setup in progress.
    Setup,
    /// Established; heartbeats answered.
    Active,
    /// Heartbeats unanswered (TS 23.007): sessions kept for now.
    HeartbeatLost,
    /// Released.
    Released,
}

impl AssociationState {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            AssociationState::Setup => "setup",
            AssociationState::Active => "active",
            AssociationState::HeartbeatLost => "heartbeat-lost",
            AssociationState::Released => "released",
        }
    }
    /// Every state, for metrics.
    pub const ALL: [AssociationState; 4] = [
        AssociationState::Setup,
        AssociationState::Active,
        AssociationState::HeartbeatLost,
        AssociationState::Released,
    ];
}

/// A PFCP association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationInfo {
    /// The SMF's node ID.
    pub peer_node_id: String,
    /// Its PFCP address.
    pub address: std::net::SocketAddr,
    /// State.
    pub state: AssociationState,
    /// Peer's Recovery Time Stamp, Unix seconds.
    pub recovery_timestamp_s: u64,
    /// Last Heartbeat Response (or Request) from the peer, Unix ms.
    pub last_heartbeat_ms: u64,
    /// The UPF initiated the association.
    pub upf_initiated: bool,
    /// Sessions with this peer.
    pub sessions: u32,
}

/// One port's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortStats {
    /// Port name (config key).
    pub name: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Link up.
    pub link_up: bool,
    /// Received packets.
    pub rx_packets: u64,
    /// Received bytes.
    pub rx_bytes: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Packets the NIC dropped for lack of RX descriptors.
    pub rx_missed: u64,
    /// Transmitted packets.
    pub tx_packets: u64,
    /// Transmitted bytes.
    pub tx_bytes: u64,
    /// Transmit errors.
    pub tx_errors: u64,
}

/// One worker's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerStats {
    /// Worker index.
    pub worker: u32,
    /// CPU it is pinned to.
    pub core: u32,
    /// Packets processed.
    pub packets: u64,
    /// Share of polls that found packets, 0..=1.
    pub busy_ratio: f64,
}

/// Direction of a PFCP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    /// Received.
    Rx,
    /// Sent.
    Tx,
}

impl Direction {
    /// `rx` / `tx`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Rx => "rx",
            Direction::Tx => "tx",
        }
    }
}

/// PFCP message counters, keyed by names the PFCP side chooses
/// (`session_establishment_request`, `request_accepted`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PfcpCounters {
    /// (direction, message type) → count.
    pub messages: BTreeMap<(Direction, String), u64>,
    /// (direction, message type, cause) → count, for messages with a Cause.
    pub causes: BTreeMap<(Direction, String, String), u64>,
}

/// Counters of the whole UPF.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// Ports.
    pub ports: Vec<PortStats>,
    /// Workers.
    pub workers: Vec<WorkerStats>,
    /// Drops, indexed by `DropReason as usize`.
    pub drops: [u64; DropReason::COUNT],
    /// Stage counters, indexed by `Stat as usize`.
    pub stages: [u64; Stat::COUNT],
    /// Sessions now.
    pub sessions: u64,
    /// PFCP messages.
    pub pfcp: PfcpCounters,
    /// Time since start, ms.
    pub uptime_ms: u64,
    /// GTP-U and buffering events the control side handled, by name
    /// (`error_indication`, `downlink_data_report`, ...).
    pub control_events: Vec<(String, u64)>,
    /// Downlink packets buffered now (FARs with BUFF), all workers.
    pub buffered_packets: u64,
    /// Egress scheduler, all workers and scheduled attachments: packets
    /// sent per queue (QoS classes 0..8, then the guaranteed queue).
    pub sched_sent: [u64; upf_core::qos::QUEUES],
    /// Egress scheduler: packets dropped per queue because it was full.
    pub sched_dropped: [u64; upf_core::qos::QUEUES],
}

impl Default for Statistics {
    fn default() -> Self {
        Statistics {
            ports: Vec::new(),
            workers: Vec::new(),
            drops: [0; DropReason::COUNT],
            stages: [0; Stat::COUNT],
            sessions: 0,
            pfcp: PfcpCounters::default(),
            uptime_ms: 0,
            control_events: Vec::new(),
            buffered_packets: 0,
            sched_sent: [0; upf_core::qos::QUEUES],
            sched_dropped: [0; upf_core::qos::QUEUES],
        }
    }
}

impl Statistics {
    /// Adds one worker's drop and stage counters.
    pub fn add_worker(&mut self, c: &WorkerCounters) {
        for (a, b) in self.drops.iter_mut().zip(c.drop_snapshot()) {
            *a += b;
        }
        for (a, b) in self.stages.iter_mut().zip(c.stat_snapshot()) {
            *a += b;
        }
    }
    /// Drops for one reason.
    pub fn drop_count(&self, r: DropReason) -> u64 {
        self.drops[r as usize]
    }
}

/// Offload capabilities of one port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortOffload {
    /// Port name.
    pub port: String,
    /// rte_flow available at all.
    pub rte_flow: bool,
    /// GTP-U TEID match.
    pub gtp_match: bool,
    /// PDU Session Container (QFI) match.
    pub gtp_psc_match: bool,
    /// GTP-U decapsulation.
    pub decap: bool,
    /// MARK action.
    pub mark: bool,
    /// RSS on inner headers.
    pub rss_inner: bool,
}

/// rte_flow offload state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffloadState {
    /// Configured mode.
    pub mode: OffloadMode,
    /// Rules are being offloaded.
    pub active: bool,
    /// Per port.
    pub ports: Vec<PortOffload>,
    /// Rules in the NICs.
    pub rules_installed: u64,
    /// Rule installations that failed (fell back to software).
    pub rules_failed: u64,
    /// Last failure.
    pub last_error: Option<String>,
}

/// Readiness: ports up and PFCP listening.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Every dataplane port has link (or the dataplane is disabled).
    pub ports_up: bool,
    /// The PFCP socket is bound.
    pub pfcp_listening: bool,
    /// Why not ready, one line each.
    pub reasons: Vec<String>,
}

impl Readiness {
    /// Ready for traffic and PFCP.
    pub fn ready(&self) -> bool {
        self.ports_up && self.pfcp_listening
    }
}

/// A session held by [`InMemoryState`].
#[derive(Debug, Clone)]
struct StoredSession {
    rules: Session,
    meta: SessionMeta,
    usage: BTreeMap<UrrId, Usage>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: BTreeMap<u64, StoredSession>,
    associations: BTreeMap<String, AssociationInfo>,
    ports: Vec<PortStats>,
    workers: Vec<WorkerStats>,
    drops: Vec<u64>,
    stages: Vec<u64>,
    pfcp: PfcpCounters,
    control_events: Vec<(String, u64)>,
    buffered_packets: u64,
    sched_sent: [u64; upf_core::qos::QUEUES],
    sched_dropped: [u64; upf_core::qos::QUEUES],
    offload: OffloadState,
    ports_required: bool,
    pfcp_listening: bool,
}

/// A [`UpfState`] that holds snapshots pushed into it: used by tests, by
/// `upf run` with `dataplane.enabled = false`, and as a ready-made
/// implementation that the dataplane and PFCP tasks can feed.
#[derive(Debug)]
pub struct InMemoryState {
    inner: RwLock<Inner>,
    started: Instant,
}

impl Default for InMemoryState {
    fn default() -> Self {
        InMemoryState {
            inner: RwLock::new(Inner {
                drops: vec![0; DropReason::COUNT],
                stages: vec![0; Stat::COUNT],
                ..Inner::default()
            }),
            started: Instant::now(),
        }
    }
}

/// Now, Unix ms.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl InMemoryState {
    /// A state listing the configured ports (link down) and workers (idle).
    /// Readiness waits for port links only when the dataplane is enabled.
    pub fn from_config(cfg: &Config) -> Self {
        let s = InMemoryState::default();
        {
            let mut i = s.write();
            i.ports = cfg
                .ports
                .iter()
                .map(|(name, p)| PortStats {
                    name: name.clone(),
                    roles: p.roles.iter().map(|r| r.name().to_owned()).collect(),
                    ..PortStats::default()
                })
                .collect();
            i.workers = cfg
                .cores
                .workers
                .iter()
                .flat_map(|w| w.cpus().iter().copied())
                .enumerate()
                .map(|(n, core)| WorkerStats {
                    worker: n as u32,
                    core,
                    ..WorkerStats::default()
                })
                .collect();
            i.offload.mode = cfg.offload.mode;
            i.offload.ports = cfg
                .ports
                .keys()
                .map(|p| PortOffload {
                    port: p.clone(),
                    ..PortOffload::default()
                })
                .collect();
            i.ports_required = cfg.dataplane.enabled;
        }
        s
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds or replaces a session.
    pub fn put_session(&self, rules: Session, meta: SessionMeta) {
        let mut i = self.write();
        let usage = i
            .sessions
            .remove(&rules.seid)
            .map(|s| s.usage)
            .unwrap_or_default();
        i.sessions
            .insert(rules.seid, StoredSession { rules, meta, usage });
    }
    /// Removes a session.
    pub fn remove_session(&self, seid: u64) -> bool {
        self.write().sessions.remove(&seid).is_some()
    }
    /// Sets a URR's usage.
    pub fn set_usage(&self, seid: u64, urr: UrrId, usage: Usage) {
        if let Some(s) = self.write().sessions.get_mut(&seid) {
            s.usage.insert(urr, usage);
        }
    }
    /// Adds or replaces an association (by peer node ID).
    pub fn put_association(&self, a: AssociationInfo) {
        self.write().associations.insert(a.peer_node_id.clone(), a);
    }
    /// Replaces a port's counters (by name; added when new).
    pub fn put_port(&self, p: PortStats) {
        let mut i = self.write();
        match i.ports.iter_mut().find(|x| x.name == p.name) {
            Some(slot) => *slot = p,
            None => i.ports.push(p),
        }
    }
    /// Replaces a worker's counters (by index; added when new).
    pub fn put_worker(&self, w: WorkerStats) {
        let mut i = self.write();
        match i.workers.iter_mut().find(|x| x.worker == w.worker) {
            Some(slot) => *slot = w,
            None => i.workers.push(w),
        }
    }
    /// Adds drops.
    pub fn add_drops(&self, r: DropReason, n: u64) {
        self.write().drops[r as usize] += n;
    }
    /// Replaces the drop and stage counters (indexed by `DropReason as
    /// usize` and `Stat as usize`) with totals read from the dataplane.
    pub fn set_counters(&self, drops: &[u64], stages: &[u64]) {
        let mut i = self.write();
        for (a, b) in i.drops.iter_mut().zip(drops) {
            *a = *b;
        }
        for (a, b) in i.stages.iter_mut().zip(stages) {
            *a = *b;
        }
    }
    /// Sets the number of downlink packets buffered now.
    pub fn set_buffered_packets(&self, n: u64) {
        self.write().buffered_packets = n;
    }
    /// Sets the egress scheduler's per-queue sent and dropped counts.
    pub fn set_sched(
        &self,
        sent: [u64; upf_core::qos::QUEUES],
        dropped: [u64; upf_core::qos::QUEUES],
    ) {
        let mut i = self.write();
        i.sched_sent = sent;
        i.sched_dropped = dropped;
    }
    /// Replaces the control-event counts.
    pub fn set_control_events(&self, counts: Vec<(&'static str, u64)>) {
        self.write().control_events = counts.into_iter().map(|(n, c)| (n.to_owned(), c)).collect();
    }
    /// Adds stage events.
    pub fn add_stage(&self, s: Stat, n: u64) {
        self.write().stages[s as usize] += n;
    }
    /// Adds a worker's counters.
    pub fn add_worker_counters(&self, c: &WorkerCounters) {
        let mut i = self.write();
        for (a, b) in i.drops.iter_mut().zip(c.drop_snapshot()) {
            *a += b;
        }
        for (a, b) in i.stages.iter_mut().zip(c.stat_snapshot()) {
            *a += b;
        }
    }
    /// Counts a PFCP message, with its Cause when it has one.
    pub fn count_pfcp(&self, dir: Direction, message_type: &str, cause: Option<&str>) {
        let mut i = self.write();
        *i.pfcp
            .messages
            .entry((dir, message_type.to_owned()))
            .or_default() += 1;
        if let Some(c) = cause {
            *i.pfcp
                .causes
                .entry((dir, message_type.to_owned(), c.to_owned()))
                .or_default() += 1;
        }
    }
    /// Replaces the PFCP message counters with a snapshot of the N4
    /// server's.
    pub fn set_pfcp_counts(&self, c: &pfcp::counters::MessageCounts) {
        use pfcp::counters::{message_type_name, Direction as D};
        let dir = |d: D| {
            if d == D::Rx {
                Direction::Rx
            } else {
                Direction::Tx
            }
        };
        let mut out = PfcpCounters::default();
        for (&(d, t), &n) in &c.messages {
            *out.messages
                .entry((dir(d), message_type_name(t).to_owned()))
                .or_default() += n;
        }
        for (&(d, t, cause), &n) in &c.causes {
            let name = cause_label(cause);
            *out.causes
                .entry((dir(d), message_type_name(t).to_owned(), name))
                .or_default() += n;
        }
        self.write().pfcp = out;
    }
    /// Replaces the offload state.
    pub fn set_offload(&self, o: OffloadState) {
        self.write().offload = o;
    }
    /// Records whether the PFCP socket is bound.
    pub fn set_pfcp_listening(&self, on: bool) {
        self.write().pfcp_listening = on;
    }
}

impl UpfState for InMemoryState {
    fn sessions(&self) -> Vec<SessionSummary> {
        self.read()
            .sessions
            .values()
            .map(|s| detail(s).summary)
            .collect()
    }
    fn session(&self, seid: u64) -> Option<SessionDetail> {
        self.read().sessions.get(&seid).map(detail)
    }
    fn associations(&self) -> Vec<AssociationInfo> {
        let i = self.read();
        i.associations
            .values()
            .map(|a| AssociationInfo {
                sessions: i
                    .sessions
                    .values()
                    .filter(|s| s.meta.peer_node_id == a.peer_node_id)
                    .count() as u32,
                ..a.clone()
            })
            .collect()
    }
    fn statistics(&self) -> Statistics {
        let i = self.read();
        let mut st = Statistics {
            ports: i.ports.clone(),
            workers: i.workers.clone(),
            sessions: i.sessions.len() as u64,
            pfcp: i.pfcp.clone(),
            uptime_ms: self.started.elapsed().as_millis() as u64,
            control_events: i.control_events.clone(),
            buffered_packets: i.buffered_packets,
            sched_sent: i.sched_sent,
            sched_dropped: i.sched_dropped,
            ..Statistics::default()
        };
        st.drops.copy_from_slice(&i.drops);
        st.stages.copy_from_slice(&i.stages);
        st
    }
    fn offload(&self) -> OffloadState {
        self.read().offload.clone()
    }
    fn readiness(&self) -> Readiness {
        let i = self.read();
        let mut reasons = Vec::new();
        let ports_up = if i.ports_required {
            let down: Vec<&str> = i
                .ports
                .iter()
                .filter(|p| !p.link_up)
                .map(|p| p.name.as_str())
                .collect();
            if i.ports.is_empty() {
                reasons.push("no dataplane port".to_owned());
            } else if !down.is_empty() {
                reasons.push(format!("ports down: {}", down.join(", ")));
            }
            reasons.is_empty()
        } else {
            true
        };
        if !i.pfcp_listening {
            reasons.push("PFCP socket not bound".into());
        }
        Readiness {
            ports_up,
            pfcp_listening: i.pfcp_listening,
            reasons,
        }
    }
}

fn detail(s: &StoredSession) -> SessionDetail {
    SessionDetail::from_rules(&s.rules, &s.meta, |id| {
        s.usage.get(&id).copied().unwrap_or_default()
    })
}

/// A session with an uplink and a downlink PDR, for tests and examples.
pub fn sample_session(seid: u64, ue: std::net::Ipv4Addr, teid: u32) -> Session {
    use upf_core::rules::{
        FTeid, Far, ForwardingParameters, OuterHeaderCreation, Pdi, Pdr, Qer, UeIpAddress, Urr,
    };
    let mut s = Session::new(seid);
    let mut ul = Pdi::new(Interface::Access);
    ul.local_fteid = Some(FTeid {
        teid,
        ipv4: Some([10, 0, 3, 2].into()),
        ipv6: None,
    });
    ul.ue_ip = Some(UeIpAddress {
        ipv4: Some(ue),
        ipv6: None,
        ipv6_prefix_len: 0,
        is_destination: false,
    });
    ul.qfi = Some(9);
    let mut dl = Pdi::new(Interface::Core);
    dl.ue_ip = Some(UeIpAddress {
        ipv4: Some(ue),
        ipv6: None,
        ipv6_prefix_len: 0,
        is_destination: true,
    });
    s.pdrs.push(Pdr {
        id: 1,
        precedence: 200,
        pdi: ul,
        outer_header_removal: Some(OuterHeaderRemoval::GtpuUdpIpv4),
        far_id: Some(1),
        qer_ids: vec![1],
        urr_ids: vec![1],
    });
    s.pdrs.push(Pdr {
        id: 2,
        precedence: 100,
        pdi: dl,
        outer_header_removal: None,
        far_id: Some(2),
        qer_ids: vec![1],
        urr_ids: vec![1],
    });
    s.fars
        .push(Far::forward(1, ForwardingParameters::to(Interface::Core)));
    let mut to_ran = ForwardingParameters::to(Interface::Access);
    to_ran.outer_header_creation = Some(OuterHeaderCreation {
        kind: OuterHeaderCreationKind::GtpuUdpIpv4,
        teid: teid + 0x1000,
        ipv4: Some([10, 0, 3, 10].into()),
        ipv6: None,
        port: None,
    });
    s.fars.push(Far::forward(2, to_ran));
    let mut q = Qer::open(1);
    q.qfi = Some(9);
    q.mbr = Some(upf_core::rules::BitRate {
        ul_kbps: 100_000,
        dl_kbps: 200_000,
    });
    s.qers.push(q);
    s.urrs.push(Urr::volume(1));
    s
}

/// A Cause as a metric label: its name in snake case, or its number.
fn cause_label(v: u8) -> String {
    match pfcp::Cause(v).name() {
        Some(n) => n
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect(),
        None => format!("cause_{v}"),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn detail_from_rules() {
        let st = InMemoryState::default();
        st.put_session(
            sample_session(7, [10, 45, 0, 7].into(), 0x100),
            SessionMeta {
                cp_seid: 70,
                peer_node_id: "smf1".into(),
                created_ms: 1,
            },
        );
        st.set_usage(
            7,
            1,
            Usage {
                ul_bytes: 1000,
                dl_bytes: 5000,
                ul_packets: 10,
                dl_packets: 20,
                ..Usage::default()
            },
        );
        let d = st.session(7).unwrap();
        assert_eq!(d.summary.ul_bytes, 1000);
        assert_eq!(d.summary.ue_addresses, vec![IpAddr::from([10, 45, 0, 7])]);
        // PDRs by precedence.
        assert_eq!(d.pdrs[0].id, 2);
        assert_eq!(
            d.pdrs[1].local_fteid.as_deref(),
            Some("teid=0x100 10.0.3.2")
        );
        assert_eq!(d.fars[1].actions, vec!["FORW"]);
        assert_eq!(
            d.fars[1].outer_header_creation.as_deref(),
            Some("gtpu teid=0x1100 10.0.3.10")
        );
        assert_eq!(d.urrs[0].methods, vec!["volume"]);
        // Replacing the rules keeps the usage.
        st.put_session(
            sample_session(7, [10, 45, 0, 7].into(), 0x100),
            SessionMeta::default(),
        );
        assert_eq!(st.session(7).unwrap().summary.dl_bytes, 5000);
        assert!(st.remove_session(7));
        assert!(st.session(7).is_none());
    }

    #[test]
    fn readiness_rules() {
        let st = InMemoryState::default();
        assert!(!st.readiness().ready());
        st.set_pfcp_listening(true);
        assert!(st.readiness().ready());
        st.write().ports_required = true;
        st.put_port(PortStats {
            name: "n3".into(),
            ..PortStats::default()
        });
        let r = st.readiness();
        assert!(!r.ready());
        assert_eq!(r.reasons, vec!["ports down: n3".to_owned()]);
        st.put_port(PortStats {
            name: "n3".into(),
            link_up: true,
            ..PortStats::default()
        });
        assert!(st.readiness().ready());
    }

    #[test]
    fn worker_counters_sum() {
        let st = InMemoryState::default();
        let w = WorkerCounters::default();
        w.drop(DropReason::NoPdr);
        w.stat_n(Stat::Rx, 5);
        st.add_worker_counters(&w);
        st.add_worker_counters(&w);
        let s = st.statistics();
        assert_eq!(s.drop_count(DropReason::NoPdr), 2);
        assert_eq!(s.stages[Stat::Rx as usize], 10);
        let mut s2 = Statistics::default();
        s2.add_worker(&w);
        assert_eq!(s2.drop_count(DropReason::NoPdr), 1);
    }
}
