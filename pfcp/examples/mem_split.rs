//! Where a session's memory goes: establishes sessions through the node
//! (the shape of `bench_establish`) with a counting allocator, then frees
//! the parts one by one and reports the live heap (bytes and allocations)
//! each held, per session:
//!
//! - the worker's lookup tables,
//! - the node (session state, indexes, response cache),
//! - the compiled `SessionRules` (with their meters and usage counters);
//!
//! and how many allocations one establishment makes in all.
//!
//! ```sh
//! cargo run --release -p pfcp --example mem_split -- [sessions]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use pfcp::message::MessageBody;

struct Counting;

static BYTES: AtomicI64 = AtomicI64::new(0);
static ALLOCS: AtomicI64 = AtomicI64::new(0);
static TOTAL_ALLOCS: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        BYTES.fetch_add(l.size() as i64, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        TOTAL_ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        BYTES.fetch_sub(l.size() as i64, Ordering::Relaxed);
        ALLOCS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        BYTES.fetch_add(n as i64 - l.size() as i64, Ordering::Relaxed);
        TOTAL_ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn live() -> (i64, i64) {
    (
        BYTES.load(Ordering::Relaxed),
        ALLOCS.load(Ordering::Relaxed),
    )
}

fn main() {
    let sessions: u64 = std::env::args()
        .nth(1)
        .map_or(100_000, |a| a.parse().unwrap());
    let (mut node, worker) = common::node(sessions as usize + 16);
    let smf = common::smf();
    let before = live();
    let total_before = TOTAL_ALLOCS.load(Ordering::Relaxed);
    let mut seids = Vec::with_capacity(sessions as usize);
    let mut next = 0u64;
    let mut done = 0u64;
    while done < sessions {
        while next < sessions && next - done < 64 {
            let seq = (next as u32 % 0x00ff_fffe) + 1;
            let bytes = common::establishment(next + 1, common::ue(next))
                .encode(seq, Some(0))
                .unwrap();
            node.handle(Instant::now(), smf, &bytes);
            next += 1;
        }
        match node.poll_transmit(Instant::now()) {
            Some(t) => {
                let (_, m) = pfcp::Message::decode(&t.payload).unwrap();
                let pfcp::Message::SessionEstablishmentResponse(r) = m else {
                    panic!("{m:?}")
                };
                seids.push(r.up_f_seid.unwrap().seid);
                done += 1;
            }
            None => std::thread::yield_now(),
        }
    }
    let seids_bytes = (seids.capacity() * 8) as i64;
    let made = TOTAL_ALLOCS.load(Ordering::Relaxed) - total_before;
    let total = live();
    let rules: Vec<_> = seids
        .iter()
        .map(|s| node.session_rules(*s).unwrap().clone())
        .collect();
    let tables = worker.stop();
    let with_tables = live();
    drop(tables);
    let no_tables = live();
    drop(node);
    let no_node = live();
    drop(rules);
    let no_rules = live();
    let n = sessions as f64;
    let per = |a: (i64, i64), b: (i64, i64)| ((a.0 - b.0) as f64 / n, (a.1 - b.1) as f64 / n);
    let show = |what: &str, (b, a): (f64, f64)| {
        println!("{what:<34} {b:>8.0} bytes {a:>6.1} allocations per session");
    };
    println!("sessions {sessions}");
    println!(
        "allocations and reallocations made per establishment, request and response encoding and decoding included: {:.1}",
        made as f64 / n
    );
    show(
        "all (live heap after establishing)",
        per((total.0 - seids_bytes, total.1 - 1), before),
    );
    show("worker tables", per(with_tables, no_tables));
    show("node (state, indexes, cache)", per(no_tables, no_node));
    show("compiled rules", per(no_node, no_rules));
    println!(
        "sizes: SessionRules {} CompiledPdr {} (hot {}) CompiledFar {} CompiledQer {} CompiledUrr {} Session {} Pdr {} Far {} Urr {}",
        size_of::<upf_core::compile::SessionRules>(),
        size_of::<upf_core::compile::CompiledPdr>(),
        upf_core::compile::PDR_HOT_BYTES,
        size_of::<upf_core::compile::CompiledFar>(),
        size_of::<upf_core::compile::CompiledQer>(),
        size_of::<upf_core::compile::CompiledUrr>(),
        size_of::<upf_core::rules::Session>(),
        size_of::<upf_core::rules::Pdr>(),
        size_of::<upf_core::rules::Far>(),
        size_of::<upf_core::rules::Urr>(),
    );
}
