//! What Kubernetes tells the pod about its devices, networks and CPUs.
//!
//! - **SR-IOV VFs**: the SR-IOV network device plugin injects one variable
//!   per resource, `PCIDEVICE_<RESOURCE>`, where `<RESOURCE>` is the resource
//!   name upper-cased with every character other than a letter or digit
//!   turned into `_` (`intel.com/sriov_n3` → `PCIDEVICE_INTEL_COM_SRIOV_N3`),
//!   holding the allocated PCI addresses separated by commas.
//! - **Multus attachments**: Multus writes the `k8s.v1.cni.cncf.io/network-status`
//!   annotation (a JSON list: `name`, `interface`, `ips`, `mac`, `default`,
//!   `device-info.pci.pci-address`); the pod reads it through a downward-API
//!   volume, where the kubelet writes one `key="value"` line per annotation,
//!   the value quoted with Go's `strconv.Quote` rules.
//! - **CPUs**: with the static CPU manager policy a Guaranteed pod with
//!   integer CPU requests owns whole CPUs, visible as the cgroup's effective
//!   cpuset (v2: `cpuset.cpus.effective`; v1: `cpuset/cpuset.cpus`) and as the
//!   process affinity (`Cpus_allowed_list` in `/proc/self/status`, the same
//!   mask `sched_getaffinity` returns, read without unsafe code).
//!
//! Everything here is a pure function of strings or files, tested with
//! fixtures; [`crate::config`] decides what to do with the results.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::types::{CpuList, PciAddr};

/// The annotation Multus writes with the attachment results.
pub const NETWORK_STATUS_ANNOTATION: &str = "k8s.v1.cni.cncf.io/network-status";

/// Where the chart mounts the downward-API annotations file.
pub const DEFAULT_ANNOTATIONS_FILE: &str = "/etc/podinfo/annotations";

/// Files holding the CPUs this container owns, tried in order.
pub const CPUSET_FILES: &[&str] = &[
    "/sys/fs/cgroup/cpuset.cpus.effective",
    "/sys/fs/cgroup/cpuset/cpuset.cpus",
];

/// The process status file whose `Cpus_allowed_list` is the affinity mask.
pub const PROC_STATUS: &str = "/proc/self/status";

/// Why discovery input could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// A `PCIDEVICE_*` value holds something other than PCI addresses.
    #[error("{var}: {problem}")]
    PciDevice {
        /// The variable.
        var: String,
        /// What is wrong.
        problem: String,
    },
    /// The annotations file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line of the annotations file is not `key="quoted value"`.
    #[error("{path}:{line}: {problem}")]
    AnnotationSyntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The network-status annotation is not the JSON Multus writes.
    #[error("{NETWORK_STATUS_ANNOTATION}: {0}")]
    NetworkStatus(String),
    /// A cpuset file holds no CPU list.
    #[error("{path}: {problem}")]
    Cpuset {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// The environment variable the SR-IOV device plugin sets for `resource`.
pub fn pcidevice_var(resource: &str) -> String {
    let mut v = String::from("PCIDEVICE_");
    v.extend(resource.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    v
}

/// Parses a `PCIDEVICE_*` value: PCI addresses separated by commas.
pub fn parse_pcidevice_list(var: &str, value: &str) -> Result<Vec<PciAddr>, DiscoveryError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|problem| DiscoveryError::PciDevice {
                var: var.to_owned(),
                problem,
            })
        })
        .collect()
}

/// The PCI addresses allocated for `resource`, from the environment `env`
/// (`None` when the variable is not set).
pub fn pcidevices(
    env: &BTreeMap<String, String>,
    resource: &str,
) -> Result<Option<Vec<PciAddr>>, DiscoveryError> {
    let var = pcidevice_var(resource);
    env.get(&var)
        .map(|v| parse_pcidevice_list(&var, v))
        .transpose()
}

