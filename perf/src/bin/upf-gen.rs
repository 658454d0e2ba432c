//! The load generator on its own.
//!
//! ```text
//! upf-gen pcap --out FILE [--direction uplink|downlink|mixed] [--sessions N]
//!         [--size 64|594|1518|imix] [--frames N] [--psc always|never|alternate]
//!         [--vlans] [--qfis 1,5,6,9]
//! upf-gen memif [--socket-dir DIR] [--direction ...] [--sessions N] [--size ...]
//!         [--rate PPS] [--seconds S] [--huge]
//! ```
//!
//! `pcap` writes the traffic to a capture (for `net_pcap` replay, testpmd
//! baselines and pktgen-dpdk). `memif` makes this process the `net_memif`
//! server on `DIR/n3.sock` (facing the UPF's N3) and `DIR/n6.sock` (facing
//! its N6), sends paced traffic, validates what comes back and reports
//! rates, wrong packets by reason and latency percentiles as JSON. The UPF
//! process is the memif client on the same sockets (see perf/README.md).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use dataplane::eal::{allowed_cpus, Eal, EalConfig};
use dataplane::mempool::{Mempool, SOCKET_ANY};
use dataplane::pcap;
use dataplane::port::{Port, PortConfig, PortDevice};
use dataplane::StopFlag;
use perf::check::{Checker, Wrong};
use perf::gen::{self, LoopConfig, PeerQueues};
use perf::latency::Latency;
use perf::traffic::{Generator, PscMode, SizeMix, TrafficConfig};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn usage() -> ! {
    eprintln!(
        "usage: upf-gen pcap --out FILE [--direction uplink|downlink|mixed] [--sessions N] \
         [--size 64|imix] [--frames N] [--psc always|never|alternate] [--vlans] [--qfis 1,5,6,9]\n       \
         upf-gen memif [--socket-dir DIR] [--direction ...] [--sessions N] [--size ...] \
         [--rate PPS] [--seconds S] [--huge]"
    );
    std::process::exit(64)
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first().cloned() else {
        usage()
    };
    let mut t = TrafficConfig::new(1000);
    let mut out = None;
    let mut frames = 65536u32;
    let mut dir = PathBuf::from("/tmp/upf-memif");
    let mut rate = 1_000_000u64;
    let mut seconds = 5u64;
    let mut huge = false;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        let mut v = || it.next().cloned().unwrap_or_else(|| usage());
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(v())),
            "--direction" => {
                (t.uplink, t.downlink) = match v().as_str() {
                    "uplink" => (1, 0),
                    "downlink" => (0, 1),
                    "mixed" => (1, 4),
                    _ => usage(),
                }
            }
            "--sessions" => t.sessions.count = v().parse().unwrap_or_else(|_| usage()),
            "--size" => t.sizes = SizeMix::parse(&v()).unwrap_or_else(|| usage()),
            "--frames" => frames = v().parse().unwrap_or_else(|_| usage()),
            "--psc" => {
                t.psc = match v().as_str() {
                    "always" => PscMode::Always,
                    "never" => PscMode::Never,
                    "alternate" => PscMode::Alternate,
                    _ => usage(),
                }
            }
            "--vlans" => {
                t.sessions.topo.n3_vlan = Some(100);
                t.sessions.topo.n6_vlan = Some(200);
            }
            "--qfis" => {
                t.sessions.qfis = v()
                    .split(',')
                    .map(|q| q.parse().unwrap_or_else(|_| usage()))
                    .collect()
            }
            "--socket-dir" => dir = PathBuf::from(v()),
            "--rate" => rate = v().parse().unwrap_or_else(|_| usage()),
            "--seconds" => seconds = v().parse().unwrap_or_else(|_| usage()),
            "--huge" => huge = true,
            _ => usage(),
        }
    }
    t.validate()?;
    match mode.as_str() {
        "pcap" => {
            let out = out.unwrap_or_else(|| usage());
            t.stride = (t.sessions.count / frames.max(1)).max(1);
            let mut g = Generator::new(t)?;
            let all: Vec<Vec<u8>> = g
                .frames(frames as usize, 0)
                .into_iter()
                .map(|f| f.1)
                .collect();
            pcap::write_file(&out, all.iter().map(Vec::as_slice))?;
            eprintln!("wrote {} frames to {}", all.len(), out.display());
            Ok(())
        }
        "memif" => memif(t, &dir, rate, seconds, huge),
        _ => usage(),
    }
}

