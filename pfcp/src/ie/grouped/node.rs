//! Node-level grouped IEs: Load Control Information (Table 7.5.3.3-1),
//! Overload Control Information (Table 7.5.3.4-1), UE IP address Pool
//! Information (Table 7.4.4.1-3), PFCP Session Retention Information
//! (Table 7.4.4.1-2).

use crate::ie::types as t;
use crate::ie::*;

grouped_ie! {
    /// Load Control Information.
    pub struct LoadControlInformation = t::LOAD_CONTROL_INFORMATION {
        mandatory sequence_number: SequenceNumber = t::SEQUENCE_NUMBER,
        mandatory metric: Metric = t::METRIC,
    }
}

grouped_ie! {
    /// Overload Control Information.
    pub struct OverloadControlInformation = t::OVERLOAD_CONTROL_INFORMATION {
        mandatory sequence_number: SequenceNumber = t::SEQUENCE_NUMBER,
        mandatory metric: Metric = t::METRIC,
        mandatory timer: Timer = t::TIMER,
        optional oci_flags: OciFlags = t::OCI_FLAGS,
    }
}

grouped_ie! {
    /// UE IP address Pool Information.
    pub struct UeIpAddressPoolInformation = t::UE_IP_ADDRESS_POOL_INFORMATION {
        mandatory_multiple pool_identities: UeIpAddressPoolIdentity = t::UE_IP_ADDRESS_POOL_IDENTITY,
        optional network_instance: NetworkInstance = t::NETWORK_INSTANCE,
        multiple s_nssais: Snssai = t::S_NSSAI,
    }
}

grouped_ie! {
    /// PFCP Session Retention Information.
    pub struct PfcpSessionRetentionInformation = t::PFCP_SESSION_RETENTION_INFORMATION {
        multiple cp_pfcp_entity_ip_addresses: CpPfcpEntityIpAddress = t::CP_PFCP_ENTITY_IP_ADDRESS,
    }
}
