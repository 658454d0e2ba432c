//! The traffic model: what the load generator sends, as pure functions on
//! byte buffers (no DPDK), so that it is tested on its own.
//!
//! - [`Sessions`]: N PDU sessions whose identifiers are functions of the
//!   session index (UE address, TEIDs, QFI, SEID, gNB), so the generator,
//!   the rule installer and the validator agree without sharing a table.
//! - [`Generator`]: uplink GTP-U G-PDUs (with or without the PDU Session
//!   Container carrying UL PDU SESSION INFORMATION and the QFI) and
//!   downlink IP packets to UE addresses, built from templates made once
//!   and patched in place per packet (no allocation per packet).
//! - [`SizeMix`]: fixed sizes or IMIX.
//! - [`Stamp`]: the 16 bytes at the start of every inner UDP payload.
//! - [`Pacer`]: token pacing per burst on a cycle counter.
//!
//! # Sizes
//!
//! A size names the Ethernet frame of the *user* packet as it is on N6,
//! FCS included (RFC 2544 style): size 64 is a 46-byte inner IP packet.
//! Downlink frames entering the UPF are that frame (without FCS, which the
//! NIC adds); uplink frames carry the same inner packet in GTP-U, 36 bytes
//! more (44 with the PDU Session Container). IMIX is the simple IMIX, 7:4:1
//! of 64, 594 and 1518 bytes (inner IP packets of 46, 576 and 1500 bytes).
//!
//! # Payload
//!
//! Inner packets are IPv4/UDP (UE port [`UE_PORT`], server port
//! [`DN_PORT`], UDP checksum 0). The UDP payload starts with a [`Stamp`];
//! byte `k` of the payload after it is [`fill_byte`]`(k)`, so a receiver can
//! tell an intact payload from a corrupted one without a copy of it.

use core::net::Ipv4Addr;

/// UDP port of GTP-U (TS 29.281).
pub const GTPU_PORT: u16 = 2152;
/// Inner UDP port on the UE side.
pub const UE_PORT: u16 = 40000;
/// Inner UDP port on the data-network side.
pub const DN_PORT: u16 = 5001;
/// TTL of generated inner packets (the UPF forwards them with one less).
pub const INNER_TTL: u8 = 64;
/// TTL of generated outer (GTP-U transport) headers.
pub const OUTER_TTL: u8 = 64;
/// Ethernet header length.
pub const ETH_LEN: usize = 14;
/// 802.1Q tag length.
pub const VLAN_LEN: usize = 4;
/// IPv4 + UDP + GTP-U mandatory header.
pub const GTPU_OVERHEAD: usize = 20 + 8 + 8;
/// Optional GTP-U fields (sequence number, N-PDU number, next extension
/// type) plus a 4-octet PDU Session Container.
pub const PSC_OVERHEAD: usize = 4 + 4;
/// GTP-U extension header type of the PDU Session Container.
pub const EXT_PDU_SESSION_CONTAINER: u8 = 0x85;
/// Smallest size (the stamp must fit in the inner UDP payload).
pub const MIN_SIZE: u16 = 62;
/// Largest size.
pub const MAX_SIZE: u16 = 9018;
/// The simple IMIX: (size, weight).
pub const IMIX: [(u16, u8); 3] = [(64, 7), (594, 4), (1518, 1)];

/// Why a traffic configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No sessions, or more than the stamp can name.
    #[error("sessions must be 1..={max}", max = Stamp::MAX_SESSION)]
    Sessions,
    /// No QFI, or one outside 1..=63.
    #[error("QFIs must be 1..=63, at least one")]
    Qfi,
    /// A size outside [`MIN_SIZE`]..=[`MAX_SIZE`].
    #[error("size {0} outside {MIN_SIZE}..={MAX_SIZE}")]
    Size(u16),
    /// Neither uplink nor downlink.
    #[error("the direction mix sends nothing")]
    NoDirection,
    /// A VLAN id outside 1..=4094.
    #[error("VLAN id {0} outside 1..=4094")]
    Vlan(u16),
}

