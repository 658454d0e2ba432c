#!/usr/bin/python3
"""Builds the input frames and expected outputs of the packet-path tests with
scapy (an encoder independent of the UPF's own), as path.json and path.pcap.

The topology and rules are the ones upf-core/tests/path.rs installs:
  UPF N3 192.0.2.1, N6 198.51.100.1, gNB 192.0.2.10, UE 10.45.0.2,
  uplink F-TEID 0x100@192.0.2.1, downlink tunnel TEID 0x2000 to the gNB, QFI 9.
Run: /usr/bin/python3 gen_path.py (from this folder).
"""
import json

from scapy.all import Ether, IP, IPv6, UDP, TCP, ICMP, Raw, wrpcap
from scapy.contrib.gtp import (GTP_U_Header, GTPPDUSessionContainer, GTPEchoRequest,
                               GTPEchoResponse, GTPErrorIndication, IE_Recovery, IE_TEIDI,
                               IE_GSNAddress)

UPF_MAC, GNB_MAC, DN_MAC = "02:00:00:00:00:01", "02:00:00:00:00:0a", "02:00:00:00:00:0b"
N3, GNB, N6, UE = "192.0.2.1", "192.0.2.10", "198.51.100.1", "10.45.0.2"
UL_TEID, DL_TEID = 0x100, 0x2000

cases = []
frames = []


def add(name, frame, expected=None, verdict="forward", reason=None, **extra):
    frame = bytes(frame)
    entry = {"name": name, "input": frame.hex(), "verdict": verdict}
    if expected is not None:
        entry["expected"] = bytes(expected).hex()
    if reason:
        entry["reason"] = reason
    entry.update(extra)
    cases.append(entry)
    if len(frame) >= 14:
        frames.append(Ether(frame))


def ul(inner, psc_qfi=None, teid=UL_TEID, sport=2152):
    gtp = GTP_U_Header(teid=teid)
    if psc_qfi is not None:
        gtp = GTP_U_Header(teid=teid, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1, QFI=psc_qfi)
    return (Ether(src=GNB_MAC, dst=UPF_MAC) / IP(src=GNB, dst=N3, id=7, ttl=64)
            / UDP(sport=sport, dport=2152) / gtp / inner)


def routed(inner):
    """The inner packet as the UPF forwards it: TTL decremented, checksum fixed."""
    p = IP(bytes(inner))
    p.ttl -= 1
    del p.chksum
    return IP(bytes(p))


# Uplink, three overlapping SDF filters and a drop rule; the lowest
# precedence value that matches wins.
dns = IP(src=UE, dst="203.0.113.5", ttl=64, id=1) / UDP(sport=4000, dport=53) / Raw(b"q" * 20)
add("ul_no_psc_pdr2", ul(dns), routed(dns), pdr=2, urr=2)
other = IP(src=UE, dst="203.0.113.7", ttl=64, id=2) / UDP(sport=4000, dport=53) / Raw(b"w" * 30)
add("ul_psc_qfi9_pdr1", ul(other, psc_qfi=9), routed(other), pdr=1, urr=1)
ssh = IP(src=UE, dst="203.0.113.5", ttl=64, id=3) / TCP(sport=4000, dport=22, flags="S")
add("ul_ssh_dropped_pdr4", ul(ssh), verdict="drop", reason="far_drop")
ping = IP(src=UE, dst="198.51.100.77", ttl=64, id=4) / ICMP(id=1, seq=1) / Raw(b"p" * 16)
add("ul_icmp_pdr3", ul(ping, psc_qfi=9), routed(ping), pdr=3, urr=3)
ttl1 = IP(src=UE, dst="198.51.100.77", ttl=1, id=5) / ICMP(id=1, seq=2)
add("ul_ttl_expired", ul(ttl1), verdict="drop", reason="ttl_exceeded")
# QFI the uplink PDR 5 demands (QFI 5, precedence 1) does not match QFI 9.
add("ul_wrong_source_not_ue", ul(IP(src="10.45.0.99", dst="203.0.113.5") / UDP(sport=1, dport=53)),
    verdict="drop", reason="no_pdr")

