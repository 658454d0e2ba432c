//! Arbitrary sequences of datagrams into a node that publishes to a real
//! `Publisher`, from several peers, with simulated time moving on and the
//! worker applying updates only sometimes (so full queues, deferred
//! requests and held responses are exercised). Afterwards the node's
//! invariants hold and it still answers a heartbeat correctly.
//!
//! Input: records of `[control][length: u16 BE][datagram]`. Control bits
//! 0-1 pick the peer, 2-4 how far time moves first, bit 5 runs the node's
//! timers, bit 6 lets the worker apply pending updates. Before the input,
//! the SMF at 10.10.0.4 sets up an association, so that session requests
//! get past the association check.
//!
//! Seeds: each golden vector as one record, e.g.
//! `for f in ../tests/vectors/*.hex; do (printf '\x40'; printf "%04x" $(( $(wc -c < $f) / 2 )) | xxd -r -p; xxd -r -p $f) > corpus/node_datagrams/$(basename $f .hex); done`
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use pfcp::ie::{NodeId, RecoveryTimeStamp};
use pfcp::message::{AssociationSetupRequest, HeartbeatRequest, MessageBody};
use pfcp::node::{Node, NodeConfig};
use pfcp::Message;
use upf_core::publish::Publisher;
use upf_core::tables::Tables;

const OUR_TS: u32 = 3_900_000_000;

fuzz_target!(|data: &[u8]| {
    let peers: [SocketAddr; 4] = [
        "10.10.0.4:8805".parse().unwrap(),
        "10.10.0.4:40000".parse().unwrap(),
        "10.10.0.5:8805".parse().unwrap(),
        "[2001:db8::4]:8805".parse().unwrap(),
    ];
    let steps = [0u64, 1, 100, 1_000, 3_000, 10_000, 60_000, 600_000];
    let (publisher, subs) = Publisher::new(1, 8);
    let mut tables = Tables::with_capacity(64);
    let mut cfg = NodeConfig::new(
        NodeId::Ipv4("10.10.0.7".parse().unwrap()),
        RecoveryTimeStamp(OUR_TS),
    );
    cfg.max_sessions = 64;
    cfg.max_held = 16;
    cfg.max_deferred = 16;
    cfg.max_outstanding = 32;
    cfg.response_cache_size = 64;
    cfg.n3_ipv6 = Some("2001:db8::7".parse().unwrap());
    cfg.teid_range = (1, 40);
    cfg.smf_peers = vec![peers[2]];
    let mut now = Instant::now();
    let mut node = Node::new(cfg, publisher, now);
    let setup = AssociationSetupRequest {
        node_id: NodeId::Ipv4("10.10.0.4".parse().unwrap()),
        recovery_time_stamp: RecoveryTimeStamp(1),
        ..Default::default()
    }
    .encode(1, None)
    .unwrap();
    node.handle(now, peers[0], &setup);

    let mut rest = data;
    while rest.len() >= 3 {
        let ctrl = rest[0];
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let dgram = &rest[3..3 + len];
        rest = &rest[3 + len..];
        now += Duration::from_millis(steps[usize::from(ctrl >> 2) & 7]);
        if ctrl & 0x40 != 0 {
            subs[0].drain(&mut tables, 64);
        }
        node.handle(now, peers[usize::from(ctrl & 3)], dgram);
        if ctrl & 0x20 != 0 {
            node.handle_timeout(now);
        }
        while node.poll_transmit(now).is_some() {}
        while node.poll_event().is_some() {}
        // Reports from the dataplane, for whatever sessions exist.
        if ctrl & 0x80 != 0 {
            for seid in node.session_ids().into_iter().take(2) {
                node.report_downlink_data(now, seid, u16::from(ctrl));
            }
        }
        node.check_invariants().unwrap();
    }

    // Workers catch up; held responses, deferred requests and queued
    // removals all go through.
    for _ in 0..16 {
        subs[0].drain(&mut tables, usize::MAX);
        now += Duration::from_millis(1);
        node.handle_timeout(now);
        while node.poll_transmit(now).is_some() {}
    }
    subs[0].drain(&mut tables, usize::MAX);
    node.handle_timeout(now);
    while node.poll_transmit(now).is_some() {}
    node.check_invariants().unwrap();
    assert_eq!(node.held_responses(), 0, "applied changes are answered");
    assert_eq!(node.deferred_requests(), 0, "deferred requests are handled");
    // The worker's tables hold exactly the node's sessions, as compiled.
    for seid in node.session_ids() {
        let t = tables.session(seid).expect("session installed");
        assert!(std::sync::Arc::ptr_eq(t, node.session_rules(seid).unwrap()));
    }
    assert_eq!(tables.len(), node.session_count());

    // Still answers a heartbeat, with its fixed Recovery Time Stamp.
    let probe: SocketAddr = "192.0.2.99:8805".parse().unwrap();
    let hb = HeartbeatRequest {
        recovery_time_stamp: RecoveryTimeStamp(5),
        ..Default::default()
    }
    .encode(0x00abcd, None)
    .unwrap();
    node.handle(now, probe, &hb);
    let mut answered = false;
    while let Some(t) = node.poll_transmit(now) {
        if t.dst == probe {
            let (h, m) = Message::decode(&t.payload).unwrap();
            assert_eq!(h.sequence, 0x00abcd);
            match m {
                Message::HeartbeatResponse(r) => assert_eq!(r.recovery_time_stamp.0, OUR_TS),
                other => panic!("{other:?}"),
            }
            answered = true;
        }
    }
    assert!(answered, "heartbeat answered");
});
