//! Per-stage and per-drop-reason counters.
//!
//! Both lists are written once, in [`counter_list!`] invocations below; the
//! enum, its metric names, help texts and the counter arrays are all generated
//! from them, so a name and its counter cannot diverge.
//!
//! Each worker's packet path counts into its own [`LocalCounters`] (plain
//! integers) and publishes them to a [`WorkerCounters`] every millisecond
//! or so. Only that worker writes a [`WorkerCounters`] (relaxed stores, no
//! read-modify-write bus lock); any thread may read it at any time without
//! stopping the worker.

use core::sync::atomic::{AtomicU64, Ordering};

/// A counter written by a single thread and read by any.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`. Must only be called by the counter's owning thread.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }
    /// Sets the value (a copy of a figure the owning thread keeps
    /// elsewhere). Must only be called by the counter's owning thread.
    #[inline]
    pub fn set(&self, n: u64) {
        self.0.store(n, Ordering::Relaxed);
    }
    /// Current value.
    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

macro_rules! counter_list {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[doc = $doc:literal])+ $variant:ident = $metric:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Number of values.
            pub const COUNT: usize = Self::ALL.len();

            /// The metric label for this value.
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $metric,)+ }
            }

            /// One line describing this value.
            pub fn help(self) -> &'static str {
                match self { $($name::$variant => concat!($($doc),+),)+ }.trim_start()
            }

            /// The value with this metric label.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name() == name)
            }
        }
    };
}

counter_list! {
    /// Why a packet was dropped. Every drop on the fast path names one.
    pub enum DropReason {
        /// Frame or IP header fails its length or version checks.
        Malformed = "malformed",
        /// Ethertype the UPF does not process.
        UnsupportedEthertype = "unsupported_ethertype",
        /// Fragmented outer IP packet carrying GTP-U (reassembly is not done).
        OuterFragment = "outer_fragment",
        /// IP packet addressed neither to the UPF nor to a known UE.
        NotLocal = "not_local",
        /// Packet to a UPF address with a protocol or port it does not serve.
        LocalUnhandled = "local_unhandled",
        /// GTP-U header fails its length checks.
        GtpuMalformed = "gtpu_malformed",
        /// GTP-U version other than 1, or GTP' (PT = 0).
        GtpuVersion = "gtpu_version",
        /// GTP-U message type the user plane does not handle.
        GtpuUnsupportedMessage = "gtpu_unsupported_message",
        /// GTP-U extension header that must be understood and is not.
        GtpuUnknownExtension = "gtpu_unknown_extension",
        /// G-PDU for a TEID with no session.
        UnknownTeid = "unknown_teid",
        /// Error Indication for an unknown TEID suppressed by the rate limit.
        ErrorIndicationRateLimited = "error_indication_rate_limited",
        /// Downlink packet for an address with no session.
        NoSession = "no_session",
        /// No PDR of the session matches the packet.
        NoPdr = "no_pdr",
        /// Inner packet after decapsulation is not a valid IP packet.
        InnerMalformed = "inner_malformed",
        /// QER gate closed.
        GateClosed = "gate_closed",
        /// QER maximum bit rate exceeded.
        MeterRed = "meter_red",
        /// URR quota exhausted.
        QuotaExhausted = "quota_exhausted",
        /// FAR apply action DROP (or no action).
        FarDrop = "far_drop",
        /// PDR with no FAR.
        NoFar = "no_far",
        /// Outer header kind the UPF does not create.
        UnsupportedOuterHeader = "unsupported_outer_header",
        /// Downlink buffer of the session (its BAR's or the configured
        /// limit) or of the worker full.
        BufferFull = "buffer_full",
        /// Buffered downlink packet dropped: its session was deleted, or the
        /// dataplane stopped.
        BufferDiscarded = "buffer_discarded",
        /// TTL or hop limit exhausted.
        TtlExceeded = "ttl_exceeded",
        /// Not enough headroom to add the outer header.
        NoHeadroom = "no_headroom",
        /// Packet larger than the egress MTU.
        MtuExceeded = "mtu_exceeded",
        /// No egress port for the destination interface.
        NoRoute = "no_route",
        /// Next hop's link-layer address unknown.
        NoNeighbor = "no_neighbor",
        /// Transmit queue full.
        TxFull = "tx_full",
        /// Egress scheduler queue of the packet's QoS class full.
        SchedQueueFull = "sched_queue_full",
        /// Chained (multi-segment) buffer the fast path cannot edit.
        MultiSegment = "multi_segment",
        /// Control-plane hand-off queue full.
        ControlQueueFull = "control_queue_full",
    }
}

