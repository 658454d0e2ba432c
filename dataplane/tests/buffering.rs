//! Downlink buffering through the real poll loop.
//!
//! N6 is a `net_ring` port attached to a ring this test creates, so the
//! test decides when each downlink packet arrives; N3 is a `net_pcap` port
//! whose output is read back. One worker.
//!
//! 1. The session's downlink FAR buffers with NOCP (BAR: 8 packets). Five
//!    packets arrive: all are held (counter), none leaves, and the control
//!    side hears of the episode once.
//! 2. The FAR is changed to forward into a new gNB tunnel; then three more
//!    packets arrive. N3 carries the five buffered packets, in order, then
//!    the three later ones, each GTP-U encapsulated with the new TEID (the
//!    frames compared with scapy's, and decoded by tshark). Each packet is
//!    received, and counted by the URR, once.
//! 3. The FAR buffers again (BAR: 2 packets): a new episode, told once;
//!    four packets, two kept and two dropped as `buffer_full`. Deleting
//!    the session drops the two kept as `buffer_discarded`.
//! 4. A second session buffers without NOCP: held, not told, and dropped
//!    as `buffer_discarded` when the dataplane stops.
//!
//! Needs DPDK's `net_ring` and `net_pcap`, `/usr/bin/python3` with scapy,
//! and tshark.

mod common;

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::time::Duration;

use common::sessions::{self, SessionSpec, URR_DL};
use common::{hex, python, tshark, unhex, unique, wait_for, TempDir};
use dataplane::ring::MbufRing;
use dataplane::{
    eal, pcap, ControlFrame, Dataplane, Mbuf, Role, RuleSink, StaticNeighbor, WorkerCore,
};
use upf_core::compile::{compile, SessionRules};
use upf_core::counters::{DropReason, Stat};
use upf_core::path::ControlEvent;
use upf_core::rules::{ApplyAction, Bar};

const N3: [u8; 4] = [192, 0, 2, 1];
const GNB: [u8; 4] = [192, 0, 2, 10];
const N6: [u8; 4] = [198, 51, 100, 1];
const GNB_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0a, 0x0a];
const QFI: u8 = 5;
const OLD_TEID: u32 = 0x2000;
const NEW_TEID: u32 = 0x3000;

fn spec(seid: u64, dl_teid: u32) -> SessionSpec {
    SessionSpec {
        seid,
        ue: [10, 45, 0, 9 + seid as u8].into(),
        ul_teid: 0x100 + seid as u32,
        dl_teid,
        n3: N3.into(),
        gnb: GNB.into(),
        qfi: QFI,
    }
}

/// The session of `s` with its downlink FAR (2) buffering: with NOCP when
/// `notify`, and a BAR suggesting `suggested` packets.
fn buffering(
    s: &SessionSpec,
    notify: bool,
    suggested: u16,
    previous: Option<&SessionRules>,
) -> Arc<SessionRules> {
    let mut x = sessions::session(s);
    x.create_bar(Bar {
        id: 1,
        dl_data_notification_delay_ms: None,
        suggested_buffering_packets: Some(suggested),
    })
    .unwrap();
    let mut far = x.far(2).unwrap().clone();
    far.apply_action = if notify {
        ApplyAction::BUFF | ApplyAction::NOCP
    } else {
        ApplyAction::BUFF
    };
    far.bar_id = Some(1);
    x.update_far(far).unwrap();
    Arc::new(compile(&x, previous).unwrap())
}

/// Downlink frames from the DN to UE `ue`, IPv4 Identification `ids`, and
/// what N3 must carry for each (the gNB tunnel `teid`), from scapy.
const SCRIPT: &str = r#"
import json
from scapy.all import Ether, IP, UDP, Raw
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer
N3_MAC, N6_MAC, UE, TEID, QFI, IDS = "@N3_MAC@", "@N6_MAC@", "@UE@", @TEID@, @QFI@, @IDS@
def routed(inner):
    p = IP(bytes(inner))
    p.ttl -= 1
    del p.chksum
    return IP(bytes(p))
