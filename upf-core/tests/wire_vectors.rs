//! Golden vectors: frames built by scapy (tests/vectors/gen_vectors.py), read
//! field by field with the packet views, then rebuilt from the parsed
//! representations and compared octet for octet.
//!
//! The expected values below are the ones the generator script sets.
//!
//! On the PDU Session Container, scapy appends the padding *after* the
//! next-extension-header-type octet, whereas TS 29.281 §5.2.1 puts the next
//! type in the last octet of the extension header (padding before it). With
//! next type 0 and zero padding both give the same octets, which is the case
//! in every vector here.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use upf_core::wire::{
    self, emit_echo_request, emit_echo_response, emit_end_marker, emit_error_indication,
    l2_header_len, ArpOperation, ArpPacket, ArpRepr, DlPduSessionInfo, ErrorIndicationRepr,
    EtherType, EthernetAddress, EthernetFrame, EthernetRepr, GtpuIe, GtpuPacket, GtpuRepr,
    Icmpv4Message, Icmpv4Packet, Icmpv4Repr, Icmpv6Message, Icmpv6Packet, Icmpv6Repr, IeIter,
    IpProtocol, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, MessageType, PduSessionInfo, UdpPacket,
    UdpRepr, UlPduSessionInfo, UlTimestamps, VlanTag,
};

macro_rules! vector {
    ($name:literal) => {
        decode_hex(include_str!(concat!("vectors/", $name, ".hex")))
    };
}

fn decode_hex(text: &str) -> Vec<u8> {
    let text = text.trim();
    assert_eq!(text.len() & 1, 0, "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

const MAC_A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
const MAC_B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);
const GNB_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const UPF_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const UE_V4: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 2);
const DN_V4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
const INNER_PAYLOAD: &[u8] = b"inner-payload";

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn eth(src: EthernetAddress, dst: EthernetAddress, ethertype: EtherType) -> EthernetRepr {
    EthernetRepr {
        src_addr: src,
        dst_addr: dst,
        vlan: None,
        ethertype,
    }
}

fn ipv4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ident: u16,
    ttl: u8,
    proto: IpProtocol,
    payload_len: usize,
) -> Ipv4Repr {
    Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: proto,
        payload_len,
        hop_limit: ttl,
        dscp: 0,
        ecn: 0,
        ident,
        dont_frag: false,
    }
}

fn ipv6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
    proto: IpProtocol,
    payload_len: usize,
) -> Ipv6Repr {
    Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: proto,
        payload_len,
        hop_limit,
        traffic_class: 0,
        flow_label: 0,
    }
}

#[derive(Clone, Copy)]
enum L3 {
    V4(Ipv4Repr),
    V6(Ipv6Repr),
}

impl L3 {
    fn addrs(&self) -> (IpAddr, IpAddr) {
        match self {
            L3::V4(r) => (r.src_addr.into(), r.dst_addr.into()),
            L3::V6(r) => (r.src_addr.into(), r.dst_addr.into()),
        }
    }
}

/// IP header + payload, from our encoder.
fn build_ip(l3: L3, payload: &[u8]) -> Vec<u8> {
    match l3 {
        L3::V4(r) => {
            assert_eq!(r.payload_len, payload.len());
            let mut out = vec![0u8; r.buffer_len()];
            out[r.header_len()..].copy_from_slice(payload);
            r.emit(&mut Ipv4Packet::new_unchecked(&mut out[..]));
            out
        }
        L3::V6(r) => {
            assert_eq!(r.payload_len, payload.len());
            let mut out = vec![0u8; r.buffer_len()];
            out[r.header_len()..].copy_from_slice(payload);
            r.emit(&mut Ipv6Packet::new_unchecked(&mut out[..]));
            out
        }
    }
}

/// UDP header (with checksum) + payload, from our encoder.
fn build_udp(l3: &L3, udp: UdpRepr, payload: &[u8]) -> Vec<u8> {
    assert_eq!(udp.payload_len, payload.len());
    let mut out = vec![0u8; udp.buffer_len()];
    out[8..].copy_from_slice(payload);
    let mut p = UdpPacket::new_unchecked(&mut out[..]);
    udp.emit(&mut p);
    let (src, dst) = l3.addrs();
    p.fill_checksum(&src, &dst);
    out
}

fn with_eth(e: EthernetRepr, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; e.header_len() + payload.len()];
    out[e.header_len()..].copy_from_slice(payload);
    e.emit(&mut EthernetFrame::new_unchecked(&mut out[..]));
    out
}

