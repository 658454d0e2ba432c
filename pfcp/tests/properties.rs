//! Property tests: decoding is total (never panics, whatever the input),
//! what decodes re-encodes to the same value, and typed IEs survive
//! `decode(encode(x))`.

mod common;

use pfcp::ie::outer_header::OuterHeaderRemovalDescription;
use pfcp::ie::*;
use pfcp::message::*;
use pfcp::Message;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn vectors() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "hex").then(|| {
                let t = std::fs::read_to_string(&p).unwrap();
                let t = t.trim();
                (0..t.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap())
                    .collect()
            })
        })
        .collect();
    out.sort();
    out.extend(common::samples().iter().map(common::Sample::bytes));
    out
}

/// Decodes `bytes` every way the crate offers; whatever decodes must
/// re-encode to something that decodes to the same value.
fn check_total(bytes: &[u8]) {
    if let Ok((header, msg)) = Message::decode(bytes) {
        let again = msg.encode_with_header(&header).expect("re-encode");
        let (h2, m2) = Message::decode(&again).expect("decode re-encoded");
        // The length may shrink: octets past the known end of an
        // extendable IE are not kept.
        let unsized_header = |h: pfcp::Header| pfcp::Header { length: 0, ..h };
        assert_eq!(unsized_header(h2), unsized_header(header));
        assert_eq!(m2, msg);
    }
    for item in Message::decode_datagram(bytes) {
        let _ = item;
    }
    let _ = pfcp::Header::decode(bytes);
    // Message bodies and grouped IEs, straight from the octets.
    let _ = SessionEstablishmentRequest::decode_value(bytes);
    let _ = SessionModificationRequest::decode_value(bytes);
    let _ = SessionReportRequest::decode_value(bytes);
    let _ = CreatePdr::decode_value(bytes);
    let _ = UsageReport::decode_value(bytes);
    for ie in IeIter::new(bytes) {
        let _ = ie;
    }
}

fn mutate(mut v: Vec<u8>, ops: &[(u8, usize, u8)]) -> Vec<u8> {
    for &(op, at, val) in ops {
        if v.is_empty() {
            v.push(val);
            continue;
        }
        let at = at % v.len();
        match op % 5 {
            0 => v[at] = val,
            1 => v[at] ^= 1 << (val % 8),
            2 => v.truncate(at),
            3 => v.insert(at, val),
            _ => {
                v.remove(at);
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_total(&bytes);
    }

    #[test]
    fn arbitrary_body_with_valid_header(
        t in prop::sample::select(vec![1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 50, 51, 52, 53, 54, 55, 56, 57, 99]),
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let session = t >= 50;
        let mut v = vec![0x20 | u8::from(session), t, 0, 0];
        if session {
            v.extend_from_slice(&7u64.to_be_bytes());
        }
        v.extend_from_slice(&[0, 0, 1, 0]);
        v.extend_from_slice(&body);
        let len = (v.len() - 4) as u16;
        v[2..4].copy_from_slice(&len.to_be_bytes());
        check_total(&v);
    }

    #[test]
    fn mutated_vectors_never_panic(
        which in any::<prop::sample::Index>(),
        ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6),
    ) {
        let all = vectors();
        let v = which.get(&all).clone();
        check_total(&mutate(v, &ops));
    }
}

fn roundtrip<T: Ie + PartialEq + std::fmt::Debug>(x: &T) {
    let mut buf = Vec::new();
    x.encode(&mut buf);
    assert_eq!(buf.len(), x.encoded_len());
    assert_eq!(&T::decode(&buf).unwrap(), x);
}

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}
fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>().prop_map(Ipv6Addr::from)
}
fn octets(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}
fn fqdn() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-z0-9-]{1,12}", 1..5).prop_map(|l| l.join("."))
}

fn node_id() -> impl Strategy<Value = NodeId> {
    prop_oneof![
        ipv4().prop_map(NodeId::Ipv4),
        ipv6().prop_map(NodeId::Ipv6),
        fqdn().prop_map(NodeId::Fqdn),
    ]
}