/// Which way a packet goes through the UPF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// gNB to data network: GTP-U in on N3, IP out on N6.
    Uplink,
    /// Data network to UE: IP in on N6, GTP-U out on N3.
    Downlink,
}

/// MAC and IP addresses of the test topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topology {
    /// The UPF's N3 address (GTP-U endpoint of every uplink tunnel).
    pub upf_n3: Ipv4Addr,
    /// The UPF's N6 address.
    pub upf_n6: Ipv4Addr,
    /// First gNB address; session `i` uses gNB `i % gnbs`.
    pub gnb: Ipv4Addr,
    /// Number of gNBs.
    pub gnbs: u32,
    /// The data-network server every UE talks to.
    pub dn: Ipv4Addr,
    /// First UE address; session `i` has `ue + i`.
    pub ue: Ipv4Addr,
    /// The UPF's N3 MAC (destination of uplink frames).
    pub upf_n3_mac: [u8; 6],
    /// The UPF's N6 MAC (destination of downlink frames).
    pub upf_n6_mac: [u8; 6],
    /// The gNB side's MAC (source of uplink frames, destination of the UPF's
    /// downlink output).
    pub gnb_mac: [u8; 6],
    /// The data-network side's MAC (source of downlink frames, destination
    /// of the UPF's uplink output).
    pub dn_mac: [u8; 6],
    /// 802.1Q VLAN of uplink frames (N3), if tagged.
    pub n3_vlan: Option<u16>,
    /// 802.1Q VLAN of downlink frames (N6), if tagged.
    pub n6_vlan: Option<u16>,
}

impl Default for Topology {
    /// The documentation addresses used throughout `perf/README.md`.
    fn default() -> Self {
        Topology {
            upf_n3: Ipv4Addr::new(192, 0, 2, 1),
            upf_n6: Ipv4Addr::new(198, 51, 100, 1),
            gnb: Ipv4Addr::new(192, 0, 2, 10),
            gnbs: 1,
            dn: Ipv4Addr::new(203, 0, 113, 5),
            ue: Ipv4Addr::new(10, 0, 0, 1),
            upf_n3_mac: [0x02, 0, 0, 0, 0x03, 0x01],
            upf_n6_mac: [0x02, 0, 0, 0, 0x06, 0x01],
            gnb_mac: [0x02, 0, 0, 0, 0x0a, 0x0a],
            dn_mac: [0x02, 0, 0, 0, 0xfe, 0xfe],
            n3_vlan: None,
            n6_vlan: None,
        }
    }
}

/// UPF-side TEIDs are `UL_TEID_BASE + i`.
pub const UL_TEID_BASE: u32 = 0x1000_0000;
/// gNB-side TEIDs are `DL_TEID_BASE + i`.
pub const DL_TEID_BASE: u32 = 0x2000_0000;

/// N sessions; every identifier is a function of the session index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sessions {
    /// Number of sessions.
    pub count: u32,
    /// QFIs; session `i` has QoS flow `qfis[i % len]`.
    pub qfis: Vec<u8>,
    /// Addresses.
    pub topo: Topology,
}

impl Sessions {
    /// `count` sessions over QFIs 1, 5, 6 and 9 in the default topology.
    pub fn new(count: u32) -> Self {
        Sessions {
            count,
            qfis: vec![1, 5, 6, 9],
            topo: Topology::default(),
        }
    }

