//! Owned packet mbufs and bursts.
//!
//! [`Mbuf`] owns one `rte_mbuf` (chain) and frees it on drop. It is
//! `#[repr(transparent)]` over a non-null `rte_mbuf` pointer, so a [`Burst`]
//! of them is, in memory, the `struct rte_mbuf *[]` that `rte_eth_rx_burst`
//! fills and `rte_eth_tx_burst` drains: no copy, no allocation per burst.
//!
//! The packet path works on contiguous data. [`Mbuf::data`] is the first
//! segment; [`Mbuf::is_contiguous`] says whether that is the whole packet.
//! Multi-segment packets are dropped or [`Mbuf::linearize`]d by the caller.
//!
//! Hot accessors (data, lengths, headroom) read `rte_mbuf` fields directly;
//! the edits (`prepend`, `adj`, `trim`, `append`) call DPDK's inline
//! functions through the shim so their semantics are DPDK's own.

use std::fmt;
use std::ptr::NonNull;

use arrayvec::ArrayVec;
use dpdk_sys::rte_mbuf;
use upf_core::buf::PacketBuf;

use crate::error::{Error, Result};
use crate::mempool::Mempool;

/// Packets per burst, the usual DPDK burst size.
pub const BURST_SIZE: usize = 32;

/// A burst of packets, as received from or handed to a port queue.
pub type Burst = ArrayVec<Mbuf, BURST_SIZE>;

/// An owned packet buffer.
#[repr(transparent)]
pub struct Mbuf(NonNull<rte_mbuf>);

// SAFETY: an Mbuf is the unique owner of its rte_mbuf; mbufs may be freed on
// any thread (the pool's ring is multi-producer), so ownership can move.
unsafe impl Send for Mbuf {}
// SAFETY: `&Mbuf` only reads the mbuf; all writes take `&mut self`.
unsafe impl Sync for Mbuf {}

// Bursts are passed to DPDK as arrays of `struct rte_mbuf *`.
const _: () = assert!(std::mem::size_of::<Mbuf>() == std::mem::size_of::<*mut rte_mbuf>());
const _: () = assert!(std::mem::size_of::<Option<Mbuf>>() == std::mem::size_of::<*mut rte_mbuf>());
// bindgen's layout checks cover the rest; the fast path relies on these two.
const _: () = assert!(std::mem::size_of::<rte_mbuf>() == 128);
const _: () = assert!(std::mem::align_of::<rte_mbuf>() == 64);

impl Mbuf {
    /// Allocates an empty mbuf (default headroom, no data).
    #[inline]
    pub fn alloc(pool: &Mempool) -> Result<Mbuf> {
        // SAFETY: the pool is alive (we hold a handle); allocation is
        // thread-safe.
        let m = unsafe { dpdk_sys::rte_pktmbuf_alloc_(pool.as_ptr()) };
        NonNull::new(m)
            .map(Mbuf)
            .ok_or_else(|| Error::NoMbufs(pool.name()))
    }

    /// Allocates `n` empty mbufs into `burst` (all or none).
    pub fn alloc_bulk(pool: &Mempool, burst: &mut Burst, n: usize) -> Result<()> {
        let len = burst.len();
        if n > burst.capacity() - len {
            return Err(Error::Invalid(format!("{n} mbufs do not fit in the burst")));
        }
        // SAFETY: the spare capacity holds at least `n` slots, laid out as
        // `*mut rte_mbuf` (repr(transparent)); on success DPDK wrote `n`
        // valid non-null pointers, which the burst then owns; on failure it
        // wrote nothing we keep.
        unsafe {
            let slots = burst.as_mut_ptr().add(len).cast::<*mut rte_mbuf>();
            let rc = dpdk_sys::rte_pktmbuf_alloc_bulk_(pool.as_ptr(), slots, n as u32);
            if rc != 0 {
                return Err(Error::NoMbufs(pool.name()));
            }
            burst.set_len(len + n);
        }
        Ok(())
    }

