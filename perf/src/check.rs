//! The receiver's validator: is a frame the UPF emitted the right one?
//!
//! Parsing here is written from the specifications (TS 29.281 for GTP-U,
//! TS 38.415 for the PDU Session Container), independently of the UPF's own
//! packet views, so the check does not share their mistakes.
//!
//! - Downlink output (toward the gNB, on N3): Ethernet to the gNB's MAC,
//!   outer IPv4 from the UPF's N3 address to the session's gNB, UDP to
//!   port 2152, a GTP-U G-PDU with the session's downlink TEID and a DL PDU
//!   Session Container carrying the session's QFI, then the inner packet
//!   intact but for TTL - 1 (and its checksum).
//! - Uplink output (toward the data network, on N6): Ethernet to the
//!   data-network MAC, the decapsulated inner packet intact but for TTL - 1.
//!
//! The session comes from the [`Stamp`] in the payload; every identifier is
//! then compared with what [`Sessions`] says. A frame that fails counts
//! once, under the first reason found ([`Wrong`]).

use crate::traffic::{
    fill_byte, ip_checksum, Direction, Sessions, Stamp, DN_PORT, EXT_PDU_SESSION_CONTAINER,
    GTPU_PORT, INNER_TTL, UE_PORT,
};

/// Why an emitted frame is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wrong {
    /// Shorter than its headers or than its length fields say.
    TooShort,
    /// Destination MAC not the expected next hop's.
    Mac,
    /// Not IPv4 (or not on the expected VLAN).
    NotIpv4,
    /// Outer IPv4 header checksum wrong.
    OuterChecksum,
    /// Outer source or destination address wrong.
    OuterAddress,
    /// Not UDP to port 2152, or not a GTP-U v1 G-PDU.
    NotGtpu,
    /// GTP-U TEID is not the session's downlink TEID.
    Teid,
    /// No PDU Session Container.
    MissingContainer,
    /// Container present but not DL PDU SESSION INFORMATION.
    ContainerType,
    /// QFI not the session's.
    Qfi,
    /// Inner IPv4 header malformed (version, length, protocol).
    InnerHeader,
    /// Inner source or destination address (or UDP ports) wrong.
    InnerAddress,
    /// Inner TTL not one less than sent.
    InnerTtl,
    /// Inner IPv4 header checksum wrong.
    InnerChecksum,
    /// No stamp (magic missing).
    NoStamp,
    /// Stamp names a session that does not exist.
    UnknownSession,
    /// Payload after the stamp differs from what was sent.
    Payload,
}

impl Wrong {
    /// Every reason, in order.
    pub const ALL: [Wrong; 17] = [
        Wrong::TooShort,
        Wrong::Mac,
        Wrong::NotIpv4,
        Wrong::OuterChecksum,
        Wrong::OuterAddress,
        Wrong::NotGtpu,
        Wrong::Teid,
        Wrong::MissingContainer,
        Wrong::ContainerType,
        Wrong::Qfi,
        Wrong::InnerHeader,
        Wrong::InnerAddress,
        Wrong::InnerTtl,
        Wrong::InnerChecksum,
        Wrong::NoStamp,
        Wrong::UnknownSession,
        Wrong::Payload,
    ];
    /// Number of reasons.
    pub const COUNT: usize = Self::ALL.len();

    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Wrong::TooShort => "too_short",
            Wrong::Mac => "mac",
            Wrong::NotIpv4 => "not_ipv4",
            Wrong::OuterChecksum => "outer_checksum",
            Wrong::OuterAddress => "outer_address",
            Wrong::NotGtpu => "not_gtpu",
            Wrong::Teid => "teid",
            Wrong::MissingContainer => "missing_container",
            Wrong::ContainerType => "container_type",
            Wrong::Qfi => "qfi",
            Wrong::InnerHeader => "inner_header",
            Wrong::InnerAddress => "inner_address",
            Wrong::InnerTtl => "inner_ttl",
            Wrong::InnerChecksum => "inner_checksum",
            Wrong::NoStamp => "no_stamp",
            Wrong::UnknownSession => "unknown_session",
            Wrong::Payload => "payload",
        }
    }
}

