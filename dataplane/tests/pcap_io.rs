//! DPDK integration tests: one EAL per test binary (no hugepages, no PCI),
//! every test with its own hot-plugged vdevs and mempool.
//!
//! Needs DPDK's `net_pcap`, `net_null` and `net_ring` drivers, and
//! `/usr/bin/python3` with scapy for the independent pcap encoder.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use dataplane::eal::{self, Eal, EalConfig};
use dataplane::lcore::{self, StopFlag};
use dataplane::mbuf::{self, Burst, Mbuf, MbufMeta};
use dataplane::mempool::{Mempool, SOCKET_ANY};
use dataplane::pcap;
use dataplane::port::{Port, PortConfig, PortDevice};
use dataplane::Error;
use upf_core::buf::PacketBuf;

/// A name unique within this process, for vdevs, pools and temp dirs.
fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}{}", N.fetch_add(1, Ordering::Relaxed))
}

fn pool(mbufs: u32) -> Mempool {
    eal::init_for_tests();
    Mempool::new(&unique("test_pool_"), mbufs, 0, 2048 + 128, SOCKET_ANY).expect("mempool")
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let d = std::env::temp_dir().join(format!("upf-dp-{}-{}", std::process::id(), unique("t")));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a scapy script with Debian's interpreter; returns stdout.
fn scapy(script: &str) -> String {
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .output()
        .expect("run /usr/bin/python3");
    assert!(
        out.status.success(),
        "scapy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// 100 Ethernet/IPv4/UDP frames of varied sizes (60..=1514 bytes on the
/// wire), written by scapy.
fn make_input(path: &Path) {
    scapy(&format!(
        r#"
from scapy.all import Ether, IP, UDP, Raw, wrpcap
pkts = []
for i in range(100):
    n = (i * 37) % 1473
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.%d" % (i % 250 + 1), dst="192.0.2.1", id=i) / UDP(sport=1000 + i, dport=2152) / Raw(bytes((i + j) % 256 for j in range(n)))
    pkts.append(p)
wrpcap("{}", pkts)
"#,
        path.display()
    ));
}

/// The packets of a pcap file as scapy reads them, hex per line.
fn scapy_hex(path: &Path) -> Vec<String> {
    scapy(&format!(
        r#"
from scapy.all import rdpcap
for p in rdpcap("{}"):
    print(bytes(p).hex())
"#,
        path.display()
    ))
    .lines()
    .map(str::to_owned)
    .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn pcap_forward_is_byte_exact() {
    let pool = pool(1024);
    let dir = TempDir::new();
    let (input, output) = (dir.path("in.pcap"), dir.path("out.pcap"));
    make_input(&input);

    // Our reader agrees with scapy's on the input.
    let want = pcap::read_file(&input).unwrap();
    assert_eq!(want.len(), 100);
    let want_hex: Vec<String> = want.iter().map(|p| hex(&p.data)).collect();
    assert_eq!(want_hex, scapy_hex(&input));

    let rx_dev = format!("{},rx_pcap={}", unique("net_pcap_rx"), input.display());
    let tx_dev = format!("{},tx_pcap={}", unique("net_pcap_tx"), output.display());
    let mut rx =
        Port::open(&PortConfig::new("in", PortDevice::Vdev(rx_dev)), &pool).expect("open rx port");
    let mut tx =
        Port::open(&PortConfig::new("out", PortDevice::Vdev(tx_dev)), &pool).expect("open tx port");
    assert_eq!(rx.caps().driver, "net_pcap");
    assert_eq!(rx.caps().rss_hf, 0, "net_pcap offers no RSS");

    let mut burst = Burst::new();
    let (mut idle, mut forwarded) = (0, 0);
    while idle < 100 {
        if rx.rx_burst(0, &mut burst) == 0 {
            idle += 1;
        } else {
            idle = 0;
        }
        while !burst.is_empty() {
            forwarded += tx.tx_burst(0, &mut burst);
        }
    }
    assert_eq!(forwarded, 100);
    let (si, so) = (rx.stats().unwrap(), tx.stats().unwrap());
    assert_eq!(si.ipackets, 100);
    assert_eq!(so.opackets, 100);
    assert_eq!(
        si.ibytes,
        want.iter().map(|p| p.data.len() as u64).sum::<u64>()
    );
    assert_eq!(so.obytes, si.ibytes);
    rx.close().unwrap();
    tx.close().unwrap();

    let got = pcap::read_file(&output).unwrap();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.data, w.data, "packet {i} differs");
    }
    // And scapy reads what net_pcap wrote the same way.
    assert_eq!(scapy_hex(&output), want_hex);
    assert_eq!(pool.in_use_count(), 0, "every mbuf is back in the pool");
}

#[test]
fn pcap_writer_output_reads_in_scapy() {
    let dir = TempDir::new();
    let f = dir.path("w.pcap");
    let pkts: Vec<Vec<u8>> = (0..5u8).map(|i| (0..60 + i).collect()).collect();
    pcap::write_file(&f, pkts.iter().map(Vec::as_slice)).unwrap();
    let want: Vec<String> = pkts.iter().map(|p| hex(p)).collect();
    assert_eq!(scapy_hex(&f), want);
}

#[test]
fn mbuf_packetbuf_ops() {
    let pool = pool(64);
    let payload: Vec<u8> = (0..100).collect();
    let mut m = Mbuf::from_slice(&pool, &payload).unwrap();
    assert!(m.is_contiguous());
    assert_eq!(PacketBuf::data(&m), &payload[..]);
    assert_eq!(PacketBuf::headroom(&m), 128);
    assert_eq!(m.pkt_len(), 100);
    assert_eq!(m.tailroom(), 2048 - 100);
    assert_eq!(m.refcnt(), 1);

    // Prepend into the headroom (encapsulation).
    assert!(PacketBuf::prepend(&mut m, 36));
    PacketBuf::data_mut(&mut m)[..36].fill(0xee);
    assert_eq!(m.len(), 136);
    assert_eq!(m.pkt_len(), 136);
    assert_eq!(PacketBuf::headroom(&m), 92);
    assert!(!PacketBuf::prepend(&mut m, 93), "more than the headroom");
    assert_eq!(m.len(), 136, "unchanged after a refused prepend");

    // Remove it again (decapsulation).
    assert!(PacketBuf::adj(&mut m, 36));
    assert_eq!(PacketBuf::data(&m), &payload[..]);
    assert!(!PacketBuf::adj(&mut m, 101));
    assert_eq!(m.len(), 100);

    // Truncate.
    assert!(PacketBuf::truncate(&mut m, 60));
    assert_eq!(PacketBuf::data(&m), &payload[..60]);
    assert_eq!(m.pkt_len(), 60);
    assert!(!PacketBuf::truncate(&mut m, 61));
    assert!(PacketBuf::truncate(&mut m, 60));
    assert!(PacketBuf::truncate(&mut m, 0));
    assert!(PacketBuf::is_empty(&m));

    // Append and raw round trip.
    assert!(m.extend_from_slice(&[1, 2, 3]));
    assert!(!m.extend_from_slice(&vec![0; 4096]));
    let raw = m.into_raw();
    // SAFETY: `raw` came from into_raw just above and is handed back once.
    let m = unsafe { Mbuf::from_raw(raw) };
    assert_eq!(m.data(), &[1, 2, 3]);
    assert!(Mbuf::from_slice(&pool, &vec![0; 4096]).is_err());
}

#[test]
fn mbuf_drop_returns_to_pool() {
    let pool = pool(64);
    assert_eq!(pool.capacity(), 64);
    assert_eq!(pool.avail_count(), 64);
    let held: Vec<Mbuf> = (0..10).map(|_| Mbuf::alloc(&pool).unwrap()).collect();
    assert_eq!(pool.avail_count(), 54);
    assert_eq!(pool.in_use_count(), 10);
    drop(held);
    assert_eq!(pool.avail_count(), 64);

    let mut burst = Burst::new();
    Mbuf::alloc_bulk(&pool, &mut burst, 32).unwrap();
    assert_eq!(burst.len(), 32);
    assert!(
        Mbuf::alloc_bulk(&pool, &mut burst, 1).is_err(),
        "the burst is full"
    );
    assert_eq!(pool.in_use_count(), 32);
    mbuf::free_bulk(&mut burst);
    assert!(burst.is_empty());
    assert_eq!(pool.in_use_count(), 0);

    // Exhaustion is an error, not a panic.
    let all: Vec<Mbuf> = (0..64).map(|_| Mbuf::alloc(&pool).unwrap()).collect();
    assert!(matches!(Mbuf::alloc(&pool), Err(Error::NoMbufs(_))));
    drop(all);
    assert_eq!(pool.avail_count(), 64);
}

#[test]
fn null_port_tx_and_rx() {
    let pool = pool(512);
    let dev = unique("net_null_t");
    let mut port = Port::open(&PortConfig::new("null", PortDevice::Vdev(dev)), &pool).unwrap();
    assert_eq!(port.caps().driver, "net_null");
    let mut burst = Burst::new();
    for _ in 0..32 {
        burst.push(Mbuf::from_slice(&pool, &[0xab; 64]).unwrap());
    }
    assert_eq!(port.tx_burst(0, &mut burst), 32);
    assert!(burst.is_empty());
    assert_eq!(
        port.rx_burst(0, &mut burst),
        32,
        "net_null makes packets on RX"
    );
    assert_eq!(burst[0].len(), 64);
    mbuf::free_bulk(&mut burst);
    let s = port.stats().unwrap();
    assert_eq!((s.opackets, s.ipackets), (32, 32));
    assert!(port.link().unwrap().up);
    let xs = port.xstats().unwrap();
    assert!(
        xs.iter().any(|(n, v)| n == "tx_good_packets" && *v == 32),
        "{xs:?}"
    );
    port.close().unwrap();
    assert_eq!(pool.in_use_count(), 0);
}

#[test]
fn ring_port_loops_back() {
    let pool = pool(256);
    let dev = unique("net_ring_t");
    let mut port = Port::open(&PortConfig::new("ring", PortDevice::Vdev(dev)), &pool).unwrap();
    assert_eq!(port.caps().driver, "net_ring");
    let mut burst = Burst::new();
    for i in 0..10u8 {
        burst.push(Mbuf::from_slice(&pool, &[i; 80]).unwrap());
    }
    assert_eq!(port.tx_burst(0, &mut burst), 10);
    assert_eq!(port.rx_burst(0, &mut burst), 10);
    for (i, m) in burst.iter().enumerate() {
        assert_eq!(m.data(), &[i as u8; 80]);
    }
    burst.clear();
    assert_eq!(pool.in_use_count(), 0);
    port.close().unwrap();
}

#[test]
fn tx_keeps_what_was_not_sent() {
    // A net_ring port's ring (1024 slots) fills up: the burst that does not
    // fit is partly sent, and the rest stays, in order, in the burst.
    let pool = pool(1200);
    let dev = unique("net_ring_full");
    let mut port = Port::open(&PortConfig::new("ring", PortDevice::Vdev(dev)), &pool).unwrap();
    let mut burst = Burst::new();
    let mut total = 0usize;
    let sent = loop {
        for i in 0..32u16 {
            burst.push(Mbuf::from_slice(&pool, &i.to_be_bytes()).unwrap());
        }
        let sent = port.tx_burst(0, &mut burst);
        total += sent;
        if sent < 32 {
            break sent;
        }
        assert!(total < 4096, "the ring never filled");
    };
    assert_eq!(burst.len(), 32 - sent);
    for (k, m) in burst.iter().enumerate() {
        assert_eq!(
            usize::from(u16::from_be_bytes([m.data()[0], m.data()[1]])),
            sent + k,
            "unsent stay in order"
        );
    }
    // Nothing more fits; the burst is untouched.
    assert_eq!(port.tx_burst(0, &mut burst), 0);
    assert_eq!(burst.len(), 32 - sent);
    burst.clear();
    let mut rx = Burst::new();
    let mut drained = 0;
    loop {
        let n = port.rx_burst(0, &mut rx);
        if n == 0 {
            break;
        }
        drained += n;
        mbuf::free_bulk(&mut rx);
    }
    assert_eq!(drained, total);
    assert_eq!(pool.in_use_count(), 0);
    port.close().unwrap();
}

#[test]
fn queue_handles_move_to_workers() {
    let pool = pool(512);
    let dev = unique("net_ring_q");
    let mut port = Port::open(&PortConfig::new("ring", PortDevice::Vdev(dev)), &pool).unwrap();
    let mut rxq = port.take_rx_queue(0).unwrap();
    let mut txq = port.take_tx_queue(0).unwrap();
    assert!(
        port.take_rx_queue(0).is_none(),
        "a queue is handed out once"
    );
    assert!(port.take_tx_queue(1).is_none(), "no such queue");

    let stop = StopFlag::new();
    let stop2 = stop.clone();
    let pool2 = pool.clone();
    let worker = std::thread::spawn(move || {
        let mut b = Burst::new();
        let mut sent = 0;
        while sent < 100 {
            b.push(Mbuf::from_slice(&pool2, &[7; 64]).unwrap());
            sent += txq.tx_burst(&mut b);
        }
        b.clear();
        let mut got = 0;
        while !stop2.is_stopped() && got < 100 {
            got += rxq.rx_burst(&mut b);
            b.clear();
        }
        (got, rxq, txq)
    });
    // While the handles are out, the port cannot be stopped.
    assert!(matches!(port.stop(), Err(Error::QueuesInUse(_))));
    let (got, rxq, txq) = worker.join().unwrap();
    stop.stop();
    assert_eq!(got, 100);
    drop((rxq, txq));
    port.stop().unwrap();
    port.start().unwrap();
    port.close().unwrap();
    assert_eq!(pool.in_use_count(), 0);
}

#[test]
fn close_waits_for_queue_handles() {
    let pool = pool(64);
    let dev = unique("net_null_h");
    let mut port = Port::open(
        &PortConfig::new("null", PortDevice::Vdev(dev.clone())),
        &pool,
    )
    .unwrap();
    let q = port.take_rx_queue(0).unwrap();
    assert!(matches!(port.close(), Err(Error::QueuesInUse(_))));
    // The device lives on while the handle does, and goes with it.
    let again = Port::open(
        &PortConfig::new("null2", PortDevice::Vdev(dev.clone())),
        &pool,
    );
    assert!(
        again.is_err(),
        "still configured and started under the handle"
    );
    drop(q);
    let reopened = Port::open(&PortConfig::new("null3", PortDevice::Vdev(dev)), &pool).unwrap();
    reopened.close().unwrap();
}

#[test]
fn eal_is_initialised_once() {
    let e = eal::init_for_tests();
    assert!(std::ptr::eq(e, Eal::get().unwrap()));
    // The same configuration is fine, another is refused.
    assert!(std::ptr::eq(e, Eal::init(&EalConfig::for_tests()).unwrap()));
    let other = EalConfig {
        memory_mb: Some(128),
        ..EalConfig::for_tests()
    };
    assert!(matches!(
        Eal::init(&other),
        Err(Error::EalConfigMismatch(_))
    ));
    assert!(e.args().iter().any(|a| a == "--no-huge"));
    assert!(e.tsc_hz() > 0);
    let t0 = eal::tsc_cycles();
    assert!(eal::tsc_cycles() >= t0);
}

#[test]
fn hotplug_and_remove_vdev() {
    let eal = eal::init_for_tests();
    let name = unique("net_null_hp");
    let id = eal.probe_vdev(&name).unwrap();
    let pool = pool(64);
    // Opening an existing port by name uses it and does not unplug it.
    let port = Port::open(
        &PortConfig::new("hp", PortDevice::Vdev(name.clone())),
        &pool,
    )
    .unwrap();
    assert_eq!(port.id(), id);
    assert_eq!(port.mac_addr().unwrap().len(), 6);
    port.close().unwrap();
    eal.remove_device("vdev", &name).unwrap();
    assert!(eal.remove_device("vdev", &name).is_err());
    assert!(eal.probe_vdev("net_nosuchdriver0").is_err());
}

#[test]
fn lcore_launch_and_pinned_thread() {
    let eal = eal::init_for_tests();
    let workers = eal.worker_lcores();
    assert!(!workers.is_empty(), "tests run with lcores 0 and 1");
    let w = workers[0];
    let stop = StopFlag::new();
    let s2 = stop.clone();
    let h = lcore::launch_on_lcore(w, move || {
        let mut spins = 0u64;
        while !s2.is_stopped() {
            spins += 1;
            std::hint::spin_loop();
        }
        (eal::current_lcore(), spins)
    })
    .unwrap();
    assert_eq!(h.lcore(), w);
    // The lcore is busy: a second launch is refused.
    assert!(lcore::launch_on_lcore(w, || ()).is_err());
    stop.stop();
    let (id, _) = h.join().unwrap();
    assert_eq!(id, Some(w));
    // A panic comes back as Err, and the lcore is free again.
    assert!(lcore::launch_on_lcore(w, || panic!("boom"))
        .unwrap()
        .join()
        .is_err());
    assert!(lcore::launch_on_lcore(eal.main_lcore(), || ()).is_err());

    let cpu = eal::allowed_cpus()[0];
    let t = lcore::spawn_pinned(cpu, "pinned", true, move || {
        (lcore::pinned_cpu(), eal::current_lcore())
    })
    .unwrap();
    let (pinned, lcore_id) = t.join().unwrap();
    assert_eq!(pinned, Some(cpu));
    assert!(lcore_id.is_some(), "registered with EAL");
    assert!(lcore::spawn_pinned(100_000, "nope", false, || ()).is_err());
}

/// Per-packet metadata as the packet path might keep it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
struct Meta {
    direction: u8,
    qfi: u8,
    session: u32,
}

// SAFETY: integers only; every byte pattern is a valid Meta.
unsafe impl MbufMeta for Meta {}

#[test]
fn mbuf_private_metadata() {
    eal::init_for_tests();
    let pool =
        Mempool::with_meta::<Meta>(&unique("meta_pool_"), 64, 0, 2048 + 128, SOCKET_ANY).unwrap();
    let mut m = Mbuf::from_slice(&pool, &[1, 2, 3]).unwrap();
    assert_eq!(
        m.meta::<Meta>(),
        Some(&Meta::default()),
        "zeroed at pool creation"
    );
    *m.meta_mut::<Meta>().unwrap() = Meta {
        direction: 1,
        qfi: 9,
        session: 0xdead_beef,
    };
    assert_eq!(m.meta::<Meta>().unwrap().session, 0xdead_beef);
    assert_eq!(m.data(), &[1, 2, 3], "metadata is not packet data");
    assert_eq!(m.headroom(), 128);

    // A pool without a private area has no metadata.
    let plain = pool_plain();
    let m2 = Mbuf::alloc(&plain).unwrap();
    assert!(m2.meta::<Meta>().is_none());
}

fn pool_plain() -> Mempool {
    pool(16)
}
