//! A two-rate three-color meter (RFC 2698, color-blind) shared by every
//! worker that carries a flow.
//!
//! A QER's MBR is the peak rate (PIR) and its GBR the committed rate (CIR):
//! packets above the MBR are red and dropped, packets between GBR and MBR
//! are yellow (forwarded, best effort), packets within the GBR are green.
//! A QER without GBR meters with CIR = 0, so everything it passes is yellow;
//! one without MBR passes everything.
//!
//! The two buckets are atomics, so the meter holds one rate however many
//! workers carry the session's traffic (DESIGN invariant 3): a packet takes
//! its bytes with one `fetch_sub` per bucket and gives them back if the
//! bucket was short. Refill is lazy: the worker that first sees time move
//! claims the elapsed interval with a compare-exchange on the timestamp and
//! credits it, so each nanosecond is credited exactly once.

use core::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Token units per byte (fixed point, so slow rates still refill smoothly).
const UNIT_SHIFT: u32 = 16;
/// Fractional bits of the per-nanosecond rate.
const RATE_SHIFT: u32 = 32;

/// Meter result for a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// Within the committed (guaranteed) rate.
    Green,
    /// Above the committed rate, within the peak rate.
    Yellow,
    /// Above the peak rate.
    Red,
}

/// Rates and bursts of a meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterConfig {
    /// Peak information rate, bits per second (0: unlimited).
    pub pir_bps: u64,
    /// Peak burst size, bytes.
    pub pbs: u64,
    /// Committed information rate, bits per second (0: nothing is green).
    pub cir_bps: u64,
    /// Committed burst size, bytes.
    pub cbs: u64,
}

