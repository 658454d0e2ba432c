//! The running dataplane: ports, workers, the control thread, and the
//! handle the control side publishes rules through.
//!
//! ```text
//! let mut dp = Dataplane::new(config)?;      // EAL must be up; opens ports
//! let mut rules = dp.take_rule_sink().unwrap();
//! rules.install(compiled, None)?;             // may be done before start
//! dp.start()?;                                // workers and control thread
//! let stats = dp.stats();                     // any time, no locks
//! let stats = dp.stop()?;                     // workers exit, ports closed
//! ```
//!
//! Queues: every port gets one RX and one TX queue per worker, or as many as
//! the device offers. Worker `i` polls RX queue `i` and sends on TX queue
//! `i`; a worker beyond a port's TX queues sends through the TX ring of
//! worker `i % queues`. With RSS on the TEID (where the device can and has
//! a queue per worker) the NIC spreads sessions; otherwise software steering
//! ([`crate::steer`]) does.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use upf_core::compile::SessionRules;
use upf_core::counters::{DropReason, Stat};
use upf_core::path::{PathConfig, PathState};
use upf_core::publish::{Publisher, QueueFull};
use upf_core::tables::{Tables, Update};

use crate::buffer::BufferStore;
use crate::config::{AttachmentInfo, DataplaneConfig, Role, Routes, Steering, WorkerCore};
use crate::control::{Control, ControlSender, ControlStats, EndMarker};
use crate::eal::{tsc_cycles, Eal};
use crate::egress::EgressSched;
use crate::error::{Error, Result};
use crate::lcore::{self, LcoreJoinHandle, StopFlag};
use crate::mbuf::PacketMeta;
use crate::mempool::{Mempool, SOCKET_ANY};
use crate::neighbor::{Mac, NeighborKey, NeighborTable, NeighborUpdate};
use crate::offload::mark::MarkTable;
use crate::offload::rte::{FlowGate, RteFlowBackend};
use crate::offload::{OffloadManager, OffloadState};
use crate::port::{Port, PortConfig, PortStats};
use crate::ring::{MbufRing, RingConsumer};
use crate::worker::{PortIngress, TxOut, TxSlot, Worker, WorkerShared};

/// A name unique in the process for DPDK objects.
fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}{}", N.fetch_add(1, Ordering::Relaxed))
}

/// The control side's handle for publishing session rules to the workers.
#[derive(Debug)]
pub struct RuleSink {
    publisher: Publisher,
    /// How long `install`/`remove` wait for room in full worker queues.
    pub queue_timeout: Duration,
    /// Flow rules that follow the sessions (offload not `Off`).
    offload: Option<OffloadManager<RteFlowBackend>>,
}

/// Why a rule publication failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The workers' queues stayed full for the whole timeout.
    #[error("rule update queues stayed full")]
    QueueFull,
    /// The workers did not apply the epoch within the timeout.
    #[error("workers did not apply epoch {0} in time")]
    Timeout(u64),
}