/// Parses Ethernet/IPv4/UDP and checks the outer stack of a GTP-U vector;
/// returns the UDP payload and the reprs.
fn outer_v4(
    frame: &[u8],
    ident: u16,
    src: Ipv4Addr,
    dst: Ipv4Addr,
) -> (&[u8], EthernetRepr, L3, UdpRepr) {
    let f = EthernetFrame::new_checked(frame).unwrap();
    let e = EthernetRepr::parse(&f).unwrap();
    assert_eq!(e, eth(MAC_A, MAC_B, EtherType::Ipv4));
    let ip = Ipv4Packet::new_checked(f.payload()).unwrap();
    assert!(ip.verify_checksum());
    let r = Ipv4Repr::parse(&ip).unwrap();
    assert_eq!(
        r,
        ipv4(src, dst, ident, 64, IpProtocol::Udp, ip.payload().len())
    );
    let udp = UdpPacket::new_checked(ip.payload()).unwrap();
    assert!(udp.verify_checksum_v4(src, dst));
    let u = UdpRepr::parse(&udp).unwrap();
    assert_eq!((u.src_port, u.dst_port), (2152, 2152));
    (udp.payload(), e, L3::V4(r), u)
}

fn outer_v6(frame: &[u8], src: Ipv6Addr, dst: Ipv6Addr) -> (&[u8], EthernetRepr, L3, UdpRepr) {
    let f = EthernetFrame::new_checked(frame).unwrap();
    let e = EthernetRepr::parse(&f).unwrap();
    assert_eq!(e, eth(MAC_A, MAC_B, EtherType::Ipv6));
    let ip = Ipv6Packet::new_checked(f.payload()).unwrap();
    let r = Ipv6Repr::parse(&ip).unwrap();
    assert_eq!(r, ipv6(src, dst, 64, IpProtocol::Udp, ip.payload().len()));
    assert_eq!(
        wire::upper_layer(f.payload()).unwrap(),
        (IpProtocol::Udp, 40)
    );
    let udp = UdpPacket::new_checked(ip.payload()).unwrap();
    assert!(udp.verify_checksum_v6(src, dst));
    let u = UdpRepr::parse(&udp).unwrap();
    assert_eq!((u.src_port, u.dst_port), (2152, 2152));
    (udp.payload(), e, L3::V6(r), u)
}

fn rebuild_outer(e: EthernetRepr, l3: L3, u: UdpRepr, gtp: &[u8]) -> Vec<u8> {
    let udp = build_udp(&l3, u, gtp);
    with_eth(e, &build_ip(l3, &udp))
}

/// Checks the inner IPv4/UDP packet the GTP-U vectors carry and rebuilds it.
fn inner_v4(tpdu: &[u8]) -> Vec<u8> {
    let ip = Ipv4Packet::new_checked(tpdu).unwrap();
    assert!(ip.verify_checksum());
    let r = Ipv4Repr::parse(&ip).unwrap();
    assert_eq!(
        r,
        ipv4(
            UE_V4,
            DN_V4,
            0x42,
            63,
            IpProtocol::Udp,
            8 + INNER_PAYLOAD.len()
        )
    );
    let udp = UdpPacket::new_checked(ip.payload()).unwrap();
    assert!(udp.verify_checksum_v4(UE_V4, DN_V4));
    let u = UdpRepr::parse(&udp).unwrap();
    assert_eq!(
        u,
        UdpRepr {
            src_port: 40000,
            dst_port: 5000,
            payload_len: INNER_PAYLOAD.len()
        }
    );
    assert_eq!(udp.payload(), INNER_PAYLOAD);
    let l3 = L3::V4(r);
    build_ip(l3, &build_udp(&l3, u, INNER_PAYLOAD))
}

fn emit_gtpu(r: &GtpuRepr, payload: &[u8]) -> Vec<u8> {
    assert_eq!(r.payload_len, payload.len());
    let mut out = vec![0u8; r.buffer_len()];
    out[r.header_len()..].copy_from_slice(payload);
    r.emit(&mut GtpuPacket::new_unchecked(&mut out[..]));
    out
}

