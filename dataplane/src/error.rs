//! Errors of the dataplane crate.

use std::ffi::CStr;

/// Result with the dataplane [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in a DPDK control operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operation needs the EAL, which is not initialised yet.
    #[error("the DPDK EAL is not initialised")]
    EalNotInitialised,
    /// `Eal::init` was called again with a different configuration.
    #[error("the DPDK EAL is already initialised with a different configuration (args {0:?})")]
    EalConfigMismatch(Vec<String>),
    /// `rte_eal_init` failed (it cannot be retried in this process).
    #[error("DPDK EAL initialisation failed: {0}")]
    EalInit(String),
    /// A DPDK call failed with an errno.
    #[error("{op} failed: {msg} (errno {errno})")]
    Dpdk {
        /// The DPDK function or the operation.
        op: String,
        /// Positive errno value.
        errno: i32,
        /// `rte_strerror(errno)`.
        msg: String,
    },
    /// A configuration value DPDK or the device cannot accept.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// The port's queue handles are still held (by workers).
    #[error("port {0}: queue handles are still held; drop them first")]
    QueuesInUse(String),
    /// The mempool has no free mbufs.
    #[error("mempool {0}: no free mbufs")]
    NoMbufs(String),
}

impl Error {
    /// An error from a DPDK return code `rc`, a negative errno.
    pub(crate) fn dpdk(op: impl Into<String>, rc: i32) -> Self {
        let errno = rc.saturating_neg();
        Error::Dpdk {
            op: op.into(),
            errno,
            msg: strerror(errno),
        }
    }

    /// An error from `rte_errno`, for calls that return NULL or -1.
    pub(crate) fn dpdk_errno(op: impl Into<String>) -> Self {
        let errno = rte_errno();
        Error::Dpdk {
            op: op.into(),
            errno,
            msg: strerror(errno),
        }
    }

    /// The positive errno of a [`Error::Dpdk`].
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Dpdk { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

/// The calling thread's `rte_errno`.
pub(crate) fn rte_errno() -> i32 {
    // SAFETY: reads a thread-local integer; valid on any thread.
    unsafe { dpdk_sys::rte_errno_() }
}

/// `rte_strerror(errno)`, which covers both libc and DPDK-specific codes.
pub(crate) fn strerror(errno: i32) -> String {
    // SAFETY: rte_strerror returns a pointer to a NUL-terminated string in a
    // static table or a thread-local buffer, valid until the next call on
    // this thread; it is copied at once.
    unsafe { CStr::from_ptr(dpdk_sys::rte_strerror(errno)) }
        .to_string_lossy()
        .into_owned()
}
