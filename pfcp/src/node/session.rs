//! PFCP sessions: establishment, modification and deletion (TS 29.244
//! §7.5.2, §7.5.4, §7.5.6), applied all or nothing, answered after apply.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use upf_core::compile::{compile_owned, SessionRules, TunnelKey};
use upf_core::rules::{self as m, ApplyAction, ReportingTriggers, Session};

use super::convert::{self, rule_error, Failure};
use super::report::{FinalUsage, UrrState};
use super::{Busy, Dataplane, DeleteReason, Held, HeldBody, Node, NodeEvent, Outcome, UePoolV4};
use crate::header::Header;
use crate::ie::types as t;
use crate::ie::{self as p, FailedRuleId, NodeId};
use crate::message::{self as msg};
use crate::Cause;

/// What the node keeps of a session.
#[derive(Debug)]
pub(super) struct SessionState {
    /// The CP F-SEID (where reports go, and the SEID responses carry).
    pub cp: p::FSeid,
    /// The association the session belongs to.
    pub peer: NodeId,
    /// The version published to the dataplane. It is also the authoritative
    /// rule model: [`SessionRules::to_session`] gives back the session it was
    /// compiled from, so the node keeps the rules once.
    pub rules: Arc<SessionRules>,
    /// Reporting state per URR.
    pub urrs: Vec<UrrState>,
    /// FARs with a Downlink Data Report sent for the current buffering
    /// episode.
    pub dl_episodes: Vec<u32>,
    /// FQ-CSIDs given at establishment (Session Set Deletion).
    pub fq_csids: Vec<p::FqCsid>,
    /// UE IPv4 address allocated from the pool.
    pub ue_v4: Option<Ipv4Addr>,
}

/// An IPv4 pool of UE addresses.
#[derive(Debug)]
pub(super) struct UePool {
    first: u32,
    size: u32,
    next: u32,
    used: HashSet<u32>,
}

impl UePool {
    pub(super) fn new(p: UePoolV4) -> Self {
        let len = u32::from(p.prefix_len.clamp(8, 30));
        let mask = u32::MAX << (32 - len);
        let net = u32::from(p.network) & mask;
        let size = (!mask).saturating_sub(1); // without network and broadcast
        UePool {
            first: net + 1,
            size,
            next: 0,
            used: HashSet::new(),
        }
    }

    fn allocate(&mut self) -> Option<Ipv4Addr> {
        if self.used.len() as u32 >= self.size {
            return None;
        }
        for _ in 0..self.size {
            let a = self.first + self.next;
            self.next = (self.next + 1) % self.size;
            if self.used.insert(a) {
                return Some(Ipv4Addr::from(a));
            }
        }
        None
    }

    fn release(&mut self, a: Ipv4Addr) {
        self.used.remove(&u32::from(a));
    }
}

/// Allocations made while handling one request, committed only if the
/// request succeeds.
#[derive(Debug, Default)]
struct Alloc {
    /// F-TEIDs chosen per CHOOSE ID.
    choose: Vec<(u8, m::FTeid)>,
    /// Tunnel keys chosen in this request.
    reserved: Vec<TunnelKey>,
    /// Created PDRs to report.
    created: Vec<p::CreatedPdr>,
    /// UE address taken from the pool in this request.
    new_ue_v4: Option<Ipv4Addr>,
    /// The session's UE address from the pool (old or new).
    ue_v4: Option<Ipv4Addr>,
}

/// The Create IEs of a request.
struct Creates<'a> {
    bars: &'a [p::CreateBar],
    qers: &'a [p::CreateQer],
    urrs: &'a [p::CreateUrr],
    fars: &'a [p::CreateFar],
    pdrs: &'a [p::CreatePdr],
}

