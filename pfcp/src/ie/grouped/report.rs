//! Report IEs: Downlink Data Report (Table 7.5.8.2-1), Error Indication
//! Report (Table 7.5.8.4-1), User Plane Path Failure Report
//! (Table 7.4.5.1.2-1), User Plane Path Recovery Report
//! (Table 7.4.5.1.3-1).

use crate::ie::types as t;
use crate::ie::*;

grouped_ie! {
    /// Downlink Data Report.
    pub struct DownlinkDataReport = t::DOWNLINK_DATA_REPORT {
        mandatory_multiple pdr_ids: PdrId = t::PDR_ID,
        multiple downlink_data_service_information: DownlinkDataServiceInformation = t::DOWNLINK_DATA_SERVICE_INFORMATION,
        optional data_status: DataStatus = t::DATA_STATUS,
    }
}

grouped_ie! {
    /// Error Indication Report: the remote F-TEIDs an Error Indication came
    /// for.
    pub struct ErrorIndicationReport = t::ERROR_INDICATION_REPORT {
        mandatory_multiple remote_f_teids: FTeid = t::F_TEID,
    }
}

grouped_ie! {
    /// User Plane Path Failure Report.
    pub struct UserPlanePathFailureReport = t::USER_PLANE_PATH_FAILURE_REPORT {
        mandatory_multiple remote_gtpu_peers: RemoteGtpuPeer = t::REMOTE_GTP_U_PEER,
    }
}

grouped_ie! {
    /// User Plane Path Recovery Report.
    pub struct UserPlanePathRecoveryReport = t::USER_PLANE_PATH_RECOVERY_REPORT {
        mandatory_multiple remote_gtpu_peers: RemoteGtpuPeer = t::REMOTE_GTP_U_PEER,
    }
}
