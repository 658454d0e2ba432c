//! The polling worker: one per core, busy-polling its queues.
//!
//! One loop iteration:
//! 1. RX: a burst from each RX queue the worker owns. With software steering
//!    (see [`crate::steer`]), packets that belong to another worker are
//!    handed to it through its hand-off ring; the rest, and what other
//!    workers handed over, run through the packet path.
//! 2. Per packet: multi-segment packets are dropped (`multi_segment`); the
//!    ingress role comes from the port and VLAN; [`upf_core::path::process`]
//!    decides:
//!    - `Forward`: route to an attachment (N3 for access; N6, or N9 for
//!      tunnel packets when both exist, for core), next hop (the gateway
//!      unless on-link), neighbour lookup (`no_neighbor` on a miss, and the
//!      control thread is asked to resolve), Ethernet (+VLAN) prepended,
//!      queued for TX on that port;
//!    - `Reply`: Ethernet back to the peer, out of the ingress port;
//!    - `Control`: to the control thread's ring (`control_queue_full`),
//!      except buffered downlink packets, which stay in the worker's
//!      buffer ([`crate::buffer`]);
//!    - `Drop`: collected and freed in bulk.
//! 3. TX: per-port bursts go out on the worker's own TX queue, or to the
//!    ring of the worker that owns the port's queue when the port has fewer
//!    TX queues than workers; unsent packets are dropped (`tx_full`).
//!    Frames from the control thread arrive in worker 0's TX ring.
//! 4. Between bursts: at most 64 rule updates ([`Subscriber::drain`]),
//!    then the buffered packets of sessions whose rules changed go out
//!    (before the next RX burst), then at most 64 neighbour updates.
//!
//! No allocation, lock or panic on this path. Counters: the path's
//! [`WorkerCounters`] belong to the worker's `PathState`, which the worker
//! borrows mutably for every packet; it copies them into the shared
//! [`WorkerShared::counters`] about every millisecond and when it stops, so
//! other threads read them without locks (single writer, atomics).
#![forbid(unsafe_code)]

use core::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;
use upf_core::compile::{EncapTemplate, SessionRules};
use upf_core::counters::{Counter, DropReason, Stat, WorkerCounters};
use upf_core::path::{process_hinted, ControlEvent, PathConfig, PathState, Verdict};
use upf_core::publish::Subscriber;
use upf_core::qos::QUEUES;
use upf_core::tables::Tables;

use crate::buffer::{BufferNotice, BufferStore};
use crate::clock::ManualClock;
use crate::config::{AttachmentInfo, Routes};
use crate::control::encode_event;
use crate::eal::tsc_cycles;
use crate::egress::EgressSched;
use crate::l2::{push_ethernet, vlan_of};
use crate::lcore::StopFlag;
use crate::mbuf::{free_bulk, prefetch, Burst, Mbuf, PacketMeta, BURST_SIZE};
use crate::neighbor::{NeighborKey, NeighborTable, NeighborUpdate};
use crate::offload::{mark_of, MarkTable};
use crate::port::{RxQueue, TxQueue};
use crate::ring::{MbufRing, RingConsumer};
use crate::steer::{lookup_key, owner, steer_key, LookupKey};

/// Rule updates applied per loop iteration at most.
pub const DRAIN_PER_POLL: usize = 64;
/// PDRs of a session prefetched, from the first that can match the
/// packet: a session's PDRs are by precedence, and most packets match the
/// first candidate of their kind (the uplink or the downlink default).
const PREFETCH_PDRS: usize = 1;

/// Prefetches what the path reads of the session for every packet: the
/// front of the rules.
#[inline]
fn prefetch_rules(rules: &Arc<SessionRules>) {
    let r = Arc::as_ptr(rules).cast::<u8>();
    prefetch(r);
    prefetch(r.wrapping_add(SessionRules::HOT_BYTES - 1));
}

