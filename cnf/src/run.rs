//! `upf run`: logging, the tokio runtime with the management servers, the
//! PFCP socket, and a clean drain on SIGTERM/SIGINT.
//!
//! # Where the dataplane and the N4 node plug in
//!
//! [`run`] builds the state and binds the PFCP sockets, then [`start`]s the
//! management servers over an `Arc<dyn UpfState>`. Today the state is an
//! [`InMemoryState`] listing the configured ports and workers, and the PFCP
//! sockets are bound (so the address is reserved and readiness can say
//! "listening") but not yet read. The wiring to come:
//! 1. when `dataplane.enabled`, start EAL, ports and workers on
//!    `cores.workers` from the resolved [`Config`] before [`start`];
//! 2. hand [`PfcpSockets`] to the N4 node's driver task;
//! 3. pass a state that reads the dataplane and the node (or keep the
//!    in-memory one and feed it from a periodic task);
//! 4. on shutdown, stop the node and the workers after the servers drained.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{Config, LogConfig, LogFormat};
use crate::grpc::ManagementService;
use crate::http::{self, HttpState};
use crate::state::{InMemoryState, UpfState};

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

/// The PFCP sockets, one per `pfcp.listen` address.
#[derive(Debug)]
pub struct PfcpSockets(pub Vec<UdpSocket>);

/// Binds every `pfcp.listen` address.
pub async fn bind_pfcp(cfg: &Config) -> Result<PfcpSockets, RunError> {
    let mut v = Vec::new();
    for addr in &cfg.pfcp.listen {
        let s = UdpSocket::bind(addr)
            .await
            .map_err(|source| RunError::Bind {
                what: "pfcp",
                addr: *addr,
                source,
            })?;
        tracing::info!(service = "pfcp", addr = %s.local_addr().map_err(RunError::Runtime)?, "listening");
        v.push(s);
    }
    Ok(PfcpSockets(v))
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

/// `upf run`: runs until SIGTERM/SIGINT, then drains.
pub fn run(cfg: Config) -> Result<(), RunError> {
    init_tracing(&cfg.log)?;
    // The runtime's threads are the control threads: cores.control (the
    // thread pinning comes with the dataplane wiring, which owns the worker
    // cores and pins through EAL).
    let control = cfg.cores.control.as_ref().map_or(1, |c| c.len().max(1));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(control)
        .thread_name("upf-control")
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    rt.block_on(async move {
        tracing::info!(
            version = env!("CARGO_PKG_VERSION"),
            node_id = %cfg.pfcp.node_id.as_ref().map(ToString::to_string).unwrap_or_default(),
            control_cores = %cfg.cores.control.as_ref().map(ToString::to_string).unwrap_or_default(),
            worker_cores = %cfg.cores.workers.as_ref().map(ToString::to_string).unwrap_or_default(),
            dataplane = cfg.dataplane.enabled,
            "starting"
        );
        let state = Arc::new(InMemoryState::from_config(&cfg));
        if cfg.dataplane.enabled {
            tracing::warn!("the DPDK dataplane is not wired into this build yet: ports stay down and /readyz reports not ready");
        }
        let pfcp = bind_pfcp(&cfg).await?;
        state.set_pfcp_listening(true);
        tracing::warn!(sockets = pfcp.0.len(), "the N4 node is not wired into this build yet: PFCP requests are not answered");
        let running = start(&cfg, state.clone()).await?;
        let sig = wait_for_signal().await?;
        tracing::info!(signal = sig, "shutdown requested; draining");
        state.set_pfcp_listening(false);
        let grace = Duration::from_millis(cfg.management.shutdown_grace_ms);
        running.shutdown(grace).await?;
        drop(pfcp);
        tracing::info!("drained; exiting");
        Ok(())
    })
}
