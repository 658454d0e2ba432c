//! Session establishments per second through the sans-IO node, end to end:
//! encode the request, `Node::handle` (decode, convert, allocate, compile,
//! publish to a `Publisher`), a worker thread drains its `Subscriber` into
//! `Tables`, the response is released only once applied, `poll_transmit`,
//! decode the response. Each session: 4 PDRs, 2 FARs, 1 QER, 1 URR.
//!
//! Latency is from `handle` to the response leaving `poll_transmit`; up to
//! `--window` requests are in flight. Then resident memory per session:
//! VmRSS before the node and its worker are created and after the last
//! session, so the node's and the worker's indexes and tables (sized for
//! the sessions when created) are included.
//!
//! ```sh
//! cargo run --release -p pfcp --example bench_establish -- [sessions] [window]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use pfcp::message::MessageBody;
use pfcp::Message;

/// The `upf` binary's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let sessions: u64 = args.next().map_or(1_000_000, |a| a.parse().unwrap());
    let window: u64 = args.next().map_or(64, |a| a.parse().unwrap());
    // The bench's own bookkeeping first (touched, so that it is not
    // counted), then the node and the worker: their pre-sized indexes and
    // tables count toward the sessions.
    let mut sent_at: Vec<Option<Instant>> = vec![None; 1 << 24];
    let mut lat_ns: Vec<u32> = vec![0; sessions as usize];
    lat_ns.clear();
    let rss_before = common::rss_kib();
    let (mut node, worker) = common::node(sessions as usize + 16);
    let smf = common::smf();

    let start = Instant::now();
    let cpu_start = common::thread_cpu_secs();
    let mut waiting = std::time::Duration::ZERO;
    let mut next = 0u64;
    let mut done = 0u64;
    let mut in_flight = 0u64;
    while done < sessions {
        while in_flight < window && next < sessions {
            let seq = (next as u32 % 0x00ff_fffe) + 1;
            let bytes = common::establishment(next + 1, common::ue(next))
                .encode(seq, Some(0))
                .unwrap();
            let now = Instant::now();
            sent_at[seq as usize] = Some(now);
            node.handle(now, smf, &bytes);
            next += 1;
            in_flight += 1;
        }
        let now = Instant::now();
        match node.poll_transmit(now) {
            Some(t) => {
                let (h, m) = Message::decode(&t.payload).unwrap();
                match m {
                    Message::SessionEstablishmentResponse(r) if r.cause.0 == 1 => {}
                    other => panic!("unexpected response {other:?}"),
                }
                let t0 = sent_at[h.sequence as usize]
                    .take()
                    .expect("one response per request");
                lat_ns.push(now.duration_since(t0).as_nanos().min(u128::from(u32::MAX)) as u32);
                done += 1;
                in_flight -= 1;
            }
            None => {
                // The worker has not applied yet: give it the core (this
                // machine is shared) and do not count the wait as work.
                let w = Instant::now();
                std::thread::yield_now();
                waiting += w.elapsed();
            }
        }
    }
    let elapsed = start.elapsed();
    let cpu = common::thread_cpu_secs() - cpu_start;
    let rss_after = common::rss_kib();
    assert_eq!(node.session_count() as u64, sessions);
    let tables = worker.stop();
    assert_eq!(tables.len() as u64, sessions);

    lat_ns.sort_unstable();
    let pct = |p: f64| {
        let i = ((lat_ns.len() as f64 * p) as usize).min(lat_ns.len() - 1);
        f64::from(lat_ns[i]) / 1000.0
    };
    let rate = sessions as f64 / elapsed.as_secs_f64();
    println!("sessions            {sessions} (window {window})");
    println!("elapsed             {:.2} s", elapsed.as_secs_f64());
    println!("establishments/s    {rate:.0}");
    println!(
        "control thread      {:.2} s CPU ({:.0} establishments per CPU-second), {:.2} s waiting for the worker",
        cpu,
        sessions as f64 / cpu.max(0.01),
        waiting.as_secs_f64()
    );
    println!(
        "latency us          p50 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}",
        pct(0.50),
        pct(0.99),
        pct(0.999),
        f64::from(*lat_ns.last().unwrap()) / 1000.0
    );
    let delta = rss_after.saturating_sub(rss_before);
    println!(
        "VmRSS               before {:.1} MiB  after {:.1} MiB  delta {:.1} MiB",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        delta as f64 / 1024.0
    );
    println!(
        "per session         {:.0} bytes (node state + compiled rules + worker tables + allocators)",
        delta as f64 * 1024.0 / sessions as f64
    );
}
