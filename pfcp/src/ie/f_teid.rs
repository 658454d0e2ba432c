//! F-TEID (§8.2.3, type 21).

use super::{types, Ie, IeValue, Reader};
use crate::error::{DecodeError, Result};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Fully qualified TEID, or a request that the UP function choose one.
///
/// ```text
///  5 | Spare | CHID | CH | V6 | V4 |
///  6-9  TEID            (CH = 0)
///  m    IPv4 address    (CH = 0, V4 = 1)
///  p    IPv6 address    (CH = 0, V6 = 1)
///  q    CHOOSE ID       (CHID = 1)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FTeid {
    /// A TEID with its address(es).
    Explicit {
        /// The TEID.
        teid: u32,
        /// Present when V4 is set.
        ipv4: Option<Ipv4Addr>,
        /// Present when V6 is set.
        ipv6: Option<Ipv6Addr>,
    },
    /// CH = 1: the UP function allocates the TEID and address.
    Choose {
        /// V4: allocate an IPv4 address.
        v4: bool,
        /// V6: allocate an IPv6 address.
        v6: bool,
        /// CHOOSE ID (CHID = 1): PDRs with the same ID share one F-TEID.
        choose_id: Option<u8>,
    },
}

impl Default for FTeid {
    fn default() -> Self {
        Self::Explicit {
            teid: 0,
            ipv4: Some(Ipv4Addr::UNSPECIFIED),
            ipv6: None,
        }
    }
}

const V4: u8 = 0x01;
const V6: u8 = 0x02;
const CH: u8 = 0x04;
const CHID: u8 = 0x08;

impl FTeid {
    /// An explicit IPv4 F-TEID.
    pub fn v4(teid: u32, addr: Ipv4Addr) -> Self {
        Self::Explicit {
            teid,
            ipv4: Some(addr),
            ipv6: None,
        }
    }

    /// The TEID, when explicit.
    pub fn teid(&self) -> Option<u32> {
        match self {
            Self::Explicit { teid, .. } => Some(*teid),
            Self::Choose { .. } => None,
        }
    }
}

impl IeValue for FTeid {
    fn value_len(&self) -> usize {
        match self {
            Self::Explicit { ipv4, ipv6, .. } => 5 + ipv4.map_or(0, |_| 4) + ipv6.map_or(0, |_| 16),
            Self::Choose { choose_id, .. } => 1 + choose_id.map_or(0, |_| 1),
        }
    }

    fn encode_value(&self, buf: &mut Vec<u8>) {
        match self {
            Self::Explicit { teid, ipv4, ipv6 } => {
                let mut f = 0;
                if ipv4.is_some() {
                    f |= V4;
                }
                if ipv6.is_some() {
                    f |= V6;
                }
                buf.push(f);
                buf.extend_from_slice(&teid.to_be_bytes());
                if let Some(a) = ipv4 {
                    buf.extend_from_slice(&a.octets());
                }
                if let Some(a) = ipv6 {
                    buf.extend_from_slice(&a.octets());
                }
            }
            Self::Choose { v4, v6, choose_id } => {
                let mut f = CH;
                if *v4 {
                    f |= V4;
                }
                if *v6 {
                    f |= V6;
                }
                if choose_id.is_some() {
                    f |= CHID;
                }
                buf.push(f);
                if let Some(id) = choose_id {
                    buf.push(*id);
                }
            }
        }
    }

    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let f = r.u8()?;
        if f & CH != 0 {
            let choose_id = if f & CHID != 0 { Some(r.u8()?) } else { None };
            return Ok(Self::Choose {
                v4: f & V4 != 0,
                v6: f & V6 != 0,
                choose_id,
            });
        }
        if f & CHID != 0 {
            // CHID is only meaningful with CH (§8.2.3).
            return Err(DecodeError::invalid_value());
        }
        let teid = r.u32()?;
        let ipv4 = if f & V4 != 0 { Some(r.ipv4()?) } else { None };
        let ipv6 = if f & V6 != 0 { Some(r.ipv6()?) } else { None };
        if ipv4.is_none() && ipv6.is_none() {
            return Err(DecodeError::invalid_value());
        }
        Ok(Self::Explicit { teid, ipv4, ipv6 })
    }
}

impl Ie for FTeid {
    const TYPE: u16 = types::F_TEID;
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn test_parse_emit() {
        let cases: [(&[u8], FTeid); 3] = [
            (
                &[0, 21, 0, 9, 0x01, 0, 0, 0, 7, 10, 0, 0, 1],
                FTeid::v4(7, Ipv4Addr::new(10, 0, 0, 1)),
            ),
            (
                &[0, 21, 0, 2, 0x0f, 5],
                FTeid::Choose {
                    v4: true,
                    v6: true,
                    choose_id: Some(5),
                },
            ),
            (
                &[0, 21, 0, 1, 0x05],
                FTeid::Choose {
                    v4: true,
                    v6: false,
                    choose_id: None,
                },
            ),
        ];
        for (bytes, v) in cases {
            assert_eq!(FTeid::decode(bytes).unwrap(), v);
            let mut out = Vec::new();
            v.encode(&mut out);
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn test_impossible_len() {
        assert!(FTeid::decode(&[0, 21, 0, 5, 0x01, 0, 0, 0, 7]).is_err());
        assert!(FTeid::decode(&[0, 21, 0, 1, 0x0c]).is_err());
        assert!(FTeid::decode(&[0, 21, 0, 0]).is_err());
    }
}
