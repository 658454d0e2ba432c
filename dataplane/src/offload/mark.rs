//! The MARK value of offloaded rules, the table workers resolve it with, and
//! reading it from a received mbuf.
//!
//! # Encoding
//!
//! A mark is 24 bits (what every NIC in `OFFLOAD.md` carries; mlx5 in its
//! default metadata mode has 24-bit marks and reserves `0xffffff`):
//!
//! ```text
//!  23      20 19                                0
//! +----------+-----------------------------------+
//! |   gen    |              slot                 |
//! +----------+-----------------------------------+
//! ```
//!
//! `slot` (1..=[`MAX_SLOT`]) indexes the [`MarkTable`]; slot 0 and the all-ones
//! slot are never used, so no mark is 0 or `0xffffff`. `gen` (4 bits) is
//! the slot's generation, bumped each time the slot is given to another
//! session, so a mark set by a rule of a previous owner does not resolve.
//!
//! # What a mark is worth
//!
//! A mark is a hint, never an authority. Between the control side
//! destroying a rule and the worker seeing the session change, packets the
//! old rule marked are still in RX rings; a session may also change its
//! TEIDs or addresses while keeping its slot. A worker that uses a mark
//! must therefore:
//! 1. resolve it with [`MarkTable::resolve`] (stale generations and free
//!    slots give `None`);
//! 2. find the session by that SEID in *its own* tables (the one version it
//!    applies to the packet), and
//! 3. check with [`rules_own`] that this version still owns the packet's
//!    key (for plain IP only host keys are exact: a /32 or /128; a shorter
//!    prefix could be beaten by a longer one of another session).
//!
//! When any step fails it does the normal lookup. The result is then the
//! same as without offload, by construction.
#![deny(unsafe_code)]

use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

use upf_core::compile::SessionRules;

use crate::mbuf::Mbuf;
use crate::steer::LookupKey;

/// Bits of the slot.
pub const SLOT_BITS: u32 = 20;
/// Bits of the generation.
pub const GEN_BITS: u32 = 4;
/// The largest slot.
pub const MAX_SLOT: u32 = (1 << SLOT_BITS) - 2;
const GEN_MASK: u8 = (1 << GEN_BITS) - 1;

/// A decoded mark: a [`MarkTable`] slot and its generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OffloadMark {
    slot: u32,
    gen: u8,
}

impl OffloadMark {
    /// A mark for `slot` (1..=[`MAX_SLOT`]) and generation `gen` (taken
    /// modulo 16); `None` for a slot out of range.
    pub fn new(slot: u32, gen: u8) -> Option<Self> {
        (1..=MAX_SLOT).contains(&slot).then_some(OffloadMark {
            slot,
            gen: gen & GEN_MASK,
        })
    }

    /// The slot.
    pub fn slot(self) -> u32 {
        self.slot
    }

    /// The generation.
    pub fn gen(self) -> u8 {
        self.gen
    }

    /// The 32-bit MARK id.
    pub fn encode(self) -> u32 {
        (u32::from(self.gen) << SLOT_BITS) | self.slot
    }

    /// The mark of a MARK id; `None` for ids this encoding never produces.
    #[inline]
    pub fn decode(id: u32) -> Option<Self> {
        if id >> (SLOT_BITS + GEN_BITS) != 0 {
            return None;
        }
        Self::new(id & ((1 << SLOT_BITS) - 1), (id >> SLOT_BITS) as u8)
    }
}

/// `tag` of a slot that holds a session: bit 8 set, generation below.
const VALID: u32 = 1 << 8;

#[derive(Debug, Default)]
struct Slot {
    /// 0 while free or being written; `VALID | gen` while it holds `seid`.
    tag: AtomicU32,
    seid: AtomicU64,
}

/// Mark → SEID, written by the control side, read by workers without locks
/// (a per-slot sequence check: a reader that races a writer gets `None`
/// and does the normal lookup).
#[derive(Debug)]
pub struct MarkTable {
    slots: Box<[Slot]>,
}

impl MarkTable {
    /// A table for slots `1..=capacity` (at most [`MAX_SLOT`]).
    pub fn new(capacity: usize) -> Self {
        let n = capacity.min(MAX_SLOT as usize) + 1;
        MarkTable {
            slots: (0..n).map(|_| Slot::default()).collect(),
        }
    }

    /// The largest slot.
    pub fn capacity(&self) -> usize {
        self.slots.len() - 1
    }

    /// The SEID a MARK id stands for now, if it is current.
    #[inline]
    pub fn resolve(&self, id: u32) -> Option<u64> {
        let m = OffloadMark::decode(id)?;
        let s = self.slots.get(m.slot as usize)?;
        let want = VALID | u32::from(m.gen);
        if s.tag.load(Ordering::Acquire) != want {
            return None;
        }
        let seid = s.seid.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        (s.tag.load(Ordering::Relaxed) == want).then_some(seid)
    }