impl<'a> Creates<'a> {
    fn of_establishment(r: &'a msg::SessionEstablishmentRequest) -> Self {
        Creates {
            bars: r.create_bar.as_slice(),
            qers: &r.create_qers,
            urrs: &r.create_urrs,
            fars: &r.create_fars,
            pdrs: &r.create_pdrs,
        }
    }

    fn of_modification(r: &'a msg::SessionModificationRequest) -> Self {
        Creates {
            bars: r.create_bar.as_slice(),
            qers: &r.create_qers,
            urrs: &r.create_urrs,
            fars: &r.create_fars,
            pdrs: &r.create_pdrs,
        }
    }
}

fn keys(f: &m::FTeid) -> impl Iterator<Item = TunnelKey> + '_ {
    [f.ipv4.map(IpAddr::V4), f.ipv6.map(IpAddr::V6)]
        .into_iter()
        .flatten()
        .map(move |addr| TunnelKey { teid: f.teid, addr })
}

/// Triggers the node evaluates from the counters.
pub(super) fn watched(rules: &SessionRules) -> bool {
    let rt = ReportingTriggers::PERIO.0
        | ReportingTriggers::VOLTH.0
        | ReportingTriggers::TIMTH.0
        | ReportingTriggers::VOLQU.0
        | ReportingTriggers::TIMQU.0;
    rules
        .urrs
        .iter()
        .map(|u| &u.rule)
        .any(|u| u.reporting_triggers.0 & rt != 0 || u.time_quota.is_some())
}

impl<D: Dataplane> Node<D> {
    fn alloc_seid(&mut self) -> u64 {
        loop {
            let s = self.next_seid;
            self.next_seid = self.next_seid.wrapping_add(1).max(1);
            if !self.sessions.contains_key(&s) {
                return s;
            }
        }
    }

    /// Local addresses for a PDI's tunnel: N9 toward the core side (or
    /// when the 3GPP Interface Type says N9/S5-S8), N3 otherwise.
    fn local_addrs(&self, pdi: &p::Pdi) -> (Option<Ipv4Addr>, Option<Ipv6Addr>) {
        use p::TgppInterfaceType as T;
        let core = match pdi.source_interface_type {
            Some(T::N9 | T::S5S8U) => true,
            Some(_) => false,
            None => pdi.source_interface == p::SourceInterface::Core,
        };
        let (n3_4, n3_6) = (self.cfg.n3_ipv4, self.cfg.n3_ipv6);
        if core && (self.cfg.n9_ipv4.is_some() || self.cfg.n9_ipv6.is_some()) {
            (self.cfg.n9_ipv4, self.cfg.n9_ipv6)
        } else {
            (n3_4, n3_6)
        }
    }

    /// A free TEID on the given addresses.
    fn alloc_teid(
        &mut self,
        ipv4: Option<Ipv4Addr>,
        ipv6: Option<Ipv6Addr>,
        reserved: &[TunnelKey],
    ) -> Option<u32> {
        let (lo, hi) = self.cfg.teid_range;
        let (lo, hi) = (lo.max(1), hi.max(lo.max(1)));
        let span = u64::from(hi - lo) + 1;
        for _ in 0..span.min(1 << 16) {
            let teid = self.next_teid.clamp(lo, hi);
            self.next_teid = if teid >= hi { lo } else { teid + 1 };
            let f = m::FTeid { teid, ipv4, ipv6 };
            if keys(&f).all(|k| !self.tunnels.contains_key(&k) && !reserved.contains(&k)) {
                return Some(teid);
            }
        }
        None
    }

