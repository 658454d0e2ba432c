//! Stage 5: usage counting (TS 29.244 §5.2.2): every URR of the PDR counts
//! the forwarded packet, by direction. Volumes are the size of the user
//! packet, without the GTP-U/UDP/IP tunnel header. A URR's volume quota is
//! taken first: forwarding stops when it is used up (§5.2.2.2.1).

use crate::compile::CompiledPdr;
use crate::counters::DropReason;

/// Takes the packet from the volume quota of every URR of `pdr`.
#[inline]
pub(crate) fn admit(pdr: &CompiledPdr, uplink: bool, bytes: usize) -> Result<(), DropReason> {
    for u in pdr.usage.iter() {
        if !u.admit(uplink, bytes as u64) {
            return Err(DropReason::QuotaExhausted);
        }
    }
    Ok(())
}

/// [`admit`], then every URR of `pdr` counts the packet: the common PDR whose URRs have no quota
/// reads each URR's flag and counts, in one pass.
#[inline(always)]
pub(crate) fn admit_and_count(
    pdr: &CompiledPdr,
    uplink: bool,
    bytes: usize,
    now_ns: u64,
) -> Result<(), DropReason> {
    let usage: &[_] = &pdr.usage;
    if let [u] = usage {
        // The usual single URR.
        if u.limited() && !u.admit(uplink, bytes as u64) {
            return Err(DropReason::QuotaExhausted);
        }
        u.count(uplink, bytes as u64, now_ns);
        return Ok(());
    }
    if usage.iter().any(|u| u.limited()) {
        admit(pdr, uplink, bytes)?;
    }
    for u in usage {
        u.count(uplink, bytes as u64, now_ns);
    }
    Ok(())
}
