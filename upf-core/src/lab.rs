//! A reference workload for benchmarks, profiling and tests: sessions as
//! SMFs commonly install them and the frames that exercise them.
//!
//! Session `i`: UE 10.0.0.0 + i, uplink F-TEID `i + 1` at the UPF's N3
//! address [`N3`], downlink tunnel `0x8000_0000 | i` to the gNB [`GNB`];
//! an uplink PDR (F-TEID, UE address, `permit out ip from any to assigned`,
//! optional QFI), a downlink PDR (UE address), two FARs, a flow QER with
//! QFI 9 and a volume URR.

use core::net::Ipv4Addr;

use crate::path::PathConfig;
use crate::rules::*;
use crate::sdf::SdfFilter;

/// The UPF's N3 address.
pub const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The UPF's N6 address.
pub const N6: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// The gNB.
pub const GNB: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
/// A server in the data network.
pub const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);

/// The UE address of session `i`.
pub fn ue(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 + i)
}

/// The path configuration the workload assumes.
pub fn path_config() -> PathConfig {
    PathConfig {
        access_v4: Some(N3),
        core_v4: Some(N6),
        ..PathConfig::default()
    }
}

/// Session `i`; `ul_qfi`: the QFI its uplink PDR requires, if any.
pub fn session(i: u32, ul_qfi: Option<u8>) -> Session {
    let mut s = Session::new(u64::from(i));
    s.create_far(Far::forward(1, ForwardingParameters::to(Interface::Core)))
        .expect("new ID");
    let mut dl = ForwardingParameters::to(Interface::Access);
    dl.outer_header_creation = Some(OuterHeaderCreation {
        kind: OuterHeaderCreationKind::GtpuUdpIpv4,
        teid: 0x8000_0000 | i,
        ipv4: Some(GNB),
        ipv6: None,
        port: None,
    });
    s.create_far(Far::forward(2, dl)).expect("new ID");
    s.create_qer(Qer {
        qfi: Some(9),
        ..Qer::open(1)
    })
    .expect("new ID");
    s.create_urr(Urr::volume(1)).expect("new ID");
    let ue_ip = |is_destination| UeIpAddress {
        ipv4: Some(ue(i)),
        ipv6: None,
        ipv6_prefix_len: 64,
        is_destination,
    };
    let mut ul = Pdi::new(Interface::Access);
    ul.local_fteid = Some(FTeid {
        teid: i + 1,
        ipv4: Some(N3),
        ipv6: None,
    });
    ul.ue_ip = Some(ue_ip(false));
    ul.qfi = ul_qfi;
    ul.sdf_filters =
        vec![SdfFilter::flow("permit out ip from any to assigned").expect("valid filter")];
    let mut dlp = Pdi::new(Interface::Core);
    dlp.ue_ip = Some(ue_ip(true));
    for (id, pdi, ohr, far) in [
        (1, ul, Some(OuterHeaderRemoval::GtpuUdpIpv4), 1),
        (2, dlp, None, 2),
    ] {
        s.create_pdr(Pdr {
            id,
            precedence: 255,
            pdi,
            outer_header_removal: ohr,
            far_id: Some(far),
            qer_ids: vec![1],
            urr_ids: vec![1],
        })
        .expect("new ID");
    }
    s
}

/// An IPv4/UDP packet (port 4000 to 53) with `payload` bytes.
pub fn ipv4_udp(src: Ipv4Addr, dst: Ipv4Addr, payload: usize) -> Vec<u8> {
    let total = 28 + payload;
    let mut p = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0,
        0,
        64,
        17,
        0,
        0,
    ];
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = crate::wire::checksum::checksum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let ulen = 8 + payload;
    p.extend_from_slice(&[0x0f, 0xa0, 0, 53, (ulen >> 8) as u8, ulen as u8, 0, 0]);
    p.extend(core::iter::repeat_n(0x5a, payload));
    p
}

/// `l3` behind an untagged Ethernet header.
pub fn eth(l3: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    f.extend_from_slice(l3);
    f
}

/// An uplink frame of session `i` (UDP from the UE to [`SERVER`] with
/// `payload` bytes), with a UL PDU Session Container when `qfi` is given.
pub fn uplink_frame(i: u32, qfi: Option<u8>, payload: usize) -> Vec<u8> {
    let inner = ipv4_udp(ue(i), SERVER, payload);
    let mut gtp = vec![if qfi.is_some() { 0x34 } else { 0x30 }, 0xff, 0, 0];
    gtp.extend_from_slice(&(i + 1).to_be_bytes());
    if let Some(q) = qfi {
        gtp.extend_from_slice(&[0, 0, 0, 0x85, 1, 0x10, q, 0]);
    }
    let glen = gtp.len() - 8 + inner.len();
    gtp[2..4].copy_from_slice(&(glen as u16).to_be_bytes());
    gtp.extend_from_slice(&inner);
    let mut outer = ipv4_udp(GNB, N3, gtp.len());
    outer.truncate(28);
    outer[20..24].copy_from_slice(&[0x08, 0x68, 0x08, 0x68]);
    outer.extend_from_slice(&gtp);
    eth(&outer)
}

/// A downlink frame to session `i`'s UE from [`SERVER`] with `payload` bytes.
pub fn downlink_frame(i: u32, payload: usize) -> Vec<u8> {
    eth(&ipv4_udp(SERVER, ue(i), payload))
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::buf::VecBuf;
    use crate::compile::compile;
    use crate::path::{process, PathState, Verdict};
    use crate::tables::{Tables, Update};
    use std::sync::Arc;

    #[test]
    fn the_workload_forwards() {
        let cfg = path_config();
        let mut t = Tables::with_capacity(4);
        for i in 0..4 {
            t.apply(Update::Install(Arc::new(
                compile(&session(i, None), None).unwrap(),
            )));
        }
        let mut st = PathState::new(&cfg);
        for i in 0..4 {
            for (f, ingress) in [
                (uplink_frame(i, None, 18), Interface::Access),
                (uplink_frame(i, Some(9), 18), Interface::Access),
                (downlink_frame(i, 18), Interface::Core),
            ] {
                let mut b = VecBuf::new(&f);
                assert!(matches!(
                    process(&cfg, &t, &mut st, ingress, &mut b, 1),
                    Verdict::Forward { .. }
                ));
            }
        }
    }
}
