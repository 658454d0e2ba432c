//! Ethernet II frames (IEEE 802.3) and 802.1Q / 802.1ad VLAN tags.
//!
//! [`EthernetFrame`] views the untagged 14-octet header; [`EthernetRepr`]
//! handles one VLAN tag; [`l2_header`] walks up to two tags (QinQ).
//! The panic contract of the [module](super) applies.

use core::fmt;

use super::{read_u16, write_u16, Error, Field, Rest, Result};

/// A 48-bit Ethernet MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EthernetAddress(pub [u8; 6]);

impl EthernetAddress {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: EthernetAddress = EthernetAddress([0xff; 6]);

    /// The address in `data`, which must be exactly 6 octets long.
    pub fn from_bytes(data: &[u8]) -> Result<EthernetAddress> {
        let octets: [u8; 6] = data.try_into().map_err(|_| Error::Malformed)?;
        Ok(EthernetAddress(octets))
    }

    /// The six octets.
    pub const fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// Whether the I/G bit is clear.
    pub const fn is_unicast(&self) -> bool {
        self.0[0] & 0x01 == 0
    }

    /// Whether the I/G bit is set (broadcast included).
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Whether this is ff:ff:ff:ff:ff:ff.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// The IPv6 multicast MAC address 33:33:xx:xx:xx:xx for `addr` (RFC 2464).
    pub fn ipv6_multicast(addr: &core::net::Ipv6Addr) -> EthernetAddress {
        let o = addr.octets();
        EthernetAddress([0x33, 0x33, o[12], o[13], o[14], o[15]])
    }
}

impl fmt::Display for EthernetAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

enum_with_unknown! {
    /// EtherType / TPID values.
    pub enum EtherType(u16) {
        /// IPv4.
        Ipv4 = 0x0800,
        /// ARP.
        Arp = 0x0806,
        /// IEEE 802.1Q customer VLAN tag.
        Vlan = 0x8100,
        /// IPv6.
        Ipv6 = 0x86DD,
        /// IEEE 802.1ad service VLAN tag (QinQ outer tag).
        QinQ = 0x88A8,
    }
}

impl EtherType {
    /// Whether this value is a VLAN tag protocol identifier.
    pub fn is_vlan(self) -> bool {
        matches!(self, EtherType::Vlan | EtherType::QinQ)
    }
}

/// The tag control information of a VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VlanTag {
    /// Priority code point, 0..=7.
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier, 0..=4095.
    pub vid: u16,
}

impl VlanTag {
    /// Decodes a 16-bit TCI.
    pub const fn from_tci(tci: u16) -> VlanTag {
        VlanTag {
            pcp: (tci >> 13) as u8,
            dei: tci & 0x1000 != 0,
            vid: tci & 0x0fff,
        }
    }

    /// Encodes the 16-bit TCI (out-of-range `pcp`/`vid` bits are masked).
    pub const fn tci(&self) -> u16 {
        ((self.pcp as u16 & 0x7) << 13) | ((self.dei as u16) << 12) | (self.vid & 0x0fff)
    }
}

mod field {
    use super::{Field, Rest};

    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    pub const ETHERTYPE: Field = 12..14;
    pub const PAYLOAD: Rest = 14..;

    /// Inside a VLAN tag, relative to its start (the TPID is the ethertype
    /// field before it).
    pub const TAG_TCI: Field = 0..2;
    pub const TAG_ETHERTYPE: Field = 2..4;
}

/// Length of the untagged Ethernet header.
pub const HEADER_LEN: usize = field::PAYLOAD.start;
/// Length of one VLAN tag (TCI + inner EtherType).
pub const VLAN_TAG_LEN: usize = 4;

