#!/usr/bin/python3
"""Golden vectors for the packet views, built with scapy (an encoder
independent of ours).

Run with the Debian scapy (2.5):  /usr/bin/python3 gen_vectors.py
Writes, next to this script, one `<name>.hex` per vector (the whole Ethernet
frame, lowercase hex on one line), one `<name>.txt` with scapy's decode of
it, and `wire.pcap` with every frame in the order of VECTORS.

The field values asserted by tests/wire_vectors.rs are the ones set below.
"""
import os

from scapy.all import wrpcap
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
)
from scapy.packet import Raw
from scapy.contrib.gtp import (
    GTP_U_Header,
    GTP_UDPPort_ExtensionHeader,
    GTPEchoRequest,
    GTPEchoResponse,
    GTPErrorIndication,
    GTPHeader,
    GTPPDUSessionContainer,
    IE_GSNAddress,
    IE_Recovery,
    IE_TEIDI,
)

HERE = os.path.dirname(os.path.abspath(__file__))

MAC_A = "02:00:00:00:00:01"  # UPF / sender
MAC_B = "02:00:00:00:00:02"  # peer
GNB_V4 = "192.0.2.10"
UPF_V4 = "192.0.2.1"
GNB_V6 = "2001:db8:1::10"
UPF_V6 = "2001:db8:1::1"
UE_V4 = "10.45.0.2"
UE_V6 = "2001:db8:45::2"
DN_V4 = "198.51.100.7"
DN_V6 = "2001:db8:99::7"


def eth():
    return Ether(dst=MAC_B, src=MAC_A)


def n3_v4():
    return eth() / IP(src=GNB_V4, dst=UPF_V4, id=0x0100, ttl=64) / UDP(sport=2152, dport=2152)


def inner_v4():
    return IP(src=UE_V4, dst=DN_V4, id=0x0042, ttl=63) / UDP(sport=40000, dport=5000) / Raw(b"inner-payload")


