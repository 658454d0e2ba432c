//! The DPDK Environment Abstraction Layer: one per process.
//!
//! `rte_eal_init` works once per process (not even after `rte_eal_cleanup`),
//! so [`Eal::init`] stores the result: a second call with the same
//! configuration returns the same [`Eal`], one with a different configuration
//! returns [`Error::EalConfigMismatch`], and a failed init stays failed.
//!
//! Virtual devices can be given at init ([`EalConfig::vdevs`]) or hot-plugged
//! afterwards ([`Eal::probe_vdev`], [`Eal::remove_device`]); the latter is how
//! tests give every test its own `net_pcap` port under one EAL.
//!
//! Drivers: with DPDK's shared build (Debian's), EAL loads every PMD from its
//! compiled-in driver directory at init and nothing more is needed. Where that
//! is not the case, name the directory in [`EalConfig::driver_dirs`] or in the
//! environment variable `UPF_DPDK_PMD_DIR` (passed as `-d`);
//! [`dpdk_sys::PMD_DIR`] is the directory pkg-config pointed at when building.
//!
//! Affinity: `rte_eal_init` pins the calling thread to the main lcore's CPU,
//! and threads spawned from it afterwards inherit that. Set
//! [`EalConfig::keep_caller_affinity`] to restore the caller's affinity after
//! init (the thread still counts as the main lcore for DPDK).

use std::ffi::{c_char, CString};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::error::{Error, Result};

/// EAL command-line options, typed. [`EalConfig::args`] renders them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EalConfig {
    /// `--lcores`: a list (`"0,1"`, `"0-3"`) or lcore-to-CPU mapping
    /// (`"0@0,1@1"`). `None`: every CPU the process may run on.
    pub lcores: Option<String>,
    /// `--main-lcore`. `None`: the first lcore.
    pub main_lcore: Option<u32>,
    /// `--no-huge`: anonymous memory instead of hugepages (tests, CI).
    pub no_huge: bool,
    /// `-m`: memory to preallocate, in MiB (required sizing with `no_huge`).
    pub memory_mb: Option<u32>,
    /// `--in-memory`: hugepages without hugetlbfs files. Not with `no_huge`.
    pub in_memory: bool,
    /// `--file-prefix`: keeps runtime files of several processes apart.
    pub file_prefix: Option<String>,
    /// `--vdev` arguments, e.g. `net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap`.
    pub vdevs: Vec<String>,
    /// `-a` (PCI allow list) entries.
    pub pci_allow: Vec<String>,
    /// `--no-pci`.
    pub no_pci: bool,
    /// `--no-shconf`: no shared config files (no secondary processes).
    pub no_shconf: bool,
    /// `--no-telemetry`.
    pub no_telemetry: bool,
    /// `--log-level`, e.g. `"notice"` or `"pmd.net.pcap:debug"`.
    pub log_level: Option<String>,
    /// `-d` driver directories or files (see the module docs).
    pub driver_dirs: Vec<String>,
    /// Further arguments, passed verbatim after the others.
    pub extra: Vec<String>,
    /// Restore the calling thread's CPU affinity after `rte_eal_init`.
    pub keep_caller_affinity: bool,
}

impl EalConfig {
    /// The configuration tests use: no hugepages, 256 MiB, no PCI, no shared
    /// files, no telemetry, lcores 0 and 1 (on the CPUs the process may use),
    /// a file prefix unique to this process, warnings only, and the caller's
    /// affinity left alone.
    pub fn for_tests() -> Self {
        EalConfig {
            lcores: Some(test_lcores()),
            no_huge: true,
            memory_mb: Some(256),
            file_prefix: Some(format!("upf-test-{}", std::process::id())),
            no_pci: true,
            no_shconf: true,
            no_telemetry: true,
            log_level: Some("warning".into()),
            keep_caller_affinity: true,
            ..EalConfig::default()
        }
    }

