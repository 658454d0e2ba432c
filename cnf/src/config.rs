//! The UPF's configuration: one TOML file, environment overrides, Kubernetes
//! discovery, then validation. Every later part of the program reads the
//! resolved [`Config`] only.
//!
//! [`load`] does, in order:
//! 1. parse the file ([`Config`], unknown keys are errors);
//! 2. apply the environment overrides (the table below);
//! 3. resolve what Kubernetes provides ([`crate::k8s`]): PCI addresses from
//!    `PCIDEVICE_*`, addresses and MACs from the Multus network-status
//!    annotation, cores from the container's cpuset;
//! 4. validate, naming the field and the problem
//!    (`config: ports.n3.device: neither pci nor vdev given`).
//!
//! # Environment overrides
//!
//! | variable | overrides | format |
//! |---|---|---|
//! | `UPF_LOG` | `log.filter` | tracing env-filter directive, e.g. `info,cnf=debug` |
//! | `UPF_LOG_FORMAT` | `log.format` | `text` or `json` |
//! | `UPF_NODE_ID` | `pfcp.node_id` | IPv4, IPv6 or FQDN |
//! | `UPF_PFCP_LISTEN` | `pfcp.listen` | comma-separated `ip:port` |
//! | `UPF_SMF_PEERS` | `pfcp.smf_peers` | comma-separated `host[:port]` |
//! | `UPF_CONTROL_CORES` | `cores.control` | CPU list, `0` or `0-1` |
//! | `UPF_WORKER_CORES` | `cores.workers` | CPU list, `2-5,8` |
//! | `UPF_N3_PCI`, `UPF_N6_PCI`, `UPF_N9_PCI` | `pci` of the port carrying that role (clears `vdev`, `resource`) | PCI address or `env:<resource>` |
//! | `UPF_N3_VDEV`, `UPF_N6_VDEV`, `UPF_N9_VDEV` | `vdev` of the port carrying that role (clears `pci`, `resource`) | DPDK vdev string |
//! | `UPF_N3_ADDRESSES`, `UPF_N6_ADDRESSES`, `UPF_N9_ADDRESSES` | `interfaces.<role>.addresses` | comma-separated CIDRs |
//! | `UPF_OFFLOAD` | `offload.mode` | `off`, `auto`, `required` |
//! | `UPF_DATAPLANE_ENABLED` | `dataplane.enabled` | `true` or `false` |
//! | `UPF_IDLE_YIELD` | `dataplane.idle_yield` | `true` or `false` |
//! | `UPF_GRPC_LISTEN` | `management.grpc_listen` | `ip:port` |
//! | `UPF_HTTP_LISTEN` | `management.http_listen` | `ip:port` |
//! | `UPF_ANNOTATIONS_FILE` | `kubernetes.annotations_file` | path |
//! | `UPF_CPUSET_FILE` | `kubernetes.cpuset_file` | path |
//!
//! Read as well, never overriding a value the file sets:
//!
//! | variable | used for |
//! |---|---|
//! | `POD_IP` | default `pfcp.node_id` (the chart sets it from `status.podIP`) |
//! | `PCIDEVICE_<RESOURCE>` | PCI addresses of ports with `resource = "<resource>"` or `pci = "env:<resource>"` (set by the SR-IOV device plugin) |

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::k8s;
use crate::types::{
    valid_resource_name, Cidr, CpuList, MacAddr, NodeId, PciAddr, PciSource, PeerAddr,
};

/// Why the configuration is unusable. The binary prints it and exits with
/// status 64.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config: {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A field is missing, malformed or inconsistent.
    #[error("config: {field}: {problem}")]
    Invalid {
        /// Dotted path of the field (`ports.n3.mtu`), or the environment
        /// variable that set it.
        field: String,
        /// What is wrong.
        problem: String,
    },
}

impl ConfigError {
    fn invalid(field: impl Into<String>, problem: impl fmt::Display) -> Self {
        ConfigError::Invalid {
            field: field.into(),
            problem: problem.to_string(),
        }
    }
    /// The field named, for `Invalid`.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { field, .. } => Some(field),
            ConfigError::Read { .. } => None,
        }
    }
}

type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// The whole configuration. Sections may be left out; each has defaults
/// except `ports` and `interfaces`, which a dataplane needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Logging.
    pub log: LogConfig,
    /// Which CPUs run the control thread and the polling workers.
    pub cores: CoresConfig,
    /// DPDK EAL options.
    pub eal: EalConfig,
    /// Whether the DPDK dataplane runs at all.
    pub dataplane: DataplaneConfig,
    /// DPDK ports by name (`[ports.n3]`, `[ports.trunk]`).
    pub ports: BTreeMap<String, PortConfig>,
    /// The UPF's addresses, next hops and neighbours per role
    /// (`[interfaces.n3]`, `[interfaces.n6]`, `[interfaces.n9]`).
    pub interfaces: BTreeMap<Role, InterfaceConfig>,
    /// PFCP (N4).
    pub pfcp: PfcpConfig,
    /// UE address pools, used when the UPF allocates UE addresses.
    pub ue_pools: Vec<UePool>,
    /// Capacity limits.
    pub limits: Limits,
    /// rte_flow offload.
    pub offload: OffloadConfig,
    /// Management gRPC and metrics/health HTTP endpoints.
    pub management: ManagementConfig,
    /// QoS handling.
    pub qos: QosConfig,
    /// Kubernetes discovery inputs.
    pub kubernetes: KubernetesConfig,
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// tracing env-filter directive (`info`, `info,cnf=debug`). Env `UPF_LOG`.
    pub filter: String,
    /// `text` (human) or `json` (one object per line). Env `UPF_LOG_FORMAT`.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            filter: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// CPU assignment. Both lists are optional: what is not given comes from the
/// CPUs the container owns (first CPU for control, the rest for workers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoresConfig {
    /// CPUs for the control thread (tokio: PFCP, gRPC, metrics, ARP/ND).
    /// Env `UPF_CONTROL_CORES`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<CpuList>,
    /// CPUs for polling workers, one worker per CPU. Env `UPF_WORKER_CORES`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<CpuList>,
}

/// DPDK EAL options. The UPF builds the EAL command line from these and the
/// ports; `extra_args` is for what is not covered here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EalConfig {
    /// Run without hugepages (`--no-huge`): lab and tests only, slower and
    /// incompatible with PCI devices bound to vfio.
    pub no_huge: bool,
    /// Memory to reserve at start, MB (`-m`). 64..=1048576.
    pub memory_mb: u32,
    /// Keep no runtime files (`--in-memory`); one UPF per pod needs none.
    pub in_memory: bool,
    /// Prefix for hugepage files and runtime directory (`--file-prefix`).
    pub file_prefix: String,
    /// Hugepage mount to use (`--huge-dir`), default: EAL's choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub huge_dir: Option<PathBuf>,
    /// Further EAL arguments, verbatim (e.g. `["--log-level=pmd.net.iavf:debug"]`).
    /// Options set through the fields above (and `-l`, `-a`, `--vdev`) are refused here.
    pub extra_args: Vec<String>,
}

impl Default for EalConfig {
    fn default() -> Self {
        EalConfig {
            no_huge: false,
            memory_mb: 1024,
            in_memory: true,
            file_prefix: "upf".into(),
            huge_dir: None,
            extra_args: Vec::new(),
        }
    }
}

/// EAL options the UPF sets itself.
const RESERVED_EAL_ARGS: &[&str] = &[
    "-l",
    "--lcores",
    "-c",
    "-a",
    "--allow",
    "-b",
    "--block",
    "--vdev",
    "--no-huge",
    "-m",
    "--socket-mem",
    "--in-memory",
    "--file-prefix",
    "--huge-dir",
    "--main-lcore",
];

/// Whether the DPDK dataplane runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataplaneConfig {
    /// `false`: no EAL, no ports, no workers; the PFCP socket, management API
    /// and metrics still run, and readiness does not wait for ports. For
    /// tests and for trying the management side without DPDK. Ports are still
    /// validated when given. Env `UPF_DATAPLANE_ENABLED`.
    pub enabled: bool,
    /// Workers yield the CPU when a poll finds nothing. For shared lab and
    /// test machines; leave off in production, where workers own their
    /// cores. Env `UPF_IDLE_YIELD`.
    pub idle_yield: bool,
    /// Mbufs in the packet pool (hugepage memory: about 2.3 KB each). Every
    /// RX and TX descriptor of every queue, the packets in flight and up to
    /// a quarter of the pool for downlink buffering come out of it; size it
    /// to the ports' descriptor rings and `limits.buffer_packets_total`.
    pub mbufs: u32,
}

