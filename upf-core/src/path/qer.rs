//! Stage 4: QoS enforcement (TS 29.244 §5.2.2): the gates of every QER of
//! the PDR, and their meters (MBR as the peak rate, GBR as the committed
//! rate), in order. Gates are checked first; meters are applied last, once
//! nothing else can refuse the packet, so a packet dropped for another
//! reason does not consume rate. The compiled PDR carries its QERs' gates,
//! meters and marking inline.

use crate::compile::CompiledPdr;
use crate::counters::DropReason;
use crate::qos::Color;

/// Checks the gates of the PDR's QERs (for the PDR's direction).
#[inline]
pub(crate) fn enforce(pdr: &CompiledPdr) -> Result<(), DropReason> {
    if pdr.gate_closed {
        Err(DropReason::GateClosed)
    } else {
        Ok(())
    }
}

/// Meters a packet of `bytes` through the PDR's QERs in order (the
/// session-AMBR QER and the flow QER alike; the meters of the PDR's
/// direction). Red at any of them drops it; the color returned is the one
/// the egress scheduler uses.
#[inline(always)]
pub(crate) fn meter(pdr: &CompiledPdr, bytes: usize, now_ns: u64) -> Result<Color, DropReason> {
    let meters: &[_] = &pdr.meters;
    // Green (within a guaranteed bit rate) when some QER with a GBR finds
    // it so, whatever the order of the QERs (QERs without a GBR say
    // yellow).
    let mut color = Color::Yellow;
    for m in meters {
        match m.color(bytes as u64, now_ns) {
            Color::Red => return Err(DropReason::MeterRed),
            Color::Green => color = Color::Green,
            Color::Yellow => {}
        }
    }
    Ok(color)
}

/// The QoS marking for a packet sent into a tunnel: QFI, RQI and PPI from
/// the first QER that sets a QFI (the flow QER; the session-AMBR QER sets
/// none), else the QFI the packet arrived with, else the PDR's.
#[inline]
pub(crate) fn marking(
    pdr: &CompiledPdr,
    arrived_qfi: Option<u8>,
) -> Option<(u8, bool, Option<u8>)> {
    pdr.marking
        .or_else(|| arrived_qfi.or(pdr.qfi).map(|q| (q, false, None)))
}
