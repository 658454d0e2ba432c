//! Information elements (TS 29.244 §8).
//!
//! Every IE is a TLV: 2-octet type, 2-octet length (of what follows), and
//! for vendor IEs (type bit 0x8000) a 2-octet Enterprise ID that counts in
//! the length. [`IeIter`] walks a sequence of IEs without copying, and
//! [`RawIe`] owns any IE, so IEs this crate does not understand survive a
//! decode/encode cycle unchanged.
//!
//! Typed IEs implement [`IeValue`] (the value part) and, when they have one
//! type number, [`Ie`] (the whole TLV: `encoded_len`, `encode`, `decode`).
//! A few value layouts are carried under several type numbers (Usage Report
//! 78/79/80, Update BAR 12/86); those implement only [`IeValue`] and use
//! [`encode_ie`] / [`decode_ie`] with the type number of the context.
//!
//! Grouped IEs are structs of their known children (`T`, `Option<T>` or
//! `Vec<T>`) plus `unknown: Vec<RawIe>`; see [`grouped`]. A child IE this
//! crate does not know is never an error.

use crate::error::{DecodeError, Result};
use std::net::{Ipv4Addr, Ipv6Addr};

pub mod types;

pub mod address;
pub mod cause;
pub mod dns;
pub mod f_seid;
pub mod f_teid;
pub mod features;
pub mod flags;
pub mod fq_csid;
pub mod grouped;
pub mod ids;
pub mod interface;
pub mod node_id;
pub mod outer_header;
pub mod qos;
pub mod report;
pub mod sdf_filter;
pub mod strings;
pub mod subscriber;
pub mod time;
pub mod timer;
pub mod ue_ip_address;
pub mod volume;

pub use address::*;
pub use cause::Cause;
pub use dns::{ApnDnn, NetworkInstance};
pub use f_seid::FSeid;
pub use f_teid::FTeid;
pub use features::{CpFunctionFeatures, UpFunctionFeatures};
pub use flags::*;
pub use fq_csid::{FqCsid, FqCsidNodeId};
pub use grouped::*;
pub use ids::*;
pub use interface::*;
pub use node_id::NodeId;
pub use outer_header::{OuterHeaderCreation, OuterHeaderRemoval};
pub use qos::*;
pub use report::*;
pub use sdf_filter::SdfFilter;
pub use strings::*;
pub use subscriber::*;
pub use time::*;
pub use timer::*;
pub use ue_ip_address::UeIpAddress;
pub use volume::*;

/// The value part of an IE: what follows the type and length octets.
pub trait IeValue: Sized {
    /// Length of the encoded value, in octets.
    fn value_len(&self) -> usize;
    /// Appends the encoded value.
    fn encode_value(&self, buf: &mut Vec<u8>);
    /// Decodes a value. Errors come back without an IE type; the caller
    /// that knows the type attributes them (see [`DecodeError::within`]).
    fn decode_value(value: &[u8]) -> Result<Self>;
}

/// A typed IE with a single type number.
pub trait Ie: IeValue {
    /// The IE type (TS 29.244 Table 8.1.2-1).
    const TYPE: u16;

    /// Length of the whole TLV.
    fn encoded_len(&self) -> usize {
        4 + self.value_len()
    }

    /// Appends the whole TLV.
    fn encode(&self, buf: &mut Vec<u8>) {
        encode_ie(Self::TYPE, self, buf)
    }

    /// Decodes exactly one TLV of this type.
    fn decode(bytes: &[u8]) -> Result<Self> {
        decode_ie(Self::TYPE, bytes)
    }
}

