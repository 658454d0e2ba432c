//! QoS enforcement: the meters behind QERs and the egress scheduler.

mod meter;
mod sched;

pub use meter::{Color, Meter, MeterConfig};
pub use sched::{
    class_of_level, ClassMap, ResourceType, SchedConfig, Scheduler, CLASSES,
    DEFAULT_PRIORITY_LEVEL, STANDARD_5QI,
};
