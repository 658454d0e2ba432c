//! Compiling a [`Session`] into the immutable [`SessionRules`] the fast path reads.
//!
//! Compilation happens on the control side. It sorts PDRs by precedence,
//! resolves FAR/QER/URR IDs to dense indices, resolves `assigned` in SDF
//! filters to the UE's addresses, and collects the keys the lookup tables
//! index the session by. Usage counters are carried over from the previous
//! version by URR ID, so rule changes never lose counts.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use arrayvec::ArrayVec;

use crate::qos::{Meter, MeterConfig};
use crate::rules::{
    ApplyAction, Bar, BarId, BitRate, FTeid, Far, ForwardingParameters, GateStatus, Interface,
    OuterHeaderCreation, OuterHeaderCreationKind, OuterHeaderRemoval, Pdi, Pdr, PdrId, Qer,
    Session, TransportLevelMarking, UeIpAddress, Urr,
};
use crate::rules::{RuleError, MAX_REFS_PER_PDR};
use crate::sdf::{Assigned, SdfFilter};
use crate::usage::UsageCounters;

/// Index meaning "none" in compiled references.
pub const NONE: u16 = u16::MAX;

/// Default IPv6 prefix length of a UE address when the SMF gives none.
pub const DEFAULT_UE_V6_PREFIX: u8 = 64;

/// Key of the uplink (tunnel) index: TEID and local address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunnelKey {
    /// Local TEID.
    pub teid: u32,
    /// Local address the tunnel terminates on.
    pub addr: IpAddr,
}

impl core::hash::Hash for TunnelKey {
    /// One word per key: the TEID carries the entropy, the address (one of
    /// the UPF's few) is folded in.
    #[inline]
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        let a = match self.addr {
            IpAddr::V4(a) => u64::from(u32::from(a)),
            IpAddr::V6(a) => {
                let b = u128::from(a);
                (b as u64) ^ ((b >> 64) as u64) ^ (1 << 63)
            }
        };
        state.write_u64((u64::from(self.teid) << 32) ^ a);
    }
}

/// A compiled PDR.
///
/// `repr(C)`, with what the packet path reads for every packet first (up
/// to [`PDR_HOT_BYTES`]) and the rest after, so that the dataplane
/// prefetches only the lines a packet needs.
#[derive(Debug, Clone)]
#[repr(C)]
pub struct CompiledPdr {
    // Read per packet.
    /// Untunnelled packets may match this PDR (no local F-TEID, no QFI)
    /// when they arrive on: bit 0, the access side; bit 1, any other side
    /// whose PDRs this one's source interface serves (see
    /// [`CompiledPdr::plain_ingress_bit`]).
    pub plain_from: u8,
    /// The SDF filters detect every packet that passes the UE address check
    /// (none, or one like `permit out ip from any to assigned`), so the
    /// inner packet's ports need not be read.
    pub sdf_trivial: bool,
    /// SDF filters are read in the uplink sense (source interface ACCESS).
    pub uplink: bool,
    /// Some QER of the PDR closes the gate of the PDR's direction.
    pub gate_closed: bool,
    /// Outer Header Removal removes a GTP-U tunnel header.
    pub removes_gtpu: bool,
    /// Required QFI.
    pub qfi: Option<u8>,
    /// Index into [`SessionRules::encaps`] of the outer header this PDR's
    /// packets get, prebuilt, when it does not depend on the packet (IPv4
    /// GTP-U with a QFI known at compile time); [`NO_ENCAP`] if none.
    pub encap: u8,
    /// Index into [`SessionRules::fteids`] of the local F-TEID (packets
    /// must arrive in its tunnel), or [`NONE`]: PDRs sharing a CHOOSE ID
    /// share one.
    pub fteid: u16,
    /// The local F-TEID's TEID (0 without one).
    pub teid: u32,
    /// UE address and S/D.
    pub ue_ip: Option<UeIpAddress>,
    /// The FAR's action (`None`: the PDR has no FAR).
    pub action: Option<FarAction>,
    /// Usage counters of the PDR's URRs.
    pub usage: Refs<Arc<UsageCounters>>,
    /// The meters of the PDR's QERs for the PDR's direction, in order.
    pub meters: Refs<Arc<Meter>>,
    // Read by the control side and the general stages only.
    /// The PDI's SDF filters, Network Instance and rarer parts, shared
    /// with every PDR (of any session) that has the same
    /// ([`crate::intern`]).
    pub pdi: Arc<PdiShared>,
    /// Indices into [`SessionRules::qers`], applied in order.
    pub qers: Indices,
    /// Indices into [`SessionRules::urrs`].
    pub urrs: Indices,
    /// Position of the PDR in the session's PDR list (given back by
    /// [`SessionRules::to_session`]).
    pub order: u16,
    /// The FAR's ID.
    pub far_id: u32,
    /// Precedence.
    pub precedence: u32,
    /// PDR ID.
    pub id: PdrId,
    /// Index into [`SessionRules::fars`], or [`NONE`].
    pub far: u16,
    /// Source interface.
    pub source_interface: Interface,
    /// Outer Header Removal.
    pub outer_header_removal: Option<OuterHeaderRemoval>,
    /// QoS marking for packets sent into a tunnel: QFI, RQI, PPI of the
    /// first QER that sets a QFI.
    pub marking: Option<(u8, bool, Option<u8>)>,
}

/// The parts of a PDI beside its keys, as given: sessions of one DNN and
/// one SMF repeat them (SDF filters are written against `assigned`), so
/// compiled PDRs share one copy of each distinct value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PdiShared {
    /// SDF filters (any match detects; empty detects all).
    pub sdf: Box<[SdfFilter]>,
    /// Network Instance.
    pub network_instance: Option<Box<[u8]>>,
    /// Application ID.
    pub application_id: Option<Box<[u8]>>,
    /// Framed routes, IPv4.
    pub framed_routes_v4: Box<[(Ipv4Addr, u8)]>,
    /// Framed routes, IPv6.
    pub framed_routes_v6: Box<[(Ipv6Addr, u8)]>,
}

/// Bytes at the front of a [`CompiledPdr`] that the packet path reads for
/// every packet.
pub const PDR_HOT_BYTES: usize = core::mem::offset_of!(CompiledPdr, pdi);

impl CompiledPdr {
    /// Whether packets that arrive in a tunnel can match it: it has a local
    /// F-TEID (the PDR match and its start, [`SessionRules::first_pdr`],
    /// both ask this).
    #[inline]
    pub fn takes_tunnel(&self) -> bool {
        self.fteid != NONE
    }

    /// Whether packets that arrive outside a tunnel can match it on some
    /// ingress (see [`CompiledPdr::plain_ingress_bit`]).
    #[inline]
    pub fn takes_plain(&self) -> bool {
        self.plain_from != 0
    }

    /// The bit of [`CompiledPdr::plain_from`] for packets arriving on `ingress`.
    #[inline]
    pub fn plain_ingress_bit(ingress: Interface) -> u8 {
        if ingress == Interface::Access {
            1
        } else {
            2
        }
    }
}

/// [`CompiledPdr::encap`] of a PDR without a prebuilt outer header.
pub const NO_ENCAP: u8 = u8::MAX;

