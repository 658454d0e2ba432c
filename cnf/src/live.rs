//! The running UPF's moving parts as the management side sees them.
//!
//! - [`RuleAdapter`]: the N4 node's [`pfcp::node::Dataplane`]: publishes
//!   compiled rules to the workers (through the dataplane's
//!   [`dataplane::RuleSink`], or a worker-less publisher when the dataplane
//!   is disabled) and records every installed version in [`Sessions`].
//! - [`Sessions`]: the compiled rules each session runs with, shared with
//!   [`LiveState`], which reads their URR counters live.
//! - [`ControlEvents`]: frames the dataplane's control thread passes on
//!   (buffering episodes, GTP-U Error Indications, Echo Responses),
//!   turned into reports for the node.
//! - [`push_stats`]: the dataplane's figures copied into the
//!   [`InMemoryState`] the metrics and the API read.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use dataplane::{ControlFrame, Dataplane, RuleSink};
use pfcp::node::Busy;
use pfcp::server::DataplaneReport;
use tokio::sync::mpsc;
use upf_core::compile::{FarAction, SessionRules};
use upf_core::counters::{DropReason, Stat};
use upf_core::path::ControlEvent;
use upf_core::publish::Publisher;
use upf_core::qos::QUEUES;
use upf_core::rules::FTeid;
use upf_core::tables::Update;
use upf_core::wire::{ErrorIndicationRepr, GtpuPacket};

use crate::config::Config;
use crate::state::{
    unix_ms, AssociationInfo, InMemoryState, OffloadState, PortStats, Readiness, SessionDetail,
    SessionMeta, SessionSummary, Statistics, UpfState, WorkerStats,
};

/// A session as installed: the version the workers run, and what the PFCP
/// side knows of it.
#[derive(Debug, Clone)]
struct Installed {
    rules: Arc<SessionRules>,
    meta: SessionMeta,
}

/// The sessions installed in the dataplane, by UP SEID.
#[derive(Debug, Clone, Default)]
pub struct Sessions(Arc<RwLock<BTreeMap<u64, Installed>>>);

impl Sessions {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<u64, Installed>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<u64, Installed>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a new version of a session.
    pub fn installed(&self, rules: Arc<SessionRules>) {
        let mut m = self.write();
        match m.get_mut(&rules.seid) {
            Some(s) => s.rules = rules,
            None => {
                let meta = SessionMeta {
                    created_ms: unix_ms(),
                    ..SessionMeta::default()
                };
                m.insert(rules.seid, Installed { rules, meta });
            }
        }
    }

    /// Forgets a session.
    pub fn removed(&self, seid: u64) {
        self.write().remove(&seid);
    }

    /// Sets what the PFCP side reported about a session.
    pub fn set_peer(&self, seid: u64, cp_seid: u64, peer_node_id: Option<String>) {
        if let Some(s) = self.write().get_mut(&seid) {
            s.meta.cp_seid = cp_seid;
            if let Some(p) = peer_node_id {
                s.meta.peer_node_id = p;
            }
        }
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// None installed.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The compiled rules of one session.
    pub fn rules(&self, seid: u64) -> Option<Arc<SessionRules>> {
        self.read().get(&seid).map(|s| s.rules.clone())
    }

    /// The session whose FARs send into the tunnel `teid` at `peer` (the
    /// remote F-TEID a GTP-U Error Indication names).
    pub fn by_remote_fteid(&self, teid: u32, peer: IpAddr) -> Option<u64> {
        self.read().values().find_map(|s| {
            s.rules
                .fars
                .iter()
                .any(|f| match &f.action {
                    FarAction::Forward(fw) => fw.outer_header_creation.is_some_and(|o| {
                        o.teid == teid
                            && (o.ipv4.map(IpAddr::from) == Some(peer)
                                || o.ipv6.map(IpAddr::from) == Some(peer))
                    }),
                    _ => false,
                })
                .then_some(s.rules.seid)
        })
    }

    fn details(&self) -> Vec<SessionDetail> {
        self.read()
            .values()
            .map(|s| SessionDetail::from_compiled(&s.rules, &s.meta))
            .collect()
    }
}

/// Where compiled rules go.
#[derive(Debug)]
pub enum Backend {
    /// The DPDK workers.
    Dataplane(Box<RuleSink>),
    /// No workers (`dataplane.enabled = false`): every change is applied at
    /// once; sessions are still listed.
    Detached(Publisher),
}

impl Backend {
    /// A backend without workers.
    pub fn detached() -> Self {
        Backend::Detached(Publisher::new(0, 1).0)
    }

