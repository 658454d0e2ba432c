//! Traffic endpoint IEs: Create Traffic Endpoint (Table 7.5.2.7-1), Created
//! Traffic Endpoint (Table 7.5.3.5-1), Update Traffic Endpoint
//! (Table 7.5.4.13-1), Remove Traffic Endpoint (Table 7.5.4.14-1).

use crate::ie::types as t;
use crate::ie::*;

grouped_ie! {
    /// Create Traffic Endpoint.
    pub struct CreateTrafficEndpoint = t::CREATE_TRAFFIC_ENDPOINT {
        mandatory traffic_endpoint_id: TrafficEndpointId = t::TRAFFIC_ENDPOINT_ID,
        optional local_f_teid: FTeid = t::F_TEID,
        optional network_instance: NetworkInstance = t::NETWORK_INSTANCE,
        multiple ue_ip_addresses: UeIpAddress = t::UE_IP_ADDRESS,
        multiple framed_routes: FramedRoute = t::FRAMED_ROUTE,
        optional framed_routing: FramedRouting = t::FRAMED_ROUTING,
        multiple framed_ipv6_routes: FramedIpv6Route = t::FRAMED_IPV6_ROUTE,
        multiple qfis: Qfi = t::QFI,
        optional source_interface_type: TgppInterfaceType = t::TGPP_INTERFACE_TYPE,
    }
}

grouped_ie! {
    /// Created Traffic Endpoint.
    pub struct CreatedTrafficEndpoint = t::CREATED_TRAFFIC_ENDPOINT {
        mandatory traffic_endpoint_id: TrafficEndpointId = t::TRAFFIC_ENDPOINT_ID,
        optional local_f_teid: FTeid = t::F_TEID,
        multiple ue_ip_addresses: UeIpAddress = t::UE_IP_ADDRESS,
    }
}

grouped_ie! {
    /// Update Traffic Endpoint.
    pub struct UpdateTrafficEndpoint = t::UPDATE_TRAFFIC_ENDPOINT {
        mandatory traffic_endpoint_id: TrafficEndpointId = t::TRAFFIC_ENDPOINT_ID,
        optional local_f_teid: FTeid = t::F_TEID,
        optional network_instance: NetworkInstance = t::NETWORK_INSTANCE,
        multiple ue_ip_addresses: UeIpAddress = t::UE_IP_ADDRESS,
        multiple framed_routes: FramedRoute = t::FRAMED_ROUTE,
        optional framed_routing: FramedRouting = t::FRAMED_ROUTING,
        multiple framed_ipv6_routes: FramedIpv6Route = t::FRAMED_IPV6_ROUTE,
        multiple qfis: Qfi = t::QFI,
        optional source_interface_type: TgppInterfaceType = t::TGPP_INTERFACE_TYPE,
    }
}

grouped_ie! {
    /// Remove Traffic Endpoint.
    pub struct RemoveTrafficEndpoint = t::REMOVE_TRAFFIC_ENDPOINT {
        mandatory traffic_endpoint_id: TrafficEndpointId = t::TRAFFIC_ENDPOINT_ID,
    }
}
