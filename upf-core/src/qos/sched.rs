//! Egress scheduling by QoS class (TS 23.501 §5.7).
//!
//! Each QoS flow maps to one of [`CLASSES`] classes through its priority
//! level: by default the QFI is read as a standardized 5QI and its priority
//! level comes from TS 23.501 Table 5.7.4-1; a configured table overrides
//! it. When the egress is congested (a configured egress rate, such as the
//! gNB's N3 link, or a transmit queue that does not drain), packets wait in
//! one bounded queue per class and leave in this order:
//!
//! 1. packets within their flow's guaranteed bit rate (green from the
//!    QER meter), first come first served: GBR flows keep their rate;
//! 2. a class owed its minimum share (every class earns `min_share` of the
//!    bytes sent while it is backlogged), so lower classes are never
//!    starved;
//! 3. the highest-priority class with packets.
//!
//! Queues are allocated once, at their bound; enqueueing and dequeueing do
//! not allocate. A packet refused because its queue is full comes back to
//! the caller, who counts and frees it.

use std::collections::VecDeque;

use super::Color;

/// Number of scheduling classes.
pub const CLASSES: usize = 8;

/// Resource type of a 5QI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// Guaranteed bit rate.
    Gbr,
    /// Non-guaranteed bit rate.
    NonGbr,
    /// Delay-critical GBR.
    DelayCriticalGbr,
}

/// Standardized 5QI values with their resource type and default priority
/// level (TS 23.501 Table 5.7.4-1).
pub const STANDARD_5QI: &[(u8, ResourceType, u8)] = &[
    (1, ResourceType::Gbr, 20),
    (2, ResourceType::Gbr, 40),
    (3, ResourceType::Gbr, 30),
    (4, ResourceType::Gbr, 50),
    (65, ResourceType::Gbr, 7),
    (66, ResourceType::Gbr, 20),
    (67, ResourceType::Gbr, 15),
    (71, ResourceType::Gbr, 56),
    (72, ResourceType::Gbr, 56),
    (73, ResourceType::Gbr, 56),
    (74, ResourceType::Gbr, 56),
    (76, ResourceType::Gbr, 56),
    (5, ResourceType::NonGbr, 10),
    (6, ResourceType::NonGbr, 60),
    (7, ResourceType::NonGbr, 70),
    (8, ResourceType::NonGbr, 80),
    (9, ResourceType::NonGbr, 90),
    (69, ResourceType::NonGbr, 5),
    (70, ResourceType::NonGbr, 55),
    (79, ResourceType::NonGbr, 65),
    (80, ResourceType::NonGbr, 68),
    (82, ResourceType::DelayCriticalGbr, 19),
    (83, ResourceType::DelayCriticalGbr, 22),
    (84, ResourceType::DelayCriticalGbr, 24),
    (85, ResourceType::DelayCriticalGbr, 21),
    (86, ResourceType::DelayCriticalGbr, 18),
    (87, ResourceType::DelayCriticalGbr, 25),
    (88, ResourceType::DelayCriticalGbr, 25),
    (89, ResourceType::DelayCriticalGbr, 25),
    (90, ResourceType::DelayCriticalGbr, 25),
];

/// Priority level of a flow whose QFI is no standardized 5QI (that of 5QI 9,
/// the default bearer).
pub const DEFAULT_PRIORITY_LEVEL: u8 = 90;

/// The class of a priority level (1 is the highest priority, 127 the lowest):
/// sixteen levels per class, class 0 first.
pub const fn class_of_level(level: u8) -> usize {
    let l = if level > 127 { 127 } else { level };
    (l / 16) as usize
}

/// QFI to class, from the standardized table and overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassMap {
    by_qfi: [u8; 64],
}

impl Default for ClassMap {
    fn default() -> Self {
        Self::with_overrides(&[])
    }
}

