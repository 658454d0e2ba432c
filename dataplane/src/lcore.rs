//! Running polling loops on pinned cores.
//!
//! Two ways, both returning a join handle with the closure's result (a panic
//! in the closure is caught and returned as `Err`, like
//! [`std::thread::JoinHandle::join`]):
//! - [`launch_on_lcore`]: on an EAL worker lcore (`rte_eal_remote_launch`);
//!   the thread is EAL's, pinned as `--lcores` says, with its own lcore id
//!   (mempool caches apply).
//! - [`spawn_pinned`]: on a new std thread pinned to one CPU with
//!   `sched_setaffinity`, optionally registered with EAL
//!   (`rte_thread_register`) to get an lcore id.
//!
//! Loops stop cooperatively on a [`StopFlag`].
#![forbid(unsafe_code)]

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::eal;
use crate::error::Result;

/// A shared stop request, checked by polling loops between bursts.
#[derive(Clone, Debug, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag not yet raised.
    pub fn new() -> Self {
        StopFlag::default()
    }
    /// Asks every holder to stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Release);
    }
    /// Whether a stop was asked for (one relaxed-cost load; call once per
    /// burst loop iteration).
    #[inline]
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

type Slot<T> = Arc<Mutex<Option<thread::Result<T>>>>;

/// The result of a job on an EAL lcore. Dropping it detaches the job.
#[derive(Debug)]
#[must_use = "dropping the handle detaches the job; call join() to wait"]
pub struct LcoreJoinHandle<T> {
    lcore: u32,
    slot: Slot<T>,
}

impl<T> LcoreJoinHandle<T> {
    /// The lcore running the job.
    pub fn lcore(&self) -> u32 {
        self.lcore
    }

    /// Whether the job is done.
    pub fn is_finished(&self) -> bool {
        !eal::lcore_busy(self.lcore)
    }

    /// Waits for the job and returns its result (`Err` with the panic
    /// payload if it panicked).
    pub fn join(self) -> thread::Result<T> {
        eal::wait_lcore(self.lcore);
        let r = self.slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        r.unwrap_or_else(|| Err(Box::new("lcore job ended without a result")))
    }
}

/// Runs `f` on EAL worker lcore `lcore`. Fails if EAL is not initialised,
/// `lcore` is not an enabled worker lcore, or it is busy.
pub fn launch_on_lcore<F, T>(lcore: u32, f: F) -> Result<LcoreJoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let slot: Slot<T> = Arc::new(Mutex::new(None));
    let out = slot.clone();
    eal::remote_launch(
        lcore,
        Box::new(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        }),
    )?;
    Ok(LcoreJoinHandle { lcore, slot })
}

/// Spawns a thread named `name` pinned to CPU `cpu`. With `register`, the
/// thread registers with EAL for an lcore id (if EAL is up and an id is
/// free) and releases it when `f` returns.
pub fn spawn_pinned<F, T>(
    cpu: usize,
    name: &str,
    register: bool,
    f: F,
) -> io::Result<thread::JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if !eal::allowed_cpus().contains(&cpu) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("CPU {cpu} is not available to this process"),
        ));
    }
    thread::Builder::new().name(name.to_owned()).spawn(move || {
        if let Err(e) = eal::pin_current_thread(cpu) {
            panic!("cannot pin thread to CPU {cpu}: {e}");
        }
        let _registration = (register && eal::register_thread().is_some()).then_some(Registered);
        f()
    })
}

/// Releases the thread's EAL lcore id when dropped (also on panic).
struct Registered;

impl Drop for Registered {
    fn drop(&mut self) {
        eal::unregister_thread();
    }
}

/// The CPU the calling thread is pinned to, if it may run on exactly one.
pub fn pinned_cpu() -> Option<usize> {
    let cpus = eal::allowed_cpus();
    (cpus.len() == 1).then(|| cpus[0])
}
