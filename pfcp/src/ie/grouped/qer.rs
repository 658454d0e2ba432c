//! QER IEs: Create QER (Table 7.5.2.5-1), Update QER (Table 7.5.4.5-1),
//! Remove QER.

use crate::ie::types as t;
use crate::ie::*;

grouped_ie! {
    /// Create QER.
    pub struct CreateQer = t::CREATE_QER {
        mandatory qer_id: QerId = t::QER_ID,
        optional qer_correlation_id: QerCorrelationId = t::QER_CORRELATION_ID,
        mandatory gate_status: GateStatus = t::GATE_STATUS,
        optional mbr: Mbr = t::MBR,
        optional gbr: Gbr = t::GBR,
        optional packet_rate: PacketRate = t::PACKET_RATE,
        optional dl_flow_level_marking: DlFlowLevelMarking = t::DL_FLOW_LEVEL_MARKING,
        optional qfi: Qfi = t::QFI,
        optional rqi: Rqi = t::RQI,
        optional paging_policy_indicator: PagingPolicyIndicator = t::PAGING_POLICY_INDICATOR,
        optional averaging_window: AveragingWindow = t::AVERAGING_WINDOW,
    }
}

grouped_ie! {
    /// Update QER.
    pub struct UpdateQer = t::UPDATE_QER {
        mandatory qer_id: QerId = t::QER_ID,
        optional qer_correlation_id: QerCorrelationId = t::QER_CORRELATION_ID,
        optional gate_status: GateStatus = t::GATE_STATUS,
        optional mbr: Mbr = t::MBR,
        optional gbr: Gbr = t::GBR,
        optional packet_rate: PacketRate = t::PACKET_RATE,
        optional dl_flow_level_marking: DlFlowLevelMarking = t::DL_FLOW_LEVEL_MARKING,
        optional qfi: Qfi = t::QFI,
        optional rqi: Rqi = t::RQI,
        optional paging_policy_indicator: PagingPolicyIndicator = t::PAGING_POLICY_INDICATOR,
        optional averaging_window: AveragingWindow = t::AVERAGING_WINDOW,
    }
}

grouped_ie! {
    /// Remove QER.
    pub struct RemoveQer = t::REMOVE_QER {
        mandatory qer_id: QerId = t::QER_ID,
    }
}
