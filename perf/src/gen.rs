//! The packet loop of the load generator on DPDK ports: paced TX from the
//! [`Generator`]'s templates, RX of what the UPF sends back, validation and
//! latency.
//!
//! One thread runs the whole loop (TX, then RX of both sides, per
//! iteration), so TX and RX timestamps come from one clock. Nothing is
//! allocated per packet: mbufs come from the pool in bulk, frames are
//! template copies patched in place, bursts are fixed-capacity arrays.

use std::time::Duration;

use dataplane::eal::{tsc_cycles, Eal};
use dataplane::mbuf::{Burst, Mbuf, BURST_SIZE};
use dataplane::mempool::Mempool;
use dataplane::port::{RxQueue, TxQueue};
use dataplane::ring::{MbufRing, RingConsumer};
use dataplane::StopFlag;

use crate::check::Checker;
use crate::latency::Latency;
use crate::traffic::{Direction, Generator, Pacer};

/// Somewhere to send bursts: an ethdev TX queue or a ring.
pub trait TxSide: Send {
    /// Sends from the front of `b`; what was not taken stays. Returns how
    /// many were taken.
    fn tx(&mut self, b: &mut Burst) -> usize;
}

/// Somewhere to receive bursts from: an ethdev RX queue or a ring.
pub trait RxSide: Send {
    /// Appends what arrived to `b`; returns how many.
    fn rx(&mut self, b: &mut Burst) -> usize;
}

impl TxSide for TxQueue {
    #[inline]
    fn tx(&mut self, b: &mut Burst) -> usize {
        self.tx_burst(b)
    }
}

impl RxSide for RxQueue {
    #[inline]
    fn rx(&mut self, b: &mut Burst) -> usize {
        self.rx_burst(b)
    }
}

impl TxSide for MbufRing {
    #[inline]
    fn tx(&mut self, b: &mut Burst) -> usize {
        self.enqueue_burst(b)
    }
}

impl RxSide for RingConsumer {
    #[inline]
    fn rx(&mut self, b: &mut Burst) -> usize {
        self.dequeue_burst(b)
    }
}

/// One side of the generator: where it receives and where it sends.
pub type Side = (Box<dyn RxSide>, Box<dyn TxSide>);

/// The generator's side of the ports: it sends uplink toward the UPF's N3
/// and downlink toward its N6, and receives what the UPF forwards.
pub struct PeerQueues {
    /// Facing the UPF's N3: uplink out, downlink back.
    pub n3: Option<Side>,
    /// Facing the UPF's N6: downlink out, uplink back.
    pub n6: Option<Side>,
}

impl std::fmt::Debug for PeerQueues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerQueues")
            .field("n3", &self.n3.is_some())
            .field("n6", &self.n6.is_some())
            .finish()
    }
}

/// How to run the loop.
#[derive(Debug, Clone, Copy)]
pub struct LoopConfig {
    /// Packets per second; 0 = as fast as TX accepts.
    pub pps: u64,
    /// Measured time.
    pub duration: Duration,
    /// Time before measuring (results discarded).
    pub warmup: Duration,
    /// Largest TX burst.
    pub burst: u32,
    /// Stop sending this long before the end, to collect what is in flight.
    pub drain: Duration,
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig {
            pps: 0,
            duration: Duration::from_secs(2),
            warmup: Duration::from_millis(500),
            burst: BURST_SIZE as u32,
            drain: Duration::from_millis(20),
        }
    }
}

/// What the loop saw during the measured time.
#[derive(Debug, Clone, Default)]
pub struct LoopStats {
    /// Packets handed to TX and accepted.
    pub sent: u64,
    /// Bytes accepted by TX (frames, without FCS).
    pub sent_bytes: u64,
    /// Packets TX did not accept (freed).
    pub tx_full: u64,
    /// Frames received back.
    pub received: u64,
    /// Bytes received back.
    pub received_bytes: u64,
    /// Mbuf allocation failures (bursts skipped).
    pub no_mbufs: u64,
    /// Measured seconds.
    pub seconds: f64,
}

impl LoopStats {
    /// Packets sent per second.
    pub fn tx_pps(&self) -> f64 {
        self.sent as f64 / self.seconds.max(1e-9)
    }
    /// Packets received per second.
    pub fn rx_pps(&self) -> f64 {
        self.received as f64 / self.seconds.max(1e-9)
    }
}

/// TSC to nanoseconds since `t0`.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    t0: u64,
    mult: u64,
}

impl Clock {
    /// A clock starting now.
    pub fn new(hz: u64) -> Clock {
        Clock {
            t0: tsc_cycles(),
            mult: ((1_000_000_000u128 << 32) / u128::from(hz.max(1))) as u64,
        }
    }
    /// Nanoseconds at cycle `tsc`.
    #[inline]
    pub fn ns(&self, tsc: u64) -> u64 {
        ((u128::from(tsc.wrapping_sub(self.t0)) * u128::from(self.mult)) >> 32) as u64
    }
}

