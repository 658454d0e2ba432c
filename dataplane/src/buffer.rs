//! Downlink buffering (TS 29.244 §5.2.3, BAR §5.2.6): the packets a FAR
//! with BUFF holds, per worker, until the SMF tells what to do with them.
//!
//! [`BufferStore`] is allocated once when the worker is built and never
//! grows:
//! - a slab of packet slots (mbuf and ingress port index), each session's
//!   packets linked in arrival order, free slots on a free list;
//! - an open-addressing map (linear probing, backward-shift deletion) from
//!   SEID to the session's *episode*: its list, the rules version it was
//!   buffered under, its limit and whether the control side was told.
//!
//! An episode starts with the first buffered packet of a session on this
//! worker and ends when the session's rules stop buffering (or the session
//! goes). The worker side ([`Worker`]'s methods below):
//! - a `Buffer` verdict keeps the frame (as received) in the store, or
//!   drops it (`buffer_full`) when the session's limit (the BAR's Suggested
//!   Buffering Packets Count, else the configured default) or the store is
//!   full; with NOCP, the first packet of an episode queues a notice for
//!   the control thread, which passes it on as a Downlink Data Report event
//!   (the packet itself stays here);
//! - after a rule drain that applied updates, every buffered session whose
//!   rules changed runs its packets again, in order, through the normal
//!   path with the new rules, and the TX bursts are flushed before the next
//!   RX burst: buffered packets leave before later ones. Packets the new
//!   rules still buffer stay, in order; a removed session's packets are
//!   dropped (`buffer_discarded`), as is everything left at a clean stop.
//!
//! Counting: a buffered packet is not `to_control`; a released packet is
//! received once (`rx` is taken back for the second pass) and buffered
//! once; URRs count it when it is forwarded.
//! No allocation, lock or panic on any of these paths.
#![forbid(unsafe_code)]

use std::sync::atomic::Ordering;
use std::sync::Arc;

use upf_core::compile::{FarAction, SessionRules};
use upf_core::counters::{DropReason, Stat};
use upf_core::path::ControlEvent;

use crate::mbuf::{free_bulk, Burst, Mbuf};
use crate::worker::{push_drop, Worker};

/// End of a slot list.
const NIL: u32 = u32::MAX;

/// A buffering episode of one session.
#[derive(Debug, Clone, Copy)]
struct Episode {
    seid: u64,
    /// The rules version (`Arc::as_ptr`) the packets were buffered under;
    /// only compared, never dereferenced.
    version: usize,
    head: u32,
    tail: u32,
    count: u32,
    used: bool,
    /// The control side was told of this episode.
    notified: bool,
}

const EMPTY: Episode = Episode {
    seid: 0,
    version: 0,
    head: NIL,
    tail: NIL,
    count: 0,
    used: false,
    notified: false,
};

/// Packets taken out of an episode, to be popped in order.
#[derive(Debug)]
pub(crate) struct Chain {
    head: u32,
    len: u32,
}

impl Chain {
    /// Packets left.
    pub fn len(&self) -> usize {
        self.len as usize
    }
}

/// A worker's buffered packets (`P`: [`Mbuf`] in the worker), by session.
pub(crate) struct BufferStore<P = Mbuf> {
    mbufs: Box<[Option<P>]>,
    ports: Box<[u8]>,
    next: Box<[u32]>,
    free: u32,
    len: usize,
    map: Box<[Episode]>,
    mask: usize,
    episodes: usize,
    max_episodes: usize,
    per_session: u32,
}

impl<P> std::fmt::Debug for BufferStore<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferStore")
            .field("packets", &self.len)
            .field("capacity", &self.mbufs.len())
            .field("episodes", &self.episodes)
            .finish_non_exhaustive()
    }
}

