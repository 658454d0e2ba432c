//! Helpers shared by the dataplane integration tests.
#![allow(dead_code)]

pub mod ringio;
pub mod sessions;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use dataplane::port::PortDevice;
use dataplane::{Attachment, DataplaneConfig, PortSpec, Role, WorkerCore};
use upf_core::path::PathConfig;

/// A name unique within this process, for vdevs and temp dirs.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let d =
            std::env::temp_dir().join(format!("upf-{tag}-{}-{}", std::process::id(), unique("")));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    pub fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("UPF_KEEP_TEST_FILES").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Runs a Python script with Debian's interpreter (which has scapy);
/// returns stdout, panics with stderr on failure.
pub fn python(script: &str) -> String {
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .output()
        .expect("run /usr/bin/python3");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        script
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Polls `f` every 20 ms until it is true; panics with `what` after
/// `timeout`.
pub fn wait_for(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `tshark` output (fields, one line per packet) for a pcap file.
pub fn tshark(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts that tshark finds no malformed packet and no expert error in
/// `file`, with the IPv4 checksum checked and the extra preferences `prefs`
/// (`-o` values, such as `udp.check_checksum:TRUE`).
#[allow(dead_code)]
pub fn assert_clean_decode(file: &Path, prefs: &[&str]) {
    let mut args = vec!["-o", "ip.check_checksum:TRUE"];
    for p in prefs {
        args.extend(["-o", p]);
    }
    args.extend([
        "-Y",
        "_ws.malformed || _ws.expert.severity >= 0x00800000",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "_ws.expert.message",
    ]);
    let bad = tshark(file, &args);
    assert!(
        bad.trim().is_empty(),
        "{}: tshark reports problems:\n{bad}",
        file.display()
    );
}

/// The CPUs this process may run on.
pub fn cpus() -> Vec<usize> {
    dataplane::eal::allowed_cpus()
}

/// Two ports, N3 (`n3_dev`, address `n3`/24) and N6 (`n6_dev`, `n6`/24,
/// off-link destinations via `gateway`), sized for tests: small pools and
/// rings, workers that yield when idle.
pub fn n3_n6_config(
    n3_dev: String,
    n6_dev: String,
    (n3, n6, gateway): (Ipv4Addr, Ipv4Addr, Option<Ipv4Addr>),
    workers: Vec<WorkerCore>,
) -> DataplaneConfig {
    let path = PathConfig {
        access_v4: Some(n3),
        core_v4: Some(n6),
        ..PathConfig::default()
    };
    let mut cfg = DataplaneConfig::new(
        vec![
            PortSpec::new("n3", PortDevice::Vdev(n3_dev)),
            PortSpec::new("n6", PortDevice::Vdev(n6_dev)),
        ],
        vec![
            Attachment {
                prefix_v4: Some(24),
                ..Attachment::new(Role::N3, 0)
            },
            Attachment {
                prefix_v4: Some(24),
                gateway_v4: gateway,
                ..Attachment::new(Role::N6, 1)
            },
        ],
        workers,
        path,
    );
    cfg.mbufs = 2047;
    cfg.mbuf_cache = 32;
    cfg.ring_size = 256;
    cfg.idle_yield = true;
    cfg
}
