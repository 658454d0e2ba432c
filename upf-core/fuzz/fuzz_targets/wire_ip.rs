//! IPv4, IPv6 (with the extension-header walk), UDP, ICMPv4 and ICMPv6: no
//! panic on any input; whatever parses re-emits and parses to the same
//! representation.
#![no_main]

use core::net::{IpAddr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use upf_core::wire::{
    upper_layer_info, Icmpv4Packet, Icmpv4Repr, Icmpv6Message, Icmpv6Packet, Icmpv6Repr,
    Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, UdpPacket, UdpRepr,
};

fn udp(data: &[u8], src: &IpAddr, dst: &IpAddr) {
    let Ok(p) = UdpPacket::new_checked(data) else {
        return;
    };
    let _ = (
        p.src_port(),
        p.dst_port(),
        p.len(),
        p.checksum(),
        p.payload(),
    );
    let _ = p.verify_checksum(src, dst);
    let repr = UdpRepr::parse(&p).unwrap();
    let mut buf = vec![0u8; repr.buffer_len()];
    buf[8..].copy_from_slice(p.payload());
    let mut q = UdpPacket::new_unchecked(&mut buf[..]);
    repr.emit(&mut q);
    q.fill_checksum(src, dst);
    let q = UdpPacket::new_checked(&buf[..]).unwrap();
    assert!(q.verify_checksum(src, dst));
    assert_eq!(UdpRepr::parse(&q).unwrap(), repr);
}

fn icmpv4(data: &[u8]) {
    let Ok(p) = Icmpv4Packet::new_checked(data) else {
        return;
    };
    let _ = (
        p.msg_type(),
        p.msg_code(),
        p.checksum(),
        p.echo_ident(),
        p.echo_seq_no(),
    );
    let _ = (p.payload(), p.verify_checksum());
    if let Ok(repr) = Icmpv4Repr::parse(&p) {
        let mut buf = vec![0u8; repr.buffer_len()];
        buf[8..].copy_from_slice(p.payload());
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]));
        let q = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert!(q.verify_checksum());
        assert_eq!(Icmpv4Repr::parse(&q).unwrap(), repr);
    }
}

fn icmpv6(data: &[u8], src: &Ipv6Addr, dst: &Ipv6Addr) {
    let Ok(p) = Icmpv6Packet::new_checked(data) else {
        return;
    };
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
        Icmpv6Message::NeighborSolicit | Icmpv6Message::NeighborAdvert
    ) {
        let _ = p.target_addr();
    }
    let _ = p.verify_checksum(src, dst);
    if let Ok(repr) = Icmpv6Repr::parse(&p) {
        let mut buf = vec![0u8; repr.buffer_len()];
        if let Icmpv6Repr::EchoRequest { .. } | Icmpv6Repr::EchoReply { .. } = repr {
            buf[8..].copy_from_slice(p.payload());
        }
        let mut q = Icmpv6Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut q);
        q.fill_checksum(src, dst);
        let q = Icmpv6Packet::new_checked(&buf[..]).unwrap();
        assert!(q.verify_checksum(src, dst));
        assert_eq!(Icmpv6Repr::parse(&q).unwrap(), repr);
    }
}

fn ipv4(data: &[u8]) {
    let Ok(p) = Ipv4Packet::new_checked(data) else {
        return;
    };
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
        p.verify_checksum(),
    );
    let payload = p.payload();
    let (src, dst) = (IpAddr::V4(p.src_addr()), IpAddr::V4(p.dst_addr()));
    udp(payload, &src, &dst);
    icmpv4(payload);
    if let Ok(repr) = Ipv4Repr::parse(&p) {
        let mut buf = vec![0u8; repr.buffer_len()];
        buf[20..].copy_from_slice(payload);
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
        let q = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(q.verify_checksum());
        assert_eq!(Ipv4Repr::parse(&q).unwrap(), repr);
        assert_eq!(q.payload(), payload);
    }
}

fn ipv6(data: &[u8]) {
    let upper = upper_layer_info(data);
    let Ok(p) = Ipv6Packet::new_checked(data) else {
        assert!(upper.is_err());
        return;
    };
    let _ = (
        p.version(),
        p.traffic_class(),
        p.flow_label(),
        p.payload_len(),
    );
    let _ = (p.next_header(), p.hop_limit(), p.src_addr(), p.dst_addr());
    let (src, dst) = (p.src_addr(), p.dst_addr());
    if let Ok(u) = upper {
        assert!(u.offset <= p.total_len());
        let rest = &data[u.offset..p.total_len()];
        if !u.is_non_first_fragment() {
            udp(rest, &IpAddr::V6(src), &IpAddr::V6(dst));
            icmpv6(rest, &src, &dst);
        }
    }
    if let Ok(repr) = Ipv6Repr::parse(&p) {
        let mut buf = vec![0u8; repr.buffer_len()];
        buf[40..].copy_from_slice(p.payload());
        repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
        assert_eq!(
            Ipv6Repr::parse(&Ipv6Packet::new_checked(&buf[..]).unwrap()).unwrap(),
            repr
        );
    }
}

fuzz_target!(|data: &[u8]| {
    ipv4(data);
    ipv6(data);
    // The same bytes taken as a bare transport header.
    let (a, b) = (Ipv6Addr::LOCALHOST, Ipv6Addr::UNSPECIFIED);
    udp(data, &IpAddr::V6(a), &IpAddr::V6(b));
    icmpv4(data);
    icmpv6(data, &a, &b);
    // Skip an Ethernet header, if the input is a whole frame.
    if let Ok(h) = upf_core::wire::l2_header(data) {
        ipv4(&data[h.header_len..]);
        ipv6(&data[h.header_len..]);
    }
});
