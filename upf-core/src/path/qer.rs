//! Stage 4: QoS enforcement (TS 29.244 §5.2.2): the gates of every QER of
//! the PDR, in order. Metering (MBR/GBR) is applied at this point too.

use crate::compile::{CompiledPdr, SessionRules};
use crate::counters::DropReason;

/// Checks the PDR's QERs for a packet in direction `uplink`.
#[inline]
pub(crate) fn enforce(
    rules: &SessionRules,
    pdr: &CompiledPdr,
    uplink: bool,
) -> Result<(), DropReason> {
    for &q in pdr.qers.iter() {
        let Some(qer) = rules.qers.get(usize::from(q)) else {
            continue;
        };
        let closed = if uplink { qer.ul_closed } else { qer.dl_closed };
        if closed {
            return Err(DropReason::GateClosed);
        }
    }
    Ok(())
}

/// The QoS marking for a packet sent into a tunnel: QFI, RQI and PPI from
/// the first QER that sets a QFI (the flow QER; the session-AMBR QER sets
/// none), else the QFI the packet arrived with, else the PDR's.
#[inline]
pub(crate) fn marking(
    rules: &SessionRules,
    pdr: &CompiledPdr,
    arrived_qfi: Option<u8>,
) -> Option<(u8, bool, Option<u8>)> {
    for &q in pdr.qers.iter() {
        if let Some(qer) = rules.qers.get(usize::from(q)) {
            if let Some(qfi) = qer.qfi {
                return Some((qfi, qer.rqi, qer.ppi));
            }
        }
    }
    arrived_qfi.or(pdr.qfi).map(|q| (q, false, None))
}
