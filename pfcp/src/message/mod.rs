//! PFCP messages (§7.3, §7.4, §7.5).
//!
//! Each message is a struct of typed IEs (mandatory ones as `T`, decoded
//! with [`ErrorKind::MissingMandatory`] and the IE type when absent) plus
//! `unknown: Vec<RawIe>`; [`MessageBody`] gives each its type number and
//! `decode` / `encode` / `encoded_len`. [`Message`] decodes any message,
//! keeping types it does not know as [`Message::Unknown`].
//!
//! Encoding writes the known IEs in the order of the spec's tables, then
//! the unknown IEs in the order they arrived. A decoded message whose IEs
//! came in that order re-encodes to the same octets; otherwise it
//! re-encodes to a message that decodes to the same value.
//!
//! [`RawIe`]: crate::ie::RawIe

use crate::error::{DecodeError, EncodeError, ErrorKind, Result};
use crate::header::Header;
use crate::ie::IeValue;

pub mod association_release;
pub mod association_setup;
pub mod association_update;
pub mod heartbeat;
pub mod node_report;
pub mod pfd_management;
pub mod session_deletion;
pub mod session_establishment;
pub mod session_modification;
pub mod session_report;
pub mod session_set_deletion;
pub mod version_not_supported;

pub use association_release::*;
pub use association_setup::*;
pub use association_update::*;
pub use heartbeat::*;
pub use node_report::*;
pub use pfd_management::*;
pub use session_deletion::*;
pub use session_establishment::*;
pub use session_modification::*;
pub use session_report::*;
pub use session_set_deletion::*;
pub use version_not_supported::*;

/// A message body with its message type.
pub trait MessageBody: IeValue + Into<Message> {
    /// Message type (Table 7.3-1).
    const MESSAGE_TYPE: u8;
    /// Whether the header carries a SEID (session-related messages).
    const HAS_SEID: bool;

    /// Length of the whole message on the wire.
    fn encoded_len(&self) -> usize {
        header_len(Self::HAS_SEID) + self.value_len()
    }

    /// Encodes the whole message. `seid` is used for session messages (0
    /// when `None`, as when the peer's SEID is not known) and ignored for
    /// node messages.
    fn encode(
        &self,
        sequence: u32,
        seid: Option<u64>,
    ) -> std::result::Result<Vec<u8>, EncodeError> {
        let header = Header {
            message_type: Self::MESSAGE_TYPE,
            seid: Self::HAS_SEID.then(|| seid.unwrap_or(0)),
            sequence,
            ..Header::default()
        };
        encode_with_header(&header, self)
    }

    /// Decodes a whole message of this type.
    fn decode(buf: &[u8]) -> Result<(Header, Self)> {
        let header = Header::decode(buf)?;
        if header.message_type != Self::MESSAGE_TYPE {
            return Err(DecodeError::new(ErrorKind::UnexpectedMessageType(
                header.message_type,
            )));
        }
        let body = checked_body::<Self>(&header, buf)?;
        Ok((header, Self::decode_value(body)?))
    }
}

fn header_len(has_seid: bool) -> usize {
    if has_seid {
        crate::header::HEADER_LEN_WITH_SEID
    } else {
        crate::header::HEADER_LEN
    }
}

/// The body of the message `header` describes, after checking that the
/// datagram holds exactly that message (or more, when FO is set) and that
/// the S flag is right for the message type.
fn checked_body<'a, M: MessageBody>(header: &Header, buf: &'a [u8]) -> Result<&'a [u8]> {
    if header.seid.is_some() != M::HAS_SEID {
        return Err(DecodeError::invalid_value());
    }
    body_of(header, buf)
}

fn body_of<'a>(header: &Header, buf: &'a [u8]) -> Result<&'a [u8]> {
    if !header.follow_on && buf.len() != header.message_len() {
        return Err(DecodeError::invalid_length());
    }
    buf.get(header.header_len()..header.message_len())
        .ok_or(DecodeError::invalid_length())
}

/// Encodes `body` after `header`, setting the length field.
pub fn encode_with_header<B: IeValue>(
    header: &Header,
    body: &B,
) -> std::result::Result<Vec<u8>, EncodeError> {
    let total = header.header_len() + body.value_len();
    let length = u16::try_from(total - 4).map_err(|_| EncodeError::TooLong(total))?;
    let mut buf = Vec::with_capacity(total);
    Header { length, ..*header }.encode(&mut buf);
    body.encode_value(&mut buf);
    debug_assert_eq!(buf.len(), total);
    Ok(buf)
}