/// A prebuilt outer IPv4/UDP/GTP-U header (with the PDU Session Container
/// when the PDR's packets carry one). Total length, identification, TTL,
/// source address and checksums are left zero and written per packet.
/// PDRs that forward into the same tunnel with the same marking share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncapTemplate {
    /// The header bytes.
    pub bytes: [u8; ENCAP_TEMPLATE_MAX],
    /// How many of them.
    pub len: u8,
    /// The tunnel peer.
    pub dst: Ipv4Addr,
    /// Whether it carries a PDU Session Container.
    pub with_psc: bool,
    /// The one's-complement sum (not folded) of the IPv4 header's fixed
    /// 16-bit words, so the checksum needs only the per-packet fields.
    pub ip_sum: u32,
}

/// Largest prebuilt outer header: IPv4 20, UDP 8, GTP-U 12, container 8.
pub const ENCAP_TEMPLATE_MAX: usize = 48;

fn encap_template(pdr: &CompiledPdr) -> Option<EncapTemplate> {
    use crate::wire::{
        DlPduSessionInfo, GtpuPacket, GtpuRepr, IpProtocol, Ipv4Packet, Ipv4Repr, PduSessionInfo,
        UdpPacket, UlPduSessionInfo,
    };
    let Some(FarAction::Forward(fwd)) = &pdr.action else {
        return None;
    };
    let ohc = fwd.outer_header_creation?;
    if ohc.kind != OuterHeaderCreationKind::GtpuUdpIpv4 {
        return None;
    }
    let dst = ohc.ipv4?;
    // The marking must not depend on the QFI a packet arrives with.
    let marking = match (pdr.marking, pdr.fteid == NONE) {
        (Some(m), _) => Some(m),
        (None, true) => pdr.qfi.map(|q| (q, false, None)),
        (None, false) => return None,
    };
    let psc = match (fwd.destination, marking) {
        (Interface::Access, Some((qfi, rqi, ppi))) => Some(PduSessionInfo::Dl(DlPduSessionInfo {
            rqi,
            ppi,
            ..DlPduSessionInfo::new(qfi)
        })),
        (Interface::Core, Some((qfi, _, _))) => {
            Some(PduSessionInfo::Ul(UlPduSessionInfo::new(qfi)))
        }
        _ => None,
    };
    let gtp = GtpuRepr {
        pdu_session: psc,
        ..GtpuRepr::gpdu(ohc.teid, 0)
    };
    let len = 20 + 8 + gtp.header_len();
    if len > ENCAP_TEMPLATE_MAX {
        return None;
    }
    let mut bytes = [0u8; ENCAP_TEMPLATE_MAX];
    let tos = fwd.tos.unwrap_or(0);
    Ipv4Repr {
        src_addr: Ipv4Addr::UNSPECIFIED,
        dst_addr: dst,
        next_header: IpProtocol::Udp,
        payload_len: 0,
        hop_limit: 0,
        dscp: tos >> 2,
        ecn: tos & 3,
        ident: 0,
        dont_frag: false,
    }
    .emit(&mut Ipv4Packet::new_unchecked(&mut bytes[..20]));
    bytes[10] = 0;
    bytes[11] = 0;
    let mut udp = UdpPacket::new_unchecked(&mut bytes[20..28]);
    udp.set_src_port(crate::wire::GTPU_PORT);
    udp.set_dst_port(crate::wire::GTPU_PORT);
    gtp.emit(&mut GtpuPacket::new_unchecked(&mut bytes[28..len]));
    // Total Length, Identification, TTL, checksum and source are per packet.
    let mut fixed = [0u8; 20];
    fixed.copy_from_slice(&bytes[..20]);
    for i in [2, 3, 4, 5, 8, 10, 11, 12, 13, 14, 15] {
        fixed[i] = 0;
    }
    let ip_sum = fixed
        .chunks_exact(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    Some(EncapTemplate {
        bytes,
        len: len as u8,
        dst,
        with_psc: psc.is_some(),
        ip_sum,
    })
}

/// A PDR's dense QER or URR indices, inline: a session validates to at
/// most [`MAX_REFS_PER_PDR`] of each, so no PDR needs an allocation for
/// them, and to at most [`crate::rules::MAX_QERS`] QERs and
/// [`crate::rules::MAX_URRS`] URRs, so a byte holds an index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Indices {
    len: u8,
    ids: [u8; MAX_REFS_PER_PDR],
}

const _: () = assert!(crate::rules::MAX_QERS <= 256 && crate::rules::MAX_URRS <= 256);

impl FromIterator<u8> for Indices {
    /// Keeps the first [`MAX_REFS_PER_PDR`] (validation refuses more).
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Self {
        let mut out = Indices::default();
        for (slot, id) in out.ids.iter_mut().zip(iter) {
            *slot = id;
            out.len += 1;
        }
        out
    }
}

impl core::ops::Deref for Indices {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        &self.ids[..usize::from(self.len)]
    }
}

/// A PDR's usage counters or meters: two words, the one entry of the
/// common PDR (one URR, one metered QER) inline, more on the heap.
#[derive(Debug, Clone, Default)]
pub enum Refs<T> {
    /// None.
    #[default]
    None,
    /// One.
    One(T),
    /// More (validation allows [`MAX_REFS_PER_PDR`]), behind a thin
    /// pointer.
    Many(Box<ArrayVec<T, MAX_REFS_PER_PDR>>),
}

impl<T> FromIterator<T> for Refs<T> {
    /// Allocates only for more than one entry; keeps the first
    /// [`MAX_REFS_PER_PDR`] (validation refuses more).
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut iter = iter.into_iter();
        let Some(first) = iter.next() else {
            return Refs::None;
        };
        let Some(second) = iter.next() else {
            return Refs::One(first);
        };
        let mut v = ArrayVec::new();
        v.extend(
            [first, second]
                .into_iter()
                .chain(iter)
                .take(MAX_REFS_PER_PDR),
        );
        Refs::Many(Box::new(v))
    }
}

impl<T> core::ops::Deref for Refs<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Refs::None => &[],
            Refs::One(x) => core::slice::from_ref(x),
            Refs::Many(v) => v,
        }
    }
}

/// What a compiled FAR does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FarAction {
    /// Drop.
    Drop,
    /// Forward.
    Forward(Forward),
    /// Buffer; `notify` asks for a Downlink Data Report (NOCP).
    Buffer {
        /// NOCP.
        notify: bool,
        /// The BAR in force.
        bar: Option<Bar>,
    },
}

/// Compiled forwarding parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forward {
    /// Destination interface.
    pub destination: Interface,
    /// Outer header to create.
    pub outer_header_creation: Option<OuterHeaderCreation>,
    /// ToS/Traffic Class for the outer header, from Transport Level Marking.
    pub tos: Option<u8>,
}

/// A compiled FAR.
#[derive(Debug, Clone)]
pub struct CompiledFar {
    /// FAR ID.
    pub id: u32,
    /// Action.
    pub action: FarAction,
    /// Duplicate copies are wanted (DUPL); copies are made off the fast path.
    pub duplicate: bool,
    /// The Apply Action as given.
    pub apply_action: ApplyAction,
    /// The BAR ID as given.
    pub bar_id: Option<BarId>,
    /// Mask of the Transport Level Marking (its ToS is in the action).
    pub tos_mask: u8,
    /// Network Instance of the forwarding parameters, shared
    /// ([`crate::intern`]).
    pub network_instance: Option<Arc<Box<[u8]>>>,
    /// What the action and the fields above do not say, when there is any.
    pub extra: Option<Box<FarExtra>>,
}

