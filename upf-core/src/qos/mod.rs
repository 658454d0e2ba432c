//! QoS enforcement state: the meters behind QERs.

mod meter;

pub use meter::{Color, Meter, MeterConfig};
