//! GTP-U information elements (TS 29.281 §8) and the path-management and
//! tunnel-management messages a UPF sends: Echo Request/Response, Error
//! Indication and End Marker (§7).
//!
//! IEs with a type below 128 are TV with a length fixed by the type; from
//! 128 up they are TLV with a 2-octet length, except the Extension Header
//! Type List (141), whose length is one octet (§8.5).

use core::net::IpAddr;

use super::gtpu::{ExtHeaderType, GtpuPacket, GtpuRepr, MessageType, HEADER_LEN_OPT};
use super::{ipv4_from, ipv6_from, read_u16, read_u32, Error, Result};

enum_with_unknown! {
    /// GTP-U information element type.
    pub enum IeType(u8) {
        /// Recovery (TV, 1 octet).
        Recovery = 14,
        /// Tunnel Endpoint Identifier Data I (TV, 4 octets).
        TeidDataI = 16,
        /// GTP-U Peer Address (TLV, 4 or 16 octets).
        PeerAddress = 133,
        /// Extension Header Type List (TLV, 1-octet length).
        ExtHeaderTypeList = 141,
        /// Private Extension (TLV).
        PrivateExtension = 255,
    }
}

/// One information element, borrowing variable parts from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GtpuIe<'a> {
    /// Recovery: the restart counter, which GTP-U sends as 0 and ignores.
    Recovery(u8),
    /// TEID Data I.
    TeidDataI(u32),
    /// GTP-U Peer Address.
    PeerAddress(IpAddr),
    /// Extension Header Type List: one extension header type per octet.
    ExtHeaderTypeList(&'a [u8]),
    /// Private Extension.
    PrivateExtension {
        /// Extension Identifier (an IANA enterprise number).
        id: u16,
        /// Extension Value.
        value: &'a [u8],
    },
    /// Any other TLV IE (type 128 and up).
    Unknown {
        /// IE type.
        ie_type: u8,
        /// Value.
        value: &'a [u8],
    },
}

impl<'a> GtpuIe<'a> {
    /// Parses the IE at the start of `data`; returns it and its total length.
    /// `Err(Truncated)` when it runs past `data`; `Err(Malformed)` for a
    /// length the type forbids; `Err(Unsupported)` for an unknown TV type
    /// (its length cannot be known).
    pub fn parse(data: &'a [u8]) -> Result<(GtpuIe<'a>, usize)> {
        let t = *data.first().ok_or(Error::Truncated)?;
        let tv = |n: usize| data.get(1..1 + n).ok_or(Error::Truncated);
        match IeType::from(t) {
            IeType::Recovery => Ok((GtpuIe::Recovery(tv(1)?[0]), 2)),
            IeType::TeidDataI => Ok((GtpuIe::TeidDataI(read_u32(tv(4)?)), 5)),
            IeType::ExtHeaderTypeList => {
                let n = usize::from(*data.get(1).ok_or(Error::Truncated)?);
                let list = data.get(2..2 + n).ok_or(Error::Truncated)?;
                Ok((GtpuIe::ExtHeaderTypeList(list), 2 + n))
            }
            _ if t < 128 => Err(Error::Unsupported),
            ty => {
                let n = usize::from(read_u16(data.get(1..3).ok_or(Error::Truncated)?));
                let value = data.get(3..3 + n).ok_or(Error::Truncated)?;
                let ie = match ty {
                    IeType::PeerAddress => match n {
                        4 => GtpuIe::PeerAddress(IpAddr::V4(ipv4_from(value))),
                        16 => GtpuIe::PeerAddress(IpAddr::V6(ipv6_from(value))),
                        _ => return Err(Error::Malformed),
                    },
                    IeType::PrivateExtension => {
                        if n < 2 {
                            return Err(Error::Malformed);
                        }
                        GtpuIe::PrivateExtension {
                            id: read_u16(value),
                            value: &value[2..],
                        }
                    }
                    _ => GtpuIe::Unknown { ie_type: t, value },
                };
                Ok((ie, 3 + n))
            }
        }
    }

    /// The IE type.
    pub fn ie_type(&self) -> IeType {
        match self {
            GtpuIe::Recovery(_) => IeType::Recovery,
            GtpuIe::TeidDataI(_) => IeType::TeidDataI,
            GtpuIe::PeerAddress(_) => IeType::PeerAddress,
            GtpuIe::ExtHeaderTypeList(_) => IeType::ExtHeaderTypeList,
            GtpuIe::PrivateExtension { .. } => IeType::PrivateExtension,
            GtpuIe::Unknown { ie_type, .. } => IeType::from(*ie_type),
        }
    }

    /// Octets the IE takes on the wire.
    pub fn buffer_len(&self) -> usize {
        match self {
            GtpuIe::Recovery(_) => 2,
            GtpuIe::TeidDataI(_) => 5,
            GtpuIe::PeerAddress(IpAddr::V4(_)) => 3 + 4,
            GtpuIe::PeerAddress(IpAddr::V6(_)) => 3 + 16,
            GtpuIe::ExtHeaderTypeList(list) => 2 + list.len(),
            GtpuIe::PrivateExtension { value, .. } => 3 + 2 + value.len(),
            GtpuIe::Unknown { value, .. } => 3 + value.len(),
        }
    }

