#!/usr/bin/python3
"""A scripted SMF for the node_scapy integration test.

Usage: /usr/bin/python3 smf.py <upf-host> <upf-port>

Talks PFCP to a running UPF node over real UDP sockets, with messages built
and parsed by scapy's contrib.pfcp (an encoder and decoder independent of
the Rust codec), and asserts on every response. To check what the Rust side
installed, it asks the test harness over stdin/stdout, one line each way:

    LOOKUP <teid> <ue-ipv4>          -> "<seid-by-teid> <seid-by-ue>" (0: none)
    FAR <seid> <far-id>              -> FORW | BUFF | DROP | NONE
    QERS <seid>                      -> QER counts per PDR, by PDR ID ("2,2")
    COUNT <seid> <urr> <ul> <dl>     -> OK  (counts one packet each way)
    SESSIONS                         -> number of sessions in the tables

Exits 0 when every check passed; otherwise prints "FAIL: ..." on stderr and
exits 1.
"""

import os
import socket
import sys
import time

from scapy.contrib.pfcp import *  # noqa: F401,F403

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors"))
import gen_vectors  # noqa: E402  (the Open5GS- and free5GC-shaped requests)

SMF_ID = "127.0.0.1"
UNASSOCIATED = "127.0.0.2"
SMF_RECOVERY = 3_899_000_000
N3 = "10.10.0.7"          # the UPF's configured N3 address
UE = gen_vectors.UE_V4    # 10.45.0.2
GNB = gen_vectors.GNB_V4

upf = (sys.argv[1], int(sys.argv[2]))
checks = 0
upf_heartbeats_answered = 0
upf_recovery = None


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    print("DONE", flush=True)
    sys.exit(1)


def check(cond, msg):
    global checks
    if not cond:
        fail(msg)
    checks += 1


def rpc(line):
    print(line, flush=True)
    answer = sys.stdin.readline()
    if not answer:
        fail("harness closed stdin")
    return answer.strip()


def make_socket(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 0))
    s.settimeout(0.5)
    return s


sock = make_socket(SMF_ID)
seq = 1


def next_seq():
    global seq
    seq += 1
    return seq


def answer_upf_request(s, data):
    """Answers a request the UPF sent us (its heartbeats)."""
    global upf_heartbeats_answered
    p = PFCP(data)
    if p.message_type == 1:
        check(p[IE_RecoveryTimeStamp].timestamp == upf_recovery,
              "UPF heartbeat carries its fixed Recovery Time Stamp")
        rsp = PFCP(version=1, S=0, seq=p.seq) / PFCPHeartbeatResponse(IE_list=[
            IE_RecoveryTimeStamp(timestamp=SMF_RECOVERY)])
        s.sendto(bytes(rsp), upf)
        upf_heartbeats_answered += 1
    else:
        fail("unexpected request from the UPF: type %d" % p.message_type)


def exchange(pkt, s=None, raw=None, timeout=5.0):
    """Sends a request; returns (raw response, parsed). Answers UPF
    heartbeats arriving meanwhile."""
    s = s or sock
    data = raw if raw is not None else bytes(pkt)
    want_seq = PFCP(data).seq
    s.sendto(data, upf)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            rsp, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        p = PFCP(rsp)
        if p.message_type in (1, 3, 5, 7, 9, 12, 14, 50, 52, 54, 56):
            answer_upf_request(s, rsp)
            continue
        if p.seq != want_seq:
            continue
        return rsp, p
    fail("no response to message type %d seq %d" % (PFCP(data).message_type, want_seq))


def ies(p):
    return p.payload.IE_list


def ie(p, cls):
    for x in ies(p):
        if isinstance(x, cls):
            return x
    return None


def cause(p):
    c = ie(p, IE_Cause)
    return None if c is None else c.cause


def node(cls, ies_):
    return PFCP(version=1, S=0, seq=next_seq()) / cls(IE_list=ies_)


def session(cls, seid, ies_):
    return PFCP(version=1, S=1, seid=seid, seq=next_seq()) / cls(IE_list=ies_)


# --- association setup -----------------------------------------------------
_, p = exchange(node(PFCPAssociationSetupRequest, [
    IE_NodeId(id_type="IPv4", ipv4=SMF_ID),
    IE_RecoveryTimeStamp(timestamp=SMF_RECOVERY),
    IE_CPFunctionFeatures(),
]))
check(p.message_type == 6, "Association Setup Response")
check(cause(p) == 1, "association accepted")
check(ie(p, IE_NodeId) is not None, "Node ID in the association response")
upf_recovery = ie(p, IE_RecoveryTimeStamp).timestamp
check(ie(p, IE_UPFunctionFeatures).FTUP == 1, "FTUP advertised")

# --- heartbeat from the SMF ------------------------------------------------
_, p = exchange(node(PFCPHeartbeatRequest, [IE_RecoveryTimeStamp(timestamp=SMF_RECOVERY)]))
check(p.message_type == 2, "Heartbeat Response")
check(ie(p, IE_RecoveryTimeStamp).timestamp == upf_recovery, "same Recovery Time Stamp")

vectors = gen_vectors.vectors()


def walk(ie_list):
    for x in ie_list:
        yield x
        if hasattr(x, "IE_list"):
            yield from walk(x.IE_list)


def from_vector(name, cp_seid, teid=None):
    pkt = vectors[name].copy()
    pkt.seq = next_seq()
    for x in ies(pkt):
        if isinstance(x, IE_FSEID):
            x.seid = cp_seid
            x.ipv4 = SMF_ID
    if teid is not None:
        for x in walk(ies(pkt)):
            if isinstance(x, IE_FTEID) and x.CH == 0:
                x.TEID = teid
    return pkt