impl RuleSink {
    /// Installs or replaces a session; `retire` is the version it replaces
    /// (kept alive until every worker switched). Returns the epoch to wait
    /// for with [`Self::wait_applied`].
    pub fn install(
        &mut self,
        rules: Arc<SessionRules>,
        retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, RuleError> {
        let epoch = self.publish(Update::Install(rules.clone()), retire)?;
        if let Some(o) = self.offload.as_mut() {
            o.install(&rules);
        }
        Ok(epoch)
    }

    /// Removes a session; `retire` is its current version.
    pub fn remove(
        &mut self,
        seid: u64,
        retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, RuleError> {
        let epoch = self.publish(Update::Remove(seid), retire)?;
        if let Some(o) = self.offload.as_mut() {
            o.remove(seid);
        }
        Ok(epoch)
    }

    /// Like [`Self::install`], without waiting: a full worker queue is
    /// answered at once (the PFCP node defers the request and tries again).
    pub fn try_install(
        &mut self,
        rules: Arc<SessionRules>,
        retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, RuleError> {
        let epoch = self
            .publisher
            .publish(Update::Install(rules.clone()), retire)
            .map_err(|QueueFull| RuleError::QueueFull)?;
        if let Some(o) = self.offload.as_mut() {
            o.install(&rules);
        }
        Ok(epoch)
    }

    /// Like [`Self::remove`], without waiting.
    pub fn try_remove(
        &mut self,
        seid: u64,
        retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, RuleError> {
        let epoch = self
            .publisher
            .publish(Update::Remove(seid), retire)
            .map_err(|QueueFull| RuleError::QueueFull)?;
        if let Some(o) = self.offload.as_mut() {
            o.remove(seid);
        }
        Ok(epoch)
    }

    /// Installs flow rules that waited for the insertion rate; call it
    /// now and then (a timer on the control side). Returns how many were
    /// tried.
    pub fn offload_poll(&mut self) -> usize {
        self.offload.as_mut().map_or(0, |o| o.poll())
    }

    /// The offload manager (offload not `Off`).
    pub fn offload(&self) -> Option<&OffloadManager<RteFlowBackend>> {
        self.offload.as_ref()
    }

    fn publish(
        &mut self,
        update: Update,
        retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, RuleError> {
        let deadline = Instant::now() + self.queue_timeout;
        let mut spins = 0u32;
        loop {
            match self.publisher.publish(update.clone(), retire.clone()) {
                Ok(e) => return Ok(e),
                Err(QueueFull) => {
                    if Instant::now() >= deadline {
                        return Err(RuleError::QueueFull);
                    }
                    backoff(&mut spins);
                }
            }
        }
    }

    /// Waits until every running worker applies `epoch` to its next packet
    /// (spinning, then yielding); `Err(Timeout)` after `timeout`.
    pub fn wait_applied(&mut self, epoch: u64, timeout: Duration) -> Result<(), RuleError> {
        let deadline = Instant::now() + timeout;
        let mut spins = 0u32;
        while !self.publisher.is_applied(epoch) {
            if Instant::now() >= deadline {
                return Err(RuleError::Timeout(epoch));
            }
            backoff(&mut spins);
        }
        self.publisher.reclaim();
        Ok(())
    }

    /// Whether every running worker applies `epoch`.
    pub fn is_applied(&self, epoch: u64) -> bool {
        self.publisher.is_applied(epoch)
    }

    /// The most recent epoch.
    pub fn last_epoch(&self) -> u64 {
        self.publisher.last_epoch()
    }

    /// Frees retired versions all workers have passed.
    pub fn reclaim(&mut self) -> usize {
        self.publisher.reclaim()
    }

    /// The underlying publisher.
    pub fn publisher(&mut self) -> &mut Publisher {
        &mut self.publisher
    }
}

fn backoff(spins: &mut u32) {
    *spins += 1;
    if *spins < 64 {
        std::hint::spin_loop();
    } else if *spins < 256 {
        std::thread::yield_now();
    } else {
        std::thread::sleep(Duration::from_micros(50));
    }
}

/// A worker's figures at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStats {
    /// Worker index.
    pub index: usize,
    /// Drops by reason (index with `DropReason as usize`).
    pub drops: [u64; DropReason::COUNT],
    /// Stage counters (index with `Stat as usize`).
    pub stats: [u64; Stat::COUNT],
    /// TSC cycles of iterations that found work.
    pub busy_cycles: u64,
    /// TSC cycles of iterations that found none.
    pub idle_cycles: u64,
    /// Packets handed to other workers.
    pub handed_off: u64,
    /// Packets received from other workers.
    pub handed_in: u64,
    /// Packets processed here because the owner's ring was full.
    pub handoff_full: u64,
    /// Rule updates applied.
    pub updates_applied: u64,
    /// Longest single drain of rule updates, in nanoseconds.
    pub max_drain_ns: u64,
    /// Time spent draining rule updates, in nanoseconds.
    pub drain_ns: u64,
    /// Drains that applied something, by duration: `(upper bound in ns,
    /// count)` per power-of-two bucket of TSC cycles, non-empty buckets only.
    pub drain_hist: Vec<(u64, u64)>,
    /// Downlink packets buffered now.
    pub buffered: u64,
    /// Buffered packets run through the path again after a rule change.
    pub buffer_released: u64,
    /// Downlink Data Report notices that found the queue full.
    pub buffer_notices_dropped: u64,
    /// Egress scheduler: packets sent per queue (QoS classes 0..8, then
    /// the guaranteed queue), all scheduled attachments together.
    pub sched_sent: [u64; upf_core::qos::QUEUES],
    /// Egress scheduler: packets dropped per queue because it was full.
    pub sched_dropped: [u64; upf_core::qos::QUEUES],
}

impl WorkerStats {
    /// The drain duration (ns, a bucket's upper bound) that the fraction `q`
    /// of drains stayed under.
    pub fn drain_quantile_ns(&self, q: f64) -> u64 {
        let total: u64 = self.drain_hist.iter().map(|b| b.1).sum();
        let want = (total as f64 * q).ceil() as u64;
        let mut seen = 0;
        for &(ns, n) in &self.drain_hist {
            seen += n;
            if seen >= want {
                return ns;
            }
        }
        self.max_drain_ns
    }
}

impl WorkerStats {
    /// Drops for `r`.
    pub fn drop_count(&self, r: DropReason) -> u64 {
        self.drops[r as usize]
    }
    /// Events for `s`.
    pub fn stat(&self, s: Stat) -> u64 {
        self.stats[s as usize]
    }
}

/// The dataplane's figures at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataplaneStats {
    /// Per worker.
    pub workers: Vec<WorkerStats>,
    /// Per port, in configuration order (`None` where the device did not
    /// answer).
    pub ports: Vec<Option<PortStats>>,
    /// Control thread: ARP replies, Neighbor Advertisements, ARP requests,
    /// Neighbor Solicitations, next hops learnt.
    pub arp_replies: u64,
    /// See `arp_replies`.
    pub nd_adverts: u64,
    /// See `arp_replies`.
    pub arp_requests: u64,
    /// See `arp_replies`.
    pub nd_solicits: u64,
    /// See `arp_replies`.
    pub learnt: u64,
    /// Control frames passed on / dropped.
    pub events_passed: u64,
    /// See `events_passed`.
    pub events_dropped: u64,
    /// End Markers sent.
    pub end_markers: u64,
    /// End Markers not sent (no route, unresolved next hop, queue full).
    pub end_markers_failed: u64,
}

impl DataplaneStats {
    /// Drops for `r`, all workers.
    pub fn drops(&self, r: DropReason) -> u64 {
        self.workers.iter().map(|w| w.drop_count(r)).sum()
    }
    /// Events for `s`, all workers.
    pub fn stat(&self, s: Stat) -> u64 {
        self.workers.iter().map(|w| w.stat(s)).sum()
    }
    /// All drops, all workers.
    pub fn total_drops(&self) -> u64 {
        self.workers.iter().flat_map(|w| w.drops.iter()).sum()
    }
    /// Downlink packets buffered now, all workers.
    pub fn buffered(&self) -> u64 {
        self.workers.iter().map(|w| w.buffered).sum()
    }
    /// The longest rule drain of any worker, in nanoseconds.
    pub fn max_drain_ns(&self) -> u64 {
        self.workers
            .iter()
            .map(|w| w.max_drain_ns)
            .max()
            .unwrap_or(0)
    }
}

enum Join {
    Lcore(LcoreJoinHandle<()>),
    Thread(std::thread::JoinHandle<()>),
}

/// The dataplane.
pub struct Dataplane {
    config: DataplaneConfig,
    ports: Vec<Port>,
    atts: Vec<AttachmentInfo>,
    pool: Mempool,
    stop: StopFlag,
    shared: Vec<Arc<WorkerShared>>,
    control_stats: Arc<ControlStats>,
    control_sender: ControlSender,
    /// Built by `new`, consumed by `start`.
    pending: Option<(Vec<Worker>, Control)>,
    joins: Vec<Join>,
    control_join: Option<std::thread::JoinHandle<()>>,
    rule_sink: Option<RuleSink>,
    tsc_hz: u64,
    steering: bool,
    offload_state: Arc<OffloadState>,
    /// Mark → SEID for the workers (offload not `Off`).
    marks: Option<Arc<MarkTable>>,
    /// Closed, with every port's rules flushed, before the ports close.
    flow_gate: Option<FlowGate>,
}

impl std::fmt::Debug for Dataplane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataplane")
            .field("ports", &self.ports.len())
            .field("workers", &self.config.workers)
            .field("started", &self.pending.is_none())
            .finish_non_exhaustive()
    }
}

impl Dataplane {
    /// Opens the ports and prepares workers, rings and tables. Nothing
    /// polls until [`Self::start`]. The EAL must be initialised.
    pub fn new(config: DataplaneConfig) -> Result<Dataplane> {
        config.validate()?;
        let eal = Eal::require()?;
        let nw = config.workers.len();
        let pool = Mempool::with_meta::<PacketMeta>(
            &unique("upf_pool"),
            config.mbufs,
            config.mbuf_cache,
            dpdk_sys::consts::RTE_MBUF_DEFAULT_BUF_SIZE as u16,
            SOCKET_ANY,
        )?;

        // Ports, with a queue per worker where the device has them.
        let want_rss = nw > 1 && config.steering == Steering::Auto;
        let mut ports = Vec::with_capacity(config.ports.len());
        for spec in &config.ports {
            let mut pc = PortConfig::new(spec.name.clone(), spec.device.clone());
            pc.rx_queues = nw as u16;
            pc.tx_queues = nw as u16;
            pc.rx_desc = spec.rx_desc;
            pc.tx_desc = spec.tx_desc;
            pc.mtu = spec.mtu;
            pc.rss = want_rss;
            pc.rss_gtpu = want_rss;
            pc.clamp_queues = true;
            ports.push(Port::open(&pc, &pool)?);
        }
        // RSS on the TEID where every port has it and a queue per worker;
        // software steering otherwise.
        let rss_ok = want_rss
            && ports.iter().all(|p| {
                p.caps().rss_hf & dpdk_sys::consts::RTE_ETH_RSS_GTPU != 0
                    && usize::from(p.rx_queues()) == nw
            });
        let steering = nw > 1
            && match config.steering {
                Steering::Off => false,
                Steering::Software => true,
                Steering::Auto => !rss_ok,
            };

        // Offload: probe (unless off), refuse to start when required and
        // missing, and the manager the rule sink drives.
        let offload = crate::offload::setup(
            &config.offload,
            &ports
                .iter()
                .map(|p| (p.name().to_owned(), p.id(), p.rx_queues()))
                .collect::<Vec<_>>(),
            &config
                .attachments
                .iter()
                .map(|a| (a.role, a.port, a.vlan))
                .collect::<Vec<_>>(),
            &config.path,
            nw,
        )?;
        let (offload_manager, flow_gate) = offload.active.unzip();
        let marks = offload_manager.as_ref().map(|m| m.marks().clone());

        // Attachments with their port's MAC.
        let mut atts = Vec::with_capacity(config.attachments.len());
        for a in &config.attachments {
            let port = &ports[a.port];
            atts.push(AttachmentInfo {
                role: a.role,
                port_idx: a.port,
                port_id: port.id(),
                vlan: a.vlan,
                mac: port.mac_addr()?,
                addr_v4: a.role.addr_v4(&config.path),
                addr_v6: a.role.addr_v6(&config.path),
                prefix_v4: a.prefix_v4,
                prefix_v6: a.prefix_v6,
                gateway_v4: a.gateway_v4,
                gateway_v6: a.gateway_v6,
                scheduled: a.egress.is_some(),
            });
        }
        let routes = Routes::new(&atts, &config.path);
        let mut ingress = vec![
            PortIngress {
                untagged: None,
                vlans: Vec::new(),
            };
            ports.len()
        ];
        for (i, a) in config.attachments.iter().enumerate() {
            match a.vlan {
                None => ingress[a.port].untagged = Some(i as u8),
                Some(v) => ingress[a.port].vlans.push((v, i as u8)),
            }
        }
        let max_id = ports.iter().map(Port::id).max().unwrap_or(0);
        let mut port_index = vec![u8::MAX; usize::from(max_id) + 1];
        for (i, p) in ports.iter().enumerate() {
            port_index[usize::from(p.id())] = i as u8;
        }
        let statics: Vec<(NeighborKey, Mac)> = config
            .static_neighbors
            .iter()
            .map(|n| {
                let a = config
                    .attachments
                    .iter()
                    .position(|a| a.role == n.role)
                    .expect("validated");
                (
                    NeighborKey {
                        attachment: a as u8,
                        addr: n.addr,
                    },
                    n.mac,
                )
            })
            .collect();

        // Rings: per worker a hand-off inbox and a TX inbox; one to control.
        let mut inboxes: Vec<(MbufRing, RingConsumer)> = Vec::with_capacity(nw);
        let mut tx_inboxes: Vec<(MbufRing, RingConsumer)> = Vec::with_capacity(nw);
        for _ in 0..nw {
            inboxes.push(MbufRing::new(&unique("upf_in"), config.ring_size)?);
            tx_inboxes.push(MbufRing::new(&unique("upf_txin"), config.ring_size)?);
        }
        let (control_ring, control_consumer) = MbufRing::new(&unique("upf_ctl"), config.ring_size)?;
        let peers: Vec<MbufRing> = inboxes.iter().map(|(r, _)| r.clone()).collect();
        let tx_rings: Vec<MbufRing> = tx_inboxes.iter().map(|(r, _)| r.clone()).collect();

        let (publisher, subs) = Publisher::new(nw, config.update_queue_depth);
        let resolve = Arc::new(ArrayQueue::new(1024));
        let buffer_notices = Arc::new(ArrayQueue::new(1024));
        let buffer_room = config.buffer_packets_per_worker();
        let stop = StopFlag::new();
        let tsc_hz = eal.tsc_hz();
        let ns_mult = ((1_000_000_000u128 << 32) / u128::from(tsc_hz.max(1))) as u64;
        let tsc0 = tsc_cycles();
        let retry_ns = config.resolve_retry.as_nanos() as u64;

        let mut workers = Vec::with_capacity(nw);
        let mut shared = Vec::with_capacity(nw);
        let mut neighbor_queues = Vec::with_capacity(nw);
        let mut inbox_iter = inboxes.into_iter();
        let mut tx_inbox_iter = tx_inboxes.into_iter();
        for (i, sub) in subs.into_iter().enumerate() {
            let rxqs = ports
                .iter_mut()
                .enumerate()
                .filter_map(|(pi, p)| p.take_rx_queue(i as u16).map(|q| (q, pi)))
                .collect();
            let mut tx = Vec::with_capacity(ports.len());
            for p in ports.iter_mut() {
                let nq = usize::from(p.tx_queues());
                let out = match p.take_tx_queue(i as u16) {
                    Some(q) => TxOut::Queue(q),
                    None => TxOut::Handoff(tx_rings[i % nq].clone()),
                };
                tx.push(TxSlot {
                    out,
                    port_id: p.id(),
                    burst: Default::default(),
                });
            }
            let mut neighbors = NeighborTable::new(config.max_neighbors, retry_ns);
            for &(k, mac) in &statics {
                neighbors.apply(NeighborUpdate::Set(k, mac));
            }
            let nq = Arc::new(ArrayQueue::new(1024));
            neighbor_queues.push(nq.clone());
            let sh = Arc::new(WorkerShared::default());
            shared.push(sh.clone());
            workers.push(Worker {
                index: i,
                workers: nw,
                steer: steering,
                burst_size: config.burst_size,
                idle_yield: config.idle_yield,
                path: PathConfig {
                    egress_qos: config.attachments.iter().any(|a| a.egress.is_some()),
                    ..config.path.clone()
                },
                tables: Tables::with_capacity(config.max_sessions),
                state: PathState::new(&config.path),
                sub,
                rxqs,
                tx,
                ingress: ingress.clone(),
                port_index: port_index.clone(),
                atts: atts.clone(),
                routes,
                inbox: inbox_iter.next().expect("one per worker").1,
                tx_inbox: tx_inbox_iter.next().expect("one per worker").1,
                peers: peers.clone(),
                control: control_ring.clone(),
                neighbors,
                neighbor_updates: nq,
                resolve: resolve.clone(),
                shared: sh,
                stop: stop.clone(),
                marks: marks.clone(),
                buffer: BufferStore::new(
                    buffer_room,
                    config.buffer_per_session,
                    config.buffer_sessions,
                ),
                buffer_notices: buffer_notices.clone(),
                buffer_scratch: Vec::with_capacity(config.buffer_sessions.max(1)),
                buffer_replaying: false,
                ns_mult,
                tsc0,
                egress: config
                    .attachments
                    .iter()
                    .map(|a| a.egress.as_ref().map(|e| EgressSched::new(e, nw, a.port)))
                    .collect(),
                scheduled: config.attachments.iter().any(|a| a.egress.is_some()),
                clock: config.clock.clone(),
            });
        }
        let control_stats = Arc::new(ControlStats::default());
        let end_markers = Arc::new(ArrayQueue::new(1024));
        let control_sender = ControlSender::new(end_markers.clone(), control_stats.clone());
        let mut control = Control::new(
            control_consumer,
            tx_rings[0].clone(),
            pool.clone(),
            atts.clone(),
            ingress,
            port_index,
            resolve,
            neighbor_queues,
            control_stats.clone(),
            config.control_events.clone(),
            stop.clone(),
            config.resolve_retry,
            &statics,
            end_markers,
            config.path.outer_ttl,
        );
        control.buffer_notices = Some(buffer_notices);
        Ok(Dataplane {
            config,
            ports,
            atts,
            pool,
            stop,
            shared,
            control_stats,
            control_sender,
            pending: Some((workers, control)),
            joins: Vec::new(),
            control_join: None,
            rule_sink: Some(RuleSink {
                publisher,
                queue_timeout: Duration::from_secs(5),
                offload: offload_manager,
            }),
            tsc_hz,
            steering,
            offload_state: offload.state,
            marks,
            flow_gate,
        })
    }

