//! A clock the caller moves, for the workers' `now` in tests: meters,
//! shapers and usage counting then see exactly the time the test says,
//! however slowly a shared machine runs the workers.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Time in nanoseconds, set by its owner; each worker reports the time of
/// the last loop iteration it completed.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicU64,
    completed: Box<[AtomicU64]>,
}

impl ManualClock {
    /// A clock at `start_ns` for `workers` workers.
    pub fn new(start_ns: u64, workers: usize) -> Self {
        ManualClock {
            now: AtomicU64::new(start_ns),
            completed: (0..workers).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The time now.
    #[inline]
    pub fn now(&self) -> u64 {
        self.now.load(Ordering::Acquire)
    }

    /// Moves the clock to `ns`.
    pub fn set(&self, ns: u64) {
        self.now.store(ns, Ordering::Release);
    }

    /// Worker `worker` completed a loop iteration that started at `ns`.
    #[inline]
    pub(crate) fn completed(&self, worker: usize, ns: u64) {
        if let Some(c) = self.completed.get(worker) {
            c.store(ns, Ordering::Release);
        }
    }

    /// Moves the clock to `ns` and waits until every worker has completed
    /// a loop iteration at that time (so everything it had received before
    /// has been processed, and what the time allows has been sent). False
    /// after `timeout`.
    pub fn advance(&self, ns: u64, timeout: Duration) -> bool {
        self.set(ns);
        let end = Instant::now() + timeout;
        while self
            .completed
            .iter()
            .any(|c| c.load(Ordering::Acquire) < ns)
        {
            if Instant::now() > end {
                return false;
            }
            std::thread::yield_now();
        }
        true
    }
}
