//! The dataplane's control thread: local link-layer traffic and next-hop
//! resolution, off the fast path.
//!
//! - Frames the path hands over (`Verdict::Control`) arrive on one ring
//!   (many workers produce, this thread consumes); the event travels in the
//!   mbuf's [`PacketMeta`].
//! - ARP: requests for a UPF address on the attachment they arrived on are
//!   answered in place ([`upf_core::path::arp_reply`]); senders of requests
//!   for us, ARP replies, and hosts we asked for are learnt.
//! - NDP: Neighbor Solicitations for a UPF address are answered
//!   ([`upf_core::path::neighbor_advertisement`]); solicitors and
//!   advertisements for hosts we asked for are learnt.
//! - Resolution: workers ask for unknown next hops; this thread sends ARP
//!   requests or Neighbor Solicitations (up to 3 per request, one per retry
//!   interval) and publishes what it learns to every worker's queue.
//! - Other events (GTP-U Echo Responses, Error Indications) are passed to
//!   [`crate::DataplaneConfig::control_events`], and so are the workers'
//!   notices of buffering episodes (as `Buffer` events with no frame).
//! - End Markers (TS 29.281 §7.3.2) the control side asks for through a
//!   [`ControlSender`] are built here, from the UPF address of the
//!   attachment that reaches the old peer, and sent to its next hop's MAC
//!   (resolved first when unknown; given up with the resolution).
//!
//! Frames this thread sends go through worker 0's TX ring: worker 0 owns TX
//! queue 0 of every port.
#![forbid(unsafe_code)]

use core::net::{IpAddr, Ipv6Addr};
use std::collections::HashMap;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use upf_core::counters::Counter;
use upf_core::path::{arp_reply, neighbor_advertisement, ControlEvent};
use upf_core::wire::{
    emit_end_marker, ArpOperation, ArpPacket, ArpRepr, EthernetAddress, Icmpv6Packet, Icmpv6Repr,
    IpProtocol, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, UdpPacket, GTPU_PORT,
};

use crate::buffer::BufferNotice;
use crate::config::{AttachmentInfo, ControlFrame, Role};
use crate::l2::{vlan_of, write_ethernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETH_LEN};
use crate::lcore::StopFlag;
use crate::mbuf::{Burst, Mbuf, PacketMeta};
use crate::mempool::Mempool;
use crate::neighbor::{Mac, NeighborKey, NeighborUpdate};
use crate::ring::{MbufRing, RingConsumer};
use crate::worker::PortIngress;

/// Requests sent per resolution before waiting for a worker to ask again.
const MAX_TRIES: u32 = 3;

const EV_ARP: u8 = 1;
const EV_NDP: u8 = 2;
const EV_ECHO_RESPONSE: u8 = 3;
const EV_ERROR_INDICATION: u8 = 4;
const EV_SUPPORTED_EXT: u8 = 5;
const EV_BUFFER: u8 = 6;

/// Stores a control event in the mbuf metadata.
#[inline]
pub(crate) fn encode_event(meta: &mut PacketMeta, ev: ControlEvent) {
    meta.event = match ev {
        ControlEvent::Arp => EV_ARP,
        ControlEvent::Ndp => EV_NDP,
        ControlEvent::GtpuEchoResponse => EV_ECHO_RESPONSE,
        ControlEvent::GtpuErrorIndication => EV_ERROR_INDICATION,
        ControlEvent::GtpuSupportedExtensions => EV_SUPPORTED_EXT,
        ControlEvent::Buffer {
            seid,
            pdr_id,
            far_id,
            notify,
        } => {
            meta.seid = seid;
            meta.pdr_id = pdr_id;
            meta.far_id = far_id;
            meta.notify = u8::from(notify);
            EV_BUFFER
        }
    };
}

/// The control event stored by [`encode_event`].
pub(crate) fn decode_event(meta: &PacketMeta) -> Option<ControlEvent> {
    Some(match meta.event {
        EV_ARP => ControlEvent::Arp,
        EV_NDP => ControlEvent::Ndp,
        EV_ECHO_RESPONSE => ControlEvent::GtpuEchoResponse,
        EV_ERROR_INDICATION => ControlEvent::GtpuErrorIndication,
        EV_SUPPORTED_EXT => ControlEvent::GtpuSupportedExtensions,
        EV_BUFFER => ControlEvent::Buffer {
            seid: meta.seid,
            pdr_id: meta.pdr_id,
            far_id: meta.far_id,
            notify: meta.notify != 0,
        },
        _ => return None,
    })
}