    /// The rule publication handle (once).
    pub fn take_rule_sink(&mut self) -> Option<RuleSink> {
        self.rule_sink.take()
    }

    /// Starts the workers and the control thread.
    pub fn start(&mut self) -> Result<()> {
        let (workers, control) = self
            .pending
            .take()
            .ok_or_else(|| Error::Invalid("dataplane already started".into()))?;
        let cpu = self.config.control_cpu;
        let ctl = match cpu {
            Some(c) => lcore::spawn_pinned(c, "upf-dp-control", false, move || control.run()),
            None => std::thread::Builder::new()
                .name("upf-dp-control".into())
                .spawn(move || control.run()),
        }
        .map_err(|e| Error::Invalid(format!("control thread: {e}")))?;
        self.control_join = Some(ctl);
        for (w, core) in workers.into_iter().zip(self.config.workers.clone()) {
            let name = format!("upf-worker-{}", w.index);
            let j = match core {
                WorkerCore::Lcore(l) => Join::Lcore(lcore::launch_on_lcore(l, move || w.run())?),
                WorkerCore::Cpu(c) => Join::Thread(
                    lcore::spawn_pinned(c, &name, true, move || w.run())
                        .map_err(|e| Error::Invalid(format!("{name}: {e}")))?,
                ),
            };
            self.joins.push(j);
        }
        Ok(())
    }

