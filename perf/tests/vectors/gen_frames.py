#!/usr/bin/python3
"""Builds, with scapy, the frames perf::traffic::Generator must produce.

Input (stdin): JSON {"topo": {...}, "frames": [{dir, session, seq, psc, size,
tx_ns}, ...]}. Output (stdout): one hex frame per line. Identifiers follow
the rules of perf::traffic::Sessions (UE = ue + i, TEIDs = base + i, QFI =
qfis[i % len], gNB = gnb + i % gnbs); nothing else is shared with the Rust
code.
"""
import ipaddress
import json
import struct
import sys

from scapy.all import Ether, IP, UDP, Raw, Dot1Q
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer

cfg = json.load(sys.stdin)
t = cfg["topo"]


def addr(base, off):
    return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address(base)) + off))


def l2(dst, src, vlan):
    e = Ether(dst=dst, src=src)
    return e / Dot1Q(vlan=vlan) if vlan is not None else e


for f in cfg["frames"]:
    i = f["session"]
    inner_len = f["size"] - 18
    stamp = struct.pack(">H", 0x5550) + i.to_bytes(3, "big") + f["seq"].to_bytes(4, "big") \
        + f["tx_ns"].to_bytes(7, "big")
    fill = bytes((((k * 31) & 0xFF) ^ 0xA5) for k in range(16, inner_len - 28))
    ue = addr(t["ue"], i)
    if f["dir"] == "up":
        inner = IP(src=ue, dst=t["dn"], ttl=64, id=0) / UDP(sport=40000, dport=5001, chksum=0) / Raw(stamp + fill)
        if f["psc"]:
            gtp = GTP_U_Header(teid=0x10000000 + i, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1, QFI=t["qfis"][i % len(t["qfis"])])
        else:
            gtp = GTP_U_Header(teid=0x10000000 + i)
        p = l2(t["upf_n3_mac"], t["gnb_mac"], t.get("n3_vlan")) \
            / IP(src=addr(t["gnb"], i % t["gnbs"]), dst=t["upf_n3"], ttl=64, id=0) \
            / UDP(sport=2152, dport=2152, chksum=0) / gtp / inner
    else:
        p = l2(t["upf_n6_mac"], t["dn_mac"], t.get("n6_vlan")) \
            / IP(src=t["dn"], dst=ue, ttl=64, id=0) / UDP(sport=5001, dport=40000, chksum=0) / Raw(stamp + fill)
    print(bytes(p).hex())
