//! The offload manager's lifecycle on the fake backend: rules appear and
//! disappear with sessions (install, modify with a changed TEID, delete),
//! refusals fall back per rule, the rule bound and the insertion rate hold,
//! and the per-port counters say what happened. Also the worker-side mark
//! contract (stale marks and foreign keys do not resolve). No DPDK.

mod common;

use std::sync::Arc;

use common::sessions::{rules, SessionSpec};
use dataplane::offload::backend::FakeConfig;
use dataplane::offload::manager::{Fallback, RuleState};
use dataplane::offload::mark::rules_own;
use dataplane::offload::spec::{Item, ItemKind, RuleKey, Target, TopoPort, Topology};
use dataplane::offload::{
    FakeBackend, FakeCall, OffloadConfig, OffloadManager, OffloadMode, OffloadState,
    PortOffloadCaps, PortOffloadStats,
};
use dataplane::steer::LookupKey;

const SEC: u64 = 1_000_000_000;

fn caps(all: bool) -> PortOffloadCaps {
    PortOffloadCaps {
        gtp_teid_match: all,
        gtp_psc_qfi_match: all,
        mark: all,
        queue: all,
        rss_gtpu: all,
        rss_inner: all,
        raw_decap: all,
        errors: vec![],
    }
}

fn spec(i: u32) -> SessionSpec {
    SessionSpec {
        seid: u64::from(i),
        ue: [10, 45, 0, i as u8].into(),
        ul_teid: 0x100 + i,
        dl_teid: 0x2000 + i,
        n3: [192, 0, 2, 1].into(),
        gnb: [192, 0, 2, 10].into(),
        qfi: 9,
    }
}

fn manager(
    backend: FakeBackend,
    c: PortOffloadCaps,
    max_rules: usize,
    rate: u32,
) -> OffloadManager<FakeBackend> {
    let topo = Topology {
        workers: 2,
        ports: vec![
            TopoPort {
                port_id: 0,
                rx_queues: 2,
                caps: c.clone(),
            },
            TopoPort {
                port_id: 1,
                rx_queues: 2,
                caps: c.clone(),
            },
        ],
        n3: Some(Target {
            port: 0,
            vlan: None,
        }),
        n6: Some(Target {
            port: 1,
            vlan: None,
        }),
        n9: None,
        access_v4: Some([192, 0, 2, 1].into()),
        access_v6: None,
        core_v4: Some([198, 51, 100, 1].into()),
        core_v6: None,
    };
    let config = OffloadConfig {
        mode: OffloadMode::Auto,
        max_rules,
        insert_rate_per_s: rate,
    };
    let state = Arc::new(OffloadState::new(
        OffloadMode::Auto,
        vec![("n3".into(), 0, c.clone()), ("n6".into(), 1, c)],
    ));
    OffloadManager::new(backend, topo, &config, state)
}

fn stats(m: &OffloadManager<FakeBackend>) -> (PortOffloadStats, PortOffloadStats) {
    let s = m.state().stats();
    (s[0].1, s[1].1)
}

fn teids_live(b: &FakeBackend) -> Vec<u32> {
    let mut t: Vec<u32> = b
        .live_specs()
        .iter()
        .flat_map(|s| s.pattern.iter())
        .filter_map(|i| match i {
            Item::Gtp { teid, .. } => *teid,
            _ => None,
        })
        .collect();
    t.sort_unstable();
    t
}

