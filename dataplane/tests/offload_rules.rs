//! The exact flow rules the offload derives from compiled sessions: uplink
//! with and without QFI, downlink by UE address, IPv6, VLANs, RSS where the
//! port has no QUEUE, and nothing where the port cannot match. No DPDK.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dataplane::offload::spec::{
    session_rules, Action, FlowSpec, Item, RuleKey, Target, TopoPort, Topology, WantedRule,
};
use dataplane::offload::PortOffloadCaps;
use dataplane::steer::{owner, steer_key};
use dpdk_sys::consts::{RTE_ETH_RSS_GTPU, RTE_ETH_RSS_IP};
use upf_core::compile::{compile, SessionRules};
use upf_core::rules::*;

const N3_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const N6_V4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const UE_V4: Ipv4Addr = Ipv4Addr::new(10, 45, 0, 10);
const N3_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 3, 0, 0, 0, 1);
const UE_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x45, 7, 0, 0, 0, 0);
const TEID: u32 = 0x0102_0304;
const WORKERS: usize = 4;
const MARK: u32 = 0x12_3456;

fn all_caps() -> PortOffloadCaps {
    PortOffloadCaps {
        gtp_teid_match: true,
        gtp_psc_qfi_match: true,
        mark: true,
        queue: true,
        rss_gtpu: true,
        rss_inner: true,
        raw_decap: true,
        errors: vec![],
    }
}

/// N3 on port id 10, N6 on port id 11, four queues each.
fn topo(caps: PortOffloadCaps) -> Topology {
    let port = |id| TopoPort {
        port_id: id,
        rx_queues: WORKERS as u16,
        caps: caps.clone(),
    };
    Topology {
        workers: WORKERS,
        ports: vec![port(10), port(11)],
        n3: Some(Target {
            port: 0,
            vlan: None,
        }),
        n6: Some(Target {
            port: 1,
            vlan: None,
        }),
        n9: None,
        access_v4: Some(N3_V4),
        access_v6: Some(N3_V6),
        core_v4: Some(N6_V4),
        core_v6: None,
    }
}

/// A session: one uplink PDR per entry of `qfis` (PDI QFI) on the F-TEID
/// (`TEID` at `n3`), one downlink PDR for the UE address.
fn session(n3: IpAddr, ue: IpAddr, qfis: &[Option<u8>]) -> SessionRules {
    let mut s = Session::new(1);
    s.create_far(Far::forward(1, ForwardingParameters::to(Interface::Core)))
        .unwrap();
    s.create_far(Far::forward(2, ForwardingParameters::to(Interface::Access)))
        .unwrap();
    let ue_ip = |dest| UeIpAddress {
        ipv4: match ue {
            IpAddr::V4(a) => Some(a),
            _ => None,
        },
        ipv6: match ue {
            IpAddr::V6(a) => Some(a),
            _ => None,
        },
        ipv6_prefix_len: 64,
        is_destination: dest,
    };
    for (i, q) in qfis.iter().enumerate() {
        let mut pdi = Pdi::new(Interface::Access);
        pdi.local_fteid = Some(FTeid {
            teid: TEID,
            ipv4: match n3 {
                IpAddr::V4(a) => Some(a),
                _ => None,
            },
            ipv6: match n3 {
                IpAddr::V6(a) => Some(a),
                _ => None,
            },
        });
        pdi.ue_ip = Some(ue_ip(false));
        pdi.qfi = *q;
        s.create_pdr(Pdr {
            id: 1 + i as u16,
            precedence: 100 + i as u32,
            pdi,
            outer_header_removal: Some(match n3 {
                IpAddr::V4(_) => OuterHeaderRemoval::GtpuUdpIpv4,
                IpAddr::V6(_) => OuterHeaderRemoval::GtpuUdpIpv6,
            }),
            far_id: Some(1),
            qer_ids: vec![],
            urr_ids: vec![],
        })
        .unwrap();
    }
    let mut pdi = Pdi::new(Interface::Core);
    pdi.ue_ip = Some(ue_ip(true));
    s.create_pdr(Pdr {
        id: 50,
        precedence: 200,
        pdi,
        outer_header_removal: None,
        far_id: Some(2),
        qer_ids: vec![],
        urr_ids: vec![],
    })
    .unwrap();
    compile(&s, None).unwrap()
}

