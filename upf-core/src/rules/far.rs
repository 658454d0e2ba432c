//! Forwarding Action Rule (TS 29.244 §5.2.3, §7.5.2.3).

use core::net::{Ipv4Addr, Ipv6Addr};

use super::{BarId, FarId, Interface};

/// A FAR: what happens to detected packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Far {
    /// FAR ID, unique within the session.
    pub id: FarId,
    /// Apply Action (§8.2.26).
    pub apply_action: ApplyAction,
    /// Where and how to forward, when FORW is set.
    pub forwarding: Option<ForwardingParameters>,
    /// Where to send copies, when DUPL is set.
    pub duplicating: Vec<ForwardingParameters>,
    /// BAR used while buffering.
    pub bar_id: Option<BarId>,
}

impl Far {
    /// A FAR that drops.
    pub fn drop(id: FarId) -> Self {
        Far {
            id,
            apply_action: ApplyAction::DROP,
            forwarding: None,
            duplicating: Vec::new(),
            bar_id: None,
        }
    }

    /// A FAR that forwards with `params`.
    pub fn forward(id: FarId, params: ForwardingParameters) -> Self {
        Far {
            id,
            apply_action: ApplyAction::FORW,
            forwarding: Some(params),
            duplicating: Vec::new(),
            bar_id: None,
        }
    }
}

/// Apply Action flags (§8.2.26), as a bit set in the IE's own bit order
/// (octet 5 in the low byte, octet 6 in the next).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ApplyAction(pub u16);

impl ApplyAction {
    /// Drop.
    pub const DROP: Self = Self(0x0001);
    /// Forward.
    pub const FORW: Self = Self(0x0002);
    /// Buffer.
    pub const BUFF: Self = Self(0x0004);
    /// Notify the CP function (downlink data report) on first buffered packet.
    pub const NOCP: Self = Self(0x0008);
    /// Duplicate.
    pub const DUPL: Self = Self(0x0010);
    /// IP multicast accept.
    pub const IPMA: Self = Self(0x0020);
    /// IP multicast deny.
    pub const IPMD: Self = Self(0x0040);
    /// Duplicate for redundant transmission.
    pub const DFRT: Self = Self(0x0080);
    /// Eliminate duplicate packets for redundant transmission.
    pub const EDRT: Self = Self(0x0100);
    /// Buffered downlink packet notification.
    pub const BDPN: Self = Self(0x0200);
    /// Discarded downlink packet notification.
    pub const DDPN: Self = Self(0x0400);

    /// Whether all flags of `other` are set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for ApplyAction {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// Destination interface of forwarded packets.
pub type DestinationInterface = Interface;

/// Forwarding Parameters (§7.5.2.3-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardingParameters {
    /// Destination interface.
    pub destination_interface: DestinationInterface,
    /// Network instance, opaque bytes as the SMF sent them.
    pub network_instance: Option<Vec<u8>>,
    /// Outer header to add.
    pub outer_header_creation: Option<OuterHeaderCreation>,
    /// DSCP to write in the outer header (§8.2.12).
    pub transport_level_marking: Option<TransportLevelMarking>,
    /// Forwarding policy identifier (kept, not applied: no local policies are configured).
    pub forwarding_policy: Option<Vec<u8>>,
}

impl ForwardingParameters {
    /// Plain forwarding toward `iface`.
    pub fn to(iface: Interface) -> Self {
        ForwardingParameters {
            destination_interface: iface,
            network_instance: None,
            outer_header_creation: None,
            transport_level_marking: None,
            forwarding_policy: None,
        }
    }
}

/// What outer header to create (§8.2.56).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OuterHeaderCreationKind {
    /// GTP-U/UDP/IPv4.
    GtpuUdpIpv4,
    /// GTP-U/UDP/IPv6.
    GtpuUdpIpv6,
    /// UDP/IPv4.
    UdpIpv4,
    /// UDP/IPv6.
    UdpIpv6,
    /// IPv4 (IP-in-IP).
    Ipv4,
    /// IPv6.
    Ipv6,
}

/// Outer Header Creation (§8.2.56).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OuterHeaderCreation {
    /// Header stack to create.
    pub kind: OuterHeaderCreationKind,
    /// Peer TEID (GTP-U kinds).
    pub teid: u32,
    /// Peer IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// Peer IPv6 address.
    pub ipv6: Option<Ipv6Addr>,
    /// Peer UDP port (UDP kinds; GTP-U always uses 2152).
    pub port: Option<u16>,
}

/// Transport Level Marking (§8.2.12): ToS/Traffic Class and its mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportLevelMarking {
    /// ToS / Traffic Class value (DSCP in the upper six bits).
    pub tos: u8,
    /// Mask.
    pub mask: u8,
}

impl TransportLevelMarking {
    /// The DSCP this marking sets.
    pub fn dscp(self) -> u8 {
        self.tos >> 2
    }
}