/// Default of `dataplane.mbufs`.
pub const DEFAULT_MBUFS: u32 = 8191;

impl Default for DataplaneConfig {
    fn default() -> Self {
        DataplaneConfig {
            enabled: true,
            idle_yield: false,
            mbufs: DEFAULT_MBUFS,
        }
    }
}

/// A network role of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// N3: GTP-U toward the RAN.
    N3,
    /// N6: plain IP toward the data network.
    N6,
    /// N9: GTP-U toward other UPFs.
    N9,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::N3, Role::N6, Role::N9];
    /// `n3`, `n6`, `n9`.
    pub fn name(self) -> &'static str {
        match self {
            Role::N3 => "n3",
            Role::N6 => "n6",
            Role::N9 => "n9",
        }
    }
    fn from_name(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }
}

// By hand, through a string, so that error paths name map keys (`interfaces.n3`).
impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Role::from_name(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown variant `{s}`, expected one of n3, n6, n9"))
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One DPDK port. Its device is exactly one of: `pci` (an address, or
/// `env:<resource>`), `resource` (SR-IOV device plugin resource name),
/// `vdev`; or, with none of them, the PCI address Multus reports for
/// `network`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortConfig {
    /// Roles carried by this port. Default: the port's name when it is
    /// `n3`, `n6` or `n9`. Several roles need `vlans`.
    pub roles: Vec<Role>,
    /// PCI address (`0000:3b:02.1`) or `env:<resource>` (the next address the
    /// SR-IOV device plugin allocated for that resource). Env `UPF_<ROLE>_PCI`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pci: Option<PciSource>,
    /// SR-IOV device plugin resource name (`intel.com/sriov_n3`); same as
    /// `pci = "env:intel.com/sriov_n3"`. Kept after resolution for reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// DPDK virtual device: `net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap`,
    /// `net_af_packet0,iface=eth1`, `net_af_xdp0,iface=eth1`,
    /// `net_memif0,role=server,socket=/run/memif.sock`, `net_null0`,
    /// `net_ring0`, `net_tap0`. Exclusive with `pci`/`resource`. Env `UPF_<ROLE>_VDEV`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vdev: Option<String>,
    /// Multus network (NetworkAttachmentDefinition name, optionally
    /// `namespace/name`) this port is attached through. Its network-status
    /// entry supplies the VF's PCI address (choosing among several VFs of one
    /// resource), the MAC, and the role's addresses when not configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// MAC address override (else the port's own, or the one Multus reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<MacAddr>,
    /// VLAN id per role, for ports carrying several roles (1..=4094).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub vlans: BTreeMap<Role, u16>,
    /// IP MTU of the port, 1280..=9600.
    pub mtu: u16,
    /// RX descriptors per queue, power of two 64..=16384.
    pub rx_desc: u16,
    /// TX descriptors per queue, power of two 64..=16384.
    pub tx_desc: u16,
}

impl Default for PortConfig {
    fn default() -> Self {
        PortConfig {
            roles: Vec::new(),
            pci: None,
            resource: None,
            vdev: None,
            network: None,
            mac: None,
            vlans: BTreeMap::new(),
            mtu: 1500,
            rx_desc: 1024,
            tx_desc: 1024,
        }
    }
}

/// The device a port resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortDevice {
    /// A PCI function (SR-IOV VF or PF).
    Pci(PciAddr),
    /// A DPDK vdev string.
    Vdev(String),
}

impl PortConfig {
    /// The resolved device (after [`load`], always `Some`).
    pub fn device(&self) -> Option<PortDevice> {
        if let Some(v) = &self.vdev {
            return Some(PortDevice::Vdev(v.clone()));
        }
        match &self.pci {
            Some(PciSource::Address(a)) => Some(PortDevice::Pci(*a)),
            _ => None,
        }
    }
}

/// A static route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Destination prefix.
    pub destination: Cidr,
    /// Next hop (on-link through this interface).
    pub via: IpAddr,
}

/// The UPF's presence on one role: addresses, next hops, neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InterfaceConfig {
    /// The UPF's addresses with prefix (`10.100.3.2/24`, `2001:db8:3::2/64`).
    /// N3/N9: the GTP-U endpoint addresses (the SMF allocates F-TEIDs on
    /// them). Empty: taken from the Multus network-status of the port's
    /// `network`. Env `UPF_<ROLE>_ADDRESSES`.
    pub addresses: Vec<Cidr>,
    /// Prefix length given to discovered IPv4 addresses (Multus reports
    /// addresses without one).
    pub discovered_prefix_v4: u8,
    /// Prefix length given to discovered IPv6 addresses.
    pub discovered_prefix_v6: u8,
    /// IPv4 next hop for destinations off the connected subnets (N6: the
    /// data network gateway).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_v4: Option<Ipv4Addr>,
    /// IPv6 next hop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_v6: Option<Ipv6Addr>,
    /// Further static routes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// Static neighbours, IP → MAC (no ARP/ND for these).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub neighbors: BTreeMap<IpAddr, MacAddr>,
    /// Egress rate of this role's link in bits per second (such as a
    /// gNB's N3 link slower than the port): packets sent here are
    /// scheduled by QoS class and shaped to this rate, split evenly
    /// between the workers. Absent: sent straight to the port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress_rate_bps: Option<u64>,
    /// Burst of the egress shaper, bytes (default: 1 ms of the rate, at
    /// least 16 full-size frames).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress_burst_bytes: Option<u64>,
}

impl Default for InterfaceConfig {
    fn default() -> Self {
        InterfaceConfig {
            addresses: Vec::new(),
            discovered_prefix_v4: 24,
            discovered_prefix_v6: 64,
            gateway_v4: None,
            gateway_v6: None,
            routes: Vec::new(),
            neighbors: BTreeMap::new(),
            egress_rate_bps: None,
            egress_burst_bytes: None,
        }
    }
}

/// PFCP (N4) settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PfcpConfig {
    /// Node ID: an IPv4 address (the usual choice), an IPv6 address, or an
    /// FQDN. Default: `POD_IP`, else the first specific `listen` address.
    /// Env `UPF_NODE_ID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<NodeId>,
    /// UDP listen addresses. Env `UPF_PFCP_LISTEN`.
    pub listen: Vec<SocketAddr>,
    /// SMFs to which the UPF initiates the association (TS 29.244 §6.2.6.1);
    /// empty: wait for SMF-initiated association. Env `UPF_SMF_PEERS`.
    pub smf_peers: Vec<PeerAddr>,
    /// Heartbeat Request interval, ms (1000..=3600000).
    pub heartbeat_interval_ms: u64,
    /// T1: request retransmission timer, ms (100..=60000).
    pub t1_ms: u64,
    /// N1: request transmissions before giving up (1..=10).
    pub n1: u8,
    /// Advertise UE IP address allocation (UP Function Features UEIP) and
    /// allocate from `ue_pools`.
    pub ue_ip_allocation: bool,
}

impl Default for PfcpConfig {
    fn default() -> Self {
        PfcpConfig {
            node_id: None,
            listen: vec![SocketAddr::from(([0, 0, 0, 0], crate::types::PFCP_PORT))],
            smf_peers: Vec::new(),
            heartbeat_interval_ms: 10_000,
            t1_ms: 3_000,
            n1: 3,
            ue_ip_allocation: false,
        }
    }
}

/// A UE address pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UePool {
    /// Pool name (unique).
    pub name: String,
    /// Prefix to allocate from (IPv4 addresses, or IPv6 /64 prefixes).
    pub cidr: Cidr,
    /// Network instance (DNN) the pool serves; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_instance: Option<String>,
}

/// Capacity limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Maximum PFCP sessions (1..=10000000); further establishments are
    /// rejected with "No resources available".
    pub max_sessions: u32,
    /// Downlink packets buffered per session (FAR BUFF) when its BAR
    /// suggests no count, 0 disables buffering (packets are dropped as
    /// `buffer_full`; Downlink Data Reports are still sent).
    pub buffer_packets_per_session: u32,
    /// Buffered packets across all sessions, shared out equally between
    /// the workers (and at most a quarter of the mbuf pool).
    pub buffer_packets_total: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sessions: 100_000,
            buffer_packets_per_session: 64,
            buffer_packets_total: 65_536,
        }
    }
}

