//! Per-packet cost of the packet path with 100k sessions installed:
//! uplink (GTP-U decapsulation) and downlink (encapsulation with the PDU
//! Session Container). `cargo bench -p upf-core --bench path`.

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
    g.finish();
    assert_eq!(
        st.counters.total_drops(),
        0,
        "every benchmark packet is forwarded"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
