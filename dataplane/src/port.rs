//! Ethdev ports and their queues.
//!
//! [`Port::open`] finds or hot-plugs the device, configures it (RSS and TX
//! checksum offloads only where the device offers them; what was enabled is
//! in [`PortCaps`]), sets up the queues and starts it.
//!
//! Queues: a port's queues are used through [`Port::rx_burst`] /
//! [`Port::tx_burst`] from the owning thread, or handed out once each as
//! [`RxQueue`] / [`TxQueue`] to workers. Queue handles are `Send` but not
//! `Sync`, so exactly one thread polls a queue, as DPDK requires. They keep
//! the port alive: the device is stopped and closed when the [`Port`] and all
//! its handles are gone, or by [`Port::close`] once no handle is left.
//!
//! Burst semantics: RX appends into the burst's spare capacity; TX consumes
//! what the driver accepted from the front of the burst and leaves the rest
//! (in order) for the caller to retry or drop.

use std::cell::Cell;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dpdk_sys::consts::*;
use dpdk_sys::rte_mbuf;

use crate::eal::{self, control_lock, Eal};
use crate::error::{Error, Result};
use crate::mbuf::Burst;
use crate::mempool::Mempool;

/// Where a port comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortDevice {
    /// A virtual device: its devargs (`net_pcap0,rx_pcap=in.pcap,...`). If a
    /// port of that name exists (given at EAL init), it is used; otherwise
    /// the device is hot-plugged, and removed again when the port closes.
    Vdev(String),
    /// A PCI device by address (`0000:3b:00.1`), probed at init or
    /// hot-plugged.
    Pci(String),
    /// An ethdev port id that already exists.
    Existing(u16),
}

/// How to set up a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortConfig {
    /// Role or name for logs and metrics (`"n3"`, `"n6"`).
    pub name: String,
    /// The device.
    pub device: PortDevice,
    /// RX queues (one per worker polling the port).
    pub rx_queues: u16,
    /// TX queues (one per worker sending on the port).
    pub tx_queues: u16,
    /// RX descriptors per queue (adjusted to the device's limits).
    pub rx_desc: u16,
    /// TX descriptors per queue (adjusted to the device's limits).
    pub tx_desc: u16,
    /// MTU to set, if not the device default.
    pub mtu: Option<u16>,
    /// Enable promiscuous mode.
    pub promiscuous: bool,
    /// Spread RX over queues by RSS on IP addresses and UDP ports, where
    /// the device can.
    pub rss: bool,
    /// Also hash on the GTP-U TEID (`RTE_ETH_RSS_GTPU`) where the device
    /// can ([`PortCaps::rss_hf`] says whether it was enabled).
    pub rss_gtpu: bool,
    /// Ask for fewer queues than `rx_queues`/`tx_queues` when the device
    /// offers fewer, instead of failing ([`Port::rx_queues`] and
    /// [`Port::tx_queues`] say how many there are).
    pub clamp_queues: bool,
}

impl PortConfig {
    /// One RX and one TX queue, 1024 descriptors each, promiscuous, RSS on.
    pub fn new(name: impl Into<String>, device: PortDevice) -> Self {
        PortConfig {
            name: name.into(),
            device,
            rx_queues: 1,
            tx_queues: 1,
            rx_desc: 1024,
            tx_desc: 1024,
            mtu: None,
            promiscuous: true,
            rss: true,
            rss_gtpu: false,
            clamp_queues: false,
        }
    }
}