/// The parts of a FAR that its compiled action does not give back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FarExtra {
    /// The forwarding parameters as given (when the action does not
    /// forward, or when they carry a forwarding policy).
    pub forwarding: Option<ForwardingParameters>,
    /// Duplicating parameters.
    pub duplicating: Vec<ForwardingParameters>,
}

impl CompiledFar {
    /// Whether the action and [`CompiledFar::tos_mask`] give back `f`
    /// exactly, with [`CompiledFar::network_instance`] taken from `f`.
    fn gives_back(&self, f: Option<&ForwardingParameters>) -> bool {
        match (&self.action, f) {
            (FarAction::Forward(c), Some(f)) => {
                f.destination_interface == c.destination
                    && f.outer_header_creation == c.outer_header_creation
                    && f.transport_level_marking == self.marking(c)
                    && f.forwarding_policy.is_none()
            }
            (FarAction::Forward(_), None) => false,
            (_, f) => f.is_none(),
        }
    }

    fn marking(&self, c: &Forward) -> Option<TransportLevelMarking> {
        c.tos.map(|tos| TransportLevelMarking {
            tos,
            mask: self.tos_mask,
        })
    }

    /// Keeps what the action does not say of `forwarding` and `duplicating`.
    fn keep(
        &mut self,
        forwarding: Option<ForwardingParameters>,
        duplicating: Vec<ForwardingParameters>,
    ) {
        if self.gives_back(forwarding.as_ref()) && duplicating.is_empty() {
            self.network_instance = forwarding
                .and_then(|f| f.network_instance)
                .map(crate::intern::network_instance);
        } else {
            self.network_instance = forwarding
                .as_ref()
                .and_then(|f| f.network_instance.clone())
                .map(crate::intern::network_instance);
            self.extra = Some(Box::new(FarExtra {
                forwarding,
                duplicating,
            }));
        }
    }

    /// The forwarding parameters as given.
    pub fn forwarding(&self) -> Option<ForwardingParameters> {
        if let Some(e) = &self.extra {
            return e.forwarding.clone();
        }
        match &self.action {
            FarAction::Forward(c) => Some(ForwardingParameters {
                destination_interface: c.destination,
                network_instance: self.network_instance.as_deref().map(|n| n.to_vec()),
                outer_header_creation: c.outer_header_creation,
                transport_level_marking: self.marking(c),
                forwarding_policy: None,
            }),
            _ => None,
        }
    }

    /// Outer Header Creation of the forwarding parameters as given.
    pub fn outer_header_creation(&self) -> Option<OuterHeaderCreation> {
        match (&self.extra, &self.action) {
            (Some(e), _) => e.forwarding.as_ref()?.outer_header_creation,
            (None, FarAction::Forward(c)) => c.outer_header_creation,
            (None, _) => None,
        }
    }

    /// The FAR as given.
    pub fn to_far(&self) -> Far {
        Far {
            id: self.id,
            apply_action: self.apply_action,
            forwarding: self.forwarding(),
            duplicating: self
                .extra
                .as_ref()
                .map(|e| e.duplicating.clone())
                .unwrap_or_default(),
            bar_id: self.bar_id,
        }
    }
}

/// Burst a QER meter tolerates, in milliseconds of its rate.
pub const METER_BURST_MS: u64 = 20;
/// Smallest meter burst, bytes: two full-size packets always fit.
pub const METER_MIN_BURST: u64 = 3000;

/// A compiled QER.
#[derive(Debug, Clone)]
pub struct CompiledQer {
    /// QER ID.
    pub id: u32,
    /// Uplink gate closed.
    pub ul_closed: bool,
    /// Downlink gate closed.
    pub dl_closed: bool,
    /// Maximum bit rate ([`CompiledQer::mbr`]).
    mbr: BitRate,
    /// Guaranteed bit rate ([`CompiledQer::gbr`]).
    gbr: BitRate,
    /// Which of the optional values were given: `GIVEN_*` bits (flags
    /// instead of `Option`s keep a QER at 72 bytes).
    given: u8,
    /// QFI for downlink PDU Session Containers.
    pub qfi: Option<u8>,
    /// RQI for downlink.
    pub rqi: bool,
    /// PPI for downlink.
    pub ppi: Option<u8>,
    /// Uplink meter (MBR as peak rate, GBR as committed rate), shared across
    /// workers and carried over to new rule versions while the rates stay.
    pub ul_meter: Option<Arc<Meter>>,
    /// Downlink meter.
    pub dl_meter: Option<Arc<Meter>>,
    /// QER Correlation ID ([`CompiledQer::correlation_id`]).
    correlation_id: u32,
    /// Averaging window, milliseconds
    /// ([`CompiledQer::averaging_window_ms`]).
    averaging_window_ms: u32,
}

const GIVEN_MBR: u8 = 1;
const GIVEN_GBR: u8 = 2;
const GIVEN_CORRELATION: u8 = 4;
const GIVEN_WINDOW: u8 = 8;

impl CompiledQer {
    fn given<T>(&self, bit: u8, v: T) -> Option<T> {
        (self.given & bit != 0).then_some(v)
    }

    /// Maximum bit rate.
    pub fn mbr(&self) -> Option<BitRate> {
        self.given(GIVEN_MBR, self.mbr)
    }

    /// Guaranteed bit rate.
    pub fn gbr(&self) -> Option<BitRate> {
        self.given(GIVEN_GBR, self.gbr)
    }

    /// QER Correlation ID.
    pub fn correlation_id(&self) -> Option<u32> {
        self.given(GIVEN_CORRELATION, self.correlation_id)
    }

    /// Averaging window, milliseconds.
    pub fn averaging_window_ms(&self) -> Option<u32> {
        self.given(GIVEN_WINDOW, self.averaging_window_ms)
    }

    /// The QER as given.
    pub fn to_qer(&self) -> Qer {
        let gate = |closed| {
            if closed {
                GateStatus::Closed
            } else {
                GateStatus::Open
            }
        };
        Qer {
            id: self.id,
            correlation_id: self.correlation_id(),
            gate_ul: gate(self.ul_closed),
            gate_dl: gate(self.dl_closed),
            mbr: self.mbr(),
            gbr: self.gbr(),
            qfi: self.qfi,
            rqi: self.rqi,
            ppi: self.ppi,
            averaging_window_ms: self.averaging_window_ms(),
        }
    }
}

/// A compiled URR.
#[derive(Debug, Clone)]
pub struct CompiledUrr {
    /// The rule as installed (triggers, thresholds, quotas).
    pub rule: Urr,
    /// Counters, shared across rule versions and workers.
    pub counters: Arc<UsageCounters>,
}

