//! The packet buffer abstraction the packet path works on.
//!
//! The packet path edits packets in place: decapsulation removes bytes from the
//! front, encapsulation prepends into headroom (like `skb_push`). [`PacketBuf`]
//! is implemented by [`VecBuf`] for tests and benchmarks and by the DPDK mbuf
//! wrapper in the dataplane crate, so both run the very same code.

/// A contiguous packet with headroom in front of its data.
pub trait PacketBuf {
    /// The packet bytes.
    fn data(&self) -> &[u8];
    /// The packet bytes, writable.
    fn data_mut(&mut self) -> &mut [u8];
    /// Bytes that can still be prepended.
    fn headroom(&self) -> usize;
    /// Grows the packet by `n` bytes at the front. Returns `false`, leaving the
    /// buffer unchanged, when the headroom is too small.
    fn prepend(&mut self, n: usize) -> bool;
    /// Removes `n` bytes from the front. Returns `false`, leaving the buffer
    /// unchanged, when the packet is shorter than `n`.
    fn adj(&mut self, n: usize) -> bool;
    /// Shortens the packet to `len` bytes. Returns `false`, leaving the buffer
    /// unchanged, when the packet is already shorter.
    fn truncate(&mut self, len: usize) -> bool;
    /// Makes the packet its bytes `start..start + len` with `front` more
    /// bytes in front of them (taken from the removed bytes and the
    /// headroom; their contents are unspecified), and returns the whole
    /// packet. `None`, leaving the buffer unchanged, when the range is not
    /// inside the packet or the room in front is too small. One step for
    /// what [`PacketBuf::adj`], [`PacketBuf::truncate`] and
    /// [`PacketBuf::prepend`] do together.
    #[inline]
    fn reframe(&mut self, start: usize, len: usize, front: usize) -> Option<&mut [u8]> {
        if start.checked_add(len)? > self.len() || self.headroom() + start < front {
            return None;
        }
        let ok = self.adj(start) && self.truncate(len) && self.prepend(front);
        debug_assert!(ok, "checked above");
        Some(self.data_mut())
    }
    /// Packet length in bytes.
    fn len(&self) -> usize {
        self.data().len()
    }
    /// Whether the packet is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Default headroom of a [`VecBuf`], the same as DPDK's `RTE_PKTMBUF_HEADROOM`.
pub const DEFAULT_HEADROOM: usize = 128;

/// A heap buffer with headroom, for tests, tools and benchmarks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VecBuf {
    storage: Vec<u8>,
    head: usize,
    tail: usize,
}

impl VecBuf {
    /// A buffer holding `data` behind `headroom` free bytes.
    pub fn with_headroom(data: &[u8], headroom: usize) -> Self {
        let mut storage = vec![0u8; headroom + data.len()];
        storage[headroom..].copy_from_slice(data);
        VecBuf {
            storage,
            head: headroom,
            tail: headroom + data.len(),
        }
    }

    /// A buffer holding `data` behind [`DEFAULT_HEADROOM`] free bytes.
    pub fn new(data: &[u8]) -> Self {
        Self::with_headroom(data, DEFAULT_HEADROOM)
    }

    /// Replaces the contents, restoring the headroom to `headroom` (reuses the allocation
    /// when it is large enough).
    pub fn reset(&mut self, data: &[u8], headroom: usize) {
        let need = headroom + data.len();
        if self.storage.len() < need {
            self.storage.resize(need, 0);
        }
        self.storage[headroom..need].copy_from_slice(data);
        self.head = headroom;
        self.tail = need;
    }
}

impl PacketBuf for VecBuf {
    #[inline]
    fn data(&self) -> &[u8] {
        &self.storage[self.head..self.tail]
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        &mut self.storage[self.head..self.tail]
    }
    #[inline]
    fn headroom(&self) -> usize {
        self.head
    }
    #[inline]
    fn prepend(&mut self, n: usize) -> bool {
        if n > self.head {
            return false;
        }
        self.head -= n;
        true
    }
    #[inline]
    fn adj(&mut self, n: usize) -> bool {
        if n > self.tail - self.head {
            return false;
        }
        self.head += n;
        true
    }
    #[inline]
    fn truncate(&mut self, len: usize) -> bool {
        if len > self.tail - self.head {
            return false;
        }
        self.tail = self.head + len;
        true
    }
    #[inline]
    fn reframe(&mut self, start: usize, len: usize, front: usize) -> Option<&mut [u8]> {
        let from = self.head.checked_add(start)?;
        let to = from.checked_add(len)?;
        if to > self.tail || from < front {
            return None;
        }
        self.head = from - front;
        self.tail = to;
        self.storage.get_mut(self.head..self.tail)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn prepend_adj_truncate() {
        let mut b = VecBuf::with_headroom(&[1, 2, 3, 4], 2);
        assert!(!b.prepend(3));
        assert!(b.prepend(2));
        assert_eq!(b.data(), &[0, 0, 1, 2, 3, 4]);
        assert!(b.adj(3));
        assert_eq!(b.data(), &[2, 3, 4]);
        assert!(!b.adj(4));
        assert!(b.truncate(1));
        assert_eq!(b.data(), &[2]);
        assert!(!b.truncate(2));
        assert_eq!(b.headroom(), 3);
    }

    #[test]
    fn reframe_keeps_a_range_and_adds_room() {
        let mut b = VecBuf::with_headroom(&[1, 2, 3, 4, 5, 6], 2);
        assert!(b.reframe(1, 6, 0).is_none(), "past the end");
        assert!(b.reframe(1, 2, 4).is_none(), "too little room");
        assert_eq!(b.data(), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(b.reframe(1, 2, 3).map(|d| d.len()), Some(5));
        assert_eq!(&b.data()[3..], &[2, 3]);
        assert_eq!(b.headroom(), 0);
        let mut c = VecBuf::with_headroom(&[1, 2, 3, 4, 5, 6], 2);
        let mut d = c.clone();
        assert!(c.reframe(3, 2, 1).is_some());
        // The default implementation gives the same packet.
        struct Plain<'a>(&'a mut VecBuf);
        impl PacketBuf for Plain<'_> {
            fn data(&self) -> &[u8] {
                self.0.data()
            }
            fn data_mut(&mut self) -> &mut [u8] {
                self.0.data_mut()
            }
            fn headroom(&self) -> usize {
                self.0.headroom()
            }
            fn prepend(&mut self, n: usize) -> bool {
                self.0.prepend(n)
            }
            fn adj(&mut self, n: usize) -> bool {
                self.0.adj(n)
            }
            fn truncate(&mut self, len: usize) -> bool {
                self.0.truncate(len)
            }
        }
        assert!(Plain(&mut d).reframe(3, 2, 1).is_some());
        assert_eq!((c.data(), c.headroom()), (d.data(), d.headroom()));
    }
}