/// What the device offers and what was enabled on it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortCaps {
    /// The PMD's name (`net_pcap`, `net_ice`, ...).
    pub driver: String,
    /// The device name (`net_pcap0`, `0000:3b:00.1`).
    pub device: String,
    /// NUMA socket of the device (-1: any).
    pub socket_id: i32,
    /// Queue limits.
    pub max_rx_queues: u16,
    /// Queue limits.
    pub max_tx_queues: u16,
    /// RX/TX descriptors per queue after adjustment to the device.
    pub rx_desc: u16,
    /// See `rx_desc`.
    pub tx_desc: u16,
    /// RSS flow types the device offers (`RTE_ETH_RSS_*`).
    pub rss_offered: u64,
    /// RSS flow types enabled (0: RSS off).
    pub rss_hf: u64,
    /// RX offloads offered / enabled (`RTE_ETH_RX_OFFLOAD_*`).
    pub rx_offload_capa: u64,
    /// See `rx_offload_capa`.
    pub rx_offloads: u64,
    /// TX offloads offered / enabled (`RTE_ETH_TX_OFFLOAD_*`).
    pub tx_offload_capa: u64,
    /// See `tx_offload_capa`.
    pub tx_offloads: u64,
    /// IPv4 header checksum is computed by the device on TX.
    pub tx_ipv4_cksum: bool,
    /// UDP checksum is computed by the device on TX.
    pub tx_udp_cksum: bool,
    /// Promiscuous mode is on.
    pub promiscuous: bool,
    /// MTU in effect.
    pub mtu: u16,
}

/// Basic port counters (`rte_eth_stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortStats {
    /// Packets received.
    pub ipackets: u64,
    /// Packets sent.
    pub opackets: u64,
    /// Bytes received.
    pub ibytes: u64,
    /// Bytes sent.
    pub obytes: u64,
    /// RX packets dropped by the device (queues full).
    pub imissed: u64,
    /// Erroneous RX packets.
    pub ierrors: u64,
    /// Failed TX packets.
    pub oerrors: u64,
    /// RX mbuf allocation failures.
    pub rx_nombuf: u64,
}

/// Link state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// Link is up.
    pub up: bool,
    /// Speed in Mbit/s (0 when unknown).
    pub speed_mbps: u32,
    /// Full duplex.
    pub full_duplex: bool,
    /// Autonegotiated.
    pub autoneg: bool,
}

/// An open, started ethdev port.
#[derive(Debug)]
pub struct Port {
    inner: Arc<PortInner>,
    rx_taken: Vec<bool>,
    tx_taken: Vec<bool>,
}

#[derive(Debug)]
struct PortInner {
    id: u16,
    name: String,
    /// Bus and name of the device to remove after closing, if this port
    /// hot-plugged it.
    hotplugged: Option<(&'static str, String)>,
    caps: PortCaps,
    rx_queues: u16,
    tx_queues: u16,
    started: AtomicBool,
    closed: AtomicBool,
    /// RX queues allocate from the pool: keep it alive while they exist.
    _pool: Mempool,
}

impl Port {
    /// Finds or hot-plugs the device, configures, sets up queues and starts.
    pub fn open(config: &PortConfig, pool: &Mempool) -> Result<Port> {
        let eal = Eal::require()?;
        if config.rx_queues == 0 || config.tx_queues == 0 {
            return Err(Error::Invalid(format!(
                "port {}: need at least one queue each way",
                config.name
            )));
        }
        let _g = control_lock();
        let (id, hotplugged) = match &config.device {
            PortDevice::Existing(id) => {
                // SAFETY: plain query on an initialised EAL.
                if unsafe { dpdk_sys::rte_eth_dev_is_valid_port(*id) } == 0 {
                    return Err(Error::Invalid(format!("port id {id} does not exist")));
                }
                (*id, None)
            }
            PortDevice::Vdev(args) | PortDevice::Pci(args) => {
                let name = eal::device_name(args);
                match eal::port_by_name(name) {
                    Some(id) => (id, None),
                    None => {
                        eal.probe_locked(args)?;
                        let id = eal::port_by_name(name).ok_or_else(|| {
                            Error::Invalid(format!("device {name} probed but has no ethdev port"))
                        })?;
                        (id, Some(name.to_owned()))
                    }
                }
            }
        };
        let bus = match config.device {
            PortDevice::Pci(_) => "pci",
            _ => "vdev",
        };
        match configure(id, config, pool) {
            Ok((caps, rxq, txq)) => Ok(Port {
                inner: Arc::new(PortInner {
                    id,
                    name: config.name.clone(),
                    hotplugged: hotplugged.map(|n| (bus, n)),
                    caps,
                    rx_queues: rxq,
                    tx_queues: txq,
                    started: AtomicBool::new(true),
                    closed: AtomicBool::new(false),
                    _pool: pool.clone(),
                }),
                rx_taken: vec![false; usize::from(rxq)],
                tx_taken: vec![false; usize::from(txq)],
            }),
            Err(e) => {
                // Leave no half-configured device of ours behind. A device we
                // did not plug may belong to someone else: leave it alone.
                if let Some(n) = hotplugged {
                    // SAFETY: `id` is the valid port of the device we just
                    // plugged; nothing else knows it yet.
                    unsafe {
                        dpdk_sys::rte_eth_dev_stop(id);
                        dpdk_sys::rte_eth_dev_close(id);
                    }
                    let _ = eal::remove_device_locked(bus, &n);
                }
                Err(e)
            }
        }
    }

