//! Shared by the node tests: a fake dataplane that applies only when told,
//! a harness driving a node with simulated time, and request builders
//! shaped like the SMFs the UPF meets.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pfcp::ie::outer_header::OuterHeaderRemovalDescription as Ohr;
use pfcp::ie::*;
use pfcp::message::*;
use pfcp::node::{Busy, Dataplane, Node, NodeConfig, NodeEvent, Transmit};
use pfcp::{Header, Message};
use upf_core::compile::SessionRules;

pub const SMF: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 4);
pub const UPF: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 7);
pub const UPF_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7);
pub const GNB: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 10);
pub const UE: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 2);
pub const OUR_RECOVERY: u32 = 3_900_000_000;
pub const SMF_RECOVERY: u32 = 3_899_000_000;

pub fn smf_addr() -> SocketAddr {
    SocketAddr::new(SMF.into(), 8805)
}

/// A dataplane that records updates and applies them only when told (or
/// at once with `auto`); `busy` refuses updates.
#[derive(Debug, Default)]
pub struct FakeDp {
    pub next: u64,
    pub applied: u64,
    pub auto: bool,
    pub busy: bool,
    pub installs: usize,
    pub removes: Vec<u64>,
    pub live: HashMap<u64, Arc<SessionRules>>,
}

impl FakeDp {
    pub fn auto() -> Self {
        FakeDp {
            auto: true,
            ..Default::default()
        }
    }
    pub fn apply_all(&mut self) {
        self.applied = self.next;
    }
    fn epoch(&mut self) -> u64 {
        self.next += 1;
        if self.auto {
            self.applied = self.next;
        }
        self.next
    }
}

impl Dataplane for FakeDp {
    fn install(
        &mut self,
        rules: Arc<SessionRules>,
        _retire: Option<Arc<SessionRules>>,
    ) -> Result<u64, Busy> {
        if self.busy {
            return Err(Busy);
        }
        self.installs += 1;
        self.live.insert(rules.seid, rules);
        Ok(self.epoch())
    }
    fn remove(&mut self, seid: u64, _retire: Option<Arc<SessionRules>>) -> Result<u64, Busy> {
        if self.busy {
            return Err(Busy);
        }
        self.removes.push(seid);
        self.live.remove(&seid);
        Ok(self.epoch())
    }
    fn is_applied(&self, epoch: u64) -> bool {
        epoch <= self.applied
    }
}

pub fn config() -> NodeConfig {
    let mut c = NodeConfig::new(NodeId::Ipv4(UPF), RecoveryTimeStamp(OUR_RECOVERY));
    c.n3_ipv4 = Some(UPF);
    c
}

/// A node driven with simulated time.
pub struct H {
    pub node: Node<FakeDp>,
    pub now: Instant,
    pub seq: u32,
}

impl H {
    pub fn new(cfg: NodeConfig) -> Self {
        let now = Instant::now();
        H {
            node: Node::new(cfg, FakeDp::auto(), now),
            now,
            seq: 1000,
        }
    }

    pub fn with_default() -> Self {
        Self::new(config())
    }

