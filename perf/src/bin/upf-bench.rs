//! The benchmark harness: one command per named scenario.
//!
//! ```text
//! upf-bench quick                      # what perf/bench.sh quick runs
//! upf-bench uplink|downlink|mixed [--sessions 1k,100k,1M] [--sizes 64,imix]
//!           [--workers 1,2] [--seconds 2] [--warmup 1] [--frames 16384]
//!           [--huge] [--no-baseline] [--no-latency] [--out DIR] [--testpmd BIN]
//! upf-bench serve --n3 VDEV --n6 VDEV [--sessions N] [--workers 1] [--seconds S]
//! ```
//!
//! For each combination it runs, in the same run and on the same vdevs and
//! cores: the baseline (`dpdk-testpmd --forward-mode=io`, `net_pcap` with
//! `infinite_rx=1` into `net_null`), then the UPF (the real dataplane
//! workers, sessions installed, on the same `net_pcap`/`net_null` devices),
//! then the latency loop (generator and UPF path over rings, at half of the
//! loop's highest rate), and writes `results.json`, `results.md` and two
//! SVG plots to the output directory.
//!
//! `serve` runs the in-process UPF stand-in on given vdevs (e.g. `net_memif`
//! clients) until the time is up: the other side for `upf-gen memif` until
//! the `upf` binary takes that role.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use dataplane::eal::{allowed_cpus, Eal, EalConfig};
use dataplane::lcore::launch_on_lcore;
use dataplane::mempool::{Mempool, SOCKET_ANY};
use dataplane::pcap;
use dataplane::port::PortDevice;
use dataplane::ring::MbufRing;
use dataplane::{StopFlag, WorkerCore};
use perf::check::{Checker, Wrong};
use perf::gen::{self, LoopConfig, PeerQueues};
use perf::latency::Latency;
use perf::report::{markdown, ScenarioResult};
use perf::svg::{Chart, Series};
use perf::testpmd::Baseline;
use perf::traffic::{Generator, SizeMix, TrafficConfig};
use perf::upf;
use upf_core::counters::DropReason;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Debug, Clone)]
struct Opts {
    scenarios: Vec<String>,
    sessions: Vec<u32>,
    sizes: Vec<SizeMix>,
    workers: Vec<u32>,
    seconds: u32,
    warmup: u32,
    frames: u32,
    huge: bool,
    memory_mb: u32,
    baseline: bool,
    latency: bool,
    out: PathBuf,
    testpmd: String,
    // serve
    n3: Option<String>,
    n6: Option<String>,
}

fn parse_count(s: &str) -> Option<u32> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mult) = if let Some(n) = s.strip_suffix('k') {
        (n, 1_000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 1_000_000)
    } else {
        (s.as_str(), 1)
    };
    num.parse::<u32>().ok().map(|n| n * mult)
}

fn usage() -> ! {
    eprintln!(
        "usage: upf-bench quick|uplink|downlink|mixed|all [--sessions 1k,100k,1M] [--sizes 64,imix] \
         [--workers 1,2] [--seconds N] [--warmup N] [--frames N] [--huge] [--memory MB] \
         [--no-baseline] [--no-latency] [--out DIR] [--testpmd BIN]\n       \
         upf-bench serve --n3 VDEV --n6 VDEV [--sessions N] [--workers N] [--seconds N]"
    );
    std::process::exit(64)
}