#[test]
fn eth_ipv4_udp() {
    let frame = vector!("eth_ipv4_udp");
    assert_eq!(l2_header_len(&frame).unwrap(), (14, EtherType::Ipv4, None));
    let f = EthernetFrame::new_checked(&frame[..]).unwrap();
    assert_eq!(f.dst_addr(), MAC_B);
    assert_eq!(f.src_addr(), MAC_A);
    assert_eq!(f.ethertype(), EtherType::Ipv4);
    let e = EthernetRepr::parse(&f).unwrap();
    let ip = Ipv4Packet::new_checked(f.payload()).unwrap();
    assert_eq!(ip.version(), 4);
    assert_eq!(ip.header_len(), 20);
    assert_eq!(ip.dscp(), 46);
    assert_eq!(ip.ecn(), 0);
    assert_eq!(ip.total_len(), 38);
    assert_eq!(ip.ident(), 0x1234);
    assert!(ip.dont_frag() && !ip.more_frags());
    assert_eq!(ip.frag_offset(), 0);
    assert_eq!(ip.hop_limit(), 64);
    assert_eq!(ip.next_header(), IpProtocol::Udp);
    assert_eq!(ip.src_addr(), Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(ip.dst_addr(), Ipv4Addr::new(198, 51, 100, 1));
    assert!(ip.verify_checksum());
    let r = Ipv4Repr::parse(&ip).unwrap();
    assert_eq!(
        r,
        Ipv4Repr {
            dscp: 46,
            dont_frag: true,
            ..ipv4(
                Ipv4Addr::new(192, 0, 2, 1),
                Ipv4Addr::new(198, 51, 100, 1),
                0x1234,
                64,
                IpProtocol::Udp,
                18
            )
        }
    );
    let udp = UdpPacket::new_checked(ip.payload()).unwrap();
    assert_eq!(udp.src_port(), 40000);
    assert_eq!(udp.dst_port(), 5000);
    assert_eq!(udp.len(), 18);
    assert_eq!(udp.payload(), b"hello, upf");
    assert!(udp.verify_checksum_v4(r.src_addr, r.dst_addr));
    let u = UdpRepr::parse(&udp).unwrap();
    let l3 = L3::V4(r);
    let rebuilt = with_eth(e, &build_ip(l3, &build_udp(&l3, u, b"hello, upf")));
    assert_eq!(rebuilt, frame);
}

#[test]
fn eth_vlan_ipv6_udp() {
    let frame = vector!("eth_vlan_ipv6_udp");
    let tag = VlanTag {
        pcp: 5,
        dei: false,
        vid: 100,
    };
    assert_eq!(
        l2_header_len(&frame).unwrap(),
        (18, EtherType::Ipv6, Some(tag))
    );
    let f = EthernetFrame::new_checked(&frame[..]).unwrap();
    assert_eq!(f.ethertype(), EtherType::Vlan);
    let e = EthernetRepr::parse(&f).unwrap();
    assert_eq!(
        e,
        EthernetRepr {
            vlan: Some(tag),
            ..eth(MAC_A, MAC_B, EtherType::Ipv6)
        }
    );
    assert_eq!(e.header_len(), 18);
    let ip = Ipv6Packet::new_checked(&frame[18..]).unwrap();
    assert_eq!(ip.version(), 6);
    assert_eq!(ip.traffic_class(), 0x28);
    assert_eq!(ip.flow_label(), 0x12345);
    assert_eq!(ip.payload_len(), 20);
    assert_eq!(ip.next_header(), IpProtocol::Udp);
    assert_eq!(ip.hop_limit(), 64);
    assert_eq!(ip.src_addr(), v6("2001:db8::1"));
    assert_eq!(ip.dst_addr(), v6("2001:db8::2"));
    let r = Ipv6Repr::parse(&ip).unwrap();
    assert_eq!(
        r,
        Ipv6Repr {
            traffic_class: 0x28,
            flow_label: 0x12345,
            ..ipv6(
                v6("2001:db8::1"),
                v6("2001:db8::2"),
                64,
                IpProtocol::Udp,
                20
            )
        }
    );
    let udp = UdpPacket::new_checked(ip.payload()).unwrap();
    assert!(udp.verify_checksum_v6(r.src_addr, r.dst_addr));
    let u = UdpRepr::parse(&udp).unwrap();
    assert_eq!(
        u,
        UdpRepr {
            src_port: 1234,
            dst_port: 5678,
            payload_len: 12
        }
    );
    assert_eq!(udp.payload(), b"v6 over vlan");
    let l3 = L3::V6(r);
    let rebuilt = with_eth(e, &build_ip(l3, &build_udp(&l3, u, b"v6 over vlan")));
    assert_eq!(rebuilt, frame);
}

fn check_arp(frame: &[u8], want_eth: EthernetRepr, want: ArpRepr) {
    let f = EthernetFrame::new_checked(frame).unwrap();
    let e = EthernetRepr::parse(&f).unwrap();
    assert_eq!(e, want_eth);
    let p = ArpPacket::new_checked(f.payload()).unwrap();
    assert_eq!(p.hardware_len(), 6);
    assert_eq!(p.protocol_len(), 4);
    let r = ArpRepr::parse(&p).unwrap();
    assert_eq!(r, want);
    let mut body = vec![0u8; r.buffer_len()];
    r.emit(&mut ArpPacket::new_unchecked(&mut body[..]));
    assert_eq!(with_eth(e, &body), frame);
}

#[test]
fn arp_request() {
    let frame = vector!("arp_request");
    check_arp(
        &frame,
        eth(MAC_A, EthernetAddress::BROADCAST, EtherType::Arp),
        ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: MAC_A,
            source_protocol_addr: Ipv4Addr::new(192, 0, 2, 1),
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: Ipv4Addr::new(192, 0, 2, 2),
        },
    );
}

