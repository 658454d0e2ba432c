//! Associations, heartbeats, peer failure and peer restart (TS 29.244
//! §6.2.2, §6.2.6; TS 23.007).

use std::net::{IpAddr, SocketAddr};

use super::{
    Association, Dataplane, DeleteReason, DownReason, Node, NodeEvent, OutKind, Outcome, PeerId,
    SetupTarget,
};
use crate::ie::{NodeId, NodeReportType, RemoteGtpuPeer, UserPlanePathFailureReport};
use crate::message::{self as msg, Message};
use crate::Cause;

impl<D: Dataplane> Node<D> {
    /// The association a request from `from` belongs to (by IP address:
    /// SMFs may send from another port than the one they listen on).
    pub(super) fn peer_of(&self, from: SocketAddr) -> Option<NodeId> {
        self.assoc_by_ip.get(&from.ip()).cloned()
    }

    /// The number of the association a request from `from` belongs to.
    pub(super) fn peer_id_of(&self, from: SocketAddr) -> Option<PeerId> {
        self.assocs
            .get(self.assoc_by_ip.get(&from.ip())?)
            .map(|a| a.id)
    }

    /// The Node ID of association number `id`.
    pub(super) fn peer_node(&self, id: PeerId) -> Option<&NodeId> {
        self.peer_ids.get(usize::from(id))?.as_ref()
    }

    /// Association number `id`.
    pub(super) fn association(&self, id: PeerId) -> Option<&Association> {
        self.assocs.get(self.peer_node(id)?)
    }

    /// Association number `id`, mutably.
    pub(super) fn association_mut(&mut self, id: PeerId) -> Option<&mut Association> {
        let node = self.peer_ids.get(usize::from(id))?.as_ref()?;
        self.assocs.get_mut(node)
    }

    pub(super) fn on_heartbeat_request(
        &mut self,
        from: SocketAddr,
        m: msg::HeartbeatRequest,
    ) -> Outcome {
        if let Some(node) = self.peer_of(from) {
            let ts = m.recovery_time_stamp.0;
            if let Some(a) = self.assocs.get(&node) {
                if a.recovery != ts {
                    self.peer_restarted(&node, ts);
                }
            }
        }
        Outcome::Respond(
            msg::HeartbeatResponse {
                recovery_time_stamp: self.cfg.recovery_time_stamp,
                ..Default::default()
            }
            .into(),
            None,
        )
    }

    fn setup_response(&self, cause: Cause) -> Message {
        msg::AssociationSetupResponse {
            node_id: self.our_node_id(),
            cause,
            recovery_time_stamp: self.cfg.recovery_time_stamp,
            up_function_features: Some(self.features),
            ..Default::default()
        }
        .into()
    }

    pub(super) fn on_association_setup(
        &mut self,
        from: SocketAddr,
        m: msg::AssociationSetupRequest,
    ) -> Outcome {
        match self.associate(m.node_id, from, m.recovery_time_stamp.0) {
            Ok(()) => Outcome::Respond(self.setup_response(Cause::REQUEST_ACCEPTED), None),
            Err(cause) => Outcome::Respond(self.setup_response(cause), None),
        }
    }

    pub(super) fn on_association_setup_response(
        &mut self,
        target: SocketAddr,
        from: SocketAddr,
        r: msg::AssociationSetupResponse,
    ) {
        let retry = self.now + self.cfg.association_retry_interval;
        if !r.cause.is_accepted() {
            if let Some(t) = self.targets.iter_mut().find(|t| t.addr == target) {
                t.next_attempt = Some(retry);
            }
            self.push_event(NodeEvent::AssociationSetupFailed {
                addr: target,
                cause: Some(r.cause),
            });
            return;
        }
        let _ = from;
        match self.associate(r.node_id, target, r.recovery_time_stamp.0) {
            Ok(()) => {
                if let Some(t) = self.targets.iter_mut().find(|t| t.addr == target) {
                    t.next_attempt = None;
                }
            }
            Err(cause) => {
                if let Some(t) = self.targets.iter_mut().find(|t| t.addr == target) {
                    t.next_attempt = Some(retry);
                }
                self.push_event(NodeEvent::AssociationSetupFailed {
                    addr: target,
                    cause: Some(cause),
                });
            }
        }
    }

