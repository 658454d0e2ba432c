//! Flow rules as plain Rust values, and the rules a session needs.
//!
//! A [`FlowSpec`] is what [`super::rte`] turns into `rte_flow_item` /
//! `rte_flow_action` arrays (ingress, group 0, priority 0): a pattern of
//! [`Item`]s, outermost first, and a list of [`Action`]s. Equality of specs
//! is what the manager diffs on when a session changes.
//!
//! [`session_rules`] derives the rules of one compiled session:
//! - uplink, one per tunnel key (TEID + local address) on the port carrying
//!   the address's role (N3 for the access address, N9 for the core one):
//!   `ETH / [VLAN] / IPV4|IPV6 (dst = local address) / UDP (dst 2152) /
//!   GTP (teid, msg type 0xff) [/ GTP_PSC (qfi, pdu type 1)]` → `MARK /
//!   QUEUE` (or `RSS` where the port has no QUEUE). The PSC variant is used,
//!   one rule per QFI, when every PDR on that tunnel names a QFI and the
//!   port can match it; otherwise one rule matches the whole tunnel.
//! - downlink, one per UE prefix on the port carrying N6:
//!   `ETH / [VLAN] / IPV4|IPV6 (dst = UE prefix)` → `MARK / QUEUE`.
//!
//! The queue is the one software steering would pick
//! ([`crate::steer::owner`] of [`crate::steer::steer_key`]'s key: the TEID
//! for GTP-U, the IPv4 destination, the upper 64 bits of the IPv6
//! destination), so a matched packet arrives at the worker that owns it. A
//! framed route (a prefix shorter than the steering key) goes to the queue
//! of its first address; software steering still hands each packet to its
//! owner, so this changes where work is done, never the result.
#![forbid(unsafe_code)]

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use upf_core::compile::SessionRules;

use super::probe::PortOffloadCaps;
use crate::steer::owner;

/// UDP port of GTP-U.
pub const GTPU_PORT: u16 = 2152;
/// GTP-U message type of a G-PDU.
pub const GTP_MSG_GPDU: u8 = 0xff;
/// PDU Session Container PDU type of uplink ("UL PDU SESSION INFORMATION").
pub const PSC_PDU_TYPE_UL: u8 = 1;

/// One pattern item. `None` fields are not matched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Item {
    /// Any Ethernet frame.
    Eth,
    /// An 802.1Q tag with this VLAN id.
    Vlan {
        /// VLAN id (12 bits).
        vid: u16,
    },
    /// IPv4, destination in this prefix.
    Ipv4 {
        /// Destination address and prefix length.
        dst: Option<(Ipv4Addr, u8)>,
    },
    /// IPv6, destination in this prefix.
    Ipv6 {
        /// Destination address and prefix length.
        dst: Option<(Ipv6Addr, u8)>,
    },
    /// UDP.
    Udp {
        /// Destination port.
        dst_port: Option<u16>,
    },
    /// GTP-U header.
    Gtp {
        /// TEID.
        teid: Option<u32>,
        /// Message type (0xff: G-PDU).
        msg_type: Option<u8>,
        /// Require the E flag (an extension header follows).
        ext: bool,
    },
    /// PDU Session Container extension header (TS 38.415).
    GtpPsc {
        /// QoS Flow Identifier.
        qfi: Option<u8>,
        /// PDU type (0 downlink, 1 uplink).
        pdu_type: Option<u8>,
    },
}

/// The kind of an [`Item`], without values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// [`Item::Eth`].
    Eth,
    /// [`Item::Vlan`].
    Vlan,
    /// [`Item::Ipv4`].
    Ipv4,
    /// [`Item::Ipv6`].
    Ipv6,
    /// [`Item::Udp`].
    Udp,
    /// [`Item::Gtp`].
    Gtp,
    /// [`Item::GtpPsc`].
    GtpPsc,
}

impl Item {
    /// The item's kind.
    pub fn kind(&self) -> ItemKind {
        match self {
            Item::Eth => ItemKind::Eth,
            Item::Vlan { .. } => ItemKind::Vlan,
            Item::Ipv4 { .. } => ItemKind::Ipv4,
            Item::Ipv6 { .. } => ItemKind::Ipv6,
            Item::Udp { .. } => ItemKind::Udp,
            Item::Gtp { .. } => ItemKind::Gtp,
            Item::GtpPsc { .. } => ItemKind::GtpPsc,
        }
    }
}

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// Set the mbuf's flow director id (`RTE_MBUF_F_RX_FDIR_ID`,
    /// `hash.fdir.hi`) to this value.
    Mark(u32),
    /// Deliver to this RX queue.
    Queue(u16),
    /// Spread over `queues` by a hash of `types` (`RTE_ETH_RSS_*`) at
    /// encapsulation `level` (0 default, 1 outermost, 2 inner).
    Rss {
        /// Encapsulation level.
        level: u32,
        /// Hash types.
        types: u64,
        /// Queues to spread over.
        queues: Vec<u16>,
    },
    /// Remove these leading bytes (the outer headers). Probed only: the
    /// manager's rules never change packets.
    RawDecap(Vec<u8>),
}