    /// The ethdev port id.
    pub fn id(&self) -> u16 {
        self.inner.id
    }

    /// The role or name from the configuration.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// What the device offers and what was enabled.
    pub fn caps(&self) -> &PortCaps {
        &self.inner.caps
    }

    /// Number of RX queues.
    pub fn rx_queues(&self) -> u16 {
        self.inner.rx_queues
    }

    /// Number of TX queues.
    pub fn tx_queues(&self) -> u16 {
        self.inner.tx_queues
    }

    /// Hands out RX queue `queue` to a worker; `None` if out of range or
    /// already handed out.
    pub fn take_rx_queue(&mut self, queue: u16) -> Option<RxQueue> {
        let taken = self.rx_taken.get_mut(usize::from(queue))?;
        if std::mem::replace(taken, true) {
            return None;
        }
        Some(RxQueue {
            port_id: self.inner.id,
            queue_id: queue,
            _port: self.inner.clone(),
            _not_sync: PhantomData,
        })
    }

    /// Hands out TX queue `queue` to a worker; `None` if out of range or
    /// already handed out.
    pub fn take_tx_queue(&mut self, queue: u16) -> Option<TxQueue> {
        let taken = self.tx_taken.get_mut(usize::from(queue))?;
        if std::mem::replace(taken, true) {
            return None;
        }
        Some(TxQueue {
            port_id: self.inner.id,
            queue_id: queue,
            _port: self.inner.clone(),
            _not_sync: PhantomData,
        })
    }

    /// Receives into the spare capacity of `burst` from RX queue `queue`;
    /// returns how many arrived.
    ///
    /// # Panics
    /// If the queue does not exist or was handed out with
    /// [`Self::take_rx_queue`].
    #[inline]
    pub fn rx_burst(&mut self, queue: u16, burst: &mut Burst) -> usize {
        assert!(
            !self.rx_taken[usize::from(queue)],
            "port {}: RX queue {queue} belongs to a worker",
            self.inner.name
        );
        rx_burst(self.inner.id, queue, burst)
    }

    /// Sends from the front of `burst` on TX queue `queue`; the mbufs sent
    /// leave the burst, the rest stay. Returns how many were sent.
    ///
    /// # Panics
    /// If the queue does not exist or was handed out with
    /// [`Self::take_tx_queue`].
    #[inline]
    pub fn tx_burst(&mut self, queue: u16, burst: &mut Burst) -> usize {
        assert!(
            !self.tx_taken[usize::from(queue)],
            "port {}: TX queue {queue} belongs to a worker",
            self.inner.name
        );
        tx_burst(self.inner.id, queue, burst)
    }

    /// The port's MAC address.
    pub fn mac_addr(&self) -> Result<[u8; 6]> {
        let mut a = dpdk_sys::rte_ether_addr::default();
        // SAFETY: valid port id (the port is open) and out-pointer.
        let rc = unsafe { dpdk_sys::rte_eth_macaddr_get(self.inner.id, &mut a) };
        if rc != 0 {
            return Err(Error::dpdk("rte_eth_macaddr_get", rc));
        }
        Ok(a.addr_bytes)
    }

