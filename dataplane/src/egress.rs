//! Egress scheduling on the worker's TX path, for attachments with an
//! [`EgressSchedule`]: forwarded packets wait in the worker's
//! [`Scheduler`] (one bounded queue per QoS class, allocated at start)
//! instead of going straight to the TX burst; every loop iteration sends
//! what the shaper allows, in the scheduler's order. What the transmit
//! queue does not take goes back to the head of its queue, so a full TX
//! ring also serves the higher priorities first. A packet whose class
//! queue is full is dropped as `sched_queue_full`.
//!
//! No allocation, lock or panic on this path.
#![forbid(unsafe_code)]

use arrayvec::ArrayVec;
use upf_core::counters::{DropReason, LocalCounters, Stat};
use upf_core::qos::{ClassMap, Color, Scheduler, Ticket, QUEUES};

use crate::config::EgressSchedule;
use crate::mbuf::{Burst, Mbuf, BURST_SIZE};
use crate::worker::{push_drop, TxOut};

/// One attachment's scheduler in one worker.
pub(crate) struct EgressSched {
    /// Port index of the attachment (its [`crate::worker::TxSlot`]).
    pub port_idx: usize,
    sched: Scheduler<Mbuf>,
    classes: ClassMap,
    out: Burst,
    tickets: ArrayVec<Ticket, BURST_SIZE>,
    /// Packets sent, per queue (classes, then the guaranteed queue).
    pub sent: [u64; QUEUES],
    /// Packets dropped because their queue was full, per queue.
    pub dropped: [u64; QUEUES],
}

impl std::fmt::Debug for EgressSched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EgressSched")
            .field("port_idx", &self.port_idx)
            .field("sched", &self.sched)
            .finish_non_exhaustive()
    }
}

impl EgressSched {
    /// The scheduler of one of `workers` workers for an attachment on
    /// port `port_idx`.
    pub fn new(cfg: &EgressSchedule, workers: usize, port_idx: usize) -> Self {
        EgressSched {
            port_idx,
            sched: Scheduler::new(cfg.per_worker(workers)),
            classes: ClassMap::with_overrides(&cfg.priority_levels),
            out: Burst::new(),
            tickets: ArrayVec::new(),
            sent: [0; QUEUES],
            dropped: [0; QUEUES],
        }
    }

    /// Queues a frame of QoS flow `qfi` with meter color `color`; counts
    /// and drops it when its queue is full.
    #[inline]
    pub fn enqueue(
        &mut self,
        m: Mbuf,
        qfi: Option<u8>,
        color: Color,
        counters: &mut LocalCounters,
        drops: &mut Burst,
    ) {
        let class = self.classes.class(qfi);
        let bytes = m.pkt_len();
        if let Err(m) = self.sched.enqueue(m, class, color, bytes) {
            self.dropped[Scheduler::<Mbuf>::queue_of(class, color)] += 1;
            counters.drop(DropReason::SchedQueueFull);
            push_drop(drops, m);
        }
    }

    /// Whether packets wait.
    pub fn is_empty(&self) -> bool {
        self.sched.is_empty()
    }

    /// Sends what the shaper allows at `now` through `out`, a burst at a
    /// time, until the scheduler holds nothing sendable or the transmit
    /// queue is full. Returns the packets sent.
    #[inline]
    pub fn service(&mut self, now: u64, out: &mut TxOut, counters: &mut LocalCounters) -> usize {
        let mut total = 0;
        loop {
            while !self.out.is_full() {
                match self.sched.dequeue_ticket(now) {
                    Some((m, t)) => {
                        self.out.push(m);
                        self.tickets.push(t);
                    }
                    None => break,
                }
            }
            let n = self.out.len();
            if n == 0 {
                return total;
            }
            let sent = send(out, &mut self.out, counters);
            for t in self.tickets.drain(..sent) {
                self.sent[t.queue()] += 1;
            }
            total += sent;
            if sent < n {
                // The transmit queue is full: the rest waits, in place.
                while let (Some(m), Some(t)) = (self.out.pop(), self.tickets.pop()) {
                    self.sched.requeue(m, t);
                }
                return total;
            }
        }
    }

    /// Sends everything still queued, unshaped (the worker is leaving);
    /// what the transmit queue does not take is dropped as `tx_full`.
    pub fn drain(&mut self, out: &mut TxOut, counters: &mut LocalCounters, drops: &mut Burst) {
        loop {
            while !self.out.is_full() {
                match self.sched.pop_unshaped() {
                    Some(m) => self.out.push(m),
                    None => break,
                }
            }
            if self.out.is_empty() {
                return;
            }
            send(out, &mut self.out, counters);
            if !self.out.is_empty() {
                counters.drops_n(DropReason::TxFull, self.out.len() as u64);
                for m in self.out.drain(..) {
                    push_drop(drops, m);
                }
            }
        }
    }
}

/// One burst to the transmit queue (or the owner's TX ring); returns how
/// many left. Sent packets count as `tx` here only when this worker's own
/// queue sent them (the owner counts what it sends for others).
#[inline]
fn send(out: &mut TxOut, burst: &mut Burst, counters: &mut LocalCounters) -> usize {
    match out {
        TxOut::Queue(q) => {
            let sent = q.tx_burst(burst);
            counters.stat_n(Stat::Tx, sent as u64);
            sent
        }
        TxOut::Handoff(ring) => ring.enqueue_burst(burst),
    }
}
