//! Usage reporting under simulated time, with exact byte counts driven
//! through the URR counters (as the fast path would count), and the other
//! session reports (Downlink Data, Error Indication) with their
//! retransmission.

mod node_common;

use std::sync::Arc;
use std::time::Duration;

use node_common::*;
use pfcp::ie::*;
use pfcp::message::*;
use pfcp::node::NodeEvent;
use pfcp::Message;
use upf_core::usage::UsageCounters;

fn counters(h: &H, up: u64, urr: u32) -> Arc<UsageCounters> {
    h.node
        .session_rules(up)
        .unwrap()
        .urr_counters(urr)
        .unwrap()
        .clone()
}

/// The single Session Report Request among `tx`.
fn report(tx: &[pfcp::node::Transmit]) -> (pfcp::Header, SessionReportRequest) {
    let reports: Vec<_> = tx
        .iter()
        .filter_map(|t| match decode(t) {
            (h, Message::SessionReportRequest(r)) => Some((h, r)),
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 1, "{tx:?}");
    reports.into_iter().next().unwrap()
}

fn answer(h: &mut H, seq: u32, cp_seid: u64) {
    let rsp = Message::from(SessionReportResponse {
        cause: pfcp::Cause::REQUEST_ACCEPTED,
        ..Default::default()
    })
    .encode(seq, Some(cp_seid))
    .unwrap();
    assert!(h.raw(smf_addr(), &rsp).is_empty());
}

#[test]
fn volume_threshold_reports_exact_counts() {
    let mut h = H::with_default();
    h.associate();
    let mut u = urr(1, &[ReportingTriggers::VOLTH]);
    u.volume_threshold = Some(VolumeThreshold {
        total: Some(1000),
        ..Default::default()
    });
    let (up, _) = h.establish(simple(5, Some(u)));
    let c = counters(&h, up, 1);
    c.count(true, 600, 1);
    assert!(
        h.advance(Duration::from_secs(1)).is_empty(),
        "below the threshold"
    );
    c.count(false, 500, 2);
    c.count(false, 3, 3);
    let tx = h.advance(Duration::from_secs(1));
    let (hd, r) = report(&tx);
    assert_eq!(hd.seid, Some(5), "sent with the CP SEID");
    assert_eq!(tx[0].dst, smf_addr());
    assert!(r.report_type.has(ReportType::USAR));
    let ur = &r.usage_reports[0];
    assert_eq!(ur.urr_id.0, 1);
    assert_eq!(ur.ur_seqn.0, 0);
    assert!(ur.usage_report_trigger.has(UsageReportTrigger::VOLTH));
    let v = ur.volume_measurement.unwrap();
    assert_eq!(
        (v.total_volume, v.uplink_volume, v.downlink_volume),
        (Some(1103), Some(600), Some(503))
    );
    assert_eq!(v.total_packets, None, "packets only when MNOP is asked for");
    assert_eq!(ur.duration_measurement, Some(DurationMeasurement(2)));
    assert_eq!(ur.start_time, Some(StartTime(OUR_RECOVERY)));
    assert_eq!(ur.end_time, Some(EndTime(OUR_RECOVERY + 2)));
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, NodeEvent::ReportSent { seid, report_type: 2 } if *seid == up)));
    answer(&mut h, hd.sequence, 5);
    // The next measurement starts from zero, with the next UR-SEQN.
    c.count(true, 999, 4);
    assert!(h.advance(Duration::from_secs(1)).is_empty());
    c.count(true, 1, 5);
    let (hd, r) = report(&h.advance(Duration::from_secs(1)));
    assert_eq!(r.usage_reports[0].ur_seqn.0, 1);
    assert_eq!(
        r.usage_reports[0].volume_measurement.unwrap().total_volume,
        Some(1000)
    );
    answer(&mut h, hd.sequence, 5);
    let later = h.advance(Duration::from_secs(10));
    assert!(
        later
            .iter()
            .all(|t| !matches!(decode(t).1, Message::SessionReportRequest(_))),
        "answered: no retransmission"
    );
}

#[test]
fn periodic_reports_with_packet_counts() {
    let mut h = H::with_default();
    h.associate();
    let mut u = urr(7, &[ReportingTriggers::PERIO]);
    u.measurement_period = Some(MeasurementPeriod(10));
    u.measurement_information = Some(MeasurementInformation::from_flags(&[
        MeasurementInformation::MNOP,
    ]));
    let (up, _) = h.establish(simple(5, Some(u)));
    let c = counters(&h, up, 7);
    for _ in 0..9 {
        c.count(true, 100, 1);
        assert!(h.advance(Duration::from_secs(1)).is_empty());
    }
    c.count(false, 50, 1);
    let (hd, r) = report(&h.advance(Duration::from_secs(1)));
    let ur = &r.usage_reports[0];
    assert!(ur.usage_report_trigger.has(UsageReportTrigger::PERIO));
    let v = ur.volume_measurement.unwrap();
    assert_eq!(v.total_volume, Some(950));
    assert_eq!(
        (v.total_packets, v.uplink_packets, v.downlink_packets),
        (Some(10), Some(9), Some(1))
    );
    assert_eq!(ur.duration_measurement, Some(DurationMeasurement(10)));
    answer(&mut h, hd.sequence, 5);
    // Every period, traffic or not.
    let (_, r) = report(&h.advance(Duration::from_secs(10)));
    assert_eq!(r.usage_reports[0].ur_seqn.0, 1);
    assert_eq!(
        r.usage_reports[0].volume_measurement.unwrap().total_volume,
        Some(0)
    );
}

