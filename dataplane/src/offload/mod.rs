//! Optional SmartNIC offload through `rte_flow`, with a software fallback
//! that gives the same results.
//!
//! What the NIC may do for the UPF, per session rule:
//! - **match** uplink G-PDUs on the outer destination address, UDP port
//!   2152, the GTP-U TEID (and, where the port can, the QFI of the PDU
//!   Session Container), and downlink packets on the UE address;
//! - **mark** them with an [`OffloadMark`] naming the session (the
//!   worker may use it to find the session without hashing, see
//!   [`mark`]);
//! - **steer** them to the queue of the worker that owns them under software
//!   steering ([`crate::steer::owner`]), so no hand-off is needed.
//!
//! The NIC never changes a packet (no decapsulation in the rules the
//! manager installs): a packet the NIC matched is processed by exactly the
//! same code as one it did not, and a rule the NIC refuses only costs the
//! hint. That is what makes the fallback give identical results.
//!
//! Parts:
//! - [`spec`]: the Rust description of a rule ([`FlowSpec`], [`Item`],
//!   [`Action`]) and how a session's compiled rules become rules
//!   ([`spec::session_rules`]).
//! - [`backend`]: the [`FlowBackend`] trait and a fake for tests.
//! - [`rte`]: the real backend over `rte_flow` (the only unsafe code here).
//! - [`probe`]: what a port can do ([`PortOffloadCaps`]), from
//!   `rte_flow_validate` on representative rules.
//! - [`manager`]: [`OffloadManager`]: rules follow sessions; bound, rate,
//!   per-rule fallback, counters.
//! - [`mark`]: [`OffloadMark`] encoding and the [`MarkTable`] workers read,
//!   and [`mark_of`] for the fast path.
//!
//! Modes ([`OffloadMode`]): `Off` never calls `rte_flow`; `Auto` uses what
//! the probe found; `Required` refuses to start when a port carrying
//! GTP-U (N3/N9) cannot match the TEID and mark, or a port carrying N6
//! cannot mark.

pub mod backend;
pub mod manager;
pub mod mark;
pub mod probe;
pub mod rte;
pub mod spec;

use std::sync::atomic::{AtomicU64, Ordering};

pub use backend::{FakeBackend, FakeCall, FlowBackend, Handle, Refusal};
pub use manager::{OffloadManager, Topology};
pub use mark::{mark_of, MarkTable, OffloadMark};
pub use probe::{probe_port, PortOffloadCaps};
pub use spec::{Action, FlowSpec, Item, ItemKind};

/// Whether and how the dataplane uses the NIC's flow rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffloadMode {
    /// Never touch `rte_flow`; everything in software.
    #[default]
    Off,
    /// Probe every port and offload what it can; the rest in software.
    Auto,
    /// As `Auto`, but refuse to start when a port lacks the essentials.
    Required,
}

impl OffloadMode {
    /// Lower-case name (`"auto"`).
    pub fn name(self) -> &'static str {
        match self {
            OffloadMode::Off => "off",
            OffloadMode::Auto => "auto",
            OffloadMode::Required => "required",
        }
    }
}

impl std::str::FromStr for OffloadMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => Ok(OffloadMode::Off),
            "auto" => Ok(OffloadMode::Auto),
            "required" => Ok(OffloadMode::Required),
            _ => Err(format!(
                "offload mode {s:?}: expected off, auto or required"
            )),
        }
    }
}

/// The offload part of [`crate::DataplaneConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffloadConfig {
    /// Off, auto or required.
    pub mode: OffloadMode,
    /// Flow rules installed at most, all ports together; rules beyond it
    /// run in software (counted as fallback).
    pub max_rules: usize,
    /// Rule insertions per second at most (token bucket; bursts of up to
    /// one second's worth). Rules over the rate wait (counted as deferred)
    /// and are installed by later calls; meanwhile they run in software.
    pub insert_rate_per_s: u32,
}

impl Default for OffloadConfig {
    fn default() -> Self {
        OffloadConfig {
            mode: OffloadMode::Off,
            max_rules: 65_536,
            insert_rate_per_s: 10_000,
        }
    }
}

