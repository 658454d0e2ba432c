//! The offload on the vdevs of a machine without a SmartNIC (`net_null`,
//! `net_ring`, `net_pcap`: no flow rules at all):
//! - the probe reports every capability missing, with the drivers' words;
//! - `auto` runs in software, and the real dataplane's output over the same
//!   `net_pcap` input is byte-identical to `off`'s;
//! - `required` refuses to start, naming the port and what it lacks;
//! - `mark_of` reads the flow mark where the NIC puts it.
//!
//! One EAL per test binary (`eal::init_for_tests`). Needs DPDK's
//! `net_pcap`, `net_null`, `net_ring`, and `/usr/bin/python3` with scapy.

mod common;

use std::path::Path;
use std::time::Duration;

use common::sessions::{rules, SessionSpec};
use common::{python, unique, wait_for, TempDir};
use dataplane::eal;
use dataplane::mempool::{Mempool, SOCKET_ANY};
use dataplane::offload::probe::probe_port;
use dataplane::offload::rte::{FlowGate, RteFlowBackend};
use dataplane::offload::{mark_of, OffloadConfig, OffloadMode, PortOffloadStats};
use dataplane::pcap;
use dataplane::port::{Port, PortConfig, PortDevice};
use dataplane::{
    Attachment, Dataplane, DataplaneConfig, Mbuf, PortSpec, Role, StaticNeighbor, Steering,
    WorkerCore,
};
use upf_core::counters::Stat;
use upf_core::path::PathConfig;

const N3: [u8; 4] = [192, 0, 2, 1];
const GNB: [u8; 4] = [192, 0, 2, 10];
const N6: [u8; 4] = [198, 51, 100, 1];
const GW: [u8; 4] = [198, 51, 100, 254];
const GNB_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0a, 0x0a];
const GW_MAC: [u8; 6] = [0x02, 0, 0, 0, 0xfe, 0xfe];

fn spec(i: u32) -> SessionSpec {
    SessionSpec {
        seid: u64::from(i) + 1,
        ue: [10, 45, 0, 10 + i as u8].into(),
        ul_teid: 0x100 + i,
        dl_teid: 0x2000 + i,
        n3: N3.into(),
        gnb: GNB.into(),
        qfi: [5, 9][i as usize],
    }
}

#[test]
fn probe_finds_nothing_on_vdevs() {
    eal::init_for_tests();
    let pool = Mempool::new(&unique("offl_pool_"), 511, 0, 2048 + 128, SOCKET_ANY).unwrap();
    let dir = TempDir::new("offload-probe");
    std::fs::write(dir.path("empty.pcap"), empty_pcap()).unwrap();
    let devs = [
        unique("net_null_offl"),
        unique("net_ring_offl"),
        format!(
            "{},rx_pcap={},tx_pcap={}",
            unique("net_pcap_offl"),
            dir.path("empty.pcap").display(),
            dir.path("out.pcap").display()
        ),
    ];
    let gate = FlowGate::open();
    let mut backend = RteFlowBackend::new(gate.clone());
    for dev in devs {
        let port = Port::open(&PortConfig::new("p", PortDevice::Vdev(dev.clone())), &pool).unwrap();
        let caps = probe_port(&mut backend, port.id(), port.rx_queues());
        assert!(
            !caps.gtp_teid_match
                && !caps.gtp_psc_qfi_match
                && !caps.mark
                && !caps.queue
                && !caps.rss_gtpu
                && !caps.rss_inner
                && !caps.raw_decap,
            "{dev}: {caps:?}"
        );
        assert_eq!(caps.missing_for_gtp(), vec!["GTP TEID match", "MARK"]);
        let what: Vec<&str> = caps.errors.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            what,
            [
                "mark",
                "queue",
                "gtp_teid_v4",
                "gtp_teid_v6",
                "gtp_psc_qfi",
                "rss_gtpu",
                "rss_inner",
                "raw_decap"
            ]
        );
        // The driver's refusal, with its errno.
        assert!(
            caps.errors.iter().all(|e| e.1.contains("errno")),
            "{caps:?}"
        );
        eprintln!("{}: {} ({})", caps.summary(), dev, caps.errors[0].1);
        port.close().unwrap();
    }
    gate.close_and_flush(&[]);
    assert!(!gate.is_open());
}

#[test]
fn mark_is_read_where_the_nic_puts_it() {
    eal::init_for_tests();
    let pool = Mempool::new(&unique("offl_mark_"), 63, 0, 2048 + 128, SOCKET_ANY).unwrap();
    let mut m = Mbuf::from_slice(&pool, &[0u8; 60]).unwrap();
    m.set_ol_flags(0);
    // SAFETY: writes a field of an mbuf this test owns.
    unsafe { dataplane::sys::rte_mbuf_fdir_hi_set_(m.as_ptr(), 0xf1_2345) };
    assert_eq!(mark_of(&m), None, "no RTE_MBUF_F_RX_FDIR_ID: no mark");
    m.set_ol_flags(u64::from(
        dataplane::sys::RTE_MBUF_F_RX_FDIR | dataplane::sys::RTE_MBUF_F_RX_FDIR_ID,
    ));
    assert_eq!(mark_of(&m), Some(0xf1_2345));
    // The Rust field path reads what C calls `hash.fdir.hi`.
    // SAFETY: reads a field of an mbuf this test owns.
    assert_eq!(
        unsafe { dataplane::sys::rte_mbuf_fdir_hi_(m.as_ptr()) },
        0xf1_2345
    );
}

