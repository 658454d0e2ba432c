//! Stage 1: classify a frame by its link-layer and IP headers.
//!
//! Frames for the UPF itself (GTP-U on UDP 2152, ICMP echo, ARP, NDP) are
//! told apart from user traffic toward a UE (plain IP, looked up by the
//! destination address). Tunnelled traffic continues in [`super::gtpu_input`].

use core::net::{IpAddr, Ipv4Addr};

use super::{far, gtpu_input, local, pdr_match, Ctx, PathState, Verdict};
use crate::buf::PacketBuf;
use crate::counters::{DropReason, Stat};
use crate::rules::Interface;
use crate::wire::{
    l2_header, Error as WireError, EtherType, EthernetAddress, Icmpv6Packet, IpProtocol,
    Ipv4Packet, Ipv6Packet, UdpPacket, GTPU_PORT,
};

/// Where the packet's parts are, filled in as the stages go.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pkt {
    /// Link-layer address the frame came from.
    pub peer_mac: EthernetAddress,
    /// Length of the link-layer header.
    pub l2_len: usize,
    /// Offset of the IP packet the PDRs look at (the inner packet of a G-PDU).
    pub ip_off: usize,
    /// Length of that IP packet, from its own header.
    pub ip_len: usize,
    /// Length of the outer IP packet (the same as `ip_len` without a tunnel).
    pub outer_len: usize,
    /// Tunnel the packet arrived in.
    pub tunnel: Option<Tunnel>,
}

/// The GTP-U tunnel a packet arrived in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tunnel {
    /// Local TEID.
    pub teid: u32,
    /// QFI from the PDU Session Container, if any.
    pub qfi: Option<u8>,
}

/// Offsets in the common frame: untagged Ethernet, a 20-octet IPv4 header,
/// UDP, GTP-U.
const ETH: usize = 14;
const IP: usize = ETH;
const UDP: usize = IP + 20;
const GTP: usize = UDP + 8;

#[inline]
fn be16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

/// What the fast classification found.
enum Fast {
    /// A G-PDU to a UPF address.
    Gpdu(Pkt, Ipv4Addr),
    /// An IPv4 packet toward a UE.
    ToUe(Pkt, Ipv4Addr),
    /// Something else: the general stages decide.
    No,
}

/// The common frames, read at fixed offsets after one length check:
/// untagged IPv4 with a 20-octet header, and then either not addressed to
/// the UPF (toward a UE), or unfragmented UDP to port 2152 of a UPF address
/// carrying a G-PDU without optional fields or with exactly one uplink PDU
/// Session Container that carries nothing but the QFI. Anything else is
/// [`Fast::No`], which the general stages then decide; for the frames
/// accepted here they would reach the same result (every check they make
/// holds: see the differential test).
#[inline]
fn fast_v4(cfg: &super::PathConfig, frame: &[u8]) -> Fast {
    let Some(h) = frame.first_chunk::<{ ETH + 20 }>() else {
        return Fast::No;
    };
    if h[12] != 0x08 || h[13] != 0x00 || h[IP] != 0x45 {
        return Fast::No;
    }
    let total = be16(h, IP + 2);
    if total < 20 || ETH + total > frame.len() {
        return Fast::No;
    }
    let dst = Ipv4Addr::new(h[IP + 16], h[IP + 17], h[IP + 18], h[IP + 19]);
    let mut peer = [0u8; 6];
    peer.copy_from_slice(&h[6..12]);
    let mut pkt = Pkt {
        peer_mac: EthernetAddress(peer),
        l2_len: ETH,
        ip_off: ETH,
        ip_len: total,
        outer_len: total,
        tunnel: None,
    };
    if !cfg.is_local_v4(dst) {
        return Fast::ToUe(pkt, dst);
    }
    let Some(h) = frame.first_chunk::<{ GTP + 8 }>() else {
        return Fast::No;
    };
    if h[IP + 9] != 17
        || h[IP + 6] & 0x3f != 0
        || h[IP + 7] != 0
        || be16(h, UDP + 2) != usize::from(GTPU_PORT)
        || h[GTP + 1] != 0xff
    {
        return Fast::No;
    }
    let udp_len = be16(h, UDP + 4);
    let msg_len = 8 + be16(h, GTP + 2);
    // UDP Length within the IP packet, the GTP-U message within the UDP
    // payload (so within the frame).
    if udp_len < 8 || udp_len + 20 > total || msg_len + 8 > udp_len {
        return Fast::No;
    }
    let (hdr_len, qfi) = match h[GTP] {
        0x30 => (8, None),
        // E only: one extension header, a PDU Session Container of one
        // 4-octet unit (UL, no optional fields) that ends the chain.
        0x34 if msg_len >= 16 => match frame.first_chunk::<{ GTP + 16 }>() {
            Some(e)
                if e[GTP + 11] == 0x85
                    && e[GTP + 12] == 1
                    && e[GTP + 13] == 0x10
                    && e[GTP + 14] & 0xc0 == 0
                    && e[GTP + 15] == 0 =>
            {
                (16, Some(e[GTP + 14] & 0x3f))
            }
            _ => return Fast::No,
        },
        _ => return Fast::No,
    };
    let teid = u32::from_be_bytes([h[GTP + 4], h[GTP + 5], h[GTP + 6], h[GTP + 7]]);
    pkt.ip_off = GTP + hdr_len;
    pkt.ip_len = msg_len - hdr_len;
    pkt.tunnel = Some(Tunnel { teid, qfi });
    Fast::Gpdu(pkt, dst)
}

