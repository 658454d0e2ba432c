//! Software steering: which worker processes a packet.
//!
//! Uplink GTP-U from one gNB shares one outer 5-tuple, so RSS on outer
//! headers puts a whole gNB on one queue. Where the port cannot hash on the
//! TEID, every worker polls its own queue and computes [`steer_key`] for each
//! packet it receives:
//! - GTP-U (UDP destination port 2152, not fragmented): the TEID, so all
//!   packets of one tunnel (one session direction) go to one worker;
//! - other IPv4: the destination address (the UE, for downlink);
//! - other IPv6: the upper 64 bits of the destination (a UE's /64 prefix);
//! - anything else (ARP, malformed): no key, processed where it arrived.
//!
//! [`owner`] maps the key to a worker. A packet owned by another worker is
//! handed to it through that worker's hand-off ring; when the ring is full
//! the receiving worker processes the packet itself. That is correct, not
//! only tolerable: QER meters and URR counters are shared atomics in
//! upf-core, so they stay exact whichever worker counts a packet; only the
//! order within a flow may change under such overload.
#![forbid(unsafe_code)]

use crate::l2::{ETHERTYPE_IPV4, ETHERTYPE_IPV6, TPID_8021AD, TPID_8021Q};

const GTPU_PORT: u16 = 2152;

/// The steering key of a frame (see the module docs).
#[inline]
pub fn steer_key(frame: &[u8]) -> Option<u64> {
    let mut off = 12;
    let mut et = u16::from_be_bytes([*frame.get(off)?, *frame.get(off + 1)?]);
    let mut tags = 0;
    while (et == TPID_8021Q || et == TPID_8021AD) && tags < 2 {
        off += 4;
        et = u16::from_be_bytes([*frame.get(off)?, *frame.get(off + 1)?]);
        tags += 1;
    }
    let l3 = frame.get(off + 2..)?;
    match et {
        ETHERTYPE_IPV4 => {
            let hl = usize::from(*l3.first()? & 0x0f) * 4;
            if hl < 20 {
                return None;
            }
            let frag = u16::from_be_bytes([*l3.get(6)?, *l3.get(7)?]) & 0x3fff;
            if *l3.get(9)? == 17 && frag == 0 {
                if let Some(teid) = gtpu_teid(l3.get(hl..)?) {
                    return Some(teid);
                }
            }
            Some(u64::from(u32::from_be_bytes(
                l3.get(16..20)?.try_into().ok()?,
            )))
        }
        ETHERTYPE_IPV6 => {
            if *l3.get(6)? == 17 {
                if let Some(teid) = gtpu_teid(l3.get(40..)?) {
                    return Some(teid);
                }
            }
            Some(u64::from_be_bytes(l3.get(24..32)?.try_into().ok()?))
        }
        _ => None,
    }
}

/// What the packet path will look a frame up by: the tunnel (TEID and the
/// local address) of a GTP-U packet, or the destination of plain IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKey {
    /// G-PDU to `addr`, TEID `teid`.
    Tunnel(u32, core::net::IpAddr),
    /// Plain IPv4 to this address.
    V4(core::net::Ipv4Addr),
    /// Plain IPv6 to this address.
    V6(core::net::Ipv6Addr),
}

/// The session lookup key of an untagged or tagged IPv4/IPv6 frame (see
/// [`LookupKey`]); `None` for anything else. Used to prefetch the
/// session's rules for a whole burst before the packets are processed.
#[inline]
pub fn lookup_key(frame: &[u8]) -> Option<LookupKey> {
    let mut off = 12;
    let mut et = u16::from_be_bytes([*frame.get(off)?, *frame.get(off + 1)?]);
    let mut tags = 0;
    while (et == TPID_8021Q || et == TPID_8021AD) && tags < 2 {
        off += 4;
        et = u16::from_be_bytes([*frame.get(off)?, *frame.get(off + 1)?]);
        tags += 1;
    }
    let l3 = frame.get(off + 2..)?;
    match et {
        ETHERTYPE_IPV4 => {
            let hl = usize::from(*l3.first()? & 0x0f) * 4;
            let dst: [u8; 4] = l3.get(16..20)?.try_into().ok()?;
            let dst = core::net::Ipv4Addr::from(dst);
            if *l3.get(9)? == 17 && hl >= 20 {
                if let Some(teid) = gtpu_teid(l3.get(hl..)?) {
                    return Some(LookupKey::Tunnel(teid as u32, dst.into()));
                }
            }
            Some(LookupKey::V4(dst))
        }
        ETHERTYPE_IPV6 => {
            let dst: [u8; 16] = l3.get(24..40)?.try_into().ok()?;
            let dst = core::net::Ipv6Addr::from(dst);
            if *l3.get(6)? == 17 {
                if let Some(teid) = gtpu_teid(l3.get(40..)?) {
                    return Some(LookupKey::Tunnel(teid as u32, dst.into()));
                }
            }
            Some(LookupKey::V6(dst))
        }
        _ => None,
    }
}

