//! The UPF under test, in-process: the real [`Dataplane`] (pinned polling
//! workers running `upf_core::path::process`) with the sessions of a
//! [`Sessions`] table installed through its [`dataplane::RuleSink`].
//!
//! Each session is what an SMF installs for a PDU session: an uplink PDR
//! (local F-TEID on N3, UE address, a catch-all SDF filter, outer header
//! removal) forwarding to the core, a downlink PDR (UE address) forwarding
//! into the gNB's tunnel, a QER with the session's QFI, and a volume URR
//! per direction.
//!
//! When the PFCP node exists, the same sessions arrive over N4 instead
//! (see `perf/README.md`); this module is the stand-in until then.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use dataplane::port::PortDevice;
use dataplane::{
    Attachment, Dataplane, DataplaneConfig, PortSpec, Role, StaticNeighbor, Steering, WorkerCore,
};
use upf_core::compile::{compile, SessionRules};
use upf_core::path::PathConfig;
use upf_core::rules::*;
use upf_core::sdf::SdfFilter;

use crate::traffic::Sessions;

/// URR counting uplink volume.
pub const URR_UL: u32 = 1;
/// URR counting downlink volume.
pub const URR_DL: u32 = 2;

/// Session `i` as an SMF would install it.
pub fn session(s: &Sessions, i: u32) -> Session {
    let t = &s.topo;
    let mut x = Session::new(s.seid(i));
    x.create_far(Far::forward(1, ForwardingParameters::to(Interface::Core)))
        .expect("new FAR");
    let mut dl = ForwardingParameters::to(Interface::Access);
    dl.outer_header_creation = Some(OuterHeaderCreation {
        kind: OuterHeaderCreationKind::GtpuUdpIpv4,
        teid: s.dl_teid(i),
        ipv4: Some(s.gnb(i)),
        ipv6: None,
        port: None,
    });
    x.create_far(Far::forward(2, dl)).expect("new FAR");
    x.create_qer(Qer {
        qfi: Some(s.qfi(i)),
        ..Qer::open(1)
    })
    .expect("new QER");
    x.create_urr(Urr::volume(URR_UL)).expect("new URR");
    x.create_urr(Urr::volume(URR_DL)).expect("new URR");
    let ue = Some(s.ue(i));
    let mut ul = Pdi::new(Interface::Access);
    ul.local_fteid = Some(FTeid {
        teid: s.ul_teid(i),
        ipv4: Some(t.upf_n3),
        ipv6: None,
    });
    ul.ue_ip = Some(UeIpAddress {
        ipv4: ue,
        ipv6: None,
        ipv6_prefix_len: 64,
        is_destination: false,
    });
    ul.sdf_filters =
        vec![SdfFilter::flow("permit out ip from any to assigned").expect("valid filter")];
    x.create_pdr(Pdr {
        id: 1,
        precedence: 255,
        pdi: ul,
        outer_header_removal: Some(OuterHeaderRemoval::GtpuUdpIpv4),
        far_id: Some(1),
        qer_ids: vec![1],
        urr_ids: vec![URR_UL],
    })
    .expect("new PDR");
    let mut dlp = Pdi::new(Interface::Core);
    dlp.ue_ip = Some(UeIpAddress {
        ipv4: ue,
        ipv6: None,
        ipv6_prefix_len: 64,
        is_destination: true,
    });
    x.create_pdr(Pdr {
        id: 2,
        precedence: 255,
        pdi: dlp,
        outer_header_removal: None,
        far_id: Some(2),
        qer_ids: vec![1],
        urr_ids: vec![URR_DL],
    })
    .expect("new PDR");
    x
}

/// The compiled rules of session `i`.
pub fn rules(s: &Sessions, i: u32) -> Arc<SessionRules> {
    Arc::new(compile(&session(s, i), None).expect("the bench session compiles"))
}

/// The UPF's addresses and options for the bench topology: N3 and N6
/// addresses, DL PDU Session Container on, MTU 2000 so that 1518-byte
/// user frames fit in GTP-U with a container.
pub fn path_config(s: &Sessions) -> PathConfig {
    PathConfig {
        access_v4: Some(s.topo.upf_n3),
        core_v4: Some(s.topo.upf_n6),
        mtu: 2000,
        ..PathConfig::default()
    }
}

/// Where the UPF's roles are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// N3 and N6 on separate ports.
    TwoPorts {
        /// The N3 port.
        n3: PortDevice,
        /// The N6 port.
        n6: PortDevice,
    },
    /// N3 and N6 on VLANs of one port ([`crate::traffic::Topology`]'s
    /// `n3_vlan` and `n6_vlan`).
    OnePort(PortDevice),
}

/// A dataplane configuration for `s` over `layout`, with static
/// neighbours for the gNBs and the data-network server (no ARP needed).
pub fn dataplane_config(
    s: &Sessions,
    layout: Layout,
    workers: Vec<WorkerCore>,
    mbufs: u32,
) -> DataplaneConfig {
    let t = &s.topo;
    let (ports, attachments) = match layout {
        Layout::TwoPorts { n3, n6 } => (
            vec![PortSpec::new("n3", n3), PortSpec::new("n6", n6)],
            vec![Attachment::new(Role::N3, 0), Attachment::new(Role::N6, 1)],
        ),
        Layout::OnePort(dev) => {
            let mut a3 = Attachment::new(Role::N3, 0);
            a3.vlan = t.n3_vlan;
            let mut a6 = Attachment::new(Role::N6, 0);
            a6.vlan = t.n6_vlan;
            (vec![PortSpec::new("n3n6", dev)], vec![a3, a6])
        }
    };
    let mut cfg = DataplaneConfig::new(ports, attachments, workers, path_config(s));
    cfg.max_sessions = s.count as usize;
    cfg.update_queue_depth = s.count as usize + 1024;
    cfg.mbufs = mbufs;
    cfg.steering = Steering::Off;
    cfg.idle_yield = false;
    for g in 0..t.gnbs.max(1).min(s.count) {
        cfg.static_neighbors.push(StaticNeighbor {
            role: Role::N3,
            addr: IpAddr::V4(s.gnb(g)),
            mac: t.gnb_mac,
        });
    }
    cfg.static_neighbors.push(StaticNeighbor {
        role: Role::N6,
        addr: IpAddr::V4(t.dn),
        mac: t.dn_mac,
    });
    cfg
}

