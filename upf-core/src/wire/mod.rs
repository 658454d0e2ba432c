//! Packet views (placeholder: being written).
