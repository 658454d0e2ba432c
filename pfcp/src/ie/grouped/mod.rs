//! Grouped IEs (§7.5 and §7.4 tables), one file per family.
//!
//! Each is a struct of its known children in the order of the spec's
//! table: mandatory children as `T`, conditional and optional ones as
//! `Option<T>`, repeatable ones as `Vec<T>`, and `unknown: Vec<RawIe>` for
//! everything else (children of later releases, vendor IEs, and repeated
//! single-instance children). Nesting depth is fixed by these types, so
//! decoding recursion is bounded whatever the input.

pub mod bar;
pub mod far;
pub mod node;
pub mod pdr;
pub mod pfd;
pub mod qer;
pub mod report;
pub mod traffic_endpoint;
pub mod urr;
pub mod usage_report;

pub use bar::*;
pub use far::*;
pub use node::*;
pub use pdr::*;
pub use pfd::*;
pub use qer::*;
pub use report::*;
pub use traffic_endpoint::*;
pub use urr::*;
pub use usage_report::*;
