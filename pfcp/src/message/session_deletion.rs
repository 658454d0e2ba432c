//! PFCP Session Deletion Request (Table 7.5.6-1) and Response
//! (Table 7.5.7.1-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Session Deletion Request. Usually empty; later releases let an SMF
    /// of an SMF set identify itself (Node ID, CP F-SEID).
    pub struct SessionDeletionRequest {
        optional node_id: NodeId = t::NODE_ID,
        optional cp_f_seid: FSeid = t::F_SEID,
    }
}

ie_list! {
    /// Session Deletion Response.
    pub struct SessionDeletionResponse {
        mandatory cause: Cause = t::CAUSE,
        optional offending_ie: OffendingIe = t::OFFENDING_IE,
        optional load_control_information: LoadControlInformation = t::LOAD_CONTROL_INFORMATION,
        optional overload_control_information: OverloadControlInformation = t::OVERLOAD_CONTROL_INFORMATION,
        multiple usage_reports: UsageReport = t::USAGE_REPORT_SESSION_DELETION_RESPONSE,
        optional additional_usage_reports_information: AdditionalUsageReportsInformation = t::ADDITIONAL_USAGE_REPORTS_INFORMATION,
    }
}
