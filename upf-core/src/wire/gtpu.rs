//! GTPv1-U headers (TS 29.281 §5) and the extension-header chain.
//!
//! ```text
//! octet 1     | version(3) | PT | (*) | E | S | PN |
//! octet 2     | message type                      |
//! octets 3-4  | length: octets after octet 8      |
//! octets 5-8  | TEID                              |
//! octets 9-10 | sequence number    \
//! octet 11    | N-PDU number        } present when any of E, S, PN is set
//! octet 12    | next ext. hdr type /
//! then extension headers: | length (4n) | content (4n-2) | next type |
//! ```
//!
//! The panic contract of the [module](super) applies. `check_len` validates
//! Length against the buffer (the buffer may be longer: trailing octets are
//! not part of the message and [`GtpuPacket::payload`] stops at Length), the
//! optional field against Length, and walks the extension-header chain: each
//! header must have a non-zero length and end within Length, and there may
//! be at most [`MAX_EXTENSION_HEADERS`]. Version and PT are **not** checked
//! there; [`GtpuRepr::parse`] rejects anything but GTPv1 (PT 1).

use super::psc::PduSessionInfo;
use super::{read_u16, read_u32, write_u16, write_u32, Error, Field, Result};

/// The GTP-U UDP port (TS 29.281 §4.4.2).
pub const GTPU_PORT: u16 = 2152;

/// Most extension headers a packet may carry before it is rejected.
pub const MAX_EXTENSION_HEADERS: usize = 16;

enum_with_unknown! {
    /// GTP-U message type (TS 29.281 §6.1).
    pub enum MessageType(u8) {
        /// Echo Request.
        EchoRequest = 1,
        /// Echo Response.
        EchoResponse = 2,
        /// Error Indication.
        ErrorIndication = 26,
        /// Supported Extension Headers Notification.
        SupportedExtensionHeadersNotification = 31,
        /// Tunnel Status.
        TunnelStatus = 253,
        /// End Marker.
        EndMarker = 254,
        /// G-PDU: a T-PDU (user packet) follows the header.
        GPdu = 255,
    }
}

enum_with_unknown! {
    /// Next Extension Header Type (TS 29.281 §5.2.1, Figure 5.2.1-3).
    pub enum ExtHeaderType(u8) {
        /// No more extension headers.
        NoMore = 0x00,
        /// Service Class Indicator.
        ServiceClassIndicator = 0x20,
        /// UDP Port.
        UdpPort = 0x40,
        /// RAN Container.
        RanContainer = 0x81,
        /// Long PDCP PDU Number.
        LongPdcpPduNumber = 0x82,
        /// Xw RAN Container.
        XwRanContainer = 0x83,
        /// NR RAN Container.
        NrRanContainer = 0x84,
        /// PDU Session Container.
        PduSessionContainer = 0x85,
        /// PDCP PDU Number.
        PdcpPduNumber = 0xC0,
    }
}

/// What the two high bits of an extension header type ask of a receiver
/// (TS 29.281 §5.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comprehension {
    /// `00`: not required; an intermediate node forwards it.
    NotRequired,
    /// `01`: not required; an intermediate node discards the content and does
    /// not forward it.
    NotRequiredDiscard,
    /// `10`: required by the endpoint receiver, not by an intermediate node.
    RequiredByEndpoint,
    /// `11`: required by every receiver.
    RequiredByAll,
}

/// The comprehension class of extension header type `t`.
pub const fn comprehension(t: u8) -> Comprehension {
    match t >> 6 {
        0 => Comprehension::NotRequired,
        1 => Comprehension::NotRequiredDiscard,
        2 => Comprehension::RequiredByEndpoint,
        _ => Comprehension::RequiredByAll,
    }
}

/// Whether the **endpoint receiver** of a tunnel (which the UPF is on N3/N9)
/// must comprehend extension header type `t`: bit 8 set (`10` or `11`).
/// A packet carrying such a header that the receiver does not understand is
/// to be discarded (and a Supported Extension Headers Notification sent).
pub const fn comprehension_required(t: u8) -> bool {
    t & 0x80 != 0
}

/// Extension header types [`GtpuRepr::parse`] understands: the PDU Session
/// Container is decoded; UDP Port, Service Class Indicator and the PDCP PDU
/// Number headers are recognised and skipped.
pub const fn is_understood(t: u8) -> bool {
    matches!(t, 0x85 | 0x40 | 0x20 | 0x82 | 0xC0)
}

mod field {
    use super::Field;

