//! The real [`FlowBackend`]: `rte_flow_validate`, `rte_flow_create` and
//! `rte_flow_destroy` on [`FlowSpec`]s.
//!
//! A spec becomes, for the duration of one call, an `rte_flow_item` array
//! (ending in `END`), an `rte_flow_action` array (ending in `END`) and the
//! item spec/mask and action configuration they point to. Item spec and mask
//! structures are written as the header bytes they describe: in DPDK 22.11
//! every item used here (`eth`, `vlan`, `ipv4`, `ipv6`, `udp`, `gtp`,
//! `gtp_psc`) is laid out as the wire header in network byte order
//! (followed, for some, by flag bits the UPF leaves zero), so a buffer of
//! the structure's size (from the bindings, 8-byte aligned) with the header
//! fields at their wire offsets is exactly that structure. The unit tests
//! read the buffers back through the bindings' field names.
//!
//! Thread safety: ethdev serialises flow operations per port for drivers
//! that are not thread-safe themselves, and a flow handle is an opaque
//! token usable from any thread. The one hazard is a handle outliving its
//! port: [`FlowGate`] is closed (and every port's rules flushed) before
//! the dataplane closes its ports, after which the backend refuses every
//! call without touching DPDK.

use std::ffi::CStr;
use std::sync::{Arc, Mutex};

use dpdk_sys::{
    rte_flow, rte_flow_action, rte_flow_action_mark, rte_flow_action_queue,
    rte_flow_action_raw_decap, rte_flow_action_rss, rte_flow_action_type as at, rte_flow_attr,
    rte_flow_error, rte_flow_item, rte_flow_item_gtp, rte_flow_item_gtp_psc, rte_flow_item_ipv4,
    rte_flow_item_ipv6, rte_flow_item_type as it, rte_flow_item_udp, rte_flow_item_vlan,
};

use super::backend::{FlowBackend, Handle, Refusal};
use super::spec::{Action, FlowSpec, Item};

/// An item's spec or mask: the structure's bytes, 8-byte aligned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemBuf {
    words: Vec<u64>,
    len: usize,
}

impl ItemBuf {
    fn from_bytes(b: &[u8]) -> Self {
        let mut words = vec![0u64; b.len().div_ceil(8)];
        for (i, w) in words.iter_mut().enumerate() {
            let mut chunk = [0u8; 8];
            let end = (i * 8 + 8).min(b.len());
            chunk[..end - i * 8].copy_from_slice(&b[i * 8..end]);
            *w = u64::from_ne_bytes(chunk);
        }
        ItemBuf {
            words,
            len: b.len(),
        }
    }

    /// The bytes (for tests).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> Vec<u8> {
        self.words
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .take(self.len)
            .collect()
    }

    fn ptr(&self) -> *const core::ffi::c_void {
        self.words.as_ptr().cast()
    }
}

/// One encoded item: type, spec, mask (`None`: NULL, match any).
pub(crate) type EncodedItem = (it::Type, Option<ItemBuf>, Option<ItemBuf>);

fn prefix_mask<const N: usize>(len: u8) -> [u8; N] {
    let mut m = [0u8; N];
    let mut left = usize::from(len).min(N * 8);
    for b in m.iter_mut() {
        let take = left.min(8);
        *b = if take == 0 { 0 } else { 0xffu8 << (8 - take) };
        left -= take;
    }
    m
}

/// Spec and mask of a structure of `size` bytes with `fields` (offset,
/// value, mask) set.
fn fields(size: usize, f: &[(usize, &[u8], &[u8])]) -> (Option<ItemBuf>, Option<ItemBuf>) {
    if f.is_empty() {
        return (None, None);
    }
    let (mut spec, mut mask) = (vec![0u8; size], vec![0u8; size]);
    for &(off, v, m) in f {
        for (i, (&vb, &mb)) in v.iter().zip(m).enumerate() {
            spec[off + i] = vb & mb;
            mask[off + i] = mb;
        }
    }
    (
        Some(ItemBuf::from_bytes(&spec)),
        Some(ItemBuf::from_bytes(&mask)),
    )
}

