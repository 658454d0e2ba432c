//! The README's topology as a test: `upf run` on `net_af_packet` vdevs over
//! veth pairs into a gNB and a DN network namespace (scripts/e2e/lib.sh),
//! sessions over real PFCP from the project's SMF (`cnf::smf`), traffic from
//! the scapy gNB (scripts/e2e/gnb.py) answered by the DN's kernel and a UDP
//! echo server.
//!
//! What it shows, in order:
//! - the gRPC API lists the session installed over PFCP, and its URR
//!   counters equal the inner bytes the gNB sent and received;
//! - /metrics parses as Prometheus text and its counters move with traffic;
//! - tshark decodes the downlink N3 traffic captured on the gNB's veth:
//!   the session's TEID and a PDU Session Container with its QFI;
//! - a G-PDU with an unknown TEID is answered with an Error Indication; a
//!   GTP-U Echo Request with an Echo Response;
//! - an Error Indication from the gNB naming the downlink tunnel reaches
//!   the SMF as an Error Indication Report;
//! - the usage report in the Session Deletion Response equals the inner
//!   bytes sent each way, exactly; after deletion nothing is forwarded;
//! - /readyz flips to 503 when a port's interface goes down and back;
//! - SIGTERM: exit status 0.
//!
//! A second test drives the same topology from an SMF the project did not
//! write: scripts/e2e/scapy_smf.py (scapy's contrib.pfcp): traffic flows and
//! the Deletion Response carries the usage report.
//!
//! Root only (namespaces, veths, DPDK): skipped with a message otherwise,
//! except when `CI` is set, where it fails. Namespaces, veths and processes
//! are removed even when the test fails (Drop guards).

mod common;

use std::io::Read;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cnf::grpc::proto::{self, management_client::ManagementClient};
use cnf::smf::{Downlink, SessionSpec, Smf};
use common::*;

