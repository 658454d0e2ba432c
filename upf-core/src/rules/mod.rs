//! The PFCP rule model (TS 29.244 §5.2): what an SMF installs in a session.
//!
//! These types are the authoritative, control-side view of a session. They are
//! plain data, validated and turned into an immutable, lookup-ready
//! [`crate::compile::SessionRules`] before the fast path sees them.

mod bar;
mod far;
mod pdr;
mod qer;
mod session;
mod urr;

pub use bar::Bar;
pub use far::{
    ApplyAction, DestinationInterface, Far, ForwardingParameters, OuterHeaderCreation,
    OuterHeaderCreationKind, TransportLevelMarking,
};
pub use pdr::{FTeid, OuterHeaderRemoval, Pdi, Pdr, UeIpAddress};
pub use qer::{BitRate, GateStatus, Qer};
pub use session::{
    RuleError, Session, MAX_BARS, MAX_FARS, MAX_PDRS, MAX_QERS, MAX_REFS_PER_PDR, MAX_URRS,
};
pub use urr::{MeasurementMethod, ReportingTriggers, Urr, Volume};

/// PDR ID (TS 29.244 §8.2.36).
pub type PdrId = u16;
/// FAR ID (§8.2.74).
pub type FarId = u32;
/// QER ID (§8.2.75).
pub type QerId = u32;
/// URR ID (§8.2.54).
pub type UrrId = u32;
/// BAR ID (§8.2.88).
pub type BarId = u8;

/// The interface a packet comes from or goes to (TS 29.244 §8.2.2 and §8.2.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interface {
    /// Access side: N3 toward the RAN (or N9 toward an intermediate UPF on the access side).
    Access,
    /// Core side: N6 toward the data network, or N9 toward the next UPF.
    Core,
    /// SGi-LAN / N6-LAN.
    SgiLan,
    /// The CP function (the SMF), over the N4-u tunnel.
    CpFunction,
    /// LI function.
    LiFunction,
    /// 5G VN internal.
    VnInternal,
    /// A value this implementation does not know.
    Unknown(u8),
}

impl From<u8> for Interface {
    fn from(v: u8) -> Self {
        match v & 0x0f {
            0 => Interface::Access,
            1 => Interface::Core,
            2 => Interface::SgiLan,
            3 => Interface::CpFunction,
            4 => Interface::LiFunction,
            5 => Interface::VnInternal,
            x => Interface::Unknown(x),
        }
    }
}

impl From<Interface> for u8 {
    fn from(v: Interface) -> u8 {
        match v {
            Interface::Access => 0,
            Interface::Core => 1,
            Interface::SgiLan => 2,
            Interface::CpFunction => 3,
            Interface::LiFunction => 4,
            Interface::VnInternal => 5,
            Interface::Unknown(x) => x,
        }
    }
}

impl Interface {
    /// Traffic from this interface travels uplink (toward the data network).
    ///
    /// The direction decides how SDF filters are read (TS 29.244 §5.2.1A.2A):
    /// flow descriptions are written for the downlink direction, so the
    /// source and destination of an uplink packet are swapped when matched.
    pub fn is_uplink_source(self) -> bool {
        matches!(self, Interface::Access)
    }
}