    /// Checks the limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.count == 0 || self.count > Stamp::MAX_SESSION {
            return Err(ConfigError::Sessions);
        }
        if self.qfis.is_empty() || self.qfis.iter().any(|&q| q == 0 || q > 63) {
            return Err(ConfigError::Qfi);
        }
        for v in [self.topo.n3_vlan, self.topo.n6_vlan].into_iter().flatten() {
            if v == 0 || v > 4094 {
                return Err(ConfigError::Vlan(v));
            }
        }
        Ok(())
    }

    /// The UE's IPv4 address.
    #[inline]
    pub fn ue(&self, i: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.topo.ue).wrapping_add(i))
    }

    /// The session whose UE has address `a`.
    #[inline]
    pub fn index_of_ue(&self, a: Ipv4Addr) -> Option<u32> {
        let i = u32::from(a).wrapping_sub(u32::from(self.topo.ue));
        (i < self.count).then_some(i)
    }

    /// The UPF's TEID for the uplink tunnel (local F-TEID on N3).
    #[inline]
    pub fn ul_teid(&self, i: u32) -> u32 {
        UL_TEID_BASE.wrapping_add(i)
    }

    /// The gNB's TEID for the downlink tunnel.
    #[inline]
    pub fn dl_teid(&self, i: u32) -> u32 {
        DL_TEID_BASE.wrapping_add(i)
    }

    /// The session's QFI.
    #[inline]
    pub fn qfi(&self, i: u32) -> u8 {
        self.qfis[i as usize % self.qfis.len()]
    }

    /// The gNB serving the session.
    #[inline]
    pub fn gnb(&self, i: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.topo.gnb).wrapping_add(i % self.topo.gnbs.max(1)))
    }

    /// The session's SEID (on both sides).
    #[inline]
    pub fn seid(&self, i: u32) -> u64 {
        u64::from(i) + 1
    }
}

/// Packet sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeMix {
    /// Every packet this size.
    Fixed(u16),
    /// 7:4:1 of 64, 594 and 1518 bytes ([`IMIX`]).
    Imix,
}

/// The IMIX sequence: the 12 sizes of one period, spread out.
const IMIX_PATTERN: [u8; 12] = [0, 1, 0, 0, 1, 0, 2, 0, 1, 0, 0, 1];

impl SizeMix {
    /// Parses `64`, `594`, `imix`.
    pub fn parse(s: &str) -> Option<SizeMix> {
        if s.eq_ignore_ascii_case("imix") {
            Some(SizeMix::Imix)
        } else {
            s.parse().ok().map(SizeMix::Fixed)
        }
    }

    /// The distinct sizes.
    pub fn sizes(self) -> Vec<u16> {
        match self {
            SizeMix::Fixed(s) => vec![s],
            SizeMix::Imix => IMIX.iter().map(|&(s, _)| s).collect(),
        }
    }

    /// Index into [`Self::sizes`] of packet `n`.
    #[inline]
    pub fn class(self, n: u64) -> usize {
        match self {
            SizeMix::Fixed(_) => 0,
            SizeMix::Imix => usize::from(IMIX_PATTERN[(n % 12) as usize]),
        }
    }

    /// Mean size in bytes.
    pub fn mean(self) -> f64 {
        match self {
            SizeMix::Fixed(s) => f64::from(s),
            SizeMix::Imix => {
                let (sum, w) = IMIX.iter().fold((0u32, 0u32), |(s, w), &(sz, k)| {
                    (s + u32::from(sz) * u32::from(k), w + u32::from(k))
                });
                f64::from(sum) / f64::from(w)
            }
        }
    }

    /// A name for reports (`64`, `imix`).
    pub fn name(self) -> String {
        match self {
            SizeMix::Fixed(s) => s.to_string(),
            SizeMix::Imix => "imix".into(),
        }
    }
}

/// Whether uplink packets carry the PDU Session Container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PscMode {
    /// Every uplink packet.
    Always,
    /// None.
    Never,
    /// Every other packet of a session.
    Alternate,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficConfig {
    /// The sessions.
    pub sessions: Sessions,
    /// Sizes.
    pub sizes: SizeMix,
    /// Uplink packets per period of `uplink + downlink` packets.
    pub uplink: u32,
    /// Downlink packets per period.
    pub downlink: u32,
    /// PDU Session Container on uplink.
    pub psc: PscMode,
    /// Packet `k` of a direction goes to session `(k * stride) % sessions`:
    /// 1 visits sessions in order; larger strides spread a short capture
    /// over the whole table.
    pub stride: u32,
}

impl TrafficConfig {
    /// Uplink only, `sessions` sessions, fixed size 64, containers on every
    /// other packet.
    pub fn new(sessions: u32) -> Self {
        TrafficConfig {
            sessions: Sessions::new(sessions),
            sizes: SizeMix::Fixed(64),
            uplink: 1,
            downlink: 0,
            psc: PscMode::Alternate,
            stride: 1,
        }
    }

