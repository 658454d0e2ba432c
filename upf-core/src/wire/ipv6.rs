//! IPv6 (RFC 8200) and a bounded walk over its extension headers.
//!
//! The panic contract of the [module](super) applies: `check_len` validates
//! Payload Length against the buffer, which may be longer (Ethernet padding);
//! [`Ipv6Packet::payload`] stops at Payload Length. Jumbograms are not
//! supported (a zero Payload Length means an empty payload).

use core::net::Ipv6Addr;

use super::ip::IpProtocol;
use super::{ipv6_from, read_u16, read_u32, write_u16, write_u32, Error, Field, Result};

mod field {
    use super::Field;

    pub const VER_TC_FLOW: Field = 0..4;
    pub const LENGTH: Field = 4..6;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: Field = 8..24;
    pub const DST_ADDR: Field = 24..40;
}

/// Length of the fixed header.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// Most extension headers [`upper_layer`] walks before giving up.
pub const MAX_EXTENSION_HEADERS: usize = 8;

/// A read/write view of an IPv6 packet.
#[derive(Debug, Clone)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> Ipv6Packet<T> {
        Ipv6Packet { buffer }
    }

    /// Wraps a buffer and checks its length.
    pub fn new_checked(buffer: T) -> Result<Ipv6Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Err(Truncated)` when the buffer is shorter than the fixed header or
    /// than 40 + Payload Length. The version is not checked here.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN || len < self.total_len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// 40 + Payload Length.
    pub fn total_len(&self) -> usize {
        HEADER_LEN + usize::from(self.payload_len())
    }

    fn ver_tc_flow(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::VER_TC_FLOW])
    }

    /// Version (6).
    pub fn version(&self) -> u8 {
        (self.ver_tc_flow() >> 28) as u8
    }

    /// Traffic Class (DSCP << 2 | ECN).
    pub fn traffic_class(&self) -> u8 {
        (self.ver_tc_flow() >> 20) as u8
    }

    /// Flow Label, 20 bits.
    pub fn flow_label(&self) -> u32 {
        self.ver_tc_flow() & 0x000f_ffff
    }

    /// Payload Length (extension headers included).
    pub fn payload_len(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::LENGTH])
    }

    /// Next Header.
    pub fn next_header(&self) -> IpProtocol {
        self.buffer.as_ref()[field::NXT_HDR].into()
    }

    /// Hop Limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// Source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        ipv6_from(&self.buffer.as_ref()[field::SRC_ADDR])
    }

    /// Destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        ipv6_from(&self.buffer.as_ref()[field::DST_ADDR])
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Ipv6Packet<&'a T> {
    /// The payload (extension headers included), up to Payload Length.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.total_len()]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    fn set_ver_tc_flow(&mut self, value: u32) {
        write_u32(&mut self.buffer.as_mut()[field::VER_TC_FLOW], value);
    }

    /// Sets the version.
    pub fn set_version(&mut self, value: u8) {
        let v = (self.ver_tc_flow() & 0x0fff_ffff) | (u32::from(value & 0x0f) << 28);
        self.set_ver_tc_flow(v);
    }

    /// Sets the Traffic Class.
    pub fn set_traffic_class(&mut self, value: u8) {
        let v = (self.ver_tc_flow() & 0xf00f_ffff) | (u32::from(value) << 20);
        self.set_ver_tc_flow(v);
    }

    /// Sets the Flow Label (20 bits; higher bits are ignored).
    pub fn set_flow_label(&mut self, value: u32) {
        let v = (self.ver_tc_flow() & 0xfff0_0000) | (value & 0x000f_ffff);
        self.set_ver_tc_flow(v);
    }

    /// Sets Payload Length.
    pub fn set_payload_len(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::LENGTH], value);
    }

    /// Sets Next Header.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::NXT_HDR] = value.into();
    }

    /// Sets Hop Limit.
    pub fn set_hop_limit(&mut self, value: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = value;
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&value.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&value.octets());
    }

    /// The payload (to Payload Length), writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = self.total_len();
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Ipv6Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// A parsed IPv6 fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Repr {
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
    /// Next Header of the fixed header.
    pub next_header: IpProtocol,
    /// Payload Length (extension headers included).
    pub payload_len: usize,
    /// Hop Limit.
    pub hop_limit: u8,
    /// Traffic Class.
    pub traffic_class: u8,
    /// Flow Label (20 bits).
    pub flow_label: u32,
}

impl Ipv6Repr {
    /// Parses a checked view; `Err(Malformed)` when the version is not 6.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Ipv6Packet<&T>) -> Result<Ipv6Repr> {
        packet.check_len()?;
        if packet.version() != 6 {
            return Err(Error::Malformed);
        }
        Ok(Ipv6Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: usize::from(packet.payload_len()),
            hop_limit: packet.hop_limit(),
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
        })
    }

    /// 40.
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Header and payload.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }

    /// Writes the fixed header. Payload Length saturates at 65535. Panics if
    /// the buffer is shorter than 40.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Ipv6Packet<T>) {
        packet.set_ver_tc_flow(0x6000_0000);
        packet.set_traffic_class(self.traffic_class);
        packet.set_flow_label(self.flow_label);
        packet.set_payload_len(u16::try_from(self.payload_len).unwrap_or(u16::MAX));
        packet.set_next_header(self.next_header);
        packet.set_hop_limit(self.hop_limit);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
    }
}

/// The fragment header met while walking to the upper layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Fragment {
    /// Fragment offset in octets.
    pub offset: u16,
    /// M flag: more fragments follow.
    pub more_frags: bool,
    /// Identification.
    pub ident: u32,
}

/// Where the upper-layer header of an IPv6 packet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpperLayer {
    /// The protocol after the last extension header walked.
    pub protocol: IpProtocol,
    /// Offset of the upper-layer header (or, in a non-first fragment, of the
    /// fragment data) from the start of the IPv6 header.
    pub offset: usize,
    /// The fragment header, if there was one.
    pub fragment: Option<Ipv6Fragment>,
}

impl UpperLayer {
    /// Whether the packet carried a fragment header.
    pub fn is_fragment(&self) -> bool {
        self.fragment.is_some()
    }

    /// Whether this is a fragment other than the first: `offset` then points
    /// at fragment data, **not** at an upper-layer header (no ports there).
    pub fn is_non_first_fragment(&self) -> bool {
        matches!(self.fragment, Some(f) if f.offset != 0)
    }
}

/// Walks Hop-by-Hop, Routing, Destination Options and Fragment headers (at
/// most [`MAX_EXTENSION_HEADERS`]) from the start of an IPv6 packet.
///
/// A non-first fragment stops the walk after its Fragment header: the
/// protocol is the fragment's Next Header and `offset` points at fragment
/// data. `Err(Truncated)` when the packet is shorter than its header or
/// Payload Length; `Err(Malformed)` when the version is not 6, an extension
/// header runs past Payload Length, or Hop-by-Hop is not first;
/// `Err(Unsupported)` when there are too many extension headers.
pub fn upper_layer_info(packet: &[u8]) -> Result<UpperLayer> {
    let ip = Ipv6Packet::new_checked(packet)?;
    if ip.version() != 6 {
        return Err(Error::Malformed);
    }
    let end = ip.total_len();
    let mut protocol = ip.next_header();
    let mut offset = HEADER_LEN;
    let mut fragment = None;
    for index in 0..=MAX_EXTENSION_HEADERS {
        if !protocol.is_ipv6_extension() {
            return Ok(UpperLayer {
                protocol,
                offset,
                fragment,
            });
        }
        if index == MAX_EXTENSION_HEADERS {
            break;
        }
        if protocol == IpProtocol::Ipv6Hop && index != 0 {
            return Err(Error::Malformed);
        }
        let header = packet.get(offset..offset + 8).filter(|_| offset + 8 <= end);
        let header = header.ok_or(Error::Malformed)?;
        let next: IpProtocol = header[0].into();
        let len = if protocol == IpProtocol::Ipv6Frag {
            let off_flags = read_u16(&header[2..4]);
            let frag = Ipv6Fragment {
                offset: off_flags & 0xfff8,
                more_frags: off_flags & 0x0001 != 0,
                ident: read_u32(&header[4..8]),
            };
            if fragment.is_some() {
                return Err(Error::Malformed);
            }
            fragment = Some(frag);
            8
        } else {
            (usize::from(header[1]) + 1) * 8
        };
        if offset + len > end {
            return Err(Error::Malformed);
        }
        offset += len;
        protocol = next;
        if matches!(fragment, Some(f) if f.offset != 0) {
            return Ok(UpperLayer {
                protocol,
                offset,
                fragment,
            });
        }
    }
    Err(Error::Unsupported)
}

/// The upper-layer protocol and its offset from the start of the IPv6 header;
/// see [`upper_layer_info`], which also tells whether the packet is a
/// non-first fragment (whose `offset` points at data without ports).
pub fn upper_layer(packet: &[u8]) -> Result<(IpProtocol, usize)> {
    let u = upper_layer_info(packet)?;
    Ok((u.protocol, u.offset))
}

#[cfg(test)]
mod test {
    use super::*;

    // 2001:db8::1 -> 2001:db8::2, TC 0xb8, flow 0x12345, hop limit 64,
    // Hop-by-Hop (8) + Fragment (offset 0, M) + UDP (8 octets).
    static PACKET_BYTES: [u8; 64] = [
        0x6b, 0x81, 0x23, 0x45, 0x00, 0x18, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
        // hop-by-hop: next = fragment, len 0, PadN
        0x2c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, //
        // fragment: next = UDP, offset 0, M = 1, ident 7
        0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, //
        // UDP header
        0x04, 0xd2, 0x16, 0x2e, 0x00, 0x08, 0x00, 0x00,
    ];

    fn repr() -> Ipv6Repr {
        Ipv6Repr {
            src_addr: "2001:db8::1".parse().unwrap(),
            dst_addr: "2001:db8::2".parse().unwrap(),
            next_header: IpProtocol::Ipv6Hop,
            payload_len: 24,
            hop_limit: 64,
            traffic_class: 0xb8,
            flow_label: 0x12345,
        }
    }

    #[test]
    fn test_parse() {
        let p = Ipv6Packet::new_checked(&PACKET_BYTES[..]).unwrap();
        assert_eq!(Ipv6Repr::parse(&p).unwrap(), repr());
        let u = upper_layer_info(&PACKET_BYTES).unwrap();
        assert_eq!(u.protocol, IpProtocol::Udp);
        assert_eq!(u.offset, 56);
        assert!(u.is_fragment() && !u.is_non_first_fragment());
        assert_eq!(upper_layer(&PACKET_BYTES).unwrap(), (IpProtocol::Udp, 56));
    }

    #[test]
    fn test_emit() {
        let mut buf = PACKET_BYTES;
        buf[..40].fill(0);
        repr().emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, PACKET_BYTES);
    }

    #[test]
    fn test_non_first_fragment() {
        let mut buf = PACKET_BYTES;
        buf[50] = 0x01; // offset 256 octets... in units of 8: 0x0100 >> 3
        let u = upper_layer_info(&buf).unwrap();
        assert!(u.is_non_first_fragment());
        assert_eq!(u.offset, 56);
        assert_eq!(u.protocol, IpProtocol::Udp);
    }

    #[test]
    fn test_impossible_len() {
        assert_eq!(
            Ipv6Packet::new_checked(&PACKET_BYTES[..63]).unwrap_err(),
            Error::Truncated
        );
        let mut buf = PACKET_BYTES;
        buf[41] = 0x05; // hop-by-hop longer than the payload
        assert_eq!(upper_layer(&buf), Err(Error::Malformed));
        let mut buf = PACKET_BYTES;
        buf[40] = 0x00; // a second hop-by-hop
        assert_eq!(upper_layer(&buf), Err(Error::Malformed));
    }
}
