//! The UPF service: configuration, Kubernetes discovery, the state seam the
//! management API and metrics read from, the gRPC management API, the
//! metrics/health endpoint, and the `upf run` wiring. The `upf` binary
//! (`src/main.rs`) is a thin command-line layer over this library.
#![forbid(unsafe_code)]

pub mod config;
pub mod ctl;
pub mod grpc;
pub mod http;
pub mod k8s;
pub mod live;
pub mod metrics;
pub mod run;
pub mod smf;
pub mod state;
pub mod types;
pub mod wiring;