    /// Checks the limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.sessions.validate()?;
        for s in self.sizes.sizes() {
            if !(MIN_SIZE..=MAX_SIZE).contains(&s) {
                return Err(ConfigError::Size(s));
            }
        }
        if self.uplink == 0 && self.downlink == 0 {
            return Err(ConfigError::NoDirection);
        }
        Ok(())
    }

    /// The longest frame generated.
    pub fn max_frame_len(&self) -> usize {
        let big = self.sizes.sizes().into_iter().max().unwrap_or(64);
        inner_len(big) + ETH_LEN + VLAN_LEN + GTPU_OVERHEAD + PSC_OVERHEAD
    }
}

/// Inner IP packet length of a size.
#[inline]
pub fn inner_len(size: u16) -> usize {
    usize::from(size) - 18
}

/// Payload byte `k` (counted from the start of the inner UDP payload) for
/// `k >= Stamp::LEN`.
#[inline]
pub fn fill_byte(k: usize) -> u8 {
    (k as u8).wrapping_mul(31) ^ 0xa5
}

/// The 16 bytes at the start of every inner UDP payload:
///
/// ```text
/// 0..2   magic 0x5550 ("UP")
/// 2..5   session index (24 bits)
/// 5..9   sequence number (32 bits, wraps)
/// 9..16  TX time in ns since the generator's epoch (56 bits)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Session index.
    pub session: u32,
    /// Sequence number over all packets of the generator.
    pub seq: u32,
    /// TX time, ns.
    pub tx_ns: u64,
}

impl Stamp {
    /// Length on the wire.
    pub const LEN: usize = 16;
    /// The magic.
    pub const MAGIC: u16 = 0x5550;
    /// Largest session index + 1.
    pub const MAX_SESSION: u32 = 1 << 24;
    /// TX times wrap at 2^56 ns (about 2.3 years).
    pub const TS_MASK: u64 = (1 << 56) - 1;

    /// Writes the stamp at the start of `b` (at least [`Self::LEN`] bytes).
    #[inline]
    pub fn write(&self, b: &mut [u8]) {
        b[0..2].copy_from_slice(&Self::MAGIC.to_be_bytes());
        b[2..5].copy_from_slice(&self.session.to_be_bytes()[1..]);
        b[5..9].copy_from_slice(&self.seq.to_be_bytes());
        b[9..16].copy_from_slice(&(self.tx_ns & Self::TS_MASK).to_be_bytes()[1..]);
    }

    /// Reads a stamp; `None` when too short or the magic is wrong.
    #[inline]
    pub fn read(b: &[u8]) -> Option<Stamp> {
        let b = b.get(..Self::LEN)?;
        if u16::from_be_bytes([b[0], b[1]]) != Self::MAGIC {
            return None;
        }
        let session = u32::from_be_bytes([0, b[2], b[3], b[4]]);
        let seq = u32::from_be_bytes([b[5], b[6], b[7], b[8]]);
        let mut ts = [0u8; 8];
        ts[1..].copy_from_slice(&b[9..16]);
        Some(Stamp {
            session,
            seq,
            tx_ns: u64::from_be_bytes(ts),
        })
    }
}

/// The Internet checksum of `b` (RFC 1071), folded and complemented.
#[inline]
pub fn ip_checksum(b: &[u8]) -> u16 {
    let mut sum = 0u32;
    let mut chunks = b.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Which template a frame comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    UlPsc = 0,
    UlPlain = 1,
    Dl = 2,
}

/// A frame prepared once: static fields filled in, per-packet fields at
/// known offsets.
#[derive(Debug, Clone)]
struct Template {
    bytes: Vec<u8>,
    /// Offset of the outer IPv4 header (uplink) or of the inner one.
    l3: usize,
    /// Offset of the GTP-U header (uplink).
    gtpu: usize,
    /// Offset of the inner IPv4 header.
    inner: usize,
    /// Offset of the inner UDP payload (the stamp).
    payload: usize,
}

