//! Stage 4: QoS enforcement (TS 29.244 §5.2.2): the gates of every QER of
//! the PDR, in order, and their meters (MBR as the peak rate, GBR as the
//! committed rate). Gates are checked first; meters are applied last, once
//! nothing else can refuse the packet, so a packet dropped for another
//! reason does not consume rate.

use crate::compile::{CompiledPdr, SessionRules};
use crate::counters::DropReason;
use crate::qos::Color;

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

/// Meters a packet of `bytes` through the PDR's QERs in order (the
/// session-AMBR QER and the flow QER alike). Red at any of them drops it.
#[inline]
pub(crate) fn meter(
    rules: &SessionRules,
    pdr: &CompiledPdr,
    uplink: bool,
    bytes: usize,
    now_ns: u64,
) -> Result<Color, DropReason> {
    let mut color = Color::Yellow;
    for &q in pdr.qers.iter() {
        let Some(qer) = rules.qers.get(usize::from(q)) else {
            continue;
        };
        let m = if uplink { &qer.ul_meter } else { &qer.dl_meter };
        if let Some(m) = m {
            match m.color(bytes as u64, now_ns) {
                Color::Red => return Err(DropReason::MeterRed),
                c => color = c,
            }
        }
    }
    Ok(color)
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
