//! Usage Reporting Rule (TS 29.244 §5.2.2, §7.5.2.4).

use super::UrrId;

/// Measurement Method (§8.2.40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MeasurementMethod {
    /// Duration.
    pub duration: bool,
    /// Volume.
    pub volume: bool,
    /// Event.
    pub event: bool,
}

/// Reporting Triggers (§8.2.41), bit set in the IE's order: octet 5 in bits
/// 0-7, octet 6 in bits 8-15, octet 7 in bits 16-23.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ReportingTriggers(pub u32);

impl ReportingTriggers {
    /// Periodic reporting.
    pub const PERIO: Self = Self(0x0001);
    /// Volume threshold.
    pub const VOLTH: Self = Self(0x0002);
    /// Time threshold.
    pub const TIMTH: Self = Self(0x0004);
    /// Quota holding time.
    pub const QUHTI: Self = Self(0x0008);
    /// Start of traffic.
    pub const START: Self = Self(0x0010);
    /// Stop of traffic.
    pub const STOPT: Self = Self(0x0020);
    /// Dropped DL traffic threshold.
    pub const DROTH: Self = Self(0x0040);
    /// Linked usage reporting.
    pub const LIUSA: Self = Self(0x0080);
    /// Volume quota.
    pub const VOLQU: Self = Self(0x0100);
    /// Time quota.
    pub const TIMQU: Self = Self(0x0200);
    /// Envelope closure.
    pub const ENVCL: Self = Self(0x0400);
    /// MAC addresses reporting.
    pub const MACAR: Self = Self(0x0800);
    /// Event threshold.
    pub const EVETH: Self = Self(0x1000);
    /// Event quota.
    pub const EVEQU: Self = Self(0x2000);
    /// IP multicast join/leave.
    pub const IPMJL: Self = Self(0x4000);
    /// Quota validity time.
    pub const QUVTI: Self = Self(0x8000);

    /// Whether all triggers of `other` are set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for ReportingTriggers {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// A URR. Volumes are in bytes, times in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urr {
    /// URR ID, unique within the session.
    pub id: UrrId,
    /// What is measured.
    pub measurement_method: MeasurementMethod,
    /// When a report is sent.
    pub reporting_triggers: ReportingTriggers,
    /// Period of periodic reports, seconds.
    pub measurement_period: Option<u32>,
    /// Volume threshold: total, uplink, downlink bytes.
    pub volume_threshold: Option<Volume>,
    /// Volume quota: total, uplink, downlink bytes.
    pub volume_quota: Option<Volume>,
    /// Time threshold, seconds.
    pub time_threshold: Option<u32>,
    /// Time quota, seconds.
    pub time_quota: Option<u32>,
    /// Quota holding time, seconds.
    pub quota_holding_time: Option<u32>,
    /// Inactivity detection time, seconds.
    pub inactivity_detection_time: Option<u32>,
    /// Measurement information flags (octet 5 of §8.2.68).
    pub measurement_information: u8,
}

impl Urr {
    /// A URR measuring volume, with no trigger.
    pub fn volume(id: UrrId) -> Self {
        Urr {
            id,
            measurement_method: MeasurementMethod {
                volume: true,
                ..Default::default()
            },
            reporting_triggers: ReportingTriggers::default(),
            measurement_period: None,
            volume_threshold: None,
            volume_quota: None,
            time_threshold: None,
            time_quota: None,
            quota_holding_time: None,
            inactivity_detection_time: None,
            measurement_information: 0,
        }
    }
}

/// A volume triple as the Volume Threshold/Quota IEs carry it (§8.2.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Volume {
    /// Total bytes.
    pub total: Option<u64>,
    /// Uplink bytes.
    pub uplink: Option<u64>,
    /// Downlink bytes.
    pub downlink: Option<u64>,
}
