//! End to end over UDP: the tokio server runs a node that publishes to a
//! real `Publisher`, a thread drains the worker's `Subscriber` into its
//! `Tables` (as a worker would), and an SMF written with scapy's
//! contrib.pfcp (`tests/smf_sim/smf.py`) drives it over a real socket:
//! association setup, heartbeats both ways, Open5GS- and free5GC-shaped
//! establishments, a modification from buffering to forwarding, deletion
//! with the usage report of counts injected here, a retransmission
//! answered from the cache, and a peer without association.
//!
//! The SMF asks this harness (over its stdin/stdout) whether the tables
//! find what the responses announced: since responses are sent only after
//! the workers applied the change, the lookups must succeed at once.
//!
//! Needs `/usr/bin/python3` with scapy. Without it the test is skipped with
//! a message, except under CI (`CI` set), where it fails.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pfcp::ie::{NodeId, RecoveryTimeStamp};
use pfcp::node::{Node, NodeConfig};
use pfcp::server::Server;
use upf_core::compile::FarAction;
use upf_core::publish::Publisher;
use upf_core::tables::Tables;

const PYTHON: &str = "/usr/bin/python3";
const N3: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 7);

fn scapy_available() -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import scapy.contrib.pfcp"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{PYTHON} with scapy is required under CI (apt-get install python3-scapy)");
        }
        eprintln!("SKIPPED: {PYTHON} with scapy not found; install python3-scapy to run this test");
    }
    ok
}

fn answer(tables: &Mutex<Tables>, line: &str) -> String {
    let t = tables.lock().unwrap();
    let w: Vec<&str> = line.split_whitespace().collect();
    let seid_of = |r: Option<&Arc<upf_core::compile::SessionRules>>| r.map_or(0, |r| r.seid);
    match w.as_slice() {
        ["LOOKUP", teid, ue] => {
            let teid: u32 = teid.parse().unwrap();
            let ue: Ipv4Addr = ue.parse().unwrap();
            format!(
                "{} {}",
                seid_of(t.lookup_tunnel(teid, IpAddr::V4(N3))),
                seid_of(t.lookup_ue_v4(ue))
            )
        }
        ["FAR", seid, far] => {
            let far: u32 = far.parse().unwrap();
            let Some(s) = t.session(seid.parse().unwrap()) else {
                return "NONE".into();
            };
            match s.fars.iter().find(|f| f.id == far).map(|f| &f.action) {
                Some(FarAction::Forward(_)) => "FORW",
                Some(FarAction::Buffer { .. }) => "BUFF",
                Some(FarAction::Drop) => "DROP",
                None => "NONE",
            }
            .into()
        }
        ["QERS", seid] => {
            let Some(s) = t.session(seid.parse().unwrap()) else {
                return "NONE".into();
            };
            let mut pdrs: Vec<_> = s.pdrs.iter().map(|p| (p.id, p.qers.len())).collect();
            pdrs.sort();
            pdrs.iter()
                .map(|(_, n)| n.to_string())
                .collect::<Vec<_>>()
                .join(",")
        }
        ["COUNT", seid, urr, ul, dl] => {
            let Some(c) = t
                .session(seid.parse().unwrap())
                .and_then(|s| s.urr_counters(urr.parse().unwrap()))
            else {
                return "NONE".into();
            };
            c.count(true, ul.parse().unwrap(), 1);
            c.count(false, dl.parse().unwrap(), 2);
            "OK".into()
        }
        ["SESSIONS"] => t.len().to_string(),
        _ => panic!("unknown harness command {line:?}"),
    }
}

#[test]
fn scapy_smf_against_a_running_node() {
    if !scapy_available() {
        return;
    }
    let (publisher, mut subs) = Publisher::new(1, 1024);
    let sub = subs.pop().unwrap();
    let tables = Arc::new(Mutex::new(Tables::with_capacity(1024)));
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (tables, stop) = (tables.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                sub.drain(&mut tables.lock().unwrap(), 64);
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };

    let mut cfg = NodeConfig::new(
        NodeId::Ipv4(Ipv4Addr::LOCALHOST),
        RecoveryTimeStamp(3_900_000_000),
    );
    cfg.n3_ipv4 = Some(N3);
    cfg.heartbeat_interval = Duration::from_millis(500);
    cfg.t1 = Duration::from_millis(500);
    let node = Node::new(cfg, publisher, Instant::now());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (server, handles) = rt
        .block_on(Server::bind(node, "127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let addr = server.local_addr().unwrap();
    let running = rt.spawn(server.run());

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smf_sim/smf.py");
    let mut child = Command::new(PYTHON)
        .arg(script)
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_smf = child.stdin.take().unwrap();
    let from_smf = BufReader::new(child.stdout.take().unwrap());
    for line in from_smf.lines() {
        let line = line.unwrap();
        if line == "DONE" {
            break;
        }
        let reply = answer(&tables, &line);
        writeln!(to_smf, "{reply}").unwrap();
        to_smf.flush().unwrap();
    }
    drop(to_smf);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");

    handles.shutdown.shutdown();
    let node = rt.block_on(running).unwrap().unwrap();
    stop.store(true, Ordering::Relaxed);
    worker.join().unwrap();
    assert!(out.status.success(), "SMF simulator failed:\n{stderr}");
    node.check_invariants().unwrap();
    assert_eq!(node.session_count(), 2);
    assert!(node.stats().rx_duplicate >= 1);
}
