//! PFCP Node Report Request (Table 7.4.5.1-1) and Response
//! (Table 7.4.5.2-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Node Report Request.
    pub struct NodeReportRequest {
        mandatory node_id: NodeId = t::NODE_ID,
        mandatory node_report_type: NodeReportType = t::NODE_REPORT_TYPE,
        optional user_plane_path_failure_report: UserPlanePathFailureReport = t::USER_PLANE_PATH_FAILURE_REPORT,
        optional user_plane_path_recovery_report: UserPlanePathRecoveryReport = t::USER_PLANE_PATH_RECOVERY_REPORT,
    }
}

ie_list! {
    /// Node Report Response.
    pub struct NodeReportResponse {
        mandatory node_id: NodeId = t::NODE_ID,
        mandatory cause: Cause = t::CAUSE,
        optional offending_ie: OffendingIe = t::OFFENDING_IE,
    }
}
