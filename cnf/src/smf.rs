//! A small SMF for labs and tests: PFCP association setup, session
//! establishment (UL and DL PDRs, FARs with outer header creation toward the
//! gNB, a QER with the QFI, a volume URR with packet counts), switching the
//! downlink between buffering and forwarding, and deletion, reading the usage
//! reports of the Deletion Response. Blocking, one UDP socket; it answers
//! the UPF's Heartbeat and Session Report Requests while it waits.
//!
//! `upf smf` ([`crate::smf::run_cli`]) drives it from the command line; the
//! integration tests use it as a library.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use pfcp::ie::outer_header::OuterHeaderRemovalDescription;
use pfcp::ie::*;
use pfcp::message::*;
use pfcp::{Cause, Header, Message};

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum SmfError {
    /// Socket trouble.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    /// A message did not encode.
    #[error("encode: {0}")]
    Encode(String),
    /// No answer after every retransmission.
    #[error("no answer to the {0} after {1} attempts")]
    NoAnswer(&'static str, u32),
    /// The UPF refused.
    #[error("{what} rejected with cause {cause}")]
    Rejected {
        /// Which request.
        what: &'static str,
        /// The Cause value.
        cause: u8,
    },
    /// The answer lacks something the SMF needs.
    #[error("{0}")]
    Protocol(String),
}

/// One UE session to establish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSpec {
    /// The SMF's SEID for the session.
    pub cp_seid: u64,
    /// The UE's IPv4 address.
    pub ue: Ipv4Addr,
    /// Uplink TEID at the UPF; `None`: the UPF chooses (F-TEID CH).
    pub ul_teid: Option<u32>,
    /// The UPF's N3 address (for an explicit uplink F-TEID).
    pub upf_n3: Ipv4Addr,
    /// The gNB's N3 address (downlink tunnel peer).
    pub gnb: Ipv4Addr,
    /// The gNB's downlink TEID.
    pub dl_teid: u32,
    /// QoS flow.
    pub qfi: u8,
    /// What the downlink FAR does at establishment.
    pub downlink: Downlink,
}

/// What the downlink FAR (FAR 2) does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Downlink {
    /// Forward to the access side with Outer Header Creation GTP-U/UDP/IPv4
    /// toward the gNB's tunnel.
    #[default]
    Forward,
    /// Buffer and notify the CP function (BUFF|NOCP under BAR [`BAR_ID`],
    /// no Forwarding Parameters), as an SMF does while the UE is idle or
    /// the gNB's tunnel is not known yet.
    Buffer,
}

/// An established session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Established {
    /// What was asked for.
    pub spec: SessionSpec,
    /// The UPF's SEID.
    pub up_seid: u64,
    /// The uplink F-TEID in force (chosen by the UPF or as given).
    pub ul_teid: u32,
    /// Its address.
    pub ul_addr: IpAddr,
}

/// A usage report's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageFigures {
    /// URR ID.
    pub urr_id: u32,
    /// Uplink octets.
    pub ul_bytes: u64,
    /// Downlink octets.
    pub dl_bytes: u64,
    /// Total octets.
    pub total_bytes: u64,
    /// Uplink packets.
    pub ul_packets: u64,
    /// Downlink packets.
    pub dl_packets: u64,
}

/// The URR every session gets.
pub const URR_ID: u32 = 1;
/// The QER every session gets.
pub const QER_ID: u32 = 1;
/// The BAR of a session whose downlink buffers.
pub const BAR_ID: u8 = 1;
/// The downlink PDR.
pub const DL_PDR_ID: u16 = 2;
/// The downlink FAR.
pub const DL_FAR_ID: u32 = 2;

fn recovery() -> RecoveryTimeStamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    RecoveryTimeStamp::from_unix(now)
}

