#!/usr/bin/python3
"""A gNB for the UPF lab: sends UE traffic as GTP-U and reads the answers.

Runs inside the gNB network namespace (Debian's scapy, /usr/bin/python3).
Packets go out through a UDP socket bound to the gNB's N3 address and port
2152, so the kernel routes them and receives the UPF's downlink G-PDUs.

Modes:
  traffic       for each session of an SMF sessions file (`upf smf --out`):
                ICMP echo requests and UDP datagrams from the UE address to
                the DN host, each in a G-PDU with the UL PDU Session
                Container (QFI); prints each downlink answer with its TEID
                and QFI; counts inner IP bytes each way.
  unknown-teid  one G-PDU with a TEID the UPF does not know; expects a
                GTP-U Error Indication.
  echo          a GTP-U Echo Request; expects the Echo Response.
  error-indication
                a GTP-U Error Indication naming the downlink tunnel --teid
                (as a gNB that lost the tunnel would send).
  silence       G-PDUs for a (deleted) session; expects no G-PDU back.

Every mode prints one line per event and, with --json, writes a summary.
--pcap FILE captures the GTP-U frames on --iface while the mode runs.
"""

import argparse
import json
import socket
import sys
import time

from scapy.all import ICMP, IP, UDP, Raw, AsyncSniffer, wrpcap
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer

GTPU_PORT = 2152


def gpdu(teid, qfi, inner):
    """A G-PDU with the UL PDU Session Container (TS 38.415, type 1)."""
    return bytes(GTP_U_Header(teid=teid, E=1, next_ex=0x85)
                 / GTPPDUSessionContainer(type=1, QFI=qfi) / inner)


def describe(inner):
    if inner.haslayer(ICMP):
        i = inner[ICMP]
        kind = {0: "echo-reply", 8: "echo-request", 3: "unreachable"}.get(i.type, f"type {i.type}")
        return f"ICMP {kind} id={i.id} seq={i.seq}"
    if inner.haslayer(UDP):
        u = inner[UDP]
        return f"UDP {u.sport}->{u.dport} {bytes(u.payload)[:24]!r}"
    return f"proto {inner.proto}"


class Gnb:
    def __init__(self, addr, upf):
        self.upf = upf
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, GTPU_PORT))
        self.sock.settimeout(0.2)

    def send(self, data):
        self.sock.sendto(data, (self.upf, GTPU_PORT))

    def recv(self, until):
        """Yields (GTP_U_Header, raw bytes) until the deadline."""
        while time.time() < until:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            yield GTP_U_Header(data), data, peer


