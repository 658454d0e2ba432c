//! Stage 6: forwarding (TS 29.244 §5.2.3): QER gates, usage counting, then
//! the FAR's action: drop, buffer (handed to the control thread), or forward
//! after Outer Header Removal and, if the FAR asks, Outer Header Creation.

use core::net::IpAddr;

use super::classify::Pkt;
use super::{encap, qer, urr, ControlEvent, Ctx, PathState, Verdict};
use crate::buf::PacketBuf;
use crate::compile::{CompiledPdr, EncapTemplate, FarAction, Forward, SessionRules};
use crate::counters::{DropReason, Stat};
use crate::rules::{Interface, OuterHeaderCreationKind};
use crate::wire::{DlPduSessionInfo, PduSessionInfo, UlPduSessionInfo};

/// Applies the rules of `pdr` (a PDR of `rules`) to the packet.
#[inline(always)]
pub(crate) fn apply<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    pkt: &Pkt,
    rules: &SessionRules,
    pdr: &CompiledPdr,
) -> Verdict {
    if let Err(reason) = qer::enforce(pdr) {
        return Verdict::Drop(reason);
    }
    let Some(FarAction::Forward(fwd)) = &pdr.action else {
        return not_forwarded(st, rules, pdr);
    };

    // Outer Header Removal: keep the inner packet of a G-PDU, or the whole
    // IP packet when nothing is removed.
    let removes = pkt.tunnel.is_some() && pdr.removes_gtpu;
    let (start, len) = if removes || pkt.tunnel.is_none() {
        (pkt.ip_off, pkt.ip_len)
    } else {
        (pkt.l2_len, pkt.outer_len)
    };
    let Some(l3) = buf.data().get(start..start + len) else {
        return Verdict::Drop(DropReason::Malformed);
    };
    let Some(hop_limit) = hop_limit(l3) else {
        return Verdict::Drop(DropReason::InnerMalformed);
    };
    if hop_limit <= 1 {
        return Verdict::Drop(DropReason::TtlExceeded);
    }

    // A prebuilt outer header: the common downlink case.
    if let Some(t) = rules.encaps.get(usize::from(pdr.encap)) {
        if !t.with_psc || ctx.cfg.dl_pdu_session_container || fwd.destination != Interface::Access {
            return apply_template(
                ctx,
                st,
                buf,
                pkt,
                pdr,
                fwd.destination,
                t,
                start,
                len,
                removes,
            );
        }
    }
    if fwd.outer_header_creation.is_none() {
        // No outer header to create (the common uplink case): the packet
        // goes to its own destination.
        if len > usize::from(ctx.cfg.mtu) {
            return Verdict::Drop(DropReason::MtuExceeded);
        }
        let Some(next_hop) = l3_dst(l3) else {
            return Verdict::Drop(DropReason::InnerMalformed);
        };
        if let Err(reason) = meter_and_count(ctx, st, pdr, pkt, len) {
            return Verdict::Drop(reason);
        }
        // The frame now becomes the packet to send.
        if let Some(d) = buf.reframe(start, len, 0) {
            decrement_hop_limit(d);
        }
        if removes {
            st.counters.stat(Stat::Decap);
        }
        st.counters.stat(forward_stat(fwd.destination));
        return Verdict::Forward {
            egress: fwd.destination,
            next_hop,
        };
    }
    apply_planned(ctx, st, buf, pkt, pdr, fwd, start, len, removes)
}

/// The FAR drops, buffers, or is missing.
#[cold]
#[inline(never)]
fn not_forwarded(st: &mut PathState, rules: &SessionRules, pdr: &CompiledPdr) -> Verdict {
    match &pdr.action {
        Some(FarAction::Drop) => Verdict::Drop(DropReason::FarDrop),
        Some(FarAction::Buffer { notify, .. }) => {
            st.counters.stat(Stat::Buffered);
            Verdict::Control(ControlEvent::Buffer {
                seid: rules.seid,
                pdr_id: pdr.id,
                far_id: pdr.far_id,
                notify: *notify,
            })
        }
        Some(FarAction::Forward(_)) | None => Verdict::Drop(DropReason::NoFar),
    }
}

#[inline]
fn forward_stat(destination: Interface) -> Stat {
    match destination {
        Interface::Access => Stat::ForwardAccess,
        Interface::CpFunction => Stat::ForwardCp,
        _ => Stat::ForwardCore,
    }
}

/// The steps that may still refuse a forwarded packet, after everything
/// else accepted it: the QER meters, then the URR quotas; then the URRs
/// count it. The packet's QoS flow and meter color are left in `st` for
/// the egress scheduler.
#[inline(always)]
fn meter_and_count(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    pdr: &CompiledPdr,
    pkt: &Pkt,
    len: usize,
) -> Result<(), DropReason> {
    let color = qer::meter(pdr, len, ctx.now_ns)?;
    urr::admit_and_count(pdr, pdr.uplink, len, ctx.now_ns)?;
    st.fwd_color = color;
    if ctx.cfg.egress_qos {
        st.fwd_qfi = qer::marking(pdr, pkt.tunnel.and_then(|t| t.qfi)).map(|m| m.0);
    }
    Ok(())
}

