//! `upf run`: logging, the tokio runtime, EAL and the DPDK dataplane, the
//! N4 node behind its UDP driver, the management servers, and a clean
//! drain on SIGTERM/SIGINT.
//!
//! # Order of things
//!
//! 1. The tokio runtime is built first, so its threads (PFCP, gRPC,
//!    metrics) exist before `rte_eal_init` and do not inherit the main
//!    lcore's CPU affinity; EAL is also told to restore the caller's.
//! 2. When `dataplane.enabled`: EAL from `[eal]` and the ports' devices,
//!    then the [`dataplane::Dataplane`] from the resolved configuration
//!    ([`crate::wiring`]), started before PFCP is served.
//! 3. The N4 node ([`pfcp::node::Node`]) with a [`RuleAdapter`] over the
//!    dataplane's rule sink (or a worker-less publisher when the dataplane
//!    is disabled), bound on every `pfcp.listen` address.
//! 4. A thread turns the dataplane's control frames into node reports
//!    ([`ControlEvents`]); a task records node events (associations,
//!    sessions' CP SEIDs); every 500 ms the dataplane's figures are pushed
//!    into the state the metrics and the gRPC API read ([`LiveState`]).
//! 5. SIGTERM/SIGINT: readiness off, the PFCP server stops (pending
//!    datagrams sent; no new sessions), the management servers drain, the
//!    dataplane stops (workers joined, ports closed, `net_pcap` output
//!    flushed), exit 0.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{Config, LogConfig, LogFormat};
use crate::grpc::ManagementService;
use crate::http::{self, HttpState};
use crate::live::{
    push_stats, Backend, ControlEvents, EventCounts, LiveState, RuleAdapter, Sessions, StatsCursor,
};
use crate::state::{unix_ms, AssociationInfo, AssociationState, InMemoryState, UpfState};
use crate::wiring;

/// Why the service could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A listen address could not be bound.
    #[error("cannot listen on {what} {addr}: {source}")]
    Bind {
        /// Which endpoint.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The tokio runtime or a signal handler could not be set up.
    #[error("runtime: {0}")]
    Runtime(std::io::Error),
    /// A server failed.
    #[error("{what} server: {message}")]
    Server {
        /// Which server.
        what: &'static str,
        /// Its error.
        message: String,
    },
    /// Logging could not be set up.
    #[error("logging: {0}")]
    Logging(String),
    /// The configuration could not be turned into running parts.
    #[error("{0}")]
    Wiring(#[from] wiring::WiringError),
    /// EAL or the dataplane failed.
    #[error("dataplane: {0}")]
    Dataplane(String),
}

/// Installs the global tracing subscriber.
pub fn init_tracing(cfg: &LogConfig) -> Result<(), RunError> {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.filter)
        .map_err(|e| RunError::Logging(e.to_string()))?;
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_writer(std::io::stdout);
    let r = match cfg.format {
        LogFormat::Json => b.json().flatten_event(false).try_init(),
        LogFormat::Text => b.try_init(),
    };
    r.map_err(|e| RunError::Logging(e.to_string()))
}

/// The running management servers.
#[derive(Debug)]
pub struct Running {
    /// Bound HTTP address.
    pub http_addr: SocketAddr,
    /// Bound gRPC address.
    pub grpc_addr: SocketAddr,
    draining: Arc<AtomicBool>,
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<Result<(), String>>)>,
}