/// The immutable, lookup-ready rules of one session version.
///
/// `repr(C)`, with what the packet path reads for every packet first
/// ([`SessionRules::HOT_BYTES`]): where the PDRs and the prebuilt outer
/// headers are, and where the PDRs that can match a packet start.
#[derive(Debug)]
#[repr(C)]
pub struct SessionRules {
    /// PDRs by ascending precedence (ties by PDR ID), in one allocation
    /// of their exact count.
    pub pdrs: Box<[CompiledPdr]>,
    /// Prebuilt outer headers of the PDRs ([`CompiledPdr::encap`]), each
    /// once.
    pub encaps: Box<[EncapTemplate]>,
    /// Index of the first PDR with a local F-TEID (low nibble) and of the
    /// first that matches packets outside tunnels (high nibble), at most
    /// 15 each: the PDRs before them can match no packet of that kind.
    pdr_start: u8,
    /// The session's UE addresses, for PDRs that give none of their own
    /// (see [`SessionRules::assigned`]).
    pub session_assigned: Assigned,
    /// Local SEID.
    pub seid: u64,
    /// Local F-TEIDs of the PDRs ([`CompiledPdr::fteid`]), each once.
    pub fteids: Box<[FTeid]>,
    /// FARs.
    pub fars: Box<[CompiledFar]>,
    /// QERs.
    pub qers: Box<[CompiledQer]>,
    /// URRs.
    pub urrs: Box<[CompiledUrr]>,
    /// BARs, as given.
    pub bars: Box<[Bar]>,
}

impl SessionRules {
    /// Bytes at the start of a `SessionRules` that the packet path reads
    /// for every packet, for the dataplane to prefetch (the UE addresses
    /// after them only serve SDF filters that name them).
    pub const HOT_BYTES: usize = core::mem::offset_of!(SessionRules, session_assigned);

    /// Index of the first PDR that can match a packet that arrived in a
    /// tunnel (`tunnel`) or outside one ([`CompiledPdr::takes_tunnel`],
    /// [`CompiledPdr::takes_plain`]), at most 15: the PDR match starts
    /// there.
    #[inline]
    pub fn first_pdr(&self, tunnel: bool) -> usize {
        usize::from(if tunnel {
            self.pdr_start & 0x0f
        } else {
            self.pdr_start >> 4
        })
    }

    /// The PDRs that can match a packet that arrived in a tunnel
    /// (`tunnel`) or outside one, in precedence order.
    #[inline]
    pub fn candidate_pdrs(&self, tunnel: bool) -> &[CompiledPdr] {
        self.pdrs.get(self.first_pdr(tunnel)..).unwrap_or(&[])
    }

    /// The cache lines the packet path reads for every packet from `n`
    /// PDRs (the front of each), starting at the first that can match a
    /// packet in a tunnel (`tunnel`) or outside one, for the dataplane to
    /// prefetch.
    /// A hint: a wrong line costs time, never correctness.
    #[inline]
    pub fn hot_lines(&self, tunnel: bool, n: usize) -> impl Iterator<Item = *const u8> + '_ {
        self.candidate_pdrs(tunnel).iter().take(n).flat_map(|p| {
            let start = core::ptr::from_ref(p).cast::<u8>();
            let first = start as usize & !63;
            let last = (start as usize + PDR_HOT_BYTES - 1) & !63;
            (first..=last)
                .step_by(64)
                .map(move |a| start.wrapping_offset(a as isize - start as isize))
        })
    }

    /// The tunnels (local TEID and address) the session is found by, each
    /// once. Derived from the PDRs rather than kept: a session's memory is
    /// its PDRs.
    pub fn tunnel_keys(&self) -> impl Iterator<Item = TunnelKey> + '_ {
        unique_keys(&self.fteids, fteid_keys)
    }

    /// [`SessionRules::tunnel_keys`], a key possibly more than once: for
    /// membership tests and idempotent index updates, which need no
    /// de-duplication (it is quadratic in the F-TEIDs).
    pub fn tunnel_keys_repeated(&self) -> impl Iterator<Item = TunnelKey> + '_ {
        self.fteids.iter().flat_map(fteid_keys)
    }

    /// The UE IPv4 prefixes (address /32, framed routes) the session is
    /// found by, each once: those of its PDRs without a local F-TEID.
    pub fn ue_v4(&self) -> impl Iterator<Item = (Ipv4Addr, u8)> + '_ {
        unique_keys(&self.pdrs, CompiledPdr::ue_v4)
    }

    /// [`SessionRules::ue_v4`], a prefix possibly more than once.
    pub fn ue_v4_repeated(&self) -> impl Iterator<Item = (Ipv4Addr, u8)> + '_ {
        self.pdrs.iter().flat_map(CompiledPdr::ue_v4)
    }

    /// The UE IPv6 prefixes the session is found by, each once.
    pub fn ue_v6(&self) -> impl Iterator<Item = (Ipv6Addr, u8)> + '_ {
        unique_keys(&self.pdrs, CompiledPdr::ue_v6)
    }

    /// [`SessionRules::ue_v6`], a prefix possibly more than once.
    pub fn ue_v6_repeated(&self) -> impl Iterator<Item = (Ipv6Addr, u8)> + '_ {
        self.pdrs.iter().flat_map(CompiledPdr::ue_v6)
    }

    /// The local F-TEID of `p` (one of these rules' PDRs).
    #[inline]
    pub fn fteid(&self, p: &CompiledPdr) -> Option<FTeid> {
        self.fteids.get(usize::from(p.fteid)).copied()
    }

    /// What `assigned` in the SDF filters of `p` (one of these rules'
    /// PDRs) stands for: the PDR's UE address, else the session's.
    pub fn assigned(&self, p: &CompiledPdr) -> Assigned {
        match &p.ue_ip {
            Some(ue) => Assigned {
                v4: ue.ipv4.or(self.session_assigned.v4),
                v6: ue
                    .ipv6
                    .map(|a| (a, ue.ipv6_prefix_len))
                    .or(self.session_assigned.v6),
            },
            None => self.session_assigned,
        }
    }

    /// The session these rules were compiled from: the same rules, in the
    /// same order, field for field.
    pub fn to_session(&self) -> Session {
        let mut pdrs: Vec<Pdr> = self.pdrs.iter().map(|p| self.to_pdr(p)).collect();
        // Back to the model's order: each swap puts one PDR in its place.
        let mut at = [0u16; crate::rules::MAX_PDRS];
        for (a, p) in at.iter_mut().zip(self.pdrs.iter()) {
            *a = p.order;
        }
        for i in 0..pdrs.len() {
            while usize::from(at[i]) != i {
                let j = usize::from(at[i]);
                pdrs.swap(i, j);
                at.swap(i, j);
            }
        }
        Session {
            seid: self.seid,
            pdrs,
            fars: self.fars.iter().map(CompiledFar::to_far).collect(),
            qers: self.qers.iter().map(CompiledQer::to_qer).collect(),
            urrs: self.urrs.iter().map(|u| u.rule.clone()).collect(),
            bars: self.bars.to_vec(),
        }
    }

    /// The PDR `p` (one of these rules' PDRs) as given.
    pub fn to_pdr(&self, p: &CompiledPdr) -> Pdr {
        let shared = &*p.pdi;
        Pdr {
            id: p.id,
            precedence: p.precedence,
            pdi: Pdi {
                source_interface: p.source_interface,
                local_fteid: self.fteid(p),
                network_instance: shared.network_instance.as_deref().map(<[u8]>::to_vec),
                ue_ip: p.ue_ip,
                sdf_filters: shared.sdf.to_vec(),
                qfi: p.qfi,
                application_id: shared.application_id.as_deref().map(<[u8]>::to_vec),
                framed_routes_v4: shared.framed_routes_v4.to_vec(),
                framed_routes_v6: shared.framed_routes_v6.to_vec(),
            },
            outer_header_removal: p.outer_header_removal,
            far_id: (p.far != NONE).then_some(p.far_id),
            qer_ids: p
                .qers
                .iter()
                .map(|&i| self.qers[usize::from(i)].id)
                .collect(),
            urr_ids: p
                .urrs
                .iter()
                .map(|&i| self.urrs[usize::from(i)].rule.id)
                .collect(),
        }
    }

    /// The compiled PDR with this ID.
    pub fn pdr(&self, id: PdrId) -> Option<&CompiledPdr> {
        self.pdrs.iter().find(|p| p.id == id)
    }

    /// The compiled FAR with this ID.
    pub fn far(&self, id: u32) -> Option<&CompiledFar> {
        self.fars.iter().find(|f| f.id == id)
    }

    /// Counters of the URR with this ID.
    pub fn urr_counters(&self, id: u32) -> Option<&Arc<UsageCounters>> {
        self.urrs
            .iter()
            .find(|u| u.rule.id == id)
            .map(|u| &u.counters)
    }
}

