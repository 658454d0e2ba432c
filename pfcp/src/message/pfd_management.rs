//! PFD Management Request (Table 7.4.3.1-1) and Response (Table 7.4.3.2-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// PFD Management Request.
    pub struct PfdManagementRequest {
        multiple application_ids_pfds: ApplicationIdsPfds = t::APPLICATION_IDS_PFDS,
        optional node_id: NodeId = t::NODE_ID,
    }
}

ie_list! {
    /// PFD Management Response.
    pub struct PfdManagementResponse {
        mandatory cause: Cause = t::CAUSE,
        optional offending_ie: OffendingIe = t::OFFENDING_IE,
        optional node_id: NodeId = t::NODE_ID,
    }
}
