//! The Internet checksum (RFC 1071), pseudo-header sums for IPv4 and IPv6 and
//! incremental updates (RFC 1624).
//!
//! [`data`] and [`pseudo_header_v4`]/[`pseudo_header_v6`] return the folded
//! one's-complement *sum* (not complemented); [`combine`] adds sums and
//! [`checksum`] returns the complemented value that goes on the wire.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ip::IpProtocol;

#[inline]
fn fold(mut sum: u64) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The folded one's-complement sum of `data` taken as big-endian 16-bit words
/// (an odd trailing byte is padded with zero).
pub fn data(data: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        sum += u64::from(u16::from_be_bytes([chunk[0], chunk[1]]))
            + u64::from(u16::from_be_bytes([chunk[2], chunk[3]]))
            + u64::from(u16::from_be_bytes([chunk[4], chunk[5]]))
            + u64::from(u16::from_be_bytes([chunk[6], chunk[7]]));
    }
    let mut pairs = chunks.remainder().chunks_exact(2);
    for pair in &mut pairs {
        sum += u64::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = pairs.remainder() {
        sum += u64::from(u16::from_be_bytes([*last, 0]));
    }
    fold(sum)
}

/// Adds folded one's-complement sums.
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|&s| u64::from(s)).sum())
}

/// The Internet checksum of `data`: the complement of its sum.
pub fn checksum(data_: &[u8]) -> u16 {
    !data(data_)
}

/// The sum of the IPv4 pseudo-header (RFC 768/793).
pub fn pseudo_header_v4(src: &Ipv4Addr, dst: &Ipv4Addr, protocol: IpProtocol, length: u32) -> u16 {
    let mut buf = [0u8; 12];
    buf[0..4].copy_from_slice(&src.octets());
    buf[4..8].copy_from_slice(&dst.octets());
    buf[9] = protocol.into();
    buf[10..12].copy_from_slice(&(length as u16).to_be_bytes());
    data(&buf)
}

/// The sum of the IPv6 pseudo-header (RFC 8200 §8.1).
pub fn pseudo_header_v6(
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
    next_header: IpProtocol,
    length: u32,
) -> u16 {
    let mut buf = [0u8; 40];
    buf[0..16].copy_from_slice(&src.octets());
    buf[16..32].copy_from_slice(&dst.octets());
    buf[32..36].copy_from_slice(&length.to_be_bytes());
    buf[39] = next_header.into();
    data(&buf)
}

/// The pseudo-header sum for either family. Two IPv4 addresses give the IPv4
/// pseudo-header; anything else is summed as IPv6, an IPv4 address taken in
/// its IPv4-mapped form (mixing families is a caller error; this only keeps
/// it from panicking).
pub fn pseudo_header(src: &IpAddr, dst: &IpAddr, protocol: IpProtocol, length: u32) -> u16 {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => pseudo_header_v4(s, d, protocol, length),
        _ => pseudo_header_v6(&to_v6(src), &to_v6(dst), protocol, length),
    }
}

fn to_v6(addr: &IpAddr) -> Ipv6Addr {
    match addr {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => *a,
    }
}

/// Incremental update (RFC 1624 eqn. 3) of a checksum field `old_checksum`
/// when one 16-bit word of the covered data changes from `old` to `new`.
pub fn update_u16(old_checksum: u16, old: u16, new: u16) -> u16 {
    !combine(&[!old_checksum, !old, new])
}

/// Incremental update of a checksum when an even-length, 16-bit aligned run of
/// bytes (an address, a port pair) changes from `old` to `new`. Returns `None`
/// when the lengths differ or are odd.
pub fn update_bytes(old_checksum: u16, old: &[u8], new: &[u8]) -> Option<u16> {
    if old.len() != new.len() || old.len() & 1 != 0 {
        return None;
    }
    Some(!combine(&[!old_checksum, !data(old), data(new)]))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn test_rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        assert_eq!(
            data(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
    }

    #[test]
    fn test_odd_length() {
        assert_eq!(data(&[0x12]), 0x1200);
        assert_eq!(data(&[0x12, 0x34, 0x56]), 0x6834);
    }

    #[test]
    fn test_incremental_matches_full() {
        let mut buf = [0x45u8, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01];
        let before = checksum(&buf);
        let old = u16::from_be_bytes([buf[8], buf[9]]);
        buf[8] = 0x3f;
        let new = u16::from_be_bytes([buf[8], buf[9]]);
        assert_eq!(update_u16(before, old, new), checksum(&buf));
        let old_bytes = [buf[0], buf[1], buf[2], buf[3]];
        buf[0..4].copy_from_slice(&[1, 2, 3, 4]);
        let c = checksum(&buf);
        let prev = {
            let mut b = buf;
            b[0..4].copy_from_slice(&old_bytes);
            checksum(&b)
        };
        assert_eq!(update_bytes(prev, &old_bytes, &[1, 2, 3, 4]), Some(c));
        assert_eq!(update_bytes(prev, &[1], &[2]), None);
    }
}
