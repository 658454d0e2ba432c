//! PFCP Session Modification Request (Table 7.5.4.1-1) and Response
//! (Table 7.5.5.1-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Session Modification Request.
    pub struct SessionModificationRequest {
        optional cp_f_seid: FSeid = t::F_SEID,
        multiple remove_pdrs: RemovePdr = t::REMOVE_PDR,
        multiple remove_fars: RemoveFar = t::REMOVE_FAR,
        multiple remove_urrs: RemoveUrr = t::REMOVE_URR,
        multiple remove_qers: RemoveQer = t::REMOVE_QER,
        optional remove_bar: RemoveBar = t::REMOVE_BAR,
        multiple remove_traffic_endpoints: RemoveTrafficEndpoint = t::REMOVE_TRAFFIC_ENDPOINT,
        multiple create_pdrs: CreatePdr = t::CREATE_PDR,
        multiple create_fars: CreateFar = t::CREATE_FAR,
        multiple create_urrs: CreateUrr = t::CREATE_URR,
        multiple create_qers: CreateQer = t::CREATE_QER,
        optional create_bar: CreateBar = t::CREATE_BAR,
        multiple create_traffic_endpoints: CreateTrafficEndpoint = t::CREATE_TRAFFIC_ENDPOINT,
        multiple update_pdrs: UpdatePdr = t::UPDATE_PDR,
        multiple update_fars: UpdateFar = t::UPDATE_FAR,
        multiple update_urrs: UpdateUrr = t::UPDATE_URR,
        multiple update_qers: UpdateQer = t::UPDATE_QER,
        optional update_bar: UpdateBar = t::UPDATE_BAR_SESSION_MODIFICATION_REQUEST,
        multiple update_traffic_endpoints: UpdateTrafficEndpoint = t::UPDATE_TRAFFIC_ENDPOINT,
        optional pfcpsmreq_flags: PfcpSmReqFlags = t::PFCPSMREQ_FLAGS,
        multiple query_urrs: QueryUrr = t::QUERY_URR,
        multiple fq_csids: FqCsid = t::FQ_CSID,
        optional user_plane_inactivity_timer: UserPlaneInactivityTimer = t::USER_PLANE_INACTIVITY_TIMER,
        optional query_urr_reference: QueryUrrReference = t::QUERY_URR_REFERENCE,
        optional node_id: NodeId = t::NODE_ID,
        optional s_nssai: Snssai = t::S_NSSAI,
    }
}

ie_list! {
    /// Session Modification Response.
    pub struct SessionModificationResponse {
        mandatory cause: Cause = t::CAUSE,
        optional offending_ie: OffendingIe = t::OFFENDING_IE,
        multiple created_pdrs: CreatedPdr = t::CREATED_PDR,
        optional load_control_information: LoadControlInformation = t::LOAD_CONTROL_INFORMATION,
        optional overload_control_information: OverloadControlInformation = t::OVERLOAD_CONTROL_INFORMATION,
        multiple usage_reports: UsageReport = t::USAGE_REPORT_SESSION_MODIFICATION_RESPONSE,
        optional failed_rule_id: FailedRuleId = t::FAILED_RULE_ID,
        optional additional_usage_reports_information: AdditionalUsageReportsInformation = t::ADDITIONAL_USAGE_REPORTS_INFORMATION,
        multiple created_traffic_endpoints: CreatedTrafficEndpoint = t::CREATED_TRAFFIC_ENDPOINT,
    }
}