/// A flow rule on one port (ingress).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowSpec {
    /// Ethdev port id.
    pub port: u16,
    /// Items, outermost first.
    pub pattern: Vec<Item>,
    /// Actions.
    pub actions: Vec<Action>,
}

/// What a rule is for: the diff key when a session changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleKey {
    /// Uplink G-PDUs of a tunnel (with this QFI, when matched).
    Tunnel {
        /// Local TEID.
        teid: u32,
        /// Local address.
        addr: IpAddr,
        /// QFI matched in the PDU Session Container.
        qfi: Option<u8>,
    },
    /// Downlink IPv4 to a UE prefix.
    UeV4(Ipv4Addr, u8),
    /// Downlink IPv6 to a UE prefix.
    UeV6(Ipv6Addr, u8),
}

/// Where a role's traffic arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Index into [`Topology::ports`].
    pub port: usize,
    /// The role's VLAN on that port.
    pub vlan: Option<u16>,
}

/// A port rules may go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopoPort {
    /// Ethdev port id.
    pub port_id: u16,
    /// RX queues (worker `i` polls queue `i`).
    pub rx_queues: u16,
    /// What the port can do.
    pub caps: PortOffloadCaps,
}

/// The dataplane as the rule builder needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Number of workers (for the steering owner).
    pub workers: usize,
    /// Ports, in configuration order.
    pub ports: Vec<TopoPort>,
    /// Where N3 traffic arrives.
    pub n3: Option<Target>,
    /// Where N6 traffic arrives.
    pub n6: Option<Target>,
    /// Where N9 traffic arrives.
    pub n9: Option<Target>,
    /// The UPF's access (N3) IPv4 address.
    pub access_v4: Option<Ipv4Addr>,
    /// The UPF's access (N3) IPv6 address.
    pub access_v6: Option<Ipv6Addr>,
    /// The UPF's core (N6/N9) IPv4 address.
    pub core_v4: Option<Ipv4Addr>,
    /// The UPF's core (N6/N9) IPv6 address.
    pub core_v6: Option<Ipv6Addr>,
}

impl Topology {
    /// The target for tunnels ending on `addr`.
    fn tunnel_target(&self, addr: IpAddr) -> Option<Target> {
        let (access, core) = match addr {
            IpAddr::V4(a) => (self.access_v4 == Some(a), self.core_v4 == Some(a)),
            IpAddr::V6(a) => (self.access_v6 == Some(a), self.core_v6 == Some(a)),
        };
        if access {
            self.n3
        } else if core {
            self.n9
        } else {
            None
        }
    }

    /// The queue software steering would pick for `key` on `port`.
    fn queue(&self, port: &TopoPort, key: u64) -> u16 {
        let q = owner(key, self.workers.max(1));
        (q % usize::from(port.rx_queues.max(1))) as u16
    }
}

/// A rule a session wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedRule {
    /// What it is for.
    pub key: RuleKey,
    /// Index into [`Topology::ports`].
    pub port: usize,
    /// The rule, or `None` where the port cannot do it (runs in software).
    pub spec: Option<FlowSpec>,
}

fn l2(vlan: Option<u16>) -> Vec<Item> {
    let mut p = vec![Item::Eth];
    if let Some(vid) = vlan {
        p.push(Item::Vlan { vid });
    }
    p
}

/// The pattern of uplink G-PDUs to `addr` with `teid` (and `qfi` in the PDU
/// Session Container, when given).
pub fn uplink_pattern(vlan: Option<u16>, addr: IpAddr, teid: u32, qfi: Option<u8>) -> Vec<Item> {
    let mut p = l2(vlan);
    p.push(match addr {
        IpAddr::V4(a) => Item::Ipv4 { dst: Some((a, 32)) },
        IpAddr::V6(a) => Item::Ipv6 {
            dst: Some((a, 128)),
        },
    });
    p.push(Item::Udp {
        dst_port: Some(GTPU_PORT),
    });
    p.push(Item::Gtp {
        teid: Some(teid),
        msg_type: Some(GTP_MSG_GPDU),
        ext: qfi.is_some(),
    });
    if let Some(q) = qfi {
        p.push(Item::GtpPsc {
            qfi: Some(q),
            pdu_type: Some(PSC_PDU_TYPE_UL),
        });
    }
    p
}