# --- Open5GS-shaped establishment ------------------------------------------
_, p = exchange(from_vector("session_establishment_request_open5gs", 1))
check(p.message_type == 51, "Session Establishment Response")
check(p.seid == 1, "response to the CP SEID")
check(cause(p) == 1, "Open5GS establishment accepted (cause %s)" % cause(p))
check(ie(p, IE_NodeId) is not None, "Node ID in the establishment response")
up_seid = ie(p, IE_FSEID).seid
created = {}
for x in ies(p):
    if isinstance(x, IE_CreatedPDR):
        pid = ie_pdr = None
        for y in x.IE_list:
            if isinstance(y, IE_PDR_Id):
                pid = y.id
            if isinstance(y, IE_FTEID):
                ie_pdr = y
        created[pid] = ie_pdr
check(set(created) == {2, 3, 4}, "Created PDRs for the CHOOSE PDRs: %s" % sorted(created))
check(created[2].TEID == created[3].TEID, "CHOOSE ID 5 shares one TEID")
check(created[4].TEID != created[2].TEID, "CHOOSE without CHOOSE ID: own TEID")
check(created[2].V4 == 1 and created[2].ipv4 == N3, "F-TEID on the N3 address")
teid = created[2].TEID
by_teid, by_ue = rpc("LOOKUP %d %s" % (teid, UE)).split()
check(int(by_teid) == up_seid, "tables find the session by the returned TEID")
check(int(by_ue) == up_seid, "tables find the session by the UE address")
check(rpc("FAR %d 1" % up_seid) == "BUFF", "downlink FAR buffers at first")

# --- modification: buffering becomes forwarding ------------------------------
_, p = exchange(session(PFCPSessionModificationRequest, up_seid, [
    IE_UpdateFAR(IE_list=[
        IE_FAR_Id(id=1),
        IE_ApplyAction(FORW=1),
        IE_UpdateForwardingParameters(IE_list=[
            IE_DestinationInterface(interface="Access"),
            IE_NetworkInstance(instance=b"internet"),
            IE_OuterHeaderCreation(GTPUUDPIPV4=1, TEID=0x42, ipv4=GNB),
        ]),
    ]),
]))
check(p.message_type == 53 and cause(p) == 1, "modification accepted")
check(p.seid == 1, "modification response to the CP SEID")
check(rpc("FAR %d 1" % up_seid) == "FORW", "downlink FAR forwards once answered")

# --- free5GC-shaped establishment ------------------------------------------
# free5GC allocates TEIDs itself (from its own range).
F5_TEID = 0x00F5_0001
_, p = exchange(from_vector("session_establishment_request_free5gc", 2, teid=F5_TEID))
check(cause(p) == 1, "free5GC establishment accepted (cause %s)" % cause(p))
f5_seid = ie(p, IE_FSEID).seid
check(ie(p, IE_CreatedPDR) is None, "SMF-chosen TEIDs: no Created PDR")
by_teid, _ = rpc("LOOKUP %d %s" % (F5_TEID, UE)).split()
check(int(by_teid) == f5_seid, "tables find the free5GC session by its TEID")
check(rpc("QERS %d" % f5_seid) == "2,2", "two QERs per PDR")

# --- deletion with the usage report ------------------------------------------
check(rpc("COUNT %d 1 1234 56789" % f5_seid) == "OK", "counts injected")
_, p = exchange(session(PFCPSessionDeletionRequest, f5_seid, []))
check(p.message_type == 55 and cause(p) == 1, "deletion accepted")
ur = ie(p, IE_UsageReport_SDR)
check(ur is not None, "usage report in the deletion response")
vm = trig = None
for y in ur.IE_list:
    if isinstance(y, IE_VolumeMeasurement):
        vm = y
    if isinstance(y, IE_UsageReportTrigger):
        trig = y
check(trig.TERMR == 1, "termination report")
check((vm.total, vm.uplink, vm.downlink) == (1234 + 56789, 1234, 56789),
      "exact volumes: %s" % ((vm.total, vm.uplink, vm.downlink),))
by_teid, _ = rpc("LOOKUP %d %s" % (F5_TEID, UE)).split()
check(int(by_teid) == 0, "deleted session gone from the tables")

# --- a retransmitted request is answered from the cache ---------------------
before = int(rpc("SESSIONS"))
req = bytes(from_vector("session_establishment_request_open5gs", 3))
first, p = exchange(None, raw=req)
check(cause(p) == 1, "third establishment accepted")
second, _ = exchange(None, raw=req)
check(first == second, "retransmission answered with the same octets")
check(int(rpc("SESSIONS")) == before + 1, "applied once")

# --- a peer without association ---------------------------------------------
other = make_socket(UNASSOCIATED)
_, p = exchange(from_vector("session_establishment_request_open5gs", 4), s=other)
check(cause(p) == 72, "unassociated peer gets Cause 72 (got %s)" % cause(p))
check(ie(p, IE_NodeId) is not None, "Node ID in the rejection")
_, p = exchange(node(PFCPHeartbeatRequest, [IE_RecoveryTimeStamp(timestamp=1)]), s=other)
check(p.message_type == 2, "heartbeat from an unassociated peer answered")
check(int(rpc("SESSIONS")) == before + 1, "nothing installed for it")

# --- the UPF's own heartbeats --------------------------------------------------
deadline = time.time() + 5
while upf_heartbeats_answered == 0 and time.time() < deadline:
    try:
        data, _ = sock.recvfrom(65535)
        answer_upf_request(sock, data)
    except socket.timeout:
        pass
check(upf_heartbeats_answered > 0, "the UPF sent heartbeats and they were answered")

print("DONE", flush=True)
print("smf.py: %d checks passed" % checks, file=sys.stderr)
sys.exit(0)