/// The item as `rte_flow` takes it.
pub(crate) fn encode_item(item: &Item) -> EncodedItem {
    use core::mem::size_of;
    match item {
        Item::Eth => (it::RTE_FLOW_ITEM_TYPE_ETH, None, None),
        Item::Vlan { vid } => {
            let (s, m) = fields(
                size_of::<rte_flow_item_vlan>(),
                &[(0, &(vid & 0x0fff).to_be_bytes(), &0x0fffu16.to_be_bytes())],
            );
            (it::RTE_FLOW_ITEM_TYPE_VLAN, s, m)
        }
        Item::Ipv4 { dst } => {
            let f = dst.map(|(a, l)| (a.octets(), prefix_mask::<4>(l)));
            let f: Vec<(usize, &[u8], &[u8])> =
                f.iter().map(|(a, m)| (16, &a[..], &m[..])).collect();
            let (s, m) = fields(size_of::<rte_flow_item_ipv4>(), &f);
            (it::RTE_FLOW_ITEM_TYPE_IPV4, s, m)
        }
        Item::Ipv6 { dst } => {
            let f = dst.map(|(a, l)| (a.octets(), prefix_mask::<16>(l)));
            let f: Vec<(usize, &[u8], &[u8])> =
                f.iter().map(|(a, m)| (24, &a[..], &m[..])).collect();
            let (s, m) = fields(size_of::<rte_flow_item_ipv6>(), &f);
            (it::RTE_FLOW_ITEM_TYPE_IPV6, s, m)
        }
        Item::Udp { dst_port } => {
            let p = dst_port.map(u16::to_be_bytes);
            let f: Vec<(usize, &[u8], &[u8])> =
                p.iter().map(|p| (2, &p[..], &[0xff, 0xff][..])).collect();
            let (s, m) = fields(size_of::<rte_flow_item_udp>(), &f);
            (it::RTE_FLOW_ITEM_TYPE_UDP, s, m)
        }
        Item::Gtp {
            teid,
            msg_type,
            ext,
        } => {
            // Flags: version 3 bits, PT, spare, E (0x04), S, PN.
            let e: [u8; 1] = [0x04];
            let t = teid.map(u32::to_be_bytes);
            let mt = msg_type.map(|m| [m]);
            let mut f: Vec<(usize, &[u8], &[u8])> = Vec::new();
            if *ext {
                f.push((0, &e, &e));
            }
            if let Some(mt) = &mt {
                f.push((1, mt, &[0xff]));
            }
            if let Some(t) = &t {
                f.push((4, t, &[0xff; 4]));
            }
            let (s, m) = fields(size_of::<rte_flow_item_gtp>(), &f);
            (it::RTE_FLOW_ITEM_TYPE_GTP, s, m)
        }
        Item::GtpPsc { qfi, pdu_type } => {
            // ext_hdr_len; PDU type (high nibble) and flags; QFI (6 bits).
            let pt = pdu_type.map(|p| [p << 4]);
            let q = qfi.map(|q| [q & 0x3f]);
            let mut f: Vec<(usize, &[u8], &[u8])> = Vec::new();
            if let Some(pt) = &pt {
                f.push((1, pt, &[0xf0]));
            }
            if let Some(q) = &q {
                f.push((2, q, &[0x3f]));
            }
            let (s, m) = fields(size_of::<rte_flow_item_gtp_psc>(), &f);
            (it::RTE_FLOW_ITEM_TYPE_GTP_PSC, s, m)
        }
    }
}

/// A spec's arrays and everything they point to, alive together. The
/// action configurations are boxed: their addresses are taken while the
/// vectors holding them still grow.
#[allow(clippy::vec_box)]
struct Encoded {
    _items: Vec<EncodedItem>,
    _marks: Vec<Box<rte_flow_action_mark>>,
    _queues: Vec<Box<rte_flow_action_queue>>,
    _rss: Vec<(Box<rte_flow_action_rss>, Vec<u16>)>,
    _decap: Vec<(Box<rte_flow_action_raw_decap>, Vec<u8>)>,
    pattern: Vec<rte_flow_item>,
    actions: Vec<rte_flow_action>,
    attr: rte_flow_attr,
}

