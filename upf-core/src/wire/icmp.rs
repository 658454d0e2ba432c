//! ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) with Neighbor Discovery
//! (RFC 4861): enough to answer echo requests and neighbor/router
//! solicitations.
//!
//! The views cover the whole ICMP message: hand them the IP payload, not the
//! rest of the frame, since the checksum covers every octet of the buffer.
//! The panic contract of the [module](super) applies: `check_len` requires
//! the 8-octet header, and 24 octets for Neighbor Solicitation/Advertisement.

use core::net::Ipv6Addr;

use super::checksum;
use super::ethernet::EthernetAddress;
use super::ip::IpProtocol;
use super::{ipv6_from, read_u16, write_u16, Error, Field, Rest, Result};

enum_with_unknown! {
    /// ICMPv4 message type.
    pub enum Icmpv4Message(u8) {
        /// Echo Reply.
        EchoReply = 0,
        /// Destination Unreachable.
        DstUnreachable = 3,
        /// Redirect.
        Redirect = 5,
        /// Echo Request.
        EchoRequest = 8,
        /// Time Exceeded.
        TimeExceeded = 11,
        /// Parameter Problem.
        ParamProblem = 12,
    }
}

enum_with_unknown! {
    /// ICMPv6 message type.
    pub enum Icmpv6Message(u8) {
        /// Destination Unreachable.
        DstUnreachable = 1,
        /// Packet Too Big.
        PktTooBig = 2,
        /// Time Exceeded.
        TimeExceeded = 3,
        /// Parameter Problem.
        ParamProblem = 4,
        /// Echo Request.
        EchoRequest = 128,
        /// Echo Reply.
        EchoReply = 129,
        /// Router Solicitation.
        RouterSolicit = 133,
        /// Router Advertisement.
        RouterAdvert = 134,
        /// Neighbor Solicitation.
        NeighborSolicit = 135,
        /// Neighbor Advertisement.
        NeighborAdvert = 136,
        /// Redirect.
        Redirect = 137,
    }
}

enum_with_unknown! {
    /// NDP option type (RFC 4861 §4.6).
    pub enum NdpOptionType(u8) {
        /// Source Link-Layer Address.
        SourceLinkLayerAddr = 1,
        /// Target Link-Layer Address.
        TargetLinkLayerAddr = 2,
        /// Prefix Information.
        PrefixInformation = 3,
        /// Redirected Header.
        RedirectedHeader = 4,
        /// MTU.
        Mtu = 5,
    }
}

mod field {
    use super::{Field, Rest};

    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    /// The second word: echo identifier / sequence, NDP flags + reserved.
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQNO: Field = 6..8;
    pub const DATA: Rest = 8..;

    pub const NA_FLAGS: usize = 4;
    pub const ND_TARGET: Field = 8..24;
    pub const ND_OPTIONS: Rest = 24..;
    pub const RS_OPTIONS: Rest = 8..;
}

/// Length of the common ICMP header (type, code, checksum, second word).
pub const HEADER_LEN: usize = field::DATA.start;
/// Length of a Neighbor Solicitation/Advertisement without options.
pub const ND_HEADER_LEN: usize = field::ND_OPTIONS.start;
/// Length of an NDP link-layer address option for Ethernet.
pub const LLADDR_OPTION_LEN: usize = 8;

const NA_FLAG_ROUTER: u8 = 0x80;
const NA_FLAG_SOLICITED: u8 = 0x40;
const NA_FLAG_OVERRIDE: u8 = 0x20;

