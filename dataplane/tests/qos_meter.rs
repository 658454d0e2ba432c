//! QER metering and URR counting through the real poll loop: two workers
//! over `net_ring` ports the test fills and drains, on a clock the test
//! moves (so rates are exact whatever the machine's load).
//!
//! - A session's downlink, offered at twice its QER's MBR and spread over
//!   both workers, leaves at the MBR within 2% over every one-second
//!   window after the first (which also carries the meter's burst); with
//!   the gate closed nothing leaves.
//! - The URRs' volumes equal, to the byte and packet, what the test sent
//!   and what the UPF forwarded, in both directions.
//!
//! Needs DPDK's `net_ring` driver.

mod common;

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use common::ringio::{gtpu_frame, inner_ip_len, Rig, GNB, N3};
use common::sessions::{session, SessionSpec, URR_DL, URR_UL};
use upf_core::compile::{compile, SessionRules};
use upf_core::counters::{DropReason, Stat};
use upf_core::rules::{BitRate, GateStatus, Qer};

/// One dataplane at a time: they share the CPUs.
static SERIAL: Mutex<()> = Mutex::new(());

const UE: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 10);

fn spec() -> SessionSpec {
    SessionSpec {
        seid: 1,
        ue: UE,
        ul_teid: 0x100,
        dl_teid: 0x2000,
        n3: N3,
        gnb: GNB,
        qfi: 9,
    }
}

/// The test session with its QER changed by `f`.
fn rules(f: impl FnOnce(&mut Qer), previous: Option<&SessionRules>) -> Arc<SessionRules> {
    let mut s = session(&spec());
    let mut q = s.qer(1).unwrap().clone();
    f(&mut q);
    s.update_qer(q).unwrap();
    Arc::new(compile(&s, previous).unwrap())
}

#[test]
fn mbr_holds_over_two_workers_and_a_closed_gate_passes_nothing() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    const MBR_KBPS: u64 = 8_000; // 1 MB/s
    const IP_LEN: usize = 1000; // metered bytes: 1000 packets/s at the MBR
    const STEP: u64 = 5_000_000; // 5 ms
    const PER_STEP: usize = 10; // 2000 packets/s: twice the MBR
    const WINDOWS: usize = 4;
    let at_mbr = MBR_KBPS * 1000 / 8 / IP_LEN as u64; // packets per second

    let mut rig = Rig::new(2, None, 4096);
    let start = rig.now;
    let r = rules(
        |q| {
            q.mbr = Some(BitRate {
                ul_kbps: MBR_KBPS,
                dl_kbps: MBR_KBPS,
            })
        },
        None,
    );
    rig.install(r.clone());

    let mut windows = [0u64; WINDOWS];
    let (mut sent, mut out_packets, mut out_bytes) = (0u64, 0u64, 0u64);
    let steps = WINDOWS as u64 * 1_000_000_000 / STEP;
    for k in 0..steps {
        for _ in 0..PER_STEP {
            // Alternate workers step by step: each alone is offered four
            // times the MBR while it has packets, so a meter per worker
            // would let twice the MBR through.
            rig.send_dl(k as usize % 2, UE, IP_LEN, k);
            sent += 1;
        }
        rig.step(STEP);
        let got = rig.n3.recv_all();
        let w = ((rig.now - start - 1) / 1_000_000_000) as usize;
        windows[w] += got.len() as u64;
        out_packets += got.len() as u64;
        out_bytes += got.iter().map(|f| inner_ip_len(f) as u64).sum::<u64>();
    }
    eprintln!(
        "delivered per 1 s window: {windows:?} (MBR: {at_mbr} packets/s, offered {})",
        2 * at_mbr
    );
    // The first window also carries the meter's burst (20 ms of the MBR).
    let burst = at_mbr * upf_core::compile::METER_BURST_MS / 1000;
    assert!(windows[0] <= at_mbr + burst + 1, "{windows:?}");
    for (i, &w) in windows.iter().enumerate().skip(1) {
        assert!(
            w * 100 >= at_mbr * 98 && w * 100 <= at_mbr * 102,
            "window {i}: {w} packets, MBR {at_mbr}/s: {windows:?}"
        );
    }

    // The URR counted exactly what left.
    let usage = r.urr_counters(URR_DL).unwrap().snapshot();
    assert_eq!(usage.dl_packets, out_packets);
    assert_eq!(usage.dl_bytes, out_bytes);
    assert_eq!(out_bytes, out_packets * IP_LEN as u64);

    // Gate closed: nothing leaves.
    let closed = rules(
        |q| {
            q.mbr = Some(BitRate {
                ul_kbps: MBR_KBPS,
                dl_kbps: MBR_KBPS,
            });
            q.gate_dl = GateStatus::Closed;
        },
        Some(&r),
    );
    rig.install(closed);
    let mut gated = 0;
    for k in 0..100 {
        for i in 0..PER_STEP {
            rig.send_dl(i % 2, UE, IP_LEN, k);
            gated += 1;
        }
        rig.step(STEP);
        assert!(
            rig.n3.recv_all().is_empty(),
            "gate closed, yet a packet left"
        );
    }
    let stats = rig.stop();
    assert_eq!(stats.drops(DropReason::GateClosed), gated);
    assert_eq!(stats.drops(DropReason::MeterRed), sent - out_packets);
    assert_eq!(stats.stat(Stat::ForwardAccess), out_packets);
    assert_eq!(
        r.urr_counters(URR_DL).unwrap().snapshot(),
        usage,
        "nothing more counted"
    );
    // Both workers carried the session, half each.
    for w in &stats.workers {
        let f = w.stat(Stat::ForwardAccess);
        assert_eq!(w.stat(Stat::Rx), (sent + gated) / 2, "worker {}", w.index);
        assert!(
            f * 10 >= out_packets * 4,
            "worker {}: {f} of {out_packets}",
            w.index
        );
    }
}

