//! Packet-path throughput of one UPF worker: a looping `net_pcap` input
//! (`infinite_rx=1`) of 64-byte inner packets spread over 100k sessions,
//! a `net_null` output, the real worker loop in between. Uplink (GTP-U with
//! PDU Session Container, decapsulated to N6) and downlink (IP, encapsulated
//! toward the gNB) are measured separately. Optionally publishes rule updates
//! while traffic flows and reports the longest worker stall in one drain.
//!
//! ```text
//! bench_path --gen DIR [--sessions N]             # write DIR/ul.pcap, DIR/dl.pcap
//! bench_path --mode ul|dl --dir DIR [--seconds S] [--huge] [--sessions N]
//!            [--updates PER_SECOND] [--lcore L] [--qos none|meter|sched|both]
//! ```
//! `--qos`: `meter` gives every session's QER an MBR (never exceeded) so
//! each packet goes through the shared meter; `sched` gives both egress
//! attachments an egress rate (never reached) so each packet goes through
//! the worker's egress scheduler; `both` does both.
//! `dataplane/bench/run.sh` runs it next to `dpdk-testpmd --forward-mode=io`
//! on the same vdevs and core. This is a benchmark, not a test: it asserts
//! nothing about time.

#[path = "../tests/common/sessions.rs"]
#[allow(dead_code)]
mod sessions;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dataplane::eal::{Eal, EalConfig};
use dataplane::pcap;
use dataplane::port::PortDevice;
use dataplane::{
    Attachment, Dataplane, DataplaneConfig, EgressSchedule, PortSpec, Role, StaticNeighbor,
    Steering, WorkerCore,
};
use sessions::{rules, session, SessionSpec};
use upf_core::counters::{DropReason, Stat};
use upf_core::path::PathConfig;
use upf_core::wire::checksum::checksum;

/// The `upf` binary's allocator: where the session rules live matters.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const GNB: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const N6: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const GW: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 254);
const DN: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
const QFI: u8 = 9;

/// An egress rate no worker reaches (400 Gbit/s): the scheduler's cost,
/// not its shaping.
const EGRESS_BPS: u64 = 400_000_000_000;

/// The session of `s` with an MBR of 100 Gbit/s in both directions: every
/// packet is metered, none is red.
fn metered(s: &SessionSpec) -> Arc<upf_core::compile::SessionRules> {
    let mut x = session(s);
    let mut q = x.qer(1).expect("the session's QER").clone();
    q.mbr = Some(upf_core::rules::BitRate {
        ul_kbps: 100_000_000,
        dl_kbps: 100_000_000,
    });
    x.update_qer(q).expect("QER update");
    Arc::new(upf_core::compile::compile(&x, None).expect("compiles"))
}

fn spec(i: u32) -> SessionSpec {
    SessionSpec {
        seid: u64::from(i) + 1,
        ue: Ipv4Addr::from(0x0a00_0001 + i),
        ul_teid: i + 1,
        dl_teid: 0x8000_0000 | i,
        n3: N3,
        gnb: GNB,
        qfi: QFI,
    }
}

/// A 64-byte IPv4/UDP packet.
fn ipv4_udp(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16) -> Vec<u8> {
    let total = 64usize;
    let mut p = vec![0x45, 0, 0, total as u8, 0, 1, 0, 0, 64, 17, 0, 0];
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = checksum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let ulen = (total - 20) as u16;
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&ulen.to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.resize(total, 0x5a);
    p
}

fn eth(ethertype: u16, l3: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(l3);
    f
}

/// An uplink G-PDU with an UL PDU Session Container (QFI).
fn gpdu(teid: u32, inner: &[u8]) -> Vec<u8> {
    let gtp_len = 8 + inner.len(); // seq/npdu/next-ext + PSC + inner
    let udp_len = 8 + 8 + gtp_len;
    let total = 20 + udp_len;
    let mut p = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0,
        0,
        64,
        17,
        0,
        0,
    ];
    p.extend_from_slice(&GNB.octets());
    p.extend_from_slice(&N3.octets());
    let c = checksum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&2152u16.to_be_bytes());
    p.extend_from_slice(&2152u16.to_be_bytes());
    p.extend_from_slice(&(udp_len as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    // GTP-U: E flag, G-PDU, length, TEID; seq 0, N-PDU 0, next 0x85 (PSC).
    p.extend_from_slice(&[0x34, 0xff]);
    p.extend_from_slice(&(gtp_len as u16).to_be_bytes());
    p.extend_from_slice(&teid.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0x85]);
    // PSC: length 1 (4 octets), UL PDU type (1), QFI, next type 0.
    p.extend_from_slice(&[1, 0x10, QFI, 0]);
    p.extend_from_slice(inner);
    eth(0x0800, &p)
}

