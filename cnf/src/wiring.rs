//! From the resolved [`Config`] to what the parts take: the EAL command
//! line, the dataplane's [`dataplane::DataplaneConfig`] and the N4 node's
//! [`pfcp::node::NodeConfig`]. Pure functions, tested without DPDK.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use dataplane::port::PortDevice as DpDevice;
use dataplane::{
    Attachment, DataplaneConfig as DpConfig, EalConfig as DpEal, EgressSchedule, PortSpec,
    Role as DpRole, StaticNeighbor, WorkerCore,
};
use pfcp::ie::{NodeId as PfcpNodeId, RecoveryTimeStamp};
use pfcp::node::{NodeConfig, UePoolV4};
use upf_core::path::PathConfig;

use crate::config::{Config, InterfaceConfig, PortDevice, Role};
use crate::types::NodeId;

/// Why the configuration cannot be turned into a running UPF (beyond what
/// validation catches: names that do not resolve, missing pieces).
#[derive(Debug, thiserror::Error)]
#[error("{what}: {problem}")]
pub struct WiringError {
    /// The part of the configuration.
    pub what: String,
    /// What is wrong.
    pub problem: String,
}

fn err(what: impl Into<String>, problem: impl Into<String>) -> WiringError {
    WiringError {
        what: what.into(),
        problem: problem.into(),
    }
}

fn dp_role(r: Role) -> DpRole {
    match r {
        Role::N3 => DpRole::N3,
        Role::N6 => DpRole::N6,
        Role::N9 => DpRole::N9,
    }
}

fn first_v4(i: Option<&InterfaceConfig>) -> Option<(Ipv4Addr, u8)> {
    i?.addresses.iter().find_map(|c| match c.addr {
        IpAddr::V4(a) => Some((a, c.prefix)),
        IpAddr::V6(_) => None,
    })
}

fn first_v6(i: Option<&InterfaceConfig>) -> Option<(Ipv6Addr, u8)> {
    i?.addresses.iter().find_map(|c| match c.addr {
        IpAddr::V6(a) => Some((a, c.prefix)),
        IpAddr::V4(_) => None,
    })
}

/// The EAL options: memory from `eal`, devices from the ports (vdevs are
/// created at init, PCI functions allow-listed), the main lcore on the
/// first control CPU. The caller's CPU affinity is restored after init, so
/// threads the control side spawns later are not confined to one CPU.
pub fn eal_config(cfg: &Config) -> DpEal {
    let control = cfg
        .cores
        .control
        .as_ref()
        .and_then(|c| c.cpus().first().copied())
        .unwrap_or(0);
    let mut vdevs = Vec::new();
    let mut pci = Vec::new();
    for p in cfg.ports.values() {
        match p.device() {
            Some(PortDevice::Vdev(v)) => vdevs.push(v),
            Some(PortDevice::Pci(a)) => pci.push(a.to_string()),
            None => {}
        }
    }
    let mut extra = Vec::new();
    if let Some(d) = &cfg.eal.huge_dir {
        extra.push(format!("--huge-dir={}", d.display()));
    }
    extra.extend(cfg.eal.extra_args.iter().cloned());
    DpEal {
        lcores: Some(format!("0@{control}")),
        main_lcore: None,
        no_huge: cfg.eal.no_huge,
        memory_mb: Some(cfg.eal.memory_mb),
        // `--in-memory` needs hugepages; without them there are no files to
        // keep out of the way, and `--no-shconf` keeps the config private.
        in_memory: cfg.eal.in_memory && !cfg.eal.no_huge,
        file_prefix: Some(cfg.eal.file_prefix.clone()),
        no_pci: pci.is_empty(),
        pci_allow: pci,
        vdevs,
        no_shconf: cfg.eal.no_huge,
        no_telemetry: true,
        log_level: None,
        driver_dirs: Vec::new(),
        extra,
        keep_caller_affinity: true,
    }
}