    /// Writes the IE at the start of `buf`; returns its length.
    /// `Err(Truncated)` when `buf` is too short; `Err(Malformed)` for a value
    /// too long for its length field or an `Unknown` of a TV or named type.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        let out = buf.get_mut(..len).ok_or(Error::Truncated)?;
        out[0] = self.ie_type().into();
        let tlv_len = |n: usize| u16::try_from(n).map_err(|_| Error::Malformed);
        match self {
            GtpuIe::Recovery(v) => out[1] = *v,
            GtpuIe::TeidDataI(v) => out[1..5].copy_from_slice(&v.to_be_bytes()),
            GtpuIe::PeerAddress(IpAddr::V4(a)) => {
                out[1..3].copy_from_slice(&4u16.to_be_bytes());
                out[3..].copy_from_slice(&a.octets());
            }
            GtpuIe::PeerAddress(IpAddr::V6(a)) => {
                out[1..3].copy_from_slice(&16u16.to_be_bytes());
                out[3..].copy_from_slice(&a.octets());
            }
            GtpuIe::ExtHeaderTypeList(list) => {
                out[1] = u8::try_from(list.len()).map_err(|_| Error::Malformed)?;
                out[2..].copy_from_slice(list);
            }
            GtpuIe::PrivateExtension { id, value } => {
                out[1..3].copy_from_slice(&tlv_len(2 + value.len())?.to_be_bytes());
                out[3..5].copy_from_slice(&id.to_be_bytes());
                out[5..].copy_from_slice(value);
            }
            GtpuIe::Unknown { ie_type, value } => {
                if *ie_type < 128 || !matches!(IeType::from(*ie_type), IeType::Unknown(_)) {
                    return Err(Error::Malformed);
                }
                out[1..3].copy_from_slice(&tlv_len(value.len())?.to_be_bytes());
                out[3..].copy_from_slice(value);
            }
        }
        Ok(len)
    }
}

/// Iterator over the IEs of a message body, yielding `Result<GtpuIe>`; after
/// the first error it yields nothing more.
#[derive(Debug, Clone)]
pub struct IeIter<'a> {
    data: &'a [u8],
}

impl<'a> IeIter<'a> {
    /// IEs in `data` (the payload of a non-G-PDU message).
    pub const fn new(data: &'a [u8]) -> IeIter<'a> {
        IeIter { data }
    }
}

impl<'a> Iterator for IeIter<'a> {
    type Item = Result<GtpuIe<'a>>;

    fn next(&mut self) -> Option<Result<GtpuIe<'a>>> {
        if self.data.is_empty() {
            return None;
        }
        match GtpuIe::parse(self.data) {
            Ok((ie, len)) => {
                self.data = &self.data[len..];
                Some(Ok(ie))
            }
            Err(e) => {
                self.data = &[];
                Some(Err(e))
            }
        }
    }
}

/// The mandatory content of an Error Indication (§7.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorIndicationRepr {
    /// TEID Data I: the TEID of the G-PDU that could not be delivered.
    pub teid: u32,
    /// GTP-U Peer Address: the destination address of that G-PDU.
    pub peer_addr: IpAddr,
}

impl ErrorIndicationRepr {
    /// Finds TEID Data I and GTP-U Peer Address among the IEs of an Error
    /// Indication body; `Err(Malformed)` when either is missing or an IE is
    /// broken. Other IEs are ignored.
    pub fn parse(ies: &[u8]) -> Result<ErrorIndicationRepr> {
        let (mut teid, mut peer) = (None, None);
        for ie in IeIter::new(ies) {
            match ie {
                Ok(GtpuIe::TeidDataI(t)) => teid = teid.or(Some(t)),
                Ok(GtpuIe::PeerAddress(a)) => peer = peer.or(Some(a)),
                Ok(_) => {}
                Err(Error::Unsupported) => return Err(Error::Malformed),
                Err(e) => return Err(e),
            }
        }
        match (teid, peer) {
            (Some(teid), Some(peer_addr)) => Ok(ErrorIndicationRepr { teid, peer_addr }),
            _ => Err(Error::Malformed),
        }
    }

    /// Octets of the two IEs.
    pub fn buffer_len(&self) -> usize {
        GtpuIe::TeidDataI(self.teid).buffer_len() + GtpuIe::PeerAddress(self.peer_addr).buffer_len()
    }

    /// Writes TEID Data I and GTP-U Peer Address into `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let n = GtpuIe::TeidDataI(self.teid).emit(buf)?;
        let m =
            GtpuIe::PeerAddress(self.peer_addr).emit(buf.get_mut(n..).ok_or(Error::Truncated)?)?;
        Ok(n + m)
    }
}

