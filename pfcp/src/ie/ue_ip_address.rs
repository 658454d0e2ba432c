//! UE IP Address (§8.2.62, type 93).

use super::{types, Ie, IeValue, Reader};
use crate::error::Result;
use std::net::{Ipv4Addr, Ipv6Addr};

/// UE IP Address.
///
/// ```text
///  5  | Spare | IP6PL | CHV6 | CHV4 | IPv6D | S/D | V4 | V6 |
///  m  IPv4 address (V4)
///  p  IPv6 address (V6)
///  r  IPv6 Prefix Delegation Bits (IPv6D)
///  s  IPv6 Prefix Length (IP6PL)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UeIpAddress {
    /// IPv4 address (V4).
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address or prefix (V6).
    pub ipv6: Option<Ipv6Addr>,
    /// S/D: the address is a destination (true) or source (false) address.
    pub destination: bool,
    /// IPv6 prefix delegation bits (IPv6D).
    pub ipv6_prefix_delegation_bits: Option<u8>,
    /// CHV4: the UP function shall allocate an IPv4 address.
    pub choose_v4: bool,
    /// CHV6: the UP function shall allocate an IPv6 prefix.
    pub choose_v6: bool,
    /// IPv6 prefix length (IP6PL).
    pub ipv6_prefix_length: Option<u8>,
}

impl UeIpAddress {
    /// An IPv4 UE address, source (uplink PDI) or destination (downlink).
    pub fn v4(addr: Ipv4Addr, destination: bool) -> Self {
        Self {
            ipv4: Some(addr),
            destination,
            ..Self::default()
        }
    }
}

impl IeValue for UeIpAddress {
    fn value_len(&self) -> usize {
        1 + self.ipv4.map_or(0, |_| 4)
            + self.ipv6.map_or(0, |_| 16)
            + usize::from(self.ipv6_prefix_delegation_bits.is_some())
            + usize::from(self.ipv6_prefix_length.is_some())
    }

    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(
            u8::from(self.ipv6.is_some())
                | u8::from(self.ipv4.is_some()) << 1
                | u8::from(self.destination) << 2
                | u8::from(self.ipv6_prefix_delegation_bits.is_some()) << 3
                | u8::from(self.choose_v4) << 4
                | u8::from(self.choose_v6) << 5
                | u8::from(self.ipv6_prefix_length.is_some()) << 6,
        );
        if let Some(a) = self.ipv4 {
            buf.extend_from_slice(&a.octets());
        }
        if let Some(a) = self.ipv6 {
            buf.extend_from_slice(&a.octets());
        }
        if let Some(b) = self.ipv6_prefix_delegation_bits {
            buf.push(b);
        }
        if let Some(l) = self.ipv6_prefix_length {
            buf.push(l);
        }
    }

    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        let ipv4 = if f & 0x02 != 0 { Some(r.ipv4()?) } else { None };
        let ipv6 = if f & 0x01 != 0 { Some(r.ipv6()?) } else { None };
        let ipv6_prefix_delegation_bits = if f & 0x08 != 0 { Some(r.u8()?) } else { None };
        let ipv6_prefix_length = if f & 0x40 != 0 { Some(r.u8()?) } else { None };
        Ok(Self {
            ipv4,
            ipv6,
            destination: f & 0x04 != 0,
            ipv6_prefix_delegation_bits,
            choose_v4: f & 0x10 != 0,
            choose_v6: f & 0x20 != 0,
            ipv6_prefix_length,
        })
    }
}

impl Ie for UeIpAddress {
    const TYPE: u16 = types::UE_IP_ADDRESS;
}
