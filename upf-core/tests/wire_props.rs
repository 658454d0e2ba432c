//! Property tests for the packet views:
//!
//! * `new_checked` + every accessor + `Repr::parse` never panic, on arbitrary
//!   bytes and on mutated/truncated golden vectors;
//! * `parse(emit(x)) == x` for arbitrary valid representations.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use upf_core::wire::{
    self, ArpOperation, ArpPacket, ArpRepr, DlPduSessionInfo, ErrorIndicationRepr, EtherType,
    EthernetAddress, EthernetFrame, EthernetRepr, GtpuIe, GtpuPacket, GtpuRepr, Icmpv4Packet,
    Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, IeIter, IpProtocol, Ipv4Packet, Ipv4Repr, Ipv6Packet,
    Ipv6Repr, MessageType, PduSessionInfo, UdpPacket, UdpRepr, UlPduSessionInfo, UlTimestamps,
    VlanTag,
};

fn decode_hex(text: &str) -> Vec<u8> {
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn seeds() -> Vec<Vec<u8>> {
    [
        include_str!("vectors/eth_ipv4_udp.hex"),
        include_str!("vectors/eth_vlan_ipv6_udp.hex"),
        include_str!("vectors/arp_request.hex"),
        include_str!("vectors/icmpv4_echo.hex"),
        include_str!("vectors/icmpv6_ns.hex"),
        include_str!("vectors/icmpv6_na.hex"),
        include_str!("vectors/gtpu_ul_psc.hex"),
        include_str!("vectors/gtpu_dl_psc_ppi.hex"),
        include_str!("vectors/gtpu_ul_psc_full.hex"),
        include_str!("vectors/gtpu_ipv6.hex"),
        include_str!("vectors/gtpu_echo_response.hex"),
        include_str!("vectors/gtpu_error_indication_udp_port.hex"),
    ]
    .iter()
    .map(|s| decode_hex(s))
    .collect()
}

/// Runs every view and parser over `data` taken as each layer in turn.
fn exercise_all(data: &[u8]) {
    let _ = wire::l2_header(data);
    if let Ok(f) = EthernetFrame::new_checked(data) {
        let _ = (f.dst_addr(), f.src_addr(), f.ethertype(), f.payload().len());
        let _ = EthernetRepr::parse(&f);
    }
    if let Ok(p) = ArpPacket::new_checked(data) {
        let _ = (
            p.hardware_type(),
            p.protocol_type(),
            p.operation(),
            p.packet_len(),
        );
        let _ = (p.source_hardware_addr(), p.source_protocol_addr());
        let _ = (p.target_hardware_addr(), p.target_protocol_addr());
        let _ = ArpRepr::parse(&p);
    }
    if let Ok(p) = Ipv4Packet::new_checked(data) {
        let _ = (
            p.version(),
            p.header_len(),
            p.dscp(),
            p.ecn(),
            p.total_len(),
            p.ident(),
        );
        let _ = (
            p.dont_frag(),
            p.more_frags(),
            p.frag_offset(),
            p.hop_limit(),
            p.next_header(),
        );
        let _ = (
            p.checksum(),
            p.src_addr(),
            p.dst_addr(),
            p.options(),
            p.payload(),
        );
        let _ = p.verify_checksum();
        let _ = Ipv4Repr::parse(&p);
        let mut copy = data.to_vec();
        let mut q = Ipv4Packet::new_checked(&mut copy[..]).unwrap();
        q.decrement_hop_limit();
        q.fill_checksum();
        let _ = q.payload_mut().len();
    }
    let _ = wire::upper_layer(data);
    if let Ok(p) = Ipv6Packet::new_checked(data) {
        let _ = (
            p.version(),
            p.traffic_class(),
            p.flow_label(),
            p.payload_len(),
        );
        let _ = (
            p.next_header(),
            p.hop_limit(),
            p.src_addr(),
            p.dst_addr(),
            p.payload(),
        );
        let _ = Ipv6Repr::parse(&p);
    }
    let (s4, d4) = (
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V4(Ipv4Addr::BROADCAST),
    );
    let (s6, d6) = (Ipv6Addr::LOCALHOST, Ipv6Addr::UNSPECIFIED);
    if let Ok(p) = UdpPacket::new_checked(data) {
        let _ = (
            p.src_port(),
            p.dst_port(),
            p.len(),
            p.checksum(),
            p.payload(),
        );
        let _ = p.verify_checksum(&s4, &d4);
        let _ = p.verify_checksum(&IpAddr::V6(s6), &s4);
        let _ = UdpRepr::parse(&p);
        let mut copy = data.to_vec();
        UdpPacket::new_checked(&mut copy[..])
            .unwrap()
            .fill_checksum(&s4, &d4);
    }
    if let Ok(p) = Icmpv4Packet::new_checked(data) {
        let _ = (
            p.msg_type(),
            p.msg_code(),
            p.checksum(),
            p.echo_ident(),
            p.echo_seq_no(),
        );
        let _ = (p.payload(), p.verify_checksum());
        let _ = Icmpv4Repr::parse(&p);
    }
    if let Ok(p) = Icmpv6Packet::new_checked(data) {
        let _ = (
            p.msg_type(),
            p.msg_code(),
            p.checksum(),
            p.echo_ident(),
            p.echo_seq_no(),
        );
        let _ = (
            p.router_flag(),
            p.solicited_flag(),
            p.override_flag(),
            p.payload(),
        );
        let _ = (p.ndp_options(), p.source_lladdr(), p.target_lladdr());
        if matches!(
            p.msg_type(),
            wire::Icmpv6Message::NeighborSolicit | wire::Icmpv6Message::NeighborAdvert
        ) {
            let _ = p.target_addr();
        }
        let _ = p.verify_checksum(&s6, &d6);
        let _ = Icmpv6Repr::parse(&p);
    }
    if let Ok(p) = GtpuPacket::new_checked(data) {
        let _ = (
            p.version(),
            p.protocol_type(),
            p.ext_flag(),
            p.seq_flag(),
            p.npdu_flag(),
        );
        let _ = (
            p.msg_type(),
            p.length(),
            p.teid(),
            p.seq_number(),
            p.npdu_number(),
        );
        let _ = (p.next_ext_type(), p.header_len(), p.payload());
        for (t, content) in p.extension_headers() {
            let _ = (
                wire::comprehension_required(t),
                PduSessionInfo::parse(content),
            );
        }
        let _ = GtpuRepr::parse(&p);
        for ie in IeIter::new(p.payload()).flatten() {
            let mut buf = vec![0u8; ie.buffer_len()];
            let _ = ie.emit(&mut buf);
        }
        let _ = ErrorIndicationRepr::parse(p.payload());
    }
    // Unchecked GTP-U views must not panic on what they guard themselves.
    if data.len() >= 8 {
        let p = GtpuPacket::new_unchecked(data);
        let _ = p.extension_headers().count();
    }
    let _ = PduSessionInfo::parse(data);
    let _ = PduSessionInfo::parse_ext_header(data);
    let _ = IeIter::new(data).count();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..160)) {
        exercise_all(&data);
    }

    #[test]
    fn arbitrary_gtpu_like_never_panic(
        flags in 0x30u8..0x38,
        msg in any::<u8>(),
        len in 0u16..80,
        rest in proptest::collection::vec(any::<u8>(), 0..96),
    ) {
        let mut data = vec![flags, msg];
        data.extend_from_slice(&len.to_be_bytes());
        data.extend_from_slice(&rest);
        exercise_all(&data);
    }

    #[test]
    fn mutated_vectors_never_panic(
        which in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let seeds = seeds();
        let mut frame = seeds[which.index(seeds.len())].clone();
        for (at, value) in flips {
            let i = at.index(frame.len());
            frame[i] = value;
        }
        let cut = cut.index(frame.len() + 1);
        frame.truncate(cut);
        exercise_all(&frame);
        // Also from each plausible layer offset.
        for off in [14usize, 18, 34, 42, 54, 62] {
            if let Some(rest) = frame.get(off..) {
                exercise_all(rest);
            }
        }
    }
}