    /// The local F-TEID of a PDI: explicit, or chosen (CHOOSE, with CHOOSE
    /// ID shared within the request). Returns it and whether it was chosen.
    fn resolve_fteid(
        &mut self,
        pdi: &p::Pdi,
        alloc: &mut Alloc,
    ) -> Result<(Option<m::FTeid>, bool), Failure> {
        match pdi.local_f_teid {
            None => Ok((None, false)),
            Some(p::FTeid::Explicit { teid, ipv4, ipv6 }) => {
                Ok((Some(m::FTeid { teid, ipv4, ipv6 }), false))
            }
            Some(p::FTeid::Choose { v4, v6, choose_id }) => {
                if let Some(id) = choose_id {
                    if let Some((_, f)) = alloc.choose.iter().find(|(c, _)| *c == id) {
                        return Ok((Some(*f), true));
                    }
                }
                if !v4 && !v6 {
                    return Err(Failure::incorrect(t::F_TEID));
                }
                let (a4, a6) = self.local_addrs(pdi);
                let ipv4 = if v4 { a4 } else { None };
                let ipv6 = if v6 { a6 } else { None };
                if ipv4.is_none() && ipv6.is_none() {
                    return Err(Failure::cause(Cause::NO_RESOURCES_AVAILABLE));
                }
                let teid = self
                    .alloc_teid(ipv4, ipv6, &alloc.reserved)
                    .ok_or(Failure::cause(Cause::NO_RESOURCES_AVAILABLE))?;
                let f = m::FTeid { teid, ipv4, ipv6 };
                alloc.reserved.extend(keys(&f));
                if let Some(id) = choose_id {
                    alloc.choose.push((id, f));
                }
                Ok((Some(f), true))
            }
        }
    }

    /// The UE address of a PDI, allocating from the pool for CHV4.
    fn resolve_ue_ip(
        &mut self,
        pdi: &p::Pdi,
        alloc: &mut Alloc,
    ) -> Result<(Option<m::UeIpAddress>, Option<p::UeIpAddress>), Failure> {
        let Some(choose) = pdi.ue_ip_addresses.iter().find(|u| u.choose_v4) else {
            return Ok((convert::ue_ip(&pdi.ue_ip_addresses), None));
        };
        let a = match alloc.ue_v4 {
            Some(a) => a,
            None => {
                let pool = self
                    .ue_pool
                    .as_mut()
                    .ok_or(Failure::incorrect(t::UE_IP_ADDRESS))?;
                let a = pool
                    .allocate()
                    .ok_or(Failure::cause(Cause::ALL_DYNAMIC_ADDRESSES_ARE_OCCUPIED))?;
                alloc.new_ue_v4 = Some(a);
                alloc.ue_v4 = Some(a);
                a
            }
        };
        let mut ies = pdi.ue_ip_addresses.clone();
        for u in &mut ies {
            if u.choose_v4 {
                u.choose_v4 = false;
                u.ipv4 = Some(a);
            }
        }
        let created = p::UeIpAddress {
            ipv4: Some(a),
            destination: choose.destination,
            ..Default::default()
        };
        Ok((convert::ue_ip(&ies), Some(created)))
    }

    /// A PDI in the model, with allocations; records a Created PDR when
    /// something was chosen.
    fn build_pdi(&mut self, pdi: &p::Pdi, pdr: u16, alloc: &mut Alloc) -> Result<m::Pdi, Failure> {
        let (fteid, chosen) = self.resolve_fteid(pdi, alloc)?;
        let (ue, ue_created) = self.resolve_ue_ip(pdi, alloc)?;
        let out = convert::pdi(pdi, pdr, fteid, ue)?;
        if chosen || ue_created.is_some() {
            alloc.created.push(p::CreatedPdr {
                pdr_id: p::PdrId(pdr),
                local_f_teid: fteid.filter(|_| chosen).map(|f| p::FTeid::Explicit {
                    teid: f.teid,
                    ipv4: f.ipv4,
                    ipv6: f.ipv6,
                }),
                ue_ip_addresses: ue_created.into_iter().collect(),
                ..Default::default()
            });
        }
        Ok(out)
    }