def traffic(args, gnb, out):
    with open(args.sessions) as f:
        sessions = json.load(f)["sessions"]
    by_teid = {}
    for n, s in enumerate(sessions):
        st = {"ue": s["ue"], "ul_teid": s["ul_teid"], "dl_teid": s["dl_teid"], "qfi": s["qfi"],
              "ul_packets": 0, "ul_bytes": 0, "dl_packets": 0, "dl_bytes": 0,
              "ping_replies": 0, "udp_replies": 0, "dl_qfis": [], "dl_psc_types": []}
        by_teid[s["dl_teid"]] = st
        out.setdefault("sessions", []).append(st)

    def handle(g):
        st = by_teid.get(g.teid)
        inner = g.getlayer(IP)
        if g.gtp_type != 255 or st is None or inner is None:
            return None
        psc = g.getlayer(GTPPDUSessionContainer)
        qfi = None if psc is None else psc.QFI
        st["dl_packets"] += 1
        st["dl_bytes"] += len(bytes(inner))
        if qfi not in st["dl_qfis"]:
            st["dl_qfis"].append(qfi)
        ptype = None if psc is None else psc.type
        if ptype not in st["dl_psc_types"]:
            st["dl_psc_types"].append(ptype)
        print(f"  DL  teid={g.teid:#x} qfi={qfi}  {inner.src} -> {inner.dst}  {describe(inner)}"
              f"  ({len(bytes(inner))} bytes)", flush=True)
        return st, inner

    def exchange(s, st, inner, accept):
        data = gpdu(s["ul_teid"], s["qfi"], inner)
        for _ in range(args.retries):
            gnb.send(data)
            st["ul_packets"] += 1
            st["ul_bytes"] += len(bytes(inner))
            for g, _, _ in gnb.recv(time.time() + args.wait):
                r = handle(g)
                if r and r[0] is st and accept(r[1]):
                    return True
        return False

    for n, s in enumerate(sessions):
        st = by_teid[s["dl_teid"]]
        print(f"gnb: session {n + 1}: UE {s['ue']} uplink TEID {s['ul_teid']:#x} -> UPF {args.upf}",
              flush=True)
        for i in range(args.pings):
            ping = IP(src=s["ue"], dst=args.dn, ttl=64) / ICMP(id=0x100 + n, seq=i) / Raw(b"upf-lab-ping")
            if exchange(s, st, ping, lambda ip: ip.haslayer(ICMP) and ip[ICMP].type == 0
                        and ip[ICMP].seq == i):
                st["ping_replies"] += 1
        for i in range(args.udp):
            payload = f"upf-lab-udp-{n}-{i}".encode()
            dgram = IP(src=s["ue"], dst=args.dn, ttl=64) / UDP(sport=40000 + n, dport=args.udp_port) / Raw(payload)
            if exchange(s, st, dgram, lambda ip: ip.haslayer(UDP) and bytes(ip[UDP].payload) == payload):
                st["udp_replies"] += 1
    # Late answers still count.
    for g, _, _ in gnb.recv(time.time() + args.linger):
        handle(g)
    return all(st["ping_replies"] == args.pings and st["udp_replies"] == args.udp
               for st in out["sessions"])


def parse_ies(body):
    """GTP-U IEs (TS 29.281 §8): TV types below 128, TLV above."""
    ies, i = {}, 0
    fixed = {14: 1, 16: 4}
    while i < len(body):
        t = body[i]
        if t < 128:
            n = fixed.get(t)
            if n is None:
                break
            ies[t] = body[i + 1:i + 1 + n]
            i += 1 + n
        else:
            n = int.from_bytes(body[i + 1:i + 3], "big")
            ies[t] = body[i + 3:i + 3 + n]
            i += 3 + n
    return ies


def unknown_teid(args, gnb, out):
    inner = IP(src=args.ue, dst=args.dn) / ICMP(id=0x77, seq=1) / Raw(b"nobody-home")
    print(f"gnb: G-PDU with unknown TEID {args.teid:#x} to {args.upf}", flush=True)
    for _ in range(args.retries):
        gnb.send(gpdu(args.teid, args.qfi, inner))
        for g, data, peer in gnb.recv(time.time() + args.wait):
            if g.gtp_type != 26:
                continue
            hl = 12 if (data[0] & 0x07) else 8
            ies = parse_ies(data[hl:])
            teid = int.from_bytes(ies.get(16, b"\0\0\0\0"), "big")
            addr = socket.inet_ntoa(ies[133]) if len(ies.get(133, b"")) == 4 else None
            out.update({"error_indication": True, "from": peer[0], "teid_data_i": teid, "peer_address": addr})
            print(f"  Error Indication from {peer[0]}: TEID Data I {teid:#x}, GTP-U peer {addr}", flush=True)
            return teid == args.teid
    out["error_indication"] = False
    return False


def echo(args, gnb, out):
    print(f"gnb: GTP-U Echo Request to {args.upf}", flush=True)
    for seq in range(1, args.retries + 1):
        gnb.send(bytes(GTP_U_Header(gtp_type=1, teid=0, S=1, seq=seq)))
        for g, _, peer in gnb.recv(time.time() + args.wait):
            if g.gtp_type == 2 and g.seq == seq:
                out.update({"echo_response": True, "from": peer[0], "seq": seq})
                print(f"  Echo Response from {peer[0]} seq {seq}", flush=True)
                return True
    out["echo_response"] = False
    return False


