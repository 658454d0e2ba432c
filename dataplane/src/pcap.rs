//! A small reader and writer for classic pcap files (not pcapng).
//!
//! Reads both byte orders and both timestamp resolutions (microseconds,
//! magic `a1b2c3d4`; nanoseconds, `a1b23c4d`); writes little-endian,
//! microsecond files, which every tool reads. No DPDK involved: tests, tools
//! and the benchmark harness use it to make and check `net_pcap` traffic.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Link type Ethernet.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Link type raw IP (IPv4 or IPv6, no link header).
pub const LINKTYPE_RAW: u32 = 101;

const MAGIC_US: u32 = 0xa1b2_c3d4;
const MAGIC_NS: u32 = 0xa1b2_3c4d;
/// Largest record the reader accepts (a corrupt length must not allocate
/// gigabytes).
const MAX_RECORD: u32 = 256 * 1024;

/// One captured packet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PcapPacket {
    /// Seconds since the epoch.
    pub ts_sec: u32,
    /// Nanoseconds within the second (microsecond files are scaled).
    pub ts_nsec: u32,
    /// Length on the wire (may exceed `data.len()` if the capture was cut).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: Vec<u8>,
}

/// Reads packets from a pcap stream.
#[derive(Debug)]
pub struct PcapReader<R> {
    r: R,
    swapped: bool,
    nanos: bool,
    linktype: u32,
    snaplen: u32,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl<R: Read> PcapReader<R> {
    /// Reads and checks the file header.
    pub fn new(mut r: R) -> io::Result<Self> {
        let mut h = [0u8; 24];
        r.read_exact(&mut h)?;
        let magic_le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let (swapped, nanos) = match magic_le {
            MAGIC_US => (false, false),
            MAGIC_NS => (false, true),
            m if m.swap_bytes() == MAGIC_US => (true, false),
            m if m.swap_bytes() == MAGIC_NS => (true, true),
            m => return Err(invalid(format!("not a pcap file (magic {m:#010x})"))),
        };
        let mut rd = PcapReader {
            r,
            swapped,
            nanos,
            linktype: 0,
            snaplen: 0,
        };
        let major = rd.u16_at(&h, 4);
        if major != 2 {
            return Err(invalid(format!("unsupported pcap version {major}")));
        }
        rd.snaplen = rd.u32_at(&h, 16);
        rd.linktype = rd.u32_at(&h, 20) & 0x0fff_ffff;
        Ok(rd)
    }

    fn u16_at(&self, b: &[u8], at: usize) -> u16 {
        let v = u16::from_le_bytes([b[at], b[at + 1]]);
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }

    fn u32_at(&self, b: &[u8], at: usize) -> u32 {
        let v = u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }

    /// The link type (e.g. [`LINKTYPE_ETHERNET`]).
    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// The snapshot length from the header.
    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    /// The next packet, or `None` at a clean end of file.
    pub fn next_packet(&mut self) -> io::Result<Option<PcapPacket>> {
        let mut h = [0u8; 16];
        let mut got = 0;
        while got < h.len() {
            match self.r.read(&mut h[got..]) {
                Ok(0) if got == 0 => return Ok(None),
                Ok(0) => return Err(invalid("truncated pcap record header")),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let ts_sec = self.u32_at(&h, 0);
        let frac = self.u32_at(&h, 4);
        let incl = self.u32_at(&h, 8);
        let orig_len = self.u32_at(&h, 12);
        if incl > MAX_RECORD {
            return Err(invalid(format!("pcap record of {incl} bytes")));
        }
        let mut data = vec![0u8; incl as usize];
        self.r
            .read_exact(&mut data)
            .map_err(|_| invalid("truncated pcap record"))?;
        let ts_nsec = if self.nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        Ok(Some(PcapPacket {
            ts_sec,
            ts_nsec,
            orig_len,
            data,
        }))
    }
}

impl<R: Read> Iterator for PcapReader<R> {
    type Item = io::Result<PcapPacket>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_packet().transpose()
    }
}

/// Reads every packet of a pcap file.
pub fn read_file(path: impl AsRef<Path>) -> io::Result<Vec<PcapPacket>> {
    PcapReader::new(BufReader::new(File::open(path)?))?.collect()
}

/// Writes a little-endian, microsecond pcap stream.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header (snaplen 65535).
    pub fn new(mut w: W, linktype: u32) -> io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&MAGIC_US.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&65535u32.to_le_bytes());
        h.extend_from_slice(&linktype.to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter { w })
    }

    /// Writes one packet with a timestamp in seconds and nanoseconds
    /// (stored as microseconds).
    pub fn write_packet(&mut self, ts_sec: u32, ts_nsec: u32, data: &[u8]) -> io::Result<()> {
        let len = u32::try_from(data.len()).map_err(|_| invalid("packet too long"))?;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&ts_sec.to_le_bytes());
        h[4..8].copy_from_slice(&(ts_nsec / 1000).to_le_bytes());
        h[8..12].copy_from_slice(&len.to_le_bytes());
        h[12..16].copy_from_slice(&len.to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(data)
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Writes `packets` as an Ethernet pcap file, one per microsecond from 0.
pub fn write_file<'a>(
    path: impl AsRef<Path>,
    packets: impl IntoIterator<Item = &'a [u8]>,
) -> io::Result<()> {
    let mut w = PcapWriter::new(BufWriter::new(File::create(path)?), LINKTYPE_ETHERNET)?;
    for (i, p) in packets.into_iter().enumerate() {
        let us = i as u64;
        w.write_packet((us / 1_000_000) as u32, ((us % 1_000_000) * 1000) as u32, p)?;
    }
    w.into_inner()?.flush()
}

