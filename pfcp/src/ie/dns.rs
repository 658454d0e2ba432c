//! Names: DNS label encoding (RFC 1035 §3.1 without the root label, as
//! TS 29.244 §8.2.38 and TS 23.003 §9.1 use it), Network Instance (§8.2.4,
//! type 22) and APN/DNN (§8.2.117, type 159).

use super::{types, Ie, IeValue};
use crate::error::Result;
use std::fmt;

/// Encodes a dotted name as length-prefixed labels, without the root label:
/// `"internet.mnc001"` → `\x08internet\x06mnc001`. Labels longer than 63
/// octets are truncated; empty labels are dropped.
pub fn encode_labels(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 1);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        let l = &label.as_bytes()[..label.len().min(63)];
        out.push(l.len() as u8);
        out.extend_from_slice(l);
    }
    out
}

/// Decodes length-prefixed labels into a dotted name, or `None` when the
/// octets are not a non-empty, well-formed label sequence of printable
/// ASCII. A trailing root label (zero octet) is accepted.
pub fn decode_labels(bytes: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    if rest.is_empty() {
        return None;
    }
    while let Some((&n, tail)) = rest.split_first() {
        let n = usize::from(n);
        if n == 0 {
            return (tail.is_empty() && !out.is_empty()).then_some(out);
        }
        if n > 63 || n > tail.len() {
            return None;
        }
        let (label, tail) = tail.split_at(n);
        if !label.iter().all(|c| c.is_ascii_graphic() && *c != b'.') {
            return None;
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.extend(label.iter().map(|&c| c as char));
        rest = tail;
    }
    Some(out)
}

/// Renders name octets that may be label-encoded (as TS 29.244 asks) or a
/// plain string (as some SMFs send): labels when they parse, text otherwise.
pub fn render_name(bytes: &[u8]) -> String {
    decode_labels(bytes).unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned())
}

macro_rules! name_ie {
    ($(#[$meta:meta])* $name:ident = $type:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub Vec<u8>);

        impl $name {
            /// Label-encodes a dotted name.
            pub fn from_dns_name(name: &str) -> Self {
                Self(encode_labels(name))
            }

            /// Carries `s` as it is (no label encoding).
            pub fn from_plain(s: &str) -> Self {
                Self(s.as_bytes().to_vec())
            }

            /// The name: dotted labels when the value is label-encoded,
            /// otherwise the octets as text.
            pub fn to_name(&self) -> String {
                render_name(&self.0)
            }

            /// Whether the value is a well-formed label sequence.
            pub fn is_label_encoded(&self) -> bool {
                decode_labels(&self.0).is_some()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.to_name())
            }
        }

        impl IeValue for $name {
            fn value_len(&self) -> usize {
                self.0.len()
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                buf.extend_from_slice(&self.0);
            }
            fn decode_value(value: &[u8]) -> Result<Self> {
                Ok(Self(value.to_vec()))
            }
        }

        impl Ie for $name {
            const TYPE: u16 = $type;
        }
    };
}

name_ie!(
    /// Network Instance: raw octets. TS 29.244 asks for label encoding
    /// (e.g. Open5GS), while some SMFs send a plain string (e.g. free5GC);
    /// both are kept as received.
    NetworkInstance = types::NETWORK_INSTANCE
);

name_ie!(
    /// APN/DNN, label-encoded per TS 23.003.
    ApnDnn = types::APN_DNN
);

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(encode_labels("internet"), b"\x08internet");
        assert_eq!(encode_labels("a.bc"), b"\x01a\x02bc");
        assert_eq!(decode_labels(b"\x01a\x02bc").as_deref(), Some("a.bc"));
        assert_eq!(decode_labels(b"\x01a\x02bc\x00").as_deref(), Some("a.bc"));
        assert_eq!(decode_labels(b"internet"), None);
        assert_eq!(decode_labels(b"\x05ab"), None);
        assert_eq!(
            NetworkInstance::from_plain("internet").to_name(),
            "internet"
        );
        assert_eq!(
            NetworkInstance::from_dns_name("internet").to_name(),
            "internet"
        );
    }
}
