//! Any datagram: decoding never panics, and whatever decodes re-encodes to
//! octets that decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pfcp::ie::{IeIter, IeValue};
use pfcp::message::{SessionEstablishmentRequest, SessionModificationRequest};
use pfcp::{Header, Message};

fuzz_target!(|data: &[u8]| {
    if let Ok((header, msg)) = Message::decode(data) {
        let again = msg.encode_with_header(&header).expect("re-encode");
        let (h2, m2) = Message::decode(&again).expect("decode re-encoded");
        assert_eq!(
            Header { length: 0, ..h2 },
            Header {
                length: 0,
                ..header
            }
        );
        assert_eq!(m2, msg);
    }
    for item in Message::decode_datagram(data) {
        if let Err(e) = item {
            let _ = e.cause();
        }
    }
    // The big message bodies straight from the octets, and the TLV walk.
    let _ = SessionEstablishmentRequest::decode_value(data);
    let _ = SessionModificationRequest::decode_value(data);
    for ie in IeIter::new(data) {
        let _ = ie;
    }
});
