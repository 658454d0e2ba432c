//! Usage counters of a URR, shared by every worker and every rule version.
//!
//! A URR's counters live in an `Arc<UsageCounters>` that compiled rule
//! versions carry over by URR ID, so a modification never loses counts
//! (DESIGN invariant 4). Workers add with relaxed atomics; the control side
//! reads (and resets, after a report) with `take`.

use core::sync::atomic::{AtomicU64, Ordering};

/// Volume and packet counts per direction, with first/last packet times.
#[derive(Debug, Default)]
pub struct UsageCounters {
    ul_bytes: AtomicU64,
    dl_bytes: AtomicU64,
    ul_packets: AtomicU64,
    dl_packets: AtomicU64,
    /// Time of the first packet, ns (0: none yet).
    first_ns: AtomicU64,
    /// Time of the last packet, ns.
    last_ns: AtomicU64,
}

/// A snapshot of [`UsageCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Uplink bytes.
    pub ul_bytes: u64,
    /// Downlink bytes.
    pub dl_bytes: u64,
    /// Uplink packets.
    pub ul_packets: u64,
    /// Downlink packets.
    pub dl_packets: u64,
    /// Time of the first packet counted, ns (0: none).
    pub first_ns: u64,
    /// Time of the last packet counted, ns.
    pub last_ns: u64,
}

impl Usage {
    /// Total bytes.
    pub fn total_bytes(&self) -> u64 {
        self.ul_bytes + self.dl_bytes
    }
    /// Total packets.
    pub fn total_packets(&self) -> u64 {
        self.ul_packets + self.dl_packets
    }
    /// Adds another snapshot.
    pub fn add(&mut self, o: &Usage) {
        self.ul_bytes += o.ul_bytes;
        self.dl_bytes += o.dl_bytes;
        self.ul_packets += o.ul_packets;
        self.dl_packets += o.dl_packets;
        if self.first_ns == 0 || (o.first_ns != 0 && o.first_ns < self.first_ns) {
            self.first_ns = o.first_ns;
        }
        self.last_ns = self.last_ns.max(o.last_ns);
    }
}

impl UsageCounters {
    /// Counts one packet of `bytes` in a direction at `now_ns`.
    #[inline]
    pub fn count(&self, uplink: bool, bytes: u64, now_ns: u64) {
        if uplink {
            self.ul_bytes.fetch_add(bytes, Ordering::Relaxed);
            self.ul_packets.fetch_add(1, Ordering::Relaxed);
        } else {
            self.dl_bytes.fetch_add(bytes, Ordering::Relaxed);
            self.dl_packets.fetch_add(1, Ordering::Relaxed);
        }
        if self.first_ns.load(Ordering::Relaxed) == 0 {
            let _ = self.first_ns.compare_exchange(
                0,
                now_ns.max(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
        if self.last_ns.load(Ordering::Relaxed) < now_ns {
            self.last_ns.fetch_max(now_ns, Ordering::Relaxed);
        }
    }

    /// Reads the counters.
    pub fn snapshot(&self) -> Usage {
        Usage {
            ul_bytes: self.ul_bytes.load(Ordering::Relaxed),
            dl_bytes: self.dl_bytes.load(Ordering::Relaxed),
            ul_packets: self.ul_packets.load(Ordering::Relaxed),
            dl_packets: self.dl_packets.load(Ordering::Relaxed),
            first_ns: self.first_ns.load(Ordering::Relaxed),
            last_ns: self.last_ns.load(Ordering::Relaxed),
        }
    }

    /// Reads and resets the counters, for a report that starts a new
    /// measurement. Each counter is swapped atomically, so a packet counted
    /// concurrently lands in exactly one of the two measurements.
    pub fn take(&self) -> Usage {
        Usage {
            ul_bytes: self.ul_bytes.swap(0, Ordering::Relaxed),
            dl_bytes: self.dl_bytes.swap(0, Ordering::Relaxed),
            ul_packets: self.ul_packets.swap(0, Ordering::Relaxed),
            dl_packets: self.dl_packets.swap(0, Ordering::Relaxed),
            first_ns: self.first_ns.swap(0, Ordering::Relaxed),
            last_ns: self.last_ns.swap(0, Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn count_and_take() {
        let c = UsageCounters::default();
        c.count(true, 100, 5);
        c.count(false, 40, 9);
        c.count(false, 60, 7);
        let u = c.snapshot();
        assert_eq!(
            (u.ul_bytes, u.dl_bytes, u.ul_packets, u.dl_packets),
            (100, 100, 1, 2)
        );
        assert_eq!((u.first_ns, u.last_ns), (5, 9));
        assert_eq!(c.take(), u);
        assert_eq!(c.snapshot(), Usage::default());
    }
}