VECTORS = [
    (
        "eth_ipv4_udp",
        "Ethernet + IPv4 (DSCP 46, DF, id 0x1234) + UDP 40000->5000 with 10 octets",
        eth()
        / IP(src="192.0.2.1", dst="198.51.100.1", id=0x1234, ttl=64, flags="DF", tos=0xB8)
        / UDP(sport=40000, dport=5000)
        / Raw(b"hello, upf"),
    ),
    (
        "eth_vlan_ipv6_udp",
        "Ethernet + 802.1Q (PCP 5, VID 100) + IPv6 (TC 0x28, flow 0x12345) + UDP 1234->5678",
        eth()
        / Dot1Q(prio=5, vlan=100)
        / IPv6(src="2001:db8::1", dst="2001:db8::2", tc=0x28, fl=0x12345, hlim=64)
        / UDP(sport=1234, dport=5678)
        / Raw(b"v6 over vlan"),
    ),
    (
        "arp_request",
        "ARP request: who has 192.0.2.2, tell 192.0.2.1",
        Ether(dst="ff:ff:ff:ff:ff:ff", src=MAC_A)
        / ARP(op=1, hwsrc=MAC_A, psrc="192.0.2.1", hwdst="00:00:00:00:00:00", pdst="192.0.2.2"),
    ),
    (
        "arp_reply",
        "ARP reply: 192.0.2.2 is at 02:00:00:00:00:02",
        Ether(dst=MAC_A, src=MAC_B)
        / ARP(op=2, hwsrc=MAC_B, psrc="192.0.2.2", hwdst=MAC_A, pdst="192.0.2.1"),
    ),
    (
        "icmpv4_echo",
        "ICMPv4 echo request id 0x1234 seq 1, 16 octets of data",
        eth()
        / IP(src="192.0.2.2", dst="192.0.2.1", id=7, ttl=64)
        / ICMP(type=8, code=0, id=0x1234, seq=1)
        / Raw(b"pingpingpingping"),
    ),
    (
        "icmpv6_echo",
        "ICMPv6 echo request id 0x4321 seq 7, 8 octets of data",
        eth()
        / IPv6(src="2001:db8::2", dst="2001:db8::1", hlim=64)
        / ICMPv6EchoRequest(id=0x4321, seq=7, data=b"abcdefgh"),
    ),
    (
        "icmpv6_ns",
        "Neighbor Solicitation for 2001:db8::1 with Source Link-Layer Address option",
        Ether(dst="33:33:ff:00:00:01", src=MAC_B)
        / IPv6(src="2001:db8::2", dst="ff02::1:ff00:1", hlim=255)
        / ICMPv6ND_NS(tgt="2001:db8::1")
        / ICMPv6NDOptSrcLLAddr(lladdr=MAC_B),
    ),
    (
        "icmpv6_na",
        "Neighbor Advertisement (S, O) for 2001:db8::1 with Target Link-Layer Address option",
        eth()
        / IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=255)
        / ICMPv6ND_NA(R=0, S=1, O=1, tgt="2001:db8::1")
        / ICMPv6NDOptDstLLAddr(lladdr=MAC_A),
    ),
    (
        "icmpv6_rs",
        "Router Solicitation with Source Link-Layer Address option",
        Ether(dst="33:33:00:00:00:02", src=MAC_B)
        / IPv6(src="fe80::2", dst="ff02::2", hlim=255)
        / ICMPv6ND_RS()
        / ICMPv6NDOptSrcLLAddr(lladdr=MAC_B),
    ),
    (
        "gtpu_gpdu",
        "G-PDU TEID 0x00001000, no optional field, inner IPv4/UDP",
        n3_v4() / GTP_U_Header(gtp_type=255, teid=0x1000) / inner_v4(),
    ),
    (
        "gtpu_ul_psc",
        "G-PDU TEID 0x00001001 with UL PDU Session Container, QFI 9",
        n3_v4()
        / GTP_U_Header(gtp_type=255, teid=0x1001, E=1, next_ex=0x85)
        / GTPPDUSessionContainer(type=1, QFI=9, NextExtHdr=0)
        / inner_v4(),
    ),
    (
        "gtpu_dl_psc",
        "G-PDU TEID 0x00002000 with DL PDU Session Container, QFI 5, RQI 1, no PPI",
        eth()
        / IP(src=UPF_V4, dst=GNB_V4, id=0x0200, ttl=64)
        / UDP(sport=2152, dport=2152)
        / GTP_U_Header(gtp_type=255, teid=0x2000, E=1, next_ex=0x85)
        / GTPPDUSessionContainer(type=0, QFI=5, RQI=1, NextExtHdr=0)
        / inner_v4(),
    ),
    (
        "gtpu_dl_psc_ppi",
        "G-PDU TEID 0x00002000 with DL PDU Session Container, QFI 5, RQI 1, PPI 3",
        eth()
        / IP(src=UPF_V4, dst=GNB_V4, id=0x0201, ttl=64)
        / UDP(sport=2152, dport=2152)
        / GTP_U_Header(gtp_type=255, teid=0x2000, E=1, next_ex=0x85)
        / GTPPDUSessionContainer(type=0, QFI=5, RQI=1, PPP=1, PPI=3, NextExtHdr=0)
        / inner_v4(),
    ),
    (
        "gtpu_dl_psc_qmp_snp",
        "G-PDU with DL PSC QFI 1, DL Sending Time Stamp 0x0102030405060708, DL QFI SN 0xabcdef",
        eth()
        / IP(src=UPF_V4, dst=GNB_V4, id=0x0202, ttl=64)
        / UDP(sport=2152, dport=2152)
        / GTP_U_Header(gtp_type=255, teid=0x2001, E=1, next_ex=0x85)
        / GTPPDUSessionContainer(
            type=0, QMP=1, SNP=1, QFI=1, dlSendTime=0x0102030405060708, dlQFISeqNum=0xABCDEF, NextExtHdr=0
        )
        / inner_v4(),
    ),
    (
        "gtpu_ul_psc_full",
        "G-PDU with UL PSC QFI 9 and every optional field of scapy's UL layout",
        n3_v4()
        / GTP_U_Header(gtp_type=255, teid=0x1002, E=1, next_ex=0x85)
        / GTPPDUSessionContainer(
            type=1,
            QMP=1,
            dlDelayInd=1,
            ulDelayInd=1,
            SNP=1,
            N3N9DelayInd=1,
            QFI=9,
            dlSendTimeRpt=0x1111111111111111,
            dlRecvTime=0x2222222222222222,
            ulSendTime=0x3333333333333333,
            dlDelayRslt=0x44444444,
            ulDelayRslt=0x55555555,
            UlQFISeqNum=0x666666,
            N3N9DelayRslt=0x77777777,
            NextExtHdr=0,
        )
        / inner_v4(),
    ),
    (
        "gtpu_seq",
        "G-PDU TEID 0x00001003 with S flag, sequence number 0xbeef",
        n3_v4() / GTP_U_Header(gtp_type=255, teid=0x1003, S=1, seq=0xBEEF) / inner_v4(),
    ),
    (
        "gtpu_ipv6",
        "G-PDU over IPv6 (TEID 0x00003000) carrying IPv6/UDP",
        eth()
        / IPv6(src=GNB_V6, dst=UPF_V6, hlim=64)
        / UDP(sport=2152, dport=2152)
        / GTP_U_Header(gtp_type=255, teid=0x3000)
        / IPv6(src=UE_V6, dst=DN_V6, hlim=63)
        / UDP(sport=40001, dport=443)
        / Raw(b"inner-v6"),
    ),
    (
        "gtpu_echo_request",
        "Echo Request, S flag, sequence 42",
        n3_v4() / GTPHeader(gtp_type=1, teid=0, S=1, seq=42) / GTPEchoRequest(),
    ),
    (
        "gtpu_echo_response",
        "Echo Response, S flag, sequence 42, Recovery 0",
        eth()
        / IP(src=UPF_V4, dst=GNB_V4, id=0x0300, ttl=64)
        / UDP(sport=2152, dport=2152)
        / GTPHeader(gtp_type=2, teid=0, S=1, seq=42)
        / GTPEchoResponse(IE_list=[IE_Recovery(restart_counter=0)]),
    ),
    (
        "gtpu_error_indication_v4",
        "Error Indication, S flag, sequence 3, TEID Data I 0x00001000, peer 192.0.2.10",
        eth()
        / IP(src=UPF_V4, dst=GNB_V4, id=0x0301, ttl=64)
        / UDP(sport=2152, dport=2152)
        / GTP_U_Header(gtp_type=26, teid=0, S=1, seq=3)
        / GTPErrorIndication(IE_list=[IE_TEIDI(TEIDI=0x1000), IE_GSNAddress(length=4, ipv4_address=GNB_V4)]),
    ),
    (
        "gtpu_error_indication_v6",
        "Error Indication over IPv6, S flag, sequence 4, TEID Data I 0x00003000, peer 2001:db8:1::10",
        eth()
        / IPv6(src=UPF_V6, dst=GNB_V6, hlim=64)
        / UDP(sport=2152, dport=2152)
        / GTP_U_Header(gtp_type=26, teid=0, S=1, seq=4)
        / GTPErrorIndication(IE_list=[IE_TEIDI(TEIDI=0x3000), IE_GSNAddress(length=16, ipv6_address=GNB_V6)]),
    ),
    (
        "gtpu_error_indication_udp_port",
        "Error Indication with UDP Port extension header (port 2152), sequence 5",
        eth()
        / IP(src=UPF_V4, dst=GNB_V4, id=0x0302, ttl=64)
        / UDP(sport=2152, dport=2152)
        / GTP_U_Header(gtp_type=26, teid=0, E=1, S=1, seq=5, next_ex=0x40)
        / GTP_UDPPort_ExtensionHeader(length=1, udp_port=2152, next_ex=0)
        / GTPErrorIndication(IE_list=[IE_TEIDI(TEIDI=0x1000), IE_GSNAddress(length=4, ipv4_address=GNB_V4)]),
    ),
    (
        "gtpu_end_marker",
        "End Marker for peer TEID 0x00002000",
        eth()
        / IP(src=UPF_V4, dst=GNB_V4, id=0x0303, ttl=64)
        / UDP(sport=2152, dport=2152)
        / GTP_U_Header(gtp_type=254, teid=0x2000),
    ),
]


def main():
    frames = []
    for index, (name, description, pkt) in enumerate(VECTORS):
        raw = bytes(pkt)
        frame = Ether(raw)
        frame.time = 1700000000 + index
        frames.append(frame)
        with open(os.path.join(HERE, name + ".hex"), "w") as f:
            f.write(raw.hex() + "\n")
        with open(os.path.join(HERE, name + ".txt"), "w") as f:
            f.write(description + "\n\n")
            f.write(pkt.show2(dump=True))
    wrpcap(os.path.join(HERE, "wire.pcap"), frames)
    print("wrote %d vectors" % len(frames))


if __name__ == "__main__":
    main()
