//! Stage 5: usage counting (TS 29.244 §5.2.2): every URR of the PDR counts
//! the forwarded packet, by direction. Volumes are the size of the user
//! packet, without the GTP-U/UDP/IP tunnel header.

use crate::compile::{CompiledPdr, SessionRules};

/// Counts a packet of `bytes` for every URR of `pdr`.
#[inline]
pub(crate) fn count(
    rules: &SessionRules,
    pdr: &CompiledPdr,
    uplink: bool,
    bytes: usize,
    now_ns: u64,
) {
    for &u in pdr.urrs.iter() {
        if let Some(urr) = rules.urrs.get(usize::from(u)) {
            urr.counters.count(uplink, bytes as u64, now_ns);
        }
    }
}