/// The TEID of a GTP-U message at the front of a UDP datagram, keyed apart
/// from addresses (bit 32 set).
#[inline]
fn gtpu_teid(udp: &[u8]) -> Option<u64> {
    let dport = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    if dport != GTPU_PORT {
        return None;
    }
    let teid = u32::from_be_bytes(udp.get(12..16)?.try_into().ok()?);
    Some((1 << 32) | u64::from(teid))
}

/// The worker (of `workers`) that owns `key`: a multiplicative hash reduced
/// to the range without a division.
#[inline]
pub fn owner(key: u64, workers: usize) -> usize {
    let h = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32;
    ((u64::from(h) * workers as u64) >> 32) as usize
}

#[cfg(test)]
mod test {
    use super::*;

    fn eth(ethertype: u16, l3: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(l3);
        f
    }

    fn ipv4_udp(dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1];
        p.extend_from_slice(&dst);
        p.extend_from_slice(&[0x08, 0x68]);
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0]);
        p.extend_from_slice(payload);
        p
    }

    fn gtpu(teid: u32) -> Vec<u8> {
        let mut g = vec![0x30, 0xff, 0, 0];
        g.extend_from_slice(&teid.to_be_bytes());
        g
    }

    #[test]
    fn gtpu_keys_on_teid() {
        let a = eth(0x0800, &ipv4_udp([192, 0, 2, 1], 2152, &gtpu(7)));
        let b = eth(0x0800, &ipv4_udp([192, 0, 2, 99], 2152, &gtpu(7)));
        assert_eq!(steer_key(&a), Some((1 << 32) | 7));
        assert_eq!(steer_key(&a), steer_key(&b), "same TEID, same key");
        let c = eth(0x0800, &ipv4_udp([192, 0, 2, 1], 2152, &gtpu(8)));
        assert_ne!(steer_key(&a), steer_key(&c));
    }

    #[test]
    fn plain_ip_keys_on_destination() {
        let a = eth(0x0800, &ipv4_udp([10, 45, 0, 2], 53, &[]));
        assert_eq!(steer_key(&a), Some(0x0a2d_0002));
        // A fragment of a GTP-U packet keys on the address, not on bytes
        // that are no TEID.
        let mut f = ipv4_udp([10, 45, 0, 2], 2152, &gtpu(9));
        f[6] = 0x20;
        assert_eq!(steer_key(&eth(0x0800, &f)), Some(0x0a2d_0002));
        // VLAN-tagged.
        let mut t = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0, 0, 5, 0x08, 0];
        t.extend_from_slice(&ipv4_udp([10, 45, 0, 3], 53, &[]));
        assert_eq!(steer_key(&t), Some(0x0a2d_0003));
    }

    #[test]
    fn ipv6_keys_on_prefix() {
        let mut ip = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
        ip.extend_from_slice(&[0xfe; 16]);
        let mut dst = [0u8; 16];
        dst[..8].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2]);
        dst[15] = 1;
        ip.extend_from_slice(&dst);
        ip.extend_from_slice(&[0, 53, 0, 53, 0, 8, 0, 0]);
        let a = steer_key(&eth(0x86dd, &ip)).unwrap();
        ip[24 + 15] = 2;
        assert_eq!(steer_key(&eth(0x86dd, &ip)), Some(a), "same /64");
    }

    #[test]
    fn non_ip_and_short_have_no_key() {
        assert_eq!(steer_key(&eth(0x0806, &[0; 28])), None);
        assert_eq!(steer_key(&[0; 10]), None);
        assert_eq!(steer_key(&eth(0x0800, &[0x45, 0, 0])), None);
    }

    #[test]
    fn owner_spreads_and_is_in_range() {
        for workers in 1..=8 {
            let mut seen = vec![0usize; workers];
            for teid in 0..10_000u64 {
                let w = owner((1 << 32) | teid, workers);
                assert!(w < workers);
                seen[w] += 1;
            }
            for &n in &seen {
                // Within 20% of an even share.
                assert!(n * workers * 10 >= 10_000 * 8, "{seen:?}");
            }
        }
        // Consecutive UE addresses spread too.
        let two: Vec<usize> = (0..64u64).map(|a| owner(0x0a2d_0000 + a, 2)).collect();
        assert!(two.contains(&0) && two.contains(&1));
    }
}
