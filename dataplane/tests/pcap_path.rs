//! The real workers over `net_pcap` ports: uplink GTP-U (several sessions
//! and QFIs, with and without the PDU Session Container), downlink IP, ARP
//! requests for the UPF's addresses and a GTP-U Echo Request go in; the
//! output pcaps are compared packet by packet with frames scapy builds, and
//! decoded by tshark.
//!
//! Two workers and one RX and one TX queue per port: worker 0 receives
//! everything and hands the sessions worker 1 owns (by TEID / UE address) to
//! it; worker 1 sends through worker 0's TX ring. Both must process packets
//! and the outputs and counters must be exact.
//!
//! Needs DPDK's `net_pcap`, `/usr/bin/python3` with scapy, and tshark.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::sessions::{rules, SessionSpec, URR_DL, URR_UL};
use common::{assert_clean_decode, hex, python, tshark, unhex, unique, wait_for, TempDir};
use dataplane::eal;
use dataplane::pcap;
use dataplane::port::PortDevice;
use dataplane::{
    Attachment, Dataplane, DataplaneConfig, PortSpec, Role, StaticNeighbor, Steering, WorkerCore,
};
use upf_core::counters::{DropReason, Stat};
use upf_core::path::PathConfig;

const N3: [u8; 4] = [192, 0, 2, 1];
const GNB: [u8; 4] = [192, 0, 2, 10];
const N6: [u8; 4] = [198, 51, 100, 1];
const GW: [u8; 4] = [198, 51, 100, 254];
const GNB_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0a, 0x0a];
const GW_MAC: [u8; 6] = [0x02, 0, 0, 0, 0xfe, 0xfe];
const SESSIONS: u32 = 4;
const QFIS: [u8; 4] = [5, 6, 7, 9];

fn spec(i: u32) -> SessionSpec {
    SessionSpec {
        seid: u64::from(i) + 1,
        ue: [10, 45, 0, 10 + i as u8].into(),
        ul_teid: 0x100 + i,
        dl_teid: 0x2000 + i,
        n3: N3.into(),
        gnb: GNB.into(),
        qfi: QFIS[i as usize],
    }
}

/// One scapy script for the inputs and, given the UPF's MACs, the expected
/// outputs (the inputs are rebuilt identically).
const SCRIPT: &str = r#"
import json, sys
from scapy.all import Ether, IP, UDP, ARP, Raw, wrpcap
from scapy.contrib.gtp import (GTP_U_Header, GTPPDUSessionContainer, GTPEchoRequest,
                               GTPEchoResponse, IE_Recovery)

DIR, N3_MAC, N6_MAC = "@DIR@", "@N3_MAC@", "@N6_MAC@"
GNB_MAC, GW_MAC = "02:00:00:00:0a:0a", "02:00:00:00:fe:fe"
N3, GNB, N6, GW, DN = "192.0.2.1", "192.0.2.10", "198.51.100.1", "198.51.100.254", "203.0.113.5"
QFIS = [5, 6, 7, 9]
PER_SESSION = 6

def routed(inner):
    p = IP(bytes(inner))
    p.ttl -= 1
    del p.chksum
    return IP(bytes(p))

ul, dl, n3_out, n6_out = [], [], [], []
ul_bytes, dl_bytes = {}, {}
for k in range(PER_SESSION):
    for i in range(4):
        ue = "10.45.0.%d" % (10 + i)
        inner = IP(src=ue, dst=DN, ttl=64, id=100 * i + k) / UDP(sport=40000 + k, dport=41000) / Raw(b"u%d-%d-" % (i, k) + b"x" * (10 + k))
        gtp = GTP_U_Header(teid=0x100 + i)
        if k % 2 == 0:
            gtp = GTP_U_Header(teid=0x100 + i, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1, QFI=QFIS[i])
        ul.append(Ether(src=GNB_MAC, dst=N3_MAC) / IP(src=GNB, dst=N3, id=k) / UDP(sport=2152, dport=2152) / gtp / inner)
        n6_out.append(Ether(src=N6_MAC, dst=GW_MAC) / routed(inner))
        ul_bytes[i] = ul_bytes.get(i, 0) + len(inner)

        dl_in = IP(src=DN, dst=ue, ttl=60, id=200 * i + k) / UDP(sport=41000, dport=40000 + k) / Raw(b"d%d-%d-" % (i, k) + b"y" * (20 + k))
        dl.append(Ether(src=GW_MAC, dst=N6_MAC) / dl_in)
        n3_out.append(Ether(src=N3_MAC, dst=GNB_MAC)
                      / IP(src=N3, dst=GNB, id=0, ttl=64, flags=0) / UDP(sport=2152, dport=2152, chksum=0)
                      / GTP_U_Header(teid=0x2000 + i, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=0, QFI=QFIS[i])
                      / routed(dl_in))
        dl_bytes[i] = dl_bytes.get(i, 0) + len(dl_in)