/// A read/write view of an ICMPv4 message.
#[derive(Debug, Clone)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> Icmpv4Packet<T> {
        Icmpv4Packet { buffer }
    }

    /// Wraps a buffer and checks its length.
    pub fn new_checked(buffer: T) -> Result<Icmpv4Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Err(Truncated)` when the buffer is shorter than 8.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Message type.
    pub fn msg_type(&self) -> Icmpv4Message {
        self.buffer.as_ref()[field::TYPE].into()
    }

    /// Code.
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// Checksum.
    pub fn checksum(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// Echo identifier (meaningful for echo messages).
    pub fn echo_ident(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::ECHO_IDENT])
    }

    /// Echo sequence number (meaningful for echo messages).
    pub fn echo_seq_no(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::ECHO_SEQNO])
    }

    /// Whether the checksum over the whole buffer is correct.
    pub fn verify_checksum(&self) -> bool {
        checksum::data(self.buffer.as_ref()) == !0
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Icmpv4Packet<&'a T> {
    /// Data after the 8-octet header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::DATA]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: Icmpv4Message) {
        self.buffer.as_mut()[field::TYPE] = value.into();
    }

    /// Sets the code.
    pub fn set_msg_code(&mut self, value: u8) {
        self.buffer.as_mut()[field::CODE] = value;
    }

    /// Sets the checksum.
    pub fn set_checksum(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], value);
    }

    /// Sets the echo identifier.
    pub fn set_echo_ident(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::ECHO_IDENT], value);
    }

    /// Sets the echo sequence number.
    pub fn set_echo_seq_no(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::ECHO_SEQNO], value);
    }

    /// Computes and writes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.buffer.as_ref());
        self.set_checksum(c);
    }

    /// Data after the header, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Icmpv4Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// A parsed ICMPv4 echo message. The echo data is not copied: it stays in
/// the buffer, `payload_len` octets after the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv4Repr {
    /// Echo Request.
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Octets of echo data.
        payload_len: usize,
    },
    /// Echo Reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Octets of echo data.
        payload_len: usize,
    },
}

impl Icmpv4Repr {
    /// Parses an echo request or reply; other types give
    /// `Err(Unsupported)`. The code is ignored and the checksum is not
    /// verified (see [`Icmpv4Packet::verify_checksum`]).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Icmpv4Packet<&T>) -> Result<Icmpv4Repr> {
        packet.check_len()?;
        let ident = packet.echo_ident();
        let seq_no = packet.echo_seq_no();
        let payload_len = packet.payload().len();
        match packet.msg_type() {
            Icmpv4Message::EchoRequest => Ok(Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                payload_len,
            }),
            Icmpv4Message::EchoReply => Ok(Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                payload_len,
            }),
            _ => Err(Error::Unsupported),
        }
    }

    /// 8.
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Header and echo data.
    pub const fn buffer_len(&self) -> usize {
        match *self {
            Icmpv4Repr::EchoRequest { payload_len, .. }
            | Icmpv4Repr::EchoReply { payload_len, .. } => HEADER_LEN + payload_len,
        }
    }

    /// Writes the header and the checksum over the **whole buffer**: put the
    /// echo data in place first, and size the buffer to `buffer_len()`.
    /// Panics if the buffer is shorter than 8.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Icmpv4Packet<T>) {
        let (t, ident, seq_no) = match *self {
            Icmpv4Repr::EchoRequest { ident, seq_no, .. } => {
                (Icmpv4Message::EchoRequest, ident, seq_no)
            }
            Icmpv4Repr::EchoReply { ident, seq_no, .. } => {
                (Icmpv4Message::EchoReply, ident, seq_no)
            }
        };
        packet.set_msg_type(t);
        packet.set_msg_code(0);
        packet.set_echo_ident(ident);
        packet.set_echo_seq_no(seq_no);
        packet.fill_checksum();
    }
}

/// A read/write view of an ICMPv6 message.
#[derive(Debug, Clone)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> Icmpv6Packet<T> {
        Icmpv6Packet { buffer }
    }

    /// Wraps a buffer and checks its length.
    pub fn new_checked(buffer: T) -> Result<Icmpv6Packet<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Err(Truncated)` when the buffer is shorter than 8, or than 24 for a
    /// Neighbor Solicitation/Advertisement.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        match self.msg_type() {
            Icmpv6Message::NeighborSolicit | Icmpv6Message::NeighborAdvert
                if len < ND_HEADER_LEN =>
            {
                Err(Error::Truncated)
            }
            _ => Ok(()),
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Message type.
    pub fn msg_type(&self) -> Icmpv6Message {
        self.buffer.as_ref()[field::TYPE].into()
    }

    /// Code.
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// Checksum.
    pub fn checksum(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// Echo identifier.
    pub fn echo_ident(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::ECHO_IDENT])
    }

    /// Echo sequence number.
    pub fn echo_seq_no(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::ECHO_SEQNO])
    }

    /// Neighbor Advertisement R flag.
    pub fn router_flag(&self) -> bool {
        self.buffer.as_ref()[field::NA_FLAGS] & NA_FLAG_ROUTER != 0
    }

    /// Neighbor Advertisement S flag.
    pub fn solicited_flag(&self) -> bool {
        self.buffer.as_ref()[field::NA_FLAGS] & NA_FLAG_SOLICITED != 0
    }

    /// Neighbor Advertisement O flag.
    pub fn override_flag(&self) -> bool {
        self.buffer.as_ref()[field::NA_FLAGS] & NA_FLAG_OVERRIDE != 0
    }

    /// Target Address of a Neighbor Solicitation/Advertisement. Panics on
    /// other (shorter) messages unless the buffer holds 24 octets.
    pub fn target_addr(&self) -> Ipv6Addr {
        ipv6_from(&self.buffer.as_ref()[field::ND_TARGET])
    }

    /// The NDP options of a Router Solicitation or Neighbor
    /// Solicitation/Advertisement; empty for other messages.
    pub fn ndp_options(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        match self.msg_type() {
            Icmpv6Message::NeighborSolicit | Icmpv6Message::NeighborAdvert => {
                data.get(field::ND_OPTIONS).unwrap_or(&[])
            }
            Icmpv6Message::RouterSolicit => data.get(field::RS_OPTIONS).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The Ethernet address carried in the first NDP option of type `kind`
    /// (Source or Target Link-Layer Address). `Err(Malformed)` for an option
    /// of length zero or one running past the buffer, or a link-layer option
    /// too short for an Ethernet address.
    pub fn link_layer_addr(&self, kind: NdpOptionType) -> Result<Option<EthernetAddress>> {
        let mut opts = self.ndp_options();
        while !opts.is_empty() {
            if opts.len() < 2 {
                return Err(Error::Malformed);
            }
            let len = usize::from(opts[1]) * 8;
            if len == 0 || len > opts.len() {
                return Err(Error::Malformed);
            }
            if NdpOptionType::from(opts[0]) == kind {
                if len < LLADDR_OPTION_LEN {
                    return Err(Error::Malformed);
                }
                return EthernetAddress::from_bytes(&opts[2..8]).map(Some);
            }
            opts = &opts[len..];
        }
        Ok(None)
    }

    /// Source Link-Layer Address option.
    pub fn source_lladdr(&self) -> Result<Option<EthernetAddress>> {
        self.link_layer_addr(NdpOptionType::SourceLinkLayerAddr)
    }

    /// Target Link-Layer Address option.
    pub fn target_lladdr(&self) -> Result<Option<EthernetAddress>> {
        self.link_layer_addr(NdpOptionType::TargetLinkLayerAddr)
    }

    fn sum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> u16 {
        let data = self.buffer.as_ref();
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        checksum::combine(&[
            checksum::pseudo_header_v6(src, dst, IpProtocol::Icmpv6, len),
            checksum::data(data),
        ])
    }

    /// Whether the checksum (with the IPv6 pseudo-header) over the whole
    /// buffer is correct.
    pub fn verify_checksum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> bool {
        self.sum(src, dst) == !0
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Icmpv6Packet<&'a T> {
    /// Data after the 8-octet header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::DATA]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: Icmpv6Message) {
        self.buffer.as_mut()[field::TYPE] = value.into();
    }

    /// Sets the code.
    pub fn set_msg_code(&mut self, value: u8) {
        self.buffer.as_mut()[field::CODE] = value;
    }

    /// Sets the checksum.
    pub fn set_checksum(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], value);
    }

    /// Sets the echo identifier.
    pub fn set_echo_ident(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::ECHO_IDENT], value);
    }

    /// Sets the echo sequence number.
    pub fn set_echo_seq_no(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::ECHO_SEQNO], value);
    }

    /// Writes the second word (reserved / flags) as zero.
    pub fn clear_reserved(&mut self) {
        self.buffer.as_mut()[field::ECHO_IDENT.start..field::ECHO_SEQNO.end].fill(0);
    }

    /// Sets the Neighbor Advertisement flags (and clears the reserved bits).
    pub fn set_neighbor_flags(&mut self, router: bool, solicited: bool, override_: bool) {
        let mut f = 0;
        if router {
            f |= NA_FLAG_ROUTER;
        }
        if solicited {
            f |= NA_FLAG_SOLICITED;
        }
        if override_ {
            f |= NA_FLAG_OVERRIDE;
        }
        self.clear_reserved();
        self.buffer.as_mut()[field::NA_FLAGS] = f;
    }

    /// Sets the Target Address.
    pub fn set_target_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::ND_TARGET].copy_from_slice(&value.octets());
    }

    /// Computes and writes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self, src: &Ipv6Addr, dst: &Ipv6Addr) {
        self.set_checksum(0);
        let c = !self.sum(src, dst);
        self.set_checksum(c);
    }

    /// Data after the header, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Icmpv6Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// A parsed ICMPv6 echo or NDP message. Echo data is not copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv6Repr {
    /// Echo Request.
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Octets of echo data.
        payload_len: usize,
    },
    /// Echo Reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Octets of echo data.
        payload_len: usize,
    },
    /// Router Solicitation.
    RouterSolicit {
        /// Source Link-Layer Address option.
        source_lladdr: Option<EthernetAddress>,
    },
    /// Neighbor Solicitation.
    NeighborSolicit {
        /// Target Address.
        target_addr: Ipv6Addr,
        /// Source Link-Layer Address option.
        source_lladdr: Option<EthernetAddress>,
    },
    /// Neighbor Advertisement.
    NeighborAdvert {
        /// R flag.
        router: bool,
        /// S flag.
        solicited: bool,
        /// O flag.
        override_: bool,
        /// Target Address.
        target_addr: Ipv6Addr,
        /// Target Link-Layer Address option.
        target_lladdr: Option<EthernetAddress>,
    },
}

