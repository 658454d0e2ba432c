#!/usr/bin/python3
"""Golden PFCP vectors built with an independent encoder (scapy contrib.pfcp).

Run with Debian's interpreter:  /usr/bin/python3 pfcp/tests/vectors/gen_vectors.py
Writes one <name>.hex file per message next to this script (one line of
lowercase hex). The hex files are committed; pfcp/tests/vectors.rs decodes
them and checks field values and re-encoding.

IEs that scapy does not model (types above 160) are written as raw IEs
(IE_NotImplemented with an explicit type), with the octets given here.
"""

import os
import struct

from scapy.contrib.pfcp import *  # noqa: F401,F403

HERE = os.path.dirname(os.path.abspath(__file__))

SMF_V4 = "10.10.0.4"
UPF_V4 = "10.10.0.7"
GNB_V4 = "192.168.0.10"
UE_V4 = "10.45.0.2"
RECOVERY = 3_900_000_000  # NTP seconds (2023-08)


def raw_ie(ie_type, data):
    return IE_NotImplemented(ietype=ie_type, data=data)


def node(msg_cls, seq, ies):
    return PFCP(version=1, S=0, seq=seq) / msg_cls(IE_list=ies)


def session(msg_cls, seid, seq, ies):
    return PFCP(version=1, S=1, seid=seid, seq=seq) / msg_cls(IE_list=ies)


def tbcd(digits):
    out = b""
    for i in range(0, len(digits), 2):
        lo = int(digits[i])
        hi = int(digits[i + 1]) if i + 1 < len(digits) else 0xF
        out += bytes([lo | hi << 4])
    return out


def labels(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))