fn encode(spec: &FlowSpec) -> Encoded {
    let items: Vec<EncodedItem> = spec.pattern.iter().map(encode_item).collect();
    let null = core::ptr::null();
    let mut pattern: Vec<rte_flow_item> = items
        .iter()
        .map(|(t, s, m)| rte_flow_item {
            type_: *t,
            spec: s.as_ref().map_or(null, ItemBuf::ptr),
            last: null,
            mask: m.as_ref().map_or(null, ItemBuf::ptr),
        })
        .collect();
    pattern.push(rte_flow_item {
        type_: it::RTE_FLOW_ITEM_TYPE_END,
        spec: null,
        last: null,
        mask: null,
    });
    let (mut marks, mut queues, mut rss, mut decap) = (vec![], vec![], vec![], vec![]);
    let mut actions = Vec::with_capacity(spec.actions.len() + 1);
    for a in &spec.actions {
        let (type_, conf): (at::Type, *const core::ffi::c_void) = match a {
            Action::Mark(id) => {
                let b = Box::new(rte_flow_action_mark { id: *id });
                let p = (&*b as *const rte_flow_action_mark).cast();
                marks.push(b);
                (at::RTE_FLOW_ACTION_TYPE_MARK, p)
            }
            Action::Queue(index) => {
                let b = Box::new(rte_flow_action_queue { index: *index });
                let p = (&*b as *const rte_flow_action_queue).cast();
                queues.push(b);
                (at::RTE_FLOW_ACTION_TYPE_QUEUE, p)
            }
            Action::Rss {
                level,
                types,
                queues: q,
            } => {
                let q = q.clone();
                let b = Box::new(rte_flow_action_rss {
                    func: dpdk_sys::rte_eth_hash_function::RTE_ETH_HASH_FUNCTION_DEFAULT,
                    level: *level,
                    types: *types,
                    key_len: 0,
                    queue_num: q.len() as u32,
                    key: core::ptr::null(),
                    queue: q.as_ptr(),
                });
                let p = (&*b as *const rte_flow_action_rss).cast();
                rss.push((b, q));
                (at::RTE_FLOW_ACTION_TYPE_RSS, p)
            }
            Action::RawDecap(bytes) => {
                let mut d = bytes.clone();
                let b = Box::new(rte_flow_action_raw_decap {
                    data: d.as_mut_ptr(),
                    size: d.len(),
                });
                let p = (&*b as *const rte_flow_action_raw_decap).cast();
                decap.push((b, d));
                (at::RTE_FLOW_ACTION_TYPE_RAW_DECAP, p)
            }
        };
        actions.push(rte_flow_action { type_, conf });
    }
    actions.push(rte_flow_action {
        type_: at::RTE_FLOW_ACTION_TYPE_END,
        conf: null,
    });
    let mut attr = rte_flow_attr::default();
    attr.set_ingress(1);
    Encoded {
        _items: items,
        _marks: marks,
        _queues: queues,
        _rss: rss,
        _decap: decap,
        pattern,
        actions,
        attr,
    }
}

fn refusal(ret: i32, err: &rte_flow_error) -> Refusal {
    let message = if err.message.is_null() {
        "no message".to_owned()
    } else {
        // SAFETY: a non-NULL `message` points to a NUL-terminated string
        // the driver keeps (static or per-port), valid at least until the
        // next flow call on the port, which cannot happen meanwhile: this
        // thread holds the gate.
        unsafe { CStr::from_ptr(err.message) }
            .to_string_lossy()
            .into_owned()
    };
    Refusal {
        errno: ret.abs(),
        message,
    }
}

/// Open while the ports exist; closed (after flushing every port's rules)
/// before they are closed. Clones share the state.
#[derive(Debug, Clone, Default)]
pub struct FlowGate(Arc<Mutex<bool>>);

impl FlowGate {
    /// An open gate.
    pub fn open() -> Self {
        FlowGate(Arc::new(Mutex::new(true)))
    }

    /// Waits for any call in progress, flushes the rules of `ports`
    /// (`rte_flow_flush`) and refuses every later call.
    pub fn close_and_flush(&self, ports: &[u16]) {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if *open {
            for &p in ports {
                let mut err = rte_flow_error::default();
                // SAFETY: `p` is a port id of a port not yet closed (the
                // dataplane closes ports after this); `err` is a valid out
                // parameter.
                unsafe { dpdk_sys::rte_flow_flush(p, &mut err) };
            }
        }
        *open = false;
    }