impl Icmpv6Repr {
    /// Parses echo and NDP (RS, NS, NA) messages; other types give
    /// `Err(Unsupported)`. NDP messages with a non-zero code or a broken
    /// option give `Err(Malformed)` (RFC 4861 validity checks; the hop limit
    /// of 255 is the caller's to check). Unknown NDP options are skipped. The
    /// checksum is not verified (see [`Icmpv6Packet::verify_checksum`]).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Icmpv6Packet<&T>) -> Result<Icmpv6Repr> {
        packet.check_len()?;
        let ndp = |p: &Icmpv6Packet<&T>| {
            if p.msg_code() != 0 {
                Err(Error::Malformed)
            } else {
                Ok(())
            }
        };
        match packet.msg_type() {
            Icmpv6Message::EchoRequest => Ok(Icmpv6Repr::EchoRequest {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                payload_len: packet.payload().len(),
            }),
            Icmpv6Message::EchoReply => Ok(Icmpv6Repr::EchoReply {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                payload_len: packet.payload().len(),
            }),
            Icmpv6Message::RouterSolicit => {
                ndp(packet)?;
                Ok(Icmpv6Repr::RouterSolicit {
                    source_lladdr: packet.source_lladdr()?,
                })
            }
            Icmpv6Message::NeighborSolicit => {
                ndp(packet)?;
                Ok(Icmpv6Repr::NeighborSolicit {
                    target_addr: packet.target_addr(),
                    source_lladdr: packet.source_lladdr()?,
                })
            }
            Icmpv6Message::NeighborAdvert => {
                ndp(packet)?;
                Ok(Icmpv6Repr::NeighborAdvert {
                    router: packet.router_flag(),
                    solicited: packet.solicited_flag(),
                    override_: packet.override_flag(),
                    target_addr: packet.target_addr(),
                    target_lladdr: packet.target_lladdr()?,
                })
            }
            _ => Err(Error::Unsupported),
        }
    }

    /// The fixed part: 8, or 24 for NS/NA.
    pub const fn header_len(&self) -> usize {
        match self {
            Icmpv6Repr::NeighborSolicit { .. } | Icmpv6Repr::NeighborAdvert { .. } => ND_HEADER_LEN,
            _ => HEADER_LEN,
        }
    }

    /// The whole message: header, options, echo data.
    pub fn buffer_len(&self) -> usize {
        let opt = |o: &Option<EthernetAddress>| if o.is_some() { LLADDR_OPTION_LEN } else { 0 };
        match self {
            Icmpv6Repr::EchoRequest { payload_len, .. }
            | Icmpv6Repr::EchoReply { payload_len, .. } => HEADER_LEN + *payload_len,
            Icmpv6Repr::RouterSolicit { source_lladdr } => HEADER_LEN + opt(source_lladdr),
            Icmpv6Repr::NeighborSolicit { source_lladdr, .. } => ND_HEADER_LEN + opt(source_lladdr),
            Icmpv6Repr::NeighborAdvert { target_lladdr, .. } => ND_HEADER_LEN + opt(target_lladdr),
        }
    }

    /// Writes the message with a **zero checksum**: put echo data in place,
    /// then call [`Icmpv6Packet::fill_checksum`] with the IPv6 addresses (the
    /// buffer must be exactly `buffer_len()` long for the checksum to cover
    /// the right octets). Panics if the buffer is shorter than `buffer_len()`
    /// (echo data excepted).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Icmpv6Packet<T>) {
        fn lladdr_option(buf: &mut [u8], kind: NdpOptionType, addr: &EthernetAddress) {
            buf[0] = kind.into();
            buf[1] = 1;
            buf[2..8].copy_from_slice(&addr.0);
        }
        packet.set_msg_code(0);
        packet.set_checksum(0);
        match *self {
            Icmpv6Repr::EchoRequest { ident, seq_no, .. } => {
                packet.set_msg_type(Icmpv6Message::EchoRequest);
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
            }
            Icmpv6Repr::EchoReply { ident, seq_no, .. } => {
                packet.set_msg_type(Icmpv6Message::EchoReply);
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
            }
            Icmpv6Repr::RouterSolicit { source_lladdr } => {
                packet.set_msg_type(Icmpv6Message::RouterSolicit);
                packet.clear_reserved();
                if let Some(a) = source_lladdr {
                    let buf = &mut packet.buffer.as_mut()[field::RS_OPTIONS];
                    lladdr_option(buf, NdpOptionType::SourceLinkLayerAddr, &a);
                }
            }
            Icmpv6Repr::NeighborSolicit {
                target_addr,
                source_lladdr,
            } => {
                packet.set_msg_type(Icmpv6Message::NeighborSolicit);
                packet.clear_reserved();
                packet.set_target_addr(target_addr);
                if let Some(a) = source_lladdr {
                    let buf = &mut packet.buffer.as_mut()[field::ND_OPTIONS];
                    lladdr_option(buf, NdpOptionType::SourceLinkLayerAddr, &a);
                }
            }
            Icmpv6Repr::NeighborAdvert {
                router,
                solicited,
                override_,
                target_addr,
                target_lladdr,
            } => {
                packet.set_msg_type(Icmpv6Message::NeighborAdvert);
                packet.set_neighbor_flags(router, solicited, override_);
                packet.set_target_addr(target_addr);
                if let Some(a) = target_lladdr {
                    let buf = &mut packet.buffer.as_mut()[field::ND_OPTIONS];
                    lladdr_option(buf, NdpOptionType::TargetLinkLayerAddr, &a);
                }
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    static ECHO_BYTES: [u8; 12] = [
        0x08, 0x00, 0x3b, 0x0f, 0x12, 0x34, 0x00, 0x01, 0xaa, 0x00, 0x00, 0xbb,
    ];

    #[test]
    fn test_icmpv4_parse_emit() {
        let p = Icmpv4Packet::new_checked(&ECHO_BYTES[..]).unwrap();
        let r = Icmpv4Repr::parse(&p).unwrap();
        assert_eq!(
            r,
            Icmpv4Repr::EchoRequest {
                ident: 0x1234,
                seq_no: 1,
                payload_len: 4
            }
        );
        let mut buf = [0u8; 12];
        buf[8..].copy_from_slice(&ECHO_BYTES[8..]);
        let mut q = Icmpv4Packet::new_unchecked(&mut buf[..]);
        r.emit(&mut q);
        assert!(q.verify_checksum());
        assert_eq!(buf[..2], ECHO_BYTES[..2]);
        assert_eq!(buf[4..], ECHO_BYTES[4..]);
    }

    #[test]
    fn test_icmpv6_nd_roundtrip() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "ff02::1:ff00:2".parse().unwrap();
        let r = Icmpv6Repr::NeighborSolicit {
            target_addr: "fe80::2".parse().unwrap(),
            source_lladdr: Some(EthernetAddress([2, 0, 0, 0, 0, 1])),
        };
        let mut buf = [0u8; 32];
        assert_eq!(r.buffer_len(), 32);
        let mut p = Icmpv6Packet::new_unchecked(&mut buf[..]);
        r.emit(&mut p);
        p.fill_checksum(&src, &dst);
        let p = Icmpv6Packet::new_checked(&buf[..]).unwrap();
        assert!(p.verify_checksum(&src, &dst));
        assert_eq!(Icmpv6Repr::parse(&p).unwrap(), r);
    }

    #[test]
    fn test_impossible_len() {
        assert_eq!(
            Icmpv4Packet::new_checked(&ECHO_BYTES[..7]).unwrap_err(),
            Error::Truncated
        );
        let mut ns = [0u8; 23];
        ns[0] = 135;
        assert_eq!(
            Icmpv6Packet::new_checked(&ns[..]).unwrap_err(),
            Error::Truncated
        );
        let mut ns = [0u8; 26];
        ns[0] = 135;
        ns[24] = 1;
        let p = Icmpv6Packet::new_checked(&ns[..]).unwrap();
        assert_eq!(Icmpv6Repr::parse(&p), Err(Error::Malformed));
    }
}
