//! Stage 2: GTP-U input (TS 29.281). Checks the header and its extension
//! chain, answers Echo Requests, hands signalling to the control thread,
//! and finds the session of a G-PDU by its TEID and local address.

use core::net::IpAddr;

use super::classify::{Pkt, Tunnel};
use super::{far, local, pdr_match, ControlEvent, Ctx, PathState, Verdict};
use crate::buf::PacketBuf;
use crate::counters::{DropReason, Stat};
use crate::rules::Interface;
use crate::wire::gtpu::is_understood;
use crate::wire::{comprehension_required, ExtHeaderType, GtpuPacket, MessageType, PduSessionInfo};

/// `gtp_off`: offset of the GTP-U header in the frame; `gtp_len`: UDP payload length.
pub(crate) fn gtpu<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    mut pkt: Pkt,
    local_addr: IpAddr,
    gtp_off: usize,
    gtp_len: usize,
) -> Verdict {
    let frame = buf.data();
    let Some(gtp_bytes) = frame.get(gtp_off..gtp_off + gtp_len) else {
        return Verdict::Drop(DropReason::Malformed);
    };
    let gtp = match GtpuPacket::new_checked(gtp_bytes) {
        Ok(g) => g,
        Err(_) => return Verdict::Drop(DropReason::GtpuMalformed),
    };
    if gtp.version() != 1 || gtp.protocol_type() != 1 {
        return Verdict::Drop(DropReason::GtpuVersion);
    }
    let mut qfi = None;
    // The header length falls out of the one walk over the chain that
    // `new_checked` already validated.
    let mut hdr_len = if gtp.has_optional() { 12 } else { 8 };
    for (ty, content) in gtp.extension_headers() {
        hdr_len += content.len() + 2;
        if ty == u8::from(ExtHeaderType::PduSessionContainer) {
            match PduSessionInfo::parse(content) {
                Ok(info) if qfi.is_none() => qfi = Some(info.qfi()),
                _ => return Verdict::Drop(DropReason::GtpuMalformed),
            }
        } else if comprehension_required(ty) && !is_understood(ty) {
            return Verdict::Drop(DropReason::GtpuUnknownExtension);
        }
    }
    let teid = gtp.teid();
    let msg_len = gtp.message_len();
    match gtp.msg_type() {
        MessageType::GPdu => {}
        MessageType::EchoRequest => {
            let seq = gtp.seq_number().unwrap_or(0);
            return local::gtpu_echo_response(ctx, st, buf, &pkt, local_addr, seq);
        }
        MessageType::EchoResponse => return Verdict::Control(ControlEvent::GtpuEchoResponse),
        MessageType::ErrorIndication => return Verdict::Control(ControlEvent::GtpuErrorIndication),
        MessageType::SupportedExtensionHeadersNotification => {
            return Verdict::Control(ControlEvent::GtpuSupportedExtensions)
        }
        MessageType::EndMarker => {
            return end_marker(ctx, st, buf, pkt, local_addr, teid, qfi, gtp_off)
        }
        _ => return Verdict::Drop(DropReason::GtpuUnsupportedMessage),
    }

    pkt.ip_off = gtp_off + hdr_len;
    pkt.ip_len = msg_len - hdr_len;
    pkt.tunnel = Some(Tunnel { teid, qfi });
    gpdu(ctx, st, buf, pkt, local_addr)
}

/// A G-PDU whose headers were read (`pkt.tunnel` is set): the session by
/// its tunnel, then the PDRs and the FAR.
#[inline(always)]
pub(crate) fn gpdu<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    pkt: Pkt,
    local_addr: IpAddr,
) -> Verdict {
    st.counters.stat(Stat::GtpuRx);
    let teid = pkt.tunnel.map_or(0, |t| t.teid);
    let Some(rules) = ctx.tunnel(teid, local_addr) else {
        return local::error_indication(ctx, st, buf, &pkt, local_addr, teid);
    };
    match pdr_match::match_pdr(rules, Interface::Access, buf.data(), &pkt) {
        Ok(pdr) => far::apply(ctx, st, buf, &pkt, rules, pdr),
        Err(reason) => Verdict::Drop(reason),
    }
}

/// An End Marker ends the old path of a session after a handover. The UPF
/// relays it when the session forwards the tunnel onward (an intermediate
/// UPF); at the tunnel's end it is consumed.
#[allow(clippy::too_many_arguments)]
fn end_marker<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    mut pkt: Pkt,
    local_addr: IpAddr,
    teid: u32,
    qfi: Option<u8>,
    gtp_off: usize,
) -> Verdict {
    let Some(rules) = ctx.tunnel(teid, local_addr) else {
        return Verdict::Drop(DropReason::UnknownTeid);
    };
    let Some(pdr) = rules
        .pdrs
        .iter()
        .find(|p| p.takes_tunnel() && p.teid == teid)
    else {
        return Verdict::Drop(DropReason::NoPdr);
    };
    pkt.ip_off = gtp_off;
    pkt.ip_len = 0;
    pkt.tunnel = Some(Tunnel { teid, qfi });
    far::relay_end_marker(ctx, st, buf, &pkt, pdr)
}
