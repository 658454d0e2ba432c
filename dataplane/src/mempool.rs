//! Packet mbuf pools (`rte_pktmbuf_pool_create`).
//!
//! A [`Mempool`] is a cheap, cloneable handle. Ports keep a clone for as long
//! as their RX queues may allocate from the pool. When the last handle goes,
//! the pool is freed if every mbuf is back in it; otherwise it is leaked on
//! purpose: mbufs may still sit in driver rings or in [`crate::Mbuf`]s that
//! were turned into raw pointers, and freeing the pool under them would turn
//! their later free into a use-after-free. A leaked pool is reclaimed with the
//! process.

use std::ffi::{CStr, CString};
use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;

use dpdk_sys::rte_mempool;

use crate::eal::Eal;
use crate::error::{Error, Result};
use crate::mbuf::{meta_priv_size, MbufMeta};

/// `SOCKET_ID_ANY`: let DPDK pick the NUMA socket.
pub const SOCKET_ANY: i32 = -1;

/// A pool of packet mbufs.
#[derive(Clone)]
pub struct Mempool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    ptr: NonNull<rte_mempool>,
}

// SAFETY: an rte_mempool created by rte_pktmbuf_pool_create uses DPDK's
// default multi-producer/multi-consumer ring ops, so get and put are safe
// from any thread; per-lcore caches are indexed by the calling thread's own
// lcore id. The pointer itself is never written after creation.
unsafe impl Send for PoolInner {}
// SAFETY: as above; shared access only reads the pool header or goes
// through DPDK's thread-safe get/put.
unsafe impl Sync for PoolInner {}

impl Mempool {
    /// Creates a pool of `n_mbufs` mbufs, each with `data_room` bytes of
    /// buffer (headroom included: use
    /// [`dpdk_sys::consts::RTE_MBUF_DEFAULT_BUF_SIZE`] for 2 KiB of data
    /// behind the default headroom), a per-lcore cache of `cache` mbufs, on
    /// NUMA `socket` ([`SOCKET_ANY`]). The name must be unique in the process.
    pub fn new(name: &str, n_mbufs: u32, cache: u32, data_room: u16, socket: i32) -> Result<Self> {
        Self::create(name, n_mbufs, cache, 0, data_room, socket)
    }

    /// Like [`Mempool::new`], with a private area in every mbuf that holds
    /// a `T` (see [`crate::mbuf::MbufMeta`] and [`crate::Mbuf::meta`]).
    pub fn with_meta<T: MbufMeta>(
        name: &str,
        n_mbufs: u32,
        cache: u32,
        data_room: u16,
        socket: i32,
    ) -> Result<Self> {
        Self::create(
            name,
            n_mbufs,
            cache,
            meta_priv_size::<T>(),
            data_room,
            socket,
        )
    }

    fn create(
        name: &str,
        n_mbufs: u32,
        cache: u32,
        priv_size: u16,
        data_room: u16,
        socket: i32,
    ) -> Result<Self> {
        Eal::require()?;
        let c = CString::new(name).map_err(|_| Error::Invalid(format!("pool name {name:?}")))?;
        // SAFETY: EAL is initialised; `c` is valid for the call; the other
        // arguments are plain values that DPDK validates.
        let ptr = unsafe {
            dpdk_sys::rte_pktmbuf_pool_create(
                c.as_ptr(),
                n_mbufs,
                cache,
                priv_size,
                data_room,
                socket,
            )
        };
        let ptr = NonNull::new(ptr)
            .ok_or_else(|| Error::dpdk_errno(format!("rte_pktmbuf_pool_create({name})")))?;
        Ok(Mempool {
            inner: Arc::new(PoolInner { ptr }),
        })
    }

    /// The raw pool, for FFI.
    #[inline]
    pub fn as_ptr(&self) -> *mut rte_mempool {
        self.inner.ptr.as_ptr()
    }

    /// The pool's name.
    pub fn name(&self) -> String {
        // SAFETY: the pool is alive (we hold a handle); `name` is a
        // NUL-terminated array inside the pool header.
        unsafe { CStr::from_ptr((*self.as_ptr()).name.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    /// Number of mbufs the pool holds in all.
    pub fn capacity(&self) -> u32 {
        // SAFETY: reads the immutable size field of a live pool.
        unsafe { (*self.as_ptr()).size }
    }

    /// Mbufs free in the pool, per-lcore caches included.
    pub fn avail_count(&self) -> u32 {
        // SAFETY: the pool is alive; the count is a racy but safe snapshot.
        unsafe { dpdk_sys::rte_mempool_avail_count(self.as_ptr()) }
    }

    /// Mbufs taken from the pool and not yet returned.
    pub fn in_use_count(&self) -> u32 {
        // SAFETY: as for avail_count.
        unsafe { dpdk_sys::rte_mempool_in_use_count(self.as_ptr()) }
    }

    /// Data room of each mbuf (headroom included).
    pub fn data_room(&self) -> u16 {
        // SAFETY: reads the private area of a live packet mbuf pool.
        unsafe { dpdk_sys::rte_pktmbuf_data_room_size_(self.as_ptr()) }
    }
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        // SAFETY: this is the last handle. The pool is freed only if no mbuf
        // is out (none can be taken afterwards: nobody else has the pointer,
        // ports hold handles of their own); otherwise it is leaked (see the
        // module docs).
        unsafe {
            if dpdk_sys::rte_mempool_in_use_count(self.ptr.as_ptr()) == 0 {
                dpdk_sys::rte_mempool_free(self.ptr.as_ptr());
            }
        }
    }
}

impl fmt::Debug for Mempool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mempool")
            .field("name", &self.name())
            .field("capacity", &self.capacity())
            .field("avail", &self.avail_count())
            .finish()
    }
}