fn generate(dir: &str, sessions: u32) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // One packet per session, in an order that jumps across the tables.
    let order = |k: u32| (u64::from(k) * 2_654_435_761 % u64::from(sessions)) as u32;
    let ul: Vec<Vec<u8>> = (0..sessions)
        .map(|k| {
            let s = spec(order(k));
            gpdu(s.ul_teid, &ipv4_udp(s.ue, DN, 40000, 41000))
        })
        .collect();
    let dl: Vec<Vec<u8>> = (0..sessions)
        .map(|k| eth(0x0800, &ipv4_udp(DN, spec(order(k)).ue, 41000, 40000)))
        .collect();
    pcap::write_file(format!("{dir}/ul.pcap"), ul.iter().map(Vec::as_slice))?;
    pcap::write_file(format!("{dir}/dl.pcap"), dl.iter().map(Vec::as_slice))?;
    eprintln!(
        "wrote {dir}/ul.pcap ({} B frames) and {dir}/dl.pcap ({} B frames), {sessions} each",
        ul[0].len(),
        dl[0].len()
    );
    Ok(())
}

struct Args {
    gen: Option<String>,
    dir: String,
    mode: String,
    seconds: u64,
    huge: bool,
    sessions: u32,
    updates: u32,
    lcore: u32,
    qos: String,
}