/// Message type numbers (Table 7.3-1).
pub mod types {
    /// Heartbeat Request.
    pub const HEARTBEAT_REQUEST: u8 = 1;
    /// Heartbeat Response.
    pub const HEARTBEAT_RESPONSE: u8 = 2;
    /// PFD Management Request.
    pub const PFD_MANAGEMENT_REQUEST: u8 = 3;
    /// PFD Management Response.
    pub const PFD_MANAGEMENT_RESPONSE: u8 = 4;
    /// Association Setup Request.
    pub const ASSOCIATION_SETUP_REQUEST: u8 = 5;
    /// Association Setup Response.
    pub const ASSOCIATION_SETUP_RESPONSE: u8 = 6;
    /// Association Update Request.
    pub const ASSOCIATION_UPDATE_REQUEST: u8 = 7;
    /// Association Update Response.
    pub const ASSOCIATION_UPDATE_RESPONSE: u8 = 8;
    /// Association Release Request.
    pub const ASSOCIATION_RELEASE_REQUEST: u8 = 9;
    /// Association Release Response.
    pub const ASSOCIATION_RELEASE_RESPONSE: u8 = 10;
    /// Version Not Supported Response.
    pub const VERSION_NOT_SUPPORTED_RESPONSE: u8 = 11;
    /// Node Report Request.
    pub const NODE_REPORT_REQUEST: u8 = 12;
    /// Node Report Response.
    pub const NODE_REPORT_RESPONSE: u8 = 13;
    /// Session Set Deletion Request.
    pub const SESSION_SET_DELETION_REQUEST: u8 = 14;
    /// Session Set Deletion Response.
    pub const SESSION_SET_DELETION_RESPONSE: u8 = 15;
    /// Session Establishment Request.
    pub const SESSION_ESTABLISHMENT_REQUEST: u8 = 50;
    /// Session Establishment Response.
    pub const SESSION_ESTABLISHMENT_RESPONSE: u8 = 51;
    /// Session Modification Request.
    pub const SESSION_MODIFICATION_REQUEST: u8 = 52;
    /// Session Modification Response.
    pub const SESSION_MODIFICATION_RESPONSE: u8 = 53;
    /// Session Deletion Request.
    pub const SESSION_DELETION_REQUEST: u8 = 54;
    /// Session Deletion Response.
    pub const SESSION_DELETION_RESPONSE: u8 = 55;
    /// Session Report Request.
    pub const SESSION_REPORT_REQUEST: u8 = 56;
    /// Session Report Response.
    pub const SESSION_REPORT_RESPONSE: u8 = 57;

    /// Whether a message type is a request (the node answers it) — the
    /// requests of Table 7.3-1.
    pub fn is_request(t: u8) -> bool {
        matches!(t, 1 | 3 | 5 | 7 | 9 | 12 | 14 | 50 | 52 | 54 | 56)
    }
}

