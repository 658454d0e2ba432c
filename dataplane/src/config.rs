//! What the dataplane runs: ports, the roles they carry, workers, the path.
#![forbid(unsafe_code)]

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use upf_core::path::{ControlEvent, PathConfig};
use upf_core::rules::Interface;

use crate::error::{Error, Result};
use crate::mbuf::BURST_SIZE;
use crate::neighbor::Mac;
use crate::offload::OffloadConfig;
use crate::port::PortDevice;

/// The 3GPP reference point a port (or VLAN on it) serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Toward the RAN (GTP-U); the access side.
    N3,
    /// Toward the data network (plain IP); the core side.
    N6,
    /// Toward another UPF (GTP-U); the core side.
    N9,
}

impl Role {
    /// The PFCP interface packets arriving here come from.
    pub fn interface(self) -> Interface {
        match self {
            Role::N3 => Interface::Access,
            Role::N6 | Role::N9 => Interface::Core,
        }
    }

    /// The UPF's IPv4 address on this role.
    pub fn addr_v4(self, path: &PathConfig) -> Option<Ipv4Addr> {
        path.source_v4(self.interface())
    }

    /// The UPF's IPv6 address on this role.
    pub fn addr_v6(self, path: &PathConfig) -> Option<Ipv6Addr> {
        path.source_v6(self.interface())
    }

    /// Lower-case name (`"n3"`).
    pub fn name(self) -> &'static str {
        match self {
            Role::N3 => "n3",
            Role::N6 => "n6",
            Role::N9 => "n9",
        }
    }
}

/// A port the dataplane opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// Name for logs and metrics.
    pub name: String,
    /// The device.
    pub device: PortDevice,
    /// RX descriptors per queue.
    pub rx_desc: u16,
    /// TX descriptors per queue.
    pub tx_desc: u16,
    /// MTU to set, if not the device default.
    pub mtu: Option<u16>,
}

impl PortSpec {
    /// A port with 1024 descriptors per queue and the device's MTU.
    pub fn new(name: impl Into<String>, device: PortDevice) -> Self {
        PortSpec {
            name: name.into(),
            device,
            rx_desc: 1024,
            tx_desc: 1024,
            mtu: None,
        }
    }
}

/// A role carried by a port, untagged or on a VLAN, with its IP routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The role.
    pub role: Role,
    /// Index of the port in [`DataplaneConfig::ports`].
    pub port: usize,
    /// 802.1Q VLAN id, or untagged.
    pub vlan: Option<u16>,
    /// Prefix length of the role's IPv4 address: destinations in that
    /// subnet are on-link.
    pub prefix_v4: Option<u8>,
    /// Prefix length of the role's IPv6 address.
    pub prefix_v6: Option<u8>,
    /// IPv4 gateway for destinations that are not on-link. Without one,
    /// every destination is treated as on-link.
    pub gateway_v4: Option<Ipv4Addr>,
    /// IPv6 gateway, as for IPv4.
    pub gateway_v6: Option<Ipv6Addr>,
    /// Egress scheduling by QoS class for what the UPF sends here (such as
    /// toward a gNB whose N3 link is slower than the port); without it,
    /// packets go straight to the transmit queue.
    pub egress: Option<EgressSchedule>,
}

/// Egress scheduling of an attachment: forwarded packets wait in one
/// bounded queue per QoS class ([`upf_core::qos::Scheduler`]) and leave at
/// the configured rate, GBR-conformant first, then each backlogged class's
/// minimum share, then by priority. The queues also hold what a full
/// transmit queue did not take, so congestion there serves the higher
/// priorities first too.
///
/// Each worker schedules its own packets: the rate and burst are split
/// evenly between the workers (a worker sends at most `rate_bps /
/// workers`), and the queue limit is per worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressSchedule {
    /// Egress rate in bits per second, all workers together (0: not
    /// shaped; packets queue by class only while the transmit queue is
    /// full).
    pub rate_bps: u64,
    /// Burst the shaper allows, bytes, all workers together (each gets at
    /// least one maximum-size frame).
    pub burst_bytes: u64,
    /// Packets each class queue holds, per worker.
    pub queue_limit: usize,
    /// Share of the egress each backlogged class is owed at least, in
    /// thousandths.
    pub min_share_permille: u32,
    /// `(QFI, priority level)` overrides of the standardized 5QI priority
    /// levels (TS 23.501 Table 5.7.4-1) that map QFIs to classes.
    pub priority_levels: Vec<(u8, u8)>,
}