#[inline(always)]
pub(crate) fn classify<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    ingress: Interface,
    buf: &mut B,
) -> Verdict {
    match fast_v4(ctx.cfg, buf.data()) {
        Fast::Gpdu(pkt, dst) => gtpu_input::gpdu(ctx, st, buf, pkt, IpAddr::V4(dst)),
        Fast::ToUe(pkt, dst) => to_ue_v4(ctx, st, ingress, buf, &pkt, dst),
        Fast::No => general(ctx, st, ingress, buf),
    }
}

/// Every frame, through the views of [`crate::wire`].
#[inline(never)]
pub(crate) fn general<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    ingress: Interface,
    buf: &mut B,
) -> Verdict {
    let frame = buf.data();
    let l2 = match l2_header(frame) {
        Ok(h) => h,
        Err(WireError::Unsupported) => return Verdict::Drop(DropReason::UnsupportedEthertype),
        Err(_) => return Verdict::Drop(DropReason::Malformed),
    };
    let mut peer = [0u8; 6];
    peer.copy_from_slice(&frame[6..12]);
    let peer_mac = EthernetAddress(peer);
    let l3 = &frame[l2.header_len..];
    match l2.ethertype {
        EtherType::Ipv4 => ipv4(ctx, st, ingress, buf, l2.header_len, peer_mac),
        EtherType::Ipv6 => ipv6(ctx, st, ingress, buf, l2.header_len, peer_mac),
        EtherType::Arp if !l3.is_empty() => Verdict::Control(super::ControlEvent::Arp),
        _ => Verdict::Drop(DropReason::UnsupportedEthertype),
    }
}

fn ipv4<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    ingress: Interface,
    buf: &mut B,
    l2_len: usize,
    peer_mac: EthernetAddress,
) -> Verdict {
    let l3 = &buf.data()[l2_len..];
    let ip = match Ipv4Packet::new_checked(l3) {
        Ok(p) if p.version() == 4 => p,
        _ => return Verdict::Drop(DropReason::Malformed),
    };
    let dst = ip.dst_addr();
    let ip_len = usize::from(ip.total_len());
    if ctx.cfg.is_local_v4(dst) {
        let hl = usize::from(ip.header_len());
        return match ip.next_header() {
            IpProtocol::Udp => {
                if ip.is_fragment() {
                    return Verdict::Drop(DropReason::OuterFragment);
                }
                let udp_off = l2_len + hl;
                match UdpPacket::new_checked(ip.payload()) {
                    Ok(u) if u.dst_port() == GTPU_PORT => {
                        let gtp_off = udp_off + 8;
                        let gtp_len = usize::from(u.len()) - 8;
                        let pkt = Pkt {
                            peer_mac,
                            l2_len,
                            ip_off: 0,
                            ip_len,
                            outer_len: ip_len,
                            tunnel: None,
                        };
                        gtpu_input::gtpu(ctx, st, buf, pkt, IpAddr::V4(dst), gtp_off, gtp_len)
                    }
                    Ok(_) => Verdict::Drop(DropReason::LocalUnhandled),
                    Err(_) => Verdict::Drop(DropReason::Malformed),
                }
            }
            IpProtocol::Icmp => local::icmpv4_echo(st, buf, l2_len, peer_mac),
            _ => Verdict::Drop(DropReason::LocalUnhandled),
        };
    }
    let pkt = Pkt {
        peer_mac,
        l2_len,
        ip_off: l2_len,
        ip_len,
        outer_len: ip_len,
        tunnel: None,
    };
    to_ue_v4(ctx, st, ingress, buf, &pkt, dst)
}

