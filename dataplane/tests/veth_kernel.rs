//! The dataplane between two real Linux network stacks.
//!
//! Two network namespaces, each joined to the root namespace by a veth pair
//! whose root-side end the UPF opens with `net_af_packet`:
//!
//! ```text
//! upf-gnb-<pid>: 10.100.3.2/24 (the gNB)  --veth--  N3 10.100.3.1 (UPF)
//! upf-dn-<pid>:  10.100.6.2/24 (a DN host, default via 10.100.6.1)
//!                                          --veth--  N6 10.100.6.1 (UPF)
//! ```
//!
//! From the gNB namespace a scapy-built G-PDU (with the uplink PDU Session
//! Container) carries an ICMP echo request, and then a UDP datagram, from
//! the UE 10.45.0.2 to the DN host, whose kernel answers (ping, and a small
//! UDP echo server). The answers must come back GTP-U encapsulated with the
//! gNB's TEID and the QFI in the downlink PDU Session Container. No static
//! neighbours: the UPF answers ARP for its addresses and resolves the gNB
//! and the DN host itself.
//!
//! Root only: skipped with a message otherwise, except in CI (`CI` set),
//! where it fails instead. Namespaces, veths and the echo server are removed
//! even when the test fails.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::sessions::{rules, SessionSpec};
use common::{unique, wait_for};
use dataplane::eal;
use dataplane::port::PortDevice;
use dataplane::{Attachment, Dataplane, DataplaneConfig, PortSpec, Role, WorkerCore};
use upf_core::path::PathConfig;

fn run(cmd: &str) -> Result<(), String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .map_err(|e| format!("{cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Why the test cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root (network namespaces, veth)".into());
    }
    if let Err(e) = run("ip netns list") {
        return Some(format!("`ip netns` unavailable: {e}"));
    }
    None
}

/// Namespaces, veths and the echo server; removed on drop.
struct Topology {
    gnb_ns: String,
    dn_ns: String,
    n3_if: String,
    n6_if: String,
    echo: Option<Child>,
}

impl Topology {
    fn new() -> Self {
        let pid = std::process::id();
        Topology {
            gnb_ns: format!("upf-gnb-{pid}"),
            dn_ns: format!("upf-dn-{pid}"),
            n3_if: format!("u3r{pid}"),
            n6_if: format!("u6r{pid}"),
            echo: None,
        }
    }

    fn setup(&mut self) -> Result<(), String> {
        let (g, d, n3, n6) = (&self.gnb_ns, &self.dn_ns, &self.n3_if, &self.n6_if);
        let pid = std::process::id();
        let (g_if, d_if) = (format!("u3g{pid}"), format!("u6d{pid}"));
        for c in [
            format!("ip netns add {g}"),
            format!("ip netns add {d}"),
            format!("ip link add {n3} type veth peer name {g_if}"),
            format!("ip link add {n6} type veth peer name {d_if}"),
            format!("ip link set {g_if} netns {g}"),
            format!("ip link set {d_if} netns {d}"),
            // The UPF's ends carry no kernel addresses and no IPv6 chatter.
            format!("sysctl -qw net.ipv6.conf.{n3}.disable_ipv6=1"),
            format!("sysctl -qw net.ipv6.conf.{n6}.disable_ipv6=1"),
            format!("ip link set {n3} up"),
            format!("ip link set {n6} up"),
            format!("ip netns exec {g} sysctl -qw net.ipv6.conf.all.disable_ipv6=1"),
            format!("ip netns exec {g} sysctl -qw net.ipv6.conf.default.disable_ipv6=1"),
            format!("ip -n {g} link set lo up"),
            format!("ip -n {g} addr add 10.100.3.2/24 dev {g_if}"),
            format!("ip -n {g} link set {g_if} up"),
            format!("ip netns exec {d} sysctl -qw net.ipv6.conf.all.disable_ipv6=1"),
            format!("ip netns exec {d} sysctl -qw net.ipv6.conf.default.disable_ipv6=1"),
            format!("ip -n {d} link set lo up"),
            format!("ip -n {d} addr add 10.100.6.2/24 dev {d_if}"),
            format!("ip -n {d} link set {d_if} up"),
            format!("ip -n {d} route add default via 10.100.6.1"),
        ] {
            run(&c)?;
        }
        // The DN host's UDP echo service.
        let echo = Command::new("ip")
            .args(["netns", "exec", d, "/usr/bin/python3", "-c"])
            .arg(
                "import socket\n\
                 s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
                 s.bind(('0.0.0.0', 7777))\n\
                 while True:\n\
                 \x20   data, peer = s.recvfrom(2048)\n\
                 \x20   s.sendto(data, peer)\n",
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("UDP echo server: {e}"))?;
        self.echo = Some(echo);
        Ok(())
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if let Some(mut c) = self.echo.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Deleting a namespace deletes its veth ends, and with them the
        // peers; delete the root-side ends too in case a move failed.
        let _ = run(&format!("ip netns del {}", self.gnb_ns));
        let _ = run(&format!("ip netns del {}", self.dn_ns));
        let _ = run(&format!("ip link del {}", self.n3_if));
        let _ = run(&format!("ip link del {}", self.n6_if));
    }
}

