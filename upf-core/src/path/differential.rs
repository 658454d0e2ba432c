//! The fast classification against the general one: on valid frames and on
//! frames with random header bytes changed or cut short, both must reach
//! the same verdict, leave the same bytes and count the same.

use std::sync::Arc;

use super::{classify, process, ControlEvent, Ctx, PathConfig, PathState, Verdict};
use crate::buf::{PacketBuf, VecBuf};
use crate::compile::compile;
use crate::counters::{DropReason, Stat};
use crate::rules::Interface;
use crate::tables::{Tables, Update};

use crate::lab::{downlink_frame, path_config, session, uplink_frame};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

type Outcome = (Verdict, Vec<u8>, Vec<u64>, Vec<u64>);

fn run(cfg: &PathConfig, tables: &Tables, frame: &[u8], ingress: Interface, fast: bool) -> Outcome {
    let mut st = PathState::new(cfg);
    let mut buf = VecBuf::new(frame);
    let v = if fast {
        process(cfg, tables, &mut st, ingress, &mut buf, 1_000)
    } else {
        // `process` with the general classification only.
        st.counters.stat(Stat::Rx);
        let ctx = Ctx {
            cfg,
            tables,
            now_ns: 1_000,
            hint: None,
        };
        let v = classify::general(&ctx, &mut st, ingress, &mut buf);
        match v {
            Verdict::Drop(reason) => st.counters.drop(reason),
            // Buffered packets are counted as `buffered` (the dataplane keeps
            // them), everything else handed over as `to_control`.
            Verdict::Control(ControlEvent::Buffer { .. }) => {}
            Verdict::Control(_) => st.counters.stat(Stat::ToControl),
            Verdict::Forward { .. } | Verdict::Reply { .. } => {}
        }
        v
    };
    (
        v,
        buf.data().to_vec(),
        st.counters.drop_snapshot().to_vec(),
        st.counters.stat_snapshot().to_vec(),
    )
}

#[test]
fn fast_and_general_classification_agree() {
    let cfg = path_config();
    let mut tables = Tables::with_capacity(64);
    for i in 0..8 {
        let qfi = (i % 2 == 1).then_some(9);
        tables.apply(Update::Install(Arc::new(
            compile(&session(i, qfi), None).unwrap(),
        )));
    }
    let mut bases = Vec::new();
    for i in 0..8 {
        bases.push((uplink_frame(i, None, 18), Interface::Access));
        bases.push((uplink_frame(i, Some(9), 18), Interface::Access));
        bases.push((uplink_frame(i, Some(5), 18), Interface::Access));
        bases.push((downlink_frame(i, 18), Interface::Core));
    }
    // Valid frames: forwarded, and the same either way.
    let mut forwarded = 0;
    for (f, ingress) in &bases {
        let a = run(&cfg, &tables, f, *ingress, true);
        assert_eq!(a, run(&cfg, &tables, f, *ingress, false));
        forwarded += usize::from(matches!(a.0, Verdict::Forward { .. }));
    }
    assert!(forwarded >= 24, "{forwarded}");
    // Changed and cut frames.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200_000 {
        let (base, ingress) = &bases[rng.below(bases.len())];
        let mut f = base.clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(f.len().min(72));
            f[at] = match rng.below(4) {
                0 => rng.next() as u8,
                1 => f[at] ^ (1 << rng.below(8)),
                2 => f[at].wrapping_add(1),
                _ => f[at].wrapping_sub(1),
            };
        }
        if rng.below(8) == 0 {
            f.truncate(rng.below(f.len() + 1));
        }
        let a = run(&cfg, &tables, &f, *ingress, true);
        let b = run(&cfg, &tables, &f, *ingress, false);
        assert_eq!(a, b, "frame {f:02x?}");
        if let Verdict::Drop(r) = a.0 {
            seen.insert(r);
        }
    }
    for r in [
        DropReason::Malformed,
        DropReason::GtpuMalformed,
        DropReason::NoPdr,
        DropReason::OuterFragment,
        DropReason::TtlExceeded,
    ] {
        assert!(seen.contains(&r), "{r:?} never reached");
    }
}