    /// Sets up (or refreshes) the association with `node` at `addr`. A
    /// known Node ID with another Recovery Time Stamp restarted: its old
    /// sessions go.
    fn associate(&mut self, node: NodeId, addr: SocketAddr, recovery: u32) -> Result<(), Cause> {
        let now = self.now;
        let next_heartbeat = now + self.cfg.heartbeat_interval;
        match self.assocs.get(&node) {
            Some(a) => {
                let old_addr = a.addr;
                if a.recovery != recovery {
                    self.peer_restarted(&node, recovery);
                }
                if old_addr.ip() != addr.ip() {
                    self.assoc_by_ip.remove(&old_addr.ip());
                }
                let a = self.assocs.get_mut(&node).expect("present");
                a.addr = addr;
                a.recovery = recovery;
                a.alive = true;
                a.next_heartbeat = next_heartbeat;
            }
            None => {
                if self.assocs.len() >= self.cfg.max_associations {
                    return Err(Cause::NO_RESOURCES_AVAILABLE);
                }
                // Another Node ID at the same address replaces the old one
                // for request routing; its sessions stay until it is
                // released or restarts.
                let free = self.peer_ids.iter().position(Option::is_none);
                let Ok(id) = PeerId::try_from(free.unwrap_or(self.peer_ids.len())) else {
                    return Err(Cause::NO_RESOURCES_AVAILABLE);
                };
                match self.peer_ids.get_mut(usize::from(id)) {
                    Some(slot) => *slot = Some(node.clone()),
                    None => self.peer_ids.push(Some(node.clone())),
                }
                self.assocs.insert(
                    node.clone(),
                    Association {
                        id,
                        addr,
                        recovery,
                        alive: true,
                        next_heartbeat,
                        heartbeat_in_flight: false,
                        sessions: 0,
                    },
                );
            }
        }
        self.assoc_by_ip.insert(addr.ip(), node.clone());
        tracing::info!(node_id = ?node, %addr, "PFCP association up");
        self.push_event(NodeEvent::AssociationUp {
            node_id: node,
            addr,
        });
        Ok(())
    }

    pub(super) fn on_association_update(
        &mut self,
        from: SocketAddr,
        _m: msg::AssociationUpdateRequest,
    ) -> Outcome {
        let _ = from;
        Outcome::Respond(
            msg::AssociationUpdateResponse {
                node_id: self.our_node_id(),
                cause: Cause::REQUEST_ACCEPTED,
                up_function_features: Some(self.features),
                ..Default::default()
            }
            .into(),
            None,
        )
    }

    pub(super) fn on_association_release(
        &mut self,
        from: SocketAddr,
        _m: msg::AssociationReleaseRequest,
    ) -> Outcome {
        if let Some(node) = self.peer_of(from) {
            let released = self.release_peer_sessions(&node, DeleteReason::AssociationReleased);
            if let Some(a) = self.assocs.remove(&node) {
                self.peer_ids[usize::from(a.id)] = None;
                self.assoc_by_ip.remove(&a.addr.ip());
                // Remove the outstanding heartbeat, if any, so it does not
                // report a failure later.
                self.outstanding
                    .retain(|_, o| !matches!(&o.kind, OutKind::Heartbeat(n) if *n == node));
                for t in &mut self.targets {
                    if t.addr.ip() == a.addr.ip() {
                        t.next_attempt = Some(self.now + self.cfg.association_retry_interval);
                    }
                }
            }
            tracing::info!(node_id = ?node, released, "PFCP association released by the peer");
            self.push_event(NodeEvent::AssociationDown {
                node_id: node,
                reason: DownReason::Released,
                sessions_released: released,
            });
        }
        Outcome::Respond(
            msg::AssociationReleaseResponse {
                node_id: self.our_node_id(),
                cause: Cause::REQUEST_ACCEPTED,
                ..Default::default()
            }
            .into(),
            None,
        )
    }

    /// The peer restarted: its sessions are removed (TS 23.007 §19A).
    pub(super) fn peer_restarted(&mut self, node: &NodeId, new: u32) {
        let Some(a) = self.assocs.get_mut(node) else {
            return;
        };
        let old = a.recovery;
        a.recovery = new;
        let released = self.release_peer_sessions(node, DeleteReason::PeerRestart);
        tracing::info!(node_id = ?node, old, new, released, "PFCP peer restarted");
        self.push_event(NodeEvent::PeerRestarted {
            node_id: node.clone(),
            old,
            new,
            sessions_released: released,
        });
    }

    pub(super) fn heartbeat_answered(&mut self, node: &NodeId, recovery: Option<u32>) {
        let Some(a) = self.assocs.get_mut(node) else {
            return;
        };
        a.heartbeat_in_flight = false;
        let was_alive = a.alive;
        a.alive = true;
        let (addr, known) = (a.addr, a.recovery);
        if !was_alive {
            tracing::info!(node_id = ?node, "PFCP peer answers again");
            self.push_event(NodeEvent::AssociationUp {
                node_id: node.clone(),
                addr,
            });
        }
        if let Some(ts) = recovery {
            if ts != known {
                self.peer_restarted(node, ts);
            }
        }
    }