impl ClassMap {
    /// The standardized levels, with `(qfi or 5QI, priority level)` overrides.
    pub fn with_overrides(overrides: &[(u8, u8)]) -> Self {
        let mut by_qfi = [class_of_level(DEFAULT_PRIORITY_LEVEL) as u8; 64];
        for &(fiveqi, _, level) in STANDARD_5QI {
            if usize::from(fiveqi) < 64 {
                by_qfi[usize::from(fiveqi)] = class_of_level(level) as u8;
            }
        }
        for &(qfi, level) in overrides {
            if usize::from(qfi) < 64 {
                by_qfi[usize::from(qfi)] = class_of_level(level) as u8;
            }
        }
        ClassMap { by_qfi }
    }

    /// The class of a packet of flow `qfi` (`None`: no QFI, default class).
    #[inline]
    pub fn class(&self, qfi: Option<u8>) -> usize {
        match qfi {
            Some(q) => usize::from(self.by_qfi[usize::from(q & 63)]),
            None => class_of_level(DEFAULT_PRIORITY_LEVEL),
        }
    }
}

/// Scheduler settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedConfig {
    /// Share of the egress each backlogged class is owed at least, in
    /// thousandths.
    pub min_share_permille: u32,
    /// Packets each class queue holds (the guaranteed queue too).
    pub queue_limit: usize,
    /// Egress rate in bits per second (0: not shaped, only queued while the
    /// transmit queue is full).
    pub rate_bps: u64,
    /// Burst the shaper allows, bytes.
    pub burst_bytes: u64,
}

impl Default for SchedConfig {
    fn default() -> Self {
        SchedConfig {
            min_share_permille: 50,
            queue_limit: 1024,
            rate_bps: 0,
            burst_bytes: 16 * 1514,
        }
    }
}

struct Queued<T> {
    item: T,
    bytes: u32,
}

/// Index of the guaranteed (GBR-conformant) queue in per-queue figures;
/// classes are `0..CLASSES`.
pub const GUARANTEED_QUEUE: usize = CLASSES;
/// Queues per scheduler: the classes and the guaranteed one.
pub const QUEUES: usize = CLASSES + 1;

/// Where a dequeued packet came from and what its dequeue changed, so that
/// [`Scheduler::requeue`] can put it back as if it had not left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    queue: u8,
    bytes: u32,
    /// Minimum-share credit the other backlogged classes earned.
    earn: u32,
    /// Minimum-share credit the served class used.
    paid: u32,
}

impl Ticket {
    /// The queue the packet left (a class, or [`GUARANTEED_QUEUE`]).
    pub fn queue(&self) -> usize {
        usize::from(self.queue)
    }
    /// The packet's size, bytes.
    pub fn bytes(&self) -> u32 {
        self.bytes
    }
}

/// A class-based egress scheduler; see the module documentation.
pub struct Scheduler<T> {
    cfg: SchedConfig,
    guaranteed: VecDeque<Queued<T>>,
    classes: [VecDeque<Queued<T>>; CLASSES],
    /// Bytes each class is owed from the minimum share.
    owed: [u64; CLASSES],
    tokens: i64,
    /// Bit-nanoseconds not yet worth a byte.
    remainder: u64,
    last_ns: u64,
    sent_by_class: [u64; CLASSES],
}

impl<T> core::fmt::Debug for Scheduler<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Scheduler")
            .field("cfg", &self.cfg)
            .field("queued", &self.len())
            .field("sent_by_class", &self.sent_by_class)
            .finish()
    }
}

impl<T> Scheduler<T> {
    /// A scheduler with its queues allocated.
    pub fn new(cfg: SchedConfig) -> Self {
        Scheduler {
            cfg,
            guaranteed: VecDeque::with_capacity(cfg.queue_limit),
            classes: core::array::from_fn(|_| VecDeque::with_capacity(cfg.queue_limit)),
            owed: [0; CLASSES],
            tokens: cfg.burst_bytes as i64,
            remainder: 0,
            last_ns: 0,
            sent_by_class: [0; CLASSES],
        }
    }

