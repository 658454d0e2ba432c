//! Load generator and benchmark harness for the UPF.
//!
//! Pure parts (no DPDK, unit-tested):
//! - [`traffic`]: sessions, uplink GTP-U / downlink IP frames, sizes and
//!   IMIX, the payload stamp, pacing.
//! - [`check`]: the receiver's validator (is an emitted frame right?).
//! - [`latency`]: hdrhistogram percentiles and CDFs.
//! - [`svg`]: hand-written SVG line charts.
//! - [`report`]: JSON and Markdown results.
//! - [`pfcp_load`]: PFCP session establishment load over UDP.
//!
//! On DPDK (through the `dataplane` crate):
//! - [`gen`]: the packet loop: paced TX from templates, RX, validation,
//!   latency.
//! - [`upf`]: the UPF under test in-process: sessions compiled from
//!   [`traffic::Sessions`] and a [`dataplane::Dataplane`] over vdevs.
//! - [`testpmd`]: the `dpdk-testpmd --forward-mode=io` baseline.
#![forbid(unsafe_code)]

pub mod check;
pub mod gen;
pub mod latency;
pub mod pfcp_load;
pub mod report;
pub mod svg;
pub mod testpmd;
pub mod traffic;
pub mod upf;