#[test]
fn time_threshold() {
    let mut h = H::with_default();
    h.associate();
    let mut u = urr(1, &[ReportingTriggers::TIMTH]);
    u.time_threshold = Some(TimeThreshold(5));
    let (up, _) = h.establish(simple(5, Some(u)));
    counters(&h, up, 1).count(true, 10, 1);
    for _ in 0..4 {
        assert!(h.advance(Duration::from_secs(1)).is_empty());
    }
    let (_, r) = report(&h.advance(Duration::from_secs(1)));
    assert!(r.usage_reports[0]
        .usage_report_trigger
        .has(UsageReportTrigger::TIMTH));
    assert_eq!(
        r.usage_reports[0].duration_measurement,
        Some(DurationMeasurement(5))
    );
}

#[test]
fn volume_quota_exhausted_is_reported_once_and_regranted() {
    let mut h = H::with_default();
    h.associate();
    let mut u = urr(1, &[ReportingTriggers::VOLQU]);
    u.volume_quota = Some(VolumeQuota {
        total: Some(3000),
        ..Default::default()
    });
    let (up, _) = h.establish(simple(5, Some(u)));
    let c = counters(&h, up, 1);
    // The fast path admits, then counts.
    for _ in 0..2 {
        assert!(c.admit(true, 1400));
        c.count(true, 1400, 1);
    }
    assert!(
        !c.admit(true, 1400),
        "the quota cannot cover another packet"
    );
    let (hd, r) = report(&h.advance(Duration::from_secs(1)));
    let ur = &r.usage_reports[0];
    assert!(ur.usage_report_trigger.has(UsageReportTrigger::VOLQU));
    assert_eq!(ur.volume_measurement.unwrap().total_volume, Some(2800));
    answer(&mut h, hd.sequence, 5);
    assert!(
        h.advance(Duration::from_secs(1)).is_empty(),
        "reported once"
    );
    // A new grant (the same size) re-arms it.
    let m = h.modify(
        up,
        SessionModificationRequest {
            update_urrs: vec![UpdateUrr {
                urr_id: UrrId(1),
                volume_quota: Some(VolumeQuota {
                    total: Some(3000),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    assert_eq!(m.cause.0, 1);
    assert!(c.admit(true, 1400));
}

#[test]
fn time_quota_blocks_and_reports() {
    let mut h = H::with_default();
    h.associate();
    let mut u = urr(1, &[ReportingTriggers::TIMQU]);
    u.time_quota = Some(TimeQuota(3));
    let (up, _) = h.establish(simple(5, Some(u)));
    let c = counters(&h, up, 1);
    c.count(false, 77, 1);
    h.advance(Duration::from_secs(1));
    h.advance(Duration::from_secs(1));
    assert!(c.admit(false, 100));
    let (_, r) = report(&h.advance(Duration::from_secs(1)));
    assert!(r.usage_reports[0]
        .usage_report_trigger
        .has(UsageReportTrigger::TIMQU));
    assert_eq!(
        r.usage_reports[0].volume_measurement.unwrap().total_volume,
        Some(77)
    );
    assert!(!c.admit(false, 100), "forwarding stopped");
}

#[test]
fn query_urr_removal_and_deletion_reports() {
    let mut h = H::with_default();
    h.associate();
    let mut req = simple(5, Some(urr(1, &[])));
    req.create_urrs.push(urr(2, &[]));
    req.create_pdrs[1].urr_ids.push(UrrId(2));
    let (up, _) = h.establish(req);
    let c1 = counters(&h, up, 1);
    let c2 = counters(&h, up, 2);
    c1.count(true, 100, 1);
    c2.count(false, 200, 1);
    h.advance(Duration::from_secs(4));
    let m = h.modify(
        up,
        SessionModificationRequest {
            query_urrs: vec![QueryUrr {
                urr_id: UrrId(1),
                ..Default::default()
            }],
            query_urr_reference: Some(QueryUrrReference(9)),
            ..Default::default()
        },
    );
    assert_eq!(m.usage_reports.len(), 1);
    let ur = &m.usage_reports[0];
    assert!(ur.usage_report_trigger.has(UsageReportTrigger::IMMER));
    assert_eq!(ur.volume_measurement.unwrap().uplink_volume, Some(100));
    assert_eq!(ur.query_urr_reference, Some(QueryUrrReference(9)));
    assert_eq!(ur.duration_measurement, Some(DurationMeasurement(4)));
    // Removing URR 2: its final report.
    c2.count(false, 1, 1);
    let m = h.modify(
        up,
        SessionModificationRequest {
            remove_urrs: vec![RemoveUrr {
                urr_id: UrrId(2),
                ..Default::default()
            }],
            update_pdrs: vec![UpdatePdr {
                pdr_id: PdrId(2),
                urr_ids: vec![UrrId(1)],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    assert_eq!(m.cause.0, 1, "{m:?}");
    assert_eq!(m.usage_reports.len(), 1);
    assert!(m.usage_reports[0]
        .usage_report_trigger
        .has(UsageReportTrigger::TERMR));
    assert_eq!(
        m.usage_reports[0]
            .volume_measurement
            .unwrap()
            .downlink_volume,
        Some(201)
    );
    // Deletion: the rest, read after the removal was applied.
    h.node.dataplane_mut().auto = false;
    c1.count(true, 5, 1);
    let tx = h.send(SessionDeletionRequest::default(), Some(up));
    assert!(tx.is_empty());
    c1.count(true, 6, 1); // counted before the workers switched
    h.node.dataplane_mut().apply_all();
    let tx = h.transmits();
    let Message::SessionDeletionResponse(r) = decode(&tx[0]).1 else {
        panic!()
    };
    assert_eq!(r.usage_reports.len(), 1);
    assert!(r.usage_reports[0]
        .usage_report_trigger
        .has(UsageReportTrigger::TERMR));
    assert_eq!(r.usage_reports[0].ur_seqn.0, 1);
    assert_eq!(
        r.usage_reports[0].volume_measurement.unwrap().uplink_volume,
        Some(11)
    );
}

#[test]
fn downlink_data_report_once_per_buffering_episode() {
    let mut h = H::with_default();
    h.associate();
    let (up, _) = h.establish(open5gs(8));
    assert!(
        !h.node.report_downlink_data(h.now, up, 2),
        "PDR 2 does not buffer"
    );
    assert!(h.node.report_downlink_data(h.now, up, 1));
    let (hd, r) = report(&h.transmits());
    assert_eq!(hd.seid, Some(8));
    assert!(r.report_type.has(ReportType::DLDR));
    assert_eq!(r.downlink_data_report.unwrap().pdr_ids, vec![PdrId(1)]);
    assert!(!h.node.report_downlink_data(h.now, up, 1), "same episode");
    // Unanswered: retransmitted N1 times, then given up.
    for _ in 0..3 {
        let tx = h.advance(Duration::from_secs(3));
        let reports: Vec<_> = tx
            .iter()
            .filter(|t| matches!(decode(t).1, Message::SessionReportRequest(_)))
            .collect();
        assert_eq!(reports.len(), 1);
        assert_eq!(decode(reports[0]).0.sequence, hd.sequence);
    }
    h.advance(Duration::from_secs(3));
    assert!(h.events().contains(&NodeEvent::ReportFailed {
        seid: up,
        cause: None
    }));
    // Forwarding ends the episode; buffering again starts a new one.
    let fw = |flags: &[pfcp::ie::flags::Flag]| SessionModificationRequest {
        update_fars: vec![UpdateFar {
            far_id: FarId(1),
            apply_action: Some(ApplyAction::from_flags(flags)),
            update_forwarding_parameters: Some(UpdateForwardingParameters {
                destination_interface: Some(DestinationInterface::Access),
                outer_header_creation: Some(OuterHeaderCreation::gtpu_v4(1, GNB)),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    assert_eq!(h.modify(up, fw(&[ApplyAction::FORW])).cause.0, 1);
    assert!(!h.node.report_downlink_data(h.now, up, 1));
    assert_eq!(
        h.modify(up, fw(&[ApplyAction::BUFF, ApplyAction::NOCP]))
            .cause
            .0,
        1
    );
    assert!(h.node.report_downlink_data(h.now, up, 1));
}

#[test]
fn error_indication_report() {
    let mut h = H::with_default();
    h.associate();
    let (up, _) = h.establish(simple(3, None));
    let remote = upf_core::rules::FTeid {
        teid: 0x42,
        ipv4: Some(GNB),
        ipv6: None,
    };
    assert_eq!(h.node.session_for_remote_tunnel(0x42, GNB.into()), Some(up));
    assert!(h.node.report_error_indication(h.now, up, remote));
    let (_, r) = report(&h.transmits());
    assert!(r.report_type.has(ReportType::ERIR));
    assert_eq!(
        r.error_indication_report.unwrap().remote_f_teids,
        vec![FTeid::v4(0x42, GNB)]
    );
}
