//! The PFCP load tool against a stand-in UPF on loopback UDP: the
//! association is set up, every establishment is answered and matched by
//! sequence number, and the requests decode to what the tool meant to send.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use perf::pfcp_load::{establishment_request, run, spawn_fake_upf, LoadConfig};
use perf::traffic::Sessions;
use pfcp::message::*;

#[test]
fn establishes_sessions_against_the_fake_upf() {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, h) = spawn_fake_upf(SocketAddr::from(([127, 0, 0, 1], 0)), stop.clone()).unwrap();
    let mut cfg = LoadConfig::new(addr, 2000);
    cfg.rate = 0;
    cfg.window = 64;
    cfg.timeout = Duration::from_secs(5);
    let r = run(&cfg, |_| {}).unwrap();
    stop.store(true, Ordering::Relaxed);
    let served = h.join().unwrap();
    assert!(r.associated);
    assert_eq!(r.accepted, 2000, "{r:?}");
    assert_eq!(r.timed_out, 0);
    assert_eq!(r.unexpected, 0);
    assert!(r.rejected.is_empty());
    assert_eq!(served, 2000);
    assert_eq!(r.latency.count, 2000);
    assert!(r.latency.p50_ns <= r.latency.p99_ns && r.latency.p99_ns <= r.latency.max_ns);
    assert!(r.rate > 0.0);
}

#[test]
fn paced_load_is_paced() {
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, h) = spawn_fake_upf(SocketAddr::from(([127, 0, 0, 1], 0)), stop.clone()).unwrap();
    let mut cfg = LoadConfig::new(addr, 200);
    cfg.rate = 1000;
    let r = run(&cfg, |_| {}).unwrap();
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
    assert_eq!(r.accepted, 200);
    // 200 at 1000/s take at least ~0.2 s (a lower bound, not a timing claim).
    assert!(r.seconds >= 0.15, "{r:?}");
}

#[test]
fn no_upf_is_an_error() {
    // A bound socket that never answers.
    let quiet = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut cfg = LoadConfig::new(quiet.local_addr().unwrap(), 1);
    cfg.timeout = Duration::from_millis(100);
    assert!(run(&cfg, |_| {}).is_err());
}

#[test]
fn request_carries_the_session_rules() {
    let s = Sessions::new(10);
    let req = establishment_request(&s, 7, "10.0.0.9".parse().unwrap());
    assert_eq!(req.create_pdrs.len(), 4);
    assert_eq!(req.create_fars.len(), 2);
    assert_eq!(req.create_qers.len(), 1);
    assert_eq!(req.create_urrs.len(), 1);
    assert_eq!(req.create_qers[0].qfi.unwrap().0, s.qfi(7));
    let bytes = req.encode(42, Some(0)).unwrap();
    let (h, back) = SessionEstablishmentRequest::decode(&bytes).unwrap();
    assert_eq!(h.sequence, 42);
    assert_eq!(back, req);
    assert_eq!(back.cp_f_seid.seid, s.seid(7));
}

#[test]
fn establishes_sessions_on_the_real_node() {
    use perf::pfcp_load::NodeUnderTest;
    let node = NodeUnderTest::spawn(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "192.0.2.1".parse().unwrap(),
        10_000,
    )
    .unwrap();
    let mut cfg = LoadConfig::new(node.addr, 500);
    cfg.rate = 0;
    cfg.window = 64;
    let r = run(&cfg, |_| {}).unwrap();
    let in_tables = node.stop();
    assert!(r.associated);
    assert!(r.rejected.is_empty(), "{r:?}");
    assert_eq!(r.accepted, 500, "{r:?}");
    assert_eq!(r.timed_out, 0);
    // Answered after apply: every accepted session is in the worker's tables.
    assert_eq!(in_tables, 500);
}
