//! IEs used in responses and reports: Offending IE (§8.2.22), Failed Rule
//! ID (§8.2.80), Additional Usage Reports Information (§8.2.91), Remote
//! GTP-U Peer (§8.2.70).

use super::{put_lv16, types, Ie, IeValue, Reader};
use crate::error::Result;
use std::net::{Ipv4Addr, Ipv6Addr};

uint_ie! {
    /// Offending IE: the type of the IE at fault.
    OffendingIe(u16) = types::OFFENDING_IE;
}

/// Failed Rule ID: the rule that could not be created or modified.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FailedRuleId {
    /// Rule ID type 0.
    Pdr(u16),
    /// Rule ID type 1.
    Far(u32),
    /// Rule ID type 2.
    Qer(u32),
    /// Rule ID type 3.
    Urr(u32),
    /// Rule ID type 4.
    Bar(u8),
    /// Another rule ID type (5 bits) with its value octets.
    Other {
        /// Rule ID type.
        rule_type: u8,
        /// Rule ID value.
        value: Vec<u8>,
    },
}

impl Default for FailedRuleId {
    fn default() -> Self {
        Self::Pdr(0)
    }
}

impl IeValue for FailedRuleId {
    fn value_len(&self) -> usize {
        1 + match self {
            Self::Pdr(_) => 2,
            Self::Far(_) | Self::Qer(_) | Self::Urr(_) => 4,
            Self::Bar(_) => 1,
            Self::Other { value, .. } => value.len(),
        }
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        match self {
            Self::Pdr(v) => {
                buf.push(0);
                buf.extend_from_slice(&v.to_be_bytes());
            }
            Self::Far(v) => {
                buf.push(1);
                buf.extend_from_slice(&v.to_be_bytes());
            }
            Self::Qer(v) => {
                buf.push(2);
                buf.extend_from_slice(&v.to_be_bytes());
            }
            Self::Urr(v) => {
                buf.push(3);
                buf.extend_from_slice(&v.to_be_bytes());
            }
            Self::Bar(v) => buf.extend_from_slice(&[4, *v]),
            Self::Other { rule_type, value } => {
                buf.push(rule_type & 0x1f);
                buf.extend_from_slice(value);
            }
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        Ok(match r.u8()? & 0x1f {
            0 => Self::Pdr(r.u16()?),
            1 => Self::Far(r.u32()?),
            2 => Self::Qer(r.u32()?),
            3 => Self::Urr(r.u32()?),
            4 => Self::Bar(r.u8()?),
            t => Self::Other {
                rule_type: t,
                value: r.rest().to_vec(),
            },
        })
    }
}

impl Ie for FailedRuleId {
    const TYPE: u16 = types::FAILED_RULE_ID;
}

/// Additional Usage Reports Information: AURI (bit 8 of the first octet)
/// and the number of additional usage reports (15 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AdditionalUsageReportsInformation {
    /// AURI: additional reports will follow in Session Report Requests.
    pub auri: bool,
    /// Number of additional usage reports.
    pub count: u16,
}

impl IeValue for AdditionalUsageReportsInformation {
    fn value_len(&self) -> usize {
        2
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        let v = (u16::from(self.auri) << 15) | (self.count & 0x7fff);
        buf.extend_from_slice(&v.to_be_bytes());
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let v = Reader::new(value).u16()?;
        Ok(Self {
            auri: v & 0x8000 != 0,
            count: v & 0x7fff,
        })
    }
}

impl Ie for AdditionalUsageReportsInformation {
    const TYPE: u16 = types::ADDITIONAL_USAGE_REPORTS_INFORMATION;
}

/// Remote GTP-U Peer.
///
/// Flags V6, V4, DI, NI (bits 1-4); addresses; then, with DI, a 2-octet
/// length and the Destination Interface field; with NI, a 2-octet length
/// and the Network Instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RemoteGtpuPeer {
    /// IPv4 address (V4).
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address (V6).
    pub ipv6: Option<Ipv6Addr>,
    /// Destination Interface field (DI).
    pub destination_interface: Option<Vec<u8>>,
    /// Network Instance field (NI).
    pub network_instance: Option<Vec<u8>>,
}

impl IeValue for RemoteGtpuPeer {
    fn value_len(&self) -> usize {
        1 + self.ipv4.map_or(0, |_| 4)
            + self.ipv6.map_or(0, |_| 16)
            + self
                .destination_interface
                .as_ref()
                .map_or(0, |d| 2 + d.len().min(65535))
            + self
                .network_instance
                .as_ref()
                .map_or(0, |n| 2 + n.len().min(65535))
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(
            u8::from(self.ipv6.is_some())
                | u8::from(self.ipv4.is_some()) << 1
                | u8::from(self.destination_interface.is_some()) << 2
                | u8::from(self.network_instance.is_some()) << 3,
        );
        if let Some(a) = self.ipv4 {
            buf.extend_from_slice(&a.octets());
        }
        if let Some(a) = self.ipv6 {
            buf.extend_from_slice(&a.octets());
        }
        if let Some(d) = &self.destination_interface {
            put_lv16(buf, d);
        }
        if let Some(n) = &self.network_instance {
            put_lv16(buf, n);
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        let ipv4 = if f & 2 != 0 { Some(r.ipv4()?) } else { None };
        let ipv6 = if f & 1 != 0 { Some(r.ipv6()?) } else { None };
        let destination_interface = if f & 4 != 0 {
            Some(r.lv16()?.to_vec())
        } else {
            None
        };
        let network_instance = if f & 8 != 0 {
            Some(r.lv16()?.to_vec())
        } else {
            None
        };
        Ok(Self {
            ipv4,
            ipv6,
            destination_interface,
            network_instance,
        })
    }
}

impl Ie for RemoteGtpuPeer {
    const TYPE: u16 = types::REMOTE_GTP_U_PEER;
}
