//! Buffering Action Rule (TS 29.244 §5.2.6, §7.5.2.6).

use super::BarId;

/// A BAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    /// BAR ID, unique within the session.
    pub id: BarId,
    /// Downlink Data Notification Delay, milliseconds.
    pub dl_data_notification_delay_ms: Option<u32>,
    /// Suggested buffering packet count.
    pub suggested_buffering_packets: Option<u16>,
}