fn args() -> Args {
    let mut a = Args {
        gen: None,
        dir: "/tmp/upf-bench".into(),
        mode: "ul".into(),
        seconds: 10,
        huge: false,
        sessions: 100_000,
        updates: 0,
        lcore: 1,
        qos: "none".into(),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let next = |i: usize| v.get(i + 1).cloned().expect("option needs a value");
        match v[i].as_str() {
            "--gen" => {
                a.gen = Some(next(i));
                i += 1;
            }
            "--dir" => {
                a.dir = next(i);
                i += 1;
            }
            "--mode" => {
                a.mode = next(i);
                i += 1;
            }
            "--seconds" => {
                a.seconds = next(i).parse().expect("seconds");
                i += 1;
            }
            "--sessions" => {
                a.sessions = next(i).parse().expect("sessions");
                i += 1;
            }
            "--updates" => {
                a.updates = next(i).parse().expect("updates per second");
                i += 1;
            }
            "--lcore" => {
                a.lcore = next(i).parse().expect("lcore");
                i += 1;
            }
            "--qos" => {
                a.qos = next(i);
                i += 1;
            }
            "--huge" => a.huge = true,
            o => panic!("unknown option {o}"),
        }
        i += 1;
    }
    a
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args();
    if let Some(dir) = &a.gen {
        generate(dir, a.sessions)?;
        return Ok(());
    }
    let ul = match a.mode.as_str() {
        "ul" => true,
        "dl" => false,
        m => return Err(format!("mode {m}: ul or dl").into()),
    };
    let cfg = EalConfig {
        lcores: Some(format!("0,{}", a.lcore)),
        no_huge: !a.huge,
        in_memory: a.huge,
        memory_mb: Some(if a.huge { 2048 } else { 1024 }),
        file_prefix: Some(format!("upf-bench-{}", std::process::id())),
        keep_caller_affinity: false,
        ..EalConfig::for_tests()
    };
    let (meter, sched) = match a.qos.as_str() {
        "none" => (false, false),
        "meter" => (true, false),
        "sched" => (false, true),
        "both" => (true, true),
        q => return Err(format!("qos {q}: none, meter, sched or both").into()),
    };
    let eal = Eal::init(&cfg)?;
    eprintln!("EAL args: {:?}", eal.args());

    let input = format!(
        "net_pcap_in0,rx_pcap={}/{}.pcap,infinite_rx=1",
        a.dir,
        if ul { "ul" } else { "dl" }
    );
    let null = "net_null_out0,no-rx=1".to_string();
    // N3 carries the uplink input (or the downlink output), N6 the other.
    let (n3_dev, n6_dev) = if ul { (input, null) } else { (null, input) };
    let path = PathConfig {
        access_v4: Some(N3),
        core_v4: Some(N6),
        ..PathConfig::default()
    };
    let mut c = DataplaneConfig::new(
        vec![
            PortSpec::new("n3", PortDevice::Vdev(n3_dev)),
            PortSpec::new("n6", PortDevice::Vdev(n6_dev)),
        ],
        vec![
            Attachment {
                prefix_v4: Some(24),
                egress: sched.then(|| EgressSchedule::rate(EGRESS_BPS)),
                ..Attachment::new(Role::N3, 0)
            },
            Attachment {
                prefix_v4: Some(24),
                gateway_v4: Some(GW),
                egress: sched.then(|| EgressSchedule::rate(EGRESS_BPS)),
                ..Attachment::new(Role::N6, 1)
            },
        ],
        vec![WorkerCore::Lcore(a.lcore)],
        path,
    );
    c.max_sessions = a.sessions as usize + 1024;
    c.mbufs = (a.sessions + 65536).next_power_of_two() - 1;
    c.mbuf_cache = 512;
    c.steering = Steering::Off;
    c.static_neighbors = vec![
        StaticNeighbor {
            role: Role::N3,
            addr: GNB.into(),
            mac: [2, 0, 0, 0, 0, 0x0a],
        },
        StaticNeighbor {
            role: Role::N6,
            addr: GW.into(),
            mac: [2, 0, 0, 0, 0, 0xfe],
        },
    ];
    let mut dp = Dataplane::new(c)?;
    let mut sink = dp.take_rule_sink().expect("sink");
    // The worker runs (and drains updates) while the sessions go in: the
    // update queues hold only so many.
    dp.start()?;
    let t = Instant::now();
    let mut current: Vec<Arc<upf_core::compile::SessionRules>> =
        Vec::with_capacity(a.sessions as usize);
    let mut last = 0;
    for i in 0..a.sessions {
        let r = if meter {
            metered(&spec(i))
        } else {
            rules(&spec(i), None)
        };
        last = sink.install(r.clone(), None)?;
        current.push(r);
    }
    sink.wait_applied(last, Duration::from_secs(120))?;
    eprintln!(
        "{} sessions installed and applied in {:.2} s",
        a.sessions,
        t.elapsed().as_secs_f64()
    );

    // Warm up, then measure.
    std::thread::sleep(Duration::from_secs(2));
    let s0 = dp.stats();
    let cpu0 = worker_cpu_ticks();
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(a.seconds);
    let mut published = 0u64;
    if a.updates > 0 {
        // Re-install sessions (a modification: new version, counters carried
        // over, old version retired) at `updates` per second, paced per ms.
        let mut j = 0usize;
        let mut tick = Instant::now();
        while Instant::now() < end {
            let due = (t0.elapsed().as_secs_f64() * f64::from(a.updates)) as u64;
            while published < due {
                let i = j % current.len();
                let new = rules(&spec(i as u32), Some(&current[i]));
                let old = std::mem::replace(&mut current[i], new.clone());
                sink.install(new, Some(old))?;
                published += 1;
                j += 1;
            }
            sink.reclaim();
            tick += Duration::from_millis(1);
            if let Some(d) = tick.checked_duration_since(Instant::now()) {
                std::thread::sleep(d);
            }
        }
    } else {
        std::thread::sleep(Duration::from_secs(a.seconds));
    }
    let dt = t0.elapsed().as_secs_f64();
    let s1 = dp.stats();
    let cpu_share = worker_cpu_ticks().saturating_sub(cpu0) as f64 / 100.0 / dt;
    let w0 = &s0.workers[0];
    let w1 = &s1.workers[0];
    let d = |s: Stat| (w1.stat(s) - w0.stat(s)) as f64;
    let rx = d(Stat::Rx) / dt / 1e6;
    let tx = d(Stat::Tx) / dt / 1e6;
    let busy = (w1.busy_cycles - w0.busy_cycles) as f64;
    let idle = (w1.idle_cycles - w0.idle_cycles) as f64;
    let drops: Vec<(&str, u64)> = DropReason::ALL
        .iter()
        .map(|r| (r.name(), w1.drop_count(*r) - w0.drop_count(*r)))
        .filter(|(_, n)| *n > 0)
        .collect();
    println!(
        "RESULT mode={} qos={} rx_mpps={rx:.3} tx_mpps={tx:.3} busy={:.1}% worker_cpu={:.0}% mpps_per_cpu={:.3} seconds={dt:.1} sessions={} drops={drops:?}",
        a.mode,
        a.qos,
        100.0 * busy / (busy + idle).max(1.0),
        100.0 * cpu_share,
        tx / cpu_share.max(0.01),
        a.sessions
    );
    if a.updates > 0 {
        let applied = w1.updates_applied - w0.updates_applied;
        println!(
            "UPDATES published={published} ({:.0}/s) applied={applied} drains={} max_drain_us={:.1} p50_us<={:.1} p99_us<={:.1} p99.9_us<={:.1} mean_drain_per_update_ns={:.0}",
            published as f64 / dt,
            w1.drain_hist.iter().map(|b| b.1).sum::<u64>(),
            w1.max_drain_ns as f64 / 1e3,
            w1.drain_quantile_ns(0.5) as f64 / 1e3,
            w1.drain_quantile_ns(0.99) as f64 / 1e3,
            w1.drain_quantile_ns(0.999) as f64 / 1e3,
            (w1.drain_ns - w0.drain_ns) as f64 / applied.max(1) as f64
        );
        println!("DRAIN_HIST (upper bound ns, count): {:?}", w1.drain_hist);
    }
    let fin = dp.stop()?;
    eprintln!(
        "final: rx {} tx {} drops {}",
        fin.stat(Stat::Rx),
        fin.stat(Stat::Tx),
        fin.total_drops()
    );
    Ok(())
}

/// CPU time (clock ticks, 100 per second on Linux) the worker thread got:
/// on a shared machine it gets less than the wall time.
fn worker_cpu_ticks() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    for t in tasks.flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if !comm.starts_with("rte-worker") && !comm.starts_with("lcore-worker") {
            continue;
        }
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: utime and stime are 14 and 15.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ut: u64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0);
        let st: u64 = f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0);
        return ut + st;
    }
    0
}