/// A read/write view of an Ethernet II frame (untagged header).
#[derive(Debug, Clone)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> EthernetFrame<T> {
        EthernetFrame { buffer }
    }

    /// Wraps a buffer and checks its length.
    pub fn new_checked(buffer: T) -> Result<EthernetFrame<T>> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// `Err(Truncated)` if the buffer cannot hold the 14-octet header.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Length of the untagged header, 14.
    pub const fn header_len() -> usize {
        HEADER_LEN
    }

    /// Destination address.
    pub fn dst_addr(&self) -> EthernetAddress {
        let mut a = [0u8; 6];
        a.copy_from_slice(&self.buffer.as_ref()[field::DESTINATION]);
        EthernetAddress(a)
    }

    /// Source address.
    pub fn src_addr(&self) -> EthernetAddress {
        let mut a = [0u8; 6];
        a.copy_from_slice(&self.buffer.as_ref()[field::SOURCE]);
        EthernetAddress(a)
    }

    /// EtherType (or TPID of the first VLAN tag).
    pub fn ethertype(&self) -> EtherType {
        read_u16(&self.buffer.as_ref()[field::ETHERTYPE]).into()
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> EthernetFrame<&'a T> {
    /// Everything after the 14-octet header (a VLAN tag included).
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, value: EthernetAddress) {
        self.buffer.as_mut()[field::DESTINATION].copy_from_slice(&value.0);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, value: EthernetAddress) {
        self.buffer.as_mut()[field::SOURCE].copy_from_slice(&value.0);
    }

    /// Sets the EtherType.
    pub fn set_ethertype(&mut self, value: EtherType) {
        write_u16(&mut self.buffer.as_mut()[field::ETHERTYPE], value.into());
    }

    /// Everything after the 14-octet header, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for EthernetFrame<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// The layer-2 header of a frame with up to two VLAN tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2Header {
    /// Octets from the start of the frame to the layer-3 header: 14, 18 or 22.
    pub header_len: usize,
    /// The EtherType after the last tag.
    pub ethertype: EtherType,
    /// The first (outer) tag: the S-tag of a QinQ frame, the only tag of a
    /// single-tagged one.
    pub outer: Option<VlanTag>,
    /// The second (inner, C-) tag of a QinQ frame.
    pub inner: Option<VlanTag>,
}

/// Walks the Ethernet header and at most two VLAN tags (0x8100 or 0x88a8).
/// A third tag gives `Err(Unsupported)`; a buffer that ends inside a tag
/// `Err(Truncated)`.
pub fn l2_header(frame: &[u8]) -> Result<L2Header> {
    if frame.len() < HEADER_LEN {
        return Err(Error::Truncated);
    }
    let mut header = L2Header {
        header_len: HEADER_LEN,
        ethertype: read_u16(&frame[field::ETHERTYPE]).into(),
        outer: None,
        inner: None,
    };
    for depth in 0..2 {
        if !header.ethertype.is_vlan() {
            return Ok(header);
        }
        let tag = frame
            .get(header.header_len..header.header_len + VLAN_TAG_LEN)
            .ok_or(Error::Truncated)?;
        let vlan = VlanTag::from_tci(read_u16(&tag[field::TAG_TCI]));
        if depth == 0 {
            header.outer = Some(vlan);
        } else {
            header.inner = Some(vlan);
        }
        header.ethertype = read_u16(&tag[field::TAG_ETHERTYPE]).into();
        header.header_len += VLAN_TAG_LEN;
    }
    if header.ethertype.is_vlan() {
        return Err(Error::Unsupported);
    }
    Ok(header)
}

/// Length of the layer-2 header (14, 18 or 22), the EtherType after the tags
/// and the outer VLAN tag, walking at most two tags; see [`l2_header`].
pub fn l2_header_len(frame: &[u8]) -> Result<(usize, EtherType, Option<VlanTag>)> {
    let h = l2_header(frame)?;
    Ok((h.header_len, h.ethertype, h.outer))
}

/// A parsed Ethernet header with at most one VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthernetRepr {
    /// Source address.
    pub src_addr: EthernetAddress,
    /// Destination address.
    pub dst_addr: EthernetAddress,
    /// The VLAN tag, if the frame carries one.
    pub vlan: Option<VlanTag>,
    /// The EtherType of the payload (after the tag).
    pub ethertype: EtherType,
}