/// What [`Generator::write_next`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emitted {
    /// Direction.
    pub dir: Direction,
    /// Session index.
    pub session: u32,
    /// Sequence number.
    pub seq: u32,
    /// Frame length.
    pub len: usize,
    /// Whether it carries a PDU Session Container.
    pub psc: bool,
}

/// Builds the frames of a [`TrafficConfig`], one after the other.
#[derive(Debug, Clone)]
pub struct Generator {
    cfg: TrafficConfig,
    /// `[kind][size class]`.
    templates: [Vec<Template>; 3],
    seq: u64,
    ul_n: u64,
    dl_n: u64,
    period: u64,
}

fn put_eth(b: &mut Vec<u8>, dst: [u8; 6], src: [u8; 6], vlan: Option<u16>) {
    b.extend_from_slice(&dst);
    b.extend_from_slice(&src);
    if let Some(v) = vlan {
        b.extend_from_slice(&0x8100u16.to_be_bytes());
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(&0x0800u16.to_be_bytes());
}

/// An IPv4 header with checksum 0 (filled per packet).
fn put_ipv4(b: &mut Vec<u8>, total_len: usize, ttl: u8, src: Ipv4Addr, dst: Ipv4Addr) {
    b.extend_from_slice(&[0x45, 0]);
    b.extend_from_slice(&(total_len as u16).to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0, ttl, 17, 0, 0]);
    b.extend_from_slice(&src.octets());
    b.extend_from_slice(&dst.octets());
}

fn put_udp(b: &mut Vec<u8>, sport: u16, dport: u16, len: usize) {
    b.extend_from_slice(&sport.to_be_bytes());
    b.extend_from_slice(&dport.to_be_bytes());
    b.extend_from_slice(&(len as u16).to_be_bytes());
    b.extend_from_slice(&[0, 0]);
}

/// Inner IPv4/UDP packet of `len` bytes with the fill pattern after the
/// stamp's place.
fn put_inner(b: &mut Vec<u8>, len: usize, src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16) {
    put_ipv4(b, len, INNER_TTL, src, dst);
    put_udp(b, sport, dport, len - 20);
    b.extend_from_slice(&[0; Stamp::LEN]);
    b.extend((Stamp::LEN..len - 28).map(fill_byte));
}

impl Template {
    fn build(kind: Kind, size: u16, s: &Sessions) -> Template {
        let t = &s.topo;
        let inner = inner_len(size);
        let mut b = Vec::with_capacity(inner + 64);
        match kind {
            Kind::Dl => {
                put_eth(&mut b, t.upf_n6_mac, t.dn_mac, t.n6_vlan);
                let l3 = b.len();
                put_inner(&mut b, inner, t.dn, s.ue(0), DN_PORT, UE_PORT);
                Template {
                    bytes: b,
                    l3,
                    gtpu: 0,
                    inner: l3,
                    payload: l3 + 28,
                }
            }
            Kind::UlPsc | Kind::UlPlain => {
                let psc = kind == Kind::UlPsc;
                let ext = if psc { PSC_OVERHEAD } else { 0 };
                put_eth(&mut b, t.upf_n3_mac, t.gnb_mac, t.n3_vlan);
                let l3 = b.len();
                put_ipv4(
                    &mut b,
                    GTPU_OVERHEAD + ext + inner,
                    OUTER_TTL,
                    s.gnb(0),
                    t.upf_n3,
                );
                put_udp(&mut b, GTPU_PORT, GTPU_PORT, 16 + ext + inner);
                let gtpu = b.len();
                b.push(if psc { 0x34 } else { 0x30 });
                b.push(0xff);
                b.extend_from_slice(&((ext + inner) as u16).to_be_bytes());
                b.extend_from_slice(&s.ul_teid(0).to_be_bytes());
                if psc {
                    // Sequence number, N-PDU number, next extension type;
                    // the container: length 1, PDU type 1 (UL), QFI, none next.
                    b.extend_from_slice(&[0, 0, 0, EXT_PDU_SESSION_CONTAINER]);
                    b.extend_from_slice(&[1, 0x10, s.qfi(0), 0]);
                }
                let inner_at = b.len();
                put_inner(&mut b, inner, s.ue(0), t.dn, UE_PORT, DN_PORT);
                Template {
                    bytes: b,
                    l3,
                    gtpu,
                    inner: inner_at,
                    payload: inner_at + 28,
                }
            }
        }
    }
}

