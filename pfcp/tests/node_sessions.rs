//! Sessions through the node: F-TEID allocation (CHOOSE, CHOOSE ID, V4 and
//! V6), conversion failures with their Cause and Failed Rule ID, all or
//! nothing modifications, end markers, limits, and the SMF shapes the UPF
//! must interoperate with (Open5GS, free5GC, OAI, SD-Core pfcpsim).

mod node_common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use node_common::*;
use pfcp::ie::types as t;
use pfcp::ie::*;
use pfcp::message::*;
use pfcp::node::NodeEvent;
use pfcp::{Cause, Message};
use upf_core::compile::{FarAction, TunnelKey};

fn v4v6_config() -> pfcp::node::NodeConfig {
    let mut c = config();
    c.n3_ipv6 = Some(UPF_V6);
    c
}

#[test]
fn open5gs_establishment_choose_id_v4_v6_cp_function_and_bar() {
    let mut h = H::new(v4v6_config());
    h.associate();
    let (up, r) = h.establish(open5gs(1));
    assert_eq!(r.node_id, NodeId::Ipv4(UPF));
    assert_eq!(r.up_f_seid.unwrap().ipv4, Some(UPF));
    // PDRs 2 and 3 share CHOOSE ID 5: one TEID, both addresses (V4 and V6
    // were both asked for).
    let f2 = created_teid(&r.created_pdrs, 2);
    let f3 = created_teid(&r.created_pdrs, 3);
    assert_eq!(f2, f3);
    let FTeid::Explicit { teid, ipv4, ipv6 } = f2 else {
        panic!()
    };
    assert_eq!((ipv4, ipv6), (Some(UPF), Some(UPF_V6)));
    // PDR 4 (from the CP function) chose without a CHOOSE ID: its own TEID.
    let f4 = created_teid(&r.created_pdrs, 4);
    assert_ne!(f4.teid(), Some(teid));
    assert!(
        r.created_pdrs.iter().all(|c| c.pdr_id.0 != 1),
        "PDR 1 chose nothing"
    );
    let rules = h.node.session_rules(up).unwrap().clone();
    let keys: Vec<_> = rules.tunnel_keys().collect();
    assert!(keys.contains(&TunnelKey {
        teid,
        addr: IpAddr::V4(UPF)
    }));
    assert!(keys.contains(&TunnelKey {
        teid,
        addr: IpAddr::V6(UPF_V6)
    }));
    assert_eq!(rules.ue_v4().collect::<Vec<_>>(), [(UE, 32)]);
    // The first downlink FAR buffers and notifies, with its BAR.
    let far1 = rules.fars.iter().find(|f| f.id == 1).unwrap();
    assert!(matches!(far1.action, FarAction::Buffer { notify: true, bar: Some(b) } if b.id == 1));
    // The Router Solicitation PDR keeps its SDF filter; its FAR goes to the CP function.
    let pdr3 = rules.pdrs.iter().find(|p| p.id == 3).unwrap();
    assert_eq!(pdr3.pdi.sdf.len(), 1);
    let far3 = rules.fars.iter().find(|f| f.id == 3).unwrap();
    assert!(
        matches!(far3.action, FarAction::Forward(f) if f.destination == upf_core::rules::Interface::CpFunction)
    );
    // Source interface CP-function.
    let pdr4 = rules.pdrs.iter().find(|p| p.id == 4).unwrap();
    assert_eq!(
        pdr4.source_interface,
        upf_core::rules::Interface::CpFunction
    );
    // Network instance kept as sent (DNS labels).
    let s = &h.node.session_rules(up).unwrap();
    assert!(s.pdrs.iter().any(|p| p.id == 2));

    // The buffering downlink is turned into forwarding toward the gNB.
    let m = h.modify(
        up,
        SessionModificationRequest {
            update_fars: vec![UpdateFar {
                far_id: FarId(1),
                apply_action: Some(ApplyAction::from_flags(&[ApplyAction::FORW])),
                update_forwarding_parameters: Some(UpdateForwardingParameters {
                    destination_interface: Some(DestinationInterface::Access),
                    outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(0x99, GNB)),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    assert_eq!(m.cause.0, 1);
    let rules = h.node.session_rules(up).unwrap();
    let far1 = rules.fars.iter().find(|f| f.id == 1).unwrap();
    assert!(
        matches!(far1.action, FarAction::Forward(f) if f.outer_header_creation.unwrap().teid == 0x99)
    );
    h.node.check_invariants().unwrap();
}

#[test]
fn choose_without_choose_id_gives_each_pdr_its_own_teid() {
    // OAI: CH set, CHID 0, FTUP advertised.
    let mut h = H::with_default();
    h.associate();
    let mut req = simple(1, None);
    let mut second = req.create_pdrs[0].clone();
    second.pdr_id = PdrId(3);
    second.precedence = Precedence(200);
    second.pdi.source_interface_type = Some(TgppInterfaceType::N3Access3gpp);
    req.create_pdrs.push(second);
    let (_, r) = h.establish(req);
    let a = created_teid(&r.created_pdrs, 1);
    let b = created_teid(&r.created_pdrs, 3);
    assert_ne!(a.teid(), b.teid());
}

#[test]
fn n9_addresses_for_core_side_tunnels() {
    let mut cfg = config();
    cfg.n9_ipv4 = Some(Ipv4Addr::new(10, 9, 0, 7));
    let mut h = H::new(cfg);
    h.associate();
    let mut req = simple(1, None);
    req.create_pdrs[0].pdi.source_interface_type = Some(TgppInterfaceType::N9);
    let (_, r) = h.establish(req);
    assert!(matches!(
        created_teid(&r.created_pdrs, 1),
        FTeid::Explicit { ipv4: Some(a), .. } if a == Ipv4Addr::new(10, 9, 0, 7)
    ));
}

#[test]
fn choose_v6_without_a_v6_address_is_refused() {
    let mut h = H::with_default();
    h.associate();
    let mut req = simple(1, None);
    req.create_pdrs[0].pdi.local_f_teid = Some(FTeid::Choose {
        v4: false,
        v6: true,
        choose_id: None,
    });
    let (_, m) = h.request(req, Some(0));
    assert!(
        matches!(m, Message::SessionEstablishmentResponse(ref r) if r.cause == Cause::NO_RESOURCES_AVAILABLE)
    );
    assert_eq!(h.node.session_count(), 0);
}

fn establishment_failure(
    h: &mut H,
    req: SessionEstablishmentRequest,
) -> SessionEstablishmentResponse {
    let (hd, m) = h.request(req.clone(), Some(0));
    assert_eq!(hd.seid, Some(req.cp_f_seid.seid));
    match m {
        Message::SessionEstablishmentResponse(r) => {
            assert!(!r.cause.is_accepted());
            assert_eq!(r.node_id, NodeId::Ipv4(UPF));
            assert!(r.up_f_seid.is_none());
            r
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn conversion_failures_carry_cause_offending_ie_and_failed_rule() {
    let mut h = H::with_default();
    h.associate();
    // SDF filter text that does not parse: 73, Failed Rule ID = the PDR.
    let mut req = simple(1, None);
    req.create_pdrs[1].pdi.sdf_filters =
        vec![SdfFilter::flow("permit out 17 from bogus to assigned")];
    let r = establishment_failure(&mut h, req);
    assert_eq!(r.cause, Cause::RULE_CREATION_MODIFICATION_FAILURE);
    assert_eq!(r.failed_rule_id, Some(FailedRuleId::Pdr(2)));
    // FORW without Forwarding Parameters: Conditional IE missing.
    let mut req = simple(2, None);
    req.create_fars[0].forwarding_parameters = None;
    let r = establishment_failure(&mut h, req);
    assert_eq!(r.cause, Cause::CONDITIONAL_IE_MISSING);
    assert_eq!(r.offending_ie, Some(OffendingIe(t::FORWARDING_PARAMETERS)));
    // Periodic reporting without a Measurement Period.
    let r = establishment_failure(&mut h, simple(3, Some(urr(1, &[ReportingTriggers::PERIO]))));
    assert_eq!(r.cause, Cause::CONDITIONAL_IE_MISSING);
    assert_eq!(r.offending_ie, Some(OffendingIe(t::MEASUREMENT_PERIOD)));
    // Volume threshold trigger without a threshold.
    let r = establishment_failure(&mut h, simple(3, Some(urr(1, &[ReportingTriggers::VOLTH]))));
    assert_eq!(r.offending_ie, Some(OffendingIe(t::VOLUME_THRESHOLD)));
    // A PDR pointing at a FAR that does not exist.
    let mut req = simple(4, None);
    req.create_pdrs[0].far_id = Some(FarId(99));
    let r = establishment_failure(&mut h, req);
    assert_eq!(r.cause, Cause::RULE_CREATION_MODIFICATION_FAILURE);
    assert_eq!(r.failed_rule_id, Some(FailedRuleId::Pdr(1)));
    // Two PDRs with one ID.
    let mut req = simple(5, None);
    req.create_pdrs[1].pdr_id = PdrId(1);
    let r = establishment_failure(&mut h, req);
    assert_eq!(r.failed_rule_id, Some(FailedRuleId::Pdr(1)));
    // Two FARs with one ID.
    let mut req = simple(6, None);
    req.create_fars[1].far_id = FarId(1);
    let r = establishment_failure(&mut h, req);
    assert_eq!(r.failed_rule_id, Some(FailedRuleId::Far(1)));
    // DROP and FORW together.
    let mut req = simple(7, None);
    req.create_fars[0].apply_action =
        ApplyAction::from_flags(&[ApplyAction::DROP, ApplyAction::FORW]);
    let r = establishment_failure(&mut h, req);
    assert_eq!(r.failed_rule_id, Some(FailedRuleId::Far(1)));
    assert_eq!(h.node.session_count(), 0);
    assert_eq!(h.node.dataplane().installs, 0);
    h.node.check_invariants().unwrap();
}

#[test]
fn explicit_teid_taken_by_another_session_is_refused() {
    let mut h = H::with_default();
    h.associate();
    h.establish(free5gc(1, 0x100));
    let r = establishment_failure(&mut h, free5gc(2, 0x100));
    assert_eq!(r.cause, Cause::RULE_CREATION_MODIFICATION_FAILURE);
    assert_eq!(r.failed_rule_id, Some(FailedRuleId::Pdr(1)));
    h.establish(free5gc(3, 0x101));
    assert_eq!(h.node.session_count(), 2);
}

#[test]
fn failed_modification_leaves_the_session_as_it_was() {
    let mut h = H::with_default();
    h.associate();
    let (up, _) = h.establish(simple(1, None));
    let before = h.node.session_rules(up).unwrap().clone();
    let installs = h.node.dataplane().installs;
    // A good update, a good creation with CHOOSE, and a bad SDF filter.
    let req = SessionModificationRequest {
        update_fars: vec![UpdateFar {
            far_id: FarId(2),
            apply_action: Some(ApplyAction::from_flags(&[ApplyAction::DROP])),
            ..Default::default()
        }],
        create_pdrs: vec![
            CreatePdr {
                pdr_id: PdrId(10),
                precedence: Precedence(5),
                pdi: Pdi {
                    source_interface: SourceInterface::Access,
                    local_f_teid: Some(FTeid::Choose {
                        v4: true,
                        v6: false,
                        choose_id: Some(9),
                    }),
                    ..Default::default()
                },
                far_id: Some(FarId(1)),
                ..Default::default()
            },
            CreatePdr {
                pdr_id: PdrId(11),
                precedence: Precedence(5),
                pdi: Pdi {
                    source_interface: SourceInterface::Core,
                    sdf_filters: vec![SdfFilter::flow("permit out ip from any to")],
                    ..Default::default()
                },
                far_id: Some(FarId(2)),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let r = h.modify(up, req.clone());
    assert_eq!(r.cause, Cause::RULE_CREATION_MODIFICATION_FAILURE);
    assert_eq!(r.failed_rule_id, Some(FailedRuleId::Pdr(11)));
    assert!(Arc::ptr_eq(&before, h.node.session_rules(up).unwrap()));
    assert_eq!(h.node.dataplane().installs, installs, "nothing published");
    h.node.check_invariants().unwrap();
    // Update of a FAR that does not exist: the same.
    let r = h.modify(
        up,
        SessionModificationRequest {
            update_fars: vec![UpdateFar {
                far_id: FarId(42),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    assert_eq!(r.failed_rule_id, Some(FailedRuleId::Far(42)));
    // Removing the FAR a PDR still uses.
    let r = h.modify(
        up,
        SessionModificationRequest {
            remove_fars: vec![RemoveFar {
                far_id: FarId(1),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    assert_eq!(r.cause, Cause::RULE_CREATION_MODIFICATION_FAILURE);
    assert_eq!(r.failed_rule_id, Some(FailedRuleId::Pdr(1)));
    assert!(Arc::ptr_eq(&before, h.node.session_rules(up).unwrap()));
    // The good part alone applies, and the chosen TEID comes back.
    let mut good = req;
    good.create_pdrs.truncate(1);
    let r = h.modify(up, good);
    assert_eq!(r.cause.0, 1);
    assert!(created_teid(&r.created_pdrs, 10).teid().is_some());
    h.node.check_invariants().unwrap();
}

#[test]
fn sndem_emits_an_end_marker_for_the_old_tunnel() {
    let mut h = H::with_default();
    h.associate();
    let (up, _) = h.establish(simple(1, None));
    h.events();
    let r = h.modify(
        up,
        SessionModificationRequest {
            update_fars: vec![UpdateFar {
                far_id: FarId(2),
                update_forwarding_parameters: Some(UpdateForwardingParameters {
                    outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(
                        0x77,
                        Ipv4Addr::new(192, 168, 0, 11),
                    )),
                    pfcpsmreq_flags: Some(PfcpSmReqFlags::from_flags(&[PfcpSmReqFlags::SNDEM])),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    assert_eq!(r.cause.0, 1);
    assert_eq!(
        h.events(),
        vec![NodeEvent::SendEndMarker {
            seid: up,
            local: Some(IpAddr::V4(UPF)),
            peer: IpAddr::V4(GNB),
            teid: 0x42
        }]
    );
}

fn switch_dl_tunnel(teid: u32, sndem: bool) -> SessionModificationRequest {
    SessionModificationRequest {
        update_fars: vec![UpdateFar {
            far_id: FarId(2),
            update_forwarding_parameters: Some(UpdateForwardingParameters {
                outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(
                    teid,
                    Ipv4Addr::new(192, 168, 0, 11),
                )),
                pfcpsmreq_flags: sndem
                    .then(|| PfcpSmReqFlags::from_flags(&[PfcpSmReqFlags::SNDEM])),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn end_markers_only_with_sndem_and_a_changed_tunnel() {
    let mut h = H::with_default();
    h.associate();
    let (up, _) = h.establish(simple(1, None));
    h.events();
    // A new tunnel without SNDEM: switched silently.
    assert_eq!(h.modify(up, switch_dl_tunnel(0x77, false)).cause.0, 1);
    assert_eq!(h.events(), vec![]);
    // SNDEM for the tunnel in use: nothing to end.
    assert_eq!(h.modify(up, switch_dl_tunnel(0x77, true)).cause.0, 1);
    assert_eq!(h.events(), vec![]);
    // SNDEM with a new tunnel: one End Marker, for the tunnel before it.
    assert_eq!(h.modify(up, switch_dl_tunnel(0x78, true)).cause.0, 1);
    assert_eq!(
        h.events(),
        vec![NodeEvent::SendEndMarker {
            seid: up,
            local: Some(IpAddr::V4(UPF)),
            peer: IpAddr::V4(Ipv4Addr::new(192, 168, 0, 11)),
            teid: 0x77
        }]
    );
    // The dataplane already runs the new tunnel when the event comes.
    let rules = h.node.session_rules(up).unwrap();
    let far = rules.fars.iter().find(|f| f.id == 2).unwrap();
    let FarAction::Forward(fw) = &far.action else {
        panic!("forwarding FAR")
    };
    assert_eq!(fw.outer_header_creation.unwrap().teid, 0x78);
}

#[test]
fn end_marker_toward_the_core_leaves_from_the_n9_address() {
    let n9 = Ipv4Addr::new(10, 20, 0, 7);
    let mut cfg = config();
    cfg.n9_ipv4 = Some(n9);
    let mut h = H::new(cfg);
    h.associate();
    let mut est = simple(1, None);
    // FAR 1 sends uplink into an N9 tunnel toward the next UPF.
    est.create_fars[0].forwarding_parameters = Some(ForwardingParameters {
        destination_interface: DestinationInterface::Core,
        outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(
            0x500,
            Ipv4Addr::new(10, 20, 0, 9),
        )),
        ..Default::default()
    });
    let (up, _) = h.establish(est);
    h.events();
    let mut m = switch_dl_tunnel(0x501, true);
    m.update_fars[0].far_id = FarId(1);
    assert_eq!(h.modify(up, m).cause.0, 1);
    assert_eq!(
        h.events(),
        vec![NodeEvent::SendEndMarker {
            seid: up,
            local: Some(IpAddr::V4(n9)),
            peer: IpAddr::V4(Ipv4Addr::new(10, 20, 0, 9)),
            teid: 0x500
        }]
    );
}

#[test]
fn session_limits() {
    let mut cfg = config();
    cfg.max_sessions = 2;
    let mut h = H::new(cfg);
    h.associate();
    h.establish(simple(1, None));
    h.establish(simple(2, None));
    let r = establishment_failure(&mut h, simple(3, None));
    assert_eq!(r.cause, Cause::NO_RESOURCES_AVAILABLE);
    let mut cfg = config();
    cfg.max_sessions_per_peer = 1;
    let mut h = H::new(cfg);
    h.associate();
    h.establish(simple(1, None));
    let r = establishment_failure(&mut h, simple(2, None));
    assert_eq!(r.cause, Cause::NO_RESOURCES_AVAILABLE);
}

#[test]
fn up_seids_are_unique_and_teids_are_freed() {
    let mut cfg = config();
    cfg.teid_range = (1, 4);
    let mut h = H::new(cfg);
    h.associate();
    let mut seids = Vec::new();
    for cp in 0..4 {
        seids.push(h.establish(simple(cp, None)).0);
    }
    let r = establishment_failure(&mut h, simple(9, None));
    assert_eq!(r.cause, Cause::NO_RESOURCES_AVAILABLE, "TEID range used up");
    let (_, m) = h.request(SessionDeletionRequest::default(), Some(seids[1]));
    assert!(matches!(m, Message::SessionDeletionResponse(ref r) if r.cause.0 == 1));
    let (s, _) = h.establish(simple(10, None));
    assert!(!seids.contains(&s), "a SEID is never reused");
    h.node.check_invariants().unwrap();
}

#[test]
fn free5gc_two_qers_per_pdr_and_plain_network_instance() {
    let mut h = H::with_default();
    h.associate();
    let (up, r) = h.establish(free5gc(2, 1));
    assert!(
        r.created_pdrs.is_empty(),
        "SMF-allocated TEIDs: nothing chosen"
    );
    let rules = h.node.session_rules(up).unwrap();
    assert_eq!(rules.tunnel_keys().next().unwrap().teid, 1);
    for p in rules.pdrs.iter() {
        assert_eq!(p.qers.len(), 2, "PDR {}", p.id);
    }
    let ul = rules.pdrs.iter().find(|p| p.id == 1).unwrap();
    assert_eq!(ul.qfi, None, "uplink PDR without QFI");
    let q2 = rules.qers.iter().find(|q| q.id == 2).unwrap();
    assert!(q2.dl_closed && !q2.ul_closed);
    // Our stamp is the same in every heartbeat response.
    for _ in 0..3 {
        let (_, m) = h.request(
            HeartbeatRequest {
                recovery_time_stamp: RecoveryTimeStamp(SMF_RECOVERY),
                ..Default::default()
            },
            None,
        );
        assert!(
            matches!(m, Message::HeartbeatResponse(ref r) if r.recovery_time_stamp.0 == OUR_RECOVERY)
        );
    }
}

/// OAI: 3GPP Interface Type in the PDI, CHOOSE without CHOOSE ID, URRs
/// with periodic, volume and time triggers; the downlink PDR and FAR come
/// in a modification.
#[test]
fn oai_shapes() {
    let mut h = H::with_default();
    h.associate();
    let mut u = urr(
        1,
        &[
            ReportingTriggers::PERIO,
            ReportingTriggers::VOLTH,
            ReportingTriggers::TIMTH,
        ],
    );
    u.measurement_period = Some(MeasurementPeriod(10));
    u.volume_threshold = Some(VolumeThreshold {
        total: Some(1_000_000),
        ..Default::default()
    });
    u.time_threshold = Some(TimeThreshold(60));
    let mut req = simple(1, Some(u));
    req.create_pdrs[0].pdi.source_interface_type = Some(TgppInterfaceType::N3Access3gpp);
    let dl_pdr = req.create_pdrs.remove(1);
    let dl_far = req.create_fars.remove(1);
    let (up, r) = h.establish(req);
    assert!(created_teid(&r.created_pdrs, 1).teid().is_some());
    let m = h.modify(
        up,
        SessionModificationRequest {
            create_pdrs: vec![dl_pdr],
            create_fars: vec![dl_far],
            ..Default::default()
        },
    );
    assert_eq!(m.cause.0, 1);
    let rules = h.node.session_rules(up).unwrap();
    assert_eq!(rules.pdrs.len(), 2);
    assert_eq!(rules.ue_v4().collect::<Vec<_>>(), [(UE, 32)]);
}

/// SD-Core pfcpsim sends a CP F-SEID in the Session Deletion Request.
#[test]
fn deletion_with_cp_f_seid_is_accepted() {
    let mut h = H::with_default();
    h.associate();
    let (up, _) = h.establish(simple(1, None));
    let Message::SessionDeletionRequest(req) = vector_message("session_deletion_request_cp_fseid")
    else {
        unreachable!()
    };
    assert!(req.cp_f_seid.is_some());
    let (hd, m) = h.request(req, Some(up));
    assert_eq!(hd.seid, Some(1));
    assert!(matches!(m, Message::SessionDeletionResponse(ref r) if r.cause.0 == 1));
    assert_eq!(h.node.session_count(), 0);
    assert_eq!(h.node.dataplane().removes, vec![up]);
}

#[test]
fn ue_ip_allocation_from_a_pool() {
    let mut cfg = config();
    cfg.ue_pools_v4 = vec![pfcp::node::UePoolV4 {
        network: Ipv4Addr::new(10, 60, 0, 0),
        prefix_len: 24,
    }];
    let mut h = H::new(cfg);
    h.associate();
    let mut req = simple(1, None);
    for (i, p) in req.create_pdrs.iter_mut().enumerate() {
        p.pdi.ue_ip_addresses = vec![UeIpAddress {
            choose_v4: true,
            destination: i == 1,
            ..Default::default()
        }];
    }
    let (up, r) = h.establish(req);
    let ips: Vec<_> = r
        .created_pdrs
        .iter()
        .flat_map(|c| c.ue_ip_addresses.iter().map(|u| u.ipv4))
        .collect();
    assert_eq!(ips, vec![Some(Ipv4Addr::new(10, 60, 0, 1)); 2]);
    assert_eq!(
        h.node
            .session_rules(up)
            .unwrap()
            .ue_v4()
            .collect::<Vec<_>>(),
        [(Ipv4Addr::new(10, 60, 0, 1), 32)]
    );
}