    /// Allocates an mbuf holding a copy of `data` (for tests and tools).
    pub fn from_slice(pool: &Mempool, data: &[u8]) -> Result<Mbuf> {
        let mut m = Mbuf::alloc(pool)?;
        m.append(data.len())
            .ok_or_else(|| Error::Invalid(format!("{} bytes do not fit in one mbuf", data.len())))?
            .copy_from_slice(data);
        Ok(m)
    }

    /// Takes ownership of a raw mbuf.
    ///
    /// # Safety
    /// `m` must be a valid mbuf that the caller owns and hands over; nothing
    /// else may use or free it afterwards.
    #[inline]
    pub unsafe fn from_raw(m: NonNull<rte_mbuf>) -> Mbuf {
        Mbuf(m)
    }

    /// Gives up ownership; the caller must free the mbuf (or hand it to
    /// DPDK, or back to [`Mbuf::from_raw`]).
    #[inline]
    pub fn into_raw(self) -> NonNull<rte_mbuf> {
        let p = self.0;
        std::mem::forget(self);
        p
    }

    /// The raw mbuf, still owned by `self`.
    #[inline]
    pub fn as_ptr(&self) -> *mut rte_mbuf {
        self.0.as_ptr()
    }

    #[inline]
    fn raw(&self) -> &rte_mbuf {
        // SAFETY: we own a valid mbuf; the shared borrow of self prevents
        // writes through this handle meanwhile.
        unsafe { self.0.as_ref() }
    }

    /// The first segment's data (the whole packet if [`Self::is_contiguous`]).
    #[inline]
    pub fn data(&self) -> &[u8] {
        let m = self.raw();
        // SAFETY: buf_addr + data_off .. + data_len lies inside the mbuf's
        // buffer (an mbuf invariant DPDK keeps); we own the buffer and
        // borrow self shared.
        unsafe {
            std::slice::from_raw_parts(
                m.buf_addr.cast::<u8>().add(usize::from(m.data_off)),
                usize::from(m.data_len),
            )
        }
    }