    pub const FLAGS: usize = 0;
    pub const MSG_TYPE: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const TEID: Field = 4..8;
    pub const SEQ_NO: Field = 8..10;
    pub const NPDU_NO: usize = 10;
    pub const NEXT_EXT: usize = 11;
}

/// Length of the mandatory header.
pub const HEADER_LEN: usize = field::TEID.end;
/// Length of the header with the optional field (sequence, N-PDU, next type).
pub const HEADER_LEN_OPT: usize = field::NEXT_EXT + 1;

const FLAG_PT: u8 = 0x10;
const FLAG_E: u8 = 0x04;
const FLAG_S: u8 = 0x02;
const FLAG_PN: u8 = 0x01;

/// A read/write view of a GTPv1-U message.
#[derive(Debug, Clone)]
pub struct GtpuPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> GtpuPacket<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> GtpuPacket<T> {
        GtpuPacket { buffer }
    }

    /// Wraps a buffer and checks its lengths and extension-header chain.
    pub fn new_checked(buffer: T) -> Result<GtpuPacket<T>> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// `Err(Truncated)` when the buffer is shorter than 8 octets or than
    /// 8 + Length. `Err(Malformed)` when the optional field (E, S or PN set)
    /// does not fit in Length, or an extension header has length zero or
    /// runs past Length. `Err(Unsupported)` for more than
    /// [`MAX_EXTENSION_HEADERS`] extension headers.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if len < self.message_len() {
            return Err(Error::Truncated);
        }
        self.walk().map(|_| ())
    }

    /// Walks the optional field and the extension-header chain; returns the
    /// header length. Only reads within `message_len()`, which the caller
    /// checked against the buffer.
    fn walk(&self) -> Result<usize> {
        let data = self.buffer.as_ref();
        let end = self.message_len().min(data.len());
        if !self.has_optional() {
            return Ok(HEADER_LEN);
        }
        if end < HEADER_LEN_OPT {
            return Err(Error::Malformed);
        }
        let mut offset = HEADER_LEN_OPT;
        if !self.ext_flag() {
            return Ok(offset);
        }
        let mut next = data[field::NEXT_EXT];
        let mut count = 0;
        while next != 0 {
            if count == MAX_EXTENSION_HEADERS {
                return Err(Error::Unsupported);
            }
            count += 1;
            if offset >= end {
                return Err(Error::Malformed);
            }
            let ext_len = usize::from(data[offset]) * 4;
            if ext_len == 0 || offset + ext_len > end {
                return Err(Error::Malformed);
            }
            next = data[offset + ext_len - 1];
            offset += ext_len;
        }
        Ok(offset)
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// 8 + Length: the octets of this message (the buffer may hold more).
    pub fn message_len(&self) -> usize {
        HEADER_LEN + usize::from(self.length())
    }

    /// Raw first octet.
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }

    /// Version (1 for GTPv1).
    pub fn version(&self) -> u8 {
        self.flags() >> 5
    }

    /// Protocol Type: 1 for GTP, 0 for GTP'.
    pub fn protocol_type(&self) -> u8 {
        (self.flags() & FLAG_PT) >> 4
    }

    /// E: an extension header follows.
    pub fn ext_flag(&self) -> bool {
        self.flags() & FLAG_E != 0
    }

    /// S: the sequence number is meaningful.
    pub fn seq_flag(&self) -> bool {
        self.flags() & FLAG_S != 0
    }

    /// PN: the N-PDU number is meaningful.
    pub fn npdu_flag(&self) -> bool {
        self.flags() & FLAG_PN != 0
    }

    /// Whether octets 9-12 are present (any of E, S, PN set).
    pub fn has_optional(&self) -> bool {
        self.flags() & (FLAG_E | FLAG_S | FLAG_PN) != 0
    }

    /// Message type.
    pub fn msg_type(&self) -> MessageType {
        self.buffer.as_ref()[field::MSG_TYPE].into()
    }

    /// Length: octets after the mandatory 8-octet header.
    pub fn length(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::LENGTH])
    }

    /// Tunnel Endpoint Identifier.
    pub fn teid(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::TEID])
    }

    /// Sequence number, when S is set.
    pub fn seq_number(&self) -> Option<u16> {
        if self.seq_flag() {
            Some(read_u16(&self.buffer.as_ref()[field::SEQ_NO]))
        } else {
            None
        }
    }

    /// N-PDU number, when PN is set.
    pub fn npdu_number(&self) -> Option<u8> {
        if self.npdu_flag() {
            Some(self.buffer.as_ref()[field::NPDU_NO])
        } else {
            None
        }
    }

    /// The first next-extension-header type; 0 when E is not set.
    pub fn next_ext_type(&self) -> u8 {
        if self.ext_flag() {
            self.buffer.as_ref()[field::NEXT_EXT]
        } else {
            0
        }
    }

    /// Header length: 8, 12 with the optional field, plus every extension
    /// header. On an unchecked view with a broken chain, the message length
    /// (so that the payload is empty).
    pub fn header_len(&self) -> usize {
        self.walk()
            .unwrap_or_else(|_| self.message_len().min(self.buffer.as_ref().len()))
    }

    /// The extension headers, in order, as `(type, content)`: content is what
    /// lies between the length octet and the next-type octet.
    pub fn extension_headers(&self) -> ExtHeaders<'_> {
        let data = self.buffer.as_ref();
        let end = self.message_len().min(data.len());
        if self.ext_flag() && end >= HEADER_LEN_OPT {
            ExtHeaders {
                data: &data[..end],
                offset: HEADER_LEN_OPT,
                next: data[field::NEXT_EXT],
                count: 0,
            }
        } else {
            ExtHeaders {
                data: &[],
                offset: 0,
                next: 0,
                count: 0,
            }
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> GtpuPacket<&'a T> {
    /// The T-PDU (G-PDU) or information elements: from the end of the
    /// header to 8 + Length.
    pub fn payload(&self) -> &'a [u8] {
        let data = self.buffer.as_ref();
        let start = self.header_len();
        let end = self.message_len().min(data.len()).max(start);
        &data[start..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> GtpuPacket<T> {
    /// Sets the raw first octet.
    pub fn set_flags(&mut self, value: u8) {
        self.buffer.as_mut()[field::FLAGS] = value;
    }

    fn set_flag(&mut self, mask: u8, value: bool) {
        let f = self.flags();
        self.set_flags(if value { f | mask } else { f & !mask });
    }

    /// Sets the version.
    pub fn set_version(&mut self, value: u8) {
        let f = self.flags();
        self.set_flags((f & 0x1f) | (value << 5));
    }

    /// Sets the Protocol Type bit.
    pub fn set_protocol_type(&mut self, value: u8) {
        self.set_flag(FLAG_PT, value & 1 != 0);
    }

    /// Sets E.
    pub fn set_ext_flag(&mut self, value: bool) {
        self.set_flag(FLAG_E, value);
    }

    /// Sets S.
    pub fn set_seq_flag(&mut self, value: bool) {
        self.set_flag(FLAG_S, value);
    }

    /// Sets PN.
    pub fn set_npdu_flag(&mut self, value: bool) {
        self.set_flag(FLAG_PN, value);
    }

    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: MessageType) {
        self.buffer.as_mut()[field::MSG_TYPE] = value.into();
    }

    /// Sets Length.
    pub fn set_length(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::LENGTH], value);
    }

    /// Sets the TEID.
    pub fn set_teid(&mut self, value: u32) {
        write_u32(&mut self.buffer.as_mut()[field::TEID], value);
    }

    /// Writes the sequence number field (flags unchanged). Needs the
    /// optional field to be present.
    pub fn set_seq_number(&mut self, value: u16) {
        write_u16(&mut self.buffer.as_mut()[field::SEQ_NO], value);
    }

    /// Writes the N-PDU number field (flags unchanged).
    pub fn set_npdu_number(&mut self, value: u8) {
        self.buffer.as_mut()[field::NPDU_NO] = value;
    }

    /// Writes the first next-extension-header type (flags unchanged).
    pub fn set_next_ext_type(&mut self, value: u8) {
        self.buffer.as_mut()[field::NEXT_EXT] = value;
    }

    /// The payload, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        let len = self.buffer.as_ref().len();
        let end = self.message_len().min(len).max(start);
        &mut self.buffer.as_mut()[start..end]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for GtpuPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// Iterator over the extension headers of a [`GtpuPacket`], yielding