def vectors():
    v = {}

    # --- node messages -------------------------------------------------
    v["heartbeat_request"] = node(PFCPHeartbeatRequest, 1, [
        IE_RecoveryTimeStamp(timestamp=RECOVERY)])
    v["heartbeat_response"] = node(PFCPHeartbeatResponse, 1, [
        IE_RecoveryTimeStamp(timestamp=RECOVERY + 7)])
    # A vendor IE (Enterprise ID 32473, the documentation number of RFC 5612) and an IE type this codec does not
    # know (type 1000, spare) must survive a decode/encode cycle.
    v["heartbeat_request_unknown_ies"] = node(PFCPHeartbeatRequest, 2, [
        IE_RecoveryTimeStamp(timestamp=RECOVERY),
        raw_ie(1000, b"\xde\xad"),
        IE_EnterpriseSpecific(ietype=0x8001, enterprise_id=32473, data=b"\x01\x02\x03"),
    ])

    v["association_setup_request_smf"] = node(PFCPAssociationSetupRequest, 10, [
        IE_NodeId(id_type="IPv4", ipv4=SMF_V4),
        IE_RecoveryTimeStamp(timestamp=RECOVERY),
        IE_CPFunctionFeatures(LOAD=1, OVRL=1),
    ])
    v["association_setup_request_upf"] = node(PFCPAssociationSetupRequest, 11, [
        IE_NodeId(id_type="IPv4", ipv4=UPF_V4),
        IE_RecoveryTimeStamp(timestamp=RECOVERY + 100),
        # Octets 5-6 through scapy's named bits (FTUP, EMPU, PDIU, QUOAC,
        # FRRT), octets 7-8 as extra data: UEIP|MNOP (0x14), VTIME (0x04).
        # The IE length (4) is given: scapy would otherwise use its default of 2.
        IE_UPFunctionFeatures(length=4, TREU=0, HEEU=0, PFDM=0, FTUP=1, TRST=0, DLBD=0,
                              DDND=1, BUCP=1, spare=0, PFDE=0, FRRT=1, TRACE=0,
                              QUOAC=1, UDBC=0, PDIU=1, EMPU=1,
                              extra_data=b"\x14\x04"),
    ])
    v["association_setup_response"] = node(PFCPAssociationSetupResponse, 10, [
        IE_NodeId(id_type="IPv4", ipv4=UPF_V4),
        IE_Cause(cause=1),
        IE_RecoveryTimeStamp(timestamp=RECOVERY + 100),
        IE_UPFunctionFeatures(TREU=0, HEEU=0, PFDM=0, FTUP=1, TRST=0, DLBD=0,
                              DDND=0, BUCP=0, spare=0, PFDE=0, FRRT=0, TRACE=0,
                              QUOAC=0, UDBC=0, PDIU=0, EMPU=1),
    ])
    v["association_release_request"] = node(PFCPAssociationReleaseRequest, 12, [
        IE_NodeId(id_type="FQDN", id=b"smf.5gc.mnc001.mcc001.3gppnetwork.org"),
    ])
    v["association_release_response"] = node(PFCPAssociationReleaseResponse, 12, [
        IE_NodeId(id_type="IPv4", ipv4=UPF_V4),
        IE_Cause(cause=1),
    ])
    v["node_report_request"] = node(PFCPNodeReportRequest, 13, [
        IE_NodeId(id_type="IPv4", ipv4=UPF_V4),
        IE_NodeReportType(UPFR=1),
        IE_UserPlanePathFailureReport(IE_list=[
            IE_RemoteGTP_U_Peer(V4=1, ipv4=GNB_V4),
        ]),
    ])
    v["node_report_response"] = node(PFCPNodeReportResponse, 13, [
        IE_NodeId(id_type="IPv4", ipv4=SMF_V4),
        IE_Cause(cause=1),
    ])
    v["pfd_management_request"] = node(PFCPPFDManagementRequest, 14, [
        IE_ApplicationID_PFDs(IE_list=[
            IE_ApplicationId(id=b"video"),
            IE_PFDContext(IE_list=[
                IE_PFDContents(FD=1, flow=b"permit out 6 from 198.51.100.0/24 443 to assigned"),
            ]),
        ]),
    ])
    v["pfd_management_response"] = node(PFCPPFDManagementResponse, 14, [
        IE_Cause(cause=1),
    ])
    v["version_not_supported_response"] = node(PFCPVersionNotSupportedResponse, 15, [])

    # --- session establishment, shaped like Open5GS ------------------------
    ni = b"internet"
    open5gs = [
        IE_NodeId(id_type="IPv4", ipv4=SMF_V4),
        IE_FSEID(v4=1, seid=0x1, ipv4=SMF_V4),
        # DL PDR: from the core to the UE address, buffered at first.
        IE_CreatePDR(IE_list=[
            IE_PDR_Id(id=1),
            IE_Precedence(precedence=255),
            IE_PDI(IE_list=[
                IE_SourceInterface(interface="Core"),
                IE_NetworkInstance(instance=ni),
                IE_UE_IP_Address(V4=1, SD=1, ipv4=UE_V4),
            ]),
            IE_FAR_Id(id=1),
            IE_URR_Id(id=1),
            IE_QER_Id(id=1),
        ]),
        # UL PDR: F-TEID chosen by the UPF, shared (CHOOSE ID 5).
        IE_CreatePDR(IE_list=[
            IE_PDR_Id(id=2),
            IE_Precedence(precedence=255),
            IE_PDI(IE_list=[
                IE_SourceInterface(interface="Access"),
                IE_FTEID(CHID=1, CH=1, V6=1, V4=1, choose_id=5),
                IE_NetworkInstance(instance=ni),
                IE_UE_IP_Address(V4=1, SD=0, ipv4=UE_V4),
                IE_QFI(QFI=1),
            ]),
            IE_OuterHeaderRemoval(header=6),
            IE_FAR_Id(id=2),
            IE_URR_Id(id=1),
            IE_QER_Id(id=1),
        ]),
        # Router Solicitations from the UE go to the SMF.
        IE_CreatePDR(IE_list=[
            IE_PDR_Id(id=3),
            IE_Precedence(precedence=1000),
            IE_PDI(IE_list=[
                IE_SourceInterface(interface="Access"),
                IE_FTEID(CHID=1, CH=1, V6=1, V4=1, choose_id=5),
                IE_NetworkInstance(instance=ni),
                IE_SDF_Filter(FD=1, flow_description=b"permit out 58 from ff02::2/128 to assigned"),
                IE_QFI(QFI=1),
            ]),
            IE_OuterHeaderRemoval(header=6),
            IE_FAR_Id(id=3),
        ]),
        # Router Advertisements from the SMF (source interface CP-function).
        IE_CreatePDR(IE_list=[
            IE_PDR_Id(id=4),
            IE_Precedence(precedence=1000),
            IE_PDI(IE_list=[
                IE_SourceInterface(interface="CP-function"),
                IE_FTEID(CHID=0, CH=1, V6=0, V4=1),
            ]),
            IE_OuterHeaderRemoval(header=0),
            IE_FAR_Id(id=1),
        ]),
        IE_CreateFAR(IE_list=[
            IE_FAR_Id(id=1),
            IE_ApplyAction(BUFF=1, NOCP=1),
            IE_BAR_Id(id=1),
        ]),
        IE_CreateFAR(IE_list=[
            IE_FAR_Id(id=2),
            IE_ApplyAction(FORW=1),
            IE_ForwardingParameters(IE_list=[
                IE_DestinationInterface(interface="Core"),
                IE_NetworkInstance(instance=ni),
            ]),
        ]),
        IE_CreateFAR(IE_list=[
            IE_FAR_Id(id=3),
            IE_ApplyAction(FORW=1),
            IE_ForwardingParameters(IE_list=[
                IE_DestinationInterface(interface="CP-function"),
                IE_OuterHeaderCreation(GTPUUDPIPV4=1, TEID=0x1, ipv4=SMF_V4),
            ]),
        ]),
        IE_CreateURR(IE_list=[
            IE_URR_Id(id=1),
            IE_MeasurementMethod(VOLUM=1, DURAT=1),
            IE_ReportingTriggers(volume_threshold=1, time_threshold=1, extra_data=b"\x00"),
            IE_VolumeThreshold(TOVOL=1, ULVOL=1, DLVOL=1,
                               total=1_000_000_000, uplink=400_000_000, downlink=600_000_000),
            IE_TimeThreshold(threshold=3600),
        ]),
        IE_CreateQER(IE_list=[
            IE_QER_Id(id=1),
            IE_GateStatus(ul="OPEN", dl="OPEN"),
            IE_MBR(ul=1_000_000, dl=2_000_000),
            IE_GBR(ul=5_000, dl=10_000),
            IE_QFI(QFI=1),
        ]),
        IE_Create_BAR(IE_list=[
            IE_BAR_Id(id=1),
            IE_SuggestedBufferingPacketsCount(count=10),
        ]),
        IE_PDNType(pdn_type=1),  # 1 = IPv4 (scapy names 0 "IPv4", which is spare)
        IE_UserId(IMSIF=1, imsi=tbcd("001010000000001")),
        IE_APN_DNN(apn_dnn=ni),
        raw_ie(257, b"\x01\x01\x02\x03"),  # S-NSSAI: SST 1, SD 010203
    ]
    v["session_establishment_request_open5gs"] = session(
        PFCPSessionEstablishmentRequest, 0, 100, open5gs)

    # --- session establishment, shaped like free5GC -----------------------
    # Explicit F-TEID, uplink PDR without QFI, two QERs per PDR (session
    # AMBR and flow), Network Instance as a plain string. Create QER is
    # placed before Create URR here (the spec's table has URR first) to
    # exercise order-independent decoding.
    free5gc = [
        IE_NodeId(id_type="IPv4", ipv4=SMF_V4),
        IE_FSEID(v4=1, seid=0x2, ipv4=SMF_V4),
        IE_CreatePDR(IE_list=[
            IE_PDR_Id(id=1),
            IE_Precedence(precedence=32),
            IE_PDI(IE_list=[
                IE_SourceInterface(interface="Access"),
                IE_FTEID(V4=1, TEID=0x00000001, ipv4=UPF_V4),
                raw_ie(22, b"internet"),
                IE_UE_IP_Address(V4=1, SD=0, ipv4=UE_V4),
            ]),
            IE_OuterHeaderRemoval(header=0),
            IE_FAR_Id(id=1),
            IE_URR_Id(id=1),
            IE_QER_Id(id=1),
            IE_QER_Id(id=2),
        ]),
        IE_CreatePDR(IE_list=[
            IE_PDR_Id(id=2),
            IE_Precedence(precedence=32),
            IE_PDI(IE_list=[
                IE_SourceInterface(interface="Core"),
                raw_ie(22, b"internet"),
                IE_UE_IP_Address(V4=1, SD=1, ipv4=UE_V4),
            ]),
            IE_FAR_Id(id=2),
            IE_URR_Id(id=1),
            IE_QER_Id(id=1),
            IE_QER_Id(id=2),
        ]),
        IE_CreateFAR(IE_list=[
            IE_FAR_Id(id=1),
            IE_ApplyAction(FORW=1),
            IE_ForwardingParameters(IE_list=[
                IE_DestinationInterface(interface="Core"),
                raw_ie(22, b"internet"),
            ]),
        ]),
        IE_CreateFAR(IE_list=[
            IE_FAR_Id(id=2),
            IE_ApplyAction(FORW=1),
            IE_ForwardingParameters(IE_list=[
                IE_DestinationInterface(interface="Access"),
                raw_ie(22, b"internet"),
                IE_OuterHeaderCreation(GTPUUDPIPV4=1, TEID=0x00000001, ipv4=GNB_V4),
            ]),
        ]),
        IE_CreateQER(IE_list=[
            IE_QER_Id(id=1),
            IE_GateStatus(ul="OPEN", dl="OPEN"),
            IE_MBR(ul=200_000, dl=400_000),
        ]),
        IE_CreateQER(IE_list=[
            IE_QER_Id(id=2),
            IE_GateStatus(ul="OPEN", dl="CLOSED"),
            IE_MBR(ul=100_000, dl=100_000),
            IE_QFI(QFI=9),
        ]),
        IE_CreateURR(IE_list=[
            IE_URR_Id(id=1),
            IE_MeasurementMethod(VOLUM=1),
            IE_ReportingTriggers(periodic_reporting=1),
            IE_MeasurementPeriod(period=60),
        ]),
        IE_PDNType(pdn_type=1),  # 1 = IPv4 (scapy names 0 "IPv4", which is spare)
    ]
    v["session_establishment_request_free5gc"] = session(
        PFCPSessionEstablishmentRequest, 0, 200, free5gc)

    v["session_establishment_response"] = session(
        PFCPSessionEstablishmentResponse, 0x1, 100, [
            IE_NodeId(id_type="IPv4", ipv4=UPF_V4),
            IE_Cause(cause=1),
            IE_FSEID(v4=1, seid=0x100, ipv4=UPF_V4),
            IE_CreatedPDR(IE_list=[
                IE_PDR_Id(id=2),
                IE_FTEID(V4=1, TEID=0x1234, ipv4=UPF_V4),
            ]),
            IE_CreatedPDR(IE_list=[
                IE_PDR_Id(id=3),
                IE_FTEID(V4=1, TEID=0x1234, ipv4=UPF_V4),
            ]),
        ])
    v["session_establishment_response_rejected"] = session(
        PFCPSessionEstablishmentResponse, 0x1, 101, [
            IE_NodeId(id_type="IPv4", ipv4=UPF_V4),
            IE_Cause(cause=66),
            IE_OffendingIE(type=56),
        ])

    # --- session modification ---------------------------------------------
    v["session_modification_request"] = session(
        PFCPSessionModificationRequest, 0x100, 102, [
            IE_RemovePDR(IE_list=[IE_PDR_Id(id=4)]),
            IE_UpdateFAR(IE_list=[
                IE_FAR_Id(id=1),
                IE_ApplyAction(FORW=1),
                IE_UpdateForwardingParameters(IE_list=[
                    IE_DestinationInterface(interface="Access"),
                    IE_NetworkInstance(instance=ni),
                    IE_OuterHeaderCreation(GTPUUDPIPV4=1, TEID=0x42, ipv4=GNB_V4),
                    IE_PFCPSMReqFlags(SNDEM=1),
                ]),
            ]),
            IE_QueryURR(IE_list=[IE_URR_Id(id=1)]),
        ])
    v["session_modification_response"] = session(
        PFCPSessionModificationResponse, 0x1, 102, [
            IE_Cause(cause=1),
            IE_UsageReport_SMR(IE_list=[
                IE_URR_Id(id=1),
                IE_UR_SEQN(number=3),
                # Octet 7 (EVEQU...) is zero: extra data keeps 3 octets.
                IE_UsageReportTrigger(IMMER=1, extra_data=b"\x00"),
                IE_StartTime(timestamp=RECOVERY + 1000),
                IE_EndTime(timestamp=RECOVERY + 1060),
                IE_VolumeMeasurement(TOVOL=1, ULVOL=1, DLVOL=1,
                                     total=3000, uplink=1000, downlink=2000),
                IE_DurationMeasurement(duration=60),
            ]),
        ])

    # --- session deletion -------------------------------------------------
    v["session_deletion_request"] = session(PFCPSessionDeletionRequest, 0x100, 103, [])
    v["session_deletion_request_cp_fseid"] = session(
        PFCPSessionDeletionRequest, 0x100, 104, [
            IE_FSEID(v4=1, seid=0x1, ipv4=SMF_V4),
        ])
    # Volume Measurement with packet counts: scapy names TOVOL/ULVOL/DLVOL;
    # TONOP/ULNOP/DLNOP are bits 4-6, i.e. the low 3 bits of its "spare"
    # field, and their counters follow as extra data.
    pkts = struct.pack("!QQQ", 30, 10, 20)
    v["session_deletion_response"] = session(
        PFCPSessionDeletionResponse, 0x1, 103, [
            IE_Cause(cause=1),
            IE_UsageReport_SDR(IE_list=[
                IE_URR_Id(id=1),
                IE_UR_SEQN(number=4),
                IE_UsageReportTrigger(TERMR=1, extra_data=b"\x00"),
                IE_StartTime(timestamp=RECOVERY + 1000),
                IE_EndTime(timestamp=RECOVERY + 1200),
                IE_VolumeMeasurement(spare=0b00111, TOVOL=1, ULVOL=1, DLVOL=1,
                                     total=123456, uplink=23456, downlink=100000,
                                     extra_data=pkts),
                IE_DurationMeasurement(duration=200),
                IE_TimeOfFirstPacket(timestamp=RECOVERY + 1001),
                IE_TimeOfLastPacket(timestamp=RECOVERY + 1199),
            ]),
        ])

    # --- session report -----------------------------------------------------
    v["session_report_request_dldr"] = session(
        PFCPSessionReportRequest, 0x1, 5000, [
            IE_ReportType(DLDR=1),
            IE_DownlinkDataReport(IE_list=[
                IE_PDR_Id(id=1),
                IE_DownlinkDataServiceInformation(QFII=1, PPI=0, qfi_val=1),
            ]),
        ])
    v["session_report_request_usar"] = session(
        PFCPSessionReportRequest, 0x1, 5001, [
            IE_ReportType(USAR=1),
            IE_UsageReport_SRR(IE_list=[
                IE_URR_Id(id=1),
                IE_UR_SEQN(number=5),
                IE_UsageReportTrigger(VOLTH=1, extra_data=b"\x00"),
                IE_StartTime(timestamp=RECOVERY + 1000),
                IE_EndTime(timestamp=RECOVERY + 1100),
                IE_VolumeMeasurement(TOVOL=1, ULVOL=1, DLVOL=1,
                                     total=1_000_000_000, uplink=400_000_000,
                                     downlink=600_000_000),
                IE_DurationMeasurement(duration=100),
            ]),
        ])
    v["session_report_request_erir"] = session(
        PFCPSessionReportRequest, 0x1, 5002, [
            IE_ReportType(ERIR=1),
            IE_ErrorIndicationReport(IE_list=[
                IE_FTEID(V4=1, TEID=0x42, ipv4=GNB_V4),
            ]),
        ])
    v["session_report_response"] = session(
        PFCPSessionReportResponse, 0x100, 5000, [
            IE_Cause(cause=1),
            IE_UpdateBAR_SRR(IE_list=[
                IE_BAR_Id(id=1),
                IE_DLBufferingDuration(timer_unit="1 minute", timer_value=2),
                IE_DLBufferingSuggestedPacketCount(count=20),
            ]),
        ])
    return v


def main():
    for name, pkt in sorted(vectors().items()):
        data = bytes(pkt)
        with open(os.path.join(HERE, name + ".hex"), "w") as f:
            f.write(data.hex() + "\n")
        print(f"{name}: {len(data)} octets")


if __name__ == "__main__":
    main()