ins, outs = [], []
for k in IDS:
    dl = IP(src="203.0.113.5", dst=UE, ttl=60, id=k) / UDP(sport=41000, dport=40000) / Raw(b"seq-%d-" % k + b"y" * (k + 3))
    ins.append(Ether(src="02:00:00:00:fe:fe", dst=N6_MAC) / dl)
    outs.append(Ether(src=N3_MAC, dst="02:00:00:00:0a:0a")
                / IP(src="192.0.2.1", dst="192.0.2.10", id=0, ttl=64, flags=0) / UDP(sport=2152, dport=2152, chksum=0)
                / GTP_U_Header(teid=TEID, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=0, QFI=QFI)
                / routed(dl))
print(json.dumps({"in": [bytes(p).hex() for p in ins], "out": [bytes(p).hex() for p in outs]}))
"#;

struct Frames {
    ins: Vec<Vec<u8>>,
    outs: Vec<Vec<u8>>,
}

fn frames(n3_mac: [u8; 6], n6_mac: [u8; 6], s: &SessionSpec, teid: u32, ids: &[u16]) -> Frames {
    let mac = |m: [u8; 6]| {
        m.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let script = SCRIPT
        .replace("@N3_MAC@", &mac(n3_mac))
        .replace("@N6_MAC@", &mac(n6_mac))
        .replace("@UE@", &s.ue.to_string())
        .replace("@TEID@", &teid.to_string())
        .replace("@QFI@", &QFI.to_string())
        .replace("@IDS@", &format!("{ids:?}"));
    let v: serde_json::Value = serde_json::from_str(&python(&script)).unwrap();
    let list = |k: &str| -> Vec<Vec<u8>> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|h| unhex(h.as_str().unwrap()))
            .collect()
    };
    Frames {
        ins: list("in"),
        outs: list("out"),
    }
}

/// Masks the outer IPv4 Identification (a per-worker counter) and header
/// checksum, after checking the checksum.
fn normalise(frame: &[u8]) -> Vec<u8> {
    let mut f = frame.to_vec();
    assert!(f.len() > 34 && f[26..30] == N3, "an outer header from N3");
    assert_eq!(
        upf_core::wire::checksum::checksum(&f[14..34]),
        0,
        "outer IPv4 checksum of {}",
        hex(frame)
    );
    f[18..20].fill(0);
    f[24..26].fill(0);
    f
}

/// `rte_eth_from_rings`' arguments to the `net_ring` driver (its
/// `struct ring_internal_args`, passed by address in the `internal` vdev
/// argument), so that the port is opened by name like any vdev.
#[repr(C)]
struct RingPortArgs {
    rx_queues: *const *mut dataplane::sys::rte_ring,
    nb_rx_queues: u32,
    tx_queues: *const *mut dataplane::sys::rte_ring,
    nb_tx_queues: u32,
    numa_node: u32,
    /// Its own address: the driver checks it.
    addr: *const RingPortArgs,
}

/// The vdev string of a `net_ring` port named `name` receiving from the
/// ring `rx` and sending into `tx`, and the arguments it points to (keep
/// them until the port is open).
fn ring_port(
    name: &str,
    rx: &str,
    tx: &str,
) -> (
    String,
    Box<(RingPortArgs, [*mut dataplane::sys::rte_ring; 2])>,
) {
    let lookup = |n: &str| {
        let c = std::ffi::CString::new(n).unwrap();
        // SAFETY: EAL is up; `c` is a valid C string for the call.
        let r = unsafe { dataplane::sys::rte_ring_lookup(c.as_ptr()) };
        assert!(!r.is_null(), "ring {n}");
        r
    };
    let mut b = Box::new((
        RingPortArgs {
            rx_queues: std::ptr::null(),
            nb_rx_queues: 1,
            tx_queues: std::ptr::null(),
            nb_tx_queues: 1,
            numa_node: 0,
            addr: std::ptr::null(),
        },
        [lookup(rx), lookup(tx)],
    ));
    b.0.rx_queues = &b.1[0];
    b.0.tx_queues = &b.1[1];
    b.0.addr = &b.0;
    (format!("{name},internal={:p}", &b.0), b)
}

/// What the test drives: the dataplane, its rule sink, the N6 source ring
/// and the control events.
struct Rig {
    dp: Dataplane,
    sink: RuleSink,
    source: MbufRing,
    events: Receiver<ControlFrame>,
}

impl Rig {
    fn send(&self, frames: &[Vec<u8>]) {
        for f in frames {
            let m = Mbuf::from_slice(self.dp.pool(), f).unwrap();
            assert!(self.source.enqueue(m).is_ok(), "source ring full");
        }
    }

