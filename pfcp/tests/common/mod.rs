//! Messages built with this crate's own types, shared by the tshark,
//! rs-pfcp and property tests.
#![allow(dead_code)]

use pfcp::ie::outer_header::OuterHeaderRemovalDescription;
use pfcp::ie::*;
use pfcp::message::*;
use pfcp::{Cause, Message};
use std::net::{Ipv4Addr, Ipv6Addr};

pub const SMF: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 4);
pub const UPF: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 7);
pub const GNB: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 10);
pub const UE: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 2);
pub const RECOVERY: u32 = 3_900_000_000;

/// One message to put on the wire.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: &'static str,
    pub message: Message,
    pub seid: Option<u64>,
    pub sequence: u32,
}

impl Sample {
    pub fn bytes(&self) -> Vec<u8> {
        self.message.encode(self.sequence, self.seid).unwrap()
    }
}

pub fn up_features() -> UpFunctionFeatures {
    UpFunctionFeatures::from_flags(&[
        UpFunctionFeatures::FTUP,
        UpFunctionFeatures::EMPU,
        UpFunctionFeatures::PDIU,
        UpFunctionFeatures::UEIP,
        UpFunctionFeatures::MNOP,
        UpFunctionFeatures::VTIME,
    ])
}

pub fn usage_report(seqn: u32, trigger: pfcp::ie::flags::Flag) -> UsageReport {
    UsageReport {
        urr_id: UrrId(1),
        ur_seqn: UrSeqn(seqn),
        usage_report_trigger: UsageReportTrigger::empty().with(trigger),
        start_time: Some(StartTime(RECOVERY + 1000)),
        end_time: Some(EndTime(RECOVERY + 1200)),
        volume_measurement: Some(VolumeMeasurement {
            total_volume: Some(123_456),
            uplink_volume: Some(23_456),
            downlink_volume: Some(100_000),
            total_packets: Some(30),
            uplink_packets: Some(10),
            downlink_packets: Some(20),
        }),
        duration_measurement: Some(DurationMeasurement(200)),
        time_of_first_packet: Some(TimeOfFirstPacket(RECOVERY + 1001)),
        time_of_last_packet: Some(TimeOfLastPacket(RECOVERY + 1199)),
        ..Default::default()
    }
}

fn internet() -> NetworkInstance {
    NetworkInstance::from_dns_name("internet")
}

