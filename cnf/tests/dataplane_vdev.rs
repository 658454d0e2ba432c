//! `upf run` with the DPDK dataplane on `net_null` vdevs, without hugepages
//! and without root: EAL, ports, a worker and the N4 node come up from the
//! configuration; a session established over PFCP (`cnf::smf`) is listed by
//! the gRPC API with its rules; `/metrics` parses and its port and drop
//! counters move (the N3 `net_null` port receives zero-filled frames, which
//! the path drops by name); the Deletion Response carries the usage report;
//! SIGTERM stops the dataplane and exits 0.

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use cnf::grpc::proto::{self, management_client::ManagementClient};
use cnf::smf::{Downlink, SessionSpec, Smf};
use common::{scrape, value, Endpoints, Upf};

#[test]
fn dataplane_on_null_vdevs_serves_pfcp_grpc_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let pid = std::process::id();
    let cfg = dir.path().join("upf.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[log]
filter = "info"
format = "json"
[eal]
no_huge = true
in_memory = false
memory_mb = 256
file_prefix = "upf-vdev-{pid}"
[dataplane]
enabled = true
idle_yield = true
[ports.n3]
vdev = "net_null0,size=64"
[ports.n6]
vdev = "net_null1,no-rx=1"
[interfaces.n3]
addresses = ["10.0.3.2/24"]
neighbors = {{ "10.0.3.10" = "02:00:00:00:03:10" }}
[interfaces.n6]
addresses = ["10.0.6.2/24"]
gateway_v4 = "10.0.6.1"
neighbors = {{ "10.0.6.1" = "02:00:00:00:06:01" }}
[pfcp]
node_id = "127.0.0.1"
listen = ["127.0.0.1:0"]
[management]
grpc_listen = "127.0.0.1:0"
http_listen = "127.0.0.1:0"
shutdown_grace_ms = 3000
"#
        ),
    )
    .unwrap();
    // Cores: the first two this process may use (one is enough).
    let mut upf = Upf::start(&cfg);
    upf.wait_log("dataplane started", |_| true);
    let Endpoints { pfcp, http, grpc } = upf.ready();

    let mut smf = Smf::new("127.0.0.1:0".parse().unwrap(), pfcp, Ipv4Addr::LOCALHOST).unwrap();
    smf.associate().unwrap();
    let est = smf
        .establish(&SessionSpec {
            cp_seid: 0x77,
            ue: Ipv4Addr::new(10, 45, 0, 9),
            ul_teid: Some(0x100),
            upf_n3: Ipv4Addr::new(10, 0, 3, 2),
            gnb: Ipv4Addr::new(10, 0, 3, 10),
            dl_teid: 0x4000,
            qfi: 7,
            downlink: Downlink::Forward,
        })
        .unwrap();
    assert_eq!(est.ul_teid, 0x100);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = ManagementClient::connect(format!("http://{grpc}"))
            .await
            .unwrap();
        let l = c
            .list_sessions(proto::ListSessionsRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(l.sessions.len(), 1);
        assert_eq!(
            (l.sessions[0].seid, l.sessions[0].cp_seid),
            (est.up_seid, 0x77)
        );
        let d = c
            .get_session(proto::GetSessionRequest { seid: est.up_seid })
            .await
            .unwrap()
            .into_inner();
        let ul = d
            .pdrs
            .iter()
            .find(|p| p.source_interface == "access")
            .unwrap();
        assert_eq!(ul.local_fteid, "teid=0x100 10.0.3.2");
        assert_eq!(ul.qfi, 7);
        assert_eq!(d.fars.len(), 2);
        assert_eq!(d.urrs.len(), 1);
        let a = c
            .list_associations(proto::ListAssociationsRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(a.associations.len(), 1);
        assert_eq!(a.associations[0].sessions, 1);
        // Offload `auto` on vdevs: the probe finds no GTP matching, so the
        // session's flow rules fall back to software, and the API says so.
        let deadline = Instant::now() + Duration::from_secs(30);
        let o = loop {
            let o = c
                .get_offload_state(proto::GetOffloadStateRequest {})
                .await
                .unwrap()
                .into_inner();
            if o.rules_failed > 0 {
                break o;
            }
            assert!(
                Instant::now() < deadline,
                "offload state not reported: {o:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(o.mode, "auto");
        assert!(!o.active, "nothing offloaded on vdevs");
        assert_eq!(o.ports.len(), 2);
        assert!(o.ports.iter().all(|p| !p.gtp_match && !p.mark));
        assert_eq!(o.rules_installed, 0);
        assert!(!o.last_error.is_empty(), "the probe's refusal is shown");
    });

    // The N3 port receives zero-filled frames: counters move, and every
    // one of them is dropped under a name.
    let rx =
        |s: &prometheus_parse::Scrape| value(s, "upf_port_rx_packets_total", &[("port", "n3")]);
    let rx0 = rx(&scrape(http));
    let deadline = Instant::now() + Duration::from_secs(60);
    let metrics = loop {
        std::thread::sleep(Duration::from_millis(600));
        let s = scrape(http);
        if rx(&s) > rx0 {
            break s;
        }
        assert!(Instant::now() < deadline, "port counters did not move");
    };
    let drops: f64 = metrics
        .samples
        .iter()
        .filter(|s| s.metric == "upf_drops_total")
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v) => v,
            _ => 0.0,
        })
        .sum();
    assert!(drops > 0.0, "zero-filled frames dropped by name");
    // PFCP messages by type and cause: the association and the
    // establishment, received and answered with Cause "Request accepted".
    let pfcp = |labels: &[(&str, &str)]| {
        metrics.samples.iter().any(|x| {
            (x.metric == "upf_pfcp_messages_total" || x.metric == "upf_pfcp_causes_total")
                && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v))
        })
    };
    assert!(pfcp(&[
        ("direction", "rx"),
        ("type", "session_establishment_request")
    ]));
    assert!(pfcp(&[
        ("direction", "tx"),
        ("type", "session_establishment_response"),
        ("cause", "request_accepted")
    ]));
    assert!(pfcp(&[
        ("direction", "tx"),
        ("type", "association_setup_response"),
        ("cause", "request_accepted")
    ]));

    let usage = smf.delete(&est).unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!((usage[0].ul_bytes, usage[0].dl_bytes), (0, 0));
    drop(rt);

    upf.stop(&["dataplane stopped; ports closed"]);
}
