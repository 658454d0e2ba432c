//! Address IEs: Alternative SMF IP Address (§8.2.129), CP PFCP Entity IP
//! Address (§8.2.135), Source IP Address (§8.2.138), SMF Set ID
//! (§8.2.131).

use super::dns::{decode_labels, encode_labels};
use super::{types, Ie, IeValue, Reader};
use crate::error::{DecodeError, Result};
use std::net::{Ipv4Addr, Ipv6Addr};

macro_rules! v4v6_ie {
    ($( $(#[$meta:meta])* $name:ident = $type:expr; )*) => { $(
        $(#[$meta])*
        ///
        /// Flags V6 (bit 1), V4 (bit 2) and others kept in `other_flags`;
        /// then the IPv4 and IPv6 addresses that are present.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name {
            /// IPv4 address (V4).
            pub ipv4: Option<Ipv4Addr>,
            /// IPv6 address (V6).
            pub ipv6: Option<Ipv6Addr>,
            /// Flag bits 3-8 as received.
            pub other_flags: u8,
        }

        impl IeValue for $name {
            fn value_len(&self) -> usize {
                1 + self.ipv4.map_or(0, |_| 4) + self.ipv6.map_or(0, |_| 16)
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                buf.push(
                    (self.other_flags & 0xfc)
                        | u8::from(self.ipv6.is_some())
                        | u8::from(self.ipv4.is_some()) << 1,
                );
                if let Some(a) = self.ipv4 {
                    buf.extend_from_slice(&a.octets());
                }
                if let Some(a) = self.ipv6 {
                    buf.extend_from_slice(&a.octets());
                }
            }
            fn decode_value(value: &[u8]) -> Result<Self> {
                let mut r = Reader::new(value);
                let f = r.u8()?;
                let ipv4 = if f & 2 != 0 { Some(r.ipv4()?) } else { None };
                let ipv6 = if f & 1 != 0 { Some(r.ipv6()?) } else { None };
                Ok(Self {
                    ipv4,
                    ipv6,
                    other_flags: f & 0xfc,
                })
            }
        }

        impl Ie for $name {
            const TYPE: u16 = $type;
        }
    )* };
}

v4v6_ie! {
    /// Alternative SMF IP Address (bit 3: PPE, preferred PFCP entity).
    AlternativeSmfIpAddress = types::ALTERNATIVE_SMF_IP_ADDRESS;
    /// CP PFCP Entity IP Address.
    CpPfcpEntityIpAddress = types::CP_PFCP_ENTITY_IP_ADDRESS;
}

/// Source IP Address: the address a Heartbeat Request is sent from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SourceIpAddress {
    /// IPv4 address (V4).
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address (V6).
    pub ipv6: Option<Ipv6Addr>,
    /// Mask/prefix length (MPL).
    pub prefix_length: Option<u8>,
}

impl IeValue for SourceIpAddress {
    fn value_len(&self) -> usize {
        1 + self.ipv4.map_or(0, |_| 4)
            + self.ipv6.map_or(0, |_| 16)
            + usize::from(self.prefix_length.is_some())
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(
            u8::from(self.ipv6.is_some())
                | u8::from(self.ipv4.is_some()) << 1
                | u8::from(self.prefix_length.is_some()) << 2,
        );
        if let Some(a) = self.ipv4 {
            buf.extend_from_slice(&a.octets());
        }
        if let Some(a) = self.ipv6 {
            buf.extend_from_slice(&a.octets());
        }
        if let Some(p) = self.prefix_length {
            buf.push(p);
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        let ipv4 = if f & 2 != 0 { Some(r.ipv4()?) } else { None };
        let ipv6 = if f & 1 != 0 { Some(r.ipv6()?) } else { None };
        let prefix_length = if f & 4 != 0 { Some(r.u8()?) } else { None };
        Ok(Self {
            ipv4,
            ipv6,
            prefix_length,
        })
    }
}

impl Ie for SourceIpAddress {
    const TYPE: u16 = types::SOURCE_IP_ADDRESS;
}

/// SMF Set ID: a spare octet and an FQDN (label-encoded).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SmfSetId(pub String);

impl IeValue for SmfSetId {
    fn value_len(&self) -> usize {
        1 + encode_labels(&self.0).len()
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(0);
        buf.extend_from_slice(&encode_labels(&self.0));
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        r.u8()?;
        decode_labels(r.rest())
            .map(Self)
            .ok_or(DecodeError::invalid_value())
    }
}

impl Ie for SmfSetId {
    const TYPE: u16 = types::SMF_SET_ID;
}
