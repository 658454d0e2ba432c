//! Shared by the examples: the session shape, a worker thread draining a
//! `Subscriber` into `Tables`, and resident memory.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use pfcp::ie::outer_header::OuterHeaderRemovalDescription as Ohr;
use pfcp::ie::*;
use pfcp::message::*;
use pfcp::node::{Node, NodeConfig};
use upf_core::publish::{Publisher, Subscriber};
use upf_core::tables::Tables;

pub const SMF: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 4);
pub const UPF: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 7);
pub const GNB: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 10);

pub fn smf() -> SocketAddr {
    SocketAddr::new(SMF.into(), 8805)
}

/// Resident set size of this process, KiB (VmRSS in /proc/self/status).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time of the calling thread, seconds (utime + stime of
/// /proc/thread-self/stat, in clock ticks of 10 ms).
pub fn thread_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / 100.0
}

/// A worker: drains the subscriber into its tables until stopped; returns
/// the tables.
pub struct Worker {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Tables>,
}

impl Worker {
    pub fn spawn(sub: Subscriber, capacity: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut tables = Tables::with_capacity(capacity);
            while !s.load(Ordering::Relaxed) {
                if sub.drain(&mut tables, 256) == 0 {
                    std::hint::spin_loop();
                    std::thread::yield_now();
                }
            }
            sub.drain(&mut tables, usize::MAX);
            tables
        });
        Worker { stop, handle }
    }

    pub fn stop(self) -> Tables {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap()
    }
}

/// A node publishing to a one-worker `Publisher`, its worker, associated
/// with the SMF.
pub fn node(max_sessions: usize) -> (Node<Publisher>, Worker) {
    let (publisher, mut subs) = Publisher::new(1, 4096);
    let worker = Worker::spawn(subs.pop().unwrap(), max_sessions.min(1 << 21));
    let mut cfg = NodeConfig::new(NodeId::Ipv4(UPF), RecoveryTimeStamp(3_900_000_000));
    cfg.max_sessions = max_sessions;
    cfg.max_sessions_per_peer = max_sessions;
    let mut node = Node::new(cfg, publisher, std::time::Instant::now());
    let setup = AssociationSetupRequest {
        node_id: NodeId::Ipv4(SMF),
        recovery_time_stamp: RecoveryTimeStamp(3_899_000_000),
        ..Default::default()
    }
    .encode(1, None)
    .unwrap();
    let now = std::time::Instant::now();
    node.handle(now, smf(), &setup);
    while node.poll_transmit(now).is_some() {}
    (node, worker)
}

/// The UE address of session number `i`.
pub fn ue(i: u64) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000u32 + (i as u32 & 0x00ff_ffff))
}

/// An establishment with 4 PDRs (uplink with CHOOSE ID shared by two,
/// one with an SDF filter; downlink by UE address, one with an SDF
/// filter), 2 FARs, 1 QER and 1 URR (volume threshold).
pub fn establishment(cp_seid: u64, ue: Ipv4Addr) -> SessionEstablishmentRequest {
    let ni = NetworkInstance::from_dns_name("internet");
    let ul_pdi = |sdf: Option<&str>| Pdi {
        source_interface: SourceInterface::Access,
        local_f_teid: Some(FTeid::Choose {
            v4: true,
            v6: false,
            choose_id: Some(1),
        }),
        network_instance: Some(ni.clone()),
        ue_ip_addresses: vec![UeIpAddress::v4(ue, false)],
        sdf_filters: sdf.map(SdfFilter::flow).into_iter().collect(),
        qfis: vec![Qfi(9)],
        ..Default::default()
    };
    let dl_pdi = |sdf: Option<&str>| Pdi {
        source_interface: SourceInterface::Core,
        network_instance: Some(ni.clone()),
        ue_ip_addresses: vec![UeIpAddress::v4(ue, true)],
        sdf_filters: sdf.map(SdfFilter::flow).into_iter().collect(),
        ..Default::default()
    };
    let pdr = |id: u16, prec: u32, pdi: Pdi, far: u32, ohr: bool| CreatePdr {
        pdr_id: PdrId(id),
        precedence: Precedence(prec),
        pdi,
        outer_header_removal: ohr.then(|| OuterHeaderRemoval::new(Ohr::GtpuUdpIpv4)),
        far_id: Some(FarId(far)),
        urr_ids: vec![UrrId(1)],
        qer_ids: vec![QerId(1)],
        ..Default::default()
    };
    SessionEstablishmentRequest {
        node_id: NodeId::Ipv4(SMF),
        cp_f_seid: FSeid::v4(cp_seid, SMF),
        create_pdrs: vec![
            pdr(1, 200, ul_pdi(None), 1, true),
            pdr(
                2,
                100,
                ul_pdi(Some(
                    "permit out 17 from 198.51.100.0/24 to assigned 5000-5100",
                )),
                1,
                true,
            ),
            pdr(3, 200, dl_pdi(None), 2, false),
            pdr(
                4,
                100,
                dl_pdi(Some("permit out 6 from 198.51.100.7 443 to assigned")),
                2,
                false,
            ),
        ],
        create_fars: vec![
            CreateFar {
                far_id: FarId(1),
                apply_action: ApplyAction::from_flags(&[ApplyAction::FORW]),
                forwarding_parameters: Some(ForwardingParameters {
                    destination_interface: DestinationInterface::Core,
                    network_instance: Some(ni.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            CreateFar {
                far_id: FarId(2),
                apply_action: ApplyAction::from_flags(&[ApplyAction::FORW]),
                forwarding_parameters: Some(ForwardingParameters {
                    destination_interface: DestinationInterface::Access,
                    outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(cp_seid as u32, GNB)),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ],
        create_qers: vec![CreateQer {
            qer_id: QerId(1),
            mbr: Some(Mbr {
                ul_kbps: 100_000,
                dl_kbps: 200_000,
            }),
            qfi: Some(Qfi(9)),
            ..Default::default()
        }],
        create_urrs: vec![CreateUrr {
            urr_id: UrrId(1),
            measurement_method: MeasurementMethod::from_flags(&[MeasurementMethod::VOLUM]),
            reporting_triggers: ReportingTriggers::from_flags(&[ReportingTriggers::VOLTH]),
            volume_threshold: Some(VolumeThreshold {
                total: Some(1 << 30),
                ..Default::default()
            }),
            ..Default::default()
        }],
        pdn_type: Some(PdnType::Ipv4),
        apn_dnn: Some(ApnDnn::from_dns_name("internet")),
        ..Default::default()
    }
}

/// A modification that switches the downlink tunnel (FAR 2) to `teid` at
/// the gNB, asking for End Marker packets on the old one (SNDEM).
pub fn switch_downlink(teid: u32) -> SessionModificationRequest {
    SessionModificationRequest {
        update_fars: vec![UpdateFar {
            far_id: FarId(2),
            update_forwarding_parameters: Some(UpdateForwardingParameters {
                outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(teid, GNB)),
                pfcpsmreq_flags: Some(PfcpSmReqFlags::from_flags(&[PfcpSmReqFlags::SNDEM])),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    }
}
