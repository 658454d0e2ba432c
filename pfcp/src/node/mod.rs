//! The N4 node: a sans-IO PFCP state machine (TS 29.244) for the UP
//! function.
//!
//! No sockets and no OS clock: the driver feeds datagrams with
//! [`Node::handle`] and time with [`Node::handle_timeout`], and collects
//! datagrams to send with [`Node::poll_transmit`], the next deadline with
//! [`Node::poll_timeout`] and events with [`Node::poll_event`].
//!
//! What lives here:
//!
//! * **Transport**: sequence numbers; T1/N1 retransmission of the node's
//!   own requests (heartbeat, association setup, session and node reports);
//!   a response cache keyed by (peer, sequence, type) so that a
//!   retransmitted request gets the same octets back and is applied once;
//!   Version Not Supported; Cause and Offending IE for what does not decode.
//! * **Associations** (by Node ID): set up by the SMF or by this node
//!   (`NodeConfig::smf_peers`), heartbeats both ways, peer failure (N1
//!   heartbeats unanswered) and peer restart (a changed Recovery Time
//!   Stamp: the peer's sessions are removed, TS 23.007). This node's own
//!   Recovery Time Stamp never changes.
//! * **Sessions**: establishment, modification and deletion applied all or
//!   nothing on a copy of the session model (see [`convert`]; the node
//!   keeps only the compiled rules and gets the model back from them with
//!   `SessionRules::to_session`), compiled and
//!   published to the [`Dataplane`]; **the response is held until the
//!   dataplane applies the change** (DESIGN invariant 2). A full dataplane
//!   queue defers the request (bounded), and after
//!   `NodeConfig::busy_timeout` it is answered with Cause 74.
//! * **Reports**: Downlink Data Reports (one per buffering episode), Error
//!   Indication Reports and Usage Reports (volume/time thresholds, periodic
//!   reports, volume/time quotas) from the URR counters, evaluated in
//!   [`Node::handle_timeout`].

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use upf_core::compile::SessionRules;
use upf_core::publish::Publisher;
use upf_core::tables::Update;

use crate::header::Header;
use crate::ie::{self, NodeId, RecoveryTimeStamp, UpFunctionFeatures};
use crate::message::{self as msg, types, Message};
use crate::Cause;

mod cache;
pub mod convert;
mod peer;
mod report;
mod session;
mod sessions;

pub use convert::Failure;

use cache::{Entry, Key, ResponseCache};
use report::Stamp;
use sessions::{Sessions, Tunnels};

/// The dataplane seen from the node: where compiled session rules go.
///
/// `install` and `remove` return the epoch of the change; the node holds
/// the response that confirms a change until `is_applied(epoch)`.
pub trait Dataplane {
    /// Installs or replaces a session; `retire` is the version it replaces.
    fn install(
        &mut self,
        rules: Arc<SessionRules>,
        retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, Busy>;
    /// Removes a session; `retire` is its current version.
    fn remove(&mut self, seid: u64, retire: Option<Arc<SessionRules>>) -> Result<u64, Busy>;
    /// Whether every worker applies `epoch` (and all before it) from its
    /// next packet on.
    fn is_applied(&self, epoch: u64) -> bool;
    /// Frees what the workers no longer use (called from timeouts).
    fn reclaim(&mut self) {}
}

/// The dataplane's update queues are full: try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("dataplane update queue full")]
pub struct Busy;

impl Dataplane for Publisher {
    fn install(
        &mut self,
        rules: Arc<SessionRules>,
        retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, Busy> {
        self.publish(Update::Install(rules), retire)
            .map_err(|_| Busy)
    }

    fn remove(&mut self, seid: u64, retire: Option<Arc<SessionRules>>) -> Result<u64, Busy> {
        self.publish(Update::Remove(seid), retire).map_err(|_| Busy)
    }

    fn is_applied(&self, epoch: u64) -> bool {
        Publisher::is_applied(self, epoch)
    }

    fn reclaim(&mut self) {
        Publisher::reclaim(self);
    }
}

/// An IPv4 pool the UP function allocates UE addresses from (UEIP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UePoolV4 {
    /// Network address.
    pub network: Ipv4Addr,
    /// Prefix length (8..=30).
    pub prefix_len: u8,
}

/// Node configuration.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// This node's Node ID (an IPv4 address by default; some SMFs answer a
    /// UP-initiated association only when it is one).
    pub node_id: NodeId,
    /// When this node started, NTP seconds. Fixed for the process lifetime:
    /// a changed stamp tells SMFs that every session was lost. It also
    /// anchors the wall clock of usage reports (Start/End Time).
    pub recovery_time_stamp: RecoveryTimeStamp,
    /// Address(es) put in the UP F-SEID (default: the Node ID's address).
    pub f_seid_ipv4: Option<Ipv4Addr>,
    /// IPv6 address for the UP F-SEID.
    pub f_seid_ipv6: Option<Ipv6Addr>,
    /// Interval between heartbeats to each associated peer.
    pub heartbeat_interval: Duration,
    /// T1: retransmission timer of this node's requests.
    pub t1: Duration,
    /// N1: how many times a request is retransmitted before giving up.
    pub n1: u32,
    /// SMFs this node sets up an association with (UP-initiated).
    pub smf_peers: Vec<SocketAddr>,
    /// Pause before trying again an association setup that got no answer.
    pub association_retry_interval: Duration,
    /// Local N3 IPv4 address, for F-TEIDs the UP function chooses.
    pub n3_ipv4: Option<Ipv4Addr>,
    /// Local N3 IPv6 address.
    pub n3_ipv6: Option<Ipv6Addr>,
    /// Local N9 IPv4 address (core-side tunnels; N3 when absent).
    pub n9_ipv4: Option<Ipv4Addr>,
    /// Local N9 IPv6 address.
    pub n9_ipv6: Option<Ipv6Addr>,
    /// TEIDs this node allocates from (inclusive).
    pub teid_range: (u32, u32),
    /// UE IPv4 pools; when set, UEIP is advertised and CHV4 honoured.
    pub ue_pools_v4: Vec<UePoolV4>,
    /// Most sessions in all.
    pub max_sessions: usize,
    /// Most sessions one peer may hold.
    pub max_sessions_per_peer: usize,
    /// Most associations.
    pub max_associations: usize,
    /// Release a peer's sessions when it stops answering heartbeats
    /// (default: keep them and report the association down).
    pub release_sessions_on_peer_failure: bool,
    /// Responses kept for retransmitted requests.
    pub response_cache_size: usize,
    /// How long a response is kept for retransmitted requests.
    pub response_cache_ttl: Duration,
    /// Requests waiting for room in the dataplane queues.
    pub max_deferred: usize,
    /// How long a request may wait for room before Cause 74.
    pub busy_timeout: Duration,
    /// Responses waiting for the dataplane to apply their change.
    pub max_held: usize,
    /// How soon to look again at held responses and deferred work.
    pub apply_poll: Duration,
    /// How often URR counters are checked against thresholds and quotas.
    pub usage_poll_interval: Duration,
    /// This node's own requests awaiting an answer.
    pub max_outstanding: usize,
}

