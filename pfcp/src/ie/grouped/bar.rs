//! BAR IEs: Create BAR (Table 7.5.2.6-1), Update BAR (Tables 7.5.4.11-1
//! and 7.5.9.2-1), Remove BAR (Table 7.5.4.12-1).

use crate::ie::types as t;
use crate::ie::*;

grouped_ie! {
    /// Create BAR.
    pub struct CreateBar = t::CREATE_BAR {
        mandatory bar_id: BarId = t::BAR_ID,
        optional downlink_data_notification_delay: DownlinkDataNotificationDelay = t::DOWNLINK_DATA_NOTIFICATION_DELAY,
        optional suggested_buffering_packets_count: SuggestedBufferingPacketsCount = t::SUGGESTED_BUFFERING_PACKETS_COUNT,
    }
}

ie_list! {
    /// Update BAR, in a Session Modification Request (type 86) or a
    /// Session Report Response (type 12): the union of both tables (the
    /// Report Response form adds DL Buffering Duration and DL Buffering
    /// Suggested Packet Count).
    pub struct UpdateBar {
        mandatory bar_id: BarId = t::BAR_ID,
        optional downlink_data_notification_delay: DownlinkDataNotificationDelay = t::DOWNLINK_DATA_NOTIFICATION_DELAY,
        optional dl_buffering_duration: DlBufferingDuration = t::DL_BUFFERING_DURATION,
        optional dl_buffering_suggested_packet_count: DlBufferingSuggestedPacketCount = t::DL_BUFFERING_SUGGESTED_PACKET_COUNT,
        optional suggested_buffering_packets_count: SuggestedBufferingPacketsCount = t::SUGGESTED_BUFFERING_PACKETS_COUNT,
    }
}

grouped_ie! {
    /// Remove BAR.
    pub struct RemoveBar = t::REMOVE_BAR {
        mandatory bar_id: BarId = t::BAR_ID,
    }
}