/// Opens the dataplane and installs every session (before the workers
/// start, so the first packet already finds them). `progress` is called
/// now and then with the number installed.
pub fn open(
    s: &Sessions,
    cfg: DataplaneConfig,
    mut progress: impl FnMut(u32),
) -> dataplane::Result<Dataplane> {
    let mut dp = Dataplane::new(cfg)?;
    let mut sink = dp.take_rule_sink().expect("fresh dataplane");
    let mut last = 0;
    for i in 0..s.count {
        last = sink
            .install(rules(s, i), None)
            .map_err(|e| dataplane::Error::Invalid(e.to_string()))?;
        if i % 65536 == 65535 {
            progress(i + 1);
        }
    }
    dp.start()?;
    sink.wait_applied(last, Duration::from_secs(60))
        .map_err(|e| dataplane::Error::Invalid(e.to_string()))?;
    progress(s.count);
    Ok(dp)
}

/// Worker tables holding every session of `s` (for [`ring_upf_loop`]).
pub fn tables(s: &Sessions) -> upf_core::tables::Tables {
    let mut t = upf_core::tables::Tables::with_capacity(s.count as usize);
    for i in 0..s.count {
        t.apply(upf_core::tables::Update::Install(rules(s, i)));
    }
    t
}

/// What the ring loop did.
#[derive(Debug, Clone)]
pub struct RingUpfStats {
    /// Drops by reason, indexed like [`upf_core::counters::DropReason::ALL`].
    pub drops: [u64; upf_core::counters::DropReason::COUNT],
    /// Frames forwarded.
    pub forwarded: u64,
    /// Frames handed to the control side or answered (freed here).
    pub other: u64,
    /// Frames the output ring did not take.
    pub out_full: u64,
}

/// The in-process UPF under test when ports cannot be looped back to the
/// generator: [`upf_core::path::process`] on mbufs from two input rings
/// (frames arriving on N3 and on N6), Ethernet added to what it forwards
/// (next hops are the gNB and the data-network MACs of the topology), out
/// through two output rings. Runs until `stop`.
pub fn ring_upf_loop(
    s: &Sessions,
    tables: upf_core::tables::Tables,
    inputs: [dataplane::ring::RingConsumer; 2],
    outputs: [dataplane::ring::MbufRing; 2],
    stop: dataplane::StopFlag,
) -> RingUpfStats {
    use dataplane::eal::{tsc_cycles, Eal};
    use dataplane::mbuf::Burst;
    use upf_core::path::{process, PathState, Verdict};

    let cfg = path_config(s);
    let mut state = PathState::new(&cfg);
    let t = s.topo;
    let hz = Eal::get().map_or(1_000_000_000, |e| e.tsc_hz());
    let mult = ((1_000_000_000u128 << 32) / u128::from(hz.max(1))) as u64;
    let t0 = tsc_cycles();
    let [mut in3, mut in6] = inputs;
    let [out3, out6] = outputs;
    let mut rx = Burst::new();
    let mut to3 = Burst::new();
    let mut to6 = Burst::new();
    let (mut forwarded, mut other, mut out_full) = (0u64, 0u64, 0u64);
    while !stop.is_stopped() {
        let mut idle = true;
        for (ingress, q) in [(Interface::Access, &mut in3), (Interface::Core, &mut in6)] {
            if q.dequeue_burst(&mut rx) == 0 {
                continue;
            }
            idle = false;
            let now = ((u128::from(tsc_cycles() - t0) * u128::from(mult)) >> 32) as u64;
            for mut m in rx.drain(..) {
                match process(&cfg, &tables, &mut state, ingress, &mut m, now) {
                    Verdict::Forward { egress, .. } => {
                        let (dst, src, out) = if egress == Interface::Access {
                            (t.gnb_mac, t.upf_n3_mac, &mut to3)
                        } else {
                            (t.dn_mac, t.upf_n6_mac, &mut to6)
                        };
                        let Some(h) = m.prepend(14) else {
                            continue;
                        };
                        h[0..6].copy_from_slice(&dst);
                        h[6..12].copy_from_slice(&src);
                        h[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
                        forwarded += 1;
                        let _ = out.try_push(m);
                    }
                    Verdict::Drop(_) => {}
                    Verdict::Reply { .. } | Verdict::Control(_) => other += 1,
                }
            }
            for (b, r) in [(&mut to3, &out3), (&mut to6, &out6)] {
                if !b.is_empty() {
                    r.enqueue_burst(b);
                    out_full += b.len() as u64;
                    b.clear();
                }
            }
        }
        if idle {
            std::hint::spin_loop();
        }
    }
    RingUpfStats {
        drops: state.counters.drop_snapshot(),
        forwarded,
        other,
        out_full,
    }
}