# Local traffic: ARP for both UPF addresses, a GTP-U Echo Request; a
# downlink packet for an unknown UE.
ul.insert(3, Ether(src=GNB_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=GNB_MAC, psrc=GNB, pdst=N3))
n3_out.append(Ether(src=N3_MAC, dst=GNB_MAC) / ARP(op=2, hwsrc=N3_MAC, psrc=N3, hwdst=GNB_MAC, pdst=GNB))
ul.insert(9, Ether(src=GNB_MAC, dst=N3_MAC) / IP(src=GNB, dst=N3, id=77) / UDP(sport=2152, dport=2152)
          / GTP_U_Header(teid=0, S=1, seq=0x42, gtp_type=1) / GTPEchoRequest())
n3_out.append(Ether(src=N3_MAC, dst=GNB_MAC) / IP(src=N3, dst=GNB, id=0, ttl=64, flags=0) / UDP(sport=2152, dport=2152)
              / GTP_U_Header(teid=0, S=1, seq=0x42, gtp_type=2) / GTPEchoResponse(IE_list=[IE_Recovery(restart_counter=0)]))
dl.insert(5, Ether(src=GW_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=GW_MAC, psrc=GW, pdst=N6))
n6_out.append(Ether(src=N6_MAC, dst=GW_MAC) / ARP(op=2, hwsrc=N6_MAC, psrc=N6, hwdst=GW_MAC, pdst=GW))
dl.insert(11, Ether(src=GW_MAC, dst=N6_MAC) / IP(src=DN, dst="10.45.9.9") / UDP(sport=41000, dport=40000) / Raw(b"z" * 8))

if sys.argv[1] == "inputs":
    wrpcap(DIR + "/ul.pcap", ul)
    wrpcap(DIR + "/dl.pcap", dl)
    print(json.dumps({"ul": len(ul), "dl": len(dl)}))
else:
    print(json.dumps({
        "n3": [bytes(p).hex() for p in n3_out],
        "n6": [bytes(p).hex() for p in n6_out],
        "ul_bytes": [ul_bytes[i] for i in range(4)],
        "dl_bytes": [dl_bytes[i] for i in range(4)],
    }))
"#;

fn run_script(dir: &Path, mode: &str, n3_mac: &str, n6_mac: &str) -> serde_json::Value {
    let script = SCRIPT
        .replace("@DIR@", &dir.display().to_string())
        .replace("@N3_MAC@", n3_mac)
        .replace("@N6_MAC@", n6_mac)
        .replace("sys.argv[1]", &format!("{mode:?}"));
    serde_json::from_str(&python(&script)).expect("script output is JSON")
}

