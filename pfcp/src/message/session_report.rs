//! PFCP Session Report Request (Table 7.5.8.1-1) and Response
//! (Table 7.5.9.1-1).

use crate::ie::types as t;
use crate::ie::*;

ie_list! {
    /// Session Report Request.
    pub struct SessionReportRequest {
        mandatory report_type: ReportType = t::REPORT_TYPE,
        optional downlink_data_report: DownlinkDataReport = t::DOWNLINK_DATA_REPORT,
        multiple usage_reports: UsageReport = t::USAGE_REPORT_SESSION_REPORT_REQUEST,
        optional error_indication_report: ErrorIndicationReport = t::ERROR_INDICATION_REPORT,
        optional load_control_information: LoadControlInformation = t::LOAD_CONTROL_INFORMATION,
        optional overload_control_information: OverloadControlInformation = t::OVERLOAD_CONTROL_INFORMATION,
        optional additional_usage_reports_information: AdditionalUsageReportsInformation = t::ADDITIONAL_USAGE_REPORTS_INFORMATION,
        optional pfcpsrreq_flags: PfcpSrReqFlags = t::PFCPSRREQ_FLAGS,
        optional old_cp_f_seid: FSeid = t::F_SEID,
    }
}

ie_list! {
    /// Session Report Response.
    pub struct SessionReportResponse {
        mandatory cause: Cause = t::CAUSE,
        optional offending_ie: OffendingIe = t::OFFENDING_IE,
        optional update_bar: UpdateBar = t::UPDATE_BAR_SESSION_REPORT_RESPONSE,
        optional pfcpsrrsp_flags: PfcpSrRspFlags = t::PFCPSRRSP_FLAGS,
        optional cp_f_seid: FSeid = t::F_SEID,
        optional n4u_f_teid: FTeid = t::F_TEID,
        optional alternative_smf_ip_address: AlternativeSmfIpAddress = t::ALTERNATIVE_SMF_IP_ADDRESS,
    }
}