fn index_of<T>(items: &[T], id: u32, get: impl Fn(&T) -> u32) -> Option<u16> {
    items.iter().position(|x| get(x) == id).map(|i| i as u16)
}

/// Compiles a validated session. `previous` is the version being replaced:
/// URR counters with the same URR ID are carried over from it.
pub fn compile(
    session: &Session,
    previous: Option<&SessionRules>,
) -> Result<SessionRules, RuleError> {
    let mut rules = compile_rules(session, previous)?;
    for p in rules.pdrs.iter_mut() {
        let pdi = &session.pdrs[usize::from(p.order)].pdi;
        p.keep(Kept {
            sdf_filters: pdi.sdf_filters.clone(),
            network_instance: pdi.network_instance.clone(),
            application_id: pdi.application_id.clone(),
            framed_routes_v4: pdi.framed_routes_v4.clone(),
            framed_routes_v6: pdi.framed_routes_v6.clone(),
        });
    }
    for (c, f) in rules.fars.iter_mut().zip(&session.fars) {
        c.keep(f.forwarding.clone(), f.duplicating.clone());
    }
    Ok(rules)
}

/// [`compile`], moving what the compiled rules keep of `session` into them
/// instead of copying it.
pub fn compile_owned(
    mut session: Session,
    previous: Option<&SessionRules>,
) -> Result<SessionRules, RuleError> {
    let mut rules = compile_rules(&session, previous)?;
    for p in rules.pdrs.iter_mut() {
        let pdi = &mut session.pdrs[usize::from(p.order)].pdi;
        p.keep(Kept {
            sdf_filters: core::mem::take(&mut pdi.sdf_filters),
            network_instance: pdi.network_instance.take(),
            application_id: pdi.application_id.take(),
            framed_routes_v4: core::mem::take(&mut pdi.framed_routes_v4),
            framed_routes_v6: core::mem::take(&mut pdi.framed_routes_v6),
        });
    }
    for (c, f) in rules.fars.iter_mut().zip(&mut session.fars) {
        c.keep(f.forwarding.take(), core::mem::take(&mut f.duplicating));
    }
    Ok(rules)
}

/// The parts of a PDI the compiled rules keep as they are.
struct Kept {
    sdf_filters: Vec<SdfFilter>,
    network_instance: Option<Vec<u8>>,
    application_id: Option<Vec<u8>>,
    framed_routes_v4: Vec<(Ipv4Addr, u8)>,
    framed_routes_v6: Vec<(Ipv6Addr, u8)>,
}

impl CompiledPdr {
    fn keep(&mut self, k: Kept) {
        self.pdi = crate::intern::pdi(PdiShared {
            sdf: k.sdf_filters.into_boxed_slice(),
            network_instance: k.network_instance.map(Vec::into_boxed_slice),
            application_id: k.application_id.map(Vec::into_boxed_slice),
            framed_routes_v4: k.framed_routes_v4.into_boxed_slice(),
            framed_routes_v6: k.framed_routes_v6.into_boxed_slice(),
        });
    }
}

