//! The user-plane core of the UPF: packet views, the PFCP rule model, SDF
//! filters, compiled per-session rules and the per-packet processing path.
//!
//! Nothing here depends on DPDK: the packet path works on [`buf::PacketBuf`]
//! and takes `now` as an argument, so it is tested on byte buffers and driven
//! on mbufs by the dataplane crate.
#![forbid(unsafe_code)]

pub mod buf;
pub mod compile;
pub mod counters;
pub mod intern;
pub mod lab;
pub mod path;
pub mod publish;
pub mod qos;
pub mod rules;
pub mod sdf;
pub mod tables;
pub mod usage;
pub mod wire;