/// A Session Establishment Request shaped like the ones Open5GS sends.
pub fn open5gs_establishment() -> SessionEstablishmentRequest {
    let choose = FTeid::Choose {
        v4: true,
        v6: true,
        choose_id: Some(5),
    };
    let gtpu_ip = Some(OuterHeaderRemoval::new(
        OuterHeaderRemovalDescription::GtpuUdpIp,
    ));
    SessionEstablishmentRequest {
        node_id: NodeId::Ipv4(SMF),
        cp_f_seid: FSeid::v4(1, SMF),
        create_pdrs: vec![
            CreatePdr {
                pdr_id: PdrId(1),
                precedence: Precedence(255),
                pdi: Pdi {
                    source_interface: SourceInterface::Core,
                    network_instance: Some(internet()),
                    ue_ip_addresses: vec![UeIpAddress::v4(UE, true)],
                    ..Default::default()
                },
                far_id: Some(FarId(1)),
                urr_ids: vec![UrrId(1)],
                qer_ids: vec![QerId(1)],
                ..Default::default()
            },
            CreatePdr {
                pdr_id: PdrId(2),
                precedence: Precedence(255),
                pdi: Pdi {
                    source_interface: SourceInterface::Access,
                    local_f_teid: Some(choose),
                    network_instance: Some(internet()),
                    ue_ip_addresses: vec![UeIpAddress::v4(UE, false)],
                    qfis: vec![Qfi(1)],
                    ..Default::default()
                },
                outer_header_removal: gtpu_ip,
                far_id: Some(FarId(2)),
                urr_ids: vec![UrrId(1)],
                qer_ids: vec![QerId(1)],
                ..Default::default()
            },
            CreatePdr {
                pdr_id: PdrId(3),
                precedence: Precedence(1000),
                pdi: Pdi {
                    source_interface: SourceInterface::Access,
                    local_f_teid: Some(choose),
                    network_instance: Some(internet()),
                    sdf_filters: vec![SdfFilter::flow(
                        "permit out 58 from ff02::2/128 to assigned",
                    )],
                    qfis: vec![Qfi(1)],
                    ..Default::default()
                },
                outer_header_removal: gtpu_ip,
                far_id: Some(FarId(3)),
                ..Default::default()
            },
            CreatePdr {
                pdr_id: PdrId(4),
                precedence: Precedence(1000),
                pdi: Pdi {
                    source_interface: SourceInterface::CpFunction,
                    local_f_teid: Some(FTeid::Choose {
                        v4: true,
                        v6: false,
                        choose_id: None,
                    }),
                    ..Default::default()
                },
                outer_header_removal: Some(OuterHeaderRemoval::new(
                    OuterHeaderRemovalDescription::GtpuUdpIpv4,
                )),
                far_id: Some(FarId(1)),
                ..Default::default()
            },
        ],
        create_fars: vec![
            CreateFar {
                far_id: FarId(1),
                apply_action: ApplyAction::from_flags(&[ApplyAction::BUFF, ApplyAction::NOCP]),
                bar_id: Some(BarId(1)),
                ..Default::default()
            },
            CreateFar {
                far_id: FarId(2),
                apply_action: ApplyAction::empty().with(ApplyAction::FORW),
                forwarding_parameters: Some(ForwardingParameters {
                    destination_interface: DestinationInterface::Core,
                    network_instance: Some(internet()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            CreateFar {
                far_id: FarId(3),
                apply_action: ApplyAction::empty().with(ApplyAction::FORW),
                forwarding_parameters: Some(ForwardingParameters {
                    destination_interface: DestinationInterface::CpFunction,
                    outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(1, SMF)),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ],
        create_urrs: vec![CreateUrr {
            urr_id: UrrId(1),
            measurement_method: MeasurementMethod::from_flags(&[
                MeasurementMethod::VOLUM,
                MeasurementMethod::DURAT,
            ]),
            reporting_triggers: ReportingTriggers::from_flags(&[
                ReportingTriggers::VOLTH,
                ReportingTriggers::TIMTH,
            ]),
            volume_threshold: Some(VolumeThreshold {
                total: Some(1_000_000_000),
                uplink: Some(400_000_000),
                downlink: Some(600_000_000),
            }),
            time_threshold: Some(TimeThreshold(3600)),
            ..Default::default()
        }],
        create_qers: vec![CreateQer {
            qer_id: QerId(1),
            gate_status: GateStatus::default(),
            mbr: Some(Mbr {
                ul_kbps: 1_000_000,
                dl_kbps: 2_000_000,
            }),
            gbr: Some(Gbr {
                ul_kbps: 5_000,
                dl_kbps: 10_000,
            }),
            qfi: Some(Qfi(1)),
            ..Default::default()
        }],
        create_bar: Some(CreateBar {
            bar_id: BarId(1),
            suggested_buffering_packets_count: Some(SuggestedBufferingPacketsCount(10)),
            ..Default::default()
        }),
        pdn_type: Some(PdnType::Ipv4),
        user_id: Some(UserId {
            imsi: Some(tbcd_encode("001010000000001")),
            ..Default::default()
        }),
        apn_dnn: Some(ApnDnn::from_dns_name("internet")),
        s_nssai: Some(Snssai {
            sst: 1,
            sd: 0x010203,
        }),
        ..Default::default()
    }
}

/// One message of every type, plus the rich ones.
pub fn samples() -> Vec<Sample> {
    let node = |name, message: Message, sequence| Sample {
        name,
        message,
        seid: None,
        sequence,
    };
    let session = |name, message: Message, seid, sequence| Sample {
        name,
        message,
        seid: Some(seid),
        sequence,
    };
    let ok = Cause::REQUEST_ACCEPTED;
    vec![
        node(
            "heartbeat_request",
            HeartbeatRequest {
                recovery_time_stamp: RecoveryTimeStamp(RECOVERY),
                ..Default::default()
            }
            .into(),
            1,
        ),
        node(
            "heartbeat_response",
            HeartbeatResponse {
                recovery_time_stamp: RecoveryTimeStamp(RECOVERY),
                ..Default::default()
            }
            .into(),
            1,
        ),
        node(
            "pfd_management_request",
            PfdManagementRequest {
                application_ids_pfds: vec![ApplicationIdsPfds {
                    application_id: ApplicationId::from("video"),
                    pfd_contexts: vec![PfdContext {
                        pfd_contents: vec![PfdContents {
                            flow_description: Some(
                                b"permit out 6 from 198.51.100.0/24 443 to assigned".to_vec(),
                            ),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }
            .into(),
            2,
        ),
        node(
            "pfd_management_response",
            PfdManagementResponse {
                cause: ok,
                ..Default::default()
            }
            .into(),
            2,
        ),
        node(
            "association_setup_request",
            AssociationSetupRequest {
                node_id: NodeId::Ipv4(UPF),
                recovery_time_stamp: RecoveryTimeStamp(RECOVERY),
                up_function_features: Some(up_features()),
                ..Default::default()
            }
            .into(),
            3,
        ),
        node(
            "association_setup_response",
            AssociationSetupResponse {
                node_id: NodeId::Ipv4(UPF),
                cause: ok,
                recovery_time_stamp: RecoveryTimeStamp(RECOVERY),
                up_function_features: Some(up_features()),
                ..Default::default()
            }
            .into(),
            3,
        ),
        node(
            "association_update_request",
            AssociationUpdateRequest {
                node_id: NodeId::Ipv4(UPF),
                up_function_features: Some(up_features()),
                pfcp_association_release_request: Some(
                    PfcpAssociationReleaseRequest::empty()
                        .with(PfcpAssociationReleaseRequest::SARR),
                ),
                graceful_release_period: Some(GracefulReleasePeriod(TimerValue {
                    unit: 1,
                    value: 5,
                })),
                ..Default::default()
            }
            .into(),
            4,
        ),
        node(
            "association_update_response",
            AssociationUpdateResponse {
                node_id: NodeId::Ipv4(SMF),
                cause: ok,
                ..Default::default()
            }
            .into(),
            4,
        ),
        node(
            "association_release_request",
            AssociationReleaseRequest {
                node_id: NodeId::Fqdn("upf.5gc.mnc001.mcc001.3gppnetwork.org".into()),
                ..Default::default()
            }
            .into(),
            5,
        ),
        node(
            "association_release_response",
            AssociationReleaseResponse {
                node_id: NodeId::Ipv6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7)),
                cause: ok,
                ..Default::default()
            }
            .into(),
            5,
        ),
        node(
            "version_not_supported_response",
            VersionNotSupportedResponse::default().into(),
            6,
        ),
        node(
            "node_report_request",
            NodeReportRequest {
                node_id: NodeId::Ipv4(UPF),
                node_report_type: NodeReportType::empty().with(NodeReportType::UPFR),
                user_plane_path_failure_report: Some(UserPlanePathFailureReport {
                    remote_gtpu_peers: vec![RemoteGtpuPeer {
                        ipv4: Some(GNB),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            }
            .into(),
            7,
        ),
        node(
            "node_report_response",
            NodeReportResponse {
                node_id: NodeId::Ipv4(SMF),
                cause: ok,
                ..Default::default()
            }
            .into(),
            7,
        ),
        node(
            "session_set_deletion_request",
            SessionSetDeletionRequest {
                node_id: NodeId::Ipv4(SMF),
                fq_csids: vec![FqCsid {
                    node_id: FqCsidNodeId::Ipv4(SMF),
                    csids: vec![1, 2],
                }],
                ..Default::default()
            }
            .into(),
            8,
        ),
        node(
            "session_set_deletion_response",
            SessionSetDeletionResponse {
                node_id: NodeId::Ipv4(UPF),
                cause: ok,
                ..Default::default()
            }
            .into(),
            8,
        ),
        session(
            "session_establishment_request",
            open5gs_establishment().into(),
            0,
            100,
        ),
        session(
            "session_establishment_response",
            SessionEstablishmentResponse {
                node_id: NodeId::Ipv4(UPF),
                cause: ok,
                up_f_seid: Some(FSeid::v4(0x100, UPF)),
                created_pdrs: vec![
                    CreatedPdr {
                        pdr_id: PdrId(2),
                        local_f_teid: Some(FTeid::v4(0x1234, UPF)),
                        ..Default::default()
                    },
                    CreatedPdr {
                        pdr_id: PdrId(3),
                        local_f_teid: Some(FTeid::v4(0x1234, UPF)),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }
            .into(),
            1,
            100,
        ),
        session(
            "session_establishment_response_rejected",
            SessionEstablishmentResponse {
                node_id: NodeId::Ipv4(UPF),
                cause: Cause::MANDATORY_IE_MISSING,
                offending_ie: Some(OffendingIe(pfcp::ie::types::PDR_ID)),
                ..Default::default()
            }
            .into(),
            1,
            101,
        ),
        session(
            "session_modification_request",
            SessionModificationRequest {
                remove_pdrs: vec![RemovePdr {
                    pdr_id: PdrId(4),
                    ..Default::default()
                }],
                update_fars: vec![UpdateFar {
                    far_id: FarId(1),
                    apply_action: Some(ApplyAction::empty().with(ApplyAction::FORW)),
                    update_forwarding_parameters: Some(UpdateForwardingParameters {
                        destination_interface: Some(DestinationInterface::Access),
                        network_instance: Some(internet()),
                        outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(0x42, GNB)),
                        pfcpsmreq_flags: Some(PfcpSmReqFlags::empty().with(PfcpSmReqFlags::SNDEM)),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                update_qers: vec![UpdateQer {
                    qer_id: QerId(1),
                    gate_status: Some(GateStatus {
                        ul: Gate::Open,
                        dl: Gate::Closed,
                    }),
                    ..Default::default()
                }],
                update_bar: Some(UpdateBar {
                    bar_id: BarId(1),
                    downlink_data_notification_delay: Some(DownlinkDataNotificationDelay(2)),
                    ..Default::default()
                }),
                query_urrs: vec![QueryUrr {
                    urr_id: UrrId(1),
                    ..Default::default()
                }],
                ..Default::default()
            }
            .into(),
            0x100,
            102,
        ),
        session(
            "session_modification_response",
            SessionModificationResponse {
                cause: ok,
                usage_reports: vec![usage_report(3, UsageReportTrigger::IMMER)],
                ..Default::default()
            }
            .into(),
            1,
            102,
        ),
        session(
            "session_deletion_request",
            SessionDeletionRequest::default().into(),
            0x100,
            103,
        ),
        session(
            "session_deletion_response",
            SessionDeletionResponse {
                cause: ok,
                usage_reports: vec![usage_report(4, UsageReportTrigger::TERMR)],
                ..Default::default()
            }
            .into(),
            1,
            103,
        ),
        session(
            "session_report_request_dldr",
            SessionReportRequest {
                report_type: ReportType::empty().with(ReportType::DLDR),
                downlink_data_report: Some(DownlinkDataReport {
                    pdr_ids: vec![PdrId(1)],
                    downlink_data_service_information: vec![DownlinkDataServiceInformation {
                        ppi: None,
                        qfi: Some(1),
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            }
            .into(),
            1,
            5000,
        ),
        session(
            "session_report_request_usar",
            SessionReportRequest {
                report_type: ReportType::empty().with(ReportType::USAR),
                usage_reports: vec![usage_report(5, UsageReportTrigger::VOLTH)],
                ..Default::default()
            }
            .into(),
            1,
            5001,
        ),
        session(
            "session_report_request_erir",
            SessionReportRequest {
                report_type: ReportType::empty().with(ReportType::ERIR),
                error_indication_report: Some(ErrorIndicationReport {
                    remote_f_teids: vec![FTeid::v4(0x42, GNB)],
                    ..Default::default()
                }),
                ..Default::default()
            }
            .into(),
            1,
            5002,
        ),
        session(
            "session_report_response",
            SessionReportResponse {
                cause: ok,
                update_bar: Some(UpdateBar {
                    bar_id: BarId(1),
                    dl_buffering_duration: Some(DlBufferingDuration(TimerValue {
                        unit: 1,
                        value: 2,
                    })),
                    dl_buffering_suggested_packet_count: Some(
                        DlBufferingSuggestedPacketCount::Short(20),
                    ),
                    ..Default::default()
                }),
                ..Default::default()
            }
            .into(),
            0x100,
            5000,
        ),
    ]
}