/// Runs in the gNB namespace: sends G-PDUs from the UE until the answer
/// comes back (the first ones may be dropped while next hops resolve) and
/// prints what came back.
const GNB_SCRIPT: &str = r#"
import json, socket, time
from scapy.all import IP, UDP, ICMP, Raw
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer

UE, DN, UPF = "10.45.0.2", "10.100.6.2", "10.100.3.1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.100.3.2", 2152))
s.settimeout(0.5)

def gpdu(inner):
    return bytes(GTP_U_Header(teid=0x100, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1, QFI=9) / inner)

def exchange(make, accept):
    for attempt in range(60):
        s.sendto(gpdu(make(attempt)), (UPF, 2152))
        deadline = time.time() + 0.5
        while time.time() < deadline:
            try:
                data, peer = s.recvfrom(4096)
            except socket.timeout:
                break
            g = GTP_U_Header(data)
            psc = g.getlayer(GTPPDUSessionContainer)
            inner = g.getlayer(IP)
            if inner is None or not accept(inner):
                continue
            return {"attempts": attempt + 1, "peer": peer[0], "sport": peer[1], "teid": g.teid,
                    "psc_type": None if psc is None else psc.type,
                    "qfi": None if psc is None else psc.QFI,
                    "src": inner.src, "dst": inner.dst, "proto": inner.proto,
                    "icmp_type": inner[ICMP].type if inner.haslayer(ICMP) else None,
                    "icmp_id": inner[ICMP].id if inner.haslayer(ICMP) else None,
                    "payload": bytes(inner[UDP].payload).decode() if inner.haslayer(UDP) else None}
    return None

ping = exchange(lambda n: IP(src=UE, dst=DN, ttl=64) / ICMP(id=0x77, seq=n) / Raw(b"ping-upf"),
                lambda ip: ip.haslayer(ICMP) and ip[ICMP].type == 0 and ip[ICMP].id == 0x77)
udp = exchange(lambda n: IP(src=UE, dst=DN, ttl=64) / UDP(sport=40001, dport=7777) / Raw(b"hello-upf"),
               lambda ip: ip.haslayer(UDP) and ip[UDP].sport == 7777)
print(json.dumps({"ping": ping, "udp": udp}))
"#;