/// Toward a UE: downlink (or any traffic found by the UE address).
#[inline(always)]
fn to_ue_v4<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    ingress: Interface,
    buf: &mut B,
    pkt: &Pkt,
    dst: Ipv4Addr,
) -> Verdict {
    st.counters.stat(Stat::IpRx);
    let Some(rules) = ctx.ue_v4(dst) else {
        return Verdict::Drop(if ingress == Interface::Access {
            DropReason::NotLocal
        } else {
            DropReason::NoSession
        });
    };
    match pdr_match::match_pdr(rules, ingress, buf.data(), pkt) {
        Ok(pdr) => far::apply(ctx, st, buf, pkt, rules, pdr),
        Err(reason) => Verdict::Drop(reason),
    }
}

fn ipv6<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    ingress: Interface,
    buf: &mut B,
    l2_len: usize,
    peer_mac: EthernetAddress,
) -> Verdict {
    let l3 = &buf.data()[l2_len..];
    let ip = match Ipv6Packet::new_checked(l3) {
        Ok(p) if p.version() == 6 => p,
        _ => return Verdict::Drop(DropReason::Malformed),
    };
    let dst = ip.dst_addr();
    let ip_len = ip.total_len();
    let local = ctx.cfg.is_local_v6(dst);
    if local || dst.is_multicast() {
        // NDP and ICMPv6 to the UPF; only plain ICMPv6 without extension headers.
        if ip.next_header() == IpProtocol::Icmpv6 {
            if let Ok(icmp) = Icmpv6Packet::new_checked(ip.payload()) {
                let t = u8::from(icmp.msg_type());
                if (133..=137).contains(&t) {
                    return Verdict::Control(super::ControlEvent::Ndp);
                }
                if local && t == 128 {
                    return local::icmpv6_echo(ctx, st, buf, l2_len, peer_mac);
                }
            }
        }
    }
    if local {
        if ip.next_header() == IpProtocol::Udp {
            return match UdpPacket::new_checked(ip.payload()) {
                Ok(u) if u.dst_port() == GTPU_PORT => {
                    let gtp_off = l2_len + 40 + 8;
                    let gtp_len = usize::from(u.len()) - 8;
                    let pkt = Pkt {
                        peer_mac,
                        l2_len,
                        ip_off: 0,
                        ip_len,
                        outer_len: ip_len,
                        tunnel: None,
                    };
                    gtpu_input::gtpu(ctx, st, buf, pkt, IpAddr::V6(dst), gtp_off, gtp_len)
                }
                Ok(_) => Verdict::Drop(DropReason::LocalUnhandled),
                Err(_) => Verdict::Drop(DropReason::Malformed),
            };
        }
        return Verdict::Drop(DropReason::LocalUnhandled);
    }
    if dst.is_multicast() {
        return Verdict::Drop(DropReason::NotLocal);
    }
    st.counters.stat(Stat::IpRx);
    let Some(rules) = ctx.ue_v6(dst) else {
        return Verdict::Drop(if ingress == Interface::Access {
            DropReason::NotLocal
        } else {
            DropReason::NoSession
        });
    };
    let pkt = Pkt {
        peer_mac,
        l2_len,
        ip_off: l2_len,
        ip_len,
        outer_len: ip_len,
        tunnel: None,
    };
    match pdr_match::match_pdr(rules, ingress, buf.data(), &pkt) {
        Ok(pdr) => far::apply(ctx, st, buf, &pkt, rules, pdr),
        Err(reason) => Verdict::Drop(reason),
    }
}
