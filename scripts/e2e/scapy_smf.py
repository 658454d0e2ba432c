#!/usr/bin/python3
"""An SMF the UPF project did not write: scapy's contrib.pfcp builds and
parses every PFCP message.

Sets up an association, establishes one session (uplink F-TEID chosen by
the UPF, downlink tunnel to the gNB, a QER with the QFI, a volume URR),
writes it to --out in the format `upf smf --out` uses (so scripts/e2e/gnb.py
can send its traffic), holds it until the file --delete-when exists
(answering the UPF's heartbeats), deletes it and writes the usage report
of the Deletion Response to --out, then releases the association.

Usage: scapy_smf.py --upf 127.0.0.1:8805 --gnb 10.100.3.2 --out s.json --delete-when f
Exit status 0 when every step was accepted.
"""

import argparse
import json
import os
import socket
import sys
import time

from scapy.contrib.pfcp import (  # noqa: F401
    PFCP, PFCPAssociationReleaseRequest, PFCPAssociationSetupRequest, PFCPHeartbeatResponse,
    PFCPSessionDeletionRequest, PFCPSessionEstablishmentRequest, IE_ApplyAction, IE_Cause,
    IE_CreateFAR, IE_CreatePDR, IE_CreateQER, IE_CreateURR, IE_CreatedPDR, IE_DestinationInterface,
    IE_FAR_Id, IE_ForwardingParameters, IE_FSEID, IE_FTEID, IE_GateStatus, IE_MeasurementMethod,
    IE_NodeId, IE_OffendingIE, IE_OuterHeaderCreation, IE_OuterHeaderRemoval, IE_PDI, IE_PDR_Id, IE_Precedence,
    IE_QER_Id, IE_QFI, IE_RecoveryTimeStamp, IE_ReportingTriggers, IE_SourceInterface, IE_UE_IP_Address, IE_URR_Id,
    IE_UsageReport_SDR, IE_VolumeMeasurement,
)

NTP_OFFSET = 2_208_988_800


def log(msg):
    print("scapy-smf: " + msg, flush=True)


def fail(msg):
    log("FAILED: " + msg)
    sys.exit(1)


class Smf:
    def __init__(self, upf, node_id):
        self.upf = upf
        self.node_id = node_id
        self.recovery = int(time.time()) + NTP_OFFSET
        self.seq = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((node_id, 0))
        self.sock.settimeout(0.2)

    def next_seq(self):
        self.seq += 1
        return self.seq

    def answer(self, p):
        """Answers the UPF's own requests; True when `p` was one."""
        if p.message_type == 1:  # Heartbeat Request
            rsp = PFCP(version=1, S=0, seq=p.seq) / PFCPHeartbeatResponse(
                IE_list=[IE_RecoveryTimeStamp(timestamp=self.recovery)])
            self.sock.sendto(bytes(rsp), self.upf)
            return True
        return False

    def receive(self, seq, seconds):
        until = time.time() + seconds
        while time.time() < until:
            try:
                data, _ = self.sock.recvfrom(65535)
            except (socket.timeout, ConnectionRefusedError):
                continue
            p = PFCP(data)
            if self.answer(p):
                continue
            if seq is not None and p.seq == seq:
                return p
        return None

    def request(self, pkt, what):
        data = bytes(pkt)
        for _ in range(5):
            try:
                self.sock.sendto(data, self.upf)
            except ConnectionRefusedError:
                pass
            p = self.receive(pkt.seq, 2.0)
            if p is not None:
                return p
        fail(f"no answer to the {what}")

    def node_msg(self, cls, ies):
        return PFCP(version=1, S=0, seq=self.next_seq()) / cls(IE_list=ies)

    def session_msg(self, cls, seid, ies):
        return PFCP(version=1, S=1, seid=seid, seq=self.next_seq()) / cls(IE_list=ies)


def ie(p, cls, within=None):
    for x in (within if within is not None else p.payload.IE_list):
        if isinstance(x, cls):
            return x
    return None


