//! FQ-CSID (§8.2.43, type 65).

use super::{types, Ie, IeValue, Reader};
use crate::error::{DecodeError, Result};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Node-Address of an FQ-CSID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FqCsidNodeId {
    /// Type 0.
    Ipv4(Ipv4Addr),
    /// Type 1.
    Ipv6(Ipv6Addr),
    /// Type 2: MCC (×1000) + MNC in the top 20 bits, an operator-assigned
    /// 12-bit value in the low bits, as one 32-bit value.
    MccMnc(u32),
}

impl Default for FqCsidNodeId {
    fn default() -> Self {
        Self::Ipv4(Ipv4Addr::UNSPECIFIED)
    }
}

/// Fully qualified PDN connection set identifier: a node address and up to
/// 15 CSIDs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FqCsid {
    /// The node that assigned the CSIDs.
    pub node_id: FqCsidNodeId,
    /// The CSIDs (at most 15 are encoded).
    pub csids: Vec<u16>,
}

impl IeValue for FqCsid {
    fn value_len(&self) -> usize {
        1 + match self.node_id {
            FqCsidNodeId::Ipv6(_) => 16,
            _ => 4,
        } + 2 * self.csids.len().min(15)
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        let n = self.csids.len().min(15) as u8;
        match self.node_id {
            FqCsidNodeId::Ipv4(a) => {
                buf.push(n);
                buf.extend_from_slice(&a.octets());
            }
            FqCsidNodeId::Ipv6(a) => {
                buf.push(0x10 | n);
                buf.extend_from_slice(&a.octets());
            }
            FqCsidNodeId::MccMnc(v) => {
                buf.push(0x20 | n);
                buf.extend_from_slice(&v.to_be_bytes());
            }
        }
        for c in self.csids.iter().take(15) {
            buf.extend_from_slice(&c.to_be_bytes());
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        let node_id = match f >> 4 {
            0 => FqCsidNodeId::Ipv4(r.ipv4()?),
            1 => FqCsidNodeId::Ipv6(r.ipv6()?),
            2 => FqCsidNodeId::MccMnc(r.u32()?),
            _ => return Err(DecodeError::invalid_value()),
        };
        let csids = (0..f & 0x0f).map(|_| r.u16()).collect::<Result<_>>()?;
        Ok(Self { node_id, csids })
    }
}

impl Ie for FqCsid {
    const TYPE: u16 = types::FQ_CSID;
}
