//! The packet path on scapy-built frames: uplink decapsulation with PDR
//! precedence over overlapping SDF filters, downlink encapsulation with the
//! QFI, Echo and Error Indication answers, and bad input as counted drops.
//! Vectors: tests/path_vectors/gen_path.py (scapy), committed as path.json.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use upf_core::buf::{PacketBuf, VecBuf};
use upf_core::compile::{compile, SessionRules};
use upf_core::counters::{DropReason, Stat};
use upf_core::path::{process, PathConfig, PathState, Verdict};
use upf_core::rules::*;
use upf_core::sdf::SdfFilter;
use upf_core::tables::{Tables, Update};

const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const N6: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const GNB: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const UE: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 2);

fn ul_pdr(id: u16, precedence: u32, sdf: &str, qfi: Option<u8>, far: u32, urr: Option<u32>) -> Pdr {
    let mut pdi = Pdi::new(Interface::Access);
    pdi.local_fteid = Some(FTeid {
        teid: 0x100,
        ipv4: Some(N3),
        ipv6: None,
    });
    pdi.ue_ip = Some(UeIpAddress {
        ipv4: Some(UE),
        ipv6: None,
        ipv6_prefix_len: 64,
        is_destination: false,
    });
    pdi.sdf_filters = vec![SdfFilter::flow(sdf).unwrap()];
    pdi.qfi = qfi;
    Pdr {
        id,
        precedence,
        pdi,
        outer_header_removal: Some(OuterHeaderRemoval::GtpuUdpIpv4),
        far_id: Some(far),
        qer_ids: vec![],
        urr_ids: urr.into_iter().collect(),
    }
}

fn session() -> Session {
    let mut s = Session::new(1);
    s.create_far(Far::forward(1, ForwardingParameters::to(Interface::Core)))
        .unwrap();
    s.create_far(Far::drop(2)).unwrap();
    let mut dl = ForwardingParameters::to(Interface::Access);
    dl.outer_header_creation = Some(OuterHeaderCreation {
        kind: OuterHeaderCreationKind::GtpuUdpIpv4,
        teid: 0x2000,
        ipv4: Some(GNB),
        ipv6: None,
        port: None,
    });
    s.create_far(Far::forward(10, dl)).unwrap();
    s.create_qer(Qer {
        qfi: Some(9),
        ..Qer::open(1)
    })
    .unwrap();
    s.create_qer(Qer {
        mbr: Some(BitRate {
            ul_kbps: 100_000,
            dl_kbps: 200_000,
        }),
        ..Qer::open(2)
    })
    .unwrap();
    for id in [1, 2, 3, 10] {
        s.create_urr(Urr::volume(id)).unwrap();
    }
    s.create_pdr(ul_pdr(
        1,
        100,
        "permit out 17 from 203.0.113.0/24 to assigned",
        None,
        1,
        Some(1),
    ))
    .unwrap();
    s.create_pdr(ul_pdr(
        2,
        50,
        "permit out 17 from 203.0.113.5 53 to assigned",
        None,
        1,
        Some(2),
    ))
    .unwrap();
    s.create_pdr(ul_pdr(
        3,
        200,
        "permit out ip from any to assigned",
        None,
        1,
        Some(3),
    ))
    .unwrap();
    s.create_pdr(ul_pdr(
        4,
        10,
        "permit out 6 from 203.0.113.0/24 22 to assigned",
        None,
        2,
        None,
    ))
    .unwrap();
    s.create_pdr(ul_pdr(
        5,
        1,
        "permit out ip from any to assigned",
        Some(5),
        2,
        None,
    ))
    .unwrap();
    let mut pdi = Pdi::new(Interface::Core);
    pdi.ue_ip = Some(UeIpAddress {
        ipv4: Some(UE),
        ipv6: None,
        ipv6_prefix_len: 64,
        is_destination: true,
    });
    s.create_pdr(Pdr {
        id: 10,
        precedence: 100,
        pdi,
        outer_header_removal: None,
        far_id: Some(10),
        qer_ids: vec![2, 1],
        urr_ids: vec![10],
    })
    .unwrap();
    s
}

