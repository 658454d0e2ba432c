//! PDR IEs: Create PDR (Table 7.5.2.2-1), PDI (Table 7.5.2.2-2), Created
//! PDR (Table 7.5.3.2-1), Update PDR (Table 7.5.4.2-1), Remove PDR
//! (Table 7.5.4.6-1).

use crate::ie::types as t;
use crate::ie::*;

grouped_ie! {
    /// Create PDR.
    pub struct CreatePdr = t::CREATE_PDR {
        mandatory pdr_id: PdrId = t::PDR_ID,
        mandatory precedence: Precedence = t::PRECEDENCE,
        mandatory pdi: Pdi = t::PDI,
        optional outer_header_removal: OuterHeaderRemoval = t::OUTER_HEADER_REMOVAL,
        optional far_id: FarId = t::FAR_ID,
        multiple urr_ids: UrrId = t::URR_ID,
        multiple qer_ids: QerId = t::QER_ID,
        multiple activate_predefined_rules: ActivatePredefinedRules = t::ACTIVATE_PREDEFINED_RULES,
        optional activation_time: ActivationTime = t::ACTIVATION_TIME,
        optional deactivation_time: DeactivationTime = t::DEACTIVATION_TIME,
        optional mar_id: MarId = t::MAR_ID,
        multiple ue_ip_address_pool_identities: UeIpAddressPoolIdentity = t::UE_IP_ADDRESS_POOL_IDENTITY,
    }
}

grouped_ie! {
    /// PDI: packet detection information.
    pub struct Pdi = t::PDI {
        mandatory source_interface: SourceInterface = t::SOURCE_INTERFACE,
        optional local_f_teid: FTeid = t::F_TEID,
        optional network_instance: NetworkInstance = t::NETWORK_INSTANCE,
        multiple ue_ip_addresses: UeIpAddress = t::UE_IP_ADDRESS,
        multiple traffic_endpoint_ids: TrafficEndpointId = t::TRAFFIC_ENDPOINT_ID,
        multiple sdf_filters: SdfFilter = t::SDF_FILTER,
        optional application_id: ApplicationId = t::APPLICATION_ID,
        multiple qfis: Qfi = t::QFI,
        multiple framed_routes: FramedRoute = t::FRAMED_ROUTE,
        optional framed_routing: FramedRouting = t::FRAMED_ROUTING,
        multiple framed_ipv6_routes: FramedIpv6Route = t::FRAMED_IPV6_ROUTE,
        optional source_interface_type: TgppInterfaceType = t::TGPP_INTERFACE_TYPE,
    }
}

grouped_ie! {
    /// Created PDR: what the UP function allocated for a PDR.
    pub struct CreatedPdr = t::CREATED_PDR {
        mandatory pdr_id: PdrId = t::PDR_ID,
        optional local_f_teid: FTeid = t::F_TEID,
        multiple ue_ip_addresses: UeIpAddress = t::UE_IP_ADDRESS,
    }
}

grouped_ie! {
    /// Update PDR.
    pub struct UpdatePdr = t::UPDATE_PDR {
        mandatory pdr_id: PdrId = t::PDR_ID,
        optional outer_header_removal: OuterHeaderRemoval = t::OUTER_HEADER_REMOVAL,
        optional precedence: Precedence = t::PRECEDENCE,
        optional pdi: Pdi = t::PDI,
        optional far_id: FarId = t::FAR_ID,
        multiple urr_ids: UrrId = t::URR_ID,
        multiple qer_ids: QerId = t::QER_ID,
        multiple activate_predefined_rules: ActivatePredefinedRules = t::ACTIVATE_PREDEFINED_RULES,
        multiple deactivate_predefined_rules: DeactivatePredefinedRules = t::DEACTIVATE_PREDEFINED_RULES,
        optional activation_time: ActivationTime = t::ACTIVATION_TIME,
        optional deactivation_time: DeactivationTime = t::DEACTIVATION_TIME,
    }
}

grouped_ie! {
    /// Remove PDR.
    pub struct RemovePdr = t::REMOVE_PDR {
        mandatory pdr_id: PdrId = t::PDR_ID,
    }
}