fn emit_header(repr: &GtpuRepr, out: &mut [u8]) -> Result<usize> {
    let len = repr.header_len();
    let header = out.get_mut(..len).ok_or(Error::Truncated)?;
    repr.emit(&mut GtpuPacket::new_unchecked(header));
    Ok(len)
}

fn message(msg_type: MessageType, teid: u32, seq: Option<u16>, payload_len: usize) -> GtpuRepr {
    GtpuRepr {
        msg_type,
        teid,
        seq_number: seq,
        npdu_number: None,
        pdu_session: None,
        payload_len,
    }
}

/// Writes an Echo Request (§7.2.1): TEID 0, S set with `seq`, no IE.
/// Returns the message length (12).
pub fn emit_echo_request(seq: u16, out: &mut [u8]) -> Result<usize> {
    emit_header(&message(MessageType::EchoRequest, 0, Some(seq), 0), out)
}

/// Writes an Echo Response (§7.2.2): TEID 0, S set with the request's
/// sequence number, and a Recovery IE with restart counter 0 (§8.2).
/// Returns the message length (14).
pub fn emit_echo_response(seq: u16, out: &mut [u8]) -> Result<usize> {
    let recovery = GtpuIe::Recovery(0);
    let repr = message(
        MessageType::EchoResponse,
        0,
        Some(seq),
        recovery.buffer_len(),
    );
    if out.len() < repr.buffer_len() {
        return Err(Error::Truncated);
    }
    let n = emit_header(&repr, out)?;
    Ok(n + recovery.emit(&mut out[n..])?)
}

/// Writes an Error Indication (§7.3.1): TEID 0, S set with `seq`, TEID Data
/// I and GTP-U Peer Address, and — when `udp_port` is given — the UDP Port
/// extension header (§5.2.2.1) with the source port of the G-PDU that
/// triggered it. Returns the message length.
pub fn emit_error_indication(
    seq: u16,
    body: &ErrorIndicationRepr,
    udp_port: Option<u16>,
    out: &mut [u8],
) -> Result<usize> {
    let ext_len = if udp_port.is_some() { 4 } else { 0 };
    let repr = message(
        MessageType::ErrorIndication,
        0,
        Some(seq),
        ext_len + body.buffer_len(),
    );
    let total = repr.buffer_len();
    if out.len() < total {
        return Err(Error::Truncated);
    }
    let n = emit_header(&repr, out)?;
    if let Some(port) = udp_port {
        let mut p = GtpuPacket::new_unchecked(&mut out[..]);
        p.set_ext_flag(true);
        p.set_next_ext_type(ExtHeaderType::UdpPort.into());
        let ext = &mut out[HEADER_LEN_OPT..HEADER_LEN_OPT + 4];
        ext[0] = 1;
        ext[1..3].copy_from_slice(&port.to_be_bytes());
        ext[3] = 0;
    }
    body.emit(&mut out[n + ext_len..total])?;
    Ok(total)
}

/// Writes an End Marker (§7.3.2) for the peer's `teid`: no optional field,
/// no IE, Length 0. Returns 8.
pub fn emit_end_marker(teid: u32, out: &mut [u8]) -> Result<usize> {
    emit_header(&message(MessageType::EndMarker, teid, None, 0), out)
}

#[cfg(test)]
mod test {
    use super::*;
    use core::net::Ipv4Addr;

    #[test]
    fn test_echo_response() {
        let mut buf = [0u8; 32];
        let n = emit_echo_response(0x1234, &mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            &[0x32, 2, 0, 6, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 14, 0]
        );
        assert_eq!(emit_echo_response(1, &mut buf[..13]), Err(Error::Truncated));
    }

    #[test]
    fn test_error_indication_roundtrip() {
        let body = ErrorIndicationRepr {
            teid: 0xdeadbeef,
            peer_addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        };
        let mut buf = [0u8; 64];
        let n = emit_error_indication(7, &body, Some(2152), &mut buf).unwrap();
        let p = GtpuPacket::new_checked(&buf[..n]).unwrap();
        let r = GtpuRepr::parse(&p).unwrap();
        assert_eq!(r.msg_type, MessageType::ErrorIndication);
        assert_eq!(r.seq_number, Some(7));
        let exts: Vec<_> = p.extension_headers().collect();
        assert_eq!(exts, vec![(0x40, &[0x08, 0x68][..])]);
        assert_eq!(ErrorIndicationRepr::parse(p.payload()).unwrap(), body);
    }

    #[test]
    fn test_ie_errors() {
        assert_eq!(GtpuIe::parse(&[16, 1, 2]), Err(Error::Truncated));
        assert_eq!(GtpuIe::parse(&[133, 0, 3, 1, 2, 3]), Err(Error::Malformed));
        assert_eq!(GtpuIe::parse(&[99, 0]), Err(Error::Unsupported));
        assert_eq!(
            GtpuIe::parse(&[141, 2, 0x40, 0x85]),
            Ok((GtpuIe::ExtHeaderTypeList(&[0x40, 0x85]), 4))
        );
    }
}
