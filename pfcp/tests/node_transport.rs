//! The node's transport and association behaviour under simulated time:
//! retransmission, the response cache, heartbeats, peer failure and
//! restart, unassociated peers, version and decode errors, answer after
//! apply and a busy dataplane.

mod node_common;

use std::net::SocketAddr;
use std::time::Duration;

use node_common::*;
use pfcp::ie::types as t;
use pfcp::ie::*;
use pfcp::message::*;
use pfcp::node::{DeleteReason, DownReason, NodeEvent};
use pfcp::{Cause, Message};

fn heartbeat(ts: u32) -> HeartbeatRequest {
    HeartbeatRequest {
        recovery_time_stamp: RecoveryTimeStamp(ts),
        ..Default::default()
    }
}

#[test]
fn heartbeat_answered_from_anyone_and_unassociated_requests_rejected() {
    let mut h = H::with_default();
    let (hd, m) = h.request(heartbeat(SMF_RECOVERY), None);
    let Message::HeartbeatResponse(r) = m else {
        panic!("{m:?}")
    };
    assert_eq!(r.recovery_time_stamp.0, OUR_RECOVERY);
    assert_eq!(hd.sequence, h.seq);

    // No association: Cause 72, with our Node ID.
    let (hd, m) = h.request(simple(7, None), Some(0));
    let Message::SessionEstablishmentResponse(r) = m else {
        panic!("{m:?}")
    };
    assert_eq!(r.cause, Cause::NO_ESTABLISHED_PFCP_ASSOCIATION);
    assert_eq!(r.node_id, NodeId::Ipv4(UPF));
    assert_eq!(hd.seid, Some(7));
    let (_, m) = h.request(SessionDeletionRequest::default(), Some(1));
    assert!(
        matches!(m, Message::SessionDeletionResponse(ref r) if r.cause == Cause::NO_ESTABLISHED_PFCP_ASSOCIATION),
        "{m:?}"
    );
    let (_, m) = h.request(
        AssociationReleaseRequest {
            node_id: NodeId::Ipv4(SMF),
            ..Default::default()
        },
        None,
    );
    assert!(
        matches!(m, Message::AssociationReleaseResponse(ref r) if r.cause == Cause::NO_ESTABLISHED_PFCP_ASSOCIATION && r.node_id == NodeId::Ipv4(UPF)),
        "{m:?}"
    );
    assert_eq!(h.node.dataplane().installs, 0);
}

#[test]
fn association_setup_and_release() {
    let mut h = H::with_default();
    let (_, m) = h.request(
        AssociationSetupRequest {
            node_id: NodeId::Ipv4(SMF),
            recovery_time_stamp: RecoveryTimeStamp(SMF_RECOVERY),
            ..Default::default()
        },
        None,
    );
    let Message::AssociationSetupResponse(r) = m else {
        panic!("{m:?}")
    };
    assert_eq!(r.cause, Cause::REQUEST_ACCEPTED);
    assert_eq!(r.node_id, NodeId::Ipv4(UPF));
    assert_eq!(r.recovery_time_stamp.0, OUR_RECOVERY);
    let f = r.up_function_features.unwrap();
    assert!(f.ftup() && f.empu() && f.mnop());
    assert!(
        !f.ueip() && !f.quoac() && !f.bucp(),
        "only what is implemented"
    );
    assert!(matches!(h.events()[..], [NodeEvent::AssociationUp { .. }]));

    let (up, _) = h.establish(simple(1, None));
    let (_, m) = h.request(
        AssociationReleaseRequest {
            node_id: NodeId::Ipv4(SMF),
            ..Default::default()
        },
        None,
    );
    assert!(matches!(m, Message::AssociationReleaseResponse(ref r) if r.cause.0 == 1));
    assert_eq!(h.node.session_count(), 0);
    assert_eq!(h.node.dataplane().removes, vec![up]);
    let ev = h.events();
    assert!(ev.contains(&NodeEvent::SessionDeleted {
        seid: up,
        reason: DeleteReason::AssociationReleased
    }));
    assert!(ev.iter().any(|e| matches!(
        e,
        NodeEvent::AssociationDown {
            reason: DownReason::Released,
            sessions_released: 1,
            ..
        }
    )));
    h.node.check_invariants().unwrap();
}