/// Binds and starts the HTTP and gRPC servers over `state`.
pub async fn start(cfg: &Config, state: Arc<dyn UpfState>) -> Result<Running, RunError> {
    let bind = |what, addr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| RunError::Bind { what, addr, source })
    };
    let http_l = bind("http", cfg.management.http_listen).await?;
    let grpc_l = bind("grpc", cfg.management.grpc_listen).await?;
    let http_addr = http_l.local_addr().map_err(RunError::Runtime)?;
    let grpc_addr = grpc_l.local_addr().map_err(RunError::Runtime)?;
    let draining = Arc::new(AtomicBool::new(false));
    let (stop, stopped) = watch::channel(false);
    let until_stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    let router = http::router(HttpState {
        upf: state.clone(),
        draining: draining.clone(),
    });
    let http_task = tokio::spawn({
        let done = until_stopped(stopped.clone());
        async move {
            axum::serve(http_l, router)
                .with_graceful_shutdown(done)
                .await
                .map_err(|e| e.to_string())
        }
    });
    let grpc_task = tokio::spawn({
        let done = until_stopped(stopped);
        let svc = ManagementService::new(state).into_server();
        async move {
            tonic::transport::Server::builder()
                .add_service(svc)
                .serve_with_incoming_shutdown(
                    tonic::transport::server::TcpIncoming::from(grpc_l),
                    done,
                )
                .await
                .map_err(|e| e.to_string())
        }
    });
    tracing::info!(service = "http", addr = %http_addr, "listening");
    tracing::info!(service = "grpc", addr = %grpc_addr, "listening");
    Ok(Running {
        http_addr,
        grpc_addr,
        draining,
        stop,
        tasks: vec![("http", http_task), ("grpc", grpc_task)],
    })
}

impl Running {
    /// Turns readiness off, stops accepting, and waits up to `grace` for
    /// in-flight requests.
    pub async fn shutdown(self, grace: Duration) -> Result<(), RunError> {
        self.draining.store(true, Ordering::Relaxed);
        let _ = self.stop.send(true);
        for (what, mut task) in self.tasks {
            match tokio::time::timeout(grace, &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(message))) => return Err(RunError::Server { what, message }),
                Ok(Err(join)) => {
                    return Err(RunError::Server {
                        what,
                        message: join.to_string(),
                    })
                }
                Err(_) => {
                    tracing::warn!(
                        server = what,
                        grace_ms = grace.as_millis() as u64,
                        "drain timed out; aborting"
                    );
                    task.abort();
                }
            }
        }
        Ok(())
    }
}

/// Waits for SIGTERM or SIGINT; returns the signal's name.
pub async fn wait_for_signal() -> Result<&'static str, RunError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(RunError::Runtime)?;
    let mut int = signal(SignalKind::interrupt()).map_err(RunError::Runtime)?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

/// How often the dataplane's figures are copied into the state.
const STATS_INTERVAL: Duration = Duration::from_millis(500);

/// Starts EAL and the dataplane (on the calling thread, after the runtime).
fn start_dataplane(
    cfg: &Config,
    events: std::sync::mpsc::SyncSender<dataplane::ControlFrame>,
) -> Result<dataplane::Dataplane, RunError> {
    let eal_cfg = wiring::eal_config(cfg);
    let mut dp_cfg = wiring::dataplane_config(cfg)?;
    dp_cfg.control_events = Some(events);
    tracing::info!(args = ?eal_cfg.args().unwrap_or_default(), "starting EAL");
    dataplane::Eal::init(&eal_cfg).map_err(|e| RunError::Dataplane(e.to_string()))?;
    let mut dp =
        dataplane::Dataplane::new(dp_cfg).map_err(|e| RunError::Dataplane(e.to_string()))?;
    dp.start().map_err(|e| RunError::Dataplane(e.to_string()))?;
    for (i, p) in dp.ports().iter().enumerate() {
        let name = cfg.ports.keys().nth(i).map_or("?", String::as_str);
        tracing::info!(
            port = name,
            port_id = p.id(),
            rx_queues = p.rx_queues(),
            link_up = p.link().map(|l| l.up).unwrap_or(false),
            "port started"
        );
    }
    tracing::info!(
        workers = cfg.cores.workers.as_ref().map_or(0, |w| w.len()),
        software_steering = dp.software_steering(),
        "dataplane started"
    );
    let offload = dp.offload_state();
    for line in offload.summary_lines() {
        tracing::info!(mode = offload.mode.name(), "offload: {line}");
    }
    Ok(dp)
}

/// A PFCP Node ID as text (address or FQDN).
pub fn node_id_text(n: &pfcp::ie::NodeId) -> String {
    match n {
        pfcp::ie::NodeId::Ipv4(a) => a.to_string(),
        pfcp::ie::NodeId::Ipv6(a) => a.to_string(),
        pfcp::ie::NodeId::Fqdn(f) => f.clone(),
    }
}