impl MeterConfig {
    /// A meter for `mbr_bps`/`gbr_bps` with bursts worth `burst_ms` of each
    /// rate, and never less than `min_burst` bytes (so one full-size packet
    /// always fits).
    pub fn from_rates(mbr_bps: u64, gbr_bps: u64, burst_ms: u64, min_burst: u64) -> Self {
        let burst =
            |bps: u64| ((u128::from(bps) * u128::from(burst_ms) / 8000) as u64).max(min_burst);
        MeterConfig {
            pir_bps: mbr_bps,
            pbs: if mbr_bps == 0 { 0 } else { burst(mbr_bps) },
            cir_bps: gbr_bps,
            cbs: if gbr_bps == 0 { 0 } else { burst(gbr_bps) },
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: AtomicI64,
    /// Token units per nanosecond, `RATE_SHIFT` fractional bits.
    rate: u64,
}

/// A bucket's size, bytes, where the meter has no such bucket (its rate
/// is 0): sizes live beside the buckets as `u32`, so a meter is 48 bytes.
const ABSENT: u32 = u32::MAX;

impl Bucket {
    /// The bucket for `bps` with `burst` bytes (clamped below [`ABSENT`]),
    /// and its size; absent for rate 0.
    fn for_rate(bps: u64, burst: u64) -> (Self, u32) {
        if bps == 0 {
            return (
                Bucket {
                    tokens: AtomicI64::new(0),
                    rate: 0,
                },
                ABSENT,
            );
        }
        let bytes_per_s = u128::from(bps) / 8;
        // Rounded up: each refill truncates less than one unit, so the rate
        // is never below the configured one.
        let rate = (bytes_per_s << (UNIT_SHIFT + RATE_SHIFT))
            .div_ceil(1_000_000_000)
            .min(u128::from(u64::MAX)) as u64;
        let size = burst.min(u64::from(ABSENT - 1)) as u32;
        (
            Bucket {
                tokens: AtomicI64::new(units(size)),
                rate,
            },
            size,
        )
    }

    #[inline]
    fn credit(&self, elapsed_ns: u64, size: i64) {
        let add = ((u128::from(elapsed_ns) * u128::from(self.rate)) >> RATE_SHIFT).min(size as u128)
            as i64;
        if add > 0 {
            self.tokens.fetch_add(add, Ordering::Relaxed);
            self.tokens.fetch_min(size, Ordering::Relaxed);
        }
    }

    /// Takes `units` if the bucket holds them.
    #[inline]
    fn take(&self, units: i64) -> bool {
        let before = self.tokens.fetch_sub(units, Ordering::Relaxed);
        if before >= units {
            true
        } else {
            self.tokens.fetch_add(units, Ordering::Relaxed);
            false
        }
    }
}

/// Token units of `bytes`.
#[inline]
fn units(bytes: u32) -> i64 {
    i64::from(bytes) << UNIT_SHIFT
}

/// A trTCM meter; see the module documentation.
///
/// 48 bytes: the configuration is not kept, only the buckets it gives
/// ([`Meter::is_for`] compares those).
#[derive(Debug)]
pub struct Meter {
    last_ns: AtomicU64,
    peak: Bucket,
    committed: Bucket,
    /// Bucket sizes, bytes ([`ABSENT`]: no such bucket).
    peak_size: u32,
    committed_size: u32,
}

impl Meter {
    /// A meter with full buckets, its clock starting at `now_ns`.
    pub fn new(cfg: MeterConfig, now_ns: u64) -> Self {
        let (peak, peak_size) = Bucket::for_rate(cfg.pir_bps, cfg.pbs);
        let (committed, committed_size) = Bucket::for_rate(cfg.cir_bps, cfg.cbs);
        Meter {
            last_ns: AtomicU64::new(now_ns),
            peak,
            committed,
            peak_size,
            committed_size,
        }
    }

    /// Whether the meter meters as one made for `cfg` would: same rates
    /// and bucket sizes (a meter is kept across rule versions while so).
    pub fn is_for(&self, cfg: MeterConfig) -> bool {
        let (p, ps) = Bucket::for_rate(cfg.pir_bps, cfg.pbs);
        let (c, cs) = Bucket::for_rate(cfg.cir_bps, cfg.cbs);
        (p.rate, ps, c.rate, cs)
            == (
                self.peak.rate,
                self.peak_size,
                self.committed.rate,
                self.committed_size,
            )
    }

    /// Colors a packet of `bytes` at `now_ns`, taking its tokens unless red.
    #[inline]
    pub fn color(&self, bytes: u64, now_ns: u64) -> Color {
        self.refill(now_ns);
        let units = (bytes << UNIT_SHIFT).min(i64::MAX as u64) as i64;
        if self.peak_size != ABSENT && !self.peak.take(units) {
            return Color::Red;
        }
        if self.committed_size != ABSENT && self.committed.take(units) {
            Color::Green
        } else {
            Color::Yellow
        }
    }

    #[inline]
    fn refill(&self, now_ns: u64) {
        let last = self.last_ns.load(Ordering::Relaxed);
        if now_ns <= last {
            return;
        }
        if self
            .last_ns
            .compare_exchange(last, now_ns, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            // Another worker claimed this interval (or a later one).
            return;
        }
        let elapsed = now_ns - last;
        for (b, size) in [
            (&self.peak, self.peak_size),
            (&self.committed, self.committed_size),
        ] {
            if size != ABSENT {
                b.credit(elapsed, units(size));
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn rfc2698_color_blind_sequence() {
        // PIR 8 kbit/s = 1000 B/s, PBS 1000 B; CIR 4 kbit/s = 500 B/s, CBS 500 B.
        let m = Meter::new(
            MeterConfig {
                pir_bps: 8000,
                pbs: 1000,
                cir_bps: 4000,
                cbs: 500,
            },
            0,
        );
        // Tp=1000, Tc=500.
        assert_eq!(m.color(400, 0), Color::Green); // Tp=600, Tc=100
        assert_eq!(m.color(200, 0), Color::Yellow); // Tc short: Tp=400
        assert_eq!(m.color(500, 0), Color::Red); // Tp short, nothing taken
        assert_eq!(m.color(400, 0), Color::Yellow); // Tp=0, Tc=100
        assert_eq!(m.color(1, 0), Color::Red);
        // 200 ms later: Tp += 200, Tc += 100 (Tc=200).
        assert_eq!(m.color(150, 200 * MS), Color::Green); // Tp=50, Tc=50
        assert_eq!(m.color(60, 200 * MS), Color::Red);
        // Buckets never exceed their size: after 10 s, Tp=1000, Tc=500.
        assert_eq!(m.color(1000, 10_200 * MS), Color::Yellow);
        assert_eq!(m.color(1, 10_200 * MS), Color::Red);
    }

    #[test]
    fn unlimited_and_no_gbr() {
        let open = Meter::new(
            MeterConfig {
                pir_bps: 0,
                pbs: 0,
                cir_bps: 0,
                cbs: 0,
            },
            0,
        );
        for _ in 0..1000 {
            assert_eq!(open.color(1500, 0), Color::Yellow);
        }
        let cfg = MeterConfig::from_rates(8_000_000, 0, 10, 1500);
        assert_eq!(cfg.pbs, 10_000);
        assert_eq!(cfg.cbs, 0);
    }

    #[test]
    fn long_run_rate_holds() {
        // 10 Mbit/s peak, offered 20 Mbit/s of 1000-byte packets for 5 s:
        // delivered within 1% of 10 Mbit/s plus the initial burst.
        let cfg = MeterConfig::from_rates(10_000_000, 0, 10, 1500);
        let m = Meter::new(cfg, 0);
        let mut passed = 0u64;
        let interval = 400_000; // 2500 packets/s = 20 Mbit/s
        for k in 0..12_500u64 {
            if m.color(1000, k * interval) != Color::Red {
                passed += 1000;
            }
        }
        let expected = 10_000_000 / 8 * 5 + cfg.pbs;
        let err = (passed as f64 - expected as f64).abs() / expected as f64;
        assert!(err < 0.01, "passed {passed} expected {expected}");
    }

    #[test]
    fn shared_by_threads_holds_one_rate() {
        use std::sync::Arc;
        let cfg = MeterConfig::from_rates(8_000_000, 0, 1, 1500); // 1 MB/s
        let m = Arc::new(Meter::new(cfg, 0));
        // Two "workers" each offer 1 MB/s in the same simulated second.
        let handles: Vec<_> = (0..2)
            .map(|w| {
                let m = m.clone();
                std::thread::spawn(move || {
                    let mut passed = 0u64;
                    for k in 0..1000u64 {
                        if m.color(1000, k * MS + w) != Color::Red {
                            passed += 1000;
                        }
                    }
                    passed
                })
            })
            .collect();
        let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        let expected = 1_000_000 + cfg.pbs;
        // Never above the rate (plus one packet of slack for a concurrent
        // refill); at most a few percent below when the workers race.
        assert!(total <= expected + 1000, "total {total} above {expected}");
        assert!(
            total as f64 >= expected as f64 * 0.97,
            "total {total} far below {expected}"
        );
    }

    #[test]
    fn a_meter_knows_its_rates_without_keeping_them() {
        let cfg = MeterConfig::from_rates(10_000_000, 2_000_000, 20, 3000);
        let m = Meter::new(cfg, 0);
        assert!(m.is_for(cfg));
        assert!(!m.is_for(MeterConfig::from_rates(10_000_000, 0, 20, 3000)));
        assert!(!m.is_for(MeterConfig::from_rates(20_000_000, 2_000_000, 20, 3000)));
        assert!(!m.is_for(MeterConfig::from_rates(10_000_000, 2_000_000, 40, 3000)));
        assert_eq!(core::mem::size_of::<Meter>(), 48);
    }
}