fn tx_side(q: &mut PeerQueues, dir: Direction) -> Option<&mut Box<dyn TxSide>> {
    match dir {
        Direction::Uplink => q.n3.as_mut().map(|(_, t)| t),
        Direction::Downlink => q.n6.as_mut().map(|(_, t)| t),
    }
}

#[allow(clippy::too_many_arguments)]
/// Runs the loop until the time is up or `stop` is set. `progress` is
/// called about once a second with the figures so far.
pub fn run(
    gen: &mut Generator,
    checker: &mut Checker,
    latency: &mut Latency,
    queues: &mut PeerQueues,
    pool: &Mempool,
    cfg: LoopConfig,
    stop: &StopFlag,
    mut progress: impl FnMut(&LoopStats),
) -> LoopStats {
    let hz = Eal::get().map_or(1_000_000_000, |e| e.tsc_hz());
    let clock = Clock::new(hz);
    let cyc = |d: Duration| (d.as_nanos() * u128::from(hz) / 1_000_000_000) as u64;
    let start = tsc_cycles();
    let measure_at = start + cyc(cfg.warmup);
    let send_until = measure_at + cyc(cfg.duration.saturating_sub(cfg.drain));
    let end = measure_at + cyc(cfg.duration);
    let second = cyc(Duration::from_secs(1));
    let mut next_report = start + second;
    let mut pacer = Pacer::new(hz, cfg.pps, cfg.burst.min(BURST_SIZE as u32), start);
    let mut st = LoopStats::default();
    let mut measuring = false;
    let mut ul = Burst::new();
    let mut dl = Burst::new();
    let mut fresh = Burst::new();
    let mut rx = Burst::new();

    loop {
        let now = tsc_cycles();
        if now >= end || stop.is_stopped() {
            break;
        }
        if !measuring && now >= measure_at {
            measuring = true;
            st = LoopStats::default();
            checker.good = [0; 2];
            checker.wrong = [0; crate::check::Wrong::COUNT];
            *latency = Latency::new();
        }
        if now >= next_report {
            next_report += second;
            if measuring {
                st.seconds = now.saturating_sub(measure_at) as f64 / hz as f64;
            }
            progress(&st);
        }

        // TX: a burst of whatever the pacer allows.
        let n = if now < send_until {
            pacer.allowance(now) as usize
        } else {
            0
        };
        if n > 0 {
            if Mbuf::alloc_bulk(pool, &mut fresh, n).is_err() {
                st.no_mbufs += 1;
            } else {
                let now_ns = clock.ns(now);
                for mut m in fresh.drain(..) {
                    let len = gen.next_len();
                    let Some(buf) = m.append(len) else {
                        continue;
                    };
                    let e = gen.write_next(now_ns, buf);
                    let b = if e.dir == Direction::Uplink {
                        &mut ul
                    } else {
                        &mut dl
                    };
                    let _ = b.try_push(m);
                }
                pacer.sent(n as u32);
                for (dir, b) in [(Direction::Uplink, &mut ul), (Direction::Downlink, &mut dl)] {
                    if b.is_empty() {
                        continue;
                    }
                    let bytes: usize = b.iter().map(Mbuf::pkt_len).sum();
                    let offered = b.len();
                    let sent = match tx_side(queues, dir) {
                        Some(q) => q.tx(b),
                        None => 0,
                    };
                    st.sent += sent as u64;
                    st.sent_bytes += if sent == offered {
                        bytes as u64
                    } else {
                        bytes as u64 * sent as u64 / offered as u64
                    };
                    st.tx_full += b.len() as u64;
                    b.clear();
                }
            }
        }

        // RX: downlink output arrives facing N3, uplink output facing N6.
        for dir in [Direction::Downlink, Direction::Uplink] {
            let q = match dir {
                Direction::Downlink => queues.n3.as_mut(),
                Direction::Uplink => queues.n6.as_mut(),
            };
            let Some((rq, _)) = q else { continue };
            if rq.rx(&mut rx) == 0 {
                continue;
            }
            let now_ns = clock.ns(tsc_cycles());
            for m in rx.iter() {
                st.received += 1;
                st.received_bytes += m.pkt_len() as u64;
                if let Ok(g) = checker.check(dir, m.data()) {
                    if measuring {
                        latency.record(now_ns.saturating_sub(g.stamp.tx_ns));
                    }
                }
            }
            rx.clear();
        }
    }
    st.seconds = (tsc_cycles().saturating_sub(measure_at)) as f64 / hz as f64;
    st
}
