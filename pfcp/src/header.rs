//! The PFCP message header (TS 29.244 §7.2.2).
//!
//! ```text
//!          8     7     6     5     4     3     2     1
//!  1   | Version=1       |Spare|Spare| FO  | MP  |  S  |
//!  2   | Message Type                                  |
//!  3-4 | Message Length (octets after the first 4)     |
//!  5-12| SEID (only when S = 1)                        |
//!  m   | Sequence Number (3 octets)                    |
//!  m+3 | Message Priority (when MP = 1) | Spare        |
//! ```
//!
//! Decoding checks the version before anything else, so that a message of
//! another version yields [`ErrorKind::UnsupportedVersion`] and the node can
//! answer with a Version Not Supported Response. A length field that points
//! beyond the datagram, or that is too short for the header it announces,
//! yields [`ErrorKind::InvalidLength`].

use crate::error::{DecodeError, ErrorKind, Result};

mod field {
    pub const FLAGS: usize = 0;
    pub const MSG_TYPE: usize = 1;
    pub const LENGTH: core::ops::Range<usize> = 2..4;
    pub const SEID: core::ops::Range<usize> = 4..12;
}

const FLAG_S: u8 = 0x01;
const FLAG_MP: u8 = 0x02;
const FLAG_FO: u8 = 0x04;

/// Header length without SEID.
pub const HEADER_LEN: usize = 8;
/// Header length with SEID.
pub const HEADER_LEN_WITH_SEID: usize = 16;

/// A decoded PFCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Header {
    /// FO: another message follows this one in the same datagram.
    pub follow_on: bool,
    /// Message type (§7.3).
    pub message_type: u8,
    /// Message length: octets after the first four.
    pub length: u16,
    /// SEID, present when the S flag is set (session messages).
    pub seid: Option<u64>,
    /// 24-bit sequence number.
    pub sequence: u32,
    /// Message priority 0..=15, present when the MP flag is set.
    pub priority: Option<u8>,
}

impl Header {
    /// Header length on the wire: 16 with SEID, 8 without.
    pub fn header_len(&self) -> usize {
        if self.seid.is_some() {
            HEADER_LEN_WITH_SEID
        } else {
            HEADER_LEN
        }
    }

    /// The whole message length on the wire: `length + 4`.
    pub fn message_len(&self) -> usize {
        usize::from(self.length) + 4
    }

    /// Decodes the header at the start of `buf`, checking that the message
    /// it announces fits in `buf`. Bytes after that message are not looked
    /// at (they may be a follow-on message).
    pub fn decode(buf: &[u8]) -> Result<Self> {
        let Some(&flags) = buf.get(field::FLAGS) else {
            return Err(DecodeError::invalid_length());
        };
        let version = flags >> 5;
        if version != crate::PFCP_VERSION {
            return Err(DecodeError::new(ErrorKind::UnsupportedVersion(version)));
        }
        if buf.len() < 4 {
            return Err(DecodeError::invalid_length());
        }
        let length = u16::from_be_bytes([buf[field::LENGTH.start], buf[field::LENGTH.start + 1]]);
        let has_seid = flags & FLAG_S != 0;
        let header_len = if has_seid {
            HEADER_LEN_WITH_SEID
        } else {
            HEADER_LEN
        };
        let message_len = usize::from(length) + 4;
        if message_len < header_len || message_len > buf.len() {
            return Err(DecodeError::invalid_length());
        }
        let (seid, rest) = if has_seid {
            let mut s = [0u8; 8];
            s.copy_from_slice(&buf[field::SEID]);
            (Some(u64::from_be_bytes(s)), &buf[field::SEID.end..])
        } else {
            (None, &buf[4..])
        };
        let sequence = u32::from_be_bytes([0, rest[0], rest[1], rest[2]]);
        let priority = (flags & FLAG_MP != 0).then_some(rest[3] >> 4);
        Ok(Self {
            follow_on: flags & FLAG_FO != 0,
            message_type: buf[field::MSG_TYPE],
            length,
            seid,
            sequence,
            priority,
        })
    }

    /// Appends the header as it stands (the caller sets `length`).
    pub fn encode(&self, buf: &mut Vec<u8>) {
        let mut flags = crate::PFCP_VERSION << 5;
        if self.follow_on {
            flags |= FLAG_FO;
        }
        if self.priority.is_some() {
            flags |= FLAG_MP;
        }
        if self.seid.is_some() {
            flags |= FLAG_S;
        }
        buf.push(flags);
        buf.push(self.message_type);
        buf.extend_from_slice(&self.length.to_be_bytes());
        if let Some(seid) = self.seid {
            buf.extend_from_slice(&seid.to_be_bytes());
        }
        buf.extend_from_slice(&(self.sequence & 0x00ff_ffff).to_be_bytes()[1..]);
        buf.push(self.priority.map_or(0, |p| (p & 0x0f) << 4));
    }
}

#[cfg(test)]
mod test {
    use super::*;

    // Session Deletion Request, SEID 0x1122334455667788, seq 0x0a0b0c, MP 5.
    static SESSION_HDR: [u8; 16] = [
        0x23, 54, 0x00, 0x0c, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x0a, 0x0b, 0x0c,
        0x50,
    ];
    // Heartbeat Request header, seq 1, no IEs.
    static NODE_HDR: [u8; 8] = [0x20, 1, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00];

    #[test]
    fn test_parse() {
        let h = Header::decode(&SESSION_HDR).unwrap();
        assert_eq!(h.message_type, 54);
        assert_eq!(h.seid, Some(0x1122_3344_5566_7788));
        assert_eq!(h.sequence, 0x0a0b0c);
        assert_eq!(h.priority, Some(5));
        assert!(!h.follow_on);
        assert_eq!(h.header_len(), 16);
        let h = Header::decode(&NODE_HDR).unwrap();
        assert_eq!((h.seid, h.sequence, h.priority), (None, 1, None));
    }

    #[test]
    fn test_emit() {
        for bytes in [&SESSION_HDR[..], &NODE_HDR[..]] {
            let mut out = Vec::new();
            Header::decode(bytes).unwrap().encode(&mut out);
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn test_impossible_len() {
        assert_eq!(
            Header::decode(&SESSION_HDR[..15]).unwrap_err().kind,
            ErrorKind::InvalidLength
        );
        let mut short = NODE_HDR;
        short[3] = 3;
        assert_eq!(
            Header::decode(&short).unwrap_err().kind,
            ErrorKind::InvalidLength
        );
        let mut s = SESSION_HDR;
        s[0] = 0x21; // S flag, length 12 ok
        s[3] = 8; // shorter than a SEID header
        assert!(Header::decode(&s).is_err());
        assert!(Header::decode(&[]).is_err());
        assert!(Header::decode(&[0x20, 1]).is_err());
    }

    #[test]
    fn test_version() {
        let mut v2 = NODE_HDR;
        v2[0] = 0x40;
        assert_eq!(
            Header::decode(&v2).unwrap_err().kind,
            ErrorKind::UnsupportedVersion(2)
        );
        assert!(Header::decode(&[0x40])
            .unwrap_err()
            .is_version_not_supported());
    }
}