    /// The argument vector (without the program name).
    pub fn args(&self) -> Result<Vec<String>> {
        if self.in_memory && self.no_huge {
            return Err(Error::Invalid(
                "--in-memory and --no-huge do not combine".into(),
            ));
        }
        let mut a = Vec::new();
        if let Some(l) = &self.lcores {
            a.push(format!("--lcores={l}"));
        }
        if let Some(m) = self.main_lcore {
            a.push(format!("--main-lcore={m}"));
        }
        if self.no_huge {
            a.push("--no-huge".into());
        }
        if let Some(m) = self.memory_mb {
            a.extend(["-m".into(), m.to_string()]);
        }
        if self.in_memory {
            a.push("--in-memory".into());
        }
        if let Some(p) = &self.file_prefix {
            a.push(format!("--file-prefix={p}"));
        }
        if self.no_pci {
            a.push("--no-pci".into());
        }
        for p in &self.pci_allow {
            a.extend(["-a".into(), p.clone()]);
        }
        if self.no_shconf {
            a.push("--no-shconf".into());
        }
        if self.no_telemetry {
            a.push("--no-telemetry".into());
        }
        if let Some(l) = &self.log_level {
            a.push(format!("--log-level={l}"));
        }
        let env_dir = std::env::var("UPF_DPDK_PMD_DIR")
            .ok()
            .filter(|d| !d.is_empty());
        for d in self.driver_dirs.iter().chain(env_dir.as_ref()) {
            a.extend(["-d".into(), d.clone()]);
        }
        for v in &self.vdevs {
            a.push(format!("--vdev={v}"));
        }
        a.extend(self.extra.iter().cloned());
        Ok(a)
    }
}

/// Two lcores on the first two CPUs this process may run on (one when only
/// one is allowed), mapped as `0@cpu,1@cpu`.
fn test_lcores() -> String {
    let cpus = allowed_cpus();
    match cpus.as_slice() {
        [] => "0".into(),
        [c] => format!("0@{c},1@{c}"),
        [c0, c1, ..] => format!("0@{c0},1@{c1}"),
    }
}

/// The CPUs the calling thread may run on.
pub fn allowed_cpus() -> Vec<usize> {
    match get_affinity() {
        Some(set) => (0..libc::CPU_SETSIZE as usize)
            // SAFETY: CPU_ISSET reads a bit of a valid cpu_set_t; the index is
            // below CPU_SETSIZE.
            .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
            .collect(),
        None => Vec::new(),
    }
}

fn get_affinity() -> Option<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is plain data (all-zero is the empty set); the size
    // passed is its size; pid 0 is the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        (libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0)
            .then_some(set)
    }
}

fn set_affinity(set: &libc::cpu_set_t) -> bool {
    // SAFETY: `set` is a valid cpu_set_t of the size passed; pid 0 is the
    // calling thread.
    unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) == 0 }
}

/// Pins the calling thread to one CPU.
pub(crate) fn pin_current_thread(cpu: usize) -> std::io::Result<()> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: cpu_set_t is plain data; CPU_SET writes a bit below
    // CPU_SETSIZE (checked above).
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        set
    };
    if set_affinity(&set) {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The initialised EAL. Obtained from [`Eal::init`] or [`Eal::get`].
#[derive(Debug)]
pub struct Eal {
    config: EalConfig,
    args: Vec<String>,
}

static EAL: OnceLock<Eal> = OnceLock::new();
/// Serialises `rte_eal_init` and remembers a failure.
static INIT: Mutex<Option<String>> = Mutex::new(None);
/// Serialises ethdev and device control operations (probe, configure, start,
/// stop, close, remove), which DPDK does not make thread-safe.
static CONTROL: Mutex<()> = Mutex::new(());

/// Takes the control-path lock (poisoning is ignored: the guarded state is
/// DPDK's, not ours).
pub(crate) fn control_lock() -> MutexGuard<'static, ()> {
    CONTROL.lock().unwrap_or_else(|e| e.into_inner())
}

impl Eal {
    /// Initialises the EAL with `config`, once per process.
    pub fn init(config: &EalConfig) -> Result<&'static Eal> {
        let args = config.args()?;
        let mut failed = INIT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(eal) = EAL.get() {
            return if eal.config == *config {
                Ok(eal)
            } else {
                Err(Error::EalConfigMismatch(eal.args.clone()))
            };
        }
        if let Some(msg) = failed.as_ref() {
            return Err(Error::EalInit(msg.clone()));
        }

