//! FAR IEs: Create FAR (Table 7.5.2.3-1), Forwarding Parameters
//! (Table 7.5.2.3-2), Duplicating Parameters (Table 7.5.2.3-3), Update FAR
//! (Table 7.5.4.3-1), Update Forwarding Parameters (Table 7.5.4.3-2),
//! Update Duplicating Parameters (Table 7.5.4.3-3), Remove FAR.

use crate::ie::types as t;
use crate::ie::*;

grouped_ie! {
    /// Create FAR.
    pub struct CreateFar = t::CREATE_FAR {
        mandatory far_id: FarId = t::FAR_ID,
        mandatory apply_action: ApplyAction = t::APPLY_ACTION,
        optional forwarding_parameters: ForwardingParameters = t::FORWARDING_PARAMETERS,
        multiple duplicating_parameters: DuplicatingParameters = t::DUPLICATING_PARAMETERS,
        optional bar_id: BarId = t::BAR_ID,
    }
}

grouped_ie! {
    /// Forwarding Parameters.
    pub struct ForwardingParameters = t::FORWARDING_PARAMETERS {
        mandatory destination_interface: DestinationInterface = t::DESTINATION_INTERFACE,
        optional network_instance: NetworkInstance = t::NETWORK_INSTANCE,
        optional redirect_information: RedirectInformation = t::REDIRECT_INFORMATION,
        optional outer_header_creation: OuterHeaderCreation = t::OUTER_HEADER_CREATION,
        optional transport_level_marking: TransportLevelMarking = t::TRANSPORT_LEVEL_MARKING,
        optional forwarding_policy: ForwardingPolicy = t::FORWARDING_POLICY,
        optional header_enrichment: HeaderEnrichment = t::HEADER_ENRICHMENT,
        optional linked_traffic_endpoint_id: TrafficEndpointId = t::TRAFFIC_ENDPOINT_ID,
        optional proxying: Proxying = t::PROXYING,
        optional destination_interface_type: TgppInterfaceType = t::TGPP_INTERFACE_TYPE,
        optional data_network_access_identifier: DataNetworkAccessIdentifier = t::DATA_NETWORK_ACCESS_IDENTIFIER,
    }
}

grouped_ie! {
    /// Duplicating Parameters.
    pub struct DuplicatingParameters = t::DUPLICATING_PARAMETERS {
        mandatory destination_interface: DestinationInterface = t::DESTINATION_INTERFACE,
        optional outer_header_creation: OuterHeaderCreation = t::OUTER_HEADER_CREATION,
        optional transport_level_marking: TransportLevelMarking = t::TRANSPORT_LEVEL_MARKING,
        optional forwarding_policy: ForwardingPolicy = t::FORWARDING_POLICY,
    }
}

grouped_ie! {
    /// Update FAR.
    pub struct UpdateFar = t::UPDATE_FAR {
        mandatory far_id: FarId = t::FAR_ID,
        optional apply_action: ApplyAction = t::APPLY_ACTION,
        optional update_forwarding_parameters: UpdateForwardingParameters = t::UPDATE_FORWARDING_PARAMETERS,
        multiple update_duplicating_parameters: UpdateDuplicatingParameters = t::UPDATE_DUPLICATING_PARAMETERS,
        optional bar_id: BarId = t::BAR_ID,
    }
}

grouped_ie! {
    /// Update Forwarding Parameters.
    pub struct UpdateForwardingParameters = t::UPDATE_FORWARDING_PARAMETERS {
        optional destination_interface: DestinationInterface = t::DESTINATION_INTERFACE,
        optional network_instance: NetworkInstance = t::NETWORK_INSTANCE,
        optional redirect_information: RedirectInformation = t::REDIRECT_INFORMATION,
        optional outer_header_creation: OuterHeaderCreation = t::OUTER_HEADER_CREATION,
        optional transport_level_marking: TransportLevelMarking = t::TRANSPORT_LEVEL_MARKING,
        optional forwarding_policy: ForwardingPolicy = t::FORWARDING_POLICY,
        optional header_enrichment: HeaderEnrichment = t::HEADER_ENRICHMENT,
        optional pfcpsmreq_flags: PfcpSmReqFlags = t::PFCPSMREQ_FLAGS,
        optional linked_traffic_endpoint_id: TrafficEndpointId = t::TRAFFIC_ENDPOINT_ID,
        optional destination_interface_type: TgppInterfaceType = t::TGPP_INTERFACE_TYPE,
        optional data_network_access_identifier: DataNetworkAccessIdentifier = t::DATA_NETWORK_ACCESS_IDENTIFIER,
    }
}

grouped_ie! {
    /// Update Duplicating Parameters.
    pub struct UpdateDuplicatingParameters = t::UPDATE_DUPLICATING_PARAMETERS {
        optional destination_interface: DestinationInterface = t::DESTINATION_INTERFACE,
        optional outer_header_creation: OuterHeaderCreation = t::OUTER_HEADER_CREATION,
        optional transport_level_marking: TransportLevelMarking = t::TRANSPORT_LEVEL_MARKING,
        optional forwarding_policy: ForwardingPolicy = t::FORWARDING_POLICY,
    }
}

grouped_ie! {
    /// Remove FAR.
    pub struct RemoveFar = t::REMOVE_FAR {
        mandatory far_id: FarId = t::FAR_ID,
    }
}
