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

/// Longest-prefix lookup over a handful of prefix lengths: one exact-match
/// map, probed once per prefix length in use (UE addresses are /32 or /64,
/// framed routes add a few more lengths).
#[derive(Debug)]
struct PrefixIndex<A> {
    /// Prefix lengths in use, longest first, with how many entries use each.
    lens: Vec<(u8, usize)>,
    map: FastMap<PrefixKey<A>, Arc<SessionRules>>,
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

impl<A: Fold> core::hash::Hash for PrefixKey<A> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.fold() ^ (u64::from(self.1) << 56));
    }
}

impl<A: Copy + Eq + Fold> PrefixIndex<A> {
    fn with_capacity(n: usize) -> Self {
        PrefixIndex {
            lens: Vec::with_capacity(8),
            map: FastMap::with_capacity_and_hasher(n, Default::default()),
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

    #[inline]
    fn lookup(&self, mask: impl Fn(u8) -> A) -> Option<&Arc<SessionRules>> {
        self.lens
            .iter()
            .find_map(|&(len, _)| self.map.get(&PrefixKey(mask(len), len)))
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
    tunnels: FastMap<TunnelKey, Arc<SessionRules>>,
    ue_v4: PrefixIndex<Ipv4Addr>,
    ue_v6: PrefixIndex<Ipv6Addr>,
}

impl Tables {
    /// Empty tables with room for `sessions` sessions without growing
    /// (growing would allocate on the worker).
    pub fn with_capacity(sessions: usize) -> Self {
        Tables {
            sessions: FastMap::with_capacity_and_hasher(sessions, Default::default()),
            tunnels: FastMap::with_capacity_and_hasher(sessions * 2, Default::default()),
            ue_v4: PrefixIndex::with_capacity(sessions),
            ue_v6: PrefixIndex::with_capacity(sessions),
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
        for k in rules.tunnel_keys.iter() {
            self.tunnels.insert(*k, rules.clone());
        }
        for &(a, l) in rules.ue_v4.iter() {
            self.ue_v4.insert(a, l, rules.clone());
        }
        for &(a, l) in rules.ue_v6.iter() {
            self.ue_v6.insert(a, l, rules.clone());
        }
    }

    fn unindex(&mut self, old: &SessionRules) {
        for k in old.tunnel_keys.iter() {
            if self.tunnels.get(k).is_some_and(|r| r.seid == old.seid) {
                self.tunnels.remove(k);
            }
        }
        for &(a, l) in old.ue_v4.iter() {
            self.ue_v4.remove_if(a, l, old.seid);
        }
        for &(a, l) in old.ue_v6.iter() {
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
        self.ue_v4.lookup(|len| mask_v4(a, len))
    }

    /// The session owning a UE IPv6 address or prefix.
    #[inline]
    pub fn lookup_ue_v6(&self, a: Ipv6Addr) -> Option<&Arc<SessionRules>> {
        self.ue_v6.lookup(|len| mask_v6(a, len))
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
