//! Sessions as SMFs install them, for the dataplane tests and benchmarks:
//! an uplink PDR (local F-TEID on N3, UE address, any SDF) forwarding to the
//! core with GTP-U removal, a downlink PDR (UE address) forwarding into the
//! gNB's tunnel, a QER with the flow's QFI, and one volume URR per direction.

use std::net::Ipv4Addr;
use std::sync::Arc;

use upf_core::compile::{compile, SessionRules};
use upf_core::rules::*;
use upf_core::sdf::SdfFilter;

/// URR counting uplink volume.
pub const URR_UL: u32 = 1;
/// URR counting downlink volume.
pub const URR_DL: u32 = 2;

/// What distinguishes one test session from another.
#[derive(Debug, Clone, Copy)]
pub struct SessionSpec {
    pub seid: u64,
    pub ue: Ipv4Addr,
    /// Local (N3) TEID of the uplink tunnel.
    pub ul_teid: u32,
    /// The gNB's TEID of the downlink tunnel.
    pub dl_teid: u32,
    pub n3: Ipv4Addr,
    pub gnb: Ipv4Addr,
    pub qfi: u8,
}

pub fn session(s: &SessionSpec) -> Session {
    let mut x = Session::new(s.seid);
    x.create_far(Far::forward(1, ForwardingParameters::to(Interface::Core)))
        .unwrap();
    let mut dl = ForwardingParameters::to(Interface::Access);
    dl.outer_header_creation = Some(OuterHeaderCreation {
        kind: OuterHeaderCreationKind::GtpuUdpIpv4,
        teid: s.dl_teid,
        ipv4: Some(s.gnb),
        ipv6: None,
        port: None,
    });
    x.create_far(Far::forward(2, dl)).unwrap();
    x.create_qer(Qer {
        qfi: Some(s.qfi),
        ..Qer::open(1)
    })
    .unwrap();
    x.create_urr(Urr::volume(URR_UL)).unwrap();
    x.create_urr(Urr::volume(URR_DL)).unwrap();
    let mut ul = Pdi::new(Interface::Access);
    ul.local_fteid = Some(FTeid {
        teid: s.ul_teid,
        ipv4: Some(s.n3),
        ipv6: None,
    });
    ul.ue_ip = Some(UeIpAddress {
        ipv4: Some(s.ue),
        ipv6: None,
        ipv6_prefix_len: 64,
        is_destination: false,
    });
    ul.sdf_filters = vec![SdfFilter::flow("permit out ip from any to assigned").unwrap()];
    x.create_pdr(Pdr {
        id: 1,
        precedence: 255,
        pdi: ul,
        outer_header_removal: Some(OuterHeaderRemoval::GtpuUdpIpv4),
        far_id: Some(1),
        qer_ids: vec![1],
        urr_ids: vec![URR_UL],
    })
    .unwrap();
    let mut dlp = Pdi::new(Interface::Core);
    dlp.ue_ip = Some(UeIpAddress {
        ipv4: Some(s.ue),
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
    .unwrap();
    x
}

/// The compiled rules of `s` (a fresh version; counters carried over from
/// `previous` when given).
pub fn rules(s: &SessionSpec, previous: Option<&SessionRules>) -> Arc<SessionRules> {
    Arc::new(compile(&session(s), previous).unwrap())
}