        let mut argv_owned = Vec::with_capacity(args.len() + 1);
        argv_owned.push(CString::new("upf").expect("no NUL"));
        for a in &args {
            argv_owned.push(
                CString::new(a.as_str())
                    .map_err(|_| Error::Invalid(format!("EAL argument with NUL: {a:?}")))?,
            );
        }
        // EAL may keep pointers into argv (and reorders the array), so both
        // the strings and the array live for the rest of the process.
        let argv: &'static mut [*mut c_char] = Box::leak(
            argv_owned
                .into_iter()
                .map(CString::into_raw)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let saved = config.keep_caller_affinity.then(get_affinity).flatten();
        let argc = i32::try_from(argv.len()).expect("few arguments");
        // SAFETY: argv holds argc valid NUL-terminated strings that are never
        // freed; INIT's lock makes this the only rte_eal_init call in flight,
        // and EAL being unset means it has not succeeded before.
        let rc = unsafe { dpdk_sys::rte_eal_init(argc, argv.as_mut_ptr()) };
        if rc < 0 {
            let err = Error::dpdk_errno("rte_eal_init");
            let msg = format!("{err} (args {args:?})");
            *failed = Some(msg.clone());
            return Err(Error::EalInit(msg));
        }
        if let Some(set) = saved {
            set_affinity(&set);
        }
        Ok(EAL.get_or_init(|| Eal {
            config: config.clone(),
            args,
        }))
    }

    /// The EAL, if initialised.
    pub fn get() -> Option<&'static Eal> {
        EAL.get()
    }

    /// The EAL, or [`Error::EalNotInitialised`].
    pub(crate) fn require() -> Result<&'static Eal> {
        EAL.get().ok_or(Error::EalNotInitialised)
    }

    /// The configuration it was initialised with.
    pub fn config(&self) -> &EalConfig {
        &self.config
    }

    /// The arguments it was initialised with (without the program name).
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The main lcore id.
    pub fn main_lcore(&self) -> u32 {
        // SAFETY: reads EAL configuration set at init, which has happened.
        unsafe { dpdk_sys::rte_get_main_lcore() }
    }

    /// The enabled worker lcores (every enabled lcore but the main one).
    pub fn worker_lcores(&self) -> Vec<u32> {
        let mut out = Vec::new();
        // SAFETY: iterates EAL's lcore table, set at init; rte_get_next_lcore
        // returns RTE_MAX_LCORE past the last one.
        unsafe {
            let mut i = dpdk_sys::rte_get_next_lcore(u32::MAX, 1, 0);
            while i < dpdk_sys::RTE_MAX_LCORE {
                out.push(i);
                i = dpdk_sys::rte_get_next_lcore(i, 1, 0);
            }
        }
        out
    }

    /// TSC ticks per second (see [`tsc_cycles`]).
    pub fn tsc_hz(&self) -> u64 {
        // SAFETY: reads a value EAL measured at init.
        unsafe { dpdk_sys::rte_get_tsc_hz() }
    }

    /// Hot-plugs a virtual device (`rte_dev_probe`), e.g.
    /// `net_pcap_in0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap`, and returns
    /// its ethdev port id. The name (before the first comma) must start with
    /// the driver's name and be unique in the process.
    pub fn probe_vdev(&self, devargs: &str) -> Result<u16> {
        let name = device_name(devargs);
        let _g = control_lock();
        self.probe_locked(devargs)?;
        port_by_name(name).ok_or_else(|| {
            Error::Invalid(format!(
                "device {name} was probed but is not an ethdev port"
            ))
        })
    }

    /// `rte_dev_probe` with the control lock held by the caller.
    pub(crate) fn probe_locked(&self, devargs: &str) -> Result<()> {
        let c = CString::new(devargs)
            .map_err(|_| Error::Invalid(format!("device arguments with NUL: {devargs:?}")))?;
        // SAFETY: `c` is a valid NUL-terminated string for the duration of
        // the call; EAL is initialised (self exists); the control lock
        // serialises device probing.
        let rc = unsafe { dpdk_sys::rte_dev_probe(c.as_ptr()) };
        if rc < 0 {
            return Err(Error::dpdk(format!("rte_dev_probe({devargs})"), rc));
        }
        Ok(())
    }

    /// Removes a hot-plugged device by bus (`"vdev"`, `"pci"`) and name,
    /// closing its ports. Prefer closing the [`crate::Port`], which does this.
    pub fn remove_device(&self, bus: &str, name: &str) -> Result<()> {
        let _g = control_lock();
        remove_device_locked(bus, name)
    }
}

