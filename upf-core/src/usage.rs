//! Usage counters of a URR, shared by every worker and every rule version.
//!
//! A URR's counters live in an `Arc<UsageCounters>` that compiled rule
//! versions carry over by URR ID, so a modification never loses counts
//! (DESIGN invariant 4). Workers add with relaxed atomics; the control side
//! reads (and resets, after a report) with `take`.

use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use crate::rules::Volume;

/// No quota.
const UNLIMITED: i64 = i64::MAX;

/// Volume and packet counts per direction, with first/last packet times,
/// and the remaining volume quota that the fast path enforces.
///
/// Laid out so that what every counted packet touches (the `limited` flag,
/// the counts and times) comes first, in 56 bytes: the dataplane
/// prefetches them ahead of the packet.
///
/// Aligned to 32 bytes, so that in an `Arc` (whose counts then take 32
/// bytes) the whole is 128 bytes: an allocator that aligns 128-byte blocks
/// to cache lines (the `upf` binary's does) gives each URR two lines of
/// its own, with no false sharing between workers counting for different
/// sessions. Aligned to 64 it took 192.
#[derive(Debug)]
#[repr(C, align(32))]
pub struct UsageCounters {
    /// Whether any quota applies (checked first, so unlimited URRs pay one load).
    limited: AtomicBool,
    /// Set by the control side when a time quota ran out.
    blocked: AtomicBool,
    ul_bytes: AtomicU64,
    dl_bytes: AtomicU64,
    ul_packets: AtomicU64,
    dl_packets: AtomicU64,
    /// Time of the first packet, ns (0: none yet).
    first_ns: AtomicU64,
    /// Time of the last packet, ns.
    last_ns: AtomicU64,
    /// Remaining volume quota in bytes: total, uplink, downlink.
    quota: [AtomicI64; 3],
}

impl Default for UsageCounters {
    fn default() -> Self {
        UsageCounters {
            ul_bytes: AtomicU64::new(0),
            dl_bytes: AtomicU64::new(0),
            ul_packets: AtomicU64::new(0),
            dl_packets: AtomicU64::new(0),
            first_ns: AtomicU64::new(0),
            last_ns: AtomicU64::new(0),
            limited: AtomicBool::new(false),
            quota: [
                AtomicI64::new(UNLIMITED),
                AtomicI64::new(UNLIMITED),
                AtomicI64::new(UNLIMITED),
            ],
            blocked: AtomicBool::new(false),
        }
    }
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
    /// Grants a volume quota (TS 29.244 §5.2.2.2.1): what is left of each
    /// given part, replacing any earlier grant; `None` removes the quota.
    pub fn set_volume_quota(&self, quota: Option<Volume>) {
        let q = quota.unwrap_or_default();
        let part = |v: Option<u64>| v.map_or(UNLIMITED, |b| b.min(UNLIMITED as u64) as i64);
        self.quota[0].store(part(q.total), Ordering::Relaxed);
        self.quota[1].store(part(q.uplink), Ordering::Relaxed);
        self.quota[2].store(part(q.downlink), Ordering::Relaxed);
        self.refresh_limited();
    }

    /// Stops (or resumes) forwarding for this URR, for a time quota that ran out.
    pub fn set_blocked(&self, blocked: bool) {
        self.blocked.store(blocked, Ordering::Relaxed);
        self.refresh_limited();
    }

    fn refresh_limited(&self) {
        let limited = self.blocked.load(Ordering::Relaxed)
            || self
                .quota
                .iter()
                .any(|q| q.load(Ordering::Relaxed) != UNLIMITED);
        self.limited.store(limited, Ordering::Release);
    }

    /// Remaining volume quota: total, uplink, downlink (`None`: no quota).
    pub fn remaining_quota(&self) -> [Option<u64>; 3] {
        core::array::from_fn(|i| {
            let v = self.quota[i].load(Ordering::Relaxed);
            (v != UNLIMITED).then_some(v.max(0) as u64)
        })
    }

    /// Whether the quota is used up (no packet passes any more).
    pub fn quota_exhausted(&self) -> bool {
        self.blocked.load(Ordering::Relaxed)
            || self.quota.iter().any(|q| q.load(Ordering::Relaxed) <= 0)
    }

    /// Whether a quota or a block applies ([`UsageCounters::admit`] has
    /// something to check).
    #[inline]
    pub fn limited(&self) -> bool {
        self.limited.load(Ordering::Relaxed)
    }

    /// Takes `bytes` from the quota that applies to a packet in this
    /// direction; `false` (nothing taken) when the quota cannot cover it.
    #[inline]
    pub fn admit(&self, uplink: bool, bytes: u64) -> bool {
        if !self.limited.load(Ordering::Relaxed) {
            return true;
        }
        if self.blocked.load(Ordering::Relaxed) {
            return false;
        }
        let b = bytes.min(UNLIMITED as u64) as i64;
        let dir = if uplink { 1 } else { 2 };
        let take = |i: usize| {
            let q = &self.quota[i];
            if q.load(Ordering::Relaxed) == UNLIMITED {
                return true;
            }
            if q.fetch_sub(b, Ordering::Relaxed) >= b {
                true
            } else {
                q.fetch_add(b, Ordering::Relaxed);
                false
            }
        };
        if !take(0) {
            return false;
        }
        if !take(dir) {
            if self.quota[0].load(Ordering::Relaxed) != UNLIMITED {
                self.quota[0].fetch_add(b, Ordering::Relaxed);
            }
            return false;
        }
        true
    }

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
        // A plain store: workers racing here may leave a time a burst older,
        // which is as precise as the clock they read.
        if self.last_ns.load(Ordering::Relaxed) < now_ns {
            self.last_ns.store(now_ns, Ordering::Relaxed);
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
    fn volume_quota_admits_until_used_up() {
        let c = UsageCounters::default();
        assert!(c.admit(true, 1_000_000), "no quota: everything passes");
        c.set_volume_quota(Some(Volume {
            total: Some(2500),
            uplink: None,
            downlink: Some(1000),
        }));
        assert!(c.admit(true, 1000));
        assert!(c.admit(false, 1000));
        assert!(!c.admit(false, 1), "downlink part used up");
        assert!(c.admit(true, 500));
        assert!(!c.admit(true, 1), "total used up");
        assert_eq!(c.remaining_quota(), [Some(0), None, Some(0)]);
        assert!(c.quota_exhausted());
        c.set_volume_quota(None);
        assert!(c.admit(false, 10_000));
        c.set_blocked(true);
        assert!(!c.admit(true, 1));
    }

    #[test]
    fn hot_fields_come_first_in_56_bytes() {
        assert_eq!(core::mem::offset_of!(UsageCounters, last_ns), 48);
        assert_eq!(core::mem::align_of::<UsageCounters>(), 32);
        assert_eq!(core::mem::size_of::<UsageCounters>(), 96);
    }

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