def cause(p):
    c = ie(p, IE_Cause)
    return None if c is None else c.cause


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--upf", required=True, help="the UPF's PFCP address, host:port")
    a.add_argument("--node-id", default="127.0.0.1", help="this SMF's Node ID and address")
    a.add_argument("--gnb", required=True)
    a.add_argument("--ue", default="10.45.0.2")
    a.add_argument("--dl-teid", type=lambda v: int(v, 0), default=0x3000)
    a.add_argument("--qfi", type=int, default=5)
    a.add_argument("--cp-seid", type=lambda v: int(v, 0), default=0x7001)
    a.add_argument("--out", required=True)
    a.add_argument("--delete-when", help="hold the session until this file exists")
    a.add_argument("--hold-max", type=float, default=300)
    args = a.parse_args()
    host, port = args.upf.rsplit(":", 1)
    smf = Smf((host, int(port)), args.node_id)

    p = smf.request(smf.node_msg(PFCPAssociationSetupRequest, [
        IE_NodeId(id_type="IPv4", ipv4=args.node_id),
        IE_RecoveryTimeStamp(timestamp=smf.recovery),
    ]), "Association Setup Request")
    if p.message_type != 6 or cause(p) != 1:
        fail(f"association: message {p.message_type} cause {cause(p)}")
    log(f"association accepted by {ie(p, IE_NodeId).ipv4}")

    est = smf.session_msg(PFCPSessionEstablishmentRequest, 0, [
        IE_NodeId(id_type="IPv4", ipv4=args.node_id),
        IE_FSEID(v4=1, seid=args.cp_seid, ipv4=args.node_id),
        IE_CreatePDR(IE_list=[
            IE_PDR_Id(id=1),
            IE_Precedence(precedence=200),
            IE_PDI(IE_list=[
                IE_SourceInterface(interface="Access"),
                IE_FTEID(CH=1, V4=1),
                IE_UE_IP_Address(V4=1, SD=0, ipv4=args.ue),
                IE_QFI(QFI=args.qfi),
            ]),
            IE_OuterHeaderRemoval(header=0),  # GTP-U/UDP/IPv4
            IE_FAR_Id(id=1),
            IE_URR_Id(id=1),
            IE_QER_Id(id=1),
        ]),
        IE_CreatePDR(IE_list=[
            IE_PDR_Id(id=2),
            IE_Precedence(precedence=200),
            IE_PDI(IE_list=[
                IE_SourceInterface(interface="Core"),
                IE_UE_IP_Address(V4=1, SD=1, ipv4=args.ue),
            ]),
            IE_FAR_Id(id=2),
            IE_URR_Id(id=1),
            IE_QER_Id(id=1),
        ]),
        IE_CreateFAR(IE_list=[
            IE_FAR_Id(id=1),
            IE_ApplyAction(FORW=1),
            IE_ForwardingParameters(IE_list=[IE_DestinationInterface(interface="Core")]),
        ]),
        IE_CreateFAR(IE_list=[
            IE_FAR_Id(id=2),
            IE_ApplyAction(FORW=1),
            IE_ForwardingParameters(IE_list=[
                IE_DestinationInterface(interface="Access"),
                IE_OuterHeaderCreation(GTPUUDPIPV4=1, TEID=args.dl_teid, ipv4=args.gnb),
            ]),
        ]),
        IE_CreateURR(IE_list=[IE_URR_Id(id=1), IE_MeasurementMethod(VOLUM=1),
                             IE_ReportingTriggers()]),
        IE_CreateQER(IE_list=[
            IE_QER_Id(id=1),
            IE_GateStatus(ul="OPEN", dl="OPEN"),
            IE_QFI(QFI=args.qfi),
        ]),
    ])
    p = smf.request(est, "Session Establishment Request")
    if p.message_type != 51 or cause(p) != 1:
        off = ie(p, IE_OffendingIE)
        fail(f"establishment: message {p.message_type} cause {cause(p)}"
             + (f", offending IE {off.type}" if off is not None else ""))
    up_seid = ie(p, IE_FSEID).seid
    ul = None
    for c in p.payload.IE_list:
        if isinstance(c, IE_CreatedPDR) and ie(None, IE_PDR_Id, c.IE_list).id == 1:
            ul = ie(None, IE_FTEID, c.IE_list)
    if ul is None:
        fail("no Created PDR with the chosen F-TEID")
    log(f"session established: up-seid {up_seid:#x}, uplink F-TEID {ul.TEID:#x}@{ul.ipv4}")
    session = {"cp_seid": args.cp_seid, "up_seid": up_seid, "ue": args.ue, "ul_teid": ul.TEID,
               "ul_addr": ul.ipv4, "dl_teid": args.dl_teid, "gnb": args.gnb, "qfi": args.qfi}

    def write():
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"smf": "scapy.contrib.pfcp", "sessions": [session]}, f, indent=1)
        os.replace(tmp, args.out)

    write()
    if args.delete_when:
        log(f"holding the session until {args.delete_when} exists")
        until = time.time() + args.hold_max
        while not os.path.exists(args.delete_when) and time.time() < until:
            smf.receive(None, 0.2)

    p = smf.request(smf.session_msg(PFCPSessionDeletionRequest, up_seid, []), "Session Deletion Request")
    if p.message_type != 55 or cause(p) != 1:
        fail(f"deletion: message {p.message_type} cause {cause(p)}")
    reports = []
    for x in p.payload.IE_list:
        if isinstance(x, IE_UsageReport_SDR):
            urr = ie(None, IE_URR_Id, x.IE_list)
            vol = ie(None, IE_VolumeMeasurement, x.IE_list)
            r = {"urr_id": urr.id if urr else None,
                 "ul_bytes": vol.uplink if vol is not None and vol.ULVOL else None,
                 "dl_bytes": vol.downlink if vol is not None and vol.DLVOL else None,
                 "total_bytes": vol.total if vol is not None and vol.TOVOL else None}
            reports.append(r)
            log(f"session deleted: usage report URR {r['urr_id']}: uplink {r['ul_bytes']} bytes, "
                f"downlink {r['dl_bytes']} bytes, total {r['total_bytes']} bytes")
    if not reports:
        fail("no usage report in the Session Deletion Response")
    session["usage_reports"] = reports
    write()

    p = smf.request(smf.node_msg(PFCPAssociationReleaseRequest, [
        IE_NodeId(id_type="IPv4", ipv4=args.node_id)]), "Association Release Request")
    log(f"association released (cause {cause(p)})")


if __name__ == "__main__":
    main()