#[test]
fn urr_volumes_equal_what_was_sent_and_forwarded() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut rig = Rig::new(2, None, 4096);
    let r = rules(|_| {}, None);
    rig.install(r.clone());
    let n3_mac = rig.dp.as_ref().unwrap().mac(dataplane::Role::N3).unwrap();
    let pool = rig.dp.as_ref().unwrap().pool().clone();

    let (mut dl_sent, mut ul_sent) = ((0u64, 0u64), (0u64, 0u64));
    let (mut dl_out, mut ul_out) = ((0u64, 0u64), (0u64, 0u64));
    for k in 0..50u64 {
        for i in 0..12usize {
            // Sizes from 36 to 1400 bytes.
            let len = 36 + ((k as usize * 131 + i * 97) % 1365);
            rig.send_dl(i % 2, UE, len, k);
            dl_sent = (dl_sent.0 + 1, dl_sent.1 + len as u64);
            let f = gtpu_frame(n3_mac, spec().ul_teid, UE, len, k);
            rig.n3.send(&pool, (i + 1) % 2, &f);
            ul_sent = (ul_sent.0 + 1, ul_sent.1 + len as u64);
        }
        rig.step(1_000_000);
        for f in rig.n3.recv_all() {
            dl_out = (dl_out.0 + 1, dl_out.1 + inner_ip_len(&f) as u64);
        }
        for f in rig.n6.recv_all() {
            ul_out = (ul_out.0 + 1, ul_out.1 + (f.len() - 14) as u64);
        }
    }
    let stats = rig.stop();
    assert_eq!(stats.total_drops(), 0, "{stats:#?}");
    assert_eq!((dl_out, ul_out), (dl_sent, ul_sent), "everything forwarded");
    let dl = r.urr_counters(URR_DL).unwrap().snapshot();
    let ul = r.urr_counters(URR_UL).unwrap().snapshot();
    assert_eq!((dl.dl_packets, dl.dl_bytes), dl_sent);
    assert_eq!((ul.ul_packets, ul.ul_bytes), ul_sent);
    assert_eq!((dl.ul_packets, ul.dl_packets), (0, 0));
    assert_eq!(dl.total_bytes(), dl_sent.1);
}

#[test]
fn volume_quota_stops_forwarding_at_the_exact_byte() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut rig = Rig::new(2, None, 4096);
    let r = rules(|_| {}, None);
    rig.install(r.clone());
    let c = r.urr_counters(URR_DL).unwrap();
    // Ten 1000-byte packets and a 999-byte one fit; nothing after.
    c.set_volume_quota(Some(upf_core::rules::Volume {
        downlink: Some(10_999),
        ..Default::default()
    }));
    let mut out = 0;
    for k in 0..30u64 {
        rig.send_dl(k as usize % 2, UE, 1000, k);
        rig.step(1_000_000);
        out += rig.n3.recv_all().len();
    }
    rig.send_dl(0, UE, 999, 30);
    rig.step(1_000_000);
    let last = rig.n3.recv_all();
    rig.send_dl(1, UE, 36, 31);
    rig.step(1_000_000);
    assert!(rig.n3.recv_all().is_empty(), "the quota is used up");
    let stats = rig.stop();
    assert_eq!(out, 10);
    assert_eq!(last.len(), 1, "the 999-byte packet uses the quota up");
    assert_eq!(inner_ip_len(&last[0]), 999);
    assert_eq!(stats.drops(DropReason::QuotaExhausted), 21);
    let u = c.snapshot();
    assert_eq!((u.dl_packets, u.dl_bytes), (11, 10_999));
    assert!(c.quota_exhausted());
}