    /// Whether calls still go to DPDK.
    pub fn is_open(&self) -> bool {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The `rte_flow` backend.
#[derive(Debug, Clone)]
pub struct RteFlowBackend {
    gate: FlowGate,
}

impl RteFlowBackend {
    /// A backend whose calls go through `gate`.
    pub fn new(gate: FlowGate) -> Self {
        RteFlowBackend { gate }
    }

    fn closed() -> Refusal {
        Refusal {
            errno: libc::ENODEV,
            message: "ports closed".into(),
        }
    }
}

impl FlowBackend for RteFlowBackend {
    fn validate(&mut self, spec: &FlowSpec) -> Result<(), Refusal> {
        let open = self.gate.0.lock().unwrap_or_else(|e| e.into_inner());
        if !*open {
            return Err(Self::closed());
        }
        let e = encode(spec);
        let mut err = rte_flow_error::default();
        // SAFETY: the attribute, the END-terminated pattern and action
        // arrays and everything they point to live in `e` until after the
        // call; `err` is a valid out parameter; the gate keeps the port
        // open.
        let ret = unsafe {
            dpdk_sys::rte_flow_validate(
                spec.port,
                &e.attr,
                e.pattern.as_ptr(),
                e.actions.as_ptr(),
                &mut err,
            )
        };
        drop(open);
        if ret == 0 {
            Ok(())
        } else {
            Err(refusal(ret, &err))
        }
    }

    fn create(&mut self, spec: &FlowSpec) -> Result<Handle, Refusal> {
        let open = self.gate.0.lock().unwrap_or_else(|e| e.into_inner());
        if !*open {
            return Err(Self::closed());
        }
        let e = encode(spec);
        let mut err = rte_flow_error::default();
        // SAFETY: as in `validate`; the driver copies what it keeps.
        let flow = unsafe {
            dpdk_sys::rte_flow_create(
                spec.port,
                &e.attr,
                e.pattern.as_ptr(),
                e.actions.as_ptr(),
                &mut err,
            )
        };
        if flow.is_null() {
            // SAFETY: reads this thread's rte_errno.
            let errno = unsafe { dpdk_sys::rte_errno_() };
            return Err(refusal(errno, &err));
        }
        Ok(Handle(flow as usize as u64))
    }

    fn destroy(&mut self, port: u16, handle: Handle) -> Result<(), Refusal> {
        let open = self.gate.0.lock().unwrap_or_else(|e| e.into_inner());
        if !*open {
            // Flushed with the port already.
            return Ok(());
        }
        let mut err = rte_flow_error::default();
        // SAFETY: `handle` came from `create` on `port` and was not
        // destroyed (the manager destroys each handle once); the gate keeps
        // the port open.
        let ret = unsafe {
            dpdk_sys::rte_flow_destroy(port, handle.0 as usize as *mut rte_flow, &mut err)
        };
        if ret == 0 {
            Ok(())
        } else {
            Err(refusal(ret, &err))
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};
    use dpdk_sys::rte_flow_item_eth;

    fn spec_bytes(item: &Item) -> (Vec<u8>, Vec<u8>) {
        let (_, s, m) = encode_item(item);
        (s.unwrap().bytes(), m.unwrap().bytes())
    }

    #[test]
    fn items_are_the_structures_the_bindings_describe() {
        let (s, m) = spec_bytes(&Item::Ipv4 {
            dst: Some((Ipv4Addr::new(10, 45, 0, 0), 16)),
        });
        assert_eq!(s.len(), core::mem::size_of::<rte_flow_item_ipv4>());
        let mut v = rte_flow_item_ipv4::default();
        v.hdr.dst_addr = u32::from_ne_bytes(s[16..20].try_into().unwrap());
        assert_eq!(u32::from_be(v.hdr.dst_addr), 0x0a2d_0000);
        assert_eq!(&m[16..20], &[0xff, 0xff, 0, 0]);
        assert!(m[..16].iter().all(|&b| b == 0));

        let (s, m) = spec_bytes(&Item::Udp {
            dst_port: Some(2152),
        });
        let u = rte_flow_item_udp {
            hdr: dpdk_sys::rte_udp_hdr {
                src_port: u16::from_ne_bytes([s[0], s[1]]),
                dst_port: u16::from_ne_bytes([s[2], s[3]]),
                dgram_len: 0,
                dgram_cksum: 0,
            },
        };
        assert_eq!(u16::from_be(u.hdr.dst_port), 2152);
        assert_eq!(m, vec![0, 0, 0xff, 0xff, 0, 0, 0, 0]);

        let (s, m) = spec_bytes(&Item::Gtp {
            teid: Some(0x1234_5678),
            msg_type: Some(0xff),
            ext: true,
        });
        assert_eq!(s.len(), core::mem::size_of::<rte_flow_item_gtp>());
        assert_eq!(s, vec![0x04, 0xff, 0, 0, 0x12, 0x34, 0x56, 0x78]);
        assert_eq!(m, vec![0x04, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(
            core::mem::offset_of!(rte_flow_item_gtp, teid),
            4,
            "TEID at its wire offset"
        );

        let (s, m) = spec_bytes(&Item::GtpPsc {
            qfi: Some(9),
            pdu_type: Some(1),
        });
        assert_eq!(s.len(), core::mem::size_of::<rte_flow_item_gtp_psc>());
        assert_eq!(s, vec![0, 0x10, 9]);
        assert_eq!(m, vec![0, 0xf0, 0x3f]);

        let a: Ipv6Addr = "2001:db8:1:2::".parse().unwrap();
        let (s, m) = spec_bytes(&Item::Ipv6 { dst: Some((a, 64)) });
        assert_eq!(s.len(), core::mem::size_of::<rte_flow_item_ipv6>());
        let mut v = rte_flow_item_ipv6::default();
        v.hdr.dst_addr.copy_from_slice(&s[24..40]);
        assert_eq!(Ipv6Addr::from(v.hdr.dst_addr), a);
        assert_eq!(&m[24..32], &[0xff; 8]);
        assert_eq!(&m[32..40], &[0; 8]);

        let (s, m) = spec_bytes(&Item::Vlan { vid: 100 });
        assert_eq!(s.len(), core::mem::size_of::<rte_flow_item_vlan>());
        assert_eq!(&s[..2], &100u16.to_be_bytes());
        assert_eq!(&m[..4], &[0x0f, 0xff, 0, 0]);

        let (t, s, m) = encode_item(&Item::Eth);
        assert_eq!(t, it::RTE_FLOW_ITEM_TYPE_ETH);
        assert!(s.is_none() && m.is_none(), "any Ethernet");
        assert_eq!(
            core::mem::size_of::<rte_flow_item_eth>(),
            20,
            "header and flag bits"
        );
    }

    #[test]
    fn arrays_end_and_point_at_their_confs() {
        let spec = FlowSpec {
            port: 0,
            pattern: vec![Item::Eth, Item::Ipv4 { dst: None }],
            actions: vec![
                Action::Mark(7),
                Action::Rss {
                    level: 2,
                    types: 1,
                    queues: vec![0, 1],
                },
            ],
        };
        let e = encode(&spec);
        assert_eq!(e.pattern.len(), 3);
        assert_eq!(e.pattern[2].type_, it::RTE_FLOW_ITEM_TYPE_END);
        assert!(e.pattern[1].spec.is_null(), "no field: any IPv4");
        assert_eq!(e.actions.len(), 3);
        assert_eq!(e.actions[2].type_, at::RTE_FLOW_ACTION_TYPE_END);
        assert_eq!(e.attr.ingress(), 1);
        // SAFETY: the confs live in `e`.
        let mark = unsafe { &*(e.actions[0].conf as *const rte_flow_action_mark) };
        assert_eq!(mark.id, 7);
        // SAFETY: as above.
        let rss = unsafe { &*(e.actions[1].conf as *const rte_flow_action_rss) };
        assert_eq!((rss.level, rss.queue_num), (2, 2));
        // SAFETY: `queue` points at `queue_num` u16s kept in `e`.
        assert_eq!(unsafe { *rss.queue.add(1) }, 1);
    }
}
