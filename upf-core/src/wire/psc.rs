//! The PDU Session Container (TS 38.415 §5.5.2), carried in the GTP-U
//! extension header of type 0x85 (TS 29.281 §5.2.2.7).
//!
//! As an extension header the container is
//! `length (1) | content | padding | next extension header type (1)`, with
//! `length` counting the whole extension header in 4-octet units. The
//! content starts with the PDU Type in the high nibble of its first octet:
//!
//! ```text
//! DL (PDU Type 0):  | type(4) | QMP | SNP | MSNP | spare |
//!                   | PPP | RQI | QFI(6)                  |
//!                   [ PPI(3) | spare(5) ]                  if PPP
//!                   [ DL Sending Time Stamp (8) ]          if QMP
//!                   [ DL QFI Sequence Number (3) ]         if SNP
//!                   [ DL MBS QFI Sequence Number (4) ]     if MSNP
//! UL (PDU Type 1):  | type(4) | QMP | DL Delay Ind | UL Delay Ind | SNP |
//!                   | N3/N9 Delay Ind | New IE Flag | QFI(6)             |
//!                   [ DL Sending Time Stamp Repeated (8),
//!                     DL Received Time Stamp (8),
//!                     UL Sending Time Stamp (8) ]          if QMP
//!                   [ DL Delay Result (4) ]                if DL Delay Ind
//!                   [ UL Delay Result (4) ]                if UL Delay Ind
//!                   [ UL QFI Sequence Number (3) ]         if SNP
//!                   [ N3/N9 Delay Result (4) ]             if N3/N9 Delay Ind
//!                   [ New IE Flags (1) ]                   if New IE Flag
//! ```
//!
//! Whatever follows the fields the flags announce (padding, or fields of a
//! later release signalled by New IE Flags) is ignored on parse, as 38.415
//! §5.4 asks of spare extensions. Spare bits are ignored on parse and
//! written as zero.

use super::{read_u32, Error, Result};

/// PDU Type of a DL PDU SESSION INFORMATION frame.
pub const PDU_TYPE_DL: u8 = 0;
/// PDU Type of a UL PDU SESSION INFORMATION frame.
pub const PDU_TYPE_UL: u8 = 1;

/// DL PDU SESSION INFORMATION (PDU Type 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DlPduSessionInfo {
    /// QoS Flow Identifier, 0..=63.
    pub qfi: u8,
    /// Reflective QoS Indicator.
    pub rqi: bool,
    /// Paging Policy Indicator, 0..=7 (PPP set when present).
    pub ppi: Option<u8>,
    /// DL Sending Time Stamp (QMP set when present).
    pub dl_sending_timestamp: Option<u64>,
    /// DL QFI Sequence Number, 24 bits (SNP set when present).
    pub dl_qfi_seq_number: Option<u32>,
    /// DL MBS QFI Sequence Number, 32 bits (MSNP set when present).
    pub dl_mbs_qfi_seq_number: Option<u32>,
}

impl DlPduSessionInfo {
    /// QoS flow `qfi` with no optional field.
    pub const fn new(qfi: u8) -> DlPduSessionInfo {
        DlPduSessionInfo {
            qfi,
            rqi: false,
            ppi: None,
            dl_sending_timestamp: None,
            dl_qfi_seq_number: None,
            dl_mbs_qfi_seq_number: None,
        }
    }
}

/// The three QoS-monitoring time stamps of a UL frame (present together,
/// announced by QMP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UlTimestamps {
    /// DL Sending Time Stamp Repeated.
    pub dl_sending_repeated: u64,
    /// DL Received Time Stamp.
    pub dl_received: u64,
    /// UL Sending Time Stamp.
    pub ul_sending: u64,
}