/// What the control thread did, readable from any thread.
#[derive(Debug, Default)]
pub struct ControlStats {
    /// Frames received from the workers.
    pub frames: Counter,
    /// ARP requests answered.
    pub arp_replies: Counter,
    /// Neighbor Advertisements sent.
    pub nd_adverts: Counter,
    /// ARP requests sent to resolve next hops.
    pub arp_requests: Counter,
    /// Neighbor Solicitations sent.
    pub nd_solicits: Counter,
    /// Next hops learnt or updated.
    pub learnt: Counter,
    /// Frames passed to the control-event channel.
    pub events_passed: Counter,
    /// Frames dropped: not handled here and no room (or no channel) for them.
    pub events_dropped: Counter,
    /// Frames that could not be sent (no mbuf, TX ring full).
    pub tx_failed: Counter,
    /// End Markers sent.
    pub end_markers: Counter,
    /// End Markers not sent: no attachment reaches the peer, its next hop
    /// did not resolve, or the request queue was full.
    pub end_markers_failed: Counter,
}

/// A GTP-U End Marker to send on a tunnel that is being replaced
/// (TS 29.281 §7.3.2, TS 29.244 §5.2.2 SNDEM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndMarker {
    /// The UPF address of the old tunnel (`None`: the N3 address of the
    /// peer's family).
    pub local: Option<IpAddr>,
    /// The old tunnel's peer.
    pub peer: IpAddr,
    /// The old tunnel's peer TEID.
    pub teid: u32,
}

/// Requests for the dataplane's control thread, from any thread.
#[derive(Debug, Clone)]
pub struct ControlSender {
    end_markers: Arc<ArrayQueue<EndMarker>>,
    stats: Arc<ControlStats>,
}

impl ControlSender {
    pub(crate) fn new(end_markers: Arc<ArrayQueue<EndMarker>>, stats: Arc<ControlStats>) -> Self {
        ControlSender { end_markers, stats }
    }

    /// Queues an End Marker; the control thread builds and sends it.
    /// `false` (and counted) when the queue is full.
    pub fn send_end_marker(&self, em: EndMarker) -> bool {
        let ok = self.end_markers.push(em).is_ok();
        if !ok {
            self.stats.end_markers_failed.inc();
        }
        ok
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    mac: Option<Mac>,
    is_static: bool,
    last_request: Option<Instant>,
    tries: u32,
}

/// The control thread's state.
pub(crate) struct Control {
    pub ring: RingConsumer,
    pub tx: MbufRing,
    pub pool: Mempool,
    pub atts: Vec<AttachmentInfo>,
    pub ingress: Vec<PortIngress>,
    pub port_index: Vec<u8>,
    pub resolve: Arc<ArrayQueue<NeighborKey>>,
    pub worker_queues: Vec<Arc<ArrayQueue<NeighborUpdate>>>,
    pub stats: Arc<ControlStats>,
    pub events: Option<SyncSender<ControlFrame>>,
    pub stop: StopFlag,
    pub retry: Duration,
    /// The workers' notices of buffering episodes with NOCP.
    pub buffer_notices: Option<Arc<ArrayQueue<BufferNotice>>>,
    /// End Markers asked for, and those waiting for their next hop.
    pub end_markers: Arc<ArrayQueue<EndMarker>>,
    pub outer_ttl: u8,
    waiting: Vec<(EndMarker, NeighborKey, Instant)>,
    ip_ident: u16,
    book: HashMap<NeighborKey, Entry>,
    /// Updates a full worker queue did not take yet (per worker).
    backlog: Vec<Vec<NeighborUpdate>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("neighbors", &self.book.len())
            .finish_non_exhaustive()
    }
}

