//! PFCP (TS 29.244) codec and sans-IO N4 node.
#![forbid(unsafe_code)]