fn parse(args: &[String]) -> (String, Opts) {
    let Some(cmd) = args.first().cloned() else {
        usage()
    };
    let mut o = Opts {
        scenarios: match cmd.as_str() {
            "all" | "quick" => vec!["uplink".into(), "downlink".into(), "mixed".into()],
            "serve" => vec![],
            "uplink" | "downlink" | "mixed" => vec![cmd.clone()],
            _ => usage(),
        },
        sessions: vec![1_000, 100_000],
        sizes: vec![SizeMix::Fixed(64)],
        workers: vec![1],
        seconds: 2,
        warmup: 1,
        frames: 16384,
        huge: false,
        memory_mb: 2048,
        baseline: true,
        latency: true,
        out: PathBuf::from("perf/results"),
        testpmd: "dpdk-testpmd".into(),
        n3: None,
        n6: None,
    };
    if cmd == "all" {
        o.sessions = vec![1_000, 100_000, 1_000_000];
        o.sizes = vec![SizeMix::Fixed(64), SizeMix::Imix];
        o.workers = vec![1, 2];
    }
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_else(|| usage());
        match a.as_str() {
            "--sessions" => {
                o.sessions = val()
                    .split(',')
                    .map(|s| parse_count(s).unwrap_or_else(|| usage()))
                    .collect()
            }
            "--sizes" => {
                o.sizes = val()
                    .split(',')
                    .map(|s| SizeMix::parse(s).unwrap_or_else(|| usage()))
                    .collect()
            }
            "--workers" => {
                o.workers = val()
                    .split(',')
                    .map(|s| s.parse().unwrap_or_else(|_| usage()))
                    .collect()
            }
            "--seconds" => o.seconds = val().parse().unwrap_or_else(|_| usage()),
            "--warmup" => o.warmup = val().parse().unwrap_or_else(|_| usage()),
            "--frames" => o.frames = parse_count(&val()).unwrap_or_else(|| usage()),
            "--memory" => o.memory_mb = val().parse().unwrap_or_else(|_| usage()),
            "--huge" => o.huge = true,
            "--no-baseline" => o.baseline = false,
            "--no-latency" => o.latency = false,
            "--out" => o.out = PathBuf::from(val()),
            "--testpmd" => o.testpmd = val(),
            "--n3" => o.n3 = Some(val()),
            "--n6" => o.n6 = Some(val()),
            _ => usage(),
        }
    }
    (cmd, o)
}

/// The CPUs this process may use, read once before EAL pins the main
/// thread (after which the main thread's affinity is one CPU).
fn cpus_at_start() -> &'static [usize] {
    static CPUS: OnceLock<Vec<usize>> = OnceLock::new();
    CPUS.get_or_init(allowed_cpus)
}

/// Two CPUs to run on (the same one twice on a one-CPU machine).
fn cpus() -> (usize, usize) {
    let c = cpus_at_start();
    let c0 = c.first().copied().unwrap_or(0);
    (c0, c.get(1).copied().unwrap_or(c0))
}

/// lcore 0 (main, generator) on the first CPU, workers 1 and 2 on the
/// second and the first: the same map for testpmd and for the UPF.
fn lcore_map() -> String {
    let (c0, c1) = cpus();
    format!("0@{c0},1@{c1},2@{c0}")
}

fn eal_memory_args(o: &Opts) -> Vec<String> {
    if o.huge {
        vec!["--in-memory".into(), "-m".into(), o.memory_mb.to_string()]
    } else {
        vec!["--no-huge".into(), "-m".into(), o.memory_mb.to_string()]
    }
}

/// The traffic of a scenario; `vlans` puts N3 and N6 on VLANs 100 and 200
/// (the mixed scenario runs both roles on one port).
fn traffic(scenario: &str, sessions: u32, size: SizeMix, vlans: bool) -> TrafficConfig {
    let mut t = TrafficConfig::new(sessions);
    t.sizes = size;
    (t.uplink, t.downlink) = match scenario {
        "uplink" => (1, 0),
        "downlink" => (0, 1),
        _ => (1, 4),
    };
    if vlans {
        t.sessions.topo.n3_vlan = Some(100);
        t.sessions.topo.n6_vlan = Some(200);
    }
    t
}

/// Writes the pcap input of one combination: one file per worker (queue),
/// `frames` frames in all, visiting sessions spread over the whole table.
fn write_pcaps(
    dir: &Path,
    tag: &str,
    t: &TrafficConfig,
    frames: u32,
    workers: u32,
) -> Res<Vec<PathBuf>> {
    let mut t = t.clone();
    t.stride = (t.sessions.count / frames.max(1)).max(1);
    let mut gen = Generator::new(t)?;
    let mut files: Vec<Vec<Vec<u8>>> = vec![Vec::new(); workers as usize];
    for k in 0..frames.max(workers) {
        let mut b = vec![0u8; gen.next_len()];
        gen.write_next(0, &mut b);
        // Frames alternate between queues; with fewer sessions than frames
        // a session's frames recur every `sessions` frames, which keeps it on
        // one queue when `workers` divides `sessions`, as RSS would.
        files[(k % workers) as usize].push(b);
    }
    let mut paths = Vec::new();
    for (w, f) in files.iter().enumerate() {
        let p = dir.join(format!("{tag}-q{w}.pcap"));
        pcap::write_file(&p, f.iter().map(Vec::as_slice))?;
        paths.push(p);
    }
    Ok(paths)
}

