//! PFCP load: establishes N sessions at a target rate over real PFCP (UDP)
//! and measures the rate achieved and the response latency.
//!
//! The tool sets up a PFCP association (Association Setup Request), then
//! sends Session Establishment Requests, each with 4 PDRs, 2 FARs, 1 QER and
//! 1 URR, paced to the target rate with at most `window` outstanding, and
//! matches responses by sequence number. The sessions are those of a
//! [`Sessions`] table (same UE addresses, TEIDs and QFIs), so traffic from
//! the packet generator finds them once they are installed.
//!
//! [`spawn_fake_upf`] answers on a socket like a UPF that accepts
//! everything, for testing the tool without the N4 node.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pfcp::ie::outer_header::OuterHeaderRemovalDescription;
use pfcp::ie::*;
use pfcp::message::*;
use pfcp::{Cause, Message};

use crate::latency::{Latency, Summary};
use crate::traffic::{Sessions, DN_PORT};

/// How to load.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The UPF's PFCP address.
    pub upf: SocketAddr,
    /// Local address to bind (port 0: any).
    pub bind: SocketAddr,
    /// The SMF's Node ID and F-SEID address.
    pub smf: Ipv4Addr,
    /// The sessions to establish.
    pub sessions: Sessions,
    /// Establishments per second; 0 = as fast as the window allows.
    pub rate: u64,
    /// Requests outstanding at most.
    pub window: usize,
    /// A request unanswered this long counts as timed out.
    pub timeout: Duration,
}

impl LoadConfig {
    /// `sessions` sessions toward `upf`, 10k/s, window 256, timeout 3 s.
    pub fn new(upf: SocketAddr, sessions: u32) -> Self {
        LoadConfig {
            upf,
            bind: SocketAddr::from(([0, 0, 0, 0], 0)),
            smf: Ipv4Addr::new(127, 0, 0, 1),
            sessions: Sessions::new(sessions),
            rate: 10_000,
            window: 256,
            timeout: Duration::from_secs(3),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Whether the association was accepted.
    pub associated: bool,
    /// Establishments answered with Request accepted.
    pub accepted: u64,
    /// Establishments answered with another cause, by cause.
    pub rejected: Vec<(u8, u64)>,
    /// Requests not answered in time.
    pub timed_out: u64,
    /// Datagrams that did not decode or matched no request.
    pub unexpected: u64,
    /// Seconds from the first establishment sent to the last answer.
    pub seconds: f64,
    /// Accepted establishments per second.
    pub rate: f64,
    /// Response latency.
    pub latency: Summary,
}

/// Why the load could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Socket trouble.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    /// A request did not encode.
    #[error("encode: {0}")]
    Encode(String),
    /// No Association Setup Response.
    #[error("no answer to the Association Setup Request")]
    NoAssociation,
}

/// The recovery time stamp this tool sends (fixed for the process).
fn recovery() -> RecoveryTimeStamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    RecoveryTimeStamp::from_unix(now)
}

/// The Association Setup Request.
pub fn association_request(smf: Ipv4Addr) -> AssociationSetupRequest {
    AssociationSetupRequest {
        node_id: NodeId::Ipv4(smf),
        recovery_time_stamp: recovery(),
        ..Default::default()
    }
}