impl EgressSchedule {
    /// Shaping at `rate_bps`, with a burst of 1 ms of it (at least 16
    /// frames) and the scheduler's default queue limit and minimum share.
    pub fn rate(rate_bps: u64) -> Self {
        let d = upf_core::qos::SchedConfig::default();
        EgressSchedule {
            rate_bps,
            burst_bytes: (rate_bps / 8 / 1000).max(d.burst_bytes),
            queue_limit: d.queue_limit,
            min_share_permille: d.min_share_permille,
            priority_levels: Vec::new(),
        }
    }

    /// The scheduler settings of one of `workers` workers.
    pub fn per_worker(&self, workers: usize) -> upf_core::qos::SchedConfig {
        let n = workers.max(1) as u64;
        upf_core::qos::SchedConfig {
            min_share_permille: self.min_share_permille,
            queue_limit: self.queue_limit,
            rate_bps: self.rate_bps / n,
            burst_bytes: (self.burst_bytes / n).max(MAX_FRAME),
        }
    }
}

/// The largest frame the shaper must always let through at once.
const MAX_FRAME: u64 = 1518;

impl Attachment {
    /// `role` on port `port`, untagged, everything on-link.
    pub fn new(role: Role, port: usize) -> Self {
        Attachment {
            role,
            port,
            vlan: None,
            prefix_v4: None,
            prefix_v6: None,
            gateway_v4: None,
            gateway_v6: None,
            egress: None,
        }
    }
}

/// Where a worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerCore {
    /// An EAL worker lcore (`--lcores`).
    Lcore(u32),
    /// A thread pinned to this CPU and registered with EAL.
    Cpu(usize),
}

/// How packets are spread over workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Steering {
    /// RSS on the GTP-U TEID where every port can do it and has a queue per
    /// worker; software steering otherwise.
    Auto,
    /// Always software steering (see [`crate::steer`]).
    Software,
    /// No steering: a worker processes what its own queues receive.
    Off,
}

/// A next hop whose MAC is configured, not resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticNeighbor {
    /// The role (attachment) it is reached on.
    pub role: Role,
    /// Its IP address.
    pub addr: IpAddr,
    /// Its MAC.
    pub mac: Mac,
}

/// A frame the control thread passes on: GTP-U Echo Responses, Error
/// Indications, Supported Extension Headers Notifications, and the first
/// buffered downlink packet of each buffering episode with NOCP (ARP and
/// NDP are handled by the dataplane itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlFrame {
    /// Why the frame came to the control thread.
    pub event: ControlEvent,
    /// Ethdev port id it arrived on.
    pub port_id: u16,
    /// The frame, link-layer header included; empty for
    /// [`ControlEvent::Buffer`] (the packet stays in the worker's buffer).
    pub frame: Vec<u8>,
}

/// The dataplane's configuration.
#[derive(Debug, Clone)]
pub struct DataplaneConfig {
    /// Ports to open.
    pub ports: Vec<PortSpec>,
    /// Roles on the ports: at most one per role, at most one per (port, VLAN).
    pub attachments: Vec<Attachment>,
    /// One worker per entry. Worker `i` owns queue `i` of every port that
    /// has that many queues.
    pub workers: Vec<WorkerCore>,
    /// CPU for the control thread (ARP/ND, resolution), or unpinned.
    pub control_cpu: Option<usize>,
    /// The packet path's addresses and options.
    pub path: PathConfig,
    /// Sessions each worker's tables hold without growing.
    pub max_sessions: usize,
    /// Packets per RX burst (1..=32).
    pub burst_size: usize,
    /// Rule updates queued per worker.
    pub update_queue_depth: usize,
    /// Mbufs in the pool.
    pub mbufs: u32,
    /// Per-lcore mbuf cache.
    pub mbuf_cache: u32,
    /// Slots of each hand-off and control ring (a power of two).
    pub ring_size: u32,
    /// How packets are spread over workers.
    pub steering: Steering,
    /// Configured next hops.
    pub static_neighbors: Vec<StaticNeighbor>,
    /// Next hops each worker's table holds.
    pub max_neighbors: usize,
    /// How often an unresolved next hop is asked for again.
    pub resolve_retry: Duration,
    /// Yield the CPU when a poll finds nothing (for shared test machines;
    /// off in production, where workers own their cores).
    pub idle_yield: bool,
    /// Where the control thread passes frames it does not handle itself
    /// (dropped, and counted, when full or absent).
    pub control_events: Option<std::sync::mpsc::SyncSender<ControlFrame>>,
    /// SmartNIC offload through `rte_flow` (default: off, never touched).
    pub offload: OffloadConfig,
    /// Downlink packets each worker buffers for FARs with BUFF, all
    /// sessions together. At most a quarter of [`Self::mbufs`] is used
    /// for buffering across workers, so it cannot starve reception.
    pub buffer_packets: usize,
    /// Packets buffered per session when its BAR suggests no count; 0
    /// buffers nothing (packets are dropped as `buffer_full`, Downlink
    /// Data Reports are still sent).
    pub buffer_per_session: u32,
    /// Sessions each worker buffers for at once.
    pub buffer_sessions: usize,
    /// The workers' clock: the TSC when `None` (always, in production); a
    /// clock the caller moves in tests.
    pub clock: Option<std::sync::Arc<crate::clock::ManualClock>>,
}

