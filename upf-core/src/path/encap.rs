//! Outer Header Creation (TS 29.244 §5.2.3, TS 29.281 §5.1): IPv4 or IPv6,
//! UDP 2152 and a GTP-U header with the PDU Session Container (TS 38.415),
//! prepended into the buffer's headroom. Lengths and checksums are written
//! once, at the end.

use core::net::{IpAddr, Ipv4Addr};

use super::far::EncapPlan;
use super::{PathConfig, PathState};
use crate::buf::PacketBuf;
use crate::compile::EncapTemplate;
use crate::wire::{
    GtpuPacket, GtpuRepr, IpProtocol, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, MessageType,
    PduSessionInfo, UdpPacket, GTPU_PORT,
};

const UDP_LEN: usize = 8;

fn ip_header_len(src: IpAddr) -> usize {
    match src {
        IpAddr::V4(_) => 20,
        IpAddr::V6(_) => 40,
    }
}

fn gtpu_repr(teid: u32, psc: Option<PduSessionInfo>, payload_len: usize) -> GtpuRepr {
    GtpuRepr {
        pdu_session: psc,
        ..GtpuRepr::gpdu(teid, payload_len)
    }
}

/// Bytes an outer header adds.
pub(crate) fn overhead(src: IpAddr, psc: Option<&PduSessionInfo>) -> usize {
    ip_header_len(src) + UDP_LEN + gtpu_repr(0, psc.copied(), 0).header_len()
}

/// Wraps the IP packet in the buffer into GTP-U/UDP/IP. The caller checked
/// the headroom.
pub(crate) fn encap<B: PacketBuf>(
    cfg: &PathConfig,
    st: &mut PathState,
    buf: &mut B,
    plan: &EncapPlan,
) {
    let inner_len = buf.len();
    let gtp = gtpu_repr(plan.teid, plan.psc, inner_len);
    write_outer(cfg, st, buf, plan, &gtp);
}

/// Writes a prebuilt outer header into `d` (exactly the header's room in
/// front of an `inner`-octet packet), with the per-packet fields.
#[inline(always)]
pub(crate) fn write_template(
    cfg: &PathConfig,
    st: &mut PathState,
    d: &mut [u8],
    inner: usize,
    t: &EncapTemplate,
    src: Ipv4Addr,
) {
    let n = d.len();
    // Fixed-size copies for the usual lengths: without and with a
    // one-unit PDU Session Container.
    match n {
        36 => copy_prefix::<36>(d, &t.bytes),
        44 => copy_prefix::<44>(d, &t.bytes),
        _ => {
            if let (Some(d), Some(b)) = (d.get_mut(..n), t.bytes.get(..n)) {
                d.copy_from_slice(b);
            }
        }
    }
    let Some(h) = d.first_chunk_mut::<36>() else {
        return;
    };
    let total = (inner + n) as u16;
    st.ip_ident = st.ip_ident.wrapping_add(1);
    let ident = st.ip_ident;
    let src = u32::from(src);
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[4..6].copy_from_slice(&ident.to_be_bytes());
    h[8] = cfg.outer_ttl;
    h[12..16].copy_from_slice(&src.to_be_bytes());
    // The template's fixed words plus the per-packet ones.
    let sum = t.ip_sum
        + u32::from(total)
        + u32::from(ident)
        + (u32::from(cfg.outer_ttl) << 8)
        + (src >> 16)
        + (src & 0xffff);
    let sum = (sum & 0xffff) + (sum >> 16);
    let sum = (sum & 0xffff) + (sum >> 16);
    h[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    h[24..26].copy_from_slice(&(total - 20).to_be_bytes());
    // GTP-U Length: everything after its first 8 octets.
    h[30..32].copy_from_slice(&(total - 36).to_be_bytes());
}

#[inline(always)]
fn copy_prefix<const N: usize>(d: &mut [u8], bytes: &[u8; crate::compile::ENCAP_TEMPLATE_MAX]) {
    if let (Some(d), Some(b)) = (d.first_chunk_mut::<N>(), bytes.first_chunk::<N>()) {
        *d = *b;
    }
}

/// Writes an End Marker (the buffer is empty) into the tunnel of `plan`.
pub(crate) fn encap_end_marker<B: PacketBuf>(
    cfg: &PathConfig,
    st: &mut PathState,
    buf: &mut B,
    plan: &EncapPlan,
) {
    let gtp = GtpuRepr {
        msg_type: MessageType::EndMarker,
        ..GtpuRepr::gpdu(plan.teid, 0)
    };
    write_outer(cfg, st, buf, plan, &gtp);
}

fn write_outer<B: PacketBuf>(
    cfg: &PathConfig,
    st: &mut PathState,
    buf: &mut B,
    plan: &EncapPlan,
    gtp: &GtpuRepr,
) {
    let ip_len = ip_header_len(plan.src);
    let hdr = ip_len + UDP_LEN + gtp.header_len();
    if !buf.prepend(hdr) {
        // The caller checked the headroom; nothing is written if it lied.
        return;
    }
    let data = buf.data_mut();
    let udp_len = data.len() - ip_len;
    {
        let (_, rest) = data.split_at_mut(ip_len + UDP_LEN);
        gtp.emit(&mut GtpuPacket::new_unchecked(
            &mut rest[..gtp.header_len()],
        ));
    }
    {
        let mut udp = UdpPacket::new_unchecked(&mut data[ip_len..]);
        udp.set_src_port(GTPU_PORT);
        udp.set_dst_port(GTPU_PORT);
        udp.set_len(udp_len as u16);
        udp.set_checksum(0);
    }
    match (plan.src, plan.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            st.ip_ident = st.ip_ident.wrapping_add(1);
            let repr = Ipv4Repr {
                src_addr: src,
                dst_addr: dst,
                next_header: IpProtocol::Udp,
                payload_len: udp_len,
                hop_limit: cfg.outer_ttl,
                dscp: plan.tos >> 2,
                ecn: plan.tos & 3,
                ident: st.ip_ident,
                dont_frag: false,
            };
            repr.emit(&mut Ipv4Packet::new_unchecked(&mut data[..]));
            // UDP checksum 0: allowed for IPv4 (RFC 768), as GTP-U peers expect.
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let repr = Ipv6Repr {
                src_addr: src,
                dst_addr: dst,
                next_header: IpProtocol::Udp,
                payload_len: udp_len,
                hop_limit: cfg.outer_ttl,
                traffic_class: plan.tos,
                flow_label: 0,
            };
            repr.emit(&mut Ipv6Packet::new_unchecked(&mut data[..]));
            // IPv6 requires the UDP checksum.
            let mut udp = UdpPacket::new_unchecked(&mut data[ip_len..]);
            udp.fill_checksum_v6(src, dst);
        }
        _ => {}
    }
}
