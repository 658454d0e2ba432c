//! Drives the packet path over a fixed set of frames for profiling with
//! instruction counters (`valgrind --tool=callgrind`), where wall-clock
//! timing is too noisy: `cargo build --release -p upf-core --example
//! path_profile && valgrind --tool=callgrind --toggle-collect='*process*'
//! target/release/examples/path_profile ul 1000 20000`.

use std::net::Ipv4Addr;
use std::sync::Arc;

use upf_core::buf::VecBuf;
use upf_core::compile::compile;
use upf_core::path::{process, PathConfig, PathState, Verdict};
use upf_core::rules::*;
use upf_core::sdf::SdfFilter;
use upf_core::tables::{Tables, Update};

const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const GNB: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);

fn ue(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 + i)
}

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

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "ul".into());
    let sessions: u32 = args.next().map_or(1000, |s| s.parse().unwrap());
    let packets: usize = args.next().map_or(20_000, |s| s.parse().unwrap());
    let cfg = PathConfig {
        access_v4: Some(N3),
        core_v4: Some(Ipv4Addr::new(198, 51, 100, 1)),
        ..Default::default()
    };
    let mut tables = Tables::with_capacity(sessions as usize);
    for i in 0..sessions {
        tables.apply(Update::Install(Arc::new(
            compile(&session(i), None).unwrap(),
        )));
    }
    let frames: Vec<Vec<u8>> = (0..sessions.min(4096))
        .map(|i| {
            if dir == "ul" {
                let inner = ipv4_udp(ue(i), Ipv4Addr::new(203, 0, 113, 5), 18);
                let mut outer = ipv4_udp(GNB, N3, 8 + inner.len());
                outer.truncate(28);
                outer[20..24].copy_from_slice(&[0x08, 0x68, 0x08, 0x68]);
                outer.extend_from_slice(&[0x30, 0xff, 0, inner.len() as u8]);
                outer.extend_from_slice(&(i + 1).to_be_bytes());
                outer.extend_from_slice(&inner);
                eth(outer)
            } else {
                eth(ipv4_udp(Ipv4Addr::new(203, 0, 113, 5), ue(i), 18))
            }
        })
        .collect();
    let ingress = if dir == "ul" {
        Interface::Access
    } else {
        Interface::Core
    };
    let mut st = PathState::new(&cfg);
    let mut buf = VecBuf::new(&frames[0]);
    let mut fwd = 0u64;
    for k in 0..packets {
        buf.reset(&frames[k % frames.len()], 128);
        if let Verdict::Forward { .. } =
            process(&cfg, &tables, &mut st, ingress, &mut buf, k as u64)
        {
            fwd += 1;
        }
    }
    println!("{dir}: {fwd} of {packets} forwarded");
}
