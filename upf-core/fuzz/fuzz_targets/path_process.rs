//! The whole packet path on arbitrary frames, arriving on either side, with
//! sessions installed (uplink tunnels over IPv4 and IPv6 with SDF filters,
//! downlink encapsulation, an N9 relay). It must never panic, and a dropped
//! or control-bound frame must be left unchanged.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use upf_core::buf::{PacketBuf, VecBuf};
use upf_core::compile::compile;
use upf_core::path::{process, PathConfig, PathState, Verdict};
use upf_core::rules::*;
use upf_core::sdf::SdfFilter;
use upf_core::tables::{Tables, Update};

const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const N3V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 3, 0, 0, 0, 0, 1);

fn session(seid: u64, teid: u32, ue: Ipv4Addr, ue6: Ipv6Addr, relay: bool) -> Session {
    let mut s = Session::new(seid);
    let mut core = ForwardingParameters::to(Interface::Core);
    if relay {
        core.outer_header_creation = Some(OuterHeaderCreation {
            kind: OuterHeaderCreationKind::GtpuUdpIpv6,
            teid: 0x77,
            ipv4: None,
            ipv6: Some(Ipv6Addr::new(0x2001, 0xdb8, 9, 0, 0, 0, 0, 9)),
            port: None,
        });
    }
    s.create_far(Far::forward(1, core)).unwrap();
    let mut dl = ForwardingParameters::to(Interface::Access);
    dl.outer_header_creation = Some(OuterHeaderCreation {
        kind: OuterHeaderCreationKind::GtpuUdpIpv4,
        teid: teid + 0x1000,
        ipv4: Some(Ipv4Addr::new(192, 0, 2, 10)),
        ipv6: None,
        port: None,
    });
    s.create_far(Far::forward(2, dl)).unwrap();
    s.create_far(Far::drop(3)).unwrap();
    s.create_qer(Qer { qfi: Some(9), rqi: true, ppi: Some(3), ..Qer::open(1) }).unwrap();
    s.create_urr(Urr::volume(1)).unwrap();
    for (id, prec, sdf, far) in [
        (1u16, 10u32, "permit out 17 from 203.0.113.0/24 53,5000-6000 to assigned", 1u32),
        (2, 20, "permit out 6 from !198.51.100.0/24 to assigned 80", 3),
        (3, 30, "permit out ip from any to assigned", 1),
    ] {
        let mut pdi = Pdi::new(Interface::Access);
        pdi.local_fteid = Some(FTeid { teid, ipv4: Some(N3), ipv6: Some(N3V6) });
        pdi.ue_ip = Some(UeIpAddress { ipv4: Some(ue), ipv6: Some(ue6), ipv6_prefix_len: 64, is_destination: false });
        pdi.sdf_filters = vec![SdfFilter::flow(sdf).unwrap()];
        pdi.qfi = (id == 1).then_some(9);
        s.create_pdr(Pdr {
            id,
            precedence: prec,
            pdi,
            outer_header_removal: Some(OuterHeaderRemoval::GtpuUdpIp),
            far_id: Some(far),
            qer_ids: vec![1],
            urr_ids: vec![1],
        })
        .unwrap();
    }
    let mut pdi = Pdi::new(Interface::Core);
    pdi.ue_ip = Some(UeIpAddress { ipv4: Some(ue), ipv6: Some(ue6), ipv6_prefix_len: 64, is_destination: true });
    s.create_pdr(Pdr {
        id: 10,
        precedence: 100,
        pdi,
        outer_header_removal: None,
        far_id: Some(2),
        qer_ids: vec![1],
        urr_ids: vec![1],
    })
    .unwrap();
    s
}

struct World {
    cfg: PathConfig,
    tables: Tables,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let cfg = PathConfig {
            access_v4: Some(N3),
            access_v6: Some(N3V6),
            core_v4: Some(Ipv4Addr::new(198, 51, 100, 1)),
            core_v6: Some(Ipv6Addr::new(0x2001, 0xdb8, 6, 0, 0, 0, 0, 1)),
            ..PathConfig::default()
        };
        let mut tables = Tables::with_capacity(8);
        for (seid, teid, relay) in [(1u64, 1u32, false), (2, 0x100, true)] {
            let ue = Ipv4Addr::new(10, 45, 0, seid as u8 + 1);
            let ue6 = Ipv6Addr::new(0x2001, 0xdb8, 0x45, seid as u16, 0, 0, 0, 0);
            let rules = compile(&session(seid, teid, ue, ue6, relay), None).unwrap();
            tables.apply(Update::Install(Arc::new(rules)));
        }
        World { cfg, tables }
    })
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    if data.is_empty() {
        return;
    }
    // First byte picks the side and the clock; the rest is the frame.
    let ingress = if data[0] & 1 == 0 { Interface::Access } else { Interface::Core };
    let now = u64::from(data[0]) * 1_000_003;
    let frame = &data[1..];
    let mut st = PathState::new(&w.cfg);
    let mut buf = VecBuf::with_headroom(frame, usize::from(data[0] >> 1));
    match process(&w.cfg, &w.tables, &mut st, ingress, &mut buf, now) {
        Verdict::Drop(_) | Verdict::Control(_) => assert_eq!(buf.data(), frame),
        Verdict::Forward { .. } | Verdict::Reply { .. } => assert!(!buf.is_empty()),
    }
});