/// Appends `value` as an IE of type `ie_type`.
///
/// A value longer than 65535 octets cannot be represented; its length field
/// is then wrong, and [`crate::Message::encode`] rejects the message.
pub fn encode_ie<T: IeValue>(ie_type: u16, value: &T, buf: &mut Vec<u8>) {
    buf.extend_from_slice(&ie_type.to_be_bytes());
    let len_at = buf.len();
    buf.extend_from_slice(&[0, 0]);
    value.encode_value(buf);
    let len = buf.len() - len_at - 2;
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    buf[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
}

/// Decodes exactly one TLV of type `ie_type` from `bytes`.
pub fn decode_ie<T: IeValue>(ie_type: u16, bytes: &[u8]) -> Result<T> {
    let mut it = IeIter::new(bytes);
    let ie = match it.next() {
        Some(ie) => ie?,
        None => return Err(DecodeError::missing(ie_type)),
    };
    if ie.ie_type != ie_type {
        return Err(DecodeError::missing(ie_type));
    }
    if ie.raw.len() != bytes.len() {
        return Err(DecodeError::invalid_length().within(ie_type));
    }
    decode_child(&ie)
}

/// Decodes the value of `ie` as a `T`, attributing errors to `ie`.
pub fn decode_child<T: IeValue>(ie: &IeRef<'_>) -> Result<T> {
    T::decode_value(ie.value).map_err(|e| e.within(ie.ie_type))
}

/// A borrowed IE inside a message or grouped IE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IeRef<'a> {
    /// IE type, with bit 0x8000 for vendor IEs.
    pub ie_type: u16,
    /// Enterprise ID of a vendor IE.
    pub enterprise_id: Option<u16>,
    /// The value (after the Enterprise ID for vendor IEs).
    pub value: &'a [u8],
    /// The whole TLV.
    pub raw: &'a [u8],
}

impl IeRef<'_> {
    /// An owned copy.
    pub fn to_owned(&self) -> RawIe {
        RawIe {
            ie_type: self.ie_type,
            enterprise_id: self.enterprise_id,
            value: self.value.to_vec(),
        }
    }
}

/// Any IE, owned: the form in which unknown and vendor IEs are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RawIe {
    /// IE type, with bit 0x8000 for vendor IEs.
    pub ie_type: u16,
    /// Enterprise ID; present exactly when `ie_type & 0x8000 != 0`.
    pub enterprise_id: Option<u16>,
    /// The value (after the Enterprise ID for vendor IEs).
    pub value: Vec<u8>,
}

impl RawIe {
    /// A standard IE.
    pub fn new(ie_type: u16, value: Vec<u8>) -> Self {
        Self {
            ie_type,
            enterprise_id: None,
            value,
        }
    }

    /// A vendor IE; `ie_type` gets bit 0x8000.
    pub fn vendor(ie_type: u16, enterprise_id: u16, value: Vec<u8>) -> Self {
        Self {
            ie_type: ie_type | 0x8000,
            enterprise_id: Some(enterprise_id),
            value,
        }
    }

    /// Whether this is a vendor-specific IE.
    pub fn is_vendor(&self) -> bool {
        self.ie_type & 0x8000 != 0
    }

    /// Length of the whole TLV.
    pub fn encoded_len(&self) -> usize {
        4 + self.enterprise_id.map_or(0, |_| 2) + self.value.len()
    }

    /// Appends the whole TLV.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.ie_type.to_be_bytes());
        let len = self.encoded_len() - 4;
        buf.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        if let Some(e) = self.enterprise_id {
            buf.extend_from_slice(&e.to_be_bytes());
        }
        buf.extend_from_slice(&self.value);
    }

    /// Decodes exactly one TLV.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut it = IeIter::new(bytes);
        match it.next() {
            Some(Ok(ie)) if ie.raw.len() == bytes.len() => Ok(ie.to_owned()),
            Some(Ok(ie)) => Err(DecodeError::invalid_length().within(ie.ie_type)),
            Some(Err(e)) => Err(e),
            None => Err(DecodeError::invalid_length()),
        }
    }

    /// Decodes the value as a typed IE.
    pub fn parse<T: Ie>(&self) -> Result<T> {
        if self.ie_type != T::TYPE {
            return Err(DecodeError::missing(T::TYPE));
        }
        T::decode_value(&self.value).map_err(|e| e.within(self.ie_type))
    }
}

/// Iterates over the IEs in `buf`. After an error it yields nothing more.
#[derive(Debug, Clone)]
pub struct IeIter<'a> {
    buf: &'a [u8],
}

impl<'a> IeIter<'a> {
    /// Iterates over the IEs in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }
}

