//! The per-packet processing path, stage by stage, as TS 29.244 §5.2 and
//! TS 29.281 describe it:
//!
//! ```text
//! classify -> gtpu_input -> session lookup -> pdr_match -> qer -> urr -> far
//!          -> decap (outer header removal) / encap (outer header creation) -> verdict
//! ```
//!
//! Each stage lives in its own module and ends in a [`Verdict`] or hands the
//! packet on. Direction (uplink or downlink) is per-packet metadata, so both
//! directions share the stages, and GTP-U may arrive or leave on either side
//! (N3 toward the RAN, N9 toward another UPF).
//!
//! The path works on a [`PacketBuf`] holding one Ethernet frame and edits it
//! in place. It does not allocate, lock or panic; `now` is an argument.
//!
//! Buffer contents by verdict:
//! - [`Verdict::Forward`] and [`Verdict::Reply`]: an IP packet (the Ethernet
//!   header was removed); the caller adds the link-layer header.
//! - [`Verdict::Control`] and [`Verdict::Drop`]: the frame as received.

mod classify;
#[cfg(test)]
mod differential;
mod encap;
mod far;
mod gtpu_input;
mod local;
mod pdr_match;
mod qer;
mod urr;

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use local::{arp_reply, neighbor_advertisement};

use crate::buf::PacketBuf;
use crate::compile::SessionRules;
use crate::counters::{DropReason, LocalCounters, Stat};
use crate::qos::Color;
use crate::rules::Interface;
use crate::tables::Tables;
use crate::wire::EthernetAddress;

/// What to do with a packet after the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send the IP packet in the buffer out of `egress`, toward `next_hop`.
    Forward {
        /// Interface to send on.
        egress: Interface,
        /// Next hop: the tunnel peer, or the packet's destination.
        next_hop: IpAddr,
    },
    /// Send the IP packet in the buffer back where the frame came from.
    Reply {
        /// Link-layer address the frame came from.
        peer_mac: EthernetAddress,
    },
    /// Hand the frame, unchanged, to the control thread.
    Control(ControlEvent),
    /// Drop the frame.
    Drop(DropReason),
}

/// Why a frame goes to the control thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlEvent {
    /// ARP: neighbour learning and answering for UPF addresses.
    Arp,
    /// IPv6 neighbour or router discovery.
    Ndp,
    /// GTP-U Echo Response from a peer (path supervision).
    GtpuEchoResponse,
    /// GTP-U Error Indication from a peer: reported to the SMF.
    GtpuErrorIndication,
    /// GTP-U Supported Extension Headers Notification from a peer.
    GtpuSupportedExtensions,
    /// The FAR buffers this packet.
    Buffer {
        /// Local SEID of the session.
        seid: u64,
        /// The PDR that detected it.
        pdr_id: u16,
        /// The FAR that buffers.
        far_id: u32,
        /// NOCP: the SMF wants a Downlink Data Report.
        notify: bool,
    },
}

/// How the path treats packets: the UPF's addresses and options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathConfig {
    /// IPv4 address on the access side (N3 GTP-U endpoint).
    pub access_v4: Option<Ipv4Addr>,
    /// IPv6 address on the access side.
    pub access_v6: Option<Ipv6Addr>,
    /// IPv4 address on the core side (N9 GTP-U endpoint, N6).
    pub core_v4: Option<Ipv4Addr>,
    /// IPv6 address on the core side.
    pub core_v6: Option<Ipv6Addr>,
    /// Add a PDU Session Container with the QFI to packets sent toward the access side.
    pub dl_pdu_session_container: bool,
    /// TTL / hop limit of created outer headers.
    pub outer_ttl: u8,
    /// Largest IP packet sent (after encapsulation).
    pub mtu: u16,
    /// Error Indications sent per second for unknown TEIDs (per worker).
    pub error_indication_rate: u32,
    /// Leave each forwarded packet's QFI in [`PathState::fwd_qfi`] for an
    /// egress scheduler (off when nothing is scheduled: reading the QoS
    /// marking costs a cache line per packet).
    pub egress_qos: bool,
}

impl Default for PathConfig {
    fn default() -> Self {
        PathConfig {
            access_v4: None,
            access_v6: None,
            core_v4: None,
            core_v6: None,
            dl_pdu_session_container: true,
            outer_ttl: 64,
            mtu: 1500,
            egress_qos: false,
            error_indication_rate: 100,
        }
    }
}

impl PathConfig {
    /// Whether `a` is one of the UPF's addresses.
    #[inline]
    pub fn is_local_v4(&self, a: Ipv4Addr) -> bool {
        self.access_v4 == Some(a) || self.core_v4 == Some(a)
    }

    /// Whether `a` is one of the UPF's addresses.
    #[inline]
    pub fn is_local_v6(&self, a: Ipv6Addr) -> bool {
        self.access_v6 == Some(a) || self.core_v6 == Some(a)
    }

    /// The UPF's IPv4 address on `iface` (access addresses on the access
    /// side, core addresses elsewhere, falling back to the other).
    pub fn source_v4(&self, iface: Interface) -> Option<Ipv4Addr> {
        if iface == Interface::Access {
            self.access_v4.or(self.core_v4)
        } else {
            self.core_v4.or(self.access_v4)
        }
    }

    /// The UPF's IPv6 address on `iface`.
    pub fn source_v6(&self, iface: Interface) -> Option<Ipv6Addr> {
        if iface == Interface::Access {
            self.access_v6.or(self.core_v6)
        } else {
            self.core_v6.or(self.access_v6)
        }
    }
}

/// A token bucket counting in whole events, refilled from `now`.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    rate_per_s: u32,
    tokens: u32,
    last_ns: u64,
}