impl<P> BufferStore<P> {
    /// Room for `packets` packets in all, `per_session` per session unless
    /// the BAR says otherwise (0: nothing is kept), and `sessions` sessions
    /// buffering at once.
    pub fn new(packets: usize, per_session: u32, sessions: usize) -> Self {
        let packets = packets.min(NIL as usize);
        let max_episodes = sessions.max(1);
        // At most half full: short probe sequences.
        let slots = (max_episodes * 2).next_power_of_two();
        BufferStore {
            mbufs: (0..packets).map(|_| None).collect(),
            ports: vec![0; packets].into_boxed_slice(),
            next: (0..packets)
                .map(|i| if i + 1 < packets { i as u32 + 1 } else { NIL })
                .collect(),
            free: if packets > 0 { 0 } else { NIL },
            len: 0,
            map: vec![EMPTY; slots].into_boxed_slice(),
            mask: slots - 1,
            episodes: 0,
            max_episodes,
            per_session,
        }
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No episode open (and so no packet held).
    pub fn is_empty(&self) -> bool {
        self.episodes == 0
    }

    /// Episodes open.
    #[cfg(test)]
    pub fn episodes(&self) -> usize {
        self.episodes
    }

    /// The limit for a session whose BAR suggests `suggested` packets.
    pub fn limit(&self, suggested: Option<u16>) -> u32 {
        if self.per_session == 0 {
            0
        } else {
            suggested.map_or(self.per_session, u32::from)
        }
    }

    #[inline]
    fn home(&self, seid: u64) -> usize {
        (seid.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize & self.mask
    }

    /// The position of `seid`'s episode.
    pub fn find(&self, seid: u64) -> Option<usize> {
        let mut i = self.home(seid);
        loop {
            let e = self.map.get(i)?;
            if !e.used {
                return None;
            }
            if e.seid == seid {
                return Some(i);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The episode of `seid`, opened (under rules `version`) if there is
    /// none; `None` when the map is full.
    pub fn open(&mut self, seid: u64, version: usize) -> Option<usize> {
        let mut i = self.home(seid);
        loop {
            let e = self.map.get_mut(i)?;
            if !e.used {
                if self.episodes >= self.max_episodes {
                    return None;
                }
                *e = Episode {
                    seid,
                    version,
                    used: true,
                    ..EMPTY
                };
                self.episodes += 1;
                return Some(i);
            }
            if e.seid == seid {
                return Some(i);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Whether the control side was told of the episode at `pos`.
    pub fn notified(&self, pos: usize) -> bool {
        self.map.get(pos).is_some_and(|e| e.notified)
    }

    /// Records that the control side was told.
    pub fn set_notified(&mut self, pos: usize) {
        if let Some(e) = self.map.get_mut(pos) {
            e.notified = true;
        }
    }

    /// Packets in the episode at `pos`.
    pub fn count(&self, pos: usize) -> usize {
        self.map.get(pos).map_or(0, |e| e.count as usize)
    }

    /// Records the rules version the episode at `pos` now runs under.
    pub fn set_version(&mut self, pos: usize, version: usize) {
        if let Some(e) = self.map.get_mut(pos) {
            e.version = version;
        }
    }

    /// Appends a packet (that arrived on port index `port`) to the episode
    /// at `pos`, unless it holds `limit` packets already or the store is
    /// full: then the packet comes back.
    pub fn push(&mut self, pos: usize, m: P, port: u8, limit: u32) -> Result<(), P> {
        let slot = self.free;
        let Some(e) = self.map.get_mut(pos).filter(|e| e.used) else {
            return Err(m);
        };
        if e.count >= limit {
            return Err(m);
        }
        let s = slot as usize;
        let (Some(mb), Some(p), Some(&after)) = (
            self.mbufs.get_mut(s),
            self.ports.get_mut(s),
            self.next.get(s),
        ) else {
            return Err(m);
        };
        *mb = Some(m);
        *p = port;
        self.free = after;
        if let Some(n) = self.next.get_mut(s) {
            *n = NIL;
        }
        match self.next.get_mut(e.tail as usize) {
            Some(n) if e.count > 0 => *n = slot,
            _ => e.head = slot,
        }
        e.tail = slot;
        e.count += 1;
        self.len += 1;
        Ok(())
    }

    /// Takes the packets out of the episode at `pos` (which stays open,
    /// empty).
    pub fn take(&mut self, pos: usize) -> Chain {
        match self.map.get_mut(pos).filter(|e| e.used) {
            Some(e) => {
                let c = Chain {
                    head: e.head,
                    len: e.count,
                };
                e.head = NIL;
                e.tail = NIL;
                e.count = 0;
                c
            }
            None => Chain { head: NIL, len: 0 },
        }
    }

    /// The next packet of `chain` and the port index it arrived on.
    pub fn pop(&mut self, chain: &mut Chain) -> Option<(P, u8)> {
        if chain.len == 0 {
            return None;
        }
        let s = chain.head as usize;
        let m = self.mbufs.get_mut(s)?.take()?;
        let port = self.ports.get(s).copied().unwrap_or(0);
        let n = self.next.get_mut(s)?;
        chain.head = *n;
        chain.len -= 1;
        *n = self.free;
        self.free = s as u32;
        self.len -= 1;
        Some((m, port))
    }

    /// Closes the episode at `pos`; its packets must have been taken.
    pub fn close(&mut self, pos: usize) {
        if !self.map.get(pos).is_some_and(|e| e.used) {
            return;
        }
        debug_assert_eq!(self.count(pos), 0, "packets taken first");
        self.episodes -= 1;
        // Backward-shift deletion: move later members of the probe run
        // into the hole when their home allows it.
        let mut hole = pos;
        let mut i = (pos + 1) & self.mask;
        while let Some(&e) = self.map.get(i).filter(|e| e.used) {
            let home = self.home(e.seid);
            // `e` may move to `hole` if `hole` lies on its probe path,
            // i.e. cyclically in [home, i).
            let dist_hole = hole.wrapping_sub(home) & self.mask;
            let dist_i = i.wrapping_sub(home) & self.mask;
            if dist_hole < dist_i {
                if let Some(h) = self.map.get_mut(hole) {
                    *h = e;
                }
                hole = i;
            }
            i = (i + 1) & self.mask;
        }
        if let Some(h) = self.map.get_mut(hole) {
            *h = EMPTY;
        }
    }

    /// Appends to `out` (up to its capacity) the SEIDs of the episodes
    /// whose rules version is no longer `current(seid)`.
    pub fn changed(&self, out: &mut Vec<u64>, mut current: impl FnMut(u64) -> usize) {
        for e in self.map.iter().filter(|e| e.used) {
            if out.len() == out.capacity() {
                return;
            }
            if current(e.seid) != e.version {
                out.push(e.seid);
            }
        }
    }

    /// Takes out every packet (to `out`) and closes every episode; returns
    /// how many packets there were.
    pub fn clear(&mut self, mut out: impl FnMut(P)) -> usize {
        let mut n = 0;
        for pos in 0..self.map.len() {
            if !self.map.get(pos).is_some_and(|e| e.used) {
                continue;
            }
            let mut c = self.take(pos);
            while let Some((m, _)) = self.pop(&mut c) {
                out(m);
                n += 1;
            }
            if let Some(e) = self.map.get_mut(pos) {
                *e = EMPTY;
            }
        }
        self.episodes = 0;
        n
    }
}

/// A Downlink Data Report request for the control thread: the first packet
/// of a buffering episode with NOCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferNotice {
    /// The path's `Buffer` event for the packet.
    pub event: ControlEvent,
    /// Ethdev port the packet arrived on.
    pub port_id: u16,
}

/// Identifies a rules version without keeping it alive.
#[inline]
fn version_of(rules: Option<&Arc<SessionRules>>) -> usize {
    rules.map_or(0, |r| Arc::as_ptr(r) as usize)
}

/// Whether any FAR of `rules` buffers.
fn buffers(rules: &SessionRules) -> bool {
    rules
        .fars
        .iter()
        .any(|f| matches!(f.action, FarAction::Buffer { .. }))
}

impl Worker {
    /// A packet the FAR buffers (`event` is the path's `Buffer` event for
    /// it, of session `seid` and PDR `pdr_id`): kept in the store, or
    /// dropped when there is no room; the control side hears of the
    /// episode's first one when `notify`.
    #[cold]
    pub(crate) fn buffer_packet(
        &mut self,
        m: Mbuf,
        port_idx: usize,
        event: ControlEvent,
        drops: &mut Burst,
    ) {
        let ControlEvent::Buffer {
            seid,
            pdr_id,
            notify,
            ..
        } = event
        else {
            self.send_to_control(m, event);
            return;
        };
        if self.buffer_replaying {
            // Buffered again on release: counted once.
            self.state.counters.uncount(Stat::Buffered);
        }
        let rules = self.tables.session(seid);
        let suggested = rules
            .and_then(|r| r.pdrs.iter().find(|p| p.id == pdr_id))
            .and_then(|p| match &p.action {
                Some(FarAction::Buffer { bar, .. }) => {
                    bar.and_then(|b| b.suggested_buffering_packets)
                }
                _ => None,
            });
        let limit = self.buffer.limit(suggested);
        let version = version_of(rules);
        let port_id = m.port();
        let pos = self.buffer.open(seid, version);
        if notify && !pos.is_some_and(|p| self.buffer.notified(p)) {
            let notice = BufferNotice { event, port_id };
            if self.buffer_notices.push(notice).is_ok() {
                if let Some(p) = pos {
                    self.buffer.set_notified(p);
                }
            } else {
                // Tried again with the next packet.
                self.shared.buffer_notices_dropped.inc();
            }
        }
        let kept = match (pos, u8::try_from(port_idx)) {
            (Some(p), Ok(port)) => self.buffer.push(p, m, port, limit),
            _ => Err(m),
        };
        if let Err(m) = kept {
            self.state.counters.drop(DropReason::BufferFull);
            push_drop(drops, m);
        }
    }

    /// After rule updates: the buffered packets of every session whose
    /// rules changed go through the path again, in order, and out before
    /// anything received later.
    pub(crate) fn release_buffered(&mut self, now: u64, drops: &mut Burst) {
        if self.buffer.is_empty() {
            return;
        }
        let mut seids = std::mem::take(&mut self.buffer_scratch);
        seids.clear();
        let tables = &self.tables;
        self.buffer
            .changed(&mut seids, |seid| version_of(tables.session(seid)));
        let mut released = 0u64;
        for &seid in &seids {
            let Some(pos) = self.buffer.find(seid) else {
                continue;
            };
            let rules = self.tables.session(seid);
            let still = rules.is_some_and(|r| buffers(r));
            let gone = rules.is_none();
            let version = version_of(rules);
            self.buffer.set_version(pos, version);
            let mut chain = self.buffer.take(pos);
            if !still {
                // The episode ends; a later BUFF starts a new one.
                self.buffer.close(pos);
            }
            if gone {
                self.state
                    .counters
                    .drops_n(DropReason::BufferDiscarded, chain.len() as u64);
                while let Some((m, _)) = self.buffer.pop(&mut chain) {
                    push_drop(drops, m);
                }
                continue;
            }
            self.buffer_replaying = true;
            while let Some((m, port)) = self.buffer.pop(&mut chain) {
                // The path counts it as received again.
                self.state.counters.uncount(Stat::Rx);
                released += 1;
                self.handle(m, usize::from(port), now, drops);
            }
            self.buffer_replaying = false;
        }
        self.buffer_scratch = seids;
        if released > 0 {
            self.shared.buffer_released.add(released);
            for p in 0..self.tx.len() {
                self.flush_tx(p, drops);
            }
        }
        free_bulk(drops);
        self.shared
            .buffered
            .store(self.buffer.len() as u64, Ordering::Relaxed);
    }

    /// At a stop: everything still buffered is dropped.
    pub(crate) fn discard_buffered(&mut self, drops: &mut Burst) {
        let n = self.buffer.clear(|m| push_drop(drops, m));
        self.state
            .counters
            .drops_n(DropReason::BufferDiscarded, n as u64);
        free_bulk(drops);
        self.shared.buffered.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    // Plain values stand in for mbufs (which need EAL); the worker's use
    // is tested through the poll loop in `tests/buffering.rs`.
    type Store = BufferStore<u32>;

    fn drain(s: &mut Store, seid: u64) -> Vec<(u32, u8)> {
        let pos = s.find(seid).unwrap();
        let mut c = s.take(pos);
        let mut v = Vec::new();
        while let Some(x) = s.pop(&mut c) {
            v.push(x);
        }
        assert_eq!(c.len(), 0);
        v
    }

    #[test]
    fn limits() {
        let s = Store::new(16, 4, 8);
        assert_eq!(s.limit(None), 4);
        assert_eq!(s.limit(Some(10)), 10);
        assert_eq!(s.limit(Some(0)), 0);
        let off = Store::new(16, 0, 8);
        assert_eq!(off.limit(Some(10)), 0, "0 per session disables");
    }

    #[test]
    fn episodes_open_find_close() {
        let mut s = Store::new(0, 4, 8);
        assert!(s.is_empty());
        let mut pos = Vec::new();
        for seid in 1..=8u64 {
            pos.push(s.open(seid, seid as usize * 10).unwrap());
        }
        assert_eq!(s.episodes(), 8);
        assert!(s.open(9, 0).is_none(), "map full");
        assert_eq!(s.open(3, 0), Some(pos[2]), "reopening finds it");
        for seid in 1..=8u64 {
            assert!(s.find(seid).is_some());
        }
        s.set_notified(pos[4]);
        assert!(s.notified(pos[4]));
        s.close(s.find(2).unwrap());
        s.close(s.find(7).unwrap());
        assert_eq!(s.episodes(), 6);
        assert!(s.find(2).is_none() && s.find(7).is_none());
        for seid in [1u64, 3, 4, 5, 6, 8] {
            assert!(s.find(seid).is_some(), "{seid} still found");
        }
        assert!(s.notified(s.find(5).unwrap()), "moved entries keep state");
        let mut out = Vec::with_capacity(8);
        s.changed(
            &mut out,
            |seid| if seid == 4 { 0 } else { seid as usize * 10 },
        );
        assert_eq!(out, [4]);
    }

    #[test]
    fn colliding_seids_delete_cleanly() {
        // Many SEIDs in a small map: every deletion pattern keeps the rest
        // reachable.
        let mut s = Store::new(0, 1, 32);
        for round in 0..4u64 {
            let seids: Vec<u64> = (0..32).map(|i| i * 64 + round).collect();
            for &x in &seids {
                s.open(x, 1).unwrap();
            }
            for (k, &x) in seids.iter().enumerate() {
                if k % 3 != 1 {
                    s.close(s.find(x).unwrap());
                }
            }
            for (k, &x) in seids.iter().enumerate() {
                assert_eq!(s.find(x).is_some(), k % 3 == 1, "{x}");
            }
            for (k, &x) in seids.iter().enumerate() {
                if k % 3 == 1 {
                    s.close(s.find(x).unwrap());
                }
            }
            assert!(s.is_empty());
        }
    }

    #[test]
    fn per_session_limit_and_total() {
        let mut s = Store::new(5, 3, 8);
        let a = s.open(1, 0).unwrap();
        let b = s.open(2, 0).unwrap();
        for i in 0..3 {
            s.push(a, i, 0, 3).unwrap();
        }
        assert_eq!(s.push(a, 99, 0, 3), Err(99), "session limit");
        // A BAR may allow more, but the store holds 5 in all.
        s.push(b, 10, 1, 10).unwrap();
        s.push(b, 11, 1, 10).unwrap();
        assert_eq!(s.push(b, 12, 1, 10), Err(12), "store full");
        assert_eq!(s.len(), 5);
        assert_eq!((s.count(a), s.count(b)), (3, 2));
        assert_eq!(s.push(a, 1, 0, 0), Err(1), "limit 0 keeps nothing");
    }

    #[test]
    fn order_and_isolation() {
        let mut s = Store::new(64, 64, 8);
        // Interleaved arrivals of three sessions.
        for i in 0..30u32 {
            let seid = u64::from(i % 3) + 100;
            let pos = s.open(seid, 7).unwrap();
            s.push(pos, i, (i % 3) as u8, 64).unwrap();
        }
        assert_eq!(s.len(), 30);
        let got = drain(&mut s, 101);
        let want: Vec<(u32, u8)> = (0..30).filter(|i| i % 3 == 1).map(|i| (i, 1)).collect();
        assert_eq!(got, want, "in arrival order, only its own");
        assert_eq!(s.len(), 20);
        assert_eq!(s.count(s.find(100).unwrap()), 10);
        assert_eq!(s.count(s.find(101).unwrap()), 0, "taken, still open");
        let got = drain(&mut s, 100);
        assert_eq!(got.first(), Some(&(0, 0)));
        assert_eq!(got.last(), Some(&(27, 0)));
    }

    #[test]
    fn slots_are_reused() {
        let mut s = Store::new(4, 4, 2);
        for round in 0..10u32 {
            let pos = s.open(5, 0).unwrap();
            for i in 0..4 {
                s.push(pos, round * 10 + i, 0, 4).unwrap();
            }
            assert_eq!(s.push(pos, 0, 0, 4), Err(0));
            // Take two out, put two back: the list stays in order across
            // freed and reused slots.
            let mut c = s.take(pos);
            let first = s.pop(&mut c).unwrap().0;
            let second = s.pop(&mut c).unwrap().0;
            assert_eq!((first, second), (round * 10, round * 10 + 1));
            let mut rest = Vec::new();
            while let Some((x, _)) = s.pop(&mut c) {
                rest.push(x);
            }
            for x in rest.iter().copied().chain([1000, 1001]) {
                s.push(pos, x, 0, 4).unwrap();
            }
            let got: Vec<u32> = drain(&mut s, 5).into_iter().map(|x| x.0).collect();
            assert_eq!(got, [round * 10 + 2, round * 10 + 3, 1000, 1001]);
            s.close(s.find(5).unwrap());
            assert!(s.is_empty());
            assert_eq!(s.len(), 0);
        }
    }

    #[test]
    fn clear_takes_everything() {
        let mut s = Store::new(8, 8, 4);
        for seid in 1..=3u64 {
            let pos = s.open(seid, 0).unwrap();
            s.push(pos, seid as u32, 0, 8).unwrap();
            s.push(pos, seid as u32 + 10, 0, 8).unwrap();
        }
        let mut out = Vec::new();
        assert_eq!(s.clear(|x| out.push(x)), 6);
        out.sort_unstable();
        assert_eq!(out, [1, 2, 3, 11, 12, 13]);
        assert!(s.is_empty());
        assert_eq!(s.len(), 0);
        // Everything is free again.
        let pos = s.open(9, 0).unwrap();
        for i in 0..8 {
            s.push(pos, i, 0, 8).unwrap();
        }
    }
}
