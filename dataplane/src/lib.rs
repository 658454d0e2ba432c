//! DPDK ports, mbufs and pinned polling workers.
//!
//! The safe layer over [`dpdk_sys`]:
//! - [`eal`]: one EAL per process ([`Eal::init`]), vdev hot-plug.
//! - [`mempool`]: mbuf pools ([`Mempool`]).
//! - [`mbuf`]: the owned packet buffer [`Mbuf`] (implements
//!   [`upf_core::buf::PacketBuf`]) and fixed-capacity [`Burst`]s.
//! - [`port`]: ethdev ports ([`Port`]) with per-queue handles
//!   ([`RxQueue`]/[`TxQueue`]) that workers own.
//! - [`lcore`]: running closures on EAL worker lcores or pinned threads.
//! - [`pcap`]: a small pcap reader/writer (no DPDK) for tests and tools.
//! - [`ring`]: multi-producer, single-consumer rings of mbufs, and
//!   `net_ring` ports over them ([`ring::RingPortArgs`]).
//! - [`clock`]: a clock tests move, for the workers' `now`.
//!
//! The packet path on top of them:
//! - [`config`]: [`DataplaneConfig`]: ports, roles (N3/N6/N9, on VLANs),
//!   workers, routing.
//! - [`dataplane`]: [`Dataplane`] (ports, pinned polling workers, control
//!   thread) and [`RuleSink`] (rule publication to the workers).
//! - [`worker`]: the polling loop running [`upf_core::path::process`];
//!   `egress`: its per-class egress scheduling ([`EgressSchedule`]).
//! - [`buffer`]: downlink buffering for FARs with BUFF (per worker, bounded).
//! - [`control`]: ARP/NDP answers and next-hop resolution.
//! - [`neighbor`], [`steer`], [`l2`]: neighbour tables, software steering,
//!   Ethernet/VLAN headers.
//! - [`offload`]: optional SmartNIC offload through `rte_flow` (capability
//!   probe, rules that follow sessions, MARK for the workers), with a
//!   software fallback that gives the same results; see `OFFLOAD.md`.
//!
//! Unsafe code lives only in `eal`, `mempool`, `mbuf`, `ring`, `port`,
//! `lcore` (which launches closures on EAL lcores), `offload::rte` (the
//! `rte_flow` calls) and one read of the mbuf's flow mark in
//! `offload::mark`; every `unsafe` block
//! states why it is sound; the other modules forbid it. The fast path (`Port::rx_burst`, `Port::tx_burst`, `Mbuf`
//! accessors) allocates nothing and takes no locks.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod buffer;
pub mod clock;
pub mod config;
pub mod control;
pub mod dataplane;
pub mod eal;
mod egress;
mod error;
pub mod l2;
pub mod lcore;
pub mod mbuf;
pub mod mempool;
pub mod neighbor;
pub mod offload;
pub mod pcap;
pub mod port;
pub mod ring;
pub mod steer;
pub mod worker;

pub use config::{
    Attachment, ControlFrame, DataplaneConfig, EgressSchedule, PortSpec, Role, StaticNeighbor,
    Steering, WorkerCore,
};
pub use control::{ControlSender, ControlStats, EndMarker};
pub use dataplane::{Dataplane, DataplaneStats, RuleError, RuleSink, WorkerStats};
pub use dpdk_sys as sys;
pub use eal::{Eal, EalConfig};
pub use error::{Error, Result};
pub use lcore::StopFlag;
pub use mbuf::{Burst, Mbuf, MbufMeta, PacketMeta, BURST_SIZE};
pub use mempool::Mempool;
pub use offload::{OffloadConfig, OffloadMode, OffloadState, PortOffloadCaps};
pub use port::{Link, Port, PortCaps, PortConfig, PortDevice, PortStats, RxQueue, TxQueue};