    /// The first segment's data, writable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`; the exclusive borrow of self makes this the
        // only access. (A refcount above one, which this crate never
        // creates, would mean shared data: see `refcnt`.)
        unsafe {
            let m = self.0.as_ptr();
            std::slice::from_raw_parts_mut(
                (*m).buf_addr.cast::<u8>().add(usize::from((*m).data_off)),
                usize::from((*m).data_len),
            )
        }
    }

    /// Length of the whole packet (all segments).
    #[inline]
    pub fn pkt_len(&self) -> usize {
        self.raw().pkt_len as usize
    }

    /// Length of the first segment.
    #[inline]
    pub fn data_len(&self) -> usize {
        usize::from(self.raw().data_len)
    }

    /// Number of segments.
    #[inline]
    pub fn nb_segs(&self) -> u16 {
        self.raw().nb_segs
    }

    /// Whether the whole packet is in the first segment.
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        self.raw().nb_segs == 1
    }

    /// Free bytes in front of the data.
    #[inline]
    pub fn headroom(&self) -> usize {
        usize::from(self.raw().data_off)
    }

    /// Free bytes behind the first segment's data.
    #[inline]
    pub fn tailroom(&self) -> usize {
        let m = self.raw();
        usize::from(m.buf_len) - usize::from(m.data_off) - usize::from(m.data_len)
    }

    /// Grows the packet by `n` bytes at the front; returns the new front
    /// bytes (uninitialised contents), or `None` with the mbuf unchanged.
    #[inline]
    pub fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        let len = u16::try_from(n).ok()?;
        // SAFETY: we own the mbuf exclusively; DPDK checks the headroom and
        // returns NULL, changing nothing, when it is too small.
        let p = unsafe { dpdk_sys::rte_pktmbuf_prepend_(self.0.as_ptr(), len) };
        // SAFETY: on success `p` points at `n` bytes inside our buffer.
        (!p.is_null()).then(|| unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), n) })
    }

    /// Grows the packet by `n` bytes at the end of the last segment; returns
    /// them (uninitialised contents), or `None` with the mbuf unchanged.
    #[inline]
    pub fn append(&mut self, n: usize) -> Option<&mut [u8]> {
        let len = u16::try_from(n).ok()?;
        // SAFETY: as in prepend, with the last segment's tailroom.
        let p = unsafe { dpdk_sys::rte_pktmbuf_append_(self.0.as_ptr(), len) };
        // SAFETY: on success `p` points at `n` bytes inside our buffer.
        (!p.is_null()).then(|| unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), n) })
    }

    /// Copies `data` to the end of the packet; `false` if it does not fit.
    pub fn extend_from_slice(&mut self, data: &[u8]) -> bool {
        match self.append(data.len()) {
            Some(d) => {
                d.copy_from_slice(data);
                true
            }
            None => false,
        }
    }

    /// Removes `n` bytes from the front of the first segment
    /// (`rte_pktmbuf_adj`); `false`, unchanged, if it is shorter.
    #[inline]
    pub fn adj(&mut self, n: usize) -> bool {
        let Ok(len) = u16::try_from(n) else {
            return false;
        };
        // SAFETY: we own the mbuf exclusively; DPDK checks the length.
        !unsafe { dpdk_sys::rte_pktmbuf_adj_(self.0.as_ptr(), len) }.is_null()
    }

    /// Removes `n` bytes from the end of the last segment
    /// (`rte_pktmbuf_trim`); `false`, unchanged, if it is shorter.
    #[inline]
    pub fn trim(&mut self, n: usize) -> bool {
        let Ok(len) = u16::try_from(n) else {
            return false;
        };
        // SAFETY: we own the mbuf exclusively; DPDK checks the length.
        unsafe { dpdk_sys::rte_pktmbuf_trim_(self.0.as_ptr(), len) == 0 }
    }

    /// Copies a multi-segment packet into its first segment, freeing the
    /// others. Fails (unchanged) if the first segment has too little room.
    pub fn linearize(&mut self) -> Result<()> {
        // SAFETY: we own the whole chain exclusively.
        let rc = unsafe { dpdk_sys::rte_pktmbuf_linearize_(self.0.as_ptr()) };
        if rc != 0 {
            return Err(Error::Invalid(format!(
                "cannot linearize a {}-byte packet into one segment",
                self.pkt_len()
            )));
        }
        Ok(())
    }

    /// The port the packet was received on.
    #[inline]
    pub fn port(&self) -> u16 {
        self.raw().port
    }

    /// Offload flags (`RTE_MBUF_F_*`).
    #[inline]
    pub fn ol_flags(&self) -> u64 {
        self.raw().ol_flags
    }

    /// Sets offload flags (`RTE_MBUF_F_TX_*` requests for the TX port).
    #[inline]
    pub fn set_ol_flags(&mut self, flags: u64) {
        // SAFETY: exclusive access to our own mbuf; a plain field write.
        unsafe { (*self.0.as_ptr()).ol_flags = flags };
    }

    /// The NIC's RSS hash, when the port computed one.
    #[inline]
    pub fn rss_hash(&self) -> Option<u32> {
        if self.ol_flags() & dpdk_sys::consts::RTE_MBUF_F_RX_RSS_HASH == 0 {
            return None;
        }
        // SAFETY: reads a field of our own mbuf.
        Some(unsafe { dpdk_sys::rte_mbuf_rss_hash_(self.0.as_ptr()) })
    }

    /// Header lengths for TX checksum offload (`l2_len`, `l3_len`,
    /// `l4_len`); use with [`Self::set_ol_flags`].
    #[inline]
    pub fn set_tx_offload(&mut self, l2_len: u8, l3_len: u16, l4_len: u8) {
        // SAFETY: exclusive access to our own mbuf; writes the tx_offload
        // bit-fields only.
        unsafe {
            dpdk_sys::rte_mbuf_tx_offload_set_(
                self.0.as_ptr(),
                u64::from(l2_len),
                u64::from(l3_len),
                u64::from(l4_len),
            )
        };
    }

    /// Prefetches line `line` (64-byte units from the start) of the data.
    #[inline(always)]
    pub fn prefetch_data_line(&self, line: usize) {
        let m = self.raw();
        prefetch(
            m.buf_addr
                .cast::<u8>()
                .wrapping_add(usize::from(m.data_off) + line * 64),
        );
    }

    /// Hints the CPU to fetch the first cache line of the packet data
    /// (`rte_prefetch0`), so that it is in cache when the packet's turn
    /// comes. Reads nothing itself; a no-op off x86-64.
    #[inline(always)]
    pub fn prefetch_data(&self) {
        #[cfg(target_arch = "x86_64")]
        {
            let m = self.raw();
            let p = m
                .buf_addr
                .cast::<u8>()
                .wrapping_add(usize::from(m.data_off));
            // SAFETY: a prefetch is a hint that never faults or reads into
            // the program; the address is that of our own packet data.
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                    p.cast::<i8>(),
                )
            };
        }
    }

    /// Reference count (1 for every mbuf this crate hands out).
    #[inline]
    pub fn refcnt(&self) -> u16 {
        self.raw().refcnt
    }
}