/// Prefetches the per-packet front of the session's first candidate PDRs
/// for a packet in a tunnel (`tunnel`) or outside one.
#[inline]
fn prefetch_pdrs(rules: &SessionRules, tunnel: bool) {
    for l in rules.hot_lines(tunnel, PREFETCH_PDRS) {
        prefetch(l);
    }
}

/// Prefetches the usage counters (their hot line), the meters and the
/// prebuilt outer header of the session's first candidate PDRs.
#[inline]
fn prefetch_usage(rules: &SessionRules, tunnel: bool) {
    for pdr in rules.candidate_pdrs(tunnel).iter().take(PREFETCH_PDRS) {
        for u in pdr.usage.iter() {
            // The 56 bytes a counted packet touches may span two lines.
            let u = Arc::as_ptr(u).cast::<u8>();
            prefetch(u);
            prefetch(u.wrapping_add(55));
        }
        for m in pdr.meters.iter() {
            prefetch(Arc::as_ptr(m));
        }
        if let Some(t) = rules.encaps.get(usize::from(pdr.encap)) {
            let t = core::ptr::from_ref(t).cast::<u8>();
            prefetch(t);
            prefetch(t.wrapping_add(size_of::<EncapTemplate>() - 1));
        }
    }
}

/// How many packets ahead the data is prefetched.
const PREFETCH_AHEAD: usize = 3;
/// Neighbour updates applied per loop iteration at most.
const NEIGHBOR_UPDATES_PER_POLL: usize = 64;

/// What a worker shares with other threads: written by the worker only,
/// read by anyone without locks.
#[derive(Debug, Default)]
pub struct WorkerShared {
    /// The packet path's counters (a copy at most about 1 ms old while
    /// running, exact after the worker stopped).
    pub counters: WorkerCounters,
    /// TSC cycles spent in iterations that found work.
    pub busy_cycles: Counter,
    /// TSC cycles spent in iterations that found none.
    pub idle_cycles: Counter,
    /// Packets handed to other workers (software steering).
    pub handed_off: Counter,
    /// Packets received from other workers.
    pub handed_in: Counter,
    /// Packets processed here although another worker owns them (its
    /// hand-off ring was full).
    pub handoff_full: Counter,
    /// Rule updates applied.
    pub updates_applied: Counter,
    /// Longest time in one `drain` call, in TSC cycles.
    pub max_drain_cycles: AtomicU64,
    /// Cycles spent in `drain` calls that applied something.
    pub drain_cycles: Counter,
    /// Drain calls that applied something, by duration: bucket `i` counts
    /// those of `2^(i-1)..2^i` TSC cycles.
    pub drain_hist: [Counter; 32],
    /// Resolution requests sent to the control thread.
    pub resolve_requests: Counter,
    /// Downlink packets held in the buffer now.
    pub buffered: AtomicU64,
    /// Buffered packets run through the path again after a rule change.
    pub buffer_released: Counter,
    /// Downlink Data Report notices the control thread's queue had no
    /// room for (tried again with the episode's next packet).
    pub buffer_notices_dropped: Counter,
    /// Egress scheduler: packets sent per queue (the classes, then the
    /// guaranteed queue), all scheduled attachments together.
    pub sched_sent: [Counter; QUEUES],
    /// Egress scheduler: packets dropped because their queue was full.
    pub sched_dropped: [Counter; QUEUES],
    /// The worker has entered its loop.
    pub running: AtomicBool,
    /// The worker has left its loop.
    pub stopped: AtomicBool,
}

/// Where a port's TX bursts go from this worker.
#[derive(Debug)]
pub(crate) enum TxOut {
    /// The worker's own TX queue on the port.
    Queue(TxQueue),
    /// The TX ring of the worker that owns a queue of the port.
    Handoff(MbufRing),
}

#[derive(Debug)]
pub(crate) struct TxSlot {
    pub out: TxOut,
    pub port_id: u16,
    pub burst: Burst,
}