impl EthernetRepr {
    /// Parses the header and one VLAN tag (TPID 0x8100 or 0x88a8). A frame
    /// with two tags gives `Err(Unsupported)` (use [`l2_header`]).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(frame: &EthernetFrame<&T>) -> Result<EthernetRepr> {
        frame.check_len()?;
        let h = l2_header(frame.buffer.as_ref())?;
        if h.inner.is_some() {
            return Err(Error::Unsupported);
        }
        Ok(EthernetRepr {
            src_addr: frame.src_addr(),
            dst_addr: frame.dst_addr(),
            vlan: h.outer,
            ethertype: h.ethertype,
        })
    }

    /// 14, or 18 with a VLAN tag.
    pub const fn header_len(&self) -> usize {
        if self.vlan.is_some() {
            HEADER_LEN + VLAN_TAG_LEN
        } else {
            HEADER_LEN
        }
    }

    /// Same as [`header_len`](Self::header_len): the payload is not counted.
    pub const fn buffer_len(&self) -> usize {
        self.header_len()
    }

    /// Writes the header; a VLAN tag is always written with TPID 0x8100
    /// (802.1Q). Panics if the buffer is shorter than `header_len()`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut EthernetFrame<T>) {
        frame.set_src_addr(self.src_addr);
        frame.set_dst_addr(self.dst_addr);
        match self.vlan {
            None => frame.set_ethertype(self.ethertype),
            Some(tag) => {
                frame.set_ethertype(EtherType::Vlan);
                let payload = frame.payload_mut();
                write_u16(&mut payload[field::TAG_TCI], tag.tci());
                write_u16(&mut payload[field::TAG_ETHERTYPE], self.ethertype.into());
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    // dst 02:00:00:00:00:02, src 02:00:00:00:00:01, 802.1Q pcp 5 vid 100, IPv6.
    static VLAN_FRAME: [u8; 20] = [
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x81, 0x00, 0xa0,
        0x64, 0x86, 0xdd, 0x60, 0x00,
    ];

    #[test]
    fn test_parse() {
        let frame = EthernetFrame::new_checked(&VLAN_FRAME[..]).unwrap();
        assert_eq!(frame.dst_addr(), EthernetAddress([2, 0, 0, 0, 0, 2]));
        assert_eq!(frame.src_addr(), EthernetAddress([2, 0, 0, 0, 0, 1]));
        assert_eq!(frame.ethertype(), EtherType::Vlan);
        let repr = EthernetRepr::parse(&frame).unwrap();
        assert_eq!(
            repr.vlan,
            Some(VlanTag {
                pcp: 5,
                dei: false,
                vid: 100
            })
        );
        assert_eq!(repr.ethertype, EtherType::Ipv6);
        assert_eq!(repr.header_len(), 18);
    }

    #[test]
    fn test_emit() {
        let repr = EthernetRepr {
            src_addr: EthernetAddress([2, 0, 0, 0, 0, 1]),
            dst_addr: EthernetAddress([2, 0, 0, 0, 0, 2]),
            vlan: Some(VlanTag {
                pcp: 5,
                dei: false,
                vid: 100,
            }),
            ethertype: EtherType::Ipv6,
        };
        let mut buf = [0u8; 20];
        buf[18..].copy_from_slice(&VLAN_FRAME[18..]);
        repr.emit(&mut EthernetFrame::new_unchecked(&mut buf[..]));
        assert_eq!(buf, VLAN_FRAME);
    }

    #[test]
    fn test_impossible_len() {
        assert_eq!(
            EthernetFrame::new_checked(&VLAN_FRAME[..13]).unwrap_err(),
            Error::Truncated
        );
        let frame = EthernetFrame::new_checked(&VLAN_FRAME[..16]).unwrap();
        assert_eq!(EthernetRepr::parse(&frame), Err(Error::Truncated));
    }

    #[test]
    fn test_qinq() {
        let mut buf = [0u8; 26];
        buf[12..14].copy_from_slice(&[0x88, 0xa8]);
        buf[14..16].copy_from_slice(&[0x00, 0x0a]);
        buf[16..18].copy_from_slice(&[0x81, 0x00]);
        buf[18..20].copy_from_slice(&[0x30, 0x14]);
        buf[20..22].copy_from_slice(&[0x08, 0x00]);
        let h = l2_header(&buf).unwrap();
        assert_eq!(h.header_len, 22);
        assert_eq!(h.ethertype, EtherType::Ipv4);
        assert_eq!(h.outer.unwrap().vid, 10);
        assert_eq!(
            h.inner,
            Some(VlanTag {
                pcp: 1,
                dei: true,
                vid: 20
            })
        );
        assert_eq!(l2_header_len(&buf).unwrap().0, 22);
        assert_eq!(
            EthernetRepr::parse(&EthernetFrame::new_checked(&buf[..]).unwrap()),
            Err(Error::Unsupported)
        );
        buf[20..22].copy_from_slice(&[0x81, 0x00]);
        assert_eq!(l2_header(&buf), Err(Error::Unsupported));
        assert_eq!(l2_header(&buf[..20]), Err(Error::Truncated));
    }
}