/// Rule counters of one port (single writer: the control side; read by
/// anyone without locks).
#[derive(Debug, Default)]
pub struct PortOffloadCounters {
    /// Rules the NIC accepted.
    pub installed: AtomicU64,
    /// Rules the NIC refused.
    pub failed: AtomicU64,
    /// Rules that run in software: refused, unsupported by the port, or
    /// over the rule bound.
    pub fallback: AtomicU64,
    /// Rules removed (with their session or replaced by a modification).
    pub removed: AtomicU64,
    /// Rules that had to wait for the insertion rate.
    pub deferred: AtomicU64,
    /// Rules in the NIC now.
    pub active: AtomicU64,
}

/// One port's offload figures at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortOffloadStats {
    /// See [`PortOffloadCounters::installed`].
    pub installed: u64,
    /// See [`PortOffloadCounters::failed`].
    pub failed: u64,
    /// See [`PortOffloadCounters::fallback`].
    pub fallback: u64,
    /// See [`PortOffloadCounters::removed`].
    pub removed: u64,
    /// See [`PortOffloadCounters::deferred`].
    pub deferred: u64,
    /// See [`PortOffloadCounters::active`].
    pub active: u64,
}

impl PortOffloadCounters {
    /// The figures now.
    pub fn snapshot(&self) -> PortOffloadStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        PortOffloadStats {
            installed: g(&self.installed),
            failed: g(&self.failed),
            fallback: g(&self.fallback),
            removed: g(&self.removed),
            deferred: g(&self.deferred),
            active: g(&self.active),
        }
    }

    pub(crate) fn add(a: &AtomicU64, n: u64) {
        a.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn sub(a: &AtomicU64, n: u64) {
        a.fetch_sub(n, Ordering::Relaxed);
    }
}

/// One port as the offload sees it.
#[derive(Debug)]
pub struct PortOffload {
    /// The port's configured name.
    pub name: String,
    /// Ethdev port id.
    pub port_id: u16,
    /// What the probe found (all false in mode `Off`: nothing was probed).
    pub caps: PortOffloadCaps,
    /// Rule counters.
    pub counters: PortOffloadCounters,
}

/// The offload state for metrics and the management API: the mode, and
/// per port the capabilities and counters. Shared (`Arc`) and lock-free.
#[derive(Debug)]
pub struct OffloadState {
    /// The configured mode.
    pub mode: OffloadMode,
    /// Per port, in configuration order.
    pub ports: Vec<PortOffload>,
}

impl OffloadState {
    /// A state for `ports` (name, id, caps) with zero counters.
    pub fn new(mode: OffloadMode, ports: Vec<(String, u16, PortOffloadCaps)>) -> Self {
        OffloadState {
            mode,
            ports: ports
                .into_iter()
                .map(|(name, port_id, caps)| PortOffload {
                    name,
                    port_id,
                    caps,
                    counters: PortOffloadCounters::default(),
                })
                .collect(),
        }
    }

    /// Per port: name and counters now.
    pub fn stats(&self) -> Vec<(String, PortOffloadStats)> {
        self.ports
            .iter()
            .map(|p| (p.name.clone(), p.counters.snapshot()))
            .collect()
    }