/// `(type, content)`. It stops at the end of the chain, or silently at a
/// broken header (which a checked view does not have).
#[derive(Debug, Clone)]
pub struct ExtHeaders<'a> {
    data: &'a [u8],
    offset: usize,
    next: u8,
    count: usize,
}

impl<'a> Iterator for ExtHeaders<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        if self.next == 0 || self.count == MAX_EXTENSION_HEADERS {
            return None;
        }
        let ext_len = usize::from(*self.data.get(self.offset)?) * 4;
        if ext_len == 0 {
            self.next = 0;
            return None;
        }
        let ext = self.data.get(self.offset..self.offset + ext_len)?;
        let ty = self.next;
        self.next = ext[ext_len - 1];
        self.offset += ext_len;
        self.count += 1;
        Some((ty, &ext[1..ext_len - 1]))
    }
}

/// A parsed GTPv1-U header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GtpuRepr {
    /// Message type.
    pub msg_type: MessageType,
    /// TEID.
    pub teid: u32,
    /// Sequence number (S flag).
    pub seq_number: Option<u16>,
    /// N-PDU number (PN flag).
    pub npdu_number: Option<u8>,
    /// The PDU Session Container extension header.
    pub pdu_session: Option<PduSessionInfo>,
    /// Octets after the header (T-PDU or information elements).
    pub payload_len: usize,
}