/// The Session Establishment Request for `s`: PDR 1 uplink (F-TEID, UE
/// source address, QFI, outer header removal) to FAR 1 (forward to core);
/// PDR 2 downlink (UE destination address) to FAR 2 (forward to access
/// with GTP-U/UDP/IPv4 outer header toward the gNB, or buffer under BAR 1
/// as `s.downlink` says); both with QER 1 (QFI, gates open) and URR 1
/// (volume).
pub fn establishment_request(smf: Ipv4Addr, s: &SessionSpec) -> SessionEstablishmentRequest {
    let fteid = match s.ul_teid {
        Some(t) => FTeid::v4(t, s.upf_n3),
        None => FTeid::Choose {
            v4: true,
            v6: false,
            choose_id: None,
        },
    };
    let ul = Pdi {
        source_interface: SourceInterface::Access,
        local_f_teid: Some(fteid),
        ue_ip_addresses: vec![UeIpAddress::v4(s.ue, false)],
        qfis: vec![Qfi(s.qfi)],
        ..Default::default()
    };
    let dl = Pdi {
        source_interface: SourceInterface::Core,
        ue_ip_addresses: vec![UeIpAddress::v4(s.ue, true)],
        ..Default::default()
    };
    let pdr = |id: u16, pdi: Pdi, far: u32, ul: bool| CreatePdr {
        pdr_id: PdrId(id),
        precedence: Precedence(100),
        pdi,
        outer_header_removal: ul
            .then(|| OuterHeaderRemoval::new(OuterHeaderRemovalDescription::GtpuUdpIpv4)),
        far_id: Some(FarId(far)),
        urr_ids: vec![UrrId(URR_ID)],
        qer_ids: vec![QerId(QER_ID)],
        ..Default::default()
    };
    SessionEstablishmentRequest {
        node_id: NodeId::Ipv4(smf),
        cp_f_seid: FSeid::v4(s.cp_seid, smf),
        create_pdrs: vec![pdr(1, ul, 1, true), pdr(DL_PDR_ID, dl, DL_FAR_ID, false)],
        create_fars: vec![
            CreateFar {
                far_id: FarId(1),
                apply_action: ApplyAction::empty().with(ApplyAction::FORW),
                forwarding_parameters: Some(ForwardingParameters {
                    destination_interface: DestinationInterface::Core,
                    ..Default::default()
                }),
                ..Default::default()
            },
            match s.downlink {
                Downlink::Forward => CreateFar {
                    far_id: FarId(DL_FAR_ID),
                    apply_action: ApplyAction::empty().with(ApplyAction::FORW),
                    forwarding_parameters: Some(ForwardingParameters {
                        destination_interface: DestinationInterface::Access,
                        outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(s.dl_teid, s.gnb)),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Downlink::Buffer => CreateFar {
                    far_id: FarId(DL_FAR_ID),
                    apply_action: buffer_action(),
                    bar_id: Some(BarId(BAR_ID)),
                    ..Default::default()
                },
            },
        ],
        create_bar: (s.downlink == Downlink::Buffer).then(|| CreateBar {
            bar_id: BarId(BAR_ID),
            ..Default::default()
        }),
        create_urrs: vec![CreateUrr {
            urr_id: UrrId(URR_ID),
            measurement_method: MeasurementMethod::empty().with(MeasurementMethod::VOLUM),
            reporting_triggers: ReportingTriggers::empty(),
            // Packet counts as well as octets (MNOP).
            measurement_information: Some(
                MeasurementInformation::empty().with(MeasurementInformation::MNOP),
            ),
            ..Default::default()
        }],
        create_qers: vec![CreateQer {
            qer_id: QerId(QER_ID),
            gate_status: GateStatus::default(),
            qfi: Some(Qfi(s.qfi)),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// `Ok` for Cause "Request accepted", else the rejection of `what`.
fn accepted(what: &'static str, cause: Cause) -> Result<(), SmfError> {
    if cause == Cause::REQUEST_ACCEPTED {
        Ok(())
    } else {
        Err(SmfError::Rejected {
            what,
            cause: cause.0,
        })
    }
}

fn unexpected(what: &str, answer: &Message) -> SmfError {
    SmfError::Protocol(format!("unexpected answer to {what}: {answer:?}"))
}

fn buffer_action() -> ApplyAction {
    ApplyAction::from_flags(&[ApplyAction::BUFF, ApplyAction::NOCP])
}

/// The Session Modification Request that makes the downlink FAR of `s` do
/// `d`: an Update FAR with the apply action, and for forwarding the Update
/// Forwarding Parameters (access side, Outer Header Creation toward the
/// gNB's tunnel), for buffering the BAR.
pub fn downlink_modification(s: &SessionSpec, d: Downlink) -> SessionModificationRequest {
    let far = match d {
        Downlink::Forward => UpdateFar {
            far_id: FarId(DL_FAR_ID),
            apply_action: Some(ApplyAction::empty().with(ApplyAction::FORW)),
            update_forwarding_parameters: Some(UpdateForwardingParameters {
                destination_interface: Some(DestinationInterface::Access),
                outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(s.dl_teid, s.gnb)),
                ..Default::default()
            }),
            ..Default::default()
        },
        Downlink::Buffer => UpdateFar {
            far_id: FarId(DL_FAR_ID),
            apply_action: Some(buffer_action()),
            bar_id: Some(BarId(BAR_ID)),
            ..Default::default()
        },
    };
    SessionModificationRequest {
        update_fars: vec![far],
        ..Default::default()
    }
}

/// The SMF's end of one association.
#[derive(Debug)]
pub struct Smf {
    sock: UdpSocket,
    node_id: Ipv4Addr,
    seq: u32,
    recovery: RecoveryTimeStamp,
    /// Wait for an answer this long before sending again.
    pub t1: Duration,
    /// Send a request this many times at most.
    pub n1: u32,
    /// Requests from the UPF answered (heartbeats, session reports).
    pub answered: u64,
    /// Session Report Requests received (a retransmission counts once).
    pub reports: Vec<SessionReport>,
    /// Sequence numbers of the latest Session Report Requests.
    report_seqs: Vec<u32>,
    /// CP SEID -> UP SEID of the sessions established (the SEID a Session
    /// Report Response carries).
    up_seids: std::collections::HashMap<u64, u64>,
}

/// How many Session Report Request sequence numbers the SMF remembers to
/// tell retransmissions from new requests.
const RECENT_REPORTS: usize = 64;

/// A Session Report Request the SMF received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionReport {
    /// The SEID in the header (the SMF's).
    pub seid: u64,
    /// Report Type octet (DLDR 0x01, USAR 0x02, ERIR 0x04, ...).
    pub report_type: u8,
    /// The Error Indication Report's remote F-TEIDs as (TEID, address).
    pub error_indication: Vec<(u32, IpAddr)>,
    /// The Downlink Data Report's PDR IDs.
    pub downlink_data_pdrs: Vec<u16>,
}

impl Smf {
    /// An SMF with Node ID `node_id` on `bind`, talking to `upf`.
    pub fn new(bind: SocketAddr, upf: SocketAddr, node_id: Ipv4Addr) -> Result<Self, SmfError> {
        let sock = UdpSocket::bind(bind)?;
        sock.connect(upf)?;
        Ok(Smf {
            sock,
            node_id,
            seq: 0,
            recovery: recovery(),
            t1: Duration::from_secs(2),
            n1: 5,
            answered: 0,
            reports: Vec::new(),
            report_seqs: Vec::new(),
            up_seids: std::collections::HashMap::new(),
        })
    }

    /// The local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.sock.local_addr()
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = (self.seq % 0x00ff_fffe) + 1;
        self.seq
    }

    /// Answers a request from the UPF; returns whether `m` was one.
    fn answer(&mut self, h: &Header, m: &Message) -> Result<bool, SmfError> {
        let reply: Message = match m {
            Message::HeartbeatRequest(_) => Message::HeartbeatResponse(HeartbeatResponse {
                recovery_time_stamp: self.recovery,
                ..Default::default()
            }),
            Message::SessionReportRequest(r) => {
                // A retransmission (a sequence number seen lately) is
                // answered again but recorded once.
                let fresh = !self.report_seqs.contains(&h.sequence);
                if fresh {
                    if self.report_seqs.len() == RECENT_REPORTS {
                        self.report_seqs.remove(0);
                    }
                    self.report_seqs.push(h.sequence);
                }
                let remote = r
                    .error_indication_report
                    .iter()
                    .flat_map(|e| e.remote_f_teids.iter())
                    .filter_map(|f| match *f {
                        FTeid::Explicit { teid, ipv4, ipv6 } => ipv4
                            .map(IpAddr::V4)
                            .or(ipv6.map(IpAddr::V6))
                            .map(|a| (teid, a)),
                        FTeid::Choose { .. } => None,
                    })
                    .collect();
                if fresh {
                    self.reports.push(SessionReport {
                        seid: h.seid.unwrap_or(0),
                        report_type: r.report_type.octets().first().copied().unwrap_or(0),
                        error_indication: remote,
                        downlink_data_pdrs: r
                            .downlink_data_report
                            .iter()
                            .flat_map(|d| d.pdr_ids.iter().map(|p| p.0))
                            .collect(),
                    });
                }
                Message::SessionReportResponse(SessionReportResponse {
                    cause: Cause::REQUEST_ACCEPTED,
                    ..Default::default()
                })
            }
            _ => return Ok(false),
        };
        // A response carries the peer's SEID: the UPF's for the session the
        // request's (CP) SEID names, 0 when it names none of ours.
        let seid = h
            .seid
            .map(|cp| self.up_seids.get(&cp).copied().unwrap_or(0));
        let bytes = reply
            .encode(h.sequence, seid)
            .map_err(|e| SmfError::Encode(e.to_string()))?;
        self.sock.send(&bytes)?;
        self.answered += 1;
        Ok(true)
    }

    /// Receives for up to `wait`, answering the UPF's requests; returns a
    /// response with sequence `seq` if one came.
    fn receive(&mut self, seq: Option<u32>, wait: Duration) -> Result<Option<Message>, SmfError> {
        let mut buf = vec![0u8; 65_536];
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.sock.set_read_timeout(Some(left))?;
            let n = match self.sock.recv(&mut buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::ConnectionRefused
                    ) =>
                {
                    // ICMP port unreachable (UPF not up yet) or timeout.
                    std::thread::sleep(Duration::from_millis(20).min(left));
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let Ok((h, m)) = Message::decode(&buf[..n]) else {
                continue;
            };
            if self.answer(&h, &m)? {
                continue;
            }
            if Some(h.sequence) == seq {
                return Ok(Some(m));
            }
        }
    }

    /// Keeps the association alive (answers heartbeats) for `d`.
    pub fn idle(&mut self, d: Duration) -> Result<(), SmfError> {
        self.receive(None, d).map(drop)
    }

    fn request(
        &mut self,
        what: &'static str,
        m: Message,
        seid: Option<u64>,
    ) -> Result<Message, SmfError> {
        let seq = self.next_seq();
        let bytes = m
            .encode(seq, seid)
            .map_err(|e| SmfError::Encode(e.to_string()))?;
        for _ in 0..self.n1 {
            match self.sock.send(&bytes) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(e) => return Err(e.into()),
            }
            if let Some(r) = self.receive(Some(seq), self.t1)? {
                return Ok(r);
            }
        }
        Err(SmfError::NoAnswer(what, self.n1))
    }

    /// Association Setup; returns the UPF's Node ID as text.
    pub fn associate(&mut self) -> Result<String, SmfError> {
        const WHAT: &str = "Association Setup Request";
        let req = Message::AssociationSetupRequest(AssociationSetupRequest {
            node_id: NodeId::Ipv4(self.node_id),
            recovery_time_stamp: self.recovery,
            ..Default::default()
        });
        match self.request(WHAT, req, None)? {
            Message::AssociationSetupResponse(r) => {
                accepted(WHAT, r.cause)?;
                Ok(match r.node_id {
                    NodeId::Ipv4(a) => a.to_string(),
                    NodeId::Ipv6(a) => a.to_string(),
                    NodeId::Fqdn(f) => f,
                })
            }
            other => Err(unexpected(WHAT, &other)),
        }
    }

    /// Session Establishment.
    pub fn establish(&mut self, s: &SessionSpec) -> Result<Established, SmfError> {
        const WHAT: &str = "Session Establishment Request";
        let req = Message::SessionEstablishmentRequest(establishment_request(self.node_id, s));
        let r = match self.request(WHAT, req, Some(0))? {
            Message::SessionEstablishmentResponse(r) => r,
            other => return Err(unexpected(WHAT, &other)),
        };
        accepted(WHAT, r.cause)?;
        let up_seid = r
            .up_f_seid
            .map(|f| f.seid)
            .ok_or_else(|| SmfError::Protocol("no UP F-SEID".into()))?;
        let (ul_teid, ul_addr) = match s.ul_teid {
            Some(t) => (t, IpAddr::V4(s.upf_n3)),
            None => {
                let created = r
                    .created_pdrs
                    .iter()
                    .find(|c| c.pdr_id == PdrId(1))
                    .and_then(|c| c.local_f_teid)
                    .ok_or_else(|| SmfError::Protocol("no Created PDR with F-TEID".into()))?;
                match created {
                    FTeid::Explicit { teid, ipv4, ipv6 } => (
                        teid,
                        ipv4.map(IpAddr::V4)
                            .or(ipv6.map(IpAddr::V6))
                            .ok_or_else(|| SmfError::Protocol("F-TEID without address".into()))?,
                    ),
                    FTeid::Choose { .. } => {
                        return Err(SmfError::Protocol("Created PDR says CHOOSE".into()))
                    }
                }
            }
        };
        self.up_seids.insert(s.cp_seid, up_seid);
        Ok(Established {
            spec: *s,
            up_seid,
            ul_teid,
            ul_addr,
        })
    }

    /// Session Modification: the downlink FAR of `e` does `d` from now on.
    pub fn set_downlink(&mut self, e: &Established, d: Downlink) -> Result<(), SmfError> {
        const WHAT: &str = "Session Modification Request";
        let req = Message::SessionModificationRequest(downlink_modification(&e.spec, d));
        match self.request(WHAT, req, Some(e.up_seid))? {
            Message::SessionModificationResponse(r) => accepted(WHAT, r.cause),
            other => Err(unexpected(WHAT, &other)),
        }
    }

    /// Session Deletion; returns the usage reports of the response.
    pub fn delete(&mut self, e: &Established) -> Result<Vec<UsageFigures>, SmfError> {
        const WHAT: &str = "Session Deletion Request";
        let req = Message::SessionDeletionRequest(SessionDeletionRequest::default());
        let r = match self.request(WHAT, req, Some(e.up_seid))? {
            Message::SessionDeletionResponse(r) => r,
            other => return Err(unexpected(WHAT, &other)),
        };
        accepted(WHAT, r.cause)?;
        self.up_seids.remove(&e.spec.cp_seid);
        Ok(r.usage_reports
            .iter()
            .map(|u| {
                let v = u.volume_measurement.unwrap_or_default();
                UsageFigures {
                    urr_id: u.urr_id.0,
                    ul_bytes: v.uplink_volume.unwrap_or(0),
                    dl_bytes: v.downlink_volume.unwrap_or(0),
                    total_bytes: v.total_volume.unwrap_or(0),
                    ul_packets: v.uplink_packets.unwrap_or(0),
                    dl_packets: v.downlink_packets.unwrap_or(0),
                }
            })
            .collect())
    }

    /// Association Release.
    pub fn release(&mut self) -> Result<(), SmfError> {
        const WHAT: &str = "Association Release Request";
        let req = Message::AssociationReleaseRequest(AssociationReleaseRequest {
            node_id: NodeId::Ipv4(self.node_id),
            ..Default::default()
        });
        match self.request(WHAT, req, None)? {
            Message::AssociationReleaseResponse(r) => accepted(WHAT, r.cause),
            other => Err(unexpected(WHAT, &other)),
        }
    }
}

/// `upf smf` options.
#[derive(Debug, Clone)]
pub struct CliOptions {
    /// The UPF's PFCP address.
    pub upf: SocketAddr,
    /// Local address.
    pub bind: SocketAddr,
    /// This SMF's Node ID (and F-SEID address).
    pub node_id: Ipv4Addr,
    /// Sessions to establish.
    pub sessions: u32,
    /// First UE address (the others follow).
    pub ue_base: Ipv4Addr,
    /// gNB N3 address.
    pub gnb: Ipv4Addr,
    /// The UPF's N3 address (explicit F-TEIDs).
    pub upf_n3: Ipv4Addr,
    /// First gNB (downlink) TEID.
    pub dl_teid_base: u32,
    /// First uplink TEID; `None`: the UPF chooses.
    pub ul_teid_base: Option<u32>,
    /// QFI.
    pub qfi: u8,
    /// Where the sessions (and later the usage reports) are written, JSON.
    pub out: Option<std::path::PathBuf>,
    /// Delete the sessions when this file appears (keeping the association
    /// alive meanwhile); without it, delete at once.
    pub delete_when: Option<std::path::PathBuf>,
    /// Longest wait for `delete_when`.
    pub hold_max: Duration,
}

fn session_json(e: &Established, usage: Option<&[UsageFigures]>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "cp_seid": e.spec.cp_seid,
        "up_seid": e.up_seid,
        "ue": e.spec.ue.to_string(),
        "ul_teid": e.ul_teid,
        "ul_addr": e.ul_addr.to_string(),
        "dl_teid": e.spec.dl_teid,
        "gnb": e.spec.gnb.to_string(),
        "qfi": e.spec.qfi,
    });
    if let Some(u) = usage {
        v["usage_reports"] = u
            .iter()
            .map(|u| {
                serde_json::json!({
                    "urr_id": u.urr_id,
                    "ul_bytes": u.ul_bytes,
                    "dl_bytes": u.dl_bytes,
                    "total_bytes": u.total_bytes,
                    "ul_packets": u.ul_packets,
                    "dl_packets": u.dl_packets,
                })
            })
            .collect();
    }
    v
}