/// The Session Establishment Request for session `i`: uplink and downlink
/// default PDRs, an uplink and a downlink PDR for the UE's traffic to the
/// server port (higher precedence, same FARs), a FAR to the core and one
/// into the gNB's tunnel, a QER with the session's QFI, a volume URR.
pub fn establishment_request(s: &Sessions, i: u32, smf: Ipv4Addr) -> SessionEstablishmentRequest {
    let ue = s.ue(i);
    let fteid = FTeid::v4(s.ul_teid(i), s.topo.upf_n3);
    let removal = Some(OuterHeaderRemoval::new(
        OuterHeaderRemovalDescription::GtpuUdpIpv4,
    ));
    let ul_pdi = |sdf: Option<SdfFilter>| Pdi {
        source_interface: SourceInterface::Access,
        local_f_teid: Some(fteid),
        ue_ip_addresses: vec![UeIpAddress::v4(ue, false)],
        sdf_filters: sdf.into_iter().collect(),
        qfis: vec![Qfi(s.qfi(i))],
        ..Default::default()
    };
    let dl_pdi = |sdf: Option<SdfFilter>| Pdi {
        source_interface: SourceInterface::Core,
        ue_ip_addresses: vec![UeIpAddress::v4(ue, true)],
        sdf_filters: sdf.into_iter().collect(),
        ..Default::default()
    };
    let flow = || {
        Some(SdfFilter::flow(&format!(
            "permit out 17 from {} {DN_PORT} to assigned",
            s.topo.dn
        )))
    };
    let pdr = |id: u16, prec: u32, pdi: Pdi, far: u32, ul: bool| CreatePdr {
        pdr_id: PdrId(id),
        precedence: Precedence(prec),
        pdi,
        outer_header_removal: if ul { removal } else { None },
        far_id: Some(FarId(far)),
        urr_ids: vec![UrrId(1)],
        qer_ids: vec![QerId(1)],
        ..Default::default()
    };
    SessionEstablishmentRequest {
        node_id: NodeId::Ipv4(smf),
        cp_f_seid: FSeid::v4(s.seid(i), smf),
        create_pdrs: vec![
            pdr(1, 255, ul_pdi(None), 1, true),
            pdr(2, 255, dl_pdi(None), 2, false),
            pdr(3, 100, ul_pdi(flow()), 1, true),
            pdr(4, 100, dl_pdi(flow()), 2, false),
        ],
        create_fars: vec![
            CreateFar {
                far_id: FarId(1),
                apply_action: ApplyAction::empty().with(ApplyAction::FORW),
                forwarding_parameters: Some(ForwardingParameters {
                    destination_interface: DestinationInterface::Core,
                    ..Default::default()
                }),
                ..Default::default()
            },
            CreateFar {
                far_id: FarId(2),
                apply_action: ApplyAction::empty().with(ApplyAction::FORW),
                forwarding_parameters: Some(ForwardingParameters {
                    destination_interface: DestinationInterface::Access,
                    outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(
                        s.dl_teid(i),
                        s.gnb(i),
                    )),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ],
        create_urrs: vec![CreateUrr {
            urr_id: UrrId(1),
            measurement_method: MeasurementMethod::empty().with(MeasurementMethod::VOLUM),
            reporting_triggers: ReportingTriggers::empty(),
            ..Default::default()
        }],
        create_qers: vec![CreateQer {
            qer_id: QerId(1),
            gate_status: GateStatus::default(),
            qfi: Some(Qfi(s.qfi(i))),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Runs the load. `progress` is called about once a second with the
/// number accepted so far.
pub fn run(cfg: &LoadConfig, mut progress: impl FnMut(u64)) -> Result<LoadReport, LoadError> {
    let sock = UdpSocket::bind(cfg.bind)?;
    sock.connect(cfg.upf)?;
    let mut report = LoadReport::default();
    let mut buf = vec![0u8; 65536];

    // Association first (sequence 1), retried a few times.
    let assoc = association_request(cfg.smf)
        .encode(1, None)
        .map_err(|e| LoadError::Encode(e.to_string()))?;
    sock.set_read_timeout(Some(Duration::from_millis(500)))?;
    'assoc: for _ in 0..6 {
        sock.send(&assoc)?;
        let until = Instant::now() + Duration::from_millis(500);
        while Instant::now() < until {
            let Ok(n) = sock.recv(&mut buf) else { break };
            if let Ok((h, Message::AssociationSetupResponse(r))) = Message::decode(&buf[..n]) {
                if h.sequence == 1 {
                    report.associated = r.cause == Cause::REQUEST_ACCEPTED;
                    break 'assoc;
                }
            }
        }
    }
    if !report.associated {
        return Err(LoadError::NoAssociation);
    }

    sock.set_nonblocking(true)?;
    let n = cfg.sessions.count;
    let step = 1_000_000_000u64
        .checked_div(cfg.rate)
        .map_or(Duration::ZERO, Duration::from_nanos);
    let mut latency = Latency::new();
    let mut pending: HashMap<u32, (Instant, u32)> = HashMap::with_capacity(cfg.window * 2);
    let mut rejected: HashMap<u8, u64> = HashMap::new();
    let mut next_i = 0u32;
    let mut seq = 2u32;
    let start = Instant::now();
    let mut due = start;
    let mut last_answer = start;
    let mut next_progress = start + Duration::from_secs(1);
    while next_i < n || !pending.is_empty() {
        let now = Instant::now();
        // Send what the rate and the window allow.
        while next_i < n && pending.len() < cfg.window && due <= now {
            let req = establishment_request(&cfg.sessions, next_i, cfg.smf);
            let bytes = req
                .encode(seq, Some(0))
                .map_err(|e| LoadError::Encode(e.to_string()))?;
            match sock.send(&bytes) {
                Ok(_) => {
                    pending.insert(seq, (Instant::now(), next_i));
                    next_i += 1;
                    seq = if seq >= 0x00ff_ffff { 2 } else { seq + 1 };
                    due += step;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e.into()),
            }
        }
        // Collect answers.
        let mut got = false;
        loop {
            match sock.recv(&mut buf) {
                Ok(len) => {
                    got = true;
                    let t = Instant::now();
                    match Message::decode(&buf[..len]) {
                        Ok((h, Message::SessionEstablishmentResponse(r))) => {
                            match pending.remove(&h.sequence) {
                                Some((sent, _)) => {
                                    latency.record(t.duration_since(sent).as_nanos() as u64);
                                    last_answer = t;
                                    if r.cause == Cause::REQUEST_ACCEPTED {
                                        report.accepted += 1;
                                    } else {
                                        *rejected.entry(r.cause.0).or_default() += 1;
                                    }
                                }
                                None => report.unexpected += 1,
                            }
                        }
                        _ => report.unexpected += 1,
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
                Err(e) => return Err(e.into()),
            }
        }
        // Expire.
        let now = Instant::now();
        let before = pending.len();
        pending.retain(|_, (sent, _)| now.duration_since(*sent) < cfg.timeout);
        report.timed_out += (before - pending.len()) as u64;
        if now >= next_progress {
            next_progress += Duration::from_secs(1);
            progress(report.accepted);
        }
        if !got {
            if due > now && (pending.len() < cfg.window || next_i >= n) {
                let wait = due
                    .saturating_duration_since(now)
                    .min(Duration::from_micros(200));
                std::thread::sleep(wait);
            } else {
                std::thread::yield_now();
            }
        }
    }
    report.seconds = last_answer.duration_since(start).as_secs_f64();
    report.rate = report.accepted as f64 / report.seconds.max(1e-9);
    report.latency = latency.summary();
    let mut rej: Vec<(u8, u64)> = rejected.into_iter().collect();
    rej.sort_unstable();
    report.rejected = rej;
    Ok(report)
}

/// A stand-in UPF: answers Association Setup and Session Establishment
/// Requests with Request accepted (allocating UP F-SEIDs), anything it does
/// not decode with nothing. Runs until `stop` is set. Returns the bound
/// address and the thread.
pub fn spawn_fake_upf(
    bind: SocketAddr,
    stop: Arc<AtomicBool>,
) -> std::io::Result<(SocketAddr, std::thread::JoinHandle<u64>)> {
    let sock = UdpSocket::bind(bind)?;
    sock.set_read_timeout(Some(Duration::from_millis(50)))?;
    let addr = sock.local_addr()?;
    let node = NodeId::Ipv4(match addr.ip() {
        std::net::IpAddr::V4(a) => a,
        std::net::IpAddr::V6(_) => Ipv4Addr::LOCALHOST,
    });
    let h = std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        let mut sessions = 0u64;
        let rts = recovery();
        while !stop.load(Ordering::Relaxed) {
            let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let answer = match Message::decode(&buf[..n]) {
                Ok((h, Message::AssociationSetupRequest(_))) => AssociationSetupResponse {
                    node_id: node.clone(),
                    cause: Cause::REQUEST_ACCEPTED,
                    recovery_time_stamp: rts,
                    ..Default::default()
                }
                .encode(h.sequence, None),
                Ok((h, Message::SessionEstablishmentRequest(r))) => {
                    sessions += 1;
                    let cp_seid = r.cp_f_seid.seid;
                    SessionEstablishmentResponse {
                        node_id: node.clone(),
                        cause: Cause::REQUEST_ACCEPTED,
                        up_f_seid: Some(FSeid::v4(sessions, Ipv4Addr::LOCALHOST)),
                        ..Default::default()
                    }
                    .encode(h.sequence, Some(cp_seid))
                }
                _ => continue,
            };
            if let Ok(b) = answer {
                let _ = sock.send_to(&b, peer);
            }
        }
        sessions
    });
    Ok((addr, h))
}

/// The project's own N4 node (`pfcp::node::Node` behind its tokio UDP
/// driver) running in this process, with one stand-in worker that applies
/// published rules to its lookup tables the way dataplane workers do
/// between bursts, so that responses go out after apply. Until the `upf`
/// binary wires the node to the real workers, this is what the PFCP load
/// is measured against.
#[derive(Debug)]
pub struct NodeUnderTest {
    /// Where the node listens.
    pub addr: SocketAddr,
    shutdown: pfcp::server::Shutdown,
    runtime: std::thread::JoinHandle<()>,
    worker_stop: Arc<AtomicBool>,
    worker: std::thread::JoinHandle<usize>,
}

impl NodeUnderTest {
    /// Starts the node on `bind` (port 0: any) with N3 address `n3`.
    pub fn spawn(bind: SocketAddr, n3: Ipv4Addr, max_sessions: usize) -> std::io::Result<Self> {
        use pfcp::node::{Node, NodeConfig};
        use upf_core::publish::Publisher;
        use upf_core::tables::Tables;

        let node_ip = match bind.ip() {
            std::net::IpAddr::V4(a) if !a.is_unspecified() => a,
            _ => Ipv4Addr::LOCALHOST,
        };
        let mut cfg = NodeConfig::new(NodeId::Ipv4(node_ip), recovery());
        cfg.n3_ipv4 = Some(n3);
        cfg.max_sessions = max_sessions;
        cfg.max_sessions_per_peer = max_sessions;
        let (publisher, mut subs) = Publisher::new(1, 65_536);
        let sub = subs.pop().expect("one subscriber");
        let worker_stop = Arc::new(AtomicBool::new(false));
        let ws = worker_stop.clone();
        let worker = std::thread::Builder::new()
            .name("pfcp-load-worker".into())
            .spawn(move || {
                let mut tables = Tables::with_capacity(max_sessions);
                sub.set_active(true);
                while !ws.load(Ordering::Relaxed) {
                    if sub.drain(&mut tables, 1024) == 0 {
                        std::thread::sleep(Duration::from_micros(20));
                    }
                }
                sub.set_active(false);
                tables.len()
            })?;
        let node = Node::new(cfg, publisher, Instant::now());
        let (tx, rx) = std::sync::mpsc::channel();
        let runtime = std::thread::Builder::new()
            .name("pfcp-load-node".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let (server, handles) = match pfcp::server::Server::bind(node, bind).await {
                        Ok(x) => x,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                    let addr = server.local_addr();
                    let pfcp::server::Handles {
                        mut events,
                        reports,
                        shutdown,
                        ..
                    } = handles;
                    let _ = tx.send(addr.map(|a| (a, shutdown)));
                    // Nobody consumes node events here; drain them.
                    tokio::spawn(async move { while events.recv().await.is_some() {} });
                    let _keep = reports;
                    let _ = server.run().await;
                });
            })?;
        let (addr, shutdown) = rx
            .recv()
            .map_err(|_| std::io::Error::other("node thread ended"))??;
        Ok(NodeUnderTest {
            addr,
            shutdown,
            runtime,
            worker_stop,
            worker,
        })
    }

    /// Stops the node and the worker; returns the sessions in the worker's
    /// tables.
    pub fn stop(self) -> usize {
        self.shutdown.shutdown();
        let _ = self.runtime.join();
        self.worker_stop.store(true, Ordering::Relaxed);
        self.worker.join().unwrap_or(0)
    }
}