counter_list! {
    /// What the stages did, for throughput and diagnosis.
    pub enum Stat {
        /// Frames received.
        Rx = "rx",
        /// G-PDUs received.
        GtpuRx = "gtpu_rx",
        /// Plain IP packets received toward a UE.
        IpRx = "ip_rx",
        /// Packets decapsulated (outer header removed).
        Decap = "decap",
        /// Packets encapsulated (outer header created).
        Encap = "encap",
        /// Packets forwarded toward the access side.
        ForwardAccess = "forward_access",
        /// Packets forwarded toward the core side.
        ForwardCore = "forward_core",
        /// Packets forwarded toward the CP function.
        ForwardCp = "forward_cp",
        /// Packets a FAR buffered (once each, however often they are
        /// looked at again; those with no room are also `buffer_full` drops).
        Buffered = "buffered",
        /// GTP-U Echo Responses sent.
        EchoReply = "gtpu_echo_reply",
        /// GTP-U Error Indications sent.
        ErrorIndication = "gtpu_error_indication",
        /// GTP-U End Markers forwarded.
        EndMarker = "gtpu_end_marker",
        /// ICMP echo replies sent from UPF addresses.
        IcmpEchoReply = "icmp_echo_reply",
        /// Packets handed to the control thread (buffered ones are counted
        /// as `buffered` instead).
        ToControl = "to_control",
        /// Frames transmitted.
        Tx = "tx",
    }
}

/// The counters of one worker.
#[derive(Debug)]
pub struct WorkerCounters {
    drops: [Counter; DropReason::COUNT],
    stats: [Counter; Stat::COUNT],
}

impl Default for WorkerCounters {
    fn default() -> Self {
        WorkerCounters {
            drops: core::array::from_fn(|_| Counter::default()),
            stats: core::array::from_fn(|_| Counter::default()),
        }
    }
}

impl WorkerCounters {
    /// Counts a drop.
    #[inline]
    pub fn drop(&self, reason: DropReason) {
        self.drops[reason as usize].inc();
    }
    /// Counts `n` drops.
    #[inline]
    pub fn drops_n(&self, reason: DropReason, n: u64) {
        self.drops[reason as usize].add(n);
    }
    /// Counts a stage event.
    #[inline]
    pub fn stat(&self, stat: Stat) {
        self.stats[stat as usize].inc();
    }
    /// Counts `n` stage events.
    #[inline]
    pub fn stat_n(&self, stat: Stat, n: u64) {
        self.stats[stat as usize].add(n);
    }
    /// Drops so far for `reason`.
    pub fn drops(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize].get()
    }
    /// Events so far for `stat`.
    pub fn stats(&self, stat: Stat) -> u64 {
        self.stats[stat as usize].get()
    }
    /// All drop counters, by reason.
    pub fn drop_snapshot(&self) -> [u64; DropReason::COUNT] {
        core::array::from_fn(|i| self.drops[i].get())
    }
    /// All stage counters.
    pub fn stat_snapshot(&self) -> [u64; Stat::COUNT] {
        core::array::from_fn(|i| self.stats[i].get())
    }
    /// Total drops.
    pub fn total_drops(&self) -> u64 {
        self.drops.iter().map(Counter::get).sum()
    }
}

/// The counters of one worker's packet path, as plain integers: only the
/// worker touches them (it owns its [`crate::path::PathState`]), so an
/// increment is one add to memory. The worker publishes them to a shared
/// [`WorkerCounters`] now and then (see [`WorkerCounters::publish`]).
#[derive(Debug, Clone)]
pub struct LocalCounters {
    drops: [u64; DropReason::COUNT],
    stats: [u64; Stat::COUNT],
}

