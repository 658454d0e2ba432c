//! Egress scheduling by QoS class through the real poll loop: a worker
//! over `net_ring` ports the test fills and drains, on a clock the test
//! moves; the N3 attachment has an egress rate (the gNB's link).
//!
//! - Overloaded three times by a low-priority flow (5QI 9) while a
//!   high-priority one (QFI 1, priority level 20) sends a tenth of the
//!   rate: the high flow keeps at least 99% of its packets and its 99th
//!   percentile delay stays within twice the uncongested one; the low
//!   flow gets the rest (above its minimum share) and its excess is
//!   dropped as `sched_queue_full`.
//! - With the high flow alone above the rate, the low flow still gets its
//!   minimum share.
//! - Unshaped, with a transmit ring that drains slower than traffic
//!   arrives: the scheduler keeps what the ring refuses (no `tx_full`),
//!   and the high flow goes first.
//!
//! Delays are in simulated time: a packet sent at clock `t` and taken
//! from the TX ring after the clock moved to `t + step` waited one step.
//!
//! Needs DPDK's `net_ring` driver.

mod common;

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use common::ringio::{Rig, GNB, N3};
use common::sessions::{rules, SessionSpec};
use dataplane::EgressSchedule;
use upf_core::counters::DropReason;
use upf_core::qos::GUARANTEED_QUEUE;

static SERIAL: Mutex<()> = Mutex::new(());

const LOW: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 10);
const HIGH: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 11);
const LOW_TEID: u32 = 0x2000;
const HIGH_TEID: u32 = 0x2001;
/// IP packets of 942 bytes make 1000-byte frames on N3 (Ethernet, outer
/// IPv4, UDP, GTP-U with the PDU Session Container: 58 bytes).
const IP_LEN: usize = 942;
const FRAME: u64 = 1000;
/// 8 Mbit/s: 1000 frames per second.
const RATE_BPS: u64 = 8_000_000;
/// 10 ms: 10 frames per step at the rate.
const STEP: u64 = 10_000_000;
const CLASS_LOW: usize = 5; // priority level 90
const CLASS_HIGH: usize = 1; // priority level 20

fn install(rig: &mut Rig) {
    for (seid, ue, teid, qfi, ul) in [(1, LOW, LOW_TEID, 9, 0x100), (2, HIGH, HIGH_TEID, 1, 0x101)]
    {
        rig.install(rules(
            &SessionSpec {
                seid,
                ue,
                ul_teid: ul,
                dl_teid: teid,
                n3: N3,
                gnb: GNB,
                qfi,
            },
            None,
        ));
    }
}

/// Per flow (TEID): frames delivered and their delays in steps.
#[derive(Default)]
struct Flows(HashMap<u32, Vec<u64>>);

impl Flows {
    fn take(&mut self, rig: &mut Rig, bursts: usize) {
        for f in rig.n3.recv_bursts(bursts) {
            assert_eq!(f.len() as u64, FRAME);
            let sent_at = common::ringio::stamp_of(&f);
            self.0
                .entry(Rig::teid_of(&f))
                .or_default()
                .push((rig.now - sent_at) / STEP);
        }
    }
    fn count(&self, teid: u32) -> u64 {
        self.0.get(&teid).map_or(0, |v| v.len() as u64)
    }
    fn p99(&self, teid: u32) -> u64 {
        let mut d = self.0.get(&teid).cloned().unwrap_or_default();
        d.sort_unstable();
        d.get((d.len() * 99).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or(0)
    }
}

fn schedule() -> EgressSchedule {
    EgressSchedule {
        rate_bps: RATE_BPS,
        // One step's worth: the shaper refills once a step here (a worker
        // polling continuously refills every few microseconds).
        burst_bytes: STEP * RATE_BPS / 8 / 1_000_000_000,
        queue_limit: 64,
        min_share_permille: 50,
        priority_levels: Vec::new(),
    }
}

#[test]
fn high_priority_keeps_its_packets_and_delay_under_3x_overload() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut rig = Rig::new(1, Some(schedule()), 4096);
    install(&mut rig);

    // Uncongested: the high flow alone, one packet every step (10%).
    let mut alone = Flows::default();
    for _ in 0..100 {
        rig.send_dl(0, HIGH, IP_LEN, rig.now);
        rig.step(STEP);
        alone.take(&mut rig, usize::MAX);
    }
    assert_eq!(alone.count(HIGH_TEID), 100);