#[test]
fn topology_end_to_end() {
    if skip_or_fail("topology_end_to_end") {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let topo = Topology::up("t");
    let mut upf = start_upf(&topo, dir.path());
    let Endpoints { pfcp, http, grpc } = upf.ready();

    // Sessions over PFCP: the UPF chooses the uplink F-TEID.
    let mut smf = Smf::new("127.0.0.1:0".parse().unwrap(), pfcp, Ipv4Addr::LOCALHOST).unwrap();
    assert_eq!(smf.associate().unwrap(), "127.0.0.1");
    let spec = SessionSpec {
        cp_seid: 0x5001,
        ue: Ipv4Addr::new(10, 45, 0, 2),
        ul_teid: None,
        upf_n3: Ipv4Addr::new(10, 100, 3, 1),
        gnb: Ipv4Addr::new(10, 100, 3, 2),
        dl_teid: 0x2000,
        qfi: 9,
        downlink: Downlink::Forward,
    };
    let est = smf.establish(&spec).unwrap();
    assert_eq!(est.ul_addr.to_string(), "10.100.3.1");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("http://{grpc}");
    let session = |seid: u64| {
        rt.block_on(async {
            let mut c = ManagementClient::connect(url.clone()).await.unwrap();
            let l = c
                .list_sessions(proto::ListSessionsRequest {})
                .await
                .unwrap()
                .into_inner();
            let d = c
                .get_session(proto::GetSessionRequest { seid })
                .await
                .map(|r| r.into_inner());
            (l, d)
        })
    };
    let (list, detail) = session(est.up_seid);
    assert_eq!(list.sessions.len(), 1);
    let s0 = &list.sessions[0];
    assert_eq!((s0.seid, s0.cp_seid), (est.up_seid, 0x5001));
    assert_eq!(s0.ue_addresses, vec!["10.45.0.2".to_owned()]);
    assert_eq!((s0.ul_bytes, s0.dl_bytes), (0, 0));
    let d = detail.unwrap();
    assert_eq!(d.pdrs.len(), 2);
    assert!(d
        .fars
        .iter()
        .any(|f| f.outer_header_creation == "gtpu teid=0x2000 10.100.3.2"));
    assert_eq!(d.qers[0].qfi, 9);

    let before = scrape(http);
    let sessions_file = dir.path().join("sessions.json");
    std::fs::write(
        &sessions_file,
        serde_json::json!({"sessions": [{
            "ue": "10.45.0.2", "ul_teid": est.ul_teid, "dl_teid": 0x2000, "qfi": 9
        }]})
        .to_string(),
    )
    .unwrap();
    let pcap = dir.path().join("n3-gnb.pcap");
    let (ok, _, t) = topo.gnb(
        dir.path(),
        "traffic",
        &[
            "--sessions",
            sessions_file.to_str().unwrap(),
            "--pings",
            "3",
            "--udp",
            "3",
            "--iface",
            &topo.gnb_if(),
            "--pcap",
            pcap.to_str().unwrap(),
        ],
    );
    assert!(ok, "traffic: {t}");
    let st = &t["sessions"][0];
    assert_eq!(st["ping_replies"], 3);
    assert_eq!(st["udp_replies"], 3);
    assert_eq!(st["dl_qfis"], serde_json::json!([9]));
    assert_eq!(
        st["dl_psc_types"],
        serde_json::json!([0]),
        "DL PDU Session Information"
    );
    let ul_bytes = st["ul_bytes"].as_u64().unwrap();
    let dl_bytes = st["dl_bytes"].as_u64().unwrap();
    let dl_packets = st["dl_packets"].as_u64().unwrap();

    // tshark's decode of the downlink as captured on the gNB's interface.
    let fields = sh(&format!(
        "tshark -r {} -Y 'gtp.message == 255 && ip.src == 10.100.3.1' -T fields \
         -e gtp.teid -e gtp.ext_hdr.pdu_ses_con.qos_flow_id 2>/dev/null",
        pcap.display()
    ))
    .unwrap();
    let rows: Vec<&str> = fields.lines().filter(|l| !l.is_empty()).collect();
    // The capture may start a little late on a busy machine: every row it
    // has must be right.
    assert!(
        !rows.is_empty() && rows.len() as u64 <= dl_packets,
        "{fields}"
    );
    for r in &rows {
        let (teid, qfi) = r.split_once('\t').unwrap();
        assert_eq!(
            u32::from_str_radix(teid.trim_start_matches("0x"), 16).unwrap(),
            0x2000
        );
        assert_eq!(qfi, "9", "{fields}");
    }

    // Live counters: the API's and the metrics'.
    let (list, _) = session(est.up_seid);
    assert_eq!(
        (list.sessions[0].ul_bytes, list.sessions[0].dl_bytes),
        (ul_bytes, dl_bytes)
    );
    wait_until("metrics to move", Duration::from_secs(30), || {
        let after = scrape(http);
        value(&after, "upf_stage_packets_total", &[("stage", "encap")])
            >= value(&before, "upf_stage_packets_total", &[("stage", "encap")]) + dl_packets as f64
    });
    let after = scrape(http);
    assert!(
        value(&after, "upf_port_rx_packets_total", &[("port", "n3")])
            > value(&before, "upf_port_rx_packets_total", &[("port", "n3")])
    );
    assert!(after.samples.iter().any(|x| x.metric == "upf_sessions"
        && matches!(x.value, prometheus_parse::Value::Gauge(v) if v == 1.0)));

    // Unknown TEID → Error Indication; Echo Request → Echo Response.
    let (ok, _, ei) = topo.gnb(dir.path(), "unknown-teid", &["--teid", "0xdead"]);
    assert!(ok, "{ei}");
    assert_eq!(ei["teid_data_i"], 0xdead);
    assert_eq!(ei["peer_address"], "10.100.3.1");
    let (ok, _, echo) = topo.gnb(dir.path(), "echo", &[]);
    assert!(ok, "{echo}");

    // The gNB reports the downlink tunnel gone: the SMF hears of it.
    let (ok, _, _) = topo.gnb(dir.path(), "error-indication", &["--teid", "0x2000"]);
    assert!(ok);
    let deadline = Instant::now() + Duration::from_secs(30);
    while smf.reports.is_empty() && Instant::now() < deadline {
        smf.idle(Duration::from_millis(200)).unwrap();
    }
    let r = smf
        .reports
        .first()
        .cloned()
        .expect("a Session Report Request");
    assert_eq!(r.seid, 0x5001, "sent to the CP SEID");
    assert_ne!(r.report_type & 0x04, 0, "ERIR set: {r:?}");
    assert_eq!(
        r.error_indication,
        vec![(0x2000, "10.100.3.2".parse().unwrap())]
    );
    wait_until(
        "the error_indication event count",
        Duration::from_secs(30),
        || {
            value(
                &scrape(http),
                "upf_control_events_total",
                &[("event", "error_indication")],
            ) >= 1.0
        },
    );

    // Deletion: the final usage report is exactly what went through.
    let usage = smf.delete(&est).unwrap();
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert_eq!(usage[0].urr_id, cnf::smf::URR_ID);
    assert_eq!((usage[0].ul_bytes, usage[0].dl_bytes), (ul_bytes, dl_bytes));
    let (list, detail) = session(est.up_seid);
    assert!(list.sessions.is_empty());
    assert_eq!(detail.unwrap_err().code(), tonic::Code::NotFound);
    let (ok, _, quiet) = topo.gnb(
        dir.path(),
        "silence",
        &["--teid", &format!("{:#x}", est.ul_teid), "--retries", "2"],
    );
    assert!(ok, "forwarded after deletion: {quiet}");

    // Readiness follows the ports' interfaces.
    sh(&format!("ip link set {} down", topo.n6_if())).unwrap();
    wait_until("/readyz 503", Duration::from_secs(30), || {
        get(http, "/readyz").0 == 503
    });
    let (_, why) = get(http, "/readyz");
    assert!(why.contains("n6"), "{why}");
    sh(&format!("ip link set {} up", topo.n6_if())).unwrap();
    wait_until("/readyz 200", Duration::from_secs(30), || {
        get(http, "/readyz").0 == 200
    });

    smf.release().unwrap();
    drop(rt);
    upf.stop(&[]);
    drop(topo);
}

#[test]
fn scapy_smf_drives_the_topology() {
    if skip_or_fail("scapy_smf_drives_the_topology") {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let topo = Topology::up("s");
    let mut upf = start_upf(&topo, dir.path());
    let pfcp = upf.ready().pfcp;

    let out = dir.path().join("scapy-sessions.json");
    let delete = dir.path().join("delete");
    let mut smf = Process(
        Command::new("/usr/bin/python3")
            .arg(repo().join("scripts/e2e/scapy_smf.py"))
            .args(["--upf", &pfcp.to_string(), "--gnb", "10.100.3.2"])
            .args(["--dl-teid", "0x3000", "--qfi", "5", "--out"])
            .arg(&out)
            .arg("--delete-when")
            .arg(&delete)
            .stdout(Stdio::piped())
            .spawn()
            .expect("scapy_smf.py"),
    );
    wait_until("the scapy SMF's session", STARTUP, || {
        assert!(
            smf.0.try_wait().unwrap().is_none(),
            "scapy_smf.py exited early"
        );
        out.exists()
    });
    let (ok, _, t) = topo.gnb(
        dir.path(),
        "traffic",
        &[
            "--sessions",
            out.to_str().unwrap(),
            "--pings",
            "2",
            "--udp",
            "2",
        ],
    );
    assert!(ok, "traffic under the scapy SMF's session: {t}");
    let st = &t["sessions"][0];
    assert_eq!(st["dl_qfis"], serde_json::json!([5]));
    std::fs::write(&delete, "").unwrap();
    let status = smf.0.wait().unwrap();
    let mut log = String::new();
    smf.0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    eprint!("{log}");
    assert!(status.success(), "scapy_smf.py: {status:?}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let r = &v["sessions"][0]["usage_reports"][0];
    assert_eq!(r["urr_id"], 1);
    assert_eq!(r["ul_bytes"], st["ul_bytes"], "{v}");
    assert_eq!(r["dl_bytes"], st["dl_bytes"], "{v}");

    upf.stop(&[]);
    drop(topo);
}
