//! Time stamps (NTP seconds, RFC 5905 §6) and durations (seconds).

use super::types;

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

uint_ie! {
    /// Recovery Time Stamp (§8.2.65): when the node started, NTP seconds.
    RecoveryTimeStamp(u32) = types::RECOVERY_TIME_STAMP;
    /// Start Time (§8.2.52), NTP seconds.
    StartTime(u32) = types::START_TIME;
    /// End Time (§8.2.53), NTP seconds.
    EndTime(u32) = types::END_TIME;
    /// Time of First Packet (§8.2.46), NTP seconds.
    TimeOfFirstPacket(u32) = types::TIME_OF_FIRST_PACKET;
    /// Time of Last Packet (§8.2.47), NTP seconds.
    TimeOfLastPacket(u32) = types::TIME_OF_LAST_PACKET;
    /// Activation Time (§8.2.121), NTP seconds.
    ActivationTime(u32) = types::ACTIVATION_TIME;
    /// Deactivation Time (§8.2.122), NTP seconds.
    DeactivationTime(u32) = types::DEACTIVATION_TIME;
    /// Event Time Stamp (§8.2.114), NTP seconds.
    EventTimeStamp(u32) = types::EVENT_TIME_STAMP;
    /// Monitoring Time (§8.2.15), NTP seconds.
    MonitoringTime(u32) = types::MONITORING_TIME;
    /// Time Threshold (§8.2.14), seconds.
    TimeThreshold(u32) = types::TIME_THRESHOLD;
    /// Subsequent Time Threshold (§8.2.17), seconds.
    SubsequentTimeThreshold(u32) = types::SUBSEQUENT_TIME_THRESHOLD;
    /// Inactivity Detection Time (§8.2.18), seconds.
    InactivityDetectionTime(u32) = types::INACTIVITY_DETECTION_TIME;
    /// Measurement Period (§8.2.42), seconds.
    MeasurementPeriod(u32) = types::MEASUREMENT_PERIOD;
    /// Duration Measurement (§8.2.45), seconds.
    DurationMeasurement(u32) = types::DURATION_MEASUREMENT;
    /// Quota Holding Time (§8.2.48), seconds.
    QuotaHoldingTime(u32) = types::QUOTA_HOLDING_TIME;
    /// Time Quota (§8.2.51), seconds.
    TimeQuota(u32) = types::TIME_QUOTA;
    /// Subsequent Time Quota (§8.2.87), seconds.
    SubsequentTimeQuota(u32) = types::SUBSEQUENT_TIME_QUOTA;
    /// User Plane Inactivity Timer (§8.2.83), seconds.
    UserPlaneInactivityTimer(u32) = types::USER_PLANE_INACTIVITY_TIMER;
    /// Quota Validity Time (§8.2.132), seconds.
    QuotaValidityTime(u32) = types::QUOTA_VALIDITY_TIME;
    /// Ethernet Inactivity Timer (§8.2.105), seconds.
    EthernetInactivityTimer(u32) = types::ETHERNET_INACTIVITY_TIMER;
    /// Averaging Window (§8.2.115), milliseconds.
    AveragingWindow(u32) = types::AVERAGING_WINDOW;
}

/// NTP seconds (era 0, wrapping) for Unix seconds.
pub fn unix_to_ntp(unix_secs: u64) -> u32 {
    (unix_secs.wrapping_add(NTP_UNIX_OFFSET) & 0xffff_ffff) as u32
}

/// Unix seconds for NTP seconds, reading values below the Unix epoch as
/// NTP era 1 (from 2036-02-07).
pub fn ntp_to_unix(ntp: u32) -> u64 {
    let ntp = u64::from(ntp);
    if ntp >= NTP_UNIX_OFFSET {
        ntp - NTP_UNIX_OFFSET
    } else {
        ntp + (1 << 32) - NTP_UNIX_OFFSET
    }
}

impl RecoveryTimeStamp {
    /// The time stamp for a start at `unix_secs`.
    pub fn from_unix(unix_secs: u64) -> Self {
        Self(unix_to_ntp(unix_secs))
    }

    /// The start time in Unix seconds.
    pub fn to_unix(self) -> u64 {
        ntp_to_unix(self.0)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn ntp() {
        assert_eq!(unix_to_ntp(0), 2_208_988_800);
        assert_eq!(ntp_to_unix(unix_to_ntp(1_700_000_000)), 1_700_000_000);
        assert_eq!(ntp_to_unix(unix_to_ntp(2_200_000_000)), 2_200_000_000);
        assert_eq!(RecoveryTimeStamp::from_unix(5).to_unix(), 5);
    }
}