impl Control {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ring: RingConsumer,
        tx: MbufRing,
        pool: Mempool,
        atts: Vec<AttachmentInfo>,
        ingress: Vec<PortIngress>,
        port_index: Vec<u8>,
        resolve: Arc<ArrayQueue<NeighborKey>>,
        worker_queues: Vec<Arc<ArrayQueue<NeighborUpdate>>>,
        stats: Arc<ControlStats>,
        events: Option<SyncSender<ControlFrame>>,
        stop: StopFlag,
        retry: Duration,
        statics: &[(NeighborKey, Mac)],
        end_markers: Arc<ArrayQueue<EndMarker>>,
        outer_ttl: u8,
    ) -> Self {
        let backlog = vec![Vec::new(); worker_queues.len()];
        let mut book = HashMap::new();
        for &(k, mac) in statics {
            book.insert(
                k,
                Entry {
                    mac: Some(mac),
                    is_static: true,
                    last_request: None,
                    tries: 0,
                },
            );
        }
        Control {
            ring,
            tx,
            pool,
            atts,
            ingress,
            port_index,
            resolve,
            worker_queues,
            stats,
            events,
            stop,
            retry,
            buffer_notices: None,
            end_markers,
            outer_ttl,
            waiting: Vec::new(),
            ip_ident: 0,
            book,
            backlog,
        }
    }

    /// Runs until the stop flag is raised.
    pub fn run(mut self) {
        let mut burst = Burst::new();
        let mut last_sweep = Instant::now();
        while !self.stop.is_stopped() {
            let mut work = 0;
            let n = self.ring.dequeue_burst(&mut burst);
            work += n;
            for m in burst.drain(..) {
                self.stats.frames.inc();
                self.handle(m);
            }
            while let Some(key) = self.resolve.pop() {
                work += 1;
                self.resolve_request(key, false);
            }
            work += self.pass_buffer_notices();
            while let Some(em) = self.end_markers.pop() {
                work += 1;
                self.end_marker(em);
            }
            if !self.waiting.is_empty() {
                self.send_waiting();
            }
            if last_sweep.elapsed() >= self.retry / 4 {
                last_sweep = Instant::now();
                self.sweep();
            }
            self.flush_backlog();
            if work == 0 {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }

    /// Passes the workers' buffering notices on; returns how many.
    fn pass_buffer_notices(&mut self) -> usize {
        let Some(q) = self.buffer_notices.clone() else {
            return 0;
        };
        let mut n = 0;
        while let Some(b) = q.pop() {
            n += 1;
            self.pass(ControlFrame {
                event: b.event,
                port_id: b.port_id,
                frame: Vec::new(),
            });
        }
        n
    }

    /// Hands a frame to the control-event channel, counting the outcome.
    fn pass(&self, frame: ControlFrame) {
        match &self.events {
            Some(tx) if tx.try_send(frame).is_ok() => self.stats.events_passed.inc(),
            _ => self.stats.events_dropped.inc(),
        }
    }

    fn attachment_of(&self, m: &Mbuf) -> Option<usize> {
        let p = *self.port_index.get(usize::from(m.port()))?;
        let ing = self.ingress.get(usize::from(p))?;
        let frame = m.data();
        if ing.vlans.is_empty() {
            return ing.untagged.map(usize::from);
        }
        match vlan_of(frame) {
            None => ing.untagged.map(usize::from),
            Some(v) => ing
                .vlans
                .iter()
                .find(|(id, _)| *id == v)
                .map(|&(_, a)| usize::from(a)),
        }
    }

    fn handle(&mut self, mut m: Mbuf) {
        let ev = m.meta::<PacketMeta>().and_then(decode_event);
        let att = self.attachment_of(&m);
        match (ev, att) {
            (Some(ControlEvent::Arp), Some(a)) => self.arp(m, a),
            (Some(ControlEvent::Ndp), Some(a)) => self.ndp(m, a),
            (Some(ev), _) if !matches!(ev, ControlEvent::Arp | ControlEvent::Ndp) => {
                self.pass(ControlFrame {
                    event: ev,
                    port_id: m.port(),
                    frame: m.data().to_vec(),
                });
            }
            _ => {
                self.stats.events_dropped.inc();
                if let Some(meta) = m.meta_mut::<PacketMeta>() {
                    meta.event = 0;
                }
            }
        }
    }

    fn arp(&mut self, mut m: Mbuf, a: usize) {
        let att = self.atts[a].clone();
        let is_reply = upf_core::wire::l2_header(m.data())
            .ok()
            .and_then(|l2| m.data().get(l2.header_len + 6..l2.header_len + 8))
            .is_some_and(|op| op == [0, 2]);
        let Some((ip, mac, answered)) = arp_reply(m.data_mut(), EthernetAddress(att.mac), |t| {
            att.is_ours_v4(t)
        }) else {
            return;
        };
        let key = NeighborKey {
            attachment: a as u8,
            addr: IpAddr::V4(ip),
        };
        if !ip.is_unspecified()
            && mac.is_unicast()
            && (answered || is_reply || self.book.contains_key(&key))
        {
            self.learn(key, mac.0);
        }
        if answered {
            self.send(m, att.port_id);
            self.stats.arp_replies.inc();
        }
    }

    fn ndp(&mut self, m: Mbuf, a: usize) {
        let att = self.atts[a].clone();
        let frame = m.data();
        let mut out = [0u8; 128];
        if let Some((len, solicitor, lladdr)) = neighbor_advertisement(
            frame,
            EthernetAddress(att.mac),
            |t| att.is_ours_v6(t),
            &mut out,
        ) {
            if let Some(mac) = lladdr.filter(|_| !solicitor.is_unspecified()) {
                self.learn(
                    NeighborKey {
                        attachment: a as u8,
                        addr: IpAddr::V6(solicitor),
                    },
                    mac.0,
                );
            }
            let dst: Mac = out[0..6].try_into().expect("6 bytes");
            if self.send_frame(
                att.port_id,
                dst,
                att.mac,
                att.vlan,
                ETHERTYPE_IPV6,
                &out[ETH_LEN..len],
            ) {
                self.stats.nd_adverts.inc();
            }
            return;
        }
        // A Neighbor Advertisement: learn the target if we asked for it.
        if let Some((target, mac)) = parse_na(frame) {
            let key = NeighborKey {
                attachment: a as u8,
                addr: IpAddr::V6(target),
            };
            if self.book.contains_key(&key) {
                self.learn(key, mac);
            }
        }
    }

    fn learn(&mut self, key: NeighborKey, mac: Mac) {
        let e = self.book.entry(key).or_insert(Entry {
            mac: None,
            is_static: false,
            last_request: None,
            tries: 0,
        });
        if e.is_static || e.mac == Some(mac) {
            return;
        }
        e.mac = Some(mac);
        e.tries = 0;
        self.stats.learnt.inc();
        self.publish(NeighborUpdate::Set(key, mac));
    }

    fn publish(&mut self, u: NeighborUpdate) {
        for (q, backlog) in self.worker_queues.iter().zip(self.backlog.iter_mut()) {
            if !backlog.is_empty() || q.push(u).is_err() {
                backlog.push(u);
            }
        }
    }

    fn flush_backlog(&mut self) {
        for (q, backlog) in self.worker_queues.iter().zip(self.backlog.iter_mut()) {
            let mut sent = 0;
            for u in backlog.iter() {
                if q.push(*u).is_err() {
                    break;
                }
                sent += 1;
            }
            backlog.drain(..sent);
        }
    }

    /// A worker asks for `key` (or the sweep retries it).
    fn resolve_request(&mut self, key: NeighborKey, retry: bool) {
        let now = Instant::now();
        let e = self.book.entry(key).or_insert(Entry {
            mac: None,
            is_static: false,
            last_request: None,
            tries: 0,
        });
        if let Some(mac) = e.mac {
            // Known here: the worker has not seen the update yet, or lost it.
            if !retry {
                self.publish(NeighborUpdate::Set(key, mac));
            }
            return;
        }
        if e.last_request.is_some_and(|t| now - t < self.retry) {
            return;
        }
        if retry && e.tries >= MAX_TRIES {
            return;
        }
        if !retry {
            e.tries = 0;
        }
        e.tries += 1;
        e.last_request = Some(now);
        self.solicit(key);
    }

    fn sweep(&mut self) {
        let due: Vec<NeighborKey> = self
            .book
            .iter()
            .filter(|(_, e)| e.mac.is_none() && e.tries < MAX_TRIES)
            .map(|(k, _)| *k)
            .collect();
        for k in due {
            self.resolve_request(k, true);
        }
    }

    /// Sends an ARP request or a Neighbor Solicitation for `key`.
    fn solicit(&mut self, key: NeighborKey) {
        let Some(att) = self.atts.get(usize::from(key.attachment)).cloned() else {
            return;
        };
        match key.addr {
            IpAddr::V4(target) => {
                let Some(ours) = att.addr_v4 else { return };
                let mut arp = [0u8; upf_core::wire::arp::ETHERNET_IPV4_LEN];
                ArpRepr::EthernetIpv4 {
                    operation: ArpOperation::Request,
                    source_hardware_addr: EthernetAddress(att.mac),
                    source_protocol_addr: ours,
                    target_hardware_addr: EthernetAddress([0; 6]),
                    target_protocol_addr: target,
                }
                .emit(&mut ArpPacket::new_unchecked(&mut arp[..]));
                if self.send_frame(
                    att.port_id,
                    [0xff; 6],
                    att.mac,
                    att.vlan,
                    ETHERTYPE_ARP,
                    &arp,
                ) {
                    self.stats.arp_requests.inc();
                }
            }
            IpAddr::V6(target) => {
                let Some(ours) = att.addr_v6 else { return };
                let mut buf = [0u8; 40 + 32];
                let Some(len) = neighbor_solicitation(ours, target, att.mac, &mut buf) else {
                    return;
                };
                let dst_ip = solicited_node(target);
                let dst = EthernetAddress::ipv6_multicast(&dst_ip).0;
                if self.send_frame(
                    att.port_id,
                    dst,
                    att.mac,
                    att.vlan,
                    ETHERTYPE_IPV6,
                    &buf[..len],
                ) {
                    self.stats.nd_solicits.inc();
                }
            }
        }
    }

    /// The attachment an End Marker leaves from, and its source address:
    /// the one with the End Marker's local address, or the N3 one.
    fn end_marker_source(&self, em: &EndMarker) -> Option<(usize, IpAddr)> {
        let addr_of = |a: &AttachmentInfo| match em.peer {
            IpAddr::V4(_) => a.addr_v4.map(IpAddr::V4),
            IpAddr::V6(_) => a.addr_v6.map(IpAddr::V6),
        };
        let found = match em.local {
            Some(l) => self.atts.iter().position(|a| addr_of(a) == Some(l)),
            None => self
                .atts
                .iter()
                .position(|a| a.role == Role::N3 && addr_of(a).is_some()),
        }?;
        Some((found, addr_of(&self.atts[found])?))
    }

    /// Sends an End Marker, or waits for its next hop to resolve.
    fn end_marker(&mut self, em: EndMarker) {
        let Some((a, _)) = self.end_marker_source(&em) else {
            self.stats.end_markers_failed.inc();
            return;
        };
        let key = NeighborKey {
            attachment: a as u8,
            addr: self.atts[a].next_hop(em.peer),
        };
        if self.book.get(&key).and_then(|e| e.mac).is_some() {
            self.send_end_marker(em);
        } else {
            self.resolve_request(key, false);
            let deadline = Instant::now() + self.retry * (MAX_TRIES + 1);
            self.waiting.push((em, key, deadline));
        }
    }

    /// Sends the waiting End Markers whose next hop is now known; gives up
    /// on those past their deadline.
    fn send_waiting(&mut self) {
        let now = Instant::now();
        let mut i = 0;
        while i < self.waiting.len() {
            let (em, key, deadline) = self.waiting[i];
            if self.book.get(&key).and_then(|e| e.mac).is_some() {
                self.waiting.swap_remove(i);
                self.send_end_marker(em);
            } else if now >= deadline {
                self.waiting.swap_remove(i);
                self.stats.end_markers_failed.inc();
            } else {
                i += 1;
            }
        }
    }

    fn send_end_marker(&mut self, em: EndMarker) {
        let Some((a, src)) = self.end_marker_source(&em) else {
            return;
        };
        let att = self.atts[a].clone();
        let key = NeighborKey {
            attachment: a as u8,
            addr: att.next_hop(em.peer),
        };
        let Some(mac) = self.book.get(&key).and_then(|e| e.mac) else {
            return;
        };
        self.ip_ident = self.ip_ident.wrapping_add(1);
        let mut buf = [0u8; END_MARKER_MAX];
        let Some(len) = end_marker_packet(
            src,
            em.peer,
            em.teid,
            self.outer_ttl,
            self.ip_ident,
            &mut buf,
        ) else {
            self.stats.end_markers_failed.inc();
            return;
        };
        let ethertype = match src {
            IpAddr::V4(_) => ETHERTYPE_IPV4,
            IpAddr::V6(_) => ETHERTYPE_IPV6,
        };
        if self.send_frame(att.port_id, mac, att.mac, att.vlan, ethertype, &buf[..len]) {
            self.stats.end_markers.inc();
        } else {
            self.stats.end_markers_failed.inc();
        }
    }

    /// Builds a frame in a fresh mbuf and sends it.
    fn send_frame(
        &mut self,
        port_id: u16,
        dst: Mac,
        src: Mac,
        vlan: Option<u16>,
        ethertype: u16,
        payload: &[u8],
    ) -> bool {
        let Ok(mut m) = Mbuf::alloc(&self.pool) else {
            self.stats.tx_failed.inc();
            return false;
        };
        let l2 = if vlan.is_some() { 18 } else { 14 };
        let Some(d) = m.append(l2 + payload.len()) else {
            self.stats.tx_failed.inc();
            return false;
        };
        write_ethernet(d, dst, src, vlan, ethertype);
        d[l2..].copy_from_slice(payload);
        self.send(m, port_id)
    }

    /// Hands a finished frame to worker 0 for `port_id`.
    fn send(&mut self, mut m: Mbuf, port_id: u16) -> bool {
        if let Some(meta) = m.meta_mut::<PacketMeta>() {
            meta.egress_port = port_id;
            meta.event = 0;
        }
        match self.tx.enqueue(m) {
            Ok(()) => true,
            Err(_m) => {
                self.stats.tx_failed.inc();
                false
            }
        }
    }
}

/// The longest End Marker packet: IPv6, UDP and the 8-octet GTP-U header.
const END_MARKER_MAX: usize = 40 + 8 + 8;

/// Writes a GTP-U End Marker (message type 254, no payload, TS 29.281
/// §7.3.2) in UDP 2152 from `src` to `dst` for the peer TEID `teid` into
/// `out`; returns its length. `None` when the families differ.
pub(crate) fn end_marker_packet(
    src: IpAddr,
    dst: IpAddr,
    teid: u32,
    ttl: u8,
    ident: u16,
    out: &mut [u8],
) -> Option<usize> {
    let ip_len = match (src, dst) {
        (IpAddr::V4(_), IpAddr::V4(_)) => 20,
        (IpAddr::V6(_), IpAddr::V6(_)) => 40,
        _ => return None,
    };
    let udp_len = 8 + 8;
    let out = out.get_mut(..ip_len + udp_len)?;
    emit_end_marker(teid, &mut out[ip_len + 8..]).ok()?;
    {
        let mut udp = UdpPacket::new_unchecked(&mut out[ip_len..]);
        udp.set_src_port(GTPU_PORT);
        udp.set_dst_port(GTPU_PORT);
        udp.set_len(udp_len as u16);
        udp.set_checksum(0);
    }
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            Ipv4Repr {
                src_addr: s,
                dst_addr: d,
                next_header: IpProtocol::Udp,
                payload_len: udp_len,
                hop_limit: ttl,
                dscp: 0,
                ecn: 0,
                ident,
                dont_frag: false,
            }
            .emit(&mut Ipv4Packet::new_unchecked(&mut out[..]));
            // UDP checksum 0 over IPv4, as for every GTP-U packet the UPF builds.
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            Ipv6Repr {
                src_addr: s,
                dst_addr: d,
                next_header: IpProtocol::Udp,
                payload_len: udp_len,
                hop_limit: ttl,
                traffic_class: 0,
                flow_label: 0,
            }
            .emit(&mut Ipv6Packet::new_unchecked(&mut out[..]));
            UdpPacket::new_unchecked(&mut out[ip_len..]).fill_checksum_v6(s, d);
        }
        _ => return None,
    }
    Some(ip_len + udp_len)
}