/// A pcap file with no packets.
fn empty_pcap() -> Vec<u8> {
    let mut v = Vec::new();
    pcap::PcapWriter::new(&mut v, 1).unwrap();
    v
}

const SCRIPT: &str = r#"
import json
from scapy.all import Ether, IP, UDP, Raw, wrpcap
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer

DIR = "@DIR@"
N3_MAC, N6_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
GNB_MAC, GW_MAC = "02:00:00:00:0a:0a", "02:00:00:00:fe:fe"
N3, GNB, DN = "192.0.2.1", "192.0.2.10", "203.0.113.5"
QFIS = [5, 9]
ul, dl = [], []
for k in range(8):
    for i in range(2):
        ue = "10.45.0.%d" % (10 + i)
        inner = IP(src=ue, dst=DN, id=100 * i + k) / UDP(sport=40000 + k, dport=41000) / Raw(b"u" * (10 + k))
        gtp = GTP_U_Header(teid=0x100 + i)
        if k % 2 == 0:
            gtp = GTP_U_Header(teid=0x100 + i, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1, QFI=QFIS[i])
        ul.append(Ether(src=GNB_MAC, dst=N3_MAC) / IP(src=GNB, dst=N3, id=k) / UDP(sport=2152, dport=2152) / gtp / inner)
        dl.append(Ether(src=GW_MAC, dst=N6_MAC) / IP(src=DN, dst=ue, id=200 * i + k) / UDP(sport=41000, dport=40000 + k) / Raw(b"d" * (20 + k)))
# An unknown TEID and an unknown UE: dropped either way.
ul.insert(5, Ether(src=GNB_MAC, dst=N3_MAC) / IP(src=GNB, dst=N3) / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=0x999) / IP(src="10.45.0.10", dst=DN) / UDP())
dl.insert(7, Ether(src=GW_MAC, dst=N6_MAC) / IP(src=DN, dst="10.45.9.9") / UDP() / Raw(b"z" * 8))
wrpcap(DIR + "/ul.pcap", ul)
wrpcap(DIR + "/dl.pcap", dl)
print(json.dumps({"ul": len(ul), "dl": len(dl)}))
"#;

struct Run {
    n3_out: Vec<pcap::PcapPacket>,
    n6_out: Vec<pcap::PcapPacket>,
    offload: Vec<(String, PortOffloadStats)>,
    caps_summary: Vec<String>,
    drops: u64,
    rx: u64,
    /// The MACs net_pcap gave the ports (a new one per vdev instance).
    macs: [[u8; 6]; 2],
}

fn config(dir: &Path, tag: &str, mode: OffloadMode) -> DataplaneConfig {
    let path = PathConfig {
        access_v4: Some(N3.into()),
        core_v4: Some(N6.into()),
        ..PathConfig::default()
    };
    let dev = |role: &str, input: &str| {
        format!(
            "{},rx_pcap={},tx_pcap={}",
            unique(&format!("net_pcap_offl_{role}_")),
            dir.join(input).display(),
            dir.join(format!("{tag}_{role}_out.pcap")).display()
        )
    };
    let mut cfg = DataplaneConfig::new(
        vec![
            PortSpec::new("n3", PortDevice::Vdev(dev("n3", "ul.pcap"))),
            PortSpec::new("n6", PortDevice::Vdev(dev("n6", "dl.pcap"))),
        ],
        vec![
            Attachment {
                prefix_v4: Some(24),
                ..Attachment::new(Role::N3, 0)
            },
            Attachment {
                prefix_v4: Some(24),
                gateway_v4: Some(GW.into()),
                ..Attachment::new(Role::N6, 1)
            },
        ],
        // One worker: the output order is then fully determined by the
        // input, so two runs can be compared frame by frame.
        vec![WorkerCore::Cpu(common::cpus()[0])],
        path,
    );
    cfg.mbufs = 1023;
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
    cfg.offload = OffloadConfig {
        mode,
        max_rules: 1024,
        insert_rate_per_s: 1000,
    };
    cfg
}

