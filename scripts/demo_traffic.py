#!/usr/bin/python3
"""Writes ul.pcap (gNB -> UPF N3, GTP-U) and dl.pcap (DN -> UPF N6, IP) for
the packet-path demo: a few UEs, two QoS flows, an Echo Request, a G-PDU
for an unknown TEID and a truncated frame."""
import sys

from scapy.all import Ether, IP, UDP, ICMP, Raw, wrpcap
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer, GTPEchoRequest

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 4
UPF, GNB, DN = "02:00:00:00:00:01", "02:00:00:00:00:0a", "02:00:00:00:00:0b"


def ue(i):
    return "10.45.0.%d" % (2 + i)


ul, dl = [], []
for i in range(n):
    for k in range(3):
        inner = IP(src=ue(i), dst="203.0.113.5") / ICMP(id=i, seq=k) / Raw(b"x" * 32)
        ul.append(Ether(src=GNB, dst=UPF) / IP(src="192.0.2.10", dst="192.0.2.1") / UDP(sport=2152, dport=2152)
                  / GTP_U_Header(teid=0x100 + i, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1, QFI=9) / inner)
        dl.append(Ether(src=DN, dst=UPF) / IP(src="203.0.113.5", dst=ue(i)) / ICMP(type=0, id=i, seq=k) / Raw(b"x" * 32))
        dl.append(Ether(src=DN, dst=UPF) / IP(src="203.0.113.9", dst=ue(i)) / UDP(sport=5000, dport=6000) / Raw(b"v" * 100))
ul.append(Ether(src=GNB, dst=UPF) / IP(src="192.0.2.10", dst="192.0.2.1") / UDP(sport=2152, dport=2152)
          / GTP_U_Header(teid=0, S=1, seq=7, gtp_type=1) / GTPEchoRequest())
ul.append(Ether(src=GNB, dst=UPF) / IP(src="192.0.2.10", dst="192.0.2.1") / UDP(sport=2152, dport=2152)
          / GTP_U_Header(teid=0xdead) / IP(src=ue(0), dst="203.0.113.5") / ICMP())
ul.append(Ether(bytes(ul[0])[:40]))
wrpcap(out + "/ul.pcap", ul)
wrpcap(out + "/dl.pcap", dl)
print(f"demo traffic: {len(ul)} uplink frames, {len(dl)} downlink frames for {n} UEs")
