//! The lookup indexes a worker reads on every packet.
//!
//! Each worker owns its own [`Tables`] and changes it only between bursts,
//! from the updates the control side publishes (see [`crate::publish`]).
//! Reading therefore needs no lock and no atomic, and a packet always sees
//! one whole version of its session: an update replaces the session's entry
//! in every index before the worker looks at the next packet.
//!
//! Dropping an entry only decrements a reference count: the control side
//! keeps every version alive until all workers have moved past it, so memory
//! is never freed on a worker.

use core::hash::{BuildHasherDefault, Hasher};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::collections::HashMap;
use std::sync::Arc;

use arrayvec::ArrayVec;

use crate::compile::{mask_v4, mask_v6, SessionRules, TunnelKey};

/// A fast multiplicative hasher for the small fixed-size keys of the fast
/// path (TEIDs, addresses, SEIDs). Keys are chosen by the UPF and SMF, not by
/// the sender of a packet; a miss costs the same as a hit.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so the high bits (used by the table for control
        // bytes) depend on every input bit.
        let mut h = self.0;
        h ^= h >> 29;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 32;
        h
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(SEED);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.write_u64(i as u64);
        self.write_u64((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// A hash map keyed with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A key of a [`FlatIndex`], folded into one word for hashing.
trait FlatKey: Copy + Eq {
    fn word(&self) -> u64;
}

impl FlatKey for TunnelKey {
    #[inline]
    fn word(&self) -> u64 {
        // The TEID carries the entropy; the address (one of the UPF's
        // few) is folded in.
        let a = match self.addr {
            IpAddr::V4(a) => u64::from(u32::from(a)),
            IpAddr::V6(a) => {
                let b = u128::from(a);
                (b as u64) ^ ((b >> 64) as u64) ^ (1 << 63)
            }
        };
        (u64::from(self.teid) << 32) ^ a
    }
}

/// A tunnel key in eight bytes, so that a slot of the tunnel index is
/// sixteen: the TEID, and the local address: an IPv4 address as it is, an
/// IPv6 address as [`V6_BASE`] plus its number in the worker's list of
/// local IPv6 addresses (a UPF has a few). Keys that do not fit (IPv4
/// addresses in 255.255.255.0/24, more IPv6 addresses than the list holds)
/// go to a general index beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CompactTunnel {
    teid: u32,
    addr: u32,
}

/// First compact address of the IPv6 addresses.
const V6_BASE: u32 = 0xffff_ff00;

impl FlatKey for CompactTunnel {
    #[inline]
    fn word(&self) -> u64 {
        (u64::from(self.teid) << 32) ^ u64::from(self.addr)
    }
}

/// The tunnel index: compact keys, and the rest.
#[derive(Debug)]
struct TunnelIndex {
    compact: FlatIndex<CompactTunnel>,
    /// Local IPv6 addresses, numbered for [`CompactTunnel`]; never removed.
    v6: ArrayVec<Ipv6Addr, 255>,
    other: FlatIndex<TunnelKey>,
}

impl TunnelIndex {
    fn with_capacity(n: usize) -> Self {
        TunnelIndex {
            compact: FlatIndex::with_capacity(n, CompactTunnel { teid: 0, addr: 0 }),
            v6: ArrayVec::new(),
            other: FlatIndex::with_capacity(
                4,
                TunnelKey {
                    teid: 0,
                    addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                },
            ),
        }
    }

    /// The compact form of `k`, if it has one (`add`: numbering a new
    /// IPv6 address if there is room).
    #[inline(always)]
    fn compact_key(&mut self, k: &TunnelKey, add: bool) -> Option<CompactTunnel> {
        let addr = match k.addr {
            IpAddr::V4(a) => Some(u32::from(a)).filter(|&a| a < V6_BASE),
            IpAddr::V6(a) => match self.v6.iter().position(|&x| x == a) {
                Some(i) => Some(V6_BASE + i as u32),
                None if add && self.v6.try_push(a).is_ok() => {
                    Some(V6_BASE + (self.v6.len() - 1) as u32)
                }
                None => None,
            },
        }?;
        Some(CompactTunnel { teid: k.teid, addr })
    }

    /// [`TunnelIndex::compact_key`] without numbering.
    #[inline(always)]
    fn find_key(&self, k: &TunnelKey) -> Option<CompactTunnel> {
        let addr = match k.addr {
            IpAddr::V4(a) => Some(u32::from(a)).filter(|&a| a < V6_BASE),
            IpAddr::V6(a) => self
                .v6
                .iter()
                .position(|&x| x == a)
                .map(|i| V6_BASE + i as u32),
        }?;
        Some(CompactTunnel { teid: k.teid, addr })
    }

    #[inline(always)]
    fn get(&self, k: &TunnelKey) -> Option<&Arc<SessionRules>> {
        match self.find_key(k) {
            Some(c) => self.compact.get(&c),
            None if self.other.len == 0 => None,
            None => self.other.get(k),
        }
    }

    #[inline(always)]
    fn home_ptr(&self, k: &TunnelKey) -> *const u8 {
        match self.find_key(k) {
            Some(c) => self.compact.home_ptr(&c),
            None => self.other.home_ptr(k),
        }
    }

    fn insert(&mut self, k: TunnelKey, rules: Arc<SessionRules>) {
        match self.compact_key(&k, true) {
            Some(c) => self.compact.insert(c, rules),
            None => self.other.insert(k, rules),
        };
    }

    fn remove(&mut self, k: &TunnelKey) {
        match self.find_key(k) {
            Some(c) => self.compact.remove(&c),
            None => self.other.remove(k),
        };
    }
}

impl<A: Copy + Eq + Fold> FlatKey for PrefixKey<A> {
    #[inline]
    fn word(&self) -> u64 {
        self.0.fold() ^ (u64::from(self.1) << 56)
    }
}

/// An open-addressing index (linear probing, at most half full) whose slot
/// holds the key and the rules together: a lookup reads one slot (one
/// cache line, usually), where a general hash map reads its control bytes
/// and then its bucket.
#[derive(Debug)]
struct FlatIndex<K> {
    slots: Box<[Slot<K>]>,
    /// 64 - log2(slots.len()).
    shift: u32,
    len: usize,
}

#[derive(Debug, Clone)]
struct Slot<K> {
    key: K,
    rules: Option<Arc<SessionRules>>,
}

impl<K: FlatKey> FlatIndex<K> {
    fn with_capacity(n: usize, empty: K) -> Self {
        let cap = (n.max(4) * 2).next_power_of_two();
        FlatIndex {
            slots: vec![
                Slot {
                    key: empty,
                    rules: None
                };
                cap
            ]
            .into_boxed_slice(),
            shift: 64 - cap.trailing_zeros(),
            len: 0,
        }
    }

    /// Fibonacci hashing: the high bits of the product.
    #[inline]
    fn home(&self, key: &K) -> usize {
        (key.word().wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    #[inline(always)]
    fn get(&self, key: &K) -> Option<&Arc<SessionRules>> {
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let slot = self.slots.get(i)?;
            match &slot.rules {
                None => return None,
                Some(r) if slot.key == *key => return Some(r),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    /// The address of the slot a lookup of `key` reads first (for a
    /// prefetch; never read through here).
    #[inline(always)]
    fn home_ptr(&self, key: &K) -> *const u8 {
        self.slots.as_ptr().wrapping_add(self.home(key)).cast()
    }

    /// Inserts or replaces; returns the entry replaced.
    fn insert(&mut self, key: K, rules: Arc<SessionRules>) -> Option<Arc<SessionRules>> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.mask();
        let mut i = self.home(&key);
        loop {
            let slot = &mut self.slots[i];
            match &slot.rules {
                None => {
                    *slot = Slot {
                        key,
                        rules: Some(rules),
                    };
                    self.len += 1;
                    return None;
                }
                Some(_) if slot.key == key => return slot.rules.replace(rules),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    fn remove(&mut self, key: &K) -> Option<Arc<SessionRules>> {
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            match &self.slots[i].rules {
                None => return None,
                Some(_) if self.slots[i].key == *key => break,
                Some(_) => i = (i + 1) & mask,
            }
        }
        let removed = self.slots[i].rules.take();
        self.len -= 1;
        // Backward-shift deletion: move later entries of the run into the
        // hole when their home is not between the hole and them.
        let mut hole = i;
        let mut j = (i + 1) & mask;
        while self.slots[j].rules.is_some() {
            let home = self.home(&self.slots[j].key);
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots.swap(hole, j);
                hole = j;
            }
            j = (j + 1) & mask;
        }
        removed
    }

    fn grow(&mut self) {
        let cap = self.slots.len() * 2;
        let empty = self.slots[0].key;
        let old = core::mem::replace(
            &mut self.slots,
            vec![
                Slot {
                    key: empty,
                    rules: None
                };
                cap
            ]
            .into_boxed_slice(),
        );
        self.shift = 64 - cap.trailing_zeros();
        self.len = 0;
        for s in old.into_vec() {
            if let Some(r) = s.rules {
                self.insert(s.key, r);
            }
        }
    }
}

/// Longest-prefix lookup over a handful of prefix lengths: one exact-match
/// map, probed once per prefix length in use (UE addresses are /32 or /64,
/// framed routes add a few more lengths).
#[derive(Debug)]
struct PrefixIndex<A> {
    /// Prefix lengths in use, longest first, with how many entries use each.
    lens: Vec<(u8, usize)>,
    map: FlatIndex<PrefixKey<A>>,
}

/// A masked address and its prefix length, hashed as one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PrefixKey<A>(A, u8);

/// Addresses folded into one word for hashing.
trait Fold {
    fn fold(&self) -> u64;
}

impl Fold for Ipv4Addr {
    #[inline]
    fn fold(&self) -> u64 {
        u64::from(u32::from(*self))
    }
}

impl Fold for Ipv6Addr {
    #[inline]
    fn fold(&self) -> u64 {
        let b = u128::from(*self);
        // The interesting bits of a UE prefix are in the upper half.
        ((b >> 64) as u64).rotate_left(17) ^ (b as u64)
    }
}

impl<A: Copy + Eq + Fold> PrefixIndex<A> {
    fn with_capacity(n: usize, empty: A) -> Self {
        PrefixIndex {
            lens: Vec::with_capacity(8),
            map: FlatIndex::with_capacity(n, PrefixKey(empty, 0)),
        }
    }

    fn insert(&mut self, key: A, len: u8, rules: Arc<SessionRules>) {
        if self.map.insert(PrefixKey(key, len), rules).is_none() {
            match self.lens.iter_mut().find(|(l, _)| *l == len) {
                Some((_, n)) => *n += 1,
                None => {
                    self.lens.push((len, 1));
                    self.lens.sort_by_key(|l| core::cmp::Reverse(l.0));
                }
            }
        }
    }

    fn remove_if(&mut self, key: A, len: u8, seid: u64) {
        if self
            .map
            .get(&PrefixKey(key, len))
            .is_some_and(|r| r.seid == seid)
        {
            self.map.remove(&PrefixKey(key, len));
            if let Some(i) = self.lens.iter().position(|(l, _)| *l == len) {
                self.lens[i].1 -= 1;
                if self.lens[i].1 == 0 {
                    self.lens.remove(i);
                }
            }
        }
    }

    #[inline(always)]
    fn lookup(&self, mask: impl Fn(u8) -> A) -> Option<&Arc<SessionRules>> {
        // The longest length (UE addresses: /32, /64) is probed first and
        // usually the only one.
        let (first, rest) = self.lens.split_first()?;
        if let Some(r) = self.map.get(&PrefixKey(mask(first.0), first.0)) {
            return Some(r);
        }
        rest.iter()
            .find_map(|&(len, _)| self.map.get(&PrefixKey(mask(len), len)))
    }

    /// The slot a lookup probes first (the longest prefix length in use),
    /// for a prefetch.
    #[inline(always)]
    fn home_ptr(&self, mask: impl Fn(u8) -> A) -> *const u8 {
        match self.lens.first() {
            Some(&(len, _)) => self.map.home_ptr(&PrefixKey(mask(len), len)),
            None => core::ptr::null(),
        }
    }
}

/// A change to the tables.
#[derive(Debug, Clone)]
pub enum Update {
    /// Installs or replaces the session `rules.seid`.
    Install(Arc<SessionRules>),
    /// Removes a session.
    Remove(u64),
}

/// The indexes of one worker.
#[derive(Debug)]
pub struct Tables {
    sessions: FastMap<u64, Arc<SessionRules>>,
    tunnels: TunnelIndex,
    ue_v4: PrefixIndex<Ipv4Addr>,
    ue_v6: PrefixIndex<Ipv6Addr>,
}

impl Tables {
    /// Empty tables with room for `sessions` sessions without growing
    /// (growing would allocate on the worker).
    pub fn with_capacity(sessions: usize) -> Self {
        Tables {
            sessions: FastMap::with_capacity_and_hasher(sessions, Default::default()),
            tunnels: TunnelIndex::with_capacity(sessions * 2),
            ue_v4: PrefixIndex::with_capacity(sessions, Ipv4Addr::UNSPECIFIED),
            ue_v6: PrefixIndex::with_capacity(sessions, Ipv6Addr::UNSPECIFIED),
        }
    }

    /// Applies one update.
    pub fn apply(&mut self, update: Update) {
        match update {
            Update::Install(rules) => {
                if let Some(old) = self.sessions.insert(rules.seid, rules.clone()) {
                    self.unindex(&old);
                }
                self.index(&rules);
            }
            Update::Remove(seid) => {
                if let Some(old) = self.sessions.remove(&seid) {
                    self.unindex(&old);
                }
            }
        }
    }

    fn index(&mut self, rules: &Arc<SessionRules>) {
        for k in rules.tunnel_keys_repeated() {
            self.tunnels.insert(k, rules.clone());
        }
        for (a, l) in rules.ue_v4_repeated() {
            self.ue_v4.insert(a, l, rules.clone());
        }
        for (a, l) in rules.ue_v6_repeated() {
            self.ue_v6.insert(a, l, rules.clone());
        }
    }

    fn unindex(&mut self, old: &SessionRules) {
        for k in old.tunnel_keys_repeated() {
            if self.tunnels.get(&k).is_some_and(|r| r.seid == old.seid) {
                self.tunnels.remove(&k);
            }
        }
        for (a, l) in old.ue_v4_repeated() {
            self.ue_v4.remove_if(a, l, old.seid);
        }
        for (a, l) in old.ue_v6_repeated() {
            self.ue_v6.remove_if(a, l, old.seid);
        }
    }

    /// The session owning the tunnel `teid` at local address `addr`.
    #[inline]
    pub fn lookup_tunnel(&self, teid: u32, addr: IpAddr) -> Option<&Arc<SessionRules>> {
        self.tunnels.get(&TunnelKey { teid, addr })
    }

    /// The session owning a UE (or framed-route) IPv4 address.
    #[inline]
    pub fn lookup_ue_v4(&self, a: Ipv4Addr) -> Option<&Arc<SessionRules>> {
        self.ue_v4
            .lookup(|len| if len >= 32 { a } else { mask_v4(a, len) })
    }

    /// The session owning a UE IPv6 address or prefix.
    #[inline]
    pub fn lookup_ue_v6(&self, a: Ipv6Addr) -> Option<&Arc<SessionRules>> {
        self.ue_v6.lookup(|len| mask_v6(a, len))
    }

    /// Where [`Tables::lookup_tunnel`] reads first: an address to prefetch
    /// a burst ahead (the lookups then find their slots in cache).
    #[inline(always)]
    pub fn tunnel_slot(&self, teid: u32, addr: IpAddr) -> *const u8 {
        self.tunnels.home_ptr(&TunnelKey { teid, addr })
    }

    /// Where [`Tables::lookup_ue_v4`] reads first (null with no entries).
    #[inline(always)]
    pub fn ue_v4_slot(&self, a: Ipv4Addr) -> *const u8 {
        self.ue_v4
            .home_ptr(|len| if len >= 32 { a } else { mask_v4(a, len) })
    }

    /// Where [`Tables::lookup_ue_v6`] reads first (null with no entries).
    #[inline(always)]
    pub fn ue_v6_slot(&self, a: Ipv6Addr) -> *const u8 {
        self.ue_v6.home_ptr(|len| mask_v6(a, len))
    }

    /// The session with this SEID.
    pub fn session(&self, seid: u64) -> Option<&Arc<SessionRules>> {
        self.sessions.get(&seid)
    }

    /// Number of sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether there are no sessions.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn rules(seid: u64) -> Arc<SessionRules> {
        Arc::new(
            crate::compile::compile(&crate::rules::Session::new(seid), None)
                .expect("an empty session compiles"),
        )
    }

    #[test]
    fn flat_index_agrees_with_a_map() {
        let mut flat = FlatIndex::with_capacity(
            4,
            TunnelKey {
                teid: 0,
                addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            },
        );
        let mut model: HashMap<(u32, IpAddr), u64> = HashMap::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let addrs = [
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
        for step in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // A small key space, so that runs collide, wrap and shift.
            let teid = (x % 300) as u32;
            let addr = addrs[((x >> 20) & 1) as usize];
            let key = TunnelKey { teid, addr };
            if (x >> 32).is_multiple_of(3) {
                let a = flat.remove(&key).map(|r| r.seid);
                assert_eq!(a, model.remove(&(teid, addr)));
            } else {
                let a = flat.insert(key, rules(step)).map(|r| r.seid);
                assert_eq!(a, model.insert((teid, addr), step));
            }
            assert_eq!(flat.len, model.len());
            if step.is_multiple_of(500) {
                for t in 0..300 {
                    for a in addrs {
                        let k = TunnelKey { teid: t, addr: a };
                        assert_eq!(flat.get(&k).map(|r| r.seid), model.get(&(t, a)).copied());
                    }
                }
            }
        }
    }

    #[test]
    fn tunnel_index_agrees_with_a_map_whatever_the_addresses() {
        let mut index = TunnelIndex::with_capacity(4);
        let mut model: HashMap<TunnelKey, u64> = HashMap::new();
        // IPv4, one in the range that has no compact form, and more IPv6
        // addresses than the compact list numbers.
        let mut addrs = vec![
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V4(Ipv4Addr::new(255, 255, 255, 7)),
        ];
        addrs.extend(
            (0..300u16).map(|i| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i))),
        );
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for step in 0..40_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = TunnelKey {
                teid: (x % 50) as u32,
                addr: addrs[((x >> 20) % addrs.len() as u64) as usize],
            };
            if (x >> 40).is_multiple_of(3) {
                index.remove(&key);
                model.remove(&key);
            } else {
                index.insert(key, rules(step));
                model.insert(key, step);
            }
            assert_eq!(index.get(&key).map(|r| r.seid), model.get(&key).copied());
        }
        for (k, v) in &model {
            assert_eq!(index.get(k).map(|r| r.seid), Some(*v));
        }
        assert_eq!(index.v6.len(), 255);
        assert!(index.other.len > 0);
        assert_eq!(index.compact.len + index.other.len, model.len());
    }
}