    /// A handle for asking the control thread to send frames (End
    /// Markers), usable from any thread.
    pub fn control_sender(&self) -> ControlSender {
        self.control_sender.clone()
    }

    /// Queues a GTP-U End Marker for the old tunnel `em`: the control
    /// thread builds it and sends it through worker 0 once the next hop is
    /// known. `false` when the request queue is full.
    pub fn send_end_marker(&self, em: EndMarker) -> bool {
        self.control_sender.send_end_marker(em)
    }

    /// Whether every worker has entered its polling loop.
    pub fn is_running(&self) -> bool {
        self.shared
            .iter()
            .all(|s| s.running.load(Ordering::Acquire))
    }

    /// Whether the dataplane steers packets between workers in software.
    pub fn software_steering(&self) -> bool {
        self.steering
    }

    /// The offload mode, what the probe found per port, and the rule
    /// counters (lock-free; for metrics and the management API).
    pub fn offload_state(&self) -> Arc<OffloadState> {
        self.offload_state.clone()
    }

    /// Mark → SEID for the workers, when offload is not `Off`.
    pub fn offload_marks(&self) -> Option<Arc<MarkTable>> {
        self.marks.clone()
    }

    /// The MAC of the port carrying `role`.
    pub fn mac(&self, role: Role) -> Option<Mac> {
        self.atts.iter().find(|a| a.role == role).map(|a| a.mac)
    }