impl DataplaneConfig {
    /// A configuration with the given ports, roles, workers and path, and
    /// defaults for the rest.
    pub fn new(
        ports: Vec<PortSpec>,
        attachments: Vec<Attachment>,
        workers: Vec<WorkerCore>,
        path: PathConfig,
    ) -> Self {
        DataplaneConfig {
            ports,
            attachments,
            workers,
            control_cpu: None,
            path,
            max_sessions: 1024,
            burst_size: BURST_SIZE,
            update_queue_depth: 4096,
            mbufs: 8191,
            mbuf_cache: 256,
            ring_size: 4096,
            steering: Steering::Auto,
            static_neighbors: Vec::new(),
            max_neighbors: 1024,
            resolve_retry: Duration::from_secs(1),
            idle_yield: false,
            control_events: None,
            offload: OffloadConfig::default(),
            buffer_packets: 1024,
            buffer_per_session: 64,
            buffer_sessions: 1024,
            clock: None,
        }
    }

    /// The buffer room of each worker: [`Self::buffer_packets`], within a
    /// quarter of the mbufs shared by the workers.
    pub fn buffer_packets_per_worker(&self) -> usize {
        let share = self.mbufs as usize / 4 / self.workers.len().max(1);
        self.buffer_packets.min(share)
    }

    /// Checks the configuration for what DPDK would not catch.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Invalid(m));
        if self.ports.is_empty() {
            return bad("no ports".into());
        }
        if self.workers.is_empty() {
            return bad("no workers".into());
        }
        if self.workers.len() > 64 {
            return bad("more than 64 workers".into());
        }
        if self.attachments.is_empty() || self.attachments.len() > 64 {
            return bad("need 1 to 64 attachments".into());
        }
        if !(1..=BURST_SIZE).contains(&self.burst_size) {
            return bad(format!("burst size must be 1..={BURST_SIZE}"));
        }
        if !self.ring_size.is_power_of_two() || self.ring_size < 64 {
            return bad("ring size must be a power of two, at least 64".into());
        }
        for (i, a) in self.attachments.iter().enumerate() {
            if a.port >= self.ports.len() {
                return bad(format!("attachment {i}: no port {}", a.port));
            }
            if a.vlan.is_some_and(|v| v == 0 || v > 4094) {
                return bad(format!("attachment {i}: VLAN id out of 1..=4094"));
            }
            for b in &self.attachments[..i] {
                if b.role == a.role {
                    return bad(format!("role {} attached twice", a.role.name()));
                }
                if b.port == a.port && b.vlan == a.vlan {
                    return bad(format!(
                        "roles {} and {} share port {} and VLAN",
                        b.role.name(),
                        a.role.name(),
                        a.port
                    ));
                }
            }
            if let Some(e) = &a.egress {
                if e.queue_limit == 0 || e.queue_limit > 1 << 20 {
                    return bad(format!(
                        "attachment {i}: egress queue limit out of 1..=1048576"
                    ));
                }
                if e.min_share_permille > 1000 / upf_core::qos::CLASSES as u32 {
                    return bad(format!(
                        "attachment {i}: egress minimum share above {} permille",
                        1000 / upf_core::qos::CLASSES
                    ));
                }
                if e.priority_levels
                    .iter()
                    .any(|&(q, l)| q > 63 || l == 0 || l > 127)
                {
                    return bad(format!(
                        "attachment {i}: priority levels need QFI 0..=63 and level 1..=127"
                    ));
                }
            }
            if a.role.addr_v4(&self.path).is_none() && a.role.addr_v6(&self.path).is_none() {
                return bad(format!("role {} has no address", a.role.name()));
            }
        }
        for n in &self.static_neighbors {
            if !self.attachments.iter().any(|a| a.role == n.role) {
                return bad(format!(
                    "static neighbour {} on unattached role {}",
                    n.addr,
                    n.role.name()
                ));
            }
        }
        Ok(())
    }
}