fn config() -> PathConfig {
    PathConfig {
        access_v4: Some(N3),
        core_v4: Some(N6),
        ..PathConfig::default()
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn install(rules: &Arc<SessionRules>) -> Tables {
    let mut t = Tables::with_capacity(16);
    t.apply(Update::Install(rules.clone()));
    t
}

#[test]
fn scapy_vectors() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/path_vectors/path.json"
    ))
    .unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert!(cases.len() >= 15);
    let rules = Arc::new(compile(&session(), None).unwrap());
    let tables = install(&rules);
    let cfg = config();

    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let input = unhex(case["input"].as_str().unwrap());
        // Fresh state per case: IPv4 identification starts at 1 as in the vectors.
        let mut st = PathState::new(&cfg);
        let mut buf = VecBuf::new(&input);
        let verdict = process(&cfg, &tables, &mut st, Interface::Access, &mut buf, 1_000);
        let verdict = if name.starts_with("dl_") || name == "oversized_after_encap" {
            // Downlink frames arrive on the core side.
            let mut st2 = PathState::new(&cfg);
            let mut buf2 = VecBuf::new(&input);
            let v = process(&cfg, &tables, &mut st2, Interface::Core, &mut buf2, 1_000);
            buf = buf2;
            st = st2;
            v
        } else {
            verdict
        };
        match case["verdict"].as_str().unwrap() {
            "forward" => {
                assert!(
                    matches!(verdict, Verdict::Forward { .. }),
                    "{name}: {verdict:?}"
                );
                assert_eq!(
                    hex(buf.data()),
                    case["expected"].as_str().unwrap(),
                    "{name}: output bytes"
                );
            }
            "reply" => {
                assert!(
                    matches!(verdict, Verdict::Reply { .. }),
                    "{name}: {verdict:?}"
                );
                assert_eq!(
                    hex(buf.data()),
                    case["expected"].as_str().unwrap(),
                    "{name}: reply bytes"
                );
            }
            "drop" => {
                let reason = DropReason::from_name(case["reason"].as_str().unwrap()).unwrap();
                assert_eq!(verdict, Verdict::Drop(reason), "{name}");
                assert_eq!(st.counters.drops(reason), 1, "{name}: drop counted once");
                assert_eq!(
                    buf.data(),
                    &input[..],
                    "{name}: a dropped frame is left as it was"
                );
            }
            v => panic!("unknown verdict {v}"),
        }
        if let Some(pdr) = case.get("urr").and_then(|u| u.as_u64()) {
            // The URR of the matched PDR counted this packet.
            let usage = rules.urr_counters(pdr as u32).unwrap().snapshot();
            assert!(usage.total_packets() >= 1, "{name}: URR {pdr} counted");
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn gpdu(teid: u32, inner: &[u8]) -> Vec<u8> {
    // Ethernet / IPv4 / UDP / GTP-U G-PDU without extension headers.
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xa, 0x08, 0x00];
    let total = 20 + 8 + 8 + inner.len();
    let mut ip = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0,
        0,
        64,
        17,
        0,
        0,
    ];
    ip.extend_from_slice(&GNB.octets());
    ip.extend_from_slice(&N3.octets());
    let c = upf_core::wire::checksum::checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    let ulen = 8 + 8 + inner.len();
    f.extend_from_slice(&[0x08, 0x68, 0x08, 0x68, (ulen >> 8) as u8, ulen as u8, 0, 0]);
    f.extend_from_slice(&[0x30, 0xff, (inner.len() >> 8) as u8, inner.len() as u8]);
    f.extend_from_slice(&teid.to_be_bytes());
    f.extend_from_slice(inner);
    f
}

fn udp_v4(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, payload: usize) -> Vec<u8> {
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
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&[((8 + payload) >> 8) as u8, (8 + payload) as u8, 0, 0]);
    p.extend(std::iter::repeat_n(0xab, payload));
    p
}

