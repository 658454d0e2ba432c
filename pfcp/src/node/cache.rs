//! The response cache: a retransmitted request (same peer, sequence number
//! and message type) gets the response already sent, byte for byte, and is
//! not applied again (TS 29.244 §6.4). Bounded in entries and in time.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request's identity: where it came from, its sequence number and type.
pub(crate) type Key = (SocketAddr, u32, u8);

/// What the cache holds for a request.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    /// Being applied (the response waits for the dataplane, or the request
    /// waits for room): a retransmission is absorbed.
    InProgress,
    /// Answered with these octets.
    Done(Arc<[u8]>),
}

#[derive(Debug)]
pub(crate) struct ResponseCache {
    map: HashMap<Key, (Instant, Entry)>,
    order: VecDeque<(Instant, Key)>,
    capacity: usize,
    ttl: Duration,
}

impl ResponseCache {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        ResponseCache {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            ttl,
        }
    }

    /// Drops entries older than the TTL.
    pub(crate) fn expire(&mut self, now: Instant) {
        while let Some(&(at, key)) = self.order.front() {
            if now.saturating_duration_since(at) < self.ttl {
                break;
            }
            self.order.pop_front();
            self.remove_if_at(&key, at);
        }
    }

    fn remove_if_at(&mut self, key: &Key, at: Instant) {
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
    pub(crate) fn complete(&mut self, now: Instant, key: Key, bytes: Arc<[u8]>) {
        self.insert(now, key, Entry::Done(bytes));
    }

    /// Forgets `key` (a request that will be handled again from scratch).
    pub(crate) fn forget(&mut self, key: &Key) {
        self.map.remove(key);
    }

    fn insert(&mut self, now: Instant, key: Key, entry: Entry) {
        while self.map.len() >= self.capacity && !self.map.contains_key(&key) {
            match self.order.pop_front() {
                Some((at, k)) => self.remove_if_at(&k, at),
                None => break,
            }
        }
        self.map.insert(key, (now, entry));
        self.order.push_back((now, key));
        // `order` may hold stale positions of re-inserted keys; keep it
        // bounded too.
        while self.order.len() > 2 * self.capacity {
            if let Some((at, k)) = self.order.pop_front() {
                self.remove_if_at(&k, at);
            }
        }
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
        let mut c = ResponseCache::new(2, Duration::from_secs(10));
        c.complete(t0, (peer, 1, 50), Arc::from(&b"a"[..]));
        c.complete(t0, (peer, 2, 50), Arc::from(&b"b"[..]));
        c.complete(t0, (peer, 3, 50), Arc::from(&b"c"[..]));
        assert_eq!(c.len(), 2);
        assert!(c.get(t0, &(peer, 1, 50)).is_none());
        assert!(matches!(c.get(t0, &(peer, 3, 50)), Some(Entry::Done(_))));
        assert!(c
            .get(t0 + Duration::from_secs(10), &(peer, 3, 50))
            .is_none());
        assert_eq!(c.len(), 0);
    }
}