/// The packet path's addresses: access = N3, core = N6 (N9 when there is
/// no N6).
pub fn path_config(cfg: &Config) -> PathConfig {
    let n3 = cfg.interfaces.get(&Role::N3);
    let core = cfg
        .interfaces
        .get(&Role::N6)
        .or_else(|| cfg.interfaces.get(&Role::N9));
    let core_n9 = cfg.interfaces.get(&Role::N9);
    let mtu = cfg.ports.values().map(|p| p.mtu).min().unwrap_or(1500);
    PathConfig {
        access_v4: first_v4(n3).map(|a| a.0),
        access_v6: first_v6(n3).map(|a| a.0),
        core_v4: first_v4(core).or_else(|| first_v4(core_n9)).map(|a| a.0),
        core_v6: first_v6(core).or_else(|| first_v6(core_n9)).map(|a| a.0),
        dl_pdu_session_container: cfg.qos.dl_pdu_session_container,
        mtu,
        ..PathConfig::default()
    }
}

/// The dataplane: one port per `[ports.*]` (in name order), one attachment
/// per role it carries (on its VLAN when it has one), routing per role
/// from `[interfaces.*]`, one worker per `cores.workers` CPU.
pub fn dataplane_config(cfg: &Config) -> Result<DpConfig, WiringError> {
    let mut ports = Vec::new();
    let mut atts = Vec::new();
    for (i, (name, p)) in cfg.ports.iter().enumerate() {
        let device = match p.device() {
            Some(PortDevice::Vdev(v)) => DpDevice::Vdev(v),
            Some(PortDevice::Pci(a)) => DpDevice::Pci(a.to_string()),
            None => return Err(err(format!("ports.{name}"), "no device resolved")),
        };
        ports.push(PortSpec {
            name: name.clone(),
            device,
            rx_desc: p.rx_desc,
            tx_desc: p.tx_desc,
            mtu: Some(p.mtu),
        });
        for role in Config::port_roles(name, p) {
            let iface = cfg.interfaces.get(&role);
            if iface.is_some_and(|i| !i.routes.is_empty()) {
                tracing::warn!(
                    role = %role,
                    "interfaces.{role}.routes are not applied: the dataplane routes by gateway only"
                );
            }
            atts.push(Attachment {
                role: dp_role(role),
                port: i,
                vlan: p.vlans.get(&role).copied(),
                prefix_v4: first_v4(iface).map(|a| a.1),
                prefix_v6: first_v6(iface).map(|a| a.1),
                gateway_v4: iface.and_then(|i| i.gateway_v4),
                gateway_v6: iface.and_then(|i| i.gateway_v6),
                egress: iface.and_then(|i| egress_schedule(cfg, i)),
            });
        }
    }
    let workers: Vec<WorkerCore> = cfg
        .cores
        .workers
        .as_ref()
        .map(|w| {
            w.cpus()
                .iter()
                .map(|&c| WorkerCore::Cpu(c as usize))
                .collect()
        })
        .unwrap_or_default();
    if workers.is_empty() {
        return Err(err("cores.workers", "no worker CPU"));
    }
    let mut dp = DpConfig::new(ports, atts, workers, path_config(cfg));
    dp.control_cpu = cfg
        .cores
        .control
        .as_ref()
        .and_then(|c| c.cpus().first().map(|&c| c as usize));
    dp.max_sessions = cfg.limits.max_sessions as usize;
    // The total is shared out between the workers (a session's packets
    // are buffered by the worker that receives them).
    let per_worker = (cfg.limits.buffer_packets_total as usize).div_ceil(dp.workers.len());
    dp.buffer_packets = per_worker;
    dp.buffer_per_session = cfg.limits.buffer_packets_per_session;
    dp.buffer_sessions = dp.max_sessions.clamp(1, per_worker.max(1024));
    dp.mbufs = cfg.dataplane.mbufs;
    let room = dp.buffer_packets_per_worker();
    if room < per_worker {
        tracing::warn!(
            configured = per_worker,
            usable = room,
            mbufs = dp.mbufs,
            "limits.buffer_packets_total is more than a quarter of dataplane.mbufs: each worker buffers at most {room} packets"
        );
    }
    dp.idle_yield = cfg.dataplane.idle_yield;
    dp.resolve_retry = Duration::from_millis(500);
    for (role, iface) in &cfg.interfaces {
        for (addr, mac) in &iface.neighbors {
            dp.static_neighbors.push(StaticNeighbor {
                role: dp_role(*role),
                addr: *addr,
                mac: mac.0,
            });
        }
    }
    dp.offload.mode = match cfg.offload.mode {
        crate::config::OffloadMode::Off => dataplane::offload::OffloadMode::Off,
        crate::config::OffloadMode::Auto => dataplane::offload::OffloadMode::Auto,
        crate::config::OffloadMode::Required => dataplane::offload::OffloadMode::Required,
    };
    dp.validate().map_err(|e| err("dataplane", e.to_string()))?;
    Ok(dp)
}