    fn create_rules(
        &mut self,
        model: &mut Session,
        alloc: &mut Alloc,
        c: Creates<'_>,
    ) -> Result<(), Failure> {
        let re = |e: m::RuleError| rule_error(&e);
        let Creates {
            bars,
            qers,
            urrs,
            fars,
            pdrs,
        } = c;
        // Exactly the room the request needs: a session is kept for long.
        model.bars.reserve_exact(bars.len());
        model.qers.reserve_exact(qers.len());
        model.urrs.reserve_exact(urrs.len());
        model.fars.reserve_exact(fars.len());
        model.pdrs.reserve_exact(pdrs.len());
        for b in bars {
            model.create_bar(convert::create_bar(b)).map_err(re)?;
        }
        for q in qers {
            model.create_qer(convert::create_qer(q)).map_err(re)?;
        }
        for u in urrs {
            model.create_urr(convert::create_urr(u)?).map_err(re)?;
        }
        for f in fars {
            model.create_far(convert::create_far(f)?).map_err(re)?;
        }
        for c in pdrs {
            let id = c.pdr_id.0;
            if model.pdr(id).is_some() {
                return Err(Failure::rule(FailedRuleId::Pdr(id)));
            }
            let pdi = self.build_pdi(&c.pdi, id, alloc)?;
            model.create_pdr(convert::create_pdr(c, pdi)).map_err(re)?;
        }
        Ok(())
    }

    /// Compiles `model` (moving it into the rules) and checks that its
    /// tunnels are free (or already this session's).
    fn compile_checked(
        &self,
        seid: u64,
        model: Session,
        previous: Option<&SessionRules>,
    ) -> Result<SessionRules, Failure> {
        let rules = compile_owned(model, previous).map_err(|e| rule_error(&e))?;
        for k in rules.tunnel_keys() {
            if self.tunnels.get(&k).is_some_and(|&o| o != seid) {
                // The first such PDR in the model's order.
                let pdr = rules
                    .pdrs
                    .iter()
                    .filter(|p| p.fteid.is_some_and(|f| keys(&f).any(|x| x == k)))
                    .min_by_key(|p| p.order)
                    .map_or(0, |p| p.id);
                return Err(Failure::rule(FailedRuleId::Pdr(pdr)));
            }
        }
        Ok(rules)
    }

    fn undo(&mut self, alloc: &Alloc) {
        if let (Some(a), Some(pool)) = (alloc.new_ue_v4, self.ue_pool.as_mut()) {
            pool.release(a);
        }
    }

    fn establishment_failure(&self, f: Failure, cp_seid: u64) -> Outcome {
        tracing::debug!(cause = ?f.cause, offending_ie = ?f.offending_ie, failed_rule = ?f.failed_rule, "session establishment rejected");
        Outcome::Respond(
            msg::SessionEstablishmentResponse {
                node_id: self.our_node_id(),
                cause: f.cause,
                offending_ie: f.offending_ie.map(p::OffendingIe),
                failed_rule_id: f.failed_rule,
                ..Default::default()
            }
            .into(),
            Some(cp_seid),
        )
    }

