//! End Markers (TS 29.281 §7.3.2) the control side asks for leave the N3
//! port from the UPF's address, to the old peer's MAC, with the old TEID:
//! compared byte for byte with frames scapy builds, and decoded by tshark.
//! A peer whose next hop does not resolve gets ARP requests and no End
//! Marker, and the failure is counted.
//!
//! Needs DPDK's `net_pcap`, `/usr/bin/python3` with scapy, and tshark.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use common::{assert_clean_decode, hex, python, tshark, unhex, unique, wait_for, TempDir};
use dataplane::port::PortDevice;
use dataplane::{
    eal, pcap, Attachment, Dataplane, DataplaneConfig, EndMarker, PortSpec, Role, StaticNeighbor,
    WorkerCore,
};
use upf_core::path::PathConfig;

const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const N3_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 3, 0, 0, 0, 0, 1);
const GNB: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const GNB_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 3, 0, 0, 0, 0, 10);
const GONE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 99);
const GNB_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0a, 0x0a];

const SCRIPT: &str = r#"
import json
from scapy.all import Ether, IP, IPv6, UDP
from scapy.contrib.gtp import GTP_U_Header
N3_MAC, GNB_MAC = "@N3_MAC@", "02:00:00:00:0a:0a"
v4 = (Ether(src=N3_MAC, dst=GNB_MAC) / IP(src="192.0.2.1", dst="192.0.2.10", id=1, ttl=64, flags=0)
      / UDP(sport=2152, dport=2152, chksum=0) / GTP_U_Header(teid=0x42, gtp_type=254))
v6 = (Ether(src=N3_MAC, dst=GNB_MAC) / IPv6(src="2001:db8:3::1", dst="2001:db8:3::a", hlim=64)
      / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=0x1234_5678, gtp_type=254))
print(json.dumps([bytes(v4).hex(), bytes(v6).hex()]))
"#;

fn mac_str(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[test]
fn end_markers_leave_the_n3_port() {
    eal::init_for_tests();
    let dir = TempDir::new("end-marker");
    pcap::write_file(dir.path("in.pcap"), std::iter::empty()).unwrap();
    let dev = format!(
        "{},rx_pcap={},tx_pcap={}",
        unique("net_pcap_em_"),
        dir.path("in.pcap").display(),
        dir.path("out.pcap").display()
    );
    let path = PathConfig {
        access_v4: Some(N3),
        access_v6: Some(N3_V6),
        ..PathConfig::default()
    };
    let n3 = Attachment {
        prefix_v4: Some(24),
        prefix_v6: Some(64),
        ..Attachment::new(Role::N3, 0)
    };
    let cpus = common::cpus();
    let mut cfg = DataplaneConfig::new(
        vec![PortSpec::new("n3", PortDevice::Vdev(dev))],
        vec![n3],
        vec![WorkerCore::Cpu(cpus[0])],
        path,
    );
    cfg.mbufs = 1023;
    cfg.mbuf_cache = 32;
    cfg.ring_size = 256;
    cfg.idle_yield = true;
    cfg.resolve_retry = Duration::from_millis(20);
    cfg.static_neighbors = vec![
        StaticNeighbor {
            role: Role::N3,
            addr: GNB.into(),
            mac: GNB_MAC,
        },
        StaticNeighbor {
            role: Role::N3,
            addr: GNB_V6.into(),
            mac: GNB_MAC,
        },
    ];
    let mut dp = Dataplane::new(cfg).expect("dataplane");
    dp.start().unwrap();
    wait_for(Duration::from_secs(30), "the worker to run", || {
        dp.is_running()
    });
    let n3_mac = dp.mac(Role::N3).unwrap();

    // From the N3 address by default, and from an explicit local address.
    assert!(dp.send_end_marker(EndMarker {
        local: None,
        peer: GNB.into(),
        teid: 0x42,
    }));
    wait_for(Duration::from_secs(30), "the IPv4 end marker", || {
        dp.stats().end_markers == 1
    });
    assert!(dp.control_sender().send_end_marker(EndMarker {
        local: Some(N3_V6.into()),
        peer: GNB_V6.into(),
        teid: 0x1234_5678,
    }));
    // A peer that does not answer ARP: asked for, then given up.
    assert!(dp.send_end_marker(EndMarker {
        local: Some(IpAddr::V4(N3)),
        peer: GONE.into(),
        teid: 7,
    }));
    // A local address the UPF does not have.
    assert!(dp.send_end_marker(EndMarker {
        local: Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1))),
        peer: GNB.into(),
        teid: 8,
    }));
    wait_for(Duration::from_secs(30), "the end markers", || {
        let s = dp.stats();
        s.end_markers == 2 && s.end_markers_failed == 2
    });
    let stats = dp.stop().expect("clean stop");
    assert_eq!((stats.end_markers, stats.end_markers_failed), (2, 2));
    assert!(stats.arp_requests >= 1, "{stats:#?}");

    let want: Vec<String> =
        serde_json::from_str(&python(&SCRIPT.replace("@N3_MAC@", &mac_str(n3_mac)))).unwrap();
    let got = pcap::read_file(dir.path("out.pcap")).unwrap();
    let markers: Vec<String> = got
        .iter()
        .filter(|p| p.data[12..14] != [0x08, 0x06])
        .map(|p| hex(&p.data))
        .collect();
    assert_eq!(markers, want, "end markers, in order");
    // Only ARP requests for the unresolved peer besides them.
    let arp: Vec<&[u8]> = got
        .iter()
        .filter(|p| p.data[12..14] == [0x08, 0x06])
        .map(|p| &p.data[..])
        .collect();
    assert!(!arp.is_empty());
    for a in &arp {
        assert_eq!(a[38..42], GONE.octets(), "ARP target: {}", hex(a));
    }
    assert_eq!(unhex(&want[0]).len(), 14 + 20 + 8 + 8);

    // An independent decoder agrees.
    assert_clean_decode(&dir.path("out.pcap"), &["udp.check_checksum:TRUE"]);
    let fields = tshark(
        &dir.path("out.pcap"),
        &[
            "-Y",
            "gtp.message == 254",
            "-T",
            "fields",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
            "-e",
            "gtp.teid",
            "-e",
            "gtp.length",
            "-e",
            "eth.dst",
        ],
    );
    let lines: Vec<&str> = fields.lines().collect();
    assert_eq!(
        lines,
        vec![
            "192.0.2.1\t\t0x00000042\t0\t02:00:00:00:0a:0a",
            "\t2001:db8:3::1\t0x12345678\t0\t02:00:00:00:0a:0a",
        ],
        "{fields}"
    );
}
