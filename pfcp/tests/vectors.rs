//! Golden vectors from an independent encoder (scapy's contrib.pfcp, see
//! `tests/vectors/gen_vectors.py`): decode each, check the fields that
//! matter, and re-encode.
//!
//! Every vector except `session_establishment_request_free5gc` lists its
//! IEs in the order of the spec's tables, which is the order this codec
//! encodes in, so re-encoding must give the same octets. The free5GC-shaped
//! vector puts Create QER before Create URR; it must re-encode to a message
//! that decodes to the same value.

use pfcp::ie::{self, *};
use pfcp::message::*;
use pfcp::{Cause, Header, Message};
use std::net::Ipv4Addr;

const SMF: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 4);
const UPF: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 7);
const GNB: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 10);
const UE: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 2);
const RECOVERY: u32 = 3_900_000_000;

fn load(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Decodes a vector and checks that re-encoding gives the same octets.
fn exact(name: &str) -> (Header, Message) {
    let bytes = load(name);
    let (header, msg) = Message::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let again = msg.encode_with_header(&header).unwrap();
    assert_eq!(hex(&again), hex(&bytes), "{name}: re-encoding differs");
    assert_eq!(msg.encoded_len(), bytes.len(), "{name}: encoded_len");
    (header, msg)
}

/// Decodes a vector and checks that re-encoding decodes to the same value.
fn semantic(name: &str) -> (Header, Message) {
    let bytes = load(name);
    let (header, msg) = Message::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let again = msg.encode_with_header(&header).unwrap();
    assert_eq!(again.len(), bytes.len(), "{name}: length");
    let (h2, m2) = Message::decode(&again).unwrap();
    assert_eq!(
        (h2, m2),
        (header, msg.clone()),
        "{name}: decode(encode(x)) != x"
    );
    (header, msg)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

macro_rules! expect {
    ($msg:expr, $variant:ident) => {
        match $msg {
            Message::$variant(m) => m,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    };
}

#[test]
fn heartbeat() {
    let (h, m) = exact("heartbeat_request");
    assert_eq!((h.message_type, h.sequence, h.seid), (1, 1, None));
    let m = expect!(m, HeartbeatRequest);
    assert_eq!(m.recovery_time_stamp, RecoveryTimeStamp(RECOVERY));
    assert!(m.unknown.is_empty());
    // The typed path gives the same.
    let (_, typed) = HeartbeatRequest::decode(&load("heartbeat_request")).unwrap();
    assert_eq!(typed, m);
    assert_eq!(typed.encode(1, None).unwrap(), load("heartbeat_request"));

    let (_, m) = exact("heartbeat_response");
    let m = expect!(m, HeartbeatResponse);
    assert_eq!(m.recovery_time_stamp.0, RECOVERY + 7);
}

#[test]
fn unknown_and_vendor_ies_are_kept() {
    let (_, m) = exact("heartbeat_request_unknown_ies");
    let m = expect!(m, HeartbeatRequest);
    assert_eq!(
        m.unknown,
        vec![
            RawIe::new(1000, vec![0xde, 0xad]),
            RawIe::vendor(1, 32473, vec![1, 2, 3]),
        ]
    );
}

#[test]
fn association_setup() {
    let (_, m) = exact("association_setup_request_smf");
    let m = expect!(m, AssociationSetupRequest);
    assert_eq!(m.node_id, NodeId::Ipv4(SMF));
    assert_eq!(m.recovery_time_stamp.0, RECOVERY);
    let cp = m.cp_function_features.unwrap();
    assert!(cp.has(CpFunctionFeatures::LOAD) && cp.has(CpFunctionFeatures::OVRL));
    assert!(!cp.has(CpFunctionFeatures::EPFAR));
    assert!(m.up_function_features.is_none());

    let (_, m) = exact("association_setup_request_upf");
    let m = expect!(m, AssociationSetupRequest);
    assert_eq!(m.node_id, NodeId::Ipv4(UPF));
    let up = m.up_function_features.unwrap();
    assert_eq!(up.octets().len(), 4);
    for (name, on) in [
        ("ftup", up.ftup()),
        ("bucp", up.bucp()),
        ("ddnd", up.ddnd()),
        ("empu", up.empu()),
        ("pdiu", up.pdiu()),
        ("quoac", up.quoac()),
        ("frrt", up.frrt()),
        ("ueip", up.ueip()),
        ("mnop", up.mnop()),
        ("vtime", up.vtime()),
    ] {
        assert!(on, "{name}");
    }
    assert!(!up.has(UpFunctionFeatures::TREU) && !up.has(UpFunctionFeatures::SSET));

    let (_, m) = exact("association_setup_response");
    let m = expect!(m, AssociationSetupResponse);
    assert_eq!(m.cause, Cause::REQUEST_ACCEPTED);
    assert_eq!(m.node_id, NodeId::Ipv4(UPF));
    let up = m.up_function_features.unwrap();
    assert!(up.ftup() && up.empu() && !up.bucp());
}

#[test]
fn association_release() {
    let (_, m) = exact("association_release_request");
    let m = expect!(m, AssociationReleaseRequest);
    assert_eq!(
        m.node_id,
        NodeId::Fqdn("smf.5gc.mnc001.mcc001.3gppnetwork.org".into())
    );
    let (_, m) = exact("association_release_response");
    let m = expect!(m, AssociationReleaseResponse);
    assert_eq!((m.node_id, m.cause), (NodeId::Ipv4(UPF), Cause(1)));
}

#[test]
fn node_report() {
    let (_, m) = exact("node_report_request");
    let m = expect!(m, NodeReportRequest);
    assert!(m.node_report_type.has(NodeReportType::UPFR));
    let peers = &m.user_plane_path_failure_report.unwrap().remote_gtpu_peers;
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].ipv4, Some(GNB));
    let (_, m) = exact("node_report_response");
    assert_eq!(expect!(m, NodeReportResponse).cause, Cause(1));
}

#[test]
fn pfd_management() {
    let (_, m) = exact("pfd_management_request");
    let m = expect!(m, PfdManagementRequest);
    let app = &m.application_ids_pfds[0];
    assert_eq!(app.application_id.0, b"video");
    let c = &app.pfd_contexts[0].pfd_contents[0];
    assert_eq!(
        c.flow_description.as_deref(),
        Some(&b"permit out 6 from 198.51.100.0/24 443 to assigned"[..])
    );
    let (_, m) = exact("pfd_management_response");
    assert_eq!(expect!(m, PfdManagementResponse).cause, Cause(1));
}

#[test]
fn version_not_supported() {
    let (h, m) = exact("version_not_supported_response");
    assert_eq!(h.message_type, 11);
    assert_eq!(expect!(m, VersionNotSupportedResponse), Default::default());
}

#[test]
fn session_establishment_open5gs() {
    let (h, m) = exact("session_establishment_request_open5gs");
    assert_eq!((h.seid, h.sequence), (Some(0), 100));
    let m = expect!(m, SessionEstablishmentRequest);
    assert_eq!(m.node_id, NodeId::Ipv4(SMF));
    assert_eq!(m.cp_f_seid, FSeid::v4(1, SMF));
    assert_eq!(m.create_pdrs.len(), 4);

    let dl = &m.create_pdrs[0];
    assert_eq!((dl.pdr_id, dl.precedence), (PdrId(1), Precedence(255)));
    assert_eq!(dl.pdi.source_interface, SourceInterface::Core);
    assert!(dl.pdi.network_instance.as_ref().unwrap().is_label_encoded());
    assert_eq!(
        dl.pdi.network_instance.as_ref().unwrap().to_name(),
        "internet"
    );
    assert_eq!(dl.pdi.ue_ip_addresses, vec![UeIpAddress::v4(UE, true)]);
    assert_eq!(
        (dl.far_id, &dl.urr_ids, &dl.qer_ids),
        (Some(FarId(1)), &vec![UrrId(1)], &vec![QerId(1)])
    );

    let ul = &m.create_pdrs[1];
    assert_eq!(ul.pdi.source_interface, SourceInterface::Access);
    assert_eq!(
        ul.pdi.local_f_teid,
        Some(FTeid::Choose {
            v4: true,
            v6: true,
            choose_id: Some(5)
        })
    );
    assert_eq!(ul.pdi.qfis, vec![Qfi(1)]);
    assert_eq!(
        ul.outer_header_removal.unwrap().description,
        ie::outer_header::OuterHeaderRemovalDescription::GtpuUdpIp
    );

    let rs = &m.create_pdrs[2];
    assert_eq!(
        rs.pdi.sdf_filters[0].flow_description_str().as_deref(),
        Some("permit out 58 from ff02::2/128 to assigned")
    );
    let cp = &m.create_pdrs[3];
    assert_eq!(cp.pdi.source_interface, SourceInterface::CpFunction);
    assert_eq!(
        cp.pdi.local_f_teid,
        Some(FTeid::Choose {
            v4: true,
            v6: false,
            choose_id: None
        })
    );

    assert_eq!(m.create_fars.len(), 3);
    let buff = &m.create_fars[0];
    assert!(buff.apply_action.has(ApplyAction::BUFF) && buff.apply_action.has(ApplyAction::NOCP));
    assert!(!buff.apply_action.has(ApplyAction::FORW));
    assert_eq!(buff.bar_id, Some(BarId(1)));
    let to_cp = m.create_fars[2].forwarding_parameters.as_ref().unwrap();
    assert_eq!(
        to_cp.destination_interface,
        DestinationInterface::CpFunction
    );
    assert_eq!(
        to_cp.outer_header_creation,
        Some(OuterHeaderCreation::gtpu_v4(1, SMF))
    );

    let urr = &m.create_urrs[0];
    assert!(urr.measurement_method.has(MeasurementMethod::VOLUM));
    assert!(urr.measurement_method.has(MeasurementMethod::DURAT));
    assert!(urr.reporting_triggers.has(ReportingTriggers::VOLTH));
    assert!(urr.reporting_triggers.has(ReportingTriggers::TIMTH));
    assert_eq!(urr.volume_threshold.unwrap().total, Some(1_000_000_000));
    assert_eq!(urr.time_threshold, Some(TimeThreshold(3600)));

    let qer = &m.create_qers[0];
    assert_eq!(qer.gate_status, GateStatus::default());
    assert_eq!(
        qer.mbr,
        Some(Mbr {
            ul_kbps: 1_000_000,
            dl_kbps: 2_000_000
        })
    );
    assert_eq!(
        qer.gbr,
        Some(Gbr {
            ul_kbps: 5_000,
            dl_kbps: 10_000
        })
    );
    assert_eq!(qer.qfi, Some(Qfi(1)));

    let bar = m.create_bar.as_ref().unwrap();
    assert_eq!(bar.bar_id, BarId(1));
    assert_eq!(
        bar.suggested_buffering_packets_count,
        Some(SuggestedBufferingPacketsCount(10))
    );
    assert_eq!(m.pdn_type, Some(PdnType::Ipv4));
    assert_eq!(
        tbcd_digits(m.user_id.as_ref().unwrap().imsi.as_ref().unwrap()),
        "001010000000001"
    );
    assert_eq!(m.apn_dnn.as_ref().unwrap().to_name(), "internet");
    assert_eq!(
        m.s_nssai,
        Some(Snssai {
            sst: 1,
            sd: 0x010203
        })
    );
    assert!(m.unknown.is_empty());
}

#[test]
fn session_establishment_free5gc() {
    let (_, m) = semantic("session_establishment_request_free5gc");
    let m = expect!(m, SessionEstablishmentRequest);
    let ul = &m.create_pdrs[0];
    assert_eq!(ul.pdi.local_f_teid, Some(FTeid::v4(1, UPF)));
    assert!(ul.pdi.qfis.is_empty());
    assert_eq!(ul.qer_ids, vec![QerId(1), QerId(2)]);
    let ni = ul.pdi.network_instance.as_ref().unwrap();
    assert!(!ni.is_label_encoded());
    assert_eq!(ni.to_name(), "internet");
    assert_eq!(ni.0, b"internet");
    let dl_far = m.create_fars[1].forwarding_parameters.as_ref().unwrap();
    assert_eq!(dl_far.destination_interface, DestinationInterface::Access);
    assert_eq!(
        dl_far.outer_header_creation,
        Some(OuterHeaderCreation::gtpu_v4(1, GNB))
    );
    assert_eq!(m.create_qers.len(), 2);
    assert_eq!(m.create_qers[1].gate_status.dl, Gate::Closed);
    assert_eq!(
        m.create_urrs[0].measurement_period,
        Some(MeasurementPeriod(60))
    );

    // Our order differs (URR before QER), so the octets differ.
    let bytes = load("session_establishment_request_free5gc");
    let again = Message::SessionEstablishmentRequest(m)
        .encode(200, Some(0))
        .unwrap();
    assert_ne!(again, bytes);
}

#[test]
fn session_establishment_response() {
    let (h, m) = exact("session_establishment_response");
    assert_eq!(h.seid, Some(1));
    let m = expect!(m, SessionEstablishmentResponse);
    assert_eq!(m.cause, Cause::REQUEST_ACCEPTED);
    assert_eq!(m.up_f_seid, Some(FSeid::v4(0x100, UPF)));
    assert_eq!(m.created_pdrs.len(), 2);
    assert_eq!(m.created_pdrs[0].pdr_id, PdrId(2));
    assert_eq!(m.created_pdrs[0].local_f_teid, Some(FTeid::v4(0x1234, UPF)));

    let (_, m) = exact("session_establishment_response_rejected");
    let m = expect!(m, SessionEstablishmentResponse);
    assert_eq!(m.cause, Cause::MANDATORY_IE_MISSING);
    assert_eq!(m.offending_ie, Some(OffendingIe(56)));
}

#[test]
fn session_modification() {
    let (h, m) = exact("session_modification_request");
    assert_eq!(h.seid, Some(0x100));
    let m = expect!(m, SessionModificationRequest);
    assert_eq!(m.remove_pdrs[0].pdr_id, PdrId(4));
    let far = &m.update_fars[0];
    assert_eq!(far.far_id, FarId(1));
    assert!(far.apply_action.unwrap().has(ApplyAction::FORW));
    let ufp = far.update_forwarding_parameters.as_ref().unwrap();
    assert_eq!(
        ufp.destination_interface,
        Some(DestinationInterface::Access)
    );
    assert_eq!(
        ufp.outer_header_creation,
        Some(OuterHeaderCreation::gtpu_v4(0x42, GNB))
    );
    assert!(ufp.pfcpsmreq_flags.unwrap().has(PfcpSmReqFlags::SNDEM));
    assert_eq!(m.query_urrs[0].urr_id, UrrId(1));

    let (_, m) = exact("session_modification_response");
    let m = expect!(m, SessionModificationResponse);
    let ur = &m.usage_reports[0];
    assert_eq!((ur.urr_id, ur.ur_seqn), (UrrId(1), UrSeqn(3)));
    assert!(ur.usage_report_trigger.has(UsageReportTrigger::IMMER));
    let vol = ur.volume_measurement.unwrap();
    assert_eq!(
        (vol.total_volume, vol.uplink_volume, vol.downlink_volume),
        (Some(3000), Some(1000), Some(2000))
    );
    assert_eq!(ur.duration_measurement, Some(DurationMeasurement(60)));
}

#[test]
fn session_deletion() {
    let (h, m) = exact("session_deletion_request");
    assert_eq!(h.seid, Some(0x100));
    assert_eq!(expect!(m, SessionDeletionRequest), Default::default());
    let (_, m) = exact("session_deletion_request_cp_fseid");
    assert_eq!(
        expect!(m, SessionDeletionRequest).cp_f_seid,
        Some(FSeid::v4(1, SMF))
    );

    let (_, m) = exact("session_deletion_response");
    let m = expect!(m, SessionDeletionResponse);
    assert_eq!(m.cause, Cause(1));
    let ur = &m.usage_reports[0];
    assert_eq!(ur.ur_seqn, UrSeqn(4));
    assert!(ur.usage_report_trigger.has(UsageReportTrigger::TERMR));
    assert_eq!(ur.start_time, Some(StartTime(RECOVERY + 1000)));
    assert_eq!(ur.end_time, Some(EndTime(RECOVERY + 1200)));
    assert_eq!(
        ur.volume_measurement,
        Some(VolumeMeasurement {
            total_volume: Some(123_456),
            uplink_volume: Some(23_456),
            downlink_volume: Some(100_000),
            total_packets: Some(30),
            uplink_packets: Some(10),
            downlink_packets: Some(20),
        })
    );
    assert_eq!(ur.duration_measurement, Some(DurationMeasurement(200)));
    assert_eq!(
        ur.time_of_first_packet,
        Some(TimeOfFirstPacket(RECOVERY + 1001))
    );
    assert_eq!(
        ur.time_of_last_packet,
        Some(TimeOfLastPacket(RECOVERY + 1199))
    );
}

#[test]
fn session_report() {
    let (_, m) = exact("session_report_request_dldr");
    let m = expect!(m, SessionReportRequest);
    assert!(m.report_type.has(ReportType::DLDR));
    let ddr = m.downlink_data_report.unwrap();
    assert_eq!(ddr.pdr_ids, vec![PdrId(1)]);
    assert_eq!(ddr.downlink_data_service_information[0].qfi, Some(1));

    let (_, m) = exact("session_report_request_usar");
    let m = expect!(m, SessionReportRequest);
    assert!(m.report_type.has(ReportType::USAR));
    let ur = &m.usage_reports[0];
    assert!(ur.usage_report_trigger.has(UsageReportTrigger::VOLTH));
    assert_eq!(
        ur.volume_measurement.unwrap().total_volume,
        Some(1_000_000_000)
    );

    let (_, m) = exact("session_report_request_erir");
    let m = expect!(m, SessionReportRequest);
    assert!(m.report_type.has(ReportType::ERIR));
    assert_eq!(
        m.error_indication_report.unwrap().remote_f_teids,
        vec![FTeid::v4(0x42, GNB)]
    );

    let (_, m) = exact("session_report_response");
    let m = expect!(m, SessionReportResponse);
    assert_eq!(m.cause, Cause(1));
    let bar = m.update_bar.unwrap();
    assert_eq!(bar.bar_id, BarId(1));
    assert_eq!(bar.dl_buffering_duration.unwrap().0.seconds(), Some(120));
    assert_eq!(bar.dl_buffering_suggested_packet_count.unwrap().count(), 20);
}

#[test]
fn decode_errors_name_the_ie() {
    // Drop the PDR ID from the first Create PDR of the Open5GS request:
    // the answer is Mandatory IE missing with Offending IE = PDR ID.
    let (h, m) = Message::decode(&load("session_establishment_request_open5gs")).unwrap();
    let mut m = expect!(m, SessionEstablishmentRequest);
    let mut body = Vec::new();
    ie::IeValue::encode_value(&m.create_pdrs[0], &mut body);
    assert_eq!(&body[..6], &[0, 56, 0, 2, 0, 1]); // the PDR ID TLV
    let pdr = RawIe::new(ie::types::CREATE_PDR, body[6..].to_vec());
    m.create_pdrs.remove(0);
    m.unknown.push(pdr);
    let bytes = Message::SessionEstablishmentRequest(m)
        .encode_with_header(&h)
        .unwrap();
    let err = Message::decode(&bytes).unwrap_err();
    assert_eq!(
        err.cause(),
        (Cause::MANDATORY_IE_MISSING, Some(ie::types::PDR_ID))
    );
    assert_eq!(err.grouped_in, Some(ie::types::CREATE_PDR));

    // A Session Deletion Response without Cause.
    let mut bytes = load("session_deletion_request");
    bytes[1] = 55;
    let err = Message::decode(&bytes).unwrap_err();
    assert_eq!(
        err.cause(),
        (Cause::MANDATORY_IE_MISSING, Some(ie::types::CAUSE))
    );

    // An IE whose length runs past the message.
    let mut bytes = load("heartbeat_request");
    bytes[11] = 5;
    let err = Message::decode(&bytes).unwrap_err();
    assert_eq!(
        err.cause(),
        (Cause::INVALID_LENGTH, Some(ie::types::RECOVERY_TIME_STAMP))
    );

    // A header length that lies.
    let mut bytes = load("heartbeat_request");
    bytes[3] += 1;
    assert_eq!(
        Message::decode(&bytes).unwrap_err().cause().0,
        Cause::INVALID_LENGTH
    );

    // Version 2.
    let mut bytes = load("heartbeat_request");
    bytes[0] = 0x40;
    assert!(Message::decode(&bytes)
        .unwrap_err()
        .is_version_not_supported());
}

#[test]
fn datagram_with_follow_on() {
    let mut a = load("heartbeat_request");
    a[0] |= 0x04; // FO
    let b = load("session_deletion_request");
    let mut dgram = a.clone();
    dgram.extend_from_slice(&b);
    let msgs: Vec<_> = Message::decode_datagram(&dgram)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].1.message_type(), 1);
    assert_eq!(msgs[1].1.message_type(), 54);
    // Without FO, trailing octets are an error.
    let mut bad = load("heartbeat_request");
    bad.push(0);
    assert!(Message::decode(&bad).is_err());
}
