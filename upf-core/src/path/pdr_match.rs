//! Stage 3: PDR matching (TS 29.244 §5.2.1). The session's PDRs are tried
//! in precedence order; the first whose PDI matches the packet wins.

use core::net::IpAddr;

use super::classify::Pkt;
use crate::compile::{CompiledPdr, SessionRules};
use crate::counters::DropReason;
use crate::rules::{Interface, UeIpAddress};
use crate::sdf::{v6_in_prefix, FlowKey};
use crate::wire::{upper_layer_info, IpProtocol, Ipv4Packet, Ipv6Packet};

/// Returns the matching PDR of `rules`.
#[inline(always)]
pub(crate) fn match_pdr<'r>(
    rules: &'r SessionRules,
    ingress: Interface,
    frame: &[u8],
    pkt: &Pkt,
) -> Result<&'r CompiledPdr, DropReason> {
    let ip = frame
        .get(pkt.ip_off..pkt.ip_off + pkt.ip_len)
        .unwrap_or(&[]);
    // Parsed on first need: a session whose PDRs look at neither addresses
    // nor ports never parses the inner packet.
    let mut key: Option<Option<FlowKey>> = None;
    let mut inner_bad = false;
    let plain_bit = CompiledPdr::plain_ingress_bit(ingress);
    // The PDRs before the first candidate of this kind of packet would all
    // be skipped by the first test below (`takes_tunnel`, or a `plain_from`
    // without the ingress bit).
    for pdr in rules.candidate_pdrs(pkt.tunnel.is_some()) {
        match pkt.tunnel {
            Some(t) => {
                if !pdr.takes_tunnel() || pdr.teid != t.teid {
                    continue;
                }
                if let Some(q) = pdr.qfi {
                    if t.qfi != Some(q) {
                        continue;
                    }
                }
            }
            None => {
                // No F-TEID, no QFI, and a source interface that serves
                // the ingress side (precomputed).
                if pdr.plain_from & plain_bit == 0 {
                    continue;
                }
            }
        }
        if pdr.sdf_trivial {
            // Only the UE address matters: read it straight from the header.
            match &pdr.ue_ip {
                None => return Ok(pdr),
                Some(ue) => match ue_addr(ip, ue.is_destination) {
                    Some(a) if ue_addr_matches(ue, a) => return Ok(pdr),
                    Some(_) => continue,
                    None => {
                        inner_bad = true;
                        continue;
                    }
                },
            }
        }
        let Some(k) = *key.get_or_insert_with(|| flow_key(ip)) else {
            inner_bad = true;
            continue;
        };
        if ue_matches(pdr, &k)
            && (pdr.pdi.sdf.is_empty() || {
                let assigned = rules.assigned(pdr);
                pdr.pdi
                    .sdf
                    .iter()
                    .any(|f| f.matches(&k, &assigned, pdr.uplink))
            })
        {
            return Ok(pdr);
        }
    }
    Err(if inner_bad {
        DropReason::InnerMalformed
    } else {
        DropReason::NoPdr
    })
}

fn ue_matches(pdr: &CompiledPdr, k: &FlowKey) -> bool {
    let Some(ue) = &pdr.ue_ip else { return true };
    ue_addr_matches(ue, if ue.is_destination { k.dst } else { k.src })
}

#[inline]
fn ue_addr_matches(ue: &UeIpAddress, addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => ue.ipv4 == Some(a),
        IpAddr::V6(a) => ue
            .ipv6
            .is_some_and(|p| v6_in_prefix(a, p, ue.ipv6_prefix_len)),
    }
}

/// The source or destination address of an IP packet, `None` if its
/// header is cut short or claims more than the packet holds.
#[inline]
fn ue_addr(ip: &[u8], destination: bool) -> Option<IpAddr> {
    match ip.first()? >> 4 {
        // The header must fit and its length fields must not lie.
        4 if ip.len() >= 20
            && ip[0] & 0x0f >= 5
            && usize::from(u16::from_be_bytes([ip[2], ip[3]])) <= ip.len() =>
        {
            let o = if destination { 16 } else { 12 };
            let b: [u8; 4] = ip[o..o + 4].try_into().ok()?;
            Some(IpAddr::from(b))
        }
        6 if ip.len() >= 40 && 40 + usize::from(u16::from_be_bytes([ip[4], ip[5]])) <= ip.len() => {
            let o = if destination { 24 } else { 8 };
            let b: [u8; 16] = ip[o..o + 16].try_into().ok()?;
            Some(IpAddr::from(b))
        }
        _ => None,
    }
}

/// The fields SDF filters look at, from an IP packet.
pub(crate) fn flow_key(ip: &[u8]) -> Option<FlowKey> {
    match ip.first()? >> 4 {
        4 => {
            let p = Ipv4Packet::new_checked(ip).ok()?;
            let proto = p.next_header();
            let first = p.frag_offset() == 0;
            let (sp, dp, spi) = l4(proto, p.payload(), first);
            Some(FlowKey {
                src: IpAddr::V4(p.src_addr()),
                dst: IpAddr::V4(p.dst_addr()),
                protocol: proto.into(),
                src_port: sp,
                dst_port: dp,
                tos: (p.dscp() << 2) | p.ecn(),
                flow_label: 0,
                spi,
            })
        }
        6 => {
            let p = Ipv6Packet::new_checked(ip).ok()?;
            let ul = upper_layer_info(ip).ok()?;
            let payload = ip.get(ul.offset..p.total_len()).unwrap_or(&[]);
            let (sp, dp, spi) = l4(ul.protocol, payload, !ul.is_non_first_fragment());
            Some(FlowKey {
                src: IpAddr::V6(p.src_addr()),
                dst: IpAddr::V6(p.dst_addr()),
                protocol: ul.protocol.into(),
                src_port: sp,
                dst_port: dp,
                tos: p.traffic_class(),
                flow_label: p.flow_label(),
                spi,
            })
        }
        _ => None,
    }
}

fn l4(
    proto: IpProtocol,
    payload: &[u8],
    first_fragment: bool,
) -> (Option<u16>, Option<u16>, Option<u32>) {
    if !first_fragment || payload.len() < 4 {
        return (None, None, None);
    }
    let a = u16::from_be_bytes([payload[0], payload[1]]);
    let b = u16::from_be_bytes([payload[2], payload[3]]);
    match u8::from(proto) {
        6 | 17 | 132 | 136 => (Some(a), Some(b), None),
        50 => (
            None,
            None,
            Some(u32::from_be_bytes([
                payload[0], payload[1], payload[2], payload[3],
            ])),
        ),
        _ => (None, None, None),
    }
}