    /// Packets waiting.
    pub fn len(&self) -> usize {
        self.guaranteed.len() + self.classes.iter().map(VecDeque::len).sum::<usize>()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes sent per class so far.
    pub fn sent_by_class(&self) -> [u64; CLASSES] {
        self.sent_by_class
    }

    /// The queue a packet of `class` and `color` waits in: green packets
    /// (within their GBR) in the guaranteed one, others in their class's.
    #[inline]
    pub fn queue_of(class: usize, color: Color) -> usize {
        if color == Color::Green {
            GUARANTEED_QUEUE
        } else {
            class.min(CLASSES - 1)
        }
    }

    /// Queues a packet of `bytes` in `class`; green packets (within their
    /// GBR) go to the guaranteed queue. A full queue gives the packet back.
    #[inline]
    pub fn enqueue(&mut self, item: T, class: usize, color: Color, bytes: usize) -> Result<(), T> {
        let limit = self.cfg.queue_limit;
        let q = self.queue_mut(Self::queue_of(class, color));
        if q.len() >= limit {
            return Err(item);
        }
        q.push_back(Queued {
            item,
            bytes: bytes as u32,
        });
        Ok(())
    }

    #[inline]
    fn queue_mut(&mut self, queue: usize) -> &mut VecDeque<Queued<T>> {
        match self.classes.get_mut(queue) {
            Some(q) => q,
            None => &mut self.guaranteed,
        }
    }

    fn refill(&mut self, now_ns: u64) {
        if self.cfg.rate_bps == 0 {
            return;
        }
        let elapsed = now_ns.saturating_sub(self.last_ns);
        if elapsed == 0 {
            // The common case within one burst: nothing to credit.
            return;
        }
        self.last_ns = now_ns;
        // Exact: the fraction of a byte left over carries to the next refill.
        let acc = u128::from(self.remainder) + u128::from(elapsed) * u128::from(self.cfg.rate_bps);
        self.remainder = (acc % 8_000_000_000) as u64;
        let add = (acc / 8_000_000_000).min(i64::MAX as u128) as i64;
        self.tokens = self
            .tokens
            .saturating_add(add)
            .min(self.cfg.burst_bytes as i64);
    }

    /// The next packet to send at `now_ns`, if the shaper allows one.
    #[inline]
    pub fn dequeue(&mut self, now_ns: u64) -> Option<T> {
        self.dequeue_ticket(now_ns).map(|(item, _)| item)
    }

    /// [`Self::dequeue`], with the ticket that puts the packet back.
    #[inline]
    pub fn dequeue_ticket(&mut self, now_ns: u64) -> Option<(T, Ticket)> {
        self.refill(now_ns);
        if self.cfg.rate_bps != 0 && self.tokens <= 0 {
            return None;
        }
        let (class, q) = if let Some(q) = self.guaranteed.pop_front() {
            (None, q)
        } else {
            let c = self.pick()?;
            (Some(c), self.classes[c].pop_front()?)
        };
        let bytes = u64::from(q.bytes);
        if self.cfg.rate_bps != 0 {
            self.tokens -= bytes as i64;
        }
        let mut paid = 0;
        if let Some(c) = class {
            self.sent_by_class[c] += bytes;
            paid = self.owed[c].min(bytes);
            self.owed[c] -= paid;
        }
        // Every backlogged class earns its share of everything sent, its
        // own packets included (so that it gets `min_share` of the link,
        // not of what the others send); an idle class earns nothing (no
        // hoarding).
        let earn = bytes * u64::from(self.cfg.min_share_permille) / 1000;
        for (c, queue) in self.classes.iter().enumerate() {
            if queue.is_empty() {
                self.owed[c] = 0;
            } else {
                self.owed[c] += earn;
            }
        }
        let ticket = Ticket {
            queue: class.unwrap_or(GUARANTEED_QUEUE) as u8,
            bytes: q.bytes,
            earn: earn as u32,
            paid: paid as u32,
        };
        Some((q.item, ticket))
    }

    /// Puts back, at the head of its queue, a packet that could not be
    /// sent (the transmit queue was full), undoing its dequeue: the shaper
    /// gets its bytes back and the packet keeps its place. Packets of one
    /// burst go back in the reverse order they left.
    #[inline]
    pub fn requeue(&mut self, item: T, t: Ticket) {
        let bytes = u64::from(t.bytes);
        if self.cfg.rate_bps != 0 {
            self.tokens += bytes as i64;
        }
        let served = t.queue();
        if served < CLASSES {
            self.sent_by_class[served] -= bytes;
            self.owed[served] += u64::from(t.paid);
        }
        for owed in &mut self.owed {
            *owed = owed.saturating_sub(u64::from(t.earn));
        }
        // Allocated at its bound: the packet left this queue, so it fits.
        self.queue_mut(served).push_front(Queued {
            item,
            bytes: t.bytes,
        });
    }

    /// The next packet whatever the shaper says (to empty the scheduler
    /// when the egress stops).
    pub fn pop_unshaped(&mut self) -> Option<T> {
        if let Some(q) = self.guaranteed.pop_front() {
            return Some(q.item);
        }
        let c = (0..CLASSES).find(|&c| !self.classes[c].is_empty())?;
        self.classes[c].pop_front().map(|q| q.item)
    }

    /// The class to serve: the lowest class owed a full packet, else the
    /// highest-priority class with packets.
    fn pick(&self) -> Option<usize> {
        let owed = (0..CLASSES).rev().find(|&c| {
            self.classes[c]
                .front()
                .is_some_and(|h| self.owed[c] >= u64::from(h.bytes))
        });
        owed.or_else(|| (0..CLASSES).find(|&c| !self.classes[c].is_empty()))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn standard_classes() {
        let m = ClassMap::default();
        assert_eq!(m.class(Some(69)), 0); // level 5
        assert_eq!(m.class(Some(5)), 0); // IMS signalling, level 10
        assert_eq!(m.class(Some(1)), 1); // conversational voice, level 20
        assert_eq!(m.class(Some(9)), 5); // default bearer, level 90
        assert_eq!(m.class(Some(42)), 5); // not standardized: 5QI 9's level
        assert_eq!(m.class(None), 5);
        let o = ClassMap::with_overrides(&[(9, 1)]);
        assert_eq!(o.class(Some(9)), 0);
    }

    /// Egress at `rate` bytes/s; `flows`: (class, color, bytes per packet,
    /// packets per second). Returns packets sent per flow and the worst
    /// queueing delay per flow, in µs, over one simulated second.
    fn simulate(
        cfg: SchedConfig,
        flows: &[(usize, Color, usize, u64)],
    ) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
        let mut s: Scheduler<(usize, u64)> = Scheduler::new(cfg);
        let mut sent = vec![0u64; flows.len()];
        let mut offered = vec![0u64; flows.len()];
        let mut worst = vec![0u64; flows.len()];
        let step = 1_000; // 1 µs
        let mut next: Vec<u64> = vec![0; flows.len()];
        for t in (0..1_000_000_000u64).step_by(step) {
            for (i, &(class, color, bytes, pps)) in flows.iter().enumerate() {
                while next[i] <= t {
                    offered[i] += 1;
                    let _ = s.enqueue((i, t), class, color, bytes);
                    next[i] += 1_000_000_000 / pps;
                }
            }
            while let Some((i, at)) = s.dequeue(t) {
                sent[i] += 1;
                worst[i] = worst[i].max((t - at) / 1000);
            }
        }
        (sent, offered, worst)
    }

    #[test]
    fn high_priority_keeps_its_packets_under_3x_overload() {
        // Egress 100 Mbit/s; low class offers 300 Mbit/s, high 10 Mbit/s.
        let cfg = SchedConfig {
            rate_bps: 100_000_000,
            burst_bytes: 3000,
            queue_limit: 256,
            min_share_permille: 50,
        };
        let pkt = 1250; // bytes: 10k pps = 100 Mbit/s
        let flows = [
            (5, Color::Yellow, pkt, 30_000),
            (0, Color::Yellow, pkt, 1_000),
        ];
        let (sent, offered, worst) = simulate(cfg, &flows);
        assert!(
            sent[1] * 100 >= offered[1] * 99,
            "high: {} of {}",
            sent[1],
            offered[1]
        );
        // Uncongested, a high packet waits at most one packet time (100 µs)
        // behind a low packet in transmission; allow 2x.
        assert!(worst[1] <= 200, "high worst delay {} µs", worst[1]);
        // The low class gets the rest of the link.
        assert!(sent[0] >= 8_900, "low got {}", sent[0]);
    }

    #[test]
    fn lower_class_keeps_its_minimum_share() {
        // High priority alone could fill the link; the low class still gets 5%.
        let cfg = SchedConfig {
            rate_bps: 100_000_000,
            burst_bytes: 3000,
            queue_limit: 256,
            min_share_permille: 50,
        };
        let pkt = 1250;
        let flows = [
            (0, Color::Yellow, pkt, 20_000),
            (7, Color::Yellow, pkt, 20_000),
        ];
        let (sent, _, _) = simulate(cfg, &flows);
        let total = sent[0] + sent[1];
        assert!((9_900..=10_100).contains(&total), "link full: {total}");
        // 5% of the link (to within 0.1 point: the share is earned while
        // the class is backlogged, from the first packet sent on).
        assert!(
            sent[1] * 1000 >= total * 49,
            "low share {} of {total}",
            sent[1]
        );
        assert!(sent[0] > sent[1] * 10, "high still dominates");
    }

    #[test]
    fn gbr_conformant_packets_go_first() {
        let cfg = SchedConfig {
            rate_bps: 100_000_000,
            burst_bytes: 3000,
            queue_limit: 256,
            min_share_permille: 0,
        };
        let pkt = 1250;
        // A green (within-GBR) low-priority flow at 20% keeps its rate against
        // a high-priority flow that alone would fill the link twice.
        let flows = [
            (0, Color::Yellow, pkt, 20_000),
            (6, Color::Green, pkt, 2_000),
        ];
        let (sent, offered, _) = simulate(cfg, &flows);
        assert!(
            sent[1] * 100 >= offered[1] * 99,
            "gbr: {} of {}",
            sent[1],
            offered[1]
        );
    }

    #[test]
    fn requeue_undoes_a_dequeue() {
        let cfg = SchedConfig {
            rate_bps: 8_000_000, // 1 byte/µs
            burst_bytes: 300,
            queue_limit: 4,
            min_share_permille: 100,
        };
        let mut s: Scheduler<u32> = Scheduler::new(cfg);
        for i in 0..3 {
            s.enqueue(i, 7, Color::Yellow, 100).unwrap();
        }
        s.enqueue(10, 0, Color::Yellow, 100).unwrap();
        s.enqueue(20, 3, Color::Green, 100).unwrap();
        let before = (s.tokens, s.owed, s.sent_by_class);
        let a = s.dequeue_ticket(0).unwrap();
        let b = s.dequeue_ticket(0).unwrap();
        assert_eq!((a.0, a.1.queue()), (20, GUARANTEED_QUEUE));
        assert_eq!((b.0, b.1.queue()), (10, 0));
        s.requeue(b.0, b.1);
        s.requeue(a.0, a.1);
        assert_eq!((s.tokens, s.owed, s.sent_by_class), before);
        // Same order as before; the shaper still allows 300 bytes.
        assert_eq!(s.dequeue(0), Some(20));
        assert_eq!(s.dequeue(0), Some(10));
        assert_eq!(s.dequeue(0), Some(0));
        assert_eq!(s.dequeue(0), None, "shaped");
        assert_eq!(s.pop_unshaped(), Some(1));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn full_queue_returns_the_packet() {
        let mut s: Scheduler<u32> = Scheduler::new(SchedConfig {
            queue_limit: 2,
            ..SchedConfig::default()
        });
        assert!(s.enqueue(1, 3, Color::Yellow, 100).is_ok());
        assert!(s.enqueue(2, 3, Color::Yellow, 100).is_ok());
        assert_eq!(s.enqueue(3, 3, Color::Yellow, 100), Err(3));
        assert!(
            s.enqueue(4, 2, Color::Yellow, 100).is_ok(),
            "other classes unaffected"
        );
        // Unshaped: drains in priority order.
        assert_eq!(s.dequeue(0), Some(4));
        assert_eq!(s.dequeue(0), Some(1));
        assert_eq!(s.dequeue(0), Some(2));
        assert_eq!(s.dequeue(0), None);
    }
}