// --- round trips -----------------------------------------------------------

fn mac() -> impl Strategy<Value = EthernetAddress> {
    any::<[u8; 6]>().prop_map(EthernetAddress)
}

fn ipv4_addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

fn ipv6_addr() -> impl Strategy<Value = Ipv6Addr> {
    any::<[u8; 16]>().prop_map(Ipv6Addr::from)
}

fn dl_info() -> impl Strategy<Value = DlPduSessionInfo> {
    (
        0u8..64,
        any::<bool>(),
        proptest::option::of(0u8..8),
        proptest::option::of(any::<u64>()),
        proptest::option::of(0u32..(1 << 24)),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(qfi, rqi, ppi, ts, sn, msn)| DlPduSessionInfo {
            qfi,
            rqi,
            ppi,
            dl_sending_timestamp: ts,
            dl_qfi_seq_number: sn,
            dl_mbs_qfi_seq_number: msn,
        })
}

fn ul_info() -> impl Strategy<Value = UlPduSessionInfo> {
    (
        0u8..64,
        proptest::option::of(any::<(u64, u64, u64)>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(0u32..(1 << 24)),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(|(qfi, ts, dld, uld, sn, n3, nie)| UlPduSessionInfo {
            qfi,
            timestamps: ts.map(|(a, b, c)| UlTimestamps {
                dl_sending_repeated: a,
                dl_received: b,
                ul_sending: c,
            }),
            dl_delay_result: dld,
            ul_delay_result: uld,
            ul_qfi_seq_number: sn,
            n3n9_delay_result: n3,
            new_ie_flags: nie,
        })
}

fn psc() -> impl Strategy<Value = PduSessionInfo> {
    prop_oneof![
        dl_info().prop_map(PduSessionInfo::Dl),
        ul_info().prop_map(PduSessionInfo::Ul)
    ]
}

proptest! {
    #[test]
    fn ethernet_roundtrip(
        src in mac(), dst in mac(),
        vlan in proptest::option::of((0u8..8, any::<bool>(), 0u16..4096)),
        ethertype in any::<u16>().prop_filter("not a TPID", |t| *t != 0x8100 && *t != 0x88a8),
    ) {
        let repr = EthernetRepr {
            src_addr: src,
            dst_addr: dst,
            vlan: vlan.map(|(pcp, dei, vid)| VlanTag { pcp, dei, vid }),
            ethertype: EtherType::from(ethertype),
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut EthernetFrame::new_unchecked(&mut buf[..]));
        let f = EthernetFrame::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(EthernetRepr::parse(&f).unwrap(), repr);
        prop_assert_eq!(wire::l2_header_len(&buf).unwrap(), (repr.header_len(), repr.ethertype, repr.vlan));
    }

    #[test]
    fn arp_roundtrip(op in any::<u16>(), sha in mac(), spa in ipv4_addr(), tha in mac(), tpa in ipv4_addr()) {
        let repr = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::from(op),
            source_hardware_addr: sha,
            source_protocol_addr: spa,
            target_hardware_addr: tha,
            target_protocol_addr: tpa,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
        prop_assert_eq!(ArpRepr::parse(&ArpPacket::new_checked(&buf[..]).unwrap()).unwrap(), repr);
    }

    #[test]
    fn ipv4_roundtrip(
        src in ipv4_addr(), dst in ipv4_addr(), proto in any::<u8>(), payload_len in 0usize..300,
        ttl in any::<u8>(), dscp in 0u8..64, ecn in 0u8..4, ident in any::<u16>(), df in any::<bool>(),
        padding in 0usize..8,
    ) {
        let repr = Ipv4Repr {
            src_addr: src, dst_addr: dst, next_header: IpProtocol::from(proto), payload_len,
            hop_limit: ttl, dscp, ecn, ident, dont_frag: df,
        };
        let mut buf = vec![0u8; repr.buffer_len() + padding];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        prop_assert!(p.verify_checksum());
        prop_assert_eq!(p.payload().len(), payload_len);
        prop_assert_eq!(Ipv4Repr::parse(&p).unwrap(), repr);
    }

    #[test]
    fn ipv6_roundtrip(
        src in ipv6_addr(), dst in ipv6_addr(), proto in any::<u8>(), payload_len in 0usize..300,
        hop_limit in any::<u8>(), tc in any::<u8>(), flow in 0u32..(1 << 20),
    ) {
        let repr = Ipv6Repr {
            src_addr: src, dst_addr: dst, next_header: IpProtocol::from(proto), payload_len,
            hop_limit, traffic_class: tc, flow_label: flow,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
        prop_assert_eq!(Ipv6Repr::parse(&Ipv6Packet::new_checked(&buf[..]).unwrap()).unwrap(), repr);
    }

    #[test]
    fn udp_roundtrip(
        sport in any::<u16>(), dport in any::<u16>(),
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        src in ipv6_addr(), dst in ipv6_addr(), v4 in any::<bool>(),
    ) {
        let repr = UdpRepr { src_port: sport, dst_port: dport, payload_len: payload.len() };
        let mut buf = vec![0u8; repr.buffer_len()];
        buf[8..].copy_from_slice(&payload);
        let mut p = UdpPacket::new_unchecked(&mut buf[..]);
        repr.emit(&mut p);
        let (s, d): (IpAddr, IpAddr) = if v4 {
            let (a, b) = (src.octets(), dst.octets());
            (Ipv4Addr::new(a[0], a[1], a[2], a[3]).into(), Ipv4Addr::new(b[0], b[1], b[2], b[3]).into())
        } else {
            (src.into(), dst.into())
        };
        p.fill_checksum(&s, &d);
        let p = UdpPacket::new_checked(&buf[..]).unwrap();
        prop_assert!(p.checksum() != 0);
        prop_assert!(p.verify_checksum(&s, &d));
        prop_assert_eq!(UdpRepr::parse(&p).unwrap(), repr);
    }

    #[test]
    fn icmpv4_roundtrip(req in any::<bool>(), ident in any::<u16>(), seq_no in any::<u16>(),
                        data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let repr = if req {
            Icmpv4Repr::EchoRequest { ident, seq_no, payload_len: data.len() }
        } else {
            Icmpv4Repr::EchoReply { ident, seq_no, payload_len: data.len() }
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        buf[8..].copy_from_slice(&data);
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]));
        let p = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        prop_assert!(p.verify_checksum());
        prop_assert_eq!(Icmpv4Repr::parse(&p).unwrap(), repr);
    }

    #[test]
    fn icmpv6_roundtrip(
        kind in 0u8..5, ident in any::<u16>(), seq_no in any::<u16>(), payload_len in 0usize..64,
        target in ipv6_addr(), ll in proptest::option::of(mac()), flags in any::<(bool, bool, bool)>(),
        src in ipv6_addr(), dst in ipv6_addr(),
    ) {
        let repr = match kind {
            0 => Icmpv6Repr::EchoRequest { ident, seq_no, payload_len },
            1 => Icmpv6Repr::EchoReply { ident, seq_no, payload_len },
            2 => Icmpv6Repr::RouterSolicit { source_lladdr: ll },
            3 => Icmpv6Repr::NeighborSolicit { target_addr: target, source_lladdr: ll },
            _ => Icmpv6Repr::NeighborAdvert {
                router: flags.0, solicited: flags.1, override_: flags.2,
                target_addr: target, target_lladdr: ll,
            },
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        let mut p = Icmpv6Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut p);
        p.fill_checksum(&src, &dst);
        let p = Icmpv6Packet::new_checked(&buf[..]).unwrap();
        prop_assert!(p.verify_checksum(&src, &dst));
        prop_assert_eq!(Icmpv6Repr::parse(&p).unwrap(), repr);
    }

    #[test]
    fn psc_roundtrip(info in psc(), next in any::<u8>()) {
        let mut buf = vec![0xa5u8; info.buffer_len()];
        prop_assert_eq!(info.emit(&mut buf, next), Ok(info.buffer_len()));
        prop_assert_eq!(buf.len() % 4, 0);
        prop_assert_eq!(PduSessionInfo::parse_ext_header(&buf).unwrap(), (info, next));
        let short = info.buffer_len() - 1;
        prop_assert!(info.emit(&mut buf[..short], next).is_err());
    }

    #[test]
    fn gtpu_roundtrip(
        msg in any::<u8>(), teid in any::<u32>(),
        seq in proptest::option::of(any::<u16>()), npdu in proptest::option::of(any::<u8>()),
        info in proptest::option::of(psc()),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        trailing in 0usize..6,
    ) {
        let repr = GtpuRepr {
            msg_type: MessageType::from(msg), teid, seq_number: seq, npdu_number: npdu,
            pdu_session: info, payload_len: payload.len(),
        };
        let mut buf = vec![0u8; repr.buffer_len() + trailing];
        buf[repr.header_len()..repr.buffer_len()].copy_from_slice(&payload);
        repr.emit(&mut GtpuPacket::new_unchecked(&mut buf[..]));
        let p = GtpuPacket::new_checked(&buf[..]).unwrap();
        prop_assert_eq!(p.header_len(), repr.header_len());
        prop_assert_eq!(p.payload(), &payload[..]);
        prop_assert_eq!(GtpuRepr::parse(&p).unwrap(), repr);
    }

    #[test]
    fn gtpu_ie_roundtrip(
        kind in 0u8..7, v in any::<u32>(), a4 in ipv4_addr(), a6 in ipv6_addr(),
        bytes in proptest::collection::vec(any::<u8>(), 0..40),
        unknown_type in (128u8..255).prop_filter("named TLV", |t| *t != 133 && *t != 141),
    ) {
        let ie = match kind {
            0 => GtpuIe::Recovery(v as u8),
            1 => GtpuIe::TeidDataI(v),
            2 => GtpuIe::PeerAddress(a4.into()),
            3 => GtpuIe::PeerAddress(a6.into()),
            4 => GtpuIe::ExtHeaderTypeList(&bytes),
            5 => GtpuIe::PrivateExtension { id: v as u16, value: &bytes },
            _ => GtpuIe::Unknown { ie_type: unknown_type, value: &bytes },
        };
        let mut buf = vec![0u8; ie.buffer_len() + 3];
        let n = ie.emit(&mut buf).unwrap();
        prop_assert_eq!(n, ie.buffer_len());
        prop_assert_eq!(GtpuIe::parse(&buf[..n]).unwrap(), (ie, n));
        let all: Vec<_> = IeIter::new(&buf[..n]).collect();
        prop_assert_eq!(all, vec![Ok(ie)]);
    }

    #[test]
    fn error_indication_roundtrip(
        seq in any::<u16>(), teid in any::<u32>(), v4 in any::<bool>(),
        a4 in ipv4_addr(), a6 in ipv6_addr(), port in proptest::option::of(any::<u16>()),
    ) {
        let body = ErrorIndicationRepr { teid, peer_addr: if v4 { a4.into() } else { a6.into() } };
        let mut buf = [0u8; 64];
        let n = wire::emit_error_indication(seq, &body, port, &mut buf).unwrap();
        let p = GtpuPacket::new_checked(&buf[..n]).unwrap();
        let r = GtpuRepr::parse(&p).unwrap();
        prop_assert_eq!(r.msg_type, MessageType::ErrorIndication);
        prop_assert_eq!(r.seq_number, Some(seq));
        prop_assert_eq!(p.extension_headers().count(), usize::from(port.is_some()));
        prop_assert_eq!(ErrorIndicationRepr::parse(p.payload()).unwrap(), body);
    }
}