/// UL PDU SESSION INFORMATION (PDU Type 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UlPduSessionInfo {
    /// QoS Flow Identifier, 0..=63.
    pub qfi: u8,
    /// QoS monitoring time stamps (QMP).
    pub timestamps: Option<UlTimestamps>,
    /// DL Delay Result (DL Delay Ind).
    pub dl_delay_result: Option<u32>,
    /// UL Delay Result (UL Delay Ind).
    pub ul_delay_result: Option<u32>,
    /// UL QFI Sequence Number, 24 bits (SNP).
    pub ul_qfi_seq_number: Option<u32>,
    /// N3/N9 Delay Result (N3/N9 Delay Ind).
    pub n3n9_delay_result: Option<u32>,
    /// New IE Flags octet (New IE Flag). The fields it announces are not
    /// decoded.
    pub new_ie_flags: Option<u8>,
}

impl UlPduSessionInfo {
    /// QoS flow `qfi` with no optional field.
    pub const fn new(qfi: u8) -> UlPduSessionInfo {
        UlPduSessionInfo {
            qfi,
            timestamps: None,
            dl_delay_result: None,
            ul_delay_result: None,
            ul_qfi_seq_number: None,
            n3n9_delay_result: None,
            new_ie_flags: None,
        }
    }
}

/// The content of a PDU Session Container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduSessionInfo {
    /// Downlink (UPF to NG-RAN).
    Dl(DlPduSessionInfo),
    /// Uplink (NG-RAN to UPF).
    Ul(UlPduSessionInfo),
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.data.len() < n {
            return Err(Error::Malformed);
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u24(&mut self) -> Result<u32> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(read_u32(self.take(4)?))
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        Ok((u64::from(read_u32(&b[..4])) << 32) | u64::from(read_u32(&b[4..])))
    }
}

struct Writer<'a> {
    data: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.data[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }
}

impl PduSessionInfo {
    /// Parses the container content: the octets between the extension
    /// header's length octet and its next-type octet. `Err(Malformed)` when
    /// the fields the flags announce do not fit; `Err(Unsupported)` for a PDU
    /// Type other than 0 or 1.
    pub fn parse(content: &[u8]) -> Result<PduSessionInfo> {
        let mut r = Reader { data: content };
        let b0 = r.u8()?;
        let b1 = r.u8()?;
        let bit = |b: u8, n: u8| b & (1 << n) != 0;
        match b0 >> 4 {
            PDU_TYPE_DL => {
                let mut dl = DlPduSessionInfo::new(b1 & 0x3f);
                dl.rqi = bit(b1, 6);
                if bit(b1, 7) {
                    dl.ppi = Some(r.u8()? >> 5);
                }
                if bit(b0, 3) {
                    dl.dl_sending_timestamp = Some(r.u64()?);
                }
                if bit(b0, 2) {
                    dl.dl_qfi_seq_number = Some(r.u24()?);
                }
                if bit(b0, 1) {
                    dl.dl_mbs_qfi_seq_number = Some(r.u32()?);
                }
                Ok(PduSessionInfo::Dl(dl))
            }
            PDU_TYPE_UL => {
                let mut ul = UlPduSessionInfo::new(b1 & 0x3f);
                if bit(b0, 3) {
                    ul.timestamps = Some(UlTimestamps {
                        dl_sending_repeated: r.u64()?,
                        dl_received: r.u64()?,
                        ul_sending: r.u64()?,
                    });
                }
                if bit(b0, 2) {
                    ul.dl_delay_result = Some(r.u32()?);
                }
                if bit(b0, 1) {
                    ul.ul_delay_result = Some(r.u32()?);
                }
                if bit(b0, 0) {
                    ul.ul_qfi_seq_number = Some(r.u24()?);
                }
                if bit(b1, 7) {
                    ul.n3n9_delay_result = Some(r.u32()?);
                }
                if bit(b1, 6) {
                    ul.new_ie_flags = Some(r.u8()?);
                }
                Ok(PduSessionInfo::Ul(ul))
            }
            _ => Err(Error::Unsupported),
        }
    }

    /// Parses a whole extension header (`length | content | next type`), as
    /// found after a next-extension-header-type of 0x85. Returns the
    /// container and the next extension header type. `Err(Truncated)` when
    /// `ext` is shorter than the length octet claims; `Err(Malformed)` for a
    /// zero length.
    pub fn parse_ext_header(ext: &[u8]) -> Result<(PduSessionInfo, u8)> {
        let len = usize::from(*ext.first().ok_or(Error::Truncated)?) * 4;
        if len == 0 {
            return Err(Error::Malformed);
        }
        let ext = ext.get(..len).ok_or(Error::Truncated)?;
        Ok((PduSessionInfo::parse(&ext[1..len - 1])?, ext[len - 1]))
    }

