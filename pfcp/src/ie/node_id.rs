//! Node ID (§8.2.38, type 60).

use super::dns::{decode_labels, encode_labels};
use super::{types, Ie, IeValue, Reader};
use crate::error::{DecodeError, Result};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Node ID: an IPv4 address, an IPv6 address or an FQDN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeId {
    /// Type 0.
    Ipv4(Ipv4Addr),
    /// Type 1.
    Ipv6(Ipv6Addr),
    /// Type 2: an FQDN, label-encoded on the wire; kept as the dotted name.
    Fqdn(String),
}

impl Default for NodeId {
    fn default() -> Self {
        Self::Ipv4(Ipv4Addr::UNSPECIFIED)
    }
}

impl IeValue for NodeId {
    fn value_len(&self) -> usize {
        1 + match self {
            Self::Ipv4(_) => 4,
            Self::Ipv6(_) => 16,
            Self::Fqdn(n) => encode_labels(n).len(),
        }
    }

    fn encode_value(&self, buf: &mut Vec<u8>) {
        match self {
            Self::Ipv4(a) => {
                buf.push(0);
                buf.extend_from_slice(&a.octets());
            }
            Self::Ipv6(a) => {
                buf.push(1);
                buf.extend_from_slice(&a.octets());
            }
            Self::Fqdn(n) => {
                buf.push(2);
                buf.extend_from_slice(&encode_labels(n));
            }
        }
    }

    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        match r.u8()? & 0x0f {
            0 => Ok(Self::Ipv4(r.ipv4()?)),
            1 => Ok(Self::Ipv6(r.ipv6()?)),
            2 => decode_labels(r.rest())
                .map(Self::Fqdn)
                .ok_or(DecodeError::invalid_value()),
            _ => Err(DecodeError::invalid_value()),
        }
    }
}

impl Ie for NodeId {
    const TYPE: u16 = types::NODE_ID;
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn test_parse_emit() {
        let cases: [(&[u8], NodeId); 2] = [
            (
                &[0, 60, 0, 5, 0, 10, 0, 0, 1],
                NodeId::Ipv4(Ipv4Addr::new(10, 0, 0, 1)),
            ),
            (
                b"\x00\x3c\x00\x0a\x02\x03upf\x04test",
                NodeId::Fqdn("upf.test".into()),
            ),
        ];
        for (bytes, id) in cases {
            assert_eq!(NodeId::decode(bytes).unwrap(), id);
            let mut out = Vec::new();
            id.encode(&mut out);
            assert_eq!(out, bytes);
        }
        assert!(NodeId::decode(&[0, 60, 0, 3, 0, 10, 0]).is_err());
        assert!(NodeId::decode(&[0, 60, 0, 1, 7]).is_err());
    }
}