#[test]
fn up_initiated_association_retransmits_then_gives_up_and_retries() {
    let mut cfg = config();
    cfg.smf_peers = vec![smf_addr()];
    cfg.association_retry_interval = Duration::from_secs(60);
    let mut h = H::new(cfg);
    let first = h.advance(Duration::ZERO);
    assert_eq!(first.len(), 1);
    let (hd, m) = decode(&first[0]);
    let Message::AssociationSetupRequest(r) = m else {
        panic!("{m:?}")
    };
    // Some SMFs answer only an IPv4 Node ID: that is the default.
    assert_eq!(r.node_id, NodeId::Ipv4(UPF));
    assert!(r.up_function_features.unwrap().ftup());
    // T1 = 3 s, N1 = 3: three retransmissions of the same octets.
    for _ in 0..3 {
        assert!(h.advance(Duration::from_millis(2999)).is_empty());
        let again = h.advance(Duration::from_millis(1));
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].payload, first[0].payload);
    }
    assert!(h.advance(Duration::from_secs(3)).is_empty());
    assert_eq!(h.node.stats().tx_retransmissions, 3);
    assert_eq!(h.node.stats().requests_timed_out, 1);
    assert!(h.events().contains(&NodeEvent::AssociationSetupFailed {
        addr: smf_addr(),
        cause: None
    }));
    // Tried again after the retry interval, with a new sequence number;
    // this time the SMF answers.
    let again = h.advance(Duration::from_secs(60));
    assert_eq!(again.len(), 1);
    let (h2, _) = decode(&again[0]);
    assert_ne!(h2.sequence, hd.sequence);
    let rsp = AssociationSetupResponse {
        node_id: NodeId::Ipv4(SMF),
        cause: Cause::REQUEST_ACCEPTED,
        recovery_time_stamp: RecoveryTimeStamp(SMF_RECOVERY),
        ..Default::default()
    };
    let bytes = Message::from(rsp).encode(h2.sequence, None).unwrap();
    assert!(h.raw(smf_addr(), &bytes).is_empty());
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, NodeEvent::AssociationUp { .. })));
    assert_eq!(h.node.associations().len(), 1);
    // Answered: no more retransmissions.
    assert!(h.advance(Duration::from_secs(5)).is_empty());
}

#[test]
fn heartbeat_timeout_takes_the_association_down_and_keeps_sessions() {
    let mut h = H::with_default();
    h.associate();
    h.establish(simple(1, None));
    h.events();
    // Heartbeat every 10 s.
    let hb = h.advance(Duration::from_secs(10));
    assert_eq!(hb.len(), 1);
    let (hd, m) = decode(&hb[0]);
    assert!(
        matches!(m, Message::HeartbeatRequest(ref r) if r.recovery_time_stamp.0 == OUR_RECOVERY)
    );
    // Unanswered: 3 retransmissions, then down.
    for _ in 0..3 {
        let r = h.advance(Duration::from_secs(3));
        assert_eq!(r.len(), 1);
        assert_eq!(decode(&r[0]).0.sequence, hd.sequence);
    }
    h.advance(Duration::from_secs(3));
    let ev = h.events();
    assert!(
        ev.contains(&NodeEvent::AssociationDown {
            node_id: NodeId::Ipv4(SMF),
            reason: DownReason::HeartbeatTimeout,
            sessions_released: 0
        }),
        "{ev:?}"
    );
    assert_eq!(h.node.session_count(), 1, "sessions kept by default");
    assert!(!h.node.associations()[0].2);
    // The peer answers a later heartbeat: up again.
    let mut hb = h.advance(Duration::from_secs(10));
    hb.retain(|t| matches!(decode(t).1, Message::HeartbeatRequest(_)));
    let seq = decode(&hb[0]).0.sequence;
    let rsp = Message::from(HeartbeatResponse {
        recovery_time_stamp: RecoveryTimeStamp(SMF_RECOVERY),
        ..Default::default()
    })
    .encode(seq, None)
    .unwrap();
    h.raw(smf_addr(), &rsp);
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, NodeEvent::AssociationUp { .. })));
    assert_eq!(h.node.session_count(), 1);
}

#[test]
fn heartbeat_timeout_releases_sessions_when_configured() {
    let mut cfg = config();
    cfg.release_sessions_on_peer_failure = true;
    let mut h = H::new(cfg);
    h.associate();
    h.establish(simple(1, None));
    h.advance(Duration::from_secs(10));
    for _ in 0..4 {
        h.advance(Duration::from_secs(3));
    }
    assert_eq!(h.node.session_count(), 0);
    assert!(h.events().iter().any(|e| matches!(
        e,
        NodeEvent::AssociationDown {
            sessions_released: 1,
            ..
        }
    )));
    h.node.check_invariants().unwrap();
}