    pub(super) fn on_establishment(
        &mut self,
        from: SocketAddr,
        r: msg::SessionEstablishmentRequest,
    ) -> Outcome {
        let cp_seid = r.cp_f_seid.seid;
        let Some(peer) = self.peer_of(from) else {
            return self.establishment_failure(
                Failure::cause(Cause::NO_ESTABLISHED_PFCP_ASSOCIATION),
                cp_seid,
            );
        };
        let peer_sessions = self.assocs.get(&peer).map_or(0, |a| a.sessions);
        if self.sessions.len() >= self.cfg.max_sessions
            || peer_sessions >= self.cfg.max_sessions_per_peer
        {
            return self
                .establishment_failure(Failure::cause(Cause::NO_RESOURCES_AVAILABLE), cp_seid);
        }
        let seid = self.alloc_seid();
        let mut model = Session::new(seid);
        let mut alloc = Alloc::default();
        let built = self
            .create_rules(&mut model, &mut alloc, Creates::of_establishment(&r))
            .and_then(|()| self.compile_checked(seid, model, None));
        let rules = match built {
            Ok(rules) => Arc::new(rules),
            Err(f) => {
                self.undo(&alloc);
                return self.establishment_failure(f, cp_seid);
            }
        };
        let epoch = match self.dp.install(rules.clone(), None) {
            Ok(e) => e,
            Err(Busy) => {
                self.undo(&alloc);
                return Outcome::Busy;
            }
        };
        // Commit.
        for k in rules.tunnel_keys() {
            self.tunnels.insert(k, seid);
        }
        let now = self.now;
        let urrs = rules
            .urrs
            .iter()
            .map(|u| UrrState::new(&u.rule, now))
            .collect();
        if watched(&rules) {
            self.watched.insert(seid);
        }
        if let Some(a) = self.assocs.get_mut(&peer) {
            a.sessions += 1;
        }
        let mut created = alloc.created;
        created.shrink_to_fit();
        self.sessions.insert(
            seid,
            Box::new(SessionState {
                cp: r.cp_f_seid,
                peer,
                rules,
                urrs,
                dl_episodes: Vec::new(),
                fq_csids: r.fq_csids,
                ue_v4: alloc.ue_v4,
            }),
        );
        let response = msg::SessionEstablishmentResponse {
            node_id: self.our_node_id(),
            cause: Cause::REQUEST_ACCEPTED,
            up_f_seid: Some(self.up_f_seid(seid)),
            created_pdrs: created,
            ..Default::default()
        };
        Outcome::Hold(Held {
            epoch,
            dst: from,
            key: None,
            seq: 0,
            seid: Some(cp_seid),
            body: HeldBody::Message(Box::new(response.into())),
            events: vec![NodeEvent::SessionCreated { seid, cp_seid }],
        })
    }

    fn modification_failure(&self, f: Failure, cp_seid: u64) -> Outcome {
        tracing::debug!(cause = ?f.cause, offending_ie = ?f.offending_ie, failed_rule = ?f.failed_rule, "session modification rejected");
        Outcome::Respond(
            msg::SessionModificationResponse {
                cause: f.cause,
                offending_ie: f.offending_ie.map(p::OffendingIe),
                failed_rule_id: f.failed_rule,
                ..Default::default()
            }
            .into(),
            Some(cp_seid),
        )
    }