    /// Points `mark`'s slot at `seid` (control side only).
    pub fn publish(&self, mark: OffloadMark, seid: u64) {
        let s = &self.slots[mark.slot as usize];
        s.tag.store(0, Ordering::Relaxed);
        fence(Ordering::Release);
        s.seid.store(seid, Ordering::Relaxed);
        s.tag.store(VALID | u32::from(mark.gen), Ordering::Release);
    }

    /// Empties `mark`'s slot (control side only).
    pub fn clear(&self, mark: OffloadMark) {
        if let Some(s) = self.slots.get(mark.slot as usize) {
            s.tag.store(0, Ordering::Release);
        }
    }
}

/// Whether this version of a session owns `key` exactly, so that a mark
/// naming it may stand in for the lookup (see the module docs).
#[inline]
pub fn rules_own(rules: &SessionRules, key: &LookupKey) -> bool {
    match *key {
        LookupKey::Tunnel(teid, addr) => rules
            .tunnel_keys_repeated()
            .any(|k| k.teid == teid && k.addr == addr),
        LookupKey::V4(a) => rules.ue_v4_repeated().any(|(u, l)| l == 32 && u == a),
        LookupKey::V6(a) => rules.ue_v6_repeated().any(|(u, l)| l == 128 && u == a),
    }
}

/// The MARK id the NIC set on a received packet (`RTE_MBUF_F_RX_FDIR_ID` in
/// `ol_flags`, the id in `hash.fdir.hi`), or `None`.
#[inline]
pub fn mark_of(m: &Mbuf) -> Option<u32> {
    const FDIR_ID: u64 = dpdk_sys::RTE_MBUF_F_RX_FDIR_ID as u64;
    if m.ol_flags() & FDIR_ID == 0 {
        return None;
    }
    // SAFETY: `m` owns a valid mbuf and the shared borrow keeps it from
    // being written through this handle; `hash` is a union of plain
    // integers, so reading `fdir.hi` is defined whatever was stored. The
    // field path is checked against the C compiler's by the test of
    // `rte_mbuf_fdir_hi_` in `tests/offload_vdev.rs`.
    #[allow(unsafe_code)]
    let hi = unsafe { (*m.as_ptr()).__bindgen_anon_2.hash.fdir.hi };
    Some(hi)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn encode_decode() {
        let m = OffloadMark::new(0x12345, 0x1f).unwrap();
        assert_eq!(m.gen(), 0xf);
        assert_eq!(m.encode(), 0xf1_2345);
        assert_eq!(OffloadMark::decode(0xf1_2345), Some(m));
        assert_eq!(OffloadMark::new(0, 1), None, "slot 0 is never used");
        assert_eq!(OffloadMark::new(MAX_SLOT + 1, 1), None);
        assert_eq!(OffloadMark::decode(0), None);
        assert_eq!(OffloadMark::decode(0xff_ffff), None, "mlx5's default");
        assert_eq!(OffloadMark::decode(0x100_0001), None, "over 24 bits");
        for slot in [1, 2, 1000, MAX_SLOT] {
            for gen in 0..16 {
                let m = OffloadMark::new(slot, gen).unwrap();
                assert!(m.encode() < 0xff_ffff && m.encode() != 0);
                assert_eq!(OffloadMark::decode(m.encode()), Some(m));
            }
        }
    }

    #[test]
    fn table_resolves_current_marks_only() {
        let t = MarkTable::new(8);
        assert_eq!(t.capacity(), 8);
        let a = OffloadMark::new(3, 1).unwrap();
        assert_eq!(t.resolve(a.encode()), None, "empty slot");
        t.publish(a, 77);
        assert_eq!(t.resolve(a.encode()), Some(77));
        // The slot goes to another session with the next generation: the
        // old mark is stale.
        t.clear(a);
        assert_eq!(t.resolve(a.encode()), None);
        let b = OffloadMark::new(3, 2).unwrap();
        t.publish(b, 78);
        assert_eq!(t.resolve(a.encode()), None);
        assert_eq!(t.resolve(b.encode()), Some(78));
        // Out of the table.
        assert_eq!(t.resolve(OffloadMark::new(9, 0).unwrap().encode()), None);
        assert_eq!(t.resolve(0xff_ffff), None);
    }

    #[test]
    fn readers_never_see_a_torn_entry() {
        use std::sync::Arc;
        let t = Arc::new(MarkTable::new(4));
        let m = OffloadMark::new(1, 0).unwrap();
        t.publish(m, 0);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let r = {
            let (t, stop) = (t.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if let Some(s) = t.resolve(m.encode()) {
                        // The writer only ever stores even SEIDs with this
                        // generation.
                        assert_eq!(s % 2, 0);
                        seen += 1;
                    }
                }
                seen
            })
        };
        for i in 0..20_000u64 {
            t.publish(m, i * 2);
            t.publish(OffloadMark::new(1, 5).unwrap(), i * 2 + 1);
        }
        t.publish(m, 2);
        stop.store(true, Ordering::Relaxed);
        r.join().unwrap();
    }
}
