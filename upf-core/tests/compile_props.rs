//! Compiled rules give back the session they were compiled from, exactly.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use upf_core::compile::{compile, compile_owned};
use upf_core::rules::{
    ApplyAction, Bar, BitRate, FTeid, Far, ForwardingParameters, GateStatus, Interface,
    MeasurementMethod, OuterHeaderCreation, OuterHeaderCreationKind, OuterHeaderRemoval, Pdi, Pdr,
    Qer, ReportingTriggers, Session, TransportLevelMarking, UeIpAddress, Urr, Volume,
};
use upf_core::sdf::{FlowDescription, SdfFilter};

const FLOWS: &[&str] = &[
    "permit out ip from any to assigned",
    "permit out 17 from 10.1.0.0/16 to assigned 2152",
    "permit out 6 from any 80,443 to assigned",
    "deny in ip from assigned to 2001:db8::/32",
];

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>().prop_map(Ipv6Addr::from)
}

fn octets() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..12)
}

fn interface() -> impl Strategy<Value = Interface> {
    (0u8..16).prop_map(Interface::from)
}

fn sdf() -> impl Strategy<Value = SdfFilter> {
    (
        proptest::option::of(0..FLOWS.len()),
        any::<Option<(u8, u8)>>(),
        any::<Option<u32>>(),
        any::<Option<u32>>(),
        any::<Option<u32>>(),
    )
        .prop_map(|(flow, tos, spi, label, id)| SdfFilter {
            flow: flow.map(|i| FlowDescription::parse(FLOWS[i]).unwrap()),
            tos_traffic_class: tos,
            spi,
            flow_label: label,
            filter_id: id,
        })
}

fn pdi() -> impl Strategy<Value = Pdi> {
    (
        (
            interface(),
            proptest::option::of((any::<u32>(), ipv4(), proptest::option::of(ipv6()))),
            proptest::option::of(octets()),
            proptest::option::of((
                proptest::option::of(ipv4()),
                proptest::option::of(ipv6()),
                any::<u8>(),
                any::<bool>(),
            )),
        ),
        (
            vec(sdf(), 0..3),
            proptest::option::of(0u8..64),
            proptest::option::of(octets()),
            vec((ipv4(), 0u8..=32), 0..2),
            vec((ipv6(), 0u8..=128), 0..2),
        ),
    )
        .prop_map(|((src, fteid, ni, ue), (sdf, qfi, app, r4, r6))| Pdi {
            source_interface: src,
            local_fteid: fteid.map(|(teid, v4, v6)| FTeid {
                teid,
                ipv4: Some(v4),
                ipv6: v6,
            }),
            network_instance: ni,
            ue_ip: ue.map(
                |(ipv4, ipv6, ipv6_prefix_len, is_destination)| UeIpAddress {
                    ipv4,
                    ipv6,
                    ipv6_prefix_len,
                    is_destination,
                },
            ),
            sdf_filters: sdf,
            qfi,
            application_id: app,
            framed_routes_v4: r4,
            framed_routes_v6: r6,
        })
}

fn ohc() -> impl Strategy<Value = OuterHeaderCreation> {
    (
        0usize..6,
        any::<u32>(),
        ipv4(),
        ipv6(),
        any::<bool>(),
        any::<Option<u16>>(),
    )
        .prop_map(|(k, teid, v4, v6, both, port)| {
            use OuterHeaderCreationKind as K;
            let kind = [
                K::GtpuUdpIpv4,
                K::GtpuUdpIpv6,
                K::UdpIpv4,
                K::UdpIpv6,
                K::Ipv4,
                K::Ipv6,
            ][k];
            let v4_needed = matches!(kind, K::GtpuUdpIpv4 | K::UdpIpv4 | K::Ipv4);
            OuterHeaderCreation {
                kind,
                teid,
                ipv4: (v4_needed || both).then_some(v4),
                ipv6: (!v4_needed || both).then_some(v6),
                port,
            }
        })
}

fn forwarding() -> impl Strategy<Value = ForwardingParameters> {
    (
        interface(),
        proptest::option::of(octets()),
        proptest::option::of(ohc()),
        any::<Option<(u8, u8)>>(),
        proptest::option::of(octets()),
    )
        .prop_map(|(dst, ni, ohc, tlm, policy)| ForwardingParameters {
            destination_interface: dst,
            network_instance: ni,
            outer_header_creation: ohc,
            transport_level_marking: tlm.map(|(tos, mask)| TransportLevelMarking { tos, mask }),
            forwarding_policy: policy,
        })
}

/// A FAR with the index of its BAR among the session's, if any.
fn far() -> impl Strategy<Value = (Far, Option<Index>)> {
    (
        0u32..8,
        any::<u16>(),
        proptest::option::of(forwarding()),
        vec(forwarding(), 0..2),
        proptest::option::of(any::<Index>()),
    )
        .prop_map(|(id, action, fwd, dup, bar)| {
            let mut a = ApplyAction(action & 0x07ff);
            if a.contains(ApplyAction::FORW) && a.contains(ApplyAction::DROP) {
                a = ApplyAction(a.0 & !ApplyAction::DROP.0);
            }
            let forwarding = if a.contains(ApplyAction::FORW) {
                Some(fwd.unwrap_or_else(|| ForwardingParameters::to(Interface::Core)))
            } else {
                fwd
            };
            let far = Far {
                id,
                apply_action: a,
                forwarding,
                duplicating: dup,
                bar_id: None,
            };
            (far, bar)
        })
}

fn bit_rate() -> impl Strategy<Value = BitRate> {
    (any::<u64>(), any::<u64>()).prop_map(|(ul_kbps, dl_kbps)| BitRate { ul_kbps, dl_kbps })
}