/// A right frame: its direction and stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Good {
    /// Direction the packet went through the UPF.
    pub dir: Direction,
    /// The stamp it carried.
    pub stamp: Stamp,
}

/// Checks frames against the session table and counts the results.
#[derive(Debug, Clone)]
pub struct Checker {
    sessions: Sessions,
    /// Expect a DL PDU Session Container on downlink output.
    pub expect_container: bool,
    /// Frames that passed, per direction (uplink, downlink).
    pub good: [u64; 2],
    /// Frames that failed, by reason.
    pub wrong: [u64; Wrong::COUNT],
}

#[inline]
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Checker {
    /// A checker for `sessions`, expecting containers on downlink.
    pub fn new(sessions: Sessions) -> Checker {
        Checker {
            sessions,
            expect_container: true,
            good: [0; 2],
            wrong: [0; Wrong::COUNT],
        }
    }

    /// The sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Checks a frame that left the UPF after going `dir` and counts it.
    #[inline]
    pub fn check(&mut self, dir: Direction, frame: &[u8]) -> Result<Good, Wrong> {
        let r = match dir {
            Direction::Uplink => self.uplink(frame),
            Direction::Downlink => self.downlink(frame),
        };
        match r {
            Ok(g) => self.good[usize::from(g.dir == Direction::Downlink)] += 1,
            Err(w) => self.wrong[w as usize] += 1,
        }
        r
    }

    /// Frames that failed, all reasons.
    pub fn total_wrong(&self) -> u64 {
        self.wrong.iter().sum()
    }

    /// Frames counted for `w`.
    pub fn count(&self, w: Wrong) -> u64 {
        self.wrong[w as usize]
    }

    /// Adds another checker's counts.
    pub fn merge(&mut self, o: &Checker) {
        for (a, b) in self.good.iter_mut().zip(o.good) {
            *a += b;
        }
        for (a, b) in self.wrong.iter_mut().zip(o.wrong) {
            *a += b;
        }
    }

    /// Skips Ethernet (and the expected 802.1Q tag); returns the offset of
    /// the IPv4 header.
    fn l2(&self, f: &[u8], mac: [u8; 6], vlan: Option<u16>) -> Result<usize, Wrong> {
        if f.len() < 14 {
            return Err(Wrong::TooShort);
        }
        if f[0..6] != mac {
            return Err(Wrong::Mac);
        }
        let mut at = 12;
        if let Some(v) = vlan {
            if f.len() < 18 || be16(f, 12) != 0x8100 || be16(f, 14) & 0x0fff != v {
                return Err(Wrong::NotIpv4);
            }
            at = 16;
        }
        if be16(f, at) != 0x0800 {
            return Err(Wrong::NotIpv4);
        }
        Ok(at + 2)
    }

    /// Checks the IPv4/UDP packet at `f[at..end]` as the inner packet the
    /// generator sent (with TTL - 1) and returns its stamp.
    fn inner(&self, f: &[u8], at: usize, end: usize, dir: Direction) -> Result<Stamp, Wrong> {
        let p = f.get(at..end).ok_or(Wrong::TooShort)?;
        if p.len() < 28 + Stamp::LEN {
            return Err(Wrong::TooShort);
        }
        if p[0] != 0x45 || p[9] != 17 || usize::from(be16(p, 2)) != p.len() {
            return Err(Wrong::InnerHeader);
        }
        if usize::from(be16(p, 24)) != p.len() - 20 {
            return Err(Wrong::InnerHeader);
        }
        let stamp = Stamp::read(&p[28..]).ok_or(Wrong::NoStamp)?;
        if stamp.session >= self.sessions.count {
            return Err(Wrong::UnknownSession);
        }
        let s = &self.sessions;
        let ue = s.ue(stamp.session).octets();
        let dn = s.topo.dn.octets();
        let (src, dst, sport, dport) = match dir {
            Direction::Uplink => (ue, dn, UE_PORT, DN_PORT),
            Direction::Downlink => (dn, ue, DN_PORT, UE_PORT),
        };
        if p[12..16] != src || p[16..20] != dst || be16(p, 20) != sport || be16(p, 22) != dport {
            return Err(Wrong::InnerAddress);
        }
        if p[8] != INNER_TTL - 1 {
            return Err(Wrong::InnerTtl);
        }
        if ip_checksum(&p[..20]) != 0 {
            return Err(Wrong::InnerChecksum);
        }
        let payload = &p[28..];
        if payload
            .iter()
            .enumerate()
            .skip(Stamp::LEN)
            .any(|(k, &b)| b != fill_byte(k))
        {
            return Err(Wrong::Payload);
        }
        Ok(stamp)
    }

    /// Checks uplink output: the decapsulated inner packet on N6.
    pub fn uplink(&self, f: &[u8]) -> Result<Good, Wrong> {
        let t = &self.sessions.topo;
        let at = self.l2(f, t.dn_mac, t.n6_vlan)?;
        if f.len() < at + 20 {
            return Err(Wrong::TooShort);
        }
        let end = at + usize::from(be16(f, at + 2));
        if end > f.len() {
            return Err(Wrong::TooShort);
        }
        let stamp = self.inner(f, at, end, Direction::Uplink)?;
        Ok(Good {
            dir: Direction::Uplink,
            stamp,
        })
    }

    /// Checks downlink output: the GTP-U encapsulated packet on N3.
    pub fn downlink(&self, f: &[u8]) -> Result<Good, Wrong> {
        let t = &self.sessions.topo;
        let ip = self.l2(f, t.gnb_mac, t.n3_vlan)?;
        if f.len() < ip + 20 {
            return Err(Wrong::TooShort);
        }
        if f[ip] >> 4 != 4 {
            return Err(Wrong::NotIpv4);
        }
        let ihl = usize::from(f[ip] & 0x0f) * 4;
        let total = usize::from(be16(f, ip + 2));
        if ihl < 20 || total < ihl + 8 + 8 || ip + total > f.len() {
            return Err(Wrong::TooShort);
        }
        if ip_checksum(&f[ip..ip + ihl]) != 0 {
            return Err(Wrong::OuterChecksum);
        }
        let udp = ip + ihl;
        if f[ip + 9] != 17 || be16(f, udp + 2) != GTPU_PORT {
            return Err(Wrong::NotGtpu);
        }
        let g = udp + 8;
        let flags = f[g];
        // Version 1, protocol type GTP, message type G-PDU.
        if flags >> 5 != 1 || flags & 0x10 == 0 || f[g + 1] != 0xff {
            return Err(Wrong::NotGtpu);
        }
        let end = ip + total;
        if g + 8 + usize::from(be16(f, g + 2)) != end {
            return Err(Wrong::NotGtpu);
        }
        let teid = be32(f, g + 4);
        let mut at = g + 8;
        let mut qfi = None;
        let mut container_type = None;
        if flags & 0x07 != 0 {
            if end < at + 4 {
                return Err(Wrong::TooShort);
            }
            let mut next = if flags & 0x04 != 0 { f[at + 3] } else { 0 };
            at += 4;
            while next != 0 {
                let len = usize::from(*f.get(at).ok_or(Wrong::TooShort)?) * 4;
                if len == 0 || at + len > end {
                    return Err(Wrong::NotGtpu);
                }
                if next == EXT_PDU_SESSION_CONTAINER && len >= 4 {
                    container_type = Some(f[at + 1] >> 4);
                    qfi = Some(f[at + 2] & 0x3f);
                }
                next = f[at + len - 1];
                at += len;
            }
        }
        // The session comes from the stamp; check the inner packet first so
        // that a wrong TEID or QFI is named as such, not as a bad session.
        let stamp = self.inner(f, at, end, Direction::Downlink)?;
        let s = &self.sessions;
        let i = stamp.session;
        if f[ip + 12..ip + 16] != t.upf_n3.octets() || f[ip + 16..ip + 20] != s.gnb(i).octets() {
            return Err(Wrong::OuterAddress);
        }
        if teid != s.dl_teid(i) {
            return Err(Wrong::Teid);
        }
        if self.expect_container {
            match container_type {
                None => return Err(Wrong::MissingContainer),
                Some(0) => {}
                Some(_) => return Err(Wrong::ContainerType),
            }
            if qfi != Some(s.qfi(i)) {
                return Err(Wrong::Qfi);
            }
        }
        Ok(Good {
            dir: Direction::Downlink,
            stamp,
        })
    }
}