fn log(tag: &str, msg: &str) {
    eprintln!("[{tag}] {msg}");
}

/// Mbufs for a pool that must hold `frames` looping frames plus queues.
fn pool_size(frames: u32) -> u32 {
    (frames + 16384).next_power_of_two() - 1
}

fn pcap_devargs(name: &str, files: &[PathBuf]) -> String {
    let mut s = name.to_string();
    for f in files {
        s.push_str(&format!(",rx_pcap={}", f.display()));
    }
    s.push_str(",infinite_rx=1");
    s
}

struct Combo<'a> {
    scenario: &'a str,
    sessions: u32,
    size: SizeMix,
    workers: u32,
}

fn run_combo(o: &Opts, c: &Combo<'_>, n: usize, tmp: &Path) -> Res<ScenarioResult> {
    let tag = format!(
        "{} {} sessions {} B w{}",
        c.scenario,
        c.sessions,
        c.size.name(),
        c.workers
    );
    let mixed = c.scenario == "mixed";
    let t = traffic(c.scenario, c.sessions, c.size, mixed);
    let frames = o.frames.min(c.sessions.max(4096));
    let files = write_pcaps(tmp, &format!("c{n}"), &t, frames, c.workers)?;
    let mut r = ScenarioResult {
        scenario: c.scenario.into(),
        sessions: c.sessions,
        size: c.size.name(),
        workers: c.workers,
        ..Default::default()
    };
    let mean_frame = mean_input_frame(&t);

    // 1. Baseline: testpmd io, pcap (looping) into null, same lcores.
    if o.baseline {
        let mut eal = vec![
            format!("--lcores={}", lcore_map()),
            "--no-pci".into(),
            "--no-shconf".into(),
            "--no-telemetry".into(),
            format!("--file-prefix=upfb-base-{}", std::process::id()),
            "--log-level=warning".into(),
        ];
        eal.extend(eal_memory_args(o));
        eal.push(format!(
            "--vdev={}",
            pcap_devargs(&format!("net_pcap_b{n}"), &files)
        ));
        eal.push(format!("--vdev=net_null_b{n},no-rx=1"));
        let b = Baseline {
            binary: o.testpmd.clone(),
            eal,
            cores: c.workers,
            queues: c.workers,
            mbufs: pool_size(frames) + 1,
            warmup_s: o.warmup,
            measure_s: o.seconds,
        };
        log(
            &tag,
            "baseline: dpdk-testpmd io, net_pcap (infinite_rx) -> net_null",
        );
        let res = b.run(2, |pps| {
            log(&tag, &format!("  testpmd {:.2} Mpps", pps / 1e6))
        })?;
        r.base_pps = res.pps;
        // testpmd's bps counts frames without FCS.
        r.base_bps = res.bps + res.pps * 32.0;
        log(&tag, &format!("baseline {:.2} Mpps", res.pps / 1e6));
        r.commands.push(res.command);
    }

    // 2. The UPF: real dataplane workers on the same kind of devices.
    {
        let rx_dev = PortDevice::Vdev(pcap_devargs(&format!("net_pcap_u{n}"), &files));
        let null_dev = PortDevice::Vdev(format!("net_null_u{n},no-rx=1"));
        let layout = match c.scenario {
            "uplink" => upf::Layout::TwoPorts {
                n3: rx_dev,
                n6: null_dev,
            },
            "downlink" => upf::Layout::TwoPorts {
                n3: null_dev,
                n6: rx_dev,
            },
            // Both roles on VLANs of the looping port; the null port is
            // opened too so the device set matches the baseline's.
            _ => upf::Layout::OnePort(rx_dev),
        };
        let workers: Vec<WorkerCore> = (1..=c.workers).map(WorkerCore::Lcore).collect();
        let cfg = upf::dataplane_config(&t.sessions, layout, workers, pool_size(frames));
        let t0 = Instant::now();
        let dp = upf::open(&t.sessions, cfg, |k| {
            log(&tag, &format!("  installed {k} sessions"))
        })?;
        log(
            &tag,
            &format!(
                "UPF running ({} sessions in {:.1} s)",
                c.sessions,
                t0.elapsed().as_secs_f64()
            ),
        );
        std::thread::sleep(Duration::from_secs(u64::from(o.warmup)));
        let s0 = dp.stats();
        let m0 = Instant::now();
        let mut prev = s0.clone();
        for _ in 0..o.seconds {
            std::thread::sleep(Duration::from_secs(1));
            let s = dp.stats();
            let fwd = |x: &dataplane::DataplaneStats| -> u64 {
                x.ports.iter().flatten().map(|p| p.opackets).sum()
            };
            log(
                &tag,
                &format!("  upf {:.2} Mpps", (fwd(&s) - fwd(&prev)) as f64 / 1e6),
            );
            prev = s;
        }
        let s1 = dp.stats();
        let dt = m0.elapsed().as_secs_f64();
        let sum = |x: &dataplane::DataplaneStats, f: fn(&dataplane::PortStats) -> u64| -> u64 {
            x.ports.iter().flatten().map(f).sum()
        };
        let fwd = sum(&s1, |p| p.opackets) - sum(&s0, |p| p.opackets);
        let rx = sum(&s1, |p| p.ipackets) - sum(&s0, |p| p.ipackets);
        r.upf_pps = fwd as f64 / dt;
        r.upf_rx = rx;
        r.upf_bps = r.upf_pps * mean_frame * 8.0;
        r.drops = DropReason::ALL
            .iter()
            .map(|&d| (d.name().to_string(), s1.drops(d) - s0.drops(d)))
            .filter(|(_, n)| *n > 0)
            .collect();
        dp.stop()?;
        log(
            &tag,
            &format!(
                "UPF {:.2} Mpps forwarded ({:.2} Mpps/worker), {} received, ratio {:.0}%",
                r.upf_pps / 1e6,
                r.mpps_per_worker(),
                rx,
                r.ratio() * 100.0
            ),
        );
        r.commands.push(format!(
            "in-process dataplane: {} worker(s) on lcores 1..={} ({}), {}",
            c.workers,
            c.workers,
            lcore_map(),
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }

    // 3. Latency: the loop back to the generator, at half its highest rate.
    if o.latency && c.workers == 1 {
        latency_run(o, c, &tag, &mut r)?;
    }
    Ok(r)
}

/// Mean input frame size with FCS (what Gbps counts).
fn mean_input_frame(t: &TrafficConfig) -> f64 {
    let mut g = Generator::new(t.clone()).expect("validated");
    let n = 1200;
    let total: usize = (0..n)
        .map(|_| {
            let l = g.next_len();
            let mut b = vec![0; l];
            g.write_next(0, &mut b);
            l
        })
        .sum();
    total as f64 / f64::from(n) + 4.0
}

fn latency_run(o: &Opts, c: &Combo<'_>, tag: &str, r: &mut ScenarioResult) -> Res<()> {
    let t = traffic(c.scenario, c.sessions, c.size, false);
    let s = t.sessions.clone();
    let uniq = |p: &str| format!("{p}{}", r.commands.len() + c.sessions as usize % 997);
    let (in3, in3c) = MbufRing::new(&uniq("lat_in3_"), 4096)?;
    let (in6, in6c) = MbufRing::new(&uniq("lat_in6_"), 4096)?;
    let (out3, out3c) = MbufRing::new(&uniq("lat_out3_"), 4096)?;
    let (out6, out6c) = MbufRing::new(&uniq("lat_out6_"), 4096)?;
    let pool = Mempool::new(&uniq("lat_pool_"), 32767, 256, 2176, SOCKET_ANY)?;
    log(
        tag,
        "latency: generator <-> ring <-> upf_core::path on lcore 1",
    );
    let tables = upf::tables(&s);
    let stop = StopFlag::new();
    let stop2 = stop.clone();
    let s2 = s.clone();
    let h = launch_on_lcore(1, move || {
        upf::ring_upf_loop(&s2, tables, [in3c, in6c], [out3, out6], stop2)
    })?;
    let mut queues = PeerQueues {
        n3: Some((Box::new(out3c), Box::new(in3))),
        n6: Some((Box::new(out6c), Box::new(in6))),
    };
    let mut g = Generator::new(t)?;
    let mut checker = Checker::new(s.clone());
    let mut lat = Latency::new();
    let never = StopFlag::new();
    // Highest rate: unpaced.
    let max = gen::run(
        &mut g,
        &mut checker,
        &mut lat,
        &mut queues,
        &pool,
        LoopConfig {
            pps: 0,
            duration: Duration::from_secs(1),
            warmup: Duration::from_millis(300),
            ..LoopConfig::default()
        },
        &never,
        |_| {},
    );
    let loop_max = checker.good.iter().sum::<u64>() as f64 / max.seconds.max(1e-9);
    r.loop_max_pps = loop_max;
    let target = (loop_max * 0.5) as u64;
    log(
        tag,
        &format!(
            "  loop max {:.2} Mpps; measuring latency at {:.2} Mpps",
            loop_max / 1e6,
            target as f64 / 1e6
        ),
    );
    let mut checker = Checker::new(s);
    let st = gen::run(
        &mut g,
        &mut checker,
        &mut lat,
        &mut queues,
        &pool,
        LoopConfig {
            pps: target.max(1),
            duration: Duration::from_secs(u64::from(o.seconds)),
            warmup: Duration::from_millis(300),
            ..LoopConfig::default()
        },
        &never,
        |st| {
            log(
                tag,
                &format!("  latency loop: {} sent, {} back", st.sent, st.received),
            )
        },
    );
    stop.stop();
    let ring_stats = h.join().map_err(|_| "the ring UPF loop panicked")?;
    let sum = lat.summary();
    log(
        tag,
        &format!(
            "  latency p50 {:.1} µs p99 {:.1} µs p99.9 {:.1} µs ({} samples, {} wrong, {} sent, {} back, ring drops {})",
            sum.p50_ns as f64 / 1e3,
            sum.p99_ns as f64 / 1e3,
            sum.p999_ns as f64 / 1e3,
            sum.count,
            checker.total_wrong(),
            st.sent,
            st.received,
            ring_stats.drops.iter().sum::<u64>()
        ),
    );
    r.latency = Some(sum);
    r.latency_pps = st.tx_pps();
    r.cdf = lat.cdf();
    r.good = checker.good.iter().sum();
    r.wrong = Wrong::ALL
        .iter()
        .map(|&w| (w.name().to_string(), checker.count(w)))
        .filter(|(_, n)| *n > 0)
        .collect();
    r.commands.push(format!(
        "latency loop: generator on lcore 0, upf_core::path on lcore 1, rings of 4096, offered {:.2} Mpps (50% of {:.2} Mpps)",
        target as f64 / 1e6,
        loop_max / 1e6
    ));
    Ok(())
}

fn plots(results: &[ScenarioResult], out: &Path) -> Res<()> {
    // Throughput vs sessions, one line per scenario/size/workers.
    let mut keys: Vec<(String, String, u32)> = results
        .iter()
        .map(|r| (r.scenario.clone(), r.size.clone(), r.workers))
        .collect();
    keys.sort();
    keys.dedup();
    let mut series = Vec::new();
    for (sc, sz, w) in &keys {
        let pts = |f: fn(&ScenarioResult) -> f64| -> Vec<(f64, f64)> {
            let mut v: Vec<(f64, f64)> = results
                .iter()
                .filter(|r| &r.scenario == sc && &r.size == sz && r.workers == *w)
                .map(|r| (f64::from(r.sessions), f(r)))
                .collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            v
        };
        series.push(Series {
            name: format!("UPF {sc} {sz}B w{w}"),
            points: pts(|r| r.mpps_per_worker()),
        });
        if results.iter().any(|r| r.base_pps > 0.0) {
            series.push(Series {
                name: format!("testpmd {sc} {sz}B w{w}"),
                points: pts(|r| r.base_pps / 1e6 / f64::from(r.workers.max(1))),
            });
        }
    }
    let chart = Chart {
        title: "Throughput per worker vs sessions".into(),
        x_label: "sessions".into(),
        y_label: "Mpps per worker".into(),
        x_log: true,
        series,
    };
    std::fs::write(out.join("throughput_vs_sessions.svg"), chart.render())?;
    let series = results
        .iter()
        .filter(|r| !r.cdf.is_empty())
        .map(|r| Series {
            name: format!(
                "{} {} {}B",
                r.scenario,
                perf::svg::short_number(f64::from(r.sessions)),
                r.size
            ),
            points: r.cdf.iter().map(|&(ns, q)| (ns as f64 / 1e3, q)).collect(),
        })
        .collect();
    let chart = Chart {
        title: "Latency CDF at 50% of the loop's highest rate".into(),
        x_label: "latency (µs)".into(),
        y_label: "fraction of packets".into(),
        x_log: true,
        series,
    };
    std::fs::write(out.join("latency_cdf.svg"), chart.render())?;
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{} CPU(s) allowed ({}), load average {}",
        cpus_at_start().len(),
        cpu,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

fn serve(o: &Opts) -> Res<()> {
    let (n3, n6) = match (&o.n3, &o.n6) {
        (Some(a), Some(b)) => (a.clone(), b.clone()),
        _ => usage(),
    };
    let mut ecfg = EalConfig {
        lcores: Some(lcore_map()),
        no_huge: !o.huge,
        in_memory: o.huge,
        memory_mb: Some(o.memory_mb.min(1024)),
        file_prefix: Some(format!("upfb-serve-{}", std::process::id())),
        no_pci: true,
        no_shconf: true,
        no_telemetry: true,
        log_level: Some("warning".into()),
        ..EalConfig::default()
    };
    ecfg.keep_caller_affinity = false;
    Eal::init(&ecfg)?;
    let sessions = *o.sessions.first().unwrap_or(&1000);
    let t = TrafficConfig::new(sessions);
    let workers: Vec<WorkerCore> = (1..=*o.workers.first().unwrap_or(&1))
        .map(WorkerCore::Lcore)
        .collect();
    let cfg = upf::dataplane_config(
        &t.sessions,
        upf::Layout::TwoPorts {
            n3: PortDevice::Vdev(n3),
            n6: PortDevice::Vdev(n6),
        },
        workers,
        16383,
    );
    let dp = upf::open(&t.sessions, cfg, |k| eprintln!("installed {k} sessions"))?;
    eprintln!(
        "serving: N3 MAC {:02x?}, N6 MAC {:02x?}, {} sessions; {} s",
        dp.mac(dataplane::Role::N3).unwrap_or_default(),
        dp.mac(dataplane::Role::N6).unwrap_or_default(),
        sessions,
        o.seconds
    );
    std::thread::sleep(Duration::from_secs(u64::from(o.seconds)));
    let st = dp.stop()?;
    for d in DropReason::ALL {
        let n = st.drops(*d);
        if n > 0 {
            eprintln!("drop {} = {n}", d.name());
        }
    }
    for (i, p) in st.ports.iter().enumerate() {
        eprintln!("port {i}: {p:?}");
    }
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, o) = parse(&args);
    cpus_at_start();
    if cmd == "serve" {
        return serve(&o);
    }
    std::fs::create_dir_all(&o.out)?;
    let tmp = o.out.join("tmp");
    std::fs::create_dir_all(&tmp)?;
    let ecfg = EalConfig {
        lcores: Some(lcore_map()),
        no_huge: !o.huge,
        in_memory: o.huge,
        memory_mb: Some(o.memory_mb),
        file_prefix: Some(format!("upfb-{}", std::process::id())),
        no_pci: true,
        no_shconf: true,
        no_telemetry: true,
        log_level: Some("warning".into()),
        keep_caller_affinity: false,
        ..EalConfig::default()
    };
    let started = Instant::now();
    let mut results = Vec::new();
    let mut eal_up = false;
    let mut n = 0;
    for sc in &o.scenarios {
        for &sessions in &o.sessions {
            for &size in &o.sizes {
                for &workers in &o.workers {
                    n += 1;
                    let combo = Combo {
                        scenario: sc,
                        sessions,
                        size,
                        workers,
                    };
                    // EAL comes up once per process (testpmd runs beside it
                    // as a child, in its own memory).
                    if !eal_up {
                        eal_up = true;
                        Eal::init(&ecfg)?;
                    }
                    match run_combo(&o, &combo, n, &tmp) {
                        Ok(r) => results.push(r),
                        Err(e) => eprintln!("[{sc} {sessions} {}] failed: {e}", size.name()),
                    }
                }
            }
        }
    }
    let md = markdown(&results);
    let json = serde_json::json!({
        "machine": machine(),
        "eal": ecfg.args()?,
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "seconds_total": started.elapsed().as_secs_f64(),
        "results": results.iter().map(ScenarioResult::to_json).collect::<Vec<_>>(),
    });
    std::fs::write(
        o.out.join("results.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    std::fs::write(o.out.join("results.md"), &md)?;
    plots(&results, &o.out)?;
    let _ = std::fs::remove_dir_all(&tmp);
    println!("{md}");
    eprintln!(
        "wrote {} (results.json, results.md, throughput_vs_sessions.svg, latency_cdf.svg) in {:.0} s",
        o.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