    /// The ports, in configuration order.
    pub fn ports(&self) -> &[Port] {
        &self.ports
    }

    /// The mbuf pool.
    pub fn pool(&self) -> &Mempool {
        &self.pool
    }

    /// TSC frequency used for cycle figures.
    pub fn tsc_hz(&self) -> u64 {
        self.tsc_hz
    }

    /// The figures now (no locks; worker counters at most ~1 ms old).
    pub fn stats(&self) -> DataplaneStats {
        let ns = |c: u64| (u128::from(c) * 1_000_000_000 / u128::from(self.tsc_hz.max(1))) as u64;
        let workers = self
            .shared
            .iter()
            .enumerate()
            .map(|(i, s)| WorkerStats {
                index: i,
                drops: s.counters.drop_snapshot(),
                stats: s.counters.stat_snapshot(),
                busy_cycles: s.busy_cycles.get(),
                idle_cycles: s.idle_cycles.get(),
                handed_off: s.handed_off.get(),
                handed_in: s.handed_in.get(),
                handoff_full: s.handoff_full.get(),
                updates_applied: s.updates_applied.get(),
                max_drain_ns: ns(s.max_drain_cycles.load(Ordering::Relaxed)),
                drain_ns: ns(s.drain_cycles.get()),
                drain_hist: s
                    .drain_hist
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.get() > 0)
                    .map(|(i, c)| (ns(1u64 << i), c.get()))
                    .collect(),
                buffered: s.buffered.load(Ordering::Relaxed),
                buffer_released: s.buffer_released.get(),
                buffer_notices_dropped: s.buffer_notices_dropped.get(),
                sched_sent: core::array::from_fn(|q| s.sched_sent[q].get()),
                sched_dropped: core::array::from_fn(|q| s.sched_dropped[q].get()),
            })
            .collect();
        let c = &self.control_stats;
        DataplaneStats {
            workers,
            ports: self.ports.iter().map(|p| p.stats().ok()).collect(),
            arp_replies: c.arp_replies.get(),
            nd_adverts: c.nd_adverts.get(),
            arp_requests: c.arp_requests.get(),
            nd_solicits: c.nd_solicits.get(),
            learnt: c.learnt.get(),
            events_passed: c.events_passed.get(),
            events_dropped: c.events_dropped.get(),
            end_markers: c.end_markers.get(),
            end_markers_failed: c.end_markers_failed.get(),
        }
    }

