//! Outer Header Creation (§8.2.56, type 84) and Outer Header Removal
//! (§8.2.64, type 95).

use super::{types, Ie, IeValue, Reader};
use crate::error::Result;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Outer Header Creation.
///
/// ```text
///  5-6  Outer Header Creation Description (octet 5 bits 1-8:
///       GTP-U/UDP/IPv4, GTP-U/UDP/IPv6, UDP/IPv4, UDP/IPv6, IPv4, IPv6,
///       C-TAG, S-TAG; octet 6 bits 1-2: N19, N6 indication)
///  m    TEID (4)          GTP-U/UDP/IPv4 or GTP-U/UDP/IPv6
///  p    IPv4 address (4)  GTP-U/UDP/IPv4, UDP/IPv4 or IPv4
///  q    IPv6 address (16) GTP-U/UDP/IPv6, UDP/IPv6 or IPv6
///  r    Port number (2)   UDP/IPv4 or UDP/IPv6
///  t    C-TAG (3)         C-TAG
///  u    S-TAG (3)         S-TAG
/// ```
///
/// Fields are written when their description bits ask for them (zeros when
/// the value is absent) and read the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OuterHeaderCreation {
    /// The description, octet 5 in the high byte, octet 6 in the low byte.
    pub description: u16,
    /// GTP-U TEID.
    pub teid: Option<u32>,
    /// IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address.
    pub ipv6: Option<Ipv6Addr>,
    /// UDP port.
    pub port: Option<u16>,
    /// C-TAG (3 octets as in §8.2.94).
    pub c_tag: Option<[u8; 3]>,
    /// S-TAG (3 octets as in §8.2.95).
    pub s_tag: Option<[u8; 3]>,
}

impl OuterHeaderCreation {
    /// GTP-U/UDP/IPv4.
    pub const GTPU_UDP_IPV4: u16 = 0x0100;
    /// GTP-U/UDP/IPv6.
    pub const GTPU_UDP_IPV6: u16 = 0x0200;
    /// UDP/IPv4.
    pub const UDP_IPV4: u16 = 0x0400;
    /// UDP/IPv6.
    pub const UDP_IPV6: u16 = 0x0800;
    /// IPv4.
    pub const IPV4: u16 = 0x1000;
    /// IPv6.
    pub const IPV6: u16 = 0x2000;
    /// C-TAG.
    pub const C_TAG: u16 = 0x4000;
    /// S-TAG.
    pub const S_TAG: u16 = 0x8000;
    /// N19 indication.
    pub const N19: u16 = 0x0001;
    /// N6 indication.
    pub const N6: u16 = 0x0002;

    /// GTP-U/UDP/IPv4 towards `addr` with `teid`.
    pub fn gtpu_v4(teid: u32, addr: Ipv4Addr) -> Self {
        Self {
            description: Self::GTPU_UDP_IPV4,
            teid: Some(teid),
            ipv4: Some(addr),
            ..Self::default()
        }
    }

    /// GTP-U/UDP/IPv6 towards `addr` with `teid`.
    pub fn gtpu_v6(teid: u32, addr: Ipv6Addr) -> Self {
        Self {
            description: Self::GTPU_UDP_IPV6,
            teid: Some(teid),
            ipv6: Some(addr),
            ..Self::default()
        }
    }

    fn wants(&self, bits: u16) -> bool {
        self.description & bits != 0
    }

    fn has_teid(&self) -> bool {
        self.wants(Self::GTPU_UDP_IPV4 | Self::GTPU_UDP_IPV6)
    }
    fn has_ipv4(&self) -> bool {
        self.wants(Self::GTPU_UDP_IPV4 | Self::UDP_IPV4 | Self::IPV4)
    }
    fn has_ipv6(&self) -> bool {
        self.wants(Self::GTPU_UDP_IPV6 | Self::UDP_IPV6 | Self::IPV6)
    }
    fn has_port(&self) -> bool {
        self.wants(Self::UDP_IPV4 | Self::UDP_IPV6)
    }
}