#[test]
fn arp_reply() {
    let frame = vector!("arp_reply");
    check_arp(
        &frame,
        eth(MAC_B, MAC_A, EtherType::Arp),
        ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Reply,
            source_hardware_addr: MAC_B,
            source_protocol_addr: Ipv4Addr::new(192, 0, 2, 2),
            target_hardware_addr: MAC_A,
            target_protocol_addr: Ipv4Addr::new(192, 0, 2, 1),
        },
    );
}

#[test]
fn icmpv4_echo() {
    let frame = vector!("icmpv4_echo");
    let f = EthernetFrame::new_checked(&frame[..]).unwrap();
    let e = EthernetRepr::parse(&f).unwrap();
    let ip = Ipv4Packet::new_checked(f.payload()).unwrap();
    let r = Ipv4Repr::parse(&ip).unwrap();
    let (src, dst) = (Ipv4Addr::new(192, 0, 2, 2), Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(r, ipv4(src, dst, 7, 64, IpProtocol::Icmp, 24));
    let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
    assert_eq!(icmp.msg_type(), Icmpv4Message::EchoRequest);
    assert_eq!(icmp.msg_code(), 0);
    assert_eq!(icmp.echo_ident(), 0x1234);
    assert_eq!(icmp.echo_seq_no(), 1);
    assert_eq!(icmp.payload(), b"pingpingpingping");
    assert!(icmp.verify_checksum());
    let ir = Icmpv4Repr::parse(&icmp).unwrap();
    assert_eq!(
        ir,
        Icmpv4Repr::EchoRequest {
            ident: 0x1234,
            seq_no: 1,
            payload_len: 16
        }
    );
    let mut body = vec![0u8; ir.buffer_len()];
    body[8..].copy_from_slice(b"pingpingpingping");
    ir.emit(&mut Icmpv4Packet::new_unchecked(&mut body[..]));
    assert_eq!(with_eth(e, &build_ip(L3::V4(r), &body)), frame);
}

/// Parses Ethernet/IPv6/ICMPv6, checks the addresses and hop limit, and
/// returns the ICMPv6 repr after checking that our encoder rebuilds the frame.
fn check_icmpv6(
    frame: &[u8],
    eth_want: EthernetRepr,
    src: &str,
    dst: &str,
    hop_limit: u8,
    data: &[u8],
) -> Icmpv6Repr {
    let f = EthernetFrame::new_checked(frame).unwrap();
    let e = EthernetRepr::parse(&f).unwrap();
    assert_eq!(e, eth_want);
    let ip = Ipv6Packet::new_checked(f.payload()).unwrap();
    let r = Ipv6Repr::parse(&ip).unwrap();
    assert_eq!(
        r,
        ipv6(
            v6(src),
            v6(dst),
            hop_limit,
            IpProtocol::Icmpv6,
            ip.payload().len()
        )
    );
    assert_eq!(
        wire::upper_layer(f.payload()).unwrap(),
        (IpProtocol::Icmpv6, 40)
    );
    let icmp = Icmpv6Packet::new_checked(ip.payload()).unwrap();
    assert!(icmp.verify_checksum(&r.src_addr, &r.dst_addr));
    let ir = Icmpv6Repr::parse(&icmp).unwrap();
    assert_eq!(ir.buffer_len(), ip.payload().len());
    let mut body = vec![0u8; ir.buffer_len()];
    body[ir.buffer_len() - data.len()..].copy_from_slice(data);
    let mut p = Icmpv6Packet::new_unchecked(&mut body[..]);
    ir.emit(&mut p);
    p.fill_checksum(&r.src_addr, &r.dst_addr);
    assert_eq!(with_eth(e, &build_ip(L3::V6(r), &body)), frame);
    ir
}

#[test]
fn icmpv6_echo() {
    let frame = vector!("icmpv6_echo");
    let ir = check_icmpv6(
        &frame,
        eth(MAC_A, MAC_B, EtherType::Ipv6),
        "2001:db8::2",
        "2001:db8::1",
        64,
        b"abcdefgh",
    );
    assert_eq!(
        ir,
        Icmpv6Repr::EchoRequest {
            ident: 0x4321,
            seq_no: 7,
            payload_len: 8
        }
    );
    let icmp = Icmpv6Packet::new_checked(&frame[54..]).unwrap();
    assert_eq!(icmp.msg_type(), Icmpv6Message::EchoRequest);
    assert_eq!((icmp.echo_ident(), icmp.echo_seq_no()), (0x4321, 7));
    assert_eq!(icmp.payload(), b"abcdefgh");
}

#[test]
fn icmpv6_ns() {
    let frame = vector!("icmpv6_ns");
    let group = EthernetAddress::ipv6_multicast(&v6("ff02::1:ff00:1"));
    assert_eq!(group, EthernetAddress([0x33, 0x33, 0xff, 0, 0, 1]));
    let ir = check_icmpv6(
        &frame,
        eth(MAC_B, group, EtherType::Ipv6),
        "2001:db8::2",
        "ff02::1:ff00:1",
        255,
        &[],
    );
    assert_eq!(
        ir,
        Icmpv6Repr::NeighborSolicit {
            target_addr: v6("2001:db8::1"),
            source_lladdr: Some(MAC_B)
        }
    );
    let icmp = Icmpv6Packet::new_checked(&frame[54..]).unwrap();
    assert_eq!(icmp.msg_type(), Icmpv6Message::NeighborSolicit);
    assert_eq!(icmp.target_addr(), v6("2001:db8::1"));
    assert_eq!(icmp.source_lladdr(), Ok(Some(MAC_B)));
    assert_eq!(icmp.target_lladdr(), Ok(None));
}

#[test]
fn icmpv6_na() {
    let frame = vector!("icmpv6_na");
    let ir = check_icmpv6(
        &frame,
        eth(MAC_A, MAC_B, EtherType::Ipv6),
        "2001:db8::1",
        "2001:db8::2",
        255,
        &[],
    );
    assert_eq!(
        ir,
        Icmpv6Repr::NeighborAdvert {
            router: false,
            solicited: true,
            override_: true,
            target_addr: v6("2001:db8::1"),
            target_lladdr: Some(MAC_A),
        }
    );
    let icmp = Icmpv6Packet::new_checked(&frame[54..]).unwrap();
    assert!(!icmp.router_flag() && icmp.solicited_flag() && icmp.override_flag());
    assert_eq!(icmp.target_lladdr(), Ok(Some(MAC_A)));
}

#[test]
fn icmpv6_rs() {
    let frame = vector!("icmpv6_rs");
    let group = EthernetAddress([0x33, 0x33, 0, 0, 0, 2]);
    let ir = check_icmpv6(
        &frame,
        eth(MAC_B, group, EtherType::Ipv6),
        "fe80::2",
        "ff02::2",
        255,
        &[],
    );
    assert_eq!(
        ir,
        Icmpv6Repr::RouterSolicit {
            source_lladdr: Some(MAC_B)
        }
    );
    let icmp = Icmpv6Packet::new_checked(&frame[54..]).unwrap();
    assert_eq!(icmp.msg_type(), Icmpv6Message::RouterSolicit);
}

/// A G-PDU vector over IPv4: checks the outer stack and the inner packet,
/// compares the GTP-U repr and rebuilds the whole frame with our encoder.
fn check_gpdu_v4(
    frame: &[u8],
    ident: u16,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    want: GtpuRepr,
) -> Vec<(u8, Vec<u8>)> {
    let (gtp, e, l3, u) = outer_v4(frame, ident, src, dst);
    let p = GtpuPacket::new_checked(gtp).unwrap();
    assert_eq!(p.version(), 1);
    assert_eq!(p.protocol_type(), 1);
    assert_eq!(p.msg_type(), MessageType::GPdu);
    assert_eq!(usize::from(p.length()), gtp.len() - 8);
    assert_eq!(p.teid(), want.teid);
    assert_eq!(p.seq_number(), want.seq_number);
    assert_eq!(p.npdu_number(), None);
    assert_eq!(p.ext_flag(), want.pdu_session.is_some());
    let r = GtpuRepr::parse(&p).unwrap();
    assert_eq!(r, want);
    assert_eq!(p.header_len(), r.header_len());
    let inner = inner_v4(p.payload());
    let rebuilt = rebuild_outer(e, l3, u, &emit_gtpu(&r, &inner));
    assert_eq!(rebuilt, frame);
    p.extension_headers()
        .map(|(t, c)| (t, c.to_vec()))
        .collect()
}

const INNER_LEN: usize = 20 + 8 + 13;

#[test]
fn gtpu_gpdu() {
    let frame = vector!("gtpu_gpdu");
    let exts = check_gpdu_v4(
        &frame,
        0x100,
        GNB_V4,
        UPF_V4,
        GtpuRepr::gpdu(0x1000, INNER_LEN),
    );
    assert!(exts.is_empty());
    let p = GtpuPacket::new_checked(&frame[42..]).unwrap();
    assert_eq!(p.header_len(), 8);
    assert_eq!(p.length(), 41);
    assert!(!p.has_optional());
}

#[test]
fn gtpu_ul_psc() {
    let frame = vector!("gtpu_ul_psc");
    let want = GtpuRepr {
        pdu_session: Some(PduSessionInfo::Ul(UlPduSessionInfo::new(9))),
        ..GtpuRepr::gpdu(0x1001, INNER_LEN)
    };
    let exts = check_gpdu_v4(&frame, 0x100, GNB_V4, UPF_V4, want);
    assert_eq!(exts, vec![(0x85, vec![0x10, 0x09])]);
    let p = GtpuPacket::new_checked(&frame[42..]).unwrap();
    assert_eq!(p.next_ext_type(), 0x85);
    assert_eq!(p.header_len(), 16);
}

#[test]
fn gtpu_dl_psc() {
    let frame = vector!("gtpu_dl_psc");
    let dl = DlPduSessionInfo {
        rqi: true,
        ..DlPduSessionInfo::new(5)
    };
    let want = GtpuRepr {
        pdu_session: Some(PduSessionInfo::Dl(dl)),
        ..GtpuRepr::gpdu(0x2000, INNER_LEN)
    };
    let exts = check_gpdu_v4(&frame, 0x200, UPF_V4, GNB_V4, want);
    assert_eq!(exts, vec![(0x85, vec![0x00, 0x45])]);
}

#[test]
fn gtpu_dl_psc_ppi() {
    let frame = vector!("gtpu_dl_psc_ppi");
    let dl = DlPduSessionInfo {
        rqi: true,
        ppi: Some(3),
        ..DlPduSessionInfo::new(5)
    };
    let want = GtpuRepr {
        pdu_session: Some(PduSessionInfo::Dl(dl)),
        ..GtpuRepr::gpdu(0x2000, INNER_LEN)
    };
    let exts = check_gpdu_v4(&frame, 0x201, UPF_V4, GNB_V4, want);
    // content: type/flags, PPP|RQI|QFI, PPI, one octet of padding
    assert_eq!(exts, vec![(0x85, vec![0x00, 0xc5, 0x60, 0x00, 0x00, 0x00])]);
}

#[test]
fn gtpu_dl_psc_qmp_snp() {
    let frame = vector!("gtpu_dl_psc_qmp_snp");
    let dl = DlPduSessionInfo {
        dl_sending_timestamp: Some(0x0102_0304_0506_0708),
        dl_qfi_seq_number: Some(0xab_cdef),
        ..DlPduSessionInfo::new(1)
    };
    let want = GtpuRepr {
        pdu_session: Some(PduSessionInfo::Dl(dl)),
        ..GtpuRepr::gpdu(0x2001, INNER_LEN)
    };
    let exts = check_gpdu_v4(&frame, 0x202, UPF_V4, GNB_V4, want);
    assert_eq!(exts[0].1.len(), 14);
}

#[test]
fn gtpu_ul_psc_full() {
    let frame = vector!("gtpu_ul_psc_full");
    let ul = UlPduSessionInfo {
        timestamps: Some(UlTimestamps {
            dl_sending_repeated: 0x1111_1111_1111_1111,
            dl_received: 0x2222_2222_2222_2222,
            ul_sending: 0x3333_3333_3333_3333,
        }),
        dl_delay_result: Some(0x4444_4444),
        ul_delay_result: Some(0x5555_5555),
        ul_qfi_seq_number: Some(0x66_6666),
        n3n9_delay_result: Some(0x7777_7777),
        new_ie_flags: None,
        ..UlPduSessionInfo::new(9)
    };
    let want = GtpuRepr {
        pdu_session: Some(PduSessionInfo::Ul(ul)),
        ..GtpuRepr::gpdu(0x1002, INNER_LEN)
    };
    let exts = check_gpdu_v4(&frame, 0x100, GNB_V4, UPF_V4, want);
    assert_eq!(exts[0].1.len(), 42);
    assert_eq!(PduSessionInfo::Ul(ul).buffer_len(), 44);
}

#[test]
fn gtpu_seq() {
    let frame = vector!("gtpu_seq");
    let want = GtpuRepr {
        seq_number: Some(0xbeef),
        ..GtpuRepr::gpdu(0x1003, INNER_LEN)
    };
    check_gpdu_v4(&frame, 0x100, GNB_V4, UPF_V4, want);
    let p = GtpuPacket::new_checked(&frame[42..]).unwrap();
    assert!(p.seq_flag() && !p.ext_flag() && !p.npdu_flag());
    assert_eq!(p.header_len(), 12);
    assert_eq!(p.next_ext_type(), 0);
}

#[test]
fn gtpu_ipv6() {
    let frame = vector!("gtpu_ipv6");
    let (gnb, upf) = (v6("2001:db8:1::10"), v6("2001:db8:1::1"));
    let (gtp, e, l3, u) = outer_v6(&frame, gnb, upf);
    let p = GtpuPacket::new_checked(gtp).unwrap();
    let r = GtpuRepr::parse(&p).unwrap();
    assert_eq!(r, GtpuRepr::gpdu(0x3000, 40 + 8 + 8));
    let inner = Ipv6Packet::new_checked(p.payload()).unwrap();
    let ir = Ipv6Repr::parse(&inner).unwrap();
    let (ue, dn) = (v6("2001:db8:45::2"), v6("2001:db8:99::7"));
    assert_eq!(ir, ipv6(ue, dn, 63, IpProtocol::Udp, 16));
    let udp = UdpPacket::new_checked(inner.payload()).unwrap();
    assert!(udp.verify_checksum_v6(ue, dn));
    let iu = UdpRepr::parse(&udp).unwrap();
    assert_eq!(
        iu,
        UdpRepr {
            src_port: 40001,
            dst_port: 443,
            payload_len: 8
        }
    );
    assert_eq!(udp.payload(), b"inner-v6");
    let il3 = L3::V6(ir);
    let inner_bytes = build_ip(il3, &build_udp(&il3, iu, b"inner-v6"));
    assert_eq!(rebuild_outer(e, l3, u, &emit_gtpu(&r, &inner_bytes)), frame);
}

#[test]
fn gtpu_echo_request() {
    let frame = vector!("gtpu_echo_request");
    let (gtp, e, l3, u) = outer_v4(&frame, 0x100, GNB_V4, UPF_V4);
    let p = GtpuPacket::new_checked(gtp).unwrap();
    let r = GtpuRepr::parse(&p).unwrap();
    assert_eq!(
        r,
        GtpuRepr {
            msg_type: MessageType::EchoRequest,
            seq_number: Some(42),
            ..GtpuRepr::gpdu(0, 0)
        }
    );
    assert_eq!(p.length(), 4);
    assert_eq!(IeIter::new(p.payload()).count(), 0);
    let mut out = [0u8; 64];
    let n = emit_echo_request(42, &mut out).unwrap();
    assert_eq!(rebuild_outer(e, l3, u, &out[..n]), frame);
}

#[test]
fn gtpu_echo_response() {
    let frame = vector!("gtpu_echo_response");
    let (gtp, e, l3, u) = outer_v4(&frame, 0x300, UPF_V4, GNB_V4);
    let p = GtpuPacket::new_checked(gtp).unwrap();
    let r = GtpuRepr::parse(&p).unwrap();
    assert_eq!(
        r,
        GtpuRepr {
            msg_type: MessageType::EchoResponse,
            seq_number: Some(42),
            ..GtpuRepr::gpdu(0, 2)
        }
    );
    let ies: Vec<_> = IeIter::new(p.payload()).collect();
    assert_eq!(ies, vec![Ok(GtpuIe::Recovery(0))]);
    let mut out = [0u8; 64];
    let n = emit_echo_response(42, &mut out).unwrap();
    assert_eq!(rebuild_outer(e, l3, u, &out[..n]), frame);
}

fn check_error_indication(
    gtp: &[u8],
    seq: u16,
    body: ErrorIndicationRepr,
    udp_port: Option<u16>,
) -> Vec<u8> {
    let p = GtpuPacket::new_checked(gtp).unwrap();
    let r = GtpuRepr::parse(&p).unwrap();
    assert_eq!(r.msg_type, MessageType::ErrorIndication);
    assert_eq!(r.teid, 0);
    assert_eq!(r.seq_number, Some(seq));
    assert_eq!(r.pdu_session, None);
    let exts: Vec<_> = p.extension_headers().collect();
    match udp_port {
        Some(port) => assert_eq!(exts, vec![(0x40, &port.to_be_bytes()[..])]),
        None => assert!(exts.is_empty()),
    }
    let ies: Vec<_> = IeIter::new(p.payload()).collect();
    assert_eq!(
        ies,
        vec![
            Ok(GtpuIe::TeidDataI(body.teid)),
            Ok(GtpuIe::PeerAddress(body.peer_addr))
        ]
    );
    assert_eq!(ErrorIndicationRepr::parse(p.payload()).unwrap(), body);
    let mut out = vec![0u8; 128];
    let n = emit_error_indication(seq, &body, udp_port, &mut out).unwrap();
    out.truncate(n);
    out
}

#[test]
fn gtpu_error_indication_v4() {
    let frame = vector!("gtpu_error_indication_v4");
    let (gtp, e, l3, u) = outer_v4(&frame, 0x301, UPF_V4, GNB_V4);
    let body = ErrorIndicationRepr {
        teid: 0x1000,
        peer_addr: GNB_V4.into(),
    };
    let out = check_error_indication(gtp, 3, body, None);
    assert_eq!(rebuild_outer(e, l3, u, &out), frame);
}

#[test]
fn gtpu_error_indication_v6() {
    let frame = vector!("gtpu_error_indication_v6");
    let (gnb, upf) = (v6("2001:db8:1::10"), v6("2001:db8:1::1"));
    let (gtp, e, l3, u) = outer_v6(&frame, upf, gnb);
    let body = ErrorIndicationRepr {
        teid: 0x3000,
        peer_addr: gnb.into(),
    };
    let out = check_error_indication(gtp, 4, body, None);
    assert_eq!(rebuild_outer(e, l3, u, &out), frame);
}

#[test]
fn gtpu_error_indication_udp_port() {
    let frame = vector!("gtpu_error_indication_udp_port");
    let (gtp, e, l3, u) = outer_v4(&frame, 0x302, UPF_V4, GNB_V4);
    let body = ErrorIndicationRepr {
        teid: 0x1000,
        peer_addr: GNB_V4.into(),
    };
    let out = check_error_indication(gtp, 5, body, Some(2152));
    assert_eq!(rebuild_outer(e, l3, u, &out), frame);
}

#[test]
fn gtpu_end_marker() {
    let frame = vector!("gtpu_end_marker");
    let (gtp, e, l3, u) = outer_v4(&frame, 0x303, UPF_V4, GNB_V4);
    let p = GtpuPacket::new_checked(gtp).unwrap();
    assert_eq!(p.length(), 0);
    assert!(!p.has_optional());
    let r = GtpuRepr::parse(&p).unwrap();
    assert_eq!(
        r,
        GtpuRepr {
            msg_type: MessageType::EndMarker,
            ..GtpuRepr::gpdu(0x2000, 0)
        }
    );
    let mut out = [0u8; 8];
    assert_eq!(emit_end_marker(0x2000, &mut out), Ok(8));
    assert_eq!(rebuild_outer(e, l3, u, &out), frame);
}

/// Every vector, cut anywhere, must be rejected or parsed without a panic.
#[test]
fn truncated_vectors_never_panic() {
    let all = [
        vector!("eth_ipv4_udp"),
        vector!("gtpu_ul_psc_full"),
        vector!("gtpu_dl_psc_ppi"),
        vector!("gtpu_error_indication_udp_port"),
        vector!("icmpv6_ns"),
    ];
    for frame in &all {
        let (l2, _, _) = l2_header_len(frame).unwrap();
        for cut in 0..frame.len() {
            let data = &frame[..cut];
            let _ = l2_header_len(data);
            let Some(l3) = data.get(l2..) else { continue };
            if let Ok(ip) = Ipv4Packet::new_checked(l3) {
                let _ = Ipv4Repr::parse(&ip);
                if let Ok(udp) = UdpPacket::new_checked(ip.payload()) {
                    if let Ok(g) = GtpuPacket::new_checked(udp.payload()) {
                        let _ = GtpuRepr::parse(&g);
                        let _ = g.extension_headers().count();
                        let _ = IeIter::new(g.payload()).count();
                    }
                }
            }
            let _ = wire::upper_layer(l3);
            if let Ok(ip) = Ipv6Packet::new_checked(l3) {
                if let Ok(icmp) = Icmpv6Packet::new_checked(ip.payload()) {
                    let _ = Icmpv6Repr::parse(&icmp);
                }
            }
        }
    }
}