/// rte_flow offload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OffloadConfig {
    /// `off`, `auto` (use what the NIC can, fall back to software) or
    /// `required` (refuse to start when the NIC cannot). Env `UPF_OFFLOAD`.
    pub mode: OffloadMode,
}

/// Offload mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OffloadMode {
    /// Software only.
    Off,
    /// Offload what the NIC supports.
    #[default]
    Auto,
    /// Fail when the NIC cannot offload.
    Required,
}

impl OffloadMode {
    /// `off`, `auto`, `required`.
    pub fn name(self) -> &'static str {
        match self {
            OffloadMode::Off => "off",
            OffloadMode::Auto => "auto",
            OffloadMode::Required => "required",
        }
    }
}

/// Management endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManagementConfig {
    /// gRPC management API (read-only, no authentication: keep it on
    /// loopback or a protected network). Env `UPF_GRPC_LISTEN`.
    pub grpc_listen: SocketAddr,
    /// HTTP `/metrics`, `/healthz`, `/readyz`. Env `UPF_HTTP_LISTEN`.
    pub http_listen: SocketAddr,
    /// Longest wait for in-flight requests after SIGTERM/SIGINT, ms.
    pub shutdown_grace_ms: u64,
}

impl Default for ManagementConfig {
    fn default() -> Self {
        ManagementConfig {
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            http_listen: SocketAddr::from(([0, 0, 0, 0], 9090)),
            shutdown_grace_ms: 5_000,
        }
    }
}

/// QoS handling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QosConfig {
    /// Add the DL PDU Session Container (TS 38.415, with the QFI) to
    /// downlink G-PDUs toward the RAN.
    pub dl_pdu_session_container: bool,
    /// Priority level per 5QI (`"9" = 90`), overriding the standardized
    /// values of TS 23.501 Table 5.7.4-1 for TX scheduling. Keys 1..=255,
    /// values 1..=127 (lower is served first).
    pub priority: BTreeMap<String, u8>,
    /// Egress scheduling (interfaces with `egress_rate_bps`): the share of
    /// the rate each backlogged class is owed at least, in thousandths
    /// (0..=125).
    pub egress_min_share_permille: u32,
    /// Egress scheduling: packets each class queue holds, per worker.
    pub egress_queue_limit: usize,
}

impl Default for QosConfig {
    fn default() -> Self {
        QosConfig {
            dl_pdu_session_container: true,
            priority: BTreeMap::new(),
            egress_min_share_permille: 50,
            egress_queue_limit: 1024,
        }
    }
}

/// Kubernetes discovery inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubernetesConfig {
    /// Downward-API file with the pod's annotations (Multus network-status).
    /// A missing file means "no Multus". Env `UPF_ANNOTATIONS_FILE`.
    pub annotations_file: PathBuf,
    /// File with the container's CPU list; default: the cgroup v2 then v1
    /// cpuset, then the process affinity. Env `UPF_CPUSET_FILE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpuset_file: Option<PathBuf>,
}

impl Default for KubernetesConfig {
    fn default() -> Self {
        KubernetesConfig {
            annotations_file: PathBuf::from(k8s::DEFAULT_ANNOTATIONS_FILE),
            cpuset_file: None,
        }
    }
}

/// Where discovery reads from; tests point it at fixtures.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The process environment.
    pub env: BTreeMap<String, String>,
    /// cpuset files tried when `kubernetes.cpuset_file` is not set.
    pub cpuset_files: Vec<PathBuf>,
    /// Status file with `Cpus_allowed_list`.
    pub proc_status: PathBuf,
}

impl Sources {
    /// The real process: its environment, cgroup files and affinity.
    pub fn process() -> Self {
        Sources {
            env: std::env::vars().collect(),
            cpuset_files: k8s::CPUSET_FILES.iter().map(PathBuf::from).collect(),
            proc_status: PathBuf::from(k8s::PROC_STATUS),
        }
    }
}

/// Reads, overrides, resolves and validates the configuration in `path`.
pub fn load(path: &Path, sources: &Sources) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut cfg = parse(&text)?;
    cfg.apply_env(&sources.env)?;
    cfg.resolve(sources)?;
    cfg.validate()?;
    Ok(cfg)
}

/// Parses TOML text into a [`Config`], naming the field of any error.
pub fn parse(text: &str) -> Result<Config> {
    let de = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let mut problem = inner.message().to_owned();
        if let Some(span) = inner.span() {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            problem.push_str(&format!(" (line {line})"));
        }
        let field = if path == "." || path.is_empty() {
            "file".to_owned()
        } else {
            path
        };
        ConfigError::invalid(field, problem)
    })
}

fn split_list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_env<T: std::str::FromStr>(var: &str, field: &str, v: &str) -> Result<T>
where
    T::Err: fmt::Display,
{
    v.trim()
        .parse()
        .map_err(|e| ConfigError::invalid(format!("{field} (from {var})"), e))
}

fn parse_env_list<T: std::str::FromStr>(var: &str, field: &str, v: &str) -> Result<Vec<T>>
where
    T::Err: fmt::Display,
{
    split_list(v).map(|s| parse_env(var, field, s)).collect()
}