/// Records node events: associations in the state, CP SEIDs and peers of
/// sessions; End Markers go to the dataplane's control thread.
async fn node_events(
    mut rx: mpsc::Receiver<pfcp::node::NodeEvent>,
    state: Arc<InMemoryState>,
    sessions: Sessions,
    counts: Arc<EventCounts>,
    control: Option<dataplane::ControlSender>,
) {
    use pfcp::node::NodeEvent as E;
    // Peers with an association now, by node ID.
    let mut up: std::collections::BTreeMap<String, SocketAddr> = Default::default();
    while let Some(ev) = rx.recv().await {
        match ev {
            E::AssociationUp { node_id, addr } => {
                let id = node_id_text(&node_id);
                tracing::info!(peer = %id, %addr, "PFCP association up");
                up.insert(id.clone(), addr);
                state.put_association(AssociationInfo {
                    peer_node_id: id,
                    address: addr,
                    state: AssociationState::Active,
                    recovery_timestamp_s: 0,
                    last_heartbeat_ms: unix_ms(),
                    upf_initiated: false,
                    sessions: 0,
                });
            }
            E::AssociationDown {
                node_id,
                reason,
                sessions_released,
            } => {
                let id = node_id_text(&node_id);
                if reason == pfcp::node::DownReason::Released {
                    tracing::info!(peer = %id, sessions_released, "PFCP association released");
                } else {
                    tracing::warn!(peer = %id, ?reason, sessions_released, "PFCP association down");
                }
                let addr = up.remove(&id);
                state.put_association(AssociationInfo {
                    peer_node_id: id,
                    address: addr.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
                    state: match reason {
                        pfcp::node::DownReason::HeartbeatTimeout => AssociationState::HeartbeatLost,
                        pfcp::node::DownReason::Released => AssociationState::Released,
                    },
                    recovery_timestamp_s: 0,
                    last_heartbeat_ms: 0,
                    upf_initiated: false,
                    sessions: 0,
                });
            }
            E::PeerRestarted {
                node_id,
                sessions_released,
                ..
            } => {
                tracing::warn!(peer = %node_id_text(&node_id), sessions_released, "PFCP peer restarted");
            }
            E::SessionCreated { seid, cp_seid } => {
                // The node does not say which peer; with one association
                // there is no doubt.
                let peer = (up.len() == 1).then(|| up.keys().next().cloned()).flatten();
                sessions.set_peer(seid, cp_seid, peer);
                tracing::debug!(seid, cp_seid, "session established");
            }
            E::SessionDeleted { seid, reason } => {
                tracing::debug!(seid, ?reason, "session deleted");
            }
            E::SendEndMarker {
                seid,
                local,
                peer,
                teid,
            } => {
                let em = dataplane::EndMarker { local, peer, teid };
                if control.as_ref().is_some_and(|c| c.send_end_marker(em)) {
                    counts
                        .end_markers
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::debug!(seid, %peer, teid, "end marker queued");
                } else {
                    counts
                        .end_markers_not_sent
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::debug!(seid, %peer, teid, "end marker not sent: no dataplane or queue full");
                }
            }
            E::AssociationSetupFailed { addr, cause } => {
                tracing::warn!(%addr, ?cause, "UP-initiated association setup failed; retrying later");
            }
            E::ReportSent { .. } | E::ReportFailed { .. } => {}
        }
    }
}

