//! Per-packet cost of the packet path with 100k sessions installed:
//! uplink (GTP-U decapsulation) and downlink (encapsulation with the PDU
//! Session Container). `cargo bench -p upf-core --bench path`.

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use upf_core::buf::{PacketBuf, VecBuf};
use upf_core::compile::compile;
use upf_core::path::{process, PathConfig, PathState, Verdict};
use upf_core::rules::*;
use upf_core::sdf::SdfFilter;
use upf_core::tables::{Tables, Update};

const SESSIONS: u32 = 100_000;
const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const GNB: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);

fn ue(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 + i)
}

/// A session as SMFs install them: uplink PDR (F-TEID, UE address, any
/// SDF), downlink PDR (UE address), two FARs, a flow QER with QFI, a URR.
fn session(i: u32) -> Session {
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
    let c = upf_core::wire::checksum::checksum(&p);
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
    p.extend(std::iter::repeat_n(0u8, payload));
    p
}

fn eth(mut l3: Vec<u8>) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    f.append(&mut l3);
    f
}

fn gpdu(teid: u32, inner: &[u8]) -> Vec<u8> {
    let mut outer = ipv4_udp(GNB, N3, 8 + inner.len());
    outer.truncate(28);
    outer[20..24].copy_from_slice(&[0x08, 0x68, 0x08, 0x68]);
    outer.extend_from_slice(&[0x30, 0xff, (inner.len() >> 8) as u8, inner.len() as u8]);
    outer.extend_from_slice(&teid.to_be_bytes());
    outer.extend_from_slice(inner);
    eth(outer)
}

fn bench(c: &mut Criterion) {
    let cfg = PathConfig {
        access_v4: Some(N3),
        core_v4: Some(Ipv4Addr::new(198, 51, 100, 1)),
        ..Default::default()
    };
    let mut tables = Tables::with_capacity(SESSIONS as usize);
    for i in 0..SESSIONS {
        tables.apply(Update::Install(Arc::new(
            compile(&session(i), None).unwrap(),
        )));
    }
    let mut st = PathState::new(&cfg);
    // 1024 frames spread over the sessions, 64-byte inner packets.
    let ul: Vec<Vec<u8>> = (0..1024u32)
        .map(|k| {
            let i = k.wrapping_mul(2_654_435_761) % SESSIONS;
            gpdu(i + 1, &ipv4_udp(ue(i), Ipv4Addr::new(203, 0, 113, 5), 36))
        })
        .collect();
    let dl: Vec<Vec<u8>> = (0..1024u32)
        .map(|k| {
            let i = k.wrapping_mul(2_654_435_761) % SESSIONS;
            eth(ipv4_udp(Ipv4Addr::new(203, 0, 113, 5), ue(i), 36))
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