/// Forwarding into a tunnel whose outer header is built per packet.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn apply_planned<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    pkt: &Pkt,
    pdr: &CompiledPdr,
    fwd: &Forward,
    start: usize,
    len: usize,
    removes: bool,
) -> Verdict {
    // Everything that can still refuse the packet is decided before the
    // packet is changed and counted.
    let plan = match plan_encap(ctx, pdr, fwd, pkt) {
        Ok(p) => p,
        Err(reason) => return Verdict::Drop(reason),
    };
    let out_len = len + plan.as_ref().map_or(0, |p| p.overhead);
    if out_len > usize::from(ctx.cfg.mtu) {
        return Verdict::Drop(DropReason::MtuExceeded);
    }
    if let Some(p) = &plan {
        if buf.headroom() + start < p.overhead {
            return Verdict::Drop(DropReason::NoHeadroom);
        }
    }
    let next_hop = match &plan {
        Some(p) => p.dst,
        None => match buf.data().get(start..start + len).and_then(l3_dst) {
            Some(a) => a,
            None => return Verdict::Drop(DropReason::InnerMalformed),
        },
    };
    if let Err(reason) = meter_and_count(ctx, st, pdr, pkt, len) {
        return Verdict::Drop(reason);
    }

    // The frame now becomes the packet to send.
    let ok = buf.adj(start) && buf.truncate(len);
    debug_assert!(ok, "bounds checked above");
    decrement_hop_limit(buf.data_mut());
    if removes {
        st.counters.stat(Stat::Decap);
    }
    if let Some(p) = plan {
        encap::encap(ctx.cfg, st, buf, &p);
        st.counters.stat(Stat::Encap);
    }
    st.counters.stat(forward_stat(fwd.destination));
    Verdict::Forward {
        egress: fwd.destination,
        next_hop,
    }
}

/// Forwarding into a tunnel with the PDR's prebuilt outer header.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn apply_template<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    pkt: &Pkt,
    pdr: &CompiledPdr,
    destination: Interface,
    t: &EncapTemplate,
    start: usize,
    len: usize,
    removes: bool,
) -> Verdict {
    let overhead = usize::from(t.len);
    let Some(src) = ctx.cfg.source_v4(destination) else {
        return Verdict::Drop(DropReason::NoRoute);
    };
    if len + overhead > usize::from(ctx.cfg.mtu) {
        return Verdict::Drop(DropReason::MtuExceeded);
    }
    if buf.headroom() + start < overhead {
        return Verdict::Drop(DropReason::NoHeadroom);
    }
    if let Err(reason) = meter_and_count(ctx, st, pdr, pkt, len) {
        return Verdict::Drop(reason);
    }
    // The frame becomes the inner packet behind room for the header.
    if let Some(d) = buf.reframe(start, len, overhead) {
        if let Some((hdr, inner)) = d.split_at_mut_checked(overhead) {
            decrement_hop_limit(inner);
            encap::write_template(ctx.cfg, st, hdr, inner.len(), t, src);
        }
    }
    if removes {
        st.counters.stat(Stat::Decap);
    }
    st.counters.stat(Stat::Encap);
    st.counters.stat(if destination == Interface::Access {
        Stat::ForwardAccess
    } else {
        Stat::ForwardCore
    });
    Verdict::Forward {
        egress: destination,
        next_hop: IpAddr::V4(t.dst),
    }
}

/// An outer header to create.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EncapPlan {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub teid: u32,
    pub tos: u8,
    pub psc: Option<PduSessionInfo>,
    /// Bytes the outer header adds.
    pub overhead: usize,
}

