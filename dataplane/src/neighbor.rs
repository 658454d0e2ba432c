//! Next-hop link-layer addresses.
//!
//! The control thread keeps the authoritative table (static entries from the
//! configuration, entries learnt from ARP and Neighbor Discovery) and sends
//! every change to each worker through the worker's own bounded lock-free
//! queue of [`NeighborUpdate`]s. Each worker applies them between bursts to
//! its private [`NeighborTable`], so the per-packet lookup takes no lock and
//! touches no shared cache line.
//!
//! A miss on the worker drops the packet (`no_neighbor`) and, at most once
//! per retry interval per next hop, asks the control thread to resolve it
//! (ARP request or Neighbor Solicitation).
//!
//! The worker's table never allocates after creation: it is sized for twice
//! its entry limit (so removals leave room for in-place rehashing) and
//! refuses new entries beyond the limit, evicting an unresolved one first.
#![forbid(unsafe_code)]

use core::net::IpAddr;

use upf_core::tables::FastMap;

/// A link-layer (MAC) address.
pub type Mac = [u8; 6];

/// A next hop on one attachment (port and VLAN) of the UPF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NeighborKey {
    /// Index of the attachment in the configuration.
    pub attachment: u8,
    /// The next hop's IP address.
    pub addr: IpAddr,
}

/// A change the control thread sends to the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighborUpdate {
    /// The next hop is reachable at this MAC.
    Set(NeighborKey, Mac),
    /// Forget the next hop.
    Remove(NeighborKey),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    mac: Option<Mac>,
    /// When the worker last asked for resolution (for unresolved entries).
    requested_ns: u64,
}

/// A worker's copy of the neighbour table.
#[derive(Debug)]
pub struct NeighborTable {
    map: FastMap<NeighborKey, Entry>,
    limit: usize,
    retry_ns: u64,
    /// The last hit: traffic goes to few next hops (gateway, gNBs).
    last: Option<(NeighborKey, Mac)>,
}

impl NeighborTable {
    /// A table for up to `limit` next hops; a worker asks again for an
    /// unresolved next hop after `retry_ns`.
    pub fn new(limit: usize, retry_ns: u64) -> Self {
        NeighborTable {
            map: FastMap::with_capacity_and_hasher(limit.max(1) * 2, Default::default()),
            limit: limit.max(1),
            retry_ns,
            last: None,
        }
    }

    /// The MAC of a next hop, if resolved.
    #[inline]
    pub fn lookup(&mut self, key: NeighborKey) -> Option<Mac> {
        if let Some((k, mac)) = self.last {
            if k == key {
                return Some(mac);
            }
        }
        let mac = self.map.get(&key)?.mac?;
        self.last = Some((key, mac));
        Some(mac)
    }

    /// Applies a change from the control thread.
    pub fn apply(&mut self, update: NeighborUpdate) {
        self.last = None;
        match update {
            NeighborUpdate::Set(key, mac) => {
                if let Some(e) = self.map.get_mut(&key) {
                    e.mac = Some(mac);
                } else if self.make_room() {
                    self.map.insert(
                        key,
                        Entry {
                            mac: Some(mac),
                            requested_ns: 0,
                        },
                    );
                }
            }
            NeighborUpdate::Remove(key) => {
                self.map.remove(&key);
            }
        }
    }

    /// Records a lookup miss at `now_ns`; `true` when the control thread
    /// should be asked to resolve the next hop (first miss, or the last
    /// request is older than the retry interval).
    #[inline]
    pub fn miss(&mut self, key: NeighborKey, now_ns: u64) -> bool {
        if let Some(e) = self.map.get_mut(&key) {
            if e.mac.is_some() || now_ns.saturating_sub(e.requested_ns) < self.retry_ns {
                return false;
            }
            e.requested_ns = now_ns;
            return true;
        }
        if self.make_room() {
            self.map.insert(
                key,
                Entry {
                    mac: None,
                    requested_ns: now_ns,
                },
            );
            true
        } else {
            false
        }
    }

    /// Whether one more entry fits; evicts an unresolved entry when full.
    fn make_room(&mut self) -> bool {
        if self.map.len() < self.limit {
            return true;
        }
        let victim = self
            .map
            .iter()
            .find(|(_, e)| e.mac.is_none())
            .map(|(k, _)| *k);
        match victim {
            Some(k) => {
                self.map.remove(&k);
                true
            }
            None => false,
        }
    }

    /// Entries (resolved or not).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn key(att: u8, last: u8) -> NeighborKey {
        NeighborKey {
            attachment: att,
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
        }
    }

    #[test]
    fn set_lookup_remove() {
        let mut t = NeighborTable::new(8, 1_000);
        assert_eq!(t.lookup(key(0, 1)), None);
        t.apply(NeighborUpdate::Set(key(0, 1), [2, 0, 0, 0, 0, 1]));
        assert_eq!(t.lookup(key(0, 1)), Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(t.lookup(key(1, 1)), None, "per attachment");
        // The cached last hit follows updates.
        t.apply(NeighborUpdate::Set(key(0, 1), [2, 0, 0, 0, 0, 9]));
        assert_eq!(t.lookup(key(0, 1)), Some([2, 0, 0, 0, 0, 9]));
        t.apply(NeighborUpdate::Remove(key(0, 1)));
        assert_eq!(t.lookup(key(0, 1)), None);
        assert!(t.is_empty());
        let v6 = NeighborKey {
            attachment: 2,
            addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        t.apply(NeighborUpdate::Set(v6, [2; 6]));
        assert_eq!(t.lookup(v6), Some([2; 6]));
    }

    #[test]
    fn misses_ask_once_per_interval() {
        let mut t = NeighborTable::new(8, 1_000);
        assert!(t.miss(key(0, 1), 10));
        assert!(!t.miss(key(0, 1), 500));
        assert!(t.miss(key(0, 1), 1_010));
        assert!(!t.miss(key(0, 1), 1_011));
        assert_eq!(t.lookup(key(0, 1)), None, "pending is not resolved");
        t.apply(NeighborUpdate::Set(key(0, 1), [2; 6]));
        assert!(!t.miss(key(0, 1), 10_000), "resolved: nothing to ask");
        assert_eq!(t.lookup(key(0, 1)), Some([2; 6]));
    }

    #[test]
    fn bounded_and_prefers_resolved_entries() {
        let mut t = NeighborTable::new(2, 1_000);
        t.apply(NeighborUpdate::Set(key(0, 1), [1; 6]));
        assert!(t.miss(key(0, 2), 0));
        // Full: a new unresolved hop evicts the unresolved one.
        assert!(t.miss(key(0, 3), 0));
        assert_eq!(t.len(), 2);
        // A resolved entry replaces the unresolved one too.
        t.apply(NeighborUpdate::Set(key(0, 4), [4; 6]));
        assert_eq!(t.len(), 2);
        assert_eq!(t.lookup(key(0, 1)), Some([1; 6]));
        assert_eq!(t.lookup(key(0, 4)), Some([4; 6]));
        // Full of resolved entries: new ones are refused, not allocated.
        assert!(!t.miss(key(0, 5), 0));
        t.apply(NeighborUpdate::Set(key(0, 6), [6; 6]));
        assert_eq!(t.len(), 2);
        assert_eq!(t.lookup(key(0, 6)), None);
    }
}
