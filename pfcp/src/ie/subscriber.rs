//! Session context IEs: PDN Type (§8.2.79), User ID (§8.2.101), S-NSSAI
//! (§8.2.176).

use super::{put_lv8, types, Ie, IeValue, Reader};
use crate::error::Result;

u8_enum! {
    /// PDN Type (3 bits).
    pub enum PdnType {
        /// IPv4.
        Ipv4 = 1,
        /// IPv6.
        Ipv6 = 2,
        /// IPv4v6.
        Ipv4v6 = 3,
        /// Non-IP.
        NonIp = 4,
        /// Ethernet.
        Ethernet = 5,
    }
}

impl IeValue for PdnType {
    fn value_len(&self) -> usize {
        1
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(u8::from(*self) & 0x07);
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        Ok(Self::from(Reader::new(value).u8()? & 0x07))
    }
}

impl Ie for PdnType {
    const TYPE: u16 = types::PDN_TYPE;
}

/// User ID: identities of the subscriber, each as received (IMSI, IMEI and
/// MSISDN are TBCD-encoded; see [`tbcd_digits`]).
///
/// Flags IMSIF, IMEIF, MSISDNF, NAIF, SUPIF, GPSIF, PEIF (bits 1-7), then
/// for each present identity a 1-octet length and the octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct UserId {
    /// IMSI (TBCD).
    pub imsi: Option<Vec<u8>>,
    /// IMEI (TBCD).
    pub imei: Option<Vec<u8>>,
    /// MSISDN (TBCD).
    pub msisdn: Option<Vec<u8>>,
    /// NAI.
    pub nai: Option<Vec<u8>>,
    /// SUPI.
    pub supi: Option<Vec<u8>>,
    /// GPSI.
    pub gpsi: Option<Vec<u8>>,
    /// PEI.
    pub pei: Option<Vec<u8>>,
}

impl UserId {
    fn fields(&self) -> [&Option<Vec<u8>>; 7] {
        [
            &self.imsi,
            &self.imei,
            &self.msisdn,
            &self.nai,
            &self.supi,
            &self.gpsi,
            &self.pei,
        ]
    }
}

impl IeValue for UserId {
    fn value_len(&self) -> usize {
        1 + self
            .fields()
            .iter()
            .filter_map(|f| f.as_ref())
            .map(|v| 1 + v.len().min(255))
            .sum::<usize>()
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        let mut flags = 0u8;
        for (i, f) in self.fields().iter().enumerate() {
            if f.is_some() {
                flags |= 1 << i;
            }
        }
        buf.push(flags);
        for v in self.fields().into_iter().flatten() {
            put_lv8(buf, v);
        }
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let flags = r.u8()?;
        let mut out: [Option<Vec<u8>>; 7] = Default::default();
        for (i, slot) in out.iter_mut().enumerate() {
            if flags & (1 << i) != 0 {
                *slot = Some(r.lv8()?.to_vec());
            }
        }
        let [imsi, imei, msisdn, nai, supi, gpsi, pei] = out;
        Ok(Self {
            imsi,
            imei,
            msisdn,
            nai,
            supi,
            gpsi,
            pei,
        })
    }
}

impl Ie for UserId {
    const TYPE: u16 = types::USER_ID;
}

/// Decodes TBCD digits (TS 29.274 §8.3: low nibble first, 0xF filler).
pub fn tbcd_digits(octets: &[u8]) -> String {
    let mut s = String::with_capacity(octets.len() * 2);
    for &o in octets {
        for n in [o & 0x0f, o >> 4] {
            if n <= 9 {
                s.push(char::from(b'0' + n));
            }
        }
    }
    s
}

/// Encodes decimal digits as TBCD (non-digits are skipped).
pub fn tbcd_encode(digits: &str) -> Vec<u8> {
    let d: Vec<u8> = digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|c| c - b'0')
        .collect();
    d.chunks(2)
        .map(|c| c[0] | c.get(1).copied().unwrap_or(0x0f) << 4)
        .collect()
}

/// S-NSSAI: slice/service type and slice differentiator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Snssai {
    /// SST.
    pub sst: u8,
    /// SD, 24 bits; 0xFFFFFF means "no SD".
    pub sd: u32,
}

impl Default for Snssai {
    fn default() -> Self {
        Self {
            sst: 1,
            sd: Self::NO_SD,
        }
    }
}

impl Snssai {
    /// The SD value meaning "no SD".
    pub const NO_SD: u32 = 0x00ff_ffff;
}

impl IeValue for Snssai {
    fn value_len(&self) -> usize {
        4
    }
    fn encode_value(&self, buf: &mut Vec<u8>) {
        buf.push(self.sst);
        buf.extend_from_slice(&(self.sd & 0x00ff_ffff).to_be_bytes()[1..]);
    }
    fn decode_value(value: &[u8]) -> Result<Self> {
        let mut r = Reader::new(value);
        let sst = r.u8()?;
        let sd = if r.remaining() == 0 {
            Self::NO_SD
        } else {
            r.u24()?
        };
        Ok(Self { sst, sd })
    }
}

impl Ie for Snssai {
    const TYPE: u16 = types::S_NSSAI;
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn tbcd() {
        assert_eq!(
            tbcd_encode("001010000000001"),
            [0x00, 0x01, 0x01, 0, 0, 0, 0, 0xf1]
        );
        assert_eq!(
            tbcd_digits(&tbcd_encode("001010000000001")),
            "001010000000001"
        );
    }
}
