//! Downlink buffering (BAR) end to end: `upf run` on `net_af_packet` vdevs
//! in the lab topology (scripts/e2e/lib.sh), the project's SMF
//! (`cnf::smf`) over real PFCP, downlink UDP from the DN namespace and a
//! capture on the gNB's veth.
//!
//! The SMF establishes the session the way an SMF does before the gNB's
//! tunnel is known: the downlink FAR buffers and notifies (BUFF|NOCP under
//! a Create BAR, no Forwarding Parameters). Then, in order:
//! - N downlink packets: nothing reaches the gNB, `upf_buffered_packets`
//!   is N, and exactly one Session Report Request with a Downlink Data
//!   Report (DLDR, the downlink PDR) reaches the SMF;
//! - a Session Modification (Update FAR: FORW, Update Forwarding Parameters
//!   with Outer Header Creation toward the gNB), then M more packets: the
//!   gNB receives N + M G-PDUs with its TEID and the QFI, the buffered N
//!   first in their order, then the M; tshark decodes them with no
//!   Malformed expert info;
//! - back to BUFF|NOCP: K more packets are held and exactly one more report
//!   comes; forwarding again releases them after the others;
//! - the Deletion Response's usage report counts every packet once.
//!
//! Root only, like the other end-to-end tests (tests/common).

mod common;

use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cnf::smf::{Downlink, SessionSpec, Smf, DL_PDR_ID, URR_ID};
use common::*;

const UE: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 7);
const GNB: Ipv4Addr = Ipv4Addr::new(10, 100, 3, 2);
const DL_TEID: u32 = 0x4711;
const QFI: u8 = 6;
const CP_SEID: u64 = 0x6001;
/// The UDP port the downlink packets go to at the UE.
const UE_PORT: u16 = 40_000;
/// The payload: `seq=` and five digits.
const PAYLOAD_LEN: u64 = 9;

/// Sends `count` UDP datagrams from the DN host to the UE, payloads
/// `seq=<first>` onwards, a little apart (in order on the wire).
fn dn_send(topo: &Topology, first: u32, count: u32) {
    let script = format!(
        "import socket, sys, time\n\
         s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         s.bind(('10.100.6.2', 40001))\n\
         for i in range({first}, {first} + {count}):\n    \
             s.sendto(b'seq=%05d' % i, ('{UE}', {UE_PORT}))\n    \
             time.sleep(0.01)\n"
    );
    let st = Command::new("ip")
        .args(["netns", "exec", &topo.dn_ns(), "/usr/bin/python3", "-c"])
        .arg(&script)
        .status()
        .expect("python3 in the DN namespace");
    assert!(st.success(), "DN sender: {st:?}");
}

/// A G-PDU the gNB received, as tshark reads it.
#[derive(Debug, PartialEq, Eq)]
struct GPdu {
    teid: u32,
    outer_dst: String,
    qfi: String,
    seq: u32,
}

/// The G-PDUs in `pcap` so far, in capture order (the capture is still
/// being written: a packet cut short at its end is left for the next read).
fn g_pdus(pcap: &Path) -> Vec<GPdu> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args([
            "-Y",
            "gtp.message == 255",
            "-T",
            "fields",
            "-E",
            "occurrence=f",
        ])
        .args(["-e", "gtp.teid", "-e", "ip.dst"])
        .args([
            "-e",
            "gtp.ext_hdr.pdu_ses_con.qos_flow_id",
            "-e",
            "data.data",
        ])
        .stderr(Stdio::null())
        .output()
        .expect("tshark");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{l:?}");
            let payload: Vec<u8> = (0..f[3].len() / 2)
                .map(|i| u8::from_str_radix(&f[3][2 * i..2 * i + 2], 16).unwrap())
                .collect();
            let text = String::from_utf8_lossy(&payload);
            GPdu {
                teid: u32::from_str_radix(f[0].trim_start_matches("0x"), 16).unwrap(),
                outer_dst: f[1].to_owned(),
                qfi: f[2].to_owned(),
                seq: text
                    .strip_prefix("seq=")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("payload {text:?}")),
            }
        })
        .collect()
}

/// Answers the UPF (heartbeats, reports) until `n` Session Report Requests
/// have come, then a while longer so that one too many would be seen.
fn reports_settle(smf: &mut Smf, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while smf.reports.len() < n && Instant::now() < deadline {
        smf.idle(Duration::from_millis(100)).unwrap();
    }
    smf.idle(Duration::from_secs(1)).unwrap();
    assert_eq!(smf.reports.len(), n, "{:?}", smf.reports);
}

/// The control side heard of `n` buffering episodes and passed each on as
/// a Downlink Data Report.
fn assert_episodes(http: std::net::SocketAddr, n: f64) {
    let s = scrape(http);
    for event in ["buffering_episode", "downlink_data_report"] {
        let v = value(&s, "upf_control_events_total", &[("event", event)]);
        assert_eq!(v, n, "{event}");
    }
}

/// Packets the path has put in a GTP-U tunnel.
fn encapsulated(http: std::net::SocketAddr) -> f64 {
    value(
        &scrape(http),
        "upf_stage_packets_total",
        &[("stage", "encap")],
    )
}