fn memif(t: TrafficConfig, dir: &std::path::Path, rate: u64, seconds: u64, huge: bool) -> Res<()> {
    std::fs::create_dir_all(dir)?;
    let cpu = allowed_cpus().first().copied().unwrap_or(0);
    let cfg = EalConfig {
        lcores: Some(format!("0@{cpu}")),
        no_huge: !huge,
        in_memory: huge,
        memory_mb: Some(512),
        file_prefix: Some(format!("upf-gen-{}", std::process::id())),
        no_pci: true,
        no_shconf: true,
        no_telemetry: true,
        log_level: Some("warning".into()),
        ..EalConfig::default()
    };
    Eal::init(&cfg)?;
    let pool = Mempool::new("gen_pool", 16383, 256, 2176, SOCKET_ANY)?;
    let open = |name: &str, sock: &str| -> Res<Port> {
        let dev = format!(
            "net_memif_{name},role=server,id=0,socket={},socket-abstract=no",
            dir.join(sock).display()
        );
        Ok(Port::open(
            &PortConfig::new(name, PortDevice::Vdev(dev)),
            &pool,
        )?)
    };
    let mut n3 = open("gen_n3", "n3.sock")?;
    let mut n6 = open("gen_n6", "n6.sock")?;
    eprintln!(
        "memif server on {}/n3.sock and n6.sock; waiting for the UPF to connect",
        dir.display()
    );
    let t0 = Instant::now();
    while !(n3.link()?.up && n6.link()?.up) {
        if t0.elapsed() > Duration::from_secs(60) {
            return Err("the UPF did not connect within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut queues = PeerQueues {
        n3: Some((
            Box::new(n3.take_rx_queue(0).ok_or("no rx queue")?),
            Box::new(n3.take_tx_queue(0).ok_or("no tx queue")?),
        )),
        n6: Some((
            Box::new(n6.take_rx_queue(0).ok_or("no rx queue")?),
            Box::new(n6.take_tx_queue(0).ok_or("no tx queue")?),
        )),
    };
    let mut checker = Checker::new(t.sessions.clone());
    let mut g = Generator::new(t)?;
    let mut lat = Latency::new();
    let st = gen::run(
        &mut g,
        &mut checker,
        &mut lat,
        &mut queues,
        &pool,
        LoopConfig {
            pps: rate,
            duration: Duration::from_secs(seconds),
            ..LoopConfig::default()
        },
        &StopFlag::new(),
        |s| {
            eprintln!(
                "sent {} back {} ({:.2} Mpps back)",
                s.sent,
                s.received,
                s.rx_pps() / 1e6
            )
        },
    );
    let l = lat.summary();
    let wrong: serde_json::Map<String, serde_json::Value> = Wrong::ALL
        .iter()
        .map(|&w| (w.name().to_string(), checker.count(w).into()))
        .collect();
    let report = serde_json::json!({
        "offered_pps": rate, "tx_pps": st.tx_pps(), "rx_pps": st.rx_pps(),
        "sent": st.sent, "tx_full": st.tx_full, "received": st.received,
        "good": checker.good.iter().sum::<u64>(), "wrong": wrong,
        "latency_ns": { "p50": l.p50_ns, "p99": l.p99_ns, "p999": l.p999_ns, "max": l.max_ns, "count": l.count },
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    drop(queues);
    n3.close()?;
    n6.close()?;
    Ok(())
}