/// The solicited-node multicast address of `a` (RFC 4291 §2.7.1).
pub(crate) fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    let o = a.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    )
}

/// Writes an IPv6 Neighbor Solicitation for `target` from `src` (with the
/// source link-layer address option) into `out`; returns its length.
pub(crate) fn neighbor_solicitation(
    src: Ipv6Addr,
    target: Ipv6Addr,
    mac: Mac,
    out: &mut [u8],
) -> Option<usize> {
    let ns = Icmpv6Repr::NeighborSolicit {
        target_addr: target,
        source_lladdr: Some(EthernetAddress(mac)),
    };
    let icmp_len = ns.buffer_len();
    let out = out.get_mut(..40 + icmp_len)?;
    let dst = solicited_node(target);
    Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp_len,
        hop_limit: 255,
        traffic_class: 0,
        flow_label: 0,
    }
    .emit(&mut Ipv6Packet::new_unchecked(&mut out[..]));
    let mut icmp = Icmpv6Packet::new_unchecked(&mut out[40..]);
    ns.emit(&mut icmp);
    icmp.fill_checksum(&src, &dst);
    Some(40 + icmp_len)
}

/// The target and its link-layer address of a valid Neighbor Advertisement.
fn parse_na(frame: &[u8]) -> Option<(Ipv6Addr, Mac)> {
    let l2 = upf_core::wire::l2_header(frame).ok()?;
    let ip = Ipv6Packet::new_checked(frame.get(l2.header_len..)?).ok()?;
    if ip.next_header() != IpProtocol::Icmpv6 || ip.hop_limit() != 255 {
        return None;
    }
    let icmp = Icmpv6Packet::new_checked(ip.payload()).ok()?;
    if !icmp.verify_checksum(&ip.src_addr(), &ip.dst_addr()) {
        return None;
    }
    match Icmpv6Repr::parse(&icmp).ok()? {
        Icmpv6Repr::NeighborAdvert {
            target_addr,
            target_lladdr: Some(mac),
            ..
        } => Some((target_addr, mac.0)),
        _ => None,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn events_round_trip_through_meta() {
        let evs = [
            ControlEvent::Arp,
            ControlEvent::Ndp,
            ControlEvent::GtpuEchoResponse,
            ControlEvent::GtpuErrorIndication,
            ControlEvent::GtpuSupportedExtensions,
            ControlEvent::Buffer {
                seid: 0x1122_3344_5566_7788,
                pdr_id: 7,
                far_id: 0xdead_beef,
                notify: true,
            },
        ];
        for ev in evs {
            let mut m = PacketMeta::default();
            encode_event(&mut m, ev);
            assert_eq!(decode_event(&m), Some(ev));
        }
        assert_eq!(decode_event(&PacketMeta::default()), None);
    }

    #[test]
    fn solicitation_is_valid_and_parses_back() {
        let src: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let target: Ipv6Addr = "2001:db8::1:2345:6789".parse().unwrap();
        assert_eq!(
            solicited_node(target),
            "ff02::1:ff45:6789".parse::<Ipv6Addr>().unwrap()
        );
        let mut buf = [0u8; 128];
        let n = neighbor_solicitation(src, target, [2, 0, 0, 0, 0, 1], &mut buf).unwrap();
        let ip = Ipv6Packet::new_checked(&buf[..n]).unwrap();
        assert_eq!(ip.hop_limit(), 255);
        let icmp = Icmpv6Packet::new_checked(ip.payload()).unwrap();
        assert!(icmp.verify_checksum(&src, &solicited_node(target)));
        assert_eq!(
            Icmpv6Repr::parse(&icmp).unwrap(),
            Icmpv6Repr::NeighborSolicit {
                target_addr: target,
                source_lladdr: Some(EthernetAddress([2, 0, 0, 0, 0, 1]))
            }
        );
        // The UPF's own answer to it is an advertisement parse_na accepts.
        let mut frame = vec![0u8; 14];
        frame[12..14].copy_from_slice(&[0x86, 0xdd]);
        frame.extend_from_slice(&buf[..n]);
        let mut na = [0u8; 128];
        let (len, solicitor, ll) = neighbor_advertisement(
            &frame,
            EthernetAddress([2, 0, 0, 0, 0, 9]),
            |t| t == target,
            &mut na,
        )
        .unwrap();
        assert_eq!(solicitor, src);
        assert_eq!(ll, Some(EthernetAddress([2, 0, 0, 0, 0, 1])));
        assert_eq!(parse_na(&na[..len]), Some((target, [2, 0, 0, 0, 0, 9])));
    }
}
