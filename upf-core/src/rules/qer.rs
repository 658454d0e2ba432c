//! QoS Enforcement Rule (TS 29.244 §5.2.2, §7.5.2.5).

use super::QerId;

/// Gate status of one direction (§8.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GateStatus {
    /// Packets pass.
    #[default]
    Open,
    /// Packets are dropped.
    Closed,
}

impl From<u8> for GateStatus {
    /// Any value other than 0 closes the gate (1 is CLOSED; 2 and 3 are spare
    /// and are treated as closed rather than silently opened).
    fn from(v: u8) -> Self {
        if v & 0x3 == 0 {
            GateStatus::Open
        } else {
            GateStatus::Closed
        }
    }
}

/// A bit rate pair in kbit/s, uplink and downlink (MBR §8.2.8, GBR §8.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BitRate {
    /// Uplink, kbit/s.
    pub ul_kbps: u64,
    /// Downlink, kbit/s.
    pub dl_kbps: u64,
}

/// A QER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qer {
    /// QER ID, unique within the session.
    pub id: QerId,
    /// QER correlation ID (kept).
    pub correlation_id: Option<u32>,
    /// Uplink gate.
    pub gate_ul: GateStatus,
    /// Downlink gate.
    pub gate_dl: GateStatus,
    /// Maximum bit rate (0 in a direction means no limit).
    pub mbr: Option<BitRate>,
    /// Guaranteed bit rate.
    pub gbr: Option<BitRate>,
    /// QFI written into downlink PDU Session Containers.
    pub qfi: Option<u8>,
    /// Reflective QoS indication for downlink.
    pub rqi: bool,
    /// Paging policy indicator for downlink.
    pub ppi: Option<u8>,
    /// Averaging window, ms.
    pub averaging_window_ms: Option<u32>,
}

impl Qer {
    /// An open QER with nothing else set.
    pub fn open(id: QerId) -> Self {
        Qer {
            id,
            correlation_id: None,
            gate_ul: GateStatus::Open,
            gate_dl: GateStatus::Open,
            mbr: None,
            gbr: None,
            qfi: None,
            rqi: false,
            ppi: None,
            averaging_window_ms: None,
        }
    }
}
