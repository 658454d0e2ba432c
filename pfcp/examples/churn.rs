//! Session churn at a steady rate through the sans-IO node and a worker
//! draining into `Tables`: establish a population, then modify (switch
//! the downlink tunnel) and delete/re-establish sessions at `rate`
//! operations per second for `duration` seconds, answering the node's
//! heartbeats as an SMF would, and print resident memory every 10 s.
//!
//! ```sh
//! cargo run --release -p pfcp --example churn -- [rate] [seconds] [population]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use pfcp::ie::*;
use pfcp::message::*;
use pfcp::node::{Node, Transmit};
use pfcp::Message;
use upf_core::publish::Publisher;

struct Smf {
    seq: u32,
    next_cp: u64,
    /// UP SEID per slot of the population.
    slots: Vec<u64>,
    ops: [u64; 3],
    failures: u64,
}

impl Smf {
    fn seq(&mut self) -> u32 {
        self.seq = self.seq % 0x00ff_fff0 + 1;
        self.seq
    }

    /// Sends `bytes`, waits for the answer to `seq` (answering the node's
    /// heartbeats meanwhile), returns it.
    fn exchange(&mut self, node: &mut Node<Publisher>, bytes: &[u8], seq: u32) -> Message {
        node.handle(Instant::now(), common::smf(), bytes);
        loop {
            let now = Instant::now();
            node.handle_timeout(now);
            match node.poll_transmit(now) {
                Some(t) => {
                    if let Some(m) = self.take(node, t, seq) {
                        return m;
                    }
                }
                None => std::thread::yield_now(),
            }
        }
    }

    fn take(&mut self, node: &mut Node<Publisher>, t: Transmit, seq: u32) -> Option<Message> {
        let (h, m) = Message::decode(&t.payload).ok()?;
        match m {
            Message::HeartbeatRequest(_) => {
                let rsp = HeartbeatResponse {
                    recovery_time_stamp: RecoveryTimeStamp(3_899_000_000),
                    ..Default::default()
                }
                .encode(h.sequence, None)
                .unwrap();
                node.handle(Instant::now(), common::smf(), &rsp);
                None
            }
            m if h.sequence == seq => Some(m),
            _ => None,
        }
    }

    fn establish(&mut self, node: &mut Node<Publisher>) -> u64 {
        self.next_cp += 1;
        let cp = self.next_cp;
        let seq = self.seq();
        let bytes = common::establishment(cp, common::ue(cp))
            .encode(seq, Some(0))
            .unwrap();
        match self.exchange(node, &bytes, seq) {
            Message::SessionEstablishmentResponse(r) if r.cause.0 == 1 => r.up_f_seid.unwrap().seid,
            _ => {
                self.failures += 1;
                0
            }
        }
    }

    fn modify(&mut self, node: &mut Node<Publisher>, up: u64, teid: u32) {
        let seq = self.seq();
        let bytes = common::switch_downlink(teid).encode(seq, Some(up)).unwrap();
        if !matches!(self.exchange(node, &bytes, seq), Message::SessionModificationResponse(r) if r.cause.0 == 1)
        {
            self.failures += 1;
        }
    }

    fn delete(&mut self, node: &mut Node<Publisher>, up: u64) {
        let seq = self.seq();
        let bytes = SessionDeletionRequest::default()
            .encode(seq, Some(up))
            .unwrap();
        if !matches!(self.exchange(node, &bytes, seq), Message::SessionDeletionResponse(r) if r.cause.0 == 1)
        {
            self.failures += 1;
        }
    }
}

/// The `upf` binary's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let rate: u64 = args.next().map_or(2000, |a| a.parse().unwrap());
    let seconds: u64 = args.next().map_or(600, |a| a.parse().unwrap());
    let population: usize = args.next().map_or(100_000, |a| a.parse().unwrap());
    let (mut node, worker) = common::node(population * 2);
    let mut smf = Smf {
        seq: 1,
        next_cp: 0,
        slots: Vec::with_capacity(population),
        ops: [0; 3],
        failures: 0,
    };
    let rss0 = common::rss_kib();
    for _ in 0..population {
        let up = smf.establish(&mut node);
        smf.slots.push(up);
    }
    println!(
        "t=0s population {} established, VmRSS {:.1} MiB (+{:.1} MiB)",
        node.session_count(),
        common::rss_kib() as f64 / 1024.0,
        (common::rss_kib() - rss0) as f64 / 1024.0
    );
    let start = Instant::now();
    let mut next_print = Duration::from_secs(10);
    let mut done = 0u64;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        // Pace: `rate` operations per second.
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
        if done >= due {
            let now = Instant::now();
            node.handle_timeout(now);
            while let Some(t) = node.poll_transmit(now) {
                smf.take(&mut node, t, 0);
            }
            while node.poll_event().is_some() {}
            std::thread::sleep(Duration::from_micros(200));
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let slot = (x % population as u64) as usize;
            let up = smf.slots[slot];
            if x >> 62 == 0 {
                // A quarter of the operations: delete and establish again.
                smf.delete(&mut node, up);
                smf.slots[slot] = smf.establish(&mut node);
                smf.ops[1] += 1;
                smf.ops[2] += 1;
            } else {
                smf.modify(&mut node, up, (x >> 32) as u32);
                smf.ops[0] += 1;
            }
            while node.poll_event().is_some() {}
            done += 1;
        }
        if start.elapsed() >= next_print {
            next_print += Duration::from_secs(10);
            println!(
                "t={}s sessions {} ops {} (mod {} del {} est {}) failures {} VmRSS {:.1} MiB",
                start.elapsed().as_secs(),
                node.session_count(),
                done,
                smf.ops[0],
                smf.ops[1],
                smf.ops[2],
                smf.failures,
                common::rss_kib() as f64 / 1024.0
            );
        }
    }
    node.check_invariants().unwrap();
    let tables = worker.stop();
    assert_eq!(tables.len(), node.session_count());
    println!(
        "done: {} ops in {:.0} s, {} failures, {} sessions, VmRSS {:.1} MiB",
        done,
        start.elapsed().as_secs_f64(),
        smf.failures,
        node.session_count(),
        common::rss_kib() as f64 / 1024.0
    );
    assert_eq!(smf.failures, 0);
}