/// The pattern of downlink IPv4 to a UE prefix.
pub fn downlink_v4_pattern(vlan: Option<u16>, ue: Ipv4Addr, len: u8) -> Vec<Item> {
    let mut p = l2(vlan);
    p.push(Item::Ipv4 {
        dst: Some((ue, len.min(32))),
    });
    p
}

/// The pattern of downlink IPv6 to a UE prefix.
pub fn downlink_v6_pattern(vlan: Option<u16>, ue: Ipv6Addr, len: u8) -> Vec<Item> {
    let mut p = l2(vlan);
    p.push(Item::Ipv6 {
        dst: Some((ue, len.min(128))),
    });
    p
}

/// RSS over every RX queue of a port.
fn rss(port: &TopoPort, level: u32, types: u64) -> Action {
    Action::Rss {
        level,
        types,
        queues: (0..port.rx_queues.max(1)).collect(),
    }
}

/// The rules `rules` wants, given the dataplane and the session's mark.
/// Keys whose role has no port are left out (nothing could match there).
pub fn session_rules(rules: &SessionRules, topo: &Topology, mark: u32) -> Vec<WantedRule> {
    let mut out = Vec::new();
    for k in rules.tunnel_keys() {
        let Some(t) = topo.tunnel_target(k.addr) else {
            continue;
        };
        let port = &topo.ports[t.port];
        let caps = &port.caps;
        // QFIs of the PDRs on this tunnel: per-QFI rules only when every
        // PDR on it names one.
        let mut qfis: Vec<u8> = Vec::new();
        let mut any_without = false;
        for pdr in rules.pdrs.iter() {
            let on_tunnel = rules.fteid(pdr).is_some_and(|f| {
                f.teid == k.teid
                    && match k.addr {
                        IpAddr::V4(a) => f.ipv4 == Some(a),
                        IpAddr::V6(a) => f.ipv6 == Some(a),
                    }
            });
            if !on_tunnel {
                continue;
            }
            match pdr.qfi {
                Some(q) if !qfis.contains(&q) => qfis.push(q),
                Some(_) => {}
                None => any_without = true,
            }
        }
        let per_qfi: Vec<Option<u8>> = if any_without || qfis.is_empty() || !caps.gtp_psc_qfi_match
        {
            vec![None]
        } else {
            qfis.sort_unstable();
            qfis.into_iter().map(Some).collect()
        };
        let fate = if caps.queue {
            Some(Action::Queue(
                topo.queue(port, (1 << 32) | u64::from(k.teid)),
            ))
        } else if caps.rss_gtpu {
            Some(rss(port, 0, dpdk_sys::consts::RTE_ETH_RSS_GTPU))
        } else if caps.rss_inner {
            Some(rss(port, 2, dpdk_sys::consts::RTE_ETH_RSS_IP))
        } else {
            None
        };
        let able = caps.gtp_teid_match && caps.mark;
        for qfi in per_qfi {
            let spec = match (&fate, able) {
                (Some(f), true) => Some(FlowSpec {
                    port: port.port_id,
                    pattern: uplink_pattern(t.vlan, k.addr, k.teid, qfi),
                    actions: vec![Action::Mark(mark), f.clone()],
                }),
                _ => None,
            };
            out.push(WantedRule {
                key: RuleKey::Tunnel {
                    teid: k.teid,
                    addr: k.addr,
                    qfi,
                },
                port: t.port,
                spec,
            });
        }
    }
    if let Some(t) = topo.n6 {
        let port = &topo.ports[t.port];
        let able = port.caps.mark && port.caps.queue;
        for (a, len) in rules.ue_v4() {
            let key = u64::from(u32::from(upf_core::compile::mask_v4(a, len)));
            out.push(WantedRule {
                key: RuleKey::UeV4(a, len),
                port: t.port,
                spec: able.then(|| FlowSpec {
                    port: port.port_id,
                    pattern: downlink_v4_pattern(t.vlan, a, len),
                    actions: vec![Action::Mark(mark), Action::Queue(topo.queue(port, key))],
                }),
            });
        }
        for (a, len) in rules.ue_v6() {
            let net = upf_core::compile::mask_v6(a, len);
            let key = (u128::from(net) >> 64) as u64;
            out.push(WantedRule {
                key: RuleKey::UeV6(a, len),
                port: t.port,
                spec: able.then(|| FlowSpec {
                    port: port.port_id,
                    pattern: downlink_v6_pattern(t.vlan, a, len),
                    actions: vec![Action::Mark(mark), Action::Queue(topo.queue(port, key))],
                }),
            });
        }
    }
    out
}
