//! GTP-U: header, extension-header chain, PDU Session Container and
//! information elements. No panic on any input; whatever parses re-emits and
//! parses to the same representation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use upf_core::wire::{
    comprehension_required, emit_error_indication, l2_header, upper_layer, ErrorIndicationRepr,
    GtpuIe, GtpuPacket, GtpuRepr, IeIter, IpProtocol, Ipv4Packet, PduSessionInfo, UdpPacket,
};

fn psc(content: &[u8]) {
    if let Ok(info) = PduSessionInfo::parse(content) {
        let mut buf = vec![0u8; info.buffer_len()];
        assert_eq!(info.emit(&mut buf, 0x40), Ok(info.buffer_len()));
        assert_eq!(PduSessionInfo::parse_ext_header(&buf), Ok((info, 0x40)));
    }
}

fn ies(data: &[u8]) {
    for ie in IeIter::new(data).flatten() {
        let mut buf = vec![0u8; ie.buffer_len()];
        let n = ie.emit(&mut buf).unwrap();
        assert_eq!(GtpuIe::parse(&buf[..n]), Ok((ie, n)));
    }
    if let Ok(body) = ErrorIndicationRepr::parse(data) {
        let mut buf = [0u8; 64];
        let n = emit_error_indication(1, &body, Some(2152), &mut buf).unwrap();
        let p = GtpuPacket::new_checked(&buf[..n]).unwrap();
        assert_eq!(ErrorIndicationRepr::parse(p.payload()), Ok(body));
    }
}

fn gtpu(data: &[u8]) {
    let Ok(p) = GtpuPacket::new_checked(data) else {
        return;
    };
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
    let _ = p.next_ext_type();
    let header_len = p.header_len();
    let payload = p.payload();
    assert_eq!(header_len + payload.len(), p.message_len());
    for (t, content) in p.extension_headers() {
        let _ = comprehension_required(t);
        psc(content);
    }
    ies(payload);
    if let Ok(repr) = GtpuRepr::parse(&p) {
        let mut buf = vec![0u8; repr.buffer_len()];
        buf[repr.header_len()..].copy_from_slice(payload);
        repr.emit(&mut GtpuPacket::new_unchecked(&mut buf[..]));
        let q = GtpuPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(GtpuRepr::parse(&q), Ok(repr));
        assert_eq!(q.payload(), payload);
    }
}

fuzz_target!(|data: &[u8]| {
    gtpu(data);
    psc(data);
    let _ = PduSessionInfo::parse_ext_header(data);
    ies(data);
    // A whole frame: Ethernet / IPv4 or IPv6 / UDP / GTP-U.
    let Ok(h) = l2_header(data) else { return };
    let l3 = &data[h.header_len..];
    let udp = if let Ok(ip) = Ipv4Packet::new_checked(l3) {
        ip.payload()
    } else if let Ok((IpProtocol::Udp, off)) = upper_layer(l3) {
        &l3[off..]
    } else {
        return;
    };
    if let Ok(u) = UdpPacket::new_checked(udp) {
        gtpu(u.payload());
    }
});
