//! One shared copy of the rule parts that many sessions repeat.
//!
//! Sessions of one DNN carry the same Network Instance, and SMFs give most
//! of them the same SDF filters (written against `assigned`, not the UE's
//! address). Compiled rules point to one shared copy of a PDR's PDI parts
//! ([`PdiShared`]) and of a FAR's Network Instance instead of allocating
//! their own: at a million sessions this is several hundred bytes per
//! session.
//!
//! The pools are bounded: a peer sending a new value per session fills a
//! pool to [`POOL_MAX`] and its values are then allocated per session, as
//! without a pool. Entries no session uses any more are purged when a pool
//! is full, at most once per [`POOL_MAX`] insertions refused, so a full
//! pool never costs more than a lookup per compile. Only the control side
//! compiles, so the locks are never contended by the fast path.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::compile::PdiShared;

/// Most distinct values a pool keeps.
pub const POOL_MAX: usize = 4096;

struct Pool<T: ?Sized> {
    set: Option<HashSet<Arc<T>>>,
    /// Insertions refused since the last purge.
    refused: usize,
}

impl<T: ?Sized + Hash + Eq> Pool<T> {
    const fn new() -> Self {
        Pool {
            set: None,
            refused: 0,
        }
    }

    fn get<Q: Borrow<T> + Into<Arc<T>>>(&mut self, v: Q) -> Arc<T> {
        let set = self.set.get_or_insert_with(HashSet::new);
        if let Some(a) = set.get(v.borrow()) {
            return a.clone();
        }
        let a = v.into();
        if set.len() >= POOL_MAX {
            self.refused += 1;
            if self.refused < POOL_MAX {
                return a;
            }
            self.refused = 0;
            // Only this pool holds them.
            set.retain(|x| Arc::strong_count(x) > 1);
            if set.len() >= POOL_MAX {
                return a;
            }
        }
        set.insert(a.clone());
        a
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.set.as_ref().map_or(0, HashSet::len)
    }
}

static NETWORK_INSTANCES: Mutex<Pool<Box<[u8]>>> = Mutex::new(Pool::new());
static PDIS: Mutex<Pool<PdiShared>> = Mutex::new(Pool::new());

/// The shared copy of a Network Instance (behind a thin pointer: a FAR
/// keeps one word for it).
pub fn network_instance(v: Vec<u8>) -> Arc<Box<[u8]>> {
    NETWORK_INSTANCES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(v.into_boxed_slice())
}

/// The shared copy of a PDR's PDI parts.
pub fn pdi(v: PdiShared) -> Arc<PdiShared> {
    if v == PdiShared::default() {
        return no_pdi();
    }
    PDIS.lock().unwrap_or_else(PoisonError::into_inner).get(v)
}

/// The shared empty [`PdiShared`].
pub fn no_pdi() -> Arc<PdiShared> {
    static EMPTY: OnceLock<Arc<PdiShared>> = OnceLock::new();
    EMPTY.get_or_init(Arc::default).clone()
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn equal_values_share_one_copy() {
        let a = network_instance(b"\x08internet".to_vec());
        let b = network_instance(b"\x08internet".to_vec());
        assert_eq!(&**a, b"\x08internet");
        assert!(Arc::ptr_eq(&a, &b));
        let f = || PdiShared {
            sdf: Box::new([
                crate::sdf::SdfFilter::flow("permit out ip from any to assigned").unwrap(),
            ]),
            ..Default::default()
        };
        assert!(Arc::ptr_eq(&pdi(f()), &pdi(f())));
        assert!(Arc::ptr_eq(&pdi(PdiShared::default()), &no_pdi()));
    }

    #[test]
    fn a_full_pool_stays_bounded_and_purges_what_nobody_uses() {
        let mut p: Pool<[u8]> = Pool::new();
        let held: Vec<_> = (0..POOL_MAX as u32)
            .map(|i| p.get(i.to_be_bytes().to_vec()))
            .collect();
        assert_eq!(p.len(), POOL_MAX);
        // Full of values in use: new ones are not kept, but still given.
        for i in 0..2 * POOL_MAX as u32 {
            let v = (u64::from(i) + (1 << 40)).to_be_bytes();
            assert_eq!(&*p.get(v.to_vec()), &v[..]);
            assert!(p.len() <= POOL_MAX);
        }
        // Once nobody holds them, a purge makes room again.
        drop(held);
        let mut kept = false;
        for i in 0..POOL_MAX as u32 + 1 {
            let v = (u64::from(i) + (1 << 48)).to_be_bytes();
            let a = p.get(v.to_vec());
            kept |= Arc::strong_count(&a) == 2;
        }
        assert!(kept);
        assert!(p.len() < POOL_MAX);
    }
}
