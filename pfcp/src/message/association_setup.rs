//! PFCP Association Setup Request (Table 7.4.4.1-1) and Response
//! (Table 7.4.4.2-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Association Setup Request.
    pub struct AssociationSetupRequest {
        mandatory node_id: NodeId = t::NODE_ID,
        mandatory recovery_time_stamp: RecoveryTimeStamp = t::RECOVERY_TIME_STAMP,
        optional up_function_features: UpFunctionFeatures = t::UP_FUNCTION_FEATURES,
        optional cp_function_features: CpFunctionFeatures = t::CP_FUNCTION_FEATURES,
        multiple alternative_smf_ip_addresses: AlternativeSmfIpAddress = t::ALTERNATIVE_SMF_IP_ADDRESS,
        optional smf_set_id: SmfSetId = t::SMF_SET_ID,
        optional pfcp_session_retention_information: PfcpSessionRetentionInformation = t::PFCP_SESSION_RETENTION_INFORMATION,
        multiple ue_ip_address_pool_information: UeIpAddressPoolInformation = t::UE_IP_ADDRESS_POOL_INFORMATION,
        optional upf_instance_id: NfInstanceId = t::NF_INSTANCE_ID,
        optional pfcpasreq_flags: PfcpAsReqFlags = t::PFCPASREQ_FLAGS,
    }
}

ie_list! {
    /// Association Setup Response.
    pub struct AssociationSetupResponse {
        mandatory node_id: NodeId = t::NODE_ID,
        mandatory cause: Cause = t::CAUSE,
        mandatory recovery_time_stamp: RecoveryTimeStamp = t::RECOVERY_TIME_STAMP,
        optional up_function_features: UpFunctionFeatures = t::UP_FUNCTION_FEATURES,
        optional cp_function_features: CpFunctionFeatures = t::CP_FUNCTION_FEATURES,
        multiple alternative_smf_ip_addresses: AlternativeSmfIpAddress = t::ALTERNATIVE_SMF_IP_ADDRESS,
        optional smf_set_id: SmfSetId = t::SMF_SET_ID,
        optional pfcpasrsp_flags: PfcpAsRspFlags = t::PFCPASRSP_FLAGS,
        multiple ue_ip_address_pool_information: UeIpAddressPoolInformation = t::UE_IP_ADDRESS_POOL_INFORMATION,
        optional upf_instance_id: NfInstanceId = t::NF_INSTANCE_ID,
    }
}