impl Config {
    /// Applies the `UPF_*` environment overrides (see the module docs).
    pub fn apply_env(&mut self, env: &BTreeMap<String, String>) -> Result<()> {
        let get = |k: &str| {
            env.get(k)
                .map(String::as_str)
                .filter(|v| !v.trim().is_empty())
        };
        if let Some(v) = get("UPF_LOG") {
            self.log.filter = v.to_owned();
        }
        if let Some(v) = get("UPF_LOG_FORMAT") {
            self.log.format = match v {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::invalid(
                        "log.format (from UPF_LOG_FORMAT)",
                        format!("{v:?} is neither text nor json"),
                    ))
                }
            };
        }
        if let Some(v) = get("UPF_NODE_ID") {
            self.pfcp.node_id = Some(parse_env("UPF_NODE_ID", "pfcp.node_id", v)?);
        }
        if let Some(v) = get("UPF_PFCP_LISTEN") {
            self.pfcp.listen = parse_env_list("UPF_PFCP_LISTEN", "pfcp.listen", v)?;
        }
        if let Some(v) = get("UPF_SMF_PEERS") {
            self.pfcp.smf_peers = parse_env_list("UPF_SMF_PEERS", "pfcp.smf_peers", v)?;
        }
        if let Some(v) = get("UPF_CONTROL_CORES") {
            self.cores.control = Some(parse_env("UPF_CONTROL_CORES", "cores.control", v)?);
        }
        if let Some(v) = get("UPF_WORKER_CORES") {
            self.cores.workers = Some(parse_env("UPF_WORKER_CORES", "cores.workers", v)?);
        }
        for role in Role::ALL {
            let up = role.name().to_ascii_uppercase();
            let pci_var = format!("UPF_{up}_PCI");
            let vdev_var = format!("UPF_{up}_VDEV");
            for (var, is_pci) in [(&pci_var, true), (&vdev_var, false)] {
                let Some(v) = get(var) else { continue };
                let name = self.port_for_role(role).ok_or_else(|| {
                    ConfigError::invalid(var.as_str(), format!("no port carries role {role}"))
                })?;
                let field = format!("ports.{name}.{}", if is_pci { "pci" } else { "vdev" });
                let port = self.ports.get_mut(&name).expect("port exists");
                if is_pci {
                    port.pci = Some(parse_env(var, &field, v)?);
                    port.vdev = None;
                } else {
                    port.vdev = Some(v.trim().to_owned());
                    port.pci = None;
                }
                port.resource = None;
            }
            let addr_var = format!("UPF_{up}_ADDRESSES");
            if let Some(v) = get(&addr_var) {
                let field = format!("interfaces.{role}.addresses");
                let addrs = parse_env_list(&addr_var, &field, v)?;
                self.interfaces.entry(role).or_default().addresses = addrs;
            }
        }
        if let Some(v) = get("UPF_OFFLOAD") {
            self.offload.mode = match v {
                "off" => OffloadMode::Off,
                "auto" => OffloadMode::Auto,
                "required" => OffloadMode::Required,
                _ => {
                    return Err(ConfigError::invalid(
                        "offload.mode (from UPF_OFFLOAD)",
                        format!("{v:?} is not off, auto or required"),
                    ))
                }
            };
        }
        if let Some(v) = get("UPF_DATAPLANE_ENABLED") {
            self.dataplane.enabled = parse_env("UPF_DATAPLANE_ENABLED", "dataplane.enabled", v)?;
        }
        if let Some(v) = get("UPF_IDLE_YIELD") {
            self.dataplane.idle_yield = parse_env("UPF_IDLE_YIELD", "dataplane.idle_yield", v)?;
        }
        if let Some(v) = get("UPF_GRPC_LISTEN") {
            self.management.grpc_listen =
                parse_env("UPF_GRPC_LISTEN", "management.grpc_listen", v)?;
        }
        if let Some(v) = get("UPF_HTTP_LISTEN") {
            self.management.http_listen =
                parse_env("UPF_HTTP_LISTEN", "management.http_listen", v)?;
        }
        if let Some(v) = get("UPF_ANNOTATIONS_FILE") {
            self.kubernetes.annotations_file = PathBuf::from(v);
        }
        if let Some(v) = get("UPF_CPUSET_FILE") {
            self.kubernetes.cpuset_file = Some(PathBuf::from(v));
        }
        Ok(())
    }

    /// The roles of a port, applying the default (its name).
    pub fn port_roles(name: &str, port: &PortConfig) -> Vec<Role> {
        if port.roles.is_empty() {
            Role::from_name(name).into_iter().collect()
        } else {
            port.roles.clone()
        }
    }

    /// The name of the port carrying `role`.
    pub fn port_for_role(&self, role: Role) -> Option<String> {
        self.ports
            .iter()
            .find(|(n, p)| Self::port_roles(n, p).contains(&role))
            .map(|(n, _)| n.clone())
    }

    /// Fills in what Kubernetes (or the host) provides: port PCI addresses,
    /// MACs, interface addresses, cores, the node ID.
    pub fn resolve(&mut self, sources: &Sources) -> Result<()> {
        // Roles default to the port name; write them out so the printed
        // configuration is explicit.
        for (name, port) in self.ports.iter_mut() {
            port.roles = Self::port_roles(name, port);
        }
        let status = k8s::read_network_status(&self.kubernetes.annotations_file)
            .map_err(|e| ConfigError::invalid("kubernetes.annotations_file", e))?;
        self.resolve_ports(&sources.env, status.as_deref())?;
        self.resolve_addresses(status.as_deref())?;
        self.resolve_cores(sources)?;
        self.resolve_node_id(&sources.env)?;
        Ok(())
    }

    fn resolve_ports(
        &mut self,
        env: &BTreeMap<String, String>,
        status: Option<&[k8s::NetworkStatus]>,
    ) -> Result<()> {
        // PCI addresses of each resource already given to a port.
        let mut taken: BTreeSet<PciAddr> = self
            .ports
            .values()
            .filter_map(|p| match &p.pci {
                Some(PciSource::Address(a)) if p.vdev.is_none() => Some(*a),
                _ => None,
            })
            .collect();
        for (name, port) in self.ports.iter_mut() {
            let f = |leaf: &str| format!("ports.{name}.{leaf}");
            let entry = match (&port.network, status) {
                (Some(n), Some(st)) => st.iter().find(|s| s.is_network(n)),
                _ => None,
            };
            if let (Some(n), Some(_), None) = (&port.network, status, entry) {
                return Err(ConfigError::invalid(
                    f("network"),
                    format!("no attachment named {n:?} in the Multus network-status annotation"),
                ));
            }
            if port.mac.is_none() {
                if let Some(m) = entry.and_then(|e| e.mac.as_deref()) {
                    port.mac = Some(m.parse().map_err(|e| {
                        ConfigError::invalid(f("mac"), format!("from network-status: {e}"))
                    })?);
                }
            }
            let resource = match (&port.pci, &port.resource) {
                (Some(PciSource::Resource(a)), Some(b)) if a != b => {
                    return Err(ConfigError::invalid(
                        f("resource"),
                        format!("pci names resource {a:?} but resource is {b:?}"),
                    ))
                }
                (Some(PciSource::Resource(a)), _) => Some(a.clone()),
                (Some(PciSource::Address(_)), _) => None,
                (None, r) => r.clone(),
            };
            if let Some(r) = &resource {
                if !valid_resource_name(r) {
                    return Err(ConfigError::invalid(
                        f("resource"),
                        format!("{r:?} is not a resource name (e.g. intel.com/sriov_n3)"),
                    ));
                }
            }
            let has_pci = port.pci.is_some() || resource.is_some();
            if port.vdev.is_some() {
                if has_pci {
                    return Err(ConfigError::invalid(
                        f("device"),
                        "vdev and pci (or resource) are exclusive",
                    ));
                }
                continue;
            }
            let from_status = entry
                .and_then(|e| e.pci_address())
                .transpose()
                .map_err(|e| ConfigError::invalid(f("network"), format!("device-info: {e}")))?;
            if let Some(r) = resource {
                let var = k8s::pcidevice_var(&r);
                let list = k8s::pcidevices(env, &r)
                    .map_err(|e| ConfigError::invalid(f("resource"), e))?
                    .ok_or_else(|| {
                        ConfigError::invalid(
                            f("resource"),
                            format!(
                                "{var} is not set (does the pod request {r} from the SR-IOV device plugin?)"
                            ),
                        )
                    })?;
                // Several VFs of one resource: the network-status says which
                // one is attached to this port's network.
                let chosen = match from_status {
                    Some(a) if list.contains(&a) => a,
                    Some(a) => {
                        return Err(ConfigError::invalid(
                            f("network"),
                            format!(
                                "Multus reports VF {a}, which is not among {var}={}",
                                env[&var]
                            ),
                        ))
                    }
                    None => *list.iter().find(|a| !taken.contains(a)).ok_or_else(|| {
                        ConfigError::invalid(
                            f("resource"),
                            format!("every address in {var} is already used by another port"),
                        )
                    })?,
                };
                taken.insert(chosen);
                port.pci = Some(PciSource::Address(chosen));
                port.resource = Some(r);
            } else if port.pci.is_none() {
                match from_status {
                    Some(a) => port.pci = Some(PciSource::Address(a)),
                    None => {
                        return Err(ConfigError::invalid(
                            f("device"),
                            "neither pci nor vdev given",
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    fn resolve_addresses(&mut self, status: Option<&[k8s::NetworkStatus]>) -> Result<()> {
        let ports = self.ports.clone();
        for (role, iface) in self.interfaces.iter_mut() {
            if !iface.addresses.is_empty() {
                continue;
            }
            let Some((pname, port)) = ports.iter().find(|(_, p)| p.roles.contains(role)) else {
                continue; // reported by validate()
            };
            let (Some(net), Some(st)) = (&port.network, status) else {
                continue; // reported by validate()
            };
            let field = format!("interfaces.{role}.addresses");
            if port.roles.len() > 1 {
                return Err(ConfigError::invalid(
                    field,
                    format!("port {pname} carries several roles; give each role its addresses"),
                ));
            }
            let entry = st
                .iter()
                .find(|s| s.is_network(net))
                .expect("checked in resolve_ports");
            for (ip, prefix) in entry
                .addresses()
                .map_err(|e| ConfigError::invalid(&field, format!("network-status: {e}")))?
            {
                let prefix = prefix.unwrap_or(if ip.is_ipv4() {
                    iface.discovered_prefix_v4
                } else {
                    iface.discovered_prefix_v6
                });
                let cidr: Cidr = format!("{ip}/{prefix}")
                    .parse()
                    .map_err(|e| ConfigError::invalid(&field, e))?;
                iface.addresses.push(cidr);
            }
        }
        Ok(())
    }

    fn resolve_cores(&mut self, sources: &Sources) -> Result<()> {
        let files = match &self.kubernetes.cpuset_file {
            Some(f) => vec![f.clone()],
            None => sources.cpuset_files.clone(),
        };
        let owned = k8s::discover_cpus(&files, &sources.proc_status)
            .map_err(|e| ConfigError::invalid("kubernetes.cpuset_file", e))?;
        let Some((owned, from)) = owned else {
            if self.cores.control.is_none() || self.cores.workers.is_none() {
                return Err(ConfigError::invalid(
                    "cores",
                    "not configured and the container's CPUs cannot be read",
                ));
            }
            return Ok(());
        };
        for (field, list) in [
            ("cores.control", &self.cores.control),
            ("cores.workers", &self.cores.workers),
        ] {
            if let Some(l) = list {
                let outside = l.difference(&owned);
                if !outside.is_empty() {
                    return Err(ConfigError::invalid(
                        field,
                        format!(
                            "CPUs {outside} are not in this container's CPU set {owned} ({})",
                            from.display()
                        ),
                    ));
                }
            }
        }
        match (&self.cores.control, &self.cores.workers) {
            (Some(_), Some(_)) => {}
            (None, None) => {
                let (c, w) = k8s::split_cores(&owned);
                self.cores.control = Some(c);
                self.cores.workers = Some(w);
            }
            (Some(c), None) => self.cores.workers = Some(owned.difference(c)),
            (None, Some(w)) => {
                let free = owned.difference(w);
                let first = free.cpus().first().copied().ok_or_else(|| {
                    ConfigError::invalid(
                        "cores.control",
                        format!("every CPU of {owned} is a worker; none left for control"),
                    )
                })?;
                self.cores.control = Some(CpuList::new(vec![first]));
            }
        }
        Ok(())
    }

    fn resolve_node_id(&mut self, env: &BTreeMap<String, String>) -> Result<()> {
        if self.pfcp.node_id.is_some() {
            return Ok(());
        }
        if let Some(ip) = env.get("POD_IP").filter(|v| !v.is_empty()) {
            self.pfcp.node_id = Some(parse_env("POD_IP", "pfcp.node_id", ip)?);
            return Ok(());
        }
        if let Some(sa) = self.pfcp.listen.iter().find(|a| !a.ip().is_unspecified()) {
            self.pfcp.node_id = Some(match sa.ip() {
                IpAddr::V4(a) => NodeId::Ipv4(a),
                IpAddr::V6(a) => NodeId::Ipv6(a),
            });
            return Ok(());
        }
        Err(ConfigError::invalid(
            "pfcp.node_id",
            "not set; set it (or UPF_NODE_ID, or POD_IP), or listen on a specific address",
        ))
    }

    /// Checks everything that must hold after resolution.
    pub fn validate(&self) -> Result<()> {
        self.validate_log()?;
        self.validate_eal()?;
        self.validate_ports()?;
        self.validate_interfaces()?;
        self.validate_cores()?;
        self.validate_pfcp()?;
        self.validate_limits()?;
        self.validate_qos()?;
        self.validate_management()?;
        Ok(())
    }

    fn validate_log(&self) -> Result<()> {
        tracing_subscriber::EnvFilter::try_new(&self.log.filter)
            .map(drop)
            .map_err(|e| ConfigError::invalid("log.filter", e))
    }

    fn validate_eal(&self) -> Result<()> {
        if !(1023..=16_777_215).contains(&self.dataplane.mbufs) {
            return Err(ConfigError::invalid(
                "dataplane.mbufs",
                format!("{} is outside 1023..=16777215", self.dataplane.mbufs),
            ));
        }
        let e = &self.eal;
        if !(64..=1_048_576).contains(&e.memory_mb) {
            return Err(ConfigError::invalid(
                "eal.memory_mb",
                format!("{} is outside 64..=1048576", e.memory_mb),
            ));
        }
        if e.file_prefix.is_empty()
            || !e
                .file_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ConfigError::invalid(
                "eal.file_prefix",
                format!("{:?}: use letters, digits, '_' and '-'", e.file_prefix),
            ));
        }
        for (i, a) in e.extra_args.iter().enumerate() {
            let opt = a.split('=').next().unwrap_or(a);
            if RESERVED_EAL_ARGS.contains(&opt) {
                return Err(ConfigError::invalid(
                    format!("eal.extra_args[{i}]"),
                    format!("{opt} is set by the UPF from cores/ports/eal fields"),
                ));
            }
        }
        Ok(())
    }

    fn validate_ports(&self) -> Result<()> {
        let mut owner: BTreeMap<Role, &str> = BTreeMap::new();
        for (name, p) in &self.ports {
            let f = |leaf: &str| format!("ports.{name}.{leaf}");
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(ConfigError::invalid(
                    format!("ports.{name}"),
                    "port names use letters, digits, '_' and '-'",
                ));
            }
            if p.roles.is_empty() {
                return Err(ConfigError::invalid(
                    f("roles"),
                    "no role (name the port n3, n6 or n9, or set roles)",
                ));
            }
            for r in &p.roles {
                if let Some(other) = owner.insert(*r, name) {
                    return Err(ConfigError::invalid(
                        f("roles"),
                        format!("role {r} is already carried by port {other}"),
                    ));
                }
            }
            match p.device() {
                None => {
                    return Err(ConfigError::invalid(
                        f("device"),
                        "neither pci nor vdev given",
                    ))
                }
                Some(PortDevice::Vdev(v)) => validate_vdev(&f("vdev"), &v)?,
                Some(PortDevice::Pci(_)) => {}
            }
            if let Some(m) = p.mac {
                if !m.is_unicast() {
                    return Err(ConfigError::invalid(
                        f("mac"),
                        format!("{m} is not unicast"),
                    ));
                }
            }
            let mut seen = BTreeSet::new();
            for (r, vid) in &p.vlans {
                if !p.roles.contains(r) {
                    return Err(ConfigError::invalid(
                        format!("ports.{name}.vlans.{r}"),
                        format!("the port does not carry role {r}"),
                    ));
                }
                if !(1..=4094).contains(vid) {
                    return Err(ConfigError::invalid(
                        format!("ports.{name}.vlans.{r}"),
                        format!("VLAN id {vid} is outside 1..=4094"),
                    ));
                }
                if !seen.insert(*vid) {
                    return Err(ConfigError::invalid(
                        format!("ports.{name}.vlans.{r}"),
                        format!("VLAN id {vid} is used by another role of this port"),
                    ));
                }
            }
            if p.roles.len() > 1 {
                if let Some(r) = p.roles.iter().find(|r| !p.vlans.contains_key(r)) {
                    return Err(ConfigError::invalid(
                        f("vlans"),
                        format!("the port carries several roles; role {r} needs a VLAN id"),
                    ));
                }
            }
            if !(1280..=9600).contains(&p.mtu) {
                return Err(ConfigError::invalid(
                    f("mtu"),
                    format!("{} is outside 1280..=9600", p.mtu),
                ));
            }
            for (leaf, d) in [("rx_desc", p.rx_desc), ("tx_desc", p.tx_desc)] {
                if !(64..=16384).contains(&d) || !d.is_power_of_two() {
                    return Err(ConfigError::invalid(
                        f(leaf),
                        format!("{d} is not a power of two in 64..=16384"),
                    ));
                }
            }
        }
        for r in [Role::N3, Role::N6] {
            if !owner.contains_key(&r) {
                return Err(ConfigError::invalid(
                    "ports",
                    format!(
                        "no port carries role {r} (N3 and N6 are required; one port may carry both on VLANs)"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn validate_interfaces(&self) -> Result<()> {
        for role in self.ports.values().flat_map(|p| p.roles.iter()) {
            let field = format!("interfaces.{role}.addresses");
            let iface = self.interfaces.get(role).ok_or_else(|| {
                ConfigError::invalid(
                    format!("interfaces.{role}"),
                    "missing: the role needs an address",
                )
            })?;
            if iface.addresses.is_empty() {
                return Err(ConfigError::invalid(
                    field,
                    "no address (configure one, or attach the port's network through Multus)",
                ));
            }
        }
        let mut all = BTreeSet::new();
        for (role, iface) in &self.interfaces {
            let f = |leaf: &str| format!("interfaces.{role}.{leaf}");
            if !self.ports.values().any(|p| p.roles.contains(role)) {
                return Err(ConfigError::invalid(
                    format!("interfaces.{role}"),
                    format!("no port carries role {role}"),
                ));
            }
            if iface.discovered_prefix_v4 > 32 {
                return Err(ConfigError::invalid(f("discovered_prefix_v4"), "above 32"));
            }
            if iface.discovered_prefix_v6 > 128 {
                return Err(ConfigError::invalid(f("discovered_prefix_v6"), "above 128"));
            }
            for a in &iface.addresses {
                if a.addr.is_unspecified() || a.addr.is_multicast() || a.addr.is_loopback() {
                    return Err(ConfigError::invalid(
                        f("addresses"),
                        format!("{a} is not a unicast host address"),
                    ));
                }
                if !all.insert(a.addr) {
                    return Err(ConfigError::invalid(
                        f("addresses"),
                        format!("{} is configured twice", a.addr),
                    ));
                }
            }
            let on_link = |ip: IpAddr| iface.addresses.iter().any(|a| a.contains(ip));
            if let Some(g) = iface.gateway_v4 {
                if !on_link(g.into()) {
                    return Err(ConfigError::invalid(
                        f("gateway_v4"),
                        format!("{g} is not in any subnet of interfaces.{role}.addresses"),
                    ));
                }
            }
            if let Some(g) = iface.gateway_v6 {
                if !on_link(g.into()) && !g.is_unicast_link_local() {
                    return Err(ConfigError::invalid(
                        f("gateway_v6"),
                        format!("{g} is neither link-local nor in a subnet of interfaces.{role}.addresses"),
                    ));
                }
            }
            for (i, r) in iface.routes.iter().enumerate() {
                if r.destination.is_ipv4() != r.via.is_ipv4() || !on_link(r.via) {
                    return Err(ConfigError::invalid(
                        format!("interfaces.{role}.routes[{i}].via"),
                        format!("{} is not an on-link next hop for {}", r.via, r.destination),
                    ));
                }
            }
            for (ip, mac) in &iface.neighbors {
                if !mac.is_unicast() {
                    return Err(ConfigError::invalid(
                        format!("interfaces.{role}.neighbors.{ip}"),
                        format!("{mac} is not a unicast MAC"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate_cores(&self) -> Result<()> {
        let control = self.cores.control.clone().unwrap_or_default();
        let workers = self.cores.workers.clone().unwrap_or_default();
        if control.is_empty() {
            return Err(ConfigError::invalid(
                "cores.control",
                "no CPU for the control thread",
            ));
        }
        if self.dataplane.enabled && workers.is_empty() {
            return Err(ConfigError::invalid(
                "cores.workers",
                format!(
                    "no worker CPU (the container owns only {control}; request at least 2 whole CPUs)"
                ),
            ));
        }
        let both = control.intersection(&workers);
        if !both.is_empty() {
            return Err(ConfigError::invalid(
                "cores.workers",
                format!("CPUs {both} are also control cores; the lists must be disjoint"),
            ));
        }
        Ok(())
    }

    fn validate_pfcp(&self) -> Result<()> {
        let p = &self.pfcp;
        if p.listen.is_empty() {
            return Err(ConfigError::invalid("pfcp.listen", "no listen address"));
        }
        if p.node_id.is_none() {
            return Err(ConfigError::invalid("pfcp.node_id", "not set"));
        }
        if !(1_000..=3_600_000).contains(&p.heartbeat_interval_ms) {
            return Err(ConfigError::invalid(
                "pfcp.heartbeat_interval_ms",
                format!("{} is outside 1000..=3600000", p.heartbeat_interval_ms),
            ));
        }
        if !(100..=60_000).contains(&p.t1_ms) {
            return Err(ConfigError::invalid(
                "pfcp.t1_ms",
                format!("{} is outside 100..=60000", p.t1_ms),
            ));
        }
        if !(1..=10).contains(&p.n1) {
            return Err(ConfigError::invalid(
                "pfcp.n1",
                format!("{} is outside 1..=10", p.n1),
            ));
        }
        if p.ue_ip_allocation && self.ue_pools.is_empty() {
            return Err(ConfigError::invalid(
                "ue_pools",
                "pfcp.ue_ip_allocation is on but no pool is configured",
            ));
        }
        let mut names = BTreeSet::new();
        for (i, pool) in self.ue_pools.iter().enumerate() {
            let f = |leaf: &str| format!("ue_pools[{i}].{leaf}");
            if pool.name.is_empty() || !names.insert(pool.name.as_str()) {
                return Err(ConfigError::invalid(
                    f("name"),
                    "empty or duplicate pool name",
                ));
            }
            for (j, other) in self.ue_pools.iter().enumerate().take(i) {
                if pool.cidr.overlaps(&other.cidr) {
                    return Err(ConfigError::invalid(
                        f("cidr"),
                        format!("{} overlaps ue_pools[{j}] ({})", pool.cidr, other.cidr),
                    ));
                }
            }
            for (role, iface) in &self.interfaces {
                if let Some(a) = iface.addresses.iter().find(|a| pool.cidr.contains(a.addr)) {
                    return Err(ConfigError::invalid(
                        f("cidr"),
                        format!("{} contains the UPF's {role} address {}", pool.cidr, a.addr),
                    ));
                }
            }
        }
        Ok(())
    }

    fn validate_limits(&self) -> Result<()> {
        let l = &self.limits;
        if !(1..=10_000_000).contains(&l.max_sessions) {
            return Err(ConfigError::invalid(
                "limits.max_sessions",
                format!("{} is outside 1..=10000000", l.max_sessions),
            ));
        }
        if l.buffer_packets_per_session > l.buffer_packets_total {
            return Err(ConfigError::invalid(
                "limits.buffer_packets_per_session",
                format!(
                    "{} is above limits.buffer_packets_total ({})",
                    l.buffer_packets_per_session, l.buffer_packets_total
                ),
            ));
        }
        Ok(())
    }

    fn validate_qos(&self) -> Result<()> {
        for (k, v) in &self.qos.priority {
            let field = format!("qos.priority.{k}");
            match k.parse::<u16>() {
                Ok(q) if (1..=255).contains(&q) => {}
                _ => {
                    return Err(ConfigError::invalid(
                        field,
                        "the key must be a 5QI in 1..=255",
                    ))
                }
            }
            if !(1..=127).contains(v) {
                return Err(ConfigError::invalid(
                    field,
                    format!("priority level {v} is outside 1..=127"),
                ));
            }
        }
        if self.qos.egress_min_share_permille > 125 {
            return Err(ConfigError::invalid(
                "qos.egress_min_share_permille",
                "above 125 (eight classes cannot each be owed more)",
            ));
        }
        if !(1..=1 << 20).contains(&self.qos.egress_queue_limit) {
            return Err(ConfigError::invalid(
                "qos.egress_queue_limit",
                "outside 1..=1048576",
            ));
        }
        for (role, i) in &self.interfaces {
            if i.egress_rate_bps == Some(0) {
                return Err(ConfigError::invalid(
                    format!("interfaces.{role}.egress_rate_bps"),
                    "must be above 0 (leave it out for no shaping)",
                ));
            }
            if i.egress_burst_bytes.is_some() && i.egress_rate_bps.is_none() {
                return Err(ConfigError::invalid(
                    format!("interfaces.{role}.egress_burst_bytes"),
                    "needs egress_rate_bps",
                ));
            }
        }
        Ok(())
    }

    fn validate_management(&self) -> Result<()> {
        let m = &self.management;
        if m.grpc_listen == m.http_listen && m.grpc_listen.port() != 0 {
            return Err(ConfigError::invalid(
                "management.http_listen",
                "same address as management.grpc_listen",
            ));
        }
        Ok(())
    }

    /// The 5QI priority overrides, parsed (valid after [`Config::validate`]).
    pub fn qos_priorities(&self) -> BTreeMap<u8, u8> {
        self.qos
            .priority
            .iter()
            .filter_map(|(k, v)| Some((k.parse().ok()?, *v)))
            .collect()
    }
}

/// PMDs a vdev may name (the DPDK drivers the UPF is built and tested with).
pub const VDEV_DRIVERS: &[&str] = &[
    "net_pcap",
    "net_af_packet",
    "net_af_xdp",
    "net_memif",
    "net_null",
    "net_ring",
    "net_tap",
];

fn validate_vdev(field: &str, v: &str) -> Result<()> {
    let name = v.split(',').next().unwrap_or_default();
    let driver = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if !VDEV_DRIVERS.contains(&driver) || driver == name {
        return Err(ConfigError::invalid(
            field,
            format!(
                "{v:?}: the vdev must start with a driver and an index, one of {}",
                VDEV_DRIVERS
                    .iter()
                    .map(|d| format!("{d}N"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if v.split(',').skip(1).any(|kv| !kv.contains('=')) {
        return Err(ConfigError::invalid(
            field,
            format!("{v:?}: arguments after the device name are key=value"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    const LAB: &str = include_str!("../examples/upf.toml");
    const SRIOV: &str = include_str!("../examples/upf-sriov.toml");

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    /// Sources with no Kubernetes: 4 CPUs from a fixture status file.
    fn bare(env: &[(&str, &str)]) -> Sources {
        Sources {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cpuset_files: vec![fixture("no-such-cpuset")],
            proc_status: fixture("proc-status"),
        }
    }

    fn load_str(text: &str, sources: &Sources) -> Result<Config> {
        let mut c = parse(text)?;
        c.apply_env(&sources.env)?;
        c.resolve(sources)?;
        c.validate()?;
        Ok(c)
    }

    fn err(text: &str, sources: &Sources) -> String {
        load_str(text, sources).unwrap_err().to_string()
    }

    /// The lab example with one edit: `(old, new)` replaced in its text.
    fn lab_with(old: &str, new: &str) -> String {
        assert!(LAB.contains(old), "example lacks {old:?}");
        LAB.replacen(old, new, 1)
    }

    #[test]
    fn lab_example_loads() {
        let c = load_str(LAB, &bare(&[])).unwrap();
        assert_eq!(c.ports.len(), 2);
        assert_eq!(c.ports["n3"].roles, vec![Role::N3]);
        assert!(
            matches!(c.ports["n3"].device(), Some(PortDevice::Vdev(v)) if v.starts_with("net_pcap0"))
        );
        assert_eq!(c.pfcp.node_id, Some(NodeId::Ipv4([127, 0, 0, 1].into())));
        // Cores from the fixture's affinity 2-3,10.
        assert_eq!(c.cores.control.as_ref().unwrap().to_string(), "2");
        assert_eq!(c.cores.workers.as_ref().unwrap().to_string(), "3,10");
        assert_eq!(c.qos_priorities().get(&9), Some(&90));
        // What check-config prints parses back to the same thing.
        let again = parse(&toml::to_string_pretty(&c).unwrap()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn sriov_example_with_kubernetes() {
        let s = Sources {
            env: [
                ("PCIDEVICE_INTEL_COM_SRIOV_N3", "0000:3b:02.1"),
                ("PCIDEVICE_INTEL_COM_SRIOV_N6", "0000:5e:02.2,0000:5e:02.4"),
                ("POD_IP", "10.244.1.17"),
                (
                    "UPF_ANNOTATIONS_FILE",
                    fixture("annotations-sriov").to_str().unwrap(),
                ),
                (
                    "UPF_CPUSET_FILE",
                    fixture("cpuset.cpus.effective").to_str().unwrap(),
                ),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            cpuset_files: vec![],
            proc_status: fixture("nothing"),
        };
        let c = load_str(SRIOV, &s).unwrap();
        let pci = |p: &str| match c.ports[p].device() {
            Some(PortDevice::Pci(a)) => a.to_string(),
            d => panic!("{d:?}"),
        };
        assert_eq!(pci("n3"), "0000:3b:02.1");
        // Two VFs of the N6 resource: the one Multus attached to upf-n6.
        assert_eq!(pci("n6"), "0000:5e:02.4");
        assert_eq!(c.ports["n6"].mac.unwrap().to_string(), "02:00:00:00:06:02");
        let addrs = |r: Role| {
            c.interfaces[&r]
                .addresses
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(addrs(Role::N3), ["10.100.3.2/24"]);
        assert_eq!(addrs(Role::N6), ["10.100.6.2/24", "2001:db8:6::2/64"]);
        assert_eq!(c.cores.control.as_ref().unwrap().to_string(), "4");
        assert_eq!(c.cores.workers.as_ref().unwrap().to_string(), "5-7");
        assert_eq!(c.pfcp.node_id, Some(NodeId::Ipv4([10, 244, 1, 17].into())));
    }

    #[test]
    fn env_overrides() {
        let s = bare(&[
            ("UPF_NODE_ID", "upf1.example.net"),
            ("UPF_PFCP_LISTEN", "10.0.0.1:8805, 10.0.0.2:8805"),
            ("UPF_WORKER_CORES", "3,10"),
            ("UPF_N3_PCI", "0000:af:00.1"),
            ("UPF_N6_ADDRESSES", "192.0.2.10/24"),
            ("UPF_OFFLOAD", "required"),
            ("UPF_LOG", "debug"),
            ("UPF_LOG_FORMAT", "json"),
            ("UPF_SMF_PEERS", "smf.core:8805"),
        ]);
        let text = lab_with("gateway_v4 = \"10.0.6.1\"", "gateway_v4 = \"192.0.2.1\"");
        let c = load_str(&text, &s).unwrap();
        assert_eq!(
            c.pfcp.node_id,
            Some(NodeId::Fqdn("upf1.example.net".into()))
        );
        assert_eq!(c.pfcp.listen.len(), 2);
        assert_eq!(c.cores.workers.as_ref().unwrap().to_string(), "3,10");
        assert_eq!(
            c.ports["n3"].device(),
            Some(PortDevice::Pci("0000:af:00.1".parse().unwrap()))
        );
        assert_eq!(
            c.interfaces[&Role::N6].addresses[0].to_string(),
            "192.0.2.10/24"
        );
        assert_eq!(c.offload.mode, OffloadMode::Required);
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(c.pfcp.smf_peers[0].to_string(), "smf.core:8805");

        let e = err(LAB, &bare(&[("UPF_WORKER_CORES", "x")]));
        assert_eq!(
            e,
            "config: cores.workers (from UPF_WORKER_CORES): invalid CPU id \"x\" in \"x\""
        );
        let e = err(LAB, &bare(&[("UPF_N9_PCI", "0000:af:00.1")]));
        assert_eq!(e, "config: UPF_N9_PCI: no port carries role n9");
        let e = err(LAB, &bare(&[("UPF_OFFLOAD", "maybe")]));
        assert!(
            e.starts_with("config: offload.mode (from UPF_OFFLOAD): "),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_field() {
        let s = bare(&[]);
        let cases: &[(&str, &str, &str)] = &[
            (
                "vdev = \"net_pcap0,rx_pcap=/tmp/upf-n3-in.pcap,tx_pcap=/tmp/upf-n3-out.pcap\"",
                "",
                "config: ports.n3.device: neither pci nor vdev given",
            ),
            (
                "[ports.n6]\n",
                "[ports.n6]\npci = \"0000:01:00.0\"\n",
                "config: ports.n6.device: vdev and pci (or resource) are exclusive",
            ),
            ("mtu = 1500", "mtu = 70000", "config: ports.n3.mtu: invalid value: integer `70000`, expected u16"),
            ("mtu = 1500", "mtu = 1000", "config: ports.n3.mtu: 1000 is outside 1280..=9600"),
            ("rx_desc = 1024", "rx_desc = 1000", "config: ports.n3.rx_desc: 1000 is not a power of two in 64..=16384"),
            ("addresses = [\"10.0.3.2/24\"", "addresses = [\"10.0.3.2\"", "config: interfaces.n3.addresses[0]: \"10.0.3.2\" has no prefix length"),
            ("gateway_v4 = \"10.0.6.1\"", "gateway_v4 = \"10.9.9.1\"", "config: interfaces.n6.gateway_v4: 10.9.9.1 is not in any subnet of interfaces.n6.addresses"),
            ("node_id = \"127.0.0.1\"", "node_id = \"not an id\"", "config: pfcp.node_id: \"not an id\" is neither an IP address nor a valid FQDN"),
            ("t1_ms = 3000", "t1_ms = 5", "config: pfcp.t1_ms: 5 is outside 100..=60000"),
            ("mode = \"auto\"", "mode = \"sometimes\"", "config: offload.mode: unknown variant `sometimes`"),
            ("\"9\" = 90", "\"9\" = 200", "config: qos.priority.9: priority level 200 is outside 1..=127"),
            ("\"9\" = 90", "\"0\" = 90", "config: qos.priority.0: the key must be a 5QI in 1..=255"),
            ("max_sessions = 10000", "max_sessions = 0", "config: limits.max_sessions: 0 is outside 1..=10000000"),
            ("memory_mb = 256", "memory_mb = 8", "config: eal.memory_mb: 8 is outside 64..=1048576"),
            ("mbufs = 8191", "mbufs = 100", "config: dataplane.mbufs: 100 is outside 1023..=16777215"),
            ("extra_args = []", "extra_args = [\"--vdev=net_null0\"]", "config: eal.extra_args[0]: --vdev is set by the UPF"),
            ("[ports.n6]\n", "[ports.n6]\nmtuu = 1\n", "config: ports.n6.mtuu: unknown field `mtuu`"),
            ("vdev = \"net_pcap1", "vdev = \"net_bogus1", "config: ports.n6.vdev: \"net_bogus1"),
            ("cidr = \"10.45.0.0/16\"", "cidr = \"10.0.6.0/23\"", "config: ue_pools[0].cidr: 10.0.6.0/23 contains the UPF's n6 address 10.0.6.2"),
        ];
        for (old, new, want) in cases {
            let e = err(&lab_with(old, new), &s);
            assert!(
                e.starts_with(want),
                "edit {old:?} -> {new:?}\n got: {e}\nwant: {want}"
            );
        }
    }

    #[test]
    fn cores() {
        let with = |c: &str, w: &str| {
            let mut env = vec![];
            if !c.is_empty() {
                env.push(("UPF_CONTROL_CORES", c));
            }
            if !w.is_empty() {
                env.push(("UPF_WORKER_CORES", w));
            }
            load_str(LAB, &bare(&env))
        };
        let c = with("10", "").unwrap();
        assert_eq!(c.cores.workers.unwrap().to_string(), "2-3");
        let c = with("", "2,10").unwrap();
        assert_eq!(c.cores.control.unwrap().to_string(), "3");
        assert_eq!(
            with("2", "2-3").unwrap_err().to_string(),
            "config: cores.workers: CPUs 2 are also control cores; the lists must be disjoint"
        );
        assert_eq!(
            with("", "3-4").unwrap_err().to_string(),
            "config: cores.workers: CPUs 4 are not in this container's CPU set 2-3,10 (PROC)"
                .replace("PROC", fixture("proc-status").to_str().unwrap())
        );
        assert_eq!(
            with("", "2-3,10").unwrap_err().to_string(),
            "config: cores.control: every CPU of 2-3,10 is a worker; none left for control"
        );
    }

    #[test]
    fn roles_and_vlans() {
        let s = bare(&[]);
        let trunk = r#"
            [cores]
            control = [2]
            workers = [3]
            [pfcp]
            node_id = "10.0.0.1"
            [ports.trunk]
            roles = ["n3", "n6"]
            pci = "0000:3b:00.0"
            vlans = { n3 = 100, n6 = 200 }
            [interfaces.n3]
            addresses = ["10.0.3.2/24"]
            [interfaces.n6]
            addresses = ["10.0.6.2/24"]
        "#;
        let c = load_str(trunk, &s).unwrap();
        assert_eq!(c.port_for_role(Role::N6).as_deref(), Some("trunk"));

        let e = err(
            &trunk.replace("vlans = { n3 = 100, n6 = 200 }", "vlans = { n3 = 100 }"),
            &s,
        );
        assert_eq!(
            e,
            "config: ports.trunk.vlans: the port carries several roles; role n6 needs a VLAN id"
        );
        let e = err(&trunk.replace("n6 = 200", "n6 = 100"), &s);
        assert_eq!(
            e,
            "config: ports.trunk.vlans.n6: VLAN id 100 is used by another role of this port"
        );
        let e = err(&trunk.replace("n6 = 200", "n6 = 5000"), &s);
        assert_eq!(
            e,
            "config: ports.trunk.vlans.n6: VLAN id 5000 is outside 1..=4094"
        );
        let e = err(
            &trunk.replace("roles = [\"n3\", \"n6\"]", "roles = [\"n3\"]"),
            &s,
        );
        assert_eq!(
            e,
            "config: ports.trunk.vlans.n6: the port does not carry role n6"
        );
        let e = err(
            &trunk.replace("roles = [\"n3\", \"n6\"]", "roles = [\"n4\"]"),
            &s,
        );
        assert!(
            e.starts_with("config: ports.trunk.roles[0]: unknown variant `n4`"),
            "{e}"
        );
        let only_n3 = trunk
            .replace("roles = [\"n3\", \"n6\"]", "roles = [\"n3\"]")
            .replace(", n6 = 200", "")
            .replace(
                "[interfaces.n6]\n            addresses = [\"10.0.6.2/24\"]",
                "",
            );
        let e = err(&only_n3, &s);
        assert!(
            e.starts_with("config: ports: no port carries role n6"),
            "{e}"
        );
        let e = err(
            &trunk.replace(
                "[interfaces.n6]\n            addresses = [\"10.0.6.2/24\"]",
                "",
            ),
            &s,
        );
        assert_eq!(
            e,
            "config: interfaces.n6: missing: the role needs an address"
        );
    }

    #[test]
    fn kubernetes_resolution_errors() {
        let base = r#"
            [pfcp]
            node_id = "10.0.0.1"
            [ports.n3]
            resource = "intel.com/sriov_n3"
            network = "upf-n3"
            [ports.n6]
            pci = "env:intel.com/sriov_n6"
            [interfaces.n3]
            [interfaces.n6]
            addresses = ["10.100.6.2/24"]
        "#;
        let mk = |env: &[(&str, &str)]| {
            let mut s = bare(env);
            s.env.insert(
                "UPF_ANNOTATIONS_FILE".into(),
                fixture("annotations-sriov").to_str().unwrap().into(),
            );
            s
        };
        let ok = mk(&[
            ("PCIDEVICE_INTEL_COM_SRIOV_N3", "0000:3b:02.1"),
            ("PCIDEVICE_INTEL_COM_SRIOV_N6", "0000:5e:02.2"),
        ]);
        let c = load_str(base, &ok).unwrap();
        assert_eq!(
            c.ports["n6"].resource.as_deref(),
            Some("intel.com/sriov_n6")
        );
        assert_eq!(
            c.interfaces[&Role::N3].addresses[0].to_string(),
            "10.100.3.2/24"
        );
        // Cores from the affinity fixture (2-3,10): control 2, workers 3,10.
        assert_eq!(c.cores.workers.as_ref().unwrap().to_string(), "3,10");

        let e = err(
            base,
            &mk(&[("PCIDEVICE_INTEL_COM_SRIOV_N6", "0000:5e:02.2")]),
        );
        assert!(
            e.starts_with("config: ports.n3.resource: PCIDEVICE_INTEL_COM_SRIOV_N3 is not set"),
            "{e}"
        );
        let e = err(
            base,
            &mk(&[
                ("PCIDEVICE_INTEL_COM_SRIOV_N3", "0000:3b:02.7"),
                ("PCIDEVICE_INTEL_COM_SRIOV_N6", "0000:5e:02.2"),
            ]),
        );
        assert!(e.starts_with("config: ports.n3.network: Multus reports VF 0000:3b:02.1, which is not among PCIDEVICE_INTEL_COM_SRIOV_N3"), "{e}");
        let e = err(
            &base.replace("network = \"upf-n3\"", "network = \"upf-n4\""),
            &ok,
        );
        assert!(
            e.starts_with("config: ports.n3.network: no attachment named \"upf-n4\""),
            "{e}"
        );
        let e = err(
            base,
            &mk(&[
                ("PCIDEVICE_INTEL_COM_SRIOV_N3", "0000:3b:02.1"),
                ("PCIDEVICE_INTEL_COM_SRIOV_N6", "eth0"),
            ]),
        );
        assert!(
            e.starts_with("config: ports.n6.resource: PCIDEVICE_INTEL_COM_SRIOV_N6: "),
            "{e}"
        );
        // Without the annotations file the N3 address cannot be found.
        let mut no_ann = ok.clone();
        no_ann
            .env
            .insert("UPF_ANNOTATIONS_FILE".into(), "/nonexistent".into());
        let e = err(base, &no_ann);
        assert!(
            e.starts_with("config: interfaces.n3.addresses: no address"),
            "{e}"
        );
        // One CPU only: no worker.
        let one = r#"0"#;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("cpuset");
        std::fs::write(&f, one).unwrap();
        let mut s = ok.clone();
        s.env
            .insert("UPF_CPUSET_FILE".into(), f.to_str().unwrap().into());
        let e = err(base, &s);
        assert!(e.starts_with("config: cores.workers: no worker CPU"), "{e}");
    }

    #[test]
    fn node_id_defaults() {
        let text = lab_with("node_id = \"127.0.0.1\"\n", "");
        let c = load_str(&text, &bare(&[("POD_IP", "10.1.2.3")])).unwrap();
        assert_eq!(c.pfcp.node_id, Some(NodeId::Ipv4([10, 1, 2, 3].into())));
        let c = load_str(&text, &bare(&[])).unwrap();
        // The example listens on 127.0.0.1:8805.
        assert_eq!(c.pfcp.node_id, Some(NodeId::Ipv4([127, 0, 0, 1].into())));
        let text = text.replace(
            "listen = [\"127.0.0.1:8805\"]",
            "listen = [\"0.0.0.0:8805\"]",
        );
        let e = err(&text, &bare(&[]));
        assert!(e.starts_with("config: pfcp.node_id: not set"), "{e}");
    }
}
