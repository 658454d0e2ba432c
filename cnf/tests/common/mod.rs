//! What the tests of the `upf` binary share: the running `upf` with its
//! JSON log, HTTP and metrics helpers; for the end-to-end tests, the lab
//! topology of scripts/e2e/lib.sh (a gNB and a DN network namespace, veth
//! pairs into `upf run` on `net_af_packet`) and the skip-or-fail policy for
//! machines where they cannot run (root only; skipped with a message,
//! except when `CI` is set, where they fail). Everything started is removed
//! on drop, even when a test fails.

// Each test binary uses a part of this.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const UPF: &str = env!("CARGO_BIN_EXE_upf");
/// Generous: the test machine is small and busy.
pub const STARTUP: Duration = Duration::from_secs(120);

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn sh(script: &str) -> Result<String, String> {
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
pub fn unavailable() -> Option<String> {
    if sh("[ \"$(id -u)\" = 0 ]").is_err() {
        return Some("needs root (network namespaces, veth, DPDK af_packet)".into());
    }
    for (check, what) in [
        ("ip netns list", "`ip netns`"),
        (
            "/usr/bin/python3 -c 'import scapy.contrib.gtp'",
            "Debian's scapy",
        ),
        ("command -v tshark && command -v dumpcap", "tshark"),
    ] {
        if let Err(e) = sh(check) {
            return Some(format!("{what} unavailable: {e}"));
        }
    }
    None
}

pub fn skip_or_fail(test: &str) -> bool {
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
pub struct Topology {
    pub id: String,
}

impl Topology {
    pub fn up(tag: &str) -> Topology {
        let id = format!("{tag}{}", std::process::id() % 100_000);
        let t = Topology { id };
        // Left over from a killed run with the same id.
        let _ = sh(&format!("source scripts/e2e/lib.sh && e2e_down {}", t.id));
        sh(&format!("source scripts/e2e/lib.sh && e2e_up {}", t.id)).expect("topology up");
        t
    }
    pub fn gnb_ns(&self) -> String {
        format!("upf-gnb-{}", self.id)
    }
    pub fn dn_ns(&self) -> String {
        format!("upf-dn-{}", self.id)
    }
    pub fn gnb_if(&self) -> String {
        format!("u3g{}", self.id)
    }
    pub fn n6_if(&self) -> String {
        format!("u6r{}", self.id)
    }
    /// Runs gnb.py in the gNB namespace; returns (success, stdout, summary).
    pub fn gnb(&self, dir: &Path, mode: &str, args: &[&str]) -> (bool, String, serde_json::Value) {
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
pub struct Upf {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    /// The log lines read so far.
    pub seen: Vec<String>,
}

/// Where a started `upf` listens.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints {
    pub pfcp: SocketAddr,
    pub http: SocketAddr,
    pub grpc: SocketAddr,
}

impl Upf {
    pub fn start(cfg: &Path) -> Upf {
        Upf::start_env(cfg, &[])
    }

    /// `upf run --config cfg` with `env` added to its environment.
    pub fn start_env(cfg: &Path, env: &[(&str, &Path)]) -> Upf {
        let mut child = Command::new(UPF)
            .args(["run", "--config"])
            .arg(cfg)
            .envs(env.iter().copied())
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

    /// Waits for a JSON log line whose message is `msg` and whose fields
    /// match `pred`; returns its fields (earlier lines are passed over).
    pub fn wait_log(
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

    pub fn listening(&mut self, service: &str) -> SocketAddr {
        let f = self.wait_log("listening", |f| f["service"] == service);
        f["addr"].as_str().unwrap().parse().unwrap()
    }

    /// The listeners (logged in this order), once /readyz answers 200.
    pub fn ready(&mut self) -> Endpoints {
        let pfcp = self.listening("pfcp");
        let http = self.listening("http");
        let grpc = self.listening("grpc");
        wait_until("readiness", STARTUP, || get(http, "/readyz").0 == 200);
        Endpoints { pfcp, http, grpc }
    }

    pub fn sigterm(&self) {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// SIGTERM, then the log lines `msgs` in order and the drain: exit
    /// status 0.
    pub fn stop(&mut self, msgs: &[&str]) {
        self.sigterm();
        for m in msgs.iter().chain(&["drained; exiting"]) {
            self.wait_log(m, |_| true);
        }
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

impl Drop for Upf {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET; returns (status, body).
pub fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let (status, _, body) = get_typed(addr, path);
    (status, body)
}

/// A plain HTTP/1.1 GET; returns (status, content-type, body).
pub fn get_typed(addr: SocketAddr, path: &str) -> (u16, String, String) {
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
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let ctype = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (status, ctype, body.to_owned())
}

pub fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Samples of a scrape as (metric, labels, value).
pub fn scrape(http: SocketAddr) -> prometheus_parse::Scrape {
    let (code, body) = get(http, "/metrics");
    assert_eq!(code, 200);
    prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned())))
        .expect("valid Prometheus text")
}

/// The value of the first sample of `metric` with all of `labels`.
pub fn sample(s: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .find(|x| x.metric == metric && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match x.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

/// [`sample`], which must be there.
pub fn value(s: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    sample(s, metric, labels).unwrap_or_else(|| panic!("no {metric}{labels:?}"))
}

pub fn cpus() -> (u32, u32) {
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
pub static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `upf run` on the topology's veths.
pub fn start_upf(topo: &Topology, dir: &Path) -> Upf {
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

/// A child process, killed on drop.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