fn qer() -> impl Strategy<Value = Qer> {
    (
        (0u32..8, any::<Option<u32>>(), any::<bool>(), any::<bool>()),
        (
            proptest::option::of(bit_rate()),
            proptest::option::of(bit_rate()),
            proptest::option::of(0u8..64),
            any::<bool>(),
            proptest::option::of(0u8..8),
            any::<Option<u32>>(),
        ),
    )
        .prop_map(|((id, corr, ul, dl), (mbr, gbr, qfi, rqi, ppi, window))| {
            let gate = |c| {
                if c {
                    GateStatus::Closed
                } else {
                    GateStatus::Open
                }
            };
            Qer {
                id,
                correlation_id: corr,
                gate_ul: gate(ul),
                gate_dl: gate(dl),
                mbr,
                gbr,
                qfi,
                rqi,
                ppi,
                averaging_window_ms: window,
            }
        })
}

fn volume() -> impl Strategy<Value = Volume> {
    (
        any::<Option<u64>>(),
        any::<Option<u64>>(),
        any::<Option<u64>>(),
    )
        .prop_map(|(total, uplink, downlink)| Volume {
            total,
            uplink,
            downlink,
        })
}

fn urr() -> impl Strategy<Value = Urr> {
    (
        (0u32..8, any::<(bool, bool, bool)>(), any::<u32>()),
        (
            proptest::option::of(volume()),
            proptest::option::of(volume()),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
            any::<u8>(),
        ),
    )
        .prop_map(
            |((id, (duration, volume, event), rt), (th, quota, tt, tq, mi))| Urr {
                measurement_method: MeasurementMethod {
                    duration,
                    volume,
                    event,
                },
                reporting_triggers: ReportingTriggers(rt),
                volume_threshold: th,
                volume_quota: quota,
                time_threshold: tt,
                time_quota: tq,
                measurement_information: mi,
                ..Urr::volume(id)
            },
        )
}

/// A PDR with the indices of its FAR, QERs and URRs among the session's.
type PdrRefs = (Pdr, Option<Index>, Vec<Index>, Vec<Index>);

fn pdr() -> impl Strategy<Value = PdrRefs> {
    (
        (0u16..12, any::<u32>(), pdi()),
        proptest::option::of(any::<u8>()),
        proptest::option::of(any::<Index>()),
        vec(any::<Index>(), 0..4),
        vec(any::<Index>(), 0..4),
    )
        .prop_map(|((id, precedence, pdi), ohr, far, qers, urrs)| {
            let pdr = Pdr {
                id,
                precedence,
                pdi,
                outer_header_removal: ohr.map(OuterHeaderRemoval::from),
                far_id: None,
                qer_ids: vec![],
                urr_ids: vec![],
            };
            (pdr, far, qers, urrs)
        })
}

/// A valid session, built through the session's own operations (so IDs
/// are unique), with rules in the order they were created.
fn session() -> impl Strategy<Value = Session> {
    (
        any::<u64>(),
        vec((0u8..8, any::<Option<u32>>(), any::<Option<u16>>()), 0..3),
        vec(qer(), 0..4),
        vec(urr(), 0..4),
        vec(far(), 0..4),
        vec(pdr(), 0..6),
    )
        .prop_map(|(seid, bars, qers, urrs, fars, pdrs)| {
            let mut s = Session::new(seid);
            for (id, delay, packets) in bars {
                let _ = s.create_bar(Bar {
                    id,
                    dl_data_notification_delay_ms: delay,
                    suggested_buffering_packets: packets,
                });
            }
            for q in qers {
                let _ = s.create_qer(q);
            }
            for u in urrs {
                let _ = s.create_urr(u);
            }
            for (mut f, bar) in fars {
                f.bar_id = bar
                    .filter(|_| !s.bars.is_empty())
                    .map(|i| s.bars[i.index(s.bars.len())].id);
                let _ = s.create_far(f);
            }
            for (mut p, far, qers, urrs) in pdrs {
                p.far_id = far
                    .filter(|_| !s.fars.is_empty())
                    .map(|i| s.fars[i.index(s.fars.len())].id);
                if !s.qers.is_empty() {
                    p.qer_ids = qers
                        .iter()
                        .map(|i| s.qers[i.index(s.qers.len())].id)
                        .collect();
                }
                if !s.urrs.is_empty() {
                    p.urr_ids = urrs
                        .iter()
                        .map(|i| s.urrs[i.index(s.urrs.len())].id)
                        .collect();
                }
                let _ = s.create_pdr(p);
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn compiled_rules_give_back_the_session(s in session()) {
        s.validate().unwrap();
        let rules = compile(&s, None).unwrap();
        prop_assert_eq!(rules.to_session(), s.clone());
        // And so does a version compiled over a previous one, and one
        // compiled from a session given by value.
        let again = compile(&s, Some(&rules)).unwrap();
        prop_assert_eq!(again.to_session(), s.clone());
        let owned = compile_owned(s.clone(), Some(&again)).unwrap();
        prop_assert_eq!(owned.to_session(), s);
    }

    #[test]
    fn modifying_the_given_back_session_is_modifying_the_session(
        s in session(),
        q in qer(),
    ) {
        let rules = compile(&s, None).unwrap();
        let mut a = s.clone();
        let mut b = rules.to_session();
        let ra = a.update_qer(q.clone()).or_else(|_| a.create_qer(q.clone()));
        let rb = b.update_qer(q.clone()).or_else(|_| b.create_qer(q));
        prop_assert_eq!(ra, rb);
        prop_assert_eq!(compile(&b, Some(&rules)).unwrap().to_session(), a);
    }
}
