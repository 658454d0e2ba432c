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
//!
//! Unsafe code lives only in `eal`, `mempool`, `mbuf`, `port` and `lcore`
//! (which launches closures on EAL lcores); every `unsafe` block states why it
//! is sound. The fast path (`Port::rx_burst`, `Port::tx_burst`, `Mbuf`
//! accessors) allocates nothing and takes no locks.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod eal;
mod error;
pub mod lcore;
pub mod mbuf;
pub mod mempool;
pub mod pcap;
pub mod port;

pub use dpdk_sys as sys;
pub use eal::{Eal, EalConfig};
pub use error::{Error, Result};
pub use lcore::StopFlag;
pub use mbuf::{Burst, Mbuf, MbufMeta, BURST_SIZE};
pub use mempool::Mempool;
pub use port::{Link, Port, PortCaps, PortConfig, PortDevice, PortStats, RxQueue, TxQueue};