/// Parses a downward-API annotations file's text into key → value.
pub fn parse_annotations(
    path: &Path,
    text: &str,
) -> Result<BTreeMap<String, String>, DiscoveryError> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |problem: String| DiscoveryError::AnnotationSyntax {
            path: path.to_owned(),
            line: i + 1,
            problem,
        };
        let (key, quoted) = line
            .split_once('=')
            .ok_or_else(|| err("no '=' in line".into()))?;
        let value = unquote_go(quoted).map_err(err)?;
        out.insert(key.to_owned(), value);
    }
    Ok(out)
}

/// Reverses Go's `strconv.Quote`: a double-quoted string with backslash
/// escapes (`\" \\ \n \t \r \a \b \f \v \xHH \uHHHH \UHHHHHHHH \ooo`).
pub fn unquote_go(s: &str) -> Result<String, String> {
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| s.len() >= 2)
        .ok_or_else(|| "value is not a double-quoted string".to_owned())?;
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let b = inner.as_bytes();
    let mut i = 0;
    let hex = |t: &[u8]| -> Result<u32, String> {
        std::str::from_utf8(t)
            .ok()
            .and_then(|t| u32::from_str_radix(t, 16).ok())
            .ok_or_else(|| "bad hex escape".to_owned())
    };
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            return Err("unescaped '\"' inside the value".into());
        }
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *b.get(i + 1).ok_or("dangling backslash")?;
        i += 2;
        let simple = match e {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'\'' => Some(b'\''),
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'v' => Some(0x0b),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            continue;
        }
        let take = |n: usize, i: usize| b.get(i..i + n).ok_or("short escape");
        match e {
            b'x' => {
                out.push(hex(take(2, i)?)? as u8);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if e == b'u' { 4 } else { 8 };
                let cp = hex(take(n, i)?)?;
                let ch = char::from_u32(cp).ok_or("invalid code point")?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += n;
            }
            b'0'..=b'7' => {
                let t = take(2, i)?;
                let digits = [e, t[0], t[1]];
                let v = std::str::from_utf8(&digits)
                    .ok()
                    .and_then(|d| u8::from_str_radix(d, 8).ok())
                    .ok_or("bad octal escape")?;
                out.push(v);
                i += 2;
            }
            other => return Err(format!("unknown escape \\{}", other as char)),
        }
    }
    String::from_utf8(out).map_err(|_| "value is not UTF-8".into())
}

/// One entry of the network-status annotation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NetworkStatus {
    /// Network name, `namespace/nad-name` (or the cluster network's name).
    pub name: String,
    /// Interface name inside the pod.
    #[serde(default)]
    pub interface: Option<String>,
    /// Addresses the IPAM assigned (usually without prefix length).
    #[serde(default)]
    pub ips: Vec<String>,
    /// MAC address.
    #[serde(default)]
    pub mac: Option<String>,
    /// Whether this is the cluster (primary) network.
    #[serde(default)]
    pub default: bool,
    /// Device information (SR-IOV: the VF's PCI address).
    #[serde(default, rename = "device-info")]
    pub device_info: Option<DeviceInfo>,
}

/// `device-info` of a network-status entry (the NPWG device-info spec).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeviceInfo {
    /// "pci", "vhost-user", ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// PCI details.
    #[serde(default)]
    pub pci: Option<PciInfo>,
}

/// PCI details of a device-info.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PciInfo {
    /// The VF's PCI address.
    #[serde(default, rename = "pci-address")]
    pub pci_address: Option<String>,
}