pub(crate) fn remove_device_locked(bus: &str, name: &str) -> Result<()> {
    let b = CString::new(bus).map_err(|_| Error::Invalid(format!("bus name {bus:?}")))?;
    let n = CString::new(name).map_err(|_| Error::Invalid(format!("device name {name:?}")))?;
    // SAFETY: both strings are valid for the call; the caller holds the
    // control lock; EAL is initialised (callers hold an Eal or a Port).
    let rc = unsafe { dpdk_sys::rte_eal_hotplug_remove(b.as_ptr(), n.as_ptr()) };
    if rc < 0 {
        return Err(Error::dpdk(
            format!("rte_eal_hotplug_remove({bus}, {name})"),
            rc,
        ));
    }
    Ok(())
}

/// The device name of device arguments: everything before the first comma.
pub(crate) fn device_name(devargs: &str) -> &str {
    devargs.split(',').next().unwrap_or(devargs).trim()
}

/// The ethdev port id of a device name, if it is one.
pub(crate) fn port_by_name(name: &str) -> Option<u16> {
    let c = CString::new(name).ok()?;
    let mut id = 0u16;
    // SAFETY: `c` is valid for the call and `id` is a valid out-pointer.
    let rc = unsafe { dpdk_sys::rte_eth_dev_get_port_by_name(c.as_ptr(), &mut id) };
    (rc == 0).then_some(id)
}

/// A job for an EAL worker lcore.
pub(crate) type LcoreJob = Box<dyn FnOnce() + Send + 'static>;

/// Serialises launches so that two threads cannot race for one lcore.
static LAUNCH: Mutex<()> = Mutex::new(());