fn mac_str(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Masks what legitimately differs between workers: the IPv4
/// Identification (a per-worker counter) of headers the UPF builds, and
/// their checksum, after checking it.
fn normalise(frame: &[u8]) -> Vec<u8> {
    let mut f = frame.to_vec();
    if f.len() >= 34 && f[12..14] == [0x08, 0x00] {
        let src = &f[26..30];
        if src == N3 || src == N6 {
            let hl = usize::from(f[14] & 0x0f) * 4;
            assert_eq!(
                upf_core::wire::checksum::checksum(&f[14..14 + hl]),
                0,
                "IPv4 header checksum of {}",
                hex(frame)
            );
            f[18..20].fill(0);
            f[24..26].fill(0);
        }
    }
    f
}

fn sorted(v: impl IntoIterator<Item = Vec<u8>>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().map(|f| hex(&f)).collect();
    v.sort();
    v
}

#[test]
fn two_workers_one_queue_over_pcap() {
    eal::init_for_tests();
    let dir = TempDir::new("pcap-path");
    let counts = run_script(&dir.0, "inputs", "02:00:00:00:00:01", "02:00:00:00:00:02");
    let (n_ul, n_dl) = (
        counts["ul"].as_u64().unwrap(),
        counts["dl"].as_u64().unwrap(),
    );

    let path = PathConfig {
        access_v4: Some(N3.into()),
        core_v4: Some(N6.into()),
        ..PathConfig::default()
    };
    let n3_dev = format!(
        "{},rx_pcap={},tx_pcap={}",
        unique("net_pcap_n3_"),
        dir.path("ul.pcap").display(),
        dir.path("n3_out.pcap").display()
    );
    let n6_dev = format!(
        "{},rx_pcap={},tx_pcap={}",
        unique("net_pcap_n6_"),
        dir.path("dl.pcap").display(),
        dir.path("n6_out.pcap").display()
    );
    let cpus = common::cpus();
    let workers = vec![
        WorkerCore::Cpu(cpus[0]),
        WorkerCore::Cpu(*cpus.get(1).unwrap_or(&cpus[0])),
    ];
    let n3 = Attachment {
        prefix_v4: Some(24),
        ..Attachment::new(Role::N3, 0)
    };
    let n6 = Attachment {
        prefix_v4: Some(24),
        gateway_v4: Some(GW.into()),
        ..Attachment::new(Role::N6, 1)
    };
    let mut cfg = DataplaneConfig::new(
        vec![
            PortSpec::new("n3", PortDevice::Vdev(n3_dev)),
            PortSpec::new("n6", PortDevice::Vdev(n6_dev)),
        ],
        vec![n3, n6],
        workers,
        path,
    );
    cfg.mbufs = 2047;
    cfg.mbuf_cache = 32;
    cfg.ring_size = 256;
    cfg.steering = Steering::Auto;
    cfg.idle_yield = true;
    cfg.static_neighbors = vec![
        StaticNeighbor {
            role: Role::N3,
            addr: std::net::Ipv4Addr::from(GNB).into(),
            mac: GNB_MAC,
        },
        StaticNeighbor {
            role: Role::N6,
            addr: std::net::Ipv4Addr::from(GW).into(),
            mac: GW_MAC,
        },
    ];
    let mut dp = Dataplane::new(cfg).expect("dataplane");
    assert!(
        dp.software_steering(),
        "net_pcap has no RSS: software steering"
    );
    for p in dp.ports() {
        assert_eq!((p.rx_queues(), p.tx_queues()), (1, 1), "one queue each");
    }
    let mut sink = dp.take_rule_sink().unwrap();
    let installed: Vec<_> = (0..SESSIONS).map(|i| rules(&spec(i), None)).collect();
    let mut last = 0;
    for r in &installed {
        last = sink.install(r.clone(), None).unwrap();
    }
    dp.start().unwrap();
    sink.wait_applied(last, Duration::from_secs(60)).unwrap();

    let n3_mac = dp.mac(Role::N3).unwrap();
    let n6_mac = dp.mac(Role::N6).unwrap();
    let want = run_script(&dir.0, "expected", &mac_str(n3_mac), &mac_str(n6_mac));
    let want_n3: Vec<Vec<u8>> = want["n3"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| unhex(h.as_str().unwrap()))
        .collect();
    let want_n6: Vec<Vec<u8>> = want["n6"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| unhex(h.as_str().unwrap()))
        .collect();

    // Everything read, everything expected written (the ARP replies come
    // through the control thread).
    wait_for(
        Duration::from_secs(120),
        "the packets to go through",
        || {
            let s = dp.stats();
            let (n3s, n6s) = (s.ports[0].unwrap(), s.ports[1].unwrap());
            n3s.ipackets == n_ul
                && n6s.ipackets == n_dl
                && n3s.opackets == want_n3.len() as u64
                && n6s.opackets == want_n6.len() as u64
        },
    );
    let stats = dp.stop().expect("clean stop");

    // Counters.
    let n_in = n_ul + n_dl;
    let per_dir = u64::from(SESSIONS) * 6;
    assert_eq!(stats.stat(Stat::Rx), n_in, "{stats:#?}");
    assert_eq!(stats.stat(Stat::GtpuRx), per_dir);
    assert_eq!(stats.stat(Stat::Decap), per_dir);
    assert_eq!(stats.stat(Stat::Encap), per_dir);
    assert_eq!(stats.stat(Stat::ForwardCore), per_dir);
    assert_eq!(stats.stat(Stat::ForwardAccess), per_dir);
    assert_eq!(stats.stat(Stat::EchoReply), 1);
    assert_eq!(stats.stat(Stat::ToControl), 2);
    assert_eq!(stats.stat(Stat::Tx), (want_n3.len() + want_n6.len()) as u64);
    assert_eq!(stats.drops(DropReason::NoSession), 1);
    assert_eq!(stats.total_drops(), 1, "{stats:#?}");
    assert_eq!(stats.arp_replies, 2);
    // Both workers processed packets; worker 1 only gets what worker 0
    // hands it.
    let (w0, w1) = (&stats.workers[0], &stats.workers[1]);
    assert!(w0.stat(Stat::Rx) > 0 && w1.stat(Stat::Rx) > 0, "{stats:#?}");
    assert!(w0.handed_off > 0);
    assert_eq!(w1.handed_in, w0.handed_off);
    assert_eq!(
        w0.handed_off + w1.handed_off,
        w1.handed_in + w0.handed_in,
        "hand-offs arrive"
    );
    // URR volumes are exact whichever worker counted.
    let ul_bytes = want["ul_bytes"].as_array().unwrap();
    let dl_bytes = want["dl_bytes"].as_array().unwrap();
    for (i, r) in installed.iter().enumerate() {
        let ul = r.urr_counters(URR_UL).unwrap().snapshot();
        let dl = r.urr_counters(URR_DL).unwrap().snapshot();
        assert_eq!(ul.ul_packets, 6, "session {i}");
        assert_eq!(dl.dl_packets, 6, "session {i}");
        assert_eq!(ul.ul_bytes, ul_bytes[i].as_u64().unwrap(), "session {i}");
        assert_eq!(dl.dl_bytes, dl_bytes[i].as_u64().unwrap(), "session {i}");
    }

    // Outputs, packet by packet (as multisets: the workers interleave).
    let got_n3 = pcap::read_file(dir.path("n3_out.pcap")).unwrap();
    let got_n6 = pcap::read_file(dir.path("n6_out.pcap")).unwrap();
    assert_eq!(
        sorted(got_n3.iter().map(|p| normalise(&p.data))),
        sorted(want_n3.iter().map(|f| normalise(f))),
        "N3 output"
    );
    assert_eq!(
        sorted(got_n6.iter().map(|p| normalise(&p.data))),
        sorted(want_n6.iter().map(|f| normalise(f))),
        "N6 output"
    );
    // Per-flow order is kept: one session is on one worker.
    let mut order: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
    for p in &got_n3 {
        if p.data.len() > 60 && p.data[12..14] == [0x08, 0x00] && p.data[23] == 17 {
            let teid = p.data[46..50].to_vec();
            order.entry(teid).or_default().push(p.data.clone());
        }
    }
    for (teid, frames) in &order {
        let want_order: Vec<Vec<u8>> = want_n3
            .iter()
            .filter(|f| f.len() > 60 && f[46..50] == teid[..])
            .map(|f| normalise(f))
            .collect();
        let got_order: Vec<Vec<u8>> = frames.iter().map(|f| normalise(f)).collect();
        assert_eq!(got_order, want_order, "order within TEID {}", hex(teid));
    }

    // An independent decoder agrees.
    for f in ["n3_out.pcap", "n6_out.pcap"] {
        assert_clean_decode(&dir.path(f), &[]);
    }
    let fields = tshark(
        &dir.path("n3_out.pcap"),
        &[
            "-Y",
            "gtp.message == 255",
            "-T",
            "fields",
            "-e",
            "gtp.teid",
            "-e",
            "gtp.ext_hdr.pdu_ses_con.pdu_type",
            "-e",
            "gtp.ext_hdr.pdu_ses_con.qos_flow_id",
            "-e",
            "icmp.type",
        ],
    );
    let lines: Vec<&str> = fields.lines().collect();
    assert_eq!(lines.len() as u64, per_dir, "{fields}");
    for l in lines {
        let cols: Vec<&str> = l.split('\t').collect();
        let teid = u32::from_str_radix(cols[0].trim_start_matches("0x"), 16).unwrap();
        let i = (teid - 0x2000) as usize;
        assert!(i < SESSIONS as usize, "{l}");
        assert_eq!(cols[1], "0", "DL PDU Session Information: {l}");
        assert_eq!(cols[2], QFIS[i].to_string(), "QFI of TEID {teid:#x}: {l}");
    }
    let echo = tshark(
        &dir.path("n3_out.pcap"),
        &[
            "-Y",
            "gtp.message == 2",
            "-T",
            "fields",
            "-e",
            "gtp.seq_number",
        ],
    );
    assert_eq!(echo.trim(), "0x0042", "Echo Response");
    let arp = tshark(
        &dir.path("n6_out.pcap"),
        &[
            "-Y",
            "arp.opcode == 2",
            "-T",
            "fields",
            "-e",
            "arp.src.proto_ipv4",
        ],
    );
    assert_eq!(arp.trim(), "198.51.100.1");
}