fn run(dir: &Path, tag: &str, mode: OffloadMode, n_ul: u64, n_dl: u64) -> Run {
    let mut dp = Dataplane::new(config(dir, tag, mode)).expect("dataplane");
    let mut sink = dp.take_rule_sink().unwrap();
    let mut last = 0;
    for i in 0..2 {
        last = sink.install(rules(&spec(i), None), None).unwrap();
    }
    dp.start().unwrap();
    sink.wait_applied(last, Duration::from_secs(60)).unwrap();
    wait_for(
        Duration::from_secs(120),
        "the packets to go through",
        || {
            let s = dp.stats();
            let (n3s, n6s) = (s.ports[0].unwrap(), s.ports[1].unwrap());
            n3s.ipackets == n_ul && n6s.ipackets == n_dl && s.stat(Stat::Rx) == n_ul + n_dl
        },
    );
    // The worker flushes TX at the end of the iteration that processed the
    // last packet, before its counters are mirrored; what is still in the
    // control thread's hands is given a moment.
    std::thread::sleep(Duration::from_millis(200));
    let state = dp.offload_state();
    let macs = [dp.mac(Role::N3).unwrap(), dp.mac(Role::N6).unwrap()];
    let stats = dp.stop().expect("clean stop");
    drop(sink);
    Run {
        n3_out: pcap::read_file(dir.join(format!("{tag}_n3_out.pcap"))).unwrap(),
        n6_out: pcap::read_file(dir.join(format!("{tag}_n6_out.pcap"))).unwrap(),
        offload: state.stats(),
        caps_summary: state.summary_lines(),
        drops: stats.total_drops(),
        rx: stats.stat(Stat::Rx),
        macs,
    }
}

#[test]
fn auto_gives_the_same_bytes_as_off() {
    eal::init_for_tests();
    let dir = TempDir::new("offload-same");
    let counts: serde_json::Value = serde_json::from_str(&python(
        &SCRIPT.replace("@DIR@", &dir.0.display().to_string()),
    ))
    .unwrap();
    let (n_ul, n_dl) = (
        counts["ul"].as_u64().unwrap(),
        counts["dl"].as_u64().unwrap(),
    );

    let off = run(&dir.0, "off", OffloadMode::Off, n_ul, n_dl);
    let auto = run(&dir.0, "auto", OffloadMode::Auto, n_ul, n_dl);

    // Same frames, same order, same bytes. Two things differ between the
    // runs that are no output of the UPF: the pcap timestamps (the time of
    // sending), so records are compared without them, and the ports' own
    // MAC, which net_pcap makes up per vdev instance: the frames' source
    // MAC must be the port's, and is then compared as a placeholder.
    let frames = |r: &Run, role: usize| -> Vec<(u32, Vec<u8>)> {
        let v = if role == 0 { &r.n3_out } else { &r.n6_out };
        v.iter()
            .map(|p| {
                assert_eq!(p.data[6..12], r.macs[role], "source MAC is the port's");
                let mut d = p.data.clone();
                d[6..12].fill(0xee);
                (p.orig_len, d)
            })
            .collect()
    };
    assert_ne!(auto.macs, off.macs, "fresh vdevs");
    // N3: the encapsulated downlink and the Error Indication for the
    // unknown TEID (message type 26); N6: the decapsulated uplink.
    assert_eq!(off.n3_out.len() as u64, n_dl);
    assert_eq!(
        off.n3_out
            .iter()
            .filter(|p| p.data.get(43) == Some(&26))
            .count(),
        1
    );
    assert_eq!(off.n6_out.len() as u64, n_ul - 1);
    assert_eq!(frames(&auto, 0), frames(&off, 0), "N3 output");
    assert_eq!(frames(&auto, 1), frames(&off, 1), "N6 output");
    assert_eq!((auto.rx, auto.drops), (off.rx, off.drops));
    // The unknown TEID (counted, and answered) and the unknown UE.
    assert_eq!(off.drops, 2);

    // Off: nothing probed, nothing counted.
    assert!(off
        .offload
        .iter()
        .all(|(_, s)| *s == PortOffloadStats::default()));
    assert!(
        off.caps_summary[0].starts_with("offload off: port n3"),
        "{:?}",
        off.caps_summary
    );
    // Auto: the probe found nothing, so every rule (one uplink per session
    // on N3, one downlink per session on N6) runs in software.
    let fallback_only = PortOffloadStats {
        fallback: 2,
        ..PortOffloadStats::default()
    };
    assert_eq!(
        auto.offload,
        vec![
            ("n3".to_owned(), fallback_only),
            ("n6".to_owned(), fallback_only)
        ]
    );
    assert!(
        auto.caps_summary[0].contains("gtp_teid=no") && auto.caps_summary[0].contains("mark=no"),
        "{:?}",
        auto.caps_summary
    );
}

#[test]
fn required_refuses_to_start() {
    eal::init_for_tests();
    let dir = TempDir::new("offload-required");
    std::fs::write(dir.path("ul.pcap"), empty_pcap()).unwrap();
    std::fs::write(dir.path("dl.pcap"), empty_pcap()).unwrap();
    let err = Dataplane::new(config(&dir.0, "req", OffloadMode::Required))
        .expect_err("no port here can offload");
    let msg = err.to_string();
    assert!(msg.contains("offload mode is required"), "{msg}");
    assert!(
        msg.contains("port n3 (port id") && msg.contains("lacks GTP TEID match, MARK"),
        "{msg}"
    );
    assert!(
        msg.contains("port n6 (port id") && msg.contains("lacks MARK, QUEUE"),
        "{msg}"
    );
    eprintln!("{msg}");
    // The ports were released: the same configuration starts in auto mode.
    let dp = Dataplane::new(config(&dir.0, "req2", OffloadMode::Auto)).expect("auto starts");
    dp.stop().unwrap();
}