# Downlink: encapsulated toward the gNB with the QFI of the flow QER.
dl_in = IP(src="203.0.113.5", dst=UE, ttl=60, id=9) / UDP(sport=53, dport=4000) / Raw(b"a" * 40)
dl_frame = Ether(src=DN_MAC, dst=UPF_MAC) / dl_in
dl_out = (IP(src=N3, dst=GNB, id=1, ttl=64, flags=0) / UDP(sport=2152, dport=2152, chksum=0)
          / GTP_U_Header(teid=DL_TEID, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=0, QFI=9)
          / routed(dl_in))
add("dl_encap_qfi9", dl_frame, dl_out, urr=10)
add("dl_unknown_ue", Ether(src=DN_MAC, dst=UPF_MAC) / IP(src="203.0.113.5", dst="10.45.0.200") / UDP(),
    verdict="drop", reason="no_session")

# Unknown TEID: Error Indication back to the sender's port 2152.
unknown = ul(dns, teid=0x999, sport=2152)
err = (IP(src=N3, dst=GNB, id=1, ttl=64, flags=0) / UDP(sport=2152, dport=2152)
       / GTP_U_Header(teid=0, S=1, seq=0, gtp_type=26)
       / GTPErrorIndication(IE_list=[IE_TEIDI(TEIDI=0x999), IE_GSNAddress(length=4, ipv4_address=N3)]))
add("unknown_teid_error_indication", unknown, err, verdict="reply")

# Echo Request: Echo Response with the same sequence number, to the sender's port.
echo = (Ether(src=GNB_MAC, dst=UPF_MAC) / IP(src=GNB, dst=N3, id=11) / UDP(sport=40000, dport=2152)
        / GTP_U_Header(teid=0, S=1, seq=0x1234, gtp_type=1) / GTPEchoRequest())
echo_resp = (IP(src=N3, dst=GNB, id=1, ttl=64, flags=0) / UDP(sport=2152, dport=40000)
             / GTP_U_Header(teid=0, S=1, seq=0x1234, gtp_type=2)
             / GTPEchoResponse(IE_list=[IE_Recovery(restart_counter=0)]))
add("echo_request_response", echo, echo_resp, verdict="reply")

# Bad input: each is a counted drop with its own reason.
good = bytes(ul(dns))
add("truncated_gtpu_header", good[:14 + 20 + 8 + 5], verdict="drop", reason="malformed")
lying = bytearray(good)
lying[14 + 20 + 8 + 2:14 + 20 + 8 + 4] = (500).to_bytes(2, "big")   # GTP-U length past the packet
add("lying_gtpu_length", bytes(lying), verdict="drop", reason="gtpu_malformed")
lying_ip = bytearray(good)
lying_ip[14 + 2:14 + 4] = (1400).to_bytes(2, "big")                  # IPv4 total length past the frame
add("lying_ip_total_length", bytes(lying_ip), verdict="drop", reason="malformed")
v2 = bytearray(good)
v2[14 + 20 + 8] = 0x48                                               # GTP version 2
add("gtp_version_2", bytes(v2), verdict="drop", reason="gtpu_version")
big_inner = IP(src="203.0.113.5", dst=UE, ttl=60) / UDP(sport=53, dport=4000) / Raw(b"x" * 1460)
add("oversized_after_encap", Ether(src=DN_MAC, dst=UPF_MAC) / big_inner, verdict="drop", reason="mtu_exceeded")
add("truncated_ethernet", good[:10], verdict="drop", reason="malformed")
add("unknown_ethertype", bytes(Ether(src=GNB_MAC, dst=UPF_MAC, type=0x88cc) / Raw(b"lldp")),
    verdict="drop", reason="unsupported_ethertype")
bad_ext = (Ether(src=GNB_MAC, dst=UPF_MAC) / IP(src=GNB, dst=N3) / UDP(sport=2152, dport=2152)
           / GTP_U_Header(teid=UL_TEID, E=1, next_ex=0xC1) / Raw(bytes([1, 0, 0, 0])) / dns)
add("unknown_required_extension", bad_ext, verdict="drop", reason="gtpu_unknown_extension")

with open("path.json", "w") as f:
    json.dump(cases, f, indent=1)
wrpcap("path.pcap", frames)
print(f"{len(cases)} cases written")