impl NodeConfig {
    /// A configuration with defaults: heartbeat every 10 s, T1 3 s, N1 3,
    /// N3 address from an IPv4 Node ID, TEIDs 1..=0xffff_fffe, 1M sessions.
    pub fn new(node_id: NodeId, recovery_time_stamp: RecoveryTimeStamp) -> Self {
        let v4 = match &node_id {
            NodeId::Ipv4(a) => Some(*a),
            _ => None,
        };
        let v6 = match &node_id {
            NodeId::Ipv6(a) => Some(*a),
            _ => None,
        };
        NodeConfig {
            node_id,
            recovery_time_stamp,
            f_seid_ipv4: v4,
            f_seid_ipv6: v6,
            heartbeat_interval: Duration::from_secs(10),
            t1: Duration::from_secs(3),
            n1: 3,
            smf_peers: Vec::new(),
            association_retry_interval: Duration::from_secs(30),
            n3_ipv4: v4,
            n3_ipv6: None,
            n9_ipv4: None,
            n9_ipv6: None,
            teid_range: (1, 0xffff_fffe),
            ue_pools_v4: Vec::new(),
            max_sessions: 2_000_000,
            max_sessions_per_peer: 2_000_000,
            max_associations: 256,
            release_sessions_on_peer_failure: false,
            response_cache_size: 65_536,
            response_cache_ttl: Duration::from_secs(15),
            max_deferred: 4096,
            busy_timeout: Duration::from_secs(2),
            max_held: 65_536,
            apply_poll: Duration::from_millis(1),
            usage_poll_interval: Duration::from_secs(1),
            max_outstanding: 8192,
        }
    }

    /// The UP Function Features this node advertises: exactly what it
    /// implements. FTUP (F-TEID allocation), EMPU (end markers, through
    /// [`NodeEvent::SendEndMarker`]), MNOP (packet counts in usage
    /// reports), and UEIP when UE pools are configured.
    pub fn up_function_features(&self) -> UpFunctionFeatures {
        let mut f = UpFunctionFeatures::from_flags(&[
            UpFunctionFeatures::FTUP,
            UpFunctionFeatures::EMPU,
            UpFunctionFeatures::MNOP,
        ]);
        if !self.ue_pools_v4.is_empty() {
            f.set(UpFunctionFeatures::UEIP, true);
        }
        f
    }
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination (for a response: the address and port the request came from).
    pub dst: SocketAddr,
    /// The PFCP message.
    pub payload: Vec<u8>,
}

/// Why an association went down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownReason {
    /// N1 heartbeats went unanswered.
    HeartbeatTimeout,
    /// The peer released the association.
    Released,
}

/// Why a session was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteReason {
    /// Session Deletion Request.
    Requested,
    /// The peer restarted (new Recovery Time Stamp).
    PeerRestart,
    /// The peer stopped answering and the configuration releases.
    PeerFailure,
    /// The association was released.
    AssociationReleased,
    /// Session Set Deletion Request.
    SetDeletion,
}