impl Generator {
    /// Prepares the templates.
    pub fn new(cfg: TrafficConfig) -> Result<Generator, ConfigError> {
        cfg.validate()?;
        let sizes = cfg.sizes.sizes();
        let mk = |k: Kind| -> Vec<Template> {
            sizes
                .iter()
                .map(|&z| Template::build(k, z, &cfg.sessions))
                .collect()
        };
        let templates = [mk(Kind::UlPsc), mk(Kind::UlPlain), mk(Kind::Dl)];
        let period = u64::from(cfg.uplink) + u64::from(cfg.downlink);
        Ok(Generator {
            cfg,
            templates,
            seq: 0,
            ul_n: 0,
            dl_n: 0,
            period,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TrafficConfig {
        &self.cfg
    }

    /// The sequence number of the next packet.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Restarts the sequence at `seq` (all counters derive from it).
    pub fn reset(&mut self, seq: u64) {
        self.seq = seq;
        let periods = seq / self.period;
        let rem = seq % self.period;
        let ul = u64::from(self.cfg.uplink);
        self.ul_n = periods * ul + rem.min(ul);
        self.dl_n = seq - self.ul_n;
    }

    #[inline]
    fn next_choice(&self) -> (Kind, u32, usize, u64) {
        let n = u64::from(self.cfg.sessions.count);
        let up = self.seq % self.period < u64::from(self.cfg.uplink);
        let (count, kind) = if up {
            let s = self.ul_n % n;
            let psc = match self.cfg.psc {
                PscMode::Always => true,
                PscMode::Never => false,
                PscMode::Alternate => (self.ul_n / n + s) & 1 == 0,
            };
            (self.ul_n, if psc { Kind::UlPsc } else { Kind::UlPlain })
        } else {
            (self.dl_n, Kind::Dl)
        };
        let class = self.cfg.sizes.class(self.seq);
        let session = (count.wrapping_mul(u64::from(self.cfg.stride.max(1)))) % n;
        (kind, session as u32, class, count)
    }

    /// Length of the next frame.
    #[inline]
    pub fn next_len(&self) -> usize {
        let (kind, _, class, _) = self.next_choice();
        self.templates[kind as usize][class].bytes.len()
    }

    /// Writes the next frame at the start of `out` (at least
    /// [`Self::next_len`] bytes), stamped with `now_ns`, and advances.
    #[inline]
    pub fn write_next(&mut self, now_ns: u64, out: &mut [u8]) -> Emitted {
        let (kind, i, class, _) = self.next_choice();
        let t = &self.templates[kind as usize][class];
        let len = t.bytes.len();
        let out = &mut out[..len];
        out.copy_from_slice(&t.bytes);
        let s = &self.cfg.sessions;
        let seq = self.seq as u32;
        match kind {
            Kind::Dl => {
                out[t.inner + 16..t.inner + 20].copy_from_slice(&s.ue(i).octets());
                self.dl_n += 1;
            }
            Kind::UlPsc | Kind::UlPlain => {
                if s.topo.gnbs > 1 {
                    out[t.l3 + 12..t.l3 + 16].copy_from_slice(&s.gnb(i).octets());
                }
                let c = ip_checksum(&out[t.l3..t.l3 + 20]);
                out[t.l3 + 10..t.l3 + 12].copy_from_slice(&c.to_be_bytes());
                out[t.gtpu + 4..t.gtpu + 8].copy_from_slice(&s.ul_teid(i).to_be_bytes());
                if kind == Kind::UlPsc {
                    out[t.gtpu + 14] = s.qfi(i);
                }
                out[t.inner + 12..t.inner + 16].copy_from_slice(&s.ue(i).octets());
                self.ul_n += 1;
            }
        }
        let c = ip_checksum(&out[t.inner..t.inner + 20]);
        out[t.inner + 10..t.inner + 12].copy_from_slice(&c.to_be_bytes());
        Stamp {
            session: i,
            seq,
            tx_ns: now_ns,
        }
        .write(&mut out[t.payload..]);
        self.seq += 1;
        Emitted {
            dir: if kind == Kind::Dl {
                Direction::Downlink
            } else {
                Direction::Uplink
            },
            session: i,
            seq,
            len,
            psc: kind == Kind::UlPsc,
        }
    }

    /// The next `n` frames as owned buffers (for pcap files and tests; the
    /// packet loop uses [`Self::write_next`]).
    pub fn frames(&mut self, n: usize, now_ns: u64) -> Vec<(Emitted, Vec<u8>)> {
        (0..n)
            .map(|_| {
                let mut b = vec![0; self.next_len()];
                let e = self.write_next(now_ns, &mut b);
                (e, b)
            })
            .collect()
    }
}

/// Token pacing per burst on a cycle counter (TSC): a send loop asks
/// [`Pacer::allowance`] how many packets it may send now and reports what
/// it sent with [`Pacer::sent`]. Credit never exceeds one burst, so a stall
/// is not followed by a burst above the rate.
#[derive(Debug, Clone)]
pub struct Pacer {
    /// Cycles per second of the counter.
    hz: u64,
    /// Packets per second; 0 = unlimited.
    pps: u64,
    /// Largest allowance.
    burst: u32,
    /// Cycle at which the next packet is due, in 1/2^16 cycles.
    next: u128,
    /// Cycles per packet, in 1/2^16 cycles.
    step: u128,
}

impl Pacer {
    /// A pacer at `pps` packets per second (0: unlimited) on a counter of
    /// `hz` cycles per second, starting at `now`.
    pub fn new(hz: u64, pps: u64, burst: u32, now: u64) -> Pacer {
        let step = if pps == 0 {
            0
        } else {
            (u128::from(hz) << 16) / u128::from(pps)
        };
        Pacer {
            hz,
            pps,
            burst: burst.max(1),
            next: u128::from(now) << 16,
            step,
        }
    }

    /// The configured rate.
    pub fn pps(&self) -> u64 {
        self.pps
    }

    /// The counter's frequency.
    pub fn hz(&self) -> u64 {
        self.hz
    }

    /// Packets that may be sent at cycle `now`, at most one burst.
    #[inline]
    pub fn allowance(&mut self, now: u64) -> u32 {
        if self.step == 0 {
            return self.burst;
        }
        let now = u128::from(now) << 16;
        // Credit is capped at one burst: fall behind by more and the
        // schedule restarts from now.
        let cap = self.step * u128::from(self.burst);
        if now >= self.next + cap {
            self.next = now + self.step - cap;
        }
        if now < self.next {
            return 0;
        }
        let due = (now - self.next) / self.step + 1;
        due.min(u128::from(self.burst)) as u32
    }

    /// Records `n` packets sent.
    #[inline]
    pub fn sent(&mut self, n: u32) {
        self.next += self.step * u128::from(n);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn stamp_round_trip() {
        let s = Stamp {
            session: 0xab_cdef,
            seq: 0x1234_5678,
            tx_ns: 0x00aa_bbcc_ddee_ff11,
        };
        let mut b = [0u8; 16];
        s.write(&mut b);
        assert_eq!(Stamp::read(&b), Some(s));
        b[0] ^= 1;
        assert_eq!(Stamp::read(&b), None);
        assert_eq!(Stamp::read(&b[..15]), None);
    }

    #[test]
    fn imix_proportions_and_mean() {
        let mut counts = [0; 3];
        for n in 0..1200 {
            counts[SizeMix::Imix.class(n)] += 1;
        }
        assert_eq!(counts, [700, 400, 100]);
        let mean = SizeMix::Imix.mean();
        assert!((mean - (7.0 * 64.0 + 4.0 * 594.0 + 1518.0) / 12.0).abs() < 1e-9);
    }

    #[test]
    fn direction_mix_and_reset() {
        let mut cfg = TrafficConfig::new(7);
        cfg.uplink = 1;
        cfg.downlink = 4;
        let mut g = Generator::new(cfg.clone()).unwrap();
        let frames = g.frames(100, 0);
        let ul = frames
            .iter()
            .filter(|(e, _)| e.dir == Direction::Uplink)
            .count();
        assert_eq!(ul, 20);
        // Sessions are visited in turn per direction.
        let dl: Vec<u32> = frames
            .iter()
            .filter(|(e, _)| e.dir == Direction::Downlink)
            .map(|(e, _)| e.session)
            .take(9)
            .collect();
        assert_eq!(dl, [0, 1, 2, 3, 4, 5, 6, 0, 1]);
        // Restarting at 37 gives what followed 37 the first time.
        let mut h = Generator::new(cfg).unwrap();
        h.reset(37);
        assert_eq!(h.frames(63, 0), frames[37..].to_vec());
    }

    #[test]
    fn checksums_valid() {
        let mut cfg = TrafficConfig::new(1000);
        cfg.sessions.topo.gnbs = 3;
        cfg.sizes = SizeMix::Imix;
        cfg.downlink = 1;
        let mut g = Generator::new(cfg).unwrap();
        for (e, f) in g.frames(50, 99) {
            let l3 = ETH_LEN;
            assert_eq!(ip_checksum(&f[l3..l3 + 20]), 0, "{e:?}");
            if e.dir == Direction::Uplink {
                let inner = l3 + GTPU_OVERHEAD + if e.psc { PSC_OVERHEAD } else { 0 };
                assert_eq!(ip_checksum(&f[inner..inner + 20]), 0);
            }
        }
    }

    #[test]
    fn pacer_holds_the_rate() {
        // 1 GHz counter, 1 Mpps, bursts of 32: polled every 10 µs for a
        // simulated second, exactly 1,000,000 packets go (plus the first).
        let hz = 1_000_000_000;
        let mut p = Pacer::new(hz, 1_000_000, 32, 0);
        let mut sent = 0u64;
        let mut t = 0;
        while t <= hz {
            let n = p.allowance(t);
            assert!(n <= 32);
            p.sent(n);
            sent += u64::from(n);
            t += 10_000;
        }
        assert!((1_000_000..=1_000_032).contains(&sent), "{sent}");
    }

    #[test]
    fn pacer_caps_credit_and_unlimited() {
        let mut p = Pacer::new(1_000_000_000, 1000, 8, 0);
        assert_eq!(p.allowance(0), 1);
        p.sent(1);
        assert_eq!(p.allowance(500_000), 0);
        assert_eq!(p.allowance(1_000_000), 1);
        p.sent(1);
        // A long stall earns one burst, not a second's worth.
        assert_eq!(p.allowance(5_000_000_000), 8);
        p.sent(8);
        assert_eq!(p.allowance(5_000_000_001), 0);
        let mut u = Pacer::new(1_000_000_000, 0, 32, 0);
        assert_eq!(u.allowance(0), 32);
        u.sent(32);
        assert_eq!(u.allowance(0), 32);
        // Fractional cycles per packet accumulate exactly: 3 pps on a
        // 10 Hz counter is one packet per 3.33 ticks.
        let mut f = Pacer::new(10, 3, 1, 0);
        let mut n = 0;
        for t in 0..100 {
            let a = f.allowance(t);
            f.sent(a);
            n += a;
        }
        assert_eq!(n, 30);
    }

    #[test]
    fn refuses_bad_configs() {
        let mut c = TrafficConfig::new(0);
        assert_eq!(c.validate(), Err(ConfigError::Sessions));
        c.sessions.count = 1;
        c.sizes = SizeMix::Fixed(40);
        assert_eq!(c.validate(), Err(ConfigError::Size(40)));
        c.sizes = SizeMix::Fixed(64);
        c.sessions.qfis = vec![64];
        assert_eq!(c.validate(), Err(ConfigError::Qfi));
    }
}
