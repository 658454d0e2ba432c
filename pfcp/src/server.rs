//! The UDP driver of the [`Node`]: a tokio task on the control core.
//!
//! It binds the PFCP socket (default `0.0.0.0:8805`), feeds the node with
//! datagrams, timeouts and reports from the dataplane, sends what the node
//! transmits, and forwards the node's events on a channel. Dropping the
//! [`Shutdown`] handle (or calling [`Shutdown::shutdown`]) stops it after
//! the pending datagrams are sent; [`Server::run`] then returns the node.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

use crate::counters::{Direction, MessageCounters};
use crate::node::{Dataplane, Node, NodeEvent};

/// The default PFCP bind address.
pub const DEFAULT_BIND: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), crate::PFCP_PORT);

/// Largest datagram accepted.
const MAX_DATAGRAM: usize = 65_535;
/// Datagrams handled per wake-up before timers and transmits get a turn.
const RECV_BATCH: usize = 64;

/// A report from the dataplane for the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataplaneReport {
    /// A downlink packet was buffered for `pdr_id` of session `seid`.
    DownlinkData {
        /// UP SEID.
        seid: u64,
        /// The PDR that detected it.
        pdr_id: u16,
    },
    /// A GTP-U Error Indication arrived for a tunnel of session `seid`.
    ErrorIndication {
        /// UP SEID.
        seid: u64,
        /// The remote F-TEID it names.
        remote: upf_core::rules::FTeid,
    },
    /// GTP-U paths to these peers failed (echo requests unanswered).
    PathFailure {
        /// The remote GTP-U peers.
        peers: Vec<IpAddr>,
    },
}

/// Stops the server.
#[derive(Debug)]
pub struct Shutdown(watch::Sender<bool>);

impl Shutdown {
    /// Asks the server to stop.
    pub fn shutdown(&self) {
        let _ = self.0.send(true);
    }
}

/// What the rest of the UPF holds to talk to the running server.
#[derive(Debug)]
pub struct Handles {
    /// Messages received and sent, by type and Cause.
    pub counters: Arc<MessageCounters>,
    /// Node events (bounded; events are dropped, with a log line, when no
    /// one reads them).
    pub events: mpsc::Receiver<NodeEvent>,
    /// Reports from the dataplane.
    pub reports: mpsc::Sender<DataplaneReport>,
    /// Stops the server.
    pub shutdown: Shutdown,
}

/// A bound PFCP server, ready to run.
#[derive(Debug)]
pub struct Server<D> {
    node: Node<D>,
    socket: UdpSocket,
    events: mpsc::Sender<NodeEvent>,
    reports: mpsc::Receiver<DataplaneReport>,
    shutdown: watch::Receiver<bool>,
    counters: Arc<MessageCounters>,
}

impl<D: Dataplane> Server<D> {
    /// Binds `addr` for `node`.
    pub async fn bind(node: Node<D>, addr: SocketAddr) -> io::Result<(Self, Handles)> {
        let socket = UdpSocket::bind(addr).await?;
        let (etx, erx) = mpsc::channel(4096);
        let (rtx, rrx) = mpsc::channel(4096);
        let (stx, srx) = watch::channel(false);
        let counters = Arc::new(MessageCounters::default());
        Ok((
            Server {
                node,
                socket,
                events: etx,
                reports: rrx,
                shutdown: srx,
                counters: counters.clone(),
            },
            Handles {
                events: erx,
                reports: rtx,
                shutdown: Shutdown(stx),
                counters,
            },
        ))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    async fn flush(&mut self) {
        let now = Instant::now();
        while let Some(t) = self.node.poll_transmit(now) {
            self.counters.count(Direction::Tx, &t.payload);
            if let Err(e) = self.socket.send_to(&t.payload, t.dst).await {
                tracing::debug!(dst = %t.dst, error = %e, "PFCP send failed");
            }
        }
        while let Some(e) = self.node.poll_event() {
            if self.events.try_send(e).is_err() {
                tracing::debug!("node event dropped: nobody reads the event channel");
            }
        }
    }

    fn report(&mut self, r: DataplaneReport) {
        let now = Instant::now();
        match r {
            DataplaneReport::DownlinkData { seid, pdr_id } => {
                self.node.report_downlink_data(now, seid, pdr_id);
            }
            DataplaneReport::ErrorIndication { seid, remote } => {
                self.node.report_error_indication(now, seid, remote);
            }
            DataplaneReport::PathFailure { peers } => {
                self.node.report_user_plane_path_failure(now, &peers);
            }
        }
    }

    /// Runs until shut down; returns the node.
    pub async fn run(mut self) -> io::Result<Node<D>> {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut reports_open = true;
        tracing::info!(addr = ?self.socket.local_addr().ok(), "PFCP server running");
        self.node.handle_timeout(Instant::now());
        loop {
            self.flush().await;
            if *self.shutdown.borrow() {
                break;
            }
            let deadline = self.node.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = self.socket.recv_from(&mut buf) => {
                    match r {
                        Ok((n, from)) => {
                            self.counters.count(Direction::Rx, &buf[..n]);
                            self.node.handle(Instant::now(), from, &buf[..n]);
                            // Take what else is queued without waiting.
                            for _ in 1..RECV_BATCH {
                                match self.socket.try_recv_from(&mut buf) {
                                    Ok((n, from)) => {
                                        self.counters.count(Direction::Rx, &buf[..n]);
                                        self.node.handle(Instant::now(), from, &buf[..n]);
                                    }
                                    Err(_) => break,
                                }
                            }
                        }
                        Err(e) => tracing::debug!(error = %e, "PFCP receive failed"),
                    }
                }
                () = sleep => self.node.handle_timeout(Instant::now()),
                r = self.reports.recv(), if reports_open => match r {
                    Some(r) => self.report(r),
                    None => reports_open = false,
                },
                r = self.shutdown.changed() => {
                    if r.is_err() {
                        break;
                    }
                }
            }
        }
        // Clean stop: what the node has to send goes out.
        self.node.handle_timeout(Instant::now());
        self.flush().await;
        tracing::info!("PFCP server stopped");
        Ok(self.node)
    }
}