/// The queue software steering gives a frame: the owner of its steering
/// key.
fn steer_queue(frame: &[u8]) -> u16 {
    owner(steer_key(frame).unwrap(), WORKERS) as u16
}

fn gtpu_v4_frame(teid: u32) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 20 + 8 + 8];
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[23] = 17;
    f[30..34].copy_from_slice(&N3_V4.octets());
    f[36..38].copy_from_slice(&2152u16.to_be_bytes());
    f[42] = 0x30;
    f[43] = 0xff;
    f[46..50].copy_from_slice(&teid.to_be_bytes());
    f
}

fn ipv4_frame(dst: Ipv4Addr) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 20 + 8];
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[23] = 17;
    f[30..34].copy_from_slice(&dst.octets());
    f
}

fn ipv6_frame(dst: Ipv6Addr, gtp_teid: Option<u32>) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 40 + 8 + 8];
    f[12..14].copy_from_slice(&[0x86, 0xdd]);
    f[14] = 0x60;
    f[20] = 17;
    f[38..54].copy_from_slice(&dst.octets());
    if let Some(t) = gtp_teid {
        f[56..58].copy_from_slice(&2152u16.to_be_bytes());
        f[62] = 0x30;
        f[63] = 0xff;
        f[66..70].copy_from_slice(&t.to_be_bytes());
    }
    f
}

fn uplink_v4(qfi: Option<u8>, queue: Action) -> FlowSpec {
    let mut pattern = vec![
        Item::Eth,
        Item::Ipv4 {
            dst: Some((N3_V4, 32)),
        },
        Item::Udp {
            dst_port: Some(2152),
        },
        Item::Gtp {
            teid: Some(TEID),
            msg_type: Some(0xff),
            ext: qfi.is_some(),
        },
    ];
    if let Some(q) = qfi {
        pattern.push(Item::GtpPsc {
            qfi: Some(q),
            pdu_type: Some(1),
        });
    }
    FlowSpec {
        port: 10,
        pattern,
        actions: vec![Action::Mark(MARK), queue],
    }
}

fn downlink_v4(queue: u16) -> WantedRule {
    WantedRule {
        key: RuleKey::UeV4(UE_V4, 32),
        port: 1,
        spec: Some(FlowSpec {
            port: 11,
            pattern: vec![
                Item::Eth,
                Item::Ipv4 {
                    dst: Some((UE_V4, 32)),
                },
            ],
            actions: vec![Action::Mark(MARK), Action::Queue(queue)],
        }),
    }
}

#[test]
fn uplink_without_qfi_and_downlink_v4() {
    let rules = session(N3_V4.into(), UE_V4.into(), &[None]);
    let got = session_rules(&rules, &topo(all_caps()), MARK);
    let ul_q = steer_queue(&gtpu_v4_frame(TEID));
    let dl_q = steer_queue(&ipv4_frame(UE_V4));
    assert_eq!(
        got,
        vec![
            WantedRule {
                key: RuleKey::Tunnel {
                    teid: TEID,
                    addr: N3_V4.into(),
                    qfi: None
                },
                port: 0,
                spec: Some(uplink_v4(None, Action::Queue(ul_q))),
            },
            downlink_v4(dl_q),
        ]
    );
}

#[test]
fn uplink_with_qfis_one_rule_per_qfi() {
    let rules = session(N3_V4.into(), UE_V4.into(), &[Some(9), Some(5), Some(9)]);
    let q = steer_queue(&gtpu_v4_frame(TEID));
    let got = session_rules(&rules, &topo(all_caps()), MARK);
    let ul: Vec<(RuleKey, FlowSpec)> = got
        .iter()
        .filter(|w| matches!(w.key, RuleKey::Tunnel { .. }))
        .map(|w| (w.key, w.spec.clone().unwrap()))
        .collect();
    let key = |qfi| RuleKey::Tunnel {
        teid: TEID,
        addr: N3_V4.into(),
        qfi,
    };
    assert_eq!(
        ul,
        vec![
            (key(Some(5)), uplink_v4(Some(5), Action::Queue(q))),
            (key(Some(9)), uplink_v4(Some(9), Action::Queue(q))),
        ]
    );

    // A PDR without QFI on the tunnel: one rule for the whole tunnel.
    let rules = session(N3_V4.into(), UE_V4.into(), &[Some(5), None]);
    let got = session_rules(&rules, &topo(all_caps()), MARK);
    assert_eq!(got[0].spec, Some(uplink_v4(None, Action::Queue(q))));
    assert_eq!(got.len(), 2);

    // A port that cannot match the QFI: one rule for the whole tunnel.
    let caps = PortOffloadCaps {
        gtp_psc_qfi_match: false,
        ..all_caps()
    };
    let rules = session(N3_V4.into(), UE_V4.into(), &[Some(5), Some(9)]);
    let got = session_rules(&rules, &topo(caps), MARK);
    assert_eq!(got[0].spec, Some(uplink_v4(None, Action::Queue(q))));
    assert_eq!(got.len(), 2);
}