#[test]
fn recovery_time_stamp_change_releases_the_peers_sessions() {
    // In a heartbeat request.
    let mut h = H::with_default();
    h.associate();
    let (up, _) = h.establish(simple(1, None));
    h.events();
    let (_, m) = h.request(heartbeat(SMF_RECOVERY), None);
    assert!(matches!(m, Message::HeartbeatResponse(_)));
    assert_eq!(h.node.session_count(), 1, "same stamp: nothing happens");
    let (_, m) = h.request(heartbeat(SMF_RECOVERY + 60), None);
    let Message::HeartbeatResponse(r) = m else {
        panic!()
    };
    assert_eq!(
        r.recovery_time_stamp.0, OUR_RECOVERY,
        "our stamp never changes"
    );
    assert_eq!(h.node.session_count(), 0);
    assert_eq!(h.node.dataplane().removes, vec![up]);
    assert!(h.events().contains(&NodeEvent::PeerRestarted {
        node_id: NodeId::Ipv4(SMF),
        old: SMF_RECOVERY,
        new: SMF_RECOVERY + 60,
        sessions_released: 1
    }));

    // In a new Association Setup from the same Node ID.
    let mut h = H::with_default();
    h.associate();
    h.establish(simple(1, None));
    h.associate(); // same stamp: sessions kept
    assert_eq!(h.node.session_count(), 1);
    let (_, m) = h.request(
        AssociationSetupRequest {
            node_id: NodeId::Ipv4(SMF),
            recovery_time_stamp: RecoveryTimeStamp(SMF_RECOVERY + 1),
            ..Default::default()
        },
        None,
    );
    assert!(matches!(m, Message::AssociationSetupResponse(ref r) if r.cause.0 == 1));
    assert_eq!(h.node.session_count(), 0);

    // In a heartbeat response.
    let mut h = H::with_default();
    h.associate();
    h.establish(simple(1, None));
    let hb = h.advance(Duration::from_secs(10));
    let seq = decode(&hb[0]).0.sequence;
    let rsp = Message::from(HeartbeatResponse {
        recovery_time_stamp: RecoveryTimeStamp(SMF_RECOVERY + 5),
        ..Default::default()
    })
    .encode(seq, None)
    .unwrap();
    h.raw(smf_addr(), &rsp);
    assert_eq!(h.node.session_count(), 0);
    h.node.check_invariants().unwrap();
}

#[test]
fn retransmitted_request_is_answered_from_the_cache_and_applied_once() {
    let mut h = H::with_default();
    h.associate();
    let bytes = Message::from(simple(1, None)).encode(77, Some(0)).unwrap();
    let first = h.raw(smf_addr(), &bytes);
    assert_eq!(first.len(), 1);
    let again = h.raw(smf_addr(), &bytes);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].payload, first[0].payload, "same octets");
    assert_eq!(h.node.session_count(), 1);
    assert_eq!(h.node.dataplane().installs, 1, "applied once");
    assert_eq!(h.node.stats().rx_duplicate, 1);
    // Another peer with the same sequence number is another request.
    let other: SocketAddr = "10.10.0.5:8805".parse().unwrap();
    let r = h.raw(other, &bytes);
    assert!(
        matches!(decode(&r[0]).1, Message::SessionEstablishmentResponse(ref r) if r.cause.0 == 72)
    );
    // After the cache time the entry is gone (bounded in time).
    h.advance(Duration::from_secs(16));
    let late = h.raw(smf_addr(), &bytes);
    assert_eq!(h.node.session_count(), 2);
    assert_ne!(late[0].payload, first[0].payload);
}

#[test]
fn retransmission_while_the_response_waits_is_absorbed() {
    let mut h = H::with_default();
    h.associate();
    h.node.dataplane_mut().auto = false;
    let bytes = Message::from(simple(1, None)).encode(78, Some(0)).unwrap();
    assert!(h.raw(smf_addr(), &bytes).is_empty());
    assert!(h.raw(smf_addr(), &bytes).is_empty());
    h.node.dataplane_mut().apply_all();
    let out = h.transmits();
    assert_eq!(out.len(), 1);
    assert_eq!(h.node.dataplane().installs, 1);
    assert_eq!(h.raw(smf_addr(), &bytes)[0].payload, out[0].payload);
}