/// Ingress: which attachment a frame on a port belongs to.
#[derive(Debug, Clone)]
pub(crate) struct PortIngress {
    /// The attachment of untagged frames.
    pub untagged: Option<u8>,
    /// (VLAN id, attachment) of tagged ones.
    pub vlans: Vec<(u16, u8)>,
}

impl PortIngress {
    #[inline]
    fn attachment(&self, frame: &[u8]) -> Option<u8> {
        if self.vlans.is_empty() {
            return self.untagged;
        }
        match vlan_of(frame) {
            None => self.untagged,
            Some(v) => self.vlans.iter().find(|(id, _)| *id == v).map(|&(_, a)| a),
        }
    }
}

/// Everything one worker owns.
pub(crate) struct Worker {
    pub index: usize,
    pub workers: usize,
    pub steer: bool,
    pub burst_size: usize,
    pub idle_yield: bool,
    pub path: PathConfig,
    pub tables: Tables,
    pub state: PathState,
    pub sub: Subscriber,
    /// (queue, port index) pairs this worker polls.
    pub rxqs: Vec<(RxQueue, usize)>,
    /// Per port index.
    pub tx: Vec<TxSlot>,
    pub ingress: Vec<PortIngress>,
    /// Port index by ethdev port id.
    pub port_index: Vec<u8>,
    pub atts: Vec<AttachmentInfo>,
    pub routes: Routes,
    /// Packets other workers hand to this one to process.
    pub inbox: RingConsumer,
    /// Frames other threads hand to this one to send.
    pub tx_inbox: RingConsumer,
    /// Every worker's hand-off ring (by worker index).
    pub peers: Vec<MbufRing>,
    pub control: MbufRing,
    pub neighbors: NeighborTable,
    pub neighbor_updates: Arc<ArrayQueue<NeighborUpdate>>,
    pub resolve: Arc<ArrayQueue<NeighborKey>>,
    pub shared: Arc<WorkerShared>,
    pub stop: StopFlag,
    /// Flow mark to SEID, when rte_flow offload is on: a marked packet's
    /// session is taken from the mark instead of the index lookup (the
    /// path checks that it owns the packet's key).
    pub marks: Option<Arc<MarkTable>>,
    /// Buffered downlink packets (FAR BUFF).
    pub buffer: BufferStore,
    /// Where the first buffered packet of an episode with NOCP is told.
    pub buffer_notices: Arc<ArrayQueue<BufferNotice>>,
    /// SEIDs whose buffered packets are released (capacity: the most
    /// episodes the buffer holds).
    pub buffer_scratch: Vec<u64>,
    /// Buffered packets are going through the path again.
    pub buffer_replaying: bool,
    /// ns = cycles * mult >> 32.
    pub ns_mult: u64,
    pub tsc0: u64,
    /// Per attachment: its egress scheduler, where it has one.
    pub egress: Vec<Option<EgressSched>>,
    /// Whether any attachment has an egress scheduler.
    pub scheduled: bool,
    /// A clock the caller moves (tests); the TSC otherwise.
    pub clock: Option<Arc<ManualClock>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// Per-iteration scratch: not part of `Worker` so that the per-packet code
/// can borrow both.
struct Scratch {
    rx: Burst,
    drops: Burst,
    /// Per destination worker.
    handoff: Vec<Burst>,
}

impl Worker {
    /// The polling loop; returns when the stop flag is raised.
    pub fn run(mut self) {
        // Updates published before the start are all applied before the
        // first packet (startup, so no stall matters).
        while self.sub.drain(&mut self.tables, 1024) > 0 {}
        self.shared.running.store(true, Ordering::Release);
        let mut s = Scratch {
            rx: Burst::new(),
            drops: Burst::new(),
            handoff: (0..self.workers).map(|_| Burst::new()).collect(),
        };
        let mirror_every = (1u64 << 32) / self.ns_mult.max(1) * 1_000_000; // ~1 ms
        let mut last_mirror = tsc_cycles();
        while !self.stop.is_stopped() {
            let t0 = tsc_cycles();
            let now = match &self.clock {
                Some(c) => c.now(),
                None => self.now_ns(t0),
            };
            let mut work = 0;
            for q in 0..self.rxqs.len() {
                let port_idx = self.rxqs[q].1;
                let n = self.rxqs[q].0.rx_burst_max(&mut s.rx, self.burst_size);
                if n > 0 {
                    work += n;
                    self.process_burst(&mut s, Some(port_idx), now);
                }
            }
            let n = self.inbox.dequeue_burst(&mut s.rx);
            if n > 0 {
                work += n;
                self.shared.handed_in.add(n as u64);
                self.process_burst(&mut s, None, now);
            }
            let n = self.tx_inbox.dequeue_burst(&mut s.rx);
            if n > 0 {
                work += n;
                for m in s.rx.drain(..) {
                    let port = m.meta::<PacketMeta>().map_or(u16::MAX, |x| x.egress_port);
                    match self.port_index.get(usize::from(port)) {
                        Some(&p) if usize::from(p) < self.tx.len() => {
                            self.tx_push(usize::from(p), m, &mut s.drops)
                        }
                        _ => {
                            self.state.counters.drop(DropReason::NoRoute);
                            push_drop(&mut s.drops, m);
                        }
                    }
                }
            }
            if work > 0 {
                for p in 0..self.tx.len() {
                    self.flush_tx(p, &mut s.drops);
                }
            }
            if self.scheduled {
                work += self.service_egress(now);
            }
            free_bulk(&mut s.drops);

            // Between bursts: rules, then neighbours.
            let d0 = tsc_cycles();
            let applied = self.sub.drain(&mut self.tables, DRAIN_PER_POLL);
            if applied > 0 {
                let d = tsc_cycles().wrapping_sub(d0);
                self.shared.updates_applied.add(applied as u64);
                self.shared.drain_cycles.add(d);
                let bucket = (64 - d.leading_zeros() as usize).min(31);
                self.shared.drain_hist[bucket].inc();
                if d > self.shared.max_drain_cycles.load(Ordering::Relaxed) {
                    self.shared.max_drain_cycles.store(d, Ordering::Relaxed);
                }
            }
            if applied > 0 {
                self.release_buffered(now, &mut s.drops);
            }
            for _ in 0..NEIGHBOR_UPDATES_PER_POLL {
                match self.neighbor_updates.pop() {
                    Some(u) => self.neighbors.apply(u),
                    None => break,
                }
            }

            let t1 = tsc_cycles();
            let dt = t1.wrapping_sub(t0);
            if work > 0 || applied > 0 {
                self.shared.busy_cycles.add(dt);
            } else {
                self.shared.idle_cycles.add(dt);
                if self.idle_yield {
                    std::thread::yield_now();
                }
            }
            if t1.wrapping_sub(last_mirror) > mirror_every {
                last_mirror = t1;
                self.mirror_counters();
            }
            if let Some(c) = &self.clock {
                c.completed(self.index, now);
            }
        }
        // Leaving: flush what is queued, drop what is buffered, and stop
        // holding rule publication back.
        for p in 0..self.tx.len() {
            self.flush_tx(p, &mut s.drops);
        }
        self.drain_egress(&mut s.drops);
        free_bulk(&mut s.drops);
        self.discard_buffered(&mut s.drops);
        self.sub.set_active(false);
        self.mirror_counters();
        self.shared.stopped.store(true, Ordering::Release);
    }