#[test]
fn rules_follow_sessions_within_bound_and_rate() {
    let b = FakeBackend::accept_all();
    let mut m = manager(b.clone(), caps(true), 4, 3);

    // Create: an uplink (N3) and a downlink (N6) rule, marked with the
    // session's mark, which resolves to its SEID.
    let a1 = rules(&spec(1), None);
    m.install_at(&a1, 0);
    assert_eq!(b.live(), 2);
    assert_eq!(teids_live(&b), vec![0x101]);
    let mark = m.mark_of_session(1).unwrap();
    assert_eq!(m.marks().resolve(mark.encode()), Some(1));
    for s in b.live_specs() {
        assert_eq!(
            s.actions[0],
            dataplane::offload::Action::Mark(mark.encode())
        );
    }

    // Modify: the uplink TEID changes; the old rule goes, a new one comes,
    // the unchanged downlink rule stays untouched.
    b.clear_calls();
    let mut s1 = spec(1);
    s1.ul_teid = 0x1101;
    let a2 = rules(&s1, Some(&a1));
    m.install_at(&a2, 0);
    let calls = b.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert!(matches!(calls[0], FakeCall::Destroy(0, _)));
    assert!(matches!(&calls[1], FakeCall::Create(s, Ok(_)) if s.port == 0));
    assert_eq!(teids_live(&b), vec![0x1101]);
    assert_eq!(b.live(), 2);
    assert_eq!(m.mark_of_session(1), Some(mark), "the mark stays");

    // The rate (3 per second, all spent) defers the next session's rules;
    // they are installed once tokens are back.
    let b2 = rules(&spec(2), None);
    m.install_at(&b2, 0);
    assert_eq!(b.live(), 2);
    assert_eq!(m.pending_rules(), 2);
    assert!(m.session_rules(2).iter().all(|r| r.2 == RuleState::Pending));
    assert_eq!(m.poll_at(SEC / 10), 0, "not yet");
    assert_eq!(m.poll_at(SEC), 2);
    assert_eq!(m.pending_rules(), 0);
    assert_eq!(b.live(), 4);
    assert_eq!(m.active_rules(), 4);

    // The bound (4 rules): a third session runs in software.
    let c = rules(&spec(3), None);
    m.install_at(&c, 2 * SEC);
    assert_eq!(b.live(), 4);
    assert!(m
        .session_rules(3)
        .iter()
        .all(|r| r.2 == RuleState::Software(Fallback::Bound)));

    // Delete: the rules go with the session; its mark is stale at once.
    m.remove(2);
    assert_eq!(b.live(), 2);
    assert_eq!(teids_live(&b), vec![0x1101]);

    // Refusals fall back per rule: the NIC now refuses GTP items, so the
    // uplink rule of a new session runs in software, its downlink rule is
    // installed.
    b.set_config(FakeConfig {
        refuse_items: vec![ItemKind::Gtp],
        ..FakeConfig::default()
    });
    let d = rules(&spec(4), None);
    m.install_at(&d, 3 * SEC);
    let st = m.session_rules(4);
    assert_eq!(st.len(), 2);
    assert!(matches!(st[0].0, RuleKey::Tunnel { teid: 0x104, .. }));
    assert_eq!(st[0].2, RuleState::Software(Fallback::Refused));
    assert!(matches!(st[1].2, RuleState::Active(_)));
    assert_eq!(b.live(), 3);

    // The slot of a deleted session comes back with the next generation:
    // the old mark does not resolve to the new session.
    let m2 = m.mark_of_session(2);
    assert!(m2.is_none(), "deleted");
    m.remove(1);
    assert_eq!(m.marks().resolve(mark.encode()), None);
    assert_eq!(b.live(), 1);
    let e = rules(&spec(5), None);
    m.install_at(&e, 4 * SEC);
    let m5 = m.mark_of_session(5).unwrap();
    assert_ne!(m5.encode(), mark.encode());
    assert_eq!(m.marks().resolve(m5.encode()), Some(5));

    // Counters per port (N3: uplink, N6: downlink).
    let (n3, n6) = stats(&m);
    assert_eq!(
        n3,
        PortOffloadStats {
            // A, A modified, B.
            installed: 3,
            // D's uplink, and E's (GTP still refused).
            failed: 2,
            // C's (bound), D's and E's (refused).
            fallback: 3,
            // A's old TEID, B's, A's.
            removed: 3,
            deferred: 1,
            active: 0,
        }
    );
    assert_eq!(
        n6,
        PortOffloadStats {
            // A, B, D, E.
            installed: 4,
            failed: 0,
            // C's (bound).
            fallback: 1,
            // B's, A's.
            removed: 2,
            deferred: 1,
            active: 2,
        }
    );
    assert_eq!(m.state().total().active as usize, m.active_rules());
    assert_eq!(m.active_rules(), b.live());
    m.clear();
    assert_eq!(b.live(), 0);
}

#[test]
fn fail_after_n_and_unsupported_ports() {
    let b = FakeBackend::with(FakeConfig {
        fail_after: Some(3),
        ..FakeConfig::default()
    });
    let mut m = manager(b.clone(), caps(true), 100, 0);
    for i in 1..=3 {
        m.install_at(&rules(&spec(i), None), 0);
    }
    assert_eq!(b.live(), 3, "the table is full after three");
    let t = m.state().total();
    assert_eq!((t.installed, t.failed, t.fallback), (3, 3, 3));

    // A port that can do nothing: every rule counted as fallback, nothing
    // sent to the backend.
    let b = FakeBackend::accept_all();
    let mut m = manager(b.clone(), caps(false), 100, 0);
    m.install_at(&rules(&spec(1), None), 0);
    assert!(b.calls().is_empty());
    let (n3, n6) = stats(&m);
    assert_eq!((n3.fallback, n6.fallback), (1, 1));
    assert!(m
        .session_rules(1)
        .iter()
        .all(|r| r.2 == RuleState::Software(Fallback::Unsupported)));
}

#[test]
fn marks_stand_in_only_for_keys_the_version_owns() {
    let r = rules(&spec(1), None);
    let n3 = std::net::IpAddr::from([192, 0, 2, 1]);
    assert!(rules_own(&r, &LookupKey::Tunnel(0x101, n3)));
    assert!(!rules_own(&r, &LookupKey::Tunnel(0x102, n3)), "old TEID");
    assert!(rules_own(&r, &LookupKey::V4([10, 45, 0, 1].into())));
    assert!(!rules_own(&r, &LookupKey::V4([10, 45, 0, 2].into())));
}