impl<'a> Iterator for IeIter<'a> {
    type Item = Result<IeRef<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let buf = self.buf;
        if buf.len() < 4 {
            self.buf = &[];
            let t = (buf.len() >= 2).then(|| u16::from_be_bytes([buf[0], buf[1]]));
            return Some(Err(DecodeError {
                ie_type: t,
                grouped_in: None,
                kind: crate::ErrorKind::InvalidLength,
            }));
        }
        let ie_type = u16::from_be_bytes([buf[0], buf[1]]);
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        let Some(raw) = buf.get(..4 + len) else {
            self.buf = &[];
            return Some(Err(DecodeError::invalid_length().within(ie_type)));
        };
        let (enterprise_id, value) = if ie_type & 0x8000 != 0 {
            if len < 2 {
                self.buf = &[];
                return Some(Err(DecodeError::invalid_length().within(ie_type)));
            }
            (Some(u16::from_be_bytes([raw[4], raw[5]])), &raw[6..])
        } else {
            (None, &raw[4..])
        };
        self.buf = &buf[4 + len..];
        Some(Ok(IeRef {
            ie_type,
            enterprise_id,
            value,
            raw,
        }))
    }
}

/// A cursor over an IE value. Every read checks the remaining length.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(DecodeError::invalid_length());
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u24(&mut self) -> Result<u32> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u40(&mut self) -> Result<u64> {
        let [a, b, c, d, e] = self.array()?;
        Ok(u64::from_be_bytes([0, 0, 0, a, b, c, d, e]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn ipv4(&mut self) -> Result<Ipv4Addr> {
        Ok(Ipv4Addr::from(self.array::<4>()?))
    }

    pub(crate) fn ipv6(&mut self) -> Result<Ipv6Addr> {
        Ok(Ipv6Addr::from(self.array::<16>()?))
    }

    /// An octet string preceded by a 1-octet length.
    pub(crate) fn lv8(&mut self) -> Result<&'a [u8]> {
        let n = self.u8()?;
        self.bytes(usize::from(n))
    }

    /// An octet string preceded by a 2-octet length.
    pub(crate) fn lv16(&mut self) -> Result<&'a [u8]> {
        let n = self.u16()?;
        self.bytes(usize::from(n))
    }
}

pub(crate) fn put_u24(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_be_bytes()[1..]);
}

pub(crate) fn put_u40(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_be_bytes()[3..]);
}

/// Appends `data` with a 1-octet length (truncated to 255 octets).
pub(crate) fn put_lv8(buf: &mut Vec<u8>, data: &[u8]) {
    let data = &data[..data.len().min(255)];
    buf.push(data.len() as u8);
    buf.extend_from_slice(data);
}

/// Appends `data` with a 2-octet length (truncated to 65535 octets).
pub(crate) fn put_lv16(buf: &mut Vec<u8>, data: &[u8]) {
    let data = &data[..data.len().min(65535)];
    buf.extend_from_slice(&(data.len() as u16).to_be_bytes());
    buf.extend_from_slice(data);
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn raw_and_vendor_ies() {
        // Cause 1, then a vendor IE 0x8001 from enterprise 18681 with 2 octets.
        let bytes = [0, 19, 0, 1, 1, 0x80, 0x01, 0, 4, 0x48, 0xf9, 0xaa, 0xbb];
        let ies: Vec<_> = IeIter::new(&bytes).collect::<Result<_>>().unwrap();
        assert_eq!(ies.len(), 2);
        assert_eq!(ies[0].ie_type, 19);
        let v = ies[1].to_owned();
        assert_eq!(v, RawIe::vendor(1, 18681, vec![0xaa, 0xbb]));
        let mut out = Vec::new();
        for ie in &ies {
            ie.to_owned().encode(&mut out);
        }
        assert_eq!(out, bytes);
    }

    #[test]
    fn truncated_ies() {
        let e = IeIter::new(&[0, 19, 0, 2, 1]).next().unwrap().unwrap_err();
        assert_eq!(e.ie_type, Some(19));
        assert_eq!(e.kind, crate::ErrorKind::InvalidLength);
        assert!(IeIter::new(&[0, 19, 0]).next().unwrap().is_err());
        assert!(IeIter::new(&[0x80, 1, 0, 1, 0]).next().unwrap().is_err());
    }
}
