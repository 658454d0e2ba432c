//! In-process packet source and sink: `net_ring` ports over rings the test
//! fills and drains, and a clock the test moves, so that rates and delays
//! are exact in simulated time however slowly the machine runs.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use dataplane::mbuf::{free_bulk, Burst, Mbuf};
use dataplane::port::PortDevice;
use dataplane::ring::{MbufRing, RingConsumer, RingPortArgs};
use dataplane::{Mempool, PortSpec};

use super::unique;

/// A port whose RX queue `i` the test fills through `to_upf[i]` and whose
/// TX queue `i` it drains through `from_upf[i]`.
pub struct RingPort {
    pub to_upf: Vec<MbufRing>,
    pub from_upf: Vec<RingConsumer>,
    args: RingPortArgs,
}

impl RingPort {
    /// `queues` RX and TX queues; rings of `rx_size` and `tx_size` slots.
    pub fn new(queues: usize, rx_size: u32, tx_size: u32) -> Self {
        let mut to_upf = Vec::new();
        let mut from_upf = Vec::new();
        let mut tx = Vec::new();
        for _ in 0..queues {
            to_upf.push(MbufRing::new(&unique("t_in"), rx_size).unwrap().0);
            let (p, c) = MbufRing::new(&unique("t_out"), tx_size).unwrap();
            tx.push(p);
            from_upf.push(c);
        }
        let args = RingPortArgs::new(&to_upf, &tx);
        RingPort {
            to_upf,
            from_upf,
            args,
        }
    }

    /// The port for the dataplane's configuration.
    pub fn spec(&self, name: &str) -> PortSpec {
        PortSpec::new(
            name,
            PortDevice::Vdev(self.args.devargs(&unique("net_ring_t"))),
        )
    }

    /// Queues `frame` for the UPF on RX queue `q`.
    pub fn send(&self, pool: &Mempool, q: usize, frame: &[u8]) {
        let m = Mbuf::from_slice(pool, frame).expect("mbuf");
        self.to_upf[q].enqueue(m).expect("test ring has room");
    }

    /// Waits until the UPF has taken everything queued for it.
    pub fn wait_taken(&self, timeout: Duration) {
        let end = Instant::now() + timeout;
        while self.to_upf.iter().any(|r| !r.is_empty()) {
            assert!(Instant::now() < end, "the workers did not take the packets");
            std::thread::yield_now();
        }
    }

    /// Takes at most `bursts` bursts of frames the UPF sent, from every
    /// TX queue in turn (`usize::MAX`: everything).
    pub fn recv_bursts(&mut self, bursts: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut b = Burst::new();
        let mut left = bursts;
        for c in &mut self.from_upf {
            while left > 0 && c.dequeue_burst(&mut b) > 0 {
                left -= 1;
                out.extend(b.iter().map(|m| m.data().to_vec()));
                free_bulk(&mut b);
            }
        }
        out
    }

    /// Takes every frame the UPF sent.
    pub fn recv_all(&mut self) -> Vec<Vec<u8>> {
        self.recv_bursts(usize::MAX)
    }
}

/// An Ethernet + IPv4 + UDP frame whose IP packet is `ip_len` bytes long,
/// carrying `stamp` in its last 8 bytes.
pub fn udp_frame(
    dst_mac: [u8; 6],
    src_mac: [u8; 6],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ip_len: usize,
    stamp: u64,
) -> Vec<u8> {
    assert!(ip_len >= 36);
    let mut f = Vec::with_capacity(14 + ip_len);
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&[0x08, 0x00]);
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src.octets());
    ip[16..20].copy_from_slice(&dst.octets());
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    let udp_len = (ip_len - 20) as u16;
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&41000u16.to_be_bytes());
    f.extend_from_slice(&udp_len.to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.resize(14 + ip_len - 8, 0x5a);
    f.extend_from_slice(&stamp.to_be_bytes());
    f
}

/// The stamp [`udp_frame`] put in a frame (after any encapsulation).
pub fn stamp_of(frame: &[u8]) -> u64 {
    u64::from_be_bytes(frame[frame.len() - 8..].try_into().unwrap())
}

/// The Internet checksum of `b`.
pub fn checksum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// The inner IP packet's length of a G-PDU frame the UPF sent on N3
/// (Ethernet, IPv4, UDP, GTP-U with its extension headers).
pub fn inner_ip_len(frame: &[u8]) -> usize {
    let gtp = &frame[14 + 20 + 8..];
    let ip = &gtp[8 + ext_len(gtp)..];
    usize::from(u16::from_be_bytes([ip[2], ip[3]]))
}

/// Bytes of a GTP-U header's optional fields and extension headers.
fn ext_len(gtp: &[u8]) -> usize {
    if gtp[0] & 0x07 == 0 {
        return 0;
    }
    let mut n = 4;
    let mut next = gtp[11];
    while next != 0 {
        let len = usize::from(gtp[8 + n]) * 4;
        next = gtp[8 + n + len - 1];
        n += len;
    }
    n
}

pub const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
pub const GNB: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
pub const N6: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
pub const DN: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
pub const GNB_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0a, 0x0a];
pub const DN_MAC: [u8; 6] = [0x02, 0, 0, 0, 0xfe, 0xfe];

