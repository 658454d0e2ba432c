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

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cnf::grpc::proto::{self, management_client::ManagementClient};
use cnf::smf::{SessionSpec, Smf};

const UPF: &str = env!("CARGO_BIN_EXE_upf");
/// Generous: the test machine is small and busy.
const STARTUP: Duration = Duration::from_secs(120);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sh(script: &str) -> Result<String, String> {
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(repo())
        .output()
        .map_err(|e| format!("bash: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{script}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Why the test cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    if sh("[ \"$(id -u)\" = 0 ]").is_err() {
        return Some("needs root (network namespaces, veth, DPDK af_packet)".into());
    }
    for (check, what) in [
        ("ip netns list", "`ip netns`"),
        (
            "/usr/bin/python3 -c 'import scapy.contrib.gtp'",
            "Debian's scapy",
        ),
        ("command -v tshark", "tshark"),
    ] {
        if let Err(e) = sh(check) {
            return Some(format!("{what} unavailable: {e}"));
        }
    }
    None
}

fn skip_or_fail(test: &str) -> bool {
    if let Some(why) = unavailable() {
        if std::env::var_os("CI").is_some() {
            panic!("{test} cannot run in CI: {why}");
        }
        eprintln!("skipping {test}: {why}");
        return true;
    }
    false
}

/// The topology; removed on drop.
struct Topology {
    id: String,
}

impl Topology {
    fn up(tag: &str) -> Topology {
        let id = format!("{tag}{}", std::process::id() % 100_000);
        let t = Topology { id };
        // Left over from a killed run with the same id.
        let _ = sh(&format!("source scripts/e2e/lib.sh && e2e_down {}", t.id));
        sh(&format!("source scripts/e2e/lib.sh && e2e_up {}", t.id)).expect("topology up");
        t
    }
    fn gnb_ns(&self) -> String {
        format!("upf-gnb-{}", self.id)
    }
    fn gnb_if(&self) -> String {
        format!("u3g{}", self.id)
    }
    fn n6_if(&self) -> String {
        format!("u6r{}", self.id)
    }
    /// Runs gnb.py in the gNB namespace; returns (success, stdout, summary).
    fn gnb(&self, dir: &Path, mode: &str, args: &[&str]) -> (bool, String, serde_json::Value) {
        let json = dir.join(format!("gnb-{mode}.json"));
        let out = Command::new("ip")
            .args(["netns", "exec", &self.gnb_ns(), "/usr/bin/python3"])
            .arg(repo().join("scripts/e2e/gnb.py"))
            .args([mode, "--gnb", "10.100.3.2", "--upf", "10.100.3.1", "--json"])
            .arg(&json)
            .args(args)
            .output()
            .expect("run gnb.py");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        eprint!("{text}{}", String::from_utf8_lossy(&out.stderr));
        let v = std::fs::read_to_string(&json)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(serde_json::Value::Null);
        (out.status.success(), text, v)
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        let _ = sh(&format!(
            "source scripts/e2e/lib.sh && e2e_down {}",
            self.id
        ));
    }
}

/// The running `upf run`, killed on drop.
struct Upf {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Upf {
    fn start(cfg: &Path) -> Upf {
        let mut child = Command::new(UPF)
            .args(["run", "--config"])
            .arg(cfg)
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
        Upf {
            child,
            lines,
            seen: Vec::new(),
        }
    }

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
            let f = &v["fields"];
            if f["message"] == msg && pred(f) {
                return f.clone();
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

/// A plain HTTP/1.1 GET; returns (status, body).
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

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Samples of a scrape as (metric, labels, value).
fn scrape(http: SocketAddr) -> prometheus_parse::Scrape {
    let (code, body) = get(http, "/metrics");
    assert_eq!(code, 200);
    prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned())))
        .expect("valid Prometheus text")
}

fn value(s: &prometheus_parse::Scrape, metric: &str, label: (&str, &str)) -> f64 {
    s.samples
        .iter()
        .find(|x| x.metric == metric && x.labels.get(label.0) == Some(label.1))
        .map(|x| match x.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
        .unwrap_or_else(|| panic!("no {metric}{{{}={}}}", label.0, label.1))
}

fn cpus() -> (u32, u32) {
    let list = sh("grep Cpus_allowed_list /proc/self/status | cut -f2").unwrap();
    let first: Vec<u32> = list
        .trim()
        .split(',')
        .flat_map(|r| match r.split_once('-') {
            Some((a, b)) => (a.parse().unwrap()..=b.parse().unwrap()).collect::<Vec<u32>>(),
            None => vec![r.parse().unwrap()],
        })
        .collect();
    (first[0], *first.get(1).unwrap_or(&first[0]))
}

/// One topology at a time: the machine is small.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn start_upf(topo: &Topology, dir: &Path) -> Upf {
    let cfg = dir.join("upf.toml");
    let (control, worker) = cpus();
    sh(&format!(
        "source scripts/e2e/lib.sh && e2e_config {} {} no {control} {worker} json",
        topo.id,
        cfg.display()
    ))
    .unwrap();
    Upf::start(&cfg)
}

#[test]
fn topology_end_to_end() {
    if skip_or_fail("topology_end_to_end") {
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let topo = Topology::up("t");
    let mut upf = start_upf(&topo, dir.path());
    let pfcp = upf.listening("pfcp");
    let http = upf.listening("http");
    let grpc = upf.listening("grpc");
    wait_until("readiness", STARTUP, || get(http, "/readyz").0 == 200);

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
        value(&after, "upf_stage_packets_total", ("stage", "encap"))
            >= value(&before, "upf_stage_packets_total", ("stage", "encap")) + dl_packets as f64
    });
    let after = scrape(http);
    assert!(
        value(&after, "upf_port_rx_packets_total", ("port", "n3"))
            > value(&before, "upf_port_rx_packets_total", ("port", "n3"))
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
                ("event", "error_indication"),
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
    let kill = Command::new("kill")
        .args(["-TERM", &upf.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    upf.wait_log("drained; exiting", |_| true);
    let status = upf.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    drop(topo);
}

/// The scapy SMF process, killed on drop.
struct Child2(Child);

impl Drop for Child2 {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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
    let pfcp = upf.listening("pfcp");
    let http = upf.listening("http");
    wait_until("readiness", STARTUP, || get(http, "/readyz").0 == 200);

    let out = dir.path().join("scapy-sessions.json");
    let delete = dir.path().join("delete");
    let mut smf = Child2(
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

    let kill = Command::new("kill")
        .args(["-TERM", &upf.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    upf.wait_log("drained; exiting", |_| true);
    assert!(upf.child.wait().unwrap().success());
    drop(topo);
}