    #[inline]
    fn now_ns(&self, tsc: u64) -> u64 {
        ((u128::from(tsc.wrapping_sub(self.tsc0)) * u128::from(self.ns_mult)) >> 32) as u64
    }

    /// Copies the path's counters to the shared ones (only this thread
    /// writes either).
    fn mirror_counters(&self) {
        self.shared.counters.publish(&self.state.counters);
        self.shared
            .buffered
            .store(self.buffer.len() as u64, Ordering::Relaxed);
        if self.scheduled {
            self.mirror_egress();
        }
    }

    /// Processes `s.rx` (received on port `rx_port`, or handed over by
    /// another worker when `None`).
    #[inline]
    fn process_burst(&mut self, s: &mut Scratch, rx_port: Option<usize>, now: u64) {
        let steer = self.steer && rx_port.is_some();
        // Sessions of a burst are looked up once ahead, all together, so that
        // the cache misses of the index probes and of the rules overlap
        // instead of stalling one packet after the other; the path then
        // finds them in cache.
        // Four passes, each over the whole burst, each reading what the
        // previous one prefetched (a whole pass earlier, so it has
        // arrived): (1) the lookup key of each packet and a prefetch of the
        // index slot it hashes to; (2) the lookups and a prefetch of the
        // front of the session's rules; (3) the front of the PDRs that can
        // match; (4) the usage counters, meters and outer header they point
        // to.
        let mut keys: [Option<LookupKey>; BURST_SIZE] = [None; BURST_SIZE];
        for (k, m) in keys.iter_mut().zip(s.rx.iter()) {
            *k = lookup_key(m.data());
            let slot = match *k {
                Some(LookupKey::Tunnel(teid, addr)) => {
                    // The inner IP header (read by the PDR match) starts in
                    // the frame's second line.
                    m.prefetch_data_line(1);
                    self.tables.tunnel_slot(teid, addr)
                }
                Some(LookupKey::V4(a)) => self.tables.ue_v4_slot(a),
                Some(LookupKey::V6(a)) => self.tables.ue_v6_slot(a),
                None => core::ptr::null(),
            };
            if !slot.is_null() {
                prefetch(slot);
            }
        }
        let n = s.rx.len();
        let mut found: [Option<&Arc<SessionRules>>; BURST_SIZE] = [None; BURST_SIZE];
        for (f, k) in found.iter_mut().zip(keys.iter().take(n)) {
            *f = match *k {
                Some(LookupKey::Tunnel(teid, addr)) => self.tables.lookup_tunnel(teid, addr),
                Some(LookupKey::V4(a)) => self.tables.lookup_ue_v4(a),
                Some(LookupKey::V6(a)) => self.tables.lookup_ue_v6(a),
                None => None,
            };
            if let Some(r) = f {
                prefetch_rules(r);
            }
        }
        let tunnel = |k: &Option<LookupKey>| matches!(k, Some(LookupKey::Tunnel(..)));
        for (r, k) in found.iter().zip(keys.iter()).take(n) {
            if let Some(r) = r {
                prefetch_pdrs(r, tunnel(k));
            }
        }
        for (r, k) in found.iter().zip(keys.iter()).take(n) {
            if let Some(r) = r {
                prefetch_usage(r, tunnel(k));
            }
        }
        for m in s.rx.iter().take(PREFETCH_AHEAD) {
            m.prefetch_data();
        }
        let mut it = std::mem::take(&mut s.rx).into_iter();
        while let Some(m) = it.next() {
            // Fetch the data of a packet a few places ahead while this one
            // is processed.
            if let Some(ahead) = it.as_slice().get(PREFETCH_AHEAD - 1) {
                ahead.prefetch_data();
            }
            if steer {
                if let Some(key) = steer_key(m.data()) {
                    let o = owner(key, self.workers);
                    if o != self.index {
                        s.handoff[o].push(m);
                        continue;
                    }
                }
            }
            let port_idx = match rx_port {
                Some(p) => p,
                None => match self.port_index.get(usize::from(m.port())) {
                    Some(&p) if usize::from(p) < self.ingress.len() => usize::from(p),
                    _ => {
                        self.state.counters.stat(Stat::Rx);
                        self.state.counters.drop(DropReason::NoRoute);
                        push_drop(&mut s.drops, m);
                        continue;
                    }
                },
            };
            self.handle(m, port_idx, now, &mut s.drops);
        }
        if steer {
            for o in 0..self.workers {
                if s.handoff[o].is_empty() {
                    continue;
                }
                let sent = self.peers[o].enqueue_burst(&mut s.handoff[o]);
                self.shared.handed_off.add(sent as u64);
                if !s.handoff[o].is_empty() {
                    self.shared.handoff_full.add(s.handoff[o].len() as u64);
                    let mut rest = std::mem::take(&mut s.handoff[o]);
                    let p = rx_port.unwrap_or(0);
                    for m in rest.drain(..) {
                        self.handle(m, p, now, &mut s.drops);
                    }
                    s.handoff[o] = rest;
                }
            }
        }
    }

