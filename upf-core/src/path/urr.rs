//! Stage 5: usage counting (TS 29.244 §5.2.2): every URR of the PDR counts
//! the forwarded packet, by direction. Volumes are the size of the user
//! packet, without the GTP-U/UDP/IP tunnel header.

use crate::compile::{CompiledPdr, SessionRules};
use crate::counters::DropReason;

/// Takes the packet from the volume quota of every URR of `pdr` (TS 29.244
/// §5.2.2.2.1: forwarding stops when a quota is used up).
#[inline]
pub(crate) fn admit(
    rules: &SessionRules,
    pdr: &CompiledPdr,
    uplink: bool,
    bytes: usize,
) -> Result<(), DropReason> {
    for &u in pdr.urrs.iter() {
        if let Some(urr) = rules.urrs.get(usize::from(u)) {
            if !urr.counters.admit(uplink, bytes as u64) {
                return Err(DropReason::QuotaExhausted);
            }
        }
    }
    Ok(())
}

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