#[test]
fn response_waits_until_the_dataplane_applied() {
    let mut h = H::with_default();
    h.associate();
    h.node.dataplane_mut().auto = false;
    let tx = h.send(simple(1, None), Some(0));
    assert!(tx.is_empty(), "no response before apply");
    assert_eq!(h.node.held_responses(), 1);
    let deadline = h.node.poll_timeout().unwrap();
    assert!(
        deadline <= h.now + Duration::from_millis(1),
        "short retry deadline"
    );
    assert!(h.advance(Duration::from_millis(1)).is_empty());
    assert!(h
        .events()
        .iter()
        .all(|e| !matches!(e, NodeEvent::SessionCreated { .. })));
    h.node.dataplane_mut().apply_all();
    let tx = h.transmits();
    assert_eq!(tx.len(), 1);
    assert!(
        matches!(decode(&tx[0]).1, Message::SessionEstablishmentResponse(ref r) if r.cause.0 == 1)
    );
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, NodeEvent::SessionCreated { .. })));
    // Modification and deletion too.
    let up = h.node.session_ids()[0];
    let tx = h.send(
        SessionModificationRequest {
            remove_pdrs: vec![RemovePdr {
                pdr_id: PdrId(2),
                ..Default::default()
            }],
            ..Default::default()
        },
        Some(up),
    );
    assert!(tx.is_empty());
    h.node.dataplane_mut().apply_all();
    assert_eq!(h.transmits().len(), 1);
    assert!(h
        .send(SessionDeletionRequest::default(), Some(up))
        .is_empty());
    h.node.dataplane_mut().apply_all();
    assert!(
        matches!(decode(&h.transmits()[0]).1, Message::SessionDeletionResponse(ref r) if r.cause.0 == 1)
    );
}

#[test]
fn busy_dataplane_defers_then_answers_or_reports_congestion() {
    let mut h = H::with_default();
    h.associate();
    h.node.dataplane_mut().busy = true;
    assert!(h.send(simple(1, None), Some(0)).is_empty());
    assert!(h.send(simple(2, None), Some(0)).is_empty());
    assert_eq!(h.node.deferred_requests(), 2);
    assert_eq!(h.node.session_count(), 0, "nothing applied while busy");
    h.node.dataplane_mut().busy = false;
    let tx = h.advance(Duration::from_millis(1));
    assert_eq!(tx.len(), 2);
    // In order.
    let cps: Vec<_> = tx.iter().map(|t| decode(t).0.seid.unwrap()).collect();
    assert_eq!(cps, vec![1, 2]);
    assert_eq!(h.node.session_count(), 2);

    h.node.dataplane_mut().busy = true;
    assert!(h.send(simple(3, None), Some(0)).is_empty());
    let tx = h.advance(Duration::from_secs(2));
    assert_eq!(tx.len(), 1);
    let (hd, m) = decode(&tx[0]);
    assert_eq!(hd.seid, Some(3));
    assert!(
        matches!(m, Message::SessionEstablishmentResponse(ref r) if r.cause == Cause::PFCP_ENTITY_IN_CONGESTION && r.node_id == NodeId::Ipv4(UPF))
    );
    assert_eq!(h.node.session_count(), 2);
    h.node.check_invariants().unwrap();
}

#[test]
fn version_not_supported_and_unknown_types() {
    let mut h = H::with_default();
    let mut bytes = Message::from(heartbeat(1)).encode(0x123456, None).unwrap();
    bytes[0] = (bytes[0] & 0x1f) | (2 << 5);
    let tx = h.raw(smf_addr(), &bytes);
    assert_eq!(tx.len(), 1);
    let (hd, m) = decode(&tx[0]);
    assert!(matches!(m, Message::VersionNotSupportedResponse(_)));
    assert_eq!(hd.sequence, 0x123456);

    // Unknown message type 99: ignored, counted.
    let unknown = [0x20, 99, 0, 4, 0, 0, 1, 0];
    assert!(h.raw(smf_addr(), &unknown).is_empty());
    assert_eq!(h.node.stats().rx_unknown_type, 1);
    // Garbage: no response.
    assert!(h.raw(smf_addr(), &[0x20]).is_empty());
    assert!(h.raw(smf_addr(), &[]).is_empty());
}