    pub(super) fn on_modification(
        &mut self,
        from: SocketAddr,
        header: &Header,
        r: msg::SessionModificationRequest,
    ) -> Outcome {
        let _ = from;
        let up = header.seid.unwrap_or(0);
        let Some(state) = self.sessions.get(&up) else {
            return self.modification_failure(Failure::cause(Cause::SESSION_CONTEXT_NOT_FOUND), 0);
        };
        let cp_seid = state.cp.seid;
        let old_rules = state.rules.clone();
        let mut model = state.rules.to_session();
        let mut alloc = Alloc {
            ue_v4: state.ue_v4,
            ..Default::default()
        };
        let mut end_markers = Vec::new();
        let mut removed_urrs = Vec::new();
        let applied = self.apply_modification(
            &mut model,
            &r,
            &mut alloc,
            &mut end_markers,
            &mut removed_urrs,
        );
        let built = applied.and_then(|()| self.compile_checked(up, model, Some(&old_rules)));
        let rules = match built {
            Ok(rules) => Arc::new(rules),
            Err(f) => {
                self.undo(&alloc);
                return self.modification_failure(f, cp_seid);
            }
        };
        let epoch = match self.dp.install(rules.clone(), Some(old_rules.clone())) {
            Ok(e) => e,
            Err(Busy) => {
                self.undo(&alloc);
                return Outcome::Busy;
            }
        };

        // Commit.
        for k in old_rules.tunnel_keys() {
            if !rules.tunnel_keys().any(|x| x == k) && self.tunnels.get(&k) == Some(&up) {
                self.tunnels.remove(&k);
            }
        }
        for k in rules.tunnel_keys() {
            self.tunnels.insert(k, up);
        }
        let now = self.now;
        let is_watched = watched(&rules);
        let (n3_4, n3_6) = (self.cfg.n3_ipv4, self.cfg.n3_ipv6);
        let (n9_4, n9_6) = (self.cfg.n9_ipv4, self.cfg.n9_ipv6);
        let n9 = n9_4.is_some() || n9_6.is_some();
        let state = self.sessions.get_mut(&up).expect("checked above");
        let mut finals: Vec<FinalUsage> = Vec::new();
        // Removed URRs: a final report with what they counted.
        for id in &removed_urrs {
            if let (Some(i), Some(c)) = (
                state.urrs.iter().position(|u| u.id == *id),
                old_rules.urr_counters(*id),
            ) {
                let mut st = state.urrs.remove(i);
                if let Some(u) = old_rules.urrs.iter().find(|u| u.rule.id == *id) {
                    let u = &u.rule;
                    let trigger =
                        p::UsageReportTrigger::from_flags(&[p::UsageReportTrigger::TERMR]);
                    finals.push(FinalUsage {
                        seed: st.seed(u, trigger, now),
                        counters: c.clone(),
                    });
                }
            }
        }
        // New and updated URRs.
        for u in rules.urrs.iter().map(|u| &u.rule) {
            match state.urrs.iter_mut().find(|s| s.id == u.id) {
                Some(st) => {
                    let c = rules.urr_counters(u.id);
                    if let Some(upd) = r.update_urrs.iter().find(|x| x.urr_id.0 == u.id) {
                        st.updated(u, upd, now, c.map(|c| c.as_ref()));
                    }
                }
                None => state.urrs.push(UrrState::new(u, now)),
            }
        }
        // Query URR (or all of them with QAURR): an immediate report.
        let qaurr = r
            .pfcpsmreq_flags
            .is_some_and(|f| f.has(p::PfcpSmReqFlags::QAURR));
        let immer = p::UsageReportTrigger::from_flags(&[p::UsageReportTrigger::IMMER]);
        for u in rules.urrs.iter().map(|u| &u.rule) {
            if !(qaurr || r.query_urrs.iter().any(|q| q.urr_id.0 == u.id)) {
                continue;
            }
            if let (Some(st), Some(c)) = (
                state.urrs.iter_mut().find(|s| s.id == u.id),
                rules.urr_counters(u.id),
            ) {
                let mut seed = st.seed(u, immer, now);
                seed.query_urr_reference = r.query_urr_reference.map(|q| q.0);
                finals.push(FinalUsage {
                    seed,
                    counters: c.clone(),
                });
            }
        }
        // A buffering episode ends when its FAR stops buffering.
        state.dl_episodes.retain(|f| {
            rules
                .far(*f)
                .is_some_and(|far| far.apply_action.contains(ApplyAction::BUFF))
        });
        if let Some(cp) = r.cp_f_seid {
            state.cp = cp;
        }
        let new_cp_seid = state.cp.seid;
        state.rules = rules;
        state.ue_v4 = alloc.ue_v4;
        if is_watched {
            self.watched.insert(up);
        } else {
            self.watched.remove(&up);
        }
        let events = end_markers
            .into_iter()
            .map(|em: convert::EndMarker| NodeEvent::SendEndMarker {
                seid: up,
                // The old tunnel's own local address: N9 toward the core
                // side when there is one, N3 otherwise.
                local: match (em.peer, n9 && em.destination == m::Interface::Core) {
                    (IpAddr::V4(_), false) => n3_4.map(IpAddr::V4),
                    (IpAddr::V6(_), false) => n3_6.map(IpAddr::V6),
                    (IpAddr::V4(_), true) => n9_4.map(IpAddr::V4),
                    (IpAddr::V6(_), true) => n9_6.map(IpAddr::V6),
                },
                peer: em.peer,
                teid: em.teid,
            })
            .collect();
        let response = msg::SessionModificationResponse {
            cause: Cause::REQUEST_ACCEPTED,
            created_pdrs: alloc.created,
            ..Default::default()
        };
        let _ = cp_seid;
        Outcome::Hold(Held {
            epoch,
            dst: from,
            key: None,
            seq: 0,
            seid: Some(new_cp_seid),
            body: HeldBody::Modification(response, finals),
            events,
        })
    }

