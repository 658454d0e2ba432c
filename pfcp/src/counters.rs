//! PFCP messages received and sent, by type and by Cause, for metrics.
//!
//! The driver counts every datagram it hands to the node and every one it
//! sends, reading only the header and the top-level Cause IE, so the
//! counts need nothing from the node's state.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::header::Header;
use crate::ie::IeIter;

/// Direction of a counted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Received.
    Rx,
    /// Sent.
    Tx,
}

/// A snapshot of the counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageCounts {
    /// (direction, message type) → messages.
    pub messages: BTreeMap<(Direction, u8), u64>,
    /// (direction, message type, cause) → messages that carry a Cause.
    pub causes: BTreeMap<(Direction, u8, u8), u64>,
    /// Datagrams whose header could not be read.
    pub unreadable: u64,
}

/// Shared counters, written by the driver and read by anyone.
#[derive(Debug, Default)]
pub struct MessageCounters {
    inner: Mutex<MessageCounts>,
}

/// IE type of Cause.
const CAUSE: u16 = 19;

impl MessageCounters {
    /// Counts one datagram.
    pub fn count(&self, dir: Direction, datagram: &[u8]) {
        let mut c = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Ok(h) = Header::decode(datagram) else {
            c.unreadable += 1;
            return;
        };
        *c.messages.entry((dir, h.message_type)).or_default() += 1;
        let body = datagram
            .get(h.header_len()..h.message_len().min(datagram.len()))
            .unwrap_or(&[]);
        for ie in IeIter::new(body).flatten() {
            if ie.ie_type == CAUSE {
                if let Some(&v) = ie.value.first() {
                    *c.causes.entry((dir, h.message_type, v)).or_default() += 1;
                }
                break;
            }
        }
    }

    /// The counts so far.
    pub fn snapshot(&self) -> MessageCounts {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The name of a message type, as metrics label it (TS 29.244 Table 7.3-1).
pub fn message_type_name(t: u8) -> &'static str {
    match t {
        1 => "heartbeat_request",
        2 => "heartbeat_response",
        3 => "pfd_management_request",
        4 => "pfd_management_response",
        5 => "association_setup_request",
        6 => "association_setup_response",
        7 => "association_update_request",
        8 => "association_update_response",
        9 => "association_release_request",
        10 => "association_release_response",
        11 => "version_not_supported_response",
        12 => "node_report_request",
        13 => "node_report_response",
        14 => "session_set_deletion_request",
        15 => "session_set_deletion_response",
        50 => "session_establishment_request",
        51 => "session_establishment_response",
        52 => "session_modification_request",
        53 => "session_modification_response",
        54 => "session_deletion_request",
        55 => "session_deletion_response",
        56 => "session_report_request",
        57 => "session_report_response",
        _ => "other",
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::message::{HeartbeatRequest, MessageBody};

    #[test]
    fn counts_types_and_causes() {
        let c = MessageCounters::default();
        let hb = HeartbeatRequest::default().encode(7, None).unwrap();
        c.count(Direction::Rx, &hb);
        c.count(Direction::Rx, &hb);
        c.count(Direction::Tx, &[0xff]);
        // An Association Setup Response with Cause 64.
        let mut resp = vec![0x20, 6, 0, 0, 0, 0, 1, 0];
        resp.extend_from_slice(&[0, 19, 0, 1, 64]);
        let len = (resp.len() - 4) as u16;
        resp[2..4].copy_from_slice(&len.to_be_bytes());
        c.count(Direction::Tx, &resp);
        let s = c.snapshot();
        assert_eq!(s.messages[&(Direction::Rx, 1)], 2);
        assert_eq!(s.messages[&(Direction::Tx, 6)], 1);
        assert_eq!(s.causes[&(Direction::Tx, 6, 64)], 1);
        assert_eq!(s.unreadable, 1);
        assert_eq!(message_type_name(51), "session_establishment_response");
    }
}
