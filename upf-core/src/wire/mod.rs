//! Packet views: zero-copy accessors over byte buffers for every header the
//! user plane touches (Ethernet/802.1Q, ARP, IPv4, IPv6 with extension
//! headers, UDP, ICMPv4, ICMPv6/NDP, GTP-U with its extension-header chain,
//! the PDU Session Container and the GTP-U information elements).
//!
//! Each header has two layers:
//!
//! * a **view** `XxxPacket<T: AsRef<[u8]>>` that wraps a buffer and reads or
//!   writes fields in place. Getters need `T: AsRef<[u8]>`, setters
//!   `T: AsMut<[u8]>`, so the same view works on a `&[u8]`, a `Vec<u8>` or the
//!   data of an mbuf;
//! * a **representation** `XxxRepr`, a plain value that is parsed from a view
//!   (`XxxRepr::parse`) and written back into one (`XxxRepr::emit`), with
//!   `buffer_len()`/`header_len()` telling how many bytes `emit` needs.
//!
//! # Panic contract
//!
//! * `XxxPacket::new_unchecked` never panics, but accessors on an unchecked
//!   view may panic when the buffer is too short.
//! * `XxxPacket::new_checked` (= `new_unchecked` + `check_len`) validates every
//!   length the header carries (header-length fields, total/payload lengths,
//!   the GTP-U extension-header chain) against the buffer. **After
//!   `check_len()` returned `Ok`, no getter and no setter panics**, whatever
//!   the bytes are. Untrusted input must always go through `new_checked`.
//! * `XxxRepr::parse` never panics on a checked view; it returns
//!   [`Error::Malformed`] or [`Error::Unsupported`] for content it rejects.
//! * `XxxRepr::emit` writes into a buffer the caller sized with
//!   `buffer_len()`/`header_len()`; it panics only when the caller hands it a
//!   shorter buffer (a programming error, never a property of received
//!   bytes). Functions that write into a plain `&mut [u8]` return
//!   [`Error::Truncated`] instead.
//!
//! Nothing in this module allocates: variable parts are exposed as borrowed
//! slices, iterators over borrowed slices, fixed arrays or `Option`s.

use core::fmt;

macro_rules! enum_with_unknown {
    (
        $( #[$enum_attr:meta] )*
        pub enum $name:ident($ty:ty) {
            $(
                $( #[$variant_attr:meta] )*
                $variant:ident = $value:literal
            ),+ $(,)?
        }
    ) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $( #[$enum_attr] )*
        pub enum $name {
            $(
                $( #[$variant_attr] )*
                $variant,
            )+
            /// A value this code does not name. Only values that match no
            /// named variant should be put here: `Unknown` of a named value
            /// converts to the same number but does not compare equal.
            Unknown($ty),
        }

        impl ::core::convert::From<$ty> for $name {
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}

pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod gtpu;
pub mod gtpu_ie;
pub mod icmp;
pub mod ip;
pub mod ipv4;
pub mod ipv6;
pub mod psc;
pub mod udp;

pub use self::arp::{ArpHardware, ArpOperation, ArpPacket, ArpRepr};
pub use self::ethernet::{
    l2_header, l2_header_len, EtherType, EthernetAddress, EthernetFrame, EthernetRepr, L2Header,
    VlanTag,
};
pub use self::gtpu::{
    comprehension, comprehension_required, Comprehension, ExtHeaderType, ExtHeaders, GtpuPacket,
    GtpuRepr, MessageType, GTPU_PORT,
};
pub use self::gtpu_ie::{
    emit_echo_request, emit_echo_response, emit_end_marker, emit_error_indication,
    ErrorIndicationRepr, GtpuIe, IeIter, IeType,
};
pub use self::icmp::{
    Icmpv4Message, Icmpv4Packet, Icmpv4Repr, Icmpv6Message, Icmpv6Packet, Icmpv6Repr, NdpOptionType,
};
pub use self::ip::IpProtocol;
pub use self::ipv4::{Ipv4Packet, Ipv4Repr};
pub use self::ipv6::{upper_layer, upper_layer_info, Ipv6Packet, Ipv6Repr, UpperLayer};
pub use self::psc::{DlPduSessionInfo, PduSessionInfo, UlPduSessionInfo, UlTimestamps};
pub use self::udp::{UdpPacket, UdpRepr};

/// Why a buffer could not be viewed, parsed or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer is shorter than a length the packet itself claims (or than
    /// the fixed header), or too short to write into.
    Truncated,
    /// A field holds a value the specification forbids, or lengths contradict
    /// each other.
    Malformed,
    /// Well-formed, but a version, type or feature this code does not handle.
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated packet",
            Error::Malformed => "malformed packet",
            Error::Unsupported => "unsupported packet",
        })
    }
}

impl std::error::Error for Error {}

/// The result of a packet-view operation.
pub type Result<T> = core::result::Result<T, Error>;

/// A fixed-position field: a byte range inside a header.
type Field = core::ops::Range<usize>;
/// The variable part that starts at a fixed offset.
type Rest = core::ops::RangeFrom<usize>;

#[inline]
fn read_u16(data: &[u8]) -> u16 {
    u16::from_be_bytes([data[0], data[1]])
}

#[inline]
fn read_u32(data: &[u8]) -> u32 {
    u32::from_be_bytes([data[0], data[1], data[2], data[3]])
}

#[inline]
fn write_u16(data: &mut [u8], value: u16) {
    data[..2].copy_from_slice(&value.to_be_bytes());
}

#[inline]
fn write_u32(data: &mut [u8], value: u32) {
    data[..4].copy_from_slice(&value.to_be_bytes());
}

#[inline]
fn ipv4_from(data: &[u8]) -> core::net::Ipv4Addr {
    core::net::Ipv4Addr::new(data[0], data[1], data[2], data[3])
}

#[inline]
fn ipv6_from(data: &[u8]) -> core::net::Ipv6Addr {
    let mut octets = [0u8; 16];
    octets.copy_from_slice(&data[..16]);
    core::net::Ipv6Addr::from(octets)
}