/// Compiles all but the parts [`CompiledPdr::keep`] and
/// [`CompiledFar::keep`] fill in.
fn compile_rules(
    session: &Session,
    previous: Option<&SessionRules>,
) -> Result<SessionRules, RuleError> {
    session.validate()?;

    // Session-wide UE addresses, used for `assigned` when a PDR carries none.
    let mut session_assigned = Assigned::default();
    for pdr in &session.pdrs {
        if let Some(ue) = &pdr.pdi.ue_ip {
            if session_assigned.v4.is_none() {
                session_assigned.v4 = ue.ipv4;
            }
            if session_assigned.v6.is_none() {
                session_assigned.v6 = ue.ipv6.map(|a| (a, ue.ipv6_prefix_len));
            }
        }
    }

    let fars: Box<[CompiledFar]> = session
        .fars
        .iter()
        .map(|far| {
            let a = far.apply_action;
            let action = if a.contains(ApplyAction::FORW) {
                let f = far
                    .forwarding
                    .as_ref()
                    .expect("validated: FORW has forwarding parameters");
                FarAction::Forward(Forward {
                    destination: f.destination_interface,
                    outer_header_creation: f.outer_header_creation,
                    tos: f.transport_level_marking.map(|t| t.tos),
                })
            } else if a.contains(ApplyAction::BUFF) {
                FarAction::Buffer {
                    notify: a.contains(ApplyAction::NOCP),
                    bar: far.bar_id.and_then(|b| session.bar(b).copied()),
                }
            } else {
                FarAction::Drop
            };
            let f = far.forwarding.as_ref();
            CompiledFar {
                id: far.id,
                action,
                duplicate: a.contains(ApplyAction::DUPL),
                apply_action: a,
                bar_id: far.bar_id,
                tos_mask: f
                    .and_then(|f| f.transport_level_marking)
                    .map_or(0, |t| t.mask),
                network_instance: None,
                extra: None,
            }
        })
        .collect();

    let qers: Box<[CompiledQer]> = session
        .qers
        .iter()
        .map(|q| {
            let prev = previous.and_then(|p| p.qers.iter().find(|c| c.id == q.id));
            let mbr = q.mbr.unwrap_or_default();
            let gbr = q.gbr.unwrap_or_default();
            CompiledQer {
                id: q.id,
                ul_closed: q.gate_ul == GateStatus::Closed,
                dl_closed: q.gate_dl == GateStatus::Closed,
                mbr,
                gbr,
                given: [
                    (q.mbr.is_some(), GIVEN_MBR),
                    (q.gbr.is_some(), GIVEN_GBR),
                    (q.correlation_id.is_some(), GIVEN_CORRELATION),
                    (q.averaging_window_ms.is_some(), GIVEN_WINDOW),
                ]
                .iter()
                .filter(|(given, _)| *given)
                .fold(0, |a, (_, bit)| a | bit),
                qfi: q.qfi,
                rqi: q.rqi,
                ppi: q.ppi,
                ul_meter: meter(
                    mbr.ul_kbps,
                    gbr.ul_kbps,
                    prev.and_then(|p| p.ul_meter.as_ref()),
                ),
                dl_meter: meter(
                    mbr.dl_kbps,
                    gbr.dl_kbps,
                    prev.and_then(|p| p.dl_meter.as_ref()),
                ),
                correlation_id: q.correlation_id.unwrap_or(0),
                averaging_window_ms: q.averaging_window_ms.unwrap_or(0),
            }
        })
        .collect();

    let urrs: Box<[CompiledUrr]> = session
        .urrs
        .iter()
        .map(|u| {
            let prev = previous.and_then(|p| p.urrs.iter().find(|c| c.rule.id == u.id));
            let counters = prev.map(|p| p.counters.clone()).unwrap_or_default();
            // A new or changed grant replaces what is left of the old one.
            if prev.is_none_or(|p| p.rule.volume_quota != u.volume_quota) {
                counters.set_volume_quota(u.volume_quota);
            }
            CompiledUrr {
                rule: u.clone(),
                counters,
            }
        })
        .collect();

    let mut fteids: Vec<FTeid> = Vec::new();
    let mut pdrs: Vec<CompiledPdr> = session
        .pdrs
        .iter()
        .enumerate()
        .map(|(order, pdr)| {
            let pdi = &pdr.pdi;
            CompiledPdr {
                id: pdr.id,
                precedence: pdr.precedence,
                source_interface: pdi.source_interface,
                uplink: pdi.source_interface.is_uplink_source(),
                fteid: match pdi.local_fteid {
                    None => NONE,
                    Some(f) => match fteids.iter().position(|x| *x == f) {
                        Some(i) => i as u16,
                        None => {
                            fteids.push(f);
                            (fteids.len() - 1) as u16
                        }
                    },
                },
                teid: pdi.local_fteid.map_or(0, |f| f.teid),
                ue_ip: pdi.ue_ip,
                pdi: crate::intern::no_pdi(),
                qfi: pdi.qfi,
                outer_header_removal: pdr.outer_header_removal,
                far: pdr
                    .far_id
                    .and_then(|id| index_of(&session.fars, id, |f| f.id))
                    .unwrap_or(NONE),
                qers: pdr
                    .qer_ids
                    .iter()
                    .filter_map(|&id| index_of(&session.qers, id, |q| q.id))
                    .map(|i| i as u8)
                    .collect(),
                urrs: pdr
                    .urr_ids
                    .iter()
                    .filter_map(|&id| index_of(&session.urrs, id, |u| u.id))
                    .map(|i| i as u8)
                    .collect(),
                action: None,
                far_id: pdr.far_id.unwrap_or(0),
                gate_closed: false,
                marking: None,
                meters: Refs::default(),
                usage: Refs::default(),
                encap: NO_ENCAP,
                removes_gtpu: pdr
                    .outer_header_removal
                    .is_some_and(OuterHeaderRemoval::removes_gtpu),
                plain_from: if pdi.local_fteid.is_some() || pdi.qfi.is_some() {
                    0
                } else {
                    match pdi.source_interface {
                        Interface::Access => 1,
                        Interface::Core | Interface::SgiLan | Interface::VnInternal => 2,
                        _ => 0,
                    }
                },
                sdf_trivial: pdi.sdf_filters.is_empty()
                    || (pdi.ue_ip.is_some() && pdi.sdf_filters.iter().any(SdfFilter::is_match_all)),
                order: order as u16,
            }
        })
        .collect();
    pdrs.sort_by_key(|p| (p.precedence, p.id));
    let mut encaps = Vec::new();
    for p in &mut pdrs {
        p.action = fars.get(usize::from(p.far)).map(|f| f.action.clone());
        let pqers = || p.qers.iter().map(|&q| &qers[usize::from(q)]);
        let uplink = p.uplink;
        for q in pqers() {
            p.gate_closed |= if uplink { q.ul_closed } else { q.dl_closed };
            if p.marking.is_none() {
                p.marking = q.qfi.map(|qfi| (qfi, q.rqi, q.ppi));
            }
        }
        p.meters = pqers()
            .filter_map(|q| if uplink { &q.ul_meter } else { &q.dl_meter }.clone())
            .collect();
        p.usage = p
            .urrs
            .iter()
            .map(|&u| urrs[usize::from(u)].counters.clone())
            .collect();
        if let Some(t) = encap_template(p) {
            p.encap = match encaps.iter().position(|e| *e == t) {
                Some(i) => i as u8,
                None if encaps.len() < usize::from(NO_ENCAP) => {
                    encaps.push(t);
                    (encaps.len() - 1) as u8
                }
                // Past 255 distinct headers, the rest are built per packet.
                None => NO_ENCAP,
            };
        }
    }

    // Where the candidates of each kind of packet start (see `match_pdr`):
    // tunnel packets skip PDRs without a local F-TEID, the others those
    // whose PDI serves no plain ingress.
    let first = |f: &dyn Fn(&CompiledPdr) -> bool| {
        pdrs.iter().position(f).unwrap_or(pdrs.len()).min(15) as u8
    };
    let pdr_start = first(&CompiledPdr::takes_tunnel) | (first(&CompiledPdr::takes_plain) << 4);
    Ok(SessionRules {
        seid: session.seid,
        pdr_start,
        pdrs: pdrs.into_boxed_slice(),
        fars,
        qers,
        urrs,
        encaps: encaps.into_boxed_slice(),
        fteids: fteids.into_boxed_slice(),
        bars: session.bars.clone().into_boxed_slice(),
        session_assigned,
    })
}

/// A meter for the rates, reusing `previous` when its rates are the same
/// (so a modification does not refill the buckets). No MBR: no meter.
fn meter(mbr_kbps: u64, gbr_kbps: u64, previous: Option<&Arc<Meter>>) -> Option<Arc<Meter>> {
    if mbr_kbps == 0 {
        return None;
    }
    let cfg = MeterConfig::from_rates(
        mbr_kbps.saturating_mul(1000),
        gbr_kbps.saturating_mul(1000),
        METER_BURST_MS,
        METER_MIN_BURST,
    );
    match previous {
        Some(m) if m.is_for(cfg) => Some(m.clone()),
        _ => Some(Arc::new(Meter::new(cfg, 0))),
    }
}

/// The keys of one PDR: its local F-TEID's, or, for a PDR without one,
/// its UE address and framed routes.
fn fteid_keys(f: &FTeid) -> impl Iterator<Item = TunnelKey> + '_ {
    [f.ipv4.map(IpAddr::V4), f.ipv6.map(IpAddr::V6)]
        .into_iter()
        .flatten()
        .map(move |addr| TunnelKey { teid: f.teid, addr })
}