macro_rules! messages {
    ($( $(#[$meta:meta])* $variant:ident = $code:ident, seid $seid:literal; )*) => {
        /// Any PFCP message.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[allow(clippy::large_enum_variant)]
        pub enum Message {
            $( $(#[$meta])* $variant($variant), )*
            /// A message type this crate does not know, kept as received.
            Unknown {
                /// Its header.
                header: Header,
                /// The octets after the header.
                body: Vec<u8>,
            },
        }

        $(
            impl MessageBody for $variant {
                const MESSAGE_TYPE: u8 = types::$code;
                const HAS_SEID: bool = $seid;
            }

            impl From<$variant> for Message {
                fn from(m: $variant) -> Self {
                    Self::$variant(m)
                }
            }
        )*

        impl Message {
            /// The message type.
            pub fn message_type(&self) -> u8 {
                match self {
                    $( Self::$variant(_) => types::$code, )*
                    Self::Unknown { header, .. } => header.message_type,
                }
            }

            /// Whether the header carries a SEID.
            pub fn has_seid(&self) -> bool {
                match self {
                    $( Self::$variant(_) => $seid, )*
                    Self::Unknown { header, .. } => header.seid.is_some(),
                }
            }

            fn body_len(&self) -> usize {
                match self {
                    $( Self::$variant(m) => m.value_len(), )*
                    Self::Unknown { body, .. } => body.len(),
                }
            }

            fn encode_body(&self, buf: &mut Vec<u8>) {
                match self {
                    $( Self::$variant(m) => m.encode_value(buf), )*
                    Self::Unknown { body, .. } => buf.extend_from_slice(body),
                }
            }

            /// Decodes the body of a message whose header is `header`.
            pub fn decode_body(header: &Header, body: &[u8]) -> Result<Self> {
                match header.message_type {
                    $(
                        types::$code => {
                            if header.seid.is_some() != $seid {
                                return Err(DecodeError::invalid_value());
                            }
                            Ok(Self::$variant($variant::decode_value(body)?))
                        }
                    )*
                    _ => Ok(Self::Unknown { header: *header, body: body.to_vec() }),
                }
            }
        }
    };
}

messages! {
    /// Heartbeat Request.
    HeartbeatRequest = HEARTBEAT_REQUEST, seid false;
    /// Heartbeat Response.
    HeartbeatResponse = HEARTBEAT_RESPONSE, seid false;
    /// PFD Management Request.
    PfdManagementRequest = PFD_MANAGEMENT_REQUEST, seid false;
    /// PFD Management Response.
    PfdManagementResponse = PFD_MANAGEMENT_RESPONSE, seid false;
    /// Association Setup Request.
    AssociationSetupRequest = ASSOCIATION_SETUP_REQUEST, seid false;
    /// Association Setup Response.
    AssociationSetupResponse = ASSOCIATION_SETUP_RESPONSE, seid false;
    /// Association Update Request.
    AssociationUpdateRequest = ASSOCIATION_UPDATE_REQUEST, seid false;
    /// Association Update Response.
    AssociationUpdateResponse = ASSOCIATION_UPDATE_RESPONSE, seid false;
    /// Association Release Request.
    AssociationReleaseRequest = ASSOCIATION_RELEASE_REQUEST, seid false;
    /// Association Release Response.
    AssociationReleaseResponse = ASSOCIATION_RELEASE_RESPONSE, seid false;
    /// Version Not Supported Response.
    VersionNotSupportedResponse = VERSION_NOT_SUPPORTED_RESPONSE, seid false;
    /// Node Report Request.
    NodeReportRequest = NODE_REPORT_REQUEST, seid false;
    /// Node Report Response.
    NodeReportResponse = NODE_REPORT_RESPONSE, seid false;
    /// Session Set Deletion Request.
    SessionSetDeletionRequest = SESSION_SET_DELETION_REQUEST, seid false;
    /// Session Set Deletion Response.
    SessionSetDeletionResponse = SESSION_SET_DELETION_RESPONSE, seid false;
    /// Session Establishment Request.
    SessionEstablishmentRequest = SESSION_ESTABLISHMENT_REQUEST, seid true;
    /// Session Establishment Response.
    SessionEstablishmentResponse = SESSION_ESTABLISHMENT_RESPONSE, seid true;
    /// Session Modification Request.
    SessionModificationRequest = SESSION_MODIFICATION_REQUEST, seid true;
    /// Session Modification Response.
    SessionModificationResponse = SESSION_MODIFICATION_RESPONSE, seid true;
    /// Session Deletion Request.
    SessionDeletionRequest = SESSION_DELETION_REQUEST, seid true;
    /// Session Deletion Response.
    SessionDeletionResponse = SESSION_DELETION_RESPONSE, seid true;
    /// Session Report Request.
    SessionReportRequest = SESSION_REPORT_REQUEST, seid true;
    /// Session Report Response.
    SessionReportResponse = SESSION_REPORT_RESPONSE, seid true;
}

impl Message {
    /// Decodes the message at the start of `buf`. Without FO the datagram
    /// must hold exactly that message; with FO, what follows is left for
    /// [`Message::decode_datagram`].
    pub fn decode(buf: &[u8]) -> Result<(Header, Message)> {
        let header = Header::decode(buf)?;
        let body = body_of(&header, buf)?;
        Ok((header, Self::decode_body(&header, body)?))
    }

    /// Decodes every message of a datagram (FO chains them). Iteration
    /// stops after the first error.
    pub fn decode_datagram(buf: &[u8]) -> Datagram<'_> {
        Datagram { buf }
    }

    /// Length of the whole message on the wire.
    pub fn encoded_len(&self) -> usize {
        header_len(self.has_seid()) + self.body_len()
    }

    /// Encodes the whole message with a computed length. Session messages
    /// carry `seid` (0 when `None`); node messages carry none.
    pub fn encode(
        &self,
        sequence: u32,
        seid: Option<u64>,
    ) -> std::result::Result<Vec<u8>, EncodeError> {
        let header = Header {
            message_type: self.message_type(),
            seid: if self.has_seid() {
                Some(seid.unwrap_or(0))
            } else {
                None
            },
            sequence,
            ..Header::default()
        };
        self.encode_with_header(&header)
    }

    /// Encodes the whole message after `header` as given (flags, SEID,
    /// priority), setting only the length.
    pub fn encode_with_header(&self, header: &Header) -> std::result::Result<Vec<u8>, EncodeError> {
        struct Body<'a>(&'a Message);
        impl IeValue for Body<'_> {
            fn value_len(&self) -> usize {
                self.0.body_len()
            }
            fn encode_value(&self, buf: &mut Vec<u8>) {
                self.0.encode_body(buf)
            }
            fn decode_value(_: &[u8]) -> Result<Self> {
                Err(DecodeError::invalid_value())
            }
        }
        encode_with_header(header, &Body(self))
    }
}

/// The messages of one datagram; see [`Message::decode_datagram`].
#[derive(Debug, Clone)]
pub struct Datagram<'a> {
    buf: &'a [u8],
}

impl Iterator for Datagram<'_> {
    type Item = Result<(Header, Message)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let buf = std::mem::take(&mut self.buf);
        let header = match Header::decode(buf) {
            Ok(h) => h,
            Err(e) => return Some(Err(e)),
        };
        let (this, rest) = buf.split_at(header.message_len());
        if header.follow_on {
            self.buf = rest;
        } else if !rest.is_empty() {
            return Some(Err(DecodeError::invalid_length()));
        }
        let body = &this[header.header_len()..];
        Some(Message::decode_body(&header, body).map(|m| (header, m)))
    }
}