#[test]
fn usage_counts_exact_bytes_across_rule_update() {
    let cfg = config();
    let v1 = Arc::new(compile(&session(), None).unwrap());
    let mut tables = install(&v1);
    let mut st = PathState::new(&cfg);
    let inner = udp_v4(UE, Ipv4Addr::new(203, 0, 113, 5), 4000, 53, 100);
    let mut sent = 0u64;
    for _ in 0..10 {
        let mut b = VecBuf::new(&gpdu(0x100, &inner));
        assert!(matches!(
            process(&cfg, &tables, &mut st, Interface::Access, &mut b, 5),
            Verdict::Forward { .. }
        ));
        sent += inner.len() as u64;
    }
    // A modification (new QER) compiles a new version: the URR keeps counting.
    let mut s2 = session();
    s2.create_qer(Qer::open(3)).unwrap();
    let v2 = Arc::new(compile(&s2, Some(&v1)).unwrap());
    tables.apply(Update::Install(v2.clone()));
    for _ in 0..5 {
        let mut b = VecBuf::new(&gpdu(0x100, &inner));
        assert!(matches!(
            process(&cfg, &tables, &mut st, Interface::Access, &mut b, 9),
            Verdict::Forward { .. }
        ));
        sent += inner.len() as u64;
    }
    let u = v2.urr_counters(2).unwrap().snapshot();
    assert_eq!((u.ul_bytes, u.ul_packets, u.dl_bytes), (sent, 15, 0));
    assert_eq!((u.first_ns, u.last_ns), (5, 9));
    assert_eq!(st.counters.stats(Stat::Decap), 15);
}

#[test]
fn gate_closed_drops_and_counts_nothing() {
    let cfg = config();
    let mut s = session();
    s.update_qer(Qer {
        gate_dl: GateStatus::Closed,
        qfi: Some(9),
        ..Qer::open(1)
    })
    .unwrap();
    let rules = Arc::new(compile(&s, None).unwrap());
    let tables = install(&rules);
    let mut st = PathState::new(&cfg);
    let mut frame = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xb, 0x08, 0x00];
    frame.extend(udp_v4(Ipv4Addr::new(203, 0, 113, 5), UE, 53, 4000, 10));
    let mut b = VecBuf::new(&frame);
    assert_eq!(
        process(&cfg, &tables, &mut st, Interface::Core, &mut b, 1),
        Verdict::Drop(DropReason::GateClosed)
    );
    assert_eq!(
        rules.urr_counters(10).unwrap().snapshot().total_packets(),
        0
    );
}

#[test]
fn buffering_far_hands_frame_to_control_unchanged() {
    let cfg = config();
    let mut s = session();
    s.create_bar(Bar {
        id: 1,
        dl_data_notification_delay_ms: None,
        suggested_buffering_packets: Some(10),
    })
    .unwrap();
    s.update_far(Far {
        apply_action: ApplyAction::BUFF | ApplyAction::NOCP,
        bar_id: Some(1),
        ..Far::drop(10)
    })
    .unwrap();
    let rules = Arc::new(compile(&s, None).unwrap());
    let tables = install(&rules);
    let mut st = PathState::new(&cfg);
    let mut frame = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xb, 0x08, 0x00];
    frame.extend(udp_v4(Ipv4Addr::new(203, 0, 113, 5), UE, 53, 4000, 10));
    let mut b = VecBuf::new(&frame);
    let v = process(&cfg, &tables, &mut st, Interface::Core, &mut b, 1);
    assert_eq!(
        v,
        Verdict::Control(upf_core::path::ControlEvent::Buffer {
            seid: 1,
            pdr_id: 10,
            far_id: 10,
            notify: true
        })
    );
    assert_eq!(b.data(), &frame[..]);
    // Counted as buffered, not as handed to the control thread.
    assert_eq!(st.counters.stats(Stat::Buffered), 1);
    assert_eq!(st.counters.stats(Stat::ToControl), 0);
}

#[test]
fn error_indications_are_rate_limited() {
    let cfg = PathConfig {
        error_indication_rate: 3,
        ..config()
    };
    let tables = Tables::with_capacity(1);
    let mut st = PathState::new(&cfg);
    let inner = udp_v4(UE, Ipv4Addr::new(203, 0, 113, 5), 4000, 53, 10);
    let mut replies = 0;
    for _ in 0..10 {
        let mut b = VecBuf::new(&gpdu(0x4242, &inner));
        if matches!(
            process(&cfg, &tables, &mut st, Interface::Access, &mut b, 0),
            Verdict::Reply { .. }
        ) {
            replies += 1;
        }
    }
    assert_eq!(replies, 3);
    assert_eq!(st.counters.drops(DropReason::UnknownTeid), 10);
    assert_eq!(st.counters.drops(DropReason::ErrorIndicationRateLimited), 7);
    assert_eq!(st.counters.stats(Stat::ErrorIndication), 3);
}