impl CompiledPdr {
    fn ue_v4(&self) -> impl Iterator<Item = (Ipv4Addr, u8)> + '_ {
        let plain = !self.takes_tunnel();
        let ue = self.ue_ip.and_then(|u| u.ipv4).map(|a| (a, 32));
        let routes = self.pdi.framed_routes_v4.iter();
        ue.into_iter()
            .chain(routes.map(|&(a, l)| (mask_v4(a, l), l)))
            .filter(move |_| plain)
    }

    fn ue_v6(&self) -> impl Iterator<Item = (Ipv6Addr, u8)> + '_ {
        let plain = !self.takes_tunnel();
        let ue = self.ue_ip.and_then(|u| {
            u.ipv6
                .map(|a| (mask_v6(a, u.ipv6_prefix_len), u.ipv6_prefix_len))
        });
        let routes = self.pdi.framed_routes_v6.iter();
        ue.into_iter()
            .chain(routes.map(|&(a, l)| (mask_v6(a, l), l)))
            .filter(move |_| plain)
    }
}

/// Each key of `items` once: an item's key is skipped when an earlier
/// item has it (sessions have a few PDRs; this runs off the packet path).
fn unique_keys<'a, T, K: PartialEq + 'a, I: Iterator<Item = K> + 'a>(
    items: &'a [T],
    keys: impl Fn(&'a T) -> I + Copy + 'a,
) -> impl Iterator<Item = K> + 'a {
    items.iter().enumerate().flat_map(move |(i, p)| {
        keys(p).filter(move |k| !items[..i].iter().any(|q| keys(q).any(|x| x == *k)))
    })
}

/// `a` with the host bits beyond `len` cleared.
pub fn mask_v4(a: Ipv4Addr, len: u8) -> Ipv4Addr {
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    };
    Ipv4Addr::from(u32::from(a) & mask)
}

/// `a` with the host bits beyond `len` cleared.
pub fn mask_v6(a: Ipv6Addr, len: u8) -> Ipv6Addr {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    Ipv6Addr::from(u128::from(a) & mask)
}

#[cfg(test)]
mod test {
    use super::*;

    /// A session of `n` PDRs dropping everything, PDR `id` with precedence
    /// `id`, from the access side with a local F-TEID where `fteid(id)`,
    /// from the core side otherwise.
    fn pdrs_session(n: u16, fteid: impl Fn(u16) -> bool) -> Session {
        use crate::rules::Pdi;
        let mut s = Session::new(1);
        s.create_far(crate::rules::Far::drop(1)).unwrap();
        for id in 1..=n {
            let mut pdi = Pdi::new(Interface::Core);
            if fteid(id) {
                pdi.source_interface = Interface::Access;
                pdi.local_fteid = Some(FTeid {
                    teid: u32::from(id),
                    ipv4: Some(Ipv4Addr::new(192, 0, 2, 1)),
                    ipv6: None,
                });
            }
            s.create_pdr(crate::rules::Pdr {
                id,
                precedence: u32::from(id),
                pdi,
                outer_header_removal: None,
                far_id: Some(1),
                qer_ids: vec![],
                urr_ids: vec![],
            })
            .unwrap();
        }
        s
    }

    #[test]
    fn hot_lines_cover_the_front_of_the_first_candidate_pdrs() {
        // Precedence order: core, access (F-TEID), core, access (F-TEID).
        let s = pdrs_session(4, |id| id % 2 == 0);
        let r = compile(&s, None).unwrap();
        assert_eq!((r.first_pdr(true), r.first_pdr(false)), (1, 0));
        for (tunnel, covered_pdrs) in [(true, [1, 2]), (false, [0, 1])] {
            let lines: Vec<usize> = r.hot_lines(tunnel, 2).map(|l| l as usize).collect();
            for (i, pdr) in r.pdrs.iter().enumerate() {
                let at = core::ptr::from_ref(pdr) as usize;
                let covered = (at..at + PDR_HOT_BYTES).all(|b| lines.contains(&(b & !63)));
                assert_eq!(
                    covered,
                    covered_pdrs.contains(&i),
                    "PDR {i}, tunnel {tunnel}"
                );
            }
            assert!(lines.iter().all(|&l| l % 64 == 0) && lines.len() <= 6);
        }
        // What the path reads per packet is at the front.
        let base = core::ptr::from_ref(&r) as usize;
        for field in [
            core::ptr::from_ref(&r.pdrs) as usize,
            core::ptr::from_ref(&r.encaps) as usize,
            core::ptr::from_ref(&r.pdr_start) as usize,
        ] {
            assert!(field - base < SessionRules::HOT_BYTES);
        }
        assert_eq!(SessionRules::HOT_BYTES, 33);
    }

    #[test]
    fn first_pdr_saturates_and_handles_no_candidate() {
        let s = pdrs_session(20, |_| false);
        let r = compile(&s, None).unwrap();
        // No PDR has an F-TEID: the start saturates at 15, before the end,
        // which still skips only PDRs that cannot match.
        assert_eq!((r.first_pdr(true), r.first_pdr(false)), (15, 0));
        assert!(r.candidate_pdrs(true).iter().all(|p| !p.takes_tunnel()));
        // Whatever the layout, no PDR before the start can match that kind
        // of packet, and the start is the first that can (or 15).
        for tunnel_from in [1u16, 3, 16, 17, 20, 21] {
            let r = compile(&pdrs_session(20, |id| id >= tunnel_from), None).unwrap();
            for (tunnel, takes) in [
                (true, CompiledPdr::takes_tunnel as fn(&CompiledPdr) -> bool),
                (false, CompiledPdr::takes_plain),
            ] {
                let start = r.first_pdr(tunnel);
                assert!(!r.pdrs[..start].iter().any(takes), "{tunnel_from} {tunnel}");
                let first = r.pdrs.iter().position(takes).unwrap_or(r.pdrs.len());
                assert_eq!(start, first.min(15), "{tunnel_from} {tunnel}");
            }
        }
        let empty = compile(&Session::new(2), None).unwrap();
        assert_eq!((empty.first_pdr(true), empty.first_pdr(false)), (0, 0));
        assert!(empty.candidate_pdrs(true).is_empty());
    }

    /// The shape of a common session: uplink and downlink PDRs with network
    /// instances, a forwarding and a buffering FAR, a QER and a URR.
    fn common_session() -> Session {
        use crate::rules::{Far, ForwardingParameters, Pdi, Pdr, Qer, TransportLevelMarking};
        let mut s = Session::new(7);
        s.create_bar(Bar {
            id: 1,
            dl_data_notification_delay_ms: Some(20),
            suggested_buffering_packets: None,
        })
        .unwrap();
        s.create_qer(Qer {
            correlation_id: Some(3),
            averaging_window_ms: Some(2000),
            mbr: Some(BitRate {
                ul_kbps: 10_000,
                dl_kbps: 20_000,
            }),
            ..Qer::open(1)
        })
        .unwrap();
        s.create_urr(Urr::volume(1)).unwrap();
        let mut n6 = ForwardingParameters::to(Interface::Core);
        n6.network_instance = Some(b"internet".to_vec());
        n6.transport_level_marking = Some(TransportLevelMarking {
            tos: 0xb8,
            mask: 0xff,
        });
        s.create_far(Far::forward(1, n6)).unwrap();
        s.create_far(Far {
            apply_action: ApplyAction::BUFF | ApplyAction::NOCP,
            bar_id: Some(1),
            ..Far::drop(2)
        })
        .unwrap();
        for (id, precedence, src) in [
            (2, 200, Interface::Core),
            (1, 100, Interface::Access),
            (4, 100, Interface::Core),
            (3, 300, Interface::Access),
        ] {
            let mut pdi = Pdi::new(src);
            pdi.network_instance = Some(b"internet".to_vec());
            pdi.ue_ip = Some(UeIpAddress {
                ipv4: Some(Ipv4Addr::new(10, 0, 0, 1)),
                ipv6: None,
                ipv6_prefix_len: 0,
                is_destination: src == Interface::Core,
            });
            if src == Interface::Access {
                pdi.local_fteid = Some(FTeid {
                    teid: u32::from(id),
                    ipv4: Some(Ipv4Addr::new(192, 0, 2, 1)),
                    ipv6: None,
                });
                pdi.qfi = Some(9);
            }
            pdi.sdf_filters
                .push(SdfFilter::flow("permit out ip from any to assigned").unwrap());
            s.create_pdr(Pdr {
                id,
                precedence,
                pdi,
                outer_header_removal: (src == Interface::Access)
                    .then_some(OuterHeaderRemoval::GtpuUdpIpv4),
                far_id: Some(if src == Interface::Access { 1 } else { 2 }),
                qer_ids: vec![1],
                urr_ids: vec![1],
            })
            .unwrap();
        }
        s
    }

