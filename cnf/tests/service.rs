//! `upf run` end to end, without DPDK (`dataplane.enabled = false`): the
//! binary starts, answers /healthz, /readyz and /metrics and the gRPC API on
//! loopback (ephemeral ports, read back from its JSON log), `upf ctl` prints
//! its tables, and SIGTERM drains it to exit status 0. Plus the gRPC API
//! in-process over a populated in-memory state, and the exit status of a bad
//! configuration.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use cnf::grpc::proto::{self, management_client::ManagementClient};
use cnf::state::{InMemoryState, SessionMeta, UpfState};
use upf_core::counters::DropReason;
use upf_core::usage::Usage;

use common::{get_typed, Upf, UPF};

const CONFIG: &str = r#"
[log]
filter = "info"
format = "json"

[dataplane]
enabled = false

[ports.n3]
vdev = "net_null0"
[ports.n6]
vdev = "net_null1"

[interfaces.n3]
addresses = ["10.0.3.2/24"]
[interfaces.n6]
addresses = ["10.0.6.2/24"]
gateway_v4 = "10.0.6.1"

[pfcp]
node_id = "127.0.0.1"
listen = ["127.0.0.1:0"]

[management]
grpc_listen = "127.0.0.1:0"
http_listen = "127.0.0.1:0"
shutdown_grace_ms = 3000
"#;

fn write_config(dir: &Path, text: &str) -> std::path::PathBuf {
    let cfg = dir.join("upf.toml");
    std::fs::write(&cfg, text).unwrap();
    std::fs::write(dir.join("cpuset"), "0-3\n").unwrap();
    cfg
}