    /// N1 heartbeats unanswered: the association is down. Sessions are
    /// kept (and the peer may come back) unless configured otherwise.
    pub(super) fn peer_failed(&mut self, node: &NodeId) {
        let Some(a) = self.assocs.get_mut(node) else {
            return;
        };
        a.heartbeat_in_flight = false;
        let was_alive = a.alive;
        a.alive = false;
        if !was_alive {
            return;
        }
        let released = if self.cfg.release_sessions_on_peer_failure {
            self.release_peer_sessions(node, DeleteReason::PeerFailure)
        } else {
            0
        };
        tracing::warn!(node_id = ?node, released, "PFCP peer stopped answering heartbeats");
        self.push_event(NodeEvent::AssociationDown {
            node_id: node.clone(),
            reason: DownReason::HeartbeatTimeout,
            sessions_released: released,
        });
    }

    pub(super) fn heartbeats_due(&mut self) {
        let now = self.now;
        let due: Vec<(NodeId, SocketAddr)> = self
            .assocs
            .iter()
            .filter(|(_, a)| !a.heartbeat_in_flight && a.next_heartbeat <= now)
            .map(|(n, a)| (n.clone(), a.addr))
            .collect();
        for (node, addr) in due {
            let m: Message = msg::HeartbeatRequest {
                recovery_time_stamp: self.cfg.recovery_time_stamp,
                ..Default::default()
            }
            .into();
            let sent = self.send_request(addr, m, None, OutKind::Heartbeat(node.clone()));
            if let Some(a) = self.assocs.get_mut(&node) {
                a.next_heartbeat = now + self.cfg.heartbeat_interval;
                a.heartbeat_in_flight = sent;
            }
        }
    }

    pub(super) fn association_setups_due(&mut self) {
        let now = self.now;
        let due: Vec<SocketAddr> = self
            .targets
            .iter()
            .filter(|t| t.next_attempt.is_some_and(|n| n <= now))
            .map(|t| t.addr)
            .collect();
        for addr in due {
            let m: Message = msg::AssociationSetupRequest {
                node_id: self.our_node_id(),
                recovery_time_stamp: self.cfg.recovery_time_stamp,
                up_function_features: Some(self.features),
                ..Default::default()
            }
            .into();
            let sent = self.send_request(addr, m, None, OutKind::AssociationSetup(addr));
            if let Some(t) = self.targets.iter_mut().find(|t| t.addr == addr) {
                // While in flight, the outstanding request's timeout drives
                // the next attempt.
                t.next_attempt = if sent {
                    None
                } else {
                    Some(now + self.cfg.association_retry_interval)
                };
            }
        }
    }

    /// Adds an SMF to set up an association with (UP-initiated).
    pub fn add_smf_peer(&mut self, addr: SocketAddr) {
        if !self.targets.iter().any(|t| t.addr == addr) {
            self.targets.push(SetupTarget {
                addr,
                next_attempt: Some(self.now),
            });
        }
    }

    /// Tells every associated peer that user plane paths to `peers` failed
    /// (Node Report Request, User Plane Path Failure Report).
    pub fn report_user_plane_path_failure(&mut self, now: std::time::Instant, peers: &[IpAddr]) {
        self.now = now;
        if peers.is_empty() {
            return;
        }
        let remote: Vec<RemoteGtpuPeer> = peers
            .iter()
            .take(64)
            .map(|p| match p {
                IpAddr::V4(a) => RemoteGtpuPeer {
                    ipv4: Some(*a),
                    ..Default::default()
                },
                IpAddr::V6(a) => RemoteGtpuPeer {
                    ipv6: Some(*a),
                    ..Default::default()
                },
            })
            .collect();
        let dsts: Vec<SocketAddr> = self.assocs.values().map(|a| a.addr).collect();
        for dst in dsts {
            let m: Message = msg::NodeReportRequest {
                node_id: self.our_node_id(),
                node_report_type: NodeReportType::from_flags(&[NodeReportType::UPFR]),
                user_plane_path_failure_report: Some(UserPlanePathFailureReport {
                    remote_gtpu_peers: remote.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            }
            .into();
            if !self.send_request(dst, m, None, OutKind::NodeReport) {
                self.stats.reports_dropped += 1;
            }
        }
    }

    /// Sessions of `node`, released; returns how many.
    pub(super) fn release_peer_sessions(&mut self, node: &NodeId, reason: DeleteReason) -> usize {
        let Some(id) = self.assocs.get(node).map(|a| a.id) else {
            return 0;
        };
        let seids: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.peer == id)
            .map(|(k, _)| k)
            .collect();
        for &seid in &seids {
            self.release_session(seid, reason);
        }
        seids.len()
    }
}
