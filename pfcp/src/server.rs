//! The UDP driver of the [`Node`]: a tokio task on the control core.
//!
//! It binds the PFCP sockets (default `0.0.0.0:8805`; several addresses,
//! e.g. an IPv4 and an IPv6 one, are served together), feeds the node with
//! datagrams, timeouts and reports from the dataplane, sends what the node
//! transmits, and forwards the node's events on a channel. A datagram to a
//! peer leaves from the socket that peer last sent to, else from the first
//! socket of the peer's address family. Dropping the
//! [`Shutdown`] handle (or calling [`Shutdown::shutdown`]) stops it after
//! the pending datagrams are sent; [`Server::run`] then returns the node.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use tokio::io::ReadBuf;
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
/// Peers whose socket is remembered (beyond that, the family's first
/// socket is used for new ones).
const MAX_PEER_ROUTES: usize = 65_536;

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
    /// At least one.
    sockets: Vec<UdpSocket>,
    /// Whether each socket is bound to an IPv4 address (by index).
    socket_v4: Vec<bool>,
    /// Peer address -> index of the socket it last sent to.
    peer_socket: HashMap<IpAddr, usize>,
    events: mpsc::Sender<NodeEvent>,
    reports: mpsc::Receiver<DataplaneReport>,
    shutdown: watch::Receiver<bool>,
    counters: Arc<MessageCounters>,
}

impl<D: Dataplane> Server<D> {
    /// Binds `addr` for `node`.
    pub async fn bind(node: Node<D>, addr: SocketAddr) -> io::Result<(Self, Handles)> {
        Self::bind_all(node, &[addr]).await.map_err(|(_, e)| e)
    }

    /// Binds every address of `addrs` (at least one) for `node`; on failure,
    /// the address that could not be bound comes with the error.
    pub async fn bind_all(
        node: Node<D>,
        addrs: &[SocketAddr],
    ) -> Result<(Self, Handles), (Option<SocketAddr>, io::Error)> {
        if addrs.is_empty() {
            return Err((
                None,
                io::Error::new(io::ErrorKind::InvalidInput, "no PFCP listen address"),
            ));
        }
        let mut sockets = Vec::with_capacity(addrs.len());
        for &a in addrs {
            sockets.push(UdpSocket::bind(a).await.map_err(|e| (Some(a), e))?);
        }
        let socket_v4 = addrs.iter().map(SocketAddr::is_ipv4).collect();
        let (etx, erx) = mpsc::channel(4096);
        let (rtx, rrx) = mpsc::channel(4096);
        let (stx, srx) = watch::channel(false);
        let counters = Arc::new(MessageCounters::default());
        Ok((
            Server {
                node,
                sockets,
                socket_v4,
                peer_socket: HashMap::new(),
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

    /// The first bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sockets[0].local_addr()
    }

    /// Every bound address, in the order given to [`Server::bind_all`].
    pub fn local_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        self.sockets.iter().map(UdpSocket::local_addr).collect()
    }

    /// The socket a datagram to `dst` leaves from.
    fn socket_for(&self, dst: SocketAddr) -> &UdpSocket {
        if self.sockets.len() == 1 {
            return &self.sockets[0];
        }
        let i = self
            .peer_socket
            .get(&dst.ip())
            .copied()
            .or_else(|| self.socket_v4.iter().position(|&v4| v4 == dst.is_ipv4()));
        i.and_then(|i| self.sockets.get(i))
            .unwrap_or(&self.sockets[0])
    }

    /// Remembers that `from` sent to socket `i`, and hands the datagram to
    /// the node.
    fn received(&mut self, i: usize, from: SocketAddr, datagram: &[u8]) {
        if self.sockets.len() > 1
            && (self.peer_socket.len() < MAX_PEER_ROUTES
                || self.peer_socket.contains_key(&from.ip()))
        {
            self.peer_socket.insert(from.ip(), i);
        }
        self.counters.count(Direction::Rx, datagram);
        self.node.handle(Instant::now(), from, datagram);
    }

    async fn flush(&mut self) {
        let now = Instant::now();
        while let Some(t) = self.node.poll_transmit(now) {
            self.counters.count(Direction::Tx, &t.payload);
            if let Err(e) = self.socket_for(t.dst).send_to(&t.payload, t.dst).await {
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
        let mut turn = 0;
        tracing::info!(addrs = ?self.local_addrs().ok(), "PFCP server running");
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
                (i, r) = recv_any(&self.sockets, turn, &mut buf) => {
                    turn = (i + 1) % self.sockets.len();
                    match r {
                        Ok((n, from)) => {
                            self.received(i, from, &buf[..n]);
                            // Take what else is queued without waiting.
                            for _ in 1..RECV_BATCH {
                                match self.sockets[i].try_recv_from(&mut buf) {
                                    Ok((n, from)) => self.received(i, from, &buf[..n]),
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

/// The next datagram on any of `sockets`, with the index of its socket;
/// the sockets are polled from `first` on, so that a flooded one does not
/// starve the others when the caller rotates `first`.
async fn recv_any(
    sockets: &[UdpSocket],
    first: usize,
    buf: &mut [u8],
) -> (usize, io::Result<(usize, SocketAddr)>) {
    std::future::poll_fn(|cx| {
        for k in 0..sockets.len() {
            let i = (first + k) % sockets.len();
            let s = &sockets[i];
            let mut rb = ReadBuf::new(buf);
            match s.poll_recv_from(cx, &mut rb) {
                Poll::Ready(Ok(from)) => return Poll::Ready((i, Ok((rb.filled().len(), from)))),
                Poll::Ready(Err(e)) => return Poll::Ready((i, Err(e))),
                Poll::Pending => {}
            }
        }
        Poll::Pending
    })
    .await
}