/// Seconds since the Unix epoch now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The N4 node: Node ID, the Recovery Time Stamp `started_unix` (fixed for
/// the process), timers, SMF peers (names resolved now), F-TEID addresses
/// from N3/N9, UE pools when the UPF allocates UE addresses, limits.
pub fn node_config(cfg: &Config, started_unix: u64) -> Result<NodeConfig, WiringError> {
    let p = &cfg.pfcp;
    let listen_ip = p.listen.first().map(SocketAddr::ip);
    let node_id = match &p.node_id {
        Some(NodeId::Ipv4(a)) => PfcpNodeId::Ipv4(*a),
        Some(NodeId::Ipv6(a)) => PfcpNodeId::Ipv6(*a),
        Some(NodeId::Fqdn(n)) => PfcpNodeId::Fqdn(n.clone()),
        None => match listen_ip {
            Some(IpAddr::V4(a)) if !a.is_unspecified() => PfcpNodeId::Ipv4(a),
            Some(IpAddr::V6(a)) if !a.is_unspecified() => PfcpNodeId::Ipv6(a),
            _ => return Err(err("pfcp.node_id", "not set and not derivable")),
        },
    };
    let mut n = NodeConfig::new(node_id, RecoveryTimeStamp::from_unix(started_unix));
    // The F-SEID address: the Node ID's, else the specific listen address.
    match listen_ip {
        Some(IpAddr::V4(a)) if n.f_seid_ipv4.is_none() && !a.is_unspecified() => {
            n.f_seid_ipv4 = Some(a);
        }
        Some(IpAddr::V6(a)) if n.f_seid_ipv6.is_none() && !a.is_unspecified() => {
            n.f_seid_ipv6 = Some(a);
        }
        _ => {}
    }
    n.heartbeat_interval = Duration::from_millis(p.heartbeat_interval_ms);
    n.t1 = Duration::from_millis(p.t1_ms);
    n.n1 = u32::from(p.n1);
    for peer in &p.smf_peers {
        let addr = (peer.host.as_str(), peer.port)
            .to_socket_addrs()
            .map_err(|e| err("pfcp.smf_peers", format!("{peer}: {e}")))?
            .next()
            .ok_or_else(|| err("pfcp.smf_peers", format!("{peer}: no address")))?;
        n.smf_peers.push(addr);
    }
    let n3 = cfg.interfaces.get(&Role::N3);
    let n9 = cfg.interfaces.get(&Role::N9);
    n.n3_ipv4 = first_v4(n3).map(|a| a.0);
    n.n3_ipv6 = first_v6(n3).map(|a| a.0);
    n.n9_ipv4 = first_v4(n9).map(|a| a.0);
    n.n9_ipv6 = first_v6(n9).map(|a| a.0);
    if p.ue_ip_allocation {
        for pool in &cfg.ue_pools {
            match pool.cidr.addr {
                IpAddr::V4(a) => n.ue_pools_v4.push(UePoolV4 {
                    network: a,
                    prefix_len: pool.cidr.prefix,
                }),
                IpAddr::V6(_) => tracing::warn!(
                    pool = %pool.name,
                    "IPv6 UE pools are not allocated from by the N4 node; pool ignored"
                ),
            }
        }
    }
    n.max_sessions = cfg.limits.max_sessions as usize;
    n.max_sessions_per_peer = n.max_sessions;
    Ok(n)
}