#[test]
fn rss_where_the_port_has_no_queue_action() {
    let rules = session(N3_V4.into(), UE_V4.into(), &[None]);
    let caps = PortOffloadCaps {
        queue: false,
        ..all_caps()
    };
    let got = session_rules(&rules, &topo(caps.clone()), MARK);
    assert_eq!(
        got[0].spec,
        Some(uplink_v4(
            None,
            Action::Rss {
                level: 0,
                types: RTE_ETH_RSS_GTPU,
                queues: vec![0, 1, 2, 3]
            }
        ))
    );
    assert_eq!(got[1].spec, None, "downlink needs QUEUE: software");

    let caps = PortOffloadCaps {
        queue: false,
        rss_gtpu: false,
        ..all_caps()
    };
    let got = session_rules(&rules, &topo(caps), MARK);
    assert_eq!(
        got[0].spec,
        Some(uplink_v4(
            None,
            Action::Rss {
                level: 2,
                types: RTE_ETH_RSS_IP,
                queues: vec![0, 1, 2, 3]
            }
        ))
    );
}

#[test]
fn ipv6_uplink_and_downlink() {
    let rules = session(N3_V6.into(), UE_V6.into(), &[Some(7)]);
    let got = session_rules(&rules, &topo(all_caps()), MARK);
    let ul_q = steer_queue(&ipv6_frame(N3_V6, Some(TEID)));
    let mut host = UE_V6.octets();
    host[15] = 0x42;
    let dl_q = steer_queue(&ipv6_frame(Ipv6Addr::from(host), None));
    assert_eq!(
        got,
        vec![
            WantedRule {
                key: RuleKey::Tunnel {
                    teid: TEID,
                    addr: N3_V6.into(),
                    qfi: Some(7)
                },
                port: 0,
                spec: Some(FlowSpec {
                    port: 10,
                    pattern: vec![
                        Item::Eth,
                        Item::Ipv6 {
                            dst: Some((N3_V6, 128))
                        },
                        Item::Udp {
                            dst_port: Some(2152)
                        },
                        Item::Gtp {
                            teid: Some(TEID),
                            msg_type: Some(0xff),
                            ext: true
                        },
                        Item::GtpPsc {
                            qfi: Some(7),
                            pdu_type: Some(1)
                        },
                    ],
                    actions: vec![Action::Mark(MARK), Action::Queue(ul_q)],
                }),
            },
            WantedRule {
                key: RuleKey::UeV6(UE_V6, 64),
                port: 1,
                spec: Some(FlowSpec {
                    port: 11,
                    pattern: vec![
                        Item::Eth,
                        Item::Ipv6 {
                            dst: Some((UE_V6, 64))
                        },
                    ],
                    actions: vec![Action::Mark(MARK), Action::Queue(dl_q)],
                }),
            },
        ]
    );
}

#[test]
fn vlans_and_ports_that_cannot() {
    let rules = session(N3_V4.into(), UE_V4.into(), &[None]);
    let mut t = topo(all_caps());
    t.n3 = Some(Target {
        port: 0,
        vlan: Some(100),
    });
    let got = session_rules(&rules, &t, MARK);
    assert_eq!(
        got[0].spec.as_ref().unwrap().pattern[1],
        Item::Vlan { vid: 100 }
    );
    assert_eq!(
        got[1].spec.as_ref().unwrap().pattern.len(),
        2,
        "N6 untagged"
    );

    // Nothing offloadable: every rule is wanted, none has a spec.
    let got = session_rules(&rules, &topo(PortOffloadCaps::default()), MARK);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|w| w.spec.is_none()));

    // No N6 attachment: no downlink rule.
    let mut t = topo(all_caps());
    t.n6 = None;
    assert_eq!(session_rules(&rules, &t, MARK).len(), 1);
}