#[test]
fn gtpu_through_kernel_namespaces() {
    if let Some(why) = unavailable() {
        if std::env::var_os("CI").is_some() {
            panic!("veth_kernel cannot run in CI: {why}");
        }
        eprintln!("skipping veth_kernel: {why}");
        return;
    }
    eal::init_for_tests();
    let mut topo = Topology::new();
    topo.setup().expect("namespaces and veths");

    let path = PathConfig {
        access_v4: Some([10, 100, 3, 1].into()),
        core_v4: Some([10, 100, 6, 1].into()),
        ..PathConfig::default()
    };
    let ports = vec![
        PortSpec::new(
            "n3",
            PortDevice::Vdev(format!(
                "{},iface={}",
                unique("net_af_packet_n3_"),
                topo.n3_if
            )),
        ),
        PortSpec::new(
            "n6",
            PortDevice::Vdev(format!(
                "{},iface={}",
                unique("net_af_packet_n6_"),
                topo.n6_if
            )),
        ),
    ];
    let atts = vec![
        Attachment {
            prefix_v4: Some(24),
            ..Attachment::new(Role::N3, 0)
        },
        Attachment {
            prefix_v4: Some(24),
            ..Attachment::new(Role::N6, 1)
        },
    ];
    let mut cfg = DataplaneConfig::new(ports, atts, vec![WorkerCore::Cpu(common::cpus()[0])], path);
    cfg.mbufs = 4095;
    cfg.mbuf_cache = 32;
    cfg.idle_yield = true;
    cfg.resolve_retry = Duration::from_millis(300);
    let mut dp = Dataplane::new(cfg).expect("dataplane on af_packet ports");
    let mut sink = dp.take_rule_sink().unwrap();
    let spec = SessionSpec {
        seid: 1,
        ue: [10, 45, 0, 2].into(),
        ul_teid: 0x100,
        dl_teid: 0x2000,
        n3: [10, 100, 3, 1].into(),
        gnb: [10, 100, 3, 2].into(),
        qfi: 9,
    };
    let r = rules(&spec, None);
    let epoch = sink.install(r.clone(), None).unwrap();
    dp.start().unwrap();
    sink.wait_applied(epoch, Duration::from_secs(30)).unwrap();
    wait_for(Duration::from_secs(30), "the worker to poll", || {
        dp.is_running()
    });

    let gnb = Command::new("ip")
        .args([
            "netns",
            "exec",
            &topo.gnb_ns,
            "/usr/bin/python3",
            "-c",
            GNB_SCRIPT,
        ])
        .output()
        .expect("run the gNB script");
    let out = String::from_utf8_lossy(&gnb.stdout).into_owned();
    assert!(
        gnb.status.success(),
        "gNB script failed: {}",
        String::from_utf8_lossy(&gnb.stderr)
    );
    let stats = dp.stop().expect("clean stop");
    eprintln!("gNB saw: {out}");
    eprintln!(
        "arp replies {}, arp requests {}, learnt {}, drops {:?}",
        stats.arp_replies,
        stats.arp_requests,
        stats.learnt,
        upf_core::counters::DropReason::ALL
            .iter()
            .filter(|r| stats.drops(**r) > 0)
            .map(|r| (r.name(), stats.drops(*r)))
            .collect::<Vec<_>>()
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON from the gNB");

    let ping = &v["ping"];
    assert!(!ping.is_null(), "no ICMP echo reply came back: {out}");
    assert_eq!(ping["peer"], "10.100.3.1");
    assert_eq!(ping["sport"], 2152);
    assert_eq!(ping["teid"], 0x2000);
    assert_eq!(ping["psc_type"], 0, "DL PDU Session Information");
    assert_eq!(ping["qfi"], 9);
    assert_eq!(ping["src"], "10.100.6.2");
    assert_eq!(ping["dst"], "10.45.0.2");
    assert_eq!(ping["icmp_type"], 0, "echo reply");
    assert_eq!(ping["icmp_id"], 0x77);

    let udp = &v["udp"];
    assert!(!udp.is_null(), "no UDP echo came back: {out}");
    assert_eq!(udp["teid"], 0x2000);
    assert_eq!(udp["qfi"], 9);
    assert_eq!(udp["src"], "10.100.6.2");
    assert_eq!(udp["payload"], "hello-upf");

    // The UPF answered the kernels' ARP and learnt both next hops (a
    // kernel that received the UPF's request learns the UPF from it and
    // need not ask, so one of each suffices).
    assert!(stats.arp_replies >= 1, "{stats:#?}");
    assert!(stats.arp_requests >= 1, "{stats:#?}");
    assert!(stats.learnt >= 2, "{stats:#?}");
    // URR counted both exchanges' successful packets at least.
    let usage = r.urr_counters(common::sessions::URR_DL).unwrap().snapshot();
    assert!(usage.dl_packets >= 2, "{usage:?}");
    drop(topo);
}