impl Mbuf {
    /// The per-packet metadata in the mbuf's private area, if its pool was
    /// made with room for a `T` ([`Mempool::with_meta`]). The area is zeroed
    /// when the pool is created and keeps whatever the previous user of the
    /// mbuf wrote: reset it when a packet arrives.
    #[inline]
    pub fn meta<T: MbufMeta>(&self) -> Option<&T> {
        if usize::from(self.raw().priv_size) < std::mem::size_of::<T>() {
            return None;
        }
        // SAFETY: the private area directly follows the 128-byte (64-byte
        // aligned) rte_mbuf and holds priv_size >= size_of::<T>() bytes;
        // T's alignment is at most 8 (MbufMeta's compile-time check); any
        // bytes there are a valid T (MbufMeta's contract); we own the mbuf.
        Some(unsafe { &*self.0.as_ptr().add(1).cast::<T>() })
    }

    /// The per-packet metadata, writable (see [`Self::meta`]).
    #[inline]
    pub fn meta_mut<T: MbufMeta>(&mut self) -> Option<&mut T> {
        if usize::from(self.raw().priv_size) < std::mem::size_of::<T>() {
            return None;
        }
        // SAFETY: as in `meta`; `&mut self` makes the access exclusive.
        Some(unsafe { &mut *self.0.as_ptr().add(1).cast::<T>() })
    }
}

/// Per-packet metadata kept in the mbuf private area.
///
/// # Safety
/// Every byte pattern (in particular all zeros, and whatever another
/// `MbufMeta` type stored) must be a valid `T`: plain integers and arrays of
/// them, `#[repr(C)]`, no padding-sensitive invariants, no pointers that
/// are dereferenced, no `bool` or enums. Size and alignment are checked at
/// compile time by [`Mempool::with_meta`] (at most [`MAX_META_SIZE`] bytes,
/// alignment at most 8).
pub unsafe trait MbufMeta: Copy + 'static {}

/// The dataplane's per-packet metadata: where a packet handed to another
/// thread goes, and why it went to the control thread.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketMeta {
    /// Local SEID (control events for buffering).
    pub seid: u64,
    /// FAR id (control events for buffering).
    pub far_id: u32,
    /// Ethdev port id to send on (TX hand-off between threads).
    pub egress_port: u16,
    /// PDR id (control events for buffering).
    pub pdr_id: u16,
    /// Control event kind (see `control::EventKind`), 0 for none.
    pub event: u8,
    /// NOCP flag of a buffering FAR.
    pub notify: u8,
    /// Spare.
    pub spare: [u8; 6],
}

// SAFETY: plain integers and a byte array, repr(C), no invariants: every
// byte pattern is a valid PacketMeta.
unsafe impl MbufMeta for PacketMeta {}

/// Largest private area [`MbufMeta`] may ask for.
pub const MAX_META_SIZE: usize = 64;