    fn publisher(&mut self) -> &mut Publisher {
        match self {
            Backend::Dataplane(s) => s.publisher(),
            Backend::Detached(p) => p,
        }
    }
}

/// The N4 node's view of the dataplane: publishes rules and records them.
#[derive(Debug)]
pub struct RuleAdapter {
    backend: Backend,
    sessions: Sessions,
}

impl RuleAdapter {
    /// Publishes through `backend`, recording in `sessions`.
    pub fn new(backend: Backend, sessions: Sessions) -> Self {
        RuleAdapter { backend, sessions }
    }
}

impl pfcp::node::Dataplane for RuleAdapter {
    fn install(
        &mut self,
        rules: Arc<SessionRules>,
        retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, Busy> {
        // Through the rule sink, so flow rules follow the session when
        // offload is on; never waits for a full queue.
        let epoch = match &mut self.backend {
            Backend::Dataplane(sink) => {
                sink.try_install(rules.clone(), retire).map_err(|_| Busy)?
            }
            Backend::Detached(p) => p
                .publish(Update::Install(rules.clone()), retire)
                .map_err(|_| Busy)?,
        };
        self.sessions.installed(rules);
        Ok(epoch)
    }

    fn remove(&mut self, seid: u64, retire: Option<Arc<SessionRules>>) -> Result<u64, Busy> {
        let epoch = match &mut self.backend {
            Backend::Dataplane(sink) => sink.try_remove(seid, retire).map_err(|_| Busy)?,
            Backend::Detached(p) => p.publish(Update::Remove(seid), retire).map_err(|_| Busy)?,
        };
        self.sessions.removed(seid);
        Ok(epoch)
    }

    fn is_applied(&self, epoch: u64) -> bool {
        match &self.backend {
            Backend::Dataplane(s) => s.is_applied(epoch),
            Backend::Detached(p) => p.is_applied(epoch),
        }
    }

    fn reclaim(&mut self) {
        self.backend.publisher().reclaim();
        // Flow rules held back by the insertion rate go in now.
        if let Backend::Dataplane(sink) = &mut self.backend {
            sink.offload_poll();
        }
    }
}

/// Counts of what the control-event pump saw.
#[derive(Debug, Default)]
pub struct EventCounts {
    /// Downlink Data Reports passed to the node.
    pub downlink_data: AtomicU64,
    /// Buffering episodes the dataplane told of (the first buffered
    /// packet of a session with NOCP, per worker; the packets stay in
    /// the workers' buffers).
    pub buffered: AtomicU64,
    /// Error Indications matched to a session and reported.
    pub error_indications: AtomicU64,
    /// Error Indications that named no known tunnel, or did not parse.
    pub error_indications_unmatched: AtomicU64,
    /// GTP-U Echo Responses.
    pub echo_responses: AtomicU64,
    /// Supported Extension Headers Notifications.
    pub supported_extensions: AtomicU64,
    /// Reports the node's channel had no room for.
    pub reports_dropped: AtomicU64,
    /// End Markers the node asked for, queued to the dataplane.
    pub end_markers: AtomicU64,
    /// End Markers the node asked for that could not be queued (no
    /// dataplane, or its request queue full).
    pub end_markers_not_sent: AtomicU64,
}

impl EventCounts {
    /// `(name, count)` for metrics.
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        vec![
            ("downlink_data_report", g(&self.downlink_data)),
            ("buffering_episode", g(&self.buffered)),
            ("error_indication", g(&self.error_indications)),
            (
                "error_indication_unmatched",
                g(&self.error_indications_unmatched),
            ),
            ("echo_response", g(&self.echo_responses)),
            ("supported_extensions", g(&self.supported_extensions)),
            ("report_dropped", g(&self.reports_dropped)),
            ("end_marker_requested", g(&self.end_markers)),
            ("end_marker_not_sent", g(&self.end_markers_not_sent)),
        ]
    }
}

/// The GTP-U message in an Ethernet frame (VLAN tags, IPv4 or IPv6, UDP).
fn gtpu_of_frame(frame: &[u8]) -> Option<&[u8]> {
    let mut off = 12;
    let mut ethertype = u16::from_be_bytes(frame.get(off..off + 2)?.try_into().ok()?);
    off += 2;
    while ethertype == 0x8100 || ethertype == 0x88a8 {
        ethertype = u16::from_be_bytes(frame.get(off + 2..off + 4)?.try_into().ok()?);
        off += 4;
    }
    let l3 = frame.get(off..)?;
    let l4 = match ethertype {
        0x0800 => {
            let ihl = usize::from(l3.first()? & 0x0f) * 4;
            (*l3.get(9)? == 17).then_some(())?;
            l3.get(ihl..)?
        }
        0x86dd => {
            (*l3.get(6)? == 17).then_some(())?;
            l3.get(40..)?
        }
        _ => return None,
    };
    l4.get(8..)
}

/// The Error Indication's TEID Data I and GTP-U Peer Address.
pub fn parse_error_indication(frame: &[u8]) -> Option<ErrorIndicationRepr> {
    let g = GtpuPacket::new_checked(gtpu_of_frame(frame)?).ok()?;
    ErrorIndicationRepr::parse(g.payload()).ok()
}

/// Turns control frames into node reports, on its own thread (the channel
/// is a blocking one). Stops when `stop` is set or the dataplane drops its
/// end of the channel.
#[derive(Debug)]
pub struct ControlEvents {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ControlEvents {
    /// Starts the pump.
    pub fn spawn(
        rx: Receiver<ControlFrame>,
        reports: mpsc::Sender<DataplaneReport>,
        sessions: Sessions,
        counts: Arc<EventCounts>,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name("upf-dp-events".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    match rx.recv_timeout(Duration::from_millis(200)) {
                        Ok(f) => handle_frame(&f, &reports, &sessions, &counts),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            })?;
        Ok(ControlEvents {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the pump and waits for it.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle_frame(
    f: &ControlFrame,
    reports: &mpsc::Sender<DataplaneReport>,
    sessions: &Sessions,
    counts: &EventCounts,
) {
    let send = |r: DataplaneReport| {
        if reports.try_send(r).is_err() {
            counts.reports_dropped.fetch_add(1, Ordering::Relaxed);
        }
    };
    match f.event {
        ControlEvent::Buffer {
            seid,
            pdr_id,
            notify,
            ..
        } => {
            counts.buffered.fetch_add(1, Ordering::Relaxed);
            if notify {
                counts.downlink_data.fetch_add(1, Ordering::Relaxed);
                send(DataplaneReport::DownlinkData { seid, pdr_id });
            }
        }
        ControlEvent::GtpuErrorIndication => {
            let found = parse_error_indication(&f.frame).and_then(|ei| {
                sessions
                    .by_remote_fteid(ei.teid, ei.peer_addr)
                    .map(|seid| (seid, ei))
            });
            match found {
                Some((seid, ei)) => {
                    counts.error_indications.fetch_add(1, Ordering::Relaxed);
                    let remote = match ei.peer_addr {
                        IpAddr::V4(a) => FTeid {
                            teid: ei.teid,
                            ipv4: Some(a),
                            ipv6: None,
                        },
                        IpAddr::V6(a) => FTeid {
                            teid: ei.teid,
                            ipv4: None,
                            ipv6: Some(a),
                        },
                    };
                    send(DataplaneReport::ErrorIndication { seid, remote });
                }
                None => {
                    counts
                        .error_indications_unmatched
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        ControlEvent::GtpuEchoResponse => {
            counts.echo_responses.fetch_add(1, Ordering::Relaxed);
        }
        ControlEvent::GtpuSupportedExtensions => {
            counts.supported_extensions.fetch_add(1, Ordering::Relaxed);
        }
        ControlEvent::Arp | ControlEvent::Ndp => {}
    }
}

/// The [`UpfState`] of a running UPF: sessions from [`Sessions`] (live URR
/// usage), the rest from the [`InMemoryState`] the periodic task feeds.
#[derive(Debug, Clone)]
pub struct LiveState {
    /// Ports, workers, counters, associations, readiness.
    pub base: Arc<InMemoryState>,
    /// Installed sessions.
    pub sessions: Sessions,
}

impl UpfState for LiveState {
    fn sessions(&self) -> Vec<SessionSummary> {
        self.sessions
            .details()
            .into_iter()
            .map(|d| d.summary)
            .collect()
    }
    fn session(&self, seid: u64) -> Option<SessionDetail> {
        let s = self.sessions.read();
        s.get(&seid)
            .map(|s| SessionDetail::from_compiled(&s.rules, &s.meta))
    }
    fn associations(&self) -> Vec<AssociationInfo> {
        let s = self.sessions.read();
        self.base
            .associations()
            .into_iter()
            .map(|a| AssociationInfo {
                sessions: s
                    .values()
                    .filter(|x| x.meta.peer_node_id == a.peer_node_id)
                    .count() as u32,
                ..a
            })
            .collect()
    }
    fn statistics(&self) -> Statistics {
        Statistics {
            sessions: self.sessions.len() as u64,
            ..self.base.statistics()
        }
    }
    fn offload(&self) -> OffloadState {
        self.base.offload()
    }
    fn readiness(&self) -> Readiness {
        self.base.readiness()
    }
}

/// Busy/idle cycles of each worker at the previous push, for busy ratios.
#[derive(Debug, Default)]
pub struct StatsCursor {
    cycles: Vec<(u64, u64)>,
}

/// The kernel interface a `net_af_packet`/`net_af_xdp` vdev runs over.
pub fn vdev_kernel_iface(vdev: &str) -> Option<&str> {
    let mut parts = vdev.split(',');
    let driver = parts.next()?;
    if !(driver.starts_with("net_af_packet") || driver.starts_with("net_af_xdp")) {
        return None;
    }
    parts.find_map(|kv| kv.strip_prefix("iface="))
}

/// Whether the kernel reports `iface` operationally up; `None` when it
/// cannot tell. Those PMDs report their link up whatever the interface's
/// state, so the kernel's word is taken as well.
fn kernel_link_up(iface: &str) -> Option<bool> {
    let s = std::fs::read_to_string(format!("/sys/class/net/{iface}/operstate")).ok()?;
    Some(matches!(s.trim(), "up" | "unknown"))
}

/// Copies the dataplane's figures into `state`: port counters and links,
/// per-worker packets and busy ratio since the last push, drops by reason,
/// stage counters, and the control-event counts.
pub fn push_stats(
    cfg: &Config,
    dp: &Dataplane,
    state: &InMemoryState,
    cursor: &mut StatsCursor,
    counts: &EventCounts,
) {
    state.set_offload(offload_view(cfg, &dp.offload_state()));
    let st = dp.stats();
    for (i, (name, p)) in cfg.ports.iter().enumerate() {
        let kernel = p
            .vdev
            .as_deref()
            .and_then(vdev_kernel_iface)
            .and_then(kernel_link_up);
        let link_up = dp
            .ports()
            .get(i)
            .and_then(|port| port.link().ok())
            .is_some_and(|l| l.up)
            && kernel != Some(false);
        let s = st.ports.get(i).cloned().flatten().unwrap_or_default();
        state.put_port(PortStats {
            name: name.clone(),
            roles: p.roles.iter().map(|r| r.name().to_owned()).collect(),
            link_up,
            rx_packets: s.ipackets,
            rx_bytes: s.ibytes,
            rx_errors: s.ierrors,
            rx_missed: s.imissed,
            tx_packets: s.opackets,
            tx_bytes: s.obytes,
            tx_errors: s.oerrors,
        });
    }
    let cores: Vec<u32> = cfg
        .cores
        .workers
        .as_ref()
        .map(|w| w.cpus().to_vec())
        .unwrap_or_default();
    cursor.cycles.resize(st.workers.len(), (0, 0));
    let mut drops = [0u64; DropReason::COUNT];
    let mut stages = [0u64; Stat::COUNT];
    for w in &st.workers {
        let (b0, i0) = cursor.cycles[w.index];
        let (db, di) = (
            w.busy_cycles.saturating_sub(b0),
            w.idle_cycles.saturating_sub(i0),
        );
        cursor.cycles[w.index] = (w.busy_cycles, w.idle_cycles);
        state.put_worker(WorkerStats {
            worker: w.index as u32,
            core: cores.get(w.index).copied().unwrap_or(0),
            packets: w.stat(Stat::Rx),
            busy_ratio: if db + di == 0 {
                0.0
            } else {
                db as f64 / (db + di) as f64
            },
        });
        for (a, b) in drops.iter_mut().zip(w.drops) {
            *a += b;
        }
        for (a, b) in stages.iter_mut().zip(w.stats) {
            *a += b;
        }
    }
    state.set_counters(&drops, &stages);
    state.set_buffered_packets(st.buffered());
    let (mut sent, mut dropped) = ([0u64; QUEUES], [0u64; QUEUES]);
    for w in &st.workers {
        for q in 0..QUEUES {
            sent[q] += w.sched_sent[q];
            dropped[q] += w.sched_dropped[q];
        }
    }
    state.set_sched(sent, dropped);
    let mut events = counts.snapshot();
    events.push(("end_marker_sent", st.end_markers));
    events.push(("end_marker_failed", st.end_markers_failed));
    state.set_control_events(events);
}

/// The management API's view of the dataplane's offload state.
pub fn offload_view(
    cfg: &Config,
    o: &dataplane::offload::OffloadState,
) -> crate::state::OffloadState {
    let total = o.total();
    let last_error = o
        .ports
        .iter()
        .flat_map(|p| {
            p.caps
                .errors
                .iter()
                .map(move |(what, msg)| format!("{}: {what}: {msg}", p.name))
        })
        .next();
    crate::state::OffloadState {
        mode: cfg.offload.mode,
        active: o.mode != dataplane::offload::OffloadMode::Off && total.active > 0,
        ports: o
            .ports
            .iter()
            .map(|p| crate::state::PortOffload {
                port: p.name.clone(),
                rte_flow: p.caps.gtp_teid_match || p.caps.mark || p.caps.queue,
                gtp_match: p.caps.gtp_teid_match,
                gtp_psc_match: p.caps.gtp_psc_qfi_match,
                decap: p.caps.raw_decap,
                mark: p.caps.mark,
                rss_inner: p.caps.rss_inner,
            })
            .collect(),
        rules_installed: total.active,
        rules_failed: total.failed + total.fallback,
        last_error,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn kernel_iface_of_vdevs() {
        assert_eq!(
            vdev_kernel_iface("net_af_packet0,iface=veth0,qpairs=1"),
            Some("veth0")
        );
        assert_eq!(vdev_kernel_iface("net_af_xdp1,iface=eth2"), Some("eth2"));
        assert_eq!(vdev_kernel_iface("net_pcap0,iface=eth0"), None);
        assert_eq!(vdev_kernel_iface("net_af_packet0"), None);
    }

    #[test]
    fn error_indication_from_frame() {
        // Ethernet, VLAN 103, IPv4/UDP 2152, GTP-U Error Indication
        // (type 26) with TEID Data I 0x2000 and Peer Address 10.100.3.1.
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x81, 0x00, 0x00, 103, 0x08, 0x00]);
        let ies = [
            16u8, 0x00, 0x00, 0x20, 0x00, // TEID Data I
            133, 0x00, 0x04, 10, 100, 3, 1, // GTP-U Peer Address
        ];
        let gtp_len = 4 + ies.len(); // seq, N-PDU, next ext + IEs
        let udp_len = 8 + 8 + gtp_len;
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0];
        ip.extend_from_slice(&[10, 100, 3, 2, 10, 100, 3, 1]);
        let total = (20 + udp_len) as u16;
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&ip);
        f.extend_from_slice(&[0x08, 0x68, 0x08, 0x68]);
        f.extend_from_slice(&(udp_len as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(&[0x32, 26]);
        f.extend_from_slice(&(gtp_len as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 0]);
        f.extend_from_slice(&ies);
        let ei = parse_error_indication(&f).expect("parses");
        assert_eq!(ei.teid, 0x2000);
        assert_eq!(ei.peer_addr, IpAddr::from([10, 100, 3, 1]));
        assert!(parse_error_indication(&f[..30]).is_none());
    }
}
