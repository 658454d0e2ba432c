//! Traffic the UPF answers itself: ICMP echo to its addresses, GTP-U Echo
//! Requests (TS 29.281 §7.2.1), Error Indications for unknown TEIDs
//! (§7.3.1, rate-limited), and the ARP and Neighbor Discovery answers the
//! control thread sends for the UPF's addresses.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::classify::Pkt;
use super::{Ctx, PathState, Verdict};
use crate::buf::PacketBuf;
use crate::counters::{DropReason, Stat};
use crate::wire::{
    emit_echo_response, emit_error_indication, ArpOperation, ArpPacket, ArpRepr,
    ErrorIndicationRepr, EtherType, EthernetAddress, EthernetFrame, Icmpv4Message, Icmpv4Packet,
    Icmpv6Message, Icmpv6Packet, Icmpv6Repr, IpProtocol, Ipv4Packet, Ipv4Repr, Ipv6Packet,
    Ipv6Repr, UdpPacket, GTPU_PORT,
};

const ECHO_RESPONSE_LEN: usize = 14;

/// Answers an ICMPv4 Echo Request to a UPF address in place.
pub(crate) fn icmpv4_echo<B: PacketBuf>(
    st: &mut PathState,
    buf: &mut B,
    l2_len: usize,
    peer_mac: EthernetAddress,
) -> Verdict {
    let (len, src, dst) = {
        let Ok(ip) = Ipv4Packet::new_checked(&buf.data()[l2_len..]) else {
            return Verdict::Drop(DropReason::Malformed);
        };
        if ip.is_fragment() {
            return Verdict::Drop(DropReason::LocalUnhandled);
        }
        match Icmpv4Packet::new_checked(ip.payload()) {
            Ok(icmp) if icmp.msg_type() == Icmpv4Message::EchoRequest && icmp.verify_checksum() => {
            }
            _ => return Verdict::Drop(DropReason::LocalUnhandled),
        }
        (usize::from(ip.total_len()), ip.src_addr(), ip.dst_addr())
    };
    if !(buf.adj(l2_len) && buf.truncate(len)) {
        return Verdict::Drop(DropReason::Malformed);
    }
    let mut ip = Ipv4Packet::new_unchecked(buf.data_mut());
    ip.set_src_addr(dst);
    ip.set_dst_addr(src);
    ip.set_hop_limit(64);
    ip.fill_checksum();
    let mut icmp = Icmpv4Packet::new_unchecked(ip.payload_mut());
    icmp.set_msg_type(Icmpv4Message::EchoReply);
    icmp.fill_checksum();
    st.counters.stat(Stat::IcmpEchoReply);
    Verdict::Reply { peer_mac }
}

/// Answers an ICMPv6 Echo Request to a UPF address in place.
pub(crate) fn icmpv6_echo<B: PacketBuf>(
    _ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    l2_len: usize,
    peer_mac: EthernetAddress,
) -> Verdict {
    let (len, src, dst) = {
        let Ok(ip) = Ipv6Packet::new_checked(&buf.data()[l2_len..]) else {
            return Verdict::Drop(DropReason::Malformed);
        };
        match Icmpv6Packet::new_checked(ip.payload()) {
            Ok(icmp) if icmp.verify_checksum(&ip.src_addr(), &ip.dst_addr()) => {}
            _ => return Verdict::Drop(DropReason::LocalUnhandled),
        }
        (ip.total_len(), ip.src_addr(), ip.dst_addr())
    };
    if !(buf.adj(l2_len) && buf.truncate(len)) {
        return Verdict::Drop(DropReason::Malformed);
    }
    let mut ip = Ipv6Packet::new_unchecked(buf.data_mut());
    ip.set_src_addr(dst);
    ip.set_dst_addr(src);
    ip.set_hop_limit(64);
    let mut icmp = Icmpv6Packet::new_unchecked(ip.payload_mut());
    icmp.set_msg_type(Icmpv6Message::EchoReply);
    icmp.fill_checksum(&dst, &src);
    st.counters.stat(Stat::IcmpEchoReply);
    Verdict::Reply { peer_mac }
}

/// The outer addresses and UDP source port of a GTP-U message.
fn outer(frame: &[u8], pkt: &Pkt) -> Option<(IpAddr, u16)> {
    let l3 = frame.get(pkt.l2_len..)?;
    let (src, ihl) = match l3.first()? >> 4 {
        4 => (
            IpAddr::V4(Ipv4Packet::new_checked(l3).ok()?.src_addr()),
            usize::from(l3[0] & 0xf) * 4,
        ),
        6 => (IpAddr::V6(Ipv6Packet::new_checked(l3).ok()?.src_addr()), 40),
        _ => return None,
    };
    let sport = u16::from_be_bytes([*l3.get(ihl)?, *l3.get(ihl + 1)?]);
    Some((src, sport))
}