impl RateLimiter {
    /// Allows `rate_per_s` events per second, in bursts of up to that many.
    pub fn new(rate_per_s: u32) -> Self {
        RateLimiter {
            rate_per_s,
            tokens: rate_per_s,
            last_ns: 0,
        }
    }

    /// Takes a token if one is left.
    #[inline]
    pub fn allow(&mut self, now_ns: u64) -> bool {
        let elapsed = now_ns.saturating_sub(self.last_ns);
        let refill = (u128::from(elapsed) * u128::from(self.rate_per_s) / 1_000_000_000) as u64;
        if refill > 0 {
            self.tokens = (u64::from(self.tokens) + refill).min(u64::from(self.rate_per_s)) as u32;
            self.last_ns = now_ns;
        }
        if self.tokens > 0 {
            self.tokens -= 1;
            true
        } else {
            false
        }
    }
}

/// The mutable state of one worker's path.
#[derive(Debug)]
pub struct PathState {
    /// Counters by stage and drop reason (plain integers: the worker owns
    /// them and publishes copies).
    pub counters: LocalCounters,
    /// Limits Error Indications for unknown TEIDs.
    pub error_indications: RateLimiter,
    /// Identification of the next created IPv4 header.
    pub ip_ident: u16,
    /// QFI of the last forwarded packet (the QoS flow it leaves in), for
    /// the egress scheduler: set with every [`Verdict::Forward`] that
    /// carries user data, read right after it (only with
    /// [`PathConfig::egress_qos`]).
    pub fwd_qfi: Option<u8>,
    /// Meter color of the last forwarded packet: green is within the
    /// flow's guaranteed bit rate.
    pub fwd_color: Color,
}

impl PathState {
    /// Fresh state for `cfg`.
    pub fn new(cfg: &PathConfig) -> Self {
        PathState {
            counters: LocalCounters::default(),
            error_indications: RateLimiter::new(cfg.error_indication_rate),
            ip_ident: 0,
            fwd_qfi: None,
            fwd_color: Color::Yellow,
        }
    }
}

/// Everything a stage reads.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a PathConfig,
    pub tables: &'a Tables,
    pub now_ns: u64,
    /// A session the packet is believed to belong to (named by the NIC's
    /// flow mark): used instead of the index lookup when it owns the
    /// packet's key, ignored otherwise.
    pub hint: Option<&'a SessionRules>,
}

impl<'a> Ctx<'a> {
    /// The session of tunnel `teid` at `addr`.
    #[inline]
    pub fn tunnel(&self, teid: u32, addr: IpAddr) -> Option<&'a SessionRules> {
        if let Some(h) = self.hint {
            if h.tunnel_keys_repeated()
                .any(|k| k.teid == teid && k.addr == addr)
            {
                return Some(h);
            }
        }
        self.tables.lookup_tunnel(teid, addr).map(|r| &**r)
    }

    /// The session of UE IPv4 address `a`.
    #[inline]
    pub fn ue_v4(&self, a: Ipv4Addr) -> Option<&'a SessionRules> {
        if let Some(h) = self.hint {
            if h.ue_v4_repeated()
                .any(|(p, l)| crate::compile::mask_v4(a, l) == p)
            {
                return Some(h);
            }
        }
        self.tables.lookup_ue_v4(a).map(|r| &**r)
    }

    /// The session of UE IPv6 address `a`.
    #[inline]
    pub fn ue_v6(&self, a: Ipv6Addr) -> Option<&'a SessionRules> {
        if let Some(h) = self.hint {
            if h.ue_v6_repeated()
                .any(|(p, l)| crate::compile::mask_v6(a, l) == p)
            {
                return Some(h);
            }
        }
        self.tables.lookup_ue_v6(a).map(|r| &**r)
    }
}

/// Runs one frame that arrived on an `ingress` interface through the path.
#[inline]
pub fn process<B: PacketBuf>(
    cfg: &PathConfig,
    tables: &Tables,
    state: &mut PathState,
    ingress: Interface,
    buf: &mut B,
    now_ns: u64,
) -> Verdict {
    process_hinted(cfg, tables, state, ingress, buf, now_ns, None)
}

/// [`process`] with a session the packet is believed to belong to, such as
/// the one a NIC's flow mark names. The hint replaces the index lookup only
/// when the hinted session owns the packet's key (its tunnel or UE
/// address), so a stale or wrong hint changes nothing: the result is the
/// same as [`process`]'s.
#[inline]
pub fn process_hinted<B: PacketBuf>(
    cfg: &PathConfig,
    tables: &Tables,
    state: &mut PathState,
    ingress: Interface,
    buf: &mut B,
    now_ns: u64,
    hint: Option<&SessionRules>,
) -> Verdict {
    state.counters.stat(Stat::Rx);
    let ctx = Ctx {
        cfg,
        tables,
        now_ns,
        hint,
    };
    let verdict = classify::classify(&ctx, state, ingress, buf);
    match verdict {
        Verdict::Drop(reason) => state.counters.drop(reason),
        // Buffered packets are counted as `buffered` (the dataplane keeps
        // them), everything else handed over as `to_control`.
        Verdict::Control(ControlEvent::Buffer { .. }) => {}
        Verdict::Control(_) => state.counters.stat(Stat::ToControl),
        Verdict::Forward { .. } | Verdict::Reply { .. } => {}
    }
    verdict
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn rate_limiter_refills() {
        let mut r = RateLimiter::new(2);
        assert!(r.allow(0));
        assert!(r.allow(0));
        assert!(!r.allow(1000));
        assert!(r.allow(500_000_000));
        assert!(!r.allow(500_000_001));
        assert!(r.allow(2_000_000_000));
        assert!(r.allow(2_000_000_000));
        assert!(!r.allow(2_000_000_000));
    }
}