/// The private area size for a `T`, checked at compile time: rounded up to
/// DPDK's `RTE_MBUF_PRIV_ALIGN` (8).
pub(crate) const fn meta_priv_size<T: MbufMeta>() -> u16 {
    const {
        assert!(
            std::mem::size_of::<T>() <= MAX_META_SIZE,
            "mbuf metadata too large"
        );
        assert!(std::mem::align_of::<T>() <= 8, "mbuf metadata over-aligned");
    }
    std::mem::size_of::<T>().next_multiple_of(8) as u16
}

impl Drop for Mbuf {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: we own the mbuf (chain) and give it back exactly once.
        unsafe { dpdk_sys::rte_pktmbuf_free_(self.0.as_ptr()) }
    }
}

impl PacketBuf for Mbuf {
    #[inline]
    fn data(&self) -> &[u8] {
        Mbuf::data(self)
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        Mbuf::data_mut(self)
    }
    #[inline]
    fn headroom(&self) -> usize {
        Mbuf::headroom(self)
    }
    #[inline]
    fn prepend(&mut self, n: usize) -> bool {
        Mbuf::prepend(self, n).is_some()
    }
    #[inline]
    fn adj(&mut self, n: usize) -> bool {
        Mbuf::adj(self, n)
    }
    /// Shortens a contiguous packet; refuses (returns `false`) on a
    /// multi-segment one, whose [`PacketBuf::data`] is only the first
    /// segment.
    #[inline]
    fn truncate(&mut self, len: usize) -> bool {
        let cur = self.data_len();
        self.is_contiguous() && len <= cur && self.trim(cur - len)
    }
    /// One step on the mbuf's fields instead of the three DPDK calls
    /// (`adj`, `trim`, `prepend`); refuses a multi-segment packet.
    #[inline]
    fn reframe(&mut self, start: usize, len: usize, front: usize) -> Option<&mut [u8]> {
        let m = self.raw();
        let (off, data_len) = (usize::from(m.data_off), usize::from(m.data_len));
        if m.nb_segs != 1 || start.checked_add(len)? > data_len || off + start < front {
            return None;
        }
        let new_len = u16::try_from(len + front).ok()?;
        let new_off = (off + start - front) as u16; // below data_off + data_len
                                                    // SAFETY: we own the mbuf exclusively; the new data range
                                                    // new_off..new_off + new_len lies within the old headroom and data,
                                                    // inside the buffer, and the mbuf has one segment, so pkt_len is
                                                    // data_len.
        unsafe {
            let p = self.0.as_ptr();
            (*p).data_off = new_off;
            (*p).data_len = new_len;
            (*p).pkt_len = u32::from(new_len);
        }
        Some(self.data_mut())
    }
    #[inline]
    fn len(&self) -> usize {
        self.data_len()
    }
}

impl fmt::Debug for Mbuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mbuf")
            .field("ptr", &self.0)
            .field("pkt_len", &self.pkt_len())
            .field("data_len", &self.data_len())
            .field("nb_segs", &self.nb_segs())
            .field("headroom", &self.headroom())
            .field("port", &self.port())
            .finish()
    }
}

/// Hints the CPU to fetch the cache line at `p` (`rte_prefetch0`). Never
/// faults, whatever the address; a no-op off x86-64.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it does not fault on any address and
    // does not read into the program.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Frees every mbuf of `burst` in one call (`rte_pktmbuf_free_bulk`),
/// leaving it empty.
#[inline]
pub fn free_bulk(burst: &mut Burst) {
    let n = burst.len();
    if n == 0 {
        return;
    }
    // SAFETY: the burst owns `n` valid mbufs laid out as `*mut rte_mbuf`.
    // Its length is set to 0 first, so the mbufs are freed once, by DPDK,
    // and never dropped again.
    unsafe {
        burst.set_len(0);
        dpdk_sys::rte_pktmbuf_free_bulk(burst.as_mut_ptr().cast::<*mut rte_mbuf>(), n as u32);
    }
}
