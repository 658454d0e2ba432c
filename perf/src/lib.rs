//! Load generator and benchmark harness.
#![forbid(unsafe_code)]
