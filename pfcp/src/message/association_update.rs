//! PFCP Association Update Request (Table 7.4.4.3-1) and Response
//! (Table 7.4.4.4-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Association Update Request.
    pub struct AssociationUpdateRequest {
        mandatory node_id: NodeId = t::NODE_ID,
        optional up_function_features: UpFunctionFeatures = t::UP_FUNCTION_FEATURES,
        optional cp_function_features: CpFunctionFeatures = t::CP_FUNCTION_FEATURES,
        optional pfcp_association_release_request: PfcpAssociationReleaseRequest = t::PFCP_ASSOCIATION_RELEASE_REQUEST,
        optional graceful_release_period: GracefulReleasePeriod = t::GRACEFUL_RELEASE_PERIOD,
        optional pfcpaureq_flags: PfcpAuReqFlags = t::PFCPAUREQ_FLAGS,
        multiple alternative_smf_ip_addresses: AlternativeSmfIpAddress = t::ALTERNATIVE_SMF_IP_ADDRESS,
        optional smf_set_id: SmfSetId = t::SMF_SET_ID,
        multiple ue_ip_address_pool_information: UeIpAddressPoolInformation = t::UE_IP_ADDRESS_POOL_INFORMATION,
    }
}

ie_list! {
    /// Association Update Response.
    pub struct AssociationUpdateResponse {
        mandatory node_id: NodeId = t::NODE_ID,
        mandatory cause: Cause = t::CAUSE,
        optional up_function_features: UpFunctionFeatures = t::UP_FUNCTION_FEATURES,
        optional cp_function_features: CpFunctionFeatures = t::CP_FUNCTION_FEATURES,
    }
}