    /// Stops the workers and the control thread, closes the ports (which
    /// flushes `net_pcap` output) and returns the final figures.
    pub fn stop(mut self) -> Result<DataplaneStats> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<DataplaneStats> {
        self.stop.stop();
        let mut panicked = false;
        for j in self.joins.drain(..) {
            panicked |= match j {
                Join::Lcore(h) => h.join().is_err(),
                Join::Thread(h) => h.join().is_err(),
            };
        }
        if let Some(c) = self.control_join.take() {
            panicked |= c.join().is_err();
        }
        // Never started: the pending workers hold queue handles.
        self.pending = None;
        let stats = self.stats();
        if let Some(g) = &self.flow_gate {
            let ids: Vec<u16> = self.ports.iter().map(Port::id).collect();
            g.close_and_flush(&ids);
        }
        let mut result = Ok(());
        for p in self.ports.drain(..) {
            if let Err(e) = p.close() {
                result = result.and(Err(e));
            }
        }
        if panicked {
            return Err(Error::Invalid("a dataplane thread panicked".into()));
        }
        result.map(|()| stats)
    }
}

impl Drop for Dataplane {
    fn drop(&mut self) {
        if !self.ports.is_empty() || !self.joins.is_empty() {
            let _ = self.shutdown();
        }
    }
}