    /// One packet through the path and to its verdict.
    #[inline]
    pub(crate) fn handle(&mut self, mut m: Mbuf, port_idx: usize, now: u64, drops: &mut Burst) {
        if !m.is_contiguous() {
            self.state.counters.stat(Stat::Rx);
            self.state.counters.drop(DropReason::MultiSegment);
            push_drop(drops, m);
            return;
        }
        let Some(att_idx) = self.ingress[port_idx].attachment(m.data()) else {
            // A VLAN the UPF is not on.
            self.state.counters.stat(Stat::Rx);
            self.state.counters.drop(DropReason::NotLocal);
            push_drop(drops, m);
            return;
        };
        let iface = self.atts[usize::from(att_idx)].role.interface();
        let hint = match &self.marks {
            Some(t) => mark_of(&m)
                .and_then(|id| t.resolve(id))
                .and_then(|seid| self.tables.session(seid)),
            None => None,
        };
        match process_hinted(
            &self.path,
            &self.tables,
            &mut self.state,
            iface,
            &mut m,
            now,
            hint.map(|r| &**r),
        ) {
            Verdict::Forward { egress, next_hop } => self.forward(m, egress, next_hop, now, drops),
            Verdict::Reply { peer_mac } => {
                let att = &self.atts[usize::from(att_idx)];
                if push_ethernet(&mut m, peer_mac.0, att.mac, att.vlan) {
                    self.tx_push(port_idx, m, drops);
                } else {
                    self.state.counters.drop(DropReason::NoHeadroom);
                    push_drop(drops, m);
                }
            }
            Verdict::Control(ev @ ControlEvent::Buffer { .. }) => {
                self.buffer_packet(m, port_idx, ev, drops);
            }
            Verdict::Control(ev) => self.send_to_control(m, ev),
            Verdict::Drop(_) => push_drop(drops, m),
        }
    }