/// Rewrites the buffer into `src -> dst` UDP from port 2152 to `dport`
/// carrying `body_len` octets written by `body`.
#[allow(clippy::too_many_arguments)]
fn udp_reply<B: PacketBuf>(
    st: &mut PathState,
    buf: &mut B,
    l2_len: usize,
    src: IpAddr,
    dst: IpAddr,
    dport: u16,
    body_len: usize,
    body: impl FnOnce(&mut [u8]) -> bool,
) -> bool {
    let ip_len = if src.is_ipv4() { 20 } else { 40 };
    let total = ip_len + 8 + body_len;
    // Decide before changing anything: a refused reply leaves the frame as it was.
    let Some(have) = buf.len().checked_sub(l2_len) else {
        return false;
    };
    if have < total && buf.headroom() + l2_len < total - have {
        return false;
    }
    if !buf.adj(l2_len) {
        return false;
    }
    let sized = if have >= total {
        buf.truncate(total)
    } else {
        buf.prepend(total - have)
    };
    if !sized {
        return false;
    }
    let data = buf.data_mut();
    if !body(&mut data[ip_len + 8..]) {
        return false;
    }
    {
        let mut udp = UdpPacket::new_unchecked(&mut data[ip_len..]);
        udp.set_src_port(GTPU_PORT);
        udp.set_dst_port(dport);
        udp.set_len((8 + body_len) as u16);
        udp.set_checksum(0);
    }
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            st.ip_ident = st.ip_ident.wrapping_add(1);
            Ipv4Repr {
                src_addr: s,
                dst_addr: d,
                next_header: IpProtocol::Udp,
                payload_len: 8 + body_len,
                hop_limit: 64,
                dscp: 0,
                ecn: 0,
                ident: st.ip_ident,
                dont_frag: false,
            }
            .emit(&mut Ipv4Packet::new_unchecked(&mut data[..]));
            let mut udp = UdpPacket::new_unchecked(&mut data[ip_len..]);
            udp.fill_checksum_v4(s, d);
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            Ipv6Repr {
                src_addr: s,
                dst_addr: d,
                next_header: IpProtocol::Udp,
                payload_len: 8 + body_len,
                hop_limit: 64,
                traffic_class: 0,
                flow_label: 0,
            }
            .emit(&mut Ipv6Packet::new_unchecked(&mut data[..]));
            let mut udp = UdpPacket::new_unchecked(&mut data[ip_len..]);
            udp.fill_checksum_v6(s, d);
        }
        _ => return false,
    }
    true
}

/// Answers a GTP-U Echo Request with an Echo Response carrying the
/// request's sequence number and a Recovery IE, to the request's source
/// address and port.
pub(crate) fn gtpu_echo_response<B: PacketBuf>(
    _ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    pkt: &Pkt,
    local_addr: IpAddr,
    seq: u16,
) -> Verdict {
    let Some((peer, sport)) = outer(buf.data(), pkt) else {
        return Verdict::Drop(DropReason::Malformed);
    };
    let ok = udp_reply(
        st,
        buf,
        pkt.l2_len,
        local_addr,
        peer,
        sport,
        ECHO_RESPONSE_LEN,
        |body| emit_echo_response(seq, body).is_ok(),
    );
    if !ok {
        return Verdict::Drop(DropReason::NoHeadroom);
    }
    st.counters.stat(Stat::EchoReply);
    Verdict::Reply {
        peer_mac: pkt.peer_mac,
    }
}

/// Answers a G-PDU for an unknown TEID with an Error Indication (TEID Data
/// I, GTP-U Peer Address; the UDP Port extension header when the G-PDU did
/// not come from port 2152), sent to port 2152 of the sender, within the
/// worker's rate limit.
pub(crate) fn error_indication<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    pkt: &Pkt,
    local_addr: IpAddr,
    teid: u32,
) -> Verdict {
    if !st.error_indications.allow(ctx.now_ns) {
        st.counters.drop(DropReason::UnknownTeid);
        return Verdict::Drop(DropReason::ErrorIndicationRateLimited);
    }
    let Some((peer, sport)) = outer(buf.data(), pkt) else {
        return Verdict::Drop(DropReason::Malformed);
    };
    let body = ErrorIndicationRepr {
        teid,
        peer_addr: local_addr,
    };
    let udp_port = (sport != GTPU_PORT).then_some(sport);
    let len = 12 + if udp_port.is_some() { 4 } else { 0 } + body.buffer_len();
    let ok = udp_reply(
        st,
        buf,
        pkt.l2_len,
        local_addr,
        peer,
        GTPU_PORT,
        len,
        |out| emit_error_indication(0, &body, udp_port, out).is_ok_and(|n| n == len),
    );
    st.counters.drop(DropReason::UnknownTeid);
    if !ok {
        return Verdict::Drop(DropReason::NoHeadroom);
    }
    st.counters.stat(Stat::ErrorIndication);
    Verdict::Reply {
        peer_mac: pkt.peer_mac,
    }
}