/// Something the driver (or the rest of the UPF) should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// An association is set up (or its peer answers again).
    AssociationUp {
        /// The peer's Node ID.
        node_id: NodeId,
        /// Its address.
        addr: SocketAddr,
    },
    /// An association is down or gone.
    AssociationDown {
        /// The peer's Node ID.
        node_id: NodeId,
        /// Why.
        reason: DownReason,
        /// Sessions released because of it.
        sessions_released: usize,
    },
    /// A peer restarted (its Recovery Time Stamp changed); its sessions
    /// were released.
    PeerRestarted {
        /// The peer's Node ID.
        node_id: NodeId,
        /// The stamp known before.
        old: u32,
        /// The new stamp.
        new: u32,
        /// Sessions released.
        sessions_released: usize,
    },
    /// A session was established (its response is sent).
    SessionCreated {
        /// UP SEID.
        seid: u64,
        /// CP SEID.
        cp_seid: u64,
    },
    /// A session was deleted.
    SessionDeleted {
        /// UP SEID.
        seid: u64,
        /// Why.
        reason: DeleteReason,
    },
    /// Send a GTP-U End Marker on the old downlink tunnel before the new
    /// one is used (Update FAR with SNDEM).
    SendEndMarker {
        /// UP SEID.
        seid: u64,
        /// Local address to send from.
        local: Option<IpAddr>,
        /// The old peer address.
        peer: IpAddr,
        /// The old peer TEID.
        teid: u32,
    },
    /// A Session Report Request was sent.
    ReportSent {
        /// UP SEID.
        seid: u64,
        /// Report Type flags (octet 5 of §8.2.21).
        report_type: u8,
    },
    /// A Session Report Request was rejected or never answered.
    ReportFailed {
        /// UP SEID.
        seid: u64,
        /// The Cause received (`None`: no answer after N1 retransmissions).
        cause: Option<Cause>,
    },
    /// A UP-initiated association setup got no (or a negative) answer; it
    /// is tried again after `association_retry_interval`.
    AssociationSetupFailed {
        /// The SMF address.
        addr: SocketAddr,
        /// The Cause received, if any.
        cause: Option<Cause>,
    },
}

/// Counters of what the node saw and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Datagrams received.
    pub rx_datagrams: u64,
    /// Messages that could not be decoded at all (no response possible).
    pub rx_malformed: u64,
    /// Requests answered with a decode-error Cause.
    pub rx_rejected_decode: u64,
    /// Messages of unknown type (ignored).
    pub rx_unknown_type: u64,
    /// Retransmitted requests answered from the cache (or absorbed).
    pub rx_duplicate: u64,
    /// Responses that match no outstanding request.
    pub rx_unexpected_response: u64,
    /// Requests of another PFCP version.
    pub rx_version_not_supported: u64,
    /// Datagrams queued for sending.
    pub tx: u64,
    /// Retransmissions of this node's requests.
    pub tx_retransmissions: u64,
    /// Requests given up after N1 retransmissions.
    pub requests_timed_out: u64,
    /// Requests answered with Cause 74 (dataplane queues full).
    pub congestion_rejects: u64,
    /// Requests deferred because the dataplane queues were full.
    pub deferred: u64,
    /// Transmits or events dropped because the driver did not collect them.
    pub dropped_output: u64,
    /// Reports not sent (no association, or too many outstanding).
    pub reports_dropped: u64,
}

/// Most queued transmits and events before the oldest are dropped.
const MAX_OUTPUT: usize = 1 << 16;

/// The number of an association, which its sessions keep (2 bytes where
/// the Node ID takes 24, plus the name of an FQDN): see `Node::peer_ids`.
type PeerId = u16;

/// An association with a CP function.
#[derive(Debug)]
struct Association {
    id: PeerId,
    addr: SocketAddr,
    recovery: u32,
    /// The peer answers heartbeats.
    alive: bool,
    next_heartbeat: Instant,
    heartbeat_in_flight: bool,
    sessions: usize,
}

/// A UP-initiated association setup target.
#[derive(Debug)]
struct SetupTarget {
    addr: SocketAddr,
    next_attempt: Option<Instant>,
}

/// What an outstanding request of this node is.
#[derive(Debug, Clone)]
enum OutKind {
    Heartbeat(NodeId),
    AssociationSetup(SocketAddr),
    SessionReport { seid: u64 },
    NodeReport,
}

#[derive(Debug)]
struct Outstanding {
    dst: SocketAddr,
    payload: Vec<u8>,
    deadline: Instant,
    attempts: u32,
    kind: OutKind,
    /// Expected response type.
    response_type: u8,
}

/// A response waiting for the dataplane.
#[derive(Debug)]
struct Held {
    epoch: u64,
    dst: SocketAddr,
    key: Option<Key>,
    seq: u32,
    seid: Option<u64>,
    body: HeldBody,
    events: Vec<NodeEvent>,
}

#[derive(Debug)]
enum HeldBody {
    Message(Box<Message>),
    /// Usage reports are read when the change is applied, so that nothing
    /// counted before the switch is missed.
    Modification(msg::SessionModificationResponse, Vec<report::FinalUsage>),
    Deletion(msg::SessionDeletionResponse, Vec<report::FinalUsage>),
}

/// A request waiting for room in the dataplane queues.
#[derive(Debug)]
struct Deferred {
    from: SocketAddr,
    bytes: Vec<u8>,
    since: Instant,
    key: Key,
}

/// The outcome of a request (transient: returned once per request).
#[allow(clippy::large_enum_variant)]
enum Outcome {
    /// Answer now.
    Respond(Message, Option<u64>),
    /// Answer when the dataplane applied `Held::epoch`.
    Hold(Held),
    /// The dataplane queues are full: nothing changed, try again.
    Busy,
}

/// The PFCP node of the UP function.
#[derive(Debug)]
pub struct Node<D> {
    cfg: NodeConfig,
    features: UpFunctionFeatures,
    dp: D,
    now: Instant,
    start: Instant,
    next_seq: u32,
    assocs: HashMap<NodeId, Association>,
    assoc_by_ip: HashMap<IpAddr, NodeId>,
    /// The Node ID of each association by its [`PeerId`] (`None`: free).
    peer_ids: Vec<Option<NodeId>>,
    targets: Vec<SetupTarget>,
    outstanding: HashMap<u32, Outstanding>,
    sessions: Sessions,
    tunnels: Tunnels,
    next_teid: u32,
    ue_pool: Option<session::UePool>,
    held: VecDeque<Held>,
    deferred: VecDeque<Deferred>,
    removals: VecDeque<(u64, Arc<SessionRules>)>,
    cache: ResponseCache,
    next_usage_poll: Instant,
    transmits: VecDeque<Transmit>,
    events: VecDeque<NodeEvent>,
    stats: NodeStats,
}

