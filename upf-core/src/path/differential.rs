//! The fast classification against the general one: on valid frames and on
//! frames with random header bytes changed or cut short, both must reach
//! the same verdict, leave the same bytes and count the same.

use core::net::Ipv4Addr;
use std::sync::Arc;

use super::{classify, process, Ctx, PathConfig, PathState, Verdict};
use crate::buf::{PacketBuf, VecBuf};
use crate::compile::compile;
use crate::counters::{DropReason, Stat};
use crate::rules::*;
use crate::sdf::SdfFilter;
use crate::tables::{Tables, Update};

const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const N6: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const GNB: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);

fn ue(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 + i)
}

fn session(i: u32, qfi: Option<u8>) -> Session {
    let mut s = Session::new(u64::from(i));
    s.create_far(Far::forward(1, ForwardingParameters::to(Interface::Core)))
        .unwrap();
    let mut dl = ForwardingParameters::to(Interface::Access);
    dl.outer_header_creation = Some(OuterHeaderCreation {
        kind: OuterHeaderCreationKind::GtpuUdpIpv4,
        teid: 0x8000_0000 | i,
        ipv4: Some(GNB),
        ipv6: None,
        port: None,
    });
    s.create_far(Far::forward(2, dl)).unwrap();
    s.create_qer(Qer {
        qfi: Some(9),
        ..Qer::open(1)
    })
    .unwrap();
    s.create_urr(Urr::volume(1)).unwrap();
    let mut ul = Pdi::new(Interface::Access);
    ul.local_fteid = Some(FTeid {
        teid: i + 1,
        ipv4: Some(N3),
        ipv6: None,
    });
    ul.ue_ip = Some(UeIpAddress {
        ipv4: Some(ue(i)),
        ipv6: None,
        ipv6_prefix_len: 64,
        is_destination: false,
    });
    ul.qfi = qfi;
    ul.sdf_filters = vec![SdfFilter::flow("permit out ip from any to assigned").unwrap()];
    s.create_pdr(Pdr {
        id: 1,
        precedence: 255,
        pdi: ul,
        outer_header_removal: Some(OuterHeaderRemoval::GtpuUdpIpv4),
        far_id: Some(1),
        qer_ids: vec![1],
        urr_ids: vec![1],
    })
    .unwrap();
    let mut dlp = Pdi::new(Interface::Core);
    dlp.ue_ip = Some(UeIpAddress {
        ipv4: Some(ue(i)),
        ipv6: None,
        ipv6_prefix_len: 64,
        is_destination: true,
    });
    s.create_pdr(Pdr {
        id: 2,
        precedence: 255,
        pdi: dlp,
        outer_header_removal: None,
        far_id: Some(2),
        qer_ids: vec![1],
        urr_ids: vec![1],
    })
    .unwrap();
    s
}

fn ipv4_udp(src: Ipv4Addr, dst: Ipv4Addr, payload: usize) -> Vec<u8> {
    let total = 28 + payload;
    let mut p = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0,
        0,
        64,
        17,
        0,
        0,
    ];
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = crate::wire::checksum::checksum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&[
        0x0f,
        0xa0,
        0,
        53,
        ((8 + payload) >> 8) as u8,
        (8 + payload) as u8,
        0,
        0,
    ]);
    p.extend(core::iter::repeat_n(0x5a, payload));
    p
}

/// Ethernet / IPv4 / UDP / GTP-U G-PDU, with an uplink PDU Session
/// Container when `qfi` is given.
fn gpdu(i: u32, qfi: Option<u8>) -> Vec<u8> {
    let inner = ipv4_udp(ue(i), Ipv4Addr::new(203, 0, 113, 5), 18);
    let mut gtp = match qfi {
        None => vec![0x30, 0xff, 0, 0],
        Some(_) => vec![0x34, 0xff, 0, 0],
    };
    gtp.extend_from_slice(&(i + 1).to_be_bytes());
    if let Some(q) = qfi {
        gtp.extend_from_slice(&[0, 0, 0, 0x85, 1, 0x10, q, 0]);
    }
    let glen = gtp.len() - 8 + inner.len();
    gtp[2..4].copy_from_slice(&(glen as u16).to_be_bytes());
    gtp.extend_from_slice(&inner);
    let mut outer = ipv4_udp(GNB, N3, gtp.len());
    outer.truncate(28);
    outer[20..24].copy_from_slice(&[0x08, 0x68, 0x08, 0x68]);
    outer.extend_from_slice(&gtp);
    eth(outer)
}

fn eth(mut l3: Vec<u8>) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    f.append(&mut l3);
    f
}

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
    let cfg = PathConfig {
        access_v4: Some(N3),
        core_v4: Some(N6),
        ..PathConfig::default()
    };
    let mut tables = Tables::with_capacity(64);
    for i in 0..8 {
        let qfi = (i % 2 == 1).then_some(9);
        tables.apply(Update::Install(Arc::new(
            compile(&session(i, qfi), None).unwrap(),
        )));
    }
    let mut bases = Vec::new();
    for i in 0..8 {
        bases.push((gpdu(i, None), Interface::Access));
        bases.push((gpdu(i, Some(9)), Interface::Access));
        bases.push((gpdu(i, Some(5)), Interface::Access));
        bases.push((
            eth(ipv4_udp(Ipv4Addr::new(203, 0, 113, 5), ue(i), 18)),
            Interface::Core,
        ));
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