def error_indication(args, gnb, out):
    """Tells the UPF that the gNB has no tunnel --teid (TS 29.281 §7.3.1):
    TEID Data I is the downlink TEID, the GTP-U Peer Address the gNB's."""
    ies = bytes([16]) + args.teid.to_bytes(4, "big") + bytes([133, 0, 4]) + socket.inet_aton(args.gnb)
    body = (1).to_bytes(2, "big") + b"\0\0" + ies
    msg = bytes([0x32, 26]) + len(body).to_bytes(2, "big") + b"\0\0\0\0" + body
    gnb.send(msg)
    out["sent"] = True
    print(f"gnb: Error Indication to {args.upf}: TEID Data I {args.teid:#x}, peer {args.gnb}", flush=True)
    return True


def silence(args, gnb, out):
    inner = IP(src=args.ue, dst=args.dn) / ICMP(id=0x99, seq=1) / Raw(b"after-delete")
    print(f"gnb: {args.retries} G-PDUs for TEID {args.teid:#x} (expect no answer)", flush=True)
    got, ei = 0, 0
    for _ in range(args.retries):
        gnb.send(gpdu(args.teid, args.qfi, inner))
        for g, _, _ in gnb.recv(time.time() + args.wait):
            if g.gtp_type == 255:
                got += 1
            elif g.gtp_type == 26:
                ei += 1
    out.update({"gpdus_back": got, "error_indications": ei})
    print(f"  G-PDUs back: {got}, Error Indications: {ei}", flush=True)
    return got == 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["traffic", "unknown-teid", "echo", "error-indication", "silence"])
    p.add_argument("--gnb", required=True, help="the gNB's N3 address")
    p.add_argument("--upf", required=True, help="the UPF's N3 address")
    p.add_argument("--dn", default="10.100.6.2", help="the DN host")
    p.add_argument("--sessions", help="SMF sessions file (traffic)")
    p.add_argument("--ue", default="10.45.0.2")
    p.add_argument("--teid", type=lambda v: int(v, 0), default=0xdead)
    p.add_argument("--qfi", type=int, default=9)
    p.add_argument("--pings", type=int, default=3)
    p.add_argument("--udp", type=int, default=3)
    p.add_argument("--udp-port", type=int, default=7777)
    p.add_argument("--retries", type=int, default=5)
    p.add_argument("--wait", type=float, default=1.0, help="seconds to wait for each answer")
    p.add_argument("--linger", type=float, default=1.0)
    p.add_argument("--iface", help="interface to capture on (--pcap)")
    p.add_argument("--pcap", help="write the GTP-U frames seen on --iface here")
    p.add_argument("--json", help="write the summary here")
    args = p.parse_args()

    sniffer = None
    if args.pcap:
        import threading
        started = threading.Event()
        sniffer = AsyncSniffer(iface=args.iface, store=True, started_callback=started.set,
                               lfilter=lambda f: f.haslayer(UDP) and GTPU_PORT in (f[UDP].sport, f[UDP].dport))
        sniffer.start()
        started.wait(10)
        time.sleep(0.2)
    gnb = Gnb(args.gnb, args.upf)
    out = {"mode": args.mode}
    modes = {"traffic": traffic, "unknown-teid": unknown_teid, "echo": echo,
             "error-indication": error_indication, "silence": silence}
    ok = modes[args.mode](args, gnb, out)
    out["ok"] = bool(ok)
    if sniffer:
        time.sleep(0.3)
        frames = sniffer.stop()
        wrpcap(args.pcap, frames)
        out["captured"] = len(frames)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    print(f"gnb: {args.mode} {'ok' if ok else 'FAILED'}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