    /// Link state, without waiting.
    pub fn link(&self) -> Result<Link> {
        // SAFETY: all-zero is a valid rte_eth_link.
        let mut l: dpdk_sys::rte_eth_link = unsafe { std::mem::zeroed() };
        // SAFETY: valid port id and out-pointer.
        let rc = unsafe { dpdk_sys::rte_eth_link_get_nowait(self.inner.id, &mut l) };
        if rc != 0 {
            return Err(Error::dpdk("rte_eth_link_get_nowait", rc));
        }
        Ok(Link {
            up: l.link_status() != 0,
            speed_mbps: l.link_speed,
            full_duplex: l.link_duplex() != 0,
            autoneg: l.link_autoneg() != 0,
        })
    }

    /// Basic counters.
    pub fn stats(&self) -> Result<PortStats> {
        stats(self.inner.id)
    }

    /// Resets the basic counters.
    pub fn reset_stats(&self) -> Result<()> {
        // SAFETY: valid port id.
        let rc = unsafe { dpdk_sys::rte_eth_stats_reset(self.inner.id) };
        if rc != 0 {
            return Err(Error::dpdk("rte_eth_stats_reset", rc));
        }
        Ok(())
    }

    /// Extended counters, by name.
    pub fn xstats(&self) -> Result<Vec<(String, u64)>> {
        let id = self.inner.id;
        // SAFETY: a NULL array of size 0 asks for the count.
        let n = unsafe { dpdk_sys::rte_eth_xstats_get_names(id, std::ptr::null_mut(), 0) };
        if n < 0 {
            return Err(Error::dpdk("rte_eth_xstats_get_names", n));
        }
        let n = n as usize;
        let mut names = vec![dpdk_sys::rte_eth_xstat_name { name: [0; 64] }; n];
        let mut vals = vec![dpdk_sys::rte_eth_xstat::default(); n];
        // SAFETY: both arrays hold `n` elements, the size passed.
        let (rn, rv) = unsafe {
            (
                dpdk_sys::rte_eth_xstats_get_names(id, names.as_mut_ptr(), n as u32),
                dpdk_sys::rte_eth_xstats_get(id, vals.as_mut_ptr(), n as u32),
            )
        };
        if rn < 0 || rv < 0 || rn as usize != n || rv as usize != n {
            return Err(Error::Invalid(format!(
                "port {}: xstats changed size while reading",
                self.inner.name
            )));
        }
        Ok(vals
            .iter()
            .map(|v| {
                // SAFETY: DPDK NUL-terminates each name within its 64 bytes.
                let name = unsafe { CStr::from_ptr(names[v.id as usize].name.as_ptr()) };
                (name.to_string_lossy().into_owned(), v.value)
            })
            .collect())
    }

    /// Stops the port (RX and TX cease; [`Self::start`] resumes).
    pub fn stop(&mut self) -> Result<()> {
        self.require_no_handles()?;
        let _g = control_lock();
        // SAFETY: valid port; no queue handle exists, and `&mut self`
        // excludes concurrent bursts through the port itself.
        let rc = unsafe { dpdk_sys::rte_eth_dev_stop(self.inner.id) };
        if rc != 0 {
            return Err(Error::dpdk("rte_eth_dev_stop", rc));
        }
        self.inner.started.store(false, Ordering::Release);
        Ok(())
    }

    /// Starts a stopped port.
    pub fn start(&mut self) -> Result<()> {
        let _g = control_lock();
        // SAFETY: valid, configured port.
        let rc = unsafe { dpdk_sys::rte_eth_dev_start(self.inner.id) };
        if rc != 0 {
            return Err(Error::dpdk("rte_eth_dev_start", rc));
        }
        self.inner.started.store(true, Ordering::Release);
        Ok(())
    }

    /// Stops and closes the port (which flushes `net_pcap` TX files) and
    /// removes a hot-plugged device. Fails with [`Error::QueuesInUse`] while
    /// queue handles exist; the port then closes when the last one is
    /// dropped.
    pub fn close(self) -> Result<()> {
        self.require_no_handles()?;
        self.inner.shutdown()
    }

