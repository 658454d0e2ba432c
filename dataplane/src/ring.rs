//! Multi-producer, single-consumer rings of mbufs (`rte_ring`).
//!
//! Workers hand packets to each other (software steering, TX through the
//! worker that owns a port's queue) and to the control thread through these
//! rings. [`MbufRing`] is the producer side: cloneable, any thread may
//! enqueue. [`RingConsumer`] is the one consumer: `Send` but not `Sync`, and
//! there is exactly one per ring, as `RING_F_SC_DEQ` requires.
//!
//! Ownership: an enqueued [`Mbuf`] belongs to the ring until dequeued; what
//! is left in the ring when the last handle goes is freed.

use std::cell::Cell;
use std::ffi::CString;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;

use dpdk_sys::{rte_mbuf, rte_ring};

use crate::eal::Eal;
use crate::error::{Error, Result};
use crate::mbuf::{Burst, Mbuf};

struct RingInner {
    ptr: NonNull<rte_ring>,
    capacity: usize,
}

// SAFETY: the ring is created multi-producer (DPDK's MP enqueue is
// thread-safe); the single consumer is enforced by `RingConsumer` being
// unique and not Sync. The pointer is never written after creation.
unsafe impl Send for RingInner {}
// SAFETY: shared access only enqueues (MP-safe) or reads the count.
unsafe impl Sync for RingInner {}

/// The producer side of a ring of mbufs.
#[derive(Clone)]
pub struct MbufRing {
    inner: Arc<RingInner>,
}

/// The consumer side of a ring of mbufs (one per ring).
pub struct RingConsumer {
    inner: Arc<RingInner>,
    _not_sync: PhantomData<Cell<()>>,
}

impl MbufRing {
    /// Creates a ring of `size` slots (a power of two; it holds `size - 1`
    /// mbufs) named `name` (unique in the process), multi-producer and
    /// single-consumer, and returns both ends.
    pub fn new(name: &str, size: u32) -> Result<(MbufRing, RingConsumer)> {
        Eal::require()?;
        if !size.is_power_of_two() || size < 2 {
            return Err(Error::Invalid(format!(
                "ring {name}: size {size} is not a power of two"
            )));
        }
        let c = CString::new(name).map_err(|_| Error::Invalid(format!("ring name {name:?}")))?;
        // SAFETY: EAL is initialised; `c` is valid for the call; the flags
        // are DPDK's documented ones.
        let ptr = unsafe {
            dpdk_sys::rte_ring_create(c.as_ptr(), size, -1, dpdk_sys::consts::RING_F_SC_DEQ)
        };
        let ptr = NonNull::new(ptr)
            .ok_or_else(|| Error::dpdk_errno(format!("rte_ring_create({name})")))?;
        let inner = Arc::new(RingInner {
            ptr,
            capacity: size as usize - 1,
        });
        Ok((
            MbufRing {
                inner: inner.clone(),
            },
            RingConsumer {
                inner,
                _not_sync: PhantomData,
            },
        ))
    }

    /// Moves mbufs from the front of `burst` into the ring, as many as fit;
    /// the rest stay in `burst`, in order. Returns how many were enqueued.
    #[inline]
    pub fn enqueue_burst(&self, burst: &mut Burst) -> usize {
        let len = burst.len();
        if len == 0 {
            return 0;
        }
        // SAFETY: the burst's first `len` slots are owned mbufs laid out as
        // `*mut rte_mbuf`; the ring takes ownership of the first `n`. The
        // length is set to 0 before the rest move to the front, so no mbuf
        // is owned twice. MP enqueue is thread-safe.
        unsafe {
            let slots = burst.as_mut_ptr().cast::<*mut rte_mbuf>();
            let n = dpdk_sys::rte_ring_enqueue_burst_(
                self.inner.ptr.as_ptr(),
                slots.cast::<*mut std::ffi::c_void>(),
                len as u32,
                std::ptr::null_mut(),
            ) as usize;
            if n != 0 {
                burst.set_len(0);
                std::ptr::copy(slots.add(n), slots, len - n);
                burst.set_len(len - n);
            }
            n
        }
    }

    /// Enqueues one mbuf, or gives it back when the ring is full.
    #[inline]
    pub fn enqueue(&self, m: Mbuf) -> std::result::Result<(), Mbuf> {
        let mut one = Burst::new();
        one.push(m);
        if self.enqueue_burst(&mut one) == 1 {
            Ok(())
        } else {
            Err(one.pop().expect("still in the burst"))
        }
    }

    /// Mbufs in the ring now (a racy snapshot).
    pub fn len(&self) -> usize {
        // SAFETY: reads the ring's indexes; the ring is alive.
        unsafe { dpdk_sys::rte_ring_count_(self.inner.ptr.as_ptr()) as usize }
    }