/// An attachment as the threads use it: resolved port, MAC and addresses.
#[derive(Debug, Clone)]
pub(crate) struct AttachmentInfo {
    pub role: Role,
    pub port_idx: usize,
    pub port_id: u16,
    pub vlan: Option<u16>,
    pub mac: Mac,
    pub addr_v4: Option<Ipv4Addr>,
    pub addr_v6: Option<Ipv6Addr>,
    pub prefix_v4: Option<u8>,
    pub prefix_v6: Option<u8>,
    pub gateway_v4: Option<Ipv4Addr>,
    pub gateway_v6: Option<Ipv6Addr>,
    /// Packets sent here go through the worker's egress scheduler.
    pub scheduled: bool,
}

impl AttachmentInfo {
    /// The address to resolve for `dst`: `dst` itself when on-link (or
    /// when there is no gateway), the gateway otherwise.
    #[inline]
    pub fn next_hop(&self, dst: IpAddr) -> IpAddr {
        match dst {
            IpAddr::V4(a) => match self.gateway_v4 {
                Some(gw) if !on_link_v4(self.addr_v4, self.prefix_v4, a) => IpAddr::V4(gw),
                _ => dst,
            },
            IpAddr::V6(a) => match self.gateway_v6 {
                Some(gw) if !on_link_v6(self.addr_v6, self.prefix_v6, a) => IpAddr::V6(gw),
                _ => dst,
            },
        }
    }

    /// Whether the UPF answers ARP for `a` here.
    pub fn is_ours_v4(&self, a: Ipv4Addr) -> bool {
        self.addr_v4 == Some(a)
    }

    /// Whether the UPF answers Neighbor Solicitations for `a` here.
    pub fn is_ours_v6(&self, a: Ipv6Addr) -> bool {
        self.addr_v6 == Some(a)
    }
}

/// Whether `a` is in the subnet `ours/prefix` (false when either is unknown).
#[inline]
pub fn on_link_v4(ours: Option<Ipv4Addr>, prefix: Option<u8>, a: Ipv4Addr) -> bool {
    match (ours, prefix) {
        (Some(o), Some(p)) => {
            let mask = if p == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(p.min(32)))
            };
            (u32::from(o) ^ u32::from(a)) & mask == 0
        }
        _ => false,
    }
}

/// Whether `a` is in the subnet `ours/prefix` (false when either is unknown).
#[inline]
pub fn on_link_v6(ours: Option<Ipv6Addr>, prefix: Option<u8>, a: Ipv6Addr) -> bool {
    match (ours, prefix) {
        (Some(o), Some(p)) => {
            let mask = if p == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(p.min(128)))
            };
            (u128::from(o) ^ u128::from(a)) & mask == 0
        }
        _ => false,
    }
}

/// Which attachment a forwarded packet leaves on, per egress interface.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Routes {
    pub n3: Option<u8>,
    pub n6: Option<u8>,
    pub n9: Option<u8>,
    /// The UPF's own addresses: a packet from one of them is a tunnel
    /// packet the path built (N9 when both N6 and N9 exist).
    pub local_v4: [Option<[u8; 4]>; 2],
    pub local_v6: [Option<[u8; 16]>; 2],
}

impl Routes {
    pub fn new(atts: &[AttachmentInfo], path: &PathConfig) -> Self {
        let find = |r: Role| {
            atts.iter()
                .position(|a| a.role == r)
                .map(|i| u8::try_from(i).expect("at most 64 attachments"))
        };
        Routes {
            n3: find(Role::N3),
            n6: find(Role::N6),
            n9: find(Role::N9),
            local_v4: [
                path.access_v4.map(|a| a.octets()),
                path.core_v4.map(|a| a.octets()),
            ],
            local_v6: [
                path.access_v6.map(|a| a.octets()),
                path.core_v6.map(|a| a.octets()),
            ],
        }
    }

    /// The attachment for an IP packet `l3` forwarded to `egress`.
    #[inline]
    pub fn select(&self, egress: Interface, l3: &[u8]) -> Option<u8> {
        match egress {
            Interface::Access => self.n3,
            Interface::Core | Interface::SgiLan => match (self.n6, self.n9) {
                (Some(n6), Some(n9)) => Some(if self.sent_by_upf(l3) { n9 } else { n6 }),
                (a, b) => a.or(b),
            },
            _ => None,
        }
    }

