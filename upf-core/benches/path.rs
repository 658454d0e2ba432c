//! Per-packet cost of the packet path with 100k sessions installed:
//! uplink (GTP-U decapsulation) and downlink (encapsulation with the PDU
//! Session Container). `cargo bench -p upf-core --bench path`.
//!
//! Two working sets: `uplink_decap`/`downlink_encap` send the same 1,024
//! frames (1,024 sessions) every iteration, so the rules they touch stay in
//! cache (the path's compute cost); the `_cold` cases walk all 100,000
//! sessions, 1,024 new ones per iteration, so every packet finds its
//! session's rules and counters out of cache, as a worker does under real
//! load (there is no prefetch across packets here, unlike the worker loop).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use upf_core::buf::{PacketBuf, VecBuf};
use upf_core::compile::compile;
use upf_core::lab;
use upf_core::path::{process, PathState, Verdict};
use upf_core::rules::Interface;
use upf_core::tables::{Tables, Update};

const SESSIONS: u32 = 100_000;

fn bench(c: &mut Criterion) {
    let cfg = lab::path_config();
    let mut tables = Tables::with_capacity(SESSIONS as usize);
    for i in 0..SESSIONS {
        tables.apply(Update::Install(Arc::new(
            compile(&lab::session(i, None), None).unwrap(),
        )));
    }
    let mut st = PathState::new(&cfg);
    // 1024 frames spread over the sessions, 64-byte inner packets.
    let ul: Vec<Vec<u8>> = (0..1024u32)
        .map(|k| {
            let i = k.wrapping_mul(2_654_435_761) % SESSIONS;
            lab::uplink_frame(i, None, 36)
        })
        .collect();
    let dl: Vec<Vec<u8>> = (0..1024u32)
        .map(|k| {
            let i = k.wrapping_mul(2_654_435_761) % SESSIONS;
            lab::downlink_frame(i, 36)
        })
        .collect();

    let mut g = c.benchmark_group("path_100k_sessions");
    g.throughput(Throughput::Elements(ul.len() as u64));
    g.bench_function("uplink_decap", |b| {
        b.iter_batched_ref(
            || ul.iter().map(|f| VecBuf::new(f)).collect::<Vec<_>>(),
            |bufs| {
                for buf in bufs.iter_mut() {
                    let v = process(&cfg, &tables, &mut st, Interface::Access, buf, 1);
                    debug_assert!(matches!(v, Verdict::Forward { .. }));
                    black_box(v);
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("downlink_encap", |b| {
        b.iter_batched_ref(
            || dl.iter().map(|f| VecBuf::new(f)).collect::<Vec<_>>(),
            |bufs| {
                for buf in bufs.iter_mut() {
                    let v = process(&cfg, &tables, &mut st, Interface::Core, buf, 1);
                    debug_assert!(matches!(v, Verdict::Forward { .. }));
                    black_box(buf.len());
                }
            },
            BatchSize::LargeInput,
        )
    });
    // All sessions, in a scattered order, 1,024 further per iteration.
    // (k * 35,761 is a permutation: 35,761 is prime to 100,000.)
    let order: Vec<u32> = (0..u64::from(SESSIONS))
        .map(|k| (k * 35_761 % u64::from(SESSIONS)) as u32)
        .collect();
    let cold_ul: Vec<Vec<u8>> = order
        .iter()
        .map(|&i| lab::uplink_frame(i, None, 36))
        .collect();
    let cold_dl: Vec<Vec<u8>> = order.iter().map(|&i| lab::downlink_frame(i, 36)).collect();
    for (name, frames, iface) in [
        ("uplink_decap_cold", &cold_ul, Interface::Access),
        ("downlink_encap_cold", &cold_dl, Interface::Core),
    ] {
        let mut next = 0usize;
        g.bench_function(name, |b| {
            b.iter_batched_ref(
                || {
                    let start = next;
                    next = (next + 1024) % frames.len();
                    (0..1024)
                        .map(|k| VecBuf::new(&frames[(start + k) % frames.len()]))
                        .collect::<Vec<_>>()
                },
                |bufs| {
                    for buf in bufs.iter_mut() {
                        let v = process(&cfg, &tables, &mut st, iface, buf, 1);
                        debug_assert!(matches!(v, Verdict::Forward { .. }));
                        black_box(v);
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
    assert_eq!(
        st.counters.total_drops(),
        0,
        "every benchmark packet is forwarded"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
