"""TRex STL profile: uplink GTP-U from a gNB to the UPF's N3 address.

One stream; the field engine walks N sessions: for session i the GTP-U TEID
is 0x10000000 + i (the UPF's local F-TEID) and the inner source is the UE
address 10.0.0.1 + i, the inner IPv4 checksum is fixed per packet, and with
the PDU Session Container the QFI cycles over 1, 5, 6, 9 (session i has
QFI qfis[i % 4], as perf::traffic::Sessions says; keep N a multiple of 4).

    trex> start -f perf/trex/gtpu_uplink.py -p 0 -m 100% -t sessions=100000,psc=1,size=64

Tunables: sessions (default 100000), psc (1: UL PDU SESSION INFORMATION
with QFI, 0: plain G-PDU), size (the user frame on N6 with FCS, 64..1518;
the GTP-U frame is 36 bytes longer, 44 with the container), gnb_mac/upf_mac.
Addresses follow perf/README.md: gNB 192.0.2.10, UPF N3 192.0.2.1, data
network server 203.0.113.5.
"""
from trex_stl_lib.api import (STLProfile, STLStream, STLPktBuilder, STLTXCont, STLVM)
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, UDP
from scapy.packet import Raw
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer

UPF_N3 = "192.0.2.1"
GNB = "192.0.2.10"
DN = "203.0.113.5"
UE_FIRST = "10.0.0.1"
UL_TEID_BASE = 0x10000000
QFIS = [1, 5, 6, 9]

ETH, IP4, UDP_LEN, GTP_LEN, PSC_LEN = 14, 20, 8, 8, 8


class GtpuUplink(object):
    def get_streams(self, direction=0, tunables=None, **kwargs):
        t = dict(tunables or {})
        t.update(kwargs)
        sessions = int(t.get("sessions", 100000))
        psc = int(t.get("psc", 1)) != 0
        size = int(t.get("size", 64))
        gnb_mac = t.get("gnb_mac", "02:00:00:00:0a:0a")
        upf_mac = t.get("upf_mac", "02:00:00:00:03:01")

        inner_len = size - 18
        payload = b"\x55\x50" + b"\x00" * 14 + bytes(
            (((k * 31) & 0xFF) ^ 0xA5) for k in range(16, inner_len - 28))
        inner = IP(src=UE_FIRST, dst=DN, ttl=64, id=0) / UDP(sport=40000, dport=5001, chksum=0) / Raw(payload)
        if psc:
            gtp = GTP_U_Header(teid=UL_TEID_BASE, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1, QFI=QFIS[0])
        else:
            gtp = GTP_U_Header(teid=UL_TEID_BASE)
        pkt = Ether(src=gnb_mac, dst=upf_mac) / IP(src=GNB, dst=UPF_N3, ttl=64, id=0) \
            / UDP(sport=2152, dport=2152, chksum=0) / gtp / inner

        gtp_at = ETH + IP4 + UDP_LEN
        inner_at = gtp_at + GTP_LEN + (PSC_LEN if psc else 0)
        vm = STLVM()
        vm.var(name="s", min_value=0, max_value=sessions - 1, size=4, op="inc")
        vm.write(fv_name="s", pkt_offset=gtp_at + 4, add_val=UL_TEID_BASE)
        vm.write(fv_name="s", pkt_offset=inner_at + 12, add_val=0x0A000001)
        if psc:
            # Steps with the session counter: session i carries QFIS[i % 4].
            vm.var(name="qfi", min_value=QFIS[0], max_value=QFIS[-1], size=1, op="inc",
                    value_list=QFIS)
            vm.write(fv_name="qfi", pkt_offset=gtp_at + GTP_LEN + 6)
        vm.fix_chksum(offset=inner_at)
        return [STLStream(packet=STLPktBuilder(pkt=pkt, vm=vm), mode=STLTXCont())]


def register():
    return GtpuUplink()