    #[inline]
    fn forward(
        &mut self,
        mut m: Mbuf,
        egress: upf_core::rules::Interface,
        next_hop: IpAddr,
        now: u64,
        drops: &mut Burst,
    ) {
        let Some(ai) = self.routes.select(egress, m.data()) else {
            self.state.counters.drop(DropReason::NoRoute);
            push_drop(drops, m);
            return;
        };
        let att = &self.atts[usize::from(ai)];
        let key = NeighborKey {
            attachment: ai,
            addr: att.next_hop(next_hop),
        };
        let (src, vlan, port_idx, scheduled) = (att.mac, att.vlan, att.port_idx, att.scheduled);
        let Some(dst) = self.neighbors.lookup(key) else {
            self.state.counters.drop(DropReason::NoNeighbor);
            if self.neighbors.miss(key, now) && self.resolve.push(key).is_ok() {
                self.shared.resolve_requests.inc();
            }
            push_drop(drops, m);
            return;
        };
        if !push_ethernet(&mut m, dst, src, vlan) {
            self.state.counters.drop(DropReason::NoHeadroom);
            push_drop(drops, m);
            return;
        }
        if scheduled {
            self.egress_push(usize::from(ai), m, drops);
            return;
        }
        self.tx_push(port_idx, m, drops);
    }

