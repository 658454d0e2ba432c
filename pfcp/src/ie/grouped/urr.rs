//! URR IEs: Create URR (Table 7.5.2.4-1), Aggregated URRs
//! (Table 7.5.2.4-2), Additional Monitoring Time (Table 7.5.2.4-3), Update
//! URR (Table 7.5.4.4-1), Remove URR, Query URR (Table 7.5.4.10-1).

use crate::ie::types as t;
use crate::ie::*;

grouped_ie! {
    /// Create URR.
    pub struct CreateUrr = t::CREATE_URR {
        mandatory urr_id: UrrId = t::URR_ID,
        mandatory measurement_method: MeasurementMethod = t::MEASUREMENT_METHOD,
        mandatory reporting_triggers: ReportingTriggers = t::REPORTING_TRIGGERS,
        optional measurement_period: MeasurementPeriod = t::MEASUREMENT_PERIOD,
        optional volume_threshold: VolumeThreshold = t::VOLUME_THRESHOLD,
        optional volume_quota: VolumeQuota = t::VOLUME_QUOTA,
        optional event_threshold: EventThreshold = t::EVENT_THRESHOLD,
        optional event_quota: EventQuota = t::EVENT_QUOTA,
        optional time_threshold: TimeThreshold = t::TIME_THRESHOLD,
        optional time_quota: TimeQuota = t::TIME_QUOTA,
        optional quota_holding_time: QuotaHoldingTime = t::QUOTA_HOLDING_TIME,
        optional dropped_dl_traffic_threshold: DroppedDlTrafficThreshold = t::DROPPED_DL_TRAFFIC_THRESHOLD,
        optional quota_validity_time: QuotaValidityTime = t::QUOTA_VALIDITY_TIME,
        optional monitoring_time: MonitoringTime = t::MONITORING_TIME,
        optional subsequent_volume_threshold: SubsequentVolumeThreshold = t::SUBSEQUENT_VOLUME_THRESHOLD,
        optional subsequent_time_threshold: SubsequentTimeThreshold = t::SUBSEQUENT_TIME_THRESHOLD,
        optional subsequent_volume_quota: SubsequentVolumeQuota = t::SUBSEQUENT_VOLUME_QUOTA,
        optional subsequent_time_quota: SubsequentTimeQuota = t::SUBSEQUENT_TIME_QUOTA,
        optional subsequent_event_threshold: SubsequentEventThreshold = t::SUBSEQUENT_EVENT_THRESHOLD,
        optional subsequent_event_quota: SubsequentEventQuota = t::SUBSEQUENT_EVENT_QUOTA,
        optional inactivity_detection_time: InactivityDetectionTime = t::INACTIVITY_DETECTION_TIME,
        multiple linked_urr_ids: LinkedUrrId = t::LINKED_URR_ID,
        optional measurement_information: MeasurementInformation = t::MEASUREMENT_INFORMATION,
        optional time_quota_mechanism: TimeQuotaMechanism = t::TIME_QUOTA_MECHANISM,
        multiple aggregated_urrs: AggregatedUrrs = t::AGGREGATED_URRS,
        optional far_id_for_quota_action: FarId = t::FAR_ID,
        optional ethernet_inactivity_timer: EthernetInactivityTimer = t::ETHERNET_INACTIVITY_TIMER,
        multiple additional_monitoring_times: AdditionalMonitoringTime = t::ADDITIONAL_MONITORING_TIME,
        optional number_of_reports: NumberOfReports = t::NUMBER_OF_REPORTS,
        multiple exempted_application_ids: ApplicationId = t::APPLICATION_ID,
        multiple exempted_sdf_filters: SdfFilter = t::SDF_FILTER,
        optional user_plane_inactivity_timer: UserPlaneInactivityTimer = t::USER_PLANE_INACTIVITY_TIMER,
    }
}

