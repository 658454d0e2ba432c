//! Session modifications through the sans-IO node, one at a time: establish
//! `sessions` sessions (the shape of `bench_establish`), then switch the
//! downlink tunnel of FAR 2 with SNDEM (as `churn` does) `modifications`
//! times, round robin over the sessions. Each modification is encoded,
//! handled (decode, rule model, compile, publish to a `Publisher` that a
//! worker thread drains into `Tables`), answered once applied, and the
//! response decoded. For instruction counts, run it under callgrind at two
//! values of `modifications` and divide the difference.
//!
//! ```sh
//! cargo run --release -p pfcp --example bench_modify -- [sessions] [modifications]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use pfcp::message::MessageBody;
use pfcp::node::Node;
use pfcp::Message;
use upf_core::publish::Publisher;

/// Sends `bytes` and returns the node's answer to `seq`.
fn exchange(node: &mut Node<Publisher>, bytes: &[u8], seq: u32) -> Message {
    node.handle(Instant::now(), common::smf(), bytes);
    loop {
        match node.poll_transmit(Instant::now()) {
            Some(t) => {
                let (h, m) = Message::decode(&t.payload).unwrap();
                if h.sequence == seq {
                    return m;
                }
            }
            None => std::thread::yield_now(),
        }
    }
}

/// The `upf` binary's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let sessions: u64 = args.next().map_or(1_000, |a| a.parse().unwrap());
    let modifications: u64 = args.next().map_or(10_000, |a| a.parse().unwrap());
    let (mut node, _worker) = common::node(sessions as usize + 16);
    let mut seq = 0u32;
    let mut ups = Vec::with_capacity(sessions as usize);
    for i in 0..sessions {
        seq += 1;
        let bytes = common::establishment(i + 1, common::ue(i))
            .encode(seq, Some(0))
            .unwrap();
        match exchange(&mut node, &bytes, seq) {
            Message::SessionEstablishmentResponse(r) if r.cause.0 == 1 => {
                ups.push(r.up_f_seid.unwrap().seid);
            }
            other => panic!("unexpected response {other:?}"),
        }
    }
    let start = Instant::now();
    for i in 0..modifications {
        seq = seq % 0x00ff_fff0 + 1;
        let up = ups[(i % sessions) as usize];
        let bytes = common::switch_downlink(0x1000_0000 + i as u32)
            .encode(seq, Some(up))
            .unwrap();
        match exchange(&mut node, &bytes, seq) {
            Message::SessionModificationResponse(r) if r.cause.0 == 1 => {}
            other => panic!("unexpected response {other:?}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sessions {sessions} modifications {modifications} in {secs:.2} s ({:.0}/s)",
        modifications as f64 / secs
    );
}
