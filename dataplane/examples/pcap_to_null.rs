//! Forwards a looping `net_pcap` port (`infinite_rx=1`) to `net_null` for a
//! few seconds on the main lcore and prints packets per second: the same
//! setup as `dpdk-testpmd --forward-mode=io`, for a like-for-like check of
//! the rx/tx path.
//!
//! ```text
//! cargo run --release -p dataplane --example pcap_to_null -- [seconds] [frame_len] [--huge]
//! ```
//! Without `--huge` it runs with `--no-huge -m 256`; with it, `--in-memory`
//! (hugepages must be reserved).

use std::time::{Duration, Instant};

use dataplane::eal::{Eal, EalConfig};
use dataplane::mbuf::{self, Burst};
use dataplane::mempool::{Mempool, SOCKET_ANY};
use dataplane::pcap;
use dataplane::port::{Port, PortConfig, PortDevice};

fn frame(len: usize) -> Vec<u8> {
    let len = len.max(60);
    let mut f = vec![0u8; len];
    f[0..6].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip_len = (len - 14) as u16;
    f[14] = 0x45;
    f[16..18].copy_from_slice(&ip_len.to_be_bytes());
    f[22] = 64;
    f[23] = 17;
    f[26..30].copy_from_slice(&[10, 0, 0, 1]);
    f[30..34].copy_from_slice(&[192, 0, 2, 1]);
    f[34..36].copy_from_slice(&2152u16.to_be_bytes());
    f[36..38].copy_from_slice(&2152u16.to_be_bytes());
    f[38..40].copy_from_slice(&(ip_len - 20).to_be_bytes());
    f
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let huge = args.iter().any(|a| a == "--huge");
    let mut nums = args.iter().filter_map(|a| a.parse::<u64>().ok());
    let seconds = nums.next().unwrap_or(5);
    let len = nums.next().unwrap_or(64) as usize;

    let dir = std::env::temp_dir().join(format!("upf-pcap-to-null-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("in.pcap");
    let frames: Vec<Vec<u8>> = (0..64).map(|_| frame(len)).collect();
    pcap::write_file(&input, frames.iter().map(Vec::as_slice))?;

    let cfg = EalConfig {
        no_huge: !huge,
        in_memory: huge,
        memory_mb: Some(256),
        file_prefix: Some(format!("upf-bench-{}", std::process::id())),
        keep_caller_affinity: false,
        ..EalConfig::for_tests()
    };
    let eal = Eal::init(&cfg)?;
    eprintln!("EAL args: {:?}", eal.args());
    let pool = Mempool::new("bench_pool", 8191, 256, 2176, SOCKET_ANY)?;
    let rx_dev = format!("net_pcap_bench0,rx_pcap={},infinite_rx=1", input.display());
    let mut rx_port = Port::open(&PortConfig::new("in", PortDevice::Vdev(rx_dev)), &pool)?;
    let mut tx_port = Port::open(
        &PortConfig::new("out", PortDevice::Vdev("net_null_bench0".into())),
        &pool,
    )?;
    let mut rxq = rx_port.take_rx_queue(0).expect("queue");
    let mut txq = tx_port.take_tx_queue(0).expect("queue");

    let mut burst = Burst::new();
    let (mut fwd, mut dropped) = (0u64, 0u64);
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    'outer: loop {
        for _ in 0..1024 {
            if rxq.rx_burst(&mut burst) == 0 {
                continue;
            }
            fwd += txq.tx_burst(&mut burst) as u64;
            if !burst.is_empty() {
                dropped += burst.len() as u64;
                mbuf::free_bulk(&mut burst);
            }
        }
        if Instant::now() >= end {
            break 'outer;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "forwarded {fwd} packets of {len} B in {secs:.2} s: {:.2} Mpps (tx drops {dropped})",
        fwd as f64 / secs / 1e6
    );
    drop((rxq, txq));
    rx_port.close()?;
    tx_port.close()?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
