//! Packet Detection Rule (TS 29.244 §5.2.1, §7.5.2.2).

use core::net::{Ipv4Addr, Ipv6Addr};

use super::{FarId, Interface, PdrId, QerId, UrrId};
use crate::sdf::SdfFilter;

/// A PDR: which packets it detects, and what applies to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdr {
    /// PDR ID, unique within the session.
    pub id: PdrId,
    /// Lower value first (§8.2.11).
    pub precedence: u32,
    /// Packet Detection Information.
    pub pdi: Pdi,
    /// Outer Header Removal (§8.2.64), with the GTP-U extension-header deletion flag.
    pub outer_header_removal: Option<OuterHeaderRemoval>,
    /// The FAR applied to detected packets.
    pub far_id: Option<FarId>,
    /// QERs, applied in order.
    pub qer_ids: Vec<QerId>,
    /// URRs, each counting the packet.
    pub urr_ids: Vec<UrrId>,
}

/// Packet Detection Information (§7.5.2.2-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdi {
    /// Where the packets come from.
    pub source_interface: Interface,
    /// Local F-TEID: the tunnel the packet must arrive on.
    pub local_fteid: Option<FTeid>,
    /// Network instance, opaque bytes as the SMF sent them.
    pub network_instance: Option<Vec<u8>>,
    /// UE address(es).
    pub ue_ip: Option<UeIpAddress>,
    /// SDF filters: the packet must match one of them (none means any).
    pub sdf_filters: Vec<SdfFilter>,
    /// QoS flow: the packet must carry this QFI in its PDU Session Container.
    pub qfi: Option<u8>,
    /// Application ID (kept, not matched: no predefined applications are configured).
    pub application_id: Option<Vec<u8>>,
    /// Framed routes (IPv4 prefixes behind the UE), matched like the UE address.
    pub framed_routes_v4: Vec<(Ipv4Addr, u8)>,
    /// Framed IPv6 routes.
    pub framed_routes_v6: Vec<(Ipv6Addr, u8)>,
}

impl Pdi {
    /// A PDI that detects everything from `source_interface`.
    pub fn new(source_interface: Interface) -> Self {
        Pdi {
            source_interface,
            local_fteid: None,
            network_instance: None,
            ue_ip: None,
            sdf_filters: Vec::new(),
            qfi: None,
            application_id: None,
            framed_routes_v4: Vec::new(),
            framed_routes_v6: Vec::new(),
        }
    }
}

/// A fully specified local F-TEID (after any CHOOSE was resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FTeid {
    /// Tunnel endpoint identifier.
    pub teid: u32,
    /// IPv4 address of the endpoint, if any.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address of the endpoint, if any.
    pub ipv6: Option<Ipv6Addr>,
}

/// UE IP Address in a PDI (§8.2.62).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UeIpAddress {
    /// IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address or prefix.
    pub ipv6: Option<Ipv6Addr>,
    /// IPv6 prefix length matched (64 by default, as a /64 is delegated to the UE).
    pub ipv6_prefix_len: u8,
    /// S/D flag: `true` when the address is the packet's destination.
    pub is_destination: bool,
}

/// Outer Header Removal description (§8.2.64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OuterHeaderRemoval {
    /// 0: GTP-U/UDP/IPv4.
    GtpuUdpIpv4,
    /// 1: GTP-U/UDP/IPv6.
    GtpuUdpIpv6,
    /// 2: UDP/IPv4.
    UdpIpv4,
    /// 3: UDP/IPv6.
    UdpIpv6,
    /// 4: IPv4.
    Ipv4,
    /// 5: IPv6.
    Ipv6,
    /// 6: GTP-U/UDP/IP (either version).
    GtpuUdpIp,
    /// 7: VLAN S-TAG.
    VlanSTag,
    /// 8: S-TAG and C-TAG.
    STagCTag,
    /// Any other value.
    Unknown(u8),
}

impl OuterHeaderRemoval {
    /// Whether this removes a GTP-U tunnel header.
    pub fn removes_gtpu(self) -> bool {
        matches!(
            self,
            OuterHeaderRemoval::GtpuUdpIpv4
                | OuterHeaderRemoval::GtpuUdpIpv6
                | OuterHeaderRemoval::GtpuUdpIp
        )
    }
}

impl From<u8> for OuterHeaderRemoval {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::GtpuUdpIpv4,
            1 => Self::GtpuUdpIpv6,
            2 => Self::UdpIpv4,
            3 => Self::UdpIpv6,
            4 => Self::Ipv4,
            5 => Self::Ipv6,
            6 => Self::GtpuUdpIp,
            7 => Self::VlanSTag,
            8 => Self::STagCTag,
            x => Self::Unknown(x),
        }
    }
}

impl From<OuterHeaderRemoval> for u8 {
    fn from(v: OuterHeaderRemoval) -> u8 {
        match v {
            OuterHeaderRemoval::GtpuUdpIpv4 => 0,
            OuterHeaderRemoval::GtpuUdpIpv6 => 1,
            OuterHeaderRemoval::UdpIpv4 => 2,
            OuterHeaderRemoval::UdpIpv6 => 3,
            OuterHeaderRemoval::Ipv4 => 4,
            OuterHeaderRemoval::Ipv6 => 5,
            OuterHeaderRemoval::GtpuUdpIp => 6,
            OuterHeaderRemoval::VlanSTag => 7,
            OuterHeaderRemoval::STagCTag => 8,
            OuterHeaderRemoval::Unknown(x) => x,
        }
    }
}