/// Turns an ARP Request for one of `ours` into the Reply from `our_mac`, in
/// place (the frame is Ethernet without VLAN tags, or with them kept as
/// they are). Returns the sender's address and MAC (for the neighbour
/// table) and whether the frame now holds a reply to send back.
pub fn arp_reply(
    frame: &mut [u8],
    our_mac: EthernetAddress,
    ours: impl Fn(Ipv4Addr) -> bool,
) -> Option<(Ipv4Addr, EthernetAddress, bool)> {
    let l2 = crate::wire::l2_header(frame).ok()?;
    if l2.ethertype != EtherType::Arp {
        return None;
    }
    let repr = ArpRepr::parse(&ArpPacket::new_checked(&frame[l2.header_len..]).ok()?).ok()?;
    let ArpRepr::EthernetIpv4 {
        operation,
        source_hardware_addr,
        source_protocol_addr,
        target_protocol_addr,
        ..
    } = repr;
    let answer = operation == ArpOperation::Request && ours(target_protocol_addr);
    if answer {
        let reply = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Reply,
            source_hardware_addr: our_mac,
            source_protocol_addr: target_protocol_addr,
            target_hardware_addr: source_hardware_addr,
            target_protocol_addr: source_protocol_addr,
        };
        reply.emit(&mut ArpPacket::new_unchecked(&mut frame[l2.header_len..]));
        let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
        eth.set_dst_addr(source_hardware_addr);
        eth.set_src_addr(our_mac);
    }
    Some((source_protocol_addr, source_hardware_addr, answer))
}

/// Answers a Neighbor Solicitation for one of `ours`: writes the Neighbor
/// Advertisement frame (Ethernet, IPv6, ICMPv6 with the target link-layer
/// address) into `out` and returns its length, and the solicitor's address
/// and MAC for the neighbour table. `None` if the frame is not such a
/// solicitation.
pub fn neighbor_advertisement(
    frame: &[u8],
    our_mac: EthernetAddress,
    ours: impl Fn(Ipv6Addr) -> bool,
    out: &mut [u8],
) -> Option<(usize, Ipv6Addr, Option<EthernetAddress>)> {
    let l2 = crate::wire::l2_header(frame).ok()?;
    if l2.ethertype != EtherType::Ipv6 {
        return None;
    }
    let ip = Ipv6Packet::new_checked(&frame[l2.header_len..]).ok()?;
    if ip.next_header() != IpProtocol::Icmpv6 || ip.hop_limit() != 255 {
        return None;
    }
    let icmp = Icmpv6Packet::new_checked(ip.payload()).ok()?;
    if !icmp.verify_checksum(&ip.src_addr(), &ip.dst_addr()) {
        return None;
    }
    let Icmpv6Repr::NeighborSolicit {
        target_addr,
        source_lladdr,
    } = Icmpv6Repr::parse(&icmp).ok()?
    else {
        return None;
    };
    if !ours(target_addr) {
        return None;
    }
    let solicitor = ip.src_addr();
    // Unspecified source (duplicate address detection): answer to all-nodes.
    let (dst_ip, dst_mac) = if solicitor.is_unspecified() {
        (
            Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1),
            EthernetAddress::ipv6_multicast(&Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1)),
        )
    } else {
        (
            solicitor,
            source_lladdr.unwrap_or(EthernetAddress(frame[6..12].try_into().ok()?)),
        )
    };
    let na = Icmpv6Repr::NeighborAdvert {
        router: false,
        solicited: !solicitor.is_unspecified(),
        override_: true,
        target_addr,
        target_lladdr: Some(our_mac),
    };
    let icmp_len = na.buffer_len();
    let total = 14 + 40 + icmp_len;
    let out = out.get_mut(..total)?;
    let mut eth = EthernetFrame::new_unchecked(&mut out[..]);
    eth.set_dst_addr(dst_mac);
    eth.set_src_addr(our_mac);
    eth.set_ethertype(EtherType::Ipv6);
    Ipv6Repr {
        src_addr: target_addr,
        dst_addr: dst_ip,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp_len,
        hop_limit: 255,
        traffic_class: 0,
        flow_label: 0,
    }
    .emit(&mut Ipv6Packet::new_unchecked(&mut out[14..]));
    let mut icmp = Icmpv6Packet::new_unchecked(&mut out[54..]);
    na.emit(&mut icmp);
    icmp.fill_checksum(&target_addr, &dst_ip);
    Some((total, solicitor, source_lladdr))
}
