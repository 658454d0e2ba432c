//! F-SEID (§8.2.37, type 57).

use super::{types, Ie, IeValue, Reader};
use crate::error::{DecodeError, Result};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Fully qualified SEID: a SEID and the address(es) of its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FSeid {
    /// The SEID.
    pub seid: u64,
    /// Present when V4 is set.
    pub ipv4: Option<Ipv4Addr>,
    /// Present when V6 is set.
    pub ipv6: Option<Ipv6Addr>,
}

impl FSeid {
    /// An F-SEID with an IPv4 address.
    pub fn v4(seid: u64, addr: Ipv4Addr) -> Self {
        Self {
            seid,
            ipv4: Some(addr),
            ipv6: None,
        }
    }
}

impl IeValue for FSeid {
    fn value_len(&self) -> usize {
        9 + self.ipv4.map_or(0, |_| 4) + self.ipv6.map_or(0, |_| 16)
    }

    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(u8::from(self.ipv6.is_some()) | u8::from(self.ipv4.is_some()) << 1);
        buf.extend_from_slice(&self.seid.to_be_bytes());
        if let Some(a) = self.ipv4 {
            buf.extend_from_slice(&a.octets());
        }
        if let Some(a) = self.ipv6 {
            buf.extend_from_slice(&a.octets());
        }
    }

    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let flags = r.u8()?;
        let seid = r.u64()?;
        let ipv4 = if flags & 0x02 != 0 {
            Some(r.ipv4()?)
        } else {
            None
        };
        let ipv6 = if flags & 0x01 != 0 {
            Some(r.ipv6()?)
        } else {
            None
        };
        if ipv4.is_none() && ipv6.is_none() {
            // §8.2.37: at least one of V4 and V6 shall be set.
            return Err(DecodeError::invalid_value());
        }
        Ok(Self { seid, ipv4, ipv6 })
    }
}

impl Ie for FSeid {
    const TYPE: u16 = types::F_SEID;
}