impl GtpuRepr {
    /// Parses a checked view.
    ///
    /// `Err(Unsupported)` for a version other than 1, PT 0 (GTP'), or an
    /// extension header whose comprehension the endpoint requires (see
    /// [`comprehension_required`]) and that is not [understood](is_understood).
    /// `Err(Malformed)` for two PDU Session Containers or a container whose
    /// content does not fit its length. Other extension headers are skipped
    /// (and so are not re-emitted by [`emit`](Self::emit)).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &GtpuPacket<&T>) -> Result<GtpuRepr> {
        packet.check_len()?;
        if packet.version() != 1 || packet.protocol_type() != 1 {
            return Err(Error::Unsupported);
        }
        let mut pdu_session = None;
        for (ty, content) in packet.extension_headers() {
            if ty == u8::from(ExtHeaderType::PduSessionContainer) {
                if pdu_session.is_some() {
                    return Err(Error::Malformed);
                }
                pdu_session = Some(PduSessionInfo::parse(content)?);
            } else if comprehension_required(ty) && !is_understood(ty) {
                return Err(Error::Unsupported);
            }
        }
        Ok(GtpuRepr {
            msg_type: packet.msg_type(),
            teid: packet.teid(),
            seq_number: packet.seq_number(),
            npdu_number: packet.npdu_number(),
            pdu_session,
            payload_len: packet.payload().len(),
        })
    }

    /// A G-PDU for `teid` carrying `payload_len` octets of T-PDU.
    pub const fn gpdu(teid: u32, payload_len: usize) -> GtpuRepr {
        GtpuRepr {
            msg_type: MessageType::GPdu,
            teid,
            seq_number: None,
            npdu_number: None,
            pdu_session: None,
            payload_len,
        }
    }

    /// Whether the optional 4-octet field is present.
    pub const fn has_optional(&self) -> bool {
        self.seq_number.is_some() || self.npdu_number.is_some() || self.pdu_session.is_some()
    }

    /// 8, or 12 with the optional field, plus the PDU Session Container.
    pub const fn header_len(&self) -> usize {
        let psc = match &self.pdu_session {
            Some(p) => p.buffer_len(),
            None => 0,
        };
        if self.has_optional() {
            HEADER_LEN_OPT + psc
        } else {
            HEADER_LEN
        }
    }

    /// Header and payload.
    pub const fn buffer_len(&self) -> usize {
        self.header_len() + self.payload_len
    }

    /// The Length field value: everything after octet 8 (saturating).
    pub fn length_field(&self) -> u16 {
        u16::try_from(self.buffer_len() - HEADER_LEN).unwrap_or(u16::MAX)
    }

    /// Writes the header: version 1, PT 1, E/S/PN from the fields present
    /// (unused parts of the optional field written as zero), Length over
    /// header and `payload_len`, and the PDU Session Container as the only
    /// extension header. Panics if the buffer is shorter than `header_len()`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut GtpuPacket<T>) {
        let mut flags = 0x20 | FLAG_PT;
        if self.pdu_session.is_some() {
            flags |= FLAG_E;
        }
        if self.seq_number.is_some() {
            flags |= FLAG_S;
        }
        if self.npdu_number.is_some() {
            flags |= FLAG_PN;
        }
        packet.set_flags(flags);
        packet.set_msg_type(self.msg_type);
        packet.set_length(self.length_field());
        packet.set_teid(self.teid);
        if self.has_optional() {
            packet.set_seq_number(self.seq_number.unwrap_or(0));
            packet.set_npdu_number(self.npdu_number.unwrap_or(0));
            match &self.pdu_session {
                Some(psc) => {
                    packet.set_next_ext_type(ExtHeaderType::PduSessionContainer.into());
                    let buf = &mut packet.buffer.as_mut()[HEADER_LEN_OPT..];
                    if psc.emit(buf, 0).is_err() {
                        panic!("GtpuRepr::emit: buffer shorter than header_len()");
                    }
                }
                None => packet.set_next_ext_type(0),
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::super::psc::UlPduSessionInfo;
    use super::*;

    // G-PDU, TEID 0x11223344, UL PSC QFI 9, 4 octets of payload, plus 2
    // trailing octets beyond Length.
    static PACKET_BYTES: [u8; 22] = [
        0x34, 0xff, 0x00, 0x0c, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x85, 0x01, 0x10, 0x09,
        0x00, 0xde, 0xad, 0xbe, 0xef, 0xaa, 0xaa,
    ];

    fn repr() -> GtpuRepr {
        GtpuRepr {
            pdu_session: Some(PduSessionInfo::Ul(UlPduSessionInfo::new(9))),
            ..GtpuRepr::gpdu(0x11223344, 4)
        }
    }

    #[test]
    fn test_parse() {
        let p = GtpuPacket::new_checked(&PACKET_BYTES[..]).unwrap();
        assert_eq!(p.version(), 1);
        assert!(p.ext_flag() && !p.seq_flag() && !p.npdu_flag());
        assert_eq!(p.msg_type(), MessageType::GPdu);
        assert_eq!(p.teid(), 0x11223344);
        assert_eq!(p.seq_number(), None);
        assert_eq!(p.next_ext_type(), 0x85);
        assert_eq!(p.header_len(), 16);
        assert_eq!(p.payload(), &[0xde, 0xad, 0xbe, 0xef]);
        let exts: Vec<_> = p.extension_headers().collect();
        assert_eq!(exts, vec![(0x85, &[0x10, 0x09][..])]);
        assert_eq!(GtpuRepr::parse(&p).unwrap(), repr());
    }

    #[test]
    fn test_emit() {
        let mut buf = [0u8; 20];
        buf[16..].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        let r = repr();
        assert_eq!(r.header_len(), 16);
        r.emit(&mut GtpuPacket::new_unchecked(&mut buf[..]));
        assert_eq!(buf[..], PACKET_BYTES[..20]);
    }

    #[test]
    fn test_impossible_len() {
        assert_eq!(
            GtpuPacket::new_checked(&PACKET_BYTES[..7]).unwrap_err(),
            Error::Truncated
        );
        assert_eq!(
            GtpuPacket::new_checked(&PACKET_BYTES[..19]).unwrap_err(),
            Error::Truncated
        );
        let mut buf = PACKET_BYTES;
        buf[3] = 2; // optional field does not fit in Length
        assert_eq!(
            GtpuPacket::new_checked(&buf[..]).unwrap_err(),
            Error::Malformed
        );
        let mut buf = PACKET_BYTES;
        buf[12] = 0; // zero-length extension header
        assert_eq!(
            GtpuPacket::new_checked(&buf[..]).unwrap_err(),
            Error::Malformed
        );
        let mut buf = PACKET_BYTES;
        buf[12] = 4; // extension header beyond Length
        assert_eq!(
            GtpuPacket::new_checked(&buf[..]).unwrap_err(),
            Error::Malformed
        );
        let mut buf = PACKET_BYTES;
        buf[15] = 0x85; // chain continues into the payload: de = 222 * 4 octets
        assert_eq!(
            GtpuPacket::new_checked(&buf[..]).unwrap_err(),
            Error::Malformed
        );
    }

    #[test]
    fn test_comprehension() {
        assert!(comprehension_required(0x85));
        assert!(comprehension_required(0xC0));
        assert!(!comprehension_required(0x40));
        assert!(!comprehension_required(0x20));
        assert_eq!(comprehension(0x40), Comprehension::NotRequiredDiscard);
        assert_eq!(comprehension(0x20), Comprehension::NotRequired);
        assert_eq!(comprehension(0x85), Comprehension::RequiredByEndpoint);
        assert_eq!(comprehension(0xC0), Comprehension::RequiredByAll);
    }

    #[test]
    fn test_unknown_required_ext() {
        let mut buf = PACKET_BYTES;
        buf[11] = 0x8f;
        let p = GtpuPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(GtpuRepr::parse(&p), Err(Error::Unsupported));
        buf[11] = 0x0f;
        let p = GtpuPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(GtpuRepr::parse(&p).unwrap().pdu_session, None);
    }
}