    /// The QoS Flow Identifier.
    pub const fn qfi(&self) -> u8 {
        match self {
            PduSessionInfo::Dl(dl) => dl.qfi,
            PduSessionInfo::Ul(ul) => ul.qfi,
        }
    }

    /// The PDU Type: 0 (DL) or 1 (UL).
    pub const fn pdu_type(&self) -> u8 {
        match self {
            PduSessionInfo::Dl(_) => PDU_TYPE_DL,
            PduSessionInfo::Ul(_) => PDU_TYPE_UL,
        }
    }

    /// Octets of content without padding.
    pub const fn content_len(&self) -> usize {
        const fn opt<T>(o: &Option<T>, n: usize) -> usize {
            if o.is_some() {
                n
            } else {
                0
            }
        }
        match self {
            PduSessionInfo::Dl(dl) => {
                2 + opt(&dl.ppi, 1)
                    + opt(&dl.dl_sending_timestamp, 8)
                    + opt(&dl.dl_qfi_seq_number, 3)
                    + opt(&dl.dl_mbs_qfi_seq_number, 4)
            }
            PduSessionInfo::Ul(ul) => {
                2 + opt(&ul.timestamps, 24)
                    + opt(&ul.dl_delay_result, 4)
                    + opt(&ul.ul_delay_result, 4)
                    + opt(&ul.ul_qfi_seq_number, 3)
                    + opt(&ul.n3n9_delay_result, 4)
                    + opt(&ul.new_ie_flags, 1)
            }
        }
    }

    /// Octets of the whole extension header: length octet, content, zero
    /// padding and next-type octet, a multiple of 4.
    pub const fn buffer_len(&self) -> usize {
        (self.content_len() + 2).div_ceil(4) * 4
    }

    /// Writes the content (unpadded) into `buf`; returns its length.
    /// `Err(Truncated)` when `buf` is shorter than `content_len()`.
    /// Out-of-range QFI, PPI and sequence numbers are masked to their width.
    pub fn emit_content(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.content_len();
        let buf = buf.get_mut(..len).ok_or(Error::Truncated)?;
        let mut w = Writer { data: buf, pos: 0 };
        let flag = |b: bool, n: u8| if b { 1u8 << n } else { 0 };
        match self {
            PduSessionInfo::Dl(dl) => {
                w.put(&[
                    (PDU_TYPE_DL << 4)
                        | flag(dl.dl_sending_timestamp.is_some(), 3)
                        | flag(dl.dl_qfi_seq_number.is_some(), 2)
                        | flag(dl.dl_mbs_qfi_seq_number.is_some(), 1),
                    flag(dl.ppi.is_some(), 7) | flag(dl.rqi, 6) | (dl.qfi & 0x3f),
                ]);
                if let Some(ppi) = dl.ppi {
                    w.put(&[(ppi & 0x07) << 5]);
                }
                if let Some(ts) = dl.dl_sending_timestamp {
                    w.put(&ts.to_be_bytes());
                }
                if let Some(sn) = dl.dl_qfi_seq_number {
                    w.put(&sn.to_be_bytes()[1..]);
                }
                if let Some(sn) = dl.dl_mbs_qfi_seq_number {
                    w.put(&sn.to_be_bytes());
                }
            }
            PduSessionInfo::Ul(ul) => {
                w.put(&[
                    (PDU_TYPE_UL << 4)
                        | flag(ul.timestamps.is_some(), 3)
                        | flag(ul.dl_delay_result.is_some(), 2)
                        | flag(ul.ul_delay_result.is_some(), 1)
                        | flag(ul.ul_qfi_seq_number.is_some(), 0),
                    flag(ul.n3n9_delay_result.is_some(), 7)
                        | flag(ul.new_ie_flags.is_some(), 6)
                        | (ul.qfi & 0x3f),
                ]);
                if let Some(ts) = ul.timestamps {
                    w.put(&ts.dl_sending_repeated.to_be_bytes());
                    w.put(&ts.dl_received.to_be_bytes());
                    w.put(&ts.ul_sending.to_be_bytes());
                }
                for v in [ul.dl_delay_result, ul.ul_delay_result]
                    .into_iter()
                    .flatten()
                {
                    w.put(&v.to_be_bytes());
                }
                if let Some(sn) = ul.ul_qfi_seq_number {
                    w.put(&sn.to_be_bytes()[1..]);
                }
                if let Some(v) = ul.n3n9_delay_result {
                    w.put(&v.to_be_bytes());
                }
                if let Some(v) = ul.new_ie_flags {
                    w.put(&[v]);
                }
            }
        }
        Ok(w.pos)
    }