    fn require_no_handles(&self) -> Result<()> {
        if Arc::strong_count(&self.inner) > 1 {
            return Err(Error::QueuesInUse(self.inner.name.clone()));
        }
        Ok(())
    }
}

impl PortInner {
    fn shutdown(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let _g = control_lock();
        // SAFETY: the port is valid until closed here (once: `closed`); no
        // queue handle can poll it (this runs with the last reference or with
        // none outstanding).
        let rc = unsafe {
            if self.started.swap(false, Ordering::AcqRel) {
                dpdk_sys::rte_eth_dev_stop(self.id);
            }
            dpdk_sys::rte_eth_dev_close(self.id)
        };
        let mut result = if rc != 0 {
            Err(Error::dpdk(format!("rte_eth_dev_close({})", self.name), rc))
        } else {
            Ok(())
        };
        if let Some((bus, name)) = &self.hotplugged {
            if let Err(e) = eal::remove_device_locked(bus, name) {
                result = result.and(Err(e));
            }
        }
        result
    }
}

impl Drop for PortInner {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Configures, sets up queues and starts port `id`; returns the caps and the
/// RX and TX queue counts. Called with the control lock held.
fn configure(id: u16, config: &PortConfig, pool: &Mempool) -> Result<(PortCaps, u16, u16)> {
    // SAFETY: all-zero is a valid rte_eth_dev_info; DPDK fills it.
    let mut info: dpdk_sys::rte_eth_dev_info = unsafe { std::mem::zeroed() };
    // SAFETY: valid port id and out-pointer.
    let rc = unsafe { dpdk_sys::rte_eth_dev_info_get(id, &mut info) };
    if rc != 0 {
        return Err(Error::dpdk("rte_eth_dev_info_get", rc));
    }
    let cstr = |p: *const std::ffi::c_char| {
        if p.is_null() {
            return String::new();
        }
        // SAFETY: DPDK's driver and device names are NUL-terminated strings
        // that live as long as the device.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    };
    let device = if info.device.is_null() {
        String::new()
    } else {
        // SAFETY: a non-null device pointer from dev_info is a live rte_device.
        cstr(unsafe { dpdk_sys::rte_dev_name(info.device) })
    };
    let mut caps = PortCaps {
        driver: cstr(info.driver_name),
        device,
        // SAFETY: valid port id.
        socket_id: unsafe { dpdk_sys::rte_eth_dev_socket_id(id) },
        max_rx_queues: info.max_rx_queues,
        max_tx_queues: info.max_tx_queues,
        rss_offered: info.flow_type_rss_offloads,
        rx_offload_capa: info.rx_offload_capa,
        tx_offload_capa: info.tx_offload_capa,
        ..PortCaps::default()
    };
    let mut config = std::borrow::Cow::Borrowed(config);
    if config.clamp_queues {
        let c = config.to_mut();
        c.rx_queues = c.rx_queues.min(info.max_rx_queues).max(1);
        c.tx_queues = c.tx_queues.min(info.max_tx_queues).max(1);
    }
    let config = &*config;
    if config.rx_queues > info.max_rx_queues || config.tx_queues > info.max_tx_queues {
        return Err(Error::Invalid(format!(
            "port {}: {}/{} RX/TX queues requested, {} offers {}/{}",
            config.name,
            config.rx_queues,
            config.tx_queues,
            caps.driver,
            info.max_rx_queues,
            info.max_tx_queues
        )));
    }

    // SAFETY: all-zero is the documented default rte_eth_conf.
    let mut conf: dpdk_sys::rte_eth_conf = unsafe { std::mem::zeroed() };
    if config.rss {
        let gtpu = if config.rss_gtpu { RTE_ETH_RSS_GTPU } else { 0 };
        caps.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | gtpu) & info.flow_type_rss_offloads;
        if caps.rss_hf != 0 {
            conf.rxmode.mq_mode = dpdk_sys::rte_eth_rx_mq_mode::RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = caps.rss_hf;
            caps.rx_offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH & info.rx_offload_capa;
        }
    }
    caps.tx_offloads =
        (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM) & info.tx_offload_capa;
    caps.tx_ipv4_cksum = caps.tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM != 0;
    caps.tx_udp_cksum = caps.tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM != 0;
    conf.rxmode.offloads = caps.rx_offloads;
    conf.txmode.offloads = caps.tx_offloads;
    if let Some(mtu) = config.mtu {
        conf.rxmode.mtu = u32::from(mtu);
    }

    // SAFETY: valid port id; `conf` is a fully initialised rte_eth_conf.
    let rc =
        unsafe { dpdk_sys::rte_eth_dev_configure(id, config.rx_queues, config.tx_queues, &conf) };
    if rc != 0 {
        return Err(Error::dpdk(
            format!("rte_eth_dev_configure({})", config.name),
            rc,
        ));
    }
    let (mut rxd, mut txd) = (config.rx_desc, config.tx_desc);
    // SAFETY: valid port id and out-pointers.
    let rc = unsafe { dpdk_sys::rte_eth_dev_adjust_nb_rx_tx_desc(id, &mut rxd, &mut txd) };
    if rc != 0 {
        return Err(Error::dpdk("rte_eth_dev_adjust_nb_rx_tx_desc", rc));
    }
    caps.rx_desc = rxd;
    caps.tx_desc = txd;
    let socket = caps.socket_id.max(-1) as u32; // SOCKET_ID_ANY is (unsigned)-1
    for q in 0..config.rx_queues {
        // SAFETY: configured port; NULL rx_conf means the driver default
        // with the port's offloads; the pool outlives the port (PortInner
        // keeps a handle).
        let rc = unsafe {
            dpdk_sys::rte_eth_rx_queue_setup(id, q, rxd, socket, std::ptr::null(), pool.as_ptr())
        };
        if rc != 0 {
            return Err(Error::dpdk(
                format!("rte_eth_rx_queue_setup({}, {q})", config.name),
                rc,
            ));
        }
    }
    for q in 0..config.tx_queues {
        // SAFETY: configured port; NULL tx_conf means the driver default.
        let rc = unsafe { dpdk_sys::rte_eth_tx_queue_setup(id, q, txd, socket, std::ptr::null()) };
        if rc != 0 {
            return Err(Error::dpdk(
                format!("rte_eth_tx_queue_setup({}, {q})", config.name),
                rc,
            ));
        }
    }
    if config.promiscuous {
        // SAFETY: valid port id. Devices without the notion answer ENOTSUP,
        // which only leaves `caps.promiscuous` false.
        let rc = unsafe { dpdk_sys::rte_eth_promiscuous_enable(id) };
        if rc != 0 && rc != -libc::ENOTSUP {
            return Err(Error::dpdk("rte_eth_promiscuous_enable", rc));
        }
    }
    // SAFETY: valid, configured port with all queues set up.
    let rc = unsafe { dpdk_sys::rte_eth_dev_start(id) };
    if rc != 0 {
        return Err(Error::dpdk(
            format!("rte_eth_dev_start({})", config.name),
            rc,
        ));
    }
    // SAFETY: valid port id.
    caps.promiscuous = unsafe { dpdk_sys::rte_eth_promiscuous_get(id) } == 1;
    let mut mtu = 0u16;
    // SAFETY: valid port id and out-pointer.
    if unsafe { dpdk_sys::rte_eth_dev_get_mtu(id, &mut mtu) } == 0 {
        caps.mtu = mtu;
    }
    Ok((caps, config.rx_queues, config.tx_queues))
}

fn stats(id: u16) -> Result<PortStats> {
    // SAFETY: all-zero is a valid rte_eth_stats; DPDK fills it.
    let mut s: dpdk_sys::rte_eth_stats = unsafe { std::mem::zeroed() };
    // SAFETY: valid port id and out-pointer.
    let rc = unsafe { dpdk_sys::rte_eth_stats_get(id, &mut s) };
    if rc != 0 {
        return Err(Error::dpdk("rte_eth_stats_get", rc));
    }
    Ok(PortStats {
        ipackets: s.ipackets,
        opackets: s.opackets,
        ibytes: s.ibytes,
        obytes: s.obytes,
        imissed: s.imissed,
        ierrors: s.ierrors,
        oerrors: s.oerrors,
        rx_nombuf: s.rx_nombuf,
    })
}

#[inline(always)]
fn rx_burst(port: u16, queue: u16, burst: &mut Burst) -> usize {
    rx_burst_max(port, queue, burst, usize::MAX)
}

#[inline(always)]
fn rx_burst_max(port: u16, queue: u16, burst: &mut Burst, max: usize) -> usize {
    let len = burst.len();
    let room = (burst.capacity() - len).min(max);
    if room == 0 {
        return 0;
    }
    // SAFETY: the spare capacity holds `room` slots laid out as
    // `*mut rte_mbuf` (Mbuf is repr(transparent) over a non-null pointer);
    // the driver writes at most `room` valid mbufs, which the burst then
    // owns. The caller guarantees (queue handle or `&mut Port`) that only
    // this thread polls the queue.
    unsafe {
        let slots = burst.as_mut_ptr().add(len).cast::<*mut rte_mbuf>();
        let n = usize::from(dpdk_sys::rte_eth_rx_burst_(port, queue, slots, room as u16));
        burst.set_len(len + n);
        n
    }
}

#[inline(always)]
fn tx_burst(port: u16, queue: u16, burst: &mut Burst) -> usize {
    let len = burst.len();
    if len == 0 {
        return 0;
    }
    // SAFETY: the burst's first `len` slots are owned mbufs laid out as
    // `*mut rte_mbuf`. The driver takes ownership of the first `sent`. The
    // length is set to 0 before moving the unsent ones to the front (a
    // memmove of pointers), so no mbuf is ever owned twice; the queue is
    // polled by this thread only (as for rx_burst).
    unsafe {
        let slots = burst.as_mut_ptr().cast::<*mut rte_mbuf>();
        let sent = usize::from(dpdk_sys::rte_eth_tx_burst_(port, queue, slots, len as u16));
        if sent != 0 {
            burst.set_len(0);
            std::ptr::copy(slots.add(sent), slots, len - sent);
            burst.set_len(len - sent);
        }
        sent
    }
}

/// A port's RX queue, owned by one worker thread.
#[derive(Debug)]
pub struct RxQueue {
    port_id: u16,
    queue_id: u16,
    _port: Arc<PortInner>,
    /// `Send` but not `Sync`: one thread polls a queue.
    _not_sync: PhantomData<Cell<()>>,
}

impl RxQueue {
    /// Receives into the spare capacity of `burst`; returns how many arrived.
    #[inline]
    pub fn rx_burst(&mut self, burst: &mut Burst) -> usize {
        rx_burst(self.port_id, self.queue_id, burst)
    }
    /// Receives at most `max` packets into the spare capacity of `burst`;
    /// returns how many arrived.
    #[inline]
    pub fn rx_burst_max(&mut self, burst: &mut Burst, max: usize) -> usize {
        rx_burst_max(self.port_id, self.queue_id, burst, max)
    }
    /// The port id.
    pub fn port_id(&self) -> u16 {
        self.port_id
    }
    /// The queue id.
    pub fn queue_id(&self) -> u16 {
        self.queue_id
    }
    /// The port's counters.
    pub fn port_stats(&self) -> Result<PortStats> {
        stats(self.port_id)
    }
}

/// A port's TX queue, owned by one worker thread.
#[derive(Debug)]
pub struct TxQueue {
    port_id: u16,
    queue_id: u16,
    _port: Arc<PortInner>,
    /// `Send` but not `Sync`: one thread uses a queue.
    _not_sync: PhantomData<Cell<()>>,
}

impl TxQueue {
    /// Sends from the front of `burst`; what was sent leaves the burst, the
    /// rest stays. Returns how many were sent.
    #[inline]
    pub fn tx_burst(&mut self, burst: &mut Burst) -> usize {
        tx_burst(self.port_id, self.queue_id, burst)
    }
    /// The port id.
    pub fn port_id(&self) -> u16 {
        self.port_id
    }
    /// The queue id.
    pub fn queue_id(&self) -> u16 {
        self.queue_id
    }
}