    /// All ports together.
    pub fn total(&self) -> PortOffloadStats {
        let mut t = PortOffloadStats::default();
        for p in &self.ports {
            let s = p.counters.snapshot();
            t.installed += s.installed;
            t.failed += s.failed;
            t.fallback += s.fallback;
            t.removed += s.removed;
            t.deferred += s.deferred;
            t.active += s.active;
        }
        t
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn mode_parses() {
        assert_eq!("auto".parse::<OffloadMode>(), Ok(OffloadMode::Auto));
        assert_eq!("off".parse::<OffloadMode>(), Ok(OffloadMode::Off));
        assert_eq!("required".parse::<OffloadMode>(), Ok(OffloadMode::Required));
        assert!("on".parse::<OffloadMode>().is_err());
        assert_eq!(OffloadConfig::default().mode, OffloadMode::Off);
    }
}

/// What [`setup`] gives the dataplane.
#[derive(Debug)]
pub(crate) struct Setup {
    pub state: std::sync::Arc<OffloadState>,
    /// With the manager and gate when the mode is not `Off`.
    pub active: Option<(OffloadManager<rte::RteFlowBackend>, rte::FlowGate)>,
}

/// Probes the ports (unless `Off`), checks `Required`, and builds the
/// manager. `ports`: (name, id, RX queues) in configuration order;
/// `atts`: (role, port index, VLAN).
pub(crate) fn setup(
    config: &OffloadConfig,
    ports: &[(String, u16, u16)],
    atts: &[(crate::config::Role, usize, Option<u16>)],
    path: &upf_core::path::PathConfig,
    workers: usize,
) -> crate::error::Result<Setup> {
    use crate::config::Role;
    use std::sync::Arc;
    if config.mode == OffloadMode::Off {
        let state = OffloadState::new(
            OffloadMode::Off,
            ports
                .iter()
                .map(|(n, id, _)| (n.clone(), *id, PortOffloadCaps::default()))
                .collect(),
        );
        return Ok(Setup {
            state: Arc::new(state),
            active: None,
        });
    }
    let gate = rte::FlowGate::open();
    let mut backend = rte::RteFlowBackend::new(gate.clone());
    let caps: Vec<PortOffloadCaps> = ports
        .iter()
        .map(|&(_, id, rxq)| probe_port(&mut backend, id, rxq))
        .collect();
    if config.mode == OffloadMode::Required {
        let mut problems = Vec::new();
        for (i, (name, id, _)) in ports.iter().enumerate() {
            let mut missing: Vec<&str> = Vec::new();
            for &(role, p, _) in atts {
                if p != i {
                    continue;
                }
                let m = match role {
                    Role::N3 | Role::N9 => caps[i].missing_for_gtp(),
                    Role::N6 => caps[i].missing_for_ip(),
                };
                for x in m {
                    if !missing.contains(&x) {
                        missing.push(x);
                    }
                }
            }
            if !missing.is_empty() {
                let why = caps[i]
                    .errors
                    .first()
                    .map(|(w, e)| format!("; {w}: {e}"))
                    .unwrap_or_default();
                problems.push(format!(
                    "port {name} (port id {id}) lacks {}{why}",
                    missing.join(", ")
                ));
            }
        }
        if !problems.is_empty() {
            return Err(crate::error::Error::Invalid(format!(
                "offload mode is required, but {}",
                problems.join("; ")
            )));
        }
    }
    let target = |r: Role| {
        atts.iter()
            .find(|a| a.0 == r)
            .map(|&(_, port, vlan)| spec::Target { port, vlan })
    };
    let topo = Topology {
        workers,
        ports: ports
            .iter()
            .zip(&caps)
            .map(|(&(_, port_id, rx_queues), c)| spec::TopoPort {
                port_id,
                rx_queues,
                caps: c.clone(),
            })
            .collect(),
        n3: target(Role::N3),
        n6: target(Role::N6),
        n9: target(Role::N9),
        access_v4: path.access_v4,
        access_v6: path.access_v6,
        core_v4: path.core_v4,
        core_v6: path.core_v6,
    };
    let state = Arc::new(OffloadState::new(
        config.mode,
        ports
            .iter()
            .zip(caps)
            .map(|((n, id, _), c)| (n.clone(), *id, c))
            .collect(),
    ));
    let manager = OffloadManager::new(backend, topo, config, state.clone());
    Ok(Setup {
        state,
        active: Some((manager, gate)),
    })
}

impl OffloadState {
    /// One line per port for the log: name, id, what the probe found, and
    /// the first refusal.
    pub fn summary_lines(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| {
                let first = p
                    .caps
                    .errors
                    .first()
                    .map(|(w, e)| format!(" (first refusal: {w}: {e})"))
                    .unwrap_or_default();
                format!(
                    "offload {}: port {} (id {}): {}{first}",
                    self.mode.name(),
                    p.name,
                    p.port_id,
                    p.caps.summary()
                )
            })
            .collect()
    }
}