/// Sends `bytes` as a request and returns (Cause, Offending IE).
fn rejected(h: &mut H, bytes: &[u8]) -> (Message, Cause, Option<u16>) {
    let tx = h.raw(smf_addr(), bytes);
    assert_eq!(tx.len(), 1);
    let m = decode(&tx[0]).1;
    let (c, o) = match &m {
        Message::SessionEstablishmentResponse(r) => {
            assert_eq!(r.node_id, NodeId::Ipv4(UPF), "Node ID in failures too");
            (r.cause, r.offending_ie.map(|o| o.0))
        }
        Message::SessionModificationResponse(r) => (r.cause, r.offending_ie.map(|o| o.0)),
        Message::SessionDeletionResponse(r) => (r.cause, r.offending_ie.map(|o| o.0)),
        Message::AssociationSetupResponse(r) => {
            assert_eq!(r.node_id, NodeId::Ipv4(UPF));
            (r.cause, None)
        }
        other => panic!("{other:?}"),
    };
    (m, c, o)
}

#[test]
fn undecodable_requests_get_the_prescribed_cause_in_the_right_response() {
    let mut h = H::with_default();
    h.associate();
    // Mandatory IE missing: no CP F-SEID.
    let mut req = simple(1, None);
    let full = Message::from(req.clone()).encode(1, Some(0)).unwrap();
    let without = strip_ie(&full, 16, t::F_SEID);
    let (_, c, o) = rejected(&mut h, &without);
    assert_eq!((c, o), (Cause::MANDATORY_IE_MISSING, Some(t::F_SEID)));
    // Mandatory IE missing inside a grouped IE: the child is named.
    req.create_pdrs[1].pdi = Pdi::default();
    let mut bytes = Message::from(req.clone()).encode(2, Some(0)).unwrap();
    // Remove Source Interface from the second PDR's PDI by patching its
    // type to an unknown one (the IE is then kept as unknown).
    let at = find_ie(&bytes, 16, t::CREATE_PDR, 1).unwrap();
    patch_child(&mut bytes, at, &[t::PDI, t::SOURCE_INTERFACE], 0x7ff0);
    let (_, c, o) = rejected(&mut h, &bytes);
    assert_eq!(
        (c, o),
        (Cause::MANDATORY_IE_MISSING, Some(t::SOURCE_INTERFACE))
    );
    // Invalid length: an IE running past the message.
    let mut bytes = Message::from(simple(3, None)).encode(3, Some(0)).unwrap();
    let at = find_ie(&bytes, 16, t::NODE_ID, 0).unwrap();
    bytes[at + 3] = 200;
    let (_, c, _) = rejected(&mut h, &bytes);
    assert_eq!(c, Cause::INVALID_LENGTH);
    // Mandatory IE incorrect: a Node ID of an unknown type.
    let mut bytes = Message::from(simple(4, None)).encode(4, Some(0)).unwrap();
    let at = find_ie(&bytes, 16, t::NODE_ID, 0).unwrap();
    bytes[at + 4] = 7;
    let (_, c, o) = rejected(&mut h, &bytes);
    assert_eq!((c, o), (Cause::MANDATORY_IE_INCORRECT, Some(t::NODE_ID)));
    // The header length disagrees with the datagram.
    let mut bytes = Message::from(SessionDeletionRequest::default())
        .encode(5, Some(1))
        .unwrap();
    bytes.push(0);
    let (m, c, _) = rejected(&mut h, &bytes);
    assert!(matches!(m, Message::SessionDeletionResponse(_)));
    assert_eq!(c, Cause::INVALID_LENGTH);
    // Association Setup without Recovery Time Stamp.
    let bytes = Message::from(AssociationSetupRequest {
        node_id: NodeId::Ipv4(SMF),
        ..Default::default()
    })
    .encode(6, None)
    .unwrap();
    let without = strip_ie(&bytes, 8, t::RECOVERY_TIME_STAMP);
    let (_, c, _) = rejected(&mut h, &without);
    assert_eq!(c, Cause::MANDATORY_IE_MISSING);
    assert_eq!(h.node.session_count(), 0);
    // Session context not found: SEID 0 in the header.
    let tx = h.send(SessionModificationRequest::default(), Some(999));
    let (hd, m) = decode(&tx[0]);
    assert_eq!(hd.seid, Some(0));
    assert!(
        matches!(m, Message::SessionModificationResponse(ref r) if r.cause == Cause::SESSION_CONTEXT_NOT_FOUND)
    );
    let tx = h.send(SessionDeletionRequest::default(), Some(999));
    assert!(
        matches!(decode(&tx[0]).1, Message::SessionDeletionResponse(ref r) if r.cause == Cause::SESSION_CONTEXT_NOT_FOUND)
    );
}

