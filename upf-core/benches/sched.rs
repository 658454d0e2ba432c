//! Cost of the egress scheduler per packet (enqueue plus dequeue), next
//! to the QER meter's per-packet cost, in bursts of 32 as the worker
//! moves them. `cargo bench -p upf-core --bench sched`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use upf_core::qos::{Color, Meter, MeterConfig, SchedConfig, Scheduler};

const BURST: u64 = 32;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("qos");
    g.throughput(Throughput::Elements(BURST));
    // Shaped far above what the loop offers, so every packet leaves: the
    // full cost of one enqueue and one dequeue, refill included.
    for (name, classes) in [("sched_one_class", 1usize), ("sched_four_classes", 4)] {
        let mut s: Scheduler<u64> = Scheduler::new(SchedConfig {
            rate_bps: 400_000_000_000,
            burst_bytes: 1 << 20,
            queue_limit: 1024,
            min_share_permille: 50,
        });
        let mut now = 0u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                for i in 0..BURST {
                    let class = (i as usize % classes) * 2;
                    let _ = s.enqueue(i, class, Color::Yellow, 100);
                }
                now += 1_000;
                while let Some(x) = s.dequeue(now) {
                    black_box(x);
                }
            })
        });
    }
    let mut s: Scheduler<u64> = Scheduler::new(SchedConfig {
        rate_bps: 400_000_000_000,
        burst_bytes: 1 << 20,
        queue_limit: 1024,
        min_share_permille: 50,
    });
    let mut now = 0u64;
    let mut out = Vec::with_capacity(BURST as usize);
    g.bench_function("sched_requeue_half", |b| {
        // A TX ring that takes half of each burst: the other half is put back
        // (the queues fill up to their limit and stay there).
        b.iter(|| {
            out.clear();
            for i in 0..BURST {
                let _ = s.enqueue(i, (i % 4) as usize, Color::Yellow, 100);
            }
            now += 1_000;
            while out.len() < BURST as usize {
                match s.dequeue_ticket(now) {
                    Some(x) => out.push(x),
                    None => break,
                }
            }
            while out.len() > BURST as usize / 2 {
                let (x, t) = out.pop().unwrap();
                s.requeue(x, t);
            }
            black_box(&out);
        })
    });
    let m = Meter::new(MeterConfig::from_rates(400_000_000_000, 0, 20, 3000), 0);
    let mut now = 0u64;
    g.bench_function("meter_mbr", |b| {
        // One `now` per burst, as a worker meters a burst.
        b.iter(|| {
            now += 1_000;
            for _ in 0..BURST {
                black_box(m.color(100, now));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