impl<D: Dataplane> Node<D> {
    /// A node that programs `dataplane`, started at `now`.
    pub fn new(cfg: NodeConfig, dataplane: D, now: Instant) -> Self {
        let features = cfg.up_function_features();
        let targets = cfg
            .smf_peers
            .iter()
            .map(|&addr| SetupTarget {
                addr,
                next_attempt: Some(now),
            })
            .collect();
        let ue_pool = cfg.ue_pools_v4.first().map(|p| session::UePool::new(*p));
        Node {
            features,
            dp: dataplane,
            now,
            start: now,
            next_seq: 1,
            assocs: HashMap::new(),
            assoc_by_ip: HashMap::new(),
            peer_ids: Vec::new(),
            targets,
            outstanding: HashMap::new(),
            sessions: Sessions::new(),
            tunnels: Tunnels::default(),
            next_teid: cfg.teid_range.0,
            ue_pool,
            held: VecDeque::new(),
            deferred: VecDeque::new(),
            removals: VecDeque::new(),
            cache: ResponseCache::new(cfg.response_cache_size, cfg.response_cache_ttl, now),
            next_usage_poll: now + cfg.usage_poll_interval,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: NodeStats::default(),
            cfg,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.cfg
    }

    /// Counters.
    pub fn stats(&self) -> NodeStats {
        self.stats
    }

    /// The dataplane.
    pub fn dataplane(&self) -> &D {
        &self.dp
    }

    /// The dataplane, mutably.
    pub fn dataplane_mut(&mut self) -> &mut D {
        &mut self.dp
    }

    /// Number of sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// The rules currently published for session `seid`.
    pub fn session_rules(&self, seid: u64) -> Option<&Arc<SessionRules>> {
        self.sessions.get(seid).map(|s| &s.rules)
    }

    /// The CP F-SEID of session `seid`.
    pub fn session_cp_seid(&self, seid: u64) -> Option<u64> {
        self.sessions.get(seid).map(|s| s.cp_seid)
    }

    /// UP SEIDs of all sessions.
    pub fn session_ids(&self) -> Vec<u64> {
        self.sessions.iter().map(|(seid, _)| seid).collect()
    }

    /// Node IDs of the associated peers, with whether each answers.
    pub fn associations(&self) -> Vec<(NodeId, SocketAddr, bool)> {
        self.assocs
            .iter()
            .map(|(n, a)| (n.clone(), a.addr, a.alive))
            .collect()
    }

    /// Responses waiting for the dataplane.
    pub fn held_responses(&self) -> usize {
        self.held.len()
    }

    /// Requests waiting for room in the dataplane queues.
    pub fn deferred_requests(&self) -> usize {
        self.deferred.len()
    }

    /// This node's requests awaiting an answer.
    pub fn outstanding_requests(&self) -> usize {
        self.outstanding.len()
    }

    /// Checks internal consistency (for tests and fuzzing): every tunnel
    /// key belongs to a live session that uses it, every session belongs
    /// to an association, and bounded queues are within bounds.
    pub fn check_invariants(&self) -> Result<(), String> {
        for (k, owner) in self.tunnels.iter() {
            let (seid, s) = self
                .sessions
                .by_owner(owner)
                .ok_or_else(|| format!("tunnel {k:?} owned by dead session slot {owner}"))?;
            if !s.rules.tunnel_keys().any(|x| x == k) {
                return Err(format!("tunnel {k:?} not used by session {seid}"));
            }
        }
        let mut per_peer: HashMap<PeerId, usize> = HashMap::new();
        let mut watched = 0;
        for (seid, s) in self.sessions.iter() {
            if self.sessions.get(seid).is_none() {
                return Err(format!("session {seid} not found by its SEID"));
            }
            for k in s.rules.tunnel_keys() {
                if !self.tunnels.held_by(&k, seid) {
                    return Err(format!("session {seid} tunnel {k:?} not registered"));
                }
            }
            if s.watched() != session::watched(&s.rules) {
                return Err(format!("session {seid} watched wrongly"));
            }
            watched += usize::from(s.watched());
            *per_peer.entry(s.peer).or_default() += 1;
        }
        if watched != self.sessions.watched() {
            return Err(format!(
                "{watched} sessions watched, {} counted",
                self.sessions.watched()
            ));
        }
        for (n, a) in &self.assocs {
            if self.peer_node(a.id) != Some(n) {
                return Err(format!("peer {n:?}: number {} not its own", a.id));
            }
        }
        for (id, count) in per_peer {
            let n = self
                .peer_node(id)
                .ok_or_else(|| format!("sessions of unknown peer number {id}"))?;
            let a = &self.assocs[n];
            if a.sessions != count {
                return Err(format!(
                    "peer {n:?}: {} sessions counted, {count} held",
                    a.sessions
                ));
            }
        }
        if self.held.len() > self.cfg.max_held
            || self.deferred.len() > self.cfg.max_deferred
            || self.outstanding.len() > self.cfg.max_outstanding
            || self.transmits.len() > MAX_OUTPUT
            || self.events.len() > MAX_OUTPUT
            || self.sessions.len() > self.cfg.max_sessions
        {
            return Err("a bounded queue exceeds its bound".into());
        }
        Ok(())
    }

    // ---------------------------------------------------------------- I/O

    /// Handles a datagram received from `from`.
    pub fn handle(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.now = now;
        self.stats.rx_datagrams += 1;
        let mut rest = datagram;
        // Messages chained with FO; at most a datagram's worth.
        while !rest.is_empty() {
            let header = match Header::decode(rest) {
                Ok(h) => h,
                Err(e) => {
                    if e.is_version_not_supported() {
                        self.version_not_supported(from, rest);
                    } else {
                        self.stats.rx_malformed += 1;
                        tracing::debug!(%from, error = %e, "undecodable PFCP header");
                    }
                    return;
                }
            };
            let len = header.message_len();
            let (this, tail) = rest.split_at(len.min(rest.len()));
            if !header.follow_on && !tail.is_empty() {
                // Trailing octets without FO: the length is wrong.
                self.handle_message(from, header, this, true);
                return;
            }
            self.handle_message(from, header, this, false);
            if !header.follow_on {
                break;
            }
            rest = tail;
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.now = now;
        self.release_applied();
        self.retry_deferred();
        self.flush_removals();
        self.transmits.pop_front()
    }

    /// When [`Self::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut at = |i: Instant| t = Some(t.map_or(i, |x| x.min(i)));
        if !self.held.is_empty() || !self.deferred.is_empty() || !self.removals.is_empty() {
            at(self.now + self.cfg.apply_poll);
        }
        for o in self.outstanding.values() {
            at(o.deadline);
        }
        for a in self.assocs.values() {
            if !a.heartbeat_in_flight {
                at(a.next_heartbeat);
            }
        }
        for tg in &self.targets {
            if let Some(n) = tg.next_attempt {
                at(n);
            }
        }
        if self.sessions.watched() > 0 {
            at(self.next_usage_poll);
        }
        t
    }

    /// Runs timers: retransmissions, heartbeats, association setup,
    /// usage reporting, held responses and deferred requests.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.release_applied();
        self.retry_deferred();
        self.flush_removals();
        self.retransmit_due();
        self.heartbeats_due();
        self.association_setups_due();
        if now >= self.next_usage_poll {
            self.next_usage_poll = now + self.cfg.usage_poll_interval;
            self.usage_tick();
        }
        self.cache.expire(now);
        self.dp.reclaim();
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<NodeEvent> {
        self.events.pop_front()
    }

    // ----------------------------------------------------------- plumbing

    fn push_transmit(&mut self, dst: SocketAddr, payload: Vec<u8>) {
        if self.transmits.len() >= MAX_OUTPUT {
            self.transmits.pop_front();
            self.stats.dropped_output += 1;
        }
        self.stats.tx += 1;
        self.transmits.push_back(Transmit { dst, payload });
    }

    fn push_event(&mut self, e: NodeEvent) {
        if self.events.len() >= MAX_OUTPUT {
            self.events.pop_front();
            self.stats.dropped_output += 1;
        }
        self.events.push_back(e);
    }

    fn next_sequence(&mut self) -> u32 {
        let s = self.next_seq;
        self.next_seq = (self.next_seq % 0x00ff_ffff) + 1;
        s
    }

    /// `t` as the node keeps it (URR state, usage seeds).
    fn stamp(&self, t: Instant) -> Stamp {
        Stamp::new(t, self.start)
    }

    /// NTP seconds at `t`, from the Recovery Time Stamp (this node's start).
    fn ntp_at(&self, t: Stamp) -> u32 {
        let secs = t.since_start().as_secs();
        self.cfg
            .recovery_time_stamp
            .0
            .wrapping_add((secs & 0xffff_ffff) as u32)
    }

    fn our_node_id(&self) -> NodeId {
        self.cfg.node_id.clone()
    }

    fn up_f_seid(&self, seid: u64) -> ie::FSeid {
        ie::FSeid {
            seid,
            ipv4: self
                .cfg
                .f_seid_ipv4
                .or((self.cfg.f_seid_ipv6.is_none()).then_some(Ipv4Addr::UNSPECIFIED)),
            ipv6: self.cfg.f_seid_ipv6,
        }
    }

    /// Encodes and sends a response, caching it for retransmissions.
    fn send_response(
        &mut self,
        key: Option<Key>,
        dst: SocketAddr,
        message: Message,
        seq: u32,
        seid: Option<u64>,
    ) {
        let bytes = match message.encode(seq, seid) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(%dst, error = %e, "response does not fit; answering System failure");
                let t = message.message_type().saturating_sub(1);
                match self
                    .error_response(t, Cause::SYSTEM_FAILURE, None)
                    .and_then(|m| m.encode(seq, seid).ok())
                {
                    Some(b) => b,
                    None => return,
                }
            }
        };
        if let Some(k) = key {
            self.cache.complete(self.now, k, Box::from(&bytes[..]));
        }
        self.push_transmit(dst, bytes);
    }

    /// Sends a request of this node, with T1/N1 retransmission.
    fn send_request(
        &mut self,
        dst: SocketAddr,
        message: Message,
        seid: Option<u64>,
        kind: OutKind,
    ) -> bool {
        if self.outstanding.len() >= self.cfg.max_outstanding {
            return false;
        }
        let seq = self.next_sequence();
        let response_type = message.message_type() + 1;
        let Ok(payload) = message.encode(seq, seid) else {
            return false;
        };
        self.push_transmit(dst, payload.clone());
        self.outstanding.insert(
            seq,
            Outstanding {
                dst,
                payload,
                deadline: self.now + self.cfg.t1,
                attempts: 0,
                kind,
                response_type,
            },
        );
        true
    }

    fn retransmit_due(&mut self) {
        let now = self.now;
        let due: Vec<u32> = self
            .outstanding
            .iter()
            .filter(|(_, o)| o.deadline <= now)
            .map(|(s, _)| *s)
            .collect();
        for seq in due {
            let Some(o) = self.outstanding.get_mut(&seq) else {
                continue;
            };
            if o.attempts < self.cfg.n1 {
                o.attempts += 1;
                o.deadline = now + self.cfg.t1;
                let (dst, payload) = (o.dst, o.payload.clone());
                self.stats.tx_retransmissions += 1;
                self.push_transmit(dst, payload);
            } else if let Some(o) = self.outstanding.remove(&seq) {
                self.stats.requests_timed_out += 1;
                tracing::debug!(dst = %o.dst, seq, kind = ?o.kind, "request not answered after N1 retransmissions");
                self.request_timed_out(o);
            }
        }
    }

    fn request_timed_out(&mut self, o: Outstanding) {
        match o.kind {
            OutKind::Heartbeat(node) => self.peer_failed(&node),
            OutKind::AssociationSetup(addr) => {
                if let Some(t) = self.targets.iter_mut().find(|t| t.addr == addr) {
                    t.next_attempt = Some(self.now + self.cfg.association_retry_interval);
                }
                self.push_event(NodeEvent::AssociationSetupFailed { addr, cause: None });
            }
            OutKind::SessionReport { seid } => {
                self.push_event(NodeEvent::ReportFailed { seid, cause: None })
            }
            OutKind::NodeReport => {}
        }
    }

    fn version_not_supported(&mut self, from: SocketAddr, bytes: &[u8]) {
        self.stats.rx_version_not_supported += 1;
        // Answer requests only (never a response, to avoid loops).
        let Some(&t) = bytes.get(1) else { return };
        if !types::is_request(t) {
            return;
        }
        let s_flag = bytes[0] & 1 != 0;
        let at = if s_flag { 12 } else { 4 };
        let seq = match bytes.get(at..at + 3) {
            Some(s) => u32::from_be_bytes([0, s[0], s[1], s[2]]),
            None => 0,
        };
        let m: Message = msg::VersionNotSupportedResponse::default().into();
        if let Ok(b) = m.encode(seq, None) {
            self.push_transmit(from, b);
        }
    }

    /// The response of type `request_type + 1` carrying `cause`, with the
    /// Node ID where the message has one.
    fn error_response(
        &self,
        request_type: u8,
        cause: Cause,
        offending: Option<u16>,
    ) -> Option<Message> {
        let node_id = self.our_node_id();
        let off = offending.map(ie::OffendingIe);
        Some(match request_type {
            types::HEARTBEAT_REQUEST => msg::HeartbeatResponse {
                recovery_time_stamp: self.cfg.recovery_time_stamp,
                ..Default::default()
            }
            .into(),
            types::PFD_MANAGEMENT_REQUEST => msg::PfdManagementResponse {
                cause,
                offending_ie: off,
                node_id: Some(node_id),
                ..Default::default()
            }
            .into(),
            types::ASSOCIATION_SETUP_REQUEST => msg::AssociationSetupResponse {
                node_id,
                cause,
                recovery_time_stamp: self.cfg.recovery_time_stamp,
                ..Default::default()
            }
            .into(),
            types::ASSOCIATION_UPDATE_REQUEST => msg::AssociationUpdateResponse {
                node_id,
                cause,
                ..Default::default()
            }
            .into(),
            types::ASSOCIATION_RELEASE_REQUEST => msg::AssociationReleaseResponse {
                node_id,
                cause,
                ..Default::default()
            }
            .into(),
            types::NODE_REPORT_REQUEST => msg::NodeReportResponse {
                node_id,
                cause,
                offending_ie: off,
                ..Default::default()
            }
            .into(),
            types::SESSION_SET_DELETION_REQUEST => msg::SessionSetDeletionResponse {
                node_id,
                cause,
                offending_ie: off,
                ..Default::default()
            }
            .into(),
            types::SESSION_ESTABLISHMENT_REQUEST => msg::SessionEstablishmentResponse {
                node_id,
                cause,
                offending_ie: off,
                ..Default::default()
            }
            .into(),
            types::SESSION_MODIFICATION_REQUEST => msg::SessionModificationResponse {
                cause,
                offending_ie: off,
                ..Default::default()
            }
            .into(),
            types::SESSION_DELETION_REQUEST => msg::SessionDeletionResponse {
                cause,
                offending_ie: off,
                ..Default::default()
            }
            .into(),
            types::SESSION_REPORT_REQUEST => msg::SessionReportResponse {
                cause,
                offending_ie: off,
                ..Default::default()
            }
            .into(),
            _ => return None,
        })
    }

    /// The SEID a response to a session request carries: the CP SEID of
    /// the session the header names, 0 when unknown (§7.2.2.4.2).
    fn response_seid(&self, header: &Header) -> Option<u64> {
        let up = header.seid?;
        Some(self.sessions.get(up).map_or(0, |s| s.cp_seid))
    }

    /// Like [`Self::response_seid`], and for an establishment the CP SEID
    /// of its CP F-SEID.
    fn response_seid_of(&self, header: &Header, m: &Message) -> Option<u64> {
        match m {
            Message::SessionEstablishmentRequest(r) => Some(r.cp_f_seid.seid),
            _ => self.response_seid(header),
        }
    }

    /// The response SEID for a request known only by its octets.
    fn response_seid_bytes(&self, header: &Header, bytes: &[u8]) -> Option<u64> {
        match Message::decode_body(header, bytes.get(header.header_len()..).unwrap_or(&[])) {
            Ok(m) => self.response_seid_of(header, &m),
            Err(_) => self.response_seid(header),
        }
    }

    fn handle_message(&mut self, from: SocketAddr, header: Header, bytes: &[u8], bad_length: bool) {
        let t = header.message_type;
        if types::is_request(t) {
            let key: Key = (from, header.sequence, t);
            match self.cache.get(self.now, &key) {
                Some(Entry::Done(b)) => {
                    let b = b.to_vec();
                    self.stats.rx_duplicate += 1;
                    tracing::debug!(%from, seq = header.sequence, "retransmitted request answered from the cache");
                    self.push_transmit(from, b);
                    return;
                }
                Some(Entry::InProgress) => {
                    self.stats.rx_duplicate += 1;
                    return;
                }
                None => {}
            }
            if bad_length {
                self.reject_undecodable(from, &header, key, Cause::INVALID_LENGTH, None);
                return;
            }
            self.cache.begin(self.now, key);
            let _ = self.handle_request(from, header, bytes, key, false);
        } else if msg::types::is_request(t.wrapping_sub(1))
            || t == types::VERSION_NOT_SUPPORTED_RESPONSE
        {
            if bad_length {
                self.stats.rx_malformed += 1;
                return;
            }
            self.handle_response(from, header, bytes);
        } else {
            self.stats.rx_unknown_type += 1;
            tracing::debug!(%from, message_type = t, "unknown message type ignored");
        }
    }

    fn reject_undecodable(
        &mut self,
        from: SocketAddr,
        header: &Header,
        key: Key,
        cause: Cause,
        offending: Option<u16>,
    ) {
        self.stats.rx_rejected_decode += 1;
        let seid = self.response_seid(header);
        match self.error_response(header.message_type, cause, offending) {
            Some(m) => self.send_response(Some(key), from, m, header.sequence, seid),
            None => self.cache.forget(&key),
        }
    }

    /// Handles a request; returns `true` when the dataplane was busy and a
    /// retried request must wait again.
    fn handle_request(
        &mut self,
        from: SocketAddr,
        header: Header,
        bytes: &[u8],
        key: Key,
        retry: bool,
    ) -> bool {
        let t = header.message_type;
        let body = bytes.get(header.header_len()..).unwrap_or(&[]);
        let message = match Message::decode_body(&header, body) {
            Ok(m) => m,
            Err(e) => {
                let (cause, offending) = e.cause();
                tracing::debug!(%from, message_type = t, error = %e, "request rejected");
                self.reject_undecodable(from, &header, key, cause, offending);
                return false;
            }
        };
        let session_request = matches!(
            t,
            types::SESSION_ESTABLISHMENT_REQUEST
                | types::SESSION_MODIFICATION_REQUEST
                | types::SESSION_DELETION_REQUEST
        );
        // Keep session requests in order behind deferred ones.
        if session_request && !retry && !self.deferred.is_empty() {
            self.defer(from, bytes, key);
            return false;
        }
        if session_request && self.held.len() >= self.cfg.max_held {
            self.congested(from, &header, bytes, key);
            return false;
        }
        let outcome = match message {
            Message::HeartbeatRequest(m) => self.on_heartbeat_request(from, m),
            Message::AssociationSetupRequest(m) => self.on_association_setup(from, m),
            other => {
                if self.peer_of(from).is_none() {
                    tracing::debug!(%from, message_type = t, "request from a peer without association");
                    let m = self.error_response(t, Cause::NO_ESTABLISHED_PFCP_ASSOCIATION, None);
                    match m {
                        Some(m) => Outcome::Respond(m, self.response_seid_of(&header, &other)),
                        None => {
                            self.cache.forget(&key);
                            return false;
                        }
                    }
                } else {
                    self.on_associated_request(from, &header, other)
                }
            }
        };
        match outcome {
            Outcome::Respond(m, seid) => {
                self.send_response(Some(key), from, m, header.sequence, seid);
                false
            }
            Outcome::Hold(mut h) => {
                h.key = Some(key);
                h.dst = from;
                h.seq = header.sequence;
                self.held.push_back(h);
                self.release_applied();
                false
            }
            Outcome::Busy => {
                if !retry {
                    self.defer(from, bytes, key);
                }
                retry
            }
        }
    }

    fn on_associated_request(&mut self, from: SocketAddr, header: &Header, m: Message) -> Outcome {
        let seid = self.response_seid(header);
        match m {
            Message::SessionEstablishmentRequest(r) => self.on_establishment(from, r),
            Message::SessionModificationRequest(r) => self.on_modification(from, header, r),
            Message::SessionDeletionRequest(r) => self.on_deletion(from, header, r),
            Message::AssociationUpdateRequest(r) => self.on_association_update(from, r),
            Message::AssociationReleaseRequest(r) => self.on_association_release(from, r),
            Message::SessionSetDeletionRequest(r) => self.on_session_set_deletion(from, r),
            Message::PfdManagementRequest(_) => Outcome::Respond(
                self.error_response(header.message_type, Cause::SERVICE_NOT_SUPPORTED, None)
                    .expect("PFD Management has a response"),
                None,
            ),
            // Requests the CP function does not send to a UP function.
            other => match self.error_response(other.message_type(), Cause::REQUEST_REJECTED, None)
            {
                Some(r) => Outcome::Respond(r, seid),
                None => Outcome::Respond(
                    msg::HeartbeatResponse {
                        recovery_time_stamp: self.cfg.recovery_time_stamp,
                        ..Default::default()
                    }
                    .into(),
                    None,
                ),
            },
        }
    }

    fn defer(&mut self, from: SocketAddr, bytes: &[u8], key: Key) {
        if self.deferred.len() >= self.cfg.max_deferred {
            if let Ok(header) = Header::decode(bytes) {
                self.congested(from, &header, bytes, key);
            }
            return;
        }
        self.stats.deferred += 1;
        self.deferred.push_back(Deferred {
            from,
            bytes: bytes.to_vec(),
            since: self.now,
            key,
        });
    }

    fn congested(&mut self, from: SocketAddr, header: &Header, bytes: &[u8], key: Key) {
        self.stats.congestion_rejects += 1;
        tracing::warn!(%from, seq = header.sequence, "dataplane congested: request refused with Cause 74");
        let seid = self.response_seid_bytes(header, bytes);
        match self.error_response(header.message_type, Cause::PFCP_ENTITY_IN_CONGESTION, None) {
            Some(m) => self.send_response(Some(key), from, m, header.sequence, seid),
            None => self.cache.forget(&key),
        }
    }

    /// Tries deferred requests again, oldest first, while the dataplane
    /// takes them; those waiting too long get Cause 74.
    fn retry_deferred(&mut self) {
        while let Some(d) = self.deferred.front() {
            let Ok(header) = Header::decode(&d.bytes) else {
                self.deferred.pop_front();
                continue;
            };
            if self.now.saturating_duration_since(d.since) >= self.cfg.busy_timeout {
                let d = self.deferred.pop_front().expect("front exists");
                self.congested(d.from, &header, &d.bytes, d.key);
                continue;
            }
            let d = self.deferred.pop_front().expect("front exists");
            if self.handle_request(d.from, header, &d.bytes, d.key, true) {
                // Still no room: it keeps its place at the front.
                self.deferred.push_front(d);
                break;
            }
        }
    }

    /// Sends held responses whose change the dataplane applied.
    fn release_applied(&mut self) {
        while let Some(h) = self.held.front() {
            if !self.dp.is_applied(h.epoch) {
                break;
            }
            let h = self.held.pop_front().expect("front exists");
            let message: Message = match h.body {
                HeldBody::Message(m) => *m,
                HeldBody::Modification(mut r, usage) => {
                    r.usage_reports = usage.iter().map(|u| self.final_report(u)).collect();
                    r.into()
                }
                HeldBody::Deletion(mut r, usage) => {
                    r.usage_reports = usage.iter().map(|u| self.final_report(u)).collect();
                    r.into()
                }
            };
            self.send_response(h.key, h.dst, message, h.seq, h.seid);
            for e in h.events {
                self.push_event(e);
            }
        }
    }

    /// Publishes removals that found no room earlier.
    fn flush_removals(&mut self) {
        while let Some((seid, rules)) = self.removals.front() {
            match self.dp.remove(*seid, Some(rules.clone())) {
                Ok(_) => {
                    self.removals.pop_front();
                }
                Err(Busy) => break,
            }
        }
    }

    fn handle_response(&mut self, from: SocketAddr, header: Header, bytes: &[u8]) {
        let Some(o) = self.outstanding.get(&header.sequence) else {
            self.stats.rx_unexpected_response += 1;
            return;
        };
        if o.dst.ip() != from.ip()
            || (o.response_type != header.message_type
                && header.message_type != types::VERSION_NOT_SUPPORTED_RESPONSE)
        {
            self.stats.rx_unexpected_response += 1;
            return;
        }
        let o = self.outstanding.remove(&header.sequence).expect("present");
        let body = bytes.get(header.header_len()..).unwrap_or(&[]);
        let message = match Message::decode_body(&header, body) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(%from, error = %e, "undecodable response");
                self.stats.rx_malformed += 1;
                // The peer answered: liveness is shown, content unusable.
                if let OutKind::Heartbeat(n) = &o.kind {
                    let n = n.clone();
                    self.heartbeat_answered(&n, None);
                }
                return;
            }
        };
        match (o.kind, message) {
            (OutKind::Heartbeat(n), Message::HeartbeatResponse(r)) => {
                self.heartbeat_answered(&n, Some(r.recovery_time_stamp.0))
            }
            (OutKind::Heartbeat(n), _) => self.heartbeat_answered(&n, None),
            (OutKind::AssociationSetup(addr), Message::AssociationSetupResponse(r)) => {
                self.on_association_setup_response(addr, from, r)
            }
            (OutKind::AssociationSetup(addr), _) => {
                if let Some(t) = self.targets.iter_mut().find(|t| t.addr == addr) {
                    t.next_attempt = Some(self.now + self.cfg.association_retry_interval);
                }
                self.push_event(NodeEvent::AssociationSetupFailed { addr, cause: None });
            }
            (OutKind::SessionReport { seid }, Message::SessionReportResponse(r)) => {
                if !r.cause.is_accepted() {
                    tracing::debug!(seid, cause = ?r.cause, "session report rejected");
                    self.push_event(NodeEvent::ReportFailed {
                        seid,
                        cause: Some(r.cause),
                    });
                }
            }
            (OutKind::SessionReport { seid }, _) => {
                self.push_event(NodeEvent::ReportFailed { seid, cause: None })
            }
            (OutKind::NodeReport, _) => {}
        }
    }
}