/// Offset of the `nth` top-level IE of type `ie` after `skip` header octets.
fn find_ie(bytes: &[u8], skip: usize, ie: u16, nth: usize) -> Option<usize> {
    let mut at = skip;
    let mut seen = 0;
    while at + 4 <= bytes.len() {
        let ty = u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if ty == ie {
            if seen == nth {
                return Some(at);
            }
            seen += 1;
        }
        at += 4 + len;
    }
    None
}

/// Changes the type of the child reached by `path` inside the grouped IE at `at`.
fn patch_child(bytes: &mut [u8], mut at: usize, path: &[u16], new_type: u16) {
    for (i, want) in path.iter().enumerate() {
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let mut c = at + 4;
        let end = at + 4 + len;
        loop {
            assert!(c < end, "child {want} not found");
            let ty = u16::from_be_bytes([bytes[c], bytes[c + 1]]);
            let l = usize::from(u16::from_be_bytes([bytes[c + 2], bytes[c + 3]]));
            if ty == *want {
                break;
            }
            c += 4 + l;
        }
        if i + 1 == path.len() {
            bytes[c..c + 2].copy_from_slice(&new_type.to_be_bytes());
        }
        at = c;
    }
}

/// The message without its first top-level IE of type `ie`.
fn strip_ie(bytes: &[u8], skip: usize, ie: u16) -> Vec<u8> {
    let at = find_ie(bytes, skip, ie, 0).unwrap();
    let len = 4 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
    let mut out = [&bytes[..at], &bytes[at + len..]].concat();
    let l = u16::from_be_bytes([out[2], out[3]]) - len as u16;
    out[2..4].copy_from_slice(&l.to_be_bytes());
    out
}

#[test]
fn associations_keep_their_sessions_apart_when_one_goes_and_another_comes() {
    let mut h = H::with_default();
    let smf_b: SocketAddr = "10.10.0.5:8805".parse().unwrap();
    let from_b = |h: &mut H, m: Message, seid: Option<u64>| {
        let seq = h.next_seq();
        let tx = h.raw(smf_b, &m.encode(seq, seid).unwrap());
        assert_eq!(tx.len(), 1, "{tx:?}");
        assert_eq!(tx[0].dst, smf_b);
        Message::decode(&tx[0].payload).unwrap().1
    };
    let release = |node_id: NodeId| AssociationReleaseRequest {
        node_id,
        ..Default::default()
    };
    h.associate();
    let (a1, _) = h.establish(simple(1, None));
    let setup_b = AssociationSetupRequest {
        node_id: NodeId::Fqdn("smf-b.example.org".into()),
        recovery_time_stamp: RecoveryTimeStamp(SMF_RECOVERY),
        ..Default::default()
    };
    let m = from_b(&mut h, setup_b.clone().into(), None);
    assert!(matches!(m, Message::AssociationSetupResponse(ref r) if r.cause.0 == 1));
    let m = from_b(&mut h, simple(2, None).into(), Some(0));
    let Message::SessionEstablishmentResponse(r) = m else {
        panic!("{m:?}")
    };
    let b1 = r.up_f_seid.unwrap().seid;

    // The first SMF goes with its session only.
    h.request(release(NodeId::Ipv4(SMF)), None);
    assert_eq!(h.node.dataplane().removes, vec![a1]);
    assert_eq!(h.node.session_cp_seid(b1), Some(2));
    h.node.check_invariants().unwrap();

    // It comes back (taking the number it had) with a new session; the
    // other SMF's session still reports to that SMF.
    h.associate();
    let (a2, _) = h.establish(simple(3, None));
    h.node.check_invariants().unwrap();
    let remote = upf_core::rules::FTeid {
        teid: 0x42,
        ipv4: Some(GNB),
        ipv6: None,
    };
    assert!(h.node.report_error_indication(h.now, b1, remote));
    let tx = h.transmits();
    assert_eq!(tx.iter().map(|t| t.dst).collect::<Vec<_>>(), vec![smf_b]);

    let m = from_b(&mut h, release(setup_b.node_id).into(), None);
    assert!(matches!(m, Message::AssociationReleaseResponse(ref r) if r.cause.0 == 1));
    assert_eq!(h.node.dataplane().removes, vec![a1, b1]);
    assert_eq!(h.node.session_ids(), vec![a2]);
    h.node.check_invariants().unwrap();
}