/// The egress scheduling of an interface with an egress rate.
fn egress_schedule(cfg: &Config, i: &InterfaceConfig) -> Option<EgressSchedule> {
    let rate = i.egress_rate_bps?;
    let d = EgressSchedule::rate(rate);
    Some(EgressSchedule {
        burst_bytes: i.egress_burst_bytes.unwrap_or(d.burst_bytes),
        queue_limit: cfg.qos.egress_queue_limit,
        min_share_permille: cfg.qos.egress_min_share_permille,
        // QFIs are 6 bits: a 5QI above 63 is never a QFI.
        priority_levels: cfg
            .qos_priorities()
            .into_iter()
            .filter(|&(q, _)| q < 64)
            .collect(),
        ..d
    })
}

#[cfg(test)]
mod test {
    use super::*;

    const TRUNK: &str = r#"
[cores]
control = "0"
workers = "1-2"
[eal]
no_huge = true
memory_mb = 256
extra_args = ["--log-level=notice"]
[ports.trunk]
roles = ["n3", "n6"]
vdev = "net_af_packet0,iface=veth0"
vlans = { n3 = 103, n6 = 106 }
[ports.n9]
pci = "0000:3b:02.1"
[interfaces.n3]
addresses = ["10.0.3.2/24", "2001:db8:3::2/64"]
neighbors = { "10.0.3.10" = "02:00:00:00:03:10" }
[interfaces.n6]
addresses = ["10.0.6.2/24"]
gateway_v4 = "10.0.6.1"
[interfaces.n9]
addresses = ["10.0.9.2/24"]
[pfcp]
node_id = "10.0.4.2"
listen = ["10.0.4.2:8805"]
smf_peers = ["10.0.4.10"]
heartbeat_interval_ms = 5000
ue_ip_allocation = true
[[ue_pools]]
name = "internet"
cidr = "10.45.0.0/16"
[limits]
max_sessions = 5000
"#;

    fn cfg() -> Config {
        let mut c = crate::config::parse(TRUNK).unwrap();
        for (name, p) in c.ports.iter_mut() {
            p.roles = Config::port_roles(name, p);
        }
        c
    }

    #[test]
    fn eal_from_config() {
        let e = eal_config(&cfg());
        let a = e.args().unwrap();
        assert!(a.contains(&"--no-huge".to_owned()), "{a:?}");
        assert!(!a.contains(&"--in-memory".to_owned()), "{a:?}");
        assert!(a.contains(&"--lcores=0@0".to_owned()), "{a:?}");
        assert!(a.contains(&"--vdev=net_af_packet0,iface=veth0".to_owned()));
        assert!(a.windows(2).any(|w| w == ["-a", "0000:3b:02.1"]), "{a:?}");
        assert_eq!(a.last().unwrap(), "--log-level=notice");
        assert!(e.keep_caller_affinity);
    }

    #[test]
    fn dataplane_from_config() {
        let d = dataplane_config(&cfg()).unwrap();
        // Ports in name order: n9, trunk.
        assert_eq!(d.ports[0].name, "n9");
        assert_eq!(d.ports[0].device, DpDevice::Pci("0000:3b:02.1".into()));
        assert_eq!(d.ports[1].name, "trunk");
        let roles: Vec<_> = d
            .attachments
            .iter()
            .map(|a| (a.role, a.port, a.vlan))
            .collect();
        assert_eq!(
            roles,
            [
                (DpRole::N9, 0, None),
                (DpRole::N3, 1, Some(103)),
                (DpRole::N6, 1, Some(106)),
            ]
        );
        let n6 = &d.attachments[2];
        assert_eq!(n6.gateway_v4, Some(Ipv4Addr::new(10, 0, 6, 1)));
        assert_eq!(n6.prefix_v4, Some(24));
        assert_eq!(d.path.access_v4, Some(Ipv4Addr::new(10, 0, 3, 2)));
        assert_eq!(d.path.access_v6, Some("2001:db8:3::2".parse().unwrap()));
        assert_eq!(d.path.core_v4, Some(Ipv4Addr::new(10, 0, 6, 2)));
        assert_eq!(d.workers, [WorkerCore::Cpu(1), WorkerCore::Cpu(2)]);
        assert_eq!(d.control_cpu, Some(0));
        assert_eq!(d.max_sessions, 5000);
        // Default limits: 65536 packets over two workers, 64 per session.
        assert_eq!(d.buffer_packets, 32768);
        assert_eq!(d.buffer_per_session, 64);
        assert_eq!(d.buffer_sessions, 5000);
        assert_eq!(d.static_neighbors.len(), 1);
        assert_eq!(d.static_neighbors[0].mac, [2, 0, 0, 0, 3, 0x10]);
        assert!(d.attachments.iter().all(|a| a.egress.is_none()));
    }

