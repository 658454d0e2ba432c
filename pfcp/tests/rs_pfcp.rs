//! Cross-check with an independent PFCP implementation (the `rs-pfcp`
//! crate): it must decode what this crate encodes, with the same values.

mod common;

use common::{samples, Sample, RECOVERY, UPF};
use rs_pfcp::message::{self as theirs, Message as _};

fn sample(name: &str) -> Sample {
    samples().into_iter().find(|s| s.name == name).unwrap()
}

#[test]
fn every_message_parses() {
    for s in samples() {
        // rs-pfcp 0.5 requires the UP F-SEID in every Session Establishment
        // Response, while TS 29.244 Table 7.5.3.1-1 makes it conditional on
        // acceptance; a rejection without it is valid PFCP.
        if s.name == "session_establishment_response_rejected" {
            assert!(theirs::parse(&s.bytes()).is_err());
            continue;
        }
        let bytes = s.bytes();
        let m = theirs::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e:?}", s.name));
        assert_eq!(m.msg_type_code(), s.message.message_type(), "{}", s.name);
        assert_eq!(m.sequence().0, s.sequence, "{}", s.name);
        if s.message.has_seid() {
            assert_eq!(
                m.seid().map(|x| x.0),
                Some(s.seid.unwrap_or(0)),
                "{}",
                s.name
            );
        }
    }
}

#[test]
fn heartbeat() {
    for name in ["heartbeat_request", "heartbeat_response"] {
        let m = theirs::parse(&sample(name).bytes()).unwrap();
        let ie = m
            .ies(rs_pfcp::ie::IeType::RecoveryTimeStamp)
            .next()
            .unwrap_or_else(|| panic!("{name}: no Recovery Time Stamp"));
        assert_eq!(ie.as_u32().unwrap(), RECOVERY, "{name}");
    }
}

#[test]
fn association_setup() {
    let bytes = sample("association_setup_request").bytes();
    let m = theirs::AssociationSetupRequest::unmarshal(&bytes).unwrap();
    assert_eq!(m.recovery_time_stamp.as_u32().unwrap(), RECOVERY);
    let node = rs_pfcp::ie::node_id::NodeId::unmarshal(&m.node_id.payload).unwrap();
    assert_eq!(node, rs_pfcp::ie::node_id::NodeId::IPv4(UPF));
    let features = m
        .up_function_features
        .as_ref()
        .expect("UP Function Features");
    // FTUP is bit 5 of the first octet; EMPU bit 1 of the second.
    assert_eq!(features.payload[0] & 0x10, 0x10);
    assert_eq!(features.payload[1] & 0x01, 0x01);

    let bytes = sample("association_setup_response").bytes();
    let m = theirs::AssociationSetupResponse::unmarshal(&bytes).unwrap();
    assert_eq!(m.cause.payload, [1]);
}

#[test]
fn session_establishment_response() {
    let bytes = sample("session_establishment_response").bytes();
    let m = theirs::SessionEstablishmentResponse::unmarshal(&bytes).unwrap();
    assert_eq!(m.cause().unwrap().value as u8, 1);
    let fseid = m.fseid().unwrap();
    assert_eq!(fseid.seid.0, 0x100);
    assert_eq!(fseid.ipv4_address, Some(UPF));
    let pdrs: Vec<_> = m.created_pdrs_typed().collect::<Result<_, _>>().unwrap();
    assert_eq!(pdrs.len(), 2);
    assert_eq!(pdrs[0].pdr_id.value, 2);
    let fteid = pdrs[0].f_teid.as_ref().unwrap();
    assert_eq!(fteid.teid.0, 0x1234);
    assert_eq!(fteid.ipv4_address, Some(UPF));
}

fn check_usage_report(payload: &[u8], seqn: u32) {
    let ur = rs_pfcp::ie::usage_report::UsageReport::unmarshal(payload).unwrap();
    assert_eq!(ur.urr_id.id, 1);
    assert_eq!(ur.ur_seqn.sequence_number(), seqn);
    let vol = ur.volume_measurement.expect("Volume Measurement");
    assert_eq!(vol.total_volume, Some(123_456));
    assert_eq!(vol.uplink_volume, Some(23_456));
    assert_eq!(vol.downlink_volume, Some(100_000));
    assert_eq!(vol.total_packets, Some(30));
    assert_eq!(vol.uplink_packets, Some(10));
    assert_eq!(vol.downlink_packets, Some(20));
    assert_eq!(ur.duration_measurement.unwrap().duration_seconds, 200);
}

#[test]
fn session_deletion_response_with_usage_report() {
    let bytes = sample("session_deletion_response").bytes();
    let m = theirs::SessionDeletionResponse::unmarshal(&bytes).unwrap();
    assert_eq!(m.cause.payload, [1]);
    assert_eq!(m.usage_reports.len(), 1);
    check_usage_report(&m.usage_reports[0].payload, 4);
}

#[test]
fn session_report_request() {
    let bytes = sample("session_report_request_usar").bytes();
    let m = theirs::SessionReportRequest::unmarshal(&bytes).unwrap();
    assert_eq!(m.report_type.as_ref().unwrap().payload, [0x02]); // USAR
    assert_eq!(m.usage_reports.len(), 1);
    check_usage_report(&m.usage_reports[0].payload, 5);

    let bytes = sample("session_report_request_dldr").bytes();
    let m = theirs::SessionReportRequest::unmarshal(&bytes).unwrap();
    assert_eq!(m.report_type.as_ref().unwrap().payload, [0x01]); // DLDR
                                                                 // rs-pfcp 0.5 files the Downlink Data Report (type 83) under its
                                                                 // additional IEs: its `downlink_data_report` field is filled from type
                                                                 // 45 (Downlink Data Service Information) instead.
    let ddr = m
        .ies
        .iter()
        .find(|ie| ie.raw_type() == 83)
        .expect("Downlink Data Report");
    // PDR ID 1, then Downlink Data Service Information with QFI 1.
    assert_eq!(ddr.payload, [0, 56, 0, 2, 0, 1, 0, 45, 0, 2, 0x02, 1]);
}
