//! PFCP session establishment load.
//!
//! ```text
//! pfcp-load --upf 127.0.0.1:8805 [--sessions 100000] [--rate 50000] [--window 1024]
//!           [--smf 127.0.0.1] [--bind 0.0.0.0:0] [--timeout-ms 3000] [--fake]
//! ```
//!
//! Sets up an association with the UPF, establishes the sessions of the
//! bench topology (4 PDRs, 2 FARs, 1 QER, 1 URR each) at the target rate
//! and prints the rate achieved and response latency percentiles as JSON.
//! `--fake` starts a stand-in UPF on `--upf` in this process first (to try
//! the tool itself); `--node` starts the project's N4 node (`pfcp::node`
//! with its UDP driver and one worker applying the rules) on `--upf`.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use perf::pfcp_load::{run, spawn_fake_upf, LoadConfig, NodeUnderTest};

fn usage() -> ! {
    eprintln!(
        "usage: pfcp-load --upf ADDR:PORT [--sessions N] [--rate PER_S] [--window N] [--smf IPV4] \
         [--bind ADDR:PORT] [--timeout-ms MS] [--fake | --node]"
    );
    std::process::exit(64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = LoadConfig::new("127.0.0.1:8805".parse()?, 10_000);
    cfg.window = 1024;
    let mut fake = false;
    let mut node = false;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut v = || it.next().cloned().unwrap_or_else(|| usage());
        match a.as_str() {
            "--upf" => cfg.upf = v().parse().unwrap_or_else(|_| usage()),
            "--sessions" => cfg.sessions.count = v().parse().unwrap_or_else(|_| usage()),
            "--rate" => cfg.rate = v().parse().unwrap_or_else(|_| usage()),
            "--window" => cfg.window = v().parse().unwrap_or_else(|_| usage()),
            "--smf" => cfg.smf = v().parse().unwrap_or_else(|_| usage()),
            "--bind" => cfg.bind = v().parse().unwrap_or_else(|_| usage()),
            "--timeout-ms" => {
                cfg.timeout = Duration::from_millis(v().parse().unwrap_or_else(|_| usage()))
            }
            "--fake" => fake = true,
            "--node" => node = true,
            _ => usage(),
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let fake_thread = if fake {
        let (addr, h) = spawn_fake_upf(cfg.upf, stop.clone())?;
        cfg.upf = addr;
        Some(h)
    } else {
        None
    };
    let node_under_test = if node {
        let n = NodeUnderTest::spawn(
            cfg.upf,
            cfg.sessions.topo.upf_n3,
            cfg.sessions.count as usize + 1024,
        )?;
        cfg.upf = n.addr;
        Some(n)
    } else {
        None
    };
    let r = run(&cfg, |n| eprintln!("{n} sessions established"))?;
    stop.store(true, Ordering::Relaxed);
    let in_tables = node_under_test.map(NodeUnderTest::stop);
    if let Some(h) = fake_thread {
        let _ = h.join();
    }
    let out = serde_json::json!({
        "upf": cfg.upf.to_string(),
        "fake_upf": fake,
        "in_process_node": node,
        "sessions_in_worker_tables": in_tables,
        "sessions": cfg.sessions.count,
        "target_rate": cfg.rate,
        "window": cfg.window,
        "accepted": r.accepted,
        "rejected": r.rejected.iter().map(|(c, n)| serde_json::json!({"cause": c, "count": n})).collect::<Vec<_>>(),
        "timed_out": r.timed_out,
        "unexpected": r.unexpected,
        "seconds": r.seconds,
        "rate": r.rate,
        "latency_us": {
            "p50": r.latency.p50_ns as f64 / 1e3,
            "p99": r.latency.p99_ns as f64 / 1e3,
            "p999": r.latency.p999_ns as f64 / 1e3,
            "max": r.latency.max_ns as f64 / 1e3,
        },
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    if r.accepted < u64::from(cfg.sessions.count) {
        std::process::exit(1);
    }
    Ok(())
}