fn write_out(path: Option<&std::path::Path>, v: &serde_json::Value) -> Result<(), SmfError> {
    if let Some(p) = path {
        let tmp = p.with_extension("tmp");
        std::fs::write(&tmp, format!("{v:#}\n"))?;
        std::fs::rename(&tmp, p)?;
    }
    Ok(())
}

/// `upf smf`: associate, establish, (wait), delete, print.
pub fn run_cli(o: &CliOptions) -> Result<(), SmfError> {
    let mut smf = Smf::new(o.bind, o.upf, o.node_id)?;
    let upf_id = smf.associate()?;
    println!("smf: association with UPF {upf_id} ({}) accepted", o.upf);
    let mut sessions = Vec::new();
    for i in 0..o.sessions {
        let spec = SessionSpec {
            cp_seid: 0x1000 + u64::from(i),
            ue: Ipv4Addr::from(u32::from(o.ue_base) + i),
            ul_teid: o.ul_teid_base.map(|t| t + i),
            upf_n3: o.upf_n3,
            gnb: o.gnb,
            dl_teid: o.dl_teid_base + i,
            qfi: o.qfi,
            downlink: Downlink::Forward,
        };
        let e = smf.establish(&spec)?;
        println!(
            "smf: session {} established: ue {} up-seid {:#x} uplink F-TEID {:#x}@{}{} downlink tunnel {:#x}@{} qfi {}",
            i + 1,
            spec.ue,
            e.up_seid,
            e.ul_teid,
            e.ul_addr,
            if spec.ul_teid.is_none() { " (chosen by the UPF)" } else { "" },
            spec.dl_teid,
            spec.gnb,
            spec.qfi
        );
        sessions.push(e);
    }
    let doc = |usage: Option<&[Vec<UsageFigures>]>| {
        serde_json::json!({
            "upf_node_id": upf_id,
            "sessions": sessions
                .iter()
                .enumerate()
                .map(|(i, e)| session_json(e, usage.map(|u| u[i].as_slice())))
                .collect::<Vec<_>>(),
        })
    };
    write_out(o.out.as_deref(), &doc(None))?;
    if let Some(f) = &o.delete_when {
        println!("smf: holding the sessions until {} exists", f.display());
        let until = Instant::now() + o.hold_max;
        while !f.exists() && Instant::now() < until {
            smf.idle(Duration::from_millis(100))?;
        }
    }
    let mut usage = Vec::new();
    for (i, e) in sessions.iter().enumerate() {
        let u = smf.delete(e)?;
        for r in &u {
            println!(
                "smf: session {} deleted: usage report URR {}: uplink {} bytes / {} packets, downlink {} bytes / {} packets",
                i + 1,
                r.urr_id,
                r.ul_bytes,
                r.ul_packets,
                r.dl_bytes,
                r.dl_packets
            );
        }
        if u.is_empty() {
            println!("smf: session {} deleted: no usage report", i + 1);
        }
        usage.push(u);
    }
    write_out(o.out.as_deref(), &doc(Some(&usage)))?;
    match smf.release() {
        Ok(()) => println!("smf: association released"),
        Err(e) => println!("smf: association release: {e}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(downlink: Downlink) -> SessionSpec {
        SessionSpec {
            cp_seid: 1,
            ue: Ipv4Addr::new(10, 45, 0, 1),
            ul_teid: None,
            upf_n3: Ipv4Addr::new(10, 0, 3, 1),
            gnb: Ipv4Addr::new(10, 0, 3, 2),
            dl_teid: 0x99,
            qfi: 5,
            downlink,
        }
    }

    fn round_trip(m: Message) -> Message {
        Message::decode(&m.encode(1, Some(1)).unwrap()).unwrap().1
    }

    #[test]
    fn buffering_downlink_far_has_a_bar_and_no_forwarding() {
        let req = establishment_request(Ipv4Addr::LOCALHOST, &spec(Downlink::Buffer));
        let Message::SessionEstablishmentRequest(r) =
            round_trip(Message::SessionEstablishmentRequest(req))
        else {
            panic!("not an establishment request");
        };
        let far = r
            .create_fars
            .iter()
            .find(|f| f.far_id == FarId(DL_FAR_ID))
            .unwrap();
        assert!(far.apply_action.has(ApplyAction::BUFF) && far.apply_action.has(ApplyAction::NOCP));
        assert!(!far.apply_action.has(ApplyAction::FORW));
        assert_eq!(
            (far.bar_id, far.forwarding_parameters.as_ref()),
            (Some(BarId(BAR_ID)), None)
        );
        assert_eq!(r.create_bar.map(|b| b.bar_id), Some(BarId(BAR_ID)));
        let fwd = establishment_request(Ipv4Addr::LOCALHOST, &spec(Downlink::Forward));
        assert!(fwd.create_bar.is_none());
    }

    #[test]
    fn forwarding_modification_sets_the_tunnel() {
        let s = spec(Downlink::Buffer);
        let Message::SessionModificationRequest(r) = round_trip(
            Message::SessionModificationRequest(downlink_modification(&s, Downlink::Forward)),
        ) else {
            panic!("not a modification request");
        };
        let u = &r.update_fars[0];
        assert_eq!(u.far_id, FarId(DL_FAR_ID));
        assert!(u.apply_action.unwrap().has(ApplyAction::FORW));
        let p = u.update_forwarding_parameters.as_ref().unwrap();
        assert_eq!(p.destination_interface, Some(DestinationInterface::Access));
        assert_eq!(
            p.outer_header_creation,
            Some(OuterHeaderCreation::gtpu_v4(0x99, s.gnb))
        );
    }

    #[test]
    fn a_retransmitted_report_is_answered_and_recorded_once() {
        let upf = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut smf = Smf::new(
            "127.0.0.1:0".parse().unwrap(),
            upf.local_addr().unwrap(),
            Ipv4Addr::LOCALHOST,
        )
        .unwrap();
        // The session whose CP SEID is 7 has UP SEID 0x55.
        smf.up_seids.insert(7, 0x55);
        upf.connect(smf.local_addr().unwrap()).unwrap();
        let report = |seq: u32| {
            Message::SessionReportRequest(SessionReportRequest {
                report_type: ReportType::from_flags(&[ReportType::DLDR]),
                downlink_data_report: Some(DownlinkDataReport {
                    pdr_ids: vec![PdrId(DL_PDR_ID)],
                    ..Default::default()
                }),
                ..Default::default()
            })
            .encode(seq, Some(7))
            .unwrap()
        };
        for seq in [5, 5, 6] {
            upf.send(&report(seq)).unwrap();
        }
        upf.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 512];
        for seq in [5, 5, 6] {
            smf.idle(Duration::from_millis(50)).unwrap();
            let n = upf.recv(&mut buf).unwrap();
            let (h, m) = Message::decode(&buf[..n]).unwrap();
            assert_eq!(h.sequence, seq);
            assert_eq!(h.seid, Some(0x55), "the response carries the UP SEID");
            assert!(
                matches!(m, Message::SessionReportResponse(r) if r.cause == Cause::REQUEST_ACCEPTED)
            );
        }
        assert_eq!(smf.answered, 3);
        assert_eq!(smf.reports.len(), 2, "{:?}", smf.reports);
        assert_eq!(smf.reports[0].seid, 7);
        assert_eq!(smf.reports[0].downlink_data_pdrs, vec![DL_PDR_ID]);
    }
}