/// A dataplane between two ring ports (N3 toward the gNB, N6 toward the
/// data network), `workers` workers each polling its own queue of each
/// port (no steering), on a clock the test moves.
pub struct Rig {
    pub dp: Option<dataplane::Dataplane>,
    pub sink: dataplane::RuleSink,
    pub n3: RingPort,
    pub n6: RingPort,
    pub clock: std::sync::Arc<dataplane::clock::ManualClock>,
    pub n6_mac: [u8; 6],
    /// Simulated time now, ns.
    pub now: u64,
}

impl Rig {
    /// `egress`: the N3 attachment's egress scheduling; `n3_tx_ring`:
    /// slots of the N3 TX rings (what a congested link fills).
    pub fn new(workers: usize, egress: Option<dataplane::EgressSchedule>, n3_tx_ring: u32) -> Rig {
        use dataplane::{Attachment, DataplaneConfig, Role, StaticNeighbor, Steering, WorkerCore};
        dataplane::eal::init_for_tests();
        let n3 = RingPort::new(workers, 4096, n3_tx_ring);
        let n6 = RingPort::new(workers, 4096, 4096);
        let cpus = super::cpus();
        let cores = (0..workers)
            .map(|i| WorkerCore::Cpu(cpus[i % cpus.len()]))
            .collect();
        let path = upf_core::path::PathConfig {
            access_v4: Some(N3),
            core_v4: Some(N6),
            ..Default::default()
        };
        let start = 1_000_000_000;
        let clock = std::sync::Arc::new(dataplane::clock::ManualClock::new(start, workers));
        let mut cfg = DataplaneConfig::new(
            vec![n3.spec("n3"), n6.spec("n6")],
            vec![
                Attachment {
                    egress,
                    ..Attachment::new(Role::N3, 0)
                },
                Attachment::new(Role::N6, 1),
            ],
            cores,
            path,
        );
        cfg.mbufs = 16383;
        cfg.mbuf_cache = 64;
        cfg.ring_size = 1024;
        cfg.steering = Steering::Off;
        cfg.idle_yield = true;
        cfg.clock = Some(clock.clone());
        cfg.static_neighbors = vec![
            StaticNeighbor {
                role: Role::N3,
                addr: GNB.into(),
                mac: GNB_MAC,
            },
            StaticNeighbor {
                role: Role::N6,
                addr: DN.into(),
                mac: DN_MAC,
            },
        ];
        let mut dp = dataplane::Dataplane::new(cfg).expect("dataplane");
        for p in dp.ports() {
            assert_eq!(usize::from(p.rx_queues()), workers, "a queue per worker");
        }
        let sink = dp.take_rule_sink().unwrap();
        let n6_mac = dp.mac(Role::N6).unwrap();
        dp.start().unwrap();
        Rig {
            dp: Some(dp),
            sink,
            n3,
            n6,
            clock,
            n6_mac,
            now: start,
        }
    }

    /// The TEID of a G-PDU frame the UPF sent on N3.
    pub fn teid_of(frame: &[u8]) -> u32 {
        u32::from_be_bytes(frame[46..50].try_into().unwrap())
    }

    /// Installs (or replaces) a session's rules and waits until every
    /// worker applies them.
    pub fn install(&mut self, rules: std::sync::Arc<upf_core::compile::SessionRules>) {
        let e = self.sink.install(rules, None).unwrap();
        self.sink.wait_applied(e, Duration::from_secs(30)).unwrap();
    }

    /// A downlink packet to `ue` from the data network (IP length
    /// `ip_len`, stamped with `stamp`) on the N6 RX queue `q`.
    pub fn send_dl(&self, q: usize, ue: Ipv4Addr, ip_len: usize, stamp: u64) {
        let pool = self.dp.as_ref().unwrap().pool();
        let f = udp_frame(self.n6_mac, DN_MAC, DN, ue, ip_len, stamp);
        self.n6.send(pool, q, &f);
    }

    /// Lets the workers take what was sent, then moves the clock on by
    /// `step` ns and waits for a loop iteration of every worker at the new
    /// time. What they received was processed at the previous time.
    pub fn step(&mut self, step: u64) {
        self.n6.wait_taken(Duration::from_secs(20));
        self.n3.wait_taken(Duration::from_secs(20));
        self.now += step;
        assert!(
            self.clock.advance(self.now, Duration::from_secs(20)),
            "the workers did not follow the clock"
        );
    }

    /// Stops the dataplane; its final figures.
    pub fn stop(&mut self) -> dataplane::DataplaneStats {
        self.dp.take().unwrap().stop().expect("clean stop")
    }
}

/// An uplink G-PDU from the gNB to the UPF's N3 address on TEID `teid`
/// (no extension header), whose inner packet is [`udp_frame`]'s IP packet
/// from `ue` to the data network.
pub fn gtpu_frame(dst_mac: [u8; 6], teid: u32, ue: Ipv4Addr, ip_len: usize, stamp: u64) -> Vec<u8> {
    let inner = udp_frame([0; 6], [0; 6], ue, DN, ip_len, stamp);
    let inner = &inner[14..];
    let mut f = Vec::with_capacity(14 + 36 + inner.len());
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&GNB_MAC);
    f.extend_from_slice(&[0x08, 0x00]);
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((36 + inner.len()) as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&GNB.octets());
    ip[16..20].copy_from_slice(&N3.octets());
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&2152u16.to_be_bytes());
    f.extend_from_slice(&2152u16.to_be_bytes());
    f.extend_from_slice(&((16 + inner.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&[0x30, 0xff]);
    f.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    f.extend_from_slice(&teid.to_be_bytes());
    f.extend_from_slice(inner);
    f
}