fn buffered(http: std::net::SocketAddr) -> f64 {
    value(&scrape(http), "upf_buffered_packets", &[])
}

#[test]
fn downlink_buffering_end_to_end() {
    if skip_or_fail("downlink_buffering_end_to_end") {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (n, m, k) = (8u32, 4u32, 3u32);
    let dir = tempfile::tempdir().unwrap();
    let topo = Topology::up("b");
    let mut upf = start_upf(&topo, dir.path());
    let Endpoints { pfcp, http, .. } = upf.ready();

    // The gNB's capture runs from before the first downlink packet.
    let pcap = dir.path().join("n3-gnb.pcap");
    let mut cap = Process(
        Command::new("ip")
            .args(["netns", "exec", &topo.gnb_ns(), "dumpcap", "-q", "-P"])
            .args(["-i", &topo.gnb_if(), "-f", "udp port 2152", "-w"])
            .arg(&pcap)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dumpcap"),
    );
    let (tx, started) = mpsc::channel();
    let err = cap.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("dumpcap: {l}");
            if l.contains("Capturing on") {
                let _ = tx.send(());
            }
        }
    });
    started
        .recv_timeout(Duration::from_secs(30))
        .expect("dumpcap capturing");

    let mut smf = Smf::new("127.0.0.1:0".parse().unwrap(), pfcp, Ipv4Addr::LOCALHOST).unwrap();
    smf.associate().unwrap();
    let est = smf
        .establish(&SessionSpec {
            cp_seid: CP_SEID,
            ue: UE,
            ul_teid: None,
            upf_n3: Ipv4Addr::new(10, 100, 3, 1),
            gnb: GNB,
            dl_teid: DL_TEID,
            qfi: QFI,
            downlink: Downlink::Buffer,
        })
        .unwrap();

    // First episode: held in the worker, one report.
    dn_send(&topo, 0, n);
    wait_until("N packets buffered", Duration::from_secs(30), || {
        smf.idle(Duration::from_millis(100)).unwrap();
        buffered(http) == f64::from(n)
    });
    reports_settle(&mut smf, 1);
    let r = &smf.reports[0];
    assert_eq!(r.seid, CP_SEID, "sent to the CP SEID");
    assert_eq!(r.report_type, 0x01, "DLDR only: {r:?}");
    assert_eq!(r.downlink_data_pdrs, vec![DL_PDR_ID]);
    assert_episodes(http, 1.0);
    assert!(g_pdus(&pcap).is_empty(), "forwarded while buffering");
    assert_eq!(encapsulated(http), 0.0, "forwarded while buffering");

    // The gNB's tunnel is known: forward, buffered packets first.
    smf.set_downlink(&est, Downlink::Forward).unwrap();
    dn_send(&topo, n, m);
    wait_until("N + M G-PDUs at the gNB", Duration::from_secs(30), || {
        g_pdus(&pcap).len() >= (n + m) as usize
    });
    let expect = |count: u32| -> Vec<GPdu> {
        (0..count)
            .map(|seq| GPdu {
                teid: DL_TEID,
                outer_dst: GNB.to_string(),
                qfi: QFI.to_string(),
                seq,
            })
            .collect()
    };
    assert_eq!(g_pdus(&pcap), expect(n + m));
    wait_until("the buffer empty", Duration::from_secs(30), || {
        buffered(http) == 0.0
    });

    // A second episode: one more report, released after the rest.
    smf.set_downlink(&est, Downlink::Buffer).unwrap();
    dn_send(&topo, n + m, k);
    wait_until("K packets buffered", Duration::from_secs(30), || {
        smf.idle(Duration::from_millis(100)).unwrap();
        buffered(http) == f64::from(k)
    });
    reports_settle(&mut smf, 2);
    assert_episodes(http, 2.0);
    assert_eq!(smf.reports[1], smf.reports[0]);
    assert_eq!(g_pdus(&pcap).len(), (n + m) as usize);
    assert_eq!(encapsulated(http), f64::from(n + m));
    smf.set_downlink(&est, Downlink::Forward).unwrap();
    wait_until(
        "N + M + K G-PDUs at the gNB",
        Duration::from_secs(30),
        || g_pdus(&pcap).len() >= (n + m + k) as usize,
    );
    assert_eq!(g_pdus(&pcap), expect(n + m + k));
    let malformed = sh(&format!(
        "tshark -r {} -Y '_ws.malformed || _ws.expert.severity >= \"error\"' 2>/dev/null",
        pcap.display()
    ))
    .unwrap();
    assert!(malformed.trim().is_empty(), "{malformed}");

    // Every packet counted once, forwarded once.
    let usage = smf.delete(&est).unwrap();
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert_eq!(usage[0].urr_id, URR_ID);
    let total = u64::from(n + m + k);
    assert_eq!(usage[0].dl_packets, total, "{usage:?}");
    assert_eq!(
        usage[0].dl_bytes,
        total * (20 + 8 + PAYLOAD_LEN),
        "{usage:?}"
    );
    assert_eq!(smf.reports.len(), 2, "{:?}", smf.reports);

    smf.release().unwrap();
    drop(cap);
    upf.stop(&[]);
    drop(topo);
}