    pub fn next_seq(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    /// Everything the node has to send now.
    pub fn transmits(&mut self) -> Vec<Transmit> {
        let mut v = Vec::new();
        while let Some(t) = self.node.poll_transmit(self.now) {
            v.push(t);
        }
        v
    }

    pub fn events(&mut self) -> Vec<NodeEvent> {
        let mut v = Vec::new();
        while let Some(e) = self.node.poll_event() {
            v.push(e);
        }
        v
    }

    /// Hands raw octets to the node from `from`; returns what it sends.
    pub fn raw(&mut self, from: SocketAddr, bytes: &[u8]) -> Vec<Transmit> {
        self.node.handle(self.now, from, bytes);
        self.transmits()
    }

    /// Sends `m` from the SMF with a fresh sequence number.
    pub fn send(&mut self, m: impl Into<Message>, seid: Option<u64>) -> Vec<Transmit> {
        let seq = self.next_seq();
        let bytes = m.into().encode(seq, seid).unwrap();
        self.raw(smf_addr(), &bytes)
    }

    /// Sends `m` and decodes the single response.
    pub fn request(&mut self, m: impl Into<Message>, seid: Option<u64>) -> (Header, Message) {
        let tx = self.send(m, seid);
        assert_eq!(tx.len(), 1, "expected one response, got {tx:?}");
        assert_eq!(tx[0].dst, smf_addr());
        Message::decode(&tx[0].payload).unwrap()
    }

    /// Advances simulated time and runs the node's timers.
    pub fn advance(&mut self, d: Duration) -> Vec<Transmit> {
        self.now += d;
        self.node.handle_timeout(self.now);
        self.transmits()
    }

    pub fn associate(&mut self) {
        let (_, m) = self.request(
            AssociationSetupRequest {
                node_id: NodeId::Ipv4(SMF),
                recovery_time_stamp: RecoveryTimeStamp(SMF_RECOVERY),
                ..Default::default()
            },
            None,
        );
        match m {
            Message::AssociationSetupResponse(r) => assert_eq!(r.cause.0, 1),
            other => panic!("{other:?}"),
        }
    }

    /// Establishes `req`; returns the UP SEID and the response.
    pub fn establish(
        &mut self,
        req: SessionEstablishmentRequest,
    ) -> (u64, SessionEstablishmentResponse) {
        let cp = req.cp_f_seid.seid;
        let (h, m) = self.request(req, Some(0));
        let Message::SessionEstablishmentResponse(r) = m else {
            panic!("{m:?}")
        };
        assert_eq!(h.seid, Some(cp));
        assert_eq!(r.cause.0, 1, "{r:?}");
        (r.up_f_seid.unwrap().seid, r)
    }

    pub fn modify(
        &mut self,
        up: u64,
        req: SessionModificationRequest,
    ) -> SessionModificationResponse {
        let (_, m) = self.request(req, Some(up));
        match m {
            Message::SessionModificationResponse(r) => r,
            other => panic!("{other:?}"),
        }
    }
}

/// Decodes a golden vector (tests/vectors/<name>.hex).
pub fn vector(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

pub fn vector_message(name: &str) -> Message {
    Message::decode(&vector(name)).unwrap().1
}

/// The Open5GS-shaped establishment of the golden vectors: four PDRs (one
/// from the CP function, one with an SDF filter toward the CP function),
/// CHOOSE ID 5 with V4 and V6, a buffering FAR with a BAR.
pub fn open5gs(cp_seid: u64) -> SessionEstablishmentRequest {
    let Message::SessionEstablishmentRequest(mut r) =
        vector_message("session_establishment_request_open5gs")
    else {
        unreachable!()
    };
    r.cp_f_seid.seid = cp_seid;
    r
}

/// The free5GC-shaped establishment: SMF-allocated TEID, two QERs per PDR,
/// network instance as plain text.
pub fn free5gc(cp_seid: u64, teid: u32) -> SessionEstablishmentRequest {
    let Message::SessionEstablishmentRequest(mut r) =
        vector_message("session_establishment_request_free5gc")
    else {
        unreachable!()
    };
    r.cp_f_seid.seid = cp_seid;
    if let Some(FTeid::Explicit { teid: t, .. }) = &mut r.create_pdrs[0].pdi.local_f_teid {
        *t = teid;
    }
    r
}

/// A small establishment: uplink PDR (CHOOSE), downlink PDR (UE address),
/// two FARs, and the given URR on both PDRs.
pub fn simple(cp_seid: u64, urr: Option<CreateUrr>) -> SessionEstablishmentRequest {
    let urr_ids: Vec<UrrId> = urr.iter().map(|u| u.urr_id).collect();
    SessionEstablishmentRequest {
        node_id: NodeId::Ipv4(SMF),
        cp_f_seid: FSeid::v4(cp_seid, SMF),
        create_pdrs: vec![
            CreatePdr {
                pdr_id: PdrId(1),
                precedence: Precedence(100),
                pdi: Pdi {
                    source_interface: SourceInterface::Access,
                    local_f_teid: Some(FTeid::Choose {
                        v4: true,
                        v6: false,
                        choose_id: None,
                    }),
                    ue_ip_addresses: vec![UeIpAddress::v4(UE, false)],
                    ..Default::default()
                },
                outer_header_removal: Some(OuterHeaderRemoval::new(Ohr::GtpuUdpIpv4)),
                far_id: Some(FarId(1)),
                urr_ids: urr_ids.clone(),
                ..Default::default()
            },
            CreatePdr {
                pdr_id: PdrId(2),
                precedence: Precedence(100),
                pdi: Pdi {
                    source_interface: SourceInterface::Core,
                    ue_ip_addresses: vec![UeIpAddress::v4(UE, true)],
                    ..Default::default()
                },
                far_id: Some(FarId(2)),
                urr_ids,
                ..Default::default()
            },
        ],
        create_fars: vec![
            CreateFar {
                far_id: FarId(1),
                apply_action: ApplyAction::from_flags(&[ApplyAction::FORW]),
                forwarding_parameters: Some(ForwardingParameters {
                    destination_interface: DestinationInterface::Core,
                    ..Default::default()
                }),
                ..Default::default()
            },
            CreateFar {
                far_id: FarId(2),
                apply_action: ApplyAction::from_flags(&[ApplyAction::FORW]),
                forwarding_parameters: Some(ForwardingParameters {
                    destination_interface: DestinationInterface::Access,
                    outer_header_creation: Some(pfcp::ie::OuterHeaderCreation::gtpu_v4(0x42, GNB)),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ],
        create_urrs: urr.into_iter().collect(),
        ..Default::default()
    }
}

/// A volume-measuring URR with the given triggers.
pub fn urr(id: u32, triggers: &[pfcp::ie::flags::Flag]) -> CreateUrr {
    CreateUrr {
        urr_id: UrrId(id),
        measurement_method: MeasurementMethod::from_flags(&[
            MeasurementMethod::VOLUM,
            MeasurementMethod::DURAT,
        ]),
        reporting_triggers: ReportingTriggers::from_flags(triggers),
        ..Default::default()
    }
}

pub fn created_teid(r: &[CreatedPdr], pdr: u16) -> FTeid {
    r.iter()
        .find(|c| c.pdr_id.0 == pdr)
        .and_then(|c| c.local_f_teid)
        .unwrap_or_else(|| panic!("no Created PDR {pdr} in {r:?}"))
}

/// Decodes a transmit.
pub fn decode(t: &Transmit) -> (Header, Message) {
    Message::decode(&t.payload).unwrap()
}
