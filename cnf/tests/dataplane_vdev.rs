//! `upf run` with the DPDK dataplane on `net_null` vdevs, without hugepages
//! and without root: EAL, ports, a worker and the N4 node come up from the
//! configuration; a session established over PFCP (`cnf::smf`) is listed by
//! the gRPC API with its rules; `/metrics` parses and its port and drop
//! counters move (the N3 `net_null` port receives zero-filled frames, which
//! the path drops by name); the Deletion Response carries the usage report;
//! SIGTERM stops the dataplane and exits 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cnf::grpc::proto::{self, management_client::ManagementClient};
use cnf::smf::{SessionSpec, Smf};

const UPF: &str = env!("CARGO_BIN_EXE_upf");
const STARTUP: Duration = Duration::from_secs(120);

struct Upf {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Upf {
    fn wait_log(
        &mut self,
        msg: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + STARTUP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {msg:?} log line; saw:\n{}", self.seen.join("\n")));
            self.seen.push(line.clone());
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if v["fields"]["message"] == msg && pred(&v["fields"]) {
                return v["fields"].clone();
            }
        }
    }
    fn listening(&mut self, service: &str) -> SocketAddr {
        let f = self.wait_log("listening", |f| f["service"] == service);
        f["addr"].as_str().unwrap().parse().unwrap()
    }
}

impl Drop for Upf {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: upf\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").expect("HTTP response");
    (
        head.split(' ').nth(1).unwrap().parse().unwrap(),
        body.to_owned(),
    )
}

fn counter(body: &str, metric: &str, label: (&str, &str)) -> f64 {
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned())))
        .expect("valid Prometheus text");
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && s.labels.get(label.0) == Some(label.1))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
            _ => f64::NAN,
        })
        .unwrap_or_else(|| panic!("no {metric}"))
}

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
    let mut child = Command::new(UPF)
        .args(["run", "--config"])
        .arg(&cfg)
        .env("UPF_ANNOTATIONS_FILE", "/nonexistent")
        .env_remove("UPF_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let mut upf = Upf {
        child,
        lines,
        seen: Vec::new(),
    };
    upf.wait_log("dataplane started", |_| true);
    let pfcp = upf.listening("pfcp");
    let http = upf.listening("http");
    let grpc = upf.listening("grpc");
    let deadline = Instant::now() + STARTUP;
    while get(http, "/readyz").0 != 200 {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(200));
    }

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
    let (_, first) = get(http, "/metrics");
    let rx0 = counter(&first, "upf_port_rx_packets_total", ("port", "n3"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        std::thread::sleep(Duration::from_millis(600));
        let (_, b) = get(http, "/metrics");
        if counter(&b, "upf_port_rx_packets_total", ("port", "n3")) > rx0 {
            break b;
        }
        assert!(Instant::now() < deadline, "port counters did not move");
    };
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let drops: f64 = scrape
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
        scrape.samples.iter().any(|x| {
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

    let kill = Command::new("kill")
        .args(["-TERM", &upf.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    upf.wait_log("dataplane stopped; ports closed", |_| true);
    upf.wait_log("drained; exiting", |_| true);
    assert!(upf.child.wait().unwrap().success());
}