    /// Whether the ring is empty now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Mbufs the ring can hold.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }
}

impl RingConsumer {
    /// Dequeues into the spare capacity of `burst`; returns how many.
    #[inline]
    pub fn dequeue_burst(&mut self, burst: &mut Burst) -> usize {
        dequeue(&self.inner, burst)
    }
}

#[inline]
fn dequeue(inner: &RingInner, burst: &mut Burst) -> usize {
    let len = burst.len();
    let room = burst.capacity() - len;
    if room == 0 {
        return 0;
    }
    // SAFETY: the spare capacity holds `room` slots laid out as
    // `*mut rte_mbuf`; the ring writes at most `room` mbufs that it owned,
    // which the burst now owns. Single consumer: `RingConsumer` is unique
    // and not Sync (or this is the last handle, in Drop).
    unsafe {
        let slots = burst.as_mut_ptr().add(len).cast::<*mut std::ffi::c_void>();
        let n = dpdk_sys::rte_ring_dequeue_burst_(
            inner.ptr.as_ptr(),
            slots,
            room as u32,
            std::ptr::null_mut(),
        ) as usize;
        burst.set_len(len + n);
        n
    }
}

impl Drop for RingInner {
    fn drop(&mut self) {
        // Last handle: nobody else can enqueue or dequeue. Free what is left.
        let mut b = Burst::new();
        while dequeue(self, &mut b) > 0 {
            crate::mbuf::free_bulk(&mut b);
        }
        // SAFETY: the ring is empty and no handle refers to it any more.
        unsafe { dpdk_sys::rte_ring_free(self.ptr.as_ptr()) }
    }
}

impl std::fmt::Debug for MbufRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MbufRing")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl std::fmt::Debug for RingConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingConsumer").finish_non_exhaustive()
    }
}

// `Mbuf` is a pointer: the rings store it as one.
const _: () = assert!(std::mem::size_of::<Mbuf>() == std::mem::size_of::<*mut rte_mbuf>());

/// What DPDK's ring PMD reads from the `internal` device argument
/// (`struct ring_internal_args` in `rte_eth_ring.c`, the same as
/// `rte_eth_from_rings` builds).
#[repr(C)]
struct RingInternalArgs {
    rx_queues: *const *mut rte_ring,
    nb_rx_queues: std::ffi::c_uint,
    tx_queues: *const *mut rte_ring,
    nb_tx_queues: std::ffi::c_uint,
    numa_node: std::ffi::c_uint,
    /// Its own address, which the PMD checks.
    addr: *mut std::ffi::c_void,
}

/// A `net_ring` port over rings the caller made: what the UPF sends on
/// TX queue `i` lands in `tx[i]`, and what the caller puts in `rx[i]` is
/// received on RX queue `i`. An in-process packet source and sink (tests,
/// benchmarks). Keep this value, and the rings, alive until the port is
/// opened with [`Self::devargs`]; the rings must outlive the port.
pub struct RingPortArgs {
    args: Box<RingInternalArgs>,
    _rx: Box<[*mut rte_ring]>,
    _tx: Box<[*mut rte_ring]>,
    _rings: Vec<MbufRing>,
}

impl std::fmt::Debug for RingPortArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingPortArgs")
            .field("rx", &self.args.nb_rx_queues)
            .field("tx", &self.args.nb_tx_queues)
            .finish()
    }
}

impl RingPortArgs {
    /// One RX queue per ring of `rx`, one TX queue per ring of `tx`.
    pub fn new(rx: &[MbufRing], tx: &[MbufRing]) -> Self {
        let rxp: Box<[*mut rte_ring]> = rx.iter().map(|r| r.inner.ptr.as_ptr()).collect();
        let txp: Box<[*mut rte_ring]> = tx.iter().map(|r| r.inner.ptr.as_ptr()).collect();
        let mut args = Box::new(RingInternalArgs {
            rx_queues: rxp.as_ptr(),
            nb_rx_queues: rx.len() as std::ffi::c_uint,
            tx_queues: txp.as_ptr(),
            nb_tx_queues: tx.len() as std::ffi::c_uint,
            numa_node: 0,
            addr: std::ptr::null_mut(),
        });
        args.addr = std::ptr::addr_of_mut!(*args).cast();
        RingPortArgs {
            args,
            _rx: rxp,
            _tx: txp,
            _rings: rx.iter().chain(tx).cloned().collect(),
        }
    }

    /// Device arguments for [`crate::port::PortDevice::Vdev`]; `name`
    /// must start with `net_ring`.
    pub fn devargs(&self, name: &str) -> String {
        format!("{name},internal={:p}", self.args.addr)
    }
}