#[test]
fn n9_relay_reencapsulates_with_uplink_container() {
    // An intermediate UPF: uplink from N3 leaves on N9 in a new tunnel.
    let cfg = config();
    let mut s = Session::new(2);
    let mut fp = ForwardingParameters::to(Interface::Core);
    let psa = Ipv4Addr::new(198, 51, 100, 9);
    fp.outer_header_creation = Some(OuterHeaderCreation {
        kind: OuterHeaderCreationKind::GtpuUdpIpv4,
        teid: 0x77,
        ipv4: Some(psa),
        ipv6: None,
        port: None,
    });
    s.create_far(Far::forward(1, fp)).unwrap();
    let mut p = ul_pdr(1, 1, "permit out ip from any to assigned", None, 1, None);
    p.pdi.local_fteid = Some(FTeid {
        teid: 0x55,
        ipv4: Some(N3),
        ipv6: None,
    });
    s.create_pdr(p).unwrap();
    s.create_qer(Qer {
        qfi: Some(7),
        ..Qer::open(1)
    })
    .unwrap();
    s.pdrs[0].qer_ids = vec![1];
    let rules = Arc::new(compile(&s, None).unwrap());
    let tables = install(&rules);
    let mut st = PathState::new(&cfg);
    let inner = udp_v4(UE, Ipv4Addr::new(203, 0, 113, 5), 4000, 53, 10);
    let mut b = VecBuf::new(&gpdu(0x55, &inner));
    let v = process(&cfg, &tables, &mut st, Interface::Access, &mut b, 0);
    assert_eq!(
        v,
        Verdict::Forward {
            egress: Interface::Core,
            next_hop: IpAddr::V4(psa)
        }
    );
    let out = b.data();
    assert_eq!(
        &out[12..16],
        &N6.octets(),
        "N9 source is the core-side address"
    );
    let gtp = upf_core::wire::GtpuPacket::new_checked(&out[28..]).unwrap();
    let repr = upf_core::wire::GtpuRepr::parse(&gtp).unwrap();
    assert_eq!(repr.teid, 0x77);
    assert_eq!(
        repr.pdu_session,
        Some(upf_core::wire::PduSessionInfo::Ul(
            upf_core::wire::UlPduSessionInfo::new(7)
        ))
    );
    assert_eq!(
        &out[out.len() - inner.len() + 20..],
        &inner[20..],
        "inner payload intact"
    );
}

#[test]
fn mbr_meter_drops_red_and_counts_only_passed() {
    let cfg = config();
    let mut s = session();
    // Downlink MBR 80 kbit/s = 10 kB/s; the burst is the 3000-byte floor.
    s.update_qer(Qer {
        mbr: Some(BitRate {
            ul_kbps: 0,
            dl_kbps: 80,
        }),
        ..Qer::open(2)
    })
    .unwrap();
    let rules = Arc::new(compile(&s, None).unwrap());
    let tables = install(&rules);
    let mut st = PathState::new(&cfg);
    let mut frame = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xb, 0x08, 0x00];
    frame.extend(udp_v4(Ipv4Addr::new(203, 0, 113, 5), UE, 53, 4000, 972)); // 1000-byte IP packets
    let mut passed = 0;
    for k in 0..=20u64 {
        // A packet every 5 ms for 100 ms: 200 kB/s offered, 10 kB/s allowed.
        let mut b = VecBuf::new(&frame);
        match process(
            &cfg,
            &tables,
            &mut st,
            Interface::Core,
            &mut b,
            k * 5_000_000,
        ) {
            Verdict::Forward { .. } => passed += 1,
            Verdict::Drop(DropReason::MeterRed) => {}
            v => panic!("{v:?}"),
        }
    }
    // 3000 bytes of burst plus 100 ms at 10 kB/s: four packets.
    assert_eq!(passed, 4);
    assert_eq!(st.counters.drops(DropReason::MeterRed), 17);
    let u = rules.urr_counters(10).unwrap().snapshot();
    assert_eq!((u.dl_packets, u.dl_bytes), (4, 4000));
}