    fn install(&mut self, r: &Arc<SessionRules>, retire: Option<Arc<SessionRules>>) {
        let e = self.sink.install(r.clone(), retire).unwrap();
        self.sink.wait_applied(e, Duration::from_secs(30)).unwrap();
    }

    /// The buffering events so far (waiting `settle` for stragglers).
    fn buffer_events(&self, settle: Duration) -> Vec<(u64, u16, u32, bool)> {
        std::thread::sleep(settle);
        let mut v = Vec::new();
        while let Ok(f) = self.events.try_recv() {
            if let ControlEvent::Buffer {
                seid,
                pdr_id,
                far_id,
                notify,
            } = f.event
            {
                assert!(f.frame.is_empty(), "the packet stays buffered");
                v.push((seid, pdr_id, far_id, notify));
            }
        }
        v
    }

    fn wait_stats(&self, what: &str, f: impl Fn(&dataplane::DataplaneStats) -> bool) {
        wait_for(Duration::from_secs(30), what, || f(&self.dp.stats()));
    }
}

#[test]
fn buffered_packets_leave_in_order_before_later_ones() {
    eal::init_for_tests();
    let dir = TempDir::new("buffering");
    pcap::write_file(dir.path("empty.pcap"), std::iter::empty()).unwrap();

    // N6: a `net_ring` port receiving from a ring the test fills (and
    // sending into another).
    let (src_name, out_name) = (unique("bsrc"), unique("bout"));
    let (source, _source_consumer) = MbufRing::new(&src_name, 1024).unwrap();
    let (_out, _out_consumer) = MbufRing::new(&out_name, 1024).unwrap();
    let (n6_dev, _n6_args) = ring_port(&unique("net_ring_bn6_"), &src_name, &out_name);
    let n3_dev = format!(
        "{},rx_pcap={},tx_pcap={}",
        unique("net_pcap_bn3_"),
        dir.path("empty.pcap").display(),
        dir.path("n3_out.pcap").display()
    );
    let mut cfg = common::n3_n6_config(
        n3_dev,
        n6_dev,
        (N3.into(), N6.into(), None),
        vec![WorkerCore::Cpu(common::cpus()[0])],
    );
    cfg.buffer_packets = 64;
    cfg.buffer_per_session = 16;
    cfg.static_neighbors = vec![StaticNeighbor {
        role: Role::N3,
        addr: std::net::Ipv4Addr::from(GNB).into(),
        mac: GNB_MAC,
    }];
    let (events_tx, events) = sync_channel(64);
    cfg.control_events = Some(events_tx);
    let mut dp = Dataplane::new(cfg).expect("dataplane");
    let sink = dp.take_rule_sink().unwrap();
    dp.start().unwrap();
    let (n3_mac, n6_mac) = (dp.mac(Role::N3).unwrap(), dp.mac(Role::N6).unwrap());
    let mut rig = Rig {
        dp,
        sink,
        source,
        events,
    };

    // 1. Buffering with NOCP: held, told once.
    let s1 = spec(1, OLD_TEID);
    let v1 = buffering(&s1, true, 8, None);
    rig.install(&v1, None);
    let first = frames(n3_mac, n6_mac, &s1, NEW_TEID, &[0, 1, 2, 3, 4, 5, 6, 7]);
    rig.send(&first.ins[..5]);
    rig.wait_stats("five packets buffered", |s| {
        s.buffered() == 5 && s.stat(Stat::Buffered) == 5
    });
    let st = rig.dp.stats();
    assert_eq!(
        st.ports[0].unwrap().opackets,
        0,
        "nothing leaves while buffering"
    );
    assert_eq!(
        st.stat(Stat::ToControl),
        0,
        "buffered packets stay in the worker"
    );
    assert_eq!(st.total_drops(), 0, "{st:#?}");
    assert_eq!(
        rig.buffer_events(Duration::from_millis(100)),
        [(1, 2, 2, true)],
        "one Downlink Data Report request for the episode"
    );

    // 2. Forward into a new tunnel; later packets after the change.
    let v2 = sessions::rules(&spec(1, NEW_TEID), Some(&v1));
    rig.install(&v2, Some(v1.clone()));
    rig.send(&first.ins[5..]);
    rig.wait_stats("eight packets out on N3", |s| {
        s.ports[0].unwrap().opackets == 8
    });
    let st = rig.dp.stats();
    assert_eq!(st.buffered(), 0);
    assert_eq!(st.workers[0].buffer_released, 5);
    assert_eq!(st.stat(Stat::Rx), 8, "each packet received once");
    assert_eq!(st.stat(Stat::Buffered), 5);
    assert_eq!(st.stat(Stat::ForwardAccess), 8);
    assert_eq!(st.stat(Stat::Encap), 8);
    let dl = v2.urr_counters(URR_DL).unwrap().snapshot();
    assert_eq!(dl.dl_packets, 8, "the URR counts each packet once");
    assert!(rig.buffer_events(Duration::ZERO).is_empty());

    // 3. A second episode: told again; the BAR's limit holds; deletion
    // drops what is held.
    let v3 = buffering(&spec(1, NEW_TEID), true, 2, Some(&v2));
    rig.install(&v3, Some(v2.clone()));
    let again = frames(n3_mac, n6_mac, &s1, NEW_TEID, &[20, 21, 22, 23]);
    rig.send(&again.ins);
    rig.wait_stats("two buffered, two over the BAR's limit", |s| {
        s.buffered() == 2 && s.drops(DropReason::BufferFull) == 2
    });
    assert_eq!(
        rig.buffer_events(Duration::from_millis(100)),
        [(1, 2, 2, true)],
        "a new episode is reported once"
    );
    let e = rig.sink.remove(1, Some(v3.clone())).unwrap();
    rig.sink.wait_applied(e, Duration::from_secs(30)).unwrap();
    rig.wait_stats("the deleted session's packets dropped", |s| {
        s.buffered() == 0 && s.drops(DropReason::BufferDiscarded) == 2
    });

    // 4. Buffering without NOCP: not told; dropped at the stop.
    let s2 = spec(2, OLD_TEID);
    let w1 = buffering(&s2, false, 8, None);
    rig.install(&w1, None);
    let other = frames(n3_mac, n6_mac, &s2, OLD_TEID, &[30]);
    rig.send(&other.ins);
    rig.wait_stats("held", |s| s.buffered() == 1);
    assert!(rig.buffer_events(Duration::from_millis(100)).is_empty());

    let stats = rig.dp.stop().expect("clean stop");
    assert_eq!(stats.buffered(), 0);
    assert_eq!(stats.drops(DropReason::BufferDiscarded), 3, "{stats:#?}");
    assert_eq!(stats.drops(DropReason::BufferFull), 2);
    assert_eq!(stats.total_drops(), 5, "{stats:#?}");
    assert_eq!(stats.stat(Stat::Rx), 13);
    assert_eq!(stats.stat(Stat::Buffered), 10);

    // N3: the buffered packets in order, then the later ones, exactly.
    let got = pcap::read_file(dir.path("n3_out.pcap")).unwrap();
    let got: Vec<String> = got.iter().map(|p| hex(&normalise(&p.data))).collect();
    let want: Vec<String> = first.outs.iter().map(|f| hex(&normalise(f))).collect();
    assert_eq!(got, want, "N3 output, in order");
    let fields = tshark(
        &dir.path("n3_out.pcap"),
        &[
            "-o",
            "ip.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "gtp.teid",
            "-e",
            "gtp.ext_hdr.pdu_ses_con.qos_flow_id",
            "-e",
            "ip.id",
            "-e",
            "_ws.malformed",
        ],
    );
    let lines: Vec<&str> = fields.lines().collect();
    assert_eq!(lines.len(), 8, "{fields}");
    for (k, l) in lines.iter().enumerate() {
        let cols: Vec<&str> = l.split('\t').collect();
        assert_eq!(cols[0], format!("{NEW_TEID:#010x}"), "{l}");
        assert_eq!(cols[1], QFI.to_string(), "{l}");
        let inner_id = cols[2].rsplit(',').next().unwrap();
        assert_eq!(
            u16::from_str_radix(inner_id.trim_start_matches("0x"), 16).unwrap(),
            k as u16,
            "packet {k} in order: {l}"
        );
        assert!(cols.get(3).is_none_or(|m| m.is_empty()), "malformed: {l}");
    }
}
