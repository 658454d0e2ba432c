//! PFCP Session Set Deletion Request (Table 7.4.6.1-1) and Response
//! (Table 7.4.6.2-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Session Set Deletion Request. The SGW-C, PGW-C/SMF, SGW-U,
    /// PGW-U/UPF, TWAN, ePDG and MME FQ-CSIDs share one IE type and are
    /// kept in arrival order.
    pub struct SessionSetDeletionRequest {
        mandatory node_id: NodeId = t::NODE_ID,
        multiple fq_csids: FqCsid = t::FQ_CSID,
    }
}

ie_list! {
    /// Session Set Deletion Response.
    pub struct SessionSetDeletionResponse {
        mandatory node_id: NodeId = t::NODE_ID,
        mandatory cause: Cause = t::CAUSE,
        optional offending_ie: OffendingIe = t::OFFENDING_IE,
    }
}