impl IeValue for OuterHeaderCreation {
    fn value_len(&self) -> usize {
        2 + if self.has_teid() { 4 } else { 0 }
            + if self.has_ipv4() { 4 } else { 0 }
            + if self.has_ipv6() { 16 } else { 0 }
            + if self.has_port() { 2 } else { 0 }
            + if self.wants(Self::C_TAG) { 3 } else { 0 }
            + if self.wants(Self::S_TAG) { 3 } else { 0 }
    }

    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.description.to_be_bytes());
        if self.has_teid() {
            buf.extend_from_slice(&self.teid.unwrap_or(0).to_be_bytes());
        }
        if self.has_ipv4() {
            buf.extend_from_slice(&self.ipv4.unwrap_or(Ipv4Addr::UNSPECIFIED).octets());
        }
        if self.has_ipv6() {
            buf.extend_from_slice(&self.ipv6.unwrap_or(Ipv6Addr::UNSPECIFIED).octets());
        }
        if self.has_port() {
            buf.extend_from_slice(&self.port.unwrap_or(0).to_be_bytes());
        }
        if self.wants(Self::C_TAG) {
            buf.extend_from_slice(&self.c_tag.unwrap_or_default());
        }
        if self.wants(Self::S_TAG) {
            buf.extend_from_slice(&self.s_tag.unwrap_or_default());
        }
    }

    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let mut s = Self {
            description: r.u16()?,
            ..Self::default()
        };
        if s.has_teid() {
            s.teid = Some(r.u32()?);
        }
        if s.has_ipv4() {
            s.ipv4 = Some(r.ipv4()?);
        }
        if s.has_ipv6() {
            s.ipv6 = Some(r.ipv6()?);
        }
        if s.has_port() {
            s.port = Some(r.u16()?);
        }
        if s.wants(Self::C_TAG) {
            s.c_tag = Some(r.array()?);
        }
        if s.wants(Self::S_TAG) {
            s.s_tag = Some(r.array()?);
        }
        Ok(s)
    }
}

impl Ie for OuterHeaderCreation {
    const TYPE: u16 = types::OUTER_HEADER_CREATION;
}

u8_enum! {
    /// Outer Header Removal Description.
    pub enum OuterHeaderRemovalDescription {
        /// GTP-U/UDP/IPv4.
        GtpuUdpIpv4 = 0,
        /// GTP-U/UDP/IPv6.
        GtpuUdpIpv6 = 1,
        /// UDP/IPv4.
        UdpIpv4 = 2,
        /// UDP/IPv6.
        UdpIpv6 = 3,
        /// IPv4.
        Ipv4 = 4,
        /// IPv6.
        Ipv6 = 5,
        /// GTP-U/UDP/IP (either version).
        GtpuUdpIp = 6,
        /// VLAN S-TAG.
        VlanSTag = 7,
        /// S-TAG and C-TAG.
        STagAndCTag = 8,
    }
}

/// Outer Header Removal: the description and, optionally, the GTP-U
/// Extension Header Deletion octet (bit 1: PDU Session Container).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OuterHeaderRemoval {
    /// What to remove.
    pub description: OuterHeaderRemovalDescription,
    /// GTP-U Extension Header Deletion octet.
    pub gtpu_extension_header_deletion: Option<u8>,
}

impl OuterHeaderRemoval {
    /// Removal of `description` without the extension header octet.
    pub fn new(description: OuterHeaderRemovalDescription) -> Self {
        Self {
            description,
            gtpu_extension_header_deletion: None,
        }
    }
}

impl IeValue for OuterHeaderRemoval {
    fn value_len(&self) -> usize {
        1 + usize::from(self.gtpu_extension_header_deletion.is_some())
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(self.description.into());
        if let Some(d) = self.gtpu_extension_header_deletion {
            buf.push(d);
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let description = r.u8()?.into();
        let gtpu_extension_header_deletion = if r.remaining() > 0 {
            Some(r.u8()?)
        } else {
            None
        };
        Ok(Self {
            description,
            gtpu_extension_header_deletion,
        })
    }
}

impl Ie for OuterHeaderRemoval {
    const TYPE: u16 = types::OUTER_HEADER_REMOVAL;
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn test_parse_emit() {
        let bytes = [0, 84, 0, 10, 0x01, 0x00, 0, 0, 0, 9, 192, 168, 1, 2];
        let ohc = OuterHeaderCreation::decode(&bytes).unwrap();
        assert_eq!(
            ohc,
            OuterHeaderCreation::gtpu_v4(9, Ipv4Addr::new(192, 168, 1, 2))
        );
        let mut out = Vec::new();
        ohc.encode(&mut out);
        assert_eq!(out, bytes);
        assert!(OuterHeaderCreation::decode(&bytes[..13]).is_err());

        let ohr = OuterHeaderRemoval::decode(&[0, 95, 0, 1, 6]).unwrap();
        assert_eq!(ohr.description, OuterHeaderRemovalDescription::GtpuUdpIp);
    }
}
