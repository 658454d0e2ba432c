//! QoS enforcement: the meters behind QERs and the egress scheduler.

mod meter;
mod sched;

pub use meter::{Color, Meter, MeterConfig};
pub use sched::{
    class_of_level, ClassMap, ResourceType, SchedConfig, Scheduler, Ticket, CLASSES,
    DEFAULT_PRIORITY_LEVEL, GUARANTEED_QUEUE, QUEUES, STANDARD_5QI,
};