    /// Writes the whole extension header (length octet, content, zero
    /// padding to a multiple of 4, `next_ext_type`) at the start of `buf`;
    /// returns `buffer_len()`. `Err(Truncated)` when `buf` is too short.
    pub fn emit(&self, buf: &mut [u8], next_ext_type: u8) -> Result<usize> {
        let len = self.buffer_len();
        let ext = buf.get_mut(..len).ok_or(Error::Truncated)?;
        // A container is at most 2 + 1 + 8 + 3 + 4 or 2 + 24 + 16 + 1 octets,
        // so the length in 4-octet units always fits in one octet.
        ext[0] = (len / 4) as u8;
        let n = self.emit_content(&mut ext[1..len - 1])?;
        ext[1 + n..len - 1].fill(0);
        ext[len - 1] = next_ext_type;
        Ok(len)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    // UL, QFI 9: length 1, type 1, QFI 9, next 0.
    static UL_BYTES: [u8; 4] = [0x01, 0x10, 0x09, 0x00];
    // DL, QFI 5, RQI, PPI 3: length 2, content 00 45 60, one pad octet, next 0.
    static DL_PPI_BYTES: [u8; 8] = [0x02, 0x00, 0xc5, 0x60, 0x00, 0x00, 0x00, 0x00];

    #[test]
    fn test_parse() {
        let (ul, next) = PduSessionInfo::parse_ext_header(&UL_BYTES).unwrap();
        assert_eq!(ul, PduSessionInfo::Ul(UlPduSessionInfo::new(9)));
        assert_eq!(next, 0);
        let (dl, _) = PduSessionInfo::parse_ext_header(&DL_PPI_BYTES).unwrap();
        let want = DlPduSessionInfo {
            rqi: true,
            ppi: Some(3),
            ..DlPduSessionInfo::new(5)
        };
        assert_eq!(dl, PduSessionInfo::Dl(want));
    }

    #[test]
    fn test_emit() {
        let mut buf = [0xffu8; 8];
        let ul = PduSessionInfo::Ul(UlPduSessionInfo::new(9));
        assert_eq!(ul.emit(&mut buf, 0), Ok(4));
        assert_eq!(buf[..4], UL_BYTES);
        let dl = PduSessionInfo::Dl(DlPduSessionInfo {
            rqi: true,
            ppi: Some(3),
            ..DlPduSessionInfo::new(5)
        });
        assert_eq!(dl.emit(&mut buf, 0), Ok(8));
        assert_eq!(buf, DL_PPI_BYTES);
    }

    #[test]
    fn test_impossible_len() {
        // QMP announced, no room for the time stamp.
        assert_eq!(PduSessionInfo::parse(&[0x08, 0x05]), Err(Error::Malformed));
        assert_eq!(PduSessionInfo::parse(&[0x00]), Err(Error::Malformed));
        assert_eq!(
            PduSessionInfo::parse(&[0x20, 0x05]),
            Err(Error::Unsupported)
        );
        assert_eq!(
            PduSessionInfo::parse_ext_header(&[0x02, 0, 5, 0]),
            Err(Error::Truncated)
        );
        assert_eq!(
            PduSessionInfo::parse_ext_header(&[0x00, 0, 5, 0]),
            Err(Error::Malformed)
        );
    }
}