grouped_ie! {
    /// Update URR.
    pub struct UpdateUrr = t::UPDATE_URR {
        mandatory urr_id: UrrId = t::URR_ID,
        optional measurement_method: MeasurementMethod = t::MEASUREMENT_METHOD,
        optional reporting_triggers: ReportingTriggers = t::REPORTING_TRIGGERS,
        optional measurement_period: MeasurementPeriod = t::MEASUREMENT_PERIOD,
        optional volume_threshold: VolumeThreshold = t::VOLUME_THRESHOLD,
        optional volume_quota: VolumeQuota = t::VOLUME_QUOTA,
        optional time_threshold: TimeThreshold = t::TIME_THRESHOLD,
        optional time_quota: TimeQuota = t::TIME_QUOTA,
        optional event_threshold: EventThreshold = t::EVENT_THRESHOLD,
        optional event_quota: EventQuota = t::EVENT_QUOTA,
        optional quota_holding_time: QuotaHoldingTime = t::QUOTA_HOLDING_TIME,
        optional dropped_dl_traffic_threshold: DroppedDlTrafficThreshold = t::DROPPED_DL_TRAFFIC_THRESHOLD,
        optional quota_validity_time: QuotaValidityTime = t::QUOTA_VALIDITY_TIME,
        optional monitoring_time: MonitoringTime = t::MONITORING_TIME,
        optional subsequent_volume_threshold: SubsequentVolumeThreshold = t::SUBSEQUENT_VOLUME_THRESHOLD,
        optional subsequent_time_threshold: SubsequentTimeThreshold = t::SUBSEQUENT_TIME_THRESHOLD,
        optional subsequent_volume_quota: SubsequentVolumeQuota = t::SUBSEQUENT_VOLUME_QUOTA,
        optional subsequent_time_quota: SubsequentTimeQuota = t::SUBSEQUENT_TIME_QUOTA,
        optional subsequent_event_threshold: SubsequentEventThreshold = t::SUBSEQUENT_EVENT_THRESHOLD,
        optional subsequent_event_quota: SubsequentEventQuota = t::SUBSEQUENT_EVENT_QUOTA,
        optional inactivity_detection_time: InactivityDetectionTime = t::INACTIVITY_DETECTION_TIME,
        multiple linked_urr_ids: LinkedUrrId = t::LINKED_URR_ID,
        optional measurement_information: MeasurementInformation = t::MEASUREMENT_INFORMATION,
        optional time_quota_mechanism: TimeQuotaMechanism = t::TIME_QUOTA_MECHANISM,
        multiple aggregated_urrs: AggregatedUrrs = t::AGGREGATED_URRS,
        optional far_id_for_quota_action: FarId = t::FAR_ID,
        optional ethernet_inactivity_timer: EthernetInactivityTimer = t::ETHERNET_INACTIVITY_TIMER,
        multiple additional_monitoring_times: AdditionalMonitoringTime = t::ADDITIONAL_MONITORING_TIME,
        optional number_of_reports: NumberOfReports = t::NUMBER_OF_REPORTS,
        multiple exempted_application_ids: ApplicationId = t::APPLICATION_ID,
        multiple exempted_sdf_filters: SdfFilter = t::SDF_FILTER,
        optional user_plane_inactivity_timer: UserPlaneInactivityTimer = t::USER_PLANE_INACTIVITY_TIMER,
    }
}

grouped_ie! {
    /// Aggregated URRs.
    pub struct AggregatedUrrs = t::AGGREGATED_URRS {
        mandatory aggregated_urr_id: AggregatedUrrId = t::AGGREGATED_URR_ID,
        mandatory multiplier: Multiplier = t::MULTIPLIER,
    }
}

grouped_ie! {
    /// Additional Monitoring Time.
    pub struct AdditionalMonitoringTime = t::ADDITIONAL_MONITORING_TIME {
        mandatory monitoring_time: MonitoringTime = t::MONITORING_TIME,
        optional subsequent_volume_threshold: SubsequentVolumeThreshold = t::SUBSEQUENT_VOLUME_THRESHOLD,
        optional subsequent_time_threshold: SubsequentTimeThreshold = t::SUBSEQUENT_TIME_THRESHOLD,
        optional subsequent_volume_quota: SubsequentVolumeQuota = t::SUBSEQUENT_VOLUME_QUOTA,
        optional subsequent_time_quota: SubsequentTimeQuota = t::SUBSEQUENT_TIME_QUOTA,
        optional subsequent_event_threshold: SubsequentEventThreshold = t::SUBSEQUENT_EVENT_THRESHOLD,
        optional subsequent_event_quota: SubsequentEventQuota = t::SUBSEQUENT_EVENT_QUOTA,
    }
}

grouped_ie! {
    /// Remove URR.
    pub struct RemoveUrr = t::REMOVE_URR {
        mandatory urr_id: UrrId = t::URR_ID,
    }
}

grouped_ie! {
    /// Query URR.
    pub struct QueryUrr = t::QUERY_URR {
        mandatory urr_id: UrrId = t::URR_ID,
    }
}
