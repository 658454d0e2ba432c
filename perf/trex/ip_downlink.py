"""TRex STL profile: downlink IP from the data network to UE addresses.

One stream toward the UPF's N6 MAC; the field engine walks N sessions: the
destination is the UE address 10.0.0.1 + i, the source the data-network
server 203.0.113.5, UDP 5001 -> 40000, IPv4 checksum fixed per packet. The
UPF encapsulates each into the gNB's tunnel (TEID 0x20000000 + i toward
192.0.2.10, from its N3 address 192.0.2.1) with a DL PDU Session Container.

    trex> start -f perf/trex/ip_downlink.py -p 1 -m 100% -t sessions=100000,size=64

Tunables: sessions (default 100000), size (64..1518, frame with FCS),
dn_mac/upf_mac.
"""
from trex_stl_lib.api import (STLProfile, STLStream, STLPktBuilder, STLTXCont, STLVM)
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, UDP
from scapy.packet import Raw

UPF_N3 = "192.0.2.1"
GNB = "192.0.2.10"
DN = "203.0.113.5"
UE_FIRST = "10.0.0.1"
UL_TEID_BASE = 0x10000000
DL_TEID_BASE = 0x20000000


class IpDownlink(object):
    def get_streams(self, direction=0, tunables=None, **kwargs):
        t = dict(tunables or {})
        t.update(kwargs)
        sessions = int(t.get("sessions", 100000))
        size = int(t.get("size", 64))
        dn_mac = t.get("dn_mac", "02:00:00:00:fe:fe")
        upf_mac = t.get("upf_mac", "02:00:00:00:06:01")

        inner_len = size - 18
        payload = b"\x55\x50" + b"\x00" * 14 + bytes(
            (((k * 31) & 0xFF) ^ 0xA5) for k in range(16, inner_len - 28))
        pkt = Ether(src=dn_mac, dst=upf_mac) / IP(src=DN, dst=UE_FIRST, ttl=64, id=0) \
            / UDP(sport=5001, dport=40000, chksum=0) / Raw(payload)
        vm = STLVM()
        vm.var(name="s", min_value=0, max_value=sessions - 1, size=4, op="inc")
        vm.write(fv_name="s", pkt_offset="IP.dst", add_val=0x0A000001)
        vm.fix_chksum(offset="IP")
        return [STLStream(packet=STLPktBuilder(pkt=pkt, vm=vm), mode=STLTXCont())]


def register():
    return IpDownlink()