/// The C entry point of an lcore job: `arg` is a `Box<LcoreJob>` turned
/// into a raw pointer by [`remote_launch`].
extern "C" fn lcore_trampoline(arg: *mut std::ffi::c_void) -> i32 {
    // SAFETY: `arg` came from `Box::into_raw` in `remote_launch`, and EAL
    // calls this function exactly once per successful launch, so the box is
    // reclaimed exactly once.
    let job: Box<LcoreJob> = unsafe { Box::from_raw(arg.cast()) };
    // A panic must not unwind into C. The job catches its own panics (see
    // lcore.rs); this is the backstop.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

/// Starts `job` on EAL worker lcore `lcore` (`rte_eal_remote_launch`).
pub(crate) fn remote_launch(lcore: u32, job: LcoreJob) -> Result<()> {
    let eal = Eal::require()?;
    if lcore == eal.main_lcore() || !eal.worker_lcores().contains(&lcore) {
        return Err(Error::Invalid(format!(
            "lcore {lcore} is not an enabled worker lcore"
        )));
    }
    let _g = LAUNCH.lock().unwrap_or_else(|e| e.into_inner());
    let raw = Box::into_raw(Box::new(job));
    // SAFETY: the trampoline has the signature EAL expects; `raw` stays valid
    // until the trampoline reclaims it; lcore is an enabled worker (checked);
    // the LAUNCH lock serialises launches.
    let rc = unsafe { dpdk_sys::rte_eal_remote_launch(Some(lcore_trampoline), raw.cast(), lcore) };
    if rc != 0 {
        // SAFETY: the launch failed, so EAL never saw `raw`: reclaim it here.
        drop(unsafe { Box::from_raw(raw) });
        return Err(Error::dpdk(
            format!("rte_eal_remote_launch(lcore {lcore})"),
            rc,
        ));
    }
    Ok(())
}

/// Waits until `lcore` has finished its job (`rte_eal_wait_lcore`).
pub(crate) fn wait_lcore(lcore: u32) -> i32 {
    // SAFETY: lcore was validated when its job was launched; waiting on an
    // idle lcore returns at once.
    unsafe { dpdk_sys::rte_eal_wait_lcore(lcore) }
}

/// Whether a worker lcore is busy running a job.
pub(crate) fn lcore_busy(lcore: u32) -> bool {
    // SAFETY: reads EAL's lcore table for an lcore index below RTE_MAX_LCORE.
    lcore < dpdk_sys::RTE_MAX_LCORE
        && unsafe { dpdk_sys::rte_eal_get_lcore_state(lcore) }
            == dpdk_sys::rte_lcore_state_t::RUNNING
}

/// Registers the calling (non-EAL) thread with EAL, giving it an lcore id so
/// that mempool caches apply. Returns the id, or `None` when none is free.
pub(crate) fn register_thread() -> Option<u32> {
    Eal::get()?;
    // SAFETY: EAL is initialised; registration only touches this thread's
    // lcore id and EAL's lcore table, under EAL's own lock.
    let rc = unsafe { dpdk_sys::rte_thread_register() };
    if rc == 0 {
        current_lcore()
    } else {
        None
    }
}

/// Undoes [`register_thread`] on the calling thread.
pub(crate) fn unregister_thread() {
    // SAFETY: releases this thread's lcore id; a no-op on unregistered threads.
    unsafe { dpdk_sys::rte_thread_unregister() }
}

/// Initialises (once) and returns the EAL for a test binary, with
/// [`EalConfig::for_tests`]. Panics if the EAL cannot start.
pub fn init_for_tests() -> &'static Eal {
    static TEST_EAL: OnceLock<&'static Eal> = OnceLock::new();
    TEST_EAL.get_or_init(|| match Eal::init(&EalConfig::for_tests()) {
        Ok(e) => e,
        Err(e) => panic!("EAL for tests: {e}"),
    })
}

/// The TSC now (`rte_get_tsc_cycles`); see [`Eal::tsc_hz`].
#[inline]
pub fn tsc_cycles() -> u64 {
    // SAFETY: reads the CPU's time-stamp counter; no memory is touched.
    unsafe { dpdk_sys::rte_get_tsc_cycles_() }
}

/// The calling thread's lcore id, or `None` on a thread EAL does not know.
#[inline]
pub fn current_lcore() -> Option<u32> {
    // SAFETY: reads a thread-local integer.
    let id = unsafe { dpdk_sys::rte_lcore_id_() };
    (id != dpdk_sys::consts::LCORE_ID_ANY).then_some(id)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn args_render() {
        let c = EalConfig {
            lcores: Some("0,1".into()),
            main_lcore: Some(0),
            no_huge: true,
            memory_mb: Some(256),
            file_prefix: Some("p".into()),
            vdevs: vec!["net_null0".into()],
            pci_allow: vec!["0000:01:00.0".into()],
            no_shconf: true,
            no_telemetry: true,
            log_level: Some("notice".into()),
            extra: vec!["--huge-unlink".into()],
            ..EalConfig::default()
        };
        let a = c.args().unwrap();
        let want = [
            "--lcores=0,1",
            "--main-lcore=0",
            "--no-huge",
            "-m",
            "256",
            "--file-prefix=p",
            "-a",
            "0000:01:00.0",
            "--no-shconf",
            "--no-telemetry",
            "--log-level=notice",
        ];
        assert_eq!(&a[..want.len()], want);
        assert!(a.ends_with(&["--vdev=net_null0".to_string(), "--huge-unlink".to_string()]));
    }

    #[test]
    fn in_memory_and_no_huge_refused() {
        let c = EalConfig {
            in_memory: true,
            no_huge: true,
            ..EalConfig::default()
        };
        assert!(matches!(c.args(), Err(Error::Invalid(_))));
    }

    #[test]
    fn device_names() {
        assert_eq!(device_name("net_pcap0,rx_pcap=a"), "net_pcap0");
        assert_eq!(device_name("net_null1"), "net_null1");
    }
}