/// `upf run`: runs until SIGTERM/SIGINT, then drains.
pub fn run(cfg: Config) -> Result<(), RunError> {
    init_tracing(&cfg.log)?;
    let started_unix = wiring::unix_now();
    // The runtime's threads are the control threads; they are created now,
    // before EAL pins anything.
    let control = cfg.cores.control.as_ref().map_or(1, |c| c.len().max(1));
    // Each control thread is pinned to one of the control cores, so no
    // control work lands on a worker's exclusive core.
    let control_cpus: Vec<usize> = cfg
        .cores
        .control
        .as_ref()
        .map(|c| c.cpus().iter().map(|&c| c as usize).collect())
        .unwrap_or_default();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(control)
        .thread_name("upf-control")
        .on_thread_start(move || {
            if !control_cpus.is_empty() {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let cpu = control_cpus[i % control_cpus.len()];
                if !core_affinity::set_for_current(core_affinity::CoreId { id: cpu }) {
                    tracing::warn!(cpu, "could not pin a control thread");
                }
            }
        })
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        node_id = %cfg.pfcp.node_id.as_ref().map(ToString::to_string).unwrap_or_default(),
        control_cores = %cfg.cores.control.as_ref().map(ToString::to_string).unwrap_or_default(),
        worker_cores = %cfg.cores.workers.as_ref().map(ToString::to_string).unwrap_or_default(),
        dataplane = cfg.dataplane.enabled,
        "starting"
    );
    let node_cfg = wiring::node_config(&cfg, started_unix)?;
    let state = Arc::new(InMemoryState::from_config(&cfg));
    let sessions = Sessions::default();
    let counts = Arc::new(EventCounts::default());
    let (frames_tx, frames_rx) = std::sync::mpsc::sync_channel(4096);
    let mut dp = if cfg.dataplane.enabled {
        Some(start_dataplane(&cfg, frames_tx)?)
    } else {
        drop(frames_tx);
        None
    };
    let backend = match dp.as_mut().and_then(|d| d.take_rule_sink()) {
        Some(sink) => Backend::Dataplane(Box::new(sink)),
        None => Backend::detached(),
    };
    let live = LiveState {
        base: state.clone(),
        sessions: sessions.clone(),
    };

    let result = rt.block_on(async {
        let node = pfcp::node::Node::new(
            node_cfg,
            RuleAdapter::new(backend, sessions.clone()),
            std::time::Instant::now(),
        );
        let (server, handles) = pfcp::server::Server::bind_all(node, &cfg.pfcp.listen)
            .await
            .map_err(|(addr, source)| match addr {
                Some(addr) => RunError::Bind {
                    what: "pfcp",
                    addr,
                    source,
                },
                None => RunError::Dataplane("pfcp.listen is empty".into()),
            })?;
        for pfcp_addr in server.local_addrs().map_err(RunError::Runtime)? {
            tracing::info!(service = "pfcp", addr = %pfcp_addr, "listening");
        }
        let pump = ControlEvents::spawn(
            frames_rx,
            handles.reports.clone(),
            sessions.clone(),
            counts.clone(),
        )
        .map_err(RunError::Runtime)?;
        let server_task = tokio::spawn(server.run());
        let events_task = tokio::spawn(node_events(
            handles.events,
            state.clone(),
            sessions.clone(),
            counts.clone(),
            dp.as_ref().map(|d| d.control_sender()),
        ));
        state.set_pfcp_listening(true);
        let running = start(&cfg, Arc::new(live)).await?;

        let mut cursor = StatsCursor::default();
        let mut tick = tokio::time::interval(STATS_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let signal = wait_for_signal();
        tokio::pin!(signal);
        let sig = loop {
            tokio::select! {
                s = &mut signal => break s?,
                _ = tick.tick() => {
                    if let Some(d) = dp.as_ref() {
                        push_stats(&cfg, d, &state, &mut cursor, &counts);
                    }
                    state.set_pfcp_counts(&handles.counters.snapshot());
                }
            }
        };
        tracing::info!(signal = sig, "shutdown requested; draining");
        state.set_pfcp_listening(false);
        handles.shutdown.shutdown();
        match tokio::time::timeout(Duration::from_secs(10), server_task).await {
            Ok(Ok(Ok(node))) => {
                tracing::info!(sessions = node.session_count(), "PFCP server stopped");
            }
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "PFCP server failed"),
            Ok(Err(e)) => tracing::warn!(error = %e, "PFCP server task failed"),
            Err(_) => tracing::warn!("PFCP server did not stop in time"),
        }
        pump.stop();
        events_task.abort();
        let grace = Duration::from_millis(cfg.management.shutdown_grace_ms);
        running.shutdown(grace).await
    });

    if let Some(d) = dp {
        match d.stop() {
            Ok(st) => tracing::info!(
                rx = st.stat(upf_core::counters::Stat::Rx),
                drops = st.total_drops(),
                "dataplane stopped; ports closed"
            ),
            Err(e) => tracing::warn!(error = %e, "dataplane stop"),
        }
    }
    result?;
    tracing::info!("drained; exiting");
    Ok(())
}
