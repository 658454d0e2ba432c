//! PFCP Session Establishment Request (Table 7.5.2.1-1) and Response
//! (Table 7.5.3.1-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Session Establishment Request. The SGW-C, MME, PGW-C/SMF, ePDG and
    /// TWAN FQ-CSIDs share one IE type and are kept in arrival order.
    pub struct SessionEstablishmentRequest {
        mandatory node_id: NodeId = t::NODE_ID,
        mandatory cp_f_seid: FSeid = t::F_SEID,
        mandatory_multiple create_pdrs: CreatePdr = t::CREATE_PDR,
        mandatory_multiple create_fars: CreateFar = t::CREATE_FAR,
        multiple create_urrs: CreateUrr = t::CREATE_URR,
        multiple create_qers: CreateQer = t::CREATE_QER,
        optional create_bar: CreateBar = t::CREATE_BAR,
        multiple create_traffic_endpoints: CreateTrafficEndpoint = t::CREATE_TRAFFIC_ENDPOINT,
        optional pdn_type: PdnType = t::PDN_TYPE,
        multiple fq_csids: FqCsid = t::FQ_CSID,
        optional user_plane_inactivity_timer: UserPlaneInactivityTimer = t::USER_PLANE_INACTIVITY_TIMER,
        optional user_id: UserId = t::USER_ID,
        optional apn_dnn: ApnDnn = t::APN_DNN,
        optional pfcpsereq_flags: PfcpSeReqFlags = t::PFCPSEREQ_FLAGS,
        optional recovery_time_stamp: RecoveryTimeStamp = t::RECOVERY_TIME_STAMP,
        optional s_nssai: Snssai = t::S_NSSAI,
    }
}

ie_list! {
    /// Session Establishment Response. The SGW-U and PGW-U/UPF FQ-CSIDs
    /// share one IE type and are kept in arrival order.
    pub struct SessionEstablishmentResponse {
        mandatory node_id: NodeId = t::NODE_ID,
        mandatory cause: Cause = t::CAUSE,
        optional offending_ie: OffendingIe = t::OFFENDING_IE,
        optional up_f_seid: FSeid = t::F_SEID,
        multiple created_pdrs: CreatedPdr = t::CREATED_PDR,
        optional load_control_information: LoadControlInformation = t::LOAD_CONTROL_INFORMATION,
        optional overload_control_information: OverloadControlInformation = t::OVERLOAD_CONTROL_INFORMATION,
        multiple fq_csids: FqCsid = t::FQ_CSID,
        optional failed_rule_id: FailedRuleId = t::FAILED_RULE_ID,
        multiple created_traffic_endpoints: CreatedTrafficEndpoint = t::CREATED_TRAFFIC_ENDPOINT,
    }
}