#[test]
fn refused_reply_leaves_frame_unchanged() {
    // Found by the path fuzz target: an Error Indication that does not fit
    // (no headroom, short frame) must drop the G-PDU untouched.
    let cfg = config();
    let tables = Tables::with_capacity(1);
    let mut st = PathState::new(&cfg);
    let frame = gpdu(0x1234_0000, &[]);
    let mut b = VecBuf::with_headroom(&frame, 0);
    assert_eq!(
        process(&cfg, &tables, &mut st, Interface::Access, &mut b, 0),
        Verdict::Drop(DropReason::NoHeadroom)
    );
    assert_eq!(b.data(), &frame[..]);
}

#[test]
fn a_hint_never_changes_the_result() {
    // The hint (a session named by a NIC's flow mark) replaces the lookup
    // only when it owns the packet's key: right, foreign and absent hints
    // give the same verdicts, bytes and counters on every vector.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/path_vectors/path.json"
    ))
    .unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let rules = Arc::new(compile(&session(), None).unwrap());
    let mut other = session();
    other.seid = 99;
    for p in &mut other.pdrs {
        if let Some(f) = &mut p.pdi.local_fteid {
            f.teid = 0x9999;
        }
        if let Some(u) = &mut p.pdi.ue_ip {
            u.ipv4 = Some(Ipv4Addr::new(10, 45, 9, 9));
        }
    }
    let other = Arc::new(compile(&other, None).unwrap());
    let mut tables = install(&rules);
    tables.apply(Update::Install(other.clone()));
    let cfg = config();
    use upf_core::path::process_hinted;
    for case in &cases {
        let input = unhex(case["input"].as_str().unwrap());
        for ingress in [Interface::Access, Interface::Core] {
            let mut reference = None;
            for hint in [None, Some(&*rules), Some(&*other)] {
                let mut st = PathState::new(&cfg);
                let mut buf = VecBuf::new(&input);
                let v = process_hinted(&cfg, &tables, &mut st, ingress, &mut buf, 1_000, hint);
                let got = (
                    v,
                    buf.data().to_vec(),
                    st.counters.drop_snapshot(),
                    st.counters.stat_snapshot(),
                );
                match &reference {
                    None => reference = Some(got),
                    Some(r) => assert_eq!(
                        &got,
                        r,
                        "{} on {ingress:?} with hint {:?}",
                        case["name"],
                        hint.map(|h| h.seid)
                    ),
                }
            }
        }
    }
}

#[test]
fn gbr_conformant_packets_are_green_whatever_the_qer_order() {
    let cfg = PathConfig {
        egress_qos: true,
        ..config()
    };
    // The downlink PDR has QERs [2, 1]; then [1, 2]. QER 2 is a session
    // AMBR (MBR only), QER 1 a GBR flow: a packet within the GBR is green
    // for the egress scheduler either way, and yellow above it.
    for order in [vec![2, 1], vec![1, 2]] {
        let mut s = session();
        s.update_qer(Qer {
            qfi: Some(1),
            mbr: Some(BitRate {
                ul_kbps: 100_000,
                dl_kbps: 100_000,
            }),
            gbr: Some(BitRate {
                ul_kbps: 80,
                dl_kbps: 80,
            }),
            ..Qer::open(1)
        })
        .unwrap();
        let mut dl = s.pdr(10).unwrap().clone();
        dl.qer_ids = order.clone();
        s.update_pdr(dl).unwrap();
        let rules = Arc::new(compile(&s, None).unwrap());
        let tables = install(&rules);
        let mut st = PathState::new(&cfg);
        let mut frame = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xb, 0x08, 0x00];
        frame.extend(udp_v4(Ipv4Addr::new(203, 0, 113, 5), UE, 53, 4000, 972));
        let mut colors = Vec::new();
        for _ in 0..6 {
            // All at the same instant: the GBR's 3000-byte burst holds three.
            let mut b = VecBuf::new(&frame);
            let v = process(&cfg, &tables, &mut st, Interface::Core, &mut b, 1);
            assert!(matches!(v, Verdict::Forward { .. }), "{v:?}");
            colors.push(st.fwd_color);
            assert_eq!(st.fwd_qfi, Some(1));
        }
        use upf_core::qos::Color::{Green, Yellow};
        assert_eq!(
            colors,
            [Green, Green, Green, Yellow, Yellow, Yellow],
            "order {order:?}"
        );
    }
}
