//! PFCP Association Release Request (Table 7.4.4.5-1) and Response
//! (Table 7.4.4.6-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Association Release Request.
    pub struct AssociationReleaseRequest {
        mandatory node_id: NodeId = t::NODE_ID,
    }
}

ie_list! {
    /// Association Release Response.
    pub struct AssociationReleaseResponse {
        mandatory node_id: NodeId = t::NODE_ID,
        mandatory cause: Cause = t::CAUSE,
    }
}