    /// Queues a forwarded frame in attachment `ai`'s egress scheduler, by
    /// the QoS flow and meter color the path left in its state.
    #[inline]
    fn egress_push(&mut self, ai: usize, mut m: Mbuf, drops: &mut Burst) {
        let Some(Some(e)) = self.egress.get_mut(ai) else {
            self.state.counters.drop(DropReason::NoRoute);
            push_drop(drops, m);
            return;
        };
        let slot = &self.tx[e.port_idx];
        if let TxOut::Handoff(_) = slot.out {
            if let Some(meta) = m.meta_mut::<PacketMeta>() {
                meta.egress_port = slot.port_id;
            }
        }
        let (qfi, color) = (self.state.fwd_qfi, self.state.fwd_color);
        e.enqueue(m, qfi, color, &mut self.state.counters, drops);
    }

    /// Sends what each egress scheduler allows now; returns the packets
    /// sent.
    #[inline]
    fn service_egress(&mut self, now: u64) -> usize {
        let mut sent = 0;
        for e in self.egress.iter_mut().flatten() {
            if !e.is_empty() {
                let out = &mut self.tx[e.port_idx].out;
                sent += e.service(now, out, &mut self.state.counters);
            }
        }
        sent
    }

    /// Sends what the egress schedulers still hold (the worker is leaving).
    fn drain_egress(&mut self, drops: &mut Burst) {
        for e in self.egress.iter_mut().flatten() {
            let out = &mut self.tx[e.port_idx].out;
            e.drain(out, &mut self.state.counters, drops);
        }
    }

    /// Copies the egress schedulers' per-queue figures to the shared ones.
    fn mirror_egress(&self) {
        for q in 0..QUEUES {
            let sched = self.egress.iter().flatten();
            let (sent, dropped) = sched.fold((0, 0), |(s, d), e| (s + e.sent[q], d + e.dropped[q]));
            self.shared.sched_sent[q].set(sent);
            self.shared.sched_dropped[q].set(dropped);
        }
    }

    pub(crate) fn send_to_control(&mut self, mut m: Mbuf, ev: ControlEvent) {
        if let Some(meta) = m.meta_mut::<PacketMeta>() {
            encode_event(meta, ev);
        }
        if let Err(m) = self.control.enqueue(m) {
            self.state.counters.drop(DropReason::ControlQueueFull);
            drop(m);
        }
    }

    #[inline]
    fn tx_push(&mut self, port_idx: usize, mut m: Mbuf, drops: &mut Burst) {
        let slot = &mut self.tx[port_idx];
        if let TxOut::Handoff(_) = slot.out {
            if let Some(meta) = m.meta_mut::<PacketMeta>() {
                meta.egress_port = slot.port_id;
            }
        }
        slot.burst.push(m);
        if slot.burst.is_full() {
            self.flush_tx(port_idx, drops);
        }
    }

    #[inline]
    pub(crate) fn flush_tx(&mut self, port_idx: usize, drops: &mut Burst) {
        let slot = &mut self.tx[port_idx];
        if slot.burst.is_empty() {
            return;
        }
        let counters = &mut self.state.counters;
        match &mut slot.out {
            TxOut::Queue(q) => {
                let mut sent = q.tx_burst(&mut slot.burst);
                if !slot.burst.is_empty() {
                    sent += q.tx_burst(&mut slot.burst);
                }
                counters.stat_n(Stat::Tx, sent as u64);
            }
            TxOut::Handoff(ring) => {
                ring.enqueue_burst(&mut slot.burst);
            }
        }
        if !slot.burst.is_empty() {
            counters.drops_n(DropReason::TxFull, slot.burst.len() as u64);
            for m in slot.burst.drain(..) {
                push_drop(drops, m);
            }
        }
    }
}

/// Queues a packet for the bulk free, freeing the batch when it is full.
#[inline]
pub(crate) fn push_drop(drops: &mut Burst, m: Mbuf) {
    if drops.is_full() {
        free_bulk(drops);
    }
    drops.push(m);
}