fn f_teid() -> impl Strategy<Value = FTeid> {
    prop_oneof![
        (any::<u32>(), ipv4(), proptest::option::of(ipv6())).prop_map(|(teid, a, b)| {
            FTeid::Explicit {
                teid,
                ipv4: Some(a),
                ipv6: b,
            }
        }),
        (any::<u32>(), ipv6()).prop_map(|(teid, b)| FTeid::Explicit {
            teid,
            ipv4: None,
            ipv6: Some(b),
        }),
        (
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(any::<u8>())
        )
            .prop_map(|(v4, v6, choose_id)| FTeid::Choose { v4, v6, choose_id }),
    ]
}

fn sdf_filter() -> impl Strategy<Value = SdfFilter> {
    (
        proptest::option::of(octets(80)),
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(0u32..0x10_0000),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(d, t, s, l, i)| SdfFilter {
            flow_description: d,
            tos_traffic_class: t,
            spi: s,
            flow_label: l,
            filter_id: i,
        })
}

fn ue_ip() -> impl Strategy<Value = UeIpAddress> {
    (
        proptest::option::of(ipv4()),
        proptest::option::of(ipv6()),
        any::<bool>(),
        proptest::option::of(any::<u8>()),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(|(a, b, d, pd, c4, c6, pl)| UeIpAddress {
            ipv4: a,
            ipv6: b,
            destination: d,
            ipv6_prefix_delegation_bits: pd,
            choose_v4: c4,
            choose_v6: c6,
            ipv6_prefix_length: pl,
        })
}

fn outer_header_creation() -> impl Strategy<Value = OuterHeaderCreation> {
    (
        any::<u16>(),
        any::<u32>(),
        ipv4(),
        ipv6(),
        any::<u16>(),
        any::<[u8; 3]>(),
        any::<[u8; 3]>(),
    )
        .prop_map(|(d, teid, a, b, port, c, s)| {
            let d = d & 0xff03;
            let on = |bits: u16| d & bits != 0;
            OuterHeaderCreation {
                description: d,
                teid: on(0x0300).then_some(teid),
                ipv4: on(0x1500).then_some(a),
                ipv6: on(0x2a00).then_some(b),
                port: on(0x0c00).then_some(port),
                c_tag: on(0x4000).then_some(c),
                s_tag: on(0x8000).then_some(s),
            }
        })
}

fn volume_measurement() -> impl Strategy<Value = VolumeMeasurement> {
    proptest::array::uniform6(proptest::option::of(any::<u64>())).prop_map(|v| VolumeMeasurement {
        total_volume: v[0],
        uplink_volume: v[1],
        downlink_volume: v[2],
        total_packets: v[3],
        uplink_packets: v[4],
        downlink_packets: v[5],
    })
}

fn pdi() -> impl Strategy<Value = Pdi> {
    (
        0u8..16,
        proptest::option::of(f_teid()),
        proptest::option::of(fqdn()),
        proptest::collection::vec(ue_ip(), 0..3),
        proptest::collection::vec(sdf_filter(), 0..3),
        proptest::collection::vec(0u8..64, 0..3),
    )
        .prop_map(|(si, ft, ni, ue, sdf, q)| Pdi {
            source_interface: SourceInterface::from(si),
            local_f_teid: ft,
            network_instance: ni.map(|n| NetworkInstance::from_dns_name(&n)),
            ue_ip_addresses: ue,
            sdf_filters: sdf,
            qfis: q.into_iter().map(Qfi).collect(),
            ..Default::default()
        })
}

fn create_pdr() -> impl Strategy<Value = CreatePdr> {
    (
        any::<u16>(),
        any::<u32>(),
        pdi(),
        proptest::option::of((0u8..=8, proptest::option::of(any::<u8>()))),
        proptest::option::of(any::<u32>()),
        proptest::collection::vec(any::<u32>(), 0..3),
        proptest::collection::vec(any::<u32>(), 0..3),
        proptest::collection::vec((1000u16..2000, octets(6)), 0..2),
    )
        .prop_map(|(id, prec, pdi, ohr, far, urrs, qers, unknown)| CreatePdr {
            pdr_id: PdrId(id),
            precedence: Precedence(prec),
            pdi,
            outer_header_removal: ohr.map(|(d, e)| OuterHeaderRemoval {
                description: OuterHeaderRemovalDescription::from(d),
                gtpu_extension_header_deletion: e,
            }),
            far_id: far.map(FarId),
            urr_ids: urrs.into_iter().map(UrrId).collect(),
            qer_ids: qers.into_iter().map(QerId).collect(),
            unknown: unknown.into_iter().map(|(t, v)| RawIe::new(t, v)).collect(),
            ..Default::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn typed_ies_roundtrip(
        cause in any::<u8>(),
        node in node_id(),
        seid in any::<u64>(),
        a in proptest::option::of(ipv4()),
        b in ipv6(),
        ft in f_teid(),
        sdf in sdf_filter(),
        ue in ue_ip(),
        ohc in outer_header_creation(),
        vm in volume_measurement(),
        mbr in (0u64..1 << 40, 0u64..1 << 40),
        aa in proptest::collection::vec((0u8..2, 1u8..=8), 0..6),
        imsi in "[0-9]{6,15}",
        nai in proptest::option::of(octets(40)),
        sst in any::<u8>(),
        sd in 0u32..0x100_0000,
        csids in proptest::collection::vec(any::<u16>(), 0..15),
        name in fqdn(),
    ) {
        roundtrip(&Cause(cause));
        roundtrip(&node);
        roundtrip(&FSeid { seid, ipv4: a, ipv6: Some(b) });
        roundtrip(&ft);
        roundtrip(&sdf);
        roundtrip(&ue);
        roundtrip(&ohc);
        roundtrip(&vm);
        roundtrip(&Mbr { ul_kbps: mbr.0, dl_kbps: mbr.1 });
        roundtrip(&Gbr { ul_kbps: mbr.1, dl_kbps: mbr.0 });
        let mut action = ApplyAction::empty();
        for (o, bit) in aa {
            action.set(pfcp::ie::flags::Flag::new(o, bit), true);
        }
        roundtrip(&action);
        roundtrip(&UserId { imsi: Some(tbcd_encode(&imsi)), nai, ..Default::default() });
        roundtrip(&Snssai { sst, sd });
        roundtrip(&FqCsid { node_id: FqCsidNodeId::Ipv4(a.unwrap_or(Ipv4Addr::LOCALHOST)), csids });
        roundtrip(&NetworkInstance::from_dns_name(&name));
        roundtrip(&ApnDnn::from_plain(&name));
        roundtrip(&SmfSetId(name));
        roundtrip(&RemoteGtpuPeer { ipv4: a, ipv6: Some(b), ..Default::default() });
        roundtrip(&RecoveryTimeStamp(cause.into()));
    }

    #[test]
    fn grouped_ies_roundtrip(pdr in create_pdr(), vm in volume_measurement(), seqn in any::<u32>()) {
        roundtrip(&pdr);
        let report = UsageReport {
            urr_id: UrrId(seqn ^ 1),
            ur_seqn: UrSeqn(seqn),
            usage_report_trigger: UsageReportTrigger::empty().with(UsageReportTrigger::PERIO),
            volume_measurement: Some(vm),
            ..Default::default()
        };
        let msg = SessionDeletionResponse {
            cause: pfcp::Cause::REQUEST_ACCEPTED,
            usage_reports: vec![report.clone(), report],
            ..Default::default()
        };
        let bytes = msg.encode(seqn & 0xff_ffff, Some(u64::from(seqn))).unwrap();
        assert_eq!(bytes.len(), msg.encoded_len());
        let (h, back) = SessionDeletionResponse::decode(&bytes).unwrap();
        assert_eq!(h.seid, Some(u64::from(seqn)));
        assert_eq!(back, msg);
        let est = SessionEstablishmentRequest {
            create_pdrs: vec![pdr],
            create_fars: vec![CreateFar { far_id: FarId(1), ..Default::default() }],
            ..common::open5gs_establishment()
        };
        let bytes = est.encode(1, Some(0)).unwrap();
        assert_eq!(SessionEstablishmentRequest::decode(&bytes).unwrap().1, est);
    }
}