impl NetworkStatus {
    /// Whether this entry is the attachment of network `name` (with or
    /// without its `namespace/` prefix).
    pub fn is_network(&self, name: &str) -> bool {
        self.name == name
            || (!name.contains('/') && self.name.rsplit_once('/').is_some_and(|(_, n)| n == name))
    }
    /// The VF's PCI address, when the CNI reported one.
    pub fn pci_address(&self) -> Option<Result<PciAddr, String>> {
        self.device_info
            .as_ref()?
            .pci
            .as_ref()?
            .pci_address
            .as_deref()
            .map(str::parse)
    }
    /// The addresses, parsed; an entry with a prefix length keeps it.
    pub fn addresses(&self) -> Result<Vec<(IpAddr, Option<u8>)>, String> {
        self.ips
            .iter()
            .map(|s| match s.split_once('/') {
                Some((a, p)) => Ok((
                    a.parse().map_err(|_| format!("bad address {s:?}"))?,
                    Some(p.parse().map_err(|_| format!("bad prefix in {s:?}"))?),
                )),
                None => Ok((s.parse().map_err(|_| format!("bad address {s:?}"))?, None)),
            })
            .collect()
    }
}

/// Parses the network-status annotation's JSON.
pub fn parse_network_status(json: &str) -> Result<Vec<NetworkStatus>, DiscoveryError> {
    serde_json::from_str(json).map_err(|e| DiscoveryError::NetworkStatus(e.to_string()))
}

/// Reads the network-status from a downward-API annotations file. `Ok(None)`
/// when the file does not exist or has no such annotation (not in Kubernetes,
/// or no Multus attachments).
pub fn read_network_status(path: &Path) -> Result<Option<Vec<NetworkStatus>>, DiscoveryError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(DiscoveryError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    let ann = parse_annotations(path, &text)?;
    ann.get(NETWORK_STATUS_ANNOTATION)
        .map(|v| parse_network_status(v))
        .transpose()
}

/// Parses a cpuset file's content (`0-3,8`).
pub fn parse_cpuset(path: &Path, text: &str) -> Result<CpuList, DiscoveryError> {
    let cpus: CpuList = text
        .trim()
        .parse()
        .map_err(|problem| DiscoveryError::Cpuset {
            path: path.to_owned(),
            problem,
        })?;
    if cpus.is_empty() {
        return Err(DiscoveryError::Cpuset {
            path: path.to_owned(),
            problem: "empty CPU list".into(),
        });
    }
    Ok(cpus)
}

/// The `Cpus_allowed_list` of a `/proc/<pid>/status` text.
pub fn parse_proc_status_cpus(path: &Path, text: &str) -> Result<CpuList, DiscoveryError> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .ok_or_else(|| DiscoveryError::Cpuset {
            path: path.to_owned(),
            problem: "no Cpus_allowed_list".into(),
        })?;
    parse_cpuset(path, line)
}

/// The CPUs this container may run on, and the file that said so: the first
/// of `cpuset_files` that exists, else the affinity from `proc_status`.
/// `Ok(None)` when none of them can be read.
pub fn discover_cpus(
    cpuset_files: &[PathBuf],
    proc_status: &Path,
) -> Result<Option<(CpuList, PathBuf)>, DiscoveryError> {
    for f in cpuset_files {
        match std::fs::read_to_string(f) {
            Ok(t) if !t.trim().is_empty() => return Ok(Some((parse_cpuset(f, &t)?, f.clone()))),
            _ => continue,
        }
    }
    match std::fs::read_to_string(proc_status) {
        Ok(t) => Ok(Some((
            parse_proc_status_cpus(proc_status, &t)?,
            proc_status.to_owned(),
        ))),
        Err(_) => Ok(None),
    }
}