impl Default for LocalCounters {
    fn default() -> Self {
        LocalCounters {
            drops: [0; DropReason::COUNT],
            stats: [0; Stat::COUNT],
        }
    }
}

impl LocalCounters {
    /// Counts a drop.
    #[inline]
    pub fn drop(&mut self, reason: DropReason) {
        self.drops[reason as usize] = self.drops[reason as usize].wrapping_add(1);
    }
    /// Counts `n` drops.
    #[inline]
    pub fn drops_n(&mut self, reason: DropReason, n: u64) {
        self.drops[reason as usize] = self.drops[reason as usize].wrapping_add(n);
    }
    /// Counts a stage event.
    #[inline]
    pub fn stat(&mut self, stat: Stat) {
        self.stats[stat as usize] = self.stats[stat as usize].wrapping_add(1);
    }
    /// Counts `n` stage events.
    #[inline]
    pub fn stat_n(&mut self, stat: Stat, n: u64) {
        self.stats[stat as usize] = self.stats[stat as usize].wrapping_add(n);
    }
    /// Takes back one stage event: a packet that goes through the path a
    /// second time (a buffered packet released) is counted once.
    #[inline]
    pub fn uncount(&mut self, stat: Stat) {
        self.stats[stat as usize] = self.stats[stat as usize].wrapping_sub(1);
    }
    /// Drops so far for `reason`.
    pub fn drops(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize]
    }
    /// Events so far for `stat`.
    pub fn stats(&self, stat: Stat) -> u64 {
        self.stats[stat as usize]
    }
    /// All drop counters, by reason.
    pub fn drop_snapshot(&self) -> [u64; DropReason::COUNT] {
        self.drops
    }
    /// All stage counters.
    pub fn stat_snapshot(&self) -> [u64; Stat::COUNT] {
        self.stats
    }
    /// Total drops.
    pub fn total_drops(&self) -> u64 {
        self.drops.iter().sum()
    }
}

impl WorkerCounters {
    /// Makes these counters equal to `local` (the only writer of these
    /// is the owner of `local`).
    pub fn publish(&self, local: &LocalCounters) {
        for (c, &v) in self.drops.iter().zip(local.drops.iter()) {
            if c.get() != v {
                c.0.store(v, Ordering::Relaxed);
            }
        }
        for (c, &v) in self.stats.iter().zip(local.stats.iter()) {
            if c.get() != v {
                c.0.store(v, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn names_unique_and_round_trip() {
        let mut names: Vec<_> = DropReason::ALL.iter().map(|d| d.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DropReason::COUNT);
        for d in DropReason::ALL {
            assert_eq!(DropReason::from_name(d.name()), Some(*d));
            assert!(!d.help().is_empty());
            assert!(d
                .name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        for s in Stat::ALL {
            assert_eq!(Stat::from_name(s.name()), Some(*s));
        }
    }

    #[test]
    fn counting() {
        let c = WorkerCounters::default();
        c.drop(DropReason::NoPdr);
        c.drops_n(DropReason::NoPdr, 2);
        c.stat(Stat::Rx);
        assert_eq!(c.drops(DropReason::NoPdr), 3);
        assert_eq!(c.total_drops(), 3);
        assert_eq!(c.stat_snapshot()[Stat::Rx as usize], 1);
        let mut l = LocalCounters::default();
        l.drop(DropReason::NoPdr);
        l.drops_n(DropReason::TxFull, 4);
        l.stat_n(Stat::Tx, 7);
        l.stat(Stat::Rx);
        l.uncount(Stat::Rx);
        assert_eq!(l.stats(Stat::Rx), 0);
        let shared = WorkerCounters::default();
        shared.publish(&l);
        assert_eq!(shared.drop_snapshot(), l.drop_snapshot());
        assert_eq!(shared.stat_snapshot(), l.stat_snapshot());
        assert_eq!(shared.total_drops(), 5);
    }
}