    /// Applies a modification to a copy of the model: removals, then
    /// creations, then updates (a rule may be removed and created again
    /// with the same ID in one request).
    fn apply_modification(
        &mut self,
        model: &mut Session,
        r: &msg::SessionModificationRequest,
        alloc: &mut Alloc,
        end_markers: &mut Vec<convert::EndMarker>,
        removed_urrs: &mut Vec<u32>,
    ) -> Result<(), Failure> {
        let re = |e: m::RuleError| rule_error(&e);
        for x in &r.remove_pdrs {
            model.remove_pdr(x.pdr_id.0).map_err(re)?;
        }
        for x in &r.remove_fars {
            model.remove_far(x.far_id.0).map_err(re)?;
        }
        for x in &r.remove_urrs {
            model.remove_urr(x.urr_id.0).map_err(re)?;
            removed_urrs.push(x.urr_id.0);
        }
        for x in &r.remove_qers {
            model.remove_qer(x.qer_id.0).map_err(re)?;
        }
        if let Some(x) = &r.remove_bar {
            model.remove_bar(x.bar_id.0).map_err(re)?;
            // FARs that pointed at it no longer do.
            for f in &mut model.fars {
                if f.bar_id == Some(x.bar_id.0) {
                    f.bar_id = None;
                }
            }
        }
        self.create_rules(model, alloc, Creates::of_modification(r))?;
        if let Some(u) = &r.update_bar {
            let old = model
                .bar(u.bar_id.0)
                .ok_or(Failure::rule(FailedRuleId::Bar(u.bar_id.0)))?;
            let n = convert::update_bar(old, u);
            model.update_bar(n).map_err(re)?;
        }
        for u in &r.update_qers {
            let old = model
                .qer(u.qer_id.0)
                .ok_or(Failure::rule(FailedRuleId::Qer(u.qer_id.0)))?;
            let n = convert::update_qer(old, u);
            model.update_qer(n).map_err(re)?;
        }
        for u in &r.update_urrs {
            let old = model
                .urr(u.urr_id.0)
                .ok_or(Failure::rule(FailedRuleId::Urr(u.urr_id.0)))?;
            let n = convert::update_urr(old, u)?;
            model.update_urr(n).map_err(re)?;
        }
        for u in &r.update_fars {
            let old = model
                .far(u.far_id.0)
                .ok_or(Failure::rule(FailedRuleId::Far(u.far_id.0)))?;
            let (n, em) = convert::update_far(old, u)?;
            end_markers.extend(em);
            model.update_far(n).map_err(re)?;
        }
        for u in &r.update_pdrs {
            let id = u.pdr_id.0;
            let old = model
                .pdr(id)
                .cloned()
                .ok_or(Failure::rule(FailedRuleId::Pdr(id)))?;
            let pdi = match &u.pdi {
                Some(pdi) => Some(self.build_pdi(pdi, id, alloc)?),
                None => None,
            };
            model
                .update_pdr(convert::update_pdr(&old, u, pdi))
                .map_err(re)?;
        }
        for q in &r.query_urrs {
            if model.urr(q.urr_id.0).is_none() {
                return Err(Failure::rule(FailedRuleId::Urr(q.urr_id.0)));
            }
        }
        Ok(())
    }