fn ctl(addr: &str, args: &[&str]) -> std::process::Output {
    Command::new(UPF)
        .args(["ctl", "--addr", addr])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn run_serves_health_metrics_grpc_and_drains_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), CONFIG);
    let mut upf = Upf::start_env(&cfg, &[("UPF_CPUSET_FILE", &dir.path().join("cpuset"))]);
    let pfcp = upf.listening("pfcp");
    assert_eq!(pfcp.ip().to_string(), "127.0.0.1");
    let http = upf.listening("http");
    let grpc = upf.listening("grpc");

    let (code, _, body) = get_typed(http, "/healthz");
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    let (code, _, body) = get_typed(http, "/readyz");
    assert_eq!(code, 200, "{body}");
    let (code, ctype, body) = get_typed(http, "/metrics");
    assert_eq!(code, 200);
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned())))
        .expect("valid exposition");
    let n_drops = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "upf_drops_total")
        .count();
    assert_eq!(n_drops, DropReason::COUNT);
    // Configured ports and the workers from the cpuset (0-3: control 0, workers 1-3).
    assert!(body.contains("upf_port_up{port=\"n3\"} 0\n"), "{body}");
    assert!(body.contains("upf_worker_packets_total{worker=\"2\",core=\"3\"} 0\n"));
    assert!(body.contains("upf_ready 1\n"));
    let (code, _, _) = get_typed(http, "/nope");
    assert_eq!(code, 404);

    // gRPC over loopback with the generated client.
    let url = format!("http://{grpc}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = ManagementClient::connect(url.clone()).await.unwrap();
        let s = c
            .get_statistics(proto::GetStatisticsRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(s.drops.len(), DropReason::COUNT);
        assert_eq!(s.ports.len(), 2);
        assert_eq!(s.workers.len(), 3);
        let l = c
            .list_sessions(proto::ListSessionsRequest {})
            .await
            .unwrap()
            .into_inner();
        assert!(l.sessions.is_empty());
        let e = c
            .get_session(proto::GetSessionRequest { seid: 5 })
            .await
            .unwrap_err();
        assert_eq!(e.code(), tonic::Code::NotFound);
        let o = c
            .get_offload_state(proto::GetOffloadStateRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(o.mode, "auto");
    });

    // The client's connection closes with its runtime.
    drop(rt);

    // upf ctl against the running process.
    let out = ctl(&url, &["stats"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("PORTS") && text.contains("n3") && text.contains("WORKERS"),
        "{text}"
    );
    let out = ctl(&url, &["session", "0x5"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no session with SEID 0x5"));
    let out = ctl(&url, &["associations"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 associations"));

    // SIGTERM: readiness goes, the process drains and exits 0.
    upf.sigterm();
    upf.wait_log("drained; exiting", |_| true);
    assert!(
        !upf.seen.iter().any(|l| l.contains("drain timed out")),
        "{:?}",
        upf.seen
    );
    let status = upf.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn bad_configuration_exits_64_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = CONFIG.replace("vdev = \"net_null0\"", "mtu = 1500");
    let cfg = write_config(dir.path(), &bad);
    for cmd in ["run", "check-config"] {
        let out = Command::new(UPF)
            .args([cmd, "--config"])
            .arg(&cfg)
            .env("UPF_CPUSET_FILE", dir.path().join("cpuset"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(64), "{cmd}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "upf: config: ports.n3.device: neither pci nor vdev given\n"
        );
    }
    // An environment override naming a bad value.
    let cfg = write_config(dir.path(), CONFIG);
    let out = Command::new(UPF)
        .args(["check-config", "--config"])
        .arg(&cfg)
        .env("UPF_CPUSET_FILE", dir.path().join("cpuset"))
        .env("UPF_PFCP_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("upf: config: pfcp.listen (from UPF_PFCP_LISTEN): "));
    // And check-config prints the resolved configuration.
    let out = Command::new(UPF)
        .args(["check-config", "--json", "--config"])
        .arg(&cfg)
        .env("UPF_CPUSET_FILE", dir.path().join("cpuset"))
        .env("UPF_WORKER_CORES", "2-3")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cores"]["control"], "0");
    assert_eq!(v["cores"]["workers"], "2-3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_and_ctl_over_a_populated_state() {
    let cfg = cnf::config::parse(CONFIG).unwrap();
    let st = Arc::new(InMemoryState::from_config(&cfg));
    st.put_session(
        cnf::state::sample_session(0x42, [10, 45, 0, 9].into(), 0x77),
        SessionMeta {
            cp_seid: 0x9000,
            peer_node_id: "smf.example".into(),
            created_ms: 1_700_000_000_000,
        },
    );
    st.set_usage(
        0x42,
        1,
        Usage {
            ul_bytes: 1234,
            dl_bytes: 5678,
            ul_packets: 3,
            dl_packets: 4,
            first_ns: 1_700_000_000_000_000_000,
            last_ns: 1_700_000_001_000_000_000,
        },
    );
    let running = cnf::run::start(&cfg, st.clone() as Arc<dyn UpfState>)
        .await
        .unwrap();
    let url = format!("http://{}", running.grpc_addr);

    let mut c = ManagementClient::connect(url.clone()).await.unwrap();
    let d = c
        .get_session(proto::GetSessionRequest { seid: 0x42 })
        .await
        .unwrap()
        .into_inner();
    let s = d.summary.unwrap();
    assert_eq!((s.cp_seid, s.ul_bytes, s.dl_bytes), (0x9000, 1234, 5678));
    assert_eq!(s.ue_addresses, vec!["10.45.0.9".to_owned()]);
    // PDRs by precedence: the downlink PDR (100) before the uplink one (200).
    assert_eq!(
        d.pdrs.iter().map(|p| p.precedence).collect::<Vec<_>>(),
        [100, 200]
    );
    let ul = &d.pdrs[1];
    assert_eq!(ul.source_interface, "access");
    assert_eq!(ul.local_fteid, "teid=0x77 10.0.3.2");
    assert_eq!(ul.qfi, 9);
    assert!(ul.has_far && ul.far_id == 1);
    assert_eq!(
        d.fars[1].outer_header_creation,
        "gtpu teid=0x1077 10.0.3.10"
    );
    assert_eq!(d.qers[0].mbr_dl_kbps, 200_000);
    assert_eq!(d.urrs[0].last_packet_ms, 1_700_000_001_000);

    // The same through the ctl code path (tables).
    let text = cnf::ctl::run(&url, &cnf::ctl::Query::Session(0x42))
        .await
        .unwrap();
    assert!(
        text.starts_with("session 0x42 (cp 0x9000) peer smf.example ue 10.45.0.9\n"),
        "{text}"
    );
    assert!(text.contains("gtpu teid=0x1077 10.0.3.10"), "{text}");
    let text = cnf::ctl::run(&url, &cnf::ctl::Query::Sessions)
        .await
        .unwrap();
    assert!(
        text.contains("0x42") && text.contains("2/2/1/1") && text.ends_with("1 sessions\n"),
        "{text}"
    );

    running.shutdown(Duration::from_secs(5)).await.unwrap();
}
