//! The response cache: a retransmitted request (same peer, sequence number
//! and message type) gets the response already sent, byte for byte, and is
//! not applied again (TS 29.244 §6.4). Bounded in entries and in time.
//!
//! Times are [`Stamp`]s (8 bytes) from the node's start, and a response is
//! kept once, in a box of its exact length: an entry costs a map bucket of
//! 64 bytes, an `order` position of 48 (two: one when the request arrives,
//! one when it is answered) and the response.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::report::Stamp;

/// A request's identity: where it came from, its sequence number and type.
pub(crate) type Key = (SocketAddr, u32, u8);

/// What the cache holds for a request.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    /// Being applied (the response waits for the dataplane, or the request
    /// waits for room): a retransmission is absorbed.
    InProgress,
    /// Answered with these octets.
    Done(Box<[u8]>),
}

#[derive(Debug)]
pub(crate) struct ResponseCache {
    map: HashMap<Key, (Stamp, Entry)>,
    /// Insertions, oldest first; an entry whose key was inserted again
    /// since (another time in `map`) is stale. At most `2 * capacity`.
    order: VecDeque<(Stamp, Key)>,
    capacity: usize,
    ttl: Duration,
    /// The node's start, origin of the stamps.
    origin: Instant,
}

impl ResponseCache {
    pub(crate) fn new(capacity: usize, ttl: Duration, origin: Instant) -> Self {
        ResponseCache {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            ttl,
            origin,
        }
    }

    /// Drops entries older than the TTL.
    pub(crate) fn expire(&mut self, now: Instant) {
        let now = Stamp::new(now, self.origin);
        while let Some(&(at, key)) = self.order.front() {
            if now.since(at) < self.ttl {
                break;
            }
            self.order.pop_front();
            self.remove_if_at(&key, at);
        }
    }

    fn remove_if_at(&mut self, key: &Key, at: Stamp) {
        if self.map.get(key).is_some_and(|(t, _)| *t == at) {
            self.map.remove(key);
        }
    }

    pub(crate) fn get(&mut self, now: Instant, key: &Key) -> Option<&Entry> {
        self.expire(now);
        self.map.get(key).map(|(_, e)| e)
    }

    /// Records that `key` is being handled.
    pub(crate) fn begin(&mut self, now: Instant, key: Key) {
        self.insert(now, key, Entry::InProgress);
    }

    /// Records the response to `key`.
    pub(crate) fn complete(&mut self, now: Instant, key: Key, bytes: Box<[u8]>) {
        self.insert(now, key, Entry::Done(bytes));
    }

    /// Forgets `key` (a request that will be handled again from scratch).
    pub(crate) fn forget(&mut self, key: &Key) {
        self.map.remove(key);
    }

    fn insert(&mut self, now: Instant, key: Key, entry: Entry) {
        let now = Stamp::new(now, self.origin);
        while self.map.len() >= self.capacity && !self.map.contains_key(&key) {
            match self.order.pop_front() {
                Some((at, k)) => self.remove_if_at(&k, at),
                None => break,
            }
        }
        // `order` may hold stale positions of re-inserted keys; keep it
        // bounded too, making room before the push so that it never grows
        // past `2 * capacity` (the push that went past doubled it).
        while self.order.len() >= 2 * self.capacity {
            match self.order.pop_front() {
                Some((at, k)) => self.remove_if_at(&k, at),
                None => break,
            }
        }
        self.map.insert(key, (now, entry));
        self.order.push_back((now, key));
    }

    #[allow(dead_code)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn bounded_in_size_and_time() {
        let t0 = Instant::now();
        let peer: SocketAddr = "192.0.2.1:8805".parse().unwrap();
        let mut c = ResponseCache::new(2, Duration::from_secs(10), t0);
        c.complete(t0, (peer, 1, 50), Box::from(&b"a"[..]));
        c.complete(t0, (peer, 2, 50), Box::from(&b"b"[..]));
        c.complete(t0, (peer, 3, 50), Box::from(&b"c"[..]));
        assert_eq!(c.len(), 2);
        assert!(c.get(t0, &(peer, 1, 50)).is_none());
        assert!(matches!(c.get(t0, &(peer, 3, 50)), Some(Entry::Done(_))));
        assert!(c
            .get(t0 + Duration::from_secs(10), &(peer, 3, 50))
            .is_none());
        assert_eq!(c.len(), 0);
    }
}