    pub(super) fn on_deletion(
        &mut self,
        from: SocketAddr,
        header: &Header,
        _r: msg::SessionDeletionRequest,
    ) -> Outcome {
        let up = header.seid.unwrap_or(0);
        let Some(state) = self.sessions.get(&up) else {
            return Outcome::Respond(
                msg::SessionDeletionResponse {
                    cause: Cause::SESSION_CONTEXT_NOT_FOUND,
                    ..Default::default()
                }
                .into(),
                Some(0),
            );
        };
        let epoch = match self.dp.remove(up, Some(state.rules.clone())) {
            Ok(e) => e,
            Err(Busy) => return Outcome::Busy,
        };
        let mut state = self.forget_session(up).expect("checked above");
        let now = self.now;
        let termr = p::UsageReportTrigger::from_flags(&[p::UsageReportTrigger::TERMR]);
        let mut finals = Vec::new();
        for u in state.rules.urrs.iter().map(|u| &u.rule) {
            if let (Some(st), Some(c)) = (
                state.urrs.iter_mut().find(|s| s.id == u.id),
                state.rules.urr_counters(u.id),
            ) {
                finals.push(FinalUsage {
                    seed: st.seed(u, termr, now),
                    counters: c.clone(),
                });
            }
        }
        Outcome::Hold(Held {
            epoch,
            dst: from,
            key: None,
            seq: 0,
            seid: Some(state.cp.seid),
            body: HeldBody::Deletion(
                msg::SessionDeletionResponse {
                    cause: Cause::REQUEST_ACCEPTED,
                    ..Default::default()
                },
                finals,
            ),
            events: vec![NodeEvent::SessionDeleted {
                seid: up,
                reason: DeleteReason::Requested,
            }],
        })
    }

    pub(super) fn on_session_set_deletion(
        &mut self,
        from: SocketAddr,
        r: msg::SessionSetDeletionRequest,
    ) -> Outcome {
        if let Some(peer) = self.peer_of(from) {
            let doomed: Vec<u64> = self
                .sessions
                .iter()
                .filter(|(_, s)| {
                    s.peer == peer
                        && s.fq_csids.iter().any(|mine| {
                            r.fq_csids.iter().any(|x| {
                                x.node_id == mine.node_id
                                    && x.csids.iter().any(|c| mine.csids.contains(c))
                            })
                        })
                })
                .map(|(k, _)| *k)
                .collect();
            for seid in doomed {
                self.release_session(seid, DeleteReason::SetDeletion);
            }
        }
        Outcome::Respond(
            msg::SessionSetDeletionResponse {
                node_id: self.our_node_id(),
                cause: Cause::REQUEST_ACCEPTED,
                ..Default::default()
            }
            .into(),
            None,
        )
    }

    /// Takes a session out of the node's state, releasing its tunnels and
    /// addresses (the dataplane removal is the caller's).
    fn forget_session(&mut self, seid: u64) -> Option<Box<SessionState>> {
        let state = self.sessions.remove(&seid)?;
        for k in state.rules.tunnel_keys() {
            if self.tunnels.get(&k) == Some(&seid) {
                self.tunnels.remove(&k);
            }
        }
        if let (Some(a), Some(pool)) = (state.ue_v4, self.ue_pool.as_mut()) {
            pool.release(a);
        }
        self.watched.remove(&seid);
        if let Some(a) = self.assocs.get_mut(&state.peer) {
            a.sessions = a.sessions.saturating_sub(1);
        }
        Some(state)
    }

    /// Removes a session without a request to answer (peer restart,
    /// association release, ...).
    pub(super) fn release_session(&mut self, seid: u64, reason: DeleteReason) {
        let Some(state) = self.forget_session(seid) else {
            return;
        };
        self.removals.push_back((seid, state.rules.clone()));
        self.flush_removals();
        self.push_event(NodeEvent::SessionDeleted { seid, reason });
    }
}
