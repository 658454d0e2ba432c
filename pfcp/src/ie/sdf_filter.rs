//! SDF Filter (§8.2.5, type 23).

use super::{put_lv16, put_u24, types, Ie, IeValue, Reader};
use crate::error::Result;

/// SDF Filter.
///
/// ```text
///  5   | Spare | BID | FL | SPI | TTC | FD |
///  6   | Spare                             |
///  m   Length of Flow Description (2), Flow Description   (FD)
///  p   ToS/Traffic Class (2: value, mask)                  (TTC)
///  q   Security Parameter Index (4)                        (SPI)
///  r   Flow Label (3)                                      (FL)
///  s   SDF Filter ID (4)                                   (BID)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SdfFilter {
    /// IPFilterRule text (RFC 6733 §4.3), e.g.
    /// `permit out ip from any to assigned`.
    pub flow_description: Option<Vec<u8>>,
    /// ToS / Traffic Class: value in the high octet, mask in the low one.
    pub tos_traffic_class: Option<u16>,
    /// IPsec Security Parameter Index.
    pub spi: Option<u32>,
    /// IPv6 flow label (20 bits).
    pub flow_label: Option<u32>,
    /// SDF Filter ID.
    pub filter_id: Option<u32>,
}

impl SdfFilter {
    /// A filter with only a flow description.
    pub fn flow(description: &str) -> Self {
        Self {
            flow_description: Some(description.as_bytes().to_vec()),
            ..Self::default()
        }
    }

    /// The flow description as text, lossily.
    pub fn flow_description_str(&self) -> Option<String> {
        self.flow_description
            .as_deref()
            .map(|d| String::from_utf8_lossy(d).into_owned())
    }
}

impl IeValue for SdfFilter {
    fn value_len(&self) -> usize {
        2 + self.flow_description.as_ref().map_or(0, |d| 2 + d.len())
            + self.tos_traffic_class.map_or(0, |_| 2)
            + self.spi.map_or(0, |_| 4)
            + self.flow_label.map_or(0, |_| 3)
            + self.filter_id.map_or(0, |_| 4)
    }

    fn encode_value(&self, buf: &mut Vec<u8>) {
        let flags = u8::from(self.flow_description.is_some())
            | u8::from(self.tos_traffic_class.is_some()) << 1
            | u8::from(self.spi.is_some()) << 2
            | u8::from(self.flow_label.is_some()) << 3
            | u8::from(self.filter_id.is_some()) << 4;
        buf.extend_from_slice(&[flags, 0]);
        if let Some(d) = &self.flow_description {
            put_lv16(buf, d);
        }
        if let Some(t) = self.tos_traffic_class {
            buf.extend_from_slice(&t.to_be_bytes());
        }
        if let Some(s) = self.spi {
            buf.extend_from_slice(&s.to_be_bytes());
        }
        if let Some(l) = self.flow_label {
            put_u24(buf, l & 0x000f_ffff);
        }
        if let Some(i) = self.filter_id {
            buf.extend_from_slice(&i.to_be_bytes());
        }
    }

    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let flags = r.u8()?;
        r.u8()?;
        let flow_description = if flags & 0x01 != 0 {
            Some(r.lv16()?.to_vec())
        } else {
            None
        };
        let tos_traffic_class = if flags & 0x02 != 0 {
            Some(r.u16()?)
        } else {
            None
        };
        let spi = if flags & 0x04 != 0 {
            Some(r.u32()?)
        } else {
            None
        };
        let flow_label = if flags & 0x08 != 0 {
            Some(r.u24()? & 0x000f_ffff)
        } else {
            None
        };
        let filter_id = if flags & 0x10 != 0 {
            Some(r.u32()?)
        } else {
            None
        };
        Ok(Self {
            flow_description,
            tos_traffic_class,
            spi,
            flow_label,
            filter_id,
        })
    }
}

impl Ie for SdfFilter {
    const TYPE: u16 = types::SDF_FILTER;
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn test_parse_emit() {
        let mut bytes = vec![0, 23, 0, 12, 0x11, 0, 0, 4];
        bytes.extend_from_slice(b"abcd");
        bytes.extend_from_slice(&[0, 0, 0, 9]);
        let f = SdfFilter::decode(&bytes).unwrap();
        assert_eq!(f.flow_description.as_deref(), Some(&b"abcd"[..]));
        assert_eq!(f.filter_id, Some(9));
        let mut out = Vec::new();
        f.encode(&mut out);
        assert_eq!(out, bytes);
        bytes[7] = 5;
        assert!(SdfFilter::decode(&bytes).is_err());
    }
}
