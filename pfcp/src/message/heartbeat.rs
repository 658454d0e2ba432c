//! Heartbeat Request (Table 7.4.2.1-1) and Response (Table 7.4.2.2-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Heartbeat Request.
    pub struct HeartbeatRequest {
        mandatory recovery_time_stamp: RecoveryTimeStamp = t::RECOVERY_TIME_STAMP,
        optional source_ip_address: SourceIpAddress = t::SOURCE_IP_ADDRESS,
    }
}

ie_list! {
    /// Heartbeat Response.
    pub struct HeartbeatResponse {
        mandatory recovery_time_stamp: RecoveryTimeStamp = t::RECOVERY_TIME_STAMP,
    }
}
