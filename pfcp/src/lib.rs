//! PFCP (TS 29.244) codec.
//!
//! Layers, bottom up:
//!
//! * [`header`]: the PFCP message header (§7.2.2).
//! * [`ie`]: information elements. Every IE is a TLV ([`ie::RawIe`] keeps any
//!   IE, vendor IEs included); typed IEs implement [`ie::IeValue`] (value
//!   codec) and [`ie::Ie`] (TLV codec with its type number). Grouped IEs are
//!   structs whose fields are their known children and whose `unknown` field
//!   keeps, in arrival order, every child this crate does not understand.
//! * [`message`]: one struct per message with typed fields, and the
//!   [`message::Message`] enum that decodes any datagram.
//!
//! * [`node`]: the sans-IO N4 node of the UP function (associations,
//!   heartbeats, retransmission, sessions answered after the dataplane
//!   applied them, reports), and [`server`] (feature `tokio`, default), the
//!   UDP driver that runs it.
//!
//! Decoding is total: any input gives `Ok` or a [`DecodeError`], never a
//! panic, and allocation is bounded by a small multiple of the input length
//! (grouped IEs nest only as deep as the static types allow, and IEs that are
//! not understood are copied once, never parsed further).
//!
//! Errors carry the IE in question; [`DecodeError::cause`] maps an error to
//! the PFCP Cause and Offending IE that a response must carry.
#![forbid(unsafe_code)]

#[macro_use]
mod macros;

pub mod counters;
pub mod error;
pub mod header;
pub mod ie;
pub mod message;
pub mod node;
#[cfg(feature = "tokio")]
pub mod server;

pub use error::{DecodeError, EncodeError, ErrorKind};
pub use header::Header;
pub use ie::cause::Cause;
pub use message::Message;

/// The UDP port PFCP listens on (TS 29.244 §4.2.2).
pub const PFCP_PORT: u16 = 8805;
/// The only PFCP version (header bits 8-6 of octet 1).
pub const PFCP_VERSION: u8 = 1;