#[cfg(test)]
mod test {
    use super::*;

    /// A one-packet file as tcpdump writes it on a little-endian machine:
    /// header (magic, 2.4, zone 0, sigfigs 0, snaplen 262144, Ethernet), one
    /// record at 1.000002 s of 4 bytes of 6.
    static LE_FILE: [u8; 44] = [
        0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x04,
        0x00, 0x01, 0, 0, 0, 0x01, 0, 0, 0, 0x02, 0, 0, 0, 0x04, 0, 0, 0, 0x06, 0, 0, 0, 0xde,
        0xad, 0xbe, 0xef,
    ];

    #[test]
    fn read_little_endian() {
        let mut r = PcapReader::new(&LE_FILE[..]).unwrap();
        assert_eq!(r.linktype(), LINKTYPE_ETHERNET);
        assert_eq!(r.snaplen(), 262_144);
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(
            p,
            PcapPacket {
                ts_sec: 1,
                ts_nsec: 2000,
                orig_len: 6,
                data: vec![0xde, 0xad, 0xbe, 0xef]
            }
        );
        assert!(r.next_packet().unwrap().is_none());
    }

    #[test]
    fn read_big_endian_nanoseconds() {
        let mut f = vec![
            0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0,
            1,
        ];
        f.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0, 2, 0xaa, 0xbb]);
        let pk: Vec<_> = PcapReader::new(&f[..])
            .unwrap()
            .collect::<io::Result<_>>()
            .unwrap();
        assert_eq!(
            pk,
            vec![PcapPacket {
                ts_sec: 7,
                ts_nsec: 9,
                orig_len: 2,
                data: vec![0xaa, 0xbb]
            }]
        );
    }

    #[test]
    fn write_matches_reference_bytes() {
        let mut w = PcapWriter::new(Vec::new(), LINKTYPE_ETHERNET).unwrap();
        w.write_packet(1, 2000, &[0xde, 0xad, 0xbe, 0xef]).unwrap();
        let out = w.into_inner().unwrap();
        // Same as LE_FILE but snaplen 65535 and orig_len = caplen.
        let mut want = LE_FILE.to_vec();
        want[16..20].copy_from_slice(&65535u32.to_le_bytes());
        want[36..40].copy_from_slice(&4u32.to_le_bytes());
        assert_eq!(out, want);
    }

    #[test]
    fn truncated_and_garbage_are_errors() {
        assert!(PcapReader::new(&LE_FILE[..10]).is_err());
        assert!(PcapReader::new(&[0u8; 24][..]).is_err());
        let mut r = PcapReader::new(&LE_FILE[..42]).unwrap();
        assert!(r.next_packet().is_err());
        let mut r = PcapReader::new(&LE_FILE[..30]).unwrap();
        assert!(r.next_packet().is_err());
        let mut big = LE_FILE.to_vec();
        big[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(PcapReader::new(&big[..]).unwrap().next_packet().is_err());
    }
}
