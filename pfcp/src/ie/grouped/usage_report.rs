//! Usage Report (Tables 7.5.5.2-1, 7.5.7.2-1, 7.5.8.3-1) and Application
//! Detection Information (Table 7.5.8.3-2).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Usage Report, carried as type 78 in a Session Modification
    /// Response, 79 in a Session Deletion Response and 80 in a Session
    /// Report Request. One struct holds the union of the three tables
    /// (Application Detection Information, UE IP Address and Network
    /// Instance appear only in the Report Request form).
    pub struct UsageReport {
        mandatory urr_id: UrrId = t::URR_ID,
        mandatory ur_seqn: UrSeqn = t::UR_SEQN,
        mandatory usage_report_trigger: UsageReportTrigger = t::USAGE_REPORT_TRIGGER,
        optional start_time: StartTime = t::START_TIME,
        optional end_time: EndTime = t::END_TIME,
        optional volume_measurement: VolumeMeasurement = t::VOLUME_MEASUREMENT,
        optional duration_measurement: DurationMeasurement = t::DURATION_MEASUREMENT,
        optional application_detection_information: ApplicationDetectionInformation = t::APPLICATION_DETECTION_INFORMATION,
        optional ue_ip_address: UeIpAddress = t::UE_IP_ADDRESS,
        optional network_instance: NetworkInstance = t::NETWORK_INSTANCE,
        optional time_of_first_packet: TimeOfFirstPacket = t::TIME_OF_FIRST_PACKET,
        optional time_of_last_packet: TimeOfLastPacket = t::TIME_OF_LAST_PACKET,
        optional usage_information: UsageInformation = t::USAGE_INFORMATION,
        optional query_urr_reference: QueryUrrReference = t::QUERY_URR_REFERENCE,
        multiple event_time_stamps: EventTimeStamp = t::EVENT_TIME_STAMP,
    }
}

grouped_ie! {
    /// Application Detection Information.
    pub struct ApplicationDetectionInformation = t::APPLICATION_DETECTION_INFORMATION {
        mandatory application_id: ApplicationId = t::APPLICATION_ID,
        optional application_instance_id: ApplicationInstanceId = t::APPLICATION_INSTANCE_ID,
        optional flow_information: FlowInformation = t::FLOW_INFORMATION,
        optional pdr_id: PdrId = t::PDR_ID,
    }
}