    #[test]
    fn a_common_session_comes_back_without_side_boxes() {
        let s = common_session();
        let r = compile(&s, None).unwrap();
        assert_eq!(r.to_session(), s);
        // Their PDIs differ only in what is not shared.
        assert!(r.pdrs.iter().all(|p| Arc::ptr_eq(&p.pdi, &r.pdrs[0].pdi)));
        assert!(r.fars.iter().all(|f| f.extra.is_none()));
        // PDRs are by precedence in the rules, in creation order in the model.
        let ids: Vec<_> = r.pdrs.iter().map(|p| p.id).collect();
        assert_eq!(ids, [1, 4, 2, 3]);
    }

    #[test]
    fn what_the_action_cannot_say_is_kept_aside() {
        use crate::rules::{Far, ForwardingParameters};
        let mut s = common_session();
        // Forwarding parameters on a FAR that buffers; a forwarding policy;
        // duplicating parameters; a BAR on a FAR that does not buffer.
        let mut f = s.far(2).unwrap().clone();
        f.forwarding = Some(ForwardingParameters::to(Interface::Access));
        s.update_far(f).unwrap();
        let mut f = s.far(1).unwrap().clone();
        f.forwarding.as_mut().unwrap().forwarding_policy = Some(b"p1".to_vec());
        f.duplicating
            .push(ForwardingParameters::to(Interface::LiFunction));
        f.bar_id = Some(1);
        s.update_far(f).unwrap();
        s.create_far(Far {
            bar_id: Some(1),
            ..Far::drop(3)
        })
        .unwrap();
        let mut p = s.pdr(3).unwrap().clone();
        p.pdi.application_id = Some(b"app".to_vec());
        p.pdi
            .framed_routes_v4
            .push((Ipv4Addr::new(10, 9, 0, 0), 16));
        p.pdi.framed_routes_v6.push((Ipv6Addr::LOCALHOST, 128));
        s.update_pdr(p).unwrap();
        let r = compile(&s, None).unwrap();
        assert_eq!(r.to_session(), s);
        assert!(r.fars.iter().all(|f| f.extra.is_some() != (f.id == 3)));
        assert_eq!(
            r.far(2).unwrap().outer_header_creation(),
            s.far(2)
                .unwrap()
                .forwarding
                .as_ref()
                .unwrap()
                .outer_header_creation
        );
    }

    #[test]
    fn keys_come_from_the_pdrs_each_once() {
        let mut s = common_session();
        // PDR 1 and 3 share an F-TEID's TEID with another address; PDR 2
        // adds framed routes.
        let mut p = s.pdr(3).unwrap().clone();
        p.pdi.local_fteid = Some(FTeid {
            teid: 1,
            ipv4: Some(Ipv4Addr::new(192, 0, 2, 1)),
            ipv6: Some(Ipv6Addr::LOCALHOST),
        });
        s.update_pdr(p).unwrap();
        let mut p = s.pdr(2).unwrap().clone();
        p.pdi
            .framed_routes_v4
            .push((Ipv4Addr::new(10, 9, 8, 7), 16));
        p.pdi.framed_routes_v6.push((Ipv6Addr::LOCALHOST, 48));
        p.pdi.ue_ip.as_mut().unwrap().ipv6 = Some(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 1, 2, 3, 4));
        p.pdi.ue_ip.as_mut().unwrap().ipv6_prefix_len = 64;
        s.update_pdr(p).unwrap();
        let r = compile(&s, None).unwrap();
        let mut t: Vec<_> = r.tunnel_keys().map(|k| (k.teid, k.addr)).collect();
        t.sort();
        let a4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(t, [(1, a4), (1, IpAddr::V6(Ipv6Addr::LOCALHOST))]);
        let mut v4: Vec<_> = r.ue_v4().collect();
        v4.sort();
        assert_eq!(
            v4,
            [
                (Ipv4Addr::new(10, 0, 0, 1), 32),
                (Ipv4Addr::new(10, 9, 0, 0), 16)
            ]
        );
        // The repeated forms hold the same keys (here some twice).
        let mut all4: Vec<_> = r.ue_v4_repeated().collect();
        all4.sort();
        all4.dedup();
        assert_eq!(all4, v4);
        assert!(r.ue_v4_repeated().count() > v4.len());
        let mut allt: Vec<_> = r.tunnel_keys_repeated().map(|k| (k.teid, k.addr)).collect();
        allt.sort();
        allt.dedup();
        assert_eq!(allt, t);
        let mut v6: Vec<_> = r.ue_v6().collect();
        v6.sort();
        assert_eq!(
            v6,
            [
                (Ipv6Addr::UNSPECIFIED, 48),
                (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 64)
            ]
        );
    }

    #[test]
    fn refs_allocate_only_past_one() {
        let r: Refs<u32> = core::iter::empty().collect();
        assert!(matches!(r, Refs::None) && r.is_empty());
        let r: Refs<u32> = [7].into_iter().collect();
        assert!(matches!(r, Refs::One(7)) && *r == [7]);
        let r: Refs<u32> = (0..12).collect();
        assert!(matches!(r, Refs::Many(_)));
        assert_eq!(*r, [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn compiled_sizes_stay_small() {
        // A session's hot data should stay within a few cache lines: the
        // fast path prefetches it whole. The per-packet front of a PDR is
        // two lines; what only the control side reads follows it.
        assert_eq!(PDR_HOT_BYTES, 112);
        assert_eq!(core::mem::size_of::<Refs<Arc<Meter>>>(), 16);
        assert!(core::mem::size_of::<CompiledFar>() <= 64);
        assert!(core::mem::size_of::<CompiledQer>() <= 72);
        assert!(
            core::mem::size_of::<CompiledPdr>() <= 160,
            "{}",
            core::mem::size_of::<CompiledPdr>()
        );
        assert!(
            core::mem::size_of::<SessionRules>() <= 144,
            "{}",
            core::mem::size_of::<SessionRules>()
        );
    }
}