/// Splits the container's CPUs: the first for the control thread, the rest
/// for workers.
pub fn split_cores(cpus: &CpuList) -> (CpuList, CpuList) {
    match cpus.cpus().split_first() {
        Some((first, rest)) => (CpuList::new(vec![*first]), CpuList::new(rest.to_vec())),
        None => (CpuList::default(), CpuList::default()),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    #[test]
    fn pcidevice_names_and_values() {
        assert_eq!(
            pcidevice_var("intel.com/sriov_n3"),
            "PCIDEVICE_INTEL_COM_SRIOV_N3"
        );
        assert_eq!(
            pcidevice_var("nvidia.com/cx6-dx_n6"),
            "PCIDEVICE_NVIDIA_COM_CX6_DX_N6"
        );
        let env: BTreeMap<String, String> = [(
            "PCIDEVICE_INTEL_COM_SRIOV_N3".to_owned(),
            "0000:3b:02.1, 0000:3b:02.3,".to_owned(),
        )]
        .into();
        let v = pcidevices(&env, "intel.com/sriov_n3").unwrap().unwrap();
        assert_eq!(
            v.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["0000:3b:02.1", "0000:3b:02.3"]
        );
        assert!(pcidevices(&env, "intel.com/sriov_n6").unwrap().is_none());
        let bad: BTreeMap<String, String> =
            [("PCIDEVICE_INTEL_COM_X".to_owned(), "eth0".to_owned())].into();
        let e = pcidevices(&bad, "intel.com/x").unwrap_err().to_string();
        assert!(e.starts_with("PCIDEVICE_INTEL_COM_X: "), "{e}");
    }

    #[test]
    fn go_quoting() {
        assert_eq!(unquote_go(r#""a\"b\\c\n""#).unwrap(), "a\"b\\c\n");
        assert_eq!(
            unquote_go(r#""\x41\u00e9\U0001F600\101""#).unwrap(),
            "Aé😀A"
        );
        assert_eq!(unquote_go(r#""plain é""#).unwrap(), "plain é");
        assert!(unquote_go("unquoted").is_err());
        assert!(unquote_go(r#""a"b""#).is_err());
        assert!(unquote_go(r#""\q""#).is_err());
        assert!(unquote_go(r#"""#).is_err());
    }

    #[test]
    fn annotations_fixture_sriov() {
        let p = fixture("annotations-sriov");
        let ns = read_network_status(&p).unwrap().unwrap();
        assert_eq!(ns.len(), 3);
        assert!(ns[0].default);
        let n3 = ns.iter().find(|n| n.is_network("upf-n3")).unwrap();
        assert_eq!(n3.interface.as_deref(), Some("n3"));
        assert_eq!(
            n3.addresses().unwrap(),
            vec![("10.100.3.2".parse().unwrap(), None)]
        );
        assert_eq!(
            n3.pci_address().unwrap().unwrap().to_string(),
            "0000:3b:02.1"
        );
        assert!(ns.iter().any(|n| n.is_network("5g/upf-n6")));
        assert!(!ns.iter().any(|n| n.is_network("other/upf-n6")));
        // The other annotations of the file were parsed too.
        let text = std::fs::read_to_string(&p).unwrap();
        let all = parse_annotations(&p, &text).unwrap();
        assert_eq!(
            all.get("kubernetes.io/config.source").map(String::as_str),
            Some("api")
        );
    }

    #[test]
    fn annotations_missing_or_broken() {
        assert!(read_network_status(&fixture("does-not-exist"))
            .unwrap()
            .is_none());
        let e = read_network_status(&fixture("annotations-broken"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("annotations-broken:2:"), "{e}");
        let e = parse_network_status("{\"name\":1}")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(NETWORK_STATUS_ANNOTATION), "{e}");
    }

    #[test]
    fn cpusets() {
        let v2 = fixture("cpuset.cpus.effective");
        let (cpus, from) = discover_cpus(
            &[fixture("no-such-cpuset"), v2.clone()],
            &fixture("proc-status"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(cpus.to_string(), "4-7");
        assert_eq!(from, v2);
        let (control, workers) = split_cores(&cpus);
        assert_eq!(
            (control.to_string(), workers.to_string()),
            ("4".into(), "5-7".into())
        );

        // No cgroup file: the affinity mask from /proc/self/status.
        let (cpus, _) = discover_cpus(&[fixture("no-such-cpuset")], &fixture("proc-status"))
            .unwrap()
            .unwrap();
        assert_eq!(cpus.to_string(), "2-3,10");
        assert!(discover_cpus(&[], &fixture("nothing")).unwrap().is_none());
        assert!(parse_cpuset(Path::new("x"), "\n").is_err());
    }
}