    #[test]
    fn egress_scheduling_from_config() {
        let text = TRUNK.replace(
            "neighbors = { \"10.0.3.10\"",
            "egress_rate_bps = 400_000_000\nneighbors = { \"10.0.3.10\"",
        ) + "[qos]\negress_min_share_permille = 100\negress_queue_limit = 256\n[qos.priority]\n\"9\" = 30\n\"80\" = 1\n";
        let mut c = crate::config::parse(&text).unwrap();
        for (name, p) in c.ports.iter_mut() {
            p.roles = Config::port_roles(name, p);
        }
        c.validate().unwrap();
        let d = dataplane_config(&c).unwrap();
        let n3 = d.attachments.iter().find(|a| a.role == DpRole::N3).unwrap();
        let e = n3.egress.as_ref().expect("N3 is scheduled");
        assert_eq!(e.rate_bps, 400_000_000);
        assert_eq!(e.burst_bytes, 50_000, "1 ms of the rate");
        assert_eq!((e.min_share_permille, e.queue_limit), (100, 256));
        assert_eq!(e.priority_levels, [(9, 30)], "5QI 80 is no QFI");
        assert!(d
            .attachments
            .iter()
            .filter(|a| a.role != DpRole::N3)
            .all(|a| a.egress.is_none()));
        // Two workers: each shapes to half the rate.
        assert_eq!(e.per_worker(2).rate_bps, 200_000_000);
    }

    #[test]
    fn packet_pool_and_buffering_from_config() {
        let mut c = cfg();
        c.dataplane.mbufs = 65_535;
        c.limits.buffer_packets_total = 4_096;
        c.validate().unwrap();
        let d = dataplane_config(&c).unwrap();
        assert_eq!(d.mbufs, 65_535);
        // Two workers share the total; a quarter of the pool is room enough.
        assert_eq!(d.buffer_packets, 2_048);
        assert_eq!(d.buffer_packets_per_worker(), 2_048);
        // A small pool caps what each worker buffers.
        c.dataplane.mbufs = 4_095;
        let d = dataplane_config(&c).unwrap();
        assert_eq!(d.buffer_packets_per_worker(), 4_095 / 4 / 2);
    }

    #[test]
    fn node_from_config() {
        let n = node_config(&cfg(), 1_700_000_000).unwrap();
        assert_eq!(n.node_id, PfcpNodeId::Ipv4(Ipv4Addr::new(10, 0, 4, 2)));
        assert_eq!(
            n.recovery_time_stamp,
            RecoveryTimeStamp::from_unix(1_700_000_000)
        );
        assert_eq!(n.heartbeat_interval, Duration::from_secs(5));
        assert_eq!(n.smf_peers, ["10.0.4.10:8805".parse().unwrap()]);
        assert_eq!(n.n3_ipv4, Some(Ipv4Addr::new(10, 0, 3, 2)));
        assert_eq!(n.n9_ipv4, Some(Ipv4Addr::new(10, 0, 9, 2)));
        assert_eq!(n.ue_pools_v4.len(), 1);
        assert_eq!(n.ue_pools_v4[0].prefix_len, 16);
        assert_eq!(n.max_sessions, 5000);
    }
}