fn plan_encap(
    ctx: &Ctx<'_>,
    pdr: &CompiledPdr,
    fwd: &Forward,
    pkt: &Pkt,
) -> Result<Option<EncapPlan>, DropReason> {
    let Some(ohc) = fwd.outer_header_creation else {
        return Ok(None);
    };
    let (src, dst) = match ohc.kind {
        OuterHeaderCreationKind::GtpuUdpIpv4 => (
            ctx.cfg.source_v4(fwd.destination).map(IpAddr::V4),
            ohc.ipv4.map(IpAddr::V4),
        ),
        OuterHeaderCreationKind::GtpuUdpIpv6 => (
            ctx.cfg.source_v6(fwd.destination).map(IpAddr::V6),
            ohc.ipv6.map(IpAddr::V6),
        ),
        _ => return Err(DropReason::UnsupportedOuterHeader),
    };
    let (Some(src), Some(dst)) = (src, dst) else {
        return Err(DropReason::NoRoute);
    };
    let marking = qer::marking(pdr, pkt.tunnel.and_then(|t| t.qfi));
    let psc = match (fwd.destination, marking) {
        (Interface::Access, Some((qfi, rqi, ppi))) if ctx.cfg.dl_pdu_session_container => {
            Some(PduSessionInfo::Dl(DlPduSessionInfo {
                rqi,
                ppi,
                ..DlPduSessionInfo::new(qfi)
            }))
        }
        (Interface::Core, Some((qfi, _, _))) => {
            Some(PduSessionInfo::Ul(UlPduSessionInfo::new(qfi)))
        }
        _ => None,
    };
    Ok(Some(EncapPlan {
        src,
        dst,
        teid: ohc.teid,
        tos: fwd.tos.unwrap_or(0),
        psc,
        overhead: encap::overhead(src, psc.as_ref()),
    }))
}

/// Relays an End Marker into the tunnel the session forwards to; consumes
/// it when the session does not forward into a tunnel.
pub(crate) fn relay_end_marker<B: PacketBuf>(
    ctx: &Ctx<'_>,
    st: &mut PathState,
    buf: &mut B,
    pkt: &Pkt,
    pdr: &CompiledPdr,
) -> Verdict {
    let fwd = match &pdr.action {
        Some(FarAction::Forward(f)) if f.outer_header_creation.is_some() => f,
        _ => return Verdict::Drop(DropReason::GtpuUnsupportedMessage),
    };
    let plan = match plan_encap(ctx, pdr, fwd, pkt) {
        Ok(Some(p)) => EncapPlan {
            psc: None,
            overhead: encap::overhead(p.src, None),
            ..p
        },
        Ok(None) => return Verdict::Drop(DropReason::GtpuUnsupportedMessage),
        Err(r) => return Verdict::Drop(r),
    };
    if buf.headroom() + pkt.ip_off < plan.overhead {
        return Verdict::Drop(DropReason::NoHeadroom);
    }
    let ok = buf.adj(pkt.ip_off) && buf.truncate(0);
    debug_assert!(ok);
    st.fwd_color = crate::qos::Color::Yellow;
    st.fwd_qfi = qer::marking(pdr, pkt.tunnel.and_then(|t| t.qfi)).map(|m| m.0);
    encap::encap_end_marker(ctx.cfg, st, buf, &plan);
    st.counters.stat(Stat::EndMarker);
    Verdict::Forward {
        egress: fwd.destination,
        next_hop: plan.dst,
    }
}

fn hop_limit(l3: &[u8]) -> Option<u8> {
    match l3.first()? >> 4 {
        4 => l3.get(8).copied(),
        6 => l3.get(7).copied(),
        _ => None,
    }
}

fn l3_dst(l3: &[u8]) -> Option<IpAddr> {
    match l3.first()? >> 4 {
        4 => {
            let b: [u8; 4] = l3.get(16..20)?.try_into().ok()?;
            Some(IpAddr::from(b))
        }
        6 => {
            let b: [u8; 16] = l3.get(24..40)?.try_into().ok()?;
            Some(IpAddr::from(b))
        }
        _ => None,
    }
}

/// Decrements TTL (fixing the IPv4 checksum incrementally) or hop limit.
#[inline(always)]
fn decrement_hop_limit(l3: &mut [u8]) {
    match l3.first().map(|b| b >> 4) {
        Some(4) => {
            if let Some(h) = l3.first_chunk_mut::<20>() {
                h[8] = h[8].wrapping_sub(1);
                let sum = u16::from_be_bytes([h[10], h[11]]);
                h[10..12].copy_from_slice(&ttl_decremented_checksum(sum).to_be_bytes());
            }
        }
        Some(6) if l3.len() >= 40 => l3[7] = l3[7].wrapping_sub(1),
        _ => {}
    }
}

/// The IPv4 header checksum after the TTL/protocol word dropped by 0x0100:
/// RFC 1624 eqn. 3, `~(~HC + ~m + m')`, where `~m + m'` is 0xfeff whatever
/// the word was.
#[inline]
fn ttl_decremented_checksum(sum: u16) -> u16 {
    let s = u32::from(!sum) + 0xfeff;
    !(((s & 0xffff) + (s >> 16)) as u16)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn ttl_checksum_matches_the_general_update() {
        for sum in 0..=u16::MAX {
            for word in [0x4011u16, 0x0101, 0xff06, 0x0200] {
                assert_eq!(
                    ttl_decremented_checksum(sum),
                    crate::wire::checksum::update_u16(sum, word, word - 0x0100),
                    "{sum:#x} {word:#x}"
                );
            }
        }
    }
}