    #[inline]
    fn sent_by_upf(&self, l3: &[u8]) -> bool {
        match l3.first().map(|b| b >> 4) {
            Some(4) => l3
                .get(12..16)
                .is_some_and(|s| self.local_v4.iter().flatten().any(|a| a[..] == *s)),
            Some(6) => l3
                .get(8..24)
                .is_some_and(|s| self.local_v6.iter().flatten().any(|a| a[..] == *s)),
            _ => false,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn att(role: Role, v4: &str, prefix: Option<u8>, gw: Option<&str>) -> AttachmentInfo {
        AttachmentInfo {
            role,
            port_idx: 0,
            port_id: 0,
            vlan: None,
            mac: [2; 6],
            addr_v4: Some(v4.parse().unwrap()),
            addr_v6: None,
            prefix_v4: prefix,
            prefix_v6: None,
            gateway_v4: gw.map(|g| g.parse().unwrap()),
            gateway_v6: None,
            scheduled: false,
        }
    }

    #[test]
    fn next_hop_uses_gateway_off_link() {
        let a = att(Role::N6, "198.51.100.1", Some(24), Some("198.51.100.254"));
        let ip = |s: &str| -> IpAddr { s.parse().unwrap() };
        assert_eq!(a.next_hop(ip("203.0.113.5")), ip("198.51.100.254"));
        assert_eq!(a.next_hop(ip("198.51.100.7")), ip("198.51.100.7"));
        // No gateway: everything on-link.
        let b = att(Role::N3, "192.0.2.1", None, None);
        assert_eq!(b.next_hop(ip("203.0.113.5")), ip("203.0.113.5"));
        // Gateway but no prefix: everything via the gateway.
        let c = att(Role::N6, "198.51.100.1", None, Some("198.51.100.254"));
        assert_eq!(c.next_hop(ip("198.51.100.7")), ip("198.51.100.254"));
        assert!(on_link_v6(
            Some("2001:db8::1".parse().unwrap()),
            Some(64),
            "2001:db8::99".parse().unwrap()
        ));
        assert!(!on_link_v6(
            Some("2001:db8::1".parse().unwrap()),
            Some(64),
            "2001:db9::99".parse().unwrap()
        ));
        assert!(on_link_v4(
            Some(Ipv4Addr::new(1, 2, 3, 4)),
            Some(0),
            Ipv4Addr::new(9, 9, 9, 9)
        ));
    }

    #[test]
    fn core_traffic_splits_between_n6_and_n9() {
        let path = PathConfig {
            access_v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
            core_v4: Some(Ipv4Addr::new(198, 51, 100, 1)),
            ..PathConfig::default()
        };
        let atts = vec![
            att(Role::N3, "192.0.2.1", None, None),
            att(Role::N6, "198.51.100.1", None, None),
            att(Role::N9, "198.51.100.1", None, None),
        ];
        let r = Routes::new(&atts, &path);
        let mut plain = vec![0x45u8; 20];
        plain[12..16].copy_from_slice(&[10, 45, 0, 2]);
        let mut tunnel = plain.clone();
        tunnel[12..16].copy_from_slice(&[198, 51, 100, 1]);
        assert_eq!(r.select(Interface::Access, &plain), Some(0));
        assert_eq!(r.select(Interface::Core, &plain), Some(1));
        assert_eq!(r.select(Interface::Core, &tunnel), Some(2));
        assert_eq!(r.select(Interface::CpFunction, &plain), None);
        // Only N6: everything core goes there.
        let r = Routes::new(&atts[..2], &path);
        assert_eq!(r.select(Interface::Core, &tunnel), Some(1));
    }

    #[test]
    fn validation() {
        let path = PathConfig {
            access_v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
            core_v4: Some(Ipv4Addr::new(198, 51, 100, 1)),
            ..PathConfig::default()
        };
        let ports = vec![PortSpec::new("p", PortDevice::Existing(0))];
        let mut c = DataplaneConfig::new(
            ports,
            vec![Attachment::new(Role::N3, 0), Attachment::new(Role::N6, 0)],
            vec![WorkerCore::Cpu(0)],
            path,
        );
        assert!(c.validate().is_err(), "two roles untagged on one port");
        c.attachments[1].vlan = Some(10);
        c.validate().unwrap();
        c.attachments[1].port = 3;
        assert!(c.validate().is_err());
        c.attachments[1].port = 0;
        c.burst_size = 33;
        assert!(c.validate().is_err());
    }
}