    // Congested: 30 low packets a step (3x the rate) and the high flow.
    let mut mixed = Flows::default();
    let steps = 300;
    for _ in 0..steps {
        for _ in 0..30 {
            rig.send_dl(0, LOW, IP_LEN, rig.now);
        }
        rig.send_dl(0, HIGH, IP_LEN, rig.now);
        rig.step(STEP);
        mixed.take(&mut rig, usize::MAX);
    }
    // What is still queued leaves in the next steps.
    for _ in 0..10 {
        rig.step(STEP);
        mixed.take(&mut rig, usize::MAX);
    }
    let stats = rig.stop();
    let (high, low) = (mixed.count(HIGH_TEID), mixed.count(LOW_TEID));
    eprintln!(
        "high: {high} of {steps}, p99 delay {} steps (alone: {}); low: {low} of {}; sched drops {:?}",
        mixed.p99(HIGH_TEID),
        alone.p99(HIGH_TEID),
        30 * steps,
        stats.workers[0].sched_dropped
    );
    assert!(high * 100 >= steps * 99, "high delivered {high} of {steps}");
    assert!(
        mixed.p99(HIGH_TEID) <= 2 * alone.p99(HIGH_TEID).max(1),
        "high p99 {} steps, alone {}",
        mixed.p99(HIGH_TEID),
        alone.p99(HIGH_TEID)
    );
    // The link was full: the low flow got the rest, far above its
    // minimum share.
    let capacity = (steps + 10) * STEP * RATE_BPS / 8 / FRAME / 1_000_000_000;
    assert!(
        (high + low) * 100 >= capacity * 98 && high + low <= capacity + 3,
        "sent {} of a capacity of {capacity}",
        high + low
    );
    assert!(low * 1000 >= (high + low) * 50, "low share");
    // Excess dropped by name, and only there.
    let w = &stats.workers[0];
    assert_eq!(stats.drops(DropReason::SchedQueueFull), 30 * steps - low);
    assert_eq!(w.sched_dropped[CLASS_LOW], 30 * steps - low);
    assert_eq!(stats.total_drops(), 30 * steps - low);
    assert_eq!(w.sched_sent[CLASS_HIGH], 100 + high);
    assert_eq!(w.sched_sent[CLASS_LOW], low);
    assert_eq!(w.sched_sent[GUARANTEED_QUEUE], 0);
}

#[test]
fn low_priority_keeps_its_minimum_share() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut rig = Rig::new(1, Some(schedule()), 4096);
    install(&mut rig);
    let mut flows = Flows::default();
    for _ in 0..300 {
        // High alone would fill the link twice.
        for _ in 0..20 {
            rig.send_dl(0, HIGH, IP_LEN, rig.now);
        }
        for _ in 0..10 {
            rig.send_dl(0, LOW, IP_LEN, rig.now);
        }
        rig.step(STEP);
        flows.take(&mut rig, usize::MAX);
    }
    rig.stop();
    let (high, low) = (flows.count(HIGH_TEID), flows.count(LOW_TEID));
    eprintln!("high {high}, low {low}");
    // 5% of the link owed to a backlogged class (served a whole packet at
    // a time once it is owed one: to within 0.1 point).
    assert!(
        low * 1000 >= (high + low) * 49,
        "low {low} of {}",
        high + low
    );
    assert!(high > low * 10, "high still dominates");
}

#[test]
fn full_tx_ring_keeps_packets_queued_and_serves_high_priority_first() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Unshaped; the N3 TX ring holds 63 frames and the link takes one
    // burst (at most 32) a step.
    let sched = EgressSchedule {
        rate_bps: 0,
        ..schedule()
    };
    let mut rig = Rig::new(1, Some(sched), 64);
    install(&mut rig);
    let mut flows = Flows::default();
    let steps = 200;
    for _ in 0..steps {
        for _ in 0..96 {
            rig.send_dl(0, LOW, IP_LEN, rig.now);
        }
        for _ in 0..3 {
            rig.send_dl(0, HIGH, IP_LEN, rig.now);
        }
        rig.step(STEP);
        flows.take(&mut rig, 1);
    }
    for _ in 0..10 {
        rig.step(STEP);
        flows.take(&mut rig, 1);
    }
    let stats = rig.stop();
    let (high, low) = (flows.count(HIGH_TEID), flows.count(LOW_TEID));
    eprintln!(
        "high {high} of {}, p99 delay {} steps; low {low}; drops {:?}",
        3 * steps,
        flows.p99(HIGH_TEID),
        stats.workers[0].sched_dropped
    );
    assert_eq!(high, 3 * steps, "every high packet");
    assert!(flows.p99(HIGH_TEID) <= 3, "high waits behind the ring only");
    assert_eq!(
        stats.drops(DropReason::TxFull),
        0,
        "nothing dropped at the ring"
    );
    assert!(stats.drops(DropReason::SchedQueueFull) > 0);
    assert!(low > 0);
}
